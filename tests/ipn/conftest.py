"""Fixtures shared by the IPN tests: a signing key and a loopback server for its certificate."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.ipn.helpers import CERT_PATH, CertServer, Signer, cert_server


@pytest.fixture(scope="module")
def signer() -> Signer:
    """One RSA key per test module: generating keys is the slow part."""
    return Signer.create()


@pytest.fixture
def certs(signer: Signer) -> Iterator[CertServer]:
    """Serves ``signer``'s certificate at ``CERT_PATH`` on loopback."""
    with cert_server() as server:
        server.files[CERT_PATH] = signer.pem
        yield server
