"""A desk without the PostgreSQL client library is told what to install, with no traceback."""

from __future__ import annotations

import sys

import pytest

from fpsdesk.store.db import open_database
from fpsdesk.store.schema import StoreError


def test_a_shared_history_without_libpq_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Mocked: this machine has libpq (the tests run PostgreSQL), and the packaged app's case,
    # no client library at all, cannot be made for real here. A None entry in sys.modules
    # makes ``import psycopg`` raise ImportError, as it does without any libpq.
    monkeypatch.setitem(sys.modules, "psycopg", None)
    monkeypatch.delitem(sys.modules, "fpsdesk.store.postgres", raising=False)
    with pytest.raises(StoreError, match=r"libpq.*apt install libpq5"):
        open_database("postgresql://desk@db.example:5432/fpsdesk")
