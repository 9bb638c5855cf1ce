"""What a sync takes from a folder: gitignore patterns from flags and .cosignore."""

from pathlib import Path

import pytest

from cosdesk.engine.sync_patterns import PatternError, SyncPatterns


def test_without_patterns_every_file_but_the_ignore_file_is_taken() -> None:
    patterns = SyncPatterns()
    assert patterns.taken(["a.txt", "deep/b.bin", ".cosignore", "sub/.cosignore"]) == [
        "a.txt",
        "deep/b.bin",
        "sub/.cosignore",
    ]


def test_excludes_follow_gitignore_rules_and_a_later_bang_takes_a_file_back() -> None:
    patterns = SyncPatterns(excludes=("*.tmp", "!keep.tmp", "/build/", "node_modules/"))
    assert patterns.taken(["x.tmp", "keep.tmp", "a/keep.tmp", "build/out.o", "src/build/out.o"]) == [
        "keep.tmp",
        "a/keep.tmp",
        "src/build/out.o",
    ]
    assert patterns.skips_folder("node_modules")
    assert patterns.skips_folder("web/node_modules/")
    assert patterns.skips_folder("build")
    assert not patterns.skips_folder("src/build")


def test_includes_narrow_the_files_and_excludes_still_apply() -> None:
    patterns = SyncPatterns(excludes=("raw/",), includes=("*.jpg", "*.png"))
    assert patterns.taken(["a.jpg", "b.txt", "deep/c.png", "raw/d.jpg"]) == ["a.jpg", "deep/c.png"]


def test_the_folders_cosignore_comes_before_the_flags(tmp_path: Path) -> None:
    (tmp_path / ".cosignore").write_text("# build output\n*.log\n\ncache/\n", encoding="utf-8")
    patterns = SyncPatterns.for_folder(tmp_path, excludes=("!important.log",))
    assert patterns.taken(["app.log", "important.log", "cache/x", "main.py"]) == ["important.log", "main.py"]


def test_a_pattern_gitignore_cannot_read_is_refused_by_name() -> None:
    with pytest.raises(PatternError, match="'!'"):
        SyncPatterns(excludes=("*.tmp", "!"))


@pytest.mark.parametrize("pattern", ["[", "*.[ch", "a[!", "[]", "photos/[0-9"])
def test_a_set_left_open_is_refused_by_name(pattern: str) -> None:
    with pytest.raises(PatternError, match=r"has a '\[' without its '\]'") as refused:
        SyncPatterns(excludes=("*.tmp", pattern))
    assert repr(pattern) in str(refused.value)


def test_a_closed_set_and_an_escaped_bracket_are_patterns() -> None:
    patterns = SyncPatterns(excludes=("*.[ch]", "[]]x", r"\[draft\]*", "[!a]b"))
    taken = patterns.taken(["m.c", "m.h", "m.py", "]x", "[draft] notes", "draft", "ab", "cb"])
    assert taken == ["m.py", "draft", "ab"]
