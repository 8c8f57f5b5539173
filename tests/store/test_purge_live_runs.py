"""gc and runs that are still being logged to (issue #15, item 2).

``tuitrack rm A`` + ``gc --yes`` while A's process was logging purged A, the writer carried on
silently, and because rids were reused the next new run received A's later points, tags and
end status.  Now: gc skips a deleted run that is RUNNING with a fresh heartbeat unless
``--force``; rids are AUTOINCREMENT (schema 3, migrated forward from 2); and every write for a
purged run is refused inside its transaction and reported (a warning; ``strict=True`` raises).
"""

from __future__ import annotations

import re
import sqlite3
import warnings
from pathlib import Path

import pytest
from click_compat import CliRunner

import tuitrack
from tuitrack.cli.main import main
from tuitrack.errors import RunGoneError
from tuitrack.store import gc, schema
from tuitrack.store.core import Store


def _cli(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, list(args))
    return res.exit_code, res.output


def _rows_for(db: Path, rid: int) -> dict[str, int]:
    """Rows any per-run table holds for ``rid`` (orphans included)."""
    conn = sqlite3.connect(db)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        out = {}
        for t in tables:
            cols = {r[1] for r in conn.execute(f"PRAGMA table_info({t})")}
            if "rid" in cols:
                n = conn.execute(f"SELECT count(*) FROM {t} WHERE rid = ?", (rid,)).fetchone()[0]
                if n:
                    out[t] = n
        return out
    finally:
        conn.close()


def test_gc_skips_a_deleted_run_that_is_still_logging_unless_forced(store_path: Path) -> None:
    run = tuitrack.start_run(name="live")
    run.log_metric("x", 1.0)
    run.flush()
    assert _cli("rm", run.id, "--store", str(store_path))[0] == 0
    code, out = _cli("gc", "--yes", "--store", str(store_path))
    assert code == 0
    assert "skipping 1 deleted run still RUNNING with a fresh heartbeat" in out and run.id[:8] in out
    assert "--force" in out and "nothing else to purge" in out
    assert tuitrack.open_store(store_path).get_run(run.id).info.deleted_at is not None  # still there
    run.log_metric("x", 2.0)
    run.end()
    # Ended (no longer RUNNING): an ordinary deleted run now.
    code, out = _cli("gc", "--yes", "--store", str(store_path))
    assert code == 0 and "purged 1 deleted runs" in out


def test_gc_purges_a_crashed_run_whose_heartbeat_is_stale(store_path: Path) -> None:
    run = tuitrack.start_run(name="crashed")
    run.flush()
    with Store(store_path) as st, st.transaction() as conn:  # what a kill -9 two hours ago leaves: old heartbeat
        conn.execute("UPDATE runs SET heartbeat = 1, deleted_at = 1 WHERE run_id = ?", (run.id,))
    code, out = _cli("gc", "--yes", "--store", str(store_path))
    assert code == 0 and "purged 1 deleted runs" in out and "skipping" not in out


def test_forced_purge_of_a_logging_run_never_reaches_another_run(store_path: Path) -> None:
    a = tuitrack.start_run(name="A")
    a.log_metric("loss", 1.0)
    a.set_tag("phase", "one")
    tuitrack.log_text("before", "a.txt")
    a.flush()
    with Store(store_path) as st:
        rid_a = st.rid(a.id)
    assert _cli("rm", a.id, "--store", str(store_path))[0] == 0
    code, out = _cli("gc", "--yes", "--force", "--store", str(store_path))
    assert code == 0 and "purged 1 deleted runs" in out
    assert not (store_path / "artifacts" / a.id).exists()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(100):
            a.log_metric("loss", float(i))
        a.flush()
        a.set_tag("phase", "two")
        a.log_param("late", 1)
        assert tuitrack.log_text("after", "b.txt") is None
        a.end("FAILED")
    messages = [str(w.message) for w in caught]
    assert any("purged" in m and "dropped" in m for m in messages), messages
    assert sum("purged" in m for m in messages) >= 4, messages  # points, tag, param, artifact, end
    assert not (store_path / "artifacts" / a.id).exists()  # the folder is not re-created
    assert _rows_for(store_path / "tuitrack.db", rid_a) == {}  # nothing landed as orphans

    with tuitrack.start_run(name="B") as b:
        pass
    with Store(store_path) as st:
        assert st.rid(b.id) > rid_a  # never the purged run's rid
        got = st.get_run(b.id)
    assert got.data.metrics == {} and got.data.tags == {} and got.info.status == "FINISHED"


def test_strict_mode_raises_on_writes_for_a_purged_run(store_path: Path) -> None:
    tuitrack.configure(strict=True)
    a = tuitrack.start_run(name="A")
    a.log_metric("x", 1.0)
    a.flush()
    assert _cli("rm", a.id, "--store", str(store_path))[0] == 0
    assert _cli("gc", "--yes", "--force", "--store", str(store_path))[0] == 0
    a.log_metric("x", 2.0)
    with pytest.raises(RunGoneError, match="purged"):
        a.flush()
    with pytest.raises(RunGoneError, match="purged"):
        a.set_tag("t", "v")
    with pytest.raises(RunGoneError, match="purged"):
        tuitrack.log_text("x", "x.txt")
    with pytest.raises(RunGoneError):
        a.end()


def test_purged_rids_are_never_reused(store_path: Path) -> None:
    ids = []
    for name in "ABC":
        with tuitrack.start_run(name=name) as r:
            ids.append(r.id)
    with Store(store_path) as st:
        rids = [st.rid(i) for i in ids]
        with st.transaction() as conn:
            conn.execute("UPDATE runs SET deleted_at = 1 WHERE rid = ?", (rids[-1],))
        victims = gc.find_purgeable(st, now_ms=10**13)
        assert [v.rid for v in gc.purge(st, victims, now_ms=10**13)] == [rids[-1]]
    with tuitrack.start_run(name="D") as d:
        pass
    with Store(store_path) as st:
        assert st.rid(d.id) == rids[-1] + 1


def _downgrade_to_v2(db: Path, extra_orphan_rid: int) -> None:
    """Rebuild ``runs`` as schema 2 had it (a plain INTEGER PRIMARY KEY) and mark the store version 2,
    leaving an orphan metric row above every run's rid (what the old reuse bug could leave behind)."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN")
    for (view,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'").fetchall():
        conn.execute(f'DROP VIEW "{view}"')  # schema 2 had no views (they came with schema 5)
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'runs'").fetchone()[0]
    assert "AUTOINCREMENT" in sql
    indexes = [
        r[0]
        for r in conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'runs' AND sql IS NOT NULL"
        )
    ]
    conn.execute(re.sub(r'CREATE TABLE "?runs"?', "CREATE TABLE runs_v2", sql, count=1).replace(" AUTOINCREMENT", ""))
    conn.execute("INSERT INTO runs_v2 SELECT * FROM runs")
    conn.execute("DROP TABLE runs")
    conn.execute("ALTER TABLE runs_v2 RENAME TO runs")
    for ix in indexes:
        conn.execute(ix)
    conn.execute("DELETE FROM sqlite_sequence")
    # and schema 7's summary columns with their indexes (schema 8's too)
    for ix in (
        "latest_metrics_key_min",
        "latest_metrics_key_max",
        "latest_metrics_key_min_step",
        "latest_metrics_key_max_step",
        "latest_metrics_key_tail_mean",
    ):
        conn.execute(f"DROP INDEX {ix}")
    for col in ("min_step", "max_step", "tail_mean"):
        conn.execute(f"ALTER TABLE latest_metrics DROP COLUMN {col}")
    conn.execute("INSERT INTO metrics(rid, kid, step, ts, value) VALUES (?, 1, 0, 0, 0.5)", (extra_orphan_rid,))
    conn.execute("DROP TABLE experiment_tags")  # and what schema 6 added (MLflow's dataset fields, experiment tags)
    for column in ("source_type", "schema", "profile"):
        conn.execute(f"ALTER TABLE inputs DROP COLUMN {column}")
    conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    conn.execute("COMMIT")
    assert "AUTOINCREMENT" not in conn.execute("SELECT sql FROM sqlite_master WHERE name = 'runs'").fetchone()[0]
    conn.close()


def test_schema_2_store_is_migrated_forward_and_stops_reusing_rids(store_path: Path) -> None:
    with tuitrack.start_run(name="old", params={"p": "1"}) as old:
        tuitrack.log_metric("loss", 0.25)
        tuitrack.set_tag("t", "v")
    tuitrack.reset()
    db = store_path / "tuitrack.db"
    with Store(store_path) as st:
        old_rid = st.rid(old.id)
    _downgrade_to_v2(db, extra_orphan_rid=old_rid + 5)

    before = db.read_bytes()
    with Store(store_path, read_only=True) as ro:  # a reader reads schema 2 as it is, changing nothing
        assert ro.get_run(old.id).data.metrics == {"loss": 0.25}
    assert db.read_bytes() == before

    tuitrack.set_store(store_path)
    tuitrack.configure(capture_env=False)
    with tuitrack.start_run(name="new") as new:
        tuitrack.log_metric("loss", 0.5)
    conn = sqlite3.connect(db)
    try:
        assert (
            conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
            == str(schema.SCHEMA_VERSION)
            and schema.SCHEMA_VERSION >= 3
        )
        assert "AUTOINCREMENT" in conn.execute("SELECT sql FROM sqlite_master WHERE name = 'runs'").fetchone()[0]
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        indexes = {
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'runs' AND sql IS NOT NULL"
            )
        }
        assert indexes == {
            "runs_experiment_start",
            "runs_start",
            "runs_parent",
            "runs_updated",
            "runs_name",
            "runs_experiment_live",
        }
    finally:
        conn.close()
    st = tuitrack.open_store(store_path)
    assert st.rid(new.id) > old_rid + 5  # above even the orphan's rid: it can never be picked up
    got = st.get_run(old.id)
    assert got.info.run_name == "old" and got.data.params == {"p": "1"} and got.data.tags == {"t": "v"}
    assert got.data.metrics == {"loss": 0.25}
    assert st.get_run(new.id).data.metrics == {"loss": 0.5}
