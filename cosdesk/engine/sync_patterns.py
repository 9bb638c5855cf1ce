"""Which files of a folder a sync or a watched folder takes: gitignore patterns
from ``--exclude``/``--include`` and the folder's ``.cosignore``.

The rule, said once (ARCHITECTURE.md, "Sync patterns"): a path relative to the
folder, with "/" separators, is taken when it matches an include pattern (or no
include pattern was given) and no exclude pattern excludes it. Exclude patterns
are the lines of ``.cosignore`` followed by each ``--exclude``; as in
``.gitignore``, a later ``!pattern`` takes a path back. ``.cosignore`` itself is
the folder's settings, not content, and is never taken."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from cosdesk.engine.message_templates import QT_TRANSLATE_NOOP, MessageTemplate

IGNORE_FILE_NAME = ".cosignore"


class PatternError(ValueError):
    """A pattern that gitignore syntax cannot read; the message names it."""


class PatternProblem(MessageTemplate):
    """What is wrong with a pattern, in our words (pathspec's own are English
    only); shown translated by the window (see message_templates)."""

    OPEN_SET = QT_TRANSLATE_NOOP(
        "PatternProblem",
        "Invalid git pattern: '{pattern}' has a '[' without its ']' (write '\\[' for the character)",
    )


@dataclass(frozen=True)
class SyncPatterns:
    """The include and exclude patterns of one folder, compiled once."""

    excludes: tuple[str, ...] = ()
    includes: tuple[str, ...] = ()
    _exclude_spec: pathspec.GitIgnoreSpec = field(init=False, repr=False, compare=False)
    _include_spec: pathspec.GitIgnoreSpec | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_exclude_spec", _compiled(self.excludes))
        object.__setattr__(self, "_include_spec", _compiled(self.includes) if self.includes else None)

    @classmethod
    def for_folder(
        cls, folder: Path, *, excludes: Sequence[str] = (), includes: Sequence[str] = ()
    ) -> SyncPatterns:
        """The folder's ``.cosignore`` lines (if it has one) then ``excludes``.
        Raises PatternError for a pattern gitignore syntax cannot read, and
        OSError if ``.cosignore`` exists but cannot be read."""
        ignore_file = folder / IGNORE_FILE_NAME
        from_file = ignore_file.read_text(encoding="utf-8").splitlines() if ignore_file.is_file() else []
        return cls(excludes=(*from_file, *excludes), includes=tuple(includes))

    def takes(self, relative_path: str) -> bool:
        """Whether the file at ``relative_path`` ("a/b.txt") is synced."""
        if relative_path == IGNORE_FILE_NAME:
            return False
        if self._include_spec is not None and not self._include_spec.match_file(relative_path):
            return False
        return not self._exclude_spec.match_file(relative_path)

    def skips_folder(self, relative_folder: str) -> bool:
        """Whether the walk need not enter ``relative_folder`` ("a/build"): an
        exclude pattern takes the folder itself. As in git, a file inside an
        excluded folder cannot be taken back by a later ``!pattern``."""
        return self._exclude_spec.match_file(relative_folder.rstrip("/") + "/")

    def taken(self, relative_paths: Iterable[str]) -> list[str]:
        return [path for path in relative_paths if self.takes(path)]


def _compiled(lines: Sequence[str]) -> pathspec.GitIgnoreSpec:
    for line in lines:
        if _unclosed_bracket(line):
            # pathspec reads it as the character itself, git's matching as a pattern
            # that matches nothing: either way not what was meant, and silent.
            raise PatternError(PatternProblem.OPEN_SET.text(pattern=line))
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except ValueError as error:  # pathspec names the pattern: "Invalid git pattern: '!'"
        raise PatternError(str(error)) from None


def _unclosed_bracket(pattern: str) -> bool:
    """Whether ``pattern`` opens a ``[...]`` set it never closes. A backslash
    escapes the next character; a ``]`` right after ``[`` (or ``[!``) is a
    member of the set, as in glob."""
    index, end = 0, len(pattern)
    while index < end:
        if pattern[index] == "\\":
            index += 2
        elif pattern[index] == "[":
            index += 1
            if index < end and pattern[index] in "!^":
                index += 1
            if index < end and pattern[index] == "]":
                index += 1
            while index < end and pattern[index] != "]":
                index += 2 if pattern[index] == "\\" else 1
            if index >= end:
                return True
            index += 1
        else:
            index += 1
    return False
