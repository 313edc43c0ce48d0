"""Raw exports in: accounts, product events, CRM activities, invoices, tickets,
surveys, goals and delivered value, checked row by row by an embedded DuckDB
database (``pip install 'healthscore[exports]'``).

:func:`read_exports` reads a folder of ``<table>.csv`` / ``<table>.parquet``
files (or ``<table>/`` folders of part files), a glob, a DuckDB database file,
or a mapping of table name -> data frame (pandas, polars, arrow) or mapping of
columns. Parquet files and DuckDB tables are read by DuckDB where they lie;
every column's rule is a condition of one SQL query per table, and text cells
holding numbers or timestamps are parsed by the one number and date rules
(called by DuckDB). A Parquet table whose rows are all good as they lie stays
a view over its files (found by one counting scan); the others are checked
into the database. Every table but ``accounts`` is optional; a signal whose
table is absent is *missing*, never zero. A ``.csv`` or ``.parquet`` file that
is not one of the tables (``event.csv``) is an error naming the closest table
name: it is never left unread in silence.

A text cell is stripped of the ASCII blanks at either end -- space, tab, line
feed, carriage return, vertical tab and form feed -- and a cell left empty is
missing. Every other character is kept, at the ends too: a non-breaking space
(U+00A0), other Unicode spaces and control characters are part of the value
(Python's ``str.strip()`` would remove U+00A0 and U+3000; this rule does not,
whatever format the cell came in).

Timestamps are ISO 8601 (a date, or a date and time with an optional ``Z`` or
``+HH:MM`` offset) and are normalised to UTC seconds. Bad rows -- an
unparseable timestamp or number, an unknown ``account_id``, a negative seat
count, a duplicate ``invoice_id``, a value outside a column's choices -- are an
error naming the file, the line, the column and the value; with
``on_bad_rows="report"`` every bad row is set aside in :attr:`Exports.rejected`
with its reason instead, and the rest is read. Nothing is dropped silently.

Examples:
    >>> from healthscore.exports import read_exports
    >>> ex = read_exports({
    ...     "accounts": {"account_id": ["a"], "segment": ["smb"], "seats_purchased": [10],
    ...                  "arr": [12000], "contract_term_months": [12]},
    ...     "events": {"account_id": ["a", "a"], "user_id": ["u1", "u2"],
    ...                "timestamp": ["2026-01-05", "2026-01-06T10:00:00+02:00"], "feature": ["reports", "alerts"]},
    ... })
    >>> ex.tables["events"]["timestamp"].tolist()
    [1767571200, 1767686400]
    >>> sorted(ex.tables)
    ['accounts', 'events']
"""

from __future__ import annotations

import difflib
import math
import os
import shutil
import tempfile
import weakref
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import attrs
import numpy as np

from healthscore import _time
from healthscore._frames import column_names, family_of, table_columns
from healthscore._io import null_hint, read_csv
from healthscore.exceptions import InputError

__all__ = [
    "TABLES",
    "BadRows",
    "ColumnSpec",
    "Exports",
    "RejectedRow",
    "TableSpec",
    "engine_error",
    "is_exports_path",
    "parse_timestamps",
    "read_exports",
    "read_table_csv",
]

BadRows = Literal["error", "report"]
"""What to do with a bad row: stop with an error, or set it aside and go on."""

ColumnKind = Literal["id", "text", "number", "timestamp"]

SECONDS_PER_DAY = _time.SECONDS_PER_DAY


@attrs.frozen(kw_only=True)
class ColumnSpec:
    """One column of an export table.

    Attributes:
        name: Column name.
        kind: ``"id"`` / ``"text"`` (kept as text), ``"number"`` (float64),
            ``"timestamp"`` (UTC seconds, int64).
        required: Whether the table must have this column.
        missing_ok: Whether a cell may be empty (an empty required id, number
            or timestamp is a bad row otherwise).
        choices: Allowed values (case-insensitive), for text columns.
        minimum: Smallest allowed value, for numbers.
        maximum: Largest allowed value, for numbers.
    """

    name: str
    kind: ColumnKind
    required: bool = True
    missing_ok: bool = False
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None


@attrs.frozen(kw_only=True)
class TableSpec:
    """One export table: its columns, and the column whose values must be unique."""

    name: str
    columns: tuple[ColumnSpec, ...]
    unique: str | None = None

    def column(self, name: str) -> ColumnSpec:
        """The spec of column ``name``."""
        return next(c for c in self.columns if c.name == name)


def _id(name: str = "account_id") -> ColumnSpec:
    return ColumnSpec(name=name, kind="id")


TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            name="accounts",
            unique="account_id",
            columns=(
                _id(),
                ColumnSpec(name="segment", kind="text", missing_ok=True),
                ColumnSpec(name="name", kind="text", required=False, missing_ok=True),
                ColumnSpec(name="seats_purchased", kind="number", minimum=0.0, missing_ok=True),
                ColumnSpec(name="arr", kind="number", minimum=0.0, missing_ok=True),
                ColumnSpec(name="contract_term_months", kind="number", minimum=0.0, missing_ok=True),
                ColumnSpec(name="parent_id", kind="id", required=False, missing_ok=True),
            ),
        ),
        TableSpec(
            name="events",
            columns=(
                _id(),
                _id("user_id"),
                ColumnSpec(name="timestamp", kind="timestamp"),
                ColumnSpec(name="feature", kind="text"),
                ColumnSpec(name="event", kind="text", required=False, missing_ok=True),
            ),
        ),
        TableSpec(
            name="crm_activities",
            columns=(
                _id(),
                ColumnSpec(name="timestamp", kind="timestamp"),
                ColumnSpec(
                    name="kind",
                    kind="text",
                    choices=(
                        "meeting",
                        "qbr",
                        "email_out",
                        "email_reply",
                        "reference",
                        "case_study",
                        "expansion_talk",
                        "qbr_cancelled",
                    ),
                ),
                ColumnSpec(
                    name="persona", kind="text", choices=("operational", "manager", "executive"), missing_ok=True
                ),
            ),
        ),
        TableSpec(
            name="invoices",
            unique="invoice_id",
            columns=(
                _id(),
                _id("invoice_id"),
                ColumnSpec(name="due_date", kind="timestamp"),
                ColumnSpec(name="paid_date", kind="timestamp", missing_ok=True),
                ColumnSpec(name="amount", kind="number", missing_ok=True),
            ),
        ),
        TableSpec(
            name="tickets",
            unique="ticket_id",
            columns=(
                _id(),
                _id("ticket_id"),
                ColumnSpec(name="opened_at", kind="timestamp"),
                ColumnSpec(name="closed_at", kind="timestamp", required=False, missing_ok=True),
                ColumnSpec(name="text", kind="text", required=False, missing_ok=True),
                ColumnSpec(name="sentiment", kind="number", required=False, missing_ok=True, minimum=-1.0, maximum=1.0),
            ),
        ),
        TableSpec(
            name="surveys",
            columns=(
                _id(),
                ColumnSpec(name="respondent", kind="id", missing_ok=True),
                ColumnSpec(name="timestamp", kind="timestamp"),
                ColumnSpec(name="kind", kind="text", choices=("nps", "csat")),
                # an NPS answer is 0..10 and a CSAT answer 1..5: no answer is above 10
                ColumnSpec(name="value", kind="number", minimum=0.0, maximum=10.0),
            ),
        ),
        TableSpec(
            name="goals",
            columns=(
                _id(),
                ColumnSpec(name="goal", kind="text"),
                ColumnSpec(name="target", kind="number"),
                ColumnSpec(name="actual", kind="number", missing_ok=True),
                ColumnSpec(name="timestamp", kind="timestamp", required=False, missing_ok=True),
            ),
        ),
        TableSpec(
            name="value",
            columns=(
                _id(),
                ColumnSpec(name="timestamp", kind="timestamp"),
                ColumnSpec(name="value_delivered", kind="number"),
            ),
        ),
    )
}
"""Every export table healthscore reads, with its columns."""


@attrs.frozen(kw_only=True)
class RejectedRow:
    """A row set aside by ``on_bad_rows="report"``.

    Attributes:
        table: Export table name.
        source: File (or ``<table>`` for in-memory data).
        line: Line in the file (the header is line 1), or row number + 1.
        column: The offending column.
        value: The offending value, as text.
        reason: The rule it broke.
    """

    table: str
    source: str
    line: int
    column: str
    value: str
    reason: str

    def message(self) -> str:
        """One line naming file, line, column, value and rule."""
        return f"{self.source} line {self.line}, column {self.column!r}: {self.reason} (value {self.value!r})"


@attrs.frozen(kw_only=True, eq=False)
class Exports:
    """Validated export tables, held by an embedded DuckDB database.

    Each table present is a relation of that database, under its own name
    (``accounts``, ``events``, ...), with the columns of :data:`TABLES`:
    ``account_id`` is each row's position in ``accounts`` (a whole number),
    ids and text are ``VARCHAR``, numbers ``DOUBLE``, timestamps ``BIGINT`` UTC
    seconds, an empty cell ``NULL``, and ``_src`` / ``_line`` say where each row
    came from. ``accounts`` also keeps the id as ``account_key``. A Parquet
    table whose every row is good as it lies is a view over its files, scanned
    in parallel and out of core by each query (:meth:`check_unchanged` refuses
    files changed since); any other table is checked into the database (spilled
    to disk past ``memory_limit``) and its relation holds the good rows.

    :attr:`tables` gives the same tables as NumPy columns, read on first use.

    Attributes:
        db: The DuckDB connection (``duckdb.DuckDBPyConnection``); use
            ``db.cursor()`` to query it from another thread.
        present: The tables provided, in :data:`TABLES` order.
        columns: Table -> the columns its source has (the others are all ``NULL``).
        sources: Table -> where it was read from (a file, a glob, ``<table>``).
        rejected: Rows set aside by ``on_bad_rows="report"``.
        family: The data frame family the tables came in (``"mapping"`` for files).
    """

    db: Any = attrs.field(repr=False)
    present: tuple[str, ...]
    columns: dict[str, tuple[str, ...]]
    sources: dict[str, str]
    rejected: tuple[RejectedRow, ...] = ()
    family: str = "mapping"
    _cache: dict[str, Any] = attrs.field(factory=dict, repr=False, alias="_cache")
    _stamps: tuple[tuple[str, int, int], ...] = attrs.field(default=(), repr=False, alias="_stamps")
    """Each file a view reads, with its size and modification time as checked."""

    def has(self, table: str) -> bool:
        """Whether the table was provided."""
        return table in self.present

    def rows(self, table: str) -> int:
        """Number of rows of ``table`` (0 when absent)."""
        if table not in self.present:
            return 0
        self.check_unchanged()
        (count,) = self.db.cursor().execute(f"SELECT COUNT(*) FROM {_quote(table)}").fetchone()
        return int(count)

    @property
    def tables(self) -> dict[str, dict[str, Any]]:
        """Table -> column -> NumPy array, in each source's row order.

        Ids and text are str arrays (``""`` for empty cells), numbers float64
        (NaN for empty), timestamps int64 UTC seconds (:data:`MISSING_TIME` for
        empty); every table also has :data:`ACCOUNT_INDEX`, each row's position
        in ``accounts``. Read from the database on first use (for a large event
        table, that is the whole table in memory: the signals never need it).
        """
        return self._numpy()[0]

    @property
    def lines(self) -> dict[str, Any]:
        """Table -> the line (or row number + 1) each kept row came from, in
        :attr:`tables` order."""
        return self._numpy()[1]

    def check_unchanged(self) -> None:
        """Refuse to read files changed since :func:`read_exports` checked them.

        A table whose rows were all good is a view over its Parquet files,
        which each query reads again: a file rewritten, touched or removed since
        could hold rows no rule has seen. :func:`~healthscore.signals.compute_signals`,
        :attr:`tables` and :meth:`rows` call this first.

        Raises:
            InputError: A file's size or modification time is not what it was,
                or the file is gone.
        """
        for path, size, modified in self._stamps:
            try:
                now = os.stat(path)
            except OSError:
                raise InputError(f"{path}: removed since the exports were read; read them again") from None
            if (now.st_size, now.st_mtime_ns) != (size, modified):
                raise InputError(f"{path}: changed since the exports were read and checked; read them again")

    def with_rejected(self, rejected: Iterable[RejectedRow], *, sources: Mapping[str, str] | None = None) -> Exports:
        """The same tables with ``rejected`` as the rows set aside.

        The copy shares this object's database, which stays open while either
        is in use (the copy holds this one): a reader that checks rows of its
        own, or names them by its own files, hands its list here.

        Args:
            rejected: The rows set aside, replacing :attr:`rejected` (pass
                ``(*exports.rejected, *more)`` to add to them).
            sources: Table -> where it was read from, replacing
                :attr:`sources` (default: kept).

        Examples:
            >>> exports = read_exports({
            ...     "accounts": {"account_id": ["a"], "segment": ["smb"], "seats_purchased": [10],
            ...                  "arr": [12000], "contract_term_months": [12]},
            ... })
            >>> row = RejectedRow(table="accounts", source="crm.csv", line=3, column="arr", value="x", reason="bad")
            >>> later = exports.with_rejected((*exports.rejected, row))
            >>> [r.line for r in later.rejected], later.rows("accounts")
            ([3], 1)
        """
        return attrs.evolve(
            self,
            rejected=tuple(rejected),
            sources=dict(self.sources if sources is None else sources),
            _cache={"held": self},
        )

    def _numpy(self) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
        if "numpy" not in self._cache:
            self.check_unchanged()
            read = {t: _numpy_table(self.db, t, self.columns[t]) for t in self.present}
            self._cache["numpy"] = ({t: cols for t, (cols, _) in read.items()}, {t: ln for t, (_, ln) in read.items()})
        numpy: tuple[dict[str, dict[str, Any]], dict[str, Any]] = self._cache["numpy"]
        return numpy


MISSING_TIME = _time.MISSING_TIME
"""Timestamp value of an empty cell."""

ACCOUNT_INDEX = "_account"
"""Column added to every table: each row's position in the accounts table."""


# --------------------------------------------------------------------------- parsing


def parse_timestamps(values: Any) -> tuple[Any, Any]:
    """ISO 8601 texts -> (int64 UTC seconds, mask of the values that failed).

    The rule of :mod:`healthscore._time`: dates, date-times (``T`` or a
    space), fractions of a second, ``Z`` and ``+HH:MM`` offsets, normalised
    to UTC (a date-time without an offset is UTC). Empty cells give
    ``MISSING_TIME`` and are not failures.

    Examples:
        >>> secs, bad = parse_timestamps(["2026-01-01", "2026-01-01T02:00:00+02:00", "", "soon", "20260101"])
        >>> secs[:2].tolist(), bad.tolist()
        ([1767225600, 1767225600], [False, False, False, True, True])
    """
    raw = np.asarray(values)
    secs, bad, _ = _time.parse_column(raw) if raw.dtype.kind == "M" else _time.parse_texts(_texts(raw))
    return secs, bad


def _numbers(values: Any) -> tuple[Any, Any]:
    """Numbers (NaN for empty cells) and the mask of cells that are not numbers."""
    arr = np.asarray(values)
    if arr.dtype.kind in "fiub":
        return arr.astype(np.float64), np.zeros(arr.shape, dtype=np.bool_)
    text = _texts(arr)
    out = np.full(text.shape, math.nan)
    bad = np.zeros(text.shape, dtype=np.bool_)
    present = text != ""
    try:
        out[present] = text[present].astype(np.float64)
    except ValueError:  # find the cells that are not numbers, one by one
        for i in np.flatnonzero(present).tolist():
            try:
                out[i] = float(text[i])
            except ValueError:
                bad[i] = True
    bad |= present & np.isnan(out)  # the text "nan" is not a number of ours
    return out, bad


def _texts(values: Any) -> Any:
    """Text cells as a str array, stripped, ``""`` for empty or missing ones."""
    arr = np.asarray(values)
    if arr.dtype.kind == "U":
        return _strip(arr)
    obj = arr.astype(object)
    missing = (obj == None) | (obj != obj)  # noqa: E711 -- elementwise: None, or NaN (unequal to itself)
    obj[missing] = ""
    return _strip(obj.astype(str))


_BLANK_CHARS = " \t\r\n\v\f"
"""The blanks a text cell is stripped of (ASCII only: the SQL rule's ``TRIM`` set)."""
_BLANKS = np.array([ord(c) for c in _BLANK_CHARS], dtype=np.uint32)


def _strip(text: Any) -> Any:
    """``np.char.strip`` of the ASCII blanks, but only on the cells that start
    or end with one (large id columns rarely have any, and stripping copies the
    column). Without its ``chars`` argument NumPy would strip every Unicode
    space (U+00A0 too), unlike the SQL rule."""
    if text.size == 0 or text.dtype.itemsize == 0:
        return text
    width = text.dtype.itemsize // 4
    chars = text.view(np.uint32).reshape(-1, width)
    length = np.char.str_len(text).reshape(-1)
    last = chars[np.arange(chars.shape[0]), np.maximum(length - 1, 0)]
    padded = np.isin(chars[:, 0], _BLANKS) | np.isin(last, _BLANKS)
    if not padded.any():
        return text
    out = text.copy()
    flat = out.reshape(-1)
    flat[padded] = np.char.strip(flat[padded], _BLANK_CHARS)
    return out


# --------------------------------------------------------------------------- the database


def duckdb_module() -> Any:
    """DuckDB (with pyarrow, which carries in-memory tables to it), or an
    :class:`InputError` with the install hint."""
    try:
        import duckdb  # noqa: PLC0415 -- optional extra
        import pyarrow  # noqa: F401, PLC0415 -- optional extra: in-memory tables reach DuckDB as Arrow
    except ImportError:
        raise InputError("reading exports needs DuckDB and pyarrow: pip install 'healthscore[exports]'") from None
    return duckdb


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_LINE, _SRC = "_line", "_src"
_BAD_TIME = MISSING_TIME
"""What ``hs_time`` gives for a text that breaks the rule (an empty cell is ``NULL``)."""


def _udf_texts(values: Any) -> Any:
    import pyarrow.compute as pc  # noqa: PLC0415 -- optional extra

    return np.asarray(pc.fill_null(values, "").to_numpy(zero_copy_only=False), dtype=str)


def _udf_time(values: Any) -> Any:
    """``hs_time(text)``: the one date rule (:func:`healthscore._time.parse_texts`)
    for text cells that DuckDB reads; ``NULL`` for empty, :data:`_BAD_TIME` for bad."""
    import pyarrow as pa  # noqa: PLC0415 -- optional extra

    texts = _udf_texts(values)
    secs, bad, _ = _time.parse_texts(texts)
    secs[bad] = _BAD_TIME
    return pa.array(secs, mask=texts == "")


def _udf_number(values: Any) -> Any:
    """``hs_number(text)``: the one number rule (:func:`_numbers`) for text
    cells; ``NULL`` for empty, NaN for a text that is not a number."""
    import pyarrow as pa  # noqa: PLC0415 -- optional extra

    texts = _udf_texts(values)
    numbers, _ = _numbers(texts)
    return pa.array(numbers, mask=texts == "")


SPILL_PREFIX = "healthscore-exports-"
"""The start of a spill folder's name; the creating process's id follows it."""


def _sweep_spills() -> None:
    """Remove the spill folders of processes that are gone (killed before
    their exports were collected). A folder whose process still runs, or
    whose process cannot be told (another user's, or not POSIX), stays."""
    if os.name != "posix":
        return
    for folder in Path(tempfile.gettempdir()).glob(f"{SPILL_PREFIX}*-*"):
        pid = folder.name[len(SPILL_PREFIX) :].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue  # alive, another user's


def _connect(memory_limit: str | None) -> tuple[Any, str]:
    """A fresh in-memory database that spills to a private temporary folder
    when it outgrows ``memory_limit`` (DuckDB's default: 80% of the memory).
    The folder goes with the exports, and the folders a killed process left
    behind go the next time one is made."""
    _sweep_spills()
    spill = tempfile.mkdtemp(prefix=f"{SPILL_PREFIX}{os.getpid()}-")
    # rows are ordered where order matters (by file and line), so DuckDB may write them in any order
    settings = {"temp_directory": spill, "preserve_insertion_order": False}
    con = duckdb_module().connect(":memory:", config=settings)
    try:
        con.execute("SET enable_progress_bar = false")
        if memory_limit is not None:
            con.execute(f"SET memory_limit = {_literal(str(memory_limit))}")
        con.create_function("hs_time", _udf_time, ["VARCHAR"], "BIGINT", type="arrow")
        con.create_function("hs_number", _udf_number, ["VARCHAR"], "DOUBLE", type="arrow")
    except duckdb_module().Error as exc:
        _close(con, spill)
        raise InputError(f"memory_limit: {exc}", value=memory_limit) from None
    return con, spill


def _close(con: Any, spill: str) -> None:
    con.close()
    shutil.rmtree(spill, ignore_errors=True)


# --------------------------------------------------------------------------- finding the tables


@attrs.frozen(kw_only=True)
class _Raw:
    """One table as read: a relation with its columns, ``_src`` and ``_line``."""

    table: str
    relation: str
    source: str
    in_memory: bool
    files: tuple[str, ...]
    """What each value of ``_src`` (a number: no text repeated on every row) stands for."""
    stamps: tuple[tuple[str, int, int], ...] = ()
    """Each file with its size and modification time when found, for a relation
    that every later query can read again (Parquet): then a table whose rows
    are all plain needs no checked copy (:meth:`Exports.check_unchanged`)."""


_TABLE_SUFFIXES = (".csv", ".parquet")


def _refuse_unknown(names: list[str], where: str) -> None:
    """A table file whose name is not a known table (``event.csv``) is an
    error, not a file left unread: naming the known tables and the closest one."""
    if not names:
        return
    name = names[0]
    stem = Path(name).stem
    close = difflib.get_close_matches(stem.lower(), list(TABLES), n=1, cutoff=0.75)
    hint = (
        f"; did you mean {close[0]}{Path(name).suffix}?"
        if close
        else "; move files that are not exports out of the folder"
    )
    more = f" (and {len(names) - 1} more: {', '.join(names[1:])})" if len(names) > 1 else ""
    msg = f"{where}: {name} is not an export table{more}; known tables: {', '.join(TABLES)}{hint}"
    raise InputError(msg, value=name)


def _table_of(path: Path) -> str | None:
    """The table a file holds: its name (``events.parquet``), its name before a
    part number (``events-0001.parquet``, ``events_2026.csv``), or the folder it
    sits in (``events/part-0.parquet``)."""
    stem = path.stem.lower()
    if stem in TABLES:
        return stem
    for table in sorted(TABLES, key=len, reverse=True):
        if stem.startswith(table) and not stem[len(table)].isalpha():
            return table
    parent = path.parent.name.lower()
    return parent if parent in TABLES else None


def _group_files(files: list[Path], where: str) -> dict[str, list[Path]]:
    """Table files by table, each table's files all CSV or all Parquet."""
    grouped: dict[str, list[Path]] = {}
    unknown: list[str] = []
    for path in files:
        table = _table_of(path)
        if table is None:
            unknown.append(str(path))
        else:
            grouped.setdefault(table, []).append(path)
    _refuse_unknown(unknown, where)
    for table, paths in grouped.items():
        kinds = {p.suffix.lower() for p in paths}
        if len(kinds) > 1:
            names = ", ".join(p.name for p in paths[:4])
            raise InputError(f"{where}: table {table!r} has both CSV and Parquet files ({names}); keep one kind")
    return grouped


def _folder_files(folder: Path) -> list[Path]:
    """A folder's table files: ``<table>.csv|parquet``, and the parts in a
    ``<table>/`` folder."""
    files: list[Path] = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        if path.is_file() and path.suffix.lower() in _TABLE_SUFFIXES:
            files.append(path)
        elif path.is_dir() and path.name.lower() in TABLES:
            files += sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in _TABLE_SUFFIXES)
    return files


def _glob_files(pattern: str) -> list[Path]:
    import glob  # noqa: PLC0415 -- only for a glob

    found = sorted(Path(p) for p in glob.glob(pattern, recursive=True))
    files = [p for p in found if p.is_file() and p.suffix.lower() in _TABLE_SUFFIXES]
    for folder in (p for p in found if p.is_dir()):
        files += _folder_files(folder)
    if not files:
        raise InputError(f"{pattern}: the pattern matches no .csv or .parquet file")
    return files


def _parquet_raw(table: str, paths: list[Path], where: str) -> _Raw:
    parts = " UNION ALL BY NAME ".join(
        f"SELECT * EXCLUDE (file_row_number), {i} AS {_SRC}, file_row_number + 2 AS {_LINE} "
        f"FROM read_parquet({_literal(str(p))}, file_row_number = true)"
        for i, p in enumerate(paths)
    )
    source = str(paths[0]) if len(paths) == 1 else f"{where} ({len(paths)} {table} files)"
    files = tuple(map(str, paths))
    stamps = tuple((path, (st := os.stat(path)).st_size, st.st_mtime_ns) for path in files)
    return _Raw(table=table, relation=f"({parts})", source=source, in_memory=False, files=files, stamps=stamps)


def _arrow_table(columns: Mapping[str, Any], lines: Any, source: int) -> Any:
    """In-memory columns as an Arrow table, with ``_src`` and ``_line``."""
    import pyarrow as pa  # noqa: PLC0415 -- optional extra

    n = lines.shape[0]
    arrays = {name: _arrow(values) for name, values in columns.items() if name not in (_SRC, _LINE)}
    arrays[_SRC] = pa.array(np.full(n, source, dtype=np.int32))
    arrays[_LINE] = pa.array(np.asarray(lines, dtype=np.int64))
    return pa.table(arrays)


def _arrow(values: Any) -> Any:
    """One column as Arrow: text as text (``None`` and NaN as empty), numbers
    and datetimes as they are."""
    import pyarrow as pa  # noqa: PLC0415 -- optional extra

    arr = np.asarray(values)
    if arr.dtype.kind in "fiubM":
        return pa.array(arr)
    if arr.dtype.kind == "U":
        return _arrow_text(arr)
    obj = arr.astype(object)
    missing = (obj == None) | (obj != obj)  # noqa: E711 -- elementwise: None, or NaN (unequal to itself)
    obj[missing] = ""
    return _arrow_text(obj.astype(str))


def _arrow_text(texts: Any) -> Any:
    """A NumPy text array as Arrow text, every character kept: Arrow reads a
    NumPy text cell only up to its first NUL, so an array that holds a NUL
    inside a cell goes across as Python strings, which keep it."""
    import pyarrow as pa  # noqa: PLC0415 -- optional extra

    if _has_inner_nul(texts):
        return pa.array(texts.astype(object), type=pa.string())
    return pa.array(texts, type=pa.string())


def _has_inner_nul(texts: Any) -> bool:
    """Whether a cell of a NumPy text array holds a NUL before another
    character (its trailing NULs are only padding), in blocks of rows."""
    width = texts.dtype.itemsize // 4
    if width < 2 or texts.size == 0:
        return False
    codes = np.ascontiguousarray(texts).reshape(-1).view(np.uint32).reshape(-1, width)
    for start in range(0, codes.shape[0], _NUL_BLOCK):
        zero = codes[start : start + _NUL_BLOCK] == 0
        if np.any(zero[:, :-1] & ~zero[:, 1:]):
            return True
    return False


_NUL_BLOCK = 1 << 20
"""Rows of a text array searched for a NUL at a time (bounds the search's memory)."""


def _csv_raws(con: Any, table: str, paths: list[Path], where: str) -> _Raw:
    """CSV files through the one CSV reader (:func:`healthscore._io.read_csv`:
    its encoding, quoting and ragged-row errors, and the line each row starts on)."""
    import pyarrow as pa  # noqa: PLC0415 -- optional extra

    parts: list[Any] = []
    for path in paths:
        csv = read_csv(path)
        parts.append(_arrow_table(dict(csv.columns), csv.lines, len(parts)))
    merged = pa.concat_tables(parts, promote_options="default") if len(parts) > 1 else parts[0]
    name = f"hs_raw_{table}"
    con.register(name, merged)
    source = str(paths[0]) if len(paths) == 1 else f"{where} ({len(paths)} {table} files)"
    return _Raw(table=table, relation=name, source=source, in_memory=True, files=tuple(map(str, paths)))


def _file_raws(con: Any, files: list[Path], where: str) -> list[_Raw]:
    raws = []
    for table, paths in _group_files(files, where).items():
        if paths[0].suffix.lower() == ".parquet":
            raws.append(_parquet_raw(table, paths, where))
        else:
            raws.append(_csv_raws(con, table, paths, where))
    return raws


def _is_duckdb_file(path: Path) -> bool:
    """A DuckDB database file: its header holds the magic bytes ``DUCK`` at byte 8."""
    try:
        with path.open("rb") as f:
            return f.read(12)[8:12] == b"DUCK"
    except OSError:
        return False


def _database_raws(con: Any, path: Path) -> list[_Raw]:
    """The export tables of a DuckDB database file (its main schema), read where they lie."""
    try:
        con.execute(f"ATTACH {_literal(str(path))} AS hs_source (READ_ONLY)")
    except duckdb_module().Error as exc:
        raise InputError(f"{path}: cannot open the DuckDB database: {engine_error(exc)}") from None
    found = {
        str(name).lower(): str(name)
        for (name,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'hs_source' "
            "AND table_schema = 'main'"
        ).fetchall()
    }
    raws = []
    for table in TABLES:
        if table in found:
            relation = (
                f"(SELECT *, 0 AS {_SRC}, "
                f"CAST(ROW_NUMBER() OVER () AS BIGINT) AS {_LINE} FROM hs_source.main.{_quote(found[table])})"
            )
            where = f"{path}:{found[table]}"
            raws.append(_Raw(table=table, relation=relation, source=where, in_memory=False, files=(where,)))
    return raws


def _attached(con: Any) -> bool:
    (found,) = con.execute("SELECT COUNT(*) FROM duckdb_databases() WHERE database_name = 'hs_source'").fetchone()
    return bool(found)


def _mapping_raws(con: Any, source: Mapping[str, Any]) -> list[_Raw]:
    unknown = sorted(set(source) - set(TABLES))
    if unknown:
        raise InputError(f"unknown export table(s) {', '.join(map(repr, unknown))}; known: {', '.join(TABLES)}")
    raws = []
    for table, data in source.items():
        name = f"hs_raw_{table}"
        con.register(name, _frame_arrow(data))
        raws.append(_Raw(table=table, relation=name, source=f"<{table}>", in_memory=True, files=(f"<{table}>",)))
    return raws


def is_exports_path(source: str | os.PathLike[str]) -> bool:
    """Whether ``source`` names exports :func:`read_exports` reads: a folder, a
    glob (``dump/*.parquet``) or a DuckDB database file (a CSV file of metric
    values is none of these).

    Examples:
        >>> is_exports_path("dump/*.parquet"), is_exports_path("accounts.csv")
        (True, False)
    """
    path = Path(source)
    return path.is_dir() or any(c in str(source) for c in "*?[") or (path.is_file() and _is_duckdb_file(path))


def _raw_tables(con: Any, source: str | os.PathLike[str] | Mapping[str, Any]) -> dict[str, _Raw]:
    """Each table provided, as the database reads it."""
    if isinstance(source, Mapping):
        raws = _mapping_raws(con, source)
    else:
        path = Path(source)
        text = str(source)
        if path.is_dir():
            raws = _file_raws(con, _folder_files(path), str(path))
        elif path.is_file() and _is_duckdb_file(path):
            raws = _database_raws(con, path)
        elif any(c in text for c in "*?["):
            raws = _file_raws(con, _glob_files(text), text)
        elif path.is_file():
            raise InputError(f"{path}: not a folder of exports, a glob or a DuckDB database file")
        else:
            raise InputError(f"{path}: not a folder of exports (expected accounts.csv, events.csv, ...)")
    return {raw.table: raw for raw in raws}


def _frame_arrow(data: Any) -> Any:
    """An in-memory table as Arrow with ``_src`` and ``_line``: arrow and polars
    frames as they are (no copy of their text), others through their columns."""
    import pyarrow as pa  # noqa: PLC0415 -- optional extra

    family = family_of(data)
    names = column_names(data, family)  # refuses repeated column names, for every family
    if family == "arrow":
        table = data if isinstance(data, pa.Table) else pa.Table.from_batches([data])
    elif family in ("polars", "polars-lazy"):
        table = (data.collect() if family == "polars-lazy" else data).to_arrow()
    elif family == "pandas" and (converted := _pandas_arrow(data, names)) is not None:
        table = converted
    else:
        columns = _frame_columns(data)
        n = len(next(iter(columns.values()))) if columns else 0
        return _arrow_table(columns, np.arange(1, n + 1), 0)
    table = table.select(names)
    n = table.num_rows
    table = table.append_column(_SRC, pa.array(np.zeros(n, dtype=np.int32)))
    return table.append_column(_LINE, pa.array(np.arange(1, n + 1, dtype=np.int64)))


def _pandas_arrow(frame: Any, names: list[str]) -> Any:
    """A pandas frame as Arrow, or ``None`` when a column has no one Arrow type
    (numbers and text mixed): that frame goes through its cells instead."""
    import pyarrow as pa  # noqa: PLC0415 -- optional extra

    try:
        return pa.Table.from_pandas(frame[names], preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None


def _frame_columns(data: Any) -> dict[str, Any]:
    """Every column of an in-memory table as arrays, values untouched (numbers
    are not coerced: validation reads each column by its spec)."""
    names = column_names(data)
    return table_columns(data, names, labels=names)


def _family(source: str | os.PathLike[str] | Mapping[str, Any]) -> str:
    if not isinstance(source, Mapping) or "accounts" not in source:
        return "mapping"
    family = family_of(source["accounts"])
    return "polars" if family == "polars-lazy" else family


# --------------------------------------------------------------------------- validation, in SQL

_SQL_BLANKS = _literal(_BLANK_CHARS)
"""The blanks a text cell is stripped of, as an SQL literal (the characters themselves)."""
_TEMPORAL = ("TIMESTAMP", "DATE")
_INTEGERS = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT")
_NUMERIC = frozenset((*_INTEGERS, *(f"U{t}" for t in _INTEGERS), "FLOAT", "DOUBLE", "DECIMAL", "BOOLEAN"))
_SQL_TYPES = {"id": "VARCHAR", "text": "VARCHAR", "number": "DOUBLE", "timestamp": "BIGINT"}


@attrs.frozen(kw_only=True)
class _Check:
    """One rule on one column: the condition that breaks it, in SQL."""

    column: str
    condition: str
    reason: str


def _text_sql(raw: str, dtype: str) -> str:
    """A cell as stripped text, ``NULL`` when empty (NaN in a float column too)."""
    cell = f"CAST({raw} AS VARCHAR)"
    # a blank can only be stripped from an end: TRIM(x, blanks), which is slow, only for the cells whose
    # first or last character is a blank or another control character (or that are empty)
    edges = f"ascii({cell}) <= 32 OR ascii({cell}[-1]) <= 32"
    text = f"NULLIF(CASE WHEN {edges} THEN TRIM({cell}, {_SQL_BLANKS}) ELSE {cell} END, '')"
    if dtype in ("FLOAT", "DOUBLE"):
        return f"CASE WHEN isnan({raw}) THEN NULL ELSE {text} END"
    return text


def _base_type(dtype: str) -> str:
    """A DuckDB type without its parameters (``DECIMAL(18,3)`` -> ``DECIMAL``)."""
    return dtype.split("(")[0].split(" ")[0]


def _column_sql(col: ColumnSpec, raw: str, dtype: str, *, plain: bool = False) -> tuple[str, str, list[_Check]]:
    """The parsed cell (step one), the clean value from it (step two), and the
    rules in order. ``p`` / ``v`` name the step-one / step-two columns.

    ``plain`` takes a text cell as it is, not stripped (:func:`_rows_sql`)."""
    p, v = _quote(f"p_{col.name}"), _quote(f"v_{col.name}")
    base = _base_type(dtype)
    checks: list[_Check] = []
    if col.kind == "timestamp":
        if base.startswith(_TEMPORAL):
            moment = raw if "TIME ZONE" in dtype else f"TRY_CAST({raw} AS TIMESTAMP)"
            parsed = f"CAST(FLOOR(epoch({moment})) AS BIGINT)"
            given = _quote(col.name)
            bad = f"{given} IS NOT NULL AND ({p} IS NULL OR {p} < {_time.FIRST_SECOND} OR {p} > {_time.LAST_SECOND})"
        else:
            parsed = f"hs_time({_text_sql(raw, base)})"
            bad = f"{p} = {_BAD_TIME}"
        checks.append(_Check(column=col.name, condition=bad, reason=f"not {_time.RULE}"))
        clean = f"CASE WHEN {bad} THEN NULL ELSE {p} END"
        empty = "empty; a timestamp is required"
    elif col.kind == "number":
        if base in _NUMERIC:
            parsed = f"CAST({raw} AS DOUBLE)"
        else:
            parsed = f"hs_number({_text_sql(raw, base)})"
            checks.append(_Check(column=col.name, condition=f"isnan({p})", reason="not a number"))
        clean = f"CASE WHEN isnan({p}) THEN NULL ELSE {p} END"
        empty = "empty; a number is required"
    else:
        parsed = f"CAST({raw} AS VARCHAR)" if plain else _text_sql(raw, base)
        clean = p
        if col.choices:
            listed = ", ".join(_literal(c) for c in col.choices)
            clean = f"CASE WHEN {p} IN ({listed}) THEN {p} WHEN lower({p}) IN ({listed}) THEN lower({p}) END"
        empty = "empty; a value is required"
    if not col.missing_ok:
        checks.append(_Check(column=col.name, condition=f"{p} IS NULL", reason=empty))
    if col.choices:
        reason = f"must be one of {', '.join(col.choices)}"
        checks.append(_Check(column=col.name, condition=f"{p} IS NOT NULL AND {v} IS NULL", reason=reason))
    if col.minimum is not None:
        checks.append(_Check(column=col.name, condition=f"{v} < {col.minimum!r}", reason=f"must be >= {col.minimum:g}"))
    if col.maximum is not None:
        checks.append(_Check(column=col.name, condition=f"{v} > {col.maximum!r}", reason=f"must be <= {col.maximum:g}"))
    return parsed, clean, checks


def _describe(con: Any, relation: str) -> dict[str, str]:
    """Column name -> DuckDB type of a relation."""
    return {str(r[0]): str(r[1]).upper() for r in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()}


def _rows_sql(spec: TableSpec, raw: _Raw, types: Mapping[str, str], *, plain: bool = False) -> tuple[str, list[_Check]]:
    """Every row of one table read by its specs, with its clean values
    (``v_<column>``) and its account's position (``_pos``, but for
    ``accounts``); and the rules in order, each the condition on those columns
    that breaks it. ``plain`` takes each cell as parsed for its clean value
    (text not stripped, :func:`_column_sql`), with the rules of
    :func:`_plain_rules`."""
    parsed: list[str] = []
    clean: list[str] = []
    checks: list[_Check] = []
    joined = "account_id" if spec.name != "accounts" else None
    for col in spec.columns:
        if col.name in types:
            p, v, rules = _column_sql(col, f"r.{_quote(col.name)}", types[col.name], plain=plain)
            if plain:  # a plain cell is its own clean value: the rows the clean step would change are not plain
                v = _quote(f"p_{col.name}")
                rules += _plain_rules(col, v, looked_up=col.name == joined)
            parsed.append(f"{p} AS {_quote('p_' + col.name)}")
            clean.append(f"{v} AS {_quote('v_' + col.name)}")
            checks += rules
    step1 = f"SELECT r.*, {', '.join(parsed)} FROM {raw.relation} r"
    step2 = f"SELECT s1.*, {', '.join(clean)} FROM ({step1}) s1"
    extra, join = "", ""
    if joined is not None:
        extra += ", k.account_id AS _pos"
        join = " LEFT JOIN accounts k ON k.account_key = s2.v_account_id"
        unknown = "unknown account_id (not in accounts)"
        checks.append(
            _Check(column="account_id", condition="v_account_id IS NOT NULL AND _pos IS NULL", reason=unknown)
        )
    if spec.unique is not None:  # found once the table is read: see _mark_duplicates
        checks.append(_Check(column=spec.unique, condition="", reason=f"duplicate {spec.unique}"))
    return f"SELECT s2.*{extra} FROM ({step2}) s2{join}", checks


def _plain_rules(col: ColumnSpec, cell: str, *, looked_up: bool) -> list[_Check]:
    """What makes a parsed cell other than its clean value: a text with a
    blank or control character at either end, or empty (the text rule would
    change it; an account id is looked up in ``accounts`` as it is instead), a
    choice not as listed (it would be lowered), NaN (an empty number)."""
    if col.kind == "number":
        return [_Check(column=col.name, condition=f"isnan({cell})", reason="NaN, an empty cell")]
    if col.kind == "timestamp" or looked_up:
        return []
    if col.choices:
        listed = ", ".join(_literal(c) for c in col.choices)
        return [_Check(column=col.name, condition=f"{cell} NOT IN ({listed})", reason="not as listed")]
    padded = f"{cell} IS NOT NULL AND NOT ({cell} >= '!' AND ascii({cell}[-1]) > 32)"
    return [_Check(column=col.name, condition=padded, reason="needs the text rule")]


def _check_sql(spec: TableSpec, raw: _Raw, types: Mapping[str, str]) -> tuple[str, list[_Check]]:
    """The query that checks one table: every row of :func:`_rows_sql` with
    ``_why`` (the index of the first rule it breaks, ``NULL`` for a good row)
    and ``_value`` (the cell that breaks it, as text)."""
    rows, checks = _rows_sql(spec, raw, types)
    whens = [f"WHEN {c.condition} THEN {i}" for i, c in enumerate(checks) if c.condition]
    why = f"CAST(CASE {' '.join(whens)} END AS INTEGER)" if whens else "CAST(NULL AS INTEGER)"
    step4 = f"SELECT s3.*, {why} AS _why FROM ({rows}) s3"
    # a table other than accounts keeps its account's position, not the id's text (it is in _value when bad)
    kept = [c.name for c in spec.columns if c.name in types and (spec.name == "accounts" or c.name != "account_id")]
    keep = [_SRC, _LINE, "_why", *(_quote("v_" + name) for name in kept)]
    if spec.name != "accounts":
        keep.append("_pos")
    value = " ".join(f"WHEN {i} THEN CAST({_quote(c.column)} AS VARCHAR)" for i, c in enumerate(checks) if c.condition)
    keep.append(f"CAST({f'CASE _why {value} END' if value else 'NULL'} AS VARCHAR) AS _value")
    return f"SELECT {', '.join(keep)} FROM ({step4}) s4", checks


def _plain_types(spec: TableSpec, types: Mapping[str, str]) -> bool:
    """Whether every clean value is an SQL expression of its cell: no text
    cell parsed by the Python number or date rule, no float column read as
    text (its NaN is an empty cell)."""
    for col in (c for c in spec.columns if c.name in types):
        base = _base_type(types[col.name])
        if col.kind == "timestamp" and not base.startswith(_TEMPORAL):
            return False
        if col.kind == "number" and base not in _NUMERIC:
            return False
        if col.kind in ("id", "text") and base in ("FLOAT", "DOUBLE"):
            return False
    return True


def _plain_views(con: Any, raws: Iterable[_Raw]) -> dict[str, str]:
    """Table -> its clean relation as a view over its files, for each table
    read from files whose every row is plain (:func:`_rows_sql`: no rule
    broken, each text cell its own clean text) and whose key never repeats:
    the same rows :func:`_clean_sql` keeps, read again by each query. One query
    counts the rows that are not plain in every table at once (DuckDB scans the
    tables side by side, so one table's single-threaded scan overlaps the
    others'); the other tables are checked row by row, and so is every table
    when a file cannot be read (that check names it)."""
    counts: dict[str, str] = {}
    views: dict[str, str] = {}
    try:
        for raw in raws:
            spec = TABLES[raw.table]
            if spec.name == "accounts" or not raw.stamps:
                continue
            types = _describe(con, raw.relation)
            _missing_columns(spec, raw, types)
            if not _plain_types(spec, types):
                continue
            rows, checks = _rows_sql(spec, raw, types, plain=True)
            broken = " OR ".join(f"({c.condition})" for c in checks if c.condition)
            found = [f"COUNT(*) FILTER (WHERE {broken})"]
            if spec.unique is not None:
                key = _quote(f"v_{spec.unique}")
                found.append(f"COUNT({key}) - COUNT(DISTINCT {key})")
            counts[raw.table] = f"(SELECT {' + '.join(found)} FROM ({rows}) s3) AS {_quote(raw.table)}"
            views[raw.table] = _clean_sql(spec, f"({rows}) s3", types)
        if not counts:
            return {}
        (found_rows,) = con.execute(f"SELECT {', '.join(counts.values())}").fetchall()
    except duckdb_module().Error:
        return {}
    return {table: views[table] for table, n in zip(counts, found_rows, strict=True) if not n}


def _clean_sql(spec: TableSpec, checked: str, types: Mapping[str, str]) -> str:
    """The rows of a checked table (add ``WHERE _why IS NULL`` for the good
    ones), with every column of its spec (an absent optional one all
    ``NULL``); ``accounts`` also keeps the id as ``account_key``."""
    cols = ["v_account_id AS account_key"] if spec.name == "accounts" else []
    for col in spec.columns:
        if col.name == "account_id" and spec.name != "accounts":
            cols.append("_pos AS account_id")
        elif col.name in types:
            cols.append(f"{_quote('v_' + col.name)} AS {_quote(col.name)}")
        else:
            cols.append(f"CAST(NULL AS {_SQL_TYPES[col.kind]}) AS {_quote(col.name)}")
    return f"SELECT {', '.join(cols)}, {_SRC}, {_LINE} FROM {checked}"


def _missing_columns(spec: TableSpec, raw: _Raw, types: Mapping[str, str]) -> None:
    missing = [c.name for c in spec.columns if c.required and c.name not in types]
    if missing:
        have = ", ".join(t for t in types if t not in (_SRC, _LINE)) or "none"
        raise InputError(
            f"{raw.source}: missing column(s) {', '.join(map(repr, missing))} in table {spec.name!r} (columns: {have})",
            column=missing[0],
        )


def _mark_duplicates(con: Any, checked: str, key: str, rule: int) -> None:
    """Every repeat of a key after its first row (by file and line) is a bad
    row, unless it broke an earlier rule: one hash aggregation finds the keys
    that repeat, and only their rows are ranked."""
    column = _quote(f"v_{key}")
    repeats = f"SELECT {column} FROM {checked} WHERE {column} IS NOT NULL GROUP BY {column} HAVING COUNT(*) > 1"
    (found,) = con.execute(f"SELECT COUNT(*) FROM ({repeats}) r").fetchone()
    if not found:
        return
    ranked = (
        f"SELECT {column} AS k, {_SRC} AS s, {_LINE} AS l, "
        f"ROW_NUMBER() OVER (PARTITION BY {column} ORDER BY {_SRC}, {_LINE}) AS nth "
        f"FROM {checked} WHERE {column} IN ({repeats})"
    )
    con.execute(
        f"UPDATE {checked} SET _why = {rule}, _value = CAST({column} AS VARCHAR) FROM ({ranked}) d "
        f"WHERE {checked}.{column} = d.k AND {checked}.{_SRC} = d.s AND {checked}.{_LINE} = d.l "
        f"AND d.nth > 1 AND {checked}._why IS NULL"
    )


def _rejected(
    con: Any, raw: _Raw, checked: str, checks: list[_Check], *, first_only: bool
) -> tuple[list[RejectedRow], int]:
    """The bad rows of a checked table (only the first with ``first_only``), and how many there are."""
    if not checks:
        return [], 0
    (count,) = con.execute(f"SELECT COUNT(*) FROM {checked} WHERE _why IS NOT NULL").fetchone()
    if not count:
        return [], 0
    limit = " LIMIT 1" if first_only else ""
    query = (
        f"SELECT {_SRC}, {_LINE}, _why, _value FROM {checked} WHERE _why IS NOT NULL ORDER BY {_SRC}, {_LINE}{limit}"
    )
    rows = [
        RejectedRow(
            table=raw.table,
            source=raw.files[int(src)],
            line=int(line),
            column=checks[why].column,
            value="" if text is None else str(text),
            reason=checks[why].reason,
        )
        for src, line, why, text in con.execute(query).fetchall()
    ]
    return rows, int(count)


def _read_table(
    con: Any, raw: _Raw, *, first_only: bool, plain: str | None
) -> tuple[list[RejectedRow], int, tuple[str, ...]]:
    """Check one table and make its clean relation (``plain``: the view of a
    table whose rows are all plain, :func:`_plain_views`): its bad rows, how
    many, and the columns it has."""
    spec = TABLES[raw.table]
    types = _describe(con, raw.relation)
    _missing_columns(spec, raw, types)
    have = tuple(c.name for c in spec.columns if c.name in types)
    name = _quote(spec.name)
    if plain is not None:  # every row good as it is: no checked copy, each query reads the files
        con.execute(f"CREATE VIEW {name} AS {plain}")
        return [], 0, have
    query, checks = _check_sql(spec, raw, types)
    checked = _quote(f"hs_checked_{spec.name}")
    # every row is checked once, into a table of the database (spilled to disk when it outgrows memory);
    # the bad rows are read from it and the clean relation is a view of its good rows
    con.execute(f"CREATE TABLE {checked} AS {query}")
    if raw.in_memory:  # an Arrow table registered for the check: its rows are in the checked table now
        con.unregister(raw.relation)
    if spec.unique is not None:
        _mark_duplicates(con, checked, spec.unique, len(checks) - 1)
    bad, count = _rejected(con, raw, checked, checks, first_only=first_only)
    clean = _clean_sql(spec, checked, types) + " WHERE _why IS NULL"
    if spec.name == "accounts":
        position = f"CAST(ROW_NUMBER() OVER (ORDER BY {_SRC}, {_LINE}) - 1 AS BIGINT) AS account_id"
        con.execute(
            f"CREATE TABLE accounts AS SELECT {position}, * EXCLUDE (account_id) FROM ({clean}) c "
            f"ORDER BY {_SRC}, {_LINE}"
        )
        con.execute(f"DROP TABLE {checked}")
    else:
        con.execute(f"CREATE VIEW {name} AS {clean}")
    return bad, count, have


def engine_error(exc: Exception) -> str:
    """DuckDB's message, first line only, without its ``Invalid Input Error:`` kind."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return first.split(" Error: ", 1)[-1]


def _read_checked(
    con: Any, raw: _Raw, *, first_only: bool, plain: str | None = None
) -> tuple[list[RejectedRow], int, tuple[str, ...]]:
    """:func:`_read_table`, a file DuckDB cannot read named with DuckDB's reason."""
    try:
        return _read_table(con, raw, first_only=first_only, plain=plain)
    except duckdb_module().Error as exc:
        raise InputError(f"{raw.source}: cannot read the {raw.table} table: {engine_error(exc)}") from None


def read_exports(
    source: str | os.PathLike[str] | Mapping[str, Any],
    *,
    on_bad_rows: BadRows = "error",
    memory_limit: str | None = None,
) -> Exports:
    """Read and validate export tables (``pip install 'healthscore[exports]'``).

    Args:
        source: One of
            * a folder holding ``<table>.csv`` or ``<table>.parquet`` files, or
              a ``<table>/`` folder of part files (``accounts`` is required, the
              rest optional);
            * a glob (``"dump/*.parquet"``, ``"2026-*/events-*.csv"``): each
              file's table is its name, its name before a part number
              (``events-0001.parquet``) or its folder's name;
            * a DuckDB database file whose main schema has the tables;
            * a mapping of table name -> data frame (pandas, polars, arrow) or
              mapping of columns.
            Parquet files and DuckDB tables are read by DuckDB where they lie,
            in parallel and out of core; CSV files by :func:`healthscore._io.read_csv`.
        on_bad_rows: ``"error"`` (default) stops at the first bad row with a
            message naming file, line, column and value; ``"report"`` sets every
            bad row aside in :attr:`Exports.rejected` and keeps the rest.
        memory_limit: The most memory the database may hold (``"2GB"``); past
            it, DuckDB spills to a temporary folder (removed with the exports).
            Default: DuckDB's, 80% of the machine's memory.

    Raises:
        InputError: A missing ``accounts`` table or required column, a table
            file of an unknown name, an unreadable file, or (with
            ``on_bad_rows="error"``) a bad row.
    """
    if on_bad_rows not in ("error", "report"):
        raise InputError(f"on_bad_rows must be 'error' or 'report', got {on_bad_rows!r}")
    con, spill = _connect(memory_limit)
    try:
        raws = _raw_tables(con, source)
        if "accounts" not in raws:
            raise InputError(f"{_named(source)}: the accounts table is required (accounts.csv or accounts.parquet)")
        present = tuple(t for t in TABLES if t in raws)
        first_only = on_bad_rows == "error"
        columns: dict[str, tuple[str, ...]] = {}
        rejected, count, columns["accounts"] = _read_checked(con, raws["accounts"], first_only=first_only)
        rest = [raws[table] for table in present if table != "accounts"]
        plain = _plain_views(con, rest)  # each account id is looked up in the accounts just read
        for raw in rest:
            bad, n, columns[raw.table] = _read_checked(con, raw, first_only=first_only, plain=plain.get(raw.table))
            rejected += bad
            count += n
        if rejected and on_bad_rows == "error":
            first = rejected[0]
            more = f" ({count - 1} more bad rows; on_bad_rows='report' lists them all)" if count > 1 else ""
            raise InputError(first.message() + more, column=first.column, row=first.line, value=first.value)
    except BaseException:
        _close(con, spill)
        raise
    if isinstance(source, (str, os.PathLike)) and _attached(con):
        con.execute("DETACH hs_source")  # every table is checked into the database: the file is free again
    sources = {t: raws[t].source for t in present}
    exports = Exports(
        db=con,
        present=present,
        columns=columns,
        sources=sources,
        rejected=tuple(rejected),
        family=_family(source),
        _stamps=tuple(stamp for table in plain for stamp in raws[table].stamps),
    )
    weakref.finalize(exports, _close, con, spill)
    return exports


def _named(source: str | os.PathLike[str] | Mapping[str, Any]) -> str:
    """A source in a message: a path as given, a mapping by its table names."""
    if isinstance(source, Mapping):
        names = ", ".join(str(name) for name in source) or "none"
        return f"the tables given ({names})"
    return os.fspath(source)


def _numpy_table(con: Any, table: str, columns: tuple[str, ...]) -> tuple[dict[str, Any], Any]:
    """One clean table as NumPy columns (see :attr:`Exports.tables`), and each row's line."""
    spec = TABLES[table]
    cur = con.cursor()
    if table == "accounts":
        query = (
            f"SELECT account_key AS account_id, account_id AS {ACCOUNT_INDEX}, * EXCLUDE (account_id, account_key) "
            f"FROM accounts ORDER BY {ACCOUNT_INDEX}"
        )
    else:
        query = (
            f"SELECT a.account_key AS account_id, t.account_id AS {ACCOUNT_INDEX}, t.* EXCLUDE (account_id) "
            f"FROM {_quote(table)} t JOIN accounts a ON a.account_id = t.account_id ORDER BY t.{_SRC}, t.{_LINE}"
        )
    got = cur.execute(query).fetchnumpy()
    out: dict[str, Any] = {}
    for col in (c for c in spec.columns if c.name in columns):
        values = got[col.name]
        if col.kind in ("id", "text"):
            obj = np.asarray(np.ma.getdata(values), dtype=object).copy()
            obj[np.ma.getmaskarray(values) | (obj == None)] = ""  # noqa: E711 -- elementwise
            out[col.name] = obj.astype(str)
        elif col.kind == "number":
            out[col.name] = np.ma.filled(np.ma.asarray(values, dtype=np.float64), math.nan)
        else:
            out[col.name] = np.ma.filled(np.ma.asarray(values, dtype=np.int64), MISSING_TIME)
    out[ACCOUNT_INDEX] = np.asarray(got[ACCOUNT_INDEX], dtype=np.intp)
    return out, np.asarray(got[_LINE], dtype=np.int64)


def read_table_csv(path: str | Path) -> dict[str, Any]:
    """A CSV file as columns: numbers as float64 (NaN for empty cells) where
    every non-empty cell is a number, else text (``None`` for empty cells).

    A column of numbers with a ``nan``-like text among them (``NA``, ``null``,
    ...) is an error: leave such cells empty."""
    table = read_csv(path)
    if len(table) == 0:
        raise InputError(f"{path}: expected a header and at least one row")
    out: dict[str, Any] = {}
    for column, cells in table.columns.items():
        numbers, bad = _numbers(cells)
        if not bad.any():
            out[column] = numbers
            continue
        texts = [c.strip() for c in cells.tolist()]
        nulls = [i for i in np.flatnonzero(bad).tolist() if null_hint(texts[i])]
        if nulls and (~bad & ~np.isnan(numbers)).any():
            i, line = nulls[0], int(table.lines[nulls[0]])
            raise InputError(
                f"{path} line {line}, column {column!r}: {texts[i]!r} is not a number{null_hint(texts[i])}",
                column=column,
                row=line,
                value=texts[i],
            )
        out[column] = np.array([c or None for c in texts], dtype=object)
    return out
