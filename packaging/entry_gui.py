"""Entry point of the bundle's ``cosdesk-gui`` executable: ``cosdesk gui`` without
a console window on Windows, and the executable of the macOS .app.

The desktop file launches it as ``cosdesk-gui %U``: a file manager may pass the
files dropped on the launcher, which ``cosdesk gui`` does not take (yet), so they
are logged and left out rather than failing where no one sees the error.

Hidden hook for packaging/smoke_test.py until ``cosdesk gui`` has its own way to
quit by itself: with ``COSDESK_GUI_QUIT_AFTER_S=N`` the window opens as usual and
the app quits after N seconds, through the same path as the Quit action.
"""

from __future__ import annotations

import logging
import os
import sys

# Options of the top-level parser go before the subcommand, the others after it.
GLOBAL_OPTIONS = {"-v", "--verbose", "--version"}
OPTIONS_WITH_VALUE = {"--db"}


def gui_command_line(words: list[str]) -> tuple[list[str], list[str]]:
    """(``cosdesk`` arguments that open the window with ``words``' options, the
    files or URLs left out)."""
    before: list[str] = []
    after: list[str] = []
    left_out: list[str] = []
    expect_value = False
    for word in words:
        if expect_value:
            after.append(word)
            expect_value = False
        elif word in GLOBAL_OPTIONS:
            before.append(word)
        elif word.startswith("-"):
            after.append(word)
            expect_value = word in OPTIONS_WITH_VALUE
        else:
            left_out.append(word)
    return [*before, "gui", *after], left_out


def _quit_after(seconds: float) -> None:
    """Create the QApplication now (``cosdesk gui`` reuses it) and schedule its quit,
    logging which windows were visible then, so the smoke test can tell that the
    main window really opened."""
    from PySide6.QtCore import QTimer

    from cosdesk.ui.app import create_application

    app = create_application()

    def quit_now() -> None:
        visible = sorted(type(widget).__name__ for widget in app.topLevelWidgets() if widget.isVisible())
        logging.getLogger("cosdesk.smoke").info(
            "quitting after %s s as asked; visible windows: %s", seconds, ", ".join(visible) or "none"
        )
        app.quit()

    QTimer.singleShot(int(seconds * 1000), quit_now)


if __name__ == "__main__":
    from cosdesk.cli import main
    from cosdesk.logs import setup_logging

    arguments, left_out = gui_command_line(sys.argv[1:])
    if left_out:
        # main() sets logging up again (it replaces these handlers): this is only
        # so that the note reaches the log file.
        setup_logging(verbose=any(word in ("-v", "--verbose") for word in arguments))
        logging.getLogger("cosdesk").warning(
            "opening files from the launcher is not supported yet; ignored %d argument(s)", len(left_out)
        )
    quit_after = os.environ.get("COSDESK_GUI_QUIT_AFTER_S")
    if quit_after:
        _quit_after(float(quit_after))
    raise SystemExit(main(arguments))
