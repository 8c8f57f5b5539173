"""push / pull / merge against a real MLflow tracking server, read back with MLflow's own client."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from helpers import db_rows, free_port, json_body
from mlflow.entities import Metric, Param, RunTag, ViewType
from mlflow.tracking import MlflowClient

from tuitrack.demo import build_demo_store
from tuitrack.errors import ValidationError
from tuitrack.store import sync as state
from tuitrack.store.core import Store
from tuitrack.sync.http import Client, SyncError, TransientError
from tuitrack.sync.pull import pull
from tuitrack.sync.push import push

_MAX = 1.7976931348623157e308
#: A server given by TUITRACK_TEST_MLFLOW_URI outlives one test session: names and ids carry a per-session mark.
S = uuid.uuid4().hex[:6]


def _id(ch: str) -> str:
    return (S + ch * 32)[:32]


def _server_value(v: float) -> float:
    """What MLflow's client reads back: a SQL-backed server stores +-inf as +-max double."""
    if v == _MAX:
        return math.inf
    if v == -_MAX:
        return -math.inf
    return v


def _key(v: float) -> object:
    return "nan" if v != v else v


def _pushed_runs(client: MlflowClient, prefix: str) -> dict[str, object]:
    """Runs pushed into this session's experiments named ``{S}-{prefix}...``, by their local id."""
    exps = [
        e.experiment_id for e in client.search_experiments(view_type=ViewType.ALL) if e.name.startswith(f"{S}-{prefix}")
    ]
    runs = client.search_runs(exps, run_view_type=ViewType.ALL, max_results=50000)
    return {r.data.tags["tuitrack.run_id"]: r for r in runs if "tuitrack.run_id" in r.data.tags}


def assert_server_has(store: Store, client: MlflowClient, tmp: Path, prefix: str) -> None:
    """Every local run, param, tag, point and artifact is on the server, equal."""
    remote = _pushed_runs(client, prefix)
    exp_names = {e.experiment_id: e.name for e in client.search_experiments(view_type=ViewType.ALL)}
    rids = list(store.search_rids(None, include_deleted=True))
    local_runs = state.load_local_runs(store, rids)
    assert local_runs and set(remote) >= {r.run_id for r in local_runs}
    remote_id = {lid: r.info.run_id for lid, r in remote.items()}
    for run in local_runs:
        r = remote[run.run_id]
        assert exp_names[r.info.experiment_id] == run.experiment
        assert r.info.run_name == run.name
        assert r.info.status == run.status
        assert (r.info.start_time, r.info.end_time) == (run.start_time, run.end_time)
        assert (r.info.lifecycle_stage == "deleted") == (run.deleted_at is not None)
        assert r.data.params == run.params
        own = {k: v for k, v in r.data.tags.items() if not k.startswith(("mlflow.", "tuitrack."))}
        assert own == {k: v for k, v in run.tags.items() if not k.startswith(("mlflow.", "tuitrack."))}
        assert r.data.tags.get("mlflow.note.content") == run.note
        assert r.data.tags.get("mlflow.parentRunId") == (remote_id[run.parent_id] if run.parent_id else None)
        assert r.data.tags.get("tuitrack.host") == run.host
        assert r.data.tags.get("mlflow.user") == run.user
        for key in run.counts:
            mine = [(s, t, _key(v)) for s, t, _, v in state.points(store, run.rid, key)]
            theirs = sorted(
                (m.step, m.timestamp, _key(_server_value(m.value)))
                for m in client.get_metric_history(r.info.run_id, key)
            )
            assert theirs == sorted(mine, key=repr) or sorted(theirs, key=repr) == sorted(mine, key=repr), key
        files: dict[str, int] = {}
        stack = [None]
        while stack:
            for a in client.list_artifacts(r.info.run_id, stack.pop()):
                if a.is_dir:
                    stack.append(a.path)
                else:
                    files[a.path] = a.file_size
        assert files == run.artifacts
        for path in run.artifacts:
            got = client.download_artifacts(r.info.run_id, path, str(tmp))
            assert Path(got).read_bytes() == store.artifact_file(run.run_id, path).read_bytes()


@pytest.fixture
def demo(tmp_path: Path) -> Store:
    build_demo_store(tmp_path / "demo")
    st = Store(tmp_path / "demo")
    yield st
    st.close()


@pytest.fixture
def mlflow_client(mlflow_server) -> MlflowClient:
    return MlflowClient(tracking_uri=mlflow_server.uri)


def _experiment_prefix(store: Store, prefix: str) -> None:
    """Rename the store's experiments so tests sharing one server never see each other's runs."""
    with store.transaction() as conn:
        conn.execute("UPDATE experiments SET name = ? || name", (f"{S}-{prefix}",))


def test_push_demo_store_reads_back_equal_with_mlflow_client(demo, mlflow_server, mlflow_client, tmp_path):
    _experiment_prefix(demo, "t1-")
    rep = push(demo, mlflow_server.uri, experiments=[e.name for e in demo.list_experiments()])
    assert rep.created == rep.selected > 0 and not rep.problems
    assert rep.points == sum(
        sum(r.counts.values()) for r in state.load_local_runs(demo, list(demo.search_rids(None, include_deleted=True)))
    )
    assert_server_has(demo, mlflow_client, tmp_path / "dl", "t1-")


def test_push_twice_sends_nothing_then_exactly_the_new_points(demo, mlflow_server, mlflow_client):
    _experiment_prefix(demo, "t2-")
    first = push(demo, mlflow_server.uri)
    again = push(demo, mlflow_server.uri)
    assert again.points == 0 and again.created == 0 and again.updated == 0
    assert again.unchanged == first.selected
    run = demo.search_runs(None, max_results=1)[0]
    rid = demo.rid(run.info.run_id)
    before = demo.get_metric_history(run.info.run_id, "loss")
    last = before[-1]
    new = [(rid, "loss", float(i) / 7, last.step + 1 + i, last.timestamp + 1 + i) for i in range(49)]
    new.append((rid, "loss", math.nan, last.step + 100, last.timestamp + 100))
    demo.write_metrics(new)
    third = push(demo, mlflow_server.uri)
    assert third.points == 50 and third.updated == 1
    remote = _pushed_runs(mlflow_client, "t2-")[run.info.run_id]
    hist = mlflow_client.get_metric_history(remote.info.run_id, "loss")
    assert len(hist) == len(before) + 50
    assert math.isnan(max(hist, key=lambda m: m.step).value)
    assert push(demo, mlflow_server.uri).points == 0


def test_nan_and_infinities_round_trip_exactly(tmp_path, mlflow_server, mlflow_client):
    st = Store(tmp_path / "a", create=True)
    exp = st.experiment_id(f"{S}-t3-values")
    rid = st.create_run(run_id=_id("a"), experiment_id=exp, name="edge", start_time=1000)
    values = [math.nan, math.inf, -math.inf, 0.0, -0.0, 5e-324, 1e308, -2.5, 1 / 3]
    st.write_metrics([(rid, "v", v, i, 2000 + i) for i, v in enumerate(values)])
    st.end_run(rid, "FINISHED", end_time=3000)
    push(st, mlflow_server.uri, experiments=[f"{S}-t3-values"])
    remote = _pushed_runs(mlflow_client, "t3-")[_id("a")]
    got = [m.value for m in sorted(mlflow_client.get_metric_history(remote.info.run_id, "v"), key=lambda m: m.step)]
    assert math.isnan(got[0]) and [_server_value(v) for v in got[1:]] == values[1:]
    other = Store(tmp_path / "b", create=True)
    pull(other, mlflow_server.uri, experiments=[f"{S}-t3-values"])
    back = [p.value for p in other.get_metric_history(remote.info.run_id, "v")]
    assert math.isnan(back[0]) and back[1:] == values[1:]


def _log_with_mlflow(client: MlflowClient, exp_name: str, tmp: Path) -> tuple[str, str]:
    exp = client.create_experiment(exp_name)
    parent = client.create_run(exp, run_name="sweep", tags={"team": "vision"})
    child = client.create_run(exp, run_name="trial-1", tags={"mlflow.parentRunId": parent.info.run_id})
    cid = child.info.run_id
    client.log_batch(
        cid,
        metrics=[Metric("acc", 0.5 + i / 100, 1_700_000_000_000 + i, i) for i in range(1500)]
        + [Metric("loss", v, 1_700_000_000_000, i) for i, v in enumerate([math.nan, math.inf, 1.0])],
        params=[Param("lr", "0.01"), Param("layers", "4")],
        tags=[RunTag("mlflow.note.content", "a **note** [red]x[/red]"), RunTag("stage", "dev")],
    )
    f = tmp / "model.txt"
    f.write_text("weights")
    client.log_artifact(cid, str(f), artifact_path="model")
    client.set_terminated(cid, "FINISHED")
    client.set_terminated(parent.info.run_id, "FINISHED")
    return parent.info.run_id, cid


def test_pull_runs_mlflow_logged_then_pull_twice_then_incremental(tmp_path, mlflow_server, mlflow_client):
    parent_id, cid = _log_with_mlflow(mlflow_client, f"{S}-t4-mlflow", tmp_path)
    st = Store(tmp_path / "s", create=True)
    rep = pull(st, mlflow_server.uri, experiments=[f"{S}-t4-mlflow"], artifacts=True)
    assert rep.new == 2 and rep.points == 1503 and rep.artifacts == 1
    run = st.get_run(cid)
    assert run.info.run_name == "trial-1" and run.info.parent_id == parent_id and run.info.status == "FINISHED"
    assert run.info.note == "a **note** [red]x[/red]"
    assert run.data.params == {"lr": "0.01", "layers": "4"} and run.data.tags["stage"] == "dev"
    assert run.data.tags["tuitrack.pulled_from"] == mlflow_server.uri
    loss = [p.value for p in st.get_metric_history(cid, "loss")]
    assert math.isnan(loss[0]) and loss[1:] == [math.inf, 1.0]
    assert len(st.get_metric_history(cid, "acc")) == 1500
    assert st.artifact_file(cid, "model/model.txt").read_text() == "weights"
    again = pull(st, mlflow_server.uri, experiments=[f"{S}-t4-mlflow"], artifacts=True)
    assert (again.new, again.updated, again.points, again.artifacts) == (0, 0, 0, 0)
    mlflow_client.log_batch(cid, metrics=[Metric("acc", 0.9, 1_700_000_100_000 + i, 1500 + i) for i in range(7)])
    more = pull(st, mlflow_server.uri, experiments=[f"{S}-t4-mlflow"])
    assert more.points == 7 and more.updated == 1 and more.new == 0
    assert len(st.get_metric_history(cid, "acc")) == 1507
    # pulled runs are not pushed back as new runs
    before = len(mlflow_client.search_runs([mlflow_client.get_experiment_by_name(f"{S}-t4-mlflow").experiment_id]))
    push(st, mlflow_server.uri, experiments=[f"{S}-t4-mlflow"])
    assert (
        len(mlflow_client.search_runs([mlflow_client.get_experiment_by_name(f"{S}-t4-mlflow").experiment_id])) == before
    )


def test_pushed_runs_are_recognised_on_pull(demo, mlflow_server, tmp_path):
    _experiment_prefix(demo, "t5-")
    names = [e.name for e in demo.list_experiments()]
    push(demo, mlflow_server.uri, experiments=names)
    n = demo.count_runs(None, include_deleted=True)
    rep = pull(demo, mlflow_server.uri, experiments=names)
    assert rep.new == 0 and rep.points == 0 and rep.seen == n
    assert demo.count_runs(None, include_deleted=True) == n
    # a second store pulls them, and its push makes no copies
    other = Store(tmp_path / "other", create=True)
    got = pull(other, mlflow_server.uri, experiments=names)
    assert got.new == rep.seen
    again = push(other, mlflow_server.uri, experiments=names)
    assert again.created == 0


def test_curation_round_trip_both_ways(demo, mlflow_server, mlflow_client):
    from tuitrack.curation import core as curation

    _experiment_prefix(demo, "t6-")
    names = [e.name for e in demo.list_experiments()]
    push(demo, mlflow_server.uri, experiments=names)
    run = demo.search_runs(None, max_results=1)[0]
    rid = demo.rid(run.info.run_id)
    demo.set_tags(rid, {"reviewed": "yes"})
    demo.update_run_fields(rid, name="renamed-here", note="looked at it")
    rep = push(demo, mlflow_server.uri, experiments=names)
    assert rep.updated == 1
    remote = _pushed_runs(mlflow_client, "t6-")[run.info.run_id]
    assert remote.data.tags["reviewed"] == "yes" and remote.info.run_name == "renamed-here"
    assert remote.data.tags["mlflow.note.content"] == "looked at it"
    # the server side changes: a tag set, a tag removed, a rename
    mlflow_client.set_tag(remote.info.run_id, "verdict", "ship it")
    mlflow_client.delete_tag(remote.info.run_id, "reviewed")
    mlflow_client.update_run(remote.info.run_id, name="renamed-there")
    pull(demo, mlflow_server.uri, experiments=names)
    back = demo.get_run(run.info.run_id)
    assert back.data.tags.get("verdict") == "ship it" and "reviewed" not in back.data.tags
    assert back.info.run_name == "renamed-there"
    # the pull's own writes are not pushed back as changes
    assert push(demo, mlflow_server.uri, experiments=names).updated == 0
    # delete here -> deleted there; restored there -> restored here
    demo.update_run_fields(rid, deleted_at=1)
    push(demo, mlflow_server.uri, experiments=names)
    assert mlflow_client.get_run(remote.info.run_id).info.lifecycle_stage == "deleted"
    mlflow_client.restore_run(remote.info.run_id)
    pull(demo, mlflow_server.uri, experiments=names)
    assert demo.get_run(run.info.run_id).info.deleted_at is None
    assert curation is not None


def test_conflicting_tag_later_write_wins_and_the_run_says_so(demo, mlflow_server, mlflow_client):
    _experiment_prefix(demo, "t7-")
    names = [e.name for e in demo.list_experiments()]
    push(demo, mlflow_server.uri, experiments=names)
    run = demo.search_runs(None, max_results=1)[0]
    rid = demo.rid(run.info.run_id)
    remote = _pushed_runs(mlflow_client, "t7-")[run.info.run_id]
    demo.set_tags(rid, {"stage": "local-value"})  # earlier
    mlflow_client.set_tag(remote.info.run_id, "stage", "server-value")  # later (seen at the next sync)
    pull(demo, mlflow_server.uri, experiments=names)
    got = demo.get_run(run.info.run_id)
    assert got.data.tags["stage"] == "server-value"
    assert "later" in got.data.tags["tuitrack.sync.conflict"] and "stage" in got.data.tags["tuitrack.sync.conflict"]
    push(demo, mlflow_server.uri, experiments=names)
    assert mlflow_client.get_run(remote.info.run_id).data.tags["stage"] == "server-value"


def test_values_over_the_servers_limits_are_reported_per_run(tmp_path, mlflow_server, mlflow_client):
    st = Store(tmp_path / "a", create=True)
    exp = st.experiment_id(f"{S}-t8-limits")
    big = st.create_run(
        run_id=_id("b"),
        experiment_id=exp,
        name="big",
        start_time=1000,
        tags={"long": "x" * 6000, "ok": "fine"},
        note="n" * 6000,
    )
    st.write_metrics([(big, "m", float(i), i, 2000 + i) for i in range(2500)])  # three log-batches
    fine = st.create_run(run_id=_id("c"), experiment_id=exp, name="fine", start_time=1000)
    st.write_metrics([(fine, "m", 1.0, 0, 2000)])
    rep = push(st, mlflow_server.uri, experiments=[f"{S}-t8-limits"])
    assert rep.created == 2 and len(rep.problems) == 2
    assert any("'long'" in p and "5000" in p for p in rep.problems) and any("note" in p for p in rep.problems)
    remote = _pushed_runs(mlflow_client, "t8-")
    assert remote[_id("b")].data.tags["ok"] == "fine" and "long" not in remote[_id("b")].data.tags
    assert len(mlflow_client.get_metric_history(remote[_id("b")].info.run_id, "m")) == 2500

    # 100 params of 5,000 "é": 3 MB of JSON (\u00e9 is 6 bytes) though 504 K characters; split, all arrive
    wide = st.create_run(
        run_id=_id("a"),
        experiment_id=exp,
        name="wide",
        start_time=1000,
        params={f"p{i:03d}": "é" * 5000 for i in range(120)},
    )
    assert wide
    rep = push(st, mlflow_server.uri, experiments=[f"{S}-t8-limits"])
    assert rep.created == 1 and not rep.problems, rep.problems
    got = _pushed_runs(mlflow_client, "t8-")[_id("a")].data.params
    assert got == {f"p{i:03d}": "é" * 5000 for i in range(120)}


def test_log_batch_bodies_stay_under_one_megabyte_of_json():
    """The 1 MB log-batch limit is bytes of the request body (what a proxy in front of the server, e.g.
    nginx's 1 MB default, refuses; MLflow 3.17 itself measures the parsed dict, so it cannot tell): a
    character count undercounts escaped text up to six times."""
    import json

    from tuitrack.sync.push import _pack

    items = [("param", f"p{i:03d}", "é" * 5000) for i in range(100)] + [("tag", "t", 'q"\\' * 1000)]
    bodies = _pack(items)
    sizes = [len(json.dumps({"run_id": "0" * 32, "metrics": [], "params": b.params, "tags": b.tags})) for b in bodies]
    assert max(sizes) <= 1_000_000 and len(bodies) >= 4, sizes
    assert [p["key"] for b in bodies for p in b.params] == [f"p{i:03d}" for i in range(100)]


def test_server_stopped_mid_push_then_resumed_without_duplicates(tmp_path, fresh_server):
    st = Store(tmp_path / "a", create=True)
    exp = st.experiment_id(f"{S}-t9-resume")
    rids = []
    for i in range(4):
        rid = st.create_run(run_id=_id(str(i)), experiment_id=exp, name=f"r{i}", start_time=1000)
        st.write_metrics([(rid, k, float(s), s, 2000 + s) for k in ("a", "b") for s in range(2000)])
        st.end_run(rid, "FINISHED", end_time=9000)
        rids.append(rid)
    stopped = threading.Event()

    def progress(done: int, total: int, points: int, points_total: int) -> None:
        if points >= 5000 and not stopped.is_set():
            stopped.set()
            fresh_server.stop()

    client = Client(fresh_server.uri, retries=1, backoff=0.05)
    with pytest.raises(SyncError):
        push(st, fresh_server.uri, progress=progress, client=client, workers=2)
    sent = sum(m.n for r in rids for m in state.marks(st, r, state.find_remote(st, fresh_server.uri)[0]).values())
    assert 0 < sent < 4 * 4000
    fresh_server.start()
    rep = push(st, fresh_server.uri)
    assert 0 < rep.points <= 4 * 4000 - sent  # a batch the server took as it died is not sent again
    check = MlflowClient(tracking_uri=fresh_server.uri)
    remote = _pushed_runs(check, "t9-")
    assert len(remote) == 4
    for r in remote.values():
        for k in ("a", "b"):
            hist = check.get_metric_history(r.info.run_id, k)
            assert sorted(m.step for m in hist) == list(range(2000))
    assert push(st, fresh_server.uri).points == 0


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tuitrack.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TUITRACK_SYNC_BACKOFF": "0.01", **(env or {})},
    )


@pytest.mark.parametrize("case", ["bad-uri", "refused", "401", "500"])
def test_failures_are_one_error_line_and_lose_nothing(case, demo, tiny_server, tmp_path):
    if case == "bad-uri":
        uri = "ftp://nowhere"
    elif case == "refused":
        uri = f"http://127.0.0.1:{free_port()}"
    else:
        status = int(case)
        uri = tiny_server(
            lambda h, n: (status, {"Content-Type": "application/json"}, json_body({"error_code": "X", "message": "no"}))
        ).uri
    demo.close()
    path = tmp_path / "demo"
    before = db_rows(path)
    for cmd in ("push", "pull"):
        out = _cli(cmd, uri, "--store", str(path))
        assert out.returncode == 1, out
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), out.stderr
        assert "Traceback" not in out.stderr
        if case == "401":
            assert "401" in lines[0] and "MLFLOW_TRACKING" in lines[0]
    after = db_rows(path)
    for table in ("runs", "metrics", "params", "tags", "artifacts", "sync_runs", "sync_marks"):
        assert after.get(table) == before.get(table), table


def test_client_retries_429_and_5xx_with_backoff(tiny_server):
    answers = [
        (429, {"Retry-After": "0"}, b"{}"),
        (503, {}, b"busy"),
        (200, {"Content-Type": "application/json"}, b'{"experiments": []}'),
    ]
    srv = tiny_server(lambda h, n: answers[min(n, 2)])
    slept: list[float] = []
    with Client(srv.uri, retries=3, backoff=0.01, sleep=slept.append) as c:
        assert c.call("POST", "/experiments/search", {}) == {"experiments": []}
    assert len(srv.hits) == 3 and len(slept) == 2
    srv2 = tiny_server(lambda h, n: (500, {}, b"down"))
    with Client(srv2.uri, retries=2, backoff=0.0) as c, pytest.raises(TransientError, match="500"):
        c.call("GET", "/experiments/get-by-name", {"experiment_name": "x"})
    assert len(srv2.hits) == 3


def test_credentials_from_the_environment_are_sent(tiny_server):
    seen: list[str | None] = []
    srv = tiny_server(lambda h, n: (seen.append(h.headers.get("Authorization")) or 200, {}, b"{}"))
    with Client(srv.uri, env={"MLFLOW_TRACKING_TOKEN": "t0k"}) as c:
        c.call("GET", "/x")
    with Client(srv.uri, env={"MLFLOW_TRACKING_USERNAME": "u", "MLFLOW_TRACKING_PASSWORD": "p"}) as c:
        c.call("GET", "/x")
    assert seen == ["Bearer t0k", "Basic dTpw"]


def test_hostile_server_ids_and_paths_write_nothing_outside_the_store(tiny_server, tmp_path):
    evil_run = {
        "info": {
            "run_id": "../../escape",
            "experiment_id": "1",
            "status": "FINISHED",
            "start_time": 1,
            "artifact_uri": "mlflow-artifacts:/1/x/artifacts",
        },
        "data": {},
    }
    good_run = {
        "info": {
            "run_id": _id("d"),
            "experiment_id": "1",
            "status": "FINISHED",
            "start_time": 1,
            "artifact_uri": "mlflow-artifacts:/1/ddd/artifacts",
            "run_name": "\x1b[31mred",
        },
        "data": {"tags": [{"key": "k", "value": "[bold]v"}]},
    }

    def answer(h, n):
        p = h.path
        if "experiments/search" in p:
            return 200, {}, json_body({"experiments": [{"experiment_id": "1", "name": "evil"}]})
        if "runs/search" in p:
            return 200, {}, json_body({"runs": [evil_run, good_run]})
        if "mlflow-artifacts/artifacts?" in p:
            return 200, {}, json_body({"files": [{"path": "../../../outside.txt", "is_dir": False, "file_size": 3}]})
        return 404, {}, b"{}"

    srv = tiny_server(answer)
    st = Store(tmp_path / "s", create=True)
    rep = pull(st, srv.uri, artifacts=True)
    assert rep.new == 0 or st.get_run(_id("d")).data.tags["k"] == "[bold]v"
    assert any("escape" in p for p in rep.problems) and any("outside.txt" in p for p in rep.problems)
    assert not (tmp_path / "outside.txt").exists() and not (tmp_path / "escape").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s"]


def test_cli_push_pull_merge(demo, mlflow_server, tmp_path):
    _experiment_prefix(demo, "t10-")
    demo.close()
    path = str(tmp_path / "demo")
    out = _cli("push", mlflow_server.uri, "--store", path, "-e", f"{S}-t10-churn-prediction-v1", "--dry-run")
    assert out.returncode == 0 and "would go to" in out.stderr, out.stderr
    out = _cli("push", "--store", path, env={"MLFLOW_TRACKING_URI": mlflow_server.uri})
    assert out.returncode == 0 and "pushed" in out.stderr, out.stderr
    out = _cli("push", "--store", path, env={"MLFLOW_TRACKING_URI": mlflow_server.uri})
    assert "pushed 0 runs" in out.stderr and "unchanged" in out.stderr
    merged = str(tmp_path / "merged")
    before = db_rows(tmp_path / "demo")
    out = _cli("import", "tuitrack", path, "--store", merged)
    assert out.returncode == 0 and "merged" in out.stderr, out.stderr
    out = _cli("merge", path, "--store", merged)
    assert "merged 0 runs" in out.stderr and "skipped" in out.stderr
    assert db_rows(tmp_path / "demo") == before


def _files_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_pull_lists_artifacts_and_fetch_artifacts_brings_them_on_demand(tmp_path, mlflow_server, mlflow_client):
    """Pulled without --artifacts, a run's files stay on the server but are listed; `tuitrack
    fetch-artifacts RUN [PATH]...` brings one, then the rest, then nothing; the run stays "pushed"."""
    exp = mlflow_client.create_experiment(f"{S}-t12-art")
    rid_s = mlflow_client.create_run(exp, run_name="with-files").info.run_id
    files = {"a.txt": "alpha", "model/MLmodel": "flavors: {}\n", "deep/er/x.json": '{"k": 1}'}
    for rel, text in files.items():
        src = tmp_path / "src" / rel
        src.parent.mkdir(parents=True, exist_ok=True)
        src.write_text(text)
        folder = str(Path(rel).parent)
        mlflow_client.log_artifact(rid_s, str(src), artifact_path=None if folder == "." else folder)
    mlflow_client.set_terminated(rid_s, "FINISHED")
    st = Store(tmp_path / "s", create=True)
    rep = pull(st, mlflow_server.uri, experiments=[f"{S}-t12-art"])
    assert (rep.new, rep.artifacts, rep.problems) == (1, 0, [])
    rid = st.resolve_run(rid_s)[0]
    assert st.list_artifacts(rid_s) == [] and _files_under(st.artifacts_root) == set()
    uri, listed = state.server_only_artifacts(st, rid)
    assert uri == mlflow_server.uri and listed == sorted((p, len(t)) for p, t in files.items())
    assert pull(st, mlflow_server.uri, experiments=[f"{S}-t12-art"]).unchanged == 1  # a finished run: no re-listing
    st.close()
    path = str(tmp_path / "s")
    out = _cli("fetch-artifacts", rid_s, "a.txt", "--store", path)
    assert out.returncode == 0 and "fetched 1 artifact file (5 bytes)" in out.stderr, out.stderr
    out = _cli("fetch-artifacts", rid_s, "--store", path)
    assert out.returncode == 0 and "fetched 2 artifact files" in out.stderr and "1 file already here" in out.stderr
    out = _cli("fetch-artifacts", rid_s, "no/such.txt", "--store", path)
    assert out.returncode == 0 and "fetched 0 artifact files" in out.stderr and "not among" in out.stderr
    st = Store(tmp_path / "s")
    assert {a.path: st.artifact_file(rid_s, a.path).read_text() for a in st.list_artifacts(rid_s)} == files
    assert state.server_only_artifacts(st, rid) is None
    assert state.unpushed_among(st, [rid]) == set()  # what came from the server is not a local change
    assert _files_under(tmp_path) == {f"src/{p}" for p in files} | {f"s/artifacts/{rid_s}/{p}" for p in files} | {
        str(p.relative_to(tmp_path)) for p in (tmp_path / "s").iterdir() if p.is_file()
    }
    again = push(st, mlflow_server.uri, experiments=[f"{S}-t12-art"])
    assert (again.created, again.artifacts) == (0, 0)  # the server has them: nothing uploaded back
    local_id = uuid.uuid4().hex
    local = st.create_run(run_id=local_id, experiment_id=st.experiment_id(f"{S}-t12-local"), name="l", start_time=1)
    assert local
    st.close()
    out = _cli("fetch-artifacts", local_id, "--store", path)
    assert out.returncode == 1 and out.stderr.startswith("Error: ") and out.stderr.count("\n") == 1, out.stderr
    assert "did not come from a tracking server" in out.stderr


def test_fetched_paths_never_leave_the_runs_folder(tiny_server, tmp_path):
    """A server listing hostile paths for a pulled run: the fetch refuses them; nothing is written elsewhere."""
    run = {
        "info": {
            "run_id": _id("e"),
            "experiment_id": "1",
            "status": "FINISHED",
            "start_time": 1,
            "artifact_uri": "mlflow-artifacts:/1/hhh/artifacts",
        },
        "data": {},
    }
    listing = [{"path": "ok.txt", "is_dir": False, "file_size": 2}]

    def answer(h, n):
        p = h.path
        if "experiments/search" in p:
            return 200, {}, json_body({"experiments": [{"experiment_id": "1", "name": "evil"}]})
        if "runs/search" in p:
            return 200, {}, json_body({"runs": [run]})
        if "mlflow-artifacts/artifacts?" in p:
            return 200, {}, json_body({"files": listing})
        if "mlflow-artifacts/artifacts/" in p:
            return 200, {}, b"ok"
        return 404, {}, b"{}"

    srv = tiny_server(answer)
    st = Store(tmp_path / "s", create=True)
    assert pull(st, srv.uri).new == 1
    folder = st.run_artifact_dir(_id("e"))
    folder.mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (folder / "link").symlink_to(tmp_path / "elsewhere")  # a sub-folder that leads out of the run's folder
    from tuitrack.sync.pull import fetch_artifacts

    for bad in ("../../../outside.txt", "/etc/passwd", "link/x.txt", "a/../../b.txt"):
        listing[:] = [{"path": bad, "is_dir": False, "file_size": 2}]
        with pytest.raises(SyncError):  # asking for a file not listed yet reads the (hostile) listing again
            fetch_artifacts(st, _id("e"), ["link/x.txt" if bad == "link/x.txt" else "fresh.txt"])
        with pytest.raises(ValidationError):  # and a path asked for is checked before any request
            fetch_artifacts(st, _id("e"), ["../../outside.txt"])
        assert not (tmp_path / "outside.txt").exists() and list((tmp_path / "elsewhere").iterdir()) == []
    listing[:] = [{"path": "ok.txt", "is_dir": False, "file_size": 2}]
    assert fetch_artifacts(st, _id("e"), ["ok.txt"]).artifacts == 1
    assert (folder / "ok.txt").read_bytes() == b"ok" and list((tmp_path / "elsewhere").iterdir()) == []


def test_a_running_run_pushes_what_it_has_and_continues_and_a_lost_mapping_is_found_by_tag(
    tmp_path, mlflow_server, mlflow_client
):
    """RUNNING runs push what they have and continue next time; a run whose mapping was lost (a copied or
    restored store) is found on the server by its tuitrack.run_id tag, not created twice; a second store
    pulling it sees the host it was logged on."""
    exp_name = f"{S}-t13-running"
    st = Store(tmp_path / "s", create=True)
    run_id = uuid.uuid4().hex
    rid = st.create_run(
        run_id=run_id, experiment_id=st.experiment_id(exp_name), name="live", start_time=1000, host="gpu-box-07"
    )
    st.write_metrics([(rid, "loss", 1.0 / (s + 1), s, 2000 + s) for s in range(10)])
    assert push(st, mlflow_server.uri, experiments=[exp_name]).points == 10
    remote = _pushed_runs(mlflow_client, "t13-")[run_id]
    assert remote.info.status == "RUNNING" and len(mlflow_client.get_metric_history(remote.info.run_id, "loss")) == 10
    st.write_metrics([(rid, "loss", 0.01 * s, s, 2000 + s) for s in range(10, 15)])
    st.end_run(rid, "FINISHED", end_time=9000)
    rep = push(st, mlflow_server.uri, experiments=[exp_name])
    assert (rep.created, rep.updated, rep.points) == (0, 1, 5)
    got = mlflow_client.get_run(remote.info.run_id)
    assert got.info.status == "FINISHED" and got.info.end_time == 9000
    assert [m.step for m in mlflow_client.get_metric_history(remote.info.run_id, "loss")] == list(range(15))
    state.forget_mapping(st, rid, state.find_remote(st)[0])  # the store forgot it pushed this run
    st.write_metrics([(rid, "loss", 0.5, 15, 3000)])
    rep = push(st, mlflow_server.uri, experiments=[exp_name])
    assert (rep.created, rep.points) == (0, 1) and len(_pushed_runs(mlflow_client, "t13-")) == 1
    assert len(mlflow_client.get_metric_history(remote.info.run_id, "loss")) == 16  # no point sent twice
    other = Store(tmp_path / "other", create=True)
    assert pull(other, mlflow_server.uri, experiments=[exp_name]).new == 1
    mine = other.get_run(remote.info.run_id)  # a run new to a store keeps its server id; the host it ran on
    assert mine.info.host == "gpu-box-07" and mine.data.tags["tuitrack.pulled_from"] == mlflow_server.uri


def _on_a_terminal(*args: str) -> tuple[int, str]:
    """Run the CLI with stderr on a pseudo-terminal; (exit code, what the terminal showed)."""
    import pty

    master, slave = pty.openpty()
    proc = subprocess.run(
        [sys.executable, "-m", "tuitrack.cli.main", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=slave,
        timeout=180,
        env={**os.environ, "TUITRACK_SYNC_BACKOFF": "0.01"},
    )
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the other end is closed: all read
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return proc.returncode, out.decode("utf-8", "replace")


def test_push_and_pull_show_a_progress_bar_on_a_terminal_and_take_filters(tmp_path, mlflow_server):
    """A progress bar (runs, points) on a terminal only; --filter selects runs on both sides."""
    exp_name = f"{S}-t14-bar"
    st = Store(tmp_path / "s", create=True)
    exp = st.experiment_id(exp_name)
    for i in range(3):
        rid = st.create_run(
            run_id=uuid.uuid4().hex,
            experiment_id=exp,
            name=f"bar{i}",
            start_time=1000 + i,
            tags={"team": "a" if i else "b"},
        )
        st.write_metrics([(rid, "loss", 1.0, s, 2000 + s) for s in range(100)])
        st.end_run(rid, "FINISHED", end_time=5000)
    st.close()
    path = str(tmp_path / "s")
    code, shown = _on_a_terminal("push", mlflow_server.uri, "--store", path, "-f", "tags.team = 'b'")
    assert code == 0 and "\rpushing [########################] runs 1/1, 100/100 points" in shown, shown
    assert "pushed 1 run to" in shown
    out = _cli("push", mlflow_server.uri, "--store", path)  # not a terminal: no bar, the summary only
    assert out.returncode == 0 and "pushing [" not in out.stderr and "pushed 2 runs" in out.stderr, out.stderr
    other = str(tmp_path / "other")
    code, shown = _on_a_terminal("pull", mlflow_server.uri, "-e", exp_name, "--store", other, "-f", "tags.team = 'a'")
    assert code == 0 and "\rpulling [" in shown and "runs 2/2, 200 points" in shown, shown
    assert "pulled from" in shown and "2 new runs" in shown


def test_cli_curation_on_a_pulled_run_reaches_the_server(tmp_path, mlflow_server, mlflow_client):
    """A tag, note, rename and delete made with the CLI on a run MLflow logged (pulled) reach the server on
    the next push; the pull's own writes are no change to push."""
    exp_name = f"{S}-t15-curate"
    run_id = mlflow_client.create_run(mlflow_client.create_experiment(exp_name), run_name="theirs").info.run_id
    mlflow_client.set_terminated(run_id, "FINISHED")
    st = Store(tmp_path / "s", create=True)
    pull(st, mlflow_server.uri, experiments=[exp_name])
    assert push(st, mlflow_server.uri, experiments=[exp_name]).updated == 0
    st.close()
    path = str(tmp_path / "s")
    for args in (("tag", run_id, "reviewed=yes"), ("note", run_id, "checked by alice"), ("rename", run_id, "ours")):
        out = _cli(*args, "--store", path)
        assert out.returncode == 0, out.stderr
    out = _cli("push", mlflow_server.uri, "-e", exp_name, "--store", path)
    assert out.returncode == 0 and "pushed 1 run" in out.stderr, out.stderr
    got = mlflow_client.get_run(run_id)
    assert got.data.tags["reviewed"] == "yes" and got.data.tags["mlflow.note.content"] == "checked by alice"
    assert got.info.run_name == "ours" and "tuitrack.pulled_from" not in got.data.tags
    assert _cli("rm", run_id, "--store", path).returncode == 0
    assert _cli("push", mlflow_server.uri, "-e", exp_name, "--store", path).returncode == 0
    assert mlflow_client.get_run(run_id).info.lifecycle_stage == "deleted"
