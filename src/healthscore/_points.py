"""How many score points a metric can move: the one rule of the model
displays and the scorecard report.

A metric's *points range* is its effective weight in the total score (its
share, ``HealthModel.metric_weights``) times the span of its scorer: the
highest score minus the lowest that the curve or table can give anywhere on
its range, the missing and unknown scores included. A metric whose table
reads "Female 0 / Male 100" at a weight of 1% moves the total by at most 1
point, however steep its curve looks.

Examples:
    >>> from healthscore import scorers
    >>> score_span(scorers.Categories(table={"female": 0, "male": 100}))
    (0.0, 100.0)
    >>> points_range(0.01, scorers.Categories(table={"female": 0, "male": 100}))
    1.0
    >>> score_span(scorers.Piecewise(points=[(0, 40), (10, 90)], missing=20))
    (20.0, 90.0)
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from healthscore import scorers as _scorers

if TYPE_CHECKING:
    from healthscore.model import HealthModel

__all__ = ["metric_points", "points_range", "score_span"]


def _scores(scorer: Any) -> list[float] | None:
    """Every score the scorer can give, or ``None`` for a scorer of unknown form."""
    if isinstance(scorer, _scorers.Piecewise):
        values = [float(y) for _, y in scorer.points]
    elif isinstance(scorer, _scorers.Steps):
        values = [float(s) for s in scorer.scores]
    elif isinstance(scorer, _scorers.Categories):
        values = [float(s) for _, s in scorer.table]
        if scorer.unknown is not None:
            values.append(float(scorer.unknown))
    elif isinstance(scorer, _scorers.Boolean):
        values = [float(scorer.true_score), float(scorer.false_score)]
    else:
        return None
    missing = getattr(scorer, "missing", None)
    if missing is not None:
        values.append(float(missing))
    return values


def score_span(scorer: Any) -> tuple[float, float] | None:
    """The lowest and highest score ``scorer`` can give, missing and unknown
    scores included: a piecewise curve's breakpoint scores (it is linear
    between them and flat beyond), a step function's steps, a table's scores,
    a boolean's two. ``None`` for a plain function, whose range is not known
    without sampling it.

    Examples:
        >>> from healthscore import scorers
        >>> score_span(scorers.Boolean(true_score=90, false_score=30))
        (30.0, 90.0)
        >>> score_span(lambda x: x) is None
        True
    """
    values = _scores(scorer)
    if not values:
        return None
    return min(values), max(values)


def points_range(weight: float, scorer: Any) -> float:
    """``weight`` (a share of the total score, 0..1) times the span of
    ``scorer``'s scores: the points of the 0..100 total the metric can move.
    NaN when the span is not known (:func:`score_span`).

    Examples:
        >>> from healthscore import scorers
        >>> points_range(0.25, scorers.Steps(edges=[10], scores=[20, 80]))
        15.0
    """
    span = score_span(scorer)
    return math.nan if span is None else float(weight) * (span[1] - span[0])


def metric_points(model: HealthModel) -> dict[str, float]:
    """Metric name -> its points range in ``model`` (its share of the total
    score times its scorer's span).

    Examples:
        >>> from healthscore import presets
        >>> points = metric_points(presets.three_dimension())
        >>> all(0 <= p <= 100 for p in points.values())
        True
    """
    shares = model.metric_weights
    return {m.name: points_range(shares[m.name], m.scorer) for dim in model.dimensions for m in dim.metrics}
