"""The one place that says which errors are tried again, and after how long.

Two kinds of trying again, both decided here from exception types (never from
message text):

- ``is_retryable``: the same request is sent again within the same run, after
  ``RetryPolicy.delay_s`` (``call_with_retry``). Retried: network errors below
  HTTP except a certificate that fails verification, any 5xx answer, SlowDown,
  RequestTimeout, a skewed clock (``ClockSkewed``: the client re-signs with the
  server's time), and integrity mismatches (``IntegrityError``,
  ``CrcMismatchError``, ``BadDigest``: the bytes may have been damaged in
  flight), and a local read that timed out or lost its connection (a network
  share). Never retried: any other 4xx (the same request cannot succeed), a
  local file that cannot be read (``SourceError``), a pause or cancel.
- ``heals_by_itself``: a run that failed anyway is started again by the queue,
  later, without anyone changing anything: network failures (except TLS), 5xx
  answers, and a credential server that gave no temporary keys
  (``CredentialServerError``) unless it said no (``CredentialServerRefused``).
  The queue's settings say how long it waits.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from cosdesk.cos.errors import (
    BadDigest,
    ClockSkewed,
    CosError,
    CosNetworkError,
    CrcMismatchError,
    CredentialServerError,
    CredentialServerRefused,
    InternalError,
    NetworkErrorKind,
    RequestTimeout,
    ServiceUnavailable,
    SlowDown,
)
from cosdesk.engine.task import JobControl, TaskInterrupted

T = TypeVar("T")

# Answers worth sending the same request again (besides any 5xx status).
RETRIED_ANSWERS: tuple[type[CosError], ...] = (
    SlowDown,
    RequestTimeout,
    InternalError,
    ServiceUnavailable,
    ClockSkewed,
    CrcMismatchError,
    BadDigest,
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
    none retries at once).

    ``after_silence`` False: a request the server left a whole timeout without
    an answer is not sent again. For a question a person waits on (are these
    files already in the bucket?): each retry would wait as long, minutes in all.
    """

    max_retries: int = 3
    base_delay_s: float = 0.5
    max_delay_s: float = 20.0
    after_silence: bool = True

    def delay_s(self, retry_index: int, rng: random.Random | None = None) -> float:
        ceiling = min(self.max_delay_s, self.base_delay_s * (2**retry_index))
        return (rng or random).uniform(ceiling / 2, ceiling) if ceiling > 0 else 0.0

    def retries(self, error: BaseException) -> bool:
        """Whether ``error`` is sent again under this policy (retries left aside)."""
        if not self.after_silence and _timed_out(error):
            return False
        return is_retryable(error)


def _timed_out(error: BaseException) -> bool:
    return isinstance(error, CosNetworkError) and error.kind is NetworkErrorKind.TIMEOUT


def _network_may_heal(error: CosNetworkError) -> bool:
    # A certificate that fails verification does not get better by waiting.
    return error.kind is not NetworkErrorKind.TLS


def is_retryable(error: BaseException) -> bool:
    """Whether sending the same request again, now, may succeed."""
    if isinstance(error, TaskInterrupted):
        return False
    if isinstance(error, IntegrityError):
        return True
    if isinstance(error, CosNetworkError):
        return _network_may_heal(error)
    if isinstance(error, CosError):
        return error.status_code >= 500 or isinstance(error, RETRIED_ANSWERS)
    # A local read that failed this way (a network share) may work again; any
    # other local error (SourceError, a bug) must surface.
    return isinstance(error, (TimeoutError, ConnectionError))


def heals_by_itself(error: BaseException) -> bool:
    """Whether a run that failed with ``error`` may succeed if the queue starts
    it again later by itself: a network failure (not TLS), a 5xx answer, or a
    credential server that did not answer with keys. Never a 4xx refusal nor a
    local problem: those need someone to change something."""
    if isinstance(error, CredentialServerError):
        return not isinstance(error, CredentialServerRefused)
    if isinstance(error, CosNetworkError):
        return _network_may_heal(error)
    return isinstance(error, CosError) and error.status_code >= 500


def call_with_retry(
    operation: Callable[[], T],
    *,
    policy: RetryPolicy,
    control: JobControl | None = None,
    on_retry: Callable[[int, BaseException, float], None] | None = None,
) -> T:
    """Run ``operation`` until it succeeds, retrying the errors ``policy`` retries,
    up to ``policy.max_retries`` times. ``on_retry(retry_number, error, delay_s)`` runs
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
            if retry_index >= policy.max_retries or not policy.retries(error):
                raise
            delay = policy.delay_s(retry_index)
            retry_index += 1
            if on_retry is not None:
                on_retry(retry_index, error, delay)
            if control is not None:
                control.sleep(delay)
            else:
                time.sleep(delay)
