"""What the window says about the batch and the selection: the status bar's
figures, the notice when uploads stop, the question before a cancel, and which
row commands apply."""

from __future__ import annotations

from dataclasses import replace

from support.task_rows import make_task

from cosdesk.engine.options import UploadMethodChoice
from cosdesk.engine.task import BatchProgress, FailedFile, TaskError, TaskSnapshot, TaskState
from cosdesk.ui.batch_status import batch_texts, stop_notice
from cosdesk.ui.formatting import describe_error
from cosdesk.ui.task_actions import CANCEL_CONFIRM_THRESHOLD, cancel_question, selection_rule

MiB = 1024 * 1024


def batch(**figures: object) -> BatchProgress:
    fields: dict[str, object] = {
        "loaded": 0,
        "total": 0,
        "speed": 0.0,
        "percent": 0.0,
        "eta_s": None,
        "waiting": 0,
        "running": 0,
        "succeeded": 0,
        "failed": 0,
        "paused": 0,
    }
    fields.update(figures)
    return BatchProgress(**fields)  # type: ignore[arg-type]


def snapshot(key: str, state: TaskState, loaded: int = 0, size: int = 10 * MiB) -> TaskSnapshot:
    task = make_task(key, key=key, source_path=f"/tmp/{key}", size=size, state=state)
    task.loaded = loaded
    return task.snapshot()


def test_the_status_bar_shows_the_batchs_files_bytes_and_time_left_while_it_runs() -> None:
    figures = batch(loaded=4 * MiB, total=16 * MiB, speed=2 * MiB, percent=0.25, eta_s=75)
    texts = batch_texts(replace(figures, running=1, succeeded=1, paused=1))
    assert (texts.files, texts.bytes, texts.speed, texts.time_left) == (
        "1 / 3 files",
        "4.0 MiB / 16.0 MiB",
        "2.0 MiB/s",
        "1:15 left",
    )
    assert texts.bar_value == 250
    assert "not counted in the time left" in texts.bar_tip
    assert "1 uploaded, 1 uploading, 1 paused" in texts.files_tip


def test_no_speed_or_time_left_is_claimed_when_nothing_runs_or_it_is_not_known_yet() -> None:
    paused = batch_texts(batch(loaded=MiB, total=2 * MiB, percent=0.5, paused=1))
    assert paused.speed == "" and paused.time_left == ""
    measuring = batch_texts(batch(loaded=MiB, total=2 * MiB, speed=MiB, percent=0.5, running=1))
    assert measuring.speed == "1.0 MiB/s" and measuring.time_left == ""


def test_a_paused_batch_says_paused_in_the_status_bar_without_a_desktop_notification() -> None:
    notice = stop_notice(batch(succeeded=2, paused=1))
    assert notice is not None and not notice.notify
    assert (notice.title, notice.message) == ("Uploads paused", "2 file(s) uploaded; 1 file(s) paused.")


def test_the_end_of_a_batch_counts_all_its_files_and_its_failures() -> None:
    finished = stop_notice(batch(succeeded=3))
    assert finished is not None and finished.notify and not finished.failed
    assert (finished.title, finished.message) == ("Uploads finished", "3 file(s) uploaded.")
    failed = stop_notice(batch(succeeded=2, failed=1))
    assert failed is not None and failed.failed
    # Failures restored from an earlier run: no reason known, only the count.
    assert failed.message == "1 failed, 2 uploaded. Open the Failed tab for details."
    assert stop_notice(batch(canceled=4)) is None


def test_the_end_of_a_batch_with_failures_says_which_file_failed_and_why() -> None:
    refused = TaskError("AccessDenied", "Access Denied.", status_code=403)
    first = FailedFile("photos/2026/beach.jpg", refused)
    why = describe_error(refused, short=True)
    one = stop_notice(batch(succeeded=2, failed=1, first_failure=first))
    assert one is not None
    assert one.message == f"1 failed, 2 uploaded. beach.jpg: {why} Open the Failed tab for details."
    several = stop_notice(batch(failed=3, first_failure=first))
    assert several is not None
    assert several.message == (
        f"3 failed, 0 uploaded. The first, beach.jpg: {why} Open the Failed tab for details."
    )


def test_the_end_of_a_batch_says_how_many_failures_will_be_retried_automatically() -> None:
    # The window starts network failures again when due: "finished with errors"
    # alone read as if they were over.
    lost = TaskError("NetworkError", "could not connect to 127.0.0.1:1: connection refused", transient=True)
    first = FailedFile("d46/photos/IMG_3.jpg", lost)
    why = describe_error(lost, short=True)
    every = stop_notice(batch(failed=2, first_failure=first, failed_transient=2))
    assert every is not None
    assert every.message == (
        f"2 failed, 0 uploaded. They will be retried automatically. The first, IMG_3.jpg: {why} "
        "Open the Failed tab for details."
    )
    one = stop_notice(batch(failed=1, first_failure=first, failed_transient=1))
    assert one is not None and one.message.startswith(
        "1 failed, 0 uploaded. It will be retried automatically."
    )
    some = stop_notice(batch(failed=3, first_failure=first, failed_transient=1))
    assert some is not None and some.message.startswith("3 failed, 0 uploaded. 1 of them will be retried")


def test_cancelling_an_upload_that_sent_nothing_is_not_asked_about() -> None:
    assert cancel_question(1, []) is None
    # Unless the question is on screen already: its words stay true.
    asked = cancel_question(1, [], asked_already=True)
    assert asked is not None and asked.text == "Cancel 1 upload(s)?"


def test_cancelling_a_half_sent_upload_names_it_and_what_was_sent() -> None:
    question = cancel_question(1, [snapshot("film.bin", TaskState.UPLOADING, loaded=7 * MiB)])
    assert question is not None
    assert question.text == "Cancel the upload of film.bin?"
    assert question.detail.startswith("7.0 MiB of 10.0 MiB has been sent.")
    assert (question.confirm, question.keep) == ("Cancel 1 upload(s)", "Keep uploading")


def test_cancelling_many_uploads_is_asked_about_and_sums_what_was_sent() -> None:
    question = cancel_question(CANCEL_CONFIRM_THRESHOLD + 1, [])
    assert question is not None and "nothing sent is lost" in question.detail
    question = cancel_question(
        CANCEL_CONFIRM_THRESHOLD + 2, [snapshot("x.bin", TaskState.PAUSED, loaded=3 * MiB)]
    )
    assert question is not None
    assert question.text == f"Cancel {CANCEL_CONFIRM_THRESHOLD + 2} upload(s)?"
    assert question.detail.startswith("Already sent: 3.0 MiB, by 1 of these uploads.")


def test_one_rule_greys_out_row_commands_for_done_and_canceled_rows() -> None:
    done, canceled = snapshot("d", TaskState.SUCCESS), snapshot("c", TaskState.CANCELED)
    rule = selection_rule([done, canceled])
    assert not rule.cancel and not rule.pause and rule.remove and rule.upload_again and rule.delete_removes
    mixed = selection_rule([done, snapshot("u", TaskState.UPLOADING)])
    assert mixed.cancel and mixed.pause and not mixed.delete_removes
    assert not selection_rule([]).selected


def appending(key: str, loaded: int) -> TaskSnapshot:
    task = make_task(key, key=key, source_path=f"/tmp/{key}", size=10 * MiB, state=TaskState.PAUSED)
    task.spec = replace(task.spec, options=task.options.with_changes(method=UploadMethodChoice.APPEND))
    task.loaded = loaded
    return task.snapshot()


def test_cancelling_an_append_says_that_what_it_appended_stays() -> None:
    question = cancel_question(1, [appending("app.log", 2 * MiB)])
    assert question is not None
    assert question.detail == (
        "2.0 MiB of 10.0 MiB has been sent. What was appended stays in the object if you cancel; "
        "uploading again goes on after it."
    )
    question = cancel_question(3, [appending("a.log", MiB), appending("b.log", MiB)])
    assert question is not None and "What they appended stays in the objects" in question.detail
    mixed = cancel_question(3, [appending("a.log", MiB), snapshot("x.bin", TaskState.PAUSED, loaded=MiB)])
    assert mixed is not None
    assert "Cancelling throws that away (objects already there under their names stay" in mixed.detail
    assert mixed.detail.endswith(
        "Except what 1 append(s) added: that stays, and uploading again goes on after it."
    )
