"""Faulty network: uploads through a proxy that resets and stalls connections, to a
server that answers 503 SlowDown and resets requests mid-body. Every upload must
end with the exact bytes on the server, and no multipart upload may be left over."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.tcp_proxy import TcpProxy
from support.workloads import BUCKET, MiB, ServerLogCounter, human, object_matches_file, write_random_file

from cosdesk.cos.client import CosClient
from cosdesk.engine.queue import FileToAdd
from cosdesk.engine.task import TaskState


@pytest.fixture
def proxy(sandbox: Any) -> Iterator[TcpProxy]:
    with TcpProxy(sandbox.port, seed=7) as running:
        yield running


def workload_sizes(rng: random.Random) -> list[int]:
    """300 sizes from 0 B to 64 MiB: mostly small, a handful of multi-MiB, two big."""
    sizes = [0, 1, 1024 * 1024, 1024 * 1024 + 1]
    sizes += [rng.randrange(2, 128 * 1024) for _ in range(284)]
    sizes += [rng.randrange(2 * MiB, 5 * MiB) for _ in range(8)]
    sizes += [rng.randrange(8 * MiB, 12 * MiB) for _ in range(2)]
    sizes += [12 * MiB + 17, 64 * MiB]
    rng.shuffle(sizes)
    assert len(sizes) == 300
    return sizes


def test_300_uploads_through_resets_stalls_and_503s_all_arrive_byte_identical(
    make_engine: Any, sandbox: Any, proxy: TcpProxy, tmp_path: Path, cos: CosClient
) -> None:
    rng = random.Random(20240601)
    sizes = workload_sizes(rng)
    files = [write_random_file(tmp_path / "src" / f"{i:03d}.bin", size, rng) for i, size in enumerate(sizes)]
    # The network: 5% of connections reset at a random byte, 5% stall for 300 ms.
    proxy.faults.reset_rate = 0.05
    proxy.faults.reset_within_bytes = 4 * MiB
    proxy.faults.stall_rate = 0.05
    proxy.faults.stall_s = 0.3
    # The server: 5% of requests answered 503 SlowDown, 5% of requests reset mid-body.
    sandbox.faults.update(error_rate=0.05, error_status=503, reset_rate=0.05)
    engine = make_engine(endpoint=proxy.endpoint, client_timeout_s=10, file_parallel_limit=4)
    started = time.monotonic()
    with ServerLogCounter() as server_log:
        task_ids = engine.queue.add_files([FileToAdd(str(p), f"net/{p.name}") for p in files], BUCKET)
        # A request that failed every one of its quick retries fails the task, and
        # the queue sends it again after seconds (the window's automatic retry):
        # not an end. Waiting only for an ended state, this test failed about one
        # run in six with a task "waiting for the network; retrying in 2 s".
        engine.wait_settled(task_ids, timeout_s=240)
    elapsed = time.monotonic() - started
    sandbox.faults.reset()

    snapshots = [engine.snapshot(task_id) for task_id in task_ids]
    failed = [s for s in snapshots if s.state is not TaskState.SUCCESS]
    assert failed == [], [(s.key, s.state, str(s.error)) for s in failed]
    # No task says success for an object that is not exactly its file.
    mismatched = [path.name for path in files if not object_matches_file(cos, f"net/{path.name}", path)]
    assert mismatched == []
    # A full byte-for-byte GET on a sample, always including the empty and the biggest file.
    sample = sorted([*rng.sample(files, 25), files[sizes.index(0)], files[sizes.index(64 * MiB)]])
    assert all(object_matches_file(cos, f"net/{path.name}", path, full_compare=True) for path in sample)
    leftovers = list(cos.iter_multipart_uploads(BUCKET))
    assert leftovers == []
    resets = proxy.resets + server_log.count("reset")
    print(
        f"\nfaulty network: {len(files)} uploads, {human(min(sizes))}..{human(max(sizes))} "
        f"({human(sum(sizes))} total), {resets} resets ({proxy.resets} by the proxy, "
        f"{server_log.count('reset')} by the server), {server_log.count('503')} 503s, "
        f"{len(files) - len(mismatched)}/{len(files)} byte-identical (CRC-64 + size; "
        f"{len(sample)} compared byte for byte), {len(leftovers)} multipart uploads left, {elapsed:.1f} s"
    )
