"""The log file: where it goes, how it rotates, which levels it keeps, and that no
signature or token ever reaches it."""

from __future__ import annotations

import logging
import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.logging_state import LoggingState

from cosdesk import __version__
from cosdesk.logs import (
    BACKUP_COUNT,
    LOG_FILE_NAME,
    MAX_BYTES,
    SANDBOX_LOG_FILE_NAME,
    redact,
    setup_logging,
)

SIGNATURE = "a3f1c0de9b8e7d6c5b4a39281706f5e4d3c2b1a0"
TOKEN = "sts-token-6f2bXk9QpL0mN3vR8tY1uI4oP7aS5dF"
AUTHORIZATION = (
    "q-sign-algorithm=sha1&q-ak=AKIDcosdeskTESTsecretid&q-sign-time=1700000000;1700003600"
    f"&q-key-time=1700000000;1700003600&q-header-list=host&q-url-param-list=&q-signature={SIGNATURE}"
)
PRESIGNED_URL = (
    "https://examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/photos/a.jpg"
    "?q-sign-algorithm=sha1&q-ak=AKIDcosdeskTESTsecretid&q-sign-time=1700000000;1700003600"
    f"&q-key-time=1700000000;1700003600&q-header-list=host&q-url-param-list=&q-signature={SIGNATURE}"
    f"&x-cos-security-token={TOKEN}&response-content-type=image%2Fjpeg"
)


@pytest.fixture
def log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    directory = tmp_path / "logs"
    monkeypatch.setenv("COSDESK_LOG_DIR", str(directory))
    before = LoggingState(logging.getLogger())
    yield directory
    before.restore()


def _flush() -> None:
    for handler in logging.getLogger().handlers:
        handler.flush()


def test_log_file_is_created_in_the_overridden_log_dir(log_dir: Path) -> None:
    path = setup_logging(verbose=False)
    assert path == log_dir / LOG_FILE_NAME
    assert path.exists()


def test_a_warning_reaches_the_file_at_once_with_the_lines_before_it(log_dir: Path) -> None:
    path = setup_logging(verbose=False)
    assert path is not None
    logging.getLogger("cosdesk.test").info("a routine line")
    logging.getLogger("cosdesk.test").warning("a warning line")
    text = path.read_text(encoding="utf-8")  # no flush asked for
    assert "a routine line" in text and "a warning line" in text


def test_the_start_up_line_is_on_disk_when_setup_returns(log_dir: Path) -> None:
    path = setup_logging(verbose=False)
    assert path is not None
    assert f"cosdesk {__version__}" in path.read_text(encoding="utf-8")  # no flush asked for


def test_routine_lines_reach_the_file_within_a_second_by_themselves(log_dir: Path) -> None:
    path = setup_logging(verbose=False)
    assert path is not None
    logging.getLogger("cosdesk.test").info("a routine line")
    deadline = time.monotonic() + 5
    while "a routine line" not in path.read_text(encoding="utf-8"):
        assert time.monotonic() < deadline, "the line was never written"
        time.sleep(0.05)


def test_default_level_keeps_info_and_drops_debug(log_dir: Path) -> None:
    setup_logging(verbose=False)
    logging.getLogger("cosdesk.test").info("an info line")
    logging.getLogger("cosdesk.test").debug("a debug line")
    _flush()
    text = (log_dir / LOG_FILE_NAME).read_text(encoding="utf-8")
    assert "an info line" in text
    assert "a debug line" not in text


def test_verbose_keeps_debug_in_the_file_and_echoes_it_to_stderr(
    log_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    setup_logging(verbose=True)
    logging.getLogger("cosdesk.test").debug("a debug line")
    _flush()
    assert "a debug line" in (log_dir / LOG_FILE_NAME).read_text(encoding="utf-8")
    assert "a debug line" in capsys.readouterr().err


def test_calling_setup_twice_does_not_duplicate_lines(log_dir: Path) -> None:
    setup_logging(verbose=False)
    setup_logging(verbose=False)
    logging.getLogger("cosdesk.test").warning("only once")
    _flush()
    assert (log_dir / LOG_FILE_NAME).read_text(encoding="utf-8").count("only once") == 1


def test_file_rotates_and_keeps_at_most_five_files_of_one_mib(log_dir: Path) -> None:
    setup_logging(verbose=False)
    line = "x" * 1000
    for _ in range(7 * MAX_BYTES // 1000):
        logging.getLogger("cosdesk.test").info(line)
    _flush()
    files = sorted(p.name for p in log_dir.iterdir())
    assert files == [LOG_FILE_NAME] + [f"{LOG_FILE_NAME}.{n}" for n in range(1, BACKUP_COUNT + 1)]
    assert BACKUP_COUNT + 1 == 5
    assert all((log_dir / name).stat().st_size <= MAX_BYTES for name in files)


def test_a_file_another_program_fills_rotates_within_a_second(log_dir: Path) -> None:
    # The window and a `cosdesk upload` share cosdesk.log; the size on disk is read
    # once a second, not before every line.
    path = setup_logging(verbose=False)
    assert path is not None
    logger = logging.getLogger("cosdesk.test")
    logger.info("before the other program writes")
    _flush()
    room = MAX_BYTES - path.stat().st_size - 150  # less than the next line needs
    with path.open("a", encoding="utf-8") as other_program:
        other_program.write("z" * room + "\n")
    time.sleep(1.1)
    logger.info("x" * 200)
    _flush()
    assert (log_dir / f"{LOG_FILE_NAME}.1").stat().st_size <= MAX_BYTES
    assert (log_dir / LOG_FILE_NAME).read_text(encoding="utf-8").count("x" * 200) == 1


def test_the_first_line_says_what_ran_and_on_which_system_without_a_child_process(log_dir: Path) -> None:
    # platform.platform() runs `uname -p` on Linux: ~20 ms of every start. A fresh
    # interpreter: the platform module caches what it learnt.
    probe = (
        "import subprocess\n"
        "def no_child(*args, **kwargs): raise AssertionError('a process was started')\n"
        "subprocess.Popen = no_child\n"
        "from cosdesk.logs import setup_logging\n"
        "setup_logging()\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True)  # log_dir is in COSDESK_LOG_DIR
    first = (log_dir / LOG_FILE_NAME).read_text(encoding="utf-8").splitlines()[0]
    assert f"cosdesk {__version__}, Python {platform.python_version()}, " in first
    assert platform.machine() in first


def test_authorization_header_and_presigned_url_never_reach_the_file(log_dir: Path) -> None:
    setup_logging(verbose=True)
    log = logging.getLogger("cosdesk.test")
    log.debug("request headers: %s", {"Authorization": AUTHORIZATION, "Host": "example"})
    log.debug("Authorization: %s", AUTHORIZATION)
    log.debug(
        "send headers [(b'authorization', b'%s'), (b'x-cos-security-token', b'%s')]", AUTHORIZATION, TOKEN
    )
    log.info('HTTP Request: GET %s "HTTP/1.1 200 OK"', PRESIGNED_URL)
    try:
        raise RuntimeError(f"failed to fetch {PRESIGNED_URL}")
    except RuntimeError:
        log.exception("download failed")
    _flush()
    text = (log_dir / LOG_FILE_NAME).read_text(encoding="utf-8")
    assert SIGNATURE not in text
    assert TOKEN not in text
    assert "q-signature=***" in text
    assert "x-cos-security-token=***" in text
    # What is not secret stays readable: the key, the host, the other parameters.
    assert "/photos/a.jpg" in text
    assert "response-content-type=image%2Fjpeg" in text
    assert "'Host': 'example'" in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"Authorization: {AUTHORIZATION}", "Authorization: ***"),
        (f"{{'Authorization': '{AUTHORIZATION}'}}", "{'Authorization': '***'}"),
        ("authorization: Bearer abc.def", "authorization: ***"),
        (f"?q-signature={SIGNATURE}&x=1", "?q-signature=***&x=1"),
        (f"x-cos-security-token: {TOKEN}", "x-cos-security-token: ***"),
        (f'{{"x-cos-security-token": "{TOKEN}"}}', '{"x-cos-security-token": "***"}'),
        (
            "Credentials(secret_id='AKID', secret_key='sk-123')",
            "Credentials(secret_id='AKID', secret_key='***')",
        ),
        ("SignatureDoesNotMatch for PUT /a.txt", "SignatureDoesNotMatch for PUT /a.txt"),
    ],
)
def test_redact_masks_values_by_name(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_cli_writes_its_log_file_where_the_env_says(tmp_path: Path) -> None:
    env_dir = tmp_path / "cli-logs"
    probe = "import sys; from cosdesk.cli import main; sys.exit(main(['tasks', 'list']))"
    subprocess.run(
        [sys.executable, "-c", probe],
        env={**_base_env(tmp_path), "COSDESK_LOG_DIR": str(env_dir)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "cosdesk " in (env_dir / LOG_FILE_NAME).read_text(encoding="utf-8")


def _base_env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "COSDESK_CONFIG_DIR": str(tmp_path / "config"),
        "COSDESK_DATA_DIR": str(tmp_path / "data"),
        "COSDESK_DB": str(tmp_path / "tasks.sqlite3"),
        "QT_QPA_PLATFORM": "offscreen",
    }


def test_the_sandbox_process_writes_a_file_of_its_own(log_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COSDESK_LOG_FILE", SANDBOX_LOG_FILE_NAME)
    path = setup_logging(verbose=False)
    assert path == log_dir / SANDBOX_LOG_FILE_NAME
    logging.getLogger("cosdesk.test").warning("from the server, Authorization: %s", AUTHORIZATION)
    _flush()
    text = path.read_text(encoding="utf-8")
    assert "from the server" in text and SIGNATURE not in text
    assert not (log_dir / LOG_FILE_NAME).exists()
    # Only a name is taken from the variable: the file stays in the log folder.
    monkeypatch.setenv("COSDESK_LOG_FILE", "../../elsewhere.log")
    assert setup_logging(verbose=False) == log_dir / "elsewhere.log"


def test_help_says_where_the_log_files_are(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cosdesk", "--help"],
        env={**_base_env(tmp_path), "COSDESK_LOG_DIR": str(tmp_path / "where")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    text = "".join(result.stdout.split())  # argparse wraps long paths anywhere
    assert str(tmp_path / "where" / LOG_FILE_NAME) in text
    assert str(tmp_path / "where" / SANDBOX_LOG_FILE_NAME) in text


def test_a_rotation_that_fails_keeps_logging_without_errors(
    log_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    setup_logging(verbose=False)
    # The rotated names are taken by folders: renaming fails, as it does on Windows
    # while another process holds the file open.
    for number in range(1, BACKUP_COUNT + 1):
        (log_dir / f"{LOG_FILE_NAME}.{number}" / "busy").mkdir(parents=True)
    line = "y" * 1000
    for number in range(2 * MAX_BYTES // 1000):
        logging.getLogger("cosdesk.test").info("%d %s", number, line)
    logging.getLogger("cosdesk.test").info("the last line")
    _flush()
    assert "Logging error" not in capsys.readouterr().err
    text = (log_dir / LOG_FILE_NAME).read_text(encoding="utf-8")
    assert "the last line" in text and f"{2 * MAX_BYTES // 1000 - 1} y" in text
    assert (log_dir / f"{LOG_FILE_NAME}.1").is_dir()


def test_a_transfer_failure_keeps_its_reason_and_loses_the_secrets_in_it(log_dir: Path) -> None:
    setup_logging(verbose=False)
    logging.getLogger("cosdesk.transfers").warning(
        "upload failed: %s: %s",
        "examplebucket-1250000000/a.jpg",
        f"AccessDenied (403): denied for {PRESIGNED_URL}",
    )
    _flush()
    text = (log_dir / LOG_FILE_NAME).read_text(encoding="utf-8")
    assert (
        "WARNING" in text
        and "upload failed: examplebucket-1250000000/a.jpg: AccessDenied (403): denied" in text
    )
    assert SIGNATURE not in text and TOKEN not in text


def test_transfer_lines_stay_out_of_the_terminal_unless_verbose(
    log_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The command line prints its own line for a failed upload; the log's would repeat it.
    setup_logging(verbose=False)
    logging.getLogger("cosdesk.transfers").warning("upload failed: b/k: SlowDown (503): slow down")
    logging.getLogger("cosdesk.test").warning("a warning of another kind")
    _flush()
    err = capsys.readouterr().err
    assert "upload failed" not in err and "a warning of another kind" in err
    assert "upload failed: b/k" in (log_dir / LOG_FILE_NAME).read_text(encoding="utf-8")

    setup_logging(verbose=True)
    logging.getLogger("cosdesk.transfers").warning("upload failed: b/k2: SlowDown (503): slow down")
    assert "upload failed: b/k2" in capsys.readouterr().err


def test_lines_carry_the_time_as_the_standard_formatter_writes_it() -> None:
    # The date and time of a second are worked out once for all its lines.
    from cosdesk.logs import FILE_FORMAT, _Formatter

    ours, standard = _Formatter(FILE_FORMAT), logging.Formatter(FILE_FORMAT)
    for created in (1_700_000_000.001, 1_700_000_000.999, 1_700_000_001.5, 1_699_999_999.2, 1_700_000_001.7):
        record = logging.LogRecord("cosdesk.test", logging.INFO, __file__, 1, "at %s", (created,), None)
        record.created, record.msecs = created, (created - int(created)) * 1000
        assert ours.format(record) == standard.format(record)
