"""Compare, charts, scatter and grouped views, added to the app as a mixin (keys c, v, p, a).

The mixin only decides *which runs* a view gets (marks, the cursor run, or the current filter) and
pushes the screen; the screens load everything themselves in workers.  Escape pops back to the
browser, whose marks live in the app and so survive.
"""

from __future__ import annotations

from typing import Any

from textual.binding import Binding

# The four screens (and plotext under them) are imported when a key opens one: the first screen
# does not need them (issue 16: import lazily what the first screen does not need).
VIEWS_PACKAGE = "tuitrack.tui.screens."
#: The image view shows at most this many runs (tuitrack.tui.screens.images.MAX_RUNS).
IMAGE_CAP = 6

COMPARE_CAP = 20
CHART_CAP = 12
FILTER_CAP = 500
#: The grouped view reads every run's history in one query, so it takes more runs than the scatter.
GROUPS_CAP = 1000
#: Parallel coordinates draw at most this many runs (the picture's cost is bounded by the screen).
PARCOORDS_CAP = 1000

COMPARE_BINDINGS: list[Binding] = [
    Binding("c", "compare", "Compare", id="compare.open"),
    # Not g/G: those are top/bottom in every list, as in vim and less.
    Binding("v", "charts", "Charts", id="compare.charts"),
    Binding("p", "scatter", "Scatter", show=False, id="compare.scatter"),
    Binding("a", "grouped", "Groups", show=False, id="compare.grouped"),
    Binding("i", "images", "Images", show=False, id="compare.images"),
    Binding("b", "parcoords", "Parallel coordinates", show=False, id="compare.parcoords"),
]


class CompareActions:
    """Actions for the app; expects the TUI contract (store, clock, marked/selected/visible_run_ids)."""

    def _browser_only(self) -> bool:
        """Views open from the browser only (not stacked on another compare/chart view)."""
        app: Any = self
        return not type(app.screen).__module__.startswith(VIEWS_PACKAGE)  # compare, charts, scatter, ...

    def action_compare(self) -> None:
        """Marked runs, else the first runs of the current filter (capped)."""
        app: Any = self
        if not self._browser_only():
            return
        ids = app.marked_run_ids()
        if ids:
            app.say_marks_out_of_view("comparing")
            if len(ids) > COMPARE_CAP:
                app.notify(f"comparing the first {COMPARE_CAP} of {len(ids)} marked runs")
                ids = ids[:COMPARE_CAP]
        else:
            ids = app.visible_run_ids(limit=COMPARE_CAP + 1)
            if not ids:
                app.notify("no runs to compare: the filter matches nothing", severity="warning")
                return
            if len(ids) > COMPARE_CAP:
                ids = ids[:COMPARE_CAP]
                app.notify(f"no runs marked: comparing the first {COMPARE_CAP} runs of the filter (space marks runs)")
            else:
                app.notify(f"no runs marked: comparing the {len(ids)} run{'s' if len(ids) != 1 else ''} of the filter")
        from tuitrack.tui.screens.compare import CompareScreen

        app.push_screen(CompareScreen(ids))

    def action_charts(self) -> None:
        """Marked runs (or the run under the cursor)."""
        app: Any = self
        if not self._browser_only():
            return
        ids = app.selected_run_ids()
        if not ids:
            app.notify("no run to chart: select or mark a run first", severity="warning")
            return
        if app.marked_run_ids():
            app.say_marks_out_of_view("charting")
        if len(ids) > CHART_CAP:
            app.notify(f"charting the first {CHART_CAP} of {len(ids)} marked runs")
            ids = ids[:CHART_CAP]
        from tuitrack.tui.screens.charts import ChartsScreen

        app.push_screen(ChartsScreen(ids))

    def action_images(self) -> None:
        """Marked runs (or the run under the cursor): one image key side by side, with a step slider."""
        app: Any = self
        if not self._browser_only():
            return
        ids = app.selected_run_ids()
        if not ids:
            app.notify("no run to show images of: select or mark a run first", severity="warning")
            return
        if len(ids) > IMAGE_CAP:
            app.notify(f"showing images of the first {IMAGE_CAP} of {len(ids)} marked runs")
        from tuitrack.tui.screens.images import ImagesScreen

        app.push_screen(ImagesScreen(ids))

    def _filter_ids(self, what: str, cap: int = FILTER_CAP) -> list[str] | None:
        app: Any = self
        ids = app.visible_run_ids(limit=cap + 1)
        if not ids:
            app.notify(f"no runs for the {what}: the filter matches nothing", severity="warning")
            return None
        if len(ids) > cap:
            app.notify(f"{what}: using the first {cap} runs of the filter")
            ids = ids[:cap]
        return ids

    def action_scatter(self) -> None:
        """Every run of the current filter (capped): param or metric vs metric."""
        app: Any = self
        if not self._browser_only():
            return
        ids = self._filter_ids("scatter")
        if ids:
            from tuitrack.tui.screens.scatter import ScatterScreen

        app.push_screen(ScatterScreen(ids))

    def action_grouped(self) -> None:
        """Every run of the current filter (capped), grouped by params except seeds."""
        app: Any = self
        if not self._browser_only():
            return
        ids = self._filter_ids("grouped view", GROUPS_CAP)
        if ids:
            from tuitrack.tui.screens.groups import GroupsScreen

        app.push_screen(GroupsScreen(ids))

    def action_parcoords(self) -> None:
        """Parallel coordinates: the marked runs, or the first runs of the current filter (``m`` switches)."""
        app: Any = self
        if not self._browser_only():
            return
        marked = app.marked_run_ids()
        rids = list(app.browser.table.rids[: PARCOORDS_CAP + 1])  # the ids are in hand: the screen reads the runs
        if not marked and not rids:
            app.notify("no runs to draw: the filter matches nothing", severity="warning")
            return
        if len(rids) > PARCOORDS_CAP:
            rids = rids[:PARCOORDS_CAP]
            if not marked:
                app.notify(f"parallel coordinates: the first {PARCOORDS_CAP:,} runs of the filter")
        if marked:
            app.say_marks_out_of_view("drawing")
        from tuitrack.tui.screens.parcoords import ParCoordsScreen

        app.push_screen(ParCoordsScreen(marked[:PARCOORDS_CAP], rids))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide c/g/p/G (footer, palette) while one of these views is open: they start from the browser."""
        if action in _ACTIONS and not self._browser_only():
            return False
        return super().check_action(action, parameters)  # type: ignore[misc]


_ACTIONS = {"compare", "charts", "scatter", "grouped", "images", "parcoords"}
