"""Column widths are measured with a fast path; it must agree with what the cell shows."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from tuitrack.models import Run, RunData, RunInfo
from tuitrack.tui.widgets.run_columns import cell, make_column, value_width

TEXT = st.text(st.characters(codec="utf-8"), max_size=40) | st.sampled_from(
    ["adam", "a\x1b[2Jb", "[bold red]x[/]", "日本語", "tab\there", "line\nbreak", "\u202eevil", "e\u0301"])
NUMBERS = st.floats(allow_nan=True, allow_infinity=True) | st.integers(-10**12, 10**12).map(float)


def _run(params: dict[str, str], tags: dict[str, str], metrics: dict[str, float]) -> Run:
    info = RunInfo(run_id="ab" * 16, run_name="r", experiment_id=1, experiment="e", status="FINISHED",
                   start_time=0, end_time=1)
    return Run(info=info, data=RunData(params=params, tags=tags, metrics=metrics))


@settings(max_examples=300, deadline=None)
@given(param=TEXT, tag=TEXT, metric=NUMBERS)
def test_value_width_is_the_width_of_the_shown_cell(param: str, tag: str, metric: float) -> None:
    run = _run({"p": param}, {"t": tag}, {"m": metric})
    for key in ("params.p", "tags.t", "metrics.m", "params.missing", "metrics.missing"):
        col = make_column(key)
        assert value_width(run, col) == cell_len(cell(run, col, 0, False)[0]), key
