"""Test helpers: a signing key with its certificate, served over loopback HTTP like FPS did.

These are real parts: a real RSA key, a real X.509 certificate, a real HTTP server on
127.0.0.1. Only the signer is ours instead of the sandbox's, so the verifier can be tested with
keys and certificates the sandbox would never produce (expired, foreign, oversized).
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from hypothesis import strategies as st

from fpsdesk.fps.ids import normalize_transaction_id
from fpsdesk.fps.signing import ipn_string_to_sign
from fpsdesk.ipn.parse import MAX_PARAMS, from_pairs
from fpsdesk.records.ipn import Ipn
from tests.fixtures.serving import ServerThread

SEED_PAIRS: list[tuple[str, str]] = [
    ("transactionId", "14GKI1SKSR1V6DO1RCCB32RBR6KLODMGQUD"),
    ("statusMessage", "The transaction was explicitly cancelled by the caller."),
    ("transactionDate", "1254820475"),
    ("signatureVersion", "2"),
    ("signatureMethod", "RSA-SHA1"),
    ("buyerEmail", "new_premium@amazon.com"),
    ("notificationType", "TransactionStatus"),
    ("callerReference", "CallerReference08"),
    ("transactionAmount", "USD 1.00"),
    ("transactionStatus", "CANCELLED"),
    ("operation", "RESERVE"),
    ("recipientEmail", "test-caller@amazon.com"),
    ("buyerName", "Test Business"),
    (
        "signature",
        "jWDbBxtEhw2rQEyMeEXcpWCgoZvm8rjLEnmg38oYoPPR7NbMGgmMA9/5CDjt9Q/FMktKMbARXnZF "
        "YTzHj3YOKiAM3vxI0zT1oTiSdBx1KBRFzK7mauxxlQv5BYxjFX+R5cl+keCaT2nQyrp3agdrIIp5 "
        "MZ5Oy9dBuYMwMFWXoZZor90EidD23hBdZSOOzQRUdzKaKJsF14RQVrKcf5pDCs1HaB6LBKbATaNT "
        "RSxxrviIXy9JcWRQhJwzcc1H6cFOJDpNFSJ03b0Z94eL/XNu9BU7bT4KRWb+OHF0Pn53yf4zyBT9 "
        "jTD+94WeujCxwE2rF0j5+brmXp/+Sn/RccDG7w==",
    ),
    ("recipientName", "Test Business"),
    ("paymentMethod", "CC"),
    ("certificateUrl", "https://fps.sandbox.amazonaws.com/certs/090909/PKICert.pem"),
    ("paymentReason", "Reserve"),
    ("statusCode", "Cancelled"),
]

# The seed's signature as Amazon emitted it: MIME base64, one LF every 76 characters (the web
# page flattened those line breaks into spaces).
SEED_PAIRS_MIME: list[tuple[str, str]] = [
    (k, v.replace(" ", "\n") if k == "signature" else v) for k, v in SEED_PAIRS
]

TXN_ID = "14GKI1SKSR1V6DO1RCCB32RBR6KLODMGQUD"
# Where the test certificate server serves the signing certificate (the sandbox's path shape).
CERT_PATH = "/certs/261126/PKICert.pem"


@dataclass
class Signer:
    """An RSA key and a self-signed certificate; signs IPNs like FPS (spec §6)."""

    key: rsa.RSAPrivateKey
    cert: x509.Certificate

    @classmethod
    def create(
        cls,
        *,
        key_size: int = 1024,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
    ) -> Signer:
        key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fpsdesk test FPS")])
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before or now - dt.timedelta(days=1))
            .not_valid_after(not_after or now + dt.timedelta(days=365))
            .sign(key, hashes.SHA256())
        )
        return cls(key, cert)

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def sign(
        self,
        params: Mapping[str, str] | list[tuple[str, str]],
        *,
        endpoint_url: str,
        certificate_url: str,
        method: str = "POST",
    ) -> list[tuple[str, str]]:
        pairs = list(params.items()) if isinstance(params, Mapping) else list(params)
        pairs = [(k, v) for k, v in pairs if k not in ("signature", "certificateUrl")]
        names = {k for k, _ in pairs}
        if "signatureVersion" not in names:
            pairs.append(("signatureVersion", "2"))
        if "signatureMethod" not in names:
            pairs.append(("signatureMethod", "RSA-SHA1"))
        pairs.append(("certificateUrl", certificate_url))
        text = ipn_string_to_sign(method, endpoint_url, pairs)
        raw = self.key.sign(text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA1())
        return [*pairs, ("signature", base64.encodebytes(raw).decode("ascii").rstrip("\n"))]


def ipn_fields(transaction_id: str = TXN_ID, **overrides: str) -> dict[str, str]:
    """An unsigned TransactionStatus notification (the seed's fields, minus its signature)."""
    fields = {k: v for k, v in SEED_PAIRS if k not in ("signature", "certificateUrl")}
    fields["transactionId"] = transaction_id
    fields.update(overrides)
    return fields


@dataclass
class CertServer:
    """Serves PEM files on 127.0.0.1 at chosen paths, FPS-style (/certs/<yymmdd>/PKICert.pem)."""

    files: dict[str, bytes] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)
    url: str = ""

    def cert_url(self, path: str) -> str:
        return self.url.rstrip("/") + path

    @property
    def host_port(self) -> str:
        return self.url.split("//", 1)[1].rstrip("/")


@contextmanager
def cert_server() -> Iterator[CertServer]:
    state = CertServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.hits.append(self.path)
            path = self.path.split("?", 1)[0]
            if path in state.redirects:
                self.send_response(302)
                self.send_header("Location", state.redirects[path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = state.files.get(path)
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/x-pem-file")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    running = ServerThread(ThreadingHTTPServer(("127.0.0.1", 0), Handler))
    state.url = f"http://127.0.0.1:{running.port}/"
    try:
        yield state
    finally:
        running.stop()


def assert_well_formed_ipn(ipn: Ipn) -> None:
    """What every parsed IPN holds, whatever shape it came in (the rules of ipn/parse.py).

    For property tests: a parser may refuse anything, but what it returns must be this.
    """
    names = [name for name, _ in ipn.params]
    assert 1 <= len(names) <= MAX_PARAMS
    assert len({name.lower() for name in names}) == len(names)  # no name twice, in any case
    assert not [name for name in names if not name or re.search(r"[\s\x00-\x1f\x7f]", name)]
    assert ipn.notification_type == dict(ipn.params)["notificationType"].strip()
    if ipn.notification_type == "TransactionStatus":
        assert ipn.transaction_id is not None
    for transaction_id in (ipn.transaction_id, ipn.parent_transaction_id):
        assert transaction_id is None or normalize_transaction_id(transaction_id) == transaction_id
    # The raw pairs are the record: the typed fields come from them alone.
    assert from_pairs(ipn.params) == ipn


def ipn_like_pairs() -> st.SearchStrategy[list[tuple[str, str]]]:
    """Pairs that are often a valid IPN: the seed's fields in any order, some left out, plus a
    few extra fields; for property tests that must reach the parsers' success path too."""
    extra = st.tuples(
        st.from_regex(r"[a-z][A-Za-z0-9]{0,12}", fullmatch=True),
        st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "Zs")), max_size=20),
    )
    required = [pair for pair in SEED_PAIRS if pair[0] in ("notificationType", "transactionId")]
    optional = [pair for pair in SEED_PAIRS if pair not in required]
    return st.tuples(
        st.lists(st.sampled_from(optional), unique=True), st.lists(extra, max_size=3)
    ).map(lambda parts: [*required, *parts[0], *parts[1]])
