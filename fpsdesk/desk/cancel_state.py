"""Where a Cancel stands in the session: set by DeskSession, shown by the main window.

A module of its own so the window can import the names without loading the session (and the
worker, the models and SQLite) before its first paint.
"""

from __future__ import annotations

CANCEL_CHECKING = "checking"  # pre-flight status read
CANCEL_SENDING = "sending"  # on record, Cancel on the wire
CANCEL_IDLE = ""
