"""Test helpers: a throwaway CA, server certificates, and a TLS front for the sandbox.

Not a test module: ``test_hostile_transport.py`` uses it. Also a TLS server that drips its
answer's headers and a CONNECT-only proxy, for the client's deadline behind a proxy.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.fixtures.serving import ServerThread


@dataclass
class Issued:
    cert_pem: bytes
    key_pem: bytes


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


class TestCA:
    """A certificate authority made for one test; nothing on the machine trusts it."""

    __test__ = False  # not a pytest class

    def __init__(self, common_name: str = "fpsdesk test CA") -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(_name(common_name))
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False
            )
            .sign(self.key, hashes.SHA256())
        )

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def write(self, path: Path) -> Path:
        path.write_bytes(self.pem)
        return path

    def issue(
        self,
        hosts: tuple[str, ...] = ("127.0.0.1", "localhost"),
        *,
        expired: bool = False,
    ) -> Issued:
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        if expired:
            start, end = now - dt.timedelta(days=30), now - dt.timedelta(days=1)
        else:
            start, end = now - dt.timedelta(days=1), now + dt.timedelta(days=30)
        names: list[x509.GeneralName] = []
        for host in hosts:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(hosts[0]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )
        return Issued(cert.public_bytes(serialization.Encoding.PEM), _key_pem(key))


class TlsFront:
    """An HTTPS server on 127.0.0.1 that forwards every request, Host header unchanged, to a
    plain-http upstream (the sandbox), so the client signs for and talks to the TLS address."""

    def __init__(self, issued: Issued, upstream: str, tmp: Path) -> None:
        cert_file, key_file = tmp / "server.pem", tmp / "server.key"
        cert_file.write_bytes(issued.cert_pem)
        key_file.write_bytes(issued.key_pem)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        target = urlsplit(upstream)
        front = self
        self.requests = 0
        self.handshakes_failed = 0

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                front.requests += 1
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                conn = http.client.HTTPConnection(target.hostname or "", target.port, timeout=30)
                try:
                    headers = {
                        k: v
                        for k, v in self.headers.items()
                        if k.lower() not in ("connection", "keep-alive")
                    }
                    conn.request(self.command, self.path, body=body, headers=headers)
                    answer = conn.getresponse()
                    data = answer.read()
                finally:
                    conn.close()
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in ("content-length", "connection", "transfer-encoding"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _forward

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def get_request(self) -> tuple[Any, Any]:
                sock, addr = super().get_request()
                wrapped = context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
                return wrapped, addr

            def handle_error(self, request: Any, client_address: Any) -> None:
                front.handshakes_failed += 1  # the client refused our certificate: expected

        self._running = ServerThread(Server(("127.0.0.1", 0), Handler))
        self.port = self._running.port
        self.url = f"https://127.0.0.1:{self.port}/"

    def stop(self) -> None:
        self._running.stop()


@contextmanager
def tls_front(issued: Issued, upstream: str, tmp: Path) -> Iterator[TlsFront]:
    front = TlsFront(issued, upstream, tmp)
    try:
        yield front
    finally:
        front.stop()


class _Acceptor:
    """A loopback listener that serves each connection on its own thread until stop()."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._accepter = threading.Thread(target=self._accept, daemon=True)
        self._accepter.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        self._stop.set()
        self._listener.close()
        self._accepter.join()
        for thread in self._threads:
            thread.join()


class DrippingTlsServer(_Acceptor):
    """An HTTPS server that answers every request by sending its status line and headers a
    byte every ``interval`` seconds: each receive is quick, the whole answer takes for ever."""

    def __init__(self, issued: Issued, tmp: Path, interval: float = 0.05) -> None:
        cert_file, key_file = tmp / "drip.pem", tmp / "drip.key"
        cert_file.write_bytes(issued.cert_pem)
        key_file.write_bytes(issued.key_pem)
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.load_cert_chain(cert_file, key_file)
        self._interval = interval
        self.requests = 0
        super().__init__()

    def _serve(self, raw: socket.socket) -> None:
        raw.settimeout(10)
        try:
            with self._context.wrap_socket(raw, server_side=True) as tls:
                if _read_head(tls) is None:
                    return
                self.requests += 1
                head = b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n" + b"X-Pad: x\r\n" * 40
                for byte in head:
                    if self._stop.wait(self._interval):
                        return
                    tls.sendall(bytes([byte]))
        except OSError:
            pass  # the client cut the connection: what the test wants


class ConnectProxy(_Acceptor):
    """A plain HTTP proxy that only does CONNECT, tunnelling every host to 127.0.0.1:<port>
    (so a made-up host name reaches a loopback server), as corporate proxies do for https."""

    def __init__(self) -> None:
        self.tunnels: list[str] = []
        super().__init__()
        self.url = f"http://127.0.0.1:{self.port}"

    def _serve(self, client: socket.socket) -> None:
        client.settimeout(10)
        with client:
            head = _read_head(client)
            if head is None:
                return
            method, target = head.split(b" ", 2)[:2]
            if method != b"CONNECT":
                client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                return
            self.tunnels.append(target.decode())
            port = int(target.rsplit(b":", 1)[1])
            with socket.create_connection(("127.0.0.1", port), timeout=10) as upstream:
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                pump = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
                pump.start()
                _pipe(client, upstream)
                pump.join()


def _read_head(sock: socket.socket) -> bytes | None:
    """An HTTP request's head (up to the blank line), or None if the peer closed first."""
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            return None
        head += chunk
    return head


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    """Copy until either side closes; then close both directions so the other pump ends."""
    try:
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    except OSError:
        pass
    for sock in (source, sink):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
