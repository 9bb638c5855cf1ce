"""Journey: an organisation hands out temporary keys from its credential server.
The person adds such an account in Settings, tests the connection, and uploads;
the local server plays the credential server (``cosdesk serve --sts``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QComboBox, QDialog, QLabel, QLineEdit, QPushButton
from support.journey import click, current_dialog, find, menu_action, type_into, wait_until
from support.window_driver import TEST_BUCKET, make_file

from cosdesk import config
from cosdesk.config import Profile, Settings
from cosdesk.cos.client import CosClient
from cosdesk.cos.credential_provider import CredentialProvider, CredentialRequest, request_headers
from cosdesk.cos.endpoint import Endpoint
from cosdesk.sandbox.server import SandboxServer

BEARER = "Authorization: Bearer journey-bearer-token"
TEAM = "X-Team: uploads"


@pytest.fixture
def credential_sandbox(tmp_path: Path) -> Iterator[SandboxServer]:
    # It gives keys only to those who send the bearer token, as an organisation's would.
    name, _, value = BEARER.partition(": ")
    server = SandboxServer(
        root=tmp_path / "cos-root",
        buckets=[TEST_BUCKET],
        credentials={},
        sts_duration_s=1800,
        sts_required_header=(name, value),
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_add_a_credential_server_account_test_it_and_upload(
    open_window: Any, credential_sandbox: SandboxServer, tmp_path: Path
) -> None:
    url = credential_sandbox.credential_url
    assert url is not None
    driver = open_window(start_sandbox=False)
    window = driver.window
    menu_action(window, "Edit", "Settings").trigger()
    dialog = current_dialog()
    click("Add account", dialog)
    type_into("Name", "org", dialog)
    kind = find(QComboBox, "Keys from", dialog)
    kind.setFocus()
    QTest.keyClick(kind, Qt.Key.Key_Down)
    assert kind.currentText() == "Credential server (temporary keys)"
    type_into("Credential URL", url, dialog)
    type_into("Extra header", BEARER, dialog)
    # A second field is ready below the first, for a second header: Tab goes there.
    QTest.keyClick(find(QLineEdit, "Extra header", dialog), Qt.Key.Key_Tab)
    assert dialog.focusWidget() is find(QLineEdit, "Extra header 2", dialog)
    type_into("Extra header 2", TEAM, dialog)
    assert find(QLineEdit, "Extra header 3", dialog).text() == ""
    type_into("Bucket", TEST_BUCKET, dialog)
    type_into("Custom endpoint", credential_sandbox.endpoint, dialog)

    click("Test connection", dialog)
    connected = (
        f"✔ Connected: the credential server gave temporary keys and bucket {TEST_BUCKET} is reachable."
    )
    wait_until(
        lambda: any(label.text() == connected for label in dialog.findChildren(QLabel)),
        15,
        "the connection test to pass",
    )
    click("Save", dialog)
    wait_until(lambda: not dialog.isVisible(), 10, "the Settings dialog to close")

    make_file(tmp_path / "minutes.txt", 2_000)
    driver.drop([tmp_path / "minutes.txt"])
    wait_until(
        lambda: any(s.key == "minutes.txt" and s.state.value == "success" for s in driver.snapshots()),
        30,
        "minutes.txt to be uploaded",
    )

    # On the server, under keys the credential server issued to the window.
    provider = CredentialProvider(CredentialRequest(url, headers=request_headers(BEARER)))
    with CosClient(provider, Endpoint.custom(credential_sandbox.endpoint, path_style=True)) as client:
        assert client.head_object(TEST_BUCKET, "minutes.txt").content_length == 2_000
    # The URL is in the settings file; the bearer token only in the keyring.
    stored = json.loads((config.config_dir() / "config.json").read_text(encoding="utf-8"))
    (profile,) = stored["profiles"]
    assert profile["credential_url"] == url
    assert "journey-bearer-token" not in json.dumps(stored)
    assert config.load_credential_headers("org") == f"{BEARER}\n{TEAM}"


def test_forget_a_credential_servers_stored_headers(
    open_window: Any, credential_sandbox: SandboxServer
) -> None:
    url = credential_sandbox.credential_url
    assert url is not None
    org = Profile(name="org", bucket=TEST_BUCKET, endpoint=credential_sandbox.endpoint, credential_url=url)
    config.save_settings(Settings(profiles={"org": org}, active_profile="org"))
    config.store_credential_headers("org", BEARER)
    window = open_window(start_sandbox=False).window

    menu_action(window, "Edit", "Settings").trigger()
    dialog = current_dialog()
    # Nothing secret is shown: the field says what an empty one means.
    first = find(QLineEdit, "Extra header", dialog)
    assert first.text() == ""
    assert first.placeholderText() == "leave empty to keep the stored headers, if any"
    click("Forget the stored headers", dialog)
    assert first.placeholderText() == "none: the stored headers are forgotten on Save"
    assert not find_button(dialog, "Forget the stored headers").isVisible()
    assert config.load_credential_headers("org") == BEARER  # nothing happens before Save
    click("Save", dialog)
    wait_until(lambda: not dialog.isVisible(), 10, "the Settings dialog to close")

    assert config.load_credential_headers("org") == ""


def find_button(dialog: QDialog, text: str) -> QPushButton:
    (button,) = [button for button in dialog.findChildren(QPushButton) if button.text() == text]
    return button
