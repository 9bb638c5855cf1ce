"""The local COS server ("Local sandbox"), in a child process.

The window starts ``cosdesk serve`` under the data dir when it is wanted (no
account yet, or the user picks it), so a new user can drop a file in at once. It
runs as a child process, not as threads of the window: its request handling would
otherwise compete with the GUI thread for the interpreter lock on every upload.
The child stops when its stdin closes, so it never outlives the window, even
after a crash.

Its port stays the same from run to run: tasks restored from an earlier run carry
the endpoint URL they were queued with. It tries the port it had last time, then
a few fixed ones, then any free one, and remembers the one it got.

Other accounts on the same computer reach 127.0.0.1 too, so the server checks a
key pair of this user's own (``SANDBOX_KEYS``: kept in the keyring), handed to
the child in its environment, which only this user can read; never in its
arguments, which every user sees. Its storage folder is this user's alone.
"""

from __future__ import annotations

import enum
import logging
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import IO

from PySide6.QtCore import QObject, QRunnable, QSettings, QThreadPool, Signal

from cosdesk import config
from cosdesk.logs import LOG_FILE_ENV, SANDBOX_LOG_FILE_NAME
from cosdesk.sandbox.public import LISTENING, SECRET_ID_ENV, SECRET_KEY_ENV, make_private_root
from cosdesk.ui.accounts import SANDBOX_BUCKET, SANDBOX_KEYS, SANDBOX_REGION

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 5.0
# Fixed first choices, below the ranges systems hand out for outgoing connections
# (Linux 32768-60999; Windows and macOS 49152-65535): while cosdesk is closed, any
# program's connection may hold a port from those ranges.
FIRST_PORTS = tuple(range(29470, 29480))
_PORT_KEY = "sandbox/port"


def _port_memory() -> QSettings:
    # Beside the window's state (window.ini), where earlier versions kept it too.
    return QSettings(str(config.config_dir() / "window.ini"), QSettings.Format.IniFormat)


def remembered_port() -> int:
    """The port the sandbox had last time, 0 if none (reads a small file)."""
    try:
        return int(str(_port_memory().value(_PORT_KEY, 0) or 0))
    except ValueError:
        return 0


def _port_is_free(port: int) -> bool:
    """Whether 127.0.0.1:``port`` can be bound now (as the server binds it)."""
    try:
        with socket.create_server(("127.0.0.1", port)):
            return True
    except OSError:
        return False


def ports_to_try(preferred_port: int) -> list[int]:
    """The preferred port, then the fixed ones, then 0 (any free port): those of
    them that are free now, in that order."""
    candidates = dict.fromkeys(port for port in (preferred_port, *FIRST_PORTS) if port)
    return [port for port in candidates if _port_is_free(port)] + [0]


def cosdesk_command() -> list[str]:
    """How to run the ``cosdesk`` command from this process: the bundle's own
    console executable when frozen (PyInstaller), else this interpreter."""
    if getattr(sys, "frozen", False):
        name = "cosdesk.exe" if sys.platform == "win32" else "cosdesk"
        return [str(Path(sys.executable).with_name(name))]
    return [sys.executable, "-m", "cosdesk"]


def _drain(stream: IO[str], label: str, at_end: Callable[[], None] = lambda: None) -> None:
    # The child's later output must be read, or a full pipe would block it. Its
    # output ends when it does.
    for line in stream:
        log.debug("sandbox %s: %s", label, line.rstrip())
    at_end()


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
        for port in ports_to_try(self._preferred_port or remembered_port()):
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
                threading.Thread(target=_drain, args=(process.stderr, "err"), daemon=True).start()
                at_end = partial(self._runner._ended_in_worker, process)
                threading.Thread(target=_drain, args=(process.stdout, "out", at_end), daemon=True).start()
                endpoint = first_line[len(LISTENING) :].strip()
                memory = _port_memory()  # a file write: done here, off the GUI thread
                memory.setValue(_PORT_KEY, int(endpoint.rsplit(":", 1)[-1]))
                memory.sync()
                self._runner._started_in_worker(process, endpoint, "")
                return
            error_text = process.stderr.read().strip() or f"cosdesk serve exited with {process.wait()}"
            process.wait()
            log.info("local sandbox could not use port %s: %s", port, error_text)
        self._runner._started_in_worker(None, "", error_text)


class SandboxState(enum.Enum):
    STOPPED = "stopped"  # not started yet, or stopped
    STARTING = "starting"
    RUNNING = "running"
    FAILED = "failed"  # the last start failed; starting again may work


class SandboxRunner(QObject):
    """Starts and stops the local server; reports through signals."""

    # The server listens: its endpoint URL (http://127.0.0.1:PORT).
    started = Signal(str)
    # It could not start: a message for the user.
    failed = Signal(str)
    # It was running and ended by itself (killed, crashed): its exit status
    # (negative: the signal that ended it).
    ended = Signal(int)

    def __init__(self, pool: QThreadPool, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = pool
        self._process: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()
        self.state = SandboxState.STOPPED
        self.endpoint: str | None = None

    def start(self, root: Path, preferred_port: int = 0) -> None:
        """Start the server under ``root`` unless it runs or is starting.
        ``preferred_port`` 0: the port it had last time."""
        with self._lock:
            if self.state in (SandboxState.STARTING, SandboxState.RUNNING):
                return
            self.state = SandboxState.STARTING
        self._pool.start(_Start(self, root, preferred_port))

    def _started_in_worker(self, process: subprocess.Popen[str] | None, endpoint: str, error: str) -> None:
        # Runs on the worker: the signals are queued to the GUI thread.
        with self._lock:
            stopped = self.state is SandboxState.STOPPED  # stop() came first
            if process is None:
                self.state = SandboxState.FAILED
            elif not stopped:
                self._process, self.endpoint, self.state = process, endpoint, SandboxState.RUNNING
        if process is None:
            self.failed.emit(error)
        elif stopped:
            _stop_process(process)
        else:
            self.started.emit(endpoint)

    def _ended_in_worker(self, process: subprocess.Popen[str]) -> None:
        # On the thread that read its output, once that ended.
        status = process.wait()
        with self._lock:
            if self._process is not process:
                return  # stopped by stop(): nothing unexpected
            self._process, self.endpoint, self.state = None, None, SandboxState.STOPPED
        log.warning(
            "the local sandbox ended by itself (exit status %s); its log: %s", status, SANDBOX_LOG_FILE_NAME
        )
        self.ended.emit(status)

    def stop(self) -> None:
        """Ask the server to stop (end of its input) and wait for it, briefly."""
        with self._lock:
            process, self._process = self._process, None
            self.endpoint = None
            self.state = SandboxState.STOPPED
        if process is not None:
            _stop_process(process)


def _stop_process(process: subprocess.Popen[str]) -> None:
    if process.stdin is not None:
        process.stdin.close()
    try:
        process.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
