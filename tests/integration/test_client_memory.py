"""A large PUT from a file streams: the uploading process stays small."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")

MIB = 1024 * 1024

UPLOADER = """
import json, resource, sys
from pathlib import Path
from cosdesk.cos.auth import Credentials
from cosdesk.cos.client import CosClient
from cosdesk.cos.endpoint import Endpoint

endpoint, bucket, path, secret_id, secret_key = sys.argv[1:6]
sent = []
with CosClient(Credentials(secret_id, secret_key), Endpoint.custom(endpoint), timeout_s=120) as client:
    result = client.put_object(bucket, "memory/big.bin", Path(path), progress=sent.append)
# VmHWM is this process's own peak RSS. ru_maxrss is not, on Linux: exec keeps the
# high-water mark of the memory it replaces, so it reports the (big) pytest parent's.
with open("/proc/self/status") as status:
    hwm_kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
maxrss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
report = {"etag": result.etag, "sent": sum(sent), "peak_mib": hwm_kib / 1024}
report["ru_maxrss_mib"] = maxrss_kib / 1024
print(json.dumps(report))
"""


@pytest.mark.slow
def test_put_of_300_mib_file_keeps_uploader_under_100_mib_rss(sandbox: Any, tmp_path: Path) -> None:
    source = tmp_path / "sparse.bin"
    with source.open("wb") as handle:
        handle.truncate(300 * MIB)  # sparse: no disk time to create
    root = Path(__file__).resolve().parents[2]
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            UPLOADER,
            sandbox.endpoint,
            "examplebucket-1250000000",
            str(source),
            "AKIDcosdeskTESTsecretid",
            "cosdesk-TEST-secret-key-0123456789",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report["sent"] == 300 * MIB
    print(f"\n300 MiB PUT from a file: uploader peak RSS {report['peak_mib']:.0f} MiB (bound 100)")
    assert report["peak_mib"] < 100, report
