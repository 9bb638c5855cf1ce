"""Fixtures for the window tests: a real MainWindow with a real engine and SQLite
database, uploading to the local server from tests/conftest.py's ``sandbox``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from support.window_driver import (
    PROFILE,
    TEST_BUCKET,
    TEST_REGION,
    MiB,
    WindowDriver,
    click_save,
    make_file,
    save_profile,
    slow_down,
    wait_for,
    when_a_message_box_opens,
    window_opener,
)

from cosdesk.cos.auth import Credentials

__all__ = [
    "PROFILE",
    "TEST_BUCKET",
    "TEST_REGION",
    "MiB",
    "WindowDriver",
    "click_save",
    "make_file",
    "save_profile",
    "slow_down",
    "wait_for",
    "when_a_message_box_opens",
]


@pytest.fixture
def open_window(qtbot: Any) -> Iterator[Callable[..., WindowDriver]]:
    """Opens MainWindows and shuts each down at the end (see window_opener)."""
    yield from window_opener(qtbot)


@pytest.fixture
def account_window(sandbox: Any, credentials: Credentials, open_window: Any) -> WindowDriver:
    """A window whose active account is the local test server."""
    save_profile(sandbox, credentials)
    driver = open_window()
    assert driver.window.destination() is not None
    return driver
