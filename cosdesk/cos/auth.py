"""COS request signing (``q-sign-algorithm=sha1``) and POST Object policy signing.

ARCHITECTURE.md, 'Signing', describes the algorithm. The same functions sign requests in
the client and verify them in the local server, so the two can never drift apart.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

# Headers COS's own SDK puts into the signature when they are sent; every
# ``x-cos-*`` header is signed too. Signing them means a proxy cannot alter them.
SIGNABLE_HEADERS = frozenset(
    {
        "cache-control",
        "content-disposition",
        "content-encoding",
        "content-length",
        "content-md5",
        "content-type",
        "expect",
        "expires",
        "host",
        "if-match",
        "if-modified-since",
        "if-none-match",
        "if-unmodified-since",
        "origin",
        "range",
        "transfer-encoding",
    }
)

# What cos_quote leaves as it is (ASCII letters and digits, not str.isalnum's).
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")

# Start the validity window a little in the past so a client clock that runs
# slightly ahead of the server's does not produce "not yet valid" signatures.
CLOCK_SKEW_ALLOWANCE_S = 60
DEFAULT_VALIDITY_S = 3600


@dataclass(frozen=True)
class Credentials:
    """A SecretId/SecretKey pair, plus the session token of temporary (STS) keys.

    The key and token never appear in ``repr``, so they cannot leak into logs
    or exception texts by accident.
    """

    secret_id: str
    secret_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)


def cos_quote(text: str) -> str:
    """Percent-encode as COS signs: UTF-8, upper-case hex, only ``-_.~`` and
    alphanumerics left as they are (``/`` and space are encoded, never ``+``)."""
    if _UNRESERVED.fullmatch(text):  # most header names and values: nothing to encode
        return text
    return quote(text.encode("utf-8"), safe="-_.~")


def should_sign_header(name: str) -> bool:
    lowered = name.lower()
    return lowered in SIGNABLE_HEADERS or lowered.startswith("x-cos-")


def make_key_time(
    now: float | None = None,
    validity_s: int = DEFAULT_VALIDITY_S,
    skew_allowance_s: int = CLOCK_SKEW_ALLOWANCE_S,
) -> str:
    start = int(time.time() if now is None else now) - skew_allowance_s
    return f"{start};{start + skew_allowance_s + validity_s}"


def _canonical_pairs(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return sorted((cos_quote(name).lower(), cos_quote(value)) for name, value in pairs)


def http_string(
    method: str,
    path: str,
    params: Iterable[tuple[str, str]],
    headers: Iterable[tuple[str, str]],
) -> str:
    """The canonical request text that gets hashed; ``path`` is the raw, decoded
    key with a leading ``/``."""
    param_text = "&".join(f"{name}={value}" for name, value in _canonical_pairs(params))
    header_text = "&".join(f"{name}={value}" for name, value in _canonical_pairs(headers))
    return f"{method.lower()}\n{path}\n{param_text}\n{header_text}\n"


def _hmac_sha1_hex(key: str, message: str) -> str:
    return hmac.new(key.encode("utf-8"), message.encode("utf-8"), hashlib.sha1).hexdigest()


def signature(secret_key: str, key_time: str, http_text: str) -> str:
    sign_key = _hmac_sha1_hex(secret_key, key_time)
    string_to_sign = f"sha1\n{key_time}\n{hashlib.sha1(http_text.encode('utf-8')).hexdigest()}\n"
    return _hmac_sha1_hex(sign_key, string_to_sign)


def authorization(
    credentials: Credentials,
    method: str,
    path: str,
    params: Mapping[str, str] | Iterable[tuple[str, str]],
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    *,
    key_time: str | None = None,
) -> str:
    """The ``Authorization`` header value for a request.

    ``params`` are all the query parameters (every one is signed, empty ones too);
    ``headers`` are the headers to sign, usually those for which
    :func:`should_sign_header` holds.
    """
    param_pairs = list(params.items() if isinstance(params, Mapping) else params)
    header_pairs = list(headers.items() if isinstance(headers, Mapping) else headers)
    key_time = key_time or make_key_time()
    sig = signature(credentials.secret_key, key_time, http_string(method, path, param_pairs, header_pairs))
    header_list = ";".join(sorted(cos_quote(name).lower() for name, _ in header_pairs))
    param_list = ";".join(sorted(cos_quote(name).lower() for name, _ in param_pairs))
    return (
        f"q-sign-algorithm=sha1&q-ak={credentials.secret_id}"
        f"&q-sign-time={key_time}&q-key-time={key_time}"
        f"&q-header-list={header_list}&q-url-param-list={param_list}"
        f"&q-signature={sig}"
    )


@dataclass(frozen=True)
class ParsedAuthorization:
    """The fields of an ``Authorization`` header, as the server reads them."""

    secret_id: str
    sign_time: str
    key_time: str
    header_list: tuple[str, ...]
    param_list: tuple[str, ...]
    signature: str

    def window(self) -> tuple[int, int]:
        """The key time as ``(start, end)`` Unix seconds; raises ValueError if malformed."""
        start_text, end_text = self.key_time.split(";")
        return int(start_text), int(end_text)


def parse_authorization(value: str) -> ParsedAuthorization:
    """Split an ``Authorization`` header; raises ValueError when a field is missing."""
    fields: dict[str, str] = {}
    for item in value.split("&"):
        name, sep, field_value = item.partition("=")
        if sep:
            fields[name.strip()] = field_value.strip()
    try:
        if fields["q-sign-algorithm"] != "sha1":
            raise ValueError("unsupported q-sign-algorithm")
        return ParsedAuthorization(
            secret_id=fields["q-ak"],
            sign_time=fields.get("q-sign-time", fields["q-key-time"]),
            key_time=fields["q-key-time"],
            header_list=tuple(n for n in fields.get("q-header-list", "").split(";") if n),
            param_list=tuple(n for n in fields.get("q-url-param-list", "").split(";") if n),
            signature=fields["q-signature"],
        )
    except KeyError as missing:
        raise ValueError(f"Authorization lacks {missing.args[0]}") from None


def signatures_match(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode("ascii", "replace"), given.encode("ascii", "replace"))


# --- POST Object (form upload) -------------------------------------------------


def post_policy(
    bucket: str,
    key: str,
    *,
    expiration_epoch_s: float,
    key_time: str,
    secret_id: str,
    extra_conditions: Iterable[object] = (),
) -> str:
    """The policy JSON of a form upload that allows exactly ``bucket``/``key``."""
    expiration = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(expiration_epoch_s))
    conditions: list[object] = [
        {"bucket": bucket},
        {"key": key},
        {"q-sign-algorithm": "sha1"},
        {"q-ak": secret_id},
        {"q-sign-time": key_time},
        *extra_conditions,
    ]
    return json.dumps({"expiration": expiration, "conditions": conditions}, ensure_ascii=False)


def post_policy_signature(secret_key: str, key_time: str, policy_json: str) -> str:
    """``q-signature`` of a form upload: HMAC-SHA1(SignKey, hex(SHA1(policy JSON)))."""
    sign_key = _hmac_sha1_hex(secret_key, key_time)
    return _hmac_sha1_hex(sign_key, hashlib.sha1(policy_json.encode("utf-8")).hexdigest())


def encode_policy(policy_json: str) -> str:
    return base64.b64encode(policy_json.encode("utf-8")).decode("ascii")
