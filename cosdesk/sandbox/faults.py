"""Fault injection for tests: one mutable, thread-safe settings object per server.

Tests change it while the server runs (``server.faults.error_rate = 0.05``);
every request takes a :meth:`FaultSettings.snapshot` when it starts, so one
request sees one consistent set of faults.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True)
class FaultSnapshot:
    error_rate: float = 0.0
    error_status: int = 503
    reset_after_bytes: int | None = None
    reset_rate: float = 0.0
    latency_s: float = 0.0
    bandwidth_bytes_per_s: int | None = None
    clock_offset_s: float = 0.0

    def should_fail(self, rng: random.Random) -> bool:
        return self.error_rate > 0 and rng.random() < self.error_rate

    def reset_point(self, rng: random.Random, body_length: int | None) -> int | None:
        """After how many body bytes this request's connection is reset, or None.

        ``reset_after_bytes`` alone resets every request that gets that far;
        with ``reset_rate`` only that share of requests is reset, at
        ``reset_after_bytes`` or, when unset, somewhere inside the body.
        """
        if self.reset_rate > 0:
            if rng.random() >= self.reset_rate:
                return None
            if self.reset_after_bytes is not None:
                return self.reset_after_bytes
            return rng.randrange(body_length) if body_length else 0
        return self.reset_after_bytes


class FaultSettings:
    """Mutable fault switches, safe to change from any thread while serving.

    - ``error_rate`` (0..1): share of requests answered with ``error_status``
      (500 InternalError or 503 SlowDown) instead of being served.
    - ``reset_after_bytes``: reset the connection (TCP RST) after reading that
      many request body bytes; ``reset_rate`` (0..1) limits it to a share of
      requests (and, without ``reset_after_bytes``, resets at a random point).
    - ``latency_s``: delay before each request is handled.
    - ``bandwidth_bytes_per_s``: read request bodies and write response bodies
      no faster than this.
    - ``clock_offset_s``: the server's clock runs this far from the real one
      (for testing a client's skew correction).
    - :meth:`fail_next_complete_with_error_body`: the next Complete Multipart
      Upload answers 200 with an ``<Error>`` body, as COS can.
    """

    _FIELDS = tuple(f.name for f in fields(FaultSnapshot))
    _lock: threading.Lock
    _values: FaultSnapshot
    _complete_errors: int

    def __init__(self) -> None:
        object.__setattr__(self, "_lock", threading.Lock())
        object.__setattr__(self, "_values", FaultSnapshot())
        object.__setattr__(self, "_complete_errors", 0)

    def __getattr__(self, name: str) -> Any:
        if name in FaultSettings._FIELDS:
            return getattr(self._values, name)
        raise AttributeError(name)

    def __setattr__(self, name: str, value: object) -> None:
        if name not in FaultSettings._FIELDS:
            raise AttributeError(f"no fault setting {name!r}")
        self.update(**{name: value})

    def update(self, **changes: object) -> None:
        """Change several settings at once (one request never sees half of it)."""
        unknown = set(changes) - set(FaultSettings._FIELDS)
        if unknown:
            raise AttributeError(f"no fault setting {sorted(unknown)}")
        if "error_status" in changes and changes["error_status"] not in (500, 503):
            raise ValueError("error_status must be 500 or 503")
        with self._lock:
            current = {name: getattr(self._values, name) for name in FaultSettings._FIELDS}
            current.update(changes)
            object.__setattr__(self, "_values", FaultSnapshot(**current))

    def reset(self) -> None:
        """Back to no faults at all."""
        with self._lock:
            object.__setattr__(self, "_values", FaultSnapshot())
            object.__setattr__(self, "_complete_errors", 0)

    def snapshot(self) -> FaultSnapshot:
        with self._lock:
            return self._values

    def fail_next_complete_with_error_body(self, count: int = 1) -> None:
        with self._lock:
            object.__setattr__(self, "_complete_errors", self._complete_errors + count)

    def take_complete_error(self) -> bool:
        with self._lock:
            if self._complete_errors <= 0:
                return False
            object.__setattr__(self, "_complete_errors", self._complete_errors - 1)
            return True
