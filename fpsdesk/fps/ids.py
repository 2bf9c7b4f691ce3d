"""Transaction ID rules, checked before anything is sent (spec §3.1, §7)."""

from __future__ import annotations

import re

from fpsdesk.fps.exceptions import InvalidInput

MAX_TRANSACTION_ID_LENGTH = 35
_VALID = re.compile(r"[A-Z0-9]{1,35}")
# A pasted text (an e-mail, a URL, a log line) holds an ID as a run of 35 upper-case base-36
# characters; shorter runs are too ambiguous to pick out of prose.
_EMBEDDED = re.compile(r"(?<![A-Za-z0-9])[A-Z0-9]{35}(?![A-Za-z0-9])")


def normalize_transaction_id(text: str) -> str:
    """Trim surrounding whitespace and check the ID; raise InvalidInput with a plain reason."""
    candidate = text.strip()
    if not candidate:
        raise InvalidInput("Enter a transaction ID.")
    if len(candidate) > MAX_TRANSACTION_ID_LENGTH:
        raise InvalidInput(
            f"A transaction ID has at most {MAX_TRANSACTION_ID_LENGTH} characters; "
            f"this one has {len(candidate)}."
        )
    if not _VALID.fullmatch(candidate):
        bad = next(ch for ch in candidate if not ("A" <= ch <= "Z" or "0" <= ch <= "9"))
        shown = bad if bad.isprintable() and not bad.isspace() else f"U+{ord(bad):04X}"
        raise InvalidInput(
            f"A transaction ID uses only capital letters A–Z and digits 0–9; found {shown!r}."
        )
    return candidate


def find_transaction_ids(text: str) -> list[str]:
    """Every distinct 35-character ID in a text, in order (a line of a file, an e-mail)."""
    return list(dict.fromkeys(m.group(0) for m in _EMBEDDED.finditer(text)))


def extract_transaction_id(text: str) -> str | None:
    """Pick the one transaction ID out of pasted text, or return None when there is not one.

    A text that is itself a valid ID is returned as is; otherwise the text must contain exactly
    one distinct 35-character ID (a URL parameter, an e-mail line).
    """
    stripped = text.strip()
    if _VALID.fullmatch(stripped):
        return stripped
    found = find_transaction_ids(text)
    return found[0] if len(found) == 1 else None
