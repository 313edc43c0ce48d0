"""Exports -> signals benchmark: ~11,000,000 events for 100,000 accounts.

Generates synthetic exports (``healthscore.datasets.generate_exports``), writes
them as Parquet files, and times, in the same run:

* **healthscore**: ``read_exports(folder)`` (DuckDB reads the files where they
  lie and checks every row) + ``compute_signals`` (the signal query), and the
  signals again on the same exports;
* **hand-written DuckDB**: the same signal query run straight on the Parquet
  files, with none of the checks (no bad-row search, no account positions, no
  timestamp rule): what a data team would write by hand; the target is at most
  1.5x this, and under 8 s at 100k accounts on the 2-core machine;
* the in-memory path: ``read_exports`` on the generated arrays, then the signals.

The two runs must give the same signals; the script checks that they do.

Usage::

    python benchmarks/bench_signals.py                       # 100k accounts, ~11M events
    python benchmarks/bench_signals.py --accounts 10000      # smaller
    python benchmarks/bench_signals.py --smoke               # tiny, for CI
    python benchmarks/bench_signals.py --repeat 3            # fastest of 3 runs of each step
"""

from __future__ import annotations

import argparse
import gc
import math
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from healthscore.datasets import ADVANCED_FEATURES, generate_exports
from healthscore.exports import read_exports
from healthscore.signals import SIGNAL_NAMES, SignalSettings, compute_signals, signal_sql

# ~0.6 events per account-day: ~11M events for 100k accounts over 180 days
RATE = 0.0354
TARGET_SECONDS, TARGET_RATIO = 8.0, 1.5


def timed(label: str, fn: Any, repeat: int = 1) -> tuple[float, Any]:
    """The fastest of ``repeat`` runs of ``fn`` (on a shared machine, the run
    least slowed by other jobs), and its result."""
    best, result = math.inf, None
    for _ in range(max(1, repeat)):
        result = None
        gc.collect()
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    print(f"  {label:<52}{best:8.2f} s")
    return best, result


def write_parquet(tables: dict[str, dict[str, Any]], folder: Path) -> int:
    """The exports as ``<table>.parquet``; their size in bytes."""
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
    import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]

    for name, cols in tables.items():
        pq.write_table(pa.table({k: np.asarray(v) for k, v in cols.items()}), folder / f"{name}.parquet")
    return sum(p.stat().st_size for p in folder.glob("*.parquet"))


def hand_written(folder: Path, as_of: str, settings: SignalSettings) -> dict[str, Any]:
    """The signal query over views of the Parquet files: text ids, timestamps
    turned to seconds, nothing checked."""
    import duckdb

    seconds = {
        "events": ["timestamp"],
        "crm_activities": ["timestamp"],
        "invoices": ["due_date", "paid_date"],
        "tickets": ["opened_at"],
        "surveys": ["timestamp"],
        "goals": ["timestamp"],
        "value": ["timestamp"],
    }
    con = duckdb.connect()
    tables = []
    for path in sorted(folder.glob("*.parquet")):
        table = path.stem
        tables.append(table)
        replace = ", ".join(f'CAST(epoch("{c}") AS BIGINT) AS "{c}"' for c in seconds.get(table, []))
        select = f"* REPLACE ({replace})" if replace else "*"
        con.execute(f"CREATE VIEW \"{table}\" AS SELECT {select} FROM read_parquet('{path}')")
    result: dict[str, Any] = con.execute(signal_sql("duckdb", settings, as_of, tables=tables)).fetchnumpy()
    return result


def same_signals(ours: dict[str, Any], theirs: dict[str, Any]) -> bool:
    """Both runs, account by account (the hand-written query orders by the text id)."""
    order = np.argsort(ours["account_id"])
    if list(np.asarray(theirs["account_id"]).astype(str)) != list(ours["account_id"][order]):
        return False
    for name in SIGNAL_NAMES:
        a = np.asarray(ours[name])[order]
        got = np.ma.asarray(theirs[name])
        empty: Any = None if a.dtype == object else math.nan
        b = np.where(np.ma.getmaskarray(got), empty, np.ma.getdata(got))
        if a.dtype == object:
            if list(a) != list(b):
                return False
        elif not np.allclose(a.astype(float), np.asarray(b, dtype=float), rtol=1e-9, atol=1e-12, equal_nan=True):
            print(f"  differs: {name}")
            return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--rate", type=float, default=RATE, help="events per seat per day at full health")
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each step; the fastest counts")
    args = parser.parse_args()

    def step(label: str, fn: Any) -> tuple[float, Any]:
        return timed(label, fn, args.repeat)

    accounts, days, rate = (200, 60, 0.35) if args.smoke else (args.accounts, args.days, args.rate)
    import duckdb

    print(f"healthscore signals benchmark: Python {platform.python_version()}, DuckDB {duckdb.__version__}")
    start = time.perf_counter()
    gen = generate_exports(accounts, days, seed=1, events_per_seat_day=rate)
    rows = {name: len(next(iter(cols.values()))) for name, cols in gen.tables.items()}
    print(f"generated in {time.perf_counter() - start:.1f} s: " + ", ".join(f"{k} {v:,}" for k, v in rows.items()))
    settings = SignalSettings(advanced_features=ADVANCED_FEATURES)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        size = write_parquet(gen.tables, folder)
        print(f"Parquet files: {size / 1e6:.1f} MB")
        print("healthscore (files read by DuckDB, every row checked):")
        read_s, exports = step("read_exports(folder)", lambda: read_exports(folder))
        first_s, ours = step("compute_signals", lambda: compute_signals(exports, gen.end, settings))
        step("compute_signals again, same exports", lambda: compute_signals(exports, gen.end, settings))
        print("hand-written DuckDB (the same query on the files, nothing checked):")
        hand_s, theirs = step("signal query on read_parquet views", lambda: hand_written(folder, gen.end, settings))
        total = read_s + first_s
        print(f"  {'Parquet -> signals, healthscore':<52}{total:8.2f} s  (target < {TARGET_SECONDS:g} s)")
        print(f"  {'healthscore / hand-written':<52}{total / hand_s:8.2f}x (target <= {TARGET_RATIO:g}x)")
        print(f"  {'same signals':<52}{same_signals(ours, theirs)!s:>8}")
        del exports
    print("in memory (read_exports on the generated arrays):")
    _, exports = step("read_exports(arrays)", lambda: read_exports(gen.tables))
    step("compute_signals", lambda: compute_signals(exports, gen.end, settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
