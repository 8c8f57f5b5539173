"""Side-by-side comparison of runs: "what is the difference between run A and run B, and who wins?"

One column per run, one row per run field / param / metric / tag.  Rows whose values differ are
flagged, the best value of each metric row gets a ★, ``d`` hides identical rows, ``f`` flips a
metric's direction (remembered per store, outside the store), ``e``/``E`` export, ``y`` copies an id.

The matrix is built in a worker (a run with 100,000 tags makes 120,000 rows: ~2 s) and the table
holds at most :data:`ROW_LIMIT` rows; ``/`` filters rows by label.  Exports write every row.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from tuitrack.analysis import compare as cmp
from tuitrack.entities import Run
from tuitrack.tui.colors import hex_color, run_colors
from tuitrack.tui.dialogs.path_prompt import PathPrompt
from tuitrack.tui.dialogs.step_prompt import StepPrompt
from tuitrack.tui.glyphs import status_text
from tuitrack.tui.text import safe
from tuitrack.tui.widgets.key_footer import KeyFooter
from tuitrack.tui.widgets.whole_columns import WholeColumnTable

if TYPE_CHECKING:
    from tuitrack.tui.app import TuitrackApp

DIFF_STYLE = "bold yellow"
BEST_STYLE = "bold green"
#: Widest cell and run-name header: one long value (a platform tag) must not make every column that wide;
#: the full value of the cell under the cursor shows in the line under the table.
CELL_LIMIT = 22
#: Comparing this many runs or more opens on the rows that differ.
DIFF_FIRST_FROM = 3
SYSTEM_PREFIX = "tuitrack."
#: Most rows the table holds (each added row is measured; the matrix of a wide run has 120,000).
ROW_LIMIT = 500


class CompareScreen(Screen[None]):
    """Compare the given runs (ids in column order)."""

    app: TuitrackApp  # for the type checker: the app this runs in (no effect at run time)

    DEFAULT_CSS = """
    CompareScreen #compare-title { height: 1; padding: 0 1; background: $panel; }
    CompareScreen DataTable { height: 1fr; }
    CompareScreen #compare-filter { height: 1; border: none; padding: 0 1; display: none; }
    CompareScreen #compare-filter.-shown { display: block; }
    CompareScreen #compare-value { height: 1; padding: 0 1; background: $panel; }
    """
    BINDINGS = [
        Binding("escape", "back", "Back", id="compare.back"),
        Binding("d", "toggle_diff", "Diff only", id="compare.diff"),
        Binding("m", "toggle_minmax", "Min/max", id="compare.minmax"),
        Binding("a", "at_step", "At step", id="compare.at_step"),
        Binding("s", "toggle_system", "System tags", id="compare.system_tags"),
        Binding("f", "flip_direction", "Flip best", id="compare.flip"),
        Binding("e", "export('md')", "Export md", id="compare.export_md"),
        Binding("E", "export('csv')", "Export csv", show=False, id="compare.export_csv"),
        Binding("y", "copy_id", "Copy id", id="compare.copy_id"),
        Binding("slash", "filter_rows", "Filter rows", key_display="/", id="compare.filter"),
        Binding("D", "artifact_diff", "Diff runs", show=False, id="compare.artifact_diff"),  # on ? and ctrl+p
    ]

    def __init__(self, run_ids: list[str]) -> None:
        super().__init__()
        self.run_ids = list(run_ids)
        self.runs: list[Run] = []
        self.diff_only = len(self.run_ids) >= DIFF_FIRST_FROM
        self.show_system = False  # tuitrack.* tags (platform, python, git) are noise in most comparisons
        self.system_hidden = 0  # rows of them left out of the table
        self.with_minmax = False
        self.prefs: cmp.DirectionPrefs | None = None
        self.comparison: cmp.Comparison | None = None
        self.loaded = False
        self.needle = ""
        self.matching = 0  # rows that pass diff-only and the filter (the table holds at most ROW_LIMIT)
        self.shown_rows = 0  # rows in the table
        self._built_for: tuple[object, ...] | None = None  # (with_minmax, directions, step) of self.comparison
        self.at_step: int | None = None  # metric rows at this step (the last point at or before it); None: latest
        self._step_values: tuple[int, dict[str, dict[str, cmp.StepValue]]] | None = None  # read for one step

    def compose(self) -> ComposeResult:
        yield Static(Text("loading runs…"), id="compare-title")
        yield Input(
            placeholder="filter rows by label · enter: to the table · escape: clear", id="compare-filter", disabled=True
        )  # enabled by / (a hidden input must never take the keys)
        # Whole columns only: a run's column that does not fit is left out (the title says "runs 1-2 of 3 →")
        # and the cursor scrolls to it a column at a time, so no value is ever drawn cut at the edge.
        table: DataTable[Text] = WholeColumnTable(id="compare-table", cursor_type="cell", zebra_stripes=True)
        table.fixed_columns = 1
        yield table
        yield Static(Text(""), id="compare-value")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._load()

    # -- loading -----------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="compare-load")
    def _load(self) -> None:
        store = self.app.store
        runs, missing = cmp.load_runs(store, self.run_ids)
        prefs = cmp.DirectionPrefs(store.path, directory=_state_dir(self.app))
        self.app.call_from_thread(self._loaded, runs, missing, prefs)

    def _loaded(self, runs: list[Run], missing: list[str], prefs: cmp.DirectionPrefs) -> None:
        self.runs = runs
        self.prefs = prefs
        self.loaded = True
        if missing:
            self.notify(f"{len(missing)} run(s) no longer in the store were left out", severity="warning")
        self.rebuild()

    def now_ms(self) -> int:
        return int(self.app.clock())

    # -- rendering ---------------------------------------------------------------------------
    def rebuild(self) -> None:
        """Recompute the matrix (in a worker) and redraw the table, keeping the cursor on the same row and column."""
        if self.prefs is None:
            return
        self._build(
            self.with_minmax, dict(self.prefs.overrides), self.diff_only, self.needle, self.show_system, self.at_step
        )

    @work(thread=True, exclusive=True, group="compare-build")
    def _build(
        self,
        with_minmax: bool,
        directions: dict[str, str],
        diff_only: bool,
        needle: str,
        system: bool = False,
        step: int | None = None,
    ) -> None:
        key = (with_minmax, tuple(sorted(directions.items())), step)
        comparison = self.comparison
        if comparison is None or self._built_for != key:
            at_step = None
            if step is not None:
                cached = self._step_values
                if cached is None or cached[0] != step:  # a store read: three index seeks per run and metric
                    cached = (step, cmp.values_at_step(self.app.store, self.runs, step))
                    self._step_values = cached
                at_step = cached
            comparison = cmp.build_comparison(
                self.runs, now_ms=self.now_ms(), with_minmax=with_minmax, directions=directions, at_step=at_step
            )
        rows = comparison.visible_rows(diff_only)
        hidden = 0
        if not system:  # tuitrack.* tags (platform, python, git) until s shows them
            kept = [r for r in rows if not _system(r)]
            rows, hidden = kept, len(rows) - len(kept)
        if needle:
            low = needle.lower()
            rows = [r for r in rows if low in r.label.lower()]
        with contextlib.suppress(RuntimeError):  # the app is shutting down
            self.app.call_from_thread(self._show, key, comparison, rows[:ROW_LIMIT], len(rows), hidden)

    def _show(
        self, key: tuple[object, ...], comparison: cmp.Comparison, rows: list[cmp.Row], matching: int, hidden: int = 0
    ) -> None:
        self.comparison, self._built_for, self.matching, self.system_hidden = comparison, key, matching, hidden
        table = self.query_one(DataTable)
        old_row, old_col = self._cursor_keys()
        table.clear(columns=True)
        colors = run_colors([r.info.run_id for r in self.runs])
        table.add_column(Text("field", style="bold"), key="__field__")
        for run in self.runs:
            color = hex_color(colors[run.info.run_id])
            label = Text("■ ", style=color) + safe(run.info.run_name, "bold", limit=CELL_LIMIT)
            table.add_column(label, key=run.info.run_id)
        widths = [column.content_width for column in table.ordered_columns]
        for row in rows:
            cells = self._cells(row)
            widths = [max(w, cell.cell_len) for w, cell in zip(widths, cells)]
            table.add_row(*cells, key=f"{row.section}\x00{row.key}")
        # The columns' widths from their cells now, as the table would measure them at its next idle: that
        # measuring sometimes misses a rebuild (the label column then stays as wide as "field").
        for column, width in zip(table.ordered_columns, widths):
            column.content_width = width
        self._update_title(len(rows))
        self._show_value()
        if old_row is not None:
            keys = [f"{r.section}\x00{r.key}" for r in rows]
            r = keys.index(old_row) if old_row in keys else 0
            cols = ["__field__", *[run.info.run_id for run in self.runs]]
            c = cols.index(old_col) if old_col in cols else 0
            table.move_cursor(row=r, column=c, animate=False)
        elif self.runs:
            table.move_cursor(row=0, column=1, animate=False)

    def _cells(self, row: cmp.Row) -> list[Text]:
        label = safe(row.label, DIFF_STYLE if row.differs else "", limit=40)
        if row.differs:
            label = Text("≠ ", style=DIFF_STYLE) + label
        else:
            label = Text("  ") + label
        if row.direction is not None:
            label.append(" ↓" if row.direction == cmp.LOWER else " ↑", style="dim")
        cells = [label]
        for i, value in enumerate(row.cells):
            note = row.notes[i] if row.notes else ""
            if value is None:
                cells.append(Text(f"— {note}" if note else "—", style="dim"))
            elif note:  # a value logged before the chosen step: say which step
                style = BEST_STYLE if i in row.best else ""
                cell = Text("★ ", style=BEST_STYLE) if i in row.best else Text("")
                cell.append_text(safe(value, style, limit=CELL_LIMIT))
                cell.append(" @" + note.rsplit(" ", 1)[-1], style="dim")
                cells.append(cell)
            elif row.section == cmp.RUN and row.key == "run id":
                cells.append(safe(value[:12], "dim"))
            elif row.section == cmp.RUN and row.key == "status":
                cells.append(status_text(value))
            elif i in row.best:
                cells.append(Text("★ ", style=BEST_STYLE) + safe(value, BEST_STYLE, limit=CELL_LIMIT))
            else:
                cells.append(safe(value, limit=CELL_LIMIT))
        return cells

    def _update_title(self, shown: int | None = None) -> None:
        if shown is None:
            shown = self.shown_rows
        self.shown_rows = shown
        total = len(self.comparison.rows) if self.comparison else 0
        text = Text(f"Compare {len(self.runs)} run{'s' if len(self.runs) != 1 else ''}", style="bold")
        window = self.query_one(WholeColumnTable).window()
        if window.count and (window.left or window.right):  # some runs' columns are off screen
            first, last = window.first - window.fixed + 1, window.last - window.fixed + 1
            text.append("  ·  ")
            which = f"runs {first}-{last}" if last > first else f"run {first}"
            arrows = ("← " if window.left else "", " →" if window.right else "")
            text.append(f"{arrows[0]}{which} of {window.count}{arrows[1]}", style="bold reverse")
        text.append(
            f"  ·  {shown}/{total} rows"
            if shown == self.matching
            else f"  ·  first {shown:,} of {self.matching:,} rows ({total:,} in all), / filters"
        )
        if self.needle:
            text.append("  ·  label contains ")
            text.append_text(safe(repr(self.needle)))
        text.append("  ·  differences only" if self.diff_only else "  ·  all rows")
        if self.at_step is not None:
            text.append(f"  ·  metrics at step {self.at_step:,}", style="bold")
            text.append(" (last point ≤ it)", style="dim")
        if self.with_minmax:
            text.append("  ·  with min/max")
        if not self.show_system and self.system_hidden:
            text.append(f"  ·  {self.system_hidden} system tags hidden (s)")
        text.append("  ·  ≠ differs  ★ best  ↑/↓ direction", style="dim")
        self.query_one("#compare-title", Static).update(text)

    @on(WholeColumnTable.WindowChanged)
    def _window_changed(self) -> None:
        if self.comparison is not None:
            self._update_title()

    def _cursor_keys(self) -> tuple[str | None, str | None]:
        table = self.query_one(DataTable)
        if table.row_count == 0 or not table.columns:
            return None, None
        try:
            cell = table.coordinate_to_cell_key(table.cursor_coordinate)
        except Exception:
            return None, None
        return cell.row_key.value, cell.column_key.value

    def cursor_row(self) -> cmp.Row | None:
        row_key, _ = self._cursor_keys()
        if row_key is None or self.comparison is None:
            return None
        section, key = row_key.split("\x00", 1)
        return self.comparison.row(section, key)

    def cursor_run_id(self) -> str | None:
        _, col = self._cursor_keys()
        return None if col in (None, "__field__") else col

    # -- actions -----------------------------------------------------------------------------
    def action_back(self) -> None:
        box = self.query_one("#compare-filter", Input)
        if box.has_focus or self.needle:  # escape clears the row filter first
            box.value = ""
            box.remove_class("-shown")
            box.disabled = True
            self.query_one(DataTable).focus()
            return
        self.app.pop_screen()

    def action_filter_rows(self) -> None:
        box = self.query_one("#compare-filter", Input)
        box.disabled = False
        box.add_class("-shown")
        box.focus()

    @on(Input.Changed, "#compare-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.needle = event.value.strip()
        self.rebuild()

    @on(Input.Submitted, "#compare-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one(DataTable).focus()

    def action_toggle_diff(self) -> None:
        self.diff_only = not self.diff_only
        self.rebuild()

    def action_toggle_system(self) -> None:
        self.show_system = not self.show_system
        self.rebuild()

    @on(DataTable.CellHighlighted)
    def _show_value(self) -> None:
        """The whole value of the cell under the cursor (cells are cut at ``CELL_LIMIT``)."""
        row, run_id, comparison = self.cursor_row(), self.cursor_run_id(), self.comparison
        line = Text("")
        if row is not None:
            line = safe(row.label, "bold", limit=60)
            if run_id is not None and comparison is not None and run_id in comparison.run_ids:
                i = comparison.run_ids.index(run_id)
                line.append("  ·  ", style="dim")
                line.append_text(safe(comparison.run_names[i], "dim", limit=40))
                line.append(": ", style="dim")
                value = row.cells[i]
                line.append_text(safe(value, limit=2000) if value is not None else Text("—", style="dim"))
                note = row.notes[i] if row.notes else ""
                step = self.comparison.step if self.comparison is not None else None
                if note and step is not None:
                    line.append(f" ({note}; at step {step:,})", style="dim")
        self.query_one("#compare-value", Static).update(line)

    def action_at_step(self) -> None:
        """``a``: show each metric's value at a step (its last point at or before it) instead of the latest."""
        if not self.loaded:
            return
        last = max((s.step for r in self.runs for s in r.data.summaries.values()), default=None)
        hint = f"these runs log steps up to {last:,}" if last is not None else ""
        default = "" if self.at_step is None else str(self.at_step)
        self.app.push_screen(StepPrompt("Compare metrics at step:", default, hint), self.set_step)

    def set_step(self, text: str | None) -> None:
        """Show the metrics at step ``int(text)``; ``""`` goes back to the latest values, None changes nothing."""
        if text is None:
            return
        self.at_step = int(text) if text else None
        self.rebuild()

    def action_toggle_minmax(self) -> None:
        self.with_minmax = not self.with_minmax
        self.rebuild()

    def action_flip_direction(self) -> None:
        row = self.cursor_row()
        if row is None or row.section not in cmp.METRIC_SECTIONS or self.prefs is None:
            label = row.label if row else "nothing"
            self.notify(f"f flips which way a metric is better; the cursor is on {label}", severity="warning")
            return
        try:
            new = self.prefs.flip(row.key)
        except OSError as exc:
            self.notify(f"could not remember the direction: {exc}", severity="error")
            return
        word = "lower" if new == cmp.LOWER else "higher"
        self.notify(f"{row.key}: {word} is better now (remembered for this store)")
        self.rebuild()

    def action_artifact_diff(self) -> None:
        """``D``: diff two runs (their fields and any artifact both have).  With two runs, those two;
        with more, the first run against the run of the column under the cursor."""
        from tuitrack.tui.screens.diff import DiffScreen

        ids = [r.info.run_id for r in self.runs]
        if len(ids) < 2:
            self.notify("D diffs two runs; this comparison has fewer", severity="warning")
            return
        if len(ids) == 2:
            a, b = ids
        else:
            cursor = self.cursor_run_id()
            if cursor is None or cursor == ids[0]:
                self.notify(
                    "D diffs the first run against the run under the cursor: move onto another run's column",
                    severity="warning",
                )
                return
            a, b = ids[0], cursor
        self.app.push_screen(DiffScreen(a, b))

    def action_copy_id(self) -> None:
        run_id = self.cursor_run_id()
        if run_id is None:
            self.notify("move the cursor onto a run's column to copy its id", severity="warning")
            return
        self.app.copy_to_clipboard(run_id)
        self.notify(f"copied run id {run_id}")

    def action_export(self, kind: str) -> None:
        if self.comparison is None:
            self.notify("the comparison is still loading", severity="warning")
            return
        default = Path(cmp.default_export_path(kind, self.now_ms())).resolve()  # says where it will be written
        title = "Export comparison as Markdown to:" if kind == "md" else "Export comparison as CSV to:"
        self.app.push_screen(PathPrompt(title, str(default)), lambda path: self._export_to(path))

    def _export_to(self, path: str | None) -> None:
        if path is None or self.comparison is None:
            return
        try:
            written = cmp.write_export(self.comparison, path, diff_only=self.diff_only)
        except (ValueError, OSError) as exc:
            self.notify(f"export failed: {exc}", severity="error")
            return
        self.notify(f"exported {'differences' if self.diff_only else 'comparison'} to {written.resolve()}")


def _system(row: cmp.Row) -> bool:
    return row.section == cmp.TAG and row.key.startswith(SYSTEM_PREFIX)


def _state_dir(app: object) -> Path | None:
    """The app's state folder when it has one (tests pass it to create_app), else the XDG default."""
    value = getattr(app, "state_dir", None)
    return Path(value) if value else None
