"""A local COS server in a process of its own, as the window runs its sandbox:
its request handling never competes with the test's Qt thread for the GIL."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass
class ServerProcess:
    """A local COS server in a process of its own (what the window runs too), so
    its request handling never competes with the GUI thread for the GIL."""

    endpoint: str
    process: subprocess.Popen[str]


@contextmanager
def server_process(
    root: Path, bucket: str, secret_id: str, secret_key: str, region: str
) -> Iterator[ServerProcess]:
    """``cosdesk serve --port 0``; the endpoint is read from its first line."""
    command = [sys.executable, "-m", "cosdesk", "serve", "--port", "0", "--root", str(root)]
    command += ["--bucket", bucket, "--region", region, "--secret-id", secret_id, "--secret-key", secret_key]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        if "listening on " not in first:
            raise RuntimeError(f"cosdesk serve did not start: {first!r}")
        yield ServerProcess(first.rsplit("listening on ", 1)[1].strip(), process)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
