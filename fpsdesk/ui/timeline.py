"""One time-ordered story of a transaction: FPS status history, IPNs and staff actions.

Three sources tell the same story and can disagree; the timeline puts them side by side and
flags where they do:

- an IPN whose status never appears in the API's status history, or a newest trusted IPN
  that says something else than the API says now (only a Verified IPN is trusted as status);
- a successful Cancel with no Cancelled IPN after ``ipn_grace`` (default 10 minutes): FPS
  should have notified, so the merchant's systems may not know about the cancel;
- an IPN whose signature failed: shown, never trusted.

Pure functions over frozen records (Qt only translates the words), tested without widgets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import QCoreApplication

from fpsdesk.fps.models import TransactionDetail, TransactionStatus
from fpsdesk.records.reasons import shown_reason
from fpsdesk.store.actions import ActionOutcome, ActionRecord

DEFAULT_IPN_GRACE = timedelta(minutes=10)


def _tr(text: str) -> str:
    return QCoreApplication.translate("timeline", text)


SOURCE_API = "FPS status"
SOURCE_IPN = "IPN"
SOURCE_STAFF = "Staff"


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


def build_timeline(
    detail: TransactionDetail | None,
    ipns: Sequence[Any],
    actions: Sequence[ActionRecord],
    *,
    now: datetime | None = None,
    ipn_grace: timedelta = DEFAULT_IPN_GRACE,
) -> list[TimelineEvent]:
    """Every event, oldest first, with contradictions flagged on the events concerned."""
    now = _aware(now or datetime.now(UTC))
    events: list[TimelineEvent] = []
    api_statuses: set[TransactionStatus] = set()
    if detail is not None:
        for entry in detail.status_history:
            api_statuses.add(entry.transaction_status)
            parts = [
                p for p in (entry.status_code, str(entry.amount) if entry.amount else None) if p
            ]
            events.append(
                TimelineEvent(
                    when=_aware(entry.date),
                    source=SOURCE_API,
                    kind="status",
                    status=entry.transaction_status,
                    title=entry.transaction_status.value,
                    detail=" · ".join(parts),
                )
            )
        api_statuses.add(detail.transaction_status)

    trusted_ipns = []
    for ipn in ipns:
        verdict = ipn.verdict.value
        status = ipn.transaction_status
        flag = ""
        if verdict == "failed":
            flag = _tr("Signature failed: {reason}. Not trusted as status.").format(
                reason=ipn.reason or _tr("not genuine")
            )
        elif verdict == "verified" and status is not None:
            trusted_ipns.append(ipn)
            if detail is not None and status not in api_statuses:
                flag = _tr(
                    "This IPN says {status}, but FPS's status history has no {status}."
                ).format(status=status.value)
        parts = [
            p
            for p in (
                ipn.operation,
                ipn.status_code,
                str(ipn.amount) if ipn.amount else None,
                _tr("{n} deliveries").format(n=ipn.delivery_count)
                if ipn.delivery_count > 1
                else None,
            )
            if p
        ]
        events.append(
            TimelineEvent(
                when=_aware(ipn.event_at),
                source=SOURCE_IPN,
                kind="ipn",
                status=status,
                title=ipn.status_label or ipn.notification_type,
                detail=" · ".join(parts),
                verdict=verdict,
                flag=flag,
            )
        )

    if detail is not None and trusted_ipns:
        newest = max(trusted_ipns, key=lambda r: _aware(r.event_at))
        latest_api = max((_aware(e.date) for e in detail.status_history), default=None)
        if newest.transaction_status != detail.transaction_status and (
            latest_api is None or _aware(newest.event_at) > latest_api
        ):
            index = next(
                i
                for i, e in enumerate(events)
                if e.kind == "ipn"
                and e.when == _aware(newest.event_at)
                and e.status == newest.transaction_status
            )
            old = events[index]
            events[index] = _with_flag(
                old,
                _tr("The newest IPN says {ipn}, but FPS says {api} now.").format(
                    ipn=newest.transaction_status.value, api=detail.transaction_status.value
                ),
            )

    cancelled_ipn_times = [
        _aware(r.event_at)
        for r in ipns
        if r.transaction_status == TransactionStatus.CANCELLED and r.verdict.value != "failed"
    ]
    for record in actions:
        when = _aware(record.created_at)
        flag = ""
        if (
            record.kind == "Cancel"
            and record.outcome == ActionOutcome.SUCCEEDED
            and not cancelled_ipn_times
            and now - _aware(record.finished_at or record.created_at) > ipn_grace
        ):
            minutes = int(ipn_grace.total_seconds() // 60)
            flag = _tr("No Cancelled IPN arrived within {minutes} minutes of this cancel.").format(
                minutes=minutes
            )
        outcome = record.outcome.value
        result = _outcome_words(record)
        extra = record.error_code or (
            record.status_after and _tr("now {status}").format(status=record.status_after)
        )
        corrected = None
        if record.corrected_from is not None:
            corrected = _tr("corrected: first recorded as {was}").format(
                was=_tr("not cancelled")
                if record.corrected_from == ActionOutcome.FAILED
                else _tr("succeeded")
            )
        shown = shown_reason(record.reason_code, record.reason)
        parts = [
            p
            for p in (
                _tr("by {operator}").format(operator=record.operator),
                _tr("reason: {reason}").format(reason=shown) if shown else None,
                extra or None,
                corrected,
            )
            if p
        ]
        events.append(
            TimelineEvent(
                when=when,
                source=SOURCE_STAFF,
                kind="action",
                status=TransactionStatus.parse(record.status_after)
                if record.status_after
                else None,
                title=f"{record.kind} {result}",
                detail=" · ".join(parts),
                outcome=outcome,
                flag=flag,
                request_id=record.request_id,
            )
        )
    # Within one second (IPN dates have whole seconds only), read as cause, effect, notice.
    order = {"action": 0, "status": 1, "ipn": 2}
    events.sort(key=lambda e: (e.when.replace(microsecond=0), order[e.kind], e.when))
    return events


def local_hm(moment: datetime) -> str:
    """``14:32 CET`` today in local time, else ``2026-11-28 14:32 CET`` (the zone, as the
    app's other times show it)."""
    local = moment.astimezone()
    if local.date() == datetime.now(local.tzinfo).date():
        return f"{local:%H:%M %Z}".strip()
    return f"{local:%Y-%m-%d %H:%M %Z}".strip()


def _outcome_words(record: ActionRecord) -> str:
    """The states of a staff action as docs/ui.md names them."""
    from fpsdesk.desk.settle import deadline_of

    if record.outcome == ActionOutcome.UNKNOWN:
        return _tr("outcome unknown, may still take effect until {time}").format(
            time=local_hm(deadline_of(record))
        )
    if record.outcome == ActionOutcome.FAILED and record.kind == "Cancel":
        return _tr("did not take effect: not cancelled")
    return {
        "succeeded": _tr("succeeded"),
        "failed": _tr("failed"),
        "pending": _tr("being sent"),
    }.get(record.outcome.value, record.outcome.value)


def _with_flag(event: TimelineEvent, flag: str) -> TimelineEvent:
    joined = f"{event.flag} {flag}".strip()
    return TimelineEvent(
        event.when,
        event.source,
        event.kind,
        event.status,
        event.title,
        event.detail,
        event.verdict,
        event.outcome,
        joined,
        event.request_id,
    )


def contradictions(events: Sequence[TimelineEvent]) -> list[str]:
    return [e.flag for e in events if e.flag]
