"""The model: weights, missing data, coverage, explanations, one account versus
a batch, and segment-specific models."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from healthscore import (
    BatchScores,
    Dimension,
    HealthModel,
    InputError,
    Metric,
    MissingMetricError,
    MissingPolicy,
    ScoreResult,
    SegmentedModel,
    UnknownCategoryError,
    ValidationError,
    presets,
    scorers,
)
from healthscore.model import MissingStrategy
from healthscore.scorers import Piecewise, is_missing
from strategies import (
    MISSING_STRATEGIES,
    builtin_scorers,
    column_batches,
    columns_from_records,
    finite_floats,
    health_models,
    models_and_records,
    policies_with,
    records,
    scaled,
)

TOL = 1e-9
SCORING_POLICIES = st.one_of(policies_with("renormalize"), policies_with("neutral"))
"""Missing-data policies under which every account with data gets a result."""
IDENTITY = Piecewise(points=[(0, 0), (100, 100)])
"""Scores a raw value of 0..100 as itself."""


def _same(a: float, b: float) -> bool:
    """Equal to the last bit, NaN equal to NaN."""
    return (math.isnan(a) and math.isnan(b)) or a == b


def _nan(x: float | None) -> float:
    return math.nan if x is None else x


def _two_metric_model(
    strategy: MissingStrategy = "renormalize", neutral: float = 50.0, min_coverage: float = 0.0
) -> HealthModel:
    return HealthModel(
        dimensions=[
            Dimension(
                name="d",
                metrics=[Metric(name="a", scorer=IDENTITY), Metric(name="b", scorer=IDENTITY)],
            )
        ],
        missing=MissingPolicy(strategy=strategy, neutral_score=neutral, min_coverage=min_coverage),
    )


def _small_model(**kwargs: Any) -> HealthModel:
    return HealthModel(
        dimensions=[
            Dimension(
                name="product",
                weight=60,
                metrics=[
                    Metric(name="penetration", scorer=scorers.penetration(), weight=2),
                    Metric(name="active_days", scorer=scorers.login_frequency()),
                ],
            ),
            Dimension(
                name="relationship",
                weight=40,
                metrics=[
                    Metric(name="executive_engagement", scorer=scorers.executive_engagement()),
                    Metric(name="onboarded", scorer=scorers.onboarding_completed()),
                ],
            ),
        ],
        **kwargs,
    )


def _scalar_results(model: HealthModel | SegmentedModel, rows: Sequence[Mapping[str, Any]]) -> list[ScoreResult] | None:
    """Per-account results, or None when some account raises MissingMetricError."""
    try:
        return [model.score(row) for row in rows]
    except MissingMetricError:
        return None


def _assert_batch_matches(
    results: Sequence[ScoreResult], batch: BatchScores, k: int = 0, rows: Sequence[int] | None = None
) -> None:
    """Every number of the batch equals the one-account result, bit for bit.

    ``rows`` gives the batch row of each result (default: the same position).
    """
    if rows is None:
        assert len(batch) == len(results)
        rows = range(len(results))
    band, alert, status = batch.band, batch.alert, batch.status
    for i, res in zip(rows, results, strict=True):
        assert _same(batch.score[i], _nan(res.score)), (i, res.score, batch.score[i])
        assert batch.coverage[i] == res.coverage, i
        assert band[i] == (res.band or "")
        assert alert[i] == (res.alert or "")
        assert status[i] == res.status
        for name, value in res.dimensions.items():
            assert _same(batch.dimensions[name][i], _nan(value)), (i, name)
        for name, metric in res.metrics.items():
            if batch.metric_scores:
                want = metric.score if metric.observed else None
                assert _same(batch.metric_scores[name][i], _nan(want)), (i, name)
            if batch.metric_weights:
                assert batch.metric_weights[name][i] == metric.weight, (i, name)
        if k:
            drivers = res.drivers[:k]
            for j in range(k):
                if j < len(drivers):
                    assert batch.drivers[j][i] == drivers[j].name, (i, j)
                    assert batch.points_lost[j][i] == drivers[j].points_lost, (i, j)
                else:
                    assert batch.drivers[j][i] == ""
                    assert batch.points_lost[j][i] == 0.0


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize("weight", [-1, -0.001, -math.inf])
def test_negative_metric_weight_is_rejected(weight: float) -> None:
    with pytest.raises(ValidationError) as info:
        Metric(name="nps", scorer=scorers.nps(), weight=weight)
    assert info.value.field == "weight"
    assert "weight" in str(info.value)


def test_negative_dimension_weight_is_rejected() -> None:
    with pytest.raises(ValidationError, match=r"^weight must be >= 0, got -2\.0") as info:
        Dimension(name="d", weight=-2, metrics=[Metric(name="a", scorer=IDENTITY)])
    assert info.value.field == "weight"


@pytest.mark.parametrize("weight", [math.nan, math.inf, "heavy"])
def test_weight_must_be_a_finite_number(weight: Any) -> None:
    with pytest.raises(ValidationError, match="weight"):
        Metric(name="a", scorer=IDENTITY, weight=weight)


def test_dimension_with_zero_total_weight_is_rejected() -> None:
    with pytest.raises(ValidationError, match="positive total weight") as info:
        Dimension(
            name="d", metrics=[Metric(name="a", scorer=IDENTITY, weight=0), Metric(name="b", scorer=IDENTITY, weight=0)]
        )
    assert info.value.field == "metrics"


def test_model_with_zero_total_dimension_weight_is_rejected() -> None:
    dim = Dimension(name="d", weight=0, metrics=[Metric(name="a", scorer=IDENTITY)])
    with pytest.raises(ValidationError, match="positive total weight") as info:
        HealthModel(dimensions=[dim])
    assert info.value.field == "dimensions"


def test_model_structure_is_validated() -> None:
    a = Metric(name="a", scorer=IDENTITY)
    with pytest.raises(ValidationError, match="at least one metric"):
        Dimension(name="d", metrics=[])
    with pytest.raises(ValidationError, match="at least one dimension"):
        HealthModel(dimensions=[])
    with pytest.raises(ValidationError, match=r"metrics\[1\]\.name"):
        Dimension(name="d", metrics=[a, a])
    with pytest.raises(ValidationError, match=r"dimensions\[1\]\.metrics\[0\]\.name") as info:
        HealthModel(dimensions=[Dimension(name="x", metrics=[a]), Dimension(name="y", metrics=[a])])
    assert "'x'" in str(info.value)
    with pytest.raises(ValidationError, match=r"dimensions\[1\]\.name"):
        HealthModel(dimensions=[Dimension(name="x", metrics=[a]), Dimension(name="x", metrics=[a])])
    with pytest.raises(ValidationError, match="output columns"):
        Dimension(name="score", metrics=[a])
    with pytest.raises(ValidationError, match="name"):
        Metric(name=" a", scorer=IDENTITY)
    with pytest.raises(ValidationError, match="scorer"):
        Metric(name="a", scorer=42)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"strategy": "zero"}, "strategy"),
        ({"neutral_score": 120}, "neutral_score"),
        ({"min_coverage": 1.5}, "min_coverage"),
        ({"min_coverage": -0.1}, "min_coverage"),
    ],
)
def test_missing_policy_is_validated(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        MissingPolicy(**kwargs)
    assert info.value.field == field


def test_weights_are_normalised() -> None:
    model = _small_model()
    assert model.dimension_weights == {"product": 0.6, "relationship": 0.4}
    assert model.metric_weights == pytest.approx(
        {"penetration": 0.4, "active_days": 0.2, "executive_engagement": 0.2, "onboarded": 0.2}
    )
    assert math.isclose(sum(model.metric_weights.values()), 1.0)
    assert model.metric_names == ("penetration", "active_days", "executive_engagement", "onboarded")
    assert model.dimension_names == ("product", "relationship")
    assert list(model.metrics) == list(model.metric_names)
    assert model.metrics["active_days"].input_kind == "numeric"
    assert model.metrics["executive_engagement"].input_kind == "category"
    assert model.metrics["onboarded"].input_kind == "boolean"


@given(model=health_models())
def test_metric_names_are_in_model_order(model: HealthModel) -> None:
    expected = tuple(m.name for d in model.dimensions for m in d.metrics)
    assert model.metric_names == expected
    assert model.dimension_names == tuple(d.name for d in model.dimensions)
    assert math.isclose(sum(model.metric_weights.values()), 1.0)
    assert math.isclose(sum(model.dimension_weights.values()), 1.0)


# --------------------------------------------------------------------------- one account


def test_missing_metric_is_never_read_as_zero() -> None:
    renorm = _two_metric_model("renormalize")
    result = renorm.score({"a": 100})
    assert result.score == 100.0
    assert result.coverage == 0.5
    assert result.missing == ("b",)
    for gap in (None, math.nan, ""):
        assert renorm.score({"a": 100, "b": gap}).score == 100.0
    neutral = _two_metric_model("neutral", neutral=50.0)
    result = neutral.score({"a": 100})
    assert result.score == 75.0
    assert result.coverage == 0.5
    assert result.metrics["b"].imputed
    assert result.metrics["b"].score == 50.0
    assert not result.metrics["b"].observed


def test_fail_policy_raises_naming_the_metric() -> None:
    model = _two_metric_model("fail")
    assert model.score({"a": 10, "b": 20}).score == 15.0
    with pytest.raises(MissingMetricError, match="'b'") as info:
        model.score({"a": 10})
    assert info.value.column == "b"
    with pytest.raises(MissingMetricError) as batch_info:
        model.score_batch({"a": [10, 20], "b": [20, None]})
    assert batch_info.value.column == "b"
    assert batch_info.value.row == 1


def test_min_coverage_gives_insufficient_data() -> None:
    model = _two_metric_model(min_coverage=0.75)
    result = model.score({"a": 80})
    assert result.status == "insufficient_data"
    assert result.score is None
    assert result.band is None
    assert result.alert is None
    assert result.reason
    assert "coverage" in result.reason
    assert result.coverage == 0.5
    assert result.dimensions == {"d": None}
    assert result.drivers == ()
    full = model.score({"a": 80, "b": 60})
    assert full.status == "scored"
    assert full.reason is None
    batch = model.score_batch({"a": [80, 80], "b": [None, 60]})
    assert math.isnan(batch.score[0])
    assert batch.band.tolist() == ["", "yellow"]
    assert batch.alert.tolist() == ["", "warning"]
    assert batch.status.tolist() == ["insufficient_data", "scored"]
    assert math.isnan(batch.dimensions["d"][0])
    assert batch.coverage.tolist() == [0.5, 1.0]


def test_no_observed_metric_gives_no_score() -> None:
    for strategy in ("renormalize", "neutral"):
        result = _two_metric_model(strategy).score({})
        assert result.score is None
        assert result.status == "insufficient_data"
        assert result.reason == "no metric observed"
        assert result.coverage == 0.0


def test_score_explains_itself() -> None:
    model = _small_model()
    result = model.score(
        {"penetration": 0.7, "active_days": 20, "executive_engagement": "none", "onboarded": True, "extra": 1}
    )
    pen = result.metrics["penetration"]
    assert pen.score == 80.0
    assert pen.value == 0.7
    assert pen.dimension == "product"
    assert pen.weight == pytest.approx(0.4)
    assert pen.contribution == pytest.approx(32.0)
    assert pen.points_lost == pytest.approx(8.0)
    assert result.dimensions["product"] == pytest.approx((2 * 80 + 92) / 3)
    assert result.dimensions["relationship"] == pytest.approx((20 + 100) / 2)
    assert result.drivers[0].name == "executive_engagement"
    assert "onboarded" not in [d.name for d in result.drivers]  # scored 100: costs nothing
    text = result.explain()
    assert f"{result.score:.1f}" in text
    assert "executive_engagement" in text
    assert result.model == "custom"


def test_a_scorers_own_missing_score_is_used_before_the_policy() -> None:
    model = HealthModel(
        dimensions=[
            Dimension(
                name="d",
                metrics=[
                    Metric(name="a", scorer=IDENTITY),
                    Metric(name="b", scorer=IDENTITY.with_missing(40.0)),
                ],
            )
        ],
    )
    result = model.score({"a": 100})
    assert result.metrics["b"].score == 40.0
    assert result.score == 70.0
    batch = model.score_batch({"a": [100.0], "b": [None]})
    assert batch.score.tolist() == [70.0]


def test_record_must_be_a_mapping() -> None:
    with pytest.raises(InputError, match="mapping"):
        _small_model().score([0.5, 10])  # type: ignore[arg-type]


def test_bad_values_name_the_metric() -> None:
    model = _small_model()
    with pytest.raises(InputError, match="'penetration'") as info:
        model.score({"penetration": "lots"})
    assert info.value.column == "penetration"
    with pytest.raises(UnknownCategoryError, match="'executive_engagement'") as cat:
        model.score({"executive_engagement": "weekly"})
    assert cat.value.column == "executive_engagement"
    assert "quarterly" in str(cat.value)


def test_blank_string_in_a_numeric_metric_is_missing() -> None:
    model = _two_metric_model()
    result = model.score({"a": 100, "b": ""})
    assert result.score == 100.0
    assert result.missing == ("b",)
    batch = model.score_batch({"a": [100, 100], "b": ["", " "]})
    assert batch.score.tolist() == [100.0, 100.0]


# --------------------------------------------------------------------------- properties, one account


@given(data=models_and_records(health_models(missing=SCORING_POLICIES)))
def test_total_is_a_weighted_mean_of_the_dimensions(data: tuple[HealthModel, list[dict[str, Any]]]) -> None:
    model, rows = data
    for row in rows:
        result = model.score(row)
        if result.score is None:
            continue
        weights = model.dimension_weights
        seen = {n: v for n, v in result.dimensions.items() if v is not None}
        total_w = sum(weights[n] for n in seen)
        expected = sum(weights[n] * v for n, v in seen.items()) / total_w
        assert result.score == pytest.approx(expected, rel=TOL, abs=TOL)
        assert min(seen.values()) - TOL <= result.score <= max(seen.values()) + TOL
        assert 0.0 <= result.score <= 100.0


@given(data=models_and_records(), factor=finite_floats(1e-3, 1e3))
def test_scaling_every_weight_changes_nothing(data: tuple[HealthModel, list[dict[str, Any]]], factor: float) -> None:
    model, rows = data
    other = scaled(model, factor)
    for name, w in model.metric_weights.items():
        assert other.metric_weights[name] == pytest.approx(w, rel=TOL, abs=TOL)
    for row in rows:
        try:
            a = model.score(row)
        except MissingMetricError:
            with pytest.raises(MissingMetricError):
                other.score(row)
            continue
        b = other.score(row)
        assert b.coverage == pytest.approx(a.coverage, abs=TOL)
        if abs(a.coverage - model.missing.min_coverage) < 1e-6:
            continue  # on the minimum: rounding may tip the status either way
        assert a.status == b.status
        if a.score is None or b.score is None:
            assert a.score is None
            assert b.score is None
            continue
        assert b.score == pytest.approx(a.score, abs=TOL)
        for name, value in a.dimensions.items():
            other_value = b.dimensions[name]
            if value is None or other_value is None:
                assert value is None
                assert other_value is None
            else:
                assert other_value == pytest.approx(value, abs=TOL)
        if all(abs(a.score - t) > 1e-6 for t in (*model.bands.thresholds, *model.alerts.thresholds)):
            assert a.band == b.band
            assert a.alert == b.alert


@given(data=models_and_records(health_models(missing=policies_with("renormalize"))), pick=st.integers(0, 100))
def test_renormalize_keeps_the_score_within_the_observed_scores(
    data: tuple[HealthModel, list[dict[str, Any]]], pick: int
) -> None:
    model, rows = data
    record = rows[0]
    observed = [n for n in model.metric_names if not is_missing(record.get(n))]
    assume(observed)
    dropped = observed[pick % len(observed)]
    reduced = {k: v for k, v in record.items() if k != dropped}
    result = model.score(reduced)
    assert result.metrics[dropped].score is None
    assert not result.metrics[dropped].observed
    remaining = [m.score for m in result.metrics.values() if m.observed and m.score is not None]
    if result.score is None:
        assert result.status == "insufficient_data"
        return
    assert remaining
    assert min(remaining) - TOL <= result.score <= max(remaining) + TOL


@given(data=models_and_records(health_models(missing=policies_with("neutral"))))
def test_neutral_keeps_the_score_between_observed_and_neutral(data: tuple[HealthModel, list[dict[str, Any]]]) -> None:
    model, rows = data
    for row in rows:
        result = model.score(row)
        if result.score is None:
            continue
        pool = [m.score for m in result.metrics.values() if m.score is not None]
        assert model.missing.neutral_score in pool or not result.missing
        assert min(pool) - TOL <= result.score <= max(pool) + TOL


@given(data=models_and_records(health_models(missing=SCORING_POLICIES)))
def test_coverage_contributions_and_drivers(data: tuple[HealthModel, list[dict[str, Any]]]) -> None:
    model, rows = data
    for row in rows:
        result = model.score(row)
        observed = {m.name for m in result.metrics.values() if m.observed}
        assert observed == {n for n in model.metric_names if not is_missing(row.get(n))}
        assert set(result.missing) == set(model.metric_names) - observed
        expected_cov = sum(model.metric_weights[n] for n in observed)
        assert result.coverage == pytest.approx(expected_cov, abs=TOL)
        assert 0.0 <= result.coverage <= 1.0 + TOL
        drivers = result.drivers
        lost = [d.points_lost for d in drivers]
        assert lost == sorted(lost, reverse=True)
        assert all(d.observed for d in drivers)
        assert all(p > 0 for p in lost)
        if result.score is None:
            assert drivers == ()
            continue
        total = sum(m.contribution for m in result.metrics.values())
        assert total == pytest.approx(result.score, abs=TOL)
        assert sum(m.weight for m in result.metrics.values()) == pytest.approx(1.0, abs=TOL)
        for m in result.metrics.values():
            if m.score is not None and m.weight:
                assert m.contribution + m.points_lost == pytest.approx(100.0 * m.weight, abs=TOL)


# --------------------------------------------------------------------------- batch == one account


@given(
    data=column_batches(health_models(scorers=builtin_scorers())),
    k=st.integers(0, 4),
    with_metric_scores=st.booleans(),
)
def test_score_batch_equals_score_for_every_account(
    data: tuple[HealthModel, list[dict[str, Any]], dict[str, Any]], k: int, with_metric_scores: bool
) -> None:
    model, rows, columns = data
    results = _scalar_results(model, rows)
    if results is None:
        assert model.missing.strategy == "fail"
        with pytest.raises(MissingMetricError):
            model.score_batch(columns, drivers=k, metric_scores=with_metric_scores)
        return
    batch = model.score_batch(columns, drivers=k, metric_scores=with_metric_scores, weights=k % 2 == 1)
    assert len(batch.drivers) == min(k, len(model.metric_names))
    assert set(batch.metric_weights) == (set(model.metric_names) if k % 2 == 1 else set())
    assert set(batch.dimensions) == set(model.dimension_names)
    if with_metric_scores:
        assert set(batch.metric_scores) == set(model.metric_names)
    else:
        assert batch.metric_scores == {}
    _assert_batch_matches(results, batch, min(k, len(model.metric_names)))


@pytest.mark.parametrize("strategy", MISSING_STRATEGIES)
@given(data=st.data())
def test_score_batch_equals_score_under_each_strategy(strategy: MissingStrategy, data: st.DataObject) -> None:
    model = data.draw(health_models(missing=policies_with(strategy)))
    rows = data.draw(st.lists(records(model), min_size=1, max_size=6))
    columns = columns_from_records(model, rows, data.draw(st.sampled_from(["list", "array"])))
    results = _scalar_results(model, rows)
    if results is None:
        with pytest.raises(MissingMetricError):
            model.score_batch(columns)
        return
    k = min(2, len(model.metric_names))
    _assert_batch_matches(results, model.score_batch(columns, metric_scores=True, drivers=2, weights=True), k)


@given(data=st.data())
def test_fail_policy_without_gaps_scores_in_both_paths(data: st.DataObject) -> None:
    model = data.draw(health_models(missing=policies_with("fail")))
    rows = data.draw(st.lists(records(model, allow_missing=False), min_size=1, max_size=5))
    results = [model.score(row) for row in rows]
    assert all(r.coverage == pytest.approx(1.0) for r in results)
    _assert_batch_matches(results, model.score_batch(columns_from_records(model, rows, "array")))


@given(
    data=column_batches(health_models(scorers=builtin_scorers()), max_size=20),
    chunk_size=st.integers(1, 6),
    threads=st.integers(1, 3),
    k=st.integers(0, 3),
)
def test_score_batch_in_chunks_and_threads_equals_score(
    data: tuple[HealthModel, list[dict[str, Any]], dict[str, Any]], chunk_size: int, threads: int, k: int
) -> None:
    model, rows, columns = data
    results = _scalar_results(model, rows)
    if results is None:
        with pytest.raises(MissingMetricError):
            model.score_batch(columns, chunk_size=chunk_size, threads=threads)
        return
    batch = model.score_batch(columns, chunk_size=chunk_size, threads=threads, drivers=k, metric_scores=True)
    _assert_batch_matches(results, batch, min(k, len(model.metric_names)))


@given(
    data=column_batches(health_models(scorers=builtin_scorers(), max_dimensions=2, max_metrics=15), max_size=12),
    chunk_size=st.integers(1, 5),
)
def test_wide_dimensions_score_batch_equals_score(
    data: tuple[HealthModel, list[dict[str, Any]], dict[str, Any]], chunk_size: int
) -> None:
    """Dimensions of up to 15 metrics: the engine looks up weight sums for up to
    12 (8 in one byte, more in two) and adds them up beyond."""
    model, rows, columns = data
    results = _scalar_results(model, rows)
    if results is None:
        return
    k = min(2, len(model.metric_names))
    _assert_batch_matches(results, model.score_batch(columns, chunk_size=chunk_size, drivers=k), k)


def _curve_ends_model(sizes: Sequence[int], missing: MissingPolicy) -> HealthModel:
    """Dimensions of the given sizes cycling through curves that start at 0,
    end at 0, do neither, peak, and are flat."""
    shapes = [
        [(0.0, 0.0), (1.0, 30.0), (4.0, 100.0)],
        [(0.0, 100.0), (7.0, 80.0), (60.0, 0.0)],
        [(1.0, 30.0), (12.0, 75.0), (36.0, 100.0)],
        [(0.0, 0.0), (0.5, 100.0), (1.0, 0.0)],
        [(0.0, 55.0), (1.0, 55.0)],
        [(0.0, 10.0), (3.0, 100.0), (5.0, 100.0), (9.0, 0.5)],
    ]
    dims = []
    k = 0
    for d, size in enumerate(sizes):
        metrics = []
        for _ in range(size):
            metrics.append(Metric(name=f"m{k}", scorer=Piecewise(points=shapes[k % len(shapes)]), weight=0.1 + k % 7))
            k += 1
        dims.append(Dimension(name=f"d{d}", weight=1.0 + d, metrics=metrics))
    return HealthModel(dimensions=dims, missing=missing)


@pytest.mark.parametrize(
    "missing", [MissingPolicy(), MissingPolicy(strategy="neutral"), MissingPolicy(min_coverage=0.6)]
)
def test_engine_fast_paths_equal_score(missing: MissingPolicy) -> None:
    """Curves whose missing values score 0 for free, chunks without any NaN,
    infinities and values beyond both ends, in dimensions small and wide."""
    model = _curve_ends_model([3, 9, 14], missing)
    rng = np.random.default_rng(3)
    n = 400
    columns: dict[str, Any] = {}
    for name in model.metric_names:
        values = rng.uniform(-5.0, 70.0, n)
        values[rng.random(n) < 0.02] = np.inf
        values[rng.random(n) < 0.02] = -np.inf
        values[: n // 2][rng.random(n // 2) < 0.3] = np.nan  # the second half has no gaps
        columns[name] = values
    columns["m1"][:50] = np.nan  # a whole chunk without one metric
    rows = [{k: (None if math.isnan(v[i]) else float(v[i])) for k, v in columns.items()} for i in range(n)]
    results = [model.score(row) for row in rows]
    for chunk_size in (7, 64, n):
        _assert_batch_matches(
            results, model.score_batch(columns, chunk_size=chunk_size, metric_scores=True, drivers=3, weights=True), 3
        )


def _portfolio(n: int, seed: int) -> dict[str, Any]:
    """``n`` accounts for the three-dimension preset, a tenth of each metric missing."""
    rng = np.random.default_rng(seed)
    model = presets.three_dimension()
    columns: dict[str, Any] = {}
    for name, metric in model.metrics.items():
        scorer = metric.scorer
        if isinstance(scorer, scorers.Categories):
            values = rng.choice(np.array(scorer.labels, dtype=object), size=n)
            values[rng.random(n) < 0.1] = None
        else:
            assert isinstance(scorer, Piecewise)
            lo, hi = scorer.span
            span = hi - lo
            low, high = scorer.bounds  # values outside the domain are an error or a report, see below
            values = rng.uniform(max(lo - 0.1 * span, low), min(hi + 0.1 * span, high), size=n)
            values[rng.random(n) < 0.1] = math.nan
        columns[name] = values
    return columns


def _row(columns: Mapping[str, Any], i: int) -> dict[str, Any]:
    return {name: values[i] for name, values in columns.items()}


def test_large_batch_across_chunks_and_threads_equals_score() -> None:
    model = presets.three_dimension()
    n = 5_003
    columns = _portfolio(n, seed=7)
    batch = model.score_batch(columns, chunk_size=1_000, threads=4, drivers=3, metric_scores=True, weights=True)
    rows = sorted({0, 1, 998, 999, 1_000, 1_001, 2_999, 3_000, 4_999, 5_000, n - 1, *range(0, n, 97)})
    _assert_batch_matches([model.score(_row(columns, i)) for i in rows], batch, 3, rows=rows)
    default = model.score_batch(columns)
    assert np.array_equal(default.score, batch.score, equal_nan=True)
    assert np.array_equal(default.coverage, batch.coverage)


def test_float32_precision_stays_close() -> None:
    model = presets.three_dimension()
    columns = _portfolio(2_000, seed=11)
    exact = model.score_batch(columns)
    small = model.score_batch(columns, precision="float32")
    assert np.array_equal(np.isnan(exact.score), np.isnan(np.asarray(small.score, dtype=np.float64)))
    diff = np.abs(np.asarray(small.score, dtype=np.float64) - exact.score)
    assert np.nanmax(diff) < 0.01


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"precision": "float16"}, "precision"),
        ({"drivers": -1}, "drivers"),
        ({"chunk_size": 0}, "chunk_size"),
        ({"missing_columns": "skip"}, "missing_columns"),
    ],
)
def test_score_batch_options_are_validated(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        _two_metric_model().score_batch({"a": [1.0], "b": [2.0]}, **kwargs)
    assert info.value.field == field


def test_score_batch_small_example() -> None:
    model = _small_model()
    rows: list[dict[str, Any]] = [
        {"penetration": 0.7, "active_days": 20, "executive_engagement": "none", "onboarded": True},
        {"penetration": None, "active_days": 4, "executive_engagement": None, "onboarded": False},
        {"penetration": 0.9, "active_days": math.nan, "executive_engagement": "Annual", "onboarded": None},
    ]
    columns = {
        "penetration": [0.7, None, 0.9],
        "active_days": np.array([20, 4, math.nan]),
        "executive_engagement": ["none", None, "Annual"],
        "onboarded": [True, False, None],
    }
    batch = model.score_batch(columns, drivers=3, metric_scores=True)
    _assert_batch_matches([model.score(r) for r in rows], batch, 3)
    table = batch.to_columns()
    assert list(table)[:4] == ["score", "band", "alert", "product"]
    assert "penetration_score" in table
    assert "driver_1" in table


def test_unknown_category_in_a_batch_names_the_column() -> None:
    model = _small_model()
    columns = {
        "penetration": [0.5, 0.5],
        "active_days": [3, 3],
        "executive_engagement": ["annual", "weekly"],
        "onboarded": [True, True],
    }
    with pytest.raises(UnknownCategoryError, match="'executive_engagement'") as info:
        model.score_batch(columns)
    assert info.value.column == "executive_engagement"
    assert "weekly" in str(info.value)


def test_text_in_a_numeric_column_names_the_column() -> None:
    model = _small_model()
    columns = {
        "penetration": ["0.5", "lots"],
        "active_days": [3, 3],
        "executive_engagement": ["annual", "none"],
        "onboarded": [True, True],
    }
    with pytest.raises(InputError, match="'penetration'") as info:
        model.score_batch(columns)
    assert info.value.column == "penetration"


def test_missing_column_is_an_error_unless_asked_otherwise() -> None:
    model = _small_model()
    columns: dict[str, list[Any]] = {"penetration": [0.5, 0.9], "active_days": [3, 20], "onboarded": [True, False]}
    with pytest.raises(InputError, match="executive_engagement") as info:
        model.score_batch(columns)
    assert info.value.column == "executive_engagement"
    batch = model.score_batch(columns, missing_columns="missing")
    with_nones = model.score_batch({**columns, "executive_engagement": [None, None]})
    assert batch.score.tolist() == with_nones.score.tolist()
    assert batch.coverage.tolist() == with_nones.coverage.tolist()
    rows = [{k: v[i] for k, v in columns.items()} for i in range(2)]
    _assert_batch_matches([model.score(r) for r in rows], batch)


def test_columns_of_different_lengths_are_rejected() -> None:
    model = _two_metric_model()
    with pytest.raises(InputError, match="same length"):
        model.score_batch({"a": [1, 2, 3], "b": [1, 2]})


# --------------------------------------------------------------------------- segments


SEGMENT_NAMES = ["enterprise", "smb", "mid_market", "product_led", "Enterprise ", "SMB", "startup", None]


def test_segments_are_scored_with_their_model() -> None:
    seg = presets.segmented()
    record = {"executive_engagement": "quarterly", "penetration": 0.3, "outcome_achievement": 0.5}
    enterprise = seg.score({**record, "segment": "enterprise"})
    smb = seg.score({**record, "segment": "smb"})
    assert enterprise.model == "enterprise"
    assert smb.model == "smb"
    assert enterprise.score == seg.models["enterprise"].score(record).score
    assert smb.score == seg.models["smb"].score(record).score
    # Strong relationship, weak product: enterprise (relationship-heavy) scores it higher.
    assert enterprise.score is not None
    assert smb.score is not None
    assert enterprise.score > smb.score
    assert seg.score({**record, "segment": " Enterprise"}).model == "enterprise"
    assert seg.score(record, segment="smb").model == "smb"


def test_unknown_segment_uses_the_default() -> None:
    seg = presets.segmented()
    assert seg.default is not None
    for segment in ("startup", None, ""):
        result = seg.score({"segment": segment, "penetration": 0.5})
        assert result.model == seg.default.name
        assert result.score == seg.default.score({"penetration": 0.5}).score


def test_unknown_segment_without_default_names_the_known_segments() -> None:
    seg = SegmentedModel(segments={"enterprise": presets.three_dimension(name="ent"), "smb": presets.three_dimension()})
    with pytest.raises(InputError, match="startup") as info:
        seg.score({"segment": "startup"})
    message = str(info.value)
    assert "'enterprise'" in message
    assert "'smb'" in message
    assert info.value.column == "segment"
    with pytest.raises(InputError, match="'enterprise'") as batch_info:
        seg.score_batch({"segment": ["smb", "startup"], "penetration": [0.5, 0.5]}, missing_columns="missing")
    assert batch_info.value.column == "segment"


def test_segmented_weights_equal_each_segment_models_score() -> None:
    seg = presets.segmented()
    columns = _portfolio(300, seed=11)
    columns["segment"] = np.array([SEGMENT_NAMES[i % len(SEGMENT_NAMES)] for i in range(300)], dtype=object)
    batch = seg.score_batch(columns, metric_scores=True, weights=True, drivers=2)
    assert set(batch.metric_weights) == set(seg.metric_names)
    assert batch["penetration_weight"] is batch.metric_weights["penetration"]
    for i in range(0, 300, 7):
        result = seg.score(_row(columns, i))
        for name in seg.metric_names:
            want = result.metrics[name].weight if name in result.metrics else 0.0
            assert batch.metric_weights[name][i] == want, (i, name)
        contributions = sum(m.contribution for m in result.metrics.values())
        if result.score is not None:
            assert math.isclose(contributions, result.score, abs_tol=1e-9)


def test_weights_option_is_checked() -> None:
    with pytest.raises(ValidationError, match="weights"):
        presets.dear().score_batch({"deployment": [0.5]}, missing_columns="missing", weights="yes")  # type: ignore[arg-type]


def test_segmented_model_is_validated() -> None:
    model = presets.three_dimension()
    with pytest.raises(ValidationError, match="segments"):
        SegmentedModel(segments={})
    with pytest.raises(ValidationError, match="unique"):
        SegmentedModel(segments=[("smb", model), ("SMB", model)])
    with pytest.raises(ValidationError, match="HealthModel"):
        SegmentedModel(segments={"smb": "three_dimension"})  # type: ignore[arg-type]
    with pytest.raises(InputError, match="'segment'"):
        presets.segmented().score_batch({"penetration": [0.5]})


@given(data=st.data())
def test_segmented_batch_equals_per_account_scores(data: st.DataObject) -> None:
    seg = presets.segmented()
    base = presets.three_dimension()
    n = data.draw(st.integers(1, 10))
    rows = [{**data.draw(records(base)), "segment": data.draw(st.sampled_from(SEGMENT_NAMES))} for _ in range(n)]
    columns = columns_from_records(base, rows, data.draw(st.sampled_from(["list", "array"])))
    columns["segment"] = [row["segment"] for row in rows]
    k = data.draw(st.integers(0, 3))
    batch = seg.score_batch(columns, drivers=k, metric_scores=True)
    results = [seg.score(row) for row in rows]
    _assert_batch_matches(results, batch, k)
    assert batch.model is not None
    assert batch.model.tolist() == [r.model for r in results]
    assert batch.segment is not None
    assert batch.segment.tolist() == ["" if row["segment"] is None else row["segment"] for row in rows]


# --------------------------------------------------------------------------- segmented batch options and input


def _two_segments(default: HealthModel | None = None) -> SegmentedModel:
    return SegmentedModel(
        segments={"ent": presets.three_dimension(name="ent"), "smb": presets.dear(name="smb")}, default=default
    )


def _segment_columns() -> dict[str, Any]:
    base = _portfolio(40, seed=5)
    return {**base, "segment": ["ent", "smb"] * 20, "deployment": np.linspace(0.0, 1.0, 40)}


@pytest.mark.parametrize(
    "options",
    [
        {"threads": 2, "chunk_size": 3},
        {"dimensions": False},
        {"precision": "float64", "metric_scores": True, "drivers": 2},
    ],
)
def test_segmented_batch_takes_the_model_options(options: dict[str, Any]) -> None:
    seg = _two_segments()
    columns = _segment_columns()
    out = seg.score_batch(columns, missing_columns="missing", **options)
    rows = [{k: v[i] for k, v in columns.items()} for i in range(40)]
    results = [seg.score(row) for row in rows]
    assert all(_same(out.score[i], _nan(r.score)) for i, r in enumerate(results))
    assert (out.dimensions == {}) == (options.get("dimensions") is False)
    assert len(out.drivers) == options.get("drivers", 0)
    if options.get("dimensions") is not False:
        _assert_batch_matches(results, out, options.get("drivers", 0))


def test_segmented_batch_in_float32_stays_close() -> None:
    seg = _two_segments()
    columns = _segment_columns()
    exact = seg.score_batch(columns, missing_columns="missing")
    single = seg.score_batch(columns, missing_columns="missing", precision="float32")
    assert single.score.dtype == np.float32
    assert np.array_equal(np.isnan(exact.score), np.isnan(single.score))
    assert np.nanmax(np.abs(single.score.astype(np.float64) - exact.score)) < 0.01


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"precision": "float16"}, "precision"),
        ({"precision": np.float32}, "precision"),
        ({"drivers": -1}, "drivers"),
        ({"drivers": True}, "drivers"),
        ({"chunk_size": 0}, "chunk_size"),
        ({"threads": 0}, "threads"),
        ({"threads": "2"}, "threads"),
        ({"missing_columns": "skip"}, "missing_columns"),
        ({"dimensions": "no"}, "dimensions"),
        ({"metric_scores": 1}, "metric_scores"),
    ],
)
def test_every_batch_option_is_validated_in_both_models(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as plain:
        _two_metric_model().score_batch({"a": [1.0], "b": [2.0]}, **kwargs)
    assert plain.value.field == field
    with pytest.raises(ValidationError) as segmented:
        _two_segments().score_batch(
            {"segment": ["ent"], "penetration": [0.5]}, **{"missing_columns": "missing", **kwargs}
        )
    assert segmented.value.field == field


@pytest.mark.parametrize("columns", [[["ent", 0.5]], "segment", 3])
def test_segmented_batch_needs_a_mapping(columns: Any) -> None:
    with pytest.raises(InputError, match="mapping"):
        _two_segments().score_batch(columns)


def test_segmented_score_needs_a_mapping() -> None:
    with pytest.raises(InputError, match="mapping"):
        _two_segments().score(["ent"])  # type: ignore[arg-type]


@pytest.mark.parametrize("segment", [["ent"], {"name": "ent"}, 1.5, math.inf, b"ent", object()])
def test_odd_segment_values_are_input_errors(segment: Any) -> None:
    seg = _two_segments(default=presets.three_dimension(name="fallback"))
    with pytest.raises(InputError, match="segment") as info:
        seg.score({"segment": segment, "penetration": 0.5})
    assert info.value.column == "segment"
    with pytest.raises(InputError, match=r"row 1") as batch_info:
        seg.score_batch({"segment": ["ent", segment], "penetration": [0.5, 0.5]}, missing_columns="missing")
    assert batch_info.value.column == "segment"
    assert batch_info.value.row == 1


def test_segment_column_must_be_a_column() -> None:
    seg = _two_segments()
    with pytest.raises(InputError, match="'segment' must be an array or a list"):
        seg.score_batch({"segment": "ent", "penetration": [0.5]}, missing_columns="missing")
    with pytest.raises(InputError, match="'segment'"):
        seg.score_batch({"penetration": [0.5]}, missing_columns="missing")


def test_whole_number_segments_match_their_text() -> None:
    seg = SegmentedModel(segments={"1": presets.three_dimension(name="one"), "2": presets.dear(name="two")})
    assert seg.model_for(1).name == "one"
    assert seg.model_for(np.int64(2)).name == "two"
    assert seg.model_for(2.0).name == "two"
    columns = {"segment": np.array([1, 2]), "penetration": [0.5, 0.5], "deployment": [0.5, 0.5]}
    out = seg.score_batch(columns, missing_columns="missing")
    assert out.model is not None
    assert out.model.tolist() == ["one", "two"]
    assert out.segment is not None
    assert out.segment.tolist() == ["1", "2"]


def test_unknown_segment_never_takes_another_segments_policies() -> None:
    """The history classifies overrides with the account's segment's bands: an
    unknown segment gets the declared default, or an error, never the first segment."""
    from healthscore.history import _policies_for

    with_default = _two_segments(default=presets.three_dimension(name="fallback"))
    assert _policies_for(with_default, "startup") is with_default.default
    assert _policies_for(with_default, None) is with_default.default
    assert _policies_for(with_default, "SMB") is with_default.models["smb"]
    without = _two_segments()
    with pytest.raises(InputError, match=r"'startup'.*'ent', 'smb'"):
        _policies_for(without, "startup")


# --------------------------------------------------------------------------- domains, misspelt keys, weights


def _outside_value(scorer: Any, data: st.DataObject) -> float:
    """A value outside a numeric scorer's domain."""
    low, high = scorer.domain
    choices = [math.inf, -math.inf]
    if math.isfinite(low):
        choices.append(low - data.draw(finite_floats(1e-6, 1e6)))
    if math.isfinite(high):
        choices.append(high + data.draw(finite_floats(1e-6, 1e6)))
    return float(data.draw(st.sampled_from(choices)))


@given(data=st.data())
def test_out_of_range_in_a_batch_scores_as_missing_and_one_account_raises(data: st.DataObject) -> None:
    """The two paths agree on every account: a value outside its metric's
    domain is an error for ``score`` and, in a batch, scores exactly as that
    account without the value, and is reported."""
    model = presets.three_dimension()
    numeric = [n for n, m in model.metrics.items() if isinstance(m.scorer, Piecewise)]
    n = data.draw(st.integers(1, 8))
    rows = [data.draw(records(model)) for _ in range(n)]
    bad: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        for name in data.draw(st.lists(st.sampled_from(numeric), max_size=2, unique=True)):
            row[name] = _outside_value(model.metrics[name].scorer, data)
            bad.setdefault(name, []).append(i)
    columns = columns_from_records(model, rows, data.draw(st.sampled_from(["list", "array"])))
    batch = model.score_batch(columns, metric_scores=True, drivers=2)
    cleaned = [{k: v for k, v in row.items() if i not in bad.get(k, [])} for i, row in enumerate(rows)]
    _assert_batch_matches([model.score(row) for row in cleaned], batch, 2)
    assert {r.column: (r.count, r.rows) for r in batch.out_of_range} == {
        name: (len(where), tuple(where[:3])) for name, where in bad.items()
    }
    for i, row in enumerate(rows):
        first = next((name for name in model.metric_names if i in bad.get(name, [])), None)
        if first is not None:
            with pytest.raises(InputError, match=rf"metric {first!r}: .* is out of range: the value must be"):
                model.score(row)


def test_out_of_range_report_names_the_rows_and_values() -> None:
    model = presets.three_dimension()
    values = np.array([0.5, 45.0, np.nan, np.inf, -0.5, 2.0, 0.1])
    batch = model.score_batch({"penetration": values}, missing_columns="missing", metric_scores=True)
    (report,) = batch.out_of_range
    assert (report.column, report.count, report.rows, report.values) == (
        "penetration",
        4,
        (1, 3, 4),
        (45.0, np.inf, -0.5),
    )
    assert report.rule == "must be a finite number in [0, 1]"
    assert str(report) in batch.warnings
    assert str(report).endswith("row 1: 45.0, row 3: inf, row 4: -0.5, ...)")
    # treated as missing, not clamped: no coverage from them
    assert batch.coverage.tolist()[1] == batch.coverage.tolist()[2] == 0.0
    assert np.isnan(batch.metric_scores["penetration"][[1, 2, 3, 4, 5]]).all()
    assert values[1] == 45.0  # the caller's array is left alone


def test_out_of_range_keeps_float32_and_integer_columns() -> None:
    model = presets.three_dimension()
    ints = model.score_batch({"nps": np.array([10, 150, -120], dtype=np.int64)}, missing_columns="missing")
    assert [(r.count, r.rows, r.values) for r in ints.out_of_range] == [(2, (1, 2), (150.0, -120.0))]
    single = np.array([0.5, 45.0], dtype=np.float32)
    f32 = model.score_batch({"penetration": single}, missing_columns="missing", precision="float32")
    assert f32.out_of_range[0].rows == (1,)
    assert math.isnan(float(f32.score[1]))


def test_a_clean_batch_reports_nothing() -> None:
    model = presets.three_dimension()
    batch = model.score_batch({"penetration": [0.0, 1.0, math.nan], "nps": [-100, 100, 0]}, missing_columns="missing")
    assert batch.out_of_range == ()
    assert batch.warnings == ()


def test_segmented_batch_reports_out_of_range_with_the_input_rows() -> None:
    seg = SegmentedModel(segments={"a": presets.three_dimension(name="a"), "b": presets.three_dimension(name="b")})
    columns = {"segment": ["a", "b", "a", "b", "b"], "nps": [500, 10, 20, -500, 600]}
    batch = seg.score_batch(columns, missing_columns="missing")
    (report,) = batch.out_of_range
    assert (report.column, report.count, report.rows, report.values) == ("nps", 3, (0, 3, 4), (500.0, -500.0, 600.0))
    assert batch.warnings == (str(report),)


def test_out_of_range_on_array_api_arrays() -> None:
    xp = pytest.importorskip("array_api_strict")
    model = presets.three_dimension()
    values = [0.5, 45.0, 0.2]
    batch = model.score_batch({"penetration": xp.asarray(values)}, missing_columns="missing")
    cpu = model.score_batch({"penetration": np.array(values)}, missing_columns="missing")
    assert batch.out_of_range == cpu.out_of_range
    assert np.array_equal(np.asarray(batch.coverage), cpu.coverage)


@pytest.mark.parametrize(
    ("record", "match"),
    [
        ({"penatration": 0.5}, r"unknown metric 'penatration': did you mean 'penetration'\?"),
        ({"NPS": 10}, r"unknown metric 'NPS': did you mean 'nps'\?"),
        ({"active_day": 3, "penetration": 0.5}, r"did you mean 'active_days'"),
    ],
)
def test_a_misspelt_metric_key_is_an_error(record: dict[str, Any], match: str) -> None:
    with pytest.raises(InputError, match=match):
        presets.three_dimension().score(record)


def test_keys_unlike_any_metric_are_other_data() -> None:
    model = presets.three_dimension()
    plain = model.score({"penetration": 0.5})
    extra = model.score({"penetration": 0.5, "account_id": "A1", "segment": "smb", "arr": 1000, "name": "Acme"})
    assert plain.score == extra.score
    # a key close to a metric that has its own value is a separate field, not a typo
    assert model.score({"penetration": 0.5, "penetrations": 3}).score == plain.score


def test_batch_warns_of_a_misspelt_column_and_hints_at_it_in_errors() -> None:
    model = presets.three_dimension()
    batch = model.score_batch({"penatration": [0.5], "nps": [10], "arr": [5.0]}, missing_columns="missing")
    assert batch.warnings == (
        "column 'penatration' is not a metric of the model: did you mean 'penetration'? 'penetration' has no "
        "column and is scored as missing",
    )
    with pytest.raises(InputError, match="column 'penatration' looks like a misspelling of 'penetration'"):
        model.score_batch({"penatration": [0.5], "nps": [10]})


def test_segmented_score_checks_keys_against_every_segment() -> None:
    seg = presets.segmented()
    smb_only = set(seg.models["smb"].metric_names) - set(seg.models["enterprise"].metric_names)
    record: dict[str, Any] = {"segment": "enterprise", **dict.fromkeys(smb_only, None)}
    seg.score(record)  # another segment's metric is no typo
    with pytest.raises(InputError, match="did you mean 'executive_engagement'"):
        seg.score({"segment": "enterprise", "executive_engagment": "quarterly"})


@pytest.mark.parametrize("value", [[0.5], (0.5,), np.array([0.5]), {"a": 1}])
def test_a_sequence_for_one_metric_is_an_error(value: Any) -> None:
    with pytest.raises(InputError, match=r"metric 'penetration': expected a single value, got a"):
        presets.three_dimension().score({"penetration": value})


def test_overflowing_weight_sums_are_rejected() -> None:
    metric = Metric(name="a", scorer=scorers.penetration())
    with pytest.raises(ValidationError, match="dimensions must have a finite total weight"):
        HealthModel(
            dimensions=[
                Dimension(name="x", weight=1e308, metrics=[metric]),
                Dimension(name="y", weight=1e308, metrics=[Metric(name="b", scorer=scorers.nps())]),
            ]
        )
    with pytest.raises(ValidationError, match="metrics must have a finite total weight"):
        Dimension(
            name="x",
            metrics=[
                metric,
                Metric(name="b", scorer=scorers.nps(), weight=1.7e308),
                Metric(name="c", scorer=scorers.csat(), weight=1.7e308),
            ],
        )
