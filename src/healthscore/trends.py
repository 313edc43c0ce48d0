"""Trends and drop alerts over score history.

:func:`trends` reads the snapshots of many accounts (from
:class:`healthscore.history.SQLiteHistory`) and gives, per account, as of a
date: the latest score, its change over 7, 30 and 90 days, the slope of a
least-squares line over the last 90 days (points per 30 days), the momentum
(the last 30 days' change minus the 30 days' before), and whether a drop alert
fires.

A drop alert fires when the score fell by ``DropRule.points`` (20) or more from
its highest value within the rule's window -- even when the score is still
acceptable: an account going 85 -> 65 alerts, one stable at 60 does not. The
window is one calendar month by default (``DropRule(months=1)``: every snapshot
since the same day of the previous month, clamped to its month end, so month-end
snapshots always see the previous month end), or a number of days
(``DropRule(days=30)``).

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

import calendar
import math
import re
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import attrs
import numpy as np

from healthscore import _time
from healthscore.bands import BandPolicy
from healthscore.exceptions import InputError, ValidationError
from healthscore.history import HistoryPoint

__all__ = ["DropRule", "Panel", "panel", "smooth", "steady_bands", "trends"]


def _positive(_inst: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise ValidationError(attribute.name, "must be a positive number", value)


def _optional_positive(inst: object, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None:
        _positive(inst, attribute, value)


def _whole_months(_inst: object, attribute: attrs.Attribute[Any], value: int | None) -> None:
    if value is not None and not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
        raise ValidationError(attribute.name, "must be a whole number of months >= 1", value)


_EPOCH = date(1970, 1, 1)
_WINDOW = re.compile(r"\s*(\d{1,9}(?:\.\d{1,9})?)\s*([dm])\s*", re.IGNORECASE)  # 9 digits: beyond any calendar


@attrs.frozen(kw_only=True)
class DropRule:
    """A fall of ``points`` or more from the highest score within a window:
    ``months`` calendar months (default: one) or ``days`` days, not both.

    A window of ``months`` ending on a date starts on the same day ``months``
    months earlier, clamped to that month's end (03-31 -> 02-28, or 02-29 in a
    leap year), and includes it. A window of ``days`` starts ``days`` days
    earlier, included. "Within a month" is the calendar rule: with month-end
    snapshots the previous month end is 28 to 31 days back, always inside, and
    mid-month (03-15 -> 02-15) a window never reaches further than a month.

    Examples:
        >>> DropRule().months, DropRule(days=30).months
        (1, None)
        >>> rule = DropRule()
        >>> [_time.day_text(int(rule.first_day(_time.utc_day(d, "d")))) for d in ("2026-03-31", "2028-03-31")]
        ['2026-02-28', '2028-02-29']
        >>> DropRule.from_text(points="25", window="30d")
        DropRule(points=25.0, days=30.0, months=None)
    """

    points: float = attrs.field(default=20.0, converter=float, validator=_positive)
    days: float | None = attrs.field(
        default=None, converter=attrs.converters.optional(float), validator=_optional_positive
    )
    months: int | None = attrs.field(
        default=attrs.Factory(lambda self: 1 if self.days is None else None, takes_self=True),
        validator=_whole_months,
    )

    @months.validator
    def _one_window(self, _attribute: attrs.Attribute[Any], value: int | None) -> None:
        if (value is None) == (self.days is None):
            raise ValidationError(
                "window",
                "must be given as days or as months: exactly one of them",
                {"days": self.days, "months": value},
                "DropRule(days=30) or DropRule(months=1)",
            )

    @classmethod
    def from_text(cls, *, points: str | float = 20.0, window: str = "1m") -> DropRule:
        """The rule from text, as the command line gives it: ``points`` a
        number, ``window`` a whole number of months (``1m``) or a number of
        days (``30d``).

        Raises:
            ValidationError: ``points`` is not a positive number, or ``window``
                is not a number followed by ``d`` or ``m``.
        """
        try:
            amount = float(points)
        except (TypeError, ValueError):
            raise ValidationError("drop points", "must be a positive number", points) from None
        if not (math.isfinite(amount) and amount > 0):
            raise ValidationError("drop points", "must be a positive number", points)
        found = _WINDOW.fullmatch(str(window))
        if found is None:
            raise ValidationError(
                "drop window", "must be a number of days or months such as 30d or 1m", window, "d = days, m = months"
            )
        number, unit = found.group(1), found.group(2).lower()
        if unit == "d":
            if not (0 < float(number) < math.inf):
                raise ValidationError("drop window", "must be a positive number of days", window)
            return cls(points=amount, days=float(number))
        if not number.isdigit() or int(number) < 1:
            raise ValidationError("drop window", "must be a whole number of months >= 1", window, "or give days: 30d")
        return cls(points=amount, months=int(number))

    def first_day(self, today: int) -> float:
        """The first day (a UTC day number, days since 1970-01-01) inside the
        window that ends on day ``today``."""
        if self.days is not None:
            return today - self.days
        end = _EPOCH + timedelta(days=int(today))
        year, month = divmod(end.year * 12 + end.month - 1 - (self.months or 0), 12)
        if year < date.min.year:
            return float((date.min - _EPOCH).days)  # before the calendar: every snapshot is inside
        day = min(end.day, calendar.monthrange(year, month + 1)[1])
        return float((date(year, month + 1, day) - _EPOCH).days)

    def __str__(self) -> str:
        """The window in words: ``1 month`` or ``30 days``."""
        if self.days is not None:
            return f"{self.days:g} days"
        return f"{self.months} month{'s' if self.months != 1 else ''}"


def _day_numbers(days: Sequence[Any], field: str = "as_of") -> Any:
    """Snapshot dates (or instants: their UTC dates) -> day numbers."""
    return _time.day_numbers(np.asarray(days), field)


def _factorize(values: Any) -> tuple[Any, Any]:
    """Distinct values (sorted) and each value's index among them; a dict pass,
    much faster than sorting millions of strings."""
    index: dict[Any, int] = {}
    codes = np.fromiter((index.setdefault(v, len(index)) for v in values.tolist()), dtype=np.int64, count=len(values))
    names = np.array(list(index), dtype=object)
    order = np.argsort(names.astype(str), kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return names[order], rank[codes] if len(codes) else codes


def trends(
    points: Sequence[HistoryPoint] | Mapping[str, Any], as_of: Any, *, drop: DropRule | None = None
) -> dict[str, Any]:
    """Per-account trend columns as of ``as_of``, from history.

    ``points`` is a list of :class:`~healthscore.history.HistoryPoint`, or
    columns ``account_id``, ``as_of`` and ``score`` (what
    :meth:`healthscore.history.HistoryStore.read` returns; fast for millions of
    snapshots). Snapshots dated after ``as_of`` are ignored; snapshots without a
    score are skipped. A change over ``k`` days compares the latest score with
    the last score known ``k`` days earlier (NaN when none is that old).

    Returns:
        ``account_id`` (sorted), ``score``, ``as_of`` (date of that score),
        ``change_7``, ``change_30``, ``change_90``, ``slope_30`` (points per 30
        days over the last 90 days, NaN with fewer than two snapshots),
        ``momentum`` (``change_30`` minus the change over the 30 days before),
        ``peak`` (highest score within the drop rule's window), ``peak_since``
        (the first date of that window), ``drop`` (peak minus score) and
        ``drop_alert`` (bool).
    """
    rule = drop or DropRule()
    today = _time.utc_day(as_of, "as_of")
    accounts, days, scores = _scored_snapshots(points)
    past = days <= today
    accounts, days, scores = accounts[past], days[past], scores[past]
    names, acc = _factorize(accounts)
    n = names.size
    order = np.lexsort((days, acc))
    acc, days, scores = acc[order], days[order], scores[order]
    last = np.searchsorted(acc, np.arange(n), side="right") - 1
    current = scores[last] if n else np.zeros(0)
    change = {k: current - _score_at(acc, days, scores, n, today - k) for k in (7, 30, 90)}
    previous_30 = _score_at(acc, days, scores, n, today - 30) - _score_at(acc, days, scores, n, today - 60)
    since = rule.first_day(today)
    peak = _peak(acc, days, scores, current, since=since)
    fall = peak - current
    return {
        "account_id": names.astype(str),
        "score": current,
        "as_of": (days[last].astype("datetime64[D]").astype(str) if n else np.zeros(0, dtype=str)),
        "change_7": change[7],
        "change_30": change[30],
        "change_90": change[90],
        "slope_30": _slope_30(acc, days, scores, n, since=today - 90),
        "momentum": change[30] - previous_30,
        "peak": peak,
        "peak_since": np.full(n, _time.day_text(math.ceil(since))),
        "drop": fall,
        "drop_alert": fall >= rule.points,
    }


def _for_accounts(trend: Mapping[str, Any], ids: Sequence[str], fills: Mapping[str, Any]) -> dict[str, Any]:
    """Columns of :func:`trends` output (``fills``: name -> value for an
    account it lacks, or a column it lacks) in the order of ``ids``: the one
    way the queue and the dashboard match trends to accounts."""
    keys = np.asarray(trend["account_id"]).astype(str)
    want = np.asarray(ids, dtype=object).astype(str).reshape(-1)
    rows = np.full(want.shape[0], -1, dtype=np.intp)
    if keys.size:
        order = np.argsort(keys, kind="stable")
        at = np.minimum(np.searchsorted(keys[order], want), keys.size - 1)
        rows = np.where(keys[order][at] == want, order[at], -1)
    hit = rows >= 0
    out: dict[str, Any] = {}
    for name, fill in fills.items():
        if name not in trend or not keys.size:
            out[name] = np.full(want.shape[0], fill, dtype=type(fill) if isinstance(fill, bool | float) else object)
            continue
        values = np.asarray(trend[name])
        out[name] = np.where(hit, values[np.maximum(rows, 0)], fill)
    return out


def _scored_snapshots(points: Sequence[HistoryPoint] | Mapping[str, Any]) -> tuple[Any, Any, Any]:
    """Account ids, day numbers and scores of the snapshots that have a score,
    from points or from history columns."""
    if not isinstance(points, Mapping):
        kept = [p for p in points if p.score is not None and p.score == p.score]
        accounts = np.array([p.account_id for p in kept], dtype=object)
        days = _day_numbers([p.as_of for p in kept]) if kept else np.zeros(0, dtype=np.int64)
        return accounts, days, np.array([p.score for p in kept], dtype=np.float64)
    for column in ("account_id", "as_of", "score"):
        if column not in points:
            raise InputError(f"history columns need {column!r}; got {sorted(points)}", column=column)
    scores = np.asarray(points["score"], dtype=np.float64)
    keep = ~np.isnan(scores)
    accounts = np.asarray(points["account_id"], dtype=object)[keep]
    distinct, code = _factorize(np.asarray(points["as_of"], dtype=object)[keep])  # few dates, many rows
    days = _day_numbers([str(d) for d in distinct.tolist()])[code] if len(code) else np.zeros(0, np.int64)
    return accounts, days, scores[keep]


def _score_at(acc: Any, days: Any, scores: Any, n: int, cutoff: int) -> Any:
    """Per account, the last score dated on or before day ``cutoff`` (NaN when
    none is); snapshots sorted by account code, then day."""
    out = np.full(n, math.nan)
    eligible = days <= cutoff
    if eligible.any():
        e_acc, e_scores = acc[eligible], scores[eligible]
        idx = np.searchsorted(e_acc, np.arange(n), side="right") - 1
        has = (idx >= 0) & (e_acc[np.maximum(idx, 0)] == np.arange(n))
        out[has] = e_scores[idx[has]]
    return out


def _slope_30(acc: Any, days: Any, scores: Any, n: int, *, since: int) -> Any:
    """Per account, the least-squares slope of the scores dated after day
    ``since``, in points per 30 days (NaN with fewer than two dates)."""
    recent = days > since
    if not recent.any():
        return np.full(n, math.nan)
    r_acc, r_days, r_scores = acc[recent], days[recent].astype(np.float64), scores[recent]
    count = np.bincount(r_acc, minlength=n).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_x = np.bincount(r_acc, r_days, minlength=n) / count
        mean_y = np.bincount(r_acc, r_scores, minlength=n) / count
        dx = r_days - mean_x[r_acc]
        cov = np.bincount(r_acc, dx * (r_scores - mean_y[r_acc]), minlength=n)
        var = np.bincount(r_acc, dx * dx, minlength=n)
        return np.where((count >= 2) & (var > 0), cov / np.where(var > 0, var, 1.0) * 30.0, math.nan)


def _peak(acc: Any, days: Any, scores: Any, current: Any, *, since: float) -> Any:
    """Per account, the highest score dated on or after day ``since``, and at
    least the current score."""
    window = days >= since
    peak = np.full(current.size, -math.inf)
    np.maximum.at(peak, acc[window], scores[window])
    return np.where(np.isinf(peak), current, np.maximum(peak, current))


# --------------------------------------------------------------------------- noise control


@attrs.frozen(kw_only=True)
class Panel:
    """Scores as an accounts x snapshots matrix (NaN where an account has no
    score on a date), with the account ids and the snapshot dates."""

    account_ids: Any
    dates: Any
    scores: Any


def panel(points: Sequence[HistoryPoint]) -> Panel:
    """Arrange history points as a :class:`Panel` (accounts and dates sorted).

    Examples:
        >>> from healthscore.history import HistoryPoint
        >>> pts = [HistoryPoint(account_id="a", as_of=d, model_version="v", score=s, band=None, alert=None,
        ...                     coverage=1.0, dimensions={}) for d, s in [("2026-06-01", 70.0), ("2026-06-08", 60.0)]]
        >>> panel(pts).scores.tolist()
        [[70.0, 60.0]]
    """
    accounts = np.array([p.account_id for p in points], dtype=str)
    dates = np.array([p.as_of[:10] for p in points], dtype=str)
    scores = np.array([math.nan if p.score is None else p.score for p in points], dtype=np.float64)
    names, row = np.unique(accounts, return_inverse=True)
    days, col = np.unique(dates, return_inverse=True)
    matrix = np.full((names.size, days.size), math.nan)
    matrix[row.reshape(-1), col.reshape(-1)] = scores
    return Panel(account_ids=names, dates=days, scores=matrix)


def smooth(data: Panel, half_life_days: float = 14.0) -> Any:
    """Exponentially weighted moving average of each account's scores over time.

    The weight of the new score grows with the time since the last one:
    ``alpha = 1 - 0.5 ** (days / half_life_days)``, so irregular snapshots are
    handled. Missing snapshots keep the last smoothed value (NaN before the
    first score).

    Examples:
        >>> p = Panel(account_ids=np.array(["a"]), dates=np.array(["2026-06-01", "2026-06-15"]),
        ...           scores=np.array([[80.0, 60.0]]))
        >>> smooth(p, half_life_days=14).tolist()
        [[80.0, 70.0]]
    """
    if not (math.isfinite(half_life_days) and half_life_days > 0):
        raise ValidationError("half_life_days", "must be a positive number of days", half_life_days)
    days = _day_numbers(list(data.dates))
    out = np.full(data.scores.shape, math.nan)
    level = np.full(data.scores.shape[0], math.nan)
    last_day = np.full(data.scores.shape[0], math.nan)
    for t in range(data.scores.shape[1]):  # over snapshots, vectorised over accounts
        x = data.scores[:, t]
        seen = ~np.isnan(x)
        first = seen & np.isnan(level)
        alpha = 1.0 - 0.5 ** ((days[t] - last_day) / half_life_days)
        update = seen & ~first
        level = np.where(first, x, np.where(update, level + alpha * (x - level), level))
        last_day = np.where(seen, float(days[t]), last_day)
        out[:, t] = level
    return out


def steady_bands(
    data: Panel | Any,
    policy: BandPolicy,
    *,
    margin: float = 2.0,
    confirmations: int = 2,
) -> Any:
    """Band codes over time with hysteresis, so a score hovering at a threshold
    does not flap between bands.

    An account changes band when its score is past the new band's boundary by
    more than ``margin`` points, or when it has been in the new band for
    ``confirmations`` snapshots in a row. Codes are the policy's (0 = best band,
    -1 = no score).

    Examples:
        >>> from healthscore.bands import default_bands
        >>> flapping = np.array([[60.1, 59.9, 60.1, 59.9, 55.0]])
        >>> steady_bands(flapping, default_bands()).tolist()  # 1 = yellow, 2 = orange
        [[1, 1, 1, 1, 2]]
    """
    scores = data.scores if isinstance(data, Panel) else np.asarray(data, dtype=np.float64)
    if not (math.isfinite(margin) and margin >= 0):
        raise ValidationError("margin", "must be a number of points >= 0", margin)
    if not (isinstance(confirmations, int) and confirmations >= 1):
        raise ValidationError("confirmations", "must be a whole number >= 1", confirmations)
    raw = np.stack([policy.codes(scores[:, t]) for t in range(scores.shape[1])], axis=1)
    mins = np.array([*policy.thresholds, 0.0])
    tops = np.array([math.inf, *policy.thresholds])  # tops[c] = the lower edge of the band above band c
    out = np.full(scores.shape, -1, dtype=np.intp)
    current = np.full(scores.shape[0], -1, dtype=np.intp)
    streak = np.zeros(scores.shape[0], dtype=np.intp)
    candidate = np.full(scores.shape[0], -1, dtype=np.intp)
    for t in range(scores.shape[1]):
        code = raw[:, t]
        x = scores[:, t]
        seen = code >= 0
        start = seen & (current < 0)
        moving = seen & (current >= 0) & (code != current)
        streak = np.where(moving & (code == candidate), streak + 1, np.where(moving, 1, 0))
        candidate = np.where(moving, code, -1)
        safe = np.maximum(current, 0)
        clear_down = x < mins[safe] - margin  # well below the current band's floor
        clear_up = x >= tops[safe] + margin  # well above its ceiling
        switch = moving & ((code > current) & clear_down | (code < current) & clear_up | (streak >= confirmations))
        current = np.where(start | switch, code, current)
        streak = np.where(switch, 0, streak)
        out[:, t] = np.where(seen, current, -1)
    return out
