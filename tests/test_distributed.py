"""score_portfolio on Dask and Spark: every row equals the in-process result,
the planned meta / schema is exact, nothing runs until asked, errors name the
column and the value, and the model travels to the workers.

Dask runs on a ``distributed.LocalCluster`` of two worker processes, Spark on a
local[2] session bound to 127.0.0.1; both are started once for the session.
A test skips, saying what to install, only when its engine cannot be imported
or (Spark) no Java runtime is found.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import attrs
import numpy as np
import pytest

from healthscore import (
    Dimension,
    HealthModel,
    InputError,
    Metric,
    SegmentedModel,
    presets,
    score_portfolio,
)
from healthscore._distributed import ShippedModel, categories
from healthscore.bands import Band, BandPolicy
from healthscore.datasets import generate_portfolio

pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")

N = 3000
OPTIONS: dict[str, Any] = {"drivers": 3, "metric_scores": True}


# --------------------------------------------------------------------------- engines


@pytest.fixture(scope="session")
def dask_client() -> Iterator[Any]:
    """A client of a two-worker local cluster (worker processes, one thread each)."""
    try:
        import dask.dataframe  # noqa: F401 -- optional engine
        from distributed import Client, LocalCluster
    except ImportError:
        pytest.skip("Dask is not installed: pip install 'dask[dataframe]' distributed (the 'dask' extra)")
    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = Client(cluster)  # type: ignore[no-untyped-call]
    yield client
    client.close()  # type: ignore[no-untyped-call]
    cluster.close()


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """A local[2] Spark session: no UI, two shuffle partitions, 127.0.0.1 only."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        pytest.skip("PySpark is not installed: pip install pyspark (the 'spark' extra)")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Spark needs a Java runtime: apt-get install openjdk-17-jre-headless")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers run this interpreter, with healthscore
    session = (
        SparkSession.builder.master("local[2]")
        .appName("healthscore-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _dd() -> Any:
    import dask.dataframe as dd

    return dd


# --------------------------------------------------------------------------- data


@pytest.fixture(scope="module")
def accounts() -> Any:
    """A few thousand synthetic accounts: text labels, NaN and None cells."""
    return pd.DataFrame(generate_portfolio(N, seed=3))


@pytest.fixture(scope="module", params=["three_dimension", "segmented"])
def model(request: pytest.FixtureRequest) -> HealthModel | SegmentedModel:
    return presets.three_dimension() if request.param == "three_dimension" else presets.segmented()


def _numpy_result(model: HealthModel | SegmentedModel, frame: Any) -> Any:
    """The in-process NumPy engine on the same accounts, as plain arrays."""
    columns = {name: frame[name].to_numpy(dtype=object) for name in frame.columns}
    for name in model.metric_names:
        values = columns.get(name)
        if values is not None and frame[name].dtype.kind == "f":
            columns[name] = np.asarray(frame[name], dtype=np.float64)
    return model.score_batch(columns, **OPTIONS)


def _assert_same_as_numpy(model: HealthModel | SegmentedModel, frame: Any, out: Any) -> None:
    """Every row of ``out`` (id-ordered as ``frame``) equals the NumPy engine:
    score, band, alert, dimensions, coverage, status, metric scores, drivers."""
    scored = _numpy_result(model, frame)
    assert out["account_id"].tolist() == frame["account_id"].tolist()
    for name, expected in scored.to_columns().items():
        got = out[name]
        if np.asarray(expected).dtype.kind == "f":
            np.testing.assert_array_equal(np.asarray(got, dtype=np.float64), expected, err_msg=name)
        else:
            texts = ["" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v) for v in got.tolist()]
            assert texts == [str(v) for v in np.asarray(expected).tolist()], name


# --------------------------------------------------------------------------- Dask


def test_dask_rows_equal_the_in_process_result(
    dask_client: Any, model: HealthModel | SegmentedModel, accounts: Any
) -> None:
    ddf = _dd().from_pandas(accounts, npartitions=7)
    lazy = score_portfolio(model, ddf, **OPTIONS)
    assert lazy.npartitions == 7
    result = lazy.compute()
    expected = score_portfolio(model, accounts, **OPTIONS)
    pd.testing.assert_frame_equal(result, expected)  # values, dtypes, categories, index
    _assert_same_as_numpy(model, accounts, result)


def test_dask_meta_is_the_in_process_columns_and_dtypes(
    dask_client: Any, model: HealthModel | SegmentedModel, accounts: Any
) -> None:
    ddf = _dd().from_pandas(accounts, npartitions=3)
    for options in ({}, OPTIONS, {"dimensions": False, "precision": "float32", "drivers": 1}):
        lazy = score_portfolio(model, ddf, **options)
        expected = score_portfolio(model, accounts, **options)
        assert list(lazy.columns) == list(expected.columns)
        assert lazy._meta.dtypes.to_dict() == expected.dtypes.to_dict()
        assert lazy.compute().dtypes.to_dict() == expected.dtypes.to_dict()


def test_dask_integer_ids_and_the_index_are_kept(dask_client: Any, accounts: Any) -> None:
    frame = accounts.assign(account_id=np.arange(100, 100 + N, dtype=np.int64)).set_index(
        pd.RangeIndex(5, 5 + N, name="row")
    )
    lazy = score_portfolio(presets.three_dimension(), _dd().from_pandas(frame, npartitions=4))
    assert lazy._meta["account_id"].dtype == np.int64
    result = lazy.compute()
    pd.testing.assert_frame_equal(result, score_portfolio(presets.three_dimension(), frame))
    assert result.index.name == "row"


def test_dask_many_partitions_and_an_empty_one(dask_client: Any, accounts: Any) -> None:
    dd = _dd()
    model = presets.segmented()
    parts = [dd.from_pandas(accounts.iloc[:1000], npartitions=30), dd.from_pandas(accounts.iloc[:0], npartitions=1)]
    parts.append(dd.from_pandas(accounts.iloc[1000:], npartitions=9))
    ddf = dd.concat(parts)
    assert ddf.npartitions == 40
    result = score_portfolio(model, ddf, **OPTIONS).compute()
    pd.testing.assert_frame_equal(result, score_portfolio(model, accounts, **OPTIONS))
    empty = score_portfolio(model, parts[1], **OPTIONS).compute()
    assert len(empty) == 0
    assert empty.dtypes.to_dict() == result.dtypes.to_dict()


def test_dask_building_the_graph_scores_nothing(
    dask_client: Any, accounts: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dask

    model = presets.three_dimension()
    rows: list[int] = []
    original = HealthModel.score_batch

    def counting(self: HealthModel, columns: Any, **kwargs: Any) -> Any:
        out = original(self, columns, **kwargs)
        rows.append(len(out))
        return out

    monkeypatch.setattr(HealthModel, "score_batch", counting)
    with dask.config.set(scheduler="sync"):  # in this process, so that the count sees the partitions
        lazy = score_portfolio(model, _dd().from_pandas(accounts, npartitions=5))
        assert sum(rows) == 0  # only the plan ran: one empty partition
        assert len(lazy.compute()) == N
    assert sum(rows) == N
    assert sorted(rows)[-5:] == [600] * 5


def test_dask_a_bad_value_surfaces_at_compute_with_column_value_and_account(dask_client: Any, accounts: Any) -> None:
    bad = accounts.astype({"nps": object})
    bad.loc[2400, "nps"] = "abc"
    lazy = score_portfolio(presets.three_dimension(), _dd().from_pandas(bad, npartitions=5))  # nothing read yet
    with pytest.raises(InputError, match=r"partition 4, account 'ACC-2401': column 'nps': row 0: .*'abc'") as info:
        lazy.compute()
    assert (info.value.column, info.value.value, info.value.row) == ("nps", "abc", 0)


def test_dask_an_unknown_label_names_the_column(dask_client: Any, accounts: Any) -> None:
    bad = accounts.copy()
    bad.loc[10, "budget_trend"] = "sideways"
    lazy = score_portfolio(presets.segmented(), _dd().from_pandas(bad, npartitions=3))
    with pytest.raises(InputError, match=r"partition 0: .*column 'budget_trend'.*'sideways'") as info:
        lazy.compute()
    assert info.value.column == "budget_trend"


def test_dask_a_missing_column_fails_when_the_graph_is_built(dask_client: Any, accounts: Any) -> None:
    ddf = _dd().from_pandas(accounts.drop(columns=["nps"]), npartitions=2)
    with pytest.raises(InputError, match=r"missing column\(s\) 'nps'") as info:
        score_portfolio(presets.three_dimension(), ddf)
    assert info.value.column == "nps"
    with pytest.raises(InputError, match=r"missing column 'segment'"):
        score_portfolio(presets.segmented(), ddf.drop(columns=["segment"]))
    assert len(score_portfolio(presets.three_dimension(), ddf, missing_columns="missing").compute()) == N


def test_dask_meta_holds_every_band_of_every_segment_model(dask_client: Any, accounts: Any) -> None:
    seg = presets.segmented()
    smb = attrs.evolve(
        seg.models["smb"], bands=BandPolicy(bands=[Band(name="strong", min_score=60), Band(name="weak", min_score=0)])
    )
    model = attrs.evolve(seg, segments={**dict(seg.segments), "smb": smb})
    names = categories(model)["band"]
    assert names == ("green", "yellow", "orange", "red", "strong", "weak")
    only_smb = accounts[accounts["segment"] == "smb"]
    lazy = score_portfolio(model, _dd().from_pandas(accounts, npartitions=4))
    assert list(lazy._meta["band"].cat.categories) == list(names)
    result = score_portfolio(model, _dd().from_pandas(only_smb, npartitions=2)).compute()
    assert list(result["band"].cat.categories) == list(names)
    assert set(result["band"]) <= {"strong", "weak"}
    in_process = score_portfolio(model, only_smb)
    assert result["band"].astype(str).tolist() == in_process["band"].astype(str).tolist()


def _halved(x: Any) -> Any:
    return np.asarray(x, dtype=np.float64) / 2


def test_a_model_with_a_plain_function_scorer_travels_as_the_object(dask_client: Any) -> None:
    model = HealthModel(
        dimensions=[Dimension(name="usage", metrics=[Metric(name="active_days", scorer=lambda x: _halved(x) * 4)])]
    )
    shipped = ShippedModel.of(model)
    assert shipped.config is None
    assert shipped.model is model
    frame = pd.DataFrame({"account_id": ["a", "b", "c"], "active_days": [10.0, None, 30.0]})
    result = score_portfolio(model, _dd().from_pandas(frame, npartitions=2)).compute()
    pd.testing.assert_frame_equal(result, score_portfolio(model, frame))
    assert result["score"].tolist()[0] == 20.0


def test_a_built_in_model_travels_as_its_configuration() -> None:
    for model in (presets.three_dimension(), presets.segmented(), presets.dear()):
        shipped = ShippedModel.of(model)
        assert shipped.model is None
        assert shipped.config is not None
        assert shipped.get() == model


# --------------------------------------------------------------------------- Spark


@pytest.fixture(scope="module")
def arrow_accounts(accounts: Any) -> Any:
    return pa.Table.from_pandas(accounts, preserve_index=False)


def _spark_rows(out: Any) -> Any:
    """A collected Spark result as a pandas frame in account order."""
    table = out.toArrow()
    frame = table.to_pandas()
    return frame.sort_values("account_id", kind="stable").reset_index(drop=True)


def test_spark_rows_equal_the_in_process_result(
    spark: Any, model: HealthModel | SegmentedModel, accounts: Any, arrow_accounts: Any
) -> None:
    sdf = spark.createDataFrame(arrow_accounts).repartition(6)
    out = score_portfolio(model, sdf, **OPTIONS)
    result = _spark_rows(out)
    assert len(result) == N
    _assert_same_as_numpy(model, accounts, result)
    expected = score_portfolio(model, arrow_accounts, **OPTIONS)
    assert out.columns == expected.column_names


def test_spark_schema_is_planned_from_the_model(
    spark: Any, model: HealthModel | SegmentedModel, arrow_accounts: Any
) -> None:
    from pyspark.sql import types as T

    out = score_portfolio(model, spark.createDataFrame(arrow_accounts), **OPTIONS)
    texts = {"account_id", "segment", "model", "band", "alert", "status", "driver_1", "driver_2", "driver_3"}
    expected = T.StructType(
        [
            T.StructField(name, T.StringType() if name in texts else T.DoubleType(), nullable=True)
            for name in score_portfolio(model, arrow_accounts, **OPTIONS).column_names
        ]
    )
    assert out.schema == expected
    f32 = score_portfolio(model, spark.createDataFrame(arrow_accounts), precision="float32", dimensions=False)
    assert f32.schema["score"].dataType == T.FloatType()
    assert f32.schema["coverage"].dataType == T.DoubleType()
    ints = spark.createDataFrame(arrow_accounts.set_column(0, "account_id", pa.array(np.arange(N, dtype=np.int64))))
    with_ints = score_portfolio(model, ints)
    assert with_ints.schema["account_id"].dataType == T.LongType()
    assert sorted(r.account_id for r in with_ints.select("account_id").collect()) == list(range(N))


def test_spark_planning_runs_no_job(spark: Any, arrow_accounts: Any) -> None:
    context = spark.sparkContext
    context.setJobGroup("healthscore-plan", "planning only")
    try:
        out = score_portfolio(presets.segmented(), spark.createDataFrame(arrow_accounts), **OPTIONS)
        assert out.schema is not None
        assert list(context.statusTracker().getJobIdsForGroup("healthscore-plan")) == []
    finally:
        context.setLocalProperty("spark.jobGroup.id", None)


def test_spark_empty_partitions_and_an_empty_frame(spark: Any, arrow_accounts: Any) -> None:
    model = presets.segmented()
    few = arrow_accounts.slice(0, 3)
    out = score_portfolio(model, spark.createDataFrame(few).repartition(8), **OPTIONS)
    assert out.rdd.getNumPartitions() == 8
    rows = _spark_rows(out)
    _assert_same_as_numpy(model, few.to_pandas(), rows)
    empty = score_portfolio(model, spark.createDataFrame(arrow_accounts.slice(0, 0)), **OPTIONS)
    assert empty.count() == 0


def test_spark_a_missing_column_fails_at_planning(spark: Any, arrow_accounts: Any) -> None:
    sdf = spark.createDataFrame(arrow_accounts.drop_columns(["nps"]))
    with pytest.raises(InputError, match=r"missing column\(s\) 'nps'"):
        score_portfolio(presets.three_dimension(), sdf)


def test_spark_a_bad_value_reaches_the_driver_with_column_value_and_account(spark: Any, accounts: Any) -> None:
    from pyspark.errors import PythonException

    bad = accounts.astype({"nps": object})
    bad["nps"] = [None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v) for v in bad["nps"]]
    bad.loc[2400, "nps"] = "abc"
    out = score_portfolio(presets.three_dimension(), spark.createDataFrame(pa.Table.from_pandas(bad)))
    with pytest.raises(PythonException) as info:  # Spark re-raises a worker's error as its own type
        out.collect()
    message = str(info.value)
    assert "InputError" in message
    assert "account 'ACC-2401'" in message
    assert "column 'nps'" in message
    assert "'abc'" in message


# --------------------------------------------------------------------------- imports


def test_import_healthscore_imports_no_engine() -> None:
    code = (
        "import sys, healthscore\n"
        "healthscore.score_portfolio(healthscore.presets.dear(), {'deployment': [0.5]}, missing_columns='missing')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'dask', 'distributed', 'pyspark', 'py4j'}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_score_batch_points_a_dask_frame_to_score_portfolio(dask_client: Any, accounts: Any) -> None:
    ddf = _dd().from_pandas(accounts, npartitions=2)
    with pytest.raises(InputError, match=r"got dask\..*scored where it lives by score_portfolio"):
        presets.three_dimension().score_batch(ddf)
