"""The strip above the table that asks for an account's keys when its uploads
cannot go on without them: after a restart, keys that were kept for one session
only are gone, and paused uploads would otherwise just fail with "NoCredentials".

It looks at the tasks a restore brings back and at every task that fails for
want of keys, finds their accounts, asks (off the GUI thread) which of them have
no keys, and shows one account at a time with fields for its SecretId and
SecretKey. "Resume uploads" keeps the keys (in the keyring, else for this
session) and resumes that account's paused and failed uploads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from PySide6.QtCore import QThreadPool, Signal, Slot
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cosdesk import config
from cosdesk.config import Settings
from cosdesk.cos.auth import Credentials
from cosdesk.engine.client_router import ClientRouter
from cosdesk.engine.notes import TaskNote
from cosdesk.engine.options import EndpointSpec
from cosdesk.engine.queue import UploadQueue
from cosdesk.engine.queue_commands import QueueCommands
from cosdesk.engine.task import FileFinished, TaskState
from cosdesk.ui.accounts import KeyOrigin, SessionSecrets, credential_servers, key_origins
from cosdesk.ui.background import run_in_background
from cosdesk.ui.palette import show_as_error
from cosdesk.ui.queue_listening import listen

NO_CREDENTIALS = "NoCredentials"


def keep_keys(name: str, keys: Credentials, in_keyring: bool, secrets: SessionSecrets) -> bool:
    """Keep ``keys`` for account ``name``: in the keyring when asked and possible,
    else in memory for this session. Returns whether the keyring took them.
    May block on the keyring: call it off the GUI thread."""
    if in_keyring:
        try:
            config.store_credentials(name, keys)
        except config.SecretStoreUnavailable:
            pass
        else:
            secrets.drop(name)
            return True
    secrets.put(name, keys)
    return False


def hold_without_keys(
    router: ClientRouter, secrets: SessionSecrets, settings: Settings
) -> Callable[[EndpointSpec], str | None]:
    """For ``UploadQueue.restore_in_background``: uploads of an account that has
    no keys now come back paused, saying so, instead of failing at once (an
    account of ``settings`` whose keys come from a credential server needs none)."""
    from_server = credential_servers(settings)

    def hold(endpoint: EndpointSpec) -> str | None:
        name = router.account_for(endpoint)
        if name is None:
            return None
        try:
            origin = key_origins([name], secrets, from_server=from_server)[name]
        except Exception:  # never stop a restore: the upload then says what is wrong
            return None
        if origin in (KeyOrigin.NONE, KeyOrigin.UNREADABLE):
            return TaskNote.NEEDS_KEYS.text(account=name)
        return None

    return hold


class KeysBanner(QFrame):
    """Asks for the keys of accounts whose uploads wait for them (hidden otherwise)."""

    # A line for the status bar after keys were entered: what happened.
    message = Signal(str)

    def __init__(
        self,
        queue: UploadQueue,
        commands: QueueCommands,
        router: ClientRouter,
        secrets: SessionSecrets,
        pool: QThreadPool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._queue = queue
        self._commands = commands
        self._router = router
        self._secrets = secrets
        self._pool = pool
        self._settings = Settings()
        # Accounts found without keys, in the order found; the first is shown.
        self._waiting: list[str] = []
        self._unreadable: set[str] = set()
        # Unfinished tasks per account, as last counted (check_tasks).
        self._counts: dict[str, int] = {}
        self._saving = False

        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, palette.color(QPalette.ColorRole.AlternateBase))
        self.setPalette(palette)
        self.setAccessibleName(self.tr("Keys needed"))

        self.headline = QLabel(self)
        self.headline.setWordWrap(True)
        font = self.headline.font()
        font.setBold(True)
        self.headline.setFont(font)
        self.detail = QLabel(self)
        self.detail.setWordWrap(True)
        self.secret_id = QLineEdit(self)
        self.secret_id.setPlaceholderText("AKID…")
        self.secret_id.setAccessibleName(self.tr("SecretId"))
        self.secret_key = QLineEdit(self)
        self.secret_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret_key.setAccessibleName(self.tr("SecretKey"))
        self.remember = QCheckBox(self.tr("Save in the system keyring"), self)
        self.remember.setChecked(True)
        self.resume = QPushButton(self.tr("Resume uploads"), self)
        self.resume.setDefault(True)
        self.later = QPushButton(self.tr("Later"), self)
        self.later.setToolTip(self.tr("The uploads stay paused; Settings can take the keys later"))
        self.problem = QLabel(self)
        show_as_error(self.problem)
        self.problem.hide()

        fields = QHBoxLayout()
        key_fields = ((self.tr("SecretId"), self.secret_id), (self.tr("SecretKey"), self.secret_key))
        for label_text, field in key_fields:
            label = QLabel(label_text, self)
            label.setBuddy(field)
            fields.addWidget(label)
            fields.addWidget(field, 1)
        fields.addWidget(self.remember)
        fields.addWidget(self.resume)
        fields.addWidget(self.later)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addWidget(self.headline)
        layout.addWidget(self.detail)
        layout.addLayout(fields)
        layout.addWidget(self.problem)

        self.resume.clicked.connect(self._on_resume)
        self.secret_key.returnPressed.connect(self._on_resume)
        self.later.clicked.connect(self._on_later)
        listen(self, queue.restored, self.check_tasks)
        listen(self, queue.file_finished, self._on_file_finished)
        self.hide()

    # --- what needs keys -------------------------------------------------------------

    def set_settings(self, settings: Settings) -> None:
        """The accounts as saved now (after Settings → Save): look again, since keys
        may have been entered there."""
        self._settings = settings
        waiting, self._waiting = self._waiting, []
        self._unreadable.clear()
        self._show_first()
        if waiting:
            self._look_up(set(waiting) & set(settings.profiles))

    def account(self) -> str | None:
        """The account whose keys are asked for now, if any."""
        return self._waiting[0] if self._waiting and self.isVisible() else None

    @Slot(list)
    def check_tasks(self, _task_ids: list[str] | None = None) -> None:
        """Look for accounts without keys among those of the unfinished tasks (after
        a restore, or a task failed for want of keys). The tasks are counted per
        account off the GUI thread, by the database: a restore may bring back a
        million."""
        run_in_background(self._pool, self, self._unfinished_by_account, self._on_counted)

    def _unfinished_by_account(self) -> dict[str, int]:
        """Worker: the unfinished tasks each account's keys sign."""
        counts: dict[str, int] = {}
        for endpoint, count in self._queue.unfinished_by_endpoint().items():
            name = self._router.account_for(endpoint)
            if name is not None:
                counts[name] = counts.get(name, 0) + count
        return counts

    @Slot(object)
    def _on_counted(self, result: object) -> None:
        if not isinstance(result, dict):
            return
        self._counts = cast(dict[str, int], result)
        self._look_up(set(self._counts) - set(self._waiting))

    @Slot(object)
    def _on_file_finished(self, event: FileFinished) -> None:
        if event.error is not None and event.error.code == NO_CREDENTIALS:
            self.check_tasks()

    def _look_up(self, names: set[str]) -> None:
        if not names:
            return
        secrets = self._secrets
        from_server = credential_servers(self._settings)
        run_in_background(
            self._pool,
            self,
            lambda: key_origins(sorted(names), secrets, from_server=from_server),
            self._on_origins,
        )

    @Slot(object)
    def _on_origins(self, result: object) -> None:
        if not isinstance(result, dict):
            return
        origins = cast(dict[str, KeyOrigin], result)
        for name, origin in origins.items():
            if origin in (KeyOrigin.NONE, KeyOrigin.UNREADABLE) and name not in self._waiting:
                self._waiting.append(name)
                if origin is KeyOrigin.UNREADABLE:
                    self._unreadable.add(name)
        self._show_first()

    def _show_first(self) -> None:
        self._waiting = [name for name in self._waiting if name in self._settings.profiles]
        count = 0
        while self._waiting and not (count := self._counts.get(self._waiting[0], 0)):
            self._waiting.pop(0)  # its uploads were cancelled or cleared meanwhile
        if not self._waiting:
            self.hide()
            return
        name = self._waiting[0]
        self.headline.setText(
            self.tr("%n upload(s) to account “%1” need its keys", None, count).replace("%1", name)
        )
        if name in self._unreadable:
            why = self.tr("The system keyring cannot be read, so the keys of “%1” are not available.")
        else:
            why = self.tr(
                "No keys are stored for “%1” (keys kept for one session only are forgotten "
                "when cosdesk quits)."
            )
        self.detail.setText(why.replace("%1", name) + " " + self.tr("Enter them to resume these uploads."))
        self.remember.setChecked(name not in self._unreadable)
        self.problem.hide()
        self.show()

    # --- answering -------------------------------------------------------------------

    @Slot()
    def _on_resume(self) -> None:
        if self._saving or not self._waiting:
            return
        secret_id, secret_key = self.secret_id.text().strip(), self.secret_key.text().strip()
        if not secret_id or not secret_key:
            self.problem.setText(self.tr("Enter both the SecretId and the SecretKey."))
            self.problem.show()
            return
        name = self._waiting[0]
        keys = Credentials(secret_id, secret_key)
        in_keyring, secrets = self.remember.isChecked(), self._secrets
        self._set_busy(True)
        run_in_background(
            self._pool, self, lambda: (name, keep_keys(name, keys, in_keyring, secrets)), self._on_kept
        )

    def _set_busy(self, busy: bool) -> None:
        self._saving = busy
        for widget in (self.secret_id, self.secret_key, self.remember, self.resume, self.later):
            widget.setEnabled(not busy)

    @Slot(object)
    def _on_kept(self, result: object) -> None:
        self._set_busy(False)
        if isinstance(result, Exception):  # a bug, not an answer: say it, keep the fields
            self.problem.setText(str(result))
            self.problem.show()
            return
        name, in_keyring = cast(tuple[str, bool], result)
        self.secret_id.clear()
        self.secret_key.clear()
        self._router.forget_clients()
        if name in self._waiting:
            self._waiting.remove(name)
        self._counts.pop(name, None)
        self._show_first()
        # The account's paused and failed uploads are found off the GUI thread.
        remembered_only = self.remember.isChecked() and not in_keyring
        account_for, queue = self._router.account_for, self._queue
        resumable = (TaskState.PAUSED, TaskState.ERROR)
        run_in_background(
            self._pool,
            self,
            lambda: (name, remembered_only, queue.task_ids_at(lambda e: account_for(e) == name, resumable)),
            self._on_resumable,
        )

    @Slot(object)
    def _on_resumable(self, result: object) -> None:
        if isinstance(result, Exception):
            self.message.emit(str(result))
            return
        name, remembered_only, task_ids = cast(tuple[str, bool, list[str]], result)
        self._commands.restart(task_ids)
        text = self.tr("Resuming %n upload(s) to “%1”.", None, len(task_ids)).replace("%1", name)
        if remembered_only:
            text += " " + self.tr("The keyring is unavailable: the keys are kept for this session only.")
        self.message.emit(text)

    @Slot()
    def _on_later(self) -> None:
        if self._waiting:
            self._waiting.pop(0)
        self.secret_id.clear()
        self.secret_key.clear()
        self._show_first()
