"""Which bucket and key a request is about, and its query parameters.

COS SDKs put the bucket in the Host header (``{bucket}.cos.{region}.myqcloud.com``)
even when they connect to an IP; a custom endpoint may use path style
(``/{bucket}/{key}``); and the SDKs' Domain mode sends neither, which leaves
the server's default bucket.

A request may also name no bucket at all (``Target.bucket == ""``): GET Service,
COS's "list my buckets", is sent to ``service.cos.myqcloud.com`` (or
``service.cos.tencentcos.cn``), and S3 tools send it as ``GET /`` to a
path-style endpoint.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import unquote_plus, unquote_to_bytes, urlsplit

from cosdesk.sandbox.errors import CosServerError

BUCKET_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?-[0-9]+$")
# What surely names a bucket in a path, not a key: real APPIDs have 10 digits
# (a Domain-mode key such as "backup-2024/x" must still reach the default bucket).
PATH_BUCKET_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?-[0-9]{10}$")


# The parameters of GET Service (COS's and S3's ListBuckets). A "GET /" carrying
# only these asks for the bucket list even where a default bucket exists; any
# other (prefix, delimiter, encoding-type, uploads, …) is about the default bucket.
SERVICE_PARAMS = frozenset(
    {
        "marker",
        "max-keys",
        "tagkey",
        "tagvalue",
        "region",
        "create-time",
        "range",
        "max-buckets",
        "continuation-token",
        "bucket-region",
        "x-id",
    }
)


@dataclass(frozen=True)
class Target:
    # "" when the request names no bucket (GET Service); None when it names one
    # this server cannot tell (no default bucket to fall back on).
    bucket: str | None
    key: str
    # Paths a client may have signed: "/" + key, and for path style also "/{bucket}/{key}".
    signed_paths: tuple[str, ...]
    virtual_host: bool


def parse_query(raw_query: str) -> list[tuple[str, str]]:
    """Query pairs, decoded; a bare name (``?uploads``) has the value ``""``.

    ``+`` means space, as the Python SDK (through requests) encodes it;
    ``%20`` (the Node SDK) decodes to the same.
    """
    pairs = []
    for item in raw_query.split("&"):
        if not item:
            continue
        name, _, value = item.partition("=")
        pairs.append((unquote_plus(name), unquote_plus(value)))
    return pairs


def split_request_target(target: str) -> tuple[str, str]:
    """``(raw path, raw query)`` of a request line's target (origin or absolute form)."""
    if target.startswith(("http://", "https://")):
        parts = urlsplit(target)
        return parts.path or "/", parts.query
    path, _, query = target.partition("?")
    return path or "/", query


def decode_path(raw: str) -> str:
    try:
        return unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise CosServerError(400, "InvalidURI", "Couldn't parse the specified URI.") from None


def _host_name(host_header: str) -> str:
    host = host_header.strip().lower()
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def is_service_host(host_header: str) -> bool:
    """Whether Host names COS's service endpoint (GET Service), not a bucket."""
    return _host_name(host_header).startswith("service.cos.")


def host_bucket(host_header: str) -> str | None:
    """The bucket a virtual-host style Host names (``{bucket}.anything``), if any."""
    if host_header.strip().startswith("["):
        return None  # an IPv6 literal
    host = _host_name(host_header)
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    first, dot, _ = host.partition(".")
    if dot and BUCKET_NAME.match(first):
        return first
    return None


def resolve(
    host_header: str,
    raw_path: str,
    *,
    is_known_bucket: Callable[[str], bool],
    default_bucket: str | None,
    auto_create: bool,
    method: str = "",
    query: Sequence[tuple[str, str]] = (),
) -> Target:
    """The bucket and key of a request (the bucket may be unknown, "" or None).

    ``method`` and ``query`` tell a path-style ``GET /`` for GET Service from a
    Domain-mode listing of the default bucket; without them such a request goes
    to the default bucket.
    """
    if not raw_path.startswith("/"):
        raw_path = "/" + raw_path
    if is_service_host(host_header):
        key = decode_path(raw_path[1:])
        return Target("", key, ("/" + key,), True)
    bucket = host_bucket(host_header)
    if bucket is not None:
        key = decode_path(raw_path[1:])
        return Target(bucket, key, ("/" + key,), True)
    if raw_path == "/" and (
        default_bucket is None or (method == "GET" and all(name in SERVICE_PARAMS for name, _ in query))
    ):
        return Target("", "", ("/",), False)
    first_raw, slash, rest_raw = raw_path[1:].partition("/")
    first = decode_path(first_raw)
    path_style = (
        is_known_bucket(first)
        or (BUCKET_NAME.match(first) is not None and auto_create)
        or PATH_BUCKET_NAME.match(first) is not None
    )
    if not path_style and default_bucket is not None:
        key = decode_path(raw_path[1:])
        return Target(default_bucket, key, ("/" + key,), False)
    if path_style or BUCKET_NAME.match(first):
        key = decode_path(rest_raw)
        return Target(first, key, ("/" + key, f"/{first}/{key}" if slash else f"/{first}"), False)
    return Target(None, decode_path(raw_path[1:]), ("/" + decode_path(raw_path[1:]),), False)
