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

from collections.abc import Collection, Mapping, Sequence
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

LABEL_RIDGE = 32.0
"""Ridge on each label's log-odds of a categorical column, in units of Hessian
(about 128 accounts at a 50% churn rate, 250 at 15%): a label's effect is
shrunk toward the column's mean, by half where its accounts' Hessian is
``LABEL_RIDGE``, so a label with few churned or few retained accounts moves
the score little. A numeric bin needs none: a tree step is shared by the
bins of its leaf, at least ``MIN_LEAF`` accounts."""

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
    """One column cut into fine bins (a numeric column) or one bin per label (a categorical one).

    Attributes:
        codes: Bin per account; ``len(centres)`` for a missing value.
        centres: Median value of each bin, increasing (a categorical
            column's bin positions, which carry no order).
        edges: Upper edge of each bin but the last (empty for a categorical column).
        labels: A categorical column's bin names, ``POOLED`` last when rare
            labels were pooled; empty for a numeric column.
        pooled: The labels pooled into the ``POOLED`` bin.
        tied: Bins whose fact another column holds (see :func:`find_ties`):
            kept at the mean of the column's other bins, the column's neutral
            score, so the fact is fitted once.
    """

    codes: IntArray
    centres: FloatArray
    edges: FloatArray
    labels: tuple[str, ...] = ()
    pooled: tuple[str, ...] = ()
    tied: tuple[int, ...] = ()

    @property
    def size(self) -> int:
        """Bins, the missing bin included."""
        return int(self.centres.size) + 1

    @property
    def ordered(self) -> bool:
        """Whether the bins are ordered (a numeric column)."""
        return not self.labels


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


POOLED = "(other)"
"""The bin of a categorical column's rare labels."""


def bin_labels(labels: Sequence[str], min_count: float) -> Binned:
    """One bin per label (case-insensitively, blank for missing) seen at least
    ``min_count`` times; the rarer labels pooled into one ``POOLED`` bin.

    Examples:
        >>> b = bin_labels(["pro", "Pro", "basic", "gold", ""], min_count=2)
        >>> b.labels, b.pooled, b.codes.tolist()
        (('pro', '(other)'), ('basic', 'gold'), [0, 0, 1, 1, 2])
    """
    keys = np.array([label.casefold() for label in labels], dtype=np.str_)
    present = np.flatnonzero(keys != "")
    found, first, inverse, counts = np.unique(keys[present], return_index=True, return_inverse=True, return_counts=True)
    names = [labels[int(present[i])] for i in first]
    own = counts >= max(min_count, 1.0)
    order = np.flatnonzero(own)
    bins = np.full(found.size, order.size, dtype=np.intp)  # rare labels: the pooled bin
    bins[order] = np.arange(order.size)
    pooled = tuple(names[i] for i in np.flatnonzero(~own))
    count = order.size + (1 if pooled else 0)
    codes = np.full(len(labels), count, dtype=np.intp)
    codes[present] = bins[inverse.reshape(-1)]
    return Binned(
        codes=codes,
        centres=np.arange(count, dtype=np.float64),
        edges=np.zeros(0),
        labels=(*(names[i] for i in order), *((POOLED,) if pooled else ())),
        pooled=pooled,
    )


# --------------------------------------------------------------------------- one fact in several columns

OVERLAP = 0.99
"""Smallest overlap (shared accounts over the accounts of either) at which two
columns' labels are one fact (see :func:`find_ties`)."""


@attrs.frozen(kw_only=True)
class Tie:
    """A bin of one column holding (nearly) the same accounts as a bin of an earlier column.

    Attributes:
        column: The column whose bin is tied (index into the columns).
        bin: Its bin (the last one: a missing value).
        other: The earlier column that fits the fact (index).
        other_bin: Its bin.
        accounts: Accounts in the tied bin.
        overlap: Shared accounts over the accounts of either bin.
    """

    column: int
    bin: int
    other: int
    other_bin: int
    accounts: int
    overlap: float


def _indicators(b: Binned) -> IntArray:
    """The bins that can hold a fact: every bin of a categorical column, the missing bin of a numeric one."""
    return np.arange(b.size, dtype=np.intp) if not b.ordered else np.array([b.size - 1], dtype=np.intp)


def find_ties(columns: Sequence[Binned], min_count: float, overlap: float = OVERLAP) -> list[Tie]:
    """Bins that repeat a fact an earlier column already holds.

    A bin (a label, or a missing value) of at least ``min_count`` accounts
    whose accounts overlap those of a bin of an earlier column by ``overlap``
    or more (shared accounts over the accounts of either) repeats that
    column's fact: the fact is fitted in the first column that holds it, and
    the bin is tied there. The bins an earlier column ties are not matched again.

    Examples:
        >>> internet = bin_labels(["dsl", "fibre", "fibre", "no", "no"], min_count=1)
        >>> backup = bin_labels(["yes", "no", "yes", "no internet", "no internet"], min_count=1)
        >>> ties = find_ties([internet, backup], 1)
        >>> [(t.column, backup.labels[t.bin], t.other, internet.labels[t.other_bin]) for t in ties]
        [(1, 'no internet', 0, 'no')]
    """
    ties: list[Tie] = []
    counts = [np.bincount(b.codes, minlength=b.size) for b in columns]
    for j, b in enumerate(columns):
        tied: set[int] = set()
        for i in range(j):
            a = columns[i]
            taken = {t.bin for t in ties if t.column == i}
            joint = np.bincount(a.codes * b.size + b.codes, minlength=a.size * b.size).reshape(a.size, b.size)
            for bb in _indicators(b).tolist():
                if bb in tied or counts[j][bb] < max(min_count, 1.0):
                    continue
                for ab in _indicators(a).tolist():
                    if ab in taken or counts[i][ab] < max(min_count, 1.0):
                        continue
                    shared = float(joint[ab, bb])
                    share = shared / float(counts[i][ab] + counts[j][bb] - shared)
                    if share >= overlap:
                        ties.append(
                            Tie(column=j, bin=bb, other=i, other_bin=ab, accounts=int(counts[j][bb]), overlap=share)
                        )
                        tied.add(bb)
                        break
    return ties


def _tie(f: FloatArray, counts: FloatArray, tied: Sequence[int]) -> FloatArray:
    """``f`` (fits, bins) with the ``tied`` bins at the count-weighted mean of the other bins."""
    free = np.ones(f.shape[1], dtype=bool)
    free[list(tied)] = False
    weight = counts[:, free].sum(axis=1)
    mean = np.sum(f[:, free] * counts[:, free], axis=1) / np.maximum(weight, 1.0)
    out = f.copy()
    out[:, list(tied)] = mean[:, None]
    return out


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
            steps = (
                _tree_steps(g, h, counts[j])
                if columns[j].ordered
                else (g - LABEL_RIDGE * churn[j]) / (h + LABEL_RIDGE + RIDGE)
            )
            new = churn[j] + steps * RATE
            if shapes is not None and shapes[j] != "free":
                for i in range(k):
                    new[i, :-1] = -project(-new[i, :-1], counts[j][i, :-1], shapes[j])
            if columns[j].tied:
                new = _tie(new, counts[j], columns[j].tied)
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


def choose(
    columns: Sequence[Binned], y: FloatArray, constraints: Sequence[str], *, seed: int = 0, groups: Any = None
) -> Choice:
    """Choose the shape of each ``"auto"`` column, and the boosting cycles, by inner cross-validation.

    A free fit is made on each inner fold (all folds side by side); each
    column's shape is then replaced by its projection onto each candidate and
    scored on the held-out rows. An ``"auto"`` column takes the simplest shape
    within ``TOLERANCE`` of the best; a column with a kind keeps it, with its
    log loss and the free shape's reported beside it. A categorical column's
    labels are unordered: its shape is ``"free"``, with no candidates.
    With ``groups`` (the account of each row), an account's rows share an inner fold.
    """
    folds = _stats.stratified_folds(y, INNER_FOLDS, seed, groups=groups)
    fits, _ = boost(
        columns, y, train=[folds != k for k in range(INNER_FOLDS)], test=[folds == k for k in range(INNER_FOLDS)]
    )
    held = [(fit, folds == k, fit.logit(columns, folds == k)) for k, fit in enumerate(fits)]
    losses_by_column: list[dict[str, float]] = []
    shapes: list[str] = []
    for j, constraint in enumerate(constraints):
        if not columns[j].ordered:
            losses_by_column.append({})
            shapes.append("free")
            continue
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
    columns: Sequence[Binned], y: FloatArray, constraints: Sequence[str], *, seed: int = 0, groups: Any = None
) -> tuple[Additive, Choice]:
    """Choose the shapes and cycles by inner cross-validation, then fit on all rows and project."""
    choice = choose(columns, y, constraints, seed=seed, groups=groups)
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
class LearnedTable:
    """One categorical column's learned scores, as a table.

    Attributes:
        labels: The bins' names, ``POOLED`` last when rare labels were pooled.
        counts: Accounts per bin.
        churn_rates: Churn rate per bin.
        scores: Score (0..100) per bin.
        table: Every label seen in training and its score (a pooled label the pooled bin's).
        missing: Score of a missing label, or ``None`` when too few were seen.
        unknown: Score of a label never seen in training: the pooled bin's
            when rare labels were pooled, else the column's neutral score (that
            of its average training account).
        span: Log-odds of churn between the table's 0 and 100.
        iv: Information value of the bins.
    """

    labels: tuple[str, ...]
    counts: tuple[int, ...]
    churn_rates: tuple[float, ...]
    scores: tuple[float, ...]
    table: tuple[tuple[str, float], ...]
    missing: float | None
    unknown: float
    span: float
    iv: float


MISSING = "(missing)"
"""How a missing value reads where a fact is named."""


@attrs.frozen(kw_only=True)
class Repeat:
    """A label (or a missing value) of one column that repeats a fact another column fits.

    Attributes:
        column: The column that repeats it (its label scores the column's neutral score).
        label: Its label, ``MISSING`` for a missing value.
        other: The column that fits the fact (the first holding it, in the columns' order).
        other_label: Its label there.
        accounts: Accounts with the repeated label.
        overlap: Shared accounts over the accounts of either.
    """

    column: str
    label: str
    other: str
    other_label: str
    accounts: int
    overlap: float


@attrs.frozen(kw_only=True)
class Learning:
    """What :func:`learn` fitted.

    Attributes:
        columns: Column -> its learned curve (a numeric column) or table (a categorical one).
        cycles: Boosting cycles (chosen by inner cross-validation).
        log_loss: In-sample log loss of the fine shapes and of the simplified curves.
        auc: In-sample AUC of the fine shapes and of the simplified curves.
        repeats: The labels that repeat a fact another column fits (:func:`find_ties`).
    """

    columns: Mapping[str, Learned | LearnedTable]
    cycles: int
    log_loss: tuple[float, float]
    auc: tuple[float, float]
    repeats: tuple[Repeat, ...] = ()


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


def _table(binned: Binned, fit: Additive, j: int, y: FloatArray, min_missing: float) -> LearnedTable:
    """A categorical column's learned log-odds per label, scaled to 0..100."""
    counts = fit.counts[j]
    health = -fit.churn[j]
    has_missing = counts[-1] >= max(min_missing, 1.0)
    seen = counts > 0
    seen[-1] = seen[-1] and has_missing
    lo, hi = float(health[seen].min()), float(health[seen].max())
    span = hi - lo
    scale = 100.0 / span if span > 1e-9 else 0.0
    scores = np.clip(np.round((health - lo) * scale, 2), 0.0, 100.0) if span > 1e-9 else np.full(health.size, 50.0)
    neutral = float(np.clip(np.round(-lo * scale, 2), 0.0, 100.0)) if span > 1e-9 else 50.0  # the shapes are centred
    own = [label for label in binned.labels if label != POOLED]
    pooled = float(scores[len(own)]) if binned.pooled else None
    observed = binned.codes < binned.centres.size
    events = np.bincount(binned.codes[observed], weights=y[observed], minlength=binned.centres.size)
    info = _stats.information_value(binned.codes[observed], y[observed], n_bins=binned.centres.size)
    return LearnedTable(
        labels=binned.labels,
        counts=tuple(int(c) for c in counts[:-1]),
        churn_rates=tuple((events / np.maximum(counts[:-1], 1)).tolist()),
        scores=tuple(float(v) for v in scores[:-1]),
        table=(
            *((label, float(scores[b])) for b, label in enumerate(own)),
            *((label, pooled) for label in binned.pooled if pooled is not None),
        ),
        missing=float(scores[-1]) if has_missing and span > 1e-9 else None,
        unknown=neutral if pooled is None else pooled,
        span=span,
        iv=float(info.iv),
    )


def _repeats(names: Sequence[str], binned: Sequence[Binned], ties: Sequence[Tie]) -> tuple[Repeat, ...]:
    def label(b: Binned, code: int) -> str:
        return MISSING if code == b.size - 1 else b.labels[code]

    return tuple(
        Repeat(
            column=names[t.column],
            label=label(binned[t.column], t.bin),
            other=names[t.other],
            other_label=label(binned[t.other], t.other_bin),
            accounts=t.accounts,
            overlap=t.overlap,
        )
        for t in ties
    )


def learn(
    columns: Mapping[str, FloatArray | Sequence[str]],
    y: FloatArray,
    *,
    categorical: Collection[str] = (),
    constraints: Mapping[str, str] | None = None,
    max_breakpoints: int = 8,
    min_missing: float = 1.0,
    seed: int = 0,
    groups: Any = None,
) -> Learning:
    """Learn every column's shape in one additive fit and simplify each to a curve.

    A categorical column takes part with one unordered bin per label seen at
    least ``min_missing`` times (the rarer ones pooled, :func:`bin_labels`),
    so its scores are conditional on the other columns. A label or missing
    value holding the same accounts as one of an earlier column
    (:func:`find_ties`) is fitted there only, and scores its own column's
    neutral score.

    Args:
        columns: Column -> values (NaN for missing), or labels (blank for
            missing) for the ``categorical`` columns.
        y: 0/1 churn per account.
        categorical: The columns of labels.
        constraints: Column -> ``"auto"`` (the default) or a kind it must keep.
        max_breakpoints: Most breakpoints per curve.
        min_missing: Fewest accounts for a missing value or a label to get its
            own score (and for a label to repeat a fact).
        seed: Seed of the inner folds.
        groups: The account of each row (or ``None``): an account's rows share an inner fold.

    Returns:
        Each column's curve or table, with the shapes' evidence, the
        simplification's cost and the repeated facts.

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> x = rng.uniform(0, 10, 3000)
        >>> y = (rng.random(3000) < 0.05 + 0.5 * (np.abs(x - 5) > 3)).astype(float)
        >>> learn({"x": x}, y).columns["x"].shape
        'peaked'
    """
    names = list(columns)
    kinds = dict(constraints or {})
    binned = [
        bin_labels(list(columns[c]), min_missing)
        if c in categorical
        else bin_column(np.asarray(columns[c], dtype=np.float64))
        for c in names
    ]
    ties = find_ties(binned, min_missing)
    for j, b in enumerate(binned):
        binned[j] = attrs.evolve(b, tied=tuple(t.bin for t in ties if t.column == j))
    fit, choice = fit_additive(binned, y, [kinds.get(c, "auto") for c in names], seed=seed, groups=groups)
    fine = fit.logit(binned)
    p = 1.0 / (1.0 + np.exp(-fine))
    hess = p * (1.0 - p)
    simple = fine.copy()
    out: dict[str, Learned | LearnedTable] = {}
    for j, name in enumerate(names):
        if not binned[j].ordered:
            out[name] = _table(binned[j], fit, j, y, min_missing)
            continue
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
        repeats=_repeats(names, binned, ties),
    )
