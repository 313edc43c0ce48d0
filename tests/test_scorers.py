"""Metric scorers: the seed's numbers, the [0, 100] range, monotonicity, NaN
policy, scalar == array, validation, and the one place where clipping happens."""

from __future__ import annotations

import inspect
import itertools
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from healthscore import ConfigError, Dimension, HealthModel, Metric, dump_model, load_model, scorers
from healthscore.exceptions import HealthScoreError, InputError, UnknownCategoryError, ValidationError
from healthscore.scorers import Boolean, Categories, Piecewise, Steps, evaluate
from strategies import (
    any_floats,
    booleans,
    categories,
    finite_floats,
    non_nan_floats,
    piecewise_points,
    piecewises,
    score_values,
    steps,
)

HELPERS = frozenset({"evaluate", "input_kind", "is_missing"})
"""Functions in ``scorers.__all__`` that are not scorer factories."""

FACTORIES = sorted(
    name for name in scorers.__all__ if inspect.isfunction(getattr(scorers, name)) and name not in HELPERS
)
BUILTIN = (Piecewise, Steps, Categories, Boolean)
TOLERANCE = 1e-9


def _same(a: float, b: float) -> bool:
    """Equal to the last bit, NaN equal to NaN."""
    return (math.isnan(a) and math.isnan(b)) or a == b


def _in_range(values: Any) -> bool:
    arr = np.asarray(values, dtype=np.float64)
    return bool(np.all((arr >= 0.0) & (arr <= 100.0)))


def _sample_inputs(scorer: Any) -> list[Any]:
    """Inputs a built-in scorer accepts, across and beyond its domain."""
    if isinstance(scorer, Categories):
        return list(scorer.labels)
    if isinstance(scorer, Boolean):
        return [True, False, "yes", "no", 1, 0]
    xs = [*np.linspace(-1000.0, 1000.0, 41).tolist(), math.inf, -math.inf, 0.0, 0.5, 1.0]
    if isinstance(scorer, Piecewise):
        xs += [x for x, _ in scorer.points]
    low, high = scorer.bounds
    return [x for x in xs if low <= x <= high]


def _outside_inputs(scorer: Piecewise | Steps) -> list[float]:
    """Values outside a numeric scorer's domain: beyond each finite end, and
    the infinities."""
    assert scorer.domain is not None
    low, high = scorer.domain
    out = [math.inf, -math.inf]
    if math.isfinite(low):
        out += [low - 1.0, math.nextafter(low, -math.inf)]
    if math.isfinite(high):
        out += [high + 1.0, math.nextafter(high, math.inf)]
    return out


# --------------------------------------------------------------------------- seed tables


@pytest.mark.parametrize(
    ("factory", "value", "low", "high"),
    [
        (scorers.login_frequency, 20, 90, 100),
        (scorers.login_frequency, 25, 90, 100),
        (scorers.login_frequency, 30, 90, 100),
        (scorers.login_frequency, 1000, 90, 100),
        (scorers.login_frequency, 4, 70, 89),
        (scorers.login_frequency, 2, 50, 69),
        (scorers.login_frequency, 1, 30, 49),
        (scorers.login_frequency, 0, 0, 29),
        (scorers.penetration, 0.9, 90, 100),
        (scorers.penetration, 0.8, 90, 100),
        (scorers.penetration, 0.7, 70, 89),
        (scorers.penetration, 0.5, 50, 69),
        (scorers.penetration, 0.3, 0, 49),
        (scorers.executive_engagement, "quarterly", 90, 100),
        (scorers.executive_engagement, "annual", 70, 89),
        (scorers.executive_engagement, "aware", 50, 69),
        (scorers.executive_engagement, "none", 0, 49),
    ],
)
def test_seed_score_ranges(factory: Callable[[], Any], value: Any, low: float, high: float) -> None:
    score = factory()(value)
    assert isinstance(score, float)
    assert low <= score <= high


def test_unknown_executive_engagement_names_the_allowed_categories() -> None:
    with pytest.raises(UnknownCategoryError) as info:
        scorers.executive_engagement()("weekly")
    message = str(info.value)
    assert "weekly" in message
    for label in ("quarterly", "annual", "aware", "none"):
        assert label in message
    assert isinstance(info.value, InputError)
    assert isinstance(info.value, ValueError)


def test_executive_engagement_labels_ignore_case_and_blanks() -> None:
    scorer = scorers.executive_engagement()
    assert scorer(" Quarterly ") == scorer("quarterly")
    assert scorer(["QUARTERLY", "none"]).tolist() == [scorer("quarterly"), scorer("none")]


def test_roi_multiple_seed_rule() -> None:
    scorer = scorers.roi_multiple()
    for good in (3.0, 3.5, 5.0, 10.0, 1e9):
        assert scorer(good) >= 80
    for bad in (0.0, 0.5, 0.9, 0.999):
        assert scorer(bad) < 40
    grid = np.linspace(0.0, 12.0, 2001)
    assert np.all(np.diff(scorer(grid)) >= 0)


def test_payment_delay_seed_rule() -> None:
    scorer = scorers.payment_delay()
    assert scorer(0) >= 90
    assert scorer(60) < 40
    grid = np.linspace(0.0, 200.0, 2001)
    assert np.all(np.diff(scorer(grid)) <= 0)


def test_nps_reads_account_nps_and_is_non_decreasing() -> None:
    scorer = scorers.nps()
    assert scorer.span == (-100.0, 100.0)
    assert scorer.domain == (-100.0, 100.0)
    grid = np.linspace(-100.0, 100.0, 2001)
    out = scorer(grid)
    assert np.all(np.diff(out) >= 0)
    assert scorer(-100) < scorer(0) < scorer(100)
    assert _in_range(out)


def test_csat_below_three_signals_a_problem() -> None:
    scorer = scorers.csat()
    for value in (1.0, 2.0, 2.5, 2.99):
        assert scorer(value) < 60
    assert scorer(3.0) >= 60
    assert scorer(5.0) > scorer(4.0)


def test_response_time_seed_rule() -> None:
    scorer = scorers.response_time()
    for hours in (0, 1, 12, 24):
        assert scorer(hours) >= 80
    assert scorer(336) < 40
    assert scorer(720) <= scorer(336)


def test_power_users_seed_rule() -> None:
    scorer = scorers.power_users()
    for count in (3, 4, 10):
        assert scorer(count) >= 80
    assert scorer(0) < 30


def test_feature_breadth_seed_rule() -> None:
    scorer = scorers.feature_breadth()
    assert scorer(3 / 20) < 50
    assert scorer(15 / 20) >= 80


def test_ticket_volume_is_not_monotone() -> None:
    scorer = scorers.ticket_volume()
    assert scorer.direction not in ("increasing", "decreasing", "flat")
    moderate = scorer(4)
    assert scorer(0) < moderate
    assert scorer(40) < moderate
    assert scorer(100) < moderate


# --------------------------------------------------------------------------- every factory


def test_factories_are_found() -> None:
    assert len(FACTORIES) >= 30
    assert "login_frequency" in FACTORIES
    assert not HELPERS & set(FACTORIES)


@pytest.mark.parametrize("name", FACTORIES)
def test_factory_returns_an_in_range_builtin_scorer(name: str) -> None:
    scorer = getattr(scorers, name)()
    assert isinstance(scorer, BUILTIN)
    inputs = _sample_inputs(scorer)
    out = [scorer(x) for x in inputs]
    assert all(isinstance(v, float) for v in out)
    assert _in_range(out)


@pytest.mark.parametrize("name", FACTORIES)
def test_factory_docstring_names_its_input(name: str) -> None:
    doc = inspect.getdoc(getattr(scorers, name))
    assert doc
    assert "Input:" in doc


@pytest.mark.parametrize("name", FACTORIES)
def test_factory_missing_argument_is_used_for_nan(name: str) -> None:
    default = getattr(scorers, name)()
    assert math.isnan(default(math.nan))
    assert math.isnan(default(None))
    imputed = getattr(scorers, name)(missing=42.0)
    assert imputed(math.nan) == 42.0
    assert imputed(None) == 42.0


def test_monotone_factories_are_monotone() -> None:
    checked = 0
    for name in FACTORIES:
        scorer = getattr(scorers, name)()
        if not isinstance(scorer, Piecewise) or scorer.direction not in ("increasing", "decreasing"):
            continue
        lo, hi = scorer.span
        span = hi - lo
        low, high = scorer.bounds
        grid = np.linspace(max(lo - span, low), min(hi + span, high), 4001)
        grid = np.unique(np.concatenate([grid, [x for x, _ in scorer.points]]))
        diffs = np.diff(scorer(grid))
        if scorer.direction == "increasing":
            assert np.all(diffs >= 0), name
        else:
            assert np.all(diffs <= 0), name
        checked += 1
    assert checked >= 20


# --------------------------------------------------------------------------- properties: range


@given(scorer=st.one_of(piecewises(), steps()), x=non_nan_floats)
def test_numeric_scorer_output_is_a_score(scorer: Piecewise | Steps, x: float) -> None:
    out = scorer(x)
    assert not math.isnan(out)
    assert 0.0 <= out <= 100.0
    if isinstance(scorer, Piecewise):
        ys = [y for _, y in scorer.points]
        assert min(ys) <= out <= max(ys)


NUMERIC_FACTORIES = [name for name in FACTORIES if isinstance(getattr(scorers, name)(), (Piecewise, Steps))]


@given(name=st.sampled_from(NUMERIC_FACTORIES), x=non_nan_floats)
def test_numeric_factories_score_their_domain_and_reject_the_rest(name: str, x: float) -> None:
    scorer = getattr(scorers, name)()
    low, high = scorer.bounds
    if low <= x <= high:
        assert 0.0 <= scorer(x) <= 100.0
    else:
        with pytest.raises(InputError, match="out of range"):
            scorer(x)


@pytest.mark.parametrize("name", NUMERIC_FACTORIES)
def test_numeric_factories_reject_values_outside_their_domain(name: str) -> None:
    scorer = getattr(scorers, name)()
    for x in _outside_inputs(scorer):
        with pytest.raises(InputError, match=r"out of range: the value must be a finite number"):
            scorer(x)
        with pytest.raises(InputError, match=r"^row 1: "):
            scorer([math.nan, x])
    assert math.isnan(scorer(math.nan))  # missing is not out of range


@given(scorer=st.one_of(categories(), booleans), data=st.data())
def test_label_scorer_output_is_a_score(scorer: Categories | Boolean, data: st.DataObject) -> None:
    if isinstance(scorer, Categories):
        value: Any = data.draw(st.sampled_from(scorer.labels))
        expected = dict(scorer.table)[value]
    else:
        value = data.draw(st.booleans())
        expected = scorer.true_score if value else scorer.false_score
    out = scorer(value)
    assert 0.0 <= out <= 100.0
    assert out == expected


def test_piecewise_stays_in_range_next_to_a_breakpoint() -> None:
    """Regression: slope * (x - x0) + y0 rounded to 100.00000000000001 here."""
    curve = Piecewise(points=[(0.7, 0.0), (3.8, 100.0)])
    x = math.nextafter(3.8, -math.inf)  # 3.7999999999999994
    assert curve(x) <= 100.0
    assert curve(x) <= curve(3.8)  # an increasing curve never goes down
    assert curve([x]).tolist() == [curve(x)]
    falling = Piecewise(points=[(0.7, 100.0), (3.8, 0.0)])
    assert falling(x) >= 0.0  # was -1.4e-14
    assert falling([x]).tolist() == [falling(x)]


def test_piecewise_rejects_breakpoints_whose_slope_overflows() -> None:
    """Regression: (0, 0), (1e-308, 100) was accepted and scored 5e-309 as inf."""
    with pytest.raises(ValidationError) as info:
        Piecewise(points=[(0.0, 0.0), (1e-308, 100.0)])
    assert info.value.field == "points[1].x"


# --------------------------------------------------------------------------- properties: missing


@given(scorer=st.one_of(piecewises(), steps(), categories(), booleans))
def test_nan_is_missing(scorer: Piecewise | Steps | Categories | Boolean) -> None:
    for missing_value in (math.nan, None):
        out = scorer(missing_value)
        if scorer.missing is None:
            assert math.isnan(out)
        else:
            assert out == scorer.missing
    arr = scorer(np.array([math.nan, math.nan]))
    if scorer.missing is None:
        assert np.isnan(arr).all()
    else:
        assert arr.tolist() == [scorer.missing, scorer.missing]


@given(points=piecewise_points(), fill=score_values, xs=st.lists(any_floats, min_size=1, max_size=20))
def test_piecewise_missing_score_replaces_nan_only(
    points: list[tuple[float, float]], fill: float, xs: list[float]
) -> None:
    plain = Piecewise(points=points)
    filled = plain.with_missing(fill)
    assert filled.missing == fill
    out_plain = plain(xs)
    out_filled = filled(xs)
    for x, a, b in zip(xs, out_plain.tolist(), out_filled.tolist(), strict=True):
        if math.isnan(x):
            assert math.isnan(a)
            assert b == fill
        else:
            assert a == b


def test_categories_blank_label_is_missing() -> None:
    scorer = Categories(table={"a": 10.0}, missing=55.0)
    assert scorer("") == 55.0
    assert scorer("  ") == 55.0
    assert scorer(["", "a", None]).tolist() == [55.0, 10.0, 55.0]


# --------------------------------------------------------------------------- properties: monotone


def _around_breakpoints(curve: Piecewise) -> list[float]:
    return [v for x, _ in curve.points for v in (math.nextafter(x, -math.inf), x, math.nextafter(x, math.inf))]


@given(curve=piecewises("increasing"), xs=st.lists(non_nan_floats, min_size=2, max_size=30))
def test_increasing_curves_never_decrease(curve: Piecewise, xs: list[float]) -> None:
    assert curve.direction in ("increasing", "flat")
    xs = sorted(xs + _around_breakpoints(curve))
    out = [curve(x) for x in xs]
    assert all(b >= a for a, b in itertools.pairwise(out))
    assert (np.diff(curve(np.array(xs))) >= 0).all()


@given(curve=piecewises("decreasing"), xs=st.lists(non_nan_floats, min_size=2, max_size=30))
def test_decreasing_curves_never_increase(curve: Piecewise, xs: list[float]) -> None:
    assert curve.direction in ("decreasing", "flat")
    xs = sorted(xs + _around_breakpoints(curve))
    out = [curve(x) for x in xs]
    assert all(b <= a for a, b in itertools.pairwise(out))
    assert (np.diff(curve(np.array(xs))) <= 0).all()


@given(points=piecewise_points())
def test_piecewise_direction_matches_its_scores(points: list[tuple[float, float]]) -> None:
    curve = Piecewise(points=points)
    ys = [y for _, y in points]
    diffs = np.diff(ys)
    if curve.direction == "increasing":
        assert (diffs >= 0).all()
        assert (diffs > 0).any()
    elif curve.direction == "decreasing":
        assert (diffs <= 0).all()
        assert (diffs < 0).any()
    elif curve.direction == "flat":
        assert (diffs == 0).all()
    else:
        assert (diffs > 0).any()
        assert (diffs < 0).any()


@given(points=piecewise_points())
def test_piecewise_passes_through_its_breakpoints_and_clamps(points: list[tuple[float, float]]) -> None:
    """Through every breakpoint within floating-point reach of its score, never
    past it, and flat outside the breakpoints."""
    curve = Piecewise(points=points)
    for x, y in points:
        assert curve(x) == pytest.approx(y, rel=1e-13, abs=1e-12)
    assert curve(points[0][0] - 1.0) == points[0][1]
    assert curve(-math.inf) == points[0][1]
    assert curve(points[-1][0] + 1.0) == curve(points[-1][0])
    assert curve(math.inf) == curve(points[-1][0])


@given(
    xs=st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=8, unique=True),
    data=st.data(),
)
def test_piecewise_hits_integer_and_half_scores_exactly(xs: list[float], data: st.DataObject) -> None:
    """Scores such as the presets' (integers, halves) are hit exactly at their breakpoints."""
    xs = sorted(xs)
    assume(all(b - a > 1e-3 for a, b in itertools.pairwise(xs)))
    ys = data.draw(st.lists(st.integers(0, 200).map(lambda v: v / 2), min_size=len(xs), max_size=len(xs)))
    curve = Piecewise(points=list(zip(xs, ys, strict=True)))
    assert [curve(x) for x in xs] == ys
    assert curve(np.array(xs)).tolist() == ys
    assert curve(math.inf) == ys[-1]


# --------------------------------------------------------------------------- properties: scalar == array


@given(curve=piecewises(), xs=st.lists(any_floats, max_size=40))
def test_piecewise_array_equals_scalar_calls_exactly(curve: Piecewise, xs: list[float]) -> None:
    near = [math.nextafter(x, d) for x, _ in curve.points for d in (-math.inf, math.inf)]
    values = xs + near
    out = curve(np.array(values, dtype=np.float64))
    assert out.shape == (len(values),)
    for x, got in zip(values, out.tolist(), strict=True):
        want = curve(x)
        assert _same(want, got), (x, want, got)
    assert np.array_equal(curve(values), out, equal_nan=True)


def test_piecewise_with_many_breakpoints_array_equals_scalar() -> None:
    """Regression: the array path counted breakpoints in one byte, which wrapped past 255."""
    curve = Piecewise(points=[(float(i), float(i % 101)) for i in range(300)])
    xs = [10.5, 254.5, 255.5, 256.5, 280.25, 299.0, 1e6]
    scalar = [curve(x) for x in xs]
    assert scalar == [10.5, 52.5, 53.5, 54.5, 78.25, 97.0, 97.0]
    assert curve(np.array(xs)).tolist() == scalar


@given(scorer=steps(), xs=st.lists(any_floats, max_size=40))
def test_steps_array_equals_scalar_calls_exactly(scorer: Steps, xs: list[float]) -> None:
    values = xs + list(scorer.edges) + [math.nextafter(e, -math.inf) for e in scorer.edges]
    out = scorer(values)
    for x, got in zip(values, out.tolist(), strict=True):
        want = scorer(x)
        assert _same(want, got), (x, want, got)


@given(scorer=categories(), data=st.data())
def test_categories_array_equals_scalar_calls_exactly(scorer: Categories, data: st.DataObject) -> None:
    label = st.sampled_from(scorer.labels).flatmap(lambda s: st.sampled_from([s, s.upper(), f" {s}  "]))
    values = data.draw(st.lists(st.one_of(label, st.sampled_from([None, "", math.nan])), max_size=20))
    as_object = scorer(np.array(values, dtype=object))
    for x, got in zip(values, as_object.tolist(), strict=True):
        want = scorer(x)
        assert _same(want, got), (x, want, got)
    strings = [v for v in values if isinstance(v, str)]
    as_str = scorer(np.array(strings, dtype=np.str_)).tolist()
    assert all(_same(a, scorer(v)) for a, v in zip(as_str, strings, strict=True))


@given(scorer=booleans, data=st.data())
def test_boolean_array_equals_scalar_calls_exactly(scorer: Boolean, data: st.DataObject) -> None:
    flags = data.draw(st.lists(st.booleans(), max_size=20))
    assert scorer(np.array(flags, dtype=np.bool_)).tolist() == [scorer(f) for f in flags]
    assert scorer([int(f) for f in flags]).tolist() == [scorer(int(f)) for f in flags]
    words = ["yes" if f else "no" for f in flags]
    assert scorer(words).tolist() == [scorer(w) for w in words]
    with_gaps = data.draw(st.lists(st.one_of(st.booleans(), st.none()), max_size=20))
    out = scorer(np.array(with_gaps, dtype=object))
    for x, got in zip(with_gaps, out.tolist(), strict=True):
        want = scorer(x)
        assert _same(want, got)


def test_boolean_reads_words_and_numbers() -> None:
    scorer = Boolean(true_score=90, false_score=10)
    for yes in (True, "yes", "Y", "true", "T", 1, 1.0, "1", np.bool_(True)):
        assert scorer(yes) == 90.0, yes
    for no in (False, "no", "N", "false", "f", 0, 0.0, "0", np.bool_(False)):
        assert scorer(no) == 10.0, no
    with pytest.raises(UnknownCategoryError, match="yes/no"):
        scorer("maybe")


def test_label_list_with_nan_treats_nan_as_missing() -> None:
    """Regression: np.asarray(["annual", nan]) turned NaN into the label "nan"."""
    scorer = scorers.executive_engagement()
    assert math.isnan(scorer(math.nan))
    out = scorer(["annual", math.nan])
    assert out[0] == 80.0
    assert math.isnan(out[1])


def test_yes_no_list_with_nan_treats_nan_as_missing() -> None:
    """Regression: np.asarray(["yes", nan]) turned NaN into the label "nan"."""
    scorer = Boolean(true_score=100, false_score=0)
    assert math.isnan(scorer(math.nan))  # the scalar path: missing
    flags = scorer(["yes", math.nan])
    assert flags[0] == 100.0
    assert math.isnan(flags[1])


def test_yes_no_column_mixing_bools_and_words() -> None:
    """Regression: np.unique on a mixed-type object array raised TypeError."""
    scorer = Boolean(true_score=100, false_score=0)
    values = [True, "no", None, 1, "YES"]
    expected = [scorer(v) for v in values]
    out = scorer(np.array(values, dtype=object)).tolist()
    assert all(_same(a, b) for a, b in zip(out, expected, strict=True))
    assert out[:2] == [100.0, 0.0]
    assert math.isnan(out[2])
    labels = Categories(table={"1": 10.0, "a": 20.0})
    assert labels(np.array([1, "a", None], dtype=object)).tolist()[:2] == [10.0, 20.0]


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("points", "field"),
    [
        ([(0, 10), (0, 20)], "points[1].x"),
        ([(0, 10), (2, 20), (1, 30)], "points[2].x"),
        ([(0, 10), (1, 101)], "points[1].score"),
        ([(0, -1), (1, 50)], "points[0].score"),
        ([(0, 10)], "points"),
        ([], "points"),
        ([(0, 10), (math.inf, 20)], "points[1].x"),
        ([(0, 10), (math.nan, 20)], "points[1].x"),
        ([(0, 10, 3)], "points"),
    ],
)
def test_bad_points_name_the_field(points: list[Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        Piecewise(points=points)
    assert info.value.field == field
    assert str(info.value).startswith(field)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, HealthScoreError)


@given(
    points=piecewise_points(),
    bad=st.one_of(st.floats(min_value=100.0, exclude_min=True), st.floats(max_value=0.0, exclude_max=True)),
)
def test_any_out_of_range_breakpoint_score_is_rejected(points: list[tuple[float, float]], bad: float) -> None:
    assume(not math.isnan(bad))
    points = [points[0], (points[1][0], bad), *points[2:]]
    with pytest.raises(ValidationError, match=r"points\[1\]\.score"):
        Piecewise(points=points)


@given(points=piecewise_points(min_size=3))
def test_non_increasing_x_is_rejected(points: list[tuple[float, float]]) -> None:
    swapped = [points[1], points[0], *points[2:]]
    with pytest.raises(ValidationError) as info:
        Piecewise(points=swapped)
    assert info.value.field == "points[1].x"
    assert "increasing" in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"edges": [], "scores": [10]}, "edges"),
        ({"edges": [1, 1], "scores": [10, 20, 30]}, "edges[1]"),
        ({"edges": [2, 1], "scores": [10, 20, 30]}, "edges[1]"),
        ({"edges": [math.inf], "scores": [10, 20]}, "edges[0]"),
        ({"edges": [1], "scores": [10]}, "scores"),
        ({"edges": [1], "scores": [10, 20, 30]}, "scores"),
        ({"edges": [1], "scores": [10, 120]}, "scores[1]"),
        ({"edges": [1], "scores": [10, 20], "missing": -5}, "missing"),
    ],
)
def test_bad_steps_name_the_field(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        Steps(**kwargs)
    assert info.value.field == field


@pytest.mark.parametrize(
    "table",
    [{}, {"a": 10, "A ": 20}, {" ": 10}, {"a": 101}, {"a": "high"}],
)
def test_bad_category_tables_are_rejected(table: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="table"):
        Categories(table=table)


@pytest.mark.parametrize("kwargs", [{"true_score": 101}, {"false_score": -1}, {"missing": 200}])
def test_bad_boolean_scores_are_rejected(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValidationError, match=next(iter(kwargs))):
        Boolean(**kwargs)


def test_steps_boundaries_and_from_bands() -> None:
    contract = Steps(edges=[3, 12, 24], scores=[20, 50, 80, 100])
    assert [contract(x) for x in (-1, 2.99, 3, 11.99, 12, 24, 1e9)] == [20.0, 20.0, 50.0, 50.0, 80.0, 100.0, 100.0]
    assert Steps.from_bands([(0, 20), (3, 50), (12, 80), (24, 100)]) == contract
    with pytest.raises(ValidationError, match="bands"):
        Steps.from_bands([(0, 20)])


def test_deployment_green_at_is_validated() -> None:
    assert scorers.deployment(green_at=0.5)(0.5) == 80.0
    for bad in (0.0, 1.0, 1.5):
        with pytest.raises(ValidationError, match="green_at"):
            scorers.deployment(green_at=bad)


def test_text_in_a_numeric_scorer_is_an_input_error() -> None:
    curve = scorers.penetration()
    with pytest.raises(InputError, match="abc"):
        curve("abc")
    with pytest.raises(InputError):
        curve(["0.5", "abc"])


def test_scorers_are_frozen() -> None:
    curve = scorers.penetration()
    with pytest.raises(AttributeError):
        curve.points = ((0.0, 0.0), (1.0, 100.0))  # type: ignore[misc]


# --------------------------------------------------------------------------- evaluate / kinds


def test_evaluate_clips_plain_functions_and_keeps_nan() -> None:
    def double(x: Any) -> Any:
        return x * 2

    assert evaluate(double, 80.0) == 100.0
    assert evaluate(double, -10.0) == 0.0
    assert evaluate(double, 30.0) == 60.0
    assert math.isnan(evaluate(double, math.nan))
    out = evaluate(double, np.array([80.0, -10.0, 30.0, math.nan]))
    assert out[:3].tolist() == [100.0, 0.0, 60.0]
    assert math.isnan(out[3])
    listed = evaluate(lambda xs: [x * 2 for x in xs], [80.0, -10.0])
    assert isinstance(listed, np.ndarray)
    assert listed.tolist() == [100.0, 0.0]


@given(x=any_floats)
def test_evaluate_keeps_plain_function_scores_in_range(x: float) -> None:
    out = evaluate(lambda v: v, x)
    if math.isnan(x):
        assert math.isnan(out)
    else:
        assert out == min(100.0, max(0.0, x))


def test_evaluate_leaves_builtin_scorers_alone() -> None:
    curve = scorers.penetration()
    assert evaluate(curve, 0.7) == curve(0.7)
    assert evaluate(curve, [0.3, 0.9]).tolist() == curve([0.3, 0.9]).tolist()


def test_input_kind_and_is_missing() -> None:
    assert scorers.input_kind(scorers.penetration()) == "numeric"
    assert scorers.input_kind(scorers.contract_length()) == "numeric"
    assert scorers.input_kind(scorers.budget_trend()) == "category"
    assert scorers.input_kind(scorers.onboarding_completed()) == "boolean"
    assert scorers.input_kind(lambda x: x) == "numeric"
    assert [scorers.is_missing(v) for v in (None, math.nan, np.float64("nan"), "", " ", 0, "0", "none")] == [
        True,
        True,
        True,
        True,
        True,
        False,
        False,
        False,
    ]


@given(x=finite_floats(-1e6, 1e6))
def test_scalar_in_gives_float_out(x: float) -> None:
    assert type(scorers.penetration(domain=None)(x)) is float
    assert type(Steps(edges=[0.0], scores=[10.0, 20.0])(x)) is float
    assert type(scorers.penetration(domain=None)(np.float64(x))) is float


# --------------------------------------------------------------------------- domains


@pytest.mark.parametrize(
    ("factory", "domain"),
    [
        (scorers.penetration, (0.0, 1.0)),
        (scorers.outcome_achievement, (0.0, 1.0)),
        (scorers.nps, (-100.0, 100.0)),
        (scorers.nps_response, (0.0, 10.0)),
        (scorers.csat, (1.0, 5.0)),
        (scorers.ticket_sentiment, (-1.0, 1.0)),
        (scorers.roi_multiple, (0.0, math.inf)),
        (scorers.login_recency, (0.0, math.inf)),
        (scorers.payment_delay, (0.0, math.inf)),
    ],
)
def test_factories_carry_their_signal_domain(factory: Callable[..., Piecewise], domain: tuple[float, float]) -> None:
    assert factory().domain == domain
    assert factory(domain=None).domain is None


def test_every_numeric_factory_has_a_domain() -> None:
    assert all(getattr(scorers, name)().domain is not None for name in NUMERIC_FACTORIES)


def test_a_share_given_in_percent_gets_a_hint() -> None:
    with pytest.raises(InputError, match=r"45\.0 is out of range: .*in \[0, 1\] \(a share: 45 % is 0\.45\)"):
        scorers.penetration()(45)


def test_without_a_domain_every_number_scores() -> None:
    scorer = scorers.penetration(domain=None)
    assert scorer(45) == scorer(math.inf) == 100.0
    assert scorer([-3.0, 45.0]).tolist() == [0.0, 100.0]


def test_steps_carry_a_domain() -> None:
    contract = Steps(edges=[3, 12], scores=[20, 60, 100], domain=(0, math.inf))
    assert contract(0) == 20.0
    assert contract([1e300]).tolist() == [100.0]
    for bad in (-1, math.inf):
        with pytest.raises(InputError, match="must be a finite number >= 0"):
            contract(bad)
    with pytest.raises(InputError, match=r"^row 0: -1\.0"):
        contract([-1.0])


@pytest.mark.parametrize("domain", [(1, 0), (0, 0), (math.nan, 1), "ab", (0, 1, 2)])
def test_a_domain_must_be_an_increasing_pair(domain: Any) -> None:
    with pytest.raises(ValidationError, match="domain must be"):
        Piecewise(points=[(0, 0), (1, 100)], domain=domain)


@pytest.mark.parametrize("fmt", ["toml", "json", "yaml"])
@pytest.mark.parametrize("domain", [(0.0, 1.0), (0.0, math.inf), (-math.inf, 5.0), None])
def test_a_domain_round_trips_through_config_files(fmt: Any, domain: tuple[float, float] | None) -> None:
    if fmt == "yaml":
        pytest.importorskip("yaml")
    model = HealthModel(
        dimensions=[
            Dimension(
                name="d",
                metrics=[
                    Metric(name="p", scorer=Piecewise(points=[(0, 0), (1, 100)], domain=domain)),
                    Metric(name="s", scorer=Steps(edges=[1.0], scores=[0, 100], domain=domain)),
                ],
            )
        ]
    )
    text = dump_model(model, format=fmt)
    assert load_model(text, format=fmt) == model
    assert ("domain" in text) == (domain is not None)


def test_a_bad_domain_in_a_file_names_its_path() -> None:
    text = (
        '[[dimensions]]\nname = "d"\n[[dimensions.metrics]]\nname = "p"\n'
        'scorer = { kind = "piecewise", points = [[0, 0], [1, 100]], domain = [1, 0] }\n'
    )
    with pytest.raises(ConfigError, match=r"domain must be \(low, high\) with low < high.*@ \$\.dimensions\[0\]"):
        load_model(text, format="toml")


def test_outside_mask_lets_missing_through() -> None:
    bounds = scorers.domain_bounds((0.0, 1.0))
    assert scorers.outside_mask(bounds, np.array([0.0, 1.0, math.nan])) is None
    mask = scorers.outside_mask(bounds, np.array([math.nan, 2.0, -math.inf, 0.5]))
    assert mask is not None
    assert mask.tolist() == [False, True, True, False]
    assert scorers.outside_mask(bounds, np.array([], dtype=np.float64)) is None
    assert scorers.outside_mask(bounds, np.array([0, 1, 2])).tolist() == [False, False, True]  # type: ignore[union-attr]
