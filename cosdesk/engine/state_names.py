"""What each task state is called wherever a person reads it: the window's
Status column and the command line's ``tasks list`` use these same words.

English only, and no Qt: the window translates them (``ui/formatting.py`` marks
each one for the translators, since the translation tools read only ``ui/``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from cosdesk.engine.task import TaskState

STATE_NAMES: Mapping[TaskState, str] = MappingProxyType(
    {
        TaskState.WAITING: "Waiting",
        TaskState.CHECKING: "Checking",
        TaskState.UPLOADING: "Uploading",
        TaskState.PAUSED: "Paused",
        TaskState.SUCCESS: "Done",
        TaskState.ERROR: "Failed",
        TaskState.CANCELED: "Canceled",
    }
)


def state_name(state: TaskState) -> str:
    """``TaskState.SUCCESS`` → ``"Done"``."""
    return STATE_NAMES[state]


def state_from_name(text: str) -> TaskState:
    """The state a person names, as shown (``done``, ``Failed``) or as stored
    (``success``, ``error``), in any case. Raises ValueError for anything else."""
    wanted = text.strip().lower()
    for state, name in STATE_NAMES.items():
        if wanted in (name.lower(), state.value):
            return state
    choices = ", ".join(name.lower() for name in STATE_NAMES.values())
    raise ValueError(f"{text!r} is not a task state (one of: {choices})")
