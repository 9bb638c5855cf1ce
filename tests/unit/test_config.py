"""Profiles live in config.json; their keys only in the keyring."""

from __future__ import annotations

import argparse
import json

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import NoKeyringError

from cosdesk import config
from cosdesk.cos.auth import Credentials

SECRET_KEY = "sk-never-in-a-file-7f3a9"


def test_profile_round_trips_and_secret_stays_out_of_the_file() -> None:
    settings = config.Settings(
        profiles={"work": config.Profile("work", region="ap-shanghai", bucket="photos-1250000000")},
        active_profile="work",
    )
    config.save_settings(settings)
    config.store_credentials("work", Credentials("AKIDwork", SECRET_KEY, "token-xyz"))

    loaded = config.load_settings()
    assert loaded.active == settings.profiles["work"]
    assert config.load_credentials("work") == Credentials("AKIDwork", SECRET_KEY, "token-xyz")
    text = (config.config_dir() / "config.json").read_text(encoding="utf-8")
    assert SECRET_KEY not in text and "token-xyz" not in text and "AKIDwork" not in text


def test_missing_settings_file_gives_empty_settings() -> None:
    assert config.load_settings().profiles == {}


def test_malformed_settings_file_names_the_file() -> None:
    path = config.config_dir() / "config.json"
    path.parent.mkdir(parents=True)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(config.ConfigError, match=r"config\.json"):
        config.load_settings()


def test_unknown_fields_from_a_newer_version_are_ignored() -> None:
    path = config.config_dir() / "config.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"profiles": [{"name": "a", "future_option": 1}]}), encoding="utf-8")
    assert config.load_settings().profiles["a"].name == "a"


def test_bad_profile_name_is_refused_with_a_clear_message() -> None:
    with pytest.raises(config.ConfigError, match="profile name"):
        config.Profile("a/b")


class _NoKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise NoKeyringError()

    def set_password(self, service: str, username: str, password: str) -> None:
        raise NoKeyringError()

    def delete_password(self, service: str, username: str) -> None:
        raise NoKeyringError()


def test_missing_keyring_is_reported_not_bypassed() -> None:
    keyring.set_keyring(_NoKeyring())
    with pytest.raises(config.SecretStoreUnavailable, match="no system keyring") as caught:
        config.store_credentials("work", Credentials("AKID", SECRET_KEY))
    assert SECRET_KEY not in str(caught.value)
    with pytest.raises(config.SecretStoreUnavailable, match="no system keyring"):
        config.store_credential_headers("work", "Authorization: Bearer t")


def test_a_keyring_backend_that_cannot_be_loaded_is_reported_not_raised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PYTHON_KEYRING_BACKEND naming a module that is not installed: keyring raises
    ModuleNotFoundError from its first call. The window's sandbox start died on
    it, and the window said "Starting the local sandbox…" for good."""
    import keyring.core

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "no_such_keyring_plugin.Keyring")
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)  # chosen again, from the variable
    with pytest.raises(config.SecretStoreUnavailable) as caught:
        config.load_credentials("work")
    assert str(caught.value) == (
        "cannot read the keys: the keyring backend cannot be loaded (no module 'no_such_keyring_plugin'); "
        "check PYTHON_KEYRING_BACKEND and keyringrc.cfg"
    )


def test_without_a_keyring_a_credential_server_account_has_no_extra_headers() -> None:
    # None can have been stored (saving them needs a keyring), and a server that
    # wants none must still be usable on a machine without a keyring.
    keyring.set_keyring(_NoKeyring())
    assert config.load_credential_headers("work") == ""
    config.store_credential_headers("work", "")  # saving "none" needs no keyring either


def test_rename_moves_the_keys_with_the_profile() -> None:
    settings = config.Settings(profiles={"a": config.Profile("a")}, active_profile="a")
    config.store_credentials("a", Credentials("AKID", SECRET_KEY))
    renamed = config.rename_profile(settings, "a", "b")
    assert renamed.active_profile == "b" and "a" not in renamed.profiles
    assert config.load_credentials("b") == Credentials("AKID", SECRET_KEY)
    assert config.load_credentials("a") is None


def test_credentials_from_env_need_both_keys() -> None:
    assert config.credentials_from_env({"COS_SECRET_ID": "id"}) is None
    creds = config.credentials_from_env(
        {"COS_SECRET_ID": "id", "COS_SECRET_KEY": "key", "COS_SESSION_TOKEN": "tok"}
    )
    assert creds == Credentials("id", "key", "tok")


def test_credentials_repr_hides_key_and_token() -> None:
    text = repr(Credentials("AKID", SECRET_KEY, "token-xyz"))
    assert SECRET_KEY not in text and "token-xyz" not in text


def test_transfer_settings_are_shared_and_copied_into_each_profile_for_the_cli() -> None:
    shared = config.Transfers(parallel_files=5, bandwidth_limit_bytes_per_s=2 * 1024 * 1024)
    settings = config.Settings(profiles={"work": config.Profile("work")}, transfers=shared)
    config.save_settings(settings)
    loaded = config.load_settings()
    assert loaded.transfers == shared
    # ``cosdesk upload --profile work`` reads them from the profile.
    assert loaded.profiles["work"].parallel_files == 5
    assert loaded.profiles["work"].bandwidth_limit_bytes_per_s == 2 * 1024 * 1024


def test_a_file_from_before_shared_transfers_takes_them_from_the_active_account() -> None:
    path = config.config_dir() / "config.json"
    path.parent.mkdir(parents=True)
    old_profiles = [
        {"name": "a", "parallel_files": 7, "bandwidth_limit_bytes_per_s": 1024, "resume_on_start": False},
        {"name": "b", "parallel_files": 2},
    ]
    path.write_text(json.dumps({"active_profile": "a", "profiles": old_profiles}), encoding="utf-8")
    assert config.load_settings().transfers == config.Transfers(7, 1024, False)


def test_a_file_from_before_automatic_concurrency_turns_the_old_default_3_into_automatic() -> None:
    path = config.config_dir() / "config.json"
    path.parent.mkdir(parents=True)
    old_profiles = [
        {"name": "kept", "parallel_files": 3, "parallel_parts": 3},
        {"name": "chosen", "parallel_files": 3, "parallel_parts": 8},
    ]
    document = {"active_profile": "kept", "transfers": {"parallel_files": 3}, "profiles": old_profiles}
    path.write_text(json.dumps(document), encoding="utf-8")
    loaded = config.load_settings()
    assert loaded.transfers.parallel_files == 0
    assert loaded.profiles["kept"].parallel_parts == 0
    assert loaded.profiles["chosen"].parallel_parts == 8  # a number someone chose stays
    # Saved again, 3 is written by a version that knows automatic: it now means 3.
    config.save_settings(
        config.Settings(
            profiles={"kept": config.Profile("kept", parallel_parts=3)},
            transfers=config.Transfers(parallel_files=3),
        )
    )
    again = config.load_settings()
    assert again.transfers.parallel_files == 3
    assert again.profiles["kept"].parallel_parts == 3


def test_impossible_transfer_settings_are_refused_with_the_file_named() -> None:
    path = config.config_dir() / "config.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"transfers": {"parallel_files": -1}}), encoding="utf-8")
    with pytest.raises(config.ConfigError, match=r"config\.json is malformed: files at once"):
        config.load_settings()


def test_cosdesk_upload_profile_completes_an_endpoint_saved_without_a_scheme(memory_keyring: object) -> None:
    from cosdesk import upload_cli
    from cosdesk.config import Profile, Settings

    profile = Profile(name="lan", region="ap-guangzhou", endpoint="127.0.0.1:9000", use_https=False)
    config.save_settings(Settings(profiles={"lan": profile}, active_profile="lan"))
    config.store_credentials("lan", Credentials("AKIDexample", "secret"))
    parser = argparse.ArgumentParser()
    upload_cli.add_arguments(parser)
    args = parser.parse_args(["file.txt", "cos://examplebucket-1250000000/", "--profile", "lan"])

    account = upload_cli.resolve_account(args, need_endpoint=True)
    assert account.endpoint is not None and account.endpoint.url == "http://127.0.0.1:9000"
    assert account.endpoint.profile == "lan"  # so the window signs its tasks with lan's keys
