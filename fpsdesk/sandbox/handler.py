"""The HTTP side of the sandbox (stdlib ThreadingHTTPServer, HTTP/1.1 keep-alive).

Routes: FPS at ``/`` (GET query or POST form), the IPN certificate at
``/certs/<yymmdd>/PKICert.pem``, the JSON controls at ``/_sandbox/`` (loopback clients only).
Injected faults are applied here, around the real processing, because that is where a network
or a proxy would fail.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from fpsdesk.logsetup import redact
from fpsdesk.sandbox import actions, auth, controls
from fpsdesk.sandbox.api import SandboxApi
from fpsdesk.sandbox.errors import SandboxError
from fpsdesk.sandbox.faults import HTML_PAGE, PROCESSED_KINDS, Fault
from fpsdesk.sandbox.ids import new_error_request_id, new_request_id
from fpsdesk.sandbox.timefmt import now_ms
from fpsdesk.sandbox.xmlwriter import error_response

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
_FAULT_ERRORS = {
    "internal_error": ("InternalError", "We encountered an internal error. Please try again."),
    "throttled": ("RequestThrottled", "Request was denied due to request throttling."),
    "unavailable": ("ServiceUnavailable", "The service is temporarily unavailable."),
}


def _is_loopback(text: str) -> bool:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


class HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = True
    request_queue_size = 128  # the default 5 resets bursts of parallel connections
    sandbox: SandboxApi

    def __init__(self, address: tuple[str, int], sandbox: SandboxApi) -> None:
        self.sandbox = sandbox
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        self.stopping = threading.Event()
        # ThreadingMixIn tracks only non-daemon request threads; daemon ones (so a forgotten
        # server cannot hold up interpreter exit) are tracked here, so stop() can join them.
        self.request_threads: set[threading.Thread] = set()
        super().__init__(address, Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._run_request, args=(request, client_address), daemon=True
        )
        with self.connections_lock:
            self.request_threads.add(thread)
        thread.start()

    def _run_request(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self.connections_lock:
                self.request_threads.discard(threading.current_thread())

    def join_request_threads(self, timeout: float) -> None:
        """Wait (up to ``timeout`` in all) for the request threads still finishing."""
        deadline = time.monotonic() + timeout
        with self.connections_lock:
            threads = list(self.request_threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))


class HttpServer6(HttpServer):
    address_family = socket.AF_INET6


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls
    server_version = "fpsdesk-fps-sandbox"
    sys_version = ""
    timeout = 60
    server: HttpServer

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.connections_lock:
                self.server.connections.discard(self.connection)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Method and path only: a GET's query string carries its Signature, and a log handler
        # without fpsdesk's redacting filter (a test's caplog, an embedding app) would keep it.
        path = urlsplit(self.path).path if isinstance(self.path, str) else "?"
        log.debug("%s %s %s -> %s", self.address_string(), self.command, path, code)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), redact(format % args))

    # -- plumbing ------------------------------------------------------------------------

    def _read_body(self) -> bytes | None:
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            if self.headers.get("Transfer-Encoding"):
                # Not read here; answering and closing keeps the stream from being misread.
                self._send(411, "text/plain", b"send a Content-Length\n", close=True)
                return None
            return b""
        try:
            length = int(length_header)
        except ValueError:
            self._send(400, "text/plain", b"bad Content-Length\n", close=True)
            return None
        if length < 0 or length > MAX_BODY:
            self._send(413, "text/plain", b"request body too large\n", close=True)
            return None
        return self.rfile.read(length)

    def _send(self, status: int, content_type: str, body: bytes, *, close: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _control_refusal(self) -> str | None:
        """Why a control request is refused, or None.

        Only loopback clients; never from a web page (browsers send Origin on cross-site
        requests); and the Host must name this machine, so DNS rebinding cannot reach us.
        """
        if not _is_loopback(str(self.client_address[0])):
            return "the controls answer loopback clients only"
        if self.headers.get("Origin") is not None:
            return "the controls do not answer requests made by web pages"
        host = (self.headers.get("Host") or "").strip().lower()
        name = host.rsplit(":", 1)[0] if not host.startswith("[") else host[1 : host.find("]")]
        if name != "localhost" and not _is_loopback(name):
            return "the controls answer only requests addressed to this machine's loopback"
        return None

    def _dispatch(self) -> None:
        body = self._read_body()
        if body is None:
            return
        split = urlsplit(self.path)
        path = split.path or "/"
        sandbox = self.server.sandbox
        if path == "/":
            if self.command not in ("GET", "POST"):
                self._send(405, "text/plain", b"use GET or POST\n")
                return
            self._fps(split.query, body)
        elif path.startswith("/certs/") and self.command in ("GET", "HEAD"):
            if path == f"/certs/{sandbox.identity.issued_yymmdd}/PKICert.pem":
                self._send(200, "application/x-pem-file", sandbox.certificate_pem.encode("ascii"))
            else:
                self._send(404, "text/plain", b"no such certificate\n")
        elif path == controls.PREFIX or path.startswith(controls.PREFIX + "/"):
            refusal = self._control_refusal()
            if refusal is not None:
                self._send(403, "application/json", json.dumps({"error": refusal}).encode("utf-8"))
                return
            answer = controls.handle(sandbox, self.command, path, split.query, body)
            self._send(
                answer.status, "application/json", json.dumps(answer.body, indent=1).encode("utf-8")
            )
        else:
            self._send(404, "text/plain", b"not found\n")

    do_GET = _dispatch
    do_POST = _dispatch
    do_PUT = _dispatch
    do_DELETE = _dispatch
    do_HEAD = _dispatch

    # -- FPS -----------------------------------------------------------------------------

    def _fps(self, query: str, body: bytes) -> None:
        sandbox = self.server.sandbox
        raw = query
        if self.command == "POST" and body:
            text = body.decode("utf-8", errors="replace")
            raw = f"{query}&{text}" if query else text
        pairs = parse_qsl(raw, keep_blank_values=True)
        params = dict(pairs)
        action = params.get("Action")
        sandbox.count_request(action)
        fault = sandbox.fault_table.take(
            action, params.get("TransactionId") or params.get("ReserveTransactionId")
        )
        if fault is not None and fault.delay_ms:
            self.server.stopping.wait(fault.delay_ms / 1000)
        if fault is not None and fault.kind not in PROCESSED_KINDS:
            self._fault_answer(fault)
            return
        status = 200
        try:
            if len(params) != len(pairs):
                names = [k for k, _ in pairs]
                twice = next(k for k in names if names.count(k) > 1)
                raise SandboxError(
                    "InvalidRequest", f"The parameter {twice} appears more than once."
                )
            version = auth.check_version(params)
            auth.authenticate(
                params,
                method=self.command,
                host_header=self.headers.get("Host", ""),
                path=urlsplit(self.path).path or "/",
                credentials=sandbox.credentials,
                now_ms=now_ms(),
            )
            if not sandbox.throttle.allow(params.get("AWSAccessKeyId", "")):
                raise SandboxError(
                    "RequestThrottled", "Request was denied due to request throttling."
                )
            sandbox.count_processed(action, params.get("TransactionId"))
            answer = actions.run(sandbox.engine, params, version, new_request_id())
        except SandboxError as exc:
            status = exc.http_status
            answer = error_response(exc.code, exc.message, new_error_request_id())
        except Exception:  # the sandbox must answer like FPS, never with a traceback
            log.exception("sandbox: unexpected failure in %s", action)
            status = 500
            answer = error_response(
                "InternalError",
                "We encountered an internal error. Please try again.",
                new_error_request_id(),
            )
        if fault is not None and fault.kind == "drop_after":
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault is not None and fault.kind == "malformed_xml":
            answer = answer[: max(1, len(answer) // 2)]
        self._send(status, "text/xml", answer)

    def _fault_answer(self, fault: Fault) -> None:
        if fault.kind == "html":
            self._send(
                fault.http_status or 502, "text/html; charset=utf-8", HTML_PAGE.encode("utf-8")
            )
            return
        code, message = _FAULT_ERRORS[fault.kind]
        default = 500 if fault.kind == "internal_error" else 503
        self._send(
            fault.http_status or default,
            "text/xml",
            error_response(code, message, new_error_request_id()),
        )
