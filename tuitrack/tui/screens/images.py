"""Image view (``i``): one image key across the marked runs, side by side, with a step slider.

The runs' image series come from their artifact lists (``images/<key>/step_<n>.png``, see
``tuitrack.tracking.images``).  ``←``/``→`` move through the steps any of the runs logged, ``home``/``end``
jump to the first/last, ``[``/``]`` switch the image key.  A run without an image at the chosen step
shows its latest image before it (its caption names that step), or says it has none yet.  Artifact
lists are read and images decoded in workers; captions show run names literally.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import get_current_worker

from tuitrack.tracking import images
from tuitrack.tui.colors import hex_color, run_colors
from tuitrack.tui.text import safe
from tuitrack.tui.widgets import image_view
from tuitrack.tui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from tuitrack.tui.app import TuitrackApp

#: At most this many runs side by side (the first marked ones).
MAX_RUNS = 6


@dataclass(frozen=True)
class Series:
    run_id: str
    name: str
    by_key: dict[str, dict[int, str]]  # key -> step -> artifact path


class ImagesScreen(Screen[None]):
    """Compare one image key across runs at a step."""

    app: TuitrackApp  # for the type checker: the app this runs in (no effect at run time)

    DEFAULT_CSS = """
    ImagesScreen #images-title { height: 1; padding: 0 1; background: $panel; }
    ImagesScreen #images-slider { height: 1; padding: 0 1; }
    ImagesScreen #images-grid { height: 1fr; grid-gutter: 0 1; padding: 0 1; }
    ImagesScreen .image-cell { height: 1fr; }
    ImagesScreen .image-caption { height: 1; }
    ImagesScreen .image-picture { width: auto; height: auto; }
    ImagesScreen .image-missing { height: 1fr; color: $text-muted; }
    """
    BINDINGS = [
        Binding("escape", "back", "Back", id="images.back"),
        Binding("left", "step(-1)", "Step", key_display="←", id="images.previous_step"),
        Binding("right", "step(1)", "Step", key_display="→", show=False, id="images.next_step"),
        Binding("home", "step_to(0)", "First step", show=False, id="images.first_step"),
        Binding("end", "step_to(-1)", "Last step", show=False, id="images.last_step"),
        Binding("right_square_bracket", "key(1)", "Next image key", key_display="]", id="images.next_key"),
        Binding(
            "left_square_bracket",
            "key(-1)",
            "Previous image key",
            key_display="[",
            show=False,
            id="images.previous_key",
        ),
    ]

    def __init__(self, run_ids: list[str]) -> None:
        super().__init__()
        self.run_ids = list(run_ids)[:MAX_RUNS]
        self.series: list[Series] = []
        self.keys: list[str] = []
        self.key: str | None = None
        self.steps: list[int] = []
        self.step_index = 0
        self.loaded = False
        self.shown: list[tuple[str, int | None]] = []  # per run: (what is shown, the step it came from)

    def compose(self) -> ComposeResult:
        yield Static(Text("loading images…"), id="images-title")
        yield Static(Text(""), id="images-slider")
        yield Grid(id="images-grid")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._load_series()

    # -- reading ---------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="images-list")
    def _load_series(self) -> None:
        store = self.app.store
        out = []
        for run_id in self.run_ids:
            try:
                run = store.get_run(run_id)
            except Exception:
                continue
            paths = [a.path for a in store.list_artifacts(run.id)]
            out.append(Series(run.id, run.info.run_name, images.image_series(paths)))
        self.app.call_from_thread(self._listed, out)

    def _listed(self, series: list[Series]) -> None:
        self.series = series
        self.keys = sorted({k for s in series for k in s.by_key})
        self.loaded = True
        if not self.keys:
            self.query_one("#images-title", Static).update(
                Text("no image series in these runs (log_image(image, key=..., step=...) makes one)", style="bold")
            )
            return
        self._choose_key(self.keys[0])

    def _choose_key(self, key: str) -> None:
        self.key = key
        self.steps = sorted({step for s in self.series for step in s.by_key.get(key, {})})
        self.step_index = len(self.steps) - 1  # the latest step first: where training ended
        self._build_grid()
        self._show_step()

    def _build_grid(self) -> None:
        grid = self.query_one("#images-grid", Grid)
        grid.remove_children()
        n = max(1, len(self.series))
        grid.styles.grid_size_columns = min(n, 3)
        grid.styles.grid_size_rows = (n + 2) // 3
        colors = run_colors([s.run_id for s in self.series])
        cells = []
        for i, s in enumerate(self.series):
            caption = Static(Text(""), id=f"caption-{i}", classes="image-caption")
            caption.styles.color = hex_color(colors[s.run_id])
            picture = image_view.make_widget(None, id=f"picture-{i}", classes="image-picture")
            missing = Static(Text(""), id=f"missing-{i}", classes="image-missing")
            cells.append(Vertical(caption, picture, missing, classes="image-cell"))
        grid.mount_all(cells)

    def _show_step(self) -> None:
        if self.key is None or not self.steps:
            return
        step = self.steps[self.step_index]
        title = Text("Images  ", style="bold")
        title.append_text(safe(self.key, "bold", limit=60))
        title.append(f"  ·  {len(self.series)} runs", style="dim")
        if len(self.keys) > 1:
            title.append(f"  ·  key {self.keys.index(self.key) + 1}/{len(self.keys)} ([ ])", style="dim")
        self.query_one("#images-title", Static).update(title)
        self.query_one("#images-slider", Static).update(
            _slider(self.steps, self.step_index, max(20, self.size.width - 30))
        )
        wanted = []
        for s in self.series:
            steps = sorted(s.by_key.get(self.key, {}))
            at = bisect.bisect_right(steps, step) - 1
            wanted.append((s.by_key[self.key][steps[at]], steps[at]) if at >= 0 else None)
        self._load_pictures(self.key, step, wanted)

    @work(thread=True, exclusive=True, group="images-read")
    def _load_pictures(self, key: str, step: int, wanted: list[tuple[str, int] | None]) -> None:
        worker = get_current_worker()
        store = self.app.store
        pictures: list[tuple[image_view.Picture | None, str]] = []
        for s, item in zip(self.series, wanted):
            if worker.is_cancelled:
                return
            if item is None:
                pictures.append((None, f"no {key} image at or before step {step}"))
                continue
            try:
                pictures.append((image_view.load(store.artifact_file(s.run_id, item[0])), ""))
            except Exception as exc:  # a vanished or broken file: say so in its cell
                pictures.append((None, f"cannot show {item[0]}: {exc}"))
        if not worker.is_cancelled:
            self.app.call_from_thread(self._pictures_loaded, key, step, wanted, pictures)

    def _pictures_loaded(
        self,
        key: str,
        step: int,
        wanted: list[tuple[str, int] | None],
        pictures: list[tuple[image_view.Picture | None, str]],
    ) -> None:
        if key != self.key or not self.steps or self.steps[self.step_index] != step:
            return  # the user moved on
        self.shown = []
        for i, (s, item, (picture, problem)) in enumerate(zip(self.series, wanted, pictures)):
            caption = Text("■ ")
            caption.append_text(safe(s.name, "bold", limit=40))
            if item is not None and picture is not None:
                caption.append(f"  step {item[1]}" + ("" if item[1] == step else f" (latest ≤ {step})"), style="dim")
                caption.append(f"  {picture.width}×{picture.height}", style="dim")
            self.query_one(f"#caption-{i}", Static).update(caption)
            widget = self.query_one(f"#picture-{i}")
            image_view.set_picture(widget, picture)
            widget.display = picture is not None
            missing = self.query_one(f"#missing-{i}", Static)
            missing.update(safe(problem, single_line=False))
            missing.display = picture is None
            self.shown.append((item[0] if item and picture is not None else problem, item[1] if item else None))

    # -- actions -----------------------------------------------------------------------------
    def action_back(self) -> None:
        self.app.pop_screen()

    def action_step(self, delta: int) -> None:
        if self.steps:
            self.step_index = max(0, min(len(self.steps) - 1, self.step_index + delta))
            self._show_step()

    def action_step_to(self, index: int) -> None:
        if self.steps:
            self.step_index = index % len(self.steps)
            self._show_step()

    def action_key(self, delta: int) -> None:
        if self.key is not None and len(self.keys) > 1:
            self._choose_key(self.keys[(self.keys.index(self.key) + delta) % len(self.keys)])


def _slider(steps: list[int], index: int, width: int) -> Text:
    """``step 40  ├────●──────┤  3/9`` (first and last step at the ends)."""
    text = Text(f"step {steps[index]}  ", style="bold")
    track = max(10, width - 30)
    pos = 0 if len(steps) == 1 else round(index * (track - 1) / (len(steps) - 1))
    text.append(f"{steps[0]} ├", style="dim")
    text.append("─" * pos, style="dim")
    text.append("●", style="bold")
    text.append("─" * (track - 1 - pos), style="dim")
    text.append(f"┤ {steps[-1]}", style="dim")
    text.append(f"  {index + 1}/{len(steps)}  ← →", style="dim")
    return text
