"""Score history in SQLite: round trip, idempotent re-runs, model versions,
past portfolios, all-or-nothing writes (a killed writer included), readers
during a write."""

from __future__ import annotations

import math
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import attrs
import numpy as np
import pytest

from healthscore import InputError, presets
from healthscore.config import model_fingerprint
from healthscore.datasets import load_sample_portfolio
from healthscore.history import SQLiteHistory
from healthscore.model import BatchScores, HealthModel


@pytest.fixture
def model() -> HealthModel:
    return presets.three_dimension()


def _scored(model: HealthModel, shift: float = 0.0) -> tuple[list[str], BatchScores]:
    columns = load_sample_portfolio()
    ids = [str(a) for a in columns.pop("account_id").tolist()]
    columns["penetration"] = np.clip(columns["penetration"] + shift, 0, 1)
    return ids, model.score_batch(columns, missing_columns="missing")


def test_a_snapshot_reads_back_account_by_account(tmp_path: Path, model: HealthModel) -> None:
    ids, scored = _scored(model)
    with SQLiteHistory(tmp_path / "h.db") as store:
        assert store.write_snapshot(model, "2026-06-30", ids, scored) == 300
        (info,) = store.snapshots()
        assert (info.as_of, info.accounts, info.model_name) == ("2026-06-30", 300, "three_dimension")
        assert info.model_version == model_fingerprint(model)
        for i in (0, 7, 299):
            (point,) = store.series(ids[i])
            assert point.score == pytest.approx(float(scored.score[i]))
            assert point.band == scored.band[i]
            assert point.alert == scored.alert[i]
            assert point.coverage == pytest.approx(float(scored.coverage[i]))
            for name, values in scored.dimensions.items():
                assert point.dimensions[name] == pytest.approx(float(values[i]))


def test_no_score_is_stored_as_none(tmp_path: Path) -> None:
    model = presets.dear()
    scored = model.score_batch({"deployment": [0.5, math.nan]}, missing_columns="missing")
    with SQLiteHistory(tmp_path / "h.db") as store:
        store.write_snapshot(model, "2026-01-31", ["x", "y"], scored)
        (point,) = store.series("y")
        assert point.score is None
        assert point.band is None
        assert point.dimensions["deployment"] is None


def test_rerunning_a_date_replaces_it_and_other_models_stay_apart(tmp_path: Path, model: HealthModel) -> None:
    ids, first = _scored(model)
    _, second = _scored(model, shift=0.3)
    other = presets.three_dimension({"product": 60, "relationship": 20, "business": 20})
    _, third = _scored(other)
    with SQLiteHistory(tmp_path / "h.db") as store:
        store.write_snapshot(model, "2026-06-30", ids, first)
        store.write_snapshot(model, "2026-06-30", ids, second)
        store.write_snapshot(other, "2026-06-30", ids, third)
        assert len(store.snapshots()) == 2
        assert len(store.series(ids[0])) == 2
        (mine,) = store.series(ids[0], model=model)
        assert mine.score == pytest.approx(float(second.score[0]))
        (theirs,) = store.series(ids[0], model=model_fingerprint(other))
        assert theirs.score == pytest.approx(float(third.score[0]))


def test_a_past_portfolio_is_the_latest_snapshot_at_that_date(tmp_path: Path, model: HealthModel) -> None:
    ids, early = _scored(model)
    _, late = _scored(model, shift=0.2)
    with SQLiteHistory(tmp_path / "h.db") as store:
        store.write_snapshot(model, "2026-05-31", ids, early)
        store.write_snapshot(model, "2026-06-30", ids, late)
        assert store.portfolio("2026-05-01") == []
        june_15 = store.portfolio("2026-06-15")
        assert len(june_15) == 300
        assert {p.as_of for p in june_15} == {"2026-05-31"}
        latest = {p.account_id: p for p in store.portfolio("2026-12-31")}
        assert latest[ids[3]].score == pytest.approx(float(late.score[3]))
        series = store.series(ids[3])
        assert [p.as_of for p in series] == ["2026-05-31", "2026-06-30"]


def test_bad_input_is_an_error_and_writes_nothing(tmp_path: Path, model: HealthModel) -> None:
    ids, scored = _scored(model)
    with SQLiteHistory(tmp_path / "h.db") as store:
        with pytest.raises(InputError, match="duplicate account_id 'ACC-0001'"):
            store.write_snapshot(model, "2026-06-30", [ids[0], *ids[:-1]], scored)
        with pytest.raises(InputError, match="299 entries"):
            store.write_snapshot(model, "2026-06-30", ids[:-1], scored)
        with pytest.raises(InputError, match="as_of must be an ISO 8601 date"):
            store.write_snapshot(model, "last tuesday", ids, scored)
        assert store.snapshots() == []


def test_a_failure_inside_the_write_rolls_everything_back(tmp_path: Path, model: HealthModel) -> None:
    ids, scored = _scored(model)
    with SQLiteHistory(tmp_path / "h.db") as store:
        store.write_snapshot(model, "2026-05-31", ids, scored)
        # coverage that cannot be stored: the insert fails after the old rows of the date were deleted
        broken = attrs.evolve(scored, coverage=np.array([object()] * len(ids), dtype=object))
        with pytest.raises((TypeError, ValueError, sqlite3.Error)):
            store.write_snapshot(model, "2026-05-31", ids, broken)
        assert [s.as_of for s in store.snapshots()] == ["2026-05-31"]
        assert len(store.portfolio("2026-12-31")) == 300
        with pytest.raises((TypeError, ValueError, sqlite3.Error)):
            store.write_snapshot(model, "2026-06-30", ids, broken)
        assert [s.as_of for s in store.snapshots()] == ["2026-05-31"]
        assert len(store.portfolio("2026-12-31")) == 300


def test_readers_see_the_old_state_while_a_writer_writes(tmp_path: Path, model: HealthModel) -> None:
    ids, scored = _scored(model)
    path = tmp_path / "h.db"
    with SQLiteHistory(path) as writer, SQLiteHistory(path) as reader:
        writer.write_snapshot(model, "2026-05-31", ids, scored)
        writer._db.execute("BEGIN IMMEDIATE")
        writer._db.execute("DELETE FROM scores")
        assert len(reader.portfolio("2026-12-31")) == 300  # not blocked, not half
        writer._db.execute("ROLLBACK")


WRITER = textwrap.dedent(
    """
    import sys
    import numpy as np
    from healthscore import presets
    from healthscore.history import SQLiteHistory

    model = presets.dear()
    n = 400_000
    scored = model.score_batch({"deployment": np.linspace(0, 1, n)}, missing_columns="missing")
    ids = [f"acc{i}" for i in range(n)]
    with SQLiteHistory(sys.argv[1]) as store:
        store.write_snapshot(model, "2026-05-31", ids[:1000], model.score_batch(
            {"deployment": np.linspace(0, 1, 1000)}, missing_columns="missing"))
        print("ready", flush=True)
        while True:
            store.write_snapshot(model, "2026-06-30", ids, scored)
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")
def test_a_writer_killed_mid_write_leaves_old_or_new_never_half(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    child = subprocess.Popen([sys.executable, str(script), str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(1.5)  # well inside a 400,000-account write (or between two)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        if child.stdout is not None:
            child.stdout.close()
    with SQLiteHistory(path) as store:
        runs = {(s.model_version, s.as_of): s.accounts for s in store.snapshots()}
        assert "2026-05-31" in {day for _, day in runs}
        for (version, day), accounts in runs.items():
            (stored,) = store._db.execute(
                "SELECT COUNT(*) FROM scores WHERE model_version = ? AND as_of = ?", (version, day)
            ).fetchone()
            assert stored == accounts
        (orphans,) = store._db.execute(
            "SELECT COUNT(*) FROM scores s LEFT JOIN runs r ON r.model_version = s.model_version "
            "AND r.as_of = s.as_of WHERE r.as_of IS NULL"
        ).fetchone()
        assert orphans == 0
