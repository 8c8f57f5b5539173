"""The app's sync state: the status line counts unpushed runs, ``P`` pushes in a worker with progress."""

from __future__ import annotations

import asyncio
import math
import uuid
from pathlib import Path

import pytest

from tuitrack.store import sync as state
from tuitrack.store.core import Store
from tuitrack.sync.push import push
from tuitrack.tui.app import create_app

SIZE = (110, 36)
S = uuid.uuid4().hex[:6]  # names and ids unique on a server that outlives the session


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)


async def _until(pilot, cond, timeout: float = 120.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        assert loop.time() < end, "timed out"
        await pilot.pause(0.05)


async def test_status_line_counts_unpushed_runs_and_P_pushes(tmp_path, mlflow_server):
    st = Store(tmp_path / "s", create=True)
    exp = st.experiment_id(f"{S}-tui")
    rids = [st.create_run(run_id=f"{S}{i:026x}", experiment_id=exp, name=f"r{i}", start_time=1000) for i in range(3)]
    for rid in rids:
        st.write_metrics([(rid, "loss", 1.0 / (s + 1), s, 2000 + s) for s in range(20)])
        st.end_run(rid, "FINISHED", end_time=5000)
    assert state.unpushed_count(st) is None  # never synced: the app shows no count
    push(st, mlflow_server.uri)
    st.write_metrics([(rids[0], "loss", math.nan, 99, 9000)])
    assert state.unpushed_count(st) == 1
    app = create_app(st, state_dir=tmp_path / "state", live_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        status = app.browser.status
        await _until(pilot, lambda: status.info.unpushed == 1)
        assert "↑ 1 unpushed" in status.render_info(status.info).plain
        await pilot.press("P")
        await _until(pilot, lambda: "pushed 1 runs, 1 points" in status.info.message)
        await _until(pilot, lambda: status.info.unpushed == 0)
        assert "unpushed" not in status.render_info(status.info).plain
    assert state.unpushed_count(st) == 0
