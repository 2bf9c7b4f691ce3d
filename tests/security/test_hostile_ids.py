"""Hostile transaction IDs: control characters, RTL overrides, 10 kB of text.

Each is refused before anything is sent: by ``normalize_transaction_id``, by the client (the
sandbox counts zero requests), and by ``fpsdesk status`` / ``cancel`` (exit 2, a clear
message, no traceback).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fpsdesk.fps.client import FpsClient
from fpsdesk.fps.exceptions import InvalidInput
from fpsdesk.fps.ids import extract_transaction_id, normalize_transaction_id
from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, SandboxServer

REPO = Path(__file__).resolve().parents[2]
VALID = "14GKE3B85HCMF1BTSH5C4PD2IHZL95RJ2LM"

HOSTILE_IDS = {
    "nul": VALID[:10] + "\x00" + VALID[11:],
    "escape-sequence": "\x1b[2J\x1b[31m" + VALID[:20],
    "newline-injection": VALID[:20] + "\nAction=Refund",
    "carriage-return": VALID[:20] + "\r" + VALID[:5],
    "bell-backspace": "ABC\x07\x08DEF",
    "del": "ABC\x7fDEF",
    "rtl-override": VALID[:10] + "\u202e" + VALID[10:30],
    "rtl-isolate": "\u2067" + VALID[:20] + "\u2069",
    "zero-width": VALID[:10] + "\u200b" + VALID[10:30],
    "bom": "\ufeff" + VALID[:30],
    "fullwidth-digits": "１２３ABC",
    "cyrillic-lookalike": "АВС123",  # Cyrillic A, V, S
    "ten-kb": "A" * 10_240,
    "ten-kb-mixed": ("AB\u202e\x00" * 2_560),
    "lone-surrogate": "ABC\ud800DEF",
}


@pytest.mark.parametrize("text", HOSTILE_IDS.values(), ids=HOSTILE_IDS.keys())
def test_normalize_refuses_with_a_clear_short_message(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_transaction_id(text)
    message = str(caught.value)
    assert message.startswith("A transaction ID")
    assert len(message) < 200  # never echoes 10 kB back
    assert message.isprintable()  # control/bidi characters are shown as U+XXXX, never raw


@pytest.mark.parametrize("text", HOSTILE_IDS.values(), ids=HOSTILE_IDS.keys())
def test_extract_never_returns_a_hostile_id(text: str) -> None:
    found = extract_transaction_id(text)
    assert found is None or normalize_transaction_id(found) == found


@pytest.mark.parametrize("text", HOSTILE_IDS.values(), ids=HOSTILE_IDS.keys())
def test_client_sends_nothing_for_a_hostile_id(sandbox: SandboxServer, text: str) -> None:
    with FpsClient(sandbox.url, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY) as client:
        for call in (client.get_transaction_status, client.get_transaction, client.cancel):
            with pytest.raises(InvalidInput):
                call(text)
    assert not any(sandbox.request_counts().values())


def _fpsdesk(args: list[str], sandbox: SandboxServer) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "AWS_ACCESS_KEY_ID": DEFAULT_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": DEFAULT_SECRET_KEY,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    return subprocess.run(
        [sys.executable, "-m", "fpsdesk", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
        errors="replace",
    )


# (A NUL cannot be passed in argv by any exec call, so the CLI cases leave it out.)
@pytest.mark.parametrize(
    "key",
    [
        "escape-sequence",
        "newline-injection",
        "carriage-return",
        "rtl-override",
        "rtl-isolate",
        "zero-width",
        "ten-kb",
        "bom",
        "cyrillic-lookalike",
    ],
)
@pytest.mark.parametrize("command", ["status", "cancel"])
def test_cli_refuses_with_exit_2_and_sends_nothing(
    sandbox: SandboxServer, key: str, command: str
) -> None:
    text = HOSTILE_IDS[key]
    extra = ["--yes"] if command == "cancel" else []
    result = _fpsdesk([command, text, "--endpoint", sandbox.url, *extra], sandbox)
    assert result.returncode == 2, result.stderr
    assert "transaction ID" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr) < 1000
    assert "\x1b" not in result.stderr
    assert "\u202e" not in result.stderr
    assert not any(sandbox.request_counts().values())
