"""A fitted model a person can trust: alerts that follow the fitted bands,
churn probabilities that are never 0 or 1, and categories never seen in
training said out loud."""

from __future__ import annotations

import json
import math

import attrs
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.isotonic import IsotonicRegression

from healthscore import ValidationError, dump_model, load_model
from healthscore._stats import log_loss, stratified_folds
from healthscore.bands import AlertLevel, AlertPolicy, Band, BandPolicy, default_alerts, default_bands
from healthscore.exceptions import UnknownCategoryError
from healthscore.fit import choose_thresholds, churn_probability, fit_scorecard
from healthscore.model import HealthModel, SegmentedModel
from healthscore.scorers import Categories


def _portfolio(seed: int, n: int, signal: float) -> tuple[dict[str, object], np.ndarray]:
    """Synthetic accounts: usage helps, tickets hurt, plan matters a little."""
    rng = np.random.default_rng(seed)
    usage = rng.uniform(0, 100, n)
    tickets = rng.poisson(3, n).astype(np.float64)
    plan = rng.choice(np.array(["basic", "pro", "enterprise"], dtype=object), n)
    logit = -1.0 + signal * (-(usage - 50) / 25 + (tickets - 3) / 2) + np.where(plan == "basic", 0.4, 0.0)
    churned = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return {"usage": usage, "tickets": tickets, "plan": plan}, churned


KINDS = {"usage": "higher_is_better", "tickets": "lower_is_better", "plan": "categorical"}


def _codes_agree(model: HealthModel, columns: dict[str, object]) -> None:
    out = model.score_batch(columns, missing_columns="missing")
    assert out.band_names == model.bands.names
    np.testing.assert_array_equal(out.band_codes, out.alert_codes)
    pairs = dict(zip(model.bands.names, model.alerts.names, strict=True))
    for band, alert in zip(out.band.tolist(), out.alert.tolist(), strict=True):
        assert (pairs.get(band, ""), alert) == (alert, alert)


# --------------------------------------------------------------------------- alerts follow the bands


def test_alerts_follow_the_bands_tier_for_tier() -> None:
    bands = BandPolicy.from_quantiles(np.arange(100.0), [0.1, 0.4, 0.3, 0.2])
    alerts = AlertPolicy.following(bands)
    assert alerts.thresholds == bands.thresholds
    assert alerts.names == default_alerts().names
    assert [lvl.response for lvl in alerts.levels] == [lvl.response for lvl in default_alerts().levels]
    for score in [0.0, 19.8, 19.9, 49.5, 89.1, 89.0, 100.0]:
        assert bands.code_one(score) == alerts.code_one(score)
    custom = AlertPolicy(levels=[AlertLevel(name="fine", min_score=50), AlertLevel(name="call", min_score=0)])
    with pytest.raises(ValidationError, match=r"one alert level per band \(4: green, yellow, orange, red\)"):
        AlertPolicy.following(default_bands(), template=custom)


def test_choose_thresholds_fits_the_alerts_with_the_bands() -> None:
    rng = np.random.default_rng(2)
    score = rng.uniform(0, 100, 3000)
    churned = (rng.random(3000) < 0.5 - score / 220).astype(int)
    fit = choose_thresholds(score, churned, max_red_share=0.2)
    assert fit.alerts.thresholds == fit.policy.thresholds
    assert fit.policy.thresholds != default_bands().thresholds  # fitted, not the defaults
    assert fit.policy.get("green").description == default_bands().get("green").description  # texts kept
    assert "healthy" in fit.summary()
    assert "critical" in fit.summary()
    two = BandPolicy(bands=[Band(name="good", min_score=50), Band(name="bad", min_score=0)])
    mine = AlertPolicy(levels=[AlertLevel(name="ok", min_score=30), AlertLevel(name="call", min_score=0)])
    paired = choose_thresholds(score, churned, base=two, alerts=mine)
    assert paired.alerts.names == ("ok", "call")
    assert paired.alerts.thresholds == paired.policy.thresholds
    with pytest.raises(ValidationError, match="one alert level per band"):
        choose_thresholds(score, churned, base=two)  # four default levels for two bands


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**16),
    n=st.integers(1200, 2500),
    signal=st.floats(0.6, 2.0),
    max_red_share=st.sampled_from([None, 0.15, 0.25, 0.4]),
)
def test_a_fitted_model_never_gives_band_and_alert_that_disagree(
    seed: int, n: int, signal: float, max_red_share: float | None
) -> None:
    """In sample, out of fold, and one account at a time, every account's alert
    is the level that goes with its band."""
    columns, churned = _portfolio(seed, n, signal)
    folds = stratified_folds(churned, 2, seed)
    train = {k: np.asarray(v)[folds == 0] for k, v in columns.items()}
    held_out = {k: np.asarray(v)[folds == 1] for k, v in columns.items()}
    model = fit_scorecard(train, churned[folds == 0], KINDS, max_red_share=max_red_share).model
    assert model.alerts.thresholds == model.bands.thresholds
    _codes_agree(model, train)  # in sample
    _codes_agree(model, held_out)  # out of fold
    pairs = dict(zip(model.bands.names, model.alerts.names, strict=True))
    for i in range(0, folds.size, max(1, folds.size // 40)):
        one = model.score({k: np.asarray(v)[i] for k, v in columns.items()})
        assert one.band is not None
        assert pairs[one.band] == one.alert


def test_fitted_alerts_survive_the_model_file() -> None:
    columns, churned = _portfolio(5, 2000, 1.2)
    model = fit_scorecard(columns, churned, KINDS).model
    again = load_model(dump_model(model), format="toml")
    assert isinstance(again, HealthModel)
    assert again.alerts.thresholds == again.bands.thresholds == model.bands.thresholds
    assert math.isclose(again.score_batch(columns).score[0], model.score_batch(columns).score[0])


# --------------------------------------------------------------------------- bounded churn probabilities


def _separable(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores where high scorers never churn and low scorers nearly always do:
    raw isotonic regression gives blocks of exactly 0 and 1."""
    rng = np.random.default_rng(seed)
    score = rng.uniform(0, 100, n)
    churned = (rng.random(n) < np.where(score > 60, 0.0, np.where(score < 10, 1.0, 0.3))).astype(int)
    return score, churned


def test_held_out_probabilities_are_never_0_or_1_and_log_loss_is_finite() -> None:
    score, churned = _separable(1, 3000)
    train, test = slice(0, 2000), slice(2000, None)
    raw = churn_probability(score[train], churned[train], prior=0)
    assert (raw.predict(score[test]) == 0).sum() > 300  # the problem: exact zeros out of sample
    cal = churn_probability(score[train], churned[train])
    p = cal.predict(score[test])
    assert ((p > 0) & (p < 1)).all()
    assert math.isfinite(log_loss(churned[test], p))
    assert log_loss(churned[test], p) < -math.log(float(np.finfo(np.float64).eps)) / 100
    assert np.all(np.diff(cal.predict(np.linspace(0, 100, 201))) <= 0)  # still non-increasing in the score
    assert cal.folds == 5
    assert math.isfinite(cal.held_out_log_loss)
    assert math.isfinite(cal.held_out_brier)
    assert cal.held_out_brier >= cal.brier - 0.01
    assert cal.held_out_reliability is not None
    assert int(cal.held_out_reliability.count.sum()) == 2000
    text = cal.summary()
    assert "held out (5-fold cross-fit): Brier" in text
    assert "log loss" in text


def test_a_block_with_no_churn_reads_the_smoothed_rate() -> None:
    score = np.r_[np.linspace(0, 10, 10), np.linspace(50, 100, 90)]
    churned = np.r_[np.ones(10, dtype=int), np.zeros(90, dtype=int)]
    cal = churn_probability(score, churned, prior=2.0)
    p0 = (10 + 1) / (100 + 2)
    assert cal.predict(80.0) == pytest.approx(2 * p0 / (90 + 2))
    assert cal.predict(5.0) == pytest.approx((10 + 2 * p0) / (10 + 2))
    loose = churn_probability(score, churned, prior=20.0)
    assert cal.predict(80.0) < loose.predict(80.0) < p0  # a stronger prior pulls further toward the base rate


def test_prior_zero_is_scikit_learns_isotonic_regression() -> None:
    score, churned = _separable(4, 1500)
    cal = churn_probability(score, churned, prior=0)
    iso = IsotonicRegression(increasing=False, out_of_bounds="clip").fit(score, churned)
    grid = np.linspace(0, 100, 57)
    np.testing.assert_allclose(cal.predict(grid), iso.predict(grid), atol=1e-10)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**16), n=st.integers(2, 300), prior=st.floats(0.01, 50.0))
def test_smoothed_isotonic_stays_monotone_and_inside_0_1(seed: int, n: int, prior: float) -> None:
    rng = np.random.default_rng(seed)
    score = np.round(rng.uniform(0, 100, n), 0)
    churned = (rng.random(n) < rng.uniform(0, 1)).astype(int)
    churned[:2] = [1, 0]  # both outcomes occur
    cal = churn_probability(score, churned, prior=prior)
    p = cal.predict(np.linspace(-5, 105, 111))
    assert ((p > 0) & (p < 1)).all()
    assert np.all(np.diff(p) <= 1e-12)
    if cal.folds:
        assert math.isfinite(cal.held_out_log_loss)
    else:
        assert math.isnan(cal.held_out_log_loss)


def test_bad_calibration_arguments_are_named() -> None:
    with pytest.raises(ValidationError, match="prior must be a finite number of pseudo-accounts >= 0"):
        churn_probability([10, 90], [1, 0], prior=-1)
    with pytest.raises(ValidationError, match="folds must be a whole number >= 2"):
        churn_probability([10, 90], [1, 0], folds=1)
    few = churn_probability([10, 20, 90], [1, 0, 0])
    assert few.folds == 0
    assert "too few churned or retained accounts" in few.summary()


# --------------------------------------------------------------------------- categories never seen in training


def test_a_category_never_seen_in_training_is_said_in_the_batch_and_scalar_results() -> None:
    columns, churned = _portfolio(3, 2000, 1.2)
    model = fit_scorecard(columns, churned, KINDS).model
    table = model.metrics["plan"].scorer
    assert isinstance(table, Categories)
    assert table.unknown is not None
    new = {
        "usage": np.array([50.0, 60.0, 70.0, 80.0]),
        "tickets": np.array([1.0, 2.0, 3.0, 4.0]),
        "plan": np.array(["pro", "Platinum", None, "platinum "], dtype=object),
    }
    out = model.score_batch(new)
    lines = [w for w in out.warnings if "not in the category table" in w]
    assert lines == [
        f"column 'plan': 2 value(s) not in the category table, scored {table.unknown:g} "
        "(the unknown score; row 1: 'Platinum', row 3: 'platinum ')"
    ]
    assert model.score_batch({k: v[[0, 2]] for k, v in new.items()}).warnings == ()  # known and missing: silent
    one = model.score({"usage": 60.0, "tickets": 2.0, "plan": "Platinum"})
    assert one.warnings == (
        f"column 'plan': 1 value(s) not in the category table, scored {table.unknown:g} "
        "(the unknown score; row 0: 'Platinum')",
    )
    assert one.score == pytest.approx(float(out.score[1]))
    assert model.score({"usage": 60.0, "tickets": 2.0, "plan": "pro"}).warnings == ()
    strict = Categories(table={"pro": 80.0})  # no unknown score: an unknown label stays an error
    assert strict.unknown_labels("plan", ["gold"]) is None
    with pytest.raises(UnknownCategoryError):
        strict("gold")


def test_a_segmented_model_says_unknown_categories_with_the_rows_of_the_whole_table() -> None:
    columns, churned = _portfolio(3, 2000, 1.2)
    model = fit_scorecard(columns, churned, KINDS).model
    table = model.metrics["plan"].scorer
    assert isinstance(table, Categories)
    seg = SegmentedModel(segments={"smb": attrs.evolve(model, name="smb"), "ent": attrs.evolve(model, name="ent")})
    new = {
        "segment": np.array(["smb", "ent", "smb", "ent"], dtype=object),
        "usage": np.array([50.0, 60.0, 70.0, 80.0]),
        "tickets": np.array([1.0, 2.0, 3.0, 4.0]),
        "plan": np.array(["pro", "Platinum", "pro", "gold"], dtype=object),
    }
    out = seg.score_batch(new)
    assert [w for w in out.warnings if "not in the category table" in w] == [
        f"segment model 'ent': column 'plan': 2 value(s) not in the category table, scored {table.unknown:g} "
        "(the unknown score; row 1: 'Platinum', row 3: 'gold')"
    ]
    assert seg.score_batch({k: v[[0, 2]] for k, v in new.items()}).warnings == ()


def test_the_model_file_sets_the_unknown_score() -> None:
    columns, churned = _portfolio(3, 2000, 1.2)
    model = fit_scorecard(columns, churned, KINDS).model
    text = dump_model(model, format="json")
    data = json.loads(text)
    scorer = next(m["scorer"] for d in data["dimensions"] for m in d["metrics"] if m["name"] == "plan")
    assert scorer["kind"] == "categories"
    scorer["unknown"] = 0
    edited = load_model(data)
    assert isinstance(edited, HealthModel)
    record = {"usage": 60.0, "tickets": 2.0, "plan": "Platinum"}
    assert edited.score(record).metrics["plan"].score == 0.0
    assert "scored 0 (the unknown score" in edited.score(record).warnings[0]
    del scorer["unknown"]
    with pytest.raises(UnknownCategoryError, match="unknown category 'Platinum'"):
        load_model(data).score(record)
