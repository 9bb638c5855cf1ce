"""Where requests go: bucket, region or custom endpoint, and key to URL.

Three kinds of endpoint (see ARCHITECTURE.md, 'Endpoints'):

- COS itself: ``https://{bucket}.cos.{region}.myqcloud.com/{key}``;
- global acceleration: ``https://{bucket}.cos.accelerate.myqcloud.com/{key}``;
- a custom endpoint (the local server, a private deployment), either path style
  ``http://127.0.0.1:PORT/{bucket}/{key}`` or virtual-host style
  ``http://{bucket}.{host}/{key}``.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from cosdesk.cos.errors import CosValidationError

# Regions look like ap-guangzhou, ap-shanghai-fsi, na-siliconvalley, ap-beijing-1.
_REGION_RE = re.compile(r"^[a-z]{2,}(-[a-z0-9]+)+$")
# BucketName-APPID: lower-case letters, digits and '-', APPID all digits.
_BUCKET_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?-[0-9]+$")
_HOST_RE = re.compile(r"^[A-Za-z0-9.\-]+$|^\[[0-9A-Fa-f:.]+\]$")
# A key whose segments quote() leaves as they are (ASCII letters, digits, -_.~).
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_.~/-]*")
# COS's own domain, and the host that lists an account's buckets in every region.
_COS_DOMAIN = ".myqcloud.com"
COS_SERVICE_HOST = "service.cos.myqcloud.com"
# COS's limit on BucketName-APPID together.
MAX_BUCKET_LENGTH = 60


def validate_region(region: str) -> str:
    """Return ``region`` if it is a well-formed COS region, else raise CosValidationError."""
    if not region:
        raise CosValidationError("region is empty; expected something like 'ap-guangzhou'")
    if not _REGION_RE.match(region):
        raise CosValidationError(
            f"region {region!r} is not a COS region name (lower-case words joined by '-', "
            "like 'ap-guangzhou' or 'na-siliconvalley')"
        )
    return region


def validate_bucket(bucket: str) -> str:
    """Return ``bucket`` if it is a well-formed ``BucketName-APPID``, else raise CosValidationError."""
    if not bucket:
        raise CosValidationError("bucket is empty; expected BucketName-APPID like 'examplebucket-1250000000'")
    if len(bucket) > MAX_BUCKET_LENGTH:
        raise CosValidationError(
            f"bucket {bucket!r} is {len(bucket)} characters long; COS allows at most {MAX_BUCKET_LENGTH}"
        )
    if not _BUCKET_RE.match(bucket):
        raise CosValidationError(
            f"bucket {bucket!r} is not of the form BucketName-APPID (lower-case letters, digits and '-', "
            "then '-' and the numeric APPID, like 'examplebucket-1250000000')"
        )
    return bucket


def quote_key(key: str) -> str:
    """The key as a URL path (without the leading '/').

    Segments that are exactly ``.`` or ``..`` are percent-encoded: HTTP clients
    (httpx among them) would otherwise remove them as dot segments and send the
    request for another key.
    """
    if _PLAIN_KEY.fullmatch(key) and "/./" not in f"/{key}/" and "/../" not in f"/{key}/":
        return key  # most keys: nothing to encode
    segments = []
    for segment in key.split("/"):
        if segment in (".", ".."):
            segments.append(segment.replace(".", "%2E"))
        else:
            segments.append(quote(segment.encode("utf-8"), safe="-_.~"))
    return "/".join(segments)


@dataclass(frozen=True)
class Endpoint:
    """How to reach a bucket. Build with :meth:`cos` or :meth:`custom`."""

    scheme: str
    # For virtual-host style: the host after "{bucket}."; for path style: the host itself.
    host: str
    path_style: bool = False
    region: str | None = None
    accelerate: bool = False
    # Path prefix of a custom endpoint mounted below the root ("" or "/prefix").
    base_path: str = ""

    @classmethod
    def cos(cls, region: str, scheme: str = "https", accelerate: bool = False) -> Endpoint:
        """Tencent COS in ``region`` (or the global acceleration domain)."""
        validate_region(region)
        _validate_scheme(scheme)
        host = "cos.accelerate.myqcloud.com" if accelerate else f"cos.{region}.myqcloud.com"
        return cls(scheme=scheme, host=host, path_style=False, region=region, accelerate=accelerate)

    @classmethod
    def custom(cls, url: str, path_style: bool = True, region: str | None = None) -> Endpoint:
        """A COS-compatible server at ``url`` (``http://127.0.0.1:8080``,
        ``https://cos.example.internal``). Path style puts the bucket in the path;
        virtual-host style prefixes it to the host, except on a host that has no
        sub-domains (an IP address, localhost): there it is always path style."""
        parts = urlsplit(url.strip())
        _validate_scheme(parts.scheme)
        if not parts.netloc or not parts.hostname:
            raise CosValidationError(f"endpoint {url!r} has no host; expected e.g. 'http://127.0.0.1:8080'")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise CosValidationError(
                f"endpoint {url!r} must be scheme://host[:port][/path], without query, fragment or user"
            )
        host = parts.netloc
        if not _HOST_RE.match(host.rsplit(":", 1)[0] if not host.endswith("]") else host):
            raise CosValidationError(f"endpoint host {host!r} is not a valid host name")
        try:
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            raise CosValidationError(f"endpoint {url!r} has an invalid port") from None
        if region is not None:
            validate_region(region)
        return cls(
            scheme=parts.scheme,
            host=host.lower(),
            path_style=path_style or needs_path_style(parts.hostname),
            region=region,
            base_path=parts.path.rstrip("/"),
        )

    def host_for(self, bucket: str) -> str:
        """The ``Host`` header (``host[:port]``) of requests for ``bucket``."""
        return self.host if self.path_style else f"{bucket}.{self.host}"

    def path_for(self, bucket: str, key: str | None) -> str:
        """The URL path (percent-encoded) for ``key`` in ``bucket``; ``key=None`` is the bucket itself."""
        key_part = "" if key is None else quote_key(key)
        if self.path_style:
            return f"{self.base_path}/{bucket}/{key_part}"
        return f"{self.base_path}/{key_part}"

    def url_for(self, bucket: str, key: str | None, query: str = "") -> str:
        """The full URL; ``query`` is an already encoded query string (without '?')."""
        url = f"{self.scheme}://{self.host_for(bucket)}{self.path_for(bucket, key)}"
        return f"{url}?{query}" if query else url

    def location_for(self, bucket: str, key: str) -> str:
        """The object's address as COS reports it in ``Location`` (no scheme)."""
        return f"{self.host_for(bucket)}{self.path_for(bucket, key)}"

    def service_host(self) -> str:
        """The ``Host`` of GET Service (the account's buckets): COS answers it on
        one global host whatever the region (see "Listing buckets" in
        ARCHITECTURE.md); a custom endpoint answers it on its own host."""
        return COS_SERVICE_HOST if self.host.endswith(_COS_DOMAIN) else self.host

    def service_url(self, query: str = "") -> str:
        """The full URL of GET Service; ``query`` is already encoded (without '?')."""
        url = f"{self.scheme}://{self.service_host()}{self.base_path}/"
        return f"{url}?{query}" if query else url

    def describe(self) -> str:
        style = "path style" if self.path_style else "virtual-host style"
        return f"{self.scheme}://{self.host}{self.base_path} ({style})"


def needs_path_style(host: str) -> bool:
    """Whether ``host`` (without port or brackets) has no sub-domains to put a
    bucket in: an IP address or localhost. "{bucket}.127.0.0.1" resolves nowhere."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class EndpointHints:
    """What a custom endpoint as typed implies about the request style."""

    # "http" or "https" when the text names a scheme; None when it has none.
    scheme: str | None
    # The host cannot take the bucket as a sub-domain (see needs_path_style).
    path_style_required: bool


def endpoint_hints(text: str) -> EndpointHints:
    """Read ``text`` (a custom endpoint, maybe half typed, maybe without a scheme)
    for what it implies; never raises."""
    text = text.strip()
    scheme: str | None = None
    if "://" in text:
        named, _, text = text.partition("://")
        scheme = named.lower() if named.lower() in ("http", "https") else None
    try:
        host = urlsplit(f"//{text}").hostname or ""
    except ValueError:  # an unbalanced "[" while an IPv6 address is typed
        host = ""
    return EndpointHints(scheme, bool(host) and needs_path_style(host))


def with_scheme(text: str, use_https: bool) -> str:
    """A custom endpoint typed without a scheme ("127.0.0.1:9000") with the one
    ``use_https`` says; any other text is returned stripped but unchanged."""
    text = text.strip()
    if not text or "://" in text:
        return text
    return f"{'https' if use_https else 'http'}://{text}"


def _validate_scheme(scheme: str) -> None:
    if scheme not in ("http", "https"):
        raise CosValidationError(f"endpoint scheme must be 'http' or 'https', not {scheme!r}")
