"""The sync's listing in key ranges against the local server: every object once,
however the local keys cut the prefix, and about one request per page
(engine/sync_listing.py)."""

from __future__ import annotations

from typing import Any

import pytest
from integration.test_sync_plan import settled

from cosdesk.cos.client import CosClient
from cosdesk.engine import sync_listing
from cosdesk.engine.sync_listing import PrefixListing

BUCKET = "examplebucket-1250000000"


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages of 10 keys, ranges from 20 keys: a few hundred objects make many of both."""
    monkeypatch.setattr(sync_listing, "PAGE_SIZE", 10)
    monkeypatch.setattr(sync_listing, "MIN_KEYS_PER_RANGE", 20)


@pytest.fixture
def stored_keys(cos_client: CosClient) -> list[str]:
    keys = [f"p/{folder}/{number:03d}" for folder in "abcd" for number in range(50)]
    for key in [*keys, "other/x", "p0/y"]:
        cos_client.put_object(BUCKET, key, b"")
    return keys


@pytest.mark.parametrize(
    ("expected", "ranges"),
    [
        pytest.param(lambda keys: keys, 4, id="the same keys as the server"),
        pytest.param(lambda keys: [*keys[::3], "p/zzz/new"], 3, id="some keys, and one the server lacks"),
        pytest.param(lambda keys: [], 1, id="no keys: one range"),
    ],
)
def test_every_object_under_the_prefix_is_listed_once(
    small_pages: None, sandbox: Any, cos_client: CosClient, stored_keys: list[str], expected: Any, ranges: int
) -> None:
    ledger = sandbox.record_requests()
    before = len(settled(ledger))
    listing = PrefixListing(cos_client, BUCKET, "p/")
    listing.start()
    listing.split_at(expected(stored_keys))

    listed = listing.result()

    assert sorted(listed) == stored_keys
    assert listing.range_count == ranges
    requests = settled(ledger)[before:]
    assert {(request.method, request.key) for request in requests} == {("GET", "")}
    assert len(requests) <= len(stored_keys) // 10 + 1 + sync_listing.LISTING_RANGES
