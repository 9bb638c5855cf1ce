"""The ``cosdesk`` command: ``gui`` (the default), ``serve``, ``upload`` and ``tasks``.

Each subcommand lives in the module that owns it, which provides
``add_arguments(parser)`` and ``run(args) -> int``; the heavy imports (Qt, the
server) happen only for the subcommand that is asked for.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from cosdesk import __version__
from cosdesk.logs import LOG_DIR_ENV, LOG_FILE_NAME, SANDBOX_LOG_FILE_NAME, log_dir, setup_logging

# Modules that libraries cosdesk uses import only when they are installed, and
# that cosdesk never needs: httpx's own command-line client (click, rich and
# pygments, about 40 ms of every start where they are installed). Marked absent,
# they raise ImportError, which httpx expects of them.
UNUSED_OPTIONAL_MODULES = ("httpx._main",)

# subcommand -> (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "gui": ("cosdesk.ui.app", "open the upload window (the default), or hand files to the open one"),
    "serve": ("cosdesk.sandbox.cli", "run the local COS-compatible server"),
    "upload": ("cosdesk.upload_cli", "upload files and folders without the window"),
    "tasks": ("cosdesk.tasks_cli", "list, resume, pause, cancel or clear the persisted queue"),
}


def _chosen_command(argv: Sequence[str]) -> str:
    """The subcommand named on the command line; ``gui`` when none is."""
    for word in argv:
        if word in SUBCOMMANDS:
            return word
        if not word.startswith("-"):
            break
    return "gui"


def build_parser(command: str) -> argparse.ArgumentParser:
    """The parser, with the options of ``command`` only: importing every
    subcommand's module would load Qt widgets just to run ``serve``."""
    folder = log_dir()
    parser = argparse.ArgumentParser(
        prog="cosdesk",
        description="Upload files to Tencent Cloud Object Storage (COS), visibly and resumably.",
        epilog=(
            f"Logs: {folder / LOG_FILE_NAME} (the window and the command line) and "
            f"{folder / SANDBOX_LOG_FILE_NAME} (the local sandbox server the window starts); "
            f"{LOG_DIR_ENV} moves the folder."
        ),
    )
    parser.add_argument("--version", action="version", version=f"cosdesk {__version__}")
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help=f"log debug details to stderr and to the log file ({folder / LOG_FILE_NAME})",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(module=module_name)
        if name == command:
            importlib.import_module(module_name).add_arguments(sub)
    return parser


def skip_unused_optional_modules() -> None:
    """Mark :data:`UNUSED_OPTIONAL_MODULES` absent, unless something imported one
    already."""
    for name in UNUSED_OPTIONAL_MODULES:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> int:
    skip_unused_optional_modules()
    words = list(sys.argv[1:] if argv is None else argv)
    command = _chosen_command(words)
    parser = build_parser(command)
    if command not in words:
        words = [*words, command] if all(w.startswith("-") for w in words) else words
    args = parser.parse_args(words)
    setup_logging(args.verbose)
    module = importlib.import_module(args.module)
    try:
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        print("cosdesk: interrupted", file=sys.stderr)
        return 130
