"""Entry point of the bundle's ``cosdesk`` executable (console): the same command
as the ``cosdesk`` script pip installs.

Hidden check for packaging/smoke_test.py, since a bundle can miss a module or a
Qt plugin that a checkout has: ``COSDESK_BUNDLE_SELFTEST=1 cosdesk`` imports every
subcommand's module, draws the app icon through Qt's SVG plugin and loads the
translations (ours and Qt's Chinese ones), then exits 0, or 1 with what is missing.
"""

from __future__ import annotations

import os
import sys


def _selftest() -> int:
    import importlib

    from cosdesk.cli import SUBCOMMANDS

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    for module_name, _help in SUBCOMMANDS.values():
        importlib.import_module(module_name)
    from PySide6.QtCore import QLibraryInfo, QTranslator
    from PySide6.QtGui import QImageReader
    from PySide6.QtWidgets import QApplication

    from cosdesk.ui.icons import icon, resources_dir

    app = QApplication.instance() or QApplication(sys.argv[:1])
    problems = []
    if b"svg" not in [bytes(f.data()) for f in QImageReader.supportedImageFormats()]:
        problems.append("Qt's SVG image plugin is missing")
    if icon("cosdesk").pixmap(64, 64).isNull():
        problems.append(f"the app icon does not render from {resources_dir()}")
    for catalog in sorted((resources_dir() / "translations").glob("*.qm")):
        if not QTranslator().load(str(catalog)):
            problems.append(f"the translation {catalog.name} does not load")
    qt_translations = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if not QTranslator().load("qtbase_zh_CN", qt_translations):
        problems.append(f"Qt's own Chinese translation is missing from {qt_translations}")
    app.quit()
    for problem in problems:
        print(f"cosdesk self-test: {problem}", file=sys.stderr)
    print("cosdesk self-test: " + ("FAILED" if problems else "ok"))
    return 1 if problems else 0


if __name__ == "__main__":
    if os.environ.get("COSDESK_BUNDLE_SELFTEST") == "1":
        raise SystemExit(_selftest())
    from cosdesk.cli import main

    raise SystemExit(main())
