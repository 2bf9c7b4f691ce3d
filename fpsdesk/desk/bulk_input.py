"""The input of a bulk cancel: transaction IDs found in any column of a CSV, TSV or text file.

IDs are found the way the look-up field finds them in pasted text
(fpsdesk.fps.ids.find_transaction_ids). A line with no ID (other than a first header line) or
with two is reported with its number, so the dry run (desk/bulk.py) can show it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fpsdesk.fps.ids import find_transaction_ids

MAX_ITEMS = 100_000
MAX_FILE_BYTES = 20 * 1024 * 1024


class BulkInputError(ValueError):
    """The file cannot be used at all (a plain sentence; nothing was read or sent)."""


@dataclass(frozen=True)
class InputLine:
    line_no: int
    text: str
    transaction_id: str | None
    problem: str | None = None  # why the line has no usable ID


def read_lines(text: str) -> list[InputLine]:
    """Every non-blank line, with its ID or why it has none; a first line without an ID is a
    header and is left out."""
    out: list[InputLine] = []
    seen_content = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().lstrip("\ufeff")
        if not line:
            continue
        ids = find_transaction_ids(line)
        if not ids and not seen_content:
            seen_content = True
            continue  # a header row ("transaction_id,order,...")
        seen_content = True
        shown = line[:200]
        if not ids:
            out.append(InputLine(number, shown, None, "no transaction ID on this line"))
        elif len(ids) > 1:
            out.append(
                InputLine(number, shown, None, f"{len(ids)} different transaction IDs on one line")
            )
        else:
            out.append(InputLine(number, shown, ids[0]))
        if len(out) > MAX_ITEMS:
            raise BulkInputError(f"More than {MAX_ITEMS:,} lines: split the file.")
    return out


def read_file(path: Path) -> list[InputLine]:
    """A CSV, TSV or text file; a clear BulkInputError for anything else."""
    try:
        if not path.is_file():
            raise BulkInputError(f"{path} is not a file.")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise BulkInputError(f"{path} is {size:,} bytes; at most {MAX_FILE_BYTES:,}.")
        data = path.read_bytes()
    except OSError as exc:
        raise BulkInputError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    if b"\0" in data[:4096]:
        raise BulkInputError(f"{path} is not a text file (CSV, TSV or one ID per line).")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # IDs are ASCII; other columns only need to be skipped
    return read_lines(text)
