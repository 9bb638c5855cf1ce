"""Refresh the window's translations and compile them.

    .venv/bin/python packaging/build_translations.py            # lupdate, then lrelease
    .venv/bin/python packaging/build_translations.py --release  # lrelease only

1. ``pyside6-lupdate`` reads every ``self.tr()`` / ``QCoreApplication.translate()`` /
   ``QT_TRANSLATE_NOOP`` in ``cosdesk/ui`` and merges the strings into
   ``resources/translations/cosdesk_<lang>.ts``: new ones arrive ``unfinished``,
   ones no longer in the code are dropped. Translate them (Qt Linguist:
   ``.venv/bin/pyside6-linguist resources/translations/cosdesk_zh_CN.ts``).
2. ``pyside6-lrelease`` compiles each .ts into the .qm the app loads at run time.

English needs a catalog too, for its plurals only (``-pluralonly``): the sources
say "%n file(s)", cosdesk_en.ts says "1 file" / "%n files".

Commit both files; tests/unit/test_translations.py fails when a string of the UI
has no finished translation or the .qm is older than its .ts.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UI_SOURCES = ROOT / "cosdesk" / "ui"
TRANSLATIONS = ROOT / "resources" / "translations"
LANGUAGES = ("zh_CN", "en")
SOURCE_LANGUAGE = "en"


def qt_tool(name: str) -> str:
    """A PySide6 tool next to this Python (the venv's bin), else on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} not found: install PySide6 (it ships the Qt translation tools)")
    return found


# Outside cosdesk/ui, the modules of the engine's texts the window shows
# translated (see cosdesk/engine/message_templates.py).
ENGINE_TEXTS = [
    ROOT / "cosdesk" / "engine" / name for name in ("notes.py", "scan.py", "sync_patterns.py", "sync_plan.py")
]


def ui_sources() -> list[str]:
    # lupdate scans directories only for C++/QML extensions: name the .py files.
    return [str(path) for path in [*sorted(UI_SOURCES.glob("*.py")), *ENGINE_TEXTS]]


def ts_path(language: str) -> Path:
    return TRANSLATIONS / f"cosdesk_{language}.ts"


def qm_path(language: str) -> Path:
    return TRANSLATIONS / f"cosdesk_{language}.qm"


def update(ts_file: Path, language: str) -> None:
    """Merge the strings of the current sources into ``ts_file`` (created if missing)."""
    ts_file.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            qt_tool("pyside6-lupdate"),
            *ui_sources(),
            "-target-language",
            language,
            "-source-language",
            "en",
            # Line numbers would change the file on every edit of the UI.
            "-locations",
            "none",
            "-no-obsolete",
            # The source language needs only the plural forms of its own messages.
            *(["-pluralonly"] if language == SOURCE_LANGUAGE else []),
            "-silent",
            "-ts",
            str(ts_file),
        ],
        check=True,
    )


def release(ts_file: Path, qm_file: Path) -> None:
    qm_file.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [qt_tool("pyside6-lrelease"), "-silent", str(ts_file), "-qm", str(qm_file)],
        check=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", action="store_true", help="only compile the .ts files (no lupdate)")
    args = parser.parse_args(argv)
    for language in LANGUAGES:
        if not args.release:
            update(ts_path(language), language)
        release(ts_path(language), qm_path(language))
        print(f"{qm_path(language).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
