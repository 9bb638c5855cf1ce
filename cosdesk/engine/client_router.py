"""The queue's ``client_for`` when several accounts share one queue (the window):
one CosClient per (place, keys), and for each task the keys of its account.

The keys that sign a task's requests are, in this order:

1. those of the account its endpoint names (``EndpointSpec.profile``);
2. those given for the place its requests go (the local sandbox has keys of its
   own), else those of the account whose uploads go there (tasks queued by an
   earlier version, which named no account; the active account first when
   several go to one place);
3. the active account's (a task whose account was since renamed or deleted), or
   the local sandbox's when there is no account at all.

The place alone is not enough: the accounts of one region share COS's endpoint
(see ARCHITECTURE.md, 'Endpoints').

Key sources are called on the queue's worker threads and never under the lock:
reading a keyring may wait on an unlock prompt.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from cosdesk.cos.client import CosClient
from cosdesk.cos.credential_provider import CredentialProvider, CredentialSource
from cosdesk.cos.errors import NoCredentials
from cosdesk.engine.clients import endpoint_from_spec
from cosdesk.engine.options import EndpointSpec

# An account's keys (or its credential server's provider, the same object for as
# long as the account is unchanged), read when a request needs them (may block on
# a keyring). Raises NoCredentials when there are none.
KeySource = Callable[[], CredentialSource]


@dataclass(frozen=True)
class Account:
    """An account the router signs for: its name, where its uploads go, its keys."""

    name: str
    endpoint: EndpointSpec
    keys: KeySource


@dataclass(frozen=True)
class _Route:
    account: str | None  # None: the local sandbox's keys, or none
    keys: KeySource | None
    place: EndpointSpec  # where the requests really go


class ClientRouter:
    """``client_for(spec)`` for an UploadQueue whose tasks belong to several
    accounts (see the module's docstring for which keys sign which task)."""

    def __init__(self, *, timeout_s: float = 60.0) -> None:
        self._timeout_s = timeout_s
        self._lock = threading.Lock()
        self._accounts: dict[str, Account] = {}
        # Place -> the account whose uploads go there, for tasks that name none.
        self._owners: dict[EndpointSpec, str] = {}
        self._active: str | None = None
        # Place -> keys of its own (the local sandbox, at each address it had).
        self._local_keys: dict[EndpointSpec, KeySource] = {}
        self._local_fallback: KeySource | None = None
        # An earlier address of the local sandbox -> where it listens now.
        self._moved: dict[EndpointSpec, EndpointSpec] = {}
        self._clients: dict[tuple[EndpointSpec, str], CosClient] = {}
        # Replaced clients: running requests may still use them; closed in close().
        self._retired: list[CosClient] = []

    def set_accounts(self, accounts: Iterable[Account], *, active: str | None) -> None:
        """Sign for ``accounts`` from now on, instead of those set before; tasks
        whose account is not among them go with ``active``'s keys."""
        by_name = {account.name: account for account in accounts}
        owners: dict[EndpointSpec, str] = {}
        for account in sorted(by_name.values(), key=lambda account: account.name != active):
            owners.setdefault(account.endpoint.without_profile(), account.name)
        with self._lock:
            self._accounts, self._owners = by_name, owners
            self._active = active if active in by_name else None

    def set_local_keys(
        self, endpoint: EndpointSpec, keys: KeySource, *, earlier: Iterable[EndpointSpec] = ()
    ) -> None:
        """Requests to ``endpoint`` (the local sandbox) sign with ``keys``; so do
        those of tasks queued for it at an ``earlier`` address (its port was taken
        this time), which go to ``endpoint`` now."""
        place = endpoint.without_profile()
        with self._lock:
            self._local_keys[place] = keys
            self._local_fallback = keys
            for old in earlier:
                old_place = old.without_profile()
                if old_place != place:
                    self._local_keys[old_place] = keys
                    self._moved[old_place] = place

    def account_for(self, spec: EndpointSpec) -> str | None:
        """The name of the account whose keys sign requests for ``spec``; None when
        the local sandbox's keys do, or no keys would."""
        with self._lock:
            return self._route(spec).account

    def forget_clients(self) -> None:
        """Make new clients from now on (after keys changed); running requests keep theirs."""
        with self._lock:
            self._retired.extend(self._clients.values())
            self._clients.clear()

    def __call__(self, spec: EndpointSpec) -> CosClient:
        """The client for a task's endpoint. Raises NoCredentials (the task fails with
        that code) when there are no keys for it or they cannot be read."""
        with self._lock:
            route = self._route(spec)
        if route.keys is None:
            raise NoCredentials("no account is set up for this task's endpoint")
        credentials = route.keys()
        signer = credentials.server if isinstance(credentials, CredentialProvider) else credentials.secret_id
        with self._lock:
            cache_key = (route.place, signer)
            client = self._clients.get(cache_key)
            if client is None or client.credential_source != credentials:
                if client is not None:
                    self._retired.append(client)
                client = CosClient(credentials, endpoint_from_spec(route.place), timeout_s=self._timeout_s)
                self._clients[cache_key] = client
            return client

    def close(self) -> None:
        with self._lock:
            clients = [*self._clients.values(), *self._retired]
            self._clients, self._retired = {}, []
        for client in clients:
            client.close()

    def stop_requests(self) -> None:
        """End every client's requests in flight and refuse new ones (quitting)."""
        with self._lock:
            clients = [*self._clients.values(), *self._retired]
        for client in clients:
            client.stop_requests()

    def _route(self, spec: EndpointSpec) -> _Route:
        # Lock held.
        place = spec.without_profile()
        goes_to = self._moved.get(place, place)
        if spec.profile is not None and spec.profile in self._accounts:
            name: str | None = spec.profile
        elif place in self._local_keys:
            return _Route(None, self._local_keys[place], goes_to)
        elif place in self._owners:
            name = self._owners[place]
        elif not self._accounts:
            return _Route(None, self._local_fallback, goes_to)
        else:
            name = self._active
        keys = self._accounts[name].keys if name is not None else None
        return _Route(name, keys, goes_to)
