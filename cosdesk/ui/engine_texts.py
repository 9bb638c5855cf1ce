"""The engine's English texts in the person's language (see
``engine/message_templates.py``): a task's note, a walk's problem, a sync's."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from cosdesk.engine.message_templates import MessageTemplate
from cosdesk.engine.notes import TaskNote
from cosdesk.engine.scan import ScanProblem
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


def shown_sync_problem(problem: str) -> str:
    """A sync plan's problem: its walk's (the same as a drop's), or its own."""
    return translated(problem, ScanProblem, SyncProblem)
