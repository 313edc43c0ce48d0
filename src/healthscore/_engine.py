"""The batch scoring engine behind :meth:`HealthModel.score_batch`.

One compiled kernel per metric, built once per model from the same plan the
scalar path reads, and two drivers:

* NumPy: the portfolio is cut into chunks that fit in the CPU cache; every
  intermediate lives in per-thread buffers (``out=`` and ``where=`` everywhere),
  so memory traffic is reading each input once and writing each output once.
  Chunks run on a few threads: NumPy releases the GIL inside its loops.
* Array API: any other array library (CuPy, PyTorch, ...) through the array
  API standard, whole columns at once, on the arrays' own device.

Both evaluate a piecewise curve the way :func:`numpy.interp` does
(``slope_j * (x - x_j) + y_j``, exactly ``y_j`` at a breakpoint, clamped
outside) and accumulate in the scalar path's order, so every account's numbers
equal :meth:`HealthModel.score` bit for bit (in float64 on the CPU).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

import attrs
import numpy as np

from healthscore import scorers as _scorers
from healthscore.exceptions import InputError, MissingMetricError
from healthscore.typing import FloatArray, Scorer

__all__: list[str] = []

DEFAULT_CHUNK = 131_072
"""Rows per chunk. Each ufunc call then works long enough that two threads
rarely wait on each other for the GIL (at 8k rows they do, and two threads run
slower than one); a thread's working arrays (about a dozen live at once) stay
in the shared cache."""

Precision = Literal["float64", "float32"]

PRECISIONS: tuple[Precision, ...] = ("float64", "float32")
"""The precisions the engine computes in."""


# --------------------------------------------------------------------------- the scoring rules
#
# Each rule of the score exists once, here, written against an array namespace
# ``xp``: NumPy, any array API namespace, or ``SCALAR`` (one account's Python
# floats). ``HealthModel.score``, the NumPy driver and the array API driver all
# call these functions, so the arithmetic, its operands and its order cannot
# drift apart. Accumulators are updated with augmented assignment: in place for
# NumPy arrays (no new array per chunk), a new value for floats and immutable
# arrays, so callers always use what is returned.

COVERAGE_TOLERANCE = 1e-9
"""How far below ``min_coverage`` an account's coverage may fall and still
count as meeting it: coverage is a sum of normalised weights, so an account
observing exactly the minimum share can land a rounding error short of it."""


class _Scalars:
    """The few array API functions the rules call, for Python floats and bools
    (one account on the scalar path). Each is a plain Python operation, so a
    rule costs the scalar path a few hundred nanoseconds."""

    bool = bool
    int8 = int
    intp = int
    float32 = float
    float64 = float

    @staticmethod
    def astype(x: Any, dtype: Callable[[Any], Any]) -> Any:
        return dtype(x)

    @staticmethod
    def where(condition: Any, x1: Any, x2: Any) -> Any:
        return x1 if condition else x2

    @staticmethod
    def full_like(_x: Any, fill_value: Any) -> Any:
        return fill_value


SCALAR: Any = _Scalars()
"""The namespace of one account's numbers (Python floats) for the rules below."""


def add_dimension(
    xp: Any, totals: tuple[Any, Any, Any], num: Any, den: Any, observed: Any, weight: float, dtype: Any
) -> tuple[tuple[Any, Any, Any], Any, Any]:
    """Add one dimension to an account's running totals.

    ``num`` and ``den`` are the dimension's weighted sums over its counted
    metrics (``sum weight * score`` and ``sum weight``, added in metric order),
    ``observed`` the weight of the metrics that had a value, ``weight`` the
    dimension's normalised weight. The dimension's score is ``num / den``; a
    dimension with nothing counted (``den == 0``) has none and adds nothing to
    the total (its ``value`` is 0, divided by 1 rather than 0). ``totals`` is
    ``(total_num, total_den, coverage)``: the weighted sum of dimension scores,
    the weight of the dimensions with a score, and the observed share of the
    model's weight.

    Returns:
        The new totals, the dimension's value (its score where ``has``, else 0)
        and ``has`` (whether it has a score).
    """
    total_num, total_den, coverage = totals
    has = den > 0.0
    value = num / (den + xp.astype(den <= 0.0, dtype))
    total_num += value * weight
    total_den += xp.astype(has, dtype) * weight
    coverage += observed * weight
    return (total_num, total_den, coverage), value, has


def dimension_score(xp: Any, value: Any, has: Any) -> Any:
    """A dimension's score as reported: ``value`` where it ``has`` one (see
    :func:`add_dimension`), NaN where none of its metrics counted."""
    return xp.where(has, value, xp.full_like(value, math.nan))


def withhold(xp: Any, values: Any, bad: Any) -> Any:
    """``values`` with NaN for the accounts that get no score (``bad``, see
    :func:`insufficient`): they get no dimension scores either."""
    return xp.where(bad, xp.full_like(values, math.nan), values)


def insufficient(coverage: Any, total_den: Any, min_coverage: float) -> Any:
    """Whether an account gets no score: nothing observed (no coverage, or no
    dimension with a score) or coverage below the policy's minimum, within
    :data:`COVERAGE_TOLERANCE`. Operators only, so it holds for floats and for
    arrays of any library alike."""
    return (coverage <= 0.0) | (total_den <= 0.0) | (coverage < min_coverage - COVERAGE_TOLERANCE)


def insufficient_reason(coverage: float, total_den: float, min_coverage: float) -> str | None:
    """Why one account gets no score (``None`` when it gets one): the words of
    :func:`insufficient`."""
    if not insufficient(coverage, total_den, min_coverage):
        return None
    if coverage <= 0.0 or total_den <= 0.0:
        return "no metric observed"
    return f"coverage {coverage:.0%} is below the model's minimum of {min_coverage:.0%}"


def account_score(xp: Any, total_num: Any, total_den: Any, bad: Any, dtype: Any) -> Any:
    """The health score: the weighted mean of the dimension scores,
    ``total_num / total_den``; NaN where ``bad`` (see :func:`insufficient`)."""
    return withhold(xp, total_num / (total_den + xp.astype(total_den <= 0.0, dtype)), bad)


def effective_weight(dim_weight: Any, metric_weight: Any, dim_den: Any, total_den: Any) -> Any:
    """The share of the total score a counted metric carries once missing data
    is handled: its share of its dimension's counted weight times its
    dimension's share of the weight of the dimensions with a score."""
    return (dim_weight / total_den) * (metric_weight / dim_den)


def tier_codes(xp: Any, score: Any, thresholds: Sequence[float], dtype: Any) -> Any:
    """The tier of each score on a ladder of descending ``thresholds`` (each
    tier's lowest score, the last one 0): 0 for the best tier, -1 for NaN.

    A score's tier is how many thresholds above the last it falls below, so a
    score equal to a threshold belongs to that tier, and scores below 0 or
    above 100 to the end tiers. A NaN falls below none and is counted -1.
    """
    code = -xp.astype(score != score, dtype)
    for minimum in thresholds[:-1]:
        code = code + xp.astype(score < minimum, dtype)
    return code


@attrs.frozen
class Kernel:
    """How one metric is scored in bulk.

    ``kind`` is ``"piecewise"`` (the scorer's :class:`~healthscore.scorers.Curve`),
    ``"steps"`` (``table`` indexed by how many edges ``x`` reaches) or
    ``"scores"`` (the scorer's own array path, run on the whole column before
    the chunks: labels, yes/no values, custom functions).
    """

    name: str
    dim: int
    weight: float
    cover: float
    kind: Literal["piecewise", "steps", "scores"]
    scorer: Scorer
    curve: _scorers.Curve | None = None
    knots: tuple[float, ...] = ()
    table: FloatArray = attrs.field(factory=lambda: np.empty(0))
    missing: float | None = None
    domain: _scorers.Domain | None = None
    bounds: _scorers.Domain = (-math.inf, math.inf)


def compile_kernel(name: str, dim: int, weight: float, cover: float, scorer: Scorer) -> Kernel:
    """The kernel for one metric of a model's plan."""
    if isinstance(scorer, _scorers.Piecewise):
        return Kernel(
            name,
            dim,
            weight,
            cover,
            "piecewise",
            scorer,
            curve=scorer.curve,
            missing=scorer.missing,
            domain=scorer.domain,
            bounds=scorer.bounds,
        )
    if isinstance(scorer, _scorers.Steps):
        return Kernel(
            name,
            dim,
            weight,
            cover,
            "steps",
            scorer,
            knots=scorer.edges,
            table=np.array(scorer.scores, dtype=np.float64),
            missing=scorer.missing,
            domain=scorer.domain,
            bounds=scorer.bounds,
        )
    return Kernel(name, dim, weight, cover, "scores", scorer)


@attrs.frozen
class Layout:
    """A compiled model: kernels in plan order and the dimension weights."""

    kernels: tuple[Kernel, ...]
    dim_weights: tuple[float, ...]
    dim_ranges: tuple[tuple[int, int], ...]


@attrs.frozen
class Policy:
    """The missing-data rule as the engine needs it."""

    strategy: Literal["renormalize", "neutral", "fail"]
    neutral: float
    min_coverage: float


@attrs.frozen
class Raw:
    """What the engine computes: per-account arrays of one length."""

    score: Any
    coverage: Any
    dimensions: list[Any]
    metric_scores: list[Any] | None
    driver_index: Any | None
    driver_points: Any | None
    out_of_range: tuple[_scorers.OutOfRange, ...] = ()
    metric_weights: list[Any] | None = None


# --------------------------------------------------------------------------- input


def prepare_columns(
    layout: Layout, columns: dict[str, Any], n: int
) -> tuple[dict[str, Any], tuple[_scorers.OutOfRange, ...]]:
    """Validate and convert the columns the kernels read (no copy for numeric
    NumPy arrays; label and custom metrics are scored here, once), and the
    reports of values outside their metric's domain, which become missing."""
    prepared: dict[str, Any] = {}
    reports: list[_scorers.OutOfRange] = []
    for k in layout.kernels:
        if k.name not in columns:
            continue
        values = columns[k.name]
        try:
            if k.kind == "scores":
                out = np.asarray(_scorers.evaluate(k.scorer, values), dtype=np.float64)
            else:
                arr = values if isinstance(values, np.ndarray) else np.asarray(values)
                out = arr if arr.dtype.kind in "fiub" else _scorers.as_float_array(arr)
        except InputError as exc:
            raise type(exc)(f"column {k.name!r}: {exc}", column=k.name, row=exc.row, value=exc.value) from None
        if out.shape != (n,):
            raise InputError(
                f"column {k.name!r}: expected a one-dimensional column of {n} values, got shape {out.shape}",
                column=k.name,
            )
        out, report = without_outside(k, out)
        if report is not None:
            reports.append(report)
        prepared[k.name] = out
    return prepared, tuple(reports)


def without_outside(k: Kernel, x: Any) -> tuple[Any, _scorers.OutOfRange | None]:
    """Column ``x`` of metric ``k`` with its values outside the metric's domain
    made missing (a copy, only when there are some), and their report: the one
    place a batch checks domains, one minimum and maximum per column."""
    if k.domain is None:
        return x, None
    mask = _scorers.outside_mask(k.bounds, x)
    if mask is None:
        return x, None
    report = _scorers.OutOfRange.of(k.name, k.domain, x, mask)
    cleaned = np.array(x, dtype=x.dtype if x.dtype.kind == "f" else np.float64)
    cleaned[mask] = math.nan
    return cleaned, report


# --------------------------------------------------------------------------- NumPy driver


class _Buffers:
    """Scratch arrays for one thread, reused across its chunks. Sums that end
    up in the results (score, coverage, dimensions) are made in the result
    arrays themselves; a weight sum per dimension is kept only for drivers."""

    def __init__(self, size: int, dtype: Any, den_tables: Sequence[Any | None], keep_dens: bool) -> None:
        widest = max((len(table) for table in den_tables if table is not None), default=1)
        mask_dtype = np.uint8 if widest <= 256 else np.uint16
        n_dens = len(den_tables) if keep_dens else 1
        self.den_tables = den_tables
        (
            self.mask,
            self.mask_bit,
            self.ok,
            self.hit,
            self.idx,
            self.index,
            scratch_x,
            scratch_t,
            self.s,
            self.t,
            self.num,
            self.observed_weight,
            self.total_den,
            *self.dens,
        ) = _carve(size, [mask_dtype, mask_dtype, np.bool_, np.bool_, np.uint8, np.intp] + [dtype] * (7 + n_dens))
        self.scratch = _scorers.CurveScratch(size, dtype, x=scratch_x, t=scratch_t)


def _carve(size: int, dtypes: Sequence[Any]) -> list[Any]:
    """One array of ``size`` elements per dtype, all cut from one allocation
    (64-byte aligned). Freed and allocated again as one block, the memory is
    reused by the next call instead of being returned to the system and
    faulted in again page by page, which on a 100k-row call cost as much as the
    scoring."""
    nbytes = [size * np.dtype(d).itemsize for d in dtypes]
    block = np.empty(sum(-(-b // 64) * 64 for b in nbytes) + 64, np.uint8)
    start = -block.ctypes.data % 64
    arrays = []
    for dtype, b in zip(dtypes, nbytes, strict=True):
        arrays.append(block[start : start + b].view(dtype))
        start += -(-b // 64) * 64
    return arrays


def _fill(k: Kernel, policy: Policy) -> float:
    """What a missing value of ``k`` scores inside the engine: the scorer's own
    missing score, else the neutral score, else 0 (it then carries no weight)."""
    if k.missing is not None:
        return k.missing
    return policy.neutral if policy.strategy == "neutral" else 0.0


def _score_chunk(k: Kernel, x: Any, b: _Buffers, m: int, table: Any, fill: float | None) -> tuple[Any, bool]:
    """Scores of one metric's chunk ``x`` in ``b.s[:m]``, every one finite;
    ``b.ok[:m]`` marks the observed ones. Missing values score ``fill``, or,
    when it is ``None`` (they will weigh 0), whatever is cheapest: then the
    second value says whether that is exactly 0, so that ``weight * score``
    needs no mask."""
    s = b.s[:m]
    np.equal(x, x, out=b.ok[:m])
    if k.kind == "piecewise":
        assert k.curve is not None
        return s, _score_piecewise(k.curve, x, b, m, fill)
    if k.kind == "steps":
        _score_steps(k.knots, x, b, m, table)
    else:
        _score_values(x, b, m, fill)
    return s, fill is None or fill == 0.0


def _score_piecewise(curve: _scorers.Curve, x: Any, b: _Buffers, m: int, fill: float | None) -> bool:
    """A curve's scores of ``x`` in ``b.s[:m]`` (see :func:`_score_chunk`);
    whether a missing value's score is exactly 0."""
    s, ok = b.s[:m], b.ok[:m]
    if ok.all():
        curve.into(x, s, b.scratch, nan_to=None)
        return True
    if fill is None:
        zero_to = curve.missing_to_zero()
        curve.into(x, s, b.scratch, nan_to=zero_to or "first")
        return zero_to is not None
    curve.into(x, s, b.scratch)
    if fill != curve.prefix[0]:
        np.logical_not(ok, out=b.hit[:m])
        np.copyto(s, fill, where=b.hit[:m])
    return fill == 0.0


def _score_steps(knots: Sequence[float], x: Any, b: _Buffers, m: int, table: Any) -> None:
    """A step table's scores of ``x`` in ``b.s[:m]``: ``table`` (the missing
    score first) indexed by 1 + how many ``knots`` an observed ``x`` reaches,
    0 where it is missing."""
    ok, hit, idx, index = b.ok[:m], b.hit[:m], b.idx[:m], b.index[:m]
    count = idx if len(knots) < 255 else index
    np.copyto(count, ok.view(np.uint8))
    for edge in knots:
        np.greater_equal(x, edge, out=hit)
        np.add(count, hit.view(np.uint8), out=count)
    if count is idx:
        np.copyto(index, idx)
    np.take(table, index, out=b.s[:m], mode="wrap")  # every index is in range


def _score_values(x: Any, b: _Buffers, m: int, fill: float | None) -> None:
    """Scores computed before the chunks (``x`` itself) in ``b.s[:m]``, missing
    ones made ``fill`` (0 when it is ``None``)."""
    s, hit = b.s[:m], b.hit[:m]
    np.copyto(s, x, casting="same_kind")
    np.logical_not(b.ok[:m], out=hit)
    np.copyto(s, 0.0 if fill is None else fill, where=hit)


def _chunk(
    layout: Layout,
    policy: Policy,
    cols: dict[str, Any],
    lo: int,
    hi: int,
    b: _Buffers,
    out: Raw,
    tables: dict[str, Any],
    n_drivers: int,
) -> None:
    """Score rows ``lo:hi``: each dimension's sums (:func:`_chunk_dimension`),
    added up by the shared rules in the scalar path's order."""
    m = hi - lo
    score, total_den, cov = out.score[lo:hi], b.total_den[:m], out.coverage[lo:hi]
    total_num = score  # the score is made from it at the end
    dtype = score.dtype
    total_num.fill(0.0)
    total_den.fill(0.0)
    cov.fill(0.0)
    totals = (total_num, total_den, cov)  # added to in place
    for d_idx in range(len(layout.dim_ranges)):
        num, den, observed = _chunk_dimension(layout, policy, cols, lo, m, b, out, tables, d_idx)
        totals, value, has = add_dimension(np, totals, num, den, observed, layout.dim_weights[d_idx], dtype)
        if out.dimensions:
            out.dimensions[d_idx][lo:hi] = dimension_score(np, value, has)
    bad = insufficient(cov, total_den, policy.min_coverage)
    score[...] = account_score(np, total_num, total_den, bad, dtype)
    if bad.any():
        for dim_values in out.dimensions:
            dim_values[lo:hi] = withhold(np, dim_values[lo:hi], bad)
    if n_drivers:
        _chunk_drivers(layout, b, m, bad, total_den, out, lo, hi, n_drivers)
    if out.metric_weights is not None:
        _chunk_weights(layout, b, m, bad, total_den, out, lo, hi, neutral=policy.strategy == "neutral")


def _chunk_dimension(
    layout: Layout,
    policy: Policy,
    cols: dict[str, Any],
    lo: int,
    m: int,
    b: _Buffers,
    out: Raw,
    tables: dict[str, Any],
    d_idx: int,
) -> tuple[Any, Any, Any]:
    """One dimension's sums on rows ``lo:lo + m``: ``num`` (weight times score),
    ``den`` (the weight counted) and the observed weight, in ``b``'s buffers.

    A missing value weighs 0 (under re-normalisation), so the sums need no
    masks: its score is made exactly 0 where that is free, else multiplied by
    ``observed * weight``. The weight sum under re-normalisation is looked up
    from which of the metrics were observed (``den_tables``: each entry the
    scalar path's own sum). Every addition happens in the scalar path's order
    with the same operands."""
    first, last = layout.dim_ranges[d_idx]
    neutral = policy.strategy == "neutral"
    ok, t, num, observed_weight = b.ok[:m], b.t[:m], b.num[:m], b.observed_weight[:m]
    den = b.dens[d_idx if len(b.dens) > 1 else 0][:m]
    den_table = None if neutral else b.den_tables[d_idx]
    num.fill(0.0)
    if den_table is None:
        den.fill(0.0)
    if neutral:
        observed_weight.fill(0.0)
    for i in range(first, last):
        k = layout.kernels[i]
        s, zero = _metric_chunk(k, policy, cols.get(k.name), lo, m, b, tables.get(k.name))
        if out.metric_scores is not None:
            _keep_metric(out.metric_scores[i][lo : lo + m], s, ok, b.hit[:m])
        if neutral:
            _add_neutral(s, ok, k.weight, num, den, observed_weight, t)
        elif den_table is None:
            _add_counted(s, ok, k.weight, num, den, t)
        else:
            _add_masked(s, ok, zero, k.weight, i - first, num, b.mask[:m], b.mask_bit[:m], t)
    if den_table is not None:
        np.copyto(b.index[:m], b.mask[:m])
        np.take(den_table, b.index[:m], out=den, mode="wrap")  # every index is in range
    return num, den, observed_weight if neutral else den


def _metric_chunk(
    k: Kernel, policy: Policy, col: Any | None, lo: int, m: int, b: _Buffers, table: Any
) -> tuple[Any, bool]:
    """Scores of metric ``k`` on rows ``lo:lo + m`` in ``b.s[:m]`` and which
    count as observed in ``b.ok[:m]``, applying the missing-data policy; the
    flag says whether a missing value's score is exactly 0."""
    ok = b.ok[:m]
    fill = _fill(k, policy)
    if col is None:
        s = b.s[:m]
        s.fill(fill)
        ok.fill(False)
        zero = fill == 0.0
    else:
        # Under re-normalisation a missing value weighs exactly 0, so its score does not matter.
        used_fill = fill if (policy.strategy == "neutral" or k.missing is not None) else None
        s, zero = _score_chunk(k, col[lo : lo + m], b, m, table, used_fill)
    if k.missing is not None:
        ok.fill(True)  # the scorer scores missing values itself: they count as observed
        return s, False
    if policy.strategy == "fail" and not ok.all():
        row = lo + int(np.argmin(ok))
        raise MissingMetricError(
            f"metric {k.name!r} is missing in row {row} and the model's missing policy is 'fail'",
            column=k.name,
            row=row,
        )
    return s, zero


def _keep_metric(metric: Any, s: Any, ok: Any, hit: Any) -> None:
    """A metric's reported scores: ``s``, NaN where it was not observed."""
    np.copyto(metric, s)
    np.logical_not(ok, out=hit)
    np.copyto(metric, math.nan, where=hit)


def _add_neutral(s: Any, ok: Any, weight: float, num: Any, den: Any, observed_weight: Any, t: Any) -> None:
    """Add a metric under the neutral policy: every value counts with its
    full weight, and the observed ones add to ``observed_weight``."""
    np.multiply(s, weight, out=t)
    np.add(num, t, out=num)
    np.add(den, weight, out=den)
    np.multiply(ok, weight, out=t)
    np.add(observed_weight, t, out=observed_weight)


def _add_counted(s: Any, ok: Any, weight: float, num: Any, den: Any, t: Any) -> None:
    """Add a metric under re-normalisation, summing its weight where observed
    (a dimension too large for a table of weight sums)."""
    np.multiply(ok, weight, out=t)  # the weight where observed, else 0
    np.add(den, t, out=den)
    np.multiply(s, t, out=t)
    np.add(num, t, out=num)


def _add_masked(
    s: Any, ok: Any, zero: bool, weight: float, bit: int, num: Any, mask: Any, mask_bit: Any, t: Any
) -> None:
    """Add a metric under re-normalisation, setting bit ``bit`` of ``mask``
    where observed (the dimension's weight sum is looked up from it later)."""
    if bit == 0:
        np.copyto(mask, ok.view(np.uint8))
    else:
        np.multiply(ok.view(np.uint8), 1 << bit, out=mask_bit, dtype=mask.dtype)
        np.bitwise_or(mask, mask_bit, out=mask)
    if zero:
        np.multiply(s, weight, out=t)  # 0 where missing
    else:
        np.multiply(ok, weight, out=t)
        np.multiply(s, t, out=t)
    np.add(num, t, out=num)


def _chunk_drivers(
    layout: Layout,
    b: _Buffers,
    m: int,
    insufficient: Any,
    total_den: Any,
    out: Raw,
    lo: int,
    hi: int,
    n_drivers: int,
) -> None:
    """The metrics costing each account most points (same rule as the scalar
    path's ``ScoreResult.drivers``)."""
    lost = np.zeros((m, len(layout.kernels)))
    with np.errstate(invalid="ignore", divide="ignore"):
        for i, k in enumerate(layout.kernels):
            assert out.metric_scores is not None
            s = out.metric_scores[i][lo:hi]
            weight = effective_weight(layout.dim_weights[k.dim], k.weight, b.dens[k.dim][:m], total_den)
            lost[:, i] = np.where(np.isnan(s) | insufficient, 0.0, weight * (100.0 - s))
    order = np.argsort(-lost, axis=1, kind="stable")[:, :n_drivers]
    picked = np.take_along_axis(lost, order, axis=1)
    gone = ~(picked > 0)
    order[gone] = -1
    picked[gone] = 0.0
    assert out.driver_index is not None
    assert out.driver_points is not None
    out.driver_index[lo:hi] = order
    out.driver_points[lo:hi] = picked


def _chunk_weights(
    layout: Layout, b: _Buffers, m: int, insufficient: Any, total_den: Any, out: Raw, lo: int, hi: int, *, neutral: bool
) -> None:
    """Each metric's effective weight on rows ``lo:hi`` (the scalar path's
    ``MetricScore.weight``): :func:`effective_weight` where the metric counted
    -- the account has a score, the metric was observed (or given the neutral
    score) and its dimension has weight -- else 0."""
    assert out.metric_scores is not None
    assert out.metric_weights is not None
    for i, k in enumerate(layout.kernels):
        den = b.dens[k.dim][:m]
        counted = ~insufficient & (den > 0)
        if not neutral:
            counted &= ~np.isnan(out.metric_scores[i][lo:hi])
        weight = effective_weight(layout.dim_weights[k.dim], k.weight, den, total_den)
        out.metric_weights[i][lo:hi] = np.where(counted, weight, 0.0)


MAX_TABLE_METRICS = 12
"""Dimensions with at most this many metrics look their weight sums up
(a table of ``2 ** n`` sums); larger ones add them up."""


def den_table(weights: Sequence[float], dtype: Any) -> FloatArray | None:
    """The observed weight of a dimension for every set of observed metrics:
    entry ``mask`` is the sum, in metric order from 0, of the weights whose bit
    is set, computed as the scalar path adds them (bit ``i`` is metric ``i``)."""
    if len(weights) > MAX_TABLE_METRICS:
        return None
    table = np.zeros(1 << len(weights), dtype)
    for bit, weight in enumerate(weights):
        # The sets whose last metric is ``bit``: the sum without it, plus its weight.
        np.add(table[: 1 << bit], dtype(weight), out=table[1 << bit : 2 << bit])
    return table


def auto_threads(n: int, chunk: int) -> int:
    """Threads worth using for ``n`` rows: one per core, at most 8, and only
    when each thread gets at least two chunks."""
    cores = os.cpu_count() or 1
    return max(1, min(cores, 8, n // (2 * chunk)))


def run_numpy(
    layout: Layout,
    policy: Policy,
    columns: dict[str, Any],
    n: int,
    *,
    keep_metrics: bool,
    n_drivers: int,
    threads: int | None,
    chunk: int,
    precision: Precision,
    keep_dimensions: bool = True,
    keep_weights: bool = False,
) -> Raw:
    """Score ``n`` rows of NumPy columns in chunks, on ``threads`` threads."""
    dtype = np.float32 if precision == "float32" else np.float64
    cols, reports = prepare_columns(layout, columns, n)
    tables = {
        k.name: np.array((_fill(k, policy), *k.table.tolist()), dtype=dtype)
        for k in layout.kernels
        if k.kind == "steps"
    }
    keep = keep_metrics or n_drivers > 0 or keep_weights
    out = Raw(
        score=np.empty(n, dtype),
        coverage=np.empty(n, np.float64),
        dimensions=[np.empty(n, dtype) for _ in layout.dim_ranges] if keep_dimensions else [],
        metric_scores=[np.empty(n, dtype) for _ in layout.kernels] if keep else None,
        driver_index=np.empty((n, n_drivers), np.intp) if n_drivers else None,
        driver_points=np.empty((n, n_drivers)) if n_drivers else None,
        out_of_range=reports,
        metric_weights=[np.empty(n, np.float64) for _ in layout.kernels] if keep_weights else None,
    )
    size = max(1, min(chunk, n))
    starts = list(range(0, n, size))
    n_threads = auto_threads(n, size) if threads is None else max(1, int(threads))
    n_threads = min(n_threads, max(1, len(starts)))

    den_tables = [
        None if policy.strategy == "neutral" else den_table([k.weight for k in layout.kernels[first:last]], dtype)
        for first, last in layout.dim_ranges
    ]

    def work(my_starts: Sequence[int]) -> None:
        buffers = _Buffers(size, dtype, den_tables, keep_dens=n_drivers > 0 or keep_weights)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            for lo in my_starts:
                _chunk(layout, policy, cols, lo, min(n, lo + size), buffers, out, tables, n_drivers)

    if n_threads == 1:
        work(starts)
    else:
        shares = [starts[t::n_threads] for t in range(n_threads)]
        with ThreadPoolExecutor(max_workers=n_threads, thread_name_prefix="healthscore") as pool:
            for future in [pool.submit(work, share) for share in shares]:
                future.result()
    if not keep_metrics and out.metric_scores is not None:
        out = attrs.evolve(out, metric_scores=None)
    return out


# --------------------------------------------------------------------------- Array API driver


def run_xp(
    xp: Any,
    layout: Layout,
    policy: Policy,
    columns: dict[str, Any],
    n: int,
    *,
    keep_metrics: bool,
    precision: Precision | None,
) -> Raw:
    """Score whole columns with the array API namespace ``xp`` (CuPy, PyTorch,
    array-api-strict, ...), on the columns' device. Only standard functions."""
    first = next(columns[k.name] for k in layout.kernels if k.name in columns)
    on = _XpColumns(
        xp, columns, n, getattr(first, "device", None), xp.float32 if precision == "float32" else xp.float64
    )
    totals = (on.zeros(), on.zeros(), on.zeros(xp.float64))  # score sum, weight sum, coverage: added to in place
    dims: list[Any] = []
    metric_scores: list[Any] | None = [] if keep_metrics else None
    for d_idx in range(len(layout.dim_ranges)):
        num, den, observed = _xp_dimension(on, layout, policy, d_idx, metric_scores)
        totals, value, has = add_dimension(xp, totals, num, den, observed, layout.dim_weights[d_idx], on.dtype)
        dims.append(dimension_score(xp, value, has))
    total_num, total_den, cov = totals
    bad = insufficient(cov, total_den, policy.min_coverage)
    score = account_score(xp, total_num, total_den, bad, on.dtype)
    dims = [withhold(xp, d, bad) for d in dims]
    return Raw(score, cov, dims, metric_scores, None, None, tuple(on.reports))


class _XpColumns:
    """The columns of one array API call and how to make arrays beside them:
    ``n`` rows of ``dtype`` on ``device``."""

    def __init__(self, xp: Any, columns: dict[str, Any], n: int, device: Any, dtype: Any) -> None:
        self.xp, self.columns, self.n, self.device, self.dtype = xp, columns, n, device, dtype
        self.nan = xp.full((n,), math.nan, dtype=dtype, device=device)
        self.zero = self.const(0.0)
        self.nothing = self.zeros()  # never written to: sums start from it and make new arrays
        self.reports: list[_scorers.OutOfRange] = []

    def const(self, values: Any) -> Any:
        return self.xp.asarray(np.asarray(values).tolist(), dtype=self.dtype, device=self.device)

    def zeros(self, of: Any = None) -> Any:
        return self.xp.zeros((self.n,), dtype=self.dtype if of is None else of, device=self.device)

    def column(self, k: Kernel) -> Any:
        values = self.columns[k.name]
        if k.kind == "scores":
            raise InputError(
                f"column {k.name!r}: {type(k.scorer).__name__} metrics read labels or run Python code, which "
                "array-API (device) inputs cannot carry; pass this column as a NumPy array or list",
                column=k.name,
            )
        if getattr(values, "shape", None) != (self.n,):
            raise InputError(f"column {k.name!r}: expected {self.n} values, got shape {getattr(values, 'shape', None)}")
        x = self.xp.astype(values, self.dtype)
        if k.domain is None:
            return x
        # The rule of ``without_outside``, in array API functions on the device.
        low, high = k.bounds
        outside = (x < low) | (x > high)
        if not bool(self.xp.any(outside)):
            return x
        rows = self.xp.nonzero(outside)[0]
        count = int(rows.shape[0])
        first = [int(r) for r in rows[: min(3, count)]]
        self.reports.append(
            _scorers.OutOfRange(
                column=k.name,
                rule=_scorers.domain_rule(k.domain),
                count=count,
                rows=tuple(first),
                values=tuple(float(values[r]) for r in first),
            )
        )
        return self.xp.where(outside, self.nan, x)


def _xp_dimension(
    on: _XpColumns, layout: Layout, policy: Policy, d_idx: int, metric_scores: list[Any] | None
) -> tuple[Any, Any, Any]:
    """One dimension's sums, as :func:`_chunk_dimension` makes them: ``num``,
    ``den`` and the observed weight. Each metric's reported scores are appended
    to ``metric_scores`` unless it is ``None``."""
    xp = on.xp
    neutral = policy.strategy == "neutral"
    num, den, observed_weight = on.nothing, on.nothing, on.nothing
    for k in layout.kernels[slice(*layout.dim_ranges[d_idx])]:
        s, ok, free_zero = _xp_metric(on, k, policy)
        if metric_scores is not None:
            metric_scores.append(xp.where(ok, s, on.nan))
        weight_if_seen = xp.where(ok, on.const(k.weight), on.zero)
        if neutral:
            num = num + s * k.weight
            den = den + k.weight
            observed_weight = observed_weight + weight_if_seen
        elif free_zero:  # s is exactly 0 where missing
            num = num + s * k.weight
            den = den + weight_if_seen
        else:
            num = num + s * weight_if_seen
            den = den + weight_if_seen
    return num, den, observed_weight if neutral else den


def _xp_metric(on: _XpColumns, k: Kernel, policy: Policy) -> tuple[Any, Any, bool]:
    """Metric ``k``'s scores, which count as observed, and whether a missing
    value's score is exactly 0, applying the missing-data policy (see
    :func:`_metric_chunk`)."""
    xp = on.xp
    fill = _fill(k, policy)
    if k.name not in on.columns:
        s = xp.full((on.n,), fill, dtype=on.dtype, device=on.device)
        ok = xp.zeros((on.n,), dtype=xp.bool, device=on.device)
        free_zero = fill == 0.0
    else:
        x = on.column(k)
        ok = x == x
        if k.kind == "piecewise":
            used_fill = fill if (policy.strategy == "neutral" or k.missing is not None) else None
            s, free_zero = _xp_piecewise(xp, k, x, ok, used_fill, on.const)
        else:
            s, free_zero = _xp_steps(xp, k, x, on.const, on.nan), False
            s = xp.where(ok, s, on.const(fill)) if k.missing is None else s
    if k.missing is not None:
        ok = xp.ones((on.n,), dtype=xp.bool, device=on.device)
    elif policy.strategy == "fail" and not bool(xp.all(ok)):
        raise MissingMetricError(
            f"metric {k.name!r} is missing and the model's missing policy is 'fail'", column=k.name
        )
    return s, ok, free_zero


def _xp_index(xp: Any, x: Any, knots: Sequence[float]) -> Any:
    idx = xp.zeros(x.shape, dtype=xp.int64, device=getattr(x, "device", None))
    for knot in knots:
        idx = idx + xp.astype(x >= knot, xp.int64)
    return idx


def _xp_piecewise(
    xp: Any, k: Kernel, x: Any, ok: Any, fill: float | None, const: Callable[[Any], Any]
) -> tuple[Any, bool]:
    """The same clipped ramps, in the same order, as :meth:`Curve.into`;
    missing values score ``fill``, or when it is ``None`` whatever is cheapest
    (the flag says whether that is exactly 0)."""
    assert k.curve is not None
    curve = k.curve
    to = curve.missing_to_zero() if fill is None else None
    xc = xp.where(ok, x, const(curve.xs[-1] if to == "last" else curve.xs[0]))
    out = None if curve.active else xp.full_like(xc, curve.prefix[0])
    for j in curve.active:  # one ramp alive at a time: device memory stays at a few columns
        ramp = xp.clip(
            (xc - curve.xs[j]) * curve.slopes[j], min=min(curve.deltas[j], 0.0), max=max(curve.deltas[j], 0.0)
        )
        out = curve.prefix[0] + ramp if out is None else out + ramp
    if fill is not None and fill != curve.prefix[0]:
        out = xp.where(ok, out, const(fill))
    return out, to is not None


def _xp_steps(xp: Any, k: Kernel, x: Any, const: Callable[[Any], Any], nan: Any) -> Any:
    s = xp.take(const(k.table), _xp_index(xp, x, k.knots))
    fill = nan if k.missing is None else xp.full_like(s, k.missing)
    return xp.where(xp.isnan(x), fill, s)
