"""The experiment tree: "All runs", each experiment, and sweep parents with their child runs.

It holds no runs itself (a store may have 100k): only experiments and the runs
that have children, so it stays small.  Highlighting a node tells the browser
which scope to show; labels are updated in place on refresh so the tree never
loses its cursor or its expanded nodes.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from tuitrack.entities import Experiment
from tuitrack.tui.text import clean


@dataclass(frozen=True)
class Scope:
    """What the runs table shows: everything, one experiment, or one parent run and its children."""

    kind: str = "all"  # "all" | "experiment" | "parent"
    experiment_id: int | None = None
    run_id: str | None = None
    label: str = "All runs"


@dataclass(frozen=True)
class ParentGroup:
    run_id: str
    name: str
    experiment_id: int
    children: int


ALL = Scope()


def _label(name: str, count: int) -> Text:
    """Count first so a narrow tree cuts the name, never the number."""
    text = Text(f"{count} ", style="dim")
    text.append(clean(name, limit=60))
    return text


class ExperimentTree(Tree[Scope]):
    """Scopes to browse; posts ``ScopeChanged`` when the highlighted node changes.

    A label longer than the tree is wide ends in ``…`` (its count first, so only the name is cut),
    and the tree never scrolls sideways: a horizontal scrollbar at 80 columns showed as a lone
    ``▉`` under the nodes.  The whole name of the highlighted node is the status line's scope, and
    a cut label's whole name is its tooltip.
    """

    DEFAULT_CSS = """
    ExperimentTree { overflow-x: hidden; }
    """
    #: Not ▶: the runs table shows a RUNNING run with it.
    ICON_NODE = "▸ "
    ICON_NODE_EXPANDED = "▾ "
    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="tree.down_vim"),
        Binding("k", "cursor_up", "Up", show=False, id="tree.up_vim"),
        Binding("h,left", "collapse", "Collapse / to parent", show=False, id="tree.collapse"),
        Binding("l,right", "expand", "Expand / into", show=False, id="tree.expand"),
        Binding("g", "top", "Top", show=False, id="tree.top"),
        Binding("G", "bottom", "Bottom", show=False, id="tree.bottom"),
    ]

    @dataclass
    class ScopeChanged(Message):
        scope: Scope

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(_label("All runs", 0), data=ALL, id=id)
        self.show_root = True
        self.guide_depth = 2
        self._experiments: dict[int, TreeNode[Scope]] = {}
        self._parents: dict[str, TreeNode[Scope]] = {}
        self.root.expand()

    def render_label(self, node: TreeNode[Scope], base_style: Style, style: Style) -> Text:
        """The node's label, cut with ``…`` to the room its line has (the tree's width less its guides)."""
        text = super().render_label(node, base_style, style)
        room = self._label_room(node)
        if room is not None and text.cell_len > room:
            text.truncate(room, overflow="ellipsis")
        return text

    def _label_room(self, node: TreeNode[Scope]) -> int | None:
        """Cells a label of ``node`` may take; None before the tree has a size."""
        width = self.scrollable_content_region.width
        if width <= 0:
            return None
        depth, parent = 0, node.parent
        while parent is not None:
            depth, parent = depth + 1, parent.parent
        if not self.show_root:
            depth -= 1
        return max(2, width - depth * self.guide_depth)

    def is_cut(self, node: TreeNode[Scope]) -> bool:
        """Whether ``node``'s label is shown cut (``…``)."""
        room = self._label_room(node)
        return room is not None and super().render_label(node, Style(), Style()).cell_len > room

    def watch_show_vertical_scrollbar(self) -> None:
        """The scrollbar takes a column from the labels: cut them again."""
        self._invalidate()

    def watch_hover_line(self, previous_hover_line: int, hover_line: int) -> None:
        super().watch_hover_line(previous_hover_line, hover_line)
        node = self._get_node(hover_line)
        cut = node is not None and node.data is not None and self.is_cut(node)
        self.tooltip = clean(node.data.label) if cut and node is not None and node.data is not None else None

    @property
    def scope(self) -> Scope:
        node = self.cursor_node
        return node.data if node is not None and node.data is not None else ALL

    def update_data(self, experiments: list[Experiment], parents: list[ParentGroup], total: int) -> None:
        """Bring labels and nodes up to date without rebuilding (cursor and expansion survive)."""
        self.root.set_label(_label("All runs", total))
        live_exps = {int(e.experiment_id) for e in experiments}
        for exp in experiments:
            exp_id = int(exp.experiment_id)  # the store's experiments carry its integer ids
            node = self._experiments.get(exp_id)
            scope = Scope("experiment", exp_id, None, exp.name)
            if node is None:
                node = self.root.add(_label(exp.name, exp.run_count), data=scope, expand=False)
                self._experiments[exp_id] = node
            else:
                node.set_label(_label(exp.name, exp.run_count))
                node.data = scope
        for exp_id in set(self._experiments) - live_exps:
            self._experiments.pop(exp_id).remove()
        live_parents = {p.run_id for p in parents}
        for run_id in set(self._parents) - live_parents:
            self._parents.pop(run_id).remove()
        for group in parents:
            exp_node = self._experiments.get(group.experiment_id)
            if exp_node is None:
                continue
            node = self._parents.get(group.run_id)
            label = _label(group.name, group.children + 1)
            scope = Scope("parent", group.experiment_id, group.run_id, group.name)
            if node is None:
                self._parents[group.run_id] = exp_node.add_leaf(label, data=scope)
                exp_node.allow_expand = True
            else:
                node.set_label(label)
                node.data = scope
        for exp_node in self._experiments.values():
            exp_node.allow_expand = bool(exp_node.children)

    def action_collapse(self) -> None:
        """h: fold the node; on a folded node or a leaf, go to its parent."""
        node = self.cursor_node
        if node is None:
            return
        if node.is_expanded and node.children and node is not self.root:
            node.collapse()
        elif node.parent is not None:
            self.move_cursor(node.parent)

    def action_expand(self) -> None:
        """l: unfold the node; on an unfolded one, go to its first child."""
        node = self.cursor_node
        if node is None or not node.children:
            return
        if not node.is_expanded:
            node.expand()
        else:
            self.move_cursor(node.children[0])

    def action_top(self) -> None:
        self.cursor_line = 0

    def action_bottom(self) -> None:
        self.cursor_line = self.last_line

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[Scope]) -> None:
        event.stop()
        self.post_message(self.ScopeChanged(event.node.data or ALL))
