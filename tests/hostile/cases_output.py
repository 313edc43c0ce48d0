"""Text in outputs (issue: account ids run as spreadsheet formulas, control
characters in terminal tables, Japanese text out of line, Japanese TOML keys).

CSV: a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return gets a leading ``'``; number columns are written as they are.
Terminal tables: control characters are shown as escapes, columns are aligned
by display width. Parquet, JSON and Python values stay as they were.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from healthscore import ConfigError, dump_model, load_model, presets
from healthscore._io import display_width, read_csv
from healthscore.cli import main
from healthscore.datasets import generate_exports, write_exports
from healthscore.history import open_history
from hostile import ApiCase, CliCase

FORMULA_IDS = ("=1+1", "+1", "-5abc", "@SUM(A1)", '=HYPERLINK("http://x","y")')
"""Ids a spreadsheet would run, as they can arrive in an accounts CSV."""
RAW_FORMULA_IDS = (*FORMULA_IDS, "\tTAB", "\rCR")
"""Also a leading tab or carriage return: the CSV reader strips those from ids,
but an id given to the Python API keeps them."""
CONTROL_IDS = ("A\x1b[31mX\nY", "B\u202edlrow", "C\tD\rE\x00")
JAPANESE_IDS = ("株式会社テスト", "ＡＢＣ商事", "カ\u3099ンマ", "東京\u3000支店", "A1")
"""Wide kana and kanji, fullwidth Latin letters, a combining sound mark, an ideographic space."""
TODAY = dt.date.today()


def _quoted(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"' if any(c in cell for c in ',"\r\n') else cell


def _accounts_csv(ids: tuple[str, ...]) -> str:
    rows = [f"{_quoted(a)},{i % 7},{0.1 + 0.1 * i:.1f}" for i, a in enumerate(ids)]
    return "account_id,active_days,penetration\n" + "\n".join(rows) + "\n"


def _run(*argv: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    assert status == 0, err.getvalue()
    return out.getvalue()


def _history(folder: Path, ids: tuple[str, ...], *, falling: bool = True) -> str:
    """A history of ``ids`` with two snapshots a month apart; the scores fall
    (a negative ``change_30``) so that every account is in the action queue."""
    target = str(folder / "h.db")
    model = presets.three_dimension()
    n = len(ids)
    with open_history(target) as store:
        for days_ago, level in ((30, 0.9), (0, 0.1 if falling else 0.9)):
            columns = {"penetration": np.full(n, level), "nps": np.full(n, 100.0 * level - 20)}
            scored = model.score_batch(columns, missing_columns="missing")
            store.write_snapshot(model, TODAY - dt.timedelta(days=days_ago), list(ids), scored, arr=np.full(n, 1e3))
    return target


def _csv_column(text: str, name: str) -> list[str]:
    """One column of CSV text, read by the package's reader (the case runs in its own folder)."""
    path = Path("out.csv")
    path.write_text(text, encoding="utf-8")
    return [str(cell) for cell in read_csv(path).columns[name].tolist()]


# --------------------------------------------------------------------------- CSV output


def _neutralised(ids: tuple[str, ...]) -> list[str]:
    return ["'" + a for a in ids]


def _check_scored(folder: Path) -> None:
    table = read_csv(folder / "out.csv")
    assert table.columns["account_id"].tolist() == _neutralised(FORMULA_IDS)
    assert all(float(s) >= 0 for s in table.columns["score"].tolist())  # numbers stay numbers


def _action_queue(folder: Path) -> object:
    target = _history(folder, RAW_FORMULA_IDS)
    return tuple(_run("actions", "--history", target, "--format", kind) for kind in ("csv", "json"))


def _check_action_queue(value: Any) -> None:
    text, records = value
    assert sorted(_csv_column(text, "account_id")) == sorted(_neutralised(RAW_FORMULA_IDS))
    changes = [float(c) for c in _csv_column(text, "change_30")]
    assert changes
    assert all(c < 0 for c in changes)
    assert sorted(r["account_id"] for r in json.loads(records)) == sorted(RAW_FORMULA_IDS)  # JSON unchanged


def _history_export(folder: Path) -> object:
    target = _history(folder, RAW_FORMULA_IDS)
    with open_history(target) as store:
        store.export(folder / "h.csv")
        parquet = None
        try:
            store.export(folder / "h.parquet")
            import pyarrow.parquet as pq

            parquet = pq.read_table(folder / "h.parquet").column("account_id").to_pylist()
        except ImportError:  # pragma: no cover -- without pyarrow
            pass
        stored = store.read()["account_id"].tolist()
    return read_csv(folder / "h.csv"), parquet, stored


def _check_history_export(value: Any) -> None:
    table, parquet, stored = value
    assert sorted(set(table.columns["account_id"].tolist())) == sorted(_neutralised(RAW_FORMULA_IDS))
    assert all(float(s) >= 0 for s in table.columns["score"].tolist())
    assert sorted(set(stored)) == sorted(RAW_FORMULA_IDS)  # Python values unchanged
    assert parquet is None or sorted(set(parquet)) == sorted(RAW_FORMULA_IDS)  # Parquet unchanged


def _override_texts(folder: Path) -> object:
    target = _history(folder, ("=A1",), falling=False)
    with open_history(target) as store:
        store.set_override(
            "=A1", band="red", reason="=cmd|' /C calc'!A0", author="@admin", expires=TODAY + dt.timedelta(days=30)
        )
    return (
        _run("override", "--history", target, "--format", "csv"),
        _run("history", "=A1", "--history", target, "--format", "csv"),
    )


def _check_override_texts(value: Any) -> None:
    overrides, series = value
    assert _csv_column(overrides, "account_id") == ["'=A1"]
    assert _csv_column(overrides, "reason") == ["'=cmd|' /C calc'!A0"]
    assert _csv_column(overrides, "author") == ["'@admin"]
    assert _csv_column(series, "override")[-1].startswith("'=cmd|")


def _written_exports(folder: Path) -> object:
    tables = {"accounts": {"account_id": np.array(["-5abc", "A2", "=1+1"]), "arr": np.array([-5.0, 3.5, 0.0])}}
    write_exports(tables, folder / "exports")
    return read_csv(folder / "exports" / "accounts.csv")


def _check_written_exports(value: Any) -> None:
    assert value.columns["account_id"].tolist() == ["'-5abc", "A2", "'=1+1"]
    assert value.columns["arr"].tolist() == ["-5.0", "3.5", "0.0"]


def _signals(folder: Path) -> object:
    write_exports(generate_exports(15, 120, seed=4).tables, folder / "exports")
    return _run("signals", str(folder / "exports"), "--as-of", "2025-04-15", "-o", "-")


def _check_signals(value: Any) -> None:
    text = str(value)
    assert "'" not in text  # signal values: numbers, and texts that start with a letter
    assert ",-" in text  # negative numbers (NPS, sentiment) are written as numbers


# --------------------------------------------------------------------------- terminal tables


def _actions_table(ids: tuple[str, ...]) -> Any:
    def call(folder: Path) -> object:
        return _run("actions", "--history", _history(folder, ids), "--format", "table")

    return call


def _check_escaped(value: Any) -> None:
    text = str(value)
    for raw in ("\x1b", "\u202e", "\r", "\x00", "\t"):
        assert raw not in text, repr(raw)
    assert "A\\x1b[31mX\\nY" in text
    assert "B\\u202edlrow" in text
    assert "C\\tD\\rE\\x00" in text
    assert len(text.splitlines()) == 1 + len(CONTROL_IDS)  # no row broken over lines


def _on_screen(line: str) -> str:
    """``line`` as the terminal lays it out: a wide character takes two columns."""
    return "".join(c * display_width(c) for c in line)


def _check_aligned(value: Any) -> None:
    header, *rows = [_on_screen(line) for line in str(value).splitlines()]
    assert len(rows) == len(JAPANESE_IDS)
    for name in ("account_id", "score", "band", "alert"):
        at = header.index(name)
        for row in rows:
            assert row[at - 2 : at] == "  ", f"{name!r} out of line: {row}"
            assert row[at] != " ", f"{name!r} out of line: {row}"
    assert all(float(row[header.index("score") :].split()[0]) >= 0 for row in rows)


def _history_table(folder: Path) -> object:
    target = _history(folder, ("A1",), falling=False)
    with open_history(target) as store:
        store.set_override(
            "A1", band="red", reason="left\n\x1b[2Jcleared", author="dana\tx", expires=TODAY + dt.timedelta(days=30)
        )
    return _run("history", "A1", "--history", target, "--format", "table") + _run(
        "override", "--history", target, "--format", "table"
    )


def _check_history_table(value: Any) -> None:
    text = str(value)
    assert "\x1b" not in text
    assert "\t" not in text
    assert "left\\n\\x1b[2Jcleared" in text
    assert "dana\\tx" in text
    assert len(text.splitlines()) == 2 + 1 + 2  # history: header and 2 rows; overrides: header and 1 row


# --------------------------------------------------------------------------- Japanese names and TOML keys

JAPANESE_MODEL = """\
kind = "model"
name = "日本語モデル"

[[bands]]
name = "良好"
min_score = 70

[[bands]]
name = "注意"
min_score = 40

[[bands]]
name = "危険"
min_score = 0

[[dimensions]]
name = "利用状況"
weight = 60

[[dimensions.metrics]]
name = "利用率"
scorer = { kind = "piecewise", points = [[0, 0], [0.5, 60], [1, 100]] }

[[dimensions]]
name = "関係"
weight = 40

[[dimensions.metrics]]
name = "予算動向"
scorer = { kind = "categories", table = { "増加" = 95, "横ばい" = 70, "減少" = 15 }, unknown = 50 }
"""
"""The model of docs/config.md: Japanese names are strings anywhere, and a
Japanese key (a category label) is quoted."""


def _japanese_round_trip(_folder: Path) -> object:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "config.md").read_text(encoding="utf-8")
    assert f'JAPANESE = """\n{JAPANESE_MODEL}"""' in docs  # the example of the docs is the one tested
    model = load_model(JAPANESE_MODEL, format="toml")
    text = dump_model(model)
    return model, text, load_model(text, format="toml")


def _check_japanese_round_trip(value: Any) -> None:
    model, text, again = value
    assert again == model
    assert '"増加" = 95.0' in text
    assert '"横ばい" = 70.0' in text
    assert model.score({"利用率": 0.8, "予算動向": "横ばい"}).band == "良好"


def _validate_japanese(folder: Path) -> object:
    (folder / "jp.toml").write_text(JAPANESE_MODEL, encoding="utf-8")
    return _run("validate-model", str(folder / "jp.toml"))


def _check_validate_aligned(value: Any) -> None:
    lines = [_on_screen(line) for line in str(value).splitlines()]
    dims = [line for line in lines if line.startswith("  ") and not line.startswith("    ") and ":" not in line]
    metrics = [line for line in lines if line.startswith("    ")]
    assert len(dims) == 2
    assert len(metrics) == 2
    for group in (dims, metrics):
        assert len({line.index("%") for line in group}) == 1, group


def _demo_japanese_bands(folder: Path) -> object:
    text = dump_model(presets.three_dimension()).replace('name = "green"', 'name = "良好"')
    text = text.replace('name = "orange"', 'name = "要注意"')
    text = text.replace('"Immediate management escalation"', '"Immediate\\u001b[2J escalation"')  # clears a screen
    (folder / "m.toml").write_text(text, encoding="utf-8")
    return _run("demo", "--model", str(folder / "m.toml"), "--top", "60", "--accounts", "60")


def _check_demo_aligned(value: Any) -> None:
    lines = [_on_screen(line) for line in str(value).splitlines()]
    header = next(line for line in lines if line.endswith("top drivers"))
    ranked = [line for line in lines if line.startswith("  A0")]
    assert "\x1b" not in str(value)
    assert "Immediate\\x1b[2J escalation" in str(value)
    assert "要注意" in str(value)
    assert "良好" in str(value)
    for name in ("band", "alert"):
        at = header.index(name)
        assert all(row[at - 1] == " " and row[at] != " " for row in ranked), name


CASES: list[CliCase | ApiCase] = [
    CliCase(
        id="csv-formula-ids-in-scored-csv",
        argv=("score", "a.csv", "-o", "out.csv"),
        files={"a.csv": _accounts_csv(FORMULA_IDS)},
        status=0,
        check=_check_scored,
    ),
    CliCase(
        id="csv-formula-ids-in-scored-csv-on-stdout",
        argv=("score", "a.csv", "-o", "-"),
        files={"a.csv": _accounts_csv(FORMULA_IDS)},
        status=0,
        stdout=("\n'=1+1,", "\n'+1,", "\n'-5abc,", "\n'@SUM(A1),", '\n"\'=HYPERLINK(""http://x"",""y"")",'),
    ),
    ApiCase(id="csv-formula-ids-in-action-queue", call=_action_queue, check=_check_action_queue),
    ApiCase(id="csv-formula-ids-in-history-export", call=_history_export, check=_check_history_export),
    ApiCase(id="csv-formula-text-in-overrides-and-history", call=_override_texts, check=_check_override_texts),
    ApiCase(id="csv-formula-text-in-written-exports", call=_written_exports, check=_check_written_exports),
    ApiCase(id="csv-negative-signals-stay-numbers", call=_signals, check=_check_signals),
    ApiCase(id="terminal-control-characters-in-actions-table", call=_actions_table(CONTROL_IDS), check=_check_escaped),
    ApiCase(id="terminal-control-characters-in-history-tables", call=_history_table, check=_check_history_table),
    ApiCase(id="japanese-account-names-align-in-table", call=_actions_table(JAPANESE_IDS), check=_check_aligned),
    ApiCase(id="japanese-names-align-in-validate-model", call=_validate_japanese, check=_check_validate_aligned),
    ApiCase(id="demo-japanese-and-escape-codes-in-model-names", call=_demo_japanese_bands, check=_check_demo_aligned),
    ApiCase(id="toml-japanese-keys-quoted-round-trip", call=_japanese_round_trip, check=_check_japanese_round_trip),
    CliCase(
        id="toml-japanese-key-unquoted",
        argv=("validate-model", "m.toml"),
        files={"m.toml": JAPANESE_MODEL.replace('"増加"', "増加")},
        stderr=("m.toml", "not valid TOML", "line 30", "must be quoted"),
    ),
    ApiCase(
        id="toml-japanese-key-unquoted-api",
        call=lambda _f: load_model(JAPANESE_MODEL.replace('"横ばい"', "横ばい"), format="toml"),
        raises=ConfigError,
        match="not valid TOML.*line 30",
    ),
]
