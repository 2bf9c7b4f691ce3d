"""A profile's shared history: its location, its password in the keychain, TLS defaults, and
``fpsdesk history migrate`` copying a local history into PostgreSQL (idempotent, resumable,
counts verified). Against the session's throwaway PostgreSQL cluster."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fpsdesk.cli import main
from fpsdesk.ipn.parse import from_pairs
from fpsdesk.records.ipn import IpnVerdict, Verdict
from fpsdesk.settings import InvalidProfile, Profile
from fpsdesk.settings_store import SettingsStore
from fpsdesk.store import copy as copying
from fpsdesk.store.actions import ActionOutcome, ActionStore
from fpsdesk.store.activity import ActivityCache, CachedTxn
from fpsdesk.store.bulk import BulkItem, BulkStore
from fpsdesk.store.db import open_database, open_sqlite
from fpsdesk.store.ipns import IpnStore
from fpsdesk.store.location import configured_history, history_password
from fpsdesk.store.postgres import PostgresHistory, connection_options
from fpsdesk.store.schema import StoreError
from tests.fixtures.cli import cli_env
from tests.fixtures.postgres import PASSWORD, TLS_HOST, PostgresServer
from tests.ipn.helpers import ipn_fields

PROFILE = Profile("team", "https://fps.sandbox.amazonaws.com/", "AKIAEXAMPLE")


def test_a_history_location_is_local_or_a_postgresql_url_without_password() -> None:
    assert PROFILE.history == "local"
    assert "history" not in PROFILE.to_json()  # a local profile's entry is as it always was
    shared = replace(PROFILE, history="postgresql://desk@db.example.com:5432/fpsdesk")
    assert Profile.from_json(shared.to_json()) == shared
    for bad, why in [
        ("postgresql://desk:hunter2@db.example.com/fpsdesk", "keychain"),
        ("mysql://desk@db.example.com/fpsdesk", "postgresql://"),
        ("postgresql://db.example.com/fpsdesk", "names the user"),
        ("postgresql://desk@db.example.com/", "names the user"),
        ("postgresql://desk@db.example.com:99999/x", "not a valid URL"),
    ]:
        with pytest.raises(InvalidProfile, match=why):
            replace(PROFILE, history=bad)


def test_tls_is_verified_by_default_for_any_host_but_this_machine() -> None:
    assert connection_options("postgresql://u@db.example.com/x") == {
        "sslmode": "verify-full",
        "sslrootcert": "system",
    }
    assert connection_options("postgresql://u@db.example.com/x?sslrootcert=/etc/team-ca.pem") == {
        "sslmode": "verify-full"
    }
    assert connection_options("postgresql://u@db.example.com/x?sslmode=disable") == {
        "sslrootcert": "system"
    }
    for local in ("127.0.0.1", "localhost", "[::1]"):
        assert connection_options(f"postgresql://u@{local}:5432/x") == {}


def test_a_profile_points_at_a_shared_history_with_its_password_in_the_keychain(
    postgres_server: PostgresServer, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    SettingsStore().add(PROFILE, make_current=True)
    url = postgres_url.replace(f":{PASSWORD}@", "@")
    # A wrong password: refused after trying it, nothing saved.
    monkeypatch.setattr(sys, "stdin", io.StringIO("wrong\n"))
    assert main(["profile", "history", "team", url]) == 1
    assert SettingsStore().get("team").history == "local"
    assert history_password(url) is None
    # The right one: tried, kept in the keychain (never in the settings file), then saved.
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["profile", "history", "team", url]) == 0
    assert SettingsStore().get("team").history == url
    assert history_password(url) == PASSWORD
    assert PASSWORD not in SettingsStore().path.read_text()
    assert configured_history() == (url, PASSWORD)
    # Everything that opens "the history" now opens the shared one.
    history = open_database()
    assert isinstance(history, PostgresHistory)
    assert history.location() == url
    ActionStore(history).start("Cancel", "TX1", environment="Sandbox", endpoint="e")
    assert [r.transaction_id for r in ActionStore(open_database(url)).recent()] == ["TX1"]
    # And back to the local file.
    assert main(["profile", "history", "team", "local"]) == 0
    assert not isinstance(open_database(), PostgresHistory)


def _local_history(path: Path) -> None:
    """A local history with a row in every table the copy moves."""
    conn = open_database(path)
    actions = ActionStore(conn)
    for n in range(30):
        action = actions.start("Cancel", f"TX{n}", environment="Sandbox", endpoint="e")
        actions.finish(action, ActionOutcome.SUCCEEDED, status_after="Cancelled")
    ipns = IpnStore(conn)
    for n in range(25):
        pairs = list(ipn_fields(f"1{n:034d}").items())
        ipns.add(from_pairs(pairs), Verdict(IpnVerdict.NOT_CHECKED), source="test")
    ipns.quarantine(b"\x00garbage", error="not an IPN", source="test")
    bulk = BulkStore(conn)
    items = [
        BulkItem(0, seq, seq, f"TX{seq}", f"TX{seq}", "cancellable", "Reserved", "1", "USD", "todo")
        for seq in range(5)
    ]
    bulk.create(
        environment="Sandbox", endpoint="e", operator="a", source="f.csv", reason=None, items=items
    )
    now = datetime.now(UTC)
    ActivityCache(conn).upsert(
        "env", [CachedTxn("TXA", now, "Reserved", "Pay", "CC", "1", "USD")], now
    )
    ActivityCache(conn).add_span("env", now, now, now)
    conn.close()


def _migrate(source: Path, url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    bare = url.replace(f":{PASSWORD}@", "@")
    command = [sys.executable, "-m", "fpsdesk", "history", "migrate", "--from", str(source)]
    return subprocess.run(
        [*command, "--to", bare, *extra],
        env=cli_env(PGPASSWORD=PASSWORD),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_migrate_copies_a_local_history_once_and_verifies_the_counts(
    tmp_path: Path, postgres_url: str
) -> None:
    source = tmp_path / "history.sqlite3"
    _local_history(source)
    first = _migrate(source, postgres_url, "--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    counts = {t["table"]: (t["source"], t["target"], t["copied"]) for t in report["tables"]}
    assert counts["actions"] == (30, 30, 30)
    assert counts["action_events"] == (60, 60, 60)
    assert counts["ipns"] == (25, 25, 25)
    assert counts["ipn_quarantine"] == (1, 1, 1)
    assert counts["bulk_items"] == (5, 5, 5)
    assert counts["activity_spans"] == (1, 1, 1)
    # Again: idempotent, nothing added, still verified.
    again = _migrate(source, postgres_url)
    assert again.returncode == 0, again.stderr
    assert "All rows are there." in again.stdout
    assert "+0 " in again.stdout
    assert "+30" not in again.stdout
    # The shared history works on: new ids come after the copied ones.
    shared = ActionStore(open_database(postgres_url))
    assert shared.start("Cancel", "TXNEW", environment="Sandbox", endpoint="e") == 31
    assert len(shared.events(5)) == 2  # an action's events came with it


def test_an_interrupted_migration_resumes(tmp_path: Path, postgres_url: str) -> None:
    source = tmp_path / "history.sqlite3"
    _local_history(source)

    def stop_in_the_middle(table: str, done: int) -> None:
        if table == "ipns":
            raise KeyboardInterrupt

    local = open_sqlite(source)
    target = open_database(postgres_url)
    assert isinstance(target, PostgresHistory)
    old_batch = copying.BATCH
    copying.BATCH = 10
    try:
        with pytest.raises(KeyboardInterrupt):
            copying.copy_history(local, source, target, progress=stop_in_the_middle)
    finally:
        copying.BATCH = old_batch
    assert target.execute("SELECT COUNT(*) FROM ipns").fetchone()[0] == 10  # one batch
    resumed = copying.copy_history(local, source, target)
    assert resumed.ok
    assert {t.table: t.copied for t in resumed.tables}["ipns"] == 15
    assert {t.table: t.copied for t in resumed.tables}["actions"] == 0


def test_another_desks_history_is_not_mixed_in(tmp_path: Path, postgres_url: str) -> None:
    first, second = tmp_path / "a.sqlite3", tmp_path / "b.sqlite3"
    _local_history(first)
    _local_history(second)
    assert _migrate(first, postgres_url).returncode == 0
    refused = _migrate(second, postgres_url)
    assert refused.returncode == 1
    assert "filled from another history" in refused.stderr
    assert "Nothing was copied" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert PASSWORD not in refused.stderr + refused.stdout


def test_a_remote_history_is_reached_over_verified_tls(
    postgres_server: PostgresServer, postgres_url: str
) -> None:
    """A host name that is not this machine: TLS with the server's certificate checked against
    the CA and the name (sslmode=verify-full), the default; no CA or a wrong name: refused."""
    database = postgres_url.rsplit("/", 1)[1]
    remote = f"postgresql://fpsdesk:{PASSWORD}@{TLS_HOST}:{postgres_server.port}/{database}"
    reach = "hostaddr=127.0.0.1"  # the name is checked; the address is this machine's
    history = open_database(f"{remote}?{reach}&sslrootcert={postgres_server.ca_file}")
    row = history.execute(
        "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
    ).fetchone()
    assert row[0] is True
    assert row[1].startswith("TLS")
    with pytest.raises(StoreError, match="certificate verify failed"):
        open_database(f"{remote}?{reach}")  # the system CAs do not know the team's CA
    wrong_name = remote.replace(TLS_HOST, "other.team.test")
    with pytest.raises(StoreError, match="does not match host name"):
        open_database(f"{wrong_name}?{reach}&sslrootcert={postgres_server.ca_file}")
