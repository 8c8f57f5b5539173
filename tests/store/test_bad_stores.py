"""Bad stores: each gives a clear error naming the problem, and nothing on disk changes.

"Nothing changes" is checked byte for byte: the hash of every file in the store
folder (and the list of files, so no -wal/-shm/journal appears) before and after.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import tuitrack
from tuitrack.errors import (
    NotATuitrackStoreError,
    ReadOnlyStoreError,
    StoreNotFoundError,
    StoreVersionError,
)
from tuitrack.store import schema
from tuitrack.store.core import Store


def tree(path: Path) -> dict[str, str]:
    """Every file under ``path`` (or ``path`` itself) -> sha256 of its bytes."""
    if not path.exists():
        return {}
    if path.is_file():
        return {path.name: hashlib.sha256(path.read_bytes()).hexdigest()}
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "<dir>"
        for p in sorted(path.rglob("*"))
    }


def make_store(path: Path) -> str:
    """A real store with one finished run, checkpointed so the db file alone holds everything."""
    tuitrack.set_store(path)
    with tuitrack.start_run(name="kept", params={"p": 1}) as run:
        tuitrack.log_metric("m", 0.5)
        tuitrack.log_text("t", "a.txt")
    from helpers import reset_tuitrack

    reset_tuitrack()
    conn = sqlite3.connect(path / "tuitrack.db")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return run.id


EMPTY = hashlib.sha256(b"").hexdigest()


def assert_db_unchanged(before: dict[str, str], after: dict[str, str]) -> None:
    """Database bytes and every other file identical; SQLite may only add its -shm index and an EMPTY -wal."""
    side = ("tuitrack.db-shm", "tuitrack.db-wal")
    assert {k: v for k, v in after.items() if k not in side} == {k: v for k, v in before.items() if k not in side}
    if "tuitrack.db-wal" in after:
        assert after["tuitrack.db-wal"] in (EMPTY, before.get("tuitrack.db-wal")), "a read wrote to the WAL"


READERS: dict[str, Callable[[Path], object]] = {
    "open_store": lambda p: tuitrack.open_store(p),
    "Store": lambda p: Store(p),
    "search_runs": lambda p: (
        tuitrack.set_store(p),
        tuitrack.search_runs(output_format="list", search_all_experiments=True),
    )[1],
    "list_experiments": lambda p: (tuitrack.set_store(p), tuitrack.list_experiments())[1],
}
WRITERS: dict[str, Callable[[Path], object]] = {
    "start_run": lambda p: (tuitrack.set_store(p), tuitrack.start_run())[1],
    "Store-create": lambda p: Store(p, create=True),
}


@pytest.fixture(autouse=True)
def _clean(store_path: Path) -> Iterator[None]:
    """Reuse the shared fixture only for its global-state reset."""
    yield


@pytest.mark.parametrize("reader", READERS)
def test_missing_path_readers_create_nothing(tmp_path: Path, reader: str) -> None:
    target = tmp_path / "nowhere" / "store"
    with pytest.raises(StoreNotFoundError, match=r"no tuitrack store at .*nowhere/store") as info:
        READERS[reader](target)
    assert info.type is StoreNotFoundError
    assert not (tmp_path / "nowhere").exists()


def test_missing_path_writer_creates_store(tmp_path: Path) -> None:
    target = tmp_path / "new" / "store"
    tuitrack.set_store(target)
    with tuitrack.start_run():
        pass
    assert (target / "tuitrack.db").is_file()


@pytest.mark.parametrize("reader", READERS)
def test_folder_without_db(tmp_path: Path, reader: str) -> None:
    folder = tmp_path / "somefolder"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    before = tree(folder)
    with pytest.raises(NotATuitrackStoreError, match=r"has no tuitrack\.db"):
        READERS[reader](folder)
    assert tree(folder) == before


@pytest.mark.parametrize("opener", {**READERS, **WRITERS})
def test_path_is_a_file(tmp_path: Path, opener: str) -> None:
    f = tmp_path / "store"
    f.write_text("just a file")
    before = tree(f)
    with pytest.raises(NotATuitrackStoreError, match="is a file, not a tuitrack store folder"):
        {**READERS, **WRITERS}[opener](f)
    assert tree(f) == before


@pytest.mark.parametrize("reader", READERS)
def test_empty_db_file(tmp_path: Path, reader: str) -> None:
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "tuitrack.db").write_bytes(b"")
    before = tree(folder)
    with pytest.raises(NotATuitrackStoreError, match="empty database, not a tuitrack store"):
        READERS[reader](folder)
    assert tree(folder) == before


@pytest.mark.parametrize("opener", {**READERS, **WRITERS})
def test_non_sqlite_file(tmp_path: Path, opener: str) -> None:
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "tuitrack.db").write_bytes(b"this is not a database, it is a shopping list\n" * 200)
    before = tree(folder)
    with pytest.raises(NotATuitrackStoreError, match="is not a readable SQLite database") as info:
        {**READERS, **WRITERS}[opener](folder)
    assert "tuitrack.db" in str(info.value)
    assert tree(folder) == before


def _foreign(folder: Path) -> None:
    folder.mkdir()
    conn = sqlite3.connect(folder / "tuitrack.db")
    conn.execute("CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO users(name) VALUES ('ada')")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("opener", {**READERS, **WRITERS})
def test_foreign_sqlite_db_untouched(tmp_path: Path, opener: str) -> None:
    folder = tmp_path / "s"
    _foreign(folder)
    before = tree(folder)
    with pytest.raises(NotATuitrackStoreError, match=r"another application .*users"):
        {**READERS, **WRITERS}[opener](folder)
    assert tree(folder) == before


@pytest.mark.parametrize("opener", {**READERS, **WRITERS})
def test_foreign_sqlite_db_message(tmp_path: Path, opener: str) -> None:
    """The message part holds today (the untouched part is the xfail above)."""
    folder = tmp_path / "s"
    _foreign(folder)
    with pytest.raises(NotATuitrackStoreError, match=r"another application \(tables: users\), not a tuitrack store"):
        {**READERS, **WRITERS}[opener](folder)
    conn = sqlite3.connect(folder / "tuitrack.db")
    assert conn.execute("SELECT name FROM users").fetchall() == [("ada",)]
    conn.close()


def test_meta_table_of_another_app(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    folder.mkdir()
    conn = sqlite3.connect(folder / "tuitrack.db")
    conn.execute("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT)")
    conn.execute("INSERT INTO meta VALUES ('app', 'other')")
    conn.commit()
    conn.close()
    with pytest.raises(NotATuitrackStoreError, match="not written by tuitrack"):
        tuitrack.open_store(folder)


@pytest.mark.parametrize("opener", {**READERS, **WRITERS})
def test_newer_schema(tmp_path: Path, opener: str) -> None:
    folder = tmp_path / "s"
    make_store(folder)
    conn = sqlite3.connect(folder / "tuitrack.db")
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(schema.SCHEMA_VERSION + 1),))
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    before = tree(folder)
    with pytest.raises(
        StoreVersionError,
        match=rf"schema version {schema.SCHEMA_VERSION + 1}, newer than this "
        rf"tuitrack understands \({schema.SCHEMA_VERSION}\); upgrade tuitrack",
    ) as info:
        {**READERS, **WRITERS}[opener](folder)
    assert info.type is StoreVersionError
    assert_db_unchanged(before, tree(folder))


def test_read_only_store_reads_and_refuses_writes(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    run_id = make_store(folder)
    if os.geteuid() != 0:
        os.chmod(folder / "tuitrack.db", 0o444)
        os.chmod(folder, 0o555)
    before = tree(folder)
    try:
        st = Store(folder, read_only=True) if os.geteuid() == 0 else Store(folder)
        assert st.read_only
        run = st.get_run(run_id)
        assert run.data.params == {"p": "1"} and run.data.metrics == {"m": 0.5}
        assert st.read_artifact_text(run_id, "a.txt") == "t"
        rid, _ = st.resolve_run(run_id)
        for attempt in (
            lambda: st.set_tags(rid, {"x": "y"}),
            lambda: st.log_params(rid, {"q": "1"}),
            lambda: st.update_run_fields(rid, note="n"),
            lambda: st.experiment_id("new"),
            lambda: st.end_run(rid, "FAILED"),
            lambda: st.write_metrics([(rid, "m", 1.0, 5, 1)]),
        ):
            with pytest.raises(ReadOnlyStoreError, match="read-only"):
                attempt()
        st.close()
        assert_db_unchanged(before, tree(folder))
    finally:
        os.chmod(folder, 0o755)
        os.chmod(folder / "tuitrack.db", 0o644)


def _ro_bind(src: Path, dst: Path) -> bool:
    dst.mkdir()
    if os.geteuid() != 0:
        return False
    r = subprocess.run(["mount", "--bind", str(src), str(dst)], capture_output=True)
    if r.returncode != 0:
        return False
    r = subprocess.run(["mount", "-o", "remount,ro,bind", str(dst)], capture_output=True)
    if r.returncode != 0:
        subprocess.run(["umount", str(dst)], capture_output=True)
        return False
    return True


def test_read_only_filesystem_wal_store_is_read_as_immutable(tmp_path: Path) -> None:
    """A WAL store on a read-only mount (no -shm can be created): readable, writes refused, nothing changed."""
    src = tmp_path / "src"
    run_id = make_store(src)
    for leftover in ("tuitrack.db-wal", "tuitrack.db-shm"):
        (src / leftover).unlink(missing_ok=True)
    ro = tmp_path / "ro"
    if not _ro_bind(src, ro):
        pytest.skip("cannot make a read-only bind mount here (needs root and mount privileges)")
    try:
        before = tree(src)
        st = tuitrack.open_store(ro)
        assert st.read_only
        assert st.get_run(run_id).data.metrics == {"m": 0.5}
        with pytest.raises(ReadOnlyStoreError, match="read-only"):
            st.set_tags(st.resolve_run(run_id)[0], {"x": "y"})
        st.close()
        tuitrack.set_store(ro)
        with pytest.raises(ReadOnlyStoreError, match="read-only"):
            tuitrack.start_run()
        assert tree(src) == before
    finally:
        subprocess.run(["umount", str(ro)], capture_output=True)


def test_store_being_written_by_another_process_is_readable(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    make_store(folder)
    code = (
        "import tuitrack, sys, time\n"
        "tuitrack.set_store(sys.argv[1]); tuitrack.configure(capture_env=False, flush_interval=0.05)\n"
        "with tuitrack.start_run(name='writer'):\n"
        "    for i in range(200_000):\n"
        "        tuitrack.log_metric('x', i)\n"
        "        if i % 20_000 == 0: time.sleep(0.05)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(folder)], stderr=subprocess.PIPE)
    try:
        st = tuitrack.open_store(folder)
        seen = 0
        while proc.poll() is None:
            runs = st.search_runs("attributes.run_name = 'writer'")
            if runs:
                seen = max(seen, runs[0].data.summaries["x"].count if "x" in runs[0].data.summaries else 0)
        assert proc.wait(60) == 0, proc.stderr.read().decode()
        final = st.search_runs("attributes.run_name = 'writer'")[0]
        assert final.data.summaries["x"].count == 200_000 and final.info.status == "FINISHED"
        st.close()
    finally:
        if proc.poll() is None:
            proc.kill()
