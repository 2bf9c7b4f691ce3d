"""Transaction ID rules, checked before anything is sent (spec §3.1, §7).

FPS transaction IDs are exactly 35 upper-case base-36 characters (spec §7: every observed ID).
Anything else comes back from FPS as a bare "rejected one or more parameters", so the shape is
checked here, once, for the app's ID field and the CLI alike: both read a typed or pasted text
with ``pick_transaction_id``.
"""

from __future__ import annotations

import re

from fpsdesk.fps.exceptions import InvalidInput

TRANSACTION_ID_LENGTH = 35
MAX_TRANSACTION_ID_LENGTH = TRANSACTION_ID_LENGTH  # the spec's "max 35"; every real ID has 35
_VALID = re.compile(r"[A-Z0-9]{35}")
# A pasted text (an e-mail, a URL, a log line) holds an ID as a run of 35 base-36 characters in
# one case (a mixed-case run is some other token: a session key, base64); shorter runs are too
# ambiguous to pick out of prose.
_EMBEDDED = re.compile(r"(?<![A-Za-z0-9])(?:[A-Z0-9]{35}|[a-z0-9]{35})(?![A-Za-z0-9])")
# A text that looks like one typed ID (short, no spaces, no URL or e-mail punctuation): its
# problem is explained character by character; anything else is prose or a URL without an ID.
_ONE_TOKEN_LIMIT = 45
_NOT_IN_A_TYPED_ID = frozenset(" /:?=&@")


def _looks_typed(text: str) -> bool:
    return len(text) <= _ONE_TOKEN_LIMIT and not any(
        ch.isspace() or ch in _NOT_IN_A_TYPED_ID for ch in text
    )


class SeveralTransactionIds(InvalidInput):
    """The text holds more than one ID: the caller offers ``choices`` (or asks for one)."""

    def __init__(self, choices: tuple[str, ...]) -> None:
        shown = ", ".join(choices[:3]) + (", …" if len(choices) > 3 else "")
        super().__init__(
            f"The pasted text holds {len(choices)} transaction IDs ({shown}): pick one."
        )
        self.choices = choices


def _shown(ch: str) -> str:
    return repr(ch) if ch.isprintable() and not ch.isspace() else f"U+{ord(ch):04X}"


def normalize_transaction_id(text: str) -> str:
    """Trim and upper-case an ID and check its shape; raise InvalidInput with a plain reason."""
    candidate = text.strip()
    if not candidate:
        raise InvalidInput("Enter a transaction ID.")
    if candidate.isascii() and candidate.isalnum():
        candidate = candidate.upper()
    if _VALID.fullmatch(candidate):
        return candidate
    # Lower-case letters are fine (they are upper-cased): name the first character that is not.
    bad = next((ch for ch in candidate if not (ch.isascii() and ch.isalnum())), None)
    if bad is not None:
        raise InvalidInput(
            "A transaction ID uses only the letters A–Z and digits 0–9; "
            f"found {_shown(bad)} (of {len(candidate)} characters)."
        )
    raise InvalidInput(
        f"A transaction ID has {TRANSACTION_ID_LENGTH} characters; this one has {len(candidate)}."
    )


def find_transaction_ids(text: str) -> list[str]:
    """Every distinct 35-character ID in a text, upper-cased, in order (a line, an e-mail)."""
    return list(dict.fromkeys(m.group(0).upper() for m in _EMBEDDED.finditer(text)))


def transaction_ids_in(text: str) -> list[str]:
    """The IDs a typed or pasted text holds: itself when it is one (any case), else those inside."""
    stripped = text.strip()
    if stripped.isascii() and _VALID.fullmatch(stripped.upper()):
        return [stripped.upper()]
    return find_transaction_ids(text)


def pick_transaction_id(text: str) -> str:
    """The one ID in a typed or pasted text (an ID, a URL, an e-mail line), upper-cased.

    Raises InvalidInput with the reason a person can act on: empty, a typed ID of the wrong
    length or alphabet, "No transaction ID in the pasted text", or SeveralTransactionIds.
    """
    found = transaction_ids_in(text)
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise SeveralTransactionIds(tuple(found))
    stripped = text.strip()
    if not stripped:
        raise InvalidInput("Enter a transaction ID.")
    if _looks_typed(stripped):
        return normalize_transaction_id(stripped)  # raises: a typed ID with the wrong shape
    raise InvalidInput("No transaction ID in the pasted text.")


def extract_transaction_id(text: str) -> str | None:
    """The one transaction ID in pasted text, or None when there is none or several."""
    found = transaction_ids_in(text)
    return found[0] if len(found) == 1 else None
