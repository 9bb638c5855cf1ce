"""The order people see names in: as file managers list them, so that
``photo2.jpg`` comes before ``photo10.jpg``. A dropped folder is walked, queued
and uploaded in it, and the task table's Name column sorts by it."""

from __future__ import annotations

import re

_DIGIT_RUNS = re.compile(r"(\d+)")


def natural_order(name: str) -> tuple[str | int, ...]:
    """A key that sorts names as file managers do: case aside, and each run of
    digits by its number. Texts and numbers alternate from a text (maybe empty),
    so two keys always compare. Names that differ only in case or in leading
    zeros get equal keys (see :func:`listing_order`)."""
    parts: list[str | int] = list(_DIGIT_RUNS.split(name.casefold()))
    parts[1::2] = [int(run) for run in parts[1::2]]
    return tuple(parts)


def listing_order(name: str) -> tuple[tuple[str | int, ...], str]:
    """:func:`natural_order`, then the name itself: one order for any names, the
    same on every walk (``File.txt`` and ``file.txt`` may share a folder)."""
    return natural_order(name), name
