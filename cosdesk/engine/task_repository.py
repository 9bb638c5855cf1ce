"""The queue's tasks as the task database holds them: everything the queue asks
of :class:`TaskStore`, in the queue's words (add, save, read back, forget).

Writes go to the store's writer thread and never block, so the queue may call
them under its lock; reads are synchronous and the queue makes them off the
GUI thread and outside its lock. The history is written by the queue's
``TransferJournal`` (engine/history.py), in the same transactions.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

from cosdesk.engine.options import EndpointSpec
from cosdesk.engine.resting import RestingTask
from cosdesk.engine.store import RestingRow, TaskStore
from cosdesk.engine.task import PartRecord, TaskState, UploadTask
from cosdesk.engine.task_columns import StoredTask


def stored(task: UploadTask) -> StoredTask:
    """What the database keeps of a task: its three values, whole."""
    return StoredTask(task.spec, task.checkpoint, task.status)


class TaskRepository:
    """The task database seen from the queue. Knows tasks, not SQL."""

    def __init__(self, store: TaskStore) -> None:
        self._store = store

    # --- writes (queued to the store's writer) ----------------------------------------

    def add(self, tasks: Iterable[UploadTask]) -> None:
        """Store new tasks whole."""
        self._store.insert_tasks(stored(task) for task in tasks)

    def save(self, task: UploadTask, *, lazy: bool = False) -> None:
        """Store a task's checkpoint and status (see TaskStore.save_task for ``lazy``)."""
        self._store.save_task(task.task_id, task.checkpoint, task.status, lazy=lazy)

    def save_all(self, tasks: Iterable[UploadTask]) -> None:
        """:meth:`save` for many tasks, in one commit."""
        self._store.save_tasks((task.task_id, task.checkpoint, task.status) for task in tasks)

    def save_at_rest(self, tasks: Iterable[RestingTask], **fields: object) -> None:
        """Tasks at rest changed these fields: write them alone (the queue holds no
        other field of theirs)."""
        self._store.save_fields((task.task_id for task in tasks), **fields)

    def forget_upload(self, task_id: str) -> None:
        """A task at rest whose multipart upload was aborted: its ID goes."""
        self._store.save_fields([task_id], upload_id=None)

    def restore_states(self, changes: Iterable[tuple[str, TaskState, str | None]]) -> None:
        """The state (and note) a restore gave interrupted tasks, as ``(task_id,
        state, note)``; only where the row still says interrupted."""
        self._store.restore_states(changes)

    def save_part(self, task_id: str, part: PartRecord) -> None:
        self._store.save_part(task_id, part)

    def replace_parts(self, task_id: str, parts: Iterable[PartRecord]) -> None:
        """Make these the task's parts (a run found what the server holds)."""
        self._store.replace_parts(task_id, parts)

    def forget_parts(self, task_id: str) -> None:
        self._store.delete_parts(task_id)

    def forget_parts_of(self, task_ids: Iterable[str]) -> None:
        self._store.delete_parts_of(task_ids)

    def remove(self, task_ids: Iterable[str]) -> None:
        """Tasks left the list: their rows, parts and leases go."""
        self._store.delete_tasks(task_ids)

    def wait_for_new(self, most: int) -> None:
        """Wait (a minute at most) until at most ``most`` new tasks are still to be
        written: whoever adds a million files keeps pace with the database, and
        the records waiting for the writer stay a bounded heap. Not on the
        writer's thread."""
        self._store.wait_for_inserts(most)

    def wait_for_writes(self, on_progress: Callable[[int], None] | None = None) -> None:
        """Return once every write queued so far is committed, however long that
        takes (``on_progress(writes left)`` hears how it goes)."""
        self._store.flush(on_progress=on_progress)

    # --- reads (synchronous: off the GUI thread, outside the queue's lock) -------------

    def read(self, task_ids: Iterable[str]) -> list[StoredTask]:
        """These tasks as stored (those still stored), in queue order."""
        return self._store.load_some(task_ids)

    def read_after_writes(self, task_ids: Iterable[str], wait_s: float | None = None) -> list[StoredTask]:
        """:meth:`read`, once the queue's own writes are committed: tasks at rest as
        the queue last changed them. With ``wait_s``, the writes are waited for at
        most that long (behind a backlog, a million rows being stored, a reader
        would wait for all of it); then only tasks whose rows are not written yet
        wait for them."""
        wanted = list(task_ids)
        committed = self._store.flush(timeout_s=wait_s)
        found = self._store.load_some(wanted)
        if not committed and len(found) < len(wanted):
            self._store.flush()
            have = {item.spec.task_id for item in found}
            found += self._store.load_some(task_id for task_id in wanted if task_id not in have)
        return found

    def unfinished_by_endpoint(self) -> dict[EndpointSpec, int]:
        """How many unfinished tasks each endpoint has, once the queue's writes are in."""
        self._store.flush()
        counts = self._store.unfinished_by_endpoint()
        return {EndpointSpec.from_json(text): count for text, count in counts.items()}

    def unfinished_ids_at(
        self, accept: Callable[[EndpointSpec], bool], states: Collection[TaskState]
    ) -> list[str]:
        """The ids of unfinished tasks in one of ``states`` whose endpoint ``accept``
        takes, once the queue's writes are in."""
        self._store.flush()
        stored_counts = self._store.unfinished_by_endpoint()
        texts = [text for text in stored_counts if accept(EndpointSpec.from_json(text))]
        return self._store.task_ids_at(texts, states)

    def ids_with_keys(self, keys: Collection[str]) -> list[str]:
        """The ids of tasks whose key is one of ``keys`` or may be a numbered form
        of one (see TaskStore.task_ids_with_keys), once the queue's writes are in."""
        self._store.flush()
        return list(self._store.task_ids_with_keys(keys))

    def read_all(self) -> list[StoredTask]:
        """Every stored task, whole, in queue order."""
        return self._store.load_tasks()

    def read_at_rest(self, task_ids: Collection[str] | None = None) -> tuple[Iterable[RestingRow], int]:
        """What the queue keeps of each stored task at rest (of ``task_ids`` only,
        when given), streamed in storage order, and how many there are."""
        if task_ids is not None:
            rows = [row for row in self._store.resting_rows() if row[0] in task_ids]
            return rows, len(rows)
        return self._store.resting_rows(), self._store.task_count()
