"""Issue 16 item 13: nested runs list under their parent, whatever the sort (as MLflow's UI does).

The sort orders the top-level runs; each parent's children follow it, in the same sort, one level
deeper.  The first rows (read bounded by the screen) must be the first rows of the whole list.
"""

from __future__ import annotations

import random
import uuid
from pathlib import Path

import pytest

from tuitrack.store.core import Store
from tuitrack.tui.browser.experiment_tree import ALL
from tuitrack.tui.browser.loader import ViewRequest, nest, read_rest, read_window

NOW = 1_717_000_000_000


def test_nest_puts_children_after_their_parent_in_sort_order_at_any_depth() -> None:
    # sorted order 5 4 3 2 1; 1 is the parent of 2 and 4, 4 of 5; 3 has a parent that is not listed
    order, depth = nest([5, 4, 3, 2, 1], {2: 1, 4: 1, 5: 4, 3: 99})
    assert order == [3, 1, 4, 5, 2]
    assert depth == {4: 1, 5: 2, 2: 1}
    assert nest([3, 2, 1], {}) == ([3, 2, 1], {})


def test_nest_keeps_every_run_of_a_parent_loop() -> None:
    order, _ = nest([1, 2, 3], {1: 2, 2: 1})
    assert order == [3, 1, 2]
    order, _ = nest(list(range(3000)), {i: i - 1 for i in range(1, 3000)})  # a long chain: no recursion
    assert order == list(range(3000))


def _forest(path: Path, seed: int, n: int = 40) -> Store:
    """``n`` runs: a third top-level, the rest children (some grandchildren) of earlier runs."""
    rng = random.Random(seed)
    st = Store(path, create=True)
    exp = st.experiment_id("nest")
    ids: list[str] = []
    points = []
    for i in range(n):
        parent = rng.choice(ids) if ids and rng.random() > 0.35 else None
        run_id = uuid.UUID(int=rng.getrandbits(128)).hex
        rid = st.create_run(
            run_id=run_id,
            experiment_id=exp,
            name=f"r{i:02d}",
            start_time=NOW + i * 1000,
            parent_id=parent,
            params={"lr": str(rng.choice([0.1, 0.3])), "arch": rng.choice(["a", "b", "c"])},
        )
        st.end_run(rid, "FINISHED", end_time=NOW + i * 1000 + rng.randint(1, 99_000))
        points.append((rid, "auc", rng.random(), 0, NOW))
        ids.append(run_id)
    st.write_metrics(points)
    return st


def _request(order: str, filter_text: str, window: int) -> ViewRequest:
    return ViewRequest(
        scope=ALL, filter=filter_text, order_by=order, include_deleted=False, now_ms=NOW + 10**6, window=window
    )


ORDERS = ("attributes.start_time DESC", "attributes.start_time ASC", "metrics.auc DESC", "params.arch ASC")
FILTERS = ("", "params.lr = '0.3'", "metrics.auc > 0.4")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_first_rows_are_the_first_rows_of_the_nested_list(tmp_path: Path, seed: int) -> None:
    st = _forest(tmp_path / f"s{seed}", seed)
    links = st.parent_links()
    try:
        for order in ORDERS:
            for filter_text in FILTERS:
                flat = st.search_rids(filter_text, order)
                whole, depth = nest(flat, links)
                assert sorted(whole) == sorted(flat)
                for i, rid in enumerate(whole):  # every listed child is below its parent, one level deeper
                    parent = links.get(rid)
                    if parent in flat:
                        assert whole.index(parent) < i and depth[rid] == depth.get(parent, 0) + 1
                    else:
                        assert rid not in depth
                for window in (3, 7, 12, 100):
                    first = read_window(st, _request(order, filter_text, window))
                    assert first.rids == whole[: len(first.rids)], (order, filter_text, window)
                    assert {r: first.depth[r] for r in first.rids if r in first.depth} == {
                        r: depth[r] for r in first.rids if r in depth
                    }
                    assert len(first.rids) >= min(window, len(whole))  # the screen is full
                    rest = read_rest(st, first)
                    assert rest.rids == whole and rest.depth == depth
    finally:
        st.close()


def test_first_rows_read_is_bounded_by_the_screen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The window phase never reads every child link or the whole ordered list (a 1M-run store pages)."""
    st = _forest(tmp_path / "s", 7, n=120)
    asked: list[object] = []
    real_links, real_search = st.parent_links, st.search_rids

    def links(rids=None):
        asked.append(("links", None if rids is None else len(rids)))
        return real_links(rids)

    def search(*args, **kwargs):
        asked.append(("search", kwargs.get("max_results")))
        return real_search(*args, **kwargs)

    monkeypatch.setattr(st, "parent_links", links)
    monkeypatch.setattr(st, "search_rids", search)
    try:
        for order in ORDERS:
            asked.clear()
            first = read_window(st, _request(order, "", 10))
            assert len(first.rids) == 10
            assert ("links", None) not in asked and ("search", None) not in asked, asked
            assert all(n is not None and n <= 10 for kind, n in asked), asked
    finally:
        st.close()


def test_table_marks_children_and_indents_grandchildren() -> None:
    from types import SimpleNamespace

    from tuitrack.tui.browser.run_columns import NAME, cell, make_column

    run = SimpleNamespace(info=SimpleNamespace(run_name="lr0.1", parent_id="p" * 32))  # all the name cell reads
    col = make_column(NAME)
    assert cell(run, col, NOW, False, depth=0)[0] == "lr0.1"  # its parent is not listed: nothing suggests nesting
    assert cell(run, col, NOW, False, depth=1)[0] == "↳ lr0.1"
    assert cell(run, col, NOW, False, depth=2)[0] == "  ↳ lr0.1"
