"""Reading a credential server's answer and describing it, without a server."""

from __future__ import annotations

import pytest

from cosdesk.cos.credential_provider import describe_url, parse_temporary_keys, request_headers


def test_sts_sdk_answer_is_read_with_its_start_time() -> None:
    keys = parse_temporary_keys(
        {
            "credentials": {"tmpSecretId": "AKIDsts", "tmpSecretKey": "sts-key", "sessionToken": "tok"},
            "startTime": 1800000000,
            "expiredTime": 1800001800,
            "expiration": "2027-01-15T08:30:00Z",
        }
    )
    assert keys.credentials.secret_id == "AKIDsts" and keys.credentials.session_token == "tok"
    assert (keys.start_s, keys.expires_s) == (1800000000, 1800001800)


def test_flat_answer_of_the_js_sdk_callback_is_read_too() -> None:
    keys = parse_temporary_keys(
        {
            "TmpSecretId": "AKIDflat",
            "TmpSecretKey": "flat-key",
            "XCosSecurityToken": "tok",
            "ExpiredTime": 1900000000,
        }
    )
    assert (keys.credentials.secret_id, keys.credentials.session_token, keys.expires_s) == (
        "AKIDflat",
        "tok",
        1.9e9,
    )
    assert keys.start_s is None


def test_answer_without_a_token_names_the_missing_field_not_a_value() -> None:
    with pytest.raises(ValueError, match="sessionToken") as caught:
        parse_temporary_keys({"credentials": {"tmpSecretId": "AKIDx", "tmpSecretKey": "hidden-key"}})
    assert "hidden-key" not in str(caught.value)


def test_a_query_that_may_hold_a_secret_never_names_the_server() -> None:
    assert (
        describe_url("https://sts.example.com:8443/keys?token=hidden#x")
        == "https://sts.example.com:8443/keys"
    )


def test_extra_headers_are_name_value_lines() -> None:
    assert dict(request_headers("Authorization: Bearer a:b\n\nX-Team: ops")) == {
        "Authorization": "Bearer a:b",
        "X-Team": "ops",
    }
    with pytest.raises(ValueError, match="line 1") as caught:
        request_headers("Bearer secret-value")
    assert "secret-value" not in str(caught.value)
