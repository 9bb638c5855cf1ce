"""How the window makes its actions (text, icon, tooltip, slot), and what the
"Copy pre-signed URL" menus of the task table and of the bucket pane offer."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction

from cosdesk.ui.icons import set_icon

# How long a copied pre-signed URL is valid: an hour, a day, a week.
PRESIGN_VALIDITIES_S = (3600, 24 * 3600, 7 * 24 * 3600)


def new_action(parent: QObject, icon_name: str, text: str, slot: object, tip: str = "") -> QAction:
    """An action showing the app's icon ``icon_name`` (none when empty), with a
    tooltip (its text unless ``tip``)."""
    action = QAction(text, parent)
    if icon_name:
        set_icon(action, icon_name)
    action.setToolTip(tip or text)
    action.triggered.connect(slot)
    return action
