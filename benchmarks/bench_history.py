"""Score history benchmark: snapshot writes and the action queue.

Times, in the same run:

* appending one 1,000,000-account W1 snapshot (score, band, alert, coverage, 3
  dimensions, top-3 drivers, ARR) to a fresh SQLite history, against the floor
  of inserting the same rows into a bare SQLite table with no keys or indexes;
* the action queue (``queue_from_history``) over 12 months of weekly snapshots
  for 100,000 accounts (5.2 million snapshot rows, scores drifting week to
  week), against the floor of reading those rows' (account, date, score) alone;
* the cost of keeping names and raw inputs: one 100,000-account W1 snapshot
  (16 metrics) written without and with ``names=`` and ``inputs=``, and read
  back with ``snapshot_columns`` against ``inputs()`` (and the re-scoring that
  checks they give the stored scores).

Targets: each under 30 s on the 2-core machine. ``--postgres URL`` runs the same
on a PostgreSQL database (it must be empty). Usage::

    python benchmarks/bench_history.py                  # 1M write, 100k x 52 weeks queue, 100k inputs
    python benchmarks/bench_history.py --smoke          # tiny, for CI
"""

from __future__ import annotations

import argparse
import gc
import platform
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import attrs
import numpy as np
from w1 import generate, load

from healthscore.actions import queue_from_history
from healthscore.config import model_fingerprint
from healthscore.history import HistoryStore, open_history
from healthscore.model import BatchScores, HealthModel


def timed(label: str, fn: Any) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    print(f"  {label:<58}{seconds:8.2f} s")
    return seconds, result


def scored(model: HealthModel, n: int, seed: int) -> BatchScores:
    return model.score_batch(generate(n, seed=seed), drivers=3)


def bare_insert(path: Path, ids: list[str], result: BatchScores) -> None:
    """The floor: the same values into a table with no keys, no indexes."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE t (run INTEGER, id TEXT, s REAL, b TEXT, a TEXT, c REAL, d1 REAL, d2 REAL, d3 REAL)")
    dims = [np.asarray(v).tolist() for v in result.dimensions.values()]
    rows = zip(
        [1] * len(ids), ids, np.asarray(result.score).tolist(), result.band.tolist(), result.alert.tolist(),
        np.asarray(result.coverage).tolist(), *dims, strict=True,
    )  # fmt: skip
    db.execute("BEGIN")
    db.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    db.execute("COMMIT")
    db.close()


def write_benchmark(model: HealthModel, n: int, folder: Path, postgres: str | None) -> None:
    print(f"\nappend one snapshot of {n:,} accounts")
    result = scored(model, n, seed=1)
    ids = [f"ACC{i:07d}" for i in range(n)]
    arr = np.random.default_rng(1).lognormal(10, 1, n)
    floor, _ = timed(
        "bare SQLite insert of the same values (floor)", lambda: bare_insert(folder / "bare.db", ids, result)
    )
    target = postgres or str(folder / "write.db")
    other = attrs.evolve(model, name="w1_write")  # its own version, kept apart from the queue's snapshots
    with open_history(target) as store:
        took, _ = timed(f"write_snapshot ({type(store).__name__})", lambda: store.write_snapshot(
            other, "2025-01-01", ids, result, arr=arr))  # fmt: skip
    print(f"  {'ratio to the floor':<58}{took / floor:8.2f} x   (target: under 30 s)")


def fill(store: HistoryStore, model: HealthModel, n: int, weeks: int) -> None:
    """Weekly snapshots for a year: each account's metrics drift week to week."""
    rng = np.random.default_rng(2)
    base = generate(n, seed=2)
    ids = [f"ACC{i:07d}" for i in range(n)]
    arr = rng.lognormal(10, 1, n)
    trend = rng.normal(0, 0.01, n)  # per-week drift, in units of each metric's range
    crash = rng.random(n) < 0.03  # 3% of accounts collapse over the last three weeks
    days = np.datetime64("2025-07-06") + 7 * np.arange(weeks)
    for week, day in enumerate(days):
        columns = {}
        fall = np.where(crash, 0.25 * max(0, week - (weeks - 4)), 0.0)
        for name, values in base.items():
            lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
            noise = rng.normal(0, 0.02, n)
            better = model.metrics[name].scorer(hi) >= model.metrics[name].scorer(lo)  # which way is healthy
            step = (trend * week + noise - fall) * (hi - lo)
            columns[name] = values + (step if better else -step)
        store.write_snapshot(model, str(day), ids, model.score_batch(columns, drivers=3), arr=arr)


def queue_benchmark(model: HealthModel, n: int, weeks: int, folder: Path, postgres: str | None) -> None:
    print(f"\naction queue over {weeks} weekly snapshots of {n:,} accounts ({n * weeks:,} rows)")
    target = postgres or str(folder / "queue.db")
    with open_history(target) as store:
        timed("set-up: write the snapshots (not part of the target)", lambda: fill(store, model, n, weeks))
        floor, rows = timed(
            "read (account, date, score) of every row (floor)", lambda: store.read(model=model, fields="scores")
        )
        took, queue = timed("queue_from_history: trends, drop alerts, ranking", lambda: queue_from_history(store))
    print(f"  {'ratio to the floor':<58}{took / floor:8.2f} x   (target: under 30 s)")
    drops = sum(a.drop_alert for a in queue)
    print(f"  {len(rows['score']):,} rows read; {len(queue):,} accounts need action, {drops:,} with a drop alert")


def inputs_benchmark(model: HealthModel, n: int, folder: Path, postgres: str | None) -> None:
    """Write and read one snapshot without and with names and raw inputs."""
    print(f"\nnames and raw inputs: one snapshot of {n:,} accounts, {len(model.metric_names)} metrics")
    columns = generate(n, seed=3)
    result = model.score_batch(columns, drivers=3)
    ids = [f"ACC{i:07d}" for i in range(n)]
    names = [f"Customer {i} Ltd" for i in range(n)]
    plain = attrs.evolve(model, name="w1_plain")  # two versions: each snapshot kept apart
    full = attrs.evolve(model, name="w1_inputs")
    with open_history(postgres or str(folder / "inputs.db")) as store:
        bare, _ = timed("write_snapshot, scores only", lambda: store.write_snapshot(plain, "2025-01-01", ids, result))
        took, _ = timed("write_snapshot with names= and inputs=", lambda: store.write_snapshot(
            full, "2025-01-01", ids, result, names=names, inputs=columns))  # fmt: skip
        print(f"  {'write overhead of names and inputs':<58}{took - bare:8.2f} s   ({took / bare:.2f} x)")
        timed("snapshot_columns (scores, names, dimensions)", lambda: store.snapshot_columns(model=plain))
        _, raw = timed("inputs() (raw values as columns)", lambda: store.inputs(model=full))
        _, rescored = timed("score_batch(inputs()) with the stored model", lambda: store.model(
            model_fingerprint(full)).score_batch(raw))  # fmt: skip
        stored = store.snapshot_columns(model=full)["computed_score"]
        same = bool(np.array_equal(rescored.score, stored, equal_nan=True))
        print(f"  re-scored equals stored: {same}")
        if not same:
            raise SystemExit("the stored inputs do not give the stored scores")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write-accounts", type=int, default=1_000_000)
    parser.add_argument("--queue-accounts", type=int, default=100_000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--inputs-accounts", type=int, default=100_000)
    parser.add_argument("--postgres", metavar="URL", help="an empty PostgreSQL database instead of SQLite files")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks the script runs")
    args = parser.parse_args()
    if args.smoke:
        args.write_accounts, args.queue_accounts, args.weeks, args.inputs_accounts = 2_000, 500, 6, 2_000
    machine = platform.processor() or platform.machine()
    print(f"{machine}, Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}")
    model = load()
    with tempfile.TemporaryDirectory() as tmp:
        write_benchmark(model, args.write_accounts, Path(tmp), args.postgres)
        queue_benchmark(model, args.queue_accounts, args.weeks, Path(tmp), args.postgres)
        inputs_benchmark(model, args.inputs_accounts, Path(tmp), args.postgres)
    return 0


if __name__ == "__main__":
    sys.exit(main())
