"""Issue 16, "the browser you can trust": one Pilot test (or more) per numbered item.

Each test drives the real app on the deterministic demo store (or a small store seeded here) the
way the issue's reproduction did, and asserts on what the user would see.
"""

from __future__ import annotations

import os
import pkgutil
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers import fresh_demo_store
from textual.widgets import Static
from tui_helpers import isolated_workdir, screen_render

import tuitrack.tui.screens
from tuitrack.store.core import Store
from tuitrack.tui.app import TuitrackApp, create_app
from tuitrack.tui.browser.run_detail import TABS, RunDetail
from tuitrack.tui.waits import settle_detail as settle
from tuitrack.tui.waits import wait_until

NOW = 1_717_000_000_000


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fresh_demo_store(tmp_path_factory.mktemp("demo16") / "store", NOW)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with isolated_workdir(tmp_path, monkeypatch):
        yield


@pytest.fixture
def demo(demo_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "store"
    shutil.copytree(demo_template, target)
    return target


def make_app(path: Path, **kw: object) -> TuitrackApp:
    return create_app(Store(path), clock=lambda: NOW, state_dir=path.parent / "view-state", live_interval=0, **kw)  # type: ignore[arg-type]


def screen_text(app: TuitrackApp) -> str:
    """The screen as plain text, as the terminal would show it."""
    return screen_render(app)[0]


def fully_laid_out(static: Static) -> bool:
    """The widget's height on screen is the height its content needs (no lines cut off)."""
    width = static.content_region.width
    static.clear_cached_dimensions()
    need = static.get_content_height(static.content_region.size, static.app.size, width)
    return static.content_region.height >= need


# -- 1. a FAILED run's traceback --------------------------------------------------------------------
async def test_1_traceback_shows_after_switching_tabs_from_artifacts(demo: Path) -> None:
    app = make_app(demo)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        detail = app.browser.query_one("#detail", RunDetail)
        await pilot.press("enter")  # the first run's detail, then its Artifacts tab, then back to the table
        await settle(pilot)
        await pilot.press(*["right_square_bracket"] * 4)
        assert detail.active_tab == "artifacts"
        await pilot.press("escape")
        await settle(pilot)
        app.browser.apply_filter("status = 'FAILED'")
        await settle(pilot, lambda: detail.run_id is not None and detail.data.run.info.status == "FAILED")
        await pilot.press("enter")
        await settle(pilot)
        # ] from Artifacts round to Overview: as many presses as tabs from Artifacts to the end (the Logs tab
        # of issue 17 made it three; a fixed two landed on Env)
        ids = [t[0] for t in TABS]
        await pilot.press(*["right_square_bracket"] * (len(ids) - ids.index("artifacts")))
        await settle(pilot)
        assert detail.active_tab == "overview"
        body = detail.query_one("#overview-body", Static)
        assert fully_laid_out(body), "the overview is cut: its traceback is not on screen"
        assert "RuntimeError: CUDA out of memory" in screen_text(app)


async def test_1_failed_header_names_the_exception(demo: Path) -> None:
    app = make_app(demo)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        app.browser.apply_filter("status = 'FAILED'")
        detail = app.browser.query_one("#detail", RunDetail)
        await settle(pilot, lambda: detail.data is not None and detail.data.run.info.status == "FAILED")
        header = screen_text(app).splitlines()[app.browser.query_one("#detail-header").region.y]
        assert "RuntimeError: CUDA out of memory" in header


# -- 3. a saved note shows at once --------------------------------------------------------------------
async def test_3_saved_note_shows_in_overview_at_once(demo: Path) -> None:
    app = make_app(demo)
    async with app.run_test(size=(120, 70)) as pilot:
        await settle(pilot)
        await pilot.press("j", "j")
        detail = app.browser.query_one("#detail", RunDetail)
        await settle(pilot, lambda: detail.run_id == app.current_run_id())
        detail.select_tab("tags")  # noted from another tab, then back to Overview
        await pilot.press("n")
        await settle(pilot, lambda: app.screen is not app.browser)
        await pilot.press(*"a fresh note")
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: detail.data is not None and detail.data.run.info.note == "a fresh note")
        detail.select_tab("overview")
        await settle(pilot)
        body = detail.query_one("#overview-body", Static)
        assert fully_laid_out(body), "the overview is cut: the new note is not on screen"
        assert "a fresh note" in screen_text(app)


# -- 2. typed input is never lost without asking ------------------------------------------------------
async def test_2_tag_editor_escape_asks_and_keep_editing_keeps_the_draft(demo: Path) -> None:
    from tuitrack.tui.dialogs.tag_editor import TagEditor
    from tuitrack.tui.dialogs.unsaved import UnsavedChanges

    app = make_app(demo)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        run_id = app.current_run_id()
        await pilot.press("t")
        await settle(pilot, lambda: isinstance(app.screen, TagEditor))
        editor = app.screen
        await pilot.press(*"stage=candidate", "enter", "escape")
        await wait_until(pilot, lambda: isinstance(app.screen, UnsavedChanges), "escape to ask first")
        assert isinstance(app.screen, UnsavedChanges), "escape dropped a staged tag without asking"
        await pilot.press("escape")  # keep editing
        await wait_until(pilot, lambda: app.screen is editor, "the editor back")
        assert app.screen is editor and editor.staged == {"stage": "candidate"}
        await pilot.press(*"owner=ada")  # typed, not yet entered: also kept
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, UnsavedChanges), "escape to ask again")
        await pilot.press("a")  # apply both
        await settle(pilot, lambda: app.store.get_run(run_id).data.tags.get("owner") == "ada")
        assert app.store.get_run(run_id).data.tags["stage"] == "candidate"


async def test_2_note_editor_escape_asks_and_d_discards(demo: Path) -> None:
    from textual.widgets import TextArea

    from tuitrack.tui.dialogs.note_editor import NoteEditor
    from tuitrack.tui.dialogs.unsaved import UnsavedChanges

    app = make_app(demo)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        run_id = app.current_run_id()
        before = app.store.get_run(run_id).info.note
        await pilot.press("n")
        await settle(pilot, lambda: isinstance(app.screen, NoteEditor))
        app.screen.query_one(TextArea).insert("draft")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, UnsavedChanges), "escape to ask first")
        assert isinstance(app.screen, UnsavedChanges)
        await pilot.press("d")
        await settle(pilot, lambda: app.screen is app.browser)
        assert app.store.get_run(run_id).info.note == before


async def test_2_filter_history_brings_back_an_escaped_draft_and_is_kept_per_store(demo: Path) -> None:
    from tuitrack.tui.browser.filter_bar import FilterBar

    app = make_app(demo)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        bar = app.browser.query_one(FilterBar)
        await pilot.press("slash", *"metrics.auc > 0.85", "enter")
        await settle(pilot)
        await pilot.press("slash", "ctrl+u", *"params.max_depth = 20", "escape")  # escape: typed text not lost
        await settle(pilot)
        assert app.browser.view.filter == ""
        await pilot.press("slash", "up")
        assert bar.input.value == "params.max_depth = 20"
        await pilot.press("up")
        assert bar.input.value == "metrics.auc > 0.85"
        await pilot.press("down", "down")
        assert bar.input.value == ""
        await pilot.press("escape")
        await settle(pilot)
    app = make_app(demo)  # a new session on the same store remembers them
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("slash", "up", "up")
        assert app.browser.query_one(FilterBar).input.value == "metrics.auc > 0.85"


# -- 4. a kill -9'd run on this machine shows CRASHED at once -------------------------------------------
async def test_4_run_whose_local_process_is_gone_shows_crashed_at_once(store_path: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    from tuitrack.tracking.capture import host

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a pid no process has any more
    st = Store(store_path, create=True)
    exp = st.experiment_id("e")
    now = int(time.time() * 1000)  # as the killed training process left them: RUNNING, heartbeat fresh
    for i, (name, pid, where) in enumerate(
        [("killed", dead.pid, host()), ("other_host", dead.pid, "gpu-box-9"), ("alive", os.getpid(), host())]
    ):
        st.create_run(run_id=f"{i:032x}", experiment_id=exp, name=name, start_time=now - i, host=where, pid=pid)
    st.close()
    app = create_app(Store(store_path), state_dir=tmp_path / "state", live_interval=0)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        table = app.browser.table
        status = {table.loaded_run(r).info.run_name: row_status(table, i) for i, r in enumerate(table.rids)}
        assert status == {"killed": "☠", "other_host": "▶", "alive": "▶"}
        app.browser.apply_filter("run_name = 'killed'")
        detail = app.browser.query_one("#detail", RunDetail)
        await settle(pilot, lambda: detail.data is not None and detail.data.run.info.run_name == "killed")
        assert detail.data.status == "CRASHED"
        assert f"its process {dead.pid} on this machine is gone" in screen_text(app)


def row_status(table, index: int) -> str:
    """The status glyph the table draws on row ``index``."""
    from tuitrack.tui.browser.run_columns import cell

    return cell(table.run_at(index), table.columns[0], table.now_ms, False)[0].strip()


# -- 5. no partial numbers at the edges -----------------------------------------------------------------
def _whole_tokens(run, table) -> set[str]:
    """Every word a cell of ``run`` may show whole (a cut text cell ends in '…')."""
    from tuitrack.tui.browser.run_columns import cell

    words: set[str] = set()
    for col in table.columns:
        words.update(cell(run, col, table.now_ms, False)[0].split())
    return words


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (120, 36)])
async def test_5_scrolling_sideways_never_shows_part_of_a_value(demo: Path, size) -> None:
    from tuitrack.tui.browser.run_columns import FIXED_KEYS

    app = make_app(demo)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        table = app.browser.table
        width = table.scrollable_content_region.width
        labels = {w for c in table.columns for w in c.label.split()}
        for step in [*["right"] * len(table.columns), *["left"] * len(table.columns)]:
            await pilot.press(step)
            first, last = table.visible_range()
            header = "".join(s.text for s in table._header_strip(width))[table._fixed_width :]
            for word in header.replace("▼", " ").replace("▲", " ").split():
                assert word in labels or word.endswith("…"), f"header shows {word!r}, part of a column name"
            for index in range(first, last):
                run = table.run_at(index)
                if run is None:
                    continue
                text = "".join(s.text for s in table._row_strip(index, width))[table._fixed_width :]
                allowed = _whole_tokens(run, table)
                for word in text.split():
                    assert word in allowed or (word.endswith("…") and any(a.startswith(word[:-1]) for a in allowed)), (
                        f"{run.info.run_name}: {word!r} is part of a value (cursor column {table.cursor_col})"
                    )
            assert table.cursor_column.key in FIXED_KEYS or table.cursor_col in table._shown_columns(width)[0]


def _cells(text: str, start: int, end: int | None = None) -> str:
    """The characters of ``text`` from terminal cell ``start`` to ``end`` (wide characters take two)."""
    from rich.cells import get_character_cell_size

    out, x = [], 0
    for ch in text:
        if x >= start and (end is None or x < end):
            out.append(ch)
        x += get_character_cell_size(ch)
    return "".join(out)


def _compare_lines(app: TuitrackApp, table) -> list[tuple[str, list[str]]]:
    """Each line of a table (compare, groups) as the terminal shows it, with the whole texts of its cells."""
    lines = screen_text(app).splitlines()
    region = table.region
    width = table.scrollable_content_region.width
    out = [(_cells(lines[region.y], region.x, region.x + width), [c.label.plain for c in table.ordered_columns])]
    for y in range(1, region.height):
        row = int(table.scroll_y) + y - 1
        if row >= table.row_count:
            break
        texts = [cell.plain for cell in table.get_row_at(row)]
        out.append((_cells(lines[region.y + y], region.x, region.x + width), texts))
    return out


def _assert_whole_cells(app: TuitrackApp, table) -> None:
    """Every cell of ``table`` on screen is its whole text, and nothing is drawn after the last whole column."""
    for line, texts in _compare_lines(app, table):
        whole = {word for text in texts for word in text.split()}
        for word in line.split():
            assert word in whole, f"{word!r} is part of a cell ({line!r})"
    window = table.window()
    widths = [c.get_render_width(table) for c in table.ordered_columns]
    drawn = [*range(window.fixed), *range(window.first, window.last + 1)]
    for line, texts in _compare_lines(app, table):
        x = 0
        for i in drawn:
            assert _cells(line, x, x + widths[i]).strip() == texts[i].strip(), (line, texts[i])
            x += widths[i]
        assert not _cells(line, x).strip(), f"{_cells(line, x)!r} drawn after the last whole column"


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
async def test_5_compare_draws_only_whole_run_columns_and_says_which(demo: Path, size) -> None:
    """At 80 columns compare cut its third run's column at the right edge (``83c50ae`` for an id): only whole
    columns are drawn, the title says which runs are on screen, and the cursor scrolls by whole columns."""
    from tuitrack.tui.screens.compare import CompareScreen

    app = make_app(demo)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("space", "space", "space", "c")
        await settle(pilot, lambda: isinstance(app.screen, CompareScreen) and app.screen.comparison is not None)
        screen = app.screen
        table = screen.query_one("#compare-table")
        await wait_until(pilot, lambda: table.row_count > 0, "the compare table's rows")
        seen: set[int] = set()
        for key in ["l", "l", "l", "h", "h", "h", "right", "right", "left", "left"]:
            _assert_whole_cells(app, table)
            window = table.window()
            assert window.count == 3 and not window.cut
            assert window.first <= table.cursor_column <= window.last or table.cursor_column == 0
            seen.update(range(window.first, window.last + 1))
            title = str(screen.query_one("#compare-title", Static).render())
            if window.left or window.right:
                first, last = window.first - window.fixed + 1, window.last - window.fixed + 1
                left, right = "← " if window.left else "", " →" if window.right else ""
                assert f"{left}runs {first}-{last} of 3{right}" in title, title
            else:
                assert " of 3" not in title and "→" not in title and "←" not in title, title
            await pilot.press(key)
            await pilot.pause(0.05)
        assert seen == {1, 2, 3}, "the cursor reaches every run's column"
        if size[0] == 80:
            assert not table.show_horizontal_scrollbar


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
async def test_5_groups_draw_only_whole_metric_columns_and_say_which(demo: Path, size) -> None:
    """At 80x24 the groups table's label column (every run of the demo: 13 params vary) was wider than the
    screen: no number showed, a ``▉`` scrollbar did, and at 120 columns the first metric was cut
    (``[0.8375–0.``).  The label is cut to leave room for a whole metric column, only whole columns are
    drawn, ``←``/``→`` (``h``/``l``) move them a column at a time from the picker or the table, the status
    line says which are on screen, and the highlighted group's whole label is under the table."""
    from tuitrack.tui.screens import groups
    from tuitrack.tui.screens.groups import GroupsScreen

    app = make_app(demo)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot, lambda: isinstance(app.screen, GroupsScreen) and app.screen.loaded)
        screen = app.screen
        table = screen.query_one("#groups-table")
        await wait_until(pilot, lambda: table.row_count == len(screen.groups) > 1, "the groups table's rows")
        await pilot.pause(0.05)
        metrics = len(table.columns) - 2
        first_value = table.get_row_at(0)[2].plain.split()[0]
        assert first_value in screen_text(app), "no number of the first metric column on screen"
        _assert_whole_cells(app, table)
        assert metrics > 1 and not table.show_horizontal_scrollbar
        seen: set[int] = set()
        cut_labels = 0
        keys = ["l", "l", "right", "h", "left", "left"]  # with the picker focused (as the screen opens)
        keys += ["focus", *["l"] * metrics, "home", "end", "h", "j", "j"]  # then in the table itself
        for key in keys:
            _assert_whole_cells(app, table)
            window = table.window()
            assert window.count == metrics and not window.cut and window.last >= window.first
            seen.update(range(window.first, window.last + 1))
            status = str(screen.query_one("#groups-status", Static).render())
            if window.left or window.right:
                first, last = window.first - 1, window.last - 1
                which = f"metrics {first}-{last}" if last > first else f"metric {first}"
                left, right = "← " if window.left else "", " →" if window.right else ""
                assert f"{left}{which} of {metrics}{right}" in status, status
            else:
                assert f"of {metrics}" not in status and "→" not in status, status
            row = screen.query_one("#groups-row", Static)  # "■ 3 runs  ·  learning_rate=0.03", wrapped
            group = screen.groups[table.cursor_row]
            count, body = " ".join(str(row.render()).split()).split(" · ", 1)
            label = " ".join(screen.group_label(group).split())
            assert count == f"■ {len(group.runs)} run{'s' if len(group.runs) > 1 else ''}"
            if body.endswith("…"):  # longer than ROW_LINES lines: the whole label is the line's tooltip
                cut_labels += 1
                assert len(str(row.render()).splitlines()) == groups.ROW_LINES and row.tooltip == screen.group_label(
                    group
                )
                assert label.startswith(body[:-1])
            else:
                assert body == label
            if key == "focus":
                table.focus()
            else:
                await pilot.press(key)
            await pilot.pause(0.05)
        assert seen == set(range(2, 2 + metrics)), "every metric column is reached"
        assert cut_labels or size[0] > 80, "at 80 columns the demo's labels are longer than three lines"
        assert not table.show_horizontal_scrollbar
        cut = screen.label_cells
        for other in [(200 if size[0] == 80 else 80, size[1]), size]:  # the labels are cut anew, and back
            await pilot.resize_terminal(*other)
            await wait_until(pilot, lambda o=other: tuple(app.size) == o, "the resized screen")
            await pilot.pause(0.1)
            _assert_whole_cells(app, table)
        assert screen.label_cells == cut, "the same size cuts the labels as when the screen opened"


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
async def test_5_experiment_tree_cuts_long_names_and_never_scrolls_sideways(
    demo: Path, size, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 80x24 the tree had a horizontal scrollbar (a stray ``▉`` under NO_COLOR): a long name ends in ``…``,
    its count whole, and the whole name is in the status line and the node's tooltip."""
    from tuitrack.tui.browser.experiment_tree import ExperimentTree
    from tuitrack.tui.browser.status_line import StatusLine

    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(demo)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        tree = app.browser.query_one(ExperimentTree)
        tree.root.expand_all()
        await pilot.pause(0.05)
        assert not tree.show_horizontal_scrollbar
        assert tree.virtual_size.width <= tree.scrollable_content_region.width
        lines = screen_text(app).splitlines()
        region = tree.region
        drawn = [_cells(lines[region.y + y], region.x, region.right) for y in range(region.height)]
        assert "▉" not in "".join(drawn), drawn
        cut = []
        for line in range(tree.last_line + 1):
            node = tree.get_node_at_line(line)
            count, _, name = node.label.plain.partition(" ")
            shown = drawn[line].rstrip("▕ ").split(f"{count} ", 1)
            assert len(shown) == 2, f"the count of {name!r} is cut: {drawn[line]!r}"
            assert shown[1] == name or (shown[1].endswith("…") and name.startswith(shown[1][:-1])), drawn[line]
            if shown[1] != name:
                cut.append(node)
        if size[0] == 80:
            assert cut, "the demo's experiment names are longer than the tree at 80 columns"
        for node in cut:
            tree.focus()
            tree.move_cursor(node)
            await settle(pilot, lambda n=node: app.browser.scope == n.data)
            status = str(app.browser.query_one(StatusLine).render_info(app.browser.status.info))
            assert node.data.label in status
            tree.hover_line = node.line
            assert tree.tooltip == node.data.label


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
async def test_5_runs_table_says_which_columns_are_on_screen(demo: Path, size) -> None:
    """The runs table scrolls by whole columns, but nothing said more columns were off to the side: the status
    line says which are on screen and which way the others are (``cols 1-3 of 25 →``), as compare does."""
    from tuitrack.tui.browser.run_columns import FIXED_KEYS

    app = make_app(demo)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        table = app.browser.table
        fixed = sum(1 for c in table.columns if c.key in FIXED_KEYS)
        count = len(table.columns) - fixed
        arrows: set[str] = set()
        for key in [*["l"] * len(table.columns), *["h"] * len(table.columns)]:
            lines = screen_text(app).splitlines()
            status = lines[app.browser.status.region.y]
            match = re.search(r"(← )?cols? (\d+)(?:-(\d+))? of (\d+)( →)?", status)
            assert match, f"the status line does not say which columns show: {status!r}"
            first, last = int(match.group(2)), int(match.group(3) or match.group(2))
            assert int(match.group(4)) == count
            assert bool(match.group(1)) == (first > 1) and bool(match.group(5)) == (last < count), status
            arrows.update(a.strip() for a in (match.group(1), match.group(5)) if a)
            header = lines[table.region.y]
            for i in (first, last):  # the columns it names are the ones the header shows
                label = table.columns[fixed + i - 1].label
                assert label[: min(4, len(label))] in header, (label, header, status)
            if table.cursor_column.key not in FIXED_KEYS:
                assert first <= table.cursor_col - fixed + 1 <= last, "the cursor's column is on screen"
            await pilot.press(key)
            await pilot.pause(0.02)
        assert arrows == {"←", "→"}


async def test_5_the_column_hint_gives_way_to_the_sort_and_filter_at_80x24(demo: Path) -> None:
    """On a narrow terminal the status line's end is cut: what decides the rows (sort, filter) comes before the
    column window, so a filter in force is never the part that is hidden."""
    app = make_app(demo)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.browser.apply_filter("metrics.accuracy > 0.8")
        await settle(pilot, lambda: app.browser.view.filter == "metrics.accuracy > 0.8")
        status = screen_text(app).splitlines()[app.browser.status.region.y]
        assert "sort: start ▼" in status and "filter: metrics.accuracy > 0.8" in status, status


def test_5_the_status_line_drops_whole_parts_to_fit_and_keeps_their_order() -> None:
    from rich.cells import cell_len

    from tuitrack.tui.browser.status_line import StatusInfo, StatusLine

    info = StatusInfo(
        store="/home/u/.tuitrack",
        shown=21,
        total=21,
        first=0,
        last=10,
        read_only=True,
        refreshed="12:00:01",
        sort="auc ▼",
        filter="metrics.auc > 0.8",
        columns=(1, 3, 25),
    )
    full = StatusLine.render_info(info).plain
    assert StatusLine.render_info(info, cell_len(full)).plain == full  # fits exactly: nothing dropped
    parts = [p.strip() for p in full.replace(" READ-ONLY ", "READ-ONLY · ", 1).split(" · ")]
    for width in range(20, cell_len(full) + 1):
        line = StatusLine.render_info(info, width).plain
        kept = [p.strip() for p in line.replace(" READ-ONLY ", "READ-ONLY · ", 1).split(" · ")]
        assert kept == [p for p in parts if p in kept], (width, line)  # whole parts, in their order
        essential = {"READ-ONLY", "21 runs", "sort: auc ▼", "filter: metrics.auc > 0.8"}
        assert essential <= set(kept), (width, line)
        assert cell_len(line) <= width or set(kept) == essential, (width, line)  # else only the cut is left


# -- 6. the sort always shows, and a new sort starts at its top -------------------------------------------
async def test_6_sort_arrow_status_and_top_at_80x24(demo: Path) -> None:
    from tuitrack.tui.browser.status_line import StatusLine

    app = make_app(demo)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.browser.table
        await pilot.press(*["j"] * 12)  # well down the list, as after browsing
        while table.cursor_column.key != "metrics.accuracy":  # its name fills its column
            await pilot.press("l")
        await pilot.press("s")
        await settle(pilot, lambda: app.browser.view.sort_key == "metrics.accuracy")
        width = table.scrollable_content_region.width
        header = "".join(s.text for s in table._header_strip(width))
        assert "accura…▼" in header or "accuracy▼" in header, header
        status = str(app.browser.query_one(StatusLine).render_info(app.browser.status.info))
        assert "sort: accuracy ▼" in status
        assert (table.cursor_row, int(table.scroll_y)) == (0, 0), "the best runs are scrolled off the top"
        top_level = [r for r in table.rids if r not in table.depth]  # children list under their parent (13)
        best = max(table.loaded_run(r).data.metrics.get("accuracy", -1) for r in top_level)
        assert table.cursor_run.data.metrics["accuracy"] == best


# -- 8. compare fits its runs ---------------------------------------------------------------------------
@pytest.mark.parametrize("size,fit", [((120, 36), 3), ((80, 24), 2)])
async def test_8_compare_three_runs_fit_and_system_tags_hide(demo: Path, size, fit) -> None:
    from textual.widgets import DataTable

    from tuitrack.tui.screens.compare import CompareScreen

    platform = "Linux-6.8.0-1019-azure-x86_64-with-glibc2.39 (a long tuitrack.platform tag)"
    st = Store(demo)
    runs = [r.info.run_id for r in st.search_runs(filter_string="run_name LIKE 'grid_%'")][:3]
    for run_id in runs:
        st.set_tags(st.rid(run_id), {"tuitrack.platform": platform})
    st.close()
    app = make_app(demo)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        app.browser.apply_filter("attributes.run_id IN (" + ", ".join(f"'{r}'" for r in runs) + ")")
        await settle(pilot, lambda: len(app.browser.table.rids) == 3)
        await pilot.press("space", "space", "space", "c")
        await settle(pilot, lambda: isinstance(app.screen, CompareScreen) and app.screen.comparison is not None)
        screen = app.screen
        assert screen.diff_only, "3 runs: differences first"
        table = screen.query_one(DataTable)
        labels = [str(table.get_row_at(i)[0].plain) for i in range(table.row_count)]
        assert not any("tuitrack." in label for label in labels), "system tags shown by default"
        widths = [c.get_render_width(table) for c in table.ordered_columns]
        shown = sum(1 for i in range(1, len(widths)) if sum(widths[: i + 1]) <= table.size.width)
        assert shown >= fit, f"only {shown} of 3 runs fit in {size[0]} columns ({widths})"
        await pilot.press("s")  # system tags on demand, cut in the cell, whole under the table
        labels = [str(table.get_row_at(i)[0].plain) for i in range(table.row_count)]
        await pilot.press("d")
        labels = [str(table.get_row_at(i)[0].plain) for i in range(table.row_count)]
        row = next(i for i, label in enumerate(labels) if "tags.tuitrack.platform" in label)
        table.move_cursor(row=row, column=1)
        await pilot.pause(0.05)
        assert platform in str(screen.query_one("#compare-value", Static).render())


# -- 7. NO_COLOR: readable everywhere, chart series told apart by glyph -----------------------------------
def _low_contrast(app: TuitrackApp) -> list[str]:
    """Text cells whose foreground grey is within 100 levels of their background grey."""
    from rich.segment import Segment
    from textual.color import Color

    bad = []
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)

    def segments(line):
        for part in line:
            if isinstance(part, Segment):
                yield part
            else:
                yield from segments(part)

    for strip in update.strips:
        for seg in segments(strip):
            style = seg.style
            if not seg.text.strip() or style is None or style.color is None or style.bgcolor is None:
                continue
            fg, bg = Color.from_rich_color(style.color), Color.from_rich_color(style.bgcolor)
            if style.reverse:
                fg, bg = bg, fg
            if abs(fg.monochrome.r - bg.monochrome.r) < 100:
                bad.append(f"{seg.text.strip()[:20]!r} {fg.monochrome.r} on {bg.monochrome.r}")
    return bad


async def test_7_no_color_every_screen_readable_and_chart_series_by_glyph(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tuitrack.tui.screens.charts import ChartsScreen
    from tuitrack.tui.screens.groups import GroupsScreen
    from tuitrack.tui.widgets.metric_chart import MetricChart

    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(demo)
    async with app.run_test(size=(120, 36)) as pilot:
        assert app.no_color
        await settle(pilot)
        await pilot.press("j")
        await settle(pilot)
        assert _low_contrast(app) == [], "browser"
        await pilot.press("enter")
        await settle(pilot)
        assert _low_contrast(app) == [], "run detail"
        await pilot.press("escape")
        app.browser.apply_filter("run_name LIKE 'grid_%'")
        await settle(pilot)
        await pilot.press("space", "space", "space", "c")
        await settle(pilot, lambda: app.screen is not app.browser)
        assert _low_contrast(app) == [], "compare"
        await pilot.press("escape", "v")
        await settle(pilot, lambda: isinstance(app.screen, ChartsScreen) and app.screen.loaded)
        await pilot.pause(0.2)
        assert _low_contrast(app) == [], "charts"
        markers = [s.marker for s in app.screen.query_one(MetricChart).spec.series]
        assert len(markers) == 3 and len(set(markers)) == 3 and "braille" not in markers
        await pilot.press("escape", "question_mark")
        await pilot.pause(0.2)
        assert _low_contrast(app) == [], "help"
        await pilot.press("escape", "a", "l")  # groups, its metric columns moved: the status line's indicator
        await settle(pilot, lambda: isinstance(app.screen, GroupsScreen) and app.screen.loaded)
        await pilot.pause(0.2)
        assert "← metric" in str(app.screen.query_one("#groups-status", Static).render())
        assert _low_contrast(app) == [], "groups"


# -- 9. one keyboard model ------------------------------------------------------------------------------
async def test_9_vim_keys_in_every_list_tabs_from_the_table_and_q_goes_back(demo: Path) -> None:
    from textual.widgets import DataTable, SelectionList

    from tuitrack.tui.browser.experiment_tree import ExperimentTree
    from tuitrack.tui.dialogs.confirm import ConfirmScreen
    from tuitrack.tui.screens.charts import ChartsScreen
    from tuitrack.tui.screens.compare import CompareScreen

    app = make_app(demo)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        table = app.browser.table
        detail = app.browser.query_one("#detail", RunDetail)
        await pilot.press("G")
        assert table.cursor_row == len(table.rids) - 1
        await pilot.press("g")
        assert table.cursor_row == 0
        await pilot.press("right_square_bracket", "right_square_bracket")  # tabs without enter first
        assert detail.active_tab == "metrics" and table.has_focus
        await pilot.press("left_square_bracket")
        assert detail.active_tab == "params"
        # the tree: h folds, l unfolds, g/G ends
        tree = app.browser.query_one(ExperimentTree)
        tree.focus()
        await pilot.press("G")
        assert tree.cursor_line == tree.last_line
        node = tree.cursor_node  # the experiment with a sweep under it
        assert node.children and not node.is_expanded
        await pilot.press("l")
        assert node.is_expanded
        await pilot.press("h")
        assert not node.is_expanded
        await pilot.press("h")
        assert tree.cursor_node is tree.root
        await pilot.press("G", "g")
        assert tree.cursor_line == 0
        table.focus()
        app.browser.apply_filter("run_name = 'baseline_rf'")  # a run with artifacts
        await settle(pilot, lambda: len(table.rids) == 1)
        # artifact list: j/k
        await pilot.press("enter")
        await settle(pilot)
        detail.select_tab("artifacts")
        await pilot.pause(0.05)
        artifacts = detail.query_one("#artifact-list", DataTable)
        assert artifacts.has_focus
        assert artifacts.row_count > 2
        await pilot.press("j", "j")
        assert artifacts.cursor_row == 2
        await pilot.press("k", "G")
        assert artifacts.cursor_row == artifacts.row_count - 1
        await pilot.press("q")  # from the opened detail: back, not quit
        await settle(pilot)
        assert not app._exit and table.display and table.has_focus
        # charts: the metric picker takes j/k; q goes back
        await pilot.press("v")
        await settle(pilot, lambda: isinstance(app.screen, ChartsScreen) and app.screen.loaded)
        picker = app.screen.query_one("#metric-picker", SelectionList)
        assert picker.has_focus
        await pilot.press("g")
        assert picker.highlighted == 0
        await pilot.press("j", "j", "k")
        assert picker.highlighted == 1
        await pilot.press("q")
        await settle(pilot)
        assert app.screen is app.browser and not app._exit
        # compare: j/k move the cell cursor; q back
        await pilot.press("c")
        await settle(pilot, lambda: isinstance(app.screen, CompareScreen) and app.screen.comparison is not None)
        compare = app.screen.query_one(DataTable)
        row = compare.cursor_row
        await pilot.press("j")
        assert compare.cursor_row == row + 1
        await pilot.press("q")
        await settle(pilot)
        assert app.screen is app.browser
        # quitting with marks asks first
        await pilot.press("space", "q")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "q to ask first")
        assert isinstance(app.screen, ConfirmScreen) and not app._exit
        await pilot.press("n")
        await wait_until(pilot, lambda: app.screen is app.browser, "the browser back")
        assert app.screen is app.browser and list(table.marks)


# -- 10. marks: all, none, and the ones out of view ------------------------------------------------------
async def test_10_mark_all_clear_all_and_marks_out_of_view_are_said(demo: Path) -> None:
    from tuitrack.tui.browser.status_line import StatusLine

    app = make_app(demo)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        table = app.browser.table
        status = app.browser.query_one(StatusLine)
        app.browser.apply_filter("run_name LIKE 'grid_%'")
        await settle(pilot, lambda: len(table.rids) == 4)
        await pilot.press("A")
        await settle(pilot, lambda: len(table.marks) == 4)
        assert "4 marked" in str(status.render_info(status.info))
        app.browser.apply_filter("run_name = 'grid_n100_d10'")
        await settle(pilot, lambda: len(table.rids) == 1)
        assert "4 marked, 3 not in view" in str(status.render_info(status.info))
        await pilot.press("c")
        await settle(pilot, lambda: app.screen is not app.browser)
        assert any("4 marked, 3 not in view: comparing all 4" in n.message for n in app._notifications)
        await pilot.press("escape", "U")
        await settle(pilot)
        assert not table.marks and "marked" not in str(status.render_info(status.info))


# -- 11. charts open on histories and remember the pick; groups by what varies ----------------------------
async def test_11_charts_open_on_histories_and_remember_groups_by_what_varies(demo: Path) -> None:
    from textual.widgets import SelectionList

    from tuitrack.tui.screens.charts import ChartsScreen
    from tuitrack.tui.screens.groups import GroupsScreen

    app = make_app(demo)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        app.browser.apply_filter("run_name = 'xgb_lr_sweep' OR run_name LIKE 'grid_%'")  # best_auc: one point
        await settle(pilot, lambda: len(app.browser.table.rids) == 5)
        await pilot.press("A")
        await settle(pilot, lambda: len(app.browser.table.marks) == 5)
        await pilot.press("v")
        await settle(pilot, lambda: isinstance(app.screen, ChartsScreen) and app.screen.loaded)
        charts = app.screen
        assert charts.selected and all("loss" in k for k in charts.selected), charts.selected
        picker = charts.query_one("#metric-picker", SelectionList)
        picker.deselect_all()
        picker.select("accuracy")
        await settle(pilot)
        assert charts.selected == ["accuracy"]
        await pilot.press("escape")
        await settle(pilot)
        app.browser.apply_filter("run_name LIKE 'grid_%'")
        await settle(pilot, lambda: len(app.browser.table.rids) == 4)
        await pilot.press("U", "v")
        await settle(pilot, lambda: isinstance(app.screen, ChartsScreen) and app.screen.loaded)
        assert app.screen.selected == ["accuracy"], "the metrics picked last time in this store"
        await pilot.press("escape")
        app.browser.apply_filter("parent_id IS NOT NULL")  # the sweep: learning_rate and seed vary
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot, lambda: isinstance(app.screen, GroupsScreen) and app.screen.loaded)
        assert app.screen.by == ["learning_rate"]


# -- 12. dialogs say what they act on, in full --------------------------------------------------------------
async def test_12_delete_lists_its_runs_titles_name_ids_help_in_words(demo: Path) -> None:
    from textual.widgets import Label

    from tuitrack.tui.dialogs.confirm import ConfirmScreen
    from tuitrack.tui.dialogs.help import HelpScreen
    from tuitrack.tui.dialogs.tag_editor import TagEditor
    from tuitrack.tui.screens.charts import ChartsScreen

    app = make_app(demo)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.browser.apply_filter("run_name LIKE 'grid_%'")
        await settle(pilot, lambda: len(app.browser.table.rids) == 4)
        await pilot.press("space", "space", "space", "d")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        dialog = app.screen
        runs = [app.browser.table.loaded_run(r) for r in app.browser.table.rids[:3]]
        text = screen_text(app)
        for run in runs:
            assert f"{run.info.run_name} ({run.info.run_id[:8]})" in text
        assert fully_laid_out(dialog.query_one("#confirm-detail", Label))
        assert "restores it." in text, "the dialog's sentence is cut"
        await pilot.press("n", "U", "t")
        await settle(pilot, lambda: isinstance(app.screen, TagEditor))
        run = app.browser.table.cursor_run
        assert f"({run.info.run_id[:8]})" in str(app.screen.query_one("#tag-title", Label).render())
        await pilot.press("escape", "v")
        await settle(pilot, lambda: isinstance(app.screen, ChartsScreen) and app.screen.loaded)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help screen")
        assert isinstance(app.screen, HelpScreen)
        places = {where for where, _, _ in app.screen.rows}
        assert not any(p.endswith("Screen") or "CheckList" in p or "KeyTable" in p for p in places), places
        assert {"Charts", "List"} <= places


# -- 13. small things ------------------------------------------------------------------------------------------
def test_13_show_prints_note_lines_not_escapes(demo: Path) -> None:
    from click.testing import CliRunner

    from tuitrack.cli.main import main
    from tuitrack.curation import core as curation

    st = Store(demo)
    run_id = st.search_runs(filter_string="run_name = 'baseline_rf'")[0].info.run_id
    curation.set_note(st, run_id, "first line\nsecond line")
    st.close()
    out = CliRunner().invoke(main, ["show", run_id, "--store", str(demo)], catch_exceptions=False).output
    assert "\\x0a" not in out
    assert "Note:\n  first line\n  second line" in out


async def test_13_one_run_tree_icons_export_path_and_columns_back_in_view(demo: Path) -> None:
    from tuitrack.tui.browser.columns import ColumnsScreen
    from tuitrack.tui.browser.experiment_tree import ExperimentTree
    from tuitrack.tui.dialogs.path_prompt import PathPrompt
    from tuitrack.tui.screens.compare import CompareScreen

    app = make_app(demo)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        tree = app.browser.query_one(ExperimentTree)
        assert "▶" not in tree.ICON_NODE + tree.ICON_NODE_EXPANDED  # ▶ means RUNNING in the table
        table = app.browser.table
        await pilot.press(*["l"] * len(table.columns))  # far right: the id column scrolled out
        assert table.scroll_origin() > 0
        await pilot.press("o")
        await settle(pilot, lambda: isinstance(app.screen, ColumnsScreen))
        await pilot.press("n", "enter")  # the basics only: everything fits
        await settle(pilot, lambda: app.screen is app.browser)
        width = table.scrollable_content_region.width
        assert table.scroll_origin() == 0 and " id " in "".join(s.text for s in table._header_strip(width))
        app.browser.apply_filter("run_name = 'baseline_rf'")
        await settle(pilot, lambda: len(table.rids) == 1)
        await pilot.press("c")
        await settle(pilot, lambda: isinstance(app.screen, CompareScreen) and app.screen.comparison is not None)
        assert "Compare 1 run " in screen_text(app) and not re.search(r"(?<!\d)1 runs", screen_text(app))
        assert any("comparing the 1 run of the filter" in n.message for n in app._notifications)
        await pilot.press("e")
        await settle(pilot, lambda: isinstance(app.screen, PathPrompt))
        value = app.screen.query_one("Input").value
        assert Path(value).is_absolute() and Path(value).parent == Path.cwd().resolve()


async def test_13_child_runs_list_under_their_parent_whatever_the_sort(demo: Path) -> None:
    """The sweep's runs start after their parent: newest first listed them above it, and any sort scattered them."""
    from tuitrack.tui.browser.run_columns import order_expr

    app = make_app(demo)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        table = app.browser.table

        def check(sort: str) -> None:
            names = [table.loaded_run(rid).info.run_name for rid in table.rids]
            at = names.index("xgb_lr_sweep")
            children = [n for n in names if n.startswith("lr0.")]
            assert len(children) == 9 and names[at + 1 : at + 10] == children, (sort, names)  # right after it
            assert [table.depth.get(rid, 0) for rid in table.rids] == [1 if n.startswith("lr0.") else 0 for n in names]
            parent = table.loaded_run(table.rids[at]).info.run_id  # the children follow the sort too
            order = order_expr(app.browser.view.sort_key, app.browser.view.sort_desc)
            assert table.rids[at + 1 : at + 10] == app.store.search_rids(f"parent_id = '{parent}'", order), sort

        check("newest first")
        lines = screen_text(app).splitlines()
        at = next(i for i, line in enumerate(lines) if "xgb_lr_sweep" in line)
        assert all("↳ lr0." in line for line in lines[at + 1 : at + 10]), lines  # marked on screen
        for key in ("metrics.auc", "attributes.run_name"):
            table.move_cursor(col=[c.key for c in table.columns].index(key))
            await pilot.press("s")  # auc: best first; name: A-Z
            await settle(pilot, lambda key=key: table.sort_key == key and not app.browser.partial)
            check(key)
            await pilot.press("s")  # the other way round
            await settle(pilot, lambda key=key: not table.sort_desc if key == "metrics.auc" else table.sort_desc)
            check(key + " reversed")


# -- 14. one key updates the detail at once; held keys read only where they stop ----------------------------
async def test_14_detail_follows_a_single_key_at_once_and_debounces_repeats(demo: Path, monkeypatch) -> None:
    from types import SimpleNamespace

    from tuitrack.tui.browser import screen as main_mod

    app = make_app(demo)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        detail = app.browser.query_one("#detail", RunDetail)
        asked: list[str | None] = []
        real = detail.show_run

        def recording(run_id, then=None):
            asked.append(run_id)
            real(run_id, then)

        detail.show_run = recording  # type: ignore[method-assign]
        await pilot.pause(0.3)
        handled = app.browser._last_move
        await pilot.press("j")
        await wait_until(pilot, lambda: app.browser._last_move != handled, "the cursor move to be handled")
        # the handler asked for the run itself, with no debounce timer left to do it later
        assert asked == [app.current_run_id()], "a single key waited for the debounce"
        assert app.browser._detail_timer is None
        await pilot.pause(0.3)
        asked.clear()
        clock = [time.monotonic() + 10]  # the screen's clock: keys 30 ms apart, as a terminal repeats a held key
        monkeypatch.setattr(main_mod, "time", SimpleNamespace(monotonic=lambda: clock[0]))
        for _ in range(4):
            clock[0] += 0.03
            await pilot.press("j")
        await settle(pilot)
        assert len(asked) == 2 and asked[-1] == app.current_run_id(), asked  # the first key, then the last


# -- 15. the first screen imports only what it shows ----------------------------------------------------------
#: Modules the first screen does not need: charts (plotext), images (textual-image, numpy, PIL), sqlite-utils,
#: pygments, the screens and dialogs opened later.
LAZY = (
    "numpy",
    "PIL",
    "textual_image",
    "plotext",
    "textual_plotext",
    "sqlite_utils",
    "pygments",
    "tuitrack.tui.browser.columns",
    "tuitrack.tui.dialogs.tag_editor",
    "tuitrack.tui.dialogs.note_editor",
    # every full screen (compare, charts, groups, scatter, images, diff, parallel coordinates, ...)
    *(f"tuitrack.tui.screens.{m.name}" for m in pkgutil.iter_modules(tuitrack.tui.screens.__path__)),
)


#: Modules importing the app leaves out besides: the logging side and what only hidden tabs use (the Env tab's
#: reproduce analysis, the artifact names), loaded when those fill, after the first screen is drawn.
LAZY_IMPORT = (
    *LAZY,
    "tuitrack.tracking.session",
    "tuitrack.tracking.fluent",
    "tuitrack.tracking.artifacts",
    "tuitrack.analysis.reproduce",
    "tuitrack.analysis.diff",
    "tuitrack.analysis.series",
    "tuitrack.analysis.compare",
)


def test_15_importing_the_app_leaves_charts_images_and_later_screens_out() -> None:
    import subprocess
    import sys

    code = "import sys, tuitrack.tui.app; print(' '.join(m for m in sys.argv[1:] if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code, *LAZY_IMPORT], capture_output=True, text=True, check=True).stdout
    assert out.split() == [], out


def test_15_the_command_line_leaves_them_out_too() -> None:
    """``tuitrack`` imports the click group before the app: its commands (``sql``: sqlite-utils, which loads pandas
    where installed) load what they need when they run, not on every start."""
    import subprocess
    import sys

    code = (
        "import sys, tuitrack.cli.main, tuitrack.tui.app; print(' '.join(m for m in sys.argv[1:] if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *LAZY_IMPORT, "pandas"], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == [], out


#: The first screen as ``tuitrack`` shows it (rows, the first run's detail with every tab filled), in a fresh process,
#: then the LAZY modules the process holds.
FIRST_SCREEN = """
import asyncio, sys
from pathlib import Path
from tuitrack.store.core import Store
from tuitrack.tui.app import create_app
from tuitrack.tui.waits import settle_detail

async def main():
    app = create_app(Store(sys.argv[1]), live_interval=0, state_dir=Path(sys.argv[2]))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle_detail(pilot)
        assert app.current_run_id() is not None
    print(" ".join(m for m in sys.argv[3:] if m in sys.modules))

asyncio.run(main())
"""


def test_15_showing_the_first_screen_leaves_them_out(demo: Path, tmp_path: Path) -> None:
    """Not only the import: drawing the first screen (the detail pane's empty System tab among it) loads no
    chart, image or later-screen module either."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", FIRST_SCREEN, str(demo), str(tmp_path / "state"), *LAZY],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split() == [], out.stdout


#: ``tuitrack``'s own way into the browser (cli.main.run_app), headless, recording the collector's state.
RUN_APP = """
import gc, sys
from pathlib import Path
import tuitrack.cli.main as cli
import tuitrack.tui.app as tui_app

seen = {}
ready, run = tui_app.TuitrackApp.on_ready, tui_app.TuitrackApp.run

def on_ready(self):
    seen["while starting"] = gc.isenabled()
    ready(self)
    seen["once ready"], seen["frozen"] = gc.isenabled(), gc.get_freeze_count() > 0
    self.exit()

tui_app.TuitrackApp.on_ready = on_ready
tui_app.TuitrackApp.run = lambda self: run(self, headless=True, size=(100, 30))
cli.run_app(Path(sys.argv[1]))
print(seen["while starting"], seen["once ready"], seen["frozen"], gc.isenabled())
"""


def test_15_the_collector_rests_while_the_first_screen_is_built(demo: Path) -> None:
    """The command pauses the garbage collector before importing the app; the app turns it back on (with what
    was made so far frozen) once its first screen is ready.  See tuitrack/tui/startup.py."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", RUN_APP, str(demo)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split() == ["False", "True", "True", "True"], out.stdout


def test_15_a_collector_the_host_turned_off_stays_off() -> None:
    import gc

    from tuitrack.tui import startup

    gc.disable()
    try:
        startup.pause_collector()
        assert not startup.paused()
        startup.resume_collector()
        assert not gc.isenabled()
    finally:
        gc.enable()
    startup.pause_collector()
    assert startup.paused() and not gc.isenabled()
    startup.resume_collector()
    startup.resume_collector()
    assert gc.isenabled() and not startup.paused()


#: What the command line's detection printed: the method, whether numpy and textual-image's widgets were loaded,
#: and the cell size it handed textual-image.
DETECT = (
    "import sys; from tuitrack.tui.widgets import image_view; got = image_view.detect();"
    " from textual_image import _terminal; cell = _terminal.get_cell_size._result;"
    " print('DETECTED', got, 'numpy' in sys.modules, 'textual_image.widget' in sys.modules, cell.width, cell.height,"
    " flush=True)"
)


def _play_terminal(
    answer: Callable[[bytes], bytes | list[bytes]],
    pixels: tuple[int, int] = (1000, 600),
    env: dict[str, str] | None = None,
) -> tuple[list[str], bytes]:
    """Run the detection on a pty whose other end is this test, playing a terminal: every chunk the program
    writes goes through ``answer``, whose bytes are the terminal's reply (a list: written apart, 50 ms between).
    Returns the DETECTED line's words and every byte the program wrote to its terminal."""
    import fcntl
    import pty
    import select
    import struct
    import subprocess
    import sys
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, *pixels))  # rows, columns, pixels
    proc = subprocess.Popen(
        [sys.executable, "-c", DETECT],
        stdin=slave,
        stdout=slave,
        stderr=subprocess.PIPE,
        env={**os.environ, "TUITRACK_IMAGES": "auto", **(env or {})},
    )
    os.close(slave)
    seen = b""
    try:
        while b"DETECTED" not in seen or not seen.endswith(b"\n"):
            ready, _, _ = select.select([master], [], [], 30)
            assert ready, seen
            try:
                chunk = os.read(master, 1024)
            except OSError:
                break
            seen += chunk
            reply = answer(seen)
            for i, part in enumerate(reply if isinstance(reply, list) else [reply]):
                if i:
                    time.sleep(0.05)  # a separate read on the other side
                if part:
                    os.write(master, part)
    finally:
        proc.wait(30)
        os.close(master)
    assert b"DETECTED" in seen, (seen, proc.stderr.read() if proc.stderr else b"")
    return seen[seen.index(b"DETECTED") :].decode().split()[1:], seen[: seen.index(b"DETECTED")]


def _answers(
    *, sixel: bool = False, kitty: bool = False, cell: tuple[int, int] | None = None
) -> Callable[[bytes], bytes]:
    """A terminal that answers each query once, in the order asked, as xterm/kitty/tmux do."""
    answered: set[bytes] = set()

    def answer(seen: bytes) -> bytes:
        reply = b""
        for query in re.findall(rb"\x1b\[16t|\x1b_Gi=\d+,[^\x1b]*\x1b\\|\x1b\[c", seen):
            if query in answered:
                continue
            answered.add(query)
            if query == b"\x1b[16t" and cell:
                reply += b"\x1b[6;%d;%dt" % (cell[1], cell[0])
            elif query.startswith(b"\x1b_G") and kitty:
                reply += b"\x1b_Gi=" + re.match(rb"\x1b_Gi=(\d+)", query).group(1) + b";OK\x1b\\"  # type: ignore[union-attr]
            elif query == b"\x1b[c":
                reply += b"\x1b[?62;4;22c" if sixel else b"\x1b[?62;22c"
        return reply

    return answer


@pytest.mark.parametrize(
    "terminal, found",
    [
        (_answers(sixel=True), "sixel"),
        (_answers(kitty=True), "tgp"),
        (_answers(), "halfcell"),
        (lambda seen: b"", "halfcell"),  # a terminal that answers nothing: half blocks after the wait
    ],
)
def test_15_the_terminal_is_asked_before_the_app_without_importing_textual_image(
    terminal: Callable[[bytes], bytes], found: str
) -> None:
    """The command line asks what the terminal draws (a pty plays the terminal here); the library loads later."""
    words, _ = _play_terminal(terminal)
    assert words == [found, "False", "False", "10", "20"]  # cell size from the window: 1000x600 pixels, 100x30


def test_15_a_key_split_across_reads_during_the_query_breaks_nothing() -> None:
    """A key typed while the terminal answers (here é, its two UTF-8 bytes in two reads) is dropped; the answer
    after it is still read to its end, so Sixel is found and nothing is left over for Textual."""
    answered: list[bool] = []

    def terminal(seen: bytes) -> list[bytes]:
        if b"\x1b[c" not in seen or answered:
            return []
        answered.append(True)
        return [b"\xc3", b"\xa9\x1b[?62;4;22c"]

    words, _ = _play_terminal(terminal)
    assert words[:3] == ["sixel", "False", "False"]


def test_15_the_cell_size_comes_from_textual_serve_when_the_window_has_no_pixels() -> None:
    """TEXTUAL_CELL_WIDTH/HEIGHT (textual-serve's web terminals) give the cell size; nothing is asked for it."""
    words, written = _play_terminal(
        _answers(), pixels=(0, 0), env={"TEXTUAL_CELL_WIDTH": "8", "TEXTUAL_CELL_HEIGHT": "16"}
    )
    assert words == ["halfcell", "False", "False", "8", "16"]
    assert b"\x1b[16t" not in written


def test_15_the_terminal_is_asked_in_one_round_trip() -> None:
    """Every query goes out before any answer is read: a terminal without Kitty graphics (most, tmux included) costs
    no timeout, since the device attributes' answer, which all terminals give, ends the wait.  Without pixels in
    the window size the cell size is asked in the same write."""
    order: list[bytes] = []
    inner = _answers(cell=(9, 18))

    def terminal(seen: bytes) -> bytes:
        reply = inner(seen)
        if reply:
            order.append(seen)  # what the program had written when the terminal first answered
        return reply

    words, written = _play_terminal(terminal, pixels=(0, 0))
    assert words == ["halfcell", "False", "False", "9", "18"]
    first = order[0]
    assert b"\x1b[16t" in first and b"\x1b_G" in first and first.rstrip().endswith(b"\x1b[c"), first
    assert written.count(b"\x1b[c") == 1 and written.count(b"\x1b_G") == 1 and written.count(b"\x1b[16t") == 1


# -- 16. the filter applies as you type with a live count; a dense layout on z ------------------------------
async def test_16_filter_as_you_type_with_count_and_enter_keeps_it(demo: Path) -> None:
    from tuitrack.tui.browser.filter_bar import FilterBar
    from tuitrack.tui.browser.state import load_state

    app = make_app(demo)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        bar = app.browser.query_one(FilterBar)
        await pilot.press("slash", *"run_name LIKE 'grid_%'")
        await settle(pilot, lambda: len(app.browser.table.rids) == 4)  # no enter: applied as typed
        assert bar.display and bar.input.has_focus
        assert "4 of 21 runs" in str(bar.query_one("#filter-error", Static).render())
        assert load_state(demo, demo.parent / "view-state").filter == ""  # not kept until enter
        await pilot.press("enter")
        await settle(pilot, lambda: not bar.display)
        await pilot.pause(0.5)
        assert load_state(demo, demo.parent / "view-state").filter == "run_name LIKE 'grid_%'"


async def test_16_z_hides_the_detail_for_a_dense_list_and_is_remembered(demo: Path) -> None:
    app = make_app(demo)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        table = app.browser.table
        before = table._body_height()
        await pilot.press("z")
        await wait_until(pilot, lambda: table._body_height() >= 30, "the table to take the detail's rows")
        assert table._body_height() >= 30 > before, (before, table._body_height())
        await pilot.press("enter")  # a run still opens
        await settle(pilot)
        detail = app.browser.query_one("#detail", RunDetail)
        assert detail.display and app.browser.has_class("-detail-max")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not detail.display, "the detail hidden again")
        assert not detail.display
    app = make_app(demo)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert app.browser.table._body_height() >= 30
