"""Score history on both backends (SQLite and PostgreSQL, one suite): round
trip, idempotent re-runs, model versions, past portfolios, all-or-nothing
writes (a killed writer included), readers during a write, overrides and their
expiry, export."""

from __future__ import annotations

import csv
import json
import math
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pytest

from healthscore import InputError, ValidationError, presets
from healthscore.config import model_fingerprint
from healthscore.datasets import load_sample_portfolio
from healthscore.history import HistoryStore, SQLiteHistory, _implied_alert, open_history
from healthscore.model import BatchScores, HealthModel
from healthscore.trends import trends


@pytest.fixture
def model() -> HealthModel:
    return presets.three_dimension()


def _scored(model: HealthModel, shift: float = 0.0) -> tuple[list[str], BatchScores]:
    columns = load_sample_portfolio()
    ids = [str(a) for a in columns.pop("account_id").tolist()]
    columns["penetration"] = np.clip(columns["penetration"] + shift, 0, 1)
    return ids, model.score_batch(columns, missing_columns="missing")


def test_a_snapshot_reads_back_account_by_account(history_target: str, model: HealthModel) -> None:
    ids, scored = _scored(model)
    with open_history(history_target) as store:
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


def test_no_score_is_stored_as_none(history_target: str) -> None:
    model = presets.dear()
    scored = model.score_batch({"deployment": [0.5, math.nan]}, missing_columns="missing")
    with open_history(history_target) as store:
        store.write_snapshot(model, "2026-01-31", ["x", "y"], scored)
        (point,) = store.series("y")
        assert point.score is None
        assert point.band is None
        assert point.dimensions["deployment"] is None


def test_rerunning_a_date_replaces_it_and_other_models_stay_apart(history_target: str, model: HealthModel) -> None:
    ids, first = _scored(model)
    _, second = _scored(model, shift=0.3)
    other = presets.three_dimension({"product": 60, "relationship": 20, "business": 20})
    _, third = _scored(other)
    with open_history(history_target) as store:
        store.write_snapshot(model, "2026-06-30", ids, first)
        store.write_snapshot(model, "2026-06-30", ids, second)
        store.write_snapshot(other, "2026-06-30", ids, third)
        assert len(store.snapshots()) == 2
        assert len(store.series(ids[0])) == 2
        (mine,) = store.series(ids[0], model=model)
        assert mine.score == pytest.approx(float(second.score[0]))
        (theirs,) = store.series(ids[0], model=model_fingerprint(other))
        assert theirs.score == pytest.approx(float(third.score[0]))


def test_a_past_portfolio_is_the_latest_snapshot_at_that_date(history_target: str, model: HealthModel) -> None:
    ids, early = _scored(model)
    _, late = _scored(model, shift=0.2)
    with open_history(history_target) as store:
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


def test_bad_input_is_an_error_and_writes_nothing(history_target: str, model: HealthModel) -> None:
    ids, scored = _scored(model)
    with open_history(history_target) as store:
        with pytest.raises(InputError, match="duplicate account_id 'ACC-0001'"):
            store.write_snapshot(model, "2026-06-30", [ids[0], *ids[:-1]], scored)
        with pytest.raises(InputError, match="299 entries"):
            store.write_snapshot(model, "2026-06-30", ids[:-1], scored)
        with pytest.raises(InputError, match="as_of must be an ISO 8601 date"):
            store.write_snapshot(model, "last tuesday", ids, scored)
        assert store.snapshots() == []


def test_a_failure_inside_the_write_rolls_everything_back(
    history_target: str, model: HealthModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids, scored = _scored(model)
    with open_history(history_target) as store:
        store.write_snapshot(model, "2026-05-31", ids, scored)
        insert = store._insert_scores

        def insert_then_fail(columns: Any, rows: Any) -> None:
            insert(columns, rows)  # every row is in, the old rows of the date are gone ...
            raise RuntimeError("disk full")  # ... and then the write fails

        monkeypatch.setattr(store, "_insert_scores", insert_then_fail)
        for day in ("2026-05-31", "2026-06-30"):  # replacing a date, and adding one
            with pytest.raises(RuntimeError, match="disk full"):
                store.write_snapshot(model, day, ids, scored)
            assert [s.as_of for s in store.snapshots()] == ["2026-05-31"]
            assert _consistent(store) == {"2026-05-31": 300}


class _Rollback(Exception):
    pass


def test_readers_see_the_old_state_while_a_writer_writes(history_target: str, model: HealthModel) -> None:
    ids, scored = _scored(model)
    with open_history(history_target) as writer, open_history(history_target) as reader:
        writer.write_snapshot(model, "2026-05-31", ids, scored)
        seen_during: list[int] = []

        def write_and_abort() -> None:
            with writer._transaction():
                writer._query("DELETE FROM hs_scores")
                assert len(writer._query("SELECT account_id FROM hs_scores")) == 0
                seen_during.append(len(reader.portfolio("2026-12-31")))  # not blocked, not half
                raise _Rollback

        with pytest.raises(_Rollback):
            write_and_abort()
        assert seen_during == [300]
        assert len(reader.portfolio("2026-12-31")) == 300


WRITER = textwrap.dedent(
    """
    import sys
    import numpy as np
    from healthscore import presets
    from healthscore.history import open_history

    model = presets.dear()
    n = 400_000
    scored = model.score_batch({"deployment": np.linspace(0, 1, n)}, missing_columns="missing")
    ids = [f"acc{i}" for i in range(n)]
    with open_history(sys.argv[1]) as store:
        store.write_snapshot(model, "2026-05-31", ids[:1000], model.score_batch(
            {"deployment": np.linspace(0, 1, 1000)}, missing_columns="missing"))
        print("ready", flush=True)
        while True:
            store.write_snapshot(model, "2026-06-30", ids, scored)
    """
)


def _consistent(store: HistoryStore) -> dict[str, int]:
    """Each run's account count matches its rows, and no row lacks its run."""
    counted = dict(store._query("SELECT run_id, COUNT(*) FROM hs_scores GROUP BY run_id"))
    runs = dict(store._query("SELECT run_id, accounts FROM hs_runs"))
    assert counted == runs
    return {s.as_of: s.accounts for s in store.snapshots()}


@pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")
def test_a_writer_killed_mid_write_leaves_old_or_new_never_half(history_target: str, tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    child = subprocess.Popen([sys.executable, str(script), history_target], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(1.5)  # well inside a 400,000-account write (or between two)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        if child.stdout is not None:
            child.stdout.close()
    with open_history(history_target) as store:
        runs = _consistent(store)
        assert runs["2026-05-31"] == 1000
        assert runs.get("2026-06-30", 400_000) == 400_000


# --------------------------------------------------------------------------- the columnar read and export


def test_read_gives_columns_and_the_latest_snapshot(history_target: str, model: HealthModel) -> None:
    ids, early = _scored(model)
    _, late = _scored(model, shift=0.2)
    arr = np.linspace(1000, 300_000, len(ids))
    arr[5] = math.nan
    with open_history(history_target) as store:
        store.write_snapshot(model, "2026-05-31", ids, early)
        store.write_snapshot(model, "2026-06-30", ids, late, arr=arr)
        everything = store.read()
        assert len(everything["score"]) == 600
        assert everything["as_of"][:300].tolist() == ["2026-05-31"] * 300
        assert everything["account_id"][:3].tolist() == sorted(ids)[:3]
        latest = store.snapshot_columns()
        assert latest["as_of"].tolist() == ["2026-06-30"] * 300
        order = np.argsort(np.array(ids))
        np.testing.assert_array_equal(latest["score"], np.asarray(late.score)[order])
        np.testing.assert_array_equal(latest["product"], late.dimensions["product"][order])
        np.testing.assert_array_equal(latest["arr"], arr[order])
        assert np.isnan(store.read(since="2026-05-01", until="2026-05-31")["arr"]).all()
        assert store.latest_version() == model_fingerprint(model)
        assert store.model(model_fingerprint(model)) == model


def test_drivers_and_segments_round_trip(history_target: str) -> None:
    model = presets.segmented()
    columns = load_sample_portfolio()
    ids = [str(a) for a in columns.pop("account_id").tolist()]
    scored = model.score_batch(columns, missing_columns="missing", drivers=3)
    with open_history(history_target) as store:
        store.write_snapshot(model, "2026-06-30", ids, scored)
        points = {p.account_id: p for p in store.portfolio()}
        for i in (0, 17, 250):
            point = points[ids[i]]
            assert point.drivers == tuple(str(d[i]) for d in scored.drivers if str(d[i]))
            assert point.segment == str(scored.segment[i])  # type: ignore[index]
        assert store.model(model_fingerprint(model)) == model


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_export_writes_every_row(history_target: str, model: HealthModel, tmp_path: Path, suffix: str) -> None:
    ids, scored = _scored(model)
    with open_history(history_target) as store:
        store.write_snapshot(model, "2026-05-31", ids, scored)
        store.write_snapshot(model, "2026-06-30", ids, scored)
        target = tmp_path / f"history{suffix}"
        assert store.export(target) == 600
    if suffix == ".csv":
        with target.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
        first = rows[0]
        assert float(first["score"]) == pytest.approx(float(np.asarray(scored.score)[np.argsort(ids)][0]))
    else:
        import pyarrow.parquet as pq

        rows = pq.read_table(target).to_pylist()
        first = rows[0]
        assert first["product"] == pytest.approx(float(scored.dimensions["product"][np.argsort(ids)][0]))
    assert len(rows) == 600
    assert list(first)[:7] == ["account_id", "as_of", "model_version", "score", "band", "alert", "coverage"]
    assert list(first)[-2:] == ["segment", "name"]
    assert [f for f in list(first) if f.startswith("computed")] == ["computed_score", "computed_band", "computed_alert"]
    assert not list(tmp_path.glob(".history*"))  # no temporary file left behind


# --------------------------------------------------------------------------- manual overrides


def test_an_override_wins_until_it_expires_and_keeps_the_computed_value(
    history_target: str, model: HealthModel
) -> None:
    ids, scored = _scored(model)
    target = ids[4]
    with open_history(history_target) as store:
        store.write_snapshot(model, "2026-06-01", ids, scored)
        made = store.set_override(
            target, score=25, reason="exec sponsor left", author="dana", starts="2026-06-05", expires="2026-07-01"
        )
        for day in ("2026-06-08", "2026-06-15", "2026-07-06"):
            store.write_snapshot(model, day, ids, scored)  # later runs: the override is not overwritten
        series = {p.as_of: p for p in store.series(target)}
        computed = float(scored.score[4])
        assert series["2026-06-01"].score == pytest.approx(computed)
        assert series["2026-06-01"].override is None
        for day in ("2026-06-08", "2026-06-15"):
            point = series[day]
            assert point.score == 25.0
            assert point.band == model.bands.classify(25.0)
            assert point.alert == model.alerts.classify(25.0)
            assert point.computed_score == pytest.approx(computed)
            assert point.computed_band == scored.band[4]
            assert point.override == made
        assert series["2026-07-06"].score == pytest.approx(computed)  # expired: lapsed
        assert series["2026-07-06"].override is None
        others = store.read(account_id=ids[5])
        assert (others["override_id"] == "").all()


def test_a_band_override_keeps_the_score_and_a_later_override_wins(history_target: str, model: HealthModel) -> None:
    ids, scored = _scored(model)
    with open_history(history_target) as store:
        store.write_snapshot(model, "2026-06-10", ids, scored)
        store.set_override(ids[0], band="red", reason="legal dispute", author="ops", starts="2026-06-01",
                           expires="2026-12-31")  # fmt: skip
        latest = store.set_override(ids[0], score=90, band="yellow", reason="dispute settled", author="ops",
                                    starts="2026-06-02", expires="2026-12-31")  # fmt: skip
        store.set_override(ids[1], band="red", reason="legal dispute", author="ops", starts="2026-06-01",
                           expires="2026-12-31")  # fmt: skip
        (first,) = store.series(ids[0])
        assert (first.score, first.band, first.override) == (90.0, "yellow", latest)
        (second,) = store.series(ids[1])
        assert second.band == "red"
        assert second.score == pytest.approx(float(scored.score[1]))


def test_a_band_override_brings_the_alert_its_band_implies(history_target: str, model: HealthModel) -> None:
    healthy = model.score_batch({"penetration": [0.9, 0.9, 0.9, 0.1]}, missing_columns="missing")
    assert healthy.alert.tolist() == ["healthy", "healthy", "healthy", "critical"]
    ids = ["to_red", "to_orange", "both", "to_green"]
    with open_history(history_target) as store:
        store.write_snapshot(model, "2026-06-10", ids, healthy)
        for account, band, score in [("to_red", "red", None), ("to_orange", "orange", None), ("both", "yellow", 95.0),
                                     ("to_green", "green", None)]:  # fmt: skip
            store.set_override(account, band=band, score=score, reason="legal dispute", author="ops",
                               starts="2026-06-01", expires="2026-12-31")  # fmt: skip
        points = {p.account_id: p for p in store.portfolio("2026-06-10")}
        columns = store.read()
    # the alert of each band's lowest score: red 0 -> critical, orange 40 -> at_risk, yellow 60 -> warning
    assert (points["to_red"].band, points["to_red"].alert) == ("red", "critical")
    assert (points["to_orange"].band, points["to_orange"].alert) == ("orange", "at_risk")
    assert (points["both"].score, points["both"].band, points["both"].alert) == (95.0, "yellow", "warning")
    assert (points["to_green"].band, points["to_green"].alert) == ("green", "healthy")
    assert points["to_red"].score == pytest.approx(float(healthy.score[0]))  # a band alone keeps the score
    assert points["to_red"].computed_alert == "healthy"  # the model's own alert is kept
    assert points["to_green"].computed_alert == "critical"
    by_id = dict(zip(columns["account_id"].tolist(), columns["alert"].tolist(), strict=True))
    assert by_id == {"to_red": "critical", "to_orange": "at_risk", "both": "warning", "to_green": "healthy"}


def test_the_docs_table_of_implied_alerts_is_the_rule() -> None:
    text = (Path(__file__).parents[1] / "docs" / "bands-and-alerts.md").read_text(encoding="utf-8")
    section = text.split("## A band implies an alert", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \((\d+)\) \| `(\w+)` \|", section, flags=re.MULTILINE)
    model = presets.three_dimension()
    assert [(band, float(low), alert) for band, low, alert in rows] == [
        (b.name, b.min_score, _implied_alert(model, b.name)) for b in model.bands.bands
    ]


def test_a_band_the_snapshots_model_lacks_is_an_error_naming_the_override(history_target: str) -> None:
    from healthscore.bands import Band, BandPolicy

    first = presets.dear()
    other = attrs.evolve(
        first, bands=BandPolicy(bands=[Band(name="fine", min_score=50), Band(name="poor", min_score=0)])
    )
    scored = first.score_batch({"deployment": [0.9]}, missing_columns="missing")
    with open_history(history_target) as store:
        store.write_snapshot(first, "2026-06-01", ["a"], scored)
        made = store.set_override("a", band="red", reason="dispute", author="ops", starts="2026-06-01",
                                  expires="2026-12-31")  # fmt: skip
        store.write_snapshot(other, "2026-06-08", ["a"], other.score_batch({"deployment": [0.9]},
                                                                         missing_columns="missing"))  # fmt: skip
        assert store.series("a", model=first)[0].alert == "critical"
        with pytest.raises(
            InputError, match=rf"override {made.override_id} of account 'a' sets band 'red'.*fine, poor"
        ):
            store.series("a", model=other)


def test_a_revoked_override_stops_applying_but_stays_on_record(history_target: str, model: HealthModel) -> None:
    ids, scored = _scored(model)
    with open_history(history_target) as store:
        made = store.set_override(ids[2], score=10, reason="r", author="a", starts="2026-01-01", expires="2027-01-01")
        store.write_snapshot(model, "2026-03-01", ids, scored)
        store.write_snapshot(model, "2026-05-01", ids, scored)
        revoked = store.revoke_override(made.override_id, author="b", when="2026-04-01")
        assert revoked.revoked_by == "b"
        series = store.series(ids[2])
        assert [p.score == 10.0 for p in series] == [True, False]
        assert store.overrides(include_inactive=True) == [revoked]
        with pytest.raises(InputError, match="no override with id 'nope'"):
            store.revoke_override("nope", author="b")


def test_bad_overrides_are_errors_naming_the_field(history_target: str, model: HealthModel) -> None:
    ids, scored = _scored(model)
    with open_history(history_target) as store:
        store.write_snapshot(model, "2026-06-10", ids, scored)
        good: dict[str, Any] = {"reason": "r", "author": "a", "expires": "2027-01-01"}
        with pytest.raises(ValidationError, match="override must set a score, a band or both"):
            store.set_override(ids[0], **good)
        with pytest.raises(ValidationError, match="score must be a number from 0 to 100"):
            store.set_override(ids[0], score=140, **good)
        with pytest.raises(ValidationError, match=r"band must be one of the stored models' bands .*'purple'"):
            store.set_override(ids[0], band="purple", **good)
        with pytest.raises(ValidationError, match="reason must be a non-blank string"):
            store.set_override(ids[0], score=10, reason=" ", author="a", expires="2027-01-01")
        with pytest.raises(ValidationError, match=r"expires must be after starts \(2026-06-01\)"):
            store.set_override(ids[0], score=10, reason="r", author="a", starts="2026-06-01", expires="2026-05-01")
        with pytest.raises(InputError, match="expires must be an ISO 8601 date"):
            store.set_override(ids[0], score=10, reason="r", author="a", expires="soon")
        assert store.overrides(include_inactive=True) == []


def test_open_history_picks_the_backend_and_names_a_bad_server() -> None:
    with open_history(":memory:") as store:
        assert isinstance(store, SQLiteHistory)
    with pytest.raises(InputError, match=r"cannot connect to the history database postgresql://u:\*\*\*@") as err:
        open_history("postgresql://u:secret@127.0.0.1:1/none?connect_timeout=2")
    assert (err.value.column, err.value.value) == ("url", "postgresql://u:***@127.0.0.1:1/none?connect_timeout=2")


def test_a_newer_schema_is_refused_naming_the_field_and_the_version(history_target: str) -> None:
    with open_history(history_target) as store, store._transaction():
        store._query("UPDATE hs_meta SET value = '9' WHERE key = 'schema'")
    with pytest.raises(InputError, match=r"hs_meta\.schema of history store .* is '9'; this healthscore reads") as err:
        open_history(history_target)
    assert (err.value.column, err.value.value) == ("hs_meta.schema", "9")


def test_parquet_without_pyarrow_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = presets.dear()
    scored = model.score_batch({"deployment": [0.5]}, missing_columns="missing")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now raises ImportError
    with SQLiteHistory(":memory:") as store:
        store.write_snapshot(model, "2026-06-30", ["a"], scored)
        with pytest.raises(InputError, match=r"healthscore\[arrow\]") as err:
            store.export(tmp_path / "h.parquet")
    assert (err.value.column, err.value.value) == ("format", "parquet")
    assert not (tmp_path / "h.parquet").exists()


def test_trend_columns_give_the_same_trends_as_all_of_history(history_target: str) -> None:
    model = presets.dear()
    rng = np.random.default_rng(5)
    ids = np.array([f"a{i:03d}" for i in range(60)])
    days = np.datetime64("2025-11-02") + 7 * np.arange(40)
    with open_history(history_target) as store:
        for day in days:
            present = rng.random(len(ids)) > 0.3  # accounts skip snapshots, some for months
            present[:5] = day < days[10]  # five accounts stop being scored early on
            scored = model.score_batch({"deployment": rng.random(int(present.sum()))}, missing_columns="missing")
            store.write_snapshot(model, str(day), ids[present], scored)
        for as_of in ("2026-03-01", "2026-06-30", "2026-08-02"):
            fast = trends(store.trend_columns(as_of), as_of)
            full = trends(store.read(until=as_of, fields="scores"), as_of)
            # accounts not scored within the window (the five that stopped) are left out; the rest agree
            gone = set(full["account_id"].tolist()) - set(fast["account_id"].tolist())
            assert gone == ({f"a{i:03d}" for i in range(5)} if as_of > "2026-04-15" else set())
            keep = np.isin(full["account_id"], fast["account_id"])
            for key in ("score", "change_7", "change_30", "change_90", "slope_30", "momentum", "drop"):
                np.testing.assert_array_equal(fast[key], full[key][keep], err_msg=f"{key} as of {as_of}")


def test_snapshot_dates_are_utc_dates_whatever_form_they_come_in(history_target: str) -> None:
    from datetime import datetime, timedelta, timezone

    model = presets.dear()
    scored = model.score_batch({"deployment": [0.5, 0.9]}, missing_columns="missing")
    with open_history(history_target) as store:
        store.write_snapshot(model, datetime(2026, 6, 30, 9), ["a", "b"], scored)  # naive: UTC
        assert [p.as_of for p in store.portfolio("2026-06-30")] == ["2026-06-30", "2026-06-30"]
        assert len(store.read(until="2026-06-30")["score"]) == 2
        assert len(store.read(until="2026-06-30T08:00:00Z")["score"]) == 2  # a date-time stands for its UTC date
        same = datetime(2026, 6, 30, 11, tzinfo=timezone(timedelta(hours=2)))  # the same instant
        store.write_snapshot(model, same, ["a", "b"], scored)
        store.write_snapshot(model, "2026-06-30T11:00:00+02:00", ["a", "b"], scored)
        assert [s.as_of for s in store.snapshots()] == ["2026-06-30"]
        store.write_snapshot(model, "2026-07-01T01:00:00+02:00", ["a", "b"], scored)  # 06-30 23:00 UTC
        assert [s.as_of for s in store.snapshots()] == ["2026-06-30"]
        with pytest.raises(InputError, match=r"as_of must be an ISO 8601 date .* got '20260630'"):
            store.write_snapshot(model, "20260630", ["a", "b"], scored)


def test_an_override_ends_on_the_utc_date_it_is_revoked(history_target: str) -> None:
    model = presets.dear()
    scored = model.score_batch({"deployment": [0.5]}, missing_columns="missing")
    with open_history(history_target) as store:
        for day in ("2026-06-29", "2026-06-30"):
            store.write_snapshot(model, day, ["a"], scored)
        made = store.set_override(
            "a", score=90, reason="r", author="me", starts="2026-06-01T10:00:00+02:00", expires="2026-07-31"
        )
        assert (made.starts, made.expires) == ("2026-06-01", "2026-07-31")
        store.revoke_override(made.override_id, author="me", when="2026-06-30T09:00:00+02:00")
        assert [p.score for p in store.series("a")] == [90.0, pytest.approx(float(scored.score[0]))]


def _as_schema(store: HistoryStore, version: str) -> None:
    """Turn a fresh store into one of schema 3 (or 2, whose tables were the
    same): without the columns schema 4 added, inside the caller's transaction."""
    for table, column in (("hs_scores", "name"), ("hs_scores", "inputs"), ("hs_runs", "metrics")):
        store._query(f"ALTER TABLE {table} DROP COLUMN {column}")
    store._query("UPDATE hs_meta SET value = ? WHERE key = 'schema'", (version,))


def test_a_schema_2_file_is_migrated_in_one_go(history_target: str) -> None:
    """Schema 2 (commit 3ad8b32) kept as_of, starts and expires as the caller
    wrote them; its tables were those of schema 3. Write one, then open it:
    it goes through 3 to 4."""
    model = presets.dear()
    scored = model.score_batch({"deployment": [0.5, 0.9]}, missing_columns="missing")
    with open_history(history_target) as store:
        store.write_snapshot(model, "2026-06-29", ["a", "b"], scored)
        store.write_snapshot(model, "2026-06-30", ["a", "b"], scored)
        store.set_override("a", score=90, reason="r", author="me", starts="2026-06-01", expires="2026-07-31")
    with (
        open_history(history_target) as db,
        db._transaction(),
    ):  # what the old code wrote for datetime(2026, 6, 30, 9) and "2026-06-30T11:00:00+02:00"
        _as_schema(db, "2")
        db._query("UPDATE hs_runs SET as_of = '2026-06-30T09:00:00' WHERE as_of = '2026-06-30'")
        db._query(
            "INSERT INTO hs_runs SELECT 3, model_version, '2026-06-30T11:00:00+02:00', accounts, dimensions, "
            "'9999-01-01T00:00:00.000000+00:00' FROM hs_runs WHERE run_id = 2"
        )
        db._query("INSERT INTO hs_scores (run_id, account_id, score, coverage, drivers) VALUES (3, 'a', 1.0, 1, '[]')")
        db._query("UPDATE hs_overrides SET expires = '2026-07-31T00:00:00', revoked_at = '2026-06-30'")
    with open_history(history_target) as store:
        assert [s.as_of for s in store.snapshots()] == ["2026-06-29", "2026-06-30"]
        assert store.portfolio("2026-06-30")[0].computed_score == 1.0  # the later written of the two kept
        (o,) = store.overrides(include_inactive=True)
        assert (o.expires, o.revoked_at) == ("2026-07-31", "2026-06-30T00:00:00.000000+00:00")
        assert store._query("SELECT value FROM hs_meta WHERE key = 'schema'") == [("5",)]
        assert store.portfolio("2026-06-30")[0].name is None


def test_a_failed_migration_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    model = presets.dear()
    scored = model.score_batch({"deployment": [0.5]}, missing_columns="missing")
    path = tmp_path / "old.sqlite"
    with SQLiteHistory(path) as store:
        store.write_snapshot(model, "2026-06-29", ["a"], scored)
        store.write_snapshot(model, "2026-06-30", ["a"], scored)
    import sqlite3

    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE hs_meta SET value = '2' WHERE key = 'schema'")
        db.execute("UPDATE hs_runs SET as_of = '2026-06-29T09:00:00' WHERE as_of = '2026-06-29'")
        db.execute("UPDATE hs_runs SET as_of = 'soon' WHERE as_of = '2026-06-30'")
    db.close()
    with pytest.raises(InputError, match=r"hs_runs\.as_of of run 2 must be an ISO 8601 date"):
        SQLiteHistory(path)
    db = sqlite3.connect(path)
    assert sorted(db.execute("SELECT as_of FROM hs_runs").fetchall()) == [("2026-06-29T09:00:00",), ("soon",)]
    assert db.execute("SELECT value FROM hs_meta WHERE key = 'schema'").fetchall() == [("2",)]
    db.close()


# --------------------------------------------------------------------------- names and raw inputs (schema 4)


def _portfolio_inputs() -> tuple[list[str], dict[str, Any]]:
    """The sample portfolio's columns with the cases inputs must keep: NaN and
    infinities, a missing label, a metric with no column, a column no model reads."""
    columns = load_sample_portfolio()
    ids = [str(a) for a in columns.pop("account_id").tolist()]
    columns["nps"] = np.asarray(columns["nps"], dtype=np.float64).copy()
    columns["nps"][:3] = [math.nan, math.inf, -math.inf]
    columns["executive_engagement"] = np.asarray(columns["executive_engagement"], dtype=object).copy()
    columns["executive_engagement"][4] = None
    del columns["csat"]
    columns["not_a_metric"] = np.arange(len(ids))
    return ids, columns


def _names(n: int) -> list[str | None]:
    return [None if i % 7 == 0 else "" if i % 7 == 1 else f"Customer {i} GmbH" for i in range(n)]


@pytest.mark.parametrize("segmented", [False, True], ids=["plain", "segmented"])
def test_stored_inputs_rescore_to_the_stored_scores_exactly(history_target: str, segmented: bool) -> None:
    model = presets.segmented() if segmented else presets.three_dimension()
    ids, columns = _portfolio_inputs()
    if segmented:
        columns["segment"] = np.asarray(columns["segment"], dtype=object).copy()
        columns["segment"][5] = None  # no segment: the default model scores it
    scored = model.score_batch(columns, missing_columns="missing", drivers=3)
    with open_history(history_target) as store:
        store.write_snapshot(model, "2026-05-31", ids, scored, inputs=columns, names=_names(len(ids)))
        later = {k: v[::-1] for k, v in columns.items()}  # another day: other values in other rows
        store.write_snapshot(model, "2026-06-30", ids[::-1], model.score_batch(later, missing_columns="missing"),
                             inputs=later)  # fmt: skip
        stored = store.snapshot_columns("2026-06-01")
        raw = store.inputs("2026-06-01")
        version = str(stored["model_version"][0])
        again = store.model(version).score_batch(raw)
        latest = store.model(version).score_batch(store.inputs())  # written in reverse order, read by account
        np.testing.assert_array_equal(latest.score, store.snapshot_columns()["computed_score"])
    assert raw["account_id"].tolist() == stored["account_id"].tolist()
    assert set(raw) == {"account_id", *model.metric_names, *(["segment"] if segmented else [])}
    np.testing.assert_array_equal(again.score, stored["computed_score"])  # float64, bit for bit
    np.testing.assert_array_equal(again.band, stored["computed_band"])
    np.testing.assert_array_equal(again.coverage, stored["coverage"])
    order = np.argsort(np.array(ids))
    assert raw["nps"].dtype == np.float64
    np.testing.assert_array_equal(raw["nps"], np.where(np.isfinite(columns["nps"]), columns["nps"], np.nan)[order])
    assert np.isnan(raw["csat"]).all()  # no column: stored as null
    assert raw["executive_engagement"].dtype == object
    assert raw["executive_engagement"].tolist() == columns["executive_engagement"][order].tolist()
    assert "not_a_metric" not in raw
    expected_names = [n or "" for n in np.array(_names(len(ids)), dtype=object)[order].tolist()]
    assert stored["name"].tolist() == expected_names


def test_names_read_back_everywhere_and_inputs_by_account(history_target: str, model: HealthModel) -> None:
    ids, columns = _portfolio_inputs()
    scored = model.score_batch(columns, missing_columns="missing")
    names = _names(len(ids))
    with open_history(history_target) as store:
        store.write_snapshot(model, "2026-06-30", ids, scored, names=np.array(names, dtype=object), inputs=columns)
        (point,) = store.series(ids[9])
        assert point.name == "Customer 9 GmbH"
        assert store.series(ids[7])[0].name is None
        assert store.series(ids[8])[0].name is None  # "" is no name
        by_id = dict(zip(store.read()["account_id"].tolist(), store.read()["name"].tolist(), strict=True))
        assert by_id[ids[9]] == "Customer 9 GmbH"
        one = store.inputs(account_id=ids[9])
        assert one["account_id"].tolist() == [ids[9]]
        assert one["penetration"].tolist() == [float(columns["penetration"][9])]
        assert store.inputs(account_id="nobody")["account_id"].tolist() == []
        none = store.inputs("2020-01-01")  # no snapshot that old
        assert list(none) == ["account_id"]
        assert len(none["account_id"]) == 0


def test_segments_are_kept_for_a_plain_model_and_a_segmented_model_keeps_its_own(
    history_target: str, model: HealthModel
) -> None:
    ids, scored = _scored(model)
    segments = ["smb" if i % 2 else None for i in range(len(ids))]
    with open_history(history_target) as store:
        store.write_snapshot(model, "2026-06-30", ids, scored, segments=segments)
        by_id = dict(zip(store.read()["account_id"].tolist(), store.read()["segment"].tolist(), strict=True))
        assert [by_id[a] for a in ids] == [s or "" for s in segments]
        with pytest.raises(InputError, match=r"segments must hold one text per account"):
            store.write_snapshot(model, "2026-07-31", ids, scored, segments=["smb"])
    seg = presets.segmented()
    columns = {"segment": np.array(["enterprise", "smb"], dtype=object), "penetration": np.array([0.5, 0.6])}
    out = seg.score_batch(columns, missing_columns="missing")
    with open_history(history_target) as store:
        store.write_snapshot(seg, "2026-06-30", ["E", "S"], out, segments=["ignored", "ignored"])
        assert store.read(model=seg)["segment"].tolist() == ["enterprise", "smb"]


def test_a_snapshot_without_inputs_gives_account_ids_only(history_target: str, model: HealthModel) -> None:
    ids, scored = _scored(model)
    with open_history(history_target) as store:
        store.write_snapshot(model, "2026-06-30", ids, scored)
        raw = store.inputs()
        assert list(raw) == ["account_id"]
        assert raw["account_id"].tolist() == sorted(ids)
        assert (store.read()["name"] == "").all()
        assert store._query("SELECT COUNT(*) FROM hs_scores WHERE inputs IS NOT NULL") == [(0,)]


def test_a_data_frame_of_inputs_is_stored_like_a_mapping(history_target: str, model: HealthModel) -> None:
    pd = pytest.importorskip("pandas")
    ids, columns = _portfolio_inputs()
    scored = model.score_batch(columns, missing_columns="missing")
    with open_history(history_target) as store:
        store.write_snapshot(model, "2026-05-31", ids, scored, inputs=columns)
        store.write_snapshot(model, "2026-06-30", ids, scored, inputs=pd.DataFrame(columns))
        cells = store._query("SELECT run_id, account_id, inputs FROM hs_scores ORDER BY account_id, run_id")
    pairs = [(a[2], b[2]) for a, b in zip(cells[::2], cells[1::2], strict=True)]
    assert all(a == b for a, b in pairs)
    assert "NaN" not in cells[0][2]
    assert "Infinity" not in cells[1][2]


def test_inputs_and_names_of_the_wrong_length_are_errors_naming_them(history_target: str, model: HealthModel) -> None:
    ids, columns = _portfolio_inputs()
    scored = model.score_batch(columns, missing_columns="missing")
    with open_history(history_target) as store:
        short = {**columns, "penetration": columns["penetration"][:-1]}
        with pytest.raises(InputError, match=r"inputs column 'penetration' must hold one value per account \(300\)"):
            store.write_snapshot(model, "2026-06-30", ids, scored, inputs=short)
        with pytest.raises(InputError, match=r"inputs column 'nps': .*expected a number, got 'lots'") as err:
            store.write_snapshot(model, "2026-06-30", ids, scored, inputs={**columns, "nps": ["lots"] * 300})
        assert err.value.column == "nps"
        with pytest.raises(InputError, match=r"names must hold one text per account \(300\)"):
            store.write_snapshot(model, "2026-06-30", ids, scored, names=["x"])
        assert store.snapshots() == []


def test_a_schema_3_store_is_migrated_and_its_old_snapshots_have_no_inputs(
    history_target: str, model: HealthModel
) -> None:
    ids, columns = _portfolio_inputs()
    scored = model.score_batch(columns, missing_columns="missing")
    with open_history(history_target) as store:
        store.write_snapshot(model, "2026-05-31", ids, scored)
        with store._transaction():
            _as_schema(store, "3")
    with open_history(history_target) as store:
        assert store._query("SELECT value FROM hs_meta WHERE key = 'schema'") == [("5",)]
        assert list(store.inputs()) == ["account_id"]
        assert store.portfolio()[0].name is None
        store.write_snapshot(model, "2026-06-30", ids, scored, names=_names(len(ids)), inputs=columns)
        again = model.score_batch(store.inputs())
        np.testing.assert_array_equal(again.score, store.snapshot_columns()["computed_score"])
        assert store.series(ids[9])[-1].name == "Customer 9 GmbH"


def test_a_schema_3_file_opened_read_only_is_read_as_it_stands(tmp_path: Path, model: HealthModel) -> None:
    ids, scored = _scored(model)
    path = tmp_path / "old.db"
    with SQLiteHistory(path) as store:
        store.write_snapshot(model, "2026-05-31", ids, scored)
        with store._transaction():
            _as_schema(store, "3")
    with SQLiteHistory(path, read_only=True) as store:
        assert len(store.portfolio()) == 300
        assert (store.read()["name"] == "").all()
        assert list(store.inputs()) == ["account_id"]
        assert store._query("SELECT value FROM hs_meta WHERE key = 'schema'") == [("3",)]  # unchanged


# --------------------------------------------------------------------------- the command line stores names and inputs


def _cli(*argv: str) -> tuple[int, str, str]:
    import io

    from healthscore.cli import main

    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def test_score_history_stores_names_and_inputs_and_history_shows_the_name(tmp_path: Path, history_target: str) -> None:
    src = tmp_path / "p.csv"
    src.write_text(
        "account_id,name,penetration,executive_engagement,nps,arr\n"
        "A1,Acme Corp,0.9,quarterly,40,1000\nA2,,0.3,none,-50,\nA3,Zeta AG,,annual,,\n",
        encoding="utf-8",
    )
    status, _, err = _cli("score", str(src), "-o", str(tmp_path / "o.csv"), "--history", history_target,
                          "--as-of", "2026-06-30")  # fmt: skip
    assert status == 0, err
    with open_history(history_target) as store:
        assert [p.name for p in store.portfolio()] == ["Acme Corp", None, "Zeta AG"]
        raw = store.inputs()
        assert raw["penetration"].tolist()[:2] == [0.9, 0.3]
        assert math.isnan(raw["penetration"][2])
        assert raw["executive_engagement"].tolist() == ["quarterly", "none", "annual"]
        stored = store.snapshot_columns()
        again = store.model(str(stored["model_version"][0])).score_batch(raw)
        np.testing.assert_array_equal(again.score, stored["computed_score"])
    status, out, err = _cli("history", "A1", "--history", history_target)
    assert status == 0, err
    header, row = out.splitlines()
    assert header.split()[:3] == ["as_of", "name", "score"]
    assert "Acme Corp" in row
    status, out, _ = _cli("history", "A2", "--history", history_target, "--format", "json")
    assert json.loads(out)[0]["name"] is None
    status, out, _ = _cli("history", "A1", "--history", history_target, "--format", "csv")
    assert next(iter(csv.DictReader(out.splitlines())))["name"] == "Acme Corp"
    status, out, _ = _cli("history", "A2", "--history", history_target)  # no name: no column
    assert out.split()[:2] == ["as_of", "score"]


def test_score_history_from_exports_stores_the_accounts_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from healthscore import exports
    from healthscore.datasets import generate_exports, write_exports

    assert "name" in [c.name for c in exports.TABLES["accounts"].columns]  # an accounts export may carry names
    tables = generate_exports(6, 60, seed=4).tables
    accounts = dict(tables["accounts"])
    accounts["name"] = np.array([f"Name of {a}" for a in accounts["account_id"].tolist()], dtype=object)
    tables["accounts"] = accounts
    folder = tmp_path / "exports"
    write_exports(tables, folder)
    store_path = str(tmp_path / "h.db")
    status, _, err = _cli("score", str(folder), "-o", str(tmp_path / "o.csv"), "--as-of", "2026-06-30",
                          "--history", store_path)  # fmt: skip
    assert status == 0, err
    with open_history(store_path) as store:
        points = store.portfolio()
        assert [p.name for p in points] == [f"Name of {p.account_id}" for p in points]
        segment_of = dict(zip(accounts["account_id"].tolist(), accounts["segment"].tolist(), strict=True))
        assert [p.segment for p in points] == [segment_of[p.account_id] for p in points]  # the accounts' segments
        raw = store.inputs()
        stored = store.snapshot_columns()
        again = store.model(str(stored["model_version"][0])).score_batch(raw)
        np.testing.assert_array_equal(again.score, stored["computed_score"])
