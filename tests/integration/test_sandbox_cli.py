"""``cosdesk serve`` as a subprocess: prints its endpoint first, serves, stops cleanly."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from support.signed_client import SignedClient

from cosdesk.cos.auth import Credentials
from cosdesk.sandbox.cli import SECRET_ID_LINE, SECRET_KEY_LINE
from cosdesk.sandbox.keys import SECRET_ID_ENV, SECRET_KEY_ENV

REPO = Path(__file__).resolve().parents[2]
BUCKET = "clibucket-1250000000"
# The pair every sandbox accepted before it made keys of its own.
OLD_WELL_KNOWN_PAIR = Credentials("cosdesk-local", "cosdesk-local-secret")


def start(*arguments: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str, str]:
    """The running server, its endpoint, and its start-up text (up to the Ctrl+C hint)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "cosdesk", "serve", "--port", "0", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=env,
    )
    assert process.stdout is not None
    first_line = process.stdout.readline()
    assert first_line.startswith("cosdesk serve: listening on http://127.0.0.1:"), first_line
    banner = first_line
    while "Ctrl+C" not in banner:
        banner += process.stdout.readline()
    return process, first_line.strip().rsplit(" ", 1)[-1], banner


def printed_pair(banner: str) -> Credentials:
    """The SecretId and SecretKey a start-up text shows."""
    secret_id = re.search(f"^{re.escape(SECRET_ID_LINE)}(\\S+)$", banner, re.M)
    secret_key = re.search(f"^{re.escape(SECRET_KEY_LINE)}(\\S+)$", banner, re.M)
    assert secret_id and secret_key, banner
    return Credentials(secret_id.group(1), secret_key.group(1))


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    return out


def test_serve_without_keys_prints_a_fresh_pair_that_works_serves_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    process, endpoint, banner = start("--root", str(tmp_path / "root"), "--bucket", BUCKET)
    try:
        pair = printed_pair(banner)
        with SignedClient(endpoint, pair, BUCKET, "ap-guangzhou") as client:
            assert client.put("hello", b"from the cli").status_code == 200
            assert client.get("hello").content == b"from the cli"
        with SignedClient(endpoint, OLD_WELL_KNOWN_PAIR, BUCKET, "ap-guangzhou") as stranger:
            assert stranger.get("hello").status_code == 403
            assert stranger.put("planted", b"x").status_code == 403
    finally:
        out = stop(process)
    assert "stopped" in out


def test_each_start_without_keys_makes_a_different_pair(tmp_path: Path) -> None:
    pairs = []
    for _ in range(2):
        process, endpoint, banner = start("--root", str(tmp_path / "root"), "--bucket", BUCKET)
        try:
            pairs.append(printed_pair(banner))
            with SignedClient(endpoint, pairs[-1], BUCKET, "ap-guangzhou") as client:
                assert client.put("k", b"v").status_code == 200
        finally:
            stop(process)
    first, second = pairs
    assert first.secret_id != second.secret_id and first.secret_key != second.secret_key
    assert OLD_WELL_KNOWN_PAIR not in pairs


def test_serve_takes_its_pair_from_the_environment_and_never_prints_it(tmp_path: Path) -> None:
    pair = Credentials("AKIDfromtheenvironment", "environment-secret-key")
    env = {**os.environ, SECRET_ID_ENV: pair.secret_id, SECRET_KEY_ENV: pair.secret_key}
    process, endpoint, banner = start("--root", str(tmp_path / "root"), "--bucket", BUCKET, env=env)
    try:
        with SignedClient(endpoint, pair, BUCKET, "ap-guangzhou") as client:
            assert client.put("k", b"v").status_code == 200
    finally:
        out = stop(process)
    assert pair.secret_key not in banner + out and pair.secret_id not in banner + out
    assert SECRET_ID_ENV in banner


def test_serve_refuses_half_a_pair(tmp_path: Path) -> None:
    only_id = subprocess.run(
        [sys.executable, "-m", "cosdesk", "serve", "--root", str(tmp_path / "r"), "--secret-id", "AKIDx"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    env = {**os.environ, SECRET_KEY_ENV: "a-key-without-an-id"}
    env.pop(SECRET_ID_ENV, None)
    only_key = subprocess.run(
        [sys.executable, "-m", "cosdesk", "serve", "--root", str(tmp_path / "r")],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=60,
    )
    assert only_id.returncode == 2 and "give both or neither" in only_id.stderr
    assert only_key.returncode == 2 and f"{SECRET_ID_ENV} is not set" in only_key.stderr
    assert "a-key-without-an-id" not in only_key.stderr


@pytest.mark.parametrize(
    ("argument", "value", "said"),
    [
        ("--port", "99999", "'99999' is not a port (0 to 65535)"),
        ("--bucket", "BAD", "'BAD' is not a bucket name of the form NAME-APPID"),
        ("--region", "", "the region cannot be empty"),
        ("--sts-duration", "-5", "'-5' is not a number of seconds (at least 1)"),
        ("--fault-error-rate", "2", "'2' is not a share (0 to 1)"),
        ("--fault-latency", "-1", "'-1' is not a number of seconds (at least 0)"),
        ("--fault-bandwidth", "0", "'0' is not a rate in bytes a second (at least 1)"),
    ],
)
def test_serve_refuses_a_value_out_of_range_in_one_line(
    tmp_path: Path, argument: str, value: str, said: str
) -> None:
    """--port 99999 and --bucket BAD ended in tracebacks; --fault-error-rate 2 and
    negative times were taken as they were."""
    refused = subprocess.run(
        [sys.executable, "-m", "cosdesk", "serve", "--root", str(tmp_path / "r"), argument, value],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert refused.returncode == 2
    assert refused.stderr.splitlines()[-1].startswith(f"cosdesk serve: error: argument {argument}: {said}")
    assert "Traceback" not in refused.stderr


def test_serve_creates_its_storage_folder_for_its_user_alone(tmp_path: Path) -> None:
    root = tmp_path / "new" / "root"
    process, _, _ = start("--root", str(root))
    stop(process)
    assert stat.S_IMODE(root.stat().st_mode) == 0o700


def test_serve_stops_on_ctrl_c_with_exit_0(tmp_path: Path) -> None:
    process, endpoint, _ = start(
        "--root", str(tmp_path / "root"), "--secret-id", "mine", "--secret-key", "secret"
    )
    response = httpx.get(endpoint + "/")
    assert response.status_code == 403  # no signature
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=20)
    assert process.returncode == 0


def test_serve_help_documents_every_flag() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cosdesk", "serve", "--help"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    for flag in (
        "--root",
        "--host",
        "--port",
        "--bucket",
        "--region",
        "--secret-id",
        "--secret-key",
        "--auto-create-buckets",
        "--allow-anonymous",
        "--fault-error-rate",
        "--fault-latency",
        "--fault-bandwidth",
    ):
        assert flag in result.stdout
    help_text = " ".join(result.stdout.split())
    assert "cosdesk-local" not in help_text
    assert SECRET_ID_ENV in help_text and SECRET_KEY_ENV in help_text
    assert "makes a fresh random pair at each start and prints it" in help_text
