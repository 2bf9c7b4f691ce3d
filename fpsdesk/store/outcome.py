"""How a staff action ended, on its own so the window can use it before the store loads.

fpsdesk.store.actions re-exports it; it lives apart because the desktop app's first paint
needs the outcome names, not SQLite.
"""

from __future__ import annotations

from enum import StrEnum


class ActionOutcome(StrEnum):
    PENDING = "pending"  # written, request not yet answered (or the app died)
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNKNOWN = "unknown"  # the request may have reached FPS; reconcile by status reads
