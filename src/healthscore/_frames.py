"""The one data-frame layer: tables of any family in as NumPy columns, and
NumPy columns out as a table of a given family.

A *table* is a mapping of column -> array (NumPy arrays, lists, or another
array API library's arrays), a pandas DataFrame, a polars DataFrame or
LazyFrame, or a pyarrow Table (or RecordBatch). Mappings need nothing beyond
NumPy and are passed through untouched, so the array API path keeps its
device arrays. Data frames go through `narwhals <https://narwhals-dev.github.io/narwhals/>`_,
a dependency-free layer over pandas, polars and pyarrow: one code path, one
set of rules for dtypes and missing values, instead of one adapter per
library. narwhals is imported only when a data frame is met (``pip install
'healthscore[frames]'``); which library a frame belongs to is found through
``sys.modules``, so nothing is imported to look.

Reading rules, the same for every family:

* a numeric column (not boolean) comes as float64, NaN where missing (NaN,
  ``None``/null, pandas ``NA`` in ``Float64``/``Int64``, arrow nulls);
* a date or date-time column comes as ``datetime64`` in UTC, ``NaT`` where
  missing;
* anything else, and a numeric column asked for as a *label*, comes as an
  object array of Python values (``str``, ``bool``, ``int``...), ``None`` where
  missing; categorical/enum/dictionary columns come as their labels.

Writing: numbers and texts as the family's own dtypes; ``categories`` (band,
alert) as pandas ordered ``Categorical``, polars ``Enum`` or an arrow
dictionary holding every category; a pandas result can take the input's
index. narwhals ignores the pandas index by design, and cannot give a pyarrow
dictionary a fixed category list: those two steps use the native objects.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from typing import Any, Literal, TypeAlias

import numpy as np

from healthscore.exceptions import InputError

__all__ = ["Family", "Table", "as_columns", "column_names", "family_of", "id_text", "table_columns", "to_family"]

Family = Literal["mapping", "pandas", "polars", "polars-lazy", "arrow"]
"""The kinds of table accepted (and returned)."""

Table: TypeAlias = Any
"""A mapping of column -> array, or a pandas / polars / pyarrow data frame."""

_BACKENDS: dict[str, str] = {"pandas": "pandas", "polars": "polars", "polars-lazy": "polars", "arrow": "pyarrow"}
_EXTRA = {"pandas": "pandas", "polars": "polars", "polars-lazy": "polars", "arrow": "arrow"}


def id_text(value: Any) -> str:
    """An account id as text, the one way ids read from tables are compared:
    a whole number read as a float (``1001.0`` from a CSV column of numbers)
    is written ``1001``, as the history stores it; text is stripped.

    Examples:
        >>> id_text(1001.0), id_text(" acme "), id_text(7)
        ('1001', 'acme', '7')
    """
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def _module(name: str) -> Any:
    """A library's module if the caller has imported it, else ``None``."""
    return sys.modules.get(name)


def family_of(data: object) -> Family:
    """Which kind of table ``data`` is, without importing any library.

    Examples:
        >>> family_of({"nps": [10, 20]})
        'mapping'
    """
    pd = _module("pandas")
    if pd is not None and isinstance(data, pd.DataFrame):
        return "pandas"
    pl = _module("polars")
    if pl is not None:
        if isinstance(data, pl.LazyFrame):
            return "polars-lazy"
        if isinstance(data, pl.DataFrame):
            return "polars"
    pa = _module("pyarrow")
    if pa is not None and isinstance(data, (pa.Table, pa.RecordBatch)):
        return "arrow"
    if isinstance(data, Mapping):
        return "mapping"
    raise InputError(
        "data must be a mapping of column -> array, a pandas DataFrame, a polars DataFrame or "
        f"LazyFrame, or a pyarrow Table; got {type(data).__module__}.{type(data).__name__}{_engine_hint(data)}"
    )


def _engine_hint(data: object) -> str:
    """Where a Dask or Spark DataFrame is scored, for an error met elsewhere."""
    module = type(data).__module__.split(".")[0]
    if module in ("dask", "pyspark"):
        return " (a Dask or Spark DataFrame is scored where it lives by score_portfolio; see docs/engines.md)"
    return ""


def _narwhals(family: str) -> Any:
    """narwhals' stable API, or an error saying how to install it."""
    try:
        import narwhals.stable.v2 as nw  # noqa: PLC0415 -- optional extra, imported only for data frames
    except ImportError:
        raise InputError(
            f"reading or writing a {family} table needs narwhals: pip install 'healthscore[frames]' "
            f"(or pass a mapping of column -> NumPy array)"
        ) from None
    return nw


def _refuse_duplicate_columns(data: Any, family: Family) -> None:
    """A pandas frame or arrow table may repeat a column name, so which column
    is meant is unclear: an error naming the repeated names (polars refuses
    them itself)."""
    if family == "pandas":
        names = [str(n) for n in data.columns]
    elif family == "arrow":
        names = [str(n) for n in data.schema.names]
    else:
        return
    counted = Counter(names)
    repeated = sorted(n for n, k in counted.items() if k > 1)
    if repeated:
        counts = ", ".join(f"{n!r} ({counted[n]} times)" for n in repeated)
        raise InputError(
            f"the {family} table has duplicate column names: {counts}; each column name must be unique",
            column=repeated[0],
        )


def _frame(data: Any, family: Family) -> Any:
    """``data`` as a narwhals DataFrame or LazyFrame; duplicate column names
    are an error."""
    _refuse_duplicate_columns(data, family)
    nw = _narwhals(family)
    if family == "arrow" and not isinstance(data, _module("pyarrow").Table):
        data = _module("pyarrow").Table.from_batches([data])  # a RecordBatch: narwhals reads Tables
    return nw.from_native(data, eager_only=family != "polars-lazy")


def column_names(data: Table, family: Family | None = None) -> list[str]:
    """The column names of a table (a lazy frame is not collected).

    Examples:
        >>> column_names({"nps": [10], "arr": [5.0]})
        ['nps', 'arr']
    """
    family = family or family_of(data)
    if family == "mapping":
        return [str(k) for k in data]
    return [str(name) for name in _frame(data, family).columns]


def table_columns(
    data: Table,
    wanted: Iterable[str],
    *,
    labels: Collection[str] = frozenset(),
    whole: Collection[str] = frozenset(),
) -> dict[str, Any]:
    """The ``wanted`` columns that a table has, by the module's reading rules
    (``labels`` come as objects whatever their dtype, except a label also in
    ``whole`` held as integers without a missing value, which comes as int64:
    account ids); a column the table lacks is left out. A mapping's own arrays
    are returned as they are.

    Examples:
        >>> table_columns({"nps": [10, 20], "x": [1]}, ["nps", "arr"])
        {'nps': [10, 20]}
    """
    family = family_of(data)
    names = list(wanted)
    if family == "mapping":
        return {k: data[k] for k in names if k in data}
    frame = _frame(data, family)
    present = [n for n in names if n in set(frame.columns)]
    if family == "polars-lazy":  # collected once, only the columns asked for
        frame = frame.select(present).collect()
    nw = _narwhals(family)
    out = {}
    for name in present:
        series = frame.get_column(name)
        if name in whole and _is_int64(nw, series):
            out[name] = np.asarray(series.to_numpy(), dtype=np.int64)  # ids: ten times faster than Python ints
        else:
            out[name] = _to_numpy(nw, series, name in labels)
    return out


def _is_int64(nw: Any, series: Any) -> bool:
    """Whether a column holds integers that int64 keeps exactly, none missing."""
    dtype = series.dtype
    return bool(dtype.is_integer() and dtype != nw.UInt64 and series.null_count() == 0)


def as_columns(data: Table, wanted: Iterable[str], *, labels: Collection[str] = frozenset()) -> Mapping[str, Any]:
    """``data`` itself when it is a mapping, else its ``wanted`` columns as
    NumPy arrays (see :func:`table_columns`): the first step of every entry
    point that scores many accounts."""
    if isinstance(data, Mapping) and family_of(data) == "mapping":
        return data
    return table_columns(data, wanted, labels=labels)


def _to_numpy(nw: Any, series: Any, label: bool) -> Any:
    dtype = series.dtype
    if dtype.is_numeric() and not label:
        return np.asarray(series.to_numpy(), dtype=np.float64)  # nulls come as NaN in every backend
    if isinstance(dtype, (nw.Datetime, nw.Date)):
        values = series.to_numpy()  # datetime64, UTC for zoned columns, NaT for nulls
        return values if values.dtype.kind == "M" else np.asarray(values, dtype="datetime64[us]")
    if dtype.is_numeric():  # a label spelled as a number: keep ints as ints
        raw = series.to_list()
    else:
        raw = series.to_numpy()
    out = np.empty(len(raw), dtype=object)
    out[:] = raw
    missing = np.asarray(series.is_null().to_numpy(), dtype=np.bool_)
    if dtype.is_float():
        missing = missing | np.isnan(np.asarray(series.to_numpy(), dtype=np.float64))
    out[missing] = None  # also where a dictionary's null showed a category
    return out


def to_family(
    table: Mapping[str, Any],
    family: str,
    *,
    categories: Mapping[str, tuple[Any, tuple[str, ...]]] | None = None,
    like: Any = None,
) -> Any:
    """Columns (name -> NumPy array, in order) as a table of ``family``.

    Args:
        table: The columns; object arrays hold texts with ``None`` for missing.
        family: ``"mapping"`` (the columns as they are), ``"pandas"``,
            ``"polars"``, ``"polars-lazy"`` (a polars LazyFrame over the
            computed result) or ``"arrow"``.
        categories: Column of ``table`` -> (codes, names): that column becomes
            categorical, built from integer codes (``-1`` for missing) and
            every category name in order.
        like: A pandas frame whose index a pandas result takes.

    Examples:
        >>> to_family({"a": np.array([1.0])}, "mapping")["a"].tolist()
        [1.0]
    """
    if family == "mapping":
        return dict(table)
    if family not in _BACKENDS:
        raise InputError(f"family must be one of mapping, pandas, polars, polars-lazy, arrow; got {family!r}")
    nw = _narwhals(family)
    backend = _BACKENDS[family]
    try:
        native_namespace = nw.Implementation.from_backend(backend).to_native_namespace()
    except ModuleNotFoundError:
        raise InputError(f"a {family} result needs {backend}: pip install 'healthscore[{_EXTRA[family]}]'") from None
    columns = dict(table)
    enums = []
    for name, (codes, names) in (categories or {}).items():
        if family == "arrow":  # narwhals has no pyarrow Enum: a dictionary of every category
            code = np.asarray(codes, dtype=np.int8)
            indices = native_namespace.array(code, mask=code < 0)
            columns[name] = native_namespace.DictionaryArray.from_arrays(indices, native_namespace.array(list(names)))
        elif family == "pandas":  # straight from the codes: 3x faster than casting a million labels
            columns[name] = native_namespace.Categorical.from_codes(
                np.asarray(codes, dtype=np.int64), categories=list(names), ordered=True
            )
        else:  # polars: the categories gathered by code, 2x faster than casting labels
            code = native_namespace.Series(name, np.asarray(codes, dtype=np.int32))
            code = native_namespace.select(native_namespace.when(code >= 0).then(code)).to_series()
            values = native_namespace.Series(name, list(names), dtype=native_namespace.Enum(list(names)))
            enums.append(nw.from_native(values.gather(code).alias(name), series_only=True))
    frame = nw.from_dict(columns, backend=backend)
    if enums:  # from_dict would cast them back to text: replaced in place
        frame = frame.with_columns(enums)
    if family == "polars-lazy":
        return frame.lazy().to_native()
    native = frame.to_native()
    if family == "pandas" and like is not None:  # narwhals leaves the index alone by design
        native = native.set_axis(like.index)
    return native
