"""The sandbox's own IPN signing key and its self-signed X.509 certificate (spec §6).

A server with a data file keeps its key next to that file, so certificates cached by receivers
stay valid across restarts. In-memory servers (tests) share one key per process: generating RSA
2048 keys is the slowest part of starting a server.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

_shared: SigningIdentity | None = None
_shared_lock = threading.Lock()


@dataclass(frozen=True)
class SigningIdentity:
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    @property
    def certificate_pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")

    @property
    def issued_yymmdd(self) -> str:
        """The ``<yymmdd>`` of ``/certs/<yymmdd>/PKICert.pem``: the day the cert was made."""
        return self.certificate.not_valid_before_utc.strftime("%y%m%d")

    def sign(self, text: str) -> str:
        """RSA-SHA1 (PKCS#1 v1.5) over the UTF-8 text, MIME-style base64 (LF every 76)."""
        raw = self.key.sign(text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA1())
        return base64.encodebytes(raw).decode("ascii").rstrip("\n")

    def verify(self, text: str, signature: str) -> bool:
        try:
            raw = base64.b64decode("".join(signature.split()), validate=True)
        except ValueError:
            return False
        try:
            self.key.public_key().verify(
                raw, text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA1()
            )
        except InvalidSignature:
            return False
        return True


def _generate() -> SigningIdentity:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "fpsdesk FPS sandbox"),
            x509.NameAttribute(NameOID.COMMON_NAME, "fps.sandbox.local"),
        ]
    )
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return SigningIdentity(key, certificate)


def shared_identity() -> SigningIdentity:
    """One identity per process for in-memory sandboxes."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = _generate()
        return _shared


def identity_for(data_path: Path | None) -> SigningIdentity:
    """Load the identity kept beside ``data_path``, creating it on first start."""
    if data_path is None:
        return shared_identity()
    key_path = data_path.with_name(data_path.name + ".ipn-key.pem")
    cert_path = data_path.with_name(data_path.name + ".ipn-cert.pem")
    if key_path.exists() and cert_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError(f"{key_path} does not hold an RSA key")
        certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
        return SigningIdentity(key, certificate)
    identity = _generate()
    key_bytes = identity.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key_bytes)
    cert_path.write_text(identity.certificate_pem, encoding="ascii")
    return identity
