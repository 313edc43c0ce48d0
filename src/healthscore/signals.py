"""Exports -> health signals, as of any date, with no look-ahead.

:func:`compute_signals` turns validated :class:`~healthscore.exports.Exports`
into one row per account holding the metric values of
:func:`healthscore.presets.three_dimension` (and those of
:func:`healthscore.presets.dear` that the exports can support). Every window,
threshold and decay is a field of :class:`SignalSettings`.

Point in time: ``as_of`` is required, and no row dated after it is read, in any
table (an invoice paid after ``as_of`` is unpaid as of ``as_of``; a goal
updated later keeps its earlier value). A date as ``as_of`` includes that whole
day. A signal whose table is absent is missing (NaN), never zero; a table that
is present but has no rows for an account gives that account a real zero where
zero means something (no tickets, no expansion talks) and missing where
nothing can be said (no survey answers, no invoices).

Everything is vectorised: group-bys are ``bincount``/``unique``/``lexsort`` over
whole columns, never a Python loop over rows or accounts.

Examples:
    >>> from healthscore.exports import read_exports
    >>> ex = read_exports({
    ...     "accounts": {"account_id": ["a"], "segment": ["smb"], "seats_purchased": [4],
    ...                  "arr": [1000], "contract_term_months": [12]},
    ...     "events": {"account_id": ["a"] * 3, "user_id": ["u1", "u2", "u1"],
    ...                "timestamp": ["2026-02-27", "2026-02-28", "2026-02-28"], "feature": ["reports"] * 3},
    ... })
    >>> sig = compute_signals(ex, as_of="2026-02-28")
    >>> sig["penetration"].tolist(), sig["days_since_last_login"].tolist()
    ([0.5], [0.0])
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

import attrs
import numpy as np

from healthscore import _time
from healthscore import decay as _decay
from healthscore._frames import to_family
from healthscore.exceptions import InputError, ValidationError
from healthscore.exports import ACCOUNT_INDEX, MISSING_TIME, SECONDS_PER_DAY, Exports

__all__ = [
    "DEAR_SIGNALS",
    "SIGNAL_NAMES",
    "THREE_DIMENSION_SIGNALS",
    "SentimentAnalyzer",
    "SignalSettings",
    "as_of_seconds",
    "compute_signals",
    "signals_for_account",
    "vader",
]

DEAR_SIGNALS: tuple[str, ...] = (
    "active_license_share",
    "key_features_used",
    "operational_meetings_month",
    "executive_meetings_year",
    "months_since_business_review",
)
"""The :func:`healthscore.presets.dear` signals the exports can support."""

THREE_DIMENSION_SIGNALS: tuple[str, ...] = (
    "active_days",
    "days_since_last_login",
    "feature_breadth",
    "feature_depth",
    "penetration",
    "workflow_completion",
    "integrations",
    "power_users",
    "executive_engagement",
    "qbr_attendance",
    "ticket_volume",
    "ticket_sentiment",
    "nps",
    "csat",
    "response_hours",
    "champion",
    "outcome_achievement",
    "roi_multiple",
    "budget_trend",
    "expansion_talks",
    "contract_months",
    "payment_delay_days",
)
"""The metrics of :func:`healthscore.presets.three_dimension`, in its order (a test
keeps the two equal; signals sit below the models in the data flow, so they are
declared here rather than read from the preset)."""

SIGNAL_NAMES: tuple[str, ...] = (*THREE_DIMENSION_SIGNALS, *DEAR_SIGNALS)
"""The columns :func:`compute_signals` returns after ``account_id``."""

_CATEGORY_SIGNALS = frozenset({"executive_engagement", "budget_trend"})
_DAYS_PER_MONTH = 365.25 / 12


@runtime_checkable
class SentimentAnalyzer(Protocol):
    """Anything that scores texts from -1 (negative) to 1 (positive).

    Return NaN for a text it cannot judge (another language, say).
    """

    def __call__(self, texts: Sequence[str], /) -> Sequence[float]:
        """Sentiment of each text, -1..1 (NaN when unknown)."""
        ...


def _check_positive(_inst: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not (value > 0 and math.isfinite(value)):
        raise ValidationError(attribute.name, "must be a positive number of days", value)


def _strings(value: Sequence[str]) -> tuple[str, ...]:
    return tuple(str(v) for v in value)


@attrs.frozen(kw_only=True)
class SignalSettings:
    """Every rule, window and decay of :func:`compute_signals`.

    Attributes:
        window_days: The activity window (30): ``active_days`` counts active
            days per window, ``penetration`` and ``power_users`` look at the
            latest window.
        activity_windows: How many windows ``active_days`` looks back (6).
        activity_decay: Weight of each window by age; the default is the
            source's step rule (last 30 days 1, the 30 before 0.5, ...).
        breadth_days: Window for feature breadth, depth, integrations, key
            features and workflows (90).
        features_available: Features a customer could use; ``None`` counts the
            distinct features (not ``integration:``) seen across all accounts.
        advanced_features: Features that count as advanced (depth, power users).
        key_features: Features that count as key (DEAR ``key_features_used``).
        workflow_start, workflow_complete: Features that start and complete the
            key workflow; without both, ``workflow_completion`` is missing.
        power_user_min_days: Active days in the latest window that make a power
            user (15: on at least half of the days); with advanced features set,
            a power user must also use one of them in that window.
        integration_prefix: Feature prefix of integrations (``integration:``).
        executive_quarter_days, relationship_days: An executive meeting or QBR
            within 120 days means "quarterly", within 365 "annual"; any other
            executive contact within 365 "aware"; else "none". QBR attendance,
            champion acts and executive meetings look back 365 days.
        expansion_days, ticket_days: Windows for expansion talks and tickets (90).
        survey_days: Window for NPS and CSAT answers (180).
        response_days: Window of outreach emails for response time (90); an email
            still unanswered after ``unanswered_after_days`` (14) counts with the
            time it has waited so far.
        value_days: Window of delivered value for the ROI multiple (365).
        payment_days, payment_decay: Invoices due within 365 days, weighted by
            age with a 90-day half-life.
        sentiment: Analyser for ticket text without a precomputed sentiment.
    """

    window_days: float = attrs.field(default=30.0, converter=float, validator=_check_positive)
    activity_windows: int = attrs.field(default=6)
    activity_decay: _decay.Decay = attrs.field(factory=_decay.step)
    breadth_days: float = attrs.field(default=90.0, converter=float, validator=_check_positive)
    features_available: int | None = None
    advanced_features: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    key_features: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    workflow_start: str | None = None
    workflow_complete: str | None = None
    power_user_min_days: int = 15
    integration_prefix: str = "integration:"
    executive_quarter_days: float = 120.0
    relationship_days: float = 365.0
    expansion_days: float = 90.0
    ticket_days: float = 90.0
    survey_days: float = 180.0
    response_days: float = 90.0
    unanswered_after_days: float = 14.0
    value_days: float = 365.0
    payment_days: float = 365.0
    payment_decay: _decay.Decay = attrs.field(factory=lambda: _decay.exponential(90.0))
    sentiment: SentimentAnalyzer | None = None

    @activity_windows.validator
    def _check_windows(self, attribute: attrs.Attribute[Any], value: int) -> None:
        if not (isinstance(value, int) and value >= 1):
            raise ValidationError(attribute.name, "must be a whole number >= 1", value)


def vader() -> SentimentAnalyzer:
    """An English sentiment analyser backed by VADER (``pip install
    'healthscore[sentiment]'``). Texts that are mostly not Latin letters get NaN:
    VADER's lexicon is English."""
    try:
        from vaderSentiment.vaderSentiment import (  # type: ignore[import-not-found,unused-ignore]  # noqa: PLC0415
            SentimentIntensityAnalyzer,
        )
    except ImportError:
        raise InputError("the VADER analyser needs vaderSentiment: pip install 'healthscore[sentiment]'") from None
    analyzer = SentimentIntensityAnalyzer()

    def score(texts: Sequence[str]) -> list[float]:
        return [float(analyzer.polarity_scores(t)["compound"]) if _looks_english(t) else math.nan for t in texts]

    return score


def _looks_english(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isascii() for c in letters) / len(letters) >= 0.8


def as_of_seconds(as_of: Any) -> int:
    """``as_of`` (ISO text, ``date``, ``datetime``, ``datetime64``) -> the last
    UTC second it covers: a date covers its whole day, an offset is normalised
    to UTC, a date-time without one is UTC.

    Examples:
        >>> as_of_seconds("2026-01-01") - as_of_seconds("2026-01-01T23:59:59")
        0
    """
    return _time.cutoff_seconds(as_of, "as_of")


# --------------------------------------------------------------------------- group-by helpers


class _Context:
    """Per-call state: account codes, the as-of instant, the settings."""

    def __init__(self, ex: Exports, as_of: int, settings: SignalSettings) -> None:
        self.ex = ex
        self.as_of = as_of
        self.as_of_day = as_of // SECONDS_PER_DAY
        self.settings = settings
        self.n = ex.tables["accounts"]["account_id"].shape[0]

    def table(self, name: str, time_column: str) -> dict[str, Any] | None:
        """Rows of ``name`` dated at or before ``as_of``, with ``_acc`` codes and
        ``_age`` in whole days; ``None`` when the table is absent."""
        if not self.ex.has(name):
            return None
        cols = self.ex.tables[name]
        t = cols[time_column]
        keep = (t != MISSING_TIME) & (t <= self.as_of)
        out = dict(cols) if keep.all() else {k: v[keep] for k, v in cols.items()}  # views when nothing is later
        out["_acc"] = out[ACCOUNT_INDEX]
        out["_age"] = self.as_of_day - out[time_column] // SECONDS_PER_DAY
        return out

    def count(self, acc: Any, weights: Any = None) -> Any:
        return np.bincount(acc, weights=weights, minlength=self.n).astype(np.float64)


def _unique(values: Any) -> Any:
    """Sorted distinct values of a numeric array (sort and compare neighbours:
    many times faster than ``np.unique``'s hashing on millions of integers)."""
    if values.size == 0:
        return values
    ordered = np.sort(values)
    keep = np.empty(ordered.size, dtype=np.bool_)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def _unique_counts(values: Any) -> tuple[Any, Any]:
    """Sorted distinct values of a numeric array and how often each occurs."""
    if values.size == 0:
        return values, np.zeros(0, dtype=np.intp)
    ordered = np.sort(values)
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    return ordered[starts], np.diff(np.append(starts, ordered.size))


def _codes(values: Any) -> tuple[Any, Any]:
    """Distinct values (sorted) and each value's position among them.

    The distinct values come from a sample, checked against every value with
    one binary search; a full pass happens only for values the sample missed.
    For columns with few distinct values (features) this avoids sorting or
    hashing millions of strings."""
    if values.size == 0:
        return values, np.zeros(0, dtype=np.intp)
    distinct = np.unique(values[:: max(1, values.size // 50_000)])
    pos = np.minimum(np.searchsorted(distinct, values), distinct.size - 1)
    missed = distinct[pos] != values
    if missed.any():
        distinct = np.union1d(distinct, np.unique(values[missed]))
        pos = np.searchsorted(distinct, values)
    return distinct, pos


_HASH_PRIME = np.uint64(1099511628211)


def _string_codes(values: Any) -> Any:
    """Whole-number codes of text values, equal exactly when the texts are equal.

    The fixed-width text is read 8 bytes at a time into a 64-bit hash (a handful
    of array passes), codes are ranks among the distinct hashes, and a check of
    neighbouring equal hashes proves there is no collision (there virtually
    never is; if there were, the exact, slower ``np.unique`` is used)."""
    text = np.ascontiguousarray(values if values.dtype.kind == "U" else values.astype(str))
    n = text.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    size = text.dtype.itemsize
    padded = -size % 8
    if padded:
        text = text.astype(f"<U{(size + padded) // 4}")
        size = text.dtype.itemsize
    words = text.view(np.uint64).reshape(n, size // 8)
    digest = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for column in range(words.shape[1]):
            np.multiply(digest, _HASH_PRIME, out=digest)
            np.bitwise_xor(digest, words[:, column], out=digest)
    order = np.argsort(digest, kind="stable")
    ranked = digest[order]
    same = ranked[1:] == ranked[:-1]
    if same.any() and (text[order][1:][same] != text[order][:-1][same]).any():
        return np.unique(text, return_inverse=True)[1].reshape(-1).astype(np.int64)
    distinct = _unique(ranked)
    return np.searchsorted(distinct, digest).astype(np.int64)


def _distinct_count(acc: Any, values: Any, n: int) -> Any:
    """Distinct ``values`` per account (values: whole-number codes, or any
    sortable array)."""
    if acc.size == 0:
        return np.zeros(n)
    codes = values if values.dtype.kind in "iu" else _codes(values)[1]
    span = int(codes.max()) + 1
    pairs = _unique(acc.astype(np.int64) * span + codes.astype(np.int64))
    return np.bincount(pairs // span, minlength=n).astype(np.float64)


def _ratio(num: Any, den: Any) -> Any:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), math.nan)


def _group_median(acc: Any, values: Any, n: int) -> Any:
    """Median of ``values`` per account (NaN where an account has none)."""
    out = np.full(n, math.nan)
    if acc.size == 0:
        return out
    order = np.lexsort((values, acc))
    acc_s, val_s = acc[order], values[order]
    starts = np.searchsorted(acc_s, np.arange(n), side="left")
    ends = np.searchsorted(acc_s, np.arange(n), side="right")
    has = ends > starts
    lo = (starts + (ends - starts - 1) // 2)[has]
    hi = (starts + (ends - starts) // 2)[has]
    out[has] = (val_s[lo] + val_s[hi]) / 2.0
    return out


# --------------------------------------------------------------------------- product


def _product(ctx: _Context, out: dict[str, Any]) -> None:
    """Product signals from the events export: active days, feature breadth
    and depth, and the latest window's users."""
    ev = ctx.table("events", "timestamp")
    if ev is None:
        return
    _active_days(ctx, ev["_acc"], ev["_age"], out)
    names, feature_codes = _codes(ev["feature"])  # each distinct feature name once, then integer codes
    features = _Features(names=names.astype(str), codes=feature_codes)
    _feature_use(ctx, ev, features, out)
    _users(ctx, ev, features, out)


@attrs.frozen(kw_only=True)
class _Features:
    """The events' feature names, each once, and every event's code into them."""

    names: Any
    codes: Any

    def named(self, wanted: Sequence[str]) -> Any:
        """Per event, whether its feature is one of ``wanted``."""
        return np.isin(self.names, np.array(list(wanted), dtype=str))[self.codes]


def _active_days(ctx: _Context, acc: Any, age: Any, out: dict[str, Any]) -> None:
    """``active_days``: active days per window, decay-weighted over the
    windows since the first activity; and ``days_since_last_login``."""
    s = ctx.settings
    n = ctx.n
    day = ctx.as_of_day - age
    w = s.window_days
    n_win = s.activity_windows
    active = _unique(acc.astype(np.int64) * (1 << 32) + day)
    a_acc = (active >> 32).astype(np.intp)
    a_age = ctx.as_of_day - (active & ((1 << 32) - 1))
    window = np.floor(a_age / w).astype(np.intp)
    recent = window < n_win
    per_window = np.bincount(a_acc[recent] * n_win + window[recent], minlength=n * n_win).reshape(n, n_win)
    oldest = np.full(n, -1.0)
    np.maximum.at(oldest, a_acc, a_age.astype(np.float64))
    span = np.where(oldest >= 0, np.minimum(np.floor(oldest / w) + 1, n_win), n_win)
    weights = np.asarray(s.activity_decay(np.arange(n_win) * w), dtype=np.float64)
    used = np.arange(n_win)[None, :] < span[:, None]
    out["active_days"] = (per_window * weights * used).sum(axis=1) / (weights * used).sum(axis=1)
    last = np.full(n, np.inf)
    np.minimum.at(last, acc, age.astype(np.float64))
    out["days_since_last_login"] = np.where(np.isinf(last), math.nan, last)


def _feature_use(ctx: _Context, ev: dict[str, Any], features: _Features, out: dict[str, Any]) -> None:
    """Feature breadth and integrations over the breadth window; depth, key
    features and workflow completion where the settings name those features."""
    s = ctx.settings
    n = ctx.n
    acc, age, codes = ev["_acc"], ev["_age"], features.codes
    integration_name = np.char.startswith(features.names, s.integration_prefix)
    is_integration = integration_name[codes]
    in_breadth = age < s.breadth_days
    available = s.features_available or int((~integration_name).sum()) or 1
    used_breadth = in_breadth & ~is_integration
    breadth = _distinct_count(acc[used_breadth], codes[used_breadth], n)
    out["feature_breadth"] = np.minimum(breadth / available, 1.0)
    out["integrations"] = _distinct_count(acc[in_breadth & is_integration], codes[in_breadth & is_integration], n)
    events_in = ctx.count(acc[in_breadth])
    if s.advanced_features:
        advanced = features.named(s.advanced_features)
        out["feature_depth"] = _ratio(ctx.count(acc[in_breadth & advanced]), events_in)
    if s.key_features:
        is_key = features.named(s.key_features) & in_breadth
        out["key_features_used"] = _distinct_count(acc[is_key], codes[is_key], n) / len(set(s.key_features))
    if s.workflow_start and s.workflow_complete:
        starts = ctx.count(acc[in_breadth & features.named([s.workflow_start])])
        done = ctx.count(acc[in_breadth & features.named([s.workflow_complete])])
        out["workflow_completion"] = np.minimum(_ratio(done, starts), 1.0)


def _users(ctx: _Context, ev: dict[str, Any], features: _Features, out: dict[str, Any]) -> None:
    """Users of the latest window: penetration of the seats bought
    (``penetration``, ``active_license_share``) and ``power_users``."""
    s = ctx.settings
    n = ctx.n
    latest = ev["_age"] < s.window_days
    users = ev["user_id"][latest]
    l_acc = ev["_acc"][latest]
    seats = ctx.ex.tables["accounts"]["seats_purchased"]
    no_seats = int(np.count_nonzero(seats == 0))
    if no_seats:  # a share of nothing: missing, not infinite
        warnings.warn(
            f"{no_seats} account(s) have seats_purchased = 0: their penetration and active_license_share are "
            "missing (a share of no seats); give the seats bought, or leave the cell blank if unknown",
            stacklevel=4,
        )
    user_codes = _string_codes(users)
    active_users = _distinct_count(l_acc, user_codes, n)
    out["penetration"] = np.minimum(_ratio(active_users, seats), 1.0)
    out["active_license_share"] = out["penetration"]
    if not users.size:
        out["power_users"] = np.zeros(n)
        return
    u_count = int(user_codes.max()) + 1
    key = l_acc.astype(np.int64) * u_count + user_codes
    user_days = _unique(key * (1 << 16) + ev["_age"][latest].astype(np.int64))
    keys, days = _unique_counts(user_days >> 16)
    power = days >= s.power_user_min_days
    if s.advanced_features:
        adv_keys = _unique(key[features.named(s.advanced_features)[latest]])
        power &= np.isin(keys, adv_keys)
    out["power_users"] = np.bincount((keys[power] // u_count).astype(np.intp), minlength=n).astype(np.float64)


# --------------------------------------------------------------------------- relationship


def _relationship(ctx: _Context, out: dict[str, Any]) -> None:
    s = ctx.settings
    n = ctx.n
    crm = ctx.table("crm_activities", "timestamp")
    if crm is not None:
        acc, age, kind = crm["_acc"], crm["_age"], crm["kind"]
        persona = crm["persona"]
        year = age < s.relationship_days
        exec_meet = (persona == "executive") & np.isin(kind, ["meeting", "qbr"])
        recent_exec = np.full(n, np.inf)
        np.minimum.at(recent_exec, acc[exec_meet], age[exec_meet].astype(np.float64))
        any_exec = ctx.count(acc[(persona == "executive") & year]) > 0
        level = np.full(n, "none", dtype=object)
        level[any_exec] = "aware"
        level[recent_exec < s.relationship_days] = "annual"
        level[recent_exec < s.executive_quarter_days] = "quarterly"
        out["executive_engagement"] = level
        out["executive_meetings_year"] = ctx.count(acc[exec_meet & year])
        held = ctx.count(acc[(kind == "qbr") & year])
        cancelled = ctx.count(acc[(kind == "qbr_cancelled") & year])
        out["qbr_attendance"] = _ratio(held, held + cancelled)
        out["champion"] = ctx.count(acc[np.isin(kind, ["reference", "case_study"]) & year])
        out["expansion_talks"] = ctx.count(acc[(kind == "expansion_talk") & (age < s.expansion_days)])
        op = (persona == "operational") & (kind == "meeting") & (age < s.breadth_days)
        out["operational_meetings_month"] = ctx.count(acc[op]) / (s.breadth_days / _DAYS_PER_MONTH)
        review = (kind == "qbr") & np.isin(persona, ["executive", "manager"])
        last_review = np.full(n, np.inf)
        np.minimum.at(last_review, acc[review], age[review].astype(np.float64))
        out["months_since_business_review"] = np.where(np.isinf(last_review), math.nan, last_review / _DAYS_PER_MONTH)
        out["response_hours"] = _response_hours(ctx, crm, kind)
    tickets = ctx.table("tickets", "opened_at")
    if tickets is not None:
        recent = tickets["_age"] < s.ticket_days
        acc = tickets["_acc"][recent]
        out["ticket_volume"] = ctx.count(acc) / (s.ticket_days / s.window_days)
        sentiment = _ticket_sentiment(ctx, {k: v[recent] for k, v in tickets.items()})
        seen = ~np.isnan(sentiment)
        total = ctx.count(acc[seen], sentiment[seen])
        out["ticket_sentiment"] = _ratio(total, ctx.count(acc[seen]))
    surveys = ctx.table("surveys", "timestamp")
    if surveys is not None:
        recent = surveys["_age"] < s.survey_days
        kind = surveys["kind"]
        value = surveys["value"]
        nps = recent & (kind == "nps")
        answers = ctx.count(surveys["_acc"][nps])
        promoters = ctx.count(surveys["_acc"][nps & (value >= 9)])
        detractors = ctx.count(surveys["_acc"][nps & (value <= 6)])
        out["nps"] = _ratio(100.0 * (promoters - detractors), answers)
        csat = recent & (kind == "csat")
        out["csat"] = _ratio(ctx.count(surveys["_acc"][csat], value[csat]), ctx.count(surveys["_acc"][csat]))


def _response_hours(ctx: _Context, crm: dict[str, Any], kind: Any) -> Any:
    """Median hours from each outreach email to the customer's next reply."""
    s = ctx.settings
    t = crm["timestamp"]
    acc = crm["_acc"].astype(np.int64)
    outs = (kind == "email_out") & (crm["_age"] < s.response_days)
    replies = kind == "email_reply"
    span = np.int64(1) << 40
    reply_keys = np.sort(acc[replies] * span + t[replies])
    out_keys = acc[outs] * span + t[outs]
    pos = np.searchsorted(reply_keys, out_keys, side="left")
    found = pos < reply_keys.size
    next_key = np.where(found, reply_keys[np.minimum(pos, max(reply_keys.size - 1, 0))] if reply_keys.size else 0, 0)
    same = found & (next_key // span == out_keys // span)
    waited = np.where(same, (next_key % span) - (out_keys % span), ctx.as_of - (out_keys % span)) / 3600.0
    counts = same | (waited >= s.unanswered_after_days * 24)
    return _group_median(acc[outs][counts].astype(np.intp), waited[counts], ctx.n)


def _ticket_sentiment(ctx: _Context, tickets: dict[str, Any]) -> Any:
    n_rows = tickets["_acc"].shape[0]
    given = tickets.get("sentiment")
    sentiment = np.full(n_rows, math.nan) if given is None else np.clip(given.astype(np.float64), -1.0, 1.0)
    texts = tickets.get("text")
    if texts is None:
        return sentiment
    need = np.isnan(sentiment) & (texts.astype(str) != "")
    if not need.any():
        return sentiment
    analyzer = ctx.settings.sentiment
    if analyzer is None:
        warnings.warn(
            f"{int(need.sum())} ticket(s) have text but no sentiment and no analyser is set: their sentiment is "
            "missing; set SignalSettings(sentiment=healthscore.signals.vader()) for English text",
            stacklevel=3,
        )
        return sentiment
    scored = np.asarray(analyzer([str(t) for t in texts[need].tolist()]), dtype=np.float64)
    if np.isnan(scored).any():
        warnings.warn(
            f"{int(np.isnan(scored).sum())} ticket text(s) could not be scored by the analyser (another language?): "
            "their sentiment is missing",
            stacklevel=3,
        )
    sentiment[need] = np.clip(scored, -1.0, 1.0)
    return sentiment


# --------------------------------------------------------------------------- business


def _business(ctx: _Context, out: dict[str, Any]) -> None:
    s = ctx.settings
    accounts = ctx.ex.tables["accounts"]
    out["contract_months"] = accounts["contract_term_months"].astype(np.float64)
    if ctx.ex.has("goals"):
        goals = ctx.ex.tables["goals"]
        t = goals.get("timestamp", np.full(goals["account_id"].shape[0], MISSING_TIME))
        keep = (t == MISSING_TIME) | (t <= ctx.as_of)
        acc = goals[ACCOUNT_INDEX][keep].astype(np.int64)
        name = goals["goal"][keep].astype(str)
        t = t[keep]
        target, actual = goals["target"][keep], goals["actual"][keep]
        # the latest known row per (account, goal)
        _, goal_codes = np.unique(name, return_inverse=True) if name.size else (None, np.zeros(0, np.intp))
        key = acc * (int(goal_codes.max()) + 1 if goal_codes.size else 1) + goal_codes.reshape(-1)
        order = np.lexsort((t, key))
        last = np.ones(order.size, dtype=np.bool_)
        if order.size:
            last[:-1] = key[order][1:] != key[order][:-1]
        rows = order[last]
        progress = _ratio(np.nan_to_num(actual[rows], nan=0.0), target[rows])
        valid = ~np.isnan(progress)
        total = ctx.count(acc[rows][valid].astype(np.intp), np.clip(progress[valid], 0.0, 1.0))
        out["outcome_achievement"] = _ratio(total, ctx.count(acc[rows][valid].astype(np.intp)))
    value = ctx.table("value", "timestamp")
    if value is not None:
        recent = value["_age"] < s.value_days
        delivered = ctx.count(value["_acc"][recent], value["value_delivered"][recent])
        out["roi_multiple"] = _ratio(delivered, accounts["arr"])
    if ctx.ex.has("invoices"):
        inv = ctx.ex.tables["invoices"]
        # a due date means the end of its day; days late and age are whole UTC calendar days
        due, paid = _time.end_of_day(inv["due_date"]), inv["paid_date"]
        age = _time.days_between(ctx.as_of, due)
        keep = (due <= ctx.as_of) & (age < s.payment_days)
        due, paid, age = due[keep], paid[keep], age[keep].astype(np.float64)
        acc = inv[ACCOUNT_INDEX][keep]
        settled = (paid != MISSING_TIME) & (paid <= ctx.as_of)
        late = np.maximum(_time.days_between(np.where(settled, paid, ctx.as_of), due), 0).astype(np.float64)
        weights = np.asarray(s.payment_decay(age), dtype=np.float64) if age.size else np.zeros(0)
        out["payment_delay_days"] = _ratio(ctx.count(acc, weights * late), ctx.count(acc, weights))


# --------------------------------------------------------------------------- entry points

_GROUPS: tuple[Callable[[_Context, dict[str, Any]], None], ...] = (_product, _relationship, _business)


def compute_signals(
    exports: Exports,
    as_of: Any,
    settings: SignalSettings | None = None,
    *,
    output: str = "mapping",
) -> Any:
    """Every signal for every account, as of ``as_of``.

    Args:
        exports: Validated exports (:func:`healthscore.exports.read_exports`).
        as_of: The scoring instant: an ISO 8601 date (covering the whole day) or
            date-time, a ``date``/``datetime`` or a ``datetime64``. Required: no
            row dated after it is read.
        settings: Windows, thresholds and decays (default :class:`SignalSettings`).
        output: ``"mapping"`` (default: column -> NumPy array), ``"auto"``
            (the family the exports came in: pandas frames in, a pandas frame
            out), or ``"pandas"``, ``"polars"``, ``"arrow"``.

    Returns:
        ``account_id`` (accounts table order) and one column per name of
        :data:`SIGNAL_NAMES`: float64 with NaN for missing, or object arrays for
        ``executive_engagement`` / ``budget_trend`` with ``None`` for missing.
        Feed it to ``model.score_batch`` or :func:`healthscore.score_portfolio`.
    """
    ctx = _Context(exports, as_of_seconds(as_of), settings or SignalSettings())
    out: dict[str, Any] = {}
    for group in _GROUPS:
        group(ctx, out)
    table: dict[str, Any] = {"account_id": exports.tables["accounts"]["account_id"].copy()}
    for name in SIGNAL_NAMES:
        if name in out:
            table[name] = out[name]
        elif name in _CATEGORY_SIGNALS:
            table[name] = np.full(ctx.n, None, dtype=object)
        else:
            table[name] = np.full(ctx.n, math.nan)
    if output == "mapping":
        return table
    return to_family(table, exports.family if output == "auto" else output)


def signals_for_account(
    exports: Exports,
    account_id: str,
    as_of: Any,
    settings: SignalSettings | None = None,
) -> dict[str, Any]:
    """The signals of one account (the real-time path): the same rules as
    :func:`compute_signals` on that account's rows only.

    Returns:
        Signal name -> value (``float``, NaN for missing, or a label / ``None``).
    """
    ids = exports.tables["accounts"]["account_id"].astype(str)
    if str(account_id) not in set(ids.tolist()):
        raise InputError(f"unknown account_id {account_id!r}", column="account_id", value=account_id)
    only: dict[str, dict[str, Any]] = {}
    for name, cols in exports.tables.items():
        keep = cols["account_id"] == str(account_id)
        only[name] = {k: v[keep] for k, v in cols.items()}
        only[name][ACCOUNT_INDEX] = np.zeros(int(keep.sum()), dtype=np.intp)
    one = attrs.evolve(exports, tables=only)
    settings = settings or SignalSettings()
    if settings.features_available is None and exports.has("events"):
        names = np.unique(exports.tables["events"]["feature"]).astype(str)
        product = names[~np.char.startswith(names, settings.integration_prefix)]
        settings = attrs.evolve(settings, features_available=int(product.size) or 1)
    table = compute_signals(one, as_of, settings)
    return {k: (v[0].item() if isinstance(v[0], np.generic) else v[0]) for k, v in table.items() if k != "account_id"}
