"""The store's sync state (tuitrack/store/sync.py): what needs pushing, watermarks, older stores."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tuitrack.store import sync as state
from tuitrack.store.core import Store


def _store(tmp_path: Path) -> tuple[Store, list[int]]:
    st = Store(tmp_path / "s", create=True)
    exp = st.experiment_id("e")
    rids = [st.create_run(run_id=f"{i:032x}", experiment_id=exp, name=f"r{i}", start_time=1) for i in range(3)]
    for rid in rids:
        st.write_metrics([(rid, "m", float(s), s, 10 + s) for s in range(5)])
    return st, rids


def test_runs_needing_push_follow_updated_at_and_inflight(tmp_path: Path) -> None:
    st, rids = _store(tmp_path)
    remote = state.remote_id(st, "http://h:1")
    assert state.runs_needing_push(st, remote, rids) == rids
    for rid in rids:
        state.map_run(st, rid, remote, f"r{rid}", "push")
        updated = st.runs_by_rids([rid])[0].info.updated_at
        state.finish_sync(st, rid, remote, {"known": True}, covered_updated_at=updated - 1, pushed=True)
    assert state.runs_needing_push(st, remote, rids) == rids  # covered less than the last write
    for rid in rids:
        updated = st.runs_by_rids([rid])[0].info.updated_at
        state.finish_sync(st, rid, remote, {"known": True}, covered_updated_at=updated - 1, pushed=True)
        st.conn.execute("UPDATE sync_runs SET pushed_upto = ? WHERE rid = ?", (updated, rid))
    assert state.runs_needing_push(st, remote, rids) == []
    assert state.unpushed_count(st) == 0
    st.write_metrics([(rids[1], "m", 9.0, 9, 99)])
    assert state.runs_needing_push(st, remote, rids) == [rids[1]]
    state.set_inflight(st, rids[2], remote, True)
    assert state.runs_needing_push(st, remote, rids) == [rids[1], rids[2]]
    assert state.unpushed_count(st) == 2


def test_watermarks_and_points_after_them(tmp_path: Path) -> None:
    st, rids = _store(tmp_path)
    remote = state.remote_id(st, "http://h:1")
    assert [p[0] for p in state.points(st, rids[0], "m")] == [0, 1, 2, 3, 4]
    state.set_marks(st, rids[0], remote, {"m": state.Mark(3, 2, 12, 0)})
    mark = state.marks(st, rids[0], remote)["m"]
    assert (mark.n, mark.step) == (3, 2)
    assert [p[0] for p in state.points(st, rids[0], "m", after=mark)] == [3, 4]
    assert state.count_points(st, rids[0], "m") == 5


def test_an_older_store_read_only_has_no_sync_state(tmp_path: Path) -> None:
    st, _ = _store(tmp_path)
    st.close()
    conn = sqlite3.connect(tmp_path / "s" / "tuitrack.db")
    conn.executescript(
        "DROP TABLE sync_marks; DROP TABLE sync_runs; DROP TABLE sync_remotes;"
        " UPDATE meta SET value = '3' WHERE key = 'schema_version';"
    )
    conn.close()
    ro = Store(tmp_path / "s", read_only=True)
    assert state.find_remote(ro) is None and state.unpushed_count(ro) is None
