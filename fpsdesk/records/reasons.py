"""Reason codes: a short list a team can count, instead of free text nobody groups the same way.

A profile ships with ``DEFAULT_REASON_CODES`` and may replace the list (settings.py). A Cancel
records the code it was given (never rewritten afterwards) with an optional comment, and FPS
receives both in the Description: ``[code] comment``, cut to ``MAX_DESCRIPTION_LENGTH``.
Rows from before codes existed are grouped by their folded free text (store/report.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The spec names no limit for Cancel's Description; fpsdesk has always refused longer
# reasons than this on the command line, so the code and comment together stay within it.
MAX_DESCRIPTION_LENGTH = 1000
MAX_CODE_LENGTH = 32
MAX_LABEL_LENGTH = 60
_CODE = re.compile(r"[a-z0-9][a-z0-9-]*\Z")


class InvalidReasonCode(ValueError):
    """A code or label was refused; ``str(error)`` is a message fit for a user."""


def validate_code(code: str) -> str:
    """A code is lower-case letters, digits and hyphens (it is typed on command lines)."""
    value = code.strip().lower()
    if not value or len(value) > MAX_CODE_LENGTH or not _CODE.match(value):
        raise InvalidReasonCode(
            f"{code!r} is not a reason code: use up to {MAX_CODE_LENGTH} lower-case letters, "
            "digits and hyphens, e.g. duplicate-order."
        )
    return value


@dataclass(frozen=True, slots=True)
class ReasonCode:
    """One entry of a profile's list: the code recorded and sent, and what people read."""

    code: str
    label: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", validate_code(self.code))
        label = " ".join(self.label.split())
        if not label:
            raise InvalidReasonCode(f"The reason code {self.code!r} needs a label.")
        if len(label) > MAX_LABEL_LENGTH or not label.isprintable():
            raise InvalidReasonCode(
                f"A reason label has at most {MAX_LABEL_LENGTH} printable characters."
            )
        object.__setattr__(self, "label", label)


DEFAULT_REASON_CODES: tuple[ReasonCode, ...] = (
    ReasonCode("customer-request", "Customer request"),
    ReasonCode("duplicate-order", "Duplicate order"),
    ReasonCode("suspected-fraud", "Suspected fraud"),
    ReasonCode("out-of-stock", "Out of stock"),
    ReasonCode("address-problem", "Address problem"),
    ReasonCode("other", "Other"),
)


def find_code(code: str, codes: tuple[ReasonCode, ...]) -> ReasonCode:
    """The entry for ``code`` in a profile's list; InvalidReasonCode naming the list if none."""
    wanted = validate_code(code)
    for entry in codes:
        if entry.code == wanted:
            return entry
    known = ", ".join(c.code for c in codes)
    raise InvalidReasonCode(f"{code!r} is not one of this profile's reason codes: {known}.")


def label_of(code: str, codes: tuple[ReasonCode, ...] = DEFAULT_REASON_CODES) -> str:
    """What to show for a recorded code, also one the current list no longer has."""
    for entry in codes:
        if entry.code == code:
            return entry.label
    for entry in DEFAULT_REASON_CODES:
        if entry.code == code:
            return entry.label
    return code


def description(code: str | None, comment: str | None) -> str | None:
    """The Description sent to FPS: ``[code] comment``, the comment cut to fit the limit."""
    comment = (comment or "").strip() or None
    prefix = f"[{code}]" if code else ""
    if comment is None:
        return prefix or None
    room = MAX_DESCRIPTION_LENGTH - len(prefix) - (1 if prefix else 0)
    if len(comment) > room:
        comment = comment[: room - 1].rstrip() + "…"
    return f"{prefix} {comment}" if prefix else comment


def shown_reason(
    code: str | None, comment: str | None, codes: tuple[ReasonCode, ...] = DEFAULT_REASON_CODES
) -> str | None:
    """How a recorded reason reads in tables: ``Label: comment``, either part alone, or None."""
    label = label_of(code, codes) if code else None
    comment = (comment or "").strip() or None
    if label and comment:
        return f"{label}: {comment}"
    return label or comment
