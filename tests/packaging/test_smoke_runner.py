"""packaging/smoke_test.py judges a binary strictly: exit code, OK line, and a silent stderr."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load() -> ModuleType:
    path = ROOT / "packaging" / "smoke_test.py"
    spec = importlib.util.spec_from_file_location("smoke_test", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


runner = _load()


def _fake(tmp_path: Path, body: str) -> Path:
    """A stand-in for the frozen binary: a shell script with the given body."""
    exe = tmp_path / "fpsdesk"
    exe.write_text("#!/bin/sh\n" + body + "\n")
    exe.chmod(0o755)
    return exe


def test_passes_a_clean_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    exe = _fake(
        tmp_path,
        'echo "  keychain backend : keyring.backends.fail.Keyring"\necho "smoke test: OK (1.0 s)"',
    )
    assert runner.main([str(exe)]) == 0
    assert "smoke_test: PASS" in capsys.readouterr().out


def test_any_stderr_line_fails_and_triggers_a_verbose_rerun(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exe = _fake(tmp_path, 'echo "smoke test: OK"\necho "args: $*" >&2\necho "qt: oops" >&2')
    assert runner.main([str(exe)]) == 1
    err = capsys.readouterr().err
    assert "unexpected stderr" in err
    assert "args: -vv --smoke-test" in err  # the diagnostic rerun


def test_known_harmless_line_is_allowed(tmp_path: Path) -> None:
    exe = _fake(
        tmp_path,
        'echo "smoke test: OK"\necho "This plugin does not support propagateSizeHints()" >&2',
    )
    assert runner.main([str(exe)]) == 0


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ('echo "smoke test: OK"; exit 3', "exit code 3"),
        ('echo "all fine"', "no 'smoke test: OK' line"),
    ],
)
def test_exit_code_and_ok_line_are_required(
    tmp_path: Path, body: str, problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert runner.main([str(_fake(tmp_path, body))]) == 1
    assert problem in capsys.readouterr().err


def test_hang_is_cut_off(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    exe = _fake(tmp_path, "sleep 30")
    assert runner.main([str(exe), "--timeout", "0.5"]) == 1
    assert "did not finish in time" in capsys.readouterr().err


def test_expected_backend_is_enforced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    exe = _fake(
        tmp_path, 'echo "  keychain backend : keyring.backends.fail.Keyring"\necho "smoke test: OK"'
    )
    assert runner.main([str(exe), "--expect-backend", "SecretService"]) == 1
    assert "expected SecretService" in capsys.readouterr().err


def test_runs_in_a_private_home(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    exe = _fake(tmp_path, 'echo "home=$HOME qpa=$QT_QPA_PLATFORM"; echo "smoke test: OK"')
    assert runner.main([str(exe)]) == 0
    out = capsys.readouterr().out
    assert "fpsdesk-smoke-home-" in out
    assert f"home={Path.home()} " not in out


def test_missing_binary_is_a_usage_error(tmp_path: Path) -> None:
    assert runner.main([str(tmp_path / "nope")]) == 2
