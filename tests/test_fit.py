"""Fitting to outcomes: re-weighting, scorecards, metric power, thresholds,
churn probability, stability."""

from __future__ import annotations

import io
import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from healthscore import FitError, InputError, ValidationError, dump_model, load_model, presets
from healthscore._stats import platt_fit, roc_auc, stratified_folds
from healthscore.cli import main
from healthscore.datasets import generate_driver_portfolio
from healthscore.fit import (
    choose_thresholds,
    churn_probability,
    fit_scorecard,
    metric_power,
    reweight,
)
from healthscore.scorers import Categories
from healthscore.stability import stability


@pytest.fixture(scope="module")
def drivers() -> dict[str, object]:
    return generate_driver_portfolio(4000, seed=3)


def test_reweight_recovers_the_true_drivers(drivers: dict[str, object]) -> None:
    result = reweight(drivers["model"], drivers["columns"], drivers["churned"], bootstrap=40, strength=1e-4)  # type: ignore[call-overload]
    fitted = {m.name: m.after for m in result.report.metrics}
    truth: dict[str, float] = drivers["true_shares"]  # type: ignore[assignment]
    for name, share in truth.items():
        assert fitted[name] == pytest.approx(share, abs=0.06), name
    assert result.report.cv_auc_after > result.report.cv_auc_before + 0.03
    for change in result.report.metrics:
        assert change.low <= change.after <= change.high
    assert result.model.metric_weights == pytest.approx(fitted, abs=1e-6)  # the model carries the fitted shares
    assert "cross-validated (the same 5 folds)" in result.report.summary()


def test_cross_validated_aucs_use_the_same_folds(drivers: dict[str, object]) -> None:
    """cv_auc_before scores every fold with the current weights, fitted to none
    of them (so, the weights being fixed, it matches the in-sample AUC of the
    model's own score); cv_auc_after is what the re-fit earns on the same folds."""
    model, cols, churned = drivers["model"], drivers["columns"], drivers["churned"]
    report = reweight(model, cols, churned, bootstrap=0, seed=4).report  # type: ignore[call-overload]
    scored = model.score_batch(cols, metric_scores=True, missing_columns="missing")  # type: ignore[attr-defined]
    keep = ~np.isnan(scored.score)
    y = np.asarray(churned, dtype=np.float64)[keep]
    folds = stratified_folds(y, 5, 4)
    risk = (100.0 - np.asarray(scored.score)[keep]) / 100.0
    by_fold = np.empty(y.size)
    for k in range(5):
        by_fold[folds == k] = risk[folds == k]  # the current weights, the same on every fold
    assert report.cv_auc_before == pytest.approx(roc_auc(y, by_fold), abs=1e-9)
    assert report.cv_auc_before == pytest.approx(report.auc_before, abs=1e-9)
    assert report.cv_auc_after > report.cv_auc_before + 0.03  # the true drivers, found out of sample


def test_outcome_errors_name_the_row_of_the_bad_value(drivers: dict[str, object]) -> None:
    model, cols = drivers["model"], drivers["columns"]
    outcome = np.asarray(drivers["churned"]).astype(object)
    outcome[7] = "yes"  # text: the row is still named, not row 0
    outcome[9] = None
    with pytest.raises(InputError, match=r"row 7 is 'yes' \(2 such rows\)") as info:
        reweight(model, cols, outcome, bootstrap=0)  # type: ignore[call-overload]
    assert (info.value.row, info.value.value, info.value.column) == (7, "yes", "outcome")
    numbers = np.asarray(drivers["churned"], dtype=np.float64)
    numbers[3] = math.nan
    with pytest.raises(InputError, match="row 3 is nan") as info:
        reweight(model, {**cols, "churned": numbers}, "churned", bootstrap=0)  # type: ignore[dict-item, call-overload]
    assert (info.value.row, info.value.column) == (3, "churned")
    with pytest.raises(InputError, match=r"outcome column 'churn' is not in the data \(columns: usage, "):
        reweight(model, cols, "churn")  # type: ignore[call-overload]


def test_the_command_line_names_the_csv_line_of_a_bad_outcome(tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_text("usage,churned\n" + "".join(f"{i},{i % 2}\n" for i in range(5)) + "9,maybe\n")
    err = io.StringIO()
    status = main(
        ["fit", "scorecard", str(data), "--outcome", "churned", "--kind", "usage=higher_is_better", "-o",
         str(tmp_path / "m.toml")],
        stdout=io.StringIO(),
        stderr=err,
    )  # fmt: skip
    assert status == 2
    assert f"{data} line 7, column 'churned': the outcome must be 0 or 1 (1 = churned), got 'maybe'" in err.getvalue()
    assert not (tmp_path / "m.toml").exists()


def test_reweight_gives_an_ordinary_model_of_the_same_shape(tmp_path: object, drivers: dict[str, object]) -> None:
    model = drivers["model"]
    result = reweight(model, drivers["columns"], drivers["churned"], bootstrap=0)  # type: ignore[call-overload]
    assert result.model.metric_names == model.metric_names  # type: ignore[attr-defined]
    assert [d.name for d in result.model.dimensions] == ["product", "relationship"]
    text = dump_model(result.model, format="toml")
    assert text is not None
    path = tmp_path / "m.toml"  # type: ignore[operator]
    path.write_text(text)
    assert load_model(path) == result.model
    scored = result.model.score_batch(drivers["columns"], missing_columns="missing")
    assert np.isfinite(scored.score).all()


def test_strong_shrinkage_keeps_the_expert_weights(drivers: dict[str, object]) -> None:
    result = reweight(drivers["model"], drivers["columns"], drivers["churned"], bootstrap=0, strength=100.0)  # type: ignore[call-overload]
    for change in result.report.metrics:
        assert change.after == pytest.approx(change.before, abs=0.02)


def test_the_fit_matches_an_unconstrained_logistic_regression_when_nothing_binds() -> None:
    """With positive true weights and no shrinkage, the non-negative fit is the
    plain maximum-likelihood one (scikit-learn's, without penalty)."""
    data = generate_driver_portfolio(3000, seed=8)
    model = data["model"]
    cols = {k: np.nan_to_num(v, nan=0.5) for k, v in data["columns"].items() if not k.startswith("noise")}
    model = model.__class__(
        name="m",
        dimensions=[
            attrs_evolve(d, [m for m in d.metrics if not m.name.startswith("noise")]) for d in model.dimensions
        ],
    )
    result = reweight(model, cols, data["churned"], bootstrap=0, strength=0.0)
    x = np.column_stack([1.0 - cols[m] for m in model.metric_names])
    sk = LogisticRegression(C=np.inf, tol=1e-10, max_iter=10_000).fit(x, data["churned"])
    expected = sk.coef_[0] / sk.coef_[0].sum()
    got = np.array([model_share.after for model_share in result.report.metrics])
    # scikit-learn's lbfgs stops on tol=1e-10 in a problem whose Hessian has condition number ~1e3 here,
    # so its coefficients are good to ~1e-7 relative; ours to far less. Shares are ratios of
    # coefficients summing to ~5, so 1e-4 is a wide margin over either solver's error, not a BLAS bit.
    np.testing.assert_allclose(got, expected, atol=1e-4)


def test_a_fit_without_a_finite_optimum_raises_and_says_what_to_do() -> None:
    data = generate_driver_portfolio(500, seed=3)
    cols = {k: np.nan_to_num(v, nan=0.5) for k, v in data["columns"].items()}
    model = data["model"]
    usage = np.asarray(model.score_batch(cols, metric_scores=True, missing_columns="missing").metric_scores["usage"])
    separated = (usage < np.median(usage)).astype(int)  # churn is a function of one metric score
    with pytest.raises(FitError, match=r"the re-weighting fit on 500 of 500 accounts \(strength 0\) did not converge"):
        reweight(model, cols, separated, bootstrap=0, strength=0.0)
    with pytest.raises(FitError, match="raise strength"):
        reweight(model, cols, separated, bootstrap=0, strength=0.0)
    # Shrinkage toward the current weights gives the objective a minimum: the same data fit.
    assert reweight(model, cols, separated, bootstrap=0, strength=1e-3).report.accounts == 500


def test_a_platt_map_that_did_not_converge_is_reported() -> None:
    score = np.linspace(0, 100, 200)
    churned = (score < 30).astype(int)
    assert not platt_fit(score, churned, max_iter=1).converged
    assert platt_fit(score, churned).converged  # the slope's tiny ridge keeps separable scores finite


def attrs_evolve(dimension: object, metrics: list[object]) -> object:
    import attrs

    return attrs.evolve(dimension, metrics=metrics)  # type: ignore[misc]


def test_reweight_names_bad_input(drivers: dict[str, object]) -> None:
    model, cols = drivers["model"], drivers["columns"]
    with pytest.raises(InputError, match="outcome must be 0 or 1 for every account"):
        reweight(model, cols, np.full(4000, 2))  # type: ignore[call-overload]
    with pytest.raises(InputError, match="outcome has 3 values but the data has 4000 rows"):
        reweight(model, cols, [0, 1, 0])  # type: ignore[call-overload]
    with pytest.raises(InputError, match="both churned"):
        reweight(model, cols, np.zeros(4000))  # type: ignore[call-overload]
    with pytest.raises(ValidationError, match="strength must be a number >= 0"):
        reweight(model, cols, drivers["churned"], strength=-1)  # type: ignore[call-overload]
    with pytest.raises(ValidationError, match="model must be a HealthModel or a SegmentedModel"):
        reweight("model.toml", cols, drivers["churned"])  # type: ignore[call-overload]
    with pytest.raises(InputError, match="missing column 'segment': a segmented model needs each account's segment"):
        reweight(presets.segmented(), cols, drivers["churned"])


def test_fits_that_find_nothing_raise_fit_error() -> None:
    rng = np.random.default_rng(6)
    churned = (rng.random(600) < 0.3).astype(int)
    with pytest.raises(FitError, match="no column separates churned from retained accounts") as info:
        fit_scorecard({"flat": np.full(600, 5.0)}, churned, {"flat": "higher_is_better"})
    assert "flat: dropped: one bin, no signal" in str(info.value)
    model = generate_driver_portfolio(10, seed=1)["model"]
    value = rng.uniform(0, 1, 600)
    upside_down = (rng.random(600) < value * 0.8).astype(int)  # a higher value churns more
    columns = dict.fromkeys(model.metric_names, value)
    with pytest.raises(FitError, match="no metric of the model predicts the outcome"):
        reweight(model, columns, upside_down, bootstrap=0, strength=0.0)


def test_a_metric_without_any_value_is_not_fitted(drivers: dict[str, object]) -> None:
    """An empty (or absent) column would get its dimension's scores filled in,
    and so a weight and an AUC that are the other metrics' answer under its name."""
    model, churned = drivers["model"], drivers["churned"]
    columns = dict(drivers["columns"])  # type: ignore[call-overload]
    columns["nps"] = np.full(len(columns["usage"]), np.nan)
    del columns["meetings"]
    with pytest.raises(FitError, match=r"'nps' \(an empty column\), 'meetings' \(no such column\)") as info:
        reweight(model, columns, churned, bootstrap=0)  # type: ignore[call-overload]
    assert info.value.what == "the weight of 'nps'"
    assert "remove the metric from the model" in info.value.hint
    columns["nps"][0] = 0.5  # one value is enough to fit on
    columns["meetings"] = drivers["columns"]["meetings"]  # type: ignore[index]
    assert reweight(model, columns, churned, bootstrap=0).report.accounts > 0  # type: ignore[call-overload]


# --------------------------------------------------------------------------- scorecards


def _raw(n: int = 4000, seed: int = 1) -> tuple[dict[str, object], np.ndarray]:
    rng = np.random.default_rng(seed)
    usage = rng.uniform(0, 100, n)
    tickets = rng.poisson(3, n).astype(float)
    age = rng.uniform(18, 80, n)
    plan = rng.choice(["basic", "pro", "enterprise", "legacy"], n, p=[0.4, 0.35, 0.22, 0.03])
    logit = -1.0 - usage / 30 + tickets / 3 + ((age - 45) / 15) ** 2 + np.where(plan == "basic", 0.8, 0.0)
    churned = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    usage[rng.random(n) < 0.1] = np.nan
    return {"usage": usage, "tickets": tickets, "age": age, "plan": plan.astype(object)}, churned


def test_a_scorecard_has_curves_in_each_columns_direction() -> None:
    data, churned = _raw()
    kinds = {"usage": "higher_is_better", "tickets": "lower_is_better", "age": "peaked", "plan": "categorical"}
    fit = fit_scorecard(data, churned, kinds, dimensions={"usage": "product", "tickets": "support"})
    columns = {c.name: c for c in fit.report.columns}
    usage = np.array(columns["usage"].points)
    assert (np.diff(usage) >= 0).all()  # higher usage, higher score
    assert (np.diff(np.array(columns["tickets"].points)) <= 0).all()
    age = np.array(columns["age"].points)
    top = int(np.argmax(age))
    assert (np.diff(age[: top + 1]) >= 0).all() and (np.diff(age[top:]) <= 0).all()  # noqa: PT018
    plan = dict(fit.model.metrics["plan"].scorer.table)  # type: ignore[attr-defined]
    assert plan["basic"] < plan["pro"]
    table = fit.model.metrics["plan"].scorer
    assert isinstance(table, Categories)
    assert plan["legacy"] == table.unknown  # too rare: pooled, and the pooled score is the unknown one
    assert fit.model.score_batch(data, missing_columns="missing").warnings == ()  # every training label is known
    assert columns["usage"].scorer is not None
    assert columns["usage"].scorer.missing is not None
    assert {d.name for d in fit.model.dimensions} == {"product", "support", "fitted"}
    assert fit.report.auc > 0.75
    score = fit.model.score_batch(data, missing_columns="missing").score
    assert np.isnan(score).sum() == 0
    rates = [fit.report.bands.churn_rates[b.name] for b in fit.model.bands.bands]
    assert rates == sorted(rates)  # best band churns least
    assert fit.report.bands.shares["red"] <= 0.3
    assert "IV" in fit.report.summary()


def test_a_scorecard_from_data_frames_and_a_column_name() -> None:
    import pandas as pd
    import polars as pl

    data, churned = _raw(2000, seed=4)
    frame = pd.DataFrame({**data, "churn": churned})
    kinds = {"usage": "higher_is_better", "tickets": "lower_is_better"}
    from_pandas = fit_scorecard(frame, "churn", kinds)
    from_polars = fit_scorecard(pl.from_pandas(frame), "churn", kinds)
    from_dict = fit_scorecard({k: data[k] for k in kinds}, churned, kinds)
    assert from_pandas.model == from_polars.model == from_dict.model


def test_scorecard_errors_name_the_column() -> None:
    data, churned = _raw(500)
    with pytest.raises(ValidationError, match=r"kinds\['usage'\] must be one of"):
        fit_scorecard(data, churned, {"usage": "bigger"})
    with pytest.raises(InputError, match=r"columns \['nope'\] named in kinds are not in the data"):
        fit_scorecard(data, churned, {"nope": "higher_is_better"})
    with pytest.raises(InputError, match="column 'plan' is higher_is_better but holds values that are not numbers"):
        fit_scorecard(data, churned, {"plan": "higher_is_better"})
    mixed = np.array([1.0, None, 3.0, "n/a", 5.0] * 100, dtype=object)
    with pytest.raises(InputError, match="not numbers; row 3 is 'n/a'") as info:
        fit_scorecard({"seats": mixed}, churned, {"seats": "higher_is_better"})
    assert (info.value.row, info.value.column) == (3, "seats")
    with pytest.raises(InputError, match="outcome column 'churn' is not in the data"):
        fit_scorecard(data, "churn", {"usage": "higher_is_better"})


def test_metric_power_flags_the_noise(drivers: dict[str, object]) -> None:
    power = {p.name: p for p in metric_power(drivers["model"], drivers["columns"], drivers["churned"])}  # type: ignore[arg-type]
    assert power["usage"].recommendation == "keep"
    assert power["nps"].recommendation == "keep"
    assert power["noise_product"].recommendation.startswith("drop")
    assert power["noise_relationship"].recommendation.startswith("drop")
    assert power["usage"].auc > power["meetings"].auc > 0.5
    assert power["usage"].iv > 0.1


# --------------------------------------------------------------------------- thresholds and probability


def test_thresholds_keep_churn_ordered_and_meet_the_targets() -> None:
    rng = np.random.default_rng(2)
    score = rng.uniform(0, 100, 5000)
    churned = (rng.random(5000) < 0.6 * np.exp(-score / 20)).astype(int)
    fit = choose_thresholds(score, churned, max_red_share=0.2)
    rates = [fit.churn_rates[b.name] for b in fit.policy.bands]
    assert all(a < b for a, b in itertools.pairwise(rates))
    assert fit.shares["red"] <= 0.2
    assert min(fit.shares.values()) >= 0.05
    precise = choose_thresholds(score, churned, red_precision=0.35)
    assert precise.churn_rates["red"] >= 0.35
    assert fit.policy.get("red").playbook  # the playbooks come along


def test_more_than_half_in_red_is_reported_and_impossible_orderings_are_errors() -> None:
    rng = np.random.default_rng(3)
    score = rng.uniform(0, 100, 4000)
    churned = (rng.random(4000) < np.where(score < 60, 0.7, 0.4 * (100 - score) / 40)).astype(int)
    fit = choose_thresholds(score, churned, red_precision=0.6)
    assert fit.shares["red"] > 0.5
    assert fit.warnings == (f"more than half of the accounts ({fit.shares['red']:.0%}) are in red",)
    flat = (rng.random(4000) < 0.1).astype(int)
    with pytest.raises(FitError, match="cannot be strictly ordered across 4 bands"):
        choose_thresholds(rng.uniform(0, 100, 4000), flat, min_share=0.2)
    with pytest.raises(FitError, match="no cut-off for the worst band meets red_precision"):
        choose_thresholds(score, churned, red_precision=1.0)
    with pytest.raises(InputError, match="score must hold at least one number to choose thresholds; all 3 are NaN"):
        choose_thresholds([math.nan] * 3, [0, 1, 0])


def test_isotonic_and_platt_match_scikit_learn() -> None:
    rng = np.random.default_rng(4)
    score = rng.uniform(0, 100, 3000)
    churned = (rng.random(3000) < 1 / (1 + np.exp((score - 40) / 10))).astype(int)
    cal = churn_probability(score, churned, prior=0)  # the raw isotonic fit
    iso = IsotonicRegression(increasing=False, out_of_bounds="clip").fit(score, churned)
    grid = np.linspace(0, 100, 57)
    np.testing.assert_allclose(cal.predict(grid), iso.predict(grid), atol=1e-10)
    assert cal.brier == pytest.approx(np.mean((iso.predict(score) - churned) ** 2))
    platt = churn_probability(score, churned, method="platt")
    sk = LogisticRegression(C=1e8, tol=1e-10, max_iter=10_000).fit(score[:, None], churned)
    # lbfgs on the unscaled score (condition number ~1e4) stops with a slope good to ~1e-6 relative;
    # a probability moves by at most |score| * |d slope| / 4 ~ 100 * 1e-7 / 4, so 1e-4 has ample room.
    np.testing.assert_allclose(platt.predict(grid), sk.predict_proba(grid[:, None])[:, 1], atol=1e-4)
    assert platt.predict(10.0) > platt.predict(90.0)
    assert "Brier" in cal.summary()
    with pytest.raises(ValidationError, match="method must be 'isotonic' or 'platt'"):
        churn_probability(score, churned, method="magic")  # type: ignore[arg-type]


def test_stability_psi_and_migration() -> None:
    rng = np.random.default_rng(5)
    before = {"account_id": np.arange(2000).astype(str), "score": rng.uniform(0, 100, 2000),
              "nps": rng.normal(20, 30, 2000)}  # fmt: skip
    after = {"account_id": before["account_id"], "score": before["score"] * 0.7, "nps": before["nps"].copy()}
    before["band"] = np.where(before["score"] >= 50, "green", "red")
    after["band"] = np.where(after["score"] >= 50, "green", "red")
    report = stability(before, after)
    assert report.psi["nps"].psi == pytest.approx(0.0, abs=1e-12)
    assert report.psi["score"].psi > 0.25
    moved = int(((before["score"] >= 50) & (after["score"] < 50)).sum())
    assert report.migration["green"]["red"] == moved
    assert report.accounts_in_both == 2000
    assert "major shift" in report.summary()
    with pytest.raises(InputError, match=r"columns \['arr'\] are not in both snapshots"):
        stability(before, after, columns=["arr"])
    assert not math.isnan(report.psi["score"].psi)


def test_the_scorecard_report_gives_each_columns_points_range_and_importance() -> None:
    """A copy of a column shares its importance with the original: each has a
    small AUC drop (the other still carries the fact), the variance shares of
    the kept columns add up to 1, and a dropped column has none."""
    rng = np.random.default_rng(3)
    n = 4000
    usage, nps, noise = rng.uniform(0, 1, n), rng.uniform(0, 1, n), rng.uniform(0, 1, n)
    churned = (rng.uniform(size=n) < 1 / (1 + np.exp(3 * usage + 1.5 * nps - 1))).astype(int)
    data = {"usage": usage, "nps": nps, "noise": noise, "usage_copy": usage + rng.normal(0, 0.01, n)}
    kinds = {"usage": "higher_is_better", "nps": "higher_is_better", "noise": "auto", "usage_copy": "higher_is_better"}
    report = fit_scorecard(data, churned, kinds).report
    cols = {c.name: c for c in report.columns}
    kept = [c for c in report.columns if c.weight > 0]
    assert math.fsum(c.variance_share for c in kept) == pytest.approx(1.0)
    for c in kept:
        assert 0 < c.points_range <= 100 * c.weight + 1e-9
        assert c.auc_drop > 0
    assert cols["nps"].auc_drop > cols["usage"].auc_drop  # usage's fact is still in its copy
    assert cols["usage"].variance_share + cols["usage_copy"].variance_share > cols["nps"].variance_share
    assert math.isnan(cols["noise"].points_range)
    assert math.isnan(cols["noise"].auc_drop)
    assert "AUC drop" in report.summary()


def test_without_kinds_numbers_learn_their_shape_and_labels_become_categories() -> None:
    from healthscore.fit import default_kinds

    rng = np.random.default_rng(5)
    n = 1500
    usage = rng.uniform(0, 1, n)
    plan = rng.choice(["basic", "pro", "enterprise"], n)
    churned = (rng.uniform(size=n) < 1 / (1 + np.exp(4 * usage - 2 + (plan == "enterprise")))).astype(int)
    data = {
        "account_id": np.array([f"a{i}" for i in range(n)], dtype=object),
        "usage": usage,
        "plan": plan.astype(object),
        "contact": np.array([f"person{i}@example.com" for i in range(n)], dtype=object),  # ids, not categories
        "renewed_on": np.array(["2026-01-01"] * n, dtype="datetime64[D]"),
        "churned": churned,
    }
    assert default_kinds(data, exclude={"account_id", "churned"}) == {"usage": "auto", "plan": "categorical"}
    result = fit_scorecard(data, "churned")
    assert [c.name for c in result.report.columns] == ["usage", "plan"]
    assert result.report.columns[0].shape == "increasing"
    assert result.report.columns[1].kind == "categorical"
    with pytest.raises(ValidationError, match="must name the columns to fit"):
        default_kinds({"account_id": ["a", "b"]}, exclude={"account_id"})


def test_a_kind_the_data_contradict_is_said_and_still_obeyed() -> None:
    rng = np.random.default_rng(8)
    n = 3000
    usage, tickets = rng.uniform(0, 1, n), rng.uniform(0, 1, n)
    churned = (rng.uniform(size=n) < 1 / (1 + np.exp(3 * usage - 3 * tickets))).astype(int)  # tickets: lower is better
    kinds = {"usage": "higher_is_better", "tickets": "higher_is_better"}
    report = fit_scorecard({"usage": usage, "tickets": tickets}, churned, kinds).report
    cols = {c.name: c for c in report.columns}
    assert cols["usage"].contradiction == ""
    assert cols["tickets"].contradiction.startswith(
        "the data contradict higher_is_better: accounts with higher values churn more (AUC 0.7"
    )
    assert cols["tickets"].kind == "higher_is_better"  # obeyed
    assert "kinds the data contradict" in report.summary()
    right = fit_scorecard({"usage": usage, "tickets": tickets}, churned, {**kinds, "tickets": "lower_is_better"})
    assert all(c.contradiction == "" for c in right.report.columns)
