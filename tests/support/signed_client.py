"""A small signed-request helper for tests that talk to the local server over raw HTTP.

Deliberately independent of ``cosdesk.cos.client``: it builds each request by
hand with httpx and signs it with ``cosdesk.cos.auth``, so server tests check
the wire protocol, not our client.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal
from urllib.parse import quote

import httpx

from cosdesk.cos import auth

Style = Literal["virtual-host", "path", "domain"]


def quote_key(key: str) -> str:
    """A key as a URL path. Dots are encoded, so no HTTP library folds its "../"
    segments, and so is a leading "/", which would otherwise read as "//host"."""
    quoted = quote(key.encode("utf-8"), safe="/-_~").replace(".", "%2E")
    return "%2F" + quoted[1:] if quoted.startswith("/") else quoted


def query_string(params: Mapping[str, str] | Iterable[tuple[str, str]]) -> str:
    pairs = params.items() if isinstance(params, Mapping) else params
    return "&".join(f"{quote(name, safe='-_.~')}={quote(value, safe='-_.~')}" for name, value in pairs)


class SignedClient:
    """Sends COS requests for one bucket, signed like the SDKs sign them.

    ``style`` is how the bucket is named: in the Host header (as the SDKs do
    when connecting to an IP), in the path, or not at all (the server's default).
    """

    def __init__(
        self,
        endpoint: str,
        credentials: auth.Credentials,
        bucket: str,
        region: str,
        *,
        style: Style = "virtual-host",
        timeout_s: float = 30,
    ) -> None:
        self.endpoint = endpoint
        self.credentials = credentials
        self.bucket = bucket
        self.region = region
        self.style = style
        self.http = httpx.Client(base_url=endpoint, timeout=timeout_s)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> SignedClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def host(self) -> str:
        if self.style == "virtual-host":
            return f"{self.bucket}.cos.{self.region}.myqcloud.com"
        return self.endpoint.split("://", 1)[1]

    def url_path(self, key: str) -> str:
        if self.style == "path":
            return f"/{self.bucket}/{quote_key(key)}"
        return "/" + quote_key(key)

    def signed_headers(
        self,
        method: str,
        key: str,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        credentials: auth.Credentials | None = None,
        key_time: str | None = None,
    ) -> dict[str, str]:
        credentials = credentials or self.credentials
        all_headers = {"Host": self.host, **(headers or {})}
        if credentials.session_token:
            all_headers["x-cos-security-token"] = credentials.session_token
        to_sign = {
            name.lower(): value for name, value in all_headers.items() if auth.should_sign_header(name)
        }
        all_headers["Authorization"] = auth.authorization(
            credentials, method, "/" + key, dict(params or {}), to_sign, key_time=key_time
        )
        return all_headers

    def request(
        self,
        method: str,
        key: str = "",
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | Iterable[bytes] | None = None,
        sign: bool = True,
        credentials: auth.Credentials | None = None,
        key_time: str | None = None,
    ) -> httpx.Response:
        """One request; ``Content-Length`` of a bytes body is sent and signed."""
        headers = dict(headers or {})
        if isinstance(content, bytes) and "Content-Length" not in headers:
            headers["Content-Length"] = str(len(content))
        if sign:
            headers = self.signed_headers(
                method, key, params, headers, credentials=credentials, key_time=key_time
            )
        else:
            headers = {"Host": self.host, **headers}
        url = self.url_path(key)
        if params:
            url += "?" + query_string(params)
        return self.http.request(method, url, headers=headers, content=content)

    def put(self, key: str, data: bytes, headers: Mapping[str, str] | None = None) -> httpx.Response:
        return self.request("PUT", key, content=data, headers=headers)

    def get(self, key: str, headers: Mapping[str, str] | None = None, **params: str) -> httpx.Response:
        return self.request("GET", key, params=params or None, headers=headers)
