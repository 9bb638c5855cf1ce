"""When the reader of the command line's output goes away (``cosdesk … | head``):
no traceback, and nothing more written into the closed pipe.

A command whose work is its output (``tasks list``) then ends as a tool killed by
SIGPIPE does (``cli.main``). An upload or a sync goes on to its end through a
:class:`ReaderSafeOut`, which stops writing: the files were what was asked for,
not the lines about them.
"""

from __future__ import annotations

import contextlib
import os
from typing import Protocol, TextIO


class TextOut(Protocol):
    """What the progress display writes to: a text stream, or a ReaderSafeOut."""

    def write(self, text: str, /) -> int: ...

    def flush(self) -> None: ...

    def isatty(self) -> bool: ...


def silence(stream: TextIO) -> None:
    """Point ``stream``'s file at /dev/null: what it still holds, and all that
    follows, goes nowhere instead of raising BrokenPipeError again (at exit too)."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)


class ReaderSafeOut:
    """A text stream that quietly stops writing once its reader went away."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.reader_gone = False

    def isatty(self) -> bool:
        return self._stream.isatty()

    def write(self, text: str) -> int:
        if not self.reader_gone:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._gone()
        return len(text)

    def flush(self) -> None:
        if not self.reader_gone:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._gone()

    def _gone(self) -> None:
        self.reader_gone = True
        silence(self._stream)
