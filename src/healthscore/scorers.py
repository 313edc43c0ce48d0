"""Metric scorers: a raw signal value -> a 0..100 score.

A scorer is a small frozen object. Call it with a scalar and it returns a
``float``; call it with an array (NumPy or anything array-like) and it returns a
NumPy array; both paths give the same number. NaN, ``None`` (and ``""`` for
labels) mean *missing*: a scorer returns NaN for them unless its ``missing``
field names a score to use instead, and the model's missing-data policy decides
what a missing metric means for the account.

Kinds:

* :class:`Piecewise` -- linear between breakpoints, clamped outside them; monotone
  or not (ticket volume is bad both when very low and when very high).
* :class:`Steps` -- constant score between thresholds.
* :class:`Categories` -- a table from label to score.
* :class:`Boolean` -- one score for yes, one for no.

A numeric scorer (:class:`Piecewise`, :class:`Steps`) may carry a ``domain``,
the values its signal can take: ``(0, 1)`` for a share, ``(-100, 100)`` for
NPS, ``(0, inf)`` for a count. A value outside it, or an infinite one, is an
input error, never clamped: ``45`` given to a share meant 45 %, and scoring
it as 100 % would be silently wrong. Every factory below sets its signal's
domain; a scorer without one accepts any number.

Below them, one ready factory per signal of the specification, with the
source's numbers as defaults; every number can be overridden.

Examples:
    >>> from healthscore import scorers
    >>> curve = scorers.penetration()
    >>> curve(0.7)
    80.0
    >>> curve([0.3, 0.9, float("nan")]).tolist()
    [37.5, 95.0, nan]
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar, Literal, TypeAlias, overload

import attrs
import numpy as np

from healthscore.exceptions import InputError, UnknownCategoryError, ValidationError
from healthscore.typing import BoolArray, FloatArray, InputKind, Scorer

__all__ = [
    "Boolean",
    "BuiltinScorer",
    "Categories",
    "Domain",
    "OutOfRange",
    "Piecewise",
    "Points",
    "Steps",
    "UnknownLabels",
    "active_license_share",
    "budget_trend",
    "business_review_recency",
    "champion_advocacy",
    "contract_length",
    "csat",
    "deployment",
    "evaluate",
    "executive_engagement",
    "executive_meetings",
    "expansion_conversations",
    "feature_breadth",
    "feature_depth",
    "input_kind",
    "integrations",
    "is_missing",
    "key_features_used",
    "key_user_events",
    "latest_version",
    "login_frequency",
    "login_recency",
    "nps",
    "nps_response",
    "onboarding_completed",
    "operational_meetings",
    "outcome_achievement",
    "outcome_agreed",
    "payment_delay",
    "penetration",
    "power_users",
    "qbr_attendance",
    "response_time",
    "roi_multiple",
    "ticket_sentiment",
    "ticket_volume",
    "training_completion",
    "workflow_completion",
]

Points: TypeAlias = tuple[tuple[float, float], ...]
"""Breakpoints of a :class:`Piecewise` curve: ``((x0, score0), (x1, score1), ...)``."""

Domain: TypeAlias = tuple[float, float]
"""The values a numeric signal can take, ``(low, high)``, both included; an
end may be infinite (``(0, inf)`` for a count), a value never is."""

_FINITE_MAX = float(np.finfo(np.float64).max)

_TRUE_LABELS = ("true", "yes", "y", "t", "1", "1.0")
_FALSE_LABELS = ("false", "no", "n", "f", "0", "0.0")


# --------------------------------------------------------------------------- helpers


def _is_scalar(x: object) -> bool:
    return x is None or isinstance(x, (int, float, str, np.generic)) or (isinstance(x, np.ndarray) and x.ndim == 0)


def is_missing(x: object) -> bool:
    """Whether one raw value means *missing*: ``None``, NaN, or a blank string.

    Examples:
        >>> is_missing(None), is_missing(float("nan")), is_missing(" "), is_missing(0)
        (True, True, True, False)
    """
    if x is None:
        return True
    if isinstance(x, str):
        return x.strip() == ""
    if isinstance(x, (float, np.floating)):
        return bool(math.isnan(x))
    return False


def _check_score(field: str, value: float) -> float:
    value = float(value)
    if not (0.0 <= value <= 100.0):
        raise ValidationError(field, "must be a score in [0, 100]", value)
    return value


def _optional_float(value: Any) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError("missing", "must be a score in [0, 100] or None", value) from exc


def _check_missing(_inst: object, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None:
        _check_score(attribute.name, value)


def as_float_array(x: Any) -> FloatArray:
    """``x`` as float64; blanks and ``None`` become NaN, other text is an error
    naming its row."""
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        pass
    # Mixed content (blank strings, None, numbers as text): convert value by value
    # so that blanks become missing and the first bad value is named with its row.
    obj = np.asarray(x, dtype=object)
    out = np.empty(obj.shape, dtype=np.float64)
    flat = out.reshape(-1)
    for i, value in enumerate(obj.reshape(-1).tolist()):
        try:
            flat[i] = _as_float(value)
        except InputError as exc:
            raise InputError(f"row {i}: {exc}", row=i, value=value) from None
    return out


def _as_float(x: Any) -> float:
    if x is None or (isinstance(x, str) and not x.strip()):
        return math.nan
    try:
        return float(x)
    except (TypeError, ValueError) as exc:
        raise InputError(f"expected a number, got {x!r}", value=x) from exc


def _fill_missing(scores: FloatArray, missing: BoolArray, fill: float | None) -> FloatArray:
    scores[missing] = math.nan if fill is None else fill
    return scores


def _points(value: Iterable[Iterable[float]]) -> Points:
    try:
        pts = tuple((float(x), float(y)) for x, y in value)
    except (TypeError, ValueError) as exc:
        raise ValidationError("points", "must be a sequence of (x, score) pairs", value) from exc
    return pts


def _validate_points(_inst: object, _attribute: attrs.Attribute[Any], pts: Points) -> None:
    if len(pts) < 2:
        raise ValidationError("points", "must hold at least 2 breakpoints", pts)
    for i, (x, y) in enumerate(pts):
        if not math.isfinite(x):
            raise ValidationError(f"points[{i}].x", "must be finite", x)
        _check_score(f"points[{i}].score", y)
        if i and x <= pts[i - 1][0]:
            raise ValidationError(
                f"points[{i}].x",
                f"must be greater than the previous x ({pts[i - 1][0]!r})",
                x,
                "breakpoints are listed in increasing x; use Steps for a jump",
            )
        if i and not math.isfinite((y - pts[i - 1][1]) / (x - pts[i - 1][0])):
            raise ValidationError(
                f"points[{i}].x",
                f"is too close to the previous x ({pts[i - 1][0]!r}): the slope overflows",
                x,
                "use Steps for a jump",
            )


# --------------------------------------------------------------------------- domains


def _domain(value: Any) -> Domain | None:
    if value is None:
        return None
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError) as exc:
        raise ValidationError("domain", "must be a pair (low, high) or None", value) from exc
    return low, high


def _check_domain(_inst: object, _attribute: attrs.Attribute[Any], value: Domain | None) -> None:
    if value is None:
        return
    low, high = value
    if not low < high:  # also false for NaN
        raise ValidationError("domain", "must be (low, high) with low < high", value)


def domain_bounds(domain: Domain | None) -> Domain:
    """The finite bounds a value must lie within, both included: the domain's
    ends with infinite ones moved to the largest finite float (so that a test
    against them rejects infinity and lets NaN, *missing*, through)."""
    if domain is None:
        return -math.inf, math.inf
    return max(domain[0], -_FINITE_MAX), min(domain[1], _FINITE_MAX)


def domain_rule(domain: Domain) -> str:
    """The domain in words, as error messages and reports state the rule.

    Examples:
        >>> domain_rule((0.0, 1.0)), domain_rule((0.0, math.inf))
        ('must be a finite number in [0, 1]', 'must be a finite number >= 0')
    """
    low, high = domain
    if low == -math.inf and high == math.inf:
        return "must be a finite number"
    if high == math.inf:
        return f"must be a finite number >= {low:g}"
    if low == -math.inf:
        return f"must be a finite number <= {high:g}"
    return f"must be a finite number in [{low:g}, {high:g}]"


def _domain_hint(domain: Domain, value: float) -> str:
    if domain == (0.0, 1.0) and 1.0 < value <= 100.0:
        return f" (a share: {value:g} % is {value / 100:g})"
    return ""


def outside_error(domain: Domain, value: float, *, row: int | None = None) -> InputError:
    """The error for one value outside ``domain`` (``row``: where it was)."""
    where = "" if row is None else f"row {row}: "
    return InputError(
        f"{where}{value!r} is out of range: the value {domain_rule(domain)}{_domain_hint(domain, value)}",
        row=row,
        value=value,
    )


def outside_mask(bounds: Domain, x: Any) -> BoolArray | None:
    """Which values of the numeric array ``x`` fall outside ``bounds`` (see
    :func:`domain_bounds`); ``None`` when none does. NaN is missing, never
    outside. One pass for the minimum and maximum; the mask only when one of
    them is out of bounds."""
    low, high = bounds
    if x.size == 0 or (low == -math.inf and high == math.inf):
        return None
    if x.dtype.kind in "biu":
        if x.min() >= low and x.max() <= high:
            return None
        mask: BoolArray = (x < low) | (x > high)
        return mask
    with np.errstate(invalid="ignore"):
        seen_low, seen_high = np.fmin.reduce(x, axis=None), np.fmax.reduce(x, axis=None)
    if not (seen_low < low or seen_high > high):  # NaN when every value is missing
        return None
    mask = (x < low) | (x > high)
    return mask


@attrs.frozen(kw_only=True)
class OutOfRange:
    """The values of one column that fell outside its metric's domain, in a
    batch: they are scored as missing (never clamped) and reported here.

    Attributes:
        column: The metric (column) name.
        rule: The domain in words (``"must be a finite number in [0, 1]"``).
        count: How many values broke it.
        rows: Up to three zero-based rows that did, the first ones.
        values: The values in those rows.
    """

    column: str
    rule: str
    count: int
    rows: tuple[int, ...]
    values: tuple[float, ...]

    def __str__(self) -> str:
        shown = ", ".join(f"row {r}: {v!r}" for r, v in zip(self.rows, self.values, strict=True))
        more = ", ..." if self.count > len(self.rows) else ""
        return (
            f"column {self.column!r}: {self.count} value(s) out of range, scored as missing "
            f"(the value {self.rule}; {shown}{more})"
        )

    @classmethod
    def of(cls, column: str, domain: Domain, x: Any, mask: BoolArray) -> OutOfRange:
        """The report of ``mask`` (the values of ``x`` outside ``domain``)."""
        rows = np.flatnonzero(mask)
        first = rows[:3]
        return cls(
            column=column,
            rule=domain_rule(domain),
            count=int(rows.size),
            rows=tuple(int(r) for r in first),
            values=tuple(float(v) for v in np.asarray(x)[first]),
        )

    def shifted(self, rows: Any) -> OutOfRange:
        """The same report with its rows mapped through ``rows`` (a subset's
        row -> the whole input's row)."""
        return attrs.evolve(self, rows=tuple(int(rows[r]) for r in self.rows))

    def merged(self, other: OutOfRange) -> OutOfRange:
        """One report for the same column from two parts of the input."""
        pairs = sorted(zip(self.rows + other.rows, self.values + other.values, strict=True))[:3]
        return attrs.evolve(
            self,
            count=self.count + other.count,
            rows=tuple(r for r, _ in pairs),
            values=tuple(v for _, v in pairs),
        )


# --------------------------------------------------------------------------- kinds


class CurveScratch:
    """Reusable scratch arrays for :meth:`Curve.into` (one set per thread)."""

    __slots__ = ("t", "x")

    def __init__(self, size: int, dtype: Any = np.float64, *, x: Any = None, t: Any = None) -> None:
        self.x = np.empty(size, dtype) if x is None else x
        self.t = np.empty(size, dtype) if t is None else t


def _exact_steps(ys: tuple[float, ...]) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Increments ``d_j`` and running sums ``P_j`` (``P_0 = y_0``,
    ``P_j+1 = P_j + d_j`` in floating point) chosen so that every running sum
    lands on the next score, ``P_j == y_j``, whenever floating point allows it
    (it does for integer, half, quarter ... scores); otherwise on the closest
    sum that does not overshoot the score."""
    deltas: list[float] = []
    prefix = [ys[0]]
    for target in ys[1:]:
        start = prefix[-1]
        rising = target >= start
        delta = target - start
        best: float | None = None
        for _ in range(64):  # a few units in the last place at most
            reached = start + delta
            if reached == target:
                best = delta
                break
            if (reached < target) == rising and (best is None or abs(target - reached) < abs(target - start - best)):
                best = delta
            delta = math.nextafter(delta, math.inf if reached < target else -math.inf)
        chosen = 0.0 if best is None else best
        deltas.append(chosen)
        prefix.append(start + chosen)
    return tuple(deltas), tuple(prefix)


def _ramp_slope(width: float, delta: float) -> float:
    """A slope whose ramp reaches ``delta`` over ``width`` in floating point
    (moved away from zero by units in the last place if rounding falls short)."""
    slope = delta / width
    while abs(slope * width) < abs(delta):
        slope = math.nextafter(slope, math.copysign(math.inf, slope))
    return slope


@attrs.frozen
class Curve:
    """A piecewise-linear curve as its first score plus one clamped ramp per
    segment, and its two evaluation paths.

    ``f(x) = y_0 + sum_j clamp(slope_j * max(x - x_j, 0), d_j)``, where the
    ramp of segment ``j`` rises (or falls) by ``d_j`` between ``x_j`` and
    ``x_j+1`` and stays there. The increments are fitted so that the running
    sums are exactly the breakpoints' scores and the slopes so that each ramp
    reaches its increment exactly at the next breakpoint; hence ``f`` is
    ``y_j`` at breakpoint ``j`` (exactly, for scores such as integers or halves;
    within a unit in the last place otherwise), never leaves the range of the
    scores it lies between, and is as monotone as the breakpoints. Below the
    first breakpoint it is ``y_0``, from the last on (about) ``y_last``.

    :meth:`into` evaluates an array with a handful of arithmetic passes per
    segment and no lookups or masks; :meth:`one` evaluates a float with the same
    operations in the same order, so both give the same number, bit for bit.
    """

    xs: tuple[float, ...]
    ys: tuple[float, ...]
    deltas: tuple[float, ...]
    prefix: tuple[float, ...]
    slopes: tuple[float, ...]
    active: tuple[int, ...]

    @classmethod
    def build(cls, points: Points) -> Curve:
        """The ramps of validated breakpoints."""
        xs = tuple(p[0] for p in points)
        ys = tuple(p[1] for p in points)
        deltas, prefix = _exact_steps(ys)
        slopes = tuple(_ramp_slope(xs[j + 1] - xs[j], deltas[j]) for j in range(len(deltas)))
        active = tuple(j for j, d in enumerate(deltas) if d != 0.0)
        return cls(xs, ys, deltas, prefix, slopes, active)

    def one(self, x: float) -> float:
        """Value at one non-NaN float."""
        xs = self.xs
        if x <= xs[0]:
            return self.prefix[0]
        if x >= xs[-1]:
            return self.prefix[-1]
        j = bisect.bisect_right(xs, x) - 1
        if self.deltas[j] == 0.0:
            return self.prefix[j]
        ramp = self.slopes[j] * (x - xs[j])
        delta = self.deltas[j]
        if delta > 0.0:
            ramp = delta if ramp > delta else ramp
        else:
            ramp = delta if ramp < delta else ramp
        return self.prefix[j] + ramp

    def into(
        self, x: Any, out: Any, scratch: CurveScratch, *, nan_to: Literal["first", "last"] | None = "first"
    ) -> None:
        """Values at every element of ``x``, written to ``out``.

        Each ramp is ``clip(slope_j * (x - x_j), 0, d_j)`` (``d_j, 0`` for a
        falling one): below ``x_j`` the product has the wrong sign and clips to
        0, so no ramp needs ``x`` clamped first. A NaN element scores the first
        breakpoint's score with ``nan_to="first"``, the last one's with
        ``"last"`` (the caller masks missing values); ``None`` promises ``x`` has
        no NaN and saves a pass. A huge ``x`` can overflow a ramp to infinity
        before its clip: run under ``np.errstate(over="ignore")``."""
        m = x.shape[0]
        if not self.active:
            out.fill(self.prefix[0])
            return
        t = scratch.t[:m]
        xc = x
        if nan_to == "first":
            xc = np.fmax(x, self.xs[0], out=scratch.x[:m], casting="same_kind")
        elif nan_to == "last":
            xc = np.fmin(x, self.xs[-1], out=scratch.x[:m], casting="same_kind")
        for n, j in enumerate(self.active):
            np.subtract(xc, self.xs[j], out=t, casting="same_kind")
            np.multiply(t, self.slopes[j], out=t)
            np.clip(t, min(self.deltas[j], 0.0), max(self.deltas[j], 0.0), out=t)
            np.add(out if n else self.prefix[0], t, out=out)

    def missing_to_zero(self) -> Literal["first", "last"] | None:
        """Where to send NaN in :meth:`into` so that it scores exactly 0, if an
        end of the curve scores 0."""
        if self.prefix[0] == 0.0:
            return "first"
        if self.prefix[-1] == 0.0:
            return "last"
        return None


@attrs.frozen(kw_only=True)
class Piecewise:
    """Linear interpolation through breakpoints, clamped outside them.

    Args:
        points: ``(x, score)`` pairs with strictly increasing ``x`` and scores in
            [0, 100]. Below the first ``x`` the first score holds, above the last
            ``x`` the last one.
        missing: Score for a missing value; ``None`` (the default) returns NaN so
            the model's missing-data policy decides.
        domain: The values the signal can take, ``(low, high)``; a value
            outside it or an infinite one is an :class:`InputError` (a batch
            reports it and scores it as missing). ``None`` accepts any number.

    Examples:
        >>> ticket_volume = Piecewise(points=[(0, 40), (2, 90), (6, 90), (25, 25)])
        >>> ticket_volume(1), ticket_volume(4), ticket_volume(100)
        (65.0, 90.0, 25.0)
        >>> ticket_volume.direction
        'peaked'
    """

    input_kind: ClassVar[InputKind] = "numeric"

    points: Points = attrs.field(converter=_points, validator=_validate_points)
    missing: float | None = attrs.field(default=None, converter=_optional_float, validator=_check_missing)
    domain: Domain | None = attrs.field(default=None, converter=_domain, validator=_check_domain)
    _curve: Curve = attrs.field(init=False, repr=False, eq=False)
    _bounds: Domain = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_curve", Curve.build(self.points))
        object.__setattr__(self, "_bounds", domain_bounds(self.domain))

    @property
    def bounds(self) -> Domain:
        """The finite bounds a value must lie within (see :func:`domain_bounds`)."""
        return self._bounds

    @property
    def curve(self) -> Curve:
        """The lookup tables both evaluation paths use."""
        return self._curve

    @property
    def direction(self) -> Literal["increasing", "decreasing", "flat", "peaked", "mixed"]:
        """Shape of the curve: monotone up or down, flat, one peak, or other."""
        diffs = [b - a for a, b in itertools.pairwise(self._curve.ys)]
        ups = any(d > 0 for d in diffs)
        downs = any(d < 0 for d in diffs)
        if not ups and not downs:
            return "flat"
        if not downs:
            return "increasing"
        if not ups:
            return "decreasing"
        signs = [d > 0 for d in diffs if d != 0]
        changes = sum(1 for a, b in itertools.pairwise(signs) if a != b)
        return "peaked" if changes == 1 and signs[0] else "mixed"

    @property
    def span(self) -> tuple[float, float]:
        """The x range the breakpoints span."""
        return self._curve.xs[0], self._curve.xs[-1]

    @overload
    def __call__(self, x: float | None) -> float: ...
    @overload
    def __call__(self, x: Any) -> Any: ...
    def __call__(self, x: Any) -> Any:
        """Score ``x`` (scalar -> float, array-like -> float64 array)."""
        if _is_scalar(x):
            return self.score_one(_as_float(x))
        return self.score_many(as_float_array(x))

    def score_one(self, x: float) -> float:
        """Score one float (the scalar path)."""
        if x != x:  # NaN
            return math.nan if self.missing is None else self.missing
        low, high = self._bounds
        if not low <= x <= high:
            raise outside_error(self.domain or (-math.inf, math.inf), x)
        return self._curve.one(x)

    def score_many(self, x: FloatArray) -> FloatArray:
        """Score a float64 array (the array path; same numbers as :meth:`score_one`)."""
        flat = x.reshape(-1)
        _reject_outside(self.domain, self._bounds, flat)
        out = np.empty(flat.shape, dtype=np.float64)
        with np.errstate(over="ignore"):  # a huge x overflows a ramp, which is clamped right after
            self._curve.into(flat, out, CurveScratch(flat.shape[0]))
        out[np.isnan(flat)] = math.nan if self.missing is None else self.missing
        return out.reshape(x.shape)

    def with_missing(self, score: float | None) -> Piecewise:
        """A copy that gives ``score`` to missing values."""
        return attrs.evolve(self, missing=score)


def _reject_outside(domain: Domain | None, bounds: Domain, flat: Any) -> None:
    """Raise for the first value of ``flat`` outside ``domain``, naming its row."""
    if domain is None:
        return
    mask = outside_mask(bounds, flat)
    if mask is not None:
        row = int(np.argmax(mask))
        raise outside_error(domain, float(flat[row]), row=row)


def _floats(value: Iterable[float]) -> tuple[float, ...]:
    return tuple(float(v) for v in value)


@attrs.frozen(kw_only=True)
class Steps:
    """Constant scores between thresholds.

    ``scores[0]`` applies below ``edges[0]``, ``scores[i]`` from ``edges[i - 1]``
    (inclusive) up to ``edges[i]`` (exclusive), and ``scores[-1]`` from the last
    edge up.

    Examples:
        >>> contract = Steps(edges=[3, 12, 24], scores=[20, 50, 80, 100])
        >>> contract(1), contract(12), contract(36)
        (20.0, 80.0, 100.0)
    """

    input_kind: ClassVar[InputKind] = "numeric"

    edges: tuple[float, ...] = attrs.field(converter=_floats)
    scores: tuple[float, ...] = attrs.field(converter=_floats)
    missing: float | None = attrs.field(default=None, converter=_optional_float, validator=_check_missing)
    domain: Domain | None = attrs.field(default=None, converter=_domain, validator=_check_domain)
    _edge_array: FloatArray = attrs.field(init=False, repr=False, eq=False)
    _score_array: FloatArray = attrs.field(init=False, repr=False, eq=False)
    _bounds: Domain = attrs.field(init=False, repr=False, eq=False)

    @edges.validator
    def _check_edges(self, _attribute: attrs.Attribute[Any], edges: tuple[float, ...]) -> None:
        if not edges:
            raise ValidationError("edges", "must hold at least one threshold", edges)
        for i, e in enumerate(edges):
            if not math.isfinite(e):
                raise ValidationError(f"edges[{i}]", "must be finite", e)
            if i and e <= edges[i - 1]:
                raise ValidationError(f"edges[{i}]", f"must be greater than {edges[i - 1]!r}", e)

    @scores.validator
    def _check_scores(self, _attribute: attrs.Attribute[Any], scores: tuple[float, ...]) -> None:
        if len(scores) != len(self.edges) + 1:
            raise ValidationError(
                "scores",
                f"must hold one more value than edges ({len(self.edges) + 1})",
                scores,
            )
        for i, s in enumerate(scores):
            _check_score(f"scores[{i}]", s)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_edge_array", np.array(self.edges, dtype=np.float64))
        object.__setattr__(self, "_score_array", np.array(self.scores, dtype=np.float64))
        object.__setattr__(self, "_bounds", domain_bounds(self.domain))

    @property
    def bounds(self) -> Domain:
        """The finite bounds a value must lie within (see :func:`domain_bounds`)."""
        return self._bounds

    @classmethod
    def from_bands(cls, bands: Sequence[tuple[float, float]], *, missing: float | None = None) -> Steps:
        """Build from ``(lower_bound, score)`` pairs, the lowest bound first.

        Values below the first bound get the first score.

        Examples:
            >>> Steps.from_bands([(0, 10), (1, 60), (3, 100)])(2)
            60.0
        """
        if len(bands) < 2:
            raise ValidationError("bands", "must hold at least two (lower_bound, score) pairs", bands)
        return cls(edges=[b[0] for b in bands[1:]], scores=[b[1] for b in bands], missing=missing)

    @overload
    def __call__(self, x: float | None) -> float: ...
    @overload
    def __call__(self, x: Any) -> Any: ...
    def __call__(self, x: Any) -> Any:
        """Score ``x`` (scalar -> float, array-like -> float64 array)."""
        if _is_scalar(x):
            v = _as_float(x)
            if v != v:
                return math.nan if self.missing is None else self.missing
            if not self._bounds[0] <= v <= self._bounds[1]:
                raise outside_error(self.domain or (-math.inf, math.inf), v)
            return self.scores[bisect.bisect_right(self.edges, v)]
        arr = as_float_array(x)
        _reject_outside(self.domain, self._bounds, arr.reshape(-1))
        out: FloatArray = self._score_array[np.searchsorted(self._edge_array, arr, side="right")]
        return _fill_missing(out, np.isnan(arr), self.missing)


def _normalise_label(label: object) -> str:
    return str(label).strip().casefold()


def _table(value: Mapping[str, float] | Iterable[tuple[str, float]]) -> tuple[tuple[str, float], ...]:
    items = value.items() if isinstance(value, Mapping) else value
    try:
        return tuple((str(k), float(v)) for k, v in items)
    except (TypeError, ValueError) as exc:
        raise ValidationError("table", "must map category labels to scores", value) from exc


def _label_array(x: Any) -> tuple[Any, BoolArray]:
    """Labels as an array plus the mask of missing ones (None, NaN, blank)."""
    # A list like ["annual", nan] would become the text "nan" as a str array.
    arr = x if isinstance(x, np.ndarray) else np.asarray(x, dtype=object)
    if arr.dtype.kind in "US":
        stripped = np.char.strip(arr.astype(np.str_))
        return stripped, stripped == ""
    if arr.dtype.kind in "fc":
        return arr, np.isnan(arr)
    if arr.dtype.kind in "biu":
        return arr, np.zeros(arr.shape, dtype=np.bool_)
    values = arr.astype(object).reshape(-1).tolist()
    missing = np.fromiter((is_missing(v) for v in values), dtype=np.bool_, count=len(values))
    # Labels as text, so that mixed content (True, "no", 1) compares and sorts.
    labels = np.array(["" if m else str(v) for v, m in zip(values, missing, strict=True)], dtype=np.str_)
    return labels.reshape(arr.shape), missing.reshape(arr.shape)


@attrs.frozen(kw_only=True)
class UnknownLabels:
    """The labels of one column that a category table does not hold, which
    took the table's ``unknown`` score: said, not silent.

    Attributes:
        column: The metric (column) name.
        score: The score they took (the table's ``unknown``).
        count: How many values were not in the table.
        rows: Up to three zero-based rows that held one, the first ones.
        labels: The labels in those rows.
    """

    column: str
    score: float
    count: int
    rows: tuple[int, ...]
    labels: tuple[str, ...]

    def __str__(self) -> str:
        shown = ", ".join(f"row {r}: {v!r}" for r, v in zip(self.rows, self.labels, strict=True))
        more = ", ..." if self.count > len(self.rows) else ""
        return (
            f"column {self.column!r}: {self.count} value(s) not in the category table, scored {self.score:g} "
            f"(the unknown score; {shown}{more})"
        )


@attrs.frozen(kw_only=True)
class Categories:
    """A table from category label to score.

    Labels match case-insensitively, ignoring surrounding blanks. A label not in
    the table is an error that lists the allowed ones (or, with ``unknown`` set,
    gets that score).

    Examples:
        >>> budget = Categories(table={"growing": 95, "stable": 70, "shrinking": 20})
        >>> budget("Growing")
        95.0
        >>> budget(["stable", None]).tolist()
        [70.0, nan]
    """

    input_kind: ClassVar[InputKind] = "category"

    table: tuple[tuple[str, float], ...] = attrs.field(converter=_table)
    missing: float | None = attrs.field(default=None, converter=_optional_float, validator=_check_missing)
    unknown: float | None = attrs.field(default=None, converter=_optional_float, validator=_check_missing)
    _lookup: dict[str, float] = attrs.field(init=False, repr=False, eq=False)

    @table.validator
    def _check_table(self, _attribute: attrs.Attribute[Any], table: tuple[tuple[str, float], ...]) -> None:
        if not table:
            raise ValidationError("table", "must hold at least one category", table)
        seen: set[str] = set()
        for label, score in table:
            key = _normalise_label(label)
            if not key:
                raise ValidationError("table", "must not hold a blank label", label)
            if key in seen:
                raise ValidationError("table", "must not repeat a label (case-insensitively)", label)
            seen.add(key)
            _check_score(f"table[{label!r}]", score)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_lookup", {_normalise_label(k): v for k, v in self.table})

    @property
    def labels(self) -> tuple[str, ...]:
        """The allowed labels, in table order."""
        return tuple(k for k, _ in self.table)

    def unknown_labels(self, column: str, x: Any) -> UnknownLabels | None:
        """The report of the labels of ``x`` (one label or an array) that are
        not in the table and so took the ``unknown`` score; ``None`` when there
        is none or ``unknown`` is not set (an unknown label is then an error).

        Examples:
            >>> plan = Categories(table={"basic": 40, "pro": 80}, unknown=50)
            >>> report = plan.unknown_labels("plan", ["pro", "Platinum", None, "gold"])
            >>> report.count, report.rows, report.labels
            (2, (1, 3), ('Platinum', 'gold'))
        """
        if self.unknown is None:
            return None
        if _is_scalar(x):
            if is_missing(x) or _normalise_label(x) in self._lookup:
                return None
            return UnknownLabels(column=column, score=self.unknown, count=1, rows=(0,), labels=(str(x),))
        labels, missing = _label_array(x)
        flat, absent = labels.reshape(-1), missing.reshape(-1)
        uniques, inverse = np.unique(flat[~absent], return_inverse=True)
        known = np.array([_normalise_label(u) in self._lookup for u in uniques.tolist()], dtype=np.bool_)
        if known.all():
            return None
        rows = np.flatnonzero(~absent)[~known[inverse.reshape(-1)]]
        return UnknownLabels(
            column=column,
            score=self.unknown,
            count=int(rows.size),
            rows=tuple(int(r) for r in rows[:3]),
            labels=tuple(str(flat[r]) for r in rows[:3]),
        )

    def _score_label(self, label: object) -> float:
        score = self._lookup.get(_normalise_label(label))
        if score is not None:
            return score
        if self.unknown is not None:
            return self.unknown
        allowed = ", ".join(repr(k) for k in self.labels)
        raise UnknownCategoryError(f"unknown category {label!r}; allowed: {allowed}", value=label)

    @overload
    def __call__(self, x: str | float | None) -> float: ...
    @overload
    def __call__(self, x: Any) -> Any: ...
    def __call__(self, x: Any) -> Any:
        """Score one label (-> float) or many (-> float64 array)."""
        if _is_scalar(x):
            if is_missing(x):
                return math.nan if self.missing is None else self.missing
            return self._score_label(x)
        labels, missing = _label_array(x)
        out = np.empty(labels.shape, dtype=np.float64)
        present = ~missing
        if present.any():
            uniques, inverse = np.unique(labels[present], return_inverse=True)
            scores = np.array([self._score_label(u) for u in uniques.tolist()], dtype=np.float64)
            out[present] = scores[inverse.reshape(-1)]
        return _fill_missing(out, missing, self.missing)


@attrs.frozen(kw_only=True)
class Boolean:
    """One score for yes, another for no.

    Accepts ``True``/``False``, 1/0, and the labels true/false, yes/no, y/n, t/f
    (any case).

    Examples:
        >>> onboarded = Boolean(true_score=100, false_score=20)
        >>> onboarded(True), onboarded("no"), onboarded(0)
        (100.0, 20.0, 20.0)
    """

    input_kind: ClassVar[InputKind] = "boolean"

    true_score: float = attrs.field(default=100.0, converter=float)
    false_score: float = attrs.field(default=0.0, converter=float)
    missing: float | None = attrs.field(default=None, converter=_optional_float, validator=_check_missing)
    _categories: Categories = attrs.field(init=False, repr=False, eq=False)

    @true_score.validator
    @false_score.validator
    def _check(self, attribute: attrs.Attribute[Any], value: float) -> None:
        _check_score(attribute.name, value)

    def __attrs_post_init__(self) -> None:
        table = [(t, self.true_score) for t in _TRUE_LABELS]
        table += [(f, self.false_score) for f in _FALSE_LABELS]
        object.__setattr__(self, "_categories", Categories(table=table, missing=self.missing))

    @overload
    def __call__(self, x: bool | str | float | None) -> float: ...
    @overload
    def __call__(self, x: Any) -> Any: ...
    def __call__(self, x: Any) -> Any:
        """Score one yes/no value (-> float) or many (-> float64 array)."""
        if isinstance(x, (bool, np.bool_)):
            return self.true_score if x else self.false_score
        # A list like ["yes", nan] would become the text "nan" as a str array.
        arr = x if _is_scalar(x) or isinstance(x, np.ndarray) else np.asarray(x, dtype=object)
        if (
            isinstance(arr, np.ndarray)
            and arr.dtype == object
            and all(isinstance(v, (bool, np.bool_)) for v in arr.flat)
        ):
            arr = arr.astype(np.bool_)
        if isinstance(arr, np.ndarray) and arr.dtype.kind == "b":
            return np.where(arr, self.true_score, self.false_score)
        try:
            return self._categories(arr)
        except UnknownCategoryError as exc:
            raise UnknownCategoryError(
                f"expected a yes/no value (true/false, yes/no, 1/0), got {exc.value!r}", value=exc.value
            ) from None


BuiltinScorer: TypeAlias = Piecewise | Steps | Categories | Boolean
"""The scorer kinds healthscore can save to and load from configuration files."""

_BUILTIN = (Piecewise, Steps, Categories, Boolean)


def input_kind(scorer: Scorer) -> InputKind:
    """What ``scorer`` reads: ``"numeric"`` (the default for plain functions),
    ``"category"`` or ``"boolean"``.

    Examples:
        >>> input_kind(executive_engagement())
        'category'
    """
    kind = getattr(scorer, "input_kind", "numeric")
    if kind == "category":
        return "category"
    return "boolean" if kind == "boolean" else "numeric"


def evaluate(scorer: Scorer, x: Any) -> Any:
    """Run ``scorer`` on ``x`` and keep the result in [0, 100].

    Built-in scorers are in range by construction; anything else (a plain
    function) is clipped here, the one place where clipping happens. NaN stays
    NaN: it means missing.

    Examples:
        >>> evaluate(lambda x: x * 2, 80.0)
        100.0
    """
    out = scorer(x)
    if isinstance(scorer, _BUILTIN):
        return out
    if isinstance(out, np.ndarray) or not _is_scalar(out):
        return np.clip(np.asarray(out, dtype=np.float64), 0.0, 100.0)
    value = float(out)
    return value if value != value else min(100.0, max(0.0, value))


# --------------------------------------------------------------------------- factories
# Each numeric factory's ``domain`` is its signal's range: shares [0, 1], NPS
# [-100, 100], CSAT [1, 5], sentiment [-1, 1], counts, days and hours >= 0.
# Pass ``domain=None`` to accept any number (values beyond the breakpoints then
# take the end scores).

# Product


def login_frequency(
    points: Iterable[tuple[float, float]] = ((0, 0), (1, 35), (2, 55), (4, 75), (12, 85), (20, 92), (30, 100)),
    *,
    missing: float | None = None,
    domain: Domain | None = (0.0, math.inf),
) -> Piecewise:
    """Login frequency. Input: active days in a 30-day window (0..30).

    Seed rule: daily use 90-100, weekly 70-89, every two weeks 50-69, monthly
    30-49, inactive 0-29. So 20+ days -> 92..100, 4 -> 75, 2 -> 55, 1 -> 35,
    0 -> 0.

    Examples:
        >>> [login_frequency()(d) for d in (0, 1, 2, 4, 20)]
        [0.0, 35.0, 55.0, 75.0, 92.0]
    """
    return Piecewise(points=points, missing=missing, domain=domain)


def login_recency(
    points: Iterable[tuple[float, float]] = (
        (0, 100),
        (2, 95),
        (7, 80),
        (14, 60),
        (21, 40),
        (30, 25),
        (60, 5),
        (90, 0),
    ),
    *,
    missing: float | None = None,
    domain: Domain | None = (0.0, math.inf),
) -> Piecewise:
    """Login recency. Input: days since the last login by anyone in the account.

    Seed rule: weeks without a login pull the score down regardless of history
    (daily last month but three weeks absent = falling): 7 days -> 80, 14 -> 60,
    21 -> 40, 30 -> 25, 90+ -> 0.

    Examples:
        >>> login_recency()(21)
        40.0
    """
    return Piecewise(points=points, missing=missing, domain=domain)


def feature_breadth(
    points: Iterable[tuple[float, float]] = ((0, 0), (0.15, 30), (0.5, 70), (0.75, 90), (1, 100)),
    *,
    missing: float | None = None,
    domain: Domain | None = (0.0, 1.0),
) -> Piecewise:
    """Feature adoption breadth. Input: features used / features available (0..1).

    Seed rule: 3 of 20 (0.15) is poor -> 30; 15 of 20 (0.75) is strong -> 90.

    Examples:
        >>> feature_breadth()(3 / 20), feature_breadth()(15 / 20)
        (30.0, 90.0)
    """
    return Piecewise(points=points, missing=missing, domain=domain)


def feature_depth(
    points: Iterable[tuple[float, float]] = ((0, 0), (0.05, 30), (0.15, 65), (0.3, 85), (0.5, 100)),
    *,
    missing: float | None = None,
    domain: Domain | None = (0.0, 1.0),
) -> Piecewise:
    """Feature adoption depth. Input: share of the account's activity on advanced
    features (custom reports, complex filters, automation), 0..1.

    Seed rule: basic use is shallow, advanced use is deep, and a balanced mix
    (10+ features at medium depth) beats narrow-deep use. The curve saturates at
    medium depth (0.3 -> 85) so depth alone cannot outweigh breadth.

    Examples:
        >>> feature_depth()(0.0), feature_depth()(0.3)
        (0.0, 85.0)
    """
    return Piecewise(points=points, missing=missing, domain=domain)


def penetration(
    points: Iterable[tuple[float, float]] = ((0, 0), (0.4, 50), (0.6, 70), (0.8, 90), (1, 100)),
    *,
    missing: float | None = None,
    domain: Domain | None = (0.0, 1.0),
) -> Piecewise:
    """Active-user penetration. Input: active users / purchased seats, a share
    in [0, 1] (45 % is ``0.45``; ``45`` is out of range).

    Seed rule: >= 80% -> 90-100, 60-80% -> 70-89, 40-60% -> 50-69, < 40% -> 0-49
    (18 of 20 seats = 90% excellent, 8 of 20 = 40% low).

    Examples:
        >>> [penetration()(p) for p in (0.9, 0.8, 0.7, 0.5, 0.3)]
        [95.0, 90.0, 80.0, 60.0, 37.5]
    """
    return Piecewise(points=points, missing=missing, domain=domain)


def workflow_completion(
    points: Iterable[tuple[float, float]] = ((0, 0), (0.5, 50), (0.9, 90), (1, 100)),
    *,
    missing: float | None = None,
    domain: Domain | None = (0.0, 1.0),
) -> Piecewise:
    """Workflow completion rate. Input: key workflows completed / started (0..1).

    Seed rule: the share of key workflows completed; the score is that share in
    points.

    Examples:
        >>> workflow_completion()(0.75)
        75.0
    """
    return Piecewise(points=points, missing=missing, domain=domain)


def integrations(
    points: Iterable[tuple[float, float]] = ((0, 20), (1, 60), (2, 80), (3, 95), (5, 100)),
    *,
    missing: float | None = None,
    domain: Domain | None = (0.0, math.inf),
) -> Piecewise:
    """Integration usage. Input: number of integrations in use (CRM, warehouse,
    chat, ...).

    Seed rule: more integrations = stickier; none -> 20, three -> 95.

    Examples:
        >>> integrations()(0), integrations()(3)
        (20.0, 95.0)
    """
    return Piecewise(points=points, missing=missing, domain=domain)


def power_users(
    points: Iterable[tuple[float, float]] = ((0, 10), (1, 55), (2, 75), (3, 90), (5, 100)),
    *,
    missing: float | None = None,
    domain: Domain | None = (0.0, math.inf),
) -> Piecewise:
    """Power users. Input: number of power users in the account.

    Seed rule: accounts with 3+ power users rarely churn (3 -> 90); none means
    the account is struggling (0 -> 10).

    Examples:
        >>> power_users()(0), power_users()(3)
        (10.0, 90.0)
    """
    return Piecewise(points=points, missing=missing, domain=domain)


# Relationship


def executive_engagement(
    table: Mapping[str, float] | None = None,
    *,
    missing: float | None = None,
) -> Categories:
    """Executive sponsor engagement. Input: one of ``"quarterly"``, ``"annual"``,
    ``"aware"``, ``"none"``.

    Seed rule: active sponsor joining quarterly 90-100, yearly 70-89, aware but
    minimal involvement 50-69, no sponsor 0-49.

    Examples:
        >>> [executive_engagement()(c) for c in ("quarterly", "annual", "aware", "none")]
        [95.0, 80.0, 60.0, 20.0]
    """
    default = {"quarterly": 95.0, "annual": 80.0, "aware": 60.0, "none": 20.0}
    return Categories(table=default if table is None else table, missing=missing)


def qbr_attendance(
    points: Iterable[tuple[float, float]] = ((0, 0), (0.5, 60), (1, 100)),
    *,
    missing: float | None = None,
    domain: Domain | None = (0.0, 1.0),
) -> Piecewise:
    """Business review (QBR) participation. Input: share of scheduled QBRs the
    customer attended, 0..1 (a cancelled QBR counts as not attended).

    Seed rule: attending consistently = invested; cancelling or ignoring =
    disengaging.

    Examples:
        >>> qbr_attendance()(1.0), qbr_attendance()(0.5)
        (100.0, 60.0)
    """
    return Piecewise(points=points, missing=missing, domain=domain)


def ticket_volume(
    points: Iterable[tuple[float, float]] = ((0, 40), (1, 70), (2, 90), (6, 90), (12, 60), (25, 25), (50, 0)),
    *,
    missing: float | None = None,
    domain: Domain | None = (0.0, math.inf),
) -> Piecewise:
    """Support ticket volume. Input: tickets opened per 30 days (averaged over the
    recent window). Not monotone.

    Seed rule: moderate volume is healthy; very low volume may mean under-use
    (0 -> 40); high volume signals frustration (25 -> 25). Scale the x values to
    your account sizes.

    Examples:
        >>> ticket_volume()(0), ticket_volume()(4), ticket_volume()(25)
        (40.0, 90.0, 25.0)
    """
    return Piecewise(points=points, missing=missing, domain=domain)


def ticket_sentiment(
    points: Iterable[tuple[float, float]] = ((-1, 0), (-0.3, 30), (0, 60), (0.3, 85), (1, 100)),
    *,
    missing: float | None = None,
    domain: Domain | None = (-1.0, 1.0),
) -> Piecewise:
    """Support ticket sentiment. Input: mean sentiment of recent ticket text,
    -1 (negative) .. 1 (positive).

    Seed rule: positive sentiment with moderate volume is healthy; negative
    sentiment signals frustration.

    Examples:
        >>> ticket_sentiment()(0.0)
        60.0
    """
    return Piecewise(points=points, missing=missing, domain=domain)


def nps(
    points: Iterable[tuple[float, float]] = ((-100, 0), (-30, 25), (0, 50), (30, 75), (70, 95), (100, 100)),
    *,
    missing: float | None = None,
    domain: Domain | None = (-100.0, 100.0),
) -> Piecewise:
    """Net Promoter Score of the account. Input: % promoters (9-10) minus %
    detractors (0-6) among recent answers, -100..100.

    Seed rule: promoters (9-10) are strong, detractors (0-6) unhappy.

    Examples:
        >>> nps()(-100), nps()(0), nps()(100)
        (0.0, 50.0, 100.0)
    """
    return Piecewise(points=points, missing=missing, domain=domain)


def nps_response(
    points: Iterable[tuple[float, float]] = ((0, 0), (6, 40), (8, 75), (10, 100)),
    *,
    missing: float | None = None,
    domain: Domain | None = (0.0, 10.0),
) -> Piecewise:
    """One NPS answer. Input: the 0..10 likelihood-to-recommend answer.

    Seed rule: 9-10 promoter (strong), 0-6 detractor (unhappy, <= 40).

    Examples:
        >>> nps_response()(6), nps_response()(9)
        (40.0, 87.5)
    """
    return Piecewise(points=points, missing=missing, domain=domain)


def csat(
    points: Iterable[tuple[float, float]] = ((1, 0), (2, 30), (3, 60), (4, 80), (5, 100)),
    *,
    missing: float | None = None,
    domain: Domain | None = (1.0, 5.0),
) -> Piecewise:
    """Customer satisfaction. Input: mean CSAT on the 1..5 scale.

    Seed rule: below 3/5 signals a relationship problem (< 60).

    Examples:
        >>> csat()(2.9) < 60 <= csat()(3)
        True
    """
    return Piecewise(points=points, missing=missing, domain=domain)


def response_time(
    points: Iterable[tuple[float, float]] = (
        (0, 100),
        (24, 85),
        (72, 65),
        (168, 45),
        (336, 25),
        (720, 0),
    ),
    *,
    missing: float | None = None,
    domain: Domain | None = (0.0, math.inf),
) -> Piecewise:
    """Outreach response time. Input: median hours between our email and the
    customer's reply.

    Seed rule: replies within 24 h = engaged (>= 85); weeks or never =
    disengaged (two weeks -> 25, a month -> 0).

    Examples:
        >>> response_time()(24), response_time()(336)
        (85.0, 25.0)
    """
    return Piecewise(points=points, missing=missing, domain=domain)


def champion_advocacy(
    points: Iterable[tuple[float, float]] = ((0, 20), (1, 60), (2, 80), (4, 100)),
    *,
    missing: float | None = None,
    domain: Domain | None = (0.0, math.inf),
) -> Piecewise:
    """Champion advocacy. Input: advocacy acts in the last 12 months
    (references, case studies, talks, peer referrals).

    Seed rule: champions who advocate are a strong sign of health.

    Examples:
        >>> champion_advocacy()(0), champion_advocacy()(2)
        (20.0, 80.0)
    """
    return Piecewise(points=points, missing=missing, domain=domain)


# Business


def outcome_achievement(
    points: Iterable[tuple[float, float]] = ((0, 0), (0.5, 45), (0.8, 75), (1, 100)),
    *,
    missing: float | None = None,
    domain: Domain | None = (0.0, 1.0),
) -> Piecewise:
    """Outcome achievement. Input: progress on the customer's stated goals,
    actual / target averaged over goals, a share in [0, 1] (cap each goal's
    progress at 1 first, as :func:`~healthscore.compute_signals` does).

    Seed rule: the strongest single predictor; achievers renew at 95%+, those
    falling short churn at 40%+.

    Examples:
        >>> outcome_achievement()(1.0), outcome_achievement()(0.5)
        (100.0, 45.0)
    """
    return Piecewise(points=points, missing=missing, domain=domain)


def roi_multiple(
    points: Iterable[tuple[float, float]] = ((0, 0), (1, 40), (2, 65), (3, 85), (5, 100)),
    *,
    missing: float | None = None,
    domain: Domain | None = (0.0, math.inf),
) -> Piecewise:
    """Return on investment. Input: value delivered / cost (a multiple).

    Seed rule: >= 3x rarely faces budget trouble (>= 85); < 1x struggles at
    renewal (< 40).

    Examples:
        >>> roi_multiple()(3.0), roi_multiple()(0.99) < 40
        (85.0, True)
    """
    return Piecewise(points=points, missing=missing, domain=domain)


def budget_trend(
    table: Mapping[str, float] | None = None,
    *,
    missing: float | None = None,
) -> Categories:
    """Budget ownership and trend. Input: one of ``"growing"``, ``"stable"``,
    ``"shrinking"``, ``"none"`` (no dedicated budget).

    Seed rule: a dedicated budget = committed; growing = expansion-ready;
    shrinking = downgrade or churn risk.

    Examples:
        >>> budget_trend()("growing"), budget_trend()("shrinking")
        (95.0, 15.0)
    """
    default = {"growing": 95.0, "stable": 70.0, "none": 35.0, "shrinking": 15.0}
    return Categories(table=default if table is None else table, missing=missing)


def expansion_conversations(
    points: Iterable[tuple[float, float]] = ((0, 40), (1, 70), (2, 85), (4, 100)),
    *,
    missing: float | None = None,
    domain: Domain | None = (0.0, math.inf),
) -> Piecewise:
    """Expansion conversations. Input: talks about more users, higher tiers or new
    products in the last 90 days.

    Seed rule: frequent expansion talk signals a healthy, growing account.

    Examples:
        >>> expansion_conversations()(0), expansion_conversations()(2)
        (40.0, 85.0)
    """
    return Piecewise(points=points, missing=missing, domain=domain)


def contract_length(
    points: Iterable[tuple[float, float]] = ((1, 30), (12, 75), (24, 90), (36, 100)),
    *,
    missing: float | None = None,
    domain: Domain | None = (0.0, math.inf),
) -> Piecewise:
    """Contract length. Input: contract term in months.

    Seed rule: multi-year = committed; annual cuts churn risk versus monthly;
    month-to-month keeps an exit open.

    Examples:
        >>> contract_length()(1), contract_length()(12), contract_length()(36)
        (30.0, 75.0, 100.0)
    """
    return Piecewise(points=points, missing=missing, domain=domain)


def payment_delay(
    points: Iterable[tuple[float, float]] = ((0, 100), (15, 80), (30, 55), (60, 25), (90, 0)),
    *,
    missing: float | None = None,
    domain: Domain | None = (0.0, math.inf),
) -> Piecewise:
    """Payment behaviour. Input: days invoices are paid late (decay-weighted).

    Seed rule: pays on time = stable; delays = budget pressure or low priority.

    Examples:
        >>> payment_delay()(0), payment_delay()(60)
        (100.0, 25.0)
    """
    return Piecewise(points=points, missing=missing, domain=domain)


# DEAR (Gainsight): Deployment, Engagement, Adoption, ROI


def deployment(
    green_at: float = 0.75,
    *,
    points: Iterable[tuple[float, float]] | None = None,
    missing: float | None = None,
    domain: Domain | None = (0.0, 1.0),
) -> Piecewise:
    """Deployment. Input: deployed licences / purchased licences (0..1).

    Seed rule: the team picks the share that counts as Green ("deployment >= 50%
    or >= 75% is Green"); ``green_at`` scores 80, half of it scores 50, full
    deployment 100. ``points`` overrides the whole curve.

    Examples:
        >>> deployment()(0.75), deployment(green_at=0.5)(0.5)
        (80.0, 80.0)
    """
    if points is None:
        if not 0.0 < green_at < 1.0:
            raise ValidationError("green_at", "must be a share in (0, 1)", green_at)
        points = ((0, 0), (green_at / 2, 50), (green_at, 80), (1, 100))
    return Piecewise(points=points, missing=missing, domain=domain)


def onboarding_completed(
    true_score: float = 100.0, false_score: float = 20.0, *, missing: float | None = None
) -> Boolean:
    """Onboarding completed. Input: yes/no.

    Seed rule (DEAR Deployment): whether the customer finished onboarding.

    Examples:
        >>> onboarding_completed()(False)
        20.0
    """
    return Boolean(true_score=true_score, false_score=false_score, missing=missing)


def operational_meetings(
    points: Iterable[tuple[float, float]] = ((0, 0), (1, 50), (2, 85), (4, 100)),
    *,
    missing: float | None = None,
    domain: Domain | None = (0.0, math.inf),
) -> Piecewise:
    """Operational contact. Input: meetings with operational contacts per month.

    Seed rule (DEAR Engagement): at least twice a month (2 -> 85).

    Examples:
        >>> operational_meetings()(2)
        85.0
    """
    return Piecewise(points=points, missing=missing, domain=domain)


def executive_meetings(
    points: Iterable[tuple[float, float]] = ((0, 20), (1, 80), (2, 90), (4, 100)),
    *,
    missing: float | None = None,
    domain: Domain | None = (0.0, math.inf),
) -> Piecewise:
    """Executive contact. Input: meetings with executive-level contacts in the
    last 12 months.

    Seed rule (DEAR Engagement): at least once a year (1 -> 80); quarterly is
    best (4 -> 100).

    Examples:
        >>> executive_meetings()(1)
        80.0
    """
    return Piecewise(points=points, missing=missing, domain=domain)


def business_review_recency(
    points: Iterable[tuple[float, float]] = ((0, 100), (3, 80), (6, 40), (12, 0)),
    *,
    missing: float | None = None,
    domain: Domain | None = (0.0, math.inf),
) -> Piecewise:
    """Business review recency. Input: months since the last business review with
    a senior customer contact.

    Seed rule (DEAR Engagement): a review within the last 3 months (<= 3 -> >= 80).

    Examples:
        >>> business_review_recency()(3)
        80.0
    """
    return Piecewise(points=points, missing=missing, domain=domain)


def key_user_events(
    points: Iterable[tuple[float, float]] = ((0, 30), (1, 70), (3, 100)),
    *,
    missing: float | None = None,
    domain: Domain | None = (0.0, math.inf),
) -> Piecewise:
    """Key users at events. Input: events (webinars, user groups, conferences)
    attended by the account's key users in the last 12 months.

    Seed rule (DEAR Engagement): key users taking part in events.

    Examples:
        >>> key_user_events()(1)
        70.0
    """
    return Piecewise(points=points, missing=missing, domain=domain)


def active_license_share(
    points: Iterable[tuple[float, float]] = ((0, 0), (0.4, 50), (0.6, 70), (0.8, 90), (1, 100)),
    *,
    missing: float | None = None,
    domain: Domain | None = (0.0, 1.0),
) -> Piecewise:
    """Adoption depth (DEAR). Input: active licences / deployed licences (0..1).

    Seed rule (DEAR Adoption): deployed licences must actually be used; scored
    like penetration.

    Examples:
        >>> active_license_share()(0.8)
        90.0
    """
    return Piecewise(points=points, missing=missing, domain=domain)


def key_features_used(
    points: Iterable[tuple[float, float]] = ((0, 0), (0.5, 60), (0.8, 85), (1, 100)),
    *,
    missing: float | None = None,
    domain: Domain | None = (0.0, 1.0),
) -> Piecewise:
    """Key feature usage. Input: key features used / key features (0..1).

    Seed rule (DEAR Adoption breadth): the customer uses the key features.

    Examples:
        >>> key_features_used()(0.5)
        60.0
    """
    return Piecewise(points=points, missing=missing, domain=domain)


def latest_version(true_score: float = 100.0, false_score: float = 40.0, *, missing: float | None = None) -> Boolean:
    """Latest version in use. Input: yes/no.

    Seed rule (DEAR Adoption proxy when usage data is missing).

    Examples:
        >>> latest_version()(True)
        100.0
    """
    return Boolean(true_score=true_score, false_score=false_score, missing=missing)


def training_completion(
    points: Iterable[tuple[float, float]] = ((0, 0), (0.5, 60), (1, 100)),
    *,
    missing: float | None = None,
    domain: Domain | None = (0.0, 1.0),
) -> Piecewise:
    """Training completed. Input: share of users who completed training (0..1).

    Seed rule (DEAR Adoption proxy when usage data is missing).

    Examples:
        >>> training_completion()(0.5)
        60.0
    """
    return Piecewise(points=points, missing=missing, domain=domain)


def outcome_agreed(true_score: float = 100.0, false_score: float = 25.0, *, missing: float | None = None) -> Boolean:
    """Outcome agreed. Input: yes/no -- the customer's executives agreed, at a
    business review or in a survey, that the agreed goals were met.

    Seed rule (DEAR ROI): when value cannot be measured from data, agreement on
    the outcome at a business review stands in for it.

    Examples:
        >>> outcome_agreed()("yes")
        100.0
    """
    return Boolean(true_score=true_score, false_score=false_score, missing=missing)
