"""The files of a folder a sync takes: a walk that applies the folder's
:class:`SyncPatterns` as it goes and never enters a folder they exclude.

The walk is a drop's (``engine/scan.py``'s ``walk_folders``): it follows links
to folders into the folders ``FolderVisits`` lets a walk enter, and reports
(never raises on) what it cannot read, special files and names that cannot be
COS keys. The links it does not follow are kept apart from those problems:
nothing of the folder is missing behind them (a loop leads to a folder already
walked, a link up to one that holds it), so they neither hold back a sync's
deletes nor fail it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import NamedTuple

from cosdesk.engine.scan import walk_folders
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

    def enters(relative: str) -> bool:
        # A folder the patterns leave out counts once, unwalked.
        if patterns.skips_folder(relative[:-1]):
            found.excluded_folders += 1
            return False
        return True

    walked = walk_folders(
        root,
        lambda path, problem: found.problems.append((path, problem)),
        lambda path, refusal: found.not_followed.append((path, refusal)),
        enters,
    )
    for folder in walked:
        for name, path, info in folder.files:
            relative = folder.relative + name
            if patterns.takes(relative):
                found.files.append(LocalFile(relative, path, info.st_size, info.st_mtime_ns))
            elif relative != ".cosignore":
                found.excluded_files += 1
    return found
