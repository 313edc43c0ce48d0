"""Signal settings as files: round trips in every format, errors that carry the
path into the file, the commented template, the docs' example, and
``--settings`` on the command line."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from healthscore import ConfigError, decay, load_model
from healthscore.cli import main
from healthscore.config import (
    Format,
    dump_signal_settings,
    load_signal_settings,
    settings_from_dict,
    settings_to_dict,
)
from healthscore.signals import SignalSettings
from strategies import unicode_labels

ROOT = Path(__file__).resolve().parents[1]
FORMATS: tuple[Format, ...] = ("toml", "json", "yaml")
FIELDS = [a.name for a in attrs.fields(SignalSettings)]

days = st.floats(min_value=0.25, max_value=5000.0, allow_nan=False, allow_infinity=False)
decays = st.one_of(
    st.builds(decay.Exponential, half_life_days=days),
    st.builds(decay.Step, window_days=days, factor=st.floats(min_value=1e-3, max_value=1.0)),
)
feature_lists = st.lists(unicode_labels, max_size=4).map(tuple)
optional_feature = st.none() | unicode_labels

signal_settings = st.builds(
    SignalSettings,
    window_days=days,
    activity_windows=st.integers(1, 36),
    activity_decay=decays,
    breadth_days=days,
    features_available=st.none() | st.integers(1, 100_000),
    advanced_features=feature_lists,
    key_features=feature_lists,
    workflow_start=optional_feature,
    workflow_complete=optional_feature,
    power_user_min_days=st.integers(0, 365),
    integration_prefix=unicode_labels,
    executive_quarter_days=days,
    relationship_days=days,
    expansion_days=days,
    ticket_days=days,
    survey_days=days,
    response_days=days,
    unanswered_after_days=days,
    value_days=days,
    payment_days=days,
    payment_decay=decays,
)
"""Every settings object a file can hold (any analyser but VADER is code)."""


def _problems(text: str, fmt: Format = "toml") -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_signal_settings(text, format=fmt)
    return caught.value.problems


# --------------------------------------------------------------------------- round trips


@given(settings=signal_settings, fmt=st.sampled_from(FORMATS))
@hypothesis_settings(suppress_health_check=[HealthCheck.too_slow])
def test_every_settings_object_round_trips(settings: SignalSettings, fmt: Format) -> None:
    text = dump_signal_settings(settings, format=fmt)
    assert load_signal_settings(text, format=fmt) == settings
    assert settings_from_dict(settings_to_dict(settings)) == settings


@pytest.mark.parametrize("suffix", [".toml", ".json", ".yaml", ".yml"])
def test_round_trip_through_files_written_atomically(suffix: str, tmp_path: Path) -> None:
    settings = SignalSettings(advanced_features=("api", "製品利用"), workflow_start="a", workflow_complete="b")
    path = tmp_path / f"signals{suffix}"
    text = dump_signal_settings(settings, path)
    assert path.read_text(encoding="utf-8") == text
    assert load_signal_settings(path) == settings
    assert load_signal_settings(str(path)) == settings
    assert os.listdir(tmp_path) == [path.name]  # no temporary file left behind


def test_the_file_is_flat_with_decays_as_tables() -> None:
    text = dump_signal_settings(SignalSettings(features_available=12))
    lines = text.splitlines()
    assert lines[0] == 'kind = "signals"'
    assert 'activity_decay = {kind = "step", window_days = 30.0, factor = 0.5}' in lines
    assert 'payment_decay = {kind = "exponential", half_life_days = 90.0}' in lines
    assert "features_available = 12" in lines
    assert not any(line.startswith(("workflow_start", "sentiment")) for line in lines)  # None: left out
    assert json.loads(dump_signal_settings(SignalSettings(), format="json"))["activity_windows"] == 6


def test_absent_keys_keep_their_defaults_and_numbers_may_be_whole() -> None:
    loaded = load_signal_settings('kind = "signals"\nticket_days = 60\nactivity_windows = 4.0\n', format="toml")
    assert loaded == SignalSettings(ticket_days=60.0, activity_windows=4)
    assert load_signal_settings({}) == SignalSettings()
    assert load_signal_settings("ticket_days = 60\n", format="toml").ticket_days == 60.0  # kind is optional


def test_vader_is_named_in_a_file() -> None:
    pytest.importorskip("vaderSentiment", reason="the sentiment extra is not installed")
    loaded = load_signal_settings('sentiment = "vader"\n', format="toml")
    assert loaded.sentiment is not None
    assert loaded.sentiment(["great, thanks", "this is broken and awful"])[0] > 0
    assert 'sentiment = "vader"' in dump_signal_settings(loaded).splitlines()


# --------------------------------------------------------------------------- the template


def test_the_commented_template_holds_the_defaults_and_every_key() -> None:
    text = dump_signal_settings(SignalSettings(), comments=True)
    assert load_signal_settings(text, format="toml") == SignalSettings()
    for name in FIELDS:
        assert re.search(rf"^(# )?{name} = ", text, re.MULTILINE), name
    assert "# features_available = 40" in text.splitlines()
    # uncommenting an example gives a valid file
    uncommented = re.sub(r"^# ((features_available|workflow_\w+|sentiment) = )", r"\1", text, flags=re.MULTILINE)
    if pytest.importorskip("importlib.util").find_spec("vaderSentiment") is None:
        uncommented = uncommented.replace('sentiment = "vader"', "")
    loaded = load_signal_settings(uncommented, format="toml")
    assert (loaded.features_available, loaded.workflow_start, loaded.workflow_complete) == (40, "reports", "sharing")


def test_comments_are_toml_only() -> None:
    with pytest.raises(ConfigError, match="comments are written in TOML only"):
        dump_signal_settings(SignalSettings(), format="json", comments=True)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('window_days = "30"', "window_days must be a number, got '30' @ $.window_days"),
        ("window_days = true", "window_days must be a number, got True @ $.window_days"),
        ("window_days = -1", "window_days must be a positive number of days, got -1.0 @ $.window_days"),
        ("breadth_days = 0", "breadth_days must be a positive number of days, got 0.0 @ $.breadth_days"),
        ("activity_windows = 6.5", "activity_windows must be a whole number, got 6.5 @ $.activity_windows"),
        ("activity_windows = 0", "activity_windows must be a whole number >= 1, got 0 @ $.activity_windows"),
        ('features_available = "x"', "features_available must be a whole number, got 'x' @ $.features_available"),
        ("workflow_start = 3", "workflow_start must be a string, got 3 @ $.workflow_start"),
        (
            'advanced_features = "api"',
            "advanced_features must be a list of feature names (one feature too: [\"reports\"]), got 'api' "
            "@ $.advanced_features",
        ),
        (
            'key_features = ["api", 3]',
            "key_features[1] must be a feature name (a string), got 3 @ $.key_features[1]",
        ),
        (
            "activity_decay = 3",
            "activity_decay must be a table with a 'kind' key: { kind = \"exponential\", half_life_days = 90 }, "
            "got 3 @ $.activity_decay",
        ),
        (
            'activity_decay = { kind = "linear" }',
            "kind must be one of ['exponential', 'step'], got 'linear' @ $.activity_decay.kind",
        ),
        (
            'payment_decay = { kind = "exponential", half_life_days = -2 }',
            "half_life_days must be a positive number of days, got -2.0 @ $.payment_decay.half_life_days",
        ),
        (
            'activity_decay = { kind = "step", factor = 2 }',
            "factor must be in (0, 1], got 2.0 @ $.activity_decay.factor",
        ),
        (
            'payment_decay = { kind = "exponential", half_lif_days = 2 }',
            "unknown key 'half_lif_days' (did you mean 'half_life_days'? allowed: half_life_days) @ $.payment_decay",
        ),
        (
            'sentiment = "textblob"',
            'sentiment must be one of "auto", "ja", "vader" (the analysers a file can name; pass others in code), '
            "got 'textblob' @ $.sentiment",
        ),
        (
            'kind = "model"',
            "kind must be 'signals', got 'model' (a model file: pass it with --model or to load_model) @ $.kind",
        ),
        ('kind = "signal"', "kind must be 'signals', got 'signal' (the kind of a signal settings file) @ $.kind"),
    ],
)
def test_a_bad_value_names_the_rule_the_value_and_the_path(text: str, problem: str) -> None:
    assert _problems(text + "\n") == [problem]


def test_an_unknown_key_suggests_the_closest_one() -> None:
    (problem,) = _problems("windw_days = 30\n")
    assert problem.startswith("unknown key 'windw_days' (did you mean 'window_days'? allowed: activity_decay, ")
    assert problem.endswith(" @ $")
    assert all(name in problem for name in FIELDS)
    (problem,) = _problems("colour = 1\nticket_day = 30\n")
    assert problem.startswith("unknown keys 'colour', 'ticket_day' (did you mean 'ticket_days' for 'ticket_day'?")


def test_several_problems_are_reported_together_and_the_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "signals.toml"
    path.write_text('window_days = "a"\nkey_features = [1]\nsurvey_days = []\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_signal_settings(path)
    assert caught.value.source == str(path)
    assert caught.value.problems == [
        "window_days must be a number, got 'a' @ $.window_days",
        "key_features[0] must be a feature name (a string), got 1 @ $.key_features[0]",
        "survey_days must be a number, got [] @ $.survey_days",
    ]
    assert str(caught.value).startswith(f"invalid signal settings in {path} (3 problems):\n  - window_days")


def test_unreadable_or_unknown_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"invalid signal settings.*the signal settings file does not exist"):
        load_signal_settings(tmp_path / "nope.toml")
    (tmp_path / "s.ini").write_text("x", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"cannot tell the format of 's\.ini'"):
        load_signal_settings(tmp_path / "s.ini")
    (tmp_path / "bad.toml").write_bytes(b"window_days = \xff\n")
    with pytest.raises(ConfigError, match=r"bad\.toml: not UTF-8 text: byte 0xff at offset 14"):
        load_signal_settings(tmp_path / "bad.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_signal_settings("window_days = \n", format="toml")
    with pytest.raises(ConfigError, match=r"the document must be a table, got list @ \$"):
        load_signal_settings("[1, 2]", format="json")
    with pytest.raises(ConfigError, match=r"no signal settings file 'signals\.tom' exists"):
        load_signal_settings("signals.tom", format="toml")


def test_a_model_file_is_not_settings_and_settings_are_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="signal settings file: pass it with --settings or to load_signal_settings"):
        load_model(dump_signal_settings(SignalSettings()), format="toml")
    with pytest.raises(ConfigError, match="unknown keys 'description', 'dimensions'"):
        load_signal_settings({"name": "m", "description": "", "dimensions": []})


def test_code_cannot_be_saved_and_the_message_names_the_key() -> None:
    def analyser(texts: object) -> list[float]:
        return []

    custom = SignalSettings(activity_decay=lambda age: 1.0, sentiment=analyser)
    with pytest.raises(ConfigError) as caught:
        dump_signal_settings(custom)
    assert [p.rsplit(" @ ", 1)[1] for p in caught.value.problems] == ["$.activity_decay", "$.sentiment"]
    assert "use healthscore.decay.exponential(...) or step(...)" in caught.value.problems[0]
    with pytest.raises(ConfigError, match="expected SignalSettings, got dict"):
        dump_signal_settings({"window_days": 3})  # type: ignore[arg-type]


# --------------------------------------------------------------------------- the docs


def _docs_section() -> str:
    page = (ROOT / "docs" / "signals.md").read_text(encoding="utf-8")
    return page.split("## A settings file\n", 1)[1].split("\n## ", 1)[0]


def test_the_docs_example_loads_as_shown() -> None:
    (example,) = re.findall(r"```toml\n(.*?)```", _docs_section(), re.DOTALL)
    loaded = load_signal_settings(example, format="toml")
    assert loaded == SignalSettings(
        advanced_features=("custom_reports", "advanced_filters", "automation", "api", "admin"),
        key_features=("dashboard", "custom_reports"),
        workflow_start="reports",
        workflow_complete="sharing",
        ticket_days=60.0,
        activity_decay=decay.exponential(45.0),
        payment_decay=decay.exponential(60.0),
    )


def test_the_docs_list_every_key_with_its_default() -> None:
    section = _docs_section()
    rows = dict(re.findall(r"^\| (`[^|]+`) \| ([^|]+) \|", section, re.MULTILINE))
    listed = {name.strip("`") for cell in rows for name in cell.split(", ")}
    assert listed == set(FIELDS)
    defaults = settings_to_dict(SignalSettings())
    for cell, default in rows.items():
        for name in (n.strip("`") for n in cell.split(", ")):
            if name in defaults and not isinstance(defaults[name], dict):
                assert default.strip() == f"`{json.dumps(defaults[name])}`", name
            elif name not in defaults:
                assert default.strip() == "absent", name
    for line in re.findall(r"```text\n(.*?)```", section, re.DOTALL)[0].splitlines():
        problem = line.split(": ", 3)[3]  # healthscore: error: invalid signal settings in FILE: <problem>
        assert " @ $" in problem


# --------------------------------------------------------------------------- command line


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def exports_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("duckdb", reason="computing signals needs the exports extra")
    from healthscore.datasets import generate_exports, write_exports

    folder = tmp_path_factory.mktemp("settings") / "exports"
    write_exports(generate_exports(12, 120, seed=7).tables, folder)
    return folder


def test_signals_and_score_read_the_settings_file(exports_folder: Path, tmp_path: Path) -> None:
    from healthscore.datasets import ADVANCED_FEATURES

    settings_file = tmp_path / "signals.toml"
    dump_signal_settings(SignalSettings(advanced_features=ADVANCED_FEATURES, ticket_days=30), settings_file)
    plain, tuned = tmp_path / "plain.csv", tmp_path / "tuned.csv"
    common = ["signals", str(exports_folder), "--as-of", "2025-04-15"]
    assert _run(*common, "-o", str(plain))[0] == 0
    status, _, err = _run(*common, "--settings", str(settings_file), "-o", str(tuned))
    assert status == 0, err
    before, after = _rows(plain), _rows(tuned)
    assert all(row["feature_depth"] == "" for row in before)  # no advanced features: missing
    assert any(row["feature_depth"] != "" for row in after)
    assert [r["ticket_volume"] for r in before] != [r["ticket_volume"] for r in after]
    assert [r["nps"] for r in before] == [r["nps"] for r in after]  # a setting it does not change

    scored_plain, scored_tuned = tmp_path / "s1.csv", tmp_path / "s2.csv"
    score = ["score", str(exports_folder), "--as-of", "2025-04-15"]
    assert _run(*score, "-o", str(scored_plain))[0] == 0
    status, _, err = _run(*score, "--settings", str(settings_file), "-o", str(scored_tuned))
    assert status == 0, err
    assert [r["score"] for r in _rows(scored_plain)] != [r["score"] for r in _rows(scored_tuned)]


def test_the_template_of_init_settings_gives_the_default_signals(exports_folder: Path, tmp_path: Path) -> None:
    template = tmp_path / "signals.toml"
    status, _, err = _run("init-settings", "-o", str(template))
    assert status == 0, err
    assert f"-> {template}" in err
    assert load_signal_settings(template) == SignalSettings()
    assert template.read_text(encoding="utf-8").startswith("# Signal settings")
    assert _run("init-settings", "-o", str(template))[0] == 2  # exists: --force to replace
    assert _run("init-settings", "-o", str(template), "--force")[0] == 0
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    common = ["signals", str(exports_folder), "--as-of", "2025-04-15"]
    assert _run(*common, "-o", str(a))[0] == 0
    assert _run(*common, "--settings", str(template), "-o", str(b))[0] == 0
    assert a.read_text(encoding="utf-8") == b.read_text(encoding="utf-8")


def test_init_settings_to_stdout_in_each_format() -> None:
    status, out, _ = _run("init-settings")
    assert status == 0
    assert load_signal_settings(out, format="toml") == SignalSettings()
    status, out, _ = _run("init-settings", "--format", "json")
    assert status == 0
    assert load_signal_settings(json.loads(out)) == SignalSettings()


def test_a_bad_settings_file_is_one_line_exit_2_and_nothing_written(exports_folder: Path, tmp_path: Path) -> None:
    bad = tmp_path / "signals.toml"
    bad.write_text('kind = "signals"\nticket_days = "ninety"\n', encoding="utf-8")
    dest = tmp_path / "out.csv"
    for command in ("signals", "score"):
        status, _, err = _run(
            command, str(exports_folder), "--as-of", "2025-04-15", "--settings", str(bad), "-o", str(dest)
        )
        assert status == 2
        assert err == (
            f"healthscore: error: invalid signal settings in {bad}: ticket_days must be a number, got 'ninety' "
            "@ $.ticket_days\n"
        )
        assert not dest.exists()
    status, _, err = _run("signals", "--sql", "--settings", str(tmp_path / "missing.toml"))
    assert status == 2
    assert "the signal settings file does not exist" in err


def test_settings_change_the_printed_query(tmp_path: Path) -> None:
    pytest.importorskip("sqlglot", reason="the signal query needs the exports extra")
    settings_file = tmp_path / "signals.json"
    dump_signal_settings(SignalSettings(ticket_days=45), settings_file)
    status, default_sql, _ = _run("signals", "--sql", "--as-of", "2026-06-30")
    assert status == 0
    status, tuned_sql, err = _run("signals", "--sql", "--as-of", "2026-06-30", "--settings", str(settings_file))
    assert status == 0, err
    assert tuned_sql != default_sql
    assert re.search(r"< 45\b", tuned_sql)  # ticket ages, in days
    assert not re.search(r"< 45\b", default_sql)


def test_settings_with_a_csv_of_metric_values_is_an_error(tmp_path: Path) -> None:
    portfolio = tmp_path / "in.csv"
    portfolio.write_text("account_id,nps\nA1,40\n", encoding="utf-8")
    settings_file = tmp_path / "signals.toml"
    dump_signal_settings(SignalSettings(), settings_file)
    status, _, err = _run("score", str(portfolio), "--settings", str(settings_file), "-o", str(tmp_path / "o.csv"))
    assert status == 2
    assert "--settings sets how signals are computed from raw exports" in err


@pytest.mark.parametrize("command", ["signals", "score"])
def test_help_says_what_settings_does(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert "--settings FILE" in shown
    assert "keys left out keep their defaults" in shown
    assert "init-settings" in shown
