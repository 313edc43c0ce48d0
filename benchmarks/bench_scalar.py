"""Real-time path benchmark: one account through ``model.score``.

Times ``model.score(record)`` on W1-sized records (16 metrics, ~5% missing)
and prints the median and the 99th percentile per call, plus the time to read
the explanation. Target: median under 30 microseconds. Usage::

    python benchmarks/bench_scalar.py            # 20,000 accounts, 5 rounds
    python benchmarks/bench_scalar.py --smoke    # tiny, for CI
"""

from __future__ import annotations

import argparse
import gc
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import w1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    n, rounds = (200, 1) if args.smoke else (args.accounts, args.rounds)
    model = w1.load()
    columns = w1.generate(n, seed=1)
    names = list(columns)
    rows = np.column_stack([columns[k] for k in names]).tolist()
    records = [{k: (None if v != v else v) for k, v in zip(names, row, strict=True)} for row in rows]
    per_call: list[float] = []
    clock = time.perf_counter_ns
    gc.disable()
    try:
        for _ in range(rounds):
            for record in records:
                start = clock()
                model.score(record)
                per_call.append(clock() - start)
    finally:
        gc.enable()
    explain = []
    for record in records[:2000]:
        result = model.score(record)
        start = clock()
        _ = result.drivers, result.metrics
        explain.append(clock() - start)
    per_call.sort()
    median = statistics.median(per_call) / 1e3
    p99 = per_call[int(0.99 * (len(per_call) - 1))] / 1e3
    print(f"model.score on W1 ({len(model.metric_names)} metrics), {len(per_call):,} calls, "
          f"Python {platform.python_version()}")  # fmt: skip
    print(f"  median {median:6.1f} us   p99 {p99:6.1f} us   (target: median < 30 us)")
    print(f"  reading drivers and metrics afterwards: median {statistics.median(explain) / 1e3:6.1f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
