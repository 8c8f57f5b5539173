"""``Static`` updates that skip Textual's full-screen relayout when the widget keeps its size.

Why: ``Static.update`` asks for a layout by default, and any layout request re-flows the
whole screen.  The run detail pane updates about ten Statics on every cursor move, whose
height almost always stays the same (or which sit on a hidden tab, laid out when shown), so a
relayout there is pure cost that the next key press would wait for.
"""

from __future__ import annotations

from textual.visual import VisualType
from textual.widget import Widget
from textual.widgets import Static


def displayed(widget: Widget) -> bool:
    """Whether the widget and all its ancestors are displayed (a hidden tab's content is not)."""
    node: object = widget
    while isinstance(node, Widget):
        if not node.display:
            return False
        node = node.parent
    return True


def update_static(static: Static, content: VisualType, relayout: bool = False) -> None:
    """``static.update(content)``, asking for a layout only when the result can change its size.

    ``relayout``: the caller lays the screen out in this frame anyway (enter opening the detail),
    so the new content is not measured first (rendering it once to compare heights, ~1-2 ms).
    """
    if not static.is_mounted:
        static.update(content)
        return
    if not displayed(static):  # the layout that shows it again measures the new content
        static.update(content, layout=False)
        return
    if relayout:
        static.update(content)
        return
    styles = static.styles
    width = static.content_region.width
    if (styles.width is not None and styles.width.is_auto) or width <= 0:
        static.update(content)  # its width follows its content, or it was never laid out
        return
    if styles.height is not None and not styles.height.is_auto:
        static.update(content, layout=False)  # a fixed height: the content cannot resize it
        return
    before = static.get_content_height(static.content_region.size, static.app.size, width)
    static.update(content, layout=False)
    if static.get_content_height(static.content_region.size, static.app.size, width) != before:
        static.refresh(layout=True)
