"""Parallel coordinates of the marked or filtered runs: "which params do the good runs share?"

One vertical axis per chosen param or metric (summary fields such as ``val_loss.min`` too; numbers on
a linear or log scale, anything else as categories), one braille line per run, coloured by a metric
(brightest = best, so the picture survives ``NO_COLOR``, and the legend says which way is better).
``←``/``→`` pick an axis, ``↑``/``↓`` move its brush's top edge and ``shift+↑``/``shift+↓`` its bottom
edge: runs outside every brush turn dim and the status line counts the rest live ("12 of 50 runs").
``f`` turns the brushes into the browser's filter (``params.lr >= 0.01 and metrics.acc <= 0.9``),
which keeps exactly the runs the brushes kept.  ``n``/``N`` walk the kept runs, best first, and print
the focused run's values, so no value has to be read from a colour.

Runs are read in a worker; the picture is computed in another (its cost is bounded by the screen:
see :mod:`tuitrack.analysis.parcoords`), and only the finished lines reach the event loop.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static
from textual.worker import get_current_worker

from tuitrack.analysis import parcoords as pc
from tuitrack.entities import Run
from tuitrack.errors import TuitrackError
from tuitrack.formatting import format_metric
from tuitrack.query import summaries
from tuitrack.query.filter import FilterError
from tuitrack.tui.dialogs.axis_picker import AxisPicker
from tuitrack.tui.dialogs.key_picker import KeyPicker
from tuitrack.tui.text import safe
from tuitrack.tui.widgets.key_footer import KeyFooter

MARKED, FILTERED = "marked", "filtered"
NO_COLOR_CHOICE = "(none)"
#: Most param keys and most metric keys the axis picker lists (the first ones by key).
KEY_CAP = 2000
#: The default axes are picked among this many first param keys and first metric keys.
DEFAULT_CANDIDATES = 40
#: Metric keys of the store looked at for a loss-like key (one index seek each).
LOSS_SCAN = 20_000
#: The axis picker's search: most keys of each kind found, most keys of the store looked at.
SEARCH_LIMIT, SEARCH_SCAN = 200, 200_000


@dataclass
class _Loaded:
    """A source's runs, holding the values of ``keys`` ((kind, key) pairs) only, and what the pickers list."""

    rids: list[int]
    runs: list[Run]
    choices: list[pc.Field]
    defaults: tuple[list[pc.Field], pc.Field | None]
    cut: bool
    keys: set[tuple[str, str]]


def _search_keys(store: Any, rids: list[int], needle: str) -> list[pc.Field]:
    """The fields of the runs' keys containing ``needle`` (the axis picker's search past the first keys)."""
    found = {
        kind: store.keys_of_runs(rids, kind, limit=SEARCH_LIMIT, needle=needle, budget=SEARCH_SCAN)
        for kind in ("params", "metrics")
    }
    return pc.choices_from_keys(found["params"], found["metrics"])


def _key_set(fields: list[pc.Field]) -> set[tuple[str, str]]:
    return {(f.kind, f.key) for f in fields}


def _keys_of_set(keys: set[tuple[str, str]]) -> dict[str, list[str]]:
    return {kind: sorted(k for kd, k in keys if kd == kind) for kind in ("params", "metrics")}


def _keys_of(fields: list[pc.Field]) -> dict[str, list[str]]:
    return _keys_of_set(_key_set(fields))


#: Colour bins, worst to best: dark to bright (luminance rises with the bin, so greys keep the order).
BIN_COLORS = ("#3e4a89", "#26828e", "#1f9e89", "#35b779", "#90d743", "#fde725")
#: With NO_COLOR: greys far enough from a dark background, brighter for better, the best two bold.
BIN_GREYS = ("#8c8c8c", "#a6a6a6", "#c0c0c0", "#d9d9d9", "bold #ececec", "bold #ffffff")

_STYLES = {
    pc.EMPTY: "",
    pc.OUT: "#444444",
    pc.NO_VALUE: "#909090",
    pc.FOCUS: "bold #ff5fd7",
    pc.AXIS: "#7a7a7a",
    pc.AXIS_SELECTED: "bold #ffd75f",
    pc.BRUSH: "bold #ffffff",
    pc.LABEL: "#c8c8c8",
    pc.LABEL_SELECTED: "bold underline #ffffff",
}
_MONO = {
    pc.EMPTY: "",
    pc.OUT: "dim #5a5a5a",
    pc.NO_VALUE: "#8c8c8c",
    pc.FOCUS: "bold reverse",
    pc.AXIS: "#a0a0a0",
    pc.AXIS_SELECTED: "bold #ffffff",
    pc.BRUSH: "bold #ffffff",
    pc.LABEL: "#c8c8c8",
    pc.LABEL_SELECTED: "bold underline #ffffff",
}


def layer_styles(no_color: bool) -> dict[int, str]:
    """Style of each layer of the picture (colours, or greys and weights with NO_COLOR)."""
    out = dict(_MONO if no_color else _STYLES)
    for i, style in enumerate(BIN_GREYS if no_color else BIN_COLORS):
        out[pc.FIRST_BIN + i] = style
    return out


def plot_strips(rows: list[list[tuple[str, int]]], styles: dict[int, str], base: Style) -> list[Strip]:
    """The picture as ready lines (built in the worker, so drawing a frame only copies them)."""
    parsed = {layer: base + Style.parse(style) if style else base for layer, style in styles.items()}
    return [Strip([Segment(chunk, parsed.get(layer, base)) for chunk, layer in row]) for row in rows]


class PlotView(Widget):
    """The braille picture, held as finished strips."""

    DEFAULT_CSS = "PlotView { height: 1fr; margin: 0 1; }"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.strips: list[Strip] = []

    def show(self, strips: list[Strip]) -> None:
        self.strips = strips
        self.refresh()

    @property
    def plain(self) -> str:
        return "\n".join(strip.text for strip in self.strips)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y < len(self.strips):
            return self.strips[y].crop_extend(0, width, self.rich_style)
        return Strip.blank(width, self.rich_style)


def placed(line: list[tuple[int, str, int]], width: int, styles: dict[int, str]) -> Text:
    """A line of labels placed by :func:`tuitrack.analysis.parcoords.label_row`, with a style per axis."""
    text = Text(no_wrap=True, overflow="crop")
    used = 0
    for start, label, axis in line:
        if start > used:
            text.append(" " * (start - used))
            used = start
        text.append(label, styles.get(axis, ""))  # label_row made it terminal-safe; Text never reads markup
        used += pc.cell_width(label)
    return text


class ParCoordsScreen(Screen[None]):
    """Parallel coordinates of the given runs (marked ones, or the filter's first ones)."""

    DEFAULT_CSS = """
    ParCoordsScreen #pc-status { height: auto; max-height: 2; padding: 0 1; background: $panel; }
    ParCoordsScreen .pc-line { height: 1; padding: 0 1; }
    ParCoordsScreen #pc-legend { height: 1; padding: 0 1; }
    ParCoordsScreen #pc-focus { height: 1; padding: 0 1; background: $panel; }
    """
    AXIS_KEYS = Binding.Group("Axis", compact=True)
    TOP_KEYS = Binding.Group("Brush", compact=True)
    BOTTOM_KEYS = Binding.Group("Brush bottom", compact=True)
    BINDINGS = [
        Binding("escape", "back", "Back", id="parcoords.back"),
        Binding("left", "axis(-1)", "Previous axis", key_display="←", group=AXIS_KEYS, id="parcoords.axis_left"),
        Binding("right", "axis(1)", "Next axis", key_display="→", group=AXIS_KEYS, id="parcoords.axis_right"),
        Binding("h", "axis(-1)", "Previous axis", show=False, id="parcoords.axis_left_vim"),
        Binding("l", "axis(1)", "Next axis", show=False, id="parcoords.axis_right_vim"),
        Binding("up", "edge('top', 1)", "Brush top edge up", key_display="↑", group=TOP_KEYS, id="parcoords.top_up"),
        Binding(
            "down", "edge('top', -1)", "Brush top edge down", key_display="↓", group=TOP_KEYS, id="parcoords.top_down"
        ),
        Binding("k", "edge('top', 1)", "Brush top edge up", show=False, id="parcoords.top_up_vim"),
        Binding("j", "edge('top', -1)", "Brush top edge down", show=False, id="parcoords.top_down_vim"),
        Binding(
            "shift+up",
            "edge('bottom', 1)",
            "Brush bottom edge up",
            key_display="shift+↑",
            show=False,
            id="parcoords.bottom_up",
        ),
        Binding(
            "shift+down",
            "edge('bottom', -1)",
            "Brush bottom edge down",
            key_display="shift+↓",
            show=False,
            id="parcoords.bottom_down",
        ),
        Binding("K", "edge('bottom', 1)", "Brush bottom edge up", show=False, id="parcoords.bottom_up_vim"),
        Binding("J", "edge('bottom', -1)", "Brush bottom edge down", show=False, id="parcoords.bottom_down_vim"),
        Binding("pageup", "slide(1)", "Slide the brush up", key_display="pgup", show=False, id="parcoords.slide_up"),
        Binding(
            "pagedown", "slide(-1)", "Slide the brush down", key_display="pgdn", show=False, id="parcoords.slide_down"
        ),
        Binding("x", "clear_brush", "Clear this axis' brush", show=False, id="parcoords.clear"),
        Binding("X", "clear_all", "Clear every brush", show=False, id="parcoords.clear_all"),
        Binding("f", "use_filter", "Filter", id="parcoords.filter"),
        Binding("a", "pick_axes", "Axes", id="parcoords.axes"),
        Binding("c", "pick_color", "Colour", id="parcoords.color"),
        Binding(
            "less_than_sign",
            "move_axis(-1)",
            "Move the axis left",
            key_display="<",
            show=False,
            id="parcoords.move_left",
        ),
        Binding(
            "greater_than_sign",
            "move_axis(1)",
            "Move the axis right",
            key_display=">",
            show=False,
            id="parcoords.move_right",
        ),
        Binding("d", "drop_axis", "Remove the axis", show=False, id="parcoords.drop"),
        Binding("m", "toggle_source", "Marked runs / the filter's runs", show=False, id="parcoords.source"),
        Binding("n", "focus_run(1)", "Next kept run (best first)", show=False, id="parcoords.next_run"),
        Binding("N", "focus_run(-1)", "Previous kept run", show=False, id="parcoords.previous_run"),
    ]

    def __init__(
        self,
        marked_ids: list[str],
        filtered_rids: list[int],
        *,
        fields: list[pc.Field] | None = None,
        color: pc.Field | None = None,
    ) -> None:
        super().__init__()
        self.marked_ids = list(marked_ids)
        self.filtered_rids = list(filtered_rids)
        self.source = MARKED if self.marked_ids else FILTERED
        self._cache: dict[str, _Loaded] = {}
        self.keys_cut = False  # the runs have more keys than the axis picker lists
        self.runs: list[Run] = []
        self.fields: list[pc.Field] = list(fields or [])
        self.color: pc.Field | None = color
        self._color_chosen = color is not None or fields is not None
        self.choices: list[pc.Field] = []
        self.axes: list[pc.Axis] = []
        self.brushes: dict[pc.Field, pc.Brush] = {}
        self.selected = 0
        self.mask: list[bool] = []
        self.scale: pc.ColorScale | None = None
        self.focus_index: int | None = None
        self.loaded = False
        self.generation = 0  # bumped by every change of the picture
        self.drawn = -1  # the generation on screen
        self._shown: dict[str, Text] = {}

    @property
    def tt(self) -> Any:
        """The app as the tuitrack app it is (store, browser, current_filter), without importing it here."""
        return self.app

    # -- layout --------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("loading runs…"), id="pc-status")
            yield Static(Text(""), id="pc-names", classes="pc-line")
            yield Static(Text(""), id="pc-top", classes="pc-line")
            yield PlotView(id="pc-plot")
            yield Static(Text(""), id="pc-bottom", classes="pc-line")
            yield Static(Text(""), id="pc-legend")
            yield Static(Text(""), id="pc-focus")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._load(self.source, self._wanted())

    def _wanted(self) -> list[pc.Field]:
        """The fields shown now (the axes and the colour): what a source's first read reads besides the defaults."""
        return [*self.fields] + ([self.color] if self.color is not None else [])

    # -- reading ------------------------------------------------------------------------------------
    def _rids(self, source: str) -> list[int]:
        """The rids of a source (marked run ids resolved one indexed lookup each; gone ones skipped)."""
        if source != MARKED:
            return list(self.filtered_rids)
        rids = []
        for ref in self.marked_ids:
            try:
                rids.append(self.tt.store.resolve_run(ref)[0])
            except TuitrackError:
                continue
        return rids

    @work(thread=True, exclusive=True, group="parcoords-load", description="parcoords: read the runs")
    def _load(self, source: str, shown: list[pc.Field]) -> None:
        """Read only what the view shows: the runs' keys (at most KEY_CAP of each kind) and the axes' values.

        The default axes are picked among the first DEFAULT_CANDIDATES keys of each kind, so opening the
        view on runs with 100,000 tags or 10,000 metrics reads a bounded number of rows per run.
        """
        if source in self._cache:
            got = self._cache[source]
            runs, choices, defaults, cut = got.runs, got.choices, got.defaults, got.cut
        else:
            store = self.tt.store
            rids = self._rids(source)
            param_keys = store.keys_of_runs(rids, "params", limit=KEY_CAP + 1)
            metric_keys = store.keys_of_runs(rids, "metrics", limit=KEY_CAP + 1)
            cut = len(param_keys) > KEY_CAP or len(metric_keys) > KEY_CAP
            param_keys, metric_keys = param_keys[:KEY_CAP], metric_keys[:KEY_CAP]
            # Loss-like metrics past the first keys are candidates too: the default colour is a loss.
            lossy = store.keys_of_runs(rids, "metrics", limit=5, needle="loss", budget=LOSS_SCAN)
            candidates = sorted({*metric_keys[:DEFAULT_CANDIDATES], *lossy})
            sample = store.runs_with_keys(rids, params=param_keys[:DEFAULT_CANDIDATES], metrics=candidates)
            defaults = pc.default_fields(sample)
            choices = pc.choices_from_keys(param_keys, sorted({*metric_keys, *lossy}))
            wanted = [*shown, *defaults[0]]
            runs = store.runs_with_keys(rids, **_keys_of(wanted))
            self._cache[source] = _Loaded(rids, runs, choices, defaults, cut, _key_set(wanted))
        self.app.call_from_thread(self._loaded, source, runs, choices, defaults, cut)

    def _loaded(
        self,
        source: str,
        runs: list[Run],
        choices: list[pc.Field],
        defaults: tuple[list[pc.Field], pc.Field | None],
        cut: bool = False,
    ) -> None:
        self.source = source
        self.runs = runs
        self.keys_cut = cut
        have = set(choices)
        if not self.fields or not any(f in have for f in self.fields):
            self.fields = list(defaults[0])
            if not self._color_chosen:
                self.color = defaults[1]
        self.fields = [f for f in self.fields if f in have]
        if self.color is not None and self.color not in have:
            self.color = defaults[1]
        self.choices = choices
        self.focus_index = None
        self.loaded = True
        # A source read earlier may lack an axis added since (on the other source): read it first.
        self._with_fields(list(self.fields), self.color)

    def _with_fields(self, fields: list[pc.Field], color: pc.Field | None) -> None:
        """Show ``fields`` coloured by ``color``, reading the keys not read yet first (in a worker)."""
        got = self._cache.get(self.source)
        wanted = [*fields] + ([color] if color is not None else [])
        if got is None or _key_set(wanted) <= got.keys:
            self._apply_fields(fields, color)
            return
        self._show("pc-status", Text("reading the new axes…"))
        self._read_keys(self.source, got, fields, color)

    @work(thread=True, exclusive=True, group="parcoords-load", description="parcoords: read the axes")
    def _read_keys(self, source: str, got: _Loaded, fields: list[pc.Field], color: pc.Field | None) -> None:
        wanted = [*fields] + ([color] if color is not None else [])
        missing = _key_set(wanted) - got.keys
        fresh = self.tt.store.runs_with_keys(got.rids, **_keys_of_set(missing))
        self.app.call_from_thread(self._keys_read, source, fresh, missing, fields, color)

    def _keys_read(
        self, source: str, fresh: list[Run], keys: set[tuple[str, str]], fields: list[pc.Field], color: pc.Field | None
    ) -> None:
        got = self._cache[source]
        by_id = {r.info.run_id: r for r in fresh}
        for run in got.runs:  # on the event loop: the screen's runs never change under a drawing worker's feet
            new = by_id.get(run.info.run_id)
            if new is not None:
                run.data.params.update(new.data.params)
                run.data.metrics.update(new.data.metrics)
                run.data.summaries.update(new.data.summaries)
        got.keys |= keys
        if source == self.source:
            self._apply_fields(fields, color)

    def _apply_fields(self, fields: list[pc.Field], color: pc.Field | None) -> None:
        current = self.fields[self.selected] if self.fields and self.selected < len(self.fields) else None
        self.fields = list(fields)
        self.color = color
        self.selected = self.fields.index(current) if current in self.fields else 0
        self.rebuild()

    # -- state --------------------------------------------------------------------------------------
    def rebuild(self) -> None:
        """Axes from the runs and fields (cheap: one value lookup per run and axis), then the brushes."""
        self.axes = pc.build_axes(self.runs, self.fields)
        self.selected = min(self.selected, max(0, len(self.axes) - 1))
        brushes = {}
        for f, b in self.brushes.items():
            if f in self.fields:
                fitted = pc.clamp(self.axes[self.fields.index(f)], b)
                if fitted is not None:
                    brushes[f] = fitted
        self.brushes = brushes
        values = [self.color.value(r) for r in self.runs] if self.color is not None else []
        nums = [v if isinstance(v, float) else None for v in values]
        lower = self.color is not None and summaries.metric_direction(self.color.key) == summaries.LOWER
        self.scale = pc.color_levels(nums, lower) if self.color is not None else None
        self.rebrush()

    def _index_brushes(self) -> dict[int, pc.Brush]:
        return {self.fields.index(f): b for f, b in self.brushes.items()}

    def rebrush(self) -> None:
        """The kept runs after a brush change (instant), then a new picture (in a worker)."""
        self.mask = pc.brush_mask(self.axes, self._index_brushes(), len(self.runs))
        if self.focus_index is not None and not self.mask[self.focus_index]:
            self.focus_index = None
        self.update_status()
        self.redraw()

    @property
    def kept(self) -> int:
        return sum(self.mask)

    def kept_runs(self) -> list[Run]:
        return [r for r, keep in zip(self.runs, self.mask) if keep]

    # -- drawing ------------------------------------------------------------------------------------
    def redraw(self) -> None:
        self.generation += 1
        plot = self.query_one(PlotView)
        width, height = plot.size.width, plot.size.height
        if width <= 0 or height <= 0:  # not laid out yet: on_resize draws
            return
        self._update_labels(width)
        levels = self.scale.levels if self.scale is not None else [None] * len(self.runs)
        self._draw(
            self.generation,
            list(self.axes),
            list(self.mask),
            list(levels),
            self.focus_index,
            width,
            height,
            self.selected,
            self._index_brushes(),
            layer_styles(self.app.no_color),
            plot.rich_style,
        )

    @work(thread=True, exclusive=True, group="parcoords-draw", description="parcoords: draw")
    def _draw(
        self,
        generation: int,
        axes: list[pc.Axis],
        mask: list[bool],
        levels: list[int | None],
        focus: int | None,
        width: int,
        height: int,
        selected: int,
        brushes: dict[int, pc.Brush],
        styles: dict[int, str],
        base: Style,
    ) -> None:
        worker = get_current_worker()
        if worker.is_cancelled:  # a newer key already asked for another picture (a held key draws the last)
            return
        if not axes:
            message = "these runs have no params or metrics to draw" if self.runs else "no runs to draw"
            strips = [Strip([Segment(message, base + Style(dim=True))])]
        else:
            lines = pc.lines_for(axes, mask, levels, focus)
            strips = plot_strips(
                pc.render(axes, lines, width, height, selected=selected, brushes=brushes), styles, base
            )
        if not worker.is_cancelled:
            self.app.call_from_thread(self._drawn, generation, strips)

    def _drawn(self, generation: int, strips: list[Strip]) -> None:
        if generation < self.drawn:
            return
        self.drawn = generation
        self.query_one(PlotView).show(strips)

    def on_resize(self) -> None:
        if self.loaded:
            self.call_after_refresh(self.redraw)

    def _show(self, widget_id: str, text: Text) -> None:
        """Update a line only when it changed: an unchanged line costs no repaint (and no relayout)."""
        if self._shown.get(widget_id) != text:
            self._shown[widget_id] = text
            self.query_one(f"#{widget_id}", Static).update(text)

    def _update_labels(self, width: int) -> None:
        columns = pc.axis_columns(len(self.axes), width)
        brushed = set(self._index_brushes())
        name_styles = {
            i: "bold reverse" if i == self.selected else "bold" if i in brushed else "bold #b0b0b0"
            for i in range(len(self.axes))
        }
        names = [a.field.label for a in self.axes]
        tops, bottoms = [], []
        for a in self.axes:
            if a.numeric and a.hi >= a.lo and (a.hi != 0 or a.lo != 0 or a.missing + a.nan < len(self.runs)):
                tops.append(format_metric(a.hi) + (" log" if a.log else ""))
                bottom = format_metric(a.lo)
            else:
                tops.append("")
                bottom = ""
            gaps = a.missing + a.nan
            if gaps:
                bottom = f"{bottom} ∅{gaps}".strip()
            bottoms.append(bottom)
        dim = {i: "#a0a0a0" for i in range(len(self.axes))}
        self._show("pc-names", placed(pc.label_row(names, columns, width), width, name_styles))
        self._show("pc-top", placed(pc.label_row(tops, columns, width), width, dim))
        self._show("pc-bottom", placed(pc.label_row(bottoms, columns, width), width, dim))
        self._show("pc-legend", self._legend())
        self._show("pc-focus", self._focus_line())

    def _legend(self) -> Text:
        styles = layer_styles(self.app.no_color)
        text = Text(no_wrap=True, overflow="ellipsis")
        if self.color is None or self.scale is None:
            text.append("colour: none (c picks a metric)", style="dim")
            return text
        text.append("colour: ")
        text.append_text(safe(self.color.label, "bold", limit=30))
        scale = self.scale
        beyond = ("≥" if scale.lower_is_better else "≤", "≤" if scale.lower_is_better else "≥")
        text.append(f" {beyond[0] if scale.clipped[0] else ''}{format_metric(scale.edges[0])} ")
        for i in range(pc.BINS):
            text.append("██", styles[pc.FIRST_BIN + i])
        text.append(f" {beyond[1] if scale.clipped[1] else ''}{format_metric(scale.edges[-1])}")
        text.append(" best ↓" if scale.lower_is_better else " best ↑", style="dim")
        if self.app.no_color:
            text.append(" · brighter is better", style="bold")
        none = sum(level is None for level in scale.levels)
        if none:
            text.append(" · ")
            text.append("⣿", styles[pc.NO_VALUE])
            text.append(f" no value {none}")
        text.append(" · ")
        text.append("⣿", styles[pc.OUT])
        text.append(" brushed out")
        return text

    def _focus_line(self) -> Text:
        if self.focus_index is None or self.focus_index >= len(self.runs):
            return Text("n / N: walk the kept runs, best first, with their values", style="dim")
        run = self.runs[self.focus_index]
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("▶ ", style=layer_styles(self.app.no_color)[pc.FOCUS])
        text.append_text(safe(run.info.run_name or run.info.run_id[:8], "bold", limit=30))
        fields = list(self.fields)
        if self.color is not None and self.color not in fields:
            fields.append(self.color)
        for f in fields:
            value = f.value(run)
            shown = "∅" if value is None else format_metric(value) if isinstance(value, float) else value
            text.append("  ")
            text.append_text(safe(f.label, "dim", limit=24))
            text.append("=", style="dim")
            text.append_text(safe(shown, limit=24))
        return text

    def update_status(self) -> None:
        total = len(self.runs)
        text = Text(f"{self.kept} of {total} run{'s' if total != 1 else ''}", style="bold")
        if self.source == MARKED:
            text.append(" · marked runs")
            if self.filtered_rids:
                text.append(" (m: the filter's)", style="dim")
        else:
            text.append(" · the filter's runs")
            if self.marked_ids:
                text.append(" (m: the marked ones)", style="dim")
        axes = self._index_brushes()
        for i in sorted(axes):
            text.append(" · ")
            text.append_text(safe(pc.describe(self.axes[i], axes[i]), limit=40))
        if axes:
            text.append(" · f: use as filter", style="dim")
        elif self.axes:
            text.append(" · ↑/↓ brush the selected axis", style="dim")
        self._show("pc-status", text)

    # -- actions ------------------------------------------------------------------------------------
    def action_back(self) -> None:
        self.app.pop_screen()

    def action_axis(self, step: int) -> None:
        if not self.axes:
            return
        self.selected = (self.selected + step) % len(self.axes)
        self.update_status()
        self.redraw()

    def _axis(self) -> tuple[pc.Field, pc.Axis] | None:
        if not self.loaded or not self.axes:
            return None
        return self.fields[self.selected], self.axes[self.selected]

    def _set_brush(self, field: pc.Field, brush: pc.Brush | None) -> None:
        if brush is None:
            self.brushes.pop(field, None)
        else:
            self.brushes[field] = brush
        self.rebrush()

    def action_edge(self, edge: str, delta: int) -> None:
        got = self._axis()
        if got is not None:
            field, axis = got
            self._set_brush(field, pc.move_edge(axis, self.brushes.get(field), edge, delta))

    def action_slide(self, delta: int) -> None:
        got = self._axis()
        if got is not None:
            field, axis = got
            self._set_brush(field, pc.slide(axis, self.brushes.get(field), delta))

    def action_clear_brush(self) -> None:
        got = self._axis()
        if got is not None:
            self._set_brush(got[0], None)

    def action_clear_all(self) -> None:
        self.brushes.clear()
        if self.loaded:
            self.rebrush()

    def action_use_filter(self) -> None:
        if not self.loaded:
            return
        clauses = pc.brush_filter(self.axes, self._index_brushes())
        if not clauses:
            self.notify("no brush yet: pick an axis with ←/→ and narrow it with ↑/↓", severity="warning")
            return
        browser = self.tt.browser
        text = pc.combine(self.tt.current_filter, clauses)
        try:
            browser.apply_filter(text)
        except FilterError as exc:  # a field the filter language cannot spell: say so, change nothing
            self.notify(f"cannot filter by these brushes: {exc}", severity="error", markup=False)
            return
        self.app.pop_screen()
        note = f"filter: {text}"
        if self.source == MARKED:
            note += " (every run it matches, not only the marked ones)"
        self.app.notify(note, markup=False)

    def action_pick_axes(self) -> None:
        if not self.loaded:
            return
        if not self.choices:
            self.notify("these runs have no params or metrics", severity="warning")
            return
        search = None
        got = self._cache.get(self.source)
        if self.keys_cut and got is not None:
            self.notify(
                f"listing the first {KEY_CAP:,} param and metric keys of these runs: type to search the others",
                markup=False,
            )
            search = functools.partial(_search_keys, self.tt.store, list(got.rids))
        self.app.push_screen(AxisPicker(self.choices, self.fields, search), self._axes_chosen)

    def _axes_chosen(self, fields: list[pc.Field] | None) -> None:
        if fields is None:
            return
        self._with_fields(list(fields), self.color)

    def action_pick_color(self) -> None:
        if not self.loaded:
            return
        metrics = [f for f in self.choices if f.kind == "metrics"]
        names = {f.name: f for f in metrics}
        current = self.color.name if self.color is not None else NO_COLOR_CHOICE
        self.app.push_screen(
            KeyPicker("colour lines by (metric)", [NO_COLOR_CHOICE, *names], current),
            lambda key: self._color_chosen_key(key, names),
        )

    def _color_chosen_key(self, key: str | None, names: dict[str, pc.Field]) -> None:
        if key is None:
            return
        self._color_chosen = True
        self._with_fields(list(self.fields), names.get(key))

    def action_move_axis(self, step: int) -> None:
        if not self.loaded or len(self.fields) < 2:
            return
        i, j = self.selected, self.selected + step
        if not 0 <= j < len(self.fields):
            return
        self.fields[i], self.fields[j] = self.fields[j], self.fields[i]
        self.selected = j
        self.rebuild()

    def action_drop_axis(self) -> None:
        got = self._axis()
        if got is None:
            return
        self.fields.remove(got[0])
        self.brushes.pop(got[0], None)
        self.rebuild()

    def action_toggle_source(self) -> None:
        other = FILTERED if self.source == MARKED else MARKED
        ids = self.marked_ids if other == MARKED else self.filtered_rids
        if not ids:
            self.notify(
                "no marked runs (space marks runs in the browser)" if other == MARKED else "the filter matches no runs",
                severity="warning",
            )
            return
        self.loaded = False
        self._show("pc-status", Text("loading runs…"))
        self._load(other, self._wanted())

    def action_focus_run(self, step: int) -> None:
        if not self.loaded or not self.runs:
            return
        order = [i for i, keep in enumerate(self.mask) if keep]
        if not order:
            return
        if self.scale is not None:
            values = [self.color.value(self.runs[i]) if self.color is not None else None for i in order]
            lower = self.scale.lower_is_better

            def rank(k: int) -> tuple[int, float]:
                v = values[k]
                if not isinstance(v, float) or math.isnan(v):
                    return (1, 0.0)
                return (0, v if lower else -v)

            order = [order[k] for k in sorted(range(len(order)), key=rank)]
        if self.focus_index in order:
            at = (order.index(self.focus_index) + step) % len(order)
        else:
            at = 0 if step > 0 else len(order) - 1
        self.focus_index = order[at]
        self.redraw()
