"""``D`` in compare: the two runs' fields and a text artifact both have, diffed in the app."""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_helpers import browse

import tuitrack
from tuitrack.store import core as store_mod
from tuitrack.tui.screens.compare import CompareScreen
from tuitrack.tui.screens.diff import DiffScreen
from tuitrack.tui.waits import drain
from tuitrack.tui.waits import settle_browser as settle

T0 = 1_717_000_000_000


def seed(path: Path) -> None:
    ticks = iter(range(10_000))
    store_mod.set_clock(lambda: T0 + next(ticks) * 1000)
    tuitrack.configure(capture_env=False, capture_packages=False)
    for i, opt in enumerate(["adam", "sgd"]):
        with tuitrack.start_run(name=f"r{i}", params={"depth": 4 + 4 * i}) as run:
            run.log_metric("auc", 0.8 + i / 10)
            run.log_dict({"optimizer": opt, "layers": [64, 32], "note": "[bold]x[/] \x1b[2J"}, "config.json")
            run.log_text(
                "\n".join(f"line {n}" + (" changed" if i and n == 40 else "") for n in range(80))
                + ("" if i else "\nline 40 [b]y[/b] \x1b[2J"),
                "log.txt",
            )
    tuitrack.flush()
    store_mod.set_clock(lambda: T0 + 3_600_000)


@pytest.fixture
def seeded(store_path: Path) -> Path:
    seed(store_path)
    return store_path


def body(app) -> str:
    return str(app.screen.query_one("#diff-text").render())


async def test_D_diffs_fields_then_artifacts(seeded, tmp_path):
    async with browse(seeded, tmp_path) as (app, pilot):
        await pilot.press("space", "j", "space")
        await settle(pilot, app)
        await pilot.press("c")
        await drain(pilot, pause=0.05)
        assert isinstance(app.screen, CompareScreen)
        await pilot.press("D")
        await drain(pilot, pause=0.05)
        screen = app.screen
        assert isinstance(screen, DiffScreen)
        text = body(app)
        assert "~ depth: 8 -> 4" in text and "~ auc: 0.9 -> 0.8" in text  # newest run (r1) is A
        await pilot.press("down")  # config.json: by key path, literally
        await drain(pilot, pause=0.05)
        text = body(app)
        assert screen.current == "config.json" and screen.result.mode == "structured"
        assert '~ optimizer: "sgd" -> "adam"' in text and "layers" not in text
        await pilot.press("t")  # the same file as text
        await drain(pilot, pause=0.05)
        assert screen.result.mode == "text" and '-  "optimizer": "sgd",' in body(app)
        await pilot.press("down")  # log.txt: a unified diff, then side by side
        await drain(pilot, pause=0.05)
        assert "-line 40 changed" in body(app) and "+line 40" in body(app)
        await pilot.press("v")
        await drain(pilot, pause=0.05)
        rows = body(app).splitlines()
        assert len(rows) == 81 and rows[40].startswith("~   41 line 40 changed")
        screen.query_one("#diff-view").focus()
        await pilot.press("j", "j", "j")
        assert screen.query_one("#diff-view").scroll_y == 3
        await pilot.press("escape")
        assert isinstance(app.screen, CompareScreen)


async def test_markup_and_escapes_in_artifacts_are_shown_literally(seeded, tmp_path):
    async with browse(seeded, tmp_path) as (app, pilot):
        ids = [app.browser.table.loaded_run(r).id for r in app.browser.table.rids]
        app.push_screen(DiffScreen(ids[0], ids[1], path="config.json"))
        await drain(pilot, pause=0.05)
        app.screen.action_toggle_same()
        await drain(pilot, pause=0.05)
        text = body(app)
        assert 'note: "[bold]x[/] \\u001b[2J"' in text and "\x1b" not in text
        app.screen.query_one("#diff-files").highlighted = 2  # log.txt: a raw ESC in a text line
        await drain(pilot, pause=0.05)
        assert "+line 40 [b]y[/b] ^[[2J" in body(app) and "\x1b" not in body(app)


async def test_D_needs_a_second_run(seeded, tmp_path):
    async with browse(seeded, tmp_path) as (app, pilot):
        ids = [app.browser.table.loaded_run(r).id for r in app.browser.table.rids]
        app.push_screen(CompareScreen([ids[0]]))
        await drain(pilot, pause=0.05)
        await pilot.press("D")
        await drain(pilot, pause=0.05)
        assert isinstance(app.screen, CompareScreen)
