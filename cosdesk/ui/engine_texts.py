"""The engine's English texts in the person's language (see
``engine/message_templates.py``): a task's note, a walk's problem, a sync's,
a refused pattern."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, QObject

from cosdesk.engine.message_templates import MessageTemplate
from cosdesk.engine.notes import TaskNote
from cosdesk.engine.scan import ScanProblem
from cosdesk.engine.sync_patterns import PatternProblem
from cosdesk.engine.sync_plan import SyncProblem


def translated(text: str, *kinds: type[MessageTemplate]) -> str:
    """``text`` translated by the template that made it, of the first of ``kinds``
    that has one, the fields put back in; a text none made (an older version's)
    as it is."""
    if not text:  # most rows have no note: not a pass over every template per cell
        return text
    for templates in kinds:
        parsed = templates.parse(text)
        if parsed is not None:
            template, fields = parsed
            shown = QCoreApplication.translate(templates.context(), template.value)
            for name, value in fields.items():
                shown = shown.replace("{" + name + "}", value)
            return shown
    return text


def shown_note(note: str) -> str:
    return translated(note, TaskNote)


def shown_scan_problem(problem: str) -> str:
    return translated(problem, ScanProblem)


def shown_pattern_problem(problem: str) -> str:
    """Why a sync's or watch's pattern was refused (pathspec's own reasons stay English)."""
    return translated(problem, PatternProblem)


def shown_sync_problem(problem: str) -> str:
    """A sync plan's problem: its walk's (the same as a drop's), or its own."""
    return translated(problem, ScanProblem, SyncProblem)


class WalkFindings(QObject):
    """The sentences telling of what a walk found, given as (path, reason) pairs.
    A class for its translation context: lupdate takes a plural only from ``tr``."""

    def first(self, found: Sequence[tuple[str, str]]) -> str:
        path, reason = found[0]
        # The path goes in last: a "%2" in it stays as it is.
        return self.tr("%1: %2").replace("%2", shown_sync_problem(reason)).replace("%1", path)

    def links_left_alone(self, links: Sequence[tuple[str, str]]) -> str:
        sentence = self.tr("%n link(s) to folders left alone (first: %1).", None, len(links))
        return sentence.replace("%1", self.first(links))


def first_found(found: Sequence[tuple[str, str]]) -> str:
    """``path: reason`` of the first of a walk's (path, reason) pairs, the reason
    translated (a drop's walk's, or a sync's own)."""
    return WalkFindings().first(found)


def links_left_alone(links: Sequence[tuple[str, str]]) -> str:
    """How many links to folders a walk left alone, given as (path, reason) pairs,
    and the first one's path and why (a loop, or a folder that holds what was
    walked): a sync's preview and a drop's summary say it alike."""
    return WalkFindings().links_left_alone(links)
