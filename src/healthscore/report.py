"""The offline HTML dashboard: one self-contained file a customer-success team
opens every morning.

:func:`dashboard` reads a score history (or a scored CSV without history) and
renders one HTML page with the account list (riskiest first, sortable,
filterable, paginated), an account page per account (score history, dimension
bars, every metric with its raw value, score, weight, contribution and place on
its curve, what changed since the previous snapshot, overrides, the playbook),
the action queue, the portfolio's band mix over time, the model and, when churn
outcomes are given, a backtest panel.

The page makes no request of any kind: its CSS, JavaScript and data are inline.
The data is embedded once, as gzip-compressed columnar JSON (decoded by the
browser's ``DecompressionStream``), split into the list part (decoded at start)
and the detail part (decoded on the first account opened, or when idle). Every
word comes from the language catalogue (:mod:`healthscore._i18n`); every text
from data reaches the page escaped (Jinja2 autoescaping in HTML, ``textContent``
in the script).

Examples:
    >>> from healthscore import presets
    >>> from healthscore.datasets import generate_portfolio
    >>> cols = generate_portfolio(20, seed=1)
    >>> scored = presets.three_dimension().score_batch(cols, missing_columns="missing", drivers=3)
    >>> table = {"account_id": cols["account_id"], "score": scored.score, "band": scored.band,
    ...          "alert": scored.alert, "coverage": scored.coverage}
    >>> page = dashboard(table, as_of="2026-06-30")
    >>> page.accounts, page.as_of, "<script" in page.html
    (20, '2026-06-30', True)
"""

from __future__ import annotations

import base64
import gzip
import html
import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from healthscore import _time, presets
from healthscore._html import (
    backtest_fragment,
    csm_read_text,
    csm_words,
    curve_view,
    disagreement_text,
    driver_label,
    model_fragment,
    numeric_range,
    render,
    tree_words,
)
from healthscore._i18n import Catalogue, catalogue, check_language
from healthscore._io import write_atomic
from healthscore.actions import Action, RankBy, _rank, latest_state
from healthscore.bands import BandPolicy
from healthscore.config import AnyModel, load_model, model_fingerprint
from healthscore.exceptions import InputError, ValidationError
from healthscore.exports import read_table_csv
from healthscore.history import (
    CSM_COLOURS,
    CSM_STALE_DAYS,
    CsmRead,
    HistoryStore,
    Override,
    _policies_for,
    csm_disagreement,
    open_history,
)
from healthscore.model import HealthModel, Metric, SegmentedModel
from healthscore.scorers import input_kind
from healthscore.trends import DropRule, _for_accounts

__all__ = ["Dashboard", "dashboard"]

_COLOURS = {"green": "#2e7d32", "yellow": "#f9a825", "orange": "#ef6c00", "red": "#c62828"}
_LADDER = ("#2e7d32", "#7cb342", "#f9a825", "#ef6c00", "#c62828", "#8e0000")
_LOW_COVERAGE = 0.75
"""Coverage below this is flagged on the page."""
_SCORED_COLUMNS = ("account_id", "score", "band", "alert", "coverage")


@attrs.frozen(kw_only=True)
class Dashboard:
    """One rendered dashboard page.

    Attributes:
        html: The page: one self-contained HTML file.
        lang: Its language.
        accounts: Accounts shown.
        as_of: The date of the snapshot shown (``YYYY-MM-DD``).
    """

    html: str = attrs.field(repr=False)
    lang: str
    accounts: int
    as_of: str

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to ``path`` atomically; returns the path.

        Raises:
            InputError: The folder is missing or not writable.
        """
        write_atomic(path, self.html)
        return Path(path)

    def _repr_html_(self) -> str:
        """The page in a notebook: an ``<iframe>`` holding it (escaped)."""
        return (
            '<iframe style="width:100%;height:800px;border:1px solid #ccc" sandbox="allow-scripts" '
            f'srcdoc="{html.escape(self.html, quote=True)}"></iframe>'
        )

    def __repr__(self) -> str:
        size = len(self.html.encode("utf-8")) / 1e6
        return f"Dashboard({self.accounts:,} accounts as of {self.as_of}, {self.lang}, {size:.1f} MB)"


# -- what the page shows, from either source --------------------------------------------


@attrs.frozen(kw_only=True)
class _Snapshot:
    """One snapshot's accounts as columns (values in force, and the computed ones)."""

    ids: list[str]
    names: list[str] | None
    segment: list[str]
    score: Any
    computed: Any
    band: list[str]
    alert: list[str]
    coverage: Any
    dims: dict[str, Any]
    drivers: list[tuple[str, ...]]
    arr: Any
    override_id: list[str]
    parent: list[str] = attrs.field(factory=list)
    own: Any = None


@attrs.frozen(kw_only=True)
class _Data:
    """Everything the page is built from."""

    model: AnyModel
    version: str
    day: str
    now: _Snapshot
    policies: list[HealthModel]
    policy_of: Any
    actions: list[Action]
    change_30: Any
    drop_alert: Any
    fallen: Any = None
    peak_since: Any = None
    dates: list[str] = attrs.field(factory=list)
    series: Any = None
    band_mix: list[dict[str, Any]] = attrs.field(factory=list)
    prev_day: str | None = None
    prev_bands: dict[str, tuple[int, float]] | None = None
    inputs_now: Mapping[str, Any] | None = None
    inputs_prev: Mapping[str, Any] | None = None
    overrides: list[Override] = attrs.field(factory=list)
    backtest: Any = None
    has_history: bool = True
    reads: Mapping[str, CsmRead] = attrs.field(factory=dict)
    stale_days: float = CSM_STALE_DAYS


def _snapshot(columns: Mapping[str, Any], dimensions: Sequence[str]) -> _Snapshot:
    n = len(columns["score"])
    ids = [str(a) for a in np.asarray(columns["account_id"]).tolist()]

    def texts(name: str) -> list[str]:
        if name not in columns:
            return [""] * n
        return ["" if v is None or v != v else str(v) for v in np.asarray(columns[name], dtype=object).tolist()]

    def floats(name: str) -> Any:
        if name not in columns:
            return np.full(n, math.nan)
        return np.array([math.nan if v is None else v for v in np.asarray(columns[name], dtype=object)], dtype=float)

    score = floats("score")
    return _Snapshot(
        ids=ids,
        names=texts("name") if "name" in columns else None,
        segment=texts("segment"),
        score=score,
        computed=floats("computed_score") if "computed_score" in columns else score,
        band=texts("band"),
        alert=texts("alert"),
        coverage=floats("coverage"),
        dims={d: floats(d) for d in dimensions if d in columns},
        drivers=[tuple(str(x) for x in d) for d in columns["drivers"]] if "drivers" in columns else [()] * n,
        arr=floats("arr"),
        override_id=texts("override_id"),
        parent=texts("parent_id"),
        own=floats("own_score"),
    )


def _policy_index(model: AnyModel, segments: Sequence[str]) -> tuple[list[HealthModel], Any]:
    """The distinct policy models and each account's index among them."""
    models: list[HealthModel] = []
    index = np.zeros(len(segments), dtype=np.int64)
    seen: dict[str, int] = {}
    for i, seg in enumerate(segments):
        code = seen.get(seg)
        if code is None:
            found = _policies_for(model, seg or None)
            code = next((k for k, m in enumerate(models) if m is found), -1)
            if code < 0:
                models.append(found)
                code = len(models) - 1
            seen[seg] = code
        index[i] = code
    if not models:
        models.append(_policies_for(model, None) if not isinstance(model, SegmentedModel) else model.segments[0][1])
    return models, index


@attrs.frozen(kw_only=True)
class _QueueOptions:
    """How the page's action queue ranks, and when a CSM read is stale."""

    rank_by: RankBy = "urgency"
    stale_days: float = attrs.field(default=CSM_STALE_DAYS)

    @stale_days.validator
    def _check_stale_days(self, _: Any, value: float) -> None:
        if not value >= 0:  # NaN too
            raise ValidationError("stale_days", "must be >= 0 days", value)


def _from_history(
    store: HistoryStore,
    where: str,
    *,
    as_of: Any,
    model: AnyModel | str | None,
    drop: DropRule | None,
    queue: _QueueOptions,
) -> _Data:
    """The page's data from a history store."""
    state = latest_state(store, as_of, model=model, drop=drop)
    if state is None:
        snaps = store.snapshots()
        if not snaps:
            raise InputError(f"history {where}: holds no snapshot; write one with healthscore score --history")
        first = min(s.as_of for s in snaps)
        raise InputError(
            f"history {where}: as_of {as_of!r} is before the first snapshot ({first})"
            if as_of is not None
            else f"history {where}: no snapshot of model {model!r}",
            value=as_of if as_of is not None else model,
        )
    version, stored = state.version, state.model
    day = str(state.latest["as_of"][0])
    now = _snapshot(state.latest, stored.dimension_names)
    policies, policy_of = _policy_index(stored, now.segment)
    shown = set(now.ids)
    dates = sorted({s.as_of for s in store.snapshots() if s.model_version == version and s.as_of <= day})
    prev_day = dates[-2] if len(dates) > 1 else None
    series, band_mix = _series(store, version, dates, now, policies, policy_of)
    prev_bands = None
    inputs_prev = None
    if prev_day is not None:
        prev = store.snapshot_columns(prev_day, model=version)
        prev_bands = _band_totals(_snapshot(prev, ()))
        inputs_prev = _stored_inputs(store, prev_day, version)
    fills = {"change_30": math.nan, "drop_alert": False, "drop": math.nan, "peak_since": ""}
    matched = _for_accounts(state.trend, now.ids, fills)
    return _Data(
        model=stored,
        version=version,
        day=day,
        now=now,
        policies=policies,
        policy_of=policy_of,
        actions=state.queue(rank_by=queue.rank_by, stale_days=queue.stale_days),
        change_30=matched["change_30"],
        drop_alert=matched["drop_alert"],
        fallen=matched["drop"],
        peak_since=matched["peak_since"],
        dates=dates,
        series=series,
        band_mix=band_mix,
        prev_day=prev_day,
        prev_bands=prev_bands,
        inputs_now=_stored_inputs(store, day, version),
        inputs_prev=inputs_prev,
        overrides=[o for o in store.overrides(include_inactive=True) if o.account_id in shown],
        reads={a: r for a, r in state.reads.items() if a in shown},
        stale_days=queue.stale_days,
    )


def _stored_inputs(store: HistoryStore, day: str, version: str) -> Mapping[str, Any] | None:
    """The raw inputs a snapshot was scored from, where the history stores them."""
    reader = getattr(store, "inputs", None)
    if reader is None:
        return None
    found = reader(day, model=version)
    if found is None or "account_id" not in found or len(found["account_id"]) == 0:
        return None
    metrics = set(store.model(version).metric_names)
    if not metrics.intersection(found):  # written without inputs: account ids only
        return None
    return dict(found)


def _series(
    store: HistoryStore,
    version: str,
    dates: list[str],
    now: _Snapshot,
    policies: list[HealthModel],
    policy_of: Any,
) -> tuple[Any, list[dict[str, Any]]]:
    """Each shown account's score per snapshot (N x S, NaN where none) and the
    band mix of every snapshot (accounts and ARR per band; ARR as of the shown
    snapshot)."""
    rows = store.read(model=version, until=dates[-1], fields="scores")
    position = {a: i for i, a in enumerate(now.ids)}
    account = np.fromiter((position.get(a, -1) for a in rows["account_id"].tolist()), dtype=np.int64)
    day_index = {d: k for k, d in enumerate(dates)}
    when = np.fromiter((day_index.get(d, -1) for d in rows["as_of"].tolist()), dtype=np.int64)
    score = np.asarray(rows["score"], dtype=float)
    keep = (account >= 0) & (when >= 0)
    series = np.full((len(now.ids), len(dates)), math.nan)
    series[account[keep], when[keep]] = score[keep]
    band_mix = []
    arr = np.nan_to_num(now.arr)
    for k, day in enumerate(dates):
        counts: dict[str, list[float]] = {}
        column = series[:, k]
        for code, policy in enumerate(policies):
            mine = (policy_of == code) & ~np.isnan(column)
            labels = policy.bands.classify(column[mine])
            for name in policy.bands.names:
                hit = labels == name
                total = counts.setdefault(name, [0, 0.0])
                total[0] += int(hit.sum())
                total[1] += float(arr[mine][hit].sum())
        band_mix.append({"day": day, "bands": counts})
    return series, band_mix


def _band_totals(snap: _Snapshot) -> dict[str, tuple[int, float]]:
    bands = np.asarray(snap.band, dtype=object)
    money = np.nan_to_num(np.asarray(snap.arr, dtype=np.float64))
    out: dict[str, tuple[int, float]] = {}
    for band in dict.fromkeys(snap.band):  # in order of first appearance, as the page lists them
        mask = bands == band
        out[band] = (int(mask.sum()), float(money[mask].sum()))
    return out


def _load_scored(source: str | os.PathLike[str] | Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    if isinstance(source, Mapping):
        return dict(source), "the scored table"

    return read_table_csv(Path(source)), str(source)


def _from_scored(
    source: str | os.PathLike[str] | Mapping[str, Any], *, as_of: Any, model: AnyModel | str | os.PathLike[str] | None
) -> _Data:
    """The page's data from a scored table (``healthscore score`` output) without history."""
    table, where = _load_scored(source)
    for column in _SCORED_COLUMNS:
        if column not in table:
            raise InputError(
                f"{where}: missing column {column!r}; a scored table has {', '.join(_SCORED_COLUMNS)} "
                "(the output of healthscore score)",
                column=column,
            )
    n = len(table["account_id"])
    if n == 0:
        raise InputError(f"{where}: holds no account")
    chosen: AnyModel
    if model is None:
        chosen = presets.three_dimension()
    elif isinstance(model, (HealthModel, SegmentedModel)):
        chosen = model
    else:
        chosen = load_model(os.fspath(model))
    table = dict(table)
    k = 1
    drivers: list[list[str]] = [[] for _ in range(n)]
    while f"driver_{k}" in table:
        for i, d in enumerate(np.asarray(table[f"driver_{k}"], dtype=object).tolist()):
            if d is not None and d == d and str(d):
                drivers[i].append(str(d))
        k += 1
    table["drivers"] = [tuple(d) for d in drivers]
    now = _snapshot(table, chosen.dimension_names)
    policies, policy_of = _policy_index(chosen, now.segment)
    day = _time.utc_date(as_of, "as_of") if as_of is not None else _time.today()
    actions = _rank(
        ids=now.ids,
        score=now.score,
        band=now.band,
        alert=now.alert,
        drivers=now.drivers,
        arr=now.arr,
        trend=None,
        as_of=day,
        policies=lambda i: policies[int(policy_of[i])],
        parents=[p or None for p in now.parent] if any(now.parent) else None,
    )
    metrics = [m for m in chosen.metric_names if m in table]
    inputs = {"account_id": now.ids, **{m: table[m] for m in metrics}} if metrics else None
    if inputs is not None and "segment" in table:
        inputs["segment"] = table["segment"]
    return _Data(
        model=chosen,
        version=model_fingerprint(chosen),
        day=day,
        now=now,
        policies=policies,
        policy_of=policy_of,
        actions=actions,
        change_30=np.full(n, math.nan),
        drop_alert=np.zeros(n, dtype=bool),
        inputs_now=inputs,
        has_history=False,
    )


# -- metric detail: re-scored with the stored model ---------------------------------------


@attrs.frozen(kw_only=True)
class _Detail:
    """Per account and metric: the score shown (an imputed metric at its
    neutral score, NaN where none), the effective weight (dictionary-encoded
    rows) and the raw value."""

    metrics: tuple[str, ...]
    score: Any  # N x M
    weight_code: Any  # N
    weights: list[list[float]]  # distinct weight rows
    values: dict[str, list[Any]]
    total: Any  # N: the re-scored total


def _aligned(inputs: Mapping[str, Any], ids: Sequence[str]) -> tuple[dict[str, Any], Any]:
    """``inputs`` rows in the order of ``ids`` (object columns) and which ids have a row."""
    own = [str(a) for a in np.asarray(inputs["account_id"]).tolist()]
    where = {a: j for j, a in enumerate(own)}
    pick = np.array([where.get(a, -1) for a in ids], dtype=np.int64)
    have = pick >= 0
    out: dict[str, Any] = {}
    for name, values in inputs.items():
        if name == "account_id":
            continue
        column = np.asarray(values, dtype=object)
        taken = np.full(len(ids), None, dtype=object)
        taken[have] = column[pick[have]]
        out[name] = taken
    return out, have


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _detail(data: _Data, inputs: Mapping[str, Any]) -> _Detail:
    """The metric detail of ``inputs`` (one snapshot's raw inputs), re-scored
    with the stored model: ``score_batch`` with metric scores and weights."""
    model, ids = data.model, data.now.ids
    columns, have = _aligned(inputs, ids)
    metrics = tuple(model.metric_names)
    typed: dict[str, Any] = {}
    for m in metrics:
        if m in columns:
            raw = columns[m]
            numeric = input_kind(_metric(model, m).scorer) == "numeric"
            typed[m] = np.array([math.nan if _is_missing(v) else float(v) for v in raw]) if numeric else raw
    if isinstance(model, SegmentedModel):
        typed[model.segment_column] = np.asarray(data.now.segment, dtype=object)
    batch = model.score_batch(typed, metric_scores=True, weights=True, missing_columns="missing", dimensions=False)
    n, width = len(ids), len(metrics)
    scores = np.full((n, width), math.nan)
    weight = np.zeros((n, width))
    for j, m in enumerate(metrics):
        if m in batch.metric_scores:
            scores[:, j] = np.asarray(batch.metric_scores[m], dtype=float)
        if m in batch.metric_weights:
            weight[:, j] = np.nan_to_num(np.asarray(batch.metric_weights[m], dtype=float))
    weight[~have] = 0.0
    neutral = np.array([p.missing.neutral_score for p in data.policies])[np.asarray(data.policy_of)]
    imputed = np.isnan(scores) & (weight > 0)  # counted without a value: the neutral score (MetricScore.imputed)
    scores = np.where(imputed, neutral[:, None], scores)
    rows, code = np.unique(np.round(weight, 7), axis=0, return_inverse=True)
    return _Detail(
        metrics=metrics,
        score=scores,
        weight_code=np.asarray(code).reshape(-1),
        weights=rows.tolist(),
        values={m: columns[m].tolist() for m in metrics if m in columns},
        total=np.where(have, np.asarray(batch.score, dtype=float), math.nan),
    )


def _metric(model: AnyModel, name: str) -> Metric:
    """The :class:`~healthscore.model.Metric` called ``name`` (the first segment
    model that has it)."""
    for m in _models(model):
        if name in m.metrics:
            return m.metrics[name]
    raise KeyError(name)


def _models(model: AnyModel) -> list[HealthModel]:
    """Every model that scores accounts: a segmented model's segments and default."""
    return model._all_models() if isinstance(model, SegmentedModel) else [model]


def _contributions(detail: _Detail) -> Any:
    weight = np.asarray(detail.weights, dtype=float)[detail.weight_code] if detail.weights else 0.0
    return np.nan_to_num(detail.score) * weight


def _what_changed(now: _Detail, prev: _Detail) -> tuple[Any, list[list[int]]]:
    """Score change (x10, rounded) and per account ``[metric, change x10, ...]``
    (largest first) that sum to it exactly: rounded by largest remainder."""
    delta = _contributions(now) - _contributions(prev)
    total = np.round(10 * delta.sum(axis=1)).astype(np.int64)
    scaled = 10 * delta
    quantised = np.round(scaled).astype(np.int64)
    gap = total - quantised.sum(axis=1)
    for i in np.nonzero(gap)[0]:
        step = 1 if gap[i] > 0 else -1
        order = np.argsort(-(scaled[i] - quantised[i]) * step)
        for j in order[: abs(int(gap[i]))]:
            quantised[i, j] += step
    changes: list[list[int]] = []
    for row in quantised:
        moved = np.nonzero(row)[0]
        moved = moved[np.argsort(-np.abs(row[moved]), kind="stable")]
        flat: list[int] = []
        for j in moved.tolist():
            flat += [j, int(row[j])]
        changes.append(flat)
    return total, changes


# -- curves: sampled from each scorer, as the notebook displays sample them ----------------


def _curve(scorer: Any) -> dict[str, Any] | None:
    """A metric's curve, once per model (:func:`healthscore._html.curve_view`):
    numeric ``{"kind": "numeric", "lo", "hi", "line": [[fx, score], ...]}``
    (``fx`` the share of the ``lo..hi`` range), labels ``{"kind": "labels",
    "points": [[label, score], ...]}``. The page marks the account on it at its
    raw value and metric score."""
    view = curve_view(scorer)
    if view is None:
        return None
    if view["kind"] == "bars":
        return {"kind": "labels", "points": [[b["label"], round(b["value"], 2)] for b in view["bars"]]}
    lo, hi = numeric_range(scorer)
    line = [[round(fx, 4), round(y, 2)] for fx, y in view["line"]]
    return {"kind": "numeric", "lo": lo, "hi": hi, "line": line}


def _short(value: float) -> float:
    return float(f"{value:.6g}")


# -- the payload --------------------------------------------------------------------------


def _pack(data: Any) -> str:
    """JSON, gzip-compressed, base64: what the page's script decodes."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return base64.b64encode(gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)).decode("ascii")


def _x10(values: Any) -> list[int]:
    """Scores quantised to 0.1 as integers, -1 where missing."""
    arr = np.asarray(values, dtype=float)
    codes: list[int] = np.where(np.isnan(arr), -1, np.round(arr * 10)).astype(np.int64).tolist()
    return codes


def _nullable(values: Any, digits: int = 1) -> list[float | None]:
    return [None if v != v else round(v, digits) for v in np.asarray(values, dtype=float).tolist()]


class _Codes:
    """A dictionary encoding: distinct values in first-seen order."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self._index: dict[Any, int] = {}

    def __call__(self, value: Any) -> int:
        code = self._index.get(value)
        if code is None:
            code = self._index[value] = len(self.values)
            self.values.append(value)
        return code


def _band_table(data: _Data, t: Catalogue) -> list[dict[str, Any]]:
    names: dict[str, None] = {}
    for policy in data.policies:
        names.update(dict.fromkeys(policy.bands.names))
    first: BandPolicy = data.policies[0].bands
    out = []
    for k, name in enumerate(names):
        colour = _COLOURS.get(name.lower()) or _LADDER[min(k, len(_LADDER) - 1)]
        band = first.get(name) if name in first.names else None
        out.append(
            {"name": name, "label": t.band(name), "colour": colour, "min": None if band is None else band.min_score}
        )
    return out


def _policy_table(data: _Data, t: Catalogue) -> list[dict[str, Any]]:
    out = []
    for policy in data.policies:
        out.append(
            {
                "playbook": {b.name: [t.phrase(step) for step in b.playbook] for b in policy.bands.bands},
                "description": {b.name: t.phrase(b.description) for b in policy.bands.bands},
                "response": {a.name: t.phrase(a.response) for a in policy.alerts.levels},
                "bands": [[b.name, b.min_score] for b in policy.bands.bands],
            }
        )
    return out


def _header(data: _Data, t: Catalogue, bands: list[dict[str, Any]]) -> dict[str, Any]:
    now = _band_totals(data.now)
    total_arr = float(np.nansum(data.now.arr))
    rows = []
    for band in bands:
        count, arr = now.get(band["name"], (0, 0.0))
        prev = None if data.prev_bands is None else data.prev_bands.get(band["name"], (0, 0.0))[0]
        rows.append(
            {
                "band": band["name"],
                "accounts": count,
                "arr": arr,
                "share": count / max(1, len(data.now.ids)),
                "arr_share": arr / total_arr if total_arr else None,
                "change": None if prev is None else count - prev,
            }
        )
    return {
        "as_of": t.date(data.day),
        "model": data.model.name,
        "version": data.version,
        "accounts": len(data.now.ids),
        "arr": total_arr,
        "prev": None if data.prev_day is None else t.date(data.prev_day),
        "bands": rows,
    }


def _list_part(data: _Data, t: Catalogue, bands: list[dict[str, Any]]) -> dict[str, Any]:
    now = data.now
    band_code = {b["name"]: k for k, b in enumerate(bands)}
    alerts = _Codes()
    for policy in data.policies:
        for name in policy.alerts.names:
            alerts(name)
    segs, drivers = _Codes(), _Codes()
    due_days = sorted({a.due for a in data.actions})
    due_code = {d: k for k, d in enumerate(due_days)}
    position = {a: i for i, a in enumerate(now.ids)}
    due = [-1] * len(now.ids)
    queue = []
    since = _Codes()
    for a in data.actions:
        i = position[a.account_id]
        due[i] = due_code[a.due]
        entry = [i, due_code[a.due], int(a.drop_alert)]
        if a.drop_alert and data.fallen is not None:
            day = str(data.peak_since[i]) if data.peak_since is not None else ""
            entry += [round(float(data.fallen[i])), since(t.date(day) if day else "")]
        queue.append(entry)
    part = {
        "id": now.ids,
        "nm": now.names,
        "sg": [segs(s) for s in now.segment],
        "sc": _x10(now.score),
        "cs": _x10(now.computed),
        "bd": [band_code.get(b, -1) for b in now.band],
        "al": [alerts(a) if a else -1 for a in now.alert],
        "cv": np.where(np.isnan(now.coverage), -1, np.round(now.coverage * 100)).astype(np.int64).tolist(),
        "c30": _nullable(data.change_30),
        "arr": _nullable(now.arr, 2),
        "due": due,
        "drop": np.asarray(data.drop_alert, dtype=bool).astype(np.int64).tolist(),
        "dr": [[drivers(d) for d in ds[:3]] for ds in now.drivers],
        "pol": np.asarray(data.policy_of, dtype=np.int64).tolist(),
        "ov": [1 if o else 0 for o in now.override_id],
        "q": queue,
    }
    part["segs"] = segs.values
    part["alerts"] = [{"name": a, "label": t.alert(a)} for a in alerts.values]
    names = _names_of(now)
    part["drivers"] = [{"name": d, "label": driver_label(d, t, names)} for d in drivers.values]
    if any(a.children for a in data.actions):
        part["qk"] = [[names.get(c) or c for c in a.children] for a in data.actions]
    part["qa"] = _nullable([a.subtree_arr for a in data.actions], 2)  # a parent stakes its subtree
    part["dues"] = [t.instant(d) for d in due_days]
    part["since"] = since.values
    part["cr"] = _csm_cells(data, t)
    part.update(_tree_part(now))
    if data.series is not None:
        part["sp"] = np.where(np.isnan(data.series), -1, np.round(data.series)).astype(np.int64).ravel().tolist()
        part["spw"] = len(data.dates)
    return part


def _names_of(now: _Snapshot) -> dict[str, str]:
    """Each account's name where the snapshot has one."""
    if now.names is None:
        return {}
    return {a: n for a, n in zip(now.ids, now.names, strict=True) if n}


def _tree_part(now: _Snapshot) -> dict[str, Any]:
    """The account tree for the list, where the snapshot has one: each
    account's parent (its index, -1 at the top or when the parent is not in
    the snapshot), its own score (x10, -1 where none) and its children's
    indices; nothing for a snapshot without parents."""
    if not any(now.parent):
        return {}
    position = {a: i for i, a in enumerate(now.ids)}
    parent = [position.get(p, -1) if p else -1 for p in now.parent]
    kids: list[list[int]] = [[] for _ in now.ids]
    for i, p in enumerate(parent):
        if p >= 0:
            kids[p].append(i)
    return {"pa": parent, "os": _x10(now.own), "kids": kids}


def _csm_cells(data: _Data, t: Catalogue) -> list[list[Any] | None]:
    """Each account's latest CSM read for the list: ``None``, or its colour
    (0 red .. 2 green), rating and by-line in words, whether it is stale, its
    disagreement with the band (steps, ``None`` without a band) and that in words."""
    cells: list[list[Any] | None] = []
    for i, account in enumerate(data.now.ids):
        read = data.reads.get(account)
        if read is None:
            cells.append(None)
            continue
        policy = data.policies[int(data.policy_of[i])]
        steps = csm_disagreement(read, policy.bands, data.now.band[i])
        cells.append(
            [
                CSM_COLOURS.index(read.colour),
                csm_read_text(read, t),
                read.is_stale(data.day, data.stale_days),
                steps,
                disagreement_text(steps, t),
            ]
        )
    return cells


def _detail_part(data: _Data, t: Catalogue) -> dict[str, Any]:
    now = data.now
    model = data.model
    position = {a: i for i, a in enumerate(now.ids)}
    part: dict[str, Any] = {
        "dims": {d: _x10(v) for d, v in now.dims.items()},
        "dimLabels": {d: t.label(d) for d in now.dims},
        "overrides": [
            {
                "i": position[o.account_id],
                "id": o.override_id,
                "score": o.score,
                "band": o.band,
                "reason": o.reason,
                "author": o.author,
                "starts": t.date(o.starts),
                "expires": t.date(o.expires),
                "from": o.starts,
                "to": o.expires if o.revoked_at is None else min(o.expires, o.revoked_at[:10]),
                "revoked": None if o.revoked_at is None else t.date(o.revoked_at),
                "active": o.active_on(data.day),
            }
            for o in data.overrides
        ],
        "csmNotes": {str(position[a]): r.note for a, r in data.reads.items() if a in position and r.note},
    }
    if data.inputs_now is None:
        part["metrics"] = None
        return part
    detail = _detail(data, data.inputs_now)
    labels = _Codes()
    values: dict[str, list[Any]] = {}
    for m, raw in detail.values.items():
        numeric = input_kind(_metric(model, m).scorer) == "numeric"
        if numeric:
            values[m] = [None if _is_missing(v) else _short(float(v)) for v in raw]
        else:
            values[m] = [None if _is_missing(v) else labels(str(v)) for v in raw]
    part["metrics"] = {
        "names": list(detail.metrics),
        "labels": [t.label(m) for m in detail.metrics],
        "dimension": [_dimension_of(data, m) for m in detail.metrics],
        "kind": [input_kind(_metric(model, m).scorer) for m in detail.metrics],
        "curves": [_curve(_metric(model, m).scorer) for m in detail.metrics],
        "values": [values.get(m) for m in detail.metrics],
        "labelNames": labels.values,
        "scores": [_x10(detail.score[:, j]) for j in range(len(detail.metrics))],
        "wc": np.asarray(detail.weight_code, dtype=np.int64).tolist(),
        "wv": detail.weights,
        "total": _x10(detail.total),
    }
    if data.inputs_prev is not None and data.prev_day is not None:
        before = _detail(data, data.inputs_prev)
        total, changes = _what_changed(detail, before)
        has_prev = ~np.isnan(before.total)
        part["changed"] = {
            "since": t.date(data.prev_day),
            "total": [int(v) if h else None for v, h in zip(total.tolist(), has_prev.tolist(), strict=True)],
            "moves": changes,
            "prev": _x10(before.total),
        }
    return part


def _dimension_of(data: _Data, metric: str) -> str:
    for m in _models(data.model):
        for d in m.dimensions:
            if metric in d.metric_names:
                return d.name
    return ""


def _meta(data: _Data, t: Catalogue, title: str | None, bands: list[dict[str, Any]]) -> dict[str, Any]:
    form = t.tables["format"]
    return {
        "lang": t.lang,
        "title": title or t.text("dashboard.title"),
        "words": {k: t.text(f"dashboard.{k}") for k in t.tables["dashboard"]},
        "group": form["group"],
        "decimal": form["decimal"],
        "bands": bands,
        "policies": _policy_table(data, t),
        "header": _header(data, t, bands),
        "history": data.has_history,
        "dates": [t.date(d) for d in data.dates],
        "isoDates": data.dates,
        "mix": data.band_mix,
        "backtest": data.backtest is not None,
        "names": data.now.names is not None,
        "lowCoverage": round(100 * _LOW_COVERAGE),
        "csm": {
            "words": dict(csm_words(t.lang)),
            "colours": [_COLOURS[c] for c in CSM_COLOURS],
            "staleDays": data.stale_days,
        },
        "tree": {"words": dict(tree_words(t.lang))},
    }


# -- the entry point ----------------------------------------------------------------------


_SQLITE_HEADER = b"SQLite format 3\x00"


def _is_history_path(source: str | os.PathLike[str]) -> bool:
    """Whether ``source`` names a history (a PostgreSQL URL or a SQLite file)
    rather than a scored CSV: by the file's first bytes where it exists, else
    by its name (``.csv`` is a scored table)."""
    text = os.fspath(source)
    if text.startswith(("postgresql://", "postgres://")):
        return True
    path = Path(text)
    if path.is_file():
        with path.open("rb") as handle:
            return handle.read(len(_SQLITE_HEADER)) == _SQLITE_HEADER
    return path.suffix.lower() != ".csv"


def _backtest(
    source: HistoryStore | Mapping[str, Any], churn: Any, version: str | None, horizons: Sequence[int], day: str
) -> Any:
    from healthscore.backtest import run_backtest  # noqa: PLC0415 -- only with churn outcomes

    outcomes = churn
    if isinstance(churn, (str, os.PathLike)):
        outcomes = read_table_csv(Path(churn))
    history: HistoryStore | Mapping[str, Any] = source
    if not isinstance(source, HistoryStore):
        history = dict(source)
        if "as_of" not in history:
            history["as_of"] = [day] * len(history["account_id"])
    try:
        return run_backtest(
            history, outcomes, horizons=horizons, model=version if isinstance(history, HistoryStore) else None
        )
    except InputError as exc:
        if not isinstance(churn, (str, os.PathLike)):
            raise
        raise type(exc)(f"{os.fspath(churn)}: {exc}", column=exc.column, row=exc.row, value=exc.value) from None


def dashboard(
    source: HistoryStore | str | os.PathLike[str] | Mapping[str, Any],
    *,
    as_of: Any = None,
    model: AnyModel | str | os.PathLike[str] | None = None,
    churn: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    lang: str = "en",
    drop: DropRule | None = None,
    horizons: Sequence[int] = (30, 60, 90),
    title: str | None = None,
    rank_by: RankBy = "urgency",
    stale_days: float = CSM_STALE_DAYS,
) -> Dashboard:
    """The dashboard of a score history or a scored table, as one HTML page.

    Args:
        source: A :class:`~healthscore.history.HistoryStore`; a history file
            path or PostgreSQL URL (opened read-only, closed afterwards); or a
            scored table without history: the path of a CSV written by
            ``healthscore score`` (any file that is not a SQLite history) or such a mapping of columns
            (``account_id``, ``score``, ``band``, ``alert``, ``coverage``;
            optional ``segment``, ``name``, ``arr``, dimensions, ``driver_k``
            and the model's metric columns for metric detail).
        as_of: The snapshot shown: the latest at or before this date (default:
            the latest). For a scored table, the date due dates count from
            (default: today).
        model: With a history, a model version (fingerprint) or model in it
            (default: the latest snapshot's). With a scored table, the model
            (object or model file path) whose bands, alerts and playbooks apply
            (default :func:`healthscore.presets.three_dimension`).
        churn: Churn outcomes (CSV path or columns ``account_id``,
            ``churn_date``): adds a backtest panel.
        lang: ``"en"`` or ``"ja"``.
        drop: The drop-alert rule (default: 20 points within a calendar month).
        horizons: Backtest horizons in days.
        title: The page title (default: the catalogue's).
        rank_by: The action queue's order: ``"urgency"`` or
            ``"disagreement"`` (:func:`healthscore.actions.action_queue`).
        stale_days: A CSM read older than this is shown as stale.

    Raises:
        InputError: A bad language, an empty history, ``as_of`` before every
            snapshot, a scored table missing a column, ...
    """
    lang = check_language(lang)
    t = catalogue(lang)
    queue = _QueueOptions(rank_by=rank_by, stale_days=stale_days)
    if isinstance(source, HistoryStore):
        data = _from_history(source, repr(source), as_of=as_of, model=_version_arg(model), drop=drop, queue=queue)
        backtest_source: Any = source
    elif isinstance(source, Mapping) or not _is_history_path(source):
        data = _from_scored(source, as_of=as_of, model=model)
        backtest_source = {"account_id": data.now.ids, "score": data.now.score, "band": data.now.band}
    else:
        with open_history(source, create=False, read_only=True) as store:
            data = _from_history(
                store, os.fspath(source), as_of=as_of, model=_version_arg(model), drop=drop, queue=queue
            )
            if churn is not None:
                data = attrs.evolve(data, backtest=_backtest(store, churn, data.version, horizons, data.day))
        backtest_source = None
    if churn is not None and backtest_source is not None:
        data = attrs.evolve(data, backtest=_backtest(backtest_source, churn, data.version, horizons, data.day))
    return _page(data, t, title)


def _version_arg(model: AnyModel | str | os.PathLike[str] | None) -> AnyModel | str | None:
    if model is None or isinstance(model, (HealthModel, SegmentedModel, str)):
        return model
    return os.fspath(model)


def _page(data: _Data, t: Catalogue, title: str | None) -> Dashboard:
    bands = _band_table(data, t)
    meta = _meta(data, t, title, bands)
    page = render(
        "dashboard.html.j2",
        lang=t.lang,
        meta=meta,
        list_data=_pack(_list_part(data, t, bands)),
        detail_data=_pack(_detail_part(data, t)),
        model_html=model_fragment(data.model, lang=t.lang),
        backtest_html=None if data.backtest is None else backtest_fragment(data.backtest, lang=t.lang),
        css=_asset("dashboard.css"),
        js=_asset("dashboard.js"),
    )
    return Dashboard(html=page, lang=t.lang, accounts=len(data.now.ids), as_of=data.day)


def _asset(name: str) -> str:
    from importlib import resources  # noqa: PLC0415 -- read once per page

    return resources.files("healthscore").joinpath("templates", name).read_text(encoding="utf-8")
