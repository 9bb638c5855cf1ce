"""``cosdesk upload SRC… cos://BUCKET/PREFIX``: the upload engine without the window.

Runs an UploadQueue in a QCoreApplication event loop, shows progress (one
refreshing line on a terminal, plain lines otherwise), prints a summary and
exits non-zero when any file failed. Tasks go into the same database as the
window's (or ``--db`` / ``COSDESK_DB``), so an interrupted upload can be
finished with ``cosdesk tasks resume``.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shlex
import signal
import sys
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from cosdesk.cli_output import printable
from cosdesk.cli_pipe import ReaderSafeOut
from cosdesk.cos.credential_provider import CredentialSource
from cosdesk.cos.options import OBJECT_ACLS, STORAGE_CLASSES
from cosdesk.engine.options import (
    AUTOMATIC,
    DEFAULT_CHUNK_PARALLEL_LIMIT,
    DEFAULT_FILE_PARALLEL_LIMIT,
    ConflictPolicy,
    EndpointSpec,
    UploadMethodChoice,
    UploadOptions,
)
from cosdesk.engine.store import StoreError

if TYPE_CHECKING:  # the engine is imported only when it runs, not to parse arguments
    from cosdesk.cli_duplicates import IntakeOutcome
    from cosdesk.engine.loop import CommandLoop
    from cosdesk.engine.queue import UploadQueue

DB_ENV = "COSDESK_DB"
# Automatic retries through which a file waits for a lost network before it is
# reported failed: with the queue's delays (2, 5, 15, 30, 60 s), about two minutes.
COMMAND_NETWORK_WAITS = 5
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


class UsageError(Exception):
    """A command-line problem, printed as one line."""


def parse_size(text: str) -> int:
    """``8M``, ``1.5GiB``, ``1048576`` → bytes (binary units)."""
    match = _SIZE_RE.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size (e.g. 1048576, 8M, 1GiB)")
    return int(float(match.group(1)) * _SIZE_UNITS[match.group(2).lower()])


def parse_parallel(text: str) -> int:
    """``auto`` → ``AUTOMATIC`` (tuned while uploading); else a fixed number, at least 1."""
    if text.strip().lower() == "auto":
        return AUTOMATIC
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is neither auto nor a whole number of at least 1")
    return value


def parse_destination(text: str) -> tuple[str, str]:
    """``cos://BUCKET/PREFIX`` → (bucket, prefix)."""
    if not text.startswith("cos://"):
        raise UsageError(f"the destination must look like cos://BUCKET/PREFIX, not {text!r}")
    bucket, _, prefix = text[len("cos://") :].partition("/")
    if not bucket:
        raise UsageError(f"the destination {text!r} names no bucket")
    from cosdesk.cos.endpoint import validate_bucket
    from cosdesk.cos.errors import CosValidationError

    # Checked here, before anything is queued: the client would refuse each file
    # once the upload started, and every refusal would stay in the queue.
    try:
        validate_bucket(bucket)
    except CosValidationError as error:
        raise UsageError(f"{error} in {text!r}") from None
    return bucket, prefix


def add_account_arguments(parser: argparse.ArgumentParser) -> None:
    """Where to connect and which task database to use (shared with ``tasks``)."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = (
        "keys: from --credential-url (an organisation's credential server, which hands out\n"
        "temporary keys; extra headers it needs, 'Name: value' lines, in COS_CREDENTIAL_HEADERS),\n"
        "from --profile (saved in the window's Settings, kept in the system\n"
        "keyring), or from the environment: COS_CREDENTIAL_URL, else COS_SECRET_ID,\n"
        "COS_SECRET_KEY and, for temporary keys typed by hand, COS_SESSION_TOKEN. For a local\n"
        "sandbox you started (cosdesk serve), use the SecretId and SecretKey it printed at start,\n"
        "the pair you gave it, or the credential URL `cosdesk serve --sts` printed."
    )
    parser.add_argument(
        "--endpoint", help="a custom endpoint URL (e.g. the local server http://127.0.0.1:PORT)"
    )
    parser.add_argument("--region", help="the bucket's region (default: the profile's, or ap-guangzhou)")
    parser.add_argument("--profile", help="use a saved profile (keys from the system keyring)")
    parser.add_argument(
        "--credential-url",
        metavar="URL",
        help="ask this credential server for temporary keys (default: $COS_CREDENTIAL_URL); "
        "they are kept in memory and renewed before they expire",
    )
    parser.add_argument(
        "--credential-post",
        action="store_true",
        help="with a credential URL: ask by POST with the bucket, region and prefix as JSON (default: GET)",
    )
    parser.add_argument(
        "--virtual-host",
        action="store_true",
        help="with --endpoint: put the bucket in the host name, not the path",
    )
    parser.add_argument("--db", help=f"the task database (default: ${DB_ENV} or the app's data folder)")
    parser.add_argument(
        "--insecure", action="store_true", help="do not verify TLS certificates (private deployments only)"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="+", metavar="SRC… cos://BUCKET/PREFIX", help="files or folders, then the destination"
    )
    add_account_arguments(parser)
    add_transfer_arguments(parser)
    parser.add_argument(
        "--if-exists",
        "--conflict",
        dest="conflict",
        choices=[p.value for p in ConflictPolicy],
        default=None,
        help="when a key is already in the bucket, or two files given share one: overwrite (the "
        "default, as cp does), skip, rename (keep both: name (1).ext), or changed (skip a file "
        "whose object has its size and CRC-64, overwrite the others)",
    )
    parser.add_argument(
        "--append", action="store_true", help="append to appendable objects instead of replacing"
    )
    parser.add_argument("--empty-folders", action="store_true", help="upload empty folders as folder markers")


def add_transfer_arguments(parser: argparse.ArgumentParser) -> None:
    """How objects are sent: sizes, how many at once, object options, retries,
    output (shared with ``sync``)."""
    parser.set_defaults(conflict=None, append=False)
    parser.add_argument(
        "--slice-size", type=parse_size, help="files above this go multipart (default 1M, minimum 1M)"
    )
    parser.add_argument(
        "--part-size",
        type=parse_size,
        help="part size (default: 1M, raised for big files to about 64 parts of at most 16M)",
    )
    parser.add_argument(
        "--parallel-files",
        type=parse_parallel,
        default=None,
        metavar="N|auto",
        help="files at once: auto (the default: as many as make the upload faster, tuned "
        "while it runs; -v shows the numbers) or a fixed number",
    )
    parser.add_argument(
        "--parallel-parts",
        type=parse_parallel,
        default=None,
        metavar="N|auto",
        help="parts of a big file at once: auto (the default) or a fixed number",
    )
    parser.add_argument(
        "--storage-class",
        type=str.upper,
        choices=STORAGE_CLASSES,
        metavar="CLASS",
        help=f"the objects' storage class: {', '.join(STORAGE_CLASSES)} "
        "(default: the --profile's, else the bucket's)",
    )
    parser.add_argument(
        "--acl", choices=OBJECT_ACLS, help="the object's ACL (default: none sent: the bucket's applies)"
    )
    parser.add_argument("--traffic-limit", type=int, help="per-request limit in bit/s (819200..838860800)")
    parser.add_argument(
        "--bandwidth-limit", type=parse_size, default=None, help="total upload limit in bytes/s (e.g. 10M)"
    )
    parser.add_argument(
        "--meta",
        action="append",
        default=[],
        metavar="K=V",
        help="object metadata (x-cos-meta-K); repeatable",
    )
    parser.add_argument("--content-type", help="Content-Type of every object")
    parser.add_argument("--content-md5", action="store_true", help="send Content-MD5 with each request")
    parser.add_argument(
        "--meta-md5", action="store_true", help="store the file's MD5 as x-cos-meta-md5 (UploadAddMetaMd5)"
    )
    parser.add_argument("--retries", type=int, default=3, help="retries per request (default 3)")
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no progress display, only errors and the summary"
    )


@dataclass(frozen=True)
class Account:
    credentials: CredentialSource
    endpoint: EndpointSpec | None  # None: each stored task's own endpoint
    verify: bool
    profile: object | None = None
    # The options that get the same keys over the same checks in a later command
    # (the resume a run prints); keys from the environment stay the shell's.
    key_options: tuple[str, ...] = ()


def resolve_credentials(
    args: argparse.Namespace, destination: tuple[str, str] = ("", "")
) -> tuple[CredentialSource, object | None]:
    """Keys from ``--credential-url``, ``--profile`` (keyring, or the profile's
    credential server), ``COS_CREDENTIAL_URL``, or the COS_SECRET_ID /
    COS_SECRET_KEY / COS_SESSION_TOKEN environment variables. ``destination``
    (bucket, prefix) is what a POST to a credential server names."""
    from cosdesk import config

    credential_url = args.credential_url or (None if args.profile else config.credential_url_from_env())
    if credential_url:
        return _credential_server(credential_url, args, destination), None
    if args.profile:
        try:
            settings = config.load_settings()
            profile = settings.profiles.get(args.profile)
            if profile is None:
                raise UsageError(f"no profile named {args.profile!r} (create it in the window's settings)")
            if profile.uses_credential_server:
                from cosdesk.cos.credential_provider import CredentialProvider

                headers = config.load_credential_headers(profile.name)
                return CredentialProvider(config.credential_request(profile, headers)), profile
            credentials = config.load_credentials(args.profile)
        except config.ConfigError as error:
            raise UsageError(str(error)) from None
        if credentials is None:
            raise UsageError(f"profile {args.profile!r} has no keys in the system keyring")
        return credentials, profile
    credentials = config.credentials_from_env()
    if credentials is None:
        # With --endpoint, likely a local `cosdesk serve`: say where its keys are.
        local = (
            "; a local `cosdesk serve` takes the SecretId and SecretKey it printed at start"
            if getattr(args, "endpoint", None)
            else ""
        )
        raise UsageError(
            "no credentials: set COS_SECRET_ID and COS_SECRET_KEY (and COS_SESSION_TOKEN), "
            f"or use --profile{local}"
        )
    return credentials, None


def _credential_server(url: str, args: argparse.Namespace, destination: tuple[str, str]) -> CredentialSource:
    from cosdesk import config
    from cosdesk.cos.credential_provider import CredentialProvider, CredentialRequest, request_headers

    bucket, prefix = destination
    region = args.region or "ap-guangzhou"
    try:
        headers = request_headers(config.credential_headers_from_env())
    except ValueError as error:
        raise UsageError(f"{config.CREDENTIAL_HEADERS_ENV}: {error}") from None
    request = CredentialRequest(
        url, post=args.credential_post, bucket=bucket, region=region, prefix=prefix, headers=headers
    )
    return CredentialProvider(request, verify=not args.insecure)


def resolve_account(
    args: argparse.Namespace, *, need_endpoint: bool, destination: tuple[str, str] = ("", "")
) -> Account:
    credentials, profile = resolve_credentials(args, destination)
    region = args.region or getattr(profile, "region", "") or "ap-guangzhou"
    url = args.endpoint or getattr(profile, "endpoint", "") or None
    if url and not args.endpoint and profile is not None:
        from cosdesk.cos.endpoint import with_scheme

        # Settings saves an endpoint typed without a scheme as it is; the
        # account's "Use HTTPS" says which one it means.
        url = with_scheme(url, bool(getattr(profile, "use_https", True)))
    endpoint: EndpointSpec | None = None
    # The tasks name the profile: the window signs them with its keys, not with
    # those of another account that uploads to the same endpoint.
    profile_name = getattr(profile, "name", None)
    if url:
        path_style = not args.virtual_host if args.endpoint else bool(getattr(profile, "path_style", True))
        endpoint = EndpointSpec(region, url=url, path_style=path_style, profile=profile_name)
    elif need_endpoint or args.region or profile is not None:
        use_https = bool(getattr(profile, "use_https", True))
        endpoint = EndpointSpec(
            region,
            scheme="https" if use_https else "http",
            accelerate=bool(getattr(profile, "accelerate", False)),
            profile=profile_name,
        )
    if endpoint is not None:
        from cosdesk.cos.errors import CosValidationError
        from cosdesk.engine.clients import endpoint_from_spec

        try:
            endpoint_from_spec(endpoint)
        except CosValidationError as error:
            raise UsageError(str(error)) from None
    return Account(credentials, endpoint, not args.insecure, profile, _key_options(args, profile_name))


def _key_options(args: argparse.Namespace, profile_name: str | None) -> tuple[str, ...]:
    options: list[str] = []
    if args.credential_url:
        options += ["--credential-url", args.credential_url]
        if args.credential_post:
            options.append("--credential-post")
    elif profile_name:
        options += ["--profile", profile_name]
    if args.insecure:
        options.append("--insecure")
    return tuple(options)


def engine_limits(args: argparse.Namespace, profile: object | None) -> tuple[int, int]:
    """(files at once, bandwidth limit in bytes/s) from the flags, else the profile."""
    parallel_files = (
        args.parallel_files
        if args.parallel_files is not None
        else getattr(profile, "parallel_files", DEFAULT_FILE_PARALLEL_LIMIT)
    )
    bandwidth = args.bandwidth_limit
    if bandwidth is None:
        bandwidth = getattr(profile, "bandwidth_limit_bytes_per_s", 0)
    return parallel_files, bandwidth


def database_path(args: argparse.Namespace) -> Path:
    if args.db:
        return Path(args.db)
    if os.environ.get(DB_ENV):
        return Path(os.environ[DB_ENV])
    from cosdesk import config

    return config.data_dir() / "tasks.sqlite3"


def options_from_args(args: argparse.Namespace, profile: object | None) -> UploadOptions:
    metadata: dict[str, str] = {}
    for item in args.meta:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"--meta takes NAME=VALUE, not {item!r}")
        metadata[name] = value
    try:
        options = UploadOptions(
            # A size given as 0 is refused below, not taken for "the default".
            slice_size=args.slice_size
            if args.slice_size is not None
            else getattr(profile, "slice_size", 1024 * 1024),
            chunk_size=args.part_size if args.part_size is not None else 1024 * 1024,
            # An explicit --part-size is taken as it is.
            adaptive_part_size=args.part_size is None,
            chunk_parallel_limit=args.parallel_parts
            if args.parallel_parts is not None
            else getattr(profile, "parallel_parts", DEFAULT_CHUNK_PARALLEL_LIMIT),
            content_md5=args.content_md5,
            upload_add_meta_md5=args.meta_md5,
            retries=args.retries,
            conflict=ConflictPolicy(args.conflict or getattr(profile, "conflict_policy", "overwrite")),
            method=UploadMethodChoice.APPEND if args.append else UploadMethodChoice.AUTO,
            storage_class=args.storage_class or (getattr(profile, "storage_class", None) or None),
            acl=args.acl or (getattr(profile, "acl", None) or None),
            content_type=args.content_type,
            metadata=metadata,
            traffic_limit=args.traffic_limit,
        )
        # The headers they make, checked now: a value COS cannot take (a control
        # character, metadata over 2 KB) is the person's to fix before anything
        # is queued, not a failed task that a resume would send again.
        options.to_headers()
    except ValueError as error:
        raise UsageError(_in_flags(str(error))) from None
    return options


# The engine names the options as Tencent's SDKs do; the person typed our flags.
_FLAGS = {
    "SliceSize": "--slice-size",
    "ChunkSize": "--part-size",
    "ChunkParallelLimit": "--parallel-parts",
    "retries": "--retries",
    "traffic limit": "--traffic-limit",
}


def _in_flags(message: str) -> str:
    """``message`` with each option's name as the flag that sets it."""
    for name, flag in _FLAGS.items():
        if message.startswith(name + " "):
            return flag + message[len(name) :]
    return message


def run(args: argparse.Namespace) -> int:
    try:
        if len(args.paths) < 2:
            raise UsageError("give at least one file or folder and then the destination cos://BUCKET/PREFIX")
        *sources, destination = args.paths
        bucket, prefix = parse_destination(destination)
        missing = [source for source in sources if not os.path.exists(source)]
        if missing:
            raise UsageError(f"no such file or folder: {printable(missing[0])}")
        account = resolve_account(args, need_endpoint=True, destination=(bucket, prefix))
        options = options_from_args(args, account.profile)
        parallel_files, bandwidth = engine_limits(args, account.profile)
    except UsageError as error:
        print(f"cosdesk upload: {error}", file=sys.stderr)
        return 2

    intake: list[IntakeOutcome] = []

    def start(queue: UploadQueue) -> None:
        if options.conflict is ConflictPolicy.OVERWRITE or account.endpoint is None:
            queue.add_paths(
                sources, bucket, prefix, options, account.endpoint, include_empty_folders=args.empty_folders
            )
            return
        from cosdesk.cli_duplicates import queue_without_duplicates

        intake.append(
            queue_without_duplicates(
                queue,
                sources,
                bucket,
                prefix,
                options,
                account.endpoint,
                include_empty_folders=args.empty_folders,
                quiet=args.quiet,
            )
        )

    try:
        status = run_engine(
            account,
            database_path(args),
            parallel_files=parallel_files,
            bandwidth_limit=bandwidth,
            quiet=args.quiet,
            start=start,
            restore=False,
        )
    except StoreError as error:
        print(f"cosdesk upload: {error}", file=sys.stderr)
        return 1
    # What --if-exists left out or renamed, under the summary.
    said = intake[0].summary() if intake else ""
    if said:
        print(said)
    return status


def run_engine(
    account: Account,
    db_path: Path,
    *,
    parallel_files: int,
    bandwidth_limit: int,
    quiet: bool,
    start: Callable[..., None],
    restore: bool,
    restore_resume: bool = True,
    restore_ids: Collection[str] | None = None,
    summary: bool = True,
    out: TextIO | None = None,
    until_interrupted: bool = False,
    qt: bool = False,
) -> int:
    """Run a queue until nothing is left to do; 0 when every file succeeded, 1 when
    any failed, was left unfinished or could not be read, 130 on Ctrl-C (tasks
    stay resumable).

    ``restore_ids``: bring back only these stored tasks (the others are left as
    they are); ``summary``: print the summary (not for a cancel);
    ``until_interrupted``: run until Ctrl-C, which is then the normal end unless
    uploads were still running (a watched folder); ``qt``: run Qt's event loop,
    for the Qt objects a sync or a watch adds (an upload runs without Qt, whose
    import was about 60 ms of its start: engine/loop.py)."""
    loop = _command_loop(qt)
    from cosdesk.cli_progress import ProgressDisplay
    from cosdesk.engine.clients import ClientCache
    from cosdesk.engine.options import QueueSettings
    from cosdesk.engine.queue import UploadQueue
    from cosdesk.engine.store import TaskStore
    from cosdesk.engine.store_file import DatabaseRecreated
    from cosdesk.engine.task import TaskState

    # An upload goes on to its end if the reader of its lines goes away (cli_pipe.py).
    stream = ReaderSafeOut(out or sys.stdout)
    # Filled by the store's writer thread if the file is deleted meanwhile.
    database_notices: list[DatabaseRecreated] = []
    store = TaskStore(db_path, on_recreated=database_notices.append)
    clients = ClientCache(account.credentials, verify=account.verify)
    queue = UploadQueue(
        store,
        clients,
        # A lost network is waited for, as a lost credential server is: the command
        # would otherwise end with the file failed (QueueSettings.network_waits).
        QueueSettings(
            file_parallel_limit=parallel_files,
            bandwidth_limit_bytes_per_s=bandwidth_limit,
            network_waits=COMMAND_NETWORK_WAITS,
        ),
        default_endpoint=account.endpoint,
        loop=loop,
    )
    display = ProgressDisplay(queue, stream, quiet=quiet, notices=database_notices)
    interrupted = False
    if not until_interrupted:  # a watch waits for the files to come, and the server
        display.on_unreachable = loop.stop

    def on_sigint(_signum: int, _frame: object) -> None:
        nonlocal interrupted
        interrupted = not (until_interrupted and queue.is_idle())
        loop.stop()

    previous_handler = signal.signal(signal.SIGINT, on_sigint)
    idle_check = loop.timer(lambda: loop.stop() if queue.is_idle() else None, single_shot=True)
    if not until_interrupted:
        queue.idle.connect(loop.stop)
    started_at = time.monotonic()
    try:
        if restore:
            # Counted before any of them starts: counted after, the files this run
            # had already sent meanwhile were said to be another process's too
            # ("30612 uploaded (612 by another cosdesk process)" of 30,000).
            with queue.starts_held():
                queue.restore(resume=restore_resume, task_ids=restore_ids)
                restored = queue.task_figures()
            # Their bytes on the server as the queue restored them, left out of the
            # average speed (another process may have sent more since they were listed,
            # or finished them: engine/ownership.py).
            display.already_sent = sum(max(f.loaded, 0) for f in restored if not f.state.is_final)
            display.count_finished_elsewhere(f for f in restored if f.state is TaskState.SUCCESS)
        start(queue)
        # restore() may find nothing to do; idle then never fires by itself. (A
        # timer object, stopped at the end: one left pending would end the next
        # loop of this process, a watch's after a sync's.)
        if not until_interrupted:
            idle_check.start(0.5)
        loop.run()
        elapsed_s = time.monotonic() - started_at
        # With -v, the changes were logged as they came (engine/concurrency.py); this is where it ended.
        logging.getLogger(__name__).info("at once at the end: %s", queue.concurrency_status().describe())
    finally:
        signal.signal(signal.SIGINT, previous_handler)
        idle_check.stop()
        queue.shutdown(wait=True)
        # What ended since the loop last ran (or during the shutdown) is told to
        # the display before it counts: the totals below read the tasks themselves.
        queue.deliver_events()
        try:
            resume = _resume_command(store, queue, db_path, account) if summary else ""
            if summary:
                display.count_totals()
        finally:
            store.close()
            clients.close()
    if not summary:
        return 130 if interrupted else 0
    return display.finish(interrupted, elapsed_s, resume, watched=until_interrupted)


def _command_loop(qt: bool) -> CommandLoop:
    if not qt:
        from cosdesk.engine.loop import PlainLoop

        return PlainLoop()
    from cosdesk.engine.qt_loading import load_qt_core

    load_qt_core()  # first: every module imported after Qt is then loaded as usual
    from cosdesk.engine.qt_loop import QtLoop

    return QtLoop.for_command_line()


def _resume_command(store: object, queue: object, db_path: Path, account: Account) -> str:
    """The command that finishes what this run left: its tasks' batches, where
    its keys came from (without it the command said "no credentials"), and the
    database when it is not the one a plain command would use."""
    from cosdesk.cli_progress import resume_command
    from cosdesk.engine.queue import UploadQueue
    from cosdesk.engine.store import TaskStore
    from cosdesk.engine.task_listing import batch_tokens_of

    assert isinstance(store, TaskStore) and isinstance(queue, UploadQueue)
    left = [task.task_id for task in queue.task_figures() if not task.state.is_final]
    numbers: list[int] = []
    if left:  # this run's tasks: a look-up of their batches, not a read of every task
        with store.reading() as db:
            tokens = batch_tokens_of(db, left)
        numbers = sorted(number for token, number in store.batch_numbers().items() if token in tokens)
    command = resume_command(numbers)
    if account.key_options:
        command += " " + printable(shlex.join(account.key_options))
    if db_path != database_path(argparse.Namespace(db=None)):
        command += f" --db {printable(shlex.quote(str(db_path)))}"
    return command
