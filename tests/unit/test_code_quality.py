"""ruff and mypy run as part of the test suite, so the README's one test command checks them too."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _tool(name: str) -> str:
    candidate = Path(sys.executable).with_name(name)
    found = str(candidate) if candidate.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
    return found


def test_ruff_finds_no_lint_errors() -> None:
    result = subprocess.run(
        [_tool("ruff"), "check", "cosdesk", "tests"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_passes_with_cos_package_strict() -> None:
    result = subprocess.run([_tool("mypy")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_protocol_and_server_layers_never_import_qt() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("cos", "sandbox")
        for path in (ROOT / "cosdesk" / package).rglob("*.py")
        if "PySide6" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_engine_never_imports_widgets_or_httpx() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "cosdesk" / "engine").rglob("*.py")
        if any(word in path.read_text(encoding="utf-8") for word in ("QtWidgets", "import httpx"))
    ]
    assert offenders == []
