"""SQLite history: staff actions, look-ups and IPNs. No Qt here."""

from fpsdesk.store.actions import ActionOutcome, ActionRecord, ActionStore
from fpsdesk.store.db import StoreError, open_database

__all__ = ["ActionOutcome", "ActionRecord", "ActionStore", "StoreError", "open_database"]
