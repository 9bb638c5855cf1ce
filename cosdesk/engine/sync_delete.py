"""The deleting half of a sync: the objects a plan names, in DeleteObjects
batches, each key checked to lie under the destination's prefix first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cosdesk.cos.client import MAX_DELETE_KEYS, CosClient
from cosdesk.cos.errors import CosException
from cosdesk.engine.sync_plan import SyncDestination
from cosdesk.engine.sync_record import SyncRecord


@dataclass(frozen=True)
class DeleteOutcome:
    """Every key asked for, in exactly one of the two: ``failed`` pairs a key with
    the reason it is still there."""

    deleted: tuple[str, ...] = ()
    failed: tuple[tuple[str, str], ...] = ()


def delete_objects(
    client: CosClient, destination: SyncDestination, keys: Sequence[str], record: SyncRecord | None = None
) -> DeleteOutcome:
    """Delete ``keys`` (a plan's deletes) and forget them in ``record``. Raises
    ValueError, before any request, if a key lies outside the prefix: a sync
    never deletes there, whatever a caller hands it."""
    outside = [key for key in keys if not key.startswith(destination.prefix) or key == destination.prefix]
    if outside:
        raise ValueError(f"{len(outside)} key(s) lie outside {destination}; nothing was deleted")
    deleted: list[str] = []
    failed: list[tuple[str, str]] = []
    for start in range(0, len(keys), MAX_DELETE_KEYS):
        batch = keys[start : start + MAX_DELETE_KEYS]
        try:
            result = client.delete_objects(destination.bucket, batch)
        except CosException as error:
            failed.extend((key, str(error)) for key in batch)
            continue
        deleted.extend(result.deleted)
        failed.extend((failure.key, f"{failure.code}: {failure.message}") for failure in result.failures)
        if record is not None:
            record.forget(destination.endpoint, destination.bucket, result.deleted)
    return DeleteOutcome(tuple(deleted), tuple(failed))
