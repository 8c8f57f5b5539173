"""The Env tab as the reproduce view (tuitrack reproduce's recipe, in the run detail pane)."""

from __future__ import annotations

from pathlib import Path

from helpers import recorded_run

from tuitrack.store.core import Store
from tuitrack.tui.waits import settle_browser as settle
from tuitrack.tui.waits import wait_until


async def test_env_tab_is_the_reproduce_view(tmp_path: Path) -> None:
    """The Env tab shows the recipe against this environment and y copies the rerun script."""

    from tuitrack.tui.app import create_app
    from tuitrack.tui.browser.run_detail import RunDetail

    run_id = recorded_run(tmp_path, {"numpy": "1.26.0", "evil[/b]": "\x1b[2J"}, "3.11.4", "a")
    store = Store(tmp_path)
    app = create_app(store, clock=lambda: 1_700_000_100_000, state_dir=tmp_path / "state", live_interval=0)
    app.reference_environment = ({"numpy": "2.0.0"}, "3.12.1")
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot, app)
            await pilot.press("enter")
            await settle(pilot, app)
            detail = app.browser.query_one(RunDetail)
            detail.select_tab("environment")
            from tui_helpers import static_text as plain

            await wait_until(pilot, lambda: "git checkout" in plain(app, "#env-summary", width=200), "the Env tab")
            text = plain(app, "#env-summary", width=200)
            assert "3.11.4 (this environment: 3.12.1)" in text and "~ numpy 1.26.0 (here 2.0.0)" in text
            assert "- evil[/b] ^[[2J (missing from this environment)" in text and "\x1b" not in text
            assert "git checkout abc123" in text and "python train.py" in text
            await pilot.press("y")
            await wait_until(pilot, lambda: app.clipboard.startswith("#!/bin/sh"), "the script on the clipboard")
            assert app.clipboard.startswith("#!/bin/sh\n# Reproduce run " + run_id)
            assert "python -m pip install 'evil[/b]==\x1b[2J' numpy==1.26.0" in app.clipboard
    finally:
        store.close()
