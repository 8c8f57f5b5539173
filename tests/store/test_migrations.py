"""Forward migrations: an older store is upgraded in place by a writer, and explained to a read-only reader."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import tuitrack
from tuitrack.errors import ReadOnlyStoreError
from tuitrack.query.filter import FilterError
from tuitrack.store import schema
from tuitrack.store.core import Store

#: Migration 8's indexes: the summary step fields and the tail mean, for sorting by them.
V8_INDEXES = ("latest_metrics_key_min_step", "latest_metrics_key_max_step", "latest_metrics_key_tail_mean")


def _downgrade_to_v7(conn: sqlite3.Connection) -> None:
    """Undo migration 8 (indexes on the summary steps and the tail mean) on a current store."""
    for ix in V8_INDEXES:
        conn.execute(f"DROP INDEX {ix}")
    conn.execute("UPDATE meta SET value = '7' WHERE key = 'schema_version'")


def _downgrade_to_v6(conn: sqlite3.Connection) -> None:
    """Undo migrations 8 and 7 (summary steps, tail mean, min/max indexes) on a current store."""
    _downgrade_to_v7(conn)
    conn.execute("DROP INDEX latest_metrics_key_min")
    conn.execute("DROP INDEX latest_metrics_key_max")
    for col in ("min_step", "max_step", "tail_mean"):
        conn.execute(f"ALTER TABLE latest_metrics DROP COLUMN {col}")
    conn.execute("UPDATE meta SET value = '6' WHERE key = 'schema_version'")


def _make_v1(path: Path) -> str:
    """A store as schema version 1 left it.

    That is, before migration 2's index, 3's AUTOINCREMENT, 4's sync tables and 5's views.
    """
    tuitrack.set_store(path)
    try:
        with tuitrack.start_run(name="old") as run:
            tuitrack.log_metric("loss", 0.5)
    finally:
        tuitrack.reset()
    conn = sqlite3.connect(path / "tuitrack.db")
    _downgrade_to_v6(conn)
    conn.execute("DROP INDEX runs_experiment_live")
    for view in ("run_summary", "run_params", "run_metrics", "metric_history"):
        conn.execute(f"DROP VIEW {view}")
    _drop_v6(conn)
    conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    return run.id


def _drop_v6(conn: sqlite3.Connection) -> None:
    """Undo migration 6 (MLflow's dataset fields and experiment tags)."""
    conn.execute("DROP TABLE experiment_tags")
    for column in ("source_type", "schema", "profile"):
        conn.execute(f"ALTER TABLE inputs DROP COLUMN {column}")


def test_v5_store_gains_dataset_fields_and_experiment_tags(tmp_path: Path) -> None:
    tuitrack.set_store(tmp_path)
    try:
        with tuitrack.start_run(name="old") as run:
            tuitrack.log_input([[1, 2], [3, 4]], "inline", context="training")
    finally:
        tuitrack.reset()
    conn = sqlite3.connect(tmp_path / "tuitrack.db")
    _downgrade_to_v6(conn)
    _drop_v6(conn)
    conn.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    reader = Store(tmp_path, read_only=True)  # read as it is, without the new fields
    [inp] = reader.list_inputs(run.id)
    assert (inp.name, inp.rows, inp.schema) == ("inline", 2, None) and reader.experiment_tags() == {}
    reader.close()
    store = Store(tmp_path)
    assert _version(tmp_path) == schema.SCHEMA_VERSION
    [inp] = store.list_inputs(run.id)  # the old row reads back, with the new fields empty
    assert (inp.name, inp.rows, inp.context, inp.source_type, inp.schema, inp.profile) == (
        "inline",
        2,
        "training",
        None,
        None,
        None,
    )
    exp_id = store.list_experiments()[0].experiment_id
    store.set_experiment_tags(exp_id, {"team": "ml"})
    assert store.experiment_tags() == {exp_id: {"team": "ml"}}
    store.close()


def test_upgrade_to_7_fills_summary_steps_and_tail_mean_from_blocks_and_tails(tmp_path: Path) -> None:
    """Stores written before summary fields get min/max steps and the last-10 mean on upgrade."""
    values = [5.0, 3.0, 1.0, 4.0, 1.0, 9.0, 9.0, float("nan")] + [2.0] * 12  # min 1 first at step 2, max 9 at 5
    longer = [float(i % 3000) for i in range(5000)]  # several 1024-step blocks: max 2999 first at step 2999
    tuitrack.set_store(tmp_path)
    try:
        with tuitrack.start_run(name="old") as run:
            for step, v in enumerate(values):
                tuitrack.log_metric("val.loss", v, step=step)
            for step, v in enumerate(longer):
                tuitrack.log_metric("acc", v, step=step)
    finally:
        tuitrack.reset()
    conn = sqlite3.connect(tmp_path / "tuitrack.db")
    _downgrade_to_v6(conn)
    conn.commit()
    conn.close()
    reader = Store(tmp_path, read_only=True)  # readable as it is: summaries without steps
    s = reader.get_run(run.id).data.summaries
    assert (s["val.loss"].min, s["val.loss"].min_step, s["val.loss"].tail_mean) == (1.0, None, None)
    assert reader.search_rids("metrics.`val.loss`.min = 1") == [reader.rid(run.id)]
    with pytest.raises(FilterError, match="predates summary steps"):
        reader.search_rids("metrics.`val.loss`.best_step = 2")
    reader.close()
    store = Store(tmp_path)
    assert _version(tmp_path) == schema.SCHEMA_VERSION
    s = store.get_run(run.id).data.summaries
    assert (s["val.loss"].min_step, s["val.loss"].max_step, s["val.loss"].tail_mean) == (2, 5, 2.0)
    assert (s["acc"].min, s["acc"].min_step, s["acc"].max, s["acc"].max_step) == (0.0, 0, 2999.0, 2999)
    assert s["acc"].tail_mean == sum(longer[-10:]) / 10
    assert store.search_rids("metrics.`val.loss`.best_step = 2") == [store.rid(run.id)]


def _version(path: Path) -> int:
    conn = sqlite3.connect(path / "tuitrack.db")
    try:
        return int(conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0])
    finally:
        conn.close()


def test_writer_upgrades_an_older_store_keeping_its_runs(tmp_path: Path) -> None:
    run_id = _make_v1(tmp_path)
    assert _version(tmp_path) == 1
    store = Store(tmp_path)
    assert _version(tmp_path) == schema.SCHEMA_VERSION
    names = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "runs_experiment_live" in names
    tables = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"sync_remotes", "sync_runs", "sync_marks"} <= tables  # migration 3: team sync state
    from tuitrack.store import sync as sync_state

    assert sync_state.unpushed_rids(store) == {store.rid(run_id)}  # never pushed anywhere
    views = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'")}
    assert views == {"run_summary", "run_params", "run_metrics", "metric_history"}  # migration 5
    assert store.conn.execute("SELECT run_name, metrics FROM run_summary").fetchall() == [("old", '{"loss":0.5}')]
    run = store.get_run(run_id)
    assert run.info.run_name == "old" and run.data.metrics == {"loss": 0.5}
    assert [e.run_count for e in store.list_experiments()] == [1]


def test_read_only_reader_of_an_older_store_is_told_why(tmp_path: Path) -> None:
    _make_v1(tmp_path)
    before = (tmp_path / "tuitrack.db").read_bytes()
    with pytest.raises(ReadOnlyStoreError, match=f"needs upgrading from schema 1 to {schema.SCHEMA_VERSION}"):
        Store(tmp_path, read_only=True)
    assert (tmp_path / "tuitrack.db").read_bytes() == before


def test_upgrade_to_8_indexes_the_summary_steps_and_tail_mean(tmp_path: Path) -> None:
    """A schema 7 store reads as it is (step and tail-mean sorts plainly, same order) and a writer adds
    migration 8's indexes in place, after which those sorts walk them."""
    tuitrack.set_store(tmp_path)
    try:
        for i, values in enumerate([[0.5, 0.2, 0.9], [0.1, 0.4], [float("nan")], [0.3, 0.3, 0.1, 0.7]]):
            with tuitrack.start_run(name=f"r{i}"):
                for step, v in enumerate(values):
                    tuitrack.log_metric("val_loss", v, step=step)
                tuitrack.log_metric("acc", float(i), step=i)
        with tuitrack.start_run(name="none"):
            pass
    finally:
        tuitrack.reset()
    orders = ["metrics.val_loss.best_step DESC", "metrics.val_loss.mean_last_10", "metrics.acc.best_step"]
    with Store(tmp_path, read_only=True) as current:
        expected = {o: current.search_rids("", o, max_results=3, offset=1) for o in orders}
        bounded = current.search_rids("metrics.val_loss.best_step >= 1", orders[0], max_results=10)
        assert len(bounded) == 2  # r0 (best at step 1) and r3 (step 2)
        assert all(current._search_plan("r.rid", "", o, None, False, None)[2] for o in orders)
    conn = sqlite3.connect(tmp_path / "tuitrack.db")
    _downgrade_to_v7(conn)
    conn.commit()
    conn.close()
    before = (tmp_path / "tuitrack.db").read_bytes()
    with Store(tmp_path, read_only=True) as reader:  # readable as it is: no index to walk, sorted plainly
        assert not any(reader._search_plan("r.rid", "", o, None, False, None)[2] for o in orders)
        assert {o: reader.search_rids("", o, max_results=3, offset=1) for o in orders} == expected
        assert reader.search_rids("metrics.val_loss.best_step >= 1", orders[0], max_results=10) == bounded
    assert (tmp_path / "tuitrack.db").read_bytes() == before and _version(tmp_path) == 7
    with Store(tmp_path) as store:
        assert _version(tmp_path) == schema.SCHEMA_VERSION == 8
        names = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert set(V8_INDEXES) <= names
        assert all(store._search_plan("r.rid", "", o, None, False, None)[2] for o in orders)
        assert {o: store.search_rids("", o, max_results=3, offset=1) for o in orders} == expected
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
