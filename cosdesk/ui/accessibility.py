"""Names for screen readers and the Tab order of the main window.

Every control a keyboard reaches has a name a screen reader can say: buttons say
their text; fields, the filter tabs, the table and the status bar's figures,
which show no label of their own, get one here. Tab goes through the controls
in reading order: the toolbar left to right, the destination bar, the filter,
then the table (or the buttons of the empty list's hint), then the remote pane
on its right.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtWidgets import QToolButton, QWidget

if TYPE_CHECKING:
    from cosdesk.ui.main_window import MainWindow

# Qt's name for the ">>" button a toolbar shows when its buttons do not all fit.
TOOLBAR_EXTENSION = "qt_toolbar_ext_button"


def _tr(text: object) -> str:
    """A message marked with ``QT_TRANSLATE_NOOP("Accessibility", …)`` (so the translation
    tools find it), translated."""
    return QCoreApplication.translate("Accessibility", str(text))


def describe_controls(window: MainWindow) -> None:
    """Name the window's unlabelled controls, let Tab reach the toolbar, and put
    the Tab order in reading order."""
    destination, filters = window.destination_bar, window.filter_bar
    names: list[tuple[QWidget, str]] = [
        (destination.account, _tr(QT_TRANSLATE_NOOP("Accessibility", "Account to upload to"))),
        (destination.bucket, _tr(QT_TRANSLATE_NOOP("Accessibility", "Bucket"))),
        (destination.bucket_picker, _tr(QT_TRANSLATE_NOOP("Accessibility", "Bucket"))),
        (destination.prefix, _tr(QT_TRANSLATE_NOOP("Accessibility", "Prefix in the bucket"))),
        (destination.where, _tr(QT_TRANSLATE_NOOP("Accessibility", "Endpoint"))),
        (filters.tabs, _tr(QT_TRANSLATE_NOOP("Accessibility", "Show uploads by state"))),
        (filters.search, _tr(QT_TRANSLATE_NOOP("Accessibility", "Filter by key"))),
        (window.table, _tr(QT_TRANSLATE_NOOP("Accessibility", "Uploads"))),
        (window.files_label, _tr(QT_TRANSLATE_NOOP("Accessibility", "Files uploaded"))),
        (window.bytes_label, _tr(QT_TRANSLATE_NOOP("Accessibility", "Bytes uploaded"))),
        (window.speed_label, _tr(QT_TRANSLATE_NOOP("Accessibility", "Upload speed"))),
        (window.eta_label, _tr(QT_TRANSLATE_NOOP("Accessibility", "Time left"))),
        (window.overall, _tr(QT_TRANSLATE_NOOP("Accessibility", "Overall progress"))),
    ]
    for widget, name in names:
        widget.setAccessibleName(name)

    toolbar_buttons: list[QWidget] = []
    for action in window.toolbar.actions():
        button = window.toolbar.widgetForAction(action)
        if isinstance(button, QToolButton):
            # Reachable with Tab, but a click leaves the focus where it was
            # (clicking "Pause all" must not take it from the table).
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            toolbar_buttons.append(button)
    extension = window.toolbar.findChild(QToolButton, TOOLBAR_EXTENSION)
    if extension is not None:
        extension.setAccessibleName(_tr(QT_TRANSLATE_NOOP("Accessibility", "More toolbar buttons")))
        extension.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        toolbar_buttons.append(extension)

    hint, remote = window.empty_hint, window.remote_pane
    order = [
        *toolbar_buttons,
        destination.account,
        destination.bucket_picker,
        destination.prefix,
        destination.manage,
        filters.tabs,
        filters.search,
        window.table,
        hint.add_files,
        hint.add_folder,
        hint.add_account,
        # The remote pane, right of the queue: its own top row, filter and table.
        remote.up_button,
        remote.new_folder_button,
        remote.refresh_button,
        remote.filter,
        remote.table,
    ]
    for before, after in itertools.pairwise(order):
        QWidget.setTabOrder(before, after)
