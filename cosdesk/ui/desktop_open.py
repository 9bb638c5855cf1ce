"""Handing a folder or a web page to the desktop (file manager, browser), and
saying so when nothing can take it.

Qt asks the platform: on Linux it runs ``xdg-open`` (or a desktop portal when
sandboxed), and with neither (a minimal desktop, a bare X server, the offscreen
platform) it opens nothing and only returns False. The user then gets the
folder's path or the page's address to copy, instead of a click that does nothing.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from cosdesk.ui.message_boxes import message_box


def _tr(text: object) -> str:
    """A message marked with ``QT_TRANSLATE_NOOP("DesktopOpen", …)`` (so the translation
    tools find it), translated."""
    return QCoreApplication.translate("DesktopOpen", str(text))


def show_folder(parent: QWidget, folder: str) -> bool:
    """Open ``folder`` in the file manager; False (after telling the user where the
    folder is) when none could be started."""
    return _open_or_explain(
        parent,
        QUrl.fromLocalFile(folder),
        _tr(QT_TRANSLATE_NOOP("DesktopOpen", "Cannot open the folder")),
        _tr(QT_TRANSLATE_NOOP("DesktopOpen", "No file manager could be started to show it. Its path is:")),
        folder,
        _tr(QT_TRANSLATE_NOOP("DesktopOpen", "Copy path")),
    )


def show_web_page(parent: QWidget, address: str) -> bool:
    """Open ``address`` in the web browser; False (after giving the user the address)
    when none could be started."""
    return _open_or_explain(
        parent,
        QUrl(address),
        _tr(QT_TRANSLATE_NOOP("DesktopOpen", "Cannot open the web page")),
        _tr(QT_TRANSLATE_NOOP("DesktopOpen", "No web browser could be started to show it. Its address is:")),
        address,
        _tr(QT_TRANSLATE_NOOP("DesktopOpen", "Copy address")),
    )


def _open_or_explain(
    parent: QWidget, url: QUrl, headline: str, why: str, location: str, copy_label: str
) -> bool:
    if QDesktopServices.openUrl(url):
        return True
    _explain(parent, headline, why, location, copy_label)
    return False


def _explain(parent: QWidget, headline: str, why: str, location: str, copy_label: str) -> None:
    box = message_box(
        parent, QMessageBox.Icon.Information, headline, f"{why}\n{location}", QMessageBox.StandardButton.Close
    )
    # The path can be selected (and read by a screen reader) as well as copied.
    box.setTextInteractionFlags(
        Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
    )
    copy = box.addButton(copy_label, QMessageBox.ButtonRole.ActionRole)
    copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(location))
    box.setDefaultButton(QMessageBox.StandardButton.Close)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setModal(False)
    box.show()
    box.raise_()
    box.activateWindow()
