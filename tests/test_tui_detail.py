"""Run detail pane: loading in a worker, every tab's content, literal user strings, keys, errors, snapshots.

The host app is a minimal App with ``.store`` and ``.clock`` (what the real app
provides), and the store is seeded through the public logging API with a fixed
clock and deterministic run ids so content and snapshots are stable.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rich.console import Console
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Input, Static, TabbedContent

import tuitrack
from tuitrack import store as store_mod
from tuitrack import tracking
from tuitrack.store import Store
from tuitrack.tui.widgets.artifact_preview import ArtifactPreview, artifact_rows
from tuitrack.tui.widgets.detail_data import MAX_SPARK_KEYS, load_detail, spark_keys
from tuitrack.tui.widgets.detail_render import human_duration, human_size
from tuitrack.tui.widgets.run_detail import RunDetail
from tuitrack.tui.widgets.sparkline import sparkline

T0 = 1_700_000_000_000  # 2023-11-14 22:13:20 UTC
NOW = T0 + 10 * 3_600_000
MARKUP = "[bold red]x[/]"
ESCAPE = "\x1b[2Jcleared"
LONG = "v" * 3000


class Clock:
    """A settable clock: the seed moves it so start/end times and durations are exact."""

    def __init__(self, ms: int) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


def _ids() -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: hashlib.md5(f"run-{next(counter)}".encode()).hexdigest()


class Seeded:
    """Run ids of the seeded store by role."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}

    def __getitem__(self, name: str) -> str:
        return self.ids[name]


def seed_store(path: Path, tmp: Path) -> Seeded:
    """A small store covering every detail case, written through the public API with a fixed clock and ids."""
    clock = Clock(T0)
    store_mod.set_clock(clock)
    tracking.set_id_factory(_ids())
    tuitrack.set_store(path)
    tuitrack.configure(capture_env=False, capture_packages=False,
                       identity={"user": "ada", "host": "gpu-box", "source": "python train.py --lr 0.1"})
    seeded = Seeded()
    data_csv = tmp / "churn.csv"
    data_csv.write_text("id,age,churned\n1,34,0\n2,51,1\n3,29,0\n")
    weights = tmp / "weights.bin"
    weights.write_bytes(bytes(range(256)) * 4)

    with tuitrack.start_run(experiment="churn-prediction", name="baseline_rf",
                            description="first try\nline two: [i]not italic[/i]") as run:
        seeded.ids["main"] = run.id
        run.log_params({"n_estimators": 100, "max_depth": 10, "data_path": "/data/churn.csv",
                        "markup": MARKUP, "long_value": LONG})
        for step in range(120):
            clock.ms = T0 + 1000 * step
            run.log_metric("loss", 1.0 / (step + 1), step=step)
            run.log_metric("accuracy", 0.5 + step / 300, step=step)
        for step, value in enumerate([1.0, math.nan, math.inf, 2.0, -math.inf, 3.0]):
            run.log_metric("weird", value, step=step)
        run.set_tags({"model_type": "random_forest", "author": "[b]eve[/b]", "escape": ESCAPE,
                      "tuitrack.git.commit": "0123456789abcdef0123456789abcdef01234567",
                      "tuitrack.git.branch": "main", "tuitrack.git.dirty": "true"})
        run.log_dict({"lr": 0.1, "layers": [64, 32], "name": MARKUP}, "config.json")
        run.log_text("epoch,loss\n0,0.9\n1,0.5\n2,0.25\n", "metrics.csv")
        run.log_text(f"hello {MARKUP}\nsecond line {ESCAPE}\n", "notes.txt")
        run.log_artifact(weights)
        run.log_model({"kind": "toy"}, "model")
        run.log_input(data_csv, "train", context="training")
        tuitrack.flush()
        clock.ms = T0 + 3_723_000  # ends after 1h 02m 03s

    clock.ms = T0 + 4_000_000
    with tuitrack.start_run(experiment="churn-prediction", name="sweep") as parent:
        seeded.ids["parent"] = parent.id
        with tuitrack.start_run(name="seed-1", nested=True) as child:
            seeded.ids["child"] = child.id
            child.log_param("seed", 1)

    clock.ms = T0 + 5_000_000
    with pytest.raises(ValueError):
        with tuitrack.start_run(experiment="churn-prediction", name="broken") as bad:
            seeded.ids["failed"] = bad.id
            raise ValueError("shape mismatch: [3] vs [4]")

    clock.ms = T0 + 6_000_000
    st = Store(path)
    try:
        exp = st.experiment_id("churn-prediction")
        seeded.ids["crashed"] = hashlib.md5(b"crashed").hexdigest()
        st.create_run(run_id=seeded.ids["crashed"], experiment_id=exp, name="orphan", start_time=clock.ms,
                      user="bob", host="node-7", pid=999, source="python long.py",
                      tags={"tuitrack.python": "3.11.9", "tuitrack.platform": "Linux-6.1-x86_64",
                            "tuitrack.cwd": "/home/bob/proj"},
                      packages={"numpy": "1.26.4", "pandas": "2.2.2", "scikit-learn": "1.5.0",
                                "rich": "13.7.1", MARKUP: "0.0.1"})
        with st.transaction() as conn:  # the fixed pid keeps snapshots stable
            conn.execute("UPDATE runs SET pid = ? WHERE pid != ?", (4242, 999))
    finally:
        st.close()
    tuitrack.flush()
    store_mod.set_clock(None)
    tracking.set_id_factory(None)
    return seeded


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local times in the pane are formatted in UTC so content and snapshots do not depend on the machine."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def seeded(store_path: Path, tmp_path: Path, utc: None) -> Iterator[tuple[Store, Seeded]]:
    ids = seed_store(store_path, tmp_path)
    st = Store(store_path)
    yield st, ids
    st.close()


class DetailApp(App[None]):
    """The smallest host: what RunDetail needs from the real app is ``.store`` and ``.clock``."""

    def __init__(self, store: Store, clock: Callable[[], int] = lambda: NOW) -> None:
        super().__init__()
        self.store = store
        self.clock = clock

    def compose(self) -> ComposeResult:
        yield RunDetail(id="detail")


def plain(app: App[None], selector: str, width: int = 100) -> str:
    """What a Static shows, as plain text (rendered by Rich at ``width``)."""
    widget = app.query_one(selector, Static)
    console = Console(width=width, color_system=None, legacy_windows=False, record=True, file=open("/dev/null", "w"))
    console.print(widget.content)
    return console.export_text()


async def show(app: DetailApp, pilot, run_id: str | None) -> RunDetail:
    detail = app.query_one(RunDetail)
    detail.show_run(run_id)
    await app.workers.wait_for_complete()
    await pilot.pause()
    return detail


async def test_overview_shows_identity_times_and_provenance(seeded) -> None:
    st, ids = seeded
    app = DetailApp(st)
    async with app.run_test(size=(120, 40)) as pilot:
        detail = await show(app, pilot, ids["main"])
        assert detail.run_id == ids["main"]
        text = plain(app, "#overview-body")
        assert ids["main"] in text
        assert "baseline_rf" in text and "churn-prediction" in text
        assert "✔ FINISHED" in text
        assert "2023-11-14 22:13:20" in text and "2023-11-14 23:15:23" in text
        assert "1h 02m 03s" in text
        assert "ada" in text and "gpu-box" in text and "4242" in text
        assert "python train.py --lr 0.1" in text
        assert "0123456789abcdef0123456789abcdef01234567 on main" in text and "dirty" in text
        assert "first try" in text and "line two: [i]not italic[/i]" in text
