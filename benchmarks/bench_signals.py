"""Exports -> signals benchmark: ~11,000,000 events for 100,000 accounts.

Generates synthetic exports (``healthscore.datasets.generate_exports``), then
times, in the same run:

* validation of the in-memory tables (``read_exports`` on arrays);
* all signals (``compute_signals``: the signal query on embedded DuckDB), the
  first call (DuckDB imported, tables handed over as Arrow) and a second one;
* with ``--baseline SRC`` (default ``/work/main/src`` when it exists), the same
  steps run by another checkout's code in a subprocess on the same synthetic
  exports, for a before/after ratio in one run (``--baseline ''`` skips it);
* with pyarrow installed, a Parquet round trip: reading the files alone (the
  I/O floor) and ``read_exports`` on the folder (reading + validation).

Usage::

    python benchmarks/bench_signals.py                       # 100k accounts, ~11M events
    python benchmarks/bench_signals.py --accounts 10000      # smaller
    python benchmarks/bench_signals.py --smoke               # tiny, for CI
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from healthscore.datasets import ADVANCED_FEATURES, generate_exports
from healthscore.exports import read_exports
from healthscore.signals import SignalSettings, compute_signals

# ~0.6 events per account-day: ~11M events for 100k accounts over 180 days
RATE = 0.0354
DEFAULT_BASELINE = "/work/main/src"


def timed(label: str, fn: Any, *, quiet: bool = False) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    if not quiet:
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


def measure(accounts: int, days: int, rate: float, *, quiet: bool = False) -> dict[str, Any]:
    """Generate the exports, validate them and compute the signals twice."""
    start = time.perf_counter()
    gen = generate_exports(accounts, days, seed=1, events_per_seat_day=rate)
    rows = {name: len(next(iter(cols.values()))) for name, cols in gen.tables.items()}
    if not quiet:
        made = ", ".join(f"{k} {v:,}" for k, v in rows.items())
        print(f"generated in {time.perf_counter() - start:.1f} s: {made}")
    settings = SignalSettings(advanced_features=ADVANCED_FEATURES)
    validate, exports = timed("read_exports on arrays (validate)", lambda: read_exports(gen.tables), quiet=quiet)

    def signals() -> Any:
        return compute_signals(exports, gen.end, settings)

    first, table = timed("compute_signals (first call)", signals, quiet=quiet)
    second, _ = timed("compute_signals (again)", signals, quiet=quiet)
    assert len(table["account_id"]) == accounts
    return {"rows": rows, "validate": validate, "first": first, "second": second, "gen": gen, "settings": settings}


def baseline(source: str, accounts: int, days: int, rate: float) -> dict[str, float] | None:
    """The same measurement by the code under ``source`` (another checkout's
    ``src``), in a subprocess so that neither run's memory or imports touch the other."""
    env = {**os.environ, "PYTHONPATH": source}
    command = [sys.executable, __file__, "--measure", f"{accounts},{days},{rate}"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f"  baseline failed: {done.stderr.strip().splitlines()[-1:]}")
        return None
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--rate", type=float, default=RATE, help="events per seat per day at full health")
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--baseline", default=DEFAULT_BASELINE, metavar="SRC", help="another checkout's src ('' skips)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # the baseline subprocess: ACCOUNTS,DAYS,RATE
    args = parser.parse_args()
    if args.measure:
        accounts_text, days_text, rate_text = args.measure.split(",")
        got = measure(int(accounts_text), int(days_text), float(rate_text), quiet=True)
        print(json.dumps({k: got[k] for k in ("validate", "first", "second")}))
        return 0
    accounts, days, rate = (200, 60, 0.35) if args.smoke else (args.accounts, args.days, args.rate)
    print(f"healthscore signals benchmark: Python {platform.python_version()}, NumPy {np.__version__}")
    now = measure(accounts, days, rate)
    print(f"  {'exports -> signals':<44}{now['validate'] + now['first']:8.2f} s")
    if args.baseline and Path(args.baseline).is_dir():
        print(f"baseline: the code under {args.baseline}, same exports, in a subprocess")
        before = baseline(args.baseline, accounts, days, rate)
        if before is not None:
            print(f"  {'compute_signals (first call)':<44}{before['first']:8.2f} s")
            print(f"  {'compute_signals (again)':<44}{before['second']:8.2f} s")
            print(
                f"  now / baseline: first call {now['first'] / before['first']:.2f}x, "
                f"again {now['second'] / before['second']:.2f}x"
            )
    if importlib.util.find_spec("pyarrow") is not None:
        parquet_round_trip(now["gen"].tables, now["gen"].end, now["settings"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
