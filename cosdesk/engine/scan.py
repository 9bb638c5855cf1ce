"""Turning local paths into (file, key) pairs: the one path-to-key function, and
walking folders.

Folders are walked on a worker (a big tree must never block the caller).
Symbolic links to folders are followed, but each real folder is entered once,
so a link pointing back up the tree cannot loop, and never one that holds the
walked folder: a link to ``..`` would otherwise take in the folders beside the
drop, and a link to the home folder all of it. Special files (sockets, FIFOs,
devices) and broken links are skipped and reported. ``walk_folders`` is the one
walk: a drop's (``scan_path``) and a sync's (``engine/sync_walk.py``) alike.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import PurePosixPath
from typing import NamedTuple

from cosdesk.cos.errors import InvalidObjectKey, KeyProblem
from cosdesk.cos.options import MAX_KEY_BYTES, validate_key
from cosdesk.engine.message_templates import QT_TRANSLATE_NOOP, MessageTemplate
from cosdesk.engine.natural_order import listing_order


class ScanProblem(MessageTemplate):
    """What a walk could not take, said beside the path (``{reason}``: the
    system's words), and why a path's key cannot be a COS key. The walks of a
    drop and of a sync say the same things. Shown translated by the window (see
    message_templates)."""

    CANNOT_READ = QT_TRANSLATE_NOOP("ScanProblem", "cannot read: {reason}")
    CANNOT_LIST = QT_TRANSLATE_NOOP("ScanProblem", "cannot list: {reason}")
    BROKEN_LINK = QT_TRANSLATE_NOOP("ScanProblem", "cannot read (broken link?): {reason}")
    NOT_A_FILE = QT_TRANSLATE_NOOP("ScanProblem", "not a regular file or folder; skipped")
    LINK_LOOP = QT_TRANSLATE_NOOP("ScanProblem", "a link back to a folder already included; not followed")
    LINK_UP = QT_TRANSLATE_NOOP("ScanProblem", "a link to a folder that holds it; not followed")
    NOT_UTF8 = QT_TRANSLATE_NOOP(
        "ScanProblem", "the name is not valid UTF-8, so it cannot be a COS key; skipped"
    )
    KEY_EMPTY = QT_TRANSLATE_NOOP("ScanProblem", "the object key is empty")
    KEY_NOT_UTF8 = QT_TRANSLATE_NOOP(
        "ScanProblem", "the object key {key} is not valid UTF-8 (a file name in another encoding?)"
    )
    KEY_TOO_LONG = QT_TRANSLATE_NOOP("ScanProblem", "the object key is longer than {limit} bytes of UTF-8")


class ScanEntry(NamedTuple):
    """One upload found by a scan: a file (``path`` set) or a folder marker
    (``path`` None, ``key`` ending in ``/``). A walk holds one per file until the
    batch is queued: a tuple of plain values, small and quick to make. The cyclic
    garbage collector tracks it all the same (it stops tracking only exact
    tuples): the young generations hand it on to the oldest, and the GC pacer
    makes no full collection while a drop is being added (engine/gc_pacer.py)."""

    key: str
    path: str | None
    size: int
    mtime_ns: int | None


def normalize_prefix(prefix: str) -> str:
    """``"a/b"`` → ``"a/b/"``, ``"/a//b/"`` → ``"a/b/"``, ``""`` → ``""``. A prefix
    always names a folder. Its separators are :func:`key_for`'s."""
    segments = [segment for segment in _with_slashes(prefix).split("/") if segment]
    return "/".join(segments) + "/" if segments else ""


def _with_slashes(path: str) -> str:
    # A backslash separates only where the system says so (Windows): on Linux and
    # macOS it is a character of a name, and keys keep it (ARCHITECTURE.md, "Object keys").
    return path.replace(os.sep, "/") if os.sep != "/" else path


def key_for(prefix: str, relative_path: str | PurePosixPath) -> str:
    """The object key of a file at ``relative_path`` (relative to what was
    dropped, separated by ``/`` or this system's own separator) under ``prefix``.
    Empty and ``.`` segments disappear; the result never starts with ``/``."""
    segments = [
        segment for segment in _with_slashes(str(relative_path)).split("/") if segment not in ("", ".")
    ]
    return normalize_prefix(prefix) + "/".join(segments)


def folder_key_for(prefix: str, relative_path: str) -> str:
    """The key of the folder at ``relative_path`` under ``prefix``: :func:`key_for`'s
    ending in ``/`` ("" for the root of a drop without a prefix)."""
    return normalize_prefix(key_for(prefix, relative_path))


def check_key(key: str) -> str | None:
    """Why ``key`` cannot be a COS key (cos.options.validate_key's rule, in words
    the window translates), or None if it can."""
    try:
        validate_key(key)
    except InvalidObjectKey as refused:
        if refused.problem is KeyProblem.EMPTY:
            return ScanProblem.KEY_EMPTY.text()
        if refused.problem is KeyProblem.NOT_UNICODE:
            return ScanProblem.KEY_NOT_UTF8.text(key=repr(key))
        return ScanProblem.KEY_TOO_LONG.text(limit=MAX_KEY_BYTES)
    return None


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


ErrorCallback = Callable[[str, str], None]


def scan_path(
    path: str | os.PathLike[str],
    prefix: str,
    *,
    include_empty_folders: bool = False,
    contents_only: bool = False,
    on_error: ErrorCallback | None = None,
    on_not_followed: ErrorCallback | None = None,
) -> Iterator[ScanEntry]:
    """Everything to upload for one dropped ``path``.

    A file becomes ``prefix + its name``. A folder keeps its name and relative
    paths: dropping ``/home/u/photos`` under ``backup/`` gives
    ``backup/photos/2024/a.jpg`` (with ``contents_only``, ``backup/2024/a.jpg``).
    An empty folder becomes a folder marker (``backup/photos/empty/``) when
    ``include_empty_folders``. Problems (unreadable folders, special files,
    broken links) go to ``on_error(path, message)`` and the walk goes on. Links
    to folders it does not follow (FolderVisits) go to ``on_not_followed`` when
    given, else to ``on_error``: nothing of the folder is missing behind them,
    so a caller may tell them apart from what could not be added.
    """
    report = on_error or (lambda _path, _message: None)
    path = os.fspath(path)
    try:
        info = os.stat(path)
    except OSError as error:
        report(path, ScanProblem.CANNOT_READ.text(reason=error.strerror or error))
        return
    name = os.path.basename(os.path.normpath(path))
    if stat.S_ISREG(info.st_mode):
        yield ScanEntry(key_for(prefix, name), path, info.st_size, info.st_mtime_ns)
        return
    if not stat.S_ISDIR(info.st_mode):
        report(path, ScanProblem.NOT_A_FILE.text())
        return
    base = normalize_prefix(prefix) if contents_only else folder_key_for(prefix, name)
    yield from _walk(path, base, include_empty_folders, report, on_not_followed or report)


class FolderVisits:
    """Which folders a walk of ``root`` enters (this module's and the sync's
    walks alike): each real folder once, so a link back into the tree cannot
    loop, and none that holds ``root``."""

    def __init__(self, root: str) -> None:
        self._seen: set[tuple[int, int]] = set()
        # The (device, inode) of root's parent and every folder above it.
        self._holding: set[tuple[int, int]] = set()
        path = os.path.realpath(root)
        while (parent := os.path.dirname(path)) != path:
            try:
                info = os.stat(parent)
            except OSError:
                break
            self._holding.add((info.st_dev, info.st_ino))
            path = parent

    def refusal(self, info: os.stat_result) -> str | None:
        """Why the folder ``info`` describes is not entered (a ScanProblem's text),
        or None: enter it, and it counts as entered."""
        identity = (info.st_dev, info.st_ino)
        if identity in self._holding:
            return ScanProblem.LINK_UP.text()
        if identity in self._seen:
            return ScanProblem.LINK_LOOP.text()
        self._seen.add(identity)
        return None


class WalkedFolder(NamedTuple):
    """One folder a walk entered: where it is, relative to the walked root (``/``-
    separated, ending in ``/``; "" for the root), its regular files as (name,
    path, stat) in listing order, and whether it holds any folder (entered or not)."""

    relative: str
    files: list[tuple[str, str, os.stat_result]]
    has_folders: bool


def walk_folders(
    root: str,
    report: ErrorCallback,
    not_followed: ErrorCallback,
    enters: Callable[[str], bool] = lambda _relative: True,
) -> Iterator[WalkedFolder]:
    """Every folder under ``root`` (itself first) that FolderVisits lets a walk
    enter and ``enters(relative)`` wants (``relative`` ending in ``/``), depth
    first in the order a file manager lists names (engine/natural_order.py): a
    drop's walk and a sync's alike. What cannot be read or taken goes to
    ``report``, the links it does not follow to ``not_followed`` (path,
    message); the walk goes on."""
    visits = FolderVisits(root)
    # An explicit stack instead of recursion: trees may be deeper than Python's limit.
    stack: list[tuple[str, str]] = [(root, "")]
    while stack:
        folder, relative = stack.pop()
        try:
            folder_info = os.stat(folder)
        except OSError as error:
            report(folder, ScanProblem.CANNOT_READ.text(reason=error.strerror or error))
            continue
        refusal = visits.refusal(folder_info)
        if refusal is not None:
            not_followed(folder, refusal)
            continue
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: listing_order(entry.name))
        except OSError as error:
            report(folder, ScanProblem.CANNOT_LIST.text(reason=error.strerror or error))
            continue
        files: list[tuple[str, str, os.stat_result]] = []
        subfolders: list[tuple[str, str]] = []
        has_folders = False
        for entry in entries:
            name = entry.name
            if not (name.isascii() or _is_utf8(name)):
                report(entry.path, ScanProblem.NOT_UTF8.text())
                continue
            try:
                entry_info = entry.stat(follow_symlinks=True)
            except OSError as error:
                report(entry.path, ScanProblem.BROKEN_LINK.text(reason=error.strerror or error))
                continue
            if stat.S_ISDIR(entry_info.st_mode):
                has_folders = True
                if enters(f"{relative}{name}/"):
                    subfolders.append((entry.path, f"{relative}{name}/"))
            elif stat.S_ISREG(entry_info.st_mode):
                files.append((name, entry.path, entry_info))
            else:
                report(entry.path, ScanProblem.NOT_A_FILE.text())
        yield WalkedFolder(relative, files, has_folders)
        # Reversed so the stack pops them in listing order.
        stack.extend(reversed(subfolders))


def _walk(
    root: str,
    base_prefix: str,
    include_empty_folders: bool,
    report: ErrorCallback,
    not_followed: ErrorCallback,
) -> Iterator[ScanEntry]:
    for folder in walk_folders(root, report, not_followed):
        # The keys of this folder's files are this and their names (key_for once a
        # folder, not once a file: a fifth of a million files' walk).
        folder_key = folder_key_for(base_prefix, folder.relative)
        for name, path, info in folder.files:
            yield ScanEntry(folder_key + name, path, info.st_size, info.st_mtime_ns)
        empty = not folder.files and not folder.has_folders
        if empty and include_empty_folders and (base_prefix or folder.relative):
            yield ScanEntry(folder_key, None, 0, None)
