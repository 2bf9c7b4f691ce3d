"""Check an IPN's signature (spec §6) and say so in a :class:`Verdict`.

Local verification, in order (the first failing step decides):

1. ``signature``, ``signatureVersion``, ``signatureMethod`` and ``certificateUrl`` are present
   (else Failed: missing field), the version is ``2`` and the method ``RSA-SHA1``.
2. ``certificateUrl`` is https, or plain http to a loopback host only; it carries no user name;
   and its host (with a non-default port) is one the active profile trusts:
   ``fps.amazonaws.com`` for production, ``fps.sandbox.amazonaws.com`` for the FPS sandbox, or
   the local sandbox's ``host:port``. A forger's own certificate is never even downloaded (the
   2009 flaw described in "How to Shop for Free Online").
3. The certificate is fetched with no redirects, a size cap and a timeout, cached on disk by its
   full URL, and must be valid now (else Failed: expired certificate).
4. The signature (MIME line breaks ignored) is checked with RSA-SHA1 PKCS#1 v1.5 over the string
   to sign built from the HTTP method, the URL the IPN was posted to, and every parameter but
   ``signature``.

Remote verification asks FPS's VerifySignature action instead of step 3-4 (steps 1-2 still
apply). When the certificate or FPS cannot be reached, or the receiving URL is not known, the
verdict is Not checked: it is never trusted, and ``fpsdesk ipn recheck`` can settle it later.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from fpsdesk.fps.endpoints import is_loopback_host
from fpsdesk.fps.exceptions import FpsClientError, NetworkError
from fpsdesk.fps.models import VerifySignatureResult
from fpsdesk.fps.signing import host_for_signing, ipn_string_to_sign
from fpsdesk.fps.transport import BodyRefused, MaybeSent, Transport
from fpsdesk.paths import cache_dir, ensure
from fpsdesk.records.ipn import FailReason, Ipn, Verdict, VerifyMode

log = logging.getLogger(__name__)

PRODUCTION_HOST = "fps.amazonaws.com"
SANDBOX_HOST = "fps.sandbox.amazonaws.com"
AMAZON_HOSTS = frozenset({PRODUCTION_HOST, SANDBOX_HOST})

REQUIRED_FIELDS = ("signature", "signatureVersion", "signatureMethod", "certificateUrl")
MAX_CERTIFICATE_BYTES = 64 * 1024
DEFAULT_TIMEOUT = (3.05, 10.0)
UNAVAILABLE_RETRY_SECONDS = 30.0


# ---------------------------------------------------------------------------------------------
# Which certificate hosts are trusted


def _host_key(url: str) -> tuple[str, int | None]:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return host, parts.port


@dataclass(frozen=True, slots=True)
class TrustPolicy:
    """The certificate hosts of the active profile, as ``host`` or ``host:port`` (lower case).

    A loopback entry matches any loopback name on the same port (``localhost:8765`` and
    ``127.0.0.1:8765`` are the same local sandbox).
    """

    hosts: frozenset[str]

    @classmethod
    def amazon(cls) -> TrustPolicy:
        """Both FPS hosts: for a receiver that serves production and sandbox alike."""
        return cls(AMAZON_HOSTS)

    @classmethod
    def of(cls, hosts: Iterable[str]) -> TrustPolicy:
        return cls(frozenset(h.strip().lower().rstrip("/") for h in hosts if h.strip()))

    @classmethod
    def for_endpoint(cls, fps_endpoint: str) -> TrustPolicy:
        """The certificate host that goes with a profile's FPS endpoint.

        The production endpoint trusts only ``fps.amazonaws.com``, the FPS sandbox only
        ``fps.sandbox.amazonaws.com``, a local sandbox its own ``host:port``, and a custom
        endpoint its own host (so certificates come from the FPS being talked to).
        """
        return cls(frozenset({host_for_signing(fps_endpoint)}))

    def with_hosts(self, hosts: Iterable[str]) -> TrustPolicy:
        return TrustPolicy(self.hosts | TrustPolicy.of(hosts).hosts)

    def trusts(self, url: str) -> bool:
        key = host_for_signing(url)
        if key in self.hosts:
            return True
        host, port = _host_key(url)
        if not is_loopback_host(host):
            return False
        scheme = urlsplit(url).scheme.lower()
        port = port or (443 if scheme == "https" else 80)
        for entry in self.hosts:
            e_host, e_port = _host_key(f"//{entry}")
            if is_loopback_host(e_host) and (e_port or (443 if scheme == "https" else 80)) == port:
                return True
        return False

    def check_certificate_url(self, url: str) -> Verdict | None:
        """None when ``url`` may be fetched; otherwise the Failed verdict that says why."""
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
            _ = parts.port
        except ValueError:
            return Verdict.failed(
                FailReason.UNTRUSTED_CERTIFICATE_HOST, f"certificateUrl {url[:80]!r} is not a URL"
            )
        scheme = parts.scheme.lower()
        if scheme not in ("https", "http") or not host:
            return Verdict.failed(
                FailReason.INSECURE_CERTIFICATE_URL,
                f"certificateUrl must be an https URL, not {url[:80]!r}",
            )
        if scheme == "http" and not is_loopback_host(host):
            return Verdict.failed(
                FailReason.INSECURE_CERTIFICATE_URL,
                f"certificateUrl uses plain http to {host}, which is not this computer; "
                "only https is trusted there",
            )
        if parts.username is not None or "@" in parts.netloc:
            return Verdict.failed(
                FailReason.UNTRUSTED_CERTIFICATE_HOST,
                "certificateUrl carries a user name; FPS never sends one",
            )
        if not self.trusts(url):
            trusted = ", ".join(sorted(self.hosts)) or "none"
            signer = host_for_signing(url)
            hint = (
                f"; if it is a local sandbox of yours, trust it with --trust {signer}"
                if is_loopback_host(host)
                else ""
            )
            return Verdict.failed(
                FailReason.UNTRUSTED_CERTIFICATE_HOST,
                f"certificate host {signer} is not a trusted FPS host (trusted: {trusted}){hint}",
            )
        return None


# ---------------------------------------------------------------------------------------------
# Certificates


class CertificateUnavailable(Exception):
    """The certificate could not be fetched now (offline, refused, HTTP error): Not checked."""


class CertificateInvalid(Exception):
    """What the trusted host served is not a usable certificate: Failed."""


def _parse_certificate(data: bytes) -> x509.Certificate:
    try:
        if b"-----BEGIN" in data:
            cert = x509.load_pem_x509_certificate(data)
        else:
            cert = x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise CertificateInvalid(f"not an X.509 certificate ({exc})") from None
    if not isinstance(cert.public_key(), rsa.RSAPublicKey):
        raise CertificateInvalid("the certificate's key is not an RSA key")
    return cert


@dataclass
class CertificateCache:
    """Certificates by full URL: in memory, and on disk under the cache dir across runs.

    Only certificates that parsed are cached. A failed download is remembered for
    ``UNAVAILABLE_RETRY_SECONDS`` so a burst of IPNs while offline does not hammer the host.
    """

    directory: Path | None = None
    timeout: tuple[float, float] = DEFAULT_TIMEOUT
    max_bytes: int = MAX_CERTIFICATE_BYTES
    _memory: dict[str, x509.Certificate] = field(default_factory=dict, repr=False)
    _unavailable: dict[str, tuple[float, str]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _dir(self) -> Path:
        return ensure(self.directory or cache_dir() / "ipn-certificates")

    def _path(self, url: str) -> Path:
        return self._dir() / (hashlib.sha256(url.encode("utf-8")).hexdigest() + ".pem")

    def get(
        self, url: str, *, usable: Callable[[x509.Certificate], bool] | None = None
    ) -> x509.Certificate:
        """The certificate at ``url``; raises CertificateUnavailable or CertificateInvalid.

        A cached certificate that is not ``usable`` (expired) is downloaded again, at most once
        per retry interval, in case it was renewed at the same URL; if that fails the cached
        one is returned, so the caller can say it expired.
        """
        with self._lock:
            cached = self._memory.get(url) or self._from_disk(url)
            now = time.monotonic()
            if cached is not None:
                self._memory[url] = cached
                stale = usable is not None and not usable(cached)
                last = self._unavailable.get(url)
                if not stale or (last and now - last[0] < UNAVAILABLE_RETRY_SECONDS):
                    return cached
            else:
                failed = self._unavailable.get(url)
                if failed and now - failed[0] < UNAVAILABLE_RETRY_SECONDS:
                    raise CertificateUnavailable(failed[1])
            try:
                cert, data = self._fetch(url)
            except (CertificateUnavailable, CertificateInvalid) as exc:
                self._unavailable[url] = (now, str(exc))
                if cached is not None:
                    return cached
                raise
            self._unavailable.pop(url, None)
            self._memory[url] = cert
            self._to_disk(url, data)
            if usable is not None and not usable(cert):
                self._unavailable[url] = (now, "stale")  # do not re-download on every IPN
            return cert

    def _fetch(self, url: str) -> tuple[x509.Certificate, bytes]:
        data = self._download(url)
        return _parse_certificate(data), data

    def _from_disk(self, url: str) -> x509.Certificate | None:
        try:
            data = self._path(url).read_bytes()
        except OSError:
            return None
        try:
            return _parse_certificate(data)
        except CertificateInvalid:
            return None  # a damaged cache file: fetch again

    def _to_disk(self, url: str, data: bytes) -> None:
        target = self._path(url)
        try:
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".cert-")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)
        except OSError:
            log.warning("could not cache the IPN certificate on disk", exc_info=True)

    def _download(self, url: str) -> bytes:
        """The certificate's bytes, fetched by the shared transport's rules: no redirects,
        ``max_bytes`` at most, within connect + read timeout overall."""
        transport = Transport(
            timeout=self.timeout,
            total_timeout=self.timeout[0] + self.timeout[1],
            max_body_bytes=self.max_bytes,
            headers={"Accept": "application/x-pem-file, application/x-x509-ca-cert, */*"},
        )
        with transport:
            try:
                answer = transport.exchange("GET", url)
            except BodyRefused:
                raise CertificateInvalid(
                    f"the certificate is over {self.max_bytes} bytes"
                ) from None
            except (NetworkError, MaybeSent) as exc:
                raise CertificateUnavailable(f"cannot reach {url[:120]} ({exc})") from None
        if 300 <= answer.status < 400:
            raise CertificateUnavailable(
                f"the certificate URL redirects (HTTP {answer.status}); redirects are not followed"
            )
        if answer.status != 200:
            raise CertificateUnavailable(f"the certificate URL answered HTTP {answer.status}")
        return answer.body


# ---------------------------------------------------------------------------------------------
# The verifier


def endpoint_problem(url: str) -> str | None:
    """Why ``url`` cannot be the URL an IPN was posted to, or None when it can."""
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError:
        return f"the receiving URL {url[:80]!r} is not a valid URL"
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return f"the receiving URL {url[:80]!r} is not an http(s) URL with a host"
    return None


class RemoteVerifier(Protocol):
    """What remote verification needs: FpsClient.verify_signature."""

    def verify_signature(
        self, url_endpoint: str, http_parameters: Iterable[tuple[str, str]]
    ) -> VerifySignatureResult: ...


def _now() -> datetime:
    return datetime.now(UTC)


class IpnVerifier:
    """Turns (IPN, receiving URL, HTTP method) into a Verdict. Safe to share between threads."""

    def __init__(
        self,
        trust: TrustPolicy,
        *,
        mode: VerifyMode = "local",
        certificates: CertificateCache | None = None,
        remote: RemoteVerifier | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        if mode == "remote" and remote is None:
            raise ValueError("remote verification needs an FPS client")
        self.trust = trust
        self.mode: VerifyMode = mode
        self.certificates = certificates or CertificateCache()
        self.remote = remote
        self._clock = clock

    def verify(self, ipn: Ipn, endpoint_url: str | None, http_method: str = "POST") -> Verdict:
        if self.mode == "off":
            return Verdict.not_checked(FailReason.VERIFICATION_OFF, "verification is turned off")
        early = self.check_fields(ipn)
        if early is not None:
            return early
        if not endpoint_url:
            return Verdict.not_checked(
                FailReason.ENDPOINT_UNKNOWN,
                "the URL this IPN was posted to is not known (it is part of what is signed); "
                "give it with --endpoint-url and re-check",
            )
        problem = endpoint_problem(endpoint_url)
        if problem is not None:
            return Verdict.not_checked(FailReason.ENDPOINT_UNKNOWN, problem)
        if self.mode == "remote":
            return self._verify_remote(ipn, endpoint_url)
        return self._verify_local(ipn, endpoint_url, http_method)

    def check_fields(self, ipn: Ipn) -> Verdict | None:
        """Steps 1-2: fields present, version and method supported, certificate URL trusted."""
        for name in REQUIRED_FIELDS:
            if not (ipn.get(name) or "").strip():
                return Verdict.failed(FailReason.MISSING_FIELD, f"missing field: {name}")
        if ipn.signature_version != "2":
            return Verdict.failed(
                FailReason.UNSUPPORTED_SIGNATURE_VERSION,
                f"unsupported signatureVersion {str(ipn.signature_version)[:20]!r} (only 2)",
            )
        if ipn.signature_method != "RSA-SHA1":
            return Verdict.failed(
                FailReason.UNSUPPORTED_SIGNATURE_METHOD,
                f"unsupported signatureMethod {str(ipn.signature_method)[:30]!r} "
                "(IPNs are signed with RSA-SHA1)",
            )
        assert ipn.certificate_url is not None
        return self.trust.check_certificate_url(ipn.certificate_url)

    def _verify_local(self, ipn: Ipn, endpoint_url: str, http_method: str) -> Verdict:
        assert ipn.certificate_url is not None
        assert ipn.signature is not None
        try:
            raw_signature = base64.b64decode(ipn.signature, validate=True)
        except (binascii.Error, ValueError):
            return Verdict.failed(
                FailReason.BAD_SIGNATURE, "the signature is not valid base64", "local"
            )
        url = ipn.certificate_url
        try:
            cert = self.certificates.get(url, usable=self._valid_now)
        except CertificateUnavailable as exc:
            return Verdict.not_checked(
                FailReason.CERTIFICATE_UNAVAILABLE, f"certificate not available: {exc}", "local"
            )
        except CertificateInvalid as exc:
            return Verdict.failed(
                FailReason.INVALID_CERTIFICATE, f"bad certificate at {url[:120]}: {exc}", "local"
            )
        expired = self._validity_problem(cert)
        if expired is not None:
            return Verdict.failed(FailReason.EXPIRED_CERTIFICATE, expired, "local")
        text = ipn_string_to_sign(http_method, endpoint_url, ipn.params)
        key = cert.public_key()
        assert isinstance(key, rsa.RSAPublicKey)
        try:
            key.verify(raw_signature, text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA1())
        except InvalidSignature:
            return Verdict.failed(
                FailReason.BAD_SIGNATURE,
                f"bad signature: it does not match the parameters as posted to {endpoint_url} "
                "with the certificate's key",
                "local",
            )
        return Verdict.verified("local")

    def _valid_now(self, cert: x509.Certificate) -> bool:
        return self._validity_problem(cert) is None

    def _validity_problem(self, cert: x509.Certificate) -> str | None:
        now = self._clock()
        if now < cert.not_valid_before_utc:
            return f"certificate not valid before {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC"
        if now > cert.not_valid_after_utc:
            return f"expired certificate (expired {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC)"
        return None

    def _verify_remote(self, ipn: Ipn, endpoint_url: str) -> Verdict:
        assert self.remote is not None
        try:
            result = self.remote.verify_signature(endpoint_url, list(ipn.params))
        except FpsClientError as exc:
            return Verdict.not_checked(
                FailReason.REMOTE_UNAVAILABLE,
                f"VerifySignature could not be asked: {type(exc).__name__}: {str(exc)[:160]}",
                "remote",
            )
        if result.verified:
            return Verdict.verified("remote")
        return Verdict.failed(
            FailReason.BAD_SIGNATURE,
            f"bad signature: FPS VerifySignature answered {result.verification_status}",
            "remote",
        )
