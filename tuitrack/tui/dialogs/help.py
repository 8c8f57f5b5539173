"""The ``?`` help screen: every key active where it was opened, read from the bindings themselves.

Generic on purpose: feature mixins add bindings to the app, and they show up
here without anyone editing this file.  Keys bound to the same action (``down``
and ``j``) are listed on one line.
"""

from __future__ import annotations

import re

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tuitrack.tui.text import safe

_GROUPS = {
    "RunsTable": "Runs table",
    "ExperimentTree": "Experiment tree",
    "BrowserScreen": "Browser",
    "FilterBar": "Filter bar",
    "RunDetail": "Run detail",
    "CheckList": "List",
    "KeyTable": "List",
    "KeyOptionList": "List",
    "SelectionList": "List",
    "OptionList": "List",
    "DataTable": "Table",
}


def where(node: object) -> str:
    """What a help row's keys belong to, in words: ``Charts`` for ChartsScreen, ``List`` for CheckList."""
    name = type(node).__name__
    if name in _GROUPS:
        return _GROUPS[name]
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).removesuffix(" Screen").split()
    return " ".join([words[0], *(w.lower() for w in words[1:])]) if words else name


def binding_rows(
    bindings: dict[str, ActiveBinding], app_keys: dict[str, str] | None = None
) -> list[tuple[str, str, str]]:
    """(where, keys, description) rows, keys of one action merged, in binding order."""
    merged: dict[tuple[str, str], list[str]] = {}
    descriptions: dict[tuple[str, str], str] = {}
    for active in bindings.values():
        binding = active.binding
        if binding.system:
            continue
        where_ = "App" if active.node is active.node.app else where(active.node)
        ident = (where_, binding.action)
        display = binding.key_display or active.node.app.get_key_display(binding)
        merged.setdefault(ident, [])
        if display not in merged[ident]:
            merged[ident].append(display)
        descriptions[ident] = descriptions.get(ident) or binding.description or binding.action.replace("_", " ")
    return [(where, " / ".join(keys), descriptions[(where, action)]) for (where, action), keys in merged.items()]


class HelpScreen(ModalScreen[None]):
    """A modal table of keys; escape, q or ? closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 76; max-width: 98%; height: 90%; border: thick $accent;
                                  background: $surface; padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape", "dismiss_help", "Close", id="help.close"),
        Binding("q", "dismiss_help", "Close", show=False, id="help.close_q"),
        Binding("question_mark", "dismiss_help", "Close", show=False, key_display="?", id="help.close_help"),
    ]

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        table = Table(title="tuitrack keys", expand=True, show_edge=False, pad_edge=False)
        table.add_column("where", style="dim", no_wrap=True)
        table.add_column("keys", style="bold cyan", no_wrap=True)
        table.add_column("what")
        for where, keys, what in sorted(self.rows, key=lambda r: (r[0] != "App", r[0])):
            # Descriptions can hold user text (quick tags from the user's config): shown literally.
            table.add_row(safe(where), safe(keys), safe(what, single_line=False))
        with VerticalScroll():
            yield Static(table, id="help-table")
            yield Static(
                Text(
                    "Filter language: metrics.auc > 0.8 AND params.max_depth >= 10, "
                    "OR / NOT / ( ) / IN / LIKE / IS NULL, attributes.status = 'FAILED'. "
                    "Keys can be remapped through Textual keymaps by binding id.",
                    style="dim",
                )
            )

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
