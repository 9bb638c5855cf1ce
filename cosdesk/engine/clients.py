"""One shared CosClient (one httpx connection pool) per endpoint a task names."""

from __future__ import annotations

import threading

from cosdesk.cos.client import CosClient
from cosdesk.cos.credential_provider import CredentialSource
from cosdesk.cos.endpoint import Endpoint
from cosdesk.engine.options import EndpointSpec


def endpoint_from_spec(spec: EndpointSpec) -> Endpoint:
    if spec.url:
        return Endpoint.custom(spec.url, path_style=spec.path_style, region=spec.region or None)
    return Endpoint.cos(spec.region, scheme=spec.scheme, accelerate=spec.accelerate)


class ClientCache:
    """``client_for(spec)`` for an UploadQueue: builds each endpoint's client
    once, with one set of keys (or one credential server's), and closes them all
    in :meth:`close`."""

    def __init__(
        self, credentials: CredentialSource, *, timeout_s: float = 60.0, verify: bool = True
    ) -> None:
        self._credentials = credentials
        self._timeout_s = timeout_s
        self._verify = verify
        self._clients: dict[EndpointSpec, CosClient] = {}
        self._lock = threading.Lock()

    def __call__(self, spec: EndpointSpec) -> CosClient:
        with self._lock:
            client = self._clients.get(spec)
            if client is None:
                client = CosClient(
                    self._credentials,
                    endpoint_from_spec(spec),
                    timeout_s=self._timeout_s,
                    verify=self._verify,
                )
                self._clients[spec] = client
            return client

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()
