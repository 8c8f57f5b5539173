"""Hostile user strings in every TUI view: shown literally, never as formatting or terminal control.

Run names, params, tags, notes, experiment and artifact names carry Rich markup, ANSI/OSC escape
sequences (clear screen, window title, hyperlinks), every other control character, 5,000-character
values, right-to-left text with bidi overrides, and emoji/wide characters.  For each view the
rendered screen (what Textual would send to the terminal, as text) must

- contain the literal characters, made visible by ``tuitrack.tui.text.clean`` (``[bold red]x[/]``,
  ``^[[2J``, ``\\u202e``);
- contain no ESC, no other C0/C1 control character, no bidi override and no hyperlink style;
- keep its layout: exactly the terminal's width on every line, and in the runs table the same
  column offsets on the hostile rows as on a plain-named run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.cells import cell_len
from textual.widgets import DataTable
from tui_helpers import screen_render

import tuitrack
from tuitrack.store import core as store_mod
from tuitrack.store.core import Store
from tuitrack.tracking import session as tracking
from tuitrack.tui.app import TuitrackApp, create_app
from tuitrack.tui.browser.run_detail import RunDetail
from tuitrack.tui.dialogs.confirm import ConfirmScreen
from tuitrack.tui.dialogs.help import HelpScreen
from tuitrack.tui.dialogs.note_editor import NoteEditor
from tuitrack.tui.dialogs.rename import RenameScreen
from tuitrack.tui.dialogs.tag_editor import TagEditor
from tuitrack.tui.screens.charts import ChartsScreen
from tuitrack.tui.screens.compare import CompareScreen
from tuitrack.tui.screens.groups import GroupsScreen
from tuitrack.tui.screens.scatter import ScatterScreen
from tuitrack.tui.text import clean
from tuitrack.tui.waits import drain as settle
from tuitrack.tui.waits import settle_detail

T0 = 1_717_000_000_000
NOW = T0 + 3_600_000
SIZE = (120, 36)

MARKUP = "[bold red]x[/]"
LINK = "[link=http://x]y[/]"
CSI = "\x1b[2J"
OSC_TITLE = "\x1b]0;pwned\x07"
OSC_LINK = "\x1b]8;;http://evil\x07click\x1b]8;;\x07"
CONTROLS = "".join(chr(c) for c in range(0x20)) + "\x7f\x9b"
RTL = "abc\u202edef\u05e9\u05dc\u05d5\u05dd"
WIDE = "🚀宽字符"
LONG = "L" * 5000

HOSTILE_NAME = MARKUP + CSI + OSC_TITLE + RTL + WIDE + CONTROLS + "z" * 300
LINK_NAME = LINK + OSC_LINK + WIDE
EXPERIMENT = "[bold red]exp[/]" + CSI
NOTE = f"first {MARKUP}\nsecond {CSI}{OSC_TITLE}\n{RTL} {WIDE}\n{CONTROLS}"
ARTIFACT = "[bold red]x[/].txt"
ARTIFACT_RTL = "\u202eevil[link=x]y[/].txt"
ARTIFACT_TEXT = f"hello {MARKUP}\n{CSI}{OSC_TITLE}{OSC_LINK}\n{RTL} {WIDE}\n"
PARAMS = {"p_markup": LINK, "p_osc": OSC_LINK, "p_ctrl": CONTROLS, "p_long": LONG, "p_rtl": RTL, "p_wide": WIDE}
TAGS = {"t_markup": MARKUP, "t_esc": CSI + OSC_TITLE, "t_rtl": RTL, "t_wide": WIDE}

#: Anything that would act on a terminal or reorder text if it reached it.
FORBIDDEN = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def hostile(store_path: Path) -> Iterator[dict[str, str]]:
    """A plain run and two hostile runs (one with a nested child) sharing keys; returns label -> run id."""
    counter = iter(range(1, 10_000))
    tracking.set_id_factory(lambda: f"{next(counter):04x}" + "cd" * 14)
    ticks = iter(range(10_000))
    store_mod.set_clock(lambda: T0 + next(ticks) * 1000)
    tuitrack.configure(identity={"user": "eve" + MARKUP, "host": "h" + CSI, "source": "python " + OSC_TITLE})
    ids: dict[str, str] = {}
    specs = [
        ("plain", "plain", {k: "v" for k in PARAMS}, {k: "v" for k in TAGS}, "plain note"),
        ("hostile", HOSTILE_NAME, PARAMS, TAGS, NOTE),
        ("link", LINK_NAME, {**PARAMS, "p_markup": MARKUP}, {**TAGS, "t_markup": LINK}, NOTE),
    ]
    for label, name, params, tags, note in specs:
        with tuitrack.start_run(experiment=EXPERIMENT, name=name, params=params, tags=tags, description=note) as run:
            for step in range(20):
                run.log_metric("accuracy", 0.5 + step / 50 + len(label) / 100, step=step)
                run.log_metric("loss", 1 - step / 40, step=step)
            run.log_text(ARTIFACT_TEXT, ARTIFACT)
            run.log_text(ARTIFACT_TEXT, ARTIFACT_RTL)
            ids[label] = run.id
            if label == "hostile":
                with tuitrack.start_run(name=LINK + "child", nested=True) as child:
                    ids["child"] = child.id
    tuitrack.flush()
    store_mod.set_clock(lambda: NOW)
    yield ids


def make_app(path: Path, tmp_path: Path) -> TuitrackApp:
    return create_app(Store(path), clock=lambda: NOW, state_dir=tmp_path / "state", live_interval=0)


def check_screen(app: TuitrackApp, *expected: str) -> str:
    """Assert nothing leaks and the layout is whole; every ``expected`` literal (already cleaned) is shown."""
    text, links = screen_render(app)
    bad = sorted({f"U+{ord(c):04X}" for c in FORBIDDEN.findall(text)})
    assert not bad, f"control/bidi characters reached the screen of {type(app.screen).__name__}: {bad}"
    assert not links, f"hyperlink styles on the screen of {type(app.screen).__name__}: {links}"
    lines = text.rstrip("\n").split("\n")
    width, height = app.size
    assert len(lines) == height, f"{type(app.screen).__name__}: {len(lines)} lines on a {height}-line terminal"
    wrong = [(i, cell_len(line)) for i, line in enumerate(lines) if cell_len(line) != width]
    assert not wrong, f"{type(app.screen).__name__}: lines not {width} cells wide: {wrong[:5]}"
    flat = "".join(lines)
    for literal in expected:
        assert literal in flat, f"{literal!r} not shown literally on {type(app.screen).__name__}"
    return flat


def visible(value: str, n: int | None = None) -> str:
    """The first ``n`` characters of a value as the TUI shows it (``clean``)."""
    shown = clean(value)
    return shown if n is None else shown[:n]


def test_clean_makes_every_forbidden_character_visible() -> None:
    everything = HOSTILE_NAME + LINK_NAME + NOTE + ARTIFACT_RTL + OSC_LINK
    assert not FORBIDDEN.search(clean(everything))
    assert clean(CSI) == "^[[2J" and clean("\x9b") == "\\u009b" and clean("\u202e") == "\\u202e"
    assert clean(MARKUP) == MARKUP  # markup characters are not escaped: they are shown through Text, literally


async def test_browser_table_tree_status_and_detail(hostile: dict[str, str], store_path: Path, tmp_path: Path) -> None:
    app = make_app(store_path, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle_detail(pilot, filled=False)
        browser = app.browser
        browser.apply_filter("attributes.run_name LIKE '[bold red]x[/]%' OR attributes.run_name != 'nothing'")
        await settle_detail(pilot, filled=False)
        table = browser.table
        assert len(table.rids) == 4
        flat = check_screen(app, visible(MARKUP), "[bold red]exp[/]^[[2J", "[bold red]x[/]%")
        assert "LIKE '[bold red]x[/]%'" in flat  # the status line's filter, literally
        # Layout: every row is the table's width, and the id column starts at the same cell on every row.
        width = table.scrollable_content_region.width
        offsets = set()
        for y in range(1, len(table.rids) + 1):
            strip = table.render_line(y)
            assert strip.cell_length == width
            row = "".join(seg.text for seg in strip)
            run = table.run_at(y - 1)
            offsets.add(cell_len(row[: row.index(run.id[:8])]))
        assert len(offsets) == 1, f"id column moves between rows: {offsets}"
        # The tree lists the hostile parent; its label is literal.
        tree_text = "".join(str(node.label) for node in browser.experiment_tree.root.children)
        assert "[bold red]exp[/]^[[2J" in tree_text
        # Detail pane on the hostile run, maximized, every tab.
        while app.current_run_id() != hostile["hostile"]:
            await pilot.press("j")
        await settle_detail(pilot, filled=False)
        await pilot.press("enter")
        await settle(pilot)
        detail = browser.query_one(RunDetail)
        check_screen(app, visible(HOSTILE_NAME, 40), "first [bold red]x[/]", "eve[bold red]x[/]", "h^[[2J")
        expected_by_tab = {
            "params": [visible(LINK), visible(OSC_LINK), visible(RTL), WIDE, "^@^A^B"],
            "metrics": ["accuracy", "loss"],
            "tags": [visible(MARKUP), visible(CSI + OSC_TITLE), visible(RTL)],
            "artifacts": [ARTIFACT, visible(ARTIFACT_RTL)],
            "environment": [],
        }
        for tab, literals in expected_by_tab.items():
            detail.select_tab(tab)
            await settle(pilot)
            check_screen(app, *literals)
        # Artifact preview of the hostile text file.
        detail.select_tab("artifacts")
        await settle(pilot)
        listing = detail.query_one("#artifact-list", DataTable)
        listing.focus()
        names = [str(listing.get_row_at(i)[0]) for i in range(listing.row_count)]
        listing.move_cursor(row=next(i for i, n in enumerate(names) if n.startswith(ARTIFACT)))
        await pilot.press("enter")
        await settle(pilot)
        check_screen(app, f"hello {MARKUP}", "^[[2J^[]0;pwned^G^[]8;;http://evil^G", WIDE)


async def _browse_marked(pilot, hostile: dict[str, str]) -> None:
    """All four runs marked, cursor on the hostile run."""
    app = pilot.app
    await settle_detail(pilot, filled=False)
    app.browser.table.focus()
    for _ in range(len(app.browser.table.rids)):
        await pilot.press("space")
    await pilot.press("home")
    while app.current_run_id() != hostile["hostile"]:
        await pilot.press("j")
    await settle_detail(pilot, filled=False)


async def test_compare_charts_scatter_groups(hostile: dict[str, str], store_path: Path, tmp_path: Path) -> None:
    app = make_app(store_path, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await _browse_marked(pilot, hostile)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, CompareScreen)
        check_screen(app, visible(MARKUP), visible(LINK), visible(OSC_LINK, 20))
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, ChartsScreen)
        check_screen(app, visible(MARKUP), visible(LINK))
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("p")
        await settle(pilot)
        scatter = app.screen
        assert isinstance(scatter, ScatterScreen)
        scatter.x, scatter.color = "params.p_markup", "params.p_markup"
        scatter.redraw()
        await settle(pilot)
        check_screen(app, f"p_markup={visible(MARKUP)}", f"p_markup={visible(LINK)}")
        scatter.x, scatter.color = "params.p_osc", "tags.t_esc"
        scatter.redraw()
        await settle(pilot)
        check_screen(app, f"t_esc={visible(CSI + OSC_TITLE)}")
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("a")
        await settle(pilot)
        groups = app.screen
        assert isinstance(groups, GroupsScreen)
        groups.query_one("#group-by").deselect_all()
        groups.query_one("#group-by").select("p_markup")
        await settle(pilot)
        check_screen(app, f"p_markup={visible(MARKUP)}", f"p_markup={visible(LINK)}")
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.browser


async def test_tag_editor_note_rename_confirm_help(hostile: dict[str, str], store_path: Path, tmp_path: Path) -> None:
    app = make_app(store_path, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle_detail(pilot, filled=False)
        while app.current_run_id() != hostile["hostile"]:
            await pilot.press("j")
        await settle_detail(pilot, filled=False)

        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, TagEditor)
        check_screen(app, visible(MARKUP), visible(CSI + OSC_TITLE), visible(RTL), WIDE, visible(HOSTILE_NAME, 20))
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, NoteEditor)
        # Editors show control characters as stand-ins (ESC -> ␛) and save them back unchanged.
        check_screen(app, f"first {MARKUP}", "second ␛[2J␛]0;pwned␇", "abc⟨U+202E⟩def")
        await pilot.press("end", "x")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert tuitrack.get_run(hostile["hostile"]).info.note == NOTE + "x"

        await pilot.press("R")
        await settle(pilot)
        assert isinstance(app.screen, RenameScreen)
        await pilot.press("home")
        await settle(pilot)
        check_screen(app, visible(MARKUP), "␛[2J␛]0;pwned␇")
        await pilot.press("end", "y", "enter")
        await settle(pilot)
        # The old name holds a newline (shown as ␊): the dialog's single-line rule refuses it, literally.
        assert isinstance(app.screen, RenameScreen)
        check_screen(app, "run name must be a single line")
        await pilot.press("escape")
        await settle(pilot)
        assert tuitrack.get_run(hostile["hostile"]).info.run_name == HOSTILE_NAME

        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        check_screen(app, visible(HOSTILE_NAME, 20))
        await pilot.press("n")
        await settle(pilot)

        rows = [("Quick", "1", f"Quick tag status={MARKUP}{CSI}{RTL}")]
        app.push_screen(HelpScreen(rows))
        await settle(pilot)
        check_screen(app, f"Quick tag status={MARKUP}^[[2J{visible(RTL)}")
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.browser
