"""Importing files: every format, idempotent, bad records reported with their line, the
receiving URL taken into account, and Not checked verdicts settled later by a re-check."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import pytest

from fpsdesk.ipn.importer import Importer
from fpsdesk.ipn.recheck import not_checked, recheck
from fpsdesk.ipn.verify import CertificateCache, IpnVerifier, TrustPolicy
from fpsdesk.records.ipn import FailReason, IpnVerdict
from fpsdesk.store import IpnStore, open_database
from tests.ipn.helpers import CERT_PATH, SEED_PAIRS, CertServer, Signer, ipn_fields

DATA = Path(__file__).parent / "data"
SEED_FILES = ["seed.form", "seed.query", "seed.jsonl", "seed.dump", "seed_page.txt"]
ENDPOINT = "https://merchant.example.com/fps/ipn"


@pytest.fixture
def db_path(history: Path | str) -> Path | str:
    """The importer's tests run on both backends."""
    return history


@pytest.fixture
def store(db_path: Path | str) -> IpnStore:
    return IpnStore(open_database(db_path))


@pytest.fixture
def verifier(certs: CertServer, tmp_path: Path) -> IpnVerifier:
    return IpnVerifier(
        TrustPolicy.of([certs.host_port]), certificates=CertificateCache(tmp_path / "c")
    )


def _snapshot(db_path: Path | str) -> list[tuple[object, ...]]:
    conn = open_database(db_path)
    try:
        return [
            tuple(row)
            for row in conn.execute(
                "SELECT id, content_hash, params, verdict, reason, delivery_count, received_at,"
                " last_received_at, checked_at FROM ipns ORDER BY id"
            ).fetchall()
        ]
    finally:
        conn.close()


@pytest.mark.parametrize("name", SEED_FILES)
def test_each_format_imports_the_seed_sample(
    name: str, store: IpnStore, verifier: IpnVerifier, db_path: Path | str
) -> None:
    report = Importer(store, verifier).import_paths([DATA / name])
    assert report.ok, report.problems
    assert (report.records, report.added) == (1, 1)
    (record,) = store.page()
    assert record.transaction_id == "14GKI1SKSR1V6DO1RCCB32RBR6KLODMGQUD"
    assert record.amount is not None
    assert str(record.amount) == "USD 1.00"
    assert [k for k, _ in record.params] == [k for k, _ in SEED_PAIRS]
    # The seed names Amazon's sandbox certificate host, which this verifier does not trust.
    assert record.verdict is IpnVerdict.FAILED
    assert record.reason_code is FailReason.UNTRUSTED_CERTIFICATE_HOST
    before = _snapshot(db_path)
    again = Importer(store, verifier).import_paths([DATA / name])
    assert (again.records, again.added, again.already_stored) == (1, 0, 1)
    assert _snapshot(db_path) == before  # importing twice adds (and changes) nothing


def test_all_formats_of_one_notification_are_one_row(
    store: IpnStore, verifier: IpnVerifier, db_path: Path | str
) -> None:
    paths = [DATA / n for n in SEED_FILES]
    report = Importer(store, verifier).import_paths(paths)
    assert (report.records, report.added, report.already_stored) == (5, 1, 4)
    before = _snapshot(db_path)
    Importer(store, verifier).import_paths(paths)
    assert _snapshot(db_path) == before


def test_bad_records_are_reported_with_their_line_and_the_rest_imported(
    store: IpnStore, verifier: IpnVerifier, tmp_path: Path
) -> None:
    good = [urlencode(ipn_fields(f"1{n:034d}")) for n in range(3)]
    path = tmp_path / "mixed.form"
    path.write_text(f"{good[0]}\n\nnotificationType=X&a=1&a=2\n{good[1]}\nnot a form\n{good[2]}\n")
    report = Importer(store, verifier, fmt="form").import_paths([path])
    assert report.added == 3
    assert [(p.line, "more than once" in p.message) for p in report.problems][:1] == [(3, True)]
    assert [p.line for p in report.problems] == [3, 5]
    assert str(report.problems[0]).startswith(f"{path}:3: ")


def test_unreadable_files_are_problems_not_crashes(
    store: IpnStore, verifier: IpnVerifier, tmp_path: Path
) -> None:
    latin = tmp_path / "latin1.txt"
    latin.write_bytes(b"notificationType: TokenCancellation\ntokenId: Zo\xeb\n")
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    report = Importer(store, verifier).import_paths([latin, empty, tmp_path / "missing.txt"])
    messages = [str(p) for p in report.problems]
    assert "not UTF-8" in messages[0]
    assert "no IPN found" in messages[1]
    assert "missing.txt" in messages[2]
    assert store.count() == 0


def test_the_endpoint_url_decides_the_verdict_and_recheck_settles_it_later(
    store: IpnStore, verifier: IpnVerifier, signer: Signer, certs: CertServer, tmp_path: Path
) -> None:
    lines = [
        urlencode(
            signer.sign(
                ipn_fields(f"1{n:034d}"),
                endpoint_url=ENDPOINT,
                certificate_url=certs.cert_url(CERT_PATH),
            )
        )
        for n in range(4)
    ]
    path = tmp_path / "genuine.form"
    path.write_text("\n".join(lines) + "\n")
    report = Importer(store, verifier).import_paths([path])
    assert report.verdicts == {"Not checked": 4}
    assert {r.reason_code for r in store.page()} == {FailReason.ENDPOINT_UNKNOWN}
    # Importing again with the URL does not add rows, but settles what was not checked.
    report = Importer(store, verifier, endpoint_url=ENDPOINT).import_paths([path])
    assert (report.added, report.already_stored) == (0, 4)
    assert {r.verdict for r in store.page()} == {IpnVerdict.VERIFIED}
    # A wrong URL on a fresh store gives Failed: the URL is part of what was signed.
    other = IpnStore(open_database(tmp_path / "other.sqlite3"))
    Importer(other, verifier, endpoint_url=ENDPOINT + "x").import_paths([path])
    assert {r.reason_code for r in other.page()} == {FailReason.BAD_SIGNATURE}


def test_recheck_settles_not_checked_ipns(
    store: IpnStore, verifier: IpnVerifier, signer: Signer, certs: CertServer, tmp_path: Path
) -> None:
    pairs = signer.sign(
        ipn_fields(), endpoint_url=ENDPOINT, certificate_url=certs.cert_url(CERT_PATH)
    )
    path = tmp_path / "one.form"
    path.write_text(urlencode(pairs))
    Importer(store, verifier).import_paths([path])
    assert len(not_checked(store)) == 1
    report = recheck(store, verifier, not_checked(store), endpoint_url=ENDPOINT)
    assert (report.checked, report.changed) == (1, 1)
    assert not_checked(store) == []
    (record,) = store.page()
    assert record.verdict is IpnVerdict.VERIFIED
    assert record.endpoint_url == ENDPOINT


def test_list_json_lines_import_back_exactly(
    store: IpnStore, verifier: IpnVerifier, signer: Signer, certs: CertServer, tmp_path: Path
) -> None:
    pairs = signer.sign(
        ipn_fields(paymentReason="Zoë\nline 2"),
        endpoint_url=ENDPOINT,
        certificate_url=certs.cert_url(CERT_PATH),
    )
    path = tmp_path / "one.form"
    path.write_text(urlencode(pairs))
    Importer(store, verifier, endpoint_url=ENDPOINT).import_paths([path])
    (record,) = store.page()
    exported = tmp_path / "export.jsonl"
    exported.write_text(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
    fresh = IpnStore(open_database(tmp_path / "fresh.sqlite3"))
    report = Importer(fresh, verifier).import_paths([exported])
    assert report.ok
    (copy,) = fresh.page()
    assert copy.params == record.params
    assert copy.endpoint_url == ENDPOINT  # carried in the envelope
    assert copy.verdict is IpnVerdict.VERIFIED
