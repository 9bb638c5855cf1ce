"""The ``cosdesk`` command: ``gui`` (the default), ``serve``, ``upload``, ``sync`` and ``tasks``.

Each subcommand lives in the module that owns it, which provides
``add_arguments(parser)`` and ``run(args) -> int``; the heavy imports (Qt, the
server) happen only for the subcommand that is asked for.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from cosdesk import __version__
from cosdesk.cli_pipe import silence
from cosdesk.logs import LOG_DIR_ENV, LOG_FILE_NAME, SANDBOX_LOG_FILE_NAME, log_dir, setup_logging

# Modules that libraries cosdesk uses import only when they are installed, and
# that cosdesk never needs: httpx's own command-line client (click, rich and
# pygments, about 40 ms of every start where they are installed). Marked absent,
# they raise ImportError, which httpx expects of them.
UNUSED_OPTIONAL_MODULES = ("httpx._main",)

# Commands that end by themselves once their work is done. Run as the program
# (``main()`` without arguments), they end the process as soon as their output is
# flushed: the interpreter's teardown of Qt and every module cost about 40 ms of
# CPU per run, a tenth of a short ``cosdesk upload``. Their database and network
# work is closed by then; the window and the server keep the ordinary exit.
ENDS_AT_ONCE = frozenset({"upload", "sync", "tasks"})

# subcommand -> (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "gui": ("cosdesk.ui.app", "open the upload window (the default), or hand files to the open one"),
    "serve": ("cosdesk.sandbox.cli", "run the local COS-compatible server"),
    "upload": ("cosdesk.upload_cli", "upload files and folders without the window"),
    "sync": ("cosdesk.sync_cli", "upload what changed in a folder (and, with --delete, delete what it lost)"),
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


def _with_window_command(words: list[str]) -> list[str]:
    """``words`` that name no command, with ``gui`` put where it goes: ``cosdesk``
    and ``cosdesk -v`` open the window, and ``cosdesk FILE…`` hands it files as
    ``cosdesk gui FILE…`` does, when the first is a file, a folder or a file://
    URL (a mistyped command stays an error that lists the commands)."""
    first = next((index for index, word in enumerate(words) if not word.startswith("-")), None)
    if first is None:
        return [*words, "gui"]
    if words[first].startswith("file://") or os.path.exists(words[first]):
        return [*words[:first], "gui", *words[first:]]
    return words


class _CommandParser(argparse.ArgumentParser):
    """A command's parser, whose options may come between its positional
    arguments, as cp's and rclone's do: ``cosdesk upload a.txt --db T b.txt
    cos://bucket/`` or ``cosdesk tasks pause --db T 01a2``. argparse's own
    parsing takes a list of positionals (``SRC…``, ``TASK…``) only in one piece,
    and said "unrecognized arguments" of the rest."""

    _parsing = False

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        # The intermixed parse calls this method itself, for each of its passes. It
        # loses a "--" (``-- -file.txt`` read "-file.txt" as an option): after one,
        # the plain parse, which takes what follows as positionals.
        if self._parsing or (args is not None and "--" in args):
            return super().parse_known_args(args, namespace)
        self._parsing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._parsing = False


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
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_CommandParser)
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
    """Run the command ``argv`` (default: this program's arguments) and return its
    exit status. Without ``argv`` this is the program itself, and a command of
    :data:`ENDS_AT_ONCE` ends the process instead of returning."""
    skip_unused_optional_modules()
    words = list(sys.argv[1:] if argv is None else argv)
    command = _chosen_command(words)
    parser = build_parser(command)
    if command not in words:
        words = _with_window_command(words)
    args = parser.parse_args(words)
    setup_logging(args.verbose)
    module = importlib.import_module(args.module)
    try:
        status = int(module.run(args) or 0)
    except KeyboardInterrupt:
        print("cosdesk: interrupted", file=sys.stderr)
        status = 130
    except BrokenPipeError:
        # The reader of our output went away (``cosdesk tasks list | head``): end
        # as a tool killed by SIGPIPE does (see cli_pipe.py).
        silence(sys.stdout)
        status = 128 + 13  # SIGPIPE
    if argv is None and args.command in ENDS_AT_ONCE:
        exit_at_once(status)
    return status


def exit_at_once(status: int) -> NoReturn:
    """End the process with ``status`` after flushing the log and the standard
    streams, without the interpreter's teardown."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        # A reader that went away (``| head``) must not turn the status into an error.
        with contextlib.suppress(Exception):
            if stream is not None:
                stream.flush()
    os._exit(status)
