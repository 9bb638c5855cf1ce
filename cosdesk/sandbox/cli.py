"""``cosdesk serve``: the local COS-compatible server in the foreground."""

from __future__ import annotations

import argparse
import ipaddress
import os
import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Literal

from cosdesk.sandbox.keys import (
    SECRET_ID_ENV,
    SECRET_KEY_ENV,
    KeyPairError,
    new_key_pair,
    take_key_pair_from_environment,
)
from cosdesk.sandbox.public import (
    CREDENTIAL_URL,
    DEFAULT_BUCKET,
    DEFAULT_REGION,
    LISTENING,
    make_private_root,
)
from cosdesk.sandbox.routing import BUCKET_NAME
from cosdesk.sandbox.server import SandboxServer
from cosdesk.sandbox.sts import DEFAULT_DURATION_S

# Start-up lines with a fresh pair, which is printed only when the server made it.
SECRET_ID_LINE = "  SecretId:  "
SECRET_KEY_LINE = "  SecretKey: "


def default_root() -> Path:
    # The same folder the window's embedded sandbox uses (and COSDESK_DATA_DIR moves).
    from cosdesk.config import data_dir

    return data_dir() / "sandbox"


def _port(text: str) -> int:
    """A TCP port (0..65535) for argparse: anything else is a one-line usage error."""
    return int(_number(text, "a port", 0, 65535, whole=True))


def _number(text: str, what: str, low: float, high: float | None = None, *, whole: bool = False) -> float:
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        value = None
    if value is None or value != value or value < low or (high is not None and value > high):
        bounds = f"{low:g} to {high:g}" if high is not None else f"at least {low:g}"
        raise argparse.ArgumentTypeError(f"{text!r} is not {what} ({bounds})")
    return value


def _share(text: str) -> float:
    return _number(text, "a share", 0, 1)


def _seconds(text: str) -> float:
    return _number(text, "a number of seconds", 0)


def _duration(text: str) -> float:
    return _number(text, "a number of seconds", 1)


def _rate(text: str) -> int:
    return int(_number(text, "a rate in bytes a second", 1, whole=True))


def _bucket(text: str) -> str:
    if not BUCKET_NAME.match(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a bucket name of the form NAME-APPID (lower-case letters, digits "
            "and '-', then the numeric APPID, like examplebucket-1250000000)"
        )
    return text


def _region(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("the region cannot be empty (e.g. ap-guangzhou)")
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.description = (
        "Run a local server that speaks the COS XML API (PUT, APPEND, POST form upload, multipart, "
        "copy, listings, list buckets, DeleteObjects) and checks COS signatures and AWS Signature V4, "
        "so cosdesk, Tencent's SDKs and S3 tools can be used without a COS account. The first line "
        "printed is the endpoint."
    )
    parser.epilog = (
        "Keys: requests must be signed with one key pair. Without one, the server makes a fresh\n"
        "random pair at each start and prints it (SecretId and SecretKey). To keep a pair, set\n"
        f"{SECRET_ID_ENV} and {SECRET_KEY_ENV} in the environment (the\n"
        "window hands its sandbox its pair this way) or pass --secret-id and --secret-key; the\n"
        "command line, unlike the environment, is visible to every user of this computer (ps).\n"
        "\n"
        "Point an SDK at it, for example with cos-python-sdk-v5:\n"
        "  CosConfig(IP='127.0.0.1', Port=PORT, Scheme='http', Region='ap-guangzhou',\n"
        "            SecretId='PRINTED-SECRET-ID', SecretKey='PRINTED-SECRET-KEY')\n"
        "Buckets are taken from the Host header ({bucket}.cos.{region}.myqcloud.com), from the\n"
        "path (/{bucket}/{key}), or are the only configured bucket."
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=None,
        metavar="DIR",
        help="where objects and uploads are stored (default: the user data folder, "
        "e.g. ~/.local/share/cosdesk/sandbox); a folder it creates is readable by you alone",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument(
        "--port", type=_port, default=0, help="port to listen on; 0 picks a free one (default: 0)"
    )
    parser.add_argument(
        "--bucket",
        action="append",
        dest="buckets",
        type=_bucket,
        metavar="NAME-APPID",
        help=f"a bucket to serve; repeatable (default: {DEFAULT_BUCKET})",
    )
    parser.add_argument(
        "--region", type=_region, default=DEFAULT_REGION, help=f"region to report (default: {DEFAULT_REGION})"
    )
    parser.add_argument(
        "--secret-id",
        default=None,
        metavar="ID",
        help=f"the SecretId requests must be signed with (default: ${SECRET_ID_ENV}, "
        "else a fresh random pair, printed at start)",
    )
    parser.add_argument(
        "--secret-key",
        default=None,
        metavar="KEY",
        help=f"the matching SecretKey (default: ${SECRET_KEY_ENV}); visible to other users "
        "in the process list: prefer the environment",
    )
    parser.add_argument(
        "--auto-create-buckets",
        action="store_true",
        help="create any bucket named NAME-APPID on first use instead of answering NoSuchBucket",
    )
    parser.add_argument(
        "--allow-anonymous", action="store_true", help="accept requests without a signature (default: refuse)"
    )
    parser.add_argument(
        "--discard-bodies",
        action="store_true",
        help="benchmarking aid: answer every request as usual (ETags, CRC-64, multipart, listings) "
        "but throw object bodies away instead of storing them, so a client's own cost shows; "
        "GET of an object then answers 501",
    )
    parser.add_argument(
        "--stop-with-stdin",
        action="store_true",
        help="stop when standard input closes: the window starts its sandbox this way, so the "
        "server never outlives it, even after a crash",
    )
    sts = parser.add_argument_group("temporary keys (playing an organisation's credential server)")
    sts.add_argument(
        "--sts",
        action="store_true",
        help="also serve a credential URL (printed at start) that hands out temporary keys, in the "
        "shape Tencent's STS SDKs produce; requests signed with them are refused once they expire "
        "(ExpiredToken) or outside --sts-prefix (AccessDenied)",
    )
    sts.add_argument(
        "--sts-duration",
        type=_duration,
        default=DEFAULT_DURATION_S,
        metavar="SECONDS",
        help=f"how long temporary keys live (default: {DEFAULT_DURATION_S})",
    )
    sts.add_argument(
        "--sts-prefix",
        default="",
        metavar="PREFIX",
        help="temporary keys reach only object keys under this prefix (default: the whole bucket)",
    )
    sts.add_argument(
        "--sts-header",
        metavar="'NAME: VALUE'",
        help="the credential URL answers only requests carrying this header (e.g. "
        "'Authorization: Bearer TOKEN'), as an organisation's would (default: any request)",
    )
    faults = parser.add_argument_group("fault injection (for manual testing)")
    faults.add_argument(
        "--fault-error-rate",
        type=_share,
        default=0.0,
        metavar="P",
        help="share of requests (0..1) answered 503 SlowDown",
    )
    faults.add_argument(
        "--fault-latency", type=_seconds, default=0.0, metavar="SECONDS", help="delay before each request"
    )
    faults.add_argument(
        "--fault-bandwidth",
        type=_rate,
        default=None,
        metavar="BYTES_PER_S",
        help="read and send bodies no faster than this",
    )


@dataclass(frozen=True)
class _Keys:
    """The pair the server checks, and where it came from (which says how to show it)."""

    secret_id: str
    secret_key: str
    origin: Literal["fresh", "environment", "command line"]


def _choose_keys(args: argparse.Namespace) -> _Keys:
    """The command line's pair, else the environment's, else a fresh one. Raises KeyPairError."""
    from_environment = take_key_pair_from_environment(os.environ)
    if args.secret_id is not None or args.secret_key is not None:
        if not args.secret_id or not args.secret_key:
            raise KeyPairError("--secret-id and --secret-key go together: give both or neither")
        return _Keys(args.secret_id, args.secret_key, "command line")
    if from_environment is not None:
        return _Keys(*from_environment, "environment")
    return _Keys(*new_key_pair(), "fresh")


def _print_keys(keys: _Keys) -> None:
    # The window's pair comes in the environment and is never printed: the window
    # logs this output. A fresh pair must be printed, or nobody could use it.
    if keys.origin == "fresh":
        print(f"{SECRET_ID_LINE}{keys.secret_id}")
        print(f"{SECRET_KEY_LINE}{keys.secret_key}")
        print(
            f"  (a fresh pair for this run only: set {SECRET_ID_ENV} and {SECRET_KEY_ENV} "
            "to keep one, see --help)"
        )
    elif keys.origin == "environment":
        print(f"  keys:    the pair in {SECRET_ID_ENV} and {SECRET_KEY_ENV}")
    else:
        print(f"  keys:    SecretId {keys.secret_id!r} and its SecretKey (from the command line)")


def run(args: argparse.Namespace) -> int:
    root = args.root if args.root is not None else default_root()
    required_header: tuple[str, str] | None = None
    if args.sts_header:
        name, colon, value = args.sts_header.partition(":")
        if not colon or not name.strip():
            print("cosdesk serve: --sts-header takes 'NAME: VALUE'", file=sys.stderr)
            return 2
        required_header = (name.strip(), value.strip())
    if args.sts and args.sts_duration <= 0:
        print("cosdesk serve: --sts-duration must be a positive number of seconds", file=sys.stderr)
        return 2
    try:
        keys = _choose_keys(args)
    except KeyPairError as error:
        print(f"cosdesk serve: {error}", file=sys.stderr)
        return 2
    try:
        if not root.exists() or args.root is None:
            make_private_root(root)
    except OSError as error:
        print(f"cosdesk serve: cannot use {root}: {error.strerror or error}", file=sys.stderr)
        return 1
    server = SandboxServer(
        root=root,
        host=args.host,
        port=args.port,
        buckets=args.buckets or [DEFAULT_BUCKET],
        credentials={keys.secret_id: keys.secret_key},
        region=args.region,
        auto_create_buckets=args.auto_create_buckets,
        allow_anonymous=args.allow_anonymous,
        discard_bodies=args.discard_bodies,
        sts_duration_s=args.sts_duration if args.sts else None,
        sts_prefix=args.sts_prefix,
        sts_required_header=required_header,
    )
    server.faults.update(
        error_rate=args.fault_error_rate,
        latency_s=args.fault_latency,
        bandwidth_bytes_per_s=args.fault_bandwidth,
    )
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    if args.stop_with_stdin:
        threading.Thread(target=_stop_at_end_of_input, args=(stop,), daemon=True).start()
    try:
        server.start()
    except OSError as error:
        print(
            f"cosdesk serve: cannot listen on {args.host}:{args.port}: {error.strerror or error}",
            file=sys.stderr,
        )
        return 1
    try:
        print(f"{LISTENING}{server.endpoint}", flush=True)
        print(f"  root:    {root}")
        print(f"  buckets: {', '.join(server.buckets)} (region {server.region})")
        if args.discard_bodies:
            print("  bodies:  discarded (--discard-bodies): objects have sizes and ETags but no bytes")
        _print_keys(keys)
        if server.credential_url is not None:
            scope = f"keys under {args.sts_prefix!r}" if args.sts_prefix else "the whole bucket"
            print(f"{CREDENTIAL_URL}{server.credential_url}")
            print(f"  temporary keys live {args.sts_duration:g} s and reach {scope}")
            if required_header is not None:
                print(f"  only for requests with the {required_header[0]} header given by --sts-header")
        if not _is_loopback(args.host):
            print(
                f"cosdesk serve: warning: listening on {args.host}, reachable from other machines; "
                "the local server is meant for this machine only",
                file=sys.stderr,
            )
        print("  stop with Ctrl+C", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    print("cosdesk serve: stopped", flush=True)
    return 0


def _stop_at_end_of_input(stop: threading.Event) -> None:
    # The parent holds the other end of the pipe: when it exits, however it
    # exits, the read returns end-of-file.
    while sys.stdin.buffer.read(4096):
        pass
    stop.set()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
