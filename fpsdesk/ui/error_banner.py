"""An error (``fpsdesk.desk.replies.ErrorView``) on a banner, as the look-up and the cancel show
it: the catalogue's title, explanation and next step, with what support asks for first."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication

from fpsdesk.ui import theme
from fpsdesk.ui.result_banner import ResultBanner


def context_text(config: Any, transaction_id: str | None) -> str:
    """The transaction and the environment, for the banner's "Copy details"."""
    parts = []
    if transaction_id:
        parts.append(f"Transaction: {transaction_id}")
    if config is not None:
        parts.append(f"Environment: {config.environment} ({config.endpoint})")
    return "\n".join(parts)


def show_error(banner: ResultBanner, error: Any, context: str) -> None:
    """Red for a refusal; amber when the outcome may still be anything (network, unknown)."""
    look = theme.StatusLook(error.title, "cross", "#b42318", "#f97066", "")
    if error.kind in ("network", "timeout", "tls", "outcome_unknown"):
        look = theme.StatusLook(error.title, "question", "#9a5b00", "#f0b43c", "")
    detail = error.explanation
    if error.next_step:
        detail = QCoreApplication.translate("MainWindow", "{detail}\nNext step: {step}").format(
            detail=detail, step=error.next_step
        )
    banner.show_result(
        look,
        error.title,
        detail,
        error.code,
        error.request_id,
        kind=error.kind,
        context=context,
    )


def now_text() -> str:
    """The local time of day, as the status bar and the notices say when something happened."""
    from datetime import datetime

    return datetime.now().astimezone().strftime("%H:%M:%S")
