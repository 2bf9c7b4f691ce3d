"""Copy a local history into a team's shared PostgreSQL history (``fpsdesk history migrate``).

Rows keep their ids, so an action's events and a bulk item's action stay linked. The copy is
idempotent and resumable: each batch is one transaction of ``INSERT … ON CONFLICT DO NOTHING``,
so running it again (after an interruption, or to pick up rows written since) adds only what
is missing. At the end the target's id sequences move past the copied ids and every table's
count is verified.

Ids are only safe to keep when the target holds nothing else: ``history_copies`` (migration 8)
records which local history a target was filled from, and a copy of another desk's history
into it is refused (merging two histories would mean renumbering; not supported yet).
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fpsdesk.store.db import SqliteHistory
from fpsdesk.store.postgres import PostgresHistory
from fpsdesk.store.schema import StoreError

BATCH = 1000

# Parents before children (foreign keys), each with the columns that identify a row.
TABLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("actions", ("id",)),
    ("action_events", ("id",)),
    ("cancel_refusals", ("id",)),
    ("ipns", ("id",)),
    ("ipn_quarantine", ("id",)),
    ("activity_txns", ("env_key", "transaction_id")),
    ("activity_spans", ("id",)),
    ("bulk_jobs", ("id",)),
    ("bulk_items", ("job_id", "seq")),
)
# Tables whose rows only this copy may have written; anything else there is another history.
_OWNED = ("actions", "ipns", "ipn_quarantine", "bulk_jobs")


class CopyRefused(StoreError):
    """The target already holds another history (nothing was copied)."""


@dataclass(frozen=True)
class TableCount:
    table: str
    source: int
    target: int  # rows of the target that came from this source (see ``verify``)
    copied: int  # rows this run added

    @property
    def ok(self) -> bool:
        return self.source == self.target


@dataclass(frozen=True)
class CopyReport:
    source: str
    target: str
    tables: tuple[TableCount, ...]

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tables)

    @property
    def copied(self) -> int:
        return sum(t.copied for t in self.tables)


def source_name(path: Path) -> str:
    """How a target remembers a local history: this host and the file's absolute path."""
    return f"{socket.gethostname()}:{path.resolve()}"


def _columns(source: SqliteHistory, table: str) -> list[str]:
    return [str(row[1]) for row in source.execute(f"PRAGMA table_info({table})").fetchall()]


def _count(conn: SqliteHistory | PostgresHistory, table: str) -> int:
    return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def _check_target(target: PostgresHistory, name: str) -> None:
    others = [
        str(r[0])
        for r in target.execute("SELECT source FROM history_copies WHERE source != ?", (name,))
    ]
    if others:
        raise CopyRefused(
            f"The shared history {target.location()} was filled from another history "
            f"({others[0]}); merging two histories is not supported. Nothing was copied."
        )
    mine = target.execute("SELECT 1 FROM history_copies WHERE source = ?", (name,)).fetchone()
    if mine is None and any(_count(target, t) for t in _OWNED):
        raise CopyRefused(
            f"The shared history {target.location()} already holds a history (of other desks "
            "or an earlier setup); a local history is only copied into an empty one. "
            "Nothing was copied."
        )


def copy_history(
    source: SqliteHistory,
    source_path: Path,
    target: PostgresHistory,
    *,
    progress: Callable[[str, int], None] | None = None,
) -> CopyReport:
    """Copy ``source`` into ``target`` (see the module docstring); returns the verified counts."""
    name = source_name(source_path)
    _check_target(target, name)
    now = datetime.now(UTC).isoformat(timespec="milliseconds")
    with target.transaction():
        target.execute(
            "INSERT INTO history_copies (source, started_at) VALUES (?, ?)"
            " ON CONFLICT (source) DO NOTHING",
            (name, now),
        )
    copied: dict[str, int] = {}
    for table, _key in TABLES:
        copied[table] = _copy_table(source, target, table, progress)
    _copy_dropped(source, target)
    target.advance_identities([t for t, key in TABLES if key == ("id",)])
    counts = tuple(
        TableCount(table, _count(source, table), _verify(source, target, table), copied[table])
        for table, _key in TABLES
    )
    report = CopyReport(str(source_path), target.location(), counts)
    if report.ok:
        with target.transaction():
            target.execute(
                "UPDATE history_copies SET finished_at = ? WHERE source = ?",
                (datetime.now(UTC).isoformat(timespec="milliseconds"), name),
            )
    return report


def _copy_table(
    source: SqliteHistory,
    target: PostgresHistory,
    table: str,
    progress: Callable[[str, int], None] | None,
) -> int:
    columns = _columns(source, table)
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    insert = f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT DO NOTHING"
    before = _count(target, table)
    last = 0
    done = 0
    while True:
        rows = source.execute(
            f"SELECT rowid, {names} FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT ?",
            (last, BATCH),
        ).fetchall()
        if not rows:
            break
        with target.transaction():
            target.executemany(insert, [tuple(r)[1:] for r in rows])
        last = int(rows[-1][0])
        done += len(rows)
        if progress is not None:
            progress(table, done)
    return _count(target, table) - before


def _copy_dropped(source: SqliteHistory, target: PostgresHistory) -> None:
    """The quarantine's one-row tally of dropped bodies: the source's figures."""
    row = source.execute(
        "SELECT bodies, deliveries, last_dropped_at FROM ipn_quarantine_dropped WHERE id = 1"
    ).fetchone()
    if row is None:
        return
    with target.transaction():
        target.execute(
            "UPDATE ipn_quarantine_dropped SET bodies = ?, deliveries = ?, last_dropped_at = ?"
            " WHERE id = 1",
            (row[0], row[1], row[2]),
        )


def _verify(source: SqliteHistory, target: PostgresHistory, table: str) -> int:
    """How many of the source's rows the target holds (rows written there since the copy
    have ids past the source's, and are not counted)."""
    if table == "activity_txns":  # keyed by transaction; later searches may add rows
        return min(_count(target, table), _count(source, table))
    key = "job_id" if table == "bulk_items" else "id"
    top = source.execute(f"SELECT MAX({key}) FROM {table}").fetchone()[0]
    if top is None:
        return 0
    row = target.execute(f"SELECT COUNT(*) FROM {table} WHERE {key} <= ?", (top,)).fetchone()
    return int(row[0])
