"""The cosdesk command picks its subcommand and loads only that one's module."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cosdesk import __version__
from cosdesk.cli import _chosen_command, _with_window_command


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], "gui"),
        (["-v"], "gui"),
        (["serve", "--port", "0"], "serve"),
        (["-v", "upload", "a.txt", "cos://b-1250000000/"], "upload"),
        (["tasks", "list"], "tasks"),
    ],
)
def test_subcommand_is_found_after_global_options(argv: list[str], expected: str) -> None:
    assert _chosen_command(argv) == expected


def test_files_named_without_a_command_go_to_the_window(tmp_path: Path) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"jpeg")
    assert _with_window_command([]) == ["gui"]
    assert _with_window_command(["-v"]) == ["-v", "gui"]
    assert _with_window_command(["-v", str(photo), str(tmp_path)]) == ["-v", "gui", str(photo), str(tmp_path)]
    assert _with_window_command(["file:///tmp/a%20b.txt"]) == ["gui", "file:///tmp/a%20b.txt"]
    # Not a path: left for the parser to refuse as an unknown command.
    assert _with_window_command(["uplaod", str(photo)]) == ["uplaod", str(photo)]


def test_serve_help_loads_neither_qt_widgets_nor_the_engine() -> None:
    probe = (
        "import sys, contextlib, io\n"
        "from cosdesk.cli import main\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['serve', '--help'])\n"
        "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'cosdesk.engine'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_version_prints_the_package_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cosdesk", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == f"cosdesk {__version__}"


def test_a_command_never_loads_the_httpx_command_line_client() -> None:
    # httpx imports its own CLI (click, rich, pygments: ~40 ms of every start)
    # whenever those are installed, as they are here (import-linter needs them).
    probe = (
        "import sys, contextlib, io\n"
        "from cosdesk.cli import main\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['upload', '--help'])\n"
        "import cosdesk.cos.client\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('click', 'rich', 'pygments')))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
