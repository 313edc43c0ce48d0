"""Backtest: did the score see churn coming?

:func:`backtest` replays scores that were known at past dates -- a history
store, or scores computed at past as-of dates with :func:`score_over_time` --
against what happened afterwards (churn events, and renewals when known). It
only ever pairs a score with outcomes *after* its date: point in time.

For each horizon (30, 60 and 90 days by default) it reports:

* **AUC**: over every (account, snapshot) pair whose outcome is known, how well
  a lower score ranks the accounts that churned within the horizon above those
  that did not (1.0 perfect, 0.5 no better than chance);
* **churn rate per band**, and whether it is ordered worst band > ... > best;
* **lift of the riskiest decile**: the churn rate of the 10% lowest scores over
  the overall churn rate;
* **false positives**: accounts that churned although, ``horizon`` days before
  cancelling, they were in a healthy band (Green or Yellow) -- as a share of
  churned accounts and as a list;
* **false negatives**: accounts that renewed although, ``horizon`` days before
  renewing, they were in an at-risk band (Red or Orange);
* each churned account's score and band ``horizon`` days before cancelling.

And the **lead time**: for each churned account, how many days before churn it
entered the at-risk bands (the start of its last unbroken stretch in Red or
Orange before cancelling); accounts never flagged are counted as missed.

Examples:
    >>> history = {
    ...     "account_id": ["a", "a", "b", "b"],
    ...     "as_of": ["2026-01-01", "2026-02-01", "2026-01-01", "2026-02-01"],
    ...     "score": [70.0, 30.0, 80.0, 82.0],
    ...     "band": ["yellow", "red", "green", "green"],
    ... }
    >>> report = backtest(history, {"account_id": ["a"], "churn_date": ["2026-03-15"]}, horizons=(30,))
    >>> report.lead_times["lead_days"].tolist()
    [42.0]
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from healthscore import _time
from healthscore._stats import roc_auc
from healthscore.config import AnyModel
from healthscore.exceptions import InputError, ValidationError
from healthscore.history import HistoryStore, _policies_for
from healthscore.model import SegmentedModel
from healthscore.portfolio import table_columns

__all__ = ["BacktestReport", "BandRate", "HorizonResult", "backtest", "score_over_time"]

_DAY_KEY = 1 << 20  # day numbers (days since 1970) stay far below this until the year 4840


@attrs.frozen(kw_only=True)
class BandRate:
    """Churn within a horizon among the snapshots of one band."""

    band: str
    snapshots: int
    churned: int
    rate: float
    mean_score: float


@attrs.frozen(kw_only=True)
class HorizonResult:
    """What the backtest found at one horizon (see the module docs)."""

    days: int
    snapshots: int
    churned_snapshots: int
    churn_rate: float
    auc: float
    band_rates: tuple[BandRate, ...]
    bands_ordered: bool
    lift_top_decile: float
    churned_accounts: int
    false_positives: tuple[str, ...]
    false_positive_rate: float
    renewed_accounts: int
    false_negatives: tuple[str, ...]
    false_negative_rate: float


@attrs.frozen(kw_only=True)
class BacktestReport:
    """The result of :func:`backtest`.

    Attributes:
        horizons: One :class:`HorizonResult` per horizon.
        before_churn: Columns ``account_id``, ``churn_date`` and, per horizon
            ``h``, ``score_h`` and ``band_h``: each churned account's last
            score at least ``h`` days before cancelling (NaN / ``""`` without one).
        lead_times: Columns ``account_id``, ``churn_date``, ``last_band`` (of
            the last snapshot before cancelling; ``""`` when none), ``flagged_on``
            (``""`` when not flagged) and ``lead_days`` (NaN when not flagged).
        healthy_bands: The bands counted healthy (false positives).
        at_risk_bands: The bands counted at risk (false negatives, lead time).
        first_date, last_date: The snapshots' date range.
        outcomes_until: The last date outcomes are known.
    """

    horizons: tuple[HorizonResult, ...]
    before_churn: dict[str, Any]
    lead_times: dict[str, Any]
    healthy_bands: tuple[str, ...]
    at_risk_bands: tuple[str, ...]
    first_date: str
    last_date: str
    outcomes_until: str

    def horizon(self, days: int) -> HorizonResult:
        """The result at one horizon."""
        for h in self.horizons:
            if h.days == days:
                return h
        raise ValidationError("days", f"must be one of the horizons {[h.days for h in self.horizons]}", days)

    @property
    def lead_time_summary(self) -> dict[str, float]:
        """Churned accounts with a score before cancelling, how many of them were
        flagged (in an at-risk band at their last snapshot), the median lead
        time in days, and the share flagged at least 30 days ahead."""
        seen = np.asarray(self.lead_times["last_band"], dtype=object) != ""
        lead = np.asarray(self.lead_times["lead_days"], dtype=np.float64)[seen]
        flagged = ~np.isnan(lead)
        return {
            "churned": float(lead.size),
            "flagged": float(flagged.sum()),
            "median_lead_days": float(np.median(lead[flagged])) if flagged.any() else math.nan,
            "share_flagged_30_days_ahead": float(np.mean(lead >= 30)) if lead.size else math.nan,
        }

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data (JSON-ready: lists, numbers, strings, None for NaN)."""

        def plain(value: Any) -> Any:
            if isinstance(value, np.ndarray):
                return [plain(v) for v in value.tolist()]
            if isinstance(value, float):
                return None if math.isnan(value) else value
            if isinstance(value, (list, tuple)):
                return [plain(v) for v in value]
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            return value

        out: dict[str, Any] = plain(
            {
                "first_date": self.first_date,
                "last_date": self.last_date,
                "outcomes_until": self.outcomes_until,
                "healthy_bands": list(self.healthy_bands),
                "at_risk_bands": list(self.at_risk_bands),
                "horizons": [attrs.asdict(h) for h in self.horizons],
                "lead_time": self.lead_time_summary,
                "before_churn": self.before_churn,
                "lead_times": self.lead_times,
            }
        )
        return out

    def summary(self) -> str:
        """A readable text summary."""
        lines = [
            f"Backtest of scores from {self.first_date} to {self.last_date}, outcomes known until "
            f"{self.outcomes_until}",
            f"healthy bands: {', '.join(self.healthy_bands)}; at-risk bands: {', '.join(self.at_risk_bands)}",
            "",
            f"{'horizon':>8} {'snapshots':>10} {'churn':>7} {'AUC':>6} {'top-10% lift':>13} "
            f"{'false pos.':>11} {'false neg.':>11}",
        ]
        for h in self.horizons:
            fn = "n/a" if h.renewed_accounts == 0 else f"{h.false_negative_rate:.1%}"
            fp = "n/a" if h.churned_accounts == 0 else f"{h.false_positive_rate:.1%}"
            lines.append(
                f"{h.days:>7}d {h.snapshots:>10,} {h.churn_rate:>7.1%} {_num(h.auc, 3):>6} "
                f"{_num(h.lift_top_decile, 2) + 'x':>13} {fp:>11} {fn:>11}"
            )
        for h in self.horizons:
            lines += ["", f"churn within {h.days} days, by band" + ("" if h.bands_ordered else " (NOT ordered)") + ":"]
            for r in h.band_rates:
                lines.append(
                    f"  {r.band:<10} {r.snapshots:>9,} snapshots  {r.churned:>7,} churned  {r.rate:>6.1%}  "
                    f"(mean score {r.mean_score:.1f})"
                )
        lead = self.lead_time_summary
        lines += [
            "",
            f"lead time: {int(lead['flagged'])} of {int(lead['churned'])} churned accounts scored before "
            f"cancelling were in {'/'.join(self.at_risk_bands)} at their last score; "
            f"median {_num(lead['median_lead_days'], 0)} days ahead; "
            f"{_pct(lead['share_flagged_30_days_ahead'])} flagged at least 30 days ahead",
        ]
        for h in self.horizons:
            if h.false_positives:
                shown = ", ".join(h.false_positives[:8]) + (" ..." if len(h.false_positives) > 8 else "")
                lines.append(f"healthy {h.days} days before churning ({len(h.false_positives)}): {shown}")
        return "\n".join(lines)


def _num(value: float, digits: int) -> str:
    return "n/a" if value != value else f"{value:.{digits}f}"


def _pct(value: float) -> str:
    return "n/a" if value != value else f"{value:.0%}"


def _days(values: Any, field: str) -> Any:
    """ISO dates or date-times -> day numbers (int64), naming the bad value."""
    arr = np.asarray(values)
    return _time.day_numbers(arr if arr.dtype.kind in "MU" else arr.astype(str), field)


def _date(day: int) -> str:
    return _time.day_text(day)


def _events(data: Mapping[str, Any] | Any | None, date_column: str, name: str) -> tuple[Any, Any]:
    if data is None:
        return np.zeros(0, dtype=object), np.zeros(0, dtype=np.int64)
    cols = table_columns(data, ["account_id", date_column], labels={"account_id", date_column})
    for column in ("account_id", date_column):
        if column not in cols:
            raise InputError(f"{name} needs columns 'account_id' and {date_column!r}", column=column)
    ids = np.array([str(a) for a in np.asarray(cols["account_id"], dtype=object).tolist()], dtype=object)
    return ids, _days(cols[date_column], f"{name}.{date_column}")


def _band_sets(
    bands: Sequence[str],
    scores: Any,
    codes: Any,
    policy_names: tuple[str, ...] | None,
    at_risk: Sequence[str] | None,
    healthy: Sequence[str] | None,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Band names ordered best to worst, and the at-risk / healthy sets."""
    if policy_names is not None:
        ordered = tuple(policy_names)
    else:  # best band first: by mean score
        means = [float(np.mean(scores[codes == k])) for k in range(len(bands))]
        ordered = tuple(bands[k] for k in np.argsort(means)[::-1])
    if at_risk is None:
        if {"red", "orange"} & set(ordered):
            at_risk = tuple({"red", "orange"} & set(ordered))
        else:
            at_risk = ordered[-2:] if len(ordered) >= 3 else ordered[-1:]
    risky = tuple(b for b in ordered if b in set(at_risk))
    unknown = sorted(set(at_risk) - set(ordered))
    if unknown:
        raise ValidationError("at_risk_bands", f"must name bands of the scores {list(ordered)}", unknown)
    calm = tuple(b for b in ordered if b not in risky) if healthy is None else tuple(healthy)
    return risky, calm


def backtest(
    history: HistoryStore | Mapping[str, Any] | Any,
    churn: Mapping[str, Any] | Any,
    *,
    renewals: Mapping[str, Any] | Any | None = None,
    horizons: Sequence[int] = (30, 60, 90),
    model: AnyModel | str | None = None,
    at_risk_bands: Sequence[str] | None = None,
    healthy_bands: Sequence[str] | None = None,
    outcomes_until: Any = None,
) -> BacktestReport:
    """Backtest scores known at past dates against churn (and renewals).

    Args:
        history: A :class:`~healthscore.history.HistoryStore` (one model
            version: ``model``, default the latest), or columns ``account_id``,
            ``as_of``, ``score`` and ``band`` (any data frame or a mapping; e.g.
            :func:`score_over_time`'s output).
        churn: Columns ``account_id`` and ``churn_date``: when each churned
            account cancelled.
        renewals: Columns ``account_id`` and ``renewal_date`` (optional): for
            false negatives.
        horizons: Days ahead to look (each a whole number >= 1).
        model: With a store, the model version to read (a model or fingerprint).
        at_risk_bands: Bands that count as a warning (default: red and orange
            where the bands have those names, else the two worst).
        healthy_bands: Bands that count as healthy (default: all the others).
        outcomes_until: The last date churn is known (default: the latest
            snapshot, churn or renewal date). A snapshot whose horizon reaches
            past it, with no churn seen, is left out (its outcome is unknown).

    Raises:
        InputError: A missing column, a bad date, or no scored snapshot.
        ValidationError: A bad horizon or band name.
    """
    days_ahead = []
    for h in horizons:
        if not (isinstance(h, (int, np.integer)) and not isinstance(h, bool) and h >= 1):
            raise ValidationError("horizons", "must be whole numbers of days >= 1", h)
        days_ahead.append(int(h))
    if not days_ahead:
        raise ValidationError("horizons", "must name at least one horizon", list(horizons))
    policy_names: tuple[str, ...] | None = None
    if isinstance(history, HistoryStore):
        version = history._version(model) or history.latest_version()
        if version is None:
            raise InputError("the history store holds no snapshot to backtest")
        stored = history.model(version)
        members = stored._all_models() if isinstance(stored, SegmentedModel) else [stored]
        policy_names = _policies_for(stored, None).bands.names if len({m.bands.names for m in members}) == 1 else None
        cols = history.read(model=version)
    else:
        cols = table_columns(history, ["account_id", "as_of", "score", "band"], labels={"account_id", "as_of", "band"})
        for column in ("account_id", "as_of", "score", "band"):
            if column not in cols:
                raise InputError(f"history needs columns account_id, as_of, score and band; {column!r} is missing",
                                 column=column)  # fmt: skip
    score = np.asarray(cols["score"], dtype=np.float64)
    scored = ~np.isnan(score)
    if not scored.any():
        raise InputError("no snapshot in the history has a score")
    ids = np.array([str(a) for a in np.asarray(cols["account_id"], dtype=object)[scored].tolist()], dtype=object)
    day = _days(np.asarray(cols["as_of"], dtype=object)[scored], "as_of")
    score = score[scored]
    band_text = np.array([str(b) for b in np.asarray(cols["band"], dtype=object)[scored].tolist()], dtype=object)
    distinct, band_code = np.unique(band_text.astype(str), return_inverse=True)
    band_names: list[str] = [str(b) for b in distinct]
    band_code = band_code.reshape(-1)
    at_risk, healthy = _band_sets(band_names, score, band_code, policy_names, at_risk_bands, healthy_bands)
    ordered = list(policy_names) if policy_names is not None else [*healthy, *at_risk]

    churn_ids, churn_day = _events(churn, "churn_date", "churn")
    renew_ids, renew_day = _events(renewals, "renewal_date", "renewals")
    accounts = {a: i for i, a in enumerate(dict.fromkeys([*ids.tolist(), *churn_ids.tolist(), *renew_ids.tolist()]))}
    acc = np.fromiter((accounts[a] for a in ids.tolist()), dtype=np.int64, count=ids.size)
    first_churn = np.full(len(accounts), np.iinfo(np.int64).max)
    if churn_ids.size:
        np.minimum.at(first_churn, [accounts[a] for a in churn_ids.tolist()], churn_day)
    last_known = int(max(day.max(), churn_day.max(initial=day.max()), renew_day.max(initial=day.max())))
    until = _days([str(outcomes_until)], "outcomes_until")[0] if outcomes_until is not None else last_known

    order = np.lexsort((day, acc))
    acc, day, score, band_code, ids = acc[order], day[order], score[order], band_code[order], ids[order]
    keys = acc * _DAY_KEY + day

    def last_before(account_codes: Any, limit_days: Any) -> Any:
        """Index of each account's last snapshot dated <= limit (-1 without one)."""
        idx = np.searchsorted(keys, account_codes * _DAY_KEY + limit_days, side="right") - 1
        ok = (idx >= 0) & (acc[np.maximum(idx, 0)] == account_codes)
        return np.where(ok, idx, -1)

    churn_codes = np.array([accounts[a] for a in churn_ids.tolist()], dtype=np.int64)
    renew_codes = np.array([accounts[a] for a in renew_ids.tolist()], dtype=np.int64)
    risky_codes = np.array([band_names.index(b) for b in at_risk if b in band_names], dtype=np.int64)
    healthy_codes = np.array([band_names.index(b) for b in healthy if b in band_names], dtype=np.int64)
    alive = day < first_churn[acc]  # a snapshot after cancelling says nothing
    results = []
    before: dict[str, Any] = {"account_id": churn_ids, "churn_date": np.array([_date(d) for d in churn_day], object)}
    for h in days_ahead:
        churned = alive & (first_churn[acc] <= day + h)
        known = alive & (churned | (day + h <= until))
        y = churned[known].astype(np.float64)
        s = score[known]
        n_churn = int(y.sum())
        auc = roc_auc(y, -s) if 0 < n_churn < y.size else math.nan
        rates = []
        for name in ordered:
            if name not in band_names:
                continue
            in_band = band_code[known] == band_names.index(name)
            count = int(in_band.sum())
            hits = int(y[in_band].sum())
            rates.append(
                BandRate(
                    band=name,
                    snapshots=count,
                    churned=hits,
                    rate=hits / count if count else math.nan,
                    mean_score=float(s[in_band].mean()) if count else math.nan,
                )
            )
        observed = [r.rate for r in rates if r.snapshots]
        bands_ordered = all(a < b for a, b in itertools.pairwise(observed))
        overall = n_churn / y.size if y.size else math.nan
        lift = math.nan
        if y.size and n_churn:
            k = max(1, math.ceil(0.1 * y.size))
            riskiest = np.argsort(s, kind="stable")[:k]
            lift = float(y[riskiest].mean() / overall)
        at_churn = last_before(churn_codes, churn_day - h)
        has = at_churn >= 0
        before[f"score_{h}"] = np.where(has, score[np.maximum(at_churn, 0)], math.nan)
        before[f"band_{h}"] = np.where(has, np.array(band_names, dtype=object)[band_code[np.maximum(at_churn, 0)]], "")
        fooled = has & np.isin(band_code[np.maximum(at_churn, 0)], healthy_codes)
        at_renew = last_before(renew_codes, renew_day - h)
        r_has = at_renew >= 0
        alarmed = r_has & np.isin(band_code[np.maximum(at_renew, 0)], risky_codes)
        results.append(
            HorizonResult(
                days=h,
                snapshots=int(y.size),
                churned_snapshots=n_churn,
                churn_rate=overall,
                auc=auc,
                band_rates=tuple(rates),
                bands_ordered=bands_ordered,
                lift_top_decile=lift,
                churned_accounts=int(has.sum()),
                false_positives=tuple(sorted(churn_ids[fooled].tolist())),
                false_positive_rate=float(fooled.sum() / has.sum()) if has.any() else math.nan,
                renewed_accounts=int(r_has.sum()),
                false_negatives=tuple(sorted(renew_ids[alarmed].tolist())),
                false_negative_rate=float(alarmed.sum() / r_has.sum()) if r_has.any() else math.nan,
            )
        )

    # lead time: the start of the last unbroken at-risk stretch before cancelling
    risky = np.isin(band_code, risky_codes)
    same = np.r_[False, acc[1:] == acc[:-1]]
    continues = risky & np.r_[False, risky[:-1]] & same
    start_idx = np.maximum.accumulate(np.where(continues, 0, np.arange(acc.size)))
    last = last_before(churn_codes, churn_day - 1)
    flagged = (last >= 0) & risky[np.maximum(last, 0)]
    entry = np.where(flagged, day[start_idx[np.maximum(last, 0)]], 0)
    lead_times = {
        "account_id": churn_ids,
        "churn_date": before["churn_date"],
        "last_band": np.where(last >= 0, np.array(band_names, dtype=object)[band_code[np.maximum(last, 0)]], ""),
        "flagged_on": np.array([_date(d) if f else "" for d, f in zip(entry, flagged, strict=True)], dtype=object),
        "lead_days": np.where(flagged, (churn_day - entry).astype(np.float64), math.nan),
    }
    return BacktestReport(
        horizons=tuple(results),
        before_churn=before,
        lead_times=lead_times,
        healthy_bands=healthy,
        at_risk_bands=at_risk,
        first_date=_date(int(day.min())),
        last_date=_date(int(day.max())),
        outcomes_until=_date(int(until)),
    )


def score_over_time(model: AnyModel, exports: Any, dates: Sequence[Any], *, settings: Any = None) -> dict[str, Any]:
    """Score every account at each past date from raw exports, point in time.

    Signals at each date read only what was known then
    (:func:`healthscore.compute_signals`), so the result can be backtested
    without look-ahead.

    Args:
        model: The model to score with.
        exports: :class:`healthscore.Exports` (from :func:`healthscore.read_exports`).
        dates: The as-of dates.
        settings: :class:`healthscore.SignalSettings` (optional).

    Returns:
        Columns ``account_id``, ``as_of``, ``score``, ``band``, ``alert`` and
        ``coverage``, one row per account and date.
    """
    from healthscore.signals import SignalSettings, compute_signals  # noqa: PLC0415 -- signals imports much

    parts: dict[str, list[Any]] = {k: [] for k in ("account_id", "as_of", "score", "band", "alert", "coverage")}
    for when in dates:
        signals = compute_signals(exports, when, settings or SignalSettings())
        ids = signals.pop("account_id")
        columns = dict(signals)
        if isinstance(model, SegmentedModel):
            columns[model.segment_column] = exports.tables["accounts"]["segment"]
        result = model.score_batch(columns, missing_columns="missing")
        parts["account_id"].append(np.asarray(ids, dtype=object))
        parts["as_of"].append(np.full(len(result), str(when)[:10], dtype=object))
        parts["score"].append(np.asarray(result.score, dtype=np.float64))
        parts["band"].append(result.band.astype(object))
        parts["alert"].append(result.alert.astype(object))
        parts["coverage"].append(np.asarray(result.coverage, dtype=np.float64))
    return {k: np.concatenate(v) if v else np.zeros(0) for k, v in parts.items()}
