"""``tuitrack import tuitrack OTHER`` (merge): another host's store folder merges in, idempotent by run id."""

from __future__ import annotations

import math
import os
from pathlib import Path

from helpers import db_rows

from tuitrack.importers.tuitrack_store import merge_store
from tuitrack.store import sync as state
from tuitrack.store.core import Store


def _host_store(path: Path, prefix: str) -> tuple[Store, list[str]]:
    st = Store(path, create=True)
    exp = st.experiment_id("shared-exp")
    ids = []
    parent = st.create_run(
        run_id=f"{prefix}p" + "0" * 30, experiment_id=exp, name="sweep", start_time=1000, host=f"{prefix}-box"
    )
    ids.append(f"{prefix}p" + "0" * 30)
    for i in range(2):
        run_id = f"{prefix}{i}" + "1" * 30
        rid = st.create_run(
            run_id=run_id,
            experiment_id=exp,
            name=f"trial-{i}",
            start_time=2000,
            host=f"{prefix}-box",
            parent_id=ids[0],
            note="a [b]note[/b]",
            tags={"k": "v"},
            params={"lr": "0.1"},
        )
        st.write_metrics([(rid, "loss", v, s, 3000 + s) for s, v in enumerate([math.nan, math.inf, 0.5, -math.inf])])
        d = st.run_artifact_dir(run_id) / "model"
        d.mkdir(parents=True)
        (d / "w.bin").write_bytes(b"\x00weights" + prefix.encode())
        st.record_artifacts(rid, [("model/w.bin", 9)])
        st.end_run(rid, "FINISHED", end_time=5000)
        ids.append(run_id)
    st.end_run(parent, "FINISHED", end_time=6000)
    return st, ids


def test_merge_two_hosts_keeps_everything_and_is_idempotent(tmp_path: Path) -> None:
    a, _a_ids = _host_store(tmp_path / "a", "a")
    b, b_ids = _host_store(tmp_path / "b", "b")
    b.close()
    before = db_rows(tmp_path / "b")
    other = Store(tmp_path / "b", read_only=True)
    stats = merge_store(a, other)
    assert (stats.runs, stats.points, stats.artifacts, stats.skipped) == (3, 8, 2, 0)
    again = merge_store(a, other)
    assert (again.runs, again.skipped) == (0, 3)
    other.close()
    assert db_rows(tmp_path / "b") == before  # OTHER unchanged
    for run_id in b_ids[1:]:
        run = a.get_run(run_id)
        assert run.info.host == "b-box" and run.info.parent_id == b_ids[0] and run.info.note == "a [b]note[/b]"
        assert run.data.params == {"lr": "0.1"} and run.data.tags["k"] == "v"
        values = [p.value for p in a.get_metric_history(run_id, "loss")]
        assert math.isnan(values[0]) and values[1:] == [math.inf, 0.5, -math.inf]
        assert a.artifact_file(run_id, "model/w.bin").read_bytes() == b"\x00weightsb"
    assert len(a.search_rids(None, include_deleted=True)) == 6
    assert state.unpushed_rids(a) == set(a.search_rids(None))


def test_merge_does_not_follow_a_link_out_of_the_other_store(tmp_path: Path) -> None:
    a = Store(tmp_path / "a", create=True)
    b, b_ids = _host_store(tmp_path / "b", "b")
    secret = tmp_path / "secret.txt"
    secret.write_text("private")
    target = b.run_artifact_dir(b_ids[1]) / "model" / "w.bin"
    target.unlink()
    os.symlink(secret, target)
    stats = merge_store(a, Store(tmp_path / "b", read_only=True))
    assert stats.runs == 3 and any("w.bin" in p for p in stats.problems)
    assert not (a.run_artifact_dir(b_ids[1]) / "model" / "w.bin").exists()
