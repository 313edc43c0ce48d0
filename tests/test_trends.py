"""Trends and drop alerts over score history."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from healthscore import InputError, ValidationError, presets
from healthscore.bands import default_bands
from healthscore.history import HistoryPoint, SQLiteHistory
from healthscore.trends import DropRule, Panel, panel, smooth, steady_bands, trends


def point(account: str, day: str, score: float | None) -> HistoryPoint:
    return HistoryPoint(
        account_id=account, as_of=day, model_version="v", score=score, band=None, alert=None,
        coverage=1.0, dimensions={},
    )  # fmt: skip


def _by_account(table: dict[str, Any]) -> dict[str, dict[str, Any]]:
    names = table["account_id"].tolist()
    return {a: {k: v[i] for k, v in table.items()} for i, a in enumerate(names)}


def test_a_fall_from_85_to_65_alerts_and_a_stable_60_does_not() -> None:
    history = [
        point("falling", "2026-06-01", 85.0),
        point("falling", "2026-06-15", 75.0),
        point("falling", "2026-06-29", 65.0),
        point("stable", "2026-06-01", 60.0),
        point("stable", "2026-06-15", 60.5),
        point("stable", "2026-06-29", 60.0),
    ]
    rows = _by_account(trends(history, "2026-06-30"))
    assert rows["falling"]["drop_alert"]
    assert rows["falling"]["drop"] == 20.0
    assert not rows["stable"]["drop_alert"]
    assert rows["falling"]["slope_30"] < -15  # about -21 points per 30 days
    assert rows["stable"]["slope_30"] == pytest.approx(0.0, abs=0.5)


def test_changes_compare_with_the_last_score_known_that_long_ago() -> None:
    history = [
        point("a", "2026-03-01", 40.0),
        point("a", "2026-05-31", 50.0),
        point("a", "2026-06-23", 70.0),
        point("a", "2026-06-30", 72.0),
        point("a", "2026-07-15", 10.0),  # after as_of: ignored
        point("a", "2026-06-29", None),  # no score: skipped
    ]
    row = _by_account(trends(history, "2026-06-30"))["a"]
    assert row["score"] == 72.0
    assert row["as_of"] == "2026-06-30"
    assert row["change_7"] == 2.0  # 72 - 70 (2026-06-23)
    assert row["change_30"] == 22.0  # 72 - 50 (2026-05-31)
    assert row["change_90"] == 32.0  # 72 - 40 (2026-03-01 is 121 days back; nothing newer that old)
    assert row["momentum"] == pytest.approx(22.0 - (50.0 - 40.0))
    assert not row["drop_alert"]


def test_not_enough_history_gives_nan_not_zero() -> None:
    row = _by_account(trends([point("new", "2026-06-30", 55.0)], "2026-06-30"))["new"]
    assert math.isnan(float(row["change_7"]))
    assert math.isnan(float(row["slope_30"]))
    assert row["drop"] == 0.0


def test_the_rule_is_settable_and_validated() -> None:
    history = [point("a", "2026-06-20", 80.0), point("a", "2026-06-30", 68.0)]
    assert not trends(history, "2026-06-30")["drop_alert"][0]
    assert trends(history, "2026-06-30", drop=DropRule(points=10, days=14))["drop_alert"][0]
    assert not trends(history, "2026-06-30", drop=DropRule(points=10, days=5))["drop_alert"][0]
    with pytest.raises(ValidationError, match="points must be a positive number"):
        DropRule(points=-1)


def test_trends_read_straight_from_the_history_store(tmp_path: Path) -> None:
    model = presets.dear()
    with SQLiteHistory(tmp_path / "h.db") as store:
        for day, deployment in [("2026-05-31", [0.9, 0.5]), ("2026-06-30", [0.4, 0.5])]:
            scored = model.score_batch({"deployment": deployment}, missing_columns="missing")
            store.write_snapshot(model, day, ["x", "y"], scored)
        points = [p for account in ("x", "y") for p in store.series(account)]
    rows = _by_account(trends(points, "2026-06-30"))
    assert rows["x"]["drop_alert"]
    assert not rows["y"]["drop_alert"]
    assert rows["y"]["change_30"] == 0.0


def test_hysteresis_stops_flapping_but_follows_real_moves() -> None:
    policy = default_bands()  # codes: 0 green, 1 yellow, 2 orange, 3 red
    scores = np.array(
        [
            [60.1, 59.9, 60.1, 59.9, 60.1, 59.9],  # hovering: stays yellow
            [70.0, 58.5, 58.7, 58.9, 59.0, 59.2],  # just under 60 for good: orange after two snapshots
            [85.0, 30.0, 31.0, 32.0, 33.0, 34.0],  # a clear fall: red at once
            [math.nan, 65.0, math.nan, 64.0, 63.0, 62.0],  # gaps: no band without a score
        ]
    )
    codes = steady_bands(scores, policy, margin=2.0, confirmations=2)
    assert codes[0].tolist() == [1, 1, 1, 1, 1, 1]
    assert codes[1].tolist() == [1, 1, 2, 2, 2, 2]
    assert codes[2].tolist() == [0, 3, 3, 3, 3, 3]
    assert codes[3].tolist() == [-1, 1, -1, 1, 1, 1]
    raw = np.stack([policy.codes(scores[:, t]) for t in range(scores.shape[1])], axis=1)
    assert np.array_equal(steady_bands(scores, policy, margin=0.0, confirmations=1), raw)
    with pytest.raises(ValidationError, match="confirmations"):
        steady_bands(scores, policy, confirmations=0)


def test_smoothing_weights_new_scores_by_the_time_since_the_last() -> None:
    data = Panel(
        account_ids=np.array(["a", "b"]),
        dates=np.array(["2026-06-01", "2026-06-08", "2026-06-29"]),
        scores=np.array([[80.0, 60.0, math.nan], [math.nan, 50.0, 90.0]]),
    )
    out = smooth(data, half_life_days=7)
    assert out[0].tolist() == [80.0, 70.0, 70.0]  # a week later: halfway; then no new score
    assert math.isnan(out[1, 0])
    assert out[1, 1] == 50.0
    assert out[1, 2] == pytest.approx(50.0 + (1 - 0.5**3) * 40.0)  # three half-lives later
    with pytest.raises(ValidationError, match="half_life_days"):
        smooth(data, half_life_days=0)
    built = panel([point("b", "2026-06-08", 50.0), point("a", "2026-06-01", 80.0)])
    assert built.account_ids.tolist() == ["a", "b"]
    assert built.dates.tolist() == ["2026-06-01", "2026-06-08"]
    assert np.isnan(built.scores[0, 1])
    assert np.isnan(built.scores[1, 0])


def test_snapshot_dates_and_as_of_follow_the_one_date_rule() -> None:
    columns = {
        "account_id": np.array(["a", "a"], dtype=object),
        "as_of": np.array(["2026-05-31", "2026-06-30"], dtype=object),
        "score": np.array([80.0, 60.0]),
    }
    late = trends(columns, "2026-07-01T01:00:00+02:00")  # 06-30 23:00 UTC: the day of the last snapshot
    assert late["change_30"].tolist() == [-20.0]
    columns["as_of"][0] = "2026-05-31junk"
    with pytest.raises(InputError, match=r"as_of must hold an ISO 8601 date .*row 0 is '2026-05-31junk'"):
        trends(columns, "2026-06-30")
