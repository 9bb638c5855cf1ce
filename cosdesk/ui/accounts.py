"""Where uploads go and with which keys: profiles and the local sandbox turned into
the engine's ``EndpointSpec`` / ``UploadOptions``, and the ``client_for`` the queue
calls (on its worker threads) to get a CosClient with the right credentials.

Keys are read from the keyring lazily, on the worker thread that first needs a
client for an endpoint, so the GUI thread never waits on the keyring for uploads.
"""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from cosdesk import config
from cosdesk.config import Profile, Settings, Transfers
from cosdesk.cos.auth import Credentials
from cosdesk.cos.client import CosClient
from cosdesk.cos.endpoint import endpoint_hints, with_scheme
from cosdesk.cos.errors import NoCredentials
from cosdesk.engine.clients import endpoint_from_spec
from cosdesk.engine.options import ConflictPolicy, EndpointSpec, QueueSettings, UploadOptions
from cosdesk.sandbox.public import DEFAULT_BUCKET, DEFAULT_REGION, new_key_pair

log = logging.getLogger(__name__)

SANDBOX_BUCKET = DEFAULT_BUCKET
SANDBOX_REGION = DEFAULT_REGION
# The keyring entry (beside the profiles', same service) holding the window's
# sandbox pair. Parentheses are not allowed in profile names: no profile can clash.
SANDBOX_KEYRING_ENTRY = "(local sandbox)"

COS_REGIONS = (
    "ap-beijing",
    "ap-nanjing",
    "ap-shanghai",
    "ap-guangzhou",
    "ap-chengdu",
    "ap-chongqing",
    "ap-shenzhen-fsi",
    "ap-shanghai-fsi",
    "ap-beijing-fsi",
    "ap-hongkong",
    "ap-singapore",
    "ap-mumbai",
    "ap-jakarta",
    "ap-seoul",
    "ap-bangkok",
    "ap-tokyo",
    "na-siliconvalley",
    "na-ashburn",
    "na-toronto",
    "sa-saopaulo",
    "eu-frankfurt",
)
STORAGE_CLASSES = (
    "STANDARD",
    "STANDARD_IA",
    "ARCHIVE",
    "DEEP_ARCHIVE",
    "INTELLIGENT_TIERING",
    "MAZ_STANDARD",
)
ACLS = ("", "private", "public-read", "default")


def endpoint_for(profile: Profile) -> EndpointSpec:
    """The engine's endpoint for a profile. A custom endpoint says what it needs
    itself: a scheme when it was saved without one (the "Use HTTPS" box's), and
    path style on a host with no sub-domains, whatever the box says."""
    if profile.endpoint:
        url = with_scheme(profile.endpoint, profile.use_https)
        path_style = profile.path_style or endpoint_hints(url).path_style_required
        return EndpointSpec(profile.region, url=url, path_style=path_style)
    return EndpointSpec(
        profile.region, scheme="https" if profile.use_https else "http", accelerate=profile.accelerate
    )


def sandbox_endpoint_spec(url: str) -> EndpointSpec:
    """The engine's endpoint for the local sandbox listening at ``url``."""
    return EndpointSpec(SANDBOX_REGION, url=url, path_style=True)


def sandbox_url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def options_for(profile: Profile | None) -> UploadOptions:
    if profile is None:
        return UploadOptions()
    return UploadOptions(
        slice_size=profile.slice_size,
        chunk_parallel_limit=profile.parallel_parts,
        conflict=ConflictPolicy(profile.conflict_policy),
        storage_class=profile.storage_class or None,
        acl=profile.acl or None,
    )


def queue_settings_for(transfers: Transfers) -> QueueSettings:
    """The window's queue: its workers give way to the GUI thread."""
    return QueueSettings(
        file_parallel_limit=transfers.parallel_files,
        bandwidth_limit_bytes_per_s=transfers.bandwidth_limit_bytes_per_s,
        resume_on_start=transfers.resume_on_start,
        background_workers=True,
    )


def profile_for_endpoint(settings: Settings, endpoint: EndpointSpec) -> Profile | None:
    """The account whose uploads go to ``endpoint`` (the active one first when
    several share it), or None."""
    candidates = sorted(settings.profiles.values(), key=lambda p: p.name != settings.active_profile)
    return next((profile for profile in candidates if endpoint_for(profile) == endpoint), None)


@dataclass(frozen=True)
class Destination:
    """Where a drop goes right now: an account (or the sandbox), a bucket, a prefix."""

    label: str  # the profile's name, or "Local sandbox"
    profile_name: str | None  # None for the sandbox
    endpoint: EndpointSpec
    bucket: str
    prefix: str
    options: UploadOptions = field(default_factory=UploadOptions)

    @property
    def is_sandbox(self) -> bool:
        return self.profile_name is None

    def describe(self) -> str:
        """``bucket/prefix`` as the drop overlay and the title show it."""
        return f"{self.bucket}/{self.prefix}" if self.prefix else self.bucket


class SessionSecrets:
    """Keys the user chose to keep for this session only (when the keyring could
    not be used): held in memory, never written anywhere."""

    def __init__(self) -> None:
        self._keys: dict[str, Credentials] = {}
        self._lock = threading.Lock()

    def put(self, profile_name: str, credentials: Credentials) -> None:
        with self._lock:
            self._keys[profile_name] = credentials

    def get(self, profile_name: str) -> Credentials | None:
        with self._lock:
            return self._keys.get(profile_name)

    def drop(self, profile_name: str) -> None:
        with self._lock:
            self._keys.pop(profile_name, None)


class SandboxKeys:
    """The window's sandbox key pair, one per user: made at the first run and kept
    in the system keyring, so tasks restored later still sign for the same server;
    without a usable keyring, a fresh pair held in memory for this process only.
    The pair is never written to a file, a log or a command line.

    ``get`` may block on the keyring: call it off the GUI thread. After the first
    call it answers from memory, so the sandbox child and the uploads to it always
    use the same pair, whatever happens to the keyring meanwhile.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: Credentials | None = None

    def get(self) -> Credentials:
        with self._lock:
            if self._held is None:
                self._held = self._load_or_make()
            return self._held

    @staticmethod
    def _load_or_make() -> Credentials:
        try:
            stored = config.load_credentials(SANDBOX_KEYRING_ENTRY)
        except config.SecretStoreUnavailable as error:
            log.info("local sandbox keys for this session only: %s", error)
            return Credentials(*new_key_pair())
        except config.ConfigError:
            stored = None  # unreadable: replaced below, it could sign nothing anyway
        if stored is not None:
            return stored
        made = Credentials(*new_key_pair())
        try:
            config.store_credentials(SANDBOX_KEYRING_ENTRY, made)
        except config.SecretStoreUnavailable as error:
            log.info("local sandbox keys for this session only: %s", error)
        return made


# One pair per process: the runner hands it to the sandbox child and the
# ClientRouter signs uploads to the sandbox with it.
SANDBOX_KEYS = SandboxKeys()


class KeyOrigin(enum.Enum):
    """Where an account's keys are, as the Settings dialog and the keys banner say it."""

    KEYRING = "keyring"
    SESSION = "session"  # in memory, for this run only
    NONE = "none"
    UNREADABLE = "unreadable"  # the keyring cannot be asked (locked, missing)


def key_origins(names: Iterable[str], secrets: SessionSecrets) -> dict[str, KeyOrigin]:
    """Where each account's keys are. Reads the keyring: call it off the GUI thread."""
    origins: dict[str, KeyOrigin] = {}
    for name in names:
        if secrets.get(name) is not None:
            origins[name] = KeyOrigin.SESSION
            continue
        try:
            stored = config.load_credentials(name)
        except config.SecretStoreUnavailable:
            origins[name] = KeyOrigin.UNREADABLE
        except config.ConfigError:  # unreadable entry: nothing usable is stored
            origins[name] = KeyOrigin.NONE
        else:
            origins[name] = KeyOrigin.NONE if stored is None else KeyOrigin.KEYRING
    return origins


class NoKeysError(config.ConfigError):
    """A profile has no keys, neither in the keyring nor for this session."""


def credentials_for(profile_name: str, secrets: SessionSecrets) -> Credentials:
    """The profile's keys: this session's, else the keyring's. Raises NoKeysError or
    SecretStoreUnavailable (may block on the keyring: call off the GUI thread)."""
    held = secrets.get(profile_name)
    if held is not None:
        return held
    stored = config.load_credentials(profile_name)
    if stored is None:
        raise NoKeysError(f"profile {profile_name!r} has no SecretId/SecretKey; add them in Settings")
    return stored


class ClientRouter:
    """The queue's ``client_for``: one CosClient per (endpoint, keys), keys chosen by
    the endpoint a task was queued with.

    Every endpoint a profile (or the sandbox) can produce is registered with a way
    to get its keys; an unregistered endpoint (a task restored from a profile that
    was since deleted) falls back to the active account.
    """

    def __init__(self, secrets: SessionSecrets) -> None:
        self._secrets = secrets
        self._lock = threading.Lock()
        self._keys_for: dict[EndpointSpec, Callable[[], Credentials]] = {}
        self._fallback: Callable[[], Credentials] | None = None
        self._clients: dict[tuple[EndpointSpec, str], CosClient] = {}
        # Where requests for an endpoint really go (the sandbox moved ports).
        self._moved: dict[EndpointSpec, EndpointSpec] = {}

    def register_profile(self, profile: Profile, *, active: bool = False) -> None:
        name = profile.name

        def keys() -> Credentials:
            return credentials_for(name, self._secrets)

        with self._lock:
            self._keys_for[endpoint_for(profile)] = keys
            if active:
                self._fallback = keys

    def register_sandbox(
        self, endpoint: EndpointSpec, *, active: bool, earlier: Iterable[EndpointSpec] = ()
    ) -> None:
        """The local sandbox listens at ``endpoint``; tasks queued for it at an
        ``earlier`` address (its port was taken this time) are sent there too."""
        with self._lock:
            self._keys_for[endpoint] = SANDBOX_KEYS.get
            for old in earlier:
                if old != endpoint:
                    self._keys_for[old] = SANDBOX_KEYS.get
                    self._moved[old] = endpoint
            if active:
                self._fallback = SANDBOX_KEYS.get

    def forget_clients(self) -> None:
        """Drop cached clients (after keys changed); running requests keep theirs."""
        with self._lock:
            self._clients.clear()

    def __call__(self, spec: EndpointSpec) -> CosClient:
        """The client for a task's endpoint. Raises NoCredentials (the task fails with
        that code) when there are no keys for it or the keyring cannot be read."""
        with self._lock:
            keys = self._keys_for.get(spec) or self._fallback
            spec = self._moved.get(spec, spec)
        if keys is None:
            raise NoCredentials("no account is set up for this task's endpoint")
        try:
            credentials = keys()
        except config.ConfigError as error:  # NoKeysError, SecretStoreUnavailable
            raise NoCredentials(str(error)) from error
        with self._lock:
            cache_key = (spec, credentials.secret_id)
            client = self._clients.get(cache_key)
            if client is None or client.credentials != credentials:
                client = CosClient(credentials, endpoint_from_spec(spec), timeout_s=60)
                self._clients[cache_key] = client
            return client

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()
