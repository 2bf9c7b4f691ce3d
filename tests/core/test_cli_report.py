"""``fpsdesk report`` as a real subprocess: the PDF's text, the PNG, and bad input."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fpsdesk.store import ActionStore, open_database
from tests.fixtures.cli import fpsdesk
from tests.fixtures.seeded_history import SEEDS, seed_history


def _seed() -> None:
    conn = open_database()
    try:
        seed_history(ActionStore(conn), conn, datetime.now(UTC))
    finally:
        conn.close()


def test_report_writes_a_pdf_and_a_png_for_the_period(tmp_path: Path) -> None:
    _seed()
    today = datetime.now().astimezone().date()
    first = today - timedelta(days=2)
    pdf, png = tmp_path / "week.pdf", tmp_path / "week.png"
    result = fpsdesk(
        "report",
        "--from",
        first.isoformat(),
        "--to",
        today.isoformat(),
        "--pdf",
        str(pdf),
        "--png",
        str(png),
        "--environment",
        "production",
    )
    assert result.returncode == 0, result.stderr
    assert "1 cancel in Production" in result.stdout
    text = subprocess.run(
        [shutil.which("pdftotext") or "pdftotext", "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert "Environment: Production" in text
    assert f"Period: {first.isoformat()} to {today.isoformat()}" in text
    assert "Produced by" in text
    assert "Cancels over time, by outcome" in text
    production = [n for n, s in enumerate(SEEDS) if s.environment == "Production"]
    for number in range(len(SEEDS)):
        assert (f"SEED{number:031d}" in text) == (number in production)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_refuses_bad_input_and_writes_nothing(tmp_path: Path) -> None:
    _seed()
    out = tmp_path / "x.pdf"
    for args, needle in (
        (["--from", "2026-02-30", "--to", "2026-03-01", "--pdf", str(out)], "YYYY-MM-DD"),
        (["--from", "2026-03-02", "--to", "2026-03-01", "--pdf", str(out)], "before it starts"),
        (["--from", "2026-03-01", "--to", "2026-03-01"], "--pdf FILE"),
        (
            [
                "--from",
                "2026-03-01",
                "--to",
                "2026-03-02",
                "--pdf",
                str(out),
                "--environment",
                "staging",
            ],
            "Sandbox",
        ),
    ):
        result = fpsdesk("report", *args)
        assert result.returncode == 2, (args, result.stderr)
        assert needle in result.stderr
        assert "Traceback" not in result.stderr
    assert not out.exists()
