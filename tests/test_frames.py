"""The data-frame layer (healthscore._frames): every family in and out, the
same missing values everywhere, score_batch on frames, narwhals optional."""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np
import pytest

from healthscore import InputError, presets, score_portfolio
from healthscore._frames import as_columns, family_of, table_columns, to_family
from healthscore.datasets import load_sample_portfolio
from healthscore.model import BatchScores

pd = pytest.importorskip("pandas")
pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")

ROWS: dict[str, list[Any]] = {
    "id": ["a", "b", "c"],
    "x": [1.5, None, 3.0],
    "label": ["low", None, "high"],
}


def _frames() -> dict[str, Any]:
    return {
        "pandas": pd.DataFrame(ROWS),
        "polars": pl.DataFrame(ROWS),
        "polars-lazy": pl.DataFrame(ROWS).lazy(),
        "arrow": pa.table(ROWS),
        "arrow-batch": pa.RecordBatch.from_pydict(ROWS),
    }


@pytest.mark.parametrize("name", list(_frames()))
def test_every_family_reads_numbers_as_float_and_labels_as_objects(name: str) -> None:
    cols = table_columns(_frames()[name], ["id", "x", "label", "absent"], labels={"id", "label"})
    assert list(cols) == ["id", "x", "label"]
    assert cols["x"].dtype == np.float64
    assert cols["x"][0] == 1.5
    assert math.isnan(cols["x"][1])
    assert cols["label"].dtype == object
    assert cols["label"].tolist() == ["low", None, "high"]
    assert cols["id"].tolist() == ["a", "b", "c"]


def test_missing_values_in_every_spelling_read_the_same() -> None:
    spellings = {
        "pandas NaN": pd.DataFrame({"x": [1.0, np.nan]}),
        "pandas Float64 NA": pd.DataFrame({"x": pd.array([1.0, pd.NA], dtype="Float64")}),
        "pandas Int64 NA": pd.DataFrame({"x": pd.array([1, None], dtype="Int64")}),
        "polars null": pl.DataFrame({"x": [1.0, None]}),
        "polars NaN": pl.DataFrame({"x": [1.0, math.nan]}),
        "arrow null": pa.table({"x": pa.array([1, None])}),
    }
    for spelling, frame in spellings.items():
        numbers = table_columns(frame, ["x"])["x"]
        assert numbers.dtype == np.float64, spelling
        assert numbers[0] == 1.0, spelling
        assert math.isnan(numbers[1]), spelling
        labels = table_columns(frame, ["x"], labels={"x"})["x"]
        assert labels[1] is None, spelling


def test_categorical_columns_read_as_their_labels_with_none_for_missing() -> None:
    frames = {
        "pandas": pd.DataFrame({"c": pd.Categorical(["x", None, "y"])}),
        "polars": pl.DataFrame({"c": pl.Series(["x", None, "y"], dtype=pl.Enum(["y", "x"]))}),
        # a null in a dictionary array reads as the first category through to_numpy alone
        "arrow": pa.table({"c": pa.array(["x", None, "y"]).dictionary_encode()}),
    }
    for name, frame in frames.items():
        assert table_columns(frame, ["c"])["c"].tolist() == ["x", None, "y"], name


def test_dates_come_as_utc_datetime64() -> None:
    zoned = pl.Series("t", ["2026-01-05T10:00:00", None]).str.to_datetime().dt.replace_time_zone("Europe/Berlin")
    frame = pl.DataFrame([zoned])
    values = table_columns(frame, ["t"])["t"]
    assert values.dtype.kind == "M"
    assert str(values[0].astype("datetime64[s]")) == "2026-01-05T09:00:00"
    assert np.isnat(values[1])


def test_a_mapping_passes_through_untouched() -> None:
    data = {"x": [1, 2], "y": np.array([3.0])}
    assert as_columns(data, ["x"]) is data
    assert table_columns(data, ["x", "z"]) == {"x": [1, 2]}


@pytest.mark.parametrize("family", ["pandas", "polars", "polars-lazy", "arrow"])
def test_every_family_is_written_with_categories(family: str) -> None:
    table = {"id": np.array(["a", "b"]), "score": np.array([80.0, math.nan]), "band": np.array(["green", ""])}
    out = to_family(table, family, categories={"band": (np.array([0, -1]), ("green", "yellow", "red"))})
    assert family_of(out) == family
    if family == "pandas":
        assert list(out.columns) == ["id", "score", "band"]
        assert list(out["band"].cat.categories) == ["green", "yellow", "red"]
        assert out["band"].tolist()[0] == "green"
        assert pd.isna(out["band"].tolist()[1])
    elif family == "arrow":
        assert out.schema.names == ["id", "score", "band"]
        assert out.column("band").type.value_type == pa.string()
        assert out.column("band").combine_chunks().dictionary.to_pylist() == ["green", "yellow", "red"]
        assert out.column("band").to_pylist() == ["green", None]
    else:
        frame = out.collect() if family == "polars-lazy" else out
        assert frame.columns == ["id", "score", "band"]
        assert frame.schema["band"] == pl.Enum(["green", "yellow", "red"])
        assert frame.get_column("band").to_list() == ["green", None]


def test_an_unknown_family_is_an_error() -> None:
    with pytest.raises(InputError, match="family must be one of"):
        to_family({"a": np.array([1.0])}, "excel")


# --------------------------------------------------------------------------- narwhals is optional


def _without_narwhals(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "narwhals" or m.startswith("narwhals.")]:
        monkeypatch.delitem(sys.modules, name)
    for name in ("narwhals", "narwhals.stable", "narwhals.stable.v2"):
        monkeypatch.setitem(sys.modules, name, None)  # import raises ImportError


def test_a_frame_without_narwhals_asks_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    _without_narwhals(monkeypatch)
    with pytest.raises(InputError, match=r"needs narwhals: pip install 'healthscore\[frames\]'"):
        score_portfolio(presets.three_dimension(), pd.DataFrame({"nps": [1.0]}), missing_columns="missing")
    with pytest.raises(InputError, match="needs narwhals"):
        to_family({"a": np.array([1.0])}, "polars")


def test_a_mapping_needs_no_narwhals(monkeypatch: pytest.MonkeyPatch) -> None:
    _without_narwhals(monkeypatch)
    model = presets.three_dimension()
    out = score_portfolio(model, {"account_id": ["a"], "nps": [20.0]}, missing_columns="missing")
    assert out["score"].tolist() == [model.score({"nps": 20.0}).score]


# --------------------------------------------------------------------------- score_batch takes frames


@pytest.fixture(scope="module")
def sample() -> dict[str, Any]:
    return load_sample_portfolio()


def _same_scores(a: BatchScores, b: BatchScores) -> None:
    assert np.array_equal(a.score, b.score, equal_nan=True)
    assert np.array_equal(a.coverage, b.coverage)
    assert np.array_equal(a.band, b.band)
    assert np.array_equal(a.status, b.status)
    assert a.dimensions.keys() == b.dimensions.keys()
    for name, values in a.dimensions.items():
        assert np.array_equal(values, b.dimensions[name], equal_nan=True)


def test_score_batch_on_a_frame_equals_score_batch_on_the_mapping(sample: dict[str, Any]) -> None:
    model = presets.three_dimension()
    expected = model.score_batch(sample, drivers=2)
    plain = {k: v.tolist() for k, v in sample.items()}
    for frame in (pd.DataFrame(sample), pl.DataFrame(plain), pl.DataFrame(plain).lazy(), pa.table(plain)):
        out = model.score_batch(frame, drivers=2)
        _same_scores(out, expected)
        assert all(np.array_equal(x, y) for x, y in zip(out.drivers, expected.drivers, strict=True))


def test_segmented_score_batch_on_a_frame_equals_the_mapping(sample: dict[str, Any]) -> None:
    model = presets.segmented()
    expected = model.score_batch(sample)
    for frame in (pd.DataFrame(sample), pl.DataFrame({k: v.tolist() for k, v in sample.items()})):
        out = model.score_batch(frame)
        _same_scores(out, expected)
        assert np.array_equal(out["model"], expected["model"])


def test_score_batch_refuses_what_is_not_a_table() -> None:
    with pytest.raises(InputError, match="pandas DataFrame"):
        presets.three_dimension().score_batch([[1.0, 2.0]])


def test_batch_scores_index_by_column_name(sample: dict[str, Any]) -> None:
    out = presets.three_dimension().score_batch(pd.DataFrame(sample), metric_scores=True, drivers=1)
    assert out["score"] is out.score
    assert np.array_equal(out["band"], out.band)
    assert out["product"] is out.dimensions["product"]
    assert out["nps_score"] is out.metric_scores["nps"]
    assert out["driver_1"] is out.drivers[0]
    assert out["driver_1_points"] is out.points_lost[0]
    assert list(out.to_columns()) == list(out.column_names)
    with pytest.raises(KeyError, match=r"'scores' is not a column.*columns: score, band, alert, product"):
        out["scores"]
    with pytest.raises(KeyError, match="driver_2"):
        out["driver_2"]


# --------------------------------------------------------------------------- portfolio round trips


def test_integer_ids_keep_their_type_in_every_family() -> None:
    model = presets.three_dimension()
    rows = {"account_id": [7, 8], "nps": [10.0, 20.0]}
    assert score_portfolio(model, pd.DataFrame(rows), missing_columns="missing")["account_id"].tolist() == [7, 8]
    out = score_portfolio(model, pl.DataFrame(rows), missing_columns="missing")
    assert out.schema["account_id"] == pl.Int64
    assert score_portfolio(model, pa.table(rows), missing_columns="missing").column("account_id").type == pa.int64()


def test_a_lazy_frame_is_collected_once_and_answered_lazily(sample: dict[str, Any]) -> None:
    model = presets.three_dimension()
    lazy = pl.DataFrame({k: v.tolist() for k, v in sample.items()}).lazy()
    out = score_portfolio(model, lazy)
    assert isinstance(out, pl.LazyFrame)
    eager = score_portfolio(model, lazy.collect())
    assert out.collect().equals(eager)
