"""Trends and drop alerts over score history.

:func:`trends` reads the snapshots of many accounts (from
:class:`healthscore.history.SQLiteHistory`) and gives, per account, as of a
date: the latest score, its change over 7, 30 and 90 days, the slope of a
least-squares line over the last 90 days (points per 30 days), the momentum
(the last 30 days' change minus the 30 days' before), and whether a drop alert
fires.

A drop alert fires when the score fell by ``DropRule.points`` (20) or more from
its highest value within ``DropRule.days`` (30) -- even when the score is still
acceptable: an account going 85 -> 65 alerts, one stable at 60 does not.

Examples:
    >>> from healthscore.history import HistoryPoint
    >>> def p(day, score):
    ...     return HistoryPoint(account_id="a", as_of=day, model_version="v", score=score,
    ...                         band=None, alert=None, coverage=1.0, dimensions={})
    >>> t = trends([p("2026-05-31", 85.0), p("2026-06-29", 65.0)], "2026-06-30")
    >>> t["change_30"].tolist(), t["drop_alert"].tolist()
    ([-20.0], [True])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np

from healthscore.exceptions import InputError, ValidationError
from healthscore.history import HistoryPoint

__all__ = ["DropRule", "trends"]


def _positive(_inst: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise ValidationError(attribute.name, "must be a positive number", value)


@attrs.frozen(kw_only=True)
class DropRule:
    """A fall of ``points`` or more from the highest score within ``days``."""

    points: float = attrs.field(default=20.0, converter=float, validator=_positive)
    days: float = attrs.field(default=30.0, converter=float, validator=_positive)


def _day_numbers(days: Sequence[str]) -> Any:
    try:
        return np.array(days, dtype="datetime64[D]").astype(np.int64)
    except ValueError as exc:
        raise InputError(f"snapshot dates must be ISO 8601 dates ({exc})") from None


def trends(points: Sequence[HistoryPoint], as_of: Any, *, drop: DropRule | None = None) -> dict[str, Any]:
    """Per-account trend columns as of ``as_of``, from history points.

    Snapshots dated after ``as_of`` are ignored; snapshots without a score are
    skipped. A change over ``k`` days compares the latest score with the last
    score known ``k`` days earlier (NaN when none is that old).

    Returns:
        ``account_id`` (sorted), ``score``, ``as_of`` (date of that score),
        ``change_7``, ``change_30``, ``change_90``, ``slope_30`` (points per 30
        days over the last 90 days, NaN with fewer than two snapshots),
        ``momentum`` (``change_30`` minus the change over the 30 days before),
        ``peak`` (highest score within the drop window), ``drop`` (peak minus
        score) and ``drop_alert`` (bool).
    """
    rule = drop or DropRule()
    (today,) = _day_numbers([str(as_of)[:10]])
    kept = [p for p in points if p.score is not None and p.score == p.score]
    accounts = np.array([p.account_id for p in kept], dtype=str)
    days = _day_numbers([p.as_of[:10] for p in kept]) if kept else np.zeros(0, dtype=np.int64)
    scores = np.array([p.score for p in kept], dtype=np.float64)
    past = days <= today
    accounts, days, scores = accounts[past], days[past], scores[past]
    names, acc = np.unique(accounts, return_inverse=True)
    acc = acc.reshape(-1)
    n = names.size
    order = np.lexsort((days, acc))
    acc, days, scores = acc[order], days[order], scores[order]
    last = np.searchsorted(acc, np.arange(n), side="right") - 1

    def score_at(lag: float) -> Any:
        """Last score known ``lag`` days before as_of, per account."""
        out = np.full(n, math.nan)
        eligible = days <= today - lag
        if eligible.any():
            e_acc, e_scores = acc[eligible], scores[eligible]
            idx = np.searchsorted(e_acc, np.arange(n), side="right") - 1
            has = (idx >= 0) & (e_acc[np.maximum(idx, 0)] == np.arange(n))
            out[has] = e_scores[idx[has]]
        return out

    current = scores[last] if n else np.zeros(0)
    change = {k: current - score_at(k) for k in (7, 30, 90)}
    previous_30 = score_at(30) - score_at(60)
    recent = days > today - 90
    slope = np.full(n, math.nan)
    if recent.any():
        r_acc, r_days, r_scores = acc[recent], days[recent].astype(np.float64), scores[recent]
        count = np.bincount(r_acc, minlength=n).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_x = np.bincount(r_acc, r_days, minlength=n) / count
            mean_y = np.bincount(r_acc, r_scores, minlength=n) / count
            dx = r_days - mean_x[r_acc]
            cov = np.bincount(r_acc, dx * (r_scores - mean_y[r_acc]), minlength=n)
            var = np.bincount(r_acc, dx * dx, minlength=n)
            slope = np.where((count >= 2) & (var > 0), cov / np.where(var > 0, var, 1.0) * 30.0, math.nan)
    window = days >= today - rule.days
    peak = np.full(n, -math.inf)
    np.maximum.at(peak, acc[window], scores[window])
    peak = np.where(np.isinf(peak), current, np.maximum(peak, current))
    fall = peak - current
    return {
        "account_id": names,
        "score": current,
        "as_of": (days[last].astype("datetime64[D]").astype(str) if n else np.zeros(0, dtype=str)),
        "change_7": change[7],
        "change_30": change[30],
        "change_90": change[90],
        "slope_30": slope,
        "momentum": change[30] - previous_30,
        "peak": peak,
        "drop": fall,
        "drop_alert": fall >= rule.points,
    }
