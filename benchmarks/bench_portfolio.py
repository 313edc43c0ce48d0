"""Portfolio engine benchmark on workload W1.

Prints, for each size, the engine's time per account and its ratio against
baselines measured in the same run:

* idiomatic NumPy -- one ``np.interp`` per metric, NaN-aware weighted sums,
  whole-column temporaries (``w1.idiomatic``);
* account by account through ``model.score`` (timed on a sample, per account);
* pandas row-wise ``apply`` with ``np.interp`` per cell (sample, per account);
* polars expressions (whole portfolio, polars' own threads);
* the floor: reading every input value once (a sum per column).

and the peak extra memory of one ``score_batch`` call (tracemalloc), with and
without its result arrays. Usage::

    python benchmarks/bench_portfolio.py                 # 10k, 1M, 10M accounts
    python benchmarks/bench_portfolio.py --sizes 1000000 --repeats 7
    python benchmarks/bench_portfolio.py --smoke         # tiny, for CI
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import itertools

import w1

from healthscore import HealthModel


def per_account_loop(model: HealthModel, columns: dict[str, Any], sample: int) -> float:
    names = list(columns)
    rows = np.column_stack([columns[k][:sample] for k in names]).tolist()
    records = [dict(zip(names, row, strict=True)) for row in rows]
    start = time.perf_counter()
    for record in records:
        model.score(record)
    return (time.perf_counter() - start) / len(records)


def pandas_apply(model: HealthModel, columns: dict[str, Any], sample: int) -> float | None:
    try:
        import pandas as pd  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        return None
    frame = pd.DataFrame({k: v[:sample] for k, v in columns.items()})
    curves = {m.name: np.asarray(m.scorer.points) for m in model.metrics.values()}  # type: ignore[attr-defined]
    dims = [
        (model.dimension_weights[d.name], [(m.name, m.weight / sum(x.weight for x in d.metrics)) for m in d.metrics])
        for d in model.dimensions
    ]

    def row_score(row: Any) -> float:
        num = den = 0.0
        for dim_weight, metrics in dims:
            n = d = 0.0
            for name, w in metrics:
                x = row[name]
                if x == x:
                    n += w * float(np.interp(x, curves[name][:, 0], curves[name][:, 1]))
                    d += w
            if d > 0:
                num += dim_weight * n / d
                den += dim_weight
        return num / den if den else math.nan

    start = time.perf_counter()
    frame.apply(row_score, axis=1)
    return (time.perf_counter() - start) / sample


def polars_time(model: HealthModel, columns: dict[str, Any], repeats: int) -> float | None:
    try:
        import polars as pl
    except ImportError:
        return None
    frame = pl.DataFrame(columns).fill_nan(None)
    total_num: Any = pl.lit(0.0)
    total_den: Any = pl.lit(0.0)
    for dim in model.dimensions:
        weight_sum = sum(m.weight for m in dim.metrics)
        num: Any = pl.lit(0.0)
        den: Any = pl.lit(0.0)
        for metric in dim.metrics:
            pts = metric.scorer.points  # type: ignore[attr-defined]
            x = pl.col(metric.name).clip(pts[0][0], pts[-1][0])
            expr: Any = pl.lit(pts[-1][1])
            for (x0, y0), (x1, y1) in reversed(list(itertools.pairwise(pts))):
                expr = pl.when(x < x1).then(y0 + (y1 - y0) / (x1 - x0) * (x - x0)).otherwise(expr)
            w = metric.weight / weight_sum
            observed = pl.col(metric.name).is_not_null()
            num = num + pl.when(observed).then(expr * w).otherwise(0.0)
            den = den + pl.when(observed).then(w).otherwise(0.0)
        dim_weight = model.dimension_weights[dim.name]
        has = den > 0
        total_num = total_num + pl.when(has).then(num / den * dim_weight).otherwise(0.0)
        total_den = total_den + pl.when(has).then(dim_weight).otherwise(0.0)
    query = frame.lazy().select((total_num / total_den).alias("score"))
    return w1.median_time(lambda: query.collect(), repeats)


def floor_time(columns: dict[str, Any], repeats: int) -> float:
    return w1.median_time(lambda: [np.add.reduce(v) for v in columns.values()], repeats)


def peak_memory(model: HealthModel, columns: dict[str, Any], **options: Any) -> tuple[int, int]:
    """(peak extra bytes during one call, bytes of the results it returned)."""
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    out = model.score_batch(columns, **options)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del out
    return peak - base, current - base


def fmt_time(seconds: float) -> str:
    return f"{seconds * 1e3:9.1f} ms" if seconds >= 1e-3 else f"{seconds * 1e6:9.1f} us"


def run_size(model: HealthModel, n: int, repeats: int, sample: int, threads: int | None) -> None:
    """Measure and print everything for one portfolio size."""
    columns = w1.generate(n)
    input_bytes = sum(v.nbytes for v in columns.values())
    options: dict[str, Any] = {"threads": threads}
    engine = w1.median_time(lambda: model.score_batch(columns, **options), repeats)
    single = w1.median_time(lambda: model.score_batch(columns, threads=1), repeats)
    idiomatic = w1.median_time(lambda: w1.idiomatic(model, columns), repeats)
    floor = floor_time(columns, repeats)
    check = model.score_batch(columns, **options).score
    reference = w1.idiomatic(model, columns)
    if not np.array_equal(np.isnan(check), np.isnan(reference)):
        raise SystemExit("the engine and the idiomatic code disagree on which accounts have a score")
    gap = float(np.nanmax(np.abs(check - reference))) if n else 0.0
    per = engine / n
    print(f"\n{n:,} accounts ({input_bytes / 1e6:,.0f} MB of input); largest difference from np.interp: {gap:.1e}")
    print(f"  {'engine (auto threads)':<30}{fmt_time(engine)}  {per * 1e9:8.1f} ns/account")
    print(f"  {'engine (1 thread)':<30}{fmt_time(single)}  {single / n * 1e9:8.1f} ns/account")
    print(f"  {'idiomatic NumPy':<30}{fmt_time(idiomatic)}  engine {idiomatic / engine:5.2f}x faster"
          f"  (1 thread: {idiomatic / single:4.2f}x)")  # fmt: skip
    loop = per_account_loop(model, columns, min(sample, n))
    print(f"  {'model.score per account':<30}{fmt_time(loop * n)}  engine {loop / per:7.0f}x faster "
          f"(timed on {min(sample, n):,})")  # fmt: skip
    apply = pandas_apply(model, columns, min(sample, n))
    if apply is not None:
        print(f"  {'pandas row-wise apply':<30}{fmt_time(apply * n)}  engine {apply / per:7.0f}x faster "
              f"(timed on {min(sample, n):,})")  # fmt: skip
    polars = polars_time(model, columns, repeats)
    if polars is not None:
        print(f"  {'polars expressions':<30}{fmt_time(polars)}  engine {polars / engine:5.2f}x faster")
    print(f"  {'floor: read each input once':<30}{fmt_time(floor)}  engine at {engine / floor:5.1f}x the floor")
    peak, results = peak_memory(model, columns, **options)
    lean, _lean_results = peak_memory(model, columns, dimensions=False, **options)
    print(f"  peak extra memory: {peak / 1e6:,.1f} MB = {peak / input_bytes:.1%} of the input "
          f"(results {results / 1e6:,.1f} MB, working memory {(peak - results) / 1e6:,.1f} MB); "
          f"without dimension columns {lean / 1e6:,.1f} MB = {lean / input_bytes:.1%}")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,1000000,10000000", help="comma-separated account counts")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per measurement (median)")
    parser.add_argument("--sample", type=int, default=20_000, help="accounts for the per-account baselines")
    parser.add_argument("--threads", type=int, default=None, help="engine threads (default: automatic)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one run: checks the script works")
    args = parser.parse_args()
    if args.smoke:
        sizes, repeats, sample = [2_000], 1, 200
    else:
        sizes, repeats, sample = [int(s) for s in args.sizes.split(",")], args.repeats, args.sample

    model = w1.load()
    print(f"healthscore portfolio benchmark, workload W1 ({len(model.metric_names)} metrics)")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"NumPy {np.__version__}; median of {repeats} runs")  # fmt: skip
    for n in sizes:
        run_size(model, n, repeats, sample, args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
