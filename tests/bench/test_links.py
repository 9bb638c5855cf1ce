"""Uploads over emulated links (on demand: ``python -m pytest tests/bench/test_links.py -s``).

Three links, as people have them (``tests/support/link_emulator.py`` between each
client and the local server, one per link):

- office: 30 ms round trip, 40 Mbit/s per connection, 200 Mbit/s shared uplink;
- far: 150 ms, 10 Mbit/s per connection, 100 Mbit/s uplink;
- home: 20 ms, no per-connection ceiling, 20 Mbit/s uplink.

Four clients, each its own process: ``cosdesk upload`` with its defaults,
``cosdesk upload --parallel-files 3 --parallel-parts 3`` (the seed's fixed
limits), and Tencent's cos-python-sdk-v5 ``upload_file`` with its defaults, in a
loop and from a pool of 8 threads (``bench_clients.py``). Two workloads: one big
file (128 MiB; 32 MiB on the home link, whose uplink is slow) and 300 files of
16 KiB.

A rate is taken over the time a client spends on the link: from the first
connection the emulator accepts to the client's exit (its start-up, the same
for every run of a client, is printed apart as the whole process's time).

The goals (issue 15), asserted after the table, for ``cosdesk upload`` with
its defaults: the big file at >= 90 % of the uplink on every link; small files
at >= 250 files/s on the office link and, on every link, at least the SDK's
8-thread pool and at least the lower of 10x the SDK's loop and 90 % of the
uplink in bytes; never slower than the fixed 3 x 3 (by more than 1 %, the
noise of two runs on a link both fill); at most 16 connections at once on the
home link.

``COSDESK_LINKS=office,home`` runs only those links; ``COSDESK_LINK_WORKLOADS=big``
only that workload; ``COSDESK_BENCH_CODE=/path/to/a/checkout`` runs that tree's
cosdesk (another commit's, for a before-and-after in the same hour).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.link_emulator import LinkEmulator, LinkSettings
from support.server_process import server_process

ROOT = Path(__file__).resolve().parents[2]
CODE = Path(os.environ.get("COSDESK_BENCH_CODE") or ROOT)
BUCKET = "linkbench-1250000000"
SECRET_ID, SECRET_KEY = "bench-id", "bench-key"
MiB = 1024 * 1024
SMALL_COUNT = 300
SMALL_BYTES = 16 * 1024

LINKS = (
    LinkSettings.from_mbit("office", rtt_ms=30, per_connection_mbit=40, uplink_mbit=200),
    LinkSettings.from_mbit("far", rtt_ms=150, per_connection_mbit=10, uplink_mbit=100),
    LinkSettings.from_mbit("home", rtt_ms=20, per_connection_mbit=0, uplink_mbit=20),
)
BIG_BYTES = {"office": 128 * MiB, "far": 128 * MiB, "home": 32 * MiB}
CLIENTS = ("cosdesk", "cosdesk-3x3", "sdk", "sdk-pool")


@dataclass(frozen=True)
class Run:
    link: LinkSettings
    client: str
    workload: str
    process_s: float  # the whole process, start-up included
    on_link_s: float  # first connection to exit
    total_bytes: int
    files: int
    peak_connections: int

    @property
    def mb_per_s(self) -> float:
        return self.total_bytes / self.on_link_s / 1e6

    @property
    def files_per_s(self) -> float:
        return self.files / self.on_link_s

    @property
    def rate(self) -> float:
        return self.mb_per_s if self.workload == "big" else self.files_per_s

    @property
    def uplink_share(self) -> float:
        return self.mb_per_s * 1e6 / self.link.uplink_bytes_per_s


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "COS_SECRET_ID": SECRET_ID,
        "COS_SECRET_KEY": SECRET_KEY,
        "PYTHONPATH": str(CODE),
        "QT_QPA_PLATFORM": "offscreen",
    }


def _chosen(variable: str, known: list[str]) -> list[str]:
    wanted = [name.strip() for name in os.environ.get(variable, "").split(",") if name.strip()]
    return [name for name in known if not wanted or name in wanted]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("link-inputs")
    paths: dict[str, Path] = {}
    for name, size in {"big-128": 128 * MiB, "big-32": 32 * MiB}.items():
        path = folder / name / "big.bin"
        path.parent.mkdir()
        path.write_bytes(os.urandom(size))
        paths[name] = path
    small = folder / "small"
    small.mkdir()
    for index in range(SMALL_COUNT):
        (small / f"{index:04d}.bin").write_bytes(os.urandom(SMALL_BYTES))
    paths["small"] = small
    return paths


@pytest.fixture(scope="module")
def server_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    root = tmp_path_factory.mktemp("link-server")
    with server_process(root, BUCKET, SECRET_ID, SECRET_KEY) as server:
        yield int(server.endpoint.rsplit(":", 1)[1])


def command_for(client: str, endpoint: str, source: Path, prefix: str, db: Path) -> list[str]:
    if client.startswith("cosdesk"):
        command = [sys.executable, "-m", "cosdesk", "upload", str(source), f"cos://{BUCKET}/{prefix}"]
        command += ["--endpoint", endpoint, "--db", str(db), "-q"]
        if client == "cosdesk-3x3":
            command += ["--parallel-files", "3", "--parallel-parts", "3"]
        return command
    script = str(Path(__file__).with_name("bench_clients.py"))
    return [sys.executable, script, client, endpoint, BUCKET, str(source), prefix]


def run_client(
    server_port: int, link: LinkSettings, client: str, workload: str, source: Path, work: Path
) -> Run:
    prefix = f"{link.name}-{workload}-{client}/"
    with LinkEmulator(server_port, link) as emulator:
        command = command_for(client, emulator.endpoint, source, prefix, work / f"{prefix[:-1]}.sqlite3")
        started = time.monotonic()
        result = subprocess.run(command, env=_env(), cwd=CODE, capture_output=True, text=True)
        ended = time.monotonic()
        first_connection = emulator.first_connection_at
        peak = emulator.peak_open_connections
    assert result.returncode == 0, (command, result.stdout[-2000:], result.stderr[-2000:])
    assert first_connection is not None
    files = SMALL_COUNT if workload == "small" else 1
    total = SMALL_COUNT * SMALL_BYTES if workload == "small" else source.stat().st_size
    return Run(link, client, workload, ended - started, ended - first_connection, total, files, peak)


def format_table(runs: list[Run]) -> str:
    by_key = {(r.link.name, r.workload, r.client): r for r in runs}
    lines = [
        f"{'link':<7} {'workload':<14} {'client':<12} {'rate':>14} {'uplink':>7} {'process':>8} "
        f"{'conns':>5} {'vs 3x3':>7} {'vs SDK':>7} {'vs pool':>7}"
    ]
    for run in runs:
        ratios = []
        for other in ("cosdesk-3x3", "sdk", "sdk-pool"):
            reference = by_key.get((run.link.name, run.workload, other))
            ratios.append(f"{run.rate / reference.rate:6.2f}x" if reference else "      -")
        rate = f"{run.mb_per_s:8.1f} MB/s" if run.workload == "big" else f"{run.files_per_s:7.0f} files/s"
        workload = (
            f"{run.total_bytes // MiB} MiB file" if run.workload == "big" else f"{SMALL_COUNT} x 16 KiB"
        )
        lines.append(
            f"{run.link.name:<7} {workload:<14} {run.client:<12} {rate:>14} {run.uplink_share:6.0%} "
            f"{run.process_s:7.1f}s {run.peak_connections:5d} {' '.join(ratios)}"
        )
    return "\n".join(lines)


@pytest.mark.timeout(1800)  # about six minutes here; the SDK's loop on the far link is most of it
def test_cosdesk_fills_emulated_links_better_than_fixed_limits_and_the_sdk(
    server_port: int, inputs: dict[str, Path], tmp_path: Path
) -> None:
    links = {link.name: link for link in LINKS}
    runs: list[Run] = []
    for link_name in _chosen("COSDESK_LINKS", list(links)):
        link = links[link_name]
        for workload in _chosen("COSDESK_LINK_WORKLOADS", ["big", "small"]):
            if workload == "big":
                source = inputs["big-32" if BIG_BYTES[link_name] == 32 * MiB else "big-128"]
            else:
                source = inputs["small"]
            for client in CLIENTS:
                runs.append(run_client(server_port, link, client, workload, source, tmp_path))
                print(format_table(runs[-1:]).splitlines()[-1], flush=True)
    print(f"\nload average {os.getloadavg()}\n" + format_table(runs))
    check_goals(runs)


def check_goals(runs: list[Run]) -> None:
    """Issue 15's goals for the rows that were run; every miss is listed at once."""
    by_key = {(r.link.name, r.workload, r.client): r for r in runs}
    misses: list[str] = []
    for run in runs:
        if run.client != "cosdesk":
            continue
        name = f"{run.link.name} {run.workload}"
        fixed = by_key[(run.link.name, run.workload, "cosdesk-3x3")]
        # Where both fill the link (home big: 99 % each), runs of one client differ
        # by up to 0.3 % (13.57-13.62 s here): slower means by more than 1 %.
        if run.rate < fixed.rate * 0.99:
            misses.append(f"{name}: slower than the fixed 3x3 ({run.rate:.1f} < {fixed.rate:.1f})")
        if run.link.name == "home" and run.peak_connections > 16:
            misses.append(f"{name}: {run.peak_connections} connections at once on the home link")
        if run.workload == "big" and run.uplink_share < 0.9:
            misses.append(f"{name}: {run.uplink_share:.0%} of the uplink")
        if run.workload == "small":
            loop = by_key[(run.link.name, "small", "sdk")]
            pool = by_key[(run.link.name, "small", "sdk-pool")]
            uplink_files_per_s = 0.9 * run.link.uplink_bytes_per_s / SMALL_BYTES
            goal = max(pool.files_per_s, min(10 * loop.files_per_s, uplink_files_per_s))
            if run.link.name == "office":
                goal = max(goal, 250)
            if run.files_per_s < goal:
                misses.append(f"{name}: {run.files_per_s:.0f} files/s < {goal:.0f}")
    assert not misses, "\n".join(misses)
