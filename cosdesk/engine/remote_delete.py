"""Deleting what a person selected in a bucket: objects by their keys, folders
by every key under their prefix (see "Listing a folder" in ARCHITECTURE.md).

Two steps, so the window can ask in between: :func:`keys_to_delete` lists what
a selection means (and so how many objects a confirmation names), and
:func:`delete_keys` deletes exactly those keys, in DeleteObjects batches of at
most 1,000. Nothing else is ever deleted: a folder's keys are those that start
with its prefix, which ends in "/", so ``photos/`` never reaches ``photos-old/x``.
Both block on the network: call them off the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from cosdesk.cos.client import MAX_DELETE_KEYS, CosClient
from cosdesk.cos.errors import CosException
from cosdesk.cos.results import DeleteFailure


@dataclass(frozen=True)
class DeleteOutcome:
    """Every key asked for is either deleted or among ``failures``."""

    deleted: tuple[str, ...]
    failures: tuple[DeleteFailure, ...]


def keys_to_delete(
    client: CosClient, bucket: str, objects: Iterable[str], folders: Iterable[str]
) -> list[str]:
    """The keys a selection stands for: each object's key, and every key under
    each folder (its marker included), in order and without repeats. A folder
    prefix must end in "/" (ValueError otherwise: "photos" would also reach
    "photos-old/")."""
    seen: set[str] = set()
    keys: list[str] = []

    def add(key: str) -> None:
        if key not in seen:
            seen.add(key)
            keys.append(key)

    for key in objects:
        add(key)
    for folder in folders:
        if not folder.endswith("/"):
            raise ValueError(f"a folder's prefix ends in '/': {folder!r}")
        for summary in client.iter_objects(bucket, folder):
            add(summary.key)
    return keys


def delete_keys(
    client: CosClient,
    bucket: str,
    keys: Sequence[str],
    *,
    on_progress: Callable[[int], None] | None = None,
) -> DeleteOutcome:
    """Delete ``keys`` in batches of at most 1,000 (``on_progress(keys done so
    far)`` after each). A batch the server refuses as a whole counts each of its
    keys as failed with that error; the next batch is still tried."""
    deleted: list[str] = []
    failures: list[DeleteFailure] = []
    for start in range(0, len(keys), MAX_DELETE_KEYS):
        batch = keys[start : start + MAX_DELETE_KEYS]
        try:
            result = client.delete_objects(bucket, batch, quiet=True)
        except CosException as error:
            code = getattr(error, "code", None) or type(error).__name__
            failures.extend(DeleteFailure(key, code, str(error)) for key in batch)
        else:
            deleted.extend(result.deleted)
            failures.extend(result.failures)
        if on_progress is not None:
            on_progress(start + len(batch))
    return DeleteOutcome(tuple(deleted), tuple(failures))
