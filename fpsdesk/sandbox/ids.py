"""Identifiers in the shapes FPS used on the wire (spec §1, §7).

Transaction IDs are 35 upper-case base-36 characters starting with ``1``; request IDs are a
lower-case UUID followed by ``:0``. Clients validate these shapes, so the sandbox must match them.
"""

from __future__ import annotations

import random
import re
import secrets
import uuid

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
TRANSACTION_ID_LENGTH = 35
_WELL_FORMED = re.compile(r"[0-9A-Z]{35}")


def new_transaction_id(rng: random.Random | None = None) -> str:
    """A fresh ID; pass ``rng`` for the deterministic demo data set."""
    if rng is None:
        tail = "".join(secrets.choice(ALPHABET) for _ in range(TRANSACTION_ID_LENGTH - 1))
    else:
        tail = "".join(rng.choice(ALPHABET) for _ in range(TRANSACTION_ID_LENGTH - 1))
    return "1" + tail


def is_well_formed_transaction_id(text: str) -> bool:
    """35 upper-case base-36 characters: anything else is "not a valid transaction ID"."""
    return _WELL_FORMED.fullmatch(text) is not None


def new_request_id() -> str:
    """Success responses carry ``<uuid>:0`` (spec §1, [WIRE])."""
    return f"{uuid.uuid4()}:0"


def new_error_request_id() -> str:
    """Error responses carry a bare UUID in ``<RequestID>`` (the captured wire sample, spec §5)."""
    return str(uuid.uuid4())


def new_token_id(rng: random.Random | None = None) -> str:
    """A 64-character token ID like the ones the co-branded UI handed out."""
    chooser = rng.choice if rng is not None else secrets.choice
    return "".join(chooser(ALPHABET) for _ in range(64))
