"""Clean overlay lines (bucket mean, LTTB) and a metric as the x axis (pairing two histories by step)."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tuitrack.analysis import series as ser

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
values = st.one_of(finite, st.just(math.nan), st.just(math.inf))


# -- bucket mean ------------------------------------------------------------------------------------
def test_bucket_mean_turns_a_noisy_band_into_its_trend() -> None:
    rng = random.Random(3)
    xs = [float(i) for i in range(10_000)]
    ys = [i / 10_000 + rng.choice((-1.0, 1.0)) for i in range(10_000)]  # a band 2 wide around a slow rise
    ox, oy = ser.bucket_mean(xs, ys, 50)
    assert len(ox) == 50
    # each bucket's mean is near the trend (the noise cancels): far inside the band
    assert all(abs(y - x / 10_000) < 0.2 for x, y in zip(ox, oy))


def test_bucket_mean_small_input_is_returned_sorted_and_cleaned() -> None:
    assert ser.bucket_mean([3.0, 1.0, 2.0, 4.0], [30.0, 10.0, math.nan, 40.0], 10) == (
        [1.0, 3.0, 4.0],
        [10.0, 30.0, 40.0],
    )
    assert ser.bucket_mean([], [], 5) == ([], [])
    assert ser.bucket_mean([1.0] * 9, [1.0, 2.0, 3.0] * 3, 2) == ([1.0], [2.0])  # one x: one point
    with pytest.raises(ValueError):
        ser.bucket_mean([1.0], [1.0, 2.0], 3)
    with pytest.raises(ValueError):
        ser.bucket_mean([1.0], [1.0], 0)


def test_bucket_mean_exact_means() -> None:
    xs = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    ys = [1.0, 3.0, 5.0, 7.0, 0.0, 0.0, 2.0, 2.0]
    assert ser.bucket_mean(xs, ys, 2) == ([1.5, 5.5], [4.0, 1.0])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(finite, values), max_size=300), st.integers(1, 60))
def test_bucket_mean_properties(points: list[tuple[float, float]], buckets: int) -> None:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    ox, oy = ser.bucket_mean(xs, ys, buckets)
    kept = [(x, y) for x, y in points if math.isfinite(y)]
    assert len(ox) == len(oy) <= max(buckets, 0)
    assert bool(ox) == bool(kept)
    assert all(a <= b for a, b in zip(ox, ox[1:]))  # increasing x: a line, drawn left to right
    if kept:
        lo_x, hi_x = min(x for x, _ in kept), max(x for x, _ in kept)
        lo_y, hi_y = min(y for _, y in kept), max(y for _, y in kept)
        tol = 1e-9 * (1 + max(abs(lo_y), abs(hi_y)))
        assert all(lo_x <= x <= hi_x for x in ox)
        assert all(lo_y - tol <= y <= hi_y + tol for y in oy)  # a mean never leaves the data's range


# -- LTTB -------------------------------------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(st.lists(values, max_size=400), st.integers(2, 80))
def test_lttb_properties(ys: list[float], n_out: int) -> None:
    xs = [float(i) for i in range(len(ys))]
    ox, oy = ser.lttb(xs, ys, n_out)
    kept = [(x, y) for x, y in zip(xs, ys) if math.isfinite(y)]
    assert len(ox) == min(n_out, len(kept))
    assert set(zip(ox, oy)) <= set(kept)  # real points only
    assert ox == sorted(ox) and len(set(ox)) == len(ox)
    if kept:
        assert (ox[0], oy[0]) == kept[0] and (ox[-1], oy[-1]) == kept[-1]


def test_lttb_keeps_a_spike() -> None:
    ys = [0.0] * 1000
    ys[437] = 100.0
    ox, oy = ser.lttb([float(i) for i in range(1000)], ys, 20)
    assert 100.0 in oy and 437.0 in ox


# -- a metric as x: pairing by step -----------------------------------------------------------------
def test_align_exact_steps() -> None:
    y = [(0, 1.0), (1, 2.0), (2, 3.0)]
    x = [(0, 10.0), (1, 20.0), (2, 30.0)]
    assert ser.align_by_step(y, x) == [(0, 10.0, 1.0), (1, 20.0, 2.0), (2, 30.0, 3.0)]


def test_align_interpolates_between_x_points_and_drops_outside() -> None:
    y = [(s, float(s)) for s in range(0, 13)]
    x = [(2, 100.0), (6, 200.0), (10, 400.0)]  # tokens_seen logged every 4 steps, from step 2 to 10
    out = ser.align_by_step(y, x)
    assert [s for s, _, _ in out] == list(range(2, 11))  # steps 0, 1, 11, 12 lie outside x: dropped
    assert dict((s, xv) for s, xv, _ in out) == {
        2: 100.0,
        3: 125.0,
        4: 150.0,
        5: 175.0,
        6: 200.0,
        7: 250.0,
        8: 300.0,
        9: 350.0,
        10: 400.0,
    }


def test_align_several_x_points_at_one_step_take_the_last() -> None:
    assert ser.align_by_step([(1, 5.0)], [(0, 0.0), (1, 1.0), (1, 7.0), (3, 9.0)]) == [(1, 7.0, 5.0)]
    assert ser.align_by_step([(1, 5.0)], []) == []
    out = ser.align_by_step([(1, 5.0)], [(0, math.nan), (2, 1.0)])
    assert len(out) == 1 and math.isnan(out[0][1])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 200), max_size=60), st.lists(st.integers(0, 200), min_size=1, max_size=60))
def test_align_matches_a_brute_force_reading(y_steps: list[int], x_steps: list[int]) -> None:
    y = [(s, float(i)) for i, s in enumerate(sorted(y_steps))]
    xs = sorted(set(x_steps))
    x = [(s, float(s * s)) for s in xs]  # x = step², so interpolation is checkable
    out = ser.align_by_step(y, x)
    expect = []
    for s, v in y:
        if xs[0] <= s <= xs[-1]:
            lo = max(t for t in xs if t <= s)
            hi = min(t for t in xs if t >= s)
            xv = float(lo * lo) if lo == hi else lo * lo + (hi * hi - lo * lo) * (s - lo) / (hi - lo)
            expect.append((s, xv, v))
    assert out == pytest.approx(expect)


# -- bucket midrange: the clean line of min/max pairs -------------------------------------------------------
def test_midrange_stays_on_the_trend_where_pairs_and_columns_do_not_line_up() -> None:
    # what get_metric_history(max_points) gives for noise of +-1 around 0: a min and a max per store bucket,
    # 7 buckets per 3 columns, so columns hold 4 or 5 points and a mean is pulled off the trend
    xs, ys = [], []
    for b in range(700):
        xs += [b * 10 + 2.0, b * 10 + 7.0]
        ys += [-1.0, 1.0] if b % 2 else [1.0, -1.0]
    _, mean = ser.bucket_mean(xs, ys, 300)
    _, mid = ser.bucket_midrange(xs, ys, 300)
    assert max(abs(y) for y in mean) >= 0.2
    assert mid == [0.0] * 300


def test_midrange_small_and_degenerate_inputs() -> None:
    assert ser.bucket_midrange([2.0, 1.0], [5.0, math.nan], 4) == ([2.0], [5.0])
    assert ser.bucket_midrange([1.0] * 5, [1.0, 5.0, 2.0, 3.0, 4.0], 2) == ([1.0], [3.0])
    with pytest.raises(ValueError):
        ser.bucket_midrange([1.0], [], 2)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(finite, values), max_size=300), st.integers(1, 60))
def test_bucket_midrange_properties(points: list[tuple[float, float]], buckets: int) -> None:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    ox, oy = ser.bucket_midrange(xs, ys, buckets)
    kept = [(x, y) for x, y in points if math.isfinite(y)]
    assert len(ox) == len(oy) <= buckets
    assert bool(ox) == bool(kept)
    assert all(a <= b for a, b in zip(ox, ox[1:]))
    if kept:
        lo_y, hi_y = min(y for _, y in kept), max(y for _, y in kept)
        assert all(lo_y <= y <= hi_y for y in oy)
