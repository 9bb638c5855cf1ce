"""A task's note is stored in English and read back by the template that made it,
so the window can show it translated (engine/notes.py)."""

from __future__ import annotations

import pytest

from cosdesk.engine.notes import TaskNote, parse_note

SAMPLE_FIELDS = {
    "key": "photos/a (1).jpg",
    "old": "100",
    "new": "250",
    "pid": "4242",
    "host": "build-box",
    "delay": "2.5",
    "account": "上海 (prod)",
}


@pytest.mark.parametrize("note", list(TaskNote), ids=lambda note: note.name)
def test_every_note_is_read_back_as_its_template_with_its_fields(note: TaskNote) -> None:
    fields = {name: SAMPLE_FIELDS[name] for name in note.fields}
    assert parse_note(note.text(**fields)) == (note, fields)


def test_a_host_in_the_holder_is_not_taken_for_part_of_its_pid() -> None:
    text = TaskNote.HELD_ON_HOST_WAITING.text(pid=7, host="laptop")
    assert parse_note(text) == (TaskNote.HELD_ON_HOST_WAITING, {"pid": "7", "host": "laptop"})
    assert parse_note(TaskNote.HELD.text(pid=7)) == (TaskNote.HELD, {"pid": "7"})


def test_a_text_no_template_made_is_not_read_as_one() -> None:
    assert parse_note("checked by an older cosdesk") is None
    assert parse_note("") is None
    # A template's words with more after them are another text.
    assert parse_note(TaskNote.INTERRUPTED.text() + " twice") is None
