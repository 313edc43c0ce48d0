"""The command line: scoring CSV files, validating models, the demo."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from healthscore import HealthModel, dump_model, load_model, model_fingerprint, presets
from healthscore.cli import _output_rows, _Progress, main
from healthscore.exceptions import InputError
from healthscore.history import open_history

HEADER = "account_id,penetration,executive_engagement,nps,outcome_achievement\n"
GOOD = HEADER + "A1,0.9,quarterly,40,1.0\nA2,0.3,none,-50,0.2\nA3,,annual,,\n"


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def _write(tmp_path: Path, text: str, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_score_writes_every_account_with_its_columns(tmp_path: Path) -> None:
    src = _write(tmp_path, GOOD)
    dest = tmp_path / "out.csv"
    status, _, err = _run("score", str(src), "-o", str(dest))
    assert status == 0, err
    rows = _rows(dest)
    # riskiest first: the lowest score leads, and the scores never go down the file
    scores = [float(r["score"]) for r in rows]
    assert scores == sorted(scores)
    by_id = {r["account_id"]: r for r in rows}
    assert sorted(by_id) == ["A1", "A2", "A3"]
    assert list(rows[0]) == [
        "account_id",
        "score",
        "band",
        "alert",
        "product",
        "relationship",
        "business",
        "coverage",
        "driver_1",
        "driver_1_points",
        "driver_2",
        "driver_2_points",
        "driver_3",
        "driver_3_points",
    ]
    model = presets.three_dimension()
    expected = model.score(
        {"penetration": 0.9, "executive_engagement": "quarterly", "nps": 40, "outcome_achievement": 1.0}
    )
    assert expected.score is not None
    assert float(by_id["A1"]["score"]) == pytest.approx(expected.score, abs=1e-3)
    assert by_id["A1"]["band"] == expected.band
    if expected.drivers:
        assert by_id["A1"]["driver_1"] == expected.drivers[0].name
        assert float(by_id["A1"]["driver_1_points"]) == pytest.approx(expected.drivers[0].points_lost, abs=0.05)
    assert by_id["A2"]["band"] == "red"
    assert by_id["A2"]["driver_1"] in {"penetration", "outcome_achievement", "executive_engagement", "nps"}
    assert float(by_id["A2"]["driver_1_points"]) > 0
    assert by_id["A3"]["relationship"] != ""  # observed: executive_engagement
    assert "scored as missing" in err  # the preset's other metrics are not in the file


def test_score_with_a_model_file_and_stdout(tmp_path: Path) -> None:
    model_file = tmp_path / "dear.toml"
    dump_model(presets.dear(), model_file)
    src = _write(tmp_path, "account_id,deployment,onboarding_completed\nX,0.8,yes\nY,0.1,no\n")
    status, out, _ = _run("score", "--model", str(model_file), str(src), "-o", "-")
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["account_id"], r["band"]) for r in rows] == [("Y", "red"), ("X", "green")]  # riskiest first
    assert "deployment" in rows[0]
    assert "roi" in rows[0]


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ("id,penetration\nA,0.5\n", ["missing column 'account_id'"]),
        (HEADER + "A1,0.9,quarterly,40,1.0\nA2,abc,none,1,1\n", ["line 3", "'penetration'", "'abc'", "not a number"]),
        (HEADER + "A1,0.9,weekly,40,1.0\n", ["line 2", "'executive_engagement'", "'weekly'", "allowed"]),
        (HEADER + "A1,0.9,quarterly,40,1.0\nA1,0.5,none,1,1\n", ["line 3", "duplicate account id 'A1'", "line 2"]),
        (HEADER + ",0.9,quarterly,40,1.0\n", ["line 2", "empty account id"]),
        (HEADER + "A1,0.9,quarterly\n", ["line 2", "expected 5 cells"]),
        ("account_id,colour\nA,red\n", ["none of the model's metrics"]),
        (HEADER + "A1,nan,quarterly,40,1.0\n", ["line 2", "'nan'", "not a number"]),
    ],
)
def test_bad_input_exits_2_names_the_problem_and_writes_nothing(tmp_path: Path, text: str, needles: list[str]) -> None:
    src = _write(tmp_path, text)
    dest = tmp_path / "out.csv"
    status, _, err = _run("score", str(src), "-o", str(dest))
    assert status == 2
    for needle in needles:
        assert needle in err
    assert not dest.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]  # no temporary file left either


def test_bad_input_keeps_an_existing_output_untouched(tmp_path: Path) -> None:
    dest = _write(tmp_path, "previous run\n", "out.csv")
    src = _write(tmp_path, HEADER + "A1,oops,quarterly,40,1.0\n")
    status, _, _ = _run("score", str(src), "-o", str(dest))
    assert status == 2
    assert dest.read_text() == "previous run\n"


def test_missing_input_file_is_a_clear_error(tmp_path: Path) -> None:
    status, _, err = _run("score", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "o.csv"))
    assert status == 2
    assert "nope.csv" in err
    assert "cannot read" in err


def test_validate_model_reports_valid_and_invalid_files(tmp_path: Path) -> None:
    good = tmp_path / "m.toml"
    dump_model(presets.three_dimension(), good)
    status, out, _ = _run("validate-model", str(good))
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == f"{good}: valid (fingerprint {model_fingerprint(presets.three_dimension())})"
    assert [line.split() for line in lines if line.split()[:1] == ["penetration"]] == [
        ["penetration", "8.0%", "numeric"]
    ]
    bad = tmp_path / "bad.toml"
    bad.write_text(good.read_text().replace("weight = 3.0", "weight = -1.0", 1))
    status, _, err = _run("validate-model", str(bad))
    assert status == 2
    assert "weight must be >= 0, got -1.0 @ $.dimensions[0].metrics[4].weight" in err


def test_validate_segmented_model(tmp_path: Path) -> None:
    path = tmp_path / "seg.json"
    dump_model(presets.segmented(), path)
    status, out, _ = _run("validate-model", str(path))
    assert status == 0
    lines = out.splitlines()
    assert "segment 'enterprise':" in lines
    assert "default (unknown segments):" in lines


def test_init_model_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "dear.yaml"
    status, _, _ = _run("init-model", "dear", "-o", str(path))
    assert status == 0
    status, out, _ = _run("validate-model", str(path))
    assert status == 0
    assert "model dear" in out


def test_segmented_model_scores_each_segment(tmp_path: Path) -> None:
    model_file = tmp_path / "seg.toml"
    dump_model(presets.segmented(), model_file)
    src = _write(tmp_path, "account_id,segment,penetration,nps\nA,enterprise,0.5,10\nB,smb,0.5,10\nC,,0.5,10\n")
    status, out, err = _run("score", "--model", str(model_file), str(src), "-o", "-")
    assert status == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["account_id"]: r["model"] for r in rows} == {"A": "enterprise", "B": "smb", "C": "three_dimension"}


def test_a_lost_customer_leaves_the_demos_book(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A customer lost before a week's date is not in that week's snapshot
    (no one to call), and one lost within the history is in the snapshots
    before it left; the ranking is of the last week's book, and the text
    counts the accounts lost after it and how many the top rows caught."""
    monkeypatch.chdir(tmp_path)
    status, out, _ = _run("demo", "--top", "15", "--no-dashboard")
    assert status == 0
    with (tmp_path / "healthscore-demo" / "churn.csv").open(newline="") as f:
        churn = {r["account_id"]: r["churn_date"] for r in csv.DictReader(f)}
    with open_history(tmp_path / "healthscore-demo" / "history.db") as store:
        days = [s.as_of[:10] for s in store.snapshots()]
        books = {day: set(store.snapshot_columns(day, model=None)["account_id"].tolist()) for day in days}
    for day, book in books.items():
        assert not {a for a in book if a in churn and churn[a] <= day}, day
    scored_then_lost = {a for a, d in churn.items() if days[0] < d <= days[-1]}
    assert scored_then_lost
    assert all(a in books[days[0]] for a in scored_then_lost)
    ahead = {a for a, d in churn.items() if d > days[-1]}
    assert ahead
    assert ahead <= books[days[-1]]
    ranked = [line.split()[0] for line in out.splitlines() if line.strip().startswith("A0")]
    assert len(ranked) == 15
    assert set(ranked) <= books[days[-1]]
    assert f"The book on Dec 31, 2025 ({len(books[days[-1]])} accounts) ranked by risk" in out
    caught = len(ahead & set(ranked))
    assert f"{len(ahead)} accounts still in the book on Dec 31, 2025 churn after it; {caught} of them" in out


def test_demo_ranks_accounts_and_shows_bands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the demo writes its history and dashboard here
    status, out, _ = _run("demo", "--top", "5", "--no-dashboard")
    assert status == 0
    lines = out.splitlines()
    ranked = [line for line in lines if line.strip().startswith("A0")]
    assert len(ranked) == 5
    scores = [float(line.split()[3]) for line in ranked]
    assert scores == sorted(scores)
    bands = presets.three_dimension().bands.bands
    for line in ranked:  # the band column is the band of the score column (shown to 0.1: 39.96 reads 40.0)
        score, band = float(line.split()[3]), line.split()[4]
        assert band in {next(b.name for b in bands if s >= b.min_score) for s in (score - 0.05, score + 0.05)}, line
    start = lines.index("Band distribution:")
    counts = {line.split()[0]: int(line.split()[1]) for line in lines[start + 1 : start + 1 + len(bands)]}
    assert list(counts) == [b.name for b in bands]
    (book,) = re.findall(r"The book on .* \((\d+) accounts\)", out)
    assert sum(counts.values()) == int(book)  # every account in the book lands in one band


def test_python_dash_m_works_the_same(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "healthscore", "demo", "--top", "3"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "Band distribution:" in done.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "healthscore", "validate-model", "missing.toml"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert "missing.toml" in bad.stderr


def _exports_folder(tmp_path: Path) -> Path:
    from healthscore.datasets import generate_exports, write_exports

    folder = tmp_path / "exports"
    write_exports(generate_exports(15, 120, seed=4).tables, folder)
    return folder


def test_signals_from_a_folder_of_exports(tmp_path: Path) -> None:
    folder = _exports_folder(tmp_path)
    dest = tmp_path / "signals.csv"
    status, _, err = _run("signals", str(folder), "--as-of", "2025-04-15", "-o", str(dest))
    assert status == 0, err
    rows = _rows(dest)
    assert len(rows) == 15
    assert list(rows[0])[:3] == ["account_id", "active_days", "days_since_last_login"]
    assert rows[0]["executive_engagement"] in {"quarterly", "annual", "aware", "none"}


def test_score_straight_from_exports_matches_scoring_the_signals(tmp_path: Path) -> None:
    folder = _exports_folder(tmp_path)
    signals_csv, direct, via = tmp_path / "s.csv", tmp_path / "direct.csv", tmp_path / "via.csv"
    assert _run("signals", str(folder), "--as-of", "2025-04-15", "-o", str(signals_csv))[0] == 0
    assert _run("score", str(folder), "--as-of", "2025-04-15", "-o", str(direct))[0] == 0
    assert _run("score", str(signals_csv), "-o", str(via))[0] == 0
    a, b = _rows(direct), _rows(via)
    assert [r["account_id"] for r in a] == [r["account_id"] for r in b]
    for x, y in zip(a, b, strict=True):
        assert x["band"] == y["band"]
        assert float(x["score"]) == pytest.approx(float(y["score"]), abs=2e-3)  # signals CSV keeps 6 digits


def test_exports_need_an_as_of_date(tmp_path: Path) -> None:
    folder = _exports_folder(tmp_path)
    status, _, err = _run("score", str(folder), "-o", str(tmp_path / "o.csv"))
    assert status == 2
    assert "--as-of" in err


def test_bad_export_rows_stop_or_go_to_a_side_file(tmp_path: Path) -> None:
    folder = _exports_folder(tmp_path)
    events = folder / "events.csv"
    lines = events.read_text().splitlines()
    cells = lines[3].split(",")
    cells[2] = "not-a-date"
    lines[3] = ",".join(cells)
    events.write_text("\n".join(lines) + "\n")
    dest = tmp_path / "signals.csv"
    status, _, err = _run("signals", str(folder), "--as-of", "2025-04-15", "-o", str(dest))
    assert status == 2
    assert "events.csv line 4, column 'timestamp'" in err
    assert "not-a-date" in err
    assert not dest.exists()
    status, _, err = _run("signals", str(folder), "--as-of", "2025-04-15", "-o", str(dest), "--on-bad-rows", "report")
    assert status == 0, err
    rejected = _rows(Path(f"{dest}.rejected.csv"))
    assert len(rejected) == 1
    assert rejected[0]["line"] == "4"
    assert rejected[0]["value"] == "not-a-date"
    assert rejected[0]["reason"] == (
        "not an ISO 8601 date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM]) in the years 1970 to 2199"
    )


# --------------------------------------------------------------------------- history, actions, overrides


def test_score_history_actions_override_export_round_trip(tmp_path: Path, history_target: str) -> None:
    may = _write(tmp_path, "account_id,penetration,nps,arr\nA1,0.9,60,1000\nA2,0.9,60,5000\nA3,0.9,60,\n", "may.csv")
    june = _write(tmp_path, "account_id,penetration,nps,arr\nA1,0.2,60,1000\nA2,0.3,-80,5000\nA3,0.9,60,\n", "j.csv")
    for src, day in ((may, "2026-05-31"), (june, "2026-06-29")):
        status, _, err = _run(
            "score", str(src), "-o", str(tmp_path / "out.csv"), "--history", history_target, "--as-of", day
        )
        assert status == 0, err
        assert f"snapshot as of {day} (3 accounts" in err

    status, out, _ = _run("actions", "--history", history_target, "--as-of", "2026-06-30", "--format", "json")
    assert status == 0
    queue = json.loads(out)
    assert [a["account_id"] for a in queue] == ["A2", "A1"]  # both critical with a drop: the bigger fall first
    assert queue[0]["drop_alert"] is True
    assert queue[0]["arr"] == 5000.0
    assert queue[0]["playbook"][0] == "Immediate management escalation"
    status, out, _ = _run("actions", "--history", history_target, "--limit", "1")
    assert status == 0
    assert out.splitlines()[0].split()[:3] == ["rank", "account_id", "score"]
    assert len(out.splitlines()) == 2

    status, out, err = _run(
        "override",
        "A3",
        "--history",
        history_target,
        "--score",
        "12",
        "--reason",
        "exec left",
        "--author",
        "dana",
        "--starts",
        "2026-06-01",
        "--expires",
        "2099-01-01",
    )
    assert status == 0, err
    status, out, _ = _run("history", "A3", "--history", history_target, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["as_of"], r["score"]) for r in rows] == [
        ("2026-05-31", rows[0]["computed_score"]),
        ("2026-06-29", "12.0"),
    ]
    assert rows[1]["computed_score"] == rows[0]["computed_score"]  # the computed value is kept beside the override
    assert "exec left (dana" in rows[1]["override"]
    status, out, _ = _run("override", "--history", history_target, "--format", "csv")
    assert [r["account_id"] for r in csv.DictReader(io.StringIO(out))] == ["A3"]
    # the next scoring run does not overwrite it, and says so
    status, _, err = _run(
        "score", str(june), "-o", str(tmp_path / "out.csv"), "--history", history_target, "--as-of", "2026-07-06"
    )
    assert "1 account(s) keep a manual override" in err
    status, out, _ = _run("actions", "--history", history_target, "--format", "csv")
    assert "A3" in [r["account_id"] for r in csv.DictReader(io.StringIO(out))]

    status, _, err = _run("export-history", "--history", history_target, "-o", str(tmp_path / "h.csv"))
    assert status == 0, err
    assert len(_rows(tmp_path / "h.csv")) == 9


def test_history_commands_name_what_is_wrong(tmp_path: Path) -> None:
    store = str(tmp_path / "h.db")
    status, _, err = _run("history", "nobody", "--history", store)
    assert status == 2
    assert f"history file {store} does not exist" in err
    assert not Path(store).exists()  # a command that only reads creates nothing
    good = _write(tmp_path, "account_id,penetration\nA1,0.5\n", "good.csv")
    status, _, err = _run("score", str(good), "-o", str(tmp_path / "g.csv"), "--history", store)
    assert status == 0, err
    assert f"created history file {store}" in err
    status, _, err = _run("history", "nobody", "--history", store)
    assert status == 2
    assert "no snapshots of account 'nobody'" in err
    status, _, err = _run(
        "override", "A1", "--history", store, "--score", "10", "--author", "a", "--expires", "2099-1-1"
    )
    assert status == 2
    assert "setting an override needs --reason" in err
    status, _, err = _run("override", "--history", store, "--revoke", "abc", "--author", "a")
    assert status == 2
    assert "no override with id 'abc'" in err
    bad = _write(tmp_path, "account_id,penetration,arr\nA1,0.5,lots\n")
    status, _, err = _run("score", str(bad), "-o", str(tmp_path / "o.csv"), "--history", store)
    assert status == 2
    assert "line 2, column 'arr': not a number: 'lots'" in err
    assert not (tmp_path / "o.csv").exists()  # nothing written when the input is bad


# --------------------------------------------------------------------------- backtest and fit


def test_backtest_and_fit_from_the_command_line(tmp_path: Path) -> None:
    import numpy as np

    from healthscore.datasets import generate_driver_portfolio

    scores = _write(
        tmp_path,
        "account_id,as_of,score,band\n"
        + "".join(
            f"a{i},2026-0{m}-01,{s},{b}\n" for i, (s, b) in enumerate([(85, "green"), (30, "red")] * 5) for m in (1, 2)
        ),
        "scores.csv",
    )
    churn = _write(tmp_path, "account_id,churn_date\na1,2026-03-01\na3,2026-03-10\n", "churn.csv")
    status, out, err = _run(
        "backtest",
        "--scores",
        str(scores),
        "--churn",
        str(churn),
        "--horizons",
        "30",
        "--json",
        str(tmp_path / "r.json"),
    )
    assert status == 0, err
    assert "AUC" in out
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["horizons"][0]["days"] == 30
    assert data["lead_time"]["flagged"] == 2.0

    gen = generate_driver_portfolio(1500, seed=2)
    header = [*gen["columns"], "churned"]
    rows = zip(*[np.asarray(v).tolist() for v in gen["columns"].values()], gen["churned"].tolist(), strict=True)
    data_csv = tmp_path / "data.csv"
    data_csv.write_text(
        ",".join(header)
        + "\n"
        + "".join(",".join("" if isinstance(v, float) and v != v else str(v) for v in row) + "\n" for row in rows)
    )
    model_file = tmp_path / "m.toml"
    dump_model(gen["model"], model_file)
    status, out, err = _run(
        "fit",
        "reweight",
        str(data_csv),
        "--outcome",
        "churned",
        "--model",
        str(model_file),
        "-o",
        str(tmp_path / "new.toml"),
        "--bootstrap",
        "10",
    )
    assert status == 0, err
    assert "cross-validated" in out
    refit = load_model(tmp_path / "new.toml")
    assert isinstance(refit, HealthModel)
    assert refit.metric_names == gen["model"].metric_names
    weights = refit.metric_weights
    assert weights["usage"] > weights["noise_product"]  # the true driver outweighs the noise after the fit
    assert weights != pytest.approx(gen["model"].metric_weights)
    status, out, err = _run(
        "fit",
        "scorecard",
        str(data_csv),
        "--outcome",
        "churned",
        "--kind",
        "usage=higher_is_better",
        "--kind",
        "nps=higher_is_better",
        "-o",
        str(tmp_path / "s.toml"),
        "--report",
        str(tmp_path / "s.txt"),
    )
    assert status == 0, err
    assert "bands fitted to churn" in (tmp_path / "s.txt").read_text()
    status, _, err = _run("validate-model", str(tmp_path / "s.toml"))
    assert status == 0, err
    status, out, err = _run("fit", "scorecard", str(data_csv), "--outcome", "churned", "-o", str(tmp_path / "x.toml"))
    assert status == 0, err  # no kinds named: every column but the outcome, its shape learned
    assert "auto: increasing" in out
    assert "churned " not in out
    status, _, err = _run("backtest", "--churn", str(churn))
    assert status == 2
    assert "needs --history FILE_OR_URL or --scores" in err


@pytest.mark.parametrize("engine_missing", [False, True])
def test_read_portfolio_csv_raises_input_error_on_physical_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine_missing: bool
) -> None:
    from healthscore import _io
    from healthscore.cli import read_portfolio_csv
    from healthscore.exceptions import InputError

    if engine_missing:  # the standard library path
        monkeypatch.setattr(_io, "_has_pyarrow", lambda: False)
    path = tmp_path / "p.csv"
    path.write_text('account_id,penetration,note\n"A\n1",0.5,x\n\nA2,NA,y\n', encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_portfolio_csv(path, presets.three_dimension())
    assert str(info.value).startswith(f"{path} line 5, column 'penetration': 'NA' is not a number")
    assert "leave the cell empty" in str(info.value)
    assert (info.value.row, info.value.column, info.value.value) == (5, "penetration", "NA")


# --------------------------------------------------------------------------- outputs, pipes, progress


def _child(*argv: str, **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run([sys.executable, *argv], env=env, check=False, capture_output=True, timeout=120, **kwargs)


def test_piping_into_head_exits_quietly(tmp_path: Path) -> None:
    shell = f"{shlex.quote(sys.executable)} -m healthscore demo --accounts 50 | head -1"
    done = _child(
        "-c", f"import subprocess, sys; sys.exit(subprocess.run({shell!r}, shell=True).returncode)", cwd=tmp_path
    )
    assert done.returncode == 0
    assert done.stdout.decode().startswith("healthscore ")
    assert b"Traceback" not in done.stderr
    assert b"BrokenPipe" not in done.stderr


def test_a_broken_pipe_ends_with_status_141_and_no_message() -> None:
    code = "import healthscore.cli as c\ndef gone(): raise BrokenPipeError\nc.main = gone\nc.run()"
    done = _child("-c", code)
    assert done.returncode == 141
    assert done.stderr == b""


def test_ctrl_c_exits_130_without_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(HealthModel, "score_batch", interrupted)
    src = _write(tmp_path, GOOD)
    status, _, err = _run("score", str(src), "-o", str(tmp_path / "out.csv"))
    assert status == 130
    assert "healthscore: interrupted" in err
    assert not (tmp_path / "out.csv").exists()


def test_history_failure_leaves_no_scored_csv(tmp_path: Path) -> None:
    src = _write(tmp_path, GOOD)
    (tmp_path / "h.db").write_text("not a database", encoding="utf-8")
    status, _, err = _run("score", str(src), "-o", str(tmp_path / "out.csv"), "--history", str(tmp_path / "h.db"))
    assert status == 2
    assert "is not a SQLite history database" in err
    assert not (tmp_path / "out.csv").exists()


def test_read_only_history_opens_without_writing(tmp_path: Path) -> None:
    store = tmp_path / "h.db"
    src = _write(tmp_path, GOOD)
    assert _run("score", str(src), "-o", "-", "--history", str(store), "--as-of", "2026-06-30")[0] == 0
    with open_history(store) as history:  # fold the write-ahead log in, as a closed store has
        history.snapshots()
    before = store.read_bytes()
    with open_history(store, read_only=True) as history:
        assert len(history.snapshots()) == 1
    assert store.read_bytes() == before
    with pytest.raises(InputError, match="does not exist"):
        open_history(tmp_path / "other.db", create=False)
    assert not (tmp_path / "other.db").exists()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_on_a_terminal_after_a_while_only() -> None:
    terminal = _Terminal()
    with _Progress(terminal, after=0.0) as progress:
        progress.stage("scoring 5 accounts")
        time.sleep(1.2)
        progress.note("note: done")
        time.sleep(0.7)  # drawn again under the note
    text = terminal.getvalue()
    assert "healthscore: scoring 5 accounts" in text
    assert "note: done\n" in text
    assert text.endswith("\r\x1b[K")  # the progress line is cleared at the end
    pipe = io.StringIO()
    with _Progress(pipe, after=0.0) as progress:
        progress.stage("scoring 5 accounts")
        time.sleep(0.7)
    assert pipe.getvalue() == ""
    quick = _Terminal()
    with _Progress(quick) as progress:  # finished before the couple of seconds
        progress.stage("scoring 5 accounts")
    assert quick.getvalue() == ""


def test_score_output_rows_keep_their_formatting() -> None:
    model = presets.three_dimension()
    scored = model.score_batch(
        {"penetration": [0.9, math.nan], "nps": [40.0, math.nan]}, drivers=3, missing_columns="missing"
    )
    header, rows = _output_rows(["A", "B"], scored)
    assert len(rows) == 2
    first = dict(zip(header, rows[0], strict=True))
    assert first["score"] == f"{scored.score[0]:.3f}"
    assert first["coverage"] == f"{scored.coverage[0]:.4f}"
    assert first["band"] == str(scored.band[0])
    second = dict(zip(header, rows[1], strict=True))
    assert second["score"] == ""
    assert second["band"] == ""


def test_a_history_nobody_may_write_is_still_read(tmp_path: Path) -> None:
    """A history file and folder without write permission (as another user
    sees a shared, archived store): the commands that only read still work."""
    as_other: list[str] = []
    if os.geteuid() == 0:  # root may write anything: read as an unprivileged user instead
        runuser = shutil.which("runuser")
        if runuser is None:
            pytest.skip("needs runuser to drop root's privileges")
        as_other = [runuser, "-u", "nobody", "--"]
    folder = Path(tempfile.mkdtemp(prefix="hs-ro-", dir="/tmp"))  # /tmp: reachable by that user
    try:
        src = _write(folder, GOOD)
        store = folder / "h.db"
        assert _run("score", str(src), "-o", "-", "--history", str(store), "--as-of", "2026-06-30")[0] == 0
        before = store.read_bytes()
        store.chmod(0o444)
        folder.chmod(0o555)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        for argv, shown in ((["actions", "--format", "csv"], b"1,A2,"), (["history", "A1"], b"2026-06-30")):
            done = subprocess.run(
                [*as_other, sys.executable, "-m", "healthscore", *argv, "--history", str(store)],
                env=env,
                cwd="/",
                capture_output=True,
                check=False,
                timeout=120,
            )
            assert done.returncode == 0, done.stderr.decode()
            assert shown in done.stdout
        done = subprocess.run(
            [
                *as_other,
                sys.executable,
                "-m",
                "healthscore",
                "override",
                "A1",
                "--history",
                str(store),
                "--score",
                "5",
                "--reason",
                "r",
                "--author",
                "a",
                "--expires",
                "2099-01-01",
            ],
            env=env,
            cwd="/",
            capture_output=True,
            check=False,
            timeout=120,
        )
        assert done.returncode == 2
        assert b"is read-only: this command writes to it" in done.stderr
        assert store.read_bytes() == before
        assert sorted(p.name for p in folder.iterdir()) == ["h.db", "in.csv"]
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)


def test_fit_scorecard_per_segment_and_reweight_folds_from_the_command_line(tmp_path: Path) -> None:
    import numpy as np

    from healthscore.datasets import generate_driver_portfolio
    from healthscore.model import SegmentedModel

    gen = generate_driver_portfolio(1500, seed=2)
    columns = {k: np.asarray(v).tolist() for k, v in gen["columns"].items()}
    segment = ["enterprise" if i % 3 == 0 else "smb" for i in range(1500)]
    table = [*columns.values(), segment, gen["churned"].tolist()]
    lines = [",".join([*columns, "segment", "churned"])] + [
        ",".join("" if isinstance(v, float) and v != v else str(v) for v in row) for row in zip(*table, strict=True)
    ]
    data_csv = _write(tmp_path, "\n".join(lines) + "\n", "data.csv")
    common = ["--outcome", "churned", "--kind", "usage=higher_is_better", "--kind", "nps=higher_is_better"]
    status, out, err = _run(
        "fit", "scorecard", str(data_csv), *common, "--segment", "segment", "-o", str(tmp_path / "s.toml")
    )
    assert status == 0, err
    fitted = load_model(tmp_path / "s.toml")
    assert isinstance(fitted, SegmentedModel)
    assert {label for label, _ in fitted.segments} == {"enterprise", "smb"}
    assert "enterprise" in out  # the per-segment report
    assert "smb" in out
    model_file = tmp_path / "m.toml"
    dump_model(gen["model"], model_file)
    status, _, err = _run(
        "fit", "reweight", str(data_csv), "--outcome", "churned", "--model", str(model_file), "--segment", "segment",
        "-o", str(tmp_path / "r.toml"),
    )  # fmt: skip
    assert status == 2
    assert "--segment goes with fit scorecard" in err
    status, out, err = _run(
        "fit", "reweight", str(data_csv), "--outcome", "churned", "--model", str(model_file), "--folds", "3",
        "--bootstrap", "5", "-o", str(tmp_path / "r.toml"),
    )  # fmt: skip
    assert status == 0, err
    assert "AUC cross-validated (the same 3 folds)" in out
