"""Bad input is refused clearly: each case ends with one specific message (on the
task, or as the CLI's one-line error and exit status), never a crash, a hang, a
traceback or an endless retry."""

from __future__ import annotations

import os
import shutil
import ssl
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support.engine_queue import Engine
from support.raw_http import RawHttpServer, forward, http_answer
from support.workloads import BUCKET, REGION, ROOT, SECRET_ID, SECRET_KEY, MiB, ServerLogCounter, cosdesk

from cosdesk.cos.auth import Credentials
from cosdesk.cos.client import CosClient
from cosdesk.cos.endpoint import Endpoint
from cosdesk.cos.errors import CosResponseError
from cosdesk.engine.options import UploadOptions
from cosdesk.engine.plan import MAX_OBJECT_SIZE, PlanError, part_size_for, plan_upload
from cosdesk.engine.store import TaskStore
from cosdesk.engine.task import TaskState
from cosdesk.sandbox.server import SandboxServer

ERROR_XML = (
    b"<?xml version='1.0'?><Error><Code>%s</Code><Message>%s</Message><RequestId>r-1</RequestId></Error>"
)


def failure(engine: Engine, task_id: str) -> str:
    """The task failed: its one-line reason, as the window and the CLI show it."""
    snapshot = engine.ended(task_id)
    assert snapshot.state is TaskState.ERROR, snapshot
    assert snapshot.error is not None
    return str(snapshot.error)


@pytest.fixture
def engine(make_engine: Callable[..., Engine]) -> Engine:
    """An engine on the local server."""
    return make_engine()


def upload_cli(
    sandbox: Any, *args: str, tmp_path: Path, secret_key: str = SECRET_KEY
) -> subprocess.CompletedProcess[str]:
    return cosdesk(
        "upload",
        *args,
        "--endpoint",
        sandbox.endpoint,
        "--db",
        str(tmp_path / "cli.sqlite3"),
        secret_key=secret_key,
    )


def assert_clean(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr + result.stdout


# --- the local files ----------------------------------------------------------------


def test_unreadable_file_says_permission_denied(sandbox: Any, tmp_path: Path) -> None:
    """chmod 000 does not stop root: as root the CLI runs without the capabilities
    that bypass file permissions (setpriv drops CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH)."""
    secret = tmp_path / "secret.txt"
    secret.write_text("for my eyes only")
    os.chmod(secret, 0)
    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv (util-linux): cannot make a file unreadable")
        prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
    env = {**os.environ, "COS_SECRET_ID": SECRET_ID, "COS_SECRET_KEY": SECRET_KEY, "PYTHONPATH": str(ROOT)}
    command = [*prefix, sys.executable, "-m", "cosdesk", "upload", str(secret), f"cos://{BUCKET}/",
               "--endpoint", sandbox.endpoint, "--db", str(tmp_path / "t.sqlite3")]  # fmt: skip
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert_clean(result)
    assert result.returncode == 1, result.stderr
    assert f"failed {secret}: SourceUnreadable: cannot read {secret}: Permission denied" in result.stderr


def test_vanished_file_before_upload_is_a_clear_task_error(engine: Engine, tmp_path: Path) -> None:
    gone = tmp_path / "gone.txt"
    task_id = engine.queue.add_file(gone, BUCKET, "gone.txt")
    assert f"cannot read {gone}: No such file or directory" in failure(engine, task_id)


def test_vanished_file_on_the_command_line_is_a_usage_error(sandbox: Any, tmp_path: Path) -> None:
    result = upload_cli(sandbox, str(tmp_path / "nope.txt"), f"cos://{BUCKET}/", tmp_path=tmp_path)
    assert_clean(result)
    assert result.returncode == 2 and f"no such file or folder: {tmp_path / 'nope.txt'}" in result.stderr


def test_a_directory_loop_is_reported_and_not_followed(sandbox: Any, tmp_path: Path) -> None:
    folder = tmp_path / "tree"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "a.txt").write_text("a")
    (folder / "sub" / "loop").symlink_to(folder)
    result = upload_cli(sandbox, str(folder), f"cos://{BUCKET}/loop/", tmp_path=tmp_path)
    assert_clean(result)
    assert "a link back to a folder already included; not followed" in result.stderr
    assert result.returncode == 0 and "1 uploaded, 0 failed" in result.stdout


def test_a_broken_link_in_a_folder_is_reported_and_the_upload_is_incomplete(
    sandbox: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "links"
    folder.mkdir()
    (folder / "kept.txt").write_text("kept")
    (folder / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    result = upload_cli(sandbox, str(folder), f"cos://{BUCKET}/links/", tmp_path=tmp_path)
    assert_clean(result)
    assert f"skipped {folder / 'gone.txt'}: cannot read (broken link?)" in result.stderr
    assert result.returncode == 1 and "1 uploaded, 0 failed, 1 unreadable; " in result.stdout


@pytest.mark.parametrize("bucket", ["examplebucket", "Example-1250000000", "bucket-", "a" * 60 + "-1"])
def test_a_malformed_bucket_is_a_usage_error_and_queues_nothing(bucket: str, tmp_path: Path) -> None:
    source = tmp_path / "f.txt"
    source.write_text("f")
    db = tmp_path / "t.sqlite3"
    endpoint = ["--endpoint", "http://127.0.0.1:9"]
    result = cosdesk("upload", str(source), f"cos://{bucket}/x/", *endpoint, "--db", str(db))
    assert_clean(result)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(f"cosdesk upload: bucket {bucket!r} ") and result.stderr.count("\n") == 1
    assert not db.exists()  # nothing queued: not even a database made


def test_a_fifo_in_a_folder_is_skipped_with_a_reason(sandbox: Any, tmp_path: Path) -> None:
    folder = tmp_path / "withfifo"
    folder.mkdir()
    os.mkfifo(folder / "pipe")
    (folder / "real.txt").write_text("real")
    result = upload_cli(sandbox, str(folder), f"cos://{BUCKET}/fifo/", tmp_path=tmp_path)
    assert_clean(result)
    assert f"skipped {folder / 'pipe'}: not a regular file or folder; skipped" in result.stderr
    assert "1 uploaded, 0 failed" in result.stdout


def test_a_fifo_given_directly_is_refused_without_blocking(engine: Engine, tmp_path: Path) -> None:
    fifo = tmp_path / "direct-pipe"
    os.mkfifo(fifo)
    task_id = engine.queue.add_file(fifo, BUCKET, "pipe")
    assert f"{fifo} is not a regular file" in failure(engine, task_id)


def test_a_device_is_refused(engine: Engine, sandbox: Any, tmp_path: Path) -> None:
    task_id = engine.queue.add_file("/dev/zero", BUCKET, "zero")
    assert "/dev/zero is not a regular file" in failure(engine, task_id)
    result = upload_cli(sandbox, "/dev/null", f"cos://{BUCKET}/", tmp_path=tmp_path)
    assert_clean(result)
    assert "skipped /dev/null: not a regular file or folder; skipped" in result.stderr


def test_a_non_utf8_file_name_is_refused_by_name(sandbox: Any, tmp_path: Path) -> None:
    folder = tmp_path / "names"
    folder.mkdir()
    bad = os.path.join(os.fsencode(folder), b"caf\xe9.txt")
    with open(bad, "wb") as out:
        out.write(b"latin-1 name")
    (folder / "fine.txt").write_text("ok")
    result = upload_cli(sandbox, str(folder), f"cos://{BUCKET}/names/", tmp_path=tmp_path)
    assert_clean(result)
    assert "the name is not valid UTF-8, so it cannot be a COS key; skipped" in result.stderr
    assert result.returncode == 0 and "1 uploaded, 0 failed" in result.stdout, result.stdout


# --- keys, metadata, limits -------------------------------------------------------------


def test_an_empty_key_is_refused(engine: Engine) -> None:
    task_id = engine.queue.add_bytes(b"x", BUCKET, "")
    assert "InvalidKey: the object key is empty" in failure(engine, task_id)


def test_a_key_over_850_bytes_is_refused(engine: Engine) -> None:
    task_id = engine.queue.add_bytes(b"x", BUCKET, "长" * 300)  # 900 bytes of UTF-8
    assert "the object key is longer than 850 bytes of UTF-8" in failure(engine, task_id)


def test_a_key_of_exactly_850_bytes_is_fine(engine: Engine) -> None:
    task_id = engine.queue.add_bytes(b"x", BUCKET, "k" * 850)
    assert engine.ended(task_id).state is TaskState.SUCCESS


def test_a_key_ending_in_slash_with_content_is_refused(engine: Engine, tmp_path: Path) -> None:
    source = tmp_path / "data.txt"
    source.write_text("content")
    task_id = engine.queue.add_file(source, BUCKET, "folder/")
    assert "ends in '/', which COS treats as a folder marker" in failure(engine, task_id)


def test_metadata_over_2_kb_is_refused(engine: Engine, sandbox: Any, tmp_path: Path) -> None:
    task_id = engine.queue.add_bytes(b"x", BUCKET, "meta", UploadOptions(metadata={"note": "m" * 2100}))
    assert "COS allows at most 2048 in total" in failure(engine, task_id)
    source = tmp_path / "m.txt"
    source.write_text("m")
    result = upload_cli(
        sandbox, str(source), f"cos://{BUCKET}/", "--meta", "note=" + "m" * 2100, tmp_path=tmp_path
    )
    assert_clean(result)
    # Refused before anything is queued: a usage error, not a failed task.
    assert result.returncode == 2 and "COS allows at most 2048 in total" in result.stderr


def test_a_traffic_limit_out_of_range_is_refused(sandbox: Any, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"traffic limit must be 819200\.\.838860800 bit/s, got 100"):
        UploadOptions(traffic_limit=100)
    source = tmp_path / "t.txt"
    source.write_text("t")
    result = upload_cli(
        sandbox, str(source), f"cos://{BUCKET}/", "--traffic-limit", "900000000", tmp_path=tmp_path
    )
    assert_clean(result)
    assert result.returncode == 2
    assert "--traffic-limit must be 819200..838860800 bit/s, got 900000000" in result.stderr


def test_more_than_10000_parts_raise_the_part_size_or_refuse(engine: Engine, tmp_path: Path) -> None:
    # 20 GiB with 1 MiB parts would need 20,480 parts: the planner raises the part size.
    assert part_size_for(20 * 1024**3, MiB) == 3 * MiB
    assert plan_upload(20 * 1024**3, UploadOptions()).part_count <= 10_000
    # Beyond 10,000 parts of 5 GB nothing fits: refused with the limit in the message.
    with pytest.raises(PlanError, match="more than COS's largest object"):
        plan_upload(MAX_OBJECT_SIZE + 1, UploadOptions())
    sparse = tmp_path / "huge.sparse"
    try:
        with sparse.open("wb") as out:
            out.truncate(MAX_OBJECT_SIZE + 1)
    except OSError as error:
        pytest.skip(f"a {MAX_OBJECT_SIZE + 1}-byte sparse file cannot be made here: {error}")
    task_id = engine.queue.add_file(sparse, BUCKET, "huge")
    assert "TooLarge" in failure(engine, task_id)


# --- credentials and the clock ------------------------------------------------------------


def test_a_wrong_secret_key_fails_at_once_without_retrying(make_engine: Any) -> None:
    engine = make_engine(credentials=Credentials(SECRET_ID, "not-the-key"))
    with ServerLogCounter() as server_log:
        task_id = engine.queue.add_bytes(b"x" * 10, BUCKET, "wrong-key", UploadOptions(retries=5))
        message = failure(engine, task_id)
    assert message.startswith(
        "SignatureDoesNotMatch (403): The request signature we calculated does not match"
    )
    assert sum(server_log.statuses.values()) == 1  # one request: a wrong key is never retried


def test_an_unknown_secret_id_fails_with_invalid_access_key_id(make_engine: Any) -> None:
    engine = make_engine(credentials=Credentials("AKIDnobody", SECRET_KEY))
    with ServerLogCounter() as server_log:
        task_id = engine.queue.add_bytes(b"x", BUCKET, "unknown-id")
        message = failure(engine, task_id)
    assert message.startswith("InvalidAccessKeyId (403)")
    assert sum(server_log.statuses.values()) == 1


def test_an_unknown_session_token_fails_once(make_engine: Any, tmp_path: Path) -> None:
    with SandboxServer(
        root=tmp_path / "sts",
        buckets=[BUCKET],
        credentials={SECRET_ID: SECRET_KEY},
        session_tokens={"token-now": ("AKIDtemp", "temp-key")},
    ) as server:
        engine = make_engine(
            endpoint=server.endpoint,
            credentials=Credentials("AKIDtemp", "temp-key", session_token="token-old"),
        )
        task_id = engine.queue.add_bytes(b"x", BUCKET, "sts")
        assert failure(engine, task_id).startswith("InvalidAccessKeyId (403)")
        fresh = make_engine(
            endpoint=server.endpoint,
            credentials=Credentials("AKIDtemp", "temp-key", session_token="token-now"),
            db_name="fresh.sqlite3",
        )
        assert fresh.ended(fresh.queue.add_bytes(b"x", BUCKET, "sts")).state is TaskState.SUCCESS


def test_an_expired_token_is_reported_and_not_retried(make_engine: Any) -> None:
    server = RawHttpServer(
        lambda _request: http_answer(
            "400 Bad Request",
            ERROR_XML % (b"ExpiredToken", b"The provided token has expired."),
            {"Content-Type": "application/xml"},
        )
    )
    try:
        engine = make_engine(
            endpoint=server.endpoint, credentials=Credentials(SECRET_ID, SECRET_KEY, session_token="expired")
        )
        task_id = engine.queue.add_bytes(b"x", BUCKET, "token", UploadOptions(retries=5))
        assert (
            failure(engine, task_id) == "ExpiredToken (400): The provided token has expired. [request id r-1]"
        )
        assert len(server.requests) == 1
    finally:
        server.close()


def test_a_skewed_server_clock_is_corrected_and_the_upload_succeeds(
    engine: Engine, sandbox: Any, cos: CosClient
) -> None:
    sandbox.faults.clock_offset_s = 3 * 3600
    task_id = engine.queue.add_bytes(b"on time", BUCKET, "skewed")
    assert engine.ended(task_id).state is TaskState.SUCCESS
    sandbox.faults.clock_offset_s = 0
    assert cos.get_object(BUCKET, "skewed").content == b"on time"


# --- where the server is ------------------------------------------------------------------


def test_a_missing_bucket_is_no_such_bucket(engine: Engine) -> None:
    task_id = engine.queue.add_bytes(b"x", "nosuchbucket-1250000000", "k")
    assert failure(engine, task_id).startswith("NoSuchBucket (404)")


def test_a_refused_connection_names_the_host(make_engine: Any) -> None:
    with socketserver_port() as port:
        pass  # the port is free again: nothing listens there
    engine = make_engine(endpoint=f"http://127.0.0.1:{port}")
    task_id = engine.queue.add_bytes(b"x", BUCKET, "k", UploadOptions(retries=1))
    message = failure(engine, task_id)
    assert (
        message.startswith("NetworkError")
        and "connection refused" in message
        and f"127.0.0.1:{port}" in message
    )


def test_an_unresolvable_host_is_a_dns_error(make_engine: Any) -> None:
    engine = make_engine(endpoint="http://cos.does-not-exist.invalid")
    task_id = engine.queue.add_bytes(b"x", BUCKET, "k", UploadOptions(retries=1))
    message = failure(engine, task_id)
    assert (
        message
        == "NetworkError: could not resolve host cos.does-not-exist.invalid: Name or service not known"
    )


@pytest.fixture
def self_signed_tls(tmp_path: Path) -> ssl.SSLContext:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a self-signed certificate")
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(tmp_path / "key.pem"),
            "-out",
            str(tmp_path / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return context


def test_a_self_signed_certificate_is_refused_and_never_downgraded(
    make_engine: Any, self_signed_tls: ssl.SSLContext, tmp_path: Path
) -> None:
    server = RawHttpServer(lambda _request: http_answer("200 OK", b""), tls=self_signed_tls)
    try:
        engine = make_engine(endpoint=server.endpoint)
        task_id = engine.queue.add_bytes(b"x", BUCKET, "tls", UploadOptions(retries=5))
        message = failure(engine, task_id)
        assert message == (
            f"NetworkError: TLS certificate of 127.0.0.1:{server.port} failed verification: "
            "self-signed certificate"
        )
        # One handshake, refused; no retry, and no request ever sent, encrypted or not.
        assert server.connections == 1 and server.requests == []
        assert all(first.startswith(b"\x16\x03") for first in server.first_bytes)  # a TLS ClientHello
        source = tmp_path / "tls.txt"
        source.write_text("x")
        result = cosdesk(
            "upload",
            str(source),
            f"cos://{BUCKET}/",
            "--endpoint",
            server.endpoint,
            "--db",
            str(tmp_path / "tls.sqlite3"),
        )
        assert_clean(result)
        assert result.returncode == 1 and "failed verification: self-signed certificate" in result.stderr
        assert server.requests == [] and all(first.startswith(b"\x16\x03") for first in server.first_bytes)
    finally:
        server.close()


def test_a_403_on_one_file_leaves_the_others_uploading(
    make_engine: Any, sandbox: Any, cos: CosClient
) -> None:
    def respond(request: bytes) -> bytes:
        if b" /" + BUCKET.encode() + b"/batch/forbidden" in request.split(b"\r\n", 1)[0]:
            return http_answer("403 Forbidden", ERROR_XML % (b"AccessDenied", b"Access Denied."))
        return forward(request, sandbox.port)

    gateway = RawHttpServer(respond)
    try:
        engine = make_engine(endpoint=gateway.endpoint)
        ids = {
            name: engine.queue.add_bytes(name.encode() * 100, BUCKET, f"batch/{name}")
            for name in ["a", "b", "forbidden", "c", "d"]
        }
        assert failure(engine, ids["forbidden"]) == "AccessDenied (403): Access Denied. [request id r-1]"
        for name in "abcd":
            assert engine.ended(ids[name]).state is TaskState.SUCCESS
            assert cos.get_object(BUCKET, f"batch/{name}").content == name.encode() * 100
    finally:
        gateway.close()


# --- hostile or broken answers --------------------------------------------------------------


def test_a_server_answering_garbage_is_a_clear_error(make_engine: Any, credentials: Credentials) -> None:
    server = RawHttpServer(lambda _request: b"\x00\xffthis is not HTTP at all\r\n\r\n")
    try:
        engine = make_engine(endpoint=server.endpoint)
        task_id = engine.queue.add_bytes(b"x", BUCKET, "garbage", UploadOptions(retries=1))
        message = failure(engine, task_id)
        assert message.startswith("NetworkError") and "protocol error" in message
    finally:
        server.close()


def test_a_200_with_garbage_xml_is_a_response_error(credentials: Credentials) -> None:
    server = RawHttpServer(lambda _request: http_answer("200 OK", b"<ListBucketResult><Contents>oops"))
    try:
        with (
            CosClient(credentials, Endpoint.custom(server.endpoint, path_style=True), timeout_s=5) as client,
            pytest.raises(CosResponseError, match=r"XML"),
        ):
            client.list_objects(BUCKET)
    finally:
        server.close()


def test_an_xml_entity_bomb_is_refused_quickly(credentials: Credentials) -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
            for i in range(1, 10)
        )
        + b"]><ListBucketResult><Name>&lol9;</Name></ListBucketResult>"
    )
    server = RawHttpServer(lambda _request: http_answer("200 OK", bomb, {"Content-Type": "application/xml"}))
    try:
        with CosClient(credentials, Endpoint.custom(server.endpoint, path_style=True), timeout_s=5) as client:
            started = time.monotonic()
            with pytest.raises(CosResponseError, match=r"(?i)entit|DTD"):
                client.list_objects(BUCKET)
            assert time.monotonic() - started < 2
    finally:
        server.close()


def test_a_200_complete_with_an_error_body_is_not_success(
    engine: Engine, sandbox: Any, tmp_path: Path, cos: CosClient
) -> None:
    source = tmp_path / "two-parts.bin"
    source.write_bytes(os.urandom(2 * MiB + 5))
    sandbox.faults.fail_next_complete_with_error_body(count=10)
    task_id = engine.queue.add_file(source, BUCKET, "complete-error.bin", UploadOptions(retries=2))
    message = failure(engine, task_id)
    assert message.startswith("InternalError (200)"), message
    assert list(cos.iter_multipart_uploads(BUCKET))  # kept for a retry, not claimed done
    sandbox.faults.reset()
    engine.queue.restart(task_id)
    assert engine.ended(task_id).state is TaskState.SUCCESS
    assert cos.get_object(BUCKET, "complete-error.bin").content == source.read_bytes()


# --- the command line ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--parallel-files", "0"], "'0' is neither auto nor a whole number of at least 1"),
        (["--parallel-parts", "-2"], "'-2' is neither auto nor a whole number of at least 1"),
        (["--meta", "novalue"], "--meta takes NAME=VALUE, not 'novalue'"),
        # Values COS cannot take as headers: said at once, nothing queued.
        (["--meta", "note=bell\x07"], "the value of header 'x-cos-meta-note' must be printable ASCII"),
        (["--content-type", "text/plain\r\nX-Injected: 1"], "the value of header 'Content-Type' must be"),
        # Named by the flag typed, not the SDK's SliceSize / ChunkSize; 0 is no default.
        (["--slice-size", "1K"], "cosdesk upload: --slice-size must be at least 1048576 bytes (1 MiB)"),
        (["--slice-size", "0"], "cosdesk upload: --slice-size must be at least 1048576 bytes (1 MiB)"),
        (["--part-size", "12K"], "cosdesk upload: --part-size must be at least 1048576 bytes (1 MiB)"),
        (["--part-size", "0"], "cosdesk upload: --part-size must be at least 1048576 bytes (1 MiB)"),
        (["--retries", "-1"], "cosdesk upload: --retries cannot be negative"),
        (["--slice-size", "lots"], "'lots' is not a size"),
        (["--endpoint", "ftp://127.0.0.1:1"], "ftp"),
        (["--storage-class", "glacier"], "argument --storage-class: invalid choice: 'GLACIER' (choose from"),
    ],
)
def test_bad_options_are_one_line_usage_errors(args: list[str], message: str, tmp_path: Path) -> None:
    source = tmp_path / "f.txt"
    source.write_text("f")
    endpoint = [] if "--endpoint" in args else ["--endpoint", "http://127.0.0.1:9"]
    result = cosdesk(
        "upload", str(source), f"cos://{BUCKET}/", "--db", str(tmp_path / "t.sqlite3"), *endpoint, *args
    )
    assert_clean(result)
    assert result.returncode == 2 and message in result.stderr, result.stderr


def test_a_destination_that_is_not_cos_url_is_a_usage_error(tmp_path: Path) -> None:
    result = cosdesk("upload", str(tmp_path), "s3://bucket/x", "--db", str(tmp_path / "t.sqlite3"))
    assert (
        result.returncode == 2
        and "the destination must look like cos://BUCKET/PREFIX, not 's3://bucket/x'" in result.stderr
    )


def test_no_credentials_is_a_usage_error(tmp_path: Path) -> None:
    result = cosdesk(
        "upload",
        str(tmp_path),
        f"cos://{BUCKET}/",
        "--db",
        str(tmp_path / "t.sqlite3"),
        env={"COS_SECRET_ID": "", "COS_SECRET_KEY": ""},
    )
    assert_clean(result)
    assert result.returncode == 2 and "no credentials: set COS_SECRET_ID and COS_SECRET_KEY" in result.stderr
    assert "cosdesk serve" not in result.stderr  # bound for COS itself

    # Bound for a server of one's own, likely the local one: where its keys are.
    to_local = cosdesk(
        "upload",
        str(tmp_path),
        f"cos://{BUCKET}/",
        "--endpoint",
        "http://127.0.0.1:9",
        "--db",
        str(tmp_path / "t.sqlite3"),
        env={"COS_SECRET_ID": "", "COS_SECRET_KEY": ""},
    )
    assert_clean(to_local)
    assert to_local.returncode == 2 and to_local.stderr.strip().endswith(
        "no credentials: set COS_SECRET_ID and COS_SECRET_KEY (and COS_SESSION_TOKEN), or use --profile;"
        " a local `cosdesk serve` takes the SecretId and SecretKey it printed at start"
    )


def test_an_unknown_profile_is_a_usage_error(tmp_path: Path) -> None:
    result = cosdesk(
        "upload", str(tmp_path), f"cos://{BUCKET}/", "--profile", "ghost", "--db", str(tmp_path / "t.sqlite3")
    )
    assert_clean(result)
    assert result.returncode == 2 and "no profile named 'ghost'" in result.stderr


def empty_database(tmp_path: Path) -> str:
    """A task database that holds no task yet."""
    path = tmp_path / "t.sqlite3"
    TaskStore(path).close()
    return str(path)


def test_resuming_an_unknown_task_is_a_usage_error(tmp_path: Path) -> None:
    result = cosdesk("tasks", "resume", "zzzz", "--db", empty_database(tmp_path))
    assert_clean(result)
    assert result.returncode == 2 and "no task 'zzzz'" in result.stderr


def test_an_unknown_batch_or_state_is_a_usage_error(tmp_path: Path) -> None:
    db = empty_database(tmp_path)
    result = cosdesk("tasks", "list", "--batch", "4", "--db", db)
    assert_clean(result)
    assert result.returncode == 2
    assert result.stderr == (
        "cosdesk tasks: no batch 4 (the database has no batches; see cosdesk tasks list)\n"
    )
    result = cosdesk("tasks", "list", "--state", "finished", "--db", db)
    assert_clean(result)
    assert result.returncode == 2
    assert "'finished' is not a task state (one of: waiting, checking" in result.stderr


def socketserver_port() -> Any:
    """A port that was free a moment ago (closed on leaving the block)."""
    import contextlib
    import socket

    @contextlib.contextmanager
    def reserve() -> Iterator[int]:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            yield probe.getsockname()[1]

    return reserve()


_ = (REGION, stat)


def test_a_key_that_is_not_utf8_is_refused_and_the_rest_of_the_batch_is_kept(
    engine: Engine, tmp_path: Path
) -> None:
    bad = engine.queue.add_bytes(b"x", BUCKET, "caf\udce9.txt")
    good = engine.queue.add_bytes(b"y", BUCKET, "fine.txt")
    assert "is not valid UTF-8" in failure(engine, bad)
    assert engine.ended(good).state is TaskState.SUCCESS


def test_a_file_named_readme_with_a_bad_key_is_refused_for_its_key_not_its_source(
    engine: Engine, tmp_path: Path
) -> None:
    # The refusal is labelled by what failed (the key check), whatever words the
    # file's name puts in the message.
    readme = tmp_path / "readme.txt"
    readme.write_text("a readable file")
    task_id = engine.queue.add_file(readme, BUCKET, "docs/readme\udce9.txt")
    reason = failure(engine, task_id)
    assert reason.startswith("InvalidKey: "), reason
    assert "is not valid UTF-8" in reason


def test_a_file_gone_before_it_is_queued_fails_with_the_code_a_worker_gives_it(
    engine: Engine, tmp_path: Path
) -> None:
    # The intake and a worker name an unreadable file alike: one code, one row text.
    task_id = engine.queue.add_file(tmp_path / "gone.txt", BUCKET, "gone.txt")
    reason = failure(engine, task_id)
    assert reason.startswith(f"SourceUnreadable: cannot read {tmp_path / 'gone.txt'}: "), reason


def test_a_file_named_readme_sent_with_a_wrong_secret_key_fails_on_the_signature(
    make_engine: Any, tmp_path: Path
) -> None:
    readme = tmp_path / "readme.txt"
    readme.write_text("a readable file")
    engine = make_engine(credentials=Credentials(SECRET_ID, "not-the-key"))
    task_id = engine.queue.add_file(readme, BUCKET, "readme.txt")
    snapshot = engine.ended(task_id)
    assert snapshot.state is TaskState.ERROR and snapshot.error is not None
    assert snapshot.error.code == "SignatureDoesNotMatch", snapshot.error
    assert not snapshot.error.transient  # a wrong key does not heal by waiting
