"""Journeys: the real window (or the installed ``cosdesk`` command) driven the way a
person uses it, against the real local server and task database.

Tests here find widgets by the text a person reads or their accessible name
(``support/journey.py``), never through private attributes, and assert what the
person would see at that moment."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from support.window_driver import WindowDriver, save_profile, window_opener

from cosdesk.cos.auth import Credentials


@pytest.fixture
def open_window(qtbot: Any) -> Iterator[Callable[..., WindowDriver]]:
    yield from window_opener(qtbot)


@pytest.fixture
def account_window(sandbox: Any, credentials: Credentials, open_window: Any) -> WindowDriver:
    """A window whose active account is the local test server (path style)."""
    save_profile(sandbox, credentials)
    return open_window()
