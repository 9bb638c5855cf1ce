"""Checking a request's signature: COS's own, with the same signer the client
uses, or AWS Signature V4 (see :mod:`cosdesk.sandbox.sigv4`) with the same keys.

Exactly the headers named in ``q-header-list`` and the parameters named in
``q-url-param-list`` are verified, nothing more: the Node SDK sends headers it
does not sign (an unsigned ``x-cos-security-token``, empty ``Cache-Control:``).
"""

from __future__ import annotations

import email.utils
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote

from cosdesk.cos import auth
from cosdesk.sandbox import sigv4
from cosdesk.sandbox.errors import CosServerError, access_denied
from cosdesk.sandbox.sts import TemporaryKeyIssuer, check_scope

# Query parameters that carry a pre-signed URL's signature; never signed themselves.
SIGNATURE_PARAMS = frozenset(
    {
        "q-sign-algorithm",
        "q-ak",
        "q-sign-time",
        "q-key-time",
        "q-header-list",
        "q-url-param-list",
        "q-signature",
    }
)
EXPIRED_MESSAGE = "Request has expired"


def request_time_too_skewed() -> CosServerError:
    return CosServerError(
        403,
        "RequestTimeTooSkewed",
        "The difference between the request time and the server's time is too large.",
    )


def signature_does_not_match() -> CosServerError:
    return CosServerError(
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method.",
    )


@dataclass
class AuthPolicy:
    """Who may talk to the server: permanent keys, temporary keys with their tokens."""

    credentials: Mapping[str, str]
    session_tokens: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    allow_anonymous: bool = False
    # A request whose Date (or key time) is further than this from the server's clock
    # is answered RequestTimeTooSkewed, as COS does.
    max_skew_s: float = 900.0
    # Keys this server issued as a credential server (``cosdesk serve --sts``).
    temporary: TemporaryKeyIssuer | None = None

    def secret_key_for(self, secret_id: str, token: str | None) -> str:
        """The SecretKey that must have signed a request from ``secret_id``;
        raises 403 InvalidAccessKeyId for an unknown id or a bad token."""
        issued = self.temporary.find(token) if token and self.temporary is not None else None
        if issued is not None and issued.secret_id == secret_id:
            return issued.secret_key
        if token:
            pair = self.session_tokens.get(token)
            if pair is None or pair[0] != secret_id:
                raise CosServerError(403, "InvalidAccessKeyId", "The security token is invalid.")
            return pair[1]
        if secret_id in self.credentials:
            return self.credentials[secret_id]
        if any(temporary_id == secret_id for temporary_id, _ in self.session_tokens.values()) or (
            self.temporary is not None and self.temporary.knows_secret_id(secret_id)
        ):
            raise CosServerError(
                403, "InvalidAccessKeyId", "A temporary SecretId needs its x-cos-security-token."
            )
        raise CosServerError(
            403, "InvalidAccessKeyId", "The Access Key Id you provided does not exist in our records."
        )

    def check_temporary(
        self, token: str | None, now: float, key: str, query: Sequence[tuple[str, str]]
    ) -> None:
        """For a request signed with keys this server issued: 400 ExpiredToken once
        they expired, 403 AccessDenied outside their prefix."""
        if not token or self.temporary is None:
            return
        issued = self.temporary.find(token)
        if issued is None:
            return
        self.temporary.check_time(issued, now)
        check_scope(issued, key, query)

    def check_time(self, window: tuple[int, int], now: float, date_header: str | None) -> None:
        if date_header:
            try:
                date = email.utils.parsedate_to_datetime(date_header).timestamp()
            except (TypeError, ValueError):
                date = None
            if date is not None and abs(date - now) > self.max_skew_s:
                raise request_time_too_skewed()
        start, end = window
        if start - now > self.max_skew_s:
            raise request_time_too_skewed()
        if not start <= now <= end:
            raise access_denied(EXPIRED_MESSAGE)

    def check_signed_moment(self, signed_at: float, now: float, expires_s: int | None) -> None:
        """A SigV4 request time: a header-signed request must be within the skew
        either way; a presigned URL may be used from then until it expires (its
        time may also run ahead by up to the skew, for a fast client clock)."""
        if signed_at - now > self.max_skew_s:
            raise request_time_too_skewed()
        if expires_s is None:
            if now - signed_at > self.max_skew_s:
                raise request_time_too_skewed()
        elif now > signed_at + expires_s:
            raise access_denied(EXPIRED_MESSAGE)


def _header_value(value: str) -> str:
    """http.server decodes headers as Latin-1; a client signed the UTF-8 text."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def security_token(headers: Iterable[tuple[str, str]], query: Sequence[tuple[str, str]]) -> str | None:
    """A temporary key's token, in any spelling COS or S3 clients send it."""
    names = {"x-cos-security-token", "x-amz-security-token"}
    for name, value in headers:
        if name.lower() in names and value:
            return value
    for name, value in query:
        if name.lower() in names and value:
            return value
    return None


def authorization_from_query(query: Sequence[tuple[str, str]]) -> str | None:
    """A pre-signed URL's signature, either as ``q-*`` parameters or ``sign=``."""
    values = dict(query)
    if "q-signature" in values and "q-ak" in values:
        return "&".join(f"{name}={values[name]}" for name in SIGNATURE_PARAMS if name in values)
    if "sign" in values:
        return unquote(values["sign"])
    return None


def _header_lists(headers: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Every header's values in arrival order, by lower-cased name."""
    lists: dict[str, list[str]] = {}
    for name, value in headers:
        lists.setdefault(name.lower(), []).append(_header_value(value))
    return lists


def _verify_sigv4(
    policy: AuthPolicy,
    *,
    method: str,
    query: Sequence[tuple[str, str]],
    headers: dict[str, list[str]],
    now: float,
    raw_path: str,
    raw_query: str,
) -> str:
    signed = sigv4.read_request(sigv4.first_value(headers, "authorization"), query, headers)
    # Temporary keys carry their token as x-amz-security-token; COS's spelling works too.
    token = signed.security_token or sigv4.first_value(headers, "x-cos-security-token")
    secret_key = policy.secret_key_for(signed.secret_id, token)
    policy.check_signed_moment(signed.signed_at, now, signed.expires_s)
    if not sigv4.signature_matches(
        signed, secret_key, method=method, raw_path=raw_path, raw_query=raw_query, headers=headers
    ):
        raise signature_does_not_match()
    sigv4.refuse_streaming_payload(signed, headers)
    return signed.secret_id


def verify(
    policy: AuthPolicy,
    *,
    method: str,
    signed_paths: Sequence[str],
    query: Sequence[tuple[str, str]],
    headers: Iterable[tuple[str, str]],
    now: float,
    raw_path: str = "",
    raw_query: str = "",
) -> str | None:
    """The SecretId that signed the request (None for an allowed anonymous one).

    ``raw_path`` and ``raw_query`` are the request target as sent, still
    percent-encoded (signature schemes that sign the encoded form need them).

    Raises CosServerError: 403 AccessDenied (no or malformed signature, expired),
    InvalidAccessKeyId, RequestTimeTooSkewed or SignatureDoesNotMatch; for SigV4
    also 400 for a missing or invalid ``x-amz-content-sha256`` and 501 for an
    ``aws-chunked`` body.
    """
    header_lists = _header_lists(headers)
    header_map = {name: values[0] for name, values in header_lists.items()}
    if sigv4.is_sigv4(header_map.get("authorization"), query):
        return _verify_sigv4(
            policy,
            method=method,
            query=query,
            headers=header_lists,
            now=now,
            raw_path=raw_path,
            raw_query=raw_query,
        )
    from_query = False
    authorization = header_map.get("authorization")
    if not authorization:
        authorization = authorization_from_query(query)
        from_query = authorization is not None
    if not authorization:
        if policy.allow_anonymous:
            return None
        raise access_denied("Access Denied.")
    try:
        parsed = auth.parse_authorization(authorization)
        window = parsed.window()
    except ValueError:
        raise access_denied("The Authorization you provided is malformed.") from None
    token = header_map.get("x-cos-security-token") or dict(query).get("x-cos-security-token")
    secret_key = policy.secret_key_for(parsed.secret_id, token)
    policy.check_time(window, now, header_map.get("date"))

    params_by_name: dict[str, tuple[str, str]] = {}
    for name, value in query:
        if from_query and name in SIGNATURE_PARAMS:
            continue
        params_by_name.setdefault(auth.cos_quote(name).lower(), (name, value))
    signed_params = [params_by_name.get(listed, (unquote(listed), "")) for listed in parsed.param_list]

    host_variants = [""]
    headers_without_host = []
    for listed in parsed.header_list:
        if listed == "host":
            host = header_map.get("host", "")
            host_variants = [host]
            if ":" in host and not host.endswith("]"):
                # The Python SDK signs the host without the port it connects to.
                host_variants.append(host.rsplit(":", 1)[0])
        else:
            headers_without_host.append((unquote(listed), header_map.get(unquote(listed), "")))
    has_host = "host" in parsed.header_list
    for path in signed_paths:
        for host in host_variants:
            signed_headers = [*headers_without_host, *([("host", host)] if has_host else [])]
            text = auth.http_string(method, path, signed_params, signed_headers)
            if auth.signatures_match(auth.signature(secret_key, parsed.key_time, text), parsed.signature):
                return parsed.secret_id
    raise signature_does_not_match()
