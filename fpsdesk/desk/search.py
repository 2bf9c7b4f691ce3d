"""Finding transactions without their ID: by date, status, operation, payment method, text.

FPS's only search is GetAccountActivity: transactions received in a date range, a page at a
time. The searcher pages through it newest first and filters here, so every page read can be
kept (fpsdesk/store/activity.py) and a repeat or narrower search over a period already read
completely answers at once, reading FPS only for what is missing (typically the minutes since
the last search). Choices, written down in docs/ui.md:

- Pages are read **unfiltered** (status, operation and method are filtered here): a page then
  serves every later search over its period, and the filters cost nothing to change.
- Free text matches the caller reference (the order number), the description, the sender's,
  recipient's and caller's names, the transaction ID and the amount. FPS's activity has no
  e-mails: a text with ``@`` is matched against e-mails from the IPNs already received and from
  transaction details, which the searcher reads (a few at a time) for transactions in the
  period whose e-mails it does not know yet, up to ``MAX_DETAIL_READS``.
- An amount is exact (``49.95``) or a range (``10-50``, ``10..50``, ``>100``, ``<20``).
- RequestThrottled and 503 slow the search down (backoff up to a minute), they do not end it.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Protocol

from fpsdesk.fps.endpoints import environment_key
from fpsdesk.fps.exceptions import FpsError, InvalidInput, NetworkError
from fpsdesk.fps.models import AccountActivity, ActivityTransaction, TransactionDetail
from fpsdesk.store.activity import ActivityCache, CachedTxn, Span

log = logging.getLogger(__name__)

PAGE_SIZE = 200
CACHE_BATCH = 2000  # transactions written to the cache at once
MAX_DETAIL_READS = 2000
DETAIL_READERS = 4
BACKOFF = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0)
MAX_BACKOFF_TRIES = 12
DEFAULT_DAYS = 7
SLOWING_CODES = frozenset({"RequestThrottled", "ServiceUnavailable", "InternalError"})


class SearchClient(Protocol):
    @property
    def endpoint(self) -> str: ...

    def get_account_activity(
        self,
        start_date: datetime,
        end_date: datetime | None = None,
        *,
        max_batch_size: int | None = None,
        sort_order_by_date: str | None = None,
    ) -> AccountActivity: ...

    def get_transaction(self, transaction_id: str) -> TransactionDetail: ...


class SearchStopped(Exception):
    """The agent stopped the search; what was found so far stands."""


@dataclass(frozen=True)
class AmountFilter:
    low: Decimal | None = None
    high: Decimal | None = None

    def matches(self, value: Decimal) -> bool:
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)


_RANGE = re.compile(r"^\s*(\d+(?:\.\d{1,2})?)\s*(?:-|\.\.|–|to)\s*(\d+(?:\.\d{1,2})?)\s*$")
_BOUND = re.compile(r"^\s*([<>])=?\s*(\d+(?:\.\d{1,2})?)\s*$")
_EXACT = re.compile(r"^\s*(?:USD\s*|\$\s*)?(\d+(?:\.\d{1,2})?)\s*$", re.IGNORECASE)


def parse_amount(text: str) -> AmountFilter:
    """``49.95``, ``10-50``, ``10..50``, ``>100`` or ``<20``; InvalidInput otherwise."""
    if match := _RANGE.match(text):
        low, high = Decimal(match[1]), Decimal(match[2])
        if low > high:
            low, high = high, low
        return AmountFilter(low, high)
    if match := _BOUND.match(text):
        value = Decimal(match[2])
        return AmountFilter(low=value) if match[1] == ">" else AmountFilter(high=value)
    if match := _EXACT.match(text):
        value = Decimal(match[1])
        return AmountFilter(value, value)
    raise InvalidInput(
        f"Amount {text.strip()[:40]!r} is not an amount: give 49.95, a range 10-50, >100 or <20."
    )


@dataclass(frozen=True)
class SearchQuery:
    start: datetime
    end: datetime | None = None  # None: now
    status: str | None = None
    operation: str | None = None
    payment_method: str | None = None
    text: str = ""
    amount: AmountFilter | None = None

    @classmethod
    def last_days(cls, days: int = DEFAULT_DAYS, **filters: object) -> SearchQuery:
        return cls(start=datetime.now(UTC) - timedelta(days=days), **filters)  # type: ignore[arg-type]

    def check(self, now: datetime) -> None:
        if self.start.tzinfo is None or (self.end is not None and self.end.tzinfo is None):
            raise InvalidInput("Search dates must include a time zone.")
        if self.start > now:
            raise InvalidInput("The search cannot start in the future.")
        if self.end is not None and self.end < self.start:
            raise InvalidInput("The search ends before it starts.")
        if len(self.text) > 200:
            raise InvalidInput("The search text has at most 200 characters.")


@dataclass(frozen=True)
class Found:
    """One matching transaction, as the search shows it."""

    transaction_id: str
    date_received: datetime
    status: str
    operation: str
    payment_method: str
    amount: Decimal
    currency: str
    caller_reference: str | None
    description: str | None
    sender_name: str | None
    recipient_name: str | None
    sender_email: str | None
    read_at: datetime | None


@dataclass
class SearchProgress:
    pages: int = 0  # pages read from FPS in this search
    scanned: int = 0  # transactions looked at (FPS and cache)
    matches: int = 0
    details: int = 0  # details read to learn e-mails
    slowed: int = 0  # times FPS said slow down
    from_cache: int = 0  # transactions answered from the cache
    oldest_read: datetime | None = None  # how fresh the cached part is
    done: bool = False
    stopped: bool = False


@dataclass
class SearchResult:
    matches: list[Found] = field(default_factory=list)
    progress: SearchProgress = field(default_factory=SearchProgress)


def _cached(txn: ActivityTransaction) -> CachedTxn:
    caller = next((p for p in txn.transaction_parts if p.role == "Caller"), None)
    sender = next((p for p in txn.transaction_parts if p.role == "Sender"), None)
    recipient = next((p for p in txn.transaction_parts if p.role == "Recipient"), None)
    amount = txn.transaction_amount
    return CachedTxn(
        transaction_id=txn.transaction_id,
        date_received=txn.date_received,
        status=txn.transaction_status.value,
        operation=txn.fps_operation,
        payment_method=txn.payment_method,
        amount=format(amount.value, "f"),
        currency=amount.currency,
        caller_reference=caller.reference if caller else None,
        description=(caller.description if caller else None)
        or (sender.description if sender else None),
        sender_name=txn.sender_name or (sender.name if sender else None),
        recipient_name=txn.recipient_name or (recipient.name if recipient else None),
        caller_name=txn.caller_name,
    )


def _fold(text: str | None) -> str:
    return " ".join((text or "").casefold().split())


class _Matcher:
    def __init__(self, query: SearchQuery, emails: set[str]) -> None:
        self.query = query
        self.text = _fold(query.text)
        self.email = "@" in self.text
        self.ipn_hits = emails  # transaction IDs whose IPNs carry a matching e-mail

    def __call__(self, txn: CachedTxn) -> bool:
        q = self.query
        if q.status and txn.status != q.status:
            return False
        if q.operation and txn.operation != q.operation:
            return False
        if q.payment_method and txn.payment_method != q.payment_method:
            return False
        if q.amount is not None:
            try:
                if not q.amount.matches(Decimal(txn.amount)):
                    return False
            except InvalidOperation:
                return False
        if not self.text:
            return True
        if txn.transaction_id in self.ipn_hits:
            return True
        fields: Iterable[str | None]
        if self.email:
            fields = (txn.sender_email, txn.recipient_email)
        else:
            fields = (
                txn.caller_reference,
                txn.description,
                txn.sender_name,
                txn.recipient_name,
                txn.caller_name,
                txn.transaction_id,
                txn.amount,
            )
        return any(self.text in _fold(f) for f in fields if f)


def _found(txn: CachedTxn) -> Found:
    return Found(
        transaction_id=txn.transaction_id,
        date_received=txn.date_received,
        status=txn.status,
        operation=txn.operation,
        payment_method=txn.payment_method,
        amount=Decimal(txn.amount),
        currency=txn.currency,
        caller_reference=txn.caller_reference,
        description=txn.description,
        sender_name=txn.sender_name,
        recipient_name=txn.recipient_name,
        sender_email=txn.sender_email,
        read_at=txn.read_at,
    )


def uncovered(
    start: datetime, end: datetime, spans: Sequence[Span]
) -> list[tuple[datetime, datetime]]:
    """The parts of [start, end] no completely read span covers, newest first."""
    gaps: list[tuple[datetime, datetime]] = []
    cursor = start
    for span in sorted(spans, key=lambda s: s.start):
        if span.end < cursor:
            continue
        if span.start > end:
            break
        if span.start > cursor:
            gaps.append((cursor, span.start))
        cursor = max(cursor, span.end)
        if cursor >= end:
            break
    if cursor < end:
        gaps.append((cursor, end))
    return list(reversed(gaps))


class Searcher:
    """Runs searches for one environment: reads what the cache lacks, answers the rest."""

    def __init__(
        self,
        client: SearchClient,
        cache: ActivityCache,
        *,
        emails_from_ipns: Callable[[str], set[str]] | None = None,
        page_size: int = PAGE_SIZE,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._client = client
        self._cache = cache
        self._key = environment_key(client.endpoint)
        self._emails_from_ipns = emails_from_ipns
        self._page_size = page_size
        self._sleep = sleep
        self._clock = clock

    def search(
        self,
        query: SearchQuery,
        *,
        refresh: bool = False,
        on_matches: Callable[[list[Found]], None] | None = None,
        on_progress: Callable[[SearchProgress], None] | None = None,
        stop: threading.Event | None = None,
    ) -> SearchResult:
        now = self._clock()
        query.check(now)
        end = min(query.end or now, now)
        result = SearchResult()
        progress = result.progress
        stop = stop or threading.Event()
        emails = (
            self._emails_from_ipns(query.text)
            if self._emails_from_ipns is not None and "@" in query.text
            else set()
        )
        matcher = _Matcher(query, emails)
        seen: set[str] = set()

        def emit(txns: Iterable[CachedTxn]) -> None:
            fresh = []
            for txn in txns:
                progress.scanned += 1
                if txn.transaction_id in seen or not matcher(txn):
                    continue
                seen.add(txn.transaction_id)
                fresh.append(_found(txn))
            if fresh:
                result.matches.extend(fresh)
                progress.matches = len(result.matches)
                if on_matches is not None:
                    on_matches(fresh)
            if on_progress is not None:
                on_progress(progress)

        try:
            spans = [] if refresh else self._cache.spans(self._key)
            gaps = uncovered(query.start, end, spans)
            # What the cache already holds (outside the gaps) answers at once.
            covered = [s for s in spans if s.end >= query.start and s.start <= end]
            if covered:
                progress.oldest_read = min(s.read_at for s in covered)
                cached = [
                    t
                    for t in self._cache.between(self._key, query.start, end)
                    if not any(g[0] <= t.date_received <= g[1] for g in gaps)
                ]
                progress.from_cache = len(cached)
                emit(cached)
            for gap_start, gap_end in gaps:
                self._read_gap(gap_start, gap_end, progress, emit, stop)
            if matcher.email and matcher.text:
                self._learn_emails(query.start, end, progress, stop)
                emit(self._cache.between(self._key, query.start, end))
        except SearchStopped:
            progress.stopped = True
        progress.done = True
        if on_progress is not None:
            on_progress(progress)
        result.matches.sort(key=lambda f: f.date_received, reverse=True)
        return result

    def _read_gap(
        self,
        start: datetime,
        end: datetime,
        progress: SearchProgress,
        emit: Callable[[Iterable[CachedTxn]], None],
        stop: threading.Event,
    ) -> None:
        """Page through [start, end] newest first; record the span once it is read whole.

        Matches are handed over as each page arrives; pages are written to the cache in
        batches (a commit per page would cost a disk flush per page).
        """
        read_at = self._clock()
        page_end: datetime | None = end
        batch: list[CachedTxn] = []
        try:
            while True:
                if stop.is_set():
                    raise SearchStopped
                page = self._page(start, page_end, progress, stop)
                progress.pages += 1
                txns = [_cached(t) for t in page.transactions]
                emit(txns)
                batch.extend(txns)
                if len(batch) >= CACHE_BATCH:
                    self._cache.upsert(self._key, batch, read_at)
                    batch = []
                nxt = page.start_time_for_next_transaction
                if nxt is None or nxt < start or (page_end is not None and nxt > page_end):
                    break
                if not page.transactions and nxt == page_end:
                    break  # a server that does not move on: stop rather than loop
                page_end = nxt
        finally:
            if batch:
                self._cache.upsert(self._key, batch, read_at)
        self._cache.add_span(self._key, start, end, read_at)

    def _page(
        self,
        start: datetime,
        end: datetime | None,
        progress: SearchProgress,
        stop: threading.Event,
    ) -> AccountActivity:
        tries = 0
        while True:
            try:
                return self._client.get_account_activity(
                    start, end, max_batch_size=self._page_size, sort_order_by_date="Descending"
                )
            except (FpsError, NetworkError) as exc:
                slowing = (isinstance(exc, FpsError) and exc.code in SLOWING_CODES) or (
                    isinstance(exc, NetworkError) and exc.kind == "timeout"
                )
                if not slowing or tries >= MAX_BACKOFF_TRIES:
                    raise
                pause = BACKOFF[min(tries, len(BACKOFF) - 1)]
                tries += 1
                progress.slowed += 1
                log.info("search slowed down by FPS (%s); waiting %.0f s", exc, pause)
                if stop.wait(pause) if self._sleep is time.sleep else _sleep(self._sleep, pause):
                    raise SearchStopped from None

    def _learn_emails(
        self, start: datetime, end: datetime, progress: SearchProgress, stop: threading.Event
    ) -> None:
        """Read details (a few at a time) of transactions whose e-mails are not known yet."""
        todo = self._cache.without_emails(self._key, start, end)[:MAX_DETAIL_READS]
        if not todo:
            return

        def read(txn_id: str) -> tuple[str, str | None, str | None] | None:
            if stop.is_set():
                return None
            try:
                detail = self._client.get_transaction(txn_id)
            except (FpsError, NetworkError) as exc:
                log.info("details of %s not read: %s", txn_id, exc)
                return None
            return (txn_id, detail.sender_email, detail.recipient_email)

        with ThreadPoolExecutor(DETAIL_READERS, thread_name_prefix="fpsdesk-details") as pool:
            learnt = [x for x in pool.map(read, todo) if x is not None]
        progress.details += len(learnt)
        self._cache.set_emails(self._key, learnt)
        if stop.is_set():
            raise SearchStopped


def _sleep(sleep: Callable[[float], None], seconds: float) -> bool:
    sleep(seconds)
    return False


def search_rows(result: SearchResult) -> Iterator[dict[str, str]]:
    """Plain text rows (CSV and JSON share them)."""
    for f in result.matches:
        yield {
            "transaction_id": f.transaction_id,
            "date_received": f.date_received.isoformat(timespec="seconds"),
            "status": f.status,
            "operation": f.operation,
            "payment_method": f.payment_method,
            "amount": format(f.amount, "f"),
            "currency": f.currency,
            "caller_reference": f.caller_reference or "",
            "description": f.description or "",
            "sender_name": f.sender_name or "",
            "sender_email": f.sender_email or "",
            "recipient_name": f.recipient_name or "",
        }
