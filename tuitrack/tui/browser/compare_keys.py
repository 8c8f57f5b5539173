"""The browser's view keys (c, v, p, a, i, b): which runs each view (compare, charts, scatter, groups,
images, parallel coordinates) gets.

The bindings are the browser screen's (``COMPARE_BINDINGS`` in its ``BINDINGS``), so they are active only
while the browser is in front; its ``action_*`` methods call the functions here.  Each function only
decides *which runs* the view gets (marks, the cursor run, or the current filter) and pushes the screen;
the screens load everything themselves in workers.  Escape pops back to the browser, whose marks survive.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.binding import Binding

if TYPE_CHECKING:
    from tuitrack.tui.browser.screen import BrowserScreen

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


# The screens (and plotext under them) are imported when a key opens one: the first screen does not need them.
def open_compare(browser: BrowserScreen) -> None:
    """Marked runs, else the first runs of the current filter (capped)."""
    ids = browser.marked_run_ids()
    if ids:
        browser.say_marks_out_of_view("comparing")
        if len(ids) > COMPARE_CAP:
            browser.notify(f"comparing the first {COMPARE_CAP} of {len(ids)} marked runs")
            ids = ids[:COMPARE_CAP]
    else:
        ids = browser.visible_run_ids(limit=COMPARE_CAP + 1)
        if not ids:
            browser.notify("no runs to compare: the filter matches nothing", severity="warning")
            return
        if len(ids) > COMPARE_CAP:
            ids = ids[:COMPARE_CAP]
            browser.notify(f"no runs marked: comparing the first {COMPARE_CAP} runs of the filter (space marks runs)")
        else:
            browser.notify(f"no runs marked: comparing the {len(ids)} run{'s' if len(ids) != 1 else ''} of the filter")
    from tuitrack.tui.screens.compare import CompareScreen

    browser.app.push_screen(CompareScreen(ids))


def open_charts(browser: BrowserScreen) -> None:
    """Marked runs (or the run under the cursor)."""
    ids = browser.selected_run_ids()
    if not ids:
        browser.notify("no run to chart: select or mark a run first", severity="warning")
        return
    if browser.marked_run_ids():
        browser.say_marks_out_of_view("charting")
    if len(ids) > CHART_CAP:
        browser.notify(f"charting the first {CHART_CAP} of {len(ids)} marked runs")
        ids = ids[:CHART_CAP]
    from tuitrack.tui.screens.charts import ChartsScreen

    browser.app.push_screen(ChartsScreen(ids))


def open_images(browser: BrowserScreen) -> None:
    """Marked runs (or the run under the cursor): one image key side by side, with a step slider."""
    ids = browser.selected_run_ids()
    if not ids:
        browser.notify("no run to show images of: select or mark a run first", severity="warning")
        return
    if len(ids) > IMAGE_CAP:
        browser.notify(f"showing images of the first {IMAGE_CAP} of {len(ids)} marked runs")
    from tuitrack.tui.screens.images import ImagesScreen

    browser.app.push_screen(ImagesScreen(ids))


def _filter_ids(browser: BrowserScreen, what: str, cap: int = FILTER_CAP) -> list[str] | None:
    ids = browser.visible_run_ids(limit=cap + 1)
    if not ids:
        browser.notify(f"no runs for the {what}: the filter matches nothing", severity="warning")
        return None
    if len(ids) > cap:
        browser.notify(f"{what}: using the first {cap} runs of the filter")
        ids = ids[:cap]
    return ids


def open_scatter(browser: BrowserScreen) -> None:
    """Every run of the current filter (capped): param or metric vs metric."""
    ids = _filter_ids(browser, "scatter")
    if ids:
        from tuitrack.tui.screens.scatter import ScatterScreen

        browser.app.push_screen(ScatterScreen(ids))


def open_grouped(browser: BrowserScreen) -> None:
    """Every run of the current filter (capped), grouped by params except seeds."""
    ids = _filter_ids(browser, "grouped view", GROUPS_CAP)
    if ids:
        from tuitrack.tui.screens.groups import GroupsScreen

        browser.app.push_screen(GroupsScreen(ids))


def open_parcoords(browser: BrowserScreen) -> None:
    """Parallel coordinates: the marked runs, or the first runs of the current filter (``m`` switches)."""
    marked = browser.marked_run_ids()
    rids = list(browser.table.rids[: PARCOORDS_CAP + 1])  # the ids are in hand: the screen reads the runs
    if not marked and not rids:
        browser.notify("no runs to draw: the filter matches nothing", severity="warning")
        return
    if len(rids) > PARCOORDS_CAP:
        rids = rids[:PARCOORDS_CAP]
        if not marked:
            browser.notify(f"parallel coordinates: the first {PARCOORDS_CAP:,} runs of the filter")
    if marked:
        browser.say_marks_out_of_view("drawing")
    from tuitrack.tui.screens.parcoords import ParCoordsScreen

    browser.app.push_screen(ParCoordsScreen(marked[:PARCOORDS_CAP], rids))
