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


# --------------------------------------------------------------------------- the drop window


def _month_end_fall(day_before: str, day: str, rule: DropRule | None = None) -> dict[str, dict[str, Any]]:
    """The issue's numbers: one account falls 25.2 points between two snapshots, one stays."""
    history = [
        point("falling", day_before, 80.0),
        point("falling", day, 54.8),
        point("stable", day_before, 80.0),
        point("stable", day, 79.5),
    ]
    return _by_account(trends(history, day, drop=rule))


@pytest.mark.parametrize(
    ("day_before", "day"),
    [
        ("2026-06-30", "2026-07-31"),  # the previous month end is 31 days back
        ("2026-07-31", "2026-08-31"),
        ("2027-02-28", "2027-03-31"),  # 31 days back, from a 28-day February
        ("2028-02-29", "2028-03-31"),  # leap year
        ("2026-05-31", "2026-06-30"),
        ("2027-01-31", "2027-02-28"),  # 28 days back
    ],
)
def test_a_fall_between_month_ends_alerts_within_a_calendar_month(day_before: str, day: str) -> None:
    rows = _month_end_fall(day_before, day)
    assert rows["falling"]["drop"] == pytest.approx(25.2)
    assert rows["falling"]["drop_alert"]
    assert not rows["stable"]["drop_alert"]
    assert rows["falling"]["peak"] == 80.0


def test_thirty_days_missed_the_fall_from_a_month_end_31_days_back() -> None:
    """The old default: ``DropRule(days=30)`` stays available, and is why month ends went unseen."""
    rows = _month_end_fall("2026-06-30", "2026-07-31", DropRule(days=30))
    assert not rows["falling"]["drop_alert"]
    assert rows["falling"]["drop"] == 0.0
    assert _month_end_fall("2026-06-30", "2026-07-31", DropRule(days=31))["falling"]["drop_alert"]


@pytest.mark.parametrize(
    ("day", "first"),
    [
        ("2026-03-31", "2026-02-28"),  # clamped to February's end
        ("2028-03-31", "2028-02-29"),  # leap year
        ("2028-03-30", "2028-02-29"),
        ("2028-03-29", "2028-02-29"),
        ("2026-03-29", "2026-02-28"),
        ("2026-05-31", "2026-04-30"),  # 31 -> 30 day month
        ("2026-04-30", "2026-03-30"),  # 30 -> 31: the same day
        ("2026-03-15", "2026-02-15"),  # mid-month: 28 days
        ("2026-07-15", "2026-06-15"),
        ("2026-01-31", "2025-12-31"),  # across the year
        ("2026-06-30", "2026-05-30"),
    ],
)
def test_a_month_window_starts_on_the_same_day_of_the_previous_month(day: str, first: str) -> None:
    table = trends([point("a", day, 50.0)], day)
    assert table["peak_since"].tolist() == [first]
    rule = DropRule()
    assert rule.first_day(_day(day)) == _day(first)


def _day(text: str) -> int:
    return int(np.datetime64(text, "D").astype(np.int64))


def test_every_month_end_sees_the_previous_month_end_and_no_earlier_one() -> None:
    ends = [np.datetime64(f"{y}-{m:02d}", "M") + 1 for y in range(1999, 2031) for m in range(1, 13)]
    last_days = [int((e.astype("datetime64[D]") - 1).astype(np.int64)) for e in ends]
    rule = DropRule(months=1)
    for earlier, previous, end in zip(last_days, last_days[1:], last_days[2:], strict=False):
        first = rule.first_day(end)
        assert earlier < first <= previous, (end, first)
        assert 28 <= end - first <= 31


def test_mid_month_a_month_is_not_31_days() -> None:
    """On 03-15 a calendar month reaches back to 02-15; 31 days would reach 02-12."""
    history = [point("a", "2026-02-13", 90.0), point("a", "2026-03-15", 60.0)]
    assert not trends(history, "2026-03-15")["drop_alert"][0]
    assert trends(history, "2026-03-15", drop=DropRule(days=31))["drop_alert"][0]
    history.append(point("a", "2026-02-15", 85.0))  # the same day of the previous month is inside
    assert trends(history, "2026-03-15")["drop"][0] == 25.0


def test_a_window_of_several_months_or_days() -> None:
    history = [point("a", "2026-01-31", 90.0), point("a", "2026-04-30", 60.0)]
    assert trends(history, "2026-04-30", drop=DropRule(months=3))["drop_alert"][0]  # from 01-30
    assert not trends(history, "2026-04-30", drop=DropRule(months=2))["drop_alert"][0]
    assert trends(history, "2026-04-30", drop=DropRule(days=89))["drop_alert"][0]
    assert trends(history, "2026-04-30", drop=DropRule(days=89))["peak_since"][0] == "2026-01-31"


def test_a_rule_has_days_or_months_and_reads_from_text() -> None:
    assert DropRule() == DropRule(points=20, months=1)
    assert DropRule(days=30).months is None
    assert str(DropRule()) == "1 month"
    assert str(DropRule(days=30)) == "30 days"
    assert DropRule.from_text(points="20", window="1m") == DropRule()
    assert DropRule.from_text(points=25, window="30d") == DropRule(points=25, days=30)
    assert DropRule.from_text(window="3M") == DropRule(months=3)
    with pytest.raises(ValidationError, match="days or as months: exactly one of them"):
        DropRule(days=30, months=1)
    with pytest.raises(ValidationError, match="months must be a whole number of months >= 1, got 0"):
        DropRule(months=0)
    with pytest.raises(ValidationError, match="months must be a whole number"):
        DropRule(months=1.5)  # type: ignore[arg-type]
    for window, rule in (("2w", "such as 30d or 1m"), ("30", "such as 30d or 1m"), ("0d", "positive number of days"),
                         ("1.5m", "whole number of months"), ("0m", "whole number of months"),
                         ("9" * 400 + "d", "such as 30d or 1m"), ("9" * 5000 + "m", "such as 30d or 1m")):  # fmt: skip
        with pytest.raises(ValidationError, match=f"drop window must be .*{rule}.*got {window!r}"):
            DropRule.from_text(window=window)
    for points in ("abc", "nan", "-1", "inf", "0"):
        with pytest.raises(ValidationError, match=f"drop points must be a positive number, got {points!r}"):
            DropRule.from_text(points=points)


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


def test_trend_columns_are_matched_to_accounts_by_id() -> None:
    from healthscore.trends import _for_accounts

    trend = {"account_id": np.array(["b", "a", "c"]), "change_30": np.array([-2.0, 1.0, 3.0])}
    got = _for_accounts(trend, ["c", "x", "a"], {"change_30": np.nan, "drop_alert": False})
    np.testing.assert_array_equal(got["change_30"], [3.0, np.nan, 1.0])
    assert got["drop_alert"].tolist() == [False, False, False]  # a column the trends lack: the fill
    empty = _for_accounts({"account_id": np.array([], dtype=str)}, ["a"], {"change_30": np.nan})
    assert np.isnan(empty["change_30"]).all()
