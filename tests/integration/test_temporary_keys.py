"""Temporary keys from a credential server (``cosdesk serve --sts``): the client
and the queue against the local server over real HTTP, keys that really expire."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.engine_queue import ENDED

from cosdesk.cos.body import BytesBody
from cosdesk.cos.client import CosClient
from cosdesk.cos.credential_provider import (
    CredentialProvider,
    CredentialRequest,
    TemporaryKeys,
)
from cosdesk.cos.endpoint import Endpoint
from cosdesk.cos.errors import CredentialServerError, OutsideCredentialScope
from cosdesk.engine.queue import FileToAdd
from cosdesk.engine.task import TaskState
from cosdesk.engine.task_record import CREDENTIAL_SERVER_ERROR, OUTSIDE_CREDENTIAL_SCOPE
from cosdesk.sandbox.public import CREDENTIAL_URL, LISTENING
from cosdesk.sandbox.request_ledger import RequestLedger
from cosdesk.sandbox.server import SandboxServer

BUCKET = "examplebucket-1250000000"
REGION = "ap-guangzhou"
KiB = 1024
MiB = 1024 * KiB

ROOT = Path(__file__).resolve().parents[2]

MakeSts = Callable[..., SandboxServer]


@pytest.fixture
def sts_sandbox(tmp_path: Path) -> Iterator[MakeSts]:
    """``sts_sandbox(duration_s=..., prefix=...)``: the local server playing a
    credential server whose keys live ``duration_s``."""
    servers: list[SandboxServer] = []

    def make(
        duration_s: float = 1800, prefix: str = "", required_header: tuple[str, str] | None = None
    ) -> SandboxServer:
        server = SandboxServer(
            root=tmp_path / f"cos-root-{len(servers)}",
            buckets=[BUCKET],
            credentials={},
            region=REGION,
            sts_duration_s=duration_s,
            sts_prefix=prefix,
            sts_required_header=required_header,
        )
        server.start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


def provider_for(server: SandboxServer, **request: Any) -> CredentialProvider:
    assert server.credential_url is not None
    return CredentialProvider(CredentialRequest(server.credential_url, **request), failure_backoff_s=0.2)


def client_for(server: SandboxServer, provider: CredentialProvider) -> CosClient:
    return CosClient(provider, Endpoint.custom(server.endpoint, path_style=True, region=REGION), timeout_s=20)


def write_file(path: Path, size: int, seed: int = 0) -> Path:
    pattern = (f"{seed}-".encode() * 64)[:256] * 512  # 128 KiB
    with path.open("wb") as out:
        remaining = size
        while remaining:
            piece = pattern[: min(len(pattern), remaining)]
            out.write(piece)
            remaining -= len(piece)
    return path


def statuses_once(ledger: RequestLedger, count: int) -> list[int]:
    """The statuses of the requests the server answered, once there are ``count``
    (it records an answer just after sending it) or two seconds have passed."""
    deadline = time.monotonic() + 2
    while len(ledger.requests()) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return [request.status for request in ledger.requests()]


# --- the credential URL and its answers -------------------------------------------


def test_credential_url_answers_the_sts_sdks_shape_by_get_and_post(sts_sandbox: MakeSts) -> None:
    server = sts_sandbox(duration_s=600)
    assert server.credential_url is not None
    by_get = httpx.get(server.credential_url).json()
    by_post = httpx.post(
        server.credential_url, json={"bucket": BUCKET, "region": REGION, "prefix": ""}
    ).json()
    for answer in (by_get, by_post):
        assert set(answer["credentials"]) == {"tmpSecretId", "tmpSecretKey", "sessionToken"}
        assert answer["expiredTime"] - answer["startTime"] == 600
        assert abs(answer["startTime"] - time.time()) < 5
    assert by_get["credentials"]["sessionToken"] != by_post["credentials"]["sessionToken"]


# --- the client ---------------------------------------------------------------------


def test_upload_signed_with_temporary_keys_is_stored(sts_sandbox: MakeSts) -> None:
    server = sts_sandbox()
    provider = provider_for(server, post=True, bucket=BUCKET, region=REGION)
    with client_for(server, provider) as client:
        client.put_object(BUCKET, "a/one.txt", b"temporary")
        client.put_object(BUCKET, "a/two.txt", b"keys")
        assert client.get_object(BUCKET, "a/one.txt").content == b"temporary"
    assert provider.fetches == 1  # one cache for every request of the account
    assert server.auth_policy.temporary is not None and server.auth_policy.temporary.issued == 1


def test_server_refuses_expired_temporary_keys_and_client_renews_them_once(sts_sandbox: MakeSts) -> None:
    # Three seconds: the first upload must come before they expire, even on a busy machine.
    server = sts_sandbox(duration_s=3)
    assert server.credential_url is not None
    real = CredentialProvider(CredentialRequest(server.credential_url))

    def lying_fetch(request: CredentialRequest) -> TemporaryKeys:
        # A credential server whose expiredTime is wrong: only COS's refusal tells.
        issued = real._fetch_over_http(request)
        return TemporaryKeys(issued.credentials, expires_s=time.time() + 3600, start_s=issued.start_s)

    provider = CredentialProvider(CredentialRequest(server.credential_url), fetch=lying_fetch)
    ledger = server.record_requests()
    with client_for(server, provider) as client:
        client.put_object(BUCKET, "first.txt", b"1")
        time.sleep(3.5)
        client.put_object(BUCKET, "second.txt", b"2")
    assert statuses_once(ledger, 3) == [200, 400, 200]
    assert provider.fetches == 2


def test_keys_are_renewed_ahead_of_expiry_without_a_refusal(sts_sandbox: MakeSts) -> None:
    # Renewed 0.75 s before they expire, at 2.25 s: well within the 4.5-s loop.
    server = sts_sandbox(duration_s=3)
    provider = provider_for(server)
    ledger = server.record_requests()
    with client_for(server, provider) as client:
        deadline = time.monotonic() + 4.5
        while time.monotonic() < deadline:
            client.put_object(BUCKET, "tick.txt", b"x")
            time.sleep(0.25)
    assert provider.fetches >= 2
    assert {request.status for request in ledger.requests()} == {200}


class _HeldBody(BytesBody):
    """A small body whose bytes wait before they are handed over, as a busy
    bandwidth limit makes them wait."""

    def __init__(self, data: bytes, wait_s: float) -> None:
        super().__init__(data)
        self.wait_s = wait_s

    def chunks(self) -> Iterator[bytes]:
        time.sleep(self.wait_s)
        yield from super().chunks()


def test_keys_are_taken_after_a_small_body_waited_for_the_bandwidth_limit(sts_sandbox: MakeSts) -> None:
    # Keys of 6 s are renewed 1.5 s before they seem to expire, and they seem to
    # live 5 s (a second less than they say: they may). At 3 s they are kept: a
    # request that took them then, and then waited 3.2 s for its body, reached the
    # server after they had run out and was refused once.
    server = sts_sandbox(duration_s=6)
    provider = provider_for(server)
    ledger = server.record_requests()
    with client_for(server, provider) as client:
        first = time.monotonic()
        client.put_object(BUCKET, "first.txt", b"1")
        time.sleep(max(0.0, first + 3.0 - time.monotonic()))
        client.put_object(BUCKET, "held.txt", _HeldBody(b"held back", wait_s=3.2))
        assert client.get_object(BUCKET, "held.txt").content == b"held back"
    assert statuses_once(ledger, 3) == [200, 200, 200]
    assert provider.fetches == 2


def test_keys_are_renewed_in_time_though_their_times_are_whole_seconds(sts_sandbox: MakeSts) -> None:
    # startTime and expiredTime are whole seconds: keys issued at 100.9 s expire at
    # 102, not 102.9. Two-second keys are renewed in their last half second: read
    # as if issued at the answer's arrival, they were still used at 101.8, 0.2 s
    # after they had run out, and refused.
    server = sts_sandbox(duration_s=2)
    provider = provider_for(server)
    ledger = server.record_requests()
    while not 0.85 <= time.time() % 1 < 0.9:
        time.sleep(0.01)
    with client_for(server, provider) as client:
        fetched = time.monotonic()
        client.put_object(BUCKET, "first.txt", b"1")
        time.sleep(max(0.0, fetched + 1.3 - time.monotonic()))
        client.put_object(BUCKET, "second.txt", b"2")
    assert statuses_once(ledger, 2) == [200, 200]
    assert provider.fetches == 2


def test_signing_clock_follows_the_credential_servers_start_time(sts_sandbox: MakeSts) -> None:
    server = sts_sandbox()
    server.faults.update(clock_offset_s=1200)  # beyond the skew COS tolerates
    provider = provider_for(server)
    with client_for(server, provider) as client:
        client.put_object(BUCKET, "skewed.txt", b"on time")
        assert 1190 < client.clock_offset_s < 1210
    assert provider.fetches == 1


def test_destination_outside_the_allowed_prefix_names_the_credential_server(sts_sandbox: MakeSts) -> None:
    server = sts_sandbox(prefix="team/")
    provider = provider_for(server)
    with client_for(server, provider) as client:
        client.put_object(BUCKET, "team/allowed.txt", b"yes")
        with pytest.raises(OutsideCredentialScope) as caught:
            client.put_object(BUCKET, "elsewhere/denied.txt", b"no")
    assert caught.value.code == "AccessDenied"
    assert provider.server in caught.value.message and "elsewhere/denied.txt" in caught.value.message


def test_unreachable_credential_server_is_a_credential_server_error(sts_sandbox: MakeSts) -> None:
    server = sts_sandbox()
    assert server.credential_server is not None
    server.credential_server.stop()
    provider = provider_for(server, headers={"Authorization": "Bearer secret-bearer"})
    with client_for(server, provider) as client, pytest.raises(CredentialServerError) as caught:
        client.put_object(BUCKET, "never.txt", b"x")
    assert provider.server in str(caught.value)
    assert "secret-bearer" not in str(caught.value) + repr(provider)


# --- the queue ----------------------------------------------------------------------


def test_a_ten_second_upload_outlives_four_second_keys_without_a_failure(
    make_engine: Any, sts_sandbox: MakeSts, tmp_path: Path
) -> None:
    # Renewed a second before they expire (a quarter of their life): room for a
    # busy machine between signing a request and the server's check.
    server = sts_sandbox(duration_s=4)
    provider = provider_for(server)
    engine = make_engine(
        endpoint=server.endpoint, credentials=provider, bandwidth_limit_bytes_per_s=560 * KiB
    )
    finished = engine.collect_finished()
    ledger = server.record_requests()
    big = write_file(tmp_path / "big.bin", 9 * MiB // 2, seed=1)
    small_dir = tmp_path / "small"
    small_dir.mkdir()
    files = [FileToAdd(str(big), "run/big.bin")]
    for number in range(64):
        path = write_file(small_dir / f"{number}.txt", 16 * KiB, seed=number)
        files.append(FileToAdd(str(path), f"run/small/{number}.txt"))
    started = time.monotonic()
    ids = engine.queue.add_files(files, BUCKET)
    engine.wait_states(ids, ENDED, timeout_s=180)
    took_s = time.monotonic() - started

    assert [engine.state(task_id) for task_id in ids] == [TaskState.SUCCESS] * len(ids)
    # The last finished event may still be on its way when the last state is read.
    engine.qtbot.waitUntil(lambda: len(finished) == len(ids), timeout=5_000)
    assert all(event.error is None for event in finished)
    assert took_s > 8  # two lives of the keys
    # Keys are fetched when a request needs them: how many times depends on when
    # requests begin (a second fetch as late as 7 s lasts to the end). What holds:
    # requests went on after the first keys had run out, signed with new ones.
    requests = ledger.requests()
    after_first_keys = [r for r in requests if r.started_at > requests[0].started_at + 4]
    assert after_first_keys and provider.fetches >= 2
    refused = [request.status for request in requests if request.status >= 400]
    assert refused == []  # keys were renewed ahead of time, never after a refusal


def test_credential_server_down_for_six_seconds_pauses_the_queue_and_it_resumes(
    make_engine: Any, sts_sandbox: MakeSts, tmp_path: Path
) -> None:
    server = sts_sandbox(duration_s=4)
    credential_server = server.credential_server
    assert credential_server is not None
    provider = provider_for(server)
    engine = make_engine(
        endpoint=server.endpoint,
        credentials=provider,
        bandwidth_limit_bytes_per_s=256 * KiB,
        network_retry_delays_s=(1.0,),
        # Files one after another: some must still be waiting when the server goes
        # down (all eight at once would finish together, before it does). The
        # keys last 4 s, so they run out while it is down.
        file_parallel_limit=1,
    )
    files = [
        FileToAdd(str(write_file(tmp_path / f"{n}.bin", 256 * KiB, seed=n)), f"outage/{n}.bin")
        for n in range(8)
    ]
    ids = engine.queue.add_files(files, BUCKET)
    engine.wait_states(ids[:1], {TaskState.SUCCESS}, timeout_s=20)
    credential_server.stop()
    restart = threading.Timer(6.0, credential_server.start)
    restart.start()
    try:
        paused: dict[str, str] = {}

        def waiting_for_credentials() -> bool:
            for snapshot in engine.snapshots().values():
                if snapshot.error is not None and snapshot.error.code == CREDENTIAL_SERVER_ERROR:
                    paused[snapshot.task_id] = snapshot.note
            return bool(paused)

        engine.qtbot.waitUntil(waiting_for_credentials, timeout=15_000)
        assert any("credential server" in note for note in paused.values())
        engine.wait_states(ids, {TaskState.SUCCESS}, timeout_s=60)
    finally:
        restart.join()
    assert [engine.state(task_id) for task_id in ids] == [TaskState.SUCCESS] * len(ids)


def test_queued_destination_outside_the_prefix_fails_with_the_clear_reason(
    make_engine: Any, sts_sandbox: MakeSts, tmp_path: Path
) -> None:
    server = sts_sandbox(prefix="allowed/")
    provider = provider_for(server)
    engine = make_engine(endpoint=server.endpoint, credentials=provider)
    source = write_file(tmp_path / "f.bin", 2 * KiB)
    inside, outside = engine.queue.add_files(
        [FileToAdd(str(source), "allowed/f.bin"), FileToAdd(str(source), "private/f.bin")], BUCKET
    )
    engine.wait_states([inside, outside], ENDED)
    assert engine.state(inside) is TaskState.SUCCESS
    refused = engine.snapshot(outside)
    assert refused.state is TaskState.ERROR and refused.error is not None
    assert refused.error.code == OUTSIDE_CREDENTIAL_SCOPE
    assert "credential server" in refused.error.message and not refused.error.transient


# --- the command line ---------------------------------------------------------------


def _cosdesk(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("COS_")}
    environment.update({"PYTHONPATH": str(ROOT), **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "cosdesk", *args], env=environment, capture_output=True, text=True, timeout=120
    )


def test_cli_uploads_with_the_credential_url_that_serve_sts_prints(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "cosdesk", "serve", "--port", "0", "--root", str(tmp_path / "root")]
    command += ["--bucket", BUCKET, "--sts", "--sts-duration", "120", "--sts-prefix", "cli/"]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=environment)
    try:
        assert server.stdout is not None
        endpoint = server.stdout.readline()[len(LISTENING) :].strip()
        lines = [server.stdout.readline() for _ in range(8)]
        url = next(line[len(CREDENTIAL_URL) :].strip() for line in lines if line.startswith(CREDENTIAL_URL))
        source = write_file(tmp_path / "report.txt", 3 * KiB)
        database = str(tmp_path / "cli.sqlite3")

        by_flag = _cosdesk(
            "upload", str(source), f"cos://{BUCKET}/cli/", "--endpoint", endpoint, "--credential-url", url,
            "--credential-post", "--db", database,
        )  # fmt: skip
        assert by_flag.returncode == 0, by_flag.stderr
        assert "1 uploaded, 0 failed" in by_flag.stdout

        outside = _cosdesk(
            "upload", str(source), f"cos://{BUCKET}/elsewhere/", "--endpoint", endpoint, "--db", database,
            env={"COS_CREDENTIAL_URL": url},
        )  # fmt: skip
        assert outside.returncode != 0
        assert "credential server" in outside.stdout + outside.stderr
        assert "elsewhere/report.txt" in outside.stdout + outside.stderr
    finally:
        server.terminate()
        server.wait(10)


def test_cli_waits_out_a_ten_second_credential_server_outage_and_finishes(
    sts_sandbox: MakeSts, tmp_path: Path
) -> None:
    server = sts_sandbox(duration_s=4)
    credential_server = server.credential_server
    assert credential_server is not None and server.credential_url is not None
    folder = tmp_path / "outage"
    folder.mkdir()
    for number in range(5):
        write_file(folder / f"{number}.bin", 256 * KiB, seed=number)
    environment = {key: value for key, value in os.environ.items() if not key.startswith("COS_")}
    command = [sys.executable, "-m", "cosdesk", "upload", str(folder), f"cos://{BUCKET}/cli-outage/"]
    command += ["--endpoint", server.endpoint, "--credential-url", server.credential_url]
    # One file at a time, slowly (10 s in all): most are still to send when the server
    # goes down. At 256K (5 s in all) a test process starved of CPU read the first
    # "uploaded" line after the keys' last renewal, and no wait came.
    command += ["--bandwidth-limit", "128K", "--parallel-files", "1", "--db", str(tmp_path / "tasks.sqlite3")]
    upload = subprocess.Popen(
        command,
        env={**environment, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert upload.stdout is not None
    # Progress lines come between; the outage begins once the first file is up.
    for line in upload.stdout:
        if line.startswith("uploaded"):
            break
    else:
        pytest.fail("the upload ended before its first file")
    credential_server.stop()
    restart = threading.Timer(10.0, credential_server.start)
    restart.start()
    try:
        out, err = upload.communicate(timeout=90)
    finally:
        restart.join()
    assert upload.returncode == 0, err
    assert "5 uploaded, 0 failed" in out
    # Said once per file, as a wait rather than a failure.
    waits = [line for line in err.splitlines() if line.startswith("waiting ")]
    assert waits and all("credential server" in line and "trying again by itself" in line for line in waits)
    assert len(waits) == len(set(waits))
    assert "failed " not in err
    client = client_for(server, provider_for(server))
    assert len(list(client.iter_objects(BUCKET, "cli-outage/"))) == 5


def test_cli_sends_the_extra_headers_of_cos_credential_headers(sts_sandbox: MakeSts, tmp_path: Path) -> None:
    server = sts_sandbox(required_header=("Authorization", "Bearer cli-token"))
    assert server.credential_url is not None
    source = write_file(tmp_path / "badge.txt", 2 * KiB)
    upload = ["upload", str(source), f"cos://{BUCKET}/badges/", "--endpoint", server.endpoint]
    upload += ["--credential-url", server.credential_url, "--db", str(tmp_path / "tasks.sqlite3")]

    refused = _cosdesk(*upload)
    assert refused.returncode != 0
    assert "credential server" in refused.stderr and "401" in refused.stderr, refused.stderr

    headers = "Authorization: Bearer cli-token\nX-Team: uploads"
    accepted = _cosdesk(*upload, env={"COS_CREDENTIAL_HEADERS": headers})
    assert accepted.returncode == 0, accepted.stderr
    assert "1 uploaded, 0 failed" in accepted.stdout
    assert "cli-token" not in accepted.stdout + accepted.stderr

    garbled = _cosdesk(*upload, env={"COS_CREDENTIAL_HEADERS": "Bearer cli-token"})
    assert garbled.returncode == 2
    assert garbled.stderr.strip().endswith("COS_CREDENTIAL_HEADERS: line 1 is not 'Name: value'")


def test_the_resume_command_a_run_prints_asks_the_same_credential_server(
    sts_sandbox: MakeSts, tmp_path: Path
) -> None:
    """`cosdesk upload --credential-url URL` printed `cosdesk tasks resume --batch 1`,
    which said "no credentials": the keys came from the server the flag named."""
    server = sts_sandbox()
    assert server.credential_url is not None
    source = write_file(tmp_path / "ledger.txt", 2 * KiB)
    # A bucket that is not there: the file fails, and the run says how to retry it.
    upload = ["upload", str(source), "cos://missing-1250000000/books/", "--endpoint", server.endpoint]
    upload += ["--credential-url", server.credential_url, "--db", str(tmp_path / "tasks.sqlite3"), "-q"]
    failed = _cosdesk(*upload)
    assert failed.returncode == 1, failed.stderr
    printed = re.search(r"`(cosdesk tasks resume [^`]+)`", failed.stderr)
    assert printed, failed.stderr
    assert f"--credential-url {server.credential_url}" in printed[1]

    again = _cosdesk(*shlex.split(printed[1])[1:], "-q")
    assert again.returncode == 1
    assert "no credentials" not in again.stderr
    assert "NoSuchBucket" in again.stderr, again.stderr


# --- Tencent's Python SDK with the keys ---------------------------------------------


def test_tencents_python_sdk_uploads_with_the_sandboxs_temporary_keys_and_meets_its_scope(
    sts_sandbox: MakeSts,
) -> None:
    from qcloud_cos import CosConfig, CosS3Client
    from qcloud_cos.cos_exception import CosServiceError

    server = sts_sandbox(prefix="sdk/")
    assert server.credential_url is not None
    answer = httpx.get(server.credential_url).json()
    keys = answer["credentials"]
    config = CosConfig(
        IP="127.0.0.1",
        Port=server.port,
        Scheme="http",
        Region=REGION,
        SecretId=keys["tmpSecretId"],
        SecretKey=keys["tmpSecretKey"],
        Token=keys["sessionToken"],
    )
    sdk = CosS3Client(config, retry=0)
    sdk.put_object(Bucket=BUCKET, Key="sdk/by-sdk.txt", Body=b"from the SDK")
    assert sdk.head_object(Bucket=BUCKET, Key="sdk/by-sdk.txt")["Content-Length"] == "12"
    with pytest.raises(CosServiceError) as refused:
        sdk.put_object(Bucket=BUCKET, Key="outside.txt", Body=b"no")
    assert refused.value.get_error_code() == "AccessDenied"
