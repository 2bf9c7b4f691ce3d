"""One time-ordered story of a transaction: FPS status history, IPNs and staff actions.

Three sources tell the same story and can disagree; the timeline puts them side by side and
flags where they do:

- an IPN whose status never appears in the API's status history, or a newest trusted IPN
  that says something else than the API says now (only a Verified IPN is trusted as status);
- a successful Cancel with no Cancelled IPN after ``ipn_grace`` (default 10 minutes): FPS
  should have notified, so the merchant's systems may not know about the cancel;
- an IPN whose signature failed: shown, never trusted.

Pure functions over frozen records. The words are English; a caller with translations passes
``tr`` (the window passes Qt's), so the rules need no Qt.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from fpsdesk.fps.models import TransactionDetail, TransactionStatus
from fpsdesk.records.reasons import shown_reason
from fpsdesk.store.actions import ActionOutcome, ActionRecord

DEFAULT_IPN_GRACE = timedelta(minutes=10)

SOURCE_API = "FPS status"
SOURCE_IPN = "IPN"
SOURCE_STAFF = "Staff"

Translate = Callable[[str], str]


def _english(text: str) -> str:
    return text


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    when: datetime
    source: str  # SOURCE_*
    kind: str  # status | ipn | action
    status: TransactionStatus | None  # the status the event is about, if any
    title: str
    detail: str
    verdict: str | None = None  # IPN signature verdict value
    outcome: str | None = None  # action outcome value
    flag: str = ""  # a contradiction or warning, in words
    request_id: str | None = None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _joined(*parts: str | None) -> str:
    return " · ".join(p for p in parts if p)


def build_timeline(
    detail: TransactionDetail | None,
    ipns: Sequence[Any],
    actions: Sequence[ActionRecord],
    *,
    now: datetime | None = None,
    ipn_grace: timedelta = DEFAULT_IPN_GRACE,
    tr: Translate = _english,
) -> list[TimelineEvent]:
    """Every event, oldest first, with contradictions flagged on the events concerned."""
    now = _aware(now or datetime.now(UTC))
    events = _status_events(detail)
    api_statuses = {e.status for e in events if e.status is not None}
    if detail is not None:
        api_statuses.add(detail.transaction_status)
    events += [_ipn_event(ipn, detail, api_statuses, tr) for ipn in ipns]
    _flag_the_newest_ipn(events, detail, ipns, tr)
    cancel_notified = any(
        r.transaction_status == TransactionStatus.CANCELLED and r.verdict.value != "failed"
        for r in ipns
    )
    events += [_action_event(r, cancel_notified, now, ipn_grace, tr) for r in actions]
    # Within one second (IPN dates have whole seconds only), read as cause, effect, notice.
    order = {"action": 0, "status": 1, "ipn": 2}
    events.sort(key=lambda e: (e.when.replace(microsecond=0), order[e.kind], e.when))
    return events


def _status_events(detail: TransactionDetail | None) -> list[TimelineEvent]:
    if detail is None:
        return []
    return [
        TimelineEvent(
            when=_aware(entry.date),
            source=SOURCE_API,
            kind="status",
            status=entry.transaction_status,
            title=entry.transaction_status.value,
            detail=_joined(entry.status_code, str(entry.amount) if entry.amount else None),
        )
        for entry in detail.status_history
    ]


def _ipn_event(
    ipn: Any,
    detail: TransactionDetail | None,
    api_statuses: set[TransactionStatus],
    tr: Translate,
) -> TimelineEvent:
    verdict = ipn.verdict.value
    status = ipn.transaction_status
    flag = ""
    if verdict == "failed":
        flag = tr("Signature failed: {reason}. Not trusted as status.").format(
            reason=ipn.reason or tr("not genuine")
        )
    elif verdict == "verified" and detail is not None and status not in (None, *api_statuses):
        flag = tr("This IPN says {status}, but FPS's status history has no {status}.").format(
            status=status.value
        )
    deliveries = (
        tr("{n} deliveries").format(n=ipn.delivery_count) if ipn.delivery_count > 1 else None
    )
    return TimelineEvent(
        when=_aware(ipn.event_at),
        source=SOURCE_IPN,
        kind="ipn",
        status=status,
        title=ipn.status_label or ipn.notification_type,
        detail=_joined(
            ipn.operation, ipn.status_code, str(ipn.amount) if ipn.amount else None, deliveries
        ),
        verdict=verdict,
        flag=flag,
    )


def _flag_the_newest_ipn(
    events: list[TimelineEvent],
    detail: TransactionDetail | None,
    ipns: Sequence[Any],
    tr: Translate,
) -> None:
    """The newest trusted IPN disagreeing with what FPS says now, and newer than FPS's own
    history: flagged (FPS's answer wins; the IPN may be stale or the read may be)."""
    trusted = [
        i for i in ipns if i.verdict.value == "verified" and i.transaction_status is not None
    ]
    if detail is None or not trusted:
        return
    newest = max(trusted, key=lambda r: _aware(r.event_at))
    latest_api = max((_aware(e.date) for e in detail.status_history), default=None)
    if newest.transaction_status == detail.transaction_status or (
        latest_api is not None and _aware(newest.event_at) <= latest_api
    ):
        return
    index = next(
        i
        for i, e in enumerate(events)
        if e.kind == "ipn"
        and e.when == _aware(newest.event_at)
        and e.status == newest.transaction_status
    )
    flag = tr("The newest IPN says {ipn}, but FPS says {api} now.").format(
        ipn=newest.transaction_status.value, api=detail.transaction_status.value
    )
    old = events[index]
    events[index] = replace(old, flag=f"{old.flag} {flag}".strip())


def _action_event(
    record: ActionRecord,
    cancel_notified: bool,
    now: datetime,
    ipn_grace: timedelta,
    tr: Translate,
) -> TimelineEvent:
    flag = ""
    if (
        record.kind == "Cancel"
        and record.outcome == ActionOutcome.SUCCEEDED
        and not cancel_notified
        and now - _aware(record.finished_at or record.created_at) > ipn_grace
    ):
        flag = tr("No Cancelled IPN arrived within {minutes} minutes of this cancel.").format(
            minutes=int(ipn_grace.total_seconds() // 60)
        )
    extra = record.error_code or (
        record.status_after and tr("now {status}").format(status=record.status_after)
    )
    corrected = None
    if record.corrected_from is not None:
        was = (
            tr("not cancelled")
            if record.corrected_from == ActionOutcome.FAILED
            else tr("succeeded")
        )
        corrected = tr("corrected: first recorded as {was}").format(was=was)
    shown = shown_reason(record.reason_code, record.reason)
    return TimelineEvent(
        when=_aware(record.created_at),
        source=SOURCE_STAFF,
        kind="action",
        status=TransactionStatus.parse(record.status_after) if record.status_after else None,
        title=f"{record.kind} {outcome_words(record, tr)}",
        detail=_joined(
            tr("by {operator}").format(operator=record.operator),
            tr("reason: {reason}").format(reason=shown) if shown else None,
            extra or None,
            corrected,
        ),
        outcome=record.outcome.value,
        flag=flag,
        request_id=record.request_id,
    )


def local_hm(moment: datetime) -> str:
    """``14:32 CET`` today in local time, else ``2026-11-28 14:32 CET`` (the zone, as the
    app's other times show it)."""
    local = moment.astimezone()
    if local.date() == datetime.now(local.tzinfo).date():
        return f"{local:%H:%M %Z}".strip()
    return f"{local:%Y-%m-%d %H:%M %Z}".strip()


def outcome_words(record: ActionRecord, tr: Translate = _english) -> str:
    """The states of a staff action as docs/ui.md names them."""
    from fpsdesk.desk.settle import deadline_of

    if record.outcome == ActionOutcome.UNKNOWN:
        return tr("outcome unknown, may still take effect until {time}").format(
            time=local_hm(deadline_of(record))
        )
    if record.outcome == ActionOutcome.FAILED and record.kind == "Cancel":
        return tr("did not take effect: not cancelled")
    return {
        "succeeded": tr("succeeded"),
        "failed": tr("failed"),
        "pending": tr("being sent"),
    }.get(record.outcome.value, record.outcome.value)


def contradictions(events: Sequence[TimelineEvent]) -> list[str]:
    return [e.flag for e in events if e.flag]
