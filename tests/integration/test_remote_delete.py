"""Deleting a selection of a bucket: what a folder stands for, batches of 1,000,
and nothing outside the selection, against the local server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cosdesk.cos.auth import Credentials
from cosdesk.cos.client import CosClient
from cosdesk.cos.endpoint import Endpoint
from cosdesk.engine.remote_delete import delete_keys, keys_to_delete
from cosdesk.sandbox.server import SandboxServer
from tests.conftest import TEST_BUCKET, TEST_REGION, TEST_SECRET_ID, TEST_SECRET_KEY

NEIGHBOURS = ["trip-old/kept.jpg", "trip", "tripod.txt", "other/trip/kept.jpg", "a.txt"]


@pytest.fixture
def big_folder(tmp_path: Path) -> Iterator[SandboxServer]:
    """2,500 objects under trip/ (its marker and a sub-folder among them) beside
    keys that only look alike."""
    with SandboxServer(
        root=tmp_path / "cos",
        buckets=[TEST_BUCKET],
        credentials={TEST_SECRET_ID: TEST_SECRET_KEY},
        region=TEST_REGION,
        discard_bodies=True,
    ) as server:
        inside = ["trip/", "trip/day2/", *(f"trip/{number:04d}.jpg" for number in range(2497)), "trip/day2/x"]
        server.storage.add_empty_objects(TEST_BUCKET, [*inside, *NEIGHBOURS, "loose.txt"])
        yield server


@pytest.fixture
def client(big_folder: SandboxServer, credentials: Credentials) -> Iterator[CosClient]:
    with CosClient(credentials, Endpoint.custom(big_folder.endpoint, region=TEST_REGION)) as cos:
        yield cos


def everything(client: CosClient) -> list[str]:
    return sorted(summary.key for summary in client.iter_objects(TEST_BUCKET))


def test_a_folder_stands_for_every_key_under_its_prefix_and_nothing_beside_it(client: CosClient) -> None:
    keys = keys_to_delete(client, TEST_BUCKET, ["loose.txt", "trip/0001.jpg"], ["trip/"])
    assert len(keys) == 2501
    assert keys[:2] == ["loose.txt", "trip/0001.jpg"]
    assert {"trip/", "trip/day2/", "trip/day2/x"} <= set(keys)
    assert not set(keys) & set(NEIGHBOURS)


def test_a_folder_without_its_slash_is_refused(client: CosClient) -> None:
    with pytest.raises(ValueError, match="ends in '/'"):
        keys_to_delete(client, TEST_BUCKET, [], ["trip"])


def test_delete_goes_in_batches_of_a_thousand_and_leaves_the_rest(
    client: CosClient, big_folder: SandboxServer
) -> None:
    keys = keys_to_delete(client, TEST_BUCKET, ["loose.txt"], ["trip/"])
    ledger = big_folder.record_requests()
    done: list[int] = []

    outcome = delete_keys(client, TEST_BUCKET, keys, on_progress=done.append)

    assert sorted(outcome.deleted) == sorted(keys) and outcome.failures == ()
    assert done == [1000, 2000, 2501]

    # The ledger notes a request once its answer is sent, which may be just after
    # the client has read it: wait a moment for the last one.
    def deletes() -> list[str]:
        return [request.method for request in ledger.requests() if "delete" in request.params]

    deadline = time.monotonic() + 5
    while len(deletes()) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert deletes() == ["POST"] * 3
    assert everything(client) == sorted(NEIGHBOURS)


def test_a_refused_batch_names_each_of_its_keys_as_failed(
    client: CosClient, big_folder: SandboxServer
) -> None:
    keys = keys_to_delete(client, TEST_BUCKET, [], ["trip/day2/"])
    big_folder.faults.error_rate = 1.0
    big_folder.faults.error_status = 500

    outcome = delete_keys(client, TEST_BUCKET, keys)

    big_folder.faults.error_rate = 0.0
    assert outcome.deleted == ()
    assert [failure.key for failure in outcome.failures] == ["trip/day2/", "trip/day2/x"]
    assert all(failure.code == "InternalError" for failure in outcome.failures)
    assert "trip/day2/x" in everything(client)
