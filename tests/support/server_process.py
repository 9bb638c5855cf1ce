"""``cosdesk serve`` in a process of its own, as the window runs its sandbox: its
request handling never competes with the test's threads for the GIL."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cosdesk.sandbox.cli import LISTENING
from cosdesk.sandbox.server import DEFAULT_REGION


@dataclass
class ServerProcess:
    endpoint: str
    process: subprocess.Popen[str]


@contextmanager
def server_process(
    root: Path,
    bucket: str,
    secret_id: str,
    secret_key: str,
    region: str = DEFAULT_REGION,
    extra_args: Sequence[str] = (),
) -> Iterator[ServerProcess]:
    """``cosdesk serve --port 0`` (and ``extra_args``); the endpoint is read from
    its first line."""
    command = [sys.executable, "-m", "cosdesk", "serve", "--port", "0", "--root", str(root)]
    command += ["--bucket", bucket, "--region", region, "--secret-id", secret_id, "--secret-key", secret_key]
    command += extra_args
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        if not first.startswith(LISTENING):
            raise RuntimeError(f"cosdesk serve did not start: {first!r}")
        yield ServerProcess(first[len(LISTENING) :].strip(), process)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
