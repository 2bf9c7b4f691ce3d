"""The timeline's rules (fpsdesk/desk/timeline.py) with Qt translating their words."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import QCoreApplication

from fpsdesk.desk import timeline as rules
from fpsdesk.desk.timeline import DEFAULT_IPN_GRACE, TimelineEvent, contradictions, local_hm
from fpsdesk.fps.models import TransactionDetail
from fpsdesk.store.actions import ActionRecord

__all__ = ["TimelineEvent", "build_timeline", "contradictions", "local_hm"]


def _tr(text: str) -> str:
    return QCoreApplication.translate("timeline", text)


def build_timeline(
    detail: TransactionDetail | None,
    ipns: Sequence[Any],
    actions: Sequence[ActionRecord],
    *,
    now: datetime | None = None,
    ipn_grace: timedelta = DEFAULT_IPN_GRACE,
) -> list[TimelineEvent]:
    return rules.build_timeline(detail, ipns, actions, now=now, ipn_grace=ipn_grace, tr=_tr)
