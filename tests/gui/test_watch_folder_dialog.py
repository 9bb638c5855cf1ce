"""The "Watch a folder" dialog: what it asks, what it refuses before anything is
watched, and the choice it hands on."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from cosdesk.engine.options import ConflictPolicy, EndpointSpec, UploadOptions
from cosdesk.ui.accounts import Destination
from cosdesk.ui.watch_folder_dialog import WatchFolderDialog

DESTINATION = Destination(
    "work",
    "work",
    EndpointSpec("ap-guangzhou", profile="work"),
    "photos-1250000000",
    "phone/",
    UploadOptions(conflict=ConflictPolicy.SKIP),
)


def open_dialog(qtbot: Any) -> WatchFolderDialog:
    dialog = WatchFolderDialog(DESTINATION)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_the_prefix_follows_the_folder_until_the_person_types_one(qtbot: Any, tmp_path: Path) -> None:
    dialog = open_dialog(qtbot)
    dialog.folder.setText(str(tmp_path / "Camera Roll"))
    assert dialog.prefix.text() == "phone/Camera Roll/"
    dialog.prefix.setText("backup/")
    dialog.prefix.textEdited.emit("backup/")
    dialog.folder.setText(str(tmp_path / "Screenshots"))
    assert dialog.prefix.text() == "backup/"


def test_a_relative_folder_or_a_broken_pattern_is_refused_with_a_reason(qtbot: Any, tmp_path: Path) -> None:
    dialog = open_dialog(qtbot)
    dialog.folder.setText("Pictures")
    dialog.accept()
    assert dialog.isVisible() and dialog.choice is None
    assert "full path" in dialog.problem.text()
    dialog.folder.setText(str(tmp_path))
    dialog.excludes.setText("*.tmp !")
    dialog.accept()
    assert dialog.isVisible() and dialog.choice is None
    assert "'!'" in dialog.problem.text()


def test_the_choice_names_the_account_overwrites_and_starts_now_without_the_files_there(
    qtbot: Any, tmp_path: Path
) -> None:
    dialog = open_dialog(qtbot)
    dialog.folder.setText(str(tmp_path))
    dialog.excludes.setText("*.tmp, build/")
    dialog.includes.setText("*.jpg")
    dialog.upload_existing.setChecked(False)
    before = time.time()
    dialog.accept()
    assert not dialog.isVisible() and dialog.choice is not None
    watched = dialog.choice.watched
    assert not dialog.choice.upload_existing and watched.seen_until >= before
    assert (watched.folder, watched.excludes, watched.includes) == (
        str(tmp_path),
        ("*.tmp", "build/"),
        ("*.jpg",),
    )
    target = watched.target
    assert (target.bucket, target.prefix, target.account) == (
        "photos-1250000000",
        f"phone/{tmp_path.name}/",
        "work",
    )
    # A changed file replaces its object, whatever the account's own policy.
    assert target.options.conflict is ConflictPolicy.OVERWRITE
