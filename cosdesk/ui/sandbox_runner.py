"""The first-run local COS server, in a child process.

With no account configured the window starts ``cosdesk serve`` under the data dir,
so a new user can drop a file in at once. It runs as a child process, not as
threads of the window: its request handling would otherwise compete with the GUI
thread for the interpreter lock on every upload. The child stops when its stdin
closes, so it never outlives the window, even after a crash.

It tries the port it had last time first: tasks restored from an earlier run
carry the endpoint URL they were queued with.

Other accounts on the same computer reach 127.0.0.1 too, so the server checks a
key pair of this user's own (``SANDBOX_KEYS``: kept in the keyring), handed to
the child in its environment, which only this user can read; never in its
arguments, which every user sees. Its storage folder is this user's alone.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from cosdesk.logs import LOG_FILE_ENV, SANDBOX_LOG_FILE_NAME
from cosdesk.sandbox.cli import LISTENING, make_private_root
from cosdesk.sandbox.keys import SECRET_ID_ENV, SECRET_KEY_ENV
from cosdesk.ui.accounts import SANDBOX_BUCKET, SANDBOX_KEYS, SANDBOX_REGION

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 5.0


def cosdesk_command() -> list[str]:
    """How to run the ``cosdesk`` command from this process: the bundle's own
    console executable when frozen (PyInstaller), else this interpreter."""
    if getattr(sys, "frozen", False):
        name = "cosdesk.exe" if sys.platform == "win32" else "cosdesk"
        return [str(Path(sys.executable).with_name(name))]
    return [sys.executable, "-m", "cosdesk"]


def _drain(stream: IO[str], label: str) -> None:
    # The child's later output must be read, or a full pipe would block it.
    for line in stream:
        log.debug("sandbox %s: %s", label, line.rstrip())


class _Start(QRunnable):
    def __init__(self, runner: SandboxRunner, root: Path, preferred_port: int) -> None:
        super().__init__()
        self._runner = runner
        self._root = root
        self._preferred_port = preferred_port

    def run(self) -> None:
        try:
            make_private_root(self._root)
        except OSError as error:
            self._runner._started_in_worker(None, "", f"cannot use {self._root}: {error.strerror or error}")
            return
        keys = SANDBOX_KEYS.get()  # may wait on the keyring: this is a worker thread
        environment = {
            **os.environ,
            # Its own log file: two processes must never rotate the same one.
            LOG_FILE_ENV: SANDBOX_LOG_FILE_NAME,
            SECRET_ID_ENV: keys.secret_id,
            SECRET_KEY_ENV: keys.secret_key,
        }
        error_text = ""
        for port in dict.fromkeys((self._preferred_port, 0)):
            process = subprocess.Popen(
                [
                    *cosdesk_command(),
                    "serve",
                    "--root",
                    str(self._root),
                    "--port",
                    str(port),
                    "--bucket",
                    SANDBOX_BUCKET,
                    "--region",
                    SANDBOX_REGION,
                    "--stop-with-stdin",
                ],
                stdin=subprocess.PIPE,
                env=environment,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                errors="replace",
                creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
            )
            assert process.stdout is not None and process.stderr is not None
            first_line = process.stdout.readline()
            if first_line.startswith(LISTENING):
                for stream, label in ((process.stdout, "out"), (process.stderr, "err")):
                    threading.Thread(target=_drain, args=(stream, label), daemon=True).start()
                self._runner._started_in_worker(process, first_line[len(LISTENING) :].strip(), "")
                return
            error_text = process.stderr.read().strip() or f"cosdesk serve exited with {process.wait()}"
            process.wait()
            log.info("local sandbox could not use port %s: %s", port, error_text)
        self._runner._started_in_worker(None, "", error_text)


class SandboxRunner(QObject):
    """Starts and stops the local server; reports through signals."""

    # The server listens: its endpoint URL (http://127.0.0.1:PORT).
    started = Signal(str)
    # It could not start: a message for the user.
    failed = Signal(str)

    def __init__(self, pool: QThreadPool, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = pool
        self._process: subprocess.Popen[str] | None = None
        self.endpoint: str | None = None

    def start(self, root: Path, preferred_port: int = 0) -> None:
        self._pool.start(_Start(self, root, preferred_port))

    def _started_in_worker(self, process: subprocess.Popen[str] | None, endpoint: str, error: str) -> None:
        # Runs on the worker: the signals are queued to the GUI thread.
        if process is None:
            self.failed.emit(error)
            return
        self._process, self.endpoint = process, endpoint
        self.started.emit(endpoint)

    def stop(self) -> None:
        """Ask the server to stop (end of its input) and wait for it, briefly."""
        process, self._process = self._process, None
        self.endpoint = None
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
