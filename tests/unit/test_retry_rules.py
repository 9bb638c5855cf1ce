"""The one retry rule (cosdesk.engine.retry): which errors are sent again at once,
which ones the queue starts again later by itself, and how long each retry waits.
Errors are built the way the client builds them from an answer (CosError.create),
so the table checks the types the engine really sees."""

from __future__ import annotations

import random

import pytest

from cosdesk.cos.errors import (
    CosBodyError,
    CosError,
    CosNetworkError,
    CosValidationError,
    CredentialServerError,
    CredentialServerRefused,
    NetworkErrorKind,
)
from cosdesk.engine.integrity import SourceError
from cosdesk.engine.retry import IntegrityError, RetryPolicy, heals_by_itself, is_retryable
from cosdesk.engine.task import StopReason, TaskInterrupted
from cosdesk.engine.workers import describe_error


def answer(status: int, code: str | None, message: str = "m") -> CosError:
    return CosError.create(status, code, message)


def network(kind: NetworkErrorKind) -> CosNetworkError:
    return CosNetworkError("x", kind=kind, host="h:1")


# (error, sent again within the run, started again later by the queue)
RULES: list[tuple[str, BaseException, bool, bool]] = [
    ("500 InternalError", answer(500, "InternalError"), True, True),
    ("503 ServiceUnavailable", answer(503, "ServiceUnavailable"), True, True),
    ("503 SlowDown", answer(503, "SlowDown"), True, True),
    ("502 without an error document", answer(502, None), True, True),
    ("500 with an unknown code", answer(500, "BrandNewCode"), True, True),
    ("400 RequestTimeout", answer(400, "RequestTimeout"), True, False),
    ("403 RequestTimeTooSkewed", answer(403, "RequestTimeTooSkewed"), True, False),
    ("403 AccessDenied Request has expired", answer(403, "AccessDenied", "Request has expired"), True, False),
    ("400 BadDigest", answer(400, "BadDigest"), True, False),
    ("200 with a CRC-64 that differs", answer(200, "Crc64Mismatch"), True, False),
    ("our CRC-64 or MD5 check failed", IntegrityError("crc"), True, False),
    ("connection refused", network(NetworkErrorKind.CONNECTION_REFUSED), True, True),
    ("connection reset", network(NetworkErrorKind.CONNECTION_RESET), True, True),
    ("timeout", network(NetworkErrorKind.TIMEOUT), True, True),
    ("name resolution", network(NetworkErrorKind.DNS), True, True),
    ("certificate refused", network(NetworkErrorKind.TLS), False, False),
    ("credential server down or answering 5xx", CredentialServerError("down"), False, True),
    ("credential server saying no (401)", CredentialServerRefused("HTTP 401"), False, False),
    ("403 AccessDenied", answer(403, "AccessDenied"), False, False),
    ("403 AccessDenied in other words", answer(403, "AccessDenied", "key expired"), False, False),
    ("403 SignatureDoesNotMatch", answer(403, "SignatureDoesNotMatch"), False, False),
    ("404 NoSuchUpload", answer(404, "NoSuchUpload"), False, False),
    ("404 NoSuchBucket", answer(404, "NoSuchBucket"), False, False),
    ("400 InvalidArgument", answer(400, "InvalidArgument"), False, False),
    ("400 EntityTooSmall", answer(400, "EntityTooSmall"), False, False),
    ("refused before sending", CosValidationError("bad part number"), False, False),
    ("body shrank while sent", CosBodyError("short"), False, False),
    ("local file unreadable", SourceError("cannot read readme.txt: Permission denied"), False, False),
    ("local read timed out (a network share)", TimeoutError("slow share"), True, False),
    ("local read lost its connection", ConnectionResetError("share gone"), True, False),
    ("a bug", KeyError("oops"), False, False),
    ("paused", TaskInterrupted(StopReason.PAUSE), False, False),
    ("canceled", TaskInterrupted(StopReason.CANCEL), False, False),
]


@pytest.mark.parametrize(("error", "retried"), [(e, r) for _, e, r, _ in RULES], ids=[n for n, *_ in RULES])
def test_errors_sent_again_within_a_run(error: BaseException, retried: bool) -> None:
    assert is_retryable(error) is retried


@pytest.mark.parametrize(("error", "later"), [(e, h) for _, e, _, h in RULES], ids=[n for n, *_ in RULES])
def test_failed_runs_the_queue_starts_again_by_itself(error: BaseException, later: bool) -> None:
    assert heals_by_itself(error) is later


@pytest.mark.parametrize(("error", "later"), [(e, h) for _, e, _, h in RULES], ids=[n for n, *_ in RULES])
def test_a_task_error_carries_the_rules_decision(error: BaseException, later: bool) -> None:
    assert describe_error(error).transient is later


def test_the_decision_never_reads_message_text() -> None:
    # Same type and status, any words: the same decision.
    for message in ("read failed", "Request has expired soon", "timeout", ""):
        assert not is_retryable(answer(403, "SignatureDoesNotMatch", message))
        assert is_retryable(answer(503, "SlowDown", message))


@pytest.mark.parametrize(
    ("retry_index", "low", "high"),
    [(0, 0.25, 0.5), (1, 0.5, 1.0), (2, 1.0, 2.0), (3, 2.0, 4.0), (6, 10.0, 20.0), (10, 10.0, 20.0)],
)
def test_each_retry_waits_between_half_and_all_of_a_doubling_ceiling(
    retry_index: int, low: float, high: float
) -> None:
    policy = RetryPolicy()  # 0.5 s doubling, at most 20 s
    rng = random.Random(retry_index)
    delays = [policy.delay_s(retry_index, rng) for _ in range(200)]
    assert all(low <= delay <= high for delay in delays)
    assert max(delays) - min(delays) > (high - low) / 4  # jittered, not one fixed wait


def test_a_zero_base_delay_retries_at_once() -> None:
    assert RetryPolicy(base_delay_s=0.0).delay_s(3) == 0.0


def test_a_policy_for_a_person_waiting_does_not_ask_a_silent_server_again() -> None:
    waiting = RetryPolicy(after_silence=False)
    assert not waiting.retries(network(NetworkErrorKind.TIMEOUT))
    # Failures that come fast are still tried again, as under any policy.
    assert waiting.retries(network(NetworkErrorKind.CONNECTION_RESET))
    assert waiting.retries(answer(503, "ServiceUnavailable"))
    assert RetryPolicy().retries(network(NetworkErrorKind.TIMEOUT))
