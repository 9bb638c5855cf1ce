"""GET Service (the account's buckets) through CosClient, against the local server:
on a path-style custom endpoint, and on COS's own service host."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cosdesk.cos.auth import Credentials
from cosdesk.cos.client import CosClient
from cosdesk.cos.credential_provider import CredentialProvider, CredentialRequest
from cosdesk.cos.endpoint import COS_SERVICE_HOST, Endpoint
from cosdesk.cos.errors import AccessDenied
from cosdesk.sandbox.server import SandboxServer
from tests.conftest import TEST_BUCKET, TEST_REGION, TEST_SECRET_ID, TEST_SECRET_KEY

BUCKETS = ["alpha-1250000000", "beta-1250000000", "gamma-1250000001"]


@pytest.fixture
def three_buckets(tmp_path: Path) -> Iterator[SandboxServer]:
    with SandboxServer(
        root=tmp_path / "three",
        buckets=BUCKETS,
        credentials={TEST_SECRET_ID: TEST_SECRET_KEY},
        region=TEST_REGION,
    ) as server:
        yield server


class _ToLocalServer(httpx.HTTPTransport):
    """Sends every request to the local server, Host header untouched: COS's own
    hosts cannot be reached from a test, the local server answers as they do."""

    def __init__(self, port: int) -> None:
        super().__init__()
        self._port = port
        self.hosts: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.hosts.append(request.headers["host"])
        request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=self._port)
        return super().handle_request(request)


def test_list_buckets_names_every_bucket_with_its_region(
    three_buckets: SandboxServer, credentials: Credentials
) -> None:
    with CosClient(credentials, Endpoint.custom(three_buckets.endpoint, path_style=True)) as client:
        page = client.list_buckets()
    assert [(bucket.name, bucket.region) for bucket in page.buckets] == [
        (name, TEST_REGION) for name in BUCKETS
    ]
    assert all(bucket.created is not None for bucket in page.buckets)
    assert page.is_truncated is False
    assert page.owner is not None and page.owner.display_name == "1250000000"
    assert page.request_id


def test_iter_buckets_walks_every_page(three_buckets: SandboxServer, credentials: Credentials) -> None:
    with CosClient(credentials, Endpoint.custom(three_buckets.endpoint, path_style=True)) as client:
        first = client.list_buckets(max_keys=2)
        assert [bucket.name for bucket in first.buckets] == BUCKETS[:2]
        assert first.is_truncated and first.next_marker == BUCKETS[1]
        assert [bucket.name for bucket in client.iter_buckets()] == BUCKETS


def test_list_buckets_of_another_region_is_empty(
    three_buckets: SandboxServer, credentials: Credentials
) -> None:
    with CosClient(credentials, Endpoint.custom(three_buckets.endpoint, path_style=True)) as client:
        assert client.list_buckets(region="ap-beijing").buckets == ()
        assert len(client.list_buckets(region=TEST_REGION).buckets) == len(BUCKETS)


def test_on_cos_the_bucket_list_is_asked_of_the_service_host(
    sandbox: SandboxServer, credentials: Credentials
) -> None:
    endpoint = Endpoint.cos(TEST_REGION, scheme="http")
    network = _ToLocalServer(sandbox.port)
    with CosClient(credentials, endpoint, transport=network) as client:
        names = [bucket.name for bucket in client.list_buckets().buckets]
    # Signed for the service host, which the server checks: a bucket host would sign another Host.
    assert names == [TEST_BUCKET]
    assert network.hosts == [COS_SERVICE_HOST]
    assert endpoint.service_url() == f"http://{COS_SERVICE_HOST}/"


def test_keys_limited_to_a_prefix_may_not_list_buckets(tmp_path: Path) -> None:
    # Temporary keys granted one bucket's prefix, as a credential server gives them.
    with SandboxServer(
        root=tmp_path / "sts",
        buckets=[TEST_BUCKET],
        credentials={},
        region=TEST_REGION,
        sts_duration_s=600,
        sts_prefix="team/",
    ) as server:
        assert server.credential_url is not None
        provider = CredentialProvider(CredentialRequest(server.credential_url))
        with CosClient(provider, Endpoint.custom(server.endpoint, path_style=True)) as client:
            with pytest.raises(AccessDenied):
                client.list_buckets()
            # The same keys still list their own prefix: only the bucket list is refused.
            assert client.list_objects(TEST_BUCKET, prefix="team/").contents == ()
