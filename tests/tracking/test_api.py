"""Round trip of every public logging and reading call (issue 2).

Each test writes through the public API, then reads back through the public
readers (and, where it matters, straight from SQLite) and compares exactly.
"""

from __future__ import annotations

import hashlib
import json
import math
import sqlite3
from fractions import Fraction
from pathlib import Path

import pytest

import tuitrack
from tuitrack.entities import CRASHED, FAILED, FINISHED, KILLED, RUNNING
from tuitrack.store import core as store_mod
from tuitrack.tracking import session as tracking


def _ids(prefix: str):
    counter = iter(range(10_000))
    return lambda: f"{prefix}{next(counter):04d}".ljust(32, "0")


# -- runs -------------------------------------------------------------------------------
def test_start_run_variants_round_trip(store_path: Path) -> None:
    with tuitrack.start_run(
        experiment="exp-a", name="first", tags={"team": "x", "n": 3}, params={"lr": 0.1, "depth": 5}
    ) as run:
        assert run.id == run.info.run_id and len(run.id) == 32
        assert tuitrack.active_run() is run
    with tuitrack.start_run(run_name="second", experiment_name="exp-b") as run2:
        pass
    assert tuitrack.active_run() is None
    r1 = tuitrack.get_run(run.id)
    assert r1.info.run_name == "first"
    assert r1.info.experiment == "exp-a"
    assert r1.info.status == FINISHED
    assert r1.data.params == {"lr": "0.1", "depth": "5"}
    assert r1.data.tags == {"team": "x", "n": "3"}
    assert r1.info.end_time is not None and r1.info.duration == r1.info.end_time - r1.info.start_time >= 0
    r2 = tuitrack.get_run(run2.id)
    assert (r2.info.run_name, r2.info.experiment) == ("second", "exp-b")


def test_generated_name_and_default_experiment(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TUITRACK_EXPERIMENT", raising=False)
    with tuitrack.start_run() as run:
        pass
    got = tuitrack.get_run(run.id)
    assert got.info.experiment == "Default"
    assert got.info.run_name and got.info.run_name.count("-") == 2


def test_experiment_from_environment(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUITRACK_EXPERIMENT", "from-env")
    with tuitrack.start_run() as run:
        pass
    assert tuitrack.get_run(run.id).info.experiment == "from-env"


def test_set_experiment_applies_to_later_runs(store_path: Path) -> None:
    exp = tuitrack.set_experiment("sweep")  # an Experiment, as MLflow returns
    assert exp.name == "sweep" and isinstance(exp.experiment_id, str)  # a string, as in MLflow
    exp_id = exp.experiment_id
    assert tuitrack.set_experiment("sweep").experiment_id == exp_id  # idempotent
    with tuitrack.start_run() as run:
        pass
    assert tuitrack.get_run(run.id).info.experiment_id == exp_id
    assert tuitrack.get_run(run.id).info.experiment == "sweep"


def test_nested_run_records_parent(store_path: Path) -> None:
    with tuitrack.start_run(name="parent") as parent:
        with pytest.raises(tuitrack.ActiveRunError, match="already active"):
            tuitrack.start_run(name="not nested")
        with tuitrack.start_run(name="child", nested=True) as child:
            assert tuitrack.active_run() is child
        assert tuitrack.active_run() is parent
    assert tuitrack.get_run(child.id).info.parent_id == parent.id
    assert tuitrack.get_run(parent.id).info.parent_id is None
    names = {r.info.run_name for r in tuitrack.search_runs(output_format="list")}
    assert names == {"parent", "child"}


def test_context_manager_failed_records_traceback(store_path: Path) -> None:
    with pytest.raises(ZeroDivisionError), tuitrack.start_run(name="boom") as run:
        _ = 1 / 0
    info = tuitrack.get_run(run.id).info
    assert info.status == FAILED
    assert "ZeroDivisionError" in info.error and "Traceback" in info.error
    assert info.end_time is not None


def test_context_manager_keyboard_interrupt_is_killed(store_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt), tuitrack.start_run(name="ctrl-c") as run:
        raise KeyboardInterrupt
    assert tuitrack.get_run(run.id).info.status == KILLED


def test_sys_exit_zero_is_finished(store_path: Path) -> None:
    with pytest.raises(SystemExit), tuitrack.start_run() as run:
        raise SystemExit(0)
    assert tuitrack.get_run(run.id).info.status == FINISHED


def test_end_run_status_and_no_active_run(store_path: Path) -> None:
    tuitrack.end_run()  # nothing active: a no-op
    run = tuitrack.start_run(name="manual")
    assert tuitrack.get_run(run.id).info.status == RUNNING
    tuitrack.end_run(status="KILLED")
    assert tuitrack.active_run() is None
    assert tuitrack.get_run(run.id).info.status == KILLED
    with pytest.raises(tuitrack.ValidationError, match="status must be one of"):
        tuitrack.start_run().end("DONE")


def test_logging_after_end_is_refused(store_path: Path) -> None:
    with tuitrack.start_run() as run:
        pass
    with pytest.raises(tuitrack.TuitrackError, match="has ended"):
        run.log_metric("x", 1.0)


def test_log_without_active_run_starts_one(store_path: Path) -> None:
    tuitrack.log_metric("auto", 1.0)
    run = tuitrack.active_run()
    assert run is not None
    tuitrack.end_run()
    assert tuitrack.get_run(run.id).data.metrics == {"auto": 1.0}


def test_resume_continues_step_numbering(store_path: Path) -> None:
    with tuitrack.start_run(name="long") as run:
        for i in range(5):
            tuitrack.log_metric("loss", 1.0 / (i + 1))
        tuitrack.log_metric("acc", 0.5, step=10)
    with tuitrack.start_run(run_id=run.id) as again:
        assert again.id == run.id
        assert tuitrack.get_run(run.id).info.status == RUNNING
        tuitrack.log_metric("loss", 0.1)
        tuitrack.log_metric("acc", 0.6)
    steps = [p.step for p in tuitrack.get_metric_history(run.id, "loss")]
    assert steps == [0, 1, 2, 3, 4, 5]
    assert [p.step for p in tuitrack.get_metric_history(run.id, "acc")] == [10, 11]
    info = tuitrack.get_run(run.id).info
    assert info.status == FINISHED and info.run_name == "long"


def test_resume_by_unique_prefix(store_path: Path) -> None:
    with tuitrack.start_run() as run:
        tuitrack.log_metric("m", 1.0)
    with tuitrack.start_run(run_id=run.id[:10]) as again:
        tuitrack.log_metric("m", 2.0)
    assert again.id == run.id
    assert [p.value for p in tuitrack.get_metric_history(run.id, "m")] == [1.0, 2.0]


def test_resume_applies_tags_and_params(store_path: Path) -> None:
    with tuitrack.start_run() as run:
        pass
    with tuitrack.start_run(run_id=run.id, tags={"resumed": "yes"}, params={"extra": 1}):
        pass
    data = tuitrack.get_run(run.id).data
    assert data.tags.get("resumed") == "yes"
    assert data.params.get("extra") == "1"


def test_resume_unknown_run(store_path: Path) -> None:
    with tuitrack.start_run():
        pass
    with pytest.raises(tuitrack.RunNotFoundError, match="feedface"):
        tuitrack.start_run(run_id="feedface" * 4)


def test_deterministic_ids_and_clock(store_path: Path) -> None:
    tracking.set_id_factory(_ids("ab"))
    store_mod.set_clock(lambda: 1_700_000_000_000)
    with tuitrack.start_run() as run:
        tuitrack.log_metric("x", 1.0)
    assert run.id == "ab0000".ljust(32, "0")
    r = tuitrack.get_run(run.id)
    assert r.info.start_time == r.info.end_time == 1_700_000_000_000
    assert tuitrack.get_metric_history(run.id, "x")[0].timestamp == 1_700_000_000_000


def test_identity_override(store_path: Path) -> None:
    tuitrack.configure(identity={"user": "ada", "host": "box", "source": "train.py"})
    with tuitrack.start_run() as run:
        pass
    info = tuitrack.get_run(run.id).info
    assert (info.user, info.host, info.source) == ("ada", "box", "train.py")


def test_environment_capture(store_path: Path) -> None:
    tuitrack.configure(capture_env=True, capture_packages=True)
    with tuitrack.start_run() as run:
        pass
    tags = tuitrack.get_run(run.id).data.tags
    assert tags["tuitrack.python"].count(".") == 2
    assert "tuitrack.cwd" in tags and "tuitrack.platform" in tags
    packages = tuitrack.open_store().get_packages(run.id)
    assert packages.get("pytest") == pytest.__version__  # any installed package (the app's may be absent)


# -- params ------------------------------------------------------------------------------
def test_params_round_trip_conflict_and_relog(store_path: Path) -> None:
    with tuitrack.start_run(params={"a": 1}) as run:
        assert tuitrack.log_param("b", [1, 2]) == [1, 2]
        tuitrack.log_params({"c": None, "d": "text", "e": 1e-5})
        tuitrack.log_param("a", 1)  # same value again: fine
        tuitrack.log_param("a", "1")  # same string form: fine
        with pytest.raises(tuitrack.ParamConflictError, match=r"param 'a' was already logged as '1'"):
            tuitrack.log_param("a", 2)
        with pytest.raises(tuitrack.ParamConflictError):
            tuitrack.log_params({"z": 1, "b": "other"})  # atomic: z must not be stored either
    params = tuitrack.get_run(run.id).data.params
    assert params == {"a": "1", "b": "[1, 2]", "c": "None", "d": "text", "e": "1e-05"}


# -- metrics -------------------------------------------------------------------------------
def test_metrics_with_and_without_step_and_timestamp(store_path: Path) -> None:
    with tuitrack.start_run() as run:
        tuitrack.log_metric("auto", 1.0)
        tuitrack.log_metric("auto", 2.0)
        tuitrack.log_metric("auto", 3.0, step=7)
        tuitrack.log_metric("auto", 4.0)  # continues after the largest explicit step
        tuitrack.log_metric("ts", 0.5, step=1, timestamp=1234)
        tuitrack.log_metrics({"m1": 1, "m2": Fraction(1, 4)}, step=3)
        tuitrack.log_metrics({"m1": 2}, timestamp=99)
        run.log_metric("int", 7)
    hist = tuitrack.get_metric_history(run.id, "auto")
    assert [(p.step, p.value) for p in hist] == [(0, 1.0), (1, 2.0), (7, 3.0), (8, 4.0)]
    assert all(p.key == "auto" for p in hist)
    (p,) = tuitrack.get_metric_history(run.id, "ts")
    assert (p.step, p.timestamp, p.value) == (1, 1234, 0.5)
    m1 = tuitrack.get_metric_history(run.id, "m1")
    assert [(p.step, p.value) for p in m1] == [(3, 1.0), (4, 2.0)] and m1[1].timestamp == 99
    data = tuitrack.get_run(run.id).data
    assert data.metrics == {"auto": 4.0, "ts": 0.5, "m1": 2.0, "m2": 0.25, "int": 7.0}
    s = data.summaries["auto"]
    assert (s.value, s.step, s.min, s.max, s.count) == (4.0, 8, 1.0, 4.0, 4)
    assert tuitrack.get_metric_history(run.id, "missing") == []


def test_latest_is_by_step_not_by_logging_order(store_path: Path) -> None:
    with tuitrack.start_run() as run:
        tuitrack.log_metric("x", 5.0, step=10)
        tuitrack.flush()
        tuitrack.log_metric("x", 1.0, step=2)
    s = tuitrack.get_run(run.id).data.summaries["x"]
    assert (s.value, s.step, s.min, s.max, s.count) == (5.0, 10, 1.0, 5.0, 2)


def test_nan_and_infinities_round_trip_exactly(store_path: Path) -> None:
    values = [math.nan, math.inf, -math.inf, 0.0, -0.0, 5e-324, 1.7976931348623157e308]
    with tuitrack.start_run() as run:
        for v in values:
            tuitrack.log_metric("odd", v)
        tuitrack.log_metric("only_nan", math.nan)
        tuitrack.log_metric("last_inf", -math.inf)
    hist = [p.value for p in tuitrack.get_metric_history(run.id, "odd")]
    assert math.isnan(hist[0])
    assert hist[1:] == values[1:]
    data = tuitrack.get_run(run.id).data
    assert data.metrics["odd"] == 1.7976931348623157e308
    assert math.isnan(data.metrics["only_nan"])
    assert data.metrics["last_inf"] == -math.inf
    s = data.summaries["odd"]
    assert s.min == -math.inf and s.max == math.inf and s.count == len(values)
    assert math.isnan(data.summaries["only_nan"].min)
    # no sentinel values in the database: NaN is NULL, infinities are real infinities
    conn = sqlite3.connect(store_path / "tuitrack.db")
    vals = [r[0] for r in conn.execute("SELECT value FROM metrics ORDER BY step")]
    conn.close()
    assert None in vals and math.inf in vals and -math.inf in vals
    assert not any(isinstance(v, (int, float)) and abs(v) in (1e308, 9.99e307) for v in vals if v is not None)


def test_nan_is_latest_when_logged_last(store_path: Path) -> None:
    with tuitrack.start_run() as run:
        tuitrack.log_metric("diverged", 0.3)
        tuitrack.log_metric("diverged", math.nan)
    s = tuitrack.get_run(run.id).data.summaries["diverged"]
    assert math.isnan(s.value) and s.min == s.max == 0.3 and s.count == 2


def test_numpy_scalars(store_path: Path) -> None:
    np = pytest.importorskip("numpy")
    with tuitrack.start_run() as run:
        tuitrack.log_metric("f32", np.float32(0.5))
        tuitrack.log_metric("i64", np.int64(3), step=np.int64(4))
        tuitrack.log_metric("arr0", np.array(2.5))
        with pytest.raises(tuitrack.ValidationError, match="not a single real number"):
            tuitrack.log_metric("vec", np.array([1.0, 2.0]))
    assert tuitrack.get_run(run.id).data.metrics == {"f32": 0.5, "i64": 3.0, "arr0": 2.5}
    assert tuitrack.get_metric_history(run.id, "i64")[0].step == 4


def test_objects_with_float_are_accepted(store_path: Path) -> None:
    """Torch/numpy-like scalars expose ``__float__``; tuitrack must take them without importing numpy."""

    class Scalar:
        def __float__(self) -> float:
            return 0.25

    with tuitrack.start_run() as run:
        tuitrack.log_metric("s", Scalar())
    assert tuitrack.get_run(run.id).data.metrics == {"s": 0.25}


def test_metric_history_max_points_keeps_single_spike(store_path: Path) -> None:
    n = 100_000
    spike_at = 61_803
    with tuitrack.start_run() as run:
        for i in range(n):
            tuitrack.log_metric("loss", 1000.0 if i == spike_at else 1.0 + (i % 7) * 1e-3, step=i, timestamp=i)
        tuitrack.log_metric("dip", 0.0, step=0)
    full = tuitrack.get_metric_history(run.id, "loss")
    assert len(full) == n
    small = tuitrack.get_metric_history(run.id, "loss", max_points=100)
    assert 2 <= len(small) <= 100
    assert [p.step for p in small] == sorted(p.step for p in small)
    spikes = [p for p in small if p.value == 1000.0]
    assert len(spikes) == 1 and spikes[0].step == spike_at and spikes[0].timestamp == spike_at
    assert min(p.value for p in small) == 1.0
    assert small[0].step < n // 50 and small[-1].step >= n - n // 50  # first and last buckets are present
    # fewer points than max_points: everything comes back unchanged
    assert len(tuitrack.get_metric_history(run.id, "dip", max_points=100)) == 1


def test_metric_history_max_points_keeps_negative_spike_and_nan(store_path: Path) -> None:
    with tuitrack.start_run() as run:
        for i in range(5_000):
            v = -50.0 if i == 1234 else (math.nan if i == 4321 else 0.0)
            tuitrack.log_metric("x", v, step=i)
    small = tuitrack.get_metric_history(run.id, "x", max_points=20)
    assert len(small) <= 20
    assert any(p.value == -50.0 and p.step == 1234 for p in small)


def test_metric_history_max_points_is_an_upper_bound(store_path: Path) -> None:
    with tuitrack.start_run() as run:
        for i in range(50):
            tuitrack.log_metric("x", float(i % 5), step=i)
    for k in (1, 2, 3, 7, 49):
        assert len(tuitrack.get_metric_history(run.id, "x", max_points=k)) <= k


def test_metric_history_max_points_invalid(store_path: Path) -> None:
    with tuitrack.start_run() as run:
        for _ in range(10):
            tuitrack.log_metric("x", 1.0)
    with pytest.raises(ValueError, match="max_points must be at least 1"):
        tuitrack.get_metric_history(run.id, "x", max_points=0)


# -- tags ---------------------------------------------------------------------------------
def test_tags_set_overwrite_delete(store_path: Path) -> None:
    with tuitrack.start_run(tags={"a": "1"}) as run:
        tuitrack.set_tag("a", "2")
        tuitrack.set_tags({"b": True, "c": "x y"})
        tuitrack.delete_tag("c")
        with pytest.raises(tuitrack.ValidationError, match="has no tag 'c'"):
            tuitrack.delete_tag("c")
    assert tuitrack.get_run(run.id).data.tags == {"a": "2", "b": "True"}
    with pytest.raises(tuitrack.NoActiveRunError):
        tuitrack.delete_tag("a")


def test_note_round_trip(store_path: Path) -> None:
    with tuitrack.start_run(description="first line\nsecond") as run:
        pass
    assert tuitrack.get_run(run.id).info.note == "first line\nsecond"
    with tuitrack.start_run() as run2:
        run2.set_note("later")
    assert tuitrack.get_run(run2.id).info.note == "later"


# -- artifacts -----------------------------------------------------------------------------
def test_artifacts_round_trip(store_path: Path, tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("alpha")
    (src / "sub" / "b.bin").write_bytes(bytes(range(256)))
    single = tmp_path / "weights.bin"
    single.write_bytes(b"\x00\x01" * 1000)
    with tuitrack.start_run() as run:
        assert tuitrack.log_artifact(single) == "weights.bin"
        assert tuitrack.log_artifact(single, "ckpt/epoch1") == "ckpt/epoch1/weights.bin"
        assert tuitrack.log_artifacts(src, "data") == ["data/a.txt", "data/sub/b.bin"]
        assert tuitrack.log_text("héllo\n", "notes/readme.md") == "notes/readme.md"
        tuitrack.log_dict({"b": [1, 2], "a": {"x": None}}, "cfg/config.json")
        tuitrack.log_dict({"b": [1, 2], "a": {"x": None}}, "cfg/config.yaml")
    arts = {a.path: a.size for a in tuitrack.list_artifacts(run.id)}
    assert arts == {
        "weights.bin": 2000,
        "ckpt/epoch1/weights.bin": 2000,
        "data/a.txt": 5,
        "data/sub/b.bin": 256,
        "notes/readme.md": 7,
        "cfg/config.json": len(tuitrack.read_artifact(run.id, "cfg/config.json")),
        "cfg/config.yaml": len(tuitrack.read_artifact(run.id, "cfg/config.yaml")),
    }
    assert tuitrack.read_artifact(run.id, "ckpt/epoch1/weights.bin") == single.read_bytes()
    assert tuitrack.read_artifact(run.id, "data/sub/b.bin") == bytes(range(256))
    assert tuitrack.read_artifact(run.id, "notes/readme.md").decode() == "héllo\n"
    assert json.loads(tuitrack.read_artifact(run.id, "cfg/config.json")) == {"b": [1, 2], "a": {"x": None}}
    yaml = pytest.importorskip("yaml")
    assert yaml.safe_load(tuitrack.read_artifact(run.id, "cfg/config.yaml")) == {"b": [1, 2], "a": {"x": None}}
    st = tuitrack.open_store()
    assert st.read_artifact_text(run.id, "data/a.txt") == "alpha"
    path = tuitrack.artifact_path(run.id, "data/a.txt")
    assert path == (store_path / "artifacts" / run.id / "data" / "a.txt").resolve()
    # no temporary files left behind
    leftovers = [p for p in (store_path / "artifacts").rglob(".tmp-*")]
    assert leftovers == []


def test_relog_artifact_replaces(store_path: Path) -> None:
    with tuitrack.start_run() as run:
        tuitrack.log_text("one", "f.txt")
        tuitrack.log_text("three", "f.txt")
    assert [(a.path, a.size) for a in tuitrack.list_artifacts(run.id)] == [("f.txt", 5)]
    assert tuitrack.read_artifact(run.id, "f.txt") == b"three"


class TinyModel:
    """A picklable stand-in for an sklearn estimator (module-level so pickle can find it)."""

    def __init__(self, scale: float) -> None:
        self.scale = scale

    def predict(self, xs: list[float]) -> list[float]:
        return [x * self.scale for x in xs]


def test_log_model_and_load_by_uri_and_prefix(store_path: Path) -> None:
    with tuitrack.start_run(name="modelrun") as run:
        info = tuitrack.log_model(TinyModel(3.0), "model")
    uri = info.model_uri  # MLflow 3's model info object
    assert uri == f"runs:/{run.id}/model" and info.model_id.startswith("m-")
    loaded = tuitrack.load_model(uri)
    assert loaded.predict([1.0, 2.0]) == [3.0, 6.0]
    assert tuitrack.load_model(f"runs:/{run.id[:8]}/model").scale == 3.0
    meta = tuitrack.yaml_text.load(tuitrack.read_artifact(run.id, "model/MLmodel").decode())
    assert meta["run_id"] == run.id and meta["model_id"] == info.model_id
    assert meta["flavors"]["tuitrack_pickle"]["class"].endswith("TinyModel")
    assert {a.path for a in tuitrack.list_artifacts(run.id)} == {
        "model/model.pkl",
        "model/MLmodel",
        "model/requirements.txt",
        "model/python_env.yaml",
        "model/conda.yaml",
    }


def test_log_input_csv_and_list(store_path: Path, tmp_path: Path) -> None:
    csv = tmp_path / "train.csv"
    content = b"x,y\n1,2\n3,4\n5,6\n"
    csv.write_bytes(content)
    folder = tmp_path / "shards"
    folder.mkdir()
    (folder / "s1.jsonl").write_text('{"a": 1}\n')
    with tuitrack.start_run() as run:
        tuitrack.log_input(csv, "train", context="training")
        tuitrack.log_input([[1, 2], [3, 4]], "inline")
        tuitrack.log_input(str(folder), "shards")
    inputs = {i.name: i for i in tuitrack.open_store().list_inputs(run.id)}
    assert set(inputs) == {"train", "inline", "shards"}
    t = inputs["train"]
    assert t.rows == 3 and t.digest == hashlib.sha256(content).hexdigest()
    assert t.source == str(csv.resolve()) and t.context == "training"
    assert inputs["inline"].rows == 2 and inputs["inline"].source is None
    assert inputs["inline"].digest == hashlib.sha256(repr([[1, 2], [3, 4]]).encode()).hexdigest()
    assert inputs["shards"].source == str(folder.resolve()) and len(inputs["shards"].digest) == 64
    # re-logging under the same name replaces
    csv.write_bytes(content + b"7,8\n")
    with tuitrack.start_run(run_id=run.id):
        tuitrack.log_input(csv, "train")
    t2 = {i.name: i for i in tuitrack.open_store().list_inputs(run.id)}["train"]
    assert t2.rows == 4 and t2.digest != t.digest


def test_log_input_csv_without_trailing_newline(store_path: Path, tmp_path: Path) -> None:
    csv = tmp_path / "d.csv"
    csv.write_bytes(b"x,y\n1,2\n3,4")
    with tuitrack.start_run() as run:
        tuitrack.log_input(csv, "d")
    assert tuitrack.open_store().list_inputs(run.id)[0].rows == 2


# -- searching ------------------------------------------------------------------------------
@pytest.fixture
def populated(store_path: Path) -> dict[str, str]:
    ids = {}
    specs = [
        ("a1", "exp-a", 0.9, 3),
        ("a2", "exp-a", 0.7, 12),
        ("a3", "exp-a", 0.8, 20),
        ("b1", "exp-b", 0.95, 5),
        ("b2", "exp-b", math.nan, 8),
    ]
    for name, exp, auc, depth in specs:
        with tuitrack.start_run(
            experiment=exp, name=name, params={"max_depth": depth}, tags={"kind": "tree" if depth < 10 else "deep"}
        ) as run:
            tuitrack.log_metric("auc", auc)
        ids[name] = run.id
    return ids


def test_search_runs_filters_order_and_limits(populated: dict[str, str]) -> None:
    """The list form: tuitrack's spelling (the filter first) with output_format="list", across experiments."""

    def names(runs: list) -> list:
        return [r.info.run_name for r in runs]

    def search(*args, **kwargs):
        return tuitrack.search_runs(*args, output_format="list", search_all_experiments=True, **kwargs)

    got = search("metrics.auc > 0.75", order_by=["metrics.auc DESC"])
    assert names(got) == ["b1", "a1", "a3"]
    assert names(search("params.max_depth >= 10", order_by="metrics.auc ASC")) == ["a2", "a3"]
    assert names(search("tags.kind = 'tree' AND metrics.auc > 0.85", order_by=["attributes.run_name"])) == ["a1", "b1"]
    assert names(search("metrics.auc < 0.75 OR params.max_depth = 5", order_by=["run_name"])) == ["a2", "b1"]
    assert names(search(experiment_names=["exp-b"], order_by=["run_name"])) == ["b1", "b2"]
    assert len(search(max_results=2)) == 2
    assert names(search("", order_by=["metrics.auc DESC"], max_results=1)) == ["b1"]
    with pytest.raises(tuitrack.FilterError):
        search("metrics.auc >>> 1")
    with pytest.raises(LookupError, match="no experiment named 'nope'"):
        search(experiment_names=["nope"])


def test_search_runs_include_deleted(populated: dict[str, str]) -> None:
    st = tuitrack.open_store()
    rid, _ = st.resolve_run(populated["a1"])
    st.update_run_fields(rid, deleted_at=123)
    live = tuitrack.search_runs(output_format="list", search_all_experiments=True)
    assert "a1" not in {r.info.run_name for r in live}
    got = {
        r.info.run_name: r
        for r in tuitrack.search_runs(output_format="list", search_all_experiments=True, include_deleted=True)
    }
    assert got["a1"].info.lifecycle_stage == "deleted" and len(got) == 5
    counts = {e.name: e.run_count for e in tuitrack.list_experiments()}
    assert counts == {"exp-a": 2, "exp-b": 2}


def test_list_experiments_counts(populated: dict[str, str]) -> None:
    tuitrack.set_experiment("empty")
    exps = tuitrack.list_experiments()
    assert [(e.name, e.run_count) for e in exps] == [("empty", 0), ("exp-a", 3), ("exp-b", 2)]
    assert len({e.experiment_id for e in exps}) == 3


def test_get_run_by_prefix_and_name_and_ambiguity(store_path: Path) -> None:
    tracking.set_id_factory(iter(["abc1" + "0" * 28, "abc2" + "0" * 28, "def0" + "0" * 28]).__next__)
    for name in ("one", "two", "two"):
        with tuitrack.start_run(name=name):
            pass
    assert tuitrack.get_run("abc1").info.run_name == "one"
    assert tuitrack.get_run("ABC1").info.run_name == "one"
    assert tuitrack.get_run("one").id.startswith("abc1")
    with pytest.raises(tuitrack.AmbiguousRunError, match="prefix 'abc' matches several runs"):
        tuitrack.get_run("abc")
    with pytest.raises(tuitrack.AmbiguousRunError, match="several runs are named 'two'"):
        tuitrack.get_run("two")
    with pytest.raises(tuitrack.RunNotFoundError, match="'zzz'"):
        tuitrack.get_run("zzz")


def test_crashed_display_status(store_path: Path) -> None:
    store_mod.set_clock(lambda: 1_000_000)
    run = tuitrack.start_run()
    info = tuitrack.get_run(run.id).info
    assert info.display_status(1_000_000 + 60_000) == RUNNING
    assert info.display_status(1_000_000 + 10 * 60_000) == CRASHED
    run.end()
    assert tuitrack.get_run(run.id).info.display_status(10**13) == FINISHED
