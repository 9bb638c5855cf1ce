"""Which keys sign which task when one queue uploads for several accounts, and the
clients the router keeps (engine/client_router.py). No request is sent here: the
uploads themselves are in tests/gui/test_session.py."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from cosdesk.cos.auth import Credentials
from cosdesk.cos.errors import NoCredentials
from cosdesk.engine.client_router import Account, ClientRouter
from cosdesk.engine.clients import endpoint_from_spec
from cosdesk.engine.options import EndpointSpec

WORK = Credentials("AKIDwork", "work-secret")
HOME = Credentials("AKIDhome", "home-secret")
SANDBOX = Credentials("AKIDsandbox", "sandbox-secret")
# Two accounts in one region, neither with a custom endpoint: both go to COS's.
BEIJING = EndpointSpec("ap-beijing")


def account(name: str, keys: Credentials, endpoint: EndpointSpec = BEIJING) -> Account:
    """An account named ``name`` uploading to ``endpoint``, as Settings makes one."""
    return Account(name, replace(endpoint, profile=name), lambda: keys)


@pytest.fixture
def router() -> Iterator[ClientRouter]:
    made = ClientRouter()
    yield made
    made.close()


@pytest.mark.parametrize("active", ["work", "home"])
def test_each_task_signs_with_the_keys_of_the_account_it_names_though_both_share_an_endpoint(
    router: ClientRouter, active: str
) -> None:
    work, home = account("work", WORK), account("home", HOME)
    router.set_accounts([work, home], active=active)

    assert router(work.endpoint).credentials == WORK
    assert router(home.endpoint).credentials == HOME
    assert (router.account_for(work.endpoint), router.account_for(home.endpoint)) == ("work", "home")


def test_a_task_that_names_no_account_goes_with_the_active_one_of_those_uploading_there(
    router: ClientRouter,
) -> None:
    """Tasks queued by an earlier version stored no account name."""
    router.set_accounts([account("work", WORK), account("home", HOME)], active="home")
    assert router(BEIJING).credentials == HOME
    assert router.account_for(BEIJING) == "home"

    elsewhere = EndpointSpec("ap-tokyo")
    router.set_accounts([account("work", WORK), account("home", HOME, elsewhere)], active="home")
    assert router.account_for(BEIJING) == "work"  # the only one uploading there


def test_a_task_of_a_deleted_account_goes_with_the_active_account_and_without_one_has_no_keys(
    router: ClientRouter,
) -> None:
    gone = account("gone", WORK).endpoint
    router.set_accounts([account("home", HOME, EndpointSpec("ap-tokyo"))], active="home")
    assert router(gone).credentials == HOME

    router.set_accounts([account("home", HOME, EndpointSpec("ap-tokyo"))], active=None)
    assert router.account_for(gone) is None
    with pytest.raises(NoCredentials):
        router(gone)


def test_an_account_without_keys_fails_its_tasks_with_no_credentials(router: ClientRouter) -> None:
    def no_keys() -> Credentials:
        raise NoCredentials("profile 'work' has no SecretId/SecretKey")

    router.set_accounts([Account("work", account("work", WORK).endpoint, no_keys)], active="work")
    with pytest.raises(NoCredentials, match="has no SecretId"):
        router(account("work", WORK).endpoint)


def test_the_sandbox_signs_its_uploads_and_those_queued_at_its_old_address_which_go_to_the_new(
    router: ClientRouter,
) -> None:
    old = EndpointSpec("ap-guangzhou", url="http://127.0.0.1:29470", path_style=True)
    new = EndpointSpec("ap-guangzhou", url="http://127.0.0.1:29471", path_style=True)
    router.set_accounts([account("work", WORK)], active="work")
    router.set_local_keys(new, lambda: SANDBOX, earlier=[old])

    for spec in (old, new):
        client = router(spec)
        assert client.credentials == SANDBOX
        assert client.endpoint.describe() == endpoint_from_spec(new).describe()
        assert router.account_for(spec) is None
    # Elsewhere the active account still signs.
    assert router(EndpointSpec("ap-tokyo")).credentials == WORK


def test_with_no_account_at_all_tasks_fall_back_to_the_sandbox_keys(router: ClientRouter) -> None:
    router.set_local_keys(EndpointSpec("ap-guangzhou", url="http://127.0.0.1:29470"), lambda: SANDBOX)
    assert router(EndpointSpec("ap-tokyo")).credentials == SANDBOX


def test_one_client_per_place_and_keys_and_a_new_one_when_the_keys_change(router: ClientRouter) -> None:
    keys = {"work": WORK}
    work = Account("work", account("work", WORK).endpoint, lambda: keys["work"])
    router.set_accounts([work], active="work")

    first = router(work.endpoint)
    assert router(work.endpoint) is first
    assert router(BEIJING) is first  # the same place and keys: the same connections

    keys["work"] = Credentials("AKIDwork", "changed-secret")
    changed = router(work.endpoint)
    assert changed is not first and changed.credentials == keys["work"]

    router.forget_clients()
    assert router(work.endpoint) is not changed
