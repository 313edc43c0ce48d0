"""Peak memory of exports -> signals on 100,000,000 events read from Parquet.

Generates the synthetic exports (``healthscore.datasets.generate_export_blocks``)
a block of accounts at a time, until the events reach ``--events``, and appends
each block to one Parquet file per table (``events.parquet``,
``accounts.parquet``, ...: one row group per block) in a temporary folder, so
the generator never holds more than one block. Then, in a subprocess (so that
its peak resident memory is its own), runs ``read_exports(folder)`` and
``compute_signals(exports, as_of, SignalSettings(advanced_features=...))`` and
reports:

* the Parquet files' size on disk;
* the subprocess's peak RSS (``VmHWM``), and its ratio to the Parquet size;
* the size the same rows take in memory, as Arrow tables (UTF-8 strings) and
  as NumPy arrays of the generator's dtypes (rows x bytes per row, fixed-width
  strings): "the data's size" to compare the peak with;
* the wall time of each step and the rows per second.

``--memory-limit`` (default ``2GB``) is passed to ``read_exports``: past it, the
database spills the checked tables to a temporary folder, so the peak stays
near the limit whatever the size of the data.

Nothing is asserted: the numbers are printed. The subprocess is stopped if its
resident memory passes ``--max-rss-gb`` (default: 70% of the memory available
when it starts), and the report then says so and gives the memory reached.

Usage::

    python benchmarks/bench_signals_memory.py                        # 100M events (~920k accounts)
    python benchmarks/bench_signals_memory.py --events 20000000      # smaller
    python benchmarks/bench_signals_memory.py --keep /data/exports   # write (or reuse) the files there
    python benchmarks/bench_signals_memory.py --smoke                # tiny, for CI
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from healthscore.datasets import ADVANCED_FEATURES, generate_export_blocks

# ~0.6 events per account-day (the rate of bench_signals.py): ~109 events per account over 180 days
RATE = 0.0354
GB = 1024**3
MB = 1024**2
_RESULT = "RESULT "
"""Prefix of the subprocess's one line of results (JSON)."""


@attrs.frozen(kw_only=True)
class Written:
    """What the generation wrote: rows and sizes per table, and the scoring date."""

    folder: Path
    as_of: str
    rows: dict[str, int]
    arrow_bytes: dict[str, int]
    numpy_row_bytes: dict[str, int]
    """Bytes per row of each table as NumPy arrays of the generator's dtypes."""
    seconds: float

    def numpy_bytes(self, table: str) -> int:
        return self.rows[table] * self.numpy_row_bytes[table]


# --------------------------------------------------------------------------- generation


def _arrow_table(columns: dict[str, Any]) -> Any:
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]

    # from_pandas: NaT (an unpaid invoice) becomes a null, not the smallest int64
    return pa.table({name: pa.array(values, from_pandas=True) for name, values in columns.items()})


class _Writers:
    """One ``ParquetWriter`` per table, each block appended as a row group."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.writers: dict[str, Any] = {}
        self.rows: dict[str, int] = {}
        self.arrow_bytes: dict[str, int] = {}
        self.row_bytes: dict[str, int] = {}

    def add(self, tables: dict[str, dict[str, Any]]) -> None:
        import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]

        for name, columns in tables.items():
            table = _arrow_table(columns)
            writer = self.writers.get(name)
            if writer is None:
                writer = self.writers[name] = pq.ParquetWriter(self.folder / f"{name}.parquet", table.schema)
            else:
                table = table.cast(writer.schema)
            writer.write_table(table)
            self.rows[name] = self.rows.get(name, 0) + table.num_rows
            self.arrow_bytes[name] = self.arrow_bytes.get(name, 0) + table.nbytes
            width = sum(np.asarray(values).dtype.itemsize for values in columns.values())
            self.row_bytes[name] = max(self.row_bytes.get(name, 0), width)

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()


def _blocks(events: int, days: int, rate: float, block: int) -> Iterator[Any]:
    """Blocks of synthetic exports until their events reach ``events`` (their
    invoice and ticket ids are unique across blocks: ``B3-INV-0``)."""
    made = 0
    # at least one event per account is not promised, so bound the accounts by a generous multiple
    blocks = generate_export_blocks(max(events, block) * 10, days, seed=1, block=block, events_per_seat_day=rate)
    for gen in blocks:
        yield gen
        made += len(gen.tables["events"]["account_id"])
        if made >= events:
            return


def generate(folder: Path, events: int, days: int, rate: float, block: int) -> Written:
    """Write the Parquet exports into ``folder``, one block of accounts at a time."""
    start = time.perf_counter()
    writers = _Writers(folder)
    as_of = ""
    last_report = start
    try:
        for gen in _blocks(events, days, rate, block):
            writers.add(gen.tables)
            as_of = gen.end
            if time.perf_counter() - last_report > 30:
                last_report = time.perf_counter()
                done = writers.rows["events"]
                print(f"  ... {done:,} events ({done / events:.0%}) in {last_report - start:.0f} s", flush=True)
    finally:
        writers.close()
    written = Written(
        folder=folder,
        as_of=as_of,
        rows=writers.rows,
        arrow_bytes=writers.arrow_bytes,
        numpy_row_bytes=writers.row_bytes,
        seconds=time.perf_counter() - start,
    )
    (folder / ".bench.json").write_text(json.dumps(attrs.asdict(written, value_serializer=_plain)))
    return written


def _plain(_inst: object, _field: object, value: Any) -> Any:
    return str(value) if isinstance(value, Path) else value


def reuse(folder: Path, events: int) -> Written | None:
    """The exports a run with ``--keep`` wrote before, if they have the events asked for."""
    record = folder / ".bench.json"
    if not record.exists():
        return None
    data = json.loads(record.read_text())
    if data["rows"].get("events", 0) < events or data["rows"].get("events", 0) > events * 1.05 + 200_000:
        return None
    data["folder"] = folder
    return Written(**data)


# --------------------------------------------------------------------------- the measured subprocess


def _peak_rss() -> int:
    """This process's peak resident memory in bytes (``VmHWM``; ``ru_maxrss`` where there is no /proc)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) * (1 if sys.platform == "darwin" else 1024)


def child(folder: str, as_of: str, memory_limit: str) -> int:
    """``read_exports`` + ``compute_signals`` on the folder; one JSON line of results."""
    from healthscore.exports import read_exports
    from healthscore.signals import SignalSettings, compute_signals

    base = _peak_rss()
    start = time.perf_counter()
    exports = read_exports(folder, memory_limit=memory_limit or None)
    read_s = time.perf_counter() - start
    after_read = _peak_rss()
    table = compute_signals(exports, as_of, SignalSettings(advanced_features=ADVANCED_FEATURES))
    signals_s = time.perf_counter() - start - read_s
    result = {
        "read_s": read_s,
        "signals_s": signals_s,
        "accounts": len(table["account_id"]),
        "signals": len(table) - 1,
        "base_rss": base,
        "read_rss": after_read,
        "peak_rss": _peak_rss(),
    }
    print(_RESULT + json.dumps(result), flush=True)
    return 0


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _available() -> int:
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


def measure(written: Written, max_rss: int, memory_limit: str) -> dict[str, Any]:
    """Run :func:`child` in a subprocess, watching its memory; stop it above ``max_rss`` bytes."""
    command = [sys.executable, __file__, "--child", str(written.folder), written.as_of, memory_limit]
    start = time.perf_counter()
    seen = 0
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        stopped = False
        while proc.poll() is None:
            seen = max(seen, _rss(proc.pid))
            if max_rss and seen > max_rss:
                proc.kill()
                stopped = True
            time.sleep(0.05)
        out, err = proc.communicate()
    wall = time.perf_counter() - start
    lines = [line for line in out.splitlines() if line.startswith(_RESULT)]
    if not lines:
        why = f"stopped above {max_rss / GB:.1f} GB resident" if stopped else f"exit {proc.returncode}"
        return {"failed": why, "stderr": err.strip().splitlines()[-3:], "seen_rss": seen, "wall_s": wall}
    result: dict[str, Any] = json.loads(lines[-1][len(_RESULT) :])
    result["wall_s"] = wall
    return result


# --------------------------------------------------------------------------- report


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.glob("*.parquet"))


def report(written: Written, got: dict[str, Any]) -> None:
    parquet = _size(written.folder)
    total_rows = sum(written.rows.values())
    events = written.rows["events"]
    arrow_all = sum(written.arrow_bytes.values())
    numpy_all = sum(written.numpy_bytes(t) for t in written.rows)
    numpy_events = written.numpy_bytes("events")
    print("sizes")
    print(f"  {'Parquet on disk (all tables)':<48}{parquet / MB:10,.0f} MB")
    print(f"  {'Arrow in memory (all tables)':<48}{arrow_all / MB:10,.0f} MB")
    print(f"  {'NumPy in memory (all tables)':<48}{numpy_all / MB:10,.0f} MB")
    row = written.numpy_row_bytes["events"]
    print(f"  {f'NumPy in memory (events: {events:,} x {row} B)':<48}{numpy_events / MB:10,.0f} MB")
    if "failed" in got:
        print(f"read_exports + compute_signals: FAILED ({got['failed']}) after {got['wall_s']:.1f} s")
        print(f"  resident memory reached {got['seen_rss'] / MB:,.0f} MB = {got['seen_rss'] / parquet:.1f}x Parquet")
        for line in got["stderr"]:
            print(f"  {line}")
        return
    peak = got["peak_rss"]
    work = got["read_s"] + got["signals_s"]
    print(f"read_exports + compute_signals (subprocess, {got['accounts']:,} accounts, {got['signals']} signals)")
    print(f"  {'read_exports':<48}{got['read_s']:10.1f} s")
    print(f"  {'compute_signals':<48}{got['signals_s']:10.1f} s")
    print(f"  {'both':<48}{work:10.1f} s  ({events / work:,.0f} events/s, {total_rows / work:,.0f} rows/s)")
    print(f"  {'subprocess wall time (with imports)':<48}{got['wall_s']:10.1f} s")
    print(f"  {'RSS after imports':<48}{got['base_rss'] / MB:10,.0f} MB")
    print(f"  {'peak RSS after read_exports':<48}{got['read_rss'] / MB:10,.0f} MB")
    print(f"  {'peak RSS':<48}{peak / MB:10,.0f} MB")
    print("ratios")
    print(f"  peak RSS / Parquet size                         {peak / parquet:10.2f}x")
    print(f"  peak RSS / Arrow size (all tables)              {peak / arrow_all:10.2f}x")
    print(f"  peak RSS / NumPy size (all tables)              {peak / numpy_all:10.2f}x")
    print(f"  peak RSS / NumPy size (events)                  {peak / numpy_events:10.2f}x")


def _exports(args: argparse.Namespace, events: int, days: int, block: int) -> Iterator[Written]:
    """The exports to measure: reused from ``--keep`` where they are there, else generated."""
    if args.keep:
        folder = Path(args.keep)
        folder.mkdir(parents=True, exist_ok=True)
        found = reuse(folder, events)
        if found is not None:
            print(f"reusing {folder}: {found.rows['events']:,} events")
            yield found
            return
        yield generate(folder, events, days, args.rate, block)
        return
    with tempfile.TemporaryDirectory(prefix="healthscore-membench-") as tmp:
        yield generate(Path(tmp), events, days, args.rate, block)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000_000, help="product events to generate (at least)")
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--rate", type=float, default=RATE, help="events per seat per day at full health")
    parser.add_argument("--block", type=int, default=10_000, help="accounts generated (and written) at a time")
    parser.add_argument("--keep", metavar="FOLDER", help="write the Parquet files there (reused when they fit)")
    parser.add_argument("--max-rss-gb", type=float, help="stop the subprocess above this (default: 70%% of free)")
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument(
        "--memory-limit",
        default="2GB",
        help="read_exports(memory_limit=...): the most the database holds before it spills ('' for DuckDB's default)",
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)  # the measured subprocess: FOLDER AS_OF LIMIT
    args = parser.parse_args()
    if args.child:
        return child(*args.child)
    for module in ("pyarrow", "duckdb"):
        if importlib.util.find_spec(module) is None:
            print(f"skipped: the benchmark needs {module}: pip install 'healthscore[exports]'")
            return 0
    events, days, block = (20_000, 60, 100) if args.smoke else (args.events, args.days, args.block)
    max_rss = int(args.max_rss_gb * GB) if args.max_rss_gb else int(0.7 * _available())
    print(f"healthscore signals memory benchmark: Python {platform.python_version()}, NumPy {np.__version__}")
    for written in _exports(args, events, days, block):
        made = ", ".join(f"{k} {v:,}" for k, v in written.rows.items())
        print(f"Parquet exports in {written.folder} ({written.seconds:.1f} s to generate and write): {made}")
        limit = f"memory_limit={args.memory_limit!r}" if args.memory_limit else "DuckDB's default memory limit"
        print(f"measuring in a subprocess ({limit}; stopped above {max_rss / GB:.1f} GB resident)", flush=True)
        report(written, measure(written, max_rss, args.memory_limit))
    return 0


if __name__ == "__main__":
    sys.exit(main())
