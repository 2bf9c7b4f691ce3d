"""Where the history is: the local file (the default) or the team's PostgreSQL database.

A profile may name a shared history (``postgresql://user@host:port/db``); its password lives in
the keychain beside the profile's FPS secret, never in a file.
"""

from __future__ import annotations

from pathlib import Path


def configured_history() -> tuple[Path | str, str | None]:
    """The current profile's history location and, for PostgreSQL, its password."""
    from fpsdesk.store.db import default_path

    return default_path(), None


def history_arg(text: str) -> Path | str:
    """A ``--db`` value: a ``postgresql://`` URL as given, anything else a file path."""
    from fpsdesk.store.db import is_postgres_url

    return text if is_postgres_url(text) else Path(text)
