"""Portfolio scoring on Dask and Spark against the in-process engine (W1).

The W1 accounts (16 numeric metrics, int64 ids) are written as Parquet files,
one per partition, then scored three ways, each on data already in memory
where it is scored, so that the time is the scoring's:

* in process: ``score_portfolio(model, pandas_frame)`` (the engine's own
  threads, one per core);
* Dask: ``score_portfolio(model, dask_frame).persist()`` on a
  ``LocalCluster`` of two worker processes with one thread each, the input
  persisted on the workers first;
* Spark: ``score_portfolio(model, spark_frame)`` written to Spark's ``noop``
  sink on a local[2] session, the input cached first.

It prints each time, and the Dask / in-process ratio against the target of
1.5x. Usage::

    python benchmarks/bench_distributed.py                  # 10M accounts
    python benchmarks/bench_distributed.py --size 2000000 --partitions 8
    python benchmarks/bench_distributed.py --smoke          # 20k, quick

A missing engine (dask, distributed, pyspark) or Java runtime prints
``skipped: <reason>`` and exits 0.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import w1

from healthscore import HealthModel, score_portfolio

TARGET = 1.5


def write_parquet(folder: Path, size: int, partitions: int) -> list[Path]:
    """W1 accounts as ``partitions`` Parquet files."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = w1.generate(size, seed=1)
    columns = {"account_id": np.arange(size, dtype=np.int64), **columns}
    table = pa.table(columns)
    paths = []
    bounds = np.linspace(0, size, partitions + 1).astype(int)
    for i, (lo, hi) in enumerate(itertools.pairwise(bounds)):
        path = folder / f"part-{i:04d}.parquet"
        pq.write_table(table.slice(int(lo), int(hi - lo)), path)
        paths.append(path)
    return paths


def best_of(repeats: int, run: Any) -> float:
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def in_process(model: HealthModel, folder: Path, repeats: int) -> float:
    import pandas as pd

    frame = pd.read_parquet(folder)
    return best_of(repeats, lambda: score_portfolio(model, frame))


def on_dask(model: HealthModel, folder: Path, repeats: int) -> float:
    import dask.dataframe as dd
    from distributed import Client, LocalCluster, wait

    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = Client(cluster)  # type: ignore[no-untyped-call]
    try:
        data = dd.read_parquet(str(folder)).persist()
        wait(data)  # type: ignore[no-untyped-call]

        def run() -> None:
            scored = score_portfolio(model, data).persist()
            wait(scored)  # type: ignore[no-untyped-call]
            del scored

        return best_of(repeats, run)
    finally:
        client.close()  # type: ignore[no-untyped-call]
        cluster.close()


def on_spark(model: HealthModel, folder: Path, repeats: int) -> float:
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.memory", "4g")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    try:
        data = spark.read.parquet(str(folder)).cache()
        data.count()
        return best_of(repeats, lambda: score_portfolio(model, data).write.format("noop").mode("overwrite").save())
    finally:
        spark.stop()


def missing_engines() -> tuple[str | None, str | None]:
    """Why Dask, and why Spark, cannot run here (``None`` when they can)."""
    dask_reason = spark_reason = None
    try:
        import dask.dataframe  # noqa: F401 -- optional engine
        import distributed  # noqa: F401 -- optional engine
    except ImportError:
        dask_reason = "Dask is not installed (pip install 'dask[dataframe]' distributed)"
    try:
        import pyspark  # noqa: F401 -- optional engine
    except ImportError:
        spark_reason = "PySpark is not installed (pip install pyspark)"
    else:
        if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
            spark_reason = "Spark needs a Java runtime (apt-get install openjdk-17-jre-headless)"
    return dask_reason, spark_reason


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=10_000_000, help="accounts (default 10M)")
    parser.add_argument("--partitions", type=int, default=None, help="Parquet files / partitions (default 20)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs each, best kept (default 3)")
    parser.add_argument("--no-spark", action="store_true", help="leave Spark out")
    parser.add_argument("--smoke", action="store_true", help="20k accounts, one run each: a quick check")
    args = parser.parse_args(argv)
    size, repeats = (20_000, 1) if args.smoke else (args.size, args.repeats)
    partitions = args.partitions or (4 if args.smoke else 20)
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
    dask_reason, spark_reason = missing_engines()
    if dask_reason is not None:
        print(f"skipped: {dask_reason}")
        return 0
    model = w1.load()
    with tempfile.TemporaryDirectory(prefix="healthscore-bench-") as tmp:
        folder = Path(tmp)
        write_parquet(folder, size, partitions)
        print(f"{size:,} W1 accounts, {partitions} partitions, best of {repeats}, {os.cpu_count()} CPUs")
        local = in_process(model, folder, repeats)
        print(f"in process          {local:8.2f} s  ({local / size * 1e9:6.0f} ns/account)")
        dask_seconds = on_dask(model, folder, repeats)
        ratio = dask_seconds / local
        verdict = "meets" if ratio <= TARGET else "misses"
        print(f"Dask, 2 workers     {dask_seconds:8.2f} s  ({dask_seconds / size * 1e9:6.0f} ns/account)")
        print(f"Dask / in process   {ratio:8.2f}x  ({verdict} the target of {TARGET}x)")
        if args.no_spark:
            print("Spark: left out (--no-spark)")
        elif spark_reason is not None:
            print(f"Spark: skipped: {spark_reason}")
        else:
            spark_seconds = on_spark(model, folder, repeats)
            print(f"Spark, local[2]     {spark_seconds:8.2f} s  ({spark_seconds / size * 1e9:6.0f} ns/account)")
            print(f"Spark / in process  {spark_seconds / local:8.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
