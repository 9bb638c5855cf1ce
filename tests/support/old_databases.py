"""Task databases as earlier versions of cosdesk wrote them: their schemas as they
were, and rows in the forms those versions stored (JSON texts as ``to_json``
and ``json.dumps`` wrote them, CRC-64 values as text)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

# Version 1: the tasks, their parts and the requests between processes.
VERSION_1_SCHEMA = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE tasks (
    task_id TEXT PRIMARY KEY, position INTEGER NOT NULL, bucket TEXT NOT NULL, key TEXT NOT NULL,
    endpoint_json TEXT NOT NULL, options_json TEXT NOT NULL, source_kind TEXT NOT NULL,
    source_path TEXT, data BLOB, size INTEGER, mtime_ns INTEGER, state TEXT NOT NULL, method TEXT,
    upload_id TEXT, part_size INTEGER, append_start_position INTEGER, append_start_crc64 TEXT,
    file_md5 TEXT, key_resolved INTEGER NOT NULL DEFAULT 0, error_json TEXT,
    note TEXT NOT NULL DEFAULT '', result_json TEXT, created_at REAL NOT NULL, finished_at REAL
);
CREATE TABLE parts (
    task_id TEXT NOT NULL REFERENCES tasks(task_id) ON DELETE CASCADE, part_number INTEGER NOT NULL,
    etag TEXT NOT NULL, size INTEGER NOT NULL, crc64 TEXT NOT NULL, PRIMARY KEY (task_id, part_number)
);
CREATE TABLE requests (
    request_id INTEGER PRIMARY KEY AUTOINCREMENT, task_id TEXT, action TEXT NOT NULL, created_at REAL NOT NULL
);
INSERT INTO meta VALUES ('schema_version', '1');
"""

# Version 2 added the history; version 3 the RENAME upload's key (added to a
# version 2 file with ALTER TABLE, so it comes last there).
HISTORY_SCHEMA = """
CREATE TABLE history (
    entry_id INTEGER PRIMARY KEY AUTOINCREMENT, task_id TEXT NOT NULL, outcome TEXT NOT NULL,
    started_at REAL, ended_at REAL NOT NULL, active_s REAL NOT NULL, bytes_sent INTEGER NOT NULL,
    size INTEGER, bucket TEXT NOT NULL, key TEXT NOT NULL, endpoint TEXT NOT NULL, source_path TEXT,
    error_code TEXT, error_message TEXT, error_status INTEGER, request_id TEXT, search_text TEXT NOT NULL
);
"""

BUCKET = "examplebucket-1250000000"
# Task ids as the queue makes them (uuid4().hex).
TASK_IDS = {
    "done": "0f8fad5bd9cb469fa16570867728950e",
    "paused": "7c9e6679742540de944be07fc1f90ae7",
    "failed": "a3bb189e8bf9488d9bcb8ac6b9b48c4f",
    "memory": "e4eaaaf2d14245c8a6a0e2c4dd3c4a1b",
}
# UploadOptions().to_json() as version 3 wrote it.
OPTIONS_JSON = (
    '{"acl": null, "adaptive_part_size": true, "cache_control": null, "chunk_parallel_limit": 3,'
    ' "chunk_size": 1048576, "conflict": "overwrite", "content_disposition": null,'
    ' "content_encoding": null, "content_md5": false, "content_type": null, "expires": null,'
    ' "grant_full_control": null, "grant_read": null, "grant_read_acp": null, "grant_write_acp": null,'
    ' "headers": {}, "metadata": {"project": "x"}, "method": "auto", "retries": 3, "slice_size": 1048576,'
    ' "storage_class": null, "traffic_limit": null, "upload_add_meta_md5": false}'
)
CREATED_AT = 1_700_000_000.25
BIG_CRC = 2**64 - 5  # above SQLite's integers: version 3 kept CRC-64 values as text


def endpoint_json(url: str) -> str:
    """EndpointSpec(region, url=url).to_json() as version 3 wrote it."""
    return (
        '{"accelerate": false, "path_style": true, "region": "ap-guangzhou", "scheme": "https",'
        f' "url": "{url}"}}'
    )


def _task_row(task_id: str, position: int, key: str, **columns: object) -> dict[str, object]:
    row: dict[str, object] = {
        "task_id": task_id,
        "position": position,
        "bucket": BUCKET,
        "key": key,
        "source_kind": "file",
        "state": "waiting",
        "key_resolved": 0,
        "note": "",
        "created_at": CREATED_AT + position,
    }
    row.update(columns)
    return row


def write_old_database(path: Path, version: int, endpoint_url: str, sources: Path) -> None:
    """A database of ``version`` (1, 2 or 3) with four tasks and, from version 2,
    two history entries (ids 3 and 5; the sequence stands at 9, the entries
    after 5 having been cleared). ``sources``: the folder of the tasks' files
    (``sources/old/done.txt`` ... are not written here)."""
    db = sqlite3.connect(path)
    try:
        db.executescript(VERSION_1_SCHEMA)
        if version >= 2:
            db.executescript(HISTORY_SCHEMA)
        if version >= 3:
            db.execute("ALTER TABLE tasks ADD COLUMN renamed_key TEXT")
        db.execute("UPDATE meta SET value = ? WHERE name = 'schema_version'", (str(version),))
        endpoint = endpoint_json(endpoint_url)
        done_result = {
            "location": f"{endpoint_url.split('://')[1]}/{BUCKET}/old/done.txt",
            "bucket": BUCKET,
            "key": "old/done.txt",
            "etag": '"5d41402abc4b2a76b9719d911017c592"',
            "version_id": None,
            "crc64": BIG_CRC,
            "skipped": False,
            "verification": "crc64",
        }
        rows = [
            _task_row(
                TASK_IDS["done"],
                0,
                "old/done.txt",
                source_path=str(sources / "old" / "done.txt"),
                size=5,
                mtime_ns=1_700_000_000_123_456_789,
                state="success",
                method="put",
                key_resolved=1,
                result_json=json.dumps(done_result),
                finished_at=CREATED_AT + 10,
            ),
            _task_row(
                TASK_IDS["paused"],
                1,
                "old/big.bin",
                source_path=str(sources / "old" / "big.bin"),
                size=3 * 1024 * 1024,
                mtime_ns=1_700_000_001_000_000_000,
                state="paused",
                method="multipart",
                upload_id="upload-that-the-server-forgot",
                part_size=1024 * 1024,
                key_resolved=1,
                note="paused by you",
            ),
            _task_row(
                TASK_IDS["failed"],
                2,
                "old/report.pdf",
                source_path=str(sources / "old" / "report.pdf"),
                size=700,
                state="error",
                append_start_crc64=str(BIG_CRC),
                error_json=json.dumps(
                    {
                        "code": "AccessDenied",
                        "message": "Access Denied.",
                        "status_code": 403,
                        "request_id": "NjVhYmNk",
                        "transient": False,
                    }
                ),
            ),
            _task_row(TASK_IDS["memory"], 3, "old/hello.txt", source_kind="memory", data=b"hello", size=5),
        ]
        if version >= 3:
            rows[2]["renamed_key"] = "old/report (1).pdf"
        for row in rows:
            row.setdefault("endpoint_json", endpoint)
            row.setdefault("options_json", OPTIONS_JSON)
            names = ", ".join(row)
            db.execute(f"INSERT INTO tasks({names}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
        db.execute(
            "INSERT INTO parts VALUES (?, 1, '\"etag-of-part-1\"', 1048576, ?)",
            (TASK_IDS["paused"], str(BIG_CRC)),
        )
        if version >= 2:
            _write_history(db, endpoint_url, sources)
        db.commit()
    finally:
        db.close()


def _write_history(db: sqlite3.Connection, endpoint_url: str, sources: Path) -> None:
    entries = [
        (
            3,
            TASK_IDS["done"],
            "done",
            CREATED_AT + 9,
            CREATED_AT + 10,
            0.5,
            5,
            5,
            "old/done.txt",
            None,
            None,
            None,
        ),
        (
            5,
            TASK_IDS["failed"],
            "failed",
            None,
            CREATED_AT + 20,
            0.0,
            0,
            700,
            "old/report.pdf",
            "AccessDenied",
            "Access Denied.",
            403,
        ),
    ]
    for number, task_id, outcome, started, ended, active, sent, size, key, code, message, status in entries:
        source = str(sources / key)
        request_id = None if code is None else "NjVhYmNk"
        words = [key, BUCKET, endpoint_url, source, outcome, code or "", message or "", request_id or ""]
        db.execute(
            "INSERT INTO history VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                number,
                task_id,
                outcome,
                started,
                ended,
                active,
                sent,
                size,
                BUCKET,
                key,
                endpoint_url,
                source,
                code,
                message,
                status,
                request_id,
                "\n".join(words).casefold(),
            ),
        )
    db.execute("UPDATE sqlite_sequence SET seq = 9 WHERE name = 'history'")
