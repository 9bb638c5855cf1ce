"""Tencent's Node SDKs (cos-nodejs-sdk-v5, cos-wx-sdk-v5) for the tests.

``ensure_installed`` puts the versions pinned in ``tests/node/package-lock.json``
into ``tests/node/node_modules`` (``npm ci``) unless that exact lock file was
installed already; ``run_scenario`` runs one of the scripts in ``tests/node``
against a local server and returns the JSON line it prints.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
LOCK_FILE = NODE_DIR / "package-lock.json"
# Written after a successful install: the SHA-256 of the lock file it installed.
INSTALLED_STAMP = NODE_DIR / "node_modules" / ".cosdesk-installed-lock-sha256"
INSTALL_TIMEOUT_S = 600
# The SDKs' bundles use syntax (optional chaining, async) and globals (URL) of node 16+.
MIN_NODE_MAJOR = 16
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@dataclass(frozen=True)
class ServerAccess:
    """Where a scenario connects and with which keys (handed over in its environment)."""

    endpoint: str
    bucket: str
    region: str
    secret_id: str
    secret_key: str


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(
            f"the Node SDK tests need {name!r} on PATH (Debian: apt-get install nodejs npm)", pytrace=False
        )
    return found


def _check_node_version(node: str) -> None:
    version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    match = re.match(r"v(\d+)\.", version)
    if match is None or int(match.group(1)) < MIN_NODE_MAJOR:
        pytest.fail(
            f"the Node SDK tests need node {MIN_NODE_MAJOR} or later, found {version!r}", pytrace=False
        )


@contextlib.contextmanager
def _install_lock() -> Iterator[None]:
    """One installer at a time: several pytest runs may share this checkout."""
    try:
        import fcntl
    except ImportError:  # Windows: no concurrent runs to guard against there
        yield
        return
    with (NODE_DIR / ".npm-install.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_installed() -> None:
    """Install the pinned SDKs with ``npm ci`` unless this lock file is installed
    already. Fails the test (never skips) when node or npm is missing or the
    install fails."""
    node = _tool("node")
    npm = _tool("npm")
    _check_node_version(node)
    wanted = hashlib.sha256(LOCK_FILE.read_bytes()).hexdigest()
    with _install_lock():
        if INSTALLED_STAMP.is_file() and INSTALLED_STAMP.read_text().strip() == wanted:
            return
        # --ignore-scripts: the SDKs need no install scripts, and none of the
        # packages' scripts should run on a test machine.
        command = [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"]
        try:
            result = subprocess.run(
                command, cwd=NODE_DIR, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"'npm ci' in {NODE_DIR} took over {INSTALL_TIMEOUT_S} s", pytrace=False)
        if result.returncode != 0:
            output = (result.stdout + result.stderr)[-4000:]
            pytest.fail(f"'npm ci' in {NODE_DIR} failed (exit {result.returncode}):\n{output}", pytrace=False)
        INSTALLED_STAMP.write_text(wanted + "\n")


def _scenario_environment(access: ServerAccess, conf_dir: Path, endpoint_mode: str) -> dict[str, str]:
    environment = {name: value for name, value in os.environ.items() if name.lower() not in PROXY_VARIABLES}
    environment.update(
        {
            # The Node SDK's HTTP library honours proxy variables; the server is local.
            "NO_PROXY": "*",
            "COS_ENDPOINT": access.endpoint,
            "COS_BUCKET": access.bucket,
            "COS_REGION": access.region,
            "COS_SECRET_ID": access.secret_id,
            "COS_SECRET_KEY": access.secret_key,
            "COS_SDK_CONF_DIR": str(conf_dir),
            "COS_ENDPOINT_MODE": endpoint_mode,
        }
    )
    return environment


def run_scenario(
    script: str,
    access: ServerAccess,
    inputs: Mapping[str, object],
    *,
    conf_dir: Path,
    endpoint_mode: str = "ip",
    timeout_s: float = 60.0,
) -> dict[str, Any]:
    """Run ``tests/node/{script}`` with ``inputs`` (JSON in argv) and return its
    result line. Fails with the scenario's error and log when it does not
    report ``ok``, runs past ``timeout_s``, or prints the secret key."""
    conf_dir.mkdir(parents=True, exist_ok=True)
    command = [_tool("node"), str(NODE_DIR / script), json.dumps(inputs)]
    environment = _scenario_environment(access, conf_dir, endpoint_mode)

    def redacted(text: str) -> str:
        return text.replace(access.secret_key, "<secret key>")[-6000:]

    try:
        completed = subprocess.run(
            command, cwd=NODE_DIR, env=environment, capture_output=True, text=True, timeout=timeout_s
        )
    except subprocess.TimeoutExpired as timeout:
        log = timeout.stderr.decode(errors="replace") if isinstance(timeout.stderr, bytes) else ""
        pytest.fail(f"{script} ran past {timeout_s} s; its log:\n{redacted(log)}", pytrace=False)
    output = completed.stdout + completed.stderr
    assert access.secret_key not in output, f"{script} printed the secret key"
    lines = [line for line in completed.stdout.splitlines() if line.strip()]
    if not lines:
        log = redacted(completed.stderr)
        pytest.fail(f"{script} printed no result (exit {completed.returncode}); log:\n{log}", pytrace=False)
    result: dict[str, Any] = json.loads(lines[-1])
    if not result.get("ok"):
        pytest.fail(
            f"{script} failed: {json.dumps(result.get('error'))}\n"
            f"{result.get('stack') or ''}\nits log:\n{redacted(completed.stderr)}",
            pytrace=False,
        )
    return result
