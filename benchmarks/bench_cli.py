"""``healthscore score`` on a CSV of W1 accounts (through ``main()``: reading,
scoring, formatting and writing the scored CSV) against ``score_batch`` on the
same columns, with the ratio measured in the same run.

The command must stay linear: the ratio should not grow with the number of
accounts.

    python benchmarks/bench_cli.py               # 10k, 100k and 1M accounts
    python benchmarks/bench_cli.py --sizes 100000
    python benchmarks/bench_cli.py --smoke       # a tiny run, as dev.py test does
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import w1

from healthscore.cli import main


def write_accounts(path: Path, n: int, seed: int = 0) -> None:
    """``n`` W1 accounts as a portfolio CSV (``account_id`` + 16 metrics, empty cells for missing)."""
    columns = w1.generate(n, seed=seed)
    lines = np.char.add("ACC-", np.arange(n).astype(str))
    for values in columns.values():
        cells = np.char.mod("%.6g", values)
        cells[np.isnan(values)] = ""
        lines = np.char.add(np.char.add(lines, ","), cells)
    path.write_text(",".join(["account_id", *columns]) + "\n" + "\n".join(lines.tolist()) + "\n", encoding="utf-8")


def bench(n: int, folder: Path, repeat: int) -> tuple[float, float]:
    """Best seconds of the command and of ``score_batch`` on ``n`` accounts."""
    src, dest = folder / f"w1_{n}.csv", folder / f"scored_{n}.csv"
    write_accounts(src, n)
    model = w1.load()
    columns = w1.generate(n)
    cli_best = batch_best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        status = main(["score", str(src), "--model", str(w1.MODEL_FILE), "-o", str(dest)], stderr=io.StringIO())
        cli_best = min(cli_best, time.perf_counter() - start)
        assert status == 0
        start = time.perf_counter()
        model.score_batch(columns, drivers=3, missing_columns="missing")
        batch_best = min(batch_best, time.perf_counter() - start)
    with dest.open(encoding="utf-8") as handle:
        assert sum(1 for _ in handle) == n + 1
    return cli_best, batch_best


def run(sizes: list[int], repeat: int) -> None:
    print(f"{'accounts':>10} {'healthscore score':>18} {'score_batch':>12} {'ratio':>7} {'us/account':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            cli_s, batch_s = bench(n, Path(tmp), repeat)
            print(f"{n:>10,} {cli_s:>17.3f}s {batch_s:>11.3f}s {cli_s / batch_s:>7.1f} {cli_s / n * 1e6:>11.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--smoke", action="store_true", help="a tiny run: 500 accounts, once")
    opts = parser.parse_args()
    run([500] if opts.smoke else opts.sizes, 1 if opts.smoke else opts.repeat)
