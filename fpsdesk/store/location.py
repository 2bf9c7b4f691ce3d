"""Where the history is: the local file (the default) or the team's PostgreSQL database.

A profile may name a shared history (``postgresql://user@host:port/db``, fpsdesk/settings.py).
Its password lives in the keychain beside the profile's FPS secret, never in a file: service
``fpsdesk-history``, account ``user@host:port/db`` (so every profile of a desk that points at
the same database shares one entry). Without an entry libpq's own sources apply
(``PGPASSWORD``, or a server that needs none, such as a local socket with peer auth).
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlsplit

from fpsdesk.paths import data_dir, ensure

log = logging.getLogger(__name__)

HISTORY_SERVICE = "fpsdesk-history"


def is_postgres_url(location: object) -> bool:
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


def default_path() -> Path:
    return ensure(data_dir()) / "history.sqlite3"


def history_account(url: str) -> str:
    """The keychain account of a shared history: ``user@host:port/db`` (no password)."""
    parts = urlsplit(url)
    port = parts.port or 5432
    return f"{parts.username}@{parts.hostname}:{port}/{parts.path.strip('/')}"


def history_password(url: str) -> str | None:
    """The shared history's password from the keychain (None: no entry, or no keychain)."""
    from fpsdesk.credentials import CredentialError, CredentialStore

    try:
        return CredentialStore(service=HISTORY_SERVICE).get_secret(history_account(url))
    except CredentialError as exc:
        log.info("no keychain password for the shared history: %s", type(exc).__name__)
        return None


def store_history_password(url: str, password: str) -> None:
    """Keep the shared history's password in the keychain (CredentialError if it cannot)."""
    from fpsdesk.credentials import CredentialStore

    CredentialStore(service=HISTORY_SERVICE).set_secret(history_account(url), password)


def configured_history() -> tuple[Path | str, str | None]:
    """The current profile's history location and, for PostgreSQL, its password.

    No profile, a local one, or a settings file that cannot be read: the local file, as
    before shared histories existed (the settings error is reported where profiles are used).
    """
    from fpsdesk.settings import LOCAL_HISTORY, SettingsError
    from fpsdesk.settings_store import SettingsStore

    try:
        profile = SettingsStore().current()
    except (SettingsError, OSError) as exc:
        log.warning("settings unreadable, using the local history: %s", exc)
        profile = None
    if profile is None or profile.history == LOCAL_HISTORY:
        return default_path(), None
    return profile.history, history_password(profile.history)


def history_arg(text: str) -> Path | str:
    """A ``--db`` value: a ``postgresql://`` URL as given, anything else a file path."""
    return text if is_postgres_url(text) else Path(text)
