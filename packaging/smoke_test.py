"""Smoke test of the built bundle (dist/cosdesk/): does what a user does first, with
the bundle's executables only, and checks the result with cosdesk's own client.

1. ``cosdesk`` self-test: every subcommand's module imports, Qt's SVG plugin and
   the bundled icons load (COSDESK_BUNDLE_SELFTEST, see packaging/entry_cli.py);
2. ``cosdesk --version`` is this checkout's version;
3. ``cosdesk serve --port 0 --root TMP`` starts the local server, with the fresh
   key pair it makes and prints when given none;
4. ``cosdesk upload FILE cos://examplebucket-1250000000/smoke/ --endpoint URL`` with
   that pair in COS_SECRET_ID / COS_SECRET_KEY uploads a 3 MiB file with a
   Chinese name (multipart, as SliceSize is 1 MiB);
5. the object is read back with CosClient and compared byte for byte;
6. ``cosdesk-gui`` opens its window offscreen and quits by itself after a few
   seconds with status 0 (COSDESK_GUI_QUIT_AFTER_S, see packaging/entry_gui.py);
7. the log files exist and hold no secret key and no request signature.

    .venv/bin/python packaging/smoke_test.py [--bundle dist/cosdesk]

Exits 0 when everything passed; otherwise prints what failed and exits 1.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUCKET = "examplebucket-1250000000"
REGION = "ap-guangzhou"
FILE_SIZE = 3 * 1024 * 1024 + 12345
FILE_NAME = "冒烟测试 报告.bin"
GUI_SECONDS = 4
EXE = ".exe" if sys.platform == "win32" else ""


class SmokeFailure(Exception):
    pass


def step(title: str) -> float:
    print(f"smoke: {title} ...", flush=True)
    return time.monotonic()


def done(started: float, detail: str = "") -> None:
    print(f"smoke:   ok ({time.monotonic() - started:.1f} s){' ' + detail if detail else ''}", flush=True)


def run(command: list[str], env: dict[str, str], timeout_s: float) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        command,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=timeout_s,
    )
    if result.returncode != 0:
        raise SmokeFailure(
            f"{Path(command[0]).name} {' '.join(command[1:])} exited {result.returncode}\n"
            f"--- stdout\n{result.stdout}--- stderr\n{result.stderr}"
        )
    return result


def start_server(
    bundle: Path, root: Path, env: dict[str, str]
) -> tuple[subprocess.Popen[str], str, tuple[str, str]]:
    """The server, its endpoint, and the (SecretId, SecretKey) it printed."""
    process = subprocess.Popen(
        [str(bundle / f"cosdesk{EXE}"), "-v", "serve", "--port", "0", "--root", str(root)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
    )
    assert process.stdout is not None
    first_line = process.stdout.readline()  # the endpoint comes first (cosdesk serve --help)
    match = re.search(r"(https?://[\w.:\[\]-]+)", first_line)
    if not match:
        process.kill()
        raise SmokeFailure(f"cosdesk serve did not print its endpoint: {first_line!r}")
    banner = first_line
    while "Ctrl+C" not in banner and (line := process.stdout.readline()):
        banner += line
    # Started without keys, it makes a fresh pair and prints it on its banner.
    secret_id = re.search(r"^\s*SecretId:\s+(\S+)$", banner, re.M)
    secret_key = re.search(r"^\s*SecretKey:\s+(\S+)$", banner, re.M)
    if not secret_id or not secret_key:
        process.kill()
        raise SmokeFailure(f"cosdesk serve did not print a fresh key pair: {banner!r}")
    return process, match.group(1), (secret_id.group(1), secret_key.group(1))


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def read_object(endpoint: str, keys: tuple[str, str], key: str) -> bytes:
    from cosdesk.cos.auth import Credentials
    from cosdesk.cos.client import CosClient
    from cosdesk.cos.endpoint import Endpoint

    with CosClient(Credentials(*keys), Endpoint.custom(endpoint, region=REGION)) as client:
        content = client.get_object(BUCKET, key).content
    assert content is not None
    return content


def smoke(bundle: Path, work: Path) -> None:
    cli = str(bundle / f"cosdesk{EXE}")
    gui = str(bundle / f"cosdesk-gui{EXE}")
    for executable in (cli, gui):
        if not Path(executable).is_file():
            raise SmokeFailure(f"{executable} is missing: run packaging/build_bundle.py first")
    log_dir = work / "logs"
    env = {
        # Nothing from the build venv may leak into the bundle's Python.
        **{
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("PYTHON", "VIRTUAL_ENV"))
        },
        "QT_QPA_PLATFORM": "offscreen",
        "COSDESK_CONFIG_DIR": str(work / "config"),
        "COSDESK_DATA_DIR": str(work / "data"),
        "COSDESK_LOG_DIR": str(log_dir),
        "COSDESK_DB": str(work / "tasks.sqlite3"),
        "PYTHONIOENCODING": "utf-8",
    }

    started = step("bundle self-test (imports, Qt SVG plugin, icons)")
    run([cli], {**env, "COSDESK_BUNDLE_SELFTEST": "1"}, timeout_s=60)
    done(started)

    started = step("cosdesk --version")
    version = re.search(
        r'^__version__ = "([^"]+)"', (ROOT / "cosdesk" / "__init__.py").read_text(encoding="utf-8"), re.M
    )
    printed = run([cli, "--version"], env, timeout_s=60).stdout.strip()
    if version is None or printed != f"cosdesk {version.group(1)}":
        raise SmokeFailure(f"cosdesk --version printed {printed!r}")
    done(started, printed)

    started = step("cosdesk serve --port 0")
    server, endpoint, (secret_id, secret_key) = start_server(bundle, work / "cos-root", env)
    try:
        done(started, endpoint)
        # In a folder of its own, which the sync step below compares with the bucket.
        source = work / "sync-source" / FILE_NAME
        source.parent.mkdir()
        payload = os.urandom(FILE_SIZE)
        source.write_bytes(payload)
        started = step(f"cosdesk upload ({FILE_SIZE} bytes, multipart) to cos://{BUCKET}/smoke/")
        run(
            [cli, "-v", "upload", str(source), f"cos://{BUCKET}/smoke/", "--endpoint", endpoint, "-q"],
            {**env, "COS_SECRET_ID": secret_id, "COS_SECRET_KEY": secret_key},
            timeout_s=180,
        )
        done(started)
        started = step("GET the object back and compare")
        if read_object(endpoint, (secret_id, secret_key), f"smoke/{FILE_NAME}") != payload:
            raise SmokeFailure("the uploaded object differs from the file")
        done(started, f"{FILE_SIZE} bytes identical")
        started = step("cosdesk sync of the same folder skips what is there")
        synced = run(
            [cli, "sync", str(work / "sync-source"), f"cos://{BUCKET}/smoke/", "--endpoint", endpoint],
            {**env, "COS_SECRET_ID": secret_id, "COS_SECRET_KEY": secret_key},
            timeout_s=120,
        ).stdout
        if "0 uploaded, 1 skipped (1 same size and CRC-64), 0 deleted, 0 failed" not in synced:
            raise SmokeFailure(f"cosdesk sync printed {synced!r}")
        done(started, "1 skipped by CRC-64")
    finally:
        stop(server)

    started = step(f"cosdesk-gui offscreen for {GUI_SECONDS} s")
    run([gui], {**env, "COSDESK_GUI_QUIT_AFTER_S": str(GUI_SECONDS)}, timeout_s=GUI_SECONDS + 90)
    log_text = "".join(
        path.read_text(encoding="utf-8", errors="replace") for path in sorted(log_dir.glob("cosdesk.log*"))
    )
    if "visible windows: MainWindow" not in log_text:
        print(log_text[-3000:], file=sys.stderr)
        raise SmokeFailure("cosdesk-gui quit without having shown its main window (see the log)")
    done(started, "main window shown, exit status 0")

    started = step("log files hold no secrets")
    leaks = re.findall(r"q-signature=[0-9a-f]{40}|q-sign-algorithm=\w+&q-ak=[^&\s]+", log_text)
    if secret_key in log_text:
        leaks.append("the server's SecretKey")
    if leaks:
        raise SmokeFailure(f"the log holds secrets: {leaks[:3]}")
    done(started, f"{len(log_text.splitlines())} log lines checked")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "cosdesk", help="the bundle folder")
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="cosdesk-smoke-") as work:
        try:
            smoke(args.bundle.resolve(), Path(work))
        except (SmokeFailure, subprocess.TimeoutExpired) as failure:
            print(f"smoke: FAILED: {failure}", file=sys.stderr)
            return 1
    print(f"smoke: all passed in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
