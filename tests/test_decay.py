"""Recency weighting: weights, windows and decay-weighted aggregates."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthscore import decay
from healthscore.decay import Exponential, Step
from healthscore.exceptions import InputError, ValidationError
from strategies import finite_floats

ages = finite_floats(0.0, 1e5)
half_lives = finite_floats(1e-2, 1e4)
windows = finite_floats(1e-2, 1e3)
factors = st.floats(0.0, 1.0, exclude_min=True)


def _rules() -> st.SearchStrategy[Exponential | Step]:
    return st.one_of(
        st.builds(Exponential, half_life_days=half_lives),
        st.builds(Step, window_days=windows, factor=factors),
    )


def _tame_rules() -> st.SearchStrategy[Exponential | Step]:
    """Rules whose weights stay above ~1e-301 for ages up to 1000 days, so that a
    weighted mean is not lost to underflow."""
    return st.one_of(
        st.builds(Exponential, half_life_days=finite_floats(1.0, 1e4)),
        st.builds(Step, window_days=finite_floats(1.0, 1e3), factor=st.floats(0.5, 1.0)),
    )


# --------------------------------------------------------------------------- the rules


def test_weight_is_one_at_age_zero() -> None:
    assert decay.exponential(half_life_days=30)(0) == 1.0
    assert decay.step(window_days=30, factor=0.5)(0) == 1.0
    assert decay.step()(0.0) == 1.0


def test_exponential_half_life() -> None:
    rule = decay.exponential(half_life_days=30)
    assert rule(30) == 0.5
    assert rule(60) == 0.25
    assert rule(90) == 0.125
    assert rule(15) == pytest.approx(2**-0.5)


@pytest.mark.parametrize(
    ("age", "weight"),
    [(0, 1.0), (1, 1.0), (29, 1.0), (29.99, 1.0), (30, 0.5), (45, 0.5), (59, 0.5), (60, 0.25), (75, 0.25), (89, 0.25)],
)
def test_step_rule_values(age: float, weight: float) -> None:
    assert decay.step(window_days=30, factor=0.5)(age) == weight


def test_step_rule_on_arrays() -> None:
    rule = decay.step(window_days=30, factor=0.5)
    assert rule(np.arange(90)).tolist() == [1.0] * 30 + [0.5] * 30 + [0.25] * 30
    assert rule.window(np.array([0, 29, 30, 59, 60])).tolist() == [0.0, 0.0, 1.0, 1.0, 2.0]
    assert rule.window(45) == 1.0


@given(rule=_rules(), a=ages, b=ages)
def test_weights_never_increase_with_age(rule: Exponential | Step, a: float, b: float) -> None:
    young, old = min(a, b), max(a, b)
    w_young, w_old = rule(young), rule(old)
    assert 0.0 <= w_old <= w_young <= 1.0


@given(rule=_rules())
def test_weight_at_age_zero_is_one_for_any_rule(rule: Exponential | Step) -> None:
    assert rule(0.0) == 1.0
    assert rule(np.zeros(3)).tolist() == [1.0, 1.0, 1.0]


@given(rule=_rules(), values=st.lists(ages, max_size=30))
def test_scalar_weights_equal_array_weights(rule: Exponential | Step, values: list[float]) -> None:
    arr = rule(np.array(values, dtype=np.float64))
    assert isinstance(arr, np.ndarray)
    assert arr.tolist() == [rule(v) for v in values]
    assert all(type(rule(v)) is float for v in values)


@pytest.mark.parametrize("rule", [decay.exponential(), decay.step()], ids=["exponential", "step"])
def test_negative_ages_are_rejected(rule: Exponential | Step) -> None:
    with pytest.raises(InputError, match=r"age_days must be >= 0.*-1\.0"):
        rule(-1)
    with pytest.raises(InputError, match=r"-2\.5"):
        rule(np.array([1.0, -2.5, 3.0]))


def test_non_numeric_ages_are_rejected() -> None:
    with pytest.raises(InputError, match="age_days"):
        decay.step()(["yesterday"])


@pytest.mark.parametrize(
    ("factory", "kwargs", "field"),
    [
        (decay.exponential, {"half_life_days": 0}, "half_life_days"),
        (decay.exponential, {"half_life_days": -3}, "half_life_days"),
        (decay.exponential, {"half_life_days": math.inf}, "half_life_days"),
        (decay.step, {"window_days": 0}, "window_days"),
        (decay.step, {"factor": 0}, "factor"),
        (decay.step, {"factor": 1.5}, "factor"),
    ],
)
def test_bad_rules_are_rejected(factory: object, kwargs: dict[str, float], field: str) -> None:
    assert callable(factory)
    with pytest.raises(ValidationError) as info:
        factory(**kwargs)
    assert info.value.field == field


def test_rules_satisfy_the_decay_protocol() -> None:
    assert isinstance(decay.step(), decay.Decay)
    assert isinstance(decay.exponential(), decay.Decay)


# --------------------------------------------------------------------------- aggregates


def test_decayed_sum_hand_computed() -> None:
    rule = decay.step()
    assert decay.decayed_sum([10, 10], [0, 30], rule) == 15.0
    assert decay.decayed_sum([4, 8, 16], [0, 30, 60], rule) == 4 + 4 + 4
    assert decay.decayed_sum([4, math.nan, 16], [0, 30, 60], rule) == 8.0
    assert decay.decayed_sum([], [], rule) == 0.0
    assert decay.decayed_sum([6.0], [30.0], decay.exponential(half_life_days=30)) == 3.0


def test_decayed_mean_hand_computed() -> None:
    rule = decay.step()
    assert decay.decayed_mean([2, 30], [0, 30], rule) == pytest.approx((2 * 1 + 30 * 0.5) / 1.5)
    assert decay.decayed_mean([10, 20, 40], [0, 30, 60], rule) == pytest.approx((10 + 10 + 10) / 1.75)
    assert decay.decayed_mean([7, 7, 7], [0, 45, 100], rule) == pytest.approx(7.0)
    assert decay.decayed_mean([10, math.nan], [0, 30], rule) == 10.0
    exp = decay.exponential(half_life_days=10)
    assert decay.decayed_mean([0, 100], [0, 10], exp) == pytest.approx(100 * 0.5 / 1.5)


def test_decayed_mean_of_nothing_is_nan_never_zero() -> None:
    rule = decay.step()
    assert math.isnan(decay.decayed_mean([math.nan, math.nan], [0, 30], rule))
    assert math.isnan(decay.decayed_mean([], [], rule))
    assert math.isnan(decay.decayed_mean(np.array([math.nan]), np.array([5.0]), decay.exponential()))


@given(
    data=st.lists(st.tuples(finite_floats(-1e6, 1e6), finite_floats(0.0, 1000.0)), min_size=1, max_size=20),
    rule=_tame_rules(),
)
def test_decayed_mean_lies_between_the_values(data: list[tuple[float, float]], rule: Exponential | Step) -> None:
    values = [v for v, _ in data]
    when = [a for _, a in data]
    mean = decay.decayed_mean(values, when, rule)
    slack = 1e-9 * max(1.0, max(abs(v) for v in values))
    assert min(values) - slack <= mean <= max(values) + slack


def test_aggregates_check_their_inputs() -> None:
    with pytest.raises(InputError, match="same shape"):
        decay.decayed_mean([1, 2], [0], decay.step())
    with pytest.raises(InputError, match="values"):
        decay.decayed_sum(["a"], [0], decay.step())
    with pytest.raises(InputError, match=">= 0"):
        decay.decayed_mean([1], [-1], decay.step())


def test_window_counts_hand_computed() -> None:
    assert decay.window_counts([0, 1, 2, 31, 65], window_days=30).tolist() == [3.0, 1.0, 1.0]
    assert decay.window_counts([29, 30, 59.9, 60], window_days=30).tolist() == [1.0, 2.0, 1.0]
    assert decay.window_counts([0, 7, 14], window_days=7).tolist() == [1.0, 1.0, 1.0]
    assert decay.window_counts([], window_days=30).tolist() == []
    assert decay.window_counts([0, 1, 95], window_days=30, n_windows=2).tolist() == [2.0, 0.0]
    assert decay.window_counts([5], window_days=30, n_windows=4).tolist() == [1.0, 0.0, 0.0, 0.0]
    assert decay.window_counts([5, math.nan], window_days=30).tolist() == [1.0]
    with pytest.raises(ValidationError, match="n_windows"):
        decay.window_counts([1], n_windows=-1)
    with pytest.raises(InputError):
        decay.window_counts([-1])


@given(event_ages=st.lists(finite_floats(0.0, 1000.0), max_size=50), window=finite_floats(1.0, 100.0))
def test_window_counts_count_every_event_once(event_ages: list[float], window: float) -> None:
    counts = decay.window_counts(event_ages, window_days=window)
    assert counts.sum() == len(event_ages)
    assert (counts >= 0).all()
    for i, c in enumerate(counts.tolist()):
        assert c == sum(1 for a in event_ages if math.floor(a / window) == i)


def test_active_days_per_window_decay_weighted() -> None:
    """The spec's rule: last 30 days weight 1, the 30 before 0.5, older less."""
    active = np.arange(0, 90)  # active every day for 90 days
    counts = decay.window_counts(active, window_days=30)
    assert counts.tolist() == [30.0, 30.0, 30.0]
    window_ages = np.arange(counts.size) * 30.0
    assert decay.decayed_mean(counts, window_ages, decay.step()) == 30.0
    lapsed = decay.window_counts(np.arange(30, 90), window_days=30, n_windows=3)
    assert lapsed.tolist() == [0.0, 30.0, 30.0]
    assert decay.decayed_mean(lapsed, window_ages, decay.step()) == pytest.approx((0 + 15 + 7.5) / 1.75)
