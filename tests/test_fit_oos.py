"""Out-of-sample diagnostics: reweight's cross-fitted AUCs, metric_power's
cross-validated keep/drop advice, and backtests' AUC per evaluation date."""

from __future__ import annotations

import math

import numpy as np
import pytest

from healthscore import ValidationError
from healthscore._stats import roc_auc, stratified_folds
from healthscore.datasets import generate_driver_portfolio
from healthscore.fit import metric_power, reweight
from healthscore.model import Dimension, HealthModel, Metric
from healthscore.scorers import Piecewise

# --------------------------------------------------------------------------- reweight


@pytest.fixture(scope="module")
def drivers() -> dict[str, object]:
    return generate_driver_portfolio(3000, seed=5)


def test_reweight_auc_is_cross_fitted_by_default(drivers: dict[str, object]) -> None:
    """auc_after is the pooled out-of-fold score of weights fitted on the other
    folds: reproduced here by re-weighting on each training fold by hand."""
    model, cols, churned = drivers["model"], drivers["columns"], drivers["churned"]
    report = reweight(model, cols, churned, bootstrap=0, seed=2, folds=4).report  # type: ignore[arg-type]
    scored = model.score_batch(cols, missing_columns="missing")  # type: ignore[attr-defined]
    keep = ~np.isnan(np.asarray(scored.score))
    y = np.asarray(churned, dtype=np.float64)[keep]
    folds = stratified_folds(y, 4, 2)
    rows = np.flatnonzero(keep)
    out = np.empty(y.size)
    for k in range(4):
        train = {m: np.asarray(v)[rows[folds != k]] for m, v in cols.items()}  # type: ignore[attr-defined]
        test = {m: np.asarray(v)[rows[folds == k]] for m, v in cols.items()}  # type: ignore[attr-defined]
        fold_model = reweight(model, train, y[folds != k], bootstrap=0).model  # type: ignore[arg-type]
        out[folds == k] = -np.asarray(fold_model.score_batch(test, missing_columns="missing").score)
    assert report.folds == 4
    assert report.auc_after == pytest.approx(roc_auc(y, out), abs=1e-6)
    assert report.cv_auc_after == report.auc_after  # the old name reads the same figure
    assert len(report.fold_auc_after) == len(report.fold_auc_before) == 4
    assert np.mean(report.fold_auc_after) == pytest.approx(report.auc_after, abs=0.02)
    assert report.in_sample_auc_before == report.auc_before  # fixed weights: no optimism


def test_in_sample_auc_is_optimistic_on_noise() -> None:
    """With an outcome unrelated to every metric and few accounts, the weights
    fitted in sample find patterns the cross-fitted AUC shows are not there."""
    d = generate_driver_portfolio(300, seed=11)
    rng = np.random.default_rng(0)
    noise = (rng.random(300) < 0.3).astype(int)
    gaps = []
    for seed in range(3):
        report = reweight(d["model"], d["columns"], noise, bootstrap=0, strength=0.0, seed=seed).report
        gaps.append(report.in_sample_auc_after - report.auc_after)
        assert abs(report.auc_after - 0.5) < 0.1
    assert np.mean(gaps) > 0.02


def test_reweight_summary_labels_in_sample_figures(drivers: dict[str, object]) -> None:
    report = reweight(drivers["model"], drivers["columns"], drivers["churned"], bootstrap=0).report  # type: ignore[arg-type]
    text = report.summary()
    cv_line = next(line for line in text.splitlines() if "cross-validated" in line)
    in_line = next(line for line in text.splitlines() if "in-sample" in line)
    assert f"{report.auc_after:.3f}" in cv_line
    assert f"{report.in_sample_auc_after:.3f}" in in_line
    assert "fold-to-fold s.d." in cv_line


@pytest.mark.parametrize("folds", [1, 0, 2.5, True])
def test_reweight_refuses_bad_folds(drivers: dict[str, object], folds: object) -> None:
    with pytest.raises(ValidationError, match="folds"):
        reweight(drivers["model"], drivers["columns"], drivers["churned"], bootstrap=0, folds=folds)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- metric_power


def _correlated_case(n: int = 3000, seed: int = 1) -> tuple[HealthModel, dict[str, object], object]:
    """``strong`` drives churn; ``echo`` is ``strong`` plus a little noise;
    ``weak`` adds a little; ``noise`` is unrelated."""
    rng = np.random.default_rng(seed)
    strong = rng.uniform(0, 1, n)
    echo = np.clip(strong + rng.normal(0, 0.05, n), 0, 1)
    weak = rng.uniform(0, 1, n)
    noise = rng.uniform(0, 1, n)
    logit = -1.0 + 6.0 * (0.5 - strong) + 1.0 * (0.5 - weak)
    churned = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    linear = Piecewise(points=((0.0, 0.0), (1.0, 100.0)))
    model = HealthModel(
        name="correlated",
        dimensions=(
            Dimension(name="a", weight=50, metrics=tuple(Metric(name=m, scorer=linear) for m in ("strong", "echo"))),
            Dimension(name="b", weight=50, metrics=tuple(Metric(name=m, scorer=linear) for m in ("weak", "noise"))),
        ),
    )
    return model, {"strong": strong, "echo": echo, "weak": weak, "noise": noise}, churned


def test_metric_power_keeps_the_strong_of_two_correlated_and_drops_noise() -> None:
    model, cols, churned = _correlated_case()
    power = {p.name: p for p in metric_power(model, cols, churned)}
    # leave-one-out alone would call the strong metric redundant: its copy stands in for it
    assert power["strong"].auc_all - power["strong"].auc_without < 0.01
    assert power["strong"].recommendation == "keep"
    assert power["strong"].confidence == "sure"
    assert power["strong"].folds_better == power["strong"].folds_total == 15
    assert power["noise"].recommendation == "drop: not predictive"
    assert power["noise"].confidence in ("sure", "likely")
    assert power["echo"].recommendation.startswith("drop")  # one of the two copies is enough
    # following the advice costs no more than noise
    p = power["strong"]
    assert p.auc_kept >= p.auc_all - 0.005
    assert all(q.gain > 2 * q.gain_se for q in power.values() if q.recommendation == "keep")


def test_metric_power_noise_is_judged_from_the_paired_fold_spread() -> None:
    model, cols, churned = _correlated_case(n=1500, seed=4)
    power = metric_power(model, cols, churned, folds=4, repeats=2)
    for p in power:
        assert p.folds_total == 8
        assert 0 <= p.folds_better <= 8
        assert p.gain_se > 0
        assert math.isfinite(p.gain)
    assert len({p.auc_kept for p in power}) == len({p.auc_all for p in power}) == 1


@pytest.mark.parametrize(("arg", "value"), [("folds", 1), ("repeats", 0), ("folds", 2.0)])
def test_metric_power_refuses_bad_folds(arg: str, value: object) -> None:
    model, cols, churned = _correlated_case(n=200)
    with pytest.raises(ValidationError, match=arg):
        metric_power(model, cols, churned, **{arg: value})  # type: ignore[arg-type]
