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
    report = reweight(model, cols, churned, bootstrap=0, seed=2, folds=4).report  # type: ignore[call-overload]
    scored = model.score_batch(cols, missing_columns="missing")  # type: ignore[attr-defined]
    keep = ~np.isnan(np.asarray(scored.score))
    y = np.asarray(churned, dtype=np.float64)[keep]
    folds = stratified_folds(y, 4, 2)
    rows = np.flatnonzero(keep)
    out = np.empty(y.size)
    for k in range(4):
        train = {m: np.asarray(v)[rows[folds != k]] for m, v in cols.items()}  # type: ignore[attr-defined]
        test = {m: np.asarray(v)[rows[folds == k]] for m, v in cols.items()}  # type: ignore[attr-defined]
        fold_model = reweight(model, train, y[folds != k], bootstrap=0).model  # type: ignore[call-overload]
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
    report = reweight(drivers["model"], drivers["columns"], drivers["churned"], bootstrap=0).report  # type: ignore[call-overload]
    text = report.summary()
    cv_line = next(line for line in text.splitlines() if "cross-validated" in line)
    in_line = next(line for line in text.splitlines() if "in-sample" in line)
    assert f"{report.auc_after:.3f}" in cv_line
    assert f"{report.in_sample_auc_after:.3f}" in in_line
    assert "fold-to-fold s.d." in cv_line


@pytest.mark.parametrize("folds", [1, 0, 2.5, True])
def test_reweight_refuses_bad_folds(drivers: dict[str, object], folds: object) -> None:
    with pytest.raises(ValidationError, match="folds"):
        reweight(drivers["model"], drivers["columns"], drivers["churned"], bootstrap=0, folds=folds)  # type: ignore[call-overload]


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


# --------------------------------------------------------------------------- backtest per evaluation date


def _two_dates(n: int = 400, seed: int = 0) -> tuple[dict[str, object], dict[str, object], dict[str, np.ndarray]]:
    """January snapshots score high with little churn, March ones low with much
    churn; within each date the score is unrelated to churn."""
    rng = np.random.default_rng(seed)
    jan = rng.uniform(60, 100, n)
    mar = rng.uniform(0, 40, n)
    jan_churn = rng.random(n) < 0.1
    mar_churn = rng.random(n) < 0.4
    ids = [f"j{i}" for i in range(n)] + [f"m{i}" for i in range(n)]
    score = np.r_[jan, mar]
    history = {
        "account_id": ids,
        "as_of": ["2026-01-01"] * n + ["2026-03-01"] * n,
        "score": score,
        "band": np.where(score < 40, "red", "green"),
    }
    churned = [f"j{i}" for i in np.flatnonzero(jan_churn)] + [f"m{i}" for i in np.flatnonzero(mar_churn)]
    dates = ["2026-01-20"] * int(jan_churn.sum()) + ["2026-03-20"] * int(mar_churn.sum())
    truth = {"jan": jan, "mar": mar, "jan_churn": jan_churn, "mar_churn": mar_churn}
    return history, {"account_id": churned, "churn_date": dates}, truth


def test_backtest_gives_the_auc_per_evaluation_date() -> None:
    from healthscore.backtest import run_backtest

    history, churn, t = _two_dates()
    h = run_backtest(history, churn, horizons=(30,), outcomes_until="2026-06-30").horizon(30)
    assert [d.as_of for d in h.by_date] == ["2026-01-01", "2026-03-01"]
    jan, mar = h.by_date
    assert (jan.snapshots, jan.churned) == (400, int(t["jan_churn"].sum()))
    assert jan.auc == pytest.approx(roc_auc(t["jan_churn"].astype(float), -t["jan"]))
    assert mar.auc == pytest.approx(roc_auc(t["mar_churn"].astype(float), -t["mar"]))
    assert h.auc_by_date_median == pytest.approx((jan.auc + mar.auc) / 2)
    # pooling the dates rewards the drift between them, not the ranking within a date
    assert abs(jan.auc - 0.5) < 0.1
    assert abs(mar.auc - 0.5) < 0.1
    assert h.auc > 0.7
    assert h.snapshots == sum(d.snapshots for d in h.by_date) == h.accounts


def test_backtest_counts_accounts_and_says_the_pooled_auc_counts_snapshots() -> None:
    from healthscore.backtest import run_backtest

    rng = np.random.default_rng(3)
    n, dates = 200, ["2026-01-01", "2026-01-15", "2026-02-01"]
    score = rng.uniform(0, 100, n)
    churned = np.flatnonzero(rng.random(n) < np.where(score < 30, 0.6, 0.1))
    history = {
        "account_id": [f"a{i}" for i in range(n)] * 3,
        "as_of": [d for d in dates for _ in range(n)],
        "score": np.tile(score, 3),
        "band": np.tile(np.where(score < 40, "red", "green"), 3),
    }
    churn = {"account_id": [f"a{i}" for i in churned], "churn_date": ["2026-02-10"] * churned.size}
    report = run_backtest(history, churn, horizons=(30,), outcomes_until="2026-06-30")
    h = report.horizon(30)
    assert h.accounts == n
    assert h.snapshots > n  # the same accounts on several dates
    known = [d for d in h.by_date if d.auc == d.auc]
    assert [d.as_of for d in known] == ["2026-01-15", "2026-02-01"]  # 1 January: no churn within 30 days
    assert h.by_date[0].churned == 0
    text = report.summary()
    assert "an account counts once per snapshot" in text
    assert "AUC within 30 days per evaluation date (3 dates, 2 with both outcomes" in text
    plain = report.to_dict()["horizons"][0]
    assert plain["accounts"] == n
    assert plain["by_date"][0] == {"as_of": "2026-01-01", "snapshots": n, "churned": 0, "auc": None}
