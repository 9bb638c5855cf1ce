"""Account profiles and app settings.

A profile (bucket, region, endpoint, upload defaults) lives in ``config.json`` under
the platform's config dir, beside the settings every upload shares (``Transfers``).
Its SecretId, SecretKey and session token live only in the system keyring: never
in the file, never in a log or exception text. An account whose keys come from a
credential server has its URL here and the extra headers it sends (a bearer
token) in the keyring.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from cosdesk.cos.auth import Credentials

if TYPE_CHECKING:
    from cosdesk.cos.credential_provider import CredentialRequest

APP_NAME = "cosdesk"
KEYRING_SERVICE = "cosdesk"
CONFIG_DIR_ENV = "COSDESK_CONFIG_DIR"
DATA_DIR_ENV = "COSDESK_DATA_DIR"
CREDENTIAL_URL_ENV = "COS_CREDENTIAL_URL"
# Extra headers for that credential server ("Name: value" lines): secrets, so from
# the environment, never a flag other users could read in the process list.
CREDENTIAL_HEADERS_ENV = "COS_CREDENTIAL_HEADERS"

_PROFILE_NAME = re.compile(r"^[\w .@-]{1,64}$")


class ConfigError(Exception):
    """A profile or the settings file cannot be used; the message says why."""


class SecretStoreUnavailable(ConfigError):
    """No usable system keyring (none installed, or locked and not unlocked)."""


def config_dir() -> Path:
    return Path(os.environ.get(CONFIG_DIR_ENV) or platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    return Path(os.environ.get(DATA_DIR_ENV) or platformdirs.user_data_dir(APP_NAME))


@dataclass(frozen=True)
class Profile:
    """One COS account and destination, without its secrets."""

    name: str
    region: str = "ap-guangzhou"
    bucket: str = ""
    prefix: str = ""
    # Empty: the real COS endpoint for the region. Otherwise a custom endpoint
    # (a private deployment or a local server), e.g. http://127.0.0.1:9000.
    endpoint: str = ""
    path_style: bool = False
    use_https: bool = True
    # Non-empty: temporary keys come from this credential server (GET, or POST with
    # the destination in a JSON body), not from keys stored for the account.
    credential_url: str = ""
    credential_post: bool = False
    accelerate: bool = False
    storage_class: str = "STANDARD"
    acl: str = ""
    slice_size: int = 1024 * 1024
    # 0: automatic (engine/concurrency.py tunes them); a number: a fixed limit.
    parallel_files: int = 0
    parallel_parts: int = 0
    bandwidth_limit_bytes_per_s: int = 0
    conflict_policy: str = "overwrite"
    resume_on_start: bool = True
    # parallel_files, bandwidth_limit_bytes_per_s and resume_on_start are copies of
    # Settings.transfers, written with every save: ``cosdesk upload --profile`` and
    # earlier versions (where they were per account) read them here.

    def __post_init__(self) -> None:
        if not _PROFILE_NAME.match(self.name):
            raise ConfigError(f"profile name {self.name!r} must be 1-64 letters, digits, spaces or . _ @ -")

    @property
    def uses_credential_server(self) -> bool:
        return bool(self.credential_url)


@dataclass(frozen=True)
class Transfers:
    """What all uploads of the window share, whichever account or the local
    sandbox they go to: the queue has one bandwidth limit and one file limit."""

    parallel_files: int = 0  # 0: automatic
    bandwidth_limit_bytes_per_s: int = 0  # 0: unlimited
    resume_on_start: bool = True

    def __post_init__(self) -> None:
        files, limit = self.parallel_files, self.bandwidth_limit_bytes_per_s
        if not isinstance(files, int) or files < 0:
            raise ConfigError(f"files at once must be a whole number (0: automatic), not {files!r}")
        if not isinstance(limit, int) or limit < 0:
            raise ConfigError(f"the bandwidth limit must be a whole number of bytes a second, not {limit!r}")


@dataclass
class Settings:
    """Everything in config.json: the profiles, which one is active, the shared
    transfer settings."""

    profiles: dict[str, Profile] = field(default_factory=dict)
    active_profile: str = ""
    language: str = ""  # empty: follow the system locale
    transfers: Transfers = field(default_factory=Transfers)
    # Files added again whose keys are already queued or in the bucket: "ask" once
    # per batch, or the answer remembered ("overwrite", "skip", "rename").
    if_exists: str = "ask"

    @property
    def active(self) -> Profile | None:
        return self.profiles.get(self.active_profile)


# The version config.json is written in. 2: a limit of 0 means automatic
# concurrency (engine/concurrency.py).
SETTINGS_VERSION = 2
# Before version 2 a limit could only be a number, and the seed's 3 files × 3
# parts was the default almost everyone kept: such files mean "automatic" now.
_OLD_DEFAULT_LIMIT = 3


def _from_before_automatic(raw: dict[str, Any]) -> bool:
    version = raw.get("version")
    return not isinstance(version, int) or version < 2


def _automatic_if_old_default(limit: object, old_file: bool) -> object:
    return 0 if old_file and limit == _OLD_DEFAULT_LIMIT else limit


def _profile_from_json(raw: dict[str, Any], old_file: bool = False) -> Profile:
    known = {f.name for f in fields(Profile)}
    # Fields written by a newer version are ignored rather than fatal.
    values = {name: value for name, value in raw.items() if name in known}
    for limit in ("parallel_files", "parallel_parts"):
        if limit in values:
            values[limit] = _automatic_if_old_default(values[limit], old_file)
    return Profile(**values)


def _transfers_from_json(raw: dict[str, Any], profiles: dict[str, Profile], active: str) -> Transfers:
    stored = raw.get("transfers")
    if isinstance(stored, dict):
        known = {f.name for f in fields(Transfers)}
        values = {name: value for name, value in stored.items() if name in known}
        if "parallel_files" in values:
            values["parallel_files"] = _automatic_if_old_default(
                values["parallel_files"], _from_before_automatic(raw)
            )
        return Transfers(**values)
    # A file from before transfers were shared: the active account's values were
    # the ones the queue used.
    source = profiles.get(active)
    if source is None:
        return Transfers()
    return Transfers(source.parallel_files, source.bandwidth_limit_bytes_per_s, source.resume_on_start)


IF_EXISTS_CHOICES = ("ask", "overwrite", "skip", "rename", "changed")


def _if_exists_from_json(value: object) -> str:
    # An answer this version does not know means asking again, not a broken file.
    return value if isinstance(value, str) and value in IF_EXISTS_CHOICES else "ask"


def load_settings(path: Path | None = None) -> Settings:
    """Read config.json; a missing file gives empty settings. Raises ConfigError
    (with the file's path) when the file is unreadable or malformed."""
    path = path or config_dir() / "config.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except (OSError, ValueError) as error:
        raise ConfigError(f"cannot read settings file {path}: {error}") from None
    try:
        old_file = _from_before_automatic(raw)
        profiles = {item["name"]: _profile_from_json(item, old_file) for item in raw.get("profiles", [])}
        active = str(raw.get("active_profile", ""))
        return Settings(
            profiles=profiles,
            active_profile=active,
            language=str(raw.get("language", "")),
            transfers=_transfers_from_json(raw, profiles, active),
            if_exists=_if_exists_from_json(raw.get("if_exists")),
        )
    except (KeyError, TypeError, ConfigError) as error:
        raise ConfigError(f"settings file {path} is malformed: {error}") from None


def save_settings(settings: Settings, path: Path | None = None) -> None:
    """Write config.json atomically (a crash never leaves half a file)."""
    path = path or config_dir() / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    shared = settings.transfers
    document = {
        "version": SETTINGS_VERSION,
        "active_profile": settings.active_profile,
        "language": settings.language,
        "transfers": asdict(shared),
        "if_exists": settings.if_exists,
        "profiles": [
            asdict(
                replace(
                    profile,
                    parallel_files=shared.parallel_files,
                    bandwidth_limit_bytes_per_s=shared.bandwidth_limit_bytes_per_s,
                    resume_on_start=shared.resume_on_start,
                )
            )
            for profile in settings.profiles.values()
        ],
    }
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=".config-", suffix=".tmp", delete=False
    ) as handle:
        json.dump(document, handle, indent=2, ensure_ascii=False)
    os.replace(handle.name, path)


# --- secrets ---------------------------------------------------------------------
# keyring is imported on first use: it costs a noticeable share of a short
# ``cosdesk upload`` that takes its keys from the environment.


def _keyring() -> Any:
    import keyring

    return keyring


def _keyring_call(action: str, function: Any, *args: Any) -> Any:
    import keyring.errors

    try:
        return function(*args)
    except keyring.errors.NoKeyringError:
        raise SecretStoreUnavailable(
            f"cannot {action}: no system keyring is available. Install and unlock a keyring "
            "(GNOME Keyring, KWallet, macOS Keychain or Windows Credential Manager)."
        ) from None
    except keyring.errors.KeyringLocked:
        raise SecretStoreUnavailable(f"cannot {action}: the system keyring is locked") from None
    except keyring.errors.KeyringError as error:
        # The backend's own message never holds the secret; its type says what failed.
        raise SecretStoreUnavailable(f"cannot {action}: keyring error ({type(error).__name__})") from None
    except ImportError as error:
        # A backend named by PYTHON_KEYRING_BACKEND or keyringrc.cfg that is not
        # installed: keyring raises this from the first call, and the window sat at
        # "Starting the local sandbox…" for good, a traceback on its stderr.
        raise SecretStoreUnavailable(
            f"cannot {action}: the keyring backend cannot be loaded (no module {error.name!r}); "
            "check PYTHON_KEYRING_BACKEND and keyringrc.cfg"
        ) from None
    except Exception as error:  # a backend plugin's own failure: third-party code
        raise SecretStoreUnavailable(
            f"cannot {action}: the keyring failed ({type(error).__name__})"
        ) from None


def store_credentials(profile_name: str, credentials: Credentials) -> None:
    secret = json.dumps(
        {
            "secret_id": credentials.secret_id,
            "secret_key": credentials.secret_key,
            "session_token": credentials.session_token,
        }
    )
    _keyring_call("save the keys", _keyring().set_password, KEYRING_SERVICE, profile_name, secret)


def load_credentials(profile_name: str) -> Credentials | None:
    """The profile's keys from the keyring, or None when none are stored."""
    secret = _keyring_call("read the keys", _keyring().get_password, KEYRING_SERVICE, profile_name)
    if secret is None:
        return None
    try:
        raw = json.loads(secret)
        return Credentials(raw["secret_id"], raw["secret_key"], raw.get("session_token") or None)
    except (ValueError, KeyError, TypeError):
        raise ConfigError(f"the keys stored for profile {profile_name!r} are unreadable") from None


def delete_credentials(profile_name: str) -> None:
    """Forget the profile's keys; nothing stored is not an error."""

    def delete() -> None:
        import keyring.errors

        with contextlib.suppress(keyring.errors.PasswordDeleteError):
            _keyring().delete_password(KEYRING_SERVICE, profile_name)

    _keyring_call("delete the keys", delete)


def _headers_entry(profile_name: str) -> str:
    # Parentheses are not allowed in profile names: no profile's own entry can clash.
    return f"{profile_name} (credential server headers)"


def store_credential_headers(profile_name: str, headers: str) -> None:
    """Keep the extra headers (``Name: value`` lines) the account's credential
    server needs; an empty text forgets them."""
    if not headers.strip():
        import keyring.errors

        def forget() -> None:
            # Nothing stored, or no keyring at all (then nothing can have been).
            with contextlib.suppress(keyring.errors.PasswordDeleteError, keyring.errors.NoKeyringError):
                _keyring().delete_password(KEYRING_SERVICE, _headers_entry(profile_name))

        _keyring_call("forget the credential server's headers", forget)
        return
    _keyring_call(
        "save the credential server's headers",
        _keyring().set_password,
        KEYRING_SERVICE,
        _headers_entry(profile_name),
        headers,
    )


def load_credential_headers(profile_name: str) -> str:
    """The extra headers stored for the account's credential server ("" for none).
    Without any keyring none can have been stored (saving them needs one), so a
    credential server that wants no headers works there too; a locked keyring
    still raises SecretStoreUnavailable."""
    import keyring.errors

    def read() -> str | None:
        try:
            stored: str | None = _keyring().get_password(KEYRING_SERVICE, _headers_entry(profile_name))
            return stored
        except keyring.errors.NoKeyringError:
            return None

    return _keyring_call("read the credential server's headers", read) or ""


def delete_credential_headers(profile_name: str) -> None:
    delete_credentials(_headers_entry(profile_name))


def credential_request(profile: Profile, headers: str) -> CredentialRequest:
    """What the account asks its credential server (``headers``: the stored
    ``Name: value`` lines). Raises ConfigError for headers of another form."""
    # Imported here: it brings httpx, which `cosdesk serve` (reading data_dir) needs not.
    from cosdesk.cos.credential_provider import CredentialRequest, request_headers

    try:
        parsed = request_headers(headers)
    except ValueError as error:
        raise ConfigError(f"the credential server's headers: {error}") from None
    return CredentialRequest(
        profile.credential_url,
        post=profile.credential_post,
        bucket=profile.bucket,
        region=profile.region,
        prefix=profile.prefix,
        headers=parsed,
    )


def credential_url_from_env(environ: dict[str, str] | None = None) -> str | None:
    """``COS_CREDENTIAL_URL``: where ``cosdesk upload`` asks for temporary keys."""
    env = os.environ if environ is None else environ
    return env.get(CREDENTIAL_URL_ENV) or None


def credential_headers_from_env(environ: dict[str, str] | None = None) -> str:
    """``COS_CREDENTIAL_HEADERS``: the extra headers (``Name: value`` lines) for
    the credential server of ``--credential-url`` ("" for none)."""
    env = os.environ if environ is None else environ
    return env.get(CREDENTIAL_HEADERS_ENV, "")


def credentials_from_env(environ: dict[str, str] | None = None) -> Credentials | None:
    """``COS_SECRET_ID`` / ``COS_SECRET_KEY`` / ``COS_SESSION_TOKEN``, when both keys are set."""
    env = os.environ if environ is None else environ
    secret_id, secret_key = env.get("COS_SECRET_ID"), env.get("COS_SECRET_KEY")
    if not secret_id or not secret_key:
        return None
    return Credentials(secret_id, secret_key, env.get("COS_SESSION_TOKEN") or None)


def rename_profile(settings: Settings, old: str, new: str) -> Settings:
    """A copy of ``settings`` with profile ``old`` called ``new`` (keys moved too)."""
    if new in settings.profiles:
        raise ConfigError(f"a profile named {new!r} already exists")
    profile = settings.profiles[old]
    credentials = load_credentials(old)
    if credentials is not None:
        store_credentials(new, credentials)
        delete_credentials(old)
    headers = load_credential_headers(old)
    if headers:
        store_credential_headers(new, headers)
        delete_credential_headers(old)
    profiles = {(new if name == old else name): p for name, p in settings.profiles.items()}
    profiles[new] = replace(profile, name=new)
    active = new if settings.active_profile == old else settings.active_profile
    return replace(settings, profiles=profiles, active_profile=active)


def iter_profile_names(settings: Settings) -> Iterator[str]:
    return iter(sorted(settings.profiles))
