"""The files the installers use: the desktop entry, the AppStream metainfo, the
generated application icons, and the bundle's GUI entry point. The bundle itself
is built and exercised by packaging/smoke_test.py (run by .ci/run)."""

from __future__ import annotations

import configparser
import importlib.util
import os
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from types import ModuleType

import pytest

from cosdesk import __version__

ROOT = Path(__file__).resolve().parents[2]
APP_ID = "io.github.cosdesk.Cosdesk"
DESKTOP = ROOT / "resources" / "linux" / f"{APP_ID}.desktop"
METAINFO = ROOT / "resources" / "linux" / f"{APP_ID}.metainfo.xml"
APP_ICONS = ROOT / "resources" / "icons" / "app"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def _load(script: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(Path(script).stem, ROOT / "packaging" / script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(DESKTOP, encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_entry_launches_the_gui_with_chinese_name_and_comment() -> None:
    entry = _desktop_entry()
    assert entry["Type"] == "Application"
    assert entry["Exec"] == "cosdesk-gui %U"
    assert entry["Icon"] == APP_ID
    assert entry["Categories"] == "Network;FileTransfer;Qt;"
    # Qt's X11 window class is the application name that cosdesk.ui.app sets.
    assert entry["StartupWMClass"] == "cosdesk"
    for key in ("Name", "Comment"):
        assert entry[key]
        assert any("\u4e00" <= char <= "\u9fff" for char in entry[f"{key}[zh_CN]"])


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="apt install desktop-file-utils")
def test_desktop_entry_passes_desktop_file_validate() -> None:
    result = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr


def test_metainfo_names_the_desktop_entry_and_this_version() -> None:
    component = ElementTree.parse(METAINFO).getroot()
    assert component.get("type") == "desktop-application"
    assert component.findtext("id") == APP_ID
    assert component.findtext("launchable") == DESKTOP.name
    assert {release.get("version") for release in component.iter("release")} >= {__version__}
    lang = "{http://www.w3.org/XML/1998/namespace}lang"
    assert any(summary.get(lang) == "zh-CN" for summary in component.iter("summary"))


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="apt install appstream")
def test_metainfo_passes_appstreamcli_validate() -> None:
    result = subprocess.run(
        ["appstreamcli", "validate", "--no-net", str(METAINFO)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("size", PNG_SIZES)
def test_png_icon_exists_at_each_size(size: int) -> None:
    assert _png_size((APP_ICONS / f"cosdesk-{size}.png").read_bytes()) == (size, size)


def test_ico_holds_every_windows_size_from_16_to_256() -> None:
    data = (APP_ICONS / "cosdesk.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1)
    sizes = []
    for index in range(count):
        width, height, _, _, planes, bits, length, offset = struct.unpack(
            "<BBBBHHII", data[6 + 16 * index : 22 + 16 * index]
        )
        side = width or 256
        assert (width, planes, bits) == (height, 1, 32)
        image = data[offset : offset + length]
        assert len(image) == length
        if image[:4] == b"\x89PNG":
            assert _png_size(image) == (side, side)
        else:  # a bitmap: BITMAPINFOHEADER with the height doubled for the mask
            assert struct.unpack("<Iii", image[:12]) == (40, side, 2 * side)
        sizes.append(side)
    assert sizes == [16, 24, 32, 48, 64, 128, 256]


def test_icns_holds_png_images_up_to_1024() -> None:
    data = (APP_ICONS / "cosdesk.icns").read_bytes()
    assert data[:4] == b"icns"
    assert struct.unpack(">I", data[4:8])[0] == len(data)
    offset, sizes = 8, {}
    while offset < len(data):
        kind, length = (
            data[offset : offset + 4].decode("ascii"),
            struct.unpack(">I", data[offset + 4 : offset + 8])[0],
        )
        sizes[kind] = _png_size(data[offset + 8 : offset + length])[0]
        offset += length
    assert offset == len(data)
    assert sizes["icp4"] == 16 and sizes["ic07"] == 128 and sizes["ic10"] == 1024


def test_committed_icons_match_the_svg(qapp: object) -> None:
    """Fails when cosdesk.svg changed and packaging/make_icons.py was not run again."""
    from PySide6.QtGui import QImage

    make_icons = _load("make_icons.py")
    for size in (16, 256):
        rendered = make_icons.render(size).convertToFormat(QImage.Format.Format_ARGB32)
        committed = QImage(str(APP_ICONS / f"cosdesk-{size}.png")).convertToFormat(
            QImage.Format.Format_ARGB32
        )
        assert committed.size() == rendered.size()
        worst = max(
            abs(((rendered.pixel(x, y) >> shift) & 0xFF) - ((committed.pixel(x, y) >> shift) & 0xFF))
            for x in range(0, size, max(1, size // 32))
            for y in range(0, size, max(1, size // 32))
            for shift in (0, 8, 16, 24)
        )
        assert worst <= 8, f"cosdesk-{size}.png is stale: run packaging/make_icons.py"


@pytest.mark.parametrize(
    ("argv", "command_line"),
    [
        ([], ["gui"]),
        (["-v"], ["-v", "gui"]),
        (["--db", "tasks.db", "--sandbox"], ["gui", "--db", "tasks.db", "--sandbox"]),
        (["/home/u/a.txt", "-v", "file:///b.txt"], ["-v", "gui", "--", "/home/u/a.txt", "file:///b.txt"]),
    ],
)
def test_gui_entry_keeps_options_and_passes_launcher_files(argv: list[str], command_line: list[str]) -> None:
    entry = _load("entry_gui.py")
    assert entry.gui_command_line(argv) == command_line


def test_spec_uses_files_that_exist() -> None:
    spec = (ROOT / "packaging" / "cosdesk.spec").read_text(encoding="utf-8")
    for name in ("entry_cli.py", "entry_gui.py", "cosdesk.ico", "cosdesk.icns"):
        assert name in spec
    assert (ROOT / "packaging" / "entry_cli.py").exists() and (ROOT / "packaging" / "entry_gui.py").exists()


@pytest.mark.slow
def test_the_readme_screenshots_script_runs_and_shoots_the_first_start_window(tmp_path: Path) -> None:
    """The script had failed unnoticed since the window took a session, and the
    README went on showing an old window."""
    from cosdesk.ui.main_window import DEFAULT_SIZE

    shots = tmp_path / "shots"
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TMPDIR": str(tmp_path)}
    run = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "screenshots.py"), str(shots)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    names = sorted(path.name for path in shots.iterdir())
    assert names == ["error.png", "idle.png", "settings.png", "uploading.png"]
    for name in ("idle.png", "uploading.png"):
        assert _png_size((shots / name).read_bytes()) == DEFAULT_SIZE, name
