"""Account trees beyond the score: the history stores the rolled-up scores with
each account's own score, parent and level (both backends, schema 5, migrated
from 4), the action queue raises a parent whose roll-up falls and names its
worst children, and the dashboard shows the tree."""

from __future__ import annotations

import base64
import csv
import gzip
import io
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from browser import Browser, chromium  # noqa: F401 -- the fixture, used by name
from healthscore import Dimension, HealthModel, InputError, Metric, hierarchy, scorers
from healthscore.actions import action_queue, queue_from_history
from healthscore.cli import main
from healthscore.config import dump_model
from healthscore.history import SCHEMA_VERSION, SQLiteHistory, open_history
from healthscore.report import dashboard

IDS = ["acme", "acme-eu", "acme-us", "acme-fr", "solo"]
PARENTS = [None, "acme", "acme", "acme-eu", None]
ARR = [0.0, 300_000.0, 100_000.0, 50_000.0, 20_000.0]


def _model() -> HealthModel:
    usage = Metric(name="usage", scorer=scorers.Piecewise(points=[(0, 0), (100, 100)]))
    return HealthModel(name="usage_only", dimensions=[Dimension(name="product", metrics=[usage])])


def _rolled(usage: list[float]) -> tuple[HealthModel, hierarchy.RolledScores]:
    model = _model()
    scored = model.score_batch({"usage": np.array(usage)}, drivers=3)
    tree = hierarchy.build_tree(IDS, PARENTS)
    return model, hierarchy.roll_up(model, scored, tree, weights=np.array(ARR), drivers=3)


HEALTHY = [85.0, 90.0, 80.0, 85.0, 90.0]
FALLEN = [85.0, 90.0, 10.0, 5.0, 90.0]  # acme-fr collapses, and with it acme-eu; acme-us too


# --------------------------------------------------------------------------- the history


def test_a_tree_snapshot_stores_rolled_up_and_own_scores(history_target: str) -> None:
    model, rolled = _rolled(FALLEN)
    with open_history(history_target) as store:
        store.write_snapshot(model, "2026-06-30", IDS, rolled, arr=ARR)
        points = {p.account_id: p for p in store.portfolio()}
        columns = store.read()
    for i, account in enumerate(IDS):
        point = points[account]
        assert point.score == pytest.approx(float(rolled.scores.score[i]))
        assert point.own_score == pytest.approx(float(rolled.own_score[i]))
        assert point.band == rolled.scores.band[i]
        assert point.parent_id == PARENTS[i]
        assert point.level == int(rolled.tree.level[i])
    # a parent's stored score is its roll-up, not its own: acme's own usage is 85
    assert points["acme"].own_score == pytest.approx(85.0)
    assert (points["acme"].score or 100.0) < 60.0
    assert next(c for c in points["acme"].drivers if c.startswith("child:")) == "child:acme-eu"
    order = [str(a) for a in columns["account_id"].tolist()]
    assert [columns["parent_id"][order.index(a)] or None for a in IDS] == PARENTS
    assert columns["level"].tolist() == [int(rolled.tree.level[IDS.index(a)]) for a in order]


def test_a_flat_snapshot_reads_its_accounts_at_the_top(history_target: str) -> None:
    model = _model()
    scored = model.score_batch({"usage": np.array([50.0, 70.0])})
    with open_history(history_target) as store:
        store.write_snapshot(model, "2026-06-30", ["a", "b"], scored)
        points = store.portfolio()
    assert [(p.parent_id, p.level, p.own_score) for p in points] == [(None, 0, None), (None, 0, None)]


def test_rolled_scores_must_match_the_ids(history_target: str) -> None:
    model, rolled = _rolled(HEALTHY)
    with open_history(history_target) as store, pytest.raises(Exception, match="5 accounts"):
        store.write_snapshot(model, "2026-06-30", IDS[:4], rolled)


def _drop_tree_columns(path: Path, schema: str) -> None:
    """What schema 4 (or the first cut of 5) wrote: no tree columns."""
    db = sqlite3.connect(path)
    for column in ("parent_id", "level", "own_score"):
        db.execute(f"ALTER TABLE hs_scores DROP COLUMN {column}")
    if schema == "4":
        db.execute("DROP TABLE hs_csm_reads")
    db.execute("UPDATE hs_meta SET value = ? WHERE key = 'schema'", (schema,))
    db.commit()
    db.close()


@pytest.mark.parametrize("schema", ["4", "5"])
def test_an_older_store_reads_without_a_tree_and_migrates(tmp_path: Path, schema: str) -> None:
    path = tmp_path / "old.db"
    model = _model()
    scored = model.score_batch({"usage": np.array([50.0, 70.0])})
    with SQLiteHistory(path) as store:
        store.write_snapshot(model, "2026-06-29", ["a", "b"], scored)
    _drop_tree_columns(path, schema)
    with SQLiteHistory(path, read_only=True) as store:  # read as it stands
        assert [(p.account_id, p.parent_id, p.level) for p in store.portfolio()] == [("a", None, 0), ("b", None, 0)]
    model, rolled = _rolled(FALLEN)
    with SQLiteHistory(path) as store:
        assert store._query("SELECT value FROM hs_meta WHERE key = 'schema'") == [(SCHEMA_VERSION,)]
        assert [p.own_score for p in store.portfolio()] == [None, None]
        store.write_snapshot(model, "2026-06-30", IDS, rolled, arr=ARR)
        assert {p.account_id: p.parent_id for p in store.portfolio()}["acme-fr"] == "acme-eu"


def test_the_cli_stores_the_rolled_up_scores(tmp_path: Path) -> None:
    model_path = tmp_path / "model.toml"
    dump_model(_model(), model_path)
    source = tmp_path / "accounts.csv"
    rows = ["account_id,parent_id,arr,usage"]
    rows += [f"{a},{p or ''},{arr},{u}" for a, p, arr, u in zip(IDS, PARENTS, ARR, FALLEN, strict=True)]
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    db = tmp_path / "h.db"
    args = ["score", str(source), "--model", str(model_path), "--history", str(db), "--as-of", "2026-06-30"]
    err = io.StringIO()
    assert main([*args, "-o", str(tmp_path / "out.csv")], stdout=io.StringIO(), stderr=err) == 0, err.getvalue()
    _, rolled = _rolled(FALLEN)
    with open_history(db) as store:
        points = {p.account_id: p for p in store.portfolio()}
    assert points["acme"].score == pytest.approx(float(rolled.scores.score[0]), abs=1e-9)
    assert points["acme"].own_score == pytest.approx(85.0)
    assert points["acme-fr"].parent_id == "acme-eu"
    assert points["acme-fr"].level == 2


# --------------------------------------------------------------------------- the action queue


def _two_days(target: str) -> None:
    """A healthy tree on 2026-06-01, the same tree fallen on 2026-06-30."""
    with open_history(target) as store:
        for day, usage in (("2026-06-01", HEALTHY), ("2026-06-30", FALLEN)):
            model, rolled = _rolled(usage)
            store.write_snapshot(model, day, IDS, rolled, arr=ARR)


def test_the_queue_raises_a_parent_whose_roll_up_falls(history_target: str) -> None:
    _two_days(history_target)
    with open_history(history_target) as store:
        before = {a.account_id for a in queue_from_history(store, "2026-06-01")}
        queue = {a.account_id: a for a in queue_from_history(store, "2026-06-30")}
    assert "acme" not in before
    acme = queue["acme"]  # its own usage (85) asks for nothing: its roll-up fell
    assert acme.drop_alert
    assert acme.score < 60.0
    assert acme.children == ("acme-eu", "acme-us")  # by ARR at stake: 300k then 100k
    assert "worst children by ARR at stake: acme-eu, acme-us" in acme.reason
    assert acme.parent_id is None
    assert queue["acme-fr"].parent_id == "acme-eu"
    assert "child of acme-eu" in queue["acme-fr"].reason
    assert queue["acme-eu"].children == ("acme-fr",)
    assert queue["acme-eu"].parent_id == "acme"
    assert "solo" not in queue


def test_action_queue_takes_rolled_scores(history_target: str) -> None:
    model, rolled = _rolled(FALLEN)
    queue = {a.account_id: a for a in action_queue(model, IDS, rolled, "2026-06-30", arr=ARR)}
    own = {a.account_id for a in action_queue(model, IDS, rolled.scores, "2026-06-30", arr=ARR)}
    assert queue["acme"].children == ("acme-eu", "acme-us")
    assert queue["acme-us"].parent_id == "acme"
    assert set(queue) == own  # the same ranking path: only the tree's words differ
    with pytest.raises(InputError, match="4 entries"):
        action_queue(model, IDS[:4], rolled, "2026-06-30")


def test_a_parent_stakes_its_subtrees_arr(history_target: str) -> None:
    """acme holds no ARR of its own but 450k below it: it ranks by that, ahead
    of a child at the same alert level with less ARR, and says so."""
    _two_days(history_target)
    with open_history(history_target) as store:
        queue = queue_from_history(store, "2026-06-30")
    stake = {a.account_id: a.subtree_arr for a in queue}
    assert stake["acme"] == 450_000.0
    assert stake["acme-eu"] == 350_000.0
    assert stake["acme-fr"] == 50_000.0
    assert {a.account_id: a.arr for a in queue}["acme"] == 0.0  # its own ARR is unchanged
    # same level, same score, no trend: the stake orders them, and a parent's is its subtree's
    model = _model()
    ids, parents, arr = ["p", "k", "x"], ["", "p", ""], np.array([1.0, 1000.0, 500.0])
    scored = model.score_batch({"usage": np.array([90.0, 30.0, 30.0])}, drivers=3)
    rolled_p = hierarchy.roll_up(model, scored, hierarchy.build_tree(ids, parents), weights=arr, drivers=3)
    ranked = action_queue(model, ids, rolled_p, "2026-06-30", arr=arr)
    assert [(a.account_id, a.subtree_arr) for a in ranked] == [("p", 1001.0), ("k", 1000.0), ("x", 500.0)]
    model, rolled = _rolled(FALLEN)
    flat = {a.account_id: a.subtree_arr for a in action_queue(model, IDS, rolled.scores, "2026-06-30", arr=ARR)}
    assert all(flat[a] == ARR[IDS.index(a)] for a in flat)  # without a tree, the account's own ARR


def test_the_cli_queue_names_parents_and_children(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    _two_days(str(db))
    out, err = io.StringIO(), io.StringIO()
    assert main(["actions", "--history", str(db), "--format", "json"], stdout=out, stderr=err) == 0, err.getvalue()
    records = {r["account_id"]: r for r in json.loads(out.getvalue())}
    assert records["acme"]["children"] == ["acme-eu", "acme-us"]
    assert records["acme-fr"]["parent_id"] == "acme-eu"
    out = io.StringIO()
    assert main(["actions", "--history", str(db), "--format", "csv"], stdout=out, stderr=err) == 0
    rows = {r["account_id"]: r for r in csv.DictReader(io.StringIO(out.getvalue()))}
    assert (rows["acme"]["parent_id"], rows["acme"]["children"]) == ("", "acme-eu; acme-us")
    assert (rows["acme"]["arr"], rows["acme"]["subtree_arr"]) == ("0", "450000")
    assert rows["acme-us"]["parent_id"] == "acme"
    out = io.StringIO()
    assert main(["actions", "--history", str(db), "--format", "table"], stdout=out, stderr=err) == 0
    header, *lines = out.getvalue().splitlines()
    assert "arr_at_stake" in header.split()  # the table's ARR is the one the queue ranks by
    (parent,) = [line for line in lines if line.split()[1] == "acme"]
    assert "450,000" in parent.split()


# --------------------------------------------------------------------------- the dashboard

HOSTILE = '<img src=x onerror="alert(1)">'


def _page_data(page: str) -> dict[str, Any]:
    out = {}
    for part in ("list", "detail"):
        text = re.search(rf'id="hs-data-{part}">(.*?)</script>', page)
        assert text
        out[part] = json.loads(gzip.decompress(base64.b64decode(json.loads(text.group(1)))))
    return out


def _tree_store(target: str) -> None:
    """The two days, the fallen one with a hostile name on acme-us."""
    with open_history(target) as store:
        for day, usage in (("2026-06-01", HEALTHY), ("2026-06-30", FALLEN)):
            model, rolled = _rolled(usage)
            names = [None, "Acme Europe", HOSTILE, "Acme France", None]
            store.write_snapshot(model, day, IDS, rolled, arr=ARR, names=names)


def test_the_dashboard_carries_the_tree(tmp_path: Path) -> None:
    pytest.importorskip("jinja2")
    db = tmp_path / "h.db"
    _tree_store(str(db))
    with open_history(db) as store:
        page = dashboard(store).html
    data = _page_data(page)["list"]
    ids = data["id"]
    at = ids.index
    assert [data["pa"][at(a)] for a in IDS] == [-1 if p is None else at(p) for p in PARENTS]
    assert sorted(ids[k] for k in data["kids"][at("acme")]) == ["acme-eu", "acme-us"]
    assert data["kids"][at("acme-eu")] == [at("acme-fr")]
    assert data["os"][at("acme")] == 850  # own score x10 beside the rolled-up one
    assert data["sc"][at("acme")] < 600
    assert HOSTILE not in page  # the hostile name travels packed, reaches the DOM as text


def test_a_flat_dashboard_has_no_tree(tmp_path: Path) -> None:
    pytest.importorskip("jinja2")
    model = _model()
    scored = model.score_batch({"usage": np.array([50.0, 70.0])})
    with open_history(tmp_path / "h.db") as store:
        store.write_snapshot(model, "2026-06-30", ["a", "b"], scored)
        data = _page_data(dashboard(store).html)["list"]
    assert "pa" not in data
    assert "kids" not in data


def test_the_dashboard_shows_the_tree_in_a_browser(tmp_path: Path, chromium: Browser) -> None:  # noqa: F811 -- the fixture
    pytest.importorskip("jinja2")

    db = tmp_path / "h.db"
    _tree_store(str(db))
    with open_history(db) as store:
        page = dashboard(store).save(tmp_path / "d.html")
    url = page.resolve().as_uri()
    chromium.open(url, wait_for="window.hsReady === true")
    cells = {c.split("\n")[0]: c for c in chromium.texts('#hs-list td[data-col="account"]')}
    assert "2 children" in cells["acme"]
    assert "child of acme-eu" in cells["acme-fr"]
    assert HOSTILE in cells["acme-us"]  # as text, not markup
    assert chromium.alerts_fired() == []
    chromium.js(
        "(function (s, v) { s.value = v; s.dispatchEvent(new Event('change')); return s.value; })"
        "(document.querySelector('select[data-filter=parent]'), arguments[0])",
        str(IDS.index("acme-eu")),
    )
    shown = [c.split("\n")[0] for c in chromium.texts('#hs-list td[data-col="account"]')]
    assert sorted(shown) == ["acme-eu", "acme-fr"]
    chromium.screenshot(tmp_path / "list.png")
    chromium.open(url + "#account/acme", wait_for="document.querySelector('[data-panel=children]') !== null")
    rows = chromium.texts('[data-panel="children"] tbody tr')
    assert [r.split("\n")[0] for r in rows] == ["acme-eu", "acme-us"]  # worst score first: 5 then 10
    assert "own metrics score 85.0" in chromium.texts('[data-field="own-score"]')[0]
    chromium.click('[data-panel="children"] th[data-sort="score"]')
    rows = chromium.texts('[data-panel="children"] tbody tr')
    assert [r.split("\n")[0] for r in rows] == ["acme-us", "acme-eu"]  # best score first
    chromium.click('[data-panel="children"] th[data-sort="arr"]')
    rows = chromium.texts('[data-panel="children"] tbody tr')
    assert [r.split("\n")[0] for r in rows] == ["acme-eu", "acme-us"]  # most ARR first
    assert "300,000" in rows[0]
    chromium.screenshot(tmp_path / "parent.png")
    chromium.click('[data-panel="children"] tbody tr[data-account="acme-eu"] a')
    chromium.wait_for("location.hash === '#account/acme-eu'")
    chromium.wait_for("document.querySelector('[data-panel=children] tr[data-account=acme-fr]') !== null")
    assert "child of acme" in chromium.texts('.hd-account-head [data-field="parent"]')[0]
    chromium.open(url + "#queue", wait_for="document.querySelector('#hs-queue') !== null")
    queued = {c.split("\n")[0]: c for c in chromium.texts('#hs-queue td[data-col="account"]')}
    assert "2 children" in queued["acme"]
    assert "child of acme" in queued["acme-us"]
    at_stake = dict(
        zip(
            chromium.js("Array.from(document.querySelectorAll('#hs-queue tr[data-account]'), r => r.dataset.account)"),
            chromium.texts('#hs-queue td[data-col="arr"]'),
            strict=True,
        )
    )
    assert at_stake["acme"] == "450,000"  # a holding with no ARR of its own stakes its subtree's
    assert at_stake["acme-us"] == "100,000"
    chromium.screenshot(tmp_path / "queue.png")
    assert chromium.console_errors() == []


def test_the_notebook_queue_names_the_tree_in_every_language() -> None:
    pytest.importorskip("jinja2")
    model, rolled = _rolled(FALLEN)
    queue = action_queue(model, IDS, rolled, "2026-06-30", arr=ARR)
    assert "worst children by ARR at stake: acme-eu, acme-us" in queue.to_html()
    page = queue.to_html("ja")
    assert "親: acme-eu" in page
    assert "子アカウント: acme-eu, acme-us" in page


def test_a_scored_csv_dashboard_carries_the_tree(tmp_path: Path) -> None:
    pytest.importorskip("jinja2")
    model_path = tmp_path / "model.toml"
    dump_model(_model(), model_path)
    source = tmp_path / "accounts.csv"
    rows = ["account_id,parent_id,arr,usage"]
    rows += [f"{a},{p or ''},{arr},{u}" for a, p, arr, u in zip(IDS, PARENTS, ARR, FALLEN, strict=True)]
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    quiet = {"stdout": io.StringIO(), "stderr": io.StringIO()}
    scored = tmp_path / "out.csv"
    assert main(["score", str(source), "--model", str(model_path), "-o", str(scored)], **quiet) == 0
    page = tmp_path / "r.html"
    assert main(["report", "--scores", str(scored), "--model", str(model_path), "-o", str(page)], **quiet) == 0
    data = _page_data(page.read_text(encoding="utf-8"))["list"]
    at = data["id"].index
    assert [data["pa"][at(a)] for a in IDS] == [-1 if p is None else at(p) for p in PARENTS]
    assert data["os"][at("acme")] == 850


@given(st.lists(st.integers(min_value=-1, max_value=30), min_size=1, max_size=12), st.data())
def test_any_tree_reads_back_as_written(links: list[int], data: st.DataObject) -> None:
    """Parents point to an earlier account (or none): any such forest round-trips."""
    n = len(links)
    ids = [f"a{i}" for i in range(n)]
    parents = [None if link < 0 or i == 0 else ids[link % i] for i, link in enumerate(links)]
    usage = data.draw(st.lists(st.floats(0, 100), min_size=n, max_size=n))
    model = _model()
    scored = model.score_batch({"usage": np.array(usage)}, drivers=2)
    rolled = hierarchy.roll_up(model, scored, hierarchy.build_tree(ids, parents), weights=np.ones(n), drivers=2)
    with open_history(":memory:") as store:
        store.write_snapshot(model, "2026-06-30", ids, rolled)
        points = {p.account_id: p for p in store.portfolio()}
    for i, account in enumerate(ids):
        point = points[account]
        assert point.parent_id == parents[i]
        assert point.level == int(rolled.tree.level[i])
        assert point.score == pytest.approx(float(rolled.scores.score[i]))
        assert point.own_score == pytest.approx(float(usage[i]))
