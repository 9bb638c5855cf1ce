"""What a person does to the selected rows of the task table: pause, resume,
cancel (asked first when sent bytes would be lost), upload again, remove from
the list, copy keys, URLs or pre-signed URLs, open the file's folder, show a
task's details; and the row actions and context menu that offer them, enabled
by one rule for the selection (``task_actions.rule_for``).

The commands go to ``QueueCommands`` (a worker runs them in order); nothing here
waits on the queue or the network. Pre-signing reads keys, which may wait on
the keyring: it runs on the window's pool.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Callable
from typing import cast

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QObject, QPoint, Qt, QThreadPool, Slot
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from cosdesk.engine.client_router import ClientRouter
from cosdesk.engine.queue import UploadQueue
from cosdesk.engine.queue_commands import QueueCommands
from cosdesk.engine.task import TaskSnapshot, TaskState
from cosdesk.ui.actions import PRESIGN_VALIDITIES_S, new_action
from cosdesk.ui.background import run_in_background
from cosdesk.ui.cancel_box import ask_to_cancel
from cosdesk.ui.desktop_open import show_folder
from cosdesk.ui.icons import icon
from cosdesk.ui.task_actions import SelectionRule, rule_for
from cosdesk.ui.task_details import TaskDetailsDialog
from cosdesk.ui.task_filter import TaskFilterProxy
from cosdesk.ui.task_model import SelectionSummary, TaskTableModel
from cosdesk.ui.task_table import TaskTable


def presigned_urls(router: ClientRouter, snapshots: list[TaskSnapshot], validity_s: int) -> list[str]:
    """Pre-signed GET URLs for the finished rows among ``snapshots``. Reads their
    keys, which may block on the keyring: call it off the GUI thread."""
    urls = []
    for snap in snapshots:
        if snap.state is TaskState.SUCCESS and snap.result is not None:
            client = router(snap.endpoint)
            urls.append(client.presigned_url("GET", snap.result.bucket, snap.result.key, validity_s))
    return urls


class RowCommands(QObject):
    """The row commands of ``window``'s task ``table``. ``clear(task_ids)`` removes
    finished rows as "Clear finished" does; ``show_error(title, text)`` tells of a
    failure; ``focus_back()`` gives the table the focus again after a question
    closes."""

    def __init__(
        self,
        window: QMainWindow,
        table: TaskTable,
        model: TaskTableModel,
        proxy: TaskFilterProxy,
        commands: QueueCommands,
        queue: UploadQueue,
        pool: QThreadPool,
        router: ClientRouter,
        *,
        clear: Callable[[list[str]], None],
        show_error: Callable[[str, str], None],
        focus_back: Callable[[], None],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._table = table
        self._model = model
        self._proxy = proxy
        self._commands = commands
        self._queue = queue
        self._pool = pool
        self._router = router
        self._clear = clear
        self._show_error = show_error
        self._focus_back = focus_back
        self._details: dict[str, TaskDetailsDialog] = {}
        self._build_actions()
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(self._show_context_menu)
        table.doubleClicked.connect(self._on_double_click)
        for action in (self.toggle_action, self.delete_action, self.copy_key_action, self.details_action):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            table.addAction(action)

    def _build_actions(self) -> None:
        self.pause_action = new_action(self, "pause", self.tr("Pause"), self.pause_selected)
        self.resume_action = new_action(self, "start", self.tr("Resume"), self.resume_selected)
        self.toggle_action = QAction(self.tr("Pause / resume"), self)
        self.toggle_action.setShortcut(QKeySequence(Qt.Key.Key_Space))
        self.toggle_action.triggered.connect(self.toggle_selected)
        self.delete_action = QAction(self.tr("Cancel selected"), self)
        self.delete_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        self.delete_action.triggered.connect(self.delete_selected)
        self.retry_action = new_action(self, "retry", self.tr("Retry"), self.resume_selected)
        self.cancel_action = new_action(self, "cancel", self.tr("Cancel"), self.cancel_selected)
        self.cancel_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        # The toolbar's (its shortcut is the table's Delete, which also removes).
        self.toolbar_cancel_action = new_action(
            self,
            "cancel",
            self.tr("Cancel"),
            self.cancel_selected,
            self.tr("Cancel the selected uploads (Delete)"),
        )
        self.upload_again_action = new_action(
            self,
            "retry",
            self.tr("Upload again"),
            self.upload_again_selected,
            self.tr("Upload the canceled files again, from the start"),
        )
        self.remove_action = new_action(
            self,
            "clear",
            self.tr("Remove from list"),
            self.remove_selected,
            self.tr("Remove the selected done or canceled uploads from the list"),
        )
        self.copy_key_action = new_action(self, "copy", self.tr("Copy key"), self.copy_keys)
        self.copy_key_action.setShortcut(QKeySequence.StandardKey.Copy)
        self.copy_url_action = new_action(self, "link", self.tr("Copy URL"), self.copy_urls)
        self.open_folder_action = new_action(
            self, "folder-open", self.tr("Open containing folder"), self.open_folder
        )
        self.details_action = new_action(
            self, "details", self.tr("Show details"), self.show_details_for_current
        )
        self.details_action.setShortcut(QKeySequence(Qt.Key.Key_Return))

    # --- the selection ------------------------------------------------------------

    def selected_slots(self) -> array[int]:
        """The table's slots of the selected rows (see ui/task_rows.py)."""
        return self._proxy.slots_in(self._table.selectionModel().selection())

    def selected_snapshots(self) -> list[TaskSnapshot]:
        """Full snapshots of the selected rows: for the commands that need more than
        the table's compact columns (URLs, folders)."""
        return self._model.snapshots_of(self.selected_slots())

    def selected_task_ids(self) -> list[str]:
        return self._model.task_ids_of(self.selected_slots())

    def selection_rule(self) -> SelectionRule:
        return _rule_of(self._model.summary_of(self.selected_slots()))

    # --- commands -----------------------------------------------------------------

    @Slot()
    def pause_selected(self) -> None:
        self._commands.pause(self.selected_task_ids())

    @Slot()
    def resume_selected(self) -> None:
        self._commands.restart(self.selected_task_ids())

    @Slot()
    def toggle_selected(self) -> None:
        """Space: resume the selection if it is all paused or failed, else pause it."""
        slots = self.selected_slots()
        if not slots:
            return
        ids = self._model.task_ids_of(slots)
        if all(state.is_resumable or state.is_final for state in self._model.summary_of(slots).states):
            self._commands.restart(ids)
        else:
            self._commands.pause(ids)

    @Slot()
    def cancel_selected(self) -> None:
        """Cancel the selected unfinished uploads; when that throws away bytes already
        sent (or many uploads at once), only after the user confirms."""
        ask_to_cancel(
            self._window, self._model, list(self.selected_slots()), self._commands.cancel, self._focus_back
        )

    @Slot()
    def delete_selected(self) -> None:
        """Delete: cancel the selected uploads that are not finished; when all are
        done or canceled, remove them from the list."""
        if self.selection_rule().delete_removes:
            self.remove_selected()
        else:
            self.cancel_selected()

    @Slot()
    def upload_again_selected(self) -> None:
        self._commands.upload_again(self.selected_task_ids())

    @Slot()
    def remove_selected(self) -> None:
        """Remove the selected done and canceled rows (their objects stay in the bucket)."""
        finished = [
            facts.task_id for facts in self._model.facts_of(self.selected_slots()) if facts.state.is_final
        ]
        if finished:
            self._clear(finished)

    # --- copying --------------------------------------------------------------------

    @Slot()
    def copy_keys(self) -> None:
        keys = [facts.key for facts in self._model.facts_of(self.selected_slots())]
        if keys:
            QGuiApplication.clipboard().setText("\n".join(keys))
            self._say(self.tr("Copied %n key(s)", None, len(keys)), 3000)

    @Slot()
    def copy_urls(self) -> None:
        urls = [snap.result.location for snap in self.selected_snapshots() if snap.result is not None]
        if urls:
            QGuiApplication.clipboard().setText("\n".join(urls))
            self._say(self.tr("Copied %n URL(s)", None, len(urls)), 3000)

    def copy_presigned(self, validity_s: int) -> None:
        """Sign on the pool (reading the keys may wait on the keyring's unlock
        prompt); :meth:`_on_presigned` then puts the URLs on the clipboard."""
        snapshots, router = self.selected_snapshots(), self._router
        self._say(self.tr("Signing…"), 5000)
        run_in_background(
            self._pool,
            self,
            lambda: (validity_s, presigned_urls(router, snapshots, validity_s)),
            self._on_presigned,
        )

    @Slot(object)
    def _on_presigned(self, result: object) -> None:
        if isinstance(result, Exception):  # no keys, a locked keyring, a bad key
            self._show_error(self.tr("Cannot sign the URL"), str(result))
            return
        validity_s, urls = cast(tuple[int, list[str]], result)
        if urls:
            QGuiApplication.clipboard().setText("\n".join(urls))
            self._say(
                self.tr("Copied %n pre-signed URL(s), valid for %1", None, len(urls)).replace(
                    "%1", self._validity_text(validity_s)
                ),
                5000,
            )

    def _validity_text(self, seconds: int) -> str:
        if seconds % (24 * 3600) == 0:
            return self.tr("%n day(s)", None, seconds // (24 * 3600))
        return self.tr("%n hour(s)", None, seconds // 3600)

    def _say(self, text: str, timeout_ms: int) -> None:
        self._window.statusBar().showMessage(text, timeout_ms)

    # --- looking --------------------------------------------------------------------

    @Slot()
    def open_folder(self) -> None:
        for snap in self._model.snapshots_of(self.selected_slots()[:1]):
            if snap.source_path:
                show_folder(self._window, os.path.dirname(snap.source_path))

    @Slot()
    def show_details_for_current(self) -> None:
        index = self._table.currentIndex()
        if index.isValid():
            self._on_double_click(index)

    @Slot(QModelIndex)
    def _on_double_click(self, index: QModelIndex) -> None:
        self.show_details(self._proxy.task_id_at(index.row()))

    def show_details(self, task_id: str) -> TaskDetailsDialog:
        """The task's details dialog, one per task, brought to the front."""
        dialog = self._details.get(task_id)
        if dialog is None:
            dialog = TaskDetailsDialog(self._queue, task_id, self._pool, self._window)
            dialog.destroyed.connect(lambda _=None, t=task_id: self._details.pop(t, None))
            self._details[task_id] = dialog
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def close_details(self) -> None:
        for dialog in list(self._details.values()):
            dialog.close()

    # --- what is offered ------------------------------------------------------------

    @Slot()
    def update_actions(self) -> None:
        """Enable the row actions that apply to the selection (when a menu opens)."""
        self._update_for(self._model.summary_of(self.selected_slots()))

    def _update_for(self, summary: SelectionSummary) -> None:
        # One rule for the toolbar, the context menu, the menu bar and the keys.
        rule = _rule_of(summary)
        self.pause_action.setEnabled(rule.pause)
        self.resume_action.setEnabled(rule.resume)
        self.retry_action.setEnabled(rule.retry)
        self.cancel_action.setEnabled(rule.cancel)
        self.toolbar_cancel_action.setEnabled(rule.cancel)
        self.upload_again_action.setEnabled(rule.upload_again)
        self.remove_action.setEnabled(rule.remove)
        self.delete_action.setEnabled(rule.cancel or rule.remove)
        self.delete_action.setText(
            self.tr("Remove from list") if rule.delete_removes else self.tr("Cancel selected")
        )
        for action in (self.toggle_action, self.copy_key_action, self.details_action):
            action.setEnabled(rule.selected)
        self.copy_url_action.setEnabled(rule.copy_url)
        self.open_folder_action.setEnabled(rule.open_folder)

    def build_context_menu(self) -> QMenu:
        # One reading of the selection (thousands of rows take a while) for both.
        summary = self._model.summary_of(self.selected_slots())
        self._update_for(summary)
        states = summary.states
        menu = QMenu(self._window)
        menu.addAction(self.pause_action)
        menu.addAction(self.resume_action)
        menu.addAction(self.retry_action)
        menu.addAction(self.cancel_action)
        menu.addAction(self.upload_again_action)
        menu.addAction(self.remove_action)
        menu.addSeparator()
        menu.addAction(self.copy_key_action)
        menu.addAction(self.copy_url_action)
        presign = menu.addMenu(icon("link"), self.tr("Copy pre-signed URL"))
        presign.setEnabled(TaskState.SUCCESS in states)
        for validity in PRESIGN_VALIDITIES_S:
            action = presign.addAction(self.tr("Valid for %1").replace("%1", self._validity_text(validity)))
            action.triggered.connect(lambda _=False, v=validity: self.copy_presigned(v))
        menu.addSeparator()
        menu.addAction(self.open_folder_action)
        menu.addAction(self.details_action)
        return menu

    @Slot(QPoint)
    def _show_context_menu(self, position: QPoint) -> None:
        index = self._table.indexAt(position)
        selection = self._table.selectionModel()
        if index.isValid() and not selection.isRowSelected(index.row(), index.parent()):
            selection.select(
                index,
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
            )
        if not selection.hasSelection():
            return
        menu = self.build_context_menu()
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self._table.viewport().mapToGlobal(position))


def _rule_of(summary: SelectionSummary) -> SelectionRule:
    return rule_for(summary.states, any_result=summary.any_result, any_source=summary.any_source)
