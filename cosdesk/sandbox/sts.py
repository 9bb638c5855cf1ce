"""The local server playing an organisation's credential server (``cosdesk serve --sts``).

``TemporaryKeyIssuer`` makes temporary keys (SecretId, SecretKey, session token)
valid for ``duration_s`` and, optionally, only under ``prefix``; the request
checks ask it for a token's keys and refuse what they do not allow: an expired
token is ExpiredToken, a key outside the prefix AccessDenied, as COS answers
requests signed with keys STS scoped (see "Temporary keys" in ARCHITECTURE.md).

``CredentialServer`` answers its URL (GET, or POST with any JSON body) on a port
of its own, in the shape Tencent's STS SDKs produce, so clients written for
those SDKs' credential servers can use it. It can stop and start again on the
same port: tests take it down.
"""

from __future__ import annotations

import functools
import json
import secrets
import string
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cosdesk.sandbox.errors import CosServerError, access_denied
from cosdesk.sandbox.keys import new_key_pair

DEFAULT_DURATION_S = 1800
CREDENTIAL_PATH = "/sts"
_TOKEN_ALPHABET = string.ascii_letters + string.digits
# Issued keys are forgotten this long after they expire (an older token is
# then only "invalid", no longer "expired").
_KEEP_EXPIRED_S = 3600.0


@dataclass(frozen=True)
class IssuedKeys:
    secret_id: str
    secret_key: str
    token: str
    start_s: float
    expires_s: float
    prefix: str


def expired_token() -> CosServerError:
    return CosServerError(400, "ExpiredToken", "The provided token has expired.")


class TemporaryKeyIssuer:
    """Temporary keys made here, by token; thread-safe."""

    def __init__(self, *, duration_s: float, prefix: str, clock: Callable[[], float]) -> None:
        self.duration_s = duration_s
        self.prefix = prefix
        self._clock = clock
        self._lock = threading.Lock()
        self._by_token: dict[str, IssuedKeys] = {}
        self.issued = 0

    def issue(self) -> IssuedKeys:
        now = self._clock()
        secret_id, secret_key = new_key_pair()
        token = "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(64))
        keys = IssuedKeys(secret_id, secret_key, token, int(now), int(now + self.duration_s), self.prefix)
        with self._lock:
            self._by_token = {
                held: issued
                for held, issued in self._by_token.items()
                if issued.expires_s + _KEEP_EXPIRED_S > now
            }
            self._by_token[token] = keys
            self.issued += 1
        return keys

    def find(self, token: str) -> IssuedKeys | None:
        with self._lock:
            return self._by_token.get(token)

    def held(self) -> list[IssuedKeys]:
        """Every key issued and not yet forgotten (tests look for them where no
        secret may be)."""
        with self._lock:
            return list(self._by_token.values())

    def knows_secret_id(self, secret_id: str) -> bool:
        with self._lock:
            return any(keys.secret_id == secret_id for keys in self._by_token.values())

    def check_time(self, keys: IssuedKeys, now: float) -> None:
        """Raises 400 ExpiredToken once the keys' life is over."""
        if now >= keys.expires_s:
            raise expired_token()


def check_scope(keys: IssuedKeys, key: str, query: Sequence[tuple[str, str]]) -> None:
    """Raises 403 AccessDenied unless the request stays under the keys' prefix:
    an object's key, or a listing's ``prefix`` parameter."""
    if not keys.prefix:
        return
    reached = key or dict(query).get("prefix", "")
    if not reached.startswith(keys.prefix):
        raise access_denied("Access Denied. The temporary key's policy does not allow this resource.")


def credential_answer(keys: IssuedKeys) -> dict[str, object]:
    """The STS SDKs' shape (qcloud-cos-sts), which credential servers pass on."""
    return {
        "credentials": {
            "tmpSecretId": keys.secret_id,
            "tmpSecretKey": keys.secret_key,
            "sessionToken": keys.token,
        },
        "startTime": int(keys.start_s),
        "expiredTime": int(keys.expires_s),
        "expiration": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(keys.expires_s)),
        "requestId": secrets.token_hex(16),
    }


class _Handler(BaseHTTPRequestHandler):
    server: _HttpServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, 64 * 1024))
        try:
            json.loads(body or b"{}")
        except ValueError:
            self._send(400, {"error": "the body is not JSON"})
            return
        self._answer()

    def _answer(self) -> None:
        if self.path.split("?", 1)[0] != CREDENTIAL_PATH:
            self._send(404, {"error": "not found"})
            return
        wanted = self.server.required_header
        if wanted is not None and self.headers.get(wanted[0]) != wanted[1]:
            # As an organisation's server would: who asks must say who they are.
            self._send(401, {"error": f"this credential server wants the {wanted[0]} header"})
            return
        self._send(200, credential_answer(self.server.issuer.issue()))

    def _send(self, status: int, document: dict[str, object]) -> None:
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        # One answer per connection: a stopped server must be unreachable at once,
        # not still answering on a kept-alive connection.
        self.send_header("Connection", "close")
        self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # the answers are secrets; the request line says nothing worth keeping


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], issuer: TemporaryKeyIssuer, required_header: tuple[str, str] | None
    ) -> None:
        self.issuer = issuer
        self.required_header = required_header
        super().__init__(address, _Handler)


class CredentialServer:
    """The credential URL, served on its own port by a background thread.
    ``required_header`` (name, value): requests without it are answered 401."""

    def __init__(
        self,
        issuer: TemporaryKeyIssuer,
        host: str = "127.0.0.1",
        port: int = 0,
        required_header: tuple[str, str] | None = None,
    ) -> None:
        self.issuer = issuer
        self.required_header = required_header
        self.host = host
        self._port = port
        self._server: _HttpServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Listen (again on the same port after a stop). Raises OSError."""
        if self._server is not None:
            return
        server = _HttpServer((self.host, self._port), self.issuer, self.required_header)
        self._port = server.server_address[1]
        self._server = server
        # stop() waits for the loop's next look at its flag: 0.5 s by default, paid by
        # every test that stops a credential server; ten looks a second cost nothing.
        serve = functools.partial(server.serve_forever, poll_interval=0.1)
        self._thread = threading.Thread(target=serve, name="sandbox-sts", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop answering: connections to the URL are refused until ``start``."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    @property
    def url(self) -> str:
        host = self.host if ":" not in self.host else f"[{self.host}]"
        return f"http://{host}:{self._port}{CREDENTIAL_PATH}"
