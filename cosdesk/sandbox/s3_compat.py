"""S3's spelling of COS headers: ``x-amz-*`` where COS says ``x-cos-*``.

COS takes the S3 names from clients that sign with SigV4 (boto3, the aws CLI,
rclone): ``x-amz-meta-*`` is user metadata, ``x-amz-copy-source`` names a copy's
source, and so on. The operations only read the COS names, so the HTTP layer
translates a request's headers once, after the signature check (which needs
them as sent), and gives S3 clients the S3 names of what it answers.
"""

from __future__ import annotations

from collections.abc import Iterable

# x-amz headers about signing and framing, which mean nothing to an operation.
_NOT_TRANSLATED = frozenset(
    {
        "x-amz-date",
        "x-amz-content-sha256",
        "x-amz-security-token",
        "x-amz-decoded-content-length",
        "x-amz-trailer",
        "x-amz-user-agent",
        "x-amz-sdk-checksum-algorithm",
    }
)
_AMZ = "x-amz-"
_COS = "x-cos-"
# S3 says COPY/REPLACE, COS says Copy/Replaced.
_METADATA_DIRECTIVES = {"COPY": "Copy", "REPLACE": "Replaced"}


def copy_source_as_cos(value: str, region: str) -> str:
    """S3's ``[/]{bucket}/{encoded key}[?versionId=…]`` as COS's
    ``{bucket}.cos.{region}.myqcloud.com/{encoded key}[?versionId=…]``."""
    bucket, slash, rest = value.strip().lstrip("/").partition("/")
    if not slash or "." in bucket:
        return value  # already a COS host, or nothing a translation could mend
    return f"{bucket}.cos.{region}.myqcloud.com/{rest}"


def cos_request_headers(headers: Iterable[tuple[str, str]], region: str) -> list[tuple[str, str]]:
    """A request's headers with each ``x-amz-*`` header also under its ``x-cos-*``
    name (values in COS's terms), unless the request already sends that name."""
    items = list(headers)
    present = {name.lower() for name, _ in items}
    translated = []
    for name, value in items:
        lowered = name.lower()
        if not lowered.startswith(_AMZ) or lowered in _NOT_TRANSLATED:
            continue
        if lowered.startswith("x-amz-checksum-"):
            continue  # S3's additional checksums: COS has CRC-64 and Content-MD5 instead
        cos_name = _COS + lowered[len(_AMZ) :]
        if cos_name in present:
            continue
        if cos_name == "x-cos-copy-source":
            value = copy_source_as_cos(value, region)
        elif cos_name == "x-cos-metadata-directive":
            value = _METADATA_DIRECTIVES.get(value.strip().upper(), value)
        translated.append((cos_name, value))
        present.add(cos_name)
    return items + translated


def s3_response_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """An answer's headers with each ``x-cos-*`` header also under its ``x-amz-*``
    name, so an S3 client finds its metadata (``x-amz-meta-*``), request id,
    storage class. For answers to SigV4-signed requests."""
    items = list(headers)
    present = {name.lower() for name, _ in items}
    twins = []
    for name, value in items:
        lowered = name.lower()
        if lowered.startswith(_COS):
            amz_name = _AMZ + lowered[len(_COS) :]
            if amz_name not in present:
                twins.append((amz_name, value))
                present.add(amz_name)
    return items + twins
