"""The store's SQL schema and its forward migrations.

Kept apart from ``store.py`` so the filter compiler (``query.py``) and tests can
read the table layout without opening a store.

Layout notes (why it looks like this):
- ``runs.rid`` is an integer surrogate key, AUTOINCREMENT so a purged run's rid is never
  handed to a new run (a writer still logging to a purged run cannot reach another run); the
  public id is ``runs.run_id`` (uuid4 hex).  Every per-run table references ``rid`` so a metric point costs a few
  bytes instead of a 32-character id.
- ``metrics`` holds the full history in a WITHOUT ROWID table clustered on
  ``(rid, kid, step, ts, seq)``: reading one series is one range scan, and no
  extra index doubles the size on disk.  ``seq`` is 0 unless several values
  share a step and millisecond (all are kept, as MLflow keeps them); a 0 costs
  no payload bytes in SQLite's record format.  Metric keys are interned in ``metric_keys``.
- ``value`` is NULL exactly when the logged value was NaN (SQLite stores NaN as
  NULL); +/-inf are stored as real infinities.  No sentinel values.
- ``latest_metrics`` is maintained on every write (last value by step, ts; min and
  max with the first step each occurred at; count; mean of the last 10 points), so
  listing, filtering and sorting runs by any summary never scans history.
- ``metric_blocks`` keeps, per 1024-step block of a series, its count, min and
  max with their positions: charting a million-point history reads ~1000 block
  rows instead of scanning a million points, and spikes survive.
- ``params.num`` is the value parsed as a float when it is numeric, which is
  what makes ``params.max_depth > 10`` a numeric comparison.
- The views (``run_summary``, ``run_params``, ``run_metrics``, ``metric_history``) are for people and
  tools reading the store; tuitrack's own code reads the tables.
"""

from __future__ import annotations

APP_ID = "tuitrack"
SCHEMA_VERSION = 8
#: The oldest schema a read-only reader can read as it is (a writer migrates it forward first).
MIN_READABLE_VERSION = 2

# The runs table's columns after rid and its indexes, as migration 0 creates them.  Migration 3 rebuilds the
# table with exactly these (only rid changes, to AUTOINCREMENT), so both read them from here.  A later
# migration that changes runs spells its own change out and leaves these as they are.
_RUNS_COLUMNS = """        run_id TEXT NOT NULL UNIQUE,
        experiment_id INTEGER NOT NULL REFERENCES experiments(id),
        name TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL,
        start_time INTEGER NOT NULL,
        end_time INTEGER,
        heartbeat INTEGER,
        parent_id TEXT,
        user TEXT,
        host TEXT,
        pid INTEGER,
        source TEXT,
        note TEXT,
        error TEXT,
        deleted_at INTEGER,
        updated_at INTEGER NOT NULL"""
_RUNS_INDEXES = """    CREATE INDEX runs_experiment_start ON runs(experiment_id, start_time);
    CREATE INDEX runs_start ON runs(start_time);
    CREATE INDEX runs_parent ON runs(parent_id);
    CREATE INDEX runs_updated ON runs(updated_at);
    CREATE INDEX runs_name ON runs(name);"""

# Each entry migrates from version i to i+1 (index 0: empty database -> 1).
MIGRATIONS: list[str] = [
    f"""
    CREATE TABLE IF NOT EXISTS meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE experiments (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        deleted_at INTEGER
    );
    CREATE TABLE runs (
        rid INTEGER PRIMARY KEY,
{_RUNS_COLUMNS}
    );
{_RUNS_INDEXES}
    CREATE TABLE params (
        rid INTEGER NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        num REAL,
        PRIMARY KEY (rid, key)
    ) WITHOUT ROWID;
    CREATE INDEX params_key_num ON params(key, num);
    CREATE INDEX params_key_value ON params(key, value);
    CREATE TABLE tags (
        rid INTEGER NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (rid, key)
    ) WITHOUT ROWID;
    CREATE INDEX tags_key_value ON tags(key, value);
    CREATE TABLE metric_keys (
        kid INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE
    );
    CREATE TABLE metrics (
        rid INTEGER NOT NULL,
        kid INTEGER NOT NULL,
        step INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        seq INTEGER NOT NULL DEFAULT 0,
        value REAL,
        PRIMARY KEY (rid, kid, step, ts, seq)
    ) WITHOUT ROWID;
    CREATE TABLE metric_blocks (
        rid INTEGER NOT NULL,
        kid INTEGER NOT NULL,
        block INTEGER NOT NULL,
        n INTEGER NOT NULL,
        lo REAL,
        lo_step INTEGER,
        lo_ts INTEGER,
        hi REAL,
        hi_step INTEGER,
        hi_ts INTEGER,
        first_step INTEGER NOT NULL,
        first_ts INTEGER NOT NULL,
        PRIMARY KEY (rid, kid, block)
    ) WITHOUT ROWID;
    CREATE TABLE latest_metrics (
        rid INTEGER NOT NULL,
        key TEXT NOT NULL,
        value REAL,
        step INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        min_value REAL,
        max_value REAL,
        count INTEGER NOT NULL,
        PRIMARY KEY (rid, key)
    ) WITHOUT ROWID;
    CREATE INDEX latest_metrics_key_value ON latest_metrics(key, value);
    CREATE TABLE artifacts (
        rid INTEGER NOT NULL,
        path TEXT NOT NULL,
        size INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (rid, path)
    ) WITHOUT ROWID;
    CREATE TABLE inputs (
        rid INTEGER NOT NULL,
        name TEXT NOT NULL,
        source TEXT,
        digest TEXT,
        rows INTEGER,
        context TEXT,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (rid, name)
    ) WITHOUT ROWID;
    CREATE TABLE run_env (
        rid INTEGER PRIMARY KEY,
        packages TEXT NOT NULL
    );
    """,
    # 1 -> 2: a partial index makes counting an experiment's live runs (every reload) index-only.
    """
    CREATE INDEX IF NOT EXISTS runs_experiment_live ON runs(experiment_id) WHERE deleted_at IS NULL;
    """,
    # 2 -> 3: runs.rid becomes AUTOINCREMENT.  A plain INTEGER PRIMARY KEY reuses the largest rid
    # once that run is purged, and a process still logging to the purged run then wrote its points,
    # tags and end status into the next new run.  SQLite cannot add AUTOINCREMENT in place: the table
    # is rebuilt (same columns, same indexes) and the sequence starts above every rid any table holds.
    f"""
    CREATE TABLE runs_v3 (
        rid INTEGER PRIMARY KEY AUTOINCREMENT,
{_RUNS_COLUMNS}
    );
    INSERT INTO runs_v3(rid, run_id, experiment_id, name, status, start_time, end_time, heartbeat, parent_id, user,
                        host, pid, source, note, error, deleted_at, updated_at)
        SELECT rid, run_id, experiment_id, name, status, start_time, end_time, heartbeat, parent_id, user,
               host, pid, source, note, error, deleted_at, updated_at FROM runs;
    DROP TABLE runs;
    ALTER TABLE runs_v3 RENAME TO runs;
{_RUNS_INDEXES}
    CREATE INDEX runs_experiment_live ON runs(experiment_id) WHERE deleted_at IS NULL;
    DELETE FROM sqlite_sequence WHERE name = 'runs';
    INSERT INTO sqlite_sequence(name, seq) SELECT 'runs', max(coalesce(m, 0)) FROM (
        SELECT max(rid) AS m FROM runs UNION ALL SELECT max(rid) FROM params UNION ALL SELECT max(rid) FROM tags
        UNION ALL SELECT max(rid) FROM metrics UNION ALL SELECT max(rid) FROM metric_blocks
        UNION ALL SELECT max(rid) FROM latest_metrics UNION ALL SELECT max(rid) FROM artifacts
        UNION ALL SELECT max(rid) FROM inputs UNION ALL SELECT max(rid) FROM run_env
    );
    """,
    # 3 -> 4: team sync with MLflow tracking servers (issue #14).  A remote is one server URI;
    # sync_runs maps a local run to its run there, with the curated state both sides last agreed on
    # (``base``, JSON) and how far the local run was pushed (``pushed_upto``: runs.updated_at a complete
    # push covered; ``inflight``: a push started and did not finish, so the server is compared before
    # re-sending).  sync_marks is the per-(run, key) watermark: ``n`` points confirmed on the server, the
    # last one at (step, ts, seq).
    """
    CREATE TABLE IF NOT EXISTS sync_remotes (
        id INTEGER PRIMARY KEY,
        uri TEXT NOT NULL UNIQUE,
        last_used INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS sync_runs (
        rid INTEGER NOT NULL,
        remote INTEGER NOT NULL,
        remote_run_id TEXT NOT NULL,
        origin TEXT NOT NULL,
        pushed_upto INTEGER,
        inflight INTEGER NOT NULL DEFAULT 0,
        base TEXT NOT NULL DEFAULT '{}',
        synced_at INTEGER NOT NULL,
        PRIMARY KEY (rid, remote)
    ) WITHOUT ROWID;
    CREATE UNIQUE INDEX IF NOT EXISTS sync_runs_remote_id ON sync_runs(remote, remote_run_id);
    CREATE TABLE IF NOT EXISTS sync_marks (
        rid INTEGER NOT NULL,
        remote INTEGER NOT NULL,
        kid INTEGER NOT NULL,
        n INTEGER NOT NULL,
        step INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (rid, remote, kid)
    ) WITHOUT ROWID;
    """,
    # 4 -> 5: read-only views that spell a run the way a person (and sqlite-utils, Datasette or
    # `tuitrack sql`) wants to read it: ids instead of rids, experiment names, JSON objects of a run's
    # params, tags and latest metrics (NaN is null, infinities the strings "inf"/"-inf" as in
    # tuitrack's JSON output: JSON has no infinity).  Views cost nothing until queried.  A later migration
    # that rebuilds a table they read must drop them first and create them again after.
    """
    CREATE VIEW IF NOT EXISTS run_summary AS
    SELECT r.run_id, r.name AS run_name, e.name AS experiment, r.status, r.start_time, r.end_time,
           r.end_time - r.start_time AS duration_ms, r.parent_id, r.user, r.host, r.source, r.note,
           r.deleted_at IS NOT NULL AS deleted,
           (SELECT json_group_object(p.key, p.value) FROM params p WHERE p.rid = r.rid) AS params,
           (SELECT json_group_object(m.key, CASE WHEN m.value = 9e999 THEN 'inf' WHEN m.value = -9e999 THEN '-inf'
                                                 ELSE m.value END)
            FROM latest_metrics m WHERE m.rid = r.rid) AS metrics,
           (SELECT json_group_object(t.key, t.value) FROM tags t WHERE t.rid = r.rid) AS tags
    FROM runs r JOIN experiments e ON e.id = r.experiment_id;
    CREATE VIEW IF NOT EXISTS run_params AS
    SELECT r.run_id, p.key, p.value, p.num AS number FROM params p JOIN runs r ON r.rid = p.rid;
    CREATE VIEW IF NOT EXISTS run_metrics AS
    SELECT r.run_id, m.key, m.value, m.step, m.ts, m.min_value, m.max_value, m.count
    FROM latest_metrics m JOIN runs r ON r.rid = m.rid;
    CREATE VIEW IF NOT EXISTS metric_history AS
    SELECT r.run_id, k.key, m.step, m.ts, m.value
    FROM metrics m JOIN runs r ON r.rid = m.rid JOIN metric_keys k ON k.kid = m.kid;
    """,
    # 5 -> 6: MLflow's datasets (mlflow.data) carry a source type, a schema and a profile (JSON text),
    # and MLflow experiments carry tags; both are logged by MLflow scripts and imported from MLflow stores.
    # A read-only reader of an older store reads without them (see StoreReads).
    """
    ALTER TABLE inputs ADD COLUMN source_type TEXT;
    ALTER TABLE inputs ADD COLUMN schema TEXT;
    ALTER TABLE inputs ADD COLUMN profile TEXT;
    CREATE TABLE IF NOT EXISTS experiment_tags (
        experiment_id INTEGER NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (experiment_id, key)
    ) WITHOUT ROWID;
    """,
    # 6 -> 7: summary columns (metrics.KEY.min, .best_step, .mean_last_10, see summaries.py) need the step
    # of each extreme and the mean of the last 10 points; sorting by min/max walks an index like the
    # last value does.  Filled from the 1024-step blocks (extremes with their steps) and the last 10
    # points of each series: no full history scan.
    """
    ALTER TABLE latest_metrics ADD COLUMN min_step INTEGER;
    ALTER TABLE latest_metrics ADD COLUMN max_step INTEGER;
    ALTER TABLE latest_metrics ADD COLUMN tail_mean REAL;
    UPDATE latest_metrics SET
      min_step = (SELECT b.lo_step FROM metric_blocks b JOIN metric_keys k ON k.kid = b.kid
                  WHERE b.rid = latest_metrics.rid AND k.key = latest_metrics.key AND b.lo IS NOT NULL
                  ORDER BY b.lo, b.block LIMIT 1),
      max_step = (SELECT b.hi_step FROM metric_blocks b JOIN metric_keys k ON k.kid = b.kid
                  WHERE b.rid = latest_metrics.rid AND k.key = latest_metrics.key AND b.hi IS NOT NULL
                  ORDER BY b.hi DESC, b.block LIMIT 1),
      tail_mean = (SELECT avg(t.value) FROM (SELECT m.value FROM metrics m JOIN metric_keys k ON k.kid = m.kid
                   WHERE m.rid = latest_metrics.rid AND k.key = latest_metrics.key
                   ORDER BY m.step DESC, m.ts DESC, m.seq DESC LIMIT 10) t);
    CREATE INDEX IF NOT EXISTS latest_metrics_key_min ON latest_metrics(key, min_value);
    CREATE INDEX IF NOT EXISTS latest_metrics_key_max ON latest_metrics(key, max_value);
    """,
    # 7 -> 8: sorting by the step fields (metrics.KEY.best_step, .min_step, .max_step) and by .mean_last_10
    # walks an index too, as min/max do (store/topn.py); without one a top-100 sorted all 100k runs (~0.4 s).
    # Each index costs a write only when its column changes: the steps when a new extreme arrives, the
    # tail mean once per series and write batch.  A read-only reader of a schema 7 store sorts these
    # fields plainly (Store._indexed_metric_columns finds no index).
    """
    CREATE INDEX IF NOT EXISTS latest_metrics_key_min_step ON latest_metrics(key, min_step);
    CREATE INDEX IF NOT EXISTS latest_metrics_key_max_step ON latest_metrics(key, max_step);
    CREATE INDEX IF NOT EXISTS latest_metrics_key_tail_mean ON latest_metrics(key, tail_mean);
    """,
]
