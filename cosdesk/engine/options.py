"""Upload options: one object per task with the seed's names and documented defaults.

``UploadOptions`` holds everything that decides how one file is sent and what the
stored object looks like. ``QueueSettings`` holds what the whole queue shares
(FileParallelLimit, the global bandwidth limit, what happens at start-up).
Both are frozen: a task's options never change under a running worker.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from cosdesk.cos.options import ObjectOptions

MiB = 1024 * 1024

# SliceSize below 1 MB is refused by COS's SDKs: a multipart part must be at least 1 MB.
MIN_SLICE_SIZE = 1 * MiB
DEFAULT_SLICE_SIZE = 1 * MiB
# ChunkSize: the JS SDK's part size, 1 MB by default; the plan raises it for big files.
DEFAULT_CHUNK_SIZE = 1 * MiB
# Adaptive part size (see UploadOptions.adaptive_part_size): a big file is cut into
# about this many parts, each at most ADAPTIVE_MAX_PART_SIZE.
ADAPTIVE_PART_COUNT = 64
ADAPTIVE_MAX_PART_SIZE = 16 * MiB
# A parallel limit of 0: tuned while the queue runs (engine/concurrency.py), as a
# bandwidth limit of 0 is none. Any other number is a fixed limit.
AUTOMATIC = 0
DEFAULT_CHUNK_PARALLEL_LIMIT = AUTOMATIC
DEFAULT_FILE_PARALLEL_LIMIT = AUTOMATIC
DEFAULT_RETRIES = 3
# A sync, and a check for duplicates, run this many HEADs and local CRC-64s of
# same-size files at a time.
COMPARE_WORKERS = 8
# x-cos-traffic-limit, in bit/s, as COS accepts it (see ARCHITECTURE.md, 'Traffic limit').
MIN_TRAFFIC_LIMIT = 819_200
MAX_TRAFFIC_LIMIT = 838_860_800


class ConflictPolicy(enum.StrEnum):
    """What to do when the destination key already exists."""

    OVERWRITE = "overwrite"  # COS's own behaviour, no HEAD needed
    SKIP = "skip"  # leave the existing object, report the task as done
    RENAME = "rename"  # upload under "name (1).ext", "name (2).ext", ...
    # Skip a file when the object already there has its size and CRC-64 (the same
    # bytes), overwrite it otherwise: a folder added again sends what changed.
    CHANGED = "changed"


class UploadMethodChoice(enum.StrEnum):
    """How a task asks to be sent; AUTO lets SliceSize decide."""

    AUTO = "auto"
    APPEND = "append"  # append the file to an appendable object (POST ?append)


@dataclass(frozen=True)
class UploadOptions(ObjectOptions):
    """Options of one upload task (the seed's uploadFile / sliceUploadFile parameters).

    Transfer settings:
    - ``slice_size`` (SliceSize, default 1 MiB, minimum 1 MiB): files of at most this
      many bytes go by PUT Object, larger ones by multipart upload.
    - ``chunk_size`` (ChunkSize, default 1 MiB): the preferred part size; raised so
      a file never needs more than 10,000 parts.
    - ``adaptive_part_size`` (default on): also raise the part size of a big file so
      it has about 64 parts, up to 16 MiB each (a 1 GiB file: 16 MiB parts). Each
      request has a fixed cost (signing, headers, a database row, a thread hop):
      with 1 MiB parts it is most of the CPU time and halves the speed on a fast
      link. Memory does not grow (parts are streamed); a crash re-sends at most the
      parts in flight. Off: ``chunk_size`` exactly (``--part-size`` turns it off).
    - ``chunk_parallel_limit`` (AsyncLimit / ChunkParallelLimit, default
      ``AUTOMATIC``): parts of this file in flight at once; automatic: as many
      as fill the link, tuned while the queue runs (``engine/concurrency.py``).
      The seed's default was a fixed 3.
    - ``content_md5`` (ContentMD5, default off): send ``Content-MD5`` with each
      request so the server rejects a body that changed in flight.
    - ``upload_add_meta_md5`` (UploadAddMetaMd5, default off): hash the whole file
      first and store its hex MD5 as ``x-cos-meta-md5``.
    - ``retries`` (default 3): retries of one request before the task goes to error.
    - ``conflict``: overwrite (default), skip or rename when the key exists.
    - ``method``: AUTO (PUT or multipart by size) or APPEND.

    Object settings (stored with the object): ``storage_class``, ``acl``, the
    ``grant_*`` lists, ``cache_control``, ``content_disposition``,
    ``content_encoding``, ``content_type``, ``expires``, ``metadata``
    (``x-cos-meta-*`` without the prefix), extra ``headers``, and
    ``traffic_limit`` (``x-cos-traffic-limit``, bit/s, 819200..838860800).

    The object settings are ``ObjectOptions``' own fields (inherited, declared
    once); ``metadata`` and ``headers`` are read-only mappings.
    """

    slice_size: int = DEFAULT_SLICE_SIZE
    chunk_size: int = DEFAULT_CHUNK_SIZE
    adaptive_part_size: bool = True
    chunk_parallel_limit: int = DEFAULT_CHUNK_PARALLEL_LIMIT
    content_md5: bool = False
    upload_add_meta_md5: bool = False
    retries: int = DEFAULT_RETRIES
    conflict: ConflictPolicy = ConflictPolicy.OVERWRITE
    method: UploadMethodChoice = UploadMethodChoice.AUTO

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.slice_size < MIN_SLICE_SIZE:
            raise ValueError(f"SliceSize must be at least {MIN_SLICE_SIZE} bytes (1 MiB)")
        if self.chunk_size < MIN_SLICE_SIZE:
            raise ValueError(f"ChunkSize must be at least {MIN_SLICE_SIZE} bytes (1 MiB)")
        if self.chunk_parallel_limit < 0:
            raise ValueError("ChunkParallelLimit must be at least 1, or 0 for automatic")
        if self.retries < 0:
            raise ValueError("retries cannot be negative")
        if (
            self.traffic_limit is not None
            and not MIN_TRAFFIC_LIMIT <= self.traffic_limit <= MAX_TRAFFIC_LIMIT
        ):
            raise ValueError(
                f"traffic limit must be {MIN_TRAFFIC_LIMIT}..{MAX_TRAFFIC_LIMIT} bit/s, "
                f"got {self.traffic_limit}"
            )
        # Normalise enums given as strings (from JSON, the CLI) so comparisons hold.
        object.__setattr__(self, "conflict", ConflictPolicy(self.conflict))
        object.__setattr__(self, "method", UploadMethodChoice(self.method))

    def with_changes(self, **changes: Any) -> UploadOptions:
        return replace(self, **changes)

    def to_json(self) -> str:
        values = {item.name: getattr(self, item.name) for item in fields(self)}
        return json.dumps(
            {name: dict(value) if isinstance(value, Mapping) else value for name, value in values.items()},
            sort_keys=True,
        )

    def object_options(self) -> ObjectOptions:
        """Only the settings stored with the object (what the client sends)."""
        return ObjectOptions(**{item.name: getattr(self, item.name) for item in fields(ObjectOptions)})

    @classmethod
    def from_json(cls, text: str) -> UploadOptions:
        """Options stored by :meth:`to_json`; names this version does not know are
        ignored so an older program can read a newer database."""
        raw = json.loads(text)
        known = {f.name for f in fields(cls)}
        return cls(**{name: value for name, value in raw.items() if name in known})


@dataclass(frozen=True)
class QueueSettings:
    """Settings of the whole queue.

    - ``file_parallel_limit`` (FileParallelLimit, default ``AUTOMATIC``): files
      uploading at once; automatic: tuned while the queue runs
      (``engine/concurrency.py``). The seed's default was a fixed 3.
    - ``bandwidth_limit_bytes_per_s`` (default 0 = unlimited): a global cap on what
      all workers send together; change it while running with
      ``UploadQueue.set_bandwidth_limit``.
    - ``resume_on_start`` (default False): unfinished tasks found in the database
      at start-up go back to waiting (True) or stay paused (False).
    - ``retry_base_delay_s`` / ``retry_max_delay_s``: the exponential backoff of
      the retry helper (full jitter).
    - ``list_update_interval_ms`` (default 100): how often coalesced events fire.
    - ``network_retry_delays_s`` (default 2, 5, 15, 30, 60 s): a task that ran out of
      retries on a network failure or a 5xx answer starts again by itself after the
      first delay, then the next, then every last one until it succeeds (never after
      a 4xx refusal; pause or cancel stops it). Empty: never by itself.
    - ``credential_server_waits`` (default 5): a task whose credential server gave
      no keys waits for it through this many of those retries (about two minutes
      with the default delays) with the queue counted busy, so ``cosdesk upload``
      waits rather than ending with the file failed. Later retries are ordinary.
    - ``network_waits`` (default 0; the command line's 5): the same for a task
      that got no answer at all (refused, reset, timed out) after the queue's
      requests had been answered: the network was lost, and a command rides out
      about two minutes of it. A first request that gets no answer (a wrong
      endpoint, a server that is down) fails as before. The window stays open and
      retries anyway.
    - ``request_poll_interval_s`` (default 1): how often the queue looks in the
      database for pause / cancel requests from another process (``cosdesk tasks``).
    - ``background_workers`` (default False): worker threads run below normal
      priority, so a GUI thread in the same process gets the CPU and the GIL first
      (see ``engine/thread_priority.py``). The window sets it; the command line does not.
    - ``live_task_limit`` (default 5,000): tasks kept whole in memory; past it, the
      tasks with nothing to do for now go at rest (``engine/resting.py``).
    - ``wake_batch`` (default 500): waiting tasks kept whole ahead of the running
      ones, and read back from the database at a time.
    """

    file_parallel_limit: int = DEFAULT_FILE_PARALLEL_LIMIT
    bandwidth_limit_bytes_per_s: int = 0
    resume_on_start: bool = False
    retry_base_delay_s: float = 0.5
    retry_max_delay_s: float = 20.0
    list_update_interval_ms: int = 100
    network_retry_delays_s: tuple[float, ...] = (2.0, 5.0, 15.0, 30.0, 60.0)
    credential_server_waits: int = 5
    network_waits: int = 0
    request_poll_interval_s: float = 1.0
    background_workers: bool = False
    live_task_limit: int = 5_000
    wake_batch: int = 500

    def __post_init__(self) -> None:
        if self.wake_batch < 1 or self.live_task_limit < self.wake_batch:
            raise ValueError("live_task_limit must be at least wake_batch, and wake_batch at least 1")
        if self.file_parallel_limit < 0:
            raise ValueError("FileParallelLimit must be at least 1, or 0 for automatic")
        if self.bandwidth_limit_bytes_per_s < 0:
            raise ValueError("bandwidth limit cannot be negative")


@dataclass(frozen=True)
class EndpointSpec:
    """Where a task's bucket lives, stored with the task so ``cosdesk tasks resume``
    (or the next start of the window) reaches the same service.

    ``url`` set: a custom endpoint (the local server, a private deployment),
    path-style when ``path_style``; otherwise COS's public endpoint for ``region``.
    ``profile`` names the account the task was queued under, whose keys sign its
    requests: the accounts of one region share COS's endpoint, so where requests
    go cannot say whose they are (see ARCHITECTURE.md, 'Endpoints'). None: keys
    chosen by the place alone (the local sandbox, keys from the environment,
    tasks of versions that stored no name).
    Credentials are never part of it.
    """

    region: str
    url: str | None = None
    path_style: bool = True
    scheme: str = "https"
    accelerate: bool = False
    profile: str | None = None

    def without_profile(self) -> EndpointSpec:
        """Where requests go, whoever signs them: the same object is the same
        place under any account."""
        return replace(self, profile=None) if self.profile is not None else self

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> EndpointSpec:
        raw = json.loads(text)
        known = {f.name for f in fields(cls)}
        return cls(**{name: value for name, value in raw.items() if name in known})
