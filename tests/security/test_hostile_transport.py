"""Hostile transport: bad TLS certificates, a custom CA, redirects, a huge StatusHistory.

Everything runs over loopback against the real sandbox; TLS is put in front of it by a small
forwarding server (tests/security/tls.py) with certificates made by a CA generated per test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from fpsdesk.fps.client import FpsClient
from fpsdesk.fps.exceptions import NetworkError, ProtocolError
from fpsdesk.fps.models import TransactionStatus
from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, SandboxServer
from tests.fixtures.serving import ServerThread
from tests.security.tls import ConnectProxy, DrippingTlsServer, TestCA, tls_front

REPO = Path(__file__).resolve().parents[2]


def _client(url: str, **options: Any) -> FpsClient:
    return FpsClient(url, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, timeout=(5.0, 10.0), **options)


# -- TLS --------------------------------------------------------------------------------------


def test_tls_verification_is_on_and_a_custom_ca_bundle_works(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    txid = sandbox.create_transaction(status="Reserved")
    ca = TestCA()
    with tls_front(ca.issue(), sandbox.url, tmp_path) as front:
        # Default: the system trust store, which does not know our CA: refused before sending.
        with _client(front.url) as client, pytest.raises(NetworkError) as caught:
            client.get_transaction_status(txid)
        assert caught.value.kind == "tls"
        assert "certificate" in str(caught.value)
        assert front.requests == 0
        assert sandbox.request_count("GetTransactionStatus") == 0
        # With the CA as the profile's ca_bundle: the same server is trusted.
        bundle = ca.write(tmp_path / "ca.pem")
        with _client(front.url, ca_bundle=str(bundle)) as client:
            result = client.get_transaction_status(txid)
        assert result.transaction_id == txid
        assert result.transaction_status is TransactionStatus.RESERVED
        assert front.requests == 1


@pytest.mark.parametrize(
    ("what", "hosts", "expired", "reason"),
    [
        ("wrong host", ("fps.example.com",), False, "mismatch"),
        ("expired", ("127.0.0.1", "localhost"), True, "expired"),
    ],
)
def test_invalid_certificate_refused_even_with_the_ca(
    sandbox: SandboxServer,
    tmp_path: Path,
    what: str,
    hosts: tuple[str, ...],
    expired: bool,
    reason: str,
) -> None:
    txid = sandbox.create_transaction(status="Reserved")
    ca = TestCA()
    bundle = ca.write(tmp_path / "ca.pem")
    with tls_front(ca.issue(hosts, expired=expired), sandbox.url, tmp_path) as front:
        with (
            _client(front.url, ca_bundle=str(bundle)) as client,
            pytest.raises(NetworkError) as caught,
        ):
            client.cancel(txid)
        assert caught.value.kind == "tls", what
        assert reason in str(caught.value).lower()
        assert front.requests == 0
    assert sandbox.request_count("Cancel") == 0
    assert sandbox.transaction(txid)["status"] == "Reserved"


def test_certificate_from_another_ca_refused(sandbox: SandboxServer, tmp_path: Path) -> None:
    trusted, other = TestCA("trusted CA"), TestCA("other CA")
    bundle = trusted.write(tmp_path / "ca.pem")
    with tls_front(other.issue(), sandbox.url, tmp_path) as front:
        with (
            _client(front.url, ca_bundle=str(bundle)) as client,
            pytest.raises(NetworkError) as caught,
        ):
            client.get_transaction_status("A" * 35)
        assert caught.value.kind == "tls"
        assert front.requests == 0


def test_profile_ca_bundle_setting_is_what_the_client_uses(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    """The profile's ca_bundle field, saved and loaded, opens the same TLS endpoint."""
    from fpsdesk.settings import Profile
    from fpsdesk.settings_store import SettingsStore

    txid = sandbox.create_transaction(status="Pending")
    ca = TestCA()
    bundle = ca.write(tmp_path / "ca.pem")
    with tls_front(ca.issue(), sandbox.url, tmp_path) as front:
        SettingsStore().add(Profile("TLS", front.url, DEFAULT_ACCESS_KEY, ca_bundle=str(bundle)))
        profile = SettingsStore().get("TLS")
        with _client(profile.endpoint, ca_bundle=profile.ca_bundle) as client:
            result = client.get_transaction_status(txid)
        assert result.transaction_status is TransactionStatus.PENDING


# -- behind a proxy ---------------------------------------------------------------------------


def test_headers_dripping_through_an_https_proxy_tunnel_are_cut_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Support desks often sit behind a proxy (HTTPS_PROXY). requests then builds its own
    connection pools for the proxy; the overall deadline must hold on those too, or a server
    that drips its headers holds the worker thread for as long as it likes."""
    ca = TestCA()
    bundle = ca.write(tmp_path / "ca.pem")
    drip = DrippingTlsServer(ca.issue(("fps.proxied.example",)), tmp_path)
    proxy = ConnectProxy()
    try:
        for name in ("HTTPS_PROXY", "https_proxy"):
            monkeypatch.setenv(name, proxy.url)
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        endpoint = f"https://fps.proxied.example:{drip.port}/"
        started = time.monotonic()
        with (
            FpsClient(
                endpoint,
                DEFAULT_ACCESS_KEY,
                DEFAULT_SECRET_KEY,
                timeout=(2.0, 2.0),
                total_timeout=1.5,
                ca_bundle=str(bundle),
            ) as client,
            pytest.raises(NetworkError) as caught,
        ):
            client.get_transaction_status("14GKE3B85HCMF1BTSH5C4PD2IHZL95RJ2LM")
        elapsed = time.monotonic() - started
        # The dripped head takes ~25 s; each byte comes well inside the 2 s read timeout.
        assert elapsed < 6, f"the deadline did not hold behind the proxy ({elapsed:.1f} s)"
        assert caught.value.kind == "timeout"
        assert proxy.tunnels == [f"fps.proxied.example:{drip.port}"]  # it did use the proxy
        assert drip.requests == 1
    finally:
        proxy.stop()
        drip.stop()


# -- redirects --------------------------------------------------------------------------------


class _Recorder:
    """A loopback HTTP server that records requests and answers with a fixed status+headers."""

    def __init__(self, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                recorder.requests.append((self.command, self.path, dict(self.headers), body))
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_PUT = _answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._running = ServerThread(server)
        self.url = f"http://127.0.0.1:{self._running.port}/"

    def stop(self) -> None:
        self._running.stop()


@pytest.fixture
def other_host() -> Iterator[_Recorder]:
    recorder = _Recorder()
    try:
        yield recorder
    finally:
        recorder.stop()


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("http_method", ["POST", "GET"])
def test_redirect_to_another_host_never_followed(
    other_host: _Recorder, status: int, http_method: str
) -> None:
    target = other_host.url.replace("127.0.0.1", "localhost") + "steal?x=1"
    redirector = _Recorder(status, {"Location": target})
    try:
        with _client(redirector.url, http_method=http_method) as client:
            with pytest.raises(ProtocolError, match="redirects are not followed") as caught:
                client.get_transaction_status("A" * 35)
            with pytest.raises(ProtocolError, match="redirect"):
                client.cancel("B" * 35)
        assert caught.value.http_status == status
        assert len(redirector.requests) == 2  # each request sent once, no retry via Location
    finally:
        redirector.stop()
    assert other_host.requests == []  # the other host never saw a request, nor a signature


# -- 10,000 StatusHistory entries --------------------------------------------------------------

_MEASURE = r"""
import json, resource, sys
from fpsdesk.fps.client import FpsClient
from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY
url, txid = sys.argv[1], sys.argv[2]
client = FpsClient(url, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, timeout=(5.0, 60.0))
client.get_transaction_status(txid)          # warm up: imports, session, parser
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
detail = client.get_transaction(txid)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"entries": len(detail.status_history), "rss_growth_kib": after - before,
                  "first": detail.status_history[0].transaction_status.value,
                  "last": detail.status_history[-1].transaction_status.value}))
"""


def test_ten_thousand_status_history_entries_with_bounded_memory(
    sandbox: SandboxServer,
) -> None:
    history = [
        {
            "date": f"2009-10-06T09:{(n // 60) % 60:02d}:{n % 60:02d}Z",
            "status": "Pending" if n % 2 else "Reserved",
            "status_code": "PendingNetworkResponse",
        }
        for n in range(10_000)
    ]
    history[-1]["status"] = "Reserved"
    txid = sandbox.create_transaction(status="Reserved", history=history)
    # Measured in a child process: ru_maxrss is per process, and the sandbox (which builds the
    # multi-megabyte answer) lives in this one.
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-c", _MEASURE, sandbox.url, txid],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    measured = json.loads(result.stdout)
    assert measured["entries"] == 10_000
    assert measured["first"] == "Reserved"
    assert measured["last"] == "Reserved"
    # The answer is capped (5 MiB) and parsed without huge_tree, so growth is bounded: well
    # under 150 MiB even with 10,000 frozen model objects.
    assert measured["rss_growth_kib"] < 150 * 1024, measured
