"""A record of the requests a server answered, for tests that count what reached
it (which parts of which upload, how many PUTs of a key). Off unless a test
turns it on with :meth:`SandboxServer.record_requests`: ``cosdesk serve`` runs
for hours and must not grow with every request.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ReceivedRequest:
    """One answered request. ``status`` is the HTTP status sent, -1 for a reset on
    purpose (faults), -2 when the client went away; ``body_length`` is the
    request's Content-Length (None: none, or chunked). ``started_at`` is when its
    head arrived, in ``time.monotonic()`` (a body the kernel had buffered may be
    read in full after its client is gone)."""

    method: str
    bucket: str
    key: str
    params: Mapping[str, str]
    status: int
    body_length: int | None
    started_at: float

    @property
    def part(self) -> tuple[str, int] | None:
        """(upload id, part number) of an Upload Part; None for any other request."""
        upload_id = self.params.get("uploadId")
        number = self.params.get("partNumber")
        if self.method != "PUT" or upload_id is None or number is None:
            return None
        return upload_id, int(number)

    @property
    def is_object_put(self) -> bool:
        """A PUT Object (a whole body at a key), not a part nor a copy's headers."""
        return self.method == "PUT" and self.part is None and bool(self.key) and not self.params


class RequestLedger:
    """Thread-safe list of :class:`ReceivedRequest`, in the order they were answered."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: list[ReceivedRequest] = []

    def add(self, request: ReceivedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def requests(self) -> list[ReceivedRequest]:
        with self._lock:
            return list(self._requests)
