"""Column widths are measured with a fast path; it must agree with what the cell shows."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from tuitrack.entities import Run, RunData, RunInfo
from tuitrack.tui.browser.run_columns import cell, make_column, value_width
from tuitrack.tui.waits import wait_until

TEXT = st.text(st.characters(codec="utf-8"), max_size=40) | st.sampled_from(
    ["adam", "a\x1b[2Jb", "[bold red]x[/]", "日本語", "tab\there", "line\nbreak", "\u202eevil", "e\u0301"]
)
NUMBERS = st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(10**12), 10**12).map(float)


def _run(params: dict[str, str], tags: dict[str, str], metrics: dict[str, float]) -> Run:
    info = RunInfo(
        run_id="ab" * 16, run_name="r", experiment_id=1, experiment="e", status="FINISHED", start_time=0, end_time=1
    )
    return Run(info=info, data=RunData(params=params, tags=tags, metrics=metrics))


@settings(max_examples=300, deadline=None)
@given(param=TEXT, tag=TEXT, metric=NUMBERS)
def test_value_width_is_the_width_of_the_shown_cell(param: str, tag: str, metric: float) -> None:
    run = _run({"p": param}, {"t": tag}, {"m": metric})
    for key in ("params.p", "tags.t", "metrics.m", "params.missing", "metrics.missing"):
        col = make_column(key)
        assert value_width(run, col) == cell_len(cell(run, col, 0, False)[0]), key


async def test_scrolled_rows_show_exactly_the_window_of_the_full_row(store_path, tmp_path):
    """Rows build only the columns in view; every horizontal scroll position must show the same
    characters as the whole row from that window's first column (wide CJK values included)."""
    from rich.segment import Segment
    from textual.strip import Strip

    import tuitrack
    from tuitrack.store.core import Store
    from tuitrack.tui.app import create_app
    from tuitrack.tui.browser.run_columns import FIXED_KEYS, fit

    tuitrack.configure(capture_env=False, capture_packages=False)
    for i in range(3):
        with tuitrack.start_run(name=f"r{i}", params={f"p{j:02d}": ("日本" * (j % 3)) + str(i * j) for j in range(14)}):
            tuitrack.log_metric("auc", i / 3)
    store = Store(store_path)
    app = create_app(store, clock=lambda: 10**13, state_dir=tmp_path / "state", live_interval=0)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            table = app.browser.table
            await wait_until(pilot, lambda: table.rids and all(table.loaded_run(r) for r in table.rids), "every row")
            width = table.scrollable_content_region.width
            view = width - table._fixed_width
            seen_scrolls = set()
            for col in range(len(table.columns)):
                table.move_cursor(col=col)
                await pilot.pause(0.02)
                sx = table.scroll_origin()  # the window starts at a column (issue 16: no cut values)
                seen_scrolls.add(sx)
                for index in range(len(table.rids)):
                    run = table.loaded_run(table.rids[index])
                    rest = "".join(
                        fit(cell(run, c, table.now_ms, False)[0], c.width, c.align) + " "
                        for c in table.columns
                        if c.key not in FIXED_KEYS
                    )
                    expected = Strip([Segment(rest)]).crop(sx, sx + view)
                    got = Strip(list(table._row_strip(index, width))).crop(table._fixed_width, width)
                    got_text = "".join(s.text for s in got).rstrip()
                    assert "".join(s.text for s in expected).startswith(got_text), (col, sx)  # whole columns only
            assert len(seen_scrolls) > 2  # the window really moved
    finally:
        store.close()


def test_widths_remeasure_a_run_only_when_it_changed(monkeypatch) -> None:
    """Re-reads of unchanged runs skip measuring; a write (updated_at), a running run or new columns do not."""
    from dataclasses import replace

    from tuitrack.tui.browser import runs_table as rt

    def version(value: str, updated_at: int, status: str = "FINISHED") -> Run:
        run = _run({"p": value}, {}, {})
        return replace(run, info=replace(run.info, updated_at=updated_at, status=status))

    measured: list[int | None] = []
    monkeypatch.setattr(
        rt, "value_width", lambda run, col: (measured.append(run.info.updated_at), value_width(run, col))[1]
    )
    table = rt.RunsTable()
    table.now_ms = 100  # reads start at t=100 ms: every write below is older
    table.set_columns(["attributes.run_name", "params.p"])

    def width() -> int:
        return next(c.width for c in table.columns if c.key == "params.p")

    table.set_rids([1], [(1, version("x" * 10, updated_at=5))])
    assert width() == 10 and measured == [5]
    table.set_rids([1], [(1, version("x" * 10, updated_at=5))])  # the same run, read again
    assert measured == [5]
    table.set_rids([1], [(1, version("y" * 15, updated_at=6))])  # written since: measured, widens
    assert width() == 15 and measured == [5, 6]
    table.set_rids([1], [(1, version("z" * 18, updated_at=6, status="RUNNING"))])  # same ms, still running
    assert width() == 18
    measured.clear()
    table.set_columns(["attributes.run_name", "params.p", "params.q"])  # new columns: measured again
    table.set_rids([1], [(1, version("z" * 18, updated_at=6))])
    assert measured


def test_a_run_written_in_the_millisecond_of_the_read_is_measured_again(monkeypatch) -> None:
    """Two writes in one millisecond share updated_at: a read between them must not be remembered."""
    from dataclasses import replace

    from tuitrack.tui.browser import runs_table as rt

    def version(value: str, updated_at: int) -> Run:
        run = _run({}, {"t": value}, {})
        return replace(run, info=replace(run.info, updated_at=updated_at))

    table = rt.RunsTable()
    table.set_columns(["attributes.run_name", "tags.t"])
    table.now_ms = 6  # the read started in the millisecond of the run's last write
    table.set_rids([1], [(1, version("x" * 8, updated_at=6))])
    table.set_rids([1], [(1, version("y" * 20, updated_at=6))])  # a second write in that millisecond
    assert next(c.width for c in table.columns if c.key == "tags.t") == 20
