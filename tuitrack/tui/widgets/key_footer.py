"""The footer every tuitrack screen uses: one line of the keys a newcomer needs, never cut off.

Why not Textual's ``Footer``: it is a container of one widget per key, and every change
of the shown keys (most focus changes: opening the detail, closing it, entering the
filter) re-mounts them all (restyles plus a full-screen relayout, paid by that key press).
This footer is one widget that renders one line of text, so a change of keys repaints a line.

Screens show only their few essential keys (the rest stay in ``?`` help and the
``ctrl+p`` palette), and the spacing tightens and the palette hint goes when the
terminal is narrow, so the essential keys fit in 80 columns.  Clicking a key presses it.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget

#: Below this width the footer is compact and the ``^p palette`` hint is left out (``?`` lists it).
ROOMY_WIDTH = 100


@dataclass(frozen=True)
class FooterItem:
    """One entry: a key (or a group of keys sharing one label, like ``[ ] Tabs``)."""

    keys: tuple[tuple[str, str], ...]  # (key, how it is shown)
    description: str
    enabled: bool = True


def footer_items(screen: Screen) -> tuple[tuple[FooterItem, ...], FooterItem | None]:
    """The shown keys of ``screen`` in binding order (one per action; groups merged), and the palette key."""
    app = screen.app
    per_action: dict[str, tuple[Binding, bool]] = {}
    for _, binding, enabled, _tooltip in screen.active_bindings.values():
        if binding.show and binding.action not in per_action:
            per_action[binding.action] = (binding, enabled)
    items: list[FooterItem] = []
    pending: list[tuple[Binding, bool]] = []

    def flush() -> None:
        if not pending:
            return
        group = pending[0][0].group
        if group is not None and len(pending) > 1:
            items.append(
                FooterItem(
                    tuple((b.key, app.get_key_display(b)) for b, _ in pending),
                    group.description,
                    any(e for _, e in pending),
                )
            )
        else:
            items.extend(FooterItem(((b.key, app.get_key_display(b)),), b.description, bool(e)) for b, e in pending)
        pending.clear()

    for entry in per_action.values():
        if pending and (entry[0].group is None or entry[0].group is not pending[0][0].group):
            flush()
        pending.append(entry)
    flush()
    palette = None
    active = screen.active_bindings.get(app.COMMAND_PALETTE_BINDING)
    if active is not None and app.ENABLE_COMMAND_PALETTE:
        binding = active.binding
        palette = FooterItem(((binding.key, app.get_key_display(binding)),), binding.description, active.enabled)
    return tuple(items), palette


class KeyFooter(Widget, can_focus=False):
    """One line of key hints for the active screen; repaints (never re-mounts) when they change."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"key-footer--key", "key-footer--description", "key-footer--separator"}
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        width: 1fr;
        color: $footer-foreground;
        background: $footer-background;
    }
    KeyFooter > .key-footer--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    KeyFooter > .key-footer--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    KeyFooter > .key-footer--separator { color: $foreground 20%; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._items: tuple[tuple[FooterItem, ...], FooterItem | None] | None = None
        self._hits: list[tuple[int, int, str, bool]] = []  # (start, end, key, enabled) per rendered key

    @property
    def items(self) -> tuple[FooterItem, ...]:
        """What the footer shows now (tests read this rather than the picture)."""
        return self._current()[0]

    @property
    def roomy(self) -> bool:
        return self.size.width >= ROOMY_WIDTH

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen) -> None:
        """Repaint when the shown keys change (focus moves signal this even when they do not)."""
        if not screen.app.app_focus or screen is not self.screen:
            return  # a terminal losing focus must not blank the keys
        items = footer_items(screen)
        if items != self._items:
            self._items = items
            self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        self.refresh()

    def _current(self) -> tuple[tuple[FooterItem, ...], FooterItem | None]:
        if self._items is None:
            self._items = footer_items(self.screen)
        return self._items

    def render_line(self, y: int) -> Strip:
        """The keys as styled segments (no Rich text layout: this line is redrawn on every focus move)."""
        width = self.size.width
        if y != 0:
            return Strip.blank(width, self.rich_style)
        items, palette = self._current()
        key_style = self.get_component_rich_style("key-footer--key")
        desc_style = self.get_component_rich_style("key-footer--description")
        roomy = self.roomy
        segments: list[Segment] = []
        hits: list[tuple[int, int, str, bool]] = []
        x = 0

        def put(text: str, style: Style) -> None:
            nonlocal x
            segments.append(Segment(text, style))
            x += cell_len(text)

        def add(item: FooterItem) -> None:
            # Spacing as Textual's footer pads it: " key desc " roomy, " key desc" narrow.  The spaces
            # belong to the styled segments (a segment that starts with a space renders fine in SVGs).
            dim = Style(dim=True) if not item.enabled else Style()
            for i, (key, shown) in enumerate(item.keys):
                start = x
                last = i == len(item.keys) - 1
                put(f" {shown}" + (" " if roomy and (last or not item.description) else ""), key_style + dim)
                hits.append((start, x, key, item.enabled))
            if item.description:
                put(f"{item.description} " if roomy else f" {item.description}", desc_style + dim)

        for item in items:
            add(item)
        if palette is not None and roomy:
            needed = sum(len(shown) + 2 for _, shown in palette.keys) + len(palette.description) + 2
            start = width - needed
            if start > x:
                put(" " * (start - x), Style())
                put("▏", self.get_component_rich_style("key-footer--separator"))
                add(palette)
        self._hits = hits
        return Strip(segments).crop_extend(0, width, None).apply_style(self.rich_style)

    def on_click(self, event: events.Click) -> None:
        """Clicking a key presses it (a disabled one rings the bell), like Textual's footer."""
        for start, end, key, enabled in self._hits:
            if start <= event.x < end:
                if enabled:
                    self.app.simulate_key(key)
                else:
                    self.app.bell()
                return
