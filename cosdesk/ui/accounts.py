"""Where uploads go and with which keys: profiles and the local sandbox turned into
the engine's ``EndpointSpec`` / ``UploadOptions``, and each account's keys (the
keyring's, this session's, or its credential server's) as the ``ClientRouter``
reads them.

Keys are read from the keyring lazily, on the queue's worker thread that needs
them, so the GUI thread never waits on the keyring for uploads.
"""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from cosdesk import config
from cosdesk.config import Profile, Settings, Transfers
from cosdesk.cos.auth import Credentials
from cosdesk.cos.credential_provider import CredentialProvider, CredentialRequest, CredentialSource
from cosdesk.cos.endpoint import endpoint_hints, with_scheme
from cosdesk.cos.errors import NoCredentials
from cosdesk.cos.options import OBJECT_ACLS
from cosdesk.engine.client_router import Account, KeySource
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
ACLS = ("", *OBJECT_ACLS)  # "": none sent


def endpoint_for(profile: Profile) -> EndpointSpec:
    """The engine's endpoint for a profile's uploads, naming the profile (its keys
    sign them). A custom endpoint says what it needs itself: a scheme when it was
    saved without one (the "Use HTTPS" box's), and path style on a host with no
    sub-domains, whatever the box says."""
    if profile.endpoint:
        url = with_scheme(profile.endpoint, profile.use_https)
        path_style = profile.path_style or endpoint_hints(url).path_style_required
        return EndpointSpec(profile.region, url=url, path_style=path_style, profile=profile.name)
    return EndpointSpec(
        profile.region,
        scheme="https" if profile.use_https else "http",
        accelerate=profile.accelerate,
        profile=profile.name,
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
# window's ClientRouter signs uploads to the sandbox with it.
SANDBOX_KEYS = SandboxKeys()


class KeyOrigin(enum.Enum):
    """Where an account's keys are, as the Settings dialog and the keys banner say it."""

    KEYRING = "keyring"
    SESSION = "session"  # in memory, for this run only
    CREDENTIAL_SERVER = "credential server"  # temporary keys, asked for when needed
    NONE = "none"
    UNREADABLE = "unreadable"  # the keyring cannot be asked (locked, missing)


def key_origins(
    names: Iterable[str], secrets: SessionSecrets, *, from_server: Collection[str] = ()
) -> dict[str, KeyOrigin]:
    """Where each account's keys are (``from_server``: the accounts whose keys come
    from a credential server). Reads the keyring: call it off the GUI thread."""
    origins: dict[str, KeyOrigin] = {}
    for name in names:
        if name in from_server:
            origins[name] = KeyOrigin.CREDENTIAL_SERVER
            continue
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


def account_keys(profile_name: str, secrets: SessionSecrets) -> KeySource:
    """The ``ClientRouter``'s way to the profile's keys (see :func:`credentials_for`);
    it raises NoCredentials, the code a task fails with, when there are none."""

    def keys() -> Credentials:
        try:
            return credentials_for(profile_name, secrets)
        except config.ConfigError as error:  # NoKeysError, SecretStoreUnavailable
            raise NoCredentials(str(error)) from error

    return keys


def credential_servers(settings: Settings) -> frozenset[str]:
    """The accounts whose keys come from a credential server."""
    return frozenset(name for name, profile in settings.profiles.items() if profile.uses_credential_server)


class CredentialProviders:
    """One ``CredentialProvider`` per account (one cache of temporary keys shared by
    all its uploads), made again only when what it asks changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._providers: dict[str, CredentialProvider] = {}

    def get(self, profile_name: str, request: CredentialRequest) -> CredentialProvider:
        with self._lock:
            provider = self._providers.get(profile_name)
            if provider is None or provider.request != request:
                # A replaced provider is left to the clients still using it.
                provider = CredentialProvider(request)
                self._providers[profile_name] = provider
            return provider


# One per process, like SANDBOX_KEYS: the window's router and its connection tests
# share each account's temporary keys.
CREDENTIAL_PROVIDERS = CredentialProviders()


def credential_server_keys(profile: Profile, providers: CredentialProviders) -> KeySource:
    """The ``ClientRouter``'s way to a credential-server account's provider; it
    raises NoCredentials when the stored headers cannot be read."""

    def keys() -> CredentialSource:
        try:
            request = config.credential_request(profile, config.load_credential_headers(profile.name))
        except config.ConfigError as error:  # SecretStoreUnavailable, bad headers
            raise NoCredentials(str(error)) from error
        return providers.get(profile.name, request)

    return keys


def router_accounts(
    settings: Settings, secrets: SessionSecrets, providers: CredentialProviders = CREDENTIAL_PROVIDERS
) -> list[Account]:
    """Every profile of ``settings`` as the ``ClientRouter`` signs for it."""
    return [
        Account(
            profile.name,
            endpoint_for(profile),
            credential_server_keys(profile, providers)
            if profile.uses_credential_server
            else account_keys(profile.name, secrets),
        )
        for profile in settings.profiles.values()
    ]
