"""The watched folders as they are kept between runs: what each watches, where its
files go, whether it is paused, how many files it uploaded, and up to when its
changes were handed on (see ARCHITECTURE.md, "Watched folders").

They live in ``watched_folders.json`` beside the settings (``config.json``): a
list a person edits a few times a year, never a secret (an account is named,
its keys stay in the keyring), written whole and atomically.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cosdesk.engine.options import ConflictPolicy, EndpointSpec, UploadOptions
from cosdesk.engine.scan import normalize_prefix

log = logging.getLogger(__name__)

FILE_NAME = "watched_folders.json"


@dataclass(frozen=True)
class WatchTarget:
    """Where a watched folder's files go: ``prefix`` + their path in the folder.
    ``account`` names the account for people (a profile's name; "" for the
    local sandbox or keys from the environment); ``endpoint.profile`` is the one
    whose keys sign."""

    bucket: str
    prefix: str
    endpoint: EndpointSpec
    options: UploadOptions = field(default_factory=UploadOptions)
    account: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "prefix", normalize_prefix(self.prefix))
        # A file changed after its upload replaces its object: "skip" would keep
        # the old bytes and "rename" would add a copy per save.
        object.__setattr__(self, "options", self.options.with_changes(conflict=ConflictPolicy.OVERWRITE))

    def describe(self) -> str:
        """``bucket/prefix``, as the window names a destination."""
        return f"{self.bucket}/{self.prefix}" if self.prefix else self.bucket


@dataclass(frozen=True)
class WatchedFolder:
    """One watched folder. ``seen_until`` (Unix seconds): every change before it
    was handed on to the queue; a file modified later is caught up with when the
    watch starts again."""

    folder: str
    target: WatchTarget
    excludes: tuple[str, ...] = ()
    includes: tuple[str, ...] = ()
    paused: bool = False
    uploaded: int = 0
    seen_until: float = 0.0
    watch_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __post_init__(self) -> None:
        object.__setattr__(self, "folder", os.path.abspath(self.folder))
        object.__setattr__(self, "excludes", tuple(self.excludes))
        object.__setattr__(self, "includes", tuple(self.includes))

    def with_changes(self, **changes: Any) -> WatchedFolder:
        return replace(self, **changes)


def _to_json(watched: WatchedFolder) -> dict[str, Any]:
    target = watched.target
    return {
        "watch_id": watched.watch_id,
        "folder": watched.folder,
        "bucket": target.bucket,
        "prefix": target.prefix,
        "account": target.account,
        "endpoint": json.loads(target.endpoint.to_json()),
        "options": json.loads(target.options.to_json()),
        "excludes": list(watched.excludes),
        "includes": list(watched.includes),
        "paused": watched.paused,
        "uploaded": watched.uploaded,
        "seen_until": watched.seen_until,
    }


def _from_json(raw: dict[str, Any]) -> WatchedFolder:
    target = WatchTarget(
        bucket=str(raw["bucket"]),
        prefix=str(raw.get("prefix", "")),
        endpoint=EndpointSpec.from_json(json.dumps(raw["endpoint"])),
        options=UploadOptions.from_json(json.dumps(raw.get("options", {}))),
        account=str(raw.get("account", "")),
    )
    return WatchedFolder(
        folder=str(raw["folder"]),
        target=target,
        excludes=tuple(str(p) for p in raw.get("excludes", ())),
        includes=tuple(str(p) for p in raw.get("includes", ())),
        paused=bool(raw.get("paused", False)),
        uploaded=int(raw.get("uploaded", 0)),
        seen_until=float(raw.get("seen_until", 0.0)),
        watch_id=str(raw.get("watch_id") or uuid.uuid4().hex),
    )


def load_watch_list(path: Path) -> list[WatchedFolder]:
    """The folders saved at ``path``; none when there is no file. An entry that
    cannot be read is logged and left out, not fatal: the window must open."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as error:
        log.error("cannot read the watched folders in %s: %s", path, error)
        return []
    watched = []
    for item in raw.get("folders", []) if isinstance(raw, dict) else []:
        try:
            watched.append(_from_json(item))
        except (KeyError, TypeError, ValueError) as error:
            log.error("a watched folder in %s cannot be read (%s): left out", path, error)
    return watched


def save_watch_list(path: Path, watched: list[WatchedFolder]) -> None:
    """Write the list atomically (a crash leaves the old file or the new one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"folders": [_to_json(item) for item in watched]}
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=".watched-", suffix=".tmp", delete=False
    ) as handle:
        json.dump(document, handle, indent=2, ensure_ascii=False)
    os.replace(handle.name, path)
