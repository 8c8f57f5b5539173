"""Parallel coordinates' pure parts: fields, axes, brushes, the filter a brush spells, colours, the raster."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

import tuitrack
from tuitrack.analysis import parcoords as pc
from tuitrack.entities import MetricSummary, Run, RunData, RunInfo
from tuitrack.query.filter import compile_filter, parse_field
from tuitrack.store.core import Store

NAN, INF = float("nan"), float("inf")


def run(name: str, params: dict[str, str] | None = None, metrics: dict[str, float] | None = None) -> Run:
    metrics = metrics or {}
    summaries = {
        k: MetricSummary(key=k, value=v, step=3, timestamp=0, min=v - 1, max=v + 1, count=4) for k, v in metrics.items()
    }
    info = RunInfo(
        run_id=name, run_name=name, experiment_id=1, experiment="e", status="FINISHED", start_time=0, end_time=None
    )
    return Run(info=info, data=RunData(params=params or {}, metrics=metrics, summaries=summaries))


# -- fields -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("field", "name", "label"),
    [
        (pc.Field("params", "lr"), "params.lr", "lr"),
        (pc.Field("params", "data.version"), "params.`data.version`", "data.version"),
        (pc.Field("params", "my key"), "params.`my key`", "my key"),
        (pc.Field("metrics", "acc"), "metrics.acc", "acc"),
        (pc.Field("metrics", "a`b"), "metrics.`a``b`", "a`b"),
        (pc.Field("metrics", "val.loss", "min"), "metrics.`val.loss`.min", "val.loss.min"),
    ],
)
def test_a_field_is_spelled_so_the_filter_language_reads_it_back(field, name, label):
    assert field.name == name and field.label == label
    assert parse_field(name) == (field.kind, field.key, field.summary)


def test_fields_refuse_what_is_not_an_axis():
    with pytest.raises(ValueError):
        pc.Field("tags", "x")
    with pytest.raises(ValueError):
        pc.Field("params", "x", "min")
    with pytest.raises(ValueError, match="mean_last_10"):
        pc.Field("metrics", "x", "mean_last_5")


def test_field_values_come_from_params_metrics_and_summaries():
    r = run("a", {"lr": "0.1"}, {"loss": 0.5})
    assert pc.Field("params", "lr").value(r) == "0.1"
    assert pc.Field("metrics", "loss").value(r) == 0.5
    assert pc.Field("metrics", "loss", "min").value(r) == -0.5
    assert pc.Field("metrics", "loss", "best").value(r) == -0.5  # lower is better for a loss
    assert pc.Field("metrics", "loss", "count").value(r) == 4.0
    assert pc.Field("params", "nope").value(r) is None and pc.Field("metrics", "nope", "min").value(r) is None


def test_choices_list_each_metric_with_its_summaries_and_defaults_prefer_varying_numeric_params():
    runs = [
        run("a", {"lr": "0.1", "opt": "adam", "seed": "1", "fixed": "x"}, {"loss": 0.5, "acc": 0.8}),
        run("b", {"lr": "0.01", "opt": "sgd", "seed": "1", "fixed": "x"}, {"loss": 0.4, "acc": 0.7}),
    ]
    choices = pc.field_choices(runs)
    assert [f.name for f in choices[:4]] == ["params.fixed", "params.lr", "params.opt", "params.seed"]
    assert pc.Field("metrics", "loss", "best_step") in choices
    fields, color = pc.default_fields(runs)
    assert color == pc.Field("metrics", "loss")
    assert fields[0] == pc.Field("params", "lr") and fields[-1] == color  # numeric first; colour last
    assert pc.Field("params", "fixed") not in fields and pc.Field("params", "seed") not in fields
    assert pc.default_fields([]) == ([], None)


# -- axes -------------------------------------------------------------------------------------------
def test_numeric_param_axis_is_linear_with_missing_values_unplaced():
    axis = pc.build_axis(pc.Field("params", "depth"), ["10", "20", None, "15"])
    assert axis.numeric and not axis.log and (axis.lo, axis.hi) == (10.0, 20.0)
    assert axis.positions == [0.0, 1.0, None, 0.5] and axis.missing == 1


def test_categorical_axis_uses_natural_order():
    axis = pc.build_axis(pc.Field("params", "v"), ["v10", "v2", "adam", None, "v2"])
    assert not axis.numeric and axis.categories == ["adam", "v2", "v10"]
    assert axis.positions == [1.0, 0.5, 0.0, None, 0.5] and axis.slots == 3


def test_a_param_with_one_non_number_is_categorical():
    axis = pc.build_axis(pc.Field("params", "x"), ["1", "2", "auto", "nan"])
    assert not axis.numeric and axis.categories == ["1", "2", "auto", "nan"]


def test_metric_axis_places_nan_nowhere_and_infinities_at_the_ends():
    axis = pc.build_axis(pc.Field("metrics", "m"), [0.0, NAN, INF, -INF, 1.0, None])
    assert axis.numeric and (axis.lo, axis.hi) == (0.0, 1.0)
    assert axis.positions == [0.0, None, 1.0, 0.0, 1.0, None]
    assert (axis.nan, axis.missing) == (1, 1)


def test_wide_positive_ranges_go_on_a_log_axis():
    axis = pc.build_axis(pc.Field("params", "lr"), ["0.0001", "0.001", "0.01", "0.1"])
    assert axis.log
    assert axis.positions == pytest.approx([0.0, 1 / 3, 2 / 3, 1.0])
    assert not pc.build_axis(pc.Field("params", "lr"), ["0", "0.1", "100"]).log  # not all positive


def test_degenerate_axes_sit_in_the_middle():
    assert pc.build_axis(pc.Field("metrics", "m"), [0.3, 0.3]).positions == [0.5, 0.5]
    assert pc.build_axis(pc.Field("params", "o"), ["a", "a"]).positions == [0.5, 0.5]
    empty = pc.build_axis(pc.Field("metrics", "m"), [None, NAN])
    assert empty.positions == [None, None]


# -- brushes ----------------------------------------------------------------------------------------
def test_edges_move_without_crossing_and_a_full_brush_is_none():
    axis = pc.build_axis(pc.Field("metrics", "m"), [0.0, 1.0])
    b = pc.move_edge(axis, None, "top", -5)
    assert b == pc.Brush(0, 15)
    b = pc.move_edge(axis, b, "bottom", 20)
    assert b == pc.Brush(15, 15)  # the bottom edge stops at the top edge
    assert pc.move_edge(axis, b, "top", 100) == pc.Brush(15, 20)
    assert pc.move_edge(axis, pc.Brush(0, 19), "top", 1) is None  # back to the whole axis: no brush
    assert pc.slide(axis, pc.Brush(5, 10), 100) == pc.Brush(15, 20)
    assert pc.slide(axis, pc.Brush(5, 10), -100) == pc.Brush(0, 5)
    assert pc.slide(axis, None, 1) is None
    with pytest.raises(ValueError):
        pc.move_edge(axis, None, "left", 1)


def test_numeric_bounds_are_open_at_the_axis_ends_and_rounded_inside():
    axis = pc.build_axis(pc.Field("metrics", "acc"), [0.8734, 0.9512, 0.9])
    assert pc.bounds(axis, pc.Brush(0, 10)) == (None, pytest.approx(0.9123))
    lo, hi = pc.bounds(axis, pc.Brush(3, 20))
    assert hi is None and lo == round(lo, 5)
    log = pc.build_axis(pc.Field("params", "lr"), ["0.0001", "0.1"])
    assert pc.bounds(log, pc.Brush(10, 20)) == (0.00316, None)


def test_mask_keeps_brushed_ranges_and_drops_missing_and_nan():
    axes = [
        pc.build_axis(pc.Field("metrics", "m"), [0.0, 0.5, 1.0, NAN, None, INF]),
        pc.build_axis(pc.Field("params", "o"), ["a", "b", "c", "a", "b", None]),
    ]
    assert pc.brush_mask(axes, {}, 6) == [True] * 6
    assert pc.brush_mask(axes, {0: pc.Brush(10, 20)}, 6) == [False, True, True, False, False, True]
    assert pc.brush_mask(axes, {1: pc.Brush(0, 1)}, 6) == [True, True, False, True, True, False]
    both = pc.brush_mask(axes, {0: pc.Brush(10, 20), 1: pc.Brush(0, 1)}, 6)
    assert both == [False, True, False, False, False, False]
    assert all(
        pc.keeps(axes[0], pc.Brush(10, 20), i) == both_i
        for i, both_i in enumerate([False, True, True, False, False, True])
    )


def test_brush_filter_spells_ranges_and_categories():
    axes = [
        pc.build_axis(pc.Field("params", "lr"), ["0.1", "0.2", "0.3"]),
        pc.build_axis(pc.Field("params", "opt"), ["adam", "it's", "a\\b", "[bold]x[/]"]),
        pc.build_axis(pc.Field("metrics", "val.loss", "min"), [0.0, 1.0]),
    ]
    text = pc.brush_filter(axes, {0: pc.Brush(5, 15), 1: pc.Brush(0, 1), 2: pc.Brush(0, 10)})
    assert text == (
        "params.lr >= 0.15 and params.lr <= 0.25 and params.opt IN ('[bold]x[/]', 'a\\\\b')"
        " and metrics.`val.loss`.min <= 0.5"
    )
    compile_filter(text)  # it parses
    assert pc.brush_filter(axes, {1: pc.Brush(3, 3)}) == "params.opt = 'it''s'"
    assert pc.brush_filter(axes, {}) == ""


def test_combine_keeps_an_or_filter_whole():
    assert pc.combine("", "a = 1") == "a = 1"
    assert pc.combine("x > 1", "") == "x > 1"
    assert pc.combine("x > 1", "y < 2") == "x > 1 and y < 2"
    assert pc.combine("x > 1 OR y < 2", "z = 3") == "(x > 1 OR y < 2) and z = 3"


def test_describe_a_brush_in_words():
    axis = pc.build_axis(pc.Field("params", "lr"), ["0", "1"])
    assert pc.describe(axis, pc.Brush(5, 15)) == "lr 0.25–0.75"
    assert pc.describe(axis, pc.Brush(0, 5)) == "lr ≤ 0.25"
    assert pc.describe(axis, pc.Brush(5, 20)) == "lr ≥ 0.25"
    cat = pc.build_axis(pc.Field("params", "o"), ["a", "b", "c"])
    assert pc.describe(cat, pc.Brush(1, 2)) == "o: b, c"


@pytest.fixture
def store_runs(store_path: Path) -> tuple[Store, list[Run]]:
    """Runs with numbers, text, quotes, markup, NaN, ±inf and missing keys, for brush == filter."""
    rng = random.Random(3)
    cats = ["adam", "sgd", "it's", "a\\b", "[bold]x[/]", "v10", "v2"]
    for i in range(60):
        params = {"opt": rng.choice(cats), "lr": str(rng.choice([0.1, 0.01, 0.001, 0.0001]))}
        if i % 7 == 0:
            params.pop("lr")
        if i % 11 == 0:
            params["opt"] = str(i)  # digits among the categories: still compared as text
        with tuitrack.start_run(name=f"r{i}", params=params):
            acc = rng.random()
            if i % 9 == 0:
                acc = NAN
            elif i % 13 == 0:
                acc = INF
            if i % 5:
                tuitrack.log_metric("acc", acc)
            for step in range(3):
                tuitrack.log_metric("val.loss", rng.random() + step, step=step)
    tuitrack.flush()
    store = Store(store_path)
    runs = store.search_runs("")
    yield store, runs
    store.close()


def test_the_filter_a_brush_spells_keeps_exactly_the_runs_the_brush_keeps(store_runs):
    store, runs = store_runs
    fields = [
        pc.Field("params", "lr"),
        pc.Field("params", "opt"),
        pc.Field("metrics", "acc"),
        pc.Field("metrics", "val.loss", "min"),
        pc.Field("metrics", "val.loss", "max"),
    ]
    axes = pc.build_axes(runs, fields)
    assert axes[0].numeric and axes[0].log and not axes[1].numeric and axes[2].nan and axes[2].missing
    rng = random.Random(5)
    checked = 0
    for _ in range(60):
        brushes = {}
        for i in rng.sample(range(len(axes)), rng.randint(1, 3)):
            top = axes[i].slots - 1
            lo = rng.randint(0, top)
            b = pc.clamp(axes[i], pc.Brush(lo, rng.randint(lo, top)))
            if b is not None:
                brushes[i] = b
        text = pc.brush_filter(axes, brushes)
        if not text:
            continue
        mask = pc.brush_mask(axes, brushes, len(runs))
        by_brush = {r.info.run_id for r, keep in zip(runs, mask) if keep}
        by_filter = {r.info.run_id for r in store.search_runs(text)}
        assert by_brush == by_filter, text
        checked += 1
    assert checked > 40


# -- colour -----------------------------------------------------------------------------------------
def test_colour_levels_put_the_best_in_the_last_bin():
    up = pc.color_levels([0.0, 0.5, 1.0, None, NAN], lower_is_better=False)
    assert up.levels == [0, 3, 5, None, None] and up.edges[0] == 0.0 and up.edges[-1] == 1.0
    down = pc.color_levels([0.0, 0.5, 1.0, INF], lower_is_better=True)
    assert down.levels == [5, 3, 0, 0] and down.edges[0] == 1.0 and down.edges[-1] == 0.0
    assert pc.color_levels([0.2, 0.2], False).levels == [5, 5]
    assert up.clipped == (False, False)


def test_one_diverged_run_does_not_squeeze_the_colours_of_the_others():
    losses = [0.1 + i * 0.01 for i in range(20)] + [1e3]  # 21 runs, one diverged
    scale = pc.color_levels(losses, lower_is_better=True)
    assert scale.levels[-1] == 0 and scale.clipped == (True, True)  # end bins; "≥"/"≤" in the legend
    assert scale.edges[0] == pytest.approx(0.29) and scale.edges[-1] == pytest.approx(0.11)
    assert len(set(scale.levels[:20])) == 6  # the other 20 spread over every bin
    assert pc.color_levels(losses[:20], True).clipped == (False, False)  # under 21 values: the full range


# -- layout and raster ------------------------------------------------------------------------------
def test_axis_columns_span_the_width():
    assert pc.axis_columns(0, 80) == [] and pc.axis_columns(1, 80) == [40]
    assert pc.axis_columns(3, 11) == [0, 5, 10]


def test_labels_never_overlap_and_fit_the_width():
    labels = ["learning_rate", "n_estimators", "x", "validation_accuracy_long_name", "loss"]
    for width in (20, 40, 78, 118):
        cols = pc.axis_columns(len(labels), width)
        placed = pc.label_row(labels, cols, width)
        ends = 0
        for start, text, _ in placed:
            assert start >= ends
            ends = start + pc.cell_width(text)
            assert ends <= width
    assert pc.label_row(["ab", "cd"], [0, 9], 10) == [(0, "ab", 0), (8, "cd", 1)]


def test_fit_makes_text_terminal_safe_and_counts_wide_characters():
    assert pc.fit("evil\x1b[2J", 20) == "evil\\x1b[2J"
    assert pc.fit("a\nb", 5) == "a⏎b"
    assert pc.fit("abcdef", 4) == "abc…"
    assert pc.fit("日本語", 4) == "日…" and pc.cell_width("日本") == 4
    assert pc.fit("日本語", 3) == "日…" and pc.fit("ab", 0) == "" and pc.fit("", 0) == ""


def test_the_cli_tables_cut_text_as_the_picture_does_but_keep_the_mark_at_width_0():
    """export.truncate (the CLI's tables) and parcoords.fit share one cut by cells (formatting.truncate_cells)."""
    from tuitrack.analysis import export as ex

    assert ex.truncate("abcdef", 4) == "abc…" and ex.truncate("日本語", 3) == "日…" and ex.truncate("abc", 3) == "abc"
    assert ex.truncate("ab", 0) == "…" and ex.text_width("a日") == 3


def _plain(rows):
    return ["".join(t for t, _ in row) for row in rows]


def test_render_draws_a_line_between_two_axes():
    axes = [pc.build_axis(pc.Field("metrics", "a"), [1.0, 0.0]), pc.build_axis(pc.Field("metrics", "b"), [0.0, 1.0])]
    rows = pc.render(axes, [pc.Line([1.0, 0.0], pc.FIRST_BIN)], 6, 1)
    text = _plain(rows)[0]
    assert text[0] == "│" and text[-1] == "│"
    dots = 0
    for ch in text[1:-1]:
        assert 0x2800 <= ord(ch) <= 0x28FF
        dots |= ord(ch) - 0x2800
    assert dots & 0x01 and dots & 0x40 | 0x80  # from the top dot row to the bottom one
    assert [layer for _, layer in rows[0]] == [pc.AXIS, pc.FIRST_BIN, pc.AXIS]


def test_kept_lines_cover_brushed_out_ones_and_focus_covers_both():
    axes = [pc.build_axis(pc.Field("metrics", "a"), [0.5]), pc.build_axis(pc.Field("metrics", "b"), [0.5])]
    flat = [0.5, 0.5]
    out_only = pc.render(axes, [pc.Line(flat, pc.OUT)], 6, 2)
    assert {layer for row in out_only for _, layer in row} == {pc.AXIS, pc.OUT, pc.EMPTY}
    both = pc.render(axes, [pc.Line(flat, pc.FIRST_BIN + 2), pc.Line(flat, pc.OUT)], 6, 2)
    assert pc.OUT not in {layer for row in both for _, layer in row}
    focus = pc.render(axes, [pc.Line(flat, pc.FIRST_BIN), pc.Line(flat, pc.FOCUS)], 6, 2)
    assert pc.FOCUS in {layer for row in focus for _, layer in row}
    assert pc.FIRST_BIN not in {layer for row in focus for _, layer in row}


def test_a_missing_value_breaks_the_line_at_its_axis():
    axes = [pc.build_axis(pc.Field("metrics", k), [0.5]) for k in "abc"]
    rows = pc.render(axes, [pc.Line([0.5, None, 0.5], pc.FIRST_BIN)], 11, 1)
    assert _plain(rows)[0] == "│    │    │"


def test_brushed_axis_part_is_heavy_and_categories_are_labelled():
    axes = [
        pc.build_axis(pc.Field("params", "o"), ["adam", "sgd"]),
        pc.build_axis(pc.Field("metrics", "m"), [0.0, 1.0]),
    ]
    rows = _plain(pc.render(axes, [], 12, 4, brushes={1: pc.Brush(10, 20)}))
    assert [r[-1] for r in rows] == ["┃", "┃", "┃", "│"]  # 0.5 is dot row 8 of 16: the third cell row
    assert rows[0].startswith("│sgd") and rows[-1].startswith("│adam")


def test_equal_lines_are_drawn_once_so_cost_follows_the_screen():
    canvas = pc.Canvas(40, 10)
    calls = []
    segment = canvas.segment
    canvas.segment = lambda *a: (calls.append(a), segment(*a))  # type: ignore[method-assign]
    pc.draw_lines(canvas, pc.axis_columns(4, 40), [pc.Line([0.1, 0.9, 0.1, 0.9], pc.FIRST_BIN)] * 1000)
    assert len(calls) == 3


def test_a_thousand_runs_render_on_a_small_screen():
    rng = random.Random(0)
    axes = [pc.build_axis(pc.Field("metrics", f"m{i}"), [rng.random() for _ in range(1000)]) for i in range(6)]
    levels = pc.color_levels([rng.random() for _ in range(1000)], False).levels
    lines = pc.lines_for(axes, [i % 3 > 0 for i in range(1000)], levels, focus=2)
    rows = pc.render(axes, lines, 78, 16, selected=1, brushes={0: pc.Brush(3, 9)})
    assert len(rows) == 16 and all(sum(pc.cell_width(t) for t, _ in row) == 78 for row in rows)
    assert math.isclose(sum(lines[i].layer == pc.OUT for i in range(1000)), 333, abs_tol=1)
