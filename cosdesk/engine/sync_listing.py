"""Listing a sync's prefix in a few key ranges at once.

A listing is a page of 1,000 keys per request, one after the other (each page
starts after the last key of the one before): for 100,000 objects, a hundred
round trips, and most of a re-run's time. When the folder's own keys are known,
they tell where the remote keys probably lie: the prefix is cut into ranges at
evenly spaced local keys, and each range is listed on its own thread, from the
key before it (the marker) to its last key. Every object is still listed once
(a range ends where the next begins); only the last page of each range may
reach past its end. The first range starts at once, before the walk ends.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from cosdesk.cos.client import CosClient
from cosdesk.cos.results import ObjectSummary

# Ranges listed at once, and the fewest keys a range is worth cutting for (a few pages).
LISTING_RANGES = 4
MIN_KEYS_PER_RANGE = 3000
PAGE_SIZE = 1000


class PrefixListing:
    """Every object under ``prefix``: :meth:`start`, then :meth:`split_at` the keys
    expected (or not), then :meth:`result`."""

    def __init__(self, client: CosClient, bucket: str, prefix: str) -> None:
        self._client = client
        self._bucket = bucket
        self._prefix = prefix
        self._pool = ThreadPoolExecutor(LISTING_RANGES, thread_name_prefix="cosdesk-sync-listing")
        self._lock = threading.Lock()
        # Where the first range has got to, and where it is to stop (None: the end).
        self._first_reached = ""
        self._first_ends_at: str | None = None
        self._ranges: list[Future[list[ObjectSummary]]] = []

    def start(self) -> None:
        self._ranges.append(self._pool.submit(self._list_first))

    def split_at(self, expected_keys: Sequence[str]) -> None:
        """Cut what the first range has not reached yet at evenly spaced keys of
        ``expected_keys`` (sorted or not) and list the other ranges meanwhile."""
        with self._lock:
            ahead = sorted(key for key in expected_keys if key > self._first_reached)
            count = min(LISTING_RANGES, len(ahead) // MIN_KEYS_PER_RANGE)
            if count < 2:
                return
            bounds = [ahead[len(ahead) * n // count] for n in range(1, count)]
            self._first_ends_at = bounds[0]
        for start, end in zip(bounds, [*bounds[1:], None], strict=True):
            self._ranges.append(self._pool.submit(self._list_range, start, end))

    @property
    def range_count(self) -> int:
        """How many ranges are listed (1 until split_at cuts the prefix)."""
        return len(self._ranges)

    def result(self) -> dict[str, ObjectSummary]:
        """Every object, by key. Raises what a listing raised (CosException)."""
        try:
            return {summary.key: summary for done in self._ranges for summary in done.result()}
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def abandon(self) -> None:
        """Stop waiting for the ranges (the plan failed before it needed them)."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _list_first(self) -> list[ObjectSummary]:
        return self._list(None, lambda: self._first_ends_at, reached=True)

    def _list_range(self, after: str, end: str | None) -> list[ObjectSummary]:
        return self._list(after, lambda: end, reached=False)

    def _list(
        self, marker: str | None, ends_at: Callable[[], str | None], *, reached: bool
    ) -> list[ObjectSummary]:
        """Pages from ``marker`` until the listing ends or passes ``ends_at()``
        (keys up to it are kept); ``reached``: tell split_at how far it got."""
        found: list[ObjectSummary] = []
        while True:
            page = self._client.list_objects(
                self._bucket, prefix=self._prefix or None, marker=marker, max_keys=PAGE_SIZE
            )
            with self._lock:
                end = ends_at()
                if reached and page.contents:
                    self._first_reached = page.contents[-1].key
            if end is not None and page.contents and page.contents[-1].key >= end:
                found.extend(summary for summary in page.contents if summary.key <= end)
                return found
            found.extend(page.contents)
            if not page.is_truncated or not page.contents:
                return found
            marker = page.next_marker or page.contents[-1].key
