"""Text the command line prints about things it did not write itself: file
names, object keys and messages that contain them.

A file name may hold any byte but ``/`` and NUL: a newline would split a row of
``tasks list`` in two, a carriage return would overwrite the start of the line,
and an escape sequence would reach the terminal and act (change colours, move
the cursor, set the window title). :func:`printable` writes such characters as
visible escapes, the way Python's ``repr`` does, so one name is one piece of
one line and reads the same everywhere.
"""

from __future__ import annotations

import unicodedata

from cosdesk.engine.meter import below_a_tenth, format_duration

# Characters that change how the text around them is shown (bidirectional
# overrides and isolates): "gpj.exe" can be made to read "exe.jpg".
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_SHORT_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char: str) -> str:
    short = _SHORT_ESCAPES.get(char)
    if short is not None:
        return short
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:
        # A byte of a name that is not UTF-8 (os.fsdecode's surrogateescape).
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _needs_escape(char: str) -> bool:
    if char in _SHORT_ESCAPES or char in _BIDI_CONTROLS:
        return True
    # Cc: C0 and C1 controls (ESC, BEL, DEL, CSI...); Zl/Zp: line and paragraph
    # separators; Cs: lone surrogates, which a UTF-8 terminal cannot even be sent.
    return unicodedata.category(char) in ("Cc", "Zl", "Zp", "Cs")


def printable(text: str) -> str:
    """``text`` with control characters, line breaks, bidirectional controls,
    undecodable bytes and backslashes written as escapes (``\\n``, ``\\x1b``,
    ``\\u202e``, ``\\xe9``, ``\\\\``); everything else, any script, unchanged."""
    if text.isprintable() and "\\" not in text:
        return text  # the usual case, checked at C speed
    return "".join(_escape(char) if _needs_escape(char) else char for char in text)


def counted(count: int, word: str, words: str | None = None) -> str:
    """``1 task``, ``2 tasks``; ``words`` when the plural is not ``word`` + s."""
    return f"{count} {word if count == 1 else words or word + 's'}"


def format_elapsed(seconds: float) -> str:
    """``under 0.1 s``, ``0.4 s``, ``12.3 s``, ``2:03``, ``1:02:03``: how long a run took."""
    if below_a_tenth(seconds):
        return "under 0.1 s"
    # Under a minute the tenths matter (a 3 s run is not "0:03" long).
    return f"{seconds:.1f} s" if seconds < 60 else format_duration(seconds)
