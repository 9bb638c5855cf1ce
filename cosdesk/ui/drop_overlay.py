"""The "Drop files to upload to bucket/prefix" overlay shown while dragging."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPalette, QPen
from PySide6.QtWidgets import QWidget

from cosdesk.ui.icons import icon


class DropOverlay(QWidget):
    """Covers its parent while a drag with files hovers over the window; tracks the
    parent's size. Transparent to the mouse: the window handles the drop itself."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self._destination = ""
        self.hide()
        self._host = parent
        parent.installEventFilter(self)

    def show_for(self, destination: str) -> None:
        self._destination = destination
        self.setGeometry(self._host.rect())
        self.raise_()
        self.show()
        self.update()

    def message(self) -> str:
        return self.tr("Drop files to upload to %1").replace("%1", self._destination)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._host and event.type() == QEvent.Type.Resize and self.isVisible():
            self.setGeometry(self._host.rect())
        return False

    def paintEvent(self, _event: object) -> None:
        palette = self.palette()
        highlight = palette.color(QPalette.ColorRole.Highlight)
        base = palette.color(QPalette.ColorRole.Base)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        veil = QColor(base)
        veil.setAlpha(215)
        painter.fillRect(self.rect(), veil)
        frame = QRectF(self.rect()).adjusted(14, 14, -14, -14)
        tint = QColor(highlight)
        tint.setAlpha(40)
        painter.setBrush(tint)
        pen = QPen(highlight, 2.5, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.drawRoundedRect(frame, 14, 14)
        icon_size = 56
        center = frame.center()
        pixmap = icon("add-file").pixmap(icon_size, icon_size)
        painter.drawPixmap(int(center.x() - icon_size / 2), int(center.y() - icon_size - 10), pixmap)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        text_rect = QRectF(frame.left() + 20, center.y(), frame.width() - 40, 80)
        painter.drawText(
            text_rect,
            int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap),
            self.message(),
        )
