"""What the command line prints about names it did not choose, how it groups the
stored tasks into batches, and the state names it shares with the window."""

from __future__ import annotations

import pytest
from support.task_rows import make_row

from cosdesk.cli_output import format_elapsed, printable
from cosdesk.engine.options import UploadOptions
from cosdesk.engine.state_names import STATE_NAMES, state_from_name
from cosdesk.engine.task import TaskState
from cosdesk.engine.task_columns import StoredTask
from cosdesk.task_batches import BATCH_GAP_S, earlier_batches


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("report.pdf", "report.pdf"),
        ("照片 2024/海边.jpg", "照片 2024/海边.jpg"),
        ("new\nline.txt", "new\\nline.txt"),
        ("carriage\rreturn", "carriage\\rreturn"),
        ("esc\x1b[2Jclear", "esc\\x1b[2Jclear"),
        ("bell\x07 del\x7f csi\x9b", "bell\\x07 del\\x7f csi\\x9b"),
        ("\u202egpj.exe", "\\u202egpj.exe"),
        ("line\u2028sep", "line\\u2028sep"),
        ("caf\udce9.txt", "caf\\xe9.txt"),  # the byte of a name that is not UTF-8
        ("back\\slash", "back\\\\slash"),
        ("👩\u200d💻.png", "👩\u200d💻.png"),  # a joiner inside an emoji is not a control
    ],
)
def test_printable_escapes_what_would_act_on_the_terminal_and_nothing_else(name: str, shown: str) -> None:
    assert printable(name) == shown
    assert "\n" not in printable(name) and "\x1b" not in printable(name)


def test_escaped_names_never_collide() -> None:
    names = ["a\nb", "a\\nb", "a\\\nb", "a\x1bb", "a\\x1bb"]
    assert len({printable(name) for name in names}) == len(names)


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0.0, "0.0 s"),
        (0.04, "under 0.1 s"),
        (0.05, "0.1 s"),
        (3.14, "3.1 s"),
        (59.94, "59.9 s"),
        (123, "2:03"),
        (3723, "1:02:03"),
    ],
)
def test_elapsed_time_reads_in_tenths_under_a_minute(seconds: float, shown: str) -> None:
    assert format_elapsed(seconds) == shown


def stored(task_id: str, position: int, created_at: float, **changes: object) -> StoredTask:
    return make_row(task_id, position, created_at=created_at, **changes)


def test_tasks_stored_before_batches_were_recorded_are_grouped_as_their_batches_were() -> None:
    tasks = [
        stored("b1", 1, 100.2),
        stored("a0", 0, 100.0),
        stored("b0", 0, 101.0),
        stored("b1x", 1, 101.1),
        # The same destination much later; then one with other options at once.
        stored("c0", 5, 101.1 + BATCH_GAP_S + 1),
        stored("d0", 6, 101.1 + BATCH_GAP_S + 1.5, options=UploadOptions(retries=9)),
    ]
    assert [[item.spec.task_id for item in batch] for batch in earlier_batches(tasks)] == [
        ["a0", "b1"],
        ["b0", "b1x"],
        ["c0"],
        ["d0"],
    ]


def test_every_state_has_one_name_that_reads_back_in_any_case() -> None:
    assert set(STATE_NAMES) == set(TaskState)
    for state, name in STATE_NAMES.items():
        assert state_from_name(name.upper()) is state
        assert state_from_name(state.value) is state  # as stored: success, error
    with pytest.raises(ValueError, match="'finished' is not a task state"):
        state_from_name("finished")


def test_the_window_marks_every_state_name_for_its_translators() -> None:
    from cosdesk.ui.formatting import TRANSLATED_STATE_NAMES, state_label

    assert sorted(TRANSLATED_STATE_NAMES) == sorted(STATE_NAMES.values())
    assert state_label(TaskState.SUCCESS) == "Done"  # no translator installed: English
