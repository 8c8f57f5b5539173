"""Commands about single runs or a few: show, compare, best, history, artifacts, cat."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import click

from tuitrack.analysis import compare as cmp
from tuitrack.analysis import export as ex
from tuitrack.cli.common import current_ms, echo_data, fail, note, open_store, store_option
from tuitrack.entities import Run
from tuitrack.formatting import format_duration, format_metric, format_time
from tuitrack.store.core import Store


def _kv_block(title: str, items: list[tuple[str, str]]) -> list[str]:
    if not items:
        return [f"{title}: none"]
    width = min(32, max(ex.text_width(k) for k, _ in items))
    return [f"{title}:"] + [f"  {ex.pad(ex.truncate(ex.visible(k), width), width)}  {v}" for k, v in items]


@click.command("show")
@click.argument("run")
@click.option("--json", "fmt", flag_value="json", help="Print the run as JSON.")
@store_option
def show(run: str, fmt: str | None, store_path: Path | None) -> None:
    """Everything about one RUN (a run id, a unique id prefix, or a unique run name).

    \b
    Examples:
      tuitrack show xgboost_tuned
      tuitrack show xgboost_tuned --json
    """
    store = open_store(store_path)
    r = store.get_run(run)
    now = current_ms()
    arts = store.list_artifacts(r.id)
    inputs = store.list_inputs(r.id)
    children = store.child_runs(r.id, include_deleted=True)
    if fmt == "json":
        data = ex.run_record(r, ex.default_columns([r]), now)
        data["heartbeat"] = r.info.heartbeat
        data["pid"] = r.info.pid
        data["error"] = r.info.error
        data["deleted_at"] = r.info.deleted_at
        data["metric_summaries"] = {
            k: {
                "last": ex.json_number(s.value),
                "min": ex.json_number(s.min),
                "max": ex.json_number(s.max),
                "step": s.step,
                "count": s.count,
            }
            for k, s in sorted(r.data.summaries.items())
        }
        data["artifacts"] = [{"path": a.path, "size": a.size} for a in arts]
        data["inputs"] = [
            {"name": i.name, "source": i.source, "digest": i.digest, "rows": i.rows, "context": i.context}
            for i in inputs
        ]
        data["children"] = [c[0] for c in children]
        echo_data(ex.to_json(data))
        return
    info = r.info
    lines = [f"Run {info.run_id}  {ex.visible(info.run_name)}"]
    overview = [
        ("experiment", ex.visible(info.experiment)),
        ("status", info.display_status(now)),
        ("start", format_time(info.start_time, seconds=True)),
        ("end", format_time(info.end_time, seconds=True) or "-"),
        ("duration", format_duration(ex.elapsed_ms(info, now))),
    ]
    if info.parent_id:
        overview.append(("parent", info.parent_id))
    if children:
        overview.append(("children", f"{len(children)} nested runs"))
    for key in ("user", "host", "pid", "source"):
        value = getattr(info, key)
        if value not in (None, ""):
            overview.append((key, ex.visible(value)))
    if info.deleted_at is not None:
        overview.append(("deleted", format_time(info.deleted_at, seconds=True)))
    lines += _kv_block("Overview", overview)
    lines += _kv_block("Params", [(k, ex.visible(v)) for k, v in sorted(r.data.params.items())])
    if r.data.summaries:
        rows = [
            [
                ex.visible(k),
                format_metric(s.value),
                format_metric(s.min),
                format_metric(s.max),
                str(s.step),
                str(s.count),
            ]
            for k, s in sorted(r.data.summaries.items())
        ]
        table = ex.render_table(
            ["key", "last", "min", "max", "step", "points"], rows, numeric=[False, True, True, True, True, True]
        )
        lines += ["Metrics:"] + ["  " + line for line in table.rstrip("\n").split("\n")]
    else:
        lines.append("Metrics: none")
    lines += _kv_block("Tags", [(k, ex.visible(v)) for k, v in sorted(r.data.tags.items())])
    lines += _kv_block("Artifacts", [(a.path, f"{a.size} bytes") for a in arts])
    if inputs:
        lines += _kv_block(
            "Inputs",
            [(i.name, ex.visible(f"{i.source or '-'} rows={i.rows} sha256={(i.digest or '-')[:12]}")) for i in inputs],
        )
    if info.note:  # its own block: a multi-line note keeps its lines (a newline is not shown as \x0a)
        lines += ["Note:"] + ["  " + ex.visible(line) for line in info.note.rstrip("\n").split("\n")]
    if info.error:
        lines += ["Error:"] + ["  " + ex.visible(line) for line in info.error.rstrip("\n").split("\n")]
    echo_data("\n".join(lines))


_KINDS = {cmp.RUN: "attributes", cmp.PARAM: "params", cmp.METRIC: "metrics", cmp.TAG: "tags"}
#: Comparison "run" rows -> the attribute whose raw value --json prints.
_RAW_ATTRS = {
    "run id": "run_id",
    "name": "name",
    "experiment": "experiment",
    "status": "status",
    "start": "start_time",
    "duration": "duration",
}


def _json_value(row: cmp.Row, run: Run, i: int, now: int) -> Any:
    """Raw values for scripts: epoch ms, duration ms, full-precision numbers (NaN/inf as strings)."""
    if row.section == cmp.RUN:
        return ex.attribute(run, _RAW_ATTRS[row.key], now)
    if row.numbers:
        return ex.json_number(row.numbers[i])
    return row.cells[i]


@click.command("compare")
@click.argument("runs", nargs=-1, required=True)
@click.option("--diff-only", is_flag=True, help="Only rows whose values differ between the runs.")
@click.option("--json", "fmt", flag_value="json", help="Print JSON.")
@click.option("--md", "fmt", flag_value="md", help="Print a markdown table.")
@click.option(
    "--step",
    type=int,
    default=None,
    help="Metrics at this step (each run's last point at or before it) instead of the latest values.",
)
@store_option
def compare(runs: tuple[str, ...], diff_only: bool, fmt: str | None, step: int | None, store_path: Path | None) -> None:
    """Side-by-side params, metrics and tags of two or more RUNS (best metric values marked with *).

    Same matrix as the app's compare view.  With --step N the metric rows hold each run's value at step N:
    its last point at or before N (marked @STEP when logged earlier); a run whose metric starts after N or
    ends before it has no value there, and the cell says why.

    \b
    Examples:
      tuitrack compare grid_n100_d10 grid_n200_d20 --diff-only
      tuitrack compare grid_n100_d10 grid_n200_d20 --md > compare.md
      tuitrack compare grid_n100_d10 grid_n200_d20 --step 50
    """
    if len(runs) < 2:
        raise click.UsageError("compare needs at least two runs")
    store = open_store(store_path)
    loaded = [store.get_run(ref) for ref in runs]
    ids = [r.id for r in loaded]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        fail(f"run {sorted(dup)[0][:8]} is given more than once")
    now = current_ms()
    at_step = None if step is None else (step, cmp.values_at_step(store, loaded, step))
    rows = [
        r
        for r in cmp.build_comparison(loaded, now_ms=now, at_step=at_step).visible_rows(diff_only)
        if not (r.section == cmp.RUN and r.key == "run id")
    ]  # the id heads each column
    if fmt == "json":
        echo_data(
            ex.to_json(
                {
                    "runs": [{"run_id": r.id, "name": r.info.run_name} for r in loaded],
                    **({} if step is None else {"step": step}),
                    "rows": [
                        {
                            "kind": _KINDS[row.section],
                            "key": _RAW_ATTRS.get(row.key, row.key) if row.section == cmp.RUN else row.key,
                            "values": [_json_value(row, r, i, now) for i, r in enumerate(loaded)],
                            "differs": row.differs,
                            "best": sorted(row.best),
                            **({"notes": row.notes} if row.notes else {}),
                        }
                        for row in rows
                    ],
                }
            )
        )
        return
    header = ["key" if step is None or fmt != "md" else f"key (metrics at step {step})"]
    header += [f"{r.id[:8]} {ex.visible(r.info.run_name)}" for r in loaded]
    body = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row.cells):
            if fmt == "md" and row.numbers:
                text = ex.plain_number(row.numbers[i])
            else:
                text = "" if cell is None else cell if fmt == "md" else ex.visible(cell)
            if i in row.best:
                text = f"**{text}**" if fmt == "md" else f"{text} *"
            note = row.notes[i] if row.notes else ""
            if note:  # why a cell is empty at --step, or the earlier step its value was logged at
                text = f"({note})" if cell is None else f"{text} @{note.rsplit(' ', 1)[-1]}"
            cells.append(text)
        body.append([row.label if fmt == "md" else ex.visible(row.label), *cells])
    if fmt == "md":
        echo_data(ex.rows_to_md(header, body))
    else:
        if step is not None:
            echo_data(f"metrics at step {step}: each run's last point at or before it")
        echo_data(ex.render_table(header, body, max_width=_width()))


def _width() -> int:
    import shutil

    return max(40, shutil.get_terminal_size((80, 24)).columns)


@click.command("best")
@click.argument("metric")
@click.option("--experiment", "-e", "experiments", multiple=True, help="Only runs of this experiment (repeatable).")
@click.option("--filter", "-f", "filter_", default=None, help="Only runs matching this filter.")
@click.option("--min", "direction", flag_value="min", help="Lower is better.")
@click.option("--max", "direction", flag_value="max", help="Higher is better.")
@click.option("--json", "fmt", flag_value="json", help="Print JSON.")
@store_option
def best(
    metric: str,
    experiments: tuple[str, ...],
    filter_: str | None,
    direction: str | None,
    fmt: str | None,
    store_path: Path | None,
) -> None:
    """The run with the best latest value of METRIC, and its params.

    METRIC may name a summary field: val_loss.min (the run whose lowest val_loss is lowest),
    val_loss.best, val_loss.mean_last_10 (see "Summary fields" in the README).

    Direction: lower is better for keys with loss/error/err/rmse/mse/mae/perplexity, else higher
    (override with --min/--max).

    \b
    Examples:
      tuitrack best recall
      tuitrack best val_loss -e churn-prediction-v1
      tuitrack best val_loss.min
      tuitrack best auc -f "params.max_depth <= 10" --json
    """
    from tuitrack.query import summaries

    store = open_store(store_path)
    if "`" in metric:
        fail(f"metric key {metric!r} contains a backtick, which no metric key can contain")
    field: str | None = None
    split = summaries.split_suffix(metric)
    if split is not None and not store.metric_key_exists(metric):  # an existing key wins (summaries.py)
        metric, field = split
        try:
            summaries.check_field(field)
        except summaries.SummaryError as exc:
            fail(str(exc))
        if field in summaries.INTEGER_FIELDS:
            fail(
                f"best ranks runs by a metric value; .{field} is a step or a count (sort by it with "
                f'tuitrack ls -s "metrics.{metric}.{field} DESC")'
            )
    direction = direction or ex.metric_direction(metric)
    directions = {metric: direction}  # --min/--max also decide which way .best points
    exp_ids = store.experiment_ids(experiments) if experiments else None
    now = current_ms()
    quoted = summaries.field_key(metric, field) if field else "metrics." + summaries.quote_key(metric)
    label = f"{metric}.{field}" if field else metric
    order = f"{quoted} {'ASC' if direction == 'min' else 'DESC'}"
    found = store.search_runs(
        filter_, [order], experiment_ids=exp_ids, max_results=1, now_ms=now, directions=directions
    )
    summary = found[0].data.summaries.get(metric) if found else None
    value = summaries.value(summary, field or "last", directions) if found else None
    if value is None or math.isnan(value):
        total = store.count_runs(filter_, experiment_ids=exp_ids, now_ms=now)
        known = ", ".join(store.distinct_keys("metrics", exp_ids)[:20]) or "none"
        fail(
            f"none of the {total} matching runs has a value for metric {label!r} (metrics in these "
            f"experiments: {known})"
        )
    run = found[0]

    def count(clause: str) -> int:  # the user's filter (already known to compile) AND a clause of ours
        return store.count_runs(
            f"({filter_}) AND {clause}" if filter_ else clause,
            experiment_ids=exp_ids,
            now_ms=now,
            directions=directions,
        )

    considered = count(f"{quoted} IS NOT NULL")  # runs that logged it, not every run the filter matches
    ties = count(f"{quoted} = {value!r}") - 1 if math.isfinite(value) else 0
    # The step the value was reached at: the extreme's first step for min/max/best.
    step = None
    if field in ("min", "max", "best"):
        step = summaries.value(summary, {"min": "min_step", "max": "max_step", "best": "best_step"}[field], directions)
    if fmt == "json":
        echo_data(
            ex.to_json(
                {
                    "metric": metric,
                    "field": field or "last",
                    "direction": direction,
                    "value": ex.json_number(value),
                    "step": step,
                    "runs_considered": considered,
                    "ties": ties,
                    "run": ex.run_record(run, ex.default_columns([run], tags=True), now),
                }
            )
        )
        return
    word = "lower" if direction == "min" else "higher"
    tied = f"; {ties} other run{'s tie' if ties != 1 else ' ties'} (newest shown)" if ties > 0 else ""
    at = f" at step {step}" if step is not None else ""
    lines = [
        f"Best {ex.visible(label)} = {format_metric(value)}{at} ({word} is better; {considered} runs have it{tied})",
        f"Run {run.id}  {ex.visible(run.info.run_name)}  [{ex.visible(run.info.experiment)}]",
    ]
    lines += _kv_block("Params", [(k, ex.visible(v)) for k, v in sorted(run.data.params.items())])
    lines += _kv_block("Metrics", [(k, format_metric(v)) for k, v in sorted(run.data.metrics.items())])
    echo_data("\n".join(lines))


@click.command("history")
@click.argument("run")
@click.argument("key")
@click.option("--csv", "fmt", flag_value="csv", help="Print CSV (step,value,timestamp).")
@click.option("--json", "fmt", flag_value="json", help="Print JSON.")
@store_option
def history(run: str, key: str, fmt: str | None, store_path: Path | None) -> None:
    """Every logged point of metric KEY of RUN, by step.

    \b
    Examples:
      tuitrack history xgboost_tuned val_loss
      tuitrack history xgboost_tuned val_loss --csv > val_loss.csv
    """
    store = open_store(store_path)
    r = store.get_run(run)
    points = store.get_metric_history(r.id, key)
    if not points:
        known = ", ".join(sorted(r.data.metrics)) or "none"
        fail(f"run {r.id[:8]} ({r.info.run_name!r}) has no metric {key!r} (it has: {known})")
    if fmt == "csv":
        echo_data(ex.rows_to_csv(["step", "value", "timestamp"], [[p.step, p.value, p.timestamp] for p in points]))
    elif fmt == "json":
        echo_data(
            ex.to_json([{"step": p.step, "value": ex.json_number(p.value), "timestamp": p.timestamp} for p in points])
        )
    else:
        rows = [[str(p.step), format_metric(p.value), format_time(p.timestamp, seconds=True)] for p in points]
        echo_data(ex.render_table(["step", "value", "time"], rows, numeric=[True, True, False]))


@click.command("artifacts")
@click.argument("run")
@click.option("--json", "fmt", flag_value="json", help="Print JSON.")
@store_option
def artifacts(run: str, fmt: str | None, store_path: Path | None) -> None:
    """List the artifact files of RUN (path and size).

    \b
    Examples:
      tuitrack artifacts xgboost_tuned
    """
    store = open_store(store_path)
    items = store.list_artifacts(run)
    if fmt == "json":
        echo_data(ex.to_json([{"path": a.path, "size": a.size} for a in items]))
        return
    if not items:
        note(f"run {store.resolve_run(run)[1][:8]} has no artifacts")
        return
    echo_data("\n".join(f"{a.size:>10}  {ex.visible(a.path)}" for a in items))


@click.command("cat")
@click.argument("run")
@click.argument("path")
@store_option
def cat(run: str, path: str, store_path: Path | None) -> None:
    """Write the artifact PATH of RUN to stdout, byte for byte.

    \b
    Examples:
      tuitrack cat xgboost_tuned config.json
      tuitrack cat xgboost_tuned model/model.pkl > model.pkl
    """
    store: Store = open_store(store_path)
    file = store.artifact_file(run, path)
    if file.is_dir():
        fail(f"artifact {path!r} is a folder; `tuitrack artifacts {run}` lists its files")
    out = sys.stdout.buffer
    with open(file, "rb") as fh:
        while block := fh.read(1 << 16):
            out.write(block)
    out.flush()
