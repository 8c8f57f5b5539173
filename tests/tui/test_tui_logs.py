"""The run detail's Logs tab: the tail of what the script printed, literal, bounded by the screen, live.

The store is written through the public API: the runs really print (captured into logs/output.txt by
tuitrack.tracking.output), with a fixed clock and run ids so the snapshot is stable.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rich.console import Console
from textual.app import App, ComposeResult
from textual.widgets import Static

import tuitrack
from tuitrack.store import core as store_mod
from tuitrack.store.core import Store, now_ms
from tuitrack.tracking import output
from tuitrack.tracking import session as tracking
from tuitrack.tui.browser import run_detail
from tuitrack.tui.browser.run_detail import RunDetail
from tuitrack.tui.waits import wait_until

T0 = 1_700_000_000_000
HOSTILE = "[bold red]not markup[/] \x1b[2Jcleared \x1b]0;title\x07 done\n"


class Host(App[None]):
    """What RunDetail needs from the real app: ``.store`` and ``.clock``."""

    def __init__(self, store: Store, clock: Callable[[], int] = lambda: T0 + 3_600_000) -> None:
        super().__init__()
        self.store = store
        self.clock = clock

    def compose(self) -> ComposeResult:
        yield RunDetail(id="detail")


@pytest.fixture
def seeded(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Store, dict[str, str]]]:
    monkeypatch.delenv(output.ENV_SWITCH, raising=False)
    monkeypatch.setitem(tracking._settings, "capture_output", None)
    counter = itertools.count(1)
    tracking.set_id_factory(lambda: hashlib.md5(f"logs-{next(counter)}".encode()).hexdigest())
    store_mod.set_clock(lambda: T0)
    tuitrack.set_store(store_path)
    tuitrack.configure(
        capture_env=False,
        capture_packages=False,
        identity={"user": "ada", "host": "gpu-box", "source": "python train.py"},
    )
    ids = {}
    with tuitrack.start_run(experiment="logs", name="printer") as run:
        ids["printer"] = run.id
        for epoch in range(300):
            print(f"epoch {epoch:03d} loss={1 / (epoch + 1):.4f}")
        sys.stdout.write(HOSTILE)
    with tuitrack.start_run(experiment="logs", name="silent", capture_output=False) as run:
        ids["silent"] = run.id
        print("not kept")
    tuitrack.flush()
    store_mod.set_clock(None)
    tracking.set_id_factory(None)
    st = Store(store_path)
    yield st, ids
    st.close()


def plain(app: App[None], selector: str, width: int = 100) -> str:
    console = Console(width=width, color_system=None, record=True, file=io.StringIO())
    console.print(app.query_one(selector, Static).content)
    return console.export_text()


async def _open_logs(app: Host, pilot, run_id: str) -> RunDetail:
    detail = app.query_one(RunDetail)
    detail.show_run(run_id)
    await app.workers.wait_for_complete()
    await pilot.pause()
    detail.select_tab("logs")
    await wait_until(pilot, lambda: detail.logs is not None and detail.logs[0] == run_id, "the run's Logs tab")
    return detail


async def test_logs_tab_shows_only_the_screenful_at_the_end_literally(seeded) -> None:
    st, ids = seeded
    app = Host(st)
    async with app.run_test(size=(100, 30)) as pilot:
        detail = await _open_logs(app, pilot, ids["printer"])
        run_id, size, text, clipped = detail.logs
        assert run_id == ids["printer"] and clipped
        assert size == (st.artifact_file(ids["printer"], output.OUTPUT_ARTIFACT)).stat().st_size
        lines = text.split("\n")
        assert lines[-1] == HOSTILE.rstrip("\n") and lines[-2] == "epoch 299 loss=0.0033"
        assert len(lines) <= 30  # bounded by the screen, not the 301 lines printed
        shown = plain(app, "#logs-body")
        assert "[bold red]not markup[/]" in shown  # markup shown, not applied
        assert "\x1b" not in shown and "\x07" not in shown and "^[[2Jcleared" in shown
        assert "epoch 000" not in shown
        assert "logs/output.txt" in plain(app, "#logs-status") and "live" not in plain(app, "#logs-status")
        scroll = detail.query_one("#logs-scroll")
        assert scroll.scroll_y == scroll.max_scroll_y  # at the tail


async def test_a_run_without_captured_output_says_so(seeded) -> None:
    st, ids = seeded
    app = Host(st)
    async with app.run_test(size=(100, 30)) as pilot:
        detail = await _open_logs(app, pilot, ids["silent"])
        assert detail.logs == (ids["silent"], 0, "", False)
        assert "no console output captured" in plain(app, "#logs-body")


async def test_logs_tail_a_running_run_while_the_tab_is_shown(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(output.ENV_SWITCH, raising=False)
    monkeypatch.setitem(tracking._settings, "capture_output", None)
    monkeypatch.setattr(run_detail, "LOG_POLL_S", 0.05)
    tuitrack.set_store(store_path)
    tuitrack.configure(capture_env=False, capture_packages=False)
    run = tuitrack.start_run(name="live")
    tee = sys.stdout  # the capture's stand-in (the app under test redirects sys.stdout while it runs)
    try:
        print("first line")
        tuitrack.flush()
        st = Store(store_path)
        app = Host(st, clock=now_ms)
        async with app.run_test(size=(100, 30)) as pilot:
            detail = await _open_logs(app, pilot, run.id)
            assert detail.logs[2] == "first line"
            assert "live" in plain(app, "#logs-status")
            tee.write("second line\n")
            tuitrack.flush()
            await wait_until(pilot, lambda: detail.logs[2] == "first line\nsecond line", "the line written since")
            assert "second line" in plain(app, "#logs-body")
        st.close()
    finally:
        run.end()


def test_read_tail_reads_only_the_end(tmp_path: Path) -> None:
    f = tmp_path / "out.txt"
    f.write_text("".join(f"line {i}\n" for i in range(10_000)))
    text, size, clipped = output.read_tail(f, 3, max_bytes=100)
    assert text == "line 9997\nline 9998\nline 9999" and clipped and size == f.stat().st_size
    assert output.read_tail(f, 3, max_bytes=10) == ("", size, True)  # one partial line: nothing whole to show
    f.write_text("a\nb")
    assert output.read_tail(f, 5) == ("a\nb", 3, False)
    f.write_text("")
    assert output.read_tail(f, 5) == ("", 0, False)


def _before(run_id: str):
    async def run_before(pilot) -> None:
        detail = pilot.app.query_one(RunDetail)
        await _open_logs(pilot.app, pilot, run_id)
        detail.query_one("#logs-scroll").focus()
        await pilot.pause()

    return run_before


def test_snapshot_logs_tab_100x30(seeded, snap_compare) -> None:
    st, ids = seeded
    assert snap_compare(Host(st), terminal_size=(100, 30), run_before=_before(ids["printer"]))
