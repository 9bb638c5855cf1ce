"""Other accounts on the same computer cannot use the window's sandbox.

Every local account reaches 127.0.0.1, so the sandbox the window starts checks
a key pair of the user's own (kept in the keyring, handed to the child in its
environment) and keeps its objects in a folder only the user can open. The
other account here is ``nobody``, reached with setpriv (or runuser): that needs
root, as the tests have here and in CI.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keyring
import keyring.backends.fail
import pytest
from PySide6.QtCore import QThreadPool

from cosdesk import config
from cosdesk.cos.client import CosClient
from cosdesk.engine.client_router import ClientRouter
from cosdesk.engine.options import EndpointSpec
from cosdesk.sandbox.keys import SECRET_ID_ENV, SECRET_KEY_ENV
from cosdesk.ui.accounts import (
    SANDBOX_BUCKET,
    SANDBOX_KEYRING_ENTRY,
    SANDBOX_KEYS,
    SANDBOX_REGION,
    SandboxKeys,
)
from cosdesk.ui.sandbox_runner import SandboxRunner

# The pair every sandbox accepted before it had keys of its own.
OLD_WELL_KNOWN_PAIR = ("cosdesk-local", "cosdesk-local-secret")

needs_root = pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.geteuid() != 0,
    reason="acting as another local user (nobody) needs root on Linux",
)

# Runs as nobody, with nothing but the standard library (the checkout may sit in
# a folder nobody cannot read). Reads a list of actions as JSON on stdin and
# prints one result per action. Requests are signed as COS signs them, with the
# bucket in the Host header and the port in the URL.
AS_ANOTHER_USER = r"""
import hashlib, hmac, http.client, json, os, sys, time
from urllib.parse import quote


def signed(method, host, key, secret_id, secret_key):
    now = int(time.time())
    key_time = f"{now - 60};{now + 600}"
    sign_key = hmac.new(secret_key.encode(), key_time.encode(), hashlib.sha1).hexdigest()
    headers = f"host={quote(host, safe='-_.~')}"
    http_string = f"{method.lower()}\n/{key}\n\n{headers}\n"
    to_sign = f"sha1\n{key_time}\n{hashlib.sha1(http_string.encode()).hexdigest()}\n"
    signature = hmac.new(sign_key.encode(), to_sign.encode(), hashlib.sha1).hexdigest()
    return (
        f"q-sign-algorithm=sha1&q-ak={secret_id}&q-sign-time={key_time}&q-key-time={key_time}"
        f"&q-header-list=host&q-url-param-list=&q-signature={signature}"
    )


def request(job, method, body=b""):
    host = f"{job['bucket']}.cos.{job['region']}.myqcloud.com"
    connection = http.client.HTTPConnection("127.0.0.1", job["port"], timeout=10)
    authorization = signed(method, host, job["key"], job["secret_id"], job["secret_key"])
    headers = {"Host": host, "Authorization": authorization}
    connection.request(method, "/" + quote(job["key"]), body=body, headers=headers)
    answer = connection.getresponse()
    content = answer.read()
    connection.close()
    return {"status": answer.status, "body": content.decode("utf-8", "replace")}


def file_access(action, path):
    try:
        if action == "read":
            with open(path, "rb") as handle:
                return {"ok": True, "text": handle.read().decode("utf-8", "replace")}
        return {"ok": True, "names": os.listdir(path)}
    except OSError as error:
        return {"ok": False, "error": type(error).__name__}


results = []
for job in json.load(sys.stdin):
    if job["action"] in ("get", "put"):
        method = job["action"].upper()
        results.append(request(job, method, job.get("data", "").encode()))
    else:
        results.append(file_access(job["action"], job["path"]))
print(json.dumps({"uid": os.getuid(), "results": results}))
"""


@dataclass
class WindowSandbox:
    endpoint: str
    port: int
    pid: int
    root: Path
    data_dir: Path


@pytest.fixture
def shared_data_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A data folder that other users may enter (like a home folder's
    ~/.local/share): the test's own tmp_path is private to root already, which
    would hide whether the sandbox's own folder is."""
    folder = Path(tempfile.mkdtemp(prefix="cosdesk-shared-data-"))
    folder.chmod(0o755)
    monkeypatch.setenv("COSDESK_DATA_DIR", str(folder))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def window_sandbox(qtbot: Any, shared_data_dir: Path) -> Iterator[WindowSandbox]:
    """The sandbox started as the window starts it: SandboxRunner, under the data folder."""
    pool = QThreadPool()
    runner = SandboxRunner(pool)
    root = config.data_dir() / "sandbox"
    with qtbot.waitSignal(runner.started, timeout=30_000) as started:
        runner.start(root, 0)
    endpoint = str(started.args[0])
    assert runner._process is not None
    try:
        yield WindowSandbox(
            endpoint, int(endpoint.rsplit(":", 1)[1]), runner._process.pid, root, shared_data_dir
        )
    finally:
        runner.stop()
        pool.waitForDone(10_000)


def as_nobody(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run the jobs as the local account nobody; their results in order."""
    # The system interpreter and the script in its arguments: nobody can run them
    # wherever this checkout, its venv and the test's temporary files live.
    python = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
    if shutil.which("setpriv"):
        switch = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    else:
        switch = ["runuser", "-u", "nobody", "--"]
    finished = subprocess.run(
        [*switch, python, "-I", "-c", AS_ANOTHER_USER],
        input=json.dumps(jobs),
        capture_output=True,
        text=True,
        timeout=60,
        cwd="/",
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
    )
    assert finished.returncode == 0, finished.stderr
    report = json.loads(finished.stdout)
    assert report["uid"] != os.getuid()  # really another account
    results: list[dict[str, Any]] = report["results"]
    return results


def request_job(
    sandbox: WindowSandbox, action: str, key: str, pair: tuple[str, str], data: str = ""
) -> dict[str, Any]:
    return {
        "action": action,
        "port": sandbox.port,
        "bucket": SANDBOX_BUCKET,
        "region": SANDBOX_REGION,
        "key": key,
        "secret_id": pair[0],
        "secret_key": pair[1],
        "data": data,
    }


def sandbox_client(sandbox: WindowSandbox) -> CosClient:
    # What uploads to the sandbox use: the window's router, for the sandbox's endpoint.
    router = ClientRouter()
    spec = EndpointSpec(SANDBOX_REGION, url=sandbox.endpoint, path_style=True)
    router.set_local_keys(spec, SANDBOX_KEYS.get)
    return router(spec)


@needs_root
def test_another_user_can_neither_read_nor_write_sandbox_objects(
    window_sandbox: WindowSandbox, tmp_path: Path
) -> None:
    own_pair = (SANDBOX_KEYS.get().secret_id, SANDBOX_KEYS.get().secret_key)
    assert own_pair != OLD_WELL_KNOWN_PAIR
    client = sandbox_client(window_sandbox)
    client.put_object(SANDBOX_BUCKET, "private.txt", b"the user's own data")

    old_get, old_put, guessed_get, own_get = as_nobody(
        [
            request_job(window_sandbox, "get", "private.txt", OLD_WELL_KNOWN_PAIR),
            request_job(window_sandbox, "put", "intruder.txt", OLD_WELL_KNOWN_PAIR, data="planted"),
            request_job(window_sandbox, "get", "private.txt", ("AKIDguessed", "guessed-secret")),
            # The same requests signed with the user's pair work from nobody's account:
            # the refusals above are the keys', not a network or signing problem.
            request_job(window_sandbox, "get", "private.txt", own_pair),
        ]
    )

    assert (old_get["status"], old_put["status"], guessed_get["status"]) == (403, 403, 403)
    assert "the user's own data" not in old_get["body"] + guessed_get["body"]
    assert (own_get["status"], own_get["body"]) == (200, "the user's own data")
    assert [summary.key for summary in client.iter_objects(SANDBOX_BUCKET)] == ["private.txt"]
    client.close()


@needs_root
def test_another_user_cannot_read_the_key_pair_or_the_storage_folder(
    window_sandbox: WindowSandbox, tmp_path: Path
) -> None:
    pair = SANDBOX_KEYS.get()
    client = sandbox_client(window_sandbox)
    client.put_object(SANDBOX_BUCKET, "stored.txt", b"kept on disk")
    client.close()
    stored_files = [Path(folder, name) for folder, _, names in os.walk(window_sandbox.root) for name in names]
    assert stored_files, "the sandbox stored no file to try"
    readable_beside = window_sandbox.data_dir / "readable.txt"
    readable_beside.write_text("anyone may read this")
    readable_beside.chmod(0o644)
    proc = Path("/proc", str(window_sandbox.pid))

    results = as_nobody(
        [
            {"action": "list", "path": str(window_sandbox.root)},
            *({"action": "read", "path": str(path)} for path in stored_files),
            {"action": "read", "path": str(proc / "environ")},
            {"action": "read", "path": str(proc / "cmdline")},
            {"action": "read", "path": str(readable_beside)},  # the control: nobody reads files
        ]
    )

    listing, *stored, environ, cmdline, control = results
    assert stat.S_IMODE(window_sandbox.root.stat().st_mode) == 0o700
    assert listing == {"ok": False, "error": "PermissionError"}
    assert all(result == {"ok": False, "error": "PermissionError"} for result in stored)
    assert environ == {"ok": False, "error": "PermissionError"}
    # The command line is anyone's to read (ps): the pair is not on it.
    assert cmdline["ok"] and "serve" in cmdline["text"]
    assert pair.secret_key not in cmdline["text"] and pair.secret_id not in cmdline["text"]
    assert control == {"ok": True, "text": "anyone may read this"}
    # The child's environment holds the pair, for its own user only.
    environment = (proc / "environ").read_bytes().split(b"\0")
    assert f"{SECRET_KEY_ENV}={pair.secret_key}".encode() in environment


def test_no_file_the_window_or_its_sandbox_writes_holds_the_key_pair(
    window_sandbox: WindowSandbox, tmp_path: Path
) -> None:
    pair = SANDBOX_KEYS.get()
    client = sandbox_client(window_sandbox)
    client.put_object(SANDBOX_BUCKET, "a.txt", b"x")
    client.close()
    folders = [window_sandbox.data_dir, config.config_dir(), Path(os.environ["COSDESK_LOG_DIR"])]
    for folder in folders:
        for path in (Path(top, name) for top, _, names in os.walk(folder) for name in names):
            content = path.read_bytes()
            assert pair.secret_key.encode() not in content, path
            assert pair.secret_id.encode() not in content, path
    # The window's own environment never held it either: only the child's does.
    assert SECRET_KEY_ENV not in os.environ and SECRET_ID_ENV not in os.environ


def test_sandbox_keys_are_made_at_the_first_run_and_kept_in_the_keyring(memory_keyring: Any) -> None:
    first_run = SandboxKeys().get()
    assert (first_run.secret_id, first_run.secret_key) != OLD_WELL_KNOWN_PAIR
    assert first_run.secret_id.startswith("AKID") and len(first_run.secret_key) == 32
    assert (config.KEYRING_SERVICE, SANDBOX_KEYRING_ENTRY) in memory_keyring.passwords
    # A later run (tasks restored from the earlier one) signs with the same pair.
    assert SandboxKeys().get() == first_run
    assert config.load_credentials(SANDBOX_KEYRING_ENTRY) == first_run


def test_sandbox_keys_without_a_keyring_are_fresh_and_held_in_memory_for_the_run() -> None:
    previous = keyring.get_keyring()
    # keyring's own backend for "no keyring on this system" (what a bare server has).
    no_keyring: Any = keyring.backends.fail.Keyring
    keyring.set_keyring(no_keyring())
    try:
        this_run = SandboxKeys()
        pair = this_run.get()
        assert this_run.get() == pair  # the child and the uploads agree for the whole run
        assert SandboxKeys().get() != pair  # another run: another pair
    finally:
        keyring.set_keyring(previous)


def test_an_unreadable_keyring_entry_is_replaced_by_a_fresh_pair(memory_keyring: Any) -> None:
    memory_keyring.passwords[(config.KEYRING_SERVICE, SANDBOX_KEYRING_ENTRY)] = "not json"
    pair = SandboxKeys().get()
    assert config.load_credentials(SANDBOX_KEYRING_ENTRY) == pair
