"""Client CPU per small file: ``cosdesk upload`` against Tencent's SDK (on demand:
``python -m pytest tests/bench/test_cpu_per_file.py -s``).

The goal (issue 14): uploading 1,000 files of 16 KiB to ``cosdesk serve
--discard-bodies``, ``cosdesk upload`` spends at most the CPU time of a script
calling cos-python-sdk-v5's ``CosS3Client.upload_file`` once per file, and takes
no longer. Both run as child processes of this test and are measured whole,
interpreter start-up and imports included, as a user who types the command sees
them: CPU is the child's user + system time from ``os.wait4``, wall time is
from spawn to exit. The server is a process of its own, so its work is in
neither figure.

Both children write and read byte-code caches (under the test's temporary
folder), as an installed package has them, and each runs once on one file
before the rounds, to fill them: with this machine's PYTHONDONTWRITEBYTECODE,
cosdesk compiled its modules from source on every run (~50 ms), while the SDK's
came compiled from site-packages.

cosdesk runs from a virtual environment of its own, set up as the README's
first command sets up a user's (``pip install -e .``: no test extras). The test
environment also holds import-linter, which brings rich and click, and httpx
imports its command-line tool when they are there: 45 ms of every start that no
user pays. The SDK's script runs in the test environment; nothing there slows
its imports (it uses requests, not httpx).

A third client is measured beside them and printed, not compared with a goal:
``bench_clients.py raw``, one plain httpx PUT per file with the CRC-64 checked,
in cosdesk's user environment. It is the floor of any client on httpx (no
database, no threads, no progress), so the figures show how much of cosdesk's
time is the HTTP stack it must use and how much is its own.

The clients alternate for several rounds (``COSDESK_BENCH_ROUNDS``, 5 by
default) on the same files, so a burst of load on this shared machine falls on
both; the medians are compared, and every round is printed.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest
from support.server_process import server_process

ROOT = Path(__file__).resolve().parents[2]
SDK_SCRIPT = Path(__file__).with_name("bench_clients.py")
BUCKET = "cpubench-1250000000"
SECRET_ID, SECRET_KEY = "cpu-bench-id", "cpu-bench-key"
FILE_COUNT = 1000
FILE_BYTES = 16 * 1024
ROUNDS = int(os.environ.get("COSDESK_BENCH_ROUNDS", "5"))


@dataclass(frozen=True)
class Usage:
    """One client process, start to exit."""

    client: str
    user_s: float
    system_s: float
    wall_s: float

    @property
    def cpu_s(self) -> float:
        return self.user_s + self.system_s


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("server")
    with server_process(root, BUCKET, SECRET_ID, SECRET_KEY, extra_args=["--discard-bodies"]) as server:
        yield server.endpoint


@pytest.fixture(scope="module")
def bytecode_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pycache")


@pytest.fixture(scope="module")
def small_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("small")
    for index in range(FILE_COUNT):
        (folder / f"{index:04d}.bin").write_bytes(os.urandom(FILE_BYTES))
    return folder


@pytest.fixture(scope="module")
def user_install(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``cosdesk`` console script of a fresh environment with cosdesk's own
    dependencies only, as a user installs it (about 10 s with pip's cache)."""
    venv = tmp_path_factory.mktemp("user-venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "-e", str(ROOT)], check=True)
    return venv / "bin" / "cosdesk"


def measured(client: str, command: list[str], work: Path, bytecode_cache: Path) -> Usage:
    """Run ``command`` to its end; its own CPU time (``os.wait4`` reaps exactly this
    child) and its wall time. Fails the test when it exits non-zero."""
    env = {
        **os.environ,
        "COS_SECRET_ID": SECRET_ID,
        "COS_SECRET_KEY": SECRET_KEY,
        "PYTHONPATH": str(ROOT),
        "PYTHONPYCACHEPREFIX": str(bytecode_cache),
        "QT_QPA_PLATFORM": "offscreen",
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    output = work / f"{client}-{time.monotonic_ns()}.out"
    with output.open("wb") as sink:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, cwd=work, stdout=sink, stderr=subprocess.STDOUT)
        _pid, status, usage = os.wait4(process.pid, 0)
        wall_s = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    assert process.returncode == 0, (command, output.read_text(errors="replace")[-2000:])
    return Usage(client, usage.ru_utime, usage.ru_stime, wall_s)


def run_user_cosdesk(
    cosdesk: Path, endpoint: str, source: Path, work: Path, round_name: str, bytecode_cache: Path
) -> Usage:
    database = work / f"tasks-{round_name}.sqlite3"
    command = [str(cosdesk), "upload", str(source), f"cos://{BUCKET}/cosdesk-{round_name}/"]
    command += ["--endpoint", endpoint, "--db", str(database), "-q"]
    return measured("cosdesk", command, work, bytecode_cache)


def run_sdk(endpoint: str, source: Path, work: Path, round_name: str, bytecode_cache: Path) -> Usage:
    command = [sys.executable, str(SDK_SCRIPT), "sdk", endpoint, BUCKET, str(source), f"sdk-{round_name}/"]
    return measured("sdk", command, work, bytecode_cache)


def run_raw_httpx(
    python: Path, endpoint: str, source: Path, work: Path, round_name: str, bytecode_cache: Path
) -> Usage:
    command = [str(python), str(SDK_SCRIPT), "raw", endpoint, BUCKET, str(source), f"raw-{round_name}/"]
    return measured("raw", command, work, bytecode_cache)


def spread(values: list[float]) -> str:
    return f"median {statistics.median(values):.2f} s ({min(values):.2f}-{max(values):.2f})"


def test_cosdesk_upload_spends_no_more_cpu_or_time_per_file_than_the_sdk(
    user_install: Path, endpoint: str, small_files: Path, bytecode_cache: Path, tmp_path: Path
) -> None:
    run_cosdesk = partial(run_user_cosdesk, user_install)
    run_raw = partial(run_raw_httpx, user_install.with_name("python"))
    clients = (run_cosdesk, run_sdk, run_raw)
    warm_up = tmp_path / "warm-up"
    warm_up.mkdir()
    shutil.copy(next(small_files.iterdir()), warm_up)
    for run in clients:
        run(endpoint, warm_up, warm_up, "warm-up", bytecode_cache)
    runs: list[Usage] = []
    for round_number in range(ROUNDS):
        work = tmp_path / f"round-{round_number}"
        work.mkdir()
        # Each round another goes first, so none always runs on a warmer machine.
        shift = round_number % len(clients)
        for run in clients[shift:] + clients[:shift]:
            runs.append(run(endpoint, small_files, work, str(round_number), bytecode_cache))
        shutil.rmtree(work)

    names = ("cosdesk", "sdk", "raw")
    cpu = {client: [r.cpu_s for r in runs if r.client == client] for client in names}
    wall = {client: [r.wall_s for r in runs if r.client == client] for client in names}
    print(f"\n{FILE_COUNT} x {FILE_BYTES // 1024} KiB to cosdesk serve --discard-bodies, {ROUNDS} rounds:")
    for client in names:
        per_file_ms = statistics.median(cpu[client]) / FILE_COUNT * 1000
        print(f"  {client:<8} CPU {spread(cpu[client])}, {per_file_ms:.2f} ms a file with start-up")
        print(f"           wall {spread(wall[client])}")
        rounds = " ".join(f"{r.user_s:.2f}+{r.system_s:.2f}" for r in runs if r.client == client)
        print(f"           user+system CPU per round: {rounds}")
    cpu_ratio = statistics.median(cpu["cosdesk"]) / statistics.median(cpu["sdk"])
    wall_ratio = statistics.median(wall["cosdesk"]) / statistics.median(wall["sdk"])
    print(f"  cosdesk / sdk: CPU {cpu_ratio:.2f}x, wall {wall_ratio:.2f}x")
    floor = statistics.median(cpu["raw"])
    print(
        f"  against plain httpx: cosdesk CPU {statistics.median(cpu['cosdesk']) / floor:.2f}x,"
        f" sdk {statistics.median(cpu['sdk']) / floor:.2f}x"
    )
    assert cpu_ratio <= 1.0
    assert wall_ratio <= 1.0
