"""The engine's one retry helper: exponential backoff with jitter.

Retried: network errors (refused, reset, timeouts), 5xx answers, SlowDown,
RequestTimeout, a skewed clock (RequestTimeTooSkewed, or AccessDenied "Request
has expired": the client re-signs with a corrected clock), and integrity
mismatches (a CRC-64 that differs may be a corrupted transfer). Never retried:
any other 4xx — sending the same request again cannot succeed.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from cosdesk.cos.errors import CosError, CosException, CosNetworkError
from cosdesk.engine.task import JobControl, TaskInterrupted

T = TypeVar("T")

SKEW_CODES = frozenset({"RequestTimeTooSkewed"})
RETRYABLE_CODES = frozenset(
    {"SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable", "Crc64Mismatch", "BadDigest"}
)


class IntegrityError(Exception):
    """What we sent and what the server says it stored differ (CRC-64 or MD5).
    Retryable: the bytes may have been damaged in flight."""

    code = "Crc64Mismatch"

    def __init__(self, message: str, *, code: str = "Crc64Mismatch") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class RetryPolicy:
    """``max_retries`` retries after the first attempt; retry n (from 0) waits a
    random time in ``[c/2, c]`` with ``c = min(max_delay_s, base_delay_s * 2**n)``
    ("equal jitter": workers that failed together do not retry together, and
    none retries at once)."""

    max_retries: int = 3
    base_delay_s: float = 0.5
    max_delay_s: float = 20.0

    def delay_s(self, retry_index: int, rng: random.Random | None = None) -> float:
        ceiling = min(self.max_delay_s, self.base_delay_s * (2**retry_index))
        return (rng or random).uniform(ceiling / 2, ceiling) if ceiling > 0 else 0.0


def is_skew_error(error: BaseException) -> bool:
    if not isinstance(error, CosError):
        return False
    return error.code in SKEW_CODES or (
        error.code == "AccessDenied" and "request has expired" in (error.message or "").lower()
    )


def is_retryable(error: BaseException) -> bool:
    """Whether sending the same request again may succeed."""
    if isinstance(error, TaskInterrupted):
        return False
    if isinstance(error, IntegrityError):
        return True
    if isinstance(error, CosNetworkError):
        return error.retryable
    if isinstance(error, CosError):
        if error.status_code >= 500 or error.code in RETRYABLE_CODES:
            return True
        return is_skew_error(error)
    if isinstance(error, CosException):
        return error.retryable
    # A file read that failed (the disk, a network share) may work again; anything
    # else is a bug and must surface.
    return isinstance(error, (TimeoutError, ConnectionError))


def call_with_retry(
    operation: Callable[[], T],
    *,
    policy: RetryPolicy,
    control: JobControl | None = None,
    on_retry: Callable[[int, BaseException, float], None] | None = None,
) -> T:
    """Run ``operation`` until it succeeds, retrying retryable errors up to
    ``policy.max_retries`` times. ``on_retry(retry_number, error, delay_s)`` runs
    before each wait (the caller rewinds its progress there). The wait stops
    early, raising TaskInterrupted, when ``control`` is stopped. The last error
    propagates unchanged."""
    retry_index = 0
    while True:
        if control is not None:
            control.check()
        try:
            return operation()
        except BaseException as error:
            if retry_index >= policy.max_retries or not is_retryable(error):
                raise
            delay = policy.delay_s(retry_index)
            retry_index += 1
            if on_retry is not None:
                on_retry(retry_index, error, delay)
            if control is not None:
                control.sleep(delay)
            else:
                time.sleep(delay)
