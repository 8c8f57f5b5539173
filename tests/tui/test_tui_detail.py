"""Run detail pane: loading in a worker, every tab's content, literal user strings, keys, errors, snapshots.

The host app is a minimal App with ``.store`` and ``.clock`` (what the real app
provides), and the store is seeded through the public logging API with a fixed
clock and deterministic run ids so content and snapshots are stable.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import math
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rich.console import Console
from textual.app import App, ComposeResult
from textual.widgets import ContentSwitcher, DataTable, Input, Static
from tui_helpers import static_text as plain

import tuitrack
from tuitrack.store import core as store_mod
from tuitrack.store.core import Store
from tuitrack.tracking import session as tracking
from tuitrack.tui.browser.artifact_preview import ArtifactPreview, artifact_rows
from tuitrack.tui.browser.detail_data import MAX_SPARK_KEYS, load_detail, spark_keys
from tuitrack.tui.browser.detail_render import human_duration, human_size
from tuitrack.tui.browser.run_detail import TABS, RunDetail
from tuitrack.tui.waits import wait_until
from tuitrack.tui.widgets.sparkline import sparkline
from tuitrack.tui.widgets.tab_strip import TabStrip

T0 = 1_700_000_000_000  # 2023-11-14 22:13:20 UTC
NOW = T0 + 10 * 3_600_000
MARKUP = "[bold red]x[/]"
ESCAPE = "\x1b[2Jcleared"
LONG = "v" * 3000
TRACEBACK = (
    'Traceback (most recent call last):\n  File "train.py", line 42, in <module>\n'
    "    model.fit(X[cols], y)\nValueError: shape mismatch: [3] vs [4] \x1b[31mred\x1b[0m\n"
)


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
    tuitrack.configure(
        capture_env=False,
        capture_packages=False,
        identity={"user": "ada", "host": "gpu-box", "source": "python train.py --lr 0.1"},
    )
    seeded = Seeded()
    data_csv = tmp / "churn.csv"
    data_csv.write_text("id,age,churned\n1,34,0\n2,51,1\n3,29,0\n")
    weights = tmp / "weights.bin"
    weights.write_bytes(bytes(range(256)) * 4)

    with tuitrack.start_run(
        experiment="churn-prediction", name="baseline_rf", description="first try\nline two: [i]not italic[/i]"
    ) as run:
        seeded.ids["main"] = run.id
        run.log_params(
            {"n_estimators": 100, "max_depth": 10, "data_path": "/data/churn.csv", "markup": MARKUP, "long_value": LONG}
        )
        for step in range(120):
            clock.ms = T0 + 1000 * step
            run.log_metric("loss", 1.0 / (step + 1), step=step)
            run.log_metric("accuracy", 0.5 + step / 300, step=step)
        for step, value in enumerate([1.0, math.nan, math.inf, 2.0, -math.inf, 3.0]):
            run.log_metric("weird", value, step=step)
        run.set_tags(
            {
                "model_type": "random_forest",
                "author": "[b]eve[/b]",
                "escape": ESCAPE,
                "tuitrack.git.commit": "0123456789abcdef0123456789abcdef01234567",
                "tuitrack.git.branch": "main",
                "tuitrack.git.dirty": "true",
            }
        )
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
    with tuitrack.start_run(experiment="churn-prediction", name="broken") as bad:
        seeded.ids["failed"] = bad.id
        clock.ms += 42_500
        bad.end("FAILED", error=TRACEBACK)  # a fixed traceback (a real one names this file's line numbers)

    clock.ms = T0 + 6_000_000
    st = Store(path)
    try:
        exp = st.experiment_id("churn-prediction")
        seeded.ids["crashed"] = hashlib.md5(b"crashed").hexdigest()
        st.create_run(
            run_id=seeded.ids["crashed"],
            experiment_id=exp,
            name="orphan",
            start_time=clock.ms,
            user="bob",
            host="node-7",
            pid=999,
            source="python long.py",
            tags={
                "tuitrack.python": "3.11.9",
                "tuitrack.platform": "Linux-6.1-x86_64",
                "tuitrack.cwd": "/home/bob/proj",
            },
            packages={"numpy": "1.26.4", "pandas": "2.2.2", "scikit-learn": "1.5.0", "rich": "13.7.1", MARKUP: "0.0.1"},
        )
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


async def show(app: DetailApp, pilot, run_id: str | None) -> RunDetail:
    detail = app.query_one(RunDetail)
    detail.show_run(run_id)
    await app.workers.wait_for_complete()
    await pilot.pause()
    # hidden tabs fill just after the frame that shows the run
    await wait_until(pilot, lambda: detail.filled or run_id is None, "every tab of the run", step=0.01)
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


async def test_failed_run_shows_its_traceback_literally(seeded) -> None:
    st, ids = seeded
    app = DetailApp(st)
    async with app.run_test(size=(100, 30)) as pilot:
        await show(app, pilot, ids["failed"])
        text = plain(app, "#overview-body")
        assert "✘ FAILED" in text and "42.5s" in text
        assert "Error (traceback)" in text
        assert 'File "train.py", line 42, in <module>' in text
        assert "    model.fit(X[cols], y)" in text  # indentation and brackets kept
        assert "shape mismatch: [3] vs [4] ^[[31mred^[[0m" in text  # escape codes made visible, not executed
        assert "\x1b" not in text


async def test_nested_run_names_its_parent_and_parent_counts_children(seeded) -> None:
    st, ids = seeded
    app = DetailApp(st)
    async with app.run_test(size=(100, 30)) as pilot:
        await show(app, pilot, ids["child"])
        text = plain(app, "#overview-body")
        assert f"Parent      {ids['parent']}  sweep" in text
        await show(app, pilot, ids["parent"])
        text = plain(app, "#overview-body")
        assert "1 nested run" in text and "Parent" not in text


async def test_stale_heartbeat_shows_crashed_with_the_app_clock(seeded) -> None:
    st, ids = seeded
    app = DetailApp(st, clock=lambda: T0 + 6_000_000 + 1000)
    async with app.run_test(size=(100, 30)) as pilot:
        await show(app, pilot, ids["crashed"])
        assert "▶ RUNNING" in plain(app, "#overview-body")  # heartbeat one second old
    app = DetailApp(st)  # NOW: hours later
    async with app.run_test(size=(100, 30)) as pilot:
        await show(app, pilot, ids["crashed"])
        text = plain(app, "#overview-body")
        assert "☠ CRASHED" in text and "stored RUNNING; no heartbeat for 8h 20m 00s" in text
        assert "so far" not in text and "0ms until last heartbeat (crashed)" in text
        assert "☠ CRASHED" in plain(app, "#detail-header")
    with st.transaction() as conn:  # it beat for 40 minutes, then its process died
        conn.execute("UPDATE runs SET heartbeat = start_time + 2400000 WHERE run_id = ?", (ids["crashed"],))
    app = DetailApp(st)
    async with app.run_test(size=(100, 30)) as pilot:
        await show(app, pilot, ids["crashed"])
        text = plain(app, "#overview-body")
        # the same duration as the runs table's column (40m00s), not start-to-now
        assert "40m 00s until last heartbeat (crashed)" in text and "no heartbeat for 7h 40m 00s" in text
        assert "last heartbeat 1970-01-01" not in text and "(last heartbeat " in text


async def test_params_sorted_literal_truncated_and_data_inputs(seeded, tmp_path: Path) -> None:
    st, ids = seeded
    app = DetailApp(st)
    async with app.run_test(size=(120, 40)) as pilot:
        await show(app, pilot, ids["main"])
        text = plain(app, "#params-body", width=120)
        keys = [k for k in ("data_path", "long_value", "markup", "max_depth", "n_estimators") if k in text]
        assert keys == ["data_path", "long_value", "markup", "max_depth", "n_estimators"]
        assert [text.index(k) for k in keys] == sorted(text.index(k) for k in keys)
        assert MARKUP in text
        assert "(3,000 chars)" in text and text.count("v") < 700  # cut, not 3000 v's pushing the layout
        assert "Data inputs (1)" in text
        digest = st.list_inputs(ids["main"])[0].digest
        assert "train" in text and digest[:12] in text and digest[:13] not in text
        assert "training" in text and " 3 " in text  # 3 data rows (header excluded)
        assert "churn.csv" in text


async def test_metrics_summary_and_sparklines(seeded) -> None:
    st, ids = seeded
    app = DetailApp(st)
    async with app.run_test(size=(120, 40)) as pilot:
        await show(app, pilot, ids["main"])
        lines = plain(app, "#metrics-body", width=120).splitlines()
        header = next(line for line in lines if "metric" in line)
        assert header.split() == ["metric", "last", "min", "max", "steps", "step", "history"]
        acc = next(line for line in lines if line.strip().startswith("accuracy")).split()
        assert acc[:6] == ["accuracy", "0.8967", "0.5", "0.8967", "120", "119"]
        assert acc[6][0] == "▁" and acc[6][-1] == "█"  # rising
        loss = next(line for line in lines if line.strip().startswith("loss")).split()
        assert loss[1:6] == ["0.0083", "0.0083", "1", "120", "119"] and loss[6][0] == "█"
        weird = next(line for line in lines if line.strip().startswith("weird")).split()
        assert weird[1:6] == ["3", "-inf", "inf", "6", "5"]
        assert weird[6] == "▁·▲▅▼█"  # NaN, +inf and -inf visible without squashing the finite scale


async def test_metrics_in_a_narrow_pane_keep_name_and_last_value(seeded) -> None:
    st, ids = seeded
    app = DetailApp(st)
    async with app.run_test(size=(40, 24)) as pilot:
        await show(app, pilot, ids["main"])
        lines = plain(app, "#metrics-body", width=36).splitlines()
        assert lines[0].split() == ["metric", "last", "min", "max", "steps"]
        assert lines[1].split() == ["accuracy", "0.8967", "0.5", "0.8967", "120"]
        assert "widen the pane to see step, history" in lines[4]
        assert all(len(line.rstrip()) <= 36 for line in lines)
        await pilot.resize_terminal(100, 24)
        await pilot.pause()
        lines = plain(app, "#metrics-body", width=96).splitlines()
        assert lines[0].split()[-1] == "history" and "widen" not in "".join(lines)


async def test_tags_split_user_and_system_and_stay_literal(seeded) -> None:
    st, ids = seeded
    app = DetailApp(st)
    async with app.run_test(size=(100, 30)) as pilot:
        await show(app, pilot, ids["main"])
        text = plain(app, "#tags-body")
        user, system = text.split("System tags")
        assert "Tags (3)" in user and "author      [b]eve[/b]" in user
        assert "^[[2Jcleared" in user and "\x1b" not in text
        assert "tuitrack.git" not in user
        assert "(3)" in system and "tuitrack.git.commit" in system and "tuitrack.git.dirty   true" in system


async def test_empty_run_says_so_everywhere(seeded) -> None:
    st, ids = seeded
    app = DetailApp(st)
    async with app.run_test(size=(100, 30)) as pilot:
        detail = await show(app, pilot, ids["parent"])
        assert "no params logged" in plain(app, "#params-body")
        assert "no datasets logged" in plain(app, "#params-body")
        assert "no metrics logged" in plain(app, "#metrics-body")
        assert "no tags set" in plain(app, "#tags-body")
        assert "no system tags" in plain(app, "#tags-body")
        assert detail.query_one("#artifact-list", DataTable).row_count == 0
        assert "no artifacts logged" in plain(app, "#preview-body")
        packages = detail.query_one("#package-list", DataTable)
        assert packages.row_count == 1 and "no packages recorded" in str(packages.get_row_at(0)[0])


async def test_no_run_and_vanished_run_and_store_error_show_messages(seeded) -> None:
    st, ids = seeded
    app = DetailApp(st)
    async with app.run_test(size=(100, 30)) as pilot:
        detail = await show(app, pilot, None)
        assert detail.run_id is None and "no run selected" in plain(app, "#overview-body")
        detail = await show(app, pilot, ids["main"])
        assert detail.run_id == ids["main"]
        await show(app, pilot, "f" * 32)
        assert detail.run_id is None
        assert f"run {'f' * 32} is no longer in the store" in plain(app, "#overview-body")
        assert "no longer in the store" in plain(app, "#detail-header")
        assert detail.query_one("#artifact-list", DataTable).row_count == 0
        st.close()  # every read now fails inside the worker
        await show(app, pilot, ids["main"])
        assert detail.run_id is None
        assert "could not read run" in plain(app, "#overview-body")
        assert app.is_running


async def test_tab_keys_cycle_and_move_focus_into_the_tab(seeded) -> None:
    st, ids = seeded
    app = DetailApp(st)
    async with app.run_test(size=(100, 30)) as pilot:
        detail = await show(app, pilot, ids["main"])
        detail.query_one("#overview-scroll").focus()
        seen = []
        for _ in range(8):
            await pilot.press("right_square_bracket")
            await pilot.pause()
            seen.append(detail.active_tab)
        assert seen == ["params", "metrics", "tags", "artifacts", "logs", "system", "environment", "overview"]
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert detail.active_tab == "environment"
        assert app.focused is detail.query_one("#package-list")
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert detail.active_tab == "system" and app.focused is detail.query_one("#system-pane")
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert detail.active_tab == "logs" and app.focused is detail.query_one("#logs-scroll")
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert detail.active_tab == "artifacts" and app.focused is detail.query_one("#artifact-list")
        ids_ = {b.id for _, b in detail._bindings if b.id}
        assert {"run_detail.next_tab", "run_detail.previous_tab", "run_detail.filter_packages"} <= ids_
        with pytest.raises(ValueError, match="unknown detail tab 'nope'"):
            detail.select_tab("nope")


async def test_tab_titles_switch_tabs_by_mouse_and_underline_the_active_one(seeded) -> None:
    st, ids = seeded
    app = DetailApp(st)
    async with app.run_test(size=(100, 30)) as pilot:
        detail = await show(app, pilot, ids["main"])
        strip = detail.query_one(TabStrip)
        spans = {tab_id: (start, end) for tab_id, start, end in strip.spans()}
        assert list(spans) == [t[0] for t in TABS] and spans["overview"] == (0, len(" Overview "))

        def shown() -> list[str]:
            return [w.id for w in detail.query_one(ContentSwitcher).children if w.display]

        for tab_id, row in (("metrics", 0), ("environment", 1), ("overview", 0)):
            start, end = spans[tab_id]
            app.set_focus(None)  # focus elsewhere (in the browser: the runs table)
            assert await pilot.click(TabStrip, offset=(end - 2, row))  # a title, or the underline below it
            await pilot.pause()
            assert detail.active_tab == tab_id and shown() == [
                {"overview": "overview-scroll"}.get(tab_id, f"{tab_id}-pane")
            ]
            assert app.focused is detail.query_one(f"#{dict((t[0], t[2]) for t in TABS)[tab_id]}")  # keys act there
        assert await pilot.click(TabStrip, offset=(max(end for _, end in spans.values()) + 3, 0))  # past the titles
        await pilot.pause()
        assert detail.active_tab == "overview"

        detail.select_tab("params")
        start, end = spans["params"]
        line = strip.render_line(1)
        assert line.text == "━" * start + "╸" + "━" * len("Params") + "╺" + "━" * (strip.size.width - end)
        lit = strip.get_component_rich_style("tab-strip--highlight").color
        cells = [seg.style.color == lit for seg in line for _ in seg.text]
        assert [i for i, on in enumerate(cells) if on] == list(range(start + 1, end - 1))  # the title, not its padding

        def title_color(tab_id: str):
            x = spans[tab_id][0] + 1
            cells = [seg.style.color for seg in strip.render_line(0) for _ in seg.text]
            return cells[x]

        dim = title_color("tags")
        assert title_color("params") != dim  # the active title stands out
        await pilot.hover(TabStrip, offset=(spans["tags"][0] + 1, 0))
        await pilot.pause()
        assert title_color("tags") == title_color("params") != dim  # so does the one under the mouse
        with pytest.raises(ValueError, match="unknown tab 'nope'"):
            strip.active = "nope"


async def test_hidden_tabs_fill_after_the_frame_or_when_opened_first(seeded) -> None:
    """The tab on screen changes with the run at once; the others just after (opening one fills it now)."""
    st, ids = seeded
    app = DetailApp(st)
    async with app.run_test(size=(120, 40)) as pilot:
        detail = await show(app, pilot, ids["main"])
        main_params = plain(app, "#params-body")
        data = load_detail(st, ids["failed"], NOW)
        detail._wanted = ids["failed"]
        detail._apply(ids["failed"], data, None, None)  # as the worker delivers it, in one event-loop turn
        assert "traceback" in plain(app, "#overview-body").lower()  # the shown tab: the new run already
        assert plain(app, "#params-body") == main_params  # hidden: not built yet
        detail.select_tab("params")  # opened before the frame: filled first
        assert plain(app, "#params-body") != main_params
        await show(app, pilot, ids["main"])
        await wait_until(
            pilot,
            lambda: plain(app, "#params-body") == main_params and detail.run_id == ids["main"],
            "the params tab to show the main run again",
        )
        detail.select_tab("overview")
        detail._wanted = ids["failed"]
        detail._apply(ids["failed"], data, None, None)
        await wait_until(pilot, lambda: plain(app, "#params-body") != main_params, "every tab to show the new run")


async def test_artifact_list_navigation_and_previews(seeded) -> None:
    st, ids = seeded
    app = DetailApp(st)
    async with app.run_test(size=(120, 40)) as pilot:
        detail = await show(app, pilot, ids["main"])
        detail.select_tab("artifacts")
        table = detail.query_one("#artifact-list", DataTable)
        table.focus()
        await pilot.pause()
        labels = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert labels == [
            "config.json",
            "metrics.csv",
            "model/",
            "model/MLmodel",
            "model/conda.yaml",
            "model/model.pkl",
            "model/python_env.yaml",
            "model/requirements.txt",
            "notes.txt",
            "weights.bin",
        ]
        assert str(table.get_row_at(9)[1]) == "1.0 KiB"

        async def open_row(index: int) -> str:
            table.move_cursor(row=0)
            for _ in range(index):
                await pilot.press("down")
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            return plain(app, "#preview-title", 120) + plain(app, "#preview-body", 120)

        text = await open_row(0)
        assert '"layers": [' in text and '"name": "[bold red]x[/]"' in text  # pretty-printed, literal
        text = await open_row(1)
        assert text.split("\n")[1].split() == ["epoch", "loss"] and "0.25" in text and "3 rows" in text
        text = await open_row(2)
        assert "model folder" in text and "flavors:" in text and ids["main"] in text  # its MLmodel
        text = await open_row(5)
        assert "binary file" in text
        text = await open_row(8)
        assert f"hello {MARKUP}" in text and "second line ^[[2Jcleared" in text
        text = await open_row(9)
        assert "binary file, 1,024 bytes" in text
        preview = detail.query_one(ArtifactPreview)
        assert preview.shown is not None and preview.shown.key == "weights.bin"


async def test_preview_of_a_vanished_artifact_is_a_message(seeded) -> None:
    st, ids = seeded
    app = DetailApp(st)
    async with app.run_test(size=(100, 30)) as pilot:
        detail = await show(app, pilot, ids["main"])
        (st.artifacts_root / ids["main"] / "notes.txt").unlink()
        detail.select_tab("artifacts")
        table = detail.query_one("#artifact-list", DataTable)
        table.focus()
        labels = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        table.move_cursor(row=labels.index("notes.txt"))
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "cannot preview" in plain(app, "#preview-body") and "notes.txt" in plain(app, "#preview-body")


async def test_package_filter(seeded) -> None:
    st, ids = seeded
    app = DetailApp(st)
    async with app.run_test(size=(100, 30)) as pilot:
        detail = await show(app, pilot, ids["crashed"])
        packages = detail.query_one("#package-list", DataTable)
        names = [str(packages.get_row_at(i)[0]) for i in range(packages.row_count)]
        assert names == [MARKUP, "numpy", "pandas", "rich", "scikit-learn"]
        detail.select_tab("environment")
        packages.focus()
        await pilot.pause()
        await pilot.press("f")
        await pilot.pause()
        assert app.focused is detail.query_one("#package-filter", Input)
        await pilot.press("P", "a", "[")  # case-insensitive; "[" types into the input, it does not switch tabs
        await pilot.pause()
        assert detail.active_tab == "environment"
        assert detail.query_one("#package-filter", Input).value == "Pa["
        assert "no package matches 'pa['" in str(packages.get_row_at(0)[0])
        await pilot.press("backspace")
        await pilot.pause()
        assert [str(packages.get_row_at(i)[0]) for i in range(packages.row_count)] == ["pandas"]
        assert "1 of 5 packages" in plain(app, "#package-count")
        await pilot.press("enter")
        await pilot.pause()
        assert app.focused is packages
        env = plain(app, "#env-summary")
        assert "3.11.9" in env and "Linux-6.1-x86_64" in env and "/home/bob/proj" in env and "node-7" in env


class SlowStore:
    """Wraps a store so ``get_run`` for one run waits for a go signal (to observe the pane mid-load)."""

    def __init__(self, store: Store, slow_id: str) -> None:
        import threading

        self._store = store
        self._slow_id = slow_id
        self.go = threading.Event()

    def resolve_run(self, ref: str):
        if ref == self._slow_id:
            self.go.wait(10)
        return self._store.resolve_run(ref)

    def __getattr__(self, name: str):
        return getattr(self._store, name)


async def test_old_content_stays_until_the_new_run_arrives(seeded) -> None:
    st, ids = seeded
    slow = SlowStore(st, ids["failed"])
    app = DetailApp(slow)  # type: ignore[arg-type]
    async with app.run_test(size=(100, 30)) as pilot:
        detail = await show(app, pilot, ids["main"])
        detail.show_run(ids["failed"])
        await pilot.pause(0.1)
        assert detail.run_id == ids["main"] and "baseline_rf" in plain(app, "#detail-header")
        slow.go.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert detail.run_id == ids["failed"] and "broken" in plain(app, "#detail-header")


async def test_a_superseded_load_never_lands(seeded) -> None:
    st, ids = seeded
    slow = SlowStore(st, ids["failed"])
    app = DetailApp(slow)  # type: ignore[arg-type]
    async with app.run_test(size=(100, 30)) as pilot:
        detail = app.query_one(RunDetail)
        detail.show_run(ids["failed"])  # slow
        await pilot.pause(0.05)
        detail.show_run(ids["main"])  # fast, asked later
        await pilot.pause(0.2)
        slow.go.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert detail.run_id == ids["main"]


async def test_refresh_without_changes_keeps_everything_and_new_data_keeps_the_cursor(seeded) -> None:
    st, ids = seeded
    app = DetailApp(st)
    async with app.run_test(size=(100, 30)) as pilot:
        detail = await show(app, pilot, ids["main"])
        detail.select_tab("artifacts")
        table = detail.query_one("#artifact-list", DataTable)
        table.move_cursor(row=5)
        before = app.query_one("#overview-body", Static).content
        detail.refresh_run()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.query_one("#overview-body", Static).content is before  # nothing re-rendered
        rid = st.rid(ids["main"])
        st.set_tags(rid, {"reviewed": "yes"})
        detail.show_run(ids["main"])
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "reviewed" in plain(app, "#tags-body")
        assert table.cursor_row == 5 and detail.active_tab == "artifacts"


def test_load_detail_caps_sparkline_histories(store_path: Path) -> None:
    with tuitrack.start_run(name="many") as run:
        for i in range(MAX_SPARK_KEYS + 5):
            run.log_metric(f"m{i:02d}", float(i), step=0)
        run.log_metric("system/cpu", 1.0)
    tuitrack.flush()
    st = Store(store_path)
    try:
        data = load_detail(st, run.id, NOW)
        assert len(data.histories) == MAX_SPARK_KEYS
        assert "system/cpu" not in data.histories and "m00" in data.histories
        assert spark_keys(["system/a", "b", "a"]) == ["a", "b", "system/a"]
        from tuitrack.tui.browser import detail_render

        console = Console(width=120, color_system=None, file=io.StringIO(), record=True)
        console.print(detail_render.metrics(data))
        assert f"first {MAX_SPARK_KEYS} of {MAX_SPARK_KEYS + 6} metrics" in console.export_text()
    finally:
        st.close()


def test_sparkline() -> None:
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7]).plain == "▁▂▃▄▅▆▇█"
    assert sparkline([5, 5, 5]).plain == "▄▄▄"
    assert sparkline([math.nan, math.inf, -math.inf]).plain == "·▲▼"
    assert sparkline(list(range(100)), width=10).plain == "▁▂▃▃▄▅▆▆▇█"  # bucket means 4.5, 14.5 ... 94.5
    assert len(sparkline(list(range(1000)), width=7)) == 7
    assert sparkline([]).plain == ""
    with pytest.raises(ValueError, match="width"):
        sparkline([1.0], width=0)


def test_human_formats() -> None:
    assert human_duration(3_723_000) == "1h 02m 03s"
    assert human_duration(125_000) == "2m 05s"
    assert human_duration(12_340) == "12.3s"
    assert human_duration(850) == "850ms"
    assert human_duration(90_061_000) == "1d 01h 01m"
    assert human_duration(None) == "—"
    assert human_size(512) == "512 B" and human_size(1536) == "1.5 KiB" and human_size(3 * 2**20) == "3.0 MiB"


def test_artifact_rows_group_model_folders() -> None:
    from tuitrack.entities import Artifact

    rows = artifact_rows(
        [
            Artifact("a.txt", 1, 0),
            Artifact("m/MLmodel.json", 10, 0),
            Artifact("m/model.pkl", 20, 0),
            Artifact("plain/x.pkl", 5, 0),
        ]
    )
    assert [(r.key, r.label, r.size, r.is_model) for r in rows] == [
        ("a.txt", "a.txt", 1, False),
        ("model:m", "m/", 30, True),
        ("m/MLmodel.json", "m/MLmodel.json", 10, False),
        ("m/model.pkl", "m/model.pkl", 20, False),
        ("plain/x.pkl", "plain/x.pkl", 5, False),
    ]


def _before(run_id: str, tab: str, *keys: str):
    async def run_before(pilot) -> None:
        detail = pilot.app.query_one(RunDetail)
        detail.show_run(run_id)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        detail.select_tab(tab)
        if tab == "artifacts":
            detail.query_one("#artifact-list").focus()
        await pilot.pause()
        if keys:
            await pilot.press(*keys)
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()

    return run_before


def test_snapshot_overview_failed_100x30(seeded, snap_compare) -> None:
    st, ids = seeded
    assert snap_compare(DetailApp(st), terminal_size=(100, 30), run_before=_before(ids["failed"], "overview"))


def test_snapshot_metrics_120x36(seeded, snap_compare) -> None:
    st, ids = seeded
    assert snap_compare(DetailApp(st), terminal_size=(120, 36), run_before=_before(ids["main"], "metrics"))


def test_snapshot_artifact_csv_preview_100x30(seeded, snap_compare) -> None:
    st, ids = seeded
    assert snap_compare(
        DetailApp(st), terminal_size=(100, 30), run_before=_before(ids["main"], "artifacts", "down", "enter")
    )


def test_preview_kinds_big_invalid_empty_yaml(store_path: Path) -> None:
    from tuitrack.tui.browser.artifact_preview import PREVIEW_LIMIT, ArtifactRow, render_preview

    with tuitrack.start_run(name="files") as run:
        run.log_text("line\n" * 60_000, "train.log")  # 300 KB
        run.log_text('{"a": 1,', "bad.json")
        run.log_text("", "empty.txt")
        run.log_text("lr: 0.1\nname: '[b]x[/b]'\n", "conf.yaml")
        run.log_text("a;b\n1;2\n", "semi.csv")
    st = Store(store_path)
    console = Console(width=80, color_system=None, file=io.StringIO(), record=True)

    def preview(path: str) -> str:
        title, body = render_preview(st, run.id, ArtifactRow(path, path, None))
        console.print(title)
        console.print(body)
        return console.export_text()

    try:
        text = preview("train.log")
        assert f"showing the first {human_size(PREVIEW_LIMIT)} of 293.0 KiB" in text
        assert text.count("line") == PREVIEW_LIMIT // 5
        text = preview("bad.json")
        assert "not valid JSON" in text and '{"a": 1,' in text
        assert "empty file" in preview("empty.txt")
        assert "name: '[b]x[/b]'" in preview("conf.yaml")
        assert preview("semi.csv").splitlines()[1].split() == ["a", "b"]
        with pytest.raises(FileNotFoundError):
            render_preview(st, run.id, ArtifactRow("nope.txt", "nope.txt", None))
    finally:
        st.close()


class CountingStore:
    """Counts metric-history reads (the expensive part of loading a run)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.history_reads: list[str] = []

    def get_metric_history(self, ref: str, key: str, max_points: int | None = None):
        self.history_reads.append(key)
        return self._store.get_metric_history(ref, key, max_points)

    def __getattr__(self, name: str):
        return getattr(self._store, name)


async def test_refresh_rereads_only_histories_that_changed(seeded) -> None:
    st, ids = seeded
    counting = CountingStore(st)
    app = DetailApp(counting)  # type: ignore[arg-type]
    async with app.run_test(size=(100, 30)) as pilot:
        detail = await show(app, pilot, ids["main"])
        assert sorted(counting.history_reads) == ["accuracy", "loss", "weird"]
        assert detail.data is not None and len(detail.data.histories["loss"]) == 40  # 120 points, downsampled
        counting.history_reads.clear()
        detail.refresh_run()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert counting.history_reads == []
        st.write_metrics([(st.rid(ids["main"]), "loss", 0.001, 500, T0)])
        detail.refresh_run()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert counting.history_reads == ["loss"]
        loss_line = next(line for line in plain(app, "#metrics-body").splitlines() if line.startswith("loss"))
        assert loss_line.split()[1:6] == ["0.001", "0.001", "1", "121", "500"]


async def test_hostile_run_and_experiment_names_render_literally(store_path: Path) -> None:
    name = f"{MARKUP} {ESCAPE} " + "n" * 200
    with tuitrack.start_run(experiment="[red]exp[/]", name=name, description=f"{ESCAPE}\nok") as run:
        run.log_text("x", "[b]weird[/b].txt")
    tuitrack.flush()
    st = Store(store_path)
    app = DetailApp(st)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            detail = await show(app, pilot, run.id)
            header = plain(app, "#detail-header", width=200)
            assert "[bold red]x[/] ^[[2Jcleared nnn" in header and "[red]exp[/]" in header and "…" in header
            overview = plain(app, "#overview-body", width=76)
            assert "[bold red]x[/]" in overview and "^[[2Jcleared" in overview and "\x1b" not in overview
            assert all(len(line) <= 76 for line in overview.splitlines())  # the long name folds
            table = detail.query_one("#artifact-list", DataTable)
            assert str(table.get_row_at(0)[0]) == "[b]weird[/b].txt"
    finally:
        st.close()


def test_dataset_line_shows_schema_profile_and_source_type() -> None:
    """mlflow.data datasets add a line under the inputs table: columns and types, profile, source type."""
    from tuitrack.entities import DatasetInput
    from tuitrack.tui.browser.detail_render import dataset_summary

    table = DatasetInput(
        "wine",
        "data/wine.csv",
        "ab" * 32,
        3,
        "training",
        0,
        "local",
        {"mlflow_colspec": [{"type": "double", "name": "alcohol"}, {"type": "long", "name": "q"}]},
        {"num_rows": 3, "num_elements": 6},
    )
    assert dataset_summary(table) == "alcohol double, q long · num_rows=3 num_elements=6 · source type local"
    arrays = DatasetInput(
        "arr",
        None,
        "cd" * 32,
        20,
        "eval",
        0,
        "code",
        {
            "mlflow_tensorspec": {
                "features": '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 4]}}]'
            }
        },
        None,
    )
    assert dataset_summary(arrays) == "features float64[-1, 4] · source type code"
    assert dataset_summary(DatasetInput("plain", "/x.csv", None, 1, None, 0)) == ""
