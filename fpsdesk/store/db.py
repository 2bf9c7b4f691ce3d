"""Open the history database: WAL mode, a schema version, and forward-only migrations.

Each migration is a list of SQL statements applied in one transaction; ``PRAGMA user_version``
records how far a file has come. Add a migration at the end, never edit an applied one.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from fpsdesk.paths import data_dir, ensure


class StoreError(Exception):
    """The history file cannot be opened or is not ours (a clear message, nothing lost)."""


MIGRATIONS: list[list[str]] = [
    # 1: staff actions (Cancel and friends), written before the request is sent.
    [
        """
        CREATE TABLE actions (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            transaction_id TEXT NOT NULL,
            reason TEXT,
            operator TEXT NOT NULL,
            environment TEXT NOT NULL,
            endpoint TEXT NOT NULL,
            created_at TEXT NOT NULL,
            finished_at TEXT,
            outcome TEXT NOT NULL,
            status_before TEXT,
            status_after TEXT,
            request_id TEXT,
            error_code TEXT,
            error_message TEXT,
            reconciled_at TEXT
        )
        """,
        "CREATE INDEX actions_txn ON actions(transaction_id, created_at)",
        "CREATE INDEX actions_created ON actions(created_at)",
        "CREATE INDEX actions_outcome ON actions(outcome)",
    ],
]


def default_path() -> Path:
    return ensure(data_dir()) / "history.sqlite3"


def open_database(path: Path | str | None = None) -> sqlite3.Connection:
    """Open (creating if needed) and migrate the history database at ``path``.

    ``":memory:"`` gives a private in-memory database. The connection is in autocommit mode;
    writers use ``with conn:`` blocks so each write is one durable transaction.
    """
    target = str(default_path() if path is None else path)
    try:
        conn = sqlite3.connect(target, timeout=10.0, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        if target != ":memory:":
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        _migrate(conn)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"The history file {target} cannot be used: {exc}") from exc
    return conn


def _migrate(conn: sqlite3.Connection) -> None:
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > len(MIGRATIONS):
        raise StoreError(
            f"history schema version {version} is newer than this fpsdesk understands "
            f"({len(MIGRATIONS)}); upgrade fpsdesk"
        )
    for number, statements in enumerate(MIGRATIONS[version:], start=version + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in statements:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
