"""Score a whole portfolio from any data frame or array library.

:func:`score_portfolio` takes the accounts as a mapping of column -> array, a
pandas DataFrame, a polars DataFrame or LazyFrame, or a pyarrow Table, and
returns the results in the same family: pandas in, pandas out; polars in,
polars out (lazy stays lazy); arrow in, arrow out; a mapping in, a mapping of
arrays out. None of those libraries is imported unless the data is one of
theirs.

Missing values from every family -- NaN, ``None``/null, pandas ``NA``, arrow
nulls -- are missing metrics under the model's missing-data policy. A column
that is absent, or that holds text where a metric needs numbers, is an error
naming the column (and the row).

Examples:
    >>> from healthscore import presets, score_portfolio
    >>> out = score_portfolio(presets.dear(), {
    ...     "account_id": ["a", "b"], "deployment": [0.9, 0.2], "outcome_achievement": [1.0, None],
    ... }, missing_columns="missing")
    >>> out["account_id"].tolist(), out["band"].tolist()
    (['a', 'b'], ['green', 'red'])
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np

from healthscore._engine import Precision
from healthscore.exceptions import InputError
from healthscore.model import BatchScores, HealthModel, SegmentedModel
from healthscore.scorers import input_kind

__all__ = ["Family", "column_names", "family_of", "score_portfolio", "table_columns", "to_family"]

Family = Literal["mapping", "pandas", "polars", "polars-lazy", "arrow"]
"""The kinds of input :func:`score_portfolio` accepts (and returns)."""


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
        f"LazyFrame, or a pyarrow Table; got {type(data).__module__}.{type(data).__name__}"
    )


def _wanted(model: HealthModel | SegmentedModel, id_column: str | None) -> list[str]:
    names = list(model.metric_names)
    if isinstance(model, SegmentedModel):
        names.append(model.segment_column)
    if id_column is not None:
        names.append(id_column)
    return names


def _label_metrics(model: HealthModel | SegmentedModel) -> set[str]:
    models = [m for _, m in model.segments] if isinstance(model, SegmentedModel) else [model]
    if isinstance(model, SegmentedModel) and model.default is not None:
        models.append(model.default)
    return {name for m in models for name, metric in m.metrics.items() if input_kind(metric.scorer) != "numeric"}


def column_names(data: Any, family: Family) -> list[str]:
    """The column names of a table of ``family`` (a lazy frame is not collected)."""
    if family == "mapping":
        return [str(k) for k in data]
    if family == "pandas":
        return [str(k) for k in data.columns]
    if family == "polars-lazy":
        return list(data.collect_schema().names())
    if family == "polars":
        return list(data.columns)
    return list(data.schema.names)


def _columns(data: Any, family: Family, wanted: list[str], labels: set[str]) -> dict[str, Any]:
    """The wanted columns that ``data`` has, as NumPy arrays (or the caller's
    array-API arrays, for a mapping): numbers as float64 with NaN for missing,
    anything else as objects with ``None`` for missing."""
    if family == "mapping":
        return {k: data[k] for k in wanted if k in data}
    if family == "pandas":
        pd = _module("pandas")
        out: dict[str, Any] = {}
        for name in wanted:
            if name not in data.columns:
                continue
            series = data[name]
            numeric = pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)
            if numeric and name not in labels:
                out[name] = series.to_numpy(dtype=np.float64, na_value=np.nan)
            else:
                values = series.astype(object).where(series.notna(), None)
                out[name] = values.to_numpy(dtype=object)
        return out
    if family in ("polars", "polars-lazy"):
        frame = data
        if family == "polars-lazy":
            present = [n for n in wanted if n in data.collect_schema().names()]
            frame = data.select(present).collect()
        return {name: frame.get_column(name).to_numpy() for name in wanted if name in frame.columns}
    table = data
    names = set(table.schema.names)
    return {name: table.column(name).to_numpy(zero_copy_only=False) for name in wanted if name in names}


def table_columns(data: Any, wanted: list[str], *, labels: set[str] | frozenset[str] = frozenset()) -> dict[str, Any]:
    """The ``wanted`` columns that a table of any family has, as NumPy arrays
    (numbers float64 with NaN for missing; ``labels`` and other non-numbers as
    objects with ``None``). A column the table lacks is left out.

    Examples:
        >>> table_columns({"nps": [10, 20], "x": [1]}, ["nps", "arr"])
        {'nps': [10, 20]}
    """
    family = family_of(data)
    if family == "mapping":
        return {k: data[k] for k in wanted if k in data}
    return _columns(data, family, wanted, set(labels))


def _check_ids(ids: Any, id_column: str) -> None:
    values = np.asarray(ids, dtype=object)
    if values.size == 0:
        return
    keys = np.array([str(v) for v in values.tolist()], dtype=object)
    uniques, counts = np.unique(keys, return_counts=True)
    if (counts > 1).any():
        dup = int(np.flatnonzero(counts > 1)[0])
        rows = np.flatnonzero(keys == uniques[dup])
        raise InputError(
            f"column {id_column!r}: duplicate account id {uniques[dup]!r} in rows {rows[0]} and {rows[1]}",
            column=id_column,
            row=int(rows[1]),
            value=uniques[dup],
        )


def score_portfolio(
    model: HealthModel | SegmentedModel,
    data: Any,
    *,
    id_column: str | None = "account_id",
    metric_scores: bool = False,
    drivers: int = 0,
    missing_columns: Literal["error", "missing"] = "error",
    dimensions: bool = True,
    threads: int | None = None,
    precision: Precision | None = None,
) -> Any:
    """Score every account of ``data`` and return the results in its family.

    Args:
        model: The model (or segmented model) to score with.
        data: The accounts: a mapping of column -> array (NumPy, lists, or
            another array API library's arrays), a pandas DataFrame, a polars
            DataFrame or LazyFrame, or a pyarrow Table.
        id_column: Column with the account ids, copied to the output first (it
            is optional: a table without it is scored all the same; duplicate
            ids are an error). ``None`` to ignore ids.
        metric_scores: Also output ``<metric>_score`` per metric.
        drivers: Also output the names (and points lost) of this many top
            drivers per account.
        missing_columns: ``"error"`` raises when a metric's column is absent;
            ``"missing"`` scores it as missing everywhere.
        dimensions: Output one column per dimension (default).
        threads: CPU threads (default: automatic).
        precision: ``"float64"`` (default) or ``"float32"``.

    Returns:
        The input's family with columns: the id, ``segment`` and ``model`` for
        segmented models, ``score``, ``band``, ``alert``, one per dimension,
        ``coverage``, ``status``, then metric scores and drivers when asked for.
        Bands and alerts are categorical in pandas, polars (Enum) and arrow
        (dictionary); a pandas result keeps the input's index.
    """
    family = family_of(data)
    wanted = _wanted(model, id_column)
    columns = _columns(data, family, wanted, _label_metrics(model))
    ids = columns.pop(id_column, None) if id_column is not None else None
    if ids is not None:
        _check_ids(ids, id_column or "")
    kwargs: dict[str, Any] = {
        "metric_scores": metric_scores,
        "drivers": drivers,
        "missing_columns": missing_columns,
    }
    if isinstance(model, HealthModel):
        kwargs.update(dimensions=dimensions, threads=threads, precision=precision)
    scored = model.score_batch(columns, **kwargs)
    return _output(scored, family, data, id_column, ids)


def to_family(table: dict[str, Any], family: str) -> Any:
    """A mapping of column -> NumPy array as a table of ``family``
    (``"mapping"``, ``"pandas"``, ``"polars"``, ``"arrow"``); the library is
    imported only then.

    Examples:
        >>> to_family({"a": np.array([1.0])}, "mapping")["a"].tolist()
        [1.0]
    """
    if family == "mapping":
        return table
    plain = {
        k: (v.tolist() if getattr(v, "dtype", None) is not None and v.dtype == object else v) for k, v in table.items()
    }
    if family == "pandas":
        import pandas as pd  # noqa: PLC0415 -- optional extra, imported only when asked for

        return pd.DataFrame(table)
    if family in ("polars", "polars-lazy"):
        import polars as pl  # noqa: PLC0415 -- optional extra, imported only when asked for

        return pl.DataFrame(plain)
    if family == "arrow":
        import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]  # noqa: PLC0415 -- optional extra

        return pa.table(plain)
    raise InputError(f"family must be one of mapping, pandas, polars, arrow; got {family!r}")


def _output(scored: BatchScores, family: Family, data: Any, id_column: str | None, ids: Any) -> Any:
    table: dict[str, Any] = {}
    if ids is not None and id_column is not None:
        table[id_column] = ids if hasattr(ids, "shape") else np.asarray(ids)
    table.update(scored.to_columns())
    if family == "mapping":
        return table
    codes = {"band": (scored.band_codes, scored.band_names), "alert": (scored.alert_codes, scored.alert_names)}
    if family == "pandas":
        pd = _module("pandas")
        for name, (code, names) in codes.items():
            table[name] = pd.Categorical.from_codes(np.asarray(code, dtype=np.int64), categories=list(names))
        return pd.DataFrame(table, index=data.index)
    if family in ("polars", "polars-lazy"):
        pl = _module("polars")
        for name, (code, names) in codes.items():
            labels = np.asarray(table[name], dtype=object)
            labels[np.asarray(code) < 0] = None
            table[name] = pl.Series(name, labels.tolist(), dtype=pl.Enum(list(names)))
        frame = pl.DataFrame(table)
        return frame.lazy() if family == "polars-lazy" else frame
    pa = _module("pyarrow")
    for name, (code, names) in codes.items():
        code_arr = np.asarray(code, dtype=np.int8)
        indices = pa.array(code_arr, mask=code_arr < 0)
        table[name] = pa.DictionaryArray.from_arrays(indices, pa.array(list(names)))
    return pa.table(table)
