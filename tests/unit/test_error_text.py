"""How a failure reads in the window: the explanation in the window's language, the
system message as it was said and labelled as such, never run together; sizes
under their binary names; durations of quick uploads not rounded to nothing."""

from __future__ import annotations

import pytest

from cosdesk.cos.errors import CosNetworkError, CosTimeoutError, NetworkErrorKind
from cosdesk.engine.task import TaskError
from cosdesk.engine.workers import describe_error as task_error_of
from cosdesk.ui.formatting import (
    describe_error,
    error_tooltip,
    explain_error,
    format_elapsed,
    format_size,
    size_unit,
    system_message,
)

DENIED = TaskError("AccessDenied", "Access Denied.", 403, "NjVhYmNk")
ODD = TaskError("InvalidBucketState", "The bucket is being deleted.", 409)


def test_a_known_code_is_explained_and_the_system_message_kept_apart() -> None:
    assert explain_error(DENIED).startswith("The account is not allowed to write here.")
    assert system_message(DENIED) == "AccessDenied (403): Access Denied. [request id NjVhYmNk]"
    assert describe_error(DENIED, short=True) == explain_error(DENIED)
    explanation, labelled = describe_error(DENIED).split("\n")
    assert explanation == explain_error(DENIED)
    assert labelled == "System message: AccessDenied (403): Access Denied. [request id NjVhYmNk]"
    assert "(Access Denied.)" not in describe_error(DENIED)


def test_an_unknown_code_is_named_not_passed_off_as_an_explanation() -> None:
    assert explain_error(ODD) == "The upload failed (InvalidBucketState)."
    assert "The bucket is being deleted." in describe_error(ODD).split("\n")[1]


def test_a_network_failure_is_explained_truly_for_a_silent_server_and_a_refusal_alike() -> None:
    # A server that took the connection and then said nothing was "could not be
    # reached"; in the duplicates question, "the upload can be resumed" was said
    # of a bucket listing. The system message beside it tells which failure it was.
    silent = task_error_of(
        CosTimeoutError(
            "timed out waiting for 127.0.0.1:9000 to answer (nothing for 60 s)",
            kind=NetworkErrorKind.TIMEOUT,
            host="127.0.0.1:9000",
        )
    )
    refused = task_error_of(
        CosNetworkError(
            "could not connect to 127.0.0.1:9: connection refused",
            kind=NetworkErrorKind.CONNECTION_REFUSED,
            host="127.0.0.1:9",
        )
    )
    assert silent.code == refused.code == "NetworkError"
    explanation = "The connection to the server failed, or the server stopped answering. Check the network."
    assert explain_error(silent) == explain_error(refused) == explanation
    assert "timed out waiting for 127.0.0.1:9000 to answer" in describe_error(silent).split("\n")[1]


def test_the_error_tooltip_tells_explanation_system_message_and_note() -> None:
    tip = error_tooltip(DENIED, "waiting for the network")
    assert tip is not None
    assert tip.split("\n\n") == [
        explain_error(DENIED),
        f"System message: {system_message(DENIED)}",
        "waiting for the network",
    ]
    assert error_tooltip(None, "the key already exists; skipped") == "the key already exists; skipped"
    assert error_tooltip(None) is None


@pytest.mark.parametrize(
    ("byte_count", "shown"),
    [(512, "512 B"), (1536, "1.5 KiB"), (1_572_864, "1.5 MiB"), (3 * 1024**3, "3.0 GiB")],
)
def test_sizes_carry_their_binary_names(byte_count: int, shown: str) -> None:
    assert format_size(byte_count) == shown


def test_size_unit_names_only_the_binary_units() -> None:
    assert size_unit("MiB") == "MiB"
    with pytest.raises(ValueError):
        size_unit("MB")


def test_a_quick_upload_takes_tenths_of_a_second_not_zero() -> None:
    assert format_elapsed(0.42) == "0.4 s"
    assert format_elapsed(0.006) == "under 0.1 s"  # not "0.0 s" beside its speed
    assert format_elapsed(59.0) == "59.0 s"
    assert format_elapsed(62) == "1:02"
    assert format_elapsed(3723) == "1:02:03"
