"""The receiver over real loopback HTTP: 200 only after the write, garbage quarantined with 400,
oversized bodies refused with 413 unread, and genuine sandbox IPNs Verified."""

from __future__ import annotations

import io
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fpsdesk.fps.client import FpsClient
from fpsdesk.ipn.receiver import IpnReceiver, ReceiverServer, make_app
from fpsdesk.ipn.verify import CertificateCache, IpnVerifier, TrustPolicy
from fpsdesk.records.ipn import FailReason, IpnVerdict
from fpsdesk.sandbox import SandboxServer
from fpsdesk.store import IpnRecord, IpnStore, open_database
from tests.ipn.helpers import CERT_PATH, CertServer, Signer, ipn_fields

FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


@pytest.fixture
def store(history: Path | str) -> IpnStore:
    """The receiver's tests run on both backends."""
    return IpnStore(open_database(history))


@pytest.fixture
def stored() -> list[IpnRecord]:
    return []


@pytest.fixture
def receiver(
    store: IpnStore, certs: CertServer, tmp_path: Path, stored: list[IpnRecord]
) -> Iterator[ReceiverServer]:
    verifier = IpnVerifier(
        TrustPolicy.of([certs.host_port]), certificates=CertificateCache(tmp_path / "c")
    )
    app = IpnReceiver(store, verifier, max_body=1024 * 1024, on_stored=stored.append)
    with ReceiverServer(app) as server:
        yield server


def _signed(signer: Signer, certs: CertServer, url: str, **overrides: str) -> str:
    pairs = signer.sign(
        ipn_fields(**overrides), endpoint_url=url, certificate_url=certs.cert_url(CERT_PATH)
    )
    return urlencode(pairs)


def test_a_genuine_ipn_is_stored_verified_then_acknowledged(
    receiver: ReceiverServer,
    signer: Signer,
    certs: CertServer,
    store: IpnStore,
    stored: list[IpnRecord],
    history: Path | str,
) -> None:
    url = receiver.url + "fps/ipn"
    response = requests.post(url, data=_signed(signer, certs, url), headers=FORM, timeout=10)
    assert response.status_code == 200
    # Acknowledged means committed: a separate connection to the history sees it.
    other = open_database(history)
    rows = other.execute("SELECT verdict, delivery_count FROM ipns").fetchall()
    assert [tuple(r) for r in rows] == [("verified", 1)]
    (record,) = store.for_transaction(ipn_fields()["transactionId"])
    assert record.trusted
    assert record.endpoint_url == url
    assert record.source.startswith("http 127.0.0.1 /fps/ipn")
    assert [r.id for r in stored] == [record.id]


def test_a_retry_raises_the_delivery_count(
    receiver: ReceiverServer, signer: Signer, certs: CertServer, store: IpnStore
) -> None:
    url = receiver.url + "ipn"
    body = _signed(signer, certs, url)
    for _ in range(3):
        assert requests.post(url, data=body, headers=FORM, timeout=10).status_code == 200
    (record,) = store.for_transaction(ipn_fields()["transactionId"])
    assert record.delivery_count == 3


def test_a_forged_ipn_is_stored_failed_and_still_acknowledged(
    receiver: ReceiverServer, signer: Signer, certs: CertServer, store: IpnStore
) -> None:
    url = receiver.url + "ipn"
    body = _signed(signer, certs, url).replace("USD+1.00", "USD+999.00")
    assert requests.post(url, data=body, headers=FORM, timeout=10).status_code == 200
    (record,) = store.for_transaction(ipn_fields()["transactionId"])
    assert record.verdict is IpnVerdict.FAILED
    assert record.reason_code is FailReason.BAD_SIGNATURE
    assert not record.trusted


def test_query_parameters_on_the_ipn_url_are_part_of_the_notification(
    receiver: ReceiverServer, signer: Signer, certs: CertServer, store: IpnStore
) -> None:
    endpoint = receiver.url + "ipn"
    fields = ipn_fields()
    pairs = signer.sign(
        [("merchant", "shop 7"), *fields.items()],
        endpoint_url=endpoint,
        certificate_url=certs.cert_url(CERT_PATH),
    )
    query, body = urlencode(pairs[:1]), urlencode(pairs[1:])
    response = requests.post(f"{endpoint}?{query}", data=body, headers=FORM, timeout=10)
    assert response.status_code == 200
    (record,) = store.for_transaction(fields["transactionId"])
    assert record.params[0] == ("merchant", "shop 7")
    assert record.verdict is IpnVerdict.VERIFIED, record.reason


def test_unicode_and_newlines_survive_the_wire(
    receiver: ReceiverServer, signer: Signer, certs: CertServer, store: IpnStore
) -> None:
    url = receiver.url + "ipn"
    reason = "Café ☕\r\nzweite Zeile — 日本"
    body = _signed(signer, certs, url, paymentReason=reason, buyerName="Zoë 🙂")
    assert requests.post(url, data=body, headers=FORM, timeout=10).status_code == 200
    (record,) = store.for_transaction(ipn_fields()["transactionId"])
    assert record.get("paymentReason") == reason
    assert record.get("buyerName") == "Zoë 🙂"
    assert record.verdict is IpnVerdict.VERIFIED


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"this is not an IPN", "application/x-www-form-urlencoded", 400),
        (b"\xff\xfe\x00garbage", "application/x-www-form-urlencoded", 400),
        (b"notificationType=TransactionStatus&transactionId=ab-c", "text/plain", 400),
        (
            b"notificationType=TokenCancellation&tokenId=a&tokenId=b",
            "application/x-www-form-urlencoded",
            400,
        ),
        (b'{"notificationType": "TransactionStatus"}', "application/json", 415),
    ],
)
def test_garbage_gets_400_and_is_kept_in_quarantine(
    receiver: ReceiverServer, store: IpnStore, body: bytes, content_type: str, status: int
) -> None:
    response = requests.post(
        receiver.url + "ipn", data=body, headers={"Content-Type": content_type}, timeout=10
    )
    assert response.status_code == status
    assert response.text.startswith("not an IPN:")
    assert store.count() == 0
    (kept,) = store.quarantined()
    assert kept.body == body
    assert kept.content_type == content_type


def _raw_request(url: str, head: str, body: bytes = b"") -> bytes:
    host, port = url.split("//", 1)[1].rstrip("/").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head.encode("ascii") + body)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def test_a_10_mb_body_is_refused_with_413_without_being_read(
    receiver: ReceiverServer, store: IpnStore
) -> None:
    # Announce 10 MB but send only 64 KiB and wait: the answer can only come if the receiver
    # decided from the Content-Length alone (reading the body would wait for bytes never sent,
    # and this socket times out after 10 s, failing the test).
    head = (
        "POST /ipn HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {10 * 1024 * 1024}\r\n\r\n"
    )
    answer = _raw_request(receiver.url, head, b"a" * 65536)
    assert answer.startswith(b"HTTP/1.0 413") or answer.startswith(b"HTTP/1.1 413")
    assert store.count() == 0
    assert store.quarantine_count() == 0


def test_a_real_client_sending_an_oversized_body_reads_the_413(
    receiver: ReceiverServer,
) -> None:
    response = requests.post(
        receiver.url + "ipn", data=b"x" * (1024 * 1024 + 1), headers=FORM, timeout=10
    )
    assert response.status_code == 413


def test_a_body_cut_short_is_refused_and_not_stored(
    receiver: ReceiverServer, store: IpnStore
) -> None:
    host, port = receiver.url.split("//", 1)[1].rstrip("/").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /ipn HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"
            b"notificationType=TokenCancellation"
        )
        sock.shutdown(socket.SHUT_WR)  # the sender gives up mid-body
        answer = sock.recv(65536)
    assert b" 400 " in answer.split(b"\r\n", 1)[0]
    assert store.count() == 0


def test_missing_length_and_wrong_methods(receiver: ReceiverServer) -> None:
    answer = _raw_request(receiver.url, "POST /ipn HTTP/1.0\r\nHost: x\r\n\r\n")
    assert b" 411 " in answer.split(b"\r\n", 1)[0]
    assert requests.put(receiver.url, data=b"a=b", timeout=10).status_code == 405
    assert requests.get(receiver.url, timeout=10).status_code == 200  # a health probe


def test_no_acknowledgement_when_the_write_fails(
    receiver: ReceiverServer, signer: Signer, certs: CertServer, store: IpnStore
) -> None:
    # A real store failure: the connection under the store is closed, every write raises.
    store._conn.close()
    url = receiver.url + "ipn"
    response = requests.post(url, data=_signed(signer, certs, url), headers=FORM, timeout=10)
    assert response.status_code == 503
    response = requests.post(url, data=b"garbage", headers=FORM, timeout=10)
    assert response.status_code == 503


def test_the_configured_endpoint_url_is_what_gets_verified(
    store: IpnStore, signer: Signer, certs: CertServer, tmp_path: Path
) -> None:
    public = "https://merchant.example.com/fps/ipn"  # what FPS posted to, through a proxy
    verifier = IpnVerifier(
        TrustPolicy.of([certs.host_port]), certificates=CertificateCache(tmp_path)
    )
    with ReceiverServer(IpnReceiver(store, verifier, endpoint_url=public)) as server:
        body = _signed(signer, certs, public)
        assert requests.post(server.url + "x", data=body, headers=FORM, timeout=10).ok
    assert store.page()[0].verdict is IpnVerdict.VERIFIED


# -- the real sandbox -------------------------------------------------------------------------


def test_sandbox_ipns_arrive_verified_and_forgeries_fail(
    sandbox: SandboxServer, sandbox_client: FpsClient, tmp_path: Path
) -> None:
    arrived = threading.Event()
    app = make_app(
        db_path=tmp_path / "h.sqlite3",
        fps_endpoint=sandbox.url,
        on_stored=lambda record: arrived.set(),
    )
    with ReceiverServer(app) as server:
        sandbox.set_ipn_urls([server.url + "ipn"])
        txn = sandbox.create_transaction(status="Reserved")
        result = sandbox_client.cancel(txn, "customer asked")
        assert result.transaction_status.value == "Cancelled"
        assert arrived.wait(10)
        assert sandbox.wait_for_ipns(10)
        records = app.store.for_transaction(txn)
        assert records
        assert records[-1].transaction_status is not None
        assert records[-1].transaction_status.value == "Cancelled"
        assert all(r.verdict is IpnVerdict.VERIFIED for r in records), [r.reason for r in records]
        assert all(
            r.get(
                "certificateUrl",
            )
            == sandbox.certificate_url
            for r in records
        )
        # The same genuine IPN, tampered on the way: Failed, bad signature.
        genuine = records[-1]
        forged = [(k, "USD 999.00" if k == "transactionAmount" else v) for k, v in genuine.params]
        response = requests.post(
            server.url + "ipn", data=urlencode(forged), headers=FORM, timeout=10
        )
        assert response.status_code == 200
        verdicts = {r.verdict for r in app.store.for_transaction(txn)}
        assert IpnVerdict.FAILED in verdicts


def test_remote_verification_through_the_sandbox_verify_signature(
    sandbox: SandboxServer, sandbox_client: FpsClient, tmp_path: Path
) -> None:
    store = IpnStore(open_database(tmp_path / "h.sqlite3"))
    verifier = IpnVerifier(
        TrustPolicy.for_endpoint(sandbox.url), mode="remote", remote=sandbox_client
    )
    arrived = threading.Event()
    app = IpnReceiver(store, verifier, on_stored=lambda record: arrived.set())
    with ReceiverServer(app) as server:
        sandbox.set_ipn_urls([server.url + "ipn"])
        txn = sandbox.create_transaction(status="Reserved")
        sandbox_client.cancel(txn)
        assert arrived.wait(10)
        record = store.for_transaction(txn)[-1]
        assert record.verdict is IpnVerdict.VERIFIED, record.reason
        assert record.verify_method == "remote"
        forged = [(k, "USD 999.00" if k == "transactionAmount" else v) for k, v in record.params]
        requests.post(server.url + "ipn", data=urlencode(forged), headers=FORM, timeout=10)
        failed = [r for r in store.for_transaction(txn) if r.verdict is IpnVerdict.FAILED]
        assert failed
        assert failed[0].reason_code is FailReason.BAD_SIGNATURE
        assert failed[0].verify_method == "remote"


# -- arbitrary bodies never crash the app -------------------------------------------------------


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.binary(max_size=300)
    | st.builds(lambda t: t.encode("utf-8"), st.text(max_size=200))
    | st.builds(
        lambda pairs: urlencode([("notificationType", "TransactionStatus"), *pairs]).encode(),
        st.lists(st.tuples(st.text(max_size=12), st.text(max_size=20)), max_size=5),
    ),
    content_type=st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "text/plain",
            "",
            "application/json",
            "application/x-www-form-urlencoded; charset=bogus",
            "text/plain; charset=latin-1",
        ]
    ),
    query=st.text(max_size=30),
)
def test_any_body_gets_a_clear_answer_never_a_crash(
    tmp_path: Path, body: bytes, content_type: str, query: str
) -> None:
    store = IpnStore(open_database(":memory:"))
    verifier = IpnVerifier(TrustPolicy.amazon(), certificates=CertificateCache(tmp_path))
    app = IpnReceiver(store, verifier)
    statuses: list[str] = []
    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": content_type,
        "QUERY_STRING": query,
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8765",
        "PATH_INFO": "/ipn",
        "REMOTE_ADDR": "127.0.0.1",
    }
    answer = b"".join(app(environ, lambda status, headers, exc_info=None: statuses.append(status)))
    code = int(statuses[0].split()[0])
    assert code in (200, 400, 415), (statuses, answer)
    assert store.count() + store.quarantine_count() == 1  # stored or quarantined, never lost
