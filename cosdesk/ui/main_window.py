"""The main window: toolbar, destination, filter bar, the task table, status totals.

Widgets only. Each button calls one ``UploadQueue`` method; the table shows the
queue through ``TaskTableModel``. The services (the queue, the task store, the
client router, the local sandbox's runner, a thread pool for the little work the
window does off the GUI thread) come built in a ``Session``: the window restores
the queue's tasks once its destination is known, and shuts the session down
with itself.
"""

from __future__ import annotations

import contextlib
import enum
import os
import time
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import (
    QByteArray,
    QEvent,
    QSettings,
    QSize,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeySequence,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QSystemTrayIcon,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from cosdesk import config
from cosdesk.config import Settings
from cosdesk.engine.queue import ANSWER_GRACE_S
from cosdesk.engine.task import BatchProgress, FileFinished, TaskState
from cosdesk.logs import SANDBOX_LOG_FILE_NAME, log_dir
from cosdesk.ui.accessibility import describe_controls
from cosdesk.ui.accounts import Destination, endpoint_for
from cosdesk.ui.actions import new_action
from cosdesk.ui.batch_status import BatchNotice, batch_texts, stop_notice
from cosdesk.ui.bucket_lister import BucketLister
from cosdesk.ui.column_widths import DEFAULT_COLUMN_WIDTHS, first_widths
from cosdesk.ui.delegates import ElideRightDelegate
from cosdesk.ui.destination_bar import SANDBOX_ITEM, DestinationBar
from cosdesk.ui.drop_overlay import DropOverlay
from cosdesk.ui.duplicate_intake import BatchIntake
from cosdesk.ui.empty_view_note import EmptyViewNote
from cosdesk.ui.engine_texts import shown_scan_problem
from cosdesk.ui.filter_bar import FilterBar
from cosdesk.ui.history_dialog import HistoryDialog
from cosdesk.ui.icons import icon, retint, set_icon
from cosdesk.ui.keys_banner import KeysBanner, hold_without_keys
from cosdesk.ui.menu_bar import MenuBar
from cosdesk.ui.message_boxes import message_box, use_app_title, window_title
from cosdesk.ui.notifier import Notifier
from cosdesk.ui.progress_bars import forget_drawn_bars
from cosdesk.ui.queue_listening import listen
from cosdesk.ui.remote_model import RemoteLocation
from cosdesk.ui.remote_pane import RemotePane
from cosdesk.ui.row_commands import RowCommands
from cosdesk.ui.sandbox_runner import SandboxState
from cosdesk.ui.session import Session
from cosdesk.ui.settings_dialog import SettingsDialog
from cosdesk.ui.sync_dialog import SyncDialog
from cosdesk.ui.task_filter import TaskFilterProxy
from cosdesk.ui.task_model import Column, TaskFilter, TaskTableModel
from cosdesk.ui.task_table import TaskTable
from cosdesk.ui.watch_folder_dialog import WatchChoice, WatchFolderDialog
from cosdesk.ui.watched_folders_dialog import WatchedFoldersDialog, WatchIndicator
from cosdesk.ui.window_geometry import fit_on_screen

# Stored tasks from which the queue's restore waits for the table (see __init__):
# below it, the restore takes less than a second of CPU.
RESTORE_AFTER_THE_TABLE_FROM = 200_000
# A first start's size (fit_on_screen shrinks it to a smaller screen).
DEFAULT_SIZE = (1280, 780)
# The local sandbox is started again when it ends by itself, once in this long.
SANDBOX_RESTART_EVERY_S = 60.0


class CloseChoice(enum.Enum):
    KEEP_IN_TRAY = "tray"
    PAUSE_AND_QUIT = "pause"
    CANCEL_AND_QUIT = "cancel"
    STAY = "stay"
    NOTHING_RUNNING = "ended"  # the uploads ended while the person was asked


def window_settings() -> QSettings:
    """Window state (geometry, columns, filter) in an INI file under the config dir."""
    return QSettings(str(config.config_dir() / "window.ini"), QSettings.Format.IniFormat)


class EmptyHint(QWidget):
    """What the centre shows before anything is queued: where a drop goes, and how.
    While the stored tasks are still being read it says so instead (a window with
    a million tasks waited a second or two showing this invitation)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.picture = QLabel(self)
        self.picture.setPixmap(icon("cosdesk").pixmap(72, 72))
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.headline = QLabel(self.tr("Drop files or folders here"), self)
        font = self.headline.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.headline.setFont(font)
        self.headline.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail = QLabel(self)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail.setWordWrap(True)
        self.add_files = QPushButton(self.tr("Add files…"), self)
        self.add_folder = QPushButton(self.tr("Add folder…"), self)
        self.add_account = QPushButton(self.tr("Add a COS account…"), self)
        self._sandbox = True
        self._reading = False
        set_icon(self.add_files, "add-file")
        set_icon(self.add_folder, "add-folder")
        set_icon(self.add_account, "account")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.add_files)
        buttons.addWidget(self.add_folder)
        buttons.addWidget(self.add_account)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(self.picture)
        layout.addSpacing(8)
        layout.addWidget(self.headline)
        layout.addWidget(self.detail)
        layout.addSpacing(12)
        layout.addLayout(buttons)
        layout.addStretch(3)

    def set_destination(self, destination: Destination | None, sandbox: bool) -> None:
        if destination is None:
            self.detail.setText(self.tr("Choose an account and a bucket above first."))
        elif sandbox:
            self.detail.setText(
                self.tr(
                    "They go to %1 on the local sandbox, a COS-compatible server on this computer. "
                    "Add your COS account to upload to the cloud."
                ).replace("%1", destination.describe())
            )
        else:
            self.detail.setText(
                self.tr("They will be uploaded to %1 (%2), keeping folder structure.")
                .replace("%1", destination.describe())
                .replace("%2", destination.label)
            )
        self._sandbox = sandbox
        self._show_parts()

    def set_reading(self, reading: bool) -> None:
        """``reading``: the stored tasks are still being read, so nothing is known yet."""
        self._reading = reading
        self.headline.setText(
            self.tr("Reading the upload list…") if reading else self.tr("Drop files or folders here")
        )
        self._show_parts()

    def _show_parts(self) -> None:
        for part in (self.detail, self.add_files, self.add_folder):
            part.setVisible(not self._reading)
        self.add_account.setVisible(not self._reading and self._sandbox)


class MainWindow(QMainWindow):
    """The upload manager's window over ``session``'s services; it shuts the
    session down when it closes (:meth:`shutdown`)."""

    # How many finished uploads a "Clear finished" removed (from the commands' worker).
    cleared = Signal(int)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        # The engine the buttons drive, and the pool for the window's own work.
        self.queue = session.queue
        self.commands = session.commands
        self.pool = session.pool
        self.setWindowIcon(icon("cosdesk"))
        self.setAcceptDrops(True)
        self._shut_down = False
        self._quit_requested = False
        # Set by app.run(): a real close ends the program (tests keep their app).
        self.quit_app_on_close = False
        self.scan_problems: list[tuple[str, str]] = []
        self._pending_problems: list[tuple[str, str]] = []
        self.problem_box: QMessageBox | None = None
        self.close_box: QMessageBox | None = None
        self.settings_dialog: SettingsDialog | None = None
        self.history_dialog: HistoryDialog | None = None
        self.watched_dialog: WatchedFoldersDialog | None = None
        # Paths from the command line, queued once the destination is known.
        self._startup_paths: list[str] = []
        self._destination_ready = False

        self.model = TaskTableModel(self.queue, self.session.store.path, self)
        self.proxy = TaskFilterProxy(self.model, self)
        self.table = TaskTable(self)
        # What the person does to the selected rows, and the actions offering it.
        self.rows = RowCommands(
            self,
            self.table,
            self.model,
            self.proxy,
            self.commands,
            self.queue,
            self.pool,
            session.router,
            clear=self._clear,
            show_error=self._show_error,
            focus_back=self._take_focus_back,
        )

        self._build_actions()
        self._build_ui()
        self.menus = MenuBar(self)
        if not any(self.history_action in menu.actions() for menu in self.menuBar().findChildren(QMenu)):
            self.menus.view_menu.addSeparator()
            self.menus.view_menu.addAction(self.history_action)
        describe_controls(self)
        self._build_tray()
        self.notifier = Notifier(self.tray, self.statusBar(), self)
        self._connect_queue()
        # Added files go through here: keys already queued or in the bucket are asked about.
        self.intake = BatchIntake(
            self.queue,
            self.commands,
            self.pool,
            self,
            settings=lambda: session.settings,
            use_settings=session.use_settings,
            on_problem=self._on_scan_problem,
        )
        # The queue falls idle between the slices of a big drop: no full collection
        # until the drop is queued and the table has every row.
        session.gc_pacer.also_quiet_when(lambda: self.intake.is_idle() and self.model.feed.is_settled())
        self._restore_window_state()

        session.sandbox.started.connect(self._on_sandbox_started)
        session.sandbox.failed.connect(self._on_sandbox_failed)
        session.sandbox.ended.connect(self._on_sandbox_ended)
        # When the sandbox was last started again after it ended by itself (once a
        # minute at most: one that keeps ending is said, not restarted for ever).
        self._sandbox_restarted_at: float | None = None
        # "Local sandbox" is listed beside the accounts (when offered) and starts
        # when it is chosen, or now if earlier uploads to it are unfinished.
        self._tasks_restored = False
        # Until the queue has restored them, commands wait for the last run's tasks
        # (UploadQueue.restore_coming): the table shows them from the database first.
        self.queue.restore_coming()
        self._restore_wait_note = ""
        self.commands.on_given = self._say_if_commands_wait
        listen(self, self.queue.restored, self._on_restored)
        # "Clear finished" commands given and not done yet: on a million rows one
        # takes half a minute, so the status line says it is under way.
        self._clears_under_way = 0
        # A clear ended and no batch has come since (see _show_batch).
        self._clear_ended_since_batch = False
        self.cleared.connect(self._on_cleared)
        # A big queue restores once the table shows the stored tasks: both read the
        # whole database, and on two cores the restore (seconds for a million
        # tasks) took the CPU the table needed to show them. A small one restores
        # at once: done before the table is, it leaves the table's first sorts
        # and searches the whole machine.
        self._table_ready = session.store.task_count() < RESTORE_AFTER_THE_TABLE_FROM
        self.model.stored_ready.connect(self._on_table_ready)
        self.destination_bar.offer_sandbox(session.sandbox_offered)
        self.destination_bar.sandbox_wanted.connect(self._start_sandbox)
        state = window_settings()
        last_account = state.value("destination/account") if state.contains("destination/account") else None
        if session.sandbox_at_start or str(state.value("sandbox/unfinished", "false")) == "true":
            self._start_sandbox()
        self.destination_bar.set_accounts(
            session.settings, None, select=None if last_account is None else str(last_account)
        )
        if session.sandbox.state is not SandboxState.STARTING:
            self._restore_tasks()
            self._destination_ready = True
        self._on_destination_changed()
        if problem := session.settings_problem:
            QTimer.singleShot(0, lambda: self._show_error(self.tr("Settings file problem"), problem))

    # --- construction ---------------------------------------------------------------

    def _build_actions(self) -> None:
        # "…" in the menu, where it says a dialog asks which; not on the toolbar's buttons.
        self.add_files_action = new_action(
            self, "add-file", self.tr("Add files…"), self.choose_files, self.tr("Add files… (Ctrl+O)")
        )
        self.add_files_action.setIconText(self.tr("Add files"))
        self.add_files_action.setShortcut(QKeySequence.StandardKey.Open)
        self.add_folder_action = new_action(self, "add-folder", self.tr("Add folder…"), self.choose_folder)
        self.add_folder_action.setIconText(self.tr("Add folder"))
        self.watch_folder_action = new_action(
            self,
            "add-folder",
            self.tr("Watch a folder…"),
            self.watch_folder,
            self.tr("Upload the new and changed files of a folder as they appear"),
        )
        self.watched_folders_action = new_action(
            self, "folder-open", self.tr("Watched folders…"), self.show_watched_folders
        )
        self.sync_action = QAction(self.tr("Sync a folder…"), self)
        self.sync_action.setToolTip(self.tr("Upload what changed in a folder, after a preview"))
        self.sync_action.triggered.connect(self.open_sync)
        self.start_all_action = new_action(
            self,
            "start",
            self.tr("Start all"),
            self.start_all,
            self.tr("Start or resume every paused or failed upload"),
        )
        self.pause_all_action = new_action(
            self, "pause", self.tr("Pause all"), self.pause_all, self.tr("Pause every upload")
        )
        self.retry_action = new_action(self, "retry", self.tr("Retry failed"), self.retry_failed)
        self.clear_action = new_action(
            self,
            "clear",
            self.tr("Clear finished"),
            self.clear_finished,
            self.tr("Remove done and canceled uploads from the list"),
        )
        self.history_action = new_action(
            self,
            "history",
            self.tr("History"),
            self.show_history,
            self.tr("Uploads that finished, failed or were canceled (Ctrl+H)"),
        )
        self.history_action.setShortcut(QKeySequence("Ctrl+H"))
        self.settings_action = new_action(
            self, "settings", self.tr("Settings"), self.open_settings, self.tr("Accounts and defaults")
        )
        self.remote_pane_action = QAction(self.tr("&Remote files"), self)
        self.remote_pane_action.setCheckable(True)
        self.remote_pane_action.setShortcut(QKeySequence("Ctrl+Shift+R"))
        self.remote_pane_action.setToolTip(self.tr("Show the bucket's files beside the uploads"))

    def _build_ui(self) -> None:
        toolbar = QToolBar(self.tr("Main"), self)
        toolbar.setObjectName("main-toolbar")
        toolbar.setMovable(False)
        toolbar.setIconSize(QSize(20, 20))
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for action in (self.add_files_action, self.add_folder_action):
            toolbar.addAction(action)
        toolbar.addSeparator()
        for action in (
            self.start_all_action,
            self.pause_all_action,
            self.rows.toolbar_cancel_action,
            self.retry_action,
        ):
            toolbar.addAction(action)
        toolbar.addSeparator()
        toolbar.addAction(self.clear_action)
        spacer = QWidget(toolbar)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)
        toolbar.addAction(self.settings_action)
        self.addToolBar(toolbar)
        self.toolbar = toolbar

        self.destination_bar = DestinationBar(self)
        self.destination_bar.changed.connect(self._on_destination_changed)
        self.destination_bar.manage_requested.connect(self.open_settings)
        self.keys_banner = KeysBanner(
            self.queue, self.commands, self.session.router, self.session.secrets, self.pool, self
        )
        self.keys_banner.set_settings(self.session.settings)
        self.keys_banner.message.connect(lambda text: self.statusBar().showMessage(text, 10000))
        self.filter_bar = FilterBar(self)
        self.filter_bar.filter_changed.connect(self._on_filter_changed)
        self.filter_bar.text_changed.connect(self.proxy.set_text)
        self.filter_bar.text_changed.connect(self.model.set_key_filter)
        self.model.filter_counts_changed.connect(self.filter_bar.set_counts)
        self.model.counts_changed.connect(self._update_actions)

        self.table.setObjectName("task-table")
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setItemDelegateForColumn(Column.MESSAGE, ElideRightDelegate(self.table))
        self.table.setIconSize(QSize(16, 16))
        vertical = self.table.verticalHeader()
        vertical.hide()
        # Fixed row heights: the view never measures 10,000 rows.
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 12)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        header.setSectionsMovable(True)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for column, width in DEFAULT_COLUMN_WIDTHS.items():
            header.resizeSection(column, width)
        # Fitted to the table's width when first shown, unless widths were restored.
        self._columns_to_fit = True
        # The folder the add dialogs last chose in (see _dialog_folder); remembered.
        self._last_chosen_in = ""
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.table.selectionModel().selectionChanged.connect(self.rows.update_actions)
        # While rows change state, the selected rows' commands are worked out again
        # at most every 100 ms (reading a selection of 10,000 rows takes a while).
        self._row_actions_timer = QTimer(self)
        self._row_actions_timer.setSingleShot(True)
        self._row_actions_timer.setInterval(100)
        self._row_actions_timer.timeout.connect(self.rows.update_actions)

        self.empty_view_note = EmptyViewNote(self.table, self.proxy, self.filter_bar.search.text)
        self.empty_hint = EmptyHint(self)
        self.empty_hint.add_files.clicked.connect(self.choose_files)
        self.empty_hint.add_folder.clicked.connect(self.choose_folder)
        self.empty_hint.add_account.clicked.connect(self.add_account)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.empty_hint)
        self.stack.addWidget(self.table)
        for signal in (self.model.rowsInserted, self.model.rowsRemoved, self.model.modelReset):
            signal.connect(self._update_stack)
        self._stored_read = False  # the tasks of the last run are rows, or there were none
        self.model.stored_ready.connect(self._on_stored_read)
        self.empty_hint.set_reading(True)

        # The bucket beside the queue; its visibility and width are remembered.
        self.remote_pane = RemotePane(self.session.router, self.pool, self)
        self.remote_pane.upload_requested.connect(self._upload_to_prefix)
        self.remote_pane.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.remote_pane_action.setChecked(True)
        self.remote_pane_action.toggled.connect(self._show_remote_pane)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.stack)
        self.splitter.addWidget(self.remote_pane)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([820, 460])
        self.bucket_lister = BucketLister(self.session.router, self.pool, self)
        self.bucket_lister.listed.connect(self.destination_bar.show_buckets)

        line = QFrame(self)
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.destination_bar)
        layout.addWidget(line)
        layout.addWidget(self.keys_banner)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        # Over the queue: the remote pane takes drops of its own, into its folders.
        self.drop_overlay = DropOverlay(self.stack)

        status = self.statusBar()
        self.files_label = QLabel(self)
        self.bytes_label = QLabel(self)
        self.speed_label = QLabel(self)
        self.eta_label = QLabel(self)
        self.overall = QProgressBar(self)
        self.overall.setRange(0, 1000)
        self.overall.setMaximumWidth(160)
        self.overall.setMaximumHeight(16)
        self.overall.setTextVisible(False)
        # QProgressBar.setValue repaints at once when the bar moves a pixel, and an
        # immediate repaint paints every dirty region of the window, the table's
        # included, inside whatever slot called it. The value is set from its own
        # zero-time timer instead, so that paint is an event loop turn of its own.
        self._overall_value = 0
        # The stop notice on screen while the queue is idle: a later change to the
        # batch (a paused file canceled) must not leave it saying something untrue.
        self._stop_notice: BatchNotice | None = None
        self._stop_notice_shown = ""  # the status bar's text of it
        self._overall_timer = QTimer(self)
        self._overall_timer.setSingleShot(True)
        self._overall_timer.setInterval(0)
        self._overall_timer.timeout.connect(lambda: self.overall.setValue(self._overall_value))
        self.watch_indicator = WatchIndicator(self.session.watches, self)
        self.watch_indicator.clicked.connect(self.show_watched_folders)
        status.addPermanentWidget(self.watch_indicator)
        for widget in (self.files_label, self.bytes_label, self.speed_label, self.eta_label, self.overall):
            status.addPermanentWidget(widget)
        self._show_batch(self.queue.batch())
        self.resize(*DEFAULT_SIZE)
        self._update_actions()
        self.rows.update_actions()
        # A desktop switching between light and dark sends several palette events.
        self._retint_timer = QTimer(self)
        self._retint_timer.setSingleShot(True)
        self._retint_timer.setInterval(0)
        self._retint_timer.timeout.connect(self._retint)

    def _build_tray(self) -> None:
        self.tray: QSystemTrayIcon | None = None
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return
        tray = QSystemTrayIcon(icon("cosdesk"), self)
        menu = QMenu(self)
        menu.addAction(self.tr("Show cosdesk"), self.show_from_tray)
        menu.addAction(self.pause_all_action)
        menu.addAction(self.start_all_action)
        menu.addSeparator()
        menu.addAction(self.tr("Quit"), self.quit_from_tray)
        tray.setContextMenu(menu)
        tray.setToolTip("cosdesk")
        tray.activated.connect(self._on_tray_activated)
        tray.show()
        self.tray = tray

    def _connect_queue(self) -> None:
        listen(self, self.queue.batch_progress, self._show_batch)
        listen(self, self.queue.scan_problem, self._on_scan_problem)
        listen(self, self.queue.idle, self._on_idle)
        listen(self, self.queue.file_finished, self._on_file_finished)
        self._problem_timer = QTimer(self)
        self._problem_timer.setSingleShot(True)
        self._problem_timer.setInterval(400)
        self._problem_timer.timeout.connect(self._report_problems)

    # --- state ----------------------------------------------------------------------

    def destination(self) -> Destination | None:
        return self.destination_bar.destination()

    def is_sandbox_destination(self) -> bool:
        return self.destination_bar.current_account() == SANDBOX_ITEM

    @Slot()
    def _on_destination_changed(self) -> None:
        destination = self.destination()
        sandbox = self.is_sandbox_destination()
        self.empty_hint.set_destination(destination, sandbox)
        where = destination.describe() if destination else self.tr("no destination")
        suffix = self.tr(" (Local sandbox)") if sandbox else ""
        self.setWindowTitle(window_title(f"{where}{suffix}"))
        remote = None
        if destination is not None:
            remote = RemoteLocation(destination.endpoint, destination.bucket, destination.prefix)
        self.remote_pane.show_bucket(remote)
        account = self.destination_bar.current_account()
        profile = self.session.settings.profiles.get(account or "")
        if account and profile is not None:
            self.bucket_lister.list_for(account, endpoint_for(profile))

    @Slot(bool)
    def _show_remote_pane(self, shown: bool) -> None:
        """View → Remote files: shown or hidden now and at the next start."""
        self.remote_pane.setVisible(shown)
        window_settings().setValue("remote/visible", shown)

    @Slot(object)
    def _on_file_finished(self, event: FileFinished) -> None:
        if event.data is not None:
            self.remote_pane.upload_finished(event.data.bucket, event.data.key)

    @Slot(list, str)
    def _upload_to_prefix(self, paths: list[str], prefix: str) -> None:
        """Files dropped on the remote pane: queued as a drop on the window is,
        into the folder they were dropped on."""
        self.add_paths(paths, prefix=prefix)

    @Slot()
    def _update_stack(self) -> None:
        self.empty_hint.set_reading(not self._stored_read)
        self.stack.setCurrentIndex(1 if self.model.rowCount() else 0)

    @Slot()
    def _on_stored_read(self) -> None:
        self._stored_read = True
        self._update_stack()

    @Slot()
    def _update_actions(self) -> None:
        counts = self.model.counts()
        active = sum(counts.get(s, 0) for s in (TaskState.WAITING, TaskState.CHECKING, TaskState.UPLOADING))
        resumable = counts.get(TaskState.PAUSED, 0) + counts.get(TaskState.ERROR, 0)
        self.start_all_action.setEnabled(resumable > 0)
        self.pause_all_action.setEnabled(active > 0)
        self.retry_action.setEnabled(counts.get(TaskState.ERROR, 0) > 0)
        self.clear_action.setEnabled(counts.get(TaskState.SUCCESS, 0) + counts.get(TaskState.CANCELED, 0) > 0)
        if not self._row_actions_timer.isActive():  # the toolbar's Cancel follows the rows' states
            self._row_actions_timer.start()

    @Slot(int)
    def _on_filter_changed(self, index: int) -> None:
        self.proxy.set_task_filter(TaskFilter(index))

    @Slot(object)
    def _show_batch(self, batch: BatchProgress) -> None:
        texts = batch_texts(batch)
        # No batch (a first start, a restart, every file of it canceled): no
        # "0 / 0 files  0 B / 0 B" and an empty bar beside the rows of earlier ones.
        for widget in (self.files_label, self.bytes_label, self.overall):
            widget.setVisible(batch.files > 0)
        self.files_label.setText(texts.files)
        self.files_label.setToolTip(texts.files_tip)
        self.bytes_label.setText(texts.bytes)
        self.speed_label.setText(texts.speed)
        self.speed_label.setVisible(bool(texts.speed))
        self.eta_label.setText(texts.time_left)
        self.eta_label.setVisible(bool(texts.time_left))
        self._overall_value = texts.bar_value
        if self._overall_value != self.overall.value():
            self._overall_timer.start()
        self.overall.setToolTip(texts.bar_tip)
        if not self.queue.idle_at_last_tick:  # the tick that sent ``batch``: no wait for the lock
            # Uploading again: a line saying uploads are paused, or how the last batch
            # ended (its failures "will be retried", and now they are), must not stay up.
            self._stop_notice = None
            shown = self.statusBar().currentMessage()
            if self._showing_batch_end() or (shown and shown == self.intake.paused_summary):
                self.statusBar().clearMessage()
        elif self._stop_notice is not None and (notice := stop_notice(batch)) != self._stop_notice:
            self._stop_notice = notice
            # A clear shrinks the ended batch whose rows it removes (as it runs, and
            # in the first batch after): that end was told already, and told again,
            # shrunk, it would take the clear's own line.
            if not (self._clears_under_way or self._clear_ended_since_batch):
                self._show_stop_notice(notice, "", notify=False)
        self._clear_ended_since_batch = False

    # --- adding ---------------------------------------------------------------------

    def add_paths(self, paths: list[str], prefix: str | None = None) -> bool:
        """Queue dropped or chosen files and folders under the current destination
        (under ``prefix`` instead of its own when given). Returns False (after
        saying why) when there is nowhere to upload to."""
        if not paths:
            return False
        destination = self.destination()
        if destination is not None and prefix is not None:
            destination = replace(destination, prefix=prefix)
        if destination is None:
            self._show_error(
                self.tr("Where should these go?"),
                self.tr("Choose an account and enter a bucket above, then add the files again."),
            )
            self.destination_bar.bucket.setFocus()
            return False
        self.table.reveal_rows_added_next()
        # The intake says what it is doing in the status bar until the files are
        # queued, then what it added.
        self.intake.add(paths, destination)
        return True

    def add_paths_when_ready(self, paths: list[str]) -> None:
        """Queue paths given on the command line: at once, or when the local
        sandbox this window starts is up (it is the destination then)."""
        self._startup_paths.extend(paths)
        if self._destination_ready:
            self._add_startup_paths()

    def _add_startup_paths(self) -> None:
        self._destination_ready = True
        paths, self._startup_paths = self._startup_paths, []
        if paths:
            self.add_paths(paths)

    @Slot()
    def choose_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, self.tr("Add files to upload"), self._dialog_folder())
        if files:
            self._last_chosen_in = str(Path(files[0]).parent)
        self.add_paths(files)

    @Slot()
    def choose_folder(self) -> None:
        title = self.tr("Add a folder to upload")
        folder = QFileDialog.getExistingDirectory(self, title, self._dialog_folder())
        if folder:
            self._last_chosen_in = str(Path(folder).parent)
            self.add_paths([folder])

    def _dialog_folder(self) -> str:
        """Where the add dialogs open: where the last files or folder were chosen
        (among its neighbours), else the home folder. Qt's default, the current
        directory, was wherever cosdesk happened to be started from."""
        last = self._last_chosen_in
        return last if last and Path(last).is_dir() else str(Path.home())

    # --- watched folders ------------------------------------------------------------

    @Slot()
    def watch_folder(self) -> WatchFolderDialog | None:
        """Ask which folder to watch, uploading to the current account."""
        destination = self.destination()
        if destination is None:
            self._show_error(
                self.tr("Where should its files go?"),
                self.tr("Choose an account and enter a bucket above, then watch the folder."),
            )
            return None
        dialog = WatchFolderDialog(destination, self.watched_dialog or self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._start_watching(dialog.choice))
        dialog.open()
        return dialog

    def _start_watching(self, choice: WatchChoice | None) -> None:
        if choice is None:
            return
        self.session.watches.watch(choice.watched, upload_existing=choice.upload_existing)
        self.show_watched_folders()

    @Slot()
    def show_watched_folders(self) -> WatchedFoldersDialog:
        """The list of watched folders: one, raised when it is already open."""
        if self.watched_dialog is None:
            self.watched_dialog = WatchedFoldersDialog(self.session.watches, self)
            self.watched_dialog.watch_requested.connect(self.watch_folder)
        self.watched_dialog.show()
        self.watched_dialog.raise_()
        self.watched_dialog.activateWindow()
        return self.watched_dialog

    # --- drag and drop --------------------------------------------------------------

    @staticmethod
    def _local_paths(event: QDropEvent | QDragEnterEvent | QDragMoveEvent) -> tuple[list[str], list[str]]:
        local: list[str] = []
        other: list[str] = []
        for url in event.mimeData().urls():
            (local if url.isLocalFile() else other).append(
                url.toLocalFile() if url.isLocalFile() else url.toString()
            )
        return local, other

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        local, _ = self._local_paths(event)
        if not local:
            event.ignore()
            return
        event.acceptProposedAction()
        destination = self.destination()
        self.drop_overlay.show_for(
            destination.describe() if destination else self.tr("… (choose a bucket first)")
        )

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        event.acceptProposedAction()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self.drop_overlay.hide()
        event.accept()

    def dropEvent(self, event: QDropEvent) -> None:
        self.drop_overlay.hide()
        local, other = self._local_paths(event)
        for url in other:
            self._on_scan_problem(
                url, self.tr("not a local file; only files on this computer can be uploaded")
            )
        if local and self.add_paths(local):
            event.acceptProposedAction()
        else:
            event.ignore()

    # --- problems and notifications -------------------------------------------------

    @Slot(str, str)
    def _on_scan_problem(self, path: str, message: str) -> None:
        message = shown_scan_problem(message)
        self.scan_problems.append((path, message))
        self._pending_problems.append((path, message))
        self._problem_timer.start()

    @Slot()
    def _report_problems(self) -> None:
        problems, self._pending_problems = self._pending_problems, []
        if not problems:
            return
        self.statusBar().showMessage(self.tr("%n item(s) could not be added", None, len(problems)), 15000)
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        use_app_title(box)
        box.setText(self.tr("%n item(s) could not be added:", None, len(problems)))
        shown = problems[:8]
        line = self.tr("• %1: %2")
        box.setInformativeText(
            "\n".join(line.replace("%1", os.path.basename(p) or p).replace("%2", m) for p, m in shown)
        )
        box.setDetailedText("\n".join(f"{p}: {m}" for p, m in problems))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setModal(False)
        box.show()
        self.problem_box = box

    @Slot()
    def _on_idle(self) -> None:
        # Nothing runs or waits: tell how the batch ended, or that it is paused.
        notice = stop_notice(self.queue.batch())
        # What the duplicates question left out or renamed, and the links the walk
        # left alone, are part of how it ended.
        duplicates = self.intake.take_outcome()
        self._stop_notice = notice
        if notice is not None:
            self._show_stop_notice(notice, duplicates, notify=True)
            self.intake.uploads_end_told()

    def _show_stop_notice(self, notice: BatchNotice | None, duplicates: str, *, notify: bool) -> None:
        if notice is None:
            # Only a notice of how a batch ended goes with it, not what came after
            # (a "Clear finished" ends the batch and then says what it cleared).
            if self._showing_batch_end():
                self.statusBar().clearMessage()
            return
        message = f"{notice.message} {duplicates}" if duplicates else notice.message
        if notice.notify and notify:
            self.notifier.notify(notice.title, message, failed=notice.failed)
        else:
            self._stop_notice_shown = self.tr("%1: %2").replace("%1", notice.title).replace("%2", message)
            self.statusBar().showMessage(self._stop_notice_shown, 15000)

    def _showing_batch_end(self) -> bool:
        """Whether the status bar shows how a batch ended: said here, or by the
        notifier (a batch with failures, when there is no tray icon)."""
        shown = self.statusBar().currentMessage()
        return bool(shown) and shown in (self._stop_notice_shown, self.notifier.last_message)

    def _show_error(self, title: str, text: str) -> None:
        """A non-modal message (a modal one would block drops and tests alike)."""
        box = message_box(self, QMessageBox.Icon.Warning, title, text)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setModal(False)
        box.show()
        self.statusBar().showMessage(self.tr("%1: %2").replace("%1", title).replace("%2", text), 15000)

    # --- the sandbox ----------------------------------------------------------------

    @Slot()
    def _start_sandbox(self) -> None:
        if self.session.start_sandbox():
            self.statusBar().showMessage(self.tr("Starting the local sandbox…"))

    @Slot(str)
    def _on_sandbox_started(self, endpoint: str) -> None:
        self.session.sandbox_listening(endpoint)
        self.destination_bar.set_sandbox_endpoint(endpoint)
        # A command given meanwhile still waits for the restore this starts: its
        # note stays (the endpoint is in the destination bar).
        if self._sandbox_restarted_at is not None:  # uploads may be going on: no invitation
            self.statusBar().showMessage(
                self.tr("The local sandbox is running again at %1.").replace("%1", endpoint), 8000
            )
        elif not self._restore_wait_note:
            self.statusBar().showMessage(
                self.tr("Local sandbox running at %1 — drop a file to try it").replace("%1", endpoint), 8000
            )
        self._restore_tasks()
        self._add_startup_paths()

    @Slot(int)
    def _on_sandbox_ended(self, status: int) -> None:
        """The sandbox ended by itself (killed, crashed): started again on its port,
        so its uploads go on (they wait for it as for a lost network)."""
        if status < 0:
            how = self.tr("signal %1").replace("%1", str(-status))
        else:
            how = self.tr("exit status %1").replace("%1", str(status))
        log_file = str(log_dir() / SANDBOX_LOG_FILE_NAME)
        now = time.monotonic()
        if (
            self._sandbox_restarted_at is not None
            and now - self._sandbox_restarted_at < SANDBOX_RESTART_EVERY_S
        ):
            message = (
                self.tr("It ended again (%1) soon after it was started again. Its log: %2")
                .replace("%1", how)
                .replace("%2", log_file)
            )
            self._show_error(self.tr("The local sandbox stopped"), message)
            self.destination_bar.set_sandbox_endpoint(None, message)
            return
        self._sandbox_restarted_at = now
        self.session.start_sandbox()
        self.statusBar().showMessage(
            self.tr("The local sandbox stopped unexpectedly (%1); starting it again…").replace("%1", how)
        )

    @Slot(str)
    def _on_sandbox_failed(self, message: str) -> None:
        self._show_error(self.tr("The local sandbox did not start"), message)
        self.destination_bar.set_sandbox_endpoint(None, message)
        self._restore_tasks()
        self._add_startup_paths()

    @Slot()
    def _on_table_ready(self) -> None:
        self._table_ready = True
        if self.session.sandbox.state is not SandboxState.STARTING:
            self._restore_tasks()

    def _restore_tasks(self) -> None:
        """Bring back the last run's tasks (once, after the table shows them); the
        database is read on the queue's worker."""
        if self._table_ready and not self._tasks_restored:
            self._tasks_restored = True
            hold = hold_without_keys(self.session.router, self.session.secrets, self.session.settings)
            self.queue.restore_in_background(hold=hold)
            self.session.watches.load()

    def _say_if_commands_wait(self) -> None:
        """A command given before the queue has restored the last run's tasks runs
        once it has (seconds for a million): say so, or the click looks lost."""
        if not self._restore_wait_note and not self.queue.is_restored():
            self._restore_wait_note = self.tr(
                "Still loading the uploads of the last session: the command runs when they are loaded…"
            )
            self.statusBar().showMessage(self._restore_wait_note)

    @Slot(list)
    def _on_restored(self, _unfinished: list[str]) -> None:
        bar = self.statusBar()
        if self._clears_under_way:  # given while loading: it runs now
            bar.showMessage(self._clearing_note())
        elif self._restore_wait_note and bar.currentMessage() == self._restore_wait_note:
            bar.clearMessage()
        self._restore_wait_note = ""

    def _clearing_note(self) -> str:
        return self.tr("Clearing the finished uploads from the list…")

    @Slot(int)
    def _on_cleared(self, count: int) -> None:
        self._clears_under_way -= 1
        if self._clears_under_way:
            return  # the note stays until the last one given is done
        self._clear_ended_since_batch = True
        bar = self.statusBar()
        if count:
            bar.showMessage(self.tr("Cleared %n finished upload(s) from the list", None, count), 5000)
        elif bar.currentMessage() == self._clearing_note():
            bar.clearMessage()

    # --- toolbar commands (one engine call each) ------------------------------------

    @Slot()
    def start_all(self) -> None:
        self.commands.restart(None)

    @Slot()
    def pause_all(self) -> None:
        self.commands.pause(None)

    @Slot()
    def retry_failed(self) -> None:
        self.commands.retry_failed()

    @Slot()
    def clear_finished(self) -> None:
        self._clear(None)

    def _clear(self, task_ids: list[str] | None) -> None:
        """Clear these finished tasks (None: all) from the list, saying so on the
        status line while it runs and how many went when it is done."""
        self._clears_under_way += 1
        self.statusBar().showMessage(self._clearing_note())
        # After the note: a command that waits for the last run's tasks says so instead.
        self.commands.clear_finished(task_ids, on_cleared=self.cleared.emit)

    # --- settings -------------------------------------------------------------------

    @Slot()
    def add_account(self) -> None:
        self.open_settings(add=True)

    @Slot()
    @Slot()
    def show_history(self) -> HistoryDialog:
        """The transfer history window: one, raised when it is already open."""
        if self.history_dialog is None:
            self.history_dialog = HistoryDialog(self.session.store, self)
        self.history_dialog.show()
        self.history_dialog.raise_()
        self.history_dialog.activateWindow()
        return self.history_dialog

    def open_sync(self) -> SyncDialog:
        dialog = SyncDialog(self.session, self.destination(), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def open_settings(self, add: bool = False) -> SettingsDialog:
        dialog = SettingsDialog(self.session.settings, self.session.secrets, self.pool, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(
            lambda: self.apply_settings(
                dialog.saved_settings, dialog.account_to_show(self.destination_bar.current_account())
            )
        )
        dialog.finished.connect(self._on_settings_closed)
        if add:
            dialog.add_profile()
        dialog.resize(900, 560)
        dialog.open()
        self.settings_dialog = dialog
        return dialog

    @Slot(int)
    def _on_settings_closed(self, _result: int) -> None:
        self.settings_dialog = None
        self._take_focus_back()

    @Slot()
    def _take_focus_back(self) -> None:
        # Not every platform hands activation back to the window when a dialog
        # closes (offscreen, some window managers): without an active window and
        # a focused table, the table's shortcuts (Space, Delete) do nothing.
        self.activateWindow()
        focus = self.focusWidget()
        (focus if focus is not None and focus.isVisible() else self.table).setFocus(
            Qt.FocusReason.ActiveWindowFocusReason
        )

    def apply_settings(self, settings: Settings | None, select: str | None = None) -> None:
        """Use saved settings: accounts, the shared limits; show ``select`` (a
        profile name, "" for the sandbox), else keep what is shown."""
        if settings is None:
            return
        self.session.use_settings(settings)
        self.bucket_lister.forget()
        self.destination_bar.set_accounts(settings, self.session.sandbox.endpoint, select=select)
        self.keys_banner.set_settings(settings)

    # --- tray and closing -----------------------------------------------------------

    @Slot(QSystemTrayIcon.ActivationReason)
    def _on_tray_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.show_from_tray()

    @Slot()
    def show_from_tray(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()

    @Slot()
    def quit_from_tray(self) -> None:
        self._quit_requested = True
        self.close()

    def has_running_uploads(self) -> bool:
        batch = self.queue.batch()
        return batch.running + batch.waiting > 0

    def ask_close_choice(self) -> CloseChoice:
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        use_app_title(box)
        box.setText(self.tr("Uploads are still running. What should happen to them?"))
        box.setInformativeText(
            self.tr("Paused uploads continue where they stopped the next time cosdesk starts.")
        )
        tray = None
        if self.tray is not None and self.tray.isVisible():
            tray = box.addButton(self.tr("Keep uploading in the tray"), QMessageBox.ButtonRole.AcceptRole)
        pause = box.addButton(self.tr("Pause and quit"), QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton(self.tr("Cancel uploads and quit"), QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(self.tr("Don't quit"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(tray or pause)
        self.close_box = box
        # Uploads that end while the question is up leave nothing to decide: it
        # goes, and the window closes as it does with nothing running (it used to
        # stay, saying uploads were still running when every row said Done).
        ended_meanwhile = False

        def close_if_ended() -> None:
            nonlocal ended_meanwhile
            if box.isVisible() and not self.has_running_uploads():
                ended_meanwhile = True
                box.done(0)

        self.queue.idle.connect(close_if_ended)
        QTimer.singleShot(0, close_if_ended)  # they may have ended before it connected
        try:
            box.exec()
        finally:
            self.queue.idle.disconnect(close_if_ended)
        if ended_meanwhile:
            return CloseChoice.NOTHING_RUNNING
        clicked = box.clickedButton()
        if tray is not None and clicked is tray:
            return CloseChoice.KEEP_IN_TRAY
        if clicked is pause:
            return CloseChoice.PAUSE_AND_QUIT
        if clicked is cancel:
            return CloseChoice.CANCEL_AND_QUIT
        return CloseChoice.STAY

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._shut_down:
            event.accept()
            return
        if self.has_running_uploads():
            choice = self.ask_close_choice()
            if choice is CloseChoice.STAY:
                event.ignore()
                return
            if choice is CloseChoice.KEEP_IN_TRAY and not self._quit_requested:
                event.ignore()
                self.hide()
                self.notifier.notify(
                    self.tr("cosdesk keeps uploading"), self.tr("Open it again from the tray icon.")
                )
                return
            if choice is CloseChoice.CANCEL_AND_QUIT:
                self.commands.cancel(None)  # the shutdown waits for it
        self.shutdown()
        event.accept()
        if self.tray is not None:
            self.tray.hide()
        app = QApplication.instance()
        if app is not None and (self._quit_requested or self.quit_app_on_close):
            app.quit()

    def shutdown(self) -> None:
        """Save window state, stop what the window runs itself, then the session
        (the engine: tasks stay in the database for next time; the sandbox).
        Idempotent."""
        if self._shut_down:
            return
        self._shut_down = True
        # The waits below may last seconds (a silent network's requests are given
        # ANSWER_GRACE_S), and saving the window's state counts the unfinished
        # tasks (0.3 s in a database of a million): the window says why it no
        # longer answers.
        self._show_quitting(self.tr("Quitting…"))
        self._save_window_state()
        self.rows.close_details()
        if self.history_dialog is not None:
            self.history_dialog.close()
        if self.watched_dialog is not None:
            self.watched_dialog.close()
        if not self.intake.stop(ANSWER_GRACE_S):
            # Its look for files already in the bucket waits on a silent server.
            self.session.router.stop_requests()
            self.intake.stop()
        self.model.shutdown()
        self.session.shutdown(on_saving=self._show_saving)

    def _show_saving(self, writes_left: int) -> None:
        """Quitting waits for the task database to take every change (a backlog
        after a million files added can take a while): say so, painted at once,
        since the event loop does not run meanwhile."""
        text = self.tr("Saving the task list before quitting (%n change(s) left)…", None, writes_left)
        self._show_quitting(text)

    def _show_quitting(self, text: str) -> None:
        """Say ``text`` in the status bar, painted at once: while quitting, the event
        loop does not run."""
        status = self.statusBar()
        status.showMessage(text)
        status.repaint()

    # --- remembered window state ----------------------------------------------------

    def _save_window_state(self) -> None:
        store = window_settings()
        store.setValue("window/geometry", self.saveGeometry())
        store.setValue("window/state", self.saveState())
        store.setValue("table/header", self.table.horizontalHeader().saveState())
        store.setValue("table/filter", int(self.filter_bar.current()))
        store.setValue("dialogs/last_folder", self._last_chosen_in)
        store.setValue("remote/splitter", self.splitter.saveState())
        store.setValue("destination/account", self.destination_bar.current_account() or "")
        store.setValue("sandbox/unfinished", self.session.sandbox_has_unfinished_tasks())
        for name, (bucket, prefix) in self.destination_bar.typed_locations().items():
            store.setValue(f"destination/typed/{name or '_sandbox'}", [bucket, prefix])
        store.sync()

    def _restore_window_state(self) -> None:
        store = window_settings()
        geometry = store.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        fit_on_screen(self)
        state = store.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        header = store.value("table/header")
        if isinstance(header, QByteArray):
            self._columns_to_fit = not self.table.horizontalHeader().restoreState(header)
        splitter = store.value("remote/splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)
        self._last_chosen_in = str(store.value("dialogs/last_folder", "") or "")
        self.remote_pane_action.setChecked(bool(store.value("remote/visible", True, type=bool)))
        with contextlib.suppress(ValueError):
            self.filter_bar.set_current(TaskFilter(int(str(store.value("table/filter", 0) or 0))))
        typed: dict[str, tuple[str, str]] = {}
        store.beginGroup("destination/typed")
        for name in store.childKeys():
            value = store.value(name)
            if isinstance(value, list) and len(value) == 2:
                typed["" if name == "_sandbox" else name] = (str(value[0]), str(value[1]))
        store.endGroup()
        self.destination_bar.restore_typed_locations(typed)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._columns_to_fit:
            self._columns_to_fit = False
            self._fit_columns()

    def _fit_columns(self) -> None:
        """First start: narrow name and key so the columns up to the time left fit
        the table as the splitter sized it (column_widths.py). The table may be
        hidden behind the empty hint, so its width is read from the stack."""
        scroll_bar = self.table.verticalScrollBar().sizeHint().width()
        available = self.stack.width() - 2 * self.table.frameWidth() - scroll_bar
        header = self.table.horizontalHeader()
        for column, width in first_widths(available).items():
            header.resizeSection(column, width)

    def changeEvent(self, event: QEvent) -> None:
        # The overlay must never outlive a drag that left through a child widget.
        # (Not an event() override: that ran Python for every event of the window,
        # each paint included.)
        if event.type() == QEvent.Type.ActivationChange and not self.isActiveWindow():
            self.drop_overlay.hide()
        elif event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._retint_timer.start()
        super().changeEvent(event)

    @Slot()
    def _retint(self) -> None:
        """The palette changed (the desktop went dark, or light): icons and progress
        bars are drawn in its colours."""
        forget_drawn_bars()
        retint(self)
        self.destination_bar.retint()
        self.model.restyle()
