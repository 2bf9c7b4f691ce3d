"""SQLite history: staff actions, look-ups and IPNs. No Qt here."""

from fpsdesk.ipn.models import FailReason, IpnVerdict, Verdict
from fpsdesk.store.actions import ActionOutcome, ActionRecord, ActionStore
from fpsdesk.store.db import StoreError, open_database
from fpsdesk.store.ipns import (
    AddResult,
    IpnFilter,
    IpnRecord,
    IpnStore,
    NewIpn,
    QuarantineRecord,
)

__all__ = [
    "ActionOutcome",
    "ActionRecord",
    "ActionStore",
    "AddResult",
    "FailReason",
    "IpnFilter",
    "IpnRecord",
    "IpnStore",
    "IpnVerdict",
    "NewIpn",
    "QuarantineRecord",
    "StoreError",
    "Verdict",
    "open_database",
]
