"""The destination strip above the table: account (or the local sandbox), bucket
and prefix — always visible, changeable at any time; a drop goes where it says."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from cosdesk.config import Settings
from cosdesk.engine.options import EndpointSpec
from cosdesk.engine.scan import normalize_prefix
from cosdesk.ui.accounts import SANDBOX_BUCKET, SANDBOX_REGION, Destination, endpoint_for, options_for
from cosdesk.ui.icons import icon, set_icon

# The combo's item data for the sandbox entry (a profile name can never be empty).
SANDBOX_ITEM = ""


def _account_icon(item: str) -> QIcon:
    return icon("sandbox" if item == SANDBOX_ITEM else "account")


class DestinationBar(QWidget):
    # The account, bucket or prefix changed (after editing finished).
    changed = Signal()
    # The user asked to add or edit accounts.
    manage_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = Settings()
        self._sandbox_endpoint: str | None = None
        # Bucket and prefix typed per account in this session: switching accounts
        # and back keeps what was typed.
        self._typed: dict[str, tuple[str, str]] = {}

        self.account = QComboBox(self)
        self.account.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.account.setMinimumContentsLength(14)
        self.account.setToolTip(self.tr("The account (profile) uploads use"))
        self.bucket = QLineEdit(self)
        self.bucket.setPlaceholderText(self.tr("bucket-appid"))
        self.bucket.setToolTip(self.tr("The bucket, as name-APPID (e.g. examplebucket-1250000000)"))
        self.bucket.setMinimumWidth(220)
        self.prefix = QLineEdit(self)
        self.prefix.setPlaceholderText(self.tr("folder/in/bucket (empty: the bucket's root)"))
        self.prefix.setToolTip(self.tr("Dropped files are stored under this prefix"))
        self.prefix.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.where = QLabel(self)
        self.where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.where.setEnabled(False)  # secondary text: the palette's disabled colour
        self.manage = QToolButton(self)
        set_icon(self.manage, "account")
        self.manage.setText(self.tr("Accounts…"))
        self.manage.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.manage.setToolTip(self.tr("Add or edit accounts"))

        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(6)
        account_label = QLabel(self.tr("Upload to"), self)
        account_label.setBuddy(self.account)
        layout.addWidget(account_label)
        layout.addWidget(self.account)
        bucket_label = QLabel(self.tr("Bucket"), self)
        bucket_label.setBuddy(self.bucket)
        layout.addSpacing(6)
        layout.addWidget(bucket_label)
        layout.addWidget(self.bucket)
        prefix_label = QLabel(self.tr("Prefix"), self)
        prefix_label.setBuddy(self.prefix)
        layout.addSpacing(6)
        layout.addWidget(prefix_label)
        layout.addWidget(self.prefix, 1)
        layout.addWidget(self.where)
        layout.addWidget(self.manage)

        self.account.currentIndexChanged.connect(self._on_account_changed)
        self.bucket.editingFinished.connect(self._on_edited)
        self.prefix.editingFinished.connect(self._on_edited)
        self.manage.clicked.connect(self.manage_requested)

    # --- filling ------------------------------------------------------------------

    def retint(self) -> None:
        """The account list's icons, drawn again for a new palette."""
        for index in range(self.account.count()):
            self.account.setItemIcon(index, _account_icon(self.account.itemData(index)))

    def set_accounts(
        self, settings: Settings, sandbox_endpoint: str | None, select: str | None = None
    ) -> None:
        """List the profiles (and the sandbox when it runs); select ``select`` or the
        active profile, or the sandbox when there is no profile."""
        self._settings = settings
        self._sandbox_endpoint = sandbox_endpoint
        current = select if select is not None else self.current_account()
        with QSignalBlocker(self.account):
            self.account.clear()
            for name in sorted(settings.profiles):
                self.account.addItem(_account_icon(name), name, name)
            if sandbox_endpoint:
                self.account.addItem(_account_icon(SANDBOX_ITEM), self.tr("Local sandbox"), SANDBOX_ITEM)
            wanted = current if current is not None else settings.active_profile
            index = self.account.findData(wanted)
            if index < 0 and settings.active_profile:
                index = self.account.findData(settings.active_profile)
            self.account.setCurrentIndex(max(index, 0))
        self._load_fields()
        self.changed.emit()

    def current_account(self) -> str | None:
        """The selected profile name; "" for the sandbox; None when nothing is listed."""
        data = self.account.currentData()
        return None if data is None else str(data)

    def select_account(self, name: str) -> None:
        index = self.account.findData(name)
        if index >= 0:
            self.account.setCurrentIndex(index)

    def set_location(self, bucket: str, prefix: str) -> None:
        if self.current_account() != SANDBOX_ITEM:
            self.bucket.setText(bucket)
        self.prefix.setText(prefix)
        self._on_edited()

    def typed_locations(self) -> dict[str, tuple[str, str]]:
        return dict(self._typed)

    def restore_typed_locations(self, typed: dict[str, tuple[str, str]]) -> None:
        self._typed.update(typed)
        self._load_fields()

    # --- reading ------------------------------------------------------------------

    def destination(self) -> Destination | None:
        """Where a drop goes now, or None when no account is ready or no bucket set."""
        name = self.current_account()
        bucket = self.bucket.text().strip()
        prefix = normalize_prefix(self.prefix.text())
        if name is None:
            return None
        if name == SANDBOX_ITEM:
            if not self._sandbox_endpoint:
                return None
            endpoint = EndpointSpec(SANDBOX_REGION, url=self._sandbox_endpoint, path_style=True)
            return Destination(self.tr("Local sandbox"), None, endpoint, SANDBOX_BUCKET, prefix)
        profile = self._settings.profiles.get(name)
        if profile is None or not bucket:
            return None
        return Destination(name, name, endpoint_for(profile), bucket, prefix, options_for(profile))

    # --- reacting -----------------------------------------------------------------

    def _load_fields(self) -> None:
        name = self.current_account()
        sandbox = name == SANDBOX_ITEM
        profile = self._settings.profiles.get(name or "")
        bucket, prefix = self._typed.get(
            name or "", (profile.bucket, profile.prefix) if profile is not None else ("", "")
        )
        with QSignalBlocker(self.bucket), QSignalBlocker(self.prefix):
            self.bucket.setText(SANDBOX_BUCKET if sandbox else bucket)
            self.prefix.setText(prefix)
        self.bucket.setReadOnly(sandbox)
        if sandbox:
            self.where.setText(self._sandbox_endpoint or "")
            self.where.setToolTip(self.tr("A COS-compatible server on this computer, for trying cosdesk out"))
        elif profile is not None:
            self.where.setText(profile.endpoint or profile.region)
            self.where.setToolTip(self.tr("Region or endpoint of this account"))
        else:
            self.where.setText("")

    @Slot(int)
    def _on_account_changed(self, _index: int) -> None:
        self._load_fields()
        self.changed.emit()

    @Slot()
    def _on_edited(self) -> None:
        name = self.current_account()
        if name is not None:
            self._typed[name] = (self.bucket.text().strip(), self.prefix.text().strip())
        self.changed.emit()
