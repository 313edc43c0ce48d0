"""Recency weighting: recent behaviour outweighs history.

A decay maps the age of an observation (days before the scoring date) to a
weight in (0, 1], equal to 1 at age 0 and never increasing with age. Two rules
ship:

* :func:`exponential` -- a half-life: weight ``0.5 ** (age / half_life_days)``.
* :func:`step` -- the source's rule: the last 30 days weigh 1, the 30 before
  0.5, then 0.25, and so on (``factor ** floor(age / window_days)``).

:func:`decayed_mean` and :func:`decayed_sum` aggregate values with those
weights; :func:`window_counts` buckets dated events into windows so that a
"per 30-day window" rate can be decay-weighted.

Examples:
    >>> from healthscore import decay
    >>> decay.step()([0, 29, 30, 65]).tolist()
    [1.0, 1.0, 0.5, 0.25]
    >>> decay.exponential(half_life_days=30)(30)
    0.5
"""

from __future__ import annotations

import math
from typing import Any, Protocol, overload, runtime_checkable

import attrs
import numpy as np

from healthscore.exceptions import InputError, ValidationError
from healthscore.typing import FloatArray

__all__ = [
    "Decay",
    "Exponential",
    "Step",
    "decayed_mean",
    "decayed_sum",
    "exponential",
    "step",
    "window_counts",
]


@runtime_checkable
class Decay(Protocol):
    """Anything that maps ages in days to weights in (0, 1]."""

    def __call__(self, age_days: Any, /) -> Any:
        """Weights for ``age_days`` (a scalar or an array)."""
        ...


def _ages(age_days: Any) -> tuple[FloatArray, bool]:
    scalar = np.ndim(age_days) == 0
    try:
        ages = np.asarray(age_days, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"age_days must be numbers of days, got {age_days!r}") from exc
    # A scalar goes through the same one-dimensional loop as an array: NumPy's
    # 0-d and vectorised exp2/power may differ in the last bit.
    ages = ages.reshape(1) if scalar else ages
    negative = ages < 0
    if negative.any():
        first = float(ages[negative].flat[0])
        raise InputError(
            f"age_days must be >= 0 (an observation after the scoring date would leak the future), got {first!r}",
            column="age_days",
            value=first,
        )
    return ages, scalar


def _positive(_inst: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise ValidationError(attribute.name, "must be a positive number of days", value)


@attrs.frozen(kw_only=True)
class Exponential:
    """Exponential decay with a half-life in days.

    Examples:
        >>> Exponential(half_life_days=10)(20)
        0.25
    """

    half_life_days: float = attrs.field(default=30.0, converter=float, validator=_positive)

    @overload
    def __call__(self, age_days: float) -> float: ...
    @overload
    def __call__(self, age_days: Any) -> Any: ...
    def __call__(self, age_days: Any) -> Any:
        """Weights for ``age_days``: ``0.5 ** (age / half_life_days)``."""
        ages, scalar = _ages(age_days)
        weights = np.exp2(-ages / self.half_life_days)
        return float(weights[0]) if scalar else weights


@attrs.frozen(kw_only=True)
class Step:
    """Window-by-window decay: weight ``factor ** floor(age / window_days)``.

    Examples:
        >>> Step(window_days=7, factor=0.5)([0, 6.9, 7, 14]).tolist()
        [1.0, 1.0, 0.5, 0.25]
    """

    window_days: float = attrs.field(default=30.0, converter=float, validator=_positive)
    factor: float = attrs.field(default=0.5, converter=float)

    @factor.validator
    def _check_factor(self, attribute: attrs.Attribute[Any], value: float) -> None:
        if not (0.0 < value <= 1.0):
            raise ValidationError(attribute.name, "must be in (0, 1]", value)

    def window(self, age_days: Any) -> Any:
        """Zero-based window index of each age (0 = the most recent window)."""
        ages, scalar = _ages(age_days)
        idx = np.floor(ages / self.window_days)
        return float(idx[0]) if scalar else idx

    @overload
    def __call__(self, age_days: float) -> float: ...
    @overload
    def __call__(self, age_days: Any) -> Any: ...
    def __call__(self, age_days: Any) -> Any:
        """Weights for ``age_days``: ``factor ** floor(age / window_days)``."""
        ages, scalar = _ages(age_days)
        weights = np.power(self.factor, np.floor(ages / self.window_days))
        return float(weights[0]) if scalar else weights


def exponential(half_life_days: float = 30.0) -> Exponential:
    """Exponential decay: an observation ``half_life_days`` old weighs 0.5.

    Examples:
        >>> exponential(half_life_days=30)(60)
        0.25
    """
    return Exponential(half_life_days=half_life_days)


def step(window_days: float = 30.0, factor: float = 0.5) -> Step:
    """The source's rule: last 30 days weight 1, the 30 before 0.5, then 0.25, ...

    Examples:
        >>> step()(45)
        0.5
    """
    return Step(window_days=window_days, factor=factor)


def _pair(values: Any, age_days: Any) -> tuple[FloatArray, FloatArray]:
    try:
        vals = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"values must be numbers, got {values!r}") from exc
    ages = np.asarray(age_days, dtype=np.float64)
    if vals.shape != ages.shape:
        raise InputError(f"values and age_days must have the same shape, got {vals.shape} and {ages.shape}")
    return vals, ages


def decayed_sum(values: Any, age_days: Any, decay: Decay) -> float:
    """Sum of ``values`` weighted by ``decay(age_days)``; NaN values are skipped.

    Examples:
        >>> decayed_sum([10, 10], [0, 30], step())
        15.0
    """
    vals, ages = _pair(values, age_days)
    weights = np.asarray(decay(ages), dtype=np.float64)
    seen = ~np.isnan(vals)
    return float(np.sum(weights[seen] * vals[seen]))


def decayed_mean(values: Any, age_days: Any, decay: Decay) -> float:
    """Weighted mean of ``values`` with weights ``decay(age_days)``.

    NaN values are skipped; with nothing left the result is NaN (missing), never 0.

    Examples:
        >>> decayed_mean([2, 30], [0, 30], step())  # last window 2 days, the one before 30
        11.333333333333334
    """
    vals, ages = _pair(values, age_days)
    weights = np.asarray(decay(ages), dtype=np.float64)
    seen = ~np.isnan(vals)
    total = float(np.sum(weights[seen]))
    if total == 0.0:
        return math.nan
    return float(np.sum(weights[seen] * vals[seen])) / total


def window_counts(event_ages: Any, window_days: float = 30.0, n_windows: int | None = None) -> FloatArray:
    """Count dated events per window of ``window_days`` (window 0 = most recent).

    ``event_ages`` are ages in days (>= 0) of events such as active days. The
    result has ``n_windows`` entries (default: enough to hold the oldest event).

    Examples:
        >>> window_counts([0, 1, 2, 31, 65], window_days=30).tolist()
        [3.0, 1.0, 1.0]
    """
    ages, _ = _ages(event_ages)
    ages = ages[~np.isnan(ages)].ravel()
    idx = np.floor(ages / float(window_days)).astype(np.intp)
    size = int(idx.max()) + 1 if idx.size else 0
    if n_windows is not None:
        if n_windows < 0:
            raise ValidationError("n_windows", "must be >= 0", n_windows)
        idx = idx[idx < n_windows]
        size = n_windows
    return np.bincount(idx, minlength=size).astype(np.float64)
