"""Raw exports in: accounts, product events, CRM activities, invoices, tickets,
surveys, goals and delivered value, validated and held as NumPy columns.

:func:`read_exports` reads a folder of ``<table>.csv`` / ``<table>.parquet``
files, or a mapping of table name -> data frame (pandas, polars, arrow) or
mapping of columns. Every table but ``accounts`` is optional; a signal whose
table is absent is *missing*, never zero. A ``.csv`` or ``.parquet`` file in
the folder that is not one of the tables (``event.csv``) is an error naming
the closest table name: it is never left unread in silence.

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
import sys
from collections.abc import Mapping
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


@attrs.frozen(kw_only=True)
class Exports:
    """Validated export tables: table name -> column name -> NumPy array.

    Ids and text are str arrays (``""`` for empty cells), numbers float64
    (NaN for empty), timestamps int64 UTC seconds (``MISSING_TIME`` for empty).
    Every table also has ``_account``: each row's position in ``accounts``.
    ``lines`` gives each kept row's line in its source, for later messages.
    """

    tables: dict[str, dict[str, Any]]
    sources: dict[str, str]
    lines: dict[str, Any]
    rejected: tuple[RejectedRow, ...] = ()
    family: str = "mapping"
    """The data frame family the tables came in (``"mapping"`` for files)."""

    def has(self, table: str) -> bool:
        """Whether the table was provided."""
        return table in self.tables

    def rows(self, table: str) -> int:
        """Number of rows of ``table`` (0 when absent)."""
        cols = self.tables.get(table)
        return 0 if not cols else len(next(iter(cols.values())))


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


_BLANKS = np.array([ord(c) for c in " \t\r\n\v\f"], dtype=np.uint32)


def _strip(text: Any) -> Any:
    """``np.char.strip``, but only on the cells that start or end with a blank
    (large id columns rarely have any, and stripping copies the column)."""
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
    flat[padded] = np.char.strip(flat[padded])
    return out


# --------------------------------------------------------------------------- reading


def _read_csv(path: Path) -> tuple[dict[str, Any], Any]:
    """Every column of a CSV export as text (the one reader, ``_io.read_csv``),
    and the file line each row starts on."""
    table = read_csv(path)
    return dict(table.columns), table.lines


def _read_parquet(path: Path) -> dict[str, Any]:
    if "pyarrow" in sys.modules or _importable("pyarrow"):
        import pyarrow.parquet as pq  # noqa: PLC0415 -- optional extra, imported only for Parquet files

        table = pq.read_table(path)
        return {name: table.column(name).to_numpy(zero_copy_only=False) for name in table.schema.names}
    if "polars" in sys.modules or _importable("polars"):
        import polars as pl  # noqa: PLC0415 -- optional extra, imported only for Parquet files

        frame = pl.read_parquet(path)
        return {name: frame.get_column(name).to_numpy() for name in frame.columns}
    raise InputError(f"{path}: reading Parquet needs pyarrow or polars: pip install 'healthscore[arrow]'")


def _importable(name: str) -> bool:
    from importlib.util import find_spec  # noqa: PLC0415 -- only when a Parquet file is met

    return find_spec(name) is not None


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


def _row_numbers(columns: Mapping[str, Any], first: int) -> Any:
    n = len(next(iter(columns.values()))) if columns else 0
    return np.arange(first, first + n, dtype=np.int64)


_TABLE_SUFFIXES = (".csv", ".parquet")


def _refuse_unknown_files(folder: Path) -> None:
    """A table file whose name is not a known table (``event.csv``) is an
    error, not a file left unread: naming the known tables and the closest one.
    Files of other kinds (``.txt``, ``.json``) and hidden files are not tables."""
    unknown = sorted(
        p.name
        for p in folder.iterdir()
        if p.suffix.lower() in _TABLE_SUFFIXES and p.stem not in TABLES and not p.name.startswith(".")
    )
    if not unknown:
        return
    name = unknown[0]
    stem, suffix = name.rsplit(".", 1)
    close = difflib.get_close_matches(stem.lower(), list(TABLES), n=1, cutoff=0.75)
    hint = f"; did you mean {close[0]}.{suffix}?" if close else "; move files that are not exports out of the folder"
    more = f" (and {len(unknown) - 1} more: {', '.join(unknown[1:])})" if len(unknown) > 1 else ""
    msg = f"{folder / name}: not an export table{more}; known tables: {', '.join(TABLES)}{hint}"
    raise InputError(msg, value=name)


_RawTables = tuple[dict[str, dict[str, Any]], dict[str, str], dict[str, Any]]


def _raw_tables(source: str | os.PathLike[str] | Mapping[str, Any]) -> _RawTables:
    """Each table's columns, its name in messages, and each row's line: the
    file line it starts on for CSV, the row counted from 1 in memory, and the
    row counted after the header for Parquet."""
    raw: dict[str, dict[str, Any]] = {}
    names: dict[str, str] = {}
    lines: dict[str, Any] = {}
    if isinstance(source, Mapping):
        unknown = sorted(set(source) - set(TABLES))
        if unknown:
            raise InputError(f"unknown export table(s) {', '.join(map(repr, unknown))}; known: {', '.join(TABLES)}")
        for table, data in source.items():
            raw[table] = _frame_columns(data)
            names[table], lines[table] = f"<{table}>", _row_numbers(raw[table], 1)
        return raw, names, lines
    folder = Path(source)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder of exports (expected accounts.csv, events.csv, ...)")
    _refuse_unknown_files(folder)
    for table in TABLES:
        csv_path, parquet_path = folder / f"{table}.csv", folder / f"{table}.parquet"
        if csv_path.exists() and parquet_path.exists():
            raise InputError(f"{folder}: both {csv_path.name} and {parquet_path.name} exist; keep one")
        if csv_path.exists():
            (raw[table], lines[table]), names[table] = _read_csv(csv_path), str(csv_path)
        elif parquet_path.exists():
            raw[table], names[table] = _read_parquet(parquet_path), str(parquet_path)
            lines[table] = _row_numbers(raw[table], 2)
    return raw, names, lines


# --------------------------------------------------------------------------- validation


class _Rejects:
    def __init__(self, table: str, source: str, lines: Any) -> None:
        self.table = table
        self.source = source
        self.lines = lines
        self.bad = np.zeros(lines.shape[0], dtype=np.bool_)
        self.rows: list[RejectedRow] = []

    def add(self, mask: Any, column: str, values: Any, reason: str) -> None:
        fresh = np.asarray(mask, dtype=np.bool_) & ~self.bad
        for i in np.flatnonzero(fresh).tolist():
            value = values[i]
            self.rows.append(
                RejectedRow(
                    table=self.table,
                    source=self.source,
                    line=int(self.lines[i]),
                    column=column,
                    value="" if value is None else str(value),
                    reason=reason,
                )
            )
        self.bad |= fresh


def _timestamp_column(col: ColumnSpec, values: Any, rejects: _Rejects) -> Any:
    parsed, bad = parse_timestamps(values)
    rejects.add(bad, col.name, values, f"not {_time.RULE}")
    if not col.missing_ok:
        rejects.add(parsed == MISSING_TIME, col.name, values, "empty; a timestamp is required")
    return parsed


def _number_column(col: ColumnSpec, values: Any, rejects: _Rejects) -> Any:
    numbers, bad = _numbers(values)
    rejects.add(bad, col.name, values, "not a number")
    if not col.missing_ok:
        rejects.add(np.isnan(numbers), col.name, values, "empty; a number is required")
    if col.minimum is not None:
        with np.errstate(invalid="ignore"):
            rejects.add(numbers < col.minimum, col.name, values, f"must be >= {col.minimum:g}")
    if col.maximum is not None:
        with np.errstate(invalid="ignore"):
            rejects.add(numbers > col.maximum, col.name, values, f"must be <= {col.maximum:g}")
    return numbers


def _text_column(col: ColumnSpec, values: Any, rejects: _Rejects) -> Any:
    texts = _texts(values)
    empty = texts == ""
    if not col.missing_ok:
        rejects.add(empty, col.name, values, "empty; a value is required")
    if col.choices:
        choices = np.array(col.choices)
        off = ~empty & ~np.isin(texts, choices)
        if off.any():  # lower only what does not match as it is
            texts = texts.copy()
            texts[off] = np.char.lower(texts[off])
            off = ~empty & ~np.isin(texts, choices)
        rejects.add(off, col.name, values, f"must be one of {', '.join(col.choices)}")
    return texts


_COLUMN_READERS = {"timestamp": _timestamp_column, "number": _number_column}


def _link_accounts(out: dict[str, Any], known_accounts: tuple[Any, Any], rejects: _Rejects) -> None:
    """Each row's position in the accounts table; an unknown account_id is a bad row."""
    order, sorted_ids = known_accounts
    ids = out["account_id"]
    n = ids.shape[0]
    pos = np.minimum(np.searchsorted(sorted_ids, ids), max(sorted_ids.size - 1, 0))
    unknown = sorted_ids[pos] != ids if sorted_ids.size else np.ones(n, dtype=np.bool_)
    rejects.add(unknown, "account_id", ids, "unknown account_id (not in accounts)")
    out[ACCOUNT_INDEX] = order[pos] if sorted_ids.size else np.zeros(n, dtype=np.intp)


def _reject_duplicates(keys: Any, column: str, rejects: _Rejects) -> None:
    """Every repeat of a key after its first row is a bad row."""
    n = keys.shape[0]
    order = np.argsort(keys, kind="stable")
    dup_sorted = np.zeros(n, dtype=np.bool_)
    if n:
        dup_sorted[1:] = keys[order][1:] == keys[order][:-1]
    dup = np.zeros(n, dtype=np.bool_)
    dup[order] = dup_sorted
    rejects.add(dup, column, keys, f"duplicate {column}")


def _validate(
    spec: TableSpec,
    raw: dict[str, Any],
    source: str,
    known_accounts: tuple[Any, Any] | None,
    lines: Any,
) -> tuple[dict[str, Any], Any, list[RejectedRow]]:
    """One table's columns parsed by their specs; bad rows set aside with the
    line each starts on (``lines``: one per row)."""
    missing = [c.name for c in spec.columns if c.required and c.name not in raw]
    if missing:
        raise InputError(
            f"{source}: missing column(s) {', '.join(map(repr, missing))} in table {spec.name!r} "
            f"(columns: {', '.join(raw) or 'none'})",
            column=missing[0],
        )
    rejects = _Rejects(spec.name, source, lines)
    out: dict[str, Any] = {}
    for col in spec.columns:
        if col.name in raw:
            out[col.name] = _COLUMN_READERS.get(col.kind, _text_column)(col, raw[col.name], rejects)
    if known_accounts is not None and "account_id" in out:
        _link_accounts(out, known_accounts, rejects)
    if spec.unique is not None and spec.unique in out:
        _reject_duplicates(out[spec.unique], spec.unique, rejects)
    if not rejects.bad.any():  # nothing set aside: no copies
        return out, lines, rejects.rows
    keep = ~rejects.bad
    return {k: v[keep] for k, v in out.items()}, lines[keep], rejects.rows


def read_exports(
    source: str | os.PathLike[str] | Mapping[str, Any],
    *,
    on_bad_rows: BadRows = "error",
) -> Exports:
    """Read and validate export tables.

    Args:
        source: A folder holding ``<table>.csv`` or ``<table>.parquet`` files
            (``accounts`` is required, the rest optional), or a mapping of table
            name -> data frame or mapping of columns.
        on_bad_rows: ``"error"`` (default) stops at the first bad row with a
            message naming file, line, column and value; ``"report"`` sets every
            bad row aside in :attr:`Exports.rejected` and keeps the rest.

    Raises:
        InputError: A missing ``accounts`` table or required column, a table
            file of an unknown name, an unreadable file, or (with
            ``on_bad_rows="error"``) a bad row.
    """
    if on_bad_rows not in ("error", "report"):
        raise InputError(f"on_bad_rows must be 'error' or 'report', got {on_bad_rows!r}")
    raw, names, raw_lines = _raw_tables(source)
    if "accounts" not in raw:
        raise InputError(f"{source}: the accounts table is required (accounts.csv or accounts.parquet)")
    tables: dict[str, dict[str, Any]] = {}
    lines: dict[str, Any] = {}
    rejected: list[RejectedRow] = []
    accounts, account_lines, bad = _validate(
        TABLES["accounts"], raw["accounts"], names["accounts"], None, raw_lines["accounts"]
    )
    rejected += bad
    tables["accounts"], lines["accounts"] = accounts, account_lines
    ids = accounts["account_id"]
    order = np.argsort(ids, kind="stable")
    known = (order, ids[order])
    tables["accounts"][ACCOUNT_INDEX] = np.arange(ids.shape[0])
    for table, spec in TABLES.items():
        if table == "accounts" or table not in raw:
            continue
        cols, kept_lines, bad = _validate(spec, raw[table], names[table], known, raw_lines[table])
        rejected += bad
        tables[table], lines[table] = cols, kept_lines
    if rejected and on_bad_rows == "error":
        first = rejected[0]
        more = f" ({len(rejected) - 1} more bad rows; on_bad_rows='report' lists them all)" if len(rejected) > 1 else ""
        raise InputError(first.message() + more, column=first.column, row=first.line, value=first.value)
    return Exports(tables=tables, sources=names, lines=lines, rejected=tuple(rejected), family=_family(source))


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
