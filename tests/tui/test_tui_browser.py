"""Pilot tests of the browser: every keyboard flow of issue 3, asserted on app state."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from textual.binding import Binding
from textual.command import CommandPalette
from tui_helpers import browse, move_to_column, names, row_text

import tuitrack
from tuitrack.store import core as store_mod
from tuitrack.store.core import Store
from tuitrack.tracking import session as tracking
from tuitrack.tui.app import ActionsProvider, TuitrackApp, create_app
from tuitrack.tui.browser.columns import ColumnsScreen
from tuitrack.tui.browser.experiment_tree import ExperimentTree
from tuitrack.tui.browser.filter_bar import FilterBar
from tuitrack.tui.browser.state import load_state, state_file
from tuitrack.tui.dialogs.help import HelpScreen
from tuitrack.tui.waits import settle_browser as settle

T0 = 1_717_000_000_000
NOW = T0 + 3_600_000
MARKUP_NAME = "[bold red]x[/]"
ESCAPE_NAME = "evil\x1b[2Jname"


def seed_store(path: Path) -> dict[str, str]:
    """Two experiments, a parent with children, a FAILED run, a RUNNING run and hostile names; returns name -> id."""
    ticks = iter(range(10_000))
    store_mod.set_clock(lambda: T0 + next(ticks) * 1000)
    counter = iter(range(1, 10_000))
    tracking.set_id_factory(lambda: f"{next(counter):04x}" + "ab" * 14)
    tuitrack.configure(capture_env=False, capture_packages=False)
    ids: dict[str, str] = {}
    for depth, auc in [(4, 0.71), (8, 0.83), (16, 0.91), (32, 0.77)]:
        with tuitrack.start_run(experiment="alpha", name=f"rf_d{depth}", params={"max_depth": depth}) as run:
            run.log_metric("auc", auc)
            run.log_metric("loss", 1 - auc, step=0)
            ids[run.info.run_name] = run.id
    with tuitrack.start_run(experiment="beta", name="sweep") as parent:
        ids["sweep"] = parent.id
        for seed in range(2):
            with tuitrack.start_run(experiment="beta", name=f"child{seed}", nested=True) as child:
                child.log_metric("auc", 0.5 + seed / 10)
                ids[f"child{seed}"] = child.id
    failed = tuitrack.start_run(experiment="beta", name="broken")
    failed.end("FAILED")
    ids["broken"] = failed.id
    for name in (MARKUP_NAME, ESCAPE_NAME):
        with tuitrack.start_run(experiment="alpha", name=name) as run:
            run.log_param("note", "[link=x]y[/link]")
            ids[name] = run.id
    tuitrack.flush()
    store_mod.set_clock(lambda: NOW)
    return ids


@pytest.fixture
def seeded(store_path: Path) -> tuple[Path, dict[str, str]]:
    ids = seed_store(store_path)
    return store_path, ids


# -- opening and moving ----------------------------------------------------------------
async def test_opens_newest_first_with_counts(seeded, tmp_path):
    path, ids = seeded
    async with browse(path, tmp_path) as (app, _pilot):
        table = app.browser.table
        assert len(table.rids) == 10
        assert names(app)[0] == ESCAPE_NAME  # newest start first (default sort)
        assert app.current_run_id() == ids[ESCAPE_NAME]
        assert app.visible_run_ids(3) == [ids[ESCAPE_NAME], ids[MARKUP_NAME], ids["broken"]]
        assert app.selected_run_ids() == [ids[ESCAPE_NAME]]
        assert app.marked_run_ids() == []  # marks only: no fallback to the cursor run
        tree = app.browser.query_one(ExperimentTree)
        labels = [str(n.label) for n in tree.root.children]
        assert labels == ["6 alpha", "4 beta"]
        assert str(tree.root.label) == "10 All runs"
        assert app.browser.status.info.shown == 10


async def test_cursor_keys_and_vim_aliases(seeded, tmp_path):
    path, ids = seeded
    async with browse(path, tmp_path) as (app, pilot):
        order = names(app)
        await pilot.press("j", "down")
        assert app.current_run_id() == ids[order[2]]
        await pilot.press("k")
        assert app.current_run_id() == ids[order[1]]
        await pilot.press("end")
        assert app.current_run_id() == ids[order[-1]]
        await pilot.press("home")
        assert app.current_run_id() == ids[order[0]]
        await pilot.press("pagedown")
        assert app.browser.table.cursor_row == len(order) - 1  # one page is more than 10 rows


async def test_space_marks_survive_filter_and_refresh(seeded, tmp_path):
    path, ids = seeded
    async with browse(path, tmp_path) as (app, pilot):
        order = names(app)
        await pilot.press("space")  # marks row 0 and moves down
        await pilot.press("j", "space")
        marked = [ids[order[0]], ids[order[2]]]
        assert app.selected_run_ids() == marked == app.marked_run_ids()
        table = app.browser.table
        assert "●" in row_text(table, 0) and "●" not in row_text(table, 1)
        assert app.browser.status.info.marked == 2
        app.browser.apply_filter("attributes.run_name = 'rf_d8'")
        await settle(pilot, app, lambda: len(app.browser.table.rids) == 1)
        assert app.selected_run_ids() == marked  # marks of hidden runs are kept
        await pilot.press("r")
        await settle(pilot, app)
        await pilot.press("escape")  # clears the filter
        await settle(pilot, app, lambda: len(app.browser.table.rids) == 10)
        assert app.selected_run_ids() == marked
        await pilot.press("home", "space")  # unmark
        assert app.selected_run_ids() == [ids[order[2]]] == app.marked_run_ids()
        await pilot.press("k", "space")  # marks again: now last in mark order
        assert app.marked_run_ids() == [ids[order[2]], ids[order[0]]]


# -- sorting -----------------------------------------------------------------------------
async def test_s_sorts_by_cursor_column_and_reverses(seeded, tmp_path):
    path, _ids = seeded
    async with browse(path, tmp_path) as (app, pilot):
        table = app.browser.table
        await move_to_column(pilot, table, "metrics.auc")
        await pilot.press("s")
        await settle(pilot, app, lambda: app.browser.view.sort_key == "metrics.auc")
        top = names(app)[:4]
        assert top == ["rf_d16", "rf_d8", "rf_d32", "rf_d4"]  # best first
        assert app.browser.view.sort_desc is True
        await pilot.press("s")
        await settle(pilot, app, lambda: not app.browser.view.sort_desc)
        shown = names(app)
        assert shown[:2] == ["rf_d4", "rf_d32"]  # child0/child1 score lower but list under their parent (#16)
        at = shown.index("sweep")  # no auc: after every run that has one, either way
        assert shown[at + 1 : at + 3] == ["child0", "child1"] and at > shown.index("rf_d16")
        assert "▲" in "".join(s.text for s in table.render_line(0))

        def saved() -> tuple[str | None, bool]:
            state = load_state(path, tmp_path / "state")
            return state.sort_key, state.sort_desc

        await settle(pilot, app, lambda: saved() == ("metrics.auc", False))  # written once the view settles


async def test_sort_moves_to_the_top_of_the_new_order(seeded, tmp_path):
    """A new sort shows its first runs (issue 16: kept on its run, the best runs were scrolled off)."""
    path, ids = seeded
    async with browse(path, tmp_path) as (app, pilot):
        await pilot.press("j", "j", "j")
        await move_to_column(pilot, app.browser.table, "attributes.run_name")
        app.browser.table.move_cursor(row=3)
        await pilot.press("s")
        await settle(pilot, app, lambda: app.browser.view.sort_key == "attributes.run_name")
        shown = names(app)
        top = [n for n in shown if not n.startswith("child")]  # the sweep's runs list under it (#16)
        assert top == sorted(top) and shown[shown.index("sweep") + 1 :][:2] == ["child0", "child1"]
        assert app.browser.table.cursor_row == 0 and app.current_run_id() == ids[names(app)[0]]


# -- filtering -----------------------------------------------------------------------------
async def test_filter_applies_and_errors_keep_last_good(seeded, tmp_path):
    path, _ids = seeded
    async with browse(path, tmp_path) as (app, pilot):
        await pilot.press("slash")
        bar = app.browser.query_one(FilterBar)
        assert bar.has_class("-open") and bar.input.has_focus
        await pilot.press(*"metrics.auc > 0.8", "enter")
        await settle(pilot, app, lambda: app.current_filter == "metrics.auc > 0.8")
        assert sorted(names(app)) == ["rf_d16", "rf_d8"]
        assert app.browser.table.has_focus
        await pilot.press("slash", "ctrl+u", *"metrics.auc >", "enter")
        assert bar.error is not None and bar.error.position == 13
        shown = str(bar.query_one("#filter-error").render())
        assert "position 13" in shown and "^" in shown
        assert app.current_filter == "metrics.auc > 0.8"  # the last good filter stays
        assert sorted(names(app)) == ["rf_d16", "rf_d8"]
        await pilot.press("escape")  # in the bar: clears
        await settle(pilot, app, lambda: app.current_filter == "")
        assert len(app.browser.table.rids) == 10
        assert not bar.has_class("-open")
        await settle(pilot, app, lambda: load_state(path, tmp_path / "state").filter == "")


async def test_empty_result_says_why_instead_of_looking_like_loading(seeded, tmp_path):
    path, _ids = seeded
    async with browse(path, tmp_path) as (app, pilot):
        table = app.browser.table
        assert "No runs" not in table.render_line(2).text
        app.browser.apply_filter("metrics.auc > 99")
        await settle(pilot, app, lambda: app.current_filter == "metrics.auc > 99" and not table.rids)
        assert "No runs match this filter" in table.render_line(2).text
        app.browser.apply_filter("")
        await settle(pilot, app, lambda: len(table.rids) == 10)
        assert "No runs" not in table.render_line(2).text


async def test_status_filter_and_scope_in_status_line(seeded, tmp_path):
    path, ids = seeded
    async with browse(path, tmp_path) as (app, pilot):
        app.browser.apply_filter("attributes.status = 'FAILED'")
        await settle(pilot, app, lambda: len(app.browser.table.rids) == 1)
        assert app.current_run_id() == ids["broken"]
        text = str(app.browser.status.render())
        assert "1 of 10 runs" in text and "filter: attributes.status = 'FAILED'" in text


# -- tree -----------------------------------------------------------------------------------
async def test_tree_scopes_experiment_and_parent(seeded, tmp_path):
    path, _ids = seeded
    async with browse(path, tmp_path) as (app, pilot):
        tree = app.browser.query_one(ExperimentTree)
        tree.focus()
        await pilot.press("down")  # alpha
        await settle(pilot, app, lambda: len(app.browser.table.rids) == 6)
        assert set(names(app)) == {"rf_d4", "rf_d8", "rf_d16", "rf_d32", MARKUP_NAME, ESCAPE_NAME}
        await pilot.press("down")  # beta
        await settle(pilot, app, lambda: len(app.browser.table.rids) == 4)
        await pilot.press("space")  # expand beta (Tree toggles on space)
        beta = tree.cursor_node
        if not beta.is_expanded:
            beta.expand()
        await pilot.pause()
        await pilot.press("down")  # the sweep parent
        await settle(pilot, app, lambda: len(app.browser.table.rids) == 3)
        assert set(names(app)) == {"sweep", "child0", "child1"}
        assert app.browser.status.info.scope == "sweep"


# -- enter / escape / tab / help / palette / columns -----------------------------------------
async def test_enter_opens_detail_and_escape_returns(seeded, tmp_path):
    path, _ids = seeded
    async with browse(path, tmp_path) as (app, pilot):
        await pilot.press("j", "enter")
        await pilot.pause(0.3)
        browser = app.browser
        assert browser.has_class("-detail-max")
        assert not browser.table.display or not browser.table.region.height
        detail = browser.query_one("#detail")
        assert app.focused is not None and detail in app.focused.ancestors_with_self
        assert detail.run_id == app.current_run_id()
        await pilot.press("escape")
        assert not browser.has_class("-detail-max")
        assert browser.table.has_focus


async def test_tab_moves_between_panes(seeded, tmp_path):
    path, _ids = seeded
    async with browse(path, tmp_path) as (app, pilot):
        assert app.browser.table.has_focus
        await pilot.press("tab")
        assert not app.browser.table.has_focus
        await pilot.press("shift+tab")
        assert app.browser.table.has_focus
        await pilot.press("shift+tab")
        assert isinstance(app.focused, ExperimentTree)


class _MixinApp(TuitrackApp):
    BINDINGS = [*TuitrackApp.BINDINGS, Binding("Z", "compare_stub", "Stub mixin action", id="test.stub")]

    def action_compare_stub(self) -> None:
        self.compared = self.selected_run_ids()


async def test_help_lists_bindings_including_mixin_keys(seeded, tmp_path):
    path, _ids = seeded
    async with browse(path, tmp_path, app_class=_MixinApp) as (app, pilot):
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        rows = {(key, what) for _, keys, what in app.screen.rows for key in keys.split(" / ")}
        for expected in [
            ("Z", "Stub mixin action"),
            ("c", "Compare"),
            ("t", "Tags"),
            ("s", "Sort"),
            ("space", "Mark"),
            ("/", "Filter"),
            ("r", "Refresh"),
            ("o", "Columns"),
            ("q", "Quit"),
            ("↓", "Down"),
            ("j", "Down"),
            ("tab", "Next pane"),
            ("?", "Help"),
        ]:
            assert expected in rows, expected
        await pilot.press("escape")
        assert app.screen is app.browser
        await pilot.press("Z")
        assert app.compared == [app.current_run_id()]


async def test_command_palette_lists_and_runs_actions(seeded, tmp_path):
    path, _ids = seeded
    async with browse(path, tmp_path, app_class=_MixinApp) as (app, pilot):
        titles = [t for t, _, _ in ActionsProvider(app.screen)._commands()]
        for title in (
            "Sort",
            "Mark",
            "Filter",
            "Refresh",
            "Columns",
            "Help",
            "Quit",
            "Stub mixin action",
            "Compare",
            "Detail",
        ):
            assert title in titles
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"Columns")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert isinstance(app.screen, ColumnsScreen)
        await pilot.press("escape")


async def test_column_chooser_and_state_remembered(seeded, tmp_path):
    path, _ids = seeded
    async with browse(path, tmp_path) as (app, pilot):
        keys = [c.key for c in app.browser.table.columns]
        assert keys[:5] == [
            "attributes.status",
            "attributes.run_name",
            "attributes.run_id",
            "attributes.start_time",
            "attributes.duration",
        ]
        assert {"params.max_depth", "params.note", "metrics.auc", "metrics.loss"} <= set(keys)
        kinds = [k.split(".")[0] for k in keys[5:]]
        assert kinds == sorted(kinds, key=lambda kind: kind != "metrics")  # metrics before params by default
        await pilot.press("o")
        screen = app.screen
        assert isinstance(screen, ColumnsScreen)
        screen.selection.deselect("metrics.loss")
        screen.selection.deselect("attributes.run_id")
        await pilot.press("enter")
        await pilot.pause()
        keys = [c.key for c in app.browser.table.columns]
        assert "metrics.loss" not in keys and "attributes.run_id" not in keys and "metrics.auc" in keys
        app.browser.apply_filter("metrics.auc > 0.5")
        await settle(pilot, app, lambda: app.current_filter != "")
    async with browse(path, tmp_path) as (app2, _pilot2):
        assert [c.key for c in app2.browser.table.columns] == keys
        assert app2.current_filter == "metrics.auc > 0.5"
        assert len(app2.browser.table.rids) == 5  # auc 0.71, 0.83, 0.91, 0.77, 0.6
    saved = json.loads(state_file(path, tmp_path / "state").read_text())
    assert saved["columns"] == keys and saved["filter"] == "metrics.auc > 0.5"
    assert not any(p.name.startswith("view-") for p in path.rglob("*"))  # nothing written into the store


async def test_broken_state_file_is_ignored(seeded, tmp_path):
    path, _ids = seeded
    target = state_file(path, tmp_path / "state")
    target.parent.mkdir(parents=True)
    target.write_text('{"version": 1, "columns": ["bogus"], "filter": "metrics.auc >", "sort_key": 5}')
    async with browse(path, tmp_path) as (app, _pilot):
        assert app.current_filter == ""
        assert "saved filter dropped" in app.browser.status.info.message
        assert len(app.browser.table.rids) == 10


async def test_q_quits(seeded, tmp_path):
    path, _ids = seeded
    store = Store(path)
    app = create_app(store, clock=lambda: NOW, state_dir=tmp_path / "state", live_interval=0)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("q")
        await pilot.pause(0.2)
        assert app._exit
    store.close()


# -- refresh and live refresh ------------------------------------------------------------------
async def test_r_refresh_keeps_cursor_and_sees_new_runs(seeded, tmp_path):
    path, _ids = seeded
    async with browse(path, tmp_path) as (app, pilot):
        await pilot.press("j", "j", "j", "j")
        before, line = app.current_run_id(), app.browser.table.cursor_line()
        with tuitrack.start_run(experiment="alpha", name="late") as run:
            run.log_metric("auc", 0.99)
        tuitrack.flush()
        await pilot.press("r")
        await settle(pilot, app, lambda: len(app.browser.table.rids) == 11)
        assert app.current_run_id() == before
        assert app.browser.table.cursor_line() in (line, line + 1)
        assert "late" in names(app)


async def test_live_refresh_updates_rows_in_place(seeded, tmp_path):
    path, _ids = seeded
    running = tuitrack.start_run(experiment="beta", name="training")
    running.log_metric("auc", 0.1, step=0)
    tuitrack.flush()
    async with browse(path, tmp_path, live=0.1) as (app, pilot):
        table = app.browser.table
        await pilot.press("j", "j", "j", "space")
        cursor, scroll, marks = app.current_run_id(), table.scroll_y, app.selected_run_ids()
        rid = next(r for r in table.rids if table.loaded_run(r).id == running.id)
        assert table.loaded_run(rid).info.display_status(NOW) == "RUNNING"
        running.log_metric("auc", 0.95, step=1)
        running.end()
        with tuitrack.start_run(experiment="alpha", name="fresh") as run:
            run.log_metric("auc", 0.5)
        tuitrack.flush()
        await settle(pilot, app, lambda: len(table.rids) == 12 and table.loaded_run(rid).info.status == "FINISHED")
        assert table.loaded_run(rid).data.metrics["auc"] == pytest.approx(0.95)
        assert "fresh" in names(app)
        assert app.selected_run_ids() == marks
        assert app.current_run_id() == cursor
        assert table.scroll_y == scroll
        row = table.rids.index(rid)
        assert "✔" in row_text(table, row) and "0.95" in row_text(table, row)


async def test_stale_running_run_shows_crashed(store_path, tmp_path):
    # The store clock stays at T0: the run's writer thread keeps beating while the app reads (its first beat
    # comes one flush interval after start_run), and every beat it writes says T0, an hour before the app's
    # NOW: the heartbeat of a process that stopped beating then.  (With the clock moved to NOW, that first
    # beat made the run fresh whenever it landed before the app's read: the test failed on a busy machine.)
    store_mod.set_clock(lambda: T0)
    run = tuitrack.start_run(experiment="alpha", name="dead")
    tuitrack.flush()
    async with browse(store_path, tmp_path) as (app, _pilot):
        assert "☠" in row_text(app.browser.table, 0)
    run.end()


# -- read-only and literal strings ----------------------------------------------------------------
async def test_read_only_store_shows_indicator_and_never_writes(seeded, tmp_path, rows_of):
    path, _ids = seeded
    tuitrack.flush()
    before = rows_of(path)
    files_before = sorted(p.name for p in path.iterdir())
    async with browse(path, tmp_path, read_only=True) as (app, pilot):
        assert app.store.read_only
        assert "READ-ONLY" in str(app.browser.status.render())
        await move_to_column(pilot, app.browser.table, "attributes.run_name")
        await pilot.press("s", "space", "r")
        await settle(pilot, app)
        app.browser.apply_filter("metrics.auc > 0.1")
        await settle(pilot, app, lambda: app.current_filter != "")
    assert rows_of(path) == before
    assert sorted(p.name for p in path.iterdir()) == files_before
    assert state_file(path, tmp_path / "state").exists()


async def test_user_strings_are_literal(seeded, tmp_path):
    path, ids = seeded
    async with browse(path, tmp_path) as (app, _pilot):
        table = app.browser.table
        texts = [row_text(table, i) for i in range(len(table.rids))]
        assert any(MARKUP_NAME in t for t in texts)
        assert any("evil^[[2Jname" in t for t in texts)
        assert not any("\x1b" in t for t in texts)
        app.browser.table.move_cursor(row=names(app).index(MARKUP_NAME))
        assert app.current_run_id() == ids[MARKUP_NAME]
        lines = [table.render_line(y) for y in range(table.size.height)]
        styles = [seg.style for strip in lines for seg in strip if MARKUP_NAME in seg.text]
        assert styles and all(not (s and s.color and s.color.name == "red" and s.bold) for s in styles)


async def test_param_markup_shown_literally_in_its_column(seeded, tmp_path):
    path, _ids = seeded
    async with browse(path, tmp_path, size=(200, 36)) as (app, pilot):
        table = app.browser.table
        table.move_cursor(row=names(app).index(MARKUP_NAME))
        await move_to_column(pilot, table, "params.note")
        assert "[link=x]y[/link]" in row_text(table, table.cursor_row)


# -- scale: the table only loads the visible window -------------------------------------------------
async def test_table_loads_only_a_window_of_rows(store_path, tmp_path):
    store_mod.set_clock(lambda: T0)
    writer = tracking._writable_store()
    exp = writer.experiment_id("big")
    for i in range(400):
        rid = writer.create_run(run_id=f"{i:032x}", experiment_id=exp, name=f"run{i}", start_time=T0 + i)
        writer.end_run(rid, "FINISHED", end_time=T0 + i + 10)
    async with browse(store_path, tmp_path, size=(100, 30)) as (app, pilot):
        table = app.browser.table
        assert len(table.rids) == 400
        assert len(table._runs) < 250
        await pilot.press("end")
        await settle(pilot, app)
        assert app.current_run_id() == f"{0:032x}"
        text = str(app.browser.status.render())
        assert "400 runs" in text and "rows" in text


def test_create_app_rejects_bad_arguments(seeded):
    path, _ = seeded
    store = Store(path)
    try:
        with pytest.raises(ValueError, match="live_interval"):
            create_app(store, live_interval=-1)
        with pytest.raises(TypeError, match="TuitrackApp subclass"):
            create_app(store, app_class=object)  # type: ignore[arg-type]
        assert isinstance(create_app(store), TuitrackApp)
        assert not math.isnan(create_app(store).clock())
    finally:
        store.close()


async def test_saved_column_order_beats_metrics_first_default(seeded, tmp_path):
    """A remembered choice with params before metrics is shown exactly as the user left it."""
    from tuitrack.tui.browser.state import ViewState, save_state

    path, _ids = seeded
    chosen = ["attributes.status", "attributes.run_name", "params.max_depth", "metrics.auc"]
    save_state(path, ViewState(columns=chosen), tmp_path / "state")
    async with browse(path, tmp_path) as (app, _pilot):
        assert [c.key for c in app.browser.table.columns] == chosen


async def test_sort_by_status_uses_the_displayed_status(store_path, tmp_path):
    """s on the status column sorts CRASHED (stale RUNNING) apart from RUNNING, with the app's clock."""
    st = Store(store_path, create=True)
    try:
        exp = st.experiment_id("live")
        for name, start, beat in (("stale", NOW - 4_000_000, NOW - 3_600_000), ("fresh", NOW - 5_000_000, NOW - 1000)):
            st.create_run(run_id=name.ljust(32, "0"), experiment_id=exp, name=name, start_time=start)
            with st.transaction() as conn:
                conn.execute("UPDATE runs SET heartbeat = ? WHERE run_id = ?", (beat, name.ljust(32, "0")))
        rid = st.create_run(run_id="done".ljust(32, "0"), experiment_id=exp, name="done", start_time=NOW - 6_000_000)
        st.end_run(rid, "FINISHED", end_time=NOW - 5_900_000)
    finally:
        st.close()
    async with browse(store_path, tmp_path) as (app, pilot):
        table = app.browser.table
        for _ in range(3):
            await pilot.press("left")
        assert table.cursor_column.key == "attributes.status"
        await pilot.press("s")
        await settle(pilot, app, lambda: app.browser.view.sort_key == "attributes.status")
        await settle(pilot, app, lambda: names(app)[0] == "stale")
        shown = [table.loaded_run(r).info.display_status(NOW) for r in table.rids]
        assert names(app) == ["stale", "done", "fresh"] and shown == ["CRASHED", "FINISHED", "RUNNING"]
        await pilot.press("s")  # reversed
        await settle(pilot, app, lambda: names(app)[0] == "fresh")
        assert names(app) == ["fresh", "done", "stale"]


async def test_a_view_change_right_before_quitting_is_still_remembered(seeded, tmp_path):
    """The state file is written shortly after a change, or at exit if the app quits first."""
    path, _ids = seeded
    async with browse(path, tmp_path) as (app, _pilot):
        app.browser.apply_filter("metrics.auc > 0.5")
        assert app.browser._state_timer is not None  # not written yet
    assert load_state(path, tmp_path / "state").filter == "metrics.auc > 0.5"


async def test_status_rows_follow_a_resize(seeded, tmp_path):
    """ "rows a-b" in the status line is what the table shows, also after the terminal changes size."""
    path, _ids = seeded
    async with browse(path, tmp_path) as (app, pilot):
        table, status = app.browser.table, app.browser.status
        await pilot.resize_terminal(100, 16)
        await pilot.pause(0.2)
        first, last = table.visible_range()
        assert (status.info.first, status.info.last) == (first, max(first, last - 1))
        assert last - first < 10  # the small terminal really shows fewer rows
