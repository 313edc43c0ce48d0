"""A fitted model a person can trust: alerts that follow the fitted bands,
churn probabilities that are never 0 or 1, and categories never seen in
training said out loud."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from healthscore import ValidationError, dump_model, load_model
from healthscore._stats import stratified_folds
from healthscore.bands import AlertLevel, AlertPolicy, Band, BandPolicy, default_alerts, default_bands
from healthscore.fit import choose_thresholds, fit_scorecard
from healthscore.model import HealthModel


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
