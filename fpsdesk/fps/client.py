"""The FPS 2008-09-17 client: signs, sends, reads a bounded answer and parses it.

Two rules shape this module:

* Reads (GetTransactionStatus, GetTransaction, VerifySignature, GetAccountActivity) are safe to
  repeat, so they retry on HTTP 500/503 and on transient FPS codes, as Amazon's SDKs do:
  before retry n (1..3) they sleep 4^n × 100 ms, or longer when Retry-After says so.
* State-changing actions (Cancel, Refund, Settle, Pay, Reserve) are never re-sent once the
  request may have reached the server. A read timeout, a reset after sending, a 5xx or an
  unreadable 2xx answer raises OutcomeUnknown carrying the transaction ID, and the caller
  reconciles by reading the status. Only failures that happen before a byte was sent (refused
  connection, DNS, connect timeout, TLS handshake) are plain NetworkErrors.

The answer is read in small pieces with a size cap and an overall deadline: requests' read
timeout is per receive call, so a server dripping a byte a second would otherwise hold a worker
thread forever.
"""

from __future__ import annotations

import contextlib
import email.utils
import heapq
import http.client
import logging
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

import requests
import requests.adapters
import urllib3.connection
import urllib3.connectionpool
import urllib3.exceptions
from urllib3.util.retry import Retry

from fpsdesk import __version__, logsetup
from fpsdesk.fps import xmlparse
from fpsdesk.fps.endpoints import environment_of, is_loopback_host, validate_endpoint
from fpsdesk.fps.errors import is_transient
from fpsdesk.fps.exceptions import (
    FpsError,
    InvalidInput,
    NetworkError,
    OutcomeUnknown,
    ProtocolError,
)
from fpsdesk.fps.ids import normalize_transaction_id
from fpsdesk.fps.models import (
    AccountActivity,
    ActionResult,
    TransactionDetail,
    TransactionStatus,
    TransactionStatusResult,
    VerifySignatureResult,
)
from fpsdesk.fps.signing import SIGNATURE_METHODS, SignatureMethod, percent_encode, sign_request

log = logging.getLogger(__name__)


def _redact_urllib3_logs() -> None:
    """urllib3 logs each request line, a GET's query string (and Signature) included.

    A filter on its logger, not only on fpsdesk's handlers, keeps the signature out whatever
    handler an embedding application or a test installs.
    """
    pool_log = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, logsetup.RedactingFilter) for f in pool_log.filters):
        pool_log.addFilter(logsetup.RedactingFilter())


_redact_urllib3_logs()

API_VERSION = "2008-09-17"
READ_ACTIONS = frozenset(
    {"GetTransactionStatus", "GetTransaction", "VerifySignature", "GetAccountActivity"}
)
DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 30.0)
MAX_RETRIES = 3
# FPS error codes that say the request was turned away before FPS acted on it, even with an
# HTTP 5xx status: a throttled Cancel did not happen, it is not an unknown outcome.
REFUSED_BEFORE_PROCESSING = frozenset({"RequestThrottled"})
RETRY_AFTER_CAP = 10.0
MAX_BODY_BYTES = xmlparse.MAX_BODY_BYTES
MAX_IDLE_SESSIONS = 4  # kept for reuse between exchanges; more are closed after use
_READ_SIZE = 64 * 1024
_FORM = "application/x-www-form-urlencoded; charset=utf-8"
_RETRY_STATUSES = frozenset({500, 503})
# requests errors raised while preparing a request, before any byte is sent.
_NOT_SENT = (
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
    requests.exceptions.InvalidHeader,
    requests.exceptions.URLRequired,
)

T = TypeVar("T")
Timeout = float | tuple[float, float]
HttpParameters = str | Mapping[str, str] | Iterable[tuple[str, str]]


def format_timestamp(moment: datetime) -> str:
    """UTC with milliseconds, as the Java SDK sends it: ``2009-10-06T09:14:58.796Z``."""
    if moment.tzinfo is None:
        raise ValueError("timestamp must be timezone-aware")
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _format_amount(amount: Decimal, what: str) -> str:
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        raise InvalidInput(f"{what} must be a positive amount, got {amount!r}.")
    return format(amount, "f")


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    body: bytes
    headers: Mapping[str, str]


class _MaybeSent(Exception):
    """Transport failure after the request may have left: unknown whether it was processed."""

    def __init__(self, detail: str, kind: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.kind = kind


class _BodyRefused(Exception):
    """The answer came but was not accepted (too large)."""

    def __init__(self, error: ProtocolError) -> None:
        super().__init__(str(error))
        self.error = error


def _normalize_timeout(timeout: Timeout) -> tuple[float, float]:
    pair = (timeout, timeout) if isinstance(timeout, int | float) else tuple(timeout)
    if len(pair) != 2:
        raise InvalidInput("timeout is a number of seconds or a (connect, read) pair.")
    connect, read = (float(pair[0]), float(pair[1]))
    if not (connect > 0 and read > 0):
        raise InvalidInput("Timeouts must be positive numbers of seconds.")
    return connect, read


def _check_key_text(value: str, what: str) -> str:
    """Refuse a key that cannot be signed with, saying what to fix and nothing of the key."""
    if not value or not value.strip():
        raise InvalidInput(f"The {what} is empty.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        # Bytes that were not UTF-8 (an environment variable, read with surrogate escapes).
        # The encoder's own message would show a byte of the secret and its position.
        from fpsdesk.envkeys import environment_variable_holding

        variable = environment_variable_holding(value)
        where = f"{variable} (the {what})" if variable else f"The {what}"
        raise InvalidInput(
            f"{where} is not valid text: it holds bytes that are not UTF-8. "
            f"Set it again to the {what} as plain text."
        ) from None
    if value != value.strip() or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise InvalidInput(f"The {what} contains spaces or control characters; paste it again.")
    return value


def _before_send(exc: requests.exceptions.ConnectionError) -> bool:
    """True when the connection was never established, so nothing can have been sent."""
    reason: object = exc.args[0] if exc.args else None
    if isinstance(reason, urllib3.exceptions.MaxRetryError):
        reason = reason.reason
    return isinstance(
        reason, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError
    )


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


def _reason(exc: BaseException) -> str:
    """A short, plain, secret-free reason from a requests/urllib3 exception chain."""
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


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent/bad."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())


class _Watchdog:
    """Cuts the socket of one exchange when its overall deadline passes.

    requests' read timeout applies to each receive, so a server that drips its headers or body
    a byte at a time would hold the calling thread for ever. The connection classes below attach
    themselves to the watchdog of the exchange running on their thread; on expiry the socket is
    shut down, the blocked receive returns, and the exchange fails as a timeout. One shared
    ``_DeadlineWatcher`` thread serves every exchange: a thread per request cost more than the
    request itself on loopback.
    """

    def __init__(self, seconds: float) -> None:
        self._lock = threading.Lock()
        self._connection: urllib3.connection.HTTPConnection | None = None
        self._seconds = seconds
        self.expired = False
        self.done = False

    def attach(self, connection: urllib3.connection.HTTPConnection) -> None:
        with self._lock:
            self._connection = connection
            expired = self.expired
        if expired:
            self._cut(connection)

    def expire(self) -> None:
        with self._lock:
            if self.done:
                return
            self.expired = True
            connection = self._connection
        if connection is not None:
            self._cut(connection)

    @staticmethod
    def _cut(connection: urllib3.connection.HTTPConnection) -> None:
        sock = connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> _Watchdog:
        _in_flight.watchdog = self
        _WATCHER.watch(self, time.monotonic() + self._seconds)
        return self

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            self.done = True
        _in_flight.watchdog = None


class _DeadlineWatcher:
    """One daemon thread that expires the watchdogs whose deadline has passed.

    Finished watchdogs are dropped lazily (when they reach the top of the heap, or in a sweep
    when many have piled up); the thread ends after a minute with nothing to watch.
    """

    _IDLE_EXIT_S = 60.0
    _SWEEP_AT = 512

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Watchdog]] = []
        self._sequence = 0
        self._thread: threading.Thread | None = None

    def watch(self, watchdog: _Watchdog, deadline: float) -> None:
        with self._cond:
            if len(self._heap) >= self._SWEEP_AT:
                self._heap = [entry for entry in self._heap if not entry[2].done]
                heapq.heapify(self._heap)
            self._sequence += 1
            heapq.heappush(self._heap, (deadline, self._sequence, watchdog))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="fpsdesk-fps-deadlines", daemon=True
                )
                self._thread.start()
            elif self._heap[0][2] is watchdog:
                self._cond.notify()

    def _run(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait(self._IDLE_EXIT_S)
                    if not self._heap:
                        self._thread = None
                        return
                    continue
                deadline = self._heap[0][0]
                now = time.monotonic()
                if now < deadline:
                    self._cond.wait(deadline - now)
                    continue
                _, _, watchdog = heapq.heappop(self._heap)
                watchdog.expire()


_WATCHER = _DeadlineWatcher()


_in_flight = threading.local()


def _attach_to_watchdog(connection: urllib3.connection.HTTPConnection) -> None:
    watchdog = getattr(_in_flight, "watchdog", None)
    if isinstance(watchdog, _Watchdog):
        watchdog.attach(connection)


class _WatchedHTTPConnection(urllib3.connection.HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _attach_to_watchdog(self)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(urllib3.connection.HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _attach_to_watchdog(self)
        super().request(*args, **kwargs)


class _WatchedHTTPPool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_WATCHED_POOLS: dict[str, type[urllib3.connectionpool.HTTPConnectionPool]] = {
    "http": _WatchedHTTPPool,
    "https": _WatchedHTTPSPool,
}


class _Adapter(requests.adapters.HTTPAdapter):
    """No automatic retries (a POST must never be re-sent below us) and watched connections."""

    def __init__(self) -> None:
        super().__init__(
            max_retries=Retry(
                total=0,
                connect=0,
                read=0,
                redirect=0,
                status=0,
                other=0,
                raise_on_redirect=False,
                raise_on_status=False,
            ),
            pool_connections=2,
            pool_maxsize=4,
        )

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_WATCHED_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> urllib3.PoolManager:
        """Behind an environment proxy (HTTPS_PROXY), requests makes a separate manager whose
        pools would not be watched; give an HTTP(S) proxy's manager the watched pools too.
        A SOCKS manager keeps its own pools (its connections carry the SOCKS handshake)."""
        manager = cast("urllib3.PoolManager", super().proxy_manager_for(proxy, **proxy_kwargs))
        if isinstance(manager, urllib3.ProxyManager):
            manager.pool_classes_by_scheme = dict(_WATCHED_POOLS)
        return manager


class FpsClient:
    """A thread-safe FPS client; one requests.Session per calling thread.

    ``sleep`` and ``clock`` are injectable so tests record the backoff and fix the Timestamp.
    ``total_timeout`` bounds a whole exchange (default: connect + read timeout).
    """

    def __init__(
        self,
        endpoint: str,
        access_key_id: str,
        secret_key: str,
        *,
        timeout: Timeout = DEFAULT_TIMEOUT,
        signature_method: SignatureMethod = "HmacSHA256",
        http_method: str = "POST",
        ca_bundle: str | None = None,
        max_retries: int = MAX_RETRIES,
        max_body_bytes: int = MAX_BODY_BYTES,
        total_timeout: float | None = None,
        retry_after_cap: float = RETRY_AFTER_CAP,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._endpoint = validate_endpoint(endpoint)
        self._access_key_id = _check_key_text(access_key_id, "access key ID")
        self._secret_key = _check_key_text(secret_key, "secret access key")
        logsetup.register_secret(secret_key)
        if signature_method not in SIGNATURE_METHODS:
            raise InvalidInput(
                f"SignatureMethod must be HmacSHA256 or HmacSHA1, not {signature_method!r}."
            )
        self._signature_method: SignatureMethod = signature_method
        method = http_method.upper()
        if method not in ("GET", "POST"):
            raise InvalidInput(f"http_method must be GET or POST, not {http_method!r}.")
        self._http_method = method
        self._timeout = _normalize_timeout(timeout)
        if ca_bundle is not None and not Path(ca_bundle).is_file():
            raise InvalidInput(f"The CA bundle {ca_bundle!r} is not a readable file.")
        self._verify: str | bool = ca_bundle if ca_bundle is not None else True
        if max_retries < 0:
            raise InvalidInput("max_retries cannot be negative.")
        self._max_retries = max_retries
        self._max_body_bytes = max_body_bytes
        self._total_timeout = total_timeout if total_timeout is not None else sum(self._timeout)
        self._retry_after_cap = retry_after_cap
        self._sleep = sleep
        self._clock = clock or (lambda: datetime.now(UTC))
        self._loopback = is_loopback_host(urlsplit(self._endpoint).hostname or "")
        self._idle: list[requests.Session] = []  # sessions no exchange is using now
        self._sessions_made = 0
        self._sessions_lock = threading.Lock()
        self._closed = False

    # -- public surface -------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        return self._endpoint

    @property
    def access_key_id(self) -> str:
        return self._access_key_id

    @property
    def environment(self) -> str:
        return environment_of(self._endpoint)

    @property
    def deadline_seconds(self) -> float:
        """The longest one HTTP exchange may take before it fails (a Cancel is one exchange)."""
        return self._total_timeout

    def cancel(self, transaction_id: str, description: str | None = None) -> ActionResult:
        """Cancel a Reserved or Pending transaction. Never retried: see the module docstring."""
        txid = normalize_transaction_id(transaction_id)
        params = {"TransactionId": txid}
        if description is not None:
            params["Description"] = description
        return self._call(
            "Cancel", params, lambda b, s: xmlparse.parse_action_result("Cancel", b, s), txid
        )

    def refund(
        self,
        transaction_id: str,
        caller_reference: str,
        amount: Decimal | None = None,
        *,
        currency: str = "USD",
        caller_description: str | None = None,
        marketplace_refund_policy: str | None = None,
    ) -> ActionResult:
        """Refund a completed Pay or Settle; the result is the new refund transaction."""
        txid = normalize_transaction_id(transaction_id)
        params = {"TransactionId": txid, "CallerReference": _reference(caller_reference)}
        if amount is not None:
            params["RefundAmount.Value"] = _format_amount(amount, "The refund amount")
            params["RefundAmount.CurrencyCode"] = currency
        if caller_description is not None:
            params["CallerDescription"] = caller_description
        if marketplace_refund_policy is not None:
            params["MarketplaceRefundPolicy"] = marketplace_refund_policy
        return self._call(
            "Refund", params, lambda b, s: xmlparse.parse_action_result("Refund", b, s), txid
        )

    def settle(
        self, reserve_transaction_id: str, amount: Decimal | None = None, *, currency: str = "USD"
    ) -> ActionResult:
        txid = normalize_transaction_id(reserve_transaction_id)
        params = {"ReserveTransactionId": txid}
        if amount is not None:
            params["TransactionAmount.Value"] = _format_amount(amount, "The settle amount")
            params["TransactionAmount.CurrencyCode"] = currency
        return self._call(
            "Settle", params, lambda b, s: xmlparse.parse_action_result("Settle", b, s), txid
        )

    def pay(
        self,
        sender_token_id: str,
        amount: Decimal,
        caller_reference: str,
        **options: str,
    ) -> ActionResult:
        """Pay; ``options`` are further FPS parameters by their FPS names (``ChargeFeeTo``…)."""
        return self._pay_or_reserve("Pay", sender_token_id, amount, caller_reference, options)

    def reserve(
        self,
        sender_token_id: str,
        amount: Decimal,
        caller_reference: str,
        **options: str,
    ) -> ActionResult:
        return self._pay_or_reserve("Reserve", sender_token_id, amount, caller_reference, options)

    def get_transaction_status(self, transaction_id: str) -> TransactionStatusResult:
        txid = normalize_transaction_id(transaction_id)
        return self._call(
            "GetTransactionStatus",
            {"TransactionId": txid},
            xmlparse.parse_transaction_status,
            txid,
        )

    def get_transaction(self, transaction_id: str) -> TransactionDetail:
        txid = normalize_transaction_id(transaction_id)
        return self._call(
            "GetTransaction", {"TransactionId": txid}, xmlparse.parse_transaction, txid
        )

    def verify_signature(
        self, url_endpoint: str, http_parameters: HttpParameters
    ) -> VerifySignatureResult:
        """Ask FPS whether an IPN or return-URL signature is genuine (spec §3.8).

        ``http_parameters`` is either the ready ``name=value&…`` string, or the received pairs,
        which are joined with RFC 3986 encoding (the whole string is encoded again on the wire).
        """
        if not url_endpoint.strip():
            raise InvalidInput("UrlEndPoint is empty.")
        if isinstance(http_parameters, str):
            joined = http_parameters
        else:
            items = (
                http_parameters.items() if isinstance(http_parameters, Mapping) else http_parameters
            )
            joined = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in items)
        return self._call(
            "VerifySignature",
            {"UrlEndPoint": url_endpoint, "HttpParameters": joined},
            xmlparse.parse_verify_signature,
            None,
        )

    def get_account_activity(
        self,
        start_date: datetime,
        end_date: datetime | None = None,
        *,
        max_batch_size: int | None = None,
        sort_order_by_date: str | None = None,
        fps_operation: str | None = None,
        payment_method: str | None = None,
        roles: Sequence[str] = (),
        transaction_status: TransactionStatus | str | None = None,
    ) -> AccountActivity:
        """One page of transactions by date; pass ``start_time_for_next_transaction`` back."""
        try:
            params = {"StartDate": format_timestamp(start_date)}
            if end_date is not None:
                params["EndDate"] = format_timestamp(end_date)
        except ValueError:
            raise InvalidInput("Dates for account activity must include a time zone.") from None
        if max_batch_size is not None:
            if max_batch_size <= 0:
                raise InvalidInput("MaxBatchSize must be a positive number.")
            params["MaxBatchSize"] = str(max_batch_size)
        if sort_order_by_date is not None:
            if sort_order_by_date not in ("Ascending", "Descending"):
                raise InvalidInput("SortOrderByDate is Ascending or Descending.")
            params["SortOrderByDate"] = sort_order_by_date
        if fps_operation is not None:
            params["FPSOperation"] = fps_operation
        if payment_method is not None:
            params["PaymentMethod"] = payment_method
        for index, role in enumerate(roles, start=1):
            params[f"Role.{index}"] = role
        if transaction_status is not None:
            params["TransactionStatus"] = (
                transaction_status.value
                if isinstance(transaction_status, TransactionStatus)
                else transaction_status
            )
        return self._call("GetAccountActivity", params, xmlparse.parse_account_activity, None)

    def close(self) -> None:
        """Close the idle sessions (one in use closes when its exchange ends). The client
        must not be used afterwards."""
        with self._sessions_lock:
            sessions, self._idle = self._idle, []
            self._closed = True
        for session in sessions:
            session.close()

    def __enter__(self) -> FpsClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:  # never shows the secret
        return f"FpsClient({self._endpoint!r}, access_key_id={self._access_key_id!r})"

    # -- internals ------------------------------------------------------------------------

    def _pay_or_reserve(
        self,
        action: str,
        sender_token_id: str,
        amount: Decimal,
        caller_reference: str,
        options: Mapping[str, str],
    ) -> ActionResult:
        if not sender_token_id.strip():
            raise InvalidInput("SenderTokenId is empty.")
        reference = _reference(caller_reference)
        params = {
            "SenderTokenId": sender_token_id.strip(),
            "TransactionAmount.Value": _format_amount(amount, "The amount"),
            "TransactionAmount.CurrencyCode": options.get("CurrencyCode", "USD"),
            "CallerReference": reference,
        }
        params.update({k: str(v) for k, v in options.items() if k != "CurrencyCode"})
        return self._call(
            action,
            params,
            lambda b, s: xmlparse.parse_action_result(action, b, s),
            f"CallerReference {reference}",
        )

    def _checkout(self) -> requests.Session:
        """A session for one exchange: an idle one (its keep-alive connection reused) or a
        new one. A session serves one exchange at a time (requests' sessions are not
        thread-safe); they belong to the client, not to a thread, because the app runs each
        job on a short-lived thread: a session per thread grew by a session and its
        connection pool (about 25 KB) with every look-up, for as long as the window stayed
        open."""
        with self._sessions_lock:
            if self._closed:
                raise InvalidInput("This FPS client has been closed.")
            if self._idle:
                return self._idle.pop()
            self._sessions_made += 1
        session = requests.Session()
        adapter = _Adapter()
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.headers["User-Agent"] = (
            f"fpsdesk/{__version__} (Language=Python; Platform={sys.platform})"
        )
        if self._loopback:
            # Never send the local sandbox's traffic through an environment proxy.
            session.trust_env = False
        return session

    def _checkin(self, session: requests.Session) -> None:
        with self._sessions_lock:
            keep = not self._closed and len(self._idle) < MAX_IDLE_SESSIONS
            if keep:
                self._idle.append(session)
        if not keep:
            session.close()

    def _call(
        self,
        action: str,
        params: Mapping[str, str],
        parse: Callable[[bytes, int | None], T],
        transaction_id: str | None,
    ) -> T:
        state_changing = action not in READ_ACTIONS
        subject = transaction_id or "the request"
        for name, value in params.items():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise InvalidInput(
                    f"{name} contains characters that cannot be sent (broken Unicode); retype it."
                ) from None
        attempt = 0
        while True:
            try:
                answer = self._exchange(action, params)
            except _MaybeSent as exc:
                if state_changing:
                    raise OutcomeUnknown(subject, action, exc.detail) from None
                raise NetworkError(exc.detail, kind=exc.kind) from None
            except _BodyRefused as exc:
                status = exc.error.http_status or 0
                if state_changing and not 300 <= status < 500:
                    raise OutcomeUnknown(subject, action, exc.error.detail) from None
                raise exc.error from None
            status = answer.status
            if 300 <= status < 400:
                location = answer.headers.get("Location", "")
                target = urlsplit(location).netloc or "another address"
                raise ProtocolError(
                    f"the endpoint redirected to {target[:80]}; redirects are not followed "
                    "(check the endpoint URL)",
                    status,
                )
            try:
                result = parse(answer.body, status)
            except FpsError as exc:
                exc.action = action  # type: ignore[attr-defined]
                if state_changing:
                    if status >= 500 and exc.code not in REFUSED_BEFORE_PROCESSING:
                        raise OutcomeUnknown(
                            subject, action, f"HTTP {status} {exc.code}: {exc.message[:120]}"
                        ) from None
                    raise
                if attempt < self._max_retries and (
                    status in _RETRY_STATUSES or is_transient(exc.code)
                ):
                    attempt += 1
                    self._backoff(action, attempt, answer)
                    continue
                raise
            except ProtocolError as exc:
                if state_changing and (status >= 500 or 200 <= status < 300):
                    raise OutcomeUnknown(subject, action, f"unusable answer: {exc}") from None
                if not state_changing and status in _RETRY_STATUSES and attempt < self._max_retries:
                    attempt += 1
                    self._backoff(action, attempt, answer)
                    continue
                raise
            if status != 200:
                if state_changing and status >= 500:
                    raise OutcomeUnknown(subject, action, f"HTTP {status} with a success body")
                if (
                    not state_changing
                    and status in _RETRY_STATUSES
                    and (attempt < self._max_retries)
                ):
                    attempt += 1
                    self._backoff(action, attempt, answer)
                    continue
                raise ProtocolError(
                    f"the endpoint answered HTTP {status} with a success document", status
                )
            return result

    def _backoff(self, action: str, attempt: int, answer: _Answer) -> None:
        delay = 0.1 * (4**attempt)
        retry_after = parse_retry_after(answer.headers.get("Retry-After"))
        if retry_after is not None:
            delay = max(delay, min(retry_after, self._retry_after_cap))
        log.info(
            "FPS %s answered HTTP %s; retry %d of %d in %.1f s",
            action,
            answer.status,
            attempt,
            self._max_retries,
            delay,
        )
        self._sleep(delay)

    def _exchange(self, action: str, params: Mapping[str, str]) -> _Answer:
        """One HTTP exchange; raises NetworkError (not sent), _MaybeSent or _BodyRefused."""
        signed = sign_request(
            {"Action": action, "Version": API_VERSION, **params},
            method=self._http_method,
            url=self._endpoint,
            access_key_id=self._access_key_id,
            secret_key=self._secret_key,
            timestamp=format_timestamp(self._clock()),
            signature_method=self._signature_method,
        )
        encoded = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in signed.items())
        if log.isEnabledFor(logging.DEBUG):
            shown = {k: ("[REDACTED]" if k == "Signature" else v) for k, v in signed.items()}
            log.debug("FPS request %s %s %s", self._http_method, self._endpoint, shown)
        session = self._checkout()
        try:
            return self._send(session, action, encoded)
        finally:
            self._checkin(session)

    def _send(self, session: requests.Session, action: str, encoded: str) -> _Answer:
        """Send the signed form and read the answer within the time limits."""
        options: dict[str, Any] = {
            "timeout": self._timeout,
            "allow_redirects": False,
            "stream": True,
            "verify": self._verify,
        }
        deadline = time.monotonic() + self._total_timeout
        host = urlsplit(self._endpoint).netloc
        cut_off = f"no complete answer from {host} within {self._total_timeout:g} s; cut off"
        with _Watchdog(self._total_timeout) as watchdog:
            try:
                if self._http_method == "GET":
                    response = session.get(f"{self._endpoint}?{encoded}", **options)
                else:
                    response = session.post(
                        self._endpoint,
                        data=encoded.encode("ascii"),
                        headers={"Content-Type": _FORM},
                        **options,
                    )
            except requests.exceptions.SSLError as exc:
                raise NetworkError(
                    f"the TLS certificate of {host} could not be verified ({_reason(exc)})",
                    kind="tls",
                ) from None
            except requests.exceptions.ConnectTimeout:
                raise NetworkError(
                    f"could not connect to {host} within {self._timeout[0]:g} s; nothing was sent",
                    kind="timeout",
                ) from None
            except requests.exceptions.ReadTimeout:
                raise _MaybeSent(
                    f"no answer from {host} within {self._timeout[1]:g} s", "timeout"
                ) from None
            except requests.exceptions.ConnectionError as exc:
                if _before_send(exc):
                    raise NetworkError(
                        f"could not connect to {host} ({_reason(exc)}); nothing was sent"
                    ) from None
                if watchdog.expired:
                    raise _MaybeSent(cut_off, "timeout") from None
                raise _MaybeSent(
                    f"the connection to {host} failed ({_reason(exc)})", "network"
                ) from None
            except _NOT_SENT as exc:
                raise NetworkError(f"the request could not be sent ({_reason(exc)})") from None
            except (
                requests.exceptions.RequestException,
                urllib3.exceptions.HTTPError,
                http.client.HTTPException,
                OSError,
            ) as exc:
                # Anything else may have happened after the request left.
                if watchdog.expired:
                    raise _MaybeSent(cut_off, "timeout") from None
                raise _MaybeSent(
                    f"the exchange with {host} failed ({_reason(exc)})", "network"
                ) from None
            with response:
                try:
                    body = self._read_body(response, deadline, host)
                except _MaybeSent:
                    if watchdog.expired:
                        raise _MaybeSent(cut_off, "timeout") from None
                    raise
            if watchdog.expired:  # the cut may look like a clean end of the body
                raise _MaybeSent(cut_off, "timeout")
        log.debug("FPS %s answered HTTP %s, %d bytes", action, response.status_code, len(body))
        return _Answer(response.status_code, body, response.headers)

    def _read_body(self, response: requests.Response, deadline: float, host: str) -> bytes:
        """Read at most ``max_body_bytes`` before ``deadline``; read1 returns each piece as it
        arrives, so the deadline is checked between receives even on a dripping body."""
        status = response.status_code
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self._max_body_bytes:
            raise _BodyRefused(
                ProtocolError(
                    f"the answer declares {int(declared):,} bytes, more than the "
                    f"{self._max_body_bytes:,}-byte limit; not read",
                    status,
                )
            )
        raw = response.raw
        chunks: list[bytes] = []
        total = 0
        # With an identity body of known length, stop when it has all arrived instead of
        # asking once more for the end (one urllib3 call less per exchange).
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        expected = int(declared) if declared.isdigit() and encoding == "identity" else None
        try:
            while True:
                if time.monotonic() > deadline:
                    raise _MaybeSent(
                        f"no complete answer from {host} within {self._total_timeout:g} s; cut off",
                        "timeout",
                    )
                piece = raw.read1(_READ_SIZE, decode_content=True)
                if not piece:
                    break
                total += len(piece)
                if total > self._max_body_bytes:
                    raise _BodyRefused(
                        ProtocolError(
                            f"the answer is larger than the {self._max_body_bytes:,}-byte limit; "
                            "reading stopped",
                            status,
                        )
                    )
                chunks.append(piece)
                if expected is not None and total >= expected:
                    break
        except (urllib3.exceptions.ReadTimeoutError, TimeoutError):
            raise _MaybeSent(
                f"the answer from {host} stopped arriving for {self._timeout[1]:g} s", "timeout"
            ) from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise _MaybeSent(
                f"the connection to {host} broke while reading the answer ({_reason(exc)})",
                "network",
            ) from None
        return b"".join(chunks)


def _reference(caller_reference: str) -> str:
    reference = caller_reference.strip()
    if not reference:
        raise InvalidInput("CallerReference is empty.")
    if len(reference.encode("utf-8")) > 128:
        raise InvalidInput("CallerReference is longer than 128 bytes.")
    return reference
