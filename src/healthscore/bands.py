"""Colour bands with playbooks, alert levels with response times.

Both are *threshold ladders*: tiers listed from the best down, each with the
lowest score it accepts (``min_score``). The lowest tier starts at 0, so the
tiers cover 0..100 with no gap and no overlap by construction; validation checks
the order.

Defaults, from the specification:

* Bands: Green >= 80 (expand), Yellow 60-79 (stabilise), Orange 40-59
  (intervene), Red < 40 (executive escalation), each with its playbook.
* Alerts: healthy >= 75 (standard cadence), warning 60-75 (proactive outreach
  within a week), at_risk 40-60 (CSM within 48 h), critical < 40 (escalate to
  management now).

Examples:
    >>> from healthscore.bands import default_alerts, default_bands
    >>> default_bands().classify(79.9), default_alerts().classify(79.9)
    ('yellow', 'healthy')
    >>> default_bands().classify([85, 65, 45, 5]).tolist()
    ['green', 'yellow', 'orange', 'red']
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, Generic, TypeVar, overload

import attrs
import numpy as np

from healthscore import _engine
from healthscore._io import display_width, pad, terminal_text
from healthscore.exceptions import ValidationError
from healthscore.typing import FloatArray, IntArray, StrArray

__all__ = [
    "AlertLevel",
    "AlertPolicy",
    "Band",
    "BandPolicy",
    "BandSummary",
    "default_alerts",
    "default_bands",
]

_TIE_STEP = 1e-6

NO_LABEL = ""
"""Label given to an account with no score (insufficient data) in array results."""


def _check_min_score(_inst: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not (0.0 <= value <= 100.0):
        raise ValidationError(attribute.name, "must be a score in [0, 100]", value)


def _strings(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(str(v) for v in value)


def _check_name(_inst: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if not value.strip():
        raise ValidationError(attribute.name, "must not be blank", value)


@attrs.frozen(kw_only=True)
class Band:
    """One colour band: its name, the lowest score it accepts, and its playbook.

    Examples:
        >>> Band(name="green", min_score=80, playbook=("Monthly check-in",)).min_score
        80.0
    """

    name: str = attrs.field(validator=_check_name)
    min_score: float = attrs.field(converter=float, validator=_check_min_score)
    playbook: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    description: str = ""


@attrs.frozen(kw_only=True)
class AlertLevel:
    """One alert level: its name, the lowest score it accepts, and the response.

    ``response_hours`` is how soon someone must act: 0 means now, ``None`` means
    no deadline (standard cadence).

    Examples:
        >>> AlertLevel(name="at_risk", min_score=40, response_hours=48).response_hours
        48.0
    """

    name: str = attrs.field(validator=_check_name)
    min_score: float = attrs.field(converter=float, validator=_check_min_score)
    response: str = ""
    response_hours: float | None = attrs.field(default=None, converter=attrs.converters.optional(float))

    @response_hours.validator
    def _check_hours(self, attribute: attrs.Attribute[Any], value: float | None) -> None:
        if value is not None and not (math.isfinite(value) and value >= 0):
            raise ValidationError(attribute.name, "must be a number of hours >= 0, or None", value)


_Tier = TypeVar("_Tier", Band, AlertLevel)


def _check_ladder(field: str, tiers: Sequence[Band | AlertLevel]) -> None:
    if not tiers:
        raise ValidationError(field, "must hold at least one tier", tiers)
    names = [t.name for t in tiers]
    for i, tier in enumerate(tiers):
        if names.index(tier.name) != i:
            raise ValidationError(f"{field}[{i}].name", "must be unique", tier.name)
        if i and tier.min_score >= tiers[i - 1].min_score:
            raise ValidationError(
                f"{field}[{i}].min_score",
                f"must be below the previous tier's min_score ({tiers[i - 1].min_score!r})",
                tier.min_score,
                "list tiers from the best (highest) down",
            )
    if tiers[-1].min_score != 0.0:
        raise ValidationError(
            f"{field}[{len(tiers) - 1}].min_score",
            "must be 0 so that the tiers cover 0..100 with no gap",
            tiers[-1].min_score,
        )


class _Ladder(Generic[_Tier]):
    """Classification shared by band and alert policies."""

    __slots__ = ()

    def _tiers(self) -> tuple[_Tier, ...]:
        raise NotImplementedError

    @property
    def names(self) -> tuple[str, ...]:
        """Tier names, best first."""
        return tuple(t.name for t in self._tiers())

    @property
    def thresholds(self) -> tuple[float, ...]:
        """Each tier's ``min_score``, best first."""
        return tuple(t.min_score for t in self._tiers())

    def get(self, name: str) -> _Tier:
        """The tier called ``name``."""
        for tier in self._tiers():
            if tier.name == name:
                return tier
        raise KeyError(f"no tier named {name!r}; tiers: {', '.join(self.names)}")

    def code_one(self, score: float) -> int:
        """Index (best = 0) of the tier holding ``score``; -1 for NaN.

        The engine's one tier rule (:func:`healthscore._engine.tier_codes`), on
        one Python float.
        """
        code: int = _engine.tier_codes(_engine.SCALAR, float(score), self.thresholds, int)
        return code

    def codes(self, scores: Any) -> IntArray:
        """Tier index (best = 0) for each score in an array; -1 for NaN.

        The same rule as :meth:`code_one`, on a NumPy array.
        """
        arr = np.asarray(scores, dtype=np.float64)
        codes: IntArray = _engine.tier_codes(np, arr, self.thresholds, np.intp)
        return codes

    def labels(self, codes: IntArray) -> StrArray:
        """Tier names for tier indices; ``""`` for -1 (no score)."""
        names = np.array([*self.names, NO_LABEL], dtype=np.str_)
        return names[codes]

    @overload
    def classify(self, score: float) -> str | None: ...
    @overload
    def classify(self, score: Iterable[float] | FloatArray) -> StrArray: ...
    def classify(self, score: Any) -> Any:
        """Tier name for a score (``None`` for NaN) or for each score of an array
        (``""`` for NaN)."""
        if np.ndim(score) == 0:
            code = self.code_one(float(score))
            return None if code < 0 else self._tiers()[code].name
        return self.labels(self.codes(score))


def _bands(value: Iterable[Band]) -> tuple[Band, ...]:
    return tuple(value)


def _levels(value: Iterable[AlertLevel]) -> tuple[AlertLevel, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class BandPolicy(_Ladder[Band]):
    """Colour bands, best first.

    Examples:
        >>> policy = default_bands()
        >>> policy.names
        ('green', 'yellow', 'orange', 'red')
        >>> policy.get("red").playbook[0]
        'Immediate management escalation'
    """

    bands: tuple[Band, ...] = attrs.field(converter=_bands)

    @bands.validator
    def _check(self, _attribute: attrs.Attribute[Any], value: tuple[Band, ...]) -> None:
        _check_ladder("bands", value)

    def _tiers(self) -> tuple[Band, ...]:
        return self.bands

    @classmethod
    def from_quantiles(
        cls,
        scores: Any,
        shares: Sequence[float],
        *,
        template: BandPolicy | None = None,
    ) -> BandPolicy:
        """Thresholds chosen from the portfolio's own distribution.

        ``shares`` gives, best band first, the share of accounts each band should
        hold (they must sum to 1). Names and playbooks come from ``template``
        (default: :func:`default_bands`).

        Examples:
            >>> import numpy as np
            >>> p = BandPolicy.from_quantiles(np.arange(100.0), [0.25, 0.25, 0.3, 0.2])
            >>> p.thresholds
            (74.25, 49.5, 19.8, 0.0)
        """
        base = default_bands() if template is None else template
        if len(shares) != len(base.bands):
            raise ValidationError("shares", f"must give one share per band ({len(base.bands)})", list(shares))
        if any(s < 0 for s in shares) or not math.isclose(sum(shares), 1.0, abs_tol=1e-9):
            raise ValidationError("shares", "must be >= 0 and sum to 1", list(shares))
        arr = np.asarray(scores, dtype=np.float64)
        arr = arr[~np.isnan(arr)]
        if arr.size == 0:
            raise ValidationError("scores", "must hold at least one scored account", arr.size)
        cumulative = np.cumsum(shares[::-1])[:-1]  # share at or below each cut, worst first
        cuts = np.quantile(arr, np.clip(cumulative, 0.0, 1.0))[::-1]
        mins = [*(float(round(c, 6)) for c in cuts), 0.0]
        # Tied scores (many accounts at 0, say) give tied cuts; lift each cut just
        # above the one below it so that the ladder stays strictly ordered.
        # Scores piled at 100 push the top cut past 100: cap it and keep the order.
        for i in range(len(mins) - 2, -1, -1):
            mins[i] = max(mins[i], mins[i + 1] + _TIE_STEP)
        mins[0] = min(mins[0], 100.0)
        for i in range(1, len(mins) - 1):
            mins[i] = min(mins[i], mins[i - 1] - _TIE_STEP)
        bands = [attrs.evolve(b, min_score=m) for b, m in zip(base.bands, mins, strict=True)]
        return cls(bands=bands)

    def summary(self, scores: Any) -> BandSummary:
        """Count and share of accounts per band, with a credibility check.

        Examples:
            >>> s = default_bands().summary([90, 70, 30, 20, 10, float("nan")])
            >>> s.counts
            {'green': 1, 'yellow': 1, 'orange': 0, 'red': 3}
            >>> s.credible
            False
        """
        codes = self.codes(scores)
        counts_arr = np.bincount(codes[codes >= 0], minlength=len(self.bands))
        scored = int(counts_arr.sum())
        counts = {b.name: int(c) for b, c in zip(self.bands, counts_arr, strict=True)}
        shares = {k: (v / scored if scored else 0.0) for k, v in counts.items()}
        worst = self.bands[-1].name
        warnings: list[str] = []
        if scored and shares[worst] > 0.5:
            warnings.append(
                f"{shares[worst]:.1%} of scored accounts are {worst} (more than half): a policy that "
                "flags most of the portfolio is not credible and leaves more accounts to act on than "
                "a team can handle; revisit the thresholds or the curves"
            )
        return BandSummary(
            counts=counts,
            shares=shares,
            scored=scored,
            unscored=int(codes.size - scored),
            warnings=tuple(warnings),
        )


@attrs.frozen(kw_only=True)
class AlertPolicy(_Ladder[AlertLevel]):
    """Alert levels, healthiest first.

    Examples:
        >>> default_alerts().get("critical").response_hours
        0.0
    """

    levels: tuple[AlertLevel, ...] = attrs.field(converter=_levels)

    @levels.validator
    def _check(self, _attribute: attrs.Attribute[Any], value: tuple[AlertLevel, ...]) -> None:
        _check_ladder("levels", value)

    def _tiers(self) -> tuple[AlertLevel, ...]:
        return self.levels

    @classmethod
    def following(cls, bands: BandPolicy, *, template: AlertPolicy | None = None) -> AlertPolicy:
        """Alert levels that start where the bands start, tier for tier.

        Level ``i`` of ``template`` (default: :func:`default_alerts`) keeps its
        name and response and takes band ``i``'s ``min_score``, so an account's
        alert is always the one that goes with its band: the best band is the
        healthiest level, the worst band the most urgent one. Fitted bands
        (:func:`healthscore.fit.choose_thresholds`) come with such alerts.

        Raises:
            ValidationError: ``template`` has another number of levels than
                ``bands`` has bands.

        Examples:
            >>> bands = BandPolicy.from_quantiles(np.arange(100.0), [0.25, 0.25, 0.3, 0.2])
            >>> alerts = AlertPolicy.following(bands)
            >>> alerts.thresholds == bands.thresholds, alerts.names
            (True, ('healthy', 'warning', 'at_risk', 'critical'))
            >>> bands.classify(60.0), alerts.classify(60.0)
            ('yellow', 'warning')
        """
        base = default_alerts() if template is None else template
        if len(base.levels) != len(bands.bands):
            raise ValidationError(
                "alerts.levels",
                f"must hold one alert level per band ({len(bands.bands)}: {', '.join(bands.names)}) for the "
                "alerts to follow the bands",
                list(base.names),
            )
        return cls(
            levels=tuple(
                attrs.evolve(lvl, min_score=b.min_score) for lvl, b in zip(base.levels, bands.bands, strict=True)
            )
        )


@attrs.frozen(kw_only=True)
class BandSummary:
    """How a portfolio spreads over the bands.

    Attributes:
        counts: Band name -> number of scored accounts, best band first.
        shares: Band name -> share of scored accounts.
        scored: Accounts with a score.
        unscored: Accounts without one (insufficient data).
        warnings: Problems with the policy, such as more than half the accounts
            in the worst band.
    """

    counts: dict[str, int]
    shares: dict[str, float]
    scored: int
    unscored: int
    warnings: tuple[str, ...] = ()

    @property
    def credible(self) -> bool:
        """False when the policy puts more than half of the accounts in the worst band."""
        return not self.warnings

    def __str__(self) -> str:
        """A small text table, one band a line."""
        names = {name: terminal_text(name) for name in self.counts}
        width = max(display_width(n) for n in [*names.values(), "no score"])
        lines = [
            f"{pad(names[name], width)}  {count:>7}  {self.shares[name]:6.1%}" for name, count in self.counts.items()
        ]
        if self.unscored:
            lines.append(f"{pad('no score', width)}  {self.unscored:>7}  {'':>6}  (insufficient data)")
        lines.extend(f"warning: {w}" for w in self.warnings)
        return "\n".join(lines)


def default_bands() -> BandPolicy:
    """Green >= 80, Yellow 60-79, Orange 40-59, Red < 40, with the source's playbooks.

    Examples:
        >>> default_bands().thresholds
        (80.0, 60.0, 40.0, 0.0)
    """
    return BandPolicy(
        bands=(
            Band(
                name="green",
                min_score=80,
                description="Healthy: expand",
                playbook=(
                    "Monthly check-in",
                    "Quarterly business review",
                    "Identify expansion opportunities",
                    "Ask for a case study or reference",
                ),
            ),
            Band(
                name="yellow",
                min_score=60,
                description="Watch: stabilise",
                playbook=(
                    "Bi-weekly check-in",
                    "Adoption sessions",
                    "Develop the executive sponsor",
                    "Enable integrations",
                ),
            ),
            Band(
                name="orange",
                min_score=40,
                description="At risk: intervene",
                playbook=(
                    "Weekly touchpoints",
                    "Executive alignment",
                    "Business value review",
                    "Product optimisation",
                    "Consider pricing flexibility",
                ),
            ),
            Band(
                name="red",
                min_score=0,
                description="Critical: executive escalation",
                playbook=(
                    "Immediate management escalation",
                    "Engage the executive sponsor",
                    "Full account assessment",
                    "Win-back proposal",
                ),
            ),
        )
    )


def default_alerts() -> AlertPolicy:
    """healthy >= 75, warning 60-75, at_risk 40-60, critical < 40, with response times.

    Examples:
        >>> [lvl.response_hours for lvl in default_alerts().levels]
        [None, 168.0, 48.0, 0.0]
    """
    return AlertPolicy(
        levels=(
            AlertLevel(name="healthy", min_score=75, response="Standard cadence", response_hours=None),
            AlertLevel(name="warning", min_score=60, response="Proactive outreach within a week", response_hours=168),
            AlertLevel(name="at_risk", min_score=40, response="CSM contact within 48 hours", response_hours=48),
            AlertLevel(name="critical", min_score=0, response="Escalate to management now", response_hours=0),
        )
    )
