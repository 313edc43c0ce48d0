"""score_portfolio and the batch engine: every input family, every missing-value
spelling, device arrays through the array API, threads, chunks, float32."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from healthscore import InputError, MissingMetricError, MissingPolicy, presets, score_portfolio
from healthscore.datasets import load_sample_portfolio
from healthscore.model import HealthModel, to_numpy
from healthscore.portfolio import family_of
from strategies import column_batches, health_models, piecewises, steps

pd = pytest.importorskip("pandas")
pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import w1  # noqa: E402 -- the benchmark workload, shared with the benchmarks


@pytest.fixture(scope="module")
def sample() -> dict[str, Any]:
    return load_sample_portfolio()


@pytest.fixture(scope="module")
def model() -> HealthModel:
    return presets.three_dimension()


def _expected(model: HealthModel, columns: dict[str, Any]) -> list[Any]:
    names = model.metric_names
    n = len(columns["account_id"])
    out = []
    for i in range(n):
        record = {k: columns[k][i] for k in names if k in columns}
        record = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in record.items()}
        out.append(model.score(record))
    return out


def _same(a: float | None, b: float) -> bool:
    return (a is None and math.isnan(b)) or a == b


def test_each_family_comes_back_in_its_family_with_the_scalar_numbers(
    model: HealthModel, sample: dict[str, Any]
) -> None:
    expected = _expected(model, sample)
    plain = {k: v.tolist() for k, v in sample.items()}
    inputs = {
        "mapping": sample,
        "pandas": pd.DataFrame(sample),
        "polars": pl.DataFrame(plain),
        "polars-lazy": pl.DataFrame(plain).lazy(),
        "arrow": pa.table(plain),
    }
    for family, data in inputs.items():
        assert family_of(data) == family
        out = score_portfolio(model, data)
        assert family_of(out) == family
        if family == "polars-lazy":
            out = out.collect()
        if family == "arrow":
            columns = {name: out.column(name).to_pylist() for name in out.schema.names}
        elif family in ("polars", "polars-lazy"):
            columns = {name: out.get_column(name).to_list() for name in out.columns}
        elif family == "pandas":
            columns = {name: out[name].tolist() for name in out.columns}
        else:
            columns = {name: list(values) for name, values in out.items()}
        assert list(columns)[:4] == ["account_id", "score", "band", "alert"]
        assert [str(a) for a in columns["account_id"]] == [str(a) for a in sample["account_id"]]
        for i, want in enumerate(expected):
            assert _same(want.score, float(columns["score"][i])), (family, i)
            assert columns["band"][i] == want.band, (family, i)
            assert columns["alert"][i] == want.alert, (family, i)
            assert columns["coverage"][i] == want.coverage, (family, i)
            for dim, value in want.dimensions.items():
                assert _same(value, float(columns[dim][i])), (family, dim, i)


def test_band_and_alert_are_categorical(model: HealthModel, sample: dict[str, Any]) -> None:
    frame = score_portfolio(model, pd.DataFrame(sample))
    assert isinstance(frame["band"].dtype, pd.CategoricalDtype)
    assert list(frame["band"].cat.categories) == ["green", "yellow", "orange", "red"]
    polars = score_portfolio(model, pl.DataFrame({k: v.tolist() for k, v in sample.items()}))
    assert polars.schema["band"] == pl.Enum(["green", "yellow", "orange", "red"])
    arrow = score_portfolio(model, pa.table({k: v.tolist() for k, v in sample.items()}))
    assert pa.types.is_dictionary(arrow.schema.field("alert").type)


def test_pandas_keeps_the_index(model: HealthModel, sample: dict[str, Any]) -> None:
    frame = pd.DataFrame(sample, index=pd.Index([f"row{i}" for i in range(300)], name="key"))
    out = score_portfolio(model, frame)
    assert out.index.equals(frame.index)


def _two_account_frames() -> dict[str, Any]:
    """Account a has every metric; account b misses nps, spelled the family's way."""
    return {
        "pandas-nan": pd.DataFrame({"account_id": ["a", "b"], "penetration": [0.5, 0.5], "nps": [20.0, np.nan]}),
        "pandas-NA": pd.DataFrame(
            {"account_id": ["a", "b"], "penetration": [0.5, 0.5], "nps": pd.array([20.0, pd.NA], dtype="Float64")}
        ),
        "pandas-Int64": pd.DataFrame(
            {"account_id": ["a", "b"], "penetration": [0.5, 0.5], "nps": pd.array([20, None], dtype="Int64")}
        ),
        "pandas-None": pd.DataFrame({"account_id": ["a", "b"], "penetration": [0.5, 0.5], "nps": [20, None]}),
        "polars-null": pl.DataFrame({"account_id": ["a", "b"], "penetration": [0.5, 0.5], "nps": [20.0, None]}),
        "polars-nan": pl.DataFrame({"account_id": ["a", "b"], "penetration": [0.5, 0.5], "nps": [20.0, math.nan]}),
        "arrow-null": pa.table({"account_id": ["a", "b"], "penetration": [0.5, 0.5], "nps": pa.array([20, None])}),
        "mapping-None": {"account_id": ["a", "b"], "penetration": [0.5, 0.5], "nps": [20.0, None]},
    }


@pytest.mark.parametrize("spelling", list(_two_account_frames()))
def test_missing_values_from_every_family_follow_the_policy(model: HealthModel, spelling: str) -> None:
    data = _two_account_frames()[spelling]
    out = score_portfolio(model, data, missing_columns="missing", id_column=None)
    scores = out.collect() if hasattr(out, "collect") else out
    score = np.asarray(to_numpy(scores["score"]), dtype=np.float64)
    coverage = np.asarray(to_numpy(scores["coverage"]), dtype=np.float64)
    both = model.score({"penetration": 0.5, "nps": 20.0})
    one = model.score({"penetration": 0.5})
    assert score.tolist() == [both.score, one.score]
    assert coverage.tolist() == [both.coverage, one.coverage]


def test_label_metrics_with_nulls_from_frames(model: HealthModel) -> None:
    frame = pl.DataFrame({"executive_engagement": ["quarterly", None], "penetration": [0.5, 0.5]})
    out = score_portfolio(model, frame, missing_columns="missing", id_column=None)
    assert out.get_column("score").to_list() == [
        model.score({"executive_engagement": "quarterly", "penetration": 0.5}).score,
        model.score({"penetration": 0.5}).score,
    ]
    arrow = pa.table({"executive_engagement": pa.array(["none", None]), "penetration": [0.5, 0.5]})
    assert score_portfolio(model, arrow, missing_columns="missing", id_column=None).num_rows == 2


def test_text_in_a_numeric_metric_names_the_column_and_row(model: HealthModel) -> None:
    frame = pd.DataFrame({"penetration": ["0.5", "lots"], "nps": [1.0, 2.0]})
    with pytest.raises(InputError, match=r"column 'penetration'.*row 1.*'lots'"):
        score_portfolio(model, frame, missing_columns="missing")


def test_a_missing_column_names_it_and_what_is_expected(model: HealthModel) -> None:
    frame = pl.DataFrame({"penetration": [0.5]})
    with pytest.raises(InputError, match=r"missing column\(s\) 'active_days'.*missing_columns='missing'"):
        score_portfolio(model, frame)


def test_duplicate_ids_are_an_error(model: HealthModel) -> None:
    with pytest.raises(InputError, match=r"duplicate account id 'x' in rows 0 and 2"):
        score_portfolio(model, {"account_id": ["x", "y", "x"], "nps": [1, 2, 3]}, missing_columns="missing")


def test_something_that_is_not_a_table_is_an_error(model: HealthModel) -> None:
    with pytest.raises(InputError, match="pandas DataFrame"):
        score_portfolio(model, [[1, 2], [3, 4]])


def test_segmented_models_score_each_segment_from_a_frame(sample: dict[str, Any]) -> None:
    seg = presets.segmented()
    frame = pd.DataFrame(sample)
    out = score_portfolio(seg, frame)
    for i in (0, 1, 2, 50, 299):
        record = {k: sample[k][i] for k in seg.metric_names}
        record = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in record.items()}
        want = seg.score({**record, "segment": sample["segment"][i]})
        assert out["model"][i] == want.model
        assert _same(want.score, out["score"][i])


def test_segmented_models_take_the_engine_options(sample: dict[str, Any]) -> None:
    seg = presets.segmented()
    frame = pd.DataFrame(sample)
    full = score_portfolio(seg, frame)
    lean = score_portfolio(seg, frame, dimensions=False, precision="float32", threads=1)
    assert "product" in full.columns
    assert "product" not in lean.columns
    assert lean["score"].dtype == np.float32
    assert np.allclose(lean["score"], full["score"], atol=1e-3, equal_nan=True)


def test_engine_agrees_across_threads_chunks_and_the_scalar_path() -> None:
    model = w1.load()
    columns = w1.generate(5_003, seed=11)
    base = model.score_batch(columns, threads=1, chunk_size=5_003, drivers=3, metric_scores=True)
    for threads, chunk in [(2, 97), (3, 1_000), (1, 1)]:
        other = model.score_batch(columns, threads=threads, chunk_size=chunk, drivers=3, metric_scores=True)
        assert np.array_equal(base.score, other.score, equal_nan=True)
        assert np.array_equal(base.coverage, other.coverage)
        assert all(np.array_equal(base.drivers[j], other.drivers[j]) for j in range(3))
    names = list(columns)
    for i in range(0, 5_003, 250):
        record = {k: columns[k][i] for k in names}
        want = model.score({k: (None if math.isnan(v) else float(v)) for k, v in record.items()})
        assert _same(want.score, float(base.score[i]))
        assert [m.name for m in want.drivers[:3]] == [str(base.drivers[j][i]) for j in range(len(want.drivers[:3]))]


def test_float32_is_close_to_float64() -> None:
    model = w1.load()
    columns = w1.generate(20_000, seed=5)
    exact = model.score_batch(columns)
    single = model.score_batch(columns, precision="float32")
    assert single.score.dtype == np.float32
    error = np.nanmax(np.abs(single.score.astype(np.float64) - exact.score))
    assert error < 1e-3  # docs/portfolio.md states the bound
    assert np.array_equal(np.isnan(single.score), np.isnan(exact.score))
    float32_input = w1.generate(20_000, seed=5, dtype=np.float32)
    assert model.score_batch(float32_input, precision="float32").score.dtype == np.float32


def test_array_api_arrays_stay_in_their_library_and_match_numpy() -> None:
    xp = pytest.importorskip("array_api_strict")
    pytest.importorskip("array_api_compat")
    for policy in (MissingPolicy(), MissingPolicy(strategy="neutral"), MissingPolicy(min_coverage=0.8)):
        model = HealthModel(dimensions=w1.load().dimensions, missing=policy)
        columns = w1.generate(3_000, seed=2)
        expected = model.score_batch(columns, metric_scores=True)
        out = model.score_batch({k: xp.asarray(v) for k, v in columns.items()}, metric_scores=True)
        assert type(out.score).__module__.startswith("array_api_strict")
        assert np.array_equal(to_numpy(out.score), expected.score, equal_nan=True)
        assert np.array_equal(to_numpy(out.coverage), expected.coverage)
        assert np.array_equal(out.band, expected.band)
        for name, values in expected.dimensions.items():
            assert np.array_equal(to_numpy(out.dimensions[name]), values, equal_nan=True)
        for name, values in expected.metric_scores.items():
            assert np.array_equal(to_numpy(out.metric_scores[name]), values, equal_nan=True)


@settings(max_examples=60)
@given(data=column_batches(health_models(scorers=st.one_of(piecewises(), steps()), max_metrics=5), max_size=10))
def test_array_api_path_equals_numpy_for_any_numeric_model(
    data: tuple[HealthModel, list[dict[str, Any]], dict[str, Any]],
) -> None:
    """Curves and steps, scorers' own missing scores, every missing-data policy:
    the array API path gives NumPy's numbers bit for bit (in float64; in
    float32 it rounds the inputs first, NumPy compares step edges in float64)."""
    xp = pytest.importorskip("array_api_strict")
    pytest.importorskip("array_api_compat")
    model, _rows, columns = data
    columns = {k: np.array([math.nan if v is None else v for v in vs], dtype=np.float64) for k, vs in columns.items()}
    device = {k: xp.asarray(v) for k, v in columns.items()}
    try:
        expected = model.score_batch(columns, metric_scores=True)
    except MissingMetricError:
        with pytest.raises(MissingMetricError):
            model.score_batch(device)
        return
    out = model.score_batch(device, metric_scores=True)
    assert np.array_equal(to_numpy(out.score), expected.score, equal_nan=True)
    assert np.array_equal(to_numpy(out.coverage), expected.coverage)
    assert np.array_equal(out.band, expected.band)
    for name, values in expected.dimensions.items():
        assert np.array_equal(to_numpy(out.dimensions[name]), values, equal_nan=True)
    for name, values in expected.metric_scores.items():
        assert np.array_equal(to_numpy(out.metric_scores[name]), values, equal_nan=True)


def test_array_api_label_metrics_ask_for_numpy() -> None:
    xp = pytest.importorskip("array_api_strict")
    pytest.importorskip("array_api_compat")
    model = presets.three_dimension()
    with pytest.raises(InputError, match=r"executive_engagement.*NumPy"):
        model.score_batch(
            {"executive_engagement": xp.asarray([1.0]), "nps": xp.asarray([3.0])}, missing_columns="missing"
        )


def test_dimensions_can_be_left_out(model: HealthModel, sample: dict[str, Any]) -> None:
    out = model.score_batch(sample, dimensions=False)
    assert out.dimensions == {}
    assert np.array_equal(out.score, model.score_batch(sample).score, equal_nan=True)


@settings(max_examples=40)
@given(data=column_batches(health_models(), max_size=8))
def test_scalar_batch_and_portfolio_agree_on_every_account(
    data: tuple[HealthModel, list[dict[str, Any]], dict[str, Any]],
) -> None:
    """model.score, score_batch and score_portfolio: the same numbers, bit for
    bit, for any model under any missing-data policy."""
    model, rows, columns = data
    try:
        results = [model.score(row) for row in rows]
    except MissingMetricError:
        with pytest.raises(MissingMetricError):
            score_portfolio(model, columns, id_column=None)
        return
    batch = model.score_batch(columns)
    table = score_portfolio(model, columns, id_column=None)
    for i, want in enumerate(results):
        for got in (batch.score[i], table["score"][i]):
            assert _same(want.score, float(got)), (i, want.score, got)
        assert batch.coverage[i] == want.coverage == table["coverage"][i]
        assert batch.band[i] == table["band"][i] == (want.band or "")
        assert batch.alert[i] == table["alert"][i] == (want.alert or "")
        for dim, value in want.dimensions.items():
            assert _same(value, float(batch.dimensions[dim][i]))
            assert _same(value, float(table[dim][i]))


def test_out_of_range_values_in_a_frame_are_said_as_warnings() -> None:
    frame = pd.DataFrame({"account_id": ["a", "b"], "penetration": [0.5, 45.0], "nps": [10.0, 20.0]})
    with pytest.warns(UserWarning, match=r"penetration.*out of range"):
        out = score_portfolio(presets.three_dimension(), frame, missing_columns="missing")
    assert out["coverage"][1] < out["coverage"][0]  # the bad value is scored as missing, not clamped
