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

The standard library's ``http.client`` connections open the sockets (proxy tunnel and TLS
handshake included); :mod:`fpsdesk.fps.wire` writes each request and parses its answer. They
are kept alive between exchanges: at most ``max_idle`` idle connections per host, checked out
for one exchange and back in after it, so a client shared by many short-lived threads holds a
bounded number of sockets (and a connection is never used by two threads at once). requests,
urllib3 and http.client's own request and answer handling cost more than the server on
loopback (docs/client.md). A loopback host is always reached
directly; other hosts go through the environment's proxy (HTTPS_PROXY, NO_PROXY: an HTTP
proxy, tunnelled with CONNECT for https), as requests would.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from urllib3.util.wait import wait_for_read

from fpsdesk import logsetup
from fpsdesk.fps import wire
from fpsdesk.fps.connections import Route, default_ca_bundle, route_for
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
    headers: wire.Headers  # case-insensitive names


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
        wire.check_request("/", self._headers)  # a bad constant header fails here, not per call
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
        try:
            wire.check_request(target, headers or {})
            request = wire.request_bytes(method, target, route.host_header, sent, body)
        except (ValueError, UnicodeEncodeError) as exc:  # refused before anything was sent
            raise NetworkError(f"the request could not be sent ({reason(exc)})") from None
        connection = self._checkout(route, pool, careful)
        try:
            answer, keep = self._send(connection, route, request)
        except BaseException:
            connection.close()
            raise
        if not keep:
            connection.close()
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
            return http.client.HTTPConnection(host, port, timeout=self._timeout[0])
        secure = http.client.HTTPSConnection(
            host, port, timeout=self._timeout[0], context=self._tls_context()
        )
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
        self, connection: http.client.HTTPConnection, route: Route, request: bytes
    ) -> tuple[Answer, bool]:
        """One exchange on ``connection``: (the answer, keep the connection?)."""
        host = route.netloc
        with Watchdog(self._total_timeout) as watchdog:
            watchdog.attach(connection)
            if connection.sock is None:
                self._connect(connection, host)
            assert connection.sock is not None
            try:
                status, headers, body, keep = wire.exchange(
                    connection.sock,
                    request,
                    limit=self._max_body_bytes,
                    deadline=time.monotonic() + self._total_timeout,
                )
            except wire.WireError as exc:
                if watchdog.expired:
                    raise self._cut_off(host) from None
                raise self._failure(exc, host) from None
            except wire.Oversize as exc:
                raise BodyRefused(self._refusal(exc)) from None
            if watchdog.expired:  # the cut may look like a clean end of the body
                raise self._cut_off(host)
        return Answer(status, body, headers), keep

    def _cut_off(self, host: str) -> MaybeSent:
        return MaybeSent(
            f"no complete answer from {host} within {self._total_timeout:g} s; cut off", "timeout"
        )

    def _failure(self, exc: wire.WireError, host: str) -> MaybeSent:
        """What a failed exchange means to the caller; the request may have left in every case
        (even a failed send may have sent part of it)."""
        if exc.kind == "deadline":
            return self._cut_off(host)
        detail = exc.detail or reason(exc.__cause__ or exc)
        read_timeout = self._timeout[1]
        if exc.stage == "body":
            if exc.kind == "timeout":
                return MaybeSent(
                    f"the answer from {host} stopped arriving for {read_timeout:g} s", "timeout"
                )
            return MaybeSent(
                f"the connection to {host} broke while reading the answer ({detail})", "network"
            )
        if exc.kind == "timeout":
            return MaybeSent(f"no answer from {host} within {read_timeout:g} s", "timeout")
        return MaybeSent(f"the exchange with {host} failed ({detail})", "network")

    def _refusal(self, exc: wire.Oversize) -> ProtocolError:
        limit = self._max_body_bytes
        if exc.declared is not None and exc.declared > limit:
            return ProtocolError(
                f"the answer declares {exc.declared:,} bytes, more than the "
                f"{limit:,}-byte limit; not read",
                exc.status,
            )
        return ProtocolError(
            f"the answer is larger than the {limit:,}-byte limit; reading stopped", exc.status
        )

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
