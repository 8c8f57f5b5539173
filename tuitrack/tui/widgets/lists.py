"""One keyboard model for every list: ``j``/``k`` move, ``g``/``G`` go to the top and bottom.

The keys vim, less, lazygit and k9s users type without thinking, bound on the list widgets
themselves (so they act on the list that has focus, and never while typing in an input).
"""

from __future__ import annotations

from textual.binding import Binding, BindingType
from textual.widgets import DataTable, OptionList

#: ``g``/``G`` share one footer entry.
ENDS = Binding.Group("Top/bottom", compact=True)


def list_keys(
    prefix: str,
    down: str = "cursor_down",
    up: str = "cursor_up",
    first: str = "first",
    last: str = "last",
    *,
    show_ends: bool = False,
) -> list[BindingType]:
    """j/k/g/G bound to a list widget's own actions (ids ``PREFIX.down_vim`` ...)."""
    return [
        Binding("j", down, "Down", show=False, id=f"{prefix}.down_vim"),
        Binding("k", up, "Up", show=False, id=f"{prefix}.up_vim"),
        Binding("g", first, "Top", show=show_ends, group=ENDS, id=f"{prefix}.top"),
        Binding("G", last, "Bottom", show=show_ends, group=ENDS, id=f"{prefix}.bottom"),
    ]


class KeyTable(DataTable):
    """``DataTable`` with j/k/g/G."""

    BINDINGS = list_keys("table", first="scroll_top", last="scroll_bottom")


class KeyOptionList(OptionList):
    """``OptionList`` with j/k/g/G."""

    BINDINGS = list_keys("options")
