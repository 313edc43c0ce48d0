"""Ready models from the source material.

* :func:`three_dimension` -- Product 40 / Relationship 30 / Business 30, metric
  weights by predictive power (outcome achievement and penetration high, NPS
  and login frequency lower).
* :func:`dear` -- Gainsight's Deployment, Engagement, Adoption, ROI, with
  Deployment weighted 50% as in the source's example; works with any subset of
  its signals fed ("start small").
* :func:`segmented` -- one model per segment: enterprise weighs the relationship
  higher, SMB and product-led weigh the product higher.

Every preset is an ordinary :class:`~healthscore.model.HealthModel`; change one
with :func:`attrs.evolve` or save it with :func:`healthscore.dump_model` and
edit the file. ``docs/metrics.md`` lists each metric's unit. The files in
``examples/`` are these presets with their default arguments, as
``healthscore init-model`` writes them (a test keeps them equal).

Examples:
    >>> from healthscore import presets
    >>> presets.three_dimension().metric_names[:3]
    ('active_days', 'days_since_last_login', 'feature_breadth')
    >>> presets.dear().dimension_weights["deployment"]
    0.5
"""

from __future__ import annotations

from collections.abc import Mapping

from healthscore import scorers
from healthscore.bands import BandPolicy, default_bands
from healthscore.exceptions import ValidationError
from healthscore.model import Dimension, HealthModel, Metric, MissingPolicy, SegmentedModel

__all__ = ["SEGMENT_WEIGHTS", "dear", "segmented", "three_dimension"]

SEGMENT_WEIGHTS: dict[str, dict[str, float]] = {
    "enterprise": {"product": 30.0, "relationship": 45.0, "business": 25.0},
    "mid_market": {"product": 40.0, "relationship": 30.0, "business": 30.0},
    "smb": {"product": 50.0, "relationship": 20.0, "business": 30.0},
    "product_led": {"product": 60.0, "relationship": 10.0, "business": 30.0},
}
"""Dimension weights per segment used by :func:`segmented`."""

_THREE_DIMENSION_WEIGHTS: dict[str, float] = {"product": 40.0, "relationship": 30.0, "business": 30.0}
"""Default dimension weights of :func:`three_dimension`."""

_DEAR_WEIGHTS: dict[str, float] = {"deployment": 50.0, "engagement": 15.0, "adoption": 20.0, "roi": 15.0}
"""Default dimension weights of :func:`dear`."""


def _dimension_weights(defaults: Mapping[str, float], overrides: Mapping[str, float] | None) -> dict[str, float]:
    """The defaults, updated by ``overrides``, which may only name known dimensions."""
    weights = dict(defaults)
    if overrides is not None:
        unknown = set(overrides) - set(defaults)
        if unknown:
            raise ValidationError("weights", f"must only name the dimensions {list(defaults)}", sorted(unknown))
        weights.update({k: float(v) for k, v in overrides.items()})
    return weights


# --------------------------------------------------------------------------- three dimensions


def three_dimension(
    weights: Mapping[str, float] | None = None,
    *,
    name: str = "three_dimension",
    missing: MissingPolicy | None = None,
    bands: BandPolicy | None = None,
) -> HealthModel:
    """Product 40 / Relationship 30 / Business 30.

    Args:
        weights: Dimension weights, ``{"product": .., "relationship": ..,
            "business": ..}`` (default 40/30/30); any subset may be given.
        name: Model name.
        missing: Missing-data policy (default: re-normalise).
        bands: Band policy (default: :func:`~healthscore.bands.default_bands`).

    Metric weights inside each dimension follow the source's ranking of
    predictive power: outcome achievement (the strongest single predictor) and
    penetration weigh most; NPS and login frequency least.

    Raises:
        ValidationError: ``weights`` names a dimension the model does not have.

    Examples:
        >>> model = three_dimension()
        >>> round(model.metric_weights["outcome_achievement"], 3), round(model.metric_weights["nps"], 3)
        (0.096, 0.023)
    """
    w = _dimension_weights(_THREE_DIMENSION_WEIGHTS, weights)
    return HealthModel(
        name=name,
        description="Product 40 / Relationship 30 / Business 30 (predictive three-dimension framework)",
        dimensions=(_product(w["product"]), _relationship(w["relationship"]), _business(w["business"])),
        missing=MissingPolicy() if missing is None else missing,
        bands=default_bands() if bands is None else bands,
    )


def _product(weight: float) -> Dimension:
    return Dimension(
        name="product",
        weight=weight,
        description="How much and how well the product is used",
        metrics=(
            Metric(
                name="active_days",
                scorer=scorers.login_frequency(),
                weight=1.0,
                description="Active days per 30-day window, decay-weighted",
            ),
            Metric(
                name="days_since_last_login",
                scorer=scorers.login_recency(),
                weight=2.0,
                description="Days since anyone in the account last logged in",
            ),
            Metric(
                name="feature_breadth",
                scorer=scorers.feature_breadth(),
                weight=2.0,
                description="Features used / features available",
            ),
            Metric(
                name="feature_depth",
                scorer=scorers.feature_depth(),
                weight=1.5,
                description="Share of activity on advanced features",
            ),
            Metric(
                name="penetration",
                scorer=scorers.penetration(),
                weight=3.0,
                description="Active users / purchased seats",
            ),
            Metric(
                name="workflow_completion",
                scorer=scorers.workflow_completion(),
                weight=2.0,
                description="Key workflows completed / started",
            ),
            Metric(name="integrations", scorer=scorers.integrations(), weight=1.5, description="Integrations in use"),
            Metric(name="power_users", scorer=scorers.power_users(), weight=2.0, description="Number of power users"),
        ),
    )


def _relationship(weight: float) -> Dimension:
    return Dimension(
        name="relationship",
        weight=weight,
        description="How engaged and satisfied the people are",
        metrics=(
            Metric(
                name="executive_engagement",
                scorer=scorers.executive_engagement(),
                weight=3.0,
                description="quarterly / annual / aware / none",
            ),
            Metric(
                name="qbr_attendance",
                scorer=scorers.qbr_attendance(),
                weight=2.0,
                description="Share of scheduled QBRs attended",
            ),
            Metric(
                name="ticket_volume",
                scorer=scorers.ticket_volume(),
                weight=1.0,
                description="Tickets opened per 30 days",
            ),
            Metric(
                name="ticket_sentiment",
                scorer=scorers.ticket_sentiment(),
                weight=1.5,
                description="Mean ticket sentiment, -1..1",
            ),
            Metric(name="nps", scorer=scorers.nps(), weight=1.0, description="Account NPS, -100..100"),
            Metric(name="csat", scorer=scorers.csat(), weight=1.0, description="Mean CSAT, 1..5"),
            Metric(
                name="response_hours",
                scorer=scorers.response_time(),
                weight=1.5,
                description="Median hours to reply to our outreach",
            ),
            Metric(
                name="champion",
                scorer=scorers.champion_advocacy(),
                weight=2.0,
                description="Advocacy acts in 12 months",
            ),
        ),
    )


def _business(weight: float) -> Dimension:
    return Dimension(
        name="business",
        weight=weight,
        description="Whether the customer gets value and keeps paying",
        metrics=(
            Metric(
                name="outcome_achievement",
                scorer=scorers.outcome_achievement(),
                weight=4.0,
                description="Progress on stated goals, 0..1",
            ),
            Metric(
                name="roi_multiple", scorer=scorers.roi_multiple(), weight=2.5, description="Value delivered / cost"
            ),
            Metric(
                name="budget_trend",
                scorer=scorers.budget_trend(),
                weight=2.0,
                description="growing / stable / none / shrinking",
            ),
            Metric(
                name="expansion_talks",
                scorer=scorers.expansion_conversations(),
                weight=1.0,
                description="Expansion conversations in 90 days",
            ),
            Metric(
                name="contract_months",
                scorer=scorers.contract_length(),
                weight=1.5,
                description="Contract term in months",
            ),
            Metric(
                name="payment_delay_days",
                scorer=scorers.payment_delay(),
                weight=1.5,
                description="Decay-weighted days invoices are paid late",
            ),
        ),
    )


# --------------------------------------------------------------------------- DEAR


def dear(
    deployment_green_at: float = 0.75,
    *,
    weights: Mapping[str, float] | None = None,
    name: str = "dear",
    missing: MissingPolicy | None = None,
) -> HealthModel:
    """Gainsight's DEAR model: Deployment 50, Engagement 15, Adoption 20, ROI 15.

    Args:
        deployment_green_at: Share of purchased licences deployed that counts as
            Green (the source offers 0.5 or 0.75).
        weights: Dimension weights by name, overriding the defaults.
        name: Model name.
        missing: Missing-data policy (default: re-normalise, so any subset of the
            signals can be fed).

    Raises:
        ValidationError: ``weights`` names a dimension the model does not have.

    Examples:
        >>> model = dear(deployment_green_at=0.5)
        >>> model.score({"deployment": 0.5}).band
        'green'
    """
    w = _dimension_weights(_DEAR_WEIGHTS, weights)
    return HealthModel(
        name=name,
        description="Gainsight DEAR: Deployment, Engagement, Adoption, ROI",
        dimensions=(
            _deployment(w["deployment"], deployment_green_at),
            _engagement(w["engagement"]),
            _adoption(w["adoption"]),
            _roi(w["roi"]),
        ),
        missing=MissingPolicy() if missing is None else missing,
    )


def _deployment(weight: float, green_at: float) -> Dimension:
    return Dimension(
        name="deployment",
        weight=weight,
        description="Is the customer set up to use the product?",
        metrics=(
            Metric(
                name="deployment",
                scorer=scorers.deployment(green_at),
                weight=3.0,
                description="Deployed licences / purchased licences",
            ),
            Metric(
                name="onboarding_completed",
                scorer=scorers.onboarding_completed(),
                weight=1.0,
                description="Onboarding finished (yes/no)",
            ),
        ),
    )


def _engagement(weight: float) -> Dimension:
    return Dimension(
        name="engagement",
        weight=weight,
        description="Are we in touch with the right stakeholders?",
        metrics=(
            Metric(
                name="operational_meetings_month",
                scorer=scorers.operational_meetings(),
                weight=1.0,
                description="Meetings with operational contacts per month",
            ),
            Metric(
                name="executive_meetings_year",
                scorer=scorers.executive_meetings(),
                weight=1.0,
                description="Meetings with executives in 12 months",
            ),
            Metric(
                name="months_since_business_review",
                scorer=scorers.business_review_recency(),
                weight=1.0,
                description="Months since a review with a senior contact",
            ),
            Metric(
                name="key_user_events",
                scorer=scorers.key_user_events(),
                weight=0.5,
                description="Events attended by key users in 12 months",
            ),
        ),
    )


def _adoption(weight: float) -> Dimension:
    return Dimension(
        name="adoption",
        weight=weight,
        description="Is the product used widely and deeply?",
        metrics=(
            Metric(
                name="active_license_share",
                scorer=scorers.active_license_share(),
                weight=3.0,
                description="Active licences / deployed licences (depth)",
            ),
            Metric(
                name="feature_breadth",
                scorer=scorers.feature_breadth(),
                weight=2.0,
                description="Features used / features available (breadth)",
            ),
            Metric(
                name="key_features_used",
                scorer=scorers.key_features_used(),
                weight=2.0,
                description="Key features used / key features",
            ),
            Metric(
                name="latest_version",
                scorer=scorers.latest_version(),
                weight=0.5,
                description="On the latest version (proxy)",
            ),
            Metric(
                name="training_completion",
                scorer=scorers.training_completion(),
                weight=1.0,
                description="Share of users trained (proxy)",
            ),
            Metric(
                name="ticket_volume",
                scorer=scorers.ticket_volume(),
                weight=0.5,
                description="Tickets per 30 days (proxy)",
            ),
        ),
    )


def _roi(weight: float) -> Dimension:
    return Dimension(
        name="roi",
        weight=weight,
        description="Does the customer see the value?",
        metrics=(
            Metric(
                name="outcome_achievement",
                scorer=scorers.outcome_achievement(),
                weight=3.0,
                description="Progress on agreed goals, 0..1",
            ),
            Metric(
                name="outcome_agreed",
                scorer=scorers.outcome_agreed(),
                weight=1.0,
                description="Executives agreed the goals were met (yes/no)",
            ),
        ),
    )


# --------------------------------------------------------------------------- segments


def segmented(
    weights: Mapping[str, Mapping[str, float]] | None = None,
    *,
    segment_column: str = "segment",
) -> SegmentedModel:
    """Three-dimension models per segment: enterprise, mid_market, smb, product_led.

    Enterprise weighs the relationship higher (30/45/25); SMB (50/20/30) and
    product-led (60/10/30) weigh the product higher; mid-market and unknown
    segments use the standard 40/30/30.

    Args:
        weights: Segment -> dimension weights, replacing :data:`SEGMENT_WEIGHTS`.
        segment_column: Record key / column holding each account's segment.

    Examples:
        >>> segmented().models["smb"].dimension_weights["product"]
        0.5
    """
    table = SEGMENT_WEIGHTS if weights is None else weights
    return SegmentedModel(
        name="segmented",
        description="Three-dimension model with segment-specific dimension weights",
        segments={seg: three_dimension(w, name=seg) for seg, w in table.items()},
        default=three_dimension(),
        segment_column=segment_column,
    )
