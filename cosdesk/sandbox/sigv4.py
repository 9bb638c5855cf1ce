"""AWS Signature Version 4 (``AWS4-HMAC-SHA256``), as COS accepts it with the same keys.

Two forms: the ``Authorization`` header (with ``x-amz-date`` and
``x-amz-content-sha256``) and the presigned URL (``X-Amz-*`` query parameters,
payload ``UNSIGNED-PAYLOAD``). The canonical request is built from the request
target as the client sent it: the encoded path (S3 does not normalise it) and
the raw query, each parameter decoded and re-encoded the one way the
specification allows.

A hex ``x-amz-content-sha256`` is signed like any other header, but the body is
not hashed against it here: the operations stream bodies to disk after this
check, and Content-MD5 and the ETag are how COS clients check what arrived.

This module only reads and checks signatures; who owns a SecretId, and whether
the request time is acceptable, is the caller's business.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote, unquote_plus

from cosdesk.sandbox.errors import CosServerError, access_denied

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "s3"
TERMINATOR = "aws4_request"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
# A presigned URL may live at most a week.
MAX_PRESIGNED_EXPIRES_S = 7 * 24 * 3600
# What every presigned URL carries (X-Amz-Security-Token only with temporary keys).
PRESIGNED_PARAMS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
)
_AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
_HEX_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class SignedRequest:
    """What a SigV4 request claims: who signed it, when, over which headers."""

    secret_id: str
    scope_date: str  # YYYYMMDD, the day in the credential scope
    region: str
    amz_date: str  # YYYYMMDDTHHMMSSZ, the time in the string to sign
    signed_headers: tuple[str, ...]
    signature: str
    payload_hash: str
    security_token: str | None
    # Set for a presigned URL: how long after ``amz_date`` it stays valid.
    expires_s: int | None

    @property
    def scope(self) -> str:
        return f"{self.scope_date}/{self.region}/{SERVICE}/{TERMINATOR}"

    @property
    def signed_at(self) -> float:
        """``amz_date`` as Unix seconds."""
        return float(calendar.timegm(time.strptime(self.amz_date, _AMZ_DATE_FORMAT)))

    @property
    def presigned(self) -> bool:
        return self.expires_s is not None


def is_sigv4(authorization: str | None, query: Iterable[tuple[str, str]]) -> bool:
    """Whether a request is signed with SigV4: an ``AWS4-HMAC-SHA256`` Authorization
    header, or (with no Authorization header) a presigned URL's ``X-Amz-Signature``."""
    if authorization:
        return authorization.lstrip().startswith(ALGORITHM)
    return any(name == "X-Amz-Signature" for name, _ in query)


def first_value(headers: dict[str, list[str]], name: str) -> str | None:
    """The first value of a (lower-case) header, if it was sent."""
    values = headers.get(name)
    return values[0] if values else None


def malformed(reason: str) -> CosServerError:
    return access_denied(f"The AWS Signature Version 4 authorization is malformed: {reason}.")


def uri_encode(text: str, *, keep_slash: bool = False) -> str:
    """Percent-encode as SigV4 does: UTF-8, upper-case hex, only ``A-Za-z0-9-_.~``
    (and ``/`` in a path) left as they are."""
    return quote(text.encode("utf-8"), safe="-_.~/" if keep_slash else "-_.~")


# --- reading the request ---------------------------------------------------------


def _parse_credential(credential: str) -> tuple[str, str, str]:
    """``(secret id, scope date, region)`` of ``AKID/date/region/s3/aws4_request``."""
    pieces = credential.rsplit("/", 4)
    if len(pieces) != 5 or not pieces[0]:
        raise malformed("the Credential is not AccessKeyId/date/region/service/aws4_request")
    secret_id, scope_date, region, service, terminator = pieces
    if service != SERVICE:
        raise malformed(f"the credential scope names service {service!r}, not {SERVICE!r}")
    if terminator != TERMINATOR:
        raise malformed(f"the credential scope must end in {TERMINATOR}")
    if not re.fullmatch(r"[0-9]{8}", scope_date) or not region:
        raise malformed("the credential scope has no valid date or region")
    return secret_id, scope_date, region


def _checked_amz_date(amz_date: str, scope_date: str) -> str:
    try:
        time.strptime(amz_date, _AMZ_DATE_FORMAT)
    except ValueError:
        raise access_denied("AWS authentication requires a valid Date or x-amz-date header.") from None
    if amz_date[:8] != scope_date:
        raise malformed("the credential date is not the day of X-Amz-Date")
    return amz_date


def _signed_header_names(text: str) -> tuple[str, ...]:
    names = tuple(name.strip().lower() for name in text.split(";") if name.strip())
    if "host" not in names:
        raise malformed("SignedHeaders must include host")
    return names


def _checked_payload_hash(value: str | None) -> str:
    if value is None:
        raise CosServerError(
            400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256."
        )
    if value == UNSIGNED_PAYLOAD or value.startswith("STREAMING-") or _HEX_SHA256.match(value):
        return value
    raise CosServerError(
        400,
        "InvalidArgument",
        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-..., or a valid sha256 value.",
    )


def read_header_form(authorization: str, headers: dict[str, list[str]]) -> SignedRequest:
    """The claims of ``Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…``."""
    algorithm, _, rest = authorization.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise malformed(f"the algorithm must be {ALGORITHM}")
    fields: dict[str, str] = {}
    for item in rest.split(","):
        name, equals, value = item.strip().partition("=")
        if equals:
            fields[name.strip()] = value.strip()
    missing = [name for name in ("Credential", "SignedHeaders", "Signature") if not fields.get(name)]
    if missing:
        raise malformed(f"{missing[0]} is missing")
    secret_id, scope_date, region = _parse_credential(fields["Credential"])
    token = first_value(headers, "x-amz-security-token")
    return SignedRequest(
        secret_id=secret_id,
        scope_date=scope_date,
        region=region,
        amz_date=_checked_amz_date((first_value(headers, "x-amz-date") or "").strip(), scope_date),
        signed_headers=_signed_header_names(fields["SignedHeaders"]),
        signature=fields["Signature"],
        payload_hash=_checked_payload_hash(first_value(headers, "x-amz-content-sha256")),
        security_token=token.strip() if token else None,
        expires_s=None,
    )


def read_query_form(query: Sequence[tuple[str, str]]) -> SignedRequest:
    """The claims of a presigned URL's ``X-Amz-*`` parameters (decoded)."""
    values = dict(query)
    for name in PRESIGNED_PARAMS:
        if not values.get(name):
            raise malformed(f"{name} is missing")
    if values["X-Amz-Algorithm"] != ALGORITHM:
        raise malformed(f"X-Amz-Algorithm must be {ALGORITHM}")
    secret_id, scope_date, region = _parse_credential(values["X-Amz-Credential"])
    try:
        expires_s = int(values["X-Amz-Expires"])
    except ValueError:
        raise malformed("X-Amz-Expires is not a number") from None
    if not 1 <= expires_s <= MAX_PRESIGNED_EXPIRES_S:
        raise CosServerError(
            400,
            "AuthorizationQueryParametersError",
            f"X-Amz-Expires must be between 1 and {MAX_PRESIGNED_EXPIRES_S} seconds.",
        )
    return SignedRequest(
        secret_id=secret_id,
        scope_date=scope_date,
        region=region,
        amz_date=_checked_amz_date(values["X-Amz-Date"], scope_date),
        signed_headers=_signed_header_names(values["X-Amz-SignedHeaders"]),
        signature=values["X-Amz-Signature"],
        # A presigned URL cannot know the body it will carry, unless it says so.
        payload_hash=values.get("X-Amz-Content-Sha256") or UNSIGNED_PAYLOAD,
        security_token=values.get("X-Amz-Security-Token") or None,
        expires_s=expires_s,
    )


def read_request(
    authorization: str | None, query: Sequence[tuple[str, str]], headers: dict[str, list[str]]
) -> SignedRequest:
    """The claims of a SigV4 request in either form (see :func:`is_sigv4`)."""
    if authorization:
        return read_header_form(authorization, headers)
    return read_query_form(query)


# --- the canonical request -------------------------------------------------------


def canonical_query(raw_query: str, *, plus_is_space: bool = False, drop: str | None = None) -> str:
    """Every parameter of the raw query, decoded and re-encoded, sorted by name
    then value; a bare name (``?uploads``) has the empty value. ``drop`` leaves
    out one parameter (a presigned URL's own ``X-Amz-Signature``)."""
    decode = unquote_plus if plus_is_space else unquote
    pairs = []
    for item in raw_query.split("&"):
        if not item:
            continue
        raw_name, _, raw_value = item.partition("=")
        name = decode(raw_name)
        if name == drop:
            continue
        pairs.append((uri_encode(name), uri_encode(decode(raw_value))))
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def canonical_headers(names: Sequence[str], headers: dict[str, list[str]]) -> str:
    """``name:value`` lines of the signed headers: values trimmed, inner runs of
    spaces folded to one, repeated headers joined with commas."""
    lines = []
    for name in names:
        values = (" ".join(value.split()) for value in headers.get(name, []))
        lines.append(f"{name}:{','.join(values)}\n")
    return "".join(lines)


def canonical_request(
    method: str,
    canonical_uri: str,
    query_text: str,
    signed: SignedRequest,
    headers: dict[str, list[str]],
) -> str:
    return "\n".join(
        (
            method.upper(),
            canonical_uri,
            query_text,
            canonical_headers(signed.signed_headers, headers),
            ";".join(signed.signed_headers),
            signed.payload_hash,
        )
    )


def string_to_sign(signed: SignedRequest, canonical_text: str) -> str:
    digest = hashlib.sha256(canonical_text.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{signed.amz_date}\n{signed.scope}\n{digest}"


def signing_key(secret_key: str, scope_date: str, region: str, service: str = SERVICE) -> bytes:
    key = ("AWS4" + secret_key).encode("utf-8")
    for part in (scope_date, region, service, TERMINATOR):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def signature(secret_key: str, signed: SignedRequest, canonical_text: str) -> str:
    key = signing_key(secret_key, signed.scope_date, signed.region)
    return hmac.new(key, string_to_sign(signed, canonical_text).encode("utf-8"), hashlib.sha256).hexdigest()


def _canonical_uris(raw_path: str) -> list[str]:
    """The path as sent, and the path re-encoded the canonical way: a client may
    have signed either (they differ only for lower-case hex or characters it left
    unencoded), and both name the same object."""
    as_sent = raw_path or "/"
    reencoded = uri_encode(unquote(as_sent), keep_slash=True)
    return [as_sent] if reencoded == as_sent else [as_sent, reencoded]


def _canonical_queries(raw_query: str, presigned: bool) -> list[str]:
    drop = "X-Amz-Signature" if presigned else None
    texts = [canonical_query(raw_query, drop=drop)]
    if "+" in raw_query:
        # "+" is a literal plus to SigV4; some clients mean a space by it.
        texts.append(canonical_query(raw_query, plus_is_space=True, drop=drop))
    return texts


def signature_matches(
    signed: SignedRequest,
    secret_key: str,
    *,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: dict[str, list[str]],
) -> bool:
    """Whether ``secret_key`` produced the request's signature."""
    for canonical_uri in _canonical_uris(raw_path):
        for query_text in _canonical_queries(raw_query, signed.presigned):
            text = canonical_request(method, canonical_uri, query_text, signed, headers)
            expected = signature(secret_key, signed, text)
            if hmac.compare_digest(expected.encode("ascii"), signed.signature.encode("ascii", "replace")):
                return True
    return False


def refuse_streaming_payload(signed: SignedRequest, headers: dict[str, list[str]]) -> None:
    """Refuse a body sent as ``aws-chunked`` (signed chunks or trailing checksums):
    the server stores bodies as they arrive and does not take that framing apart.
    botocore only uses it over HTTPS, which the local server does not speak."""
    encodings = ",".join(headers.get("content-encoding", [])).lower()
    if signed.payload_hash.startswith("STREAMING-") or "aws-chunked" in encodings:
        raise CosServerError(
            501,
            "NotImplemented",
            "The local server does not accept aws-chunked bodies; "
            "send the payload whole (UNSIGNED-PAYLOAD or its SHA-256).",
        )
