"""What "verified" means for an upload, and how the engine checks what a server
says it stored against what was sent.

A stored body is verified when the server gave a checksum of it that equals ours
of the bytes we sent:

- CRC-64: COS answers every PUT, part and Complete with ``x-cos-hash-crc64ecma``
  (CRC-64/XZ, decimal). The engine computes the CRC-64 of every body as it goes
  out, so this check costs nothing.
- MD5: servers that are not COS (or a proxy that drops the header) send no
  CRC-64, but an S3-style server's ETag of a simple upload or of a part is the
  hex MD5 of the body. A multipart object is then verified part by part:
  Complete names the ETag of each part it assembles, and each was checked.

Otherwise the upload is *not verified*: it may be fine, but nothing proves it. An
ETag is no MD5 when it is not 32 hex digits (a multipart ETag, a server's own
format) or when the server encrypts the object (with KMS or a customer's key,
and on several S3-compatible servers with any encryption, the ETag is derived
from the stored ciphertext or made up).

A checksum that differs raises :class:`IntegrityError`, which the retry helper
sends again like any transfer damaged in flight: a mismatch is never a success.

MD5 costs about 1.3 ms of CPU per MiB here (CRC-64 about 0.14), so it is computed
only when a server sent no CRC-64: the first such answer is checked by reading
the bytes back from the file (their CRC-64 must equal that of the bytes sent, or
they are not what was sent), and :class:`ChecksumHabits` then has the following
sends of the task hash MD5 as they go, which saves the second read (measured:
1.42 ms/MiB hashing both on the way out against 1.62 ms/MiB sending, then
reading back).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Protocol

from cosdesk.cos.results import HeadObjectResult
from cosdesk.engine.integrity import HashingBody, RegionDigest, etag_matches_md5
from cosdesk.engine.retry import IntegrityError
from cosdesk.engine.task import Verification

# Response headers saying the server encrypts what it stores (COS's names, and
# S3's, which S3-compatible servers send): their ETags are not MD5s of the content.
ENCRYPTION_HEADERS = (
    "x-cos-server-side-encryption",
    "x-cos-server-side-encryption-customer-algorithm",
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-customer-algorithm",
)

# Why an upload is not verified, in the words the CLI prints.
NOT_VERIFIED_REASON = "the server sent no checksum"

_MD5_HEX = re.compile(r"[0-9a-fA-F]{32}")
_MULTIPART_ETAG = re.compile(r"[0-9a-fA-F]{32}-([0-9]+)")


class StoredAnswer(Protocol):
    """What a server said about a body it stored (PutObjectResult, UploadPartResult)."""

    @property
    def etag(self) -> str: ...
    @property
    def crc64(self) -> int | None: ...
    @property
    def headers(self) -> Mapping[str, str]: ...


def is_encrypted(headers: Mapping[str, str]) -> bool:
    return any(headers.get(name) for name in ENCRYPTION_HEADERS)


def etag_can_be_md5(etag: str | None, headers: Mapping[str, str]) -> bool:
    """Whether this ETag, with these response headers, is the MD5 of the content
    if the server stored it intact."""
    if not etag or is_encrypted(headers):
        return False
    return _MD5_HEX.fullmatch(etag.strip().strip('"')) is not None


def multipart_part_count(etag: str | None) -> int | None:
    """N of a multipart ETag ``"{hash}-{N}"``; None for any other ETag."""
    if not etag:
        return None
    match = _MULTIPART_ETAG.fullmatch(etag.strip().strip('"'))
    return int(match.group(1)) if match else None


class ChecksumHabits:
    """What one task has learnt about its server: once an answer came without a
    CRC-64, the task's later sends hash MD5 as they go (see the module docstring).
    Shared by a task's part workers; a flag that only ever turns on needs no lock."""

    def __init__(self) -> None:
        self.hash_md5_while_sending = False

    def observe(self, answer: StoredAnswer) -> None:
        if answer.crc64 is None:
            self.hash_md5_while_sending = True


def check_stored(
    what: str,
    sent: HashingBody,
    answer: StoredAnswer,
    local_digest: Callable[[], RegionDigest],
) -> Verification:
    """Check the server's answer to one body (a simple upload or a part) against
    the bytes that were sent; ``what`` names it in messages. ``local_digest()``
    hashes (CRC-64 and MD5) the local bytes the body was read from; it is called
    only when an MD5 is needed and the body did not compute one.

    Returns how the body was verified (``NONE``: no CRC-64 and an ETag that is
    not an MD5). Raises IntegrityError when the body was not sent whole or when
    a checksum differs."""
    if not sent.complete:
        raise IntegrityError(
            f"only {sent.bytes_read} of {sent.content_length} bytes of {what} were read "
            "(did the file change?)"
        )
    md5_hex = sent.md5_hex
    if answer.crc64 is not None:
        if answer.crc64 != sent.crc64:
            raise IntegrityError(f"the server's CRC-64 of {what} is {answer.crc64}, ours is {sent.crc64}")
        if md5_hex is None:
            return Verification.CRC64  # proven; an MD5 would cost ten times the CRC-64
    if not etag_can_be_md5(answer.etag, answer.headers):
        return Verification.CRC64 if answer.crc64 is not None else Verification.NONE
    if md5_hex is None:
        local = local_digest()
        if local.crc64 != sent.crc64:
            raise IntegrityError(
                f"the local bytes of {what} changed while they were sent, so what the server "
                "stored cannot be checked",
                code="SourceChanged",
            )
        md5_hex = local.md5_hex
    if not etag_matches_md5(answer.etag, md5_hex):
        raise IntegrityError(
            f"the server's ETag of {what} is {answer.etag}, but the MD5 of what was sent is {md5_hex}",
            code="ETagMismatch",
        )
    return Verification.CRC64 if answer.crc64 is not None else Verification.MD5


def weakest(checks: Iterable[Verification]) -> Verification:
    """The verification of a whole made of parts checked one by one (NONE if empty)."""
    order = (Verification.NONE, Verification.MD5, Verification.CRC64)
    found = list(checks)
    return min(found, key=order.index) if found else Verification.NONE


def check_assembled(
    what: str,
    server_crc64: int | None,
    expected_crc64: int,
    headers: Mapping[str, str],
    part_checks: Iterable[Verification] = (),
) -> Verification:
    """Check an object assembled on the server (a completed multipart upload, an
    appendable object) against the CRC-64 of the local file. Without the
    server's CRC-64, the object is as verified as the weakest of its parts (an
    appended object has none to offer). Raises IntegrityError on a mismatch."""
    if server_crc64 is not None:
        if server_crc64 != expected_crc64:
            raise IntegrityError(
                f"the CRC-64 of {what} on the server is {server_crc64}, the local file's is {expected_crc64}"
            )
        return Verification.CRC64
    if is_encrypted(headers):
        return Verification.NONE
    return weakest(part_checks)


def recorded_part_check(etag: str) -> Verification:
    """How a part recorded by an earlier run was verified, as far as its ETag can
    tell: every part recorded was checked when it was sent, by CRC-64 or MD5 if
    the server gave either (the object's CRC-64 checks it again at the end)."""
    return Verification.MD5 if etag_can_be_md5(etag, {}) else Verification.NONE


def check_existing_object(
    head: HeadObjectResult, *, size: int, part_count: int, local_crc64: Callable[[], int]
) -> Verification | None:
    """Whether the object found at a task's key is the local file (after the
    server forgot the task's multipart upload: did someone complete it?).

    With the server's CRC-64: it is, verified, when size and CRC-64 match the
    local file's. Without: it may be, unverified, when its size matches and its
    multipart ETag counts the plan's number of parts. None: it is not (or
    nothing says it is), and the upload must start over. ``local_crc64()`` is
    called only when a CRC-64 is there to compare with."""
    if head.content_length != size:
        return None
    if head.crc64 is not None:
        return Verification.CRC64 if head.crc64 == local_crc64() else None
    if multipart_part_count(head.etag) == part_count:
        return Verification.NONE
    return None
