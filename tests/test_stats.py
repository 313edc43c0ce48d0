"""The NumPy statistics core: cross-checks against scikit-learn and SciPy,
hand-computed values, properties, and the errors bad input raises."""

from __future__ import annotations

import math
import os
import platform
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize
from sklearn.calibration import calibration_curve
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score, roc_curve
from sklearn.metrics import log_loss as sk_log_loss

from healthscore._stats import (
    Binning,
    BinningKind,
    InformationValue,
    LogisticFit,
    bootstrap_indices,
    brier,
    fit_logistic,
    information_value,
    isotonic_fit,
    log_loss,
    monotone_bins,
    platt_fit,
    population_stability,
    reliability_table,
    require_converged,
    roc_auc,
    roc_points,
    stratified_folds,
)
from healthscore.exceptions import FitError, HealthScoreError, ValidationError
from healthscore.typing import FloatArray

KINDS: tuple[BinningKind, ...] = ("higher_is_better", "lower_is_better", "peaked")

# --------------------------------------------------------------------------- strategies and data


@st.composite
def labelled(draw: st.DrawFn, *, min_size: int = 2, max_size: int = 60) -> tuple[FloatArray, FloatArray]:
    """0/1 outcomes holding both classes, with risks drawn from few values (many ties)."""
    n = draw(st.integers(min_size, max_size))
    y = draw(st.lists(st.sampled_from([0.0, 1.0]), min_size=n, max_size=n))
    y[0], y[1] = 0.0, 1.0
    risk = draw(st.lists(st.integers(-3, 3).map(float), min_size=n, max_size=n))
    return np.array(y), np.array(risk)


@st.composite
def weights_for(draw: st.DrawFn, n: int) -> FloatArray:
    """Weights >= 0 (zeros included) with a positive sum."""
    w = np.array(draw(st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.5]), min_size=n, max_size=n)))
    assume(w.sum() > 0)
    return w


@st.composite
def binning_data(draw: st.DrawFn) -> tuple[FloatArray, FloatArray]:
    """A metric on a coarse grid (ties), with some NaN, and 0/1 outcomes."""
    n = draw(st.integers(1, 80))
    value = st.one_of(st.integers(0, 25).map(float), st.just(math.nan))
    x = np.array(draw(st.lists(value, min_size=n, max_size=n)))
    assume(not np.isnan(x).all())
    y = np.array(draw(st.lists(st.sampled_from([0.0, 1.0]), min_size=n, max_size=n)))
    return x, y


def logistic_data(seed: int, n: int = 400, scales: tuple[float, ...] = (1.0, 10.0, 0.1, 3.0, 1.0)) -> Any:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, len(scales))) * np.array(scales)
    beta = np.linspace(1.0, -1.0, len(scales)) / np.array(scales)
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-(X @ beta - 0.5)))).astype(float)
    w = rng.uniform(0.0, 3.0, n)
    return X, y, w


def _theta(fit: LogisticFit | tuple[FloatArray, float]) -> FloatArray:
    coef, intercept = (fit.coef, fit.intercept) if isinstance(fit, LogisticFit) else fit
    theta: FloatArray = np.r_[coef, intercept]
    return theta


def agreement_bound(
    X: FloatArray, y: FloatArray, w: FloatArray, l2: float, *fits: LogisticFit | tuple[FloatArray, float]
) -> float:
    """How far apart two approximate minimisers of a strongly convex objective can lie.

    With ``mu`` the smallest eigenvalue of the Hessian at the optimum, a point
    whose gradient is ``g`` lies within ``|g| / mu`` of the minimiser (to first
    order; the factor 2 covers the change of curvature between the points). So
    two solvers agree to ``2 * (|g_a| + |g_b|) / mu``, whatever their stopping
    rules, plus the rounding of the gradient itself (``n * eps`` of the sum of
    absolute terms, over ``mu``). The intercept is always fitted here.
    """
    design = np.c_[X, np.ones(X.shape[0])]
    penalty = np.r_[np.full(X.shape[1], l2), 0.0]
    norms = []
    for fit in fits:
        theta = _theta(fit)
        p = 1.0 / (1.0 + np.exp(-(design @ theta)))
        norms.append(float(np.linalg.norm(design.T @ (w * (p - y)) + penalty * theta)))
    p = 1.0 / (1.0 + np.exp(-(design @ _theta(fits[0]))))
    hess = (design * (w * p * (1 - p))[:, None]).T @ design + np.diag(penalty)
    mu = float(np.linalg.eigvalsh(hess)[0])
    rounding = X.shape[0] * np.finfo(float).eps * float(np.abs(design).T @ w @ np.ones(1 + X.shape[1]))
    return float(2.0 * (sum(norms) + rounding) / mu)


def is_non_increasing(a: FloatArray) -> bool:
    return bool(np.all(np.diff(a) <= 1e-12))


def is_non_decreasing(a: FloatArray) -> bool:
    return bool(np.all(np.diff(a) >= -1e-12))


def is_valley(a: FloatArray) -> bool:
    return any(is_non_increasing(a[: m + 1]) and is_non_decreasing(a[m:]) for m in range(a.size))


# --------------------------------------------------------------------------- ROC


def test_auc_hand_computed() -> None:
    # Events at 0.35 and 0.8; non-events at 0.1 and 0.4: 3 of 4 pairs ordered.
    assert roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
    assert roc_auc([0, 1, 0, 1], [1, 2, 3, 4]) == 0.75
    assert roc_auc([0, 1], [1, 2]) == 1.0
    assert roc_auc([1, 0], [1, 2]) == 0.0
    assert roc_auc([0, 1, 0, 1], [5, 5, 5, 5]) == 0.5


@given(labelled())
def test_auc_equals_sklearn_with_ties(data: tuple[FloatArray, FloatArray]) -> None:
    y, risk = data
    assert roc_auc(y, risk) == pytest.approx(roc_auc_score(y, risk), abs=1e-12)


@given(st.data())
def test_auc_equals_sklearn_with_weights(data: st.DataObject) -> None:
    y, risk = data.draw(labelled())
    w = data.draw(weights_for(y.size))
    assume(w @ y > 0 and w @ (1 - y) > 0)
    assert roc_auc(y, risk, w) == pytest.approx(roc_auc_score(y, risk, sample_weight=w), abs=1e-12)


def test_auc_large_sample_equals_sklearn() -> None:
    rng = np.random.default_rng(3)
    y = (rng.random(50_000) < 0.2).astype(float)
    risk = np.round(rng.normal(size=y.size) + y, 1)  # rounding makes many ties
    w = rng.uniform(0.0, 2.0, y.size)
    assert roc_auc(y, risk) == pytest.approx(roc_auc_score(y, risk), abs=1e-12)
    assert roc_auc(y, risk, w) == pytest.approx(roc_auc_score(y, risk, sample_weight=w), abs=1e-12)


def test_auc_is_rank_based() -> None:
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 300)
    risk = rng.normal(size=300)
    assert roc_auc(y, risk) == pytest.approx(roc_auc(y, np.exp(3 * risk)), abs=1e-15)
    assert roc_auc(y, -risk) == pytest.approx(1 - roc_auc(y, risk), abs=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
def test_roc_points_equal_sklearn(weighted: bool) -> None:
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 200).astype(float)
    risk = rng.integers(0, 30, 200).astype(float)
    w = rng.uniform(0.1, 2.0, 200) if weighted else None
    fpr, tpr, thresholds = roc_points(y, risk, w)
    sk_fpr, sk_tpr, sk_thresholds = roc_curve(y, risk, sample_weight=w, drop_intermediate=False)
    np.testing.assert_allclose(fpr, sk_fpr, atol=1e-12)
    np.testing.assert_allclose(tpr, sk_tpr, atol=1e-12)
    np.testing.assert_array_equal(thresholds, sk_thresholds)
    assert np.trapezoid(tpr, fpr) == pytest.approx(roc_auc(y, risk, w), abs=1e-12)


# --------------------------------------------------------------------------- logistic regression


@pytest.mark.parametrize("l2", [0.0, 0.1, 1.0, 10.0])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_logistic_equals_sklearn(l2: float, fit_intercept: bool) -> None:
    X, y, w = logistic_data(0)
    fit = fit_logistic(X, y, l2=l2, sample_weight=w, fit_intercept=fit_intercept)
    reference = LogisticRegression(
        C=np.inf if l2 == 0 else 1 / l2,
        solver="newton-cholesky",
        fit_intercept=fit_intercept,
        tol=1e-12,
        max_iter=10_000,
    ).fit(X, y, sample_weight=w)
    assert fit.converged
    assert fit.n_iter <= 15  # Newton from the log-odds start: a handful of steps, then quadratic
    if fit_intercept:
        # Both are approximate minimisers: they agree to within the bound their gradients give.
        bound = agreement_bound(X, y, w, l2, fit, (reference.coef_[0], float(reference.intercept_[0])))
        assert bound < 1e-5  # the bound is tight enough to mean something
        assert float(np.linalg.norm(_theta(fit) - np.r_[reference.coef_[0], reference.intercept_[0]])) <= bound
    else:
        np.testing.assert_allclose(fit.coef, reference.coef_[0], rtol=1e-6, atol=1e-9)  # both stop near 1e-10
    # Probabilities move by at most |x| * |d theta| / 4; with |d theta| < 1e-5 and |x| ~ 30, 1e-4 bounds that.
    np.testing.assert_allclose(fit.predict_proba(X), reference.predict_proba(X)[:, 1], atol=1e-4)
    # The same probabilities through two formulas: they differ by rounding only (n * eps of the sum).
    assert fit.log_loss == pytest.approx(sk_log_loss(y, fit.predict_proba(X), sample_weight=w), rel=1e-12)


def test_logistic_prior_is_the_centre_of_the_penalty() -> None:
    X, y, _ = logistic_data(1)
    prior = np.array([0.5, -0.1, 2.0, 0.0, 1.0])
    fit = fit_logistic(X, y, l2=3.0, prior=prior)
    p = fit.predict_proba(X)
    grad = X.T @ (p - y) + 3.0 * (fit.coef - prior)
    assert fit.converged
    np.testing.assert_allclose(grad, 0.0, atol=1e-7)
    assert float((p - y).sum()) == pytest.approx(0.0, abs=1e-7)
    # A huge penalty pins the coefficients to the prior.
    pinned = fit_logistic(X, y, l2=1e9, prior=prior)
    np.testing.assert_allclose(pinned.coef, prior, atol=1e-5)


def kkt_gradient(fit: LogisticFit, X: FloatArray, y: FloatArray, w: FloatArray, l2: float) -> FloatArray:
    return X.T @ (w * (fit.predict_proba(X) - y)) + l2 * fit.coef


@pytest.mark.parametrize("nonnegative", [True, np.array([True, True, False, True, True])])
def test_logistic_nonnegative_meets_kkt_and_matches_scipy(nonnegative: Any) -> None:
    X, y, w = logistic_data(2)
    p = X.shape[1]
    l2 = 1.0
    fit = fit_logistic(X, y, l2=l2, sample_weight=w, nonnegative=nonnegative)
    mask = np.broadcast_to(np.asarray(nonnegative), (p,))
    grad = kkt_gradient(fit, X, y, w, l2)
    at_zero = mask & (fit.coef == 0)
    assert fit.converged
    assert np.all(fit.coef[mask] >= 0)
    assert at_zero.any()  # the data make some constraint bind
    np.testing.assert_allclose(grad[~at_zero], 0.0, atol=1e-6)
    assert np.all(grad[at_zero] >= -1e-9)

    def objective(theta: FloatArray) -> float:
        eta = X @ theta[:p] + theta[p]
        return float(w @ np.logaddexp(0, (1 - 2 * y) * eta) + 0.5 * l2 * theta[:p] @ theta[:p])

    bounds = [(0.0, None) if m else (None, None) for m in mask] + [(None, None)]
    reference = minimize(
        objective, np.zeros(p + 1), method="L-BFGS-B", bounds=bounds, options={"ftol": 1e-15, "gtol": 1e-10}
    )
    # L-BFGS-B stops on its projected gradient (gtol 1e-10) and its relative decrease (ftol 1e-15); the
    # objective is strongly convex (l2 = 1), so the two minimisers are at most |g| / l2 apart, and with
    # its gradient near 1e-6 here (the weights sum to ~600) 1e-5 leaves a factor 10 of room.
    np.testing.assert_allclose(fit.coef, reference.x[:p], atol=1e-5)
    # Ours is the better minimiser (Newton ends with a quadratic step) up to the rounding of a sum of
    # 400 terms of size ~1 (400 * eps * 300 ~ 3e-11, written as 1e-9).
    assert fit.objective <= reference.fun + 1e-9


@settings(max_examples=25)
@given(st.integers(0, 2**32 - 1), st.lists(st.booleans(), min_size=3, max_size=3), st.sampled_from([0.01, 1.0, 30.0]))
def test_logistic_kkt_property(seed: int, flags: list[bool], l2: float) -> None:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(60, 3))
    y = rng.integers(0, 2, 60).astype(float)
    w = np.ones(60)
    fit = fit_logistic(X, y, l2=l2, nonnegative=np.array(flags))
    mask = np.array(flags)
    grad = kkt_gradient(fit, X, y, w, l2)
    at_zero = mask & (fit.coef == 0)
    assert fit.converged
    assert np.all(fit.coef[mask] >= 0)
    np.testing.assert_allclose(grad[~at_zero], 0.0, atol=1e-6)
    assert np.all(grad[at_zero] >= -1e-9)


def test_logistic_separable_without_penalty_reports_no_convergence() -> None:
    rng = np.random.default_rng(6)
    X = rng.normal(size=(100, 2))
    y = (X[:, 0] > 0).astype(float)
    fit = fit_logistic(X, y, l2=0.0, max_iter=50)
    assert not fit.converged
    assert fit.n_iter == 50
    assert np.all(np.isfinite(fit.coef))
    assert math.isfinite(fit.intercept)
    assert np.all(np.isfinite(fit.predict_proba(X)))
    assert fit.log_loss < 1e-3
    # The same data with a ridge penalty has a proper minimum.
    assert fit_logistic(X, y, l2=1.0).converged


def test_logistic_ignores_zero_weight_rows() -> None:
    X, y, w = logistic_data(7)
    w[:50] = 0.0
    fit = fit_logistic(X, y, l2=1.0, sample_weight=w)
    reference = fit_logistic(X[50:], y[50:], l2=1.0, sample_weight=w[50:])
    # The same objective, but a copy of the array may take another BLAS path: equal to the bound.
    assert float(np.linalg.norm(_theta(fit) - _theta(reference))) <= agreement_bound(X, y, w, 1.0, fit, reference)


def test_logistic_handles_collinear_columns_without_penalty() -> None:
    X, y, _ = logistic_data(7)
    ones = np.ones(X.shape[0])
    reference = fit_logistic(X, y, l2=0.0)
    bound = agreement_bound(X, y, ones, 0.0, reference)  # how well the reference itself is pinned
    assert reference.converged
    doubled = np.c_[X, X[:, :1]]
    fit = fit_logistic(doubled, y, l2=0.0)
    # The Hessian is singular along (1, 0, 0, 0, 0, -1): that direction is dropped, so the fit converges
    # in as many steps as without the copy and splits the weight between the copies (the minimum-norm step).
    assert fit.converged
    assert fit.n_iter <= reference.n_iter + 1
    assert fit.coef[0] + fit.coef[-1] == pytest.approx(reference.coef[0], abs=bound)
    assert fit.coef[0] == pytest.approx(fit.coef[-1], abs=bound)
    # Probabilities move by at most |x| |d theta| / 4 (|x| < 40 here).
    np.testing.assert_allclose(fit.predict_proba(doubled), reference.predict_proba(X), atol=10 * bound)
    # A column of zeros carries no information: its gradient and curvature are exactly 0, so it never moves.
    padded = fit_logistic(np.c_[np.zeros(X.shape[0]), X], y, l2=0.0)
    assert padded.converged
    assert padded.coef[0] == 0.0
    np.testing.assert_allclose(padded.coef[1:], reference.coef, atol=bound)


def test_logistic_handles_copies_and_a_constant_column() -> None:
    X, y, _ = logistic_data(3)
    reference = fit_logistic(X, y, l2=0.0)
    bound = agreement_bound(X, y, np.ones(X.shape[0]), 0.0, reference)
    tripled = fit_logistic(np.c_[X, X, X], y, l2=0.0)
    assert tripled.converged
    np.testing.assert_allclose(tripled.coef.reshape(3, -1).sum(axis=0), reference.coef, atol=3 * bound)
    # A constant column duplicates the intercept: only their sum is determined.
    constant = fit_logistic(np.c_[np.full(X.shape[0], 2.0), X], y, l2=0.0)
    assert constant.converged
    assert 2.0 * constant.coef[0] + constant.intercept == pytest.approx(reference.intercept, abs=3 * bound)
    np.testing.assert_allclose(constant.coef[1:], reference.coef, atol=bound)
    # With a penalty the same design has a unique minimum, which the fit reaches.
    assert fit_logistic(np.c_[X, X, np.ones(X.shape[0])], y, l2=1.0).converged


@pytest.mark.skipif(platform.machine().lower() not in {"x86_64", "amd64"}, reason="OpenBLAS x86 kernels")
@pytest.mark.parametrize(
    "env",
    [{"OPENBLAS_CORETYPE": "Haswell"}, {"OPENBLAS_CORETYPE": "Sandybridge"}, {"OPENBLAS_NUM_THREADS": "1"}],
    ids=lambda e: "-".join(e.values()),
)
def test_logistic_converges_on_every_blas_kernel(env: dict[str, str]) -> None:
    """The kernel changes the last bits of every product; the stopping test must not depend on them."""
    code = textwrap.dedent("""
        import sys
        import numpy as np
        from healthscore._stats import fit_logistic
        rng = np.random.default_rng(7)
        X = rng.normal(size=(400, 5)) * np.array([1.0, 10.0, 0.1, 3.0, 1.0])
        y = (rng.random(400) < 0.4).astype(float)
        for design in (np.c_[X, X[:, :1]], np.c_[np.zeros(400), X], np.c_[X, X, np.ones(400)]):
            fit = fit_logistic(design, y, l2=0.0)
            assert fit.converged and fit.n_iter <= 10, fit
            fit = fit_logistic(design, y, l2=1.0, nonnegative=True)
            assert fit.converged and fit.n_iter <= 10, fit
        print("ok")
    """)
    src = str(Path(__file__).resolve().parents[1] / "src")
    path = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH", "")) if p)
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, **env, "PYTHONPATH": path}
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ok"


def test_logistic_separable_with_a_penalty_has_a_finite_minimum() -> None:
    rng = np.random.default_rng(11)
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(float)
    ones = np.ones(200)
    for l2 in (1e-4, 1.0):
        fit = fit_logistic(X, y, l2=l2)
        assert fit.converged
        # At the minimum the penalised gradient vanishes; it is known to the rounding of a sum of
        # 200 terms (200 * eps * the size of the coefficients' gradient terms), written as 1e-8.
        np.testing.assert_allclose(kkt_gradient(fit, X, y, ones, l2), 0.0, atol=1e-8 * (1 + np.abs(fit.coef).max()))


def test_logistic_bounds_active_at_the_optimum() -> None:
    rng = np.random.default_rng(12)
    X = rng.normal(size=(500, 3))
    y = (rng.random(500) < 1 / (1 + np.exp(-(X @ np.array([1.0, -2.0, 0.5]))))).astype(float)
    fit = fit_logistic(X, y, l2=1.0, nonnegative=True)
    assert fit.converged
    assert fit.n_iter <= 15
    assert fit.coef[1] == 0.0  # projected onto the bound exactly, not merely close to it
    grad = kkt_gradient(fit, X, y, np.ones(500), 1.0)
    assert grad[1] > 1.0  # the bound binds: the data pull the coefficient below zero
    # Free coefficients: gradient zero up to the solver's tolerance (relative decrement 1e-8 then one
    # more Newton step) and the rounding of 500-term sums, both far below 1e-6.
    np.testing.assert_allclose(grad[[0, 2]], 0.0, atol=1e-6)
    assert fit.grad_norm <= 1e-6


def test_logistic_already_optimal_start_stops_at_once() -> None:
    # Symmetric data: the start (coef = 0, intercept = log-odds = 0) is the exact optimum.
    X = np.array([[-1.0], [1.0], [-1.0], [1.0]])
    fit = fit_logistic(X, [0, 0, 1, 1], l2=0.0)
    assert fit.converged
    assert fit.n_iter == 0
    assert fit.coef.tolist() == [0.0]
    assert fit.decrement == 0.0
    # A huge penalty makes the prior optimal to within 1 / l2.
    X, y, _ = logistic_data(4, n=100)
    prior = np.array([0.3, 0.0, -1.0, 0.2, 0.0])
    pinned = fit_logistic(X, y, l2=1e12, prior=prior)
    assert pinned.converged
    assert pinned.n_iter <= 3
    np.testing.assert_allclose(pinned.coef, prior, atol=1e-8)


def test_logistic_iteration_limit_is_reported_and_raises_when_required() -> None:
    X, y, w = logistic_data(5)
    fit = fit_logistic(X, y, l2=1.0, sample_weight=w, max_iter=1)
    assert not fit.converged
    assert fit.n_iter == 1
    assert fit.decrement > 1e-8
    with pytest.raises(FitError, match=r"the test fit on 400 rows did not converge after 1 Newton steps") as caught:
        require_converged(fit, "the test fit on 400 rows", hint="raise max_iter")
    assert str(caught.value).endswith("; raise max_iter")
    assert caught.value.hint == "raise max_iter"
    assert isinstance(caught.value, HealthScoreError)
    assert require_converged(fit_logistic(X, y, l2=1.0, sample_weight=w), "the fit", "none") is not None


def test_logistic_with_one_class_reports_no_convergence() -> None:
    fit = fit_logistic(np.zeros((10, 0)), np.ones(10), l2=0.0, max_iter=1000)
    assert not fit.converged
    assert math.isfinite(fit.intercept)
    intercept_only = fit_logistic(np.zeros((10, 0)), [0] * 3 + [1] * 7)
    assert intercept_only.converged
    assert intercept_only.intercept == pytest.approx(math.log(7 / 3))


def test_logistic_fit_is_a_frozen_value() -> None:
    X, y, _ = logistic_data(8, n=50)
    fit = fit_logistic(X, y)
    assert fit == fit_logistic(X, y)
    assert not fit.coef.flags.writeable
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        fit.intercept = 0.0  # type: ignore[misc]
    assert attrs.evolve(fit, intercept=0.0) != fit


# --------------------------------------------------------------------------- isotonic and Platt


@given(st.data(), st.booleans())
def test_isotonic_equals_sklearn(data: st.DataObject, increasing: bool) -> None:
    n = data.draw(st.integers(1, 50))
    x = np.array(data.draw(st.lists(st.integers(0, 12).map(float), min_size=n, max_size=n)))
    y = np.array(data.draw(st.lists(st.floats(-10, 10), min_size=n, max_size=n)))
    w = data.draw(st.none() | weights_for(n))
    fit = isotonic_fit(x, y, w, increasing=increasing)
    reference = IsotonicRegression(increasing=increasing, out_of_bounds="clip").fit(x, y, sample_weight=w)
    grid = np.linspace(-2.0, 14.0, 33)
    np.testing.assert_allclose(fit.predict(grid), reference.predict(grid), atol=1e-10)
    np.testing.assert_allclose(fit.predict(x), reference.predict(x), atol=1e-10)
    np.testing.assert_array_equal(fit.x_knots, reference.X_thresholds_)
    np.testing.assert_allclose(fit.y_knots, reference.y_thresholds_, atol=1e-10)


@pytest.mark.parametrize(
    "y",
    [
        np.r_[3000.0, np.arange(1.0, 3000.0)],  # a staircase: pooling absorbs one row a pass
        np.arange(3000.0)[::-1],  # everything pools into one block
        np.random.default_rng(9).normal(size=3000).cumsum(),
    ],
    ids=["staircase", "decreasing", "random-walk"],
)
def test_isotonic_long_inputs_equal_sklearn(y: FloatArray) -> None:
    x = np.arange(y.size, dtype=float)
    fit = isotonic_fit(x, y)
    reference = IsotonicRegression(out_of_bounds="clip").fit(x, y)
    np.testing.assert_allclose(fit.predict(x), reference.predict(x), atol=1e-10 * np.abs(y).max())


def test_isotonic_predict_scalar_nan_and_constant() -> None:
    fit = isotonic_fit([1.0, 2.0, 3.0], [0.2, 0.1, 0.9])
    assert fit.predict(2.0) == pytest.approx(0.15)
    assert isinstance(fit.predict(2.0), float)
    assert np.isnan(fit.predict([np.nan, 1.0])).tolist() == [True, False]
    constant = isotonic_fit([5.0, 5.0], [1.0, 3.0])
    assert constant.predict([0.0, 5.0, 9.0]).tolist() == [2.0, 2.0, 2.0]


def test_platt_equals_sklearn() -> None:
    rng = np.random.default_rng(10)
    score = rng.uniform(0, 100, 800)
    y = (rng.random(800) < 1 / (1 + np.exp(0.08 * (score - 40)))).astype(float)
    fit = platt_fit(score, y)
    reference = LogisticRegression(C=1e10, tol=1e-12, max_iter=10_000).fit(score[:, None], y)
    assert fit.converged
    # Two stopping rules (ours: relative decrement 1e-8 then a Newton step; lbfgs: tol 1e-12) and
    # different penalties (1e-6 vs 1e-10 on a slope near -0.08): both shift the optimum by far less than
    # 1e-5 relative, while the condition number of the unscaled score (~1e4) limits lbfgs's accuracy.
    assert fit.slope == pytest.approx(float(reference.coef_[0, 0]), rel=1e-5)
    assert fit.intercept == pytest.approx(float(reference.intercept_[0]), rel=1e-5)
    np.testing.assert_allclose(fit.predict(score), reference.predict_proba(score[:, None])[:, 1], atol=1e-6)
    assert isinstance(fit.predict(50.0), float)


def test_platt_on_separable_scores_stays_finite() -> None:
    fit = platt_fit([1.0, 2.0, 3.0, 4.0], [1, 1, 0, 0])
    assert fit.converged
    assert fit.slope < 0
    assert 0.0 < fit.predict(2.5) < 1.0


# --------------------------------------------------------------------------- probability scores


@pytest.mark.parametrize("weighted", [False, True])
def test_brier_and_log_loss_equal_sklearn(weighted: bool) -> None:
    rng = np.random.default_rng(11)
    y = rng.integers(0, 2, 300).astype(float)
    p = rng.uniform(0, 1, 300)
    p[:3] = [0.0, 1.0, 0.5]
    w = rng.uniform(0, 2, 300) if weighted else None
    assert brier(y, p, w) == pytest.approx(brier_score_loss(y, p, sample_weight=w), abs=1e-12)
    assert log_loss(y, p, w) == pytest.approx(sk_log_loss(y, p, sample_weight=w, labels=[0, 1]), abs=1e-12)


def test_log_loss_hand_computed() -> None:
    assert log_loss([1, 0], [0.8, 0.4]) == pytest.approx(-(math.log(0.8) + math.log(0.6)) / 2)
    assert math.isfinite(log_loss([1], [0.0]))


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
@pytest.mark.parametrize("n_bins", [1, 5, 10])
def test_reliability_table_equals_calibration_curve(strategy: Any, n_bins: int) -> None:
    rng = np.random.default_rng(12)
    p = rng.beta(0.7, 2.0, 500)
    p[:20] = 0.3  # ties
    y = (rng.random(500) < p).astype(float)
    table = reliability_table(y, p, n_bins=n_bins, strategy=strategy)
    prob_true, prob_pred = calibration_curve(y, p, n_bins=n_bins, strategy=strategy)
    full = table.nonempty
    np.testing.assert_allclose(table.observed_rate[full], prob_true, atol=1e-12)
    np.testing.assert_allclose(table.mean_predicted[full], prob_pred, atol=1e-12)
    assert table.count.sum() == 500
    assert np.isnan(table.observed_rate[~full]).all()
    assert table.edges.size == n_bins + 1


def test_reliability_calibration_error_hand_computed() -> None:
    table = reliability_table([0, 1, 1, 1], [0.2, 0.4, 0.6, 0.8], n_bins=2)
    # Bin 1: predicted 0.3, observed 0.5; bin 2: predicted 0.7, observed 1.0.
    assert table.calibration_error == pytest.approx((2 * 0.2 + 2 * 0.3) / 4)


# --------------------------------------------------------------------------- drift


def test_psi_identical_samples_is_zero() -> None:
    rng = np.random.default_rng(13)
    x = rng.normal(size=1000)
    x[:10] = np.nan
    result = population_stability(x, x)
    assert result.psi == 0.0
    assert result.expected_count[-1] == 10


def test_psi_hand_computed() -> None:
    expected = np.arange(1.0, 11.0)
    actual = np.array([1, 2, 3, 4, 5, 6, 7, 8, np.nan, np.nan])
    result = population_stability(expected, actual, bins=2)
    assert result.edges.tolist() == [5.5]
    assert result.expected_count.tolist() == [5, 5, 0]
    assert result.actual_count.tolist() == [5, 3, 2]
    np.testing.assert_allclose(result.expected_share, [0.5, 0.5, 0.0])
    np.testing.assert_allclose(result.actual_share, [0.5, 0.3, 0.2])
    upper = (0.3 - 0.5) * math.log(0.3 / 0.5)
    missing = (0.2 - 1e-4) * math.log(0.2 / 1e-4)  # the empty baseline share is floored at epsilon
    np.testing.assert_allclose(result.contribution, [0.0, upper, missing])
    assert result.psi == pytest.approx(upper + missing)


def test_psi_outer_bins_are_open_and_ties_merge_edges() -> None:
    result = population_stability([0, 0, 0, 0, 1, 2], [-100.0, 100.0], bins=4)
    assert result.edges.tolist() == [0.0, 0.75]
    assert result.expected_count.tolist() == [4, 0, 2, 0]
    assert result.actual_count.tolist() == [1, 0, 1, 0]
    assert result.psi == pytest.approx((0.5 - 4 / 6) * math.log(0.5 / (4 / 6)) + (0.5 - 2 / 6) * math.log(1.5))


@given(st.lists(st.floats(-1e6, 1e6) | st.just(math.nan), min_size=1, max_size=60), st.integers(1, 12))
def test_psi_properties(values: list[float], bins: int) -> None:
    x = np.array(values)
    assume(not np.isnan(x).all())
    rng = np.random.default_rng(0)
    other = rng.permutation(x)[: max(1, x.size // 2)]
    result = population_stability(x, other, bins=bins)
    assert population_stability(x, x, bins=bins).psi == 0.0
    assert result.psi >= 0.0
    assert result.expected_count.sum() == x.size
    assert result.actual_count.sum() == other.size
    assert result.contribution.size == result.edges.size + 2


# --------------------------------------------------------------------------- weight of evidence


def test_information_value_hand_computed() -> None:
    codes = [0, 0, 0, 0, 1, 1, 1, 1]
    y = [1, 0, 0, 0, 1, 1, 1, 0]
    # Bin 0: 1 event, 3 non-events; bin 1: 3 events, 1 non-event.
    iv, woe, rates, counts = information_value(codes, y, smoothing=0)
    assert iv == pytest.approx(math.log(3))
    np.testing.assert_allclose(woe, [math.log(3), -math.log(3)])
    assert rates.tolist() == [0.25, 0.75]
    assert counts.tolist() == [4, 4]
    # Smoothing 0.5: events 1.5 and 3.5 (shares 0.3, 0.7), non-events 3.5 and 1.5.
    smoothed = information_value(codes, y)
    assert isinstance(smoothed, InformationValue)
    assert smoothed.iv == pytest.approx(2 * 0.4 * math.log(7 / 3))
    np.testing.assert_allclose(smoothed.woe, [math.log(7 / 3), -math.log(7 / 3)])


def test_information_value_empty_cells() -> None:
    codes = [0, 0, 1, 1, 3]
    y = [0, 0, 1, 0, 1]
    result = information_value(codes, y, n_bins=5)
    # Bin 0 holds no event: smoothing keeps its WOE finite. Bins 2 and 4 hold no rows.
    assert np.isfinite(result.woe[[0, 1, 3]]).all()
    assert np.isnan(result.woe[[2, 4]]).all()
    assert np.isnan(result.event_rates[[2, 4]]).all()
    assert result.counts.tolist() == [2, 2, 0, 1, 0]
    events = np.array([0, 1, 1]) + 0.5
    non_events = np.array([2, 1, 0]) + 0.5
    share_e, share_ne = events / events.sum(), non_events / non_events.sum()
    assert result.iv == pytest.approx(float((share_ne - share_e) @ np.log(share_ne / share_e)))
    with pytest.raises(ValidationError, match=r"smoothing must be > 0 when a bin has no events or no non-events"):
        information_value(codes, y, smoothing=0)


# --------------------------------------------------------------------------- monotone binning


def check_binning(b: Binning, x: FloatArray, y: FloatArray, max_bins: int, min_share: float) -> None:
    present = ~np.isnan(x)
    n_present = int(present.sum())
    assert 1 <= b.n_bins <= max_bins
    assert b.edges.size == b.n_bins - 1
    assert np.all(np.diff(b.edges) > 0)
    assert b.counts.sum() == n_present
    assert np.all(b.counts / n_present >= min_share - 1e-12)
    codes = b.assign(x)
    assert np.array_equal(codes == -1, ~present)
    assert np.bincount(codes[present], minlength=b.n_bins).tolist() == b.counts.tolist()
    rates = np.array([y[present][codes[present] == k].mean() for k in range(b.n_bins)])
    np.testing.assert_allclose(b.event_rates, rates, atol=1e-12)
    assert b.missing_count == int((~present).sum())
    if b.missing_count:
        assert b.missing_rate == pytest.approx(y[~present].mean())
    else:
        assert math.isnan(b.missing_rate)
        assert math.isnan(b.missing_woe)
    # The IV is that of the bins plus the missing group.
    full_codes = np.where(present, codes, b.n_bins)
    assert b.iv == pytest.approx(information_value(full_codes, y).iv, abs=1e-12)
    assert b.iv >= 0.0
    if b.kind == "higher_is_better":
        assert is_non_increasing(b.event_rates)
    elif b.kind == "lower_is_better":
        assert is_non_decreasing(b.event_rates)
    else:
        assert is_valley(b.event_rates)


@given(binning_data(), st.sampled_from(KINDS), st.integers(1, 8), st.sampled_from([0.0, 0.05, 0.2, 0.45, 1.0]))
def test_monotone_bins_properties(data: tuple[FloatArray, FloatArray], kind: Any, max_bins: int, share: float) -> None:
    x, y = data
    b = monotone_bins(x, y, kind=kind, max_bins=max_bins, min_share=share)
    check_binning(b, x, y, max_bins, share)


@given(binning_data(), st.integers(1, 8))
def test_peaked_keeps_at_least_the_monotone_information(data: tuple[FloatArray, FloatArray], max_bins: int) -> None:
    x, y = data
    ivs = {kind: monotone_bins(x, y, kind=kind, max_bins=max_bins, min_share=0.05).iv for kind in KINDS}
    assert ivs["peaked"] >= max(ivs["higher_is_better"], ivs["lower_is_better"]) - 1e-12


@settings(max_examples=50)
@given(st.data())
def test_monotone_bins_weighted_shares(data: st.DataObject) -> None:
    x, y = data.draw(binning_data())
    w = data.draw(weights_for(x.size))
    assume(w[~np.isnan(x)].sum() > 0)
    b = monotone_bins(x, y, kind="higher_is_better", max_bins=6, min_share=0.1, sample_weight=w)
    present = ~np.isnan(x)
    codes = b.assign(x[present])
    shares = np.bincount(codes, weights=w[present], minlength=b.n_bins) / w[present].sum()
    assert np.all(shares >= 0.1 - 1e-12)
    assert b.counts.sum() == present.sum()
    assert is_non_increasing(b.event_rates)


def test_monotone_bins_recover_a_known_shape() -> None:
    rng = np.random.default_rng(14)
    x = rng.uniform(0, 100, 20_000)
    x[:500] = np.nan
    falling = 0.5 - 0.004 * np.nan_to_num(x, nan=50.0)
    y = (rng.random(x.size) < falling).astype(float)
    b = monotone_bins(x, y, kind="higher_is_better", max_bins=8, min_share=0.05)
    assert b.n_bins >= 5
    assert b.woe[-1] > 0 > b.woe[0]  # the high end is healthier than average
    assert b.missing_count == 500
    check_binning(b, x, y, 8, 0.05)
    # The wrong direction pools everything into one bin.
    assert monotone_bins(x, y, kind="lower_is_better").n_bins == 1

    u_shaped = 0.05 + 0.0002 * (np.nan_to_num(x, nan=50.0) - 50.0) ** 2
    y = (rng.random(x.size) < u_shaped).astype(float)
    peaked = monotone_bins(x, y, kind="peaked", max_bins=10)
    lowest = int(np.argmin(peaked.event_rates))
    assert 0 < lowest < peaked.n_bins - 1
    assert peaked.n_bins >= 5
    check_binning(peaked, x, y, 10, 0.05)


def test_monotone_bins_respect_distinct_values_and_scalars() -> None:
    x = np.array([1.0] * 90 + [2.0] * 5 + [3.0] * 5)
    y = np.array([0.0] * 90 + [1.0] * 10)
    b = monotone_bins(x, y, kind="lower_is_better", max_bins=10, min_share=0.05)
    assert b.edges.tolist() == [1.0]
    assert b.counts.tolist() == [90, 10]
    assert [b.assign(1.0), b.assign(1.5), b.assign(math.nan)] == [0, 1, -1]
    assert isinstance(b.assign(2.0), int)


# --------------------------------------------------------------------------- resampling


@given(st.lists(st.sampled_from([0, 1, 2]), min_size=2, max_size=80), st.integers(2, 6), st.integers(0, 1000))
def test_stratified_folds_balance_classes(labels: list[int], k: int, seed: int) -> None:
    y = np.array(labels)
    assume(k <= y.size)
    folds = stratified_folds(y, k=k, seed=seed)
    assert set(folds.tolist()) <= set(range(k))
    sizes = np.bincount(folds, minlength=k)
    assert sizes.max() - sizes.min() <= 1
    for c in np.unique(y):
        per_fold = np.bincount(folds[y == c], minlength=k)
        assert per_fold.max() - per_fold.min() <= 1
    assert np.array_equal(folds, stratified_folds(y, k=k, seed=seed))


@st.composite
def grouped_rows(draw: st.DrawFn) -> tuple[Any, Any]:
    """0/1 outcomes of rows in groups of 1 to 4 rows (an account's renewal rows)."""
    sizes = draw(st.lists(st.integers(1, 4), min_size=2, max_size=40))
    groups = np.repeat([f"acc-{i}" for i in range(len(sizes))], sizes)
    y = np.array(draw(st.lists(st.sampled_from([0, 1]), min_size=groups.size, max_size=groups.size)))
    order = draw(st.permutations(list(range(groups.size))))
    return y[order], groups[order]


@given(grouped_rows(), st.integers(2, 6), st.integers(0, 1000))
def test_grouped_folds_never_split_a_group(rows: tuple[Any, Any], k: int, seed: int) -> None:
    y, groups = rows
    n_groups = np.unique(groups).size
    assume(k <= n_groups)
    folds = stratified_folds(y, k=k, seed=seed, groups=groups)
    for g in np.unique(groups):
        assert np.unique(folds[groups == g]).size == 1, g
    assert set(folds.tolist()) == set(range(k))  # every fold holds a group
    assert np.array_equal(folds, stratified_folds(y, k=k, seed=seed, groups=groups))


@given(st.lists(st.sampled_from([0, 1, 2]), min_size=2, max_size=80), st.integers(2, 6), st.integers(0, 1000))
def test_groups_of_one_row_balance_classes_as_rows_do(labels: list[int], k: int, seed: int) -> None:
    y = np.array(labels)
    assume(k <= y.size)
    folds = stratified_folds(y, k=k, seed=seed, groups=np.arange(y.size))
    sizes = np.bincount(folds, minlength=k)
    assert sizes.max() - sizes.min() <= 1
    for c in np.unique(y):
        per_fold = np.bincount(folds[y == c], minlength=k)
        assert per_fold.max() - per_fold.min() <= 1


def test_grouped_folds_spread_churn_over_the_folds() -> None:
    rng = np.random.default_rng(5)
    accounts = np.repeat(np.arange(600), 3)  # three lead times per renewal
    y = np.repeat((rng.random(600) < 0.2).astype(int), 3)
    folds = stratified_folds(y, k=5, seed=2, groups=accounts)
    churned = np.bincount(folds[y == 1], minlength=5)
    assert churned.max() - churned.min() <= 3  # one account's three rows at most
    assert np.bincount(folds, minlength=5).max() - np.bincount(folds, minlength=5).min() <= 3


def test_stratified_folds_depend_on_the_seed() -> None:
    y = np.arange(100) % 2
    assert not np.array_equal(stratified_folds(y, seed=0), stratified_folds(y, seed=1))


def test_bootstrap_indices() -> None:
    draws = list(bootstrap_indices(50, 4, seed=7))
    assert len(draws) == 4
    assert all(d.shape == (50,) and d.min() >= 0 and d.max() < 50 for d in draws)
    again = list(bootstrap_indices(50, 4, seed=7))
    assert all(np.array_equal(a, b) for a, b in zip(draws, again, strict=True))
    assert not np.array_equal(draws[0], draws[1])

    labels = np.array([0] * 45 + [1] * 5)
    for idx in bootstrap_indices(50, 20, seed=1, stratify=labels):
        assert np.array_equal(labels[idx], labels)


# --------------------------------------------------------------------------- errors


def _call(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[[], Any]:
    return lambda: function(*args, **kwargs)


ERRORS = [
    (_call(roc_auc, [0, 1, 0], [0.1, 0.2]), r"risk must have one value per row of y \(3\), got 2 values"),
    (_call(roc_auc, [0, 2, 1], [0.1, 0.2, 0.3]), r"y must hold only 0 and 1 \(1 = the event\), got 2.0 at index 1"),
    (_call(roc_auc, [0, 1, 1], [0.1, np.nan, 0.3]), r"risk must hold finite numbers, got nan at index 1"),
    (_call(roc_auc, [1, 1, 1], [0.1, 0.2, 0.3]), r"y must hold both classes .* AUC, got 3 ones and 0 zeros"),
    (_call(roc_auc, [0, 1], [1, 2], [1, 0]), r"y must hold both classes"),
    (_call(roc_auc, [[0, 1]], [[1, 2]]), r"y must be one-dimensional, got an array of shape \(1, 2\)"),
    (_call(roc_auc, [0, 1], [1, 2], [1, -1]), r"sample_weight must be >= 0, got -1.0 at index 1"),
    (_call(roc_auc, [0, 1], [1, 2], [0, 0]), r"sample_weight must have a positive sum"),
    (_call(roc_auc, [0, 1], ["a", "b"]), r"risk must hold numbers"),
    (_call(roc_points, [0, 0], [1, 2]), r"y must hold both classes .* ROC curve"),
    (_call(fit_logistic, [1.0, 2.0], [0, 1]), r"X must be two-dimensional .* got an array of shape \(2,\)"),
    (_call(fit_logistic, [[1.0], [np.inf]], [0, 1]), r"X must hold finite numbers, got inf at row 1, column 0"),
    (_call(fit_logistic, [[1.0], [2.0]], [0, 1, 1]), r"y must have one value per row of X \(2\), got 3 values"),
    (_call(fit_logistic, [[1.0], [2.0]], [0, 1], l2=-1), r"l2 must be a finite number in \[0, inf\), got -1"),
    (_call(fit_logistic, [[1.0], [2.0]], [0, 1], prior=[1, 2]), r"prior must have one value per column of X \(1\)"),
    (_call(fit_logistic, [[1.0], [2.0]], [0, 1], nonnegative=[True, False]), r"nonnegative must have one flag"),
    (_call(fit_logistic, [[1.0], [2.0]], [0, 1], nonnegative=[1]), r"nonnegative must be True, False, None or"),
    (_call(fit_logistic, [[1.0], [2.0]], [0, 1], max_iter=0), r"max_iter must be an integer >= 1, got 0"),
    (_call(fit_logistic, [[1.0], [2.0]], [0, 1], tol=0.0), r"tol must be a finite number in \(0, inf\), got 0.0"),
    (_call(isotonic_fit, [1.0, np.nan], [0, 1]), r"x must hold finite numbers, got nan at index 1"),
    (_call(isotonic_fit, [1.0, 2.0], [0, 1], [0, 0]), r"sample_weight must have a positive sum"),
    (_call(platt_fit, [1.0, 2.0], [0.5, 1]), r"y must hold only 0 and 1"),
    (_call(brier, [0, 1], [0.5, 1.5]), r"p must hold probabilities in \[0, 1\], got 1.5 at index 1"),
    (_call(log_loss, [0, 1], [-0.1, 0.5]), r"p must hold probabilities in \[0, 1\], got -0.1 at index 0"),
    (_call(reliability_table, [0, 1], [0.1, 0.9], n_bins=0), r"n_bins must be an integer >= 1, got 0"),
    (_call(reliability_table, [0, 1], [0.1, 0.9], strategy="equal"), r"strategy must be 'uniform' or 'quantile'"),
    (_call(population_stability, [np.nan], [1.0]), r"expected must hold at least one non-missing value"),
    (_call(population_stability, [1.0, np.inf], [1.0]), r"expected must not hold inf \(NaN marks a missing value\)"),
    (_call(population_stability, [1.0], [1.0], bins=0), r"bins must be an integer >= 1, got 0"),
    (_call(population_stability, [1.0], [1.0], epsilon=0), r"epsilon must be a finite number in \(0, 1\]"),
    (_call(information_value, [0, -1], [0, 1]), r"bin_codes must hold integers >= 0, got -1.0 at index 1"),
    (_call(information_value, [0, 0.5], [0, 1]), r"bin_codes must hold integers >= 0, got 0.5"),
    (_call(information_value, [0, 3], [0, 1], n_bins=2), r"n_bins must exceed the largest bin code \(3\)"),
    (_call(monotone_bins, [1.0, 2.0], [0, 1], kind="up"), r"kind must be one of 'higher_is_better'"),
    (_call(monotone_bins, [np.nan, np.nan], [0, 1]), r"x must hold at least one non-missing value"),
    (_call(monotone_bins, [1.0, 2.0], [0, 1], min_share=1.5), r"min_share must be a finite number in \[0, 1\]"),
    (_call(monotone_bins, [1.0, 2.0], [0, 1], max_bins=True), r"max_bins must be an integer >= 1, got True"),
    (_call(stratified_folds, [0, 1], k=3), r"k must not exceed the number of rows \(2\), got 3"),
    (_call(stratified_folds, [0, 1], k=1), r"k must be an integer >= 2, got 1"),
    (_call(stratified_folds, [0.0, np.nan], k=2), r"y must hold finite numbers, got nan at index 1"),
    (_call(stratified_folds, [0, 1, 0], k=3, groups=["a", "a", "b"]), r"k must not exceed the number of groups \(2\)"),
    (_call(stratified_folds, [0, 1, 0], k=2, groups=["a", "b"]), r"groups must have one value per row of y \(3\)"),
    (_call(bootstrap_indices, 0, 5), r"n must be an integer >= 1, got 0"),
    (_call(bootstrap_indices, 3, 5, stratify=[0, 1]), r"stratify must have one value per row of the sample \(n\)"),
]


@pytest.mark.parametrize(("call", "message"), ERRORS, ids=[m for _, m in ERRORS])
def test_errors_name_the_argument_rule_and_value(call: Callable[[], Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message) as info:
        call()
    assert isinstance(info.value, HealthScoreError)


def test_module_imports_numpy_only() -> None:
    code = "import sys, healthscore._stats; print(sorted({'scipy', 'sklearn', 'pandas'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
