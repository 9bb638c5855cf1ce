"""The local server's key pair: made fresh, or handed to it in its environment.

There is no well-known pair: on a shared computer anyone could use it, since
every local account reaches 127.0.0.1. A pair given on the command line is
visible to every user (``ps``); a process's environment is readable only by
its own user and root (``/proc/PID/environ`` is mode 0400), so that is how the
window hands its sandbox the pair it keeps in the keyring.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import MutableMapping

SECRET_ID_ENV = "COSDESK_SANDBOX_SECRET_ID"
SECRET_KEY_ENV = "COSDESK_SANDBOX_SECRET_KEY"

_ALPHABET = string.ascii_letters + string.digits
# Shaped like Tencent's keys (AKID and 32 characters; a 32-character key), so
# tools that check the form accept them; 62^32 is about 190 bits.
_ID_PREFIX = "AKID"
_RANDOM_CHARS = 32


class KeyPairError(ValueError):
    """Half a pair was given; the message names what is missing (never a value)."""


def new_key_pair() -> tuple[str, str]:
    """A fresh random ``(SecretId, SecretKey)``."""

    def random_text() -> str:
        return "".join(secrets.choice(_ALPHABET) for _ in range(_RANDOM_CHARS))

    return _ID_PREFIX + random_text(), random_text()


def take_key_pair_from_environment(environ: MutableMapping[str, str]) -> tuple[str, str] | None:
    """The pair in ``COSDESK_SANDBOX_SECRET_ID`` / ``_KEY``, removed from ``environ`` so
    nothing started later inherits it; None when neither is set. Raises KeyPairError
    when only one is."""
    secret_id = environ.pop(SECRET_ID_ENV, "")
    secret_key = environ.pop(SECRET_KEY_ENV, "")
    if not secret_id and not secret_key:
        return None
    if not secret_id or not secret_key:
        missing = SECRET_ID_ENV if not secret_id else SECRET_KEY_ENV
        raise KeyPairError(f"{missing} is not set: set both or neither")
    return secret_id, secret_key
