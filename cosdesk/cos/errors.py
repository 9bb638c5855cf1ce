"""The exceptions of the COS client.

``CosException`` is the base of everything this package raises on purpose, so a
caller can catch all of it at once. Below it:

- ``CosError``: the server refused (or answered something we cannot accept). It
  carries the HTTP status, COS's error code, message, request id, resource and
  response headers. Subclasses exist for the codes callers branch on
  (``except NoSuchUpload:``); an unknown code gives a plain ``CosError``.
- ``CosNetworkError``: the request never got an HTTP answer (refused, DNS, TLS,
  reset, timeout).
- ``CosValidationError``: the client refused to send a request that COS would
  reject anyway (bad key, part number, traffic limit, metadata size, ...).

This module only maps answers to types; whether an error is worth another try
is decided in one place, ``cosdesk.engine.retry``, which reads these types.

No exception text ever contains the SecretKey, a session token or a signature.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import ClassVar

_EMPTY_HEADERS: Mapping[str, str] = MappingProxyType({})


class CosException(Exception):
    """Base of every exception raised by ``cosdesk.cos``."""


# A name matching Tencent's SDK for callers used to it.
CosClientError = CosException


class ClientStopped(CosException):
    """The client was stopped (the program is quitting, see
    ``CosClient.stop_requests``): the request was ended in flight, or not sent.
    Never retried."""


class CosValidationError(CosException, ValueError):
    """A request was refused on the client side, before anything was sent."""


class KeyProblem(enum.Enum):
    """Why a text cannot be a COS object key (ARCHITECTURE.md, "Object keys")."""

    EMPTY = "empty"
    TOO_LONG = "too long"
    NOT_UNICODE = "not valid Unicode"


class InvalidObjectKey(CosValidationError):
    """The key cannot be an object key: refused before anything was sent. An
    upload's failure names it InvalidKey whether the walk or the request found it."""

    def __init__(self, problem: KeyProblem, message: str) -> None:
        super().__init__(message)
        self.problem = problem


class NoCredentials(CosException):
    """There are no keys to sign requests with: the account has none (neither in
    the keyring nor for this session), or the keyring cannot be read. The class
    name is the code the engine reports (``NoCredentials``)."""


class CredentialServerError(CosException):
    """The credential server gave no usable temporary keys: it could not be
    reached, refused, or answered something that holds none. The message names
    the server (its address without the query) and why, never a key or token.
    Nothing needs changing on our side: it heals when the server answers again."""


class CredentialServerRefused(CredentialServerError):
    """The credential server answered that it will not give us keys (a 4xx
    status other than a timeout or a rate limit: a wrong URL, a missing or
    expired bearer token). Waiting does not help; the account's settings must
    change."""


class CosBodyError(CosException):
    """A request body could not be produced as promised: a file shrank while it
    was sent, a stream ended early or ran long, or a one-shot stream was asked
    to be sent a second time."""


class CosError(CosException):
    """The server answered with an error (or an answer we cannot accept).

    Attributes: ``status_code`` (HTTP status), ``code`` (COS error code, e.g.
    ``"NoSuchUpload"``, or ``None`` when the answer had no error document),
    ``message``, ``request_id``, ``resource``, ``headers`` (response headers,
    lower-case names).
    """

    # Codes for which a subclass exists register themselves here.
    registry: ClassVar[dict[str, type[CosError]]] = {}
    # Set on subclasses: the COS code they stand for.
    error_code: ClassVar[str | None] = None

    def __init__(
        self,
        status_code: int,
        code: str | None,
        message: str,
        *,
        request_id: str | None = None,
        resource: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status_code = status_code
        self.code = code
        self.message = message
        self.request_id = request_id
        self.resource = resource
        self.headers: Mapping[str, str] = MappingProxyType(dict(headers)) if headers else _EMPTY_HEADERS
        super().__init__(status_code, code, message)

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        # Only a class that names its own code stands for it (RequestExpired
        # inherits AccessDenied's code and must not replace it).
        if cls.__dict__.get("error_code") is not None:
            CosError.registry[cls.__dict__["error_code"]] = cls

    def __str__(self) -> str:
        head = f"{self.code or 'HTTP error'} ({self.status_code})"
        text = f"{head}: {self.message}" if self.message else head
        details = []
        if self.resource:
            details.append(f"resource {self.resource}")
        if self.request_id:
            details.append(f"request id {self.request_id}")
        return f"{text} [{'; '.join(details)}]" if details else text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status_code={self.status_code!r}, code={self.code!r}, "
            f"message={self.message!r}, request_id={self.request_id!r}, resource={self.resource!r})"
        )

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only arguments do not survive the default pickling of exceptions;
        # errors may cross process boundaries (tests, worker processes).
        return (
            _rebuild_cos_error,
            (
                type(self),
                self.status_code,
                self.code,
                self.message,
                self.request_id,
                self.resource,
                dict(self.headers),
            ),
        )

    @classmethod
    def create(
        cls,
        status_code: int,
        code: str | None,
        message: str,
        *,
        request_id: str | None = None,
        resource: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> CosError:
        """The exception for ``code``: its registered subclass, or plain ``CosError``.
        AccessDenied saying "Request has expired" is a clock problem (COS answers
        so when the signature's start time is far from its clock), so it becomes
        ``RequestExpired``, a ``ClockSkewed`` error like RequestTimeTooSkewed."""
        error_type = CosError.registry.get(code or "", CosError)
        if error_type is AccessDenied and message.strip() == REQUEST_EXPIRED_MESSAGE:
            error_type = RequestExpired
        return error_type(
            status_code, code, message, request_id=request_id, resource=resource, headers=headers
        )


def _rebuild_cos_error(
    error_type: type[CosError],
    status_code: int,
    code: str | None,
    message: str,
    request_id: str | None,
    resource: str | None,
    headers: Mapping[str, str],
) -> CosError:
    return error_type(status_code, code, message, request_id=request_id, resource=resource, headers=headers)


class CosResponseError(CosError):
    """The server's answer could not be understood (not XML, unsafe XML, a
    required field missing), whatever its status."""

    error_code = "InvalidResponse"


class CrcMismatchError(CosError):
    """The server's CRC-64 of what it stored differs from the CRC-64 of what we sent."""

    error_code = "Crc64Mismatch"


# --- the codes callers branch on ------------------------------------------------


class NoSuchUpload(CosError):
    error_code = "NoSuchUpload"


class NoSuchKey(CosError):
    error_code = "NoSuchKey"


class NoSuchBucket(CosError):
    error_code = "NoSuchBucket"


class EntityTooSmall(CosError):
    error_code = "EntityTooSmall"


class EntityTooLarge(CosError):
    error_code = "EntityTooLarge"


class InvalidPart(CosError):
    error_code = "InvalidPart"


class InvalidPartOrder(CosError):
    error_code = "InvalidPartOrder"


class SignatureDoesNotMatch(CosError):
    error_code = "SignatureDoesNotMatch"


class AccessDenied(CosError):
    error_code = "AccessDenied"


class OutsideCredentialScope(AccessDenied):
    """AccessDenied for temporary keys from a credential server: the server
    scoped them (bucket, prefix) and this destination is outside what it allows.
    Keeps COS's code and status; the message names the credential server."""


class InvalidAccessKeyId(CosError):
    error_code = "InvalidAccessKeyId"


class ClockSkewed(CosError):
    """Our signature's time is too far from the server's clock. The answer's
    ``Date`` header tells the server's time, so a request signed again with it
    may succeed."""


class RequestTimeTooSkewed(ClockSkewed):
    error_code = "RequestTimeTooSkewed"


# COS's exact message on an AccessDenied that means the signature's time window
# is over (Tencent's Node SDK corrects its clock on this message too).
REQUEST_EXPIRED_MESSAGE = "Request has expired"


class RequestExpired(AccessDenied, ClockSkewed):
    """AccessDenied "Request has expired": the signature's time window, as the
    server's clock sees it, is over."""


class SlowDown(CosError):
    error_code = "SlowDown"


class RequestTimeout(CosError):
    error_code = "RequestTimeout"


class InternalError(CosError):
    error_code = "InternalError"


class ServiceUnavailable(CosError):
    error_code = "ServiceUnavailable"


class BadDigest(CosError):
    error_code = "BadDigest"


class InvalidDigest(CosError):
    error_code = "InvalidDigest"


class PositionNotEqualToLength(CosError):
    error_code = "PositionNotEqualToLength"


class ObjectNotAppendable(CosError):
    error_code = "ObjectNotAppendable"


class InvalidArgument(CosError):
    error_code = "InvalidArgument"


class InvalidRequest(CosError):
    error_code = "InvalidRequest"


class MalformedXML(CosError):
    error_code = "MalformedXML"


class KeyTooLong(CosError):
    error_code = "KeyTooLong"


class MetadataTooLarge(CosError):
    error_code = "MetadataTooLarge"


class InvalidRange(CosError):
    error_code = "InvalidRange"


class PreconditionFailed(CosError):
    error_code = "PreconditionFailed"


class MissingContentLength(CosError):
    error_code = "MissingContentLength"


class InvalidBucketName(CosError):
    error_code = "InvalidBucketName"


class ExpiredToken(CosError):
    error_code = "ExpiredToken"


class InvalidToken(CosError):
    error_code = "InvalidToken"


# --- network --------------------------------------------------------------------


class NetworkErrorKind(enum.Enum):
    """What went wrong below HTTP."""

    CONNECTION_REFUSED = "connection refused"
    DNS = "name resolution failed"
    TLS = "TLS failure"
    CONNECTION_RESET = "connection reset"
    TIMEOUT = "timeout"
    PROTOCOL = "protocol error"
    OTHER = "network error"


class CosNetworkError(CosException):
    """The request got no usable HTTP answer: the connection was refused, the
    name did not resolve, TLS failed, the connection was reset, or it timed out.

    ``kind`` says which; ``host`` is ``host:port``; ``nothing_sent``: the request
    never had a connection (refused, unresolved, a failed handshake, no free
    connection in time), so no byte of its body left this computer. The original
    httpx exception is chained as ``__cause__``.
    """

    def __init__(
        self, message: str, *, kind: NetworkErrorKind, host: str, nothing_sent: bool = False
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.host = host
        self.nothing_sent = nothing_sent

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_network_error, (type(self), str(self), self.kind, self.host, self.nothing_sent))


class CosTimeoutError(CosNetworkError):
    """The connection or an answer took longer than the client's timeout."""


def _rebuild_network_error(
    error_type: type[CosNetworkError], message: str, kind: NetworkErrorKind, host: str, nothing_sent: bool
) -> CosNetworkError:
    return error_type(message, kind=kind, host=host, nothing_sent=nothing_sent)
