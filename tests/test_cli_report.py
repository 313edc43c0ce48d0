"""The command line's dashboard and languages: ``healthscore report``, the
demo's history, churn table and dashboard, ``--lang ja`` for the demo and the
action queue's table, and the synthetic accounts' names.

Most tests give the command a small stand-in for :mod:`healthscore.report`
(``stub_dashboard``), so they check what the command line does with it: the
arguments passed on, the outputs checked first, the file written, the path
said. The tests of the last section run the real module end to end.
"""

from __future__ import annotations

import base64
import csv
import gzip
import inspect
import io
import json
import re
import sys
import types
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pytest

from healthscore import presets
from healthscore._html import INSTALL_HINT
from healthscore.cli import DEMO_FOLDER, DEMO_WEEKS, main
from healthscore.config import dump_model, model_fingerprint
from healthscore.datasets import company_names, generate_exports
from healthscore.exports import read_exports
from healthscore.history import HistoryStore, open_history
from healthscore.model import HealthModel
from healthscore.signals import compute_signals
from healthscore.trends import DropRule

MAY = (
    "account_id,name,penetration,nps,arr\nA1,Northwind,0.9,60,1000\nA2,株式会社みらいテック,0.9,60,5000\nA3,,0.9,60,\n"
)
JUNE = (
    "account_id,name,penetration,nps,arr\nA1,Northwind,0.2,60,1000\nA2,株式会社みらいテック,0.3,-80,5000\nA3,,0.9,60,\n"
)


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def _history(tmp_path: Path) -> Path:
    """A history of three accounts on 2026-05-31 and 2026-06-29: A1 and A2 fall to critical with a drop."""
    target = tmp_path / "h.db"
    for text, day in ((MAY, "2026-05-31"), (JUNE, "2026-06-29")):
        src = tmp_path / f"{day}.csv"
        src.write_text(text, encoding="utf-8")
        status, _, err = _run("score", str(src), "-o", str(tmp_path / "scored.csv"), "--history", str(target),
                              "--as-of", day)  # fmt: skip
        assert status == 0, err
    return target


@attrs.frozen
class _Board:
    html: str
    accounts: int
    as_of: str | None
    lang: str

    def save(self, path: str | Path) -> Path:
        Path(path).write_text(self.html, encoding="utf-8")
        return Path(path)


@attrs.define
class _Stub:
    """Stands in for ``healthscore.report``: records each call, optionally fails like a missing Jinja2."""

    calls: list[dict[str, Any]] = attrs.Factory(list)
    missing_jinja2: bool = False

    def dashboard(self, source: Any, **options: Any) -> _Board:
        if self.missing_jinja2:
            raise ImportError(INSTALL_HINT)
        if isinstance(source, HistoryStore):  # the store is open while the page is made
            seen: Any = ("store", [s.as_of for s in source.snapshots()])
        else:
            seen = source
        self.calls.append({"source": seen, **options})
        return _Board(html="<!doctype html><title>stub</title>", accounts=3, as_of=options.get("as_of"),
                      lang=options["lang"])  # fmt: skip


@pytest.fixture
def stub_dashboard(monkeypatch: pytest.MonkeyPatch) -> _Stub:
    stub = _Stub()
    module = types.ModuleType("healthscore.report")
    module.dashboard = stub.dashboard  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "healthscore.report", module)
    return stub


# --------------------------------------------------------------------------- report


def test_report_from_a_history_passes_every_option(tmp_path: Path, stub_dashboard: _Stub) -> None:
    history = _history(tmp_path)
    churn = tmp_path / "churn.csv"
    churn.write_text("account_id,churn_date\nA2,2026-07-20\n", encoding="utf-8")
    page = tmp_path / "dashboard.html"
    status, out, err = _run("report", "--history", str(history), "--as-of", "2026-06-30", "--churn", str(churn),
                            "--lang", "ja", "--title", "朝の確認", "--drop-points", "25", "--drop-window", "30d",
                            "-o", str(page))  # fmt: skip
    assert status == 0, err
    (call,) = stub_dashboard.calls
    assert call == {
        "source": ("store", ["2026-05-31", "2026-06-29"]),
        "model": None,
        "as_of": "2026-06-30",
        "churn": str(churn),
        "lang": "ja",
        "drop": DropRule.from_text(points="25", window="30d"),
        "title": "朝の確認",
    }
    assert page.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert err.strip().endswith(f"-> {page}")  # the path, at the end
    assert out == ""


def test_report_passes_a_model_version(tmp_path: Path, stub_dashboard: _Stub) -> None:
    history = _history(tmp_path)
    version = model_fingerprint(presets.three_dimension())
    status, _, err = _run(
        "report", "--history", str(history), "--model-version", version, "-o", str(tmp_path / "d.html")
    )
    assert status == 0, err
    assert stub_dashboard.calls[0]["model"] == version
    assert stub_dashboard.calls[0]["lang"] == "en"


def test_report_from_a_scored_csv_with_a_model_file(tmp_path: Path, stub_dashboard: _Stub) -> None:
    src = tmp_path / "accounts.csv"
    src.write_text(JUNE, encoding="utf-8")
    model_file = tmp_path / "model.toml"
    dump_model(presets.three_dimension(), model_file)
    scored = tmp_path / "scored.csv"
    assert _run("score", str(src), "--model", str(model_file), "-o", str(scored))[0] == 0
    status, _, err = _run("report", "--scores", str(scored), "--model", str(model_file), "-o", str(tmp_path / "d.html"))
    assert status == 0, err
    (call,) = stub_dashboard.calls
    assert call["source"] == str(scored)
    assert isinstance(call["model"], HealthModel)
    assert model_fingerprint(call["model"]) == model_fingerprint(presets.three_dimension())


def test_report_to_stdout(tmp_path: Path, stub_dashboard: _Stub) -> None:
    status, out, err = _run("report", "--history", str(_history(tmp_path)), "-o", "-")
    assert status == 0, err
    assert out.startswith("<!doctype html>")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--lang", "fr"], "--lang must be one of en, ja, got 'fr'"),
        (["-o", "missing/d.html"], "-o missing/d.html: the folder missing does not exist"),
        (["--model", "m.toml"], "--model goes with --scores"),
        (["--as-of", "30/06/2026"], "--as-of"),
        (["--drop-window", "a month"], "drop"),
        (["-o", "h.db"], "is the input file"),
    ],
)
def test_report_checks_its_arguments_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stub_dashboard: _Stub, argv: list[str], message: str
) -> None:
    _history(tmp_path)
    monkeypatch.chdir(tmp_path)
    before = Path("h.db").read_bytes()
    full = ["report", "--history", "h.db", "-o", "d.html"]
    if "-o" in argv:
        full = full[:-2]
    status, _, err = _run(*full, *argv)
    assert status == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1, err  # one line, no traceback
    assert stub_dashboard.calls == []
    assert not Path("d.html").exists()
    assert Path("h.db").read_bytes() == before


def test_report_with_scores_refuses_a_model_version(tmp_path: Path, stub_dashboard: _Stub) -> None:
    status, _, err = _run("report", "--scores", "s.csv", "--model-version", "abc", "-o", str(tmp_path / "d.html"))
    assert status == 2
    assert "--model-version goes with --history" in err


def test_report_needs_a_source_and_an_existing_history(tmp_path: Path, stub_dashboard: _Stub) -> None:
    with pytest.raises(SystemExit) as stopped:
        _run("report", "-o", str(tmp_path / "d.html"))
    assert stopped.value.code == 2
    status, _, err = _run("report", "--history", str(tmp_path / "none.db"), "-o", str(tmp_path / "d.html"))
    assert status == 2
    assert "none.db" in err
    assert not (tmp_path / "none.db").exists()  # reading never creates a history


def test_report_without_jinja2_says_how_to_install_it(tmp_path: Path, stub_dashboard: _Stub) -> None:
    stub_dashboard.missing_jinja2 = True
    page = tmp_path / "d.html"
    status, _, err = _run("report", "--history", str(_history(tmp_path)), "-o", str(page))
    assert status == 2
    assert err.strip() == f"healthscore: error: {INSTALL_HINT}"
    assert not page.exists()


# --------------------------------------------------------------------------- demo


def _demo(*options: str) -> tuple[int, str, str]:
    return _run("demo", "--accounts", "40", "--top", "5", *options)


def test_demo_writes_a_weekly_history_churn_and_a_dashboard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stub_dashboard: _Stub
) -> None:
    monkeypatch.chdir(tmp_path)
    status, out, err = _demo()
    assert status == 0, err
    folder = tmp_path / DEMO_FOLDER
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith("history.db-")) == [
        "churn.csv",
        "dashboard.html",
        "history.db",
    ]
    history = f"{DEMO_FOLDER}/history.db"
    assert f"-> {history}" in out
    assert f"-> {DEMO_FOLDER}/dashboard.html" in out
    assert f"healthscore actions --history {history} --format table" in out
    assert f"open {DEMO_FOLDER}/dashboard.html" in out
    with open_history(folder / "history.db", create=False, read_only=True) as store:
        days = [s.as_of for s in store.snapshots()]
        latest = store.snapshot_columns(days[-1], model=None)
    assert len(days) == DEMO_WEEKS
    assert days[-1] == "2025-12-31"
    assert all(np.diff(np.array(days, dtype="datetime64[D]")).astype(int) == 7)  # weekly
    lost = {r["account_id"] for r in csv.DictReader(io.StringIO((folder / "churn.csv").read_text(encoding="utf-8")))
            if r["churn_date"] <= days[-1]}  # fmt: skip
    assert len(latest["account_id"]) == 40 - len(lost)  # a lost customer left the book
    assert f"The book on Dec 31, 2025 ({40 - len(lost)} accounts)" in out
    # the ranking printed is the latest snapshot's, riskiest first
    ranked = [line.split() for line in out.splitlines() if line.strip().startswith("A0")]
    stored = dict(zip(latest["account_id"].tolist(), latest["score"].tolist(), strict=True))
    assert [round(stored[r[0]], 1) for r in ranked] == [float(r[3]) for r in ranked]
    assert [float(r[3]) for r in ranked] == sorted(float(r[3]) for r in ranked)
    churn = list(csv.DictReader(io.StringIO((folder / "churn.csv").read_text(encoding="utf-8"))))
    assert churn
    assert set(churn[0]) == {"account_id", "churn_date"}
    (call,) = stub_dashboard.calls
    assert call["source"] == ("store", days)
    assert call["churn"] == str(folder.relative_to(tmp_path) / "churn.csv")
    assert call["lang"] == "en"


def test_demo_rolls_up_a_tree_and_keeps_the_csms_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stub_dashboard: _Stub
) -> None:
    """The demo's book has parents over subsidiaries and CSM reads: the
    history stores the rolled-up scores with each account's own, and the reads;
    the text says how many of each, and the numbers are the stored ones."""
    monkeypatch.chdir(tmp_path)
    status, out, err = _run("demo", "--accounts", "120", "--top", "3", "--no-dashboard")
    assert status == 0, err
    with open_history(tmp_path / DEMO_FOLDER / "history.db", create=False, read_only=True) as store:
        last = store.snapshots()[-1].as_of
        latest = store.snapshot_columns(last, model=None)
        reads = store.csm_reads(as_of=last, latest=True)
    parents = [p for p in latest["parent_id"].tolist() if p]
    assert parents, "the demo's book has a tree"
    assert max(latest["level"].tolist()) == 2  # up to three levels: holding, head, subsidiary
    ids = latest["account_id"].tolist()
    row = {a: i for i, a in enumerate(ids)}
    parent_of = dict(zip(ids, latest["parent_id"].tolist(), strict=True))

    def subtree_arr(account: str) -> float:
        return float(latest["arr"][row[account]]) + sum(subtree_arr(a) for a, p in parent_of.items() if p == account)

    for head in set(parents):  # a parent's score: its children's, each weighed by its subtree's ARR
        kids = [a for a, p in parent_of.items() if p == head]
        weights = [subtree_arr(a) for a in kids]
        expected = np.average([latest["score"][row[a]] for a in kids], weights=weights)
        assert latest["score"][row[head]] == pytest.approx(expected, abs=1e-6)
    line = next(x for x in out.splitlines() if x.startswith("Account tree:"))
    assert f"{len(set(parents))} parent accounts roll up {len(parents)} subsidiaries, up to 3 levels" in line
    assert reads
    fresh = [r for r in reads if not r.is_stale(last) and r.account_id in row]  # a lost customer's read is history
    assert fresh
    assert f"CSM reads: {len(fresh)} accounts have one as of Dec 31, 2025" in out
    assert "--rank-by disagreement" in out


def test_demo_replaces_its_own_files_but_no_one_elses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stub_dashboard: _Stub
) -> None:
    monkeypatch.chdir(tmp_path)
    assert _demo()[0] == 0
    assert _demo("--no-dashboard")[0] == 0  # a second run replaces the first's history
    with open_history(tmp_path / DEMO_FOLDER / "history.db", create=False, read_only=True) as store:
        assert len(store.snapshots()) == DEMO_WEEKS
    mine = tmp_path / "mine"
    mine.mkdir()
    _history(mine)
    (mine / "h.db").rename(mine / "history.db")
    before = (mine / "history.db").read_bytes()
    status, out, err = _demo("--dashboard", str(mine / "dashboard.html"))
    assert status == 2
    assert "was not written by 'healthscore demo'" in err
    assert out == ""
    assert (mine / "history.db").read_bytes() == before
    assert not (mine / "dashboard.html").exists()
    assert not (mine / "churn.csv").exists()


def test_demo_no_dashboard_and_a_dashboard_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stub_dashboard: _Stub
) -> None:
    monkeypatch.chdir(tmp_path)
    status, out, err = _demo("--no-dashboard")
    assert status == 0, err
    assert stub_dashboard.calls == []
    assert not (tmp_path / DEMO_FOLDER / "dashboard.html").exists()
    assert (tmp_path / DEMO_FOLDER / "history.db").exists()
    (tmp_path / "site").mkdir()
    status, out, err = _demo("--dashboard", "site/health.html")
    assert status == 0, err
    assert (tmp_path / "site" / "health.html").exists()
    assert (tmp_path / "site" / "history.db").exists()
    assert "-> site/health.html" in out
    status, _, err = _demo("--dashboard", "site/d.html", "--no-dashboard")
    assert status == 2
    assert "contradict" in err


def test_demo_without_jinja2_still_writes_the_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stub_dashboard: _Stub
) -> None:
    monkeypatch.chdir(tmp_path)
    stub_dashboard.missing_jinja2 = True
    status, out, err = _demo()
    assert status == 0, err
    assert f"Dashboard not written: {INSTALL_HINT}" in out
    assert (tmp_path / DEMO_FOLDER / "history.db").exists()


def test_demo_in_japanese(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stub_dashboard: _Stub) -> None:
    monkeypatch.chdir(tmp_path)
    status, out, err = _demo("--lang", "ja")
    assert status == 0, err
    lines = out.splitlines()
    start = lines.index("帯の分布:")
    assert [line.split()[0] for line in lines[start + 1 : start + 5]] == ["グリーン", "イエロー", "オレンジ", "レッド"]
    (book,) = re.findall(r"時点の契約中アカウント\((\d+) 件\)", out)
    assert 0 < int(book) <= 40
    assert sum(int(line.split()[1]) for line in lines[start + 1 : start + 5]) == int(book)
    ranked = [line.split() for line in lines if line.strip().startswith("A0")]
    assert {r[4] for r in ranked} <= {"グリーン", "イエロー", "オレンジ", "レッド"}
    assert {r[5] for r in ranked} <= {"健全", "警告", "リスク中", "重大"}
    assert "レッドのプレイブック: 即座の管理エスカレーション" in out
    assert "2025年12月31日" in out
    assert "--format table --lang ja" in out
    assert stub_dashboard.calls[0]["lang"] == "ja"
    for english in ("Band distribution", "Playbook", "critical", "Try next"):
        assert english not in out


@pytest.mark.parametrize("command", ["demo", "actions"])
def test_a_language_without_a_catalogue_is_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.chdir(tmp_path)
    argv = ["demo"] if command == "demo" else ["actions", "--history", str(_history(tmp_path))]
    status, out, err = _run(*argv, "--lang", "de")
    assert status == 2
    assert err.strip() == "healthscore: error: --lang must be one of en, ja, got 'de'"
    assert out == ""
    assert not (tmp_path / DEMO_FOLDER).exists()


# --------------------------------------------------------------------------- actions table


def test_actions_table_in_japanese_and_machine_values_in_csv_and_json(tmp_path: Path) -> None:
    history = _history(tmp_path)
    status, out, err = _run("actions", "--history", str(history), "--as-of", "2026-06-30", "--lang", "ja")
    assert status == 0, err
    header, *rows = out.splitlines()
    assert header.split()[:5] == ["順位", "アカウントID", "スコア", "帯", "アラート"]
    assert "プレイブック" in header
    assert "対応" in header
    assert "期限" in header
    assert [r.split()[1] for r in rows] == ["A2", "A1"]
    first = rows[0]
    assert "レッド" in first
    assert "重大" in first
    assert "あり" in first
    assert "管理への即座のエスカレーション" in first  # the response
    assert "即座の管理エスカレーション" in first  # the playbook's first step
    assert "2026年6月30日" in first  # due: the queue date (critical: now)
    assert "以降のピークから" in first  # the drop's start and size, as in English
    assert "点下落" in first
    assert "対応が必要なアカウント: 2 件" in err
    for english in ("critical", "red", "Escalate", "Immediate"):
        assert english not in out
    status, out, _ = _run(
        "actions", "--history", str(history), "--as-of", "2026-06-30", "--lang", "ja", "--format", "csv"
    )
    rows_csv = list(csv.DictReader(io.StringIO(out)))
    assert rows_csv[0]["band"] == "red"
    assert rows_csv[0]["alert"] == "critical"
    assert rows_csv[0]["due"].startswith("2026-06-30T")
    status, out, _ = _run(
        "actions", "--history", str(history), "--as-of", "2026-06-30", "--lang", "ja", "--format", "json"
    )
    assert json.loads(out)[0]["playbook"][0] == "Immediate management escalation"


def test_actions_table_in_english_keeps_its_header(tmp_path: Path) -> None:
    status, out, _ = _run("actions", "--history", str(_history(tmp_path)), "--as-of", "2026-06-30")
    assert status == 0
    header, first, _ = out.splitlines()
    assert header.split()[:3] == ["rank", "account_id", "score"]
    assert "response" in header
    assert "Escalate to management now" in first
    assert "Jun 30, 2026" in first
    assert "dropped" in first  # the queue's own reason, with the size of the drop


# --------------------------------------------------------------------------- synthetic names


def test_synthetic_accounts_have_company_names_english_and_japanese() -> None:
    gen = generate_exports(60, 30, seed=3)
    names = gen.tables["accounts"]["name"].tolist()
    assert len(names) == 60
    assert len(set(names)) == 60
    japanese = [n for n in names if any(ord(c) > 0x3000 for c in n)]
    assert 0 < len(japanese) < 60
    assert names == generate_exports(60, 30, seed=3).tables["accounts"]["name"].tolist()  # deterministic
    assert names != generate_exports(60, 30, seed=4).tables["accounts"]["name"].tolist()
    assert company_names(5, seed=3).tolist() == names[:5]


def test_names_change_no_other_value_and_the_reader_keeps_them() -> None:
    gen = generate_exports(20, 90, seed=1)
    exports = read_exports(gen.tables)
    assert exports.tables["accounts"]["name"].tolist() == gen.tables["accounts"]["name"].tolist()
    signals = compute_signals(exports, gen.end)
    # the values these exports gave before accounts had names
    assert float(np.nansum(signals["active_days"])) == pytest.approx(482.142857, abs=1e-5)
    assert float(np.nansum(signals["nps"])) == pytest.approx(-504.52381, abs=1e-5)
    without = {**gen.tables, "accounts": {k: v for k, v in gen.tables["accounts"].items() if k != "name"}}
    again = compute_signals(read_exports(without), gen.end)
    for column, values in signals.items():
        np.testing.assert_array_equal(np.asarray(values), np.asarray(again[column]))


# --------------------------------------------------------------------------- end to end, the real dashboard

STORES_NAMES = "names" in inspect.signature(HistoryStore.write_snapshot).parameters
"""Whether the history keeps account names (schema 4)."""


def _page_text(html: str) -> str:
    """The page with its embedded data decoded (gzip-compressed JSON, base64, in ``hs-data-*`` scripts)."""
    parts = re.findall(r'<script type="application/json" id="hs-data-\w+">(.*?)</script>', html, re.S)
    return html + "".join(gzip.decompress(base64.b64decode(json.loads(part))).decode("utf-8") for part in parts)


def test_report_writes_the_real_dashboard_of_a_history(tmp_path: Path) -> None:
    page = tmp_path / "dashboard.html"
    status, _, err = _run("report", "--history", str(_history(tmp_path)), "--lang", "ja", "-o", str(page))
    assert status == 0, err
    html = _page_text(page.read_text(encoding="utf-8"))
    assert "A2" in html
    assert "レッド" in html
    if STORES_NAMES:
        assert "株式会社みらいテック" in html
    assert f"-> {page}" in err


def test_report_writes_the_real_dashboard_of_a_scored_csv(tmp_path: Path) -> None:
    src = tmp_path / "accounts.csv"
    src.write_text(JUNE, encoding="utf-8")
    scored = tmp_path / "scored.csv"
    assert _run("score", str(src), "-o", str(scored))[0] == 0
    page = tmp_path / "dashboard.html"
    status, _, err = _run("report", "--scores", str(scored), "-o", str(page))
    assert status == 0, err
    assert "A1" in _page_text(page.read_text(encoding="utf-8"))


def test_report_without_jinja2_the_real_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from healthscore import _html

    history = _history(tmp_path)
    _html.environment.cache_clear()
    monkeypatch.setitem(sys.modules, "jinja2", None)  # import jinja2 raises ImportError
    try:
        status, _, err = _run("report", "--history", str(history), "-o", str(tmp_path / "d.html"))
    finally:
        _html.environment.cache_clear()
    assert status == 2
    assert err.strip() == f"healthscore: error: {INSTALL_HINT}"


def test_demo_writes_the_real_dashboard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    status, _out, err = _run("demo", "--accounts", "30", "--top", "3", "--lang", "ja")
    assert status == 0, err
    html = _page_text((tmp_path / DEMO_FOLDER / "dashboard.html").read_text(encoding="utf-8"))
    with open_history(tmp_path / DEMO_FOLDER / "history.db", create=False, read_only=True) as store:
        latest = store.snapshot_columns(None, model=None)
    names = company_names(30, seed=7).tolist()
    assert latest["account_id"][0] in html
    if STORES_NAMES:
        assert any(name in html for name in names)
    assert "グリーン" in html or "レッド" in html
