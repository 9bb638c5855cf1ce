"""The destination strip above the table: account (or the local sandbox), bucket
and prefix — always visible, changeable at any time; a drop goes where it says.

"Local sandbox" is a built-in destination, listed beside the accounts whenever
the window can run it; picking it starts it if it is not running yet.

The bucket is typed or picked: the list holds the account's buckets with their
regions once GET Service answered (``ui/bucket_lister.py``). A bucket picked in
another region than the account's is reached at its own region's endpoint."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtGui import QIcon, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QToolButton,
    QTreeView,
    QWidget,
)

from cosdesk.config import Settings
from cosdesk.engine.scan import normalize_prefix
from cosdesk.ui.accounts import (
    SANDBOX_BUCKET,
    Destination,
    endpoint_for,
    options_for,
    sandbox_endpoint_spec,
)
from cosdesk.ui.bucket_lister import BucketListing
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
    # "Local sandbox" is selected but has no endpoint yet: someone should start it.
    sandbox_wanted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = Settings()
        self._sandbox_endpoint: str | None = None
        # Whether "Local sandbox" is listed even while it does not run yet.
        self._sandbox_offered = False
        self._sandbox_problem = ""
        # Bucket and prefix typed per account (profile name; "" for the sandbox):
        # switching accounts and back keeps what was typed.
        self._typed: dict[str, tuple[str, str]] = {}

        self.account = QComboBox(self)
        self.account.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.account.setMinimumContentsLength(14)
        self.account.setToolTip(self.tr("The account (profile) uploads use"))
        # What GET Service said per account (profile name).
        self._listings: dict[str, BucketListing] = {}
        self.bucket_picker = QComboBox(self)
        self.bucket_picker.setEditable(True)
        self.bucket_picker.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.bucket_picker.setMinimumWidth(240)
        self.bucket_picker.setToolTip(self.tr("The bucket, as name-APPID (e.g. examplebucket-1250000000)"))
        # Two columns in the list, the name and its region; the field shows the name.
        self._bucket_items = QStandardItemModel(0, 2, self)
        list_view = QTreeView(self.bucket_picker)
        list_view.setRootIsDecorated(False)
        list_view.setHeaderHidden(True)
        list_view.setAllColumnsShowFocus(True)
        list_view.header().setStretchLastSection(False)
        list_view.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        list_view.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.bucket_picker.setModel(self._bucket_items)
        self.bucket_picker.setView(list_view)
        # No inline completion: typing a bucket's name must give that name, not a longer one.
        self.bucket_picker.setCompleter(None)  # type: ignore[arg-type]
        bucket_field = self.bucket_picker.lineEdit()
        assert bucket_field is not None
        self.bucket: QLineEdit = bucket_field
        self.bucket.setPlaceholderText(self.tr("bucket-appid"))
        self.bucket.setToolTip(self.bucket_picker.toolTip())
        # Said quietly when the keys may not list buckets: typing the name still works.
        self.bucket_note = QLabel(self)
        self.bucket_note.setEnabled(False)
        self.bucket_note.hide()
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
        bucket_label.setBuddy(self.bucket_picker)
        layout.addSpacing(6)
        layout.addWidget(bucket_label)
        layout.addWidget(self.bucket_picker)
        layout.addWidget(self.bucket_note)
        prefix_label = QLabel(self.tr("Prefix"), self)
        prefix_label.setBuddy(self.prefix)
        layout.addSpacing(6)
        layout.addWidget(prefix_label)
        layout.addWidget(self.prefix, 1)
        layout.addWidget(self.where)
        layout.addWidget(self.manage)

        self.account.currentIndexChanged.connect(self._on_account_changed)
        self.bucket.editingFinished.connect(self._on_edited)
        self.bucket_picker.activated.connect(self._on_bucket_picked)
        self.prefix.editingFinished.connect(self._on_edited)
        self.manage.clicked.connect(self.manage_requested)

    # --- filling ------------------------------------------------------------------

    def retint(self) -> None:
        """The account list's icons, drawn again for a new palette."""
        for index in range(self.account.count()):
            self.account.setItemIcon(index, _account_icon(self.account.itemData(index)))

    def offer_sandbox(self, offered: bool) -> None:
        """List "Local sandbox" even before it runs (the window can start it)."""
        self._sandbox_offered = offered

    def set_accounts(
        self, settings: Settings, sandbox_endpoint: str | None, select: str | None = None
    ) -> None:
        """List the profiles and the sandbox (when it runs or is offered); select
        ``select``, else keep the current choice, else the active profile, else the
        sandbox. What was typed in the fields stays, unless Settings has just
        changed that account's bucket or prefix."""
        self._remember_fields()
        for name, profile in settings.profiles.items():
            before = self._settings.profiles.get(name)
            if before is not None and (before.bucket, before.prefix) != (profile.bucket, profile.prefix):
                self._typed.pop(name, None)
        self._settings = settings
        self._sandbox_endpoint = sandbox_endpoint or None
        current = select if select is not None else self.current_account()
        with QSignalBlocker(self.account):
            self.account.clear()
            for name in sorted(settings.profiles):
                self.account.addItem(_account_icon(name), name, name)
            if self._sandbox_endpoint or self._sandbox_offered:
                self.account.addItem(_account_icon(SANDBOX_ITEM), self.tr("Local sandbox"), SANDBOX_ITEM)
            index = self.account.findData(current) if current is not None else -1
            if index < 0 and settings.active_profile:
                index = self.account.findData(settings.active_profile)
            if index < 0:
                index = self.account.findData(SANDBOX_ITEM)
            self.account.setCurrentIndex(max(index, 0))
        self._load_fields()
        self.changed.emit()
        self._want_sandbox_if_selected()

    def set_sandbox_endpoint(self, endpoint: str | None, problem: str = "") -> None:
        """The sandbox runs at ``endpoint`` now (None: it does not; ``problem``
        says why it could not start)."""
        self._sandbox_endpoint = endpoint or None
        self._sandbox_problem = "" if endpoint else problem
        if self.account.findData(SANDBOX_ITEM) < 0 and (endpoint or self._sandbox_offered):
            with QSignalBlocker(self.account):
                self.account.addItem(_account_icon(SANDBOX_ITEM), self.tr("Local sandbox"), SANDBOX_ITEM)
        if self.current_account() == SANDBOX_ITEM:
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

    def show_buckets(self, listing: BucketListing) -> None:
        """What GET Service said for ``listing.account``: its buckets go in the
        list (when it is the account shown), or a quiet note says to type one."""
        self._listings[listing.account] = listing
        if listing.account == self.current_account():
            self._fill_bucket_list()

    def bucket_region(self, account: str, bucket: str) -> str | None:
        """The region GET Service gave for ``bucket`` of ``account``, if listed."""
        listing = self._listings.get(account)
        if listing is not None:
            for summary in listing.buckets:
                if summary.name == bucket:
                    return summary.region
        return None

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
            endpoint = sandbox_endpoint_spec(self._sandbox_endpoint)
            return Destination(self.tr("Local sandbox"), None, endpoint, SANDBOX_BUCKET, prefix)
        profile = self._settings.profiles.get(name)
        if profile is None or not bucket:
            return None
        endpoint = endpoint_for(profile)
        region = self.bucket_region(name, bucket)
        if region and not profile.endpoint and region != endpoint.region:
            # COS serves a bucket at its own region's endpoint (ARCHITECTURE.md, 'Listing buckets').
            endpoint = replace(endpoint, region=region)
        return Destination(name, name, endpoint, bucket, prefix, options_for(profile))

    # --- reacting -----------------------------------------------------------------

    def _remember_fields(self) -> None:
        """Keep what the fields hold for the selected account (a toolbar click
        does not take the focus, so editing may not have finished)."""
        name = self.current_account()
        if name is not None:
            self._typed[name] = (self.bucket.text().strip(), self.prefix.text().strip())

    def _load_fields(self) -> None:
        name = self.current_account()
        sandbox = name == SANDBOX_ITEM
        profile = self._settings.profiles.get(name or "")
        saved_bucket, saved_prefix = (profile.bucket, profile.prefix) if profile is not None else ("", "")
        bucket, prefix = self._typed.get(name or "", (saved_bucket, saved_prefix))
        with QSignalBlocker(self.bucket), QSignalBlocker(self.prefix):
            # An emptied bucket field never hides the account's bucket.
            self.bucket.setText(SANDBOX_BUCKET if sandbox else bucket or saved_bucket)
            self.prefix.setText(prefix)
        self.bucket.setReadOnly(sandbox)
        self._fill_bucket_list()
        if sandbox:
            if self._sandbox_endpoint:
                self.where.setText(self._sandbox_endpoint)
            elif self._sandbox_problem:
                self.where.setText(self.tr("not running"))
            else:
                self.where.setText(self.tr("starting…"))
            tip = self.tr("A COS-compatible server on this computer, for trying cosdesk out")
            self.where.setToolTip(f"{tip}\n{self._sandbox_problem}" if self._sandbox_problem else tip)
        elif profile is not None:
            self.where.setText(profile.endpoint or profile.region)
            self.where.setToolTip(self.tr("Region or endpoint of this account"))
        else:
            self.where.setText("")

    def _fill_bucket_list(self) -> None:
        """The picker's list for the account shown; the field keeps its text."""
        name = self.current_account()
        listing = self._listings.get(name or "") if name != SANDBOX_ITEM else None
        typed = self.bucket.text()
        with QSignalBlocker(self.bucket_picker), QSignalBlocker(self.bucket):
            self._bucket_items.removeRows(0, self._bucket_items.rowCount())
            for summary in listing.buckets if listing is not None else ():
                region = QStandardItem(summary.region)
                self._bucket_items.appendRow([QStandardItem(summary.name), region])
            self.bucket_picker.setCurrentIndex(-1)
            self.bucket.setText(typed)
        if listing is not None and listing.refused:
            self.bucket_note.setText(self.tr("type its name"))
            self.bucket_note.setToolTip(
                self.tr("These keys may not list the account's buckets: type the bucket's name.")
            )
        elif listing is not None and listing.problem:
            self.bucket_note.setText(self.tr("list unavailable"))
            self.bucket_note.setToolTip(
                self.tr("The buckets could not be listed: %1").replace("%1", listing.problem)
            )
        self.bucket_note.setVisible(listing is not None and (listing.refused or bool(listing.problem)))

    @Slot(int)
    def _on_bucket_picked(self, _index: int) -> None:
        self._on_edited()

    @Slot(int)
    def _on_account_changed(self, _index: int) -> None:
        self._load_fields()
        self.changed.emit()
        self._want_sandbox_if_selected()

    def _want_sandbox_if_selected(self) -> None:
        if self.current_account() == SANDBOX_ITEM and not self._sandbox_endpoint:
            self.sandbox_wanted.emit()

    @Slot()
    def _on_edited(self) -> None:
        # The prefix as keys will use it ("/docs//x" → "docs/x/"): what the field
        # says is where a drop goes.
        used_prefix = normalize_prefix(self.prefix.text())
        if used_prefix != self.prefix.text():
            with QSignalBlocker(self.prefix):
                self.prefix.setText(used_prefix)
        name = self.current_account()
        if name is not None:
            self._typed[name] = (self.bucket.text().strip(), self.prefix.text().strip())
        self.changed.emit()
