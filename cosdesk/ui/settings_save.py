"""What Settings → Save does, off the GUI thread: keys into the keyring (which may
show an unlock prompt or wait on D-Bus), removed accounts' keys out of it, then
config.json. It stops at the first key the keyring refuses, so the dialog can ask
what to do and go on from there."""

from __future__ import annotations

import contextlib
import enum
from dataclasses import dataclass

from cosdesk import config
from cosdesk.config import SecretStoreUnavailable, Settings
from cosdesk.cos.auth import Credentials
from cosdesk.ui.accounts import SessionSecrets


class SaveStep(enum.Enum):
    SAVED = "saved"
    KEYRING_REFUSED = "keyring-refused"
    FILE_NOT_WRITTEN = "file-not-written"


@dataclass(frozen=True)
class SavePlan:
    # (profile name, keys typed for it), stored in this order.
    keys: tuple[tuple[str, Credentials], ...]
    # Accounts removed in the dialog: their keys leave the keyring.
    removed: tuple[str, ...]
    settings: Settings


@dataclass(frozen=True)
class SaveOutcome:
    step: SaveStep
    # KEYRING_REFUSED: whose keys, and how many of the plan's keys were stored before.
    profile: str = ""
    stored: int = 0
    # Why, for the user (never holds a secret: config's messages do not).
    message: str = ""


def save(plan: SavePlan, secrets: SessionSecrets) -> SaveOutcome:
    """Carry out ``plan``; blocks on the keyring and the disk."""
    for stored, (name, keys) in enumerate(plan.keys):
        try:
            config.store_credentials(name, keys)
        except SecretStoreUnavailable as error:
            return SaveOutcome(SaveStep.KEYRING_REFUSED, profile=name, stored=stored, message=str(error))
        secrets.drop(name)
    for name in plan.removed:
        # Unreachable keyring: nothing there to leak, nothing to delete now.
        with contextlib.suppress(SecretStoreUnavailable):
            config.delete_credentials(name)
        secrets.drop(name)
    try:
        config.save_settings(plan.settings)
    except OSError as error:
        return SaveOutcome(SaveStep.FILE_NOT_WRITTEN, message=str(error))
    return SaveOutcome(SaveStep.SAVED)
