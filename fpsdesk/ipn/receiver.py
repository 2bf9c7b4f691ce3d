"""The IPN receiver: a WSGI app that answers FPS only once the notification is on disk.

POST → parse → verify → store → ``200``. FPS retries anything but a 2xx, so every path that has
not durably stored the notification answers something else:

- a body that is not an IPN: ``400`` (``415`` for a foreign Content-Type), the bytes kept in
  the quarantine table for review;
- a body over the cap (1 MiB): ``413`` from the Content-Length alone, the body never read;
- no Content-Length: ``411``; a body cut short: ``400``;
- a database that cannot be written: ``503``, so FPS delivers it again later.

Parameters on the POST URL's query string are part of the notification (spec §3.8) and come
first. The verdict never decides the answer: a Failed IPN is stored, shown, and acknowledged
(FPS would only resend the same forgery), but never trusted as status.

:class:`ReceiverServer` runs the app on the stdlib server, on a background thread (the app's
``--sandbox`` mode and tests) or in the foreground (``fpsdesk ipn serve``). It listens with a
backlog of 128 (the stdlib's 5 made a client wait a second for each SYN dropped while 150 idle
connections were open) and closes a connection that sends nothing for ``idle_timeout`` seconds,
so an idle connection costs one thread for a bounded time.
"""

from __future__ import annotations

import logging
import socket
import socketserver
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment
from wsgiref.util import request_uri

from fpsdesk.fps.signing import host_for_signing
from fpsdesk.ipn.parse import charset_of, form_pairs, from_pairs, query_pairs
from fpsdesk.ipn.verify import IpnVerifier, TrustPolicy
from fpsdesk.records.ipn import FailReason, IpnParseError, Verdict, VerifyMode
from fpsdesk.store.db import database_errors, open_database
from fpsdesk.store.ipns import IpnRecord, IpnStore

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
LISTEN_BACKLOG = 128
IDLE_TIMEOUT = 10.0  # seconds a connection may stay silent (before or within a request)
_FORM_TYPES = ("application/x-www-form-urlencoded", "text/plain", "")
UNREAD_BODY_KEY = "fpsdesk.unread_body"


def _reply(
    start_response: StartResponse,
    status: str,
    text: str,
    *,
    exc_info: Any = None,
    extra: tuple[tuple[str, str], ...] = (),
) -> list[bytes]:
    body = (text.rstrip("\n") + "\n").encode("utf-8")
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    headers.extend(extra)
    if exc_info is not None:
        start_response(status, headers, exc_info)
    else:
        start_response(status, headers)
    return [body]


class IpnReceiver:
    """The WSGI application. Runs under any WSGI server; safe for threaded servers.

    ``endpoint_url`` is the public URL FPS posts to (it is part of what is signed); when it is
    not given, the URL is rebuilt from the request (Host header and path), which is right
    whenever nothing rewrites the request on the way in.
    """

    def __init__(
        self,
        store: IpnStore,
        verifier: IpnVerifier,
        *,
        endpoint_url: str | None = None,
        max_body: int = MAX_BODY_BYTES,
        on_stored: Callable[[IpnRecord], None] | None = None,
    ) -> None:
        self.store = store
        self.verifier = verifier
        self.endpoint_url = endpoint_url
        self.max_body = max_body
        self.on_stored = on_stored

    def trust(self, fps_endpoint_or_host: str) -> None:
        """Also trust certificates from this FPS (a URL like ``http://127.0.0.1:8443/``, or
        ``host:port``): for a local sandbox whose port is known only after it started."""
        text = fps_endpoint_or_host.strip()
        host = host_for_signing(text) if "://" in text else text
        self.verifier.trust = self.verifier.trust.with_hosts([host])

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        try:
            return self._handle(environ, start_response)
        except Exception:  # a bug must not become a traceback page or a lost acknowledgement
            log.exception("IPN receiver failed on a request")
            return _reply(
                start_response,
                "500 Internal Server Error",
                "internal error; retry",
                exc_info=sys.exc_info(),
            )

    def _handle(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        method = str(environ.get("REQUEST_METHOD", "")).upper()
        if method in ("GET", "HEAD") and environ.get("PATH_INFO") == "/healthz":
            return self._health(start_response)
        if method in ("GET", "HEAD") and not environ.get("QUERY_STRING"):
            return _reply(start_response, "200 OK", "fpsdesk IPN receiver: POST notifications here")
        if method != "POST":
            return _reply(
                start_response,
                "405 Method Not Allowed",
                "IPNs are POSTed",
                extra=(("Allow", "POST"),),
            )
        length_text = str(environ.get("CONTENT_LENGTH") or "").strip()
        if not length_text:
            if environ.get("wsgi.input_terminated"):
                body = environ["wsgi.input"].read(self.max_body + 1)
                if len(body) > self.max_body:
                    environ[UNREAD_BODY_KEY] = True
                    return self._too_large(start_response)
                return self._accept(environ, start_response, body)
            return _reply(start_response, "411 Length Required", "a Content-Length is required")
        if not length_text.isdigit():
            return _reply(start_response, "400 Bad Request", "Content-Length is not a number")
        length = int(length_text)
        if length > self.max_body:
            environ[UNREAD_BODY_KEY] = True
            return self._too_large(start_response)
        body = self._read(environ, length)
        if body is None:
            return _reply(start_response, "400 Bad Request", "the body ended before Content-Length")
        return self._accept(environ, start_response, body)

    def _too_large(self, start_response: StartResponse) -> list[bytes]:
        return _reply(
            start_response,
            "413 Content Too Large",
            f"the body is over {self.max_body} bytes; an IPN is a few kilobytes",
        )

    @staticmethod
    def _read(environ: WSGIEnvironment, length: int) -> bytes | None:
        stream = environ["wsgi.input"]
        chunks: list[bytes] = []
        remaining = length
        while remaining > 0:
            try:
                chunk = stream.read(min(remaining, 65536))
            except OSError:  # the connection timed out or broke mid-body
                return None
            if not chunk:
                return None
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def _source(self, environ: WSGIEnvironment) -> str:
        source = f"http {environ.get('REMOTE_ADDR', '?')} {environ.get('PATH_INFO', '/')}"
        query = str(environ.get("QUERY_STRING") or "")
        return f"{source}?{query}" if query else source

    def _endpoint(self, environ: WSGIEnvironment) -> str:
        if self.endpoint_url:
            return self.endpoint_url
        parts = urlsplit(request_uri(environ, include_query=False))
        return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", ""))

    def _accept(
        self, environ: WSGIEnvironment, start_response: StartResponse, body: bytes
    ) -> list[bytes]:
        content_type = str(environ.get("CONTENT_TYPE") or "")
        source = self._source(environ)
        media = content_type.split(";", 1)[0].strip().lower()
        if media not in _FORM_TYPES:
            error = f"Content-Type {media!r} is not application/x-www-form-urlencoded"
            return self._quarantine(
                start_response, "415 Unsupported Media Type", body, error, source, content_type
            )
        try:
            pairs = query_pairs(str(environ.get("QUERY_STRING") or ""))
            pairs += form_pairs(body, charset=charset_of(content_type))
            ipn = from_pairs(pairs)
        except IpnParseError as exc:
            return self._quarantine(
                start_response, "400 Bad Request", body, str(exc), source, content_type
            )
        endpoint = self._endpoint(environ)
        try:
            verdict = self.verifier.verify(ipn, endpoint, "POST")
        except Exception as exc:  # a verifier bug must not lose the notification
            log.exception("IPN verification failed unexpectedly")
            verdict = Verdict.not_checked(
                FailReason.CERTIFICATE_UNAVAILABLE, f"verification error: {type(exc).__name__}"
            )
        try:
            result = self.store.add(
                ipn, verdict, source=source, endpoint_url=endpoint, http_method="POST"
            )
        except database_errors(OSError):
            log.exception("IPN could not be stored; FPS will retry")
            return _reply(start_response, "503 Service Unavailable", "not stored; retry later")
        log.info(
            "IPN %s for %s: %s%s",
            "stored" if result.new else f"delivery #{result.delivery_count}",
            ipn.transaction_id or ipn.notification_type,
            verdict.status.label,
            f" ({verdict.reason})" if verdict.reason else "",
        )
        if self.on_stored is not None:
            record = self.store.get(result.id)
            if record is not None:
                try:
                    self.on_stored(record)
                except Exception:
                    log.exception("IPN on_stored callback failed")
        return _reply(start_response, "200 OK", "OK")

    def _health(self, start_response: StartResponse) -> list[bytes]:
        """For a load balancer: 200 only while the history answers (a receiver that cannot
        store answers every IPN with 503, so it should get none)."""
        try:
            self.store.ping()
        except database_errors(OSError) as exc:
            log.warning("health check: the history does not answer: %s", exc)
            return _reply(start_response, "503 Service Unavailable", "database unreachable")
        return _reply(start_response, "200 OK", "ok")

    def _quarantine(
        self,
        start_response: StartResponse,
        status: str,
        body: bytes,
        error: str,
        source: str,
        content_type: str,
    ) -> list[bytes]:
        try:
            self.store.quarantine(body, error=error, source=source, content_type=content_type)
        except database_errors(OSError):
            log.exception("refused IPN body could not be quarantined")
            return _reply(start_response, "503 Service Unavailable", "not stored; retry later")
        log.warning("refused a POST that is not an IPN: %s", error)
        return _reply(start_response, status, f"not an IPN: {error}")


def make_app(
    *,
    db_path: Path | str | None = None,
    store: IpnStore | None = None,
    on_stored: Callable[[IpnRecord], None] | None = None,
    fps_endpoint: str | None = None,
    trusted_hosts: Iterable[str] = (),
    endpoint_url: str | None = None,
    mode: VerifyMode = "local",
    max_body: int = MAX_BODY_BYTES,
) -> IpnReceiver:
    """A receiver with its own database connection and a local verifier, ready to serve.

    Trust: ``fps_endpoint`` (the FPS this receiver hears from, e.g. the local sandbox's URL)
    and ``trusted_hosts``; with neither, both Amazon FPS hosts. A local sandbox started after
    the receiver is added with :meth:`IpnReceiver.trust` once its URL is known.
    """
    if store is None:
        store = IpnStore(open_database(db_path))
    hosts = list(trusted_hosts)
    if fps_endpoint:
        hosts.append(host_for_signing(fps_endpoint))
    trust = TrustPolicy.of(hosts) if hosts else TrustPolicy.amazon()
    verifier = IpnVerifier(trust, mode=mode)
    return IpnReceiver(
        store, verifier, endpoint_url=endpoint_url, max_body=max_body, on_stored=on_stored
    )


# ---------------------------------------------------------------------------------------------
# Running it on the stdlib server


class _Handler(WSGIRequestHandler):
    """Logs through ``logging``; after a refused oversized body, closes without a reset."""

    _environ: dict[str, Any] | None = None
    server: _ThreadingWSGIServer

    def setup(self) -> None:
        super().setup()
        # How long the connection may stay silent (for its request line, headers or body)
        # before it is closed.
        self.connection.settimeout(self.server.idle_timeout)

    def get_environ(self) -> dict[str, Any]:
        env: dict[str, Any] = super().get_environ()
        self._environ = env
        return env

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def finish(self) -> None:
        super().finish()
        if self._environ is not None and self._environ.get(UNREAD_BODY_KEY):
            # The 413 is written; half-close and drain a little, so the client reads the answer
            # instead of a connection reset caused by the bytes we never read.
            try:
                self.connection.shutdown(socket.SHUT_WR)
                self.connection.settimeout(1.0)
                drained = 0
                while drained < 4 * MAX_BODY_BYTES:
                    chunk = self.connection.recv(65536)
                    if not chunk:
                        break
                    drained += len(chunk)
            except OSError:
                pass


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = LISTEN_BACKLOG
    idle_timeout = IDLE_TIMEOUT

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The stdlib prints a traceback to stderr, e.g. for every connection that timed out
        # idle; log it instead (stderr may be a pipe nobody reads).
        # socketserver calls this inside its except block, so the exception is at hand.
        log.debug(
            "IPN receiver: connection from %s ended with an error",
            client_address,
            exc_info=True,  # noqa: LOG014
        )


class ReceiverServer:
    """A WSGI app on the stdlib server: ``start()`` on a thread, or ``serve_forever()``."""

    def __init__(
        self,
        app: WSGIApplication,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        idle_timeout: float = IDLE_TIMEOUT,
    ) -> None:
        self._server = _ThreadingWSGIServer((host, port), _Handler)
        self._server.idle_timeout = idle_timeout
        self._server.set_app(app)
        self._thread: threading.Thread | None = None

    @property
    def request_queue_size(self) -> int:
        """The listen backlog: connections the kernel queues before they are accepted."""
        return int(self._server.request_queue_size)

    @property
    def idle_timeout(self) -> float:
        return float(self._server.idle_timeout)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """``http://HOST:PORT/``: post IPNs here (any path works; the path is signed)."""
        host = str(self._server.server_address[0])
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}/"

    def start(self) -> ReceiverServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="ipn-receiver",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        try:
            self._server.serve_forever(poll_interval=0.5)
        finally:
            self._server.server_close()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> ReceiverServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
