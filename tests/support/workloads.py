"""Helpers of the reliability suite: files to upload, running the ``cosdesk``
command, and checking what the server holds (the engine and its waits are in
``support/engine_queue.py``)."""

from __future__ import annotations

import logging
import os
import random
import re
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cosdesk.cos.client import CosClient
from cosdesk.cos.crc import crc64_file

BUCKET = "examplebucket-1250000000"
REGION = "ap-guangzhou"
SECRET_ID = "AKIDcosdeskTESTsecretid"
SECRET_KEY = "cosdesk-TEST-secret-key-0123456789"
KiB = 1024
MiB = 1024 * KiB
ROOT = Path(__file__).resolve().parents[2]


def random_bytes(rng: random.Random, size: int) -> bytes:
    return rng.randbytes(size)


def write_random_file(path: Path, size: int, rng: random.Random | None = None) -> Path:
    """A file of ``size`` random bytes (written in 1 MiB pieces)."""
    rng = rng or random.Random()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        remaining = size
        while remaining:
            piece = rng.randbytes(min(MiB, remaining))
            out.write(piece)
            remaining -= len(piece)
    return path


def human(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} B"


def object_matches_file(cos: CosClient, key: str, path: Path, *, full_compare: bool = False) -> bool:
    """The object has the file's size and CRC-64 (and, with ``full_compare``, its
    exact bytes, fetched with GET)."""
    head = cos.head_object(BUCKET, key)
    if head.content_length != path.stat().st_size or head.crc64 != crc64_file(path):
        return False
    if full_compare:
        got = cos.get_object(BUCKET, key)
        return got.content == path.read_bytes()
    return True


def cosdesk(
    *args: str,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 120,
    secret_key: str = SECRET_KEY,
) -> subprocess.CompletedProcess[str]:
    """``python -m cosdesk ARGS`` as a user runs it (keys from the environment)."""
    full_env = {
        **os.environ,
        "COS_SECRET_ID": SECRET_ID,
        "COS_SECRET_KEY": secret_key,
        "PYTHONPATH": str(ROOT),
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "cosdesk", *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )


@dataclass
class ServerLog:
    """Counts what the local server did, from its debug log: answers by status,
    and connections it reset on purpose."""

    statuses: dict[str, int]

    def count(self, status: str) -> int:
        return self.statuses.get(status, 0)


class ServerLogCounter(logging.Handler):
    """Attach to the ``cosdesk.sandbox`` logger to count answers by status."""

    _LINE = re.compile(r" -> (\S+) in ")

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statuses: dict[str, int] = {}
        self._logger = logging.getLogger("cosdesk.sandbox")
        self._previous_level = self._logger.level

    def emit(self, record: logging.LogRecord) -> None:
        match = self._LINE.search(record.getMessage())
        if match:
            self.statuses[match.group(1)] = self.statuses.get(match.group(1), 0) + 1

    def __enter__(self) -> ServerLogCounter:
        self._logger.addHandler(self)
        self._logger.setLevel(logging.DEBUG)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._logger.removeHandler(self)
        self._logger.setLevel(self._previous_level)

    def count(self, status: str) -> int:
        return self.statuses.get(status, 0)


def elapsed_since(started: float) -> str:
    return f"{time.monotonic() - started:.1f} s"
