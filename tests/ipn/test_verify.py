"""Local signature verification against a certificate served over loopback HTTP.

Forged IPNs are all Failed with the reason that fits; genuine ones are Verified; an IPN whose
certificate cannot be fetched is Not checked, never Verified.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fpsdesk.ipn.parse import from_pairs, parse_form
from fpsdesk.ipn.verify import CertificateCache, IpnVerifier, TrustPolicy
from fpsdesk.records.ipn import FailReason, Ipn, IpnVerdict
from tests.ipn.helpers import CERT_PATH, CertServer, Signer, cert_server, ipn_fields

ENDPOINT = "https://merchant.example.com/fps/ipn"


@pytest.fixture
def verifier(certs: CertServer, tmp_path: Path) -> IpnVerifier:
    return IpnVerifier(
        TrustPolicy.amazon().with_hosts([certs.host_port]),
        certificates=CertificateCache(tmp_path / "certs"),
    )


def _genuine(signer: Signer, certs: CertServer, **overrides: str) -> list[tuple[str, str]]:
    return signer.sign(
        ipn_fields(**overrides), endpoint_url=ENDPOINT, certificate_url=certs.cert_url(CERT_PATH)
    )


def _replace(pairs: list[tuple[str, str]], name: str, value: str | None) -> Ipn:
    out = [(k, value if k == name else v) for k, v in pairs if not (k == name and value is None)]
    return from_pairs(out)


def test_a_genuine_ipn_is_verified(
    signer: Signer, certs: CertServer, verifier: IpnVerifier
) -> None:
    verdict = verifier.verify(from_pairs(_genuine(signer, certs)), ENDPOINT, "POST")
    assert verdict.status is IpnVerdict.VERIFIED, verdict.reason
    assert verdict.trusted
    assert verdict.method == "local"


def test_unicode_and_newlines_in_values_verify(
    signer: Signer, certs: CertServer, verifier: IpnVerifier
) -> None:
    pairs = _genuine(signer, certs, paymentReason="Café ☕\nline two", buyerName="Zoë")
    assert verifier.verify(from_pairs(pairs), ENDPOINT).status is IpnVerdict.VERIFIED


def test_forged_tampered_amount(signer: Signer, certs: CertServer, verifier: IpnVerifier) -> None:
    ipn = _replace(_genuine(signer, certs), "transactionAmount", "USD 1000.00")
    verdict = verifier.verify(ipn, ENDPOINT)
    assert verdict.status is IpnVerdict.FAILED
    assert verdict.reason_code is FailReason.BAD_SIGNATURE
    assert "bad signature" in (verdict.reason or "")


def test_forged_signature_from_another_key(certs: CertServer, verifier: IpnVerifier) -> None:
    # The attacker signs with their own key but names the trusted host's certificate.
    attacker = Signer.create()
    pairs = attacker.sign(
        ipn_fields(), endpoint_url=ENDPOINT, certificate_url=certs.cert_url(CERT_PATH)
    )
    verdict = verifier.verify(from_pairs(pairs), ENDPOINT)
    assert verdict.status is IpnVerdict.FAILED
    assert verdict.reason_code is FailReason.BAD_SIGNATURE


def test_forged_certificate_on_an_untrusted_host(verifier: IpnVerifier) -> None:
    # The attacker serves their own certificate (the 2009 attack): it is never even fetched.
    attacker = Signer.create()
    with cert_server() as evil:
        evil.files[CERT_PATH] = attacker.pem
        evil_url = evil.cert_url(CERT_PATH).replace("127.0.0.1", "localhost")
        pairs = attacker.sign(ipn_fields(), endpoint_url=ENDPOINT, certificate_url=evil_url)
        verdict = verifier.verify(from_pairs(pairs), ENDPOINT)
        assert verdict.status is IpnVerdict.FAILED
        assert verdict.reason_code is FailReason.UNTRUSTED_CERTIFICATE_HOST
        assert evil.hits == []
    for url in (
        "https://fps.amazonaws.com.evil.example/certs/1/PKICert.pem",
        "https://evil.example/certs/090909/PKICert.pem",
        "https://user@fps.amazonaws.com/certs/090909/PKICert.pem",
    ):
        pairs = attacker.sign(ipn_fields(), endpoint_url=ENDPOINT, certificate_url=url)
        verdict = verifier.verify(from_pairs(pairs), ENDPOINT)
        assert verdict.reason_code is FailReason.UNTRUSTED_CERTIFICATE_HOST, url


def test_forged_http_certificate_url_to_a_non_loopback_host(verifier: IpnVerifier) -> None:
    attacker = Signer.create()
    for url in (
        "http://fps.amazonaws.com/certs/090909/PKICert.pem",
        "http://evil.example/PKICert.pem",
        "ftp://fps.amazonaws.com/PKICert.pem",
    ):
        pairs = attacker.sign(ipn_fields(), endpoint_url=ENDPOINT, certificate_url=url)
        verdict = verifier.verify(from_pairs(pairs), ENDPOINT)
        assert verdict.status is IpnVerdict.FAILED
        assert verdict.reason_code is FailReason.INSECURE_CERTIFICATE_URL, url


@pytest.mark.parametrize(
    "field", ["signature", "certificateUrl", "signatureMethod", "signatureVersion"]
)
def test_forged_missing_signature_fields(
    signer: Signer, certs: CertServer, verifier: IpnVerifier, field: str
) -> None:
    ipn = _replace(_genuine(signer, certs), field, None)
    verdict = verifier.verify(ipn, ENDPOINT)
    assert verdict.status is IpnVerdict.FAILED
    assert verdict.reason_code is FailReason.MISSING_FIELD
    assert verdict.reason == f"missing field: {field}"
    empty = _replace(_genuine(signer, certs), field, "")
    assert verifier.verify(empty, ENDPOINT).reason_code is FailReason.MISSING_FIELD


def test_forged_changed_signature_method(
    signer: Signer, certs: CertServer, verifier: IpnVerifier
) -> None:
    for method in ("HmacSHA256", "RSA-SHA256", "rsa-sha1"):
        ipn = _replace(_genuine(signer, certs), "signatureMethod", method)
        verdict = verifier.verify(ipn, ENDPOINT)
        assert verdict.status is IpnVerdict.FAILED
        assert verdict.reason_code is FailReason.UNSUPPORTED_SIGNATURE_METHOD
    ipn = _replace(_genuine(signer, certs), "signatureVersion", "1")
    assert verifier.verify(ipn, ENDPOINT).reason_code is FailReason.UNSUPPORTED_SIGNATURE_VERSION


def test_a_signature_for_another_endpoint_or_method_fails(
    signer: Signer, certs: CertServer, verifier: IpnVerifier
) -> None:
    ipn = from_pairs(_genuine(signer, certs))
    assert verifier.verify(ipn, ENDPOINT + "/").reason_code is FailReason.BAD_SIGNATURE
    assert verifier.verify(ipn, ENDPOINT, "GET").reason_code is FailReason.BAD_SIGNATURE


def test_garbage_base64_signature_fails(
    signer: Signer, certs: CertServer, verifier: IpnVerifier
) -> None:
    ipn = _replace(_genuine(signer, certs), "signature", "not*base64!")
    assert verifier.verify(ipn, ENDPOINT).reason_code is FailReason.BAD_SIGNATURE


def test_an_expired_certificate_fails(certs: CertServer, verifier: IpnVerifier) -> None:
    now = dt.datetime.now(dt.UTC)
    old = Signer.create(not_before=now - dt.timedelta(days=400), not_after=now - dt.timedelta(1))
    certs.files["/certs/old/PKICert.pem"] = old.pem
    pairs = old.sign(
        ipn_fields(),
        endpoint_url=ENDPOINT,
        certificate_url=certs.cert_url("/certs/old/PKICert.pem"),
    )
    verdict = verifier.verify(from_pairs(pairs), ENDPOINT)
    assert verdict.status is IpnVerdict.FAILED
    assert verdict.reason_code is FailReason.EXPIRED_CERTIFICATE
    future = Signer.create(not_before=now + dt.timedelta(days=2))
    certs.files["/certs/new/PKICert.pem"] = future.pem
    pairs = future.sign(
        ipn_fields(),
        endpoint_url=ENDPOINT,
        certificate_url=certs.cert_url("/certs/new/PKICert.pem"),
    )
    assert verifier.verify(from_pairs(pairs), ENDPOINT).reason_code is (
        FailReason.EXPIRED_CERTIFICATE
    )


def test_the_certificate_is_cached_on_disk_by_url(
    signer: Signer, certs: CertServer, tmp_path: Path
) -> None:
    cache_dir = tmp_path / "c"
    trust = TrustPolicy.of([certs.host_port])
    ipn = from_pairs(_genuine(signer, certs))
    first = IpnVerifier(trust, certificates=CertificateCache(cache_dir))
    assert first.verify(ipn, ENDPOINT).status is IpnVerdict.VERIFIED
    assert first.verify(ipn, ENDPOINT).status is IpnVerdict.VERIFIED
    assert certs.hits == [CERT_PATH]
    assert len(list(cache_dir.glob("*.pem"))) == 1
    # A new process (a new cache object) reads the disk cache: no download, even offline.
    certs.files.clear()
    second = IpnVerifier(trust, certificates=CertificateCache(cache_dir))
    assert second.verify(ipn, ENDPOINT).status is IpnVerdict.VERIFIED
    assert certs.hits == [CERT_PATH]


def test_the_default_cache_lives_in_the_cache_dir(
    signer: Signer, certs: CertServer, isolated_dirs: Path
) -> None:
    verifier = IpnVerifier(TrustPolicy.of([certs.host_port]))
    assert verifier.verify(from_pairs(_genuine(signer, certs)), ENDPOINT).trusted
    assert list((isolated_dirs / "cache").rglob("*.pem"))


def test_redirects_are_not_followed(signer: Signer, certs: CertServer, tmp_path: Path) -> None:
    certs.redirects["/certs/moved/PKICert.pem"] = certs.cert_url(CERT_PATH)
    pairs = signer.sign(
        ipn_fields(),
        endpoint_url=ENDPOINT,
        certificate_url=certs.cert_url("/certs/moved/PKICert.pem"),
    )
    verifier = IpnVerifier(
        TrustPolicy.of([certs.host_port]), certificates=CertificateCache(tmp_path)
    )
    verdict = verifier.verify(from_pairs(pairs), ENDPOINT)
    assert verdict.status is IpnVerdict.NOT_CHECKED
    assert "redirect" in (verdict.reason or "")
    assert certs.hits == ["/certs/moved/PKICert.pem"]


def test_an_oversized_certificate_is_refused(
    signer: Signer, certs: CertServer, tmp_path: Path
) -> None:
    certs.files["/big/PKICert.pem"] = signer.pem + b"\n" * 100_000
    pairs = signer.sign(
        ipn_fields(), endpoint_url=ENDPOINT, certificate_url=certs.cert_url("/big/PKICert.pem")
    )
    verifier = IpnVerifier(
        TrustPolicy.of([certs.host_port]), certificates=CertificateCache(tmp_path)
    )
    verdict = verifier.verify(from_pairs(pairs), ENDPOINT)
    assert verdict.status is IpnVerdict.FAILED
    assert verdict.reason_code is FailReason.INVALID_CERTIFICATE


def test_a_certificate_that_cannot_be_fetched_leaves_it_not_checked(
    signer: Signer, tmp_path: Path
) -> None:
    with cert_server() as gone:
        url = gone.cert_url(CERT_PATH)
        host_port = gone.host_port
    # The server is closed now: connection refused, like an offline machine.
    pairs = signer.sign(ipn_fields(), endpoint_url=ENDPOINT, certificate_url=url)
    verifier = IpnVerifier(TrustPolicy.of([host_port]), certificates=CertificateCache(tmp_path))
    verdict = verifier.verify(from_pairs(pairs), ENDPOINT)
    assert verdict.status is IpnVerdict.NOT_CHECKED
    assert verdict.reason_code is FailReason.CERTIFICATE_UNAVAILABLE
    assert not verdict.trusted


def test_an_unknown_endpoint_or_verification_off_is_not_checked(
    signer: Signer, certs: CertServer, verifier: IpnVerifier
) -> None:
    ipn = from_pairs(_genuine(signer, certs))
    assert verifier.verify(ipn, None).reason_code is FailReason.ENDPOINT_UNKNOWN
    for bad in ("http://a:99999/ipn", "ftp://host/ipn", "not a url"):
        verdict = verifier.verify(ipn, bad)
        assert verdict.status is IpnVerdict.NOT_CHECKED
        assert verdict.reason_code is FailReason.ENDPOINT_UNKNOWN
    off = IpnVerifier(verifier.trust, mode="off")
    assert off.verify(ipn, ENDPOINT).reason_code is FailReason.VERIFICATION_OFF


def test_trust_follows_the_profile_endpoint() -> None:
    production = TrustPolicy.for_endpoint("https://fps.amazonaws.com/")
    sandbox = TrustPolicy.for_endpoint("https://fps.sandbox.amazonaws.com/")
    local = TrustPolicy.for_endpoint("http://127.0.0.1:8765/")
    prod_cert = "https://fps.amazonaws.com/certs/090909/PKICert.pem?requestId=x"
    sandbox_cert = "https://fps.sandbox.amazonaws.com/certs/090909/PKICert.pem"
    assert production.check_certificate_url(prod_cert) is None
    assert production.check_certificate_url(sandbox_cert) is not None
    assert sandbox.check_certificate_url(sandbox_cert) is None
    assert sandbox.check_certificate_url(prod_cert) is not None
    assert local.check_certificate_url("http://localhost:8765/certs/1/PKICert.pem") is None
    assert local.check_certificate_url("http://127.0.0.1:8766/certs/1/PKICert.pem") is not None
    assert local.check_certificate_url(sandbox_cert) is not None
    assert TrustPolicy.amazon().check_certificate_url("HTTPS://FPS.AMAZONAWS.COM/c") is None


def test_the_seed_sample_is_checked_but_cannot_be_verified_offline(tmp_path: Path) -> None:
    # Amazon's PKICert.pem is not preserved (spec §6): the verdict must not claim anything.
    # The certificate host is not reachable from a test, so point the trust at a dead port.
    body = (Path(__file__).parent / "data" / "seed.form").read_bytes()
    ipn = parse_form(body)
    verifier = IpnVerifier(TrustPolicy.of(["127.0.0.1:9"]), certificates=CertificateCache(tmp_path))
    verdict = verifier.verify(ipn, "http://www.mysite.com/ipn.jsp")
    assert verdict.status is IpnVerdict.FAILED
    assert verdict.reason_code is FailReason.UNTRUSTED_CERTIFICATE_HOST


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    certificate_url=st.text(max_size=60)
    | st.sampled_from(["http://[::1", "https://a:99999/x", "https://fps.amazonaws.com:0/"]),
    endpoint=st.none() | st.text(max_size=40) | st.just("http://a:99999/ipn"),
    signature=st.text(max_size=40),
    method=st.text(max_size=12),
)
def test_the_verifier_answers_any_input_with_a_verdict(
    tmp_path: Path, certificate_url: str, endpoint: str | None, signature: str, method: str
) -> None:
    fields = ipn_fields(certificateUrl=certificate_url, signature=signature, signatureMethod=method)
    ipn = from_pairs(list(fields.items()))
    verifier = IpnVerifier(TrustPolicy.of(["127.0.0.1:9"]), certificates=CertificateCache(tmp_path))
    verdict = verifier.verify(ipn, endpoint)
    assert not verdict.trusted
