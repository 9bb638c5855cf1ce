"""Bucket, region and custom endpoints to URLs; names validated with clear messages."""

from __future__ import annotations

import pytest

from cosdesk.cos.endpoint import (
    Endpoint,
    EndpointHints,
    endpoint_hints,
    quote_key,
    validate_bucket,
    validate_region,
    with_scheme,
)
from cosdesk.cos.errors import CosValidationError

BUCKET = "examplebucket-1250000000"


def test_cos_endpoint_is_virtual_host_https_by_default() -> None:
    endpoint = Endpoint.cos("ap-guangzhou")
    assert endpoint.url_for(BUCKET, "a/b.txt") == f"https://{BUCKET}.cos.ap-guangzhou.myqcloud.com/a/b.txt"
    assert endpoint.host_for(BUCKET) == f"{BUCKET}.cos.ap-guangzhou.myqcloud.com"


def test_accelerate_endpoint() -> None:
    endpoint = Endpoint.cos("ap-beijing", accelerate=True)
    assert endpoint.url_for(BUCKET, "k") == f"https://{BUCKET}.cos.accelerate.myqcloud.com/k"


def test_http_scheme_is_allowed_explicitly() -> None:
    assert Endpoint.cos("ap-beijing", scheme="http").url_for(BUCKET, "k").startswith("http://")


def test_custom_path_style_endpoint_puts_bucket_in_path() -> None:
    endpoint = Endpoint.custom("http://127.0.0.1:8080")
    assert endpoint.url_for(BUCKET, "k 1") == f"http://127.0.0.1:8080/{BUCKET}/k%201"
    assert endpoint.url_for(BUCKET, None, "uploads") == f"http://127.0.0.1:8080/{BUCKET}/?uploads"
    assert endpoint.host_for(BUCKET) == "127.0.0.1:8080"


def test_custom_virtual_host_endpoint_prefixes_bucket() -> None:
    endpoint = Endpoint.custom("https://cos.example.internal/", path_style=False, region="ap-guangzhou")
    assert endpoint.url_for(BUCKET, "k") == f"https://{BUCKET}.cos.example.internal/k"


def test_custom_endpoint_with_base_path() -> None:
    endpoint = Endpoint.custom("https://gateway.example/storage/")
    assert endpoint.url_for(BUCKET, "k") == f"https://gateway.example/storage/{BUCKET}/k"


def test_keys_are_percent_encoded_and_dot_segments_protected() -> None:
    assert quote_key("a b/c+d%e?f#g~h") == "a%20b/c%2Bd%25e%3Ff%23g~h"
    assert quote_key("中") == "%E4%B8%AD"
    assert quote_key("../x/./y/..") == "%2E%2E/x/%2E/y/%2E%2E"
    assert quote_key("a..b/.hidden") == "a..b/.hidden"
    assert quote_key("line\nbreak") == "line%0Abreak"


@pytest.mark.parametrize(
    "region", ["ap-guangzhou", "ap-shanghai-fsi", "na-siliconvalley", "ap-beijing-1", "eu-frankfurt"]
)
def test_valid_regions(region: str) -> None:
    assert validate_region(region) == region


@pytest.mark.parametrize(
    "region", ["", "guangzhou", "AP-GUANGZHOU", "ap_guangzhou", "ap-guangzhou.evil.com", "ap-"]
)
def test_invalid_regions_are_refused_with_an_example(region: str) -> None:
    with pytest.raises(CosValidationError, match="region"):
        Endpoint.cos(region)


@pytest.mark.parametrize("bucket", [BUCKET, "a-1", "my-bucket-2-1250000000"])
def test_valid_buckets(bucket: str) -> None:
    assert validate_bucket(bucket) == bucket


@pytest.mark.parametrize(
    "bucket",
    ["", "examplebucket", "Example-1250000000", "bucket_x-125", "bucket-", "-1250000000", "a" * 60 + "-1"],
)
def test_invalid_buckets_are_refused(bucket: str) -> None:
    with pytest.raises(CosValidationError, match="bucket"):
        validate_bucket(bucket)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://host",
        "127.0.0.1:8080",
        "http://",
        "http://host?x=1",
        "http://user:pw@host",
        "http://host:notaport",
    ],
)
def test_malformed_custom_endpoints_are_refused(url: str) -> None:
    with pytest.raises(CosValidationError):
        Endpoint.custom(url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost:9000", "http://[::1]:9000"])
def test_a_host_without_sub_domains_is_always_path_style(url: str) -> None:
    endpoint = Endpoint.custom(url, path_style=False)
    assert endpoint.path_style
    assert endpoint.url_for(BUCKET, "k") == f"{url}/{BUCKET}/k"


@pytest.mark.parametrize(
    ("typed", "hints"),
    [
        ("http://127.0.0.1:8080", EndpointHints("http", True)),
        ("HTTPS://10.1.2.3", EndpointHints("https", True)),
        ("https://cos.example.internal", EndpointHints("https", False)),
        ("localhost:9000", EndpointHints(None, True)),
        ("cos.example.internal", EndpointHints(None, False)),
        ("http://[::1", EndpointHints("http", False)),  # half typed
        ("", EndpointHints(None, False)),
    ],
)
def test_endpoint_hints_read_the_scheme_and_whether_path_style_is_needed(
    typed: str, hints: EndpointHints
) -> None:
    assert endpoint_hints(typed) == hints


def test_an_endpoint_typed_without_a_scheme_gets_the_chosen_one() -> None:
    assert with_scheme(" 127.0.0.1:9000 ", use_https=False) == "http://127.0.0.1:9000"
    assert with_scheme("cos.example.internal", use_https=True) == "https://cos.example.internal"
    assert with_scheme("http://cos.example.internal", use_https=True) == "http://cos.example.internal"
    assert with_scheme("", use_https=True) == ""


def test_the_bucket_list_is_asked_of_cos_service_host_or_the_custom_endpoint_itself() -> None:
    assert Endpoint.cos("ap-beijing").service_url() == "https://service.cos.myqcloud.com/"
    assert Endpoint.cos("ap-beijing", accelerate=True).service_host() == "service.cos.myqcloud.com"
    assert Endpoint.custom("http://127.0.0.1:9000").service_url("max-keys=2") == (
        "http://127.0.0.1:9000/?max-keys=2"
    )
    assert Endpoint.custom("https://s3.example.internal/cos", path_style=False).service_url() == (
        "https://s3.example.internal/cos/"
    )
