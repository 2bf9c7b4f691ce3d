"""Look: the system's light or dark palette, status icons, environment colours.

A status is always an icon with its own shape AND a word; colour only reinforces it, so the
view reads the same to a colour-blind agent and in greyscale. Icons are painted, not loaded,
so they stay sharp at any scale and need no resource files.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QGuiApplication,
    QIcon,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QApplication, QWidget

from fpsdesk.fps.status import TransactionStatus


def _tr(text: str) -> str:
    return QCoreApplication.translate("theme", text)


_system_palette: QPalette | None = None


def system_color_scheme() -> Qt.ColorScheme:
    """The platform's light/dark setting (Unknown where the platform does not say)."""
    return QGuiApplication.styleHints().colorScheme()


def is_dark() -> bool:
    """Dark if the system says so; where it does not, judge the platform's own palette."""
    app = QGuiApplication.instance()
    if app is None:
        return False
    scheme = system_color_scheme()
    if scheme == Qt.ColorScheme.Dark:
        return True
    if scheme == Qt.ColorScheme.Light:
        return False
    palette = _system_palette if _system_palette is not None else QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def _dark_palette() -> QPalette:
    p = QPalette()
    base, window, text = QColor(30, 32, 36), QColor(40, 43, 48), QColor(230, 232, 235)
    p.setColor(QPalette.ColorRole.Window, window)
    p.setColor(QPalette.ColorRole.WindowText, text)
    p.setColor(QPalette.ColorRole.Base, base)
    p.setColor(QPalette.ColorRole.AlternateBase, QColor(36, 38, 43))
    p.setColor(QPalette.ColorRole.Text, text)
    p.setColor(QPalette.ColorRole.Button, QColor(52, 55, 61))
    p.setColor(QPalette.ColorRole.ButtonText, text)
    p.setColor(QPalette.ColorRole.ToolTipBase, QColor(52, 55, 61))
    p.setColor(QPalette.ColorRole.ToolTipText, text)
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor(140, 145, 152))
    p.setColor(QPalette.ColorRole.Highlight, QColor(53, 116, 194))
    p.setColor(QPalette.ColorRole.HighlightedText, QColor(255, 255, 255))
    p.setColor(QPalette.ColorRole.Link, QColor(110, 168, 254))
    p.setColor(QPalette.ColorRole.Mid, QColor(70, 74, 80))
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(125, 128, 134))
    return p


def _light_palette() -> QPalette:
    p = QPalette()
    p.setColor(QPalette.ColorRole.Window, QColor(246, 247, 249))
    p.setColor(QPalette.ColorRole.WindowText, QColor(28, 30, 33))
    p.setColor(QPalette.ColorRole.Base, QColor(255, 255, 255))
    p.setColor(QPalette.ColorRole.AlternateBase, QColor(244, 246, 248))
    p.setColor(QPalette.ColorRole.Text, QColor(28, 30, 33))
    p.setColor(QPalette.ColorRole.Button, QColor(240, 241, 244))
    p.setColor(QPalette.ColorRole.ButtonText, QColor(28, 30, 33))
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor(120, 124, 130))
    p.setColor(QPalette.ColorRole.Highlight, QColor(38, 99, 176))
    p.setColor(QPalette.ColorRole.HighlightedText, QColor(255, 255, 255))
    p.setColor(QPalette.ColorRole.Mid, QColor(200, 204, 210))
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(150, 153, 158))
    return p


def apply_palette(app: QApplication) -> None:
    """Fusion with a light or dark palette matching the system's colour scheme."""
    global _system_palette
    if _system_palette is None:  # the platform's palette, before we replace it
        _system_palette = QPalette(QGuiApplication.palette())
    app.setStyle("Fusion")
    app.setPalette(_dark_palette() if is_dark() else _light_palette())


def restyle(widget: QWidget, sheet: str) -> None:
    """Set ``widget``'s style sheet only if it changes: Qt re-polishes the widget and all its
    children on every call, even with the same sheet, and a page that re-says its state after
    each reply (the cancel hint, the banner) paid for that in every frame."""
    if widget.styleSheet() != sheet:
        widget.setStyleSheet(sheet)


def mono_font() -> QFont:
    """A fixed-width font at the application's size (IDs, RequestIds): QFont("monospace")
    alone is 12 points whatever size the agent's desktop uses for text."""
    font = QFont(QApplication.font())
    font.setFamily("monospace")
    font.setStyleHint(QFont.StyleHint.Monospace)
    return font


# -- statuses ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusLook:
    label: str
    shape: str  # check | cross | hold | clock | slash | question
    light: str  # colour on a light background
    dark: str  # colour on a dark background
    meaning: str

    def color(self) -> QColor:
        return QColor(self.dark if is_dark() else self.light)


def status_look(status: TransactionStatus | str | None) -> StatusLook:
    if isinstance(status, str) and not isinstance(status, TransactionStatus):
        try:
            status = TransactionStatus.parse(status)
        except ValueError:
            status = None
    looks = {
        TransactionStatus.RESERVED: StatusLook(
            _tr("Reserved"),
            "hold",
            "#1d5fb8",
            "#6ea8fe",
            _tr("The amount is held on the buyer's instrument; it can be settled or cancelled."),
        ),
        TransactionStatus.PENDING: StatusLook(
            _tr("Pending"),
            "clock",
            "#9a5b00",
            "#f0b43c",
            _tr("FPS is still processing it; it can still be cancelled."),
        ),
        TransactionStatus.SUCCESS: StatusLook(
            _tr("Success"),
            "check",
            "#1a7f37",
            "#5cc971",
            _tr("Completed: the buyer was charged."),
        ),
        TransactionStatus.FAILURE: StatusLook(
            _tr("Failure"),
            "cross",
            "#b42318",
            "#f97066",
            _tr("The payment failed; nothing was charged."),
        ),
        TransactionStatus.CANCELLED: StatusLook(
            _tr("Cancelled"),
            "slash",
            "#5b616b",
            "#aab0b8",
            _tr("Cancelled: nothing will be charged."),
        ),
    }
    if isinstance(status, TransactionStatus):
        return looks[status]
    return StatusLook(_tr("Unknown"), "question", "#6b4fbb", "#b9a6f5", _tr("Status not known."))


def outcome_look(outcome: str) -> StatusLook:
    """Looks for an action's outcome (ActionOutcome values)."""
    table = {
        "succeeded": StatusLook(_tr("Succeeded"), "check", "#1a7f37", "#5cc971", ""),
        "failed": StatusLook(_tr("Not cancelled"), "cross", "#b42318", "#f97066", ""),
        "unknown": StatusLook(_tr("Outcome unknown"), "question", "#9a5b00", "#f0b43c", ""),
        "pending": StatusLook(_tr("Being sent"), "clock", "#1d5fb8", "#6ea8fe", ""),
    }
    return table.get(outcome, StatusLook(outcome, "question", "#5b616b", "#aab0b8", ""))


def warm_up(chip_sizes: tuple[int, ...] = (), ratio: float = 1.0) -> None:
    """Draw every status and outcome badge once, ahead of time (the window does it while it
    waits for the first look-up): a badge drawn the first time in a look-up's frame costs a
    few milliseconds of that frame."""
    looks = [status_look(status) for status in TransactionStatus]
    looks += [outcome_look(outcome) for outcome in ("succeeded", "failed", "unknown", "pending")]
    for look in looks:
        look_icon(look)
        for size in chip_sizes:
            shape_pixmap(look.shape, look.color(), size, ratio)


def verdict_look(verdict: str) -> StatusLook:
    """Looks for an IPN signature verdict."""
    key = verdict.lower().replace(" ", "").replace("_", "")
    table = {
        "verified": StatusLook(_tr("Verified"), "check", "#1a7f37", "#5cc971", ""),
        "failed": StatusLook(_tr("Failed"), "cross", "#b42318", "#f97066", ""),
        "notchecked": StatusLook(_tr("Not checked"), "question", "#5b616b", "#aab0b8", ""),
    }
    return table.get(key, StatusLook(verdict, "question", "#5b616b", "#aab0b8", ""))


def untrusted_look() -> StatusLook:
    """An IPN whose signature did not verify: grey and struck, never a status colour."""
    return StatusLook(
        _tr("Untrusted"),
        "slash",
        "#5b616b",
        "#aab0b8",
        _tr("Not a verified notification: not trusted as the transaction's status."),
    )


# Painted badges by (shape, colour, size, ratio): a look-up shows a dozen and a table
# hundreds, all from a handful of looks; painting each afresh was a third of a look-up's
# time on the GUI thread. Finite (shapes x colours x sizes), so never evicted.
_pixmaps: dict[tuple[str, int, int, float], QPixmap] = {}
_icons: dict[tuple[str, int, int], QIcon] = {}


def shape_pixmap(shape: str, color: QColor, size: int = 16, ratio: float = 1.0) -> QPixmap:
    """A round badge in ``color`` with a white glyph whose shape tells the state apart."""
    key = (shape, color.rgba(), size, ratio)
    px = _pixmaps.get(key)
    if px is None:
        px = _pixmaps[key] = _paint_badge(shape, color, size, ratio)
    return px


def _paint_badge(shape: str, color: QColor, size: int, ratio: float) -> QPixmap:
    px = QPixmap(int(size * ratio), int(size * ratio))
    px.setDevicePixelRatio(ratio)
    px.fill(Qt.GlobalColor.transparent)
    p = QPainter(px)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = float(size)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(color)
    p.drawEllipse(QRectF(0.5, 0.5, s - 1, s - 1))
    pen = QPen(QColor("white"), max(1.6, s / 9))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)

    def pt(x: float, y: float) -> QPointF:
        return QPointF(x * s, y * s)

    if shape == "check":
        path = QPainterPath(pt(0.28, 0.52))
        path.lineTo(pt(0.44, 0.68))
        path.lineTo(pt(0.73, 0.35))
        p.drawPath(path)
    elif shape == "cross":
        p.drawLine(pt(0.33, 0.33), pt(0.67, 0.67))
        p.drawLine(pt(0.67, 0.33), pt(0.33, 0.67))
    elif shape == "hold":
        p.drawLine(pt(0.40, 0.31), pt(0.40, 0.69))
        p.drawLine(pt(0.60, 0.31), pt(0.60, 0.69))
    elif shape == "clock":
        p.drawLine(pt(0.5, 0.5), pt(0.5, 0.27))
        p.drawLine(pt(0.5, 0.5), pt(0.68, 0.6))
    elif shape == "slash":
        p.drawEllipse(QRectF(0.27 * s, 0.27 * s, 0.46 * s, 0.46 * s))
        p.drawLine(pt(0.35, 0.65), pt(0.65, 0.35))
    else:  # question
        path = QPainterPath(pt(0.37, 0.38))
        path.cubicTo(pt(0.37, 0.22), pt(0.65, 0.22), pt(0.63, 0.40))
        path.cubicTo(pt(0.62, 0.50), pt(0.50, 0.50), pt(0.50, 0.60))
        p.drawPath(path)
        p.drawPoint(pt(0.5, 0.75))
    p.end()
    return px


def look_icon(look: StatusLook, size: int = 16) -> QIcon:
    color = look.color()
    key = (look.shape, color.rgba(), size)
    icon = _icons.get(key)
    if icon is None:
        icon = _icons[key] = QIcon()
        for ratio in (1.0, 2.0):
            icon.addPixmap(shape_pixmap(look.shape, color, size, ratio))
    return icon


# -- environments ------------------------------------------------------------------------


@dataclass(frozen=True)
class EnvironmentLook:
    label: str
    background: str
    foreground: str
    tooltip: str


def environment_look(environment: str, endpoint: str = "") -> EnvironmentLook:
    """Production is loud (red), sandboxes are calm (amber/teal), custom is purple."""
    env = environment.lower()
    if env == "production":
        return EnvironmentLook(
            _tr("PRODUCTION"),
            "#b42318",
            "#ffffff",
            _tr("Live FPS: actions move real money. {url}").format(url=endpoint),
        )
    if env == "local sandbox":
        return EnvironmentLook(
            _tr("LOCAL SANDBOX"),
            "#0e7c86",
            "#ffffff",
            _tr("The embedded sandbox on this computer: no real money. {url}").format(url=endpoint),
        )
    if env == "sandbox":
        return EnvironmentLook(
            _tr("SANDBOX"),
            "#b7791f",
            "#ffffff",
            _tr("The FPS sandbox: test money only. {url}").format(url=endpoint),
        )
    if env == "custom":
        return EnvironmentLook(
            _tr("CUSTOM ENDPOINT"),
            "#6b4fbb",
            "#ffffff",
            _tr("A custom endpoint: {url}").format(url=endpoint),
        )
    if env == "connecting":
        return EnvironmentLook(
            _tr("CONNECTING…"),
            "#5b616b",
            "#ffffff",
            _tr("Starting up: reading the profile or starting the local sandbox."),
        )
    return EnvironmentLook(
        _tr("NOT CONNECTED"), "#5b616b", "#ffffff", _tr("No profile: open Settings to connect.")
    )
