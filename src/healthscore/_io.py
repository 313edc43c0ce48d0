"""File helpers shared by the config, exports and command-line modules: the one
CSV reader and an atomic file writer.

:func:`read_csv` is the only place healthscore reads CSV text. Its rules:

* Every cell is text: nothing is converted, no type is guessed. Turning text
  into numbers is the job of one number parser (``exports._numbers``).
* An empty cell is the only missing value, read as ``""``. The texts other
  tools write for "missing" (``nan``, ``NaN``, ``NA``, ``N/A``, ``null``,
  ``None``, ... see :data:`NULL_TEXTS`) are read as the text they are; the
  number parser rejects them, and :func:`null_hint` tells the user to leave the
  cell empty instead.
* The dialect is RFC 4180: comma-separated, fields quoted with ``"`` (a quote
  inside a quoted field is written twice) may hold commas, quotes and line
  breaks. A quote that opens a field must close it, followed by a comma or the
  end of the line; a quote inside an unquoted field is an ordinary character.
* The file is UTF-8; a byte-order mark is skipped. Lines end in ``\\n``,
  ``\\r\\n`` or ``\\r``. Blank lines are skipped (``csv.writer`` writes a row
  holding one empty cell as ``""``, never as a blank line).
* The first record is the header. Its names are stripped of surrounding
  blanks; an empty or repeated name is an error. Every other record must have
  exactly as many cells as the header.
* Line numbers are physical lines as an editor shows them (the first line is
  1): a record whose quoted cell holds a line break spans several lines, and a
  record is named by the line it starts on.

Two engines read by these rules. ``"pyarrow"`` (used by ``"auto"`` when
pyarrow is installed) parses with ``pyarrow.csv`` on several threads, every
column typed as a string so that nothing is inferred; ``"python"`` uses the
standard library's :mod:`csv` module and is the reference. Any file the fast
engine cannot read as the reference would -- a ragged row, bad UTF-8, unusual
quoting -- is read again by the reference engine, so both engines return the
same tables and raise the same errors.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import sys
import tempfile
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

import attrs
import numpy as np
import numpy.typing as npt

from healthscore.exceptions import InputError

Engine = Literal["auto", "pyarrow", "python"]
"""Which CSV engine to use: pyarrow when installed (``"auto"``), or the standard library."""

NULL_TEXTS = frozenset({"nan", "-nan", "+nan", "na", "n/a", "#n/a", "null", "none", "nil", "missing", "-"})
"""Lower-cased texts other tools write for a missing value. healthscore reads
them as text: in a number column they are an error that asks for an empty cell."""

_BOM = b"\xef\xbb\xbf"
_LF, _CR, _QUOTE, _COMMA = 10, 13, 34, 44
_SURROGATE = re.compile("[\udc80-\udcff]")


@attrs.frozen(kw_only=True, eq=False)
class CsvTable:
    """A CSV file read as text.

    Attributes:
        source: The file name used in messages.
        columns: Header name -> the column's cells as a str array (``""`` for
            an empty cell), in file order.
        lines: For each row, the physical line of the file it starts on.
        header_line: The line of the header.
    """

    source: str
    columns: dict[str, npt.NDArray[np.str_]]
    lines: npt.NDArray[np.int64]
    header_line: int = 1

    def __len__(self) -> int:
        return int(self.lines.shape[0])


def read_csv(path: str | os.PathLike[str], *, engine: Engine = "auto") -> CsvTable:
    """Read a CSV file as text columns, by the rules of this module.

    Args:
        path: The file.
        engine: ``"auto"`` (pyarrow when installed, else the standard library),
            ``"pyarrow"`` or ``"python"``.

    Raises:
        InputError: An unreadable or empty file, text that is not UTF-8, bad
            quoting, an empty or repeated header name, or a row whose number of
            cells differs from the header's; the message names the file and
            the line (and the column and value where there is one).

    Examples:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
        >>> _ = path.write_bytes(b'id,note\\r\\na,"two\\nlines"\\r\\nb,nan\\r\\n')
        >>> table = read_csv(path)
        >>> table.columns["note"].tolist(), table.lines.tolist()
        (['two\\nlines', 'nan'], [2, 4])
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file: {exc.strerror or exc}") from exc
    return parse_csv(data, source=str(path), engine=engine)


def parse_csv(data: bytes, *, source: str, engine: Engine = "auto") -> CsvTable:
    """:func:`read_csv` on bytes already in memory; ``source`` names them in messages."""
    if engine not in ("auto", "pyarrow", "python"):
        raise InputError(f"engine must be 'auto', 'pyarrow' or 'python', got {engine!r}")
    body = data[len(_BOM) :] if data.startswith(_BOM) else data
    if b"\x00" in body:
        raise _nul_error(body, source)
    if engine == "auto":
        engine = "pyarrow" if _has_pyarrow() else "python"
    if engine == "pyarrow":
        table = _read_pyarrow(body, source)
        if table is not None:
            return table
    return _read_python(body, source)


def null_hint(cell: str) -> str:
    """`` (leave the cell empty for a missing value)`` when ``cell`` is one of
    :data:`NULL_TEXTS`, else ``""``: the hint for an error about that cell.

    Examples:
        >>> null_hint(" NaN "), null_hint("abc")
        (' (leave the cell empty for a missing value)', '')
    """
    return " (leave the cell empty for a missing value)" if cell.strip().lower() in NULL_TEXTS else ""


def _has_pyarrow() -> bool:
    if "pyarrow" in sys.modules:
        return True
    from importlib.util import find_spec  # noqa: PLC0415 -- only when a CSV file is read

    return find_spec("pyarrow") is not None


# --------------------------------------------------------------------------- header and rows, both engines


def _header(cells: list[str], source: str, line: int) -> list[str]:
    names = [c.strip() for c in cells]
    for j, name in enumerate(names):
        if not name:
            raise InputError(
                f"{source} line {line}: header cell {j + 1} is empty; every column needs a name", row=line, value=""
            )
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(
            f"{source} line {line}: the header repeats column(s) {', '.join(map(repr, dupes))}",
            column=dupes[0],
            row=line,
            value=dupes[0],
        )
    return names


def _ragged(source: str, line: int, expected: int, got: int) -> InputError:
    return InputError(f"{source} line {line}: expected {expected} cells like the header, got {got}", row=line)


def _empty(source: str) -> InputError:
    return InputError(f"{source}: the file is empty; expected a header line")


# --------------------------------------------------------------------------- reference engine: the csv module


def _nul_error(body: bytes, source: str) -> InputError:
    """A NUL byte: no text cell can hold one (NumPy and Arrow strings end at
    it, so the rest of the cell would be lost), and a file full of them is
    UTF-16, not UTF-8."""
    at = body.index(b"\x00")
    line = body.count(b"\n", 0, at) + 1
    if body.count(b"\x00") * 4 > len(body):
        return InputError(
            f"{source}: the file is UTF-16 text, not UTF-8 (NUL bytes from line {line}); save it as UTF-8"
        )
    start = body.rfind(b"\n", 0, at) + 1
    before = body[start:at].decode("utf-8", "replace")
    return InputError(
        f"{source} line {line}: a NUL character (\\x00) after {before[-20:]!r}; no text cell can hold one "
        "(the rest of the cell would be lost): remove it from the file",
        row=line,
        value=before[-20:] + "\x00",
    )


def _read_python(body: bytes, source: str) -> CsvTable:
    try:
        text = body.decode("utf-8")
        clean = True
    except UnicodeDecodeError:
        text = body.decode("utf-8", "surrogateescape")  # read on, to name the line and column
        clean = False
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    names: list[str] | None = None
    header_line = 0
    rows: list[list[str]] = []
    lines: list[int] = []
    start = 1
    try:
        for row in reader:
            line, start = start, reader.line_num + 1
            if not row:  # a blank line
                continue
            if not clean:
                _check_utf8(row, names, source, line)
            if names is None:
                names, header_line = _header(row, source, line), line
            elif len(row) != len(names):
                raise _ragged(source, line, len(names), len(row))
            else:
                rows.append(row)
                lines.append(line)
    except csv.Error as exc:
        raise InputError(
            f"{source} line {start}: not valid CSV ({exc}); a quoted cell ends with a quote followed by a comma "
            'or the end of the line, and a quote inside it is written twice ("")',
            row=start,
        ) from None
    if names is None:
        raise _empty(source)
    columns = (
        {n: np.array(c, dtype=str) for n, c in zip(names, zip(*rows, strict=True), strict=True)}
        if rows
        else {n: np.empty(0, dtype=str) for n in names}
    )
    return CsvTable(source=source, columns=columns, lines=np.array(lines, dtype=np.int64), header_line=header_line)


def _check_utf8(row: list[str], names: list[str] | None, source: str, line: int) -> None:
    for j, cell in enumerate(row):
        if _SURROGATE.search(cell):
            raw = cell.encode("utf-8", "surrogateescape")
            where = "the header" if names is None else f"column {names[j]!r}" if j < len(names) else f"cell {j + 1}"
            raise InputError(
                f"{source} line {line}, {where}: not UTF-8 text: {raw!r}; save the file as UTF-8",
                column=None if names is None or j >= len(names) else names[j],
                row=line,
                value=raw,
            )


# --------------------------------------------------------------------------- fast engine: pyarrow.csv


def _read_pyarrow(body: bytes, source: str) -> CsvTable | None:
    """The table, or None where the reference engine must decide (it also
    raises every error, so that the messages are the same)."""
    import pyarrow as pa  # noqa: PLC0415 -- optional extra, imported only to read CSV fast
    import pyarrow.csv as pcsv  # noqa: PLC0415 -- optional extra, imported only to read CSV fast

    records = _records(body)
    if records is None or records[0].size == 0:
        return None
    starts, ends, lines = records
    try:
        cells = next(csv.reader([body[starts[0] : ends[0]].decode("utf-8")], strict=True))
    except (UnicodeDecodeError, csv.Error):
        return None
    names = _header(cells, source, int(lines[0]))
    if starts.size == 1:
        return CsvTable(
            source=source,
            columns={n: np.empty(0, dtype=str) for n in names},
            lines=np.empty(0, dtype=np.int64),
            header_line=int(lines[0]),
        )
    generic = [f"f{j}" for j in range(len(names))]  # any header text, repeated or not, is fine to pyarrow
    try:
        table = pcsv.read_csv(
            pa.py_buffer(body)[int(starts[1]) :],
            read_options=pcsv.ReadOptions(column_names=generic),
            parse_options=pcsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=True),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(generic, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowException, ValueError):
        return None
    if table.num_rows != starts.size - 1:
        return None
    columns = {n: _to_str_array(table.column(g)) for n, g in zip(names, generic, strict=True)}
    return CsvTable(source=source, columns=columns, lines=lines[1:], header_line=int(lines[0]))


def _records(body: bytes) -> tuple[Any, Any, Any] | None:
    """Start and end offsets and first lines of the non-blank records, found
    without parsing; None where the quoting is not plain RFC 4180 (the
    reference engine then reads the file)."""
    b = np.frombuffer(body, dtype=np.uint8)
    n = b.size
    if n == 0:
        return None
    breaks = np.flatnonzero(b == _LF)
    cr = np.flatnonzero(b == _CR)
    if cr.size:  # a CR not followed by LF ends a line too
        lone = cr[b[np.minimum(cr + 1, n - 1)] != _LF]  # (a CR as the last byte reads itself: lone)
        if lone.size:
            breaks = np.union1d(breaks, lone)
    quotes = np.flatnonzero(b == _QUOTE)
    if quotes.size:
        if quotes.size % 2:
            return None
        opening, closing = quotes[0::2], quotes[1::2]
        before = b[np.maximum(opening - 1, 0)]
        ok_before = (opening == 0) | np.isin(before, [_COMMA, _LF, _CR, _QUOTE])
        after = b[np.minimum(closing + 1, n - 1)]
        ok_after = (closing == n - 1) | np.isin(after, [_COMMA, _LF, _CR, _QUOTE])
        if not (ok_before.all() and ok_after.all()):
            return None
        outside = np.searchsorted(quotes, breaks) % 2 == 0  # an even number of quotes before: not in a cell
        ends_at = np.flatnonzero(outside)  # index into breaks of each record end
    else:
        ends_at = np.arange(breaks.size)
    end_pos = breaks[ends_at]
    starts = np.concatenate([[0], end_pos + 1])
    ends = np.concatenate([end_pos, [n]])
    first_line = np.concatenate([[1], ends_at + 2])  # the line after the break that ends the record before
    crlf = (ends > starts) & (b[np.maximum(ends - 1, 0)] == _CR) & (ends < n)
    ends = ends - crlf
    keep = ends > starts  # blank lines hold nothing
    return starts[keep], ends[keep], first_line[keep].astype(np.int64)


def _to_str_array(column: Any) -> npt.NDArray[np.str_]:
    """A pyarrow string column as a NumPy str array, built from its buffers
    when the text is ASCII (most exports), else through Python strings."""
    import pyarrow as pa  # noqa: PLC0415 -- optional extra

    if column.num_chunks == 0:
        return np.empty(0, dtype=str)
    try:
        chunks = [column.combine_chunks()]
    except pa.ArrowException:  # more text than 32-bit offsets reach: chunk by chunk
        chunks = column.chunks
    parts = [_chunk_to_str(chunk, pa) for chunk in chunks]
    if len(parts) == 1:
        return parts[0]
    width = max(p.dtype.itemsize for p in parts) // 4
    return np.concatenate([p.astype(f"<U{width}") for p in parts])


def _chunk_to_str(chunk: Any, pa: Any) -> npt.NDArray[np.str_]:
    n = len(chunk)
    _, offsets_buf, data_buf = chunk.buffers()
    if n == 0 or data_buf is None:
        return np.zeros(n, dtype="<U1")
    large = pa.types.is_large_string(chunk.type)
    offsets = np.frombuffer(offsets_buf, dtype=np.int64 if large else np.int32)[chunk.offset : chunk.offset + n + 1]
    data = np.frombuffer(data_buf, dtype=np.uint8)[offsets[0] : offsets[-1]]
    if data.size and data.max() >= 0x80:  # not ASCII: let Python decode it
        return np.asarray(chunk.to_numpy(zero_copy_only=False), dtype=str)
    lengths = np.diff(offsets).astype(np.intp)
    width = int(lengths.max())
    if width == 0:
        return np.zeros(n, dtype="<U1")
    if bool((lengths == width).all()):  # fixed-width cells: ids, dates
        return data.reshape(n, width).astype(np.uint32).view(f"<U{width}").reshape(n)
    out = np.zeros(n * width, dtype=np.uint32)
    shift = np.arange(0, n * width, width, dtype=np.intp) - (offsets[:-1] - offsets[0])
    out[np.arange(data.size, dtype=np.intp) + np.repeat(shift, lengths)] = data
    return out.view(f"<U{width}")


# --------------------------------------------------------------------------- output safety: CSV and terminal text

FORMULA_START = frozenset("=+-@\t\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP,
"CSV Injection"): ``=``, ``+``, ``-``, ``@``, tab and carriage return."""


def spreadsheet_text(cell: str) -> str:
    """``cell`` with a ``'`` put in front when it starts with one of
    :data:`FORMULA_START`, so that a spreadsheet shows it as text instead of
    running it; any other text is returned as it is.

    Examples:
        >>> spreadsheet_text("=1+1"), spreadsheet_text("-5abc"), spreadsheet_text("A-1")
        ("'=1+1", "'-5abc", 'A-1')
    """
    return "'" + cell if cell[:1] in FORMULA_START else cell


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]], *, numbers: Collection[str] = ()) -> str:
    """The one CSV writer: ``header`` and ``rows`` as RFC 4180 text, safe to open
    in a spreadsheet.

    Which cells are text is decided by column: the columns named in
    ``numbers`` hold numbers the package formatted (a ``str`` such as
    ``"-25.2"``, an ``int`` or a ``float``; ``None`` or ``""`` when missing)
    and are written as they are. Every other cell, and every header name, is
    text and goes through :func:`spreadsheet_text` (``None`` is an empty cell).
    Cells holding a comma, a quote, a line feed or a carriage return are quoted,
    a quote inside doubled; lines end in ``\\n``.

    Raises:
        ValueError: ``numbers`` names a column that is not in ``header``.

    Examples:
        >>> print(csv_text(["account_id", "change"], [["=1+1", "-25.2"], ["-5abc", ""]], numbers=["change"]), end="")
        account_id,change
        '=1+1,-25.2
        '-5abc,
    """
    names = list(header)
    unknown = set(numbers) - set(names)
    if unknown:
        raise ValueError(f"numbers names columns not in the header: {sorted(unknown)}")
    table: list[Sequence[Any]] = rows if isinstance(rows, list) else list(rows)
    text_at = [j for j, name in enumerate(names) if name not in numbers]
    has_cr = any("\r" in name for name in names)
    copied: dict[int, list[Any]] = {}  # row index -> the row with its cells neutralised
    for j in text_at:  # a whole column at a time: most columns need nothing
        column = [row[j] or "" for row in table]
        joined = "\n".join(column)
        has_cr = has_cr or "\r" in joined
        if joined[:1] in FORMULA_START or any(f"\n{c}" in joined for c in FORMULA_START):
            for i in [i for i, cell in enumerate(column) if cell[:1] in FORMULA_START]:
                copied.setdefault(i, list(table[i]))[j] = "'" + column[i]
    if copied:
        table = list(table)  # the caller's rows are left as they are
        for i, fixed in copied.items():
            table[i] = fixed
    head = [spreadsheet_text(name) for name in names]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if not has_cr:
        writer.writerow(head)
        writer.writerows(table)
        return buffer.getvalue()
    # The csv module quotes a carriage return inside a cell only when CR ends its
    # lines: such rows are written that way, then given the line end of the rest.
    crlf = csv.writer(scratch := io.StringIO(), lineterminator="\r\n")
    lines: list[tuple[Sequence[Any], Sequence[int]]] = [(head, range(len(names))), *((r, text_at) for r in table)]
    for cells, at in lines:
        if any("\r" in (cells[j] or "") for j in at):
            scratch.seek(0)
            scratch.truncate()
            crlf.writerow(cells)
            buffer.write(scratch.getvalue()[:-2] + "\n")
        else:
            writer.writerow(cells)
    return buffer.getvalue()


_ESCAPED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})  # controls, format characters, lone surrogates, line breaks
_WIDE = frozenset({"W", "F"})


def terminal_text(text: str) -> str:
    """``text`` with every control character (Unicode categories Cc, Cf, Cs,
    Zl, Zp: line breaks, tabs, ANSI escapes, bidirectional overrides, zero-width
    characters) written as a visible escape: ``\\n``, ``\\t``, ``\\r``,
    else ``\\xNN``, ``\\uNNNN`` or ``\\UNNNNNNNN``. Other text, a
    backslash included, is shown as it is.

    Examples:
        >>> print(terminal_text("A1\\x1b[31m\\nred\\u202e"))
        A1\\x1b[31m\\nred\\u202e
    """
    if text.isprintable():
        return text
    return "".join(_escape(c) if unicodedata.category(c) in _HIDDEN else c for c in text)


def _escape(char: str) -> str:
    if char in _ESCAPED:
        return _ESCAPED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def display_width(text: str) -> int:
    """The columns ``text`` takes in a terminal: 2 for each East Asian Wide or
    Fullwidth character (:func:`unicodedata.east_asian_width` ``W`` or ``F``),
    0 for a combining mark, 1 for any other character.

    Examples:
        >>> display_width("A1"), display_width("株式会社"), display_width("カ\\u3099")
        (2, 8, 2)
    """
    if text.isascii():
        return len(text)
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in _WIDE else 1 for c in text)


def pad(text: str, width: int, align: Literal["<", ">"] = "<") -> str:
    """``text`` padded with spaces to ``width`` terminal columns (see
    :func:`display_width`), on the right (``"<"``) or on the left (``">"``).

    Examples:
        >>> pad("東京", 6) + "|", pad("7", 3, ">") + "|"
        ('東京  |', '  7|')
    """
    fill = " " * max(width - display_width(text), 0)
    return text + fill if align == "<" else fill + text


# --------------------------------------------------------------------------- writing


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one,
    never half of it: write a temporary file beside it, flush it, then rename.

    Raises:
        InputError: ``path`` is empty or a folder, its folder is missing or not
            writable, or the write fails; the message names the path and why.
    """
    if os.fspath(path) == "":
        raise InputError("cannot write to an empty path: give a file name", column="path", value="")
    target = Path(path)
    if target.is_dir():
        raise InputError(f"cannot write {target}: it is a folder, not a file", column="path", value=str(target))
    if not target.parent.is_dir():
        msg = f"cannot write {target}: the folder {target.parent} does not exist"
        raise InputError(msg, column="path", value=str(target))
    try:
        mode = target.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        msg = f"cannot write {target}: {exc.strerror or exc} (in the folder {target.parent})"
        raise InputError(msg, column="path", value=str(target)) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            msg = f"cannot write {target}: {exc.strerror or exc}"
            raise InputError(msg, column="path", value=str(target)) from None
        raise
