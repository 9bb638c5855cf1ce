"""Journeys: the window says how each finished upload was verified, and never
calls an upload verified when the server gave nothing to check it by."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QTableView
from support.http_proxy import Exchange, Headers, HttpProxy, strip_headers
from support.journey import find, wait_until
from support.window_driver import WindowDriver, make_file, save_profile

from cosdesk.cos.auth import Credentials


def _formatting(text: str) -> str:
    return QCoreApplication.translate("formatting", text)


def _claim_encryption(exchange: Exchange, headers: Headers) -> Headers:
    """A server that encrypts what it stores and sends no CRC-64: its ETags are not
    MD5s of the content, so nothing proves the bytes arrived whole."""
    return [
        *strip_headers("x-cos-hash-crc64ecma")(exchange, headers),
        (b"x-cos-server-side-encryption", b"cos/kms"),
    ]


@pytest.fixture
def proxy(sandbox: Any) -> Iterator[HttpProxy]:
    with HttpProxy(sandbox.port) as running:
        yield running


def _state_shown(table: QTableView, name: str) -> str:
    model = table.model()
    headers = [model.headerData(column, Qt.Orientation.Horizontal) for column in range(model.columnCount())]
    state_column = headers.index(QCoreApplication.translate("TaskTableModel", "State"))
    for row in range(model.rowCount()):
        if model.index(row, 0).data() == name:
            return str(model.index(row, state_column).data())
    return ""


def _open_details(table: QTableView, name: str) -> None:
    """Click the row, then Enter (what opens the details)."""
    model = table.model()
    for row in range(model.rowCount()):
        if model.index(row, 0).data() == name:
            rect = table.visualRect(model.index(row, 0))
            QTest.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
            table.setFocus()
            QTest.keyClick(table, Qt.Key.Key_Return)
            return
    raise AssertionError(f"no row {name!r}")


def test_an_upload_the_server_gave_nothing_to_check_by_reads_done_not_verified(
    sandbox: Any, credentials: Credentials, open_window: Any, proxy: HttpProxy, tmp_path: Path
) -> None:
    proxy.edit_response = _claim_encryption
    save_profile(sandbox, credentials, endpoint=proxy.endpoint)
    driver: WindowDriver = open_window()
    source = make_file(tmp_path / "drop" / "ledger.csv", 3000)
    driver.drop([source])
    table = find(QTableView, "Uploads")

    wait_until(
        lambda: _state_shown(table, "ledger.csv") == _formatting("Done (not verified)"), 20, "not verified"
    )
    _open_details(table, "ledger.csv")
    details = find(QLabel, _formatting("Not verified: the server sent no checksum")).window()
    details.close()


def test_an_upload_checked_by_crc64_reads_done_and_its_details_say_how(
    account_window: WindowDriver, tmp_path: Path
) -> None:
    source = make_file(tmp_path / "drop" / "photo.jpg", 5000)
    account_window.drop([source])
    table = find(QTableView, "Uploads")

    wait_until(lambda: _state_shown(table, "photo.jpg") == _formatting("Done"), 20, "Done")
    _open_details(table, "photo.jpg")
    details = find(QLabel, _formatting("CRC-64 of the whole object matches the file")).window()
    details.close()
