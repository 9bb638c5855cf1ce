"""The services the window works with, built in one place from the configuration
(the settings file, the task database, whether the local sandbox is offered) and
handed to the window, which arranges widgets over them and builds none.

Built here, in this order: the interpreter's switch interval, the task store
(first: when the database cannot be opened, nothing else has started), the
client router with every account's keys, the upload queue, the watched folders,
the garbage-collection pacer, a small thread pool for the window's own work off the GUI thread, and the
runner of the local sandbox. :meth:`Session.shutdown` stops them in the one order
that loses nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QThreadPool

from cosdesk import config
from cosdesk.config import Settings
from cosdesk.engine.client_router import ClientRouter
from cosdesk.engine.gc_pacer import GcPacer
from cosdesk.engine.options import EndpointSpec
from cosdesk.engine.queue import ANSWER_GRACE_S, UploadQueue
from cosdesk.engine.queue_commands import QueueCommands
from cosdesk.engine.store import TaskStore
from cosdesk.engine.sync_record import SyncRecord, record_path_beside
from cosdesk.engine.watch_catch_up import SyncCatchUp
from cosdesk.engine.watch_list import FILE_NAME as WATCH_LIST_FILE
from cosdesk.engine.watched_folders import WatchedFolders
from cosdesk.ui.accounts import (
    SANDBOX_KEYS,
    SessionSecrets,
    queue_settings_for,
    router_accounts,
    sandbox_endpoint_spec,
    sandbox_url,
)
from cosdesk.ui.interpreter import tune_interpreter_for_gui
from cosdesk.ui.sandbox_runner import SandboxRunner, SandboxState, remembered_port


class Session:
    """The window's services and the settings they follow (see the module's docstring).

    ``settings`` are the ones in use; change them with :meth:`use_settings`, so the
    router and the queue follow. ``settings_problem`` says why the settings file
    could not be read at start ("" when it could; the defaults are used then).
    ``sandbox_offered``: "Local sandbox" is listed beside the accounts (and starts
    when chosen); ``sandbox_at_start``: it starts as soon as the window opens.
    """

    def __init__(
        self,
        store: TaskStore,
        settings: Settings,
        *,
        settings_problem: str = "",
        sandbox_offered: bool = True,
        sandbox_at_start: bool = False,
    ) -> None:
        self.store = store
        self.settings = settings
        self.settings_problem = settings_problem
        self.secrets = SessionSecrets()
        self.router = ClientRouter()
        self._sign_for(settings)
        self.queue = UploadQueue(store, self.router, queue_settings_for(settings.transfers))
        # The window's pause, resume, cancel…: off the GUI thread, in the order given.
        self.commands = QueueCommands(self.queue)
        # What "Sync a folder…" synced, beside the task database (engine/sync_record.py).
        self.sync_record = SyncRecord(record_path_beside(store.path))
        # Garbage is collected from this thread, fully only when the queue is idle:
        # left to itself, a full collection over 10,000 tasks froze the window.
        self.gc_pacer = GcPacer(is_quiet=self.queue.is_idle)
        self.queue.idle.connect(self.gc_pacer.collect_when_quiet)
        # The window starts them (``watches.load``) once the queue is restored.
        self.watches = WatchedFolders(
            self.queue,
            config.config_dir() / WATCH_LIST_FILE,
            plan_catch_up=SyncCatchUp(self.queue, self.sync_record),
            synced=self.sync_record,
        )
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(2)
        self.sandbox = SandboxRunner(self.pool)
        self.sandbox_offered = sandbox_offered
        self.sandbox_at_start = sandbox_offered and sandbox_at_start
        # Where it listened last time: tasks queued for it then name that address.
        port = remembered_port()
        self.sandbox_before: EndpointSpec | None = sandbox_endpoint_spec(sandbox_url(port)) if port else None
        if sandbox_offered and self.sandbox_before is not None:
            self.router.set_local_keys(self.sandbox_before, SANDBOX_KEYS.get)
        self._shut_down = False

    def use_settings(self, settings: Settings) -> None:
        """Use ``settings`` from now on: the router signs for their accounts (when
        those changed) and the queue takes their shared limits."""
        accounts_changed = (settings.profiles, settings.active_profile) != (
            self.settings.profiles,
            self.settings.active_profile,
        )
        self.settings = settings
        if accounts_changed:
            self.router.forget_clients()
            self._sign_for(settings)
        self.queue.set_bandwidth_limit(settings.transfers.bandwidth_limit_bytes_per_s)
        self.queue.set_file_parallel_limit(settings.transfers.parallel_files)

    def _sign_for(self, settings: Settings) -> None:
        self.router.set_accounts(router_accounts(settings, self.secrets), active=settings.active_profile)

    # --- the local sandbox ------------------------------------------------------------

    def start_sandbox(self) -> bool:
        """Start the local sandbox (it reports through ``sandbox.started`` or
        ``failed``). False when it is not offered, or already starting or running."""
        if not self.sandbox_offered or self.sandbox.state in (SandboxState.STARTING, SandboxState.RUNNING):
            return False
        self.sandbox.start(config.data_dir() / "sandbox")
        return True

    def sandbox_listening(self, endpoint: str) -> None:
        """The sandbox listens at ``endpoint``: its uploads, and those queued for its
        address of last time, sign with its keys and go there."""
        earlier = [self.sandbox_before] if self.sandbox_before is not None else []
        self.router.set_local_keys(sandbox_endpoint_spec(endpoint), SANDBOX_KEYS.get, earlier=earlier)

    def sandbox_has_unfinished_tasks(self) -> bool:
        """Whether uploads to the local sandbox are left for next time (it starts then).
        Asked of the database as it is (one grouped count, at quit): waiting for
        the writes still queued is the shutdown's job, which shows how it goes."""
        before = self.sandbox_before.url if self.sandbox_before is not None else None
        urls = {self.sandbox.endpoint, before} - {None}
        stored = self.store.unfinished_by_endpoint()
        return any(EndpointSpec.from_json(text).url in urls for text in stored)

    # --- the end ----------------------------------------------------------------------

    def shutdown(self, on_saving: Callable[[int], None] | None = None) -> None:
        """Stop the queue's workers (their tasks stay in the database for next time),
        then what they used: the pool's jobs, the database, the clients, and the
        sandbox child last, so no upload to it is cut off. The database takes every
        change still queued first, however long that takes; ``on_saving(writes
        left)`` is told every half second while it does. Idempotent."""
        if self._shut_down:
            return
        self._shut_down = True
        self.queue.no_restore_coming()  # quitting before it began: no command waits for it
        self.commands.wait()  # a "Cancel all" just before quitting reaches every task
        self.watches.shutdown_with_queue(on_saving)  # the watches around their queue
        self.gc_pacer.stop()
        if not self.pool.waitForDone(int(ANSWER_GRACE_S * 1000)):
            # A listing of the bucket or a look for files already in it waits on a
            # silent server: it ends now. With its retries, it kept the quit
            # window's process alive (and taking later launches' files) for minutes.
            self.router.stop_requests()
        self.pool.waitForDone(10_000)
        self.store.close(on_progress=on_saving)
        self.sync_record.close()
        self.router.close()
        self.sandbox.stop()


def read_settings() -> tuple[Settings, str]:
    """The saved settings and "", or the defaults and why the file could not be read."""
    try:
        return config.load_settings(), ""
    except config.ConfigError as error:
        return Settings(), str(error)


def open_session(db_path: Path | None = None, *, start_sandbox: bool | None = None) -> Session:
    """The window's services on the task database ``db_path`` (default: the data
    folder's) and the saved settings. The local sandbox is offered unless
    ``start_sandbox`` is False, and starts with the window when it is True.
    Raises StoreError, having started nothing, when the database cannot be opened."""
    tune_interpreter_for_gui()
    store = TaskStore(db_path or config.data_dir() / "tasks.sqlite3", background=True)
    settings, problem = read_settings()
    return Session(
        store,
        settings,
        settings_problem=problem,
        sandbox_offered=start_sandbox is not False,
        sandbox_at_start=start_sandbox is True,
    )
