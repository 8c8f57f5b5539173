"""Search and history benchmarks on large stores, each with a same-run baseline.

- search: 100k runs x 20 params x 10 metrics; a 2-clause filter + order_by, limit 100,
  through ``Store.search_runs`` (rids + the 100 runs' params/metrics/tags) against the
  plain SQL a naive tracker would run (the same WHERE with a full ORDER BY sort).
- history: one run with 1,000,000 points of one metric, ``get_metric_history`` downsampled
  to 200 points against raw sqlite3 reading every row.
Run: ``python bench/bench_search.py [--runs 100000] [--points 1000000]`` (stores are cached, see make_store.py).
"""

from __future__ import annotations

import argparse
import math
import shutil
import sqlite3
import tempfile
from pathlib import Path

from common import Figure, median_time, table
from make_store import cached

from tuitrack.store.core import Store


def run(runs: int = 100_000, points: int = 1_000_000, store_path: Path | None = None) -> list[Figure]:
    """Search over ``runs`` runs (a cached store unless one is given) and history of ``points`` points."""
    path = store_path or cached(runs)
    store = Store(path, read_only=True)
    flt = "metrics.auc > 0.8 AND params.param_0 >= 50"
    order = ["metrics.auc DESC"]
    ours = median_time(lambda: store.search_runs(flt, order, max_results=100))
    sql, sargs, _ = store._search_plan("r.rid", flt, order, None, False, None)
    raw = sqlite3.connect(path / "tuitrack.db")
    naive = median_time(lambda: raw.execute(sql + " LIMIT 100", sargs).fetchall())
    unfiltered = median_time(lambda: store.search_runs("", None, max_results=100))
    count = median_time(lambda: store.count_runs(flt))
    summary = _summaries(store, raw, path)
    raw.close()
    store.close()

    tmp = Path(tempfile.mkdtemp(prefix="tuitrack-bench-"))
    try:
        down, full, n_points, spike = _history(tmp, points)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return [
        *summary,
        Figure(
            f"search_runs, {runs:,} runs: 2 clauses + order_by, limit 100",
            ours * 1000,
            "ms",
            "same WHERE, plain SQL full sort",
            naive * 1000,
            target="<= 50 ms",
            met=ours <= 0.050,
        ),
        Figure(f"search_runs, {runs:,} runs: first page, no filter", unfiltered * 1000, "ms"),
        Figure(f"count_runs, {runs:,} runs, same filter", count * 1000, "ms"),
        Figure(
            f"get_metric_history, {points:,} pts -> {n_points} (spike kept: {spike})",
            down * 1000,
            "ms",
            "raw read of every row",
            full * 1000,
            target="<= 100 ms",
            met=down <= 0.100,
        ),
    ]


#: Schema 8's indexes: sorting by the summary steps and the tail mean walks them.
V8_INDEXES = ("latest_metrics_key_min_step", "latest_metrics_key_max_step", "latest_metrics_key_tail_mean")


def _schema7_copy(path: Path, tmp: Path) -> Path:
    """The same store as schema 7 left it (no index on the summary steps or the tail mean)."""
    shutil.copytree(path, tmp, ignore=shutil.ignore_patterns("*-wal", "*-shm"))
    conn = sqlite3.connect(tmp / "tuitrack.db")
    for ix in V8_INDEXES:
        conn.execute(f"DROP INDEX IF EXISTS {ix}")
    conn.execute("UPDATE meta SET value = '7' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    return tmp


def _summaries(store: Store, raw: sqlite3.Connection, path: Path) -> list[Figure]:
    """Summary fields (issue 17): sort and filter by metrics.KEY.min/.best_step on the stored summaries.

    Baselines: the same search by the last value (what sorting looked like before summaries), and
    the plain SQL full sort of the same query (what a summary sort would cost without the index walk).
    The step and tail-mean sorts walk schema 8's indexes; their baseline is the same search on a
    copy of the store at schema 7 (read-only, so sorted without an index walk, as before schema 8).
    """
    n = store.count_runs()
    out = []
    tmp = Path(tempfile.mkdtemp(prefix="tuitrack-bench-v7-"))
    old = Store(_schema7_copy(path, tmp / "v7"), read_only=True)
    try:
        for label, flt, order, against_v7 in [
            ("sort by val_loss.min", "", ["metrics.val_loss.min ASC"], False),
            (
                "filter auc.max > 0.8 + sort by val_loss.min",
                "metrics.auc.max > 0.8",
                ["metrics.val_loss.min ASC"],
                False,
            ),
            ("sort by val_loss.best_step", "", ["metrics.val_loss.best_step DESC"], True),
            ("sort by auc.mean_last_10", "", ["metrics.auc.mean_last_10 DESC"], True),
            (
                "filter val_loss.best_step >= 50 + sort by it",
                "metrics.val_loss.best_step >= 50",
                ["metrics.val_loss.best_step ASC"],
                True,
            ),
        ]:
            ours = median_time(lambda flt=flt, order=order: store.search_runs(flt, order, max_results=100))
            sql, sargs, _ = store._search_plan("r.rid", flt, order, None, False, None)
            plain = median_time(lambda sql=sql, sargs=sargs: raw.execute(sql + " LIMIT 100", sargs).fetchall())
            if against_v7:
                assert old.search_rids(flt, order, max_results=100) == store.search_rids(flt, order, max_results=100)
                base = median_time(lambda flt=flt, order=order: old.search_runs(flt, order, max_results=100))
                base_label = f"plain SQL full sort {plain * 1000:.0f} ms; schema 7 store (no index)"
            else:
                last = [o.replace(".min", "") for o in order]
                base = median_time(
                    lambda flt=flt, last=last: store.search_runs(flt.replace(".max", ""), last, max_results=100)
                )
                base_label = f"plain SQL full sort {plain * 1000:.0f} ms; by last value"
            out.append(
                Figure(
                    f"summary fields, {n:,} runs: {label}, limit 100",
                    ours * 1000,
                    "ms",
                    base_label,
                    base * 1000,
                    target="<= 150 ms",
                    met=ours <= 0.150,
                )
            )
    finally:
        old.close()
        shutil.rmtree(tmp, ignore_errors=True)
    flt = "metrics.val_loss.min < 0.2 AND metrics.auc.best_step >= 50"
    count = median_time(lambda: store.count_runs(flt))
    base = median_time(lambda: store.count_runs("metrics.val_loss < 0.2 AND metrics.auc >= 0.5"))
    out.append(
        Figure(
            f"summary fields, {n:,} runs: count_runs({flt!r})",
            count * 1000,
            "ms",
            "same shape on last values",
            base * 1000,
            target="<= 150 ms",
            met=count <= 0.150,
        )
    )
    return out


def _history(tmp: Path, points: int) -> tuple[float, float, int, bool]:
    """One run, one metric of ``points`` points with one spike, written through the store's batch path."""
    hist = Store(tmp / "history", create=True)
    exp = hist.experiment_id("h")
    rid = hist.create_run(run_id="f" * 32, experiment_id=exp, name="long", start_time=0)
    kid = hist.metric_kid("loss")
    spike_at = points * 7 // 9
    for i in range(0, points, 100_000):
        rows = [
            (rid, kid, s, 1_790_000_000_000 + s, math.sin(s / 5000) + (5.0 if s == spike_at else 0.0))
            for s in range(i, min(points, i + 100_000))
        ]
        hist.write_batches([(rid, "loss", rows)])
    down = median_time(lambda: hist.get_metric_history("f" * 32, "loss", max_points=200), 5)
    pts = hist.get_metric_history("f" * 32, "loss", max_points=200)
    raw_h = sqlite3.connect(tmp / "history" / "tuitrack.db")
    full = median_time(
        lambda: raw_h.execute(
            "SELECT step, ts, value FROM metrics WHERE rid=? AND kid=? ORDER BY step", (rid, kid)
        ).fetchall(),
        3,
    )
    raw_h.close()
    hist.close()
    return down, full, len(pts), any(p.value > 4 for p in pts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=100_000)
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--store", type=Path, default=None, help="reuse a store built by make_store.py")
    args = ap.parse_args()
    if args.runs < 0 or args.points < 1:
        ap.error("--runs must be >= 0 and --points >= 1")
    print(table(run(args.runs, args.points, args.store)))


if __name__ == "__main__":
    main()
