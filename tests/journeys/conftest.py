"""Journeys: the real window (or the installed ``cosdesk`` command) driven the way a
person uses it, against the real local server and task database.

Tests here find widgets by the text a person reads or their accessible name
(``support/journey.py``), never through private attributes, and assert what the
person would see at that moment."""

from support.window_driver import account_window, open_window, tiny_live_limit

__all__ = ["account_window", "open_window", "tiny_live_limit"]  # fixtures shared with tests/gui
