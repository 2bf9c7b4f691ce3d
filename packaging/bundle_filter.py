"""Trim a PyInstaller Analysis of a PySide6 app down to what a Qt Widgets app actually loads.

``excludes`` keeps Python modules out, but the PySide6 hooks still collect every Qt plugin,
every translation and every shared library those plugins link (the GTK3 stack through the
GTK platform theme, Qt Quick through the virtual keyboard, ...): see qt-anchors.md §9 and
PyInstaller #5503/#8672/#6447. So the spec passes ``a.binaries`` and ``a.datas`` through
:func:`trim`, which

1. drops Qt plugins outside an allow-list (by category and plugin name, on every OS),
2. drops Qt translations except the languages we ship,
3. then drops every shared library that only the dropped files needed: it follows ELF
   ``DT_NEEDED`` edges, so a library that something we keep still links is never dropped.

Step 3 reads ELF files only: on Windows and macOS only the allow-lists apply, which never
drops a library something still needs, only keeps some it could drop.

Shared by ``packaging/fpsdesk.spec`` and the bare-window build in
``benchmarks/bench_bundle.py``, so both bundles are trimmed the same way. Pure Python (no
PyInstaller import) so it is unit-tested without building anything.
"""

from __future__ import annotations

import posixpath
import re
import struct
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

# PyInstaller TOC entry: (destination name, source path, typecode).
Entry = tuple[str, str, str]

# Qt plugins kept, by category; a category not listed is dropped whole. Names are the plugin
# file stem without the "lib" prefix, so one list serves .so, .dll and .dylib.
KEEP_PLUGINS: dict[str, frozenset[str]] = {
    # xcb + wayland for Linux desktops, offscreen for --smoke-test/CI, the native ones elsewhere.
    "platforms": frozenset({"qxcb", "qwayland", "qoffscreen", "qminimal", "qwindows", "qcocoa"}),
    # The portal theme gives native file dialogs through xdg-desktop-portal; GTK3's theme is
    # dropped because it drags in ~15 MB of GTK, cairo and pango (§9).
    "platformthemes": frozenset({"qxdgdesktopportal"}),
    # Dead keys / compose sequences and IBus input methods for typing reasons in any language.
    "platforminputcontexts": frozenset(
        {"composeplatforminputcontextplugin", "ibusplatforminputcontextplugin"}
    ),
    # PNG is built into QtGui; ICO for the Windows icon, SVG for themed icons, ICNS on macOS.
    "imageformats": frozenset({"qico", "qsvg", "qicns", "qjpeg"}),
    "iconengines": frozenset({"qsvgicon"}),
    # Tiny, and only loaded if something asks for an OpenGL surface on X11.
    "xcbglintegrations": frozenset({"qxcb-glx-integration", "qxcb-egl-integration"}),
    # Native Wayland: the xdg-shell protocol and client-side window decorations.
    "wayland-shell-integration": frozenset({"xdg-shell"}),
    "wayland-decoration-client": frozenset({"bradient", "adwaita"}),
    # Windows 11 / Vista styles on Windows, macOS style on macOS.
    "styles": frozenset({"qmodernwindowsstyle", "qwindowsvistastyle", "qmacstyle"}),
}
# Qt modules fpsdesk imports. Every other PySide6 module is excluded, which keeps its Python
# binding out; :func:`trim` removes the plugins, translations and libraries that the hooks
# still collect for them.
QT_USED = frozenset({"QtCore", "QtGui", "QtWidgets"})
QT_ALL = frozenset(
    {
        "Qt3DAnimation",
        "Qt3DCore",
        "Qt3DExtras",
        "Qt3DInput",
        "Qt3DLogic",
        "Qt3DRender",
        "QtAxContainer",
        "QtBluetooth",
        "QtCharts",
        "QtConcurrent",
        "QtDBus",
        "QtDataVisualization",
        "QtDesigner",
        "QtGraphs",
        "QtGraphsWidgets",
        "QtHelp",
        "QtHttpServer",
        "QtLabsStyleKit",
        "QtLocation",
        "QtMultimedia",
        "QtMultimediaWidgets",
        "QtNetwork",
        "QtNetworkAuth",
        "QtNfc",
        "QtOpenGL",
        "QtOpenGLWidgets",
        "QtPdf",
        "QtPdfWidgets",
        "QtPositioning",
        "QtPrintSupport",
        "QtQml",
        "QtQmlFeatures",
        "QtQuick",
        "QtQuick3D",
        "QtQuickControls2",
        "QtQuickTest",
        "QtQuickWidgets",
        "QtRemoteObjects",
        "QtScxml",
        "QtSensors",
        "QtSerialBus",
        "QtSerialPort",
        "QtSpatialAudio",
        "QtSql",
        "QtStateMachine",
        "QtSvg",
        "QtSvgWidgets",
        "QtTest",
        "QtTextToSpeech",
        "QtUiTools",
        "QtWebChannel",
        "QtWebEngineCore",
        "QtWebEngineQuick",
        "QtWebEngineWidgets",
        "QtWebSockets",
        "QtWebView",
        "QtXml",
    }
)
EXCLUDES: tuple[str, ...] = (
    *sorted(f"PySide6.{m}" for m in QT_ALL - QT_USED),
    # Never used at run time; some are importable here only because the build host has them.
    "tkinter",
    "unittest",
    "pydoc",
    "pydoc_data",
    "lib2to3",
    "idlelib",
    "ensurepip",
    "numpy",
    "PyQt5",
    "PyQt6",
    "PySide2",
    "pytest",
    "hypothesis",
    "pytestqt",
    "IPython",
    "setuptools",
    "pip",
    # psycopg's binary wheel brings its own libpq plus a second OpenSSL, Kerberos, LDAP and
    # SASL (10 MB on disk, 3.5 MB packed: over the bundle's budget). The packaged app uses
    # the system's libpq for a shared history instead (docs/packaging.md); a desk on a local
    # history never loads either.
    "psycopg_binary",
    # lxml parts fpsdesk never uses (it parses with lxml.etree only): ~4 MB.
    "lxml.objectify",
    "lxml.html",
    "lxml.isoschematron",
    "lxml.cssselect",
)
# Qt translations kept (language codes); fpsdesk's interface is English only.
KEEP_TRANSLATIONS: frozenset[str] = frozenset()

_PLUGIN_RE = re.compile(r"(?:^|/)PySide6/(?:Qt/)?plugins/(?P<cat>[^/]+)/(?P<file>[^/]+)$")
_TRANSLATION_RE = re.compile(r"(?:^|/)PySide6/(?:Qt/)?translations/(?P<file>[^/]+)$")
_LANG_RE = re.compile(r"_(?P<lang>[a-z]{2,3}(?:_[A-Z]{2})?)\.qm$")


def plugin_stem(filename: str) -> str:
    """``libqxcb.so`` / ``qxcb.dll`` / ``libqcocoa.dylib`` -> ``qxcb`` / ``qcocoa``."""
    stem = re.sub(r"\.(so|dll|dylib)(\.[0-9.]+)?$", "", filename)
    return stem[3:] if stem.startswith("lib") else stem


def rule_drops(dest: str) -> str | None:
    """Why the allow-lists drop this destination path, or None if they keep it."""
    dest = dest.replace("\\", "/")
    plugin = _PLUGIN_RE.search(dest)
    if plugin:
        cat, name = plugin["cat"], plugin_stem(plugin["file"])
        if cat not in KEEP_PLUGINS:
            return f"plugin category {cat}"
        if name not in KEEP_PLUGINS[cat]:
            return f"plugin {cat}/{name}"
        return None
    translation = _TRANSLATION_RE.search(dest)
    if translation:
        lang = _LANG_RE.search(translation["file"])
        if lang is None or lang["lang"].split("_")[0] not in KEEP_TRANSLATIONS:
            return "translation"
    return None


def elf_needed(path: str | Path) -> list[str]:
    """The ``DT_NEEDED`` sonames of an ELF shared object; [] for anything that is not ELF."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return []
    if data[:4] != b"\x7fELF" or len(data) < 64:
        return []
    is64 = data[4] == 2
    endian = "<" if data[5] == 1 else ">"
    try:
        if is64:
            (shoff,) = struct.unpack_from(endian + "Q", data, 0x28)
            shentsize, shnum = struct.unpack_from(endian + "HH", data, 0x3A)
        else:
            (shoff,) = struct.unpack_from(endian + "I", data, 0x20)
            shentsize, shnum = struct.unpack_from(endian + "HH", data, 0x2E)
        sections = []
        for i in range(shnum):
            base = shoff + i * shentsize
            if is64:
                _n, stype, _f, _a, off, size, link, _i, _al, entsize = struct.unpack_from(
                    endian + "IIQQQQIIQQ", data, base
                )
            else:
                _n, stype, _f, _a, off, size, link, _i, _al, entsize = struct.unpack_from(
                    endian + "IIIIIIIIII", data, base
                )
            sections.append((stype, off, size, link, entsize))
        needed: list[str] = []
        for stype, off, size, link, entsize in sections:
            if stype != 6 or not entsize:  # SHT_DYNAMIC
                continue
            strtab_off = sections[link][1]
            fmt = endian + ("qQ" if is64 else "iI")
            for pos in range(off, off + size, entsize):
                tag, value = struct.unpack_from(fmt, data, pos)
                if tag == 0:
                    break
                if tag == 1:  # DT_NEEDED
                    end = data.index(b"\0", strtab_off + value)
                    needed.append(data[strtab_off + value : end].decode("utf-8", "replace"))
        return needed
    except (struct.error, IndexError, ValueError):
        return []


@dataclass
class TrimReport:
    """What :func:`trim` removed, and why, for the build log."""

    dropped: list[tuple[str, str]] = field(default_factory=list)  # (dest, reason)

    def summary(self) -> str:
        reasons: dict[str, int] = {}
        for _dest, reason in self.dropped:
            key = {"plugin": "plugins", "orphan": "orphan libraries", "dangling": "symlinks"}.get(
                reason.split(" ")[0], reason + "s"
            )
            reasons[key] = reasons.get(key, 0) + 1
        parts = ", ".join(f"{n} {k}" for k, n in sorted(reasons.items()))
        return f"trimmed {len(self.dropped)} files ({parts})"


def _basename(dest: str) -> str:
    return PurePosixPath(dest.replace("\\", "/")).name


def trim(
    binaries: Sequence[Entry],
    datas: Sequence[Entry],
    *,
    needed: Callable[[str], list[str]] | None = None,
    extra_drop: Iterable[str] = (),
) -> tuple[list[Entry], list[Entry], TrimReport]:
    """Return ``(binaries, datas, report)`` with unused Qt files and orphaned libraries removed.

    ``needed`` maps a source path to its DT_NEEDED sonames (default: :func:`elf_needed`);
    ``extra_drop`` are basenames dropped outright (and then their orphans too).
    """
    needed_of = needed or elf_needed
    report = TrimReport()
    extra = set(extra_drop)
    dropped_roots: list[Entry] = []
    kept_bins: list[Entry] = []
    for entry in binaries:
        reason = rule_drops(entry[0]) or ("listed" if _basename(entry[0]) in extra else None)
        if reason:
            report.dropped.append((entry[0], reason))
            dropped_roots.append(entry)
        else:
            kept_bins.append(entry)
    kept_datas: list[Entry] = []
    for entry in datas:
        reason = rule_drops(entry[0])
        if reason:
            report.dropped.append((entry[0], reason))
        else:
            kept_datas.append(entry)

    by_name: dict[str, Entry] = {}
    for entry in binaries:
        if entry[2] != "SYMLINK":
            by_name.setdefault(_basename(entry[0]), entry)
    deps_cache: dict[str, list[str]] = {}

    def deps(entry: Entry) -> list[str]:
        if entry[1] not in deps_cache:
            deps_cache[entry[1]] = [n for n in needed_of(entry[1]) if n in by_name]
        return deps_cache[entry[1]]

    def closure(roots: Iterable[Entry]) -> set[str]:
        seen: set[str] = set()
        stack = [_basename(e[0]) for e in roots]
        while stack:
            name = stack.pop()
            if name in seen or name not in by_name:
                continue
            seen.add(name)
            stack.extend(deps(by_name[name]))
        return seen

    # Libraries reachable from what we dropped are candidates; keep those still reachable
    # from anything else we keep.
    candidates = closure(dropped_roots) - {_basename(e[0]) for e in dropped_roots}
    roots = [e for e in kept_bins if _basename(e[0]) not in candidates]
    still_needed = closure(roots)
    orphans = candidates - still_needed
    final_bins = []
    for entry in kept_bins:
        if _basename(entry[0]) in orphans and entry[2] != "SYMLINK":
            report.dropped.append((entry[0], "orphan library"))
        else:
            final_bins.append(entry)
    # PyInstaller 6 adds top-level SYMLINK entries pointing at libraries in PySide6/Qt/lib;
    # one whose target is gone would be left dangling.
    present = {_norm(e[0]) for e in (*final_bins, *kept_datas) if e[2] != "SYMLINK"}
    final_bins = _drop_dangling(final_bins, present, report)
    kept_datas = _drop_dangling(kept_datas, present, report)
    return final_bins, kept_datas, report


def _norm(dest: str) -> str:
    return posixpath.normpath(dest.replace("\\", "/"))


def _drop_dangling(entries: list[Entry], present: set[str], report: TrimReport) -> list[Entry]:
    kept = []
    for entry in entries:
        if entry[2] == "SYMLINK":
            target = _norm(posixpath.join(posixpath.dirname(_norm(entry[0])), entry[1]))
            if target not in present:
                report.dropped.append((entry[0], "dangling symlink"))
                continue
        kept.append(entry)
    return kept
