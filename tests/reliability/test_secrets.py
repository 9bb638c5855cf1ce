"""Secrets: after a full CLI session and a full GUI session with real keys, no file
and no output holds the SecretKey, the session token or a request signature;
verbose logs redact Authorization; the local server listens on 127.0.0.1, refuses
unsigned requests and keeps every key inside its root; and a real Secret Service
keeps the keys."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from support.logging_state import LoggingState
from support.qt_cleanup import collect_on_gui_thread
from support.signed_client import SignedClient
from support.workloads import BUCKET, REGION, ROOT, MiB, write_random_file

from cosdesk.cos.auth import Credentials
from cosdesk.sandbox.server import SandboxServer

TEMP_ID = "AKIDtempSESSIONid0001"
TEMP_KEY = "tEmP-SeCrEt-KeY-9f8e7d6c5b4a"
TOKEN = "sts-token-Zq7XbV3pLm8Rn2Kw5Yt1"
SIGNATURE = re.compile(r"q-signature=[0-9a-f]{40}")


@pytest.fixture(autouse=True)
def _qt_garbage_collected_here() -> Iterator[None]:
    """The windows these tests make themselves leave Qt garbage (support/qt_cleanup.py)."""
    yield
    collect_on_gui_thread()


@pytest.fixture
def sts_server(tmp_path: Path) -> Iterator[SandboxServer]:
    with SandboxServer(
        root=tmp_path / "cos-root",
        buckets=[BUCKET],
        credentials={},
        session_tokens={TOKEN: (TEMP_ID, TEMP_KEY)},
        region=REGION,
    ) as server:
        yield server


def leaks(text: str) -> list[str]:
    found = [name for name, secret in (("SecretKey", TEMP_KEY), ("session token", TOKEN)) if secret in text]
    if SIGNATURE.search(text):
        found.append("signature")
    return found


def test_a_full_cli_session_leaves_no_secret_in_any_file_or_output(
    sts_server: SandboxServer, tmp_path: Path, isolated_user_dirs: Path
) -> None:
    source = tmp_path / "src"
    write_random_file(source / "big.bin", 6 * MiB)
    (source / "small.txt").write_text("small")
    db = tmp_path / "data" / "tasks.sqlite3"
    env = {
        **os.environ,
        "COS_SECRET_ID": TEMP_ID,
        "COS_SECRET_KEY": TEMP_KEY,
        "COS_SESSION_TOKEN": TOKEN,
        "PYTHONPATH": str(ROOT),
        "COSDESK_CONFIG_DIR": str(tmp_path / "config"),
        "COSDESK_DATA_DIR": str(tmp_path / "data"),
        "COSDESK_LOG_DIR": str(tmp_path / "log"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "HOME": str(tmp_path / "home"),
    }
    base = [sys.executable, "-m", "cosdesk", "--verbose"]
    where = ["--endpoint", sts_server.endpoint, "--db", str(db)]
    outputs: list[str] = []

    def run(*args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*base, *args], env={**env, **extra_env}, capture_output=True, text=True, timeout=120
        )
        outputs.append(result.stdout + result.stderr)
        return result

    # A crash mid-upload (SIGKILL), a resume, a failure with a wrong key, a listing.
    sts_server.faults.bandwidth_bytes_per_s = 2_000_000
    crashed = subprocess.Popen(
        [*base, "upload", str(source), f"cos://{BUCKET}/s/", *where],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(2.0)
    crashed.send_signal(signal.SIGKILL)
    out, err = crashed.communicate()
    outputs.append(out + err)
    sts_server.faults.bandwidth_bytes_per_s = None
    assert run("tasks", "resume", *where).returncode == 0
    wrong = run(
        "upload",
        str(source / "small.txt"),
        f"cos://{BUCKET}/w/",
        *where,
        COS_SECRET_KEY="wrong-" + TEMP_KEY[6:],
    )
    assert wrong.returncode == 1 and "SignatureDoesNotMatch" in wrong.stderr
    assert run("tasks", "list", "--db", str(db)).returncode == 0
    verbose = "\n".join(outputs)
    # The verbose log shows requests, with Authorization and the token redacted.
    assert "'Authorization': '***'" in verbose or "'Authorization': '<redacted>'" in verbose

    checked_files = 0
    found: dict[str, list[str]] = {}
    for folder in (
        tmp_path / "config",
        tmp_path / "data",
        tmp_path / "state",
        tmp_path / "cache",
        tmp_path / "home",
    ):
        for path in folder.rglob("*") if folder.exists() else []:
            if path.is_file():
                checked_files += 1
                text = path.read_bytes().decode("latin-1")
                if leaks(text):
                    found[str(path)] = leaks(text)
    for index, text in enumerate(outputs):
        if leaks(text):
            found[f"output {index}"] = leaks(text)
    assert found == {}, found
    print(
        f"\nsecrets: CLI session (crash, resume, wrong key, list; --verbose), {checked_files} files under "
        f"config/data/log dirs and {len(outputs)} outputs searched, 0 hold the SecretKey, token or a "
        "signature; Authorization redacted"
    )


# --- a full GUI session ----------------------------------------------------------------

GUI_ID = "AKIDguiSESSIONid0002"
GUI_KEY = "gUi-SeCrEt-KeY-3a2b1c0d9e8f"
GUI_TOKEN = "sts-gui-token-Hc4Ws9Jd2Pq6Lx0Ve"
# "'Authorization': '***'" (the log filter) or "'Authorization': '<redacted>'" (the client).
AUTHORIZATION_REDACTED = re.compile(r"""authorization['"]?\s*[:=,]\s*['"]?(?:\*\*\*|<redacted>)""", re.I)


def gui_leaks(text: str, signature: str) -> list[str]:
    """What ``text`` holds of the GUI session's secrets: the SecretKey, the token, any
    signature, or (in whatever wrapping) the 40 hex digits of the copied pre-signed URL's."""
    secrets = (("SecretKey", GUI_KEY), ("session token", GUI_TOKEN), ("pre-signed signature", signature))
    found = [name for name, secret in secrets if secret in text]
    if SIGNATURE.search(text):
        found.append("signature")
    return found


def test_a_full_gui_session_leaves_no_secret_in_any_file_log_or_output(
    qtbot: Any, tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import logging
    import threading
    import traceback

    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QLabel

    from cosdesk import config
    from cosdesk.engine.task import TaskState, UploadMethod
    from cosdesk.logs import setup_logging
    from cosdesk.ui.main_window import MainWindow
    from cosdesk.ui.session import open_session

    # Exceptions nobody caught (on the GUI thread or a worker) are output too.
    texts: list[str] = []
    hook, thread_hook = sys.excepthook, threading.excepthook

    def keep_exception(kind: Any, value: Any, tb: Any) -> None:
        texts.append("".join(traceback.format_exception(kind, value, tb)))
        hook(kind, value, tb)

    def keep_thread_exception(args: Any) -> None:
        texts.append("".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback)))
        thread_hook(args)

    monkeypatch.setattr(sys, "excepthook", keep_exception)
    monkeypatch.setattr(threading, "excepthook", keep_thread_exception)

    def read_files() -> dict[str, bytes]:
        """Every file under the config, data (task database) and log folders."""
        folders = [tmp_path / "config", tmp_path / "data", tmp_path / "log"]
        return {str(p): p.read_bytes() for folder in folders for p in folder.rglob("*") if p.is_file()}

    root = logging.getLogger()
    logging_before = LoggingState(root)
    log_file = setup_logging(verbose=True)  # DEBUG: every request is logged, with its headers
    assert log_file is not None and log_file.is_relative_to(tmp_path)

    # A temporary (STS) key: the server knows it only with its token, so every
    # accepted request proves the token went along.
    server = SandboxServer(
        root=tmp_path / "cos-root",
        buckets=[BUCKET],
        credentials={},
        session_tokens={GUI_TOKEN: (GUI_ID, GUI_KEY)},
        region=REGION,
    ).start()
    window = MainWindow(open_session(start_sandbox=False))
    qtbot.addWidget(window)
    window.show()
    statuses: list[str] = []
    window.statusBar().messageChanged.connect(statuses.append)
    signature = "no pre-signed URL yet"
    try:
        # Settings: a new account typed in as a user would, tested, saved.
        dialog = window.open_settings(add=True)
        dialog.name.setText("work")
        QTest.keyClicks(dialog.secret_id, GUI_ID)
        QTest.keyClicks(dialog.secret_key, GUI_KEY)
        QTest.keyClicks(dialog.session_token, GUI_TOKEN)
        dialog.region.setCurrentText(REGION)
        dialog.bucket.setText(BUCKET)
        dialog.endpoint.setText(server.endpoint)
        dialog.path_style.setChecked(True)
        dialog.use_https.setChecked(False)
        dialog.slice_size.setValue(1)  # 1 MiB: the 3 MiB file goes in parts
        dialog.test_button.click()
        qtbot.waitUntil(lambda: dialog.test_result.text()[:1] in ("✔", "✖"), timeout=15_000)
        texts.append(dialog.test_result.text())
        assert dialog.test_result.text().startswith("✔"), dialog.test_result.text()
        saved: list[int] = []
        dialog.finished.connect(saved.append)
        dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
        qtbot.waitUntil(lambda: bool(saved), timeout=10_000)  # Save writes on a worker
        assert config.load_credentials("work") == Credentials(GUI_ID, GUI_KEY, GUI_TOKEN)
        destination = window.destination()
        assert destination is not None and destination.bucket == BUCKET
        window.destination_bar.set_location(BUCKET, "gui")

        def rows() -> dict[str, Any]:
            model = window.model
            return {(s := model.snapshot_at(r)).key: s for r in range(model.rowCount())}

        def wait(predicate: Any, timeout_s: float = 20) -> None:
            qtbot.waitUntil(lambda: predicate(rows()), timeout=int(timeout_s * 1000))

        def select(key: str) -> None:
            row = window.model.row_of(rows()[key].task_id)
            index = window.proxy.mapFromSource(window.model.index(row, 0))
            window.table.selectionModel().clearSelection()
            window.table.selectRow(index.row())
            window.table.setCurrentIndex(index)

        # A multipart upload, held slow enough to pause it, with a file queued
        # behind it that is removed before its turn.
        source = tmp_path / "src"
        write_random_file(source / "parts.bin", 3 * MiB)
        gone = source / "gone.txt"
        gone.write_text("removed before its turn")
        window.queue.set_bandwidth_limit(512 * 1024)
        window.queue.set_file_parallel_limit(1)
        assert window.add_paths([str(source / "parts.bin")])
        wait(lambda r: "gui/parts.bin" in r)
        assert window.add_paths([str(gone)])
        wait(lambda r: "gui/gone.txt" in r)
        gone.unlink()
        wait(lambda r: r["gui/parts.bin"].state is TaskState.UPLOADING and r["gui/parts.bin"].parts_done >= 1)
        assert rows()["gui/parts.bin"].method is UploadMethod.MULTIPART

        def row_action(key: str, text: str) -> None:
            select(key)
            actions = {action.text(): action for action in window.rows.build_context_menu().actions()}
            assert actions[text].isEnabled(), text
            actions[text].trigger()

        # The row's context menu pauses it; gone.txt gets its turn and fails.
        row_action("gui/parts.bin", "Pause")
        wait(lambda r: r["gui/parts.bin"].state is TaskState.PAUSED)
        wait(lambda r: r["gui/gone.txt"].state is TaskState.ERROR)
        # Resume goes on from the parts already sent, at full speed now, beside two more files.
        window.queue.set_bandwidth_limit(0)
        window.queue.set_file_parallel_limit(4)
        row_action("gui/parts.bin", "Resume")
        (source / "small.txt").write_text("small")
        write_random_file(source / "medium.bin", 200_000)
        assert window.add_paths([str(source / "small.txt"), str(source / "medium.bin")])
        finished = {"gui/parts.bin", "gui/small.txt", "gui/medium.bin"}
        wait(lambda r: finished <= set(r) and all(r[k].state is TaskState.SUCCESS for k in finished), 30)

        # What the window shows of the error, and its details dialog ("Copy error details").
        failed = rows()["gui/gone.txt"]
        assert failed.state is TaskState.ERROR and failed.error is not None
        details = window.rows.show_details(failed.task_id)
        qtbot.waitUntil(lambda: details.error_box.isVisibleTo(details))  # read off the GUI thread
        texts.extend(label.text() for label in details.findChildren(QLabel))
        details.copy_error.click()
        texts.append(QGuiApplication.clipboard().text())
        details.close()
        # Every cell and tooltip of the table, every snapshot's repr.
        model = window.model
        for row in range(model.rowCount()):
            texts.append(repr(model.snapshot_at(row)))
            for column in range(model.columnCount()):
                for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                    texts.append(str(model.index(row, column).data(role)))
        texts.extend(repr(x) for x in (failed.error, config.load_credentials("work"), window.destination()))
        texts.append(str(failed.error))

        # The object URL, then a pre-signed one: it carries a signature (and the
        # token), and is fetched as a recipient would.
        select("gui/small.txt")
        window.rows.copy_urls()
        texts.append(QGuiApplication.clipboard().text())
        window.rows.copy_presigned(3600)  # signed on a worker
        qtbot.waitUntil(lambda: "q-signature" in QGuiApplication.clipboard().text(), timeout=5000)
        presigned = QGuiApplication.clipboard().text()
        match = SIGNATURE.search(presigned)
        assert match and GUI_TOKEN in presigned, presigned
        signature = match.group().split("=")[1]  # its 40 hex digits, in whatever wrapping
        assert httpx.get(presigned, timeout=10).content == b"small"
        QGuiApplication.clipboard().clear()
        texts.extend(statuses)

        # The files as they are while the window is open (the database's -wal holds
        # its latest pages then), and again once it closed.
        while_open = read_files()
        assert any(name.endswith("tasks.sqlite3-wal") for name in while_open), sorted(while_open)
        window.close()
        assert window._shut_down
    finally:
        window.shutdown()
        server.stop()
        logging_before.restore()

    captured = capfd.readouterr()
    texts.extend((captured.out, captured.err))
    assert captured.err, "the DEBUG log on stderr was not captured"

    after_close = read_files()
    names = {Path(path).name for path in after_close}
    assert {"window.ini", "config.json", "tasks.sqlite3", "cosdesk.log"} <= names, names
    found: dict[str, list[str]] = {}
    scanned = 0
    for when, contents in (("while open", while_open), ("after closing", after_close)):
        for path, content in contents.items():
            scanned += len(content)
            text = content.decode("latin-1")
            if gui_leaks(text, signature):
                found[f"{path} ({when})"] = gui_leaks(text, signature)
    files = set(while_open) | set(after_close)
    for index, text in enumerate(texts):
        if gui_leaks(text, signature):
            found[f"output/text {index}: {text[:200]!r}"] = gui_leaks(text, signature)
    assert found == {}, found

    log_text = "\n".join(p.read_text(errors="replace") for p in (tmp_path / "log").glob("cosdesk.log*"))
    redacted_lines = [line for line in log_text.splitlines() if AUTHORIZATION_REDACTED.search(line)]
    # Requests of every kind were logged, each with its Authorization masked.
    assert len(redacted_lines) >= 8, log_text[-3000:]
    unredacted = [line for line in log_text.splitlines() if "authorization" in line.lower()]
    assert set(unredacted) == set(redacted_lines), set(unredacted) - set(redacted_lines)
    assert "x-cos-security-token" in log_text.lower()
    print(
        f"\nsecrets (GUI): STS keys typed in Settings, connection tested, 3 uploads (one multipart, "
        f"paused and resumed), 1 failed (file removed), pre-signed URL copied; DEBUG logs; "
        f"{len(files)} files, {scanned} bytes "
        f"scanned (open and closed), {len(texts)} outputs/texts searched, 0 hold the SecretKey, token "
        f"or a signature; Authorization redacted in {len(redacted_lines)} log lines"
    )


def test_the_local_server_listens_on_localhost_only_by_default(tmp_path: Path) -> None:
    serve = subprocess.Popen(
        [sys.executable, "-m", "cosdesk", "serve", "--root", str(tmp_path / "r"), "--port", "0"],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert serve.stdout is not None
        first_line = serve.stdout.readline()
        assert "http://127.0.0.1:" in first_line, first_line
        listening = [c.laddr for c in psutil.Process(serve.pid).net_connections() if c.status == "LISTEN"]
        assert listening and all(address.ip == "127.0.0.1" for address in listening), listening
    finally:
        serve.send_signal(signal.SIGINT)
        serve.wait(timeout=10)
        if serve.stdout is not None:
            serve.stdout.close()


def test_the_local_server_refuses_unsigned_and_wrongly_signed_requests(sandbox: Any) -> None:
    unsigned = httpx.put(f"{sandbox.endpoint}/{BUCKET}/anon.txt", content=b"x")
    assert unsigned.status_code == 403 and b"<Code>AccessDenied</Code>" in unsigned.content
    with SignedClient(
        sandbox.endpoint, Credentials("AKIDcosdeskTESTsecretid", "bad"), BUCKET, REGION
    ) as client:
        assert client.put("forged.txt", b"x").status_code == 403


@pytest.mark.parametrize(
    "key",
    [
        "../escape.txt",
        "../../../../../../tmp/escape.txt",
        "/abs/escape.txt",
        "a/../../escape.txt",
        "..",
        "nul\x00byte",
        "back\\..\\..\\slash",
    ],
)
def test_object_keys_cannot_escape_the_server_root(
    sandbox: Any, credentials: Credentials, tmp_path: Path, key: str
) -> None:
    before = {p for p in tmp_path.parent.rglob("*escape*")}
    with SignedClient(sandbox.endpoint, credentials, BUCKET, REGION, style="path") as client:
        stored = client.put(key, b"inside")
        assert stored.status_code in (200, 400), stored.text
        if stored.status_code == 200:
            assert client.get(key).content == b"inside"
    root = sandbox.root.resolve()
    created = {p for p in tmp_path.parent.rglob("*escape*")} - before
    assert all(root in p.resolve().parents for p in created), created
    assert not Path("/tmp/escape.txt").exists() and not Path("/abs").exists()


# --- a real Secret Service -------------------------------------------------------------

SECRET_SERVICE_SCRIPT = textwrap.dedent(
    """
    import sys
    from cosdesk import config
    from cosdesk.cos.auth import Credentials
    action = sys.argv[1]
    if action == "store":
        config.store_credentials("work", Credentials("AKIDrealSS", sys.argv[2], sys.argv[3]))
        print("stored with", type(__import__("keyring").get_keyring()).__module__)
    else:
        loaded = config.load_credentials("work")
        assert loaded is not None, "nothing stored"
        same = (loaded.secret_key, loaded.session_token) == (sys.argv[2], sys.argv[3])
        print("match" if same else "differ")
    """
)


def test_keys_round_trip_through_a_real_secret_service_and_touch_no_file(tmp_path: Path) -> None:
    missing = [tool for tool in ("dbus-run-session", "gnome-keyring-daemon") if shutil.which(tool) is None]
    if missing:
        reason = f"needs {' and '.join(missing)} (packaging/debian-deps.sh --test)"
        # CI installs them: there a missing tool is a broken set-up, not a reason to skip.
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    home = tmp_path / "home"
    home.mkdir()
    script = tmp_path / "keys.py"
    script.write_text(SECRET_SERVICE_SCRIPT)
    secret_key, token = "RealSecretServiceKey-4c1d2e", "RealSecretServiceToken-7a8b"
    python = f"{sys.executable} {script}"
    shell = (
        "echo -n pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; "
        f"{python} store {secret_key} {token} && {python} load {secret_key} {token}"
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DBUS_", "PYTHON_KEYRING"))}
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / ".local/share"),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_RUNTIME_DIR=str(tmp_path / "run"),
        COSDESK_CONFIG_DIR=str(tmp_path / "config"),
        COSDESK_DATA_DIR=str(tmp_path / "data"),
        PYTHONPATH=str(ROOT),
    )
    (tmp_path / "run").mkdir(mode=0o700)
    result = subprocess.run(
        ["dbus-run-session", "--", "sh", "-c", shell], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "stored with keyring.backends.SecretService" in result.stdout, result.stdout
    assert result.stdout.strip().endswith("match"), result.stdout
    files = [p for p in tmp_path.rglob("*") if p.is_file() and p != script]
    assert files, "the keyring wrote nothing at all?"
    holding = [
        str(p) for p in files if secret_key.encode() in p.read_bytes() or token.encode() in p.read_bytes()
    ]
    assert holding == []
    print(
        f"\nsecret service: keys stored by one process, read back by a fresh one; "
        f"{len(files)} files, none holds them"
    )


# --- temporary keys from a credential server --------------------------------------------

BEARER_TOKEN = "bearer-Vt8Qm2Xc5Rw9Lp3Ks"


def temporary_key_leaks(text: str, server: SandboxServer) -> list[str]:
    """Which temporary keys the credential server issued (their SecretKeys and
    tokens), the bearer token, or any signature ``text`` holds."""
    issuer = server.auth_policy.temporary
    assert issuer is not None
    found = [
        what
        for keys in issuer.held()
        for what, secret in (("temporary SecretKey", keys.secret_key), ("temporary token", keys.token))
        if secret in text
    ]
    if BEARER_TOKEN in text:
        found.append("bearer token")
    if SIGNATURE.search(text):
        found.append("signature")
    return found


def temporary_keys_found(
    files: dict[str, bytes], texts: list[str], server: SandboxServer
) -> dict[str, list[str]]:
    """Where a temporary key, token or signature of ``server`` shows: by file path,
    or by the text's number and its start."""
    found: dict[str, list[str]] = {}
    for path, content in files.items():
        if leaks := temporary_key_leaks(content.decode("latin-1"), server):
            found[path] = leaks
    for index, text in enumerate(texts):
        if leaks := temporary_key_leaks(text, server):
            found[f"text {index}: {text[:200]!r}"] = leaks
    return found


def files_under(*folders: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for folder in folders for p in folder.rglob("*") if p.is_file()}


def test_cli_sessions_on_a_credential_server_leave_no_temporary_key_token_or_signature(
    tmp_path: Path, isolated_user_dirs: Path
) -> None:
    server = SandboxServer(
        root=tmp_path / "cos-root", buckets=[BUCKET], credentials={}, region=REGION, sts_duration_s=6,
        sts_prefix="s/",
    ).start()  # fmt: skip
    assert server.credential_url is not None
    try:
        source = tmp_path / "src"
        write_random_file(source / "big.bin", 4 * MiB)
        (source / "small.txt").write_text("small")
        folders = {name: tmp_path / name for name in ("config", "data", "log", "state", "cache", "home")}
        env = {
            **{key: value for key, value in os.environ.items() if not key.startswith("COS_")},
            "COS_CREDENTIAL_URL": server.credential_url,
            "PYTHONPATH": str(ROOT),
            "COSDESK_CONFIG_DIR": str(folders["config"]),
            "COSDESK_DATA_DIR": str(folders["data"]),
            "COSDESK_LOG_DIR": str(folders["log"]),
            "XDG_STATE_HOME": str(folders["state"]),
            "XDG_CACHE_HOME": str(folders["cache"]),
            "HOME": str(folders["home"]),
        }
        where = ["--endpoint", server.endpoint, "--db", str(folders["data"] / "tasks.sqlite3")]
        outputs: list[str] = []

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            result = subprocess.run(
                [sys.executable, "-m", "cosdesk", "--verbose", *args],
                env=env, capture_output=True, text=True, timeout=120,
            )  # fmt: skip
            outputs.append(result.stdout + result.stderr)
            return result

        # Slow enough that the 6-second keys are renewed during the upload (the
        # server's limit is per connection: one part at a time).
        server.faults.bandwidth_bytes_per_s = 400_000
        slow = ("--parallel-parts", "1")
        assert run("upload", str(source), f"cos://{BUCKET}/s/", *slow, *where).returncode == 0
        server.faults.bandwidth_bytes_per_s = None
        outside = run("upload", str(source / "small.txt"), f"cos://{BUCKET}/elsewhere/", *where)
        assert outside.returncode == 1 and "credential server" in outside.stdout + outside.stderr
        assert run("tasks", "list", "--db", str(folders["data"] / "tasks.sqlite3")).returncode == 0
        issuer = server.auth_policy.temporary
        assert issuer is not None and issuer.issued >= 3  # renewed at least once within a run

        files = files_under(*folders.values())
        found = temporary_keys_found(files, outputs, server)
        assert found == {}, found
        assert "x-cos-security-token" in "\n".join(outputs).lower()  # logged, masked
        print(
            f"\nsecrets (credential URL, CLI): {issuer.issued} temporary keys issued, {len(files)} files and "
            f"{len(outputs)} --verbose outputs searched, 0 hold a temporary key, token or signature"
        )
    finally:
        server.stop()


def test_a_window_on_a_credential_server_leaves_no_temporary_key_token_or_bearer(
    qtbot: Any, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    import logging

    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QLabel

    from cosdesk.engine.task import TaskState
    from cosdesk.logs import setup_logging
    from cosdesk.ui.main_window import MainWindow
    from cosdesk.ui.session import open_session

    root = logging.getLogger()
    logging_before = LoggingState(root)
    assert setup_logging(verbose=True) is not None
    server = SandboxServer(
        root=tmp_path / "cos-root", buckets=[BUCKET], credentials={}, region=REGION, sts_duration_s=8,
        sts_prefix="gui/",
    ).start()  # fmt: skip
    assert server.credential_url is not None
    window = MainWindow(open_session(start_sandbox=False))
    qtbot.addWidget(window)
    window.show()
    texts: list[str] = []
    try:
        dialog = window.open_settings(add=True)
        dialog.name.setText("org")
        dialog.key_kind.setCurrentIndex(1)
        QTest.keyClicks(dialog.credential_url, server.credential_url)
        QTest.keyClicks(dialog.credential_headers.fields[0], f"Authorization: Bearer {BEARER_TOKEN}")
        dialog.region.setCurrentText(REGION)
        dialog.bucket.setText(BUCKET)
        dialog.endpoint.setText(server.endpoint)
        dialog.path_style.setChecked(True)
        dialog.use_https.setChecked(False)
        dialog.test_button.click()
        qtbot.waitUntil(lambda: dialog.test_result.text()[:1] in ("✔", "✖"), timeout=15_000)
        texts.append(dialog.test_result.text())  # the listing of "" is outside gui/: refused, named
        assert "credential server" in dialog.test_result.text()
        saved: list[int] = []
        dialog.finished.connect(saved.append)
        dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
        qtbot.waitUntil(lambda: bool(saved), timeout=10_000)

        def rows() -> dict[str, Any]:
            model = window.model
            return {(s := model.snapshot_at(r)).key: s for r in range(model.rowCount())}

        source = tmp_path / "src"
        write_random_file(source / "parts.bin", 3 * MiB)
        (source / "note.txt").write_text("note")
        window.queue.set_bandwidth_limit(256 * 1024)  # past the 8-second keys' renewal
        window.destination_bar.set_location(BUCKET, "gui")
        assert window.add_paths([str(source / "parts.bin"), str(source / "note.txt")])
        window.destination_bar.set_location(BUCKET, "other")
        assert window.add_paths([str(source / "note.txt")])
        wanted = {"gui/parts.bin": TaskState.SUCCESS, "gui/note.txt": TaskState.SUCCESS}
        wanted["other/note.txt"] = TaskState.ERROR
        qtbot.waitUntil(
            lambda: all(key in rows() and rows()[key].state is state for key, state in wanted.items()),
            timeout=40_000,
        )
        details = window.rows.show_details(rows()["other/note.txt"].task_id)
        qtbot.waitUntil(lambda: details.error_box.isVisibleTo(details))  # read off the GUI thread
        texts.extend(label.text() for label in details.findChildren(QLabel))
        details.close()
        model = window.model
        for row in range(model.rowCount()):
            texts.append(repr(model.snapshot_at(row)))
            for column in range(model.columnCount()):
                texts.append(str(model.index(row, column).data()))
        window.close()
    finally:
        window.shutdown()
        server.stop()
        logging_before.restore()

    captured = capfd.readouterr()
    texts.extend((captured.out, captured.err))
    issuer = server.auth_policy.temporary
    assert issuer is not None and issuer.issued >= 3
    files = files_under(tmp_path / "config", tmp_path / "data", tmp_path / "log")
    found = temporary_keys_found(files, texts, server)
    assert found == {}, found
    print(
        f"\nsecrets (credential URL, GUI): {issuer.issued} temporary keys issued, {len(files)} files and "
        f"{len(texts)} outputs/texts searched, 0 hold a temporary key, token, the bearer token or a signature"
    )
