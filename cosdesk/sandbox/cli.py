"""``cosdesk serve``: the local COS-compatible server in the foreground."""

from __future__ import annotations

import argparse
import ipaddress
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from cosdesk.sandbox.server import (
    DEFAULT_BUCKET,
    DEFAULT_REGION,
    DEFAULT_SECRET_ID,
    DEFAULT_SECRET_KEY,
    SandboxServer,
)

# The first line `cosdesk serve` prints: the window and the tests read the endpoint after it.
LISTENING = "cosdesk serve: listening on "


def default_root() -> Path:
    # The same folder the window's embedded sandbox uses (and COSDESK_DATA_DIR moves).
    from cosdesk.config import data_dir

    return data_dir() / "sandbox"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.description = (
        "Run a local server that speaks the COS XML API (PUT, APPEND, POST form upload, multipart, "
        "listings) and checks COS signatures, so cosdesk and Tencent's SDKs can be used without a "
        "COS account. The first line printed is the endpoint."
    )
    parser.epilog = (
        "Point an SDK at it, for example with cos-python-sdk-v5:\n"
        "  CosConfig(IP='127.0.0.1', Port=PORT, Scheme='http', Region='ap-guangzhou',\n"
        f"            SecretId='{DEFAULT_SECRET_ID}', SecretKey='{DEFAULT_SECRET_KEY}')\n"
        "Buckets are taken from the Host header ({bucket}.cos.{region}.myqcloud.com), from the\n"
        "path (/{bucket}/{key}), or are the only configured bucket."
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=None,
        metavar="DIR",
        help="where objects and uploads are stored (default: the user data folder, "
        "e.g. ~/.local/share/cosdesk/sandbox)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=0, help="port to listen on; 0 picks a free one (default: 0)"
    )
    parser.add_argument(
        "--bucket",
        action="append",
        dest="buckets",
        metavar="NAME-APPID",
        help=f"a bucket to serve; repeatable (default: {DEFAULT_BUCKET})",
    )
    parser.add_argument(
        "--region", default=DEFAULT_REGION, help=f"region to report (default: {DEFAULT_REGION})"
    )
    parser.add_argument(
        "--secret-id",
        default=DEFAULT_SECRET_ID,
        metavar="ID",
        help=f"the SecretId requests must be signed with (default: {DEFAULT_SECRET_ID})",
    )
    parser.add_argument(
        "--secret-key",
        default=DEFAULT_SECRET_KEY,
        metavar="KEY",
        help=f"the matching SecretKey (default: {DEFAULT_SECRET_KEY})",
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
    faults = parser.add_argument_group("fault injection (for manual testing)")
    faults.add_argument(
        "--fault-error-rate",
        type=float,
        default=0.0,
        metavar="P",
        help="share of requests (0..1) answered 503 SlowDown",
    )
    faults.add_argument(
        "--fault-latency", type=float, default=0.0, metavar="SECONDS", help="delay before each request"
    )
    faults.add_argument(
        "--fault-bandwidth",
        type=int,
        default=None,
        metavar="BYTES_PER_S",
        help="read and send bodies no faster than this",
    )


def run(args: argparse.Namespace) -> int:
    root = args.root if args.root is not None else default_root()
    server = SandboxServer(
        root=root,
        host=args.host,
        port=args.port,
        buckets=args.buckets or [DEFAULT_BUCKET],
        credentials={args.secret_id: args.secret_key},
        region=args.region,
        auto_create_buckets=args.auto_create_buckets,
        allow_anonymous=args.allow_anonymous,
        discard_bodies=args.discard_bodies,
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
        print(f"  sign requests with SecretId {args.secret_id!r} and its SecretKey", end="")
        print(" (the built-in local pair, see --help)" if args.secret_key == DEFAULT_SECRET_KEY else "")
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
