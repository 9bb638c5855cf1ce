"""The files of a folder a sync takes: a walk that applies the folder's
:class:`SyncPatterns` as it goes and never enters a folder they exclude.

Like ``engine/scan.py``'s walk, it follows links to folders into the folders
``FolderVisits`` lets a walk enter, and reports (never raises on) what it cannot
read, special files and names that cannot be COS keys. The links it does not
follow are kept apart from those problems: nothing of the folder is missing
behind them (a loop leads to a folder already walked, a link up to one that
holds it), so they neither hold back a sync's deletes nor fail it.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from typing import NamedTuple

from cosdesk.engine.scan import FolderVisits, ScanProblem
from cosdesk.engine.sync_patterns import SyncPatterns


class LocalFile(NamedTuple):
    """One file the sync takes; ``relative_path`` is ``/``-separated, relative to
    the synced folder. A tuple of plain values: a walk holds 100,000 of them."""

    relative_path: str
    path: str
    size: int
    mtime_ns: int


@dataclass
class FolderContents:
    """What a walk found: the files taken (in name order, folder by folder), how
    many files and folders the patterns left out (an excluded folder counts once,
    unwalked), the problems met (what could not be read or taken) and the links
    to folders not followed, each as (path, reason)."""

    files: list[LocalFile] = field(default_factory=list)
    excluded_files: int = 0
    excluded_folders: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)
    not_followed: list[tuple[str, str]] = field(default_factory=list)


def walk_folder(root: str | os.PathLike[str], patterns: SyncPatterns) -> FolderContents:
    """Every file under ``root`` that ``patterns`` takes. Raises NotADirectoryError
    or FileNotFoundError when ``root`` is not a folder."""
    root = os.fspath(root)
    if not os.path.isdir(root):
        raise NotADirectoryError(f"not a folder: {root}")
    found = FolderContents()
    visits = FolderVisits(root)
    # An explicit stack: trees may be deeper than Python's recursion limit.
    stack: list[tuple[str, str]] = [(root, "")]
    while stack:
        folder, relative = stack.pop()
        try:
            refusal = visits.refusal(os.stat(folder))
            if refusal is not None:
                found.not_followed.append((folder, refusal))
                continue
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as error:
            found.problems.append((folder, ScanProblem.CANNOT_LIST.text(reason=error.strerror or error)))
            continue
        subfolders: list[tuple[str, str]] = []
        for entry in entries:
            entry_relative = relative + entry.name
            if not _is_utf8(entry.name):
                found.problems.append((entry.path, ScanProblem.NOT_UTF8.text()))
                continue
            try:
                info = entry.stat(follow_symlinks=True)
            except OSError as error:
                broken = ScanProblem.BROKEN_LINK.text(reason=error.strerror or error)
                found.problems.append((entry.path, broken))
                continue
            if stat.S_ISDIR(info.st_mode):
                if patterns.skips_folder(entry_relative):
                    found.excluded_folders += 1
                else:
                    subfolders.append((entry.path, entry_relative + "/"))
            elif stat.S_ISREG(info.st_mode):
                if patterns.takes(entry_relative):
                    found.files.append(LocalFile(entry_relative, entry.path, info.st_size, info.st_mtime_ns))
                elif entry_relative != ".cosignore":
                    found.excluded_files += 1
            else:
                found.problems.append((entry.path, ScanProblem.NOT_A_FILE.text()))
        # Reversed so the stack pops them in name order.
        stack.extend(reversed(subfolders))
    return found


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # os.fsdecode turns other encodings into lone surrogates
        return False
    return True
