"""``cosdesk upload --if-exists skip|rename|changed``: what is already in the bucket (or
twice in what was given) is settled before anything is queued, with one listing
of the destination instead of a HEAD per file, and the run says what it left out
or renamed.

Overwrite (the default) needs none of this: the files are queued as they are
found, the first ones uploading while a big tree is still being walked.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from cosdesk.cli_output import printable
from cosdesk.engine.batch_numbers import new_batch_token
from cosdesk.engine.duplicates import BucketProbe, check_batch, resolve_batch, scan_sources, shared_folder
from cosdesk.engine.options import ConflictPolicy, EndpointSpec, UploadOptions

if TYPE_CHECKING:
    from cosdesk.engine.queue import UploadQueue


@dataclass
class IntakeOutcome:
    """What the duplicates check did to a run, for the lines after its summary."""

    skipped: int = 0
    renamed: int = 0
    unchanged: int = 0

    def summary(self) -> str:
        """``already there: 2 skipped, 1 uploaded under a new name, 3 unchanged
        and skipped`` ("" if none)."""
        parts = []
        if self.skipped:
            parts.append(f"{self.skipped} skipped")
        if self.renamed:
            parts.append(f"{self.renamed} uploaded under a new name")
        if self.unchanged:
            parts.append(f"{self.unchanged} unchanged and skipped")
        return "already there: " + ", ".join(parts) if parts else ""


def queue_without_duplicates(
    queue: UploadQueue,
    sources: list[str],
    bucket: str,
    prefix: str,
    options: UploadOptions,
    endpoint: EndpointSpec,
    *,
    include_empty_folders: bool,
    quiet: bool,
    out: TextIO | None = None,
) -> IntakeOutcome:
    """Walk ``sources``, settle the keys that are taken by ``options.conflict`` (skip,
    rename, or send only what changed), queue the rest and say what happened. Blocks on the walk and the
    listing: the command line has nothing else to do meanwhile."""
    from cosdesk.engine.queue import FileToAdd

    stream = out or sys.stdout
    entries = scan_sources(
        sources,
        prefix,
        include_empty_folders=include_empty_folders,
        # Reported as a walk inside the queue reports them (the progress display counts them).
        on_error=queue.scan_problem.emit,
    )
    probe = BucketProbe(lambda: queue.client_for(endpoint), bucket, queue.retry_policy(options))
    check = check_batch(entries, {}, probe, one_walk=len(sources) == 1)
    plan = resolve_batch(check, options.conflict, probe)
    if check.bucket_problem:
        print(
            f"cannot look in cos://{bucket}/ ({printable(check.bucket_problem)}): "
            "each file is checked when its upload starts",
            file=sys.stderr,
        )
    if check.duplicate_count and not quiet:
        what = {
            ConflictPolicy.SKIP: "skipped",
            ConflictPolicy.RENAME: "uploading them under new names",
        }.get(options.conflict, "uploading those that differ")
        if check.in_bucket_count:
            folder = shared_folder([entry.key for entry in check.entries if entry.key in check.in_bucket])
            where = printable(f"cos://{bucket}/{folder}")
            print(
                f"{check.in_bucket_count} of {len(check.entries)} files already exist in {where}: {what}",
                file=stream,
            )
        if check.repeated:
            # With CHANGED they all go: the bucket's object is no guide between them.
            repeated_what = "uploading each" if options.conflict is ConflictPolicy.CHANGED else what
            print(
                f"{len(check.repeated)} files have the same key as another file given: {repeated_what}",
                file=stream,
            )
        for old, new in plan.renamed:
            print(f"renamed {printable(old)} -> {printable(new)}", file=stream)
        stream.flush()
    if plan.conflict is not None:
        options = options.with_changes(conflict=plan.conflict)
    files = [FileToAdd.scanned(entry) for entry in plan.add if entry.path is not None]
    batch = new_batch_token()  # the command's files and folders: one batch
    if files:
        queue.add_files(files, bucket, options, endpoint, batch=batch)
    for entry in plan.add:
        if entry.path is None:
            queue.add_folder_marker(bucket, entry.key, options, endpoint, batch=batch)
    return IntakeOutcome(skipped=len(plan.skipped), renamed=len(plan.renamed), unchanged=len(plan.unchanged))
