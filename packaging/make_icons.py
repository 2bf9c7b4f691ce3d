"""Render the application icon from its SVG sources into PNGs, a Windows .ico and a macOS .icns.

A dev-time tool, run by hand when the SVG changes; its output is committed under
``resources/icons/`` so neither a build nor the running app needs an SVG renderer. It uses Qt's
own SVG renderer (PySide6-Essentials ships QtSvg), so it needs nothing beyond the app's own
dependencies. The .ico and .icns containers are written here by hand: both are simple,
documented formats and a few lines beat a build dependency on Pillow.

    python3 packaging/make_icons.py           # regenerate resources/icons/*
    python3 packaging/make_icons.py --check   # verify the committed files are present and sound
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "resources" / "icons"
SOURCE = ICONS / "fpsdesk.svg"
SMALL_SOURCE = ICONS / "fpsdesk-small.svg"  # hand-tuned for the 16 px grid
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
SMALL_SIZES = (16,)  # rendered from SMALL_SOURCE
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# ICNS element types holding PNG data, by pixel size (Apple's "icns" type codes; the @2x
# variants are the same pixels labelled for Retina at half the point size).
ICNS_TYPES: tuple[tuple[bytes, int], ...] = (
    (b"icp4", 16),
    (b"icp5", 32),
    (b"icp6", 64),
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic09", 512),
    (b"ic10", 1024),  # 512@2x
    (b"ic11", 32),  # 16@2x
    (b"ic12", 64),  # 32@2x
    (b"ic13", 256),  # 128@2x
    (b"ic14", 512),  # 256@2x
)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_name(size: int) -> str:
    return f"fpsdesk-{size}.png"


# --- rendering (Qt) ----------------------------------------------------------------------------


class Renderer:
    """Renders the SVG sources to RGBA pixels; Qt is imported only when rendering."""

    def __init__(self) -> None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from PySide6.QtGui import QGuiApplication

        self._app = QGuiApplication.instance() or QGuiApplication([])

    def image(self, size: int):  # type: ignore[no-untyped-def]
        from PySide6.QtCore import Qt
        from PySide6.QtGui import QImage, QPainter
        from PySide6.QtSvg import QSvgRenderer

        source = SMALL_SOURCE if size in SMALL_SIZES else SOURCE
        renderer = QSvgRenderer(str(source))
        if not renderer.isValid():
            raise SystemExit(f"{source}: not a valid SVG")
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter)
        painter.end()
        return image.convertToFormat(QImage.Format.Format_ARGB32)

    def png(self, size: int) -> bytes:
        from PySide6.QtCore import QBuffer, QByteArray, QIODevice

        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        if not self.image(size).save(buffer, "PNG"):
            raise SystemExit(f"could not encode the {size} px PNG")
        buffer.close()
        return bytes(data.data())

    def bgra_rows(self, size: int) -> list[bytes]:
        """Rows top to bottom, each pixel B, G, R, A (ARGB32 in little-endian memory)."""
        image = self.image(size)
        if sys.byteorder != "little":
            raise SystemExit("ICO pixel export assumes a little-endian host")
        stride = image.bytesPerLine()
        raw = bytes(image.constBits())  # type: ignore[call-overload]
        return [raw[y * stride : y * stride + size * 4] for y in range(size)]


# --- containers (pure Python) ------------------------------------------------------------------


def ico_dib(size: int, bgra_rows: list[bytes]) -> bytes:
    """A 32-bit DIB icon image: header, bottom-up BGRA pixels, then the 1-bit AND mask.

    Small sizes are stored as DIBs rather than PNG because some older Windows shell paths
    (and many third-party tools) only decode DIB entries below 256 px.
    """
    header = struct.pack("<IiiHHIIiiII", 40, size, size * 2, 1, 32, 0, 0, 0, 0, 0, 0)
    pixels = b"".join(reversed(bgra_rows))
    mask_row_bytes = ((size + 31) // 32) * 4
    mask = bytearray()
    for row in reversed(bgra_rows):
        bits = bytearray(mask_row_bytes)
        for x in range(size):
            if row[x * 4 + 3] == 0:  # fully transparent: mask bit set
                bits[x // 8] |= 0x80 >> (x % 8)
        mask += bits
    return header + pixels + bytes(mask)


def build_ico(images: list[tuple[int, bytes]]) -> bytes:
    """An .ico holding ``(size, payload)`` entries; payload is a DIB or PNG image."""
    count = len(images)
    offset = 6 + 16 * count
    directory = struct.pack("<HHH", 0, 1, count)
    blobs = b""
    for size, payload in images:
        dim = 0 if size >= 256 else size
        directory += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(payload), offset)
        offset += len(payload)
        blobs += payload
    return directory + blobs


def build_icns(elements: list[tuple[bytes, bytes]]) -> bytes:
    """An .icns: ``icns`` + total length, then (type, length incl. header, data) elements."""
    body = b"".join(kind + struct.pack(">I", len(data) + 8) + data for kind, data in elements)
    return b"icns" + struct.pack(">I", len(body) + 8) + body


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    if not data.startswith(PNG_MAGIC) or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def read_ico(data: bytes) -> list[tuple[int, int, bytes]]:
    """Parse an .ico into ``(width, height, payload)``; raises ValueError if malformed."""
    reserved, kind, count = struct.unpack_from("<HHH", data, 0)
    if reserved != 0 or kind != 1 or count == 0:
        raise ValueError("not an icon directory")
    entries = []
    for i in range(count):
        w, h, _c, _r, _planes, _bits, length, offset = struct.unpack_from(
            "<BBBBHHII", data, 6 + 16 * i
        )
        payload = data[offset : offset + length]
        if len(payload) != length:
            raise ValueError(f"entry {i} runs past the end of the file")
        entries.append((w or 256, h or 256, payload))
    return entries


def read_icns(data: bytes) -> list[tuple[bytes, bytes]]:
    """Parse an .icns into ``(type, data)`` elements; raises ValueError if malformed."""
    if data[:4] != b"icns" or struct.unpack(">I", data[4:8])[0] != len(data):
        raise ValueError("not an icns file (bad magic or length)")
    elements = []
    pos = 8
    while pos < len(data):
        kind = data[pos : pos + 4]
        (length,) = struct.unpack(">I", data[pos + 4 : pos + 8])
        if length < 8 or pos + length > len(data):
            raise ValueError(f"element {kind!r} has a bad length")
        elements.append((kind, data[pos + 8 : pos + length]))
        pos += length
    return elements


# --- commands ----------------------------------------------------------------------------------


def generate() -> None:
    renderer = Renderer()
    pngs = {size: renderer.png(size) for size in {*PNG_SIZES, 1024}}
    for size in PNG_SIZES:
        (ICONS / png_name(size)).write_bytes(pngs[size])
    ico_images = [
        (size, pngs[size] if size >= 256 else ico_dib(size, renderer.bgra_rows(size)))
        for size in ICO_SIZES
    ]
    (ICONS / "fpsdesk.ico").write_bytes(build_ico(ico_images))
    (ICONS / "fpsdesk.icns").write_bytes(
        build_icns([(kind, pngs[size]) for kind, size in ICNS_TYPES])
    )
    print(f"wrote {len(PNG_SIZES)} PNGs, fpsdesk.ico and fpsdesk.icns to {ICONS}")


def check() -> list[str]:
    """Problems with the committed icon files (empty if all are present and well formed)."""
    problems: list[str] = []
    for size in PNG_SIZES:
        path = ICONS / png_name(size)
        try:
            if png_size(path.read_bytes()) != (size, size):
                problems.append(f"{path.name}: not {size}x{size}")
        except (OSError, ValueError) as exc:
            problems.append(f"{path.name}: {exc}")
    try:
        ico = read_ico((ICONS / "fpsdesk.ico").read_bytes())
        if sorted(w for w, _h, _p in ico) != sorted(ICO_SIZES):
            problems.append("fpsdesk.ico: wrong set of sizes")
    except (OSError, ValueError, struct.error) as exc:
        problems.append(f"fpsdesk.ico: {exc}")
    try:
        icns = dict(read_icns((ICONS / "fpsdesk.icns").read_bytes()))
        for kind, size in ICNS_TYPES:
            if png_size(icns[kind]) != (size, size):
                problems.append(f"fpsdesk.icns: {kind.decode()} is not {size}x{size}")
    except (OSError, ValueError, KeyError, struct.error) as exc:
        problems.append(f"fpsdesk.icns: {exc}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify, don't regenerate")
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        for problem in problems:
            print(f"make_icons: {problem}", file=sys.stderr)
        return 1 if problems else 0
    generate()
    return 1 if check() else 0


if __name__ == "__main__":
    sys.exit(main())
