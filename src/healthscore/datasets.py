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
from pathlib import Path
from typing import Any

import numpy as np

from healthscore._io import parse_csv
from healthscore.exceptions import InputError
from healthscore.exports import _numbers

__all__ = [
    "ADVANCED_FEATURES",
    "FEATURES",
    "INTEGRATIONS",
    "SAMPLE_PORTFOLIO",
    "generate_driver_portfolio",
    "generate_exports",
    "generate_portfolio",
    "load_sample_portfolio",
    "portfolio_to_csv",
    "write_exports",
]

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
    data = resources.files("healthscore").joinpath("data", SAMPLE_PORTFOLIO).read_bytes()
    table = parse_csv(data, source=SAMPLE_PORTFOLIO)
    columns: dict[str, Any] = {}
    for name, cells in table.columns.items():
        if name in _CATEGORY_COLUMNS:
            columns[name] = np.array([c or None for c in cells.tolist()], dtype=object)
        else:
            numbers, bad = _numbers(cells)
            if bad.any():  # the shipped file is made by generate_portfolio: numbers or empty cells
                raise InputError(f"{SAMPLE_PORTFOLIO}: column {name!r} holds a cell that is not a number", column=name)
            columns[name] = numbers
    return columns


if __name__ == "__main__":  # pragma: no cover -- regenerates the shipped file
    target = (
        sys.argv[1] if len(sys.argv) > 1 else str(resources.files("healthscore").joinpath("data", SAMPLE_PORTFOLIO))
    )
    with open(target, "w", encoding="utf-8", newline="") as handle:
        handle.write(portfolio_to_csv(generate_portfolio()))
    print(f"wrote {target}")


# --------------------------------------------------------------------------- synthetic exports

FEATURES = (
    "dashboard", "reports", "alerts", "search", "export", "sharing", "comments", "tasks",
    "calendar", "files", "custom_reports", "advanced_filters", "automation", "api", "admin",
)  # fmt: skip
"""Product features of the synthetic exports (the last five are advanced)."""

ADVANCED_FEATURES = ("custom_reports", "advanced_filters", "automation", "api", "admin")
"""Features the synthetic exports treat as advanced."""

INTEGRATIONS = ("integration:crm", "integration:warehouse", "integration:chat")
"""Integration features of the synthetic exports."""


def generate_exports(
    n_accounts: int = 300,
    days: int = 365,
    *,
    seed: int = 7,
    start: str = "2025-01-01",
    events_per_seat_day: float = 0.35,
) -> dict[str, Any]:
    """Realistic raw exports for ``n_accounts`` over ``days`` days, driven by a
    hidden per-account health process.

    Each account has a health level in 0..1 that drifts day by day (some
    accounts go through a decline). Health drives everything: logins, users,
    features and integrations, executive meetings and QBRs, ticket volume and
    sentiment, survey answers, goal progress, delivered value and payment delays.
    An account churns 30 days after its health has stayed below 0.3 for 21 days
    in a row; nothing happens for it after its churn date.

    Returns:
        ``{"tables": {name: columns}, "churn": {"account_id", "churn_date"},
        "health": (n_accounts, days) array, "start": start, "end": last date}``.
        ``tables`` feeds :func:`healthscore.exports.read_exports`; timestamps
        are ``datetime64[s]`` arrays (:func:`write_exports` writes ISO text).

    Examples:
        >>> gen = generate_exports(20, 60, seed=1)
        >>> sorted(gen["tables"])[:3]
        ['accounts', 'crm_activities', 'events']
    """
    rng = np.random.default_rng(seed)
    n, t = n_accounts, days
    day0 = np.datetime64(start, "D")
    ids = np.array([f"A{i + 1:06d}" for i in range(n)])
    segment = rng.choice(["enterprise", "mid_market", "smb", "product_led"], n, p=[0.15, 0.3, 0.35, 0.2])
    seats = np.where(segment == "enterprise", 120, np.where(segment == "mid_market", 40, 8)) * rng.uniform(0.5, 1.5, n)
    seats = np.maximum(np.round(seats), 2)
    arr = np.round(seats * rng.uniform(300, 900, n), -2)
    term = rng.choice([1, 12, 24, 36], n, p=[0.2, 0.5, 0.15, 0.15])

    # hidden health: mean-reverting walk, with a decline for some accounts
    level = rng.beta(3.0, 1.6, n)
    decline_day = np.where(rng.random(n) < 0.25, rng.integers(t // 4, t, n), t + 1)
    target = np.where(np.arange(t)[None, :] >= decline_day[:, None], 0.1, level[:, None])
    noise = rng.normal(0.0, 0.03, (n, t))
    health = np.empty((n, t))
    h = level.copy()
    for d in range(t):  # over days, vectorised over accounts
        h = np.clip(h + 0.05 * (target[:, d] - h) + noise[:, d], 0.0, 1.0)
        health[:, d] = h
    low = health < 0.3
    run = np.zeros(n, dtype=np.int64)
    churn_day = np.full(n, -1)
    for d in range(t):
        run = np.where(low[:, d], run + 1, 0)
        newly = (run >= 21) & (churn_day < 0)
        churn_day[newly] = d + 30
    alive = np.arange(t)[None, :] < np.where(churn_day >= 0, churn_day, t + 1)[:, None]

    def stamp(day_idx: Any, seconds: Any = None) -> Any:
        base = (day0 + day_idx.astype("timedelta64[D]")).astype("datetime64[s]")
        extra = rng.integers(8 * 3600, 19 * 3600, day_idx.shape) if seconds is None else seconds
        return base + extra.astype("timedelta64[s]")

    # product events
    rate = seats[:, None] * events_per_seat_day * health**1.5 * alive
    counts = rng.poisson(rate)
    acc_idx, day_idx = np.nonzero(counts)
    reps = counts[acc_idx, day_idx]
    e_acc = np.repeat(acc_idx, reps)
    e_day = np.repeat(day_idx, reps)
    e_h = health[e_acc, e_day]
    active_users = np.maximum(1, np.round(seats[e_acc] * (0.2 + 0.8 * e_h)))
    user = (rng.random(e_acc.size) ** 1.5 * active_users).astype(np.int64)
    breadth = 3 + np.round(e_h * (len(FEATURES) - 3)).astype(np.int64)
    feature_idx = (rng.random(e_acc.size) * breadth).astype(np.int64)
    feature = np.array(FEATURES)[feature_idx]
    integ = rng.random(e_acc.size) < 0.04 * e_h
    feature = np.where(integ, np.array(INTEGRATIONS)[(rng.random(e_acc.size) * 3 * e_h).astype(np.int64) % 3], feature)
    events = {
        "account_id": ids[e_acc],
        "user_id": np.char.add(np.char.add(ids[e_acc], "-u"), user.astype(str)),
        "timestamp": stamp(e_day),
        "feature": feature,
    }

    def per_month(mean: Any) -> tuple[Any, Any]:
        """(account, day) of a Poisson number of happenings per 30 days."""
        per_day = np.asarray(mean)[:, None] / 30.0 * np.ones((1, t)) * alive
        c = rng.poisson(per_day)
        a, d = np.nonzero(c)
        return np.repeat(a, c[a, d]), np.repeat(d, c[a, d])

    h_end = health[:, -1]
    rows: list[tuple[Any, Any, str, str]] = []
    for kind, persona, mean in (
        ("meeting", "operational", 2.5 * level),
        ("meeting", "executive", 0.4 * level**2),
        ("qbr", "executive", 0.33 * level),
        ("qbr_cancelled", "executive", 0.33 * (1 - level)),
        ("email_out", "manager", np.full(n, 4.0)),
        ("reference", "manager", 0.08 * level**3),
        ("case_study", "manager", 0.04 * level**3),
        ("expansion_talk", "manager", 0.5 * level**2),
    ):
        a, d = per_month(mean)
        rows.append((a, d, kind, persona))
    out_a, out_d = rows[4][0], rows[4][1]
    answered = rng.random(out_a.size) < 0.3 + 0.7 * health[out_a, out_d]
    delay = rng.exponential(2 * 3600 + (1 - health[out_a, out_d]) * 96 * 3600)
    out_t = stamp(out_d)
    reply_t = out_t[answered] + delay[answered].astype("timedelta64[s]")
    crm_acc = np.concatenate([r[0] for r in rows] + [out_a[answered]])
    crm_time = np.concatenate([stamp(r[1]) if i != 4 else out_t for i, r in enumerate(rows)] + [reply_t])
    crm = {
        "account_id": ids[crm_acc],
        "timestamp": crm_time,
        "kind": np.concatenate([np.full(r[0].size, r[2]) for r in rows] + [np.full(reply_t.size, "email_reply")]),
        "persona": np.concatenate([np.full(r[0].size, r[3]) for r in rows] + [np.full(reply_t.size, "manager")]),
    }

    # invoices: monthly, paid later when health is low
    inv_day = np.arange(0, t, 30)
    i_acc = np.repeat(np.arange(n), inv_day.size)
    i_day = np.tile(inv_day, n)
    keep = alive[i_acc, i_day]
    i_acc, i_day = i_acc[keep], i_day[keep]
    late = rng.exponential(1 + 40 * (1 - health[i_acc, i_day]) ** 2)
    paid_day = i_day + np.round(late).astype(np.int64)
    paid = np.where(paid_day < t, stamp(np.minimum(paid_day, t - 1)), np.datetime64("NaT"))
    invoices = {
        "account_id": ids[i_acc],
        "invoice_id": np.char.add("INV-", np.arange(i_acc.size).astype(str)),
        "due_date": (day0 + i_day.astype("timedelta64[D]")).astype("datetime64[s]"),
        "paid_date": paid.astype("datetime64[s]"),
        "amount": np.round(arr[i_acc] / 12, 2),
    }

    t_acc, t_day = per_month(seats / 10 * 1.5 + 2)
    t_h = health[t_acc, t_day]
    tickets = {
        "account_id": ids[t_acc],
        "ticket_id": np.char.add("T-", np.arange(t_acc.size).astype(str)),
        "opened_at": stamp(t_day),
        "sentiment": np.round(np.clip(rng.normal(1.6 * t_h - 0.8, 0.3), -1, 1), 3),
    }
    s_acc, s_day = per_month(np.maximum(seats / 20, 0.3))
    s_h = health[s_acc, s_day]
    nps_kind = rng.random(s_acc.size) < 0.6
    value = np.where(
        nps_kind,
        np.clip(np.round(rng.normal(10 * s_h, 1.5)), 0, 10),
        np.clip(np.round(rng.normal(1 + 4 * s_h, 0.7)), 1, 5),
    )
    surveys = {
        "account_id": ids[s_acc],
        "respondent": np.char.add("r", np.arange(s_acc.size).astype(str)),
        "timestamp": stamp(s_day),
        "kind": np.where(nps_kind, "nps", "csat"),
        "value": value,
    }
    g_day = np.arange(0, t, 90)
    g_acc = np.repeat(np.arange(n), g_day.size * 2)
    g_day_all = np.tile(np.repeat(g_day, 2), n)
    g_name = np.tile(np.array(["adoption", "savings"] * g_day.size), n)
    keep = alive[g_acc, g_day_all]
    g_acc, g_day_all, g_name = g_acc[keep], g_day_all[keep], g_name[keep]
    goals = {
        "account_id": ids[g_acc],
        "goal": g_name,
        "target": np.full(g_acc.size, 100.0),
        "actual": np.round(np.clip(rng.normal(110 * health[g_acc, g_day_all], 10), 0, None), 1),
        "timestamp": stamp(g_day_all),
    }
    v_day = np.arange(15, t, 30)
    v_acc = np.repeat(np.arange(n), v_day.size)
    v_day_all = np.tile(v_day, n)
    keep = alive[v_acc, v_day_all]
    v_acc, v_day_all = v_acc[keep], v_day_all[keep]
    value_rows = {
        "account_id": ids[v_acc],
        "timestamp": stamp(v_day_all),
        "value_delivered": np.round(arr[v_acc] / 12 * 4 * health[v_acc, v_day_all] ** 2, 2),
    }
    accounts = {
        "account_id": ids,
        "segment": segment,
        "seats_purchased": seats,
        "arr": arr,
        "contract_term_months": term.astype(np.float64),
    }
    churned = churn_day >= 0
    return {
        "tables": {
            "accounts": accounts,
            "events": events,
            "crm_activities": crm,
            "invoices": invoices,
            "tickets": tickets,
            "surveys": surveys,
            "goals": goals,
            "value": value_rows,
        },
        "churn": {
            "account_id": ids[churned],
            "churn_date": (day0 + churn_day[churned].astype("timedelta64[D]")).astype(str),
        },
        "health": health,
        "start": start,
        "end": str(day0 + np.timedelta64(t - 1, "D")),
        "final_health": h_end,
    }


def write_exports(tables: dict[str, dict[str, Any]], folder: str | Path) -> list[Path]:
    """Write export tables as ``<table>.csv`` files (timestamps as ISO 8601 UTC
    text with ``Z``, empty cells for missing values), each file atomically."""
    from healthscore._io import write_atomic  # noqa: PLC0415 -- only needed when writing files

    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, columns in tables.items():
        text_cols: dict[str, Any] = {}
        for col, values in columns.items():
            arr = np.asarray(values)
            if arr.dtype.kind == "M":
                iso = np.datetime_as_string(arr.astype("datetime64[s]"), unit="s")
                text_cols[col] = np.where(np.isnat(arr), "", np.char.add(iso, "Z"))
            else:
                text_cols[col] = arr
        path = target / f"{name}.csv"
        write_atomic(path, portfolio_to_csv({k: np.asarray(v).tolist() for k, v in text_cols.items()}))
        written.append(path)
    return written


def generate_driver_portfolio(n_accounts: int = 5000, *, seed: int = 11, base_rate: float = 0.15) -> dict[str, Any]:
    """A portfolio whose churn follows known drivers, to check that fitting
    weights recovers them.

    Six metrics in two dimensions, each scored linearly from 0..1 to 0..100.
    Churn is drawn from ``logit P = a + 8 * sum_m true_share_m * (100 - s_m) / 100``
    with true shares ``usage`` 40%, ``adoption`` 20%, ``nps`` 30%,
    ``meetings`` 10% and 0% for ``noise_product`` and ``noise_relationship``;
    about 5% of values are missing. The model handed back weighs every metric
    equally: the expert's first guess.

    Returns:
        ``{"model": HealthModel, "columns": {metric: values}, "churned": 0/1
        array, "true_shares": {metric: share}}``.
    """
    from healthscore.model import Dimension, HealthModel, Metric  # noqa: PLC0415 -- datasets imports lazily
    from healthscore.scorers import Piecewise  # noqa: PLC0415 -- datasets imports lazily

    true_shares = {
        "usage": 0.4, "adoption": 0.2, "noise_product": 0.0,
        "nps": 0.3, "meetings": 0.1, "noise_relationship": 0.0,
    }  # fmt: skip
    rng = np.random.default_rng(seed)
    columns = {name: rng.uniform(0.0, 1.0, n_accounts) for name in true_shares}
    risk = sum(share * (1.0 - columns[name]) for name, share in true_shares.items())
    logit = 8.0 * risk
    shift = np.log(base_rate / (1 - base_rate)) - float(np.median(logit))
    churned = (rng.random(n_accounts) < 1.0 / (1.0 + np.exp(-(logit + shift)))).astype(np.int64)
    for values in columns.values():
        values[rng.random(n_accounts) < 0.05] = np.nan
    linear = Piecewise(points=((0.0, 0.0), (1.0, 100.0)))
    model = HealthModel(
        name="drivers",
        dimensions=(
            Dimension(name="product", weight=50, metrics=tuple(
                Metric(name=m, scorer=linear) for m in ("usage", "adoption", "noise_product"))),
            Dimension(name="relationship", weight=50, metrics=tuple(
                Metric(name=m, scorer=linear) for m in ("nps", "meetings", "noise_relationship"))),
        ),
    )  # fmt: skip
    return {"model": model, "columns": columns, "churned": churned, "true_shares": true_shares}
