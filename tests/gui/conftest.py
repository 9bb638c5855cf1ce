"""Fixtures for the window tests: a real MainWindow with a real engine and SQLite
database, uploading to the local server from tests/conftest.py's ``sandbox``."""

from __future__ import annotations

from support.window_driver import (
    PROFILE,
    TEST_BUCKET,
    TEST_REGION,
    MiB,
    WindowDriver,
    account_window,
    click_save,
    make_file,
    open_window,
    save_profile,
    slow_down,
    tiny_live_limit,
    wait_for,
    when_a_message_box_opens,
)

__all__ = [
    "PROFILE",
    "TEST_BUCKET",
    "TEST_REGION",
    "MiB",
    "WindowDriver",
    "account_window",
    "click_save",
    "make_file",
    "open_window",
    "save_profile",
    "slow_down",
    "tiny_live_limit",
    "wait_for",
    "when_a_message_box_opens",
]
