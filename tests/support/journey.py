"""Driving the real window as a person does: widgets found by the text they show
or their accessible name, clicked, typed into and answered, never reached
through private attributes.

Every finder waits (the event loop keeps running) and fails with the texts that
were on screen, so a journey test reads like the steps a person takes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TypeVar

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QAction, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialog,
    QLineEdit,
    QMenu,
    QMessageBox,
    QTabBar,
    QWidget,
)

W = TypeVar("W", bound=QWidget)


def _plain(text: str) -> str:
    """A label as read on screen: without the & of a mnemonic and the ellipsis."""
    return (
        text.replace("&&", "\0")
        .replace("&", "")
        .replace("\0", "&")
        .replace("…", "")
        .replace("...", "")
        .strip()
    )


def shown_text(widget: QWidget) -> str:
    for getter in ("text", "windowTitle", "placeholderText"):
        method = getattr(widget, getter, None)
        if callable(method):
            value = method()
            if isinstance(value, str) and value:
                return value
    return ""


def visible_widgets(root: QWidget | None = None) -> list[QWidget]:
    roots: Iterable[QWidget] = [root] if root is not None else QApplication.topLevelWidgets()
    found: list[QWidget] = []
    for top in roots:
        if not top.isVisible():
            continue
        found.append(top)
        found += [child for child in top.findChildren(QWidget) if child.isVisible()]
    return found


def wait_until(predicate: Callable[[], object], timeout_s: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        QApplication.processEvents()
        time.sleep(0.01)


def painted_as_now(widget: QWidget) -> bool:
    """Whether the screen shows ``widget`` as it would be painted now. A view that
    was not told of a change keeps its old pixels until something repaints it,
    though its model already holds the new data; a person sees the old pixels."""
    on_screen = widget.screen().grabWindow(
        widget.window().winId(),
        *widget.mapTo(widget.window(), QPoint(0, 0)).toTuple(),
        widget.width(),
        widget.height(),
    )
    painted_now = widget.grab()
    rgb = QImage.Format.Format_RGB32
    return on_screen.toImage().convertToFormat(rgb) == painted_now.toImage().convertToFormat(rgb)


def find(kind: type[W], label: str, root: QWidget | None = None, timeout_s: float = 5.0) -> W:
    """The visible ``kind`` widget whose text or accessible name is ``label``
    (ignoring mnemonics and a trailing ellipsis)."""
    wanted = _plain(label)
    result: list[W] = []

    def look() -> bool:
        for widget in visible_widgets(root):
            if isinstance(widget, kind) and wanted in (
                _plain(shown_text(widget)),
                _plain(widget.accessibleName()),
            ):
                result.append(widget)
                return True
        return False

    try:
        wait_until(look, timeout_s, f"{kind.__name__} {label!r}")
    except AssertionError:
        seen = sorted(
            {_plain(shown_text(w)) or _plain(w.accessibleName()) for w in visible_widgets(root)} - {""}
        )
        raise AssertionError(f"no visible {kind.__name__} {label!r}; on screen: {seen}") from None
    return result[0]


def click(label_or_widget: str | QAbstractButton, root: QWidget | None = None) -> None:
    button = (
        find(QAbstractButton, label_or_widget, root) if isinstance(label_or_widget, str) else label_or_widget
    )
    assert button.isEnabled(), f"{shown_text(button)!r} is greyed out"
    QTest.mouseClick(button, Qt.MouseButton.LeftButton, pos=button.rect().center())


def type_into(label: str, text: str, root: QWidget | None = None, *, replace: bool = True) -> QLineEdit:
    field = find(QLineEdit, label, root)
    field.setFocus()
    if replace:
        field.selectAll()
        QTest.keyClick(field, Qt.Key.Key_Delete)
    QTest.keyClicks(field, text)
    return field


def press(
    widget: QWidget, key: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
) -> None:
    QTest.keyClick(widget, key, modifiers)


def menu_action(window: QWidget, *path: str) -> QAction:
    """The action at ``path`` in the window's menu bar ("File", "Add files")."""
    menu_bar = window.menuBar()  # type: ignore[attr-defined]
    actions = menu_bar.actions()
    action: QAction | None = None
    for step in path:
        matches = [a for a in actions if _plain(a.text()) == _plain(step)]
        assert matches, f"no menu entry {step!r} among {[_plain(a.text()) for a in actions]}"
        action = matches[0]
        menu = action.menu()
        actions = menu.actions() if isinstance(menu, QMenu) else []
    assert action is not None
    return action


def current_dialog(timeout_s: float = 5.0) -> QDialog:
    found: list[QDialog] = []

    def look() -> bool:
        widget = QApplication.activeModalWidget()
        if isinstance(widget, QDialog) and widget.isVisible():
            found.append(widget)
            return True
        return False

    wait_until(look, timeout_s, "a dialog")
    return found[0]


def answer_next_message_box(button_text: str, seen: list[str] | None = None, timeout_s: float = 10.0) -> None:
    """When the next message box opens (modally: its own event loop runs), record
    its title and text in ``seen`` and press the button labelled ``button_text``."""
    deadline = time.monotonic() + timeout_s

    def poll() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox) and box.isVisible():
            if seen is not None:
                seen.append(f"{box.windowTitle()}\n{box.text()}\n{box.informativeText()}")
            for button in box.buttons():
                if _plain(button.text()) == _plain(button_text):
                    button.click()
                    return
            raise AssertionError(f"no button {button_text!r} in {[b.text() for b in box.buttons()]}")
        if time.monotonic() < deadline:
            QTimer.singleShot(30, poll)

    QTimer.singleShot(30, poll)


def right_click(widget: QWidget, position: QPoint) -> None:
    QTest.mouseClick(widget, Qt.MouseButton.RightButton, pos=position)


def tab(label: str) -> tuple[QTabBar, int]:
    """The upload table's state tab ``label`` ("Active"), and its number."""
    tabs = find(QTabBar, "Show uploads by state")
    for number in range(tabs.count()):
        if tabs.tabText(number).rsplit("  ", 1)[0] == label:
            return tabs, number
    raise AssertionError(f"no tab {label!r} among {[tabs.tabText(n) for n in range(tabs.count())]}")


def tab_count(label: str) -> int | None:
    """The count a state tab shows ("Active  12": 12); None while it shows none
    (the stored tasks are still being read)."""
    tabs, number = tab(label)
    words = tabs.tabText(number).rsplit("  ", 1)
    return int(words[1]) if len(words) == 2 else None
