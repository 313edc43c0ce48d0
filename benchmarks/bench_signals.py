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
    python benchmarks/bench_signals.py --keep /tmp/bench100k # write the Parquet files there, reuse them next time

With ``--keep DIR``, a folder written by an earlier run of the same size
(``DIR/.bench.json``) is read again instead of generating the exports (the
in-memory step, which needs the generated arrays, is then skipped).
"""

from __future__ import annotations

import argparse
import gc
import json
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


class Best:
    """The fastest run of each step (on a shared machine, the run least slowed
    by other jobs): its wall time and the CPU time of the process in it (DuckDB's
    threads included), which other jobs slow less."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def run(self, label: str, fn: Any) -> Any:
        gc.collect()
        start, cpu = time.perf_counter(), time.process_time()
        result = fn()
        wall = time.perf_counter() - start
        if wall < self.wall.get(label, math.inf):
            self.wall[label], self.cpu[label] = wall, time.process_time() - cpu
        return result

    def show(self, label: str) -> None:
        print(f"  {label:<52}{self.wall[label]:8.2f} s wall {self.cpu[label]:8.2f} s CPU")


def timed(label: str, fn: Any, repeat: int = 1) -> tuple[float, Any]:
    """The fastest of ``repeat`` runs of ``fn``, and its result."""
    best = Best()
    result = None
    for _ in range(max(1, repeat)):
        result = None
        result = best.run(label, fn)
    best.show(label)
    return best.wall[label], result


def write_parquet(tables: dict[str, dict[str, Any]], folder: Path) -> None:
    """The exports as ``<table>.parquet``."""
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
    import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]

    for name, cols in tables.items():
        pq.write_table(pa.table({k: np.asarray(v) for k, v in cols.items()}), folder / f"{name}.parquet")


def prepared(folder: Path, size: dict[str, Any]) -> tuple[Any, str] | None:
    """An earlier run's Parquet folder of the same size: (``None``, its end date)."""
    meta = folder / ".bench.json"
    if not meta.is_file():
        return None
    stored = json.loads(meta.read_text())
    return (None, str(stored["end"])) if stored.get("size") == size else None


def generate(folder: Path, size: dict[str, Any]) -> tuple[Any, str]:
    """The synthetic exports, written to ``folder``: (the generated tables, their end date)."""
    start = time.perf_counter()
    gen = generate_exports(size["accounts"], size["days"], seed=1, events_per_seat_day=size["rate"])
    rows = {name: len(next(iter(cols.values()))) for name, cols in gen.tables.items()}
    print(f"generated in {time.perf_counter() - start:.1f} s: " + ", ".join(f"{k} {v:,}" for k, v in rows.items()))
    write_parquet(gen.tables, folder)
    (folder / ".bench.json").write_text(json.dumps({"size": size, "end": gen.end}))
    return gen.tables, gen.end


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


READ, SIGNALS, AGAIN = "read_exports(folder)", "compute_signals", "compute_signals again, same exports"
HAND = "signal query on read_parquet views"


def one_round(best: Best, folder: Path, end: str, settings: SignalSettings) -> tuple[Any, Any]:
    """Each step once: read and check the files, the signals twice, the
    hand-written query; both sides' signals."""
    exports = best.run(READ, lambda: read_exports(folder))
    ours = best.run(SIGNALS, lambda: compute_signals(exports, end, settings))
    best.run(AGAIN, lambda: compute_signals(exports, end, settings))
    return ours, best.run(HAND, lambda: hand_written(folder, end, settings))


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
    parser.add_argument("--keep", metavar="DIR", help="write the Parquet files to DIR and reuse them on later runs")
    args = parser.parse_args()

    def step(label: str, fn: Any) -> tuple[float, Any]:
        return timed(label, fn, args.repeat)

    accounts, days, rate = (200, 60, 0.35) if args.smoke else (args.accounts, args.days, args.rate)
    size = {"accounts": accounts, "days": days, "rate": rate}
    import duckdb

    print(f"healthscore signals benchmark: Python {platform.python_version()}, DuckDB {duckdb.__version__}")
    settings = SignalSettings(advanced_features=ADVANCED_FEATURES)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        found = prepared(folder, size) if args.keep else None
        if found is not None:
            print(f"reusing the Parquet files of {folder}")
        generated, end = found or generate(folder, size)
        total_size = sum(p.stat().st_size for p in folder.glob("*.parquet"))
        print(f"Parquet files: {total_size / 1e6:.1f} MB")
        # the steps take turns, round after round, so that a busy spell of the machine slows both sides
        best = Best()
        for _ in range(max(1, args.repeat)):
            ours, theirs = one_round(best, folder, end, settings)
        print("healthscore (files read by DuckDB, every row checked):")
        for label in (READ, SIGNALS, AGAIN):
            best.show(label)
        print("hand-written DuckDB (the same query on the files, nothing checked):")
        best.show(HAND)
        wall, cpu = (times[READ] + times[SIGNALS] for times in (best.wall, best.cpu))
        total = f"{wall:8.2f} s wall {cpu:8.2f} s CPU"
        print(f"  {'Parquet -> signals, healthscore':<52}{total} (target < {TARGET_SECONDS:g} s)")
        ratios = f"{wall / best.wall[HAND]:8.2f}x wall {cpu / best.cpu[HAND]:8.2f}x CPU"
        print(f"  {'healthscore / hand-written':<52}{ratios} (target <= {TARGET_RATIO:g}x)")
        print(f"  {'same signals':<52}{same_signals(ours, theirs)!s:>8}")
    if generated is None:
        print("in memory: skipped (the Parquet files were reused, not generated)")
        return 0
    print("in memory (read_exports on the generated arrays):")
    _, exports = step("read_exports(arrays)", lambda: read_exports(generated))
    step("compute_signals", lambda: compute_signals(exports, end, settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
