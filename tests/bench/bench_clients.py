"""The two reference clients of the upload benchmark, each run as its own process
(``python bench_clients.py sdk|raw ENDPOINT BUCKET SOURCE PREFIX``) so its CPU time
and peak RSS are its own:

- ``sdk``: Tencent's cos-python-sdk-v5, ``CosS3Client.upload_file`` with its
  defaults, one call per file (as a script using the SDK would);
- ``sdk-pool``: the same calls from a pool of 8 threads (one file: one call
  with ``MAXThread=8``, the pool's width for its parts);
- ``raw``: one plain httpx PUT per file on one keep-alive connection, streamed
  in 1 MiB chunks with the CRC-64 computed on the way and checked against the
  server's: the least any client can do.

SOURCE is a file or a folder (every file in it, sorted). Credentials come from
COS_SECRET_ID / COS_SECRET_KEY. Exits non-zero if any upload failed.

``python bench_clients.py measure OUT COMMAND…`` runs COMMAND and writes its exit
status, CPU-seconds and peak RSS to OUT. It exists because a child started
straight from pytest inherits pytest's own peak RSS in ``ru_maxrss`` (Linux
carries the pre-exec high-water mark over ``exec``); started from this small
process instead, the figure is the command's own (this process is ~10 MiB).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

CHUNK = 1024 * 1024


def sources(source: Path) -> list[Path]:
    return sorted(p for p in source.iterdir() if p.is_file()) if source.is_dir() else [source]


def run_sdk(endpoint: str, bucket: str, files: list[Path], prefix: str, *, threads: int = 0) -> None:
    """``threads`` 0: one call after another with the SDK's defaults."""
    from concurrent.futures import ThreadPoolExecutor

    from qcloud_cos import CosConfig, CosS3Client

    address = urlsplit(endpoint)
    config = CosConfig(
        IP=address.hostname,
        Port=address.port,
        Scheme="http",
        Region="ap-guangzhou",
        SecretId=os.environ["COS_SECRET_ID"],
        SecretKey=os.environ["COS_SECRET_KEY"],
    )
    client = CosS3Client(config)
    if not threads:
        for path in files:
            client.upload_file(Bucket=bucket, Key=prefix + path.name, LocalFilePath=str(path))
        return
    if len(files) == 1:
        client.upload_file(
            Bucket=bucket, Key=prefix + files[0].name, LocalFilePath=str(files[0]), MAXThread=threads
        )
        return
    with ThreadPoolExecutor(threads) as pool:
        calls = [
            pool.submit(client.upload_file, Bucket=bucket, Key=prefix + path.name, LocalFilePath=str(path))
            for path in files
        ]
        for call in calls:
            call.result()


def run_sdk_pool(endpoint: str, bucket: str, files: list[Path], prefix: str) -> None:
    run_sdk(endpoint, bucket, files, prefix, threads=8)


def run_raw(endpoint: str, bucket: str, files: list[Path], prefix: str) -> None:
    import httpx

    from cosdesk.cos import auth
    from cosdesk.cos.crc import crc64

    credentials = auth.Credentials(os.environ["COS_SECRET_ID"], os.environ["COS_SECRET_KEY"])
    host = f"{bucket}.cos.ap-guangzhou.myqcloud.com"
    with httpx.Client(base_url=endpoint, timeout=120) as client:
        for path in files:
            size = path.stat().st_size
            crc = 0

            def chunks(path: Path = path) -> Iterator[bytes]:
                nonlocal crc
                with open(path, "rb") as file:
                    while chunk := file.read(CHUNK):
                        crc = crc64(chunk, crc)
                        yield chunk

            key = prefix + path.name
            headers = {"Host": host, "Content-Length": str(size)}
            signed = {name.lower(): value for name, value in headers.items()}
            headers["Authorization"] = auth.authorization(credentials, "PUT", f"/{key}", {}, signed)
            response = client.put(f"/{key}", content=chunks(), headers=headers)
            if response.status_code != 200:
                raise SystemExit(f"PUT {key}: {response.status_code} {response.text[:200]}")
            if int(response.headers["x-cos-hash-crc64ecma"]) != crc:
                raise SystemExit(f"PUT {key}: CRC-64 mismatch")


def measure(out: str, command: list[str]) -> None:
    import json

    pid = os.posix_spawnp(command[0], command, os.environ)
    _pid, status, usage = os.wait4(pid, 0)
    report = {
        "exit_code": os.waitstatus_to_exitcode(status),
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_bytes": usage.ru_maxrss * 1024,
    }
    Path(out).write_text(json.dumps(report))


def main() -> None:
    if sys.argv[1] == "measure":
        measure(sys.argv[2], sys.argv[3:])
        return
    kind, endpoint, bucket, source, prefix = sys.argv[1:6]
    files = sources(Path(source))
    {"sdk": run_sdk, "sdk-pool": run_sdk_pool, "raw": run_raw}[kind](endpoint, bucket, files, prefix)


if __name__ == "__main__":
    main()
