"""Score a whole portfolio from any data frame or array library.

:func:`score_portfolio` takes the accounts as a mapping of column -> array, a
pandas DataFrame, a polars DataFrame or LazyFrame, or a pyarrow Table, and
returns the results in the same family: pandas in, pandas out (same index);
polars in, polars out; arrow in, arrow out; a mapping in, a mapping of arrays
out. A polars LazyFrame is collected once, reading only the columns the model
needs, and the result comes back as a LazyFrame over the computed scores.
Data frames are read and written through narwhals (``healthscore._frames``);
none of those libraries is imported unless the data is one of theirs.

When the accounts form a tree -- the data has a ``parent_id`` column (or the
column ``parent_column`` names) -- parents are rolled up from their children
by the model's roll-up policy (:mod:`healthscore.hierarchy`): the output gains
``parent_id`` and ``level`` (0 at the top) after the id, parents' rows hold
the rolled-up score, band, alert, coverage and drivers, and ``own_score`` keeps
every account's own score. Dask and Spark refuse a tree: it crosses partitions.

A Dask or Spark DataFrame is scored where it lives: the result is a lazy Dask
DataFrame (one ``map_partitions`` task per partition, with the exact ``meta``)
or a Spark DataFrame (``mapInArrow`` with a schema planned from the model),
each partition scored by this same in-process path on its workers (see
``docs/engines.md``).

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

import warnings
from typing import Any, Literal, TypeAlias

import numpy as np

from healthscore import _distributed, _frames, hierarchy
from healthscore._engine import Precision
from healthscore._frames import column_names, family_of, table_columns, to_family
from healthscore.exceptions import InputError
from healthscore.model import BatchScores, HealthModel, SegmentedModel
from healthscore.scorers import input_kind

__all__ = ["Family", "column_names", "family_of", "score_portfolio", "table_columns", "to_family"]

Family: TypeAlias = _frames.Family
"""The kinds of input :func:`score_portfolio` accepts (and returns)."""


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


def _check_ids(ids: Any, id_column: str) -> None:
    values = ids if isinstance(ids, np.ndarray) and ids.dtype == np.int64 else np.asarray(ids, dtype=object)
    if values.size == 0:
        return
    # int64 ids sort as they are; fixed-width text sorts in C, four times faster than objects
    keys = values if values.dtype == np.int64 else values.astype(np.str_)
    uniques, counts = np.unique(keys, return_counts=True)
    if (counts > 1).any():
        dup = int(np.flatnonzero(counts > 1)[0])
        key = str(uniques[dup])
        rows = np.flatnonzero(keys == uniques[dup])
        raise InputError(
            f"column {id_column!r}: duplicate account id {key!r} in rows {rows[0]} and {rows[1]}",
            column=id_column,
            row=int(rows[1]),
            value=key,
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
    parent_column: str | None = hierarchy.PARENT_COLUMN,
    on_bad_rows: hierarchy.BadRows = "error",
) -> Any:
    """Score every account of ``data`` and return the results in its family.

    Args:
        model: The model (or segmented model) to score with.
        data: The accounts: a mapping of column -> array (NumPy, lists, or
            another array API library's arrays), a pandas DataFrame, a polars
            DataFrame or LazyFrame, a pyarrow Table, or a Dask or Spark
            DataFrame.
        id_column: Column with the account ids, copied to the output first (it
            is optional: a table without it is scored all the same; duplicate
            ids are an error). ``None`` to ignore ids.
        metric_scores: Also output ``<metric>_score`` per metric.
        drivers: Also output the names (and points lost) of this many top
            drivers per account.
        missing_columns: ``"error"`` raises when a metric's column is absent;
            ``"missing"`` scores it as missing everywhere.
        dimensions: Output one column per dimension (default).
        threads: CPU threads (default: automatic; one per partition on Dask
            and Spark, whose partitions run in parallel).
        precision: ``"float64"`` (default) or ``"float32"``.
        parent_column: The column of each account's parent id. When ``data``
            has it, parents are rolled up (see :mod:`healthscore.hierarchy`;
            the model's ``rollup`` policy, by default the ARR-weighted mean
            of the ``arr`` column); a name other than ``"parent_id"`` must be
            a column. ``None`` never rolls up.
        on_bad_rows: A bad parent link (a cycle, a self-parent, an unknown
            parent): ``"error"`` (default) raises, naming the accounts on the
            path; ``"report"`` cuts it, scores the account as a top-level one
            and says so in a warning per link.

    Returns:
        The input's family with columns: the id, ``segment`` and ``model`` for
        segmented models, ``score``, ``band``, ``alert``, one per dimension,
        ``coverage``, ``status``, then metric scores and drivers when asked for.
        Bands and alerts are categorical, every band a category: ordered
        ``Categorical`` in pandas, ``Enum`` in polars, a dictionary in arrow. A
        pandas result keeps the input's index; a polars LazyFrame is collected
        once (only the columns read) and the result returned as a LazyFrame.
        A Dask DataFrame gives a lazy Dask DataFrame with the pandas result's
        columns and dtypes (and the input's index); a Spark DataFrame gives a
        Spark DataFrame, bands and alerts as strings. On both, the columns
        are checked when the job is planned; values are read, and ids checked
        for duplicates, partition by partition when it runs. With a tree,
        ``parent_id`` and ``level`` follow the id and ``own_score`` follows
        ``score``.

    Raises:
        InputError: A bad column or value (named), a bad parent link, or a
            tree on Dask or Spark.
    """
    if on_bad_rows not in ("error", "report"):
        raise InputError(f"on_bad_rows must be 'error' or 'report', got {on_bad_rows!r}")
    options: dict[str, Any] = {
        "id_column": id_column,
        "metric_scores": metric_scores,
        "drivers": drivers,
        "missing_columns": missing_columns,
        "dimensions": dimensions,
        "threads": threads,
        "precision": precision,
    }
    engine = _distributed.engine_of(data)
    if engine is not None and parent_column is not None and parent_column in list(data.columns):
        raise InputError(
            f"column {parent_column!r}: a {engine.title()} DataFrame cannot be rolled up the account tree, whose "
            "parents and children may sit in different partitions (each partition is scored on its own); score the "
            "accounts in one process (collect them: pandas, polars or arrow), or pass parent_column=None to score "
            "every account on its own",
            column=parent_column,
        )
    if engine is not None:  # planned here, scored partition by partition on the workers
        options["threads"] = 1 if threads is None else threads  # the partitions are the parallelism
        adapter = _distributed.score_dask if engine == "dask" else _distributed.score_spark
        return adapter(model, data, _wanted(model, id_column), options, _score_local)
    if parent_column is not None and _has_tree(data, parent_column):
        return _score_tree(model, data, parent_column, on_bad_rows, options)
    return _score_local(model, data, stacklevel=3, **options)


def _has_tree(data: Any, parent_column: str) -> bool:
    if parent_column in column_names(data):
        return True
    if parent_column != hierarchy.PARENT_COLUMN:
        raise InputError(
            f"missing column {parent_column!r} (parent_column): the data has no parent ids", column=parent_column
        )
    return False


def _score_tree(
    model: HealthModel | SegmentedModel,
    data: Any,
    parent_column: str,
    on_bad_rows: hierarchy.BadRows,
    options: dict[str, Any],
) -> Any:
    """Score ``data`` and roll its parents up (:func:`healthscore.hierarchy.score_batch`)."""
    id_column = options.pop("id_column")
    if id_column is None:
        raise InputError(f"column {parent_column!r} links accounts by id: a tree needs id_column", column=parent_column)
    rolled = hierarchy.score_batch(
        model, data, id_column=id_column, parent_column=parent_column, on_bad_rows=on_bad_rows, **options
    )
    for line in [*rolled.scores.warnings, *(r.message() for r in rolled.tree.rejected)]:
        warnings.warn(line, UserWarning, stacklevel=3)
    family = family_of(data)
    ids = rolled.ids if family == "mapping" else _id_values(rolled.ids)
    table: dict[str, Any] = {id_column: ids if hasattr(ids, "shape") else np.asarray(ids)}
    table.update(rolled.to_columns(ids))
    if family == "mapping":
        return table
    table[parent_column] = table[parent_column].tolist()  # a list: every library reads None as null there
    scored = rolled.scores
    categories = {"band": (scored.band_codes, scored.band_names), "alert": (scored.alert_codes, scored.alert_names)}
    return to_family(table, family, categories=categories, like=data if family == "pandas" else None)


def _score_local(
    model: HealthModel | SegmentedModel,
    data: Any,
    *,
    id_column: str | None,
    metric_scores: bool,
    drivers: int,
    missing_columns: Literal["error", "missing"],
    dimensions: bool,
    threads: int | None,
    precision: Precision | None,
    stacklevel: int = 2,
) -> Any:
    """The in-process path: one table read, scored by ``model.score_batch``
    and written back in its family (also each Dask or Spark partition's)."""
    family = family_of(data)
    wanted = _wanted(model, id_column)
    labels = _label_metrics(model) | {n for n in wanted if n not in model.metric_names}  # segment, ids
    columns = table_columns(data, wanted, labels=labels, whole={id_column} if id_column is not None else ())
    ids = columns.pop(id_column, None) if id_column is not None else None
    if ids is not None:
        _check_ids(ids, id_column or "")
    scored = model.score_batch(
        columns,
        metric_scores=metric_scores,
        drivers=drivers,
        missing_columns=missing_columns,
        dimensions=dimensions,
        threads=threads,
        precision=precision,
    )
    for line in scored.warnings:  # a data frame cannot carry the report: it is said instead
        warnings.warn(line, UserWarning, stacklevel=stacklevel)
    return _output(scored, family, data, id_column, ids)


def _output(scored: BatchScores, family: Family, data: Any, id_column: str | None, ids: Any) -> Any:
    table: dict[str, Any] = {}
    if ids is not None and id_column is not None:
        if family != "mapping":
            table[id_column] = _id_values(ids)
        else:
            table[id_column] = ids if hasattr(ids, "shape") else np.asarray(ids)
    table.update(scored.to_columns())
    if family == "mapping":
        return table
    categories = {"band": (scored.band_codes, scored.band_names), "alert": (scored.alert_codes, scored.alert_names)}
    return to_family(table, family, categories=categories, like=data if family == "pandas" else None)


def _id_values(ids: Any) -> Any:
    """Ids read from a frame (Python objects) back as int64 when they are all
    ints, so that a frame's integer id column stays one."""
    if ids.dtype == np.int64:  # read as int64 already
        return ids
    values = ids.tolist()
    kinds = {type(v) for v in values}
    if kinds == {int} and all(-(2**63) <= v < 2**63 for v in values):
        return np.asarray(values, dtype=np.int64)
    return ids  # texts stay objects: every frame library reads them as strings
