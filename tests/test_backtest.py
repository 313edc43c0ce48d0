"""Backtests: point-in-time pairing of scores with later churn, AUC per horizon,
churn per band, missed churn and false alarms, lift, lead time."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from healthscore import InputError, ValidationError, presets, read_exports
from healthscore.backtest import run_backtest, score_over_time
from healthscore.datasets import generate_exports
from healthscore.history import open_history

WEEKS = [str(np.datetime64("2026-01-04") + 7 * k) for k in range(12)]


def _history() -> dict[str, list[object]]:
    """Four accounts over 12 weekly snapshots.

    * ``falls``: green, then orange from week 6, red from week 8; churns 2026-03-20.
    * ``sudden``: green throughout; churns 2026-03-10 (a miss).
    * ``worried``: orange throughout, but renews on 2026-03-15 (a false alarm).
    * ``steady``: green throughout; renews on 2026-03-15.
    """
    rows: dict[str, list[object]] = {"account_id": [], "as_of": [], "score": [], "band": []}
    for k, day in enumerate(WEEKS):
        for account, score in (
            ("falls", 85.0 if k < 6 else (50.0 if k < 8 else 30.0)),
            ("sudden", 82.0),
            ("worried", 45.0),
            ("steady", 90.0),
        ):
            band = "green" if score >= 80 else "yellow" if score >= 60 else "orange" if score >= 40 else "red"
            rows["account_id"].append(account)
            rows["as_of"].append(day)
            rows["score"].append(score)
            rows["band"].append(band)
    return rows


CHURN = {"account_id": ["falls", "sudden"], "churn_date": ["2026-03-20", "2026-03-10"]}
RENEWALS = {"account_id": ["worried", "steady"], "renewal_date": ["2026-03-15", "2026-03-15"]}


def test_churned_accounts_scores_before_cancelling_and_lead_time() -> None:
    report = run_backtest(_history(), CHURN, renewals=RENEWALS, horizons=(30, 60))
    before = report.before_churn
    assert before["account_id"].tolist() == ["falls", "sudden"]
    # falls: last snapshot on or before 2026-02-18 is 2026-02-15 (week 6, orange 50)
    assert before["score_30"].tolist() == [50.0, 82.0]
    assert before["band_30"].tolist() == ["orange", "green"]
    # 60 days before 2026-03-20 is 2026-01-19 -> the 2026-01-18 snapshot (green 85)
    assert before["score_60"].tolist() == [85.0, 82.0]
    assert report.lead_times["flagged_on"].tolist() == ["2026-02-15", ""]
    assert report.lead_times["lead_days"][0] == 33.0
    assert math.isnan(report.lead_times["lead_days"][1])
    summary = report.lead_time_summary
    assert (summary["churned"], summary["flagged"], summary["median_lead_days"]) == (2.0, 1.0, 33.0)
    assert summary["share_flagged_30_days_ahead"] == 0.5


def test_missed_churn_and_false_alarms_are_named() -> None:
    """Churn is the positive class: a healthy band before churn is a miss, an
    at-risk band before renewal a false alarm."""
    report = run_backtest(_history(), CHURN, renewals=RENEWALS, horizons=(30, 60))
    h30, h60 = report.horizon(30), report.horizon(60)
    assert h30.missed_churn == ("sudden",)  # green 30 days before churning
    assert h30.missed_churn_rate == 0.5
    assert h60.missed_churn == ("falls", "sudden")  # both green 60 days ahead
    assert h30.false_alarms == ("worried",)  # orange, then renewed
    assert h30.false_alarm_rate == 0.5
    assert report.healthy_bands == ("green",)  # the bands seen: no yellow in this history
    assert report.at_risk_bands == ("orange", "red")
    with pytest.raises(ValidationError, match="days must be one of the horizons"):
        report.horizon(90)
    horizon = report.to_dict()["horizons"][0]
    assert (horizon["missed_churn"], horizon["missed_churn_rate"]) == (["sudden"], 0.5)
    assert (horizon["false_alarms"], horizon["false_alarm_rate"]) == (["worried"], 0.5)
    assert not any("false_positive" in key or "false_negative" in key for key in horizon)
    lines = report.summary().splitlines()
    header = next(line for line in lines if line.lstrip().startswith("horizon"))
    assert header.split()[-4:] == ["missed", "churn", "false", "alarms"]
    row = next(line for line in lines if line.lstrip().startswith("30d"))
    assert row.split()[-2:] == ["50.0%", "50.0%"]
    assert "missed churn, healthy 30 days before cancelling (1): sudden" in lines
    assert "missed churn, healthy 60 days before cancelling (2): falls, sudden" in lines
    assert "false alarms, at risk 30 days before renewing (1): worried" in lines


def test_auc_and_band_rates_are_the_point_in_time_panel() -> None:
    history = _history()
    report = run_backtest(history, CHURN, horizons=(30,), outcomes_until="2026-03-31")
    h = report.horizon(30)
    # the panel by hand: snapshots before the account's churn, outcome = churn within 30 days,
    # and known (churned, or 30 days passed by 2026-03-31)
    churn = {"falls": np.datetime64("2026-03-20"), "sudden": np.datetime64("2026-03-10")}
    y, s, bands = [], [], []
    for account, day, score, band in zip(*history.values(), strict=True):
        when = np.datetime64(str(day))
        end = churn.get(str(account))
        if end is not None and end <= when:
            continue
        hit = end is not None and end <= when + 30
        if not hit and when + 30 > np.datetime64("2026-03-31"):
            continue
        y.append(int(hit))
        s.append(float(score))
        bands.append(band)
    assert h.snapshots == len(y)
    assert h.churned_snapshots == sum(y)
    assert h.auc == pytest.approx(roc_auc_score(y, -np.array(s)), abs=1e-12)
    rates = {r.band: r.rate for r in h.band_rates}
    for band in set(bands):
        mask = np.array(bands) == band
        assert rates[band] == pytest.approx(np.mean(np.array(y)[mask]))
    assert [r.band for r in h.band_rates] == ["green", "orange", "red"]  # best first, only bands seen


def test_nothing_after_a_snapshot_leaks_into_it() -> None:
    """Snapshots after cancelling are ignored, and later snapshots never change
    what is said about an earlier horizon."""
    history = _history()
    base = run_backtest(history, CHURN, horizons=(30,), outcomes_until="2026-03-31")
    later = {k: list(v) for k, v in history.items()}
    for account, score, band in (("falls", 99.0, "green"), ("sudden", 1.0, "red")):  # after churning
        later["account_id"].append(account)
        later["as_of"].append("2026-03-29")
        later["score"].append(score)
        later["band"].append(band)
    again = run_backtest(later, CHURN, horizons=(30,), outcomes_until="2026-03-31")
    assert again.to_dict()["horizons"] == base.to_dict()["horizons"]
    np.testing.assert_array_equal(again.lead_times["lead_days"], base.lead_times["lead_days"])


def test_lift_of_the_riskiest_decile() -> None:
    rng = np.random.default_rng(0)
    n = 2000
    score = rng.uniform(0, 100, n)
    churned = rng.random(n) < np.where(score < 20, 0.5, 0.05)
    history = {"account_id": [f"a{i}" for i in range(n)], "as_of": ["2026-01-01"] * n, "score": score,
               "band": np.where(score < 40, "red", "green")}  # fmt: skip
    churn = {"account_id": [f"a{i}" for i in np.flatnonzero(churned)], "churn_date": ["2026-01-20"] * churned.sum()}
    h = run_backtest(history, churn, horizons=(30,), outcomes_until="2026-02-28").horizon(30)
    riskiest = np.argsort(score)[: n // 10]
    assert h.lift_top_decile == pytest.approx(churned[riskiest].mean() / churned.mean())
    assert h.lift_top_decile > 3
    assert h.bands_ordered


def test_a_history_store_backtests_like_its_columns(history_target: str) -> None:
    model = presets.dear()
    history = _history()
    with open_history(history_target) as store:
        for day in WEEKS:
            rows = [i for i, d in enumerate(history["as_of"]) if d == day]
            ids = [history["account_id"][i] for i in rows]
            deployment = [float(history["score"][i]) / 100 for i in rows]  # type: ignore[arg-type]
            store.write_snapshot(model, day, ids, model.score_batch({"deployment": deployment},
                                                                     missing_columns="missing"))  # fmt: skip
        from_store = run_backtest(store, CHURN, renewals=RENEWALS, horizons=(30,))
        columns = store.read()
    from_columns = run_backtest(columns, CHURN, renewals=RENEWALS, horizons=(30,))
    assert from_store.horizon(30) == from_columns.horizon(30)
    assert from_store.at_risk_bands == ("orange", "red")
    assert from_store.healthy_bands == ("green", "yellow")  # from the stored model's policy
    text = from_store.summary()
    assert "AUC" in text
    assert "lead time" in text


def test_bad_input_is_named() -> None:
    with pytest.raises(InputError, match="'band' is missing"):
        run_backtest({"account_id": ["a"], "as_of": ["2026-01-01"], "score": [1.0]}, CHURN)
    history = _history()
    with pytest.raises(InputError, match=r"churn\.churn_date must hold an ISO 8601 date .*; row 1 is 'soon'"):
        run_backtest(history, {"account_id": ["a", "b"], "churn_date": ["2026-01-01", "soon"]})
    with pytest.raises(ValidationError, match="horizons must be whole numbers of days >= 1"):
        run_backtest(history, CHURN, horizons=(0,))
    with pytest.raises(ValidationError, match="at_risk_bands must name bands of the scores"):
        run_backtest(history, CHURN, at_risk_bands=["crimson"])
    with pytest.raises(ValidationError, match=r"healthy_bands must name bands of the scores .*got \['jade'\]"):
        run_backtest(history, CHURN, healthy_bands=["green", "jade"])
    with pytest.raises(InputError, match="churn needs columns 'account_id' and 'churn_date'; 'account_id' is missing"):
        run_backtest(history, {"account": ["a"]})
    with pytest.raises(InputError, match="renewals needs columns 'account_id' and 'renewal_date'; 'renewal_date' is"):
        run_backtest(history, CHURN, renewals={"account_id": ["a"]})
    unscored = {**history, "score": [math.nan] * len(history["score"])}
    with pytest.raises(InputError, match="no snapshot in the history has a score: all 48 scores are missing"):
        run_backtest(unscored, CHURN)


def test_an_empty_store_is_named(history_target: str) -> None:
    with open_history(history_target) as store, pytest.raises(InputError, match="holds no snapshot to backtest"):
        run_backtest(store, CHURN)


def test_synthetic_exports_lead_time_and_auc() -> None:
    """The generator's accounts churn 30 days after three weeks of poor health:
    scores computed at past dates from the raw exports see it coming."""
    gen = generate_exports(150, 300, seed=3)
    exports = read_exports(gen.tables)
    dates = [str(np.datetime64(gen.start) + d) for d in range(60, 300, 14)]
    history = score_over_time(presets.three_dimension(), exports, dates)
    assert len(history["score"]) == 150 * len(dates)
    report = run_backtest(history, gen.churn, horizons=(30, 60), outcomes_until=gen.end)
    assert report.horizon(30).auc > 0.85
    assert report.horizon(30).bands_ordered
    lead = report.lead_time_summary
    assert lead["flagged"] >= 0.7 * lead["churned"]
    assert lead["median_lead_days"] >= 14


def test_numeric_ids_read_as_floats_match_their_text() -> None:
    """A churn CSV whose id column holds numbers reads ``1001.0``: it still
    matches the history's ``"1001"`` (one id-to-text rule for every table)."""
    history = _history()
    names = {"falls": 1001.0, "sudden": 1002.0, "worried": 1003.0, "steady": 1004.0}
    as_text = {**history, "account_id": [str(int(names[str(a)])) for a in history["account_id"]]}
    churn = {"account_id": [1001.0, 1002.0], "churn_date": CHURN["churn_date"]}
    report = run_backtest(as_text, churn, horizons=(30,))
    expected = run_backtest(history, CHURN, horizons=(30,))
    assert report.before_churn["account_id"].tolist() == ["1001", "1002"]
    assert report.before_churn["score_30"].tolist() == expected.before_churn["score_30"].tolist()
    assert report.horizon(30).auc == expected.horizon(30).auc
