"""Workload W1: the benchmark every portfolio-engine comparison uses.

16 numeric metrics in 3 dimensions, piecewise-linear curves, about 5% of the
cells missing, the rest uniform over each curve's x range widened by 10% on
both sides, float64. ``python benchmarks/w1.py`` writes ``w1_model.toml``.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from healthscore import Dimension, HealthModel, Metric, dump_model, load_model
from healthscore.scorers import Piecewise

HERE = Path(__file__).resolve().parent
MODEL_FILE = HERE / "w1_model.toml"

# dimension -> (weight, [(metric, weight within the dimension, curve points)])
SPEC: dict[str, tuple[float, list[tuple[str, float, list[tuple[float, float]]]]]] = {
    "product": (
        0.4,
        [
            ("active_days_30", 3, [(0, 0), (1, 30), (2, 50), (4, 70), (20, 90), (30, 100)]),
            ("days_since_login", 2, [(0, 100), (7, 80), (14, 60), (30, 30), (60, 0)]),
            ("feature_breadth", 2, [(0, 0), (0.15, 30), (0.5, 70), (0.75, 90), (1, 100)]),
            ("penetration", 3, [(0, 0), (0.4, 50), (0.6, 70), (0.8, 90), (1, 100)]),
            ("workflow_completion", 2, [(0, 0), (0.5, 50), (0.9, 90), (1, 100)]),
            ("integrations", 1, [(0, 20), (1, 70), (3, 100)]),
            ("power_users", 2, [(0, 10), (1, 60), (3, 100)]),
        ],
    ),
    "relationship": (
        0.3,
        [
            ("exec_meetings_year", 3, [(0, 40), (1, 80), (4, 100)]),
            ("qbr_attendance", 2, [(0, 0), (0.5, 60), (1, 100)]),
            ("nps", 1, [(0, 0), (6, 40), (8, 75), (10, 100)]),
            ("csat", 1, [(1, 0), (3, 50), (5, 100)]),
            ("response_hours", 1, [(0, 100), (24, 90), (168, 40), (720, 0)]),
        ],
    ),
    "business": (
        0.3,
        [
            ("outcome_achievement", 3, [(0, 0), (0.5, 50), (1, 100)]),
            ("roi_multiple", 2, [(0, 0), (1, 40), (3, 90), (5, 100)]),
            ("contract_months", 1, [(1, 30), (12, 75), (36, 100)]),
            ("payment_delay_days", 1, [(0, 100), (15, 80), (30, 50), (90, 0)]),
        ],
    ),
}

MISSING_SHARE = 0.05


def build_model() -> HealthModel:
    """W1 as a model object (the same as ``w1_model.toml``)."""
    return HealthModel(
        name="w1",
        description="Benchmark workload W1: 16 numeric metrics in 3 dimensions",
        dimensions=[
            Dimension(
                name=dim,
                weight=weight,
                metrics=[Metric(name=n, weight=w, scorer=Piecewise(points=pts)) for n, w, pts in metrics],
            )
            for dim, (weight, metrics) in SPEC.items()
        ],
    )


def load() -> HealthModel:
    """The shipped model file."""
    model = load_model(MODEL_FILE)
    assert isinstance(model, HealthModel)
    return model


def generate(n: int, seed: int = 0, dtype: Any = np.float64) -> dict[str, Any]:
    """``n`` W1 accounts: metric name -> array, ~5% NaN, the rest uniform over
    each curve's x range widened by 10% on both sides."""
    rng = np.random.default_rng(seed)
    columns: dict[str, Any] = {}
    for _dim, (_weight, metrics) in SPEC.items():
        for name, _w, pts in metrics:
            lo, hi = pts[0][0], pts[-1][0]
            pad = 0.1 * (hi - lo)
            x = rng.uniform(lo - pad, hi + pad, n).astype(dtype, copy=False)
            x[rng.random(n) < MISSING_SHARE] = np.nan
            columns[name] = x
    return columns


def idiomatic(model: HealthModel, columns: dict[str, Any]) -> Any:
    """The NumPy a data scientist would write for W1: one ``np.interp`` per
    metric, NaN-aware weighted sums, whole-column temporaries."""
    n = len(next(iter(columns.values())))
    total = np.zeros(n)
    total_weight = np.zeros(n)
    dim_weights = model.dimension_weights
    for dim in model.dimensions:
        weight_sum = sum(m.weight for m in dim.metrics)
        num = np.zeros(n)
        den = np.zeros(n)
        for metric in dim.metrics:
            x = columns[metric.name]
            pts = np.asarray(metric.scorer.points)  # type: ignore[attr-defined]
            s = np.interp(x, pts[:, 0], pts[:, 1])
            ok = ~np.isnan(x)
            w = metric.weight / weight_sum
            num += np.where(ok, w * s, 0.0)
            den += np.where(ok, w, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            score = num / den
        ok = den > 0
        total += np.where(ok, dim_weights[dim.name] * score, 0.0)
        total_weight += np.where(ok, dim_weights[dim.name], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / total_weight


if __name__ == "__main__":
    dump_model(build_model(), MODEL_FILE)
    assert load() == build_model()
    print(f"wrote {MODEL_FILE}", file=sys.stderr)


def median_time(fn: Callable[[], Any], repeats: int) -> float:
    """The median wall time of ``repeats`` calls of ``fn``, each after a garbage collection."""
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
