"""Trees and CSM reads where people read them: a parent's ``child:<id>``
drivers named as children in the displays and the dashboard, the queue's
reason naming the worst children, and the CLI's history, score and report
commands showing and using the tree and the CSM's read."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

from browser import Browser, chromium  # noqa: F401 -- the fixture, used by name
from healthscore import Dimension, HealthModel, Metric, scorers
from healthscore._html import actions_html, batch_html, driver_label
from healthscore._i18n import catalogue
from healthscore.actions import queue_from_history
from healthscore.cli import main
from healthscore.config import dump_model
from healthscore.exceptions import ValidationError
from healthscore.history import open_history
from healthscore.report import dashboard
from test_hierarchy_history import HOSTILE, IDS, _page_data, _rolled, _tree_store

# --------------------------------------------------------------------------- child drivers


def test_a_child_driver_reads_as_the_child_in_both_languages() -> None:
    names = {"acme-us": "Acme US"}
    assert driver_label("child:acme-us", catalogue("en"), names) == "Acme US (child)"
    assert driver_label("child:acme-eu", catalogue("en"), names) == "acme-eu (child)"
    assert driver_label("child:acme-us", catalogue("ja"), names) == "Acme US (子アカウント)"
    assert driver_label("usage", catalogue("en")) == "usage"


def test_the_batch_and_queue_displays_name_children_escaped(tmp_path: Path) -> None:
    pytest.importorskip("jinja2")
    _, rolled = _rolled([85.0, 90.0, 10.0, 5.0, 90.0])
    page = batch_html(rolled.scores, account_ids=IDS, lang="en")
    assert "child:" not in page
    assert "acme-eu (child)" in page
    db = tmp_path / "h.db"
    _tree_store(str(db))
    with open_history(db) as store:
        queue = queue_from_history(store)
    for lang, word in (("en", "acme-eu (child)"), ("ja", "acme-eu (子アカウント)")):
        shown = actions_html(queue, lang=lang)
        assert "child:acme" not in shown
        assert word in shown


def test_the_dashboard_names_child_drivers_and_the_worst_children(tmp_path: Path) -> None:
    pytest.importorskip("jinja2")
    db = tmp_path / "h.db"
    _tree_store(str(db))
    with open_history(db) as store:
        page = dashboard(store).html
        queue = queue_from_history(store)
    data = _page_data(page)["list"]
    labels = {d["name"]: d["label"] for d in data["drivers"]}
    assert labels["child:acme-eu"] == "Acme Europe (child)"
    assert labels["child:acme-us"] == f"{HOSTILE} (child)"  # packed; the page sets it as text
    assert HOSTILE not in page
    parent = next(k for k, a in enumerate(queue) if a.account_id == "acme")
    assert data["qk"][parent] == ["Acme Europe" if c == "acme-eu" else HOSTILE for c in queue[parent].children]
    assert data["qk"][parent]
    with open_history(db) as store:
        ja = _page_data(dashboard(store, lang="ja").html)
    labels = {d["name"]: d["label"] for d in ja["list"]["drivers"]}
    assert labels["child:acme-eu"] == "Acme Europe (子アカウント)"


def test_the_dashboard_shows_child_drivers_in_a_browser(tmp_path: Path, chromium: Browser) -> None:  # noqa: F811 -- the fixture
    pytest.importorskip("jinja2")

    db = tmp_path / "h.db"
    _tree_store(str(db))
    with open_history(db) as store:
        page = dashboard(store).save(tmp_path / "d.html")
    url = page.resolve().as_uri()
    chromium.open(url, wait_for="window.hsReady === true")
    rows = {r.split("\n")[0]: r for r in chromium.texts("#hs-list tbody tr")}
    assert "Acme Europe (child)" in rows["acme"]
    assert "child:" not in "".join(rows.values())
    chromium.screenshot(tmp_path / "list.png")
    chromium.open(url + "#account/acme", wait_for="document.querySelector('[data-field=drivers]') !== null")
    drivers = chromium.texts('.hd-account-head [data-field="drivers"]')[0]
    assert "Acme Europe (child)" in drivers
    assert f"{HOSTILE} (child)" in drivers  # as text, not markup
    chromium.screenshot(tmp_path / "parent.png")
    chromium.open(url + "#queue", wait_for="document.querySelector('#hs-queue') !== null")
    reasons = chromium.texts('#hs-queue td[data-col="reason"]')
    assert any("worst children by ARR at stake: Acme Europe" in r for r in reasons)
    chromium.screenshot(tmp_path / "queue.png")
    assert chromium.alerts_fired() == []
    assert chromium.console_errors() == []


# --------------------------------------------------------------------------- healthscore history


def _run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_history_shows_the_tree_and_the_csm_read(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    _tree_store(str(db))
    with open_history(db) as store:
        store.record_csm_read("acme-eu", rating=2, author="kim", note="exec left", as_of="2026-06-15")
        store.record_csm_read("acme-eu", rating=4, author="kim", as_of="2026-07-02")  # after the last snapshot
    code, out, err = _run("history", "acme-eu", "--history", str(db), "--format", "json")
    assert code == 0, err
    records = json.loads(out)
    assert [r["parent_id"] for r in records] == ["acme", "acme"]
    assert [r["level"] for r in records] == [1, 1]
    assert records[0]["own_score"] == pytest.approx(90.0)
    assert records[0]["csm_read"] is None  # no read on or before June 1
    assert records[1]["csm_read"]["rating"] == 2
    assert records[1]["csm_read"]["note"] == "exec left"
    code, out, _ = _run("history", "acme-eu", "--history", str(db), "--format", "csv")
    assert code == 0
    header, first, second = out.splitlines()[:3]
    assert header.split(",")[header.split(",").index("coverage") + 1 :][:4] == [
        "own_score",
        "parent_id",
        "level",
        "csm_read",
    ]
    assert ",acme,1," in first
    assert "2 of 5 (kim, Jun 15, 2026)" in second
    code, out, _ = _run("history", "acme-eu", "--history", str(db))
    assert code == 0
    assert out.splitlines()[-1] == "latest CSM read: 4 of 5 (kim, Jul 2, 2026)"


def test_history_of_a_flat_store_without_reads_has_neither(tmp_path: Path) -> None:
    model = _usage_model()
    with open_history(tmp_path / "h.db") as store:
        store.write_snapshot(model, "2026-06-30", ["a", "b"], model.score_batch({"usage": np.array([50.0, 70.0])}))
    code, out, err = _run("history", "a", "--history", str(tmp_path / "h.db"), "--format", "csv")
    assert code == 0, err
    header = out.splitlines()[0].split(",")
    assert not {"own_score", "parent_id", "level", "csm_read"} & set(header)
    assert "latest CSM read" not in _run("history", "a", "--history", str(tmp_path / "h.db"))[1]


# --------------------------------------------------------------------------- score --history and csm_read


def _usage_model(*, read: bool = False) -> HealthModel:
    metrics = [Metric(name="usage", scorer=scorers.Piecewise(points=[(0, 0), (100, 100)]))]
    if read:
        metrics.append(Metric(name="csm_read", scorer=scorers.Piecewise(points=[(1, 0), (5, 100)])))
    return HealthModel(
        name="usage_and_read" if read else "usage_only", dimensions=[Dimension(name="d", metrics=metrics)]
    )


def _score_with_reads(tmp_path: Path, rows: list[str]) -> tuple[int, str, str, Path]:
    model_path = tmp_path / "model.toml"
    dump_model(_usage_model(read=True), model_path)
    source = tmp_path / "accounts.csv"
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    db = tmp_path / "h.db"
    with open_history(db) as store:
        store.record_csm_read("a", rating=5, author="kim", as_of="2026-06-01")
        store.record_csm_read("a", rating=1, author="kim", as_of="2026-07-15")  # after the scoring date
        store.record_csm_read("b", rating=1, author="lee", as_of="2026-06-20")
    out_csv = tmp_path / "out.csv"
    code, _, err = _run(
        "score",
        str(source),
        "--model",
        str(model_path),
        "--history",
        str(db),
        "--as-of",
        "2026-06-30",
        "-o",
        str(out_csv),
    )
    return code, out_csv.read_text(encoding="utf-8") if code == 0 else "", err, db


def _scores(text: str) -> dict[str, float]:
    lines = text.splitlines()
    header = lines[0].split(",")
    at = header.index("score")
    return {row.split(",")[0]: float(row.split(",")[at]) for row in lines[1:]}


def test_score_fills_the_csm_read_from_the_history(tmp_path: Path) -> None:
    code, text, err, db = _score_with_reads(tmp_path, ["account_id,usage", "a,50", "b,50", "c,50"])
    assert code == 0, err
    scores = _scores(text)
    expected = _usage_model(read=True).score_batch(
        {"usage": np.array([50.0, 50.0, 50.0]), "csm_read": np.array([5.0, 1.0, np.nan])}, missing_columns="missing"
    )
    assert [scores[a] for a in "abc"] == pytest.approx(np.round(expected.score, 1).tolist(), abs=0.051)
    assert scores["a"] > scores["b"]  # the June 1 read (5), not the July one
    assert "csm_read from the CSM's latest reads as of 2026-06-30" in err
    assert "scored as missing: csm_read" not in err
    with open_history(db) as store:
        stored = {p.account_id: p.score for p in store.portfolio()}
    assert stored["a"] == pytest.approx(float(expected.score[0]))


def test_score_keeps_a_csm_read_column_the_input_has(tmp_path: Path) -> None:
    code, text, err, _ = _score_with_reads(tmp_path, ["account_id,usage,csm_read", "a,50,1", "b,50,5"])
    assert code == 0, err
    scores = _scores(text)
    assert scores["a"] < scores["b"]  # the file's reads, not the store's
    assert "latest reads" not in err


# --------------------------------------------------------------------------- report --rank-by / --stale-days


def _queued(tmp_path: Path, *flags: str) -> list[str]:
    page = tmp_path / "d.html"
    code, _, err = _run("report", "--history", str(tmp_path / "h.db"), "-o", str(page), *flags)
    assert code == 0, err
    data = _page_data(page.read_text(encoding="utf-8"))["list"]
    return [data["id"][entry[0]] for entry in data["q"]]


def test_report_ranks_by_disagreement_and_ages_reads(tmp_path: Path) -> None:
    pytest.importorskip("jinja2")
    model = _usage_model()
    with open_history(tmp_path / "h.db") as store:
        store.write_snapshot(model, "2026-06-30", ["a", "b"], model.score_batch({"usage": np.array([95.0, 10.0])}))
        store.record_csm_read("a", rating=1, author="kim", as_of="2026-06-20")  # red beside a green band
    assert _queued(tmp_path) == ["b"]  # urgency: a healthy account with a worried CSM waits
    assert "a" in _queued(tmp_path, "--rank-by", "disagreement")
    assert _queued(tmp_path, "--rank-by", "disagreement", "--stale-days", "5") == ["b"]  # ten days old: stale


def test_report_rejects_a_bad_rank_by_and_stale_days(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("jinja2")
    model = _usage_model()
    with open_history(tmp_path / "h.db") as store:
        store.write_snapshot(model, "2026-06-30", ["a"], model.score_batch({"usage": np.array([95.0])}))
    with pytest.raises(SystemExit) as exited:
        main(["report", "--history", str(tmp_path / "h.db"), "-o", str(tmp_path / "d.html"), "--rank-by", "x"])
    assert exited.value.code == 2
    assert "invalid choice: 'x'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(["report", "--history", str(tmp_path / "h.db"), "-o", str(tmp_path / "d.html"), "--stale-days", "-1"])
    assert exited.value.code == 2
    assert "--stale-days: must be a number of days >= 0, got '-1'" in capsys.readouterr().err
    with open_history(tmp_path / "h.db") as store, pytest.raises(ValidationError, match="stale_days must be >= 0"):
        dashboard(store, stale_days=float("nan"))
    assert not (tmp_path / "d.html").exists()
