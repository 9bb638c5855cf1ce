"""``cosdesk gui``: the QApplication and the main window."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cosdesk import __version__
from cosdesk.cli_output import counted

if TYPE_CHECKING:  # imported when the window opens, not to parse arguments
    from PySide6.QtWidgets import QWidget

    from cosdesk.ui.main_window import MainWindow
    from cosdesk.ui.single_instance import HandOver, InstanceServer

log = logging.getLogger(__name__)


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
        help=(
            "files, folders or file:// URLs to upload to the current destination (as if dropped); "
            "when a window already runs on the same task database, they are handed to it"
        ),
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


def database_path(args: argparse.Namespace) -> Path:
    """The task database the window works on: ``--db``, else the data folder's."""
    from cosdesk import config

    return args.db if args.db is not None else config.data_dir() / "tasks.sqlite3"


def open_window(args: argparse.Namespace) -> MainWindow | None:
    """The main window over the services ``args`` ask for, or None after telling the
    user (in a dialog) why the task database cannot be opened."""
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QMessageBox

    from cosdesk.engine.store import StoreError
    from cosdesk.ui.main_window import MainWindow
    from cosdesk.ui.message_boxes import message_box
    from cosdesk.ui.session import open_session

    try:
        session = open_session(database_path(args), start_sandbox=True if args.sandbox else None)
    except StoreError as error:
        # Titled with the app's name alone (the platform appends it to any other
        # title); the text says what went wrong.
        box = message_box(
            None,
            QMessageBox.Icon.Critical,
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
    return MainWindow(session)


def report_hand_over(outcome: HandOver, count: int) -> int:
    """Say what became of handing ``count`` items to the running window; the exit status."""
    from cosdesk.ui.single_instance import HandOver

    if outcome is HandOver.DONE:
        if count:
            print(f"cosdesk is already running: handed it {counted(count, 'item')} to upload.")
        else:
            print("cosdesk is already running: brought its window to the front.")
        return 0
    print(
        "cosdesk: a cosdesk window is running on this task database but did not answer; "
        "try again, or close that window first.",
        file=sys.stderr,
    )
    return 1


def bring_to_front(window: QWidget) -> None:
    """Show ``window`` (from the tray, from minimised) above the others. A window
    manager may refuse to activate it for another program's launch: it then at
    least marks the window as wanting attention."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    if window.isMinimized():
        window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMinimized)
    window.show()
    window.raise_()
    window.activateWindow()
    QApplication.alert(window)


@dataclass
class RunningWindow:
    """The window of this launch and the socket later launches reach it through."""

    window: MainWindow
    server: InstanceServer

    def close(self) -> None:
        self.server.close()
        self.window.shutdown()


def start_window(args: argparse.Namespace) -> RunningWindow | int:
    """Open, show and serve the one window of ``args``'s task database, and queue
    the command line's paths in it. An exit status instead when a window that
    started meanwhile took the paths, or when the database cannot be opened."""
    from cosdesk.ui.single_instance import HandOver, InstanceServer, hand_over, server_name

    paths = local_paths(getattr(args, "paths", None) or [])
    server = InstanceServer(server_name(database_path(args)))
    if not server.listen():
        outcome = hand_over(server.name, paths)
        if outcome is not HandOver.NO_WINDOW:
            return report_hand_over(outcome, len(paths))
        log.warning("this window cannot be reached by later launches (%s)", server.name)
    window = open_window(args)
    if window is None:
        server.close()
        return 1

    def take(handed: list[str]) -> None:
        bring_to_front(window)
        window.add_paths_when_ready(handed)

    server.serve(take)
    log.info("window open; later launches hand their files to it through %s", server.name)
    # Shown before anything is queued: a message about the paths (no destination
    # yet, unreadable files) must open above the window, not under it.
    window.show()
    window.add_paths_when_ready(paths)
    return RunningWindow(window, server)


def run(args: argparse.Namespace) -> int:
    from cosdesk.engine.qt_loading import load_qt_core

    load_qt_core()  # first: every module imported after Qt is then loaded as usual
    # A window already runs on this database: hand it the paths, before loading
    # any widget or opening the database a second time.
    from cosdesk.ui.single_instance import HandOver, hand_over, server_name

    paths = local_paths(getattr(args, "paths", None) or [])
    outcome = hand_over(server_name(database_path(args)), paths)
    if outcome is not HandOver.NO_WINDOW:
        return report_hand_over(outcome, len(paths))
    # The task table's read of the database runs while Qt and the window load.
    from cosdesk.engine.task_table_source import read_early

    read_early(database_path(args))

    from PySide6.QtWidgets import QApplication

    from cosdesk.ui.languages import install_translators

    app = create_application()
    assert isinstance(app, QApplication)
    # Before the window exists: its texts are translated as it builds them.
    install_translators(app, configured_language())
    started = start_window(args)
    if isinstance(started, int):
        return started
    # Quit when the window really closes (not when it hides to the tray).
    started.window.quit_app_on_close = True
    try:
        return app.exec()
    finally:
        started.close()
