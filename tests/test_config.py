"""Models as files: round trips in every format, atomic writes, errors that
carry the path into the file, fingerprints, and the shipped examples."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from healthscore import (
    ConfigError,
    Dimension,
    HealthModel,
    Metric,
    SegmentedModel,
    dump_model,
    load_model,
    model_fingerprint,
    presets,
    scorers,
)
from healthscore.config import Format, model_from_dict, model_to_dict
from strategies import builtin_scorers, health_models, unicode_labels

FORMATS: tuple[Format, ...] = ("toml", "json", "yaml")
PRESETS: dict[str, Callable[[], HealthModel | SegmentedModel]] = {
    "three_dimension": presets.three_dimension,
    "dear": presets.dear,
    "segmented": presets.segmented,
}
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

texts = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20)
"""Free text for descriptions: any character but lone surrogates."""

generated_models = health_models(
    scorers=builtin_scorers(labels=unicode_labels, with_unknown=True),
    texts=texts,
    ladders=True,
)


def _preset(name: str) -> HealthModel | SegmentedModel:
    return PRESETS[name]()


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_round_trip_as_text(name: str, fmt: Format) -> None:
    model = _preset(name)
    text = dump_model(model, format=fmt)
    loaded = load_model(text, format=fmt)
    assert type(loaded) is type(model)
    assert loaded == model
    assert model_fingerprint(loaded) == model_fingerprint(model)


@pytest.mark.parametrize("suffix", [".toml", ".json", ".yaml", ".yml"])
@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_round_trip_through_files(name: str, suffix: str, tmp_path: Path) -> None:
    model = _preset(name)
    path = tmp_path / f"model{suffix}"
    text = dump_model(model, path)
    assert path.read_text(encoding="utf-8") == text
    assert load_model(path) == model
    assert load_model(str(path)) == model
    assert os.listdir(tmp_path) == [path.name]  # no temporary file left behind


def test_dump_overwrites_atomically(tmp_path: Path) -> None:
    path = tmp_path / "model.toml"
    path.write_text("old", encoding="utf-8")
    dump_model(presets.dear(), path)
    assert load_model(path) == presets.dear()
    assert sorted(os.listdir(tmp_path)) == ["model.toml"]


def test_dump_defaults_to_toml_and_starts_with_the_kind() -> None:
    text = dump_model(presets.three_dimension())
    assert text.splitlines()[0] == 'kind = "model"'
    assert dump_model(presets.segmented()).splitlines()[0] == 'kind = "segmented"'
    assert json.loads(dump_model(presets.dear(), format="json"))["kind"] == "model"


def test_model_to_dict_and_back() -> None:
    for name in PRESETS:
        model = _preset(name)
        data = model_to_dict(model)
        assert model_from_dict(data) == model
        assert model_from_dict(json.loads(json.dumps(data, allow_nan=False))) == model  # plain data only
        assert load_model(data) == model


@pytest.mark.parametrize("fmt", FORMATS)
@settings(suppress_health_check=[HealthCheck.too_slow])
@given(model=generated_models)
def test_generated_models_round_trip(model: HealthModel, fmt: Format) -> None:
    loaded = load_model(dump_model(model, format=fmt), format=fmt)
    assert loaded == model
    assert model_fingerprint(loaded) == model_fingerprint(model)


@given(model=generated_models)
def test_generated_models_round_trip_as_dicts(model: HealthModel) -> None:
    assert load_model(copy.deepcopy(model_to_dict(model))) == model


def test_toml_round_trip_with_a_delete_character() -> None:
    """Regression: DEL (U+007F) must be escaped in TOML strings."""
    model = attrs.evolve(presets.dear(), description="before\x7fafter")
    assert load_model(dump_model(model, format="toml"), format="toml") == model


def test_yaml_round_trip_with_a_next_line_character() -> None:
    """Regression: a lone NEL (U+0085) written raw came back from PyYAML as a space."""
    model = attrs.evolve(presets.dear(), description="\x85")
    assert load_model(dump_model(model, format="yaml"), format="yaml") == model


# --------------------------------------------------------------------------- errors with paths


def _three_dimension_dict() -> dict[str, Any]:
    return model_to_dict(presets.three_dimension())


def _problems(data: Any) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_model(data)
    assert info.value.problems
    for problem in info.value.problems:
        assert problem in str(info.value)
    return info.value.problems


def test_negative_weight_message_is_exact() -> None:
    data = _three_dimension_dict()
    data["dimensions"][0]["metrics"][2]["weight"] = -1
    problems = _problems(data)
    assert problems == ["weight must be >= 0, got -1.0 @ $.dimensions[0].metrics[2].weight"]


def test_unknown_key_names_the_key_and_the_path() -> None:
    data = _three_dimension_dict()
    data["dimensions"][1]["metrics"][0]["wieght"] = 2
    (problem,) = _problems(data)
    assert "'wieght'" in problem
    assert problem.endswith("@ $.dimensions[1].metrics[0]")
    assert "weight" in problem  # the allowed keys are listed


@pytest.mark.parametrize(
    ("where", "path"),
    [
        ((), "@ $"),
        (("missing",), "@ $.missing"),
        (("bands", 2), "@ $.bands[2]"),
        (("dimensions", 2), "@ $.dimensions[2]"),
        (("dimensions", 0, "metrics", 1, "scorer"), "@ $.dimensions[0].metrics[1].scorer"),
    ],
)
def test_unknown_keys_anywhere_are_errors(where: tuple[str | int, ...], path: str) -> None:
    data = _three_dimension_dict()
    node: Any = data
    for step in where:
        node = node[step]
    node["colour"] = "blue"
    (problem,) = _problems(data)
    assert "'colour'" in problem
    assert problem.endswith(path)


def test_several_problems_are_reported_together() -> None:
    data = _three_dimension_dict()
    data["dimensions"][0]["metrics"][0]["scorer"]["points"][1] = [0, 200]
    data["dimensions"][0]["weight"] = "heavy"
    del data["dimensions"][1]["metrics"][0]["name"]
    problems = _problems(data)
    assert len(problems) == 3
    joined = "\n".join(problems)
    assert "@ $.dimensions[0].metrics[0].scorer.points[1].score" in joined
    assert "@ $.dimensions[0].weight" in joined
    assert "required key is missing @ $.dimensions[1].metrics[0].name" in problems


def test_wrong_scorer_kind() -> None:
    data = _three_dimension_dict()
    data["dimensions"][1]["metrics"][0]["scorer"]["kind"] = "spline"
    (problem,) = _problems(data)
    assert "'spline'" in problem
    assert "piecewise" in problem
    assert problem.endswith("@ $.dimensions[1].metrics[0].scorer.kind")


def test_scorer_fields_must_match_the_kind() -> None:
    data = _three_dimension_dict()
    data["dimensions"][1]["metrics"][0]["scorer"] = {"kind": "piecewise", "table": {"a": 1}}
    problems = _problems(data)
    assert any("'table'" in p and p.endswith("@ $.dimensions[1].metrics[0].scorer") for p in problems)
    assert any("points" in p for p in problems)


def test_document_kind_is_checked() -> None:
    (problem,) = _problems({"kind": "spreadsheet"})
    assert problem.endswith("@ $.kind")
    assert "'spreadsheet'" in problem


def test_errors_inside_segments_carry_the_segment_path() -> None:
    data = model_to_dict(presets.segmented())
    data["segments"]["smb"]["dimensions"][0]["weight"] = -1
    problems = _problems(data)
    assert "weight must be >= 0, got -1.0 @ $.segments.smb.dimensions[0].weight" in problems


def test_band_ladder_errors_carry_the_path() -> None:
    data = _three_dimension_dict()
    data["bands"][0]["min_score"] = 10
    (problem,) = _problems(data)
    assert problem.endswith("@ $.bands[1].min_score")


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ("kind = [", "toml"),
        ('name = "a"\nname = "b"\n', "toml"),
        ('{"kind": ', "json"),
        ("{'kind': 'model'}", "json"),
        ("kind: [", "yaml"),
    ],
)
def test_malformed_text_is_a_config_error(text: str, fmt: Format) -> None:
    with pytest.raises(ConfigError, match=f"not valid {fmt.upper()}"):
        load_model(text, format=fmt)


def test_malformed_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("kind = [\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_model(path)
    assert info.value.source == str(path)
    assert "broken.toml" in str(info.value)


def test_unreadable_or_unknown_files(tmp_path: Path) -> None:
    absent = tmp_path / "absent.toml"
    for source, fmt in ((absent, None), (str(absent), None), (str(absent), "toml"), (absent, "toml")):
        with pytest.raises(ConfigError, match="the model file does not exist") as info:
            load_model(source, format=fmt)  # type: ignore[arg-type]
        assert info.value.source == str(absent)
        assert str(absent) in str(info.value)
        assert "not valid" not in str(info.value)
    with pytest.raises(ConfigError, match="no model file 'models/prod' exists, and as model text it is not valid"):
        load_model("models/prod", format="toml")
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    with pytest.raises(ConfigError, match="cannot read the model file"):
        load_model(folder)  # exists, but is no file
    other = tmp_path / "model.txt"
    other.write_text("kind = 'model'", encoding="utf-8")
    with pytest.raises(ConfigError, match="suffix"):
        load_model(other)
    with pytest.raises(ConfigError, match="table"):
        load_model("[1, 2]", format="json")


def test_plain_function_scorer_cannot_be_dumped() -> None:
    model = HealthModel(
        dimensions=[
            Dimension(
                name="d",
                metrics=[
                    Metric(name="a", scorer=scorers.penetration()),
                    Metric(name="b", scorer=lambda x: x),
                ],
            )
        ]
    )
    assert model.score({"a": 0.5, "b": 70}).score == pytest.approx(65.0)  # it scores fine
    with pytest.raises(ConfigError) as info:
        dump_model(model)
    (problem,) = info.value.problems
    assert "'b'" in problem
    assert problem.endswith("@ $.dimensions[0].metrics[1].scorer")
    with pytest.raises(ConfigError):
        model_fingerprint(model)


def test_plain_function_in_a_segment_cannot_be_dumped(tmp_path: Path) -> None:
    custom = HealthModel(dimensions=[Dimension(name="d", metrics=[Metric(name="a", scorer=abs)])])
    seg = SegmentedModel(segments={"smb": custom})
    path = tmp_path / "seg.toml"
    with pytest.raises(ConfigError) as info:
        dump_model(seg, path)
    assert info.value.problems[0].endswith("@ $.segments.smb.dimensions[0].metrics[0].scorer")
    assert not path.exists()
    assert os.listdir(tmp_path) == []


# --------------------------------------------------------------------------- fingerprints


def test_fingerprint_is_stable() -> None:
    for name in PRESETS:
        first = model_fingerprint(_preset(name))
        assert first == model_fingerprint(_preset(name))
        assert len(first) == 16
        int(first, 16)
    assert model_fingerprint(presets.dear()) != model_fingerprint(presets.three_dimension())


def test_fingerprint_changes_when_a_weight_changes() -> None:
    data = _three_dimension_dict()
    data["dimensions"][0]["metrics"][2]["weight"] = 2.5
    changed = load_model(data)
    assert changed != presets.three_dimension()
    assert model_fingerprint(changed) != model_fingerprint(presets.three_dimension())
    stricter = attrs.evolve(presets.dear(), missing=attrs.evolve(presets.dear().missing, min_coverage=0.5))
    assert model_fingerprint(stricter) != model_fingerprint(presets.dear())


def test_fingerprint_ignores_descriptions() -> None:
    model = presets.dear()
    reworded = attrs.evolve(model, description="something else")
    assert model_fingerprint(reworded) == model_fingerprint(model)


@given(model=generated_models, factor=st.sampled_from([2.0, 0.5, 10.0]))
def test_fingerprint_tracks_weights(model: HealthModel, factor: float) -> None:
    dims = list(model.dimensions)
    first = dims[0]
    metric = first.metrics[0]
    new_weight = metric.weight * factor if metric.weight else 1.0
    dims[0] = attrs.evolve(first, metrics=[attrs.evolve(metric, weight=new_weight), *first.metrics[1:]])
    changed = attrs.evolve(model, dimensions=dims)
    assert model_fingerprint(changed) != model_fingerprint(model)


# --------------------------------------------------------------------------- shipped examples


def _example_files() -> list[Path]:
    return sorted(p for p in EXAMPLES.glob("*") if p.suffix in (".toml", ".json"))


def test_examples_are_shipped() -> None:
    assert {p.name for p in _example_files()} >= {"three_dimension.toml", "dear.toml", "segmented.toml"}


@pytest.mark.parametrize("path", _example_files(), ids=lambda p: p.name)
def test_example_files_load(path: Path) -> None:
    model = load_model(path)
    assert isinstance(model, (HealthModel, SegmentedModel))
    fmt: Format = "toml" if path.suffix == ".toml" else "json"
    assert load_model(dump_model(model, format=fmt), format=fmt) == model


# --------------------------------------------------------------------------- TOML layout


def test_toml_reads_top_down_for_a_person() -> None:
    """What the model is, then its policies, then dimensions and metrics as
    arrays of tables, each metric's keys before its scorer."""
    text = dump_model(presets.three_dimension())
    lines = text.splitlines()
    assert lines[:3] == [
        'kind = "model"',
        'name = "three_dimension"',
        'description = "Product 40 / Relationship 30 / Business 30 (predictive three-dimension framework)"',
    ]
    headers = [line for line in lines if line.startswith("[")]
    assert headers[:9] == ["[missing]", *["[[bands]]"] * 4, *["[[alerts]]"] * 4]
    assert headers.count("[[dimensions]]") == 3
    assert headers.count("[[dimensions.metrics]]") == 22
    assert headers.count("[dimensions.metrics.scorer]") == 22
    first_metric = lines.index("[[dimensions.metrics]]")
    assert lines[first_metric + 1 : first_metric + 4] == [
        'name = "active_days"',
        "weight = 1.0",
        'description = "Active days per 30-day window, decay-weighted"',
    ]
    assert lines[first_metric + 5 : first_metric + 7] == ["[dimensions.metrics.scorer]", 'kind = "piecewise"']
    # A curve is one line a person can read and a diff shows whole.
    assert lines[first_metric + 7] == (
        "points = [[0.0, 0.0], [1.0, 35.0], [2.0, 55.0], [4.0, 75.0], [12.0, 85.0], [20.0, 92.0], [30.0, 100.0]]"
    )


def test_toml_quotes_keys_and_escapes_strings() -> None:
    labels = {"plain": 10.0, "two words": 20.0, 'quote"d': 30.0, "dotted.label": 40.0, "ünïcode": 50.0}
    model = HealthModel(
        description='tab\there, "quotes", back\\slash, bell\x07, delete\x7f, new\nline',
        dimensions=[Dimension(name="d", metrics=[Metric(name="m", scorer=scorers.Categories(table=labels))])],
    )
    text = dump_model(model)
    assert '"two words" = 20.0' in text.splitlines()
    assert '"dotted.label" = 40.0' in text.splitlines()
    assert load_model(text, format="toml") == model


def test_model_text_longer_than_a_file_name_is_read_as_text() -> None:
    import json

    from healthscore import presets
    from healthscore.config import dump_model, load_model

    one_line = json.dumps(json.loads(dump_model(presets.three_dimension(), format="json")))
    assert len(one_line) > 4096  # longer than any file name the system takes
    assert load_model(one_line, format="json") == presets.three_dimension()
