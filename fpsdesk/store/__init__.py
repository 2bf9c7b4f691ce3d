"""SQLite history: staff actions, look-ups and IPNs. No Qt here.

Every name loads on first use (PEP 562): the desktop app's first paint needs only
``fpsdesk.store.outcome``, and SQLite, the action log and the IPN modules are not needed until
just after it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from fpsdesk.store.outcome import ActionOutcome

if TYPE_CHECKING:
    from fpsdesk.records.ipn import FailReason, IpnVerdict, Verdict
    from fpsdesk.store.actions import ActionRecord, ActionStore
    from fpsdesk.store.db import open_database
    from fpsdesk.store.ipns import (
        AddResult,
        IpnFilter,
        IpnRecord,
        IpnStore,
        NewIpn,
        QuarantineDropped,
        QuarantineLimits,
        QuarantineRecord,
    )
    from fpsdesk.store.schema import StoreError

_LAZY = {
    "ActionRecord": "fpsdesk.store.actions",
    "ActionStore": "fpsdesk.store.actions",
    "StoreError": "fpsdesk.store.schema",
    "open_database": "fpsdesk.store.db",
    "FailReason": "fpsdesk.records.ipn",
    "IpnVerdict": "fpsdesk.records.ipn",
    "Verdict": "fpsdesk.records.ipn",
    "AddResult": "fpsdesk.store.ipns",
    "IpnFilter": "fpsdesk.store.ipns",
    "IpnRecord": "fpsdesk.store.ipns",
    "IpnStore": "fpsdesk.store.ipns",
    "NewIpn": "fpsdesk.store.ipns",
    "QuarantineDropped": "fpsdesk.store.ipns",
    "QuarantineLimits": "fpsdesk.store.ipns",
    "QuarantineRecord": "fpsdesk.store.ipns",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


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
    "QuarantineDropped",
    "QuarantineLimits",
    "QuarantineRecord",
    "StoreError",
    "Verdict",
    "open_database",
]
