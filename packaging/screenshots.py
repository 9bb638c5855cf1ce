"""Reproduce resources/screenshots/{idle,uploading,error,settings}.png from the real
window against the in-process local sandbox (first-run mode), offscreen.

    .venv/bin/python packaging/screenshots.py [OUTPUT_DIR]
    .venv/bin/python packaging/screenshots.py --lang zh_CN   # → resources/screenshots/zh_CN/

    .venv/bin/python packaging/screenshots.py --dark         # → resources/screenshots/dark/

``--lang`` installs the translations as ``cosdesk gui`` does for that language
setting. ``--dark`` paints with Fusion and a dark palette, as a dark desktop theme
would, to check that every text and icon stays readable. Chinese text needs a CJK
font (fonts-wqy-microhei, packaging/debian-deps.sh).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
WORK = Path(tempfile.mkdtemp(prefix="cosdesk-shots-"))
os.environ["COSDESK_CONFIG_DIR"] = str(WORK / "config")
os.environ["COSDESK_DATA_DIR"] = str(WORK / "data")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QEventLoop  # noqa: E402
from PySide6.QtGui import QColor, QPalette  # noqa: E402

from cosdesk.engine.queue import FileToAdd  # noqa: E402
from cosdesk.engine.task import TaskState  # noqa: E402
from cosdesk.ui.app import create_application  # noqa: E402
from cosdesk.ui.languages import install_translators  # noqa: E402
from cosdesk.ui.main_window import DEFAULT_SIZE, MainWindow  # noqa: E402
from cosdesk.ui.session import open_session  # noqa: E402

MiB = 1024 * 1024


def spin(app, seconds: float) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        time.sleep(0.005)


def until(app, predicate, timeout_s: float = 30) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > end:
            raise TimeoutError("screenshot scene did not settle")
        spin(app, 0.05)


def write(path: Path, size: int) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(os.urandom(min(size, MiB)) * max(1, size // MiB))
    return str(path)


def dark_palette() -> QPalette:
    """A dark palette like the common desktop dark themes (Breeze Dark, Adwaita-dark)."""
    palette = QPalette()
    roles = QPalette.ColorRole
    for role, color in (
        (roles.Window, "#2b2b2b"),
        (roles.WindowText, "#e6e6e6"),
        (roles.Base, "#1e1e1e"),
        (roles.AlternateBase, "#262626"),
        (roles.ToolTipBase, "#3a3a3a"),
        (roles.ToolTipText, "#e6e6e6"),
        (roles.PlaceholderText, "#8c8c8c"),
        (roles.Text, "#e6e6e6"),
        (roles.Button, "#353535"),
        (roles.ButtonText, "#e6e6e6"),
        (roles.BrightText, "#ff6b6b"),
        (roles.Light, "#4a4a4a"),
        (roles.Midlight, "#3d3d3d"),
        (roles.Mid, "#303030"),
        (roles.Dark, "#1a1a1a"),
        (roles.Shadow, "#000000"),
        (roles.Highlight, "#3d7fd9"),
        (roles.HighlightedText, "#ffffff"),
        (roles.Link, "#6ea8fe"),
    ):
        palette.setColor(role, QColor(color))
    disabled = QPalette.ColorGroup.Disabled
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        palette.setColor(disabled, role, QColor("#7f7f7f"))
    return palette


# The account typed into the settings screenshot, per language.
ACCOUNT_NAMES = {"zh_CN": "工作账号"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Screenshots of the real window, offscreen.")
    parser.add_argument("output", nargs="?", type=Path, help="default: resources/screenshots[/LANG]")
    parser.add_argument("--lang", default="en", help="the window's language, e.g. zh_CN (default: en)")
    parser.add_argument("--dark", action="store_true", help="Fusion with a dark palette")
    args = parser.parse_args(argv)
    shots = Path(__file__).resolve().parents[1] / "resources/screenshots"
    out = args.output or (shots if args.lang == "en" else shots / args.lang)
    if args.dark and not args.output:
        out = out / "dark"
    out.mkdir(parents=True, exist_ok=True)
    app = create_application()
    if args.dark:
        app.setStyle("Fusion")
        app.setPalette(dark_palette())
    install_translators(app, args.lang)
    window = MainWindow(open_session(start_sandbox=True))
    window.resize(*DEFAULT_SIZE)  # a first start on a screen it fits
    window.show()
    # The sandbox is up and the (empty) task list read: the first start's invitation.
    until(app, lambda: window.destination() is not None and window.model.feed.is_settled())
    spin(app, 0.3)
    window.grab().save(str(out / "idle.png"))

    window.destination_bar.set_location(window.destination().bucket, "projects/2024")
    photos = WORK / "files" / "photos"
    done_files = [write(photos / f"IMG_{n:04d}.jpg", 400_000 + n * 50_000) for n in range(4)]
    window.add_paths(done_files)
    until(app, lambda: window.model.counts().get(TaskState.SUCCESS, 0) == 4)
    # Set as the Settings dialog sets them. Six files at once: with the automatic
    # number, notes.txt waited behind the big files, which were done before it failed.
    settings = window.session.settings
    limited = dataclasses.replace(settings.transfers, bandwidth_limit_bytes_per_s=12 * MiB, parallel_files=6)
    window.session.use_settings(dataclasses.replace(settings, transfers=limited))
    big = [
        write(WORK / "files" / name, size)
        for name, size in (
            ("site-backup.tar.gz", 160 * MiB),
            ("interview-raw.mov", 120 * MiB),
            ("dataset.parquet", 90 * MiB),
            ("archive-2023.zip", 60 * MiB),
        )
    ]
    window.add_paths(big)
    until(app, lambda: window.model.rowCount() == 8 and window.model.is_settled())
    spin(app, 1.0)
    archive = next(
        s for s in (window.model.snapshot_at(r) for r in range(8)) if s.key.endswith("archive-2023.zip")
    )
    window.queue.pause([archive.task_id])
    write(WORK / "files" / "notes.txt", 2000)
    destination = window.destination()
    window.queue.add_files(
        [FileToAdd(str(WORK / "files" / "notes.txt"), "projects/2024/notes.txt")],
        "missing-bucket-1250000000",
        destination.options,
        destination.endpoint,
    )
    until(app, lambda: window.model.counts().get(TaskState.ERROR, 0) == 1)
    spin(app, 2.5)
    window.grab().save(str(out / "uploading.png"))

    failed = next(
        s
        for s in (window.model.snapshot_at(r) for r in range(window.model.rowCount()))
        if s.state is TaskState.ERROR
    )
    dialog = window.rows.show_details(failed.task_id)
    dialog.resize(640, 520)
    spin(app, 0.3)
    dialog.grab().save(str(out / "error.png"))
    dialog.close()

    window.queue.pause(None)
    settings = window.open_settings(add=True)
    settings.name.setText(ACCOUNT_NAMES.get(args.lang, "Work COS"))
    settings.secret_id.setText("AKIDexampleSecretId0123456789")
    settings.secret_key.setText("example-secret-key")
    settings.region.setCurrentText("ap-shanghai")
    settings.bucket.setText("photos-1250000000")
    settings.resize(900, 560)
    spin(app, 0.3)
    settings.grab().save(str(out / "settings.png"))
    settings.reject()
    window.shutdown()
    print(f"screenshots in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
