"""Close the loop: fit weights, curves, thresholds and probabilities to outcomes.

* :func:`reweight` re-fits an existing model's metric and dimension weights to
  an outcome (churn = 1) by regularised logistic regression, non-negative and
  shrunk toward the model's current (expert) weights, with bootstrap
  intervals. The result is a model of the same shape.
* :func:`fit_scorecard` builds a model from raw columns: monotone (or peaked)
  piecewise-linear curves from binned churn rates, in the spirit of
  credit-scoring scorecards, category tables for labels, weights fitted to the
  outcome, and band thresholds fitted to churn.
* :func:`metric_power` says how well each metric predicts on its own (AUC,
  information value) and which add nothing given the others.
* :func:`choose_thresholds` picks band cut-offs from outcomes, keeping churn
  rates ordered worst band > ... > best band.
* :func:`churn_probability` maps a score to a calibrated churn probability
  (isotonic or Platt), with its reliability table and Brier score.
* :func:`renewal_training_set` turns renewals won and lost into outcomes with
  point-in-time features a lead time before each renewal (from a history
  store, exports or a dated table); :func:`fit_scorecard` and
  :func:`reweight` take ``renewals=`` and ``lead_days=`` to fit on it.

Everything runs on NumPy; the statistics live in :mod:`healthscore._stats`.
Outcomes are 1 for churn (the event) and 0 otherwise; a higher health score
should mean a lower churn rate.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, Literal, overload

import attrs
import numpy as np

from healthscore import _shapes, _stats, _time
from healthscore._frames import id_text
from healthscore._points import points_range
from healthscore.bands import AlertPolicy, BandPolicy, default_alerts, default_bands
from healthscore.config import model_fingerprint
from healthscore.exceptions import FitError, InputError, ValidationError
from healthscore.exports import Exports
from healthscore.history import HistoryStore
from healthscore.model import (
    Dimension,
    HealthModel,
    Metric,
    SegmentedModel,
    _group_by_model,
    _segment_column,
    _segment_labels,
)
from healthscore.portfolio import column_names, family_of, table_columns
from healthscore.scorers import Categories, Piecewise, is_missing

__all__ = [
    "BandFit",
    "ChurnCalibration",
    "ColumnFit",
    "MetricPower",
    "RenewalReport",
    "RenewalTrainingSet",
    "ReweightReport",
    "ReweightResult",
    "ScorecardReport",
    "ScorecardResult",
    "SegmentFit",
    "SegmentReweight",
    "SegmentedReport",
    "SegmentedResult",
    "SegmentedReweightResult",
    "UnmatchedRenewal",
    "WeightChange",
    "choose_thresholds",
    "churn_probability",
    "default_kinds",
    "fit_scorecard",
    "fit_segments",
    "metric_power",
    "renewal_training_set",
    "reweight",
]

Kind = Literal["auto", "higher_is_better", "lower_is_better", "peaked", "categorical"]
KINDS: tuple[str, ...] = ("auto", "higher_is_better", "lower_is_better", "peaked", "categorical")

IV_DROP = 0.02
"""Information value below which a metric is recommended for dropping (the
credit-scoring rule of thumb: < 0.02 not predictive, 0.02-0.1 weak, 0.1-0.3
medium, > 0.3 strong)."""


# --------------------------------------------------------------------------- inputs


def _as_number(value: Any) -> float:
    """A number, or NaN for what is not one (``None``, text)."""
    if value is None:
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _is_number(value: Any) -> bool:
    """Whether a cell reads as a number (``None``, a missing cell, reads as NaN)."""
    if value is None:
        return True
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _outcome(data: Any, outcome: Any, n: int | None = None) -> Any:
    """The outcome as a float 0/1 array (from a column name or values).

    A bad value is named by its zero-based row, the position in the data
    (``frame.iloc[row]``, ``values[row]``), like every in-memory error of the
    library; the command line turns it into the CSV line.
    """
    if isinstance(outcome, str):
        if data is None:
            raise InputError(f"outcome must be the 0/1 values here, not a column name: {outcome!r}", value=outcome)
        cols = table_columns(data, [outcome])
        if outcome not in cols:
            present = column_names(data, family_of(data))
            raise InputError(
                f"outcome column {outcome!r} is not in the data (columns: {', '.join(present)})",
                column=outcome,
                value=outcome,
            )
        values = np.asarray(cols[outcome], dtype=object).reshape(-1)
    else:
        values = np.asarray(outcome, dtype=object).reshape(-1)
    y = np.array([_as_number(v) for v in values.tolist()], dtype=np.float64)
    bad = np.flatnonzero(~np.isin(y, (0.0, 1.0)))
    if bad.size:
        row = int(bad[0])
        raise InputError(
            f"outcome must be 0 or 1 for every account (1 = churned); row {row} is {values[row]!r}"
            f" ({bad.size} such rows)",
            column=outcome if isinstance(outcome, str) else "outcome",
            row=row,
            value=values[row],
        )
    if n is not None and y.size != n:
        raise InputError(f"outcome has {y.size} values but the data has {n} rows", column="outcome", value=y.size)
    if y.size == 0 or y.min() == y.max():
        only = f"all {y.size} are {y[0]:g}" if y.size else "it is empty"
        raise InputError(
            f"outcome must hold both churned (1) and retained (0) accounts to fit anything; {only}", column="outcome"
        )
    return y


def _row_count(data: Any) -> int:
    """How many rows a table of any family has (one column is read, not all)."""
    return _n_rows(table_columns(data, column_names(data, family_of(data))[:1]))


def _n_rows(cols: Mapping[str, Any]) -> int:
    return len(next(iter(cols.values()))) if cols else 0


def _oriented_auc(y: Any, score: Any) -> float:
    """AUC of a health score against churn: a lower score should mean churn."""
    keep = ~np.isnan(score)
    if keep.sum() < 2 or y[keep].min() == y[keep].max():
        return math.nan
    return _stats.roc_auc(y[keep], -score[keep])


def _filled(matrix: Any) -> Any:
    """Missing metric scores replaced by the column mean (for fitting only)."""
    out = matrix.copy()
    means = np.nanmean(np.where(np.isnan(out).all(axis=0), 50.0, out), axis=0)
    rows, cols = np.nonzero(np.isnan(out))
    out[rows, cols] = means[cols]
    return out


# --------------------------------------------------------------------------- re-weighting


@attrs.frozen(kw_only=True)
class WeightChange:
    """One metric's (or dimension's) share of the score, before and after, with
    the bootstrap interval of the new share."""

    name: str
    dimension: str
    before: float
    after: float
    low: float
    high: float
    auc: float


@attrs.frozen(kw_only=True)
class ReweightReport:
    """What :func:`reweight` fitted and what changed.

    The headline AUCs are out of sample: the accounts are split into
    ``folds`` stratified folds, the weights are re-fitted on all folds but one
    and score the one left out, and the out-of-fold scores are pooled (cross
    fitting). The current weights, fitted to none of the folds, score every
    fold as they are, so the two AUCs compare like with like. The in-sample
    AUCs (the weights fitted and judged on the same accounts) stand beside
    them, labelled as such; their gap to the cross-fitted ones is the
    optimism of the fit.

    Attributes:
        metrics: Each metric's share of the score, before and after.
        dimensions: Each dimension's share, before and after.
        accounts: Accounts fitted on (those with a score).
        churned: How many of them churned.
        left_out: Accounts without a score, left out.
        strength: The shrinkage strength.
        bootstrap: Bootstrap samples behind the intervals.
        interval: Coverage of the intervals.
        folds: Number of stratified cross-fitting folds.
        auc_before: Cross-fitted AUC of the current weights.
        auc_after: Cross-fitted AUC of the re-fitted weights: on each fold,
            weights fitted on the other folds; the same folds as
            ``auc_before``.
        fold_auc_before: The current weights' AUC within each fold.
        fold_auc_after: The re-fitted weights' AUC within each fold (weights
            fitted on the other folds); their spread is the noise of
            ``auc_after``.
        in_sample_auc_before: In-sample AUC of the current model's score.
        in_sample_auc_after: In-sample AUC of the re-weighted model's score,
            fitted on the very accounts it is judged on (optimistic).
    """

    metrics: tuple[WeightChange, ...]
    dimensions: tuple[WeightChange, ...]
    accounts: int
    churned: int
    left_out: int
    strength: float
    bootstrap: int
    interval: float
    folds: int
    auc_before: float
    auc_after: float
    fold_auc_before: tuple[float, ...]
    fold_auc_after: tuple[float, ...]
    in_sample_auc_before: float
    in_sample_auc_after: float

    @property
    def cv_auc_before(self) -> float:
        """The cross-fitted AUC of the current weights (``auc_before``)."""
        return self.auc_before

    @property
    def cv_auc_after(self) -> float:
        """The cross-fitted AUC of the re-fitted weights (``auc_after``)."""
        return self.auc_after

    def summary(self) -> str:
        """A readable text summary."""
        lines = [
            f"re-weighted on {self.accounts:,} accounts ({self.churned:,} churned; {self.left_out:,} without a "
            f"score left out), shrinkage strength {self.strength:g}, {self.bootstrap} bootstrap samples",
            f"AUC cross-validated (the same {self.folds} folds) {self.auc_before:.3f} -> {self.auc_after:.3f}, "
            f"new weights fitted on the other folds; fold-to-fold s.d. "
            f"{_spread(self.fold_auc_before):.3f} -> {_spread(self.fold_auc_after):.3f}",
            f"AUC in-sample (fitted and judged on the same accounts, optimistic) "
            f"{self.in_sample_auc_before:.3f} -> {self.in_sample_auc_after:.3f}",
            "",
            f"{'dimension':<16} {'before':>7} {'after':>7}   {self.interval:.0%} interval",
        ]
        for d in self.dimensions:
            lines.append(f"{d.name:<16} {d.before:>7.1%} {d.after:>7.1%}   {d.low:.1%} - {d.high:.1%}")
        lines += ["", f"{'metric':<28} {'dimension':<14} {'before':>7} {'after':>7} {'interval':>17} {'AUC':>6}"]
        for m in self.metrics:
            lines.append(
                f"{m.name:<28} {m.dimension:<14} {m.before:>7.1%} {m.after:>7.1%} "
                f"{f'{m.low:.1%} - {m.high:.1%}':>17} {_num(m.auc)}"
            )
        return "\n".join(lines)


def _spread(values: Sequence[float]) -> float:
    """Sample standard deviation of per-fold figures (NaN for fewer than two)."""
    finite = np.asarray([v for v in values if v == v], dtype=np.float64)
    return float(finite.std(ddof=1)) if finite.size > 1 else math.nan


@attrs.frozen(kw_only=True)
class ReweightResult:
    """The re-weighted model and the report of what changed (and, fitted to
    renewals, how they became outcomes)."""

    model: HealthModel
    report: ReweightReport
    renewals: RenewalReport | None = None


def _num(value: float, digits: int = 3) -> str:
    return "   n/a" if value != value else f"{value:>6.{digits}f}"


def _fixed(value: float, digits: int, width: int, unit: str = "") -> str:
    """A number (and its unit) in a column of ``width`` plus the unit's;
    blank when there is none (NaN)."""
    return " " * (width + len(unit)) if value != value else f"{value:>{width}.{digits}f}{unit}"


def _design(model: HealthModel, cols: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    """Metric scores (rows x metrics) with missing ones filled the way the
    model's re-normalisation does: by the account's dimension score, else its
    score; plus the scores and the rows that have one."""
    scored = model.score_batch(dict(cols), metric_scores=True, missing_columns="missing")
    score = np.asarray(scored.score, dtype=np.float64)
    keep = ~np.isnan(score)
    names = model.metric_names
    matrix = np.column_stack([np.asarray(scored.metric_scores[m], dtype=np.float64) for m in names])
    if keep.any():
        _refuse_empty_metrics(names, cols, matrix[keep])
    for j, name in enumerate(names):
        dim = next(d.name for d in model.dimensions if name in {m.name for m in d.metrics})
        fill = np.asarray(scored.dimensions[dim], dtype=np.float64)
        fill = np.where(np.isnan(fill), score, fill)
        matrix[:, j] = np.where(np.isnan(matrix[:, j]), fill, matrix[:, j])
    return matrix[keep], score[keep], keep


def _refuse_empty_metrics(names: Sequence[str], cols: Mapping[str, Any], matrix: Any) -> None:
    """A metric without a value on any scored account has nothing to fit: its
    filled-in scores would be its dimension's, so a weight or an AUC for it
    would be the other metrics' answer under its name."""
    empty = [m for j, m in enumerate(names) if np.isnan(matrix[:, j]).all()]
    if empty:
        where = ", ".join(f"{m!r} ({'an empty column' if m in cols else 'no such column'})" for m in empty)
        raise FitError(
            f"metric(s) {where} have no value on any of the {matrix.shape[0]} scored accounts, so no weight "
            "or AUC can be fitted for them",
            what=f"the weight of {empty[0]!r}",
            hint="fill the column, or remove the metric from the model before re-weighting",
        )


def _effective(logistic: _stats.LogisticFit) -> Any:
    coef = np.maximum(np.asarray(logistic.coef, dtype=np.float64), 0.0)
    total = coef.sum()
    return coef / total if total > 0 else coef


def _with_weights(model: HealthModel, shares: Mapping[str, float]) -> HealthModel:
    dims = []
    for d in model.dimensions:
        total = sum(shares[m.name] for m in d.metrics)
        metrics = (
            [attrs.evolve(m, weight=round(shares[m.name] / total * 100, 6)) for m in d.metrics]
            if total > 0
            else list(d.metrics)  # the dimension weighs nothing now; its metrics keep their old balance
        )
        dims.append(attrs.evolve(d, metrics=metrics, weight=round(total * 100, 6)))
    return attrs.evolve(model, dimensions=dims)


def _check_reweight(model: Any, strength: float, bootstrap: int, interval: float) -> None:
    if not isinstance(model, HealthModel):
        raise ValidationError("model", "must be a HealthModel or a SegmentedModel", type(model).__name__)
    if not (math.isfinite(strength) and strength >= 0):
        raise ValidationError("strength", "must be a number >= 0", strength)
    if not (isinstance(bootstrap, int) and bootstrap >= 0):
        raise ValidationError("bootstrap", "must be a whole number >= 0", bootstrap)
    if not 0 < interval < 1:
        raise ValidationError("interval", "must be between 0 and 1", interval)


def _dimension_shares(model: HealthModel, shares: Any) -> Any:
    """Metric shares (in ``model.metric_names`` order) summed per dimension."""
    share = dict(zip(model.metric_names, shares, strict=True))
    return np.array([sum(share[m.name] for m in d.metrics) for d in model.dimensions])


def _intervals(samples: list[Any], fallback: Any, interval: float) -> tuple[Any, Any]:
    """Percentile bootstrap interval of each share (the fitted shares without samples)."""
    if not samples:
        return fallback, fallback
    tail = (1 - interval) / 2 * 100
    stack = np.array(samples)
    return np.percentile(stack, tail, axis=0), np.percentile(stack, 100 - tail, axis=0)


@attrs.frozen(kw_only=True)
class _CrossFit:
    """Cross-fitted AUCs of the current and the re-fitted weights (pooled and per fold)."""

    before: float
    after: float
    fold_before: tuple[float, ...]
    fold_after: tuple[float, ...]


def _fold_aucs(y: Any, risk: Any, folds: Any, k: int) -> tuple[float, ...]:
    """AUC of ``risk`` within each fold (NaN for a fold that lacks a class)."""
    out = []
    for fold in range(k):
        test = folds == fold
        both = 0 < y[test].sum() < test.sum()
        out.append(_stats.roc_auc(y[test], risk[test]) if both else math.nan)
    return tuple(out)


def _cross_validated(
    y: Any,
    current: Any,
    fit_shares: Callable[[Any], Any],
    risk_of: Callable[[Any], Any],
    seed: int,
    k: int = 5,
    groups: Any = None,
) -> _CrossFit:
    """``k``-fold cross-fitted AUC of the current and of the re-fitted weights,
    on the same stratified folds: the re-fitted shares come from the other
    folds, and the model they make scores the fold left out exactly as it
    would score it in use (``risk_of``: its own re-normalisation of missing
    values); the current model, fitted to none of the folds, scores every
    fold as it is (``current``), so the two numbers compare like with like.
    Pooled over the out-of-fold scores, and within each fold. With ``groups``
    (the account of each renewal row) all rows of an account share a fold."""
    folds = _stats.stratified_folds(y, k, seed, groups=groups)
    cv_new = np.empty(y.size)
    for fold in range(k):
        test = folds == fold
        shares = fit_shares(np.flatnonzero(~test))
        cv_new[test] = risk_of(shares)[test] if shares.sum() > 0 else 0.0
    return _CrossFit(
        before=_stats.roc_auc(y, current),
        after=_stats.roc_auc(y, cv_new),
        fold_before=_fold_aucs(y, current, folds, k),
        fold_after=_fold_aucs(y, cv_new, folds, k),
    )


def _changes(
    names: Sequence[str],
    dimension: Sequence[str],
    before: Any,
    after: Any,
    bounds: tuple[Any, Any],
    aucs: Sequence[float],
) -> tuple[WeightChange, ...]:
    """One :class:`WeightChange` per name; ``bounds`` are the (low, high) arrays."""
    return tuple(
        WeightChange(name=m, dimension=d, before=float(b), after=float(a), low=float(lo), high=float(hi), auc=auc)
        for m, d, b, a, lo, hi, auc in zip(names, dimension, before, after, *bounds, aucs, strict=True)
    )


@overload
def reweight(
    model: HealthModel,
    data: Any,
    outcome: Any,
    *,
    strength: float = 1e-3,
    bootstrap: int = 200,
    interval: float = 0.9,
    seed: int = 0,
    folds: int = 5,
    renewals: Any = None,
    lead_days: int | Sequence[int] | None = None,
    min_outcomes: int = 10,
) -> ReweightResult: ...


@overload
def reweight(
    model: SegmentedModel,
    data: Any,
    outcome: Any,
    *,
    strength: float = 1e-3,
    bootstrap: int = 200,
    interval: float = 0.9,
    seed: int = 0,
    folds: int = 5,
    renewals: Any = None,
    lead_days: int | Sequence[int] | None = None,
    min_outcomes: int = 10,
) -> SegmentedReweightResult: ...


def reweight(
    model: HealthModel | SegmentedModel,
    data: Any,
    outcome: Any,
    *,
    strength: float = 1e-3,
    bootstrap: int = 200,
    interval: float = 0.9,
    seed: int = 0,
    folds: int = 5,
    renewals: Any = None,
    lead_days: int | Sequence[int] | None = None,
    min_outcomes: int = 10,
) -> ReweightResult | SegmentedReweightResult:
    """Re-fit a model's metric and dimension weights to an outcome.

    The health score is a weighted sum of metric scores, so churn is modelled
    as ``logit P(churn) = a + sum_m g_m * (100 - s_m) / 100`` with every ``g_m
    >= 0``. The penalty ``strength * n / 2 * ||g - g0||^2`` pulls the weights
    toward the expert's: ``g0`` is the model's current shares times the slope
    of churn on the current score. ``strength=0`` lets the data speak alone; a
    large one keeps the current weights. Missing metric scores are filled the
    way the model's re-normalisation treats them (the account's dimension
    score), so the fit matches how the model scores. A metric with no value
    on any scored account is an error: there is nothing to fit it on.

    Args:
        model: The model to re-weight (same metrics, curves and policies out).
        data: Metric values per account: any data frame family or mapping.
        outcome: 0/1 per account (1 = churned), or the name of that column.
        strength: Shrinkage toward the current weights, per account, >= 0.
        bootstrap: Resamples for the intervals (0 for none).
        interval: Coverage of the bootstrap intervals.
        seed: Seed of the resampling and of the cross-validation folds.
        folds: Stratified folds of the cross-fitted AUCs, 2 or more.
        renewals: Fit to renewals won and lost instead of ``outcome`` (which
            is then ``None``), with ``data`` the source of the features before
            each renewal (see :func:`renewal_training_set` and
            :func:`fit_scorecard`); the result's ``renewals`` reports it. The
            cross-fitted AUCs then keep all rows of an account (one per
            renewal and lead time) in the same fold.
        lead_days: With ``renewals``: days before each renewal (default 90).
        min_outcomes: A segmented model only: fewest outcomes (the rarer of
            churned and retained) for a segment's model to be re-weighted on
            its accounts; under it the segment keeps its weights.

    A :class:`~healthscore.model.SegmentedModel` is re-weighted model by
    model, each on the accounts it scores (its segments', or the default
    model's: accounts of no or unseen segments), each shrunk toward its own
    current weights by ``strength`` as above; a model with fewer than
    ``min_outcomes`` outcomes, or whose fit fails, keeps its weights, and the
    report says why (:class:`SegmentedReweightResult`).

    Returns:
        The new model (its dimension and metric weights in percent) and a
        report of what changed. Its AUCs are out of sample by default: the
        ``folds``-fold cross-fitted AUCs of the current and of the new weights
        on the same folds (the new weights fitted on the other folds), with
        their per-fold values; the in-sample AUCs stand beside them, labelled
        ``in_sample_``.

    Examples:
        >>> from healthscore.datasets import generate_driver_portfolio
        >>> drivers = generate_driver_portfolio(2000, seed=3)
        >>> report = reweight(drivers["model"], drivers["columns"], drivers["churned"], bootstrap=0).report
        >>> report.auc_after > report.auc_before  # both out of sample, on the same 5 folds
        True
        >>> report.in_sample_auc_after >= report.auc_after - 0.01  # in sample: a little optimistic
        True

    Raises:
        InputError: A bad outcome, or too few scored accounts.
        ValidationError: A bad ``model``, ``strength``, ``bootstrap``,
            ``interval`` or ``folds``.
        FitError: No metric predicts the outcome (every fitted weight is 0), or
            a metric has no value on any scored account (an empty column).
    """
    options = _ReweightOptions(strength=strength, bootstrap=bootstrap, interval=interval, seed=seed, folds=folds)
    if isinstance(model, SegmentedModel):
        wanted = [*model.metric_names, model.segment_column]
        training = _renewal_data(data, outcome, renewals, lead_days, wanted)
        if training is not None:
            data, outcome = training.columns, training.outcome
        result = _reweight_segments(model, data, outcome, options, min_outcomes, _accounts(training))
        return result if training is None else attrs.evolve(result, renewals=training.report)
    _check_reweight(model, strength, bootstrap, interval)
    training = _renewal_data(data, outcome, renewals, lead_days, list(model.metric_names))
    if training is not None:
        data, outcome = training.columns, training.outcome
    result_one = _reweight_one(model, data, outcome, options, _accounts(training))
    return result_one if training is None else attrs.evolve(result_one, renewals=training.report)


@attrs.frozen(kw_only=True)
class _ReweightOptions:
    strength: float
    bootstrap: int
    interval: float
    seed: int
    folds: int


def _accounts(training: RenewalTrainingSet | None) -> Any:
    """The account of each row of a renewal training set (the groups its
    cross-fits keep in one fold); ``None`` without one."""
    return None if training is None else np.asarray(training.columns["account_id"], dtype=object)


def _row_groups(data: Any, groups: Any, n: int) -> Any:
    """``groups`` (a column of ``data`` by name, or one value per row) as an
    object array of ``n`` texts; ``None`` stays ``None``."""
    if groups is None:
        return None
    if isinstance(groups, str):
        cols = table_columns(data, [groups], labels={groups}) if data is not None else {}
        if groups not in cols:
            raise InputError(f"groups names column {groups!r}, which is not in the data", column=groups, value=groups)
        values = np.asarray(cols[groups], dtype=object).reshape(-1)
    else:
        values = np.asarray(groups, dtype=object).reshape(-1)
    if values.size != n:
        raise InputError(f"groups must give one value per row ({n} rows), got {values.size} values", column="groups")
    missing = [i for i, v in enumerate(values.tolist()) if v is None or v != v]
    if missing:
        raise InputError(
            f"groups must name a group on every row; row {missing[0]} has none", column="groups", row=missing[0]
        )
    return np.array([str(v) for v in values.tolist()], dtype=object)


def _fold_count(y: Any, folds: int, groups: Any) -> int:
    """Folds a cross-fit can use: at most ``folds``, and no more than there are
    churned and retained rows (groups holding them, with ``groups``)."""
    if groups is None:
        return min(folds, int(y.sum()), int(y.size - y.sum()))
    codes = np.unique(groups, return_inverse=True)[1].reshape(-1)
    return min(folds, int(np.unique(codes[y > 0]).size), int(np.unique(codes[y == 0]).size))


def _reweight_one(
    model: HealthModel, data: Any, outcome: Any, options: _ReweightOptions, groups: Any = None
) -> ReweightResult:
    """:func:`reweight` of one model on ``data`` (its outcome read); ``groups``
    (one per row) keeps each group's rows in one cross-fit fold."""
    strength, bootstrap, interval, seed, folds = (
        options.strength, options.bootstrap, options.interval, options.seed, options.folds,
    )  # fmt: skip
    if not (isinstance(folds, int) and not isinstance(folds, bool) and folds >= 2):
        raise ValidationError("folds", "must be a whole number >= 2", folds)
    cols = table_columns(data, list(model.metric_names), labels=_label_metrics(model))
    n_all = _row_count(data)
    y_all = _outcome(data, outcome, n_all)
    matrix, score, keep = _design(model, cols)
    y = y_all[keep]
    if y.size < max(10, folds) or y.min() == y.max():
        raise InputError(
            f"need at least {max(10, folds)} scored accounts with both outcomes to re-weight, got {y.size} "
            f"({int(y.sum())} churned; {int((~keep).sum())} of {n_all} accounts without a score)"
        )
    names = list(model.metric_names)
    risk = (100.0 - matrix) / 100.0
    before = np.array([model.metric_weights[m] for m in names])
    current = ((100.0 - score) / 100.0)[:, None]

    def fit_shares(rows: Any) -> Any:
        # the prior and the penalty come from the same rows as the fit, so a
        # fold left out for cross-fitting informs nothing that scores it
        slope = _stats.require_converged(
            _stats.fit_logistic(current[rows], y[rows], l2=1e-6),
            f"the slope of churn on the current score ({len(rows)} of {y.size} accounts)",
            hint="check that the outcome is not a copy of the current score or band",
        ).coef[0]
        prior = max(float(slope), 1e-3) * before
        weights = _stats.fit_logistic(risk[rows], y[rows], l2=strength * len(rows), prior=prior, nonnegative=True)
        what = f"the re-weighting fit on {len(rows)} of {y.size} accounts (strength {strength:g})"
        hint = "raise strength to shrink toward the current weights, or drop metrics that separate churn perfectly"
        return _effective(_stats.require_converged(weights, what, hint))

    every = np.arange(y.size)
    after = fit_shares(every)
    if after.sum() == 0:
        raise FitError(
            f"no metric of the model predicts the outcome: every fitted weight of {names} is 0 on {y.size} accounts; "
            "check that a higher metric score means less churn, or lower strength"
        )
    samples = (
        [fit_shares(idx) for idx in _stats.bootstrap_indices(y.size, bootstrap, seed, stratify=y)] if bootstrap else []
    )

    def risk_of(shares: Any) -> Any:
        fitted = _with_weights(model, dict(zip(names, shares.tolist(), strict=True)))
        return (100.0 - np.asarray(fitted.score_batch(dict(cols), missing_columns="missing").score)[keep]) / 100.0

    new_model = _with_weights(model, dict(zip(names, after.tolist(), strict=True)))
    new_score = 100.0 - 100.0 * risk_of(after)
    cross = _cross_validated(
        y, current[:, 0], fit_shares, risk_of, seed, folds, None if groups is None else np.asarray(groups)[keep]
    )
    dim_names = [d.name for d in model.dimensions]
    dim_of = {m.name: d.name for d in model.dimensions for m in d.metrics}
    report = ReweightReport(
        metrics=_changes(
            names,
            [dim_of[m] for m in names],
            before,
            after,
            _intervals(samples, after, interval),
            [_oriented_auc(y, matrix[:, j]) for j in range(len(names))],
        ),
        dimensions=_changes(
            dim_names,
            dim_names,
            [model.dimension_weights[d] for d in dim_names],
            _dimension_shares(model, after),
            _intervals([_dimension_shares(model, s) for s in samples], _dimension_shares(model, after), interval),
            [math.nan] * len(dim_names),
        ),
        accounts=int(y.size),
        churned=int(y.sum()),
        left_out=int((~keep).sum()),
        strength=float(strength),
        bootstrap=bootstrap,
        interval=float(interval),
        folds=folds,
        auc_before=cross.before,
        auc_after=cross.after,
        fold_auc_before=cross.fold_before,
        fold_auc_after=cross.fold_after,
        in_sample_auc_before=_oriented_auc(y, score),
        in_sample_auc_after=_oriented_auc(y, new_score),
    )
    return ReweightResult(model=new_model, report=report)


@attrs.frozen(kw_only=True)
class SegmentReweight:
    """How one model of a segmented model was re-weighted.

    Attributes:
        model: The model's name.
        segments: The segments it scores (``"(default)"`` for the default
            model: accounts of no or unseen segments).
        accounts: The accounts it scores.
        churned: How many of them churned.
        outcomes: The rarer outcome's count (churned, or retained where fewer).
        report: The re-weighting report (``None`` when it kept its weights).
        note: Why it kept its weights, else ``""``.
    """

    model: str
    segments: tuple[str, ...]
    accounts: int
    churned: int
    outcomes: int
    report: ReweightReport | None
    note: str = ""


@attrs.frozen(kw_only=True)
class SegmentedReweightResult:
    """The re-weighted segmented model and, per model, what changed.

    Attributes:
        model: The segmented model, each model re-weighted on its accounts.
        parts: One :class:`SegmentReweight` per distinct model.
        renewals: Fitted to renewals: how they became outcomes.
    """

    model: SegmentedModel
    parts: tuple[SegmentReweight, ...]
    renewals: RenewalReport | None = None

    @property
    def report(self) -> SegmentedReweightResult:
        """The result itself, whose :meth:`summary` is the report (as a
        :class:`ReweightResult`'s ``report.summary()``)."""
        return self

    def summary(self) -> str:
        """Per model: its segments, accounts and cross-fitted AUC before and
        after, then each re-weighting report."""
        lines = [
            f"re-weighted a segmented model by {self.model.segment_column!r}, each model on the accounts it scores",
            "",
            f"{'model':<20} {'segments':<24} {'accounts':>8} {'churned':>7}  AUC cross-validated  note",
        ]
        for p in self.parts:
            auc = "" if p.report is None else f"{p.report.auc_before:.3f} -> {p.report.auc_after:.3f}"
            lines.append(
                f"{p.model:<20} {', '.join(p.segments):<24} {p.accounts:>8,} {p.churned:>7,}  {auc:<19}  {p.note}"
            )
        for p in self.parts:
            if p.report is not None:
                lines += ["", f"== {p.model} ({', '.join(p.segments)})", p.report.summary()]
        return "\n".join(lines)


def _reweight_segments(
    model: SegmentedModel, data: Any, outcome: Any, options: _ReweightOptions, min_outcomes: int, accounts: Any = None
) -> SegmentedReweightResult:
    """:func:`reweight` of a segmented model: each of its models on its accounts."""
    if isinstance(min_outcomes, bool) or not isinstance(min_outcomes, int) or min_outcomes < 2:
        raise ValidationError("min_outcomes", "must be a whole number of at least 2", min_outcomes)
    for m in {id(m): m for _, m in model.segments}.values():
        _check_reweight(m, options.strength, options.bootstrap, options.interval)
    labels = {model.segment_column} | {n for _, m in model.segments for n in _label_metrics(m)}
    cols = table_columns(data, [*model.metric_names, model.segment_column], labels=labels)
    if model.segment_column not in cols:
        raise InputError(
            f"missing column {model.segment_column!r}: a segmented model needs each account's segment",
            column=model.segment_column,
        )
    y = _outcome(data, outcome, _row_count(data))
    keys = _segment_labels(_segment_column(cols[model.segment_column], model.segment_column), model.segment_column)
    models, groups, inverse = _group_by_model(model, keys)
    uniques = np.unique(keys)
    new: dict[int, HealthModel] = {}
    parts = []
    for m_idx, codes in groups.items():
        m = models[m_idx]
        rows = np.flatnonzero(np.isin(inverse, codes))
        names = tuple(str(uniques[c]) or "(default)" for c in codes)
        sub = {k: np.asarray(v, dtype=object)[rows] if k in labels else np.asarray(v)[rows] for k, v in cols.items()}
        churned = int(y[rows].sum())
        outcomes = min(churned, rows.size - churned)
        part = SegmentReweight(model=m.name, segments=names, accounts=int(rows.size), churned=churned,
                               outcomes=outcomes, report=None)  # fmt: skip
        if outcomes < min_outcomes:
            parts.append(attrs.evolve(part, note=f"kept its weights: {outcomes} outcomes, under min_outcomes"))
            continue
        try:
            fitted = _reweight_one(m, sub, y[rows], options, None if accounts is None else accounts[rows])
        except (FitError, InputError) as exc:
            parts.append(attrs.evolve(part, note=f"kept its weights: {exc}"))
            continue
        new[id(m)] = fitted.model
        parts.append(attrs.evolve(part, report=fitted.report))
    segments = tuple((label, new.get(id(m), m)) for label, m in model.segments)
    default = None if model.default is None else new.get(id(model.default), model.default)
    return SegmentedReweightResult(model=attrs.evolve(model, segments=segments, default=default), parts=tuple(parts))


def _label_metrics(model: HealthModel) -> set[str]:
    return {m.name for d in model.dimensions for m in d.metrics if isinstance(m.scorer, Categories)}


# --------------------------------------------------------------------------- predictive power


NOISE_SE = 2.0
"""How many standard errors of the fold-to-fold differences a change of the
cross-validated AUC must exceed to count as more than noise (see
:func:`metric_power`)."""

Confidence = Literal["sure", "likely", "unsure"]


@attrs.frozen(kw_only=True)
class MetricPower:
    """How well one metric predicts churn, and whether the model needs it.

    Every AUC here but ``auc`` is cross-validated: the mean, over
    ``repeats x folds`` stratified folds, of the AUC on the held-out fold of a
    logistic regression fitted on the other folds (the same folds for every
    set of metrics, so differences are paired).

    Attributes:
        name: The metric.
        auc: AUC of the metric's score alone (observed accounts only; the
            curve is not fitted here, so nothing is fitted to these data).
        iv: In-sample information value of its binned score (descriptive; it
            only names the reason of a drop, never decides one).
        coverage: Share of accounts where it was observed.
        auc_without: Cross-validated AUC of all metrics together without this
            one, next to ``auc_all`` with all of them.
        auc_all: Cross-validated AUC of all metrics together.
        auc_kept: Cross-validated AUC of the metrics recommended for keeping
            (the same for every metric).
        gain: What this metric adds to the kept metrics: the cross-validated
            AUC of the kept metrics with it minus without it (for a kept
            metric, what removing it would lose; for a dropped one, what
            adding it back would win), the mean of the paired per-fold
            differences.
        gain_se: Standard error of ``gain`` from the fold-to-fold spread of
            the paired differences, corrected for the overlap of the training
            folds (Nadeau and Bengio: variance times ``1/n + 1/(folds - 1)``).
        folds_better: In how many of the ``folds_total`` held-out folds the
            AUC with the metric beat the AUC without it.
        folds_total: Held-out folds behind ``gain`` (``repeats x folds``).
        recommendation: ``"keep"``, ``"drop: not predictive"`` (dropped, and
            its information value is below 0.02) or ``"drop: adds nothing
            given the others"``.
        confidence: How sure the recommendation is, from ``z = gain /
            gain_se``: a keep is ``"sure"`` at ``z >= 3``, ``"likely"`` at
            ``z >= 2``, else ``"unsure"`` (kept only because dropping it too
            would take the AUC below all metrics' by more than noise); a drop
            is ``"sure"`` at ``z <= 0`` (adding it back does not raise the
            AUC on average), ``"likely"`` at ``z <= 1``, else ``"unsure"``.
    """

    name: str
    auc: float
    iv: float
    coverage: float
    auc_without: float
    auc_all: float
    auc_kept: float
    gain: float
    gain_se: float
    folds_better: int
    folds_total: int
    recommendation: str
    confidence: Confidence


class _FoldAucs:
    """Per-fold cross-validated AUCs of a logistic regression on sets of metric
    scores, on fixed stratified folds (repeated), cached per set."""

    def __init__(self, risk: Any, y: Any, folds: int, repeats: int, seed: int, groups: Any = None) -> None:
        self.risk = risk
        self.y = y
        self.folds = folds
        self.splits = [_stats.stratified_folds(y, folds, seed + r, groups=groups) for r in range(repeats)]
        self.cache: dict[frozenset[int], Any] = {}

    @property
    def n(self) -> int:
        return len(self.splits) * self.folds

    def aucs(self, columns: frozenset[int]) -> Any:
        """AUC on each held-out fold (``repeats x folds`` values); 0.5 for no metric."""
        if columns not in self.cache:
            self.cache[columns] = self._compute(sorted(columns))
        return self.cache[columns]

    def _compute(self, columns: list[int]) -> Any:
        if not columns:
            return np.full(self.n, 0.5)
        x = self.risk[:, columns]
        out = []
        for r, split in enumerate(self.splits):
            for k in range(self.folds):
                test = split == k
                train = ~test
                fit = _stats.require_converged(
                    _stats.fit_logistic(x[train], self.y[train], l2=1e-3 * train.sum()),
                    f"the logistic regression on {len(columns)} metrics, fold {k + 1} of {self.folds}"
                    f" (repeat {r + 1}, {train.sum()} accounts)",
                    hint="drop metrics that separate churn perfectly, or pass more accounts",
                )
                yt = self.y[test]
                both = 0 < yt.sum() < yt.size
                out.append(_stats.roc_auc(yt, fit.decision_function(x[test])) if both else math.nan)
        return np.asarray(out)

    def difference(self, larger: frozenset[int], smaller: frozenset[int]) -> tuple[float, float, int]:
        """Mean paired per-fold AUC difference ``larger - smaller``, its
        corrected standard error, and the folds where ``larger`` won."""
        diff = self.aucs(larger) - self.aucs(smaller)
        diff = diff[~np.isnan(diff)]
        if diff.size < 2:
            return (float(diff.mean()) if diff.size else math.nan), math.nan, int((diff > 0).sum())
        se = float(diff.std(ddof=1)) * math.sqrt(1 / diff.size + 1 / (self.folds - 1))
        return float(diff.mean()), se, int((diff > 0).sum())


def _beyond_noise(gain: float, se: float) -> bool:
    """Whether an AUC difference exceeds noise (``NOISE_SE`` standard errors)."""
    return gain > NOISE_SE * (se if se == se else 0.0) + 1e-9


def _backward(cv: _FoldAucs, m: int) -> frozenset[int]:
    """Backward elimination: drop, one at a time, the metric whose removal
    costs the least, while its removal lowers the AUC of the current set by
    no more than noise and the smaller set stays within noise of all
    metrics. One metric always stays."""
    every = frozenset(range(m))
    kept = every
    while len(kept) > 1:
        best: tuple[float, int] | None = None
        for j in sorted(kept):
            smaller = kept - {j}
            gain, se, _ = cv.difference(kept, smaller)
            drift, drift_se, _ = cv.difference(every, smaller)
            if _beyond_noise(gain, se) or _beyond_noise(drift, drift_se):
                continue
            if best is None or gain < best[0]:
                best = (gain, j)
        if best is None:
            break
        kept = kept - {best[1]}
    return kept


def _confidence(keep: bool, gain: float, se: float) -> Confidence:
    z = gain / se if se > 0 else (math.inf if gain > 1e-9 else -math.inf if gain < -1e-9 else 0.0)
    if keep:
        return "sure" if z >= 3 else "likely" if z >= NOISE_SE else "unsure"
    return "sure" if z <= 0 else "likely" if z <= 1 else "unsure"


def _check_power(folds: int, repeats: int, n: int) -> None:
    for name, value, low in (("folds", folds, 2), ("repeats", repeats, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValidationError(name, f"must be a whole number >= {low}", value)
    if folds > n:
        raise ValidationError("folds", f"must not exceed the number of accounts ({n})", folds)


def metric_power(
    model: HealthModel,
    data: Any,
    outcome: Any,
    *,
    seed: int = 0,
    folds: int = 5,
    repeats: int = 3,
    groups: Any = None,
) -> tuple[MetricPower, ...]:
    """Predictive power per metric, and which metrics the model can do without.

    The keep/drop advice is validated out of sample. A logistic regression on
    the metric scores is cross-validated on ``repeats`` x ``folds``
    stratified folds (each repeat reshuffled), the same folds for every set of
    metrics, so two sets are compared fold by fold. Metrics are then removed
    one at a time, the cheapest first (backward elimination), while removing
    it lowers the cross-validated AUC of the remaining set by no more than
    noise and the smaller set stays within noise of all metrics. Noise is
    judged from the fold-to-fold spread of the paired differences: a change
    counts when it exceeds ``NOISE_SE`` (2) standard errors, the standard
    error corrected for the overlap of training folds (Nadeau and Bengio).
    Removing one metric at a time matters for correlated metrics: each of two
    copies adds nothing given the other, but dropping both loses their
    signal, and this way one stays. A metric with a low information value is
    still kept when the cross-validation says it helps.

    Args:
        model: The model whose metrics to judge (its curves score the data).
        data: Metric values per account: any data frame family or mapping.
        outcome: 0/1 per account (1 = churned), or the name of that column.
        seed: Seed of the first repeat's folds (repeat ``r`` uses ``seed + r``).
        folds: Stratified folds per repeat, 2 or more.
        repeats: Repeats of the cross-validation, 1 or more.
        groups: Rows that must share a fold: a column name (``"account_id"``
            of a renewal training set, whose rows repeat an account per
            renewal and lead time) or one value per row. Default: every row
            on its own.

    Returns:
        One :class:`MetricPower` per metric, in the model's order, with what
        it adds to the kept metrics, how noisy that is, and how sure the
        advice is.

    Raises:
        InputError: A bad outcome.
        ValidationError: A bad ``folds`` or ``repeats``.
        FitError: A cross-validation fit did not converge.

    Examples:
        >>> from healthscore.datasets import generate_driver_portfolio
        >>> d = generate_driver_portfolio(2000, seed=3)
        >>> power = {p.name: p for p in metric_power(d["model"], d["columns"], d["churned"])}
        >>> power["usage"].recommendation, power["usage"].confidence
        ('keep', 'sure')
        >>> power["noise_product"].recommendation.startswith("drop")
        True
    """
    cols = table_columns(data, list(model.metric_names), labels=_label_metrics(model))
    n_all = _row_count(data)
    y_all = _outcome(data, outcome, n_all)
    _check_power(folds, repeats, y_all.size)
    scored = model.score_batch(dict(cols), metric_scores=True, missing_columns="missing")
    names = list(model.metric_names)
    raw = np.column_stack([np.asarray(scored.metric_scores[m], dtype=np.float64) for m in names])
    cv = _FoldAucs((100.0 - _filled(raw)) / 100.0, y_all, folds, repeats, seed, _row_groups(data, groups, n_all))
    every = frozenset(range(len(names)))
    kept = _backward(cv, len(names))
    auc_all = float(np.nanmean(cv.aucs(every)))
    auc_kept = float(np.nanmean(cv.aucs(kept)))
    return tuple(
        _power_of(cv, raw, y_all, j, name, kept, auc_all=auc_all, auc_kept=auc_kept) for j, name in enumerate(names)
    )


def _power_of(
    cv: _FoldAucs, raw: Any, y: Any, j: int, name: str, kept: frozenset[int], *, auc_all: float, auc_kept: float
) -> MetricPower:
    """The :class:`MetricPower` of metric ``j`` given the kept set."""
    observed = ~np.isnan(raw[:, j])
    iv = math.nan
    if observed.sum() >= 20 and 0 < y[observed].sum() < observed.sum():
        iv = _stats.monotone_bins(raw[observed, j], y[observed], kind="higher_is_better", min_share=0.05).iv
    keep = j in kept
    gain, se, better = cv.difference(kept | {j}, kept - {j})
    if keep:
        advice = "keep"
    elif iv == iv and iv < IV_DROP:
        advice = "drop: not predictive"
    else:
        advice = "drop: adds nothing given the others"
    every = frozenset(range(raw.shape[1]))
    return MetricPower(
        name=name,
        auc=_oriented_auc(y, raw[:, j]),
        iv=float(iv),
        coverage=float(observed.mean()),
        auc_without=float(np.nanmean(cv.aucs(every - {j}))),
        auc_all=auc_all,
        auc_kept=auc_kept,
        gain=gain,
        gain_se=se,
        folds_better=better,
        folds_total=cv.n,
        recommendation=advice,
        confidence=_confidence(keep, gain, se),
    )


# --------------------------------------------------------------------------- thresholds


@attrs.frozen(kw_only=True)
class BandFit:
    """Band thresholds fitted to outcomes.

    Attributes:
        policy: The band policy (best band first), ready for a model.
        alerts: Alert levels starting at the same cut-offs, level for band
            (:meth:`~healthscore.bands.AlertPolicy.following`), so that band
            and alert never disagree; ready for a model beside ``policy``.
        shares: Share of accounts per band.
        churn_rates: Churn rate per band (ordered: worst band highest).
        warnings: What a reader should know (e.g. more than half in the worst band).
    """

    policy: BandPolicy
    alerts: AlertPolicy
    shares: dict[str, float]
    churn_rates: dict[str, float]
    warnings: tuple[str, ...]

    def summary(self) -> str:
        """A readable table."""
        lines = [f"{'band':<10} {'alert':<10} {'from':>6} {'share':>7} {'churn':>7}"]
        for band, level in zip(self.policy.bands, self.alerts.levels, strict=True):
            lines.append(
                f"{band.name:<10} {level.name:<10} {band.min_score:>6.1f} {self.shares[band.name]:>7.1%} "
                f"{self.churn_rates[band.name]:>7.1%}"
            )
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _check_threshold_args(
    k: int, names: tuple[str, ...], red_precision: float | None, max_red_share: float | None, min_share: float
) -> None:
    if k < 2:
        raise ValidationError("base", "must have at least two bands", names)
    for field, value in (("red_precision", red_precision), ("max_red_share", max_red_share)):
        if value is not None and not 0 < value <= 1:
            raise ValidationError(field, "must be in (0, 1]", value)
    if not 0 <= min_share < 1 / k:
        raise ValidationError("min_share", f"must be in [0, {1 / k:.3f}) for {k} bands", min_share)


@attrs.frozen(kw_only=True, eq=False)
class _Cuts:
    """Candidate cut-offs (the scores' percentiles) with, per cut-off, the
    accounts and the churned accounts scoring below it."""

    candidates: Any
    below: Any  # accounts with score < cut
    events_below: Any
    n: float
    events: float

    @classmethod
    def of(cls, s: Any, y: Any) -> _Cuts:
        candidates = np.unique(np.round(np.percentile(s, np.arange(1, 100)), 6))
        order = np.argsort(s)
        sorted_s, sorted_y = s[order], y[order]
        below = np.searchsorted(sorted_s, candidates, side="left")
        events_below = np.r_[0.0, np.cumsum(sorted_y)][below]
        return cls(
            candidates=candidates, below=below, events_below=events_below, n=float(s.size), events=float(y.sum())
        )

    def info_value(self, counts: Any, hits: Any) -> float:
        """Information value of a banding (counts and churned per band), smoothed by half an account."""
        good, bad = counts - hits, hits
        p_good = (good + 0.5) / (self.n - self.events + 0.5 * counts.size)
        p_bad = (bad + 0.5) / (self.events + 0.5 * counts.size)
        return float(np.sum((p_good - p_bad) * np.log(p_good / p_bad)))


def _red_options(cuts: _Cuts, red_precision: float | None, max_red_share: float | None, min_share: float) -> Any:
    """Indices of the cut-offs the worst band's upper edge may take."""
    red_options = np.arange(cuts.candidates.size)
    share = cuts.below / cuts.n
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = cuts.events_below / cuts.below
    if red_precision is not None:
        red_options = red_options[precision[red_options] >= red_precision]
    if max_red_share is not None:
        red_options = red_options[share[red_options] <= max_red_share]
    red_options = red_options[share[red_options] >= min_share]
    if red_options.size == 0:
        raise FitError(
            "no cut-off for the worst band meets red_precision / max_red_share with at least "
            f"{min_share:.0%} of the accounts (red_precision={red_precision}, max_red_share={max_red_share}, "
            f"{int(cuts.n)} scores); relax one of them"
        )
    if red_precision is not None or max_red_share is not None:
        red_options = red_options[-1:]  # the highest such cut-off: flag as many as the targets allow
    return red_options


def _best_cuts(cuts: _Cuts, red_options: Any, k: int, min_share: float) -> tuple[int, ...] | None:
    """The cut-off indices (worst band's upper edge first) of the banding with
    the most information value in which every band holds at least ``min_share``
    of the accounts and churn falls strictly from the worst band to the best."""
    n = cuts.n
    best: tuple[float, tuple[int, ...]] | None = None
    cum_n = np.r_[cuts.below, n]
    cum_e = np.r_[cuts.events_below, cuts.events]
    top = cuts.candidates.size  # index meaning "everything"

    def search(chosen: tuple[int, ...]) -> None:
        nonlocal best
        if len(chosen) == k - 1:
            edges = np.array([*chosen, top])
            counts = np.diff(cum_n[edges], prepend=0.0)
            hits = np.diff(cum_e[edges], prepend=0.0)
            if (counts < max(min_share * n, 1)).any():
                return
            rates = hits / counts
            if not (np.diff(rates) < 0).all():
                return
            value = cuts.info_value(counts, hits)
            if best is None or value > best[0]:
                best = (value, chosen)
            return
        last = chosen[-1]
        for nxt in range(last + 1, top):
            if cum_n[nxt] - cum_n[last] < min_share * n:
                continue
            if n - cum_n[nxt] < min_share * n * (k - 1 - len(chosen)):
                break
            search((*chosen, nxt))

    for r in red_options.tolist():
        search((r,))
    return None if best is None else best[1]


def _band_fit(policy: BandPolicy, alerts: AlertPolicy, cuts: list[float], s: Any, y: Any) -> BandFit:
    """The fitted policy (and the alerts following it) from ascending cut-offs,
    with its shares and churn rates."""
    mins = [*reversed(cuts), 0.0]  # best band first
    bands = [attrs.evolve(b, min_score=m) for b, m in zip(policy.bands, mins, strict=True)]
    fitted = BandPolicy(bands=tuple(bands))
    codes = fitted.codes(s)
    shares = {b.name: float(np.mean(codes == i)) for i, b in enumerate(fitted.bands)}
    rates = {b.name: float(y[codes == i].mean()) if (codes == i).any() else math.nan for i, b in enumerate(bands)}
    warnings = []
    worst = fitted.bands[-1].name
    if shares[worst] > 0.5:
        warnings.append(f"more than half of the accounts ({shares[worst]:.0%}) are in {worst}")
    return BandFit(
        policy=fitted,
        alerts=AlertPolicy.following(fitted, template=alerts),
        shares=shares,
        churn_rates=rates,
        warnings=tuple(warnings),
    )


def choose_thresholds(
    score: Any,
    outcome: Any,
    *,
    base: BandPolicy | None = None,
    alerts: AlertPolicy | None = None,
    red_precision: float | None = None,
    max_red_share: float | None = None,
    min_share: float = 0.05,
) -> BandFit:
    """Choose band cut-offs from scores and outcomes.

    The worst band's upper edge comes first: the highest cut-off whose accounts
    churn at ``red_precision`` or more, and/or that holds at most
    ``max_red_share`` of the accounts (without either, the one the search
    below picks). The other cut-offs are searched over the scores' percentiles
    for the banding with the most information value in which every band holds
    at least ``min_share`` of the accounts and the churn rate falls strictly
    from the worst band to the best.

    The alert levels are fitted with the bands: level ``i`` starts at band
    ``i``'s cut-off (:meth:`~healthscore.bands.AlertPolicy.following`), so a
    model given both (``attrs.evolve(model, bands=fit.policy,
    alerts=fit.alerts)``) never puts a Green account on an "at_risk" alert.

    Args:
        score: Health scores (NaN rows are left out).
        outcome: 0/1 per score (1 = churned).
        base: Band names, playbooks and order (default: green, yellow, orange, red).
        alerts: Alert names and responses, one level per band, healthiest
            first (default: healthy, warning, at_risk, critical); their
            ``min_score`` is replaced by the fitted cut-offs.
        red_precision: Target churn rate of the worst band, in (0, 1].
        max_red_share: Largest share of accounts in the worst band, in (0, 1].
        min_share: Smallest share of accounts in any band.

    Raises:
        InputError: A bad outcome.
        ValidationError: A bad ``base``, ``red_precision``, ``max_red_share``
            or ``min_share``, or ``alerts`` with another number of levels
            than ``base`` has bands.
        FitError: No banding satisfies the constraints (the message says
            which to relax).
    """
    policy = base or default_bands()
    levels = alerts or default_alerts()
    AlertPolicy.following(policy, template=levels)  # one level per band, checked before any work
    s = np.asarray(score, dtype=np.float64)
    y = _outcome(None, outcome, s.size)
    keep = ~np.isnan(s)
    s, y = s[keep], y[keep]
    if s.size == 0:
        raise InputError(f"score must hold at least one number to choose thresholds; all {keep.size} are NaN")
    k = len(policy.bands)
    _check_threshold_args(k, policy.names, red_precision, max_red_share, min_share)
    cuts = _Cuts.of(s, y)
    best = _best_cuts(cuts, _red_options(cuts, red_precision, max_red_share, min_share), k, min_share)
    if best is None:
        raise FitError(
            f"churn rates cannot be strictly ordered across {k} bands with at least {min_share:.0%} of the accounts "
            f"each ({s.size} scores, {int(y.sum())} churned); use fewer bands or a smaller min_share"
        )
    ascending = [float(cuts.candidates[i]) for i in best]  # the worst band's edge first
    return _band_fit(policy, levels, ascending, s, y)


# --------------------------------------------------------------------------- scorecards


@attrs.frozen(kw_only=True)
class ColumnFit:
    """How one raw column became a metric.

    Attributes:
        name: The column (and metric).
        kind: Its kind.
        dimension: The dimension it went to.
        scorer: The fitted curve or category table.
        bins: Bin edges (numbers) or categories (labels).
        counts: Accounts per bin.
        churn_rates: Churn rate per bin.
        points: Score per bin (0..100).
        iv: Information value.
        auc: AUC of the column's score alone.
        weight: Fitted weight (share of the score); 0 when dropped.
        note: Why it was dropped, if it was.
        shape: The learned shape of an ``"auto"`` column (``"increasing"``,
            ``"decreasing"``, ``"peaked"``, ``"valley"`` or ``"free"``, in
            health terms; ``"flat"`` when nothing was learned and the column
            was dropped); empty for the other kinds.
        shape_losses: The evidence for it: ``(shape, log loss)`` of every
            candidate, cross-validated inside the training data.
        simplification: In-sample log loss added by simplifying the learned
            shape to the curve's few breakpoints (NaN for the other kinds).
        points_range: The points of the 0..100 score the column can move: its
            weight times the span of its curve or table, missing and unknown
            scores included (:func:`healthscore._points.points_range`, the
            rule of the model displays too). NaN when dropped.
        variance_share: Its share of the score's variance over the accounts
            fitted on (in-sample): the covariance of its contribution (weight
            x curve) with the score, over the score's variance. The shares of
            the kept columns add up to 1; a column that mostly repeats
            another's information takes a small one. NaN when dropped.
        auc_drop: How much the in-sample AUC falls when the column is removed
            and the others keep their weights (re-normalised). NaN when dropped.
        contradiction: When the data contradict a direction the user
            imposed (``"higher_is_better"`` or ``"lower_is_better"``) strongly,
            what they say (the column's AUC the other way); the fit still
            obeys the user. Else ``""``.
        redundant_with: The column's labels (``"(missing)"`` for a missing
            value) that hold the same accounts as a label of an earlier
            column (at least ``_shapes.OVERLAP`` of them shared), as ``(label,
            other column, its label)``: one fact in several columns, fitted
            in the earlier column only; here the label scores the column's
            neutral score (the mean of its other accounts').
    """

    name: str
    kind: str
    dimension: str
    scorer: Piecewise | Categories | None
    bins: tuple[Any, ...]
    counts: tuple[int, ...]
    churn_rates: tuple[float, ...]
    points: tuple[float, ...]
    iv: float
    auc: float
    weight: float
    note: str = ""
    shape: str = ""
    shape_losses: tuple[tuple[str, float], ...] = ()
    simplification: float = math.nan
    points_range: float = math.nan
    variance_share: float = math.nan
    auc_drop: float = math.nan
    contradiction: str = ""
    redundant_with: tuple[tuple[str, str, str], ...] = ()


@attrs.frozen(kw_only=True)
class ScorecardReport:
    """What :func:`fit_scorecard` built.

    Attributes:
        columns: How each column became a metric.
        bands: The fitted bands.
        accounts: Accounts fitted on.
        churned: Of which churned.
        auc: In-sample AUC of the model's score.
        shape_cycles: Boosting cycles of the joint additive fit of the ``"auto"``
            and ``"categorical"`` columns (0 without such columns).
        shape_log_loss: In-sample log loss of the joint additive fit before and
            after its simplification to curves and tables (empty without
            ``"auto"`` or ``"categorical"`` columns).
        shape_auc: In-sample AUC of the joint additive fit before and after simplification.
    """

    columns: tuple[ColumnFit, ...]
    bands: BandFit
    accounts: int
    churned: int
    auc: float
    shape_cycles: int = 0
    shape_log_loss: tuple[float, ...] = ()
    shape_auc: tuple[float, ...] = ()

    def summary(self) -> str:
        """A readable text summary."""
        lines = [
            f"scorecard fitted on {self.accounts:,} accounts ({self.churned:,} churned); in-sample AUC {self.auc:.3f}",
            "",
            "(points: the score points the column can move, its weight times its curve's span; variance: its "
            "share of the score's variance; AUC drop: when it is removed; all in-sample)",
            f"{'column':<28} {'kind':<17} {'bins':>4} {'IV':>6} {'AUC':>6} {'weight':>7} {'points':>6} "
            f"{'var':>6} {'AUC drop':>8}  note",
        ]
        for c in self.columns:
            kind = f"auto: {c.shape}" if c.shape else c.kind
            lines.append(
                f"{c.name:<28} {kind:<17} {len(c.counts):>4} {c.iv:>6.3f} {_num(c.auc)} {c.weight:>7.1%} "
                f"{_fixed(c.points_range, 1, 6)} {_fixed(100 * c.variance_share, 1, 5, '%')} "
                f"{_fixed(c.auc_drop, 4, 8)}  {c.note}"
            )
        said = [f"  {c.name}: {c.contradiction}" for c in self.columns if c.contradiction]
        if said:
            lines += ["", "kinds the data contradict (fitted as asked; 'auto' learns the shape):", *said]
        repeated = [f"  {c.name} {a!r} = {other} {b!r}" for c in self.columns for a, other, b in c.redundant_with]
        if repeated:
            lines += [
                "",
                "one fact in several columns (fitted once, in the first column; the others' label scores the "
                "column's neutral score):",
                *repeated,
            ]
        if self.shape_auc:
            lines += ["", *self._shape_lines()]
        lines += ["", "bands fitted to churn:", self.bands.summary()]
        return "\n".join(lines)

    def _shape_lines(self) -> list[str]:
        lines = [
            f"joint additive fit ({self.shape_cycles} boosting cycles), in-sample: AUC {self.shape_auc[0]:.4f} fine, "
            f"{self.shape_auc[1]:.4f} as curves and tables; log loss {self.shape_log_loss[0]:.4f} fine, "
            f"{self.shape_log_loss[1]:.4f} as curves and tables",
        ]
        evidence = [
            f"  {c.name:<26} {c.shape:<10}  {'  '.join(f'{s} {v:.4f}' for s, v in c.shape_losses)}"
            f"  (as a curve: +{c.simplification:.4f})"
            for c in self.columns
            if c.shape_losses
        ]
        if evidence:
            lines += [
                "shape evidence, log loss cross-validated inside the training data (chosen: the simplest within "
                f"{_shapes.TOLERANCE:g} of the best), and the in-sample log loss the column's simplification adds:",
                *evidence,
            ]
        return lines


@attrs.frozen(kw_only=True)
class ScorecardResult:
    """The fitted model and the report of what was fitted (and, fitted to
    renewals, how they became outcomes)."""

    model: HealthModel
    report: ScorecardReport
    renewals: RenewalReport | None = None


def _scale(woe: Any) -> Any:
    lo, hi = float(np.min(woe)), float(np.max(woe))
    if hi - lo <= 0:
        return np.full(len(woe), 50.0)
    return np.round((np.asarray(woe) - lo) / (hi - lo) * 100.0, 4)


def _fit_numeric(
    name: str, kind: str, x: Any, y: Any, max_bins: int, min_share: float, learned: _shapes.Learned | None = None
) -> ColumnFit:
    if learned is not None:
        flat = learned.span <= 1e-9 or len(learned.points) < 2
        scorer = None if flat else Piecewise(points=learned.points, missing=learned.missing)
        return ColumnFit(
            name=name,
            kind=kind,
            dimension="",
            scorer=scorer,
            bins=learned.edges,
            counts=learned.counts,
            churn_rates=learned.churn_rates,
            points=tuple(p for _, p in learned.points),
            iv=learned.iv,
            auc=math.nan,
            weight=0.0,
            note="dropped: the learned shape is flat" if flat else "",
            shape="flat" if flat else learned.shape,
            shape_losses=learned.losses,
            simplification=learned.simplification,
        )
    observed = ~np.isnan(x)
    binning = _stats.monotone_bins(x, y, kind=kind, max_bins=max_bins, min_share=min_share)  # type: ignore[arg-type]
    if binning.n_bins < 2:
        return ColumnFit(
            name=name,
            kind=kind,
            dimension="",
            scorer=None,
            bins=(),
            counts=tuple(binning.counts.tolist()),
            churn_rates=tuple(binning.event_rates.tolist()),
            points=(),
            iv=binning.iv,
            auc=math.nan,
            weight=0.0,
            note="dropped: one bin, no signal",
        )
    codes = binning.assign(x[observed])
    centres = np.array([float(np.median(x[observed][codes == b])) for b in range(binning.n_bins)])
    points = _scale(binning.woe)
    missing = None
    if binning.missing_count >= max(min_share * x.size, 1) and binning.missing_woe == binning.missing_woe:
        lo, hi = float(binning.woe.min()), float(binning.woe.max())
        missing = float(np.clip((binning.missing_woe - lo) / (hi - lo) * 100.0, 0.0, 100.0))
    scorer = Piecewise(points=tuple(zip(centres.tolist(), points.tolist(), strict=True)), missing=missing)
    return ColumnFit(
        name=name,
        kind=kind,
        dimension="",
        scorer=scorer,
        bins=tuple(binning.edges.tolist()),
        counts=tuple(binning.counts.tolist()),
        churn_rates=tuple(binning.event_rates.tolist()),
        points=tuple(points.tolist()),
        iv=binning.iv,
        auc=math.nan,
        weight=0.0,
    )


def _labels(values: Any) -> list[str]:
    """A categorical column's labels as texts, blank for a missing one."""
    return ["" if is_missing(v) else str(v).strip() for v in np.asarray(values, dtype=object).reshape(-1).tolist()]


def _fit_categorical(name: str, table: _shapes.LearnedTable, repeats: Sequence[_shapes.Repeat]) -> ColumnFit:
    """A categorical column's table, from its learned (joint) scores."""
    flat = table.span <= 1e-9 or not table.table
    repeated = tuple((r.label, r.other, r.other_label) for r in repeats)
    note = "dropped: one category, no signal"
    if flat and repeated:
        note = "dropped: its labels repeat facts other columns fit"
    return ColumnFit(
        name=name,
        kind="categorical",
        dimension="",
        scorer=None if flat else Categories(table=table.table, missing=table.missing, unknown=table.unknown),
        bins=table.labels,
        counts=table.counts,
        churn_rates=table.churn_rates,
        points=() if flat else table.scores,
        iv=table.iv,
        auc=math.nan,
        weight=0.0,
        note=note if flat else "",
        redundant_with=repeated,
    )


@overload
def fit_scorecard(
    data: Any,
    outcome: Any,
    kinds: Mapping[str, str] | None = None,
    *,
    dimensions: Mapping[str, str] | None = None,
    max_bins: int = 8,
    min_share: float = 0.05,
    strength: float = 1e-4,
    red_precision: float | None = None,
    max_red_share: float | None = 0.25,
    name: str = "scorecard",
    max_breakpoints: int = 8,
    segment: None = None,
    renewals: Any = None,
    lead_days: int | Sequence[int] | None = None,
) -> ScorecardResult: ...


@overload
def fit_scorecard(
    data: Any,
    outcome: Any,
    kinds: Mapping[str, str] | None = None,
    *,
    dimensions: Mapping[str, str] | None = None,
    max_bins: int = 8,
    min_share: float = 0.05,
    strength: float = 1e-4,
    red_precision: float | None = None,
    max_red_share: float | None = 0.25,
    name: str = "scorecard",
    max_breakpoints: int = 8,
    segment: str,
    renewals: Any = None,
    lead_days: int | Sequence[int] | None = None,
) -> SegmentedResult: ...


def fit_scorecard(
    data: Any,
    outcome: Any,
    kinds: Mapping[str, str] | None = None,
    *,
    dimensions: Mapping[str, str] | None = None,
    max_bins: int = 8,
    min_share: float = 0.05,
    strength: float = 1e-4,
    red_precision: float | None = None,
    max_red_share: float | None = 0.25,
    name: str = "scorecard",
    max_breakpoints: int = 8,
    segment: str | None = None,
    renewals: Any = None,
    lead_days: int | Sequence[int] | None = None,
) -> ScorecardResult | SegmentedResult:
    """Build a model from raw columns and an outcome.

    Each numeric column is binned so that its churn rate is monotone in the
    column's direction (or peaked), the bins' weights of evidence become a
    0..100 scale, and the curve runs piecewise-linearly through the bins'
    medians (clamped outside). Missing values that are common enough get
    their own score; rarer ones follow the model's re-normalisation.

    An ``"auto"`` column learns its shape from the data: all ``"auto"``
    columns are fitted together as an additive logistic model (cyclic boosting
    of one shape per column on fine quantile bins, see
    :mod:`healthscore._shapes`), each column's shape (increasing, decreasing,
    peaked, valley or free) and the number of boosting cycles chosen by
    cross-validation inside the training data, then each shape is simplified
    to a curve of at most ``max_breakpoints`` breakpoints. The report gives
    each column's shape with its evidence and the simplification's cost.
    A ``"categorical"`` column is fitted in the same additive model, one
    unordered bin per label (labels under ``min_share`` pooled), and becomes
    a category table of every label seen in training. A label (or a missing
    value) holding the same accounts as one of an earlier column in ``kinds``
    order is one fact: it is fitted there only, scores its own column's
    neutral score, and is reported (``ColumnFit.redundant_with``).

    Weights come from a non-negative logistic
    regression of churn on the metric scores; columns fitted a zero weight are
    left out, and band thresholds are fitted to churn (:func:`choose_thresholds`).

    Args:
        data: The raw columns (any data frame family or mapping).
        outcome: 0/1 per account (1 = churned), or the name of that column.
        kinds: Column -> ``"auto"`` (learn the shape), ``"higher_is_better"``,
            ``"lower_is_better"``, ``"peaked"`` or ``"categorical"``. The
            kinds a user imposes from domain knowledge are constraints. Omitted
            (``None``): every column but the outcome, the segment and the keys,
            ``"auto"`` for numbers and ``"categorical"`` for labels
            (:func:`default_kinds`).
        dimensions: Column -> dimension name (default: one dimension, "fitted").
        max_bins: Most bins per numeric column.
        min_share: Smallest share of accounts per bin (and per band).
        strength: Ridge strength per account on the weights.
        red_precision: Churn rate the worst band should reach (optional).
        max_red_share: Largest share of accounts in the worst band (default 0.25).
        name: The model's name.
        max_breakpoints: Most breakpoints of an ``"auto"`` column's curve (at least 2).
        segment: A column naming each account's segment: fit one model per
            segment, shrunk toward the pooled model where a segment has few
            outcomes, and return a :class:`SegmentedResult` (see
            :func:`fit_segments`, which also takes the shrinkage settings).
        renewals: Fit to renewals won and lost instead of ``outcome`` (which
            is then ``None``): a table of ``account_id``, ``renewal_date``,
            ``renewed`` (1/0), with ``data`` the source of the point-in-time
            features -- a history store, exports or a table of dated features
            (see :func:`renewal_training_set`, whose columns and outcome are
            then fitted as ``data`` and ``outcome``; its report is the
            result's ``renewals``).
        lead_days: With ``renewals``: days before each renewal to take the
            features (default 90; several give one row per renewal and lead).

    Returns:
        The model (``.model``, an ordinary :class:`~healthscore.HealthModel`)
        and what was fitted (``.report``); with ``segment``, a
        :class:`~healthscore.model.SegmentedModel` and a
        :class:`SegmentedReport`.

    Raises:
        ValidationError: A bad kind, or a dimension for a column not in ``kinds``.
        InputError: A column missing from the data, a numeric column holding
            text, or a bad outcome.
        FitError: No column predicts the outcome, or no banding keeps churn
            ordered (see :func:`choose_thresholds`).

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> usage = rng.uniform(0, 100, 2000)
        >>> churned = (rng.random(2000) < 0.4 - usage / 300).astype(int)
        >>> card = fit_scorecard({"usage": usage}, churned, {"usage": "higher_is_better"})
        >>> card.model.score({"usage": 95}).score > card.model.score({"usage": 5}).score
        True
        >>> learned = fit_scorecard({"usage": usage}, churned, {"usage": "auto"})
        >>> learned.report.columns[0].shape
        'increasing'
    """
    wanted = None if kinds is None else [*kinds, *([segment] if segment else [])]
    training = _renewal_data(data, outcome, renewals, lead_days, wanted)
    if training is not None:
        data, outcome = training.columns, training.outcome
    if kinds is None:
        skip = {*_KEY_COLUMNS, *([segment] if segment else []), *([outcome] if isinstance(outcome, str) else [])}
        kinds = default_kinds(data, exclude=skip)
    settings = _ScorecardSettings(
        dimensions=dimensions, max_bins=max_bins, min_share=min_share, strength=strength, name=name,
        red_precision=red_precision, max_red_share=max_red_share, max_breakpoints=max_breakpoints,
    )  # fmt: skip
    result: ScorecardResult | SegmentedResult
    if segment is not None:
        segment_settings = _SegmentSettings(column=segment, scorecard=settings)
        result = _fit_segmented(data, outcome, kinds, segment_settings, _accounts(training))
    else:
        result = _fit_single(data, outcome, kinds, settings, _accounts(training))
    return result if training is None else attrs.evolve(result, renewals=training.report)


def _fit_single(
    data: Any, outcome: Any, kinds: Mapping[str, str], settings: _ScorecardSettings, groups: Any
) -> ScorecardResult:
    """One scorecard (:func:`fit_scorecard` without a segment); ``groups``
    (one per row, or ``None``) keep a group's rows (an account's renewals) in
    one inner fold of the shapes' fit."""
    dimensions, max_bins, min_share = settings.dimensions, settings.max_bins, settings.min_share
    strength, name, max_breakpoints = settings.strength, settings.name, settings.max_breakpoints
    red_precision, max_red_share = settings.red_precision, settings.max_red_share
    dims = _check_kinds(kinds, dimensions)
    if isinstance(max_breakpoints, bool) or not isinstance(max_breakpoints, int) or max_breakpoints < 2:
        raise ValidationError("max_breakpoints", "must be a whole number of at least 2", max_breakpoints)
    labels = {c for c, k in kinds.items() if k == "categorical"}
    cols = table_columns(data, list(kinds), labels=labels)
    absent = [c for c in kinds if c not in cols]
    if absent:
        raise InputError(f"columns {absent} named in kinds are not in the data", column=absent[0])
    n = _n_rows(cols)
    y = _outcome(data, outcome, n)
    joint: dict[str, Any] = {
        c: _labels(cols[c]) if k == "categorical" else _column_numbers(c, k, cols[c])
        for c, k in kinds.items()
        if k in ("auto", "categorical")
    }
    learning = None
    if joint:
        learning = _shapes.learn(
            joint, y.astype(np.float64), categorical=labels, max_breakpoints=max_breakpoints,
            min_missing=min_share * n, groups=groups,
        )  # fmt: skip
    fits = [_fit_column(column, kind, cols[column], y, max_bins, min_share, learning) for column, kind in kinds.items()]
    usable = [f for f in fits if f.scorer is not None]
    if not usable:
        raise FitError(
            f"no column separates churned from retained accounts: nothing to fit ({_notes(fits)}); "
            "try more accounts, a smaller min_share or more max_bins"
        )
    raw = np.column_stack([np.asarray(f.scorer(np.asarray(cols[f.name])), dtype=np.float64) for f in usable])  # type: ignore[misc]
    matrix = _filled(raw)
    fit = _stats.require_converged(
        _stats.fit_logistic((100.0 - matrix) / 100.0, y, l2=strength * n, nonnegative=True),
        f"the scorecard weights of {len(usable)} columns on {n} accounts (strength {strength:g})",
        hint="raise strength, or leave out columns that separate churn perfectly",
    )
    shares = _effective(fit)
    kept = shares > 1e-9
    if not kept.any():
        raise FitError(
            f"every fitted weight of {[f.name for f in usable]} is 0: no column predicts the outcome; "
            "check each column's kind (a higher score must mean less churn)"
        )
    done: dict[str, ColumnFit] = {}
    for j, f in enumerate(usable):
        note = "" if kept[j] else "dropped: adds nothing given the others"
        done[f.name] = attrs.evolve(
            f, dimension=dims.get(f.name, "fitted"), weight=float(shares[j]), auc=_oriented_auc(y, raw[:, j]), note=note
        )
    kept_fits = [done[f.name] for j, f in enumerate(usable) if kept[j]]
    draft = HealthModel(name=name, dimensions=_scorecard_dimensions(kept_fits), description="fitted scorecard")
    scored = draft.score_batch(dict(cols), metric_scores=True, missing_columns="missing")
    score = np.asarray(scored.score, dtype=np.float64)
    bands = choose_thresholds(score, y, red_precision=red_precision, max_red_share=max_red_share, min_share=min_share)
    model = attrs.evolve(draft, bands=bands.policy, alerts=bands.alerts)
    for f in _importance(kept_fits, matrix[:, kept], scored.metric_scores, y, score):
        done[f.name] = f
    report = ScorecardReport(
        columns=tuple(done.get(f.name, f) for f in fits),
        bands=bands,
        accounts=n,
        churned=int(y.sum()),
        auc=_oriented_auc(y, score),
        shape_cycles=0 if learning is None else learning.cycles,
        shape_log_loss=() if learning is None else learning.log_loss,
        shape_auc=() if learning is None else learning.auc,
    )
    return ScorecardResult(model=model, report=report)


_IDENTITY = Piecewise(points=((0.0, 0.0), (100.0, 100.0)))
"""A curve that gives back the metric score it is given."""


def _importance(
    kept: list[ColumnFit], filled: Any, metric_scores: Mapping[str, Any], y: Any, score: Any
) -> list[ColumnFit]:
    """Each kept column's points range, share of the score's variance and
    AUC drop when removed (see :class:`ColumnFit`), in-sample, from the
    scorecard's ``score`` and its ``metric_scores``."""
    weights = np.array([f.weight for f in kept])
    contributions = filled * weights
    total = contributions.sum(axis=1)
    spread = float(np.var(total))
    centred = total - total.mean()
    auc = _oriented_auc(y, score)
    # a model without one column re-scores the columns' scores through identity curves, so the
    # scoring rule (renormalising over missing metrics) is the model's own, not a copy
    as_scored = {f.name: np.asarray(metric_scores[f.name], dtype=np.float64) for f in kept}
    out = []
    for j, f in enumerate(kept):
        points = points_range(f.weight, f.scorer)
        share = float(np.mean((contributions[:, j] - contributions[:, j].mean()) * centred) / spread) if spread else 0.0
        drop = math.nan
        others = [attrs.evolve(g, scorer=_IDENTITY) for g in kept if g.name != f.name]
        if others:
            without = HealthModel(name="without", dimensions=_scorecard_dimensions(others))
            rest = np.asarray(without.score_batch(as_scored, missing_columns="missing").score, dtype=np.float64)
            drop = auc - _oriented_auc(y, rest)
        out.append(attrs.evolve(f, points_range=points, variance_share=share, auc_drop=drop))
    return out


def default_kinds(data: Any, *, exclude: Collection[str] = ()) -> dict[str, str]:
    """The kinds :func:`fit_scorecard` gives columns when none are named:
    ``"auto"`` (the shape learned from the data) for every column of numbers
    (booleans included), ``"categorical"`` for every column of labels. A
    column of labels with more distinct values than half its rows (and more
    than 20) reads as ids or free text and is left out, as are columns of
    dates and the ``exclude`` columns (the outcome, the segment, the keys).

    Examples:
        >>> default_kinds({"account_id": ["a", "b"], "usage": [1.0, 2.0], "plan": ["pro", "basic"]},
        ...               exclude={"account_id"})
        {'usage': 'auto', 'plan': 'categorical'}
    """
    names = [c for c in column_names(data) if c not in exclude]
    cols = table_columns(data, names)
    kinds: dict[str, str] = {}
    for name in names:
        kind = _default_kind(np.asarray(cols[name]))
        if kind is not None:
            kinds[name] = kind
    if not kinds:
        raise ValidationError("kinds", "must name the columns to fit: the data has none of numbers or labels", names)
    return kinds


def _default_kind(values: Any) -> str | None:
    """``"auto"``, ``"categorical"`` or ``None`` (left out) for one column."""
    if values.dtype.kind in "biuf":
        return "auto"
    if values.dtype.kind not in "OUS":
        return None  # dates, durations
    present = [v for v in values.reshape(-1).tolist() if not is_missing(v)]
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return "auto"
    if any(not isinstance(v, str | bool) for v in present):
        return None
    distinct = len(set(present))
    return None if distinct > max(20, len(present) // 2) else "categorical"


def _check_kinds(kinds: Mapping[str, str], dimensions: Mapping[str, str] | None) -> dict[str, str]:
    """Check the kinds and the dimension of each column; the dimensions as a dict."""
    if not kinds:
        raise ValidationError("kinds", "must name at least one column and its kind", dict(kinds))
    for column, kind in kinds.items():
        if kind not in KINDS:
            raise ValidationError(f"kinds[{column!r}]", f"must be one of {list(KINDS)}", kind)
    dims = dict(dimensions or {})
    unknown = sorted(set(dims) - set(kinds))
    if unknown:
        raise ValidationError("dimensions", "must only name columns in kinds", unknown)
    return dims


def _fit_column(
    column: str,
    kind: str,
    values: Any,
    y: Any,
    max_bins: int,
    min_share: float,
    learning: _shapes.Learning | None = None,
) -> ColumnFit:
    """One raw column's curve or category table (an ``"auto"`` or categorical
    column's from the joint additive fit)."""
    learned = None if learning is None else learning.columns.get(column)
    repeats = () if learning is None else [r for r in learning.repeats if r.column == column]
    if isinstance(learned, _shapes.LearnedTable):
        return _fit_categorical(column, learned, repeats)
    x = _column_numbers(column, kind, values)
    fitted = _fit_numeric(column, kind, x, y, max_bins, min_share, learned)
    said = _contradiction(kind, x, y)
    fitted = attrs.evolve(fitted, contradiction=said) if said else fitted
    return attrs.evolve(fitted, redundant_with=tuple((r.label, r.other, r.other_label) for r in repeats))


def _contradiction(kind: str, x: Any, y: Any) -> str:
    """What the data say against a direction the user imposed, when they say
    it strongly: the column's AUC in that direction more than three standard
    errors (under no relation: ``sqrt((n1 + n0 + 1) / (12 n1 n0))``) below
    0.5; else ``""``. The fit still obeys the user."""
    if kind not in ("higher_is_better", "lower_is_better"):
        return ""
    keep = ~np.isnan(x)
    churned = int(y[keep].sum())
    retained = int(keep.sum()) - churned
    if churned < 10 or retained < 10:
        return ""
    risk = -x[keep] if kind == "higher_is_better" else x[keep]  # as imposed: a higher risk churns more
    auc = _stats.roc_auc(y[keep], risk)
    if auc >= 0.5 - 3 * math.sqrt((churned + retained + 1) / (12 * churned * retained)):
        return ""
    more = "higher" if kind == "higher_is_better" else "lower"
    return (
        f"the data contradict {kind}: accounts with {more} values churn more (AUC {1 - auc:.3f} the other way, "
        f"{churned + retained:,} accounts); fitted as {kind}, as asked"
    )


def _column_numbers(column: str, kind: str, values: Any) -> Any:
    """A numeric column's values as floats (NaN for missing), or an error naming the first bad row."""
    try:
        x = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        cells = np.asarray(values, dtype=object).reshape(-1).tolist()
        row = next((i for i, v in enumerate(cells) if not _is_number(v)), 0)
        raise InputError(
            f"column {column!r} is {kind} but holds values that are not numbers; row {row} is {cells[row]!r}; "
            "call it 'categorical' or clean it",
            column=column,
            row=row,
            value=cells[row],
        ) from None
    return x


def _notes(fits: list[ColumnFit]) -> str:
    return "; ".join(f"{f.name}: {f.note}" for f in fits)


def _scorecard_dimensions(kept: list[ColumnFit]) -> tuple[Dimension, ...]:
    """The fitted columns as metrics, grouped by dimension in order of first appearance."""
    groups: dict[str, list[Metric]] = {}
    for f in kept:
        if f.scorer is not None:
            groups.setdefault(f.dimension, []).append(
                Metric(
                    name=f.name,
                    scorer=f.scorer,
                    weight=round(f.weight * 100, 6),
                    description=f"fitted {f.kind} curve, IV {f.iv:.3f}",
                )
            )
    return tuple(
        Dimension(name=d, metrics=tuple(ms), weight=round(sum(m.weight for m in ms), 6)) for d, ms in groups.items()
    )


# --------------------------------------------------------------------------- probability


@attrs.frozen(kw_only=True)
class ChurnCalibration:
    """A calibrated map from health score to churn probability.

    Attributes:
        method: ``"isotonic"`` or ``"platt"``.
        fit: The fitted map (isotonic: with each block's rate smoothed, see
            :func:`churn_probability`).
        reliability: Predicted vs observed churn per probability bin, in sample.
        brier: Brier score of the calibrated probabilities, in sample (lower is better).
        log_loss: Their log loss, in sample.
        base_rate: The overall churn rate.
        prior: Pseudo-accounts at the overall rate added to each isotonic block.
        folds: Folds of the cross-fit behind the held-out figures (0: too few
            churned or retained accounts to hold any out; the figures are NaN).
        held_out_brier: Brier score on held-out accounts: each fold's
            probabilities come from a map fitted to the other folds.
        held_out_log_loss: Log loss on the same held-out probabilities.
        held_out_reliability: The reliability table of those probabilities
            (``None`` without folds).
    """

    method: str
    fit: _stats.IsotonicFit | _stats.PlattFit
    reliability: _stats.ReliabilityTable
    brier: float
    log_loss: float
    base_rate: float
    prior: float = 0.0
    folds: int = 0
    held_out_brier: float = math.nan
    held_out_log_loss: float = math.nan
    held_out_reliability: _stats.ReliabilityTable | None = None

    def predict(self, score: Any) -> Any:
        """Churn probability for a score (or an array of scores)."""
        return self.fit.predict(score)

    def summary(self) -> str:
        """The reliability table and the scores, held out and in sample."""
        t = self.reliability
        lines = [
            f"{self.method} calibration (base rate {self.base_rate:.1%}, Brier of always predicting it "
            f"{self.base_rate * (1 - self.base_rate):.4f})",
            f"held out ({self.folds}-fold cross-fit): Brier {self.held_out_brier:.4f}, "
            f"log loss {self.held_out_log_loss:.4f}"
            if self.folds
            else "held out: too few churned or retained accounts for two folds",
            f"in sample: Brier {self.brier:.4f}, log loss {self.log_loss:.4f}",
            f"{'predicted':>10} {'observed':>9} {'accounts':>9}  (in sample)",
        ]
        for i in np.flatnonzero(t.nonempty).tolist():
            lines.append(f"{t.mean_predicted[i]:>10.1%} {t.observed_rate[i]:>9.1%} {int(t.count[i]):>9,}")
        return "\n".join(lines)


def _smoothed(curve: _stats.IsotonicFit, s: Any, y: Any, prior: float) -> _stats.IsotonicFit:
    """``curve`` with each block's churn rate ``(churned + prior * p0) /
    (accounts + prior)``, ``p0 = (all churned + 1) / (all accounts + 2)``, and
    the blocks pooled again where smoothing broke the order (a small block
    moves further toward ``p0`` than a large one)."""
    yk, xk = curve.y_knots, curve.x_knots
    starts = np.r_[0, np.flatnonzero(np.diff(yk) != 0) + 1]  # runs of one value: the blocks
    ends = np.r_[starts[1:] - 1, yk.size - 1]
    order = np.argsort(s, kind="stable")
    sorted_s, events_to = s[order], np.r_[0.0, np.cumsum(y[order])]
    lo = np.searchsorted(sorted_s, xk[starts], side="left")
    hi = np.searchsorted(sorted_s, xk[ends], side="right")
    counts, events = (hi - lo).astype(np.float64), events_to[hi] - events_to[lo]
    p0 = (float(y.sum()) + 1.0) / (y.size + 2.0)
    rates = (events + prior * p0) / (counts + prior)
    blocks = np.arange(rates.size, dtype=np.float64)
    pooled = _stats.isotonic_fit(blocks, rates, counts + prior, increasing=curve.increasing).predict(blocks)
    return _stats.IsotonicFit(x_knots=xk, y_knots=np.repeat(pooled, ends - starts + 1), increasing=curve.increasing)


def _calibration_map(s: Any, y: Any, method: str, prior: float) -> _stats.IsotonicFit | _stats.PlattFit:
    """The map of :func:`churn_probability` fitted to ``s`` and ``y``."""
    if method == "isotonic":
        curve = _stats.isotonic_fit(s, y, increasing=False)
        return _smoothed(curve, s, y, prior) if prior > 0 and s.size else curve
    platt = _stats.platt_fit(s, y)
    if not platt.converged:
        raise FitError(
            f"the Platt map on {s.size} scores did not converge",
            what=f"the Platt map on {s.size} scores",
            hint="check that both outcomes occur, or use method='isotonic', which always fits",
        )
    return platt


def _cross_fit(s: Any, y: Any, method: str, prior: float, folds: int, seed: int, groups: Any = None) -> tuple[int, Any]:
    """Held-out probabilities: each fold's from a map fitted to the others
    (as many folds as there are churned and retained accounts, up to ``folds``;
    0 folds and no probabilities below two); a group's rows share a fold."""
    k = _fold_count(y, folds, groups)
    if k < 2:
        return 0, None
    fold = _stats.stratified_folds(y, k, seed, groups=groups)
    p = np.empty(y.size)
    for f in range(k):
        test = fold == f
        p[test] = _calibration_map(s[~test], y[~test], method, prior).predict(s[test])
    return k, np.clip(p, 0.0, 1.0)


def churn_probability(
    score: Any,
    outcome: Any,
    *,
    method: Literal["isotonic", "platt"] = "isotonic",
    bins: int = 10,
    prior: float = 2.0,
    folds: int = 5,
    seed: int = 0,
    groups: Any = None,
) -> ChurnCalibration:
    """Fit a calibrated churn probability for any score.

    Isotonic regression (non-increasing in the score, step-wise) or Platt
    scaling (a logistic curve). Raw isotonic regression gives a block of
    accounts none of which churned a probability of exactly 0 (and one where
    all churned exactly 1): a held-out account in such a block that does churn
    costs an unbounded log loss, and the 0 reads as a promise. So each isotonic
    block's rate is smoothed toward the overall rate: ``prior`` pseudo-accounts
    churning at ``p0 = (churned + 1) / (accounts + 2)`` are added to every
    block (a Beta prior with that mean and ``prior`` accounts' weight, the rule
    of succession centred on the base rate rather than on 1/2, which suits rare
    churn), and blocks are pooled again where that breaks the order. A block of
    ``m`` accounts with no churn then reads ``prior * p0 / (m + prior)``: never
    0, smaller the more accounts back it, and large blocks barely move. A
    clip to ``[1/(n+2), 1 - 1/(n+2)]`` would also bound them but gives a block
    of 5 accounts and one of 1,500 the same near-zero rate. ``prior=0`` is the
    raw isotonic fit (scikit-learn's). Platt probabilities are never 0 or 1.

    The reliability table, Brier score and log loss are in sample; the
    ``held_out_*`` figures come from a stratified ``folds``-fold cross-fit
    (each fold's probabilities from a map fitted to the other folds), the
    honest measure of how the map does on accounts it has not seen. To judge
    it on your own held-out accounts, pass their scores to
    :meth:`ChurnCalibration.predict` and :func:`healthscore._stats.log_loss`.

    Args:
        score: Health scores (NaN rows are left out).
        outcome: 0/1 per score (1 = churned).
        method: ``"isotonic"`` (default) or ``"platt"``.
        bins: Bins of the reliability tables.
        prior: Pseudo-accounts at the overall rate per isotonic block, >= 0.
        folds: Folds of the held-out cross-fit (at least 2 are used when
            both outcomes occur at least twice).
        seed: Seed of the folds' shuffle.
        groups: One value per score whose rows must share a held-out fold
            (the account, when the scores are renewal rows at several lead
            times); default every score on its own.

    Raises:
        ValidationError: A bad ``method``, ``prior`` or ``folds``.
        InputError: ``groups`` not one value per score.
        FitError: The Platt map does not converge.

    Examples:
        >>> cal = churn_probability([10, 20, 80, 90], [1, 1, 0, 0], method="isotonic")
        >>> float(cal.predict(15)), float(cal.predict(85))
        (0.75, 0.25)
        >>> float(churn_probability([10, 20, 80, 90], [1, 1, 0, 0], prior=0).predict(85))
        0.0
    """
    if method not in ("isotonic", "platt"):
        raise ValidationError("method", "must be 'isotonic' or 'platt'", method)
    if not (isinstance(prior, int | float) and math.isfinite(prior) and prior >= 0):
        raise ValidationError("prior", "must be a finite number of pseudo-accounts >= 0", prior)
    if not (isinstance(folds, int) and folds >= 2):
        raise ValidationError("folds", "must be a whole number >= 2", folds)
    s = np.asarray(score, dtype=np.float64)
    y = _outcome(None, outcome, s.size)
    rows = _row_groups(None, groups, s.size)
    keep = ~np.isnan(s)
    s, y = s[keep], y[keep]
    curve = _calibration_map(s, y, method, float(prior))
    p = np.clip(np.asarray(curve.predict(s), dtype=np.float64), 0.0, 1.0)
    k, held = _cross_fit(s, y, method, float(prior), folds, seed, None if rows is None else rows[keep])
    return ChurnCalibration(
        method=method,
        fit=curve,
        reliability=_stats.reliability_table(y, p, n_bins=bins),
        brier=_stats.brier(y, p),
        log_loss=_stats.log_loss(y, p),
        base_rate=float(y.mean()),
        prior=float(prior),
        folds=k,
        held_out_brier=math.nan if held is None else _stats.brier(y, held),
        held_out_log_loss=math.nan if held is None else _stats.log_loss(y, held),
        held_out_reliability=None if held is None else _stats.reliability_table(y, held, n_bins=bins),
    )


# --------------------------------------------------------------------------- segments

SEGMENT_SHRINKAGE = 50.0
"""Default shrinkage ``k`` of a segment fit, in outcomes: a segment with ``n``
outcomes (churned accounts, or retained ones where fewer) takes ``n / (n + k)``
of its own fit and the rest from the pooled fit, so one with 50 churned
accounts is half its own model and half the pooled one."""

SEGMENT_MIN_OUTCOMES = 10
"""Default fewest outcomes for a segment's own fit; a segment with fewer
churned (or retained) accounts uses the pooled model."""


@attrs.frozen(kw_only=True)
class _ScorecardSettings:
    """The options of :func:`fit_scorecard` that every fit of a segmented fit shares."""

    dimensions: Mapping[str, str] | None = None
    max_bins: int = 8
    min_share: float = 0.05
    strength: float = 1e-4
    red_precision: float | None = None
    max_red_share: float | None = 0.25
    name: str = "scorecard"
    max_breakpoints: int = 8

    def fit(
        self, cols: Mapping[str, Any], y: Any, kinds: Mapping[str, str], name: str, groups: Any = None
    ) -> ScorecardResult:
        return _fit_single(cols, y, kinds, attrs.evolve(self, name=name), groups)

    def bands(self, score: Any, y: Any) -> BandFit:
        return choose_thresholds(
            score, y, red_precision=self.red_precision, max_red_share=self.max_red_share, min_share=self.min_share
        )


@attrs.frozen(kw_only=True)
class _SegmentSettings:
    """How :func:`fit_segments` splits, shrinks and validates."""

    column: str
    scorecard: _ScorecardSettings
    shrinkage: float = SEGMENT_SHRINKAGE
    min_outcomes: int = SEGMENT_MIN_OUTCOMES
    folds: int = 5
    seed: int = 0

    def check(self) -> None:
        if not isinstance(self.column, str) or not self.column:
            raise ValidationError("segment", "must name the column that holds each account's segment", self.column)
        if isinstance(self.shrinkage, bool) or not isinstance(self.shrinkage, int | float):
            raise ValidationError("shrinkage", "must be a number of outcomes >= 0", self.shrinkage)
        if not (math.isfinite(self.shrinkage) and self.shrinkage >= 0):
            raise ValidationError("shrinkage", "must be a finite number of outcomes >= 0", self.shrinkage)
        for field, value, low in (("min_outcomes", self.min_outcomes, 2), ("seed", self.seed, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValidationError(field, f"must be a whole number >= {low}", value)
        if isinstance(self.folds, bool) or not isinstance(self.folds, int) or self.folds == 1 or self.folds < 0:
            raise ValidationError("folds", "must be 0 (in sample only) or a whole number >= 2", self.folds)


@attrs.frozen(kw_only=True)
class SegmentFit:
    """One segment's model, and how it does against the pooled model on the segment's accounts.

    Attributes:
        name: The segment, as first written in the data.
        accounts: The segment's accounts.
        churned: How many of them churned.
        outcomes: The rarer outcome's count (churned, or retained where
            fewer): the ``n`` of the blend.
        blend: The share ``n / (n + k)`` of the segment's own fit in its model
            (curves and weights); 0 when the segment uses the pooled model.
        bands: ``"segment"`` (band cut-offs fitted to the segment's accounts)
            or ``"pooled"`` (the pooled model's).
        auc: AUC of the segment's model on its accounts: out of fold when
            :attr:`SegmentedReport.folds` is not 0, else in sample.
        pooled_auc: AUC of the pooled model on the same accounts, the same way.
        in_sample_auc: In-sample AUC of the segment's model on its accounts.
        in_sample_pooled_auc: In-sample AUC of the pooled model on them.
        note: Why the pooled model or the pooled bands are used, else ``""``.
        report: The report of the segment's own scorecard, before the blend
            (``None`` when it has none).
    """

    name: str
    accounts: int
    churned: int
    outcomes: int
    blend: float
    bands: str
    auc: float
    pooled_auc: float
    in_sample_auc: float
    in_sample_pooled_auc: float
    note: str
    report: ScorecardReport | None


@attrs.frozen(kw_only=True)
class SegmentedReport:
    """What :func:`fit_segments` fitted, per segment against the pooled model.

    Attributes:
        column: The segment column.
        segments: Each segment's fit, in order of first appearance.
        pooled: The report of the pooled scorecard (every account).
        accounts: All accounts.
        churned: How many of them churned.
        unsegmented: Accounts without a segment (fitted into the pooled model
            only, and scored by it).
        shrinkage: The shrinkage ``k``, in outcomes.
        min_outcomes: Fewest outcomes for a segment's own fit.
        folds: Folds behind the out-of-fold AUCs (0: in sample only).
        auc: AUC of the segmented model on every account (out of fold when
            ``folds``, else in sample).
        pooled_auc: AUC of the pooled model on every account, the same way.
        note: Why the AUCs are in sample, else ``""``.
    """

    column: str
    segments: tuple[SegmentFit, ...]
    pooled: ScorecardReport
    accounts: int
    churned: int
    unsegmented: int
    shrinkage: float
    min_outcomes: int
    folds: int
    auc: float
    pooled_auc: float
    note: str = ""

    def summary(self) -> str:
        """A readable text summary: the shrinkage, then one row per segment."""
        how = f"{self.folds}-fold out of fold" if self.folds else "in sample"
        lines = [
            f"segmented scorecard on column {self.column!r}: {len(self.segments)} segments, {self.accounts:,} "
            f"accounts ({self.churned:,} churned; {self.unsegmented:,} without a segment use the pooled model)",
            f"shrinkage k = {self.shrinkage:g} outcomes: a segment with n outcomes (its churned accounts, or its "
            "retained ones where fewer) takes n/(n+k) of its own curves and weights and the rest from the pooled "
            f"model; under {self.min_outcomes} outcomes it uses the pooled model",
            f"AUC ({how}) on every account: segmented {_num(self.auc)}, pooled {_num(self.pooled_auc)}",
        ]
        if self.note:
            lines.append(f"note: {self.note}")
        lines += [
            "",
            f"{'segment':<20} {'accounts':>8} {'churned':>7} {'blend':>6} {'AUC':>6} {'pooled':>6}  "
            f"{'in sample':>13}  bands    note",
        ]
        for s in self.segments:
            lines.append(
                f"{s.name:<20} {s.accounts:>8,} {s.churned:>7,} {s.blend:>6.0%} {_num(s.auc)} {_num(s.pooled_auc)}  "
                f"{_num(s.in_sample_auc)} {_num(s.in_sample_pooled_auc)}  {s.bands:<8} {s.note}"
            )
        lines += ["", f"AUC and pooled: {how}; in sample: the segment's model, then the pooled one"]
        return "\n".join(lines)


@attrs.frozen(kw_only=True)
class SegmentedResult:
    """The segmented model (the pooled model its default) and the report."""

    model: SegmentedModel
    report: SegmentedReport
    pooled: ScorecardResult
    renewals: RenewalReport | None = None


@attrs.frozen(kw_only=True)
class _Part:
    """One segment's fitted model, before the report."""

    name: str
    key: str
    model: HealthModel
    outcomes: int
    blend: float
    bands: str
    note: str
    report: ScorecardReport | None


def fit_segments(
    data: Any,
    outcome: Any,
    kinds: Mapping[str, str],
    *,
    segment: str = "segment",
    shrinkage: float = SEGMENT_SHRINKAGE,
    min_outcomes: int = SEGMENT_MIN_OUTCOMES,
    folds: int = 5,
    seed: int = 0,
    dimensions: Mapping[str, str] | None = None,
    max_bins: int = 8,
    min_share: float = 0.05,
    strength: float = 1e-4,
    red_precision: float | None = None,
    max_red_share: float | None = 0.25,
    name: str = "scorecard",
    max_breakpoints: int = 8,
    groups: Any = None,
) -> SegmentedResult:
    """Fit one scorecard per segment, shrunk toward the pooled scorecard.

    A pooled scorecard is fitted to every account (:func:`fit_scorecard`, the
    other keywords as there), and one to each segment's accounts. A segment
    with ``n`` outcomes (its churned accounts, or its retained ones where
    fewer) then gets the blend ``w = n / (n + shrinkage)`` of the two: each
    metric's weight is ``w`` times its share in the segment's fit plus
    ``1 - w`` times its share in the pooled fit, and its curve (or category
    table, missing and unknown scores alike) is the weight-weighted mean of
    the two curves, evaluated at the union of their breakpoints. A piecewise
    curve's blend is again one, so with every metric observed the blended
    model's score is exactly ``w`` times the segment model's score plus
    ``1 - w`` times the pooled one. Band cut-offs are fitted to the segment's
    accounts (the pooled model's where no ordered banding exists there). A
    segment with fewer than ``min_outcomes`` outcomes, or whose own fit fails,
    uses the pooled model, which is also the default for accounts without a
    (known) segment.

    Each segment's AUC is given against the pooled model's on the same
    accounts, out of fold: on ``folds`` stratified folds (by segment and
    outcome), the whole fit is repeated on the other folds and scores the
    held-out one. ``folds=0`` reports in-sample AUCs only (and says so).

    Args:
        data: The raw columns, with the segment column (any data frame family or mapping).
        outcome: 0/1 per account (1 = churned), or the name of that column.
        kinds: Column -> kind, as for :func:`fit_scorecard`.
        segment: The column naming each account's segment (a name or a whole
            number; empty for none); matched case-insensitively.
        shrinkage: ``k`` of the blend, in outcomes (0: each segment's own fit).
        min_outcomes: Fewest outcomes for a segment's own fit (at least 2).
        folds: Folds of the out-of-fold AUCs; 0 for in sample only.
        seed: Seed of the folds' shuffle.
        dimensions: As for :func:`fit_scorecard`.
        max_bins: As for :func:`fit_scorecard`.
        min_share: As for :func:`fit_scorecard`.
        strength: As for :func:`fit_scorecard`.
        red_precision: As for :func:`fit_scorecard`.
        max_red_share: As for :func:`fit_scorecard`.
        name: The segmented model's name (the pooled model's too; a segment's
            model is ``"<name>/<segment>"``).
        max_breakpoints: As for :func:`fit_scorecard` (a blended curve may
            have up to twice as many).
        groups: Rows that must share a fold of the out-of-fold AUCs: a column
            name (``"account_id"`` of a renewal training set) or one value
            per row; default every row on its own. ``fit_scorecard(...,
            renewals=..., segment=...)`` groups by account itself.

    Returns:
        The :class:`~healthscore.model.SegmentedModel` (``.model``), the
        report (``.report``) and the pooled fit (``.pooled``).

    Raises:
        ValidationError: A bad setting or kind.
        InputError: The segment column or a kinds column missing from the
            data, a segment that is neither a name nor a whole number, no
            account with a segment, or a bad outcome.
        FitError: The pooled scorecard cannot be fitted (see :func:`fit_scorecard`).

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> usage, seats = rng.uniform(0, 100, 2000), rng.uniform(0, 100, 2000)
        >>> plan = np.where(np.arange(2000) % 2 == 0, "pro", "basic")
        >>> risk = np.where(plan == "pro", 0.4 - usage / 300, 0.07 + usage / 300) + 0.2 - seats / 500
        >>> churned = (rng.random(2000) < risk).astype(int)
        >>> data = {"usage": usage, "seats": seats, "plan": plan}
        >>> seg = fit_segments(data, churned, {"usage": "auto", "seats": "auto"}, segment="plan", folds=0)
        >>> pro, basic = seg.model.models["pro"], seg.model.models["basic"]
        >>> pro.score({"usage": 90}).score > pro.score({"usage": 10}).score
        True
        >>> basic.score({"usage": 90}).score < basic.score({"usage": 10}).score
        True
    """
    scorecard = _ScorecardSettings(
        dimensions=dimensions, max_bins=max_bins, min_share=min_share, strength=strength, name=name,
        red_precision=red_precision, max_red_share=max_red_share, max_breakpoints=max_breakpoints,
    )  # fmt: skip
    settings = _SegmentSettings(
        column=segment, scorecard=scorecard, shrinkage=shrinkage, min_outcomes=min_outcomes, folds=folds, seed=seed
    )
    return _fit_segmented(data, outcome, kinds, settings, groups)


def _fit_segmented(
    data: Any, outcome: Any, kinds: Mapping[str, str], settings: _SegmentSettings, groups: Any = None
) -> SegmentedResult:
    """:func:`fit_segments` with its settings checked into one object."""
    settings.check()
    column = settings.column
    if column in kinds:
        raise ValidationError(f"kinds[{column!r}]", "must not name the segment column", kinds[column])
    _check_kinds(kinds, settings.scorecard.dimensions)
    labels = {c for c, k in kinds.items() if k == "categorical"} | {column}
    cols = {k: _array(v) for k, v in table_columns(data, [*kinds, column], labels=labels).items()}
    if column not in cols:
        present = column_names(data, family_of(data))
        raise InputError(
            f"segment column {column!r} is not in the data (columns: {', '.join(present)})", column=column, value=column
        )
    n = _n_rows(cols)
    y = _outcome(data, outcome, n)
    names = _segment_labels(_segment_column(cols[column], column), column)
    keys = np.array([label.strip().casefold() for label in names.tolist()], dtype=np.str_)
    if not (keys != "").any():
        raise InputError(f"segment column {column!r} names no segment on any of the {n} accounts", column=column)
    features = {c: cols[c] for c in kinds}
    rows = _row_groups(data, groups, n)
    pooled, parts = _fit_parts(features, y, names, keys, kinds, settings, rows)
    model = _assemble(pooled.model, parts, settings)
    k, held, held_pooled, note = _out_of_fold(features, y, names, keys, kinds, settings, rows)
    scores = _score(model, features, keys, names, column)
    pooled_scores = np.asarray(pooled.model.score_batch(features, missing_columns="missing").score, dtype=np.float64)
    if held is None:
        held, held_pooled = scores, pooled_scores
    report = SegmentedReport(
        column=column,
        segments=tuple(_segment_fit(p, y, keys == p.key, (scores, pooled_scores), (held, held_pooled)) for p in parts),
        pooled=pooled.report,
        accounts=n,
        churned=int(y.sum()),
        unsegmented=int((keys == "").sum()),
        shrinkage=float(settings.shrinkage),
        min_outcomes=settings.min_outcomes,
        folds=k,
        auc=_oriented_auc(y, held),
        pooled_auc=_oriented_auc(y, held_pooled),
        note=note,
    )
    return SegmentedResult(model=model, report=report, pooled=pooled)


def _array(values: Any) -> Any:
    """A column as a one-dimensional array (a mapping's lists included), for row selection."""
    if isinstance(values, np.ndarray):
        return values
    out = np.asarray(values)
    if out.ndim != 1:
        out = np.empty(len(values), dtype=object)
        out[:] = list(values)
    return out


def _rows(cols: Mapping[str, Any], rows: Any) -> dict[str, Any]:
    return {k: v[rows] for k, v in cols.items()}


def _fit_parts(
    cols: Mapping[str, Any],
    y: Any,
    names: Any,
    keys: Any,
    kinds: Mapping[str, str],
    settings: _SegmentSettings,
    groups: Any = None,
) -> tuple[ScorecardResult, list[_Part]]:
    """The pooled scorecard and each segment's model, on these accounts
    (``groups``: an account's renewal rows, kept in one inner fold)."""
    pooled = settings.scorecard.fit(cols, y, kinds, settings.scorecard.name, groups)
    parts = []
    for key in dict.fromkeys(keys.tolist()):
        if key:
            rows = keys == key
            label = str(names[int(np.argmax(rows))]).strip()
            mine = None if groups is None else groups[rows]
            parts.append(_fit_part(label, key, _rows(cols, rows), y[rows], kinds, pooled.model, settings, mine))
    return pooled, parts


def _fit_part(
    label: str,
    key: str,
    cols: Mapping[str, Any],
    y: Any,
    kinds: Mapping[str, str],
    pooled: HealthModel,
    settings: _SegmentSettings,
    groups: Any = None,
) -> _Part:
    """One segment's model: its own fit blended with the pooled one, or the pooled one."""
    churned = int(y.sum())
    outcomes = min(churned, y.size - churned)
    if outcomes < settings.min_outcomes:
        note = f"pooled model: {outcomes} outcomes, under min_outcomes={settings.min_outcomes}"
        return _Part(
            name=label, key=key, model=pooled, outcomes=outcomes, blend=0.0, bands="pooled", note=note, report=None
        )
    model_name = f"{settings.scorecard.name}/{label}"
    try:
        own = settings.scorecard.fit(cols, y, kinds, model_name, groups)
    except FitError as exc:
        note = f"pooled model: its own fit failed ({exc})"
        return _Part(
            name=label, key=key, model=pooled, outcomes=outcomes, blend=0.0, bands="pooled", note=note, report=None
        )
    w = outcomes / (outcomes + settings.shrinkage)
    draft = _blend_models(own.model, pooled, w, model_name, list(kinds))
    score = np.asarray(draft.score_batch(dict(cols), missing_columns="missing").score, dtype=np.float64)
    keep = ~np.isnan(score)
    try:
        bands = settings.scorecard.bands(score[keep], y[keep])
    except FitError as exc:
        model = attrs.evolve(draft, bands=pooled.bands, alerts=pooled.alerts)
        note = f"pooled bands: no ordered banding of the segment ({exc})"
        return _Part(
            name=label, key=key, model=model, outcomes=outcomes, blend=w, bands="pooled", note=note, report=own.report
        )
    model = attrs.evolve(draft, bands=bands.policy, alerts=bands.alerts)
    return _Part(
        name=label, key=key, model=model, outcomes=outcomes, blend=w, bands="segment", note="", report=own.report
    )


def _blend_models(own: HealthModel, pooled: HealthModel, w: float, name: str, order: Sequence[str]) -> HealthModel:
    """``w`` of ``own`` and ``1 - w`` of ``pooled``, metric by metric: weights
    blended, curves weight-weighted (see :func:`fit_segments`)."""
    own_w, pooled_w = own.metric_weights, pooled.metric_weights
    own_m = {m.name: (d.name, m) for d in own.dimensions for m in d.metrics}
    pooled_m = {m.name: (d.name, m) for d in pooled.dimensions for m in d.metrics}
    groups: dict[str, list[Metric]] = {}
    for column in order:
        a, b = w * own_w.get(column, 0.0), (1.0 - w) * pooled_w.get(column, 0.0)
        if a + b <= 1e-12:
            continue
        share = a / (a + b)
        mine, theirs = own_m.get(column), pooled_m.get(column)
        if mine is not None and theirs is not None and share < 1.0 and b > 0:
            scorer: Any = _blend_scorers(mine[1].scorer, theirs[1].scorer, share)
        else:
            scorer = (mine if a > 0 and mine is not None else theirs)[1].scorer  # type: ignore[index]
        dim = (mine or theirs)[0]  # type: ignore[index]
        description = f"fitted curve, {share:.0%} the segment's and {1 - share:.0%} the pooled model's"
        groups.setdefault(dim, []).append(
            Metric(name=column, scorer=scorer, weight=round((a + b) * 100, 6), description=description)
        )
    dims = tuple(
        Dimension(name=d, metrics=tuple(ms), weight=round(sum(m.weight for m in ms), 6)) for d, ms in groups.items()
    )
    description = f"fitted scorecard, {w:.0%} the segment's own fit and {1 - w:.0%} the pooled one"
    return HealthModel(name=name, dimensions=dims, description=description)


def _mix(a: float | None, b: float | None, share: float) -> float | None:
    """``share`` of ``a`` and the rest of ``b``; one of them where the other is ``None``."""
    if a is None or b is None:
        return b if a is None else a
    return round(share * a + (1.0 - share) * b, 6)


def _blend_scorers(own: Any, pooled: Any, share: float) -> Any:
    """The curve (or table) ``share * own + (1 - share) * pooled``."""
    if isinstance(own, Piecewise) and isinstance(pooled, Piecewise):
        xs = np.unique(np.r_[[x for x, _ in own.points], [x for x, _ in pooled.points]])
        values = share * np.asarray(own(xs), dtype=np.float64) + (1.0 - share) * np.asarray(pooled(xs), np.float64)
        points = tuple(zip(xs.tolist(), np.round(values, 6).tolist(), strict=True))
        return Piecewise(points=points, missing=_mix(own.missing, pooled.missing, share))
    if isinstance(own, Categories) and isinstance(pooled, Categories):
        mine = {k.strip().casefold(): v for k, v in own.table}
        theirs = {k.strip().casefold(): v for k, v in pooled.table}
        labels = {k.strip().casefold(): k for k, _ in (*own.table, *pooled.table)}
        table = []
        for key, label in labels.items():
            a = mine.get(key, own.unknown if own.unknown is not None else 50.0)
            b = theirs.get(key, pooled.unknown if pooled.unknown is not None else 50.0)
            table.append((label, round(share * a + (1.0 - share) * b, 6)))
        return Categories(
            table=tuple(table),
            missing=_mix(own.missing, pooled.missing, share),
            unknown=_mix(own.unknown, pooled.unknown, share),
        )
    return own if share >= 0.5 else pooled  # kinds differ only if the column's kind did; not from one kinds


def _assemble(pooled: HealthModel, parts: Sequence[_Part], settings: _SegmentSettings) -> SegmentedModel:
    return SegmentedModel(
        segments=tuple((p.name, p.model) for p in parts),
        default=pooled,
        segment_column=settings.column,
        name=settings.scorecard.name,
        description=f"one fitted scorecard per segment, shrunk toward the pooled one (k = {settings.shrinkage:g})",
    )


def _score(model: SegmentedModel, cols: Mapping[str, Any], keys: Any, names: Any, column: str) -> Any:
    """The segmented model's scores (a segment it does not know scores by the pooled default)."""
    labels = np.array([label or None for label in names.tolist()], dtype=object)
    batch = {**cols, column: labels}
    return np.asarray(model.score_batch(batch, missing_columns="missing").score, dtype=np.float64)


def _out_of_fold(
    cols: Mapping[str, Any],
    y: Any,
    names: Any,
    keys: Any,
    kinds: Mapping[str, str],
    settings: _SegmentSettings,
    groups: Any = None,
) -> tuple[int, Any, Any, str]:
    """Held-out scores of the segmented and the pooled model: each fold's from
    the whole fit on the other folds (0 folds and none when that cannot be);
    a group's rows (an account's renewal rows) share a fold."""
    if settings.folds == 0:
        return 0, None, None, "folds=0: AUCs in sample"
    strata = np.unique(np.char.add(keys, np.where(y > 0, "|1", "|0")), return_inverse=True)[1]
    k = _fold_count(y, settings.folds, groups)
    if k < 2:
        return 0, None, None, "too few churned or retained accounts for two folds: AUCs in sample"
    fold = _stats.stratified_folds(strata, k, settings.seed, groups=groups)
    held, held_pooled = np.full(y.size, np.nan), np.full(y.size, np.nan)
    for f in range(k):
        train, test = fold != f, fold == f
        try:
            inner = None if groups is None else groups[train]
            pooled, parts = _fit_parts(_rows(cols, train), y[train], names[train], keys[train], kinds, settings, inner)
        except (FitError, InputError) as exc:
            return 0, None, None, f"AUCs in sample: fold {f + 1} of {k} could not be fitted ({exc})"
        model = _assemble(pooled.model, parts, settings)
        test_cols = _rows(cols, test)
        held[test] = _score(model, test_cols, keys[test], names[test], settings.column)
        held_pooled[test] = np.asarray(pooled.model.score_batch(test_cols, missing_columns="missing").score)
    return k, held, held_pooled, ""


def _segment_fit(part: _Part, y: Any, rows: Any, in_sample: tuple[Any, Any], held: tuple[Any, Any]) -> SegmentFit:
    yk = y[rows]
    return SegmentFit(
        name=part.name,
        accounts=int(rows.sum()),
        churned=int(yk.sum()),
        outcomes=part.outcomes,
        blend=part.blend,
        bands=part.bands,
        auc=_oriented_auc(yk, held[0][rows]),
        pooled_auc=_oriented_auc(yk, held[1][rows]),
        in_sample_auc=_oriented_auc(yk, in_sample[0][rows]),
        in_sample_pooled_auc=_oriented_auc(yk, in_sample[1][rows]),
        note=part.note,
        report=part.report,
    )


# --------------------------------------------------------------------------- renewals as outcomes

RENEWAL_COLUMNS: tuple[str, ...] = ("account_id", "renewal_date", "renewed")
"""The columns of a renewals table: the account, the date its contract came up
for renewal, and whether it renewed (1) or was lost (0)."""

LEAD_DAYS = 90
"""Default lead time: features are taken this many days before each renewal."""

_KEY_COLUMNS: tuple[str, ...] = ("account_id", "renewal_date", "lead_days", "feature_date", "as_of")
"""The columns a training set carries besides the features."""


@attrs.frozen(kw_only=True)
class UnmatchedRenewal:
    """A renewal, at one lead time, that has no features on its feature date.

    Such a renewal is left out of the fit and listed in
    :attr:`RenewalReport.unmatched`, never dropped silently.

    Attributes:
        account_id: The account.
        renewal_date: The renewal's date (ISO).
        lead_days: The lead time, in days.
        feature_date: ``renewal_date - lead_days``: the last date whose data may be read.
        reason: Why there are no features (no snapshot that old, the account
            not in it, every feature missing, or too old).
    """

    account_id: str
    renewal_date: str
    lead_days: int
    feature_date: str
    reason: str


@attrs.frozen(kw_only=True)
class RenewalReport:
    """How a renewals table became a training set (:func:`renewal_training_set`).

    Attributes:
        source: Where the features came from: ``"history"`` (a history store's
            stored inputs), ``"exports"`` (signals computed from raw exports)
            or ``"table"`` (a table of dated features).
        renewals: Rows of the renewals table.
        lead_days: The lead times, in days.
        rows: Training rows (one per renewal and lead time that has features).
        lost: Of which lost renewals (outcome 1).
        unmatched: The (renewal, lead time) pairs left out for want of
            features, with the reason.
        first_feature_date: The earliest feature date of a training row.
        last_feature_date: The latest feature date of a training row.
        oldest_days: The most days between a training row's feature date and
            the date its features were known (a snapshot's age; 0 for exports).
        max_age_days: Features older than this many days were refused
            (``None``: any age).
    """

    source: str
    renewals: int
    lead_days: tuple[int, ...]
    rows: int
    lost: int
    unmatched: tuple[UnmatchedRenewal, ...]
    first_feature_date: str
    last_feature_date: str
    oldest_days: int
    max_age_days: int | None = None

    @property
    def unmatched_accounts(self) -> tuple[str, ...]:
        """The accounts with at least one unmatched renewal, in order of first appearance."""
        return tuple(dict.fromkeys(u.account_id for u in self.unmatched))

    def summary(self, shown: int = 10) -> str:
        """A readable text summary, listing the first ``shown`` unmatched renewals."""
        leads = ", ".join(f"{d}" for d in self.lead_days)
        lines = [
            f"renewals as outcomes: {self.renewals:,} renewals, features {leads} days before each, from the "
            f"{self.source}; {self.rows:,} training rows ({self.lost:,} lost, {self.rows - self.lost:,} renewed), "
            f"feature dates {self.first_feature_date} to {self.last_feature_date}; no data dated after a row's "
            "feature date was read",
            f"features known at most {self.oldest_days} days before their feature date"
            + ("" if self.max_age_days is None else f" (older than {self.max_age_days} days refused)"),
        ]
        if len(self.lead_days) > 1:
            lines.append(
                f"one row per renewal and lead time: each renewal counts up to {len(self.lead_days)} times, "
                "and its rows are not independent; the cross-fitted AUCs of fit_scorecard(segment=...) and "
                "reweight keep every row of an account in one fold (pass groups='account_id' to metric_power, "
                "fit_segments and churn_probability for the same)"
            )
        if not self.unmatched:
            lines.append("every renewal had features on its feature date")
            return "\n".join(lines)
        accounts = self.unmatched_accounts
        what = "renewals" if len(self.lead_days) == 1 else "(renewal, lead time) pairs"
        lines.append(
            f"{len(self.unmatched):,} {what} (of {len(accounts):,} accounts) had no features on their feature "
            "date and were left out:"
        )
        for u in self.unmatched[:shown]:
            lines.append(f"  {u.account_id}  renewal {u.renewal_date}, {u.lead_days} days before: {u.reason}")
        if len(self.unmatched) > shown:
            lines.append(f"  ... and {len(self.unmatched) - shown:,} more (RenewalReport.unmatched lists them all)")
        return "\n".join(lines)


@attrs.frozen(kw_only=True)
class RenewalTrainingSet:
    """Point-in-time features before each renewal, and the renewal's outcome.

    Attributes:
        columns: Column -> array, one row per renewal and lead time:
            ``account_id``, ``renewal_date``, ``lead_days``, ``feature_date``
            (``renewal_date - lead_days``), ``as_of`` (the date the features
            were known: the snapshot's, or the feature date for exports), then
            the features (numbers float64 with NaN where missing, labels
            object arrays with ``None``).
        outcome: 1 where the renewal was lost (churn, the event), 0 where it renewed.
        report: What was matched and what was left out.
    """

    columns: dict[str, Any]
    outcome: Any
    report: RenewalReport


@attrs.frozen(kw_only=True, eq=False)
class _Renewals:
    """The renewals table, read: text ids, day numbers, 1 = lost."""

    ids: Any
    day: Any
    lost: Any


@attrs.frozen(kw_only=True, eq=False)
class _Found:
    """Features for each requested (account, feature day), aligned with the request."""

    columns: dict[str, Any]
    known: Any  # day the row's features were known, -1 where none
    reason: Any  # "" where found
    seen: frozenset[str]  # the columns some source read held


def _read_renewals(renewals: Any) -> _Renewals:
    """Check and read a renewals table (see :data:`RENEWAL_COLUMNS`)."""
    cols = table_columns(renewals, list(RENEWAL_COLUMNS), labels={"account_id", "renewal_date"})
    for column in RENEWAL_COLUMNS:
        if column not in cols:
            raise InputError(
                f"renewals need columns {', '.join(RENEWAL_COLUMNS)} (renewed: 1 = renewed, 0 = lost); "
                f"{column!r} is missing",
                column=column,
            )
    raw_ids = np.asarray(cols["account_id"], dtype=object).reshape(-1)
    empty = [i for i, a in enumerate(raw_ids.tolist()) if a is None or str(a).strip() == "" or a != a]
    if empty:
        raise InputError(
            f"renewals.account_id must name an account on every row; row {empty[0]} is {raw_ids[empty[0]]!r}",
            column="account_id",
            row=empty[0],
            value=raw_ids[empty[0]],
        )
    ids = np.array([id_text(a) for a in raw_ids.tolist()], dtype=object)
    dates = np.asarray(cols["renewal_date"], dtype=object).reshape(-1)
    day = _time.day_numbers(np.array([str(v) if v is not None else "" for v in dates.tolist()]), "renewal_date")
    renewed_raw = np.asarray(cols["renewed"], dtype=object).reshape(-1)
    renewed = np.array([_as_number(v) for v in renewed_raw.tolist()], dtype=np.float64)
    bad = np.flatnonzero(~np.isin(renewed, (0.0, 1.0)))
    if bad.size:
        row = int(bad[0])
        raise InputError(
            f"renewals.renewed must be 1 (renewed) or 0 (lost) on every row; row {row} is {renewed_raw[row]!r} "
            f"({bad.size} such rows)",
            column="renewed",
            row=row,
            value=renewed_raw[row],
        )
    seen: dict[tuple[str, int], int] = {}
    for i, key in enumerate(zip(ids.tolist(), day.tolist(), strict=True)):
        if key in seen:
            raise InputError(
                f"renewals: row {i} repeats the renewal of account {key[0]!r} on {_time.day_text(key[1])} "
                f"(row {seen[key]}); give each renewal once",
                column="renewal_date",
                row=i,
                value=_time.day_text(key[1]),
            )
        seen[key] = i
    return _Renewals(ids=ids, day=np.asarray(day, dtype=np.int64), lost=1.0 - renewed)


def _check_leads(lead_days: int | Sequence[int]) -> tuple[int, ...]:
    """The lead times as a tuple of whole numbers of days >= 1, without repeats."""
    several = isinstance(lead_days, Sequence | np.ndarray) and not isinstance(lead_days, str)
    leads: list[Any] = list(lead_days) if several else [lead_days]  # type: ignore[arg-type]
    out: list[int] = []
    for lead in leads:
        if isinstance(lead, bool) or not isinstance(lead, int | np.integer) or lead < 1:
            raise ValidationError("lead_days", "must be whole numbers of days >= 1 (such as 30, 60, 90)", lead)
        out.append(int(lead))
    if not out:
        raise ValidationError("lead_days", "must name at least one lead time", lead_days)
    if len(set(out)) != len(out):
        raise ValidationError("lead_days", "must not repeat a lead time", out)
    return tuple(out)


def _iso_days(days: Any) -> Any:
    """Day numbers -> ISO date texts (an object array)."""
    return np.datetime_as_string(np.asarray(days, dtype=np.int64).astype("datetime64[D]")).astype(object)


class _Columns:
    """Feature columns filled group by group: float64 with NaN, turned to an
    object array with ``None`` as soon as one group gives labels."""

    def __init__(self, n: int, wanted: Sequence[str] | None) -> None:
        self.n = n
        self.fixed = wanted is not None
        self.data: dict[str, Any] = {c: np.full(n, np.nan) for c in wanted or ()}
        self.seen: set[str] = set()

    def put(self, rows: Any, source: Mapping[str, Any], at: Any) -> None:
        """Cells ``source[c][at]`` into rows ``rows`` of each column."""
        for name, values in source.items():
            if name == "account_id" or (self.fixed and name not in self.data):
                continue
            arr = np.asarray(values)
            self.seen.add(name)
            if name not in self.data:
                self.data[name] = np.full(self.n, np.nan)
            out = self.data[name]
            if arr.dtype.kind in "biuf" and out.dtype != object:
                out[rows] = arr[at].astype(np.float64)
                continue
            if out.dtype != object:
                out = np.array([None if v != v else v for v in out.tolist()], dtype=object)
                self.data[name] = out
            cells = np.asarray(values, dtype=object)[at]
            out[rows] = [None if (v is None or (isinstance(v, float) and v != v)) else v for v in cells.tolist()]


def _empty_rows(columns: Mapping[str, Any], n: int) -> Any:
    """Rows where every column is missing (NaN, or ``None`` in a label column)."""
    if not columns:
        return np.ones(n, dtype=bool)
    missing = [np.isnan(v) if v.dtype != object else np.array([c is None for c in v.tolist()], dtype=bool)
               for v in columns.values()]  # fmt: skip
    return np.logical_and.reduce(missing)


def _codes(ids: Any, source_ids: Any) -> tuple[dict[str, int], Any]:
    """A code per source id, and the code of each requested id (-1 where absent)."""
    index = {id_text(a): i for i, a in enumerate(np.asarray(source_ids, dtype=object).tolist())}
    return index, np.fromiter((index.get(a, -1) for a in ids.tolist()), dtype=np.int64, count=len(ids))


def _from_history(store: HistoryStore, ids: Any, days: Any, wanted: Sequence[str] | None, model: Any) -> _Found:
    """Each row's features: the stored inputs of the latest snapshot dated on
    or before its feature day (of one model version if given). Only snapshots
    so dated are read."""
    version = None if model is None else (model if isinstance(model, str) else model_fingerprint(model))
    snaps = [s for s in store.snapshots() if version is None or s.model_version == version]
    snap_days = np.array([_time.utc_day(s.as_of, "as_of") for s in snaps], dtype=np.int64)
    pick = np.searchsorted(snap_days, days, side="right") - 1  # the last written of the latest date <= day
    out = _Columns(len(ids), wanted)
    known = np.full(len(ids), -1, dtype=np.int64)
    reason = np.array(["" for _ in range(len(ids))], dtype=object)
    which = "" if version is None else f" of model version {version}"
    reason[pick < 0] = f"no snapshot{which} dated on or before the feature date"
    for k in np.unique(pick[pick >= 0]).tolist():
        snap, rows = snaps[k], np.flatnonzero(pick == k)
        stored = store.inputs(snap.as_of, model=snap.model_version)
        if len(stored) == 1:
            reason[rows] = f"the snapshot of {snap.as_of} was written without inputs"
            continue
        _, at = _codes(ids[rows], stored["account_id"])
        reason[rows[at < 0]] = f"not in the snapshot of {snap.as_of}, the latest on or before the feature date"
        hit = at >= 0
        out.put(rows[hit], stored, at[hit])
        known[rows[hit]] = snap_days[k]
    return _Found(columns=out.data, known=known, reason=reason, seen=frozenset(out.seen))


def _from_exports(exports: Any, ids: Any, days: Any, wanted: Sequence[str] | None, settings: Any) -> _Found:
    """Each row's features: the signals computed as of its feature day (which
    read no export row dated after that day), one computation per distinct day."""
    from healthscore.signals import SignalSettings, compute_signals  # noqa: PLC0415 -- signals imports much

    out = _Columns(len(ids), wanted)
    known = np.full(len(ids), -1, dtype=np.int64)
    reason = np.array(["" for _ in range(len(ids))], dtype=object)
    segment = wanted is not None and "segment" in wanted
    for day in np.unique(days).tolist():
        rows = np.flatnonzero(days == day)
        signals = compute_signals(exports, _time.day_text(day), settings or SignalSettings())
        if segment and "segment" not in signals:
            signals["segment"] = np.asarray(exports.tables["accounts"]["segment"], dtype=object)
        _, at = _codes(ids[rows], signals["account_id"])
        reason[rows[at < 0]] = "not in the exports' accounts table"
        hit = at >= 0
        out.put(rows[hit], signals, at[hit])
        known[rows[hit]] = day
    return _Found(columns=out.data, known=known, reason=reason, seen=frozenset(out.seen))


def _from_table(table: Any, ids: Any, days: Any, wanted: Sequence[str] | None) -> _Found:
    """Each row's features: the account's latest row of a dated feature table
    (``account_id``, ``as_of`` and feature columns) on or before its feature day."""
    present = column_names(table, family_of(table))
    for column in ("account_id", "as_of"):
        if column not in present:
            raise InputError(
                f"a table of dated features needs columns account_id and as_of (one row per account and date, "
                f"then the features); {column!r} is missing (columns: {', '.join(present)})",
                column=column,
            )
    features = [c for c in (wanted if wanted is not None else present) if c not in ("account_id", "as_of")]
    cols = table_columns(table, ["account_id", "as_of", *features], labels={"account_id", "as_of"})
    source_ids = np.array([id_text(a) for a in np.asarray(cols["account_id"], dtype=object).tolist()], dtype=object)
    as_of = np.asarray(cols["as_of"], dtype=object)
    row_day = _time.day_numbers(np.array([str(v) if v is not None else "" for v in as_of.tolist()]), "as_of")
    index = {a: i for i, a in enumerate(dict.fromkeys(source_ids.tolist()))}
    acc = np.fromiter((index[a] for a in source_ids.tolist()), dtype=np.int64, count=source_ids.size)
    order = np.lexsort((row_day, acc))
    keys = acc[order] * _DAY_SPAN + row_day[order]
    code = np.fromiter((index.get(a, -1) for a in ids.tolist()), dtype=np.int64, count=len(ids))
    idx = np.searchsorted(keys, code * _DAY_SPAN + days, side="right") - 1
    ok = (code >= 0) & (idx >= 0) & (acc[order][np.maximum(idx, 0)] == code)
    reason = np.where(code < 0, "no row of the account in the table", "")
    reason = np.where((code >= 0) & ~ok, "no row of the account dated on or before the feature date", reason)
    out = _Columns(len(ids), features)
    out.seen.update(c for c in features if c in cols)
    rows = np.flatnonzero(ok)
    out.put(rows, {c: cols[c] for c in features if c in cols}, order[idx[ok]])
    known = np.where(ok, row_day[order][np.maximum(idx, 0)], -1)
    return _Found(columns=out.data, known=known, reason=reason.astype(object), seen=frozenset(out.seen))


_DAY_SPAN = 1 << 32
"""Day numbers fit well inside this, so ``account * _DAY_SPAN + day`` sorts by account, then day."""


def _source_kind(source: Any) -> str:
    if isinstance(source, HistoryStore):
        return "history"
    if isinstance(source, Exports):
        return "exports"
    return "table"


def renewal_training_set(
    source: Any,
    renewals: Any,
    *,
    lead_days: int | Sequence[int] = LEAD_DAYS,
    columns: Sequence[str] | None = None,
    model: Any = None,
    settings: Any = None,
    max_age_days: int | None = None,
) -> RenewalTrainingSet:
    """Point-in-time features ``lead_days`` before each renewal, and its outcome.

    A renewal on ``renewal_date`` gets the features known on its *feature
    date*, ``renewal_date - lead_days``, so that a model fitted to them
    predicts the renewal that far ahead, not in hindsight. Nothing dated
    after a row's feature date is read for it:

    * from a :class:`~healthscore.history.HistoryStore`: the stored inputs
      (``write_snapshot(..., inputs=...)``) of the latest snapshot dated on or
      before the feature date (of one model version with ``model``; the
      store's choice, as :meth:`~healthscore.history.HistoryStore.inputs`,
      otherwise), read once per snapshot;
    * from :class:`~healthscore.Exports`: the signals
      :func:`~healthscore.compute_signals` computes as of the feature date
      (it reads no row dated after it), once per distinct feature date;
    * from a table of dated features (``account_id``, ``as_of``, then the
      features): the account's latest row dated on or before the feature date.

    With several lead times there is one row per renewal and lead time (the
    ``lead_days`` column says which), all rows of the first lead time first;
    each renewal then counts once per lead time, and its rows are not
    independent. So every cross-fit of a fit on renewals keeps all rows of
    an account in the same fold (``fit_scorecard(..., renewals=...,
    segment=...)`` and ``reweight(..., renewals=...)`` do it themselves; pass
    ``groups="account_id"`` to :func:`metric_power`, :func:`fit_segments`
    and :func:`churn_probability`), so no held-out row is scored by a fit
    that saw the same account. A renewal (at a lead time) with no features -- no snapshot
    that old, the account not in it, every feature missing, or features older
    than ``max_age_days`` -- is left out and listed in the report with the
    reason, never dropped silently.

    Args:
        source: A history store, exports, or a table of dated features (any
            data frame family or mapping).
        renewals: Columns ``account_id``, ``renewal_date`` (ISO date) and
            ``renewed`` (1 = renewed, 0 = lost), one row per renewal; an
            account may renew several times, on different dates.
        lead_days: Days before each renewal to take the features (a whole
            number >= 1, or several, such as ``(30, 60, 90)``).
        columns: The feature columns to keep (default: every column the
            source gives).
        model: With a history store, the model version to read (a model or
            its fingerprint).
        settings: With exports, the :class:`~healthscore.SignalSettings`.
        max_age_days: Refuse features known more than this many days before
            the feature date (default: any age).

    Returns:
        The training columns, the outcome (1 = lost, the churn event) and the
        report (:class:`RenewalTrainingSet`).

    Raises:
        InputError: A bad renewals table (a missing column, an empty account,
            a bad date, ``renewed`` not 0/1, a renewal given twice), a
            requested column no source row has, or no renewal with features.
        ValidationError: A bad ``lead_days`` or ``max_age_days``.

    Examples:
        >>> features = {
        ...     "account_id": ["a", "a", "b", "b"],
        ...     "as_of": ["2026-01-01", "2026-03-01", "2026-01-01", "2026-03-01"],
        ...     "usage": [0.9, 0.1, 0.2, 0.8],
        ... }
        >>> renewals = {"account_id": ["a", "b", "c"], "renewal_date": ["2026-04-15"] * 3, "renewed": [1, 0, 1]}
        >>> ahead = renewal_training_set(features, renewals, lead_days=90)  # features of 2026-01-15 and before
        >>> ahead.columns["usage"].tolist(), ahead.outcome.tolist()
        ([0.9, 0.2], [0.0, 1.0])
        >>> ahead.report.unmatched_accounts
        ('c',)
    """
    leads = _check_leads(lead_days)
    if max_age_days is not None and (
        isinstance(max_age_days, bool) or not isinstance(max_age_days, int) or max_age_days < 0
    ):
        raise ValidationError("max_age_days", "must be a whole number of days >= 0, or None", max_age_days)
    table = _read_renewals(renewals)
    kind = _source_kind(source)
    wanted = None if columns is None else list(dict.fromkeys(columns))
    ids = np.tile(table.ids, len(leads))
    renewal_day = np.tile(table.day, len(leads))
    lead = np.repeat(np.array(leads, dtype=np.int64), table.ids.size)
    day = renewal_day - lead
    if kind == "history":
        found = _from_history(source, ids, day, wanted, model)
    elif kind == "exports":
        found = _from_exports(source, ids, day, wanted, settings)
    else:
        found = _from_table(source, ids, day, wanted)
    absent = [c for c in wanted or () if c not in found.seen]
    if absent and np.any(found.known >= 0):
        raise InputError(
            f"columns {absent} are in no {kind} row read for the renewals (it has: {sorted(found.seen)})",
            column=absent[0],
        )
    return _training_set(table, kind, (ids, renewal_day, lead, day), found, max_age_days)


def _training_set(
    table: _Renewals, kind: str, keys: tuple[Any, Any, Any, Any], found: _Found, max_age_days: int | None
) -> RenewalTrainingSet:
    """The matched rows as a training set, and the report of the others."""
    ids, renewal_day, lead, day = keys
    reason = found.reason.copy()
    hit = reason == ""
    clash = sorted(set(found.columns) & set(_KEY_COLUMNS))
    if clash:
        raise InputError(f"feature columns {clash} clash with the training set's own columns", column=clash[0])
    reason[hit & _empty_rows(found.columns, len(ids))] = "every feature is missing on the feature date"
    if max_age_days is not None:
        old = (reason == "") & (day - found.known > max_age_days)
        age = day - found.known
        reason[old] = [f"features known {a} days before the feature date (max_age_days={max_age_days})"
                       for a in age[old].tolist()]  # fmt: skip
    keep = reason == ""
    if not keep.any():
        first = next(iter(dict.fromkeys(reason.tolist())), "")
        raise InputError(
            f"no renewal has features on its feature date ({len(ids)} renewals and lead times from the {kind}; "
            f"for example: {first}); check the lead time, and that the data go back that far"
        )
    iso_renewal, iso_day = _iso_days(renewal_day), _iso_days(day)
    unmatched = tuple(
        UnmatchedRenewal(
            account_id=str(ids[i]),
            renewal_date=str(iso_renewal[i]),
            lead_days=int(lead[i]),
            feature_date=str(iso_day[i]),
            reason=str(reason[i]),
        )
        for i in np.flatnonzero(~keep).tolist()
    )
    out: dict[str, Any] = {
        "account_id": ids[keep],
        "renewal_date": iso_renewal[keep],
        "lead_days": lead[keep],
        "feature_date": iso_day[keep],
        "as_of": _iso_days(found.known[keep]),
    }
    out.update({c: v[keep] for c, v in found.columns.items()})
    outcome = np.tile(table.lost, len(set(lead.tolist())))[keep]
    report = RenewalReport(
        source=kind,
        renewals=int(table.ids.size),
        lead_days=tuple(dict.fromkeys(lead.tolist())),
        rows=int(keep.sum()),
        lost=int(outcome.sum()),
        unmatched=unmatched,
        first_feature_date=_time.day_text(int(day[keep].min())),
        last_feature_date=_time.day_text(int(day[keep].max())),
        oldest_days=int((day - found.known)[keep].max()),
        max_age_days=max_age_days,
    )
    return RenewalTrainingSet(columns=out, outcome=outcome, report=report)


def _renewal_data(
    data: Any, outcome: Any, renewals: Any, lead_days: int | Sequence[int] | None, columns: Sequence[str] | None
) -> RenewalTrainingSet | None:
    """With ``renewals``, the training set :func:`fit_scorecard` and
    :func:`reweight` fit on (``data`` is then its source); else ``None``."""
    if renewals is None:
        if lead_days is not None:
            raise ValidationError("lead_days", "applies only with renewals=", lead_days)
        return None
    if outcome is not None:
        given = outcome if isinstance(outcome, str) else "values"
        raise ValidationError("outcome", "must be None with renewals=: the renewals are the outcome", given)
    return renewal_training_set(
        data, renewals, lead_days=LEAD_DAYS if lead_days is None else lead_days, columns=columns
    )
