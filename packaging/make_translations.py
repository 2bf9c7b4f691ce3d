"""Build the English plural forms the app loads at start (resources/translations/fpsdesk_en.qm).

The UI writes counts with Qt's plural forms: ``self.tr("{n} notification(s)", "", n)``. Qt picks
a form by ``n`` from the loaded translation; with none loaded the source text shows as it is,
"(s)" and all. This dev-time tool extracts every such string with ``pyside6-lupdate``, writes
the two English forms of each ("{n} notification" and "{n} notifications": the "(s)" dropped,
then made an "s"), and compiles them with ``pyside6-lrelease``. Run it when a plural string
changes; its output is committed, so neither a build nor the app needs Qt's tools.

    python3 packaging/make_translations.py           # regenerate resources/translations/*
    python3 packaging/make_translations.py --check   # fail if a plural string is missing
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "resources" / "translations"
TS = OUT / "fpsdesk_en.ts"
QM = OUT / "fpsdesk_en.qm"
PLURAL = re.compile(r"\((e?s)\)")


def english_forms(source: str) -> tuple[str, str]:
    """("{n} line", "{n} lines") from "{n} line(s)"; "match(es)" gives "match", "matches"."""
    return PLURAL.sub("", source), PLURAL.sub(r"\1", source)


def _tool(name: str) -> str:
    found = shutil.which(f"pyside6-{name}") or shutil.which(
        f"pyside6-{name}", path=str(Path(sys.executable).parent)
    )
    if not found:
        raise SystemExit(f"pyside6-{name} not found (it comes with PySide6)")
    return found


def extract(ts: Path) -> None:
    sources = sorted(str(p) for p in (ROOT / "fpsdesk" / "ui").glob("*.py"))
    subprocess.run(
        [
            _tool("lupdate"),
            *sources,
            "-target-language",
            "en",
            "-locations",
            "none",
            "-ts",
            str(ts),
        ],
        check=True,
        capture_output=True,
    )


def fill(ts: Path) -> int:
    """Keep only the plural messages, with their English forms; return how many."""
    tree = etree.parse(str(ts))
    count = 0
    for context in tree.getroot().findall("context"):
        for message in context.findall("message"):
            if message.get("numerus") != "yes":
                context.remove(message)
                continue
            source = message.findtext("source") or ""
            translation = message.find("translation")
            assert translation is not None
            translation.attrib.pop("type", None)
            for child in list(translation):
                translation.remove(child)
            for form in english_forms(source):
                etree.SubElement(translation, "numerusform").text = form
            count += 1
        if not context.findall("message"):
            tree.getroot().remove(context)
    tree.write(str(ts), encoding="utf-8", xml_declaration=True, doctype="<!DOCTYPE TS>")
    return count


def build(ts: Path, qm: Path) -> None:
    subprocess.run([_tool("lrelease"), str(ts), "-qm", str(qm)], check=True, capture_output=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed files")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        ts = Path(tmp) / TS.name
        extract(ts)
        count = fill(ts)
        if args.check:
            if not TS.is_file() or TS.read_bytes() != ts.read_bytes():
                print(f"{TS} is out of date: run python3 packaging/make_translations.py")
                return 1
            print(f"{count} plural strings, all translated")
            return 0
        OUT.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ts, TS)
        build(TS, QM)
    print(f"{count} plural strings -> {QM.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
