"""Shared Hypothesis strategies for the healthscore tests.

Floats, scorer kinds (piecewise curves, steps, category tables, booleans),
metrics, dimensions and whole models, band ladders, and the data a model reads:
one record per account, or column batches.

Two choices keep the properties about what they claim to test:

* Breakpoints and step edges are built from a start and positive gaps of at
  least ``MIN_GAP``, so a curve never has two breakpoints a few ulps apart (an
  extreme case with its own regression test in ``test_scorers.py``).
* Label lists and object arrays may hold ``None`` or NaN for a missing value.
"""

from __future__ import annotations

import math
import string
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeAlias

import numpy as np
from hypothesis import strategies as st

from healthscore import Dimension, HealthModel, Metric, MissingPolicy
from healthscore.bands import AlertLevel, AlertPolicy, Band, BandPolicy
from healthscore.model import MissingStrategy
from healthscore.scorers import Boolean, BuiltinScorer, Categories, Piecewise, Steps, is_missing

Direction: TypeAlias = Literal["any", "increasing", "decreasing"]
Layout: TypeAlias = Literal["list", "array"]

MIN_GAP = 1e-3
"""Smallest distance between two breakpoints (or step edges) drawn here."""

MISSING_STRATEGIES: tuple[MissingStrategy, ...] = ("renormalize", "neutral", "fail")

# --------------------------------------------------------------------------- floats


def finite_floats(min_value: float | None = None, max_value: float | None = None) -> st.SearchStrategy[float]:
    """Floats that are neither NaN nor infinite."""
    return st.floats(min_value=min_value, max_value=max_value, allow_nan=False, allow_infinity=False)


any_floats: st.SearchStrategy[float] = st.floats(allow_nan=True, allow_infinity=True)
"""Every float: finite, inf, -inf and NaN."""

non_nan_floats: st.SearchStrategy[float] = st.floats(allow_nan=False, allow_infinity=True)
"""Finite floats plus inf and -inf."""

score_values: st.SearchStrategy[float] = finite_floats(0.0, 100.0)
"""A valid 0..100 score."""

optional_scores: st.SearchStrategy[float | None] = st.none() | score_values
"""A ``missing`` / ``unknown`` field: no score, or a valid one."""

raw_numbers: st.SearchStrategy[float] = st.one_of(
    finite_floats(-1e6, 1e6),
    st.sampled_from([0.0, 1.0, math.inf, -math.inf]),
)
"""Raw numeric signal values, including the infinities."""

weights: st.SearchStrategy[float] = st.one_of(st.just(0.0), finite_floats(1e-3, 1e3))
"""A metric or dimension weight: zero or positive."""


@st.composite
def weight_lists(draw: st.DrawFn, n: int) -> list[float]:
    """``n`` weights >= 0 with a positive total."""
    ws = draw(st.lists(weights, min_size=n, max_size=n))
    if sum(ws) <= 0:
        ws[draw(st.integers(0, n - 1))] = draw(finite_floats(1e-3, 1e3))
    return ws


# --------------------------------------------------------------------------- scorers


@st.composite
def increasing_xs(draw: st.DrawFn, min_size: int = 2, max_size: int = 6) -> list[float]:
    """Strictly increasing, finite x values, at least ``MIN_GAP`` apart."""
    start = draw(finite_floats(-1e4, 1e4))
    gaps = draw(st.lists(finite_floats(MIN_GAP, 1e3), min_size=min_size - 1, max_size=max_size - 1))
    xs = [start]
    for gap in gaps:
        xs.append(xs[-1] + gap)
    return xs


@st.composite
def piecewise_points(
    draw: st.DrawFn, direction: Direction = "any", min_size: int = 2, max_size: int = 6
) -> list[tuple[float, float]]:
    """Breakpoints: strictly increasing x, scores in [0, 100]; sorted scores for a
    monotone curve (all equal scores give a flat one)."""
    xs = draw(increasing_xs(min_size, max_size))
    ys = draw(st.lists(score_values, min_size=len(xs), max_size=len(xs)))
    if direction == "increasing":
        ys.sort()
    elif direction == "decreasing":
        ys.sort(reverse=True)
    return list(zip(xs, ys, strict=True))


def piecewises(
    direction: Direction = "any", missing: st.SearchStrategy[float | None] = optional_scores
) -> st.SearchStrategy[Piecewise]:
    """Piecewise-linear scorers."""
    return st.builds(Piecewise, points=piecewise_points(direction), missing=missing)


@st.composite
def steps(draw: st.DrawFn, missing: st.SearchStrategy[float | None] = optional_scores) -> Steps:
    """Step scorers with 1..5 edges."""
    edges = draw(increasing_xs(min_size=1, max_size=5))
    scores = draw(st.lists(score_values, min_size=len(edges) + 1, max_size=len(edges) + 1))
    return Steps(edges=edges, scores=scores, missing=draw(missing))


simple_labels: st.SearchStrategy[str] = st.text(string.ascii_lowercase + "_", min_size=1, max_size=8)
"""Plain category labels."""

unicode_labels: st.SearchStrategy[str] = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), min_size=1, max_size=8
).filter(lambda s: s.strip() != "")
"""Labels with any printable character (for configuration round trips)."""


def _label_key(label: str) -> str:
    return label.strip().casefold()


@st.composite
def category_tables(draw: st.DrawFn, labels: st.SearchStrategy[str] = simple_labels) -> dict[str, float]:
    """Label -> score tables, labels unique case-insensitively."""
    names = draw(st.lists(labels, min_size=1, max_size=6, unique_by=_label_key))
    return {name: draw(score_values) for name in names}


@st.composite
def categories(
    draw: st.DrawFn,
    labels: st.SearchStrategy[str] = simple_labels,
    with_unknown: bool = False,
    missing: st.SearchStrategy[float | None] = optional_scores,
) -> Categories:
    """Category scorers (``unknown`` only when asked, so unknown labels raise)."""
    unknown = draw(optional_scores) if with_unknown else None
    return Categories(table=draw(category_tables(labels)), missing=draw(missing), unknown=unknown)


def yes_no(missing: st.SearchStrategy[float | None] = optional_scores) -> st.SearchStrategy[Boolean]:
    """Yes/no scorers."""
    return st.builds(Boolean, true_score=score_values, false_score=score_values, missing=missing)


booleans: st.SearchStrategy[Boolean] = yes_no()
"""Yes/no scorers, with or without a score for missing values."""


def builtin_scorers(
    labels: st.SearchStrategy[str] = simple_labels,
    missing: st.SearchStrategy[float | None] = optional_scores,
    with_unknown: bool = False,
) -> st.SearchStrategy[BuiltinScorer]:
    """Any built-in scorer kind. ``missing`` draws each scorer's own score for a
    missing value (``st.none()``: leave missing values to the model's policy)."""
    return st.one_of(
        piecewises(missing=missing),
        steps(missing=missing),
        categories(labels, with_unknown=with_unknown, missing=missing),
        yes_no(missing),
    )


model_scorers: st.SearchStrategy[BuiltinScorer] = builtin_scorers(missing=st.none())
"""Built-in scorers that return NaN for a missing value, so that the model's
missing-data policy (the subject of the model tests) decides what it means."""


# --------------------------------------------------------------------------- models

missing_policies: st.SearchStrategy[MissingPolicy] = st.builds(
    MissingPolicy,
    strategy=st.sampled_from(MISSING_STRATEGIES),
    neutral_score=score_values,
    min_coverage=st.one_of(st.just(0.0), finite_floats(0.0, 1.0)),
)
"""Any missing-data policy."""


def policies_with(strategy: MissingStrategy) -> st.SearchStrategy[MissingPolicy]:
    """Missing-data policies with a given strategy."""
    return st.builds(
        MissingPolicy,
        strategy=st.just(strategy),
        neutral_score=score_values,
        min_coverage=st.one_of(st.just(0.0), finite_floats(0.0, 1.0)),
    )


@st.composite
def ladder_thresholds(draw: st.DrawFn, max_tiers: int = 6) -> list[float]:
    """Strictly decreasing ``min_score`` values ending in 0."""
    cuts = draw(
        st.lists(st.floats(0.0, 100.0, exclude_min=True), max_size=max_tiers - 1, unique=True),
    )
    return [*sorted(cuts, reverse=True), 0.0]


band_policies: st.SearchStrategy[BandPolicy] = ladder_thresholds().map(
    lambda ts: BandPolicy(bands=[Band(name=f"band{i}", min_score=t, playbook=(f"act {i}",)) for i, t in enumerate(ts)])
)
"""Valid colour band ladders."""

alert_policies: st.SearchStrategy[AlertPolicy] = ladder_thresholds().map(
    lambda ts: AlertPolicy(levels=[AlertLevel(name=f"level{i}", min_score=t) for i, t in enumerate(ts)])
)
"""Valid alert ladders."""


@st.composite
def health_models(
    draw: st.DrawFn,
    *,
    scorers: st.SearchStrategy[BuiltinScorer] | None = None,
    missing: st.SearchStrategy[MissingPolicy] = missing_policies,
    max_dimensions: int = 3,
    max_metrics: int = 4,
    texts: st.SearchStrategy[str] | None = None,
    ladders: bool = False,
) -> HealthModel:
    """Models with 1..``max_dimensions`` dimensions of 1..``max_metrics`` metrics
    (named ``m0``, ``m1``, ... in model order; dimensions ``d0``, ...), random
    weights >= 0 with positive totals, and a random missing-data policy.
    Scorers come from ``scorers`` (default: :data:`model_scorers`).

    ``texts`` draws descriptions (else they stay empty); ``ladders`` draws band and
    alert policies (else the defaults).
    """
    scorer_strategy = model_scorers if scorers is None else scorers
    n_dims = draw(st.integers(1, max_dimensions))
    dim_weights = draw(weight_lists(n_dims))
    dims: list[Dimension] = []
    k = 0
    for d in range(n_dims):
        n_metrics = draw(st.integers(1, max_metrics))
        metric_weights = draw(weight_lists(n_metrics))
        metrics = []
        for w in metric_weights:
            description = "" if texts is None else draw(texts)
            metrics.append(Metric(name=f"m{k}", scorer=draw(scorer_strategy), weight=w, description=description))
            k += 1
        description = "" if texts is None else draw(texts)
        dims.append(Dimension(name=f"d{d}", weight=dim_weights[d], metrics=metrics, description=description))
    extra: dict[str, Any] = {}
    if ladders:
        extra["bands"] = draw(band_policies)
        extra["alerts"] = draw(alert_policies)
    if texts is not None:
        extra["description"] = draw(texts)
    return HealthModel(dimensions=dims, missing=draw(missing), name="generated", **extra)


def scaled(model: HealthModel, factor: float) -> HealthModel:
    """``model`` with every metric and dimension weight multiplied by ``factor``."""
    dims = [
        Dimension(
            name=d.name,
            weight=d.weight * factor,
            description=d.description,
            metrics=[
                Metric(name=m.name, scorer=m.scorer, weight=m.weight * factor, description=m.description)
                for m in d.metrics
            ],
        )
        for d in model.dimensions
    ]
    return HealthModel(
        dimensions=dims,
        bands=model.bands,
        alerts=model.alerts,
        missing=model.missing,
        name=model.name,
        description=model.description,
    )


# --------------------------------------------------------------------------- data

_ABSENT = object()


def label_values(scorer: Categories) -> st.SearchStrategy[str]:
    """Labels the scorer knows, as written or in another case with blanks around."""
    return st.sampled_from(scorer.labels).flatmap(
        lambda label: st.sampled_from([label, label.upper(), f"  {label} ", label.title()])
    )


def present_values(scorer: BuiltinScorer) -> st.SearchStrategy[Any]:
    """A raw value the scorer can read."""
    if isinstance(scorer, Categories):
        return label_values(scorer)
    if isinstance(scorer, Boolean):
        return st.booleans()
    if scorer.domain is None:
        return raw_numbers
    low, high = scorer.bounds
    return st.one_of(
        finite_floats(max(low, -1e6), min(high, 1e6)),
        st.sampled_from([v for v in (low, high, 0.0, 1.0) if low <= v <= high and abs(v) <= 1e6]),
    )


def missing_values(scorer: BuiltinScorer) -> st.SearchStrategy[Any]:
    """How a missing value may look for the scorer (``_ABSENT``: no key at all)."""
    if isinstance(scorer, (Categories, Boolean)):
        return st.sampled_from([_ABSENT, None, math.nan, ""])
    return st.sampled_from([_ABSENT, None, math.nan])


@st.composite
def records(draw: st.DrawFn, model: HealthModel, allow_missing: bool = True) -> dict[str, Any]:
    """One account for ``model``: metric name -> raw value, about a quarter of
    them missing unless ``allow_missing`` is false (key absent, ``None``, NaN or,
    for labels, ``""``)."""
    record: dict[str, Any] = {}
    for name, metric in model.metrics.items():
        scorer = metric.scorer
        assert isinstance(scorer, (Piecewise, Steps, Categories, Boolean))
        is_gap = allow_missing and draw(st.integers(0, 3)) == 0
        value = draw(missing_values(scorer)) if is_gap else draw(present_values(scorer))
        if value is not _ABSENT:
            record[name] = value
    return record


def columns_from_records(model: HealthModel, rows: Sequence[Mapping[str, Any]], layout: Layout) -> dict[str, Any]:
    """The same accounts as columns: ``"array"`` gives float64 arrays for numbers
    and object arrays for labels and yes/no values; ``"list"`` gives plain lists
    (a missing yes/no value is ``None`` there, see the module docstring)."""
    out: dict[str, Any] = {}
    for name, metric in model.metrics.items():
        values = [row.get(name) for row in rows]
        numeric = isinstance(metric.scorer, (Piecewise, Steps))
        if layout == "array":
            if numeric:
                out[name] = np.array([math.nan if v is None else v for v in values], dtype=np.float64)
            else:
                out[name] = np.array(values, dtype=object)
        elif isinstance(metric.scorer, Boolean):
            out[name] = [None if is_missing(v) else v for v in values]
        else:
            out[name] = values
    return out


@st.composite
def models_and_records(
    draw: st.DrawFn,
    models: st.SearchStrategy[HealthModel] | None = None,
    min_size: int = 1,
    max_size: int = 8,
) -> tuple[HealthModel, list[dict[str, Any]]]:
    """A model and a few accounts for it."""
    model = draw(health_models() if models is None else models)
    rows = draw(st.lists(records(model), min_size=min_size, max_size=max_size))
    return model, rows


@st.composite
def column_batches(
    draw: st.DrawFn, models: st.SearchStrategy[HealthModel] | None = None, max_size: int = 8
) -> tuple[HealthModel, list[dict[str, Any]], dict[str, Any]]:
    """A model, its accounts as records, and the same accounts as columns."""
    model, rows = draw(models_and_records(models, max_size=max_size))
    layout: Layout = draw(st.sampled_from(["list", "array"]))
    return model, rows, columns_from_records(model, rows, layout)
