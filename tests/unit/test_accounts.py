"""Accounts turned into endpoints and keys: what a custom endpoint implies, which
account's keys sign an endpoint's uploads, where its keys are, and the sandbox's port."""

from __future__ import annotations

import socket
from typing import Any

import keyring.errors
import pytest

from cosdesk import config
from cosdesk.config import Profile, Settings
from cosdesk.cos.auth import Credentials
from cosdesk.cos.credential_provider import CredentialProvider
from cosdesk.cos.errors import NoCredentials
from cosdesk.engine.client_router import ClientRouter
from cosdesk.engine.options import EndpointSpec
from cosdesk.ui.accounts import (
    CredentialProviders,
    KeyOrigin,
    SessionSecrets,
    endpoint_for,
    key_origins,
    router_accounts,
)
from cosdesk.ui.keys_banner import hold_without_keys, keep_keys
from cosdesk.ui.sandbox_runner import FIRST_PORTS, ports_to_try

KEYS = Credentials("AKIDwork", "work-secret")


def test_an_ip_endpoint_is_path_style_and_takes_its_scheme_from_the_url() -> None:
    saved_by_an_old_version = Profile("a", endpoint="http://127.0.0.1:9000", path_style=False, use_https=True)
    assert endpoint_for(saved_by_an_old_version) == EndpointSpec(
        "ap-guangzhou", url="http://127.0.0.1:9000", path_style=True, profile="a"
    )


def test_an_endpoint_saved_without_a_scheme_gets_the_https_box_s() -> None:
    spec = endpoint_for(Profile("a", endpoint="cos.example.internal", use_https=False))
    assert spec.url == "http://cos.example.internal" and not spec.path_style


def test_an_account_s_uploads_sign_with_its_keys_though_another_shares_its_region(
    memory_keyring: Any,
) -> None:
    profiles = {name: Profile(name, region="ap-beijing") for name in ("a", "b")}
    settings = Settings(profiles=profiles, active_profile="b")
    config.store_credentials("a", KEYS)
    secrets = SessionSecrets()
    secrets.put("b", Credentials("AKIDb", "b-secret"))
    router = ClientRouter()
    router.set_accounts(router_accounts(settings, secrets), active="b")

    assert router(endpoint_for(profiles["a"])).credentials == KEYS
    assert router(endpoint_for(profiles["b"])).credentials == Credentials("AKIDb", "b-secret")
    # Queued by an earlier version, which stored no account: the active one's.
    assert router.account_for(EndpointSpec("ap-beijing")) == "b"
    router.close()


def test_an_account_without_keys_fails_its_uploads_with_no_credentials(memory_keyring: Any) -> None:
    profile = Profile("a", region="ap-beijing")
    router = ClientRouter()
    router.set_accounts(router_accounts(Settings(profiles={"a": profile}), SessionSecrets()), active="a")
    with pytest.raises(NoCredentials, match="no SecretId/SecretKey"):
        router(endpoint_for(profile))


def test_key_origins_say_where_each_account_s_keys_are(memory_keyring: Any, monkeypatch: Any) -> None:
    config.store_credentials("stored", KEYS)
    secrets = SessionSecrets()
    secrets.put("session", KEYS)
    assert key_origins(["stored", "session", "none"], secrets) == {
        "stored": KeyOrigin.KEYRING,
        "session": KeyOrigin.SESSION,
        "none": KeyOrigin.NONE,
    }

    def locked(*_args: Any) -> None:
        raise keyring.errors.KeyringLocked("locked")

    monkeypatch.setattr(memory_keyring, "get_password", locked)
    assert key_origins(["stored"], secrets) == {"stored": KeyOrigin.UNREADABLE}


def test_restored_uploads_are_held_only_for_accounts_without_keys(memory_keyring: Any) -> None:
    profiles = {
        "with": Profile("with", endpoint="http://127.0.0.1:1"),
        "without": Profile("without", endpoint="http://127.0.0.1:2"),
        "server": Profile("server", endpoint="http://127.0.0.1:3", credential_url="http://127.0.0.1:4/sts"),
    }
    config.store_credentials("with", KEYS)
    secrets = SessionSecrets()
    router = ClientRouter()
    settings = Settings(profiles=profiles)
    router.set_accounts(router_accounts(settings, secrets), active=None)
    hold = hold_without_keys(router, secrets, settings)
    assert hold(endpoint_for(profiles["with"])) is None
    assert hold(endpoint_for(profiles["server"])) is None  # its keys are asked for when needed
    assert hold(endpoint_for(profiles["without"])) == "paused: needs the keys of account “without”"
    assert hold(EndpointSpec("ap-tokyo")) is None  # no account: nothing to ask for


def test_keys_fall_back_to_this_session_when_the_keyring_refuses(
    memory_keyring: Any, monkeypatch: Any
) -> None:
    secrets = SessionSecrets()
    assert keep_keys("a", KEYS, True, secrets) and config.load_credentials("a") == KEYS
    assert secrets.get("a") is None

    def locked(*_args: Any) -> None:
        raise keyring.errors.KeyringLocked("locked")

    monkeypatch.setattr(memory_keyring, "set_password", locked)
    assert not keep_keys("b", KEYS, True, secrets)
    assert secrets.get("b") == KEYS


@pytest.mark.parametrize("remembered", [False, True])
def test_the_sandbox_tries_its_remembered_port_then_fixed_ones_skipping_taken_ones(remembered: bool) -> None:
    # A cosdesk window running on this machine may hold some of the fixed ports.
    free = [port for port in FIRST_PORTS if port in ports_to_try(0)]
    assert len(free) >= 3, "most of the fixed ports are taken on this machine"
    taken, next_free, preferred = free[0], free[1], free[-1]
    with socket.create_server(("127.0.0.1", taken)):
        ports = ports_to_try(preferred if remembered else 0)
    assert taken not in ports and ports[-1] == 0
    assert ports[0] == (preferred if remembered else next_free)


def test_credential_server_account_shares_one_provider_until_its_request_changes(memory_keyring: Any) -> None:
    profile = Profile(
        "org", bucket="b-1250000000", credential_url="http://127.0.0.1:9/sts", credential_post=True
    )
    config.store_credential_headers("org", "Authorization: Bearer org-token")
    providers = CredentialProviders()
    (account,) = router_accounts(Settings(profiles={"org": profile}), SessionSecrets(), providers)
    first, again = account.keys(), account.keys()
    assert isinstance(first, CredentialProvider) and first is again
    assert dict(first.request.headers) == {"Authorization": "Bearer org-token"}
    assert first.request.post and first.request.bucket == "b-1250000000"
    config.store_credential_headers("org", "Authorization: Bearer rotated")
    assert account.keys() is not first
    assert "org-token" not in repr(first) + repr(first.request)
