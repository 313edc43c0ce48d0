"""Command line: ``healthscore score | signals | actions | history | override | csm-read | report |
export-history | backtest | fit | validate-model | init-model | init-settings | demo``.

Exit status: 0 on success, 2 on bad input or a bad model file (the message
names the file, line, column and value), 130 on Ctrl-C, 141 (quietly) when the
reader of stdout goes away, 1 on anything unexpected.

A command checks every argument and output path before it writes anything, and
writes its files last: the scored CSV of ``score --history`` only once the
snapshot is stored. A history file is created only by the commands that write
to it (``score --history``, setting an ``override``, recording a ``csm-read``),
which say so; the others open it read-only and exit 2 when it does not exist.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import math
import os
import shlex
import sys
import threading
import time
import tomllib
import warnings
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, NoReturn, TextIO

import attrs
import numpy as np

from healthscore import __version__, _time, hierarchy, presets
from healthscore._html import INSTALL_HINT, action_reason, csm_read_text, csm_words, disagreement_text, driver_label
from healthscore._i18n import LANGUAGES, Catalogue, Language, catalogue, check_language
from healthscore._io import csv_text, display_width, null_hint, pad, read_csv, terminal_text, write_atomic
from healthscore.actions import RANK_BY, Action, queue_from_history
from healthscore.backtest import run_backtest
from healthscore.bands import BandPolicy, BandSummary
from healthscore.config import (
    AnyModel,
    dump_model,
    dump_signal_settings,
    load_model,
    load_signal_settings,
    model_fingerprint,
)
from healthscore.datasets import ADVANCED_FEATURES, account_tree, csm_reads, generate_export_blocks
from healthscore.exceptions import HealthScoreError, InputError
from healthscore.exports import Exports, RejectedRow, _numbers, is_exports_path, read_exports, read_table_csv
from healthscore.fit import _outcome as fit_outcome
from healthscore.fit import _read_renewals as read_renewals
from healthscore.fit import fit_scorecard, reweight
from healthscore.history import (
    CSM_READ_METRIC,
    CSM_STALE_DAYS,
    CsmRead,
    HistoryPoint,
    HistoryStore,
    csm_disagreement,
    open_history,
)
from healthscore.model import BatchScores, HealthModel, SegmentedModel
from healthscore.scorers import Boolean, Categories, input_kind
from healthscore.signals import SIGNAL_NAMES, SQL_DIALECTS, SignalSettings, compute_signals, signal_sql
from healthscore.trends import DropRule

__all__ = ["main", "read_portfolio_csv"]

ID_COLUMN = "account_id"
PRESETS: dict[str, Callable[[], AnyModel]] = {
    "three_dimension": presets.three_dimension,
    "dear": presets.dear,
    "segmented": presets.segmented,
}
TOP_DRIVERS = 3
MODEL_SUFFIXES = {".toml": "toml", ".json": "json", ".yaml": "yaml", ".yml": "yaml"}
HISTORY_EXPORT_SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


_Command = Callable[[argparse.Namespace, TextIO, TextIO], int]


class _UsageError(HealthScoreError):
    """Bad input the user can fix; reported with exit status 2."""


# --------------------------------------------------------------------------- reading


def _metric_scorers(model: AnyModel) -> dict[str, Any]:
    models = (
        [m for _, m in model.segments] + ([model.default] if model.default else [])
        if isinstance(model, SegmentedModel)
        else [model]
    )
    out: dict[str, Any] = {}
    for m in models:
        for name, metric in m.metrics.items():
            out.setdefault(name, metric.scorer)
    return out


def read_portfolio_csv(
    path: str | Path, model: AnyModel, *, supplied: Collection[str] = ()
) -> tuple[list[str], dict[str, Any], list[str]]:
    """Read an account table for ``model`` from a CSV file; ``supplied`` names
    metrics another source fills when the file lacks them (not noted as absent).

    Returns:
        The account ids, the metric columns as arrays (numeric metrics float64
        with NaN for empty cells, label metrics object arrays with ``None``), and
        notes for the user (metrics absent from the file, ignored columns).

    Raises:
        InputError: A missing ``account_id`` column, an empty or duplicate id, a
            cell that is not a number in a numeric metric, or an unknown category;
            the message names the file, the line, the column and the value.
    """
    name = str(path)
    table = read_csv(path)
    header = list(table.columns)
    if ID_COLUMN not in header:
        raise InputError(f"{name}: missing column {ID_COLUMN!r} (header: {', '.join(header)})", column=ID_COLUMN)
    col = table.columns
    lines = table.lines.tolist()

    ids = [c.strip() for c in col[ID_COLUMN].tolist()]
    seen: dict[str, int] = {}
    for i, account in enumerate(ids):
        if not account:
            raise InputError(f"{name} line {lines[i]}, column {ID_COLUMN!r}: empty account id")
        if account in seen:
            raise InputError(
                f"{name} line {lines[i]}, column {ID_COLUMN!r}: duplicate account id {account!r} "
                f"(first on line {lines[seen[account]]})"
            )
        seen[account] = i

    scorers = _metric_scorers(model)
    segment_column = model.segment_column if isinstance(model, SegmentedModel) else None
    columns: dict[str, Any] = {}
    if segment_column is not None:
        if segment_column not in col:
            raise InputError(
                f"{name}: missing column {segment_column!r}: a segmented model needs each account's segment"
            )
        columns[segment_column] = np.array([c.strip() or None for c in col[segment_column].tolist()], dtype=object)
    for metric, scorer in scorers.items():
        if metric in col:
            columns[metric] = _parse_column(name, metric, col[metric], lines, scorer)
    present = [m for m in scorers if m in col]
    if not present:
        raise InputError(f"{name}: none of the model's metrics is a column; the model reads {', '.join(scorers)}")
    notes = []
    absent = [m for m in scorers if m not in col and m not in supplied]
    if absent:
        notes.append(f"metrics not in the file, scored as missing: {', '.join(absent)}")
    ignored = [h for h in header if h not in scorers and h not in (ID_COLUMN, segment_column, hierarchy.PARENT_COLUMN)]
    if ignored:
        notes.append(f"columns the model does not read: {', '.join(ignored)}")
    return ids, columns, notes


def _parse_column(name: str, metric: str, cells: Any, lines: list[int], scorer: Any) -> Any:
    kind = input_kind(scorer)
    if kind == "numeric":
        numbers, bad = _numbers(cells)  # the whole column at once; cells are stripped there
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            cell = str(cells[i]).strip()
            raise InputError(
                f"{name} line {lines[i]}, column {metric!r}: {cell!r} is not a number{null_hint(cell)}",
                column=metric,
                row=lines[i],
                value=cell,
            )
        return numbers
    labels = [c.strip() or None for c in cells.tolist()]
    checker = scorer if isinstance(scorer, (Categories, Boolean)) else None
    if checker is not None:
        for i, label in enumerate(labels):
            if label is None:
                continue
            try:
                checker(label)
            except InputError as exc:
                raise InputError(
                    f"{name} line {lines[i]}, column {metric!r}: {exc}", column=metric, row=lines[i], value=label
                ) from None
    return np.array(labels, dtype=object)


# --------------------------------------------------------------------------- writing


def _fmt(value: float, digits: int = 3) -> str:
    return "" if math.isnan(value) else f"{value:.{digits}f}"


def _text_column(values: Any, digits: int) -> list[str]:
    """Numbers as fixed-point text, ``""`` for NaN: one pass over the column."""
    return ["" if v != v else f"{v:.{digits}f}" for v in np.asarray(values, dtype=np.float64).tolist()]


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Build millions of small lists without the cyclic garbage collector
    rescanning them all as they pile up (it would take most of the time);
    nothing built here forms a cycle."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _output_rows(
    ids: list[str], out: BatchScores, rolled: hierarchy.RolledScores | None = None
) -> tuple[list[str], list[list[str]]]:
    """The scored table, riskiest first (lowest score first, unscored accounts
    last, ties in input order); each driver with the points it costs. With a
    tree (``rolled``), ``parent_id`` and ``level`` follow the id, ``own_score``
    the (rolled-up) score."""
    header = [ID_COLUMN]
    if rolled is not None:
        header += [hierarchy.PARENT_COLUMN, "level"]
    if out.segment is not None:
        header += ["segment", "model"]
    header += ["score", *(["own_score"] if rolled is not None else []), "band", "alert", *out.dimensions, "coverage"]
    for i in range(len(out.drivers)):
        header += [f"driver_{i + 1}", f"driver_{i + 1}_points"]
    order = np.argsort(np.where(np.isnan(out.score), np.inf, out.score), kind="stable")
    columns: list[list[str]] = [np.asarray(ids, dtype=object)[order].tolist()]  # column by column, then transposed
    if rolled is not None:
        parents = rolled.parent_values(ids)[order]
        columns += [
            ["" if p is None else str(p) for p in parents.tolist()],
            rolled.tree.level[order].astype(str).tolist(),
        ]
    if out.segment is not None and out.model is not None:
        columns += [
            np.asarray(out.segment).astype(str)[order].tolist(),
            np.asarray(out.model).astype(str)[order].tolist(),
        ]
    columns.append(_text_column(out.score[order], 3))
    if rolled is not None:
        columns.append(_text_column(np.asarray(rolled.own_score)[order], 3))
    columns.append(out.band[order].astype(str).tolist())
    columns += [out.alert[order].astype(str).tolist()]
    columns += [_text_column(np.asarray(values)[order], 3) for values in out.dimensions.values()]
    columns.append(_text_column(out.coverage[order], 4))
    for names, lost in zip(out.drivers, out.points_lost, strict=True):
        named = np.asarray(names).astype(str)[order]
        points = np.where(named == "", np.nan, np.asarray(lost, dtype=np.float64)[order])
        columns += [named.tolist(), _text_column(points, 1)]
    return header, list(map(list, zip(*columns, strict=True)))


def _csv_text(header: list[str], rows: list[list[str]], numbers: Sequence[str] = ()) -> str:
    """CSV text by the one writer (``_io.csv_text``): the columns in ``numbers``
    hold numbers this module formatted; every other cell is text, neutralised
    for spreadsheets."""
    return csv_text(header, rows, numbers=numbers)


# --------------------------------------------------------------------------- outputs and history files


def _same_file(a: str, b: str) -> bool:
    if Path(a).resolve() == Path(b).resolve():
        return True
    with suppress(OSError):
        return os.path.samefile(a, b)
    return False


def _check_output(path: str, flag: str, *, inputs: Sequence[str | None] = (), force: bool = True) -> None:
    """Raise before anything is written when ``path`` cannot take an output."""
    if path == "":
        raise _UsageError(f"{flag}: the output path is empty (give a file name, or '-' for stdout)")
    if path == "-":
        return
    target = Path(path)
    if target.is_dir():
        raise _UsageError(f"{flag} {path}: is a folder, not a file")
    if not target.parent.is_dir():
        raise _UsageError(f"{flag} {path}: the folder {target.parent} does not exist")
    if not os.access(target.parent, os.W_OK | os.X_OK):
        raise _UsageError(f"{flag} {path}: the folder {target.parent} is not writable")
    for source in inputs:
        if source is not None and source != "-" and _same_file(path, source):
            raise _UsageError(f"{flag} {path} is the input file {source}: writing it would replace the input")
    if not force and target.exists():
        raise _UsageError(f"{flag} {path} exists: pass --force to replace it")


def _check_model_output(path: str, fmt: str | None, flag: str) -> None:
    """A model file's suffix and an explicit ``--format`` must agree."""
    implied = MODEL_SUFFIXES.get(Path(path).suffix.lower())
    if fmt is not None and implied is not None and implied != fmt:
        raise _UsageError(f"{flag} {path}: --format {fmt} contradicts the suffix {Path(path).suffix!r} ({implied})")


def _is_file_history(target: str) -> bool:
    return not target.startswith(("postgresql://", "postgres://")) and target != ":memory:"


@contextmanager
def _history(target: str, err: TextIO, *, write: bool, create: bool = False) -> Iterator[HistoryStore]:
    """The history store at ``target``: read-only unless ``write``; a missing
    file is created only when ``create`` (and said), and removed again when the
    command fails, so a failed command leaves no stray history behind."""
    new = create and _is_file_history(target) and not os.path.lexists(target)
    try:
        with open_history(target, create=create, read_only=not write) as store:
            yield store
    except BaseException:
        if new:
            for leftover in (target, f"{target}-wal", f"{target}-shm", f"{target}-journal"):
                with suppress(OSError):
                    os.unlink(leftover)
        raise
    if new:
        print(f"created history file {target}", file=err)


class _Progress:
    """What a long command is doing, on stderr, once it has run a couple of
    seconds, and only when stderr is a terminal."""

    def __init__(self, err: TextIO, *, after: float = 2.0) -> None:
        isatty = getattr(err, "isatty", None)
        self._err = err
        self._on = bool(isatty and isatty())
        self._after = after
        self._start = time.monotonic()
        self._stage = ""
        self._shown = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._tick, daemon=True)

    def __enter__(self) -> _Progress:
        if self._on:
            self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        if self._on:
            self._thread.join()
        self._clear()

    def stage(self, text: str) -> None:
        """Name the work now under way."""
        self._stage = text

    def note(self, text: str) -> None:
        """Print a line on stderr without mixing it into the progress line."""
        with self._lock:
            self._clear()
            print(text, file=self._err)

    def _clear(self) -> None:
        if self._shown:
            self._err.write("\r\x1b[K")
            self._err.flush()
            self._shown = False

    def _tick(self) -> None:
        while not self._stop.wait(0.5):
            elapsed = time.monotonic() - self._start
            if elapsed >= self._after and self._stage:
                with self._lock:
                    self._err.write(f"\r\x1b[Khealthscore: {self._stage} ({elapsed:.0f}s)")
                    self._err.flush()
                    self._shown = True


# --------------------------------------------------------------------------- commands


def _load(path: str | None) -> AnyModel:
    return presets.three_dimension() if path is None else load_model(path)


_Pending = list[tuple[str, str, str]]  # (path, text, what to say once written): outputs written last


def _read_exports_dir(args: argparse.Namespace, pending: _Pending) -> Exports:
    if args.as_of is None:
        what = "the sources hold" if _uses_sources(args) else f"{args.input} holds"
        raise _UsageError(f"{what} raw exports: --as-of DATE is required (nothing after it is read)")
    exports = _source_exports(args, pending)
    if exports is None:
        exports = read_exports(args.input, on_bad_rows=args.on_bad_rows, memory_limit=args.memory_limit)
    if exports.rejected:
        side = f"{args.output}.rejected.csv" if args.output != "-" else "rejected.csv"
        _check_output(side, "rejected rows file")
        header = ["table", "source", "line", "column", "value", "reason"]
        rows = [[r.table, r.source, str(r.line), r.column, r.value, r.reason] for r in exports.rejected]
        note = f"note: {len(rows)} bad row(s) set aside with their reasons -> {side}"
        pending.append((side, _csv_text(header, rows, numbers=["line"]), note))
    return exports


def _uses_sources(args: argparse.Namespace) -> bool:
    """Whether ``--source`` / ``--sources`` name tools' exports; without them an input is required."""
    if getattr(args, "source", None) or getattr(args, "sources", None):
        return True
    if args.input is None:
        raise _UsageError(f"{args.command} needs INPUT.csv or EXPORTS, or --source/--sources")
    return False


def _source_exports(args: argparse.Namespace, pending: _Pending) -> Exports | None:
    """The exports of ``--sources FILE`` and ``--source TOOL=PATH`` (EXPORTS as
    ``tables``), checked; a note for each kind of row they read nothing from.
    ``None`` when neither is given."""
    if not _uses_sources(args):
        return None
    from healthscore.sources import collect_sources, load_sources_file  # noqa: PLC0415 -- only with sources

    spec: dict[str, Any] = dict(load_sources_file(args.sources)) if args.sources else {}
    given = [("tables", args.input)] if args.input is not None else []
    for item in (i for text in args.source or () for i in text.split(",") if i.strip()):
        tool, sep, path = item.partition("=")
        if not sep or not tool.strip() or not path.strip():
            raise _UsageError(f"--source takes TOOL=PATH, got {item!r}")
        given.append((tool.strip(), path.strip()))
    for tool, path in given:
        if tool in spec:
            raise _UsageError(f"{tool} is given twice (--source, --sources or EXPORTS); give each tool once")
        spec[tool] = {"path": path}
    collected = collect_sources(spec, as_of=args.as_of)
    counts: dict[tuple[str, str], int] = {}
    for ignored in collected.ignored:
        counts[(ignored.tool, ignored.reason)] = counts.get((ignored.tool, ignored.reason), 0) + ignored.rows
    for (tool, reason), rows in counts.items():
        pending.append(("", "", f"note: {tool}: {rows} row(s) not read: {reason}"))
    return collected.to_exports(on_bad_rows=args.on_bad_rows, memory_limit=args.memory_limit)


def _signal_settings(args: argparse.Namespace) -> SignalSettings:
    """``--settings FILE``, read before any export is (default: the defaults)."""
    if args.settings is None:
        return SignalSettings()
    if not (getattr(args, "sql", False) or _uses_sources(args) or is_exports_path(args.input)):
        raise _UsageError(
            f"--settings sets how signals are computed from raw exports; {args.input} is not exports "
            "(a CSV holds the metric values already)"
        )
    return load_signal_settings(args.settings)


def _signals_table(
    args: argparse.Namespace, pending: _Pending, settings: SignalSettings
) -> tuple[list[str], dict[str, Any], Exports]:
    exports = _read_exports_dir(args, pending)
    table = compute_signals(exports, args.as_of, settings)
    ids = [str(a) for a in table.pop("account_id").tolist()]
    return ids, table, exports


def _write_pending(pending: _Pending, err: TextIO) -> None:
    for path, text, note in pending:
        if path:  # a note alone has no file
            write_atomic(path, text)
        print(note, file=err)


def _signals_sql(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``signals --sql``: the signal query in a dialect, written or printed."""
    if args.input is not None:
        raise _UsageError("signals --sql writes the query and reads no exports: drop EXPORTS")
    output = args.output or "-"
    _check_output(output, "-o")
    text = signal_sql(args.dialect, _signal_settings(args), args.as_of)
    if not text.endswith("\n"):
        text += "\n"
    if output == "-":
        out.write(text)
    else:
        write_atomic(output, text)
        when = f"as of {args.as_of}" if args.as_of else "as of the time it runs"
        print(f"signal SQL ({args.dialect}, {when}) -> {output}", file=err)
    return 0


def _cmd_signals(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.sql:
        return _signals_sql(args, out, err)
    if args.dialect != "duckdb":
        raise _UsageError("--dialect only goes with --sql (the signals are computed on embedded DuckDB)")
    if args.input is None and not _uses_sources(args):
        raise _UsageError("signals needs EXPORTS or --source/--sources (or --sql to print the signal query)")
    if args.output is None:
        raise _UsageError("signals needs -o SIGNALS.csv ('-' for stdout)")
    if args.as_of is None:
        raise _UsageError("signals needs --as-of DATE: nothing after it is read")
    _check_output(args.output, "-o", inputs=[args.input, args.settings])
    settings = _signal_settings(args)
    pending: _Pending = []
    ids, table, _ = _signals_table(args, pending, settings)
    header = [ID_COLUMN, *SIGNAL_NAMES]
    rows = []
    for i, account in enumerate(ids):
        row = [account]
        for name in SIGNAL_NAMES:
            value = table[name][i]
            if value is None or (isinstance(value, float) and math.isnan(value)):
                row.append("")
            else:
                row.append(value if isinstance(value, str) else f"{float(value):.6g}")
        rows.append(row)
    text = _csv_text(header, rows, numbers=[n for n in SIGNAL_NAMES if np.asarray(table[n]).dtype != object])
    _write_pending(pending, err)
    if args.output == "-":
        out.write(text)
    else:
        write_atomic(args.output, text)
        print(f"signals of {len(ids)} accounts as of {args.as_of} -> {args.output}", file=err)
    return 0


def _cmd_score(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    # every argument is checked before anything is read or written
    _check_output(args.output, "-o", inputs=[args.input, args.model, args.history, args.settings])
    model = _load(args.model)
    settings = _signal_settings(args)
    day = None
    if args.history is not None:
        day = _time.utc_date(args.as_of, "--as-of") if args.as_of else _time.today()  # the history's form
    with _Progress(err) as progress:
        pending: _Pending = []
        exports: Exports | None = None
        progress.stage(f"reading {args.input}")
        if _uses_sources(args) or is_exports_path(args.input):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                ids, columns, exports = _signals_table(args, pending, settings)
            for warning in caught:
                progress.note(f"warning: {warning.message}")
            if isinstance(model, SegmentedModel):
                columns[model.segment_column] = exports.tables["accounts"]["segment"]
        else:
            with _gc_paused():
                ids, columns, notes = read_portfolio_csv(args.input, model, supplied=_from_history(args, model))
            for note in notes:
                progress.note(f"note: {note}")
        # from the history, read before anything is written: what a snapshot keeps, and the CSM's reads
        extras: dict[str, Any] = {} if day is None else _history_extras(args.input, exports, ids)
        if day is not None:
            _fill_csm_read(args.history, model, day, ids, columns, progress, err)
        tree = _tree_of(args, model, exports, ids, columns, pending)
        progress.stage(f"scoring {len(ids):,} accounts")
        scored = model.score_batch(columns, drivers=TOP_DRIVERS, missing_columns="missing")
        _print_batch_warnings(scored, ids, progress.note)
        rolled = None
        if tree is not None:
            progress.stage(f"rolling {len(ids):,} accounts up a tree of {tree[0].depth} levels")
            rolled = _roll_up(model, scored, tree, progress)
        progress.stage(f"formatting {len(ids):,} rows")
        with _gc_paused():
            header, rows = _output_rows(ids, scored if rolled is None else rolled.scores, rolled)
            numbers = ["score", "own_score", "level", *scored.dimensions, "coverage"]
            text = _csv_text(
                header,
                rows,
                numbers=[*(h for h in numbers if h in header), *(h for h in header if h.endswith("_points"))],
            )
            del rows
        if args.history is not None and day is not None:  # the history first: the CSV only once it is stored
            progress.stage(f"writing the snapshot to {args.history}")
            extras = {**extras, "inputs": columns}
            _score_history(args.history, model, day, ids, scored if rolled is None else rolled, extras, progress, err)
        progress.stage(f"writing {args.output}")
        _write_pending(pending, err)
        if args.output == "-":
            out.write(text)
        else:
            write_atomic(args.output, text)
            n_scored = int(np.sum(~np.isnan(scored.score)))
            progress.note(f"scored {n_scored} of {len(ids)} accounts -> {args.output}")
    return 0


def _roll_up(
    model: AnyModel, scored: BatchScores, tree: tuple[hierarchy.Tree, Any], progress: _Progress
) -> hierarchy.RolledScores:
    """The parents rolled up; what the roll-up warns of (children without
    ARR) printed as notes."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rolled = hierarchy.roll_up(model, scored, tree[0], weights=tree[1], drivers=TOP_DRIVERS)
    for warning in caught:
        progress.note(f"warning: {warning.message}")
    return rolled


def _tree_of(
    args: argparse.Namespace,
    model: AnyModel,
    exports: Exports | None,
    ids: list[str],
    columns: dict[str, Any],
    pending: _Pending,
) -> tuple[hierarchy.Tree, Any] | None:
    """The account tree of the input and its ARR, when it has parent ids
    (``parent_id``); bad links are set aside (``--on-bad-rows report``) in the
    rejected rows file beside the exports' own."""
    column = hierarchy.PARENT_COLUMN
    if exports is not None:
        if column not in columns:
            return None
        parents = columns.pop(column)
        arr = columns["arr"] if "arr" in _metric_scorers(model) else columns.pop("arr")
        got = exports.db.cursor().execute("SELECT _line FROM accounts ORDER BY account_id").fetchnumpy()
        lines, source = np.asarray(got["_line"], dtype=np.int64), exports.sources["accounts"]
    else:
        table = read_csv(args.input)
        if column not in table.columns:
            return None
        parents = np.array([c.strip() for c in table.columns[column].tolist()], dtype=str)
        arr, lines, source = _csv_arr(args.input, ids), table.lines, args.input
    tree = hierarchy.build_tree(ids, parents, column=column, on_bad_rows=args.on_bad_rows, lines=lines, source=source)
    if tree.rejected:
        side = f"{args.output}.rejected.csv" if args.output != "-" else "rejected.csv"
        _check_output(side, "rejected rows file")
        before = list(exports.rejected) if exports is not None else []
        pending[:] = [p for p in pending if p[0] != side]
        pending.append(_rejected_file(side, [*before, *tree.rejected]))
    return tree, arr


def _rejected_file(side: str, rejected: Sequence[RejectedRow]) -> tuple[str, str, str]:
    """The rejected rows file: (path, text, what to say once written)."""
    header = ["table", "source", "line", "column", "value", "reason"]
    rows = [[r.table, r.source, str(r.line), r.column, r.value, r.reason] for r in rejected]
    note = f"note: {len(rows)} bad row(s) set aside with their reasons -> {side}"
    return side, _csv_text(header, rows, numbers=["line"]), note


def _from_history(args: argparse.Namespace, model: AnyModel) -> tuple[str, ...]:
    """The metrics ``score --history`` fills from the store: the CSM's read
    when the model names it."""
    return (CSM_READ_METRIC,) if args.history is not None and CSM_READ_METRIC in model.metric_names else ()


def _fill_csm_read(
    target: str, model: AnyModel, day: str, ids: list[str], columns: dict[str, Any], progress: _Progress, err: TextIO
) -> None:
    """The input column of a model metric named ``csm_read``: the store's
    latest reads as of ``day`` (NaN where an account has none), unless the
    input has the column; a history file not made yet holds no reads."""
    if CSM_READ_METRIC not in model.metric_names or CSM_READ_METRIC in columns:
        return
    if _is_file_history(target) and not os.path.lexists(target):
        column = np.full(len(ids), math.nan)
    else:
        with _history(target, err, write=False) as store:
            column = store.csm_read_column(ids, day)
    columns[CSM_READ_METRIC] = column
    n = int(np.sum(~np.isnan(column)))
    progress.note(
        f"note: {CSM_READ_METRIC} from the CSM's latest reads as of {day} in {target}: {n} of {len(ids)} accounts"
    )


def _history_extras(source: str, exports: Exports | None, ids: list[str]) -> dict[str, Any]:
    """What a snapshot keeps beside the scores (``write_snapshot``'s ``arr``,
    ``names`` and ``segments``), from the exports' accounts table or the
    portfolio CSV; a column that is absent is left out."""
    if exports is None:
        table = read_csv(source)
        texts = {
            key: [c.strip() or None for c in table.columns[column].tolist()]
            for key, column in (("names", "name"), ("segments", "segment"))
            if column in table.columns
        }
        return {"arr": _csv_arr(source, ids), **texts}
    accounts = exports.tables["accounts"]
    known = np.asarray(accounts["account_id"]).astype(str).tolist()
    out: dict[str, Any] = {"arr": np.asarray(accounts["arr"], dtype=np.float64) if "arr" in accounts else None}
    for key, column in (("names", "name"), ("segments", "segment")):
        if column in accounts:
            by_id = dict(zip(known, accounts[column].tolist(), strict=True))
            out[key] = [by_id.get(a) or None for a in ids]
    return out


def _score_history(
    target: str,
    model: AnyModel,
    day: str,
    ids: list[str],
    scored: BatchScores | hierarchy.RolledScores,
    extras: dict[str, Any],
    progress: _Progress,
    err: TextIO,
) -> None:
    """Append the run to the history: scores (a tree's rolled up, each
    account's own score, parent and level beside them), ``extras`` (``arr``,
    ``names`` and the scored columns as ``inputs``, for ``write_snapshot``)."""
    with _history(target, err, write=True, create=True) as store:
        store.write_snapshot(model, day, ids, scored, **extras)
        every = store.overrides(include_inactive=True)
        held = {o.account_id for o in every if o.active_on(day)} & set(ids)
    progress.note(f"snapshot as of {day} ({len(ids)} accounts, model {model_fingerprint(model)}) -> {target}")
    if held:
        progress.note(
            f"note: {len(held)} account(s) keep a manual override over this run's score until it expires: "
            + ", ".join(sorted(held)[:10])
            + (" ..." if len(held) > 10 else "")
        )


def _print_batch_warnings(scored: BatchScores, ids: list[str], say: Callable[[str], None]) -> None:
    """The batch's warnings, out-of-range values named by account id."""
    for report in scored.out_of_range:
        shown = ", ".join(f"{ids[r]}: {v!r}" for r, v in zip(report.rows, report.values, strict=True))
        more = ", ..." if report.count > len(report.rows) else ""
        say(
            f"warning: column {report.column!r}: {report.count} value(s) out of range, scored as missing; "
            f"the value {report.rule} ({shown}{more})"
        )
    for line in scored.warnings[len(scored.out_of_range) :]:  # the other warnings follow the reports
        say(f"warning: {line}")


def _csv_arr(path: str, ids: list[str]) -> Any:
    """The optional ``arr`` column of a portfolio CSV (NaN where blank), else None."""
    table = read_csv(path)
    if "arr" not in table.columns:
        return None
    cells = table.columns["arr"]
    values, bad = _numbers(cells)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        cell, line = str(cells[i]).strip(), int(table.lines[i])
        raise InputError(
            f"{path} line {line}, column 'arr': not a number: {cell!r}{null_hint(cell)}",
            column="arr",
            row=line,
            value=cell,
        )
    return values


def _cell(text: str, width: int, align: Literal["<", ">"] = "<") -> str:
    """One cell of a terminal table: control characters shown as escapes,
    padded to ``width`` terminal columns."""
    return pad(terminal_text(text), width, align)


def _table_text(header: list[str], rows: list[list[str]]) -> str:
    """A terminal table: control characters in cells shown as visible escapes
    (``\\n``, ``\\x1b``), columns aligned by display width (an East Asian
    wide character takes two columns)."""
    shown = [[terminal_text(c) for c in row] for row in [header, *rows]]
    widths = [max(display_width(r[j]) for r in shown) for j in range(len(header))]
    lines = ["  ".join(pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip() for r in shown]
    return "\n".join(lines) + "\n"


def _emit(
    header: list[str],
    rows: list[list[str]],
    records: list[dict[str, Any]],
    fmt: str,
    out: TextIO,
    numbers: Sequence[str] = (),
) -> None:
    """``rows`` as JSON records, CSV or a terminal table; ``numbers`` names the
    CSV columns that hold numbers (see :func:`_csv_text`)."""
    if fmt == "json":
        out.write(json.dumps(records, indent=2) + "\n")
    elif fmt == "csv":
        out.write(_csv_text(header, rows, numbers))
    else:
        out.write(_table_text(header, rows))


def _number(value: float) -> float | None:
    return None if value != value else value


ACTION_COLUMNS = (
    "rank",
    "account_id",
    "score",
    "band",
    "alert",
    "drop_alert",
    "change_30",
    "arr",
    "due",
    "reason",
    "drivers",
    "playbook",
    "parent_id",
    "children",
    "subtree_arr",
    "csm_rating",
    "csm_colour",
    "csm_author",
    "csm_as_of",
    "csm_stale",
    "disagreement",
)
"""The columns of ``actions --format csv``: machine values, the same in every language
(``parent_id`` and ``children``: the account's parent and, for a parent, its worst
children, in a tree of accounts; ``subtree_arr``: the ARR of the account and all
under it, which ranks a parent)."""
ACTION_TABLE_COLUMNS = (*ACTION_COLUMNS[:7], "subtree_arr", ACTION_COLUMNS[8], "response", *ACTION_COLUMNS[9:12])
"""The columns of ``actions --format table``: words in the language of ``--lang`` (then
the CSM read and the disagreement, :data:`ACTION_TABLE_CSM_COLUMNS`); its ARR is the
ARR at stake, the figure the queue ranks by (a parent's subtree's)."""
ACTION_TABLE_CSM_COLUMNS = ("csm_read", "disagreement")
"""The last columns of ``actions --format table``: the CSM's read and its disagreement."""


def _cmd_actions(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    words = catalogue(check_language(args.lang, "--lang"))  # every argument before the store is opened
    drop = DropRule.from_text(points=args.drop_points, window=args.drop_window)
    with _history(args.history, err, write=False) as store:
        queue = queue_from_history(
            store, args.as_of, model=args.model_version, drop=drop, rank_by=args.rank_by, stale_days=args.stale_days
        )
    if args.limit is not None:
        queue = queue[: args.limit]
    if args.format == "table":
        csm = csm_words(words.lang)
        header = [words.text(f"cli.{name}") for name in ACTION_TABLE_COLUMNS]
        header += [csm[name] for name in ACTION_TABLE_CSM_COLUMNS]
        out.write(_table_text(header, [_action_table_row(rank, a, words) for rank, a in enumerate(queue, start=1)]))
        print(words.text("cli.actions_count", count=len(queue)), file=err)
        return 0
    rows, records = [], []
    for rank, a in enumerate(queue, start=1):
        rows.append(
            [
                str(rank),
                a.account_id,
                _fmt(a.score, 1),
                a.band,
                a.alert,
                "yes" if a.drop_alert else "",
                _fmt(a.change_30, 1),
                _fmt(a.arr, 0),
                a.due,
                a.reason,
                "; ".join(a.drivers),
                "; ".join(a.playbook),
                a.parent_id or "",
                "; ".join(a.children),
                _fmt(a.subtree_arr, 0),
                *_action_csm_cells(a),
            ]
        )
        record = {"rank": rank, **attrs.asdict(a)}
        record.update(change_30=_number(a.change_30), arr=_number(a.arr), subtree_arr=_number(a.subtree_arr))
        records.append(record)
    numbers = ["rank", "score", "change_30", "arr", "subtree_arr", "disagreement"]
    _emit(list(ACTION_COLUMNS), rows, records, args.format, out, numbers=numbers)
    return 0


def _action_csm_cells(a: Action) -> list[str]:
    """The CSM read's CSV cells of an action: rating, colour, author, date,
    staleness and disagreement (all empty without a read)."""
    read = a.csm_read
    if read is None:
        return [""] * 6
    steps = "" if a.disagreement is None else str(a.disagreement)
    return [str(read.rating), read.colour, read.author, read.as_of, "yes" if a.csm_stale else "", steps]


def _action_table_row(rank: int, a: Action, words: Catalogue) -> list[str]:
    """One row of the action queue's terminal table, in the catalogue's language:
    band and alert names, response and playbook, dates and numbers."""
    return [
        words.number(rank),
        a.account_id,
        words.number(a.score, 1),
        words.band(a.band),
        words.alert(a.alert),
        words.text("cli.drop_yes") if a.drop_alert else "",
        "" if math.isnan(a.change_30) else words.number(a.change_30, 1),
        "" if math.isnan(a.subtree_arr) else words.number(a.subtree_arr, 0),
        words.instant(a.due),
        words.phrase(a.response),
        action_reason(a, words),
        words.text("cli.list_separator").join(driver_label(d, words) for d in a.drivers),
        words.phrase(a.playbook[0]) if a.playbook else "",
        _csm_read_cell(a, words),
        disagreement_text(a.disagreement, words),
    ]


def _csm_read_cell(a: Action, words: Catalogue) -> str:
    """The CSM read in the queue's table: rating, author and date; stale marked."""
    if a.csm_read is None:
        return ""
    stale = f" [{csm_words(words.lang)['csm_stale']}]" if a.csm_stale else ""
    return csm_read_text(a.csm_read, words) + stale


def _cmd_history(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with _history(args.history, err, write=False) as store:
        points = store.series(args.account_id, model=args.model_version)
        reads = sorted(store.csm_reads(args.account_id), key=lambda r: (r.as_of, r.recorded_at))
    if not points:
        raise _UsageError(f"no snapshots of account {args.account_id!r} in {args.history}")
    dims = list(dict.fromkeys(name for p in points for name in p.dimensions))
    named = any(p.name for p in points)  # the name column only where the history holds one
    tree = any(p.parent_id is not None or p.own_score is not None for p in points)  # only where one was stored
    header = ["as_of", *(["name"] if named else []), "score", "band", "alert", *dims, "coverage"]
    header += [*(["own_score", "parent_id", "level"] if tree else []), *(["csm_read"] if reads else [])]
    header += ["computed_score", "override", "model_version"]
    en = catalogue("en")
    rows, records = [], []
    for p in points:
        override = (
            "" if p.override is None else f"{p.override.reason} ({p.override.author}, until {p.override.expires})"
        )
        read = _read_as_of(reads, p.as_of)
        rows.append(
            [
                p.as_of,
                *([p.name or ""] if named else []),
                _fmt(p.score if p.score is not None else math.nan, 1),
                p.band or "",
                p.alert or "",
                *(_fmt(v if (v := p.dimensions.get(d)) is not None else math.nan, 1) for d in dims),
                _fmt(p.coverage, 3),
                *(_tree_cells(p) if tree else []),
                *([csm_read_text(read, en) if read else ""] if reads else []),
                _fmt(p.computed_score if p.computed_score is not None else math.nan, 1),
                override,
                p.model_version,
            ]
        )
        records.append({**attrs.asdict(p), "csm_read": _read_record(read)})
    numbers = ["score", *dims, "coverage", *(["own_score", "level"] if tree else []), "computed_score"]
    _emit(header, rows, records, args.format, out, numbers=numbers)
    if reads and args.format == "table":
        latest = reads[-1]
        note = f": {latest.note}" if latest.note else ""
        out.write(f"latest CSM read: {csm_read_text(latest, en)}{note}\n")
    return 0


def _read_as_of(reads: Sequence[CsmRead], day: str) -> CsmRead | None:
    """The latest of ``reads`` (oldest first) dated on or before ``day``."""
    found = [r for r in reads if r.as_of <= day[:10]]
    return found[-1] if found else None


def _read_record(read: CsmRead | None) -> dict[str, Any] | None:
    return None if read is None else {**attrs.asdict(read), "colour": read.colour, "level": read.level}


def _tree_cells(p: HistoryPoint) -> list[str]:
    """A history point's own score, parent and depth in a tree of accounts."""
    own = _fmt(p.own_score if p.own_score is not None else math.nan, 1)
    return [own, p.parent_id or "", str(p.level)]


def _cmd_override(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.revoke is not None:
        with _history(args.history, err, write=True) as store:
            made = store.revoke_override(args.revoke, author=args.author or "unknown")
        print(f"revoked override {made.override_id} of {made.account_id}", file=err)
        return 0
    if args.account_id is None:
        with _history(args.history, err, write=False) as store:
            found = store.overrides(include_inactive=args.all)
        header = ["override_id", "account_id", "score", "band", "reason", "author", "starts", "expires", "revoked_at"]
        rows = [
            [
                o.override_id,
                o.account_id,
                "" if o.score is None else f"{o.score:g}",
                o.band or "",
                o.reason,
                o.author,
                o.starts,
                o.expires,
                o.revoked_at or "",
            ]
            for o in found
        ]
        _emit(header, rows, [attrs.asdict(o) for o in found], args.format, out, numbers=["score"])
        return 0
    for flag in ("reason", "author", "expires"):
        if getattr(args, flag) is None:
            raise _UsageError(f"setting an override needs --{flag}")
    with _history(args.history, err, write=True, create=True) as store:
        made = store.set_override(
            args.account_id,
            score=args.score,
            band=args.band,
            reason=args.reason,
            author=args.author,
            expires=args.expires,
            starts=args.starts,
        )
    print(f"override {made.override_id}: {made.account_id} from {made.starts} until {made.expires}", file=out)
    return 0


CSM_READ_COLUMNS = ("read_id", "account_id", "rating", "colour", "author", "as_of", "note", "recorded_at")
"""The columns of ``csm-read`` listings."""


def _cmd_csm_read(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.rating is None:
        for flag in ("author", "note"):
            if getattr(args, flag) is not None:
                raise _UsageError(f"--{flag} is for recording a read: give --rating too (and --account)")
        with _history(args.history, err, write=False) as store:
            found = store.csm_reads(args.account, args.as_of, latest=args.latest)
        rows = [
            [r.read_id, r.account_id, str(r.rating), r.colour, r.author, r.as_of, r.note, r.recorded_at] for r in found
        ]
        records = [{**attrs.asdict(r), "colour": r.colour, "level": r.level} for r in found]
        _emit(list(CSM_READ_COLUMNS), rows, records, args.format, out)
        return 0
    for flag in ("account", "author"):
        if getattr(args, flag) is None:
            raise _UsageError(f"recording a CSM read needs --{flag}")
    with _history(args.history, err, write=True, create=True) as store:
        made = store.record_csm_read(
            args.account, rating=args.rating, author=args.author, note=args.note or "", as_of=args.as_of
        )
    print(f"CSM read {made.read_id}: {made.account_id} {made.rating} as of {made.as_of} by {made.author}", file=out)
    return 0


def _pairs(items: Sequence[str] | None, flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        column, sep, value = item.rpartition("=")
        if not sep or not column.strip() or not value.strip():
            raise _UsageError(f"{flag} takes COLUMN=VALUE, got {item!r}")
        out[column.strip()] = value.strip()
    return out


def _check_reports(args: argparse.Namespace, inputs: Sequence[str | None]) -> None:
    if args.report is not None:
        _check_output(args.report, "--report" if args.command == "fit" else "-o", inputs=inputs)
    if getattr(args, "json", None) is not None:
        _check_output(args.json, "--json", inputs=[*inputs, args.report])


def _write_report(args: argparse.Namespace, text: str, data: dict[str, Any] | None, out: TextIO, err: TextIO) -> None:
    if args.report is None or args.report == "-":
        out.write(text + "\n")
    else:
        write_atomic(args.report, text + "\n")
        print(f"report -> {args.report}", file=err)
    if getattr(args, "json", None) and data is not None:
        write_atomic(args.json, json.dumps(data, indent=2) + "\n")
        print(f"report data -> {args.json}", file=err)


def _cmd_backtest(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        horizons = [int(h) for h in args.horizons.split(",")]
    except ValueError:
        raise _UsageError(f"--horizons takes whole numbers of days like 30,60,90, got {args.horizons!r}") from None
    _check_reports(args, [args.churn, args.renewals, args.scores, args.history])
    churn = read_table_csv(args.churn)
    renewals = read_table_csv(args.renewals) if args.renewals else None
    if args.history is not None:
        with _history(args.history, err, write=False) as store:
            report = run_backtest(store, churn, renewals=renewals, horizons=horizons, model=args.model_version)
    elif args.scores is not None:
        report = run_backtest(read_table_csv(args.scores), churn, renewals=renewals, horizons=horizons)
    else:
        raise _UsageError("backtest needs --history FILE_OR_URL or --scores SCORES.csv")
    _write_report(args, report.summary(), report.to_dict(), out, err)
    return 0


def _cmd_fit(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    inputs = [args.data, args.model, args.kinds, args.renewals, args.history]
    _check_output(args.output, "-o", inputs=inputs)
    _check_reports(args, [*inputs, args.output])
    if args.renewals is None:
        result = _fit_to_outcome(args)
    else:
        result = _fit_to_renewals(args, err)
    dump_model(result.model, args.output)
    print(f"fitted model -> {args.output} (fingerprint {model_fingerprint(result.model)})", file=err)
    text = result.report.summary()
    if result.renewals is not None:
        text = result.renewals.summary() + "\n\n" + text
    _write_report(args, text, None, out, err)
    return 0


def _fit_to_outcome(args: argparse.Namespace) -> Any:
    """``fit`` on DATA.csv and its 0/1 outcome column."""
    for flag, value in (("--history", args.history), ("--lead-days", args.lead_days)):
        if value is not None:
            raise _UsageError(f"{flag} goes with --renewals RENEWALS.csv")
    if args.data is None:
        raise _UsageError("fit needs DATA.csv, or --renewals RENEWALS.csv with --history FILE_OR_URL")
    if args.outcome is None:
        raise _UsageError("fit needs --outcome COLUMN (the 0/1 column, 1 = churned), or --renewals RENEWALS.csv")
    data = read_table_csv(args.data)
    if args.outcome not in data:
        raise _UsageError(f"{args.data}: no outcome column {args.outcome!r} (columns: {', '.join(data)})")
    try:
        fit_outcome(data, args.outcome)
    except InputError as exc:
        if exc.row is None:
            raise _UsageError(f"{args.data}: {exc}") from None
        raise _UsageError(
            f"{args.data} line {exc.row + 2}, column {args.outcome!r}: the outcome must be 0 or 1 "
            f"(1 = churned), got {exc.value!r}"
        ) from None
    return _fit(args, data, args.outcome, {})


def _fit_to_renewals(args: argparse.Namespace, err: TextIO) -> Any:
    """``fit --renewals``: features ``--lead-days`` before each renewal, from
    ``--history`` or from DATA.csv of dated features."""
    if args.outcome is not None:
        raise _UsageError("--outcome and --renewals do not mix: the renewals are the outcome")
    try:
        leads = [int(d) for d in (args.lead_days or "90").split(",")]
    except ValueError:
        raise _UsageError(
            f"--lead-days takes whole numbers of days like 90 or 30,60,90, got {args.lead_days!r}"
        ) from None
    renewals = read_table_csv(args.renewals)
    try:
        read_renewals(renewals)
    except InputError as exc:
        where = args.renewals if exc.row is None else f"{args.renewals} line {exc.row + 2}, column {exc.column!r}"
        raise _UsageError(f"{where}: {exc}") from None
    extra = {"renewals": renewals, "lead_days": leads}
    if args.history is not None:
        if args.data is not None:
            raise _UsageError("fit --renewals reads features from --history or from DATA.csv, not both")
        with _history(args.history, err, write=False) as store:
            return _fit(args, store, None, extra)
    if args.data is None:
        raise _UsageError(
            "fit --renewals needs --history FILE_OR_URL, or DATA.csv of dated features (account_id, as_of, features)"
        )
    return _fit(args, read_table_csv(args.data), None, extra)


def _fit(args: argparse.Namespace, data: Any, outcome: str | None, extra: dict[str, Any]) -> Any:
    """The scorecard or re-weighting fit of ``fit``."""
    if args.method == "scorecard":
        kinds = _pairs(args.kind, "--kind")
        if args.kinds:
            try:
                loaded = tomllib.loads(Path(args.kinds).read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise _UsageError(f"{args.kinds}: not a readable TOML table of column = kind ({exc})") from None
            kinds = {**{str(k): str(v) for k, v in loaded.items()}, **kinds}
        for column, kind in kinds.items():
            if kind == "categorical" and isinstance(data, dict) and column in data and data[column].dtype != object:
                data[column] = np.array([None if v != v else f"{v:g}" for v in data[column].tolist()], dtype=object)
        return fit_scorecard(
            data,
            outcome,
            kinds or None,  # none named: every column's shape learned ("auto"), labels as categories
            dimensions=_pairs(args.dimension, "--dimension"),
            max_red_share=args.max_red_share,
            name=args.name,
            segment=args.segment,
            **extra,
        )
    if args.segment is not None:
        raise _UsageError("--segment goes with fit scorecard: reweight re-fits the weights of one --model")
    if args.model is None:
        raise _UsageError("fit reweight needs --model FILE: the model whose weights to re-fit")
    model = load_model(args.model)  # a segmented model: each of its models re-weighted on its accounts
    return reweight(model, data, outcome, strength=args.strength, bootstrap=args.bootstrap, folds=args.folds, **extra)


def _cmd_export_history(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    _check_output(args.output, "-o", inputs=[args.history])
    if args.output == "-" or Path(args.output).suffix.lower() not in HISTORY_EXPORT_SUFFIXES:
        raise _UsageError(
            f"-o {args.output}: export-history writes {', '.join(HISTORY_EXPORT_SUFFIXES)} files; "
            f"got the suffix {Path(args.output).suffix or '(none)'!r}"
        )
    with _history(args.history, err, write=False) as store:
        n = store.export(args.output, model=args.model_version, since=args.since, until=args.until)
    print(f"{n} snapshot rows -> {args.output}", file=err)
    return 0


def _describe_model(model: HealthModel, indent: str = "") -> list[str]:
    lines = [f"{indent}model {model.name}: {len(model.dimensions)} dimensions, {len(model.metric_names)} metrics"]
    shares = model.metric_weights
    for dim in model.dimensions:
        lines.append(f"{indent}  {_cell(dim.name, 14)} {model.dimension_weights[dim.name]:6.1%}")
        for metric in dim.metrics:
            lines.append(
                f"{indent}    {_cell(metric.name, 28)} {shares[metric.name]:6.1%}  {input_kind(metric.scorer)}"
            )
    lines.append(f"{indent}  bands: " + ", ".join(f"{b.name} >= {b.min_score:g}" for b in model.bands.bands))
    lines.append(f"{indent}  missing data: {model.missing.strategy}, min coverage {model.missing.min_coverage:.0%}")
    return lines


def _cmd_validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    model = load_model(args.file)
    lines = [f"{args.file}: valid (fingerprint {model_fingerprint(model)})"]
    if isinstance(model, SegmentedModel):
        lines.append(f"segmented model {model.name}, segment column {model.segment_column!r}")
        for seg, sub in model.segments:
            lines.append(f"segment {seg!r}:")
            lines.extend(_describe_model(sub, "  "))
        if model.default is not None:
            lines.append("default (unknown segments):")
            lines.extend(_describe_model(model.default, "  "))
    else:
        lines.extend(_describe_model(model))
    print("\n".join(lines), file=out)
    return 0


def _cmd_init_settings(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.output is None or args.output == "-":
        out.write(dump_signal_settings(SignalSettings(), format=args.format, comments=args.format in (None, "toml")))
        return 0
    _check_output(args.output, "-o", force=args.force)
    _check_model_output(args.output, args.format, "-o")
    toml = (args.format or MODEL_SUFFIXES.get(Path(args.output).suffix.lower())) == "toml"
    dump_signal_settings(SignalSettings(), args.output, format=args.format, comments=toml)
    print(f"wrote the default signal settings -> {args.output}", file=err)
    return 0


def _cmd_init(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    model = PRESETS[args.preset]()
    if args.output is None or args.output == "-":
        out.write(dump_model(model, format=args.format or "toml"))
    else:
        _check_output(args.output, "-o", force=args.force)
        _check_model_output(args.output, args.format, "-o")
        dump_model(model, args.output, format=args.format)
        print(f"wrote {args.preset} -> {args.output}", file=err)
    return 0


# --------------------------------------------------------------------------- report and demo


class _MissingExtra(_UsageError):
    """An optional library a command needs is not installed."""


def _make_dashboard(source: Any, **options: Any) -> Any:
    """``healthscore.report.dashboard(source, **options)``; a missing Jinja2 is
    a one-line error with the install hint."""
    try:
        report = importlib.import_module("healthscore.report")  # the report extra: imported only to make a page
        return report.dashboard(source, **options)
    except ImportError as exc:
        if exc.name == "healthscore.report":  # a build without the dashboard module
            raise _MissingExtra("this build of healthscore has no dashboard (healthscore.report)") from None
        if exc.name != "jinja2" and INSTALL_HINT not in str(exc):
            raise
        raise _MissingExtra(INSTALL_HINT) from None


def _cmd_report(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    # every argument is checked before anything is read
    lang = check_language(args.lang, "--lang")
    if args.history is not None and args.model is not None:
        raise _UsageError(
            "--model goes with --scores (the model of a scored CSV); with --history, choose a stored model "
            "version with --model-version"
        )
    if args.scores is not None and args.model_version is not None:
        raise _UsageError("--model-version goes with --history; with --scores, give the model file with --model")
    _check_output(args.output, "-o", inputs=[args.history, args.scores, args.churn, args.model])
    if args.as_of is not None:
        _time.utc_date(args.as_of, "--as-of")
    drop = DropRule.from_text(points=args.drop_points, window=args.drop_window)
    options: dict[str, Any] = {"as_of": args.as_of, "churn": args.churn, "lang": lang, "drop": drop}
    options["title"] = args.title
    given = {"rank_by": args.rank_by, "stale_days": args.stale_days}
    options.update({k: v for k, v in given.items() if v is not None})  # the dashboard's defaults otherwise
    with _Progress(err) as progress:
        if args.history is not None:
            progress.stage(f"building the dashboard of {args.history}")
            with _history(args.history, err, write=False) as store:
                board = _make_dashboard(store, model=args.model_version, **options)
        else:
            model = None if args.model is None else load_model(args.model)
            progress.stage(f"building the dashboard of {args.scores}")
            board = _make_dashboard(args.scores, model=model, **options)
        if args.output == "-":
            out.write(board.html)
            return 0
        progress.stage(f"writing {args.output}")
        saved = board.save(args.output)
    print(f"dashboard of {board.accounts:,} accounts as of {board.as_of} ({lang}) -> {saved}", file=err)
    return 0


DEMO_FOLDER = "healthscore-demo"
"""Where ``healthscore demo`` writes its history, churn table and dashboard (in the current folder)."""
DEMO_START, DEMO_DAYS, DEMO_SEED = "2025-01-01", 365, 7
DEMO_WEEKS = 12
"""The demo's score history: a snapshot a week over the last twelve weeks of its year."""


@attrs.frozen(kw_only=True)
class _DemoData:
    """The demo's synthetic portfolio, in accounts order: ids, names, segments
    and ARR; the signals as of each weekly date; the churn table; the number of
    product events; its account tree (parent ids, ``""`` at the top) and the
    CSM's reads."""

    ids: list[str]
    names: list[str]
    segment: Any
    arr: Any
    days: tuple[str, ...]
    signals: dict[str, dict[str, Any]]
    churn: dict[str, list[str]]
    n_events: int
    parents: Any
    reads: list[dict[str, str]]


@attrs.frozen(kw_only=True)
class _DemoPaths:
    lang: Language
    folder: Path
    history: Path
    churn: Path
    dashboard: Path | None


def _demo_days() -> tuple[str, ...]:
    """The demo's snapshot dates, oldest first; the last is its year's last day."""
    last = _time.utc_day(DEMO_START, "start") + DEMO_DAYS - 1
    return tuple(_time.day_text(last - 7 * k) for k in range(DEMO_WEEKS - 1, -1, -1))


def _joined(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    return {k: np.concatenate([b[k] for b in blocks]) for k in blocks[0]} if blocks else {}


def _demo_data(n_accounts: int) -> _DemoData:
    """The demo's portfolio and its signals as of every snapshot date. The
    exports are made, read and turned into signals a block of accounts at a
    time, and each block dropped: memory holds one block's events, not the
    portfolio's; each date's signals come from the same exports, nothing after
    the date read."""
    days = _demo_days()
    settings = SignalSettings(advanced_features=ADVANCED_FEATURES)
    per_day: dict[str, list[dict[str, Any]]] = {day: [] for day in days}
    accounts: list[dict[str, Any]] = []
    churn: dict[str, list[str]] = {"account_id": [], "churn_date": []}
    reads: list[dict[str, str]] = []
    n_events = 0
    for gen in generate_export_blocks(n_accounts, DEMO_DAYS, seed=DEMO_SEED, start=DEMO_START):
        reads += [r for r in csm_reads(gen, seed=DEMO_SEED) if r["as_of"] <= days[-1]]
        exports = read_exports(gen.tables)
        for day in days:
            per_day[day].append(compute_signals(exports, day, settings))
        table = exports.tables["accounts"]
        accounts.append({"name": gen.tables["accounts"]["name"], "segment": table["segment"], "arr": table["arr"]})
        churn["account_id"] += gen.churn["account_id"].tolist()
        churn["churn_date"] += gen.churn["churn_date"].tolist()
        n_events += exports.rows("events")
        del gen, exports
    signals = {day: _joined(blocks) for day, blocks in per_day.items()}
    ids = [str(a) for a in signals[days[-1]]["account_id"].tolist()]
    for columns in signals.values():
        columns.pop("account_id", None)
    joined = _joined(accounts)
    return _DemoData(
        ids=ids,
        names=[str(n) for n in joined.get("name", np.array([])).tolist()],
        segment=joined.get("segment", np.array([], dtype=object)),
        arr=joined.get("arr", np.array([])),
        days=days,
        signals=signals,
        churn=churn,
        n_events=n_events,
        parents=account_tree(ids, seed=DEMO_SEED),
        reads=sorted(reads, key=lambda r: (r["as_of"], r["account_id"])),
    )


def _demo_columns(model: AnyModel, data: _DemoData, day: str) -> dict[str, Any]:
    columns = dict(data.signals[day])
    if isinstance(model, SegmentedModel):
        columns[model.segment_column] = data.segment
    return columns


def _demo_book(data: _DemoData, day: str) -> _DemoData:
    """The book on ``day``: the accounts that have not churned on or before
    it (a customer lost leaves the book after its last score), with that
    day's signals; a subsidiary whose parent left is at the top."""
    churned = np.asarray(data.churn["account_id"], dtype=str)
    gone = churned[np.asarray(data.churn["churn_date"], dtype=str) <= day]
    ids = np.asarray(data.ids, dtype=str)
    rows = np.flatnonzero(~np.isin(ids, gone))
    parents = np.asarray(data.parents, dtype=str)[rows]
    parents = np.where(np.isin(parents, ids[rows]), parents, "")
    return attrs.evolve(
        data,
        ids=ids[rows].tolist(),
        names=[data.names[i] for i in rows.tolist()],
        segment=np.asarray(data.segment)[rows],
        arr=np.asarray(data.arr)[rows],
        signals={day: {k: np.asarray(v)[rows] for k, v in data.signals[day].items()}},
        parents=parents,
    )


def _is_demo_history(path: Path) -> bool:
    """Whether ``path`` is a history the demo wrote: snapshots on its dates only."""
    try:
        with open_history(str(path), create=False, read_only=True) as store:
            stored = store.snapshots()
    except HealthScoreError:
        return False
    days = set(_demo_days())
    return bool(stored) and all(s.as_of in days for s in stored)


def _demo_paths(args: argparse.Namespace, lang: Language) -> _DemoPaths:
    """The demo's files, checked before anything is made: a history the demo
    did not write (or a churn table beside none) is never replaced."""
    if args.dashboard is not None and args.no_dashboard:
        raise _UsageError("--dashboard PATH and --no-dashboard contradict each other: give one of them")
    if args.dashboard is not None:
        _check_output(args.dashboard, "--dashboard", inputs=[args.model])
        folder = Path(args.dashboard).parent
        dashboard: Path | None = Path(args.dashboard)
    else:
        folder = Path(DEMO_FOLDER)
        dashboard = None if args.no_dashboard else folder / "dashboard.html"
        if folder.exists() and not folder.is_dir():
            raise _UsageError(
                f"{folder} exists and is not a folder: the demo writes its files into a folder of that name"
            )
        if not folder.exists():
            _check_output(str(folder), "the demo's folder")
    paths = _DemoPaths(
        lang=lang, folder=folder, history=folder / "history.db", churn=folder / "churn.csv", dashboard=dashboard
    )
    if dashboard is not None and dashboard.name in (paths.history.name, paths.churn.name):
        raise _UsageError(
            f"--dashboard {dashboard}: the demo writes its {dashboard.name} there; name the page otherwise"
        )
    if not folder.is_dir():
        return paths
    for path in (paths.history, paths.churn, *([dashboard] if dashboard is not None else [])):
        _check_output(str(path), "the demo's file", inputs=[args.model])
    replaced = paths.history if paths.history.exists() else paths.churn if paths.churn.exists() else None
    if replaced is not None and not (paths.history.exists() and _is_demo_history(paths.history)):
        raise _UsageError(
            f"{replaced} exists and was not written by 'healthscore demo': the demo replaces its history.db and "
            "churn.csv; give it another folder (--dashboard FOLDER/dashboard.html) or move the file"
        )
    return paths


def _write_demo_history(
    target: Path,
    model: AnyModel,
    data: _DemoData,
    books: list[tuple[_DemoData, hierarchy.RolledScores]],
    then: Callable[[HistoryStore], Path | str | None],
) -> Path | str | None:
    """The weekly snapshots and the CSM's reads into a fresh history at
    ``target``: written beside it, then moved over it, so a failed run leaves
    the previous one whole. ``then`` reads the new history before it is closed
    (a reader of a closed one would leave its write-ahead log behind); what it
    says is returned."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open_history(str(tmp), create=True) as store:
            for day, (book, scored) in zip(data.days, books, strict=True):
                inputs = _demo_columns(model, book, day)
                store.write_snapshot(
                    model, day, book.ids, scored, arr=book.arr, names=book.names, segments=book.segment, inputs=inputs
                )
            for read in data.reads:
                store.record_csm_read(
                    read["account_id"],
                    rating=read["rating"],
                    author=read["author"],
                    note=read["note"],
                    as_of=read["as_of"],
                )
            said = then(store)
        for stale in (f"{target}-wal", f"{target}-shm", f"{target}-journal"):  # of the history replaced
            with suppress(FileNotFoundError):
                os.unlink(stale)
        os.replace(tmp, target)
    except BaseException:
        for leftover in (tmp, f"{tmp}-wal", f"{tmp}-shm", f"{tmp}-journal"):
            with suppress(OSError):
                os.unlink(leftover)
        raise
    return said


def _demo_page(store: HistoryStore, paths: _DemoPaths) -> Path | str | None:
    """The demo's dashboard, from its history and churn table: the path
    written, the reason it was not (a missing extra), or None when not asked for."""
    if paths.dashboard is None:
        return None
    try:
        board = _make_dashboard(store, churn=str(paths.churn), lang=paths.lang)
    except _MissingExtra as exc:
        return str(exc)
    saved: Path = board.save(paths.dashboard)
    return saved


def _write_demo_files(
    paths: _DemoPaths,
    model: AnyModel,
    data: _DemoData,
    books: list[tuple[_DemoData, hierarchy.RolledScores]],
    words: Catalogue,
) -> list[str]:
    """Write the churn table, the history and the dashboard; the lines that say where."""
    paths.folder.mkdir(exist_ok=True)
    rows = [list(pair) for pair in zip(data.churn["account_id"], data.churn["churn_date"], strict=True)]
    write_atomic(paths.churn, _csv_text(["account_id", "churn_date"], rows))
    page = _write_demo_history(paths.history, model, data, books, lambda store: _demo_page(store, paths))
    first, last = words.date(data.days[0]), words.date(data.days[-1])
    lines = [
        words.text("cli.demo_history", snapshots=len(data.days), first=first, last=last, path=paths.history),
        words.text("cli.demo_churn", path=paths.churn),
    ]
    if isinstance(page, Path):
        lines.append(words.text("cli.demo_dashboard", path=page))
    elif page is not None:
        lines.append(words.text("cli.demo_no_dashboard", reason=page))
    lang = [] if words.lang == "en" else ["--lang", words.lang]
    history = str(paths.history)
    report = ["healthscore", "report", "--history", history, "--churn", str(paths.churn), *lang]
    lines += [
        "",
        words.text("cli.demo_next"),
        "  " + shlex.join(["healthscore", "actions", "--history", history, "--format", "table", *lang]),
        "  " + shlex.join(["healthscore", "actions", "--history", history, "--rank-by", "disagreement", *lang]),
        "  " + shlex.join([*report, "-o", str(paths.folder / "dashboard.html")]),
    ]
    if isinstance(page, Path):
        lines.append("  " + words.text("cli.demo_open", path=page))
    return lines


def _cmd_demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.accounts < 1:
        raise _UsageError(f"--accounts must be at least 1, got {args.accounts}")
    if args.top < 0:
        raise _UsageError(f"--top must be 0 or more, got {args.top}")
    words = catalogue(check_language(args.lang, "--lang"))
    paths = _demo_paths(args, words.lang)
    model = _load(args.model)
    with _Progress(err) as progress:
        progress.stage(f"making a year of exports and their weekly signals for {args.accounts:,} accounts")
        data = _demo_data(args.accounts)
        progress.stage(f"scoring the book of each of {len(data.days)} weeks, parents rolled up")
        books = [_demo_snapshot(model, _demo_book(data, day), day) for day in data.days]
        progress.stage(f"writing {paths.folder}")
        files = _write_demo_files(paths, model, data, books, words)
    lines = _demo_lines(args, model, data, books, words)
    print(
        "\n".join(map(terminal_text, [*lines, "", *files])), file=out
    )  # names from the model too: shown, never obeyed
    return 0


def _demo_snapshot(model: AnyModel, book: _DemoData, day: str) -> tuple[_DemoData, hierarchy.RolledScores]:
    """One week's book and its scores, parents rolled up its tree."""
    scored = model.score_batch(_demo_columns(model, book, day), drivers=TOP_DRIVERS, missing_columns="missing")
    tree = hierarchy.build_tree(book.ids, book.parents)
    return book, hierarchy.roll_up(model, scored, tree, weights=book.arr, drivers=TOP_DRIVERS)


def _demo_lines(
    args: argparse.Namespace,
    model: AnyModel,
    data: _DemoData,
    books: list[tuple[_DemoData, hierarchy.RolledScores]],
    words: Catalogue,
) -> list[str]:
    """The demo's text: the portfolio, the riskiest accounts in the last
    week's book, bands and alerts, the account tree and the CSM's reads, the
    ground truth."""
    book, rolled = books[-1]
    scored = rolled.scores
    intro = words.text(
        "cli.demo_intro",
        version=__version__,
        accounts=words.number(len(data.ids)),
        events=words.number(data.n_events),
        date=words.date(data.days[-1]),
        model=repr(model.name),
    )
    last = words.date(data.days[-1])
    ranked = words.text("cli.demo_ranked", top=args.top, date=last, accounts=words.number(len(book.ids)))
    order = np.argsort(np.where(np.isnan(scored.score), np.inf, scored.score), kind="stable")[: args.top]
    lines = [intro, "", ranked, *_demo_ranking(order, book, scored, words)]
    bands = model.bands if isinstance(model, HealthModel) else presets.three_dimension().bands
    lines += ["", words.text("cli.band_distribution"), *_band_lines(bands.summary(scored.score), words)]
    sep = words.text("cli.list_separator")
    alerts = sep.join(f"{words.alert(n)} {int(np.sum(scored.alert == n))}" for n in model_alert_names(model))
    lines += ["", words.text("cli.alerts_line", counts=alerts), *_demo_tree_lines(model, book, rolled, bands, words)]
    lines += _demo_truth(data, books, order, words)
    worst = bands.bands[-1]
    steps = sep.join(words.phrase(step) for step in worst.playbook)
    lines += ["", words.text("cli.playbook_for", band=words.band(worst.name), steps=steps)]
    return lines


def _demo_truth(
    data: _DemoData, books: list[tuple[_DemoData, hierarchy.RolledScores]], order: Any, words: Catalogue
) -> list[str]:
    """The ground truth beside the scores: each account's last score (a lost
    customer's before it left the book), churned against the rest; and of the
    last week's book, the accounts lost after it and how many of them the
    ranking (``order``, positions in that book) put at the top."""
    churned = set(data.churn["account_id"])
    if not churned:
        return []
    latest: dict[str, float] = {}
    for book, rolled in books:
        latest.update(zip(book.ids, rolled.scores.score.tolist(), strict=True))
    lost = [v for a, v in latest.items() if a in churned]
    kept = [v for a, v in latest.items() if a not in churned]
    left = len(data.ids) - len(books[-1][0].ids)
    lines = [
        "",
        words.text(
            "cli.ground_truth",
            churned=words.number(len(churned)),
            left=words.number(left),
            date=words.date(data.days[-1]),
            scored=words.number(len(lost)),
            churned_mean=words.number(float(np.nanmean(lost)) if lost else math.nan, 1),
            others_mean=words.number(float(np.nanmean(kept)) if kept else math.nan, 1),
        ),
    ]
    ahead = np.isin(books[-1][0].ids, list(churned))  # in the last book, so lost after it
    if ahead.any() and order.size:
        lines.append(
            words.text(
                "cli.demo_ahead",
                accounts=words.number(int(ahead.sum())),
                date=words.date(data.days[-1]),
                caught=words.number(int(ahead[order].sum())),
                top=words.number(int(order.size)),
            )
        )
    return lines


def _demo_tree_lines(
    model: AnyModel, data: _DemoData, rolled: hierarchy.RolledScores, bands: BandPolicy, words: Catalogue
) -> list[str]:
    """How the demo's tree rolls up, and how the CSM's latest reads (not
    stale on the last date) compare with the bands."""
    tree = rolled.tree
    lines = [
        words.text(
            "cli.demo_tree",
            parents=words.number(int(np.unique(tree.parent[tree.parent >= 0]).size)),
            children=words.number(int(np.sum(tree.parent >= 0))),
            levels=words.number(tree.depth),
            method=hierarchy.policy_of(model).method,
        )
    ]
    latest: dict[str, CsmRead] = {}
    for r in data.reads:  # oldest first: the last read of an account is its latest
        read = CsmRead(account_id=r["account_id"], rating=r["rating"], author=r["author"], as_of=r["as_of"])
        if not read.is_stale(data.days[-1]):
            latest[read.account_id] = read
    row = {a: i for i, a in enumerate(data.ids)}
    latest = {a: read for a, read in latest.items() if a in row}  # a lost customer's read is history
    apart = sum(1 for a, read in latest.items() if csm_disagreement(read, bands, str(rolled.scores.band[row[a]])))
    lines.append(
        words.text("cli.demo_reads", reads=words.number(len(latest)), date=words.date(data.days[-1]), disagree=apart)
    )
    return lines


_Align = Literal["<", ">"]
_DEMO_COLUMNS: tuple[tuple[str, int, _Align], ...] = (
    ("account", 8, "<"),
    ("segment", 12, "<"),
    ("arr", 9, ">"),
    ("score", 6, ">"),
    ("band", 7, "<"),
    ("alert", 9, "<"),
)
"""The demo's ranking: catalogue key, least width and alignment of each column before the drivers."""


def _demo_ranking(order: Any, data: _DemoData, scored: BatchScores, words: Catalogue) -> list[str]:
    """The accounts at positions ``order`` (the riskiest still in the book),
    aligned by display width."""
    sep = words.text("cli.list_separator")
    rows = []
    by_id = dict(zip(data.ids, data.names, strict=False))  # a parent's child:<id> drivers read as the child's name
    for i in order.tolist():
        drivers = sep.join(
            f"{driver_label(str(names[i]), words, by_id)} -{words.number(float(lost[i]), 1)}"
            for names, lost in zip(scored.drivers, scored.points_lost, strict=True)
            if names[i]
        )
        rows.append(
            [
                data.ids[i],
                str(data.segment[i]),
                words.number(float(data.arr[i])),
                _fmt(scored.score[i], 1),
                words.band(str(scored.band[i])),
                words.alert(str(scored.alert[i])),
                drivers,
            ]
        )
    spec = _DEMO_COLUMNS
    head = [terminal_text(words.text(f"cli.col_{key}")) for key, _, _ in spec]
    widths = [
        max(base, display_width(head[j]), *(display_width(terminal_text(r[j])) for r in rows))
        for j, (_, base, _) in enumerate(spec)
    ]

    def line(cells: list[str]) -> str:
        first = " ".join(_cell(c, w, a) for c, w, (_, _, a) in zip(cells[:4], widths[:4], spec[:4], strict=True))
        second = " ".join(_cell(c, w, a) for c, w, (_, _, a) in zip(cells[4:6], widths[4:], spec[4:], strict=True))
        return f"  {first}  {second} {terminal_text(cells[6])}".rstrip()

    return [line([*head, words.text("cli.col_drivers")]), *map(line, rows)]


def _band_lines(summary: BandSummary, words: Catalogue) -> list[str]:
    """The band distribution: each band's accounts and share, best band first."""
    names = {name: terminal_text(words.band(name)) for name in summary.counts}
    no_score = terminal_text(words.text("cli.no_score"))
    width = max(display_width(n) for n in [*names.values(), no_score])
    lines = [
        f"  {pad(names[name], width)}  {count:>7}  {words.percent(summary.shares[name], 1):>6}"
        for name, count in summary.counts.items()
    ]
    if summary.unscored:
        lines.append(f"  {pad(no_score, width)}  {summary.unscored:>7}  {'':>6}  {words.text('cli.insufficient_data')}")
    lines.extend(f"  {words.text('cli.warning', text=words.phrase(w))}" for w in summary.warnings)
    return lines


def model_alert_names(model: AnyModel) -> tuple[str, ...]:
    """Alert level names of a model (the default model's for segmented ones)."""
    if isinstance(model, SegmentedModel):
        first = model.default or model.segments[0][1]
        return first.alerts.names
    return model.alerts.names


# --------------------------------------------------------------------------- entry point


def _exports_options(command: argparse.ArgumentParser, *, as_of_required: bool) -> None:
    command.add_argument(
        "--as-of", metavar="DATE", required=as_of_required, help="scoring date of exports: nothing after it is read"
    )
    command.add_argument(
        "--on-bad-rows",
        choices=["error", "report"],
        default="error",
        help="exports: stop at the first bad row (default), or set bad rows aside in OUT.rejected.csv and go on",
    )
    command.add_argument(
        "--memory-limit",
        metavar="SIZE",
        help="exports: the most memory the database of checked rows may hold (e.g. 2GB); past it, it spills "
        "to a temporary folder. Default: DuckDB's, 80%% of the machine's memory",
    )


def _sources_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--source",
        action="append",
        metavar="TOOL=PATH[,TOOL=PATH]",
        help="read a tool's own export (salesforce, hubspot, stripe, zendesk, intercom, amplitude, mixpanel, "
        "or tables: a folder of <table>.csv files); repeat it or separate with commas; EXPORTS, if given, "
        "is read as tables=EXPORTS (see docs/sources.md)",
    )
    command.add_argument(
        "--sources",
        metavar="FILE.toml",
        help="the tools' exports and their account mappings from a TOML file, one [tool] table each "
        "(see docs/sources.md)",
    )


def _settings_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--settings",
        metavar="FILE",
        help="exports: the signal settings (windows, advanced/key/workflow features, decays) from a .toml, .json "
        "or .yaml file, checked before any export is read; keys left out keep their defaults; "
        "'healthscore init-settings' writes them (see docs/signals.md)",
    )


_Subparsers = argparse._SubParsersAction  # the object ``add_subparsers`` returns; each command adds itself to it


def _history_options(command: argparse.ArgumentParser, formats: bool = True) -> None:
    command.add_argument("--history", required=True, metavar="FILE_OR_URL", help="SQLite file or postgresql:// URL")
    command.add_argument("--model-version", metavar="FINGERPRINT", help="one model version (default: the latest)")
    if formats:
        command.add_argument("--format", choices=["table", "csv", "json"], default="table")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="healthscore", description="Customer health scoring.")
    parser.add_argument("--version", action="version", version=f"healthscore {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_score_command(sub)
    _add_actions_command(sub)
    _add_history_command(sub)
    _add_override_command(sub)
    _add_csm_read_command(sub)
    _add_export_history_command(sub)
    _add_backtest_command(sub)
    _add_fit_command(sub)
    _add_signals_command(sub)
    _add_validate_model_command(sub)
    _add_init_model_command(sub)
    _add_init_settings_command(sub)
    _add_report_command(sub)
    _add_demo_command(sub)
    return parser


def _add_score_command(sub: _Subparsers[argparse.ArgumentParser]) -> None:
    score = sub.add_parser(
        "score",
        help="score the accounts of a CSV file or of a folder of raw exports",
        description=(
            "Score every account of INPUT.csv (an account_id column plus one column per metric; an empty "
            "cell is a missing value), or of raw exports as of --as-of (a folder, a glob such as "
            "'dump/*.parquet', or a DuckDB database file), and write account_id, "
            "score, band, alert, one column per dimension, coverage and the top drivers to OUT.csv. When the "
            "accounts have a parent_id column, parents are rolled up from their children by the model's roll-up "
            "policy (default: ARR-weighted mean of the arr column) and parent_id, level and own_score are written "
            "too (docs/hierarchies.md)."
        ),
    )
    score.add_argument("input", metavar="INPUT.csv|EXPORTS", nargs="?")
    score.add_argument("-o", "--output", required=True, metavar="OUT.csv", help="output file ('-' for stdout)")
    score.add_argument("--model", metavar="FILE", help="model file (.toml/.json/.yaml); default three_dimension")
    _exports_options(score, as_of_required=False)
    _sources_options(score)
    _settings_option(score)
    score.add_argument(
        "--history",
        metavar="FILE_OR_URL",
        help="also append this run as a snapshot (as of --as-of, default today) to a history store: a SQLite "
        "file or a postgresql:// URL; an 'arr' column (or the accounts export's) is kept for the action queue",
    )
    score.set_defaults(func=_cmd_score)


def _add_actions_command(sub: _Subparsers[argparse.ArgumentParser]) -> None:
    actions = sub.add_parser(
        "actions",
        help="whom to call first: the action queue from the score history",
        description=(
            "Print the accounts that need action, most urgent first (alert level, drop alerts, then the fall "
            "from the peak within the drop window, ARR at stake and score), each with its due date, reason, "
            "drivers and playbook. The table speaks --lang; CSV and JSON hold machine values (band and alert "
            "names as the model has them, ISO 8601 dates, plain numbers) in every language."
        ),
    )
    _history_options(actions)
    actions.add_argument("--as-of", metavar="DATE", help="the queue as it stood on DATE (default: latest snapshot)")
    actions.add_argument("--limit", type=int, metavar="N", help="only the N most urgent")
    _queue_options(actions)
    _drop_options(actions)
    _lang_option(actions, "the table's words, band and alert names, response, playbook, dates and numbers")
    actions.set_defaults(func=_cmd_actions)


def _drop_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--drop-points",
        default="20",
        metavar="POINTS",
        help="a drop alert fires on a fall of POINTS or more from the peak within the drop window (default 20)",
    )
    command.add_argument(
        "--drop-window",
        default="1m",
        metavar="1m|30d",
        help="the drop window: whole calendar months (1m: since the same day of the previous month, clamped to "
        "its month end) or days (30d); default 1m",
    )


def _days(text: str) -> float:
    """A number of days >= 0 (argparse's ``type`` for ``--stale-days``)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value >= 0:
        msg = f"must be a number of days >= 0, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _queue_options(command: argparse.ArgumentParser, *, defaults: bool = True) -> None:
    """``--rank-by`` and ``--stale-days``: the action queue's order and when a
    CSM read is stale; without ``defaults``, an option not given is ``None``
    (the library's default applies)."""
    command.add_argument(
        "--rank-by",
        choices=RANK_BY,
        default="urgency" if defaults else None,
        help="urgency (default), or disagreement: the fresh CSM reads furthest from their band first, and an "
        "account whose fresh read disagrees with its band joins the queue",
    )
    command.add_argument(
        "--stale-days",
        type=_days,
        default=CSM_STALE_DAYS if defaults else None,
        metavar="DAYS",
        help=f"a CSM read older than DAYS is shown as stale and not ranked on (default {CSM_STALE_DAYS})",
    )


def _lang_option(command: argparse.ArgumentParser, what: str) -> None:
    """``--lang``, checked by the command itself (one line, exit 2, before anything is read)."""
    command.add_argument("--lang", default="en", metavar="|".join(LANGUAGES), help=f"language of {what} (default en)")


def _add_history_command(sub: _Subparsers[argparse.ArgumentParser]) -> None:
    history = sub.add_parser("history", help="one account's score history")
    history.add_argument("account_id", metavar="ACCOUNT_ID")
    _history_options(history)
    history.set_defaults(func=_cmd_history)


def _add_override_command(sub: _Subparsers[argparse.ArgumentParser]) -> None:
    override = sub.add_parser(
        "override",
        help="set, list or revoke manual overrides of scores and bands",
        description=(
            "With ACCOUNT_ID: set a manual score and/or band until --expires, with --reason and --author; scoring "
            "runs keep the computed value beside it and never overwrite it. Without: list the active overrides "
            "(--all: every one). --revoke ID ends one early."
        ),
    )
    override.add_argument("account_id", metavar="ACCOUNT_ID", nargs="?")
    _history_options(override)
    override.add_argument("--score", type=float)
    override.add_argument("--band")
    override.add_argument("--reason")
    override.add_argument("--author")
    override.add_argument("--starts", metavar="DATE", help="first snapshot date it applies to (default today)")
    override.add_argument("--expires", metavar="DATE")
    override.add_argument("--all", action="store_true", help="list expired and revoked overrides too")
    override.add_argument("--revoke", metavar="OVERRIDE_ID")
    override.set_defaults(func=_cmd_override)


def _add_csm_read_command(sub: _Subparsers[argparse.ArgumentParser]) -> None:
    read = sub.add_parser(
        "csm-read",
        help="record or list the CSM's own reads of accounts (beside the score, never in it)",
        description=(
            "With --rating: record a CSM's read of --account (red, yellow, green or 1-5) with --author, --note "
            "and --as-of (default today). It changes no score: the history keeps it beside the computed score, "
            "the action queue and the dashboard show both and their disagreement. Without --rating: list the "
            "reads (--account: of one account; --as-of: up to that date; --latest: the latest per account)."
        ),
    )
    read.add_argument("--history", required=True, metavar="FILE_OR_URL", help="SQLite file or postgresql:// URL")
    read.add_argument("--account", metavar="ACCOUNT_ID")
    read.add_argument("--rating", metavar="red|yellow|green|1-5")
    read.add_argument("--author")
    read.add_argument("--note")
    read.add_argument("--as-of", metavar="DATE", help="the date the read holds for (default today); listing: up to")
    read.add_argument("--latest", action="store_true", help="list only the latest read of each account")
    read.add_argument("--format", choices=["table", "csv", "json"], default="table")
    read.set_defaults(func=_cmd_csm_read)


def _add_export_history_command(sub: _Subparsers[argparse.ArgumentParser]) -> None:
    export = sub.add_parser("export-history", help="write the score history to a CSV or Parquet file")
    _history_options(export, formats=False)
    export.add_argument("-o", "--output", required=True, metavar="FILE.csv|FILE.parquet")
    export.add_argument("--since", metavar="DATE")
    export.add_argument("--until", metavar="DATE")
    export.set_defaults(func=_cmd_export_history)


def _add_backtest_command(sub: _Subparsers[argparse.ArgumentParser]) -> None:
    check = sub.add_parser(
        "backtest",
        help="did the score see churn coming? AUC, churn per band, misses, lift and lead time",
        description=(
            "Pair scores known at past dates (a history store, or a CSV with account_id, as_of, score, band) "
            "with the churn that followed, point in time, and report per horizon: AUC, churn rate per band, "
            "missed churn (healthy, then churned), false alarms (at risk, then renewed), the riskiest "
            "decile's lift, and each churned account's lead time."
        ),
    )
    check.add_argument("--history", metavar="FILE_OR_URL", help="a history store (SQLite file or postgresql:// URL)")
    check.add_argument("--model-version", metavar="FINGERPRINT", help="with --history: one model version")
    check.add_argument("--scores", metavar="SCORES.csv", help="instead of --history: account_id, as_of, score, band")
    check.add_argument("--churn", required=True, metavar="CHURN.csv", help="account_id, churn_date")
    check.add_argument("--renewals", metavar="RENEWALS.csv", help="account_id, renewal_date")
    check.add_argument("--horizons", default="30,60,90", metavar="DAYS", help="default 30,60,90")
    check.add_argument("-o", "--report", metavar="REPORT.txt", help="text report (default stdout)")
    check.add_argument("--json", metavar="REPORT.json", help="also write the report's data as JSON")
    check.set_defaults(func=_cmd_backtest)


def _add_fit_command(sub: _Subparsers[argparse.ArgumentParser]) -> None:
    fit = sub.add_parser(
        "fit",
        help="fit a model to outcomes: a scorecard from raw columns, or new weights for a model",
        description=(
            "scorecard: build curves, weights and band thresholds from the raw columns of DATA.csv and its 0/1 "
            "outcome column. reweight: re-fit the metric and dimension weights of --model to the outcome, "
            "shrunk toward the current weights. Both write the model file and a report. With --renewals the "
            "outcome is each renewal won or lost, and the features are those known --lead-days before it (from "
            "--history, or DATA.csv of dated features), never later ones."
        ),
    )
    fit.add_argument("method", choices=["scorecard", "reweight"])
    fit.add_argument(
        "data", metavar="DATA.csv", nargs="?", help="raw columns; with --renewals: account_id, as_of, features"
    )
    fit.add_argument("--outcome", metavar="COLUMN", help="0/1 column, 1 = churned (or --renewals)")
    fit.add_argument(
        "--renewals", metavar="RENEWALS.csv", help="fit to renewals instead: account_id, renewal_date, renewed (1/0)"
    )
    fit.add_argument(
        "--lead-days", metavar="DAYS", help="with --renewals: features this long before each renewal (90; or 30,60,90)"
    )
    fit.add_argument(
        "--history", metavar="FILE_OR_URL", help="with --renewals: features from this history store's stored inputs"
    )
    fit.add_argument("-o", "--output", required=True, metavar="MODEL.toml", help="fitted model file")
    fit.add_argument("--report", metavar="REPORT.txt", help="text report (default stdout)")
    fit.add_argument(
        "--kind",
        action="append",
        metavar="COLUMN=KIND",
        help="scorecard: a column and its kind (none named: every column, its shape learned from the data)",
    )
    fit.add_argument("--kinds", metavar="KINDS.toml", help="scorecard: a TOML table column = kind")
    fit.add_argument("--dimension", action="append", metavar="COLUMN=DIMENSION", help="scorecard: group columns")
    fit.add_argument("--max-red-share", type=float, default=0.25, help="scorecard: largest share in red (0.25)")
    fit.add_argument("--name", default="scorecard", help="scorecard: the model's name")
    fit.add_argument(
        "--segment",
        metavar="COLUMN",
        help="scorecard: one model per value of this column, shrunk toward the pooled one where outcomes are few",
    )
    fit.add_argument("--model", metavar="MODEL.toml", help="reweight: the model to re-weight")
    fit.add_argument("--folds", type=int, default=5, help="reweight: folds of the cross-fitted AUCs (5)")
    fit.add_argument("--strength", type=float, default=1e-3, help="reweight: shrinkage toward current weights")
    fit.add_argument("--bootstrap", type=int, default=200, help="reweight: bootstrap samples for intervals")
    fit.set_defaults(func=_cmd_fit)


def _add_signals_command(sub: _Subparsers[argparse.ArgumentParser]) -> None:
    signals = sub.add_parser(
        "signals",
        help="turn a folder of raw exports into signals as of a date",
        description=(
            "Read EXPORTS (a folder with accounts.csv plus any of events, crm_activities, invoices, tickets, "
            "surveys, goals, value as .csv or .parquet, or <table>/ folders of part files; a glob such as "
            "'dump/*.parquet'; or a DuckDB database file holding those tables) and write one row of signals "
            "per account as of --as-of. "
            "With --sql, print the query that computes them instead, in a warehouse's or Spark's dialect "
            "(tables named as the exports; see docs/engines.md)."
        ),
    )
    signals.add_argument("input", metavar="EXPORTS", nargs="?")
    signals.add_argument("-o", "--output", metavar="SIGNALS.csv", help="output file ('-' for stdout)")
    signals.add_argument("--sql", action="store_true", help="print the signal query instead of computing it")
    signals.add_argument(
        "--dialect",
        choices=list(SQL_DIALECTS),
        default="duckdb",
        help="--sql: the SQL dialect (default duckdb); without --as-of the query uses the time it runs",
    )
    _exports_options(signals, as_of_required=False)
    _sources_options(signals)
    _settings_option(signals)
    signals.set_defaults(func=_cmd_signals)


def _add_validate_model_command(sub: _Subparsers[argparse.ArgumentParser]) -> None:
    validate = sub.add_parser("validate-model", help="check a model file and describe it")
    validate.add_argument("file", metavar="FILE")
    validate.set_defaults(func=_cmd_validate)


def _add_init_model_command(sub: _Subparsers[argparse.ArgumentParser]) -> None:
    init = sub.add_parser("init-model", help="write a preset model to a file to edit")
    init.add_argument("preset", choices=sorted(PRESETS))
    init.add_argument("-o", "--output", metavar="FILE", help="output file (default stdout)")
    init.add_argument("--format", choices=["toml", "json", "yaml"], help="default: from the suffix, else toml")
    init.add_argument("--force", action="store_true", help="replace FILE if it exists")
    init.set_defaults(func=_cmd_init)


def _add_init_settings_command(sub: _Subparsers[argparse.ArgumentParser]) -> None:
    init = sub.add_parser(
        "init-settings",
        help="write the default signal settings to a file to edit (for --settings)",
        description=(
            "Write every window, feature list and decay of the signals with its default value, as a TOML "
            "file with a comment on each key (JSON and YAML without comments); pass the edited file to "
            "'healthscore signals' or 'healthscore score' with --settings FILE."
        ),
    )
    init.add_argument("-o", "--output", metavar="FILE", help="output file (default stdout)")
    init.add_argument("--format", choices=["toml", "json", "yaml"], help="default: from the suffix, else toml")
    init.add_argument("--force", action="store_true", help="replace FILE if it exists")
    init.set_defaults(func=_cmd_init_settings)


def _add_report_command(sub: _Subparsers[argparse.ArgumentParser]) -> None:
    report = sub.add_parser(
        "report",
        help="the health dashboard: one offline HTML file from a score history or a scored CSV",
        description=(
            "Write one self-contained HTML file (no request of any kind when opened) with the account list, "
            "account pages, the action queue, portfolio trends and, with --churn, a backtest panel; from a "
            "score history (--history), or from a CSV written by 'healthscore score' (--scores: no trends). "
            "Needs Jinja2: pip install 'healthscore[report]'."
        ),
    )
    source = report.add_mutually_exclusive_group(required=True)
    source.add_argument("--history", metavar="FILE_OR_URL", help="a history store (SQLite file or postgresql:// URL)")
    source.add_argument("--scores", metavar="SCORED.csv", help="instead of --history: a CSV of 'healthscore score'")
    report.add_argument("--model-version", metavar="FINGERPRINT", help="with --history: one model version")
    report.add_argument(
        "--model", metavar="MODEL_FILE", help="with --scores: the model whose bands and playbooks apply"
    )
    report.add_argument("--as-of", metavar="DATE", help="the snapshot shown: the latest at or before DATE")
    report.add_argument("--churn", metavar="CHURN.csv", help="account_id, churn_date: adds the backtest panel")
    _queue_options(report, defaults=False)
    _drop_options(report)
    _lang_option(report, "the dashboard")
    report.add_argument("--title", metavar="TITLE", help="the page's title")
    report.add_argument("-o", "--output", required=True, metavar="DASHBOARD.html", help="output file ('-' for stdout)")
    report.set_defaults(func=_cmd_report)


def _add_demo_command(sub: _Subparsers[argparse.ArgumentParser]) -> None:
    demo = sub.add_parser(
        "demo",
        help="synthetic exports -> signals -> scores: the riskiest accounts and the band distribution",
        description=(
            f"Make a year of synthetic exports, score them as of each of its last {DEMO_WEEKS} weeks, print the "
            f"riskiest accounts and the band distribution, and write {DEMO_FOLDER}/history.db (the weekly "
            "snapshots), churn.csv (the synthetic churn) and dashboard.html beside it; files of an earlier demo "
            "are replaced, any other file is left alone (exit 2)."
        ),
    )
    demo.add_argument("--model", metavar="FILE", help="model file; default three_dimension")
    demo.add_argument("--top", type=int, default=15, help="how many accounts to list (default 15)")
    demo.add_argument("--accounts", type=int, default=300, help="synthetic accounts (default 300)")
    _lang_option(demo, "the demo's text and dashboard")
    demo.add_argument(
        "--dashboard",
        metavar="PATH",
        help=f"the dashboard file; the history and churn table go beside it (default {DEMO_FOLDER}/dashboard.html)",
    )
    demo.add_argument("--no-dashboard", action="store_true", help="write the history and churn table only")
    demo.set_defaults(func=_cmd_demo)


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run the command line; returns the exit status (0 done, 1 unexpected,
    2 bad input, 130 interrupted)."""
    out = sys.stdout if stdout is None else stdout
    err = sys.stderr if stderr is None else stderr
    args = _parser().parse_args(argv)
    try:
        command: _Command = args.func
        status = command(args, out, err)
    except HealthScoreError as exc:
        print(f"healthscore: error: {exc}", file=err)
        return 2
    except KeyboardInterrupt:
        print("healthscore: interrupted; outputs not yet written were left as they were", file=err)
        return 130
    return status


def run() -> NoReturn:
    """Console entry point: exit with :func:`main`'s status; quietly with
    status 141 when the reader of stdout goes away (``healthscore ... | head``)."""
    try:
        status = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader has gone: point stdout at devnull so the interpreter's own
        # flush at exit does not fail again, and exit as a SIGPIPE'd program does.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(141)
    sys.exit(status)
