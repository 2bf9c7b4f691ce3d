"""Amazon's 2009 sample IPN carries ``status=INITIATED`` and no ``transactionStatus``; it was
stored with no status at all. The older field is now mapped to a status for display, lists,
filters and the timeline, and marked as coming from that field (spec §6: "Clients should
display it if present")."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest

from fpsdesk.fps.models import TransactionStatus
from fpsdesk.store import IpnStore, open_database
from fpsdesk.store.ipns import IpnFilter

ROOT = Path(__file__).resolve().parents[2]
TXN = "14DRG2JGR7LK4J54P544DKKNDLQFFZLE323"
# The parameters of Amazon's 2009 sample IPN (spec §6, its string to sign); its signature
# value was not preserved, so this copy carries a placeholder and verifies as Failed.
SAMPLE_2009 = [
    ("buyerName", "BuyerName-SsUo3oDjHx"),
    ("callerReference", "callerReference=ReferenceStringJYI1251832057319108"),
    ("certificateUrl", "https://fps.amazonaws.com/certs/090909/PKICert.pem"),
    ("notificationType", "TransactionStatus"),
    ("operation", "PAY"),
    ("paymentMethod", "CC"),
    ("paymentReason", "DescriptionString-1251832057319108"),
    ("recipientEmail", "recipientemail@amazon.com"),
    ("signatureMethod", "RSA-SHA1"),
    ("signatureVersion", "2"),
    ("status", "INITIATED"),
    ("transactionAmount", "USD 1.00"),
    ("transactionDate", "1251832057"),
    ("transactionId", TXN),
    ("signature", "cGxhY2Vob2xkZXI="),
]


def _fpsdesk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fpsdesk", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@pytest.fixture
def imported(tmp_path: Path) -> Path:
    db = tmp_path / "history.sqlite3"
    sample = tmp_path / "sample-2009.form"
    sample.write_text(urlencode(SAMPLE_2009) + "\n")
    done = _fpsdesk("ipn", "import", str(sample), "--db", str(db))
    assert done.returncode == 0, done.stderr
    return db


def test_the_2009_sample_gets_a_status_marked_as_from_the_older_field(imported: Path) -> None:
    store = IpnStore(open_database(imported))
    (record,) = store.for_transaction(TXN)
    assert record.transaction_status is TransactionStatus.PENDING
    assert record.status_field == "status"
    assert record.status_from_legacy_field
    assert record.status_label == "Pending (2009 status INITIATED)"
    assert store.count(IpnFilter(status=TransactionStatus.PENDING)) == 1

    listed = _fpsdesk("ipn", "list", "--db", str(imported))
    assert listed.returncode == 0, listed.stderr
    assert "Pending (2009 status INITIATED)" in listed.stdout
    as_json = _fpsdesk("ipn", "list", "--db", str(imported), "--json")
    (row,) = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert (row["transaction_status"], row["status_field"]) == ("Pending", "status")


def test_a_row_stored_before_the_mapping_reads_the_older_field(imported: Path) -> None:
    """An IPN an earlier version stored with no status gets it when read."""
    conn = sqlite3.connect(imported)
    conn.execute("UPDATE ipns SET transaction_status = NULL, status_field = NULL")
    conn.commit()
    conn.close()
    (record,) = IpnStore(open_database(imported)).for_transaction(TXN)
    assert record.transaction_status is TransactionStatus.PENDING
    assert record.status_from_legacy_field


def test_transaction_status_wins_over_the_older_field(tmp_path: Path) -> None:
    both = [(k, v) for k, v in SAMPLE_2009 if k != "status"]
    both += [("status", "INITIATED"), ("transactionStatus", "SUCCESS")]
    sample = tmp_path / "both.form"
    sample.write_text(urlencode(both) + "\n")
    db = tmp_path / "history.sqlite3"
    assert _fpsdesk("ipn", "import", str(sample), "--db", str(db)).returncode == 0
    (record,) = IpnStore(open_database(db)).for_transaction(TXN)
    assert record.transaction_status is TransactionStatus.SUCCESS
    assert record.status_field == "transactionStatus"
    assert record.status_label == "Success"


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("INITIATED", TransactionStatus.PENDING),
        ("SUCCESS", TransactionStatus.SUCCESS),
        ("Failure", TransactionStatus.FAILURE),
        ("CANCELED", TransactionStatus.CANCELLED),
        ("RESERVED", TransactionStatus.RESERVED),
        ("SOMETHING-ELSE", None),
    ],
)
def test_older_status_values(value: str, status: TransactionStatus | None) -> None:
    from fpsdesk.records.ipn import legacy_status

    assert legacy_status(value) is status
