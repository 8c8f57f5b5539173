"""Bad stores through the two front doors people use: the ``tuitrack`` CLI and the app.

tests/store/test_bad_stores.py proves the Python API; this file proves what a person sees.
For each bad store (missing path, empty folder, empty tuitrack.db, a file that is not
SQLite, another application's SQLite database, a store from a newer schema, a
read-only store, a store another process is writing):

* the CLI (``ls`` in a real subprocess, ``show`` and ``tag`` through click) exits 1
  with ``Error: ...`` naming the problem on stderr and no traceback;
* ``tuitrack --store X`` (the command that opens the app, with only the final
  ``App.run()`` replaced so the built app can be driven headless) refuses with the
  same message, or opens: read-only with the READ-ONLY badge and editing keys
  refused, or normally beside a writer that holds the write lock;
* the store's files are byte-identical afterwards, and no -wal/-shm/journal appears.
"""

from __future__ import annotations

import gc
import hashlib
import os
import re
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click_compat import CliRunner

import tuitrack
import tuitrack.tui.app as app_module
from tuitrack.cli.main import main
from tuitrack.store import schema
from tuitrack.tui.app import TuitrackApp
from tuitrack.tui.waits import wait_until

SIZE = (110, 32)


# -- helpers ------------------------------------------------------------------------------------
def tree(path: Path) -> dict[str, str]:
    """Every file under ``path`` -> sha256 of its bytes (folders as "<dir>"); {} when it does not exist."""
    if not path.exists():
        return {}
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "<dir>"
        for p in sorted(path.rglob("*"))
    }


def make_store(path: Path) -> str:
    """A real store with one finished run named "kept", WAL checkpointed away (the db file holds everything)."""
    from helpers import reset_tuitrack

    tuitrack.set_store(path)
    tuitrack.configure(capture_env=False, capture_packages=False)
    with tuitrack.start_run(name="kept", params={"p": 1}) as run:
        tuitrack.log_metric("m", 0.5)
    reset_tuitrack()
    conn = sqlite3.connect(path / "tuitrack.db")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    assert sorted(os.listdir(path)) == ["tuitrack.db"], os.listdir(path)  # the last close removed -wal/-shm
    return run.id


def _missing(base: Path) -> Path:
    return base / "nowhere" / "store"


def _empty_folder(base: Path) -> Path:
    (base / "s").mkdir(parents=True)
    return base / "s"


def _empty_db(base: Path) -> Path:
    folder = _empty_folder(base)
    (folder / "tuitrack.db").write_bytes(b"")
    return folder


def _not_sqlite(base: Path) -> Path:
    folder = _empty_folder(base)
    (folder / "tuitrack.db").write_bytes(b"milk, eggs, flour\n" * 300)
    return folder


def _foreign(base: Path) -> Path:
    folder = _empty_folder(base)
    conn = sqlite3.connect(folder / "tuitrack.db")
    conn.execute("CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO customers(name) VALUES ('ada')")
    conn.commit()
    conn.close()
    return folder


def _newer(base: Path) -> Path:
    folder = base / "s"
    make_store(folder)
    conn = sqlite3.connect(folder / "tuitrack.db")
    conn.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    assert sorted(os.listdir(folder)) == ["tuitrack.db"]
    return folder


# name -> (builder, regex the one-line error must match; {path} is the store folder)
BAD: dict[str, tuple[Callable[[Path], Path], str]] = {
    "missing": (_missing, r"no tuitrack store at {path} "),
    "empty-folder": (_empty_folder, r"{path} is not a tuitrack store: it has no tuitrack\.db$"),
    "empty-db": (_empty_db, r"{path}/tuitrack\.db is an empty database, not a tuitrack store$"),
    "not-sqlite": (_not_sqlite, r"{path}/tuitrack\.db is not a readable SQLite database \(file is not a database\)$"),
    "foreign": (
        _foreign,
        r"{path}/tuitrack\.db is a SQLite database of another application \(tables: customers\), "
        r"not a tuitrack store; nothing was changed$",
    ),
    "newer-schema": (
        _newer,
        r"the store at {path} has schema version 999, newer than this tuitrack understands "
        rf"\({schema.SCHEMA_VERSION}\); upgrade tuitrack to read it$",
    ),
}


def cli(*args: str) -> tuple[int, str, str]:
    """Run the click command in-process; a Python exception other than the exit itself fails the test."""
    result = CliRunner().invoke(main, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"tuitrack {' '.join(args)} raised instead of reporting") from result.exception
    return result.exit_code, result.stdout, result.stderr


def cli_process(*args: str) -> tuple[int, str, str]:
    """Run ``tuitrack ARGS`` as a real process (what a user's shell does)."""
    done = subprocess.run(
        [sys.executable, "-m", "tuitrack.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "TUITRACK_STORE": "/nonexistent-default-store"},
    )
    return done.returncode, done.stdout, done.stderr


def assert_clean_error(code: int, stdout: str, stderr: str, pattern: str) -> None:
    """Exit 1, nothing on stdout, ``Error: <pattern>`` as the first stderr line (a hint line may follow)."""
    assert code == 1, (code, stdout, stderr)
    assert stdout == ""
    assert "Traceback" not in stderr
    lines = stderr.rstrip("\n").split("\n")
    assert len(lines) <= 2, stderr
    assert lines[0].startswith("Error: "), stderr
    assert re.search(pattern, lines[0][len("Error: ") :]), (pattern, lines[0])


class CapturedApp:
    """Replaces ``create_app`` for ``tuitrack --store X``: builds the real app, keeps it, skips ``run()``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.apps: list[TuitrackApp] = []
        real = app_module.create_app

        def create_app(store, **kwargs):  # type: ignore[no-untyped-def]
            app = real(store, **kwargs)
            app.run = lambda *a, **k: None  # type: ignore[method-assign]
            self.apps.append(app)
            return app

        monkeypatch.setattr(app_module, "create_app", create_app)


@pytest.fixture(autouse=True)
def _env(store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Global tuitrack state reset (via store_path); view state and config in temp dirs."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.delenv("TUITRACK_STORE", raising=False)
    yield


# -- stores that must be refused ----------------------------------------------------------------
@pytest.mark.parametrize("kind", list(BAD))
def test_cli_ls_process_refuses_bad_store(tmp_path: Path, kind: str) -> None:
    builder, pattern = BAD[kind]
    path = builder(tmp_path / "b")
    before, parent_before = tree(path), tree(tmp_path / "b")
    assert_clean_error(*cli_process("--store", str(path), "ls"), pattern.format(path=path))
    assert tree(tmp_path / "b") == parent_before, "tuitrack ls changed files in or around the store"
    assert tree(path) == before


@pytest.mark.parametrize(("command", "kind"), [(c, k) for c in ("show", "tag", "app") for k in BAD])
def test_cli_in_process_refuses_bad_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, command: str
) -> None:
    builder, pattern = BAD[kind]
    path = builder(tmp_path / "b")
    before = tree(tmp_path / "b")
    captured = CapturedApp(monkeypatch)
    args = {
        "show": ["show", "kept", "--store", str(path)],
        "tag": ["tag", "kept", "status=keep", "--store", str(path)],
        "app": ["--store", str(path)],
    }[command]
    assert_clean_error(*cli(*args), pattern.format(path=path))
    assert captured.apps == [], "the app was built on a store that was refused"
    gc.collect()  # a connection left open by a refused Store must not be what keeps files around
    assert tree(tmp_path / "b") == before


def test_refused_store_releases_its_files_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _newer(tmp_path / "b")
    before = tree(path)
    gc.disable()  # what a long-running process sees between collections
    try:
        assert_clean_error(*cli("--store", str(path)), BAD["newer-schema"][1].format(path=path))
        assert tree(path) == before
    finally:
        gc.enable()


# -- a read-only store: readable everywhere, every edit refused ----------------------------------
def _mount_read_only(src: Path, dst: Path) -> bool:
    dst.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "--bind", str(src), str(dst)], capture_output=True).returncode:
        return False
    if subprocess.run(["mount", "-o", "remount,ro,bind", str(dst)], capture_output=True).returncode:
        subprocess.run(["umount", str(dst)], capture_output=True)
        return False
    return True


@pytest.fixture
def ro_store(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """(read-only bind mount of a store, its writable source); skipped where mounts are not allowed."""
    src = tmp_path / "src"
    make_store(src)
    mnt = tmp_path / "ro"
    if not _mount_read_only(src, mnt):
        pytest.skip("cannot make a read-only bind mount here (needs root with mount privileges)")
    try:
        yield mnt, src
    finally:
        if subprocess.run(["umount", str(mnt)], capture_output=True).returncode:
            subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_read_only_store_cli_reads_and_refuses_edits(ro_store: tuple[Path, Path]) -> None:
    mnt, src = ro_store
    before = tree(src)
    code, out, err = cli_process("--store", str(mnt), "ls")
    assert (code, err) == (0, "") and "kept" in out
    code, out, err = cli("show", "kept", "--store", str(mnt))
    assert code == 0 and "Run " in out and "kept" in out
    for args in (
        ["tag", "kept", "status=keep"],
        ["rename", "kept", "other"],
        ["note", "kept", "hello"],
        ["rm", "kept"],
        ["restore", "kept"],
    ):
        assert_clean_error(
            *cli(*args, "--store", str(mnt)), rf"the store at {mnt} is read-only \(no write permission\)"
        )
    assert tree(src) == before


async def test_read_only_store_app_opens_with_badge_and_refuses_edits(
    ro_store: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    mnt, src = ro_store
    before = tree(src)
    captured = CapturedApp(monkeypatch)
    code, _out, err = cli("--store", str(mnt))  # `tuitrack --store X`: builds the app, run() replaced
    assert (code, err) == (0, "")
    (app,) = captured.apps
    assert app.store.read_only
    warnings: list[str] = []
    real_notify = app.notify
    app.notify = lambda message, *a, **k: (
        warnings.append(f"{k.get('severity')}: {message}"),  # type: ignore
        real_notify(message, *a, **k),
    )[1]
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: app.current_run_id() is not None, "the first rows")
            assert app.current_run_id() is not None
            status = app.browser.status
            assert status.info.read_only
            assert "READ-ONLY" in status.render_info(status.info).plain
            for key in ("t", "n", "R", "d", "u", "1", "full_stop"):
                warnings.clear()
                await pilot.press(key)
                await pilot.pause()
                await app.workers.wait_for_complete()
                assert not app.screen.is_modal, f"{key} opened a dialog on a read-only store"
                assert len(warnings) == 1 and warnings[0].startswith("warning: the store at "), (key, warnings)
                assert "is read-only (no write permission)" in warnings[0]
            assert app._exception is None
    finally:
        app.store.close()
    assert tree(src) == before


# -- a store another process is writing: opens and works, nothing changed --------------------------
LOCK_HOLDER = textwrap.dedent("""
    import signal, sqlite3, sys
    signal.alarm(60)  # never outlive a broken test
    conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE runs SET name = 'uncommitted'")  # a write in flight, not committed
    print("locked", flush=True)
    sys.stdin.readline()
    conn.execute("ROLLBACK")
    conn.close()
""")


@pytest.fixture
def locked_store(tmp_path: Path) -> Iterator[Path]:
    """A store whose write lock another process holds (BEGIN IMMEDIATE + an uncommitted UPDATE)."""
    path = tmp_path / "s"
    make_store(path)
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(path / "tuitrack.db")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        yield path
    finally:
        _out, err = holder.communicate("\n", timeout=60)
        assert (holder.returncode, err) == (0, ""), err


def store_bytes(path: Path) -> tuple[dict[str, str], list[str]]:
    """Hashes of the db and WAL, and which side files exist (-shm holds readers' marks, so only its presence)."""
    files = sorted(os.listdir(path))
    return {k: v for k, v in tree(path).items() if not k.endswith("-shm")}, files


def test_store_being_written_cli_reads_committed_data(locked_store: Path) -> None:
    before = store_bytes(locked_store)
    assert "tuitrack.db-wal" in before[1]
    code, out, err = cli_process("--store", str(locked_store), "ls")
    assert (code, err) == (0, "") and "kept" in out and "uncommitted" not in out
    code, out, err = cli("show", "kept", "--store", str(locked_store))
    assert code == 0 and "kept" in out
    assert store_bytes(locked_store) == before


async def test_store_being_written_app_opens_and_works(locked_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = store_bytes(locked_store)
    captured = CapturedApp(monkeypatch)
    code, _out, err = cli("--store", str(locked_store))
    assert (code, err) == (0, "")
    (app,) = captured.apps
    assert not app.store.read_only
    notified: list[str] = []
    real_notify = app.notify
    app.notify = lambda message, *a, **k: (  # type: ignore[method-assign]
        notified.append(str(message)),
        real_notify(message, *a, **k),
    )[1]
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: app.current_run_id() is not None, "the first rows")
            run = app.browser.table.cursor_run
            assert run is not None and run.info.run_name == "kept"
            await pilot.press("r")  # a manual refresh reads again beside the writer
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert app.browser.status.info.message == ""
            assert notified == [] and app._exception is None
    finally:
        app.store.close()
    assert store_bytes(locked_store) == before
