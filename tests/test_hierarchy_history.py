"""Account trees beyond the score: the history stores the rolled-up scores with
each account's own score, parent and level (both backends, schema 5, migrated
from 4), the action queue raises a parent whose roll-up falls and names its
worst children, and the dashboard shows the tree."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from healthscore import Dimension, HealthModel, Metric, hierarchy, scorers
from healthscore.cli import main
from healthscore.config import dump_model
from healthscore.history import SCHEMA_VERSION, SQLiteHistory, open_history

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
    csv = tmp_path / "accounts.csv"
    rows = ["account_id,parent_id,arr,usage"]
    rows += [f"{a},{p or ''},{arr},{u}" for a, p, arr, u in zip(IDS, PARENTS, ARR, FALLEN, strict=True)]
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    db = tmp_path / "h.db"
    args = ["score", str(csv), "--model", str(model_path), "--history", str(db), "--as-of", "2026-06-30"]
    err = io.StringIO()
    assert main([*args, "-o", str(tmp_path / "out.csv")], stdout=io.StringIO(), stderr=err) == 0, err.getvalue()
    _, rolled = _rolled(FALLEN)
    with open_history(db) as store:
        points = {p.account_id: p for p in store.portfolio()}
    assert points["acme"].score == pytest.approx(float(rolled.scores.score[0]), abs=1e-9)
    assert points["acme"].own_score == pytest.approx(85.0)
    assert points["acme-fr"].parent_id == "acme-eu"
    assert points["acme-fr"].level == 2
