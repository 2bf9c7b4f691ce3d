"""The FPS 2008-09-17 client: per-action parameters, signed and sent through the transport.

What happens on the wire (redirects refused, TLS verified, size cap, overall deadline, which
failures can have reached the server) is :mod:`fpsdesk.fps.transport`'s; whether to retry, raise
or report an unknown outcome is :func:`fpsdesk.fps.retry.decide`'s. Reads are retried on HTTP
500/503 and transient FPS codes; state-changing actions (Cancel, Refund, Settle, Pay, Reserve)
are never re-sent once they may have reached FPS: the caller gets OutcomeUnknown and reconciles
by reading the status.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from fpsdesk import __version__, logsetup
from fpsdesk.fps import xmlparse
from fpsdesk.fps.endpoints import environment_of, validate_endpoint
from fpsdesk.fps.exceptions import FpsError, InvalidInput, OutcomeUnknown, ProtocolError
from fpsdesk.fps.ids import normalize_transaction_id
from fpsdesk.fps.models import (
    AccountActivity,
    ActionResult,
    TransactionDetail,
    TransactionStatus,
    TransactionStatusResult,
    VerifySignatureResult,
)
from fpsdesk.fps.retry import (
    MAX_RETRIES,
    RETRY_AFTER_CAP,
    Failure,
    Verdict,
    backoff_delay,
    decide,
    parse_retry_after,
)
from fpsdesk.fps.signing import SIGNATURE_METHODS, QuerySigner, SignatureMethod, percent_encode
from fpsdesk.fps.transport import Answer, BodyRefused, MaybeSent, Transport

log = logging.getLogger(__name__)

__all__ = ["MAX_RETRIES", "FpsClient", "format_timestamp", "parse_retry_after"]

API_VERSION = "2008-09-17"
READ_ACTIONS = frozenset(
    {"GetTransactionStatus", "GetTransaction", "VerifySignature", "GetAccountActivity"}
)
DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 30.0)
MAX_BODY_BYTES = xmlparse.MAX_BODY_BYTES
_FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}

T = TypeVar("T")
Timeout = float | tuple[float, float]
HttpParameters = str | Mapping[str, str] | Iterable[tuple[str, str]]


def format_timestamp(moment: datetime) -> str:
    """UTC with milliseconds, as the Java SDK sends it: ``2009-10-06T09:14:58.796Z``."""
    if moment.tzinfo is None:
        raise ValueError("timestamp must be timezone-aware")
    u = moment.astimezone(UTC)
    # Formatted by hand: strftime took a tenth of the client's own time per request.
    return (
        f"{u.year:04d}-{u.month:02d}-{u.day:02d}T"
        f"{u.hour:02d}:{u.minute:02d}:{u.second:02d}.{u.microsecond // 1000:03d}Z"
    )


def _format_amount(amount: Decimal, what: str) -> str:
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        raise InvalidInput(f"{what} must be a positive amount, got {amount!r}.")
    return format(amount, "f")


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


class FpsClient:
    """A thread-safe FPS client; its transport keeps a few keep-alive connections for all threads.

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
        if max_retries < 0:
            raise InvalidInput("max_retries cannot be negative.")
        self._max_retries = max_retries
        self._total_timeout = total_timeout if total_timeout is not None else sum(self._timeout)
        self._retry_after_cap = retry_after_cap
        self._sleep = sleep
        self._clock = clock or (lambda: datetime.now(UTC))
        self._signer = QuerySigner(
            method=method,
            url=self._endpoint,
            access_key_id=self._access_key_id,
            secret_key=self._secret_key,
            signature_method=signature_method,
        )
        self._transport = Transport(
            timeout=self._timeout,
            total_timeout=self._total_timeout,
            max_body_bytes=max_body_bytes,
            ca_bundle=ca_bundle,
            headers={
                "User-Agent": f"fpsdesk/{__version__} (Language=Python; Platform={sys.platform})",
                "Accept-Encoding": "gzip, deflate",
            },
        )

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
        """Close the idle connections (one in use closes when its exchange ends). The client
        must not be used afterwards."""
        self._transport.close()

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

    def _call(
        self,
        action: str,
        params: Mapping[str, str],
        parse: Callable[[bytes, int | None], T],
        transaction_id: str | None,
    ) -> T:
        """Send until :func:`~fpsdesk.fps.retry.decide` says to return or raise."""
        _check_sendable(params)
        state_changing = action not in READ_ACTIONS
        attempt = 0
        while True:
            answer, result, failure = self._attempt(action, params, parse)
            status = answer.status if answer is not None else _refused_status(failure)
            decision = decide(state_changing, status, failure, attempt, self._max_retries)
            if decision.verdict is Verdict.RETURN:
                return result  # type: ignore[return-value]  # RETURN only with a parsed result
            if decision.verdict is Verdict.RETRY:
                attempt += 1
                self._backoff(action, attempt, answer)
                continue
            if decision.verdict is Verdict.UNKNOWN:
                raise OutcomeUnknown(transaction_id or "the request", action, decision.detail)
            assert decision.error is not None
            raise decision.error

    def _attempt(
        self, action: str, params: Mapping[str, str], parse: Callable[[bytes, int | None], T]
    ) -> tuple[Answer | None, T | None, Failure | None]:
        """One exchange and its parse: (answer, result, what went wrong)."""
        try:
            answer = self._exchange(action, params)
        except (MaybeSent, BodyRefused) as exc:
            return None, None, exc
        if 300 <= answer.status < 400:
            target = urlsplit(answer.headers.get("Location", "")).netloc or "another address"
            raise ProtocolError(
                f"the endpoint redirected to {target[:80]}; redirects are not followed "
                "(check the endpoint URL)",
                answer.status,
            )
        try:
            return answer, parse(answer.body, answer.status), None
        except FpsError as exc:
            exc.action = action  # type: ignore[attr-defined]
            return answer, None, exc
        except ProtocolError as exc:
            return answer, None, exc

    def _backoff(self, action: str, attempt: int, answer: Answer | None) -> None:
        retry_after = parse_retry_after(answer.headers.get("Retry-After")) if answer else None
        delay = backoff_delay(attempt, retry_after, self._retry_after_cap)
        log.info(
            "FPS %s answered HTTP %s; retry %d of %d in %.1f s",
            action,
            answer.status if answer is not None else "-",
            attempt,
            self._max_retries,
            delay,
        )
        self._sleep(delay)

    def _exchange(self, action: str, params: Mapping[str, str]) -> Answer:
        """Sign and send one request; raises NetworkError (not sent), MaybeSent, BodyRefused."""
        encoded = self._signer.sign(
            {"Action": action, "Version": API_VERSION, **params}, format_timestamp(self._clock())
        )
        if log.isEnabledFor(logging.DEBUG):
            shown = {k: v for k, _, v in (p.partition("=") for p in encoded.split("&"))}
            shown["Signature"] = "[REDACTED]"
            log.debug("FPS request %s %s %s", self._http_method, self._endpoint, shown)
        careful = action not in READ_ACTIONS  # never on a connection not checked just now
        if self._http_method == "GET":
            answer = self._transport.exchange("GET", f"{self._endpoint}?{encoded}", careful=careful)
        else:
            answer = self._transport.exchange(
                "POST", self._endpoint, encoded.encode("ascii"), _FORM_HEADERS, careful=careful
            )
        if log.isEnabledFor(logging.DEBUG):
            log.debug("FPS %s answered HTTP %s, %d bytes", action, answer.status, len(answer.body))
        return answer


def _check_sendable(params: Mapping[str, str]) -> None:
    for name, value in params.items():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidInput(
                f"{name} contains characters that cannot be sent (broken Unicode); retype it."
            ) from None


def _refused_status(failure: Failure | None) -> int | None:
    return failure.error.http_status if isinstance(failure, BodyRefused) else None


def _reference(caller_reference: str) -> str:
    reference = caller_reference.strip()
    if not reference:
        raise InvalidInput("CallerReference is empty.")
    if len(reference.encode("utf-8")) > 128:
        raise InvalidInput("CallerReference is longer than 128 bytes.")
    return reference
