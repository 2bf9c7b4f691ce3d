"""The history's schema: one list of forward-only migrations both backends apply.

:data:`MIGRATIONS` is written in the SQL SQLite and PostgreSQL both understand; the few
PostgreSQL spellings are made from it in fpsdesk/store/postgres.py. Each migration is a list of
statements applied in one transaction; SQLite's ``PRAGMA user_version`` (PostgreSQL: the
``fpsdesk_schema`` table) records how far a database has come. Add a migration at the end,
never edit an applied one. ``StoreError`` is here too: both backends raise it.
"""

from __future__ import annotations

from dataclasses import dataclass


class StoreError(Exception):
    """The history file cannot be opened or is not ours (a clear message, nothing lost)."""


class HistoryUnreachable(StoreError):
    """The shared history's server cannot be reached (down, network, refused login, TLS):
    nothing was read or written. ``reason`` is libpq's first line, for a banner."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message


@dataclass(frozen=True)
class Spelled:
    """A migration step the two backends spell differently (a trigger, say): SQLite's
    statement and PostgreSQL's statements. Rare by design; plain DDL is translated by
    ``fpsdesk.store.postgres.ddl``."""

    sqlite: str | None  # None: nothing to do on SQLite
    postgresql: tuple[str, ...]


Statement = str | Spelled

MIGRATIONS: list[list[Statement]] = [
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
    # 2: IPNs (raw + parsed + verdict; one row per distinct content, with a delivery count)
    # and the quarantine of bodies that were not IPNs. See fpsdesk/store/ipns.py.
    [
        """
        CREATE TABLE ipns (
            id INTEGER PRIMARY KEY,
            content_hash TEXT NOT NULL UNIQUE,
            params TEXT NOT NULL,
            notification_type TEXT NOT NULL,
            transaction_id TEXT,
            parent_transaction_id TEXT,
            event_at TEXT NOT NULL,
            transaction_date TEXT,
            transaction_status TEXT,
            operation TEXT,
            status_code TEXT,
            currency TEXT,
            amount TEXT,
            verdict TEXT NOT NULL,
            reason_code TEXT,
            reason TEXT,
            verify_method TEXT,
            checked_at TEXT NOT NULL,
            endpoint_url TEXT,
            http_method TEXT NOT NULL,
            source TEXT NOT NULL,
            received_at TEXT NOT NULL,
            last_received_at TEXT NOT NULL,
            delivery_count INTEGER NOT NULL
        )
        """,
        "CREATE INDEX ipns_transaction ON ipns(transaction_id, event_at, id)",
        "CREATE INDEX ipns_parent ON ipns(parent_transaction_id)",
        "CREATE INDEX ipns_event ON ipns(event_at, id)",
        "CREATE INDEX ipns_verdict ON ipns(verdict, event_at)",
        """
        CREATE TABLE ipn_quarantine (
            id INTEGER PRIMARY KEY,
            content_hash TEXT NOT NULL UNIQUE,
            body BLOB NOT NULL,
            content_type TEXT,
            error TEXT NOT NULL,
            source TEXT NOT NULL,
            received_at TEXT NOT NULL,
            last_received_at TEXT NOT NULL,
            delivery_count INTEGER NOT NULL
        )
        """,
        "CREATE INDEX ipn_quarantine_received ON ipn_quarantine(received_at)",
    ],
    # 3: who owns an action while its answer is awaited (process and lease), until when an
    # unknown Cancel may still take effect, and every change of outcome as an event, so a
    # later truth corrects an earlier one without erasing it. See fpsdesk/desk/settle.py.
    [
        "ALTER TABLE actions ADD COLUMN owner_host TEXT",
        "ALTER TABLE actions ADD COLUMN owner_pid INTEGER",
        "ALTER TABLE actions ADD COLUMN owner_started TEXT",
        "ALTER TABLE actions ADD COLUMN lease_until TEXT",
        "ALTER TABLE actions ADD COLUMN decide_after TEXT",
        "ALTER TABLE actions ADD COLUMN corrected_from TEXT",
        """
        CREATE TABLE action_events (
            id INTEGER PRIMARY KEY,
            action_id INTEGER NOT NULL REFERENCES actions(id),
            at TEXT NOT NULL,
            outcome TEXT NOT NULL,
            status TEXT,
            source TEXT NOT NULL,
            detail TEXT,
            recorded_by TEXT NOT NULL
        )
        """,
        "CREATE INDEX action_events_action ON action_events(action_id, id)",
        # Rows from before events: their outcome so far, as one event.
        """
        INSERT INTO action_events (action_id, at, outcome, status, source, detail, recorded_by)
        SELECT id, COALESCE(reconciled_at, finished_at, created_at), outcome, status_after,
               'migrated', error_message, operator
        FROM actions
        """,
    ],
    # 4: the search cache: transactions read from GetAccountActivity (per environment), the
    # periods read completely and when, and e-mails learnt from details. See store/activity.py.
    [
        """
        CREATE TABLE activity_txns (
            env_key TEXT NOT NULL,
            transaction_id TEXT NOT NULL,
            date_received TEXT NOT NULL,
            status TEXT NOT NULL,
            operation TEXT NOT NULL,
            payment_method TEXT NOT NULL,
            amount TEXT NOT NULL,
            currency TEXT NOT NULL,
            caller_reference TEXT,
            description TEXT,
            sender_name TEXT,
            recipient_name TEXT,
            caller_name TEXT,
            sender_email TEXT,
            recipient_email TEXT,
            read_at TEXT NOT NULL,
            PRIMARY KEY (env_key, transaction_id)
        )
        """,
        "CREATE INDEX activity_txns_received ON activity_txns(env_key, date_received)",
        """
        CREATE TABLE activity_spans (
            id INTEGER PRIMARY KEY,
            env_key TEXT NOT NULL,
            start TEXT NOT NULL,
            end TEXT NOT NULL,
            read_at TEXT NOT NULL
        )
        """,
        "CREATE INDEX activity_spans_env ON activity_spans(env_key, start)",
    ],
    # 5: bulk cancel runs: the job (its dry run, then its run) and one row per input line,
    # written before that item's Cancel leaves, so a crash resumes where it stopped.
    [
        """
        CREATE TABLE bulk_jobs (
            id INTEGER PRIMARY KEY,
            created_at TEXT NOT NULL,
            environment TEXT NOT NULL,
            endpoint TEXT NOT NULL,
            operator TEXT NOT NULL,
            source TEXT NOT NULL,
            reason TEXT,
            state TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """,
        """
        CREATE TABLE bulk_items (
            job_id INTEGER NOT NULL REFERENCES bulk_jobs(id),
            seq INTEGER NOT NULL,
            line_no INTEGER,
            line TEXT,
            transaction_id TEXT,
            class TEXT NOT NULL,
            status TEXT,
            amount TEXT,
            currency TEXT,
            state TEXT NOT NULL,
            action_id INTEGER,
            outcome TEXT,
            status_after TEXT,
            request_id TEXT,
            message TEXT,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (job_id, seq)
        )
        """,
        "CREATE INDEX bulk_items_txn ON bulk_items(transaction_id)",
    ],
    # 6: the quarantine keeps a bounded prefix of each refused body with its full size (its
    # content_hash was always over the whole body) and counts what it dropped to stay within
    # its caps; bodies already kept whole are cut to the same prefix. And the field an IPN's
    # status came from (the 2009 ``status`` field). See fpsdesk/store/ipns.py.
    [
        "ALTER TABLE ipn_quarantine ADD COLUMN body_size INTEGER",
        "UPDATE ipn_quarantine SET body_size = length(body)",
        "UPDATE ipn_quarantine SET body = substr(body, 1, 4096) WHERE length(body) > 4096",
        "CREATE INDEX ipn_quarantine_last ON ipn_quarantine(last_received_at, id)",
        """
        CREATE TABLE ipn_quarantine_dropped (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            bodies INTEGER NOT NULL,
            deliveries INTEGER NOT NULL,
            last_dropped_at TEXT
        )
        """,
        "INSERT INTO ipn_quarantine_dropped (id, bodies, deliveries) VALUES (1, 0, 0)",
        # Which field an IPN's transaction_status came from: 'transactionStatus', or 'status'
        # for a 2009 notification that has only that (mapped, and shown as such).
        "ALTER TABLE ipns ADD COLUMN status_field TEXT",
    ],
    # 7: the claim of a Cancel in flight. At most one per transaction and environment, enforced
    # by a unique index, so desks sharing one history never both send a Cancel of the same
    # transaction; the claim is released when the sender records FPS's answer (or its loss),
    # or when the action is settled. See ActionStore.start and fpsdesk/desk/cancel.py.
    [
        "ALTER TABLE actions ADD COLUMN claim INTEGER",
        "CREATE UNIQUE INDEX actions_cancel_claim ON actions(transaction_id, environment)"
        " WHERE claim IS NOT NULL",
    ],
    # 8: which local histories were copied into this one (``fpsdesk history migrate``), so a
    # copy resumes where it stopped and another desk's history is never mixed in by id.
    [
        """
        CREATE TABLE history_copies (
            source TEXT PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT
        )
        """,
    ],
    # 9: what the results dashboard counts: a cancel's reason code (from the profile's list,
    # never rewritten once recorded) and the amount it was for (the amount released is summed
    # per currency); a bulk run's code, sent with each of its Cancels; the indexes the
    # dashboard reads. Older rows have neither code nor amount. See store/report.py.
    [
        "ALTER TABLE actions ADD COLUMN reason_code TEXT",
        "ALTER TABLE actions ADD COLUMN amount TEXT",
        "ALTER TABLE actions ADD COLUMN currency TEXT",
        "ALTER TABLE bulk_jobs ADD COLUMN reason_code TEXT",
        # Covering indexes for the dashboard's GROUP BYs: each breakdown reads one index in
        # its grouping order (no sort, no table rows), ~30 ms for a year of 100,000 Cancels.
        "CREATE INDEX actions_report_outcome ON actions(kind, outcome, created_at, environment,"
        " corrected_from)",
        "CREATE INDEX actions_report_time ON actions(kind, created_at)",
        "CREATE INDEX actions_report_amount ON actions(kind, outcome, currency, created_at,"
        " environment, amount)",
        "CREATE INDEX actions_report_agent ON actions(kind, operator, outcome, corrected_from,"
        " created_at, environment)",
        "CREATE INDEX actions_report_reason ON actions(kind, reason_code, reason, outcome,"
        " corrected_from, created_at, environment)",
        "CREATE INDEX actions_report_status ON actions(kind, status_before, error_code, outcome,"
        " corrected_from, created_at, environment)",
        "CREATE INDEX actions_report_environment ON actions(kind, environment)",
        Spelled(
            sqlite="CREATE TRIGGER actions_reason_code_kept BEFORE UPDATE OF reason_code ON"
            " actions WHEN OLD.reason_code IS NOT NULL AND NEW.reason_code IS NOT"
            " OLD.reason_code BEGIN SELECT RAISE(ABORT, 'a recorded reason code is never"
            " rewritten'); END",
            postgresql=(
                "CREATE FUNCTION actions_reason_code_kept() RETURNS trigger AS $$ BEGIN"
                " IF OLD.reason_code IS NOT NULL AND NEW.reason_code IS DISTINCT FROM"
                " OLD.reason_code THEN RAISE EXCEPTION 'a recorded reason code is never"
                " rewritten'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
                "CREATE TRIGGER actions_reason_code_kept BEFORE UPDATE OF reason_code ON"
                " actions FOR EACH ROW EXECUTE FUNCTION actions_reason_code_kept()",
            ),
        ),
    ],
    # 10: live updates on a shared history. Every write of an action NOTIFYs the desks that
    # LISTEN (fpsdesk/store/live.py), whoever wrote it: another desk or the CLI; the channel
    # carries the transaction ID (one per row; PostgreSQL folds equal notifications of one
    # transaction). IPNs are announced by the store after their commit instead
    # (fpsdesk/store/postgres.py): a NOTIFY inside the receiver's commit would serialise its
    # workers' commits. SQLite has no listeners: nothing to do there.
    [
        Spelled(
            sqlite=None,
            postgresql=(
                "CREATE FUNCTION fpsdesk_notify_actions() RETURNS trigger AS $$ BEGIN"
                " PERFORM pg_notify('fpsdesk_actions', NEW.transaction_id); RETURN NULL;"
                " END $$ LANGUAGE plpgsql",
                "CREATE TRIGGER actions_notify AFTER INSERT OR UPDATE ON actions"
                " FOR EACH ROW EXECUTE FUNCTION fpsdesk_notify_actions()",
            ),
        ),
    ],
    # 11: the Notifications view's operation filter lists the operations present; over their
    # own index IpnStore.distinct hops from one value to the next (a handful of seeks) instead
    # of reading every row, which took seconds at a million IPNs. See fpsdesk/store/ipns.py.
    [
        "CREATE INDEX ipns_operation ON ipns(operation)",
    ],
    # 12: every attempt to cancel is on record with its agent, also one that sent nothing
    # because another Cancel held the transaction or had just cancelled it (a desk that lost
    # a race). Kept apart from ``actions``: nothing was sent, so nothing there to count or
    # settle. See ActionStore.record_refusal.
    [
        """
        CREATE TABLE cancel_refusals (
            id INTEGER PRIMARY KEY,
            transaction_id TEXT NOT NULL,
            environment TEXT NOT NULL,
            at TEXT NOT NULL,
            operator TEXT NOT NULL,
            recorded_by TEXT NOT NULL,
            why TEXT NOT NULL,
            holder_action_id INTEGER REFERENCES actions(id)
        )
        """,
        "CREATE INDEX cancel_refusals_txn ON cancel_refusals(transaction_id, environment)",
    ],
]
