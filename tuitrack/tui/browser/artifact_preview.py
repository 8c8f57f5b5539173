"""Artifact list rows and the preview of one artifact.

Text files are shown literally (JSON pretty-printed, CSV as a table, code and
config files highlighted by Pygments tokens, never parsed as markup); binary
files say so with their size; a model folder shows its ``MLmodel``; images
(png, jpg, gif, bmp, webp) are drawn in the terminal with their dimensions (see
``image_view``).  The file is read in a worker thread, at most ``PREVIEW_LIMIT`` bytes.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static
from textual.worker import get_current_worker

from tuitrack.entities import Artifact
from tuitrack.errors import TuitrackError
from tuitrack.store.core import Store
from tuitrack.tui.browser.detail_render import human_size
from tuitrack.tui.text import clean, safe
from tuitrack.tui.widgets import image_view
from tuitrack.tui.widgets.quiet import update_static

if TYPE_CHECKING:
    from tuitrack.tui.app import TuitrackApp

PREVIEW_LIMIT = 200_000
#: Syntax highlighting above this size costs more than it helps; such files show plain.
HIGHLIGHT_LIMIT = 60_000
CSV_MAX_ROWS = 100
CSV_MAX_COLS = 16
MODEL_PREFIX = "model:"
SERVER_PREFIX = "server:"
_LEXERS = {
    ".json": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".py": "python",
    ".toml": "toml",
    ".ini": "ini",
    ".cfg": "ini",
    ".md": "markdown",
    ".sh": "bash",
}


@dataclass(frozen=True)
class ArtifactRow:
    """One line of the artifact list; ``key`` is the artifact path, or ``model:<dir>`` for a model folder."""

    key: str
    label: str
    size: int | None
    is_model: bool = False
    #: still on the tracking server (a pull without --artifacts): selecting it fetches it
    on_server: bool = False


def artifact_rows(artifacts: list[Artifact], on_server: Sequence[Artifact] = ()) -> list[ArtifactRow]:
    """Files in path order, each model folder (holding MLmodel) as an extra row before its files; then
    the files ``on_server`` only (a pulled run's, not downloaded), each fetched when selected."""
    return _local_rows(artifacts) + [
        ArtifactRow(SERVER_PREFIX + a.path, a.path, a.size, on_server=True) for a in on_server
    ]


def _local_rows(artifacts: list[Artifact]) -> list[ArtifactRow]:
    from tuitrack.tracking.artifacts import LEGACY_MODEL_META, MODEL_META  # the logging side, after the first screen

    model_dirs = {
        str(PurePosixPath(a.path).parent)
        for a in artifacts
        if PurePosixPath(a.path).name in (MODEL_META, LEGACY_MODEL_META) and "/" in a.path
    }
    rows: list[ArtifactRow] = []
    seen: set[str] = set()
    for a in artifacts:
        parent = str(PurePosixPath(a.path).parent)
        for d in sorted(model_dirs):
            if d not in seen and (parent == d or parent.startswith(d + "/")):
                total = sum(x.size for x in artifacts if x.path.startswith(d + "/"))
                rows.append(ArtifactRow(MODEL_PREFIX + d, d + "/", total, is_model=True))
                seen.add(d)
        rows.append(ArtifactRow(a.path, a.path, a.size))
    return rows


def _is_binary(head: bytes) -> bool:
    if b"\x00" in head:
        return True
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return True
    return False


def _highlight(text: str, lexer: str | None) -> Text:
    body = clean(text, single_line=False)
    if lexer is None or len(body) > HIGHLIGHT_LIMIT:
        return Text(body)
    from rich.syntax import Syntax  # pygments (~0.2 s to import): only once a file is previewed

    return Syntax(body, lexer, theme="ansi_dark", word_wrap=True).highlight(body)


def _csv_table(text: str, truncated: bool) -> RenderableType | None:
    lines = text.splitlines()
    if truncated and lines:
        lines = lines[:-1]  # the last line may be cut mid-row
    try:
        dialect = csv.Sniffer().sniff("\n".join(lines[:20]), delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = list(csv.reader(io.StringIO("\n".join(lines[: CSV_MAX_ROWS + 1])), dialect))
    except csv.Error:
        return None
    if not rows:
        return None
    header, body = rows[0], rows[1:]
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold", expand=False)
    for name in header[:CSV_MAX_COLS]:
        table.add_column(safe(name, limit=30), overflow="ellipsis", max_width=30, no_wrap=True)
    if len(header) > CSV_MAX_COLS:
        table.add_column(f"(+{len(header) - CSV_MAX_COLS} columns)", style="dim")
    width = len(table.columns)
    for row in body:
        cells = [safe(c, limit=30) for c in row[:CSV_MAX_COLS]]
        cells += [Text("")] * (width - len(cells))
        table.add_row(*cells[:width])
    total = len(lines) - 1
    note = (
        f"{len(body)} of {total}{'+' if truncated else ''} rows" if total > len(body) or truncated else f"{total} rows"
    )
    return Group(table, Text(note, style="dim"))


def render_preview(store: Store, run_id: str, row: ArtifactRow) -> tuple[Text, RenderableType | image_view.Picture]:
    """(title, body) for one artifact; an image's body is its decoded :class:`image_view.Picture`.

    Raises the store's errors for the caller to show.
    """
    from tuitrack.tracking import images
    from tuitrack.tracking.artifacts import LEGACY_MODEL_META, MODEL_META

    path = row.key
    if row.is_model:
        folder = row.key[len(MODEL_PREFIX) :]
        path = folder + "/" + MODEL_META
        try:
            store.artifact_file(run_id, path)
        except FileNotFoundError:
            path = folder + "/" + LEGACY_MODEL_META
    title = safe(row.label, "bold")
    if not row.is_model and images.is_image(path):
        file = store.artifact_file(run_id, path)
        try:
            picture = image_view.load(file)
        except Exception as exc:  # not decodable: say so, with the size
            title.append(f"  {human_size(file.stat().st_size)}", "dim")
            return title, safe(f"image that cannot be decoded: {exc}", "yellow", single_line=False)
        title.append(f"  {picture.width}×{picture.height} px, {human_size(picture.size)}", "dim")
        return title, picture
    if row.is_model:
        title.append("  model folder, " + human_size(row.size), "dim")
    file = store.artifact_file(run_id, path)
    size = file.stat().st_size
    with open(file, "rb") as fh:
        head = fh.read(8192)
    if not row.is_model:
        title.append(f"  {human_size(size)}", "dim")
    if _is_binary(head):
        return title, Text(f"binary file, {size:,} bytes", style="italic")
    text = store.read_artifact_text(run_id, path, limit=PREVIEW_LIMIT)
    truncated = size > PREVIEW_LIMIT
    suffix = PurePosixPath(path).suffix.lower()
    note = (
        Text(f"showing the first {human_size(PREVIEW_LIMIT)} of {human_size(size)}\n", style="yellow")
        if truncated
        else None
    )
    body: RenderableType
    if not text:
        body = Text("empty file", style="dim italic")
    elif suffix in (".json",) and not truncated:
        try:
            body = _highlight(json.dumps(json.loads(text), indent=2, ensure_ascii=False), "json")
        except ValueError as exc:
            body = Group(Text(f"not valid JSON ({exc}); shown as text", style="yellow"), _highlight(text, None))
    elif suffix in (".csv", ".tsv"):
        body = _csv_table(text, truncated) or _highlight(text, None)
    else:
        body = _highlight(text, _LEXERS.get(suffix))
    return title, Group(note, body) if note is not None else body


class ArtifactPreview(VerticalScroll):
    """Scrollable preview of one artifact, loaded in its own worker so big files never block keys."""

    app: TuitrackApp  # for the type checker: the app this runs in (no effect at run time)

    DEFAULT_CSS = """
    ArtifactPreview { height: 1fr; border-top: solid $primary-background; }
    ArtifactPreview > #preview-title { height: auto; }
    ArtifactPreview > #preview-body { height: auto; }
    ArtifactPreview > #preview-image { width: auto; height: auto; max-height: 40; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.shown: ArtifactRow | None = None
        self._wanted: tuple[str, ArtifactRow] | None = None

    def compose(self) -> ComposeResult:
        title = Static(Text(""), id="preview-title")
        title.display = False
        yield title
        yield Static(Text("select an artifact and press enter to preview it", style="dim"), id="preview-body")
        # the image widget (#preview-image) is mounted with the first picture: textual-image imports then

    def clear(self, message: str = "select an artifact and press enter to preview it") -> None:
        self._wanted = None
        self.shown = None
        title = self.query_one("#preview-title", Static)
        title.display = False
        update_static(title, Text(""))
        body = self.query_one("#preview-body", Static)
        update_static(body, Text(message, style="dim"))
        body.display = True
        self._show_picture(None)

    class Fetched(Message):
        """A file of the run came from the tracking server: the artifact list reads it as local now."""

    def show(self, run_id: str, row: ArtifactRow) -> None:
        """Start loading ``row``; the old preview stays until the new one is ready.  A row still on the
        tracking server is fetched first (in a worker; the preview says so while it comes)."""
        if row.on_server:
            local = ArtifactRow(row.label, row.label, row.size)
            self._wanted = (run_id, local)
            self._say(safe(f"fetching {row.label} ({human_size(row.size)}) from the tracking server…", "italic"))
            self._fetch(run_id, row, local)
            return
        self._wanted = (run_id, row)
        self._load(run_id, row)

    def _say(self, text: Text) -> None:
        body = self.query_one("#preview-body", Static)
        update_static(body, text)
        body.display = True
        self._show_picture(None)

    @work(thread=True, group="artifact-fetch")
    def _fetch(self, run_id: str, row: ArtifactRow, local: ArtifactRow) -> None:
        """Download one file of a pulled run into its artifact folder, then preview it (errors: one line)."""
        from tuitrack.sync.pull import fetch_artifacts  # the sync layer loads only when used

        app = self.app
        last = [0.0]

        def progress(files: int, total: int, size: int, size_total: int) -> None:
            now = time.monotonic()
            if now - last[0] >= 0.2:
                last[0] = now
                text = f"fetching {row.label}: {human_size(size)} of {human_size(size_total)}"
                app.call_from_thread(self._progress, run_id, local, text)

        try:
            if app.store.read_only:
                raise TuitrackError("the store is read-only: the file cannot be stored (open it writable)")
            rep = fetch_artifacts(app.store, run_id, [row.label], progress=progress)
            if rep.problems:
                raise TuitrackError(rep.problems[0])
            title, body = render_preview(app.store, run_id, local)
        except Exception as exc:  # the server, the network or the path said no: one line, nothing lost
            title = safe(row.label, "bold")
            body = safe(f"fetch failed: {exc}", "red")
        with contextlib.suppress(RuntimeError):  # the app is shutting down
            app.call_from_thread(self._fetched, run_id, local, title, body)

    def _progress(self, run_id: str, row: ArtifactRow, text: str) -> None:
        if self._wanted == (run_id, row):
            self._say(safe(text, "italic"))

    def _fetched(self, run_id: str, row: ArtifactRow, title: Text, body: RenderableType | image_view.Picture) -> None:
        self.post_message(self.Fetched())
        self._apply(run_id, row, title, body)

    @work(thread=True, exclusive=True, group="artifact-preview")
    def _load(self, run_id: str, row: ArtifactRow) -> None:
        worker = get_current_worker()
        try:
            title, body = render_preview(self.app.store, run_id, row)
        except Exception as exc:  # a vanished file or run must not crash the pane
            title, body = safe(row.label, "bold"), safe(f"cannot preview: {exc}", "red", single_line=False)
        if not worker.is_cancelled:
            self.app.call_from_thread(self._apply, run_id, row, title, body)

    def _apply(self, run_id: str, row: ArtifactRow, title: Text, body: RenderableType | image_view.Picture) -> None:
        if self._wanted != (run_id, row):
            return
        self.shown = row
        heading = self.query_one("#preview-title", Static)
        heading.update(title)
        heading.display = True
        text = self.query_one("#preview-body", Static)
        if isinstance(body, image_view.Picture):
            text.display = False
            self._show_picture(body)
        else:
            text.update(body)
            text.display = True
            self._show_picture(None)
        self.scroll_home(animate=False)

    def _show_picture(self, picture: image_view.Picture | None) -> None:
        found = self.query("#preview-image")
        if not found:
            if picture is not None:
                self.mount(image_view.make_widget(picture, id="preview-image"))
            return
        widget = found.first()
        if picture is None and not widget.display:
            return  # nothing shown: touching the widget would relayout the pane on every cursor move
        image_view.set_picture(widget, picture)
        widget.display = picture is not None
