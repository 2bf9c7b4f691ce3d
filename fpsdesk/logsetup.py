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

REDACTED = "[REDACTED]"
# Signature / signature parameters in query strings, form bodies, reprs and JSON.
_PARAM_PATTERNS = [
    re.compile(
        r"(?i)(\b(?:Signature|AWSSecretAccessKey|secret_key|secret)['\"]?\s*[=:]\s*['\"]?)"
        r"([^&\s'\",}]+)"
    ),
]
_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def register_secret(value: str) -> None:
    """Redact ``value`` (and its URL-encoded form) from every log record from now on."""
    from fpsdesk.fps.signing import percent_encode

    if len(value) >= 4:
        with _secrets_lock:
            _secrets.add(value)
            _secrets.add(percent_encode(value))


def redact(text: str) -> str:
    for pattern in _PARAM_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
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
