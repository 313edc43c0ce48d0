"""Learned curve shapes: an additive logistic model of one-dimensional shapes.

Each numeric column is cut into fine quantile bins (missing values in a bin of
their own). Cyclic gradient boosting fits one shape function per column on the
churn log-odds scale: each step takes one column's binned gradient and
Hessian and moves it a damped Newton step of a three-leaf tree.

The shape of an ``"auto"`` column (increasing, decreasing, peaked, valley or
free, in health terms: a higher curve means less churn) and the number of
boosting cycles are chosen by cross-validation inside the training data: on
each inner fold (all folds boosted side by side) a free fit is made, and each
column's shape is replaced by its projection onto each candidate shape
(pool-adjacent-violators for monotone shapes, the best rising-then-falling
split for peaked and valley ones) and scored on the held-out rows. The
simplest shape within ``TOLERANCE`` of the best held-out log loss wins.

The final fit boosts free shapes on all rows for the chosen cycles, projects
each onto its shape and polishes for ``POLISH`` cycles, projecting after every
step. Each shape is then simplified to at most ``max_breakpoints`` points of a
piecewise-linear curve (:func:`simplify`) and scaled to 0..100 (:func:`learn`).

NumPy only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from healthscore import _stats

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

SHAPES: tuple[str, ...] = ("increasing", "decreasing", "peaked", "valley", "free")
"""Candidate shapes, simplest first, in health terms (a higher curve = less churn)."""

CONSTRAINTS: Mapping[str, str] = {
    "higher_is_better": "increasing",
    "lower_is_better": "decreasing",
    "peaked": "peaked",
}
"""The user's kinds as shape constraints."""

MAX_BINS = 32
"""Most fine bins per column."""

MIN_BIN = 20
"""Fewest accounts per fine bin (before ties)."""

RATE = 0.2
"""Damping of each Newton step."""

RIDGE = 2.0
"""Ridge on each bin's Newton step, in units of Hessian (about 8 accounts at a 50% rate)."""

MIN_LEAF = 20
"""Fewest accounts on each side of a step's cut."""

MAX_CYCLES = 300
"""Most boosting cycles (each visits every column once)."""

POLISH = 10
"""Boosting cycles with every shape kept, after the free fit is projected onto the chosen shapes."""

PATIENCE = 20
"""Cycles without a better held-out log loss before boosting stops."""

INNER_FOLDS = 3
"""Inner cross-validation folds for the shape and the number of cycles."""

TOLERANCE = 1e-3
"""Held-out log loss per account a simpler shape may lose and still be chosen."""


@attrs.frozen(kw_only=True)
class Binned:
    """One column cut into fine bins.

    Attributes:
        codes: Bin per account; ``len(centres)`` for a missing value.
        centres: Median value of each bin, increasing.
        edges: Upper edge of each bin but the last.
    """

    codes: IntArray
    centres: FloatArray
    edges: FloatArray

    @property
    def size(self) -> int:
        """Bins, the missing bin included."""
        return int(self.centres.size) + 1


def bin_column(x: FloatArray, max_bins: int | None = None, min_bin: int | None = None) -> Binned:
    """Fine quantile bins of one column (each distinct value its own bin when there are few).

    Examples:
        >>> b = bin_column(np.array([1.0, 1.0, 2.0, np.nan, 3.0]), min_bin=1)
        >>> b.codes.tolist(), b.centres.tolist()
        ([0, 0, 1, 3, 2], [1.0, 2.0, 3.0])
    """
    max_bins = MAX_BINS if max_bins is None else max_bins
    min_bin = MIN_BIN if min_bin is None else min_bin
    observed = x[~np.isnan(x)]
    if observed.size == 0:
        return Binned(codes=np.zeros(x.size, dtype=np.intp), centres=np.zeros(0), edges=np.zeros(0))
    values = np.unique(observed)
    bins = max(1, min(max_bins, observed.size // max(min_bin, 1)))
    if values.size <= bins:
        edges = (values[:-1] + values[1:]) / 2.0
    else:
        cuts = np.quantile(observed, np.linspace(0, 1, bins + 1)[1:-1], method="lower")
        edges = np.unique(cuts)
        edges = edges[edges < values[-1]]
    codes_obs = np.searchsorted(edges, observed, side="left")
    count = edges.size + 1
    sums = np.bincount(codes_obs, minlength=count)
    centres = np.array([float(np.median(observed[codes_obs == b])) if sums[b] else np.nan for b in range(count)])
    codes = np.full(x.size, count, dtype=np.intp)
    codes[~np.isnan(x)] = codes_obs
    return Binned(codes=codes, centres=centres, edges=edges)


# --------------------------------------------------------------------------- projections


def _isotonic(f: FloatArray, w: FloatArray, *, increasing: bool) -> FloatArray:
    used = w > 0
    if used.sum() < 2:
        return f.copy()
    out = f.copy()
    vals, wts = f[used], w[used]
    starts = _stats._pava(vals, wts, increasing=increasing)
    out[used] = _stats._block_means(vals, wts, starts)
    return out


def _sse(f: FloatArray, g: FloatArray, w: FloatArray) -> float:
    return float(np.sum(w * (f - g) ** 2))


def _prefix_errors(f: FloatArray, w: FloatArray, *, increasing: bool) -> FloatArray:
    """Weighted squared error of the isotonic fit of every prefix ``f[:s]``, ``s = 0 .. len(f)``.

    One left-to-right pass of pool-adjacent-violators with a stack of blocks,
    each holding its weight, weighted sum and weighted sum of squares.
    """
    sign = 1.0 if increasing else -1.0
    blocks: list[list[float]] = []  # [weight, sum, sum of squares]
    errors = [0.0]
    total = 0.0
    for value, weight in zip((sign * f).tolist(), w.tolist(), strict=True):
        block = [weight, weight * value, weight * value * value]
        while blocks and blocks[-1][0] > 0 and block[0] > 0 and blocks[-1][1] / blocks[-1][0] >= block[1] / block[0]:
            top = blocks.pop()
            total -= top[2] - top[1] ** 2 / top[0]
            block = [top[0] + block[0], top[1] + block[1], top[2] + block[2]]
        blocks.append(block)
        if block[0] > 0:
            total += block[2] - block[1] ** 2 / block[0]
        errors.append(total)
    return np.array(errors)


def _unimodal(f: FloatArray, w: FloatArray, *, peak: bool) -> FloatArray:
    """Best fit rising then falling (``peak``) or falling then rising, over every split."""
    rising = _prefix_errors(f, w, increasing=peak)
    falling = _prefix_errors(f[::-1], w[::-1], increasing=peak)[::-1]
    split = int(np.argmin(rising + falling))
    left = _isotonic(f[:split], w[:split], increasing=peak) if split else f[:0]
    right = _isotonic(f[split:], w[split:], increasing=not peak) if split < f.size else f[:0]
    return np.asarray(np.r_[left, right], dtype=np.float64)


def project(health: FloatArray, w: FloatArray, shape: str) -> FloatArray:
    """The closest shape (weighted least squares) of a health curve over ordered bins.

    Examples:
        >>> project(np.array([0.0, 2.0, 1.0, 3.0]), np.ones(4), "increasing").tolist()
        [0.0, 1.5, 1.5, 3.0]
        >>> project(np.array([0.0, 2.0, 1.0, 3.0]), np.ones(4), "free").tolist()
        [0.0, 2.0, 1.0, 3.0]
    """
    if shape == "increasing":
        return _isotonic(health, w, increasing=True)
    if shape == "decreasing":
        return _isotonic(health, w, increasing=False)
    if shape in ("peaked", "valley"):
        return _unimodal(health, w, peak=shape == "peaked")
    return health.copy()


# --------------------------------------------------------------------------- boosting


def _binned_sums(codes: IntArray, weights: FloatArray, size: int) -> FloatArray:
    """Sum of ``weights`` per bin."""
    return np.asarray(np.bincount(codes, weights=weights, minlength=size), dtype=np.float64)


def _log_loss(y: FloatArray, logit: FloatArray) -> float:
    """Mean log loss of log-odds ``logit`` (computed stably)."""
    return float(np.mean(np.logaddexp(0.0, logit) - y * logit))


@attrs.frozen(kw_only=True)
class Additive:
    """A fitted additive model: churn log-odds = intercept + sum of shapes.

    Attributes:
        intercept: Log-odds of churn with every shape at 0.
        churn: Per column, the churn log-odds contribution of each bin (missing last).
        counts: Per column, training accounts per bin (missing last).
        cycles: Boosting cycles run.
    """

    intercept: float
    churn: tuple[FloatArray, ...]
    counts: tuple[FloatArray, ...]
    cycles: int

    def logit(self, columns: Sequence[Binned], rows: Any = None) -> FloatArray:
        """Fitted log-odds of churn for ``rows`` (default: all)."""
        out: FloatArray | None = None
        for b, f in zip(columns, self.churn, strict=True):
            codes = b.codes if rows is None else b.codes[rows]
            part = f[codes]
            out = part.copy() if out is None else out + part
        assert out is not None
        return out + self.intercept


def _score(g: FloatArray, h: FloatArray) -> FloatArray:
    return np.asarray(g**2 / (h + RIDGE), dtype=np.float64)


def _leaves(g: FloatArray, h: FloatArray, n: FloatArray) -> IntArray:
    """Leaf of each ordered bin, per row, for a tree of at most three leaves (two cuts).

    ``g``, ``h`` and ``n`` are (fits, bins): gradient, Hessian and accounts per
    bin. The first cut maximises the Newton gain; the second is the better of
    the best cut left of it and the best cut right of it. Every leaf keeps at
    least ``MIN_LEAF`` accounts.
    """
    rows, bins = g.shape
    leaf = np.zeros((rows, bins), dtype=np.intp)
    if bins < 2:
        return leaf
    cg, ch, cn = (np.cumsum(a, axis=1) for a in (g, h, n))
    gl, hl, nl = cg[:, :-1], ch[:, :-1], cn[:, :-1]  # left of cut c = 1 .. bins - 1
    gt, ht, nt = cg[:, -1:], ch[:, -1:], cn[:, -1:]
    gains = _score(gl, hl) + _score(gt - gl, ht - hl) - _score(gt, ht)
    gains[(nl < MIN_LEAF) | (nt - nl < MIN_LEAF)] = -np.inf
    first = np.argmax(gains, axis=1)
    ok = gains[np.arange(rows), first] > 0
    r = np.arange(rows)
    gs, hs, ns = gl[r, first][:, None], hl[r, first][:, None], nl[r, first][:, None]
    cut = np.arange(bins - 1)[None, :]
    left = _score(gl, hl) + _score(gs - gl, hs - hl) - _score(gs, hs)
    left[(cut >= first[:, None]) | (nl < MIN_LEAF) | (ns - nl < MIN_LEAF)] = -np.inf
    right = _score(gl - gs, hl - hs) + _score(gt - gl, ht - hl) - _score(gt - gs, ht - hs)
    right[(cut <= first[:, None]) | (nl - ns < MIN_LEAF) | (nt - nl < MIN_LEAF)] = -np.inf
    both = np.concatenate([left, right], axis=1)
    second = np.argmax(both, axis=1)
    has_second = ok & (both[r, second] > 0)
    second_cut = (second % (bins - 1)) + 1
    position = np.arange(bins)[None, :]
    leaf += (position >= (first + 1)[:, None]) & ok[:, None]
    leaf += (position >= second_cut[:, None]) & has_second[:, None]
    return leaf


def _tree_steps(g: FloatArray, h: FloatArray, counts: FloatArray) -> FloatArray:
    """Newton values of a three-leaf tree over ordered bins, per row; the missing bin (last) its own leaf."""
    rows, size = g.shape
    leaf = _leaves(g[:, :-1], h[:, :-1], counts[:, :-1]) + 3 * np.arange(rows)[:, None]
    lg = np.bincount(leaf.reshape(-1), weights=g[:, :-1].reshape(-1), minlength=3 * rows)
    lh = np.bincount(leaf.reshape(-1), weights=h[:, :-1].reshape(-1), minlength=3 * rows)
    step = np.empty((rows, size))
    step[:, :-1] = (lg / (lh + RIDGE))[leaf]
    step[:, -1] = g[:, -1] / (h[:, -1] + RIDGE)
    return step


@attrs.frozen(kw_only=True)
class _Stack:
    """Several fits on different rows, run side by side: fold ``k``'s bins are offset by ``k * size``."""

    codes: tuple[IntArray, ...]
    y: FloatArray
    fold: IntArray
    folds: int

    @classmethod
    def of(cls, columns: Sequence[Binned], y: FloatArray, masks: Sequence[Any]) -> _Stack:
        rows = [np.flatnonzero(m) for m in masks]
        idx = np.concatenate(rows)
        fold = np.repeat(np.arange(len(rows), dtype=np.intp), [r.size for r in rows])
        codes = tuple(b.codes[idx] + fold * b.size for b in columns)
        return cls(codes=codes, y=y[idx], fold=fold, folds=len(rows))


def _rates(stack: _Stack) -> FloatArray:
    events = np.bincount(stack.fold, weights=stack.y, minlength=stack.folds)
    totals = np.bincount(stack.fold, minlength=stack.folds)
    rate = np.clip(events / np.maximum(totals, 1), 1e-6, 1 - 1e-6)
    return np.asarray(np.log(rate / (1 - rate)), dtype=np.float64)


def boost(
    columns: Sequence[Binned],
    y: FloatArray,
    *,
    train: Sequence[Any] | None = None,
    test: Sequence[Any] | None = None,
    cycles: int | None = None,
    start: Additive | None = None,
    shapes: Sequence[str] | None = None,
) -> tuple[list[Additive], FloatArray]:
    """Cyclic boosting of one free shape per column, on one or more sets of rows side by side.

    Args:
        columns: The binned columns (all accounts).
        y: 0/1 churn per account.
        train: One mask of accounts per fit (default: one fit on all).
        test: One mask of held-out accounts per fit, scored after every cycle;
            boosting stops when their pooled log loss has not improved for
            ``PATIENCE`` cycles, and each fit is taken at the best cycle.
        cycles: Most boosting cycles (default ``MAX_CYCLES``).
        start: A fit to continue from (one set of rows only).
        shapes: Each column's shape, kept by projection after every step (default: all free).

    Returns:
        One fit per mask, and the pooled held-out log loss after each cycle
        (empty without ``test``).
    """
    cycles = MAX_CYCLES if cycles is None else cycles
    masks = [np.ones(y.size, dtype=bool)] if train is None else list(train)
    fit_rows = _Stack.of(columns, y, masks)
    k = fit_rows.folds
    sizes = [b.size for b in columns]
    counts = [
        np.bincount(c, minlength=k * n).astype(np.float64).reshape(k, n)
        for c, n in zip(fit_rows.codes, sizes, strict=True)
    ]
    intercept = _rates(fit_rows)
    churn = [np.zeros((k, n)) for n in sizes]
    if start is not None:
        intercept = np.array([start.intercept])
        churn = [f[None, :].copy() for f in start.churn]
    logit = intercept[fit_rows.fold] + sum(
        (c.reshape(-1)[codes] for c, codes in zip(churn, fit_rows.codes, strict=True)), np.zeros(fit_rows.y.size)
    )
    held = None if test is None else _Stack.of(columns, y, list(test))
    held_logit = None if held is None else intercept[held.fold]
    losses: list[float] = []
    best: tuple[float, int, list[FloatArray], FloatArray] | None = None
    for cycle in range(cycles):
        for j, n in enumerate(sizes):
            p = 1.0 / (1.0 + np.exp(-logit))
            g = _binned_sums(fit_rows.codes[j], fit_rows.y - p, k * n).reshape(k, n)
            h = _binned_sums(fit_rows.codes[j], p * (1.0 - p), k * n).reshape(k, n)
            new = churn[j] + _tree_steps(g, h, counts[j]) * RATE
            if shapes is not None and shapes[j] != "free":
                for i in range(k):
                    new[i, :-1] = -project(-new[i, :-1], counts[j][i, :-1], shapes[j])
            shift = np.sum(new * counts[j], axis=1) / np.maximum(counts[j].sum(axis=1), 1.0)
            new -= shift[:, None]
            delta = (new - churn[j] + shift[:, None]).reshape(-1)
            churn[j] = new
            intercept = intercept + shift
            logit += delta[fit_rows.codes[j]]
            if held is not None and held_logit is not None:
                held_logit += delta[held.codes[j]]
        if held is None or held_logit is None:
            continue
        losses.append(_log_loss(held.y, held_logit))
        if best is None or losses[-1] < best[0]:
            best = (losses[-1], cycle + 1, list(churn), intercept.copy())
        elif cycle + 1 - best[1] >= PATIENCE:
            break
    ran = cycles
    if best is not None:
        _, ran, churn, intercept = best
    fits = [
        Additive(
            intercept=float(intercept[i]),
            churn=tuple(c[i].copy() for c in churn),
            counts=tuple(c[i].copy() for c in counts),
            cycles=ran,
        )
        for i in range(k)
    ]
    return fits, np.array(losses)


def with_shapes(fit: Additive, shapes: Sequence[str]) -> Additive:
    """The fit with each column's shape projected onto its chosen shape (re-centred into the intercept)."""
    churn: list[FloatArray] = []
    intercept = fit.intercept
    for f, counts, shape in zip(fit.churn, fit.counts, shapes, strict=True):
        g = f.copy()
        g[:-1] = -project(-f[:-1], counts[:-1], shape)
        shift = float(np.dot(g, counts) / max(counts.sum(), 1.0))
        churn.append(g - shift)
        intercept += shift
    return attrs.evolve(fit, churn=tuple(churn), intercept=intercept)


# --------------------------------------------------------------------------- choosing shapes


@attrs.frozen(kw_only=True)
class Choice:
    """Each column's chosen shape, with the evidence.

    Attributes:
        shapes: The chosen shape per column.
        losses: Per column, the inner cross-validated log loss of each candidate shape.
        cycles: The number of boosting cycles chosen.
    """

    shapes: tuple[str, ...]
    losses: tuple[dict[str, float], ...]
    cycles: int


def choose(columns: Sequence[Binned], y: FloatArray, constraints: Sequence[str], *, seed: int = 0) -> Choice:
    """Choose the shape of each ``"auto"`` column, and the boosting cycles, by inner cross-validation.

    A free fit is made on each inner fold (all folds side by side); each
    column's shape is then replaced by its projection onto each candidate and
    scored on the held-out rows. An ``"auto"`` column takes the simplest shape
    within ``TOLERANCE`` of the best; a column with a kind keeps it, with its
    log loss and the free shape's reported beside it.
    """
    folds = _stats.stratified_folds(y, INNER_FOLDS, seed)
    fits, _ = boost(
        columns, y, train=[folds != k for k in range(INNER_FOLDS)], test=[folds == k for k in range(INNER_FOLDS)]
    )
    held = [(fit, folds == k, fit.logit(columns, folds == k)) for k, fit in enumerate(fits)]
    losses_by_column: list[dict[str, float]] = []
    shapes: list[str] = []
    for j, constraint in enumerate(constraints):
        fixed = CONSTRAINTS.get(constraint)
        options = SHAPES if fixed is None else (fixed, "free")
        loss = {s: _held_out_loss(columns, y, held, j, s) for s in options}
        losses_by_column.append(loss)
        if fixed is None:
            lowest = min(loss.values())
            shapes.append(next(s for s in SHAPES if loss[s] <= lowest + TOLERANCE))
        else:
            shapes.append(fixed)
    return Choice(shapes=tuple(shapes), losses=tuple(losses_by_column), cycles=fits[0].cycles)


def _held_out_loss(
    columns: Sequence[Binned], y: FloatArray, held: list[tuple[Additive, Any, FloatArray]], j: int, shape: str
) -> float:
    """Log loss over every inner fold's held-out rows with column ``j``'s shape projected onto ``shape``.

    ``held`` holds each inner fit, its held-out mask and its log-odds there.
    """
    total = 0.0
    for fit, test, logit in held:
        f, counts = fit.churn[j], fit.counts[j]
        g = f.copy()
        if shape != "free":
            g[:-1] = -project(-f[:-1], counts[:-1], shape)
        total += _log_loss(y[test], logit + (g - f)[columns[j].codes[test]]) * float(np.sum(test))
    return total / y.size


def fit_additive(
    columns: Sequence[Binned], y: FloatArray, constraints: Sequence[str], *, seed: int = 0
) -> tuple[Additive, Choice]:
    """Choose the shapes and cycles by inner cross-validation, then fit on all rows and project."""
    choice = choose(columns, y, constraints, seed=seed)
    fits, _ = boost(columns, y, cycles=choice.cycles)
    polished, _ = boost(columns, y, cycles=POLISH, start=with_shapes(fits[0], choice.shapes), shapes=choice.shapes)
    return polished[0], choice


# --------------------------------------------------------------------------- simplification


def _hats(xs: FloatArray, knots: FloatArray) -> FloatArray:
    """Piecewise-linear basis: column ``k`` is 1 at knot ``k``, 0 at the others, clamped outside.

    Examples:
        >>> _hats(np.array([-1.0, 0.5, 3.0]), np.array([0.0, 1.0, 2.0])).tolist()
        [[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 1.0]]
    """
    out = np.zeros((xs.size, knots.size))
    if knots.size == 1:
        out[:] = 1.0
        return out
    pos = np.clip(np.searchsorted(knots, xs, side="right") - 1, 0, knots.size - 2)
    t = np.clip((xs - knots[pos]) / (knots[pos + 1] - knots[pos]), 0.0, 1.0)
    rows = np.arange(xs.size)
    out[rows, pos] = 1.0 - t
    out[rows, pos + 1] += t
    return out


def _least_squares(
    xs: FloatArray, hs: FloatArray, ws: FloatArray, sets: Sequence[Sequence[int]]
) -> tuple[FloatArray, FloatArray]:
    """Knot values of the weighted least-squares piecewise-linear fit through knots ``xs[set]``, for
    each of several knot sets of one size, and each fit's weighted squared error."""
    bases = np.stack([_hats(xs, xs[list(chosen)]) for chosen in sets])  # (sets, bins, knots)
    weighted = bases * ws[None, :, None]
    gram = np.einsum("cbk,cbl->ckl", weighted, bases) + 1e-12 * np.eye(bases.shape[2])
    values = np.linalg.solve(gram, np.einsum("cbk,b->ck", weighted, hs)[..., None])[..., 0]
    errors = np.einsum("cbk,ck->cb", bases, values) - hs[None, :]
    return np.asarray(values, dtype=np.float64), np.asarray((errors**2 * ws[None, :]).sum(axis=1), dtype=np.float64)


def simplify(
    x: FloatArray, health: FloatArray, w: FloatArray, max_points: int, shape: str = "free"
) -> tuple[IntArray, FloatArray]:
    """At most ``max_points`` knots (bin indices) and their values: the piecewise-linear curve closest to ``health``.

    Greedy: start from the two end bins and add, one at a time, the knot whose
    weighted least-squares refit lowers the weighted squared error most; stop
    at ``max_points`` or when no knot helps. The values are refitted by least
    squares, not read off the shape, so few knots follow it closely, and
    projected back onto ``shape`` (a refit may bend a monotone curve slightly).

    Examples:
        >>> x = np.arange(5.0)
        >>> knots, values = simplify(x, np.array([0.0, 1.0, 2.0, 1.0, 0.0]), np.ones(5), 3)
        >>> knots.tolist(), np.round(values, 6).tolist()
        ([0, 2, 4], [0.0, 2.0, 0.0])
    """
    used = np.flatnonzero(w > 0)
    if used.size <= 2 or used.size <= max_points:
        return used, health[used].astype(np.float64)
    xs, hs, ws = x[used], health[used], w[used]
    chosen = [0, used.size - 1]
    fitted, errors = _least_squares(xs, hs, ws, [chosen])
    values, err = fitted[0], float(errors[0])
    while len(chosen) < max_points and err > 1e-12:
        sets = [sorted([*chosen, c]) for c in range(used.size) if c not in chosen]
        fitted, errors = _least_squares(xs, hs, ws, sets)
        best = int(np.argmin(errors))
        if errors[best] >= err:
            break
        chosen, values, err = sets[best], fitted[best], float(errors[best])
    mass = _hats(xs, xs[chosen]).T @ ws
    return used[np.array(chosen, dtype=np.intp)], project(values, np.maximum(mass, 1e-12), shape)


def _readable(xs: FloatArray) -> FloatArray:
    """Breakpoints rounded to three significant digits where that keeps them strictly increasing."""
    with np.errstate(divide="ignore", invalid="ignore"):
        digits = np.where(xs == 0, 0, 2 - np.floor(np.log10(np.abs(xs)))).astype(int)
    rounded = np.array([round(float(v), int(d)) for v, d in zip(xs, digits, strict=True)])
    return rounded if rounded.size < 2 or bool(np.all(np.diff(rounded) > 0)) else xs


# --------------------------------------------------------------------------- learning columns


@attrs.frozen(kw_only=True)
class Learned:
    """One column's learned shape, as a curve.

    Attributes:
        shape: The chosen shape (``SHAPES``).
        losses: Inner cross-validated log loss of each candidate shape.
        edges: Fine bin edges (upper edge of each bin but the last).
        counts: Accounts per fine bin.
        churn_rates: Churn rate per fine bin.
        health: The learned shape per fine bin, churn log-odds lowered (higher = healthier).
        points: The simplified curve's ``(x, score)`` breakpoints, scores 0..100.
        missing: Score (0..100) of a missing value, or ``None`` when too few were seen.
        missing_count: Accounts with a missing value.
        span: Log-odds of churn between the curve's 0 and 100.
        simplification: In-sample log loss increase from simplifying this column's shape.
        iv: Information value of the fine bins.
    """

    shape: str
    losses: tuple[tuple[str, float], ...]
    edges: tuple[float, ...]
    counts: tuple[int, ...]
    churn_rates: tuple[float, ...]
    health: tuple[float, ...]
    points: tuple[tuple[float, float], ...]
    missing: float | None
    missing_count: int
    span: float
    simplification: float
    iv: float


@attrs.frozen(kw_only=True)
class Learning:
    """What :func:`learn` fitted.

    Attributes:
        columns: Column -> its learned curve.
        cycles: Boosting cycles (chosen by inner cross-validation).
        log_loss: In-sample log loss of the fine shapes and of the simplified curves.
        auc: In-sample AUC of the fine shapes and of the simplified curves.
    """

    columns: Mapping[str, Learned]
    cycles: int
    log_loss: tuple[float, float]
    auc: tuple[float, float]


def _curve(
    binned: Binned, health: FloatArray, weights: FloatArray, max_points: int, shape: str
) -> tuple[FloatArray, FloatArray]:
    """The simplified curve's breakpoints (x, log-odds health) and its value at each fine bin."""
    keep, hs = simplify(binned.centres, health[:-1], weights[:-1], max_points, shape)
    xs = binned.centres[keep]
    at_bins = np.interp(binned.centres, xs, hs) if xs.size else np.zeros(binned.centres.size)
    return np.column_stack([xs, hs]), np.r_[at_bins, health[-1]]


def _scaled(
    binned: Binned,
    fit: Additive,
    j: int,
    y: FloatArray,
    hess: FloatArray,
    shape: str,
    min_missing: float,
    max_points: int,
) -> tuple[Learned, FloatArray]:
    counts = fit.counts[j]
    health = -fit.churn[j]
    curve, at_bins = _curve(binned, health, _binned_sums(binned.codes, hess, binned.size), max_points, shape)
    missing_count = int(counts[-1])
    has_missing = missing_count >= max(min_missing, 1.0)
    values = np.r_[curve[:, 1], health[-1]] if has_missing else curve[:, 1]
    lo, hi = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
    span = hi - lo
    scale = 100.0 / span if span > 1e-9 else 0.0
    scores = np.round((curve[:, 1] - lo) * scale, 2) if span > 1e-9 else np.full(curve.shape[0], 50.0)
    missing = float(np.round((health[-1] - lo) * scale, 2)) if has_missing and span > 1e-9 else None
    codes = binned.codes
    observed = codes < binned.centres.size
    events = np.bincount(codes[observed], weights=y[observed], minlength=binned.centres.size)
    totals = counts[:-1]
    info = (
        _stats.information_value(codes[observed], y[observed], n_bins=binned.centres.size) if observed.any() else None
    )
    learned = Learned(
        shape=shape,
        losses=(),
        edges=tuple(binned.edges.tolist()),
        counts=tuple(int(c) for c in totals),
        churn_rates=tuple((events / np.maximum(totals, 1)).tolist()),
        health=tuple(health[:-1].tolist()),
        points=tuple(zip(_readable(curve[:, 0]).tolist(), scores.tolist(), strict=True)),
        missing=missing,
        missing_count=missing_count,
        span=span,
        simplification=0.0,
        iv=float(info.iv) if info is not None else 0.0,
    )
    return learned, at_bins


def learn(
    columns: Mapping[str, FloatArray],
    y: FloatArray,
    *,
    constraints: Mapping[str, str] | None = None,
    max_breakpoints: int = 8,
    min_missing: float = 1.0,
    seed: int = 0,
) -> Learning:
    """Learn every column's shape in one additive fit and simplify each to a curve.

    Args:
        columns: Column -> values (NaN for missing).
        y: 0/1 churn per account.
        constraints: Column -> ``"auto"`` (the default) or a kind it must keep.
        max_breakpoints: Most breakpoints per curve.
        min_missing: Fewest missing values for a missing value to get its own score.
        seed: Seed of the inner folds.

    Returns:
        Each column's curve, with the shapes' evidence and the simplification's cost.

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> x = rng.uniform(0, 10, 3000)
        >>> y = (rng.random(3000) < 0.05 + 0.5 * (np.abs(x - 5) > 3)).astype(float)
        >>> learn({"x": x}, y).columns["x"].shape
        'peaked'
    """
    names = list(columns)
    kinds = dict(constraints or {})
    binned = [bin_column(np.asarray(columns[c], dtype=np.float64)) for c in names]
    fit, choice = fit_additive(binned, y, [kinds.get(c, "auto") for c in names], seed=seed)
    fine = fit.logit(binned)
    p = 1.0 / (1.0 + np.exp(-fine))
    hess = p * (1.0 - p)
    simple = fine.copy()
    out: dict[str, Learned] = {}
    for j, name in enumerate(names):
        learned, at_bins = _scaled(binned[j], fit, j, y, hess, choice.shapes[j], min_missing, max_breakpoints)
        change = (-at_bins - fit.churn[j])[binned[j].codes]
        alone = _log_loss(y, fine + change) - _log_loss(y, fine)
        simple += change
        out[name] = attrs.evolve(learned, losses=tuple(choice.losses[j].items()), simplification=float(alone))
    return Learning(
        columns=out,
        cycles=choice.cycles,
        log_loss=(_log_loss(y, fine), _log_loss(y, simple)),
        auc=(_stats.roc_auc(y, fine), _stats.roc_auc(y, simple)),
    )
