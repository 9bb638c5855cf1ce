"""Temporary keys from an organisation's credential server, cached and renewed.

An organisation that hands out COS access runs a server that calls STS with its
permanent key and answers temporary keys scoped to a bucket and prefix (see
ARCHITECTURE.md, 'Temporary keys'). ``CredentialProvider`` asks it, keeps the
keys in memory only, and hands them to every ``CosClient`` of the account:

- it asks again before the keys expire, ``refresh_margin_s`` ahead (Tencent's JS
  SDK keeps keys while a minute of life is left; short-lived keys get a quarter
  of their life instead, or they would be renewed on every request);
- ``renew(stale)`` asks again at once after COS refused keys as expired or
  unknown; of many threads that met the same refusal, one asks;
- the server's ``startTime`` tells how far our clock is from the time the keys
  were issued in (``clock_offset_s``): clients sign with that time, as the
  SDKs advise;
- a failed request is remembered for ``failure_backoff_s``: the uploads waiting
  for keys fail at once with the same reason instead of each asking again.

Thread-safe; requests are made outside the state lock, one at a time.
The extra headers (a bearer token) and the keys never appear in ``repr``,
logs or exception texts.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import urlsplit, urlunsplit

import httpx

from cosdesk import __version__
from cosdesk.cos.auth import Credentials
from cosdesk.cos.errors import CredentialServerError, CredentialServerRefused

logger = logging.getLogger(__name__)

# Tencent's JS SDK reuses keys while more than this is left of their life.
SDK_REFRESH_MARGIN_S = 60.0
# startTime and expiredTime are whole seconds: keys issued at 100.9 s say 100 and
# expire at 100 + their life. Read with the clock offset startTime gives, they seem
# to live up to this much longer than they do, so it is taken off their life left.
WHOLE_SECOND_S = 1.0
DEFAULT_TIMEOUT_S = 15.0
DEFAULT_FAILURE_BACKOFF_S = 2.0
MAX_ANSWER_BYTES = 64 * 1024
# 4xx answers that say "not now" rather than "no": Request Timeout, Too Many Requests.
_MAY_ANSWER_LATER = frozenset({408, 429})


@dataclass(frozen=True)
class TemporaryKeys:
    """One answer of the credential server. Times are Unix seconds on the
    credential server's clock; ``start_s`` is None when it sent no startTime."""

    credentials: Credentials
    expires_s: float
    start_s: float | None = None


@dataclass(frozen=True)
class CredentialRequest:
    """What cosdesk asks the credential server: GET, or POST with a small JSON
    body naming the destination. ``headers`` (a bearer token) are secrets."""

    url: str
    post: bool = False
    bucket: str = ""
    region: str = ""
    prefix: str = ""
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)

    def body(self) -> bytes:
        return json.dumps({"bucket": self.bucket, "region": self.region, "prefix": self.prefix}).encode()


def describe_url(url: str) -> str:
    """The server's address without query or fragment (a query may hold a secret)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _text(document: Mapping[str, object], *names: str) -> str | None:
    for name in names:
        value = document.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def _seconds(document: Mapping[str, object], *names: str) -> float | None:
    for name in names:
        value = document.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str) and value.strip().isdigit():
            return float(value)
    return None


def parse_temporary_keys(document: object) -> TemporaryKeys:
    """Read the keys from either shape credential servers answer in: the STS
    SDKs' ``{"credentials": {"tmpSecretId", "tmpSecretKey", "sessionToken"},
    "startTime", "expiredTime"}``, or the flat one the JS SDK's callback takes
    (``TmpSecretId``, ``TmpSecretKey``, ``SecurityToken`` or
    ``XCosSecurityToken``, ``StartTime``, ``ExpiredTime``). Raises ValueError
    naming the missing field (never a value)."""
    if not isinstance(document, Mapping):
        raise ValueError("the answer is not a JSON object")
    nested = document.get("credentials") or document.get("Credentials")
    keys: Mapping[str, object] = nested if isinstance(nested, Mapping) else document
    secret_id = _text(keys, "tmpSecretId", "TmpSecretId")
    secret_key = _text(keys, "tmpSecretKey", "TmpSecretKey")
    token = _text(keys, "sessionToken", "SessionToken", "SecurityToken", "XCosSecurityToken", "Token")
    expires = _seconds(document, "expiredTime", "ExpiredTime") or _seconds(keys, "expiredTime", "ExpiredTime")
    start = _seconds(document, "startTime", "StartTime") or _seconds(keys, "startTime", "StartTime")
    for name, value in (("tmpSecretId", secret_id), ("tmpSecretKey", secret_key), ("sessionToken", token)):
        if value is None:
            raise ValueError(f"the answer has no {name}")
    if expires is None:
        raise ValueError("the answer has no expiredTime")
    assert secret_id is not None and secret_key is not None
    return TemporaryKeys(Credentials(secret_id, secret_key, token), expires_s=expires, start_s=start)


Fetch = Callable[[CredentialRequest], TemporaryKeys]


class CredentialProvider:
    """The temporary keys of one account, shared by all its clients (see the
    module's docstring). ``fetch`` replaces the HTTP request (tests of timing)."""

    temporary = True

    def __init__(
        self,
        request: CredentialRequest,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        failure_backoff_s: float = DEFAULT_FAILURE_BACKOFF_S,
        fetch: Fetch | None = None,
        verify: bool = True,
    ) -> None:
        self.request = request
        self.server = describe_url(request.url)
        self._timeout_s = timeout_s
        self._failure_backoff_s = failure_backoff_s
        self._fetch = fetch or self._fetch_over_http
        self._verify = verify
        self._http: httpx.Client | None = None
        self._state_lock = threading.Lock()
        self._fetch_lock = threading.Lock()  # one request to the server at a time
        self._keys: TemporaryKeys | None = None
        self._received_at = 0.0  # local time.time() when self._keys arrived
        self._offset_s = 0.0
        self._failure: CredentialServerError | None = None
        self._failed_at = 0.0
        self.fetches = 0  # answers received: how many times keys were issued to us

    def __repr__(self) -> str:
        return f"CredentialProvider(server={self.server!r})"

    # --- what clients call ----------------------------------------------------------

    def credentials(self) -> Credentials:
        """Keys with more than the refresh margin of life left, asking the server
        when there are none. Raises CredentialServerError."""
        with self._state_lock:
            keys = self._keys
            if keys is not None and not self._due(keys):
                return keys.credentials
        try:
            return self._refresh(keys.credentials if keys is not None else None)
        except CredentialServerError:
            # Keys still alive serve until they expire: the server may be back by then.
            if keys is not None and self._seconds_left(keys) > 0:
                return keys.credentials
            raise

    def renew(self, stale: Credentials) -> Credentials:
        """Keys other than ``stale``, which COS refused (expired, unknown): asks the
        server unless another thread already replaced them. Raises CredentialServerError."""
        return self._refresh(stale)

    @property
    def clock_offset_s(self) -> float:
        """Seconds to add to our clock to get the time the keys were issued in
        (from the server's startTime; 0 without one)."""
        return self._offset_s

    def expires_in_s(self) -> float | None:
        """Seconds of life the current keys have left (None: none yet)."""
        with self._state_lock:
            keys = self._keys
        return None if keys is None else self._seconds_left(keys)

    def close(self) -> None:
        with self._fetch_lock:
            if self._http is not None:
                self._http.close()
                self._http = None

    # --- inside -----------------------------------------------------------------------

    def _seconds_left(self, keys: TemporaryKeys) -> float:
        return keys.expires_s - (time.time() + self._offset_s) - WHOLE_SECOND_S

    def _due(self, keys: TemporaryKeys) -> bool:
        # Lock held.
        issued = keys.start_s if keys.start_s is not None else self._received_at + self._offset_s
        margin = min(SDK_REFRESH_MARGIN_S, max(0.0, keys.expires_s - issued) / 4)
        return self._seconds_left(keys) <= margin

    def _refresh(self, stale: Credentials | None) -> Credentials:
        with self._fetch_lock:
            with self._state_lock:
                keys = self._keys
                if keys is not None and keys.credentials != stale and not self._due(keys):
                    return keys.credentials  # another thread got new ones meanwhile
                if self._failure is not None and time.monotonic() - self._failed_at < self._failure_backoff_s:
                    raise self._failure
            try:
                fresh = self._fetch(self.request)
            except CredentialServerError as error:
                with self._state_lock:
                    self._failure, self._failed_at = error, time.monotonic()
                logger.warning("%s", error)
                raise
            received_at = time.time()
            with self._state_lock:
                self._keys, self._received_at = fresh, received_at
                self._failure = None
                if fresh.start_s is not None:
                    self._offset_s = fresh.start_s - received_at
                self.fetches += 1
            life_s = fresh.expires_s - (received_at + self._offset_s)
            logger.info("temporary keys from %s, valid for %.0f s", self.server, life_s)
            return fresh.credentials

    def _client(self) -> httpx.Client:
        # Fetch lock held.
        if self._http is None:
            self._http = httpx.Client(timeout=self._timeout_s, verify=self._verify, follow_redirects=False)
        return self._http

    def _fetch_over_http(self, request: CredentialRequest) -> TemporaryKeys:
        headers = {"User-Agent": f"cosdesk/{__version__}", "Accept": "application/json", **request.headers}
        try:
            if request.post:
                headers["Content-Type"] = "application/json"
                answer = self._client().post(request.url, content=request.body(), headers=headers)
            else:
                answer = self._client().get(request.url, headers=headers)
        except httpx.HTTPError as error:
            raise CredentialServerError(
                f"the credential server {self.server} cannot be reached ({type(error).__name__})"
            ) from None
        if answer.status_code != 200:
            refused = 400 <= answer.status_code < 500 and answer.status_code not in _MAY_ANSWER_LATER
            raise (CredentialServerRefused if refused else CredentialServerError)(
                f"the credential server {self.server} answered HTTP {answer.status_code}"
            )
        if len(answer.content) > MAX_ANSWER_BYTES:
            raise CredentialServerError(f"the credential server {self.server} answered too much")
        try:
            return parse_temporary_keys(json.loads(answer.content))
        except ValueError as error:  # JSONDecodeError is one; its text quotes no value
            reason = str(error) if not isinstance(error, json.JSONDecodeError) else "not JSON"
            raise CredentialServerError(
                f"the credential server {self.server} gave no temporary keys: {reason}"
            ) from None


def request_headers(text: str) -> Mapping[str, str]:
    """``Name: value`` lines (as typed in Settings) as headers; blank lines are
    skipped. Raises ValueError naming the line number of one without a colon."""
    headers: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            raise ValueError(f"line {number} is not 'Name: value'")
        headers[name.strip()] = value.strip()
    return MappingProxyType(headers)


# What signs an account's requests: fixed keys, or a credential server's.
CredentialSource = Credentials | CredentialProvider
