"""What Settings → Save does, off the GUI thread: renamed accounts' keys copied to
their new names, typed keys into the keyring (which may show an unlock prompt or
wait on D-Bus), config.json, and only then the keys of removed and renamed
accounts out of the keyring (a settings file that cannot be written never leaves
an account without its keys). It stops at the first key the keyring refuses, so
the dialog can ask what to do and go on from there."""

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
    KEYS_NOT_MOVED = "keys-not-moved"
    FILE_NOT_WRITTEN = "file-not-written"
    HEADERS_NOT_STORED = "headers-not-stored"


@dataclass(frozen=True)
class SavePlan:
    # (profile name, keys typed for it), stored in this order.
    keys: tuple[tuple[str, Credentials], ...]
    # Accounts removed in the dialog: their keys leave the keyring.
    removed: tuple[str, ...]
    settings: Settings
    # (saved name, new name) of accounts renamed in the dialog: their keys move.
    renamed: tuple[tuple[str, str], ...] = ()
    # (profile name, credential server headers typed for it), stored after the keys.
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SaveOutcome:
    step: SaveStep
    # KEYRING_REFUSED: whose keys, and how many of the plan's keys were stored before.
    # KEYS_NOT_MOVED: the account's saved name, and its new one.
    profile: str = ""
    stored: int = 0
    new_name: str = ""
    # Why, for the user (never holds a secret: config's messages do not).
    message: str = ""


def save(plan: SavePlan, secrets: SessionSecrets) -> SaveOutcome:
    """Carry out ``plan``; blocks on the keyring and the disk."""
    typed = {name for name, _ in plan.keys}
    for old, new in plan.renamed:
        if new in typed:
            continue  # new keys were typed for it: nothing to carry over
        try:
            _copy_keys(old, new, secrets)
        except config.ConfigError as error:  # SecretStoreUnavailable, unreadable keys
            return SaveOutcome(SaveStep.KEYS_NOT_MOVED, profile=old, new_name=new, message=str(error))
    for stored, (name, keys) in enumerate(plan.keys):
        try:
            config.store_credentials(name, keys)
        except SecretStoreUnavailable as error:
            return SaveOutcome(SaveStep.KEYRING_REFUSED, profile=name, stored=stored, message=str(error))
        secrets.drop(name)
    for name, text in plan.headers:
        try:
            config.store_credential_headers(name, text)
        except SecretStoreUnavailable as error:
            # Never kept anywhere else: without them the server would refuse anyway.
            return SaveOutcome(SaveStep.HEADERS_NOT_STORED, profile=name, message=str(error))
    try:
        config.save_settings(plan.settings)
    except OSError as error:
        return SaveOutcome(SaveStep.FILE_NOT_WRITTEN, message=str(error))
    for name in (*plan.removed, *(old for old, _ in plan.renamed)):
        if name in plan.settings.profiles:
            continue  # the name was given to another account meanwhile
        # Unreachable keyring: nothing there to leak, nothing to delete now.
        with contextlib.suppress(SecretStoreUnavailable):
            config.delete_credentials(name)
            config.delete_credential_headers(name)
        secrets.drop(name)
    return SaveOutcome(SaveStep.SAVED)


def _copy_keys(old: str, new: str, secrets: SessionSecrets) -> None:
    """Give ``new`` the keys of ``old``: this session's keys stay in memory, the
    keyring's stay in the keyring."""
    held = secrets.get(old)
    if held is not None:
        secrets.put(new, held)
        return
    stored = config.load_credentials(old)
    if stored is not None:
        config.store_credentials(new, stored)
    headers = config.load_credential_headers(old)
    if headers:
        config.store_credential_headers(new, headers)
