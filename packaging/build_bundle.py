"""Build the one-folder bundle dist/cosdesk/ (and dist/cosdesk.app on macOS) with
PyInstaller, installing PyInstaller into the running venv first if it is missing.

    .venv/bin/python packaging/build_bundle.py            # Linux, macOS
    .venv\\Scripts\\python packaging\\build_bundle.py      # Windows

The venv must have cosdesk installed (pip install -e .): the bundle is made from
what that Python imports. Options: --clean (forget PyInstaller's cache first).
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "packaging" / "cosdesk.spec"
DIST = ROOT / "dist"
WORK = ROOT / "build" / "pyinstaller"
# A known-good major version: the spec uses PyInstaller 6's contents directory and
# TOC tuples; 7 may change them.
PYINSTALLER_REQUIREMENT = "pyinstaller>=6.10,<7"


def ensure_pyinstaller() -> None:
    if importlib.util.find_spec("PyInstaller") is None:
        print(f"build_bundle: installing {PYINSTALLER_REQUIREMENT} into {sys.prefix}", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", PYINSTALLER_REQUIREMENT], check=True)


def folder_size(path: Path) -> int:
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file() and not item.is_symlink())


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--clean", action="store_true", help="clear PyInstaller's cache and build folder first"
    )
    args = parser.parse_args()
    if importlib.util.find_spec("cosdesk") is None:
        print(f"build_bundle: cosdesk is not installed in {sys.prefix}: pip install -e .", file=sys.stderr)
        return 1
    ensure_pyinstaller()
    if args.clean:
        shutil.rmtree(WORK, ignore_errors=True)
    started = time.monotonic()
    command = [
        sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
        "--distpath", str(DIST), "--workpath", str(WORK),
        *(["--clean"] if args.clean else []),
        str(SPEC),
    ]  # fmt: skip
    print("+ " + " ".join(command), flush=True)
    subprocess.run(command, cwd=ROOT, check=True)
    bundle = DIST / "cosdesk"
    elapsed_s = time.monotonic() - started
    print(f"build_bundle: {bundle} ({folder_size(bundle) / 1e6:.0f} MB) built in {elapsed_s:.0f} s")
    app = DIST / "cosdesk.app"
    if sys.platform == "darwin" and app.exists():
        print(f"build_bundle: {app} ({folder_size(app) / 1e6:.0f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
