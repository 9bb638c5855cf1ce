"""The window's signals that carry many items carry Python objects, not Qt
containers: a ``list`` or ``dict`` argument is converted at every emit
(ARCHITECTURE.md, 'PySide6 6.12 on Python 3.11'). The queue's own signals are
plain Python (engine/loop.py): they hand over what is emitted, converted never."""

from __future__ import annotations

from PySide6.QtCore import QObject

from cosdesk.ui.task_feed import TaskFeed, _Signals


def signatures(kind: type[QObject]) -> list[str]:
    meta = kind.staticMetaObject
    return [
        bytes(meta.method(n).methodSignature()).decode()
        for n in range(meta.methodOffset(), meta.methodCount())
    ]


def test_new_tasks_and_the_rows_for_the_table_pass_as_they_are() -> None:
    found = {signature for kind in (TaskFeed, _Signals) for signature in signatures(kind)}
    carriers = {
        "arrived(PyObject)",
        "fetched(PyObject)",
        "displayed(int,PyObject)",
    }
    assert carriers <= found


def test_an_object_argument_is_the_very_object_emitted() -> None:
    class Emitter(QObject):
        carried = TaskFeed.arrived  # the feed's own declaration

    emitter, got = Emitter(), []
    emitter.carried.connect(got.append)
    ids = ["a", "b"]
    emitter.carried.emit(ids)
    assert got == [ids] and got[0] is ids
