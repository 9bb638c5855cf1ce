"""Which failed tasks hold the queue while they wait for their automatic retry:
a command ends when its queue is idle, so a held task is one it waits for."""

from __future__ import annotations

from typing import Any

from cosdesk.engine.intake import NewSource, new_task
from cosdesk.engine.loop import PlainLoop
from cosdesk.engine.options import EndpointSpec, UploadOptions
from cosdesk.engine.retry_scheduler import RetryScheduler
from cosdesk.engine.task import TaskError, UploadTask
from cosdesk.engine.task_record import CREDENTIAL_SERVER_ERROR, NETWORK_ERROR

DELAYS_S = (2.0, 5.0, 15.0, 30.0, 60.0)


def failed_task(code: str, status_code: int | None = None) -> UploadTask:
    task = new_task(
        "0" * 32,
        0,
        "examplebucket-1250000000",
        "a.txt",
        EndpointSpec(region="ap-guangzhou", url="http://127.0.0.1:9"),
        UploadOptions(),
        NewSource.memory(b"a"),
    )
    task.error = TaskError(code, "it went wrong", status_code, transient=True)
    return task


def holds(scheduler: RetryScheduler, task: UploadTask, times: int, **plan: Any) -> list[bool]:
    """Whether each of ``times`` failures in a row held the queue."""
    return [scheduler.plan(task, **plan) for _ in range(times)]


def test_a_lost_network_holds_the_queue_for_its_waits_once_requests_were_answered(qapp: Any) -> None:
    scheduler = RetryScheduler(PlainLoop(), DELAYS_S, lambda: None, network_waits=3)
    task = failed_task(NETWORK_ERROR)

    assert holds(scheduler, task, 5, network_worked=True) == [True, True, True, False, False]
    assert scheduler.holding
    assert task.note == "waiting for the network; retrying in 60 s"
    scheduler.forget(task)
    assert not scheduler.holding


def test_no_answer_from_the_start_fails_as_before(qapp: Any) -> None:
    # A wrong endpoint, or a server that is down: nothing has ever answered.
    scheduler = RetryScheduler(PlainLoop(), DELAYS_S, lambda: None, network_waits=3)
    assert holds(scheduler, failed_task(NETWORK_ERROR), 2, network_worked=False) == [False, False]
    assert not scheduler.holding


def test_only_a_missing_answer_is_waited_for_not_a_server_error(qapp: Any) -> None:
    scheduler = RetryScheduler(PlainLoop(), DELAYS_S, lambda: None, network_waits=3)
    assert holds(scheduler, failed_task("ServiceUnavailable", 503), 2, network_worked=True) == [False, False]


def test_the_window_waits_for_nothing_by_default_but_the_credential_server(qapp: Any) -> None:
    scheduler = RetryScheduler(PlainLoop(), DELAYS_S, lambda: None, credential_waits=2)
    assert holds(scheduler, failed_task(NETWORK_ERROR), 1, network_worked=True) == [False]
    credential = failed_task(CREDENTIAL_SERVER_ERROR)
    assert holds(scheduler, credential, 3) == [True, True, False]
    assert credential.note == "waiting for the credential server; retrying in 15 s"
