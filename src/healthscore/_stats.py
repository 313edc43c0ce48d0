"""NumPy statistics for backtests and calibration.

The backtest and calibration modules call these functions. Each one takes plain
arrays, checks them, and returns a float, arrays or a small frozen result.
NumPy is the only dependency (no SciPy). The logistic fits run on every BLAS
kernel and thread count the same way: see :func:`fit_logistic` for how the
solver treats singular Hessians and when it stops.

Conventions used throughout:

* ``y`` is the outcome: 1 for the event (a churned account), 0 otherwise.
* ``risk`` and predicted probabilities ``p`` point towards the event: a larger
  value means an account is more likely to have ``y = 1``. A health score points
  the other way; pass ``-score`` (or ``100 - score``) as the risk.
* Bins are closed on the right: bin ``k`` holds ``edges[k - 1] < x <= edges[k]``,
  the first bin everything at or below ``edges[0]`` and the last bin everything
  above ``edges[-1]``.
* Weight of evidence is ``ln(share of non-events / share of events)``: a bin
  with a positive WOE holds healthier accounts than the portfolio as a whole.
* NaN is never dropped silently. It is an error where a value is required, a
  group of its own in binning and drift, and NaN out of the predictors.

Examples:
    >>> from healthscore._stats import roc_auc
    >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Literal, NamedTuple, TypeAlias, overload

import attrs
import numpy as np
import numpy.typing as npt

from healthscore.exceptions import FitError, ValidationError
from healthscore.typing import ArrayLike, BoolArray, FloatArray, IntArray

__all__ = [
    "Binning",
    "BinningKind",
    "InformationValue",
    "IsotonicFit",
    "LogisticFit",
    "PSIResult",
    "PlattFit",
    "ReliabilityTable",
    "bootstrap_indices",
    "brier",
    "fit_logistic",
    "information_value",
    "isotonic_fit",
    "log_loss",
    "monotone_bins",
    "platt_fit",
    "population_stability",
    "reliability_table",
    "require_converged",
    "roc_auc",
    "roc_points",
    "stratified_folds",
]

BinningKind: TypeAlias = Literal["higher_is_better", "lower_is_better", "peaked"]
"""How the event (churn) rate must move with ``x`` in :func:`monotone_bins`."""

_KINDS: tuple[BinningKind, ...] = ("higher_is_better", "lower_is_better", "peaked")

_HESSIAN_CELLS = 1 << 22
"""Cells of ``X`` weighted at once while a Hessian is built (bounds temporary memory)."""

_EIGEN_RTOL_MAX = 1e-8
"""Largest relative eigenvalue cut-off in a Newton solve (see :func:`_newton_solve`)."""

_SEARCH_FLOOR = float(np.sqrt(np.finfo(np.float64).eps))
"""Relative Newton decrement below which a failed line search still counts as converged.

A decrease of the objective below ``eps * objective`` is lost to rounding, so a
line search may find no better point although the fit is at the optimum to
machine precision; a decrement of ``sqrt(eps)`` or more predicts a decrease far
above rounding, and a failed search there is a genuine failure."""

_ACTIVE_WIDTH = 1e-6
"""Widest band above zero in which a constrained coefficient may count as active."""

_ARMIJO = 1e-4
"""Share of the predicted decrease a line-search step must achieve."""

_HALVINGS = 60
"""Most step halvings in one line search."""

_PAVA_MIN_PROGRESS = 0.125
"""A vectorised pooling pass that removes fewer blocks than this share hands over to the stack pass."""


# --------------------------------------------------------------------------- checks


class _Shown(str):
    """A value for an error message, shown as written (no quotes)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str.__str__(self)


def _where(bad: BoolArray) -> str:
    position = np.argwhere(bad)[0]
    if position.size == 1:
        return f"at index {int(position[0])}"
    return f"at row {int(position[0])}, column {int(position[1])}"


def _floats(name: str, values: ArrayLike) -> npt.NDArray[np.float64]:
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValidationError(name, "must hold numbers", _Shown(type(values).__name__)) from exc


def _check_finite(name: str, arr: FloatArray, *, missing_ok: bool) -> None:
    bad = np.isinf(arr) if missing_ok else ~np.isfinite(arr)
    if bad.any():
        rule = "must not hold inf (NaN marks a missing value)" if missing_ok else "must hold finite numbers"
        raise ValidationError(name, rule, _Shown(f"{float(arr[bad][0])!r} {_where(bad)}"))


def _vector(name: str, values: ArrayLike, *, missing_ok: bool = False) -> FloatArray:
    arr = _floats(name, values)
    if arr.ndim != 1:
        raise ValidationError(name, "must be one-dimensional", _Shown(f"an array of shape {arr.shape}"))
    _check_finite(name, arr, missing_ok=missing_ok)
    return arr


def _matrix(name: str, values: ArrayLike, *, missing_ok: bool = False) -> FloatArray:
    arr = _floats(name, values)
    if arr.ndim != 2:
        raise ValidationError(
            name,
            "must be two-dimensional (rows x columns)",
            _Shown(f"an array of shape {arr.shape}"),
            "reshape a single column with x[:, None]",
        )
    _check_finite(name, arr, missing_ok=missing_ok)
    return arr


def _labels(name: str, values: ArrayLike) -> FloatArray:
    arr = _vector(name, values)
    if arr.size == 0:
        raise ValidationError(name, "must hold at least one value", _Shown("0 values"))
    bad = (arr != 0.0) & (arr != 1.0)
    if bad.any():
        raise ValidationError(
            name, "must hold only 0 and 1 (1 = the event)", _Shown(f"{float(arr[bad][0])!r} {_where(bad)}")
        )
    return arr


def _probabilities(name: str, values: ArrayLike) -> FloatArray:
    arr = _vector(name, values)
    bad = (arr < 0.0) | (arr > 1.0)
    if bad.any():
        raise ValidationError(
            name, "must hold probabilities in [0, 1]", _Shown(f"{float(arr[bad][0])!r} {_where(bad)}")
        )
    return arr


def _matching(name: str, arr: npt.NDArray[Any], other: str, n: int) -> None:
    if arr.shape[0] != n:
        raise ValidationError(name, f"must have one value per row of {other} ({n})", _Shown(f"{arr.shape[0]} values"))


def _weights(sample_weight: ArrayLike | None, n: int, other: str) -> FloatArray:
    if sample_weight is None:
        return np.ones(n, dtype=np.float64)
    w = _vector("sample_weight", sample_weight)
    _matching("sample_weight", w, other, n)
    bad = w < 0.0
    if bad.any():
        raise ValidationError("sample_weight", "must be >= 0", _Shown(f"{float(w[bad][0])!r} {_where(bad)}"))
    if not w.sum() > 0.0:
        raise ValidationError("sample_weight", "must have a positive sum", _Shown("all zeros"))
    return w


def _count(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValidationError(name, f"must be an integer >= {minimum}", value)
    return int(value)


def _number(name: str, value: float, *, low: float, high: float = np.inf, low_open: bool = False) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = np.nan
    above = number > low if low_open else number >= low
    if not (above and number <= high and np.isfinite(number)):
        bracket = "(" if low_open else "["
        upper = "inf)" if high == np.inf else f"{high:g}]"
        raise ValidationError(name, f"must be a finite number in {bracket}{low:g}, {upper}", value)
    return number


def _both_classes(y: FloatArray, w: FloatArray, purpose: str) -> tuple[float, float]:
    events = float(w @ y)
    non_events = float(w.sum()) - events
    if events <= 0.0 or non_events <= 0.0:
        ones = int(np.count_nonzero(y[w > 0.0]))
        zeros = int(np.count_nonzero(w > 0.0)) - ones
        raise ValidationError(
            "y",
            f"must hold both classes (0 and 1) with positive weight {purpose}",
            _Shown(f"{ones} ones and {zeros} zeros"),
        )
    return events, non_events


def _groups(name: str, values: ArrayLike) -> IntArray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValidationError(name, "must be one-dimensional", _Shown(f"an array of shape {arr.shape}"))
    if arr.dtype.kind == "f":
        _check_finite(name, arr.astype(np.float64), missing_ok=False)
    _, codes = np.unique(arr, return_inverse=True)
    return codes.astype(np.intp).reshape(-1)


# --------------------------------------------------------------------------- result fields


def _frozen_floats(values: ArrayLike) -> FloatArray:
    arr = np.array(values, dtype=np.float64)
    arr.flags.writeable = False
    return arr


def _frozen_ints(values: ArrayLike) -> IntArray:
    arr = np.array(values, dtype=np.intp)
    arr.flags.writeable = False
    return arr


def _same_array(a: npt.NDArray[Any], b: npt.NDArray[Any]) -> bool:
    return bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))


_ARRAY_EQ = attrs.cmp_using(eq=_same_array)


def _sum_by(codes: IntArray, weights: FloatArray, size: int = 0) -> FloatArray:
    """Sum of ``weights`` per code (``np.bincount`` with weights, typed as floats)."""
    return np.bincount(codes, weights=weights, minlength=size).astype(np.float64, copy=False)


def _expit(z: FloatArray) -> FloatArray:
    """The logistic function, without overflow at either end; NaN stays NaN."""
    with np.errstate(invalid="ignore"):
        return np.exp(-np.logaddexp(0.0, -z))


def _is_scalar(x: Any) -> bool:
    return np.ndim(x) == 0


# --------------------------------------------------------------------------- ranking


def roc_auc(y: ArrayLike, risk: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
    """Area under the ROC curve: the chance that an event outranks a non-event.

    A larger ``risk`` means more likely ``y = 1``. Tied risks count one half,
    so the result equals the trapezoidal area under :func:`roc_points`. With
    weights, each (event, non-event) pair counts the product of their weights.
    Rank-based, O(n log n).

    Args:
        y: Outcomes, 0 or 1; both classes must be present.
        risk: One risk per row, finite.
        sample_weight: Optional weights >= 0, one per row.

    Returns:
        The AUC in [0, 1]; 0.5 means no discrimination.

    Raises:
        ValidationError: Lengths differ, ``y`` is not 0/1, NaN is present, or
            only one class has positive weight.

    Examples:
        >>> roc_auc([0, 1, 0, 1], [0.2, 0.9, 0.5, 0.5])
        0.875
        >>> roc_auc([0, 1], [3.0, 3.0])
        0.5
    """
    yv = _labels("y", y)
    r = _vector("risk", risk)
    _matching("risk", r, "y", yv.size)
    w = _weights(sample_weight, yv.size, "y")
    events, non_events = _both_classes(yv, w, "to define an AUC")
    _, group = np.unique(r, return_inverse=True)
    group = group.reshape(-1)
    event_w = _sum_by(group, w * yv)
    non_event_w = _sum_by(group, w * (1.0 - yv))
    below = np.cumsum(non_event_w) - non_event_w
    return float(event_w @ (below + 0.5 * non_event_w) / (events * non_events))


def roc_points(
    y: ArrayLike, risk: ArrayLike, sample_weight: ArrayLike | None = None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Points of the ROC curve, one per distinct risk, for plots and reports.

    Row ``i`` flags every account with ``risk >= thresholds[i]``; the first
    threshold is ``inf`` (nothing flagged), the last is the smallest risk
    (everything flagged). Intermediate collinear points are kept.

    Args:
        y: Outcomes, 0 or 1; both classes must be present.
        risk: One risk per row, finite.
        sample_weight: Optional weights >= 0, one per row.

    Returns:
        ``(fpr, tpr, thresholds)``: false and true positive rates, and the
        risk thresholds in decreasing order.

    Examples:
        >>> fpr, tpr, thresholds = roc_points([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
        >>> fpr.tolist(), tpr.tolist()
        ([0.0, 0.0, 0.5, 0.5, 1.0], [0.0, 0.5, 0.5, 1.0, 1.0])
        >>> thresholds.tolist()
        [inf, 0.8, 0.4, 0.35, 0.1]
    """
    yv = _labels("y", y)
    r = _vector("risk", risk)
    _matching("risk", r, "y", yv.size)
    w = _weights(sample_weight, yv.size, "y")
    _both_classes(yv, w, "to define a ROC curve")
    order = np.argsort(-r, kind="stable")
    ranked = r[order]
    last = np.r_[np.flatnonzero(np.diff(ranked)), ranked.size - 1]
    true_pos = np.cumsum((w * yv)[order])[last]
    false_pos = np.cumsum((w * (1.0 - yv))[order])[last]
    fpr = np.r_[0.0, false_pos] / false_pos[-1]
    tpr = np.r_[0.0, true_pos] / true_pos[-1]
    thresholds = np.r_[np.inf, ranked[last]]
    return fpr, tpr, thresholds


# --------------------------------------------------------------------------- logistic regression


@attrs.frozen(kw_only=True)
class LogisticFit:
    """A fitted logistic regression: ``P(y = 1) = sigmoid(X @ coef + intercept)``.

    Attributes:
        coef: One coefficient per column of ``X``.
        intercept: The constant term (0 when fitted without one).
        n_iter: Newton steps taken.
        converged: Whether the stopping test passed: the Newton decrement,
            relative to the objective, was at most ``tol``. False when
            ``max_iter`` ran out, or when the objective has no finite minimum
            (separable data with ``l2=0``, one class only), where the
            coefficients grow without bound.
        log_loss: Weighted mean log loss on the training rows (no penalty).
        objective: The minimised objective: summed weighted log loss plus the
            penalty.
        decrement: Half the squared Newton decrement relative to the objective
            at the last stopping test: the share of the objective one more
            Newton step would still remove (0 when not recorded).
        grad_norm: Largest entry of the projected gradient (the KKT residual)
            at the returned coefficients (0 when not recorded).
    """

    coef: FloatArray = attrs.field(converter=_frozen_floats, eq=_ARRAY_EQ)
    intercept: float
    n_iter: int
    converged: bool
    log_loss: float
    objective: float
    decrement: float = 0.0
    grad_norm: float = 0.0

    def decision_function(self, X: ArrayLike) -> FloatArray:
        """The linear predictor ``X @ coef + intercept`` for each row (NaN rows give NaN)."""
        design = _matrix("X", X, missing_ok=True)
        if design.shape[1] != self.coef.size:
            raise ValidationError(
                "X", f"must have one column per coefficient ({self.coef.size})", _Shown(f"{design.shape[1]} columns")
            )
        return design @ self.coef + self.intercept

    def predict_proba(self, X: ArrayLike) -> FloatArray:
        """``P(y = 1)`` for each row of ``X`` (rows holding NaN give NaN).

        Examples:
            >>> fit = LogisticFit(coef=[2.0], intercept=0.0, n_iter=0, converged=True, log_loss=0.0, objective=0.0)
            >>> fit.predict_proba([[0.0], [float("nan")]]).tolist()
            [0.5, nan]
        """
        return _expit(self.decision_function(X))


def require_converged(fit: LogisticFit, what: str, hint: str) -> LogisticFit:
    """``fit`` itself when it converged, else a :class:`FitError` that says what to do.

    Args:
        fit: A result of :func:`fit_logistic`.
        what: What was fitted, on which rows (``"the Platt map on 800 scores"``).
        hint: What the caller can change (more shrinkage, fewer columns, ...).

    Raises:
        FitError: ``fit.converged`` is False.

    Examples:
        >>> fit = fit_logistic([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1], l2=0.0)
        >>> require_converged(fit, "the example fit on 4 rows", "add a penalty (l2 > 0)")
        Traceback (most recent call last):
        ...
        healthscore.exceptions.FitError: the example fit on 4 rows did not converge after ... Newton steps ...
    """
    if fit.converged:
        return fit
    msg = (
        f"{what} did not converge after {fit.n_iter} Newton steps (one more step would still remove "
        f"{fit.decrement:.2g} of the objective, largest gradient entry {fit.grad_norm:.2g}, mean log loss "
        f"{fit.log_loss:.3g}); usually some columns, or a combination of them, separate the outcome "
        "perfectly and nothing penalises them, so the weights grow without bound"
    )
    raise FitError(msg, what=what, hint=hint)


def _nonnegative_mask(nonnegative: bool | ArrayLike | None, p: int) -> BoolArray:
    if nonnegative is None or nonnegative is False:
        return np.zeros(p, dtype=np.bool_)
    if nonnegative is True:
        return np.ones(p, dtype=np.bool_)
    mask = np.asarray(nonnegative)
    if mask.dtype != np.bool_ or mask.ndim != 1:
        raise ValidationError(
            "nonnegative",
            "must be True, False, None or a 1-D boolean array",
            _Shown(f"{mask.dtype} of shape {mask.shape}"),
        )
    if mask.size != p:
        raise ValidationError("nonnegative", f"must have one flag per column of X ({p})", _Shown(f"{mask.size} flags"))
    return mask.astype(np.bool_)


@attrs.frozen(kw_only=True)
class _Logistic:
    """The penalised logistic objective and its derivatives over ``theta = [coef, intercept]``."""

    X: FloatArray
    y: FloatArray
    w: FloatArray
    penalty: FloatArray
    centre: FloatArray
    bounded: BoolArray
    intercept: bool
    informative: BoolArray
    """Parameters with curvature at every finite point: the intercept and each non-zero column."""

    def linear(self, theta: FloatArray) -> FloatArray:
        eta = self.X @ theta[: self.X.shape[1]]
        return eta + theta[-1] if self.intercept else eta

    def value(self, theta: FloatArray) -> tuple[float, float, FloatArray]:
        """Objective, summed weighted log loss, and the linear predictor."""
        with np.errstate(over="ignore", invalid="ignore"):
            eta = self.linear(theta)
            loss = float(self.w @ np.logaddexp(0.0, (1.0 - 2.0 * self.y) * eta))
        diff = theta - self.centre
        return loss + 0.5 * float((self.penalty * diff) @ diff), loss, eta

    def residual(self, eta: FloatArray) -> FloatArray:
        """``w * (p - y)`` per row, as ``-w * sign * sigmoid(-sign * eta)``: no cancellation when p is near y."""
        sign = 2.0 * self.y - 1.0
        return -self.w * sign * _expit(-sign * eta)

    def gradient(self, theta: FloatArray, eta: FloatArray) -> FloatArray:
        residual = self.residual(eta)
        grad = self.X.T @ residual
        if self.intercept:
            grad = np.append(grad, residual.sum())
        return grad + self.penalty * (theta - self.centre)

    def derivatives(self, theta: FloatArray, eta: FloatArray) -> tuple[FloatArray, FloatArray]:
        curvature = self.w * _expit(eta) * _expit(-eta)
        p = self.X.shape[1]
        size = theta.size
        hess = np.empty((size, size), dtype=np.float64)
        rows = max(1, _HESSIAN_CELLS // max(p, 1))
        block = np.zeros((p, p), dtype=np.float64)
        for start in range(0, self.X.shape[0], rows):
            part = self.X[start : start + rows]
            # einsum's own loop, not BLAS: a threaded BLAS product this small stalls for 100 ms and more
            # whenever another process holds a core, which made a 0.5 s fit take 2 s on a shared machine
            block += np.einsum("ij,ik->jk", part * curvature[start : start + rows, None], part)
        hess[:p, :p] = block
        if self.intercept:
            hess[:p, p] = hess[p, :p] = self.X.T @ curvature
            hess[p, p] = curvature.sum()
        hess[np.diag_indices(size)] += self.penalty
        return self.gradient(theta, eta), hess

    def flat(self, hess: FloatArray) -> bool:
        """Whether an informative parameter lost all curvature: the margins grew without bound."""
        return bool(np.any(self.informative & ~(np.diag(hess) > 0.0)))

    def project(self, theta: FloatArray) -> FloatArray:
        return np.where(self.bounded & (theta < 0.0), 0.0, theta)

    def direction(self, theta: FloatArray, grad: FloatArray, hess: FloatArray) -> tuple[FloatArray, float]:
        """Projected Newton direction (Bertsekas) and the decrease it predicts.

        Coefficients at (or within a shrinking band above) their bound whose
        gradient pushes them down form the active set and take a scaled
        gradient step onto the bound; the others take a Newton step on their
        block of the Hessian, with its null space dropped. The predicted
        decrease is half the squared Newton decrement of the free block plus
        the first-order decrease of moving the active coefficients onto the
        bound; it is zero exactly at a KKT point.
        """
        diag = np.diag(hess)
        usable = diag > 0.0
        scaled = np.zeros_like(grad)
        scaled[usable] = grad[usable] / diag[usable]
        width = 0.0
        if self.bounded.any():
            gap = theta - self.project(theta - scaled)
            width = min(_ACTIVE_WIDTH, float(np.abs(gap[self.bounded]).max()))
        active = self.bounded & (theta <= width) & (grad > 0.0)
        d = -scaled
        free = ~active & usable
        step, decrement = _newton_solve(hess[np.ix_(free, free)], grad[free], rows=self.X.shape[0])
        d[free] = -step
        to_bound = np.minimum(theta[active], scaled[active])
        return d, 0.5 * decrement + float(grad[active] @ to_bound)

    def kkt_residual(self, theta: FloatArray, grad: FloatArray) -> float:
        residual = grad.copy()
        at_zero = self.bounded & (theta <= 0.0)
        residual[at_zero] = np.minimum(grad[at_zero], 0.0)
        return float(np.abs(residual).max(initial=0.0))

    def line_search(
        self, theta: FloatArray, objective: float, grad: FloatArray, d: FloatArray
    ) -> tuple[FloatArray, float, float, FloatArray] | None:
        """Backtrack along the projection arc until the Armijo condition holds."""
        alpha = 1.0
        for _ in range(_HALVINGS):
            trial = self.project(theta + alpha * d)
            moved = trial - theta
            if not moved.any():
                return None
            value, loss, eta = self.value(trial)
            if np.isfinite(value) and value <= objective + _ARMIJO * min(float(grad @ moved), 0.0):
                return trial, value, loss, eta
            alpha *= 0.5
        return None


def _newton_solve(hess: FloatArray, grad: FloatArray, *, rows: int) -> tuple[FloatArray, float]:
    """The minimum-norm solution ``d`` of ``hess @ d = grad`` and ``grad @ d``, for a PSD ``hess``.

    The system is scaled to a unit diagonal, so the eigenvalues lie in
    ``[0, size]`` and the largest is at least 1, then solved through its
    eigendecomposition as a pseudo-inverse: directions whose eigenvalue is at
    most ``rtol`` times the largest are dropped (a step of zero along them).
    Each entry of the scaled Hessian is a sum over ``rows`` products whose
    rounding error is at most ``rows * eps`` (Cauchy-Schwarz bounds the sum of
    absolute products by the diagonal), so the spectral error is at most
    ``size * rows * eps``: an eigenvalue below that is indistinguishable from
    zero, as collinear, duplicated or constant columns give, and dropping it
    keeps BLAS rounding out of the step. The cut-off is capped at
    ``_EIGEN_RTOL_MAX`` so that real, merely ill-conditioned directions are kept.

    ``grad @ d`` is the squared Newton decrement: the stopping test uses it,
    and it does not depend on the cut-off, since a direction of eigenvalue
    ``mu`` and gradient component ``g`` adds only ``g**2 / mu`` to it.
    """
    if grad.size == 0:
        return grad.copy(), 0.0
    scale = 1.0 / np.sqrt(np.diag(hess))
    eigenvalues, vectors = np.linalg.eigh(hess * scale[:, None] * scale[None, :])
    eps = float(np.finfo(np.float64).eps)
    rtol = min(_EIGEN_RTOL_MAX, grad.size * max(rows, 1) * eps)
    keep = eigenvalues > rtol * float(eigenvalues[-1])
    inverse = np.zeros_like(eigenvalues)
    inverse[keep] = 1.0 / eigenvalues[keep]
    coords = vectors.T @ (scale * grad)
    step: FloatArray = scale * (vectors @ (coords * inverse))
    return step, float((coords * coords) @ inverse)


def fit_logistic(
    X: ArrayLike,
    y: ArrayLike,
    *,
    l2: float = 1.0,
    prior: ArrayLike | None = None,
    nonnegative: bool | ArrayLike | None = None,
    sample_weight: ArrayLike | None = None,
    fit_intercept: bool = True,
    max_iter: int = 100,
    tol: float = 1e-8,
) -> LogisticFit:
    """Penalised logistic regression by (projected) Newton with a line search.

    Minimises ``sum_i w_i * logloss_i + (l2 / 2) * ||coef - prior||^2``; the
    intercept is not penalised. With ``prior = 0`` and no constraints this is
    scikit-learn's ``LogisticRegression(C=1 / l2)``.

    Coefficients flagged in ``nonnegative`` are kept >= 0 by a projected Newton
    method (Bertsekas): coefficients at zero whose gradient pushes them below
    zero form the active set, the others take a Newton step, and a backtracking
    line search runs along the projection. The Newton system is solved as a
    pseudo-inverse: after scaling to a unit diagonal, directions whose
    eigenvalue is indistinguishable from zero at machine precision (collinear,
    duplicated or constant columns) are dropped, so the step there is zero and
    BLAS rounding cannot move the fit along them.

    The fit stops when the predicted decrease of one more Newton step (half the
    squared Newton decrement, plus the first-order gain of moving active
    coefficients onto their bound) is at most ``tol`` times the objective.
    That test is scale-free: it does not change when a column is rescaled or
    rows are repeated, and it is zero exactly at a KKT point. The step it
    measured is then taken (Newton converges quadratically, so this leaves an
    error far below ``tol``) and the fit reports ``converged=True``. It reports
    ``converged=False`` when ``max_iter`` steps were taken, when the line
    search cannot lower the objective while the decrement is still above
    rounding, or when the curvature of a coefficient vanished. On separable
    data with ``l2=0`` the objective has no finite minimum: each Newton step
    keeps removing a fixed share of it, the coefficients grow with every step
    and the fit reports ``converged=False``; it never returns NaN. Callers
    that need a fitted value pass the result to :func:`require_converged`.

    Args:
        X: Design matrix, ``n`` rows by ``p`` columns, finite.
        y: Outcomes, 0 or 1, one per row.
        l2: Ridge strength, >= 0.
        prior: Centre of the penalty, one value per column (default zeros).
        nonnegative: ``True`` to constrain every coefficient to be >= 0, or a
            boolean array with one flag per column; ``None`` for none.
        sample_weight: Optional weights >= 0, one per row.
        fit_intercept: Whether to fit the (unpenalised) constant term.
        max_iter: Most Newton steps, >= 1.
        tol: Largest predicted relative decrease of the objective at which the
            fit stops, > 0.

    Returns:
        The fit, with ``predict_proba``.

    Examples:
        >>> import numpy as np
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
        >>> fit = fit_logistic(X, [0, 1, 0, 1], l2=0.0)
        >>> round(float(fit.coef[0]), 4), round(fit.intercept, 4), fit.converged
        (0.9082, -1.3623, True)
        >>> fit.predict_proba([[1.5]]).round(3).tolist()
        [0.5]
    """
    design = _matrix("X", X)
    n, p = design.shape
    target = _labels("y", y)
    _matching("y", target, "X", n)
    w = _weights(sample_weight, n, "X")
    strength = _number("l2", l2, low=0.0)
    centre = np.zeros(p, dtype=np.float64)
    if prior is not None:
        centre = _vector("prior", prior)
        if centre.size != p:
            raise ValidationError(
                "prior", f"must have one value per column of X ({p})", _Shown(f"{centre.size} values")
            )
    bounded = _nonnegative_mask(nonnegative, p)
    steps = _count("max_iter", max_iter, 1)
    tolerance = _number("tol", tol, low=0.0, low_open=True)
    if p == 0 and not fit_intercept:
        raise ValidationError("X", "must have at least one column when fit_intercept is False", _Shown("0 columns"))

    if (w == 0.0).any():
        keep = w > 0.0
        design, target, w = design[keep], target[keep], w[keep]
    extra = 1 if fit_intercept else 0
    problem = _Logistic(
        X=design,
        y=target,
        w=w,
        penalty=np.r_[np.full(p, strength), np.zeros(extra)],
        centre=np.r_[centre, np.zeros(extra)],
        bounded=np.r_[bounded, np.zeros(extra, dtype=np.bool_)],
        intercept=fit_intercept,
        informative=np.r_[np.any(design, axis=0), np.ones(extra, dtype=np.bool_)],
    )
    return _newton(problem, _start(problem), steps, tolerance)


def _start(problem: _Logistic) -> FloatArray:
    """Where the Newton iteration starts: the prior, projected onto the
    bounds, with the intercept at the log-odds of the weighted outcome rate
    (clipped to [1%, 99%])."""
    theta = problem.project(problem.centre.copy())
    if problem.intercept:
        rate = min(max(float(problem.w @ problem.y) / float(problem.w.sum()), 0.01), 0.99)
        theta[-1] = np.log(rate / (1.0 - rate))
    return theta


def _newton(problem: _Logistic, theta: FloatArray, steps: int, tolerance: float) -> LogisticFit:
    """Projected Newton steps from ``theta`` with the stopping rules of
    :func:`fit_logistic`: at most ``steps`` of them, until the predicted
    relative decrease is at most ``tolerance``."""
    objective, loss, eta = problem.value(theta)
    n_iter = 0
    converged = False
    decrement = np.inf
    while True:
        grad, hess = problem.derivatives(theta, eta)
        if problem.flat(hess):
            break
        d, gain = problem.direction(theta, grad, hess)
        decrement = gain / objective if objective > 0.0 else (0.0 if gain <= 0.0 else np.inf)
        if decrement <= tolerance:
            converged = True
            polished = _polish(problem, theta, objective, d) if n_iter < steps else None
            if polished is not None:
                theta, objective, loss, eta = polished
                n_iter += 1
            break
        if n_iter >= steps:
            break
        moved = problem.line_search(theta, objective, grad, d)
        if moved is None:
            converged = decrement <= _SEARCH_FLOOR
            break
        theta, objective, loss, eta = moved
        n_iter += 1
    p = problem.X.shape[1]
    return LogisticFit(
        coef=theta[:p],
        intercept=float(theta[-1]) if problem.intercept else 0.0,
        n_iter=n_iter,
        converged=converged,
        log_loss=loss / float(problem.w.sum()),
        objective=objective,
        decrement=float(decrement),
        grad_norm=problem.kkt_residual(theta, problem.gradient(theta, eta)),
    )


def _polish(
    problem: _Logistic, theta: FloatArray, objective: float, d: FloatArray
) -> tuple[FloatArray, float, float, FloatArray] | None:
    """The full step ``d`` measured by the stopping test, taken when it moves
    ``theta`` and does not raise the objective; ``None`` otherwise."""
    polished = problem.project(theta + d)
    value, loss, eta = problem.value(polished)
    if not np.array_equal(polished, theta) and np.isfinite(value) and value <= objective:
        return polished, value, loss, eta
    return None


# --------------------------------------------------------------------------- calibration maps


def _pava(values: FloatArray, weights: FloatArray, *, increasing: bool = True) -> IntArray:
    """Pool adjacent violators; the start index of each pooled block.

    Each pass merges every run of blocks whose means do not increase (equal
    means are pooled too, so block means end strictly increasing); the result
    does not depend on the order of merges. A pass that removes few blocks hands
    the rest to a stack pass, which is linear, so a staircase cannot make the
    vectorised passes quadratic. ``weights`` must be > 0.
    """
    sums = (values if increasing else -values) * weights
    totals = weights.astype(np.float64, copy=True)
    starts = np.arange(values.size, dtype=np.intp)
    while starts.size > 1:
        means = sums / totals
        merge = means[:-1] >= means[1:]
        if not merge.any():
            break
        keep = np.flatnonzero(np.r_[True, ~merge])
        if starts.size - keep.size < _PAVA_MIN_PROGRESS * starts.size:
            return _pava_stack(sums, totals, starts)
        sums = np.add.reduceat(sums, keep)
        totals = np.add.reduceat(totals, keep)
        starts = starts[keep]
    return starts


def _pava_stack(sums: FloatArray, totals: FloatArray, starts: IntArray) -> IntArray:
    """Pool adjacent violators over blocks in one left-to-right pass with a stack."""
    block_sums: list[float] = []
    block_totals: list[float] = []
    block_starts: list[int] = []
    for s, t, b in zip(sums.tolist(), totals.tolist(), starts.tolist(), strict=True):
        block_sums.append(s)
        block_totals.append(t)
        block_starts.append(b)
        while len(block_sums) > 1 and block_sums[-2] / block_totals[-2] >= block_sums[-1] / block_totals[-1]:
            merged_sum, merged_total = block_sums.pop(), block_totals.pop()
            block_sums[-1] += merged_sum
            block_totals[-1] += merged_total
            block_starts.pop()
    return np.array(block_starts, dtype=np.intp)


def _block_means(values: FloatArray, weights: FloatArray, starts: IntArray) -> FloatArray:
    """Weighted mean of each block, repeated over the block's members."""
    sums = np.add.reduceat(values * weights, starts)
    totals = np.add.reduceat(weights, starts)
    return np.repeat(sums / totals, np.diff(np.r_[starts, values.size]))


@attrs.frozen(kw_only=True)
class IsotonicFit:
    """A fitted isotonic regression: a monotone step function, linear between knots.

    Attributes:
        x_knots: Increasing x values where the fitted function bends.
        y_knots: Fitted values at the knots.
        increasing: Whether the function is non-decreasing (else non-increasing).
    """

    x_knots: FloatArray = attrs.field(converter=_frozen_floats, eq=_ARRAY_EQ)
    y_knots: FloatArray = attrs.field(converter=_frozen_floats, eq=_ARRAY_EQ)
    increasing: bool = True

    @overload
    def predict(self, x: float) -> float: ...
    @overload
    def predict(self, x: Sequence[float] | FloatArray) -> FloatArray: ...
    def predict(self, x: Any) -> Any:
        """Fitted values at ``x``: linear between knots, clipped outside them, NaN for NaN.

        Examples:
            >>> fit = isotonic_fit([1.0, 2.0, 3.0, 4.0], [1.0, 3.0, 2.0, 4.0])
            >>> fit.predict([0.0, 2.5, 3.5, 9.0]).tolist()
            [1.0, 2.5, 3.25, 4.0]
            >>> fit.predict(1.5)
            1.75
        """
        arr = _floats("x", x)
        out = np.interp(arr, self.x_knots, self.y_knots)
        out = np.where(np.isnan(arr), np.nan, out)
        return float(out) if _is_scalar(x) else out


def isotonic_fit(
    x: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None, *, increasing: bool = True
) -> IsotonicFit:
    """Weighted isotonic regression of ``y`` on ``x`` by pooling adjacent violators.

    Rows with zero weight are ignored. Rows sharing an ``x`` are pooled first
    (weighted mean of ``y``, summed weight); ``x`` values are compared exactly.
    Knots are kept at the ends of each constant stretch, as scikit-learn's
    ``IsotonicRegression(out_of_bounds="clip")`` keeps them, and prediction
    interpolates linearly between knots and clips outside them.

    Args:
        x: Finite inputs.
        y: Finite targets (any real values, not only 0/1).
        sample_weight: Optional weights >= 0, one per row.
        increasing: Fit a non-decreasing function (else non-increasing).

    Returns:
        The fit, with ``predict``.

    Examples:
        >>> fit = isotonic_fit([1, 2, 3, 4, 5], [0.0, 0.4, 0.2, 0.6, 1.0])
        >>> fit.predict([1, 2, 3, 4, 5]).round(6).tolist()
        [0.0, 0.3, 0.3, 0.6, 1.0]
        >>> fit.x_knots.tolist(), fit.y_knots.round(6).tolist()
        ([1.0, 2.0, 3.0, 4.0, 5.0], [0.0, 0.3, 0.3, 0.6, 1.0])
    """
    xv = _vector("x", x)
    yv = _vector("y", y)
    _matching("y", yv, "x", xv.size)
    w = _weights(sample_weight, xv.size, "x")
    keep = w > 0.0
    xv, yv, w = xv[keep], yv[keep], w[keep]
    order = np.lexsort((yv, xv))
    xv, yv, w = xv[order], yv[order], w[order]
    first = np.flatnonzero(np.r_[True, xv[1:] != xv[:-1]])
    knots_x = xv[first]
    totals = np.add.reduceat(w, first)
    means = np.add.reduceat(w * yv, first) / totals
    fitted = _block_means(means, totals, _pava(means, totals, increasing=increasing))
    bend = np.ones(fitted.size, dtype=np.bool_)
    bend[1:-1] = (fitted[1:-1] != fitted[:-2]) | (fitted[1:-1] != fitted[2:])
    return IsotonicFit(x_knots=knots_x[bend], y_knots=fitted[bend], increasing=increasing)


@attrs.frozen(kw_only=True)
class PlattFit:
    """A fitted Platt map: ``P(y = 1) = sigmoid(slope * score + intercept)``.

    Attributes:
        slope: Coefficient on the score (negative when a higher score is healthier).
        intercept: The constant term.
        converged: Whether the underlying Newton fit converged.
    """

    slope: float
    intercept: float
    converged: bool

    @overload
    def predict(self, score: float) -> float: ...
    @overload
    def predict(self, score: Sequence[float] | FloatArray) -> FloatArray: ...
    def predict(self, score: Any) -> Any:
        """``P(y = 1)`` at each score (NaN for NaN).

        Examples:
            >>> PlattFit(slope=-0.1, intercept=5.0, converged=True).predict([50.0, float("nan")]).tolist()
            [0.5, nan]
        """
        arr = _floats("score", score)
        out = _expit(self.slope * arr + self.intercept)
        return float(out) if _is_scalar(score) else out


def platt_fit(
    score: ArrayLike,
    y: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    l2: float = 1e-6,
    max_iter: int = 100,
) -> PlattFit:
    """Platt scaling: a one-feature logistic regression of ``y`` on ``score``.

    The slope carries a tiny ridge penalty (``l2``) so that separable data gives
    a finite, steep map instead of diverging; the intercept is free. Targets are
    the raw 0/1 outcomes (no target smoothing).

    Args:
        score: Finite scores, any scale (a health score, a model's margin).
        y: Outcomes, 0 or 1, one per score.
        sample_weight: Optional weights >= 0, one per row.
        l2: Ridge strength on the slope, >= 0.
        max_iter: Most Newton steps.

    Returns:
        The fit, with ``predict``.

    Examples:
        >>> fit = platt_fit([10, 20, 30, 40, 50, 60], [1, 1, 0, 1, 0, 0])
        >>> fit.slope < 0, fit.converged
        (True, True)
        >>> round(fit.predict(35.0), 3)
        0.5
    """
    s = _vector("score", score)
    yv = _labels("y", y)
    _matching("y", yv, "score", s.size)
    fit = fit_logistic(s[:, None], yv, l2=l2, sample_weight=sample_weight, max_iter=max_iter)
    return PlattFit(slope=float(fit.coef[0]), intercept=fit.intercept, converged=fit.converged)


# --------------------------------------------------------------------------- probability scores


def brier(y: ArrayLike, p: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
    """Brier score: the weighted mean of ``(p - y)^2``; lower is better.

    Examples:
        >>> round(brier([0, 1, 1], [0.1, 0.8, 0.5]), 6)
        0.1
    """
    yv = _labels("y", y)
    pv = _probabilities("p", p)
    _matching("p", pv, "y", yv.size)
    w = _weights(sample_weight, yv.size, "y")
    return float(w @ (pv - yv) ** 2 / w.sum())


def log_loss(y: ArrayLike, p: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
    """Weighted mean negative log-likelihood of 0/1 outcomes; lower is better.

    Probabilities are clipped to ``[eps, 1 - eps]`` with ``eps`` the float64
    machine epsilon, so a confident miss costs about 36 rather than infinity.

    Examples:
        >>> round(log_loss([0, 1], [0.5, 0.5]), 6)
        0.693147
    """
    yv = _labels("y", y)
    pv = _probabilities("p", p)
    _matching("p", pv, "y", yv.size)
    w = _weights(sample_weight, yv.size, "y")
    eps = float(np.finfo(np.float64).eps)
    clipped = np.clip(pv, eps, 1.0 - eps)
    losses = -(yv * np.log(clipped) + (1.0 - yv) * np.log1p(-clipped))
    return float(w @ losses / w.sum())


@attrs.frozen(kw_only=True)
class ReliabilityTable:
    """Predicted against observed event rates, bin by bin.

    Attributes:
        edges: ``n_bins + 1`` bin edges; bins are closed on the right, the first
            also on the left.
        count: Rows per bin.
        mean_predicted: Mean prediction per bin (NaN for an empty bin).
        observed_rate: Share of events per bin (NaN for an empty bin).
    """

    edges: FloatArray = attrs.field(converter=_frozen_floats, eq=_ARRAY_EQ)
    count: IntArray = attrs.field(converter=_frozen_ints, eq=_ARRAY_EQ)
    mean_predicted: FloatArray = attrs.field(converter=_frozen_floats, eq=_ARRAY_EQ)
    observed_rate: FloatArray = attrs.field(converter=_frozen_floats, eq=_ARRAY_EQ)

    @property
    def nonempty(self) -> BoolArray:
        """Which bins hold at least one row."""
        return self.count > 0

    @property
    def calibration_error(self) -> float:
        """Expected calibration error: the count-weighted mean of ``|observed - predicted|``."""
        full = self.nonempty
        gaps = np.abs(self.observed_rate[full] - self.mean_predicted[full])
        return float(self.count[full] @ gaps / self.count.sum())


def reliability_table(
    y: ArrayLike, p: ArrayLike, n_bins: int = 10, strategy: Literal["uniform", "quantile"] = "uniform"
) -> ReliabilityTable:
    """Bin predictions and compare each bin's mean prediction with its event rate.

    ``"uniform"`` bins split [0, 1] into equal widths; ``"quantile"`` bins hold
    about equally many rows (tied predictions can leave a bin empty). Rows are
    binned as scikit-learn's ``calibration_curve`` bins them.

    Args:
        y: Outcomes, 0 or 1.
        p: Predicted probabilities of ``y = 1``, in [0, 1].
        n_bins: Number of bins, >= 1.
        strategy: ``"uniform"`` or ``"quantile"``.

    Returns:
        The table, empty bins included.

    Examples:
        >>> t = reliability_table([0, 0, 1, 1], [0.1, 0.2, 0.7, 0.9], n_bins=2)
        >>> t.count.tolist(), t.mean_predicted.round(3).tolist(), t.observed_rate.tolist()
        ([2, 2], [0.15, 0.8], [0.0, 1.0])
    """
    yv = _labels("y", y)
    pv = _probabilities("p", p)
    _matching("p", pv, "y", yv.size)
    bins = _count("n_bins", n_bins, 1)
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, bins + 1)
    elif strategy == "quantile":
        if pv.size == 0:
            raise ValidationError("p", "must hold at least one value for quantile bins", _Shown("0 values"))
        edges = np.percentile(pv, np.linspace(0.0, 1.0, bins + 1) * 100)
    else:
        raise ValidationError("strategy", "must be 'uniform' or 'quantile'", strategy)
    codes = np.searchsorted(edges[1:-1], pv)
    count = np.bincount(codes, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_predicted = _sum_by(codes, pv, bins) / count
        observed = _sum_by(codes, yv, bins) / count
    return ReliabilityTable(edges=edges, count=count, mean_predicted=mean_predicted, observed_rate=observed)


# --------------------------------------------------------------------------- drift


@attrs.frozen(kw_only=True)
class PSIResult:
    """Population stability between a baseline and a current sample.

    Per-bin arrays hold ``len(edges) + 2`` entries: the ``len(edges) + 1``
    value bins (closed on the right, open-ended at both ends), then the missing
    (NaN) group.

    Attributes:
        edges: Interior cut points, quantiles of the baseline.
        expected_count: Baseline rows per bin.
        actual_count: Current rows per bin.
        expected_share: Baseline share per bin (NaN rows included in the total).
        actual_share: Current share per bin.
        contribution: Each bin's ``(a - e) * ln(a / e)``, shares floored at ``epsilon``.
        psi: The sum of the contributions. As a rule of thumb, below 0.1 is
            stable, 0.1 to 0.25 a moderate shift, above 0.25 a major one.
        epsilon: The floor applied to shares before the logarithm.
    """

    edges: FloatArray = attrs.field(converter=_frozen_floats, eq=_ARRAY_EQ)
    expected_count: IntArray = attrs.field(converter=_frozen_ints, eq=_ARRAY_EQ)
    actual_count: IntArray = attrs.field(converter=_frozen_ints, eq=_ARRAY_EQ)
    expected_share: FloatArray = attrs.field(converter=_frozen_floats, eq=_ARRAY_EQ)
    actual_share: FloatArray = attrs.field(converter=_frozen_floats, eq=_ARRAY_EQ)
    contribution: FloatArray = attrs.field(converter=_frozen_floats, eq=_ARRAY_EQ)
    psi: float
    epsilon: float


def _bin_with_missing(values: FloatArray, edges: FloatArray) -> IntArray:
    codes = np.searchsorted(edges, values, side="left")
    return np.where(np.isnan(values), edges.size + 1, codes)


def population_stability(expected: ArrayLike, actual: ArrayLike, bins: int = 10, *, epsilon: float = 1e-4) -> PSIResult:
    """Population stability index of ``actual`` against the baseline ``expected``.

    Cut points are the baseline's quantiles at ``1/bins, ..., (bins-1)/bins``
    (duplicates dropped, so tied values give fewer bins); the outer bins are
    open-ended, so no current value falls outside. NaN rows form a bin of their
    own in both samples. Before the logarithm each share is floored at
    ``epsilon`` (default 1e-4), so an empty bin adds a large but finite term
    instead of infinity; a bin empty in both samples adds 0.

    Args:
        expected: Baseline values; NaN allowed, inf not.
        actual: Current values; NaN allowed, inf not.
        bins: Number of quantile bins, >= 1.
        epsilon: Share floor, > 0.

    Returns:
        Per-bin counts, shares and contributions, and the total PSI.

    Examples:
        >>> import numpy as np
        >>> base = np.arange(100.0)
        >>> population_stability(base, base).psi
        0.0
        >>> round(population_stability(base, base + 30).psi, 3)
        2.486
    """
    base = _vector("expected", expected, missing_ok=True)
    current = _vector("actual", actual, missing_ok=True)
    k = _count("bins", bins, 1)
    floor = _number("epsilon", epsilon, low=0.0, high=1.0, low_open=True)
    present = base[~np.isnan(base)]
    if present.size == 0:
        raise ValidationError("expected", "must hold at least one non-missing value", _Shown(f"{base.size} NaN"))
    if current.size == 0:
        raise ValidationError("actual", "must hold at least one value", _Shown("0 values"))
    edges = np.unique(np.quantile(present, np.linspace(0.0, 1.0, k + 1)[1:-1]))
    size = edges.size + 2
    expected_count = np.bincount(_bin_with_missing(base, edges), minlength=size)
    actual_count = np.bincount(_bin_with_missing(current, edges), minlength=size)
    e = expected_count / base.size
    a = actual_count / current.size
    e_floor, a_floor = np.maximum(e, floor), np.maximum(a, floor)
    contribution = (a_floor - e_floor) * np.log(a_floor / e_floor)
    return PSIResult(
        edges=edges,
        expected_count=expected_count,
        actual_count=actual_count,
        expected_share=e,
        actual_share=a,
        contribution=contribution,
        psi=float(contribution.sum()),
        epsilon=floor,
    )


# --------------------------------------------------------------------------- weight of evidence


class InformationValue(NamedTuple):
    """Information value of a binning, with its per-bin table.

    A tuple, so ``iv, woe, event_rates, counts = information_value(...)`` works.
    """

    iv: float
    """Sum over bins of ``(share of non-events - share of events) * woe``."""
    woe: FloatArray
    """``ln(share of non-events / share of events)`` per bin; NaN for an empty bin."""
    event_rates: FloatArray
    """Weighted share of events per bin; NaN for an empty bin."""
    counts: IntArray
    """Rows per bin."""


def _woe(events: FloatArray, non_events: FloatArray, smoothing: float) -> tuple[FloatArray, float]:
    """WOE per cell and the total IV; cells with no weight get NaN and take no share."""
    filled = (events + non_events) > 0.0
    if smoothing == 0.0:
        empty = filled & ((events == 0.0) | (non_events == 0.0))
        if empty.any():
            i = int(np.flatnonzero(empty)[0])
            raise ValidationError(
                "smoothing",
                "must be > 0 when a bin has no events or no non-events",
                smoothing,
                f"bin {i} has {events[i]:g} events and {non_events[i]:g} non-events",
            )
    e = np.where(filled, events + smoothing, 0.0)
    ne = np.where(filled, non_events + smoothing, 0.0)
    share_e = e / e.sum()
    share_ne = ne / ne.sum()
    woe = np.full(events.size, np.nan)
    woe[filled] = np.log(share_ne[filled] / share_e[filled])
    iv = float((share_ne[filled] - share_e[filled]) @ woe[filled])
    return woe, iv


def information_value(
    bin_codes: ArrayLike,
    y: ArrayLike,
    *,
    n_bins: int | None = None,
    sample_weight: ArrayLike | None = None,
    smoothing: float = 0.5,
) -> InformationValue:
    """Weight of evidence per bin and the information value of a binning.

    For bin ``b`` with (weighted) events ``E_b`` and non-events ``N_b``, the
    smoothed shares are ``(E_b + s) / sum(E + s)`` and ``(N_b + s) / sum(N + s)``
    over the non-empty bins, with ``s = smoothing`` (default 0.5, added to every
    cell so that a bin without events or without non-events keeps a finite WOE).
    Then ``woe_b = ln(non-event share / event share)`` and
    ``iv = sum((non-event share - event share) * woe)``, which is >= 0. With
    ``smoothing=0`` these are the textbook formulas, and a bin with no events or
    no non-events is an error.

    Args:
        bin_codes: Integer bin index per row, >= 0 (give missing values a code
            of their own).
        y: Outcomes, 0 or 1, one per row.
        n_bins: Number of bins (default: largest code + 1); bins without rows
            get NaN.
        sample_weight: Optional weights >= 0, one per row.
        smoothing: Added to each bin's events and non-events, >= 0.

    Returns:
        ``(iv, woe, event_rates, counts)``.

    Examples:
        >>> iv, woe, rate, count = information_value([0, 0, 0, 0, 1, 1, 1, 1], [1, 0, 0, 0, 1, 1, 1, 0], smoothing=0)
        >>> round(iv, 6), woe.round(6).tolist(), rate.tolist(), count.tolist()
        (1.098612, [1.098612, -1.098612], [0.25, 0.75], [4, 4])
    """
    raw = _floats("bin_codes", bin_codes)
    if raw.ndim != 1:
        raise ValidationError("bin_codes", "must be one-dimensional", _Shown(f"an array of shape {raw.shape}"))
    bad = ~np.isfinite(raw) | (raw != np.round(raw)) | (raw < 0)
    if bad.any():
        raise ValidationError(
            "bin_codes",
            "must hold integers >= 0",
            _Shown(f"{float(raw[bad][0])!r} {_where(bad)}"),
            "give missing values a bin code of their own",
        )
    codes = raw.astype(np.intp)
    yv = _labels("y", y)
    _matching("y", yv, "bin_codes", codes.size)
    w = _weights(sample_weight, codes.size, "bin_codes")
    top = int(codes.max()) + 1 if codes.size else 0
    size = top if n_bins is None else _count("n_bins", n_bins, 1)
    if size < top:
        raise ValidationError("n_bins", f"must exceed the largest bin code ({top - 1})", n_bins)
    soft = _number("smoothing", smoothing, low=0.0)
    count = np.bincount(codes, minlength=size)
    weight = _sum_by(codes, w, size)
    events = _sum_by(codes, w * yv, size)
    woe, iv = _woe(events, weight - events, soft)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(weight > 0.0, events / weight, np.nan)
    return InformationValue(iv=iv, woe=woe, event_rates=rate, counts=count)


# --------------------------------------------------------------------------- monotone binning


@attrs.frozen(kw_only=True)
class Binning:
    """Bins of one metric whose event (churn) rate follows a required shape.

    Bins are closed on the right: bin ``k`` holds ``edges[k - 1] < x <= edges[k]``.
    Missing values (NaN) form a separate group, reported beside the bins.

    Attributes:
        kind: The shape the event rate follows (see :func:`monotone_bins`).
        edges: Interior cut points, increasing; one fewer than the bins.
        counts: Training rows per bin.
        event_rates: Weighted event rate per bin.
        woe: Weight of evidence per bin (positive = healthier than average).
        iv: Information value of the bins and the missing group together.
        missing_count: Training rows with NaN.
        missing_rate: Their event rate (NaN when there are none).
        missing_woe: Their weight of evidence (NaN when there are none).
    """

    kind: BinningKind
    edges: FloatArray = attrs.field(converter=_frozen_floats, eq=_ARRAY_EQ)
    counts: IntArray = attrs.field(converter=_frozen_ints, eq=_ARRAY_EQ)
    event_rates: FloatArray = attrs.field(converter=_frozen_floats, eq=_ARRAY_EQ)
    woe: FloatArray = attrs.field(converter=_frozen_floats, eq=_ARRAY_EQ)
    iv: float
    missing_count: int
    missing_rate: float
    missing_woe: float

    @property
    def n_bins(self) -> int:
        """Number of value bins (the missing group not counted)."""
        return int(self.counts.size)

    @overload
    def assign(self, x: float) -> int: ...
    @overload
    def assign(self, x: Sequence[float] | FloatArray) -> IntArray: ...
    def assign(self, x: Any) -> Any:
        """Bin index of each value; -1 for NaN.

        Examples:
            >>> b = monotone_bins([1, 2, 3, 4, 5, 6], [1, 1, 0, 1, 0, 0], max_bins=2, min_share=0.0)
            >>> b.edges.tolist(), b.assign([0.5, 3.0, 3.5, float("nan")]).tolist()
            ([3.0], [0, 0, 1, -1])
        """
        arr = _floats("x", x)
        codes = np.searchsorted(self.edges, arr, side="left").astype(np.intp)
        codes = np.where(np.isnan(arr), -1, codes)
        return int(codes) if _is_scalar(x) else codes


def _bin_totals(ends: IntArray, values: FloatArray) -> FloatArray:
    return np.add.reduceat(values, np.r_[0, ends[:-1] + 1])


def _quantile_ends(weight: FloatArray, max_bins: int) -> IntArray:
    """Last distinct value of each quantile bin, cut only between distinct values."""
    cumulative = np.cumsum(weight)
    targets = cumulative[-1] * np.arange(1, max_bins) / max_bins
    cuts = np.minimum(np.searchsorted(cumulative, targets, side="left"), weight.size - 1)
    return np.unique(np.r_[cuts, weight.size - 1]).astype(np.intp)


def _merge_small(ends: IntArray, weight: FloatArray, events: FloatArray, min_share: float) -> IntArray:
    """Merge the lightest bin into a neighbour until every bin holds ``min_share``.

    The neighbour with the closer event rate is chosen (the lighter one on a tie).
    """
    needed = min_share * float(weight.sum())
    while ends.size > 1:
        w = _bin_totals(ends, weight)
        i = int(np.argmin(w))
        if w[i] >= needed:
            break
        rate = _bin_totals(ends, events) / w
        if i == 0:
            j = 1
        elif i == ends.size - 1:
            j = i - 1
        else:
            left, right = abs(rate[i] - rate[i - 1]), abs(rate[i] - rate[i + 1])
            j = i - 1 if (left, w[i - 1]) <= (right, w[i + 1]) else i + 1
        ends = np.delete(ends, min(i, j))
    return ends


def _pooled_ends(ends: IntArray, rates: FloatArray, weights: FloatArray, split: int) -> IntArray:
    """Bins ``[:split]`` pooled to a non-increasing rate, ``[split:]`` to a non-decreasing one."""
    starts = np.r_[
        _pava(rates[:split], weights[:split], increasing=False),
        _pava(rates[split:], weights[split:], increasing=True) + split,
    ].astype(np.intp)
    last = np.r_[starts[1:] - 1, ends.size - 1]
    return ends[last]


def monotone_bins(
    x: ArrayLike,
    y: ArrayLike,
    *,
    kind: BinningKind = "higher_is_better",
    max_bins: int = 10,
    min_share: float = 0.05,
    sample_weight: ArrayLike | None = None,
    smoothing: float = 0.5,
) -> Binning:
    """Bin a metric so that its event (churn) rate follows the required shape.

    The health view names the shapes:

    * ``"higher_is_better"``: the event rate is non-increasing in ``x``;
    * ``"lower_is_better"``: the event rate is non-decreasing in ``x``;
    * ``"peaked"``: the event rate falls to a lowest bin and rises after it
      (health peaks in the middle). Every position of the lowest bin is tried
      and the one keeping the most information value wins; when the data are
      monotone that may be an end bin.

    Steps: (1) quantile bins of the non-missing ``x`` at ``1/max_bins``,
    ``2/max_bins``, ..., cut only between distinct values; (2) the lightest bin
    is merged into the neighbour with the closer event rate until every bin
    holds at least ``min_share`` of the non-missing weight (one bin always
    does, so this rule always holds, at worst with a single bin); (3) adjacent
    bins that break the shape are pooled, as in isotonic regression (bins with
    equal rates are pooled too, so the rates end strictly monotone on each
    side). Pooling only merges bins, so steps (2) and (3) keep ``max_bins`` and
    ``min_share``.

    NaN values of ``x`` form a missing group with its own count, rate and WOE;
    they take no part in the bins and count in the information value. Rows with
    zero weight do not shape the bins but are counted in them. WOE and IV use
    the ``smoothing`` of :func:`information_value`.

    Args:
        x: The metric; NaN marks a missing value.
        y: Outcomes, 0 or 1 (1 = churned), one per row.
        kind: Required shape of the event rate, see above.
        max_bins: Most bins, >= 1.
        min_share: Least share of the non-missing (weighted) rows per bin, in [0, 1].
        sample_weight: Optional weights >= 0, one per row.
        smoothing: Added to each cell before WOE, >= 0.

    Returns:
        The binning, with ``assign`` for new values.

    Examples:
        >>> import numpy as np
        >>> x = np.r_[np.arange(10.0), np.nan]
        >>> y = [1, 1, 1, 0, 1, 0, 0, 0, 1, 0, 1]
        >>> b = monotone_bins(x, y, kind="higher_is_better", max_bins=5, min_share=0.1)
        >>> b.edges.tolist(), b.counts.tolist(), b.event_rates.round(3).tolist()
        ([1.0, 5.0], [2, 4, 4], [1.0, 0.5, 0.25])
        >>> b.missing_count, b.missing_rate
        (1, 1.0)
    """
    xv = _vector("x", x, missing_ok=True)
    yv = _labels("y", y)
    _matching("y", yv, "x", xv.size)
    w = _weights(sample_weight, xv.size, "x")
    if kind not in _KINDS:
        raise ValidationError("kind", f"must be one of {', '.join(map(repr, _KINDS))}", kind)
    most = _count("max_bins", max_bins, 1)
    share = _number("min_share", min_share, low=0.0, high=1.0)
    soft = _number("smoothing", smoothing, low=0.0)

    missing = np.isnan(xv)
    use = ~missing & (w > 0.0)
    if not use.any():
        raise ValidationError(
            "x",
            "must hold at least one non-missing value with positive weight",
            _Shown(f"{xv.size} rows, {int(missing.sum())} missing"),
        )
    values, inverse = np.unique(xv[use], return_inverse=True)
    inverse = inverse.reshape(-1)
    weight = _sum_by(inverse, w[use], values.size)
    events = _sum_by(inverse, (w * yv)[use], values.size)
    missing_w = float(w[missing].sum())
    missing_e = float((w * yv)[missing].sum())

    def score(candidate: IntArray) -> tuple[FloatArray, FloatArray, FloatArray, float]:
        bin_w = _bin_totals(candidate, weight)
        bin_e = _bin_totals(candidate, events)
        cell_e = np.r_[bin_e, missing_e]
        woe, iv = _woe(cell_e, np.r_[bin_w, missing_w] - cell_e, soft)
        return bin_w, bin_e, woe, iv

    ends = _merge_small(_quantile_ends(weight, most), weight, events, share)
    bin_w, bin_e, _, _ = score(ends)
    rates = bin_e / bin_w
    if kind == "higher_is_better":
        ends = _pooled_ends(ends, rates, bin_w, ends.size)
    elif kind == "lower_is_better":
        ends = _pooled_ends(ends, rates, bin_w, 0)
    else:
        candidates = [_pooled_ends(ends, rates, bin_w, split) for split in range(ends.size + 1)]
        ends = max(candidates, key=lambda c: score(c)[3])

    bin_w, bin_e, woe, iv = score(ends)
    edges = values[ends[:-1]]
    counts = np.bincount(np.searchsorted(edges, xv[~missing], side="left"), minlength=ends.size)
    has_missing = missing_w > 0.0
    return Binning(
        kind=kind,
        edges=edges,
        counts=counts,
        event_rates=bin_e / bin_w,
        woe=woe[:-1],
        iv=iv,
        missing_count=int(missing.sum()),
        missing_rate=missing_e / missing_w if has_missing else float("nan"),
        missing_woe=float(woe[-1]) if has_missing else float("nan"),
    )


# --------------------------------------------------------------------------- resampling


def stratified_folds(y: ArrayLike, k: int = 5, seed: int = 0, *, groups: ArrayLike | None = None) -> IntArray:
    """Fold number (0 to ``k - 1``) for each row, each class spread evenly over the folds.

    Rows are shuffled with ``numpy.random.default_rng(seed)``, grouped by class,
    and dealt to the folds in turn, so every class has as many rows in each fold
    as it can (counts differ by at most one) and fold sizes differ by at most
    one. A class with fewer than ``k`` rows misses some folds.

    With ``groups`` (such as the account of each row of a renewal training
    set, which has one row per renewal and lead time), all rows of a group go
    to the same fold, so no fold is scored by a fit that saw the same account.
    Whole groups are then dealt: shuffled, the largest first, each group
    classed by the label most of its rows have (ties: the larger label, as
    churn is 1), and each put in the fold holding the fewest rows of its
    class so far (ties: the fewest rows, then the lowest fold). Classes and
    fold sizes are then as even as whole groups allow.

    Args:
        y: Class label per row (0/1 outcomes, or any discrete labels).
        k: Number of folds, 2 <= k <= number of rows (of groups, with ``groups``).
        seed: Seed of the shuffle; the same seed gives the same folds.
        groups: Optional group label per row; rows of one group share a fold.

    Returns:
        One fold index per row.

    Examples:
        >>> folds = stratified_folds([0, 0, 0, 0, 1, 1], k=2, seed=1)
        >>> sorted(folds.tolist()), sorted(folds[4:].tolist())
        ([0, 0, 0, 1, 1, 1], [0, 1])
        >>> by_account = stratified_folds([0, 1, 0, 0, 1, 0], k=2, groups=["a", "a", "b", "b", "c", "c"])
        >>> [len(set(by_account[i : i + 2].tolist())) for i in (0, 2, 4)]  # one fold per account
        [1, 1, 1]
    """
    codes = _groups("y", y)
    folds = _count("k", k, 2)
    rng = np.random.default_rng(_count("seed", seed, 0))
    if groups is not None:
        members = _groups("groups", groups)
        _matching("groups", members, "y", codes.size)
        return _grouped_folds(codes, members, folds, rng)
    if folds > codes.size:
        raise ValidationError("k", f"must not exceed the number of rows ({codes.size})", k)
    order = rng.permutation(codes.size)
    order = order[np.argsort(codes[order], kind="stable")]
    out = np.empty(codes.size, dtype=np.intp)
    out[order] = np.arange(codes.size) % folds
    return out


def _grouped_folds(codes: IntArray, members: IntArray, folds: int, rng: np.random.Generator) -> IntArray:
    """:func:`stratified_folds` dealing whole groups (see there)."""
    n_groups = int(members.max()) + 1 if members.size else 0
    if folds > n_groups:
        raise ValidationError("k", f"must not exceed the number of groups ({n_groups})", folds)
    n_classes = int(codes.max()) + 1
    counts = np.zeros((n_groups, n_classes), dtype=np.int64)
    np.add.at(counts, (members, codes), 1)
    size = counts.sum(axis=1)
    # the label most rows have; argmax of the reversed columns breaks ties toward the larger label
    label = n_classes - 1 - np.argmax(counts[:, ::-1], axis=1)
    order = rng.permutation(n_groups)
    order = order[np.lexsort((-size[order], label[order]))]
    held = np.zeros((folds, n_classes), dtype=np.int64)
    total = np.zeros(folds, dtype=np.int64)
    fold_of = np.empty(n_groups, dtype=np.intp)
    for g in order.tolist():
        c = int(label[g])
        best = int(np.lexsort((np.arange(folds), total, held[:, c]))[0])
        fold_of[g] = best
        held[best] += counts[g]
        total[best] += size[g]
    return fold_of[members]


def bootstrap_indices(n: int, n_boot: int, seed: int = 0, *, stratify: ArrayLike | None = None) -> Iterator[IntArray]:
    """Row indices of ``n_boot`` bootstrap resamples, one array at a time.

    Each resample draws ``n`` rows with replacement from
    ``numpy.random.default_rng(seed)``. With ``stratify``, row ``i`` of every
    resample is drawn from the rows of the same class as row ``i``, so class
    counts are kept (``labels[idx]`` equals ``labels``). Arguments are checked
    at the call, before the first resample.

    Args:
        n: Number of rows, >= 1.
        n_boot: Number of resamples, >= 1.
        seed: Seed; the same seed gives the same resamples.
        stratify: Optional class label per row.

    Returns:
        An iterator of ``n_boot`` index arrays of length ``n``.

    Examples:
        >>> [idx.tolist() for idx in bootstrap_indices(4, 2, seed=3, stratify=[0, 0, 1, 1])]
        [[1, 0, 2, 2], [0, 1, 3, 3]]
    """
    rows = _count("n", n, 1)
    draws = _count("n_boot", n_boot, 1)
    rng = np.random.default_rng(_count("seed", seed, 0))
    if stratify is None:
        return (rng.integers(0, rows, size=rows).astype(np.intp) for _ in range(draws))
    codes = _groups("stratify", stratify)
    _matching("stratify", codes, "the sample (n)", rows)
    order = np.argsort(codes, kind="stable").astype(np.intp)
    sizes = np.bincount(codes)
    starts = (np.cumsum(sizes) - sizes)[codes]
    own = sizes[codes]
    return (order[starts + rng.integers(0, own)] for _ in range(draws))
