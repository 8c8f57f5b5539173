"""Run every benchmark and print one markdown table: figure, same-run baseline, ratio, issue-7 target.

    python bench/run_all.py            # full sizes (100k runs, 1M points; ~10-15 min on 2 cores)
    python bench/run_all.py --quick    # shrunken sizes, a smoke run in under 2 minutes
    python bench/run_all.py --only tui,search   # some parts (install, logging, search, chart, tui, safety, peer)

Synthetic run stores are cached under /tmp/tuitrack-bench-cache (TUITRACK_BENCH_CACHE).  The MLflow
peer part runs when ``--python`` (default /tmp/mlflowenv/bin/python) can import mlflow, else it is
skipped with the reason.  Exit status is 0 even when targets are missed: the table says which.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Figure, machine, table

PARTS = ("install", "logging", "search", "chart", "tui", "wide", "safety", "peer")
#: sizes per mode: full (issue 7's workloads), quick (< 2 min), smoke (seconds, for the test suite)
SIZES = {
    "full": dict(
        steps=100_000,
        procs=4,
        proc_points=200_000,
        runs=100_000,
        points=1_000_000,
        tui_sizes=(0, 10_000, 100_000),
        presses=100,
        repeat=3,
        live_presses=50,
        peer=dict(calls=2000, batch_steps=1000, runs=5000, points=100_000),
        experiments=10_000,
        kills=20,
        import_repeat=21,
        start_runs=1000,
        wide=dict(points=10_000_000, presses=20, sweep=1000, wide=None),
    ),
    "quick": dict(
        steps=10_000,
        procs=2,
        proc_points=20_000,
        runs=10_000,
        points=100_000,
        tui_sizes=(0, 10_000),
        presses=10,
        repeat=2,
        live_presses=5,
        peer=dict(calls=200, batch_steps=100, runs=200, points=5000),
        experiments=2_000,
        kills=5,
        import_repeat=9,
        start_runs=200,
        wide=dict(points=1_000_000, presses=5, sweep=200, wide=None),
    ),
    "smoke": dict(
        steps=500,
        procs=2,
        proc_points=1000,
        runs=300,
        points=2000,
        tui_sizes=(0, 300),
        presses=2,
        repeat=1,
        live_presses=0,
        peer=dict(calls=20, batch_steps=10, runs=20, points=500),
        experiments=200,
        kills=1,
        import_repeat=2,
        start_runs=5,
        wide=dict(points=5_000, presses=2, sweep=12, wide=dict(metrics=300, tags=2_000, params=300)),
    ),
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="shrunken sizes (< 2 min)")
    mode.add_argument("--smoke", action="store_true", help="tiny sizes (seconds): checks the scripts run")
    ap.add_argument("--only", default=",".join(PARTS), help=f"comma-separated parts of {', '.join(PARTS)}")
    ap.add_argument("--python", default="/tmp/mlflowenv/bin/python", help="interpreter with mlflow (peer part)")
    args = ap.parse_args(argv)
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = [p for p in parts if p not in PARTS]
    if unknown or not parts:
        ap.error(f"--only takes parts from {', '.join(PARTS)}; got {args.only!r}")
    sizes = SIZES["smoke" if args.smoke else "quick" if args.quick else "full"]

    started = time.perf_counter()
    print(f"machine: {machine()}", flush=True)
    figures: list[Figure] = []
    notes: list[str] = []
    for part in parts:
        t = time.perf_counter()
        print(f"running {part} ...", file=sys.stderr, flush=True)
        if part == "install":
            import bench_install

            figures += bench_install.run(sizes["import_repeat"], sizes["start_runs"])
        elif part == "logging":
            import bench_logging

            figures += bench_logging.run(sizes["steps"], sizes["procs"], sizes["proc_points"])
        elif part == "search":
            import bench_search

            figures += bench_search.run(sizes["runs"], sizes["points"])
        elif part == "chart":
            import bench_chart

            figures += bench_chart.run(sizes["points"], 3)
        elif part == "tui":
            import bench_tui

            figures += bench_tui.run(sizes["tui_sizes"], sizes["presses"], sizes["repeat"], sizes["live_presses"])
        elif part == "wide":
            import bench_wide

            figures += bench_wide.run(**sizes["wide"])
        elif part == "safety":
            import bench_safety

            figures += bench_safety.run(sizes["experiments"], sizes["kills"])
        elif part == "peer":
            import bench_peer_mlflow

            peer, why = bench_peer_mlflow.run(args.python, **sizes["peer"])
            figures += peer
            if why:
                notes.append(f"peer (MLflow) skipped: {why}")
        print(f"  {part}: {time.perf_counter() - t:.1f} s", file=sys.stderr, flush=True)
    print()
    print(table(figures))
    print()
    missed = [f.what for f in figures if f.met is False]
    met = sum(1 for f in figures if f.met)
    print(
        f"targets: {met} met, {len(missed)} missed; total {time.perf_counter() - started:.0f} s;"
        f" end {machine().rsplit('; ', 1)[-1]}"
    )
    for note in notes:
        print(note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
