"""Settings → Save's order: an account never loses its keys to a save that fails."""

from __future__ import annotations

import os
from pathlib import Path

from cosdesk import config
from cosdesk.config import Profile, Settings
from cosdesk.cos.auth import Credentials
from cosdesk.ui.accounts import SessionSecrets
from cosdesk.ui.settings_save import SavePlan, SaveStep, save

KEYS = Credentials("AKIDold", "old-secret")


def renamed_settings() -> Settings:
    return Settings(profiles={"new": Profile(name="new")}, active_profile="new")


def test_a_rename_whose_settings_file_cannot_be_written_leaves_the_old_keys(memory_keyring: object) -> None:
    config.store_credentials("old", KEYS)
    # config.json cannot replace a folder of that name.
    (Path(os.environ["COSDESK_CONFIG_DIR"]) / "config.json").mkdir(parents=True)
    plan = SavePlan((), (), renamed_settings(), renamed=(("old", "new"),))
    assert save(plan, SessionSecrets()).step is SaveStep.FILE_NOT_WRITTEN
    assert config.load_credentials("old") == KEYS  # the settings file still names "old"


def test_a_rename_moves_keys_held_for_this_session_only(memory_keyring: object) -> None:
    secrets = SessionSecrets()
    secrets.put("old", KEYS)
    plan = SavePlan((), (), renamed_settings(), renamed=(("old", "new"),))
    assert save(plan, secrets).step is SaveStep.SAVED
    assert secrets.get("new") == KEYS and secrets.get("old") is None
    assert config.load_credentials("new") is None  # still never written to the keyring


def test_typed_keys_for_the_new_name_win_over_the_old_ones(memory_keyring: object) -> None:
    config.store_credentials("old", KEYS)
    typed = Credentials("AKIDtyped", "typed-secret")
    plan = SavePlan((("new", typed),), (), renamed_settings(), renamed=(("old", "new"),))
    assert save(plan, SessionSecrets()).step is SaveStep.SAVED
    assert config.load_credentials("new") == typed
    assert config.load_credentials("old") is None
