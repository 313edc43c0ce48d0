"""Categorical columns in the joint additive fit, and one fact in several columns."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from healthscore import HealthModel, dump_model, load_model
from healthscore._shapes import POOLED, bin_labels, find_ties
from healthscore._stats import roc_auc
from healthscore.fit import ColumnFit, fit_scorecard, reweight
from healthscore.model import Dimension, Metric
from healthscore.scorers import Categories

SERVICES = ("security", "backup", "support", "streaming")


def _telecom(n: int = 6000, seed: int = 3) -> tuple[dict[str, Any], Any]:
    """A telecom-like portfolio: the contract drives churn given tenure (long
    contracts go with long tenure, so its labels' churn rates alone mislead),
    and "no internet" reads in every service column."""
    rng = np.random.default_rng(seed)
    tenure = rng.uniform(0, 72, n)
    contract = np.where(tenure < 24, "month", np.where(tenure < 48, "year", "two years")).astype(object)
    mixed = rng.random(n) < 0.15
    contract[mixed] = rng.choice(["month", "year", "two years"], int(mixed.sum()))
    internet = rng.choice(["dsl", "fibre", "none"], n, p=[0.4, 0.4, 0.2]).astype(object)
    logit = 1.0 - tenure / 15 + np.select([contract == "year", contract == "two years"], [0.8, -0.8], 0.0)
    logit += np.where(internet == "none", -1.0, np.where(internet == "fibre", 0.4, 0.0))
    data: dict[str, Any] = {"tenure": tenure, "contract": contract, "internet": internet}
    for name in SERVICES:
        has = rng.random(n) < 0.5
        data[name] = np.where(internet == "none", "No internet service", np.where(has, "Yes", "No")).astype(object)
        logit += np.where(data[name] == "Yes", -0.3, 0.0)
    data["contract"][rng.random(n) < 0.01] = "legacy"  # a rare label: pooled
    gigabytes = rng.gamma(2.0, 20.0, n)
    gigabytes[internet == "none"] = np.nan  # its missing values repeat internet == "none"
    data["gigabytes"] = gigabytes
    churned = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return data, churned


@pytest.fixture(scope="module")
def telecom() -> tuple[dict[str, Any], Any, Any]:
    data, churned = _telecom()
    return data, churned, fit_scorecard(data, churned)


def _univariate(data: dict[str, Any], churned: Any, fitted: HealthModel) -> HealthModel:
    """The same model with each category table replaced by its labels' own churn
    log-odds (the table a column fitted alone would get), weights refitted."""
    metrics = []
    for metric in fitted.metrics.values():
        scorer = metric.scorer
        if isinstance(scorer, Categories):
            labels = np.asarray(data[metric.name], dtype=object)
            rates = {k: float(churned[labels == k].mean()) for k in set(labels.tolist())}
            odds = {k: -np.log((r + 1e-3) / (1 - r + 1e-3)) for k, r in rates.items()}
            lo, hi = min(odds.values()), max(odds.values())
            scorer = Categories(table={k: 100 * (v - lo) / (hi - lo) for k, v in odds.items()})
        metrics.append(Metric(name=metric.name, scorer=scorer, weight=1.0))
    model = HealthModel(name="univariate", dimensions=(Dimension(name="all", metrics=tuple(metrics), weight=1.0),))
    return reweight(model, data, churned, bootstrap=0).model


def test_a_category_table_is_conditional_on_the_other_columns(telecom: Any) -> None:
    data, churned, fit = telecom
    table = dict(fit.model.metrics["contract"].scorer.table)
    alone = {k: churned[data["contract"] == k].mean() for k in ("month", "year")}
    assert alone["year"] < alone["month"]  # alone, a yearly contract looks safer (its accounts stay longer) ...
    assert table["year"] < table["month"]  # ... given tenure it churns more, as generated
    assert table["two years"] == max(table.values())
    score = fit.model.score_batch(data, missing_columns="missing").score
    univariate = _univariate(data, churned, fit.model)
    other = univariate.score_batch(data, missing_columns="missing").score
    assert roc_auc(churned, -np.asarray(score)) > roc_auc(churned, -np.asarray(other)) + 0.005


def test_every_label_seen_in_training_is_in_the_table(telecom: Any) -> None:
    data, _, fit = telecom
    table = fit.model.metrics["contract"].scorer
    assert isinstance(table, Categories)
    assert dict(table.table)["legacy"] == table.unknown  # rare: the pooled score, which a never-seen label gets too
    assert POOLED in next(c for c in fit.report.columns if c.name == "contract").bins
    assert fit.model.score_batch(data, missing_columns="missing").warnings == ()
    never_seen = fit.model.score_batch({**data, "contract": np.array(["gold"] * 6000)})
    assert "not in the category table" in never_seen.warnings[0]
    assert load_model(dump_model(fit.model), format="toml") == fit.model


def test_one_fact_in_several_columns_is_fitted_once(telecom: Any) -> None:
    data, _, fit = telecom
    columns: dict[str, ColumnFit] = {c.name: c for c in fit.report.columns}
    assert columns["internet"].redundant_with == ()
    for name in SERVICES:
        assert columns[name].redundant_with == (("No internet service", "internet", "none"),)
        table = dict(fit.model.metrics[name].scorer.table)
        labels = np.asarray(data[name], dtype=object)
        yes, no = (float(np.sum(labels == k)) for k in ("Yes", "No"))
        neutral = (yes * table["Yes"] + no * table["No"]) / (yes + no)  # the mean of the column's other accounts
        assert table["No internet service"] == pytest.approx(neutral, abs=0.02)
    assert columns["gigabytes"].redundant_with == (("(missing)", "internet", "none"),)
    summary = fit.report.summary()
    assert "one fact in several columns" in summary
    assert "security 'No internet service' = internet 'none'" in summary


def test_labels_are_binned_case_insensitively_and_rare_ones_pooled() -> None:
    b = bin_labels(["Pro", "pro ", "basic", "basic", "gold", ""], min_count=2)
    assert b.labels == ("basic", POOLED)  # "Pro" is "pro"; "pro " is not (labels come stripped)
    assert b.pooled == ("gold", "Pro", "pro ")
    assert not b.ordered
    assert b.codes.tolist() == [1, 1, 0, 0, 1, 2]


def test_a_near_copy_of_a_label_is_a_tie_and_a_distinct_one_is_not() -> None:
    rng = np.random.default_rng(0)
    base = rng.choice(["a", "b", "none"], 5000).tolist()
    near = ["x" if v == "none" else "y" for v in base]
    flip = [i for i, v in enumerate(base) if v == "none"][:5]  # 5 of about 1,700 rows differ
    for i in flip:
        near[i] = "y"
    far = ["x" if v == "none" and i % 2 else "y" for i, v in enumerate(base)]
    ties = find_ties([bin_labels(base, 50), bin_labels(near, 50), bin_labels(far, 50)], 50)
    assert [(t.column, t.other) for t in ties] == [(1, 0)]
    assert ties[0].overlap > 0.99
