"""Portfolio scoring on Dask and Spark: the adapters behind
:func:`healthscore.score_portfolio` for data that lives on a cluster.

Each adapter plans the job on the client and leaves the scoring to the
workers, one partition (Dask) or one Arrow batch (Spark) at a time, through the
one in-process path: a partition is a pandas DataFrame or a pyarrow table,
scored by the same :func:`~healthscore.score_portfolio` call as a frame on one
machine. Nothing here scores an account by its own rule.

Planning scores an *empty* table of the input's columns through that same
path. It raises, before any task runs, what the in-process call raises for the
columns (a missing metric, a segmented model without its segment column,
duplicate names), and gives the output's columns and dtypes: the Dask
``meta`` and the Spark schema. Two things an empty table cannot tell are
fixed from the model and the input's schema: the id column's type, and the
band and alert categories (every band of every model of a segmented model).
Each partition's result is cast to that plan, so an empty partition, or one
whose segments use fewer models, still has the planned dtypes.

The model travels to the workers as its configuration, canonical JSON of
:func:`healthscore.config.model_to_dict`, rebuilt (and validated) once per
worker process. A model the configuration cannot express (a metric with a
plain-function scorer) travels as the object itself, which Dask and Spark
serialise with cloudpickle.

Dask and pyspark are imported only here, inside the functions that need them,
and only when the data is one of their frames (found through ``sys.modules``).
"""

from __future__ import annotations

import functools
import json
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Literal

import attrs

from healthscore import _frames
from healthscore import config as _config
from healthscore.exceptions import ConfigError, InputError
from healthscore.model import HealthModel, SegmentedModel

__all__ = ["Engine", "ShippedModel", "engine_of", "score_dask", "score_spark"]

Engine = Literal["dask", "spark"]
"""The distributed engines :func:`~healthscore.score_portfolio` runs on."""

AnyModel = HealthModel | SegmentedModel
LocalScore = Callable[..., Any]
"""The in-process scoring call: ``(model, table, **options) -> table``."""

_CATEGORICAL = ("band", "alert")


def engine_of(data: object) -> Engine | None:
    """``"dask"`` for a Dask DataFrame, ``"spark"`` for a Spark DataFrame
    (classic or Spark Connect), else ``None``; nothing is imported to look.

    Examples:
        >>> engine_of({"nps": [10]}) is None
        True
    """
    dd = sys.modules.get("dask.dataframe")
    if dd is not None and isinstance(data, dd.DataFrame):
        return "dask"
    classes = [
        getattr(sys.modules.get(name), "DataFrame", None) for name in ("pyspark.sql", "pyspark.sql.connect.dataframe")
    ]
    if any(cls is not None and isinstance(data, cls) for cls in classes):
        return "spark"
    return None


# --------------------------------------------------------------------------- the model on the workers


@functools.lru_cache(maxsize=16)
def _from_config(text: str) -> AnyModel:
    """The model of a configuration, built once per worker process."""
    return _config.model_from_dict(json.loads(text))


@attrs.frozen(kw_only=True)
class ShippedModel:
    """A model as it travels to the workers.

    Attributes:
        config: Canonical JSON of the model's configuration; ``None`` when the
            configuration cannot express the model.
        model: The model itself, only when ``config`` is ``None`` (it then
            travels by cloudpickle, as Dask and Spark send functions).

    Examples:
        >>> from healthscore import presets
        >>> shipped = ShippedModel.of(presets.dear())
        >>> shipped.model is None, shipped.get() == presets.dear()
        (True, True)
    """

    config: str | None
    model: AnyModel | None = None

    @classmethod
    def of(cls, model: AnyModel) -> ShippedModel:
        """Ship ``model`` as its configuration when that rebuilds an equal
        model, else as the object."""
        try:
            text = json.dumps(_config.model_to_dict(model), separators=(",", ":"))  # keys keep their order
        except ConfigError:  # a plain-function scorer: no configuration holds it
            return cls(config=None, model=model)
        if _from_config(text) != model:
            return cls(config=None, model=model)
        return cls(config=text)

    def get(self) -> AnyModel:
        """The model, rebuilt from its configuration on first use in a process."""
        if self.config is not None:
            return _from_config(self.config)
        if self.model is None:
            raise InputError("a shipped model needs its configuration or the model itself")
        return self.model


def _models(model: AnyModel) -> list[HealthModel]:
    if isinstance(model, HealthModel):
        return [model]
    return [m for _, m in model.segments] + ([model.default] if model.default is not None else [])


def categories(model: AnyModel) -> dict[str, tuple[str, ...]]:
    """Every band and every alert level any of the model's models gives, in
    order of first appearance (segments, then the default)."""
    models = _models(model)
    bands = dict.fromkeys(name for m in models for name in m.bands.names)
    alerts = dict.fromkeys(name for m in models for name in m.alerts.names)
    return {"band": tuple(bands), "alert": tuple(alerts)}


def _in_partition(exc: InputError, where: str, table: Any, id_column: str | None) -> InputError:
    """The error of one partition, saying which, and the account of its row
    (a row number counts from the partition's first row)."""
    if exc.row is not None and id_column is not None:
        ids = _frames.table_columns(table, [id_column], labels={id_column}).get(id_column)
        if ids is not None and 0 <= exc.row < len(ids):
            where = f"{where}, account {ids[exc.row]!r}"
    return type(exc)(f"{where}: {exc}", column=exc.column, row=exc.row, value=exc.value)


def _present(columns: Iterable[str], wanted: Iterable[str]) -> list[str]:
    have = set(columns)
    return list(dict.fromkeys(name for name in wanted if name in have))


# --------------------------------------------------------------------------- Dask


def _dask_meta(
    model: AnyModel, meta_in: Any, options: Mapping[str, Any], local: LocalScore, text_dtype: Any = None
) -> Any:
    """The output of an empty partition through the in-process path, with the
    id dtype and the categories no empty partition can show."""
    pd = sys.modules["pandas"]
    meta = local(model, meta_in, **options)
    text = meta["status"].dtype if text_dtype is None else text_dtype
    id_column = options.get("id_column")
    if id_column is not None and id_column in meta.columns:
        given = meta_in[id_column].dtype
        if given.kind in "iu":  # ints stay int64 in the in-process result
            meta[id_column] = meta[id_column].astype("int64")
        elif given.kind == "f":  # float ids come back as Python values
            meta[id_column] = meta[id_column].astype(object)
        else:  # texts, categories, objects
            meta[id_column] = meta[id_column].astype(text)
    for name, names in categories(model).items():
        if name in meta.columns:
            dtype = pd.Categorical.from_codes([], categories=list(names), ordered=True).dtype
            meta[name] = meta[name].astype(dtype)
    return meta


def _cast_like(out: Any, meta: Any, where: str) -> Any:
    """A partition's result with the planned dtypes."""
    changed = {name: dtype for name, dtype in meta.dtypes.items() if out[name].dtype != dtype}
    for name, dtype in changed.items():
        try:
            out[name] = out[name].astype(dtype)
        except (TypeError, ValueError) as exc:
            msg = (
                f"{where}: column {name!r} has dtype {out[name].dtype} where the frame's plan says {dtype} "
                f"({exc}); give the column one type across partitions, e.g. .astype(str)"
            )
            raise InputError(msg, column=str(name)) from None
    return out


@attrs.frozen(kw_only=True, repr=False)
class DaskPartitions:
    """Scores one Dask partition (a pandas DataFrame) in the worker."""

    model: ShippedModel
    options: Mapping[str, Any]
    meta: Any
    local: LocalScore

    def __repr__(self) -> str:
        """The task's name in Dask's graph and dashboard."""
        return "score_portfolio"

    def __call__(self, partition: Any, partition_info: Mapping[str, Any] | None = None) -> Any:
        """The partition's scores, with the dtypes of :attr:`meta`."""
        where = f"partition {partition_info['number']}" if partition_info else "a partition"
        try:
            out = self.local(self.model.get(), partition, **self.options)
        except InputError as exc:
            raise _in_partition(exc, where, partition, self.options.get("id_column")) from None
        return _cast_like(out, self.meta, where)


def score_dask(model: AnyModel, data: Any, wanted: list[str], options: Mapping[str, Any], local: LocalScore) -> Any:
    """A lazy Dask DataFrame of the scores: one ``map_partitions`` task per
    partition over the columns the model reads, with the exact ``meta``."""
    present = _present(data.columns, wanted)
    selected = data[present]
    meta = _dask_meta(model, selected._meta, options, local)
    task = DaskPartitions(model=ShippedModel.of(model), options=dict(options), meta=meta, local=local)
    return selected.map_partitions(task, meta=meta, align_dataframes=False)


# --------------------------------------------------------------------------- Spark


def _empty_arrow(schema: Any) -> Any:
    """An empty pyarrow table for a Spark schema: numbers as float64, the rest
    as text (the reading rules give them as values either way)."""
    pa = _pyarrow()
    types = _spark_types()
    fields = [
        pa.field(f.name, pa.float64() if isinstance(f.dataType, types.NumericType) else pa.string())
        for f in schema.fields
    ]
    return pa.schema(fields).empty_table()


def _spark_type(arrow_type: Any) -> Any:
    pa, types = _pyarrow(), _spark_types()
    if pa.types.is_float64(arrow_type):
        return types.DoubleType()
    if pa.types.is_floating(arrow_type):
        return types.FloatType()
    if pa.types.is_integer(arrow_type):
        return types.LongType()
    return types.StringType()  # texts, categories (Spark has none) and an empty id column


def _arrow_type(spark_type: Any) -> Any:
    pa, types = _pyarrow(), _spark_types()
    if isinstance(spark_type, types.DoubleType):
        return pa.float64()
    if isinstance(spark_type, types.FloatType):
        return pa.float32()
    if isinstance(spark_type, types.LongType):
        return pa.int64()
    return pa.string()


def spark_schema(model: AnyModel, schema: Any, options: Mapping[str, Any], local: LocalScore) -> Any:
    """The output's Spark schema: the in-process result of an empty table,
    band and alert as strings, ids as ``long`` when the input's are integers
    and as ``string`` otherwise."""
    types = _spark_types()
    empty = local(model, _empty_arrow(schema), **options)
    id_column = options.get("id_column")
    fields = []
    for field in empty.schema:
        kind = _spark_type(field.type)
        if field.name == id_column:
            given = schema[id_column].dataType
            kind = types.LongType() if isinstance(given, types.IntegralType) else types.StringType()
        fields.append(types.StructField(field.name, kind, nullable=True))
    return types.StructType(fields)


@attrs.frozen(kw_only=True, repr=False)
class SparkBatches:
    """Scores a Spark partition's Arrow batches in the Python worker."""

    model: ShippedModel
    options: Mapping[str, Any]
    schema: Any
    local: LocalScore

    def __repr__(self) -> str:
        """The function's name in Spark's plan."""
        return "score_portfolio"

    def __call__(self, batches: Iterator[Any]) -> Iterator[Any]:
        """Each batch's scores, cast to the planned Arrow :attr:`schema`
        (Spark reads no Arrow dictionary: band and alert become strings)."""
        model = self.model.get()
        for index, batch in enumerate(batches):
            try:
                out = self.local(model, batch, **self.options)
            except InputError as exc:
                where = f"Spark partition {_spark_partition()}, Arrow batch {index}"
                raise _in_partition(exc, where, batch, self.options.get("id_column")) from None
            yield from out.cast(self.schema).to_batches()


def score_spark(model: AnyModel, data: Any, wanted: list[str], options: Mapping[str, Any], local: LocalScore) -> Any:
    """A Spark DataFrame of the scores: ``mapInArrow`` over the columns the
    model reads, with the schema planned from the model."""
    pa = _pyarrow()
    selected = data.select(*_present(data.columns, wanted))
    schema = spark_schema(model, selected.schema, options, local)
    arrow = pa.schema([pa.field(f.name, _arrow_type(f.dataType)) for f in schema.fields])
    task = SparkBatches(model=ShippedModel.of(model), options=dict(options), schema=arrow, local=local)
    with warnings.catch_warnings():  # mapInArrow reads no pandas, whose version pyspark checks all the same
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
        return selected.mapInArrow(task, schema)


def _spark_partition() -> str:
    """The running task's partition number, ``?`` outside a task."""
    from pyspark import TaskContext  # noqa: PLC0415 -- optional extra, in a Spark worker

    context = TaskContext.get()
    return "?" if context is None else str(context.partitionId())


def _pyarrow() -> Any:
    try:
        import pyarrow as pa  # noqa: PLC0415 -- optional extra
    except ImportError:
        raise InputError("scoring a Spark DataFrame needs pyarrow: pip install 'healthscore[spark]'") from None
    return pa


def _spark_types() -> Any:
    try:
        from pyspark.sql import types  # noqa: PLC0415 -- optional extra
    except ImportError:
        raise InputError("scoring a Spark DataFrame needs pyspark: pip install 'healthscore[spark]'") from None
    return types
