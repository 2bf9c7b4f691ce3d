"""Redaction removes values, never prose. With a wrong secret ``fpsdesk status`` printed "FPS
computed a different request signature: [REDACTED] secret key does not match …": the pattern
for ``Signature: value`` ate the word "the". Every message of the error catalogue must come out
of the log filter unchanged, while real Signature values and registered secrets still go."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fpsdesk import logsetup
from fpsdesk.fps.errors import _ACTION_STEPS, CATALOGUE, describe
from fpsdesk.fps.exceptions import (
    FpsError,
    InvalidInput,
    NetworkError,
    OutcomeUnknown,
    ProtocolError,
)
from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, SandboxServer

ROOT = Path(__file__).resolve().parents[2]
SIG = "jdzD2OCD6dKwBT6hc3x/DV532vyQJInilkvuDlQWBxA="


@pytest.fixture
def only_the_example_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """The registered secrets are process-wide; this test registers its own, realistic one."""
    monkeypatch.setattr(logsetup, "_secrets", set())
    logsetup.register_secret(DEFAULT_SECRET_KEY)


def _through_the_filter(message: str) -> str:
    """``message`` as a log handler with fpsdesk's redacting filter writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logsetup.RedactingFilter())
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("fpsdesk.test.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("%s", message)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    return stream.getvalue().removesuffix("\n")


def _catalogue_texts() -> list[str]:
    texts: list[str] = []
    for info in CATALOGUE.values():
        texts += [info.summary, info.next_step]
        explained = describe(FpsError(info.code, "FPS's own message.", "req-1", 400))
        texts.append(explained.as_text())
    texts += list(_ACTION_STEPS.values())
    for exc in (
        NetworkError("connection refused", kind="network"),
        NetworkError("certificate verify failed", kind="tls"),
        NetworkError("read timed out", kind="timeout"),
        ProtocolError("the response is an HTML page", 502),
        InvalidInput("The transaction ID is empty."),
        OutcomeUnknown("14GKI1SKSR1V6DO1RCCB32RBR6KLODMGQUD", "Cancel", "connection reset"),
        RuntimeError("boom"),
    ):
        texts.append(describe(exc).as_text())
    return texts


@pytest.mark.usefixtures("only_the_example_secret")
def test_every_catalogue_message_passes_the_filter_unchanged() -> None:
    texts = _catalogue_texts()
    assert any("signature: the secret key does not match" in t for t in texts)
    changed = [t for t in texts if _through_the_filter(t) != t]
    assert changed == []


@pytest.mark.usefixtures("only_the_example_secret")
@pytest.mark.parametrize(
    "message",
    [
        f"GET https://fps.sandbox.amazonaws.com/?Action=Cancel&Signature={SIG}&Version=1",
        "POST body Action=Cancel&Signature=jdzD2OCD6dKwBT6hc3x%2FDV532vyQJInilkvuDlQWBxA%3D",
        f"params={{'Signature': '{SIG}', 'Action': 'Cancel'}}",
        f'{{"Signature": "{SIG}", "Action": "Cancel"}}',
        f"signature: {SIG}",
        f"Signature:{SIG}",
        "the secret is wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, in prose",
        "encoded wJalrXUtnFEMI%2FK7MDENG%2FbPxRfiCYEXAMPLEKEY",
    ],
)
def test_signature_values_and_registered_secrets_still_go(message: str) -> None:
    out = _through_the_filter(message)
    assert "jdzD2OCD6dKwBT6hc3x" not in out
    assert "EXAMPLEKEY" not in out
    assert logsetup.REDACTED in out


def test_status_with_a_wrong_secret_prints_the_explanation_intact() -> None:
    with SandboxServer() as sandbox:
        txid = sandbox.create_transaction(status="Reserved")
        result = subprocess.run(
            [sys.executable, "-m", "fpsdesk", "status", txid, "--endpoint", sandbox.url],
            env={
                **os.environ,
                "PYTHONPATH": str(ROOT),
                "AWS_ACCESS_KEY_ID": DEFAULT_ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": "wrong" + DEFAULT_SECRET_KEY[5:],
                "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            },
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 3, result.stderr
    output = result.stdout + result.stderr
    assert (
        "FPS computed a different request signature: the secret key does not match the access "
        "key, or something changed the request on the way."
    ) in output
    assert logsetup.REDACTED not in output
