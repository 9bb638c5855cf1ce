"""What the engine calls a finished upload, through a proxy that makes the local
server look like a COS-compatible server that is not COS: no CRC-64 header,
bytes damaged in flight, ETags that are not MD5s. And what it does when the
server forgets a multipart upload in the middle (someone completed or aborted it).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support.engine_queue import Engine
from support.http_proxy import Exchange, Headers, HttpProxy, strip_headers

from cosdesk.cos.client import CosClient
from cosdesk.cos.crc import crc64_file
from cosdesk.cos.errors import CosError
from cosdesk.engine.notes import TaskNote
from cosdesk.engine.options import UploadOptions
from cosdesk.engine.task import TaskSnapshot, TaskState, Verification

BUCKET = "examplebucket-1250000000"
REGION = "ap-guangzhou"
MiB = 1024 * 1024
ROOT = Path(__file__).resolve().parents[2]
NO_CRC = strip_headers("x-cos-hash-crc64ecma")


@pytest.fixture
def proxy(sandbox: Any) -> Iterator[HttpProxy]:
    with HttpProxy(sandbox.port) as running:
        yield running


@pytest.fixture
def engine(proxy: HttpProxy, make_engine: Callable[..., Engine]) -> Engine:
    """An engine sending through the proxy (``cos_client`` goes straight to the server)."""
    return make_engine(endpoint=proxy.endpoint)


def random_file(path: Path, size: int) -> Path:
    path.write_bytes(os.urandom(size))
    return path


def stored_bytes(cos_client: CosClient, key: str) -> bytes:
    content = cos_client.get_object(BUCKET, key).content
    assert content is not None
    return content


def corrupt_part(number: int, times: int) -> Callable[[Exchange], bool]:
    """Damage the first ``times`` sends of part ``number``."""
    seen = 0

    def decide(exchange: Exchange) -> bool:
        nonlocal seen
        if exchange.is_upload_part and f"partNumber={number}&" in exchange.target + "&":
            seen += 1
            return seen <= times
        return False

    return decide


def part_sends(proxy: HttpProxy, number: int) -> int:
    return sum(1 for e in proxy.exchanges if e.is_upload_part and f"partNumber={number}&" in e.target + "&")


def simple_puts(exchange: Exchange) -> bool:
    return exchange.method == "PUT" and "uploadId=" not in exchange.target


def claim_encryption(exchange: Exchange, headers: Headers) -> Headers:
    """A server that encrypts what it stores (KMS) and sends no CRC-64."""
    return [*NO_CRC(exchange, headers), (b"x-cos-server-side-encryption", b"cos/kms")]


def odd_put_etags(exchange: Exchange, headers: Headers) -> Headers:
    """A server whose simple-upload ETags are its own format, not an MD5."""
    headers = NO_CRC(exchange, headers)
    if not simple_puts(exchange):
        return headers
    return [(n, b'"v1-opaque-etag-0001"' if n.lower() == b"etag" else v) for n, v in headers]


# --- no CRC-64: each part's ETag is checked against the MD5 of what was sent -------


def test_a_part_corrupted_in_flight_without_crc_is_sent_again_and_the_object_is_right(
    engine: Engine, proxy: HttpProxy, tmp_path: Path, cos_client: CosClient
) -> None:
    source = random_file(tmp_path / "big.bin", 5 * MiB)
    proxy.edit_response = NO_CRC
    proxy.corrupt = corrupt_part(2, times=1)
    task_id = engine.queue.add_file(source, BUCKET, "damaged-once.bin", UploadOptions(chunk_size=MiB))
    snapshot = engine.ended(task_id)
    assert snapshot.state is TaskState.SUCCESS, snapshot.error
    assert len(proxy.corrupted) == 1 and part_sends(proxy, 2) == 2  # the damaged part went again
    assert snapshot.result is not None and snapshot.result.verification is Verification.MD5
    assert stored_bytes(cos_client, "damaged-once.bin") == source.read_bytes()


def test_a_part_corrupted_every_time_fails_the_task_and_completes_nothing(
    engine: Engine, proxy: HttpProxy, tmp_path: Path, cos_client: CosClient
) -> None:
    source = random_file(tmp_path / "big.bin", 4 * MiB)
    proxy.edit_response = NO_CRC
    proxy.corrupt = corrupt_part(3, times=1_000)
    task_id = engine.queue.add_file(source, BUCKET, "damaged.bin", UploadOptions(chunk_size=MiB, retries=2))
    snapshot = engine.ended(task_id)
    assert snapshot.state is TaskState.ERROR and snapshot.result is None
    assert snapshot.error is not None and snapshot.error.code == "ETagMismatch"
    assert part_sends(proxy, 3) == 3  # the first send and two retries
    with pytest.raises(CosError) as missing:
        cos_client.head_object(BUCKET, "damaged.bin")
    assert missing.value.status_code == 404


def test_a_simple_upload_corrupted_in_flight_without_crc_is_sent_again(
    engine: Engine, proxy: HttpProxy, cos_client: CosClient
) -> None:
    proxy.edit_response = NO_CRC
    damaged = 0

    def first_put(exchange: Exchange) -> bool:
        nonlocal damaged
        damaged += simple_puts(exchange)
        return damaged == 1

    proxy.corrupt = first_put
    body = os.urandom(200_000)
    task_id = engine.queue.add_bytes(body, BUCKET, "small.bin")
    snapshot = engine.ended(task_id)
    assert snapshot.state is TaskState.SUCCESS, snapshot.error
    assert len(proxy.corrupted) == 1
    assert snapshot.result is not None and snapshot.result.verification is Verification.MD5
    assert stored_bytes(cos_client, "small.bin") == body


def test_without_crc_a_clean_upload_is_verified_by_md5(
    engine: Engine, proxy: HttpProxy, tmp_path: Path, cos_client: CosClient
) -> None:
    proxy.edit_response = NO_CRC
    big = random_file(tmp_path / "big.bin", 4 * MiB + 123)
    small = random_file(tmp_path / "small.bin", 5000)
    big_id = engine.queue.add_file(big, BUCKET, "clean/big.bin", UploadOptions(chunk_size=MiB))
    small_id = engine.queue.add_file(small, BUCKET, "clean/small.bin")
    for task_id, source in ((big_id, big), (small_id, small)):
        snapshot = engine.ended(task_id)
        assert snapshot.state is TaskState.SUCCESS, snapshot.error
        assert snapshot.result is not None and snapshot.result.verification is Verification.MD5
        assert cos_client.head_object(BUCKET, snapshot.key).crc64 == crc64_file(source)
    assert proxy.corrupted == []


def test_with_crc_an_upload_is_verified_by_crc64(engine: Engine, tmp_path: Path) -> None:
    big = random_file(tmp_path / "big.bin", 3 * MiB)
    task_id = engine.queue.add_file(big, BUCKET, "crc/big.bin", UploadOptions(chunk_size=MiB))
    small_id = engine.queue.add_bytes(b"hello", BUCKET, "crc/small.txt")
    for task in (task_id, small_id):
        snapshot = engine.ended(task)
        assert snapshot.result is not None and snapshot.result.verification is Verification.CRC64


def test_a_server_with_no_crc_and_etags_that_are_not_md5s_is_done_but_not_verified(
    engine: Engine, proxy: HttpProxy, tmp_path: Path, cos_client: CosClient
) -> None:
    proxy.edit_response = claim_encryption
    big = random_file(tmp_path / "big.bin", 3 * MiB)
    big_id = engine.queue.add_file(big, BUCKET, "kms/big.bin", UploadOptions(chunk_size=MiB))
    small_id = engine.queue.add_bytes(b"encrypted at rest", BUCKET, "kms/small.txt")
    for task_id in (big_id, small_id):
        snapshot = engine.ended(task_id)
        assert snapshot.state is TaskState.SUCCESS, snapshot.error
        assert snapshot.result is not None and snapshot.result.verification is Verification.NONE
        assert snapshot.result.unverified
    assert cos_client.head_object(BUCKET, "kms/big.bin").crc64 == crc64_file(big)

    proxy.edit_response = odd_put_etags
    odd_id = engine.queue.add_bytes(b"odd etag", BUCKET, "odd/small.txt")
    snapshot = engine.ended(odd_id)
    assert snapshot.state is TaskState.SUCCESS, snapshot.error
    assert snapshot.result is not None and snapshot.result.verification is Verification.NONE


# --- the CLI never prints success for a wrong object ------------------------------


def cosdesk_upload(
    source: Path, destination: str, endpoint: str, db: Path
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "COS_SECRET_ID": "AKIDcosdeskTESTsecretid",
        "COS_SECRET_KEY": "cosdesk-TEST-secret-key-0123456789",
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "cosdesk",
            "upload",
            str(source),
            destination,
            "--endpoint",
            endpoint,
            "--region",
            REGION,
            "--db",
            str(db),
            "--part-size",
            "1M",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_upload_through_a_corrupting_proxy_says_uploaded_only_for_a_right_object(
    proxy: HttpProxy, tmp_path: Path, cos_client: CosClient
) -> None:
    source = random_file(tmp_path / "big.bin", 3 * MiB)
    proxy.edit_response = NO_CRC
    proxy.corrupt = corrupt_part(2, times=1)
    healed = cosdesk_upload(source, f"cos://{BUCKET}/once/", proxy.endpoint, tmp_path / "a.sqlite3")
    assert healed.returncode == 0, healed.stderr
    assert "1 uploaded, 0 failed" in healed.stdout and "not verified" not in healed.stdout
    assert len(proxy.corrupted) == 1
    assert stored_bytes(cos_client, "once/big.bin") == source.read_bytes()

    proxy.corrupt = corrupt_part(2, times=1_000)
    broken = cosdesk_upload(source, f"cos://{BUCKET}/always/", proxy.endpoint, tmp_path / "b.sqlite3")
    assert broken.returncode == 1
    assert "0 uploaded, 1 failed" in broken.stdout
    assert "ETagMismatch" in broken.stderr
    with pytest.raises(CosError):
        cos_client.head_object(BUCKET, "always/big.bin")


def test_cli_upload_to_an_unverifiable_server_says_not_verified(proxy: HttpProxy, tmp_path: Path) -> None:
    source = random_file(tmp_path / "small.bin", 1000)
    proxy.edit_response = claim_encryption
    result = cosdesk_upload(source, f"cos://{BUCKET}/kms/", proxy.endpoint, tmp_path / "c.sqlite3")
    assert result.returncode == 0, result.stderr
    assert "1 uploaded (1 not verified: the server sent no checksum), 0 failed" in result.stdout


# --- NoSuchUpload: find out what happened, then finish or start over ---------------


def slow_multipart(engine: Engine, proxy: HttpProxy, source: Path, key: str) -> tuple[str, TaskSnapshot]:
    """Start ``source`` in 1 MiB parts at 2 MB/s per connection; return once the
    server holds its first part (the rest are in flight or waiting)."""
    proxy.bandwidth_bytes_per_s = 2_000_000
    # Three parts at a time (not automatic): most parts must still be to send.
    options = UploadOptions(chunk_size=MiB, chunk_parallel_limit=3)
    task_id = engine.queue.add_file(source, BUCKET, key, options)
    snapshot = engine.wait_parts(task_id, 1, timeout_s=20)
    assert snapshot.upload_id and snapshot.part_size == MiB
    return task_id, snapshot


def parts_refused_as_unknown_upload(proxy: HttpProxy) -> int:
    """Upload Part requests the server answered 404 (NoSuchUpload)."""
    return sum(1 for exchange, status in proxy.answers if exchange.is_upload_part and status == 404)


def complete_behind_its_back(cos_client: CosClient, source: Path, key: str, upload_id: str) -> None:
    """What another process running the same task does: send every part, complete."""
    data = source.read_bytes()
    parts = []
    for number, offset in enumerate(range(0, len(data), MiB), start=1):
        answer = cos_client.upload_part(BUCKET, key, upload_id, number, data[offset : offset + MiB])
        parts.append((number, answer.etag))
    cos_client.complete_multipart_upload(BUCKET, key, upload_id, parts)


def test_an_upload_aborted_behind_the_engines_back_starts_over_and_finishes(
    engine: Engine, proxy: HttpProxy, tmp_path: Path, cos_client: CosClient
) -> None:
    source = random_file(tmp_path / "big.bin", 8 * MiB)
    task_id, running = slow_multipart(engine, proxy, source, "aborted.bin")
    cos_client.abort_multipart_upload(BUCKET, "aborted.bin", running.upload_id or "")
    proxy.bandwidth_bytes_per_s = 0
    snapshot = engine.ended(task_id)
    assert snapshot.state is TaskState.SUCCESS, snapshot.error
    assert parts_refused_as_unknown_upload(proxy) >= 1
    assert snapshot.note == TaskNote.UPLOAD_LOST_RESTARTED.text()
    assert snapshot.result is not None and snapshot.result.verification is Verification.CRC64
    assert cos_client.head_object(BUCKET, "aborted.bin").crc64 == crc64_file(source)
    assert list(cos_client.iter_multipart_uploads(BUCKET)) == []


def test_an_upload_completed_behind_the_engines_back_is_found_complete_and_done(
    engine: Engine, proxy: HttpProxy, tmp_path: Path, cos_client: CosClient
) -> None:
    source = random_file(tmp_path / "big.bin", 8 * MiB)
    task_id, running = slow_multipart(engine, proxy, source, "completed.bin")
    complete_behind_its_back(cos_client, source, "completed.bin", running.upload_id or "")
    completed_etag = cos_client.head_object(BUCKET, "completed.bin").etag
    snapshot = engine.ended(task_id)
    assert snapshot.state is TaskState.SUCCESS, snapshot.error
    assert parts_refused_as_unknown_upload(proxy) >= 1
    assert snapshot.note == TaskNote.UPLOAD_LOST_OBJECT_COMPLETE.text()
    assert snapshot.result is not None and snapshot.result.verification is Verification.CRC64
    # The engine did not upload the file a second time: the object is the one completed.
    assert cos_client.head_object(BUCKET, "completed.bin").etag == completed_etag
    assert list(cos_client.iter_multipart_uploads(BUCKET)) == []


def test_without_crc_an_upload_completed_behind_its_back_is_done_but_not_verified(
    engine: Engine, proxy: HttpProxy, tmp_path: Path, cos_client: CosClient
) -> None:
    proxy.edit_response = NO_CRC
    source = random_file(tmp_path / "big.bin", 8 * MiB)
    task_id, running = slow_multipart(engine, proxy, source, "no-crc.bin")
    complete_behind_its_back(cos_client, source, "no-crc.bin", running.upload_id or "")
    snapshot = engine.ended(task_id)
    assert snapshot.state is TaskState.SUCCESS, snapshot.error
    assert snapshot.note == TaskNote.UPLOAD_LOST_OBJECT_COMPLETE.text()
    # Size and the multipart ETag's part count match, but nothing proves the bytes.
    assert snapshot.result is not None and snapshot.result.verification is Verification.NONE


def test_a_paused_upload_completed_elsewhere_is_done_on_restart(
    engine: Engine, proxy: HttpProxy, tmp_path: Path, cos_client: CosClient
) -> None:
    source = random_file(tmp_path / "big.bin", 6 * MiB)
    task_id, running = slow_multipart(engine, proxy, source, "paused.bin")
    engine.queue.pause(task_id)
    engine.wait_idle()
    complete_behind_its_back(cos_client, source, "paused.bin", running.upload_id or "")
    proxy.bandwidth_bytes_per_s = 0
    sent_before = len(proxy.exchanges)
    engine.queue.restart(task_id)
    snapshot = engine.ended(task_id)
    assert snapshot.state is TaskState.SUCCESS, snapshot.error
    assert snapshot.note == TaskNote.UPLOAD_LOST_OBJECT_COMPLETE.text()
    assert snapshot.result is not None and snapshot.result.verification is Verification.CRC64
    assert not any(e.is_upload_part for e in proxy.exchanges[sent_before:])  # nothing sent again
