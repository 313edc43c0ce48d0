"""The signal definitions, as one SQL query (DuckDB's dialect).

:func:`signal_query` writes the query that :func:`healthscore.signals.compute_signals`
runs on an embedded DuckDB connection and that
:func:`healthscore.signals.signal_sql` transpiles (SQLGlot) for warehouses and
Spark. Every signal is defined here and nowhere else.

The query reads the export tables by their names, with these columns (a
timestamp is a whole number of seconds since 1970-01-01 UTC, an empty cell is
``NULL``; ``account_id`` may be text or a whole number, the same in every table):

* ``accounts(account_id, seats_purchased, arr, contract_term_months)``
* ``events(account_id, user_id, "timestamp", feature)``
* ``crm_activities(account_id, "timestamp", kind, persona)``
* ``invoices(account_id, due_date, paid_date)``
* ``tickets(account_id, opened_at, sentiment)``
* ``surveys(account_id, "timestamp", kind, "value")``
* ``goals(account_id, goal, target, actual, "timestamp")``
* ``"value"(account_id, "timestamp", value_delivered)``

The SQL is kept to what every target dialect has: ``CASE`` instead of
``FILTER`` or ``LEAST``/``GREATEST`` (which treat ``NULL`` differently from one
engine to the next), a guarded division (``x / 0`` is an error on PostgreSQL
and on Spark in ANSI mode), ``CAST(... AS DOUBLE)`` before every division
(integer division on PostgreSQL), and day numbers as ``FLOOR(seconds / 86400.0)``.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from healthscore import decay as _decay
from healthscore.exceptions import InputError, ValidationError

if TYPE_CHECKING:
    from healthscore.signals import SignalSettings

__all__ = [
    "DIALECTS",
    "NOW",
    "TABLE_COLUMNS",
    "available_features_query",
    "decay_sql",
    "signal_query",
    "ticket_text_query",
    "transpile",
    "with_now",
]

SECONDS_PER_DAY = 86_400
DAYS_PER_MONTH = 365.25 / 12

TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "accounts": ("seats_purchased", "arr", "contract_term_months"),
    "events": ("user_id", "timestamp", "feature"),
    "crm_activities": ("timestamp", "kind", "persona"),
    "invoices": ("due_date", "paid_date"),
    "tickets": ("opened_at", "sentiment"),
    "surveys": ("timestamp", "kind", "value"),
    "goals": ("goal", "target", "actual", "timestamp"),
    "value": ("timestamp", "value_delivered"),
}
"""The columns the query reads from each table, besides ``account_id`` (the
schema above; a test keeps the two equal)."""

DIALECTS = ("duckdb", "spark", "snowflake", "bigquery", "postgres")
"""The SQL dialects :func:`transpile` writes."""

CATEGORY_SIGNALS = frozenset({"executive_engagement", "budget_trend"})


# --------------------------------------------------------------------------- small pieces


def _num(value: float) -> str:
    """A number as an SQL literal (always with a decimal point or exponent)."""
    if not math.isfinite(value):
        raise ValidationError("settings", "must be finite numbers to be written as SQL", value)
    text = repr(float(value))
    return text if ("." in text or "e" in text) else f"{text}.0"


def _text(value: str) -> str:
    """A text as an SQL literal."""
    return "'" + value.replace("'", "''") + "'"


def _texts(values: Iterable[str]) -> str:
    return ", ".join(_text(v) for v in sorted(set(values)))


def _double(expr: str) -> str:
    return f"CAST({expr} AS DOUBLE)"


def _ratio(num: str, den: str) -> str:
    """``num / den`` where ``den > 0``, else NULL (a share of nothing is missing)."""
    return f"CASE WHEN ({den}) > 0 THEN {_double(num)} / ({den}) END"


def _cap(expr: str, low: str | None, high: str) -> str:
    """``expr`` clipped (NULL stays NULL: no LEAST/GREATEST)."""
    below = f" WHEN {expr} < {low} THEN {low}" if low is not None else ""
    return f"CASE WHEN {expr} > {high} THEN {high}{below} ELSE {expr} END"


def _count_if(condition: str) -> str:
    return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"


def _day(column: str) -> str:
    """UTC day number of a seconds column (every instant is after 1970)."""
    return f"CAST(FLOOR({column} / 86400.0) AS BIGINT)"


NOW = "healthscore_now"
"""Stands for the current instant (UTC seconds) in the query; :func:`transpile`
writes each dialect's own expression in its place."""

_NOW_SQL = {
    "duckdb": "CAST(EPOCH(CURRENT_TIMESTAMP) AS BIGINT)",
    "spark": "UNIX_TIMESTAMP()",
    "snowflake": "DATE_PART(EPOCH_SECOND, CURRENT_TIMESTAMP())",
    "bigquery": "UNIX_SECONDS(CURRENT_TIMESTAMP())",
    "postgres": "CAST(EXTRACT(EPOCH FROM CURRENT_TIMESTAMP) AS BIGINT)",
}


class _Clock:
    """The as-of instant and day as SQL expressions: literals, or the current time."""

    def __init__(self, as_of: int | None, *, ordered: bool = False) -> None:
        self.ordered = ordered
        if as_of is None:
            self.seconds = NOW
            self.day = _day(self.seconds)
        else:
            self.seconds = str(int(as_of))
            self.day = str(int(as_of) // SECONDS_PER_DAY)

    def age(self, column: str) -> str:
        """Whole UTC calendar days from ``column`` to the as-of day."""
        return f"{self.day} - {_day(column)}"

    def known(self, column: str) -> str:
        """Rows dated at or before the as-of instant."""
        return f"{column} IS NOT NULL AND {column} <= {self.seconds}"

    def total(self, function: str, expr: str, order: str = "_src, _line", *, bound: int | None = None) -> str:
        """A sum or mean of floats. Run embedded, the result is the same bits
        on every run, however DuckDB splits the work. Values within
        ``[-2**bound, 2**bound]`` (a column's range rule, or a cap) are added
        as whole multiples of ``2**(bound - 100)`` in 128-bit integers: an exact
        sum, blind to order, rounded to a float once (a value is exact down to
        ``2**(bound - 48)``; an account would need 2**27 rows to overflow). Other
        values are added in one order (``order``: the rows' file and line)."""
        if not self.ordered:
            return f"{function}({expr})"
        if bound is not None:
            scale = _num(2.0 ** (100 - bound))
            total = f"CAST(SUM(CAST(({expr}) * {scale} AS HUGEINT)) AS DOUBLE) / {scale}"
            return total if function == "SUM" else f"{total} / COUNT({expr})"
        # DuckDB drops ORDER BY from SUM and AVG (it treats them as order-blind): a list keeps it
        return f"list_{function.lower()}(list({expr} ORDER BY {order}))"


def decay_sql(rule: _decay.Decay, age: str) -> str:
    """The weight of :mod:`healthscore.decay`'s rule as an SQL expression of ``age``.

    The constants are read from the decay object, so NumPy and SQL apply the
    same rule (a test checks they agree). Only the shipped rules can be written
    as SQL.

    Examples:
        >>> decay_sql(_decay.exponential(90), "age")
        'POWER(0.5, CAST(age AS DOUBLE) / 90.0)'
    """
    if isinstance(rule, _decay.Exponential):
        return f"POWER(0.5, {_double(age)} / {_num(rule.half_life_days)})"
    if isinstance(rule, _decay.Step):
        return f"POWER({_num(rule.factor)}, FLOOR({_double(age)} / {_num(rule.window_days)}))"
    raise ValidationError(
        "payment_decay",
        "must be healthscore.decay.exponential(...) or step(...) to be computed in SQL",
        type(rule).__name__,
    )


def _case(column: str, values: Sequence[float]) -> str:
    """``CASE column WHEN 0 THEN values[0] ... END``."""
    whens = " ".join(f"WHEN {i} THEN {_num(v)}" for i, v in enumerate(values))
    return f"CASE {column} {whens} END"


# --------------------------------------------------------------------------- product


def _event_ctes(s: SignalSettings, clock: _Clock) -> list[str]:
    """Events known at as-of, with their age, and the number of features available."""
    prefix = s.integration_prefix
    integration = f"SUBSTRING(feature, 1, {len(prefix)}) = {_text(prefix)}" if prefix else "1 = 1"
    available = (
        f"SELECT {int(s.features_available)} AS n"
        if s.features_available
        else "SELECT COUNT(DISTINCT CASE WHEN is_integration = 0 THEN feature END) AS n FROM ev"
    )
    return [
        f"""ev AS (
  SELECT account_id, user_id, feature, {clock.age('"timestamp"')} AS age,
         CASE WHEN {integration} THEN 1 ELSE 0 END AS is_integration
  FROM events WHERE {clock.known('"timestamp"')}
)""",
        f"ev_available AS (SELECT CASE WHEN n > 0 THEN n ELSE 1 END AS n FROM ({available}) counted)",
    ]


def available_features_query(settings: SignalSettings, as_of: int) -> str:
    """How many features ``feature_breadth`` divides by (one row, column ``n``)."""
    return "WITH\n" + ",\n".join(_event_ctes(settings, _Clock(as_of))) + "\nSELECT n FROM ev_available"


def _events(s: SignalSettings, clock: _Clock) -> tuple[list[str], dict[str, str]]:
    ctes = [*_event_ctes(s, clock), "ev_days AS (SELECT DISTINCT account_id, age FROM ev)"]
    cols = _active_days(s, clock, ctes)
    cols.update(_feature_use(s, ctes))
    cols.update(_users(s, ctes))
    return ctes, cols


def _active_days(s: SignalSettings, clock: _Clock, ctes: list[str]) -> dict[str, str]:
    """Active days per window, decay-weighted over the windows since the first
    activity (at most ``activity_windows``); days since the last event."""
    w, n_win = _num(s.window_days), s.activity_windows
    weights = [float(x) for x in s.activity_decay([i * s.window_days for i in range(n_win)])]
    spans = [math.fsum(weights[: i + 1]) for i in range(n_win)]
    # active days per window are counted (whole numbers), then weighted in window order: the same
    # bits on every engine and every run, with no ordered sum of floats
    counts = "".join(f",\n         {_count_if(f'win = {i}')} AS days_{i}" for i in range(n_win))
    ctes.append(f"""ev_span AS (
  SELECT account_id, MIN(age) AS last_age,
         CASE WHEN FLOOR(MAX(age) / {w}) + 1 < {n_win} THEN CAST(FLOOR(MAX(age) / {w}) AS BIGINT) ELSE {n_win - 1} END
           AS last_window{counts}
  FROM (SELECT account_id, age, CAST(FLOOR(age / {w}) AS BIGINT) AS win FROM ev_days) windowed
  GROUP BY account_id
)""")
    weighted = " + ".join(f"{_num(weight)} * {_double(f'ev_span.days_{i}')}" for i, weight in enumerate(weights))
    last_window = f"COALESCE(ev_span.last_window, {n_win - 1})"  # no activity: every window, all zero
    return {
        "active_days": f"COALESCE({weighted}, 0.0) / {_case(last_window, spans)}",
        "days_since_last_login": "ev_span.last_age",
    }


def _feature_use(s: SignalSettings, ctes: list[str]) -> dict[str, str]:
    """Breadth, integrations, depth, key features and workflows over the breadth window."""
    extra = []
    if s.advanced_features:
        extra.append(f"{_count_if(f'feature IN ({_texts(s.advanced_features)})')} AS advanced")
    if s.key_features:
        extra.append(f"COUNT(DISTINCT CASE WHEN feature IN ({_texts(s.key_features)}) THEN feature END) AS key_used")
    workflow = bool(s.workflow_start and s.workflow_complete)
    if workflow:
        extra.append(f"{_count_if(f'feature = {_text(str(s.workflow_start))}')} AS starts")
        extra.append(f"{_count_if(f'feature = {_text(str(s.workflow_complete))}')} AS completes")
    more = "".join(f",\n         {e}" for e in extra)
    ctes.append(f"""ev_breadth AS (
  SELECT account_id, COUNT(*) AS events,
         COUNT(DISTINCT CASE WHEN is_integration = 0 THEN feature END) AS features,
         COUNT(DISTINCT CASE WHEN is_integration = 1 THEN feature END) AS integrations{more}
  FROM ev WHERE age < {_num(s.breadth_days)} GROUP BY account_id
)""")
    cols = {
        "feature_breadth": _cap(_ratio("COALESCE(ev_breadth.features, 0)", "ev_available.n"), None, "1.0"),
        "integrations": "COALESCE(ev_breadth.integrations, 0)",
    }
    if s.advanced_features:
        cols["feature_depth"] = _ratio("ev_breadth.advanced", "ev_breadth.events")
    if s.key_features:
        cols["key_features_used"] = f"{_double('COALESCE(ev_breadth.key_used, 0)')} / {len(set(s.key_features))}"
    if workflow:
        cols["workflow_completion"] = _cap(_ratio("ev_breadth.completes", "ev_breadth.starts"), None, "1.0")
    return cols


def _users(s: SignalSettings, ctes: list[str]) -> dict[str, str]:
    """Users of the latest window: penetration of the seats bought, power users."""
    advanced = (
        f" AND MAX(CASE WHEN feature IN ({_texts(s.advanced_features)}) THEN 1 ELSE 0 END) = 1"
        if s.advanced_features
        else ""
    )
    # one row per (account, user) of the latest window: is the user a power user?
    ctes.append(f"""ev_users AS (
  SELECT account_id, COUNT(*) AS users, SUM(power) AS power_users FROM (
    SELECT account_id, user_id,
           CASE WHEN COUNT(DISTINCT age) >= {int(s.power_user_min_days)}{advanced} THEN 1 ELSE 0 END AS power
    FROM ev WHERE age < {_num(s.window_days)} GROUP BY account_id, user_id
  ) users GROUP BY account_id
)""")
    penetration = _cap(_ratio("COALESCE(ev_users.users, 0)", "accounts.seats_purchased"), None, "1.0")
    return {
        "penetration": penetration,
        "active_license_share": penetration,
        "power_users": "COALESCE(ev_users.power_users, 0)",
    }


# --------------------------------------------------------------------------- relationship


def _crm(s: SignalSettings, clock: _Clock) -> tuple[list[str], dict[str, str]]:
    year = f"age < {_num(s.relationship_days)}"
    exec_meeting = "persona = 'executive' AND kind IN ('meeting', 'qbr')"
    review = "kind = 'qbr' AND persona IN ('executive', 'manager')"
    reply_first = "CASE WHEN kind = 'email_reply' THEN 0 ELSE 1 END"
    ctes = [
        f"""crm AS (
  SELECT account_id, kind, persona, "timestamp" AS ts, {clock.age('"timestamp"')} AS age
  FROM crm_activities WHERE {clock.known('"timestamp"')}
)""",
        f"""crm_counts AS (
  SELECT account_id,
         MIN(CASE WHEN {exec_meeting} THEN age END) AS exec_meeting_age,
         {_count_if(f"persona = 'executive' AND {year}")} AS exec_contacts,
         {_count_if(f"{exec_meeting} AND {year}")} AS exec_meetings,
         {_count_if(f"kind = 'qbr' AND {year}")} AS qbr_held,
         {_count_if(f"kind = 'qbr_cancelled' AND {year}")} AS qbr_cancelled,
         {_count_if(f"kind IN ('reference', 'case_study') AND {year}")} AS champion,
         {_count_if(f"kind = 'expansion_talk' AND age < {_num(s.expansion_days)}")} AS expansion,
         {_count_if(f"persona = 'operational' AND kind = 'meeting' AND age < {_num(s.breadth_days)}")} AS operational,
         MIN(CASE WHEN {review} THEN age END) AS review_age
  FROM crm GROUP BY account_id
)""",
        # each outreach email's next reply: the earliest reply at or after it (a window
        # over the account's emails, latest first, replies before emails of the same second);
        # a reply at or after an email of the response window is in that window too
        # (it is no older), so the window only reads the emails and replies of that window
        f"""crm_emails AS (
  SELECT account_id, kind, ts, age,
         MIN(CASE WHEN kind = 'email_reply' THEN ts END) OVER (
           PARTITION BY account_id ORDER BY ts DESC, {reply_first}
           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
         ) AS reply_ts
  FROM crm WHERE kind IN ('email_out', 'email_reply') AND age < {_num(s.response_days)}
)""",
        f"""crm_waits AS (
  SELECT account_id, {_double(f"COALESCE(reply_ts, {clock.seconds}) - ts")} / 3600.0 AS waited
  FROM crm_emails WHERE kind = 'email_out' AND age < {_num(s.response_days)}
    AND (reply_ts IS NOT NULL OR {clock.seconds} - ts >= {_num(s.unanswered_after_days * 86400)})
)""",
        # the median without a median function (not every dialect has an exact one):
        # the mean of the middle one or two waits of each account
        """crm_response AS (
  SELECT account_id, AVG(waited) AS hours FROM (
    SELECT account_id, waited, ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY waited) AS place,
           COUNT(*) OVER (PARTITION BY account_id) AS waits
    FROM crm_waits
  ) ranked
  WHERE place = FLOOR((waits + 1) / 2.0) OR place = FLOOR(waits / 2.0) + 1
  GROUP BY account_id
)""",
    ]
    c = "crm_counts"
    level = (
        f"CASE WHEN {c}.exec_meeting_age < {_num(s.executive_quarter_days)} THEN 'quarterly' "
        f"WHEN {c}.exec_meeting_age < {_num(s.relationship_days)} THEN 'annual' "
        f"WHEN {c}.exec_contacts > 0 THEN 'aware' ELSE 'none' END"
    )
    cols = {
        "executive_engagement": level,
        "executive_meetings_year": f"COALESCE({c}.exec_meetings, 0)",
        "qbr_attendance": _ratio(f"{c}.qbr_held", f"{c}.qbr_held + {c}.qbr_cancelled"),
        "champion": f"COALESCE({c}.champion, 0)",
        "expansion_talks": f"COALESCE({c}.expansion, 0)",
        "operational_meetings_month": f"{_double(f'COALESCE({c}.operational, 0)')} / "
        f"{_num(s.breadth_days / DAYS_PER_MONTH)}",
        "months_since_business_review": f"{_double(f'{c}.review_age')} / {_num(DAYS_PER_MONTH)}",
        "response_hours": "crm_response.hours",
    }
    return ctes, cols


def ticket_window(s: SignalSettings, clock: _Clock) -> str:
    """The tickets that count: opened at or before as-of, within ``ticket_days``."""
    return f"{clock.known('opened_at')} AND {clock.age('opened_at')} < {_num(s.ticket_days)}"


def _tickets(s: SignalSettings, clock: _Clock) -> tuple[list[str], dict[str, str]]:
    sentiment = _cap("sentiment", "-1.0", "1.0")
    ctes = [
        f"""tk AS (
  SELECT account_id, COUNT(*) AS tickets, {clock.total("AVG", sentiment, bound=0)} AS sentiment
  FROM tickets WHERE {ticket_window(s, clock)} GROUP BY account_id
)"""
    ]
    cols = {
        "ticket_volume": f"{_double('COALESCE(tk.tickets, 0)')} / {_num(s.ticket_days / s.window_days)}",
        "ticket_sentiment": "tk.sentiment",
    }
    return ctes, cols


def _surveys(s: SignalSettings, clock: _Clock) -> tuple[list[str], dict[str, str]]:
    promoter, detractor = "kind = 'nps' AND \"value\" >= 9", "kind = 'nps' AND \"value\" <= 6"
    csat = "CASE WHEN kind = 'csat' THEN \"value\" END"
    ctes = [
        f"""sv AS (
  SELECT account_id,
         {_count_if("kind = 'nps'")} AS answers,
         {_count_if(promoter)} AS promoters,
         {_count_if(detractor)} AS detractors,
         {clock.total("AVG", csat, bound=4)} AS csat
  FROM surveys WHERE {clock.known('"timestamp"')} AND {clock.age('"timestamp"')} < {_num(s.survey_days)}
  GROUP BY account_id
)"""
    ]
    return ctes, {"nps": _ratio("100.0 * (sv.promoters - sv.detractors)", "sv.answers"), "csat": "sv.csat"}


# --------------------------------------------------------------------------- business


def _goals(_s: SignalSettings, clock: _Clock) -> tuple[list[str], dict[str, str]]:
    # the latest row per (account, goal) known at as-of; undated rows are the oldest
    progress = _ratio("COALESCE(actual, 0.0)", "target")
    ctes = [
        f"""gl AS (
  SELECT account_id, {clock.total("AVG", _cap("progress", "0.0", "1.0"), bound=0)} AS achievement FROM (
    SELECT account_id, goal, {progress} AS progress,
           ROW_NUMBER() OVER (
             PARTITION BY account_id, goal ORDER BY "timestamp" DESC NULLS LAST, actual DESC NULLS LAST
           ) AS latest
    FROM goals WHERE "timestamp" IS NULL OR "timestamp" <= {clock.seconds}
  ) ranked
  WHERE latest = 1 AND progress IS NOT NULL GROUP BY account_id
)"""
    ]
    return ctes, {"outcome_achievement": "gl.achievement"}


def _value(s: SignalSettings, clock: _Clock) -> tuple[list[str], dict[str, str]]:
    ctes = [
        f"""vl AS (
  SELECT account_id, {clock.total("SUM", "value_delivered")} AS delivered FROM "value"
  WHERE {clock.known('"timestamp"')} AND {clock.age('"timestamp"')} < {_num(s.value_days)}
  GROUP BY account_id
)"""
    ]
    return ctes, {"roi_multiple": _ratio("COALESCE(vl.delivered, 0.0)", "accounts.arr")}


def _invoices(s: SignalSettings, clock: _Clock) -> tuple[list[str], dict[str, str]]:
    # a due date means the end of its day; days late and age are whole UTC calendar days
    due_day = _day("due_date")
    settled = f"CASE WHEN {clock.known('paid_date')} THEN {_day('paid_date')} ELSE {clock.day} END"
    # a weight is at most 1, and an invoice is no more days late than its age, which is under payment_days
    late_bound = max(0, math.ceil(math.log2(s.payment_days)))
    ctes = [
        f"""inv AS (
  SELECT account_id, {clock.day} - {due_day} AS age,
         CASE WHEN {settled} > {due_day} THEN {settled} - {due_day} ELSE 0 END AS late
  FROM invoices WHERE due_date IS NOT NULL AND {due_day} * 86400 + 86399 <= {clock.seconds}
)""",
        f"""inv_delay AS (
  SELECT account_id, {clock.total("SUM", "weight * late", bound=late_bound)} AS weighted_late,
         {clock.total("SUM", "weight", bound=0)} AS weight
  FROM (
    SELECT account_id, late, {decay_sql(s.payment_decay, "age")} AS weight
    FROM inv WHERE age < {_num(s.payment_days)}
  ) weighted GROUP BY account_id
)""",
    ]
    return ctes, {"payment_delay_days": _ratio("inv_delay.weighted_late", "inv_delay.weight")}


# --------------------------------------------------------------------------- the query

_Group = Callable[["SignalSettings", _Clock], tuple[list[str], dict[str, str]]]

_GROUPS: tuple[tuple[str, _Group, tuple[str, ...]], ...] = (
    ("events", _events, ("ev_span", "ev_breadth", "ev_users")),
    ("crm_activities", _crm, ("crm_counts", "crm_response")),
    ("tickets", _tickets, ("tk",)),
    ("surveys", _surveys, ("sv",)),
    ("goals", _goals, ("gl",)),
    ("value", _value, ("vl",)),
    ("invoices", _invoices, ("inv_delay",)),
)
"""Each table, the CTEs that hold its signals per account (joined on ``account_id``)."""


def signal_query(
    settings: SignalSettings,
    as_of: int | None,
    tables: Iterable[str],
    names: Sequence[str],
    *,
    ordered: bool = False,
) -> str:
    """The one query of every signal in ``names``, one row per account.

    Args:
        settings: Windows, thresholds and decays.
        as_of: The as-of instant (UTC seconds), or ``None`` for the current time.
        tables: The export tables present; signals of absent ones are ``NULL``.
        names: The signal columns, in order, after ``account_id``.
        ordered: Add floats in the rows' order (``_src``, ``_line``: the
            embedded run over :class:`healthscore.exports.Exports`), for the same
            bits on every run; a warehouse's tables have no such columns.
    """
    clock = _Clock(as_of, ordered=ordered)
    present = set(tables)
    ctes: list[str] = []
    joins: list[str] = []
    cols: dict[str, str] = {"contract_months": "accounts.contract_term_months"}
    for table, group, joined in _GROUPS:
        if table not in present:
            continue
        more_ctes, more_cols = group(settings, clock)
        ctes += more_ctes
        cols.update(more_cols)
        joins += [f"LEFT JOIN {cte} ON {cte}.account_id = accounts.account_id" for cte in joined]
        if table == "events":
            joins.append("CROSS JOIN ev_available")
    select = ["accounts.account_id AS account_id"]
    for name in names:
        kind = "VARCHAR" if name in CATEGORY_SIGNALS else "DOUBLE"
        select.append(f"CAST({cols.get(name, 'NULL')} AS {kind}) AS {name}")
    with_ = "WITH\n" + ",\n".join(ctes) + "\n" if ctes else ""
    body = ",\n  ".join(select)
    join = "".join(f"\n{j}" for j in joins)
    return f"{with_}SELECT\n  {body}\nFROM accounts{join}\nORDER BY accounts.account_id"


def ticket_text_query(settings: SignalSettings, as_of: int) -> str:
    """The tickets of the ticket window whose text needs an analyser (no sentiment given)."""
    return (
        f"SELECT _src, _line, text FROM tickets WHERE {ticket_window(settings, _Clock(as_of))} "
        "AND sentiment IS NULL AND COALESCE(text, '') <> '' ORDER BY _src, _line"
    )


class _KnownNullOrder(logging.Filter):
    """SQLGlot warns that it cannot spell out DuckDB's NULL ordering in some
    dialects' window functions; every ordering column of the query is never NULL
    there (or its NULL order is explicit), so the warning says nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "NULLS" not in record.getMessage()


def transpile(sql: str, dialect: str) -> str:
    """The DuckDB query in another dialect (SQLGlot), pretty-printed.

    Examples:
        >>> print(transpile("SELECT CAST(x AS DOUBLE) FROM t", "bigquery"))
        SELECT
          CAST(x AS FLOAT64)
        FROM t
    """
    if dialect not in DIALECTS:
        raise ValidationError("dialect", f"must be one of {', '.join(DIALECTS)}", dialect)
    try:
        import sqlglot  # noqa: PLC0415 -- optional extra
    except ImportError:
        raise InputError("writing the signal SQL needs SQLGlot: pip install 'healthscore[exports]'") from None
    logger = logging.getLogger("sqlglot")
    quiet = _KnownNullOrder()
    logger.addFilter(quiet)
    try:
        (out,) = sqlglot.transpile(sql, read="duckdb", write=dialect, pretty=True)
    finally:
        logger.removeFilter(quiet)
    return with_now(str(out), dialect)


def with_now(sql: str, dialect: str) -> str:
    """``sql`` with the dialect's current instant in place of :data:`NOW`."""
    return re.sub(rf"\b{NOW}\b", _NOW_SQL[dialect], sql)
