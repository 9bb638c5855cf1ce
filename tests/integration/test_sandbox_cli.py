"""``cosdesk serve`` as a subprocess: prints its endpoint first, serves, stops cleanly."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx
from support.signed_client import SignedClient

from cosdesk.cos.auth import Credentials

REPO = Path(__file__).resolve().parents[2]


def start(*arguments: str) -> tuple[subprocess.Popen[str], str, str]:
    """The running server, its endpoint, and its start-up text (up to the Ctrl+C hint)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "cosdesk", "serve", "--port", "0", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert process.stdout is not None
    first_line = process.stdout.readline()
    assert first_line.startswith("cosdesk serve: listening on http://127.0.0.1:"), first_line
    banner = first_line
    while "Ctrl+C" not in banner:
        banner += process.stdout.readline()
    return process, first_line.strip().rsplit(" ", 1)[-1], banner


def test_serve_prints_endpoint_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    process, endpoint, banner = start("--root", str(tmp_path / "root"), "--bucket", "clibucket-1250000000")
    assert "SecretId 'cosdesk-local'" in banner
    try:
        credentials = Credentials("cosdesk-local", "cosdesk-local-secret")
        with SignedClient(endpoint, credentials, "clibucket-1250000000", "ap-guangzhou") as client:
            assert client.put("hello", b"from the cli").status_code == 200
            assert client.get("hello").content == b"from the cli"
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert "stopped" in out


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
    assert "cosdesk-local" in result.stdout
