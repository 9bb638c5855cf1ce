"""What the rest of cosdesk may know about the local server, without loading it.

The window runs the server as a child process (``cosdesk serve``) and needs only
a few facts to start it and talk to it: the bucket and region it serves by
default, the line it prints when it listens, the environment variables that hand
it a key pair, and how its storage folder is made private. They live here so
``cosdesk.ui`` imports this small module, never the server stack (a test holds
it to that); the server and ``cosdesk serve`` take the same values from here.
"""

from __future__ import annotations

import os
from pathlib import Path

from cosdesk.sandbox.keys import SECRET_ID_ENV, SECRET_KEY_ENV, new_key_pair

__all__ = [
    "CREDENTIAL_URL",
    "DEFAULT_BUCKET",
    "DEFAULT_REGION",
    "LISTENING",
    "SECRET_ID_ENV",
    "SECRET_KEY_ENV",
    "make_private_root",
    "new_key_pair",
]

# Shaped like a real COS bucket name (name-APPID), so SDKs that check the form accept it.
DEFAULT_BUCKET = "examplebucket-1250000000"
DEFAULT_REGION = "ap-guangzhou"

# The first line `cosdesk serve` prints: the window and the tests read the endpoint after it.
LISTENING = "cosdesk serve: listening on "
# The line `cosdesk serve --sts` prints with the credential URL, after it.
CREDENTIAL_URL = "  credential URL: "


def make_private_root(root: Path) -> None:
    """Create ``root`` if needed and make it the user's alone (mode 0700): other
    local accounts must not read the objects around the server. Raises OSError."""
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.name == "posix":
        # mkdir's mode does not apply to a folder an earlier version left open.
        root.chmod(0o700)
