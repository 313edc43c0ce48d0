"""Backtest: did the score see churn coming?

:func:`run_backtest` replays scores that were known at past dates -- a history
store, or scores computed at past as-of dates with :func:`score_over_time` --
against what happened afterwards (churn events, and renewals when known). It
only ever pairs a score with outcomes *after* its date: point in time.

Churn is the positive class, as everywhere in healthscore: a warning is a
prediction of churn. For each horizon (30, 60 and 90 days by default) the
report gives:

* **AUC**: over every (account, snapshot) pair whose outcome is known, how well
  a lower score ranks the accounts that churned within the horizon above those
  that did not (1.0 perfect, 0.5 no better than chance). This pooled AUC counts
  an account once per snapshot: an account scored on twelve dates weighs
  twelve times, and its snapshots are not independent of each other. So the
  AUC is also given per evaluation date (each account at most once), with
  their median;
* **churn rate per band**, and whether it is ordered worst band > ... > best;
* **lift of the riskiest decile**: the churn rate of the 10% lowest scores over
  the overall churn rate;
* **missed churn**: accounts that churned although, ``horizon`` days before
  cancelling, they were in a healthy band (Green or Yellow) -- as a share of
  churned accounts and as a list;
* **false alarms**: accounts that renewed although, ``horizon`` days before
  renewing, they were in an at-risk band (Red or Orange) -- as a share of
  renewed accounts and as a list;
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
    >>> churn = {"account_id": ["a"], "churn_date": ["2026-03-15"]}
    >>> report = run_backtest(history, churn, horizons=(30,))
    >>> report.lead_times["lead_days"].tolist()
    [42.0]
    >>> report.horizon(30).missed_churn  # "a" was red 30 days before cancelling
    ()
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from healthscore import _html, _time
from healthscore._frames import id_text
from healthscore._stats import roc_auc
from healthscore.config import AnyModel
from healthscore.exceptions import InputError, ValidationError
from healthscore.history import HistoryStore
from healthscore.model import SegmentedModel
from healthscore.portfolio import table_columns

__all__ = ["BacktestReport", "BandRate", "DateAuc", "HorizonResult", "run_backtest", "score_over_time"]

_DAY_KEY = 1 << 20  # day numbers (days since 1970) stay far below this until the year 4840
_HISTORY_COLUMNS = ("account_id", "as_of", "score", "band")


@attrs.frozen(kw_only=True)
class BandRate:
    """Churn within a horizon among the snapshots of one band."""

    band: str
    snapshots: int
    churned: int
    rate: float
    mean_score: float


def _nan_key(value: float) -> float | None:
    """What a NaN figure compares as: two results that both lack it are equal."""
    return None if value != value else value


@attrs.frozen(kw_only=True)
class DateAuc:
    """The AUC at one horizon among the snapshots of one evaluation date (each
    account at most once).

    Attributes:
        as_of: The snapshots' date.
        snapshots: Snapshots of that date whose outcome within the horizon is known.
        churned: Those followed by churn within the horizon.
        auc: How well a lower score ranks them; NaN when the date lacks
            churned or retained snapshots.
    """

    as_of: str
    snapshots: int
    churned: int
    auc: float = attrs.field(eq=_nan_key)


@attrs.frozen(kw_only=True)
class HorizonResult:
    """What the backtest found at one horizon (see the module docs).

    Churn is the positive class: a snapshot in an at-risk band predicts churn.

    Attributes:
        days: The horizon.
        snapshots: (Account, snapshot) pairs whose outcome within the horizon
            is known.
        accounts: Distinct accounts among them (an account scored on several
            dates has several snapshots).
        churned_snapshots: Those followed by churn within the horizon.
        churn_rate: ``churned_snapshots / snapshots``.
        auc: How well a lower score ranks the churned snapshots first, pooled
            over every snapshot: an account counts once per snapshot.
        by_date: The AUC per evaluation date (snapshot date), oldest first,
            each account at most once.
        auc_by_date_median: Median of the per-date AUCs (dates with both
            outcomes; NaN without any): each date counts once, whatever its
            number of snapshots.
        band_rates: Churn within the horizon per band, best band first.
        bands_ordered: Whether the churn rate rises strictly from the best
            band to the worst.
        lift_top_decile: Churn rate of the 10% lowest scores over the overall rate.
        churned_accounts: Churned accounts with a snapshot ``days`` before
            cancelling.
        missed_churn: Those of them that were in a healthy band then
            (the misses: churn that the score did not warn of).
        missed_churn_rate: ``len(missed_churn) / churned_accounts``.
        renewed_accounts: Renewed accounts with a snapshot ``days`` before
            renewing.
        false_alarms: Those of them that were in an at-risk band then
            (a warning of churn that did not come).
        false_alarm_rate: ``len(false_alarms) / renewed_accounts``.
    """

    days: int
    snapshots: int
    accounts: int
    churned_snapshots: int
    churn_rate: float
    auc: float = attrs.field(eq=_nan_key)
    by_date: tuple[DateAuc, ...]
    auc_by_date_median: float = attrs.field(eq=_nan_key)
    band_rates: tuple[BandRate, ...]
    bands_ordered: bool
    lift_top_decile: float
    churned_accounts: int
    missed_churn: tuple[str, ...]
    missed_churn_rate: float
    renewed_accounts: int
    false_alarms: tuple[str, ...]
    false_alarm_rate: float


@attrs.frozen(kw_only=True)
class BacktestReport:
    """The result of :func:`run_backtest`.

    Attributes:
        horizons: One :class:`HorizonResult` per horizon.
        before_churn: Columns ``account_id``, ``churn_date`` and, per horizon
            ``h``, ``score_h`` and ``band_h``: each churned account's last
            score at least ``h`` days before cancelling (NaN / ``""`` without one).
        lead_times: Columns ``account_id``, ``churn_date``, ``last_band`` (of
            the last snapshot before cancelling; ``""`` when none), ``flagged_on``
            (``""`` when not flagged) and ``lead_days`` (NaN when not flagged).
        healthy_bands: The bands counted healthy (missed churn).
        at_risk_bands: The bands counted at risk (false alarms, lead time).
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
            f"{'horizon':>8} {'snapshots':>10} {'accounts':>9} {'churn':>7} {'AUC':>6} {'AUC/date':>9} "
            f"{'top-10% lift':>13} {'missed churn':>13} {'false alarms':>13}",
        ]
        for h in self.horizons:
            missed = "n/a" if h.churned_accounts == 0 else f"{h.missed_churn_rate:.1%}"
            alarms = "n/a" if h.renewed_accounts == 0 else f"{h.false_alarm_rate:.1%}"
            lines.append(
                f"{h.days:>7}d {h.snapshots:>10,} {h.accounts:>9,} {h.churn_rate:>7.1%} {_num(h.auc, 3):>6} "
                f"{_num(h.auc_by_date_median, 3):>9} "
                f"{_num(h.lift_top_decile, 2) + 'x':>13} {missed:>13} {alarms:>13}"
            )
        lines += [
            "AUC is pooled over every snapshot, so an account counts once per snapshot (once per date it was "
            "scored); AUC/date is the median of the AUCs per evaluation date, each account at most once per date.",
        ]
        for h in self.horizons:
            lines += _date_lines(h)
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
            lines += _listed(f"missed churn, healthy {h.days} days before cancelling", h.missed_churn)
        for h in self.horizons:
            lines += _listed(f"false alarms, at risk {h.days} days before renewing", h.false_alarms)
        return "\n".join(lines)

    def to_html(self, lang: str = "en") -> str:
        """The report as an HTML display (needs Jinja2: the ``report`` extra):
        the numbers of :meth:`summary` -- AUC pooled and per evaluation date
        (median, sparkline and a row per date, with what the pooled figure
        counts), churn rate, top-decile lift, missed churn and false alarms per
        horizon -- with churn per band and the lead-time distribution as bars.

        Examples:
            >>> history = {
            ...     "account_id": ["a", "a", "b", "b"],
            ...     "as_of": ["2026-01-01", "2026-02-01", "2026-01-01", "2026-02-01"],
            ...     "score": [70.0, 30.0, 80.0, 82.0],
            ...     "band": ["yellow", "red", "green", "green"],
            ... }
            >>> report = run_backtest(history, {"account_id": ["a"], "churn_date": ["2026-03-15"]}, horizons=(30,))
            >>> "Churn within 30 days, by band" in report.to_html(), "30日以内" in report.to_html("ja")
            (True, True)
        """
        return _html.backtest_html(self, lang=lang)

    def _repr_html_(self) -> str:
        """The notebook display: :meth:`to_html`, or the text of :meth:`summary` without Jinja2."""
        return _html.notebook(self.to_html, self.summary)


def _date_lines(h: HorizonResult, shown: int = 12) -> list[str]:
    """The AUC per evaluation date at one horizon: the latest ``shown`` dates."""
    if not h.by_date:
        return []
    rated = [d.auc for d in h.by_date if d.auc == d.auc]
    spread = f"; range {min(rated):.3f} - {max(rated):.3f}" if rated else ""
    lines = [
        "",
        f"AUC within {h.days} days per evaluation date ({len(h.by_date)} dates, {len(rated)} with both outcomes"
        f"{spread}; pooled {_num(h.auc, 3)}):",
    ]
    if len(h.by_date) > shown:
        lines.append(f"  ... {len(h.by_date) - shown} earlier dates (see to_dict or by_date)")
    for d in h.by_date[-shown:]:
        lines.append(f"  {d.as_of}  {d.snapshots:>9,} snapshots  {d.churned:>7,} churned  AUC {_num(d.auc, 3)}")
    return lines


def _listed(label: str, accounts: tuple[str, ...], shown: int = 8) -> list[str]:
    """One summary line listing the first accounts, or none when there are none."""
    if not accounts:
        return []
    text = ", ".join(accounts[:shown]) + (" ..." if len(accounts) > shown else "")
    return [f"{label} ({len(accounts)}): {text}"]


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
            raise InputError(
                f"{name} needs columns 'account_id' and {date_column!r}; {column!r} is missing",
                column=column,
            )
    ids = np.array([id_text(a) for a in np.asarray(cols["account_id"], dtype=object).tolist()], dtype=object)
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
    for field, names in (("at_risk_bands", at_risk), ("healthy_bands", healthy or ())):
        unknown = sorted(set(names) - set(ordered))
        if unknown:
            raise ValidationError(field, f"must name bands of the scores {list(ordered)}", unknown)
    calm = tuple(b for b in ordered if b not in risky) if healthy is None else tuple(healthy)
    return risky, calm


def _check_horizons(horizons: Sequence[int]) -> list[int]:
    days_ahead = []
    for h in horizons:
        if not (isinstance(h, (int, np.integer)) and not isinstance(h, bool) and h >= 1):
            raise ValidationError("horizons", "must be whole numbers of days >= 1", h)
        days_ahead.append(int(h))
    if not days_ahead:
        raise ValidationError("horizons", "must name at least one horizon", list(horizons))
    return days_ahead


def _snapshots(
    history: HistoryStore | Mapping[str, Any] | Any, model: AnyModel | str | None
) -> tuple[Mapping[str, Any], tuple[str, ...] | None]:
    """The history's columns, and its band names best first when one stored
    band policy says them (``None`` for plain columns)."""
    if isinstance(history, HistoryStore):
        version = history._version(model) or history.latest_version()
        if version is None:
            raise InputError(f"the history store {history!r} holds no snapshot to backtest")
        stored = history.model(version)
        members = stored._all_models() if isinstance(stored, SegmentedModel) else [stored]
        policy_names = members[0].bands.names if len({m.bands.names for m in members}) == 1 else None
        return history.read(model=version), policy_names
    cols = table_columns(history, list(_HISTORY_COLUMNS), labels={"account_id", "as_of", "band"})
    for column in _HISTORY_COLUMNS:
        if column not in cols:
            raise InputError(f"history needs columns account_id, as_of, score and band; {column!r} is missing",
                             column=column)  # fmt: skip
    return cols, None


@attrs.frozen(kw_only=True, eq=False)
class _Panel:
    """The scored snapshots, sorted by account and date, next to the outcomes.

    Accounts and bands are integer codes; days are day numbers. Only
    snapshots with a score are kept.
    """

    account: Any  # account code per snapshot
    day: Any
    keys: Any  # account * _DAY_KEY + day: sorted, for searching
    score: Any
    band: Any  # band code per snapshot (an index into band_names)
    band_names: tuple[str, ...]
    ordered: tuple[str, ...]  # every band, best first
    at_risk: tuple[str, ...]
    healthy: tuple[str, ...]
    churn_ids: Any
    churn_day: Any
    churn_account: Any
    renew_ids: Any
    renew_day: Any
    renew_account: Any
    first_churn: Any  # per account code: its first churn day (int64 max when none)
    until: int

    def last_before(self, accounts: Any, limit_days: Any) -> Any:
        """Index of each account's last snapshot dated <= limit (-1 without one)."""
        idx = np.searchsorted(self.keys, accounts * _DAY_KEY + limit_days, side="right") - 1
        ok = (idx >= 0) & (self.account[np.maximum(idx, 0)] == accounts)
        return np.where(ok, idx, -1)

    def band_of(self, idx: Any) -> Any:
        """Band names of the snapshots at ``idx`` (``""`` where ``idx`` is -1)."""
        names = np.array(self.band_names, dtype=object)[self.band[np.maximum(idx, 0)]]
        return np.where(idx >= 0, names, "")

    def codes_of(self, names: Sequence[str]) -> Any:
        """Band codes of the named bands that occur in the snapshots."""
        return np.array([self.band_names.index(b) for b in names if b in self.band_names], dtype=np.int64)


def _panel(
    cols: Mapping[str, Any],
    policy_names: tuple[str, ...] | None,
    churn: Mapping[str, Any] | Any,
    renewals: Mapping[str, Any] | Any | None,
    bands: tuple[Sequence[str] | None, Sequence[str] | None],
    outcomes_until: Any,
) -> _Panel:
    """Scored snapshots sorted by account and date, and the outcomes, as codes."""
    score = np.asarray(cols["score"], dtype=np.float64)
    scored = ~np.isnan(score)
    if not scored.any():
        raise InputError(f"no snapshot in the history has a score: all {score.size} scores are missing", column="score")
    ids = np.array([id_text(a) for a in np.asarray(cols["account_id"], dtype=object)[scored].tolist()], dtype=object)
    day = _days(np.asarray(cols["as_of"], dtype=object)[scored], "as_of")
    score = score[scored]
    band_text = np.array([str(b) for b in np.asarray(cols["band"], dtype=object)[scored].tolist()], dtype=object)
    distinct, band_code = np.unique(band_text.astype(str), return_inverse=True)
    band_names = tuple(str(b) for b in distinct)
    band_code = band_code.reshape(-1)
    at_risk, healthy = _band_sets(band_names, score, band_code, policy_names, *bands)

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
    return _Panel(
        account=acc[order],
        day=day[order],
        keys=acc[order] * _DAY_KEY + day[order],
        score=score[order],
        band=band_code[order],
        band_names=band_names,
        ordered=policy_names if policy_names is not None else (*healthy, *at_risk),
        at_risk=at_risk,
        healthy=healthy,
        churn_ids=churn_ids,
        churn_day=churn_day,
        churn_account=np.array([accounts[a] for a in churn_ids.tolist()], dtype=np.int64),
        renew_ids=renew_ids,
        renew_day=renew_day,
        renew_account=np.array([accounts[a] for a in renew_ids.tolist()], dtype=np.int64),
        first_churn=first_churn,
        until=int(until),
    )


def _band_rates(panel: _Panel, known: Any, y: Any, s: Any) -> tuple[BandRate, ...]:
    """Churn among the known snapshots of each band that occurs, best band first."""
    rates = []
    codes = panel.band[known]
    for name in panel.ordered:
        if name not in panel.band_names:
            continue
        in_band = codes == panel.band_names.index(name)
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
    return tuple(rates)


def _lift(y: Any, s: Any) -> float:
    """Churn rate of the 10% lowest scores over the overall churn rate."""
    n_churn = int(y.sum())
    if not (y.size and n_churn):
        return math.nan
    k = max(1, math.ceil(0.1 * y.size))
    riskiest = np.argsort(s, kind="stable")[:k]
    return float(y[riskiest].mean() / (n_churn / y.size))


def _share(hits: Any, of: Any) -> float:
    return float(hits.sum() / of.sum()) if of.any() else math.nan


def _horizon(panel: _Panel, h: int) -> HorizonResult:
    """The result at one horizon: the point-in-time panel of snapshots whose
    outcome ``h`` days on is known, and each churned (renewed) account's band
    ``h`` days before cancelling (renewing)."""
    churn_day = panel.first_churn[panel.account]
    alive = panel.day < churn_day  # a snapshot after cancelling says nothing
    churned = alive & (churn_day <= panel.day + h)
    known = alive & (churned | (panel.day + h <= panel.until))
    y = churned[known].astype(np.float64)
    s = panel.score[known]
    n_churn = int(y.sum())
    rates = _band_rates(panel, known, y, s)
    observed = [r.rate for r in rates if r.snapshots]

    at_churn = panel.last_before(panel.churn_account, panel.churn_day - h)
    has = at_churn >= 0
    missed = has & np.isin(panel.band[np.maximum(at_churn, 0)], panel.codes_of(panel.healthy))
    at_renew = panel.last_before(panel.renew_account, panel.renew_day - h)
    r_has = at_renew >= 0
    alarmed = r_has & np.isin(panel.band[np.maximum(at_renew, 0)], panel.codes_of(panel.at_risk))
    by_date = _by_date(panel.day[known], y, s)
    date_aucs = [d.auc for d in by_date if d.auc == d.auc]
    return HorizonResult(
        days=h,
        snapshots=int(y.size),
        accounts=int(np.unique(panel.account[known]).size),
        churned_snapshots=n_churn,
        churn_rate=n_churn / y.size if y.size else math.nan,
        auc=roc_auc(y, -s) if 0 < n_churn < y.size else math.nan,
        by_date=by_date,
        auc_by_date_median=float(np.median(date_aucs)) if date_aucs else math.nan,
        band_rates=rates,
        bands_ordered=all(a < b for a, b in itertools.pairwise(observed)),
        lift_top_decile=_lift(y, s),
        churned_accounts=int(has.sum()),
        missed_churn=tuple(sorted(panel.churn_ids[missed].tolist())),
        missed_churn_rate=_share(missed, has),
        renewed_accounts=int(r_has.sum()),
        false_alarms=tuple(sorted(panel.renew_ids[alarmed].tolist())),
        false_alarm_rate=_share(alarmed, r_has),
    )


def _by_date(day: Any, y: Any, s: Any) -> tuple[DateAuc, ...]:
    """The AUC among the known snapshots of each evaluation date, oldest first."""
    dates, code = np.unique(day, return_inverse=True)
    out = []
    for i, d in enumerate(dates.tolist()):
        on = code.reshape(-1) == i
        yd = y[on]
        hits = int(yd.sum())
        out.append(
            DateAuc(
                as_of=_date(int(d)),
                snapshots=int(yd.size),
                churned=hits,
                auc=roc_auc(yd, -s[on]) if 0 < hits < yd.size else math.nan,
            )
        )
    return tuple(out)


def _churn_dates(panel: _Panel) -> Any:
    return np.array([_date(d) for d in panel.churn_day], object)


def _before_churn(panel: _Panel, horizons: Sequence[int]) -> dict[str, Any]:
    """Each churned account's last score and band ``h`` days before cancelling."""
    before: dict[str, Any] = {"account_id": panel.churn_ids, "churn_date": _churn_dates(panel)}
    for h in horizons:
        at_churn = panel.last_before(panel.churn_account, panel.churn_day - h)
        before[f"score_{h}"] = np.where(at_churn >= 0, panel.score[np.maximum(at_churn, 0)], math.nan)
        before[f"band_{h}"] = panel.band_of(at_churn)
    return before


def _lead_times(panel: _Panel) -> dict[str, Any]:
    """Per churned account: the start of its last unbroken at-risk stretch
    before cancelling, and how many days ahead of churn that was."""
    acc, day = panel.account, panel.day
    risky = np.isin(panel.band, panel.codes_of(panel.at_risk))
    same = np.r_[False, acc[1:] == acc[:-1]]
    continues = risky & np.r_[False, risky[:-1]] & same
    start_idx = np.maximum.accumulate(np.where(continues, 0, np.arange(acc.size)))
    last = panel.last_before(panel.churn_account, panel.churn_day - 1)
    flagged = (last >= 0) & risky[np.maximum(last, 0)]
    entry = np.where(flagged, day[start_idx[np.maximum(last, 0)]], 0)
    return {
        "account_id": panel.churn_ids,
        "churn_date": _churn_dates(panel),
        "last_band": panel.band_of(last),
        "flagged_on": np.array([_date(d) if f else "" for d, f in zip(entry, flagged, strict=True)], dtype=object),
        "lead_days": np.where(flagged, (panel.churn_day - entry).astype(np.float64), math.nan),
    }


def run_backtest(
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
            false alarms.
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
    days_ahead = _check_horizons(horizons)
    cols, policy_names = _snapshots(history, model)
    panel = _panel(cols, policy_names, churn, renewals, (at_risk_bands, healthy_bands), outcomes_until)
    return BacktestReport(
        horizons=tuple(_horizon(panel, h) for h in days_ahead),
        before_churn=_before_churn(panel, days_ahead),
        lead_times=_lead_times(panel),
        healthy_bands=panel.healthy,
        at_risk_bands=panel.at_risk,
        first_date=_date(int(panel.day.min())),
        last_date=_date(int(panel.day.max())),
        outcomes_until=_date(panel.until),
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
