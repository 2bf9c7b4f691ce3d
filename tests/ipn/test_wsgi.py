"""The receiver is a conforming WSGI app (checked by the stdlib's validator on every kind of
request), and the environment-configured ``application`` for other WSGI servers works."""

from __future__ import annotations

import importlib
import io
import sys
from pathlib import Path
from urllib.parse import urlencode
from wsgiref.types import WSGIApplication
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

import pytest

from fpsdesk.records.ipn import IpnVerdict
from fpsdesk.store import IpnStore, open_database
from tests.ipn.helpers import CERT_PATH, CertServer, Signer, ipn_fields


def _call(app: WSGIApplication, method: str, body: bytes = b"", **extra: str) -> str:
    environ: dict[str, object] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": "/ipn",
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "HTTP_HOST": "127.0.0.1:8765",
        **extra,
    }
    setup_testing_defaults(environ)  # type: ignore[arg-type]
    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None):  # type: ignore[no-untyped-def]
        statuses.append(status)
        return lambda data: None

    result = app(environ, start_response)  # type: ignore[arg-type]
    try:
        b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return statuses[0]


def test_the_environment_configured_application_under_the_wsgi_validator(
    history: Path | str, monkeypatch: pytest.MonkeyPatch, signer: Signer, certs: CertServer
) -> None:
    """On both backends (FPSDESK_IPN_DB is a file or a postgresql:// URL)."""
    db = history
    endpoint = "https://merchant.example.com/ipn"
    monkeypatch.setenv("FPSDESK_IPN_DB", str(db))
    monkeypatch.setenv("FPSDESK_IPN_TRUST", certs.host_port)
    monkeypatch.setenv("FPSDESK_IPN_ENDPOINT_URL", endpoint)
    sys.modules.pop("fpsdesk.ipn.wsgi", None)
    module = importlib.import_module("fpsdesk.ipn.wsgi")
    app = validator(module.application)
    genuine = urlencode(
        signer.sign(ipn_fields(), endpoint_url=endpoint, certificate_url=certs.cert_url(CERT_PATH))
    ).encode()
    assert _call(app, "POST", genuine).startswith("200")
    assert _call(app, "POST", b"garbage").startswith("400")
    assert _call(app, "POST", b"{}", CONTENT_TYPE="application/json").startswith("415")
    assert _call(app, "POST", b"x" * 10, CONTENT_LENGTH=str(2 * 1024 * 1024)).startswith("413")
    assert _call(app, "GET").startswith("200")
    assert _call(app, "DELETE").startswith("405")
    store = IpnStore(open_database(db))
    (record,) = store.page()
    assert record.verdict is IpnVerdict.VERIFIED
    assert store.quarantine_count() == 2


def test_a_bad_verify_setting_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from fpsdesk.ipn import wsgi

    with pytest.raises(ValueError, match="FPSDESK_IPN_VERIFY"):
        wsgi.from_environment(
            {"FPSDESK_IPN_VERIFY": "remote", "FPSDESK_IPN_DB": str(tmp_path / "x")}
        )
