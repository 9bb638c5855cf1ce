"""POST Object: an HTML-form upload (multipart/form-data).

COS documents two ways to sign the form, and a form carries one of them:

- a signed policy: fields ``policy`` (Base64 JSON), ``q-ak``, ``q-key-time`` and
  ``q-signature`` over the policy text;
- a request signature (cos-wx-sdk-v5's ``postObject``): an ordinary COS
  signature of ``POST /`` with no parameters, over ``host`` and the ``x-cos-*``
  headers, sent as the field ``Signature`` and as the ``Authorization`` header.
  The signed header values are read from the form fields (``acl`` stands for
  ``x-cos-acl``), else from the request's headers.

The form is parsed as a stream: fields before the file are kept (they are
small), the file is written to disk as it arrives, and the signature is checked
before the first byte of the file is read.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import json
import time
from collections.abc import Callable
from urllib.parse import unquote

from cosdesk.cos import auth
from cosdesk.sandbox import request_auth
from cosdesk.sandbox import xml_responses as xml
from cosdesk.sandbox.body import CHUNK_BYTES, BodyReader
from cosdesk.sandbox.errors import CosServerError, access_denied, invalid_argument
from cosdesk.sandbox.exchange import Exchange, Response
from cosdesk.sandbox.operation_context import OperationContext
from cosdesk.sandbox.request_checks import MAX_OBJECT_BYTES, check_key, metadata_from

MAX_FIELDS_BYTES = 1024 * 1024
_HEADER_END = b"\r\n\r\n"


def _malformed(reason: str) -> CosServerError:
    return CosServerError(
        400, "MalformedPOSTRequest", f"The body of your POST request is not well-formed: {reason}."
    )


class FormStream:
    """Splits a multipart/form-data body at its boundaries without holding it whole."""

    def __init__(self, reader: BodyReader, boundary: bytes) -> None:
        self._reader = reader
        self._delimiter = b"\r\n--" + boundary
        # The first boundary has no CRLF before it; pretend it has, so all are alike.
        self._buffer = bytearray(b"\r\n")
        self._scratch = memoryview(bytearray(CHUNK_BYTES))

    def _fill(self) -> bool:
        count = self._reader.readinto(self._scratch)
        if count == 0:
            return False
        self._buffer += self._scratch[:count]
        return True

    def skip_preamble(self) -> None:
        self.read_until_delimiter(lambda _chunk: None)

    def read_until_delimiter(self, sink: Callable[[memoryview], None], limit: int | None = None) -> None:
        """Pass everything up to the next boundary to ``sink``; consume the boundary."""
        delimiter = self._delimiter
        passed = 0
        while True:
            found = self._buffer.find(delimiter)
            ready = found if found >= 0 else max(0, len(self._buffer) - len(delimiter) + 1)
            if ready:
                passed += ready
                if limit is not None and passed > limit:
                    raise _malformed("a form field is too large")
                with memoryview(self._buffer) as whole, whole[:ready] as chunk:
                    sink(chunk)
                del self._buffer[:ready]
            if found >= 0:
                del self._buffer[: len(delimiter)]
                return
            if not self._fill():
                raise _malformed("the form ends before its closing boundary")

    def next_part_headers(self) -> dict[str, str] | None:
        """Headers of the part after a boundary, or None after the closing boundary."""
        while len(self._buffer) < 2:
            if not self._fill():
                raise _malformed("the form ends inside a boundary")
        if self._buffer.startswith(b"--"):
            return None
        while (end := self._buffer.find(_HEADER_END)) < 0:
            if len(self._buffer) > 16384 or not self._fill():
                raise _malformed("bad part headers")
        text = bytes(self._buffer[:end]).decode("utf-8", "replace")
        del self._buffer[: end + len(_HEADER_END)]
        headers = {}
        for line in text.split("\r\n"):
            name, colon, value = line.partition(":")
            if colon:
                headers[name.strip().lower()] = value.strip()
        return headers

    def drain(self) -> None:
        self._reader.drain()


def _disposition(headers: dict[str, str]) -> tuple[str, str | None]:
    """``(name, filename)`` of a part's Content-Disposition."""
    name, filename = "", None
    for item in headers.get("content-disposition", "").split(";")[1:]:
        attribute, _, value = item.strip().partition("=")
        value = value.strip().strip('"')
        if attribute.lower() == "name":
            name = value
        elif attribute.lower() == "filename":
            filename = value
    return name, filename


def _policy_time(text: str) -> float:
    for pattern in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return float(calendar.timegm(time.strptime(text, pattern)))
        except ValueError:
            continue
    raise invalid_argument("The policy expiration is not a valid time.")


def _condition_failed(detail: str) -> CosServerError:
    return access_denied(f"Invalid according to Policy: Policy Condition failed: {detail}")


def _stored_name(field_name: str) -> str:
    """The header a form field stands for: ``acl`` is ``x-cos-acl``, others are themselves."""
    return "x-cos-acl" if field_name.lower() == "acl" else field_name


def check_request_signature(
    operations: OperationContext, exchange: Exchange, fields: dict[str, str], signature: str, now: float
) -> None:
    """Verify a form signed like a request (``POST /``), the second style.

    The form's fields stand in for the headers they name and come first, so a
    field changed after signing is refused even if the header kept its value.
    """
    headers = [("Authorization", signature)]
    headers += [(_stored_name(name), value) for name, value in fields.items() if name != "signature"]
    headers += [(n, v) for n, v in exchange.header_items() if n.lower() != "authorization"]
    # The wx SDK signs "/" (or "/{bucket}/" when it forces path style); the key is in the form.
    bucket = exchange.bucket
    params = [(name, exchange.param(name) or "") for name in _signed_param_names(signature)]
    request_auth.verify(
        operations.auth_policy,
        method="POST",
        signed_paths=("/", f"/{bucket}/", f"/{bucket}"),
        query=params,
        headers=headers,
        now=now,
    )


def _signed_param_names(signature: str) -> list[str]:
    """The query parameters a form's request signature names (decoded; COS lists
    them lower-cased, and a form upload's are lower-case when it has any)."""
    try:
        return [unquote(name) for name in auth.parse_authorization(signature).param_list]
    except ValueError:
        return []  # verify() answers the malformed signature


def check_form_signature(
    operations: OperationContext, exchange: Exchange, fields: dict[str, str], now: float
) -> tuple[int, int] | None:
    """Verify whichever signature the form carries; returns the policy's size
    range, if any (the caller checks it once the file has arrived)."""
    if "policy" in fields:
        return check_policy(operations, exchange, fields, now)
    signature = fields.get("signature") or exchange.header("Authorization")
    if signature:
        check_request_signature(operations, exchange, fields, signature, now)
        return None
    if operations.auth_policy.allow_anonymous:
        return None
    raise access_denied("Access Denied.")


def check_policy(
    operations: OperationContext, exchange: Exchange, fields: dict[str, str], now: float
) -> tuple[int, int] | None:
    """Verify the form's policy signature, expiration and conditions (except the
    size, which the caller checks once the file has arrived: the returned range)."""
    policy_text = fields["policy"]
    try:
        policy_json = base64.b64decode(policy_text, validate=True).decode("utf-8")
        policy = json.loads(policy_json)
    except (binascii.Error, ValueError):
        raise invalid_argument("The policy is not valid Base64-encoded JSON.") from None
    if (
        fields.get("q-sign-algorithm", "sha1") != "sha1"
        or "q-ak" not in fields
        or "q-signature" not in fields
    ):
        raise access_denied("The form lacks q-ak or q-signature.")
    key_time = fields.get("q-key-time") or fields.get("q-sign-time") or ""
    try:
        start_text, end_text = key_time.split(";")
        window = int(start_text), int(end_text)
    except ValueError:
        raise access_denied("The q-key-time you provided is malformed.") from None
    secret_key = operations.auth_policy.secret_key_for(fields["q-ak"], fields.get("x-cos-security-token"))
    operations.auth_policy.check_time(window, now, None)
    if not auth.signatures_match(
        auth.post_policy_signature(secret_key, key_time, policy_json), fields["q-signature"]
    ):
        raise CosServerError(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        )
    if "expiration" in policy and _policy_time(str(policy["expiration"])) < now:
        raise access_denied("Invalid according to Policy: Policy expired.")
    size_range = None
    values = dict(fields, bucket=exchange.bucket)
    # Policies name q-sign-time; forms carry the same time as q-key-time only.
    values.setdefault("q-sign-time", key_time)
    values.setdefault("q-key-time", key_time)
    for condition in policy.get("conditions", []):
        if isinstance(condition, dict):
            for name, expected in condition.items():
                if values.get(name.lower(), "") != str(expected):
                    raise _condition_failed(f'["eq", "${name}", "{expected}"]')
        elif isinstance(condition, list) and len(condition) == 3:
            operator = str(condition[0]).lower()
            if operator == "content-length-range":
                size_range = int(condition[1]), int(condition[2])
                continue
            name = str(condition[1]).lstrip("$").lower()
            actual, expected = values.get(name, ""), str(condition[2])
            if operator == "eq" and actual != expected:
                raise _condition_failed(f'["eq", "${name}", "{expected}"]')
            if operator == "starts-with" and not actual.startswith(expected):
                raise _condition_failed(f'["starts-with", "${name}", "{expected}"]')
        else:
            raise invalid_argument("A policy condition is malformed.")
    return size_range


def post_object(operations: OperationContext, exchange: Exchange) -> Response:
    """POST Object. Form fields arrive before the file; fields after it are ignored."""
    content_type = exchange.header("Content-Type") or ""
    boundary = ""
    for item in content_type.split(";")[1:]:
        attribute, _, value = item.strip().partition("=")
        if attribute.lower() == "boundary":
            boundary = value.strip().strip('"')
    if not boundary:
        raise _malformed("no multipart boundary")
    form = FormStream(exchange.open_body(), boundary.encode("latin-1"))
    form.skip_preamble()
    fields: dict[str, str] = {}
    original_names: dict[str, str] = {}
    field_bytes = 0
    while True:
        part_headers = form.next_part_headers()
        if part_headers is None:
            raise _malformed("the form has no file field")
        name, filename = _disposition(part_headers)
        if name.lower() == "file":
            break
        field_value = bytearray()
        form.read_until_delimiter(field_value.extend, limit=MAX_FIELDS_BYTES - field_bytes)
        field_bytes += len(field_value)
        fields[name.lower()] = field_value.decode("utf-8", "replace")
        original_names[name.lower()] = name
    if "key" not in fields:
        raise invalid_argument("The form has no key field.")
    key = fields["key"].replace("${filename}", filename or "")
    fields["key"] = key
    check_key(key)
    size_range = check_form_signature(operations, exchange, fields, operations.clock())
    metadata, storage_class = metadata_from(
        [
            (_stored_name(original_names.get(k, k)), v)
            for k, v in fields.items()
            if k not in ("key", "policy", "signature")
        ]
    )
    # The wx SDK sends an empty Content-Type field when none was given.
    if not fields.get("content-type") and part_headers.get("content-type"):
        metadata = (*metadata, ("Content-Type", part_headers["content-type"]))
    with operations.storage.incoming() as incoming:

        def write(chunk: memoryview) -> None:
            incoming.write(chunk)
            if incoming.size > MAX_OBJECT_BYTES:
                raise CosServerError(
                    400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size."
                )

        form.read_until_delimiter(write)
        form.drain()
        if size_range is not None and not size_range[0] <= incoming.size <= size_range[1]:
            code = "EntityTooLarge" if incoming.size > size_range[1] else "EntityTooSmall"
            raise CosServerError(
                400, code, "Your proposed upload size is outside the policy's content-length-range."
            )
        record = operations.storage.commit_object(
            exchange.bucket, key, incoming, storage_class=storage_class, metadata=metadata
        )
    location = "http://" + operations.location(exchange.bucket, key)
    headers = [
        ("ETag", record.etag),
        ("Location", location),
        ("x-cos-hash-crc64ecma", str(record.crc64)),
    ]
    status = fields.get("success_action_status", "204")
    if status == "201":
        return Response(201, headers, body=xml.post_response(location, exchange.bucket, key, record.etag))
    return Response(200 if status == "200" else 204, headers)
