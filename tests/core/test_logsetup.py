"""No secret key and no Signature value survives into a log line."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from fpsdesk import logsetup, paths

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SIG = "jdzD2OCD6dKwBT6hc3x/DV532vyQJInilkvuDlQWBxA="


@pytest.mark.parametrize(
    "message",
    [
        f"GET https://fps.sandbox.amazonaws.com/?Action=Cancel&Signature={SIG}&Version=1",
        "POST body Action=Cancel&Signature=jdzD2OCD6dKwBT6hc3x%2FDV532vyQJInilkvuDlQWBxA%3D",
        f"params={{'Signature': '{SIG}', 'Action': 'Cancel'}}",
        f"signature: {SIG}",
    ],
)
def test_signature_values_are_redacted(message: str) -> None:
    out = logsetup.redact(message)
    assert "jdzD2OCD6dKwBT6hc3x" not in out
    assert logsetup.REDACTED in out


def test_registered_secret_is_redacted_in_any_context(tmp_path: Path) -> None:
    logsetup.register_secret(SECRET)
    log_file = tmp_path / "fpsdesk.log"
    logsetup.configure(logging.DEBUG, log_file)
    logger = logging.getLogger("fpsdesk.test")
    logger.debug("key is %s", SECRET)
    logger.debug("encoded %s", "wJalrXUtnFEMI%2FK7MDENG%2FbPxRfiCYEXAMPLEKEY")
    try:
        raise ValueError(f"boom {SECRET}")
    except ValueError:
        logger.exception("failed")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log_file.read_text()
    assert "EXAMPLEKEY" not in text
    assert text.count(logsetup.REDACTED) >= 3
    logsetup.configure(logging.WARNING)


def test_paths_follow_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "c"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "d"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "k"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "s"))
    assert paths.config_dir() == tmp_path / "c" / "fpsdesk"
    assert paths.data_dir() == tmp_path / "d" / "fpsdesk"
    assert paths.cache_dir() == tmp_path / "k" / "fpsdesk"
    assert paths.log_dir().is_relative_to(tmp_path / "s")
