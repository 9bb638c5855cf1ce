"""Taking a task back from another process: what a queue keeps of the task as the
database holds it, once it has the task's lease and learns that another process
worked the task since (see engine/ownership.py).

The other process may have finished the task (its success is adopted: nothing
is sent again, and its history entry stands), canceled it, or moved it on (its
upload ID and parts are used, not the ones this queue read before).
"""

from __future__ import annotations

import socket
import time

from cosdesk.engine.notes import TaskNote
from cosdesk.engine.ownership import LeaseHolder
from cosdesk.engine.task import FileResult, TaskState, UploadTask
from cosdesk.engine.task_columns import StoredTask

# How long a task held by another live process waits before asking again.
LEASE_RETRY_S = 2.0

ENDED_ELSEWHERE_NOTE = {
    TaskState.SUCCESS: TaskNote.UPLOADED_ELSEWHERE,
    TaskState.CANCELED: TaskNote.CANCELED_ELSEWHERE,
}


def held_note(holder: LeaseHolder, *, waiting: bool) -> str:
    """What a task another process is sending says here (``waiting``: for its turn)."""
    if holder.host == socket.gethostname():
        note = TaskNote.HELD_WAITING if waiting else TaskNote.HELD
    else:
        note = TaskNote.HELD_ON_HOST_WAITING if waiting else TaskNote.HELD_ON_HOST
    return note.text(pid=holder.pid, host=holder.host)


def take_checkpoint(task: UploadTask, stored: StoredTask) -> None:
    """Make ``task`` (running here, not finished where it is stored) continue from
    where the stored one is: its key, plan, upload ID, parts and append start."""
    task.checkpoint = stored.checkpoint
    task.loaded = stored.checkpoint.sent_bytes


def take_final_state(task: UploadTask, stored: StoredTask) -> FileResult | None:
    """Give ``task`` the final state another process stored (success or canceled);
    returns the result of a success."""
    state = stored.status.state
    # No run here reached the end: the time since this queue last started the task
    # (waiting for the lease, mostly) is not what a file costs it (see batch.py).
    task.run_started_at = None
    if state is TaskState.SUCCESS:
        task.succeed()
        task.result = stored.status.result
        task.loaded = task.size or 0
    elif not task.state.is_final:
        task.set_state(TaskState.CANCELED)
    ended = ENDED_ELSEWHERE_NOTE.get(state)
    task.note = ended.text() if ended is not None else ""
    task.error = None
    task.finished_at = stored.status.finished_at or time.time()
    task.checkpoint = task.checkpoint.without_upload()
    return stored.status.result if state is TaskState.SUCCESS else None
