"""healthscore: customer health scoring as a typed, testable library.

Raw signals become 0..100 metric scores (:mod:`healthscore.scorers`), metrics
roll up into weighted dimensions and one explainable score
(:mod:`healthscore.model`, ready models in :mod:`healthscore.presets`), scores
land in bands with playbooks and alert levels (:mod:`healthscore.bands`),
recent behaviour outweighs history (:mod:`healthscore.decay`), raw exports
become metric values as of any date (:func:`read_exports`,
:func:`compute_signals`), whole portfolios score from any data frame
(:func:`score_portfolio`), account trees roll parents up from their children
(:mod:`healthscore.hierarchy`, :class:`RollUp`), models live in TOML/JSON/YAML files
(:func:`load_model`, :func:`dump_model`), scores are kept over time
(:func:`open_history`), and the loop closes against real churn
(:func:`run_backtest` in :mod:`healthscore.backtest`; :func:`reweight` and
:func:`fit_scorecard` in :mod:`healthscore.fit`).

Examples:
    >>> import healthscore
    >>> model = healthscore.presets.three_dimension()
    >>> result = model.score({"penetration": 0.9, "outcome_achievement": 1.0, "nps": 40})
    >>> result.band, round(result.coverage, 2)
    ('green', 0.2)
"""

from __future__ import annotations

from healthscore import backtest, bands, decay, fit, hierarchy, presets, scorers
from healthscore.backtest import BacktestReport, run_backtest
from healthscore.bands import AlertLevel, AlertPolicy, Band, BandPolicy, default_alerts, default_bands
from healthscore.config import dump_model, dump_signal_settings, load_model, load_signal_settings, model_fingerprint
from healthscore.exceptions import (
    ConfigError,
    FitError,
    HealthScoreError,
    InputError,
    MissingMetricError,
    UnknownCategoryError,
    ValidationError,
)
from healthscore.exports import Exports, read_exports
from healthscore.fit import (
    choose_thresholds,
    churn_probability,
    fit_scorecard,
    metric_power,
    reweight,
)
from healthscore.hierarchy import RollUp
from healthscore.history import open_history
from healthscore.model import (
    BatchScores,
    Dimension,
    HealthModel,
    Metric,
    MetricScore,
    MissingPolicy,
    ScoreResult,
    SegmentedModel,
)
from healthscore.portfolio import score_portfolio
from healthscore.signals import SignalSettings, compute_signals, signals_for_account

__all__ = [
    "AlertLevel",
    "AlertPolicy",
    "BacktestReport",
    "Band",
    "BandPolicy",
    "BatchScores",
    "ConfigError",
    "Dimension",
    "Exports",
    "FitError",
    "HealthModel",
    "HealthScoreError",
    "InputError",
    "Metric",
    "MetricScore",
    "MissingMetricError",
    "MissingPolicy",
    "RollUp",
    "ScoreResult",
    "SegmentedModel",
    "SignalSettings",
    "UnknownCategoryError",
    "ValidationError",
    "__version__",
    "backtest",
    "bands",
    "choose_thresholds",
    "churn_probability",
    "compute_signals",
    "decay",
    "default_alerts",
    "default_bands",
    "dump_model",
    "dump_signal_settings",
    "fit",
    "fit_scorecard",
    "hierarchy",
    "load_model",
    "load_signal_settings",
    "metric_power",
    "model_fingerprint",
    "open_history",
    "presets",
    "read_exports",
    "reweight",
    "run_backtest",
    "score_portfolio",
    "scorers",
    "signals_for_account",
]

from healthscore._version import __version__
