"""The engine's English texts (a task's note, a walk's or a sync's problem) are
read back by the template that made them, so the window can show them
translated (engine/message_templates.py)."""

from __future__ import annotations

import pytest

from cosdesk.engine.message_templates import MessageTemplate
from cosdesk.engine.notes import TaskNote
from cosdesk.engine.scan import ScanProblem
from cosdesk.engine.sync_plan import SyncProblem

SAMPLE_FIELDS = {
    "key": "photos/a (1).jpg",
    "old": "100",
    "new": "250",
    "pid": "4242",
    "host": "build-box",
    "delay": "2.5",
    "account": "上海 (prod)",
    "reason": "Permission denied",
    "limit": "850",
}


@pytest.mark.parametrize(
    "template",
    [*TaskNote, *ScanProblem, *SyncProblem],
    ids=lambda template: f"{template.context()}.{template.name}",
)
def test_every_text_is_read_back_as_its_template_with_its_fields(template: MessageTemplate) -> None:
    fields = {name: SAMPLE_FIELDS[name] for name in template.fields}
    assert type(template).parse(template.text(**fields)) == (template, fields)


def test_a_host_in_the_holder_is_not_taken_for_part_of_its_pid() -> None:
    text = TaskNote.HELD_ON_HOST_WAITING.text(pid=7, host="laptop")
    assert TaskNote.parse(text) == (TaskNote.HELD_ON_HOST_WAITING, {"pid": "7", "host": "laptop"})
    assert TaskNote.parse(TaskNote.HELD.text(pid=7)) == (TaskNote.HELD, {"pid": "7"})


def test_a_text_no_template_made_is_not_read_as_one() -> None:
    assert TaskNote.parse("checked by an older cosdesk") is None
    assert TaskNote.parse("") is None
    # A template's words with more after them are another text.
    assert TaskNote.parse(TaskNote.INTERRUPTED.text() + " twice") is None
