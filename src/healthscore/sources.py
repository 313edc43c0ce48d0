"""The exports of the tools teams use, turned into the export tables.

Each adapter reads one tool's documented export shape and gives the tables of
:data:`healthscore.exports.TABLES` (``accounts``, ``events``, ...) as a
:class:`SourceTables`: text columns that :func:`healthscore.exports.read_exports`
checks by its rules, where each row came from (file and line), the rows that
could not be mapped, and the rows the mapping reads nothing from.

* :func:`from_salesforce` -- CSV per object (``Account.csv``,
  ``Opportunity.csv``, ``Case.csv``, ``Task.csv``, ``Event.csv``,
  ``Contact.csv``, ``Contract.csv``, ``EmailMessage.csv``), API field names.
* :func:`from_hubspot` -- companies, deals, tickets, engagements (CSV or API JSON).
* :func:`from_stripe` -- invoices (API JSON lists, JSON lines or CSV with the API's field names).
* :func:`from_zendesk` -- tickets; :func:`from_intercom` -- conversations.
* :func:`from_amplitude` -- an Export API ZIP of gzipped JSON lines;
  :func:`from_mixpanel` -- raw export JSON lines.
* :func:`from_tables` -- a folder of healthscore's own ``<table>.csv`` files.

:func:`read_sources` runs several adapters and reads their tables into one
:class:`~healthscore.exports.Exports`. Every tool's key is mapped to the CRM's
``account_id`` by a documented join (a mapping file or dict; none means the key
is the account id). Times become UTC: epoch seconds and milliseconds, ISO 8601
through the one date rule of :mod:`healthscore._time`, and naive date-times
read in the adapter's ``timezone`` (UTC unless told). A row that cannot be
mapped -- no account key, a key the mapping does not know, a value that is not
a number or a time -- is a bad row naming the file, the line, the field and
the value; with ``on_bad_rows="report"`` it is set aside in
:attr:`Exports.rejected`. Rows the mapping reads nothing from by design (a lost
opportunity, a draft invoice, a call, a repeated event) are counted in
:attr:`SourceTables.ignored`. Nothing is dropped silently. See docs/sources.md.

Examples:
    >>> tables = from_stripe(
    ...     {"data": [{"id": "in_1", "customer": "cus_A", "currency": "jpy", "amount_due": 120000,
    ...                "due_date": 1767225600, "status": "paid", "status_transitions": {"paid_at": 1767312000}}]},
    ...     mapping={"cus_A": "acme"},
    ... )
    >>> {k: v.tolist() for k, v in tables.tables["invoices"].items()}  # doctest: +NORMALIZE_WHITESPACE
    {'account_id': ['acme'], 'invoice_id': ['in_1'], 'due_date': ['2026-01-01T00:00:00Z'],
     'paid_date': ['2026-01-02T00:00:00Z'], 'amount': ['120000.0']}
"""

from __future__ import annotations

import difflib
import functools
import gzip
import html
import inspect
import json
import os
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import attrs
import numpy as np

from healthscore import _time
from healthscore._io import parse_csv
from healthscore.exceptions import InputError
from healthscore.exports import TABLES, BadRows, Exports, RejectedRow, _numbers, read_exports

__all__ = [
    "ADAPTERS",
    "Ignored",
    "SourceTables",
    "collect_sources",
    "currency_exponent",
    "from_amplitude",
    "from_hubspot",
    "from_intercom",
    "from_mixpanel",
    "from_salesforce",
    "from_stripe",
    "from_tables",
    "from_zendesk",
    "load_sources_file",
    "persona",
    "read_sources",
    "salesforce_id",
]

PathLike = str | os.PathLike[str]
Data = PathLike | Mapping[str, Any] | list[Any]
"""What an adapter reads: a file, a folder, or (in Python) the parsed JSON itself."""

Join = PathLike | Mapping[str, str] | None
"""A tool's key -> ``account_id``: a CSV file (a key column and ``account_id``), a
JSON object file, a dict, or ``None`` (the key is the account id)."""

YEAR_SECONDS = 365 * _time.SECONDS_PER_DAY


@attrs.frozen(kw_only=True)
class Ignored:
    """Rows of one file that the mapping reads nothing from, by design.

    Attributes:
        tool: The tool (``"stripe"``).
        source: The file.
        reason: Why they carry no export row (``"a draft invoice is not issued"``).
        rows: How many.
    """

    tool: str
    source: str
    reason: str
    rows: int

    def message(self) -> str:
        """One line: tool, count, file and reason."""
        return f"{self.tool}: {self.rows} row(s) of {self.source} not read: {self.reason}"


@attrs.frozen(kw_only=True, eq=False)
class SourceTables:
    """Export tables made from tools' exports, before they are checked.

    Attributes:
        tables: Table -> column -> str array (``""`` for an empty cell): ids and
            text as they are, numbers as text, times as UTC ISO 8601 text.
        origins: Table -> (files, each row's index into files, each row's line).
        rejected: Rows that could not be mapped, each naming file, line, field,
            value and reason.
        ignored: Rows the mapping reads nothing from, counted by file and reason.
        tools: Table -> the tools that gave it rows.
    """

    tables: dict[str, dict[str, Any]]
    origins: dict[str, tuple[tuple[str, ...], Any, Any]]
    rejected: tuple[RejectedRow, ...] = ()
    ignored: tuple[Ignored, ...] = ()
    tools: dict[str, tuple[str, ...]] = attrs.field(factory=dict)

    def rows(self, table: str) -> int:
        """Number of rows of ``table`` (0 when absent)."""
        cols = self.tables.get(table)
        return 0 if not cols else len(next(iter(cols.values())))

    def origin(self, table: str, row: int) -> tuple[str, int]:
        """The file and line row ``row`` (0-based) of ``table`` came from."""
        files, index, lines = self.origins[table]
        return files[int(index[row])], int(lines[row])

    def merge(self, *others: SourceTables) -> SourceTables:
        """These tables with the rows of ``others`` after them."""
        parts = (self, *others)
        tables: dict[str, dict[str, Any]] = {}
        origins: dict[str, tuple[tuple[str, ...], Any, Any]] = {}
        tools: dict[str, tuple[str, ...]] = {}
        for table in TABLES:
            having = [p for p in parts if p.rows(table)]
            if not having:
                continue
            tables[table] = _concat([p.tables[table] for p in having], table)
            origins[table] = _concat_origins([p.origins[table] for p in having])
            tools[table] = tuple(dict.fromkeys(t for p in having for t in p.tools.get(table, ())))
        return SourceTables(
            tables=tables,
            origins=origins,
            rejected=tuple(r for p in parts for r in p.rejected),
            ignored=tuple(i for p in parts for i in p.ignored),
            tools=tools,
        )

    def to_exports(self, *, on_bad_rows: BadRows = "error", memory_limit: str | None = None) -> Exports:
        """Check the tables with :func:`~healthscore.exports.read_exports`.

        A bad row it finds is named by the file and line of the tool's export
        it came from. With ``on_bad_rows="error"`` the first bad row (the
        rows this object already set aside first) stops the read; with
        ``"report"`` every one is in :attr:`Exports.rejected`.

        Raises:
            InputError: No ``accounts`` table, or (with ``"error"``) a bad row.
        """
        if on_bad_rows not in ("error", "report"):
            raise InputError(f"on_bad_rows must be 'error' or 'report', got {on_bad_rows!r}")
        if "accounts" not in self.tables:
            raise InputError(
                "the sources give no accounts: add a CRM (salesforce, hubspot) or tables=FOLDER with accounts.csv"
            )
        if on_bad_rows == "error" and self.rejected:
            raise _first_error(self.rejected, len(self.rejected))
        exports = read_exports(self.tables, on_bad_rows="report", memory_limit=memory_limit)
        found = tuple(self._traced(r) for r in exports.rejected)
        rejected = (*self.rejected, *found)
        if on_bad_rows == "error" and rejected:
            raise _first_error(rejected, len(rejected))
        sources = {t: f"{', '.join(self.tools.get(t, ()))} ({self._files(t)})" for t in exports.present}
        return exports.with_rejected(rejected, sources=sources)

    def _traced(self, row: RejectedRow) -> RejectedRow:
        source, line = self.origin(row.table, row.line - 1)
        return attrs.evolve(row, source=source, line=line)

    def _files(self, table: str) -> str:
        files = self.origins[table][0]
        return files[0] if len(files) == 1 else f"{len(files)} files"


def _first_error(rejected: tuple[RejectedRow, ...], count: int) -> InputError:
    first = rejected[0]
    more = f" ({count - 1} more bad rows; on_bad_rows='report' lists them all)" if count > 1 else ""
    return InputError(first.message() + more, column=first.column, row=first.line, value=first.value)


def _concat(parts: list[dict[str, Any]], table: str) -> dict[str, Any]:
    names = [c.name for c in TABLES[table].columns if any(c.name in p for p in parts)]
    out: dict[str, Any] = {}
    for name in names:
        arrays = [p[name] if name in p else np.full(len(next(iter(p.values()))), "") for p in parts]
        out[name] = np.concatenate([a.astype(str) for a in arrays])
    return out


def _concat_origins(parts: list[tuple[tuple[str, ...], Any, Any]]) -> tuple[tuple[str, ...], Any, Any]:
    files: list[str] = []
    index, lines = [], []
    for names, idx, ln in parts:
        index.append(np.asarray(idx) + len(files))
        files += names
        lines.append(ln)
    return tuple(files), np.concatenate(index), np.concatenate(lines)


# --------------------------------------------------------------------------- records


class _Record(NamedTuple):
    source: str
    line: int
    data: Mapping[str, Any]


class _Bad(Exception):
    """A row that cannot be mapped (caught by :class:`_Builder`)."""

    def __init__(self, field: str, value: Any, reason: str) -> None:
        super().__init__(reason)
        self.field, self.value, self.reason = field, value, reason


class _Skip(Exception):
    """A row the mapping reads nothing from (counted by :class:`_Builder`)."""


def _dig(data: Mapping[str, Any], name: str) -> Any:
    """``data[name]``, or the value at a dotted path (``status_transitions.paid_at``)."""
    if name in data:
        return data[name]
    value: Any = data
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _get(rec: _Record, *names: str) -> tuple[str, Any]:
    """The first of ``names`` with a value in the record, and the value (``None``: none has one)."""
    for name in names:
        value = _dig(rec.data, name)
        if value is not None and value != "":
            return name, value
    return names[0], None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _number(field: str, value: Any) -> float:
    """A number (JSON number or text) by the one number rule; NaN for none."""
    if value is None or value == "":
        return float("nan")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
        bad = not np.isfinite(number)
    else:
        got, mask = _numbers(np.array([_text(value)]))
        number, bad = float(got[0]), bool(mask[0]) or not np.isfinite(got[0])
    if bad:
        raise _Bad(field, value, "not a number")
    return number


_TRUE = frozenset({"true", "1", "yes", "y", "t"})
_FALSE = frozenset({"false", "0", "no", "n", "f", ""})


def _flag(field: str, value: Any) -> bool:
    text = _text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _Bad(field, value, "not true or false")


_EPOCH = re.compile(r"-?\d+(\.\d+)?")
_NAIVE = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?")
_MS_FROM = 100_000_000_000
"""Epoch numbers from this on are milliseconds (as seconds they would be past the year 5000)."""

_EPOCH_FROM = 100_000_000
"""Epoch numbers below this (1973-03-03 as seconds) are refused: ``20260630`` is a date
written without dashes, not a moment of 1970."""


@attrs.frozen
class _Clock:
    """Times of one export into UTC seconds: epoch seconds or milliseconds
    (told apart by size), or ISO 8601 by the one date rule; a naive date-time
    is a wall-clock time in ``zone``."""

    zone: Any = None
    parsed: dict[str, int | None] = attrs.field(factory=dict, eq=False)
    """ISO texts already parsed (``None``: they break the rule), by :meth:`prime`."""

    def prime(self, values: Iterable[Any]) -> None:
        """Parse many ISO texts at once by the one date rule (one vectorised
        pass instead of one call a value); :meth:`seconds` then looks them up."""
        texts = {t for v in values if isinstance(v, str) and (t := v.strip()) and not _EPOCH.fullmatch(t)}
        self.parsed.clear()
        if texts:
            order = sorted(texts)
            secs, bad, _ = _time.parse_texts(np.array(order, dtype=str))
            self.parsed.update(
                (t, None if b else int(x)) for t, x, b in zip(order, secs.tolist(), bad.tolist(), strict=True)
            )

    def seconds(self, field: str, value: Any) -> int | None:
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            raise _Bad(field, value, f"not a time: {_time.RULE}, or epoch seconds")
        text = _text(value)
        if isinstance(value, (int, float)) or _EPOCH.fullmatch(text):
            number = float(text)
            if number < _EPOCH_FROM:
                raise _Bad(field, value, f"not a time: {_time.RULE}, or epoch seconds from {_EPOCH_FROM:,}")
            secs = int(number // 1000 if number >= _MS_FROM else number // 1)
        else:
            secs = self._iso(field, value, text)
            if self.zone is not None and _NAIVE.fullmatch(text):
                wall = datetime.fromtimestamp(secs, UTC).replace(tzinfo=self.zone)
                secs = int(wall.timestamp())
        if not _time.FIRST_SECOND <= secs <= _time.LAST_SECOND:
            raise _Bad(field, value, f"outside the years {_time.FIRST_YEAR} to {_time.LAST_YEAR}")
        return secs

    def _iso(self, field: str, value: Any, text: str) -> int:
        if text in self.parsed:
            found = self.parsed[text]
        else:
            try:
                found = _time.parse_instant(text, field).seconds
            except InputError:
                found = None
        if found is None:
            raise _Bad(field, value, f"not a time: {_time.RULE}, or epoch seconds")
        return found


_BATCH = 20_000
"""Records read at a time when their times are parsed together."""


def _clock(timezone: str) -> _Clock:
    if timezone.upper() == "UTC":
        return _Clock()
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # noqa: PLC0415 -- only for a time zone other than UTC

    try:
        return _Clock(ZoneInfo(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"timezone must be an IANA time zone name such as 'Europe/Berlin' or 'UTC', got {timezone!r}",
            column="timezone",
            value=timezone,
        ) from None


def _iso(secs: int | None) -> str:
    if secs is None:
        return ""
    return datetime.fromtimestamp(secs, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- reading files


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"{source} line {line}: not UTF-8 text; save the file as UTF-8", row=line) from None


_WS = re.compile(r"\s*")


def _json_error(source: str, text: str, exc: json.JSONDecodeError) -> InputError:
    line = text.count("\n", 0, exc.pos) + 1
    return InputError(f"{source} line {line}: not valid JSON ({exc.msg})", row=line)


def _array_items(text: str, start: int, source: str) -> Iterator[tuple[int, Any]]:
    """The items of the JSON array that opens at ``text[start]``, each with the line it starts on."""
    decoder = json.JSONDecoder()
    pos, line = start + 1, text.count("\n", 0, start + 1) + 1
    while True:
        skip = _WS.match(text, pos)
        assert skip is not None  # \s* always matches
        line += text.count("\n", pos, skip.end())
        pos = skip.end()
        if pos < len(text) and text[pos] == "]":
            return
        try:
            item, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise _json_error(source, text, exc) from None
        yield line, item
        line += text.count("\n", pos, end)
        skip = _WS.match(text, end)
        assert skip is not None
        line += text.count("\n", end, skip.end())
        pos = skip.end() + 1
        if skip.end() >= len(text) or text[skip.end()] not in ",]":
            raise InputError(f"{source} line {line}: not valid JSON (expected ',' or ']')", row=line)
        if text[skip.end()] == "]":
            return


def _listed(doc: Any, keys: tuple[str, ...]) -> str | None:
    """The key of ``doc`` (a JSON object) that holds the records, if any."""
    if isinstance(doc, Mapping):
        for key in keys:
            if isinstance(doc.get(key), list):
                return key
    return None


def _document_records(text: str, doc: Any, keys: tuple[str, ...], source: str) -> Iterator[_Record]:
    """The records of one JSON document: an array, an object listing them
    under one of ``keys`` (``{"data": [...]}``), or one record."""
    key = _listed(doc, keys)
    if key is None and not isinstance(doc, list):
        yield _record(source, 1, doc)
        return
    items = doc if key is None else doc[key]
    found = re.search(r"\[" if key is None else rf'"{re.escape(key)}"\s*:\s*\[', text)
    if found is not None:
        start = found.end() - 1
        lines = [ln for ln, _ in _array_items(text, start, source)]
        if len(lines) == len(items):
            for line, item in zip(lines, items, strict=True):
                yield _record(source, line, item)
            return
    where = f"{source} [{key}]" if key else source  # the array was not found by its text: items are numbered
    for i, item in enumerate(items):
        yield _record(where, i + 1, item)


def _record(source: str, line: int, item: Any) -> _Record:
    if not isinstance(item, Mapping):
        raise InputError(f"{source} line {line}: expected a JSON object, got {type(item).__name__}", row=line)
    return _Record(source, line, item)


def _json_records(data: bytes, source: str, keys: tuple[str, ...]) -> Iterator[_Record]:
    """Records of JSON text: one document (see :func:`_document_records`) or JSON lines."""
    text = _decode(data, source)
    start = _WS.match(text)
    pos = start.end() if start else 0
    if pos == len(text):
        return
    try:
        doc, end = json.JSONDecoder().raw_decode(text, pos)
    except json.JSONDecodeError as exc:
        raise _json_error(source, text, exc) from None
    if not text[end:].strip():
        yield from _document_records(text, doc, keys, source)
        return
    for number, raw in enumerate(text.splitlines(), start=1):  # JSON lines
        if not raw.strip():
            continue
        try:
            item = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise InputError(f"{source} line {number}: not valid JSON ({exc.msg})", row=number) from None
        yield _record(source, number, item)


def _csv_records(data: bytes, source: str) -> Iterator[_Record]:
    table = parse_csv(data, source=source)
    names = list(table.columns)
    columns = [table.columns[n].tolist() for n in names]
    for i, line in enumerate(table.lines.tolist()):
        yield _Record(source, int(line), {n: col[i] for n, col in zip(names, columns, strict=True)})


_JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")
_SUFFIXES = (*_JSON_SUFFIXES, ".csv")


def _suffix(path: Path) -> str:
    name = path.name.lower()
    return Path(name[:-3]).suffix if name.endswith(".gz") else path.suffix.lower()


def _file_records(path: Path, keys: tuple[str, ...]) -> Iterator[_Record]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file: {exc.strerror or exc}") from None
    if path.name.lower().endswith(".gz"):
        data = _gunzip(data, str(path))
    if _suffix(path) == ".csv":
        return _csv_records(data, str(path))
    return _json_records(data, str(path), keys)


def _gunzip(data: bytes, source: str) -> bytes:
    try:
        return gzip.decompress(data)
    except (OSError, EOFError) as exc:
        raise InputError(f"{source}: not a readable gzip file ({exc})") from None


def _files(path: PathLike, tool: str) -> list[Path]:
    """A file, or the JSON / CSV files (gzipped or not) of a folder, by name."""
    p = Path(path)
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.is_file() and not f.name.startswith(".") and _suffix(f) in _SUFFIXES)
        if not files:
            raise InputError(f"{p}: no .json, .jsonl or .csv file in the {tool} folder")
        return files
    if p.is_file():
        return [p]
    raise InputError(f"{p}: no such file or folder ({tool} export)")


def _records(data: Data, tool: str, keys: tuple[str, ...]) -> Iterator[_Record]:
    """Records of a file, a folder of files, or JSON already parsed (named ``<tool>``)."""
    if isinstance(data, (Mapping, list)):
        doc: Any = data
        items = doc if isinstance(doc, list) else doc[_listed(doc, keys)] if _listed(doc, keys) else [doc]
        for i, item in enumerate(items):
            yield _record(f"<{tool}>", i + 1, item)
        return
    for path in _files(data, tool):
        yield from _file_records(path, keys)


def _object_files(path: PathLike | Mapping[str, PathLike], names: tuple[str, ...], tool: str) -> dict[str, Path]:
    """Object name -> its file: ``<Object>.csv`` / ``.json`` / ``.jsonl`` in a
    folder (any case), or a mapping of object name -> file."""
    if isinstance(path, Mapping):
        lower = {n.lower(): n for n in names}
        unknown = sorted(k for k in path if k.lower() not in lower)
        if unknown:
            raise InputError(f"{tool}: unknown object(s) {', '.join(map(repr, unknown))}; known: {', '.join(names)}")
        return {lower[k.lower()]: Path(v) for k, v in path.items()}
    folder = Path(path)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder of {tool} exports ({', '.join(n + '.csv' for n in names)})")
    found: dict[str, Path] = {}
    lower = {n.lower(): n for n in names}
    for file in sorted(folder.iterdir()):
        stem = file.name.lower().split(".")[0]
        if file.is_file() and stem in lower and _suffix(file) in _SUFFIXES:
            if lower[stem] in found:
                raise InputError(f"{folder}: both {found[lower[stem]].name} and {file.name}; keep one")
            found[lower[stem]] = file
    return found


# --------------------------------------------------------------------------- joins


@attrs.frozen
class _Join:
    """A tool's key -> account id (``keys`` ``None``: the key is the account id)."""

    keys: Mapping[str, str] | None
    where: str

    def account(self, field: str, key: Any) -> str:
        text = _text(key)
        if not text:
            raise _Bad(field, "", f"empty; the row names no {field}")
        if self.keys is None:
            return text
        account = self.keys.get(text)
        if account is None:
            raise _Bad(field, text, f"{field} {text!r} is not in {self.where}")
        return account


def _join(mapping: Join, tool: str) -> _Join:
    if mapping is None:
        return _Join(None, "")
    if isinstance(mapping, Mapping):
        return _Join({_text(k): _text(v) for k, v in mapping.items()}, f"the {tool} mapping")
    path = Path(mapping)
    if path.suffix.lower() == ".json":
        try:
            doc = json.loads(_decode(path.read_bytes(), str(path)))
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f"{path}: cannot read the {tool} mapping: {exc}") from None
        if not isinstance(doc, Mapping):
            raise InputError(f"{path}: the {tool} mapping must be a JSON object of key: account_id")
        return _Join({_text(k): _text(v) for k, v in doc.items()}, str(path))
    return _Join(_csv_join(path, tool), str(path))


def _csv_join(path: Path, tool: str) -> dict[str, str]:
    """A CSV mapping: an ``account_id`` column and one key column."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the {tool} mapping: {exc.strerror or exc}") from None
    table = parse_csv(data, source=str(path))
    others = [c for c in table.columns if c != "account_id"]
    if "account_id" not in table.columns or len(others) != 1:
        raise InputError(
            f"{path}: a {tool} mapping has two columns, the {tool} key and account_id (columns: "
            f"{', '.join(table.columns)})"
        )
    keys, accounts = table.columns[others[0]].tolist(), table.columns["account_id"].tolist()
    out: dict[str, str] = {}
    for key, account, line in zip(keys, accounts, table.lines.tolist(), strict=True):
        key, account = key.strip(), account.strip()
        if not key or not account:
            column = others[0] if not key else "account_id"
            raise InputError(f"{path} line {line}, column {column!r}: empty", column=column, row=line, value="")
        if out.get(key, account) != account:
            raise InputError(
                f"{path} line {line}, column {others[0]!r}: {key!r} is mapped to both {out[key]!r} and {account!r}",
                column=others[0],
                row=line,
                value=key,
            )
        out[key] = account
    return out


# --------------------------------------------------------------------------- building tables


class _Builder:
    """Rows of one tool's export tables, with where each came from and what was set aside."""

    def __init__(self, tool: str) -> None:
        self.tool = tool
        self.columns: dict[str, dict[str, list[str]]] = {}
        self.files: dict[str, dict[str, int]] = {}
        self.index: dict[str, list[int]] = {}
        self.lines: dict[str, list[int]] = {}
        self.rejected: list[RejectedRow] = []
        self.ignored: Counter[tuple[str, str]] = Counter()

    def add(self, table: str, rec: _Record, values: Mapping[str, Any]) -> None:
        if table not in self.columns:
            self.columns[table] = {c.name: [] for c in TABLES[table].columns}
            self.files[table], self.index[table], self.lines[table] = {}, [], []
        for name, cells in self.columns[table].items():
            value = values.get(name)
            cells.append(
                value if isinstance(value, str) else "" if value is None or value != value else repr(float(value))
            )
        files = self.files[table]
        self.index[table].append(files.setdefault(rec.source, len(files)))
        self.lines[table].append(rec.line)

    def each(
        self,
        table: str,
        records: Iterable[_Record],
        rows: Callable[[_Record], Iterable[dict[str, Any]]],
        *,
        times: tuple[str, ...] = (),
        clock: _Clock | None = None,
    ) -> None:
        """Every record through ``rows`` (its export rows): a :class:`_Bad` one is
        set aside with its file, line, field and value, a :class:`_Skip` one
        counted. With ``times`` and ``clock``, the records go in batches whose
        fields ``times`` are parsed together first."""
        if not times or clock is None:
            self._each(table, records, rows)
            return
        batch: list[_Record] = []
        for rec in records:
            batch.append(rec)
            if len(batch) == _BATCH:
                clock.prime(_dig(r.data, f) for r in batch for f in times)
                self._each(table, batch, rows)
                batch = []
        clock.prime(_dig(r.data, f) for r in batch for f in times)
        self._each(table, batch, rows)
        clock.parsed.clear()

    def _each(
        self, table: str, records: Iterable[_Record], rows: Callable[[_Record], Iterable[dict[str, Any]]]
    ) -> None:
        for rec in records:
            try:
                for values in list(rows(rec)):
                    self.add(table, rec, values)
            except _Bad as bad:
                self.reject(table, rec, bad)
            except _Skip as skip:
                self.ignored[(rec.source, str(skip))] += 1

    def reject(self, table: str, rec: _Record, bad: _Bad) -> None:
        value = bad.value if isinstance(bad.value, str) else json.dumps(bad.value, default=str)
        self.rejected.append(
            RejectedRow(table=table, source=rec.source, line=rec.line, column=bad.field, value=value, reason=bad.reason)
        )

    def build(self) -> SourceTables:
        tables: dict[str, dict[str, Any]] = {}
        origins: dict[str, tuple[tuple[str, ...], Any, Any]] = {}
        for table, columns in self.columns.items():
            spec = TABLES[table]
            tables[table] = {
                name: np.array(cells, dtype=str)
                for name, cells in columns.items()
                if spec.column(name).required or any(cells)
            }
            origins[table] = (
                tuple(self.files[table]),
                np.array(self.index[table], dtype=np.int32),
                np.array(self.lines[table], dtype=np.int64),
            )
        ignored = tuple(
            Ignored(tool=self.tool, source=source, reason=reason, rows=n)
            for (source, reason), n in self.ignored.items()
        )
        return SourceTables(
            tables=tables,
            origins=origins,
            rejected=tuple(self.rejected),
            ignored=ignored,
            tools=dict.fromkeys(tables, (self.tool,)),
        )


_QBR = re.compile(r"\bqbrs?\b|\bebrs?\b|business review", re.IGNORECASE)
_CANCELLED = re.compile(r"\bcancel", re.IGNORECASE)


def _meeting_kind(title: str) -> str:
    """``qbr`` for a business review (``QBR``, ``EBR``, ``business review`` in
    the title), ``qbr_cancelled`` when the title also says it was cancelled,
    else ``meeting``."""
    if _QBR.search(title):
        return "qbr_cancelled" if _CANCELLED.search(title) else "qbr"
    return "meeting"


_EXECUTIVE = re.compile(
    r"\b(chief|ceo|cfo|cto|coo|cio|cro|cmo|cpo|ciso|president|vp|svp|evp|vice[- ]president|founder|co-founder|"
    r"owner|partner|managing director|general manager|head of)\b",
    re.IGNORECASE,
)
_MANAGER = re.compile(r"\b(director|manager|head|lead|supervisor)\b", re.IGNORECASE)


def persona(title: str) -> str:
    """The persona of a contact's job title: ``executive`` (chief, VP,
    president, founder, head of ...), ``manager`` (director, manager, lead
    ...), ``operational`` for any other title, ``""`` for none.

    Examples:
        >>> persona("VP Customer Success"), persona("IT Manager"), persona("Analyst"), persona("")
        ('executive', 'manager', 'operational', '')
    """
    if not title.strip():
        return ""
    if _EXECUTIVE.search(title):
        return "executive"
    return "manager" if _MANAGER.search(title) else "operational"


def _arr(wins: Mapping[str, list[tuple[int, float]]], as_of: int | None) -> dict[str, float]:
    """ARR of each account with a won deal: the amounts of its deals won in the
    365 days up to ``as_of`` (default: the latest win of the export)."""
    if not wins:
        return {}
    end = as_of if as_of is not None else max(t for rows in wins.values() for t, _ in rows)
    return {a: sum(x for t, x in rows if end - YEAR_SECONDS < t <= end) for a, rows in wins.items()}


ACCOUNT_FIELDS = ("segment", "name", "arr", "seats_purchased", "contract_term_months")
"""The account columns a CRM adapter's ``fields`` may take from a field of the org's choice."""


def _account_fields(fields: Mapping[str, str] | None, defaults: Mapping[str, str], tool: str) -> dict[str, str]:
    unknown = sorted(set(fields or {}) - set(ACCOUNT_FIELDS))
    if unknown:
        raise InputError(
            f"{tool}: fields maps account columns to fields; {unknown[0]!r} is not one "
            f"(allowed: {', '.join(ACCOUNT_FIELDS)})",
            column="fields",
            value=unknown[0],
        )
    return {**defaults, **(fields or {})}


def _account_values(fields: Mapping[str, str], lookup: Callable[[str], tuple[str, Any]]) -> dict[str, Any]:
    """The account columns read from the fields named for them."""
    row: dict[str, Any] = {}
    for column, name in fields.items():
        field, value = lookup(name)
        row[column] = _number(field, value) if TABLES["accounts"].column(column).kind == "number" else _text(value)
    return row


def _as_of(as_of: Any) -> int | None:
    return None if as_of is None else _time.cutoff_seconds(as_of, "as_of")


# --------------------------------------------------------------------------- Salesforce

_SF_OBJECTS = ("Account", "Opportunity", "Case", "Task", "Event", "Contact", "Contract", "EmailMessage")
_SF_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_SF_ID = re.compile(r"[a-zA-Z0-9]{15}([a-zA-Z0-5]{3})?")


def salesforce_id(text: str) -> str | None:
    """A Salesforce record id in its 18-character form, or ``None`` when ``text``
    is not one.

    A 15-character id is case-sensitive; its 18-character form adds three
    characters that encode the case of the first 15, so it can be compared
    without regard to case. Both forms of one record give the same id here;
    an 18-character id whose case was lost (a spreadsheet, a lower-casing
    tool) gets its case back from its last three characters.

    Examples:
        >>> salesforce_id("001A0000006Vm9r"), salesforce_id("001A0000006Vm9rIAC")
        ('001A0000006Vm9rIAC', '001A0000006Vm9rIAC')
        >>> salesforce_id("001a0000006vm9riac"), salesforce_id("no")
        ('001A0000006Vm9rIAC', None)
    """
    text = text.strip()
    if not _SF_ID.fullmatch(text):
        return None
    base = text[:15]
    if len(text) == 18:
        chunks = []
        for i in range(3):
            bits = _SF_ALPHABET.index(text[15 + i].upper())
            part = base[5 * i : 5 * i + 5]
            chunks.append("".join(c.upper() if bits >> j & 1 else c.lower() for j, c in enumerate(part)))
        base = "".join(chunks)
    suffix = "".join(
        _SF_ALPHABET[sum(1 << j for j, c in enumerate(base[5 * i : 5 * i + 5]) if c.isupper())] for i in range(3)
    )
    return base + suffix


def _sf_id(field: str, value: Any, *, required: bool = True) -> str:
    text = _text(value)
    if not text:
        if required:
            raise _Bad(field, "", f"empty; the row names no {field}")
        return ""
    canonical = salesforce_id(text)
    if canonical is None:
        raise _Bad(field, text, "not a Salesforce id (15 or 18 letters and digits)")
    return canonical


@attrs.frozen(kw_only=True)
class _SalesforceRead:
    clock: _Clock
    fields: Mapping[str, str]
    as_of: int | None
    personas: dict[str, str] = attrs.field(factory=dict)
    parents: dict[str, str] = attrs.field(factory=dict)  # case / opportunity id -> account id
    wins: dict[str, list[tuple[int, float]]] = attrs.field(factory=dict)
    terms: dict[str, tuple[int, float]] = attrs.field(factory=dict)


def from_salesforce(
    path: PathLike | Mapping[str, PathLike],
    *,
    fields: Mapping[str, str] | None = None,
    as_of: Any = None,
    timezone: str = "UTC",
) -> SourceTables:
    """Salesforce objects exported as CSV (Data Export, Data Loader, Bulk API):
    accounts, ARR, tickets and CRM activities.

    Args:
        path: A folder holding ``Account.csv`` (required) and any of
            ``Opportunity``, ``Case``, ``Task``, ``Event``, ``Contact``,
            ``Contract``, ``EmailMessage`` (``.csv``, or ``.json`` / ``.jsonl``
            with the same field names), or a mapping of object -> file.
        fields: Export column -> Account field, for the account columns whose
            field differs by org: ``segment`` (default ``Type``), ``name``
            (``Name``), ``arr`` (default: from won opportunities),
            ``seats_purchased`` (none), ``contract_term_months`` (default: the
            latest activated contract's ``ContractTerm``). E.g.
            ``{"segment": "Segment__c", "arr": "ARR__c"}``.
        as_of: ARR counts the opportunities won in the 365 days up to this
            date (default: up to the latest won opportunity of the export).
        timezone: The zone of naive date-times (Salesforce's own exports are UTC).

    Every id (``Id``, ``AccountId``, ``ParentId``, ``WhoId``, ...) is read in
    its 18-character form (:func:`salesforce_id`), so 15- and 18-character
    exports of one record agree.
    """
    files = _object_files(path, _SF_OBJECTS, "salesforce")
    if "Account" not in files:
        raise InputError(f"{path}: Account.csv is required in a Salesforce export")
    read = _SalesforceRead(
        clock=_clock(timezone), fields=_account_fields(fields, _SF_FIELDS, "salesforce"), as_of=_as_of(as_of)
    )
    b = _Builder("salesforce")
    if "Contact" in files:
        b.each("crm_activities", _file_records(files["Contact"], ()), lambda r: _sf_contact(read, r))
    if "Opportunity" in files:
        b.each("crm_activities", _file_records(files["Opportunity"], ()), lambda r: _sf_opportunity(read, r))
    if "Contract" in files:
        b.each("accounts", _file_records(files["Contract"], ()), lambda r: _sf_contract(read, r))
    arr = _arr(read.wins, read.as_of)
    b.each("accounts", _file_records(files["Account"], ()), lambda r: _sf_account(read, arr, r))
    if "Case" in files:
        b.each("tickets", _file_records(files["Case"], ()), lambda r: _sf_case(read, r))
    for name in ("Task", "Event"):
        if name in files:
            b.each("crm_activities", _file_records(files[name], ()), functools.partial(_sf_activity, read, name))
    if "EmailMessage" in files:
        b.each("crm_activities", _file_records(files["EmailMessage"], ()), lambda r: _sf_email(read, r))
    return b.build()


_SF_FIELDS = {"segment": "Type", "name": "Name"}


def _sf_contact(read: _SalesforceRead, rec: _Record) -> list[dict[str, Any]]:
    contact = _sf_id("Id", _get(rec, "Id")[1])
    read.personas[contact] = persona(_text(_get(rec, "Title")[1]))
    return []  # read for the persona of its title, on the activities that name it (WhoId)


def _sf_opportunity(read: _SalesforceRead, rec: _Record) -> list[dict[str, Any]]:
    account = _sf_id("AccountId", _get(rec, "AccountId")[1])
    if opp := _text(_get(rec, "Id")[1]):
        read.parents[_sf_id("Id", opp)] = account
    won = _flag("IsWon", _get(rec, "IsWon")[1]) or _text(_get(rec, "StageName")[1]).lower() == "closed won"
    rows: list[dict[str, Any]] = []
    kind = _text(_get(rec, "Type")[1]).lower()
    if any(word in kind for word in ("upgrade", "upsell", "expansion", "cross-sell", "cross sell")):
        field, value = _get(rec, "CreatedDate", "CloseDate")
        rows.append(
            {"account_id": account, "timestamp": _iso(read.clock.seconds(field, value)), "kind": "expansion_talk"}
        )
    if won:
        closed = read.clock.seconds("CloseDate", _get(rec, "CloseDate")[1])
        amount = _number("Amount", _get(rec, "Amount")[1])
        if closed is None or np.isnan(amount):
            raise _Bad(
                "CloseDate" if closed is None else "Amount", "", "a won opportunity needs a CloseDate and Amount"
            )
        read.wins.setdefault(account, []).append((closed, amount))
    if not rows and not won:
        raise _Skip("an open or lost opportunity that is no upgrade adds nothing (won ones make ARR)")
    return rows


def _sf_contract(read: _SalesforceRead, rec: _Record) -> list[dict[str, Any]]:
    account = _sf_id("AccountId", _get(rec, "AccountId")[1])
    # StatusCode is the fixed category (Draft, InApproval, Activated); Status is its label, which an admin may rename
    status = _text(_get(rec, "StatusCode", "Status")[1]).lower()
    term = _number("ContractTerm", _get(rec, "ContractTerm")[1])
    start = read.clock.seconds("StartDate", _get(rec, "StartDate")[1])
    if status == "activated" and not np.isnan(term) and start is not None:
        if account not in read.terms or read.terms[account][0] <= start:
            read.terms[account] = (start, term)
        return []  # the latest activated contract gives its account's contract_term_months
    raise _Skip("a contract that is not activated, or has no ContractTerm or StartDate, gives no term")


def _sf_account(read: _SalesforceRead, arr: Mapping[str, float], rec: _Record) -> list[dict[str, Any]]:
    account = _sf_id("Id", _get(rec, "Id")[1])
    row: dict[str, Any] = {
        "account_id": account,
        "parent_id": _sf_id("ParentId", _get(rec, "ParentId")[1], required=False),
        "arr": arr.get(account),
        "contract_term_months": read.terms[account][1] if account in read.terms else None,
    }
    return [{**row, **_account_values(read.fields, lambda f: _get(rec, f))}]


def _sf_case(read: _SalesforceRead, rec: _Record) -> list[dict[str, Any]]:
    case = _sf_id("Id", _get(rec, "Id")[1])
    account = _sf_id("AccountId", _get(rec, "AccountId")[1])
    read.parents[case] = account
    text = "\n".join(t for t in (_text(_get(rec, "Subject")[1]), _text(_get(rec, "Description")[1])) if t)
    return [
        {
            "account_id": account,
            "ticket_id": f"salesforce:{case}",
            "opened_at": _iso(read.clock.seconds("CreatedDate", _get(rec, "CreatedDate")[1])),
            "closed_at": _iso(read.clock.seconds("ClosedDate", _get(rec, "ClosedDate")[1])),
            "text": text,
        }
    ]


def _sf_activity_kind(name: str, rec: _Record) -> str:
    """The crm_activities kind of a Task or Event, or a :class:`_Skip`."""
    subtype = _text(_get(rec, "TaskSubtype", "EventSubtype")[1]).lower()
    kind = _text(_get(rec, "Type")[1]).lower()
    title = _text(_get(rec, "Subject")[1])
    if name == "Event":
        return _meeting_kind(title)
    if _text(_get(rec, "Status")[1]).lower() not in ("completed", "") and not _flag(
        "IsClosed", _get(rec, "IsClosed")[1]
    ):
        raise _Skip("a task that is not completed has not happened")
    if subtype in ("email", "listemail") or kind == "email":
        return "email_out"
    if kind == "meeting":
        return _meeting_kind(title)
    raise _Skip("a task that is not an email or a meeting (a call, a to-do) is no CRM activity kind")


def _sf_activity(read: _SalesforceRead, name: str, rec: _Record) -> list[dict[str, Any]]:
    kind = _sf_activity_kind(name, rec)
    field, value = _get(rec, "AccountId")
    if value is None:
        what = salesforce_id(_text(_get(rec, "WhatId")[1])) or ""
        field, value = "WhatId", read.parents.get(what, what if what.startswith("001") else None)
    account = _sf_id(field, value)
    field, when = _get(rec, "StartDateTime", "ActivityDateTime", "CompletedDateTime", "ActivityDate", "CreatedDate")
    who = salesforce_id(_text(_get(rec, "WhoId")[1])) or ""
    return [
        {
            "account_id": account,
            "timestamp": _iso(_required_time(read.clock, field, when)),
            "kind": kind,
            "persona": read.personas.get(who, ""),
        }
    ]


def _sf_email(read: _SalesforceRead, rec: _Record) -> list[dict[str, Any]]:
    # RelatedToId names the account, case or opportunity; an Email-to-Case message may name its case
    # only in ParentId (the parent case)
    field, value = _get(rec, "RelatedToId", "ParentId")
    related = salesforce_id(_text(value)) or ""
    account = read.parents.get(related, related if related.startswith("001") else "")
    if not account:
        raise _Bad(field, _text(value), "not an account, or a case or opportunity of one")
    incoming = _flag("Incoming", _get(rec, "Incoming")[1])
    field, when = _get(rec, "MessageDate", "CreatedDate")
    return [
        {
            "account_id": account,
            "timestamp": _iso(_required_time(read.clock, field, when)),
            "kind": "email_reply" if incoming else "email_out",
        }
    ]


def _key(rec: _Record, *names: str) -> str:
    """The record's own id (a ticket's, an invoice's), which must not be empty."""
    field, value = _get(rec, *names)
    text = _text(value)
    if not text:
        raise _Bad(field, "", f"empty; the row needs its {field}")
    return text


def _required_time(clock: _Clock, field: str, value: Any) -> int:
    secs = clock.seconds(field, value)
    if secs is None:
        raise _Bad(field, "", "empty; a time is required")
    return secs


# --------------------------------------------------------------------------- HubSpot

_HS_OBJECTS = ("companies", "deals", "tickets", "engagements")
_HS_KEYS = ("results", "data")
_HS_FIELDS = {"segment": "type", "name": "name"}
_HS_LABELS = {
    "hs_object_id": ("Record ID",),
    "name": ("Company name",),
    "dealstage": ("Deal Stage",),
    "amount": ("Amount",),
    "closedate": ("Close Date",),
    "createdate": ("Create Date",),
    "subject": ("Ticket name",),
    "content": ("Ticket description",),
    "closed_date": ("Close date",),
}


def _hs(rec: _Record, name: str) -> tuple[str, Any]:
    """A HubSpot property: API JSON (``properties.<name>``), a CSV column of its
    internal name, or of its default label in a CSV export."""
    field, value = _get(rec, f"properties.{name}", name, *_HS_LABELS.get(name, ()))
    return (name if field.startswith("properties.") else field), value


def _hs_id(rec: _Record) -> str:
    _, value = _get(rec, "id", "properties.hs_object_id", "hs_object_id", "Record ID")
    text = _text(value)
    if not text:
        raise _Bad("id", "", "empty; the row names no record id")
    return text


_HS_COMPANY_LISTS = ("associations.companies.results", "associations.companyIds", "associatedCompanyIds")
_HS_COMPANY_COLUMNS = ("associatedcompanyid", "Associated Company IDs", "Associated Company ID", "company_id")


def _hs_company(rec: _Record) -> str:
    """The company a deal, ticket or engagement is associated with (the first one)."""
    _, listed = _get(rec, *_HS_COMPANY_LISTS)
    if isinstance(listed, list) and listed:
        first = listed[0]
        return _text(first.get("id") if isinstance(first, Mapping) else first)
    _, value = _get(rec, *(f"properties.{c}" for c in _HS_COMPANY_COLUMNS), *_HS_COMPANY_COLUMNS)
    text = re.split(r"[;,]", _text(value))[0].strip()
    if not text:
        raise _Bad("associations.companies", "", "no associated company")
    return text


def from_hubspot(
    path: PathLike | Mapping[str, PathLike],
    *,
    fields: Mapping[str, str] | None = None,
    as_of: Any = None,
    timezone: str = "UTC",
) -> SourceTables:
    """HubSpot CRM objects: companies (required), deals, tickets, engagements.

    Args:
        path: A folder holding ``companies``, ``deals``, ``tickets`` and
            ``engagements`` files (``.json`` as the CRM API returns them, with
            ``results``, ``properties`` and ``associations``; ``.jsonl``; or
            ``.csv`` with the internal property names or the export's default
            labels), or a mapping of object -> file.
        fields: Export column -> company property, as for
            :func:`from_salesforce` (defaults: ``segment`` ``type``, ``name``
            ``name``; ``arr`` from closed-won deals).
        as_of: ARR counts the deals won in the 365 days up to this date.
        timezone: The zone of naive date-times (a CSV export writes the
            portal's time zone without saying so: give it here).

    The company ``id`` is the account id; a deal, ticket or engagement belongs
    to its first associated company. Values are text; dates are epoch
    milliseconds or ISO 8601.
    """
    files = _object_files(path, _HS_OBJECTS, "hubspot")
    if "companies" not in files:
        raise InputError(f"{path}: a companies file is required in a HubSpot export")
    clock = _clock(timezone)
    b = _Builder("hubspot")
    wins: dict[str, list[tuple[int, float]]] = {}
    if "deals" in files:
        b.each("accounts", _file_records(files["deals"], _HS_KEYS), lambda r: _hs_deal(clock, wins, r))
    arr = _arr(wins, _as_of(as_of))
    merged = _account_fields(fields, _HS_FIELDS, "hubspot")
    b.each("accounts", _file_records(files["companies"], _HS_KEYS), lambda r: _hs_companies(merged, arr, r))
    if "tickets" in files:
        b.each("tickets", _file_records(files["tickets"], _HS_KEYS), lambda r: _hs_ticket(clock, r))
    if "engagements" in files:
        b.each("crm_activities", _file_records(files["engagements"], _HS_KEYS), lambda r: _hs_engagement(clock, r))
    return b.build()


def _hs_deal(clock: _Clock, wins: dict[str, list[tuple[int, float]]], rec: _Record) -> list[dict[str, Any]]:
    stage = _text(_hs(rec, "dealstage")[1]).lower().replace(" ", "")
    if not (stage == "closedwon" or _flag("hs_is_closed_won", _hs(rec, "hs_is_closed_won")[1])):
        raise _Skip("open and lost deals add nothing to ARR")
    company = _hs_company(rec)
    closed = _required_time(clock, *_hs(rec, "closedate"))
    field, value = _hs(rec, "amount")
    amount = _number(field, value)
    if np.isnan(amount):
        raise _Bad(field, "", "a won deal needs an amount")
    wins.setdefault(company, []).append((closed, amount))
    return []  # read for its company's ARR


def _hs_companies(fields: Mapping[str, str], arr: Mapping[str, float], rec: _Record) -> list[dict[str, Any]]:
    company = _hs_id(rec)
    row: dict[str, Any] = {
        "account_id": company,
        "parent_id": _text(_hs(rec, "hs_parent_company_id")[1]),
        "arr": arr.get(company),
    }
    return [{**row, **_account_values(fields, lambda f: _hs(rec, f))}]


def _hs_ticket(clock: _Clock, rec: _Record) -> list[dict[str, Any]]:
    ticket = _hs_id(rec)
    text = "\n".join(t for t in (_text(_hs(rec, "subject")[1]), _text(_hs(rec, "content")[1])) if t)
    return [
        {
            "account_id": _hs_company(rec),
            "ticket_id": f"hubspot:{ticket}",
            "opened_at": _iso(_required_time(clock, *_hs(rec, "createdate"))),
            "closed_at": _iso(clock.seconds(*_hs(rec, "closed_date"))),
            "text": text,
        }
    ]


_HS_KINDS = {"MEETING": "meeting", "EMAIL": "email_out", "INCOMING_EMAIL": "email_reply"}


def _hs_engagement(clock: _Clock, rec: _Record) -> list[dict[str, Any]]:
    field, kind = _get(rec, "engagement.type", "properties.hs_engagement_type", "type", "hs_engagement_type")
    kind = _text(kind).upper()
    if kind == "FORWARDED_EMAIL":  # a v1 email type: a user passing a message on, neither outreach nor reply
        raise _Skip("a forwarded email is neither an outreach nor a reply")
    if kind not in _HS_KINDS:
        raise _Skip("an engagement that is not a meeting or an email (a call, a note, a task) is no CRM activity kind")
    title = _text(_get(rec, "metadata.title", "metadata.subject", "properties.hs_meeting_title", "title")[1])
    field, when = _get(rec, "engagement.timestamp", "properties.hs_timestamp", "timestamp", "hs_timestamp")
    return [
        {
            "account_id": _hs_company(rec),
            "timestamp": _iso(_required_time(clock, field, when)),
            "kind": _meeting_kind(title) if kind == "MEETING" else _HS_KINDS[kind],
        }
    ]


# --------------------------------------------------------------------------- Stripe

ZERO_DECIMAL = frozenset(
    ("BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF")
)
"""Currencies Stripe writes in whole units (``amount_due`` 1200 JPY is 1200 yen)."""

THREE_DECIMAL = frozenset(("BHD", "JOD", "KWD", "OMR", "TND"))
"""Currencies Stripe writes in thousandths."""


def currency_exponent(code: str) -> int:
    """Digits after the decimal point of a currency in Stripe's minor units.

    Examples:
        >>> currency_exponent("usd"), currency_exponent("JPY"), currency_exponent("kwd")
        (2, 0, 3)
    """
    upper = code.strip().upper()
    return 0 if upper in ZERO_DECIMAL else 3 if upper in THREE_DECIMAL else 2


def from_stripe(data: Data, *, mapping: Join = None) -> SourceTables:
    """Stripe invoices -> the ``invoices`` table.

    Args:
        data: A file or folder of invoice lists as the API returns them
            (``{"object": "list", "data": [...]}``), JSON arrays, JSON lines,
            or CSV files whose columns are the API's field names
            (``status_transitions.paid_at``); or the parsed JSON.
        mapping: Stripe ``customer`` -> ``account_id`` (see :data:`Join`).

    ``amount_due`` is in the currency's minor unit and becomes major units
    (:func:`currency_exponent`: cents, yen as they are, fils in thousandths);
    amounts stay in each invoice's currency. Times are epoch seconds (UTC).
    ``due_date`` is empty for invoices charged automatically: their due date
    is ``status_transitions.finalized_at``, else ``created``. Draft and void
    invoices are not read (counted in :attr:`SourceTables.ignored`).
    """
    join = _join(mapping, "stripe")
    clock = _Clock()
    b = _Builder("stripe")
    b.each("invoices", _records(data, "stripe", ("data",)), lambda r: _stripe_invoice(join, clock, r))
    return b.build()


def _stripe_invoice(join: _Join, clock: _Clock, rec: _Record) -> list[dict[str, Any]]:
    status = _text(_get(rec, "status")[1]).lower()
    if status in ("draft", "void", "deleted"):
        raise _Skip(f"a {status} invoice is not owed")
    account = join.account("customer", _get(rec, "customer.id", "customer")[1])
    code = _text(_get(rec, "currency")[1])
    if not re.fullmatch(r"[A-Za-z]{3}", code):
        raise _Bad("currency", code, "not a three-letter currency code")
    amount = _number("amount_due", _get(rec, "amount_due")[1])
    due_field, due = _get(rec, "due_date", "status_transitions.finalized_at", "created")
    return [
        {
            "account_id": account,
            "invoice_id": _key(rec, "id"),
            "due_date": _iso(_required_time(clock, due_field, due)),
            "paid_date": _iso(clock.seconds("status_transitions.paid_at", _get(rec, "status_transitions.paid_at")[1])),
            "amount": amount / 10 ** currency_exponent(code),
        }
    ]


# --------------------------------------------------------------------------- Zendesk and Intercom

_ZENDESK_CSAT = {"good": 5.0, "bad": 1.0}


def from_zendesk(data: Data, *, mapping: Join = None, timezone: str = "UTC") -> SourceTables:
    """Zendesk tickets -> ``tickets``, and their satisfaction ratings -> ``surveys``.

    Args:
        data: Ticket lists as the API returns them (``{"tickets": [...]}``,
            also incremental exports and ``{"results": [...]}`` search
            results), JSON lines, or CSV with the API's field names.
        mapping: ``organization_id`` -> ``account_id`` (see :data:`Join`).
        timezone: The zone of naive date-times (the API writes UTC with ``Z``).

    A ticket's ``closed_at`` is ``metric_set.solved_at`` where the export has
    it, else ``updated_at`` for a solved or closed ticket. ``description``
    (after ``subject``) is the text. A ``good`` satisfaction rating is a CSAT
    answer of 5, ``bad`` one of 1 (``offered`` and ``unoffered`` are none),
    dated by the ticket's ``updated_at``. Deleted tickets are not read.
    """
    join = _join(mapping, "zendesk")
    clock = _clock(timezone)
    b = _Builder("zendesk")
    records = list(_records(data, "zendesk", ("tickets", "results")))
    b.each("tickets", records, lambda r: _zendesk_ticket(join, clock, r))
    b.each("surveys", records, lambda r: _zendesk_rating(join, clock, r))
    return b.build()


def _zendesk_ticket(join: _Join, clock: _Clock, rec: _Record) -> list[dict[str, Any]]:
    status = _text(_get(rec, "status")[1]).lower()
    if status == "deleted":
        raise _Skip("a deleted ticket is not read")
    account = join.account("organization_id", _get(rec, "organization_id")[1])
    closed = None
    if status in ("solved", "closed"):
        closed = clock.seconds(*_get(rec, "metric_set.solved_at", "solved_at", "updated_at"))
    text = "\n".join(t for t in (_text(_get(rec, "subject")[1]), _text(_get(rec, "description")[1])) if t)
    return [
        {
            "account_id": account,
            "ticket_id": f"zendesk:{_key(rec, 'id')}",
            "opened_at": _iso(_required_time(clock, "created_at", _get(rec, "created_at")[1])),
            "closed_at": _iso(closed),
            "text": text,
        }
    ]


def _zendesk_rating(join: _Join, clock: _Clock, rec: _Record) -> list[dict[str, Any]]:
    score = _text(_get(rec, "satisfaction_rating.score")[1]).lower()
    if _text(_get(rec, "status")[1]).lower() == "deleted" or score not in _ZENDESK_CSAT:
        return []  # the ticket itself is counted or set aside by _zendesk_ticket: no second report
    try:
        account = join.account("organization_id", _get(rec, "organization_id")[1])
    except _Bad:
        return []  # the ticket row already reports it
    return [
        {
            "account_id": account,
            "respondent": _text(_get(rec, "requester_id")[1]),
            "timestamp": _iso(_required_time(clock, *_get(rec, "updated_at", "created_at"))),
            "kind": "csat",
            "value": _ZENDESK_CSAT[score],
        }
    ]


_TAG = re.compile(r"<[^>]+>")


def _plain(body: str) -> str:
    """HTML message text as plain text: tags out, entities decoded, blanks folded."""
    return " ".join(html.unescape(_TAG.sub(" ", body)).split())


def from_intercom(data: Data, *, mapping: Join = None, key: str = "contacts") -> SourceTables:
    """Intercom conversations -> ``tickets``, and their ratings -> ``surveys``.

    Args:
        data: Conversation lists as the API returns them
            (``{"type": "conversation.list", "conversations": [...]}``), JSON
            lines, or CSV with the API's field names.
        mapping: The conversation's key -> ``account_id`` (see :data:`Join`).
        key: Which field is the key: ``"contacts"`` (default: the first
            contact's ``id``), or a dotted field such as
            ``"custom_attributes.account_id"`` or ``"company.id"``.

    Times are epoch seconds (UTC). ``closed_at`` is
    ``statistics.last_close_at`` of a closed conversation; the text is the
    title and the first message (``source.body``, HTML made plain). A
    ``conversation_rating`` (1..5) is a CSAT answer dated by its
    ``created_at``, its respondent the rating's contact.
    """
    join = _join(mapping, "intercom")
    clock = _Clock()
    b = _Builder("intercom")
    records = list(_records(data, "intercom", ("conversations", "data")))
    b.each("tickets", records, lambda r: _intercom_ticket(join, clock, key, r))
    b.each("surveys", records, lambda r: _intercom_rating(join, clock, key, r))
    return b.build()


def _intercom_key(rec: _Record, key: str) -> tuple[str, Any]:
    if key != "contacts":
        return key, _get(rec, key)[1]
    _, contacts = _get(rec, "contacts.contacts", "contacts")
    if isinstance(contacts, list) and contacts and isinstance(contacts[0], Mapping):
        return "contacts", contacts[0].get("id")
    return "contacts", None if isinstance(contacts, (list, Mapping)) else contacts


def _intercom_ticket(join: _Join, clock: _Clock, key: str, rec: _Record) -> list[dict[str, Any]]:
    account = join.account(*_intercom_key(rec, key))
    closed = None
    if _text(_get(rec, "state")[1]).lower() == "closed":
        closed = clock.seconds(*_get(rec, "statistics.last_close_at", "updated_at"))
    text = "\n".join(t for t in (_text(_get(rec, "title")[1]), _plain(_text(_get(rec, "source.body")[1]))) if t)
    return [
        {
            "account_id": account,
            "ticket_id": f"intercom:{_key(rec, 'id')}",
            "opened_at": _iso(_required_time(clock, "created_at", _get(rec, "created_at")[1])),
            "closed_at": _iso(closed),
            "text": text,
        }
    ]


def _intercom_rating(join: _Join, clock: _Clock, key: str, rec: _Record) -> list[dict[str, Any]]:
    field, rating = _get(rec, "conversation_rating.rating")
    if rating is None:
        return []
    try:
        account = join.account(*_intercom_key(rec, key))
    except _Bad:
        return []  # the conversation's ticket row already reports it
    value = _number(field, rating)
    if not 1 <= value <= 5:
        raise _Bad(field, rating, "a conversation rating is 1 to 5")
    when = _get(rec, "conversation_rating.created_at", "updated_at")
    return [
        {
            "account_id": account,
            "respondent": _text(_get(rec, "conversation_rating.contact.id")[1]),
            "timestamp": _iso(_required_time(clock, *when)),
            "kind": "csat",
            "value": value,
        }
    ]


# --------------------------------------------------------------------------- Amplitude and Mixpanel


def _amplitude_records(path: PathLike) -> Iterator[_Record]:
    """The events of an Export API download: a ZIP of ``<project>/<project>_<date>_<hour>#<n>.json.gz``
    files of JSON lines, a folder of such ZIPs or ``.json.gz`` files, or one of them."""
    p = Path(path)
    paths = sorted(f for f in p.iterdir() if f.is_file() and not f.name.startswith(".")) if p.is_dir() else [p]
    if not p.exists():
        raise InputError(f"{p}: no such file or folder (amplitude export)")
    for file in paths:
        if zipfile.is_zipfile(file):
            with zipfile.ZipFile(file) as archive:
                for member in sorted(m for m in archive.namelist() if not m.endswith("/")):
                    data = archive.read(member)
                    source = f"{file}:{member}"
                    yield from _json_records(_gunzip(data, source) if member.endswith(".gz") else data, source, ())
        elif _suffix(file) in _JSON_SUFFIXES:
            yield from _file_records(file, ())


def from_amplitude(path: PathLike, *, mapping: Join = None, group_type: str | None = None) -> SourceTables:
    """An Amplitude Export API download -> ``events``.

    Args:
        path: The ZIP the Export API returns (gzipped JSON lines inside), a
            folder of such ZIPs (one per upload-time range) or of ``.json.gz``
            files.
        mapping: The key -> ``account_id`` (see :data:`Join`).
        group_type: The account is the event's group of this type
            (``groups[group_type]``, e.g. ``"company"``: an event of several
            groups counts for each); default: the ``user_id`` is the key.

    ``event_time`` is UTC. The feature is ``event_type``; the user ``user_id``
    (else ``device_id``). The export is cut by upload time, so an event
    uploaded late arrives in a later range and ranges that overlap repeat
    events: an event whose ``$insert_id`` (else ``uuid``) was already read is
    counted in :attr:`SourceTables.ignored`, not read twice.
    """
    join = _join(mapping, "amplitude")
    clock = _Clock()
    seen: set[str] = set()
    b = _Builder("amplitude")
    event = functools.partial(_amplitude_event, join, clock, group_type, seen)
    b.each("events", _amplitude_records(path), event, times=("event_time",), clock=clock)
    return b.build()


def _once(seen: set[str], key: str, what: str) -> None:
    if key:
        if key in seen:
            raise _Skip(f"a repeat of an event already read (same {what})")
        seen.add(key)


def _amplitude_event(
    join: _Join, clock: _Clock, group_type: str | None, seen: set[str], rec: _Record
) -> list[dict[str, Any]]:
    field, insert = _get(rec, "$insert_id", "insert_id", "uuid")
    _once(seen, _text(insert), field)
    user = _text(_get(rec, "user_id", "device_id")[1])
    if group_type is None:
        keys: list[Any] = [user]
        field = "user_id"
    else:
        field = f"groups.{group_type}"
        groups = _dig(rec.data, "groups")
        value = groups.get(group_type) if isinstance(groups, Mapping) else None
        keys = value if isinstance(value, list) and value else [value]
    accounts = [join.account(field, k) for k in keys]
    feature = _text(_get(rec, "event_type")[1])
    if not feature:
        raise _Bad("event_type", "", "empty; an event needs its type")
    when = _iso(_required_time(clock, "event_time", _get(rec, "event_time")[1]))
    return [
        {"account_id": a, "user_id": user, "timestamp": when, "feature": feature, "event": feature} for a in accounts
    ]


def from_mixpanel(
    data: Data, *, mapping: Join = None, group_key: str | None = None, timezone: str = "UTC"
) -> SourceTables:
    """A Mixpanel raw export -> ``events``: JSON lines
    ``{"event": ..., "properties": {"time": ..., "distinct_id": ...}}``.

    Args:
        data: The export file (``.json`` / ``.jsonl``, gzipped or not), a
            folder of them, or the parsed events.
        mapping: The key -> ``account_id`` (see :data:`Join`).
        group_key: The account is this event property (a group key such as
            ``"company_id"``); default: ``distinct_id`` is the key.
        timezone: ``time`` is epoch seconds (milliseconds with
            ``time_in_ms``) in UTC; projects created before 2023 may export
            it shifted to the project's time zone: name that zone here.

    The feature is the event name; the user ``$user_id`` (else
    ``distinct_id``). Mixpanel does not deduplicate its raw export: an event
    with the same name, ``distinct_id``, ``time`` and ``$insert_id`` as one
    already read is counted in :attr:`SourceTables.ignored`, not read twice.
    """
    join = _join(mapping, "mixpanel")
    shift = _clock(timezone)
    seen: set[str] = set()
    b = _Builder("mixpanel")
    b.each("events", _records(data, "mixpanel", ()), lambda r: _mixpanel_event(join, shift, group_key, seen, r))
    return b.build()


def _mixpanel_event(
    join: _Join, shift: _Clock, group_key: str | None, seen: set[str], rec: _Record
) -> list[dict[str, Any]]:
    name = _text(_get(rec, "event")[1])
    distinct = _text(_get(rec, "properties.distinct_id")[1])
    raw_time = _get(rec, "properties.time")[1]
    insert = _text(_get(rec, "properties.$insert_id")[1])
    if insert:
        _once(seen, json.dumps([name, distinct, _text(raw_time), insert]), "event, distinct_id, time and $insert_id")
    field = "properties.distinct_id" if group_key is None else f"properties.{group_key}"
    account = join.account(field, distinct if group_key is None else _get(rec, field)[1])
    if not name:
        raise _Bad("event", "", "empty; an event needs its name")
    secs = _required_time(_Clock(), "properties.time", raw_time)
    if shift.zone is not None:  # an epoch of wall-clock time in the project's zone
        wall = datetime.fromtimestamp(secs, UTC).replace(tzinfo=shift.zone)
        secs = int(wall.timestamp())
    user = _text(_get(rec, "properties.$user_id", "properties.distinct_id")[1])
    return [{"account_id": account, "user_id": user, "timestamp": _iso(secs), "feature": name, "event": name}]


# --------------------------------------------------------------------------- healthscore's own tables


def from_tables(path: PathLike | Mapping[str, Mapping[str, Any]]) -> SourceTables:
    """healthscore's own export tables (see docs/signals.md) as they are, to go
    with the tools' tables: a hand-kept ``goals.csv``, an ``accounts.csv``
    when no CRM is exported.

    Args:
        path: A folder of ``<table>.csv`` files, or (in Python) a mapping of
            table -> column -> values.
    """
    tables: dict[str, dict[str, Any]] = {}
    origins: dict[str, tuple[tuple[str, ...], Any, Any]] = {}
    if isinstance(path, Mapping):
        for table, cols in path.items():
            _known_table(table, f"<{table}>")
            tables[table] = {
                k: np.asarray(["" if v is None else str(v) for v in vals], dtype=str) for k, vals in cols.items()
            }
            n = len(next(iter(tables[table].values()), []))
            origins[table] = ((f"<{table}>",), np.zeros(n, dtype=np.int32), np.arange(1, n + 1, dtype=np.int64))
        return SourceTables(tables=tables, origins=origins, tools=dict.fromkeys(tables, ("tables",)))
    folder = Path(path)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder of export tables (accounts.csv, goals.csv, ...)")
    others = sorted(f.name for f in folder.iterdir() if f.suffix.lower() == ".parquet")
    if others:
        raise InputError(f"{folder}: tables= reads <table>.csv files, not {others[0]}; read Parquet with read_exports")
    for file in sorted(folder.glob("*.csv")):
        table = file.stem.lower()
        _known_table(table, str(file))
        csv = parse_csv(file.read_bytes(), source=str(file))
        tables[table] = dict(csv.columns)
        origins[table] = ((str(file),), np.zeros(len(csv), dtype=np.int32), csv.lines)
    return SourceTables(tables=tables, origins=origins, tools=dict.fromkeys(tables, ("tables",)))


def _known_table(table: str, source: str) -> None:
    if table not in TABLES:
        close = difflib.get_close_matches(table, list(TABLES), n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise InputError(f"{source}: not an export table; known tables: {', '.join(TABLES)}{hint}", value=table)


# --------------------------------------------------------------------------- several tools at once

ADAPTERS: dict[str, Callable[..., SourceTables]] = {
    "salesforce": from_salesforce,
    "hubspot": from_hubspot,
    "stripe": from_stripe,
    "zendesk": from_zendesk,
    "intercom": from_intercom,
    "amplitude": from_amplitude,
    "mixpanel": from_mixpanel,
    "tables": from_tables,
}
"""Tool name -> its adapter."""

SourceSpec = PathLike | Mapping[str, Any]
"""One tool's export: its path, or a mapping with ``path`` and the adapter's options."""


def _options(tool: str, spec: SourceSpec, as_of: Any) -> tuple[Any, dict[str, Any]]:
    adapter = ADAPTERS[tool]
    allowed = [n for n in inspect.signature(adapter).parameters if n not in ("path", "data")]
    if not isinstance(spec, Mapping):
        options: dict[str, Any] = {}
        path: Any = spec
    else:
        options = {k: v for k, v in spec.items() if k != "path"}
        if "path" not in spec:
            raise InputError(f"sources: {tool} needs a path", column=tool)
        path = spec["path"]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise InputError(
            f"sources: unknown option {unknown[0]!r} for {tool} (allowed: {', '.join(allowed) or 'none'})",
            column=f"{tool}.{unknown[0]}",
            value=unknown[0],
        )
    if "as_of" in allowed and options.get("as_of") is None:
        options["as_of"] = as_of
    return path, options


def collect_sources(sources: Mapping[str, SourceSpec] | PathLike, *, as_of: Any = None) -> SourceTables:
    """Run the adapter of each tool and put their tables together.

    Args:
        sources: Tool name (a key of :data:`ADAPTERS`) -> its export (a path,
            or a mapping with ``path`` and the adapter's options such as
            ``mapping``), or a sources TOML file (:func:`load_sources_file`).
        as_of: Given to the CRM adapters (ARR from won deals up to this date).

    When the accounts come from Salesforce, the account ids the other tools'
    mappings give are read in their 18-character form too, so a mapping file
    may hold 15-character ids.

    Raises:
        InputError: An unknown tool or option, or an unreadable export.
    """
    if not isinstance(sources, Mapping):
        sources = load_sources_file(sources)
    parts: list[SourceTables] = []
    for tool, spec in sources.items():
        if tool not in ADAPTERS:
            close = difflib.get_close_matches(tool, list(ADAPTERS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise InputError(f"sources: unknown tool {tool!r} (known: {', '.join(ADAPTERS)}){hint}", value=tool)
        path, options = _options(tool, spec, as_of)
        part = ADAPTERS[tool](path, **options)
        parts.append(_salesforce_ids(part) if "salesforce" in sources and tool != "salesforce" else part)
    if not parts:
        raise InputError("sources: no tool given")
    return parts[0].merge(*parts[1:])


def _salesforce_ids(part: SourceTables) -> SourceTables:
    """Account ids that are Salesforce ids, in their 18-character form."""
    tables = {}
    for table, cols in part.tables.items():
        fixed = dict(cols)
        for column in ("account_id", "parent_id"):
            if column in cols:
                unique, inverse = np.unique(cols[column], return_inverse=True)
                canon = np.array([salesforce_id(u) or u for u in unique.tolist()], dtype=str)
                fixed[column] = canon[inverse] if unique.size else cols[column]
        tables[table] = fixed
    return attrs.evolve(part, tables=tables)


def read_sources(
    sources: Mapping[str, SourceSpec] | PathLike,
    *,
    as_of: Any = None,
    on_bad_rows: BadRows = "error",
    memory_limit: str | None = None,
) -> Exports:
    """:func:`collect_sources`, then :meth:`SourceTables.to_exports`: the tools'
    exports as checked export tables, ready for
    :func:`~healthscore.signals.compute_signals`.

    Examples:
        >>> accounts = {"account_id": ["acme"], "segment": ["smb"], "seats_purchased": [10], "arr": [12000],
        ...             "contract_term_months": [12]}
        >>> invoice = {"id": "in_1", "customer": "cus_A", "currency": "usd", "amount_due": 100000,
        ...            "due_date": 1767225600, "status": "open"}
        >>> ex = read_sources({
        ...     "tables": {"path": {"accounts": accounts}},
        ...     "stripe": {"path": {"data": [invoice]}, "mapping": {"cus_A": "acme"}},
        ... })
        >>> ex.tables["invoices"]["amount"].tolist(), ex.sources["invoices"]
        ([1000.0], 'stripe (<stripe>)')
    """
    collected = collect_sources(sources, as_of=as_of)
    return collected.to_exports(on_bad_rows=on_bad_rows, memory_limit=memory_limit)


_TOML_TYPES: dict[str, tuple[type, ...]] = {
    "path": (str,),
    "mapping": (str, dict),
    "fields": (dict,),
    "timezone": (str,),
    "group_type": (str,),
    "group_key": (str,),
    "key": (str,),
    "as_of": (str,),
}


def load_sources_file(path: PathLike) -> dict[str, dict[str, Any]]:
    """A sources file: one TOML table per tool, with its ``path`` and options.

    Paths (``path``, and ``mapping`` when it names a file) are relative to the
    file's folder::

        [salesforce]
        path = "salesforce"                 # Account.csv, Opportunity.csv, ...
        fields = { segment = "Segment__c" }

        [stripe]
        path = "stripe/invoices.json"
        mapping = "stripe_customers.csv"    # customer,account_id

    Raises:
        InputError: An unreadable file, an unknown tool or option, or an
            option of the wrong type; the message names the file and the key.
    """
    import tomllib  # noqa: PLC0415 -- only for a sources file

    file = Path(path)
    try:
        doc = tomllib.loads(_decode(file.read_bytes(), str(file)))
    except OSError as exc:
        raise InputError(f"{file}: cannot read the sources file: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{file}: not valid TOML: {exc}") from None
    out: dict[str, dict[str, Any]] = {}
    for tool, spec in doc.items():
        if tool not in ADAPTERS:
            close = difflib.get_close_matches(tool, list(ADAPTERS), n=1)
            hint = f"; did you mean [{close[0]}]?" if close else ""
            raise InputError(f"{file}: unknown tool [{tool}] (known: {', '.join(ADAPTERS)}){hint}", value=tool)
        if not isinstance(spec, dict) or "path" not in spec:
            raise InputError(f'{file}: [{tool}] needs path = "..."', column=tool)
        out[tool] = {key: _toml_value(file, tool, key, value) for key, value in spec.items()}
    return out


def _toml_value(file: Path, tool: str, key: str, value: Any) -> Any:
    types = _TOML_TYPES.get(key)
    if types is not None and not isinstance(value, types):
        what = " or ".join("a table" if t is dict else "text" for t in types)
        raise InputError(f"{file}: [{tool}] {key} must be {what}, got {value!r}", column=f"{tool}.{key}", value=value)
    if key in ("path", "mapping") and isinstance(value, str):
        return str(file.parent / value)
    return value
