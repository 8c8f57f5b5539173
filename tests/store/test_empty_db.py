"""An empty ``tuitrack.db`` (issue #15, item 11): what readers and writers do, as the README says.

A creator killed mid-create leaves a ``tuitrack.db`` without tables (0 bytes, or a SQLite header
set to WAL and nothing else).  Readers refuse it and leave it byte-identical; a writer
(``start_run``, ``tuitrack import``) takes it as an interrupted creation and sets it up, which is
how such a store recovers.  The README used to say such files are always left untouched.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from click_compat import CliRunner

import tuitrack
from tuitrack.cli.main import main
from tuitrack.errors import NotATuitrackStoreError
from tuitrack.store.core import Store

README = Path(__file__).resolve().parents[2] / "README.md"


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def _interrupted(folder: Path, kind: str) -> None:
    folder.mkdir()
    if kind == "zero-bytes":
        (folder / "tuitrack.db").write_bytes(b"")
    else:  # what _enable_wal leaves when the creator dies before the schema transaction commits
        conn = sqlite3.connect(folder / "tuitrack.db")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.close()


@pytest.mark.parametrize("kind", ["zero-bytes", "wal-header-only"])
def test_readers_refuse_an_empty_db_and_leave_it_untouched(tmp_path: Path, kind: str) -> None:
    folder = tmp_path / "s"
    _interrupted(folder, kind)
    before = _digest(folder)
    with pytest.raises(NotATuitrackStoreError, match="empty database, not a tuitrack store"):
        Store(folder)
    res = CliRunner().invoke(main, ["ls", "--store", str(folder)])
    assert res.exit_code == 1 and "empty database" in res.output
    assert _digest(folder) == before


@pytest.mark.parametrize("kind", ["zero-bytes", "wal-header-only"])
def test_a_writer_sets_up_an_empty_db_left_by_an_interrupted_creation(tmp_path: Path, kind: str) -> None:
    folder = tmp_path / "s"
    _interrupted(folder, kind)
    tuitrack.set_store(folder)
    tuitrack.configure(capture_env=False)
    with tuitrack.start_run(name="recovered") as run:
        tuitrack.log_metric("m", 1.0)
    assert Store(folder).get_run(run.id).data.metrics == {"m": 1.0}


def test_readme_states_what_happens_to_an_empty_db() -> None:
    text = " ".join(README.read_text(encoding="utf-8").split())
    assert "a writer (`start_run`, `tuitrack import`) sets it up" in text
    assert "an empty or non-SQLite file" not in text  # the old promise that writers never touch it
