"""How fast the local server ingests PUT bodies (on demand: python -m pytest tests/bench -s).

The server runs in its own process (``python -m cosdesk serve``) so client and
server don't share a GIL, as in real use; the client is a raw httpx PUT
streaming a sparse file in 1 MiB chunks. Prints MB/s for 1 stream and for 4
parallel streams, and asserts the targets: 450 MB/s for one stream, and 4
streams at least as fast in total.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cosdesk.cos import auth

STREAM_BYTES = 512 * 1024 * 1024
CHUNK = 1024 * 1024
SECRET_ID, SECRET_KEY = "bench-id", "bench-key"
BUCKET = "benchbucket-1250000000"
HOST = f"{BUCKET}.cos.ap-guangzhou.myqcloud.com"


@pytest.fixture
def server_endpoint(tmp_path: Path) -> Iterator[str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cosdesk",
            "serve",
            "--root",
            str(tmp_path / "root"),
            "--port",
            "0",
            "--bucket",
            BUCKET,
            "--secret-id",
            SECRET_ID,
            "--secret-key",
            SECRET_KEY,
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert process.stdout is not None
    first_line = process.stdout.readline()
    endpoint = first_line.strip().rsplit(" ", 1)[-1]
    assert endpoint.startswith("http://"), first_line
    try:
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def sparse_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "sparse.bin"
    with open(path, "wb") as file:
        file.truncate(STREAM_BYTES)
    return path


def _chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK):
            yield chunk


def _put(client: httpx.Client, key: str, path: Path) -> None:
    headers = {"Host": HOST, "Content-Length": str(STREAM_BYTES)}
    signed = {name.lower(): value for name, value in headers.items()}
    headers["Authorization"] = auth.authorization(
        auth.Credentials(SECRET_ID, SECRET_KEY), "PUT", f"/{key}", {}, signed
    )
    response = client.put(f"/{key}", content=_chunks(path), headers=headers)
    assert response.status_code == 200, response.text


def _rate(streams: int, endpoint: str, path: Path) -> float:
    clients = [httpx.Client(base_url=endpoint, timeout=120) for _ in range(streams)]
    threads = [threading.Thread(target=_put, args=(c, f"bench-{i}", path)) for i, c in enumerate(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    for client in clients:
        client.close()
    return streams * STREAM_BYTES / elapsed / 1e6


def test_server_ingest_rate(server_endpoint: str, sparse_file: Path) -> None:
    one = _rate(1, server_endpoint, sparse_file)
    print(f"\n1 stream of {STREAM_BYTES >> 20} MiB: {one:.0f} MB/s")
    four = _rate(4, server_endpoint, sparse_file)
    print(f"4 streams of {STREAM_BYTES >> 20} MiB: {four:.0f} MB/s in total")
    assert one >= 450
    assert four >= one * 0.95
