"""``cosdesk gui``: the QApplication and the main window."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from cosdesk import __version__
from cosdesk.ui.interpreter import tune_interpreter_for_gui

if TYPE_CHECKING:  # imported when the window opens, not to parse arguments
    from cosdesk.ui.main_window import MainWindow


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="also start the local sandbox server (it starts by itself when no account exists)",
    )
    parser.add_argument(
        "--db", type=Path, default=None, help="the task database (default: the app's data folder)"
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="FILE",
        help="files, folders or file:// URLs to upload to the current destination (as if dropped)",
    )


def local_paths(words: list[str]) -> list[str]:
    """Command-line words as local paths: ``file://`` URLs (what a desktop file's
    %U passes) decoded, plain paths made absolute."""
    from PySide6.QtCore import QUrl

    paths = []
    for word in words:
        url = QUrl(word)
        if url.isLocalFile():
            paths.append(url.toLocalFile())
        elif "://" not in word:
            paths.append(os.path.abspath(word))
    return paths


def create_application(argv: list[str] | None = None):  # type: ignore[no-untyped-def]
    """The QApplication (or the existing one), named so QSettings and the desktop
    recognise it."""
    from PySide6.QtWidgets import QApplication

    from cosdesk.ui.icons import icon

    tune_interpreter_for_gui()
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        app = existing
    else:
        app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("cosdesk")
    app.setApplicationDisplayName("cosdesk")
    app.setOrganizationName("cosdesk")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("io.github.cosdesk.Cosdesk")  # the .desktop file's id
    app.setWindowIcon(icon("cosdesk"))
    # The window hides to the tray on request; closing the last window must not
    # quit while uploads continue there.
    app.setQuitOnLastWindowClosed(False)
    return app


def configured_language() -> str:
    """``Settings.language`` ("" — the system's — when the settings cannot be read:
    the window says what is wrong with them once it is up)."""
    from cosdesk import config

    try:
        return config.load_settings().language
    except config.ConfigError:
        return ""


def open_window(args: argparse.Namespace) -> MainWindow | None:
    """The main window, or None after telling the user (in a dialog) why the task
    database cannot be opened."""
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QMessageBox

    from cosdesk.engine.store import StoreError
    from cosdesk.ui.main_window import MainWindow

    try:
        return MainWindow(db_path=args.db, start_sandbox=True if args.sandbox else None)
    except StoreError as error:
        box = QMessageBox(
            QMessageBox.Icon.Critical,
            QCoreApplication.translate("app", "cosdesk cannot start"),
            QCoreApplication.translate("app", "cosdesk cannot open its list of uploads."),
        )
        reason = str(error)
        box.setInformativeText(
            f"{reason[:1].upper()}{reason[1:]}\n\n"
            + QCoreApplication.translate(
                "app",
                "Make sure the folder can be written to. If the file is damaged, move it away: "
                "cosdesk then starts with an empty list. To use another file, start cosdesk with --db FILE.",
            )
        )
        box.exec()
        return None


def run(args: argparse.Namespace) -> int:
    from PySide6.QtWidgets import QApplication

    from cosdesk.ui.languages import install_translators

    app = create_application()
    assert isinstance(app, QApplication)
    # Before the window exists: its texts are translated as it builds them.
    install_translators(app, configured_language())
    window = open_window(args)
    if window is None:
        return 1
    window.add_paths_when_ready(local_paths(getattr(args, "paths", None) or []))
    # Quit when the window really closes (not when it hides to the tray).
    window.quit_app_on_close = True
    window.show()
    try:
        return app.exec()
    finally:
        window.shutdown()
