"""One desk's history and how to open another connection to it (the desktop app's view).

:class:`HistoryLocation` is what the app opens every connection from (its own, its job
threads'): a file, or a shared history's URL with its password from the keychain and the
app's :class:`~fpsdesk.store.postgres.Reachability`. Where a profile's history is, and its
password, come from fpsdesk/store/location.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fpsdesk.store.db import HistoryConnection, open_database
from fpsdesk.store.location import default_path, history_password, is_postgres_url

if TYPE_CHECKING:
    from fpsdesk.settings import Profile


@dataclass(frozen=True)
class HistoryLocation:
    """Where a desk's history is: a file, or a shared history's URL with its password (never
    shown or logged)."""

    target: Path | str
    password: str | None = field(default=None, repr=False)
    # The app's fpsdesk.store.postgres.Reachability: its connections fail at once while the
    # server is known to be down (see there). None: every open tries.
    reach: Any = field(default=None, repr=False, compare=False)

    @property
    def shared(self) -> bool:
        return is_postgres_url(self.target)

    def describe(self) -> str:
        """For messages: the file, or the URL without a password."""
        if self.shared:
            from fpsdesk.store.postgres import redact

            return redact(str(self.target))
        return str(self.target)

    def open(self) -> HistoryConnection:
        """A new connection (migrated, unless the server is known to be down: then one that
        connects once it is back)."""
        return open_database(self.target, password=self.password, reach=self.reach)


def profile_history(profile: Profile | None) -> HistoryLocation:
    """A profile's history with its keychain password; no profile: the local file."""
    from fpsdesk.settings import LOCAL_HISTORY

    if profile is None or profile.history == LOCAL_HISTORY:
        return HistoryLocation(default_path())
    return HistoryLocation(profile.history, history_password(profile.history))
