"""The app's sync state: the status line counts unpushed runs, ``P`` pushes in a worker with progress."""

from __future__ import annotations

import functools
import math
import os
import uuid
from pathlib import Path

import pytest

from tuitrack.store import sync as state
from tuitrack.store.core import Store
from tuitrack.sync.push import push
from tuitrack.tui.app import create_app
from tuitrack.tui.waits import wait_until

#: (pilot, condition): a push to a real server on a loaded machine may take a while.
_until = functools.partial(wait_until, timeout=120.0)

SIZE = (110, 36)
S = uuid.uuid4().hex[:6]  # names and ids unique on a server that outlives the session


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)


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
        await wait_until(pilot, lambda: status.info.unpushed == 1, "1 unpushed run", timeout=120)
        assert "↑ 1 unpushed" in status.render_info(status.info).plain
        await pilot.press("P")
        await wait_until(pilot, lambda: "pushed 1 runs, 1 points" in status.info.message, "the push", timeout=120)
        await wait_until(pilot, lambda: status.info.unpushed == 0, "0 unpushed runs", timeout=120)
        assert "unpushed" not in status.render_info(status.info).plain
    assert state.unpushed_count(st) == 0


def _row_text(table, index: int) -> str:
    strip = table.render_line(index - int(table.scroll_y) + 1)
    return "".join(seg.text for seg in strip)


async def test_rows_not_pushed_are_marked_per_row_legibly_without_colour(tmp_path, mlflow_server, monkeypatch):
    """Issue 14: runs not yet pushed (or with unpushed points) are marked on their row: a third status
    glyph ↑ (text, so NO_COLOR keeps it), read with the rows; P clears it; never-synced stores show none."""
    monkeypatch.setenv("NO_COLOR", "1")
    st = Store(tmp_path / "s", create=True)
    exp = st.experiment_id(f"{S}-rows")
    rids = [
        st.create_run(run_id=f"{S}{i:026x}"[:32], experiment_id=exp, name=f"row{i}", start_time=1000 + i)
        for i in range(4)
    ]
    for rid in rids:
        st.write_metrics([(rid, "loss", 1.0, s, 2000 + s) for s in range(5)])
        st.end_run(rid, "FINISHED", end_time=5000)
    app = create_app(st, state_dir=tmp_path / "state", live_interval=0)
    async with app.run_test(size=SIZE) as pilot:  # never synced: two status cells, no push state
        table = app.browser.table
        await _until(pilot, lambda: len(table.rids) == 4 and table.run_at(0) is not None)
        assert table.columns[0].width == 2 and "↑" not in _row_text(table, 0)
    push(st, mlflow_server.uri)
    st.write_metrics([(rids[1], "loss", 0.5, 99, 9000)])  # new points on row1
    st.set_tags(rids[2], {"reviewed": "yes"})  # curation on row2
    fresh = st.create_run(run_id=f"{S}f{0:025x}"[:32], experiment_id=exp, name="row-new", start_time=999)
    st.end_run(fresh, "FINISHED", end_time=5000)
    app = create_app(st, state_dir=tmp_path / "state", live_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        table = app.browser.table
        await _until(pilot, lambda: len(table.rids) == 5 and all(table.run_at(i) for i in range(5)))
        assert table.columns[0].width == 3
        shown = {table.run_at(i).info.run_name: _row_text(table, i)[:3] for i in range(5)}
        assert shown == {"row0": " ✔ ", "row1": " ✔↑", "row2": " ✔↑", "row3": " ✔ ", "row-new": " ✔↑"}, shown
        await _until(pilot, lambda: app.browser.status.info.unpushed == 3)
        said: list[str] = []  # what the status line showed while the push ran in its worker
        update = app.browser.status.update_info
        app.browser.status.update_info = lambda **kw: (said.append(kw.get("message", "")), update(**kw))[1]
        await pilot.press("P")
        await _until(pilot, lambda: app.browser.status.info.unpushed == 0)
        assert "pushing: runs 0/3, points 0/1" in said and any(m.startswith("pushed 3 runs, 1 points") for m in said)
        await _until(pilot, lambda: all("↑" not in _row_text(table, i)[:3] for i in range(5)))
        st.write_metrics([(rids[3], "loss", 0.25, 100, 9100)])  # logged after the push: marked on the next read
        await pilot.press("r")
        row3 = next(i for i in range(5) if table.run_at(i).info.run_name == "row3")
        await _until(pilot, lambda: _row_text(table, row3)[:3] == " ✔↑")


async def test_artifacts_tab_fetches_a_pulled_runs_file_on_demand(tmp_path, mlflow_server):
    """Issue 14: a run pulled without --artifacts lists its server files in the Artifacts tab ("↓ on
    server"); enter fetches one in a worker and previews it; a fetch the server refuses is one red line."""
    from mlflow.tracking import MlflowClient

    from tuitrack.sync.pull import pull
    from tuitrack.tui.browser.artifact_preview import ArtifactPreview
    from tuitrack.tui.browser.run_detail import RunDetail

    client = MlflowClient(tracking_uri=mlflow_server.uri)
    exp_name = f"{S}-tui-art"
    run_id = client.create_run(client.create_experiment(exp_name), run_name="remote-files").info.run_id
    for name, text in (("notes.txt", "hello from the server"), ("gone.txt", "deleted on the server")):
        (tmp_path / name).write_text(text)
        client.log_artifact(run_id, str(tmp_path / name))
    client.set_terminated(run_id, "FINISHED")
    st = Store(tmp_path / "s", create=True)
    assert pull(st, mlflow_server.uri, experiments=[exp_name]).new == 1
    assert st.list_artifacts(run_id) == []
    on_server = list((mlflow_server.root / "artifacts").rglob(f"{run_id}/artifacts/gone.txt"))
    for f in on_server:  # the server lost this one since the pull: its fetch fails
        f.unlink()
    app = create_app(st, state_dir=tmp_path / "state", live_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        detail = app.browser.query_one(RunDetail)
        await _until(pilot, lambda: detail.data is not None and detail.data.run_id == run_id)
        await pilot.press("enter")
        detail.select_tab("artifacts")
        await _until(
            pilot, lambda: [(r.label, r.on_server) for r in detail._rows] == [("gone.txt", True), ("notes.txt", True)]
        )
        table = detail.query_one("#artifact-list")
        labels = [table.get_row_at(i)[0].plain for i in range(2)]
        assert labels == ["gone.txt  ↓ on server", "notes.txt  ↓ on server"]
        preview = detail.query_one(ArtifactPreview)
        table.move_cursor(row=1)
        await pilot.press("enter")
        await _until(pilot, lambda: preview.shown is not None and preview.shown.key == "notes.txt")
        body = preview.query_one("#preview-body").render()
        assert "hello from the server" in str(body)
        await _until(
            pilot, lambda: [(r.label, r.on_server) for r in detail._rows] == [("notes.txt", False), ("gone.txt", True)]
        )
        if on_server:
            table.move_cursor(row=1)
            await pilot.press("enter")
            await _until(pilot, lambda: preview.shown is not None and preview.shown.key == "gone.txt")
            text = str(preview.query_one("#preview-body").render())
            assert text.startswith("fetch failed: ") and "\n" not in text.strip(), text
    assert (st.run_artifact_dir(run_id) / "notes.txt").read_text() == "hello from the server"
    assert not (st.run_artifact_dir(run_id) / "gone.txt").exists()
    assert [a.path for a in st.list_artifacts(run_id)] == ["notes.txt"]


def _plain(widget) -> str:
    from rich.console import Console

    with open(os.devnull, "w") as sink:
        console = Console(width=160, color_system=None, record=True, file=sink)
        console.print(widget.content)
        return console.export_text()


async def test_the_detail_says_where_a_pulled_run_came_from_and_which_write_a_conflict_kept(tmp_path, mlflow_server):
    """Issue 14: "when both changed the same tag, the later write wins and the run's detail says so";
    pulled runs show where they came from."""
    from mlflow.tracking import MlflowClient

    from tuitrack.sync.pull import pull
    from tuitrack.tui.browser.run_detail import RunDetail

    client = MlflowClient(tracking_uri=mlflow_server.uri)
    exp_name = f"{S}-tui-conflict"
    run_id = client.create_run(client.create_experiment(exp_name), run_name="both", tags={"stage": "dev"}).info.run_id
    client.set_terminated(run_id, "FINISHED")
    st = Store(tmp_path / "s", create=True)
    pull(st, mlflow_server.uri, experiments=[exp_name])
    st.set_tags(st.resolve_run(run_id)[0], {"stage": "local-edit"})  # earlier
    client.set_tag(run_id, "stage", "server-edit")  # later: seen at the next pull
    assert pull(st, mlflow_server.uri, experiments=[exp_name]).conflicts == 1
    app = create_app(st, state_dir=tmp_path / "state", live_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        detail = app.browser.query_one(RunDetail)
        await _until(pilot, lambda: detail.data is not None and detail.data.run_id == run_id)
        text = " ".join(_plain(detail.query_one("#overview-body")).split())
        assert f"Pulled from {mlflow_server.uri}" in text, text
        assert "Sync tag stage: changed here and on the server; the server change was later and was kept" in text
        assert "'server-edit'; the other side had 'local-edit'" in text
