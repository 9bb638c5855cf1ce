"""Settings: accounts (profiles) with their keys in the system keyring (or the
credential server that hands out temporary keys, and its headers), region,
bucket, endpoint, and each account's upload defaults; what all uploads share
(files at once, bandwidth limit), which needs no account; "Test connection" runs
a real request on a worker thread and says in words what went wrong."""

from __future__ import annotations

from typing import cast

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QCoreApplication,
    Qt,
    QThreadPool,
    Slot,
)
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from cosdesk import config
from cosdesk.config import ConfigError, Profile, Settings, Transfers
from cosdesk.cos.auth import Credentials
from cosdesk.cos.client import CosClient
from cosdesk.cos.credential_provider import CredentialProvider, CredentialSource, request_headers
from cosdesk.cos.endpoint import endpoint_hints, with_scheme
from cosdesk.cos.errors import (
    CosError,
    CosException,
    CosNetworkError,
    CosValidationError,
    CredentialServerError,
    OutsideCredentialScope,
)
from cosdesk.cos.options import STORAGE_CLASSES
from cosdesk.engine.clients import endpoint_from_spec
from cosdesk.engine.options import ConflictPolicy, MiB
from cosdesk.ui.accounts import (
    ACLS,
    COS_REGIONS,
    KeyOrigin,
    SessionSecrets,
    credential_servers,
    credentials_for,
    endpoint_for,
    key_origins,
)
from cosdesk.ui.background import run_in_background
from cosdesk.ui.formatting import size_unit, storage_class_label
from cosdesk.ui.header_lines import HeaderLines
from cosdesk.ui.icons import icon
from cosdesk.ui.languages import LANGUAGES, language_label
from cosdesk.ui.message_boxes import message_box
from cosdesk.ui.palette import show_as_error
from cosdesk.ui.rate_box import RateBox
from cosdesk.ui.settings_save import SaveOutcome, SavePlan, SaveStep, save

_WRONG_KEY_CODES = frozenset(
    {"SignatureDoesNotMatch", "InvalidAccessKeyId", "InvalidSecretId", "AccessDenied"}
)


# ACLs as the COS console names them; the value is what COS takes.
ACL_LABELS = {
    "": QT_TRANSLATE_NOOP("SettingsDialog", "(not set: the bucket's)"),
    "private": QT_TRANSLATE_NOOP("SettingsDialog", "Private read/write"),
    "public-read": QT_TRANSLATE_NOOP("SettingsDialog", "Public read, private write"),
    "default": QT_TRANSLATE_NOOP("SettingsDialog", "Inherit from the bucket"),
}
REGION_NAMES = {
    "ap-beijing": QT_TRANSLATE_NOOP("SettingsDialog", "Beijing"),
    "ap-nanjing": QT_TRANSLATE_NOOP("SettingsDialog", "Nanjing"),
    "ap-shanghai": QT_TRANSLATE_NOOP("SettingsDialog", "Shanghai"),
    "ap-guangzhou": QT_TRANSLATE_NOOP("SettingsDialog", "Guangzhou"),
    "ap-chengdu": QT_TRANSLATE_NOOP("SettingsDialog", "Chengdu"),
    "ap-chongqing": QT_TRANSLATE_NOOP("SettingsDialog", "Chongqing"),
    "ap-shenzhen-fsi": QT_TRANSLATE_NOOP("SettingsDialog", "Shenzhen Finance"),
    "ap-shanghai-fsi": QT_TRANSLATE_NOOP("SettingsDialog", "Shanghai Finance"),
    "ap-beijing-fsi": QT_TRANSLATE_NOOP("SettingsDialog", "Beijing Finance"),
    "ap-hongkong": QT_TRANSLATE_NOOP("SettingsDialog", "Hong Kong, China"),
    "ap-singapore": QT_TRANSLATE_NOOP("SettingsDialog", "Singapore"),
    "ap-mumbai": QT_TRANSLATE_NOOP("SettingsDialog", "Mumbai"),
    "ap-jakarta": QT_TRANSLATE_NOOP("SettingsDialog", "Jakarta"),
    "ap-seoul": QT_TRANSLATE_NOOP("SettingsDialog", "Seoul"),
    "ap-bangkok": QT_TRANSLATE_NOOP("SettingsDialog", "Bangkok"),
    "ap-tokyo": QT_TRANSLATE_NOOP("SettingsDialog", "Tokyo"),
    "na-siliconvalley": QT_TRANSLATE_NOOP("SettingsDialog", "Silicon Valley (US West)"),
    "na-ashburn": QT_TRANSLATE_NOOP("SettingsDialog", "Virginia (US East)"),
    "na-toronto": QT_TRANSLATE_NOOP("SettingsDialog", "Toronto"),
    "sa-saopaulo": QT_TRANSLATE_NOOP("SettingsDialog", "São Paulo"),
    "eu-frankfurt": QT_TRANSLATE_NOOP("SettingsDialog", "Frankfurt"),
}


def _signer(
    profile: Profile, keys: Credentials | None, headers: str | None, secrets: SessionSecrets
) -> CredentialSource:
    """What signs the test: the typed or stored keys, or a provider of its own for
    a credential-server account (the test asks the server, whatever is cached)."""
    if profile.uses_credential_server:
        stored = headers if headers is not None else config.load_credential_headers(profile.name)
        return CredentialProvider(config.credential_request(profile, stored), failure_backoff_s=0)
    return keys or credentials_for(profile.name, secrets)


def check_connection(
    profile: Profile, keys: Credentials | None, secrets: SessionSecrets, headers: str | None = None
) -> tuple[bool, str]:
    """(ok, what to tell the user) after listing at most one object of the bucket
    (under the account's prefix) with ``profile`` and its keys, typed or stored,
    or its credential server's (``headers``: those typed for it): the cheapest
    request that proves the endpoint, the keys and the bucket together. Blocks on
    the network (and maybe the keyring): run it on a worker; translate() is
    thread-safe."""
    signer: CredentialSource | None = None
    try:
        signer = _signer(profile, keys, headers, secrets)
        with CosClient(signer, endpoint_from_spec(endpoint_for(profile)), timeout_s=15) as client:
            client.list_objects(profile.bucket, prefix=profile.prefix or None, max_keys=1)
    except CredentialServerError as error:
        text = QCoreApplication.translate(
            "ConnectionTest", "The credential server gave no temporary keys: %1"
        )
        return False, text.replace("%1", str(error))
    except OutsideCredentialScope as error:
        text = QCoreApplication.translate(
            "ConnectionTest", "The credential server does not allow this bucket or prefix: %1"
        )
        return False, text.replace("%1", error.message)
    except ConfigError as error:
        text = QCoreApplication.translate("ConnectionTest", "No keys to test with: %1")
        return False, text.replace("%1", str(error))
    except CosNetworkError as error:
        # The error says what failed: a refusal, a name that did not resolve, or a
        # server that took the connection and then said nothing.
        text = QCoreApplication.translate("ConnectionTest", "Network problem: %1")
        return False, text.replace("%1", str(error))
    except CosValidationError as error:
        text = QCoreApplication.translate("ConnectionTest", "The settings are not valid: %1")
        return False, text.replace("%1", str(error))
    except CosError as error:
        support = (
            QCoreApplication.translate("ConnectionTest", "(COS code %1, request ID %2)")
            .replace("%1", error.code or str(error.status_code))
            .replace("%2", error.request_id or "—")
        )
        if error.code in _WRONG_KEY_CODES:
            text = QCoreApplication.translate(
                "ConnectionTest", "Wrong key: COS refused the SecretId/SecretKey for this bucket."
            )
        elif error.code == "NoSuchBucket":
            text = (
                QCoreApplication.translate("ConnectionTest", "No such bucket: %1 does not exist in %2.")
                .replace("%1", profile.bucket)
                .replace("%2", profile.endpoint or profile.region)
            )
        else:
            text = QCoreApplication.translate("ConnectionTest", "COS refused the request: %1")
            text = text.replace("%1", error.message)
        return False, f"{text} {support}"
    except CosException as error:
        text = QCoreApplication.translate("ConnectionTest", "The request failed: %1")
        return False, text.replace("%1", str(error))
    finally:
        if isinstance(signer, CredentialProvider):
            signer.close()
    if profile.uses_credential_server:
        text = QCoreApplication.translate(
            "ConnectionTest",
            "Connected: the credential server gave temporary keys and bucket %1 is reachable.",
        )
        return True, text.replace("%1", profile.bucket)
    text = QCoreApplication.translate(
        "ConnectionTest", "Connected: the keys work and bucket %1 is reachable."
    )
    return True, text.replace("%1", profile.bucket)


class SettingsDialog(QDialog):
    """Edits a copy of the settings; :meth:`accept` stores keys in the keyring (asking
    what to do if it cannot) and writes config.json, both on the thread pool while
    the dialog shows "Saving…"."""

    def __init__(
        self,
        settings: Settings,
        secrets: SessionSecrets,
        pool: QThreadPool,
        parent: QWidget | None = None,
        *,
        select: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Settings"))
        self.setWindowIcon(icon("settings"))
        self._profiles: dict[str, Profile] = dict(settings.profiles)
        self._language = settings.language
        self._active = settings.active_profile
        self._secrets = secrets
        self._pool = pool
        # Keys typed in this dialog, not yet stored: profile name -> Credentials.
        self._typed_keys: dict[str, Credentials] = {}
        # Credential server headers typed in this dialog, not yet stored.
        self._typed_headers: dict[str, str] = {}
        self._current: str | None = None
        self._new_names: set[str] = set()
        self._removed: set[str] = set()
        # Saved accounts by their name in the dialog -> their saved name (renames).
        self._saved_name: dict[str, str] = {name: name for name in settings.profiles}
        # While Save runs on the pool: the keys it is storing (None otherwise).
        self._saving_keys: list[tuple[str, Credentials]] | None = None
        # Where each saved account's keys are, once read off the GUI thread.
        self._key_origins: dict[str, KeyOrigin] = {}
        self.saved_settings: Settings | None = None
        # After Save: accounts added in the dialog, and renames (saved name -> new).
        self.added_accounts: frozenset[str] = frozenset()
        self.renamed_accounts: dict[str, str] = {}

        self.profile_list = QListWidget(self)
        self.profile_list.setMinimumWidth(170)
        self.profile_list.setAccessibleName(self.tr("Accounts"))
        self.add_button = QPushButton(icon("account"), self.tr("Add account"), self)
        self.remove_button = QPushButton(self.tr("Remove"), self)
        # A sidebar of fixed width: with no account yet, the hint beside it gets the room.
        sidebar = QWidget(self)
        sidebar.setMaximumWidth(max(220, self.fontMetrics().horizontalAdvance("M") * 16))
        left = QVBoxLayout(sidebar)
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(QLabel(self.tr("Accounts"), self))
        left.addWidget(self.profile_list, 1)
        left.addWidget(self.add_button)
        left.addWidget(self.remove_button)

        # --- account fields
        self.name = QLineEdit(self)
        self.name_problem = QLabel(self)
        self.name_problem.setWordWrap(True)
        show_as_error(self.name_problem)
        self.name_problem.hide()
        self.secret_id = QLineEdit(self)
        self.secret_key = QLineEdit(self)
        self.secret_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.session_token = QLineEdit(self)
        self.session_token.setEchoMode(QLineEdit.EchoMode.Password)
        self.session_token.setPlaceholderText(self.tr("only for temporary (STS) keys"))
        # Where the keys come from: typed here, or an organisation's credential server.
        self.key_kind = QComboBox(self)
        self.key_kind.addItem(self.tr("SecretId and SecretKey"), False)
        self.key_kind.addItem(self.tr("Credential server (temporary keys)"), True)
        self.credential_url = QLineEdit(self)
        self.credential_url.setPlaceholderText("https://example.com/sts")
        self.credential_post = QCheckBox(self.tr("Ask with POST (bucket, region and prefix as JSON)"), self)
        self.credential_headers = HeaderLines(self)
        self.forget_headers = QPushButton(self.tr("Forget the stored headers"), self)
        self.forget_headers.clicked.connect(self._forget_stored_headers)
        self._headers_row = QWidget(self)
        headers_layout = QVBoxLayout(self._headers_row)
        headers_layout.setContentsMargins(0, 0, 0, 0)
        headers_layout.addWidget(self.credential_headers)
        headers_layout.addWidget(self.forget_headers, 0, Qt.AlignmentFlag.AlignLeft)
        self.endpoint_note = QLabel(self)
        self.endpoint_note.setWordWrap(True)
        self.endpoint_note.setEnabled(False)  # secondary text
        self.region = QComboBox(self)
        self.region.setEditable(True)
        for region in COS_REGIONS:
            self.region.addItem(region)
            self.region.setItemData(
                self.region.count() - 1, self.tr(str(REGION_NAMES[region])), Qt.ItemDataRole.ToolTipRole
            )
        self.region_name = QLabel(self)
        self.region_name.setEnabled(False)  # secondary text
        self.region.currentTextChanged.connect(self._show_region_name)
        region_row = QHBoxLayout()
        region_row.addWidget(self.region, 1)
        region_row.addWidget(self.region_name)
        self.bucket = QLineEdit(self)
        self.bucket.setPlaceholderText("examplebucket-1250000000")
        self.endpoint = QLineEdit(self)
        self.endpoint.setPlaceholderText(self.tr("empty: COS's public endpoint for the region"))
        self.path_style = QCheckBox(self.tr("Bucket in the path (path-style)"), self)
        self.use_https = QCheckBox(self.tr("Use HTTPS"), self)
        named_fields: tuple[tuple[QWidget, str], ...] = (
            (self.name, self.tr("Name")),
            (self.secret_id, self.tr("SecretId")),
            (self.secret_key, self.tr("SecretKey")),
            (self.session_token, self.tr("Session token")),
            (self.key_kind, self.tr("Keys from")),
            (self.credential_url, self.tr("Credential URL")),
            (self.credential_post, self.credential_post.text()),
            (self.region, self.tr("Region")),
            (self.bucket, self.tr("Bucket")),
            (self.endpoint, self.tr("Custom endpoint")),
        )
        for field, name in named_fields:
            field.setAccessibleName(name)
        account_box = QGroupBox(self.tr("Account"), self)
        account_form = QFormLayout(account_box)
        account_form.addRow(self.tr("Name"), self.name)
        account_form.addRow("", self.name_problem)
        account_form.addRow(self.tr("Keys from"), self.key_kind)
        account_form.addRow(self.tr("SecretId"), self.secret_id)
        account_form.addRow(self.tr("SecretKey"), self.secret_key)
        account_form.addRow(self.tr("Session token"), self.session_token)
        account_form.addRow(self.tr("Credential URL"), self.credential_url)
        account_form.addRow("", self.credential_post)
        account_form.addRow(self.tr("Extra headers"), self._headers_row)
        self._account_form = account_form
        account_form.addRow(self.tr("Region"), region_row)
        account_form.addRow(self.tr("Bucket"), self.bucket)
        account_form.addRow(self.tr("Custom endpoint"), self.endpoint)
        checks = QHBoxLayout()
        checks.addWidget(self.use_https)
        checks.addWidget(self.path_style)
        checks.addStretch(1)
        account_form.addRow("", checks)
        account_form.addRow("", self.endpoint_note)
        self.keyring_note = QLabel(
            self.tr("Keys are kept in the system keyring only, never in a file."), self
        )
        self.keyring_note.setWordWrap(True)
        self.keyring_note.setEnabled(False)
        account_form.addRow("", self.keyring_note)

        # --- upload defaults
        self.storage_class = QComboBox(self)
        for value in STORAGE_CLASSES:
            self.storage_class.addItem(storage_class_label(value), value)
            self.storage_class.setItemData(self.storage_class.count() - 1, value, Qt.ItemDataRole.ToolTipRole)
        self.acl = QComboBox(self)
        for value in ACLS:
            self.acl.addItem(self.tr(str(ACL_LABELS[value])), value)
            if value:
                self.acl.setItemData(self.acl.count() - 1, value, Qt.ItemDataRole.ToolTipRole)
        self.slice_size = QSpinBox(self)
        self.slice_size.setRange(1, 5 * 1024)
        self.slice_size.setSuffix(" " + size_unit("MiB"))
        self.slice_size.setToolTip(self.tr("Files up to this size go in one request; larger ones in parts"))
        # 0 (shown as "Automatic", the default): tuned while uploading (engine/concurrency.py).
        self.parallel_parts = QSpinBox(self)
        self.parallel_parts.setRange(0, 32)
        self.parallel_parts.setSpecialValueText(self.tr("Automatic"))
        self.parallel_parts.setToolTip(
            self.tr("Automatic: as many as make the upload faster on your link; or a fixed number")
        )
        self.conflict = QComboBox(self)
        for value, label in (
            (ConflictPolicy.OVERWRITE, self.tr("Overwrite")),
            (ConflictPolicy.SKIP, self.tr("Skip")),
            (ConflictPolicy.RENAME, self.tr("Rename (name (1).ext)")),
            (ConflictPolicy.CHANGED, self.tr("Upload if changed (size or CRC-64)")),
        ):
            self.conflict.addItem(label, value.value)
        # The window asks, or does what "When added files are already there" says,
        # when it finds the files in the bucket: this default is the command line's.
        self.conflict.setToolTip(
            self.tr(
                "What cosdesk upload --profile does when the object is already there\n"
                "(--if-exists chooses otherwise). In this window, “When added files\n"
                "are already there” under All uploads decides."
            )
        )
        defaults_box = QGroupBox(self.tr("Upload defaults"), self)
        defaults_form = QFormLayout(defaults_box)
        defaults: tuple[tuple[str, QWidget], ...] = (
            (self.tr("Storage class"), self.storage_class),
            (self.tr("ACL"), self.acl),
            (self.tr("Slice size"), self.slice_size),
            (self.tr("Parts at once per file"), self.parallel_parts),
            (self.tr("If the object exists (cosdesk upload)"), self.conflict),
        )
        for label, field in defaults:
            defaults_form.addRow(label, field)
            field.setAccessibleName(label)

        # --- shared by every upload, whatever the destination (the sandbox too)
        self.parallel_files = QSpinBox(self)
        self.parallel_files.setRange(0, 32)
        self.parallel_files.setSpecialValueText(self.tr("Automatic"))
        self.parallel_files.setToolTip(
            self.tr("Automatic: as many as make the upload faster on your link; or a fixed number")
        )
        self.bandwidth = RateBox(self.tr("unlimited"), self)
        self.resume_on_start = QCheckBox(self.tr("Resume unfinished uploads when cosdesk starts"), self)
        transfers_box = QGroupBox(self.tr("All uploads"), self)
        transfers_row = QHBoxLayout()
        shared: tuple[tuple[str, QWidget], ...] = (
            (self.tr("Files at once"), self.parallel_files),
            (self.tr("Bandwidth limit"), self.bandwidth),
        )
        for label, field in shared:
            label_widget = QLabel(label, self)
            label_widget.setBuddy(field)
            field.setAccessibleName(label)
            transfers_row.addWidget(label_widget)
            transfers_row.addWidget(field)
            transfers_row.addSpacing(12)
        transfers_row.addWidget(self.resume_on_start)
        transfers_row.addStretch(1)
        self._load_transfers(settings.transfers)
        # What to do when added files are already queued or in the bucket; "ask"
        # brings the question back after "Remember my choice".
        self.if_exists = QComboBox(self)
        for choice, text in (
            ("ask", self.tr("Ask every time")),
            ("overwrite", self.tr("Overwrite")),
            ("skip", self.tr("Skip")),
            ("rename", self.tr("Keep both")),
            ("changed", self.tr("Upload changed")),
        ):
            self.if_exists.addItem(text, choice)
        self.if_exists.setCurrentIndex(max(0, self.if_exists.findData(settings.if_exists)))
        if_exists_label = QLabel(self.tr("When added files are already there"), self)
        if_exists_label.setBuddy(self.if_exists)
        self.if_exists.setAccessibleName(if_exists_label.text())
        if_exists_row = QHBoxLayout()
        if_exists_row.addWidget(if_exists_label)
        if_exists_row.addWidget(self.if_exists)
        if_exists_row.addStretch(1)
        transfers_rows = QVBoxLayout()
        transfers_rows.addLayout(transfers_row)
        transfers_rows.addLayout(if_exists_row)
        transfers_box.setLayout(transfers_rows)

        self.test_button = QPushButton(self.tr("Test connection"), self)
        self.test_result = QLabel(self)
        self.test_result.setWordWrap(True)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_result, 1)

        self.form_panel = QWidget(self)
        form_layout = QHBoxLayout(self.form_panel)
        form_layout.setContentsMargins(0, 0, 0, 0)
        form_layout.addWidget(account_box, 3)
        form_layout.addWidget(defaults_box, 2)
        self.empty_hint = QLabel(
            self.tr("No account yet. Uploads go to the local sandbox until you add one."), self
        )
        self.empty_hint.setWordWrap(True)
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.empty_hint.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

        right = QVBoxLayout()
        right.addWidget(self.empty_hint)
        right.addWidget(self.form_panel, 1)
        right.addLayout(test_row)

        self.language = QComboBox(self)
        for code, _label in LANGUAGES:
            self.language.addItem(language_label(code), code)
        self.language.setCurrentIndex(max(0, self.language.findData(self._language)))
        self.language_note = QLabel(self.tr("Takes effect the next time cosdesk starts."), self)
        self.language_note.setEnabled(False)  # secondary text
        language_label_widget = QLabel(self.tr("Language"), self)
        language_label_widget.setBuddy(self.language)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self._save_text = self.buttons.button(QDialogButtonBox.StandardButton.Save).text()
        body = QHBoxLayout()
        body.addWidget(sidebar)
        body.addLayout(right, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(language_label_widget)
        bottom.addWidget(self.language)
        bottom.addWidget(self.language_note)
        bottom.addStretch(1)
        bottom.addWidget(self.buttons)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(transfers_box)
        layout.addLayout(bottom)

        self.profile_list.currentItemChanged.connect(self._on_selection)
        self.name.textChanged.connect(self._on_name_edited)
        self.key_kind.currentIndexChanged.connect(self._show_key_kind)
        self.endpoint.textChanged.connect(self._on_endpoint_edited)
        self.add_button.clicked.connect(self.add_profile)
        self.remove_button.clicked.connect(self._remove_profile)
        self.test_button.clicked.connect(self.test_connection)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        for name in sorted(self._profiles):
            self.profile_list.addItem(self._account_item(name))
        if self.profile_list.count():
            wanted = select or self._active
            matches = self.profile_list.findItems(wanted, Qt.MatchFlag.MatchExactly) if wanted else []
            self.profile_list.setCurrentItem(matches[0] if matches else self.profile_list.item(0))
        self._update_enabled()
        if self._profiles:
            names = list(self._profiles)
            from_server = credential_servers(settings)
            run_in_background(
                self._pool,
                self,
                lambda: key_origins(names, secrets, from_server=from_server),
                self._on_key_origins,
            )

    # --- profiles -------------------------------------------------------------------

    def _update_enabled(self) -> None:
        has_profile = self._current is not None
        self.form_panel.setVisible(has_profile)
        self.empty_hint.setVisible(not has_profile)
        self.remove_button.setEnabled(has_profile)
        self.test_button.setEnabled(has_profile)
        self.test_button.setVisible(has_profile)
        self.test_result.setVisible(has_profile)

    @Slot()
    def add_profile(self) -> None:
        """Add "Account N" with defaults and select it (the name is editable until saved)."""
        if not self._commit_form():
            return
        number = 1
        while self._new_account_name(number) in self._profiles:
            number += 1
        name = self._new_account_name(number)
        self._profiles[name] = Profile(name=name, use_https=True)
        self._new_names.add(name)
        item = self._account_item(name)
        self.profile_list.addItem(item)
        self.profile_list.setCurrentItem(item)
        self.name.setFocus()
        self.name.selectAll()

    @staticmethod
    def _account_item(name: str) -> QListWidgetItem:
        # The text follows the name field as it is typed; the data is the name the
        # account goes by in this dialog until the edit is committed.
        item = QListWidgetItem(icon("account"), name)
        item.setData(Qt.ItemDataRole.UserRole, name)
        return item

    def _new_account_name(self, number: int) -> str:
        return self.tr("Account %1").replace("%1", str(number))

    @Slot(str)
    def _show_region_name(self, region: str) -> None:
        name = REGION_NAMES.get(region.strip())
        self.region_name.setText(self.tr(str(name)) if name else "")

    @Slot()
    def _remove_profile(self) -> None:
        name = self._current
        if name is None:
            return
        question = message_box(
            self,
            QMessageBox.Icon.Question,
            self.tr("Remove account “%1” and its keys from the keyring?").replace("%1", name),
            self.tr("Uploads already queued stay."),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        )
        if question.exec() != QMessageBox.StandardButton.Yes:
            return
        self._removed.add(self._saved_name.pop(name, name))
        self._profiles.pop(name, None)
        self._typed_keys.pop(name, None)
        self._current = None
        row = self.profile_list.currentRow()
        self.profile_list.takeItem(row)
        self._update_enabled()

    @Slot(QListWidgetItem, QListWidgetItem)
    def _on_selection(self, current: QListWidgetItem | None, previous: QListWidgetItem | None) -> None:
        if previous is not None and self._current is not None and not self._commit_form():
            self.profile_list.blockSignals(True)
            self.profile_list.setCurrentItem(previous)
            self.profile_list.blockSignals(False)
            return
        self._current = str(current.data(Qt.ItemDataRole.UserRole)) if current is not None else None
        if self._current is not None:
            self._load_form(self._profiles[self._current])
        self.test_result.clear()
        self._update_enabled()

    @Slot(str)
    def _on_name_edited(self, text: str) -> None:
        item = self.profile_list.currentItem()
        if item is not None:
            item.setText(text.strip())
        problem = self._name_problem(text.strip())
        self.name_problem.setText(problem)
        self.name_problem.setVisible(bool(problem))

    def _name_problem(self, name: str) -> str:
        """Why ``name`` cannot name the current account ("" when it can)."""
        if not name:
            return self.tr("Enter a name for the account.")
        if name != self._current and name in self._profiles:
            return self.tr("An account with this name already exists.")
        try:
            Profile(name=name)
        except ConfigError:
            return self.tr("An account name has 1 to 64 letters, digits, spaces or . _ @ - characters.")
        return ""

    def _load_form(self, profile: Profile) -> None:
        self.name.setText(profile.name)
        self.name_problem.hide()
        typed = self._typed_keys.get(profile.name)
        self.secret_id.setText(typed.secret_id if typed else "")
        self.secret_key.setText(typed.secret_key if typed else "")
        self.session_token.setText((typed.session_token or "") if typed else "")
        self.key_kind.setCurrentIndex(1 if profile.uses_credential_server else 0)
        self.credential_url.setText(profile.credential_url)
        self.credential_post.setChecked(profile.credential_post)
        self.credential_headers.set_text(self._typed_headers.get(profile.name, ""))
        self._show_headers_state()
        self._show_key_kind()
        self._show_key_placeholders()
        self.region.setCurrentText(profile.region)
        self.bucket.setText(profile.bucket)
        self.endpoint.setText(profile.endpoint)
        self.path_style.setChecked(profile.path_style)
        self.use_https.setChecked(profile.use_https)
        self._on_endpoint_edited(profile.endpoint)
        self.storage_class.setCurrentIndex(
            max(0, self.storage_class.findData(profile.storage_class or "STANDARD"))
        )
        self.acl.setCurrentIndex(max(0, self.acl.findData(profile.acl)))
        self.slice_size.setValue(max(1, profile.slice_size // MiB))
        self.parallel_parts.setValue(profile.parallel_parts)
        self.conflict.setCurrentIndex(max(0, self.conflict.findData(profile.conflict_policy)))

    def _load_transfers(self, transfers: Transfers) -> None:
        self.parallel_files.setValue(transfers.parallel_files)
        self.bandwidth.set_bytes_per_s(transfers.bandwidth_limit_bytes_per_s)
        self.resume_on_start.setChecked(transfers.resume_on_start)

    def _form_transfers(self) -> Transfers:
        return Transfers(
            parallel_files=self.parallel_files.value(),
            bandwidth_limit_bytes_per_s=self.bandwidth.bytes_per_s(),
            resume_on_start=self.resume_on_start.isChecked(),
        )

    # --- what the form says about keys and the endpoint ----------------------------

    @Slot(object)
    def _on_key_origins(self, result: object) -> None:
        if isinstance(result, dict):
            self._key_origins = cast(dict[str, KeyOrigin], result)
            self._show_key_placeholders()

    def _key_origin(self, name: str) -> KeyOrigin | None:
        """Where the current account's keys are now; None while not known yet."""
        if name in self._new_names:
            return KeyOrigin.NONE
        if self._secrets.get(self._saved_name.get(name, name)) is not None:
            return KeyOrigin.SESSION  # "Use for this session only", maybe just now
        return self._key_origins.get(self._saved_name.get(name, name))

    def _show_key_placeholders(self) -> None:
        """Say "leave empty to keep" only for keys that exist, and where they are."""
        if self._current is None:
            return
        origin = self._key_origin(self._current)
        if origin is KeyOrigin.KEYRING:
            kept = self.tr("stored in the keyring — leave empty to keep")
        elif origin is KeyOrigin.SESSION:
            kept = self.tr("kept for this session only — leave empty to keep")
        elif origin is KeyOrigin.UNREADABLE:
            kept = self.tr("the keyring cannot be read — enter the keys")
        else:  # none stored, or not known yet
            kept = ""
        self.secret_id.setPlaceholderText(kept or "AKID…")
        self.secret_key.setPlaceholderText(kept)

    def _show_headers_state(self) -> None:
        """Say whether empty fields keep what the keyring holds, or forget it."""
        if self._current is None:
            return
        forgotten = self._typed_headers.get(self._current) == ""
        saved = self._current not in self._new_names
        if forgotten:
            hint = self.tr("none: the stored headers are forgotten on Save")
        elif saved:
            hint = self.tr("leave empty to keep the stored headers, if any")
        else:
            hint = self.tr("optional, e.g. Authorization: Bearer …")
        self.credential_headers.set_placeholder(hint)
        self.forget_headers.setVisible(saved and not forgotten)

    @Slot()
    def _forget_stored_headers(self) -> None:
        """Mark the account's stored headers to be deleted when the dialog saves."""
        if self._current is None:
            return
        self._typed_headers[self._current] = ""
        self.credential_headers.set_text("")
        self._show_headers_state()

    def _from_credential_server(self) -> bool:
        return bool(self.key_kind.currentData())

    @Slot()
    def _show_key_kind(self) -> None:
        """Show the fields of the chosen kind of keys only."""
        server = self._from_credential_server()
        key_fields: tuple[QWidget, ...] = (self.secret_id, self.secret_key, self.session_token)
        server_fields: tuple[QWidget, ...] = (
            self.credential_url,
            self.credential_post,
            self._headers_row,
        )
        for field in key_fields:
            self._account_form.setRowVisible(field, not server)
        for field in server_fields:
            self._account_form.setRowVisible(field, server)
        self.keyring_note.setText(
            self.tr("Temporary keys are kept in memory only; extra headers are kept in the system keyring.")
            if server
            else self.tr("Keys are kept in the system keyring only, never in a file.")
        )

    @Slot(str)
    def _on_endpoint_edited(self, text: str) -> None:
        """Tick what the endpoint implies as it is typed: its scheme decides HTTPS,
        a host without sub-domains (an IP address, localhost) needs path style,
        and COS's own endpoint takes the bucket in the host name."""
        hints = endpoint_hints(text)
        custom = bool(text.strip())
        if hints.scheme is not None:
            self.use_https.setChecked(hints.scheme == "https")
        self.use_https.setEnabled(hints.scheme is None)
        if hints.path_style_required:
            self.path_style.setChecked(True)
        elif not custom:
            self.path_style.setChecked(False)
        self.path_style.setEnabled(custom and not hints.path_style_required)
        if hints.path_style_required:
            note = self.tr("An IP address or localhost takes the bucket in the path.")
        elif hints.scheme is not None:
            note = self.tr("The endpoint's scheme decides whether HTTPS is used.")
        else:
            note = ""
        self.endpoint_note.setText(note)
        self.endpoint_note.setVisible(bool(note))

    def _form_profile(self) -> Profile:
        """The form as a Profile (raises ConfigError for a bad name)."""
        return Profile(
            name=self.name.text().strip(),
            region=self.region.currentText().strip(),
            bucket=self.bucket.text().strip(),
            prefix=self._profiles[self._current].prefix if self._current in self._profiles else "",
            endpoint=with_scheme(self.endpoint.text(), self.use_https.isChecked()),
            path_style=self.path_style.isChecked(),
            use_https=self.use_https.isChecked(),
            storage_class=str(self.storage_class.currentData()),
            acl=str(self.acl.currentData() or ""),
            slice_size=self.slice_size.value() * MiB,
            parallel_parts=self.parallel_parts.value(),
            conflict_policy=str(self.conflict.currentData()),
            credential_url=self.credential_url.text().strip() if self._from_credential_server() else "",
            credential_post=self.credential_post.isChecked() and self._from_credential_server(),
        )

    def _form_keys(self) -> Credentials | None:
        secret_id, secret_key = self.secret_id.text().strip(), self.secret_key.text().strip()
        if not secret_id and not secret_key:
            return None
        return Credentials(secret_id, secret_key, self.session_token.text().strip() or None)

    def _commit_form(self) -> bool:
        """Copy the form into the working profiles; False (after saying why) if invalid."""
        old_name = self._current
        if old_name is None:
            return True
        problem = self._name_problem(self.name.text().strip())
        if problem:
            message_box(self, QMessageBox.Icon.Warning, problem).exec()
            self.name.setFocus()
            return False
        profile = self._form_profile()
        keys = None if self._from_credential_server() else self._form_keys()
        headers = self.credential_headers.text() if self._from_credential_server() else ""
        if self._from_credential_server() and not profile.credential_url:
            message_box(self, QMessageBox.Icon.Warning, self.tr("Enter the credential URL.")).exec()
            return False
        try:
            request_headers(headers)
        except ValueError:
            message_box(
                self, QMessageBox.Icon.Warning, self.tr("Write each extra header as Name: value.")
            ).exec()
            return False
        if keys is not None and (not keys.secret_id or not keys.secret_key):
            message_box(
                self, QMessageBox.Icon.Warning, self.tr("Enter both the SecretId and the SecretKey.")
            ).exec()
            return False
        if profile.name != old_name:
            self._profiles.pop(old_name, None)
            self._typed_keys.pop(old_name, None)
            self._typed_headers.pop(old_name, None)
            if old_name in self._new_names:
                self._new_names.discard(old_name)
                self._new_names.add(profile.name)
            else:  # a saved account: its keys follow it when saved
                self._saved_name[profile.name] = self._saved_name.pop(old_name, old_name)
            if self._active == old_name:
                self._active = profile.name
            for row in range(self.profile_list.count()):
                item = self.profile_list.item(row)
                if item.data(Qt.ItemDataRole.UserRole) == old_name:
                    item.setData(Qt.ItemDataRole.UserRole, profile.name)
                    item.setText(profile.name)
            self._current = profile.name
        self._profiles[profile.name] = profile
        if keys is not None:
            self._typed_keys[profile.name] = keys
        if headers:
            self._typed_headers[profile.name] = headers
        return True

    # --- testing --------------------------------------------------------------------

    @Slot()
    def test_connection(self) -> None:
        if not self._commit_form() or self._current is None:
            return
        profile = self._profiles[self._current]
        if not profile.bucket:
            self.test_result.setText(self.tr("Enter the bucket first."))
            return
        self.test_button.setEnabled(False)
        self.test_result.setText(self.tr("Connecting…"))
        keys, secrets = self._typed_keys.get(profile.name), self._secrets
        headers = self._typed_headers.get(profile.name)
        run_in_background(
            self._pool,
            self,
            lambda: check_connection(profile, keys, secrets, headers),
            self._on_test_finished,
        )

    @Slot(object)
    def _on_test_finished(self, result: object) -> None:
        self.test_button.setEnabled(self._current is not None)
        if isinstance(result, Exception):  # a bug, not an answer: say it anyway
            result = (False, str(result))
        ok, message = cast(tuple[bool, str], result)
        self.test_result.setText(("✔ " if ok else "✖ ") + message)

    # --- saving ---------------------------------------------------------------------

    def accept(self) -> None:
        """Save: the keyring and config.json are written on the pool; the dialog
        closes when both are done (:meth:`_on_saved`)."""
        if self.is_saving() or not self._commit_form():
            return
        keys = [
            (name, keys)
            for name, keys in self._typed_keys.items()
            if name in self._profiles and not self._profiles[name].uses_credential_server
        ]
        self._save(keys)

    def is_saving(self) -> bool:
        return self._saving_keys is not None

    def account_to_show(self, current: str | None) -> str | None:
        """The destination the window shows after Save: an account just added, else
        ``current`` (a profile name, "" for the local sandbox) under its new name.
        Saving never moves the window away from what it showed for any other reason."""
        if self.saved_settings is not None and self.added_accounts:
            active = self.saved_settings.active_profile
            return active if active in self.added_accounts else sorted(self.added_accounts)[0]
        if current is not None:
            return self.renamed_accounts.get(current, current)
        return None

    def _save(self, keys: list[tuple[str, Credentials]]) -> None:
        active = self._current or self._active
        if active not in self._profiles:
            active = next(iter(sorted(self._profiles)), "")
        language = str(self.language.currentData() or "")
        settings = Settings(
            profiles=dict(self._profiles),
            active_profile=active,
            language=language,
            transfers=self._form_transfers(),
            if_exists=str(self.if_exists.currentData() or "ask"),
        )
        plan = SavePlan(
            tuple(keys),
            tuple(name for name in self._removed if name not in self._profiles),
            settings,
            renamed=tuple((saved, name) for name, saved in self._saved_name.items() if saved != name),
            headers=tuple(
                (name, text)
                for name, text in self._typed_headers.items()
                if name in self._profiles and self._profiles[name].uses_credential_server
            ),
        )
        self._saving_keys = keys
        self._show_busy(True)
        secrets = self._secrets
        run_in_background(self._pool, self, lambda: (plan, save(plan, secrets)), self._on_saved)

    def _show_busy(self, busy: bool) -> None:
        save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        save_button.setText(self.tr("Saving…") if busy else self._save_text)
        for widget in (self.buttons, self.profile_list, self.add_button, self.remove_button, self.form_panel):
            widget.setEnabled(not busy)
        self.language.setEnabled(not busy)
        self.test_button.setEnabled(not busy and self._current is not None)
        if busy:
            self.setCursor(Qt.CursorShape.BusyCursor)
        else:
            self.unsetCursor()
            self._saving_keys = None

    @Slot(object)
    def _on_saved(self, result: object) -> None:
        keys = self._saving_keys or []
        self._show_busy(False)
        if isinstance(result, Exception):  # a bug, not a refusal: say it, keep the dialog
            outcome = SaveOutcome(SaveStep.FILE_NOT_WRITTEN, message=str(result))
            plan = None
        else:
            plan, outcome = cast(tuple[SavePlan, SaveOutcome], result)
        if outcome.step is SaveStep.SAVED and plan is not None:
            self.saved_settings = plan.settings
            self.added_accounts = frozenset(self._new_names & set(plan.settings.profiles))
            self.renamed_accounts = dict(plan.renamed)
            super().accept()
        elif outcome.step is SaveStep.KEYS_NOT_MOVED:
            message_box(
                self,
                QMessageBox.Icon.Critical,
                self.tr("Account not renamed"),
                self.tr("The keys of “%1” cannot be moved to its new name “%2”: %3")
                .replace("%1", outcome.profile)
                .replace("%2", outcome.new_name)
                .replace("%3", outcome.message),
            ).exec()
        elif outcome.step is SaveStep.HEADERS_NOT_STORED:
            message_box(
                self,
                QMessageBox.Icon.Critical,
                self.tr("Settings not saved"),
                self.tr("The extra header of “%1” cannot be saved in the system keyring: %2")
                .replace("%1", outcome.profile)
                .replace("%2", outcome.message),
            ).exec()
        elif outcome.step is SaveStep.FILE_NOT_WRITTEN:
            message_box(
                self,
                QMessageBox.Icon.Critical,
                self.tr("Settings not saved"),
                self.tr("Cannot write the settings file: %1").replace("%1", outcome.message),
            ).exec()
        else:
            self._ask_about_keyring(keys[outcome.stored :], outcome.message)

    def _ask_about_keyring(self, keys: list[tuple[str, Credentials]], reason: str) -> None:
        """The keyring refused ``keys[0]``: try again, keep it for this session only,
        or stay in the dialog — never a plaintext file."""
        name, first_keys = keys[0]
        box = message_box(
            self,
            QMessageBox.Icon.Warning,
            self.tr("The keys of “%1” cannot be saved in the system keyring.").replace("%1", name),
            buttons=QMessageBox.StandardButton.NoButton,
        )
        box.setInformativeText(
            reason
            + "\n\n"
            + self.tr(
                "cosdesk never writes keys to a file. Unlock or install a keyring and try again, "
                "or use the keys for this session only (you will be asked again next time)."
            )
        )
        retry = box.addButton(self.tr("Try again"), QMessageBox.ButtonRole.AcceptRole)
        session = box.addButton(self.tr("Use for this session only"), QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(retry)
        box.exec()
        clicked = box.clickedButton()
        if clicked is retry:
            self._save(keys)
        elif clicked is session:
            self._secrets.put(name, first_keys)
            self._show_key_placeholders()
            self._save(keys[1:])

    def reject(self) -> None:
        if not self.is_saving():  # the keyring may be writing: Cancel waits for it
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.is_saving():
            event.ignore()
            return
        super().closeEvent(event)
