"""The window's menu bar: File, Edit, View, Uploads and Help, made of the window's
own actions (the toolbar's and the table's) plus the few only a menu offers
(quit, select all, the filters, about, the log folder, the documentation).

Every command has a menu entry, so a keyboard reaches all of them with Alt or
F10, and each shortcut is written beside its entry. Shortcuts are the platform's
standard ones where Qt knows one (``QKeySequence.StandardKey``); Quit falls back
to Ctrl+Q where the platform has none, so a window without a window manager's
close button can still be quit — through the window's close, which asks what to
do with running uploads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Slot, qVersion
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenuBar, QMessageBox

from cosdesk import __version__
from cosdesk.logs import LOG_FILE_NAME, log_dir
from cosdesk.ui.desktop_open import show_folder, show_web_page
from cosdesk.ui.message_boxes import message_box
from cosdesk.ui.task_model import TaskFilter

if TYPE_CHECKING:
    from cosdesk.ui.main_window import MainWindow

DOCUMENTATION_URL = "https://github.com/cosdesk/cosdesk#readme"
HOMEPAGE_URL = "https://github.com/cosdesk/cosdesk"


def _standard_or(key: QKeySequence.StandardKey, fallback: str = "") -> list[QKeySequence]:
    bindings = QKeySequence.keyBindings(key)
    return bindings or ([QKeySequence(fallback)] if fallback else [])


class MenuBar(QObject):
    """Builds ``window``'s menu bar and holds the actions only the menus have.
    Other parts of the window may add entries to its menus (``file_menu``, …)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        bar: QMenuBar = window.menuBar()
        self.bar = bar
        self.file_menu = bar.addMenu(self.tr("&File"))
        self.edit_menu = bar.addMenu(self.tr("&Edit"))
        self.view_menu = bar.addMenu(self.tr("&View"))
        self.uploads_menu = bar.addMenu(self.tr("&Uploads"))
        self.help_menu = bar.addMenu(self.tr("&Help"))
        self._build_file_menu()
        self._build_edit_menu()
        self._build_view_menu()
        self._build_uploads_menu()
        self._build_help_menu()
        # The row entries (copy key, open folder, …) are the window's own actions,
        # which follow the selection; read once more as a menu opens, since the
        # selected rows' states change while uploads run.
        for menu in (self.edit_menu, self.view_menu, self.uploads_menu):
            menu.aboutToShow.connect(window.rows.update_actions)

    def _action(self, text: str, slot: object, shortcuts: list[QKeySequence] | None = None) -> QAction:
        action = QAction(text, self._window)
        action.triggered.connect(slot)
        if shortcuts:
            action.setShortcuts(shortcuts)
        return action

    def _build_file_menu(self) -> None:
        window, menu = self._window, self.file_menu
        menu.addAction(window.add_files_action)
        if not window.add_folder_action.shortcuts():
            window.add_folder_action.setShortcut(QKeySequence("Ctrl+Shift+O"))
        menu.addAction(window.add_folder_action)
        menu.addAction(window.sync_action)
        menu.addSeparator()
        menu.addAction(window.watch_folder_action)
        menu.addAction(window.watched_folders_action)
        menu.addSeparator()
        self.quit_action = self._action(
            self.tr("&Quit"), self.quit, _standard_or(QKeySequence.StandardKey.Quit, "Ctrl+Q")
        )
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        menu.addAction(self.quit_action)

    def _build_edit_menu(self) -> None:
        window, menu = self._window, self.edit_menu
        self.select_all_action = self._action(
            self.tr("Select &all"), self.select_all, _standard_or(QKeySequence.StandardKey.SelectAll)
        )
        # The table's own: in the key filter field, Ctrl+A selects its text.
        self.select_all_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        window.table.addAction(self.select_all_action)
        menu.addAction(self.select_all_action)
        menu.addSeparator()
        menu.addAction(window.rows.copy_key_action)
        menu.addAction(window.rows.copy_url_action)
        menu.addSeparator()
        self.find_action = self._action(
            self.tr("&Filter by key"), self.focus_key_filter, _standard_or(QKeySequence.StandardKey.Find)
        )
        menu.addAction(self.find_action)
        menu.addSeparator()
        window.settings_action.setShortcuts(_standard_or(QKeySequence.StandardKey.Preferences))
        window.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        menu.addAction(window.settings_action)

    def _build_view_menu(self) -> None:
        window, menu = self._window, self.view_menu
        names = {
            TaskFilter.ALL: self.tr("&All uploads"),
            TaskFilter.ACTIVE: self.tr("A&ctive"),
            TaskFilter.PAUSED: self.tr("&Paused"),
            TaskFilter.FAILED: self.tr("&Failed / Canceled"),  # as its tab says
            TaskFilter.DONE: self.tr("&Done"),
        }
        self.filter_group = QActionGroup(self)
        self.filter_actions: dict[TaskFilter, QAction] = {}
        for number, task_filter in enumerate(TaskFilter, start=1):
            action = self._action(
                names[task_filter],
                lambda _=False, f=task_filter: window.filter_bar.set_current(f),
                [QKeySequence(f"Ctrl+{number}")],
            )
            action.setCheckable(True)
            self.filter_group.addAction(action)
            menu.addAction(action)
            self.filter_actions[task_filter] = action
        self.filter_actions[window.filter_bar.current()].setChecked(True)
        window.filter_bar.filter_changed.connect(self._on_filter_changed)
        menu.addSeparator()
        menu.addAction(window.rows.details_action)
        menu.addSeparator()
        toolbar = window.toolbar.toggleViewAction()
        toolbar.setText(self.tr("&Toolbar"))
        menu.addAction(toolbar)
        menu.addAction(window.remote_pane_action)
        menu.addAction(window.remote_pane.refresh_action)

    def _build_uploads_menu(self) -> None:
        window, menu = self._window, self.uploads_menu
        for action in (window.start_all_action, window.pause_all_action, window.retry_action):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(window.rows.toggle_action)
        menu.addAction(window.rows.delete_action)
        menu.addAction(window.rows.open_folder_action)
        menu.addSeparator()
        menu.addAction(window.clear_action)

    def _build_help_menu(self) -> None:
        menu = self.help_menu
        self.documentation_action = self._action(
            self.tr("&Documentation"),
            self.open_documentation,
            _standard_or(QKeySequence.StandardKey.HelpContents),
        )
        menu.addAction(self.documentation_action)
        self.log_folder_action = self._action(self.tr("Open &log folder"), self.open_log_folder)
        menu.addAction(self.log_folder_action)
        menu.addSeparator()
        self.about_action = self._action(self.tr("&About cosdesk"), self.show_about)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        menu.addAction(self.about_action)

    # --- the menus' own commands ------------------------------------------------

    @Slot()
    def quit(self) -> None:
        """Close the window as its close button does: running uploads are asked
        about first, and the program ends when the window really closes."""
        self._window.close()

    @Slot()
    def select_all(self) -> None:
        self._window.table.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self._window.table.selectAll()

    @Slot()
    def focus_key_filter(self) -> None:
        search = self._window.filter_bar.search
        search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        search.selectAll()

    @Slot(int)
    def _on_filter_changed(self, index: int) -> None:
        action = self.filter_actions.get(TaskFilter(index))
        if action is not None:
            action.setChecked(True)

    @Slot()
    def open_documentation(self) -> None:
        show_web_page(self._window, DOCUMENTATION_URL)

    @Slot()
    def open_log_folder(self) -> None:
        show_folder(self._window, str(log_dir()))

    @Slot()
    def show_about(self) -> None:
        box = message_box(
            self._window,
            QMessageBox.Icon.Information,
            self.tr("cosdesk %1").replace("%1", __version__),
            self.tr(
                "Uploads files to Tencent Cloud Object Storage (COS), visibly and resumably.\n\n"
                "Home page:\n%1\n\nLog file:\n%2\n\nQt %3"
            )
            .replace("%1", HOMEPAGE_URL)
            .replace("%2", str(log_dir() / LOG_FILE_NAME))
            .replace("%3", qVersion()),
        )
        box.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
