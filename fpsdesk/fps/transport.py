"""One bounded HTTP exchange: the rules every outgoing request of fpsdesk keeps.

The FPS client, the IPN certificate download and the sandbox's IPN sender all send through
:class:`Transport`, so each of them gets the same rules:

* redirects are never followed (a 3xx comes back as an answer for the caller to refuse);
* TLS is always verified, against the configured CA bundle or the default one;
* the answer is read in pieces up to a size cap, within an overall deadline per exchange
  (see :mod:`fpsdesk.fps.deadline`), besides the connect and per-receive read timeouts;
* a failure is classified by whether the request can have left: :class:`NetworkError` when
  nothing was sent (refused connection, DNS, connect timeout, TLS handshake), :class:`MaybeSent`
  when it may have been, :class:`BodyRefused` when an answer came but was too large.

It sends over the standard library's ``http.client`` connections, kept alive between
exchanges: at most ``max_idle`` idle connections per host, checked out for one exchange and
back in after it, so a client shared by many short-lived threads holds a bounded number of
sockets (and a connection is never used by two threads at once). requests and urllib3 cost
more than the server on loopback (docs/client.md). A loopback host is always reached
directly; other hosts go through the environment's proxy (HTTPS_PROXY, NO_PROXY: an HTTP
proxy, tunnelled with CONNECT for https), as requests would.
"""

from __future__ import annotations

import email.message
import http.client
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from urllib3.util.wait import wait_for_read

from fpsdesk import logsetup
from fpsdesk.fps.connections import (
    READ_SIZE,
    HTTPConnection,
    HTTPSConnection,
    Route,
    default_ca_bundle,
    route_for,
)
from fpsdesk.fps.deadline import Watchdog
from fpsdesk.fps.exceptions import InvalidInput, NetworkError, ProtocolError

MAX_IDLE_CONNECTIONS = 4  # per host, kept for reuse between exchanges; more are closed after use
# A connection idle longer than this is checked before reuse (has the server closed it?).
# Servers close idle keep-alive connections after seconds (nginx 75, Apache 5, load balancers
# 60), and say "Connection: close" when they close one after an answer; the check is a system
# call that cost about a twentieth of a loopback exchange, so back-to-back requests skip it.
CHECK_IDLE_AFTER_S = 1.0


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP answer read whole (within the cap and the deadline)."""

    status: int
    body: bytes
    headers: email.message.Message  # case-insensitive get(), as http.client gives them


class MaybeSent(Exception):
    """Transport failure after the request may have left: unknown whether it was processed."""

    def __init__(self, detail: str, kind: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.kind = kind  # network | timeout


class BodyRefused(Exception):
    """The answer came but was not accepted (too large)."""

    def __init__(self, error: ProtocolError) -> None:
        super().__init__(str(error))
        self.error = error


# -- exception chains -------------------------------------------------------------------------


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and the exceptions it wraps (args, cause, context), outermost first."""
    found: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in found and len(found) < 10:
        found.append(current)
        following = next((a for a in reversed(current.args) if isinstance(a, BaseException)), None)
        current = following or current.__cause__ or current.__context__
    return found


def reason(exc: BaseException) -> str:
    """A short, plain, secret-free reason from a socket/TLS/http.client exception chain."""
    chain = _chain(exc)
    for inner in reversed(chain):
        if isinstance(inner, socket.gaierror):
            return "the host name could not be found"
        if isinstance(inner, ConnectionRefusedError):
            return "the connection was refused"
        if isinstance(inner, http.client.RemoteDisconnected):
            return "the server closed the connection without answering"
        if isinstance(inner, ConnectionResetError):
            return "the connection was reset"
        if isinstance(inner, ssl.SSLCertVerificationError):
            return inner.verify_message or "certificate verify failed"
        if isinstance(inner, ssl.SSLError):
            return str(inner.reason or inner)[:200]
        if isinstance(inner, OSError) and inner.strerror:
            return inner.strerror
    innermost = chain[-1]
    return logsetup.redact(str(innermost) or type(innermost).__name__)[:200]


# -- connection pools ---------------------------------------------------------------------


class _Pool:
    """Idle keep-alive connections to one route; at most ``max_idle`` are kept."""

    def __init__(self, max_idle: int) -> None:
        self.idle: list[tuple[http.client.HTTPConnection, float]] = []  # (connection, since)
        self.made = 0
        self.max_idle = max_idle


# -- the transport ----------------------------------------------------------------------------


class Transport:
    """Bounded HTTP exchanges for one owner (a client, a download, a sender). Thread-safe.

    ``timeout`` is (connect, per-receive read) seconds; ``total_timeout`` bounds a whole
    exchange. ``ca_bundle`` replaces the default CA bundle (never: no verification).
    ``environment_proxy`` False sends directly even to a non-loopback host.
    """

    def __init__(
        self,
        *,
        timeout: tuple[float, float],
        total_timeout: float,
        max_body_bytes: int,
        ca_bundle: str | None = None,
        headers: Mapping[str, str] | None = None,
        environment_proxy: bool = True,
        max_idle: int = MAX_IDLE_CONNECTIONS,
    ) -> None:
        self._timeout = timeout
        self._total_timeout = total_timeout
        self._max_body_bytes = max_body_bytes
        self._ca_bundle = ca_bundle
        self._headers = dict(headers or {})
        self._environment_proxy = environment_proxy
        self._max_idle = max_idle
        self._lock = threading.Lock()
        self._routes: dict[tuple[str, str], tuple[Route, _Pool]] = {}
        self._tls: ssl.SSLContext | None = None
        self._closed = False

    @property
    def total_timeout(self) -> float:
        return self._total_timeout

    def exchange(
        self,
        method: str,
        url: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        careful: bool = False,
    ) -> Answer:
        """Send one request and read its answer; raises NetworkError, MaybeSent, BodyRefused.

        ``careful``: a request that must not be sent twice (a Cancel). An idle connection is
        always checked before it carries one, however recently it was used: a connection the
        server has just closed would turn the request into an outcome nobody knows."""
        parts = urlsplit(url)
        route, pool = self._route(parts.scheme.lower(), parts.netloc, url)
        target = parts.path or "/"
        if parts.query:
            target = f"{target}?{parts.query}"
        if route.proxy is not None and route.scheme == "http":
            target = f"http://{route.netloc}{target}"  # absolute form, for the proxy
        sent = {**self._headers, **headers} if headers else self._headers
        if route.proxy_headers and route.scheme == "http":
            sent = {**sent, **route.proxy_headers}
        connection = self._checkout(route, pool, careful)
        try:
            answer = self._send(connection, route, method, target, body, sent)
        except BaseException:
            connection.close()
            raise
        self._checkin(pool, connection)
        return answer

    def close(self) -> None:
        """Close the idle connections; one in use closes when its exchange ends."""
        with self._lock:
            routes, self._routes = self._routes, {}
            self._closed = True
        for _, pool in routes.values():
            for connection, _ in pool.idle:
                connection.close()
            pool.idle.clear()

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def connection_counts(self) -> tuple[int, int]:
        """(connections opened, idle connections kept) over every route, for tests and logs."""
        with self._lock:
            pools = [pool for _, pool in self._routes.values()]
            return sum(p.made for p in pools), sum(len(p.idle) for p in pools)

    # -- connections ----------------------------------------------------------------------------

    def _route(self, scheme: str, netloc: str, url: str) -> tuple[Route, _Pool]:
        key = (scheme, netloc)
        found = self._routes.get(key)
        if found is not None and not self._closed:
            return found
        with self._lock:
            if self._closed:
                raise InvalidInput("This connection has been closed.")
            found = self._routes.get(key)
            if found is None:
                found = (
                    route_for(url, environment_proxy=self._environment_proxy),
                    _Pool(self._max_idle),
                )
                self._routes[key] = found
        return found

    def _checkout(
        self, route: Route, pool: _Pool, careful: bool = False
    ) -> http.client.HTTPConnection:
        """An idle connection still open, or a new (not yet connected) one."""
        with self._lock:
            while pool.idle:
                connection, since = pool.idle.pop()
                sock = connection.sock
                recent = time.monotonic() - since < CHECK_IDLE_AFTER_S
                if sock is not None and recent and not careful:
                    return connection
                # Readable while idle means the server closed it (or sent junk): drop it.
                if sock is not None and not wait_for_read(sock, timeout=0.0):
                    return connection
                connection.close()
            pool.made += 1
        host, port = route.proxy or (route.host, route.port)
        if route.scheme != "https":
            return HTTPConnection(host, port, timeout=self._timeout[0])
        secure = HTTPSConnection(host, port, timeout=self._timeout[0], context=self._tls_context())
        if route.proxy is not None:
            secure.set_tunnel(route.host, route.port, headers=route.proxy_headers)
        return secure

    def _checkin(self, pool: _Pool, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            keep = (
                connection.sock is not None  # not closed (the server said Connection: close)
                and not self._closed
                and len(pool.idle) < pool.max_idle
            )
            if keep:
                pool.idle.append((connection, time.monotonic()))
        if not keep:
            connection.close()

    def _tls_context(self) -> ssl.SSLContext:
        """Verification always on: the profile's CA bundle, else the default one."""
        if self._tls is None:
            bundle = self._ca_bundle or default_ca_bundle(self._environment_proxy)
            try:
                context = ssl.create_default_context(cafile=bundle)
            except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
                raise NetworkError(
                    f"the CA bundle {bundle} could not be loaded ({reason(exc)}); nothing was sent",
                    kind="tls",
                ) from None
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            self._tls = context
        return self._tls

    # -- one exchange -----------------------------------------------------------------------

    def _send(
        self,
        connection: http.client.HTTPConnection,
        route: Route,
        method: str,
        target: str,
        body: bytes | None,
        headers: Mapping[str, str],
    ) -> Answer:
        host = route.netloc
        cut_off = f"no complete answer from {host} within {self._total_timeout:g} s; cut off"
        with Watchdog(self._total_timeout) as watchdog:
            watchdog.attach(connection)
            if connection.sock is None:
                self._connect(connection, host)
            try:
                connection.request(method, target, body, headers)
                response = connection.getresponse()
            except ValueError as exc:  # a bad URL or header, refused before sending
                raise NetworkError(f"the request could not be sent ({reason(exc)})") from None
            except (http.client.HTTPException, OSError) as exc:
                if watchdog.expired:
                    raise MaybeSent(cut_off, "timeout") from None
                if isinstance(exc, TimeoutError):
                    raise MaybeSent(
                        f"no answer from {host} within {self._timeout[1]:g} s", "timeout"
                    ) from None
                # Anything else may have happened after the request left.
                raise MaybeSent(
                    f"the exchange with {host} failed ({reason(exc)})", "network"
                ) from None
            try:
                data = self._read_body(response, host)
            except MaybeSent:
                if watchdog.expired:
                    raise MaybeSent(cut_off, "timeout") from None
                raise
            if watchdog.expired:  # the cut may look like a clean end of the body
                raise MaybeSent(cut_off, "timeout")
        if response.will_close:
            connection.close()
        return Answer(response.status, data, response.headers)

    def _connect(self, connection: http.client.HTTPConnection, host: str) -> None:
        """Open the connection (through the proxy's tunnel, TLS handshake included); a failure
        here means nothing was sent."""
        try:
            connection.connect()
        except ssl.SSLError as exc:
            raise NetworkError(
                f"the TLS certificate of {host} could not be verified ({reason(exc)})", kind="tls"
            ) from None
        except TimeoutError:
            raise NetworkError(
                f"could not connect to {host} within {self._timeout[0]:g} s; nothing was sent",
                kind="timeout",
            ) from None
        except (OSError, http.client.HTTPException, ValueError) as exc:
            raise NetworkError(
                f"could not connect to {host} ({reason(exc)}); nothing was sent"
            ) from None
        assert connection.sock is not None
        connection.sock.settimeout(self._timeout[1])

    def _read_body(self, response: http.client.HTTPResponse, host: str) -> bytes:
        """Read at most ``max_body_bytes`` (decoded); read1 returns each piece as it arrives,
        so the deadline is checked between receives even on a dripping body (and the
        watchdog cuts a receive that blocks)."""
        status = response.status
        declared = response.length  # Content-Length (None when chunked or absent)
        limit = self._max_body_bytes
        if declared is not None and declared > limit:
            raise BodyRefused(
                ProtocolError(
                    f"the answer declares {declared:,} bytes, more than the "
                    f"{limit:,}-byte limit; not read",
                    status,
                )
            )
        deadline = time.monotonic() + self._total_timeout
        decoder = _decoder(response.headers.get("Content-Encoding", ""))
        chunks: list[bytes] = []
        total = 0
        try:
            while True:
                if time.monotonic() > deadline:
                    raise MaybeSent(
                        f"no complete answer from {host} within {self._total_timeout:g} s; cut off",
                        "timeout",
                    )
                piece = response.read1(READ_SIZE)
                if not piece:
                    break
                if decoder is not None:
                    # At most one byte past the limit is ever inflated: a bomb stays small.
                    piece = decoder.decompress(piece, limit - total + 1)
                total += len(piece)
                if total > limit:
                    raise BodyRefused(
                        ProtocolError(
                            f"the answer is larger than the {limit:,}-byte limit; reading stopped",
                            status,
                        )
                    )
                chunks.append(piece)
                if response.length == 0:  # all of a known length arrived: do not ask again
                    break
        except TimeoutError:
            raise MaybeSent(
                f"the answer from {host} stopped arriving for {self._timeout[1]:g} s", "timeout"
            ) from None
        except (http.client.HTTPException, OSError, zlib.error) as exc:
            raise MaybeSent(
                f"the connection to {host} broke while reading the answer ({reason(exc)})",
                "network",
            ) from None
        if decoder is not None:  # all input was taken (else the cap was hit): only a little is left
            rest = decoder.flush()
            if total + len(rest) > limit:
                raise BodyRefused(
                    ProtocolError(f"the answer is larger than the {limit:,}-byte limit", status)
                )
            chunks.append(rest)
        response.close()
        return b"".join(chunks)


def _decoder(content_encoding: str) -> zlib._Decompress | None:
    """A decompressor for a gzip or deflate answer (the encodings the client accepts)."""
    encoding = content_encoding.strip().lower()
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj(zlib.MAX_WBITS)
    return None
