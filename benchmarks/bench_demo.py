"""Peak memory of ``healthscore demo --accounts N``.

The demo makes a year of synthetic exports (about 2,200 product events per
account), reads them, computes the signals and scores the accounts. It runs
in a child process of its own, so the peak resident memory measured
(``ru_maxrss`` of the children) is the demo's alone, not this script's.

Target: memory that does not grow with the product events of the whole
portfolio: the exports are made and turned into signals 1,000 accounts at a
time, so the peak is that of one block (about 1 GB) plus the signals, whatever
``--accounts`` is. Usage::

    python benchmarks/bench_demo.py                        # 20,000 accounts
    python benchmarks/bench_demo.py --accounts 100000      # about 8 minutes on 2 cores
    python benchmarks/bench_demo.py --smoke                # tiny, for CI
"""

from __future__ import annotations

import argparse
import platform
import re
import resource
import subprocess
import sys
import time


def peak_of_demo(accounts: int) -> tuple[float, float, str]:
    """Run the demo in a child process: (peak resident MB, seconds, first output line)."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "healthscore", "demo", "--accounts", str(accounts), "--top", "3"],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"the demo failed (exit {done.returncode}):\n{done.stderr}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    peak_mb = peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, KiB on Linux
    return peak_mb, seconds, done.stdout.splitlines()[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--smoke", action="store_true", help="a tiny run, to check that the benchmark works")
    args = parser.parse_args()
    accounts = 50 if args.smoke else args.accounts
    print(f"healthscore demo --accounts {accounts:,} (Python {platform.python_version()}, {platform.machine()})")
    peak_mb, seconds, headline = peak_of_demo(accounts)
    events = re.search(r"([\d,]+) product events", headline)
    n_events = int(events.group(1).replace(",", "")) if events else 0
    print(f"  product events                {n_events:>14,}")
    print(f"  wall time                     {seconds:>12.1f} s")
    print(f"  peak resident memory          {peak_mb:>12,.0f} MB")
    print(f"  per account                   {peak_mb * 1024 / accounts:>12,.1f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
