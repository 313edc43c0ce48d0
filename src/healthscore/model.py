"""Metrics -> dimensions -> one explainable health score.

A :class:`HealthModel` holds weighted :class:`Dimension` objects, each holding
weighted :class:`Metric` objects (a name, a scorer, a weight), plus the band,
alert and missing-data policies. Weights are raw numbers (any scale); the model
normalises them once, when it is built, into a *plan* that both scoring paths
read:

* :meth:`HealthModel.score` -- one account, a mapping of metric name -> raw value,
  returns a :class:`ScoreResult` that explains itself.
* :meth:`HealthModel.score_batch` -- many accounts, a mapping of column name ->
  array, returns a :class:`BatchScores` of arrays.

Both accumulate in the same order with the same arithmetic, so they agree on
every account to the last bit (a property test checks it).

Missing data is explicit (:class:`MissingPolicy`): re-normalise over the
observed weight (the default), score missing metrics at a neutral value, or
fail. A missing metric is never read as 0. Every score reports its
``coverage``, the share of the model's weight that was observed, and below
``min_coverage`` an account gets no number but an ``insufficient_data`` status
with the reason.

Examples:
    >>> from healthscore import HealthModel, Dimension, Metric, scorers
    >>> model = HealthModel(dimensions=[
    ...     Dimension(name="product", weight=60, metrics=[
    ...         Metric(name="penetration", scorer=scorers.penetration(), weight=2),
    ...         Metric(name="active_days", scorer=scorers.login_frequency()),
    ...     ]),
    ...     Dimension(name="business", weight=40, metrics=[
    ...         Metric(name="roi_multiple", scorer=scorers.roi_multiple()),
    ...     ]),
    ... ])
    >>> result = model.score({"penetration": 0.7, "active_days": 20, "roi_multiple": 0.8})
    >>> round(result.score, 2), result.band, result.alert
    (63.2, 'yellow', 'warning')
    >>> result.drivers[0].name
    'roi_multiple'
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, Literal, TypeAlias

import attrs
import numpy as np

from healthscore import _engine, _frames, _html
from healthscore import scorers as _scorers
from healthscore._io import display_width, pad, terminal_text
from healthscore.bands import AlertPolicy, BandPolicy, default_alerts, default_bands
from healthscore.exceptions import InputError, MissingMetricError, ValidationError
from healthscore.hierarchy import RollUp
from healthscore.typing import Columns, FloatArray, InputKind, Record, Scorer, StrArray

__all__ = [
    "BatchScores",
    "Dimension",
    "HealthModel",
    "Metric",
    "MetricScore",
    "MissingPolicy",
    "MissingStrategy",
    "ScoreResult",
    "SegmentedModel",
    "Status",
]

MissingStrategy: TypeAlias = Literal["renormalize", "neutral", "fail"]
"""How a missing metric is treated: dropped with its weight spread over the
observed ones, scored at a neutral value, or an error."""

Status: TypeAlias = Literal["scored", "insufficient_data"]
"""Whether an account got a score."""

RESERVED_COLUMNS = frozenset(
    {"account_id", "score", "band", "alert", "coverage", "segment", "model", "status", "reason", "drivers"}
)
"""Output column names that dimensions may not take."""

ID_COLUMN = "account_id"
"""The account id column: in a record or a batch, never taken for a metric."""

TYPO_CUTOFF = 0.8
"""How alike (:func:`difflib.get_close_matches`) a key that is no metric must
be to a metric without a value to count as a misspelling of it."""


def misspelt(keys: Iterable[object], metrics: Sequence[str], ignore: Collection[str]) -> list[tuple[str, str]]:
    """The keys that are no metric (nor in ``ignore``: the id, the segment
    column) but look like one of the ``metrics`` the keys lack, each with that
    metric: ``("penatration", "penetration")``. A key unlike every metric is
    other data, not a typo. Case is ignored (``"NPS"`` is a misspelt ``"nps"``).

    Examples:
        >>> misspelt(["penatration", "arr"], ["penetration", "nps"], {"account_id"})
        [('penatration', 'penetration')]
    """
    texts = [str(k) for k in keys]
    given = set(texts)
    lacking = {m.casefold(): m for m in metrics if m not in given}  # compared ignoring case
    found = []
    for key in texts:
        if key in ignore or key in metrics:
            continue
        close = difflib.get_close_matches(key.casefold(), list(lacking), n=1, cutoff=TYPO_CUTOFF)
        if close:
            found.append((key, lacking[close[0]]))
    return found


def _misspelt_error(typos: list[tuple[str, str]]) -> InputError:
    key, metric = typos[0]
    others = "".join(f"; {k!r} is not one either (did you mean {m!r}?)" for k, m in typos[1:])
    return InputError(
        f"unknown metric {key!r}: did you mean {metric!r}? The model reads no {key!r}, so it would be "
        f"ignored and {metric!r} scored as missing{others}",
        column=key,
    )


# --------------------------------------------------------------------------- validators


def _check_name(_inst: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if not isinstance(value, str) or not value.strip() or value != value.strip():
        raise ValidationError(attribute.name, "must be a non-blank string without surrounding spaces", value)


def _check_weight(_inst: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not math.isfinite(value):
        raise ValidationError(attribute.name, "must be finite", value)
    if value < 0:
        raise ValidationError(attribute.name, "must be >= 0", value)


def _check_scorer(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not callable(value):
        raise ValidationError(attribute.name, "must be callable (a scorer or a function)", value)


def _as_float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError("weight", "must be a number", value) from exc


# --------------------------------------------------------------------------- definitions


@attrs.frozen(kw_only=True)
class MissingPolicy:
    """What a missing metric means.

    Args:
        strategy: ``"renormalize"`` (default) spreads a missing metric's weight
            over the observed metrics of its dimension, and a dimension with no
            data over the other dimensions; ``"neutral"`` scores it at
            ``neutral_score``; ``"fail"`` raises :class:`MissingMetricError`.
        neutral_score: Score given to a missing metric under ``"neutral"``.
        min_coverage: Share of the model's weight (0..1) that must be observed
            for an account to get a score. An account with no observed metric
            never gets one.

    Examples:
        >>> MissingPolicy(strategy="neutral", neutral_score=50).strategy
        'neutral'
    """

    strategy: MissingStrategy = attrs.field(default="renormalize")
    neutral_score: float = attrs.field(default=50.0, converter=float)
    min_coverage: float = attrs.field(default=0.0, converter=float)

    @strategy.validator
    def _check_strategy(self, attribute: attrs.Attribute[Any], value: str) -> None:
        if value not in ("renormalize", "neutral", "fail"):
            raise ValidationError(attribute.name, "must be one of 'renormalize', 'neutral', 'fail'", value)

    @neutral_score.validator
    def _check_neutral(self, attribute: attrs.Attribute[Any], value: float) -> None:
        if not 0.0 <= value <= 100.0:
            raise ValidationError(attribute.name, "must be a score in [0, 100]", value)

    @min_coverage.validator
    def _check_coverage(self, attribute: attrs.Attribute[Any], value: float) -> None:
        if not 0.0 <= value <= 1.0:
            raise ValidationError(attribute.name, "must be a share in [0, 1]", value)


@attrs.frozen(kw_only=True)
class Metric:
    """One input of a model: its name (the record key or column), its scorer and
    its weight inside its dimension.

    Examples:
        >>> from healthscore import scorers
        >>> Metric(name="nps", scorer=scorers.nps(), weight=1).weight
        1.0
    """

    name: str = attrs.field(validator=_check_name)
    scorer: Scorer = attrs.field(validator=_check_scorer)
    weight: float = attrs.field(default=1.0, converter=_as_float, validator=_check_weight)
    description: str = ""

    @property
    def input_kind(self) -> InputKind:
        """What the metric reads: ``"numeric"``, ``"category"`` or ``"boolean"``."""
        return _scorers.input_kind(self.scorer)


def _metrics(value: Iterable[Metric]) -> tuple[Metric, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class Dimension:
    """A weighted group of metrics (Product, Relationship, Business, ...).

    Examples:
        >>> from healthscore import scorers
        >>> d = Dimension(name="roi", metrics=[Metric(name="roi_multiple", scorer=scorers.roi_multiple())])
        >>> d.metric_names
        ('roi_multiple',)
    """

    name: str = attrs.field(validator=_check_name)
    metrics: tuple[Metric, ...] = attrs.field(converter=_metrics)
    weight: float = attrs.field(default=1.0, converter=_as_float, validator=_check_weight)
    description: str = ""

    @name.validator
    def _check_reserved(self, attribute: attrs.Attribute[Any], value: str) -> None:
        if value in RESERVED_COLUMNS:
            raise ValidationError(
                attribute.name, f"must not be one of the output columns {sorted(RESERVED_COLUMNS)}", value
            )

    @metrics.validator
    def _check_metrics(self, _attribute: attrs.Attribute[Any], value: tuple[Metric, ...]) -> None:
        if not value:
            raise ValidationError("metrics", "must hold at least one metric", value)
        seen: set[str] = set()
        for i, m in enumerate(value):
            if not isinstance(m, Metric):
                raise ValidationError(f"metrics[{i}]", "must be a Metric", m)
            if m.name in seen:
                raise ValidationError(f"metrics[{i}].name", "must be unique in the dimension", m.name)
            seen.add(m.name)
        total = sum(m.weight for m in value)
        if total <= 0:
            raise ValidationError(
                "metrics", "must have a positive total weight", [m.weight for m in value], "give a metric a weight > 0"
            )
        if not math.isfinite(total):
            raise ValidationError(
                "metrics", "must have a finite total weight", [m.weight for m in value], "scale the weights down"
            )

    @property
    def metric_names(self) -> tuple[str, ...]:
        """Names of the dimension's metrics, in order."""
        return tuple(m.name for m in self.metrics)


@attrs.frozen
class _Plan:
    """Normalised weights and scorers, flattened in model order: the one
    definition both scoring paths read."""

    names: tuple[str, ...]
    scorers: tuple[Scorer, ...]
    dim_names: tuple[str, ...]
    dim_of: tuple[int, ...]
    dim_ranges: tuple[tuple[int, int], ...]
    metric_w: tuple[float, ...]
    dim_w: tuple[float, ...]
    cover_w: tuple[float, ...]
    scalar: tuple[Callable[[Any], float], ...] = attrs.field(init=False, eq=False)
    layout: _engine.Layout = attrs.field(init=False, eq=False)
    name_set: frozenset[str] = attrs.field(init=False, eq=False)
    tables: tuple[tuple[int, _scorers.Categories], ...] = attrs.field(init=False, eq=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "name_set", frozenset(self.names))
        tables = [
            (i, c) for i, c in enumerate(self.scorers) if isinstance(c, _scorers.Categories) and c.unknown is not None
        ]
        object.__setattr__(self, "tables", tuple(tables))  # category tables that score labels they lack
        scalar = tuple(_scalar_scorer(n, s) for n, s in zip(self.names, self.scorers, strict=True))
        kernels = tuple(
            _engine.compile_kernel(self.names[i], self.dim_of[i], self.metric_w[i], self.cover_w[i], self.scorers[i])
            for i in range(len(self.names))
        )
        object.__setattr__(self, "scalar", scalar)
        object.__setattr__(self, "layout", _engine.Layout(kernels, self.dim_w, self.dim_ranges))

    @classmethod
    def build(cls, dimensions: Sequence[Dimension]) -> _Plan:
        names: list[str] = []
        scorers: list[Scorer] = []
        dim_of: list[int] = []
        ranges: list[tuple[int, int]] = []
        metric_w: list[float] = []
        total_dim = sum(d.weight for d in dimensions)
        dim_w = tuple(d.weight / total_dim for d in dimensions)
        cover_w: list[float] = []
        for d_idx, dim in enumerate(dimensions):
            start = len(names)
            total = sum(m.weight for m in dim.metrics)
            for m in dim.metrics:
                names.append(m.name)
                scorers.append(m.scorer)
                dim_of.append(d_idx)
                metric_w.append(m.weight / total)
                cover_w.append(dim_w[d_idx] * (m.weight / total))
            ranges.append((start, len(names)))
        return cls(
            tuple(names),
            tuple(scorers),
            tuple(d.name for d in dimensions),
            tuple(dim_of),
            tuple(ranges),
            tuple(metric_w),
            dim_w,
            tuple(cover_w),
        )


def _scalar_scorer(name: str, scorer: Scorer) -> Callable[[Any], float]:
    """One metric's scalar path: a plain float goes straight to the curve."""

    def generic(raw: Any) -> float:
        return _score_value(name, scorer, raw)

    if isinstance(scorer, _scorers.Piecewise):
        one = scorer.curve.one
        if_missing = math.nan if scorer.missing is None else scorer.missing
        low, high = scorer.bounds

        def piecewise(raw: Any) -> float:  # Piecewise.score_one, inlined
            kind = type(raw)
            if kind is float:
                if low <= raw <= high:
                    return one(raw)
                return if_missing if raw != raw else generic(raw)  # generic raises the domain's error
            if kind is int and low <= raw <= high:
                return one(float(raw))
            return generic(raw)

        return piecewise
    return generic


def _dimensions(value: Iterable[Dimension]) -> tuple[Dimension, ...]:
    return tuple(value)


# --------------------------------------------------------------------------- results


@attrs.frozen(kw_only=True)
class MetricScore:
    """One metric's part in one account's score.

    Attributes:
        name: Metric name.
        dimension: Name of its dimension.
        value: The raw value that was read (``None`` when missing).
        score: Its 0..100 score (``None`` when missing and not imputed).
        weight: Its effective share of the total score after missing data was
            handled (0 when it did not count).
        contribution: ``weight * score``: points it adds to the total.
        points_lost: ``weight * (100 - score)``: points it costs the total.
        observed: Whether a value was present.
        imputed: Whether the missing-data policy gave it a neutral score.
    """

    name: str
    dimension: str
    value: Any
    score: float | None
    weight: float
    observed: bool
    imputed: bool = False

    @property
    def contribution(self) -> float:
        """Points this metric adds to the total score."""
        return 0.0 if self.score is None else self.weight * self.score

    @property
    def points_lost(self) -> float:
        """Points this metric costs the total score (against a perfect 100)."""
        return 0.0 if self.score is None else self.weight * (100.0 - self.score)


@attrs.frozen
class _Detail:
    """What one scoring run saw, kept so that explanations are built only when
    someone asks for them (the scoring itself stays fast)."""

    plan: _Plan
    values: list[Any]
    scores: list[float]
    dim_dens: list[float]
    den_total: float
    scored: bool
    neutral: float | None
    source: HealthModel | None = None  # its policies: the alert's response, the band's playbook

    def metric_scores(self) -> tuple[MetricScore, ...]:
        plan = self.plan
        out = []
        for i, name in enumerate(plan.names):
            d_idx = plan.dim_of[i]
            s = self.scores[i]
            observed = s == s
            imputed = not observed and self.neutral is not None
            counted = self.scored and (observed or imputed) and self.dim_dens[d_idx] > 0
            weight = (
                _engine.effective_weight(plan.dim_w[d_idx], plan.metric_w[i], self.dim_dens[d_idx], self.den_total)
                if counted
                else 0.0
            )
            shown = s if observed else (self.neutral if imputed else None)
            out.append(
                MetricScore(
                    name=name,
                    dimension=plan.dim_names[d_idx],
                    value=self.values[i] if observed else None,
                    score=shown,
                    weight=weight,
                    observed=observed,
                    imputed=imputed,
                )
            )
        return tuple(out)


@attrs.frozen(kw_only=True)
class ScoreResult:
    """One account's score, with everything needed to explain it.

    Attributes:
        score: 0..100, or ``None`` when the data was insufficient.
        band: Band name (``"green"``, ...), or ``None`` without a score.
        alert: Alert level (``"healthy"``, ...), or ``None`` without a score.
        coverage: Share of the model's weight that was observed (0..1).
        dimensions: Dimension name -> 0..100, ``None`` where nothing was observed.
        status: ``"scored"`` or ``"insufficient_data"``.
        reason: Why there is no score, when there is none.
        model: Name of the model that scored the account.
        warnings: What a reader should know, one line each: labels not in a
            metric's category table, which took its unknown score.
    """

    score: float | None
    band: str | None
    alert: str | None
    coverage: float
    dimensions: dict[str, float | None]
    status: Status = "scored"
    reason: str | None = None
    model: str = ""
    warnings: tuple[str, ...] = ()
    _detail: _Detail | None = attrs.field(default=None, alias="detail", repr=False, eq=False)

    @property
    def metrics(self) -> dict[str, MetricScore]:
        """Metric name -> its score, weight and contribution, in model order."""
        return {m.name: m for m in self._metric_scores()}

    def _metric_scores(self) -> tuple[MetricScore, ...]:
        return () if self._detail is None else self._detail.metric_scores()

    @property
    def drivers(self) -> tuple[MetricScore, ...]:
        """Observed metrics that pull the score down, the costliest first."""
        lost = [m for m in self._metric_scores() if m.observed and m.points_lost > 0]
        return tuple(sorted(lost, key=lambda m: -m.points_lost))

    @property
    def missing(self) -> tuple[str, ...]:
        """Names of the metrics that had no value."""
        return tuple(m.name for m in self._metric_scores() if not m.observed)

    def explain(self, top: int = 3) -> str:
        """A few lines a person can read: score, band, dimensions, drivers.

        Examples:
            >>> from healthscore import presets
            >>> print(presets.three_dimension().score({"penetration": 0.3}).explain())
            score 37.5 (red, critical), coverage 8%, model three_dimension
              product       37.5
              relationship     -
              business         -
            drivers: penetration -62.5
            missing: active_days, days_since_last_login, ...
        """
        if self.score is None:
            head = f"no score ({self.reason})"
        else:
            head = f"score {self.score:.1f} ({self.band}, {self.alert})"
        lines = [f"{head}, coverage {self.coverage:.0%}, model {self.model}"]
        width = max((display_width(terminal_text(n)) for n in self.dimensions), default=0)
        for name, value in self.dimensions.items():
            shown = "-" if value is None else f"{value:.1f}"
            lines.append(f"  {pad(terminal_text(name), width)}  {shown:>6}")
        drivers = self.drivers[:top]
        if drivers:
            lines.append("drivers: " + ", ".join(f"{m.name} -{m.points_lost:.1f}" for m in drivers))
        missing = self.missing
        if missing:
            shown_missing = ", ".join(missing[:2]) + (", ..." if len(missing) > 2 else "")
            lines.append(f"missing: {shown_missing}")
        return "\n".join(lines)

    def to_html(self, lang: str = "en", *, model: HealthModel | None = None, as_of: Any = None) -> str:
        """The account as an HTML display (needs Jinja2: the ``report`` extra):
        score, band colour, alert, coverage, dimension bars, drivers, missing
        metrics and the metric table (raw value, metric score, weight,
        contribution, points lost) -- the numbers :meth:`explain` prints.

        Args:
            lang: ``"en"`` or ``"ja"``: labels, band and alert names from the
                language's catalogue; names a model file defined as written.
            model: The model whose policies to show (default: the model that
                scored the account): the alert's response and due time, the
                band's playbook and each metric's curve.
            as_of: The scoring date: the due time as a date (else "within N hours").

        Examples:
            >>> from healthscore import presets
            >>> model = presets.three_dimension()
            >>> result = model.score({"penetration": 0.35, "nps": -20, "roi_multiple": 1.5,
            ...                       "days_since_last_login": 12, "executive_engagement": "aware"})
            >>> page = result.to_html(as_of="2026-06-30")
            >>> print(result.explain().splitlines()[0])
            score 52.8 (orange, at_risk), coverage 29%, model three_dimension
            >>> "52.8" in page, "CSM contact within 48 hours" in page, "Jul 2, 2026 00:00 UTC" in page
            (True, True, True)
            >>> "オレンジ" in result.to_html("ja")
            True
        """
        if model is None and self._detail is not None:
            model = self._detail.source
        return _html.score_html(self, lang=lang, model=model, as_of=as_of)

    def _repr_html_(self) -> str:
        """The notebook display: :meth:`to_html`, or the text of :meth:`explain`
        without Jinja2."""
        return _html.notebook(self.to_html, self.explain)


@attrs.frozen(kw_only=True)
class BatchScores:
    """Scores of many accounts, as arrays of one length.

    Arrays are NumPy arrays, or arrays of the caller's array library (CuPy,
    PyTorch, ...) when the input came as such.

    Attributes:
        score: Scores, NaN where the data was insufficient.
        coverage: Share of the model's weight observed, per account.
        dimensions: Dimension name -> scores (NaN where nothing observed).
        band_codes: Band index per account (0 = best band), -1 without a score.
        alert_codes: Alert level index per account (0 = healthiest), -1 without
            a score.
        band_names: Band names in code order.
        alert_names: Alert level names in code order.
        metric_scores: Metric name -> 0..100 scores (NaN where missing); empty
            unless asked for.
        metric_weights: Metric name -> each account's effective weight of the
            metric (``ScoreResult.metrics[name].weight``: its share of the total
            once missing data is handled, 0 where it did not count); empty
            unless asked for. ``weight * score`` is the metric's contribution.
        drivers: Names of the metrics costing each account most points,
            costliest first (``drivers[0]`` is every account's top driver);
            ``""`` where fewer metrics cost points. Empty unless asked for.
        points_lost: Points each driver in ``drivers`` costs, same layout.
        model: Name of the model per account (segmented models); else ``None``.
        segment: Segment per account (segmented models); else ``None``.
        out_of_range: One report per column whose values fell outside its
            metric's domain (count and the first rows): those values were
            scored as missing, so coverage shows them.
        warnings: What a reader should know, one line each: the out-of-range
            reports, columns that look like a misspelt metric, and labels not
            in a metric's category table (scored its unknown score).
    """

    score: Any
    coverage: Any
    dimensions: dict[str, Any]
    band_codes: Any
    alert_codes: Any
    band_names: tuple[str, ...]
    alert_names: tuple[str, ...]
    metric_scores: dict[str, Any] = attrs.field(factory=dict)
    metric_weights: dict[str, FloatArray] = attrs.field(factory=dict)
    drivers: tuple[StrArray, ...] = ()
    points_lost: tuple[FloatArray, ...] = ()
    model: StrArray | None = None
    segment: StrArray | None = None
    out_of_range: tuple[_scorers.OutOfRange, ...] = ()
    warnings: tuple[str, ...] = ()

    def __len__(self) -> int:
        """Number of accounts."""
        return int(self.score.shape[0])

    @property
    def band(self) -> StrArray:
        """Band name per account, ``""`` without a score (a NumPy array)."""
        return _labels(self.band_names, self.band_codes)

    @property
    def alert(self) -> StrArray:
        """Alert level per account, ``""`` without a score (a NumPy array)."""
        return _labels(self.alert_names, self.alert_codes)

    @property
    def status(self) -> StrArray:
        """``"scored"`` or ``"insufficient_data"`` per account (a NumPy array)."""
        return np.where(to_numpy(self.band_codes) < 0, "insufficient_data", "scored")

    @property
    def column_names(self) -> tuple[str, ...]:
        """The names :meth:`__getitem__` and :meth:`to_columns` know, in order:
        ``segment`` and ``model`` (segmented models), ``score``, ``band``,
        ``alert``, one per dimension, ``coverage``, ``status``,
        ``<metric>_score`` for each metric when metric scores were asked for,
        ``<metric>_weight`` when weights were asked for, and ``driver_1``,
        ``driver_1_points``, ... when drivers were asked for."""
        names = [n for n in ("segment", "model") if getattr(self, n) is not None]
        names += ["score", "band", "alert", *self.dimensions, "coverage", "status"]
        names += [f"{name}_score" for name in self.metric_scores]
        names += [f"{name}_weight" for name in self.metric_weights]
        for i in range(1, len(self.drivers) + 1):
            names += [f"driver_{i}", f"driver_{i}_points"]
        return tuple(names)

    def __getitem__(self, name: str) -> Any:
        """One column by name (see :attr:`column_names`), as in a data frame.

        Raises:
            KeyError: ``name`` is not one of :attr:`column_names`; the message
                lists them.

        Examples:
            >>> from healthscore import presets
            >>> out = presets.dear().score_batch(
            ...     {"deployment": [0.9], "outcome_achievement": [1.0]}, missing_columns="missing")
            >>> out["band"].tolist(), out["score"].shape
            (['green'], (1,))
        """
        if name in ("score", "band", "alert", "coverage", "status") or (
            name in ("segment", "model") and getattr(self, name) is not None
        ):
            return getattr(self, name)
        if name in self.dimensions:
            return self.dimensions[name]
        if name.endswith("_score") and name.removesuffix("_score") in self.metric_scores:
            return self.metric_scores[name.removesuffix("_score")]
        if name.endswith("_weight") and name.removesuffix("_weight") in self.metric_weights:
            return self.metric_weights[name.removesuffix("_weight")]
        if name.startswith("driver_"):
            index, _, points = name.removeprefix("driver_").partition("_")
            if index.isdigit() and 1 <= int(index) <= len(self.drivers) and points in ("", "points"):
                return (self.points_lost if points else self.drivers)[int(index) - 1]
        msg = f"{name!r} is not a column of these scores; columns: {', '.join(self.column_names)}"
        raise KeyError(msg)

    def to_columns(self) -> dict[str, Any]:
        """All results as one ordered mapping of column name -> array (the
        columns of :attr:`column_names`)."""
        return {name: self[name] for name in self.column_names}

    def to_html(self, account_ids: Any = None, top: int = 10, lang: str = "en") -> str:
        """The portfolio as an HTML display (needs Jinja2: the ``report``
        extra): accounts per band and the ``top`` riskiest accounts, lowest
        score first, with their drivers when they were asked for.

        Args:
            account_ids: One id per account, in score order (default: the row index).
            top: How many of the riskiest accounts to list.
            lang: ``"en"`` or ``"ja"``.

        Examples:
            >>> from healthscore import presets
            >>> out = presets.dear().score_batch(
            ...     {"deployment": [0.9, 0.2, 0.5]}, missing_columns="missing", drivers=2)
            >>> page = out.to_html(account_ids=["acme", "globex", "initech"], top=2)
            >>> page.index("globex") < page.index("initech"), "acme" in page
            (True, False)
        """
        return _html.batch_html(self, account_ids=account_ids, top=top, lang=lang)

    def _repr_html_(self) -> str:
        """The notebook display: :meth:`to_html`, or a text summary without Jinja2."""
        return _html.notebook(self.to_html, lambda: _html.batch_text(self))


def to_numpy(values: Any) -> Any:
    """A NumPy view or host copy of an array from any array library."""
    if isinstance(values, np.ndarray):
        return values
    for attempt in (
        lambda v: v.get(),  # CuPy
        lambda v: v.cpu().numpy(),  # PyTorch
        lambda v: np.from_dlpack(v),
        lambda v: np.asarray(v),
    ):
        try:
            return np.asarray(attempt(values))
        except Exception:  # noqa: BLE001 -- try the next way of getting the data out
            continue
    raise InputError(f"cannot read {type(values).__name__} values back into NumPy")


def _labels(names: tuple[str, ...], codes: Any) -> StrArray:
    table = np.array([*names, ""], dtype=np.str_)  # code -1 picks the trailing ""
    labels: StrArray = table[to_numpy(codes)]
    return labels


# --------------------------------------------------------------------------- the model


def _column_length(columns: Columns) -> int:
    lengths = {}
    for name, values in columns.items():
        shape = getattr(values, "shape", None)
        try:
            lengths[name] = int(shape[0]) if shape else len(values)
        except TypeError:
            raise InputError(f"column {name!r} must be an array or a list, got {type(values).__name__}") from None
    if not lengths:
        return 0
    distinct = set(lengths.values())
    if len(distinct) > 1:
        detail = ", ".join(f"{k}={v}" for k, v in lengths.items())
        raise InputError(f"all columns must have the same length, got {detail}")
    return distinct.pop()


@attrs.frozen(kw_only=True)
class HealthModel:
    """A complete health score definition.

    Args:
        dimensions: Weighted dimensions, each with weighted metrics. Metric names
            are unique across the model.
        bands: Colour band policy (default: :func:`~healthscore.bands.default_bands`).
        alerts: Alert level policy (default: :func:`~healthscore.bands.default_alerts`).
        missing: Missing-data policy (default: re-normalise, no minimum coverage).
        rollup: How a parent account's score follows from its children's
            when the accounts form a tree (a ``parent_id`` column; see
            :mod:`healthscore.hierarchy`). ``None`` (default): the default
            :class:`~healthscore.hierarchy.RollUp`, the children's mean
            weighted by ARR. Scoring one account or a table without parents
            never reads it.
        name: A label shown in results and reports.
        description: Free text.

    Examples:
        >>> from healthscore import presets
        >>> model = presets.three_dimension()
        >>> model.dimension_weights
        {'product': 0.4, 'relationship': 0.3, 'business': 0.3}
    """

    dimensions: tuple[Dimension, ...] = attrs.field(converter=_dimensions)
    bands: BandPolicy = attrs.field(factory=default_bands)
    alerts: AlertPolicy = attrs.field(factory=default_alerts)
    missing: MissingPolicy = attrs.field(factory=MissingPolicy)
    rollup: RollUp | None = attrs.field(default=None)
    name: str = attrs.field(default="custom", validator=_check_name)
    description: str = ""
    _plan: _Plan = attrs.field(init=False, repr=False, eq=False)

    @dimensions.validator
    def _check_dimensions(self, _attribute: attrs.Attribute[Any], value: tuple[Dimension, ...]) -> None:
        if not value:
            raise ValidationError("dimensions", "must hold at least one dimension", value)
        dims: set[str] = set()
        metrics: dict[str, str] = {}
        for i, dim in enumerate(value):
            if not isinstance(dim, Dimension):
                raise ValidationError(f"dimensions[{i}]", "must be a Dimension", dim)
            if dim.name in dims:
                raise ValidationError(f"dimensions[{i}].name", "must be unique in the model", dim.name)
            dims.add(dim.name)
            for j, m in enumerate(dim.metrics):
                if m.name in metrics:
                    raise ValidationError(
                        f"dimensions[{i}].metrics[{j}].name",
                        f"must be unique in the model (already in dimension {metrics[m.name]!r})",
                        m.name,
                    )
                metrics[m.name] = dim.name
        total = sum(d.weight for d in value)
        if total <= 0:
            raise ValidationError(
                "dimensions",
                "must have a positive total weight",
                [d.weight for d in value],
                "give a dimension a weight > 0",
            )
        if not math.isfinite(total):
            raise ValidationError(
                "dimensions", "must have a finite total weight", [d.weight for d in value], "scale the weights down"
            )

    @rollup.validator
    def _check_rollup(self, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is not None and not isinstance(value, RollUp):
            raise ValidationError(attribute.name, "must be a healthscore.hierarchy.RollUp or None", value)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_plan", _Plan.build(self.dimensions))

    # -- introspection -------------------------------------------------------

    @property
    def metric_names(self) -> tuple[str, ...]:
        """Names of the inputs the model reads, in model order."""
        return self._plan.names

    @property
    def dimension_names(self) -> tuple[str, ...]:
        """Names of the dimensions, in model order."""
        return self._plan.dim_names

    @property
    def metrics(self) -> dict[str, Metric]:
        """Metric name -> :class:`Metric`."""
        return {m.name: m for d in self.dimensions for m in d.metrics}

    @property
    def dimension_weights(self) -> dict[str, float]:
        """Dimension name -> normalised weight (they sum to 1)."""
        return dict(zip(self._plan.dim_names, self._plan.dim_w, strict=True))

    @property
    def metric_weights(self) -> dict[str, float]:
        """Metric name -> its share of the whole score when every metric is
        observed (they sum to 1)."""
        return dict(zip(self._plan.names, self._plan.cover_w, strict=True))

    # -- one account -----------------------------------------------------------

    def score(self, record: Record) -> ScoreResult:
        """Score one account.

        Args:
            record: Metric name -> raw value. A key that is absent, ``None``, NaN
                or ``""`` is a missing metric; other keys the model does not
                read are ignored, unless one looks like a misspelt metric.

        Raises:
            MissingMetricError: A metric is missing and the policy is ``"fail"``.
            InputError: A value cannot be scored (text in a numeric metric, an
                unknown category, a list, a value outside the metric's
                domain), or a key looks like a misspelt metric that has no
                value (``"penatration"``); the message names the metric.
        """
        if not isinstance(record, Mapping):
            raise InputError(f"record must be a mapping of metric name -> value, got {type(record).__name__}")
        if not self._plan.name_set.issuperset(record):
            typos = misspelt(record, self._plan.names, {ID_COLUMN, "segment"})
            if typos:
                raise _misspelt_error(typos)
        return self._score(record)

    def _score(self, record: Mapping[str, Any]) -> ScoreResult:
        """:meth:`score` once the record's keys are checked."""
        plan = self._plan
        policy = self.missing
        strategy = policy.strategy
        scalar = plan.scalar
        names = plan.names
        metric_w = plan.metric_w
        get = record.get
        dim_w = plan.dim_w
        add_dimension = _engine.add_dimension
        dimension_score = _engine.dimension_score
        one = _engine.SCALAR
        values: list[Any] = []
        scores: list[float] = []
        dim_scores: list[float] = []
        dim_dens: list[float] = []
        totals = (0.0, 0.0, 0.0)
        for d_idx, (lo, hi) in enumerate(plan.dim_ranges):
            num = 0.0
            den = 0.0
            observed = 0.0
            for i in range(lo, hi):
                raw = get(names[i])
                values.append(raw)
                s = scalar[i](raw)
                scores.append(s)
                if s != s:
                    if strategy == "renormalize":
                        continue
                    if strategy == "fail":
                        raise MissingMetricError(
                            f"metric {names[i]!r} is missing and the model's missing policy is 'fail'",
                            column=names[i],
                            value=raw,
                        )
                    s = policy.neutral_score
                else:
                    observed += metric_w[i]
                num += metric_w[i] * s
                den += metric_w[i]
            dim_dens.append(den)
            totals, value, has = add_dimension(one, totals, num, den, observed, dim_w[d_idx], float)
            dim_scores.append(dimension_score(one, value, has))
        num_total, den_total, coverage = totals
        reason = _engine.insufficient_reason(coverage, den_total, policy.min_coverage)
        detail = _Detail(
            plan,
            values,
            scores,
            dim_dens,
            den_total,
            reason is None,
            policy.neutral_score if strategy == "neutral" else None,
            self,
        )
        if reason:
            return ScoreResult(
                score=None,
                band=None,
                alert=None,
                coverage=coverage,
                dimensions=dict.fromkeys(plan.dim_names),
                status="insufficient_data",
                reason=reason,
                model=self.name,
                detail=detail,
            )
        total = _engine.account_score(one, num_total, den_total, False, float)
        return ScoreResult(
            warnings=_unknown_labels(plan, record) if plan.tables else (),
            score=total,
            band=self.bands.bands[self.bands.code_one(total)].name,
            alert=self.alerts.levels[self.alerts.code_one(total)].name,
            coverage=coverage,
            dimensions={n: (None if v != v else v) for n, v in zip(plan.dim_names, dim_scores, strict=True)},
            model=self.name,
            detail=detail,
        )

    # -- many accounts ---------------------------------------------------------

    def score_batch(
        self,
        columns: Columns | _frames.Table,
        *,
        metric_scores: bool = False,
        drivers: int = 0,
        missing_columns: Literal["error", "missing"] = "error",
        dimensions: bool = True,
        threads: int | None = None,
        precision: _engine.Precision | None = None,
        chunk_size: int = _engine.DEFAULT_CHUNK,
        weights: bool = False,
    ) -> BatchScores:
        """Score many accounts at once.

        Args:
            columns: Column name -> array-like of raw values, one entry per
                account, or a pandas / polars / pyarrow data frame (read as
                :func:`~healthscore.score_portfolio` reads it). Columns the
                model does not read are ignored. NumPy
                arrays and lists are scored on the CPU; arrays of another array
                API library (CuPy, PyTorch, ...) are scored on their device and
                the results come back in that library.
            metric_scores: Also return each metric's 0..100 score.
            drivers: Also return, per account, the names of this many metrics
                that cost it most points.
            missing_columns: ``"error"`` (default) raises when a metric has no
                column; ``"missing"`` treats such a metric as missing for every
                account (useful when starting small).
            dimensions: Return the dimension scores (default); ``False`` saves
                their memory when only the total is needed.
            threads: CPU threads (default: one per core for large inputs).
            precision: ``"float64"`` (default) or ``"float32"``, which halves
                the engine's working memory at an error of at most a few
                thousandths of a point (see ``docs/portfolio.md``).
            chunk_size: Rows per chunk on the CPU.
            weights: Also return each metric's effective weight per account
                (:attr:`BatchScores.metric_weights`, the scalar path's
                ``MetricScore.weight``); computed on the CPU.

        Returns:
            A :class:`BatchScores`; in float64 its numbers equal :meth:`score`
            on each account, bit for bit.

        Examples:
            >>> from healthscore import presets
            >>> out = presets.dear().score_batch(
            ...     {"deployment": [0.9, 0.2], "outcome_achievement": [1.0, None]},
            ...     missing_columns="missing")
            >>> out.band.tolist()
            ['green', 'red']
        """
        _check_batch_options(
            metric_scores=metric_scores,
            weights=weights,
            drivers=drivers,
            missing_columns=missing_columns,
            dimensions=dimensions,
            threads=threads,
            precision=precision,
            chunk_size=chunk_size,
        )
        labels = [n for n, m in self.metrics.items() if _scorers.input_kind(m.scorer) != "numeric"]
        given = _frames.column_names(columns)
        columns = _frames.as_columns(columns, self.metric_names, labels=labels)
        plan = self._plan
        typos = misspelt(given, plan.names, {ID_COLUMN, "segment"})
        absent = [n for n in plan.names if n not in columns]
        if absent and missing_columns == "error":
            hint = "".join(f"; column {k!r} looks like a misspelling of {m!r}" for k, m in typos)
            raise InputError(
                f"missing column(s) {', '.join(repr(a) for a in absent)}: the model reads "
                f"{', '.join(plan.names)}; pass missing_columns='missing' to treat absent metrics as missing{hint}",
                column=absent[0],
            )
        if len(absent) == len(plan.names):
            raise InputError(f"none of the model's metrics has a column; the model reads {', '.join(plan.names)}")
        present = {k: columns[k] for k in plan.names if k in columns}
        n = _column_length(present)
        drivers = min(drivers, len(plan.names))
        policy = _engine.Policy(self.missing.strategy, self.missing.neutral_score, self.missing.min_coverage)
        xp = _array_namespace(present)
        if xp is None:
            raw = _engine.run_numpy(
                plan.layout,
                policy,
                present,
                n,
                keep_metrics=metric_scores,
                n_drivers=drivers,
                threads=threads,
                chunk=chunk_size,
                precision=precision or "float64",
                keep_dimensions=dimensions,
                keep_weights=weights,
            )
            ns: Any = np
        else:
            if drivers or weights:
                raise InputError("drivers and weights are computed on the CPU; pass NumPy arrays to ask for them")
            with np.errstate(invalid="ignore", divide="ignore"):  # NumPy-backed namespaces: 0 / 0 is NaN on purpose
                raw = _engine.run_xp(
                    xp, plan.layout, policy, present, n, keep_metrics=metric_scores, precision=precision
                )
            ns = xp
        top: tuple[StrArray, ...] = ()
        lost: tuple[FloatArray, ...] = ()
        if drivers and raw.driver_index is not None and raw.driver_points is not None:
            table = np.array([*plan.names, ""], dtype=np.str_)
            top = tuple(table[raw.driver_index[:, j]] for j in range(drivers))
            lost = tuple(np.ascontiguousarray(raw.driver_points[:, j]) for j in range(drivers))
        return BatchScores(
            score=raw.score,
            coverage=raw.coverage,
            dimensions=dict(zip(plan.dim_names, raw.dimensions, strict=True)) if dimensions else {},
            band_codes=_engine.tier_codes(ns, raw.score, self.bands.thresholds, ns.int8),
            alert_codes=_engine.tier_codes(ns, raw.score, self.alerts.thresholds, ns.int8),
            band_names=self.bands.names,
            alert_names=self.alerts.names,
            metric_scores=dict(zip(plan.names, raw.metric_scores, strict=True)) if raw.metric_scores else {},
            metric_weights=dict(zip(plan.names, raw.metric_weights, strict=True)) if raw.metric_weights else {},
            drivers=top,
            points_lost=lost,
            out_of_range=raw.out_of_range,
            warnings=(*_warnings(raw.out_of_range, typos), *_unknown_labels(plan, present)),
        )

    # -- display ---------------------------------------------------------------

    def to_html(self, lang: str = "en") -> str:
        """The model as an HTML display (needs Jinja2: the ``report`` extra):
        dimensions and weights, each metric's share of the score and its curve
        with its breakpoints (label scorers: one bar per label), the bands with
        their playbooks and the alert levels with their responses.

        Examples:
            >>> from healthscore import presets
            >>> page = presets.three_dimension().to_html()
            >>> page.count('class="hs-chart hs-curve"') > 10, "<script" in page
            (True, False)
        """
        return _html.model_html(self, lang=lang)

    def _repr_html_(self) -> str:
        """The notebook display: :meth:`to_html`, or a text summary without Jinja2."""
        return _html.notebook(self.to_html, lambda: _html.model_text(self))


def _warnings(reports: Iterable[_scorers.OutOfRange], typos: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    """The lines of :attr:`BatchScores.warnings`: the out-of-range reports
    first, in their order, then the misspelt columns."""
    lines = [str(r) for r in reports]
    lines += [
        f"column {k!r} is not a metric of the model: did you mean {m!r}? {m!r} has no column and is scored as missing"
        for k, m in typos
    ]
    return tuple(lines)


def _unknown_label_reports(plan: _Plan, columns: Mapping[str, Any]) -> list[_scorers.UnknownLabels]:
    """The labels not in a metric's category table, one report per column."""
    reports = (
        t.unknown_labels(plan.names[i], columns[plan.names[i]]) for i, t in plan.tables if plan.names[i] in columns
    )
    return [r for r in reports if r is not None]


def _unknown_labels(plan: _Plan, columns: Mapping[str, Any]) -> tuple[str, ...]:
    """The lines of :attr:`BatchScores.warnings` on labels not in a metric's
    category table, one per column."""
    return tuple(str(r) for r in _unknown_label_reports(plan, columns))


def _is_whole(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def _check_batch_options(
    *,
    metric_scores: object,
    weights: object = False,
    drivers: object,
    missing_columns: object,
    dimensions: object,
    threads: object,
    precision: object,
    chunk_size: object,
) -> None:
    """The options of every ``score_batch``, checked in one place."""
    for field, flag in (("metric_scores", metric_scores), ("weights", weights), ("dimensions", dimensions)):
        if not isinstance(flag, bool | np.bool_):
            raise ValidationError(field, "must be True or False", flag)
    if not isinstance(missing_columns, str) or missing_columns not in ("error", "missing"):
        raise ValidationError("missing_columns", "must be 'error' or 'missing'", missing_columns)
    if precision is not None and (not isinstance(precision, str) or precision not in _engine.PRECISIONS):
        raise ValidationError(
            "precision", f"must be one of {', '.join(repr(p) for p in _engine.PRECISIONS)}, or None", precision
        )
    if not (_is_whole(drivers) and drivers >= 0):  # type: ignore[operator]
        raise ValidationError("drivers", "must be a whole number >= 0", drivers)
    if not (_is_whole(chunk_size) and chunk_size > 0):  # type: ignore[operator]
        raise ValidationError("chunk_size", "must be a whole number > 0", chunk_size)
    if threads is not None and not (_is_whole(threads) and threads > 0):  # type: ignore[operator]
        raise ValidationError("threads", "must be a whole number > 0, or None for one per core", threads)


def _array_namespace(columns: Mapping[str, Any]) -> Any:
    """The array API namespace of the columns when they are not NumPy arrays or
    plain Python data; ``None`` for the NumPy engine."""
    foreign = [v for v in columns.values() if hasattr(v, "__array_namespace__") and not isinstance(v, np.ndarray)]
    if not foreign:
        return None
    try:
        import array_api_compat  # noqa: PLC0415 -- optional extra, imported only for device arrays
    except ImportError:
        raise InputError(
            f"scoring {type(foreign[0]).__name__} arrays needs the array API compatibility layer: "
            "pip install 'healthscore[array-api]'"
        ) from None
    try:
        return array_api_compat.array_namespace(*foreign)
    except TypeError as exc:
        raise InputError(f"columns mix array libraries or devices: {exc}") from None


def _score_value(name: str, scorer: Scorer, raw: Any) -> float:
    if isinstance(raw, (list, tuple, set, frozenset, Mapping)) or (isinstance(raw, np.ndarray) and raw.ndim):
        raise InputError(
            f"metric {name!r}: expected a single value, got a {type(raw).__name__} ({raw!r}); "
            "score many accounts with score_batch",
            column=name,
            value=raw,
        )
    try:
        return float(_scorers.evaluate(scorer, raw))
    except InputError as exc:
        raise type(exc)(f"metric {name!r}: {exc}", column=name, value=raw) from None


# --------------------------------------------------------------------------- segments


def _segments(
    value: Mapping[str, HealthModel] | Iterable[tuple[str, HealthModel]],
) -> tuple[tuple[str, HealthModel], ...]:
    items = value.items() if isinstance(value, Mapping) else value
    return tuple((str(k), v) for k, v in items)


@attrs.frozen(kw_only=True)
class SegmentedModel:
    """One model per customer segment, with a default for unknown segments.

    Each account is scored by the model of its segment, read from
    ``segment_column`` (matched case-insensitively). An unknown segment goes to
    ``default``; without a default it is an error naming the known segments.

    Examples:
        >>> from healthscore import presets
        >>> seg = presets.segmented()
        >>> seg.score({"segment": "enterprise", "executive_engagement": "quarterly"}).model
        'enterprise'
    """

    segments: tuple[tuple[str, HealthModel], ...] = attrs.field(converter=_segments)
    default: HealthModel | None = None
    segment_column: str = attrs.field(default="segment", validator=_check_name)
    name: str = attrs.field(default="segmented", validator=_check_name)
    description: str = ""
    _lookup: dict[str, HealthModel] = attrs.field(init=False, repr=False, eq=False)
    _names: frozenset[str] = attrs.field(init=False, repr=False, eq=False)

    @segments.validator
    def _check_segments(self, _attribute: attrs.Attribute[Any], value: tuple[tuple[str, HealthModel], ...]) -> None:
        if not value:
            raise ValidationError("segments", "must hold at least one segment", value)
        seen: set[str] = set()
        for key, model in value:
            norm = key.strip().casefold()
            if not norm:
                raise ValidationError("segments", "must not hold a blank segment name", key)
            if norm in seen:
                raise ValidationError(f"segments[{key!r}]", "must be unique (case-insensitively)", key)
            seen.add(norm)
            if not isinstance(model, HealthModel):
                raise ValidationError(f"segments[{key!r}]", "must be a HealthModel", model)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_lookup", {k.strip().casefold(): m for k, m in self.segments})
        object.__setattr__(self, "_names", frozenset(self.metric_names))

    @property
    def models(self) -> dict[str, HealthModel]:
        """Segment name -> model."""
        return dict(self.segments)

    @property
    def metric_names(self) -> tuple[str, ...]:
        """Every metric any segment's model reads, first-seen order."""
        names: dict[str, None] = {}
        for model in self._all_models():
            names.update(dict.fromkeys(model.metric_names))
        return tuple(names)

    @property
    def dimension_names(self) -> tuple[str, ...]:
        """Every dimension any segment's model has, first-seen order."""
        names: dict[str, None] = {}
        for model in self._all_models():
            names.update(dict.fromkeys(model.dimension_names))
        return tuple(names)

    def _all_models(self) -> list[HealthModel]:
        models = [m for _, m in self.segments]
        return [*models, self.default] if self.default is not None else models

    def model_for(self, segment: object) -> HealthModel:
        """The model that scores accounts of ``segment``.

        A segment is a string (matched case-insensitively, surrounding spaces
        ignored) or a whole number; ``None``, NaN and ``""`` mean no segment. A
        segment that is none of the known ones goes to :attr:`default`; without
        one it is an :class:`~healthscore.InputError` naming the segment and the
        known ones.
        """
        key = _segment_key(segment, self.segment_column)
        model = self._lookup.get(key)
        if model is not None:
            return model
        if self.default is not None:
            return self.default
        known = ", ".join(repr(k) for k, _ in self.segments)
        raise InputError(
            f"unknown segment {segment!r} in column {self.segment_column!r}; known segments: {known} "
            "(give the model a default to score unknown segments)",
            column=self.segment_column,
            value=segment,
        )

    def score(self, record: Record, *, segment: str | None = None) -> ScoreResult:
        """Score one account with its segment's model (``segment`` overrides the
        record's segment column)."""
        if not isinstance(record, Mapping):
            raise InputError(f"record must be a mapping of metric name -> value, got {type(record).__name__}")
        if not self._names.issuperset(record):
            typos = misspelt(record, self.metric_names, {ID_COLUMN, self.segment_column})
            if typos:
                raise _misspelt_error(typos)
        seg = record.get(self.segment_column) if segment is None else segment
        return self.model_for(seg)._score(record)

    def score_batch(
        self,
        columns: Columns | _frames.Table,
        *,
        metric_scores: bool = False,
        drivers: int = 0,
        missing_columns: Literal["error", "missing"] = "error",
        dimensions: bool = True,
        threads: int | None = None,
        precision: _engine.Precision | None = None,
        chunk_size: int = _engine.DEFAULT_CHUNK,
        weights: bool = False,
    ) -> BatchScores:
        """Score every account with its segment's model, in one call.

        Takes the options of :meth:`HealthModel.score_batch`, with the same
        meaning; each segment's accounts are scored by one call of their model.
        Dimensions that a segment's model lacks are NaN for its accounts; the
        ``model`` and ``segment`` arrays say which model scored each account.
        Results are NumPy arrays (``precision="float32"`` gives float32 scores
        and dimensions).
        ``columns`` is a mapping of column -> array or a data frame, as for
        :meth:`HealthModel.score_batch`.
        """
        _check_batch_options(
            metric_scores=metric_scores,
            weights=weights,
            drivers=drivers,
            missing_columns=missing_columns,
            dimensions=dimensions,
            threads=threads,
            precision=precision,
            chunk_size=chunk_size,
        )
        segment_models = [m for _, m in self.segments] + ([self.default] if self.default is not None else [])
        labels = {self.segment_column}
        labels.update(
            n for m in segment_models for n, mt in m.metrics.items() if _scorers.input_kind(mt.scorer) != "numeric"
        )
        given = _frames.column_names(columns)
        columns = _frames.as_columns(columns, [*self.metric_names, self.segment_column], labels=labels)
        typos = misspelt(given, self.metric_names, {ID_COLUMN, self.segment_column})
        reports: dict[str, _scorers.OutOfRange] = {}
        if self.segment_column not in columns:
            raise InputError(
                f"missing column {self.segment_column!r}: a segmented model needs each account's segment",
                column=self.segment_column,
            )
        seg_values = _segment_column(columns[self.segment_column], self.segment_column)
        n = seg_values.shape[0]
        keys = _segment_labels(seg_values, self.segment_column)
        models, groups, inverse = _group_by_model(self, keys)
        dtype = np.float32 if precision == "float32" else np.float64
        score = np.full(n, math.nan, dtype)
        coverage = np.zeros(n)
        band_names = _union(m.bands.names for m in models)
        alert_names = _union(m.alerts.names for m in models)
        band_codes = np.full(n, -1, dtype=np.int8)
        alert_codes = np.full(n, -1, dtype=np.int8)
        model_names = np.full(n, "", dtype=object)
        dims = {d: np.full(n, math.nan, dtype) for d in self.dimension_names} if dimensions else {}
        metric_out = {m: np.full(n, math.nan, dtype) for m in self.metric_names} if metric_scores else {}
        weight_out = {m: np.zeros(n) for m in self.metric_names} if weights else {}
        top = [np.full(n, "", dtype=object) for _ in range(drivers)]
        lost = [np.zeros(n) for _ in range(drivers)]
        unknown: list[str] = []
        for m_idx, u_list in groups.items():
            model = models[m_idx]
            rows = np.flatnonzero(np.isin(inverse, u_list))
            sub = {k: _take(v, rows) for k, v in columns.items() if k in model.metric_names}
            try:
                out = model.score_batch(
                    sub,
                    metric_scores=metric_scores,
                    drivers=drivers,
                    missing_columns=missing_columns,
                    dimensions=dimensions,
                    threads=threads,
                    precision=precision,
                    chunk_size=chunk_size,
                    weights=weights,
                )
            except InputError as exc:
                raise type(exc)(f"segment model {model.name!r}: {exc}", column=exc.column, value=exc.value) from None
            for report in out.out_of_range:
                shifted = report.shifted(rows)
                known = reports.get(report.column)
                reports[report.column] = shifted if known is None else known.merged(shifted)
            unknown += [
                f"segment model {model.name!r}: {attrs.evolve(r, rows=tuple(int(rows[k]) for k in r.rows))}"
                for r in _unknown_label_reports(model._plan, sub)
            ]
            score[rows] = out.score
            coverage[rows] = out.coverage
            band_codes[rows] = _recode(out.band_codes, model.bands.names, band_names)
            alert_codes[rows] = _recode(out.alert_codes, model.alerts.names, alert_names)
            model_names[rows] = model.name
            for d, values in out.dimensions.items():
                dims[d][rows] = values
            for m, values in out.metric_scores.items():
                metric_out[m][rows] = values
            for m, values in out.metric_weights.items():
                weight_out[m][rows] = values
            for j in range(len(out.drivers)):
                top[j][rows] = out.drivers[j]
                lost[j][rows] = out.points_lost[j]
        return BatchScores(
            score=score,
            coverage=coverage,
            dimensions=dims,
            band_codes=band_codes,
            alert_codes=alert_codes,
            band_names=band_names,
            alert_names=alert_names,
            metric_scores=metric_out,
            metric_weights=weight_out,
            drivers=tuple(t.astype(np.str_) for t in top),
            points_lost=tuple(lost),
            model=model_names.astype(np.str_),
            segment=keys,
            out_of_range=tuple(reports.values()),
            warnings=(*_warnings(reports.values(), typos), *unknown),
        )

    # -- display ---------------------------------------------------------------

    def to_html(self, lang: str = "en") -> str:
        """Each segment's model as an HTML display (needs Jinja2: the ``report`` extra):
        dimensions and weights, each metric's share of the score and its curve
        with its breakpoints (label scorers: one bar per label), the bands with
        their playbooks and the alert levels with their responses.

        Examples:
            >>> from healthscore import presets
            >>> page = presets.segmented().to_html()
            >>> page.count('class="hs-chart hs-curve"') > 10, 'enterprise' in page, "<script" in page
            (True, True, False)
        """
        return _html.model_html(self, lang=lang)

    def _repr_html_(self) -> str:
        """The notebook display: :meth:`to_html`, or a text summary without Jinja2."""
        return _html.notebook(self.to_html, lambda: _html.model_text(self))


def _group_by_model(segmented: SegmentedModel, keys: Any) -> tuple[list[HealthModel], dict[int, list[int]], Any]:
    """The distinct models the accounts' segment labels pick, the label codes
    each model scores, and every account's label code."""
    uniques, inverse = np.unique(keys, return_inverse=True)
    groups: dict[int, list[int]] = {}
    models: list[HealthModel] = []
    for u_idx, key in enumerate(uniques.tolist()):
        try:
            model = segmented.model_for(key if key else None)
        except InputError as exc:
            row = int(np.flatnonzero(inverse == u_idx)[0])
            raise InputError(f"row {row}: {exc}", column=segmented.segment_column, row=row, value=key) from None
        m_idx = next((i for i, m in enumerate(models) if m is model), None)
        if m_idx is None:
            models.append(model)
            m_idx = len(models) - 1
        groups.setdefault(m_idx, []).append(u_idx)
    return models, groups, inverse


def _segment_key(segment: object, column: str) -> str:
    """The lookup key of a segment value: ``""`` for none, else its text
    stripped and case-folded."""
    if _scorers.is_missing(segment):
        return ""
    if isinstance(segment, str | np.str_):
        return str(segment).strip().casefold()
    if _is_whole(segment):
        return str(int(segment))  # type: ignore[call-overload]
    if isinstance(segment, float | np.floating) and float(segment).is_integer():
        return str(int(segment))  # 3.0 read from a numeric column is segment "3"
    raise InputError(
        f"segment {segment!r} in column {column!r} is a {type(segment).__name__}; "
        "a segment is a name (a string) or a whole number, or empty for the default model",
        column=column,
        value=segment,
    )


def _segment_label(segment: object, column: str, row: int) -> str:
    """A segment value as reported in ``BatchScores.segment`` (``""`` for none)."""
    try:
        _segment_key(segment, column)
    except InputError as exc:
        raise InputError(f"row {row}: {exc}", column=column, row=row, value=segment) from None
    if _scorers.is_missing(segment):
        return ""
    if isinstance(segment, str | np.str_):
        return str(segment)
    return str(int(segment))  # type: ignore[call-overload]


def _segment_labels(values: Any, column: str) -> Any:
    """Every account's segment label, each distinct value checked once."""
    seen: dict[tuple[type, object], str] = {}
    out = []
    for row, value in enumerate(values.tolist()):
        try:
            key = (type(value), value)
            label = seen.get(key)
        except TypeError:  # unhashable: a list or a dict, which the check names
            label = key = None
        if label is None:
            label = _segment_label(value, column, row)
            if key is not None:
                seen[key] = label
        out.append(label)
    return np.array(out, dtype=np.str_)


def _segment_column(values: Any, column: str) -> Any:
    """The segment column as a one-dimensional object array."""
    if isinstance(values, str | bytes) or not hasattr(values, "__len__"):
        raise InputError(
            f"column {column!r} must be an array or a list of segments, got {type(values).__name__}", column=column
        )
    arr = np.empty(len(values), dtype=object)
    try:
        arr[:] = list(values)
    except (TypeError, ValueError):
        raise InputError(f"column {column!r} must hold one segment per account", column=column) from None
    return arr


def _union(groups: Iterable[tuple[str, ...]]) -> tuple[str, ...]:
    names: dict[str, None] = {}
    for group in groups:
        names.update(dict.fromkeys(group))
    return tuple(names)


def _recode(codes: Any, names: tuple[str, ...], union: tuple[str, ...]) -> Any:
    mapping = np.array([*(union.index(n) for n in names), -1], dtype=np.int8)
    return mapping[np.asarray(codes)]


def _take(values: Any, rows: Any) -> Any:
    arr = values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object)
    return arr[rows]
