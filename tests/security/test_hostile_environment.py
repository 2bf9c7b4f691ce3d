"""Keys from the environment that are not valid text: a non-UTF-8 AWS_SECRET_ACCESS_KEY made
``fpsdesk status`` print "unexpected error: … character '\\udcff' in position 1", revealing a byte
of the secret and where it is. The message now names the variable and nothing of its content."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TXID = "14GKI1SKSR1V6DO1RCCB32RBR6KLODMGQUD"
SECRET_BYTES = b"w\xffJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def _run(args: list[str], access: bytes, secret: bytes) -> subprocess.CompletedProcess[bytes]:
    env = {os.fsencode(k): os.fsencode(v) for k, v in os.environ.items()}
    env.update(
        {
            b"PYTHONPATH": os.fsencode(ROOT),
            b"AWS_ACCESS_KEY_ID": access,
            b"AWS_SECRET_ACCESS_KEY": secret,
            b"PYTHON_KEYRING_BACKEND": b"keyring.backends.fail.Keyring",
        }
    )
    env.pop(b"FPSDESK_LOG_LEVEL", None)
    return subprocess.run(
        [sys.executable, "-m", "fpsdesk", *args, "--endpoint", "http://127.0.0.1:9/"],
        env=env,  # bytes keys and values: the variable must hold bytes that are not UTF-8
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "args",
    [["status", TXID], ["cancel", TXID, "--yes"], ["reconcile"]],
    ids=["status", "cancel", "reconcile"],
)
def test_a_secret_that_is_not_utf8_is_named_never_shown(args: list[str]) -> None:
    result = _run(args, b"AKIAIOSFODNN7EXAMPLE", SECRET_BYTES)
    out = (result.stdout + result.stderr).decode("utf-8", "backslashreplace")
    assert result.returncode != 0
    assert "AWS_SECRET_ACCESS_KEY" in out
    assert "is not valid text" in out
    for leak in ("udcff", "\\xff", "position", "JalrXU", "EXAMPLEKEY", "Traceback"):
        assert leak not in out, out


def test_an_access_key_that_is_not_utf8_is_named_too() -> None:
    result = _run(["status", TXID], b"AKIA\xfeEXAMPLE", b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    out = (result.stdout + result.stderr).decode("utf-8", "backslashreplace")
    assert result.returncode == 2
    assert "AWS_ACCESS_KEY_ID (the access key ID) is not valid text" in out
    assert "udcfe" not in out
    assert "position" not in out
