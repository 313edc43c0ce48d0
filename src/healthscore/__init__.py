"""healthscore: customer health scoring as a typed, testable library.

Raw signals become 0..100 metric scores (:mod:`healthscore.scorers`), metrics
roll up into weighted dimensions and one explainable score
(:mod:`healthscore.model`, ready models in :mod:`healthscore.presets`), scores
land in bands with playbooks and alert levels (:mod:`healthscore.bands`),
recent behaviour outweighs history (:mod:`healthscore.decay`), and models live
in TOML/JSON/YAML files (:func:`load_model`, :func:`dump_model`).

Examples:
    >>> import healthscore
    >>> model = healthscore.presets.three_dimension()
    >>> result = model.score({"penetration": 0.9, "outcome_achievement": 1.0, "nps": 40})
    >>> result.band, round(result.coverage, 2)
    ('green', 0.2)
"""

from __future__ import annotations

from healthscore import bands, decay, presets, scorers
from healthscore.bands import AlertLevel, AlertPolicy, Band, BandPolicy, default_alerts, default_bands
from healthscore.config import dump_model, load_model, model_fingerprint
from healthscore.exceptions import (
    ConfigError,
    HealthScoreError,
    InputError,
    MissingMetricError,
    UnknownCategoryError,
    ValidationError,
)
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

__all__ = [
    "AlertLevel",
    "AlertPolicy",
    "Band",
    "BandPolicy",
    "BatchScores",
    "ConfigError",
    "Dimension",
    "HealthModel",
    "HealthScoreError",
    "InputError",
    "Metric",
    "MetricScore",
    "MissingMetricError",
    "MissingPolicy",
    "ScoreResult",
    "SegmentedModel",
    "UnknownCategoryError",
    "ValidationError",
    "__version__",
    "bands",
    "decay",
    "default_alerts",
    "default_bands",
    "dump_model",
    "load_model",
    "model_fingerprint",
    "presets",
    "score_portfolio",
    "scorers",
]

__version__ = "0.1.0"
