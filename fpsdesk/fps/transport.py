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

It sends through urllib3 (requests' own transport) with keep-alive pools of a few connections:
a pool keeps at most ``max_idle`` idle connections, so a client shared by many short-lived
threads holds a bounded number of sockets. A loopback host is always reached directly; other
hosts go through the environment's proxy (HTTPS_PROXY, NO_PROXY), as requests would.
"""

from __future__ import annotations

import http.client
import logging
import os
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests.utils
import urllib3
import urllib3.connectionpool
import urllib3.exceptions
from urllib3.util import Timeout as Urllib3Timeout

from fpsdesk import logsetup
from fpsdesk.fps.deadline import WATCHED_POOLS, Watchdog
from fpsdesk.fps.endpoints import is_loopback_host
from fpsdesk.fps.exceptions import InvalidInput, NetworkError, ProtocolError

log = logging.getLogger(__name__)
_Manager = urllib3.PoolManager


def _redact_urllib3_logs() -> None:
    """urllib3 logs each request line, a GET's query string (and Signature) included.

    A filter on its logger, not only on fpsdesk's handlers, keeps the signature out whatever
    handler an embedding application or a test installs.
    """
    pool_log = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, logsetup.RedactingFilter) for f in pool_log.filters):
        pool_log.addFilter(logsetup.RedactingFilter())


_redact_urllib3_logs()

MAX_IDLE_CONNECTIONS = 4  # per host, kept for reuse between exchanges; more are closed after use
READ_SIZE = 64 * 1024


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP answer read whole (within the cap and the deadline)."""

    status: int
    body: bytes
    headers: Mapping[str, str]


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
    """``exc`` and the exceptions it wraps (args, MaxRetryError.reason, cause), outermost first."""
    found: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in found and len(found) < 10:
        found.append(current)
        following: BaseException | None = None
        if isinstance(current, urllib3.exceptions.MaxRetryError) and current.reason is not None:
            following = current.reason
        else:
            for arg in reversed(current.args):
                if isinstance(arg, BaseException):
                    following = arg
                    break
        current = following or current.__cause__ or current.__context__
    return found


def reason(exc: BaseException) -> str:
    """A short, plain, secret-free reason from a urllib3/socket exception chain."""
    chain = _chain(exc)
    for inner in reversed(chain):
        if isinstance(inner, urllib3.exceptions.NameResolutionError | socket.gaierror):
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


def _never_connected(exc: BaseException) -> bool:
    """True when the connection (to the host or the proxy) was never established."""
    return any(isinstance(inner, urllib3.exceptions.NewConnectionError) for inner in _chain(exc))


def _connect_timed_out(exc: BaseException) -> bool:
    return any(
        isinstance(inner, urllib3.exceptions.ConnectTimeoutError)
        and not isinstance(inner, urllib3.exceptions.NewConnectionError)
        for inner in _chain(exc)
    )


# What sending and waiting for the head can raise (ValueError: a bad URL or header).
_SEND_FAILURES = (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError, ValueError)


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
        self._urllib3_timeout = Urllib3Timeout(connect=timeout[0], read=timeout[1])
        self._total_timeout = total_timeout
        self._max_body_bytes = max_body_bytes
        self._ca_bundle = ca_bundle
        self._headers = dict(headers or {})
        self._environment_proxy = environment_proxy
        self._max_idle = max_idle
        self._lock = threading.Lock()
        # origin -> (the pool for a direct origin or None, the manager that owns it)
        self._routes: dict[tuple[str, str], tuple[urllib3.HTTPConnectionPool | None, _Manager]] = {}
        self._managers: list[_Manager] = []
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
    ) -> Answer:
        """Send one request and read its answer; raises NetworkError, MaybeSent, BodyRefused."""
        parts = urlsplit(url)
        host = parts.netloc
        pool, manager = self._route(parts.scheme.lower(), host, url)
        sent_headers = {**self._headers, **headers} if headers else self._headers
        target = parts.path or "/"
        if parts.query:
            target = f"{target}?{parts.query}"
        cut_off = f"no complete answer from {host} within {self._total_timeout:g} s; cut off"
        with Watchdog(self._total_timeout) as watchdog:
            try:
                options: dict[str, Any] = {
                    "body": body,
                    "headers": sent_headers,
                    "retries": False,
                    "redirect": False,
                    "preload_content": False,
                    "timeout": self._urllib3_timeout,
                }
                if pool is not None:
                    response = pool.urlopen(method, target, assert_same_host=False, **options)
                else:
                    response = manager.urlopen(method, url, **options)
            except _SEND_FAILURES as exc:
                raise self._classify(exc, host, watchdog, cut_off) from None
            try:
                data = self._read_body(response, host)
            except MaybeSent:
                response.close()
                if watchdog.expired:
                    raise MaybeSent(cut_off, "timeout") from None
                raise
            except BaseException:
                response.close()
                raise
            finally:
                response.release_conn()
            if watchdog.expired:  # the cut may look like a clean end of the body
                raise MaybeSent(cut_off, "timeout")
        return Answer(response.status, data, response.headers)

    def close(self) -> None:
        """Close the idle connections; one in use closes when its exchange ends."""
        with self._lock:
            managers, self._managers, self._routes = self._managers, [], {}
            self._closed = True
        for manager in managers:
            manager.clear()

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def connection_counts(self) -> tuple[int, int]:
        """(connections opened, idle connections kept) over every pool, for tests and logs."""
        with self._lock:
            pools = [pool for pool, _ in self._routes.values() if pool is not None]
        made = sum(pool.num_connections for pool in pools)
        idle = sum(
            1 for pool in pools if pool.pool is not None for conn in list(pool.pool.queue) if conn
        )
        return made, idle

    # -- internals ----------------------------------------------------------------------------

    def _route(
        self, scheme: str, host: str, url: str
    ) -> tuple[urllib3.HTTPConnectionPool | None, _Manager]:
        key = (scheme, host)
        route = self._routes.get(key)
        if route is not None:
            return route
        with self._lock:
            if self._closed:
                raise InvalidInput("This connection has been closed.")
            route = self._routes.get(key)
            if route is None:
                route = self._new_route(url)
                self._routes[key] = route
        return route

    def _new_route(self, url: str) -> tuple[urllib3.HTTPConnectionPool | None, _Manager]:
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise NetworkError(f"the request could not be sent ({url[:80]!r} is not an http URL)")
        direct = not self._environment_proxy or is_loopback_host(parts.hostname)
        proxy = None if direct else _environment_proxy_for(url)
        manager = self._manager(proxy, use_environment=not direct)
        self._managers.append(manager)
        if proxy is not None:
            return None, manager
        try:
            pool = manager.connection_from_url(url)
        except (urllib3.exceptions.LocationValueError, ValueError) as exc:
            raise NetworkError(f"the request could not be sent ({reason(exc)})") from None
        return pool, manager

    def _manager(self, proxy: str | None, *, use_environment: bool) -> _Manager:
        ca_bundle = self._ca_bundle or _default_ca_bundle(use_environment)
        tls: dict[str, Any] = {"cert_reqs": "CERT_REQUIRED", "ca_certs": ca_bundle}
        common: dict[str, Any] = {"num_pools": 4, "maxsize": self._max_idle, "block": False, **tls}
        if proxy is None:
            manager: _Manager = urllib3.PoolManager(**common)
        elif proxy.lower().startswith("socks"):
            try:
                from urllib3.contrib.socks import SOCKSProxyManager
            except ImportError:
                raise NetworkError(
                    "a SOCKS proxy is set in the environment, but SOCKS support (PySocks) is not "
                    "installed; nothing was sent"
                ) from None
            # A SOCKS manager keeps its own pools: its connections carry the SOCKS handshake.
            return SOCKSProxyManager(proxy, **common)
        else:
            user, password = requests.utils.get_auth_from_url(proxy)
            proxy_headers = (
                urllib3.make_headers(proxy_basic_auth=f"{user}:{password}") if user else None
            )
            manager = urllib3.ProxyManager(proxy, proxy_headers=proxy_headers, **common)
        manager.pool_classes_by_scheme = dict(WATCHED_POOLS)
        return manager

    def _classify(
        self, exc: Exception, host: str, watchdog: Watchdog, cut_off: str
    ) -> NetworkError | MaybeSent:
        """The client's error type for a failure while sending or waiting for the head."""
        if isinstance(exc, urllib3.exceptions.SSLError):
            return NetworkError(
                f"the TLS certificate of {host} could not be verified ({reason(exc)})", kind="tls"
            )
        if _never_connected(exc):
            return NetworkError(f"could not connect to {host} ({reason(exc)}); nothing was sent")
        if _connect_timed_out(exc):
            return NetworkError(
                f"could not connect to {host} within {self._timeout[0]:g} s; nothing was sent",
                kind="timeout",
            )
        if isinstance(exc, ValueError):  # a bad URL or header, refused before sending
            return NetworkError(f"the request could not be sent ({reason(exc)})")
        if watchdog.expired:
            return MaybeSent(cut_off, "timeout")
        if isinstance(exc, urllib3.exceptions.ReadTimeoutError | TimeoutError):
            return MaybeSent(f"no answer from {host} within {self._timeout[1]:g} s", "timeout")
        # Anything else may have happened after the request left.
        return MaybeSent(f"the exchange with {host} failed ({reason(exc)})", "network")

    def _read_body(self, response: urllib3.BaseHTTPResponse, host: str) -> bytes:
        """Read at most ``max_body_bytes``; read1 returns each piece as it arrives, so the
        deadline is checked between receives even on a dripping body (and the watchdog cuts
        a receive that blocks)."""
        status = response.status
        declared = response.headers.get("Content-Length", "")
        limit = self._max_body_bytes
        if declared.isdigit() and int(declared) > limit:
            raise BodyRefused(
                ProtocolError(
                    f"the answer declares {int(declared):,} bytes, more than the "
                    f"{limit:,}-byte limit; not read",
                    status,
                )
            )
        deadline = time.monotonic() + self._total_timeout
        chunks: list[bytes] = []
        total = 0
        # With an identity body of known length, stop when it has all arrived instead of
        # asking once more for the end (one urllib3 call less per exchange).
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        expected = int(declared) if declared.isdigit() and encoding == "identity" else None
        try:
            while True:
                if time.monotonic() > deadline:
                    raise MaybeSent(
                        f"no complete answer from {host} within {self._total_timeout:g} s; cut off",
                        "timeout",
                    )
                piece = response.read1(READ_SIZE, decode_content=True)
                if not piece:
                    break
                total += len(piece)
                if total > limit:
                    raise BodyRefused(
                        ProtocolError(
                            f"the answer is larger than the {limit:,}-byte limit; reading stopped",
                            status,
                        )
                    )
                chunks.append(piece)
                if expected is not None and total >= expected:
                    break
        except (urllib3.exceptions.ReadTimeoutError, TimeoutError):
            raise MaybeSent(
                f"the answer from {host} stopped arriving for {self._timeout[1]:g} s", "timeout"
            ) from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise MaybeSent(
                f"the connection to {host} broke while reading the answer ({reason(exc)})",
                "network",
            ) from None
        return b"".join(chunks)


def _default_ca_bundle(use_environment: bool) -> str:
    """The CA bundle requests would use: REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE (unless the host
    is reached directly, like a loopback sandbox), else certifi's."""
    if use_environment:
        named = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if named:
            return named
    return requests.utils.DEFAULT_CA_BUNDLE_PATH


def _environment_proxy_for(url: str) -> str | None:
    """The proxy the environment sets for ``url`` (NO_PROXY honoured), as requests finds it."""
    proxies = requests.utils.get_environ_proxies(url)
    return requests.utils.select_proxy(url, proxies) if proxies else None
