"""The window's sandbox runs as a child process that never outlives the window."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil

from cosdesk.ui.sandbox_runner import LISTENING, cosdesk_command


def test_serve_with_stop_with_stdin_exits_cleanly_when_its_input_closes(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [*cosdesk_command(), "serve", "--root", str(tmp_path), "--port", "0", "--stop-with-stdin"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdin is not None
    assert process.stdout.readline().startswith(LISTENING)
    process.stdin.close()
    assert process.wait(timeout=10) == 0


def test_sandbox_child_stops_when_the_window_process_is_killed(tmp_path: Path) -> None:
    # A stand-in for a crashing window: starts the sandbox the way the window
    # does, prints the child's pid, then waits to be killed with SIGKILL.
    parent_script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from PySide6.QtCore import QCoreApplication, QThreadPool
        from cosdesk.ui.sandbox_runner import SandboxRunner
        app = QCoreApplication([])
        pool = QThreadPool()
        runner = SandboxRunner(pool)
        runner.start(Path({str(tmp_path)!r}), 0)
        pool.waitForDone(20_000)
        print(runner._process.pid, runner.endpoint, flush=True)
        time.sleep(60)
        """
    )
    # The parent reaches the keyring through the runner: never the developer's own.
    no_keyring = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    parent = subprocess.Popen(
        [sys.executable, "-c", parent_script], stdout=subprocess.PIPE, text=True, env=no_keyring
    )
    assert parent.stdout is not None
    child_pid_text, endpoint = parent.stdout.readline().split()
    child = psutil.Process(int(child_pid_text))
    assert endpoint.startswith("http://127.0.0.1:") and child.is_running()
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while child.is_running() and child.status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE
