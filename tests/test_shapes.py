"""Learned curve shapes: fit_scorecard's kind "auto" and healthscore._shapes."""

from __future__ import annotations

import itertools
from typing import Any

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import roc_auc_score

from healthscore import InputError, ValidationError, _stats, dump_model, load_model
from healthscore._shapes import SHAPES, Learned, bin_column, learn, project, simplify
from healthscore._stats import stratified_folds
from healthscore.fit import fit_scorecard
from healthscore.scorers import Piecewise

N = 6000


def _truth(seed: int = 0) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Five columns with known health shapes and one of noise; churn from their sum."""
    rng = np.random.default_rng(seed)
    cols = {name: rng.uniform(0, 10, N) for name in ("up", "down", "peak", "dip", "wave", "noise")}
    risk = (
        -0.4 * cols["up"]
        + 0.4 * cols["down"]
        + 0.15 * (cols["peak"] - 5) ** 2
        - 0.15 * (cols["dip"] - 5) ** 2
        + 1.2 * np.sin(cols["wave"] * 1.3)
    )
    churned = (rng.random(N) < 1 / (1 + np.exp(-(risk - np.median(risk) - 1.0)))).astype(np.int64)
    return cols, churned


@pytest.fixture(scope="module")
def truth() -> tuple[dict[str, np.ndarray], np.ndarray]:
    return _truth()


@pytest.fixture(scope="module")
def card(truth: tuple[dict[str, np.ndarray], np.ndarray]):  # type: ignore[no-untyped-def]
    cols, churned = truth
    return fit_scorecard(cols, churned, dict.fromkeys(cols, "auto"))


def test_auto_learns_each_columns_shape(card) -> None:  # type: ignore[no-untyped-def]
    shapes = {c.name: c.shape for c in card.report.columns}
    assert shapes["up"] == "increasing"
    assert shapes["down"] == "decreasing"
    assert shapes["peak"] == "peaked"  # churn lowest in the middle: health peaks there
    assert shapes["dip"] == "valley"
    assert shapes["wave"] == "free"


def test_the_evidence_is_every_candidates_cross_validated_log_loss(card) -> None:  # type: ignore[no-untyped-def]
    for c in card.report.columns:
        losses = dict(c.shape_losses)
        assert tuple(losses) == SHAPES
        assert all(0 < v < 1 for v in losses.values())
        # the chosen shape is the simplest within the tolerance of the best
        chosen = SHAPES.index(c.shape)
        assert losses[c.shape] <= min(losses.values()) + 1e-3
        assert all(losses[s] > min(losses.values()) + 1e-3 for s in SHAPES[:chosen])
    text = card.report.summary()
    assert "auto: increasing" in text
    assert "shape evidence" in text
    assert "as curves" in text


def test_curves_follow_their_shape_with_few_breakpoints(card) -> None:  # type: ignore[no-untyped-def]
    by_name = {c.name: c for c in card.report.columns}
    for name, direction in (("up", "increasing"), ("down", "decreasing"), ("peak", "peaked")):
        scorer = by_name[name].scorer
        assert isinstance(scorer, Piecewise)
        assert scorer.direction == direction
    for c in card.report.columns:
        if isinstance(c.scorer, Piecewise):
            assert 2 <= len(c.scorer.points) <= 8
            ys = [p[1] for p in c.scorer.points]
            assert min(ys) == pytest.approx(0.0)
            assert max(ys) == pytest.approx(100.0)
    valley = by_name["dip"].scorer
    assert isinstance(valley, Piecewise)
    assert valley(5.0) < valley(0.5)
    assert valley(5.0) < valley(9.5)
    assert card.report.shape_log_loss[1] >= card.report.shape_log_loss[0] - 1e-9  # simplifying costs, never pays


def test_max_breakpoints_is_a_setting(truth) -> None:  # type: ignore[no-untyped-def]
    cols, churned = truth
    small = fit_scorecard({"wave": cols["wave"]}, churned, {"wave": "auto"}, max_breakpoints=3)
    scorer = small.report.columns[0].scorer
    assert isinstance(scorer, Piecewise)
    assert len(scorer.points) <= 3
    assert small.report.columns[0].simplification > 0
    with pytest.raises(ValidationError, match="max_breakpoints"):
        fit_scorecard(cols, churned, {"wave": "auto"}, max_breakpoints=1)


def test_the_fitted_model_is_an_ordinary_model(card, truth) -> None:  # type: ignore[no-untyped-def]
    cols, _ = truth
    again = load_model(dump_model(card.model), format="toml")
    a = np.asarray(card.model.score_batch(cols).score)
    b = np.asarray(again.score_batch(cols).score)
    np.testing.assert_allclose(a, b)
    assert card.model.score({k: float(v[0]) for k, v in cols.items()}).score == pytest.approx(a[0])


def test_learned_shapes_beat_the_wrong_constraint_out_of_sample(truth) -> None:  # type: ignore[no-untyped-def]
    cols, churned = truth
    train = np.arange(N) < N * 2 // 3
    test = ~train
    part = {k: v[train] for k, v in cols.items()}
    held = {k: v[test] for k, v in cols.items()}
    auto = fit_scorecard(part, churned[train], dict.fromkeys(cols, "auto"))
    kinds = {"up": "higher_is_better", "down": "lower_is_better", "peak": "peaked", "dip": "peaked"}
    kinds |= {"wave": "higher_is_better", "noise": "higher_is_better"}
    fixed = fit_scorecard(part, churned[train], kinds)
    auc_auto = roc_auc_score(churned[test], -np.asarray(auto.model.score_batch(held).score))
    auc_fixed = roc_auc_score(churned[test], -np.asarray(fixed.model.score_batch(held).score))
    assert auc_auto > auc_fixed + 0.02


def test_missing_values_keep_their_own_learned_score() -> None:
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 10, 4000)
    churned = (rng.random(4000) < 0.1 + 0.04 * (10 - x)).astype(np.int64)
    gone = rng.random(4000) < 0.15
    churned[gone] = (rng.random(int(gone.sum())) < 0.7).astype(np.int64)  # a missing value means trouble
    x[gone] = np.nan
    fit = fit_scorecard({"x": x}, churned, {"x": "auto"})
    scorer = fit.report.columns[0].scorer
    assert isinstance(scorer, Piecewise)
    assert scorer.missing is not None
    assert scorer.missing < scorer(0.0)  # worse than the worst observed value, as the data say


def test_auto_and_other_kinds_mix(truth) -> None:  # type: ignore[no-untyped-def]
    cols, churned = truth
    data = {"up": cols["up"], "wave": cols["wave"], "plan": np.where(cols["noise"] > 5, "a", "b").astype(object)}
    fit = fit_scorecard(data, churned, {"up": "higher_is_better", "wave": "auto", "plan": "categorical"})
    by_name = {c.name: c for c in fit.report.columns}
    assert by_name["up"].shape == ""
    assert by_name["wave"].shape == "free"
    assert fit.report.shape_cycles > 0


def test_auto_refuses_text() -> None:
    with pytest.raises(InputError, match="row 1"):
        fit_scorecard({"x": np.array([1.0, "many", 3.0], dtype=object)}, np.array([0, 1, 0]), {"x": "auto"})


def test_the_fit_is_deterministic(truth) -> None:  # type: ignore[no-untyped-def]
    cols, churned = truth
    few = {k: cols[k] for k in ("up", "wave")}
    assert dump_model(fit_scorecard(few, churned, dict.fromkeys(few, "auto")).model) == dump_model(
        fit_scorecard(few, churned, dict.fromkeys(few, "auto")).model
    )


def test_learn_reports_the_simplification() -> None:
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 10, 3000)
    y = (rng.random(3000) < 1 / (1 + np.exp(-np.sin(x)))).astype(np.float64)
    learning = learn({"x": x}, y, max_breakpoints=4)
    fine_auc, curve_auc = learning.auc
    assert 0.5 < curve_auc <= fine_auc + 1e-9
    column = learning.columns["x"]
    assert isinstance(column, Learned)
    assert column.simplification >= 0
    assert len(column.points) <= 4


# --------------------------------------------------------------------------- projections and simplification

values = st.lists(st.floats(-10, 10, allow_nan=False), min_size=2, max_size=14)


@settings(max_examples=60, deadline=None)
@given(values, st.booleans())
def test_monotone_projection_is_isotonic_regression(vs: list[float], up: bool) -> None:
    f = np.array(vs)
    w = np.linspace(1.0, 2.0, f.size)
    got = project(f, w, "increasing" if up else "decreasing")
    want = IsotonicRegression(increasing=up).fit_transform(np.arange(f.size), f, sample_weight=w)
    np.testing.assert_allclose(got, want, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(values, st.booleans())
def test_unimodal_projection_is_the_best_split(vs: list[float], peak: bool) -> None:
    f = np.array(vs)
    w = np.ones(f.size)
    got = project(f, w, "peaked" if peak else "valley")
    sign = 1 if peak else -1
    diffs = np.sign(np.diff(sign * got))
    changes = [d for d in diffs if d != 0]
    assert sum(1 for a, b in itertools.pairwise(changes) if a < b) == 0  # rises (if at all), then falls
    err = float(np.sum((got - f) ** 2))
    for split in range(f.size + 1):
        left = IsotonicRegression(increasing=peak).fit_transform(np.arange(split), f[:split]) if split else []
        rest = f.size - split
        right = IsotonicRegression(increasing=not peak).fit_transform(np.arange(rest), f[split:]) if rest else []
        other = np.r_[left, right]
        assert err <= float(np.sum((other - f) ** 2)) + 1e-9


def test_simplify_keeps_the_ends_and_at_most_max_points() -> None:
    x = np.arange(20.0)
    h = np.sin(x / 3)
    knots, fitted = simplify(x, h, np.ones(20), 5)
    assert knots[0] == 0
    assert knots[-1] == 19
    assert len(knots) <= 5
    assert len(fitted) == len(knots)


def test_fine_bins_give_each_value_its_own_bin_when_there_are_few() -> None:
    x = np.array([0.0, 1.0, 1.0, 2.0, np.nan] * 40)
    b = bin_column(x)
    assert b.centres.tolist() == [0.0, 1.0, 2.0]
    assert set(b.codes[np.isnan(x)].tolist()) == {3}


def test_an_accounts_rows_share_an_inner_fold(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(4)
    x = rng.uniform(0, 10, 1200)
    y = (rng.random(1200) < 0.1 + 0.04 * x).astype(np.float64)
    groups = np.repeat(np.arange(400), 3).astype(str)
    dealt: list[Any] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        dealt.append(folds := stratified_folds(*args, **kwargs))
        return folds

    monkeypatch.setattr(_stats, "stratified_folds", spy)
    learn({"x": x}, y, groups=groups)
    (folds,) = dealt
    assert all(np.unique(folds[groups == g]).size == 1 for g in np.unique(groups))
