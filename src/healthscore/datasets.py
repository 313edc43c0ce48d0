"""Built-in sample data: a synthetic portfolio for demos, docs and tests.

:func:`load_sample_portfolio` reads ``sample_portfolio.csv``, shipped with the
package: 300 synthetic accounts with every metric of
:func:`healthscore.presets.three_dimension`, a segment and an ARR. It was made by
:func:`generate_portfolio` (``python -m healthscore.datasets`` writes it again):
each account has a hidden health level, each metric is a noisy reading of it,
and about 4% of the cells are empty (missing).

Examples:
    >>> from healthscore.datasets import load_sample_portfolio
    >>> columns = load_sample_portfolio()
    >>> len(columns["account_id"]), columns["account_id"][0]
    (300, 'ACC-0001')
"""

from __future__ import annotations

import csv
import io
import sys
from importlib import resources
from typing import Any

import numpy as np

__all__ = ["SAMPLE_PORTFOLIO", "generate_portfolio", "load_sample_portfolio", "portfolio_to_csv"]

SAMPLE_PORTFOLIO = "sample_portfolio.csv"
"""File name of the shipped sample portfolio, inside ``healthscore/data``."""

_CATEGORY_COLUMNS = ("account_id", "segment", "executive_engagement", "budget_trend")


def generate_portfolio(n: int = 300, seed: int = 7, missing_share: float = 0.04) -> dict[str, Any]:
    """Make ``n`` synthetic accounts with the metrics of ``three_dimension()``.

    Args:
        n: Number of accounts.
        seed: Random seed; the same seed gives the same portfolio.
        missing_share: Share of metric cells left empty.

    Returns:
        Column name -> list (``account_id``, ``segment``, ``arr``, then the metrics;
        missing cells are ``None``).

    Examples:
        >>> cols = generate_portfolio(5, seed=1)
        >>> sorted(cols)[:3]
        ['account_id', 'active_days', 'arr']
    """
    rng = np.random.default_rng(seed)
    health = rng.beta(3.2, 1.8, n)  # hidden health level in 0..1, most accounts fairly healthy

    def noisy(scale: float = 0.15) -> Any:
        return np.clip(health + rng.normal(0.0, scale, n), 0.0, 1.0)

    segment = rng.choice(["enterprise", "mid_market", "smb", "product_led"], n, p=[0.2, 0.3, 0.3, 0.2])
    seats = np.where(segment == "enterprise", 200, np.where(segment == "mid_market", 60, 15))
    arr = np.round(seats * rng.uniform(400, 1200, n), -2)
    exec_levels = np.array(["none", "aware", "annual", "quarterly"])
    budget_levels = np.array(["shrinking", "none", "stable", "growing"])
    cols: dict[str, Any] = {
        "account_id": [f"ACC-{i + 1:04d}" for i in range(n)],
        "segment": segment.tolist(),
        "arr": arr.tolist(),
        "active_days": np.round(30 * noisy() ** 1.3, 1),
        "days_since_last_login": np.round(60 * (1 - noisy()) ** 2.5),
        "feature_breadth": np.round(noisy(), 3),
        "feature_depth": np.round(0.5 * noisy() ** 1.5, 3),
        "penetration": np.round(noisy(), 3),
        "workflow_completion": np.round(noisy(), 3),
        "integrations": np.floor(5 * noisy(0.25)),
        "power_users": np.floor(6 * noisy(0.2)),
        "executive_engagement": exec_levels[np.minimum((4 * noisy(0.25)).astype(int), 3)],
        "qbr_attendance": np.round(noisy(0.2), 2),
        "ticket_volume": np.round(np.abs(rng.normal(4 + 20 * (1 - health) ** 2, 2.5, n)), 1),
        "ticket_sentiment": np.round(2 * noisy(0.25) - 1, 2),
        "nps": np.round(200 * noisy(0.25) - 100),
        "csat": np.round(1 + 4 * noisy(0.2), 1),
        "response_hours": np.round(400 * (1 - noisy()) ** 2, 1),
        "champion": np.floor(4 * noisy(0.25) ** 2),
        "outcome_achievement": np.round(noisy(0.12), 2),
        "roi_multiple": np.round(5 * noisy(0.15) ** 1.2, 2),
        "budget_trend": budget_levels[np.minimum((4 * noisy(0.25)).astype(int), 3)],
        "expansion_talks": np.floor(4 * noisy(0.25) ** 2),
        "contract_months": rng.choice([1, 12, 24, 36], n, p=[0.2, 0.5, 0.15, 0.15]),
        "payment_delay_days": np.round(90 * (1 - noisy()) ** 3),
    }
    for name in list(cols)[3:]:
        values = np.asarray(cols[name]).tolist()
        hide = rng.random(n) < missing_share
        cols[name] = [None if h else v for v, h in zip(values, hide, strict=True)]
    return cols


def portfolio_to_csv(columns: dict[str, Any]) -> str:
    """Render columns (name -> list) as CSV text, ``None`` as an empty cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    names = list(columns)
    writer.writerow(names)
    for row in zip(*(columns[c] for c in names), strict=True):
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue()


def load_sample_portfolio() -> dict[str, Any]:
    """The shipped sample portfolio: column name -> NumPy array.

    Numeric columns are float64 with NaN for missing cells; label columns are
    object arrays with ``None`` for missing cells.
    """
    text = resources.files("healthscore").joinpath("data", SAMPLE_PORTFOLIO).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    columns: dict[str, Any] = {}
    for j, name in enumerate(header):
        cells = [r[j] for r in body]
        if name in _CATEGORY_COLUMNS:
            columns[name] = np.array([c if c else None for c in cells], dtype=object)
        else:
            columns[name] = np.array([float(c) if c else np.nan for c in cells], dtype=np.float64)
    return columns


if __name__ == "__main__":  # pragma: no cover -- regenerates the shipped file
    target = (
        sys.argv[1] if len(sys.argv) > 1 else str(resources.files("healthscore").joinpath("data", SAMPLE_PORTFOLIO))
    )
    with open(target, "w", encoding="utf-8", newline="") as handle:
        handle.write(portfolio_to_csv(generate_portfolio()))
    print(f"wrote {target}")
