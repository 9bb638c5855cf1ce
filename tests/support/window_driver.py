"""The main window driven in tests: an account on the local test server, the
driver that waits on the window's rows, files to drop, message-box answers.
Shared by tests/gui (the window's parts) and tests/journeys (what a person does)."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from cosdesk import config
from cosdesk.config import Profile, Settings
from cosdesk.cos.auth import Credentials
from cosdesk.engine.task import TaskSnapshot, TaskState
from support.qt_cleanup import collect_on_gui_thread

TEST_BUCKET = "examplebucket-1250000000"
TEST_REGION = "ap-guangzhou"
PROFILE = "test account"
MiB = 1024 * 1024


def save_profile(sandbox: Any, credentials: Credentials | None, **changes: Any) -> Profile:
    """An account pointing at the local server, made active, keys in the keyring."""
    fields: dict[str, Any] = {
        "name": PROFILE,
        "region": TEST_REGION,
        "bucket": TEST_BUCKET,
        "endpoint": sandbox.endpoint,
        "path_style": True,
        "use_https": False,
        "resume_on_start": True,
    }
    fields.update(changes)
    profile = Profile(**fields)
    config.save_settings(Settings(profiles={profile.name: profile}, active_profile=profile.name))
    if credentials is not None:
        config.store_credentials(profile.name, credentials)
    return profile


class WindowDriver:
    """The window plus the few helpers every test needs to wait on it."""

    def __init__(self, qtbot: Any, window: Any) -> None:
        self.qtbot = qtbot
        self.window = window

    @property
    def model(self) -> Any:
        return self.window.model

    def snapshots(self) -> list[TaskSnapshot]:
        """Every row's snapshot, in the model's row order."""
        return self.model.snapshots()

    def by_key(self) -> dict[str, TaskSnapshot]:
        return {snap.key: snap for snap in self.snapshots()}

    def wait_rows(self, count: int, timeout_s: float = 20) -> None:
        self.qtbot.waitUntil(
            lambda: self.model.rowCount() >= count and self.model.is_settled(), timeout=int(timeout_s * 1000)
        )

    def wait_states(self, predicate: Callable[[list[TaskSnapshot]], bool], timeout_s: float = 30) -> None:
        """Wait until the model's rows (what the user sees) satisfy ``predicate``."""
        self.qtbot.waitUntil(lambda: predicate(self.snapshots()), timeout=int(timeout_s * 1000))

    def wait_all(self, state: TaskState, count: int, timeout_s: float = 30) -> None:
        self.wait_states(lambda rows: len(rows) >= count and all(s.state is state for s in rows), timeout_s)

    def select_keys(self, *keys: str) -> None:
        table, proxy = self.window.table, self.window.proxy
        selection = table.selectionModel()
        selection.clearSelection()
        from PySide6.QtCore import QItemSelectionModel

        for key in keys:
            row = self.model.row_of(self.by_key()[key].task_id)
            index = proxy.mapFromSource(self.model.index(row, 0))
            selection.select(
                index, QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
            )
            table.setCurrentIndex(index)

    def drop(self, paths: list[str | os.PathLike[str]], urls: list[QUrl] | None = None) -> tuple[bool, str]:
        """Drag ``paths`` over the window and drop them, as a file manager would.
        Returns whether the overlay showed during the drag, and its text."""
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(os.fspath(path)) for path in paths] + list(urls or []))
        center = self.window.rect().center()
        enter = QDragEnterEvent(
            QPoint(center),
            Qt.DropAction.CopyAction,
            mime,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(self.window, enter)
        shown = self.window.drop_overlay.isVisible()
        text = self.window.drop_overlay.message()
        drop = QDropEvent(
            QPointF(center),
            Qt.DropAction.CopyAction,
            mime,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(self.window, drop)
        return shown, text


def click_save(qtbot: Any, dialog: Any, *, timeout_s: float = 10) -> None:
    """Settings → Save, then wait until the dialog is done saving (the keyring and
    config.json are written on a worker) and has closed or stayed open."""
    from PySide6.QtWidgets import QDialogButtonBox

    closed: list[int] = []
    dialog.finished.connect(closed.append)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: bool(closed) or not dialog.is_saving(), timeout=int(timeout_s * 1000))


def when_a_message_box_opens(handle: Callable[[QMessageBox], None], timeout_s: float = 10) -> None:
    """Calls ``handle`` with the next QMessageBox shown modally: the box's own
    event loop runs the polling timer while the code under test waits in exec().
    Polling stops after ``timeout_s``, so a box that never came cannot be taken
    for a later test's."""
    deadline = time.monotonic() + timeout_s

    def poll() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            handle(box)
        elif time.monotonic() < deadline:
            QTimer.singleShot(50, poll)

    QTimer.singleShot(50, poll)


def make_file(path: Path, size: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(os.urandom(min(size, MiB)) * (size // MiB) + os.urandom(size % MiB))
    return path


def _shut_down(window: Any) -> None:
    window.shutdown()


@pytest.fixture
def open_window(qtbot: Any) -> Iterator[Callable[..., WindowDriver]]:
    """Opens MainWindows as ``cosdesk gui`` does, over a session of their own (the
    task database under the test's data dir; ``start_sandbox`` as
    ``open_session`` takes it), and shuts each down at the end, so no worker
    outlives its test. A fixture of both tests/gui and tests/journeys (their
    conftests import it)."""
    from cosdesk.ui.main_window import MainWindow
    from cosdesk.ui.session import open_session

    windows: list[Any] = []

    def opener(*, start_sandbox: bool | None = None) -> WindowDriver:
        window = MainWindow(open_session(start_sandbox=start_sandbox))
        # pytest-qt closes widgets before fixtures end: shut down first, or a test
        # that fails mid-upload hangs in the "Uploads are running" question.
        qtbot.addWidget(window, before_close_func=_shut_down)
        window.show()
        windows.append(window)
        return WindowDriver(qtbot, window)

    yield opener
    for window in windows:
        window.shutdown()
    windows.clear()
    collect_on_gui_thread()
    # A dialog a test left open would be the next test's "active modal widget".
    from PySide6.QtWidgets import QDialog

    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QDialog) and widget.isVisible():
            widget.reject()


def slow_down(driver: WindowDriver, bytes_per_s: int) -> None:
    """Hold uploads to a bandwidth so a test can watch them in flight."""
    driver.window.queue.set_bandwidth_limit(bytes_per_s)


def wait_for(predicate: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        QApplication.processEvents()
        time.sleep(0.01)


@pytest.fixture
def account_window(sandbox: Any, credentials: Credentials, open_window: Any) -> WindowDriver:
    """A window whose active account is the local test server (path style)."""
    save_profile(sandbox, credentials)
    driver = open_window()
    assert driver.window.destination() is not None
    return driver


@pytest.fixture
def tiny_live_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The window's queue keeps only 12 tasks whole in memory (20,000 in use):
    past that, new tasks go at rest as they come, so a few thousand files stand
    for a million."""
    from cosdesk.ui import session as session_module

    made = session_module.queue_settings_for
    monkeypatch.setattr(
        session_module,
        "queue_settings_for",
        lambda transfers: dataclasses.replace(made(transfers), live_task_limit=12, wake_batch=4),
    )
