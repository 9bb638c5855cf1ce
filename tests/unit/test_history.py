"""The transfer history in the task database: an old database gains it on opening,
pages come newest first without sorting, search finds words in any case, the CSV
export is complete and safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import re
import sqlite3
import time
from pathlib import Path

import pytest
from support.old_databases import VERSION_1_SCHEMA

from cosdesk.engine.history import (
    CSV_COLUMNS,
    HistoryEntry,
    HistoryOutcome,
    HistoryQuery,
    HistoryReader,
    export_csv,
    insert_entries,
    page_statement,
)
from cosdesk.engine.store import SCHEMA_VERSION, TaskStore

# The database as cosdesk wrote it before the history existed (schema version 1).
OLD_TASK = """
INSERT INTO tasks(task_id, position, bucket, key, endpoint_json, options_json, source_kind, source_path,
                  size, state, created_at)
VALUES ('old-task', 0, 'examplebucket-1250000000', 'old/report.pdf',
        '{"region": "ap-guangzhou"}', '{}', 'file', '/tmp/report.pdf', 10, 'paused', 1700000000);
"""


def entry(number: int, **changes: object) -> HistoryEntry:
    fields: dict[str, object] = {
        "task_id": f"task-{number}",
        "outcome": HistoryOutcome.DONE,
        "started_at": 1_700_000_000.0 + number,
        "ended_at": 1_700_000_002.0 + number,
        "active_s": 2.0,
        "bytes_sent": 4096,
        "size": 4096,
        "bucket": "examplebucket-1250000000",
        "key": f"photos/img-{number:07d}.jpg",
        "endpoint": "ap-guangzhou",
        "source_path": f"/home/me/photos/img-{number:07d}.jpg",
    }
    fields.update(changes)
    return HistoryEntry(**fields)  # type: ignore[arg-type]


def fill(path: Path, entries: list[HistoryEntry]) -> None:
    """Write entries straight into the table (what the store's writer does)."""
    store = TaskStore(path)
    store.close()
    db = sqlite3.connect(path)
    with db:
        insert_entries(db, entries)
    db.close()


def test_a_database_from_before_the_history_opens_keeps_its_tasks_and_gains_an_empty_history(
    tmp_path: Path,
) -> None:
    path = tmp_path / "tasks.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(VERSION_1_SCHEMA + OLD_TASK)
    old.close()

    store = TaskStore(path)
    try:
        tasks = store.load_tasks()
        assert [stored.key for stored in tasks] == ["old/report.pdf"]
        reader = HistoryReader(path)
        assert reader.count(HistoryQuery()) == 0
        store.save_history(entry(1))
        assert store.flush()
        assert [e.key for e in reader.page(HistoryQuery())] == ["photos/img-0000001.jpg"]
    finally:
        store.close()
    db = sqlite3.connect(path)
    (version,) = db.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()
    db.close()
    assert int(version) == SCHEMA_VERSION


def test_history_survives_closing_and_reopening_the_database(tmp_path: Path) -> None:
    path = tmp_path / "tasks.sqlite3"
    store = TaskStore(path)
    store.save_history(entry(1, outcome=HistoryOutcome.FAILED, error_code="AccessDenied", error_message="no"))
    store.close()

    reopened = TaskStore(path)
    try:
        (kept,) = HistoryReader(path).page(HistoryQuery())
        assert kept.outcome is HistoryOutcome.FAILED
        assert (kept.error_code, kept.error_message, kept.size, kept.active_s) == (
            "AccessDenied",
            "no",
            4096,
            2.0,
        )
        reopened.clear_history()
        assert reopened.flush()
        assert HistoryReader(path).count(HistoryQuery()) == 0
        # Clearing the history leaves the upload list alone, and ids never go back.
        reopened.save_history(entry(2))
        assert reopened.flush()
        assert HistoryReader(path).newest_id() > kept.entry_id
    finally:
        reopened.close()


def test_pages_run_newest_first_and_never_sort_the_table(tmp_path: Path) -> None:
    path = tmp_path / "tasks.sqlite3"
    fill(path, [entry(number) for number in range(1, 1001)])
    reader = HistoryReader(path)

    seen: list[int] = []
    before = None
    while True:
        page = reader.page(HistoryQuery(), before, 300)
        seen += [int(e.task_id.split("-")[1]) for e in page]
        if len(page) < 300:
            break
        before = page[-1].entry_id
    assert seen == list(range(1000, 0, -1))

    # Keyset paging on the rowid: no temporary sort, whatever the filter, so the
    # last page of a million rows costs what the first does.
    db = sqlite3.connect(path)
    for query in (HistoryQuery(), HistoryQuery("img", HistoryOutcome.DONE)):
        for before in (None, 500):
            statement, values = page_statement(query, before, 200)
            plan = db.execute(f"EXPLAIN QUERY PLAN {statement}", values).fetchall()
            text = " ".join(str(step[-1]) for step in plan)
            assert "TEMP B-TREE" not in text, text
    db.close()


def test_a_page_deep_in_a_large_history_is_read_quickly(tmp_path: Path) -> None:
    path = tmp_path / "tasks.sqlite3"
    fill(path, [entry(number) for number in range(1, 200_001)])
    reader = HistoryReader(path)
    started = time.perf_counter()
    page = reader.page(HistoryQuery(), before_id=1_000, limit=200)
    elapsed = time.perf_counter() - started
    assert [e.entry_id for e in page] == list(range(999, 799, -1))
    assert elapsed < 0.25, f"a page took {elapsed:.3f} s"


def test_search_finds_key_path_error_and_outcome_in_any_case(tmp_path: Path) -> None:
    path = tmp_path / "tasks.sqlite3"
    fill(
        path,
        [
            entry(1, key="Reports/Q3.PDF"),
            entry(2, source_path="/home/me/Desktop/报告.docx", key="docs/report.docx"),
            entry(
                3,
                outcome=HistoryOutcome.FAILED,
                error_code="SignatureDoesNotMatch",
                error_message="The request signature we calculated does not match",
            ),
            entry(4, outcome=HistoryOutcome.CANCELED, key="100%_done_[x].bin"),
        ],
    )
    reader = HistoryReader(path)

    def keys(text: str = "", outcome: HistoryOutcome | None = None) -> list[str]:
        return [e.key for e in reader.page(HistoryQuery(text, outcome))]

    assert keys("q3.pdf") == ["Reports/Q3.PDF"]
    assert keys("报告") == ["docs/report.docx"]
    assert keys("signature") == ["photos/img-0000003.jpg"]
    assert keys("%_") == ["100%_done_[x].bin"]  # no wildcards: the characters themselves
    assert keys(outcome=HistoryOutcome.CANCELED) == ["100%_done_[x].bin"]
    assert keys("img-", HistoryOutcome.FAILED) == ["photos/img-0000003.jpg"]
    assert reader.count(HistoryQuery("REPORT")) == 2
    assert keys("nothing like this") == []


def test_search_finds_words_across_folder_and_name_and_letters_beyond_ascii_in_any_case(
    tmp_path: Path,
) -> None:
    path = tmp_path / "tasks.sqlite3"
    fill(
        path,
        [
            entry(1, key="photos/2024/summer/beach.jpg", source_path="/home/me/Pictures/2024/beach.jpg"),
            entry(2, key="docs/ÄRGER.txt", source_path="/home/me/Straße/ärger.txt"),
            entry(3, key="docs/other.txt"),
        ],
    )
    reader = HistoryReader(path)

    def keys(text: str) -> list[str]:
        return [e.key for e in reader.page(HistoryQuery(text))]

    assert keys("summer/bea") == ["photos/2024/summer/beach.jpg"]  # the key's folder and name
    assert keys("pictures/2024/beach") == ["photos/2024/summer/beach.jpg"]  # the path's
    assert keys("2024/summer") == ["photos/2024/summer/beach.jpg"]  # in a folder only
    assert keys("/other.TXT") == ["docs/other.txt"]
    assert keys("docs/") == ["docs/other.txt", "docs/ÄRGER.txt"]
    assert keys("ärger") == ["docs/ÄRGER.txt"]  # SQLite's lower() alone folds ASCII only
    assert keys("STRASSE") == ["docs/ÄRGER.txt"]  # case folding turns ß into ss
    assert reader.count(HistoryQuery("/2024/")) == 1


def test_csv_export_holds_every_matching_entry_with_plain_numbers(tmp_path: Path) -> None:
    path = tmp_path / "tasks.sqlite3"
    fill(
        path,
        [entry(number) for number in range(1, 12_001)]
        + [
            entry(
                20_000,
                outcome=HistoryOutcome.FAILED,
                key='=HYPERLINK("http://example.invalid")',
                source_path="/home/me/名字, with comma\nand newline.txt",
                bytes_sent=0,
                active_s=0.5,
                error_code="AccessDenied",
                error_message="Access Denied.",
                error_status=403,
                request_id="NjVhYmNkZWZfMTIzNDU2",
            )
        ],
    )
    target = tmp_path / "out" / "history.csv"
    target.parent.mkdir()

    written = export_csv(HistoryReader(path), HistoryQuery(), target)

    assert written == 12_001
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # spreadsheets need the BOM to read UTF-8
    with open(target, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 12_001
    failed = rows[0]
    assert failed["outcome"] == "failed"
    assert failed["key"] == '\'=HYPERLINK("http://example.invalid")'  # text, not a formula
    assert failed["source_path"] == "/home/me/名字, with comma\nand newline.txt"
    assert (failed["bytes_sent"], failed["average_bytes_per_s"], failed["error_code"]) == (
        "0",
        "",
        "AccessDenied",
    )
    assert (failed["http_status"], failed["request_id"]) == ("403", "NjVhYmNkZWZfMTIzNDU2")
    done = rows[1]
    assert (done["size_bytes"], done["bytes_sent"], done["duration_s"], done["average_bytes_per_s"]) == (
        "4096",
        "4096",
        "2.000",
        "2048",
    )
    assert re.fullmatch(r"2023-11-1\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", done["ended_at"]), done["ended_at"]
    assert not (target.parent / "history.csv.part").exists()

    only_failed = export_csv(HistoryReader(path), HistoryQuery("accessdenied"), tmp_path / "failed.csv")
    assert only_failed == 1


def test_a_csv_export_that_cannot_be_written_raises_and_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "tasks.sqlite3"
    fill(path, [entry(1)])
    with pytest.raises(OSError):
        export_csv(HistoryReader(path), HistoryQuery(), tmp_path / "no such folder" / "history.csv")
    assert all(p.name.startswith("tasks.sqlite3") for p in tmp_path.iterdir())
