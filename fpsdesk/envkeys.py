"""The environment variables that may hold FPS keys, for messages that must name one.

Below fps (fps/client.py asks it which variable held a key that is not valid text) and free
of the keychain, so asking never loads keyring.
"""

from __future__ import annotations

import os

# Where ``fpsdesk status/cancel --endpoint`` takes the keys from (fpsdesk.desk.connection).
ENV_KEY_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")


def environment_variable_holding(value: str) -> str | None:
    """The key variable (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) whose value is ``value``.

    For messages about a key that is not valid text: a value read from the environment that was
    not UTF-8 arrives with surrogate escapes, and the message must say which variable to fix
    without repeating any of its content. Compared as read and as stripped (how the keys are
    taken from the environment).
    """
    for name in ENV_KEY_VARIABLES:
        raw = os.environ.get(name)
        if raw is not None and value in (raw, raw.strip()):
            return name
    return None
