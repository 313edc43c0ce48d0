"""Colour bands and alert levels: boundaries, coverage of 0..100, validation,
portfolio summaries and quantile policies."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthscore import _engine
from healthscore.bands import AlertLevel, AlertPolicy, Band, BandPolicy, default_alerts, default_bands
from healthscore.exceptions import ValidationError
from strategies import alert_policies, band_policies, finite_floats, score_values

BAND_CASES = [
    (100, "green"),
    (80, "green"),
    (79.999, "yellow"),
    (60, "yellow"),
    (59.99, "orange"),
    (40, "orange"),
    (39.9, "red"),
    (0, "red"),
]
ALERT_CASES = [
    (100, "healthy"),
    (75, "healthy"),
    (74.9, "warning"),
    (60, "warning"),
    (59.9, "at_risk"),
    (40, "at_risk"),
    (39.9, "critical"),
    (0, "critical"),
]


@pytest.mark.parametrize(("score", "band"), BAND_CASES)
def test_default_band_boundaries(score: float, band: str) -> None:
    assert default_bands().classify(score) == band
    assert default_bands().classify(np.float64(score)) == band


def test_default_bands_on_arrays() -> None:
    scores = [s for s, _ in BAND_CASES]
    out = default_bands().classify(np.array(scores, dtype=np.float64))
    assert out.tolist() == [b for _, b in BAND_CASES]
    assert default_bands().classify(scores).tolist() == [b for _, b in BAND_CASES]


@pytest.mark.parametrize(("score", "level"), ALERT_CASES)
def test_default_alert_boundaries(score: float, level: str) -> None:
    assert default_alerts().classify(score) == level


def test_default_alerts_on_arrays() -> None:
    out = default_alerts().classify(np.array([s for s, _ in ALERT_CASES]))
    assert out.tolist() == [a for _, a in ALERT_CASES]


def test_nan_has_no_band() -> None:
    assert default_bands().classify(math.nan) is None
    assert default_alerts().classify(math.nan) is None
    assert default_bands().classify([85.0, math.nan]).tolist() == ["green", ""]
    assert default_alerts().classify(np.array([math.nan, 10.0])).tolist() == ["", "critical"]
    assert default_bands().code_one(math.nan) == -1
    assert default_bands().codes([math.nan]).tolist() == [-1]


def test_scores_outside_0_100_land_in_the_end_tiers() -> None:
    assert default_bands().classify(150) == "green"
    assert default_bands().classify(-5) == "red"
    assert default_bands().classify([150.0, -5.0]).tolist() == ["green", "red"]


def test_default_playbooks_and_response_times() -> None:
    bands = default_bands()
    assert bands.names == ("green", "yellow", "orange", "red")
    assert bands.thresholds == (80.0, 60.0, 40.0, 0.0)
    for band in bands.bands:
        assert band.playbook
        assert all(step.strip() for step in band.playbook)
        assert band.description
    alerts = default_alerts()
    assert alerts.names == ("healthy", "warning", "at_risk", "critical")
    assert alerts.thresholds == (75.0, 60.0, 40.0, 0.0)
    hours = {level.name: level.response_hours for level in alerts.levels}
    assert hours == {"critical": 0.0, "at_risk": 48.0, "warning": 168.0, "healthy": None}
    assert all(level.response for level in alerts.levels)


def test_get_by_name() -> None:
    assert default_bands().get("red").min_score == 0.0
    assert default_alerts().get("at_risk").response_hours == 48.0
    with pytest.raises(KeyError, match="purple"):
        default_bands().get("purple")


# --------------------------------------------------------------------------- any valid ladder


@given(policy=st.one_of(band_policies, alert_policies), score=score_values)
def test_every_score_gets_exactly_one_tier(policy: BandPolicy | AlertPolicy, score: float) -> None:
    tiers: Sequence[Band | AlertLevel] = policy.bands if isinstance(policy, BandPolicy) else policy.levels
    holding = [
        t.name for i, t in enumerate(tiers) if score >= t.min_score and (i == 0 or score < tiers[i - 1].min_score)
    ]
    assert len(holding) == 1
    assert policy.classify(score) == holding[0]
    assert policy.classify(np.array([score])).tolist() == holding


@given(
    policy=st.one_of(band_policies, alert_policies),
    scores=st.lists(finite_floats(-50.0, 150.0), min_size=2, max_size=40),
)
def test_tiers_are_monotone_in_the_score(policy: BandPolicy | AlertPolicy, scores: list[float]) -> None:
    ordered = sorted(scores)
    codes = policy.codes(np.array(ordered))
    # Index 0 is the best tier: a higher score never gets a worse tier.
    assert (np.diff(codes) <= 0).all()
    assert ((codes >= 0) & (codes < len(policy.names))).all()
    assert codes.tolist() == [policy.code_one(s) for s in ordered]


@given(policy=band_policies, scores=st.lists(st.one_of(score_values, st.just(math.nan)), max_size=40))
def test_scalar_and_array_classification_agree(policy: BandPolicy, scores: list[float]) -> None:
    out = policy.classify(np.array(scores, dtype=np.float64)).tolist()
    assert out == [policy.classify(s) or "" for s in scores]


# --------------------------------------------------------------------------- validation


def _bands(*mins: float, names: tuple[str, ...] | None = None) -> list[Band]:
    labels = names or tuple(f"b{i}" for i in range(len(mins)))
    return [Band(name=n, min_score=m) for n, m in zip(labels, mins, strict=True)]


@pytest.mark.parametrize(
    ("bands", "field"),
    [
        (_bands(40, 80, 0), "bands[1].min_score"),
        (_bands(80, 80, 0), "bands[1].min_score"),
        (_bands(80, 40, 0, 20), "bands[3].min_score"),
        (_bands(80, 40, 10), "bands[2].min_score"),
        (_bands(80, 40, 0, names=("a", "b", "a")), "bands[2].name"),
        ([], "bands"),
    ],
)
def test_invalid_band_ladders_are_rejected(bands: list[Band], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        BandPolicy(bands=bands)
    assert info.value.field == field
    assert isinstance(info.value, ValueError)


def test_invalid_alert_ladders_are_rejected() -> None:
    with pytest.raises(ValidationError, match=r"levels\[1\]\.min_score"):
        AlertPolicy(levels=[AlertLevel(name="a", min_score=10), AlertLevel(name="b", min_score=50)])
    with pytest.raises(ValidationError, match="must be 0"):
        AlertPolicy(levels=[AlertLevel(name="a", min_score=50), AlertLevel(name="b", min_score=10)])
    with pytest.raises(ValidationError, match="unique"):
        AlertPolicy(levels=[AlertLevel(name="a", min_score=50), AlertLevel(name="a", min_score=0)])


@given(mins=st.lists(finite_floats(0.0, 100.0), min_size=2, max_size=6, unique=True))
def test_unordered_ladders_are_rejected(mins: list[float]) -> None:
    ordered = sorted(mins, reverse=True)
    shuffled = ordered[::-1]  # worst first
    with pytest.raises(ValidationError):
        BandPolicy(bands=_bands(*shuffled))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "", "min_score": 0}, "name"),
        ({"name": "  ", "min_score": 0}, "name"),
        ({"name": "x", "min_score": -1}, "min_score"),
        ({"name": "x", "min_score": 101}, "min_score"),
    ],
)
def test_invalid_tiers_are_rejected(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        Band(**kwargs)  # type: ignore[arg-type]
    assert info.value.field == field


def test_negative_response_hours_are_rejected() -> None:
    with pytest.raises(ValidationError, match="response_hours"):
        AlertLevel(name="x", min_score=0, response_hours=-1)
    with pytest.raises(ValidationError, match="response_hours"):
        AlertLevel(name="x", min_score=0, response_hours=math.inf)


# --------------------------------------------------------------------------- summaries


def test_summary_counts_and_shares() -> None:
    summary = default_bands().summary([90, 85, 70, 45, 10, math.nan])
    assert summary.counts == {"green": 2, "yellow": 1, "orange": 1, "red": 1}
    assert list(summary.counts) == ["green", "yellow", "orange", "red"]
    assert summary.shares == {"green": 0.4, "yellow": 0.2, "orange": 0.2, "red": 0.2}
    assert summary.scored == 5
    assert summary.unscored == 1
    assert summary.credible
    assert summary.warnings == ()
    text = str(summary)
    assert "green" in text
    assert "insufficient data" in text


def test_summary_flags_a_policy_that_puts_most_accounts_in_red() -> None:
    summary = default_bands().summary([90, 70, 30, 20, 10, math.nan])
    assert summary.counts["red"] == 3
    assert summary.shares["red"] == pytest.approx(0.6)
    assert not summary.credible
    assert len(summary.warnings) == 1
    assert "more than half" in summary.warnings[0]
    assert "red" in summary.warnings[0]
    assert "warning:" in str(summary)


def test_summary_half_in_red_is_still_credible() -> None:
    summary = default_bands().summary([90, 10])
    assert summary.shares["red"] == 0.5
    assert summary.credible


def test_summary_of_no_scores() -> None:
    summary = default_bands().summary([math.nan, math.nan])
    assert summary.scored == 0
    assert summary.unscored == 2
    assert set(summary.shares.values()) == {0.0}
    assert summary.credible


@given(policy=band_policies, scores=st.lists(st.one_of(score_values, st.just(math.nan)), max_size=50))
def test_summary_counts_add_up(policy: BandPolicy, scores: list[float]) -> None:
    summary = policy.summary(scores)
    assert sum(summary.counts.values()) == summary.scored
    assert summary.scored + summary.unscored == len(scores)
    assert summary.unscored == sum(1 for s in scores if math.isnan(s))
    if summary.scored:
        assert math.isclose(sum(summary.shares.values()), 1.0)
    worst = policy.names[-1]
    assert summary.credible == (summary.shares[worst] <= 0.5)


# --------------------------------------------------------------------------- quantile policies


def test_from_quantiles_hits_the_requested_shares() -> None:
    scores = np.arange(100.0)
    policy = BandPolicy.from_quantiles(scores, [0.25, 0.25, 0.3, 0.2])
    assert policy.names == default_bands().names
    assert policy.thresholds[-1] == 0.0
    assert policy.get("green").playbook == default_bands().get("green").playbook
    summary = policy.summary(scores)
    assert summary.counts == {"green": 25, "yellow": 25, "orange": 30, "red": 20}
    assert summary.credible


def test_from_quantiles_uses_a_template_and_ignores_nan() -> None:
    template = BandPolicy(bands=_bands(50, 0, names=("good", "bad")))
    policy = BandPolicy.from_quantiles([10.0, 20.0, 30.0, 40.0, math.nan], [0.5, 0.5], template=template)
    assert policy.names == ("good", "bad")
    assert policy.summary([10.0, 20.0, 30.0, 40.0]).counts == {"good": 2, "bad": 2}


@pytest.mark.parametrize(
    ("shares", "scores", "field"),
    [
        ([0.5, 0.5], [1.0, 2.0], "shares"),
        ([0.5, 0.5, 0.5, -0.5], [1.0, 2.0], "shares"),
        ([0.3, 0.3, 0.3, 0.3], [1.0, 2.0], "shares"),
        ([0.25, 0.25, 0.25, 0.25], [math.nan], "scores"),
    ],
)
def test_from_quantiles_validates(shares: list[float], scores: list[float], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        BandPolicy.from_quantiles(scores, shares)
    assert info.value.field == field


@given(
    scores=st.lists(st.one_of(score_values, st.just(0.0)), min_size=1, max_size=60),
    raw=st.lists(finite_floats(0.01, 1.0), min_size=4, max_size=4),
)
def test_from_quantiles_always_gives_a_valid_ladder(scores: list[float], raw: list[float]) -> None:
    shares = [r / sum(raw) for r in raw]
    shares[-1] = 1.0 - sum(shares[:-1])
    policy = BandPolicy.from_quantiles(scores, shares)
    assert policy.thresholds[-1] == 0.0
    assert all(a > b for a, b in zip(policy.thresholds, policy.thresholds[1:], strict=False))
    assert policy.summary(scores).scored == len(scores)


def test_from_quantiles_on_a_portfolio_with_many_zero_scores() -> None:
    """Regression: tied cuts at 0 were clipped into equal thresholds, and the
    policy failed its own validation (bands[1].min_score)."""
    scores = [0.0] * 8 + [50.0, 90.0]  # most accounts score 0 (e.g. no usage at all)
    policy = BandPolicy.from_quantiles(scores, [0.25, 0.25, 0.25, 0.25])
    assert policy.thresholds[-1] == 0.0
    assert policy.summary(scores).scored == len(scores)


@given(
    policy=st.one_of(band_policies, alert_policies),
    scores=st.lists(st.one_of(score_values, st.sampled_from([math.nan, math.inf, -math.inf, -0.0])), max_size=40),
)
def test_one_tier_rule_for_floats_numpy_and_the_array_api(
    policy: BandPolicy | AlertPolicy, scores: list[float]
) -> None:
    """code_one, codes and the batch engine's codes are one rule: the same tier
    for every score, thresholds themselves included."""
    scores = [*scores, *policy.thresholds]
    expected = [policy.code_one(s) for s in scores]
    assert policy.codes(np.array(scores)).tolist() == expected
    assert _engine.tier_codes(np, np.array(scores), policy.thresholds, np.int8).tolist() == expected
    xp = pytest.importorskip("array_api_strict")
    device = _engine.tier_codes(xp, xp.asarray(scores, dtype=xp.float64), policy.thresholds, xp.int8)
    assert np.asarray(device).tolist() == expected


def test_summary_aligns_japanese_band_names_by_display_width() -> None:
    from healthscore._io import display_width

    policy = BandPolicy(bands=[Band(name="良好", min_score=60), Band(name="要注意の顧客", min_score=0)])
    lines = str(policy.summary([70.0, 10.0, 20.0])).splitlines()[:2]
    # the count column ends at the same terminal column on every line
    ends = [
        display_width(line[: line.index(count) + len(count)]) for line, count in zip(lines, ["1", "2"], strict=True)
    ]
    assert ends[0] == ends[1]
