"""Logging for every entry point, with a filter that keeps secrets and signatures out.

The redaction runs on the formatted message of every record, so a URL, a form body or a repr
that carries ``Signature=…`` or a secret key is cleaned wherever it was logged from.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import threading
from pathlib import Path
from urllib.parse import quote

REDACTED = "[REDACTED]"
_NAMES = r"(?:Signature|AWSSecretAccessKey|SecretAccessKey|secret_key|secret)"
# Values, never prose: "signature: the secret key does not match" (the SignatureDoesNotMatch
# explanation) must come out unchanged, while every way a signature or secret value is written
# is cleaned. Each pattern keeps its group 1 and replaces the value after it.
_PARAM_PATTERNS = [
    # Query strings and form bodies: Signature=value (the value runs to the next delimiter).
    re.compile(rf"(?i)(\b{_NAMES}=)([^&\s'\",}}]+)"),
    # Quoted values in reprs and JSON: 'Signature': 'value', "secret": "value".
    re.compile(rf"(?i)(\b{_NAMES}['\"]?\s*[:=]\s*(['\"]))((?:(?!\2).)+)(?=\2)"),
    # "Signature: value" unquoted, only when the value looks like one: at least 8 characters of
    # base64 or percent-encoding, with a digit or one of + / = % in it. A word never does.
    re.compile(
        rf"(?i)(\b{_NAMES}\s*[:=]\s*)"
        r"(?=[A-Za-z0-9+/=%_.~-]{0,200}[0-9+/=%])([A-Za-z0-9+/=%_.~-]{8,})(?![A-Za-z0-9+/=%_.~-])"
    ),
]
_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def register_secret(value: str) -> None:
    """Redact ``value`` (and its URL-encoded form) from every log record from now on.

    The encoded form is the one signed requests carry (RFC 3986, as fps/signing.py encodes):
    spelled here with the standard library so that logging stays below fps.
    """
    if len(value) >= 4:
        with _secrets_lock:
            _secrets.add(value)
            _secrets.add(quote(value.encode("utf-8"), safe="-_.~"))


def _keep_name(match: re.Match[str]) -> str:
    return match.group(1) + REDACTED


def redact(text: str) -> str:
    """``text`` with signature and secret values, and every registered secret, replaced."""
    for pattern in _PARAM_PATTERNS:
        text = pattern.sub(_keep_name, text)
    with _secrets_lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (args merged) and exception text through ``redact``."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info:
            formatted = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(formatted)
            record.exc_info = None
        return True


_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"


def configure(level: int = logging.WARNING, log_file: Path | None = None) -> None:
    """Set up the root logger once: stderr at ``level``, and an optional rotating file."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_fpsdesk", False):
            root.removeHandler(handler)
            handler.close()
    handlers: list[logging.Handler] = []
    console = logging.StreamHandler()
    console.setLevel(level)
    handlers.append(console)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        file_handler = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
        )
        file_handler.setLevel(logging.DEBUG)
        handlers.append(file_handler)
    for handler in handlers:
        handler.addFilter(RedactingFilter())
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler._fpsdesk = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(min(level, logging.DEBUG if log_file else level))
