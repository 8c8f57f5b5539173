"""The app on wide runs (issue 15): what is built and read is bounded by the screen, not by the run.

One run carries 20,000 tags, 3,000 metrics (one with a real history, the rest a single point) and
3,000 params, beside a narrow run and a small sweep.  The tests check state (lines built, rows
read, store calls made), never wall time, so they hold on a busy machine.
"""

from __future__ import annotations

import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Input, SelectionList

from tuitrack.store.core import Store
from tuitrack.tui.app import TuitrackApp, create_app
from tuitrack.tui.browser.detail_data import WINDOW
from tuitrack.tui.browser.run_detail import RunDetail
from tuitrack.tui.dialogs.tag_editor import ROW_LIMIT as TAG_ROWS
from tuitrack.tui.dialogs.tag_editor import TagEditor
from tuitrack.tui.screens.charts import PICKER_LIMIT, ChartsScreen
from tuitrack.tui.screens.compare import ROW_LIMIT, CompareScreen
from tuitrack.tui.screens.groups import GroupsScreen
from tuitrack.tui.waits import drain as settle
from tuitrack.tui.widgets.key_rows import KeyRows

T0 = 1_750_000_000_000
NOW = T0 + 3_600_000
SIZE = (120, 36)
N_TAGS, N_METRICS, N_PARAMS, SWEEP = 20_000, 3_000, 3_000, 24


def build(path: Path) -> dict[str, str]:
    store = Store(path, create=True)
    ids = {"wide": uuid.UUID(int=1).hex, "narrow": uuid.UUID(int=2).hex}
    sweep = store.experiment_id("sweep")
    for i in range(SWEEP):
        rid = store.create_run(
            run_id=uuid.UUID(int=100 + i).hex,
            experiment_id=sweep,
            name=f"sweep-{i:02d}",
            start_time=T0 + i,
            params={"lr": str((0.1, 0.01)[i % 2]), "seed": str(i)},
        )
        kid = store.metric_kid("loss")
        store.write_batches([(rid, "loss", [(rid, kid, s, T0 + s, 1 / (1 + s) + i / 1000) for s in range(50)])])
        store.end_run(rid, "FINISHED")
    exp = store.experiment_id("wide")
    narrow = store.create_run(
        run_id=ids["narrow"],
        experiment_id=exp,
        name="narrow-run",
        start_time=T0 + 10_000,
        tags={"team": "a"},
        params={"lr": "0.1"},
    )
    store.end_run(narrow, "FINISHED")
    wide = store.create_run(
        run_id=ids["wide"],
        experiment_id=exp,
        name="wide-run",
        start_time=T0 + 20_000,
        tags={**{f"tag_{i:05d}": f"value {i}" for i in range(N_TAGS)}, "tuitrack.python": "3.11"},
        params={f"param_{i:04d}": str(i) for i in range(N_PARAMS)},
    )
    batches = [
        (wide, f"a{i:04d}", [(wide, store.metric_kid(f"a{i:04d}"), 0, T0, float(i))]) for i in range(N_METRICS - 1)
    ]
    kid = store.metric_kid("z_loss")
    batches.append((wide, "z_loss", [(wide, kid, s, T0 + s, 1 / (1 + s)) for s in range(500)]))
    store.write_batches(batches)
    store.end_run(wide, "FINISHED")
    store.close()
    return ids


@pytest.fixture(scope="module")
def wide_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("wide") / "store"
    return path, build(path)


@pytest.fixture
def wide(
    wide_template: tuple[Path, dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Store, dict[str, str]]]:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    shutil.copytree(wide_template[0], tmp_path / "store")  # writable: the tag editor refuses read-only stores
    store = Store(tmp_path / "store")
    yield store, wide_template[1]
    store.close()


class DetailApp(App[None]):
    def __init__(self, store: Any) -> None:
        super().__init__()
        self.store = store
        self.clock = lambda: NOW

    def compose(self) -> ComposeResult:
        yield RunDetail(id="detail")


async def until(pilot: Any, cond: Any, what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


def drawn(rows: KeyRows) -> list[str]:
    """The lines the widget draws now (what is on screen)."""
    return ["".join(seg.text for seg in rows.render_line(y)).rstrip() for y in range(rows.size.height)]


async def open_tab(app: DetailApp, pilot: Any, run_id: str, tab: str) -> tuple[RunDetail, KeyRows]:
    detail = app.query_one(RunDetail)
    detail.show_run(run_id)
    await until(pilot, lambda: detail.run_id == run_id and detail.filled, "the run")
    detail.select_tab(tab)
    await pilot.pause()
    return detail, detail.query_one(f"#{tab}-body", KeyRows)


async def test_tags_tab_of_a_20k_tag_run_reads_and_draws_a_screenful(wide) -> None:
    store, ids = wide
    app = DetailApp(store)
    async with app.run_test(size=SIZE) as pilot:
        detail, rows = await open_tab(app, pilot, ids["wide"], "tags")
        window = detail.data.window("tags")
        assert (window.total, window.tail) == (N_TAGS + 1, 1)  # the tuitrack.* tag is counted apart
        assert len(window.rows) <= WINDOW  # read: one window, not 20,001 rows
        await pilot.pause()
        lines = drawn(rows)
        assert lines[0].startswith("Tags (20,000)") and lines[1].startswith("tag_00000")
        assert rows.built_lines <= 3 * SIZE[1]  # rows turned into lines: about a screenful
        assert rows.virtual_size.height >= N_TAGS  # yet the scrollbar spans every tag
        # the last tag: a window read at the end, still bounded
        rows.focus()
        await pilot.press("end")
        await until(pilot, lambda: any("tuitrack.python" in line for line in drawn(rows)), "the end")
        window = detail.data.window("tags")
        assert window.offset > N_TAGS - WINDOW and len(window.rows) <= WINDOW
        assert "…" not in "".join(drawn(rows))


async def test_metrics_and_params_tabs_are_windows_with_sparklines_on_screen_only(wide) -> None:
    store, ids = wide
    app = DetailApp(store)
    async with app.run_test(size=SIZE) as pilot:
        detail, rows = await open_tab(app, pilot, ids["wide"], "metrics")
        data = detail.data
        assert data.window("metrics").total == N_METRICS and len(data.window("metrics").rows) <= WINDOW
        assert len(data.histories) <= 30  # sparklines for rows near the screen, not 3,000 history reads
        lines = drawn(rows)
        assert lines[0].startswith("Metrics (3,000)") and lines[1].split()[:3] == ["metric", "last", "min"]
        detail, rows = await open_tab(app, pilot, ids["wide"], "params")
        assert drawn(rows)[0].startswith("Params (3,000)") and len(detail.data.window("params").rows) <= WINDOW


async def test_key_filter_narrows_the_tags_by_key(wide) -> None:
    store, ids = wide
    app = DetailApp(store)
    async with app.run_test(size=SIZE) as pilot:
        detail, rows = await open_tab(app, pilot, ids["wide"], "tags")
        rows.focus()
        await pilot.press("f")
        box = detail.query_one("#tags-filter", Input)
        assert box.has_focus and box.display
        await pilot.press(*"1234")
        await until(pilot, lambda: detail.data.window("tags").needle == "1234", "the filtered window")
        window = detail.data.window("tags")
        assert window.total == sum("1234" in f"tag_{i:05d}" for i in range(N_TAGS))
        assert window.rows and all("1234" in key for key, _ in window.rows)
        assert "of 20,001 tags match" in drawn(rows)[0]
        await pilot.press("enter")  # back to the list, the filter kept
        assert rows.has_focus and detail.data.window("tags").needle == "1234"


class GatedStore:
    """The store, with key_window reads held until ``go`` is set (a slow disk, a huge run)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.go = threading.Event()

    def key_window(self, *args: Any, **kwargs: Any) -> Any:
        self.go.wait(20)
        return self._store.key_window(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


async def test_keys_pressed_while_the_wide_run_loads_are_handled_at_once(wide) -> None:
    store, ids = wide
    gated = GatedStore(store)
    app = DetailApp(gated)
    async with app.run_test(size=SIZE) as pilot:
        detail = app.query_one(RunDetail)
        detail.show_run(ids["wide"])
        await pilot.pause(0.1)
        assert detail.run_id is None  # still loading (held)
        detail.focus_content()
        await pilot.press("right_square_bracket", "right_square_bracket")
        assert detail.active_tab == "metrics"  # the keys acted while the read waits
        gated.go.set()
        await until(pilot, lambda: detail.run_id == ids["wide"], "the run")
        assert detail.data.window("metrics").total == N_METRICS


def make_app(store: Store) -> TuitrackApp:
    return create_app(store, clock=lambda: NOW, live_interval=0, app_class=TuitrackApp)


async def on_wide_run(pilot: Any) -> None:
    await settle(pilot)
    table = pilot.app.browser.table
    assert table.cursor_run.info.run_name == "wide-run"  # the newest run: the top row


async def test_chart_picker_lists_a_bounded_set_and_preselects_a_metric_with_a_history(wide) -> None:
    store, _ = wide
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await on_wide_run(pilot)
        await pilot.press("v")  # charts (g is top, issue 16)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ChartsScreen)
        assert screen.selected == ["z_loss"]  # not a0000: the one metric with more than one point
        picker = screen.query_one("#metric-picker", SelectionList)
        assert picker.option_count <= PICKER_LIMIT + 1 and len(screen.keys) == N_METRICS
        await pilot.press("slash", *"a2998")
        await settle(pilot)
        listed = [picker.get_option_at_index(i).value for i in range(picker.option_count)]
        assert listed == ["a2998", "z_loss"]  # the match, and the picked one stays
        await pilot.press("enter", "space")  # enter: back to the list; space picks the match
        await settle(pilot)
        assert screen.selected == ["a2998", "z_loss"]
        await pilot.press("slash", "escape")  # escape empties the filter and goes back to the list
        await settle(pilot)
        assert app.screen is screen and picker.has_focus and picker.option_count > 2
        assert screen.selected == ["a2998", "z_loss"]
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.browser


async def test_compare_and_tag_editor_hold_a_bounded_number_of_rows(wide) -> None:
    store, _ = wide
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await on_wide_run(pilot)
        await pilot.press("space", "up")  # mark the wide run (space moves down)
        await pilot.press("c")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CompareScreen) and screen.run_ids == [screen.runs[0].info.run_id]
        table = screen.query_one(DataTable)
        assert table.row_count == ROW_LIMIT and screen.matching > 20_000
        await pilot.press("slash", *"tag_1999")
        await settle(pilot)
        assert 0 < table.row_count <= 11 and all("tag_1999" in str(k.value) for k in table.rows)
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert app.screen is app.browser
        await pilot.press("space")  # unmark
        app.browser.table.move_cursor(row=0)
        await pilot.press("t")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, TagEditor)
        assert editor.query_one(DataTable).row_count <= TAG_ROWS + 1 and len(editor.current) == N_TAGS + 1
        await pilot.press(*"tag_0000")
        await pilot.pause()
        assert editor.listed == [f"tag_0000{i}" for i in range(10)]


async def test_grouped_chart_reads_every_history_in_one_store_call(wide, monkeypatch: pytest.MonkeyPatch) -> None:
    store, _ = wide
    calls = {"get_metric_history": 0, "binned_histories": 0}
    for name in calls:
        original = getattr(store, name)

        def counted(*args: Any, _name: str = name, _original: Any = original, **kwargs: Any) -> Any:
            calls[_name] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(store, name, counted)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.browser.apply_filter("experiment = 'sweep'")
        await settle(pilot)
        for name in calls:  # (the detail pane below the table read sparklines until now)
            calls[name] = 0
        await pilot.press("a")  # groups (G is bottom, issue 16)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, GroupsScreen) and len(screen.runs) == SWEEP
        assert screen.by == ["lr"]  # the params that tell runs apart, seed aside
        assert len(screen.histories) == SWEEP and calls == {"get_metric_history": 0, "binned_histories": 1}
        spec = screen.build_chart_spec()
        assert len([s for s in spec.series if s.label]) == 2  # one mean line per lr


async def test_scrolling_one_line_draws_one_new_row(wide) -> None:
    store, ids = wide
    app = DetailApp(store)
    async with app.run_test(size=SIZE) as pilot:
        _detail, rows = await open_tab(app, pilot, ids["wide"], "tags")
        rows.focus()
        await pilot.pause()
        before = drawn(rows)
        built = rows.built_lines
        await pilot.press("down")
        await until(pilot, lambda: drawn(rows) != before, "the scroll")
        await pilot.pause()
        assert rows.built_lines - built <= 2  # the line scrolled into view (the others are kept)
        assert drawn(rows)[1:] != before[1:] and "tag_00000" not in drawn(rows)[1]
