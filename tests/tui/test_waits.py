"""The shared waits (tuitrack.tui.waits) fail where they wait: every one raises WaitTimeout naming its state."""

from __future__ import annotations

import threading

import pytest
from textual.app import App

from tuitrack.tui.waits import WaitTimeout, drain, wait_until


class _Idle(App[None]):
    pass


async def test_wait_until_returns_once_the_state_holds_and_raises_naming_it_otherwise() -> None:
    app = _Idle()
    async with app.run_test() as pilot:
        ticks: list[int] = []
        app.set_interval(0.01, lambda: ticks.append(1))
        await wait_until(pilot, lambda: len(ticks) >= 3, "three ticks")
        with pytest.raises(WaitTimeout, match="waiting for the impossible"):
            await wait_until(pilot, lambda: False, "the impossible", timeout=0.2)
        with pytest.raises(WaitTimeout, match="1 == 2"):  # without a name: the condition's source
            await wait_until(pilot, lambda: 1 == 2, timeout=0.2)


async def test_drain_raises_when_a_worker_never_finishes() -> None:
    app = _Idle()
    release = threading.Event()
    async with app.run_test() as pilot:
        app.run_worker(lambda: release.wait(10), thread=True, name="stuck")
        with pytest.raises(WaitTimeout, match="stuck"):
            await drain(pilot, rounds=2, timeout=0.3)
        release.set()
        await drain(pilot)  # finished now: returns
