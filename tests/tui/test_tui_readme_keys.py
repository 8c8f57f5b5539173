"""The README's key tables match the keys the browser binds (issue 16: "the README's key tables match the bindings").

Every key bound where the browser starts (the runs table focused: its keys, the screen's, the app's and
the feature mixins', wherever they live) is in a README key table, and every key a browser table lists
is bound.  Keys are compared as the README writes them (``↑``, ``pgup``, ``/``, ``]``).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tuitrack.demo import build_demo_store
from tuitrack.store.core import Store
from tuitrack.tui.app import create_app

NOW = 1_717_000_000_000
README = Path(__file__).resolve().parents[2] / "README.md"
#: Textual's own keys, not tuitrack's: copy the selection, quit, scroll sideways a page.
TEXTUAL_KEYS = {"ctrl+c", "super+c", "ctrl+q", "ctrl+pageup", "ctrl+pagedown"}
#: Textual key names -> how the README writes them.
SPELLING = {
    "up": "↑",
    "down": "↓",
    "left": "←",
    "right": "→",
    "pageup": "pgup",
    "pagedown": "pgdn",
    "slash": "/",
    "question_mark": "?",
    "full_stop": ".",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "less_than_sign": "<",
    "greater_than_sign": ">",
}
#: README sections whose key tables are about keys pressed in the browser.
BROWSER_SECTIONS = ("## The browser", "## Comparing runs", "## Curating runs")


def _section(text: str, heading: str) -> str:
    start = text.index("\n" + heading) + 1
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else len(text)]


def _table_keys(section: str, first_table_only: bool = False) -> set[str]:
    """Backticked keys in the first column of the section's tables (``1``–``9`` is a range)."""
    keys: set[str] = set()
    tables = 0
    in_table = False
    for line in section.splitlines():
        if not line.startswith("|"):
            in_table = False
            continue
        if not in_table:
            tables += 1
            in_table = True
            if first_table_only and tables > 1:
                break
        first = line.split("|")[1]
        if set(first.strip()) <= {"-", " "}:
            continue
        found = re.findall(r"`([^`]+)`", first)
        span = re.search(r"`(\d)`[–-]`(\d)`", first)
        if span:
            found += [str(d) for d in range(int(span.group(1)), int(span.group(2)) + 1)]
        keys.update(found)
    return keys


def readme_browser_keys() -> dict[str, set[str]]:
    text = README.read_text(encoding="utf-8")
    return {
        "## The browser": _table_keys(_section(text, "## The browser")),
        "## Comparing runs": _table_keys(_section(text, "## Comparing runs"), first_table_only=True),
        "## Curating runs": _table_keys(_section(text, "## Curating runs")),
    }


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_store(tmp_path_factory.mktemp("keys") / "store", now_ms=NOW)


async def test_readme_key_tables_match_the_browser_bindings(demo: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    shutil.copytree(demo, store)
    app = create_app(Store(store), clock=lambda: NOW, state_dir=tmp_path / "state", live_interval=0)
    async with app.run_test(size=(120, 36)) as pilot:
        for _ in range(200):
            await pilot.pause(0.05)
            if app.browser.table.cursor_run is not None:
                break
        assert app.focused is app.browser.table
        bound = {SPELLING.get(key, key) for key in app.active_bindings} - TEXTUAL_KEYS
    documented = readme_browser_keys()
    anywhere = set().union(*documented.values())
    assert not bound - anywhere, f"bound in the browser but in no README key table: {sorted(bound - anywhere)}"
    quick = {str(d) for d in range(1, 10)}  # 1-9: quick tags, bound as configured (1-3 by default)
    assert bound & quick and not (bound & quick) - documented["## Curating runs"]
    table = (documented["## The browser"] | documented["## Curating runs"]) - quick
    assert not table - bound, f"README key table lists keys the browser does not bind: {sorted(table - bound)}"
    views = documented["## Comparing runs"]
    assert views and not views - bound, f"README views table lists unbound keys: {sorted(views - bound)}"
