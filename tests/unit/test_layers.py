"""The architecture as ARCHITECTURE.md describes it holds.

The layer rules: import-linter's contracts (in pyproject.toml) are kept, and each
one breaks when the import it forbids is added, so none of them passes vacuously.
import-linter sees a third-party package only whole (PySide6, not PySide6.QtWidgets),
so the rule that the engine uses QtCore alone is checked here by reading the imports.

And the code's pointers into ARCHITECTURE.md name headings it has, and nothing
points to a document outside the repository.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "pyproject.toml"
# The engine runs under the window and under the headless CLI alike.
ENGINE_QT_MODULES = {"PySide6.QtCore"}
# Where code and configuration live (the Node SDK's node_modules under tests/ aside).
SOURCE_SUFFIXES = {".py", ".toml", ".md", ".sh", ".spec", ".cfg", ".ini", ".txt"}
CITATION = re.compile(r"ARCHITECTURE\.md, '([^']+)'")


def lint_imports(package_parent: Path, *contract_ids: str) -> subprocess.CompletedProcess[str]:
    """Run ``lint-imports`` with our contracts on the ``cosdesk`` package found in
    ``package_parent`` (it goes first on the path, ahead of any installed copy)."""
    selection = [arg for contract_id in contract_ids for arg in ("--contract", contract_id)]
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from importlinter.cli import lint_imports_command; lint_imports_command()",
            "--no-cache",
            "--no-logo",
            *selection,
            str(CONFIG),
        ],
        cwd=package_parent,
        capture_output=True,
        text=True,
        timeout=120,
    )


def copy_of_package(destination: Path) -> Path:
    shutil.copytree(ROOT / "cosdesk", destination / "cosdesk", ignore=shutil.ignore_patterns("__pycache__"))
    return destination / "cosdesk"


def add_line(module: Path, line: str) -> None:
    with module.open("a", encoding="utf-8") as file:
        file.write(f"\n{line}\n")


def qt_modules_imported(package: Path) -> dict[str, set[str]]:
    """For each module under ``package`` (its path relative to it), the PySide6 modules
    it imports anywhere: at the top, inside functions or under TYPE_CHECKING."""
    found: dict[str, set[str]] = {}
    for path in sorted(package.rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
                # "from PySide6 import QtGui" imports PySide6.QtGui.
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
        qt = {".".join(name.split(".")[:2]) for name in names if name.split(".")[0] == "PySide6"}
        if qt:
            found[str(path.relative_to(package))] = qt
    return found


def test_every_import_contract_is_kept() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("contract_id", "module", "line"),
    [
        ("layers", "engine/plan.py", "import cosdesk.ui.formatting"),
        ("layers", "sandbox/errors.py", "from cosdesk.engine import task"),
        ("layers", "cos/xml.py", "import cosdesk.sandbox.keys"),
        ("cos-stands-alone", "cos/crc.py", "import cosdesk.logs"),
        ("cos-stands-alone", "cos/xml.py", "from PySide6.QtCore import QObject"),
        ("sandbox-without-qt", "sandbox/keys.py", "import PySide6.QtCore"),
        ("ui-sees-sandbox-public", "ui/formatting.py", "from cosdesk.sandbox.server import SandboxServer"),
        ("http-stays-in-cos", "engine/meter.py", "import httpx"),
    ],
)
def test_contract_breaks_when_its_forbidden_import_is_added(
    tmp_path: Path, contract_id: str, module: str, line: str
) -> None:
    package = copy_of_package(tmp_path)
    add_line(package / module, line)

    result = lint_imports(tmp_path, contract_id)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 broken" in result.stdout, result.stdout


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("engine.meter", "engine.scan"),
        ("cos.crc", "cos.client"),
        ("ui.formatting", "ui.icons"),
        ("cos", "config"),
    ],
)
def test_cycle_contract_breaks_when_two_siblings_import_each_other(
    tmp_path: Path, first: str, second: str
) -> None:
    package = copy_of_package(tmp_path)

    def source_of(dotted: str) -> Path:
        path = package.joinpath(*dotted.split("."))
        return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")

    add_line(source_of(first), f"import cosdesk.{second}")
    add_line(source_of(second), f"import cosdesk.{first}")

    result = lint_imports(tmp_path, "no-cycles")

    assert result.returncode == 1, result.stdout + result.stderr
    parent = ".".join(["cosdesk", *first.split(".")[:-1]])
    first_name, second_name = first.split(".")[-1], second.split(".")[-1]
    # The report names the package and the import that would break the cycle.
    assert f"No cycles are allowed in {parent}." in result.stdout, result.stdout
    breakers = (f".{first_name} -> .{second_name}", f".{second_name} -> .{first_name}")
    assert any(breaker in result.stdout for breaker in breakers), result.stdout


def test_the_unaltered_copy_keeps_every_contract(tmp_path: Path) -> None:
    """The copies above are checked as the repository is, so a broken contract is the added line."""
    copy_of_package(tmp_path)
    result = lint_imports(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_engine_imports_only_qtcore_from_qt() -> None:
    imported = qt_modules_imported(ROOT / "cosdesk" / "engine")
    offenders = {module: names - ENGINE_QT_MODULES for module, names in imported.items()}
    assert {module: names for module, names in offenders.items() if names} == {}
    assert imported, "the engine uses QtCore; finding none means the check reads nothing"


@pytest.mark.parametrize(
    "line",
    [
        "from PySide6.QtWidgets import QWidget",
        "from PySide6 import QtGui",
        "import PySide6.QtGui",
        "    from PySide6.QtWidgets import QApplication",
    ],
)
def test_qt_check_sees_widgets_and_gui_imports_in_any_form(tmp_path: Path, line: str) -> None:
    package = copy_of_package(tmp_path) / "engine"
    body = f"def late() -> None:\n{line}\n" if line.startswith(" ") else line
    add_line(package / "meter.py", body)

    imported = qt_modules_imported(package)

    assert imported["meter.py"] - ENGINE_QT_MODULES != set()


def project_texts() -> dict[str, str]:
    """The text of every source and configuration file, by path from the root."""
    paths = [ROOT / "pyproject.toml", ROOT / "README.md"]
    for folder in ("cosdesk", "tests", "packaging"):
        paths += [
            path
            for path in (ROOT / folder).rglob("*")
            if path.suffix in SOURCE_SUFFIXES and "node_modules" not in path.parts and path.is_file()
        ]
    return {str(path.relative_to(ROOT)): path.read_text(encoding="utf-8", errors="replace") for path in paths}


def test_code_points_only_to_headings_that_architecture_md_has() -> None:
    document = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    headings = {line.lstrip("#").strip() for line in document.splitlines() if line.startswith("#")}
    cited = {(path, heading) for path, text in project_texts().items() for heading in CITATION.findall(text)}
    assert cited, "the code cites ARCHITECTURE.md somewhere; finding nothing means the search is broken"
    assert sorted((path, heading) for path, heading in cited if heading not in headings) == []


def test_nothing_cites_a_design_document_outside_the_repository() -> None:
    outside = re.compile(r"\bDESIGN(\.md|\s*§)")
    this_file = str(Path(__file__).resolve().relative_to(ROOT))
    citing = sorted(
        path for path, text in project_texts().items() if path != this_file and outside.search(text)
    )
    assert citing == []
