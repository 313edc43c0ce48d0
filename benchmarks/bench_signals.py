"""Exports -> signals benchmark: 10,000,000 events for 100,000 accounts.

Generates synthetic exports (``healthscore.datasets.generate_exports``), then
times, in the same run:

* validation of the in-memory tables (``read_exports`` on arrays);
* all signals (``compute_signals``);
* with pyarrow installed, a Parquet round trip: reading the files alone (the
  I/O floor) and ``read_exports`` on the folder (reading + validation).

Target: exports to all signals in under 30 s on the 2-core machine. Usage::

    python benchmarks/bench_signals.py                       # 100k accounts, ~10M events
    python benchmarks/bench_signals.py --accounts 10000      # smaller
    python benchmarks/bench_signals.py --smoke               # tiny, for CI
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from healthscore.datasets import ADVANCED_FEATURES, generate_exports
from healthscore.exports import read_exports
from healthscore.signals import SignalSettings, compute_signals

# ~0.56 events per account-day: 10M events for 100k accounts over 180 days
RATE = 0.0354


def timed(label: str, fn: Any) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    print(f"  {label:<44}{seconds:8.2f} s")
    return seconds, result


def parquet_round_trip(tables: dict[str, dict[str, Any]], as_of: str, settings: SignalSettings) -> None:
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
    import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]

    with tempfile.TemporaryDirectory() as folder:
        for name, cols in tables.items():
            pq.write_table(pa.table({k: np.asarray(v) for k, v in cols.items()}), Path(folder) / f"{name}.parquet")
        floor, _ = timed(
            "read the Parquet files alone (I/O floor)",
            lambda: [
                {c: t.column(c).to_numpy(zero_copy_only=False) for c in t.schema.names}
                for t in (pq.read_table(p) for p in Path(folder).glob("*.parquet"))
            ],
        )
        full, exports = timed("read_exports on the folder (read + validate)", lambda: read_exports(folder))
        signals_s, _ = timed("compute_signals", lambda: compute_signals(exports, as_of, settings))
        total = full + signals_s
        print(f"  {'files -> signals':<44}{total:8.2f} s  ({total / floor:.1f}x the I/O floor)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--rate", type=float, default=RATE, help="events per seat per day at full health")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    accounts, days = (200, 60) if args.smoke else (args.accounts, args.days)
    print(f"healthscore signals benchmark: Python {platform.python_version()}, NumPy {np.__version__}")
    start = time.perf_counter()
    gen = generate_exports(accounts, days, seed=1, events_per_seat_day=args.rate if not args.smoke else 0.35)
    tables = gen.tables
    rows = {name: len(next(iter(cols.values()))) for name, cols in tables.items()}
    print(f"generated in {time.perf_counter() - start:.1f} s: " + ", ".join(f"{k} {v:,}" for k, v in rows.items()))
    settings = SignalSettings(advanced_features=ADVANCED_FEATURES)
    validate, exports = timed("read_exports on arrays (validate)", lambda: read_exports(tables))
    signals_s, signals = timed("compute_signals", lambda: compute_signals(exports, gen.end, settings))
    print(f"  {'exports -> signals':<44}{validate + signals_s:8.2f} s  (target < 30 s for 10M events)")
    assert len(signals["account_id"]) == accounts
    if importlib.util.find_spec("pyarrow") is not None:
        parquet_round_trip(tables, gen.end, settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
