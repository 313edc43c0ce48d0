"""Score history: every account's score over time, in SQLite or PostgreSQL.

A history store keeps one snapshot per (model version, as-of date): each
account's score, band, alert, coverage, dimension scores, top drivers, ARR,
segment and display name, and the raw metric values it was scored from. The
model version is :func:`healthscore.model_fingerprint`, and the
model's configuration is stored with it, so a score that moved because the
model changed is told apart from one that moved because the customer did.

* :class:`SQLiteHistory` is the embedded default: one file, standard library.
  :class:`PostgresHistory` (extra ``postgres``: psycopg 3) has the same
  interface; :func:`open_history` picks one from a path or a
  ``postgresql://`` URL.
* Writing a snapshot is one transaction: all accounts or none. A process killed
  in the middle leaves the old state (a test does kill one, on both backends).
* Writing the same as-of date with the same model again replaces that snapshot
  (idempotent); another model version is kept apart.
* Readers can read while a writer writes (write-ahead log in SQLite; MVCC in
  PostgreSQL).
* The raw inputs (:meth:`HistoryStore.inputs`) come back as the columns the
  stored model scores: ``store.model(version).score_batch(store.inputs())``
  gives the snapshot's computed scores again, bit for bit.
* Manual overrides (:meth:`HistoryStore.set_override`) set a score or band for
  an account, with a reason, an author and an expiry. Snapshots always store
  the computed values; reads apply the overrides active on each snapshot's
  date, so a scoring run never overwrites a person's judgement and both values
  are kept (``computed_score`` next to ``score``).
* A customer-success manager's own read of an account (:class:`CsmRead`:
  red / yellow / green or 1-5, with a note, an author and a date) is kept
  beside the computed score (:meth:`HistoryStore.record_csm_read`,
  :meth:`HistoryStore.csm_reads`). It never changes a stored or read score:
  an override replaces the score, a read sits beside it;
  :func:`csm_disagreement` compares the two.

Examples:
    >>> from healthscore import presets
    >>> model = presets.dear()
    >>> scored = model.score_batch({"deployment": [0.9, 0.2]}, missing_columns="missing")
    >>> with SQLiteHistory(":memory:") as store:
    ...     store.write_snapshot(model, "2026-06-30", ["a", "b"], scored)
    ...     [round(p.score, 1) for p in store.series("b")]
    2
    [26.7]
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

import attrs
import numpy as np

from healthscore import _frames, _html, _time
from healthscore._io import csv_text, write_atomic
from healthscore.bands import BandPolicy
from healthscore.config import AnyModel, model_fingerprint, model_from_dict, model_to_dict
from healthscore.exceptions import InputError, ValidationError
from healthscore.hierarchy import RolledScores
from healthscore.model import BatchScores, HealthModel, SegmentedModel, to_numpy
from healthscore.scorers import as_float_array, input_kind, is_missing

__all__ = [
    "CSM_COLOURS",
    "CSM_READ_METRIC",
    "CSM_STALE_DAYS",
    "AccountHistory",
    "CsmRead",
    "HistoryPoint",
    "HistoryStore",
    "Override",
    "PostgresHistory",
    "SQLiteHistory",
    "SnapshotInfo",
    "band_colour",
    "csm_disagreement",
    "open_history",
]

SCHEMA_VERSION = "5"
"""5: the CSM's reads (table ``hs_csm_reads``) and account trees
(``hs_scores.parent_id``, ``.level``, ``.own_score``);
4: account names and raw inputs (``hs_scores.name``, ``.inputs``, ``hs_runs.metrics``);
3: as_of, starts and expires are UTC dates, revoked_at a UTC instant."""

# Portable SQL: runs on SQLite and PostgreSQL alike (``?`` placeholders are
# rewritten for psycopg). Dimension scores live in columns d1, d2, ... added on
# demand; each run records which dimension each column holds.
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS hs_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS hs_models (version TEXT PRIMARY KEY, name TEXT NOT NULL, config TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS hs_runs ("
    " run_id INTEGER PRIMARY KEY,"
    " model_version TEXT NOT NULL REFERENCES hs_models (version),"
    " as_of TEXT NOT NULL,"
    " accounts INTEGER NOT NULL,"
    " dimensions TEXT NOT NULL,"
    " written_at TEXT NOT NULL,"
    " metrics TEXT,"
    " UNIQUE (model_version, as_of))",
    "CREATE TABLE IF NOT EXISTS hs_scores ("
    " run_id INTEGER NOT NULL,"
    " account_id TEXT NOT NULL,"
    " score DOUBLE PRECISION,"
    " band TEXT,"
    " alert TEXT,"
    " coverage DOUBLE PRECISION NOT NULL,"
    " drivers TEXT NOT NULL,"
    " arr DOUBLE PRECISION,"
    " segment TEXT,"
    " name TEXT,"
    " inputs TEXT,"
    " parent_id TEXT,"
    " level INTEGER,"
    " own_score DOUBLE PRECISION,"
    " PRIMARY KEY (run_id, account_id))",
    "CREATE INDEX IF NOT EXISTS hs_scores_by_account ON hs_scores (account_id, run_id)",
    "CREATE TABLE IF NOT EXISTS hs_overrides ("
    " override_id TEXT PRIMARY KEY,"
    " account_id TEXT NOT NULL,"
    " score DOUBLE PRECISION,"
    " band TEXT,"
    " reason TEXT NOT NULL,"
    " author TEXT NOT NULL,"
    " starts TEXT NOT NULL,"
    " expires TEXT NOT NULL,"
    " created_at TEXT NOT NULL,"
    " revoked_at TEXT,"
    " revoked_by TEXT)",
    "CREATE INDEX IF NOT EXISTS hs_overrides_by_account ON hs_overrides (account_id)",
)
# Added by schema 5 (a new table only: a read-only store of schema 3 or 4 is read as it stands, without reads).
_SCHEMA_5 = (
    "CREATE TABLE IF NOT EXISTS hs_csm_reads ("
    " read_id TEXT PRIMARY KEY,"
    " account_id TEXT NOT NULL,"
    " rating TEXT NOT NULL,"
    " note TEXT NOT NULL,"
    " author TEXT NOT NULL,"
    " as_of TEXT NOT NULL,"
    " recorded_at TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS hs_csm_reads_by_account ON hs_csm_reads (account_id, as_of)",
)
_SCORE_FIELDS = ("run_id", "account_id", "score", "band", "alert", "coverage", "drivers", "arr", "segment", "name")
# Added by schema 4: a read-only store of schema 3 is read as it stands, these columns NULL.
_SCHEMA_4_COLUMNS = (("hs_scores", "name"), ("hs_scores", "inputs"), ("hs_runs", "metrics"))
# Added by schema 5 (nullable: a snapshot written without a tree leaves them NULL).
_TREE_FIELDS = ("parent_id", "level", "own_score")
_SCHEMA_5_COLUMNS = (
    ("hs_scores", "parent_id", "TEXT"),
    ("hs_scores", "level", "INTEGER"),
    ("hs_scores", "own_score", "DOUBLE PRECISION"),
)


@attrs.frozen(kw_only=True)
class Override:
    """A person's score or band for an account, with a reason, an author and an
    expiry. It applies to snapshots dated ``starts <= as_of < expires`` (or
    until the UTC date it was revoked on). ``starts`` and ``expires`` are UTC
    dates (``YYYY-MM-DD``); ``created_at`` and ``revoked_at`` UTC instants."""

    override_id: str
    account_id: str
    score: float | None
    band: str | None
    reason: str
    author: str
    starts: str
    expires: str
    created_at: str
    revoked_at: str | None = None
    revoked_by: str | None = None

    def active_on(self, day: str) -> bool:
        """Whether the override applies to a snapshot dated ``day`` (a date, or
        an instant standing for its UTC date)."""
        end = self.expires if self.revoked_at is None else min(self.expires, self.revoked_at[:10])
        return self.starts <= _iso_date(day, "day") < end


@attrs.frozen(kw_only=True)
class HistoryPoint:
    """One account's snapshot.

    ``score``, ``band`` and ``alert`` are the values in force: a manual
    override's where one applied (``override``), else the model's. The model's
    own values are always in ``computed_score``, ``computed_band`` and
    ``computed_alert``. ``name`` is the account's display name in that
    snapshot (``None`` where none was stored).

    In a snapshot written with a tree (``write_snapshot`` given the
    :class:`~healthscore.hierarchy.RolledScores`), a parent's ``score``,
    ``band`` and ``alert`` are rolled up from its children; ``own_score`` is
    the account's own (from its own metrics), ``parent_id`` its parent
    (``None`` at the top) and ``level`` its depth (0 at the top). A snapshot
    written without a tree has ``own_score`` ``None`` (``score`` is the
    account's own) and every account at level 0.
    """

    account_id: str
    as_of: str
    model_version: str
    score: float | None
    band: str | None
    alert: str | None
    coverage: float
    dimensions: dict[str, float | None]
    drivers: tuple[str, ...] = ()
    arr: float | None = None
    segment: str | None = None
    name: str | None = None
    parent_id: str | None = None
    level: int = 0
    own_score: float | None = None
    override: Override | None = None
    computed_score: float | None = attrs.field(default=attrs.Factory(lambda self: self.score, takes_self=True))
    computed_band: str | None = attrs.field(default=attrs.Factory(lambda self: self.band, takes_self=True))
    computed_alert: str | None = attrs.field(default=attrs.Factory(lambda self: self.alert, takes_self=True))


@attrs.frozen(kw_only=True)
class SnapshotInfo:
    """A stored snapshot: its model version and name, as-of date, account count,
    dimension names and when it was written."""

    model_version: str
    model_name: str
    as_of: str
    accounts: int
    written_at: str
    dimensions: tuple[str, ...] = ()


def _iso_date(value: Any, field: str = "as_of") -> str:
    """A date or instant as its UTC date, ``YYYY-MM-DD``: the history's one form."""
    return _time.utc_date(value, field)


def _instant(value: Any, field: str) -> str:
    """A date (its start) or instant as canonical UTC text, like :func:`_now`."""
    seconds = _time.parse_instant(value, field).seconds
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="microseconds")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


# -- the CSM's read -------------------------------------------------------------------------

CSM_COLOURS: tuple[str, ...] = ("red", "yellow", "green")
"""The three-colour scale of a CSM's read, worst first: a step on it is one
unit of :func:`csm_disagreement`."""

CSM_STALE_DAYS = 90
"""A read older than this many days (a quarter: one business review) on the
date it is compared with is shown as stale and ranks no account."""

CSM_READ_METRIC = "csm_read"
"""The metric name under which :meth:`HistoryStore.csm_read_column` fills a
model's input column with the latest read (its :attr:`CsmRead.level`, 1-5):
the read enters a score only when a model names this metric."""

_LEVEL_OF_COLOUR = {"red": 1, "yellow": 3, "green": 5}


def _csm_rating(value: object) -> int | str:
    """A rating as stored: a whole number 1..5, or ``red`` / ``yellow`` /
    ``green`` (any case, surrounding blanks ignored; ``"4"`` is 4)."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _LEVEL_OF_COLOUR:
            return text
        if text in {"1", "2", "3", "4", "5"}:
            return int(text)
    elif _is_number(value) and value in (1, 2, 3, 4, 5):
        return int(value)
    raise ValidationError("rating", "must be a whole number from 1 to 5 or one of red, yellow, green", value)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, np.integer, float, np.floating)) and not isinstance(value, (bool, np.bool_))


def _read_text(field: str, value: Any) -> str:
    """The text without surrounding blanks, refusing a non-text or blank
    value (naming ``field`` and the value as given)."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(field, "must be a non-blank string", value)
    return value.strip()


def _read_account(value: Any) -> str:
    return _read_text("account_id", value)


def _read_author(value: Any) -> str:
    return _read_text("author", value)


def _note_text(_inst: object, _attribute: Any, value: object) -> None:
    if not isinstance(value, str):
        raise ValidationError("note", "must be a string (empty for none)", value)


def _read_day(value: Any) -> str:
    return _iso_date(value, "as_of")


def _read_instant(value: Any) -> str:
    """An instant as canonical UTC text, microseconds kept (the order of two
    reads recorded within one second)."""
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return moment.astimezone(UTC).isoformat(timespec="microseconds")
    return _instant(value, "recorded_at")


@attrs.frozen(kw_only=True)
class CsmRead:
    """A customer-success manager's own read of an account: how healthy they
    judge it, on red / yellow / green or 1 (worst) to 5 (best), with a note,
    who said so and the date it holds for.

    The two scales map onto each other (:attr:`colour`, :attr:`level`):
    1-2 is red, 3 yellow, 4-5 green; red is level 1, yellow 3, green 5. A
    read sits beside the computed score and never changes it.

    Attributes:
        account_id: The account.
        rating: A whole number 1..5 or ``"red"``, ``"yellow"``, ``"green"``
            (``"4"`` is read as 4; colours in any case).
        author: Who made the read (non-blank).
        as_of: The UTC date the read holds for (a date or an instant).
        note: Why, in the CSM's words (may be empty).
        read_id: Its id in the history (set when it is recorded).
        recorded_at: When it was recorded (a UTC instant).

    Examples:
        >>> read = CsmRead(account_id="acme", rating="Green", author="kim", as_of="2026-06-30")
        >>> read.rating, read.level, CsmRead(account_id="acme", rating=2, author="kim", as_of="2026-06-30").colour
        ('green', 5, 'red')
        >>> try:
        ...     CsmRead(account_id="acme", rating=6, author="kim", as_of="2026-06-30")
        ... except ValueError as exc:
        ...     print(exc)
        rating must be a whole number from 1 to 5 or one of red, yellow, green, got 6
    """

    account_id: str = attrs.field(converter=_read_account)
    rating: int | str = attrs.field(converter=_csm_rating)
    author: str = attrs.field(converter=_read_author)
    as_of: str = attrs.field(converter=_read_day)
    note: str = attrs.field(default="", validator=_note_text)
    read_id: str = attrs.field(factory=lambda: uuid.uuid4().hex)
    recorded_at: str = attrs.field(factory=lambda: _now(), converter=_read_instant)

    @property
    def level(self) -> int:
        """The read on the 1-5 scale (red 1, yellow 3, green 5)."""
        return self.rating if isinstance(self.rating, int) else _LEVEL_OF_COLOUR[self.rating]

    @property
    def colour(self) -> str:
        """The read on the three-colour scale (1-2 red, 3 yellow, 4-5 green)."""
        if isinstance(self.rating, str):
            return self.rating
        return CSM_COLOURS[0 if self.rating <= 2 else 1 if self.rating == 3 else 2]

    def age_days(self, day: Any) -> int:
        """Whole days from the read's date to ``day`` (negative: a later read)."""
        return _time.utc_day(day, "day") - _time.utc_day(self.as_of, "as_of")

    def is_stale(self, day: Any, stale_days: float = CSM_STALE_DAYS) -> bool:
        """Whether the read is more than ``stale_days`` old on ``day``."""
        return self.age_days(day) > stale_days


def band_colour(bands: BandPolicy, band: str) -> str | None:
    """A band on the CSM's three-colour scale: a band named ``red``,
    ``yellow`` or ``green`` (any case) is that colour; any other band by its
    place in the ladder: the best band green, the worst red, those between
    yellow (so the default ``orange``, 40-60, is yellow). ``None`` for a band
    the policy does not have (or no band).

    Examples:
        >>> from healthscore.bands import default_bands
        >>> [band_colour(default_bands(), b) for b in ("green", "yellow", "orange", "red", "")]
        ['green', 'yellow', 'yellow', 'red', None]
    """
    if band.lower() in _LEVEL_OF_COLOUR and band in bands.names:
        return band.lower()
    if band not in bands.names:
        return None
    place = bands.names.index(band)
    return "green" if place == 0 else "red" if place == len(bands.names) - 1 else "yellow"


def csm_disagreement(read: CsmRead, bands: BandPolicy, band: str) -> int | None:
    """How far the CSM's read is from the computed band, in steps of the
    three-colour scale (:data:`CSM_COLOURS`): the read's colour minus the
    band's (:func:`band_colour`). Positive: the CSM is more optimistic than
    the score (green against a red band is +2); negative: more pessimistic;
    0: they agree. ``None`` without a band.

    Examples:
        >>> from healthscore.bands import default_bands
        >>> read = CsmRead(account_id="a", rating="green", author="kim", as_of="2026-06-30")
        >>> csm_disagreement(read, default_bands(), "red"), csm_disagreement(read, default_bands(), "green")
        (2, 0)
    """
    colour = band_colour(bands, band)
    if colour is None:
        return None
    return CSM_COLOURS.index(read.colour) - CSM_COLOURS.index(colour)


def _nullable(values: Any) -> list[Any]:
    arr = np.asarray(values, dtype=np.float64)
    return [None if math.isnan(v) else v for v in arr.tolist()]


def _floats(values: Sequence[Any]) -> Any:
    """A float64 array with None as NaN."""
    return np.array(values, dtype=np.float64) if len(values) else np.zeros(0)


def _texts(values: Sequence[Any]) -> Any:
    return np.array(["" if v is None else v for v in values], dtype=object)


def _driver_texts(scores: BatchScores, n: int) -> list[str]:
    if not scores.drivers:
        return ["[]"] * n
    per_account = zip(*[np.asarray(d).tolist() for d in scores.drivers], strict=True)
    return [json.dumps([d for d in names if d]) for names in per_account]


def _snapshot_ids_and_arr(account_ids: Any, scores: BatchScores, arr: Any) -> tuple[list[str], list[Any]]:
    """The snapshot's account ids (unique, one per score) and ARR cells."""
    ids = [str(a) for a in np.asarray(account_ids, dtype=object).reshape(-1).tolist()]
    n = len(scores)
    if len(ids) != n:
        raise InputError(f"account_ids has {len(ids)} entries but the scores hold {n} accounts")
    if len(set(ids)) != n:
        seen: set[str] = set()
        dup = next(a for a in ids if a in seen or seen.add(a))  # type: ignore[func-returns-value]
        raise InputError(f"duplicate account_id {dup!r} in a snapshot", column="account_id", value=dup)
    money: list[Any] = [None] * n
    if arr is not None:
        values = np.asarray(arr, dtype=np.float64)
        if values.shape != (n,):
            raise InputError(f"arr must hold one value per account ({n}), got shape {values.shape}", column="arr")
        money = _nullable(values)
    return ids, money


def _name_cells(names: Any, n: int, field: str = "names") -> list[str | None]:
    """One text per account (a display name, a segment), ``None`` where there
    is none (``None``, NaN or a blank text)."""
    if names is None:
        return [None] * n
    values = np.asarray(to_numpy(names), dtype=object)
    if values.shape != (n,):
        raise InputError(f"{field} must hold one text per account ({n}), got shape {values.shape}", column=field)
    return [None if is_missing(v) else str(v) for v in values.tolist()]


def _label_metrics(model: AnyModel) -> set[str]:
    """The metrics whose raw values are labels (categories, yes/no) for some
    model of ``model``; the others read numbers."""
    members = model._all_models() if isinstance(model, SegmentedModel) else [model]
    return {name for m in members for name, metric in m.metrics.items() if input_kind(metric.scorer) != "numeric"}


def _label_cell(value: Any) -> Any:
    """A raw label as JSON: text, a yes/no, a whole number as given (a scorer
    may read ``1`` and ``"1"`` differently); ``None`` where missing."""
    if is_missing(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return str(value)


def _input_column(name: str, values: Any, n: int, *, label: bool) -> list[Any]:
    """One metric's raw values as JSON cells: numbers as floats, labels as
    :func:`_label_cell` gives them, ``None`` where missing or not finite (every
    scorer scores NaN and infinities as missing)."""
    raw = to_numpy(values)
    if raw.shape != (n,):
        msg = f"inputs column {name!r} must hold one value per account ({n}), got shape {raw.shape}"
        raise InputError(msg, column=name)
    if label:
        return [_label_cell(v) for v in raw.tolist()]
    try:
        numbers = as_float_array(raw)
    except InputError as exc:
        raise InputError(f"inputs column {name!r}: {exc}", column=name, row=exc.row, value=exc.value) from None
    cells = numbers.astype(object)
    cells[~np.isfinite(numbers)] = None
    out: list[Any] = cells.tolist()
    return out


def _input_cells(model: AnyModel, inputs: Any, n: int) -> tuple[str | None, list[str | None]]:
    """The run's metric names (JSON) and each account's raw inputs (a JSON
    array in that order); ``None`` for both without ``inputs``. A metric
    without a column is ``null``; columns the model does not read are ignored."""
    if inputs is None:
        return None, [None] * n
    metrics = list(model.metric_names)
    labels = _label_metrics(model)
    given = _frames.table_columns(inputs, metrics, labels=labels)
    per_metric = [_input_column(m, given[m], n, label=m in labels) if m in given else [None] * n for m in metrics]
    encode = json.JSONEncoder(allow_nan=False, separators=(",", ":")).encode
    return json.dumps(metrics), [encode(list(row)) for row in zip(*per_metric, strict=True)]


def _tree_cells(ids: list[str], rolled: RolledScores | None) -> list[list[Any]]:
    """Each account's parent id, level and own score for ``hs_scores`` (NULL
    without a tree)."""
    n = len(ids)
    if rolled is None:
        return [[None] * n, [None] * n, [None] * n]
    if len(rolled) != n:
        raise InputError(f"account_ids has {n} entries but the rolled-up scores hold {len(rolled)} accounts")
    parents = [None if p is None else str(p) for p in rolled.parent_values(ids).tolist()]
    levels = [int(v) for v in np.asarray(rolled.tree.level).tolist()]
    return [parents, levels, _nullable(rolled.own_score)]


def _score_rows(
    ids: list[str],
    scores: BatchScores,
    money: list[Any],
    names: list[str | None],
    inputs: list[str | None],
    segments: list[str | None],
    tree: list[list[Any]],
) -> tuple[list[str], list[list[Any]]]:
    """The ``hs_scores`` columns of a snapshot and their cells, column by column:
    a segmented model's segment where it picked the model, else ``segments``;
    ``tree`` as :func:`_tree_cells` gives it."""
    dims = list(scores.dimensions)
    segment: list[Any] = segments if scores.segment is None else [str(s) for s in scores.segment.tolist()]
    columns = [*_SCORE_FIELDS, "inputs", *_TREE_FIELDS, *(f"d{k}" for k in range(1, len(dims) + 1))]
    data = [
        ids,
        _nullable(scores.score),
        [b or None for b in scores.band.tolist()],
        [a or None for a in scores.alert.tolist()],
        np.asarray(scores.coverage, dtype=np.float64).tolist(),
        _driver_texts(scores, len(ids)),
        money,
        segment,
        names,
        inputs,
        *tree,
        *(_nullable(values) for values in scores.dimensions.values()),
    ]
    return columns, data


_RESERVED = frozenset(
    {
        *_SCORE_FIELDS,
        *_TREE_FIELDS,
        "as_of",
        "model_version",
        "computed_score",
        "computed_band",
        "computed_alert",
        "override_id",
    }
)


def _dimension_key(name: str) -> str:
    """The column a dimension's scores take in :meth:`HistoryStore.read`."""
    return f"dimension_{name}" if name in _RESERVED else name


def _policies_for(model: AnyModel, segment: str | None) -> HealthModel:
    """The model whose bands and alerts apply to an account of ``segment``: its
    segment's model, the declared default for an unknown segment, and without
    a default an error naming the segment and the known ones (never another
    segment's bands)."""
    if isinstance(model, SegmentedModel):
        return model.model_for(segment)
    return model


class _Backend(Protocol):
    """What the store needs of a database: portable SQL with ``?``
    placeholders, bulk inserts, transactions and the columns of a table."""

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement; its rows (none for a statement without)."""
        ...

    def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement per row."""
        ...

    def insert_rows(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """Insert many rows, the fastest way the database has."""
        ...

    def begin(self, *, write_lock: bool) -> None:
        """Start a transaction; with ``write_lock``, one writer at a time."""
        ...

    def columns_of(self, table: str) -> set[str]:
        """The column names of a table."""
        ...

    @property
    def read_only(self) -> bool:
        """Whether the database was opened for reading only (nothing can be migrated)."""
        ...

    def setup_lock(self) -> AbstractContextManager[None]:
        """Held while the tables are created or migrated."""
        ...

    def close(self) -> None:
        """Close the connection."""
        ...


@contextmanager
def _transaction(db: _Backend, *, write_lock: bool = True) -> Iterator[None]:
    """One transaction on ``db``: committed when the block ends, rolled back
    when it raises."""
    db.begin(write_lock=write_lock)
    try:
        yield
    except BaseException:
        db.query("ROLLBACK")
        raise
    db.query("COMMIT")


def _version_of(model: AnyModel | str | None) -> str | None:
    """A model version: a fingerprint as given, a model's fingerprint, or ``None``."""
    if model is None or isinstance(model, str):
        return model
    return model_fingerprint(model)


# -- schema and migrations ------------------------------------------------------------------


def _create_or_migrate(db: _Backend, store: str) -> None:
    """Create the tables that are missing and bring an older schema up to
    :data:`SCHEMA_VERSION`, step by step (2 -> 3 -> 4 -> 5), in one
    transaction. A store opened read-only at schema 3 or 4 is read as it
    stands: schema 3 has no names and no inputs, which is what schema 4 says
    of its old snapshots; neither has CSM reads (none were recorded).

    Raises:
        InputError: The store holds a schema this release cannot read.
    """
    with _transaction(db, write_lock=False):
        for statement in _SCHEMA if db.read_only else (*_SCHEMA, *_SCHEMA_5):
            db.query(statement)
        row = db.query("SELECT value FROM hs_meta WHERE key = 'schema'")
        if not row:
            db.query("INSERT INTO hs_meta (key, value) VALUES ('schema', ?)", (SCHEMA_VERSION,))
            return
        found = row[0][0]
        if found not in ("2", "3", "4", SCHEMA_VERSION):
            msg = (
                f"hs_meta.schema of history store {store} is {found!r}; this healthscore reads version "
                f"{SCHEMA_VERSION!r} (open it with the healthscore release that wrote it and export it)"
            )
            raise InputError(msg, column="hs_meta.schema", value=found)
        if found == "2":
            _migrate_from_2(db)
        if found == "2" or (found == "3" and not db.read_only):
            _migrate_from_3(db)
        if found != SCHEMA_VERSION and not db.read_only:
            _migrate_from_4(db)
        if not db.read_only:
            _add_tree_columns(db)


def _migrate_from_2(db: _Backend) -> None:
    """Schema 2 kept dates as the caller wrote them (``2026-06-30T09:00:00``,
    offsets): normalise them to UTC dates, keeping the latest written of the
    snapshots that fall on one (model version, date). Runs inside the set-up
    transaction: all or nothing."""
    kept: dict[tuple[str, str], tuple[int, str]] = {}
    dropped: list[int] = []
    for run_id, version, as_of in db.query(
        "SELECT run_id, model_version, as_of FROM hs_runs ORDER BY written_at, run_id"
    ):
        key = (str(version), _iso_date(as_of, f"hs_runs.as_of of run {run_id}"))
        if key in kept:
            dropped.append(kept[key][0])
        kept[key] = (int(run_id), str(as_of))
    for run_id in dropped:
        db.query("DELETE FROM hs_scores WHERE run_id = ?", (run_id,))
        db.query("DELETE FROM hs_runs WHERE run_id = ?", (run_id,))
    for (_, day), (run_id, as_of) in kept.items():
        if day != as_of:
            db.query("UPDATE hs_runs SET as_of = ? WHERE run_id = ?", (day, run_id))
    for oid, starts, expires, revoked in db.query("SELECT override_id, starts, expires, revoked_at FROM hs_overrides"):
        db.query(
            "UPDATE hs_overrides SET starts = ?, expires = ?, revoked_at = ? WHERE override_id = ?",
            (
                _iso_date(starts, f"hs_overrides.starts of {oid}"),
                _iso_date(expires, f"hs_overrides.expires of {oid}"),
                None if revoked is None else _instant(revoked, f"hs_overrides.revoked_at of {oid}"),
                oid,
            ),
        )
    db.query("UPDATE hs_meta SET value = '3' WHERE key = 'schema'")


def _migrate_from_3(db: _Backend) -> None:
    """Schema 4 keeps each account's display name (``hs_scores.name``), the
    raw metric values it was scored from (``hs_scores.inputs``, a JSON array)
    and the metrics those follow (``hs_runs.metrics``). Older snapshots get
    the columns empty (NULL): no name, written without inputs. Runs inside the
    set-up transaction: all or nothing."""
    for table, column in _SCHEMA_4_COLUMNS:
        if column not in db.columns_of(table):
            db.query(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")
    db.query("UPDATE hs_meta SET value = '4' WHERE key = 'schema'")


def _migrate_from_4(db: _Backend) -> None:
    """Schema 5 adds the CSM's reads, one new table (``hs_csm_reads``, made
    by :data:`_SCHEMA_5` before this runs); nothing else changes, and an
    older store simply has no reads; the tree columns follow
    (:func:`_add_tree_columns`). Runs inside the set-up transaction."""
    db.query("UPDATE hs_meta SET value = ? WHERE key = 'schema'", (SCHEMA_VERSION,))


def _add_tree_columns(db: _Backend) -> None:
    """Schema 5 also keeps each account's place in its tree and its own score
    beside the rolled-up one (``hs_scores.parent_id``, ``.level``,
    ``.own_score``); a store made before they were part of it gets them empty
    (NULL: written without a tree). Runs inside the set-up transaction."""
    have = db.columns_of("hs_scores")
    for table, column, kind in _SCHEMA_5_COLUMNS:
        if column not in have:
            db.query(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")


# -- the catalogue: models and snapshots ----------------------------------------------------


@attrs.frozen(kw_only=True)
class _Run:
    """One stored snapshot's date, model version and dimension columns (``d1`` is ``dimensions[0]``)."""

    as_of: str
    version: str
    dimensions: tuple[str, ...]


class _Catalog:
    """What is stored: the models (cached once read), the snapshots and the
    runs they are made of."""

    def __init__(self, db: _Backend) -> None:
        self._db = db
        self._models: dict[str, AnyModel] = {}

    def model(self, version: str) -> AnyModel:
        if version not in self._models:
            rows = self._db.query("SELECT config FROM hs_models WHERE version = ?", (version,))
            if not rows:
                raise InputError(f"no model with version {version!r} in this history", column="model", value=version)
            self._models[version] = model_from_dict(json.loads(rows[0][0]), source=f"history model {version}")
        return self._models[version]

    def band_names(self) -> set[str]:
        """The band names of every stored model (segments' models included)."""
        names: set[str] = set()
        for version, _name in self._db.query("SELECT version, name FROM hs_models"):
            model = self.model(version)
            for member in model._all_models() if isinstance(model, SegmentedModel) else [model]:
                names.update(member.bands.names)
        return names

    def snapshots(self) -> list[SnapshotInfo]:
        rows = self._db.query(
            "SELECT r.model_version, m.name, r.as_of, r.accounts, r.written_at, r.dimensions "
            "FROM hs_runs r JOIN hs_models m ON m.version = r.model_version ORDER BY r.as_of, r.written_at"
        )
        return [
            SnapshotInfo(
                model_version=v, model_name=n, as_of=a, accounts=c, written_at=w, dimensions=tuple(json.loads(d))
            )
            for v, n, a, c, w, d in rows
        ]

    def latest_version(self, as_of: Any = None) -> str | None:
        if as_of is None:
            rows = self._db.query("SELECT model_version FROM hs_runs ORDER BY as_of DESC, written_at DESC LIMIT 1")
        else:
            rows = self._db.query(
                "SELECT model_version FROM hs_runs WHERE as_of <= ? ORDER BY as_of DESC, written_at DESC LIMIT 1",
                (_iso_date(as_of),),
            )
        return str(rows[0][0]) if rows else None

    def latest_as_of(self, version: str, until: str | None) -> str | None:
        """The date of ``version``'s latest snapshot at or before ``until``
        (default: of all); ``None`` when there is none."""
        clauses = "model_version = ?" + ("" if until is None else " AND as_of <= ?")
        params = (version,) if until is None else (version, until)
        rows = self._db.query(f"SELECT MAX(as_of) FROM hs_runs WHERE {clauses}", params)
        return None if not rows or rows[0][0] is None else str(rows[0][0])

    def runs(self, version: str | None, since: str | None, until: str | None) -> dict[int, _Run]:
        """The runs of one version (or all) dated within ``since..until``, by run id."""
        clauses, params = [], []
        for clause, value in (("model_version = ?", version), ("as_of >= ?", since), ("as_of <= ?", until)):
            if value is not None:
                clauses.append(clause)
                params.append(value)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        rows = self._db.query("SELECT run_id, as_of, model_version, dimensions FROM hs_runs" + where, params)
        return {int(r): _Run(as_of=a, version=v, dimensions=tuple(json.loads(d))) for r, a, v, d in rows}


# -- overrides ------------------------------------------------------------------------------


class _Overrides:
    """Manual overrides: set, revoke and list them, and apply them to what is read."""

    def __init__(self, db: _Backend, catalog: _Catalog) -> None:
        self._db = db
        self._catalog = catalog

    def add(
        self, account_id: str, *, reason: str, author: str, expires: Any, score: Any, band: Any, starts: Any
    ) -> Override:
        _check_override(account_id, reason=reason, author=author, score=score, band=band)
        begin = _iso_date(starts, "starts") if starts is not None else _time.today()
        end = _iso_date(expires, "expires")
        if end <= begin:
            raise ValidationError("expires", f"must be after starts ({begin})", end)
        known = self._catalog.band_names()
        if band is not None and known and band not in known:
            raise ValidationError("band", f"must be one of the stored models' bands {sorted(known)}", band)
        override = Override(
            override_id=uuid.uuid4().hex,
            account_id=account_id.strip(),
            score=None if score is None else float(score),
            band=band,
            reason=reason.strip(),
            author=author.strip(),
            starts=begin,
            expires=end,
            created_at=_now(),
        )
        with _transaction(self._db):
            self._db.query(
                "INSERT INTO hs_overrides (override_id, account_id, score, band, reason, author, starts, expires, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                attrs.astuple(override)[:9],
            )
        return override

    def revoke(self, override_id: str, *, author: str, when: Any) -> Override:
        moment = _instant(when, "when") if when is not None else _now()
        with _transaction(self._db):
            if not self._db.query("SELECT 1 FROM hs_overrides WHERE override_id = ?", (override_id,)):
                raise InputError(f"no override with id {override_id!r}", column="override_id", value=override_id)
            self._db.query(
                "UPDATE hs_overrides SET revoked_at = ?, revoked_by = ? WHERE override_id = ?",
                (moment, author, override_id),
            )
        (found,) = [o for o in self.find(include_inactive=True) if o.override_id == override_id]
        return found

    def find(self, *, account_id: str | None = None, include_inactive: bool = False) -> list[Override]:
        sql = (
            "SELECT override_id, account_id, score, band, reason, author, starts, expires, created_at, "
            "revoked_at, revoked_by FROM hs_overrides"
        )
        rows = (
            self._db.query(sql + " WHERE account_id = ? ORDER BY created_at", (account_id,))
            if account_id is not None
            else self._db.query(sql + " ORDER BY created_at")
        )
        found = [Override(**dict(zip(attrs.fields_dict(Override), row, strict=True))) for row in rows]
        if include_inactive:
            return found
        today = _time.today()
        return [o for o in found if o.active_on(today)]

    def apply(self, out: dict[str, Any], fields: str) -> None:
        """Put the overrides active on each row's date in force, in place,
        keeping the model's values in the ``computed_*`` columns."""
        n = len(out["score"])
        out["computed_score"] = out["score"].copy()
        if fields != "scores":
            out["computed_band"] = out["band"].copy()
            out["computed_alert"] = out["alert"].copy()
        out["override_id"] = np.full(n, "", dtype=object)
        every = self.find(include_inactive=True)
        if not every or n == 0:
            return
        by_account: dict[str, list[Override]] = {}
        for o in every:  # oldest first: later ones win
            by_account.setdefault(o.account_id, []).append(o)
        hit = np.flatnonzero(np.isin(out["account_id"].astype(str), np.array(list(by_account), dtype=str)))
        for i in hit.tolist():
            day = str(out["as_of"][i])
            active = [o for o in by_account[str(out["account_id"][i])] if o.active_on(day)]
            if active:
                self._apply_one(out, i, active[-1], fields)

    def _apply_one(self, out: dict[str, Any], i: int, o: Override, fields: str) -> None:
        """A score sets the band and alert of that score; a band sets itself
        and the alert it implies (:func:`_implied_alert`), with or without a
        score: the band a person chose decides whom to call, and by when."""
        out["override_id"][i] = o.override_id
        if o.score is not None:
            out["score"][i] = o.score
        if fields == "scores":
            return
        version = str(out["model_version"][i])
        policies = _policies_for(self._catalog.model(version), str(out["segment"][i]) or None)
        if o.score is not None:
            out["band"][i] = policies.bands.classify(o.score) or ""
            out["alert"][i] = policies.alerts.classify(o.score) or ""
        if o.band is not None:
            if o.band not in policies.bands.names:
                raise InputError(
                    f"override {o.override_id} of account {o.account_id!r} sets band {o.band!r}, which model "
                    f"{version} does not have (its bands: {', '.join(policies.bands.names)}), on the snapshot of "
                    f"{out['as_of'][i]}; revoke it (healthscore override --revoke {o.override_id}) and set one "
                    "with a band of that model",
                    column="band",
                    value=o.band,
                )
            out["band"][i] = o.band
            out["alert"][i] = _implied_alert(policies, o.band)


def _implied_alert(policies: HealthModel, band: str) -> str:
    """The alert level a band implies: the alert of the band's lowest score
    (its ``min_score``), from the same model's policies.

    A band holds every score from its ``min_score`` up, so its lowest score is
    the worst case the band stands for, and the alert of that score is the most
    urgent one the band can come with. With the default policies the bands map
    one to one: green -> healthy, yellow -> warning, orange -> at_risk, red ->
    critical. Both ladders cover 0..100, so every band implies exactly one alert.

    Examples:
        >>> from healthscore import presets
        >>> model = presets.three_dimension()
        >>> [_implied_alert(model, band) for band in model.bands.names]
        ['healthy', 'warning', 'at_risk', 'critical']
    """
    name: str = policies.alerts.classify(policies.bands.get(band).min_score) or ""
    return name


def _check_override(account_id: Any, *, reason: Any, author: Any, score: Any, band: Any) -> None:
    """An override's own fields: a score and/or a band, a non-blank account, reason and author."""
    if score is None and band is None:
        raise ValidationError("override", "must set a score, a band or both", None, hint="pass score= or band=")
    if score is not None and not (isinstance(score, (int, float)) and 0 <= score <= 100):
        raise ValidationError("score", "must be a number from 0 to 100", score)
    if band is not None and (not isinstance(band, str) or not band.strip()):
        raise ValidationError("band", "must be a band name", band)
    for field, text in (("account_id", account_id), ("reason", reason), ("author", author)):
        if not isinstance(text, str) or not text.strip():
            raise ValidationError(field, "must be a non-blank string", text)


# -- the CSM's reads ------------------------------------------------------------------------


_READ_FIELDS = ("read_id", "account_id", "rating", "note", "author", "as_of", "recorded_at")


class _CsmReads:
    """The CSM's reads: record them and find them (all, or the latest per account)."""

    def __init__(self, db: _Backend) -> None:
        self._db = db

    def add(self, read: CsmRead) -> CsmRead:
        with _transaction(self._db):
            self._db.query(
                f"INSERT INTO hs_csm_reads ({', '.join(_READ_FIELDS)}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [str(getattr(read, name)) for name in _READ_FIELDS],
            )
        return read

    def find(self, *, account_id: str | None, as_of: Any, latest: bool) -> list[CsmRead]:
        if "read_id" not in self._db.columns_of("hs_csm_reads"):
            return []  # a store of schema 4 or older, opened read-only: no reads
        clauses, params = [], []
        if account_id is not None:
            clauses.append("account_id = ?")
            params.append(str(account_id))
        if as_of is not None:
            clauses.append("as_of <= ?")
            params.append(_iso_date(as_of))
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        rows = self._db.query(
            f"SELECT {', '.join(_READ_FIELDS)} FROM hs_csm_reads{where} ORDER BY as_of, recorded_at, read_id", params
        )
        found = [CsmRead(**dict(zip(_READ_FIELDS, row, strict=True))) for row in rows]
        if not latest:
            return found
        last = {r.account_id: r for r in found}  # oldest first: the latest wins
        return sorted(last.values(), key=lambda r: r.account_id)


# -- reading --------------------------------------------------------------------------------


class _Reader:
    """Snapshots read back: as columns, as points, as the trends' window, as a file."""

    def __init__(self, db: _Backend, catalog: _Catalog, overrides: _Overrides) -> None:
        self._db = db
        self._catalog = catalog
        self._overrides = overrides
        # a schema-3 store opened read-only lacks them: read as NULL
        self._absent = {(t, c) for t, c, *_ in (*_SCHEMA_4_COLUMNS, *_SCHEMA_5_COLUMNS) if c not in db.columns_of(t)}

    def read(
        self,
        *,
        model: AnyModel | str | None,
        since: Any,
        until: Any,
        account_id: str | Sequence[str] | None,
        fields: Literal["all", "scores"],
    ) -> dict[str, Any]:
        runs = self._catalog.runs(
            _version_of(model),
            None if since is None else _iso_date(since, "since"),
            None if until is None else _iso_date(until, "until"),
        )
        if fields == "scores":
            names = ["run_id", "account_id", "score"]
        else:
            width = max((len(run.dimensions) for run in runs.values()), default=0)
            names = [*_SCORE_FIELDS, *_TREE_FIELDS, *(f"d{k}" for k in range(1, width + 1))]
        rows = self._score_rows(runs, names, account_id)
        raw = dict(zip(names, map(list, zip(*rows, strict=True)), strict=True)) if rows else {k: [] for k in names}
        out = _columns(raw, runs, fields)
        self._overrides.apply(out, fields)
        return out

    def _score_rows(
        self, runs: Mapping[int, _Run], names: Sequence[str], account_id: str | Sequence[str] | None
    ) -> list[tuple[Any, ...]]:
        """The ``hs_scores`` rows of ``runs`` (of some accounts only), ``names`` columns."""
        if not runs:
            return []
        where = f"run_id IN ({', '.join(str(r) for r in sorted(runs))})"
        cells = [f"NULL AS {n}" if ("hs_scores", n) in self._absent else n for n in names]
        select = f"SELECT {', '.join(cells)} FROM hs_scores WHERE {where}"
        if account_id is None:
            return self._db.query(select)
        wanted = [account_id] if isinstance(account_id, str) else [str(a) for a in account_id]
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(wanted), 500):  # the account index, in bounded batches
            chunk = wanted[start : start + 500]
            rows += self._db.query(f"{select} AND account_id IN ({', '.join(['?'] * len(chunk))})", chunk)
        return rows

    def points(self, columns: Mapping[str, Any]) -> list[HistoryPoint]:
        """The rows of :meth:`read` columns as :class:`HistoryPoint` objects."""
        n = len(columns["score"])
        if n == 0:
            return []
        own = {(s.model_version, s.as_of): s.dimensions for s in self._catalog.snapshots()}
        lookup = {o.override_id: o for o in self._overrides.find(include_inactive=True)}

        def number(name: str, i: int) -> float | None:
            v = float(columns[name][i])
            return None if math.isnan(v) else v

        def text(name: str, i: int) -> str | None:
            return str(columns[name][i]) or None

        points = []
        for i in range(n):
            version, day = str(columns["model_version"][i]), str(columns["as_of"][i])
            points.append(
                HistoryPoint(
                    account_id=str(columns["account_id"][i]),
                    as_of=day,
                    model_version=version,
                    score=number("score", i),
                    band=text("band", i),
                    alert=text("alert", i),
                    coverage=float(columns["coverage"][i]),
                    dimensions={name: number(_dimension_key(name), i) for name in own.get((version, day), ())},
                    drivers=tuple(columns["drivers"][i]),
                    arr=number("arr", i),
                    segment=text("segment", i),
                    name=text("name", i),
                    parent_id=text("parent_id", i),
                    level=int(columns["level"][i]),
                    own_score=number("own_score", i),
                    override=lookup.get(str(columns["override_id"][i])),
                    computed_score=number("computed_score", i),
                    computed_band=text("computed_band", i),
                    computed_alert=text("computed_alert", i),
                )
            )
        return points

    def trend_columns(self, as_of: Any, *, model: AnyModel | str | None, lookback_days: float) -> dict[str, Any]:
        day = _iso_date(as_of)
        version = _version_of(model) or self._catalog.latest_version(day) or ""
        horizon = _time.day_text(_time.utc_day(day, "as_of") - math.ceil(lookback_days))
        start = self._catalog.latest_as_of(version, horizon)
        recent = self.read(model=version, since=start, until=day, account_id=None, fields="scores")
        if start is None:
            return recent  # nothing that old: the window is all of history
        covered = set(recent["account_id"][recent["as_of"] == start].tolist())
        missing = sorted(set(recent["account_id"].tolist()) - covered)
        if not missing:
            return recent
        before = _time.day_text(_time.utc_day(start, "hs_runs.as_of") - 1)
        older = self.read(model=version, since=None, until=before, account_id=missing, fields="scores")
        return {k: np.concatenate([older[k], recent[k]]) for k in recent}

    def _snapshot_of(self, as_of: Any, model: AnyModel | str | None) -> tuple[str, str] | None:
        """The (model version, date) of the snapshot :meth:`snapshot_columns`
        reads; ``None`` when no snapshot is that old."""
        day = None if as_of is None else _iso_date(as_of)
        version = _version_of(model) or self._catalog.latest_version(day)
        latest = None if version is None else self._catalog.latest_as_of(version, day)
        return None if version is None or latest is None else (version, latest)

    def snapshot_columns(self, as_of: Any, *, model: AnyModel | str | None) -> dict[str, Any]:
        found = self._snapshot_of(as_of, model)
        if found is None:  # no such snapshot: empty columns
            return self.read(model="", since=None, until=None, account_id=None, fields="all")
        version, latest = found
        return self.read(model=version, since=latest, until=latest, account_id=None, fields="all")

    def inputs(self, as_of: Any, *, model: AnyModel | str | None, account_id: str | None) -> dict[str, Any]:
        found = self._snapshot_of(as_of, model)
        if found is None:
            return {"account_id": np.zeros(0, dtype=object)}
        version, day = found
        metrics_sql = "NULL" if ("hs_runs", "metrics") in self._absent else "metrics"
        ((run_id, metrics),) = self._db.query(
            f"SELECT run_id, {metrics_sql} FROM hs_runs WHERE model_version = ? AND as_of = ?", (version, day)
        )
        run = {int(run_id): _Run(as_of=day, version=version, dimensions=())}
        rows = self._score_rows(run, ["account_id", "segment", "inputs"], account_id)
        rows.sort(key=lambda row: str(row[0]))  # the order of snapshot_columns: by account id
        ids = np.array([row[0] for row in rows], dtype=object)
        if metrics is None:  # written without inputs
            return {"account_id": ids}
        stored = self._catalog.model(version)
        out: dict[str, Any] = {"account_id": ids}
        if isinstance(stored, SegmentedModel):
            out[stored.segment_column] = np.array([row[1] or None for row in rows], dtype=object)
        out.update(_input_columns(json.loads(metrics), [row[2] for row in rows], _label_metrics(stored)))
        return out

    def export(
        self, path: str | os.PathLike[str], *, model: AnyModel | str | None, since: Any, until: Any, kind: str | None
    ) -> int:
        target = Path(path)
        kind = kind or ("parquet" if target.suffix.lower() in {".parquet", ".pq"} else "csv")
        if kind not in ("csv", "parquet"):
            raise ValidationError("format", "must be 'csv' or 'parquet'", kind)
        columns = self.read(model=model, since=since, until=until, account_id=None, fields="all")
        return _write_table(columns, target, kind)


def _input_columns(metrics: Sequence[str], cells: Sequence[str | None], labels: set[str]) -> dict[str, Any]:
    """Stored raw inputs (JSON arrays, one per account) as columns: numeric
    metrics float64 with NaN where missing, label metrics object arrays with
    ``None``. The arrays are parsed as one document, and the columns cut from
    one object matrix (the fast way for a whole snapshot)."""
    empty = json.dumps([None] * len(metrics))
    rows = json.loads("[" + ",".join(empty if text is None else text for text in cells) + "]")
    table = np.empty((len(rows), len(metrics)), dtype=object)
    if rows:
        table[:] = rows
    return {
        name: table[:, j].copy() if name in labels else table[:, j].astype(np.float64) for j, name in enumerate(metrics)
    }


def _columns(raw: Mapping[str, list[Any]], runs: Mapping[int, _Run], fields: str) -> dict[str, Any]:
    """``hs_scores`` cells as the columns of :meth:`HistoryStore.read`, the
    runs' dates and versions joined in; with every field, ordered by date,
    then account."""
    run_ids = np.array(raw["run_id"], dtype=np.int64)
    order_runs = sorted(runs)
    run_day = np.array([runs[r].as_of for r in order_runs], dtype=object)
    run_version = np.array([runs[r].version for r in order_runs], dtype=object)
    position = np.searchsorted(np.array(order_runs, dtype=np.int64), run_ids)
    out: dict[str, Any] = {
        "account_id": np.array(raw["account_id"], dtype=object),
        "as_of": run_day[position] if len(run_ids) else np.zeros(0, dtype=object),
        "model_version": run_version[position] if len(run_ids) else np.zeros(0, dtype=object),
        "score": _floats(raw["score"]),
    }
    if fields == "scores":
        return out
    out["band"] = _texts(raw["band"])
    out["alert"] = _texts(raw["alert"])
    out["coverage"] = _floats(raw["coverage"])
    out["arr"] = _floats(raw["arr"])
    out["segment"] = _texts(raw["segment"])
    out["name"] = _texts(raw["name"])
    out["parent_id"] = _texts(raw["parent_id"])
    out["level"] = np.array([0 if v is None else int(v) for v in raw["level"]], dtype=np.int64)
    out["own_score"] = _floats(raw["own_score"])
    out["drivers"] = np.fromiter((tuple(json.loads(d)) for d in raw["drivers"]), dtype=object, count=len(run_ids))
    for name in dict.fromkeys(name for r in order_runs for name in runs[r].dimensions):
        values = np.full(len(run_ids), math.nan)
        for run in order_runs:
            dims = runs[run].dimensions
            if name in dims:
                rows_of_run = run_ids == run
                values[rows_of_run] = _floats(raw[f"d{dims.index(name) + 1}"])[rows_of_run]
        out[_dimension_key(name)] = values
    if len(run_ids):
        order = np.lexsort((out["account_id"].astype(str), out["as_of"].astype(str)))
        out = {k: v[order] for k, v in out.items()}
    return out


# -- the store ------------------------------------------------------------------------------


class HistoryStore:
    """The history interface, over a database backend.

    The store composes small units over one backend: the schema set-up and
    migrations, a catalogue of models and snapshots, the overrides and a
    reader; it writes snapshots itself. Its public methods delegate.

    Use :class:`SQLiteHistory`, :class:`PostgresHistory` or
    :func:`open_history`; every store is a context manager.
    """

    def __init__(self, backend: _Backend) -> None:
        """A store over an open backend: creates or migrates the tables (and
        closes the backend when that fails)."""
        self._backend = backend
        try:
            with backend.setup_lock():
                _create_or_migrate(backend, repr(self))
        except BaseException:
            backend.close()
            raise
        self._catalog = _Catalog(backend)
        self._overrides = _Overrides(backend, self._catalog)
        self._reads = _CsmReads(backend)
        self._reader = _Reader(backend, self._catalog, self._overrides)

    # -- backend ----------------------------------------------------------------------------

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._backend.query(sql, params)

    def _transaction(self, *, write_lock: bool = True) -> AbstractContextManager[None]:
        return _transaction(self._backend, write_lock=write_lock)

    def _insert_scores(self, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        self._backend.insert_rows("hs_scores", columns, rows)

    def _version(self, model: AnyModel | str | None) -> str | None:
        return _version_of(model)

    def close(self) -> None:
        """Close the connection."""
        self._backend.close()

    def __enter__(self) -> HistoryStore:
        """The store itself."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the store."""
        self.close()

    # -- writing ----------------------------------------------------------------------------

    def write_snapshot(
        self,
        model: AnyModel,
        as_of: Any,
        account_ids: Sequence[Any] | Any,
        scores: BatchScores | RolledScores,
        *,
        arr: Sequence[float] | Any | None = None,
        names: Sequence[str | None] | Any | None = None,
        inputs: Mapping[str, Any] | Any | None = None,
        segments: Sequence[str | None] | Any | None = None,
    ) -> int:
        """Store the scores of every account as of ``as_of``, in one transaction.

        Writing the same ``as_of`` with the same model again replaces the earlier
        snapshot; another model version is kept apart. Manual overrides are not
        touched: they keep applying to reads until they expire.

        With ``inputs`` the snapshot also keeps the raw value of each of the
        model's metrics (for a segmented model, of every segment's), so that
        :meth:`inputs` gives them back and the stored model scores them again
        to the same numbers.

        Given the :class:`~healthscore.hierarchy.RolledScores` of
        :func:`~healthscore.hierarchy.roll_up`, the snapshot stores each
        parent's rolled-up score, band, alert, coverage and drivers (``score``
        and the rest), and beside them every account's own score
        (``own_score``), parent (``parent_id``) and depth (``level``): the
        trends, the action queue and the dashboard then follow the rolled-up
        scores.

        Args:
            model: The model that produced ``scores`` (its fingerprint is the version).
            as_of: The scoring date.
            account_ids: One id per account, in ``scores`` order (unique).
            scores: The result of ``model.score_batch`` (with ``drivers=k`` to
                keep the top drivers for the action queue), or of
                ``hierarchy.roll_up`` over it.
            arr: ARR per account, in ``scores`` order (NaN where unknown).
            names: A display name per account, in ``scores`` order (``None``
                or ``""`` where there is none).
            inputs: The columns given to ``score_batch`` (a mapping of column
                -> array, or a pandas / polars / pyarrow data frame). The
                model's metrics are kept, in the model's metric order: numbers
                as numbers, labels as given, missing and non-finite values as
                null; a metric without a column is null; other columns are
                ignored.
            segments: A segment per account, for the dashboard's and the
                queue's filters (a segmented model's scores carry their own,
                which win).

        Returns:
            The number of accounts written.

        Raises:
            InputError: A duplicate or missing account id, or ``arr``,
                ``names`` or an ``inputs`` column not of one value per account
                (the message names it), or a text in a numeric metric's
                column.
        """
        day = _iso_date(as_of)
        rolled = scores if isinstance(scores, RolledScores) else None
        scores = scores.scores if isinstance(scores, RolledScores) else scores
        ids, money = _snapshot_ids_and_arr(account_ids, scores, arr)
        n = len(ids)
        metrics, raw = _input_cells(model, inputs, n)
        version = model_fingerprint(model)
        config = json.dumps(model_to_dict(model))
        dims = json.dumps(list(scores.dimensions))
        segment_cells = _name_cells(segments, n, "segments")
        tree = _tree_cells(ids, rolled)
        columns, data = _score_rows(ids, scores, money, _name_cells(names, n), raw, segment_cells, tree)
        with self._transaction():
            self._query(
                "INSERT INTO hs_models (version, name, config) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (version, model.name, config),
            )
            have = self._backend.columns_of("hs_scores")
            for k in range(1, len(scores.dimensions) + 1):
                if f"d{k}" not in have:
                    self._query(f"ALTER TABLE hs_scores ADD COLUMN d{k} DOUBLE PRECISION")
            run_id = self._empty_run(version, day, n, dims, metrics)
            self._insert_scores(columns, zip([run_id] * n, *data, strict=True))
        return n

    def _empty_run(self, version: str, day: str, accounts: int, dims: str, metrics: str | None) -> int:
        """The id of ``version``'s run dated ``day``, its old scores deleted, or
        of a new run; inside the write's transaction."""
        found = self._query("SELECT run_id FROM hs_runs WHERE model_version = ? AND as_of = ?", (version, day))
        if found:
            run_id = int(found[0][0])
            self._query("DELETE FROM hs_scores WHERE run_id = ?", (run_id,))
            self._query(
                "UPDATE hs_runs SET accounts = ?, dimensions = ?, written_at = ?, metrics = ? WHERE run_id = ?",
                (accounts, dims, _now(), metrics, run_id),
            )
            return run_id
        ((last,),) = self._query("SELECT COALESCE(MAX(run_id), 0) FROM hs_runs")
        self._query(
            "INSERT INTO hs_runs (run_id, model_version, as_of, accounts, dimensions, written_at, metrics) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (int(last) + 1, version, day, accounts, dims, _now(), metrics),
        )
        return int(last) + 1

    # -- overrides --------------------------------------------------------------------------

    def set_override(
        self,
        account_id: str,
        *,
        reason: str,
        author: str,
        expires: Any,
        score: float | None = None,
        band: str | None = None,
        starts: Any = None,
    ) -> Override:
        """Set a manual score and/or band for an account until ``expires``.

        The override applies to every snapshot dated from ``starts`` (default:
        today, UTC) up to, not including, ``expires``; later overrides of the
        same account win over earlier ones. A score alone also sets the band and
        alert level from the model's policies; a band sets itself and the alert
        it implies (the alert of the band's ``min_score``, see
        :func:`_implied_alert`) and keeps the score unless one is given.

        Raises:
            ValidationError: No score and no band, a score outside 0..100, a
                blank reason or author, or ``expires`` not after ``starts``.
        """
        return self._overrides.add(
            account_id, reason=reason, author=author, expires=expires, score=score, band=band, starts=starts
        )

    def revoke_override(self, override_id: str, *, author: str, when: Any = None) -> Override:
        """End an override early (from ``when``, default now); it stays on record.

        Raises:
            InputError: No override has that id.
        """
        return self._overrides.revoke(override_id, author=author, when=when)

    def overrides(self, *, account_id: str | None = None, include_inactive: bool = False) -> list[Override]:
        """Overrides, oldest first: by default only those active today."""
        return self._overrides.find(account_id=account_id, include_inactive=include_inactive)

    # -- the CSM's reads --------------------------------------------------------------------

    def record_csm_read(
        self, account_id: str, *, rating: int | str, author: str, note: str = "", as_of: Any = None
    ) -> CsmRead:
        """Record a CSM's read of an account, beside its computed score.

        The read changes no score, band or alert, stored or read (an override
        does that: :meth:`set_override`); it is shown beside them, compared
        with the band (:func:`csm_disagreement`) and enters a score only
        through a model metric named :data:`CSM_READ_METRIC`
        (:meth:`csm_read_column`). A later read of the same account and date
        supersedes an earlier one; both stay on record.

        Args:
            account_id: The account.
            rating: 1 (worst) to 5 (best), or ``"red"``, ``"yellow"``, ``"green"``.
            author: Who made the read.
            note: Why, in their words.
            as_of: The date the read holds for (default: today, UTC).

        Returns:
            The read as stored.

        Raises:
            ValidationError: A rating off both scales, a blank account or
                author, or a date that cannot be read; the message names the
                field and the value.

        Examples:
            >>> with SQLiteHistory(":memory:") as store:
            ...     read = store.record_csm_read("acme", rating="red", author="kim", note="champion left",
            ...                                  as_of="2026-06-30")
            ...     [(r.account_id, r.colour, r.note) for r in store.csm_reads()]
            [('acme', 'red', 'champion left')]
        """
        read = CsmRead(
            account_id=account_id,
            rating=rating,
            author=author,
            note=note,
            as_of=_time.today() if as_of is None else as_of,
        )
        return self._reads.add(read)

    def csm_reads(self, account_id: str | None = None, as_of: Any = None, *, latest: bool = False) -> list[CsmRead]:
        """The CSM's reads dated on or before ``as_of`` (default: all), of one
        account or of all, oldest first; with ``latest``, only the latest read
        of each account (by date, then by when it was recorded), by account id.
        A store of schema 4 or older opened read-only has none."""
        return self._reads.find(account_id=account_id, as_of=as_of, latest=latest)

    def csm_read_column(self, account_ids: Sequence[Any] | Any, as_of: Any = None) -> Any:
        """The latest read of each account as of ``as_of`` on the 1-5 scale
        (:attr:`CsmRead.level`), NaN where an account has none: the input
        column of a model metric named :data:`CSM_READ_METRIC`, for a model
        that scores the CSM's read (``columns["csm_read"] = store.csm_read_column(ids, day)``).

        Examples:
            >>> with SQLiteHistory(":memory:") as store:
            ...     _ = store.record_csm_read("a", rating=4, author="kim", as_of="2026-06-01")
            ...     store.csm_read_column(["a", "b"], "2026-06-30").tolist()
            [4.0, nan]
        """
        levels = {r.account_id: float(r.level) for r in self.csm_reads(as_of=as_of, latest=True)}
        ids = np.asarray(to_numpy(account_ids), dtype=object).reshape(-1).tolist()
        return np.array([levels.get(str(a), math.nan) for a in ids], dtype=np.float64)

    # -- the catalogue ----------------------------------------------------------------------

    def model(self, version: str) -> AnyModel:
        """The model stored under a version (fingerprint).

        Raises:
            InputError: No snapshot was written with that version.
        """
        return self._catalog.model(version)

    def snapshots(self) -> list[SnapshotInfo]:
        """Every stored snapshot, oldest first."""
        return self._catalog.snapshots()

    def latest_version(self, as_of: Any = None) -> str | None:
        """The model version of the latest snapshot at or before ``as_of``
        (default: the latest of all); ``None`` when there is none."""
        return self._catalog.latest_version(as_of)

    # -- reading ----------------------------------------------------------------------------

    def read(
        self,
        *,
        model: AnyModel | str | None = None,
        since: Any = None,
        until: Any = None,
        account_id: str | Sequence[str] | None = None,
        fields: Literal["all", "scores"] = "all",
    ) -> dict[str, Any]:
        """Stored snapshots as columns (NumPy arrays), ordered by as-of date, then account.

        Args:
            model: One model version only (a model or its fingerprint); default all.
            since, until: Only snapshots dated within (inclusive).
            account_id: One account only, or a list of accounts.
            fields: ``"all"``; or ``"scores"`` for just ``account_id``,
                ``as_of``, ``model_version`` and ``score`` (fast, for trends;
                overrides of the score applied).

        Returns:
            ``account_id``, ``as_of``, ``model_version``, ``score``, ``band``,
            ``alert`` (values in force), ``computed_score``, ``computed_band``,
            ``computed_alert``, ``override_id`` (``""`` where none applied),
            ``coverage``, ``arr``, ``segment``, ``name`` (the account's display
            name), ``drivers`` (tuples) and one
            column per dimension name (NaN where a snapshot has no such
            dimension; ``dimension_<name>`` for a dimension named like one of
            the other columns). Texts are object arrays, ``""`` where empty.
            With ``fields="scores"`` the rows come in no particular order.
        """
        return self._reader.read(model=model, since=since, until=until, account_id=account_id, fields=fields)

    def series(self, account_id: str, *, model: AnyModel | str | None = None) -> AccountHistory:
        """One account's snapshots over time, oldest first (optionally one model
        version only: a model or its fingerprint), as an :class:`AccountHistory`
        that knows the bands of the latest snapshot's model."""
        points = self._reader.points(self.read(model=model, account_id=str(account_id)))
        if not points:
            return AccountHistory()
        latest = points[-1]
        return AccountHistory(points, bands=_policies_for(self.model(latest.model_version), latest.segment).bands)

    def portfolio(self, as_of: Any = None, *, model: AnyModel | str | None = None) -> list[HistoryPoint]:
        """The portfolio as it stood on ``as_of``: every account of the latest
        snapshot at or before that date (of one model version: the given one,
        else the version of the latest snapshot). Default: the latest snapshot."""
        return self._reader.points(self.snapshot_columns(as_of, model=model))

    def trend_columns(
        self, as_of: Any, *, model: AnyModel | str | None = None, lookback_days: float = 90.0
    ) -> dict[str, Any]:
        """What :func:`healthscore.trends.trends` needs as of ``as_of``, read
        without scanning all of history: account, date and score of every
        snapshot from the last one at least ``lookback_days`` old, plus, for
        accounts missing from that window's start, their older scores. An
        account with no snapshot inside the window is left out (it is in no
        recent snapshot either); for every other account the trends equal those
        computed from all of history (a test checks).

        Args:
            as_of: The trends' date.
            model: One model version (default: the latest snapshot's at ``as_of``).
            lookback_days: How far back the trends look (90 for 90-day changes;
                more for a longer drop window).
        """
        return self._reader.trend_columns(as_of, model=model, lookback_days=lookback_days)

    def snapshot_columns(self, as_of: Any = None, *, model: AnyModel | str | None = None) -> dict[str, Any]:
        """:meth:`portfolio` as columns (see :meth:`read`); empty columns when
        no snapshot is that old."""
        return self._reader.snapshot_columns(as_of, model=model)

    def inputs(
        self, as_of: Any = None, *, model: AnyModel | str | None = None, account_id: str | None = None
    ) -> dict[str, Any]:
        """The raw inputs of the snapshot :meth:`snapshot_columns` reads (the
        same accounts, in the same order), as the columns its model scores.

        Args:
            as_of: The latest snapshot at or before this date (default: the latest).
            model: One model version (a model or its fingerprint); default:
                the version of the latest snapshot at ``as_of``.
            account_id: That account's row only.

        Returns:
            ``account_id`` and one column per stored metric: numeric metrics
            float64 with NaN where missing, label metrics object arrays with
            ``None``; for a segmented model also its ``segment_column``. A
            snapshot written without inputs (or before schema 4) gives
            ``account_id`` only; no snapshot that old, an empty ``account_id``.

        Examples:
            >>> from healthscore import presets
            >>> model = presets.dear()
            >>> columns = {"deployment": [0.9, 0.2]}
            >>> scored = model.score_batch(columns, missing_columns="missing")
            >>> with SQLiteHistory(":memory:") as store:
            ...     store.write_snapshot(model, "2026-06-30", ["a", "b"], scored, inputs=columns)
            ...     again = model.score_batch(store.inputs())
            2
            >>> again.score.tolist() == scored.score.tolist()
            True
        """
        return self._reader.inputs(as_of, model=model, account_id=account_id)

    def export(
        self,
        path: str | os.PathLike[str],
        *,
        model: AnyModel | str | None = None,
        since: Any = None,
        until: Any = None,
        format: Literal["csv", "parquet"] | None = None,  # noqa: A002 -- the word users know
    ) -> int:
        """Write stored snapshots to a CSV or Parquet file (atomically).

        Columns as :meth:`read` gives them, drivers joined by ``;``. Parquet
        needs the ``arrow`` extra (pyarrow). In CSV, a text cell (an object
        column: ids, dates, bands, ...) that a spreadsheet would run as a
        formula gets a leading ``'`` (``_io.csv_text``); numbers and Parquet
        values are written as they are.

        Returns:
            The number of rows written.
        """
        return self._reader.export(path, model=model, since=since, until=until, kind=format)


def _write_table(columns: dict[str, Any], target: Path, kind: str) -> int:
    """History columns to a CSV or Parquet file, atomically; the row count."""
    columns["drivers"] = np.array([";".join(d) for d in columns["drivers"]], dtype=object)
    order = [
        "account_id", "as_of", "model_version", "score", "band", "alert", "coverage",
        *[k for k in columns if k not in _EXPORT_TAIL and k not in _EXPORT_HEAD],
        *_EXPORT_TAIL,
    ]  # fmt: skip
    n = len(columns["score"])
    if kind == "parquet":
        try:
            import pyarrow as pa  # noqa: PLC0415 -- optional extra
            import pyarrow.parquet as pq  # noqa: PLC0415 -- optional extra
        except ImportError:
            msg = "exporting to Parquet needs pyarrow: pip install 'healthscore[arrow]'"
            raise InputError(msg, column="format", value="parquet") from None
        table = pa.table(
            {
                k: pa.array(columns[k].tolist(), type=pa.string()) if columns[k].dtype == object else columns[k]
                for k in order
            }
        )
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink)
        write_atomic(target, sink.getvalue().to_pybytes())
        return n
    numbers = [k for k in order if columns[k].dtype != object]  # text columns are object arrays
    cells = [
        [("" if math.isnan(v) else repr(v)) for v in columns[k].tolist()]
        if k in numbers
        else ["" if v is None else str(v) for v in columns[k].tolist()]
        for k in order
    ]
    write_atomic(target, csv_text(order, list(zip(*cells, strict=True)), numbers=numbers))
    return n


_EXPORT_HEAD = ("account_id", "as_of", "model_version", "score", "band", "alert", "coverage")
_EXPORT_TAIL = (
    "computed_score", "computed_band", "computed_alert", "override_id", "drivers", "arr", "segment", "name",
)  # fmt: skip


class _SQLiteBackend:
    """SQLite through the standard library, in write-ahead-log mode (or
    read-only, which reads a file it may not write and never changes it)."""

    def __init__(self, path: str, *, create: bool = True, read_only: bool = False) -> None:
        self._read_only = read_only
        in_memory = path == ":memory:"
        if not in_memory:
            _check_sqlite_path(path, create=create and not read_only, read_only=read_only)
        try:
            if read_only and not in_memory:
                uri = _read_only_uri(path)
                self._db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            else:
                self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise InputError(f"history file {path}: cannot open it ({exc})", column="history", value=path) from None
        try:
            tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if read_only and "hs_meta" not in tables:
                msg = f"history file {path} is a SQLite database but not a healthscore history (no hs_meta table)"
                raise InputError(msg, column="history", value=path)
            if not read_only:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute("PRAGMA busy_timeout=30000")
        except sqlite3.Error as exc:
            self._db.close()
            msg = f"history file {path} is not a SQLite history database ({exc})"
            raise InputError(msg, column="history", value=path) from None
        except BaseException:
            self._db.close()
            raise

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._db.execute(sql, tuple(params)).fetchall()

    def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._db.executemany(sql, rows)

    def insert_rows(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        marks = ", ".join(["?"] * len(columns))
        self.execute_many(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    def begin(self, *, write_lock: bool) -> None:
        if self._read_only:  # a reader takes no write lock (and a read-only file allows none)
            self._db.execute("BEGIN")
            return
        self._db.execute("BEGIN IMMEDIATE")  # the database lock: one writer at a time, readers go on

    def columns_of(self, table: str) -> set[str]:
        return {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}

    @property
    def read_only(self) -> bool:
        return self._read_only

    def setup_lock(self) -> AbstractContextManager[None]:
        return nullcontext()  # BEGIN IMMEDIATE already serialises the set-up

    def close(self) -> None:
        self._db.close()


class _PostgresBackend:
    """PostgreSQL through psycopg 3 (``%s`` placeholders, ``COPY`` for bulk rows)."""

    def __init__(self, url: str) -> None:
        try:
            import psycopg  # noqa: PLC0415 -- optional extra
        except ImportError:
            msg = "a PostgreSQL history needs psycopg 3: pip install 'healthscore[postgres]'"
            raise InputError(msg, column="url", value=_redact(url)) from None
        try:
            self._db = psycopg.connect(url, autocommit=True)
        except psycopg.Error as exc:
            msg = f"cannot connect to the history database {_redact(url)}: {exc}"
            raise InputError(msg, column="url", value=_redact(url)) from None

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._db.cursor() as cursor:
            cursor.execute(sql.replace("?", "%s"), tuple(params))
            return list(cursor.fetchall()) if cursor.description is not None else []

    def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self._db.cursor() as cursor:
            cursor.executemany(sql.replace("?", "%s"), list(rows))

    def insert_rows(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        with self._db.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def begin(self, *, write_lock: bool) -> None:
        self.query("BEGIN")
        if write_lock:  # one writer at a time; readers go on
            self.query("LOCK TABLE hs_runs IN SHARE ROW EXCLUSIVE MODE")

    def columns_of(self, table: str) -> set[str]:
        rows = self.query(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = ? AND table_schema = current_schema()",
            (table,),
        )
        return {r[0] for r in rows}

    @property
    def read_only(self) -> bool:
        return False

    @contextmanager
    def setup_lock(self) -> Iterator[None]:
        self.query("SELECT pg_advisory_lock(4242)")  # two processes creating the tables at once
        try:
            yield
        finally:
            self.query("SELECT pg_advisory_unlock(4242)")

    def close(self) -> None:
        self._db.close()


class SQLiteHistory(HistoryStore):
    """Score history in a SQLite file (``":memory:"`` for a throwaway store)."""

    def __init__(self, path: str | os.PathLike[str], *, create: bool = True, read_only: bool = False) -> None:
        """Open the store at ``path``; create the file when it is missing and
        ``create`` is true. ``read_only`` opens it for reading only: the file
        must exist, and writes fail.

        Raises:
            InputError: The file is missing (and not to be created), is a
                folder, lies in a missing folder, is not a SQLite database,
                or cannot be opened; the message names the path.
        """
        self.path = str(path)
        backend = _SQLiteBackend(self.path, create=create, read_only=read_only)
        try:
            super().__init__(backend)
        except sqlite3.Error as exc:
            what = "cannot be changed: it is open read-only" if read_only else "cannot be set up"
            msg = f"history file {self.path} {what} ({exc})"
            raise InputError(msg, column="history", value=self.path) from None

    def __repr__(self) -> str:
        return f"SQLiteHistory({self.path!r})"


class PostgresHistory(HistoryStore):
    """Score history in PostgreSQL (extra ``postgres``: psycopg 3).

    Args:
        url: A libpq connection string or ``postgresql://`` URL.
    """

    def __init__(self, url: str) -> None:
        """Connect, and create the tables when they are missing."""
        self.url = url
        super().__init__(_PostgresBackend(url))

    def __repr__(self) -> str:
        return f"PostgresHistory({_redact(self.url)!r})"


def _redact(url: str) -> str:
    """A connection URL without its password."""
    if "://" in url and "@" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in credentials else url
    return url


def open_history(target: str | os.PathLike[str], *, create: bool = True, read_only: bool = False) -> HistoryStore:
    """A history store: PostgreSQL for a ``postgresql://`` (or ``postgres://``)
    URL, else a SQLite file at that path.

    Args:
        target: A SQLite file path (``":memory:"`` for a throwaway store) or a
            PostgreSQL URL.
        create: Create a SQLite file that does not exist (a command that only
            reads passes ``False``, so a mistyped path is an error, not a new
            empty history).
        read_only: Open a SQLite file for reading only: it must exist, it may
            be a file this process cannot write, and writes fail.

    Raises:
        InputError: The file does not exist and ``create`` is false (or
            ``read_only``), or it cannot be opened as a history.

    Examples:
        >>> with open_history(":memory:") as store:
        ...     store.snapshots()
        []
    """
    text = os.fspath(target)
    if text.startswith(("postgresql://", "postgres://")):
        return PostgresHistory(text)
    return SQLiteHistory(text, create=create, read_only=read_only)


def _read_only_uri(path: str) -> str:
    """The URI that reads ``path`` without writing it. A file in write-ahead-log
    mode needs its ``-shm`` index beside it; where the folder cannot take one
    and there is no log to read, the file is read as it stands (immutable)."""
    target = Path(path).absolute()
    uri = f"{target.as_uri()}?mode=ro"
    folder_writable = os.access(target.parent, os.W_OK | os.X_OK)
    shm = Path(f"{target}-shm")
    if folder_writable or shm.exists():
        return uri
    wal = Path(f"{target}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        msg = (
            f"history file {path}: its write-ahead log {wal.name} has changes not yet in the file, and the folder "
            f"{target.parent} is not writable, so they cannot be read; open it once where it can be written"
        )
        raise InputError(msg, column="history", value=path)
    return f"{uri}&immutable=1"


def _check_sqlite_path(path: str, *, create: bool, read_only: bool) -> None:
    """A clear error for a SQLite path that cannot be a history file."""
    target = Path(path)
    if path == "":
        raise InputError("history file: the path is empty", column="history", value=path)
    if target.is_dir():
        raise InputError(f"history file {path} is a folder, not a file", column="history", value=path)
    if not target.exists():
        if not target.parent.is_dir():
            msg = f"history file {path}: the folder {target.parent} does not exist"
            raise InputError(msg, column="history", value=path)
        if not create:
            msg = f"history file {path} does not exist (only a command that writes, like score --history, creates it)"
            raise InputError(msg, column="history", value=path)
    elif not read_only and not os.access(target, os.W_OK):
        msg = f"history file {path} is read-only: this command writes to it"
        raise InputError(msg, column="history", value=path)


class AccountHistory(list[HistoryPoint]):
    """One account's snapshots, oldest first: a list of :class:`HistoryPoint`
    (equal to a plain list of the same points) that shows itself in a notebook
    as its score over time on the bands' colours, drop alerts and overrides
    marked.

    Attributes:
        bands: The band policy of the latest snapshot's model (set by
            :meth:`HistoryStore.series`); ``None``: the default bands.

    Examples:
        >>> from healthscore import presets
        >>> model = presets.dear()
        >>> with SQLiteHistory(":memory:") as store:
        ...     for day, value in [("2026-05-31", 0.9), ("2026-06-30", 0.3)]:
        ...         _ = store.write_snapshot(model, day, ["a"], model.score_batch(
        ...             {"deployment": [value]}, missing_columns="missing"))
        ...     series = store.series("a")
        >>> len(series), series.bands == model.bands, "drop alert" in series.to_html()
        (2, True, True)
    """

    def __init__(self, points: Iterable[HistoryPoint] = (), *, bands: BandPolicy | None = None) -> None:
        super().__init__(points)
        self.bands = bands

    def to_html(self, lang: str = "en") -> str:
        """The history as an HTML display (needs Jinja2: the ``report``
        extra): the score line on the bands' colours, drop alerts
        (:class:`~healthscore.trends.DropRule`, as of each snapshot) and
        overrides marked, and one table row per snapshot."""
        return _html.history_html(self, bands=self.bands, lang=lang)

    def _repr_html_(self) -> str:
        """The notebook display: :meth:`to_html`, or one line per snapshot without Jinja2."""
        return _html.notebook(self.to_html, lambda: _html.history_text(self))
