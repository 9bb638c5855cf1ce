"""The jobs that move bytes: a FileJob runs one task from checking to
success (it plans, resumes, and coordinates its parts); a PartJob sends one
part; a CleanupJob aborts the multipart upload of a canceled task.

Workers never touch the queue's task records: a FileJob gets a frozen
:class:`JobInput` (the task's spec and checkpoint), replaces its own checkpoint
whole as it learns, and hands each new one to its :class:`JobHost` (the queue),
which records, persists and turns it into events.
"""

from __future__ import annotations

import enum
import logging
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import PurePosixPath
from typing import Protocol, TypeVar

from cosdesk.cos.client import CosClient
from cosdesk.cos.crc import crc64_combine
from cosdesk.cos.errors import (
    ClientStopped,
    CosError,
    CosException,
    CosNetworkError,
    CosValidationError,
    InvalidObjectKey,
    InvalidPart,
    NoSuchUpload,
    OutsideCredentialScope,
    PositionNotEqualToLength,
)
from cosdesk.cos.options import ObjectOptions
from cosdesk.cos.results import HeadObjectResult
from cosdesk.engine.integrity import (
    HashingBody,
    RegionDigest,
    Source,
    SourceError,
    SourceState,
    combine_crc64,
    digest_region,
    etag_matches_md5,
    md5_base64,
)
from cosdesk.engine.meter import BandwidthLimiter
from cosdesk.engine.notes import TaskNote
from cosdesk.engine.options import ConflictPolicy, EndpointSpec, UploadMethodChoice, UploadOptions
from cosdesk.engine.plan import PartSpec, PlanError, UploadPlan, plan_upload
from cosdesk.engine.retry import IntegrityError, RetryPolicy, call_with_retry, heals_by_itself
from cosdesk.engine.task import (
    Checkpoint,
    FileResult,
    JobControl,
    PartRecord,
    StopReason,
    TaskError,
    TaskInterrupted,
    TaskSpec,
    TaskState,
    UploadMethod,
    Verification,
)
from cosdesk.engine.task_columns import StoredTask
from cosdesk.engine.task_record import NETWORK_ERROR, OUTSIDE_CREDENTIAL_SCOPE
from cosdesk.engine.thread_pool import ThreadPool
from cosdesk.engine.verification import (
    ChecksumHabits,
    check_assembled,
    check_existing_object,
    check_stored,
    recorded_part_check,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

# How many times one run may start a multipart upload over (unknown UploadId,
# parts that vanished) before giving up: more means something else is wrong.
MAX_MULTIPART_ROUNDS = 3
# How often a file's part loop asks again how many parts may be in flight.
LIMIT_RECHECK_S = 0.25


class JobHost(Protocol):
    """What a FileJob needs from the queue. Every method is thread-safe."""

    limiter: BandwidthLimiter
    part_pool: ThreadPool

    def client_for(self, endpoint: EndpointSpec) -> CosClient: ...
    def job_claim(self, job: JobInput) -> JobStart: ...
    def retry_policy(self, options: UploadOptions) -> RetryPolicy: ...
    def job_checkpoint(self, task_id: str, checkpoint: Checkpoint, note: str | None = None) -> None: ...
    def job_state(self, task_id: str, state: TaskState) -> None: ...
    def job_progress(self, task_id: str, byte_count: int, *, sent: bool = True) -> None: ...
    def job_hash_progress(self, task_id: str, loaded: int, total: int) -> None: ...
    def job_part_done(self, task_id: str, part: PartRecord) -> None: ...
    def parts_in_flight_limit(self, task_id: str) -> int: ...
    def job_request_done(self, task_id: str, byte_count: int, started_at: float, ended_at: float) -> None: ...
    def job_retrying(self, task_id: str, error: BaseException, delay_s: float) -> None: ...
    def job_ended(self, task_id: str, control: JobControl, outcome: JobOutcome) -> None: ...


@dataclass(frozen=True)
class JobInput:
    """A task as a FileJob starts it: what was asked, what earlier runs learned,
    and where its bytes come from."""

    spec: TaskSpec
    checkpoint: Checkpoint
    source: Source


class OutcomeKind(enum.Enum):
    SUCCESS = "success"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    # Another live process holds the task (engine/ownership.py): nothing was sent;
    # the task waits and asks again.
    HELD_ELSEWHERE = "held elsewhere"
    # Another process finished or canceled the task: ``stored`` is how it left it.
    ENDED_ELSEWHERE = "ended elsewhere"


@dataclass(frozen=True)
class JobOutcome:
    kind: OutcomeKind
    result: FileResult | None = None
    error: TaskError | None = None
    reason: StopReason | None = None
    note: str = ""  # HELD_ELSEWHERE: what the waiting task says
    # ENDED_ELSEWHERE: the task as the other process ended it; HELD_ELSEWHERE: as
    # the holder has stored it so far (its parts: how far it is).
    stored: StoredTask | None = None
    # The CPU time the job's thread spent on this run, and how long a simple PUT
    # waited for the server (its time less its CPU): they tune the files limit.
    cpu_s: float = 0.0
    waited_s: float | None = None


@dataclass(frozen=True)
class JobStart:
    """The host's answer when a FileJob asks to work its task (``JobHost.job_claim``):
    end at once with ``outcome``, or work, from ``checkpoint`` when another process
    moved the task on since the job was made (its upload ID and parts)."""

    outcome: JobOutcome | None = None
    checkpoint: Checkpoint | None = None


def describe_error(error: BaseException) -> TaskError:
    """The exact reason for a failure, as one TaskError."""
    if isinstance(error, OutsideCredentialScope):
        return TaskError(OUTSIDE_CREDENTIAL_SCOPE, error.message, error.status_code, error.request_id)
    if isinstance(error, CosError):
        return TaskError(
            error.code or f"HTTP{error.status_code}",
            error.message or str(error),
            error.status_code,
            error.request_id,
            transient=heals_by_itself(error),
        )
    if isinstance(error, CosNetworkError):
        return TaskError(NETWORK_ERROR, str(error), transient=heals_by_itself(error))
    if isinstance(error, InvalidObjectKey):  # as the walk says it (intake.refusal)
        return TaskError("InvalidKey", str(error))
    if isinstance(error, CosValidationError):
        return TaskError("InvalidRequest", str(error))
    if isinstance(error, CosException):
        return TaskError(type(error).__name__, str(error), transient=heals_by_itself(error))
    if isinstance(error, IntegrityError):
        return TaskError(error.code, str(error))
    if isinstance(error, SourceChangedError):
        return TaskError("SourceChanged", str(error))
    if isinstance(error, SourceError):
        return TaskError("SourceUnreadable", str(error))
    if isinstance(error, PlanError):
        return TaskError("TooLarge", str(error))
    log.error("unexpected error in an upload worker", exc_info=error)
    return TaskError("InternalError", f"{type(error).__name__}: {error}")


class AttemptProgress:
    """Reports the bytes of one request to the host, holds them to the global
    bandwidth limit, and stops the request (by raising from the client's progress
    callback) when the task is paused or canceled. ``rewind`` takes back what an
    abandoned attempt had reported, so a task's total never passes 100%."""

    def __init__(self, host: JobHost, task_id: str, check_stop: Callable[[], None]) -> None:
        self._host = host
        self._task_id = task_id
        self._check_stop = check_stop
        self.reported = 0

    def report(self, byte_count: int) -> None:
        self._check_stop()
        if byte_count:
            self.reported += byte_count
            self._host.job_progress(self._task_id, byte_count)
        self._host.limiter.consume(byte_count, self._check_stop)

    def rewind(self, error: BaseException | None = None) -> None:
        """Take back what the attempt reported (``error``: why it ended, which may
        say none of it left: then the speed forgets it too)."""
        if self.reported:
            sent = not (isinstance(error, CosNetworkError) and error.nothing_sent)
            self._host.job_progress(self._task_id, -self.reported, sent=sent)
            self.reported = 0

    def before_retry(self, _retry_number: int, error: BaseException, delay_s: float) -> None:
        """``call_with_retry``'s ``on_retry``: the attempt is abandoned and sent again."""
        self.rewind(error)
        self._host.job_retrying(self._task_id, error, delay_s)


def _with_retry(
    host: JobHost,
    options: UploadOptions,
    control: JobControl | None,
    operation: Callable[[], T],
    task_id: str | None = None,
) -> T:
    """``operation`` with the task's retries; with ``task_id``, the host hears of each."""

    def before_retry(_retry_number: int, error: BaseException, delay_s: float) -> None:
        if task_id is not None:
            host.job_retrying(task_id, error, delay_s)

    return call_with_retry(
        operation, policy=host.retry_policy(options), control=control, on_retry=before_retry
    )


def _is_missing(error: CosError) -> bool:
    return error.status_code == 404


def renamed_key(key: str, number: int) -> str:
    """``dir/name.ext`` → ``dir/name (number).ext`` (the conflict policy RENAME)."""
    path = PurePosixPath(key)
    suffix = path.suffix if path.stem else ""
    stem = path.name[: len(path.name) - len(suffix)] if suffix else path.name
    parent = key[: len(key) - len(path.name)]
    return f"{parent}{stem} ({number}){suffix}"


class SourceChangedError(SourceError):
    """The local file changed while it was being uploaded."""


@dataclass
class _PartOutcome:
    spec: PartSpec
    record: PartRecord | None = None
    check: Verification | None = None
    error: BaseException | None = None


class FileJob:
    """Runs one task to success, error or interruption, then reports to the host."""

    def __init__(self, host: JobHost, job: JobInput, control: JobControl) -> None:
        self._host = host
        self._job = job
        self._control = control
        self._task_id = job.spec.task_id
        self._bucket = job.spec.bucket
        self._options = job.spec.options
        # What this run has learned so far, replaced whole (see _record).
        self._checkpoint = job.checkpoint
        self._habits = ChecksumHabits()
        # How each part of the current multipart upload was verified.
        self._part_checks: dict[int, Verification] = {}
        # The thread's CPU time when this run's own work began (JobOutcome.cpu_s).
        self._cpu_started_s = 0.0

    # --- plumbing ----------------------------------------------------------------

    def run(self) -> None:
        self._cpu_started_s = time.thread_time()
        try:
            # Before any request: the task may be another process's (engine/ownership.py).
            start = self._host.job_claim(self._job)
            if start.checkpoint is not None:
                self._job = replace(self._job, checkpoint=start.checkpoint)
                self._checkpoint = start.checkpoint
            if start.outcome is None:
                self._control.check()  # paused or canceled while it asked
            outcome = start.outcome or self._run()
        except TaskInterrupted as stop:
            if stop.reason is StopReason.CANCEL:
                self._clean_up_canceled()
            outcome = JobOutcome(OutcomeKind.INTERRUPTED, reason=stop.reason)
        except ClientStopped:
            # cosdesk is quitting and ended the request (CosClient.stop_requests),
            # maybe before this queue stopped its jobs: a stop, never a failure.
            self._control.stop(StopReason.SHUTDOWN)
            outcome = JobOutcome(OutcomeKind.INTERRUPTED, reason=StopReason.SHUTDOWN)
        except BaseException as error:
            outcome = JobOutcome(OutcomeKind.FAILED, error=describe_error(error))
        outcome = replace(outcome, cpu_s=time.thread_time() - self._cpu_started_s)
        self._host.job_ended(self._task_id, self._control, outcome)

    @property
    def _key(self) -> str:
        """The key the object goes to (the renamed one after RENAME)."""
        return self._checkpoint.renamed_key or self._job.spec.key

    def _record(self, note: str | None = None, **changes: object) -> None:
        """Replace the checkpoint with these changes and hand it to the host (with
        a note for the row, when given)."""
        if changes:
            self._checkpoint = replace(self._checkpoint, **changes)  # type: ignore[arg-type]
        self._host.job_checkpoint(self._task_id, self._checkpoint, note)

    def _retry(self, operation: Callable[[], T]) -> T:
        return _with_retry(self._host, self._options, self._control, operation, self._task_id)

    def _check_unchanged(self, expected: SourceState) -> None:
        """Raise SourceChangedError if the file is no longer as it was when the task
        started: a PUT or APPEND body is then cut short instead of storing a mix of
        old and new bytes. (Multipart checks before Complete instead.)"""
        if self._job.source.stat() != expected:
            raise SourceChangedError(
                "the local file changed while it was being uploaded; restart to send it again"
            )

    def _hash_reporter(self, total: int) -> Callable[[int], None]:
        done = 0

        def on_bytes(byte_count: int) -> None:
            nonlocal done
            self._control.check()
            done += byte_count
            self._host.job_hash_progress(self._task_id, done, total)

        self._host.job_hash_progress(self._task_id, 0, total)
        return on_bytes

    def _object_options(self) -> ObjectOptions:
        if self._options.upload_add_meta_md5 and self._checkpoint.file_md5:
            objects = self._options.object_options()
            return replace(objects, metadata={**objects.metadata, "md5": self._checkpoint.file_md5})
        # The task's options are object options already: no copy per file (8 µs each).
        return self._options

    def _forget_progress(self, client: CosClient, note: str) -> None:
        """Start this task over from zero (the file changed, the plan changed)."""
        if self._checkpoint.upload_id:
            self._abort_quietly(client, self._checkpoint.upload_id)
        self._checkpoint = self._checkpoint.started_over()
        self._record(note)

    def _abort_quietly(self, client: CosClient, upload_id: str) -> None:
        try:
            _with_retry(
                self._host,
                self._options,
                None,
                lambda: client.abort_multipart_upload(self._bucket, self._key, upload_id),
            )
        except NoSuchUpload:
            pass
        except Exception as error:
            log.warning("could not abort upload %s of %s: %s", upload_id, self._key, error)

    def _clean_up_canceled(self) -> None:
        """Cancel: abort the multipart upload (no orphaned parts) and drop the
        checkpoint. A finished object is never touched."""
        upload_id = self._checkpoint.upload_id
        if upload_id:
            self._abort_quietly(self._host.client_for(self._job.spec.endpoint), upload_id)
        self._checkpoint = self._checkpoint.without_upload()
        self._record()

    # --- the task ----------------------------------------------------------------

    def _run(self) -> JobOutcome:
        client = self._host.client_for(self._job.spec.endpoint)  # the queue set CHECKING
        # The first file's job makes the client: CPU that says nothing of a file's cost.
        self._cpu_started_s = time.thread_time()
        source_state = self._job.source.stat()
        work = self._checkpoint
        if (
            work.size is not None
            and work.has_progress
            and (source_state.size != work.size or source_state.mtime_ns != work.mtime_ns)
            # An append cannot start over: what it appended stays. It goes on if the
            # object still holds the start of the file (a log that grew), else it
            # fails saying so (_append).
            and self._options.method is not UploadMethodChoice.APPEND
        ):
            if source_state.size != work.size:
                changed = TaskNote.FILE_SIZE_CHANGED.text(old=work.size, new=source_state.size)
            else:
                changed = TaskNote.FILE_TIME_CHANGED.text()
            self._forget_progress(client, changed)
        plan = plan_upload(source_state.size, self._options)
        work = self._checkpoint
        if (
            work.method is not None
            and work.has_progress
            and (
                work.method is not plan.method
                or (plan.method is not UploadMethod.PUT and work.part_size != plan.part_size)
            )
        ):
            self._forget_progress(client, TaskNote.OPTIONS_CHANGED.text())
        # One report of what the checks found: each report takes the queue's lock,
        # and for a small file those reports were a visible share of its cost.
        found: dict[str, object] = {
            "size": source_state.size,
            "mtime_ns": source_state.mtime_ns,
            "method": plan.method,
            "part_size": plan.part_size,
        }
        if self._options.conflict is ConflictPolicy.OVERWRITE:
            found["key_resolved"] = True  # nothing to check (see _resolve_key)
        self._record(None, **found)

        if self._options.upload_add_meta_md5 and not self._checkpoint.file_md5:
            digest = digest_region(
                self._job.source, 0, plan.size, with_md5=True, on_bytes=self._hash_reporter(plan.size)
            )
            self._record(file_md5=digest.md5_hex)

        if plan.method is UploadMethod.PUT:
            return self._put(client, plan, source_state)
        if plan.method is UploadMethod.APPEND:
            return self._append(client, plan, source_state)
        return self._multipart(client, plan, source_state)

    def _resolve_key(self, client: CosClient) -> FileResult | None:
        """Apply the conflict policy once per task. Returns the result to report
        when the key exists and the policy is SKIP, or CHANGED and the object has
        the file's size and CRC-64."""
        policy = self._options.conflict
        if self._checkpoint.key_resolved or policy is ConflictPolicy.OVERWRITE:
            if not self._checkpoint.key_resolved:
                self._record(key_resolved=True)
            return None
        bucket = self._bucket

        def head(key: str) -> HeadObjectResult | None:
            try:
                return self._retry(lambda: client.head_object(bucket, key))
            except CosError as error:
                if _is_missing(error):
                    return None
                raise

        asked = self._key
        found = head(asked)
        if found is not None and (policy is ConflictPolicy.SKIP or self._holds_same(found)):
            note = TaskNote.KEY_EXISTS_SKIPPED
            if policy is ConflictPolicy.CHANGED:
                note = TaskNote.SAME_FILE_SKIPPED
            self._record(note.text(), key_resolved=True)
            return FileResult(location="", bucket=bucket, key=asked, etag=found.etag or "", skipped=True)
        if found is not None and policy is ConflictPolicy.RENAME:
            number = 1
            while head(renamed_key(asked, number)) is not None:
                number += 1
            new_key = renamed_key(asked, number)
            self._record(TaskNote.RENAMED.text(key=new_key), renamed_key=new_key)
        self._record(key_resolved=True)
        return None

    def _holds_same(self, found: HeadObjectResult) -> bool:
        """CHANGED: whether the object has the file's bytes (size and CRC-64)."""
        if self._options.conflict is not ConflictPolicy.CHANGED or found.crc64 is None:
            return False
        size = self._job.source.stat().size
        if found.content_length != size:
            return False
        return digest_region(self._job.source, 0, size, with_md5=False).crc64 == found.crc64

    def _put(self, client: CosClient, plan: UploadPlan, source_state: SourceState) -> JobOutcome:
        skipped = self._resolve_key(client)
        if skipped is not None:
            return JobOutcome(OutcomeKind.SUCCESS, result=skipped)
        with_md5 = self._options.content_md5
        md5_hex = self._checkpoint.file_md5
        # A digest of the local bytes taken before sending (for Content-MD5), which
        # check_stored may use instead of reading them again.
        known: RegionDigest | None = None
        if with_md5 and md5_hex is None:
            known = digest_region(self._job.source, 0, plan.size, with_md5=True)
            md5_hex = known.md5_hex
        self._host.job_state(self._task_id, TaskState.UPLOADING)
        # The server's CRC-64 of the object is checked against ours; the ETag against
        # the MD5 only when COS sent no CRC-64 (see verification.py): hashing every
        # body twice cost a small file more than its CRC-64.
        body = HashingBody(
            self._job.source.body(0, plan.size),
            before_last_chunk=partial(self._check_unchanged, source_state),
        )
        object_options = self._object_options()
        progress = AttemptProgress(self._host, self._task_id, self._control.check)

        def local_digest() -> RegionDigest:
            return known or digest_region(self._job.source, 0, plan.size, with_md5=True)

        def attempt() -> FileResult:
            progress.rewind()
            body.with_md5 = self._habits.hash_md5_while_sending
            result = client.put_object(
                self._bucket,
                self._key,
                body,
                options=object_options,
                content_md5=md5_base64(md5_hex) if with_md5 and md5_hex else None,
                progress=progress.report,
            )
            self._habits.observe(result)
            verification = check_stored("the object", body, result, local_digest)
            return FileResult(
                location=result.location,
                bucket=self._bucket,
                key=self._key,
                etag=result.etag,
                version_id=result.version_id,
                crc64=body.crc64,
                verification=verification,
            )

        sent_at, sent_cpu_s = time.monotonic(), time.thread_time()
        try:
            file_result = call_with_retry(
                attempt,
                policy=self._host.retry_policy(self._options),
                control=self._control,
                on_retry=progress.before_retry,
            )
        except BaseException as error:
            progress.rewind(error)
            raise
        waited_s = (time.monotonic() - sent_at) - (time.thread_time() - sent_cpu_s)
        if self._job.source.stat() != source_state:
            raise SourceChangedError(
                "the local file changed while it was being uploaded; restart to send it again"
            )
        return JobOutcome(OutcomeKind.SUCCESS, result=file_result, waited_s=waited_s)

    # --- multipart ---------------------------------------------------------------

    def _multipart(self, client: CosClient, plan: UploadPlan, source_state: SourceState) -> JobOutcome:
        bucket = self._bucket
        earlier_method = self._job.checkpoint.method
        for _round in range(MAX_MULTIPART_ROUNDS):
            server_parts: dict[int, tuple[str, int]] = {}
            if (
                self._checkpoint.upload_id is None
                and earlier_method is UploadMethod.MULTIPART
                and self._checkpoint.key_resolved
            ):
                # Interrupted between Initiate and recording its answer: find the
                # upload as Tencent's SDKs do, by listing uploads for the key.
                found = self._find_upload_id(client)
                if found:
                    self._record(upload_id=found)
            if self._checkpoint.upload_id is not None:
                try:
                    server_parts = self._list_parts(client, self._checkpoint.upload_id)
                except NoSuchUpload:
                    finished = self._settle_lost_upload(client, plan, source_state, "the earlier upload ID")
                    if finished is not None:
                        return finished
            if self._checkpoint.upload_id is None:
                skipped = self._resolve_key(client)
                if skipped is not None:
                    return JobOutcome(OutcomeKind.SUCCESS, result=skipped)
                object_options = self._object_options()
                initiated = self._retry(
                    partial(client.initiate_multipart_upload, bucket, self._key, options=object_options)
                )
                self._checkpoint = self._checkpoint.without_upload()
                self._record(upload_id=initiated.upload_id)
            upload_id: str = self._checkpoint.upload_id or ""
            kept = self._verify_server_parts(plan, server_parts)
            self._checkpoint = self._checkpoint.with_parts(kept)
            self._record()
            self._host.job_state(self._task_id, TaskState.UPLOADING)

            missing = [spec for spec in plan.parts() if spec.part_number not in kept]
            try:
                self._send_parts(client, upload_id, missing)
            except NoSuchUpload:
                finished = self._settle_lost_upload(client, plan, source_state, "the upload ID mid-upload")
                if finished is not None:
                    return finished
                continue
            if self._job.source.stat() != source_state:
                raise SourceChangedError(
                    "the local file changed while it was being uploaded; restart to send it again"
                )

            ordered = [self._checkpoint.parts[spec.part_number] for spec in plan.parts()]
            expected_crc = combine_crc64([(part.crc64, part.size) for part in ordered])
            self._control.check()
            try:
                listed = [(part.part_number, part.etag) for part in ordered]
                completed = self._retry(
                    partial(client.complete_multipart_upload, bucket, self._key, upload_id, listed)
                )
            except NoSuchUpload:
                # Perhaps an earlier run (or another process) completed it.
                finished = self._settle_lost_upload(
                    client, plan, source_state, "the upload ID at completion", expected_crc
                )
                if finished is not None:
                    return finished
                continue
            except InvalidPart:
                self._record(TaskNote.PARTS_MISSING.text())
                continue
            server_crc = completed.crc64
            headers = completed.headers
            if server_crc is None:
                head = self._retry(lambda: client.head_object(bucket, self._key))
                server_crc, headers = head.crc64, {**completed.headers, **head.headers}
            verification = check_assembled(
                "the assembled object",
                server_crc,
                expected_crc,
                headers,
                (self._part_checks.get(spec.part_number, Verification.NONE) for spec in plan.parts()),
            )
            return JobOutcome(
                OutcomeKind.SUCCESS,
                result=FileResult(
                    location=completed.location,
                    bucket=completed.bucket or bucket,
                    key=completed.key or self._key,
                    etag=completed.etag,
                    version_id=completed.version_id,
                    crc64=expected_crc,
                    verification=verification,
                ),
            )
        raise IntegrityError(
            "the multipart upload could not be completed after starting over twice", code="UploadFailed"
        )

    def _list_parts(self, client: CosClient, upload_id: str) -> dict[int, tuple[str, int]]:
        """``{part_number: (etag, size)}`` of what the server holds for ``upload_id``."""

        def listing() -> dict[int, tuple[str, int]]:
            parts = client.iter_parts(self._bucket, self._key, upload_id)
            return {part.part_number: (part.etag, part.size) for part in parts}

        return self._retry(listing)

    def _settle_lost_upload(
        self,
        client: CosClient,
        plan: UploadPlan,
        source_state: SourceState,
        what: str,
        expected_crc: int | None = None,
    ) -> JobOutcome | None:
        """The server answered NoSuchUpload: someone completed or aborted the upload
        (another process running this task, a lifecycle rule, a person). Find out
        which: if the object at the key is the local file, the task is done (see
        check_existing_object); otherwise forget the upload and return None, and
        the caller starts a new one. Never a failure of its own."""
        bucket, key = self._bucket, self._key
        try:
            head: HeadObjectResult | None = self._retry(lambda: client.head_object(bucket, key))
        except CosError as error:
            if not _is_missing(error):
                raise
            head = None
        verification = None
        if head is not None and self._job.source.stat() == source_state:
            verification = check_existing_object(
                head,
                size=plan.size,
                part_count=plan.part_count,
                local_crc64=lambda: expected_crc if expected_crc is not None else self._local_crc64(plan),
            )
        self._part_checks = {}
        self._checkpoint = self._checkpoint.without_upload()
        if head is not None and verification is not None:
            log.info("NoSuchUpload for %s of %s: the object is already the local file", what, key)
            self._record(TaskNote.UPLOAD_LOST_OBJECT_COMPLETE.text())
            return JobOutcome(
                OutcomeKind.SUCCESS,
                result=FileResult(
                    location="",
                    bucket=bucket,
                    key=key,
                    etag=head.etag or "",
                    version_id=head.version_id,
                    crc64=head.crc64,
                    verification=verification,
                ),
            )
        log.info("NoSuchUpload for %s of %s: starting a new upload", what, key)
        self._record(TaskNote.UPLOAD_LOST_RESTARTED.text())
        return None

    def _local_crc64(self, plan: UploadPlan) -> int:
        """The CRC-64 of the local file: the recorded parts' CRC-64s, combined with
        those of the other parts read from the file."""
        specs = list(plan.parts())
        known = {
            n: part.crc64 for n, part in self._checkpoint.parts.items() if part.size == plan.part(n).size
        }
        unread = sum(spec.size for spec in specs if spec.part_number not in known)
        on_bytes = self._hash_reporter(unread) if unread else None
        crcs: list[tuple[int, int]] = []
        for spec in specs:
            crc = known.get(spec.part_number)
            if crc is None:
                crc = digest_region(
                    self._job.source, spec.offset, spec.size, with_md5=False, on_bytes=on_bytes
                ).crc64
            crcs.append((crc, spec.size))
        return combine_crc64(crcs)

    def _find_upload_id(self, client: CosClient) -> str | None:
        key = self._key
        uploads = self._retry(
            lambda: [u for u in client.iter_multipart_uploads(self._bucket, prefix=key) if u.key == key]
        )
        if not uploads:
            return None
        newest = max(uploads, key=lambda u: u.initiated.timestamp() if u.initiated else 0.0)
        return newest.upload_id

    def _verify_server_parts(
        self, plan: UploadPlan, server_parts: dict[int, tuple[str, int]]
    ) -> dict[int, PartRecord]:
        """The server's parts that hold exactly our local bytes. A part we recorded
        ourselves (same ETag and size, file unchanged) is trusted; any other is
        kept only if the MD5 of the local part equals its ETag, as Tencent's SDKs
        check. Notes in ``_part_checks`` how each kept part was verified."""
        kept: dict[int, PartRecord] = {}
        self._part_checks = {}
        to_hash: list[PartSpec] = []
        for spec in plan.parts():
            listed = server_parts.get(spec.part_number)
            if listed is None or listed[1] != spec.size:
                continue
            recorded = self._checkpoint.parts.get(spec.part_number)
            if recorded is not None and recorded.etag == listed[0] and recorded.size == spec.size:
                kept[spec.part_number] = recorded
                self._part_checks[spec.part_number] = recorded_part_check(recorded.etag)
            else:
                to_hash.append(spec)
        if to_hash:
            on_bytes = self._hash_reporter(sum(spec.size for spec in to_hash))
            for spec in to_hash:
                digest = digest_region(
                    self._job.source, spec.offset, spec.size, with_md5=True, on_bytes=on_bytes
                )
                etag = server_parts[spec.part_number][0]
                if etag_matches_md5(etag, digest.md5_hex):
                    kept[spec.part_number] = PartRecord(spec.part_number, etag, spec.size, digest.crc64)
                    self._part_checks[spec.part_number] = Verification.MD5
        return kept

    def _send_parts(self, client: CosClient, upload_id: str, missing: list[PartSpec]) -> None:
        """Send ``missing`` with as many in flight as the host allows (ChunkParallelLimit,
        or the tuned number, asked again while parts run). Waits for every started
        part to end before returning or raising, so no part worker outlives this run."""
        results: queue.Queue[_PartOutcome] = queue.Queue()
        abandon = JobControl()

        def check_stop() -> None:
            self._control.check()
            abandon.check()

        pending = list(reversed(missing))
        in_flight = 0
        first_error: BaseException | None = None
        while pending or in_flight:
            limit = self._host.parts_in_flight_limit(self._task_id)
            while pending and in_flight < limit and first_error is None:
                if self._control.stopped:
                    break
                spec = pending.pop()
                self._host.part_pool.start(
                    PartJob(
                        self._host,
                        self._job,
                        self._key,
                        client,
                        upload_id,
                        spec,
                        check_stop,
                        results,
                        self._habits,
                    )
                )
                in_flight += 1
            if not in_flight:
                break
            try:
                # Woken now and then to start more parts when the limit was raised.
                outcome = results.get(timeout=LIMIT_RECHECK_S if pending else None)
            except queue.Empty:
                continue
            in_flight -= 1
            if outcome.record is not None:
                self._checkpoint = self._checkpoint.with_part(outcome.record)
                self._part_checks[outcome.spec.part_number] = outcome.check or Verification.NONE
                self._host.job_part_done(self._task_id, outcome.record)
            else:
                error = outcome.error
                if first_error is None or (
                    isinstance(first_error, TaskInterrupted) and not isinstance(error, TaskInterrupted)
                ):
                    first_error = error
                # One part failed for good: the task goes to error, so stop its siblings.
                abandon.stop(StopReason.PAUSE)
        self._control.check()
        if first_error is not None:
            raise first_error

    # --- append ------------------------------------------------------------------

    def _append(self, client: CosClient, plan: UploadPlan, source_state: SourceState) -> JobOutcome:
        bucket, key = self._bucket, self._key
        try:
            head = self._retry(lambda: client.head_object(bucket, key))
        except CosError as error:
            if not _is_missing(error):
                raise
            head = None
        if head is not None and not head.appendable:
            raise IntegrityError(
                f"{key} exists and is not an appendable object; cannot append to it",
                code="ObjectNotAppendable",
            )
        if self._checkpoint.append_start_position is None:
            start = head.content_length if head is not None else 0
            start_crc = (head.crc64 or 0) if head is not None else 0
            self._record(append_start_position=start, append_start_crc64=start_crc, key_resolved=True)
        start = self._checkpoint.append_start_position or 0
        start_crc = self._checkpoint.append_start_crc64 or 0
        position = head.content_length if head is not None else 0
        already = position - start
        if not 0 <= already <= plan.size:
            raise IntegrityError(
                f"the appendable object {key} is {position} bytes; it was changed by someone else",
                code="AppendConflict",
            )
        crc = start_crc
        if already:
            local = digest_region(
                self._job.source, 0, already, with_md5=False, on_bytes=self._hash_reporter(already)
            )
            crc = crc64_combine(start_crc, local.crc64, already)
            if head is not None and head.crc64 is not None and head.crc64 != crc:
                raise IntegrityError(
                    f"the appendable object {key} does not hold the start of the local file",
                    code="AppendConflict",
                )
        self._host.job_progress(self._task_id, already)
        self._host.job_state(self._task_id, TaskState.UPLOADING)
        object_options = self._object_options()
        chunks = [
            (offset, min(plan.part_size, plan.size - offset))
            for offset in range(already, plan.size, plan.part_size)
        ]
        if plan.size == 0 and head is None:
            chunks = [(0, 0)]  # an empty appendable object still has to exist
        for offset, length in chunks:
            body = HashingBody(
                self._job.source.body(offset, length),
                before_last_chunk=partial(self._check_unchanged, source_state),
            )
            progress = AttemptProgress(self._host, self._task_id, self._control.check)
            append_at = position

            def attempt(
                body: HashingBody = body, progress: AttemptProgress = progress, append_at: int = append_at
            ) -> int:
                progress.rewind()
                try:
                    result = client.append_object(
                        bucket,
                        key,
                        append_at,
                        body,
                        options=object_options if append_at == start else None,
                        progress=progress.report,
                    )
                except PositionNotEqualToLength:
                    # A retry after an append the server did apply: accept it if
                    # the object now ends exactly where our chunk would.
                    now = client.head_object(bucket, key)
                    if now.content_length == append_at + body.content_length and body.complete:
                        return now.content_length
                    raise
                _check_sent_crc(body, None, "the appended chunk")
                return result.next_append_position

            try:
                position = call_with_retry(
                    attempt,
                    policy=self._host.retry_policy(self._options),
                    control=self._control,
                    on_retry=progress.before_retry,
                )
            except BaseException as error:
                progress.rewind(error)
                raise
            crc = crc64_combine(crc, body.crc64, length)
        head_after = self._retry(lambda: client.head_object(bucket, key))
        # No parts to fall back on: without the server's CRC-64 it is not verified.
        verification = check_assembled("the appendable object", head_after.crc64, crc, head_after.headers)
        if self._job.source.stat() != source_state:
            raise SourceChangedError(
                "the local file changed while it was being appended; restart to send it again"
            )
        return JobOutcome(
            OutcomeKind.SUCCESS,
            result=FileResult(
                location="",
                bucket=bucket,
                key=key,
                etag=head_after.etag or "",
                crc64=crc,
                verification=verification,
            ),
        )


def _check_sent_crc(body: HashingBody, server_crc: int | None, what: str) -> None:
    if not body.complete:
        raise IntegrityError(
            f"only {body.bytes_read} of {body.content_length} bytes of {what} were read "
            "(did the file change?)"
        )
    if server_crc is not None and server_crc != body.crc64:
        raise IntegrityError(f"the server's CRC-64 of {what} is {server_crc}, ours is {body.crc64}")


class PartJob:
    """Sends one part (with retries) and posts the outcome to its FileJob."""

    def __init__(
        self,
        host: JobHost,
        job: JobInput,
        key: str,
        client: CosClient,
        upload_id: str,
        spec: PartSpec,
        check_stop: Callable[[], None],
        results: queue.Queue[_PartOutcome],
        habits: ChecksumHabits,
    ) -> None:
        self._host = host
        self._job = job
        self._key = key
        self._client = client
        self._upload_id = upload_id
        self._spec = spec
        self._check_stop = check_stop
        self._results = results
        self._habits = habits

    def run(self) -> None:
        started_at = time.monotonic()
        try:
            record, check = self._upload()
        except BaseException as error:
            self._results.put(_PartOutcome(self._spec, error=error))
        else:
            self._host.job_request_done(self._job.spec.task_id, record.size, started_at, time.monotonic())
            self._results.put(_PartOutcome(self._spec, record=record, check=check))

    def _upload(self) -> tuple[PartRecord, Verification]:
        spec = self._spec
        options = self._job.spec.options
        source = self._job.source
        # Content-MD5 needs the MD5 before sending; check_stored may reuse it.
        known: RegionDigest | None = None
        if options.content_md5:
            known = digest_region(source, spec.offset, spec.size, with_md5=True)
        body = HashingBody(source.body(spec.offset, spec.size))
        progress = AttemptProgress(self._host, self._job.spec.task_id, self._check_stop)

        def local_digest() -> RegionDigest:
            return known or digest_region(source, spec.offset, spec.size, with_md5=True)

        def attempt() -> tuple[PartRecord, Verification]:
            progress.rewind()
            self._check_stop()
            body.with_md5 = self._habits.hash_md5_while_sending
            result = self._client.upload_part(
                self._job.spec.bucket,
                self._key,
                self._upload_id,
                spec.part_number,
                body,
                content_md5=md5_base64(known.md5_hex) if known and known.md5_hex else None,
                traffic_limit=options.traffic_limit,
                progress=progress.report,
            )
            self._habits.observe(result)
            check = check_stored(f"part {spec.part_number}", body, result, local_digest)
            return PartRecord(spec.part_number, result.etag, spec.size, body.crc64), check

        try:
            return call_with_retry(
                attempt,
                policy=self._host.retry_policy(options),
                control=_StopAdapter(self._check_stop),
                on_retry=progress.before_retry,
            )
        except BaseException as error:
            progress.rewind(error)
            raise


class _StopAdapter(JobControl):
    """A JobControl view of a plain stop-check function, for the retry helper:
    it checks before each attempt and wakes from backoff sleeps in slices."""

    def __init__(self, check_stop: Callable[[], None]) -> None:
        super().__init__()
        self._check_stop = check_stop

    def check(self) -> None:
        self._check_stop()

    def sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while True:
            self._check_stop()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            time.sleep(min(0.05, remaining))


class CleanupJob:
    """Aborts the multipart upload of a task canceled while no worker ran it."""

    def __init__(self, client: CosClient, bucket: str, key: str, upload_id: str, policy: RetryPolicy) -> None:
        self._client = client
        self._bucket = bucket
        self._key = key
        self._upload_id = upload_id
        self._policy = policy

    def run(self) -> None:
        try:
            call_with_retry(
                lambda: self._client.abort_multipart_upload(self._bucket, self._key, self._upload_id),
                policy=self._policy,
            )
        except NoSuchUpload:
            pass
        except Exception as error:
            log.warning("could not abort upload %s of %s: %s", self._upload_id, self._key, error)
