"""The action queue: who needs action, in what order, by when, and what to do."""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pytest

from healthscore import InputError, presets
from healthscore.actions import Action, action_queue, queue_from_history
from healthscore.history import HistoryPoint, open_history
from healthscore.model import HealthModel
from healthscore.trends import DropRule, trends


def _model() -> HealthModel:
    return presets.dear()


def _point(account: str, day: str, score: float) -> HistoryPoint:
    return HistoryPoint(
        account_id=account, as_of=day, model_version="v", score=score, band=None, alert=None,
        coverage=1.0, dimensions={},
    )  # fmt: skip


def _queue(deployment: list[float], **options: object) -> list[Action]:
    model = _model()
    scored = model.score_batch({"deployment": deployment}, missing_columns="missing", drivers=2)
    ids = [f"acc{i}" for i in range(len(deployment))]
    return action_queue(model, ids, scored, "2026-06-30", **options)  # type: ignore[arg-type]


def test_a_fall_from_85_to_65_ranks_above_a_stable_60() -> None:
    model = presets.three_dimension()
    scored = model.score_batch({"penetration": [0.55, 0.5]}, missing_columns="missing")
    assert scored.score.tolist() == [65.0, 60.0]  # both "warning"
    history = [
        _point("falling", "2026-06-01", 85.0),
        _point("falling", "2026-06-30", 65.0),
        _point("stable", "2026-06-01", 60.0),
        _point("stable", "2026-06-30", 60.0),
    ]
    plain = action_queue(model, ["falling", "stable"], scored, "2026-06-30")
    assert [a.account_id for a in plain] == ["stable", "falling"]  # without history: lower score first
    with_trend = action_queue(model, ["falling", "stable"], scored, "2026-06-30", trend=trends(history, "2026-06-30"))
    assert [a.account_id for a in with_trend] == ["falling", "stable"]
    falling, stable = with_trend
    assert falling.drop_alert is True
    assert stable.drop_alert is False  # the drop alert is what ranks the falling account first
    assert "dropped" in falling.reason
    assert falling.due.startswith("2026-07-02")  # a drop alert is due within 48 hours
    assert with_trend[1].due.startswith("2026-07-07")  # a warning within a week


def test_levels_come_first_then_arr_and_due_dates_follow_the_alert_policy() -> None:
    queue = _queue([0.1, 0.45, 0.9, 0.05, 0.44], arr=[1000.0, 5000.0, 9000.0, 200.0, 100.0])
    ids = [a.account_id for a in queue]
    assert "acc2" not in ids  # healthy and not falling: no action
    assert ids[:2] == ["acc0", "acc3"]  # critical first, more ARR first
    assert ids[2:] == ["acc1", "acc4"]  # then at risk, more ARR first
    critical, at_risk = queue[0], queue[2]
    assert critical.alert == "critical"
    assert critical.due == "2026-06-30T00:00:00+00:00"  # now
    assert at_risk.due == "2026-07-02T00:00:00+00:00"  # 48 hours
    assert critical.playbook[0] == "Immediate management escalation"
    assert critical.drivers[0] == "deployment"


def test_accounts_without_a_score_are_not_ranked() -> None:
    queue = _queue([math.nan, 0.1])
    assert [a.account_id for a in queue] == ["acc1"]


def test_bad_input_is_named() -> None:
    model = _model()
    scored = model.score_batch({"deployment": [0.1]}, missing_columns="missing")
    with pytest.raises(InputError, match="2 entries"):
        action_queue(model, ["a", "b"], scored, "2026-06-30")
    with pytest.raises(InputError, match="as_of"):
        action_queue(model, ["a"], scored, "soon")
    with pytest.raises(InputError, match="arr must hold one value per account"):
        action_queue(model, ["a"], scored, "2026-06-30", arr=np.array([1.0, 2.0]))


# --------------------------------------------------------------------------- from a history store


def test_the_queue_from_history_ranks_a_fall_above_a_stable_60(history_target: str) -> None:
    model = presets.three_dimension()
    ids = ["falling", "stable", "fine"]
    june = model.score_batch({"penetration": [0.9, 0.5, 0.9]}, missing_columns="missing", drivers=2)
    july = model.score_batch({"penetration": [0.55, 0.5, 0.9]}, missing_columns="missing", drivers=2)
    with open_history(history_target) as store:
        assert queue_from_history(store) == []
        store.write_snapshot(model, "2026-05-31", ids, june)
        store.write_snapshot(model, "2026-06-29", ids, july, arr=[1e5, 2e5, 3e5])
        queue = queue_from_history(store, "2026-06-30")
        assert [a.account_id for a in queue] == ["falling", "stable"]
        falling = queue[0]
        assert falling.drop_alert
        assert falling.change_30 == pytest.approx(float(july.score[0] - june.score[0]))
        assert falling.arr == 1e5
        assert falling.drivers == tuple(str(d[0]) for d in july.drivers if str(d[0]))
        assert falling.playbook == model.bands.get(falling.band).playbook
        assert falling.due.startswith("2026-07-02")  # drop alert: 48 hours from as_of
        # a person overrides the stable account to critical: it jumps the queue
        store.set_override("stable", score=10, reason="champion left", author="cs-lead", starts="2026-05-01",
                           expires="2026-08-01")  # fmt: skip
        queue = queue_from_history(store, "2026-06-30")
        assert [a.account_id for a in queue] == ["stable", "falling"]
        assert queue[0].alert == "critical"
        assert queue_from_history(store, "2026-06-15")[0].account_id == "stable"  # the May snapshot, overridden
        assert queue_from_history(store, "2026-05-01") == []


def test_a_band_only_override_to_red_puts_a_healthy_account_first_due_now(history_target: str) -> None:
    model = presets.three_dimension()
    ids = ["quiet", "watch", "fine"]
    scored = model.score_batch({"penetration": [0.9, 0.55, 0.9]}, missing_columns="missing", drivers=2)
    assert scored.alert.tolist() == ["healthy", "warning", "healthy"]
    with open_history(history_target) as store:
        store.write_snapshot(model, "2026-06-30", ids, scored)
        assert [a.account_id for a in queue_from_history(store)] == ["watch"]
        store.set_override("quiet", band="red", reason="champion resigned", author="dana", starts="2026-06-01",
                           expires="2026-09-30")  # fmt: skip
        store.set_override("fine", band="orange", reason="budget cut", author="dana", starts="2026-06-01",
                           expires="2026-09-30")  # fmt: skip
        queue = queue_from_history(store, "2026-06-30")
    assert [a.account_id for a in queue] == ["quiet", "fine", "watch"]
    quiet, fine, watch = queue
    assert (quiet.band, quiet.alert, quiet.due) == ("red", "critical", "2026-06-30T00:00:00+00:00")  # now
    assert quiet.playbook == model.bands.get("red").playbook
    assert quiet.score == pytest.approx(float(scored.score[0]))  # the score is the model's
    assert (fine.band, fine.alert, fine.due) == ("orange", "at_risk", "2026-07-02T00:00:00+00:00")  # 48 hours
    assert watch.due == "2026-07-07T00:00:00+00:00"  # untouched: a warning, within a week


def test_the_queue_takes_the_drop_rule_and_reads_far_enough_back(history_target: str) -> None:
    model = presets.three_dimension()
    high = model.score_batch({"penetration": [1.0]}, missing_columns="missing")  # 100
    low = model.score_batch({"penetration": [0.66]}, missing_columns="missing")  # 76: still healthy
    with open_history(history_target) as store:
        store.write_snapshot(model, "2025-12-31", ["a"], high)
        for day in ("2026-02-28", "2026-04-30", "2026-06-30"):
            store.write_snapshot(model, day, ["a"], low)
        assert queue_from_history(store, "2026-06-30") == []  # healthy, no fall within a month
        (action,) = queue_from_history(store, "2026-06-30", drop=DropRule(months=6))  # from 2025-12-30
        assert action.drop_alert
        assert action.reason.endswith("dropped 24 points from its peak since 2025-12-30")
        assert queue_from_history(store, "2026-06-30", drop=DropRule(days=180)) == []  # from 2026-01-01
        assert queue_from_history(store, "2026-06-30", drop=DropRule(points=30, months=6)) == []


def test_a_segmented_history_uses_each_segment_models_playbook(history_target: str) -> None:
    model = presets.segmented()
    scored = model.score_batch(
        {"segment": ["enterprise", "smb"], "penetration": [0.1, 0.1], "nps": [-80, -80]},
        missing_columns="missing",
        drivers=1,
    )
    with open_history(history_target) as store:
        store.write_snapshot(model, "2026-06-30", ["e", "s"], scored)
        queue = {a.account_id: a for a in queue_from_history(store)}
        for account, segment in (("e", "enterprise"), ("s", "smb")):
            policies = model.model_for(segment)
            assert queue[account].playbook == policies.bands.get(queue[account].band).playbook


def test_due_times_count_from_the_as_of_instant_in_utc() -> None:
    model = _model()
    scored = model.score_batch({"deployment": [0.1]}, missing_columns="missing")
    (local,) = action_queue(model, ["a"], scored, "2026-06-30T11:00:00+02:00")
    (naive,) = action_queue(model, ["a"], scored, datetime(2026, 6, 30, 9))
    assert local.due == naive.due == "2026-06-30T09:00:00+00:00"  # critical: due now, in UTC
    with pytest.raises(InputError, match=r"as_of must be an ISO 8601 date .* got '20260630'"):
        action_queue(model, ["a"], scored, "20260630")
