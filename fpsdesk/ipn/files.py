"""Files of IPNs: the "key: value" dump of the FPS documentation, and any file of the four
formats read record by record (``iter_records``), for ``fpsdesk ipn import``.

The rules for one IPN's fields are fpsdesk/ipn/parse.py's; this module finds the records.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from fpsdesk.ipn.parse import (
    KNOWN_FIELDS,
    from_pairs,
    parse_form,
    parse_json_line,
    parse_query,
    split_url,
)
from fpsdesk.records.ipn import Ipn, IpnParseError

Format = Literal["form", "query", "jsonl", "dump"]
FORMATS: tuple[Format, ...] = ("form", "query", "jsonl", "dump")

_LINE_KEY = re.compile(r"[ \t]*([A-Za-z_][A-Za-z0-9_.\-]*):(?:[ \t](.*)|)")
_TOKEN_KEY = re.compile(r"([A-Za-z][A-Za-z0-9_.]*):")
_CAMEL = re.compile(r"[a-z]+[A-Z][A-Za-z0-9]*")
_DASH_LINE = re.compile(r"[ \t]*-{3,}[ \t]*")
_DASH_TOKEN = re.compile(r"-{3,}")


# ---------------------------------------------------------------------------------------------
# The "key: value" dump


def _is_token_key(token: str) -> str | None:
    match = _TOKEN_KEY.fullmatch(token)
    if not match:
        return None
    name = match.group(1)
    return name if name in KNOWN_FIELDS or _CAMEL.fullmatch(name) else None


@dataclass(frozen=True, slots=True)
class DumpRecord:
    """One record of a dump: where it starts (1-based line) and its pairs or its error."""

    line: int
    text: str
    pairs: list[tuple[str, str]] | None
    error: IpnParseError | None


def _line_records(text: str) -> Iterator[DumpRecord]:
    lines = text.split("\n")
    block: list[tuple[int, str]] = []

    def flush() -> Iterator[DumpRecord]:
        if not block:
            return
        start = block[0][0]
        raw = "\n".join(line for _, line in block)
        pairs: list[tuple[str, str]] = []
        for number, line in block:
            match = _LINE_KEY.fullmatch(line)
            if match:
                pairs.append((match.group(1), match.group(2) or ""))
            elif pairs:
                name, value = pairs[-1]
                pairs[-1] = (name, value + "\n" + line)
            elif any(_LINE_KEY.fullmatch(other) for _, other in block):
                yield DumpRecord(
                    start,
                    raw,
                    None,
                    IpnParseError(f"line {number}: text before the first 'name: value' line"),
                )
                return
            else:
                return  # prose between records, no field at all: not a record
        yield DumpRecord(start, raw, pairs, None)

    for number, line in enumerate(lines, start=1):
        line = line.removesuffix("\r")
        if not line.strip() or _DASH_LINE.fullmatch(line):
            yield from flush()
            block = []
        else:
            block.append((number, line))
    yield from flush()


def _token_records(text: str) -> Iterator[DumpRecord]:
    # A flattened dump (line breaks lost, as on the web page the seed came from): fields are
    # found by their ``name:`` tokens; a value is its tokens joined by single spaces.
    for number, line in enumerate(text.split("\n"), start=1):
        for segment in _DASH_TOKEN.split(line):
            tokens = segment.split()
            if not tokens:
                continue
            keys = [_is_token_key(token) for token in tokens]
            if not any(keys):
                continue  # prose, not a record
            if keys[0] is None:
                yield DumpRecord(
                    number,
                    segment.strip(),
                    None,
                    IpnParseError(f"line {number}: text before the first 'name:' field"),
                )
                continue
            pairs: list[tuple[str, str]] = []
            values: list[str] = []
            for token, key in zip(tokens, keys, strict=True):
                if key is not None:
                    if pairs:
                        pairs[-1] = (pairs[-1][0], " ".join(values))
                    pairs.append((key, ""))
                    values = []
                else:
                    values.append(token)
            pairs[-1] = (pairs[-1][0], " ".join(values))
            yield DumpRecord(number, segment.strip(), pairs, None)


def dump_records(text: str) -> Iterator[DumpRecord]:
    """The records of a dump, one per block between lines of dashes (or blank lines).

    One field per line when at least two lines start with ``name:``; otherwise the dump is
    read as flattened text (the seed page's form).
    """
    key_lines = sum(1 for line in text.split("\n") if _LINE_KEY.fullmatch(line.rstrip("\r")))
    yield from (_line_records(text) if key_lines >= 2 else _token_records(text))


def parse_dump(text: str) -> list[Ipn]:
    """Every IPN of a dump; the first bad record raises."""
    out: list[Ipn] = []
    for record in dump_records(text):
        if record.error is not None:
            raise record.error
        assert record.pairs is not None
        try:
            out.append(from_pairs(record.pairs))
        except IpnParseError as exc:
            raise IpnParseError(f"line {record.line}: {exc}") from None
    if not out:
        raise IpnParseError("no 'name: value' record found")
    return out


# ---------------------------------------------------------------------------------------------
# Files of any format


@dataclass(frozen=True, slots=True)
class ParsedRecord:
    """One IPN (or one failure) read from a file, with where it was and what it looked like."""

    line: int
    text: str
    ipn: Ipn | None
    error: IpnParseError | None
    endpoint_url: str | None = None
    http_method: str | None = None


def detect_format(text: str) -> Format:
    """Guess a file's format from its first non-blank line."""
    first = next((line.strip() for line in text.split("\n") if line.strip()), "")
    if first.startswith("{"):
        return "jsonl"
    if first.startswith("?") or re.match(r"(?i)https?://", first):
        return "query"
    if re.fullmatch(r"[^\s=&:]+=\S*", first):
        return "form"
    return "dump"


def decode_text(data: bytes) -> str:
    """File bytes → text: UTF-8 (a BOM is dropped), nothing else is guessed."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IpnParseError(
            f"the file is not UTF-8 text (bad byte at offset {exc.start})"
        ) from None


def iter_records(text: str, fmt: Format | None = None) -> Iterator[ParsedRecord]:
    """Every record of a file's text, good or bad, so an import can go on past a bad one."""
    fmt = fmt or detect_format(text)
    if fmt == "dump":
        for record in dump_records(text):
            if record.error is not None:
                yield ParsedRecord(record.line, record.text, None, record.error)
                continue
            assert record.pairs is not None
            try:
                yield ParsedRecord(record.line, record.text, from_pairs(record.pairs), None)
            except IpnParseError as exc:
                yield ParsedRecord(record.line, record.text, None, exc)
        return
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.strip()
        if not line:
            continue
        try:
            if fmt == "jsonl":
                ipn, envelope = parse_json_line(line)
                yield ParsedRecord(
                    number, line, ipn, None, envelope.endpoint_url, envelope.http_method
                )
            elif fmt == "query":
                endpoint, _ = split_url(line)
                yield ParsedRecord(number, line, parse_query(line), None, endpoint)
            else:
                yield ParsedRecord(number, line, parse_form(line), None)
        except IpnParseError as exc:
            yield ParsedRecord(number, line, None, exc)
