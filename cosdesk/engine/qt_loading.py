"""Loading Qt without PySide's reading of every module imported after it.

Importing PySide6 replaces ``builtins.__import__`` with a hook of its own. From
then on, each import statement that brings a module it has not seen makes the
hook read that module's whole source (``inspect.getsource``) to learn whether it
names PySide6, which only PySide's opt-in ``from __feature__ import ...`` syntax
needs. cosdesk uses no such feature. The reads cost about 0.4 ms a module, 15-40
ms of every start of the window, a sync or a watch (which import Qt: an upload
does not), and keep each source in ``linecache``. See ARCHITECTURE.md,
"Start-up".
"""

from __future__ import annotations

import builtins

# The hook's name, and where PySide keeps the import it wraps (its own lazy
# loader of Qt modules, which stays in place).
_PYSIDE_HOOK_NAME = "__feature_import__"
_WRAPPED_IMPORT = "__orig_import__"


def load_qt_core() -> None:
    """Import QtCore, then put back the import PySide's hook wraps, so that later
    imports are not read through. Does nothing more where a PySide version has
    no such hook, or something else has replaced it since."""
    import PySide6.QtCore  # noqa: F401  (installs the hook)

    wrapped = getattr(builtins, _WRAPPED_IMPORT, None)
    if wrapped is not None and getattr(builtins.__import__, "__name__", "") == _PYSIDE_HOOK_NAME:
        builtins.__import__ = wrapped
