"""The engine's English texts in the person's language (see
``engine/message_templates.py``): a task's note, a walk's problem, a sync's."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from cosdesk.engine.message_templates import MessageTemplate
from cosdesk.engine.notes import TaskNote
from cosdesk.engine.scan import ScanProblem
from cosdesk.engine.sync_plan import SyncProblem


def translated(text: str, templates: type[MessageTemplate]) -> str:
    """``text`` translated by the template of ``templates`` that made it, the
    fields put back in; a text none made (an older version's) as it is."""
    if not text:  # most rows have no note: not a pass over every template per cell
        return text
    parsed = templates.parse(text)
    if parsed is None:
        return text
    template, fields = parsed
    shown = QCoreApplication.translate(templates.context(), template.value)
    for name, value in fields.items():
        shown = shown.replace("{" + name + "}", value)
    return shown


def shown_note(note: str) -> str:
    return translated(note, TaskNote)


def shown_scan_problem(problem: str) -> str:
    return translated(problem, ScanProblem)


def shown_sync_problem(problem: str) -> str:
    """A sync plan's problem: its walk's (the same as a drop's), or its own."""
    shown = shown_scan_problem(problem)
    return shown if shown != problem else translated(problem, SyncProblem)
