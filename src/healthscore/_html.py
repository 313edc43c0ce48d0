"""HTML for people: the one templating set-up of the notebook displays and the
dashboard (:mod:`healthscore.report`).

Templates live in ``healthscore/templates`` and are rendered by Jinja2 (the
``report`` extra) with autoescaping on for every template: a value from data
or config -- an account name, a segment, an override reason, a playbook step --
is escaped where it lands, in text and in attributes, and ``tojson`` keeps
JSON inside a ``<script>`` from closing its tag. Words come from the language
catalogues (:mod:`healthscore._i18n`), never from a template.

Jinja2 is imported when a display is first rendered, never by
``import healthscore``.

The notebook displays (``_repr_html_`` and ``to_html(lang=...)`` of
:class:`~healthscore.ScoreResult`, :class:`~healthscore.HealthModel`,
:class:`~healthscore.SegmentedModel`, :class:`~healthscore.BatchScores`,
:class:`~healthscore.BacktestReport`, the action queue and an account's
history) are built here. Each one:

* reads the same data as the object's text summary (``explain()``,
  ``summary()``) and formats it for the catalogue's language, computing
  nothing anew;
* is one self-contained fragment: a ``<div class="hs-display">`` with its own
  scoped ``<style>``, charts as inline SVG (``templates/_charts.j2``), no
  script, no external resource of any kind;
* in a notebook without Jinja2 falls back to the text summary in an escaped
  ``<pre>`` with a one-line install hint (:func:`notebook`), never an error.

:func:`model_fragment` and :func:`backtest_fragment` give the model and backtest
displays for embedding in a larger page (the dashboard's tabs).
"""

from __future__ import annotations

import functools
import html
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from healthscore import _time
from healthscore import scorers as _scorers
from healthscore._i18n import Catalogue, catalogue
from healthscore._points import metric_points
from healthscore.bands import AlertPolicy, BandPolicy, default_bands
from healthscore.exceptions import InputError
from healthscore.hierarchy import CHILD_PREFIX

if TYPE_CHECKING:
    from healthscore.actions import Action
    from healthscore.backtest import BacktestReport, HorizonResult
    from healthscore.history import CsmRead, HistoryPoint
    from healthscore.model import BatchScores, HealthModel, MetricScore, ScoreResult, SegmentedModel
    from healthscore.typing import Scorer

__all__ = [
    "BAND_COLOURS",
    "INSTALL_HINT",
    "NEUTRAL_COLOURS",
    "actions_html",
    "actions_text",
    "backtest_fragment",
    "backtest_html",
    "band_colours",
    "batch_html",
    "batch_text",
    "csm_read_text",
    "csm_words",
    "curve_view",
    "disagreement_text",
    "environment",
    "fallback",
    "history_html",
    "history_text",
    "model_fragment",
    "model_html",
    "model_text",
    "notebook",
    "render",
    "score_html",
    "tree_words",
]

INSTALL_HINT = "HTML displays need Jinja2: pip install 'healthscore[report]'"

BAND_COLOURS: Mapping[str, str] = {"green": "#2e7d32", "yellow": "#f9a825", "orange": "#ef6c00", "red": "#c62828"}
"""The colours of the default bands."""

NEUTRAL_COLOURS: tuple[str, ...] = ("#455a64", "#5c6bc0", "#8d6e63", "#78909c", "#26a69a", "#ab47bc")
"""Colours of bands a user named otherwise, by their place in the ladder."""

NO_BAND_COLOUR = "#9e9e9e"
"""The colour of an account without a score."""

CURVE_SAMPLES = 64
"""Points a numeric scorer is sampled at for its curve (plus its breakpoints)."""

LEAD_BINS: tuple[tuple[float, float], ...] = ((0, 30), (30, 60), (60, 90), (90, 180), (180, math.inf))
"""The lead-time histogram's bins in days, each ``[low, high)``."""


@functools.cache
def environment() -> Any:
    """The Jinja2 environment of the package's templates (autoescaping on,
    undefined names an error).

    Raises:
        ImportError: Jinja2 is not installed; the message says how to install it.
    """
    try:
        import jinja2  # noqa: PLC0415 -- optional extra: report
    except ImportError as exc:
        raise ImportError(INSTALL_HINT) from exc
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("healthscore", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def render(template: str, *, lang: str = "en", **context: Any) -> str:
    """Render one of the package's templates with the catalogue of ``lang``
    (as ``t`` in the template) and ``context``."""
    words: Catalogue = catalogue(lang)
    return str(environment().get_template(template).render(t=words, **context))


# --------------------------------------------------------------------------- notebooks


def fallback(text: str) -> str:
    """The display without Jinja2: ``text`` in an escaped ``<pre>`` and the
    install hint.

    Examples:
        >>> print(fallback("score <b>"))
        <pre class="hs-fallback">score &lt;b&gt;</pre>
        <p class="hs-fallback-hint">HTML displays need Jinja2: pip install &#x27;healthscore[report]&#x27;</p>
    """
    return (
        f'<pre class="hs-fallback">{html.escape(text)}</pre>\n'
        f'<p class="hs-fallback-hint">{html.escape(INSTALL_HINT)}</p>'
    )


def notebook(build: Callable[[], str], text: Callable[[], str]) -> str:
    """What ``_repr_html_`` returns: the display ``build`` makes, or, when
    Jinja2 is not installed, :func:`fallback` of ``text``."""
    try:
        return build()
    except ImportError as exc:
        if str(exc) != INSTALL_HINT:
            raise
        return fallback(text())


# --------------------------------------------------------------------------- shared pieces


def band_colours(names: Sequence[str]) -> dict[str, str]:
    """Band name -> colour: the default bands' own colours, any other band a
    neutral colour by its place in the ladder.

    Examples:
        >>> band_colours(["green", "at-risk-2"])
        {'green': '#2e7d32', 'at-risk-2': '#5c6bc0'}
    """
    return {name: BAND_COLOURS.get(name, NEUTRAL_COLOURS[i % len(NEUTRAL_COLOURS)]) for i, name in enumerate(names)}


def _colour(band: str | None, colours: Mapping[str, str] | None = None) -> str:
    if not band:
        return NO_BAND_COLOUR
    if colours is not None and band in colours:
        return colours[band]
    return BAND_COLOURS.get(band, NEUTRAL_COLOURS[0])


def _finite(value: Any) -> float | None:
    """``value`` as a float, ``None`` when it is missing, NaN or infinite."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _raw(value: Any, t: Catalogue) -> str:
    """A raw metric value as read: numbers in the language's form (up to four
    significant figures, no trailing zeros), labels as written."""
    if value is None:
        return "-"
    if isinstance(value, bool | np.bool_):
        return t.text("display.yes") if value else t.text("display.no")
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
        if not math.isfinite(number) or abs(number) >= 1e6 or 0 < abs(number) < 1e-3:
            return f"{number:.4g}"
        size = abs(number)
        digits = 3 if size < 1 else 2 if size < 100 else 1 if size < 1000 else 0
        text = t.number(number, digits)
        decimal = str(t.tables["format"]["decimal"])
        return text.rstrip("0").rstrip(decimal) if decimal in text else text
    return str(value)


def _axis(value: float) -> str:
    return f"{value:g}"


def _ladder(policy: BandPolicy) -> list[dict[str, Any]]:
    """The bands as score ranges, best first: background stripes of charts."""
    colours = band_colours(policy.names)
    out = []
    top = 100.0
    for band in policy.bands:
        out.append({"name": band.name, "lo": band.min_score, "hi": top, "colour": colours[band.name]})
        top = band.min_score
    return out


def _bands_table(policy: BandPolicy, t: Catalogue) -> list[dict[str, Any]]:
    return [
        {
            "name": t.band(s["name"]),
            "colour": s["colour"],
            "range": f"{_axis(s['lo'])}-{_axis(s['hi'])}",
            "description": t.phrase(band.description),
            "playbook": [t.phrase(step) for step in band.playbook],
        }
        for s, band in zip(_ladder(policy), policy.bands, strict=True)
    ]


def _alerts_table(policy: AlertPolicy, t: Catalogue) -> list[dict[str, Any]]:
    top = 100.0
    out = []
    for level in policy.levels:
        out.append(
            {
                "name": t.alert(level.name),
                "range": f"{_axis(level.min_score)}-{_axis(top)}",
                "response": t.phrase(level.response),
                "hours": "-" if level.response_hours is None else t.number(level.response_hours, 0),
            }
        )
        top = level.min_score
    return out


def _score_text(score: float | None, t: Catalogue) -> str:
    """A score as ``explain()`` prints it (one decimal), ``-`` without one."""
    return "-" if score is None or score != score else t.number(score, 1)


# --------------------------------------------------------------------------- one account


def _metric_row(m: MetricScore, t: Catalogue, scorer: Scorer | None) -> dict[str, Any]:
    if m.observed:
        state = ""
    elif m.imputed:
        state = t.text("display.imputed")
    else:
        state = t.text("display.missing")
    return {
        "name": t.label(m.name),
        "dimension": t.label(m.dimension),
        "raw": _raw(m.value, t),
        "score": _score_text(m.score, t),
        "bar": 0.0 if m.score is None else m.score,
        "weight": t.percent(m.weight, 1) if m.weight > 0 else "-",
        "contribution": t.number(m.contribution, 1) if m.score is not None else "-",
        "lost": t.number(m.points_lost, 1) if m.score is not None else "-",
        "state": state,
        "counted": m.weight > 0,
        "chart": None if scorer is None else curve_view(scorer, marker=m.value),
    }


def _response(result: ScoreResult, model: HealthModel | None, as_of: Any, t: Catalogue) -> dict[str, str] | None:
    """The alert level's response and due date, when the model is known."""
    if model is None or result.alert is None or result.alert not in model.alerts.names:
        return None
    level = model.alerts.get(result.alert)
    if level.response_hours is None:
        due = t.text("display.no_deadline")
    elif as_of is None:
        due = t.text("display.within_hours", hours=t.number(level.response_hours, 0))
    else:
        start = datetime.fromtimestamp(_time.parse_instant(as_of, "as_of").seconds, UTC)
        due = t.instant((start + timedelta(hours=level.response_hours)).isoformat())
    return {"response": t.phrase(level.response), "due": due}


def _playbook(result: ScoreResult, model: HealthModel | None, t: Catalogue) -> list[str]:
    if model is None or result.band is None or result.band not in model.bands.names:
        return []
    return [t.phrase(step) for step in model.bands.get(result.band).playbook]


def score_html(result: ScoreResult, *, lang: str = "en", model: HealthModel | None = None, as_of: Any = None) -> str:
    """The display of one account's :class:`~healthscore.ScoreResult`: the
    numbers of ``explain()`` (score, band, alert, coverage, dimensions, drivers,
    missing metrics) and the whole metric table.

    ``model`` (the model that scored it) adds the alert's response and due
    time (from ``as_of``, else "within N hours"), the band's playbook and the
    band colours of a custom policy.
    """
    t = catalogue(lang)
    colours = band_colours(model.bands.names) if model is not None else None
    scorers_of = {} if model is None else {name: m.scorer for name, m in model.metrics.items()}
    dims = [
        {
            "name": t.label(name),
            "score": _score_text(value, t),
            "bar": 0.0 if value is None else value,
            "colour": _dimension_colour(value, model, colours),
        }
        for name, value in result.dimensions.items()
    ]
    context = {
        "score": _score_text(result.score, t),
        "scored": result.score is not None,
        "reason": result.reason or "",
        "band": t.band(result.band) if result.band else "",
        "alert": t.alert(result.alert) if result.alert else "",
        "colour": _colour(result.band, colours),
        "coverage": t.percent(result.coverage),
        "coverage_share": result.coverage,
        "model": result.model,
        "dimensions": dims,
        "metrics": [_metric_row(m, t, scorers_of.get(m.name)) for m in result.metrics.values()],
        "curves": bool(scorers_of),
        "drivers": [{"name": driver_label(m.name, t), "lost": t.number(m.points_lost, 1)} for m in result.drivers[:3]],
        "missing": [t.label(name) for name in result.missing],
        "response": _response(result, model, as_of, t),
        "playbook": _playbook(result, model, t),
    }
    return render("display/score.html.j2", lang=lang, **context)


def _dimension_colour(value: float | None, model: HealthModel | None, colours: Mapping[str, str] | None) -> str:
    if value is None:
        return NO_BAND_COLOUR
    if model is None or colours is None:
        return NEUTRAL_COLOURS[0]
    return colours[model.bands.names[model.bands.code_one(value)]]


# --------------------------------------------------------------------------- models


def numeric_range(scorer: Any) -> tuple[float, float]:
    """The x range a numeric scorer's chart spans: its breakpoints or edges
    with a margin, inside its domain; a plain function's finite domain, else 0..100."""
    low, high = getattr(scorer, "bounds", (-math.inf, math.inf))
    if isinstance(scorer, _scorers.Piecewise):
        first, last = scorer.span
    elif isinstance(scorer, _scorers.Steps):
        first, last = scorer.edges[0], scorer.edges[-1]
    else:
        domain = getattr(scorer, "domain", None)
        if domain is not None and all(math.isfinite(v) for v in domain):
            return float(domain[0]), float(domain[1])
        return 0.0, 100.0
    margin = (last - first) * 0.1 or max(1.0, abs(first) * 0.1)
    lo, hi = max(low, first - margin), min(high, last + margin)
    return (lo, hi) if hi > lo else (first - 1.0, first + 1.0)


def _breakpoints(scorer: Any) -> list[tuple[float, float]]:
    if isinstance(scorer, _scorers.Piecewise):
        return [(float(x), float(y)) for x, y in scorer.points]
    if isinstance(scorer, _scorers.Steps):
        return [(float(e), float(_scorers.evaluate(scorer, e))) for e in scorer.edges]
    return []


def curve_view(scorer: Scorer, marker: Any = None) -> dict[str, Any] | None:
    """A metric's curve for the ``curve`` and ``bars`` chart macros, sampled
    from the scorer itself: numeric scorers as a line with their breakpoints
    (``marker``, a raw value, marked on it), label scorers as one bar per label.
    ``None`` when the scorer cannot be sampled (a plain function that refuses
    the sample values)."""
    kind = _scorers.input_kind(scorer)
    try:
        if kind == "numeric":
            return _numeric_curve(scorer, marker)
        if kind == "boolean":
            labels: Sequence[Any] = (True, False)
        else:
            labels = getattr(scorer, "labels", ())
        if not labels:
            return None
        bars = [{"label": str(label), "value": float(_scorers.evaluate(scorer, label))} for label in labels]
    except Exception:  # noqa: BLE001 -- a user's scorer that cannot be sampled gets no chart, not an error
        return None
    return {"kind": "bars", "bars": bars, "marker": None if marker is None else str(marker)}


def _numeric_curve(scorer: Any, marker: Any) -> dict[str, Any]:
    lo, hi = numeric_range(scorer)
    points = _breakpoints(scorer)
    edges = [x for x, _ in points if lo <= x <= hi]
    steps = isinstance(scorer, _scorers.Steps)
    before = [max(lo, x - (hi - lo) * 1e-6) for x in edges] if steps else []
    xs = np.unique(np.concatenate([np.linspace(lo, hi, CURVE_SAMPLES), edges, before]))
    ys = np.asarray(_scorers.evaluate(scorer, xs), dtype=np.float64)
    span = hi - lo

    def fx(x: float) -> float:
        return min(1.0, max(0.0, (x - lo) / span))

    line = [(fx(float(x)), float(y)) for x, y in zip(xs, ys, strict=True) if math.isfinite(float(y))]
    shown = [{"fx": fx(x), "y": y, "title": f"{x:g} -> {y:g}"} for x, y in points if lo <= x <= hi]
    mark = None
    value = _finite(marker)
    if value is not None:
        score = float(_scorers.evaluate(scorer, value))
        if math.isfinite(score):
            mark = {"fx": fx(value), "y": score, "title": f"{value:g} -> {score:.1f}"}
    return {"kind": "curve", "line": line, "points": shown, "marker": mark, "lo": _axis(lo), "hi": _axis(hi)}


def _model_view(model: HealthModel, t: Catalogue) -> dict[str, Any]:
    dim_weights = model.dimension_weights
    shares = model.metric_weights
    points = metric_points(model)
    dims = []
    for dim in model.dimensions:
        total = sum(m.weight for m in dim.metrics)
        dims.append(
            {
                "name": t.label(dim.name),
                "weight": t.percent(dim_weights[dim.name], 1),
                "bar": 100.0 * dim_weights[dim.name],
                "metrics": [
                    {
                        "name": t.label(m.name),
                        "weight": t.percent(m.weight / total, 1),
                        "share": t.percent(shares[m.name], 1),
                        "points": _number_or_na(points[m.name], 1, t),
                        "kind": type(m.scorer).__name__,
                        "chart": curve_view(m.scorer),
                    }
                    for m in dim.metrics
                ],
            }
        )
    return {
        "name": model.name,
        "description": model.description,
        "dimensions": dims,
        "bands": _bands_table(model.bands, t),
        "alerts": _alerts_table(model.alerts, t),
        "missing": {
            "strategy": model.missing.strategy,
            "min_coverage": t.percent(model.missing.min_coverage),
        },
    }


def _parts(model: HealthModel | SegmentedModel) -> tuple[SegmentedModel | None, list[tuple[str | None, HealthModel]]]:
    """A segmented model and its models, the default last (as segment
    ``None``); for a plain model ``None`` and the model alone."""
    from healthscore.model import SegmentedModel  # noqa: PLC0415 -- model imports this module

    if not isinstance(model, SegmentedModel):
        return None, [(None, model)]
    parts: list[tuple[str | None, HealthModel]] = list(model.segments)
    if model.default is not None:
        parts.append((None, model.default))
    return model, parts


def model_html(model: HealthModel | SegmentedModel, *, lang: str = "en") -> str:
    """The display of a model: per dimension its weight, per metric its weight,
    its share of the total, its points (the score points it can move: the
    share times its curve's or table's span, :mod:`healthscore._points`) and
    its curve (sampled from the scorer, with its breakpoints); the bands with
    their playbooks, the alert levels with their responses. A segmented
    model shows each segment's model and the default."""
    t = catalogue(lang)
    segmented, parts = _parts(model)
    if segmented is None:
        return render("display/model.html.j2", lang=lang, model=_model_view(parts[0][1], t), segmented=None)
    head = {"name": segmented.name, "description": segmented.description, "column": segmented.segment_column}
    segments = [{"segment": key, "model": _model_view(m, t)} for key, m in parts]
    return render("display/model.html.j2", lang=lang, model=None, segmented=head, segments=segments)


def model_fragment(model: HealthModel | SegmentedModel, *, lang: str = "en") -> str:
    """The model display as a fragment for a larger page (the dashboard's
    Model tab): the same HTML as ``model.to_html(lang)``, self-contained (its
    styles scoped under ``.hs-display``, no script, no external resource)."""
    return model_html(model, lang=lang)


def model_text(model: HealthModel | SegmentedModel) -> str:
    """The model in a few lines of text (the display without Jinja2)."""
    segmented, parts = _parts(model)
    if segmented is None:
        return _one_model_text(parts[0][1])
    lines = [f"segmented model {segmented.name} (column {segmented.segment_column})"]
    lines += [f"[{'default' if key is None else key}]\n{_one_model_text(m)}" for key, m in parts]
    return "\n".join(lines)


def _one_model_text(model: HealthModel) -> str:
    lines = [f"model {model.name} (points: the score points a metric can move, its share x its curve's span)"]
    shares = model.metric_weights
    points = metric_points(model)
    for dim in model.dimensions:
        lines.append(f"  {dim.name} {model.dimension_weights[dim.name]:.0%}")
        lines += [f"    {m.name} {shares[m.name]:.1%}, {_points_text(points[m.name])}" for m in dim.metrics]
    lines.append("bands: " + ", ".join(f"{b.name} >= {b.min_score:g}" for b in model.bands.bands))
    return "\n".join(lines)


def _points_text(points: float) -> str:
    return "points n/a" if points != points else f"{points:.1f} points"


# --------------------------------------------------------------------------- many accounts


def _batch_distribution(batch: BatchScores, t: Catalogue) -> tuple[list[dict[str, Any]], int]:
    """Accounts per band from the band each account got (``band_codes``)."""
    codes = np.asarray(_to_numpy(batch.band_codes), dtype=np.int64)
    counts = np.bincount(codes[codes >= 0], minlength=len(batch.band_names))
    scored = int(counts.sum())
    colours = band_colours(batch.band_names)
    bars = [
        {
            "label": t.band(name),
            "value": int(count),
            "text": f"{t.number(int(count))} ({t.percent(count / scored if scored else 0.0, 1)})",
            "colour": colours[name],
        }
        for name, count in zip(batch.band_names, counts.tolist(), strict=True)
    ]
    return bars, int(codes.size - scored)


def _to_numpy(values: Any) -> Any:
    from healthscore.model import to_numpy  # noqa: PLC0415 -- model imports this module

    return to_numpy(values)


def _riskiest(batch: BatchScores, account_ids: Sequence[Any] | None, top: int, t: Catalogue) -> list[dict[str, Any]]:
    score = np.asarray(_to_numpy(batch.score), dtype=np.float64)
    coverage = np.asarray(_to_numpy(batch.coverage), dtype=np.float64)
    order = np.argsort(np.where(np.isnan(score), np.inf, score), kind="stable")[: max(0, top)]
    band, alert = batch.band, batch.alert
    colours = band_colours(batch.band_names)
    rows = []
    for i in order.tolist():
        drivers = [
            f"{driver_label(str(names[i]), t)} -{t.number(float(lost[i]), 1)}"
            for names, lost in zip(batch.drivers, batch.points_lost, strict=True)
            if str(names[i])
        ]
        rows.append(
            {
                "id": str(account_ids[i]) if account_ids is not None else str(i),
                "score": _score_text(float(score[i]), t),
                "bar": 0.0 if math.isnan(score[i]) else float(score[i]),
                "band": t.band(str(band[i])) if str(band[i]) else "",
                "alert": t.alert(str(alert[i])) if str(alert[i]) else "",
                "colour": _colour(str(band[i]), colours),
                "coverage": t.percent(float(coverage[i])),
                "segment": "" if batch.segment is None else str(batch.segment[i]),
                "drivers": drivers,
            }
        )
    return rows


def batch_html(batch: BatchScores, *, account_ids: Any = None, top: int = 10, lang: str = "en") -> str:
    """The display of a :class:`~healthscore.BatchScores`: accounts per band
    and the ``top`` riskiest accounts (lowest score first; by ``account_ids``,
    else by row index), with their drivers when they were asked for."""
    t = catalogue(lang)
    ids = None if account_ids is None else [str(a) for a in np.asarray(account_ids, dtype=object).tolist()]
    if ids is not None and len(ids) != len(batch):
        msg = f"account_ids has {len(ids)} entries but the scores hold {len(batch)} accounts"
        raise InputError(msg)
    bars, unscored = _batch_distribution(batch, t)
    score = np.asarray(_to_numpy(batch.score), dtype=np.float64)
    scored = score[~np.isnan(score)]
    context = {
        "accounts": t.number(len(batch)),
        "scored": t.number(int(scored.size)),
        "unscored": t.number(unscored),
        "has_unscored": unscored > 0,
        "mean": _score_text(float(scored.mean()) if scored.size else None, t),
        "median": _score_text(float(np.median(scored)) if scored.size else None, t),
        "distribution": bars,
        "rows": _riskiest(batch, ids, top, t),
        "by_id": ids is not None,
        "segmented": batch.segment is not None,
        "warnings": list(batch.warnings),
    }
    return render("display/batch.html.j2", lang=lang, **context)


def batch_text(batch: BatchScores, *, account_ids: Any = None, top: int = 10) -> str:
    """Accounts per band and the riskiest accounts in text (the display without Jinja2)."""
    codes = np.asarray(_to_numpy(batch.band_codes), dtype=np.int64)
    counts = np.bincount(codes[codes >= 0], minlength=len(batch.band_names))
    lines = [f"{len(batch)} accounts: " + ", ".join(f"{n} {c}" for n, c in zip(batch.band_names, counts, strict=True))]
    score = np.asarray(_to_numpy(batch.score), dtype=np.float64)
    ids = None if account_ids is None else [str(a) for a in np.asarray(account_ids, dtype=object).tolist()]
    order = np.argsort(np.where(np.isnan(score), np.inf, score), kind="stable")[: max(0, top)]
    for i in order.tolist():
        shown = "-" if math.isnan(score[i]) else f"{score[i]:.1f}"
        lines.append(f"  {ids[i] if ids is not None else i}  {shown}  {batch.band[i]}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- backtests


def _rate(value: float, known: int, t: Catalogue) -> str:
    """A share as ``summary()`` gives it (one decimal), ``n/a`` when nothing is known."""
    return t.text("display.na") if known == 0 or value != value else t.percent(value, 1)


def _number_or_na(value: float, digits: int, t: Catalogue) -> str:
    return t.text("display.na") if value != value else t.number(value, digits)


def _horizon_view(h: HorizonResult, t: Catalogue) -> dict[str, Any]:
    colours = band_colours([r.band for r in h.band_rates])
    top = max((r.rate for r in h.band_rates if r.rate == r.rate), default=0.0) or 1.0
    return {
        "days": h.days,
        "snapshots": t.number(h.snapshots),
        "accounts": t.number(h.accounts),
        "churn": t.percent(h.churn_rate, 1),
        "auc": _number_or_na(h.auc, 3, t),
        "auc_bar": 0.0 if h.auc != h.auc else h.auc,
        "lift": _number_or_na(h.lift_top_decile, 2, t) + ("x" if h.lift_top_decile == h.lift_top_decile else ""),
        "missed": _rate(h.missed_churn_rate, h.churned_accounts, t),
        "alarms": _rate(h.false_alarm_rate, h.renewed_accounts, t),
        "ordered": h.bands_ordered,
        "rates": [
            {
                "label": t.band(r.band),
                "value": 0.0 if r.rate != r.rate else r.rate / top,
                "text": f"{t.percent(r.rate, 1)} ({t.number(r.churned)}/{t.number(r.snapshots)})",
                "colour": colours[r.band],
                "mean": _score_text(r.mean_score, t),
            }
            for r in h.band_rates
        ],
        "missed_list": list(h.missed_churn),
        "alarm_list": list(h.false_alarms),
        **_date_auc_view(h, t),
    }


def _date_auc_view(h: HorizonResult, t: Catalogue) -> dict[str, Any]:
    """The AUC per evaluation date of one horizon (``HorizonResult.by_date``):
    its median, a sparkline (0.5 at the bottom, 1 at the top) and a row per date."""
    rated = [d.auc for d in h.by_date if d.auc == d.auc]
    last = max(len(h.by_date) - 1, 1)
    spark = [
        {
            "fx": i / last if len(h.by_date) > 1 else 0.5,
            "y": None if d.auc != d.auc else min(100.0, max(0.0, (d.auc - 0.5) * 200.0)),
            "title": f"{t.date(d.as_of)}: {_number_or_na(d.auc, 3, t)}",
        }
        for i, d in enumerate(h.by_date)
    ]
    spread = f"{t.number(min(rated), 3)} - {t.number(max(rated), 3)}" if rated else t.text("display.na")
    dates = t.text(
        "display.auc_dates",
        days=h.days,
        dates=t.number(len(h.by_date)),
        rated=t.number(len(rated)),
        range=spread,
        median=_number_or_na(h.auc_by_date_median, 3, t),
        pooled=_number_or_na(h.auc, 3, t),
    )
    rows = [
        {
            "date": t.date(d.as_of),
            "snapshots": t.number(d.snapshots),
            "churned": t.number(d.churned),
            "auc": _number_or_na(d.auc, 3, t),
            "bar": 0.0 if d.auc != d.auc else d.auc,
        }
        for d in h.by_date
    ]
    return {
        "auc_median": _number_or_na(h.auc_by_date_median, 3, t),
        "auc_spark": spark,
        "auc_dates": dates,
        "date_rows": rows,
    }


def _lead_view(report: BacktestReport, t: Catalogue) -> dict[str, Any]:
    summary = report.lead_time_summary
    seen = np.asarray(report.lead_times["last_band"], dtype=object) != ""
    lead = np.asarray(report.lead_times["lead_days"], dtype=np.float64)[seen]
    flagged = lead[~np.isnan(lead)]
    bins = []
    for lo, hi in LEAD_BINS:
        count = int(((flagged >= lo) & (flagged < hi)).sum())
        label = f"{lo:g}+" if math.isinf(hi) else f"{lo:g}-{hi:g}"
        bins.append({"label": label, "value": count, "text": t.number(count), "colour": NEUTRAL_COLOURS[0]})
    unflagged = int(np.isnan(lead).sum())
    label = t.text("display.not_flagged")
    bins.append({"label": label, "value": unflagged, "text": t.number(unflagged), "colour": NO_BAND_COLOUR})
    return {
        "churned": t.number(int(summary["churned"])),
        "flagged": t.number(int(summary["flagged"])),
        "median": _number_or_na(summary["median_lead_days"], 0, t),
        "ahead_30": t.text("display.na")
        if summary["share_flagged_30_days_ahead"] != summary["share_flagged_30_days_ahead"]
        else t.percent(summary["share_flagged_30_days_ahead"]),
        "bins": bins,
    }


def backtest_html(report: BacktestReport, *, lang: str = "en") -> str:
    """The display of a :class:`~healthscore.BacktestReport`: per horizon the
    AUC, pooled and per evaluation date (its median, a sparkline and a row per
    date, with what the pooled figure counts), churn rate, top-decile lift,
    missed churn and false alarms (the numbers of ``summary()``), churn per
    band as bars, and the lead-time distribution of the churned accounts."""
    t = catalogue(lang)
    context = {
        "first": t.date(report.first_date),
        "last": t.date(report.last_date),
        "until": t.date(report.outcomes_until),
        "healthy": [t.band(b) for b in report.healthy_bands],
        "at_risk": [t.band(b) for b in report.at_risk_bands],
        "horizons": [_horizon_view(h, t) for h in report.horizons],
        "lead": _lead_view(report, t),
    }
    return render("display/backtest.html.j2", lang=lang, **context)


def backtest_fragment(report: BacktestReport, *, lang: str = "en") -> str:
    """The backtest display as a fragment for a larger page (the dashboard's
    Backtest tab): the same HTML as ``report.to_html(lang)``, self-contained
    (its styles scoped under ``.hs-display``, no script, no external resource)."""
    return backtest_html(report, lang=lang)


# --------------------------------------------------------------------------- the CSM's read


def csm_words(lang: str = "en") -> Mapping[str, str]:
    """The words of the CSM's read in ``lang``: a copy of the catalogue's ``[csm]`` table.

    Examples:
        >>> csm_words("en")["csm_read"], csm_words("ja")["csm_read"]
        ('CSM read', 'CSM評価')
    """
    return dict(catalogue(lang).tables["csm"])


def driver_label(name: str, t: Catalogue, names: Mapping[str, str] | None = None) -> str:
    """A driver's name in words: a parent's ``child:<id>`` driver as the
    child's name (its id where ``names`` has none) with the language's child
    marker; a metric as :meth:`Catalogue.label` names it.

    Examples:
        >>> en = catalogue("en")
        >>> driver_label("child:us", en, {"us": "Acme US"}), driver_label("child:eu", en)
        ('Acme US (child)', 'eu (child)')
        >>> driver_label("child:us", catalogue("ja"))
        'us (子アカウント)'
    """
    if name.startswith(CHILD_PREFIX):
        child = name[len(CHILD_PREFIX) :]
        return t.text("tree.child_driver", child=(names or {}).get(child) or child)
    return t.label(name)


def tree_words(lang: str = "en") -> Mapping[str, str]:
    """The words of account trees (parent, children) in ``lang``: a copy of
    the catalogue's ``[tree]`` table.

    Examples:
        >>> tree_words("en")["children"], tree_words("ja")["children"]
        ('Children', '子アカウント')
    """
    return dict(catalogue(lang).tables["tree"])


def _rating_text(read: CsmRead, lang: str) -> str:
    words = csm_words(lang)
    if isinstance(read.rating, int):
        return words["csm_rating_of_5"].format(rating=read.rating)
    return words[read.rating]


def csm_read_text(read: CsmRead, t: Catalogue) -> str:
    """A read in one line, in the catalogue's language: its rating, author and date.

    Examples:
        >>> from healthscore.history import CsmRead
        >>> read = CsmRead(account_id="a", rating=4, author="kim", as_of="2026-06-30")
        >>> csm_read_text(read, catalogue("en")), csm_read_text(read, catalogue("ja"))
        ('4 of 5 (kim, Jun 30, 2026)', '5段階中4 (kim・2026年6月30日)')
    """
    by = csm_words(t.lang)["csm_by"].format(author=read.author, date=t.date(read.as_of))
    return f"{_rating_text(read, t.lang)} ({by})"


def action_reason(a: Action, t: Catalogue) -> str:
    """Why an action is in the queue, in the catalogue's language. English: the
    queue's own reason (level, drop, CSM read, tree); another language: the
    alert level and score and, with a drop alert, its size and start (the CSM
    read and the tree have their own columns there).

    Examples:
        >>> from healthscore.actions import Action
        >>> a = Action(account_id="a", score=41.0, band="red", alert="critical", drop_alert=True,
        ...     change_30=-25.0, arr=1e4, due="2026-07-01T00:00:00+00:00", response="", playbook=(),
        ...     drivers=(), reason="critical (score 41.0); dropped 25 points", fallen=25.0, drop_since="2026-06-02")
        >>> action_reason(a, catalogue("ja"))
        '重大(スコア 41.0)、2026年6月2日 以降のピークから 25 点下落'
    """
    if t.lang == "en":
        return a.reason
    reason = t.text("cli.reason_level", alert=t.alert(a.alert), score=t.number(a.score, 1))
    if not a.drop_alert:
        return reason
    if a.fallen != a.fallen:
        drop = t.text("cli.reason_drop")
    else:
        key = "dashboard.reason_drop_since" if a.drop_since else "dashboard.reason_drop"
        drop = t.text(key, points=t.number(a.fallen, 0), since=t.date(a.drop_since) if a.drop_since else "")
    return reason + t.text("cli.list_separator") + drop


def disagreement_text(steps: int | None, t: Catalogue) -> str:
    """A disagreement in words: who is more optimistic, by how many steps
    of red / yellow / green; ``""`` without a read.

    Examples:
        >>> disagreement_text(2, catalogue("en")), disagreement_text(-1, catalogue("en"))
        ('CSM more optimistic than the band by 2 steps', 'CSM more pessimistic than the band by 1 step')
    """
    if steps is None:
        return ""
    words = csm_words(t.lang)
    if steps == 0:
        return words["csm_agrees"]
    size = words["step_one"] if abs(steps) == 1 else words["step_many"].format(n=abs(steps))
    return words["csm_more_optimistic" if steps > 0 else "csm_more_pessimistic"].format(steps=size)


# --------------------------------------------------------------------------- the action queue


def actions_html(queue: Iterable[Action], *, lang: str = "en") -> str:
    """The display of an action queue, most urgent first: score and band,
    alert level and drop alert, due time, response, the band's playbook and
    the drivers."""
    t = catalogue(lang)
    rows = []
    for rank, a in enumerate(queue, start=1):
        rows.append(
            {
                "rank": t.number(rank),
                "id": a.account_id,
                "csm": "" if a.csm_read is None else csm_read_text(a.csm_read, t),
                "csm_colour": "" if a.csm_read is None else _colour(a.csm_read.colour),
                "csm_note": "" if a.csm_read is None else a.csm_read.note,
                "stale": a.csm_stale,
                "disagreement": disagreement_text(a.disagreement, t),
                "disagrees": bool(a.disagreement),
                "score": _score_text(a.score, t),
                "bar": 0.0 if a.score != a.score else a.score,
                "band": t.band(a.band),
                "colour": _colour(a.band),
                "alert": t.alert(a.alert),
                "drop": a.drop_alert,
                "change": "-" if a.change_30 != a.change_30 else f"{a.change_30:+.1f}",
                "arr": "-" if a.arr != a.arr else t.number(a.arr, 0),
                "due": t.instant(a.due),
                "response": t.phrase(a.response),
                "reason": action_reason(a, t),
                "tree": "" if t.lang == "en" else _tree_text(a, t.lang),  # English: in the reason
                "playbook": [t.phrase(step) for step in a.playbook],
                "drivers": [driver_label(d, t) for d in a.drivers],
            }
        )
    return render("display/actions.html.j2", lang=lang, rows=rows, cw=csm_words(lang))


def _tree_text(a: Action, lang: str) -> str:
    """An action's place in its tree, in ``lang``: its parent and, for a
    parent, its worst children."""
    words = tree_words(lang)
    parts = [words["child_of"].format(parent=a.parent_id)] if a.parent_id else []
    if a.children:
        parts.append(f"{words['children']}: {', '.join(a.children)}")
    return " \u00b7 ".join(parts)


def actions_text(queue: Iterable[Action]) -> str:
    """The queue in text, one action a line (the display without Jinja2)."""
    lines = [
        f"{rank:>3}  {a.account_id}  {a.score:.1f}  {a.band}  {a.alert}  due {a.due}  {a.reason}"
        + ("" if a.csm_read is None else f"  CSM {csm_read_text(a.csm_read, catalogue('en'))}")
        for rank, a in enumerate(queue, start=1)
    ]
    return "\n".join(lines) or "no account needs action"


# --------------------------------------------------------------------------- one account's history


def _drop_alerts(points: Sequence[HistoryPoint]) -> list[bool]:
    """Whether a drop alert fired on each point's date (:func:`healthscore.trends.trends`
    as of that date, over the points up to it)."""
    from healthscore.trends import trends  # noqa: PLC0415 -- trends imports history, which imports this module

    fired = []
    for i, p in enumerate(points):
        if p.score is None:
            fired.append(False)
            continue
        found = trends(list(points[: i + 1]), p.as_of)
        fired.append(bool(found["drop_alert"][0]) if len(found["drop_alert"]) else False)
    return fired


def _history_points(points: Sequence[HistoryPoint], t: Catalogue, colours: Mapping[str, str]) -> list[dict[str, Any]]:
    days = [_time.utc_day(p.as_of, "as_of") for p in points]
    first, last = (min(days), max(days)) if days else (0, 0)
    span = (last - first) or 1
    drops = _drop_alerts(points)
    out = []
    for p, day, drop in zip(points, days, drops, strict=True):
        o = p.override
        out.append(
            {
                "date": t.date(p.as_of),
                "fx": (day - first) / span if last > first else 0.5,
                "y": p.score,
                "score": _score_text(p.score, t),
                "computed": _score_text(p.computed_score, t) if o is not None else "",
                "band": t.band(p.band) if p.band else "",
                "alert": t.alert(p.alert) if p.alert else "",
                "colour": _colour(p.band, colours),
                "coverage": t.percent(p.coverage),
                "drop": drop,
                "override": None
                if o is None
                else {"reason": o.reason, "author": o.author, "expires": t.date(o.expires)},
                "title": f"{t.date(p.as_of)}: {_score_text(p.score, t)}",
            }
        )
    return out


def history_html(points: Sequence[HistoryPoint], *, bands: BandPolicy | None = None, lang: str = "en") -> str:
    """The display of one account's history: its score over time on the
    bands' colours (``bands``: the stored model's policy; the default bands
    when unknown), drop alerts and manual overrides marked, and the
    snapshots as a table."""
    t = catalogue(lang)
    policy = bands if bands is not None else default_bands()
    colours = band_colours(policy.names)
    rows = _history_points(points, t, colours)
    context = {
        "account": points[-1].account_id if points else "",
        "rows": rows,
        "ladder": _ladder(policy),
        "first": rows[0]["date"] if rows else "",
        "last": rows[-1]["date"] if rows else "",
    }
    return render("display/history.html.j2", lang=lang, **context)


def history_text(points: Sequence[HistoryPoint]) -> str:
    """The history in text, one snapshot a line (the display without Jinja2)."""
    lines = []
    for p in points:
        shown = "-" if p.score is None else f"{p.score:.1f}"
        mark = f"  override: {p.override.reason}" if p.override is not None else ""
        lines.append(f"{p.as_of}  {shown}  {p.band or ''}  {p.alert or ''}{mark}")
    return "\n".join(lines) or "no snapshot"
