"""Ready models: the three-dimension framework, DEAR, segment models, the
shipped example files that spell them out, and the spec's acceptance
scenarios (recency decay, balanced adoption)."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import attrs
import numpy as np
import numpy.typing as npt
import pytest

from healthscore import HealthModel, SegmentedModel, decay, dump_model, load_model, presets, scorers, signals
from healthscore.config import Format
from healthscore.exceptions import ValidationError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
EXAMPLE_FILES: dict[str, Callable[[], HealthModel | SegmentedModel]] = {
    "three_dimension.toml": presets.three_dimension,
    "dear.toml": presets.dear,
    "dear.json": presets.dear,
    "segmented.toml": presets.segmented,
}
"""Each shipped example file and the preset (default arguments) it spells out."""

THREE_DIMENSION_METRICS = {
    "product": [
        "active_days",
        "days_since_last_login",
        "feature_breadth",
        "feature_depth",
        "penetration",
        "workflow_completion",
        "integrations",
        "power_users",
    ],
    "relationship": [
        "executive_engagement",
        "qbr_attendance",
        "ticket_volume",
        "ticket_sentiment",
        "nps",
        "csat",
        "response_hours",
        "champion",
    ],
    "business": [
        "outcome_achievement",
        "roi_multiple",
        "budget_trend",
        "expansion_talks",
        "contract_months",
        "payment_delay_days",
    ],
}


def _metric_weights(model: HealthModel, dimension: str) -> dict[str, float]:
    (dim,) = [d for d in model.dimensions if d.name == dimension]
    return {m.name: m.weight for m in dim.metrics}


# --------------------------------------------------------------------------- three dimensions


def test_three_dimension_metrics() -> None:
    model = presets.three_dimension()
    assert model.name == "three_dimension"
    assert {d.name: list(d.metric_names) for d in model.dimensions} == THREE_DIMENSION_METRICS
    assert len(model.metric_names) == 22


def test_three_dimension_weights() -> None:
    model = presets.three_dimension()
    assert model.dimension_weights == pytest.approx({"product": 0.4, "relationship": 0.3, "business": 0.3})
    assert sum(model.metric_weights.values()) == pytest.approx(1.0)


@pytest.mark.parametrize(("dimension", "strongest"), [("business", "outcome_achievement"), ("product", "penetration")])
def test_strongest_predictors_weigh_most(dimension: str, strongest: str) -> None:
    weights = _metric_weights(presets.three_dimension(), dimension)
    assert weights[strongest] == max(weights.values())
    assert sorted(weights.values()).count(weights[strongest]) == 1


@pytest.mark.parametrize(("dimension", "weak"), [("relationship", "nps"), ("product", "active_days")])
def test_weak_predictors_weigh_least(dimension: str, weak: str) -> None:
    weights = _metric_weights(presets.three_dimension(), dimension)
    assert weights[weak] == min(weights.values())


def test_outcome_achievement_is_the_strongest_single_metric() -> None:
    shares = presets.three_dimension().metric_weights
    assert max(shares, key=lambda name: shares[name]) == "outcome_achievement"
    assert shares["nps"] < shares["penetration"]


def test_three_dimension_options() -> None:
    model = presets.three_dimension({"product": 50, "relationship": 25, "business": 25}, name="mine")
    assert model.name == "mine"
    assert model.dimension_weights == pytest.approx({"product": 0.5, "relationship": 0.25, "business": 0.25})
    with pytest.raises(ValidationError, match="weights"):
        presets.three_dimension({"support": 10})


def test_three_dimension_scores_a_healthy_and_a_struggling_account() -> None:
    model = presets.three_dimension()
    healthy = model.score(
        {
            "active_days": 25,
            "days_since_last_login": 0,
            "penetration": 0.9,
            "executive_engagement": "quarterly",
            "nps": 60,
            "outcome_achievement": 1.0,
            "roi_multiple": 4,
            "budget_trend": "growing",
        }
    )
    struggling = model.score(
        {
            "active_days": 1,
            "days_since_last_login": 45,
            "penetration": 0.2,
            "executive_engagement": "none",
            "nps": -50,
            "outcome_achievement": 0.2,
            "roi_multiple": 0.5,
            "budget_trend": "shrinking",
        }
    )
    assert healthy.band == "green"
    assert healthy.alert == "healthy"
    assert struggling.band == "red"
    assert struggling.alert == "critical"
    assert healthy.coverage == struggling.coverage
    assert 0 < healthy.coverage < 1


# --------------------------------------------------------------------------- acceptance scenarios


def _active_days(active_ages: npt.ArrayLike) -> float:
    """Active days per 30-day window, decay-weighted: last 30 days weight 1, the
    30 before 0.5, then 0.25, ..."""
    counts = decay.window_counts(active_ages, window_days=30)
    window_ages = np.arange(counts.size) * 30.0
    return decay.decayed_mean(counts, window_ages, decay.step())


def test_six_months_daily_then_four_weeks_absent_does_not_score_high() -> None:
    """The spec: a customer active daily for 6 months but absent 4 weeks must not score high."""
    model = presets.three_dimension()
    lapsed_days = _active_days(np.arange(28, 28 + 180))  # active 180 days, the last 28 days absent
    twin_days = _active_days(np.arange(0, 28 + 180))  # same history, still active every day
    assert lapsed_days < twin_days
    lapsed = model.score({"active_days": lapsed_days, "days_since_last_login": 28})
    twin = model.score({"active_days": twin_days, "days_since_last_login": 0})
    lapsed_product = lapsed.dimensions["product"]
    twin_product = twin.dimensions["product"]
    assert lapsed_product is not None
    assert twin_product is not None
    assert twin_product - lapsed_product >= 30
    assert lapsed_product < 60
    assert lapsed.score is not None
    assert lapsed.score < 60
    assert lapsed.band in ("orange", "red")
    assert twin.band == "green"
    assert lapsed.coverage < 1.0
    assert lapsed.dimensions["relationship"] is None


def test_recent_activity_outweighs_old_activity() -> None:
    recent = _active_days(np.arange(0, 30))  # active only in the last 30 days
    old = _active_days(np.arange(60, 90))  # active only two months ago
    assert recent > old
    model = presets.three_dimension()
    assert model.score({"active_days": recent}).score > model.score({"active_days": old}).score  # type: ignore[operator]


def test_balanced_adoption_beats_narrow_deep_use() -> None:
    model = presets.three_dimension()
    balanced = model.score({"feature_breadth": 10 / 20, "feature_depth": 0.3})
    narrow_deep = model.score({"feature_breadth": 3 / 20, "feature_depth": 0.6})
    balanced_product = balanced.dimensions["product"]
    narrow_product = narrow_deep.dimensions["product"]
    assert balanced_product is not None
    assert narrow_product is not None
    assert balanced_product > narrow_product


# --------------------------------------------------------------------------- DEAR


def test_dear_dimensions_and_weights() -> None:
    model = presets.dear()
    assert model.dimension_names == ("deployment", "engagement", "adoption", "roi")
    assert model.dimension_weights["deployment"] == 0.5
    assert max(model.dimension_weights.values()) == 0.5
    assert sum(model.dimension_weights.values()) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "record",
    [
        {"deployment": 0.8},
        {"deployment": 0.8, "onboarding_completed": True},
        {"deployment": 0.6, "outcome_achievement": 0.9},
        {"deployment": 0.6, "outcome_agreed": "yes"},
    ],
)
def test_dear_works_with_only_some_dimensions_fed(record: dict[str, object]) -> None:
    result = presets.dear().score(record)
    assert result.status == "scored"
    assert result.score is not None
    assert 0 <= result.score <= 100
    assert 0 < result.coverage < 1
    assert result.dimensions["deployment"] is not None
    assert result.dimensions["engagement"] is None
    assert result.dimensions["adoption"] is None
    fed = {n for n, v in result.dimensions.items() if v is not None}
    assert fed <= {"deployment", "roi"}


def test_dear_deployment_green_threshold() -> None:
    for green_at in (0.5, 0.75):
        model = presets.dear(deployment_green_at=green_at)
        assert model.score({"deployment": green_at}).band == "green"
        assert model.score({"deployment": green_at * 0.9}).band != "green"


def test_dear_batch_with_some_columns() -> None:
    out = presets.dear().score_batch(
        {"deployment": [0.9, 0.2], "outcome_achievement": [1.0, None]}, missing_columns="missing"
    )
    assert out.band.tolist() == ["green", "red"]
    assert (out.coverage < 1).all()
    with pytest.raises(ValidationError, match="weights"):
        presets.dear(weights={"support": 1})


# --------------------------------------------------------------------------- segments


def test_segment_weights_follow_the_spec() -> None:
    seg = presets.segmented()
    assert seg.default is not None
    rel = {name: m.dimension_weights["relationship"] for name, m in seg.models.items()}
    prod = {name: m.dimension_weights["product"] for name, m in seg.models.items()}
    default_rel = seg.default.dimension_weights["relationship"]
    default_prod = seg.default.dimension_weights["product"]
    assert rel["enterprise"] > default_rel > rel["smb"]
    assert default_rel > rel["product_led"]
    assert prod["enterprise"] < default_prod < prod["smb"]
    assert default_prod < prod["product_led"]
    assert set(seg.models) >= {"enterprise", "smb", "product_led", "mid_market"}
    for name, model in seg.models.items():
        assert model.name == name
        assert model.metric_names == seg.default.metric_names


def test_segmented_options() -> None:
    seg = presets.segmented({"big": {"relationship": 60}}, segment_column="tier")
    assert list(seg.models) == ["big"]
    assert seg.segment_column == "tier"
    assert seg.score({"tier": "big", "nps": 10}).model == "big"


# --------------------------------------------------------------------------- examples/ == presets


def test_every_example_file_is_a_preset() -> None:
    shipped = sorted(p.name for p in EXAMPLES.iterdir() if p.suffix in (".toml", ".json", ".yaml", ".yml"))
    assert shipped == sorted(EXAMPLE_FILES)


@pytest.mark.parametrize("file_name", sorted(EXAMPLE_FILES))
def test_example_file_is_its_preset(file_name: str) -> None:
    """The presets are defined once, in Python; the example files are what
    ``healthscore init-model PRESET -o examples/FILE`` writes for them."""
    path = EXAMPLES / file_name
    preset = EXAMPLE_FILES[file_name]()
    fmt: Format = "json" if path.suffix == ".json" else "toml"
    assert load_model(path) == preset, f"{file_name} differs from the preset; regenerate it with init-model"
    assert path.read_text(encoding="utf-8") == dump_model(preset, format=fmt), (
        f"{file_name} is not what init-model writes; regenerate it with init-model"
    )


def test_three_dimension_weights_change_only_the_dimension_weights() -> None:
    example = load_model(EXAMPLES / "three_dimension.toml")
    assert isinstance(example, HealthModel)
    weights = {"product": 50.0, "business": 20.0}  # a subset: relationship keeps its 30
    expected = attrs.evolve(
        example,
        name="mine",
        dimensions=[attrs.evolve(d, weight=weights.get(d.name, d.weight)) for d in example.dimensions],
    )
    assert presets.three_dimension(weights, name="mine") == expected


def test_three_dimension_policies_are_passed_through() -> None:
    strict = attrs.evolve(presets.three_dimension().missing, min_coverage=0.5)
    bands = presets.dear().bands
    model = presets.three_dimension(missing=strict, bands=bands)
    assert model.missing == strict
    assert model.bands is bands
    assert model.dimensions == presets.three_dimension().dimensions


def test_dear_threshold_changes_only_the_deployment_scorer() -> None:
    example = load_model(EXAMPLES / "dear.toml")
    assert isinstance(example, HealthModel)
    deployment, *rest = example.dimensions
    metric, *others = deployment.metrics
    changed = attrs.evolve(metric, scorer=scorers.deployment(0.5))
    expected = attrs.evolve(example, dimensions=[attrs.evolve(deployment, metrics=[changed, *others]), *rest])
    assert presets.dear(deployment_green_at=0.5) == expected
    assert expected != example


def test_segmented_preset_is_three_dimension_per_segment() -> None:
    example = load_model(EXAMPLES / "segmented.toml")
    assert isinstance(example, SegmentedModel)
    assert example.default == load_model(EXAMPLES / "three_dimension.toml")
    for segment, weights in presets.SEGMENT_WEIGHTS.items():
        assert example.models[segment] == presets.three_dimension(weights, name=segment)


# --------------------------------------------------------------------------- signals declare the preset's names


def test_signal_names_declare_the_three_dimension_metrics() -> None:
    assert presets.three_dimension().metric_names == signals.THREE_DIMENSION_SIGNALS
    assert set(signals.DEAR_SIGNALS) <= set(presets.dear().metric_names)
    assert not set(signals.DEAR_SIGNALS) & set(signals.THREE_DIMENSION_SIGNALS)
    assert (*signals.THREE_DIMENSION_SIGNALS, *signals.DEAR_SIGNALS) == signals.SIGNAL_NAMES


def test_signals_do_not_import_the_presets() -> None:
    """Signals sit below the models in the data flow: no module-level import of presets."""
    tree = ast.parse((ROOT / "src" / "healthscore" / "signals.py").read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
            imported.update(f"{node.module}.{alias.name}" for alias in node.names)
    assert "healthscore.presets" not in imported
    assert "healthscore.model" not in imported
