"""Roll-up benchmark: a portfolio of workload W1 accounts in a 3-level tree.

Prints the time of ``score_portfolio`` on the accounts with their
``parent_id`` column (read the tree, level it, score, roll up by ARR-weighted
mean, build the output) against the same call without the tree
(``parent_column=None``), both measured in this run, and the ratio; also the
tree building and the roll-up step alone. Usage::

    python benchmarks/bench_hierarchy.py                  # 1M accounts
    python benchmarks/bench_hierarchy.py --accounts 200000 --repeats 5
    python benchmarks/bench_hierarchy.py --smoke          # tiny, for CI
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import w1

from healthscore import score_portfolio
from healthscore.hierarchy import build_tree, roll_up


def tree_table(n: int, seed: int = 0) -> dict[str, Any]:
    """W1 metric columns plus ids, ARR and a 3-level tree: 1% groups, 9%
    subsidiaries under them, 90% workspaces under the subsidiaries, rows shuffled."""
    rng = np.random.default_rng(seed)
    columns = w1.generate(n, seed=seed)
    groups = max(1, n // 100)
    middle = max(1, n // 10 - groups)
    level = np.concatenate([np.zeros(groups, int), np.ones(middle, int), np.full(n - groups - middle, 2)])
    parent = np.full(n, -1)
    parent[groups : groups + middle] = rng.integers(0, groups, middle)
    parent[groups + middle :] = rng.integers(groups, groups + middle, n - groups - middle)
    order = rng.permutation(n)  # rows in no particular order, as exports come
    where = np.empty(n, dtype=np.int64)
    where[order] = np.arange(n)
    ids = np.array([f"acct-{i:07d}" for i in range(n)])
    parent_ids = np.where(parent >= 0, ids[np.maximum(parent, 0)], "")
    table = {name: values[order] for name, values in columns.items()}
    table["account_id"] = ids[order]
    table["parent_id"] = parent_ids[order]
    table["arr"] = rng.lognormal(10, 1, n)[order]
    assert level[order].max() == 2
    return table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="2,000 accounts, one repeat")
    args = parser.parse_args()
    n, repeats = (2_000, 1) if args.smoke else (args.accounts, args.repeats)
    model = w1.load()
    table = tree_table(n)
    print(f"{n:,} accounts in a 3-level tree, model {model.name}, {repeats} repeat(s), median times")

    plain = w1.median_time(lambda: score_portfolio(model, table, parent_column=None, drivers=3), repeats)
    rolled = w1.median_time(lambda: score_portfolio(model, table, drivers=3), repeats)
    tree = build_tree(table["account_id"], table["parent_id"])
    building = w1.median_time(lambda: build_tree(table["account_id"], table["parent_id"]), repeats)
    scored = model.score_batch({k: v for k, v in table.items() if k in model.metric_names}, drivers=3)
    step = w1.median_time(lambda: roll_up(model, scored, tree, weights=table["arr"]), repeats)

    print(f"  score_portfolio, no tree (baseline) {plain:8.3f} s")
    print(f"  score_portfolio, rolled up          {rolled:8.3f} s   ratio {rolled / plain:.2f}x")
    print(f"    of which: build_tree              {building:8.3f} s")
    print(f"              roll_up                 {step:8.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
