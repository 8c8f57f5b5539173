"""Bad-input catalogue across the API: the exact exception type, a message naming the problem, and the store unchanged.

Every case runs against a store holding one live run with a known metric key,
param and tag.  The clock is pinned and the writer's interval is long, so the
only way the store can differ after a refused call is the call itself.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import tuitrack
from tuitrack.errors import (
    ActiveRunError,
    AmbiguousRunError,
    RunNotFoundError,
    TuitrackError,
    ValidationError,
)
from tuitrack.query.filter import FilterError
from tuitrack.store import core as store_mod
from tuitrack.tracking import session as tracking

FIXED = 1_700_000_000_000
RUN_A = "abc1" + "0" * 28
RUN_B = "abc2" + "0" * 28
RUN_LIVE = "fed0" + "0" * 28


@dataclass
class Ctx:
    run: tracking.ActiveRun
    file: Path
    folder: Path


@dataclass
class Case:
    id: str
    call: Callable[[Ctx], Any]
    exc: type[BaseException]
    match: str
    bug: str | None = None  # a known bug in tuitrack: the case is a strict xfail until fixed


def _model_ok(ctx: Ctx) -> object:
    return {"weights": [1, 2]}


class NotAFigure:
    pass


CASES = [
    # keys
    Case("metric-key-empty", lambda c: tuitrack.log_metric("", 1.0), ValidationError, "must not be empty"),
    Case("metric-key-too-long", lambda c: tuitrack.log_metric("k" * 251, 1.0), ValidationError, "the limit is 250"),
    Case("metric-key-bang", lambda c: tuitrack.log_metric("acc!", 1.0), ValidationError, "contains characters"),
    Case(
        "metric-key-semicolon",
        lambda c: tuitrack.log_metric("a;DROP TABLE runs", 1.0),
        ValidationError,
        "contains characters",
    ),
    Case("metric-key-int", lambda c: tuitrack.log_metric(5, 1.0), ValidationError, "must be a string, got int"),
    Case("metric-key-none", lambda c: tuitrack.log_metric(None, 1.0), ValidationError, "must be a string"),
    Case("metric-key-bytes", lambda c: tuitrack.log_metric(b"acc", 1.0), ValidationError, "got bytes"),
    Case("metric-key-tab", lambda c: tuitrack.log_metric("a\tb", 1.0), ValidationError, "contains characters"),
    Case("metric-key-escape", lambda c: tuitrack.log_metric("a\x1b[31m", 1.0), ValidationError, "contains characters"),
    Case("metric-key-leading-slash", lambda c: tuitrack.log_metric("/acc", 1.0), ValidationError, "path-like"),
    Case("metric-key-double-slash", lambda c: tuitrack.log_metric("a//b", 1.0), ValidationError, "path-like"),
    Case("metric-key-dotdot", lambda c: tuitrack.log_metric("a/../b", 1.0), ValidationError, "path-like"),
    Case("metric-key-emoji", lambda c: tuitrack.log_metric("acc😀", 1.0), ValidationError, "contains characters"),
    Case("param-key-quote", lambda c: tuitrack.log_param("it's", 1), ValidationError, "param key"),
    Case("param-key-empty", lambda c: tuitrack.log_param("", 1), ValidationError, "param key must not be empty"),
    Case("param-key-long", lambda c: tuitrack.log_params({"p" * 300: 1}), ValidationError, "the limit is 250"),
    Case("tag-key-bad", lambda c: tuitrack.set_tag("tag<b>", "x"), ValidationError, "tag key"),
    Case("tag-key-int", lambda c: tuitrack.set_tags({1: "x"}), ValidationError, "tag key must be a string"),
    # values
    Case("param-value-too-long", lambda c: tuitrack.log_param("big", "x" * 6001), ValidationError, "the limit is 6000"),
    Case(
        "param-conflict",
        lambda c: tuitrack.log_param("lr", 0.2),
        tuitrack.ParamConflictError,
        "already logged as '0.1'",
    ),
    Case(
        "params-batch-conflict-atomic",
        lambda c: tuitrack.log_params({"fresh": 1, "lr": 0.3}),
        tuitrack.ParamConflictError,
        "params cannot change",
    ),
    Case("params-not-a-dict", lambda c: tuitrack.log_params([("a", 1)]), ValidationError, "takes a dict"),
    Case("tag-value-too-long", lambda c: tuitrack.set_tag("t", "x" * 8001), ValidationError, "the limit is 8000"),
    Case("tags-not-a-dict", lambda c: tuitrack.set_tags("a=b"), ValidationError, "takes a dict"),
    Case("metric-bool", lambda c: tuitrack.log_metric("known", True), ValidationError, "got bool"),
    Case("metric-str", lambda c: tuitrack.log_metric("known", "0.5"), ValidationError, "got str"),
    Case("metric-none", lambda c: tuitrack.log_metric("known", None), ValidationError, "got NoneType"),
    Case("metric-list", lambda c: tuitrack.log_metric("known", [1.0]), ValidationError, "got list"),
    Case("metric-complex", lambda c: tuitrack.log_metric("known", 1 + 2j), ValidationError, "got complex"),
    Case("metric-bytes", lambda c: tuitrack.log_metric("known", b"1"), ValidationError, "got bytes"),
    Case("metric-dict", lambda c: tuitrack.log_metric("known", {"v": 1}), ValidationError, "got dict"),
    Case(
        "metric-step-float",
        lambda c: tuitrack.log_metric("known", 1.0, step=1.5),
        ValidationError,
        "step must be an integer, got float",
    ),
    Case(
        "metric-step-str",
        lambda c: tuitrack.log_metric("known", 1.0, step="3"),
        ValidationError,
        "step must be an integer, got str",
    ),
    Case("metric-step-bool", lambda c: tuitrack.log_metric("known", 1.0, step=True), ValidationError, "got bool"),
    Case(
        "metric-step-huge",
        lambda c: tuitrack.log_metric("known", 1.0, step=2**63),
        ValidationError,
        "out of the 64-bit range",
    ),
    Case(
        "metric-ts-str",
        lambda c: tuitrack.log_metric("known", 1.0, timestamp="now"),
        ValidationError,
        "timestamp must be milliseconds",
    ),
    Case(
        "metric-ts-nan", lambda c: tuitrack.log_metric("known", 1.0, timestamp=math.nan), ValidationError, "timestamp"
    ),
    Case(
        "metric-ts-inf", lambda c: tuitrack.log_metric("known", 1.0, timestamp=math.inf), ValidationError, "timestamp"
    ),
    Case("metrics-not-a-dict", lambda c: tuitrack.log_metrics([1.0]), ValidationError, "takes a dict"),
    # artifact paths
    Case("text-dotdot", lambda c: tuitrack.log_text("x", "../x"), ValidationError, "would escape"),
    Case("text-absolute", lambda c: tuitrack.log_text("x", "/etc/x"), ValidationError, "is absolute"),
    Case("text-deep-dotdot", lambda c: tuitrack.log_text("x", "a/../../b"), ValidationError, "would escape"),
    Case("text-backslash", lambda c: tuitrack.log_text("x", "a\\b.txt"), ValidationError, "backslash"),
    Case("text-nul", lambda c: tuitrack.log_text("x", "a\x00b"), ValidationError, "control characters"),
    Case("text-newline", lambda c: tuitrack.log_text("x", "a\nb"), ValidationError, "control characters"),
    Case("text-empty-name", lambda c: tuitrack.log_text("x", ""), ValidationError, "must name a file"),
    Case("text-not-str", lambda c: tuitrack.log_text(b"x", "f.txt"), ValidationError, "takes a str"),
    Case("text-long-component", lambda c: tuitrack.log_text("x", "a" * 256), ValidationError, "longer than 255"),
    Case("dict-dotdot", lambda c: tuitrack.log_dict({}, "../d.json"), ValidationError, "would escape"),
    Case("artifact-dir-dotdot", lambda c: tuitrack.log_artifact(c.file, "../up"), ValidationError, "would escape"),
    Case("artifact-dir-absolute", lambda c: tuitrack.log_artifact(c.file, "/tmp"), ValidationError, "is absolute"),
    Case("artifact-is-folder", lambda c: tuitrack.log_artifact(c.folder), ValidationError, "use log_artifacts"),
    Case("artifacts-dir-dotdot", lambda c: tuitrack.log_artifacts(c.folder, "../x"), ValidationError, "would escape"),
    Case("model-name-dotdot", lambda c: tuitrack.log_model(_model_ok(c), "../m"), ValidationError, "would escape"),
    Case("model-name-empty", lambda c: tuitrack.log_model(_model_ok(c), ""), ValidationError, "must not be empty"),
    Case("model-unpicklable", lambda c: tuitrack.log_model(lambda x: x, "m"), ValidationError, "cannot pickle"),
    Case(
        "figure-not-a-figure",
        lambda c: tuitrack.log_figure(NotAFigure(), "f.png"),
        ValidationError,
        "takes a matplotlib figure",
    ),
    # model URIs and run references
    Case("uri-no-scheme", lambda c: tuitrack.load_model("model"), ValidationError, "must look like 'runs:/"),
    Case("uri-other-scheme", lambda c: tuitrack.load_model("s3://bucket/m"), ValidationError, "must look like"),
    Case("uri-empty", lambda c: tuitrack.load_model("runs:/"), ValidationError, "names no model"),
    Case("uri-no-name", lambda c: tuitrack.load_model(f"runs:/{RUN_A}"), ValidationError, "names no model"),
    Case("uri-not-str", lambda c: tuitrack.load_model(42), ValidationError, "must look like"),
    Case("uri-unknown-run", lambda c: tuitrack.load_model("runs:/0123456789/model"), RunNotFoundError, "'0123456789'"),
    Case("uri-ambiguous", lambda c: tuitrack.load_model("runs:/abc/model"), AmbiguousRunError, "matches several runs"),
    Case("uri-escape", lambda c: tuitrack.load_model(f"runs:/{RUN_A}/../../x"), ValidationError, "would escape"),
    Case(
        "uri-missing-model",
        lambda c: tuitrack.load_model(f"runs:/{RUN_A}/nomodel"),
        FileNotFoundError,
        "has no artifact 'nomodel'",
    ),
    Case("get-run-unknown", lambda c: tuitrack.get_run("999999"), RunNotFoundError, "'999999'"),
    Case("get-run-ambiguous", lambda c: tuitrack.get_run("abc"), AmbiguousRunError, "type more of it"),
    Case("get-run-empty", lambda c: tuitrack.get_run("  "), RunNotFoundError, "is required"),
    Case("history-unknown-run", lambda c: tuitrack.get_metric_history("999999", "known"), RunNotFoundError, "999999"),
    Case(
        "read-artifact-escape",
        lambda c: tuitrack.read_artifact(RUN_A, "../" + RUN_B + "/x"),
        ValidationError,
        "would escape",
    ),
    Case(
        "read-artifact-missing",
        lambda c: tuitrack.read_artifact(RUN_A, "nope.txt"),
        FileNotFoundError,
        "has no artifact 'nope.txt'",
    ),
    Case(
        "search-bad-filter", lambda c: tuitrack.search_runs("metrics.acc >> 1", output_format="list"), FilterError, ""
    ),
    Case(
        "search-injection",
        lambda c: tuitrack.search_runs("params.x = 1; DROP TABLE runs", output_format="list"),
        FilterError,
        "",
    ),
    # runs and experiments
    Case("start-not-nested", lambda c: tuitrack.start_run(), ActiveRunError, "pass nested=True"),
    Case(
        "start-name-int",
        lambda c: tuitrack.start_run(name=5, nested=True),
        ValidationError,
        "run name must be a string",
    ),
    Case(
        "start-name-long",
        lambda c: tuitrack.start_run(name="n" * 501, nested=True),
        ValidationError,
        "the limit is 500",
    ),
    Case("start-bad-tag", lambda c: tuitrack.start_run(tags={"bad!": 1}, nested=True), ValidationError, "tag key"),
    Case(
        "start-bad-param",
        lambda c: tuitrack.start_run(params={"p": "x" * 7000}, nested=True),
        ValidationError,
        "the limit is 6000",
    ),
    Case("resume-unknown", lambda c: tuitrack.start_run(run_id="0" * 32), RunNotFoundError, "no run with id"),
    Case("experiment-empty", lambda c: tuitrack.set_experiment("  "), ValidationError, "must not be empty"),
    Case("experiment-not-str", lambda c: tuitrack.set_experiment(3), ValidationError, "must be a string"),
    Case("experiment-too-long", lambda c: tuitrack.set_experiment("e" * 251), ValidationError, "the limit is 250"),
    Case("end-bad-status", lambda c: c.run.end("DONE"), ValidationError, "status must be one of"),
    Case("delete-missing-tag", lambda c: tuitrack.delete_tag("nope"), ValidationError, "has no tag 'nope'"),
    Case("note-not-str", lambda c: c.run.set_note(5), ValidationError, "note must be a string"),
    Case("configure-interval", lambda c: tuitrack.configure(flush_interval=0), ValidationError, "positive"),
    Case("input-bad-name", lambda c: tuitrack.log_input([1], "data set!"), ValidationError, "dataset name"),
    Case(
        "input-missing-path",
        lambda c: tuitrack.log_input(c.folder / "missing.csv", "d"),
        FileNotFoundError,
        "does not exist",
    ),
    Case("input-unknown-type", lambda c: tuitrack.log_input(object(), "d"), TypeError, "cannot describe"),
    Case(
        "history-max-points",
        lambda c: tuitrack.get_metric_history(RUN_LIVE, "known", max_points=0),
        ValueError,
        "at least 1",
    ),
]


@pytest.fixture
def live(store_path: Path, tmp_path: Path):
    """RUN_A (with a model-less artifact), RUN_B, and the live RUN_LIVE holding 'known', lr=0.1 and tag t."""
    store_mod.set_clock(lambda: FIXED)
    tuitrack.configure(flush_interval=3600)
    tracking.set_id_factory(iter([RUN_A, RUN_B, RUN_LIVE, "9" * 32, "8" * 32]).__next__)
    with tuitrack.start_run(name="a"):
        tuitrack.log_text("hello", "hello.txt")
    with tuitrack.start_run(name="b"):
        tuitrack.log_text("other", "x")
    run = tuitrack.start_run(name="live", params={"lr": 0.1}, tags={"t": "v"})
    tuitrack.log_metric("known", 0.5)
    tuitrack.flush()
    f = tmp_path / "weights.bin"
    f.write_bytes(b"w")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "inner.txt").write_text("i")
    return Ctx(run=run, file=f, folder=folder)


def _files(store: Path) -> list[tuple[str, bytes]]:
    return sorted((str(p.relative_to(store)), p.read_bytes()) for p in (store / "artifacts").rglob("*") if p.is_file())


def test_catalogue_is_big_enough() -> None:
    assert len(CASES) >= 50
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize(
    "case",
    [pytest.param(c, id=c.id, marks=[pytest.mark.xfail(strict=True, reason=c.bug)] if c.bug else []) for c in CASES],
)
def test_bad_input(case: Case, live: Ctx, store_path: Path, rows_of) -> None:
    before_rows, before_files = rows_of(store_path), _files(store_path)
    with pytest.raises(case.exc) as info:
        case.call(live)
    assert info.type is case.exc, f"expected exactly {case.exc.__name__}, got {info.type.__name__}: {info.value}"
    assert case.match in str(info.value)
    assert str(info.value).strip(), "the message must name the problem"
    tuitrack.flush()
    assert rows_of(store_path) == before_rows
    assert _files(store_path) == before_files
    assert tuitrack.active_run() is live.run  # the refusal did not end or replace the run


def test_log_metrics_is_atomic(live: Ctx, store_path: Path, rows_of) -> None:
    before = rows_of(store_path)
    with pytest.raises(ValidationError, match="'bad!'"):
        tuitrack.log_metrics({"known": 0.7, "bad!": 1.0})
    tuitrack.flush()
    assert rows_of(store_path) == before


def test_refused_metric_does_not_advance_step(live: Ctx) -> None:
    with pytest.raises(ValidationError):
        tuitrack.log_metric("known", 0.6, timestamp="later")
    tuitrack.log_metric("known", 0.7)
    assert [p.step for p in tuitrack.get_metric_history(RUN_LIVE, "known")] == [0, 1]


def test_refused_start_run_creates_no_experiment(live: Ctx, store_path: Path, rows_of) -> None:
    before = rows_of(store_path)
    with pytest.raises(ValidationError):
        tuitrack.start_run(experiment="brand-new", name=5, nested=True)
    assert rows_of(store_path) == before


def test_bad_timestamp_does_not_lose_other_points(live: Ctx) -> None:
    for i in range(10):
        tuitrack.log_metric("good", float(i))
    with contextlib.suppress(ValidationError):
        tuitrack.log_metric("known", 1.0, timestamp=10**30)
    tuitrack.flush()
    assert len(tuitrack.get_metric_history(RUN_LIVE, "good")) == 10


def test_missing_artifact_warns_by_default_and_training_continues(live: Ctx, store_path: Path, rows_of) -> None:
    before = rows_of(store_path)
    with pytest.warns(RuntimeWarning, match=r"does not exist .*training continues"):
        assert tuitrack.log_artifact(live.folder / "vanished.bin") is None
    assert rows_of(store_path) == before
    tuitrack.log_metric("known", 0.9)  # still logging
    tuitrack.flush()
    assert tuitrack.get_run(RUN_LIVE).data.metrics["known"] == 0.9


def test_missing_artifact_raises_when_strict(live: Ctx, store_path: Path, rows_of) -> None:
    tuitrack.configure(strict=True)
    before = rows_of(store_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(TuitrackError, match="does not exist") as info:
            tuitrack.log_artifact(live.folder / "vanished.bin")
    assert info.type is TuitrackError
    with pytest.raises(TuitrackError, match="not an existing folder"):
        tuitrack.log_artifacts(live.folder / "gone")
    assert rows_of(store_path) == before
    assert tuitrack.active_run() is live.run
