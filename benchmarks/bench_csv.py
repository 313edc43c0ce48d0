"""Read a CSV file of 1M rows x 10 columns with both engines of the one CSV
reader (``healthscore._io.read_csv``): pyarrow.csv and the standard library.

Prints each engine's best time of a few runs and the ratio measured in the same
run, after checking that both engines return the same table.

    python benchmarks/bench_csv.py            # 1,000,000 rows x 10 columns
    python benchmarks/bench_csv.py --smoke    # a tiny run, as dev.py test does
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from healthscore._io import Engine, read_csv

COLUMNS = 10


def write_table(path: Path, rows: int, seed: int = 0) -> int:
    """Write an export-like table: ids, dates, labels, numbers with empty
    cells, one quoted column with commas; returns the file size in bytes."""
    rng = np.random.default_rng(seed)
    ids = np.char.add("ACC-", np.arange(rows).astype(str))
    days = (np.datetime64("2025-01-01") + rng.integers(0, 540, rows)).astype(str)
    kinds = rng.choice(np.array(["meeting", "qbr", "email_out", "email_reply"]), rows)
    notes = rng.choice(np.array(['"follow up, soon"', '"said ""ok"""', "none"]), rows)
    numbers = [np.round(rng.normal(50, 20, rows), 3).astype(str) for _ in range(COLUMNS - 4)]
    for col in numbers:
        col[rng.random(rows) < 0.05] = ""  # empty cells: missing values
    header = ["account_id", "timestamp", "kind", "note", *(f"metric_{i}" for i in range(COLUMNS - 4))]
    body = ids
    for col in (days, kinds, notes, *numbers):
        body = np.char.add(np.char.add(body, ","), col)
    text = ",".join(header) + "\n" + "\n".join(body.tolist()) + "\n"
    path.write_text(text, encoding="utf-8", newline="")
    return len(text)


def best_of(path: Path, engine: Engine, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        read_csv(path, engine=engine)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="a tiny run (1,000 rows, once) to check the script works")
    args = parser.parse_args()
    rows, repeat = (1_000, 1) if args.smoke else (args.rows, args.repeat)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "table.csv"
        size = write_table(path, rows)
        fast, slow = read_csv(path, engine="pyarrow"), read_csv(path, engine="python")
        if not (
            list(fast.columns) == list(slow.columns)
            and all(np.array_equal(fast.columns[c], slow.columns[c]) for c in fast.columns)
            and np.array_equal(fast.lines, slow.lines)
        ):
            raise SystemExit("the two engines returned different tables")
        t_fast = best_of(path, "pyarrow", repeat)
        t_slow = best_of(path, "python", repeat)
    print(f"read_csv, {rows:,} rows x {COLUMNS} columns ({size / 1e6:.1f} MB), best of {repeat}:")
    print(f"  pyarrow engine  {t_fast:8.3f} s")
    print(f"  python engine   {t_slow:8.3f} s")
    print(f"  ratio           {t_slow / t_fast:8.1f}x")


if __name__ == "__main__":
    main()
