"""Exports -> signals: hand-computed expectations, no look-ahead, bad rows,
every input family, the one-account path, sentiment."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from healthscore import InputError, presets
from healthscore.datasets import generate_export_blocks, generate_exports, write_exports
from healthscore.exports import read_exports
from healthscore.signals import SIGNAL_NAMES, SignalSettings, compute_signals, signals_for_account

AS_OF = "2026-06-30"
END = np.datetime64("2026-06-30T12:00:00", "s")


def ago(days: float, hour: int = 12) -> str:
    """ISO text of a moment ``days`` days before the as-of date (at ``hour``)."""
    base = np.datetime64("2026-06-30", "D") - np.timedelta64(int(days), "D")
    return f"{base}T{hour:02d}:00:00Z"


def _exports() -> dict[str, Any]:
    # account "steady": active every day for six months, then absent for four weeks
    steady_days = [ago(d) for d in range(28, 28 + 180)]
    events = {
        "account_id": ["steady"] * 180 + ["busy"] * 6,
        "user_id": ["s1"] * 180 + ["b1", "b2", "b3", "b1", "b1", "b2"],
        "timestamp": [*steady_days, ago(1), ago(2), ago(3), ago(40), ago(5), ago(6)],
        "feature": ["reports"] * 180 + ["reports", "alerts", "integration:crm", "search", "custom_reports", "reports"],
    }
    crm = {
        "account_id": ["busy", "busy", "busy", "busy", "busy", "busy", "steady", "steady"],
        "timestamp": [ago(50), ago(60), ago(100), ago(30, 9), ago(30, 14), ago(10), ago(200), ago(5)],
        "kind": [
            "meeting",
            "qbr",
            "qbr_cancelled",
            "email_out",
            "email_reply",
            "expansion_talk",
            "meeting",
            "reference",
        ],
        "persona": ["executive", "executive", "executive", "manager", "manager", "manager", "executive", "manager"],
    }
    return {
        "accounts": {
            "account_id": ["steady", "busy", "quiet"],
            "segment": ["smb", "enterprise", "smb"],
            "seats_purchased": [2, 4, 5],
            "arr": [1000, 10000, 500],
            "contract_term_months": [1, 24, 12],
        },
        "events": events,
        "crm_activities": crm,
        "tickets": {
            "account_id": ["busy"] * 7,
            "ticket_id": [f"t{i}" for i in range(7)],
            "opened_at": [ago(d) for d in (1, 10, 20, 30, 40, 50, 120)],
            "sentiment": [0.5, 0.1, -0.3, 0.2, 0.4, -0.1, -1.0],
        },
        "surveys": {
            "account_id": ["busy"] * 5,
            "respondent": ["r1", "r2", "r3", "r4", "r5"],
            "timestamp": [ago(d) for d in (10, 20, 30, 40, 50)],
            "kind": ["nps", "nps", "nps", "nps", "csat"],
            "value": [10, 9, 7, 3, 4],
        },
        "goals": {
            "account_id": ["busy", "busy", "busy"],
            "goal": ["savings", "savings", "adoption"],
            "target": [100, 100, 50],
            "actual": [40, 80, 60],
            "timestamp": [ago(90), ago(10), ago(30)],
        },
        "value": {
            "account_id": ["busy", "busy", "busy"],
            "timestamp": [ago(30), ago(200), ago(400)],
            "value_delivered": [20000, 10000, 99999],
        },
        "invoices": {
            "account_id": ["busy", "busy"],
            "invoice_id": ["i1", "i2"],
            "due_date": [ago(40, 0), ago(20, 0)],
            "paid_date": [ago(30, 0), ""],
            "amount": [100, 100],
        },
    }


@pytest.fixture(scope="module")
def signals() -> dict[str, Any]:
    ex = read_exports(_exports())
    table = compute_signals(ex, AS_OF, SignalSettings(advanced_features=("custom_reports",), power_user_min_days=3))
    return {name: dict(zip(table["account_id"].tolist(), table[name].tolist(), strict=True)) for name in table}


def test_columns_are_every_signal_in_account_order() -> None:
    table = compute_signals(read_exports(_exports()), AS_OF)
    assert list(table) == ["account_id", *SIGNAL_NAMES]
    assert table["account_id"].tolist() == ["steady", "busy", "quiet"]


def test_active_days_decay_and_recency_of_the_absent_account(signals: dict[str, Any]) -> None:
    # windows of 30 days: ages 28-29 -> 2 active days, then five full windows of 30
    weights = [1, 0.5, 0.25, 0.125, 0.0625, 0.03125]
    expected = (2 * 1 + 30 * sum(weights[1:])) / sum(weights)
    assert signals["active_days"]["steady"] == pytest.approx(expected)
    assert signals["days_since_last_login"]["steady"] == 28
    assert signals["active_days"]["quiet"] == 0.0  # no events at all: zero activity
    assert math.isnan(signals["days_since_last_login"]["quiet"])  # but no last login to count from


def test_the_seed_scenario_scores_far_below_its_active_twin(signals: dict[str, Any]) -> None:
    model = presets.three_dimension()
    absent = model.score({"active_days": signals["active_days"]["steady"], "days_since_last_login": 28.0}).dimensions[
        "product"
    ]
    twin = model.score({"active_days": 30.0, "days_since_last_login": 0.0}).dimensions["product"]
    assert absent is not None
    assert twin is not None
    assert twin - absent >= 30
    assert absent < 60


def test_product_signals(signals: dict[str, Any]) -> None:
    assert signals["penetration"]["busy"] == pytest.approx(3 / 4)  # b1, b2, b3 in the last 30 days
    assert signals["penetration"]["steady"] == 0.5  # s1 was last seen 28 days ago: inside the 30-day window
    # product features seen in all events: reports, alerts, search, custom_reports (4); busy used all four
    # in the last 90 days, steady only reports
    assert signals["feature_breadth"]["busy"] == 1.0
    assert signals["feature_breadth"]["steady"] == pytest.approx(1 / 4)
    assert signals["integrations"]["busy"] == 1.0
    assert signals["feature_depth"]["busy"] == pytest.approx(1 / 6)  # one custom_reports event of six
    assert signals["power_users"]["busy"] == 0.0  # b1 has 2 recent days (<3), and custom_reports was b1's
    assert math.isnan(signals["workflow_completion"]["busy"])  # no workflow features configured


def test_relationship_signals(signals: dict[str, Any]) -> None:
    assert signals["executive_engagement"]["busy"] == "quarterly"  # executive meeting 50 days ago
    assert signals["executive_engagement"]["steady"] == "annual"  # only 200 days ago
    assert signals["executive_engagement"]["quiet"] == "none"
    assert signals["qbr_attendance"]["busy"] == pytest.approx(1 / 2)  # one held, one cancelled
    assert math.isnan(signals["qbr_attendance"]["steady"])  # none scheduled
    assert signals["response_hours"]["busy"] == pytest.approx(5.0)
    assert signals["champion"]["steady"] == 1.0
    assert signals["expansion_talks"]["busy"] == 1.0
    assert signals["ticket_volume"]["busy"] == pytest.approx(6 / 3)  # six in 90 days, per 30 days
    assert signals["ticket_volume"]["quiet"] == 0.0  # tickets table present: none is zero
    assert signals["ticket_sentiment"]["busy"] == pytest.approx(np.mean([0.5, 0.1, -0.3, 0.2, 0.4, -0.1]))
    assert math.isnan(signals["ticket_sentiment"]["quiet"])
    assert signals["nps"]["busy"] == pytest.approx(25.0)  # (2 promoters - 1 detractor) / 4
    assert signals["csat"]["busy"] == 4.0
    assert math.isnan(signals["nps"]["quiet"])


def test_business_signals(signals: dict[str, Any]) -> None:
    # savings: latest 80/100; adoption 60/50 capped at 1
    assert signals["outcome_achievement"]["busy"] == pytest.approx((0.8 + 1.0) / 2)
    assert signals["roi_multiple"]["busy"] == pytest.approx((20000 + 10000) / 10000)
    assert signals["contract_months"]["busy"] == 24
    # elapsed days are whole UTC calendar days: i1 is due 05-21, paid 05-31 (10 days late) and is
    # 06-30 - 05-21 = 40 days old; i2 is due 06-10, unpaid on 06-30: 20 days late and 20 days old
    age1, age2 = 40, 20
    w1, w2 = 0.5 ** (age1 / 90), 0.5 ** (age2 / 90)
    expected = (w1 * 10 + w2 * 20) / (w1 + w2)
    assert signals["payment_delay_days"]["busy"] == pytest.approx(expected)
    assert math.isnan(signals["payment_delay_days"]["quiet"])
    assert signals["budget_trend"]["busy"] is None  # no export carries budgets


def test_absent_tables_give_missing_not_zero() -> None:
    only_accounts = {"accounts": _exports()["accounts"]}
    table = compute_signals(read_exports(only_accounts), AS_OF)
    for name in SIGNAL_NAMES:
        if name == "contract_months":
            continue
        values = table[name].tolist()
        assert all(v is None or (isinstance(v, float) and math.isnan(v)) for v in values), name


def _far_future_rows(data: st.DataObject, accounts: Sequence[str]) -> dict[str, dict[str, list[Any]]]:
    account = st.sampled_from(list(accounts))
    later = st.integers(1, 400).map(lambda d: f"{np.datetime64('2026-06-30', 'D') + np.timedelta64(d, 'D')}T00:30:00Z")
    n = data.draw(st.integers(1, 4))
    return {
        "events": {
            "account_id": [data.draw(account) for _ in range(n)],
            "user_id": [f"new{i}" for i in range(n)],
            "timestamp": [data.draw(later) for _ in range(n)],
            "feature": [data.draw(st.sampled_from(["reports", "integration:chat", "admin"])) for _ in range(n)],
        },
        "crm_activities": {
            "account_id": [data.draw(account)],
            "timestamp": [data.draw(later)],
            "kind": [data.draw(st.sampled_from(["meeting", "qbr", "email_reply", "reference"]))],
            "persona": ["executive"],
        },
        "tickets": {
            "account_id": [data.draw(account)],
            "ticket_id": ["late"],
            "opened_at": [data.draw(later)],
            "sentiment": [-1.0],
        },
        "surveys": {
            "account_id": [data.draw(account)],
            "respondent": ["x"],
            "timestamp": [data.draw(later)],
            "kind": ["nps"],
            "value": [0],
        },
        "goals": {
            "account_id": [data.draw(account)],
            "goal": ["savings"],
            "target": [100],
            "actual": [0],
            "timestamp": [data.draw(later)],
        },
        "value": {"account_id": [data.draw(account)], "timestamp": [data.draw(later)], "value_delivered": [1e9]},
        "invoices": {
            "account_id": [data.draw(account)],
            "invoice_id": ["late"],
            "due_date": [data.draw(later)],
            "paid_date": [""],
            "amount": [1],
        },
    }


@settings(max_examples=25)
@given(data=st.data())
def test_rows_dated_after_as_of_change_no_signal(data: st.DataObject) -> None:
    base = _exports()
    extra = _far_future_rows(data, base["accounts"]["account_id"])
    grown = {name: {k: list(v) for k, v in cols.items()} for name, cols in base.items()}
    for name, cols in extra.items():
        for k, v in cols.items():
            grown[name][k] = list(grown[name][k]) + v
    before = compute_signals(read_exports(base), AS_OF)
    after = compute_signals(read_exports(grown), AS_OF)
    for name in SIGNAL_NAMES:
        assert np.array_equal(np.asarray(before[name], dtype=object), np.asarray(after[name], dtype=object)) or (
            np.allclose(before[name].astype(float), after[name].astype(float), equal_nan=True, rtol=0, atol=0)
        ), name


def test_a_payment_made_after_as_of_is_unpaid_as_of_then() -> None:
    data = _exports()
    data["invoices"]["paid_date"] = [ago(30, 0), "2026-08-01"]  # the second paid later
    on_time = compute_signals(read_exports(_exports()), AS_OF)["payment_delay_days"]
    later = compute_signals(read_exports(data), AS_OF)["payment_delay_days"]
    assert np.array_equal(on_time, later, equal_nan=True)


def test_bad_rows_name_file_line_column_and_value(tmp_path: Path) -> None:
    data = _exports()
    data["events"]["timestamp"][3] = "31/12/2025"
    data["invoices"]["invoice_id"] = ["i1", "i1"]
    data["crm_activities"]["account_id"][0] = "ghost"
    data["accounts"]["seats_purchased"][2] = -5
    folder = tmp_path / "exports"
    write_exports({k: {c: np.asarray(v) for c, v in cols.items()} for k, cols in data.items()}, folder)
    with pytest.raises(InputError) as info:
        read_exports(folder)
    assert "accounts.csv line 4, column 'seats_purchased'" in str(info.value)
    assert "'-5'" in str(info.value)
    report = read_exports(folder, on_bad_rows="report")
    messages = [r.message() for r in report.rejected]
    assert any("events.csv line 5, column 'timestamp'" in m and "31/12/2025" in m for m in messages)
    assert any("invoices.csv line 3, column 'invoice_id'" in m and "duplicate" in m for m in messages)
    assert any("crm_activities.csv line 2, column 'account_id'" in m and "ghost" in m for m in messages)
    assert report.rows("events") == 185  # every other row kept
    assert report.rows("accounts") == 2


def test_bad_row_lines_are_the_lines_an_editor_shows(tmp_path: Path) -> None:
    """A quoted line break and a blank line before a bad row: the message gives
    the line the bad row starts on in the file, not the row number plus one."""
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "accounts.csv").write_text(
        "account_id,name,segment,contract_term_months,seats_purchased,arr\r\n"
        'a1,"Acme\nHoldings",smb,12,10,1000\r\n\r\na2,Beta,smb,12,x,2000\r\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"accounts\.csv line 5, column 'seats_purchased'.*'x'"):
        read_exports(folder)
    report = read_exports(folder, on_bad_rows="report")
    assert [(r.line, r.column, r.value) for r in report.rejected] == [(5, "seats_purchased", "x")]
    assert report.lines["accounts"].tolist() == [2]


def test_missing_required_columns_and_tables_are_errors() -> None:
    with pytest.raises(InputError, match="accounts table is required"):
        read_exports({"events": _exports()["events"]})
    data = _exports()
    del data["events"]["feature"]
    with pytest.raises(InputError, match=r"missing column\(s\) 'feature'"):
        read_exports(data)
    with pytest.raises(InputError, match="as_of must be an ISO 8601"):
        compute_signals(read_exports(_exports()), "tomorrow")


def test_every_family_gives_the_same_signals() -> None:
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    data = _exports()
    data["invoices"]["paid_date"] = [ago(30, 0), None]
    reference = compute_signals(read_exports(data), AS_OF)
    for convert in (pd.DataFrame, pl.DataFrame, pa.table):
        frames = {name: convert(cols) for name, cols in data.items()}
        other = compute_signals(read_exports(frames), AS_OF)
        for name in SIGNAL_NAMES:
            a, b = np.asarray(reference[name], dtype=object), np.asarray(other[name], dtype=object)
            assert [str(x) for x in a.tolist()] == [str(x) for x in b.tolist()], (convert, name)


def test_one_account_path_matches_the_batch() -> None:
    ex = read_exports(_exports())
    table = compute_signals(ex, AS_OF)
    one = signals_for_account(ex, "busy", AS_OF)
    for name in SIGNAL_NAMES:
        want = table[name][1]
        got = one[name]
        assert (want is None and got is None) or want == got or (math.isnan(want) and math.isnan(got)), name
    with pytest.raises(InputError, match="unknown account_id 'nobody'"):
        signals_for_account(ex, "nobody", AS_OF)


def test_ticket_text_needs_an_analyser_and_non_english_is_missing() -> None:
    data = _exports()
    del data["tickets"]["sentiment"]
    data["tickets"]["text"] = ["great, thanks", "broken again", "это ужасно", "fine", "ok", "hmm", "old"]
    with pytest.warns(UserWarning, match="no analyser is set"):
        table = compute_signals(read_exports(data), AS_OF)
    assert math.isnan(table["ticket_sentiment"][1])

    def analyser(texts: Sequence[str]) -> list[float]:
        return [math.nan if not t.isascii() else (0.8 if "great" in t else -0.5) for t in texts]

    with pytest.warns(UserWarning, match="could not be scored"):
        table = compute_signals(read_exports(data), AS_OF, SignalSettings(sentiment=analyser))
    assert table["ticket_sentiment"][1] == pytest.approx(np.mean([0.8, -0.5, -0.5, -0.5, -0.5]))


def test_synthetic_exports_round_trip_through_files(tmp_path: Path) -> None:
    gen = generate_exports(12, 90, seed=3)
    write_exports(gen.tables, tmp_path)
    from_files = compute_signals(read_exports(tmp_path), gen.end)
    in_memory = compute_signals(read_exports(gen.tables), gen.end)
    for name in SIGNAL_NAMES:
        a = np.asarray(in_memory[name], dtype=object)
        b = np.asarray(from_files[name], dtype=object)
        assert [str(x) for x in a.tolist()] == [str(x) for x in b.tolist()], name
    churn_dates = np.array(gen.churn["churn_date"], dtype="datetime64[D]")
    assert (churn_dates > np.datetime64(gen.start)).all()  # churn follows three weeks of low health


def test_export_blocks_start_with_the_one_call_tables_and_go_on_with_new_accounts() -> None:
    """The demo reads its exports a block at a time: the first block is what
    generate_exports gives (so a demo of up to a block is unchanged), the next
    ones are worlds of their own whose account ids go on."""
    first, second, third = generate_export_blocks(25, 60, seed=3, block=10)
    whole = generate_exports(10, 60, seed=3)
    for table, columns in whole.tables.items():
        for name, values in columns.items():
            got = first.tables[table][name]
            assert (got.dtype, got.tobytes()) == (values.dtype, values.tobytes()), (table, name)  # NaN, NaT too
    assert second.tables["accounts"]["account_id"].tolist() == [f"A{i:06d}" for i in range(11, 21)]
    assert third.tables["accounts"]["account_id"].tolist() == [f"A{i:06d}" for i in range(21, 26)]
    assert not np.array_equal(first.health, second.health)  # not the same world again
    assert set(second.tables["events"]["account_id"].tolist()) <= set(second.tables["accounts"]["account_id"].tolist())
    with pytest.raises(InputError, match="block must be >= 1, got 0"):
        next(generate_export_blocks(5, block=0))


def test_signals_come_back_in_the_family_of_the_exports() -> None:
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    data = _exports()
    reference = compute_signals(read_exports(data), AS_OF)
    frames = {name: pd.DataFrame(cols) for name, cols in data.items()}
    out = compute_signals(read_exports(frames), AS_OF, output="auto")
    assert isinstance(out, pd.DataFrame)
    assert out["account_id"].tolist() == ["steady", "busy", "quiet"]
    assert out["nps"].tolist()[1] == reference["nps"][1]
    assert isinstance(compute_signals(read_exports(data), AS_OF, output="polars"), pl.DataFrame)
    arrow = compute_signals(read_exports(data), AS_OF, output="arrow")
    assert isinstance(arrow, pa.Table)
    assert arrow.column("executive_engagement").to_pylist() == ["annual", "quarterly", "none"]
    polars_in = {name: pl.DataFrame(cols) for name, cols in data.items()}
    assert isinstance(compute_signals(read_exports(polars_in), AS_OF, output="auto"), pl.DataFrame)


def test_vader_scores_english_and_leaves_other_languages_missing() -> None:
    pytest.importorskip("vaderSentiment")
    from healthscore.signals import vader

    scores = vader()(["I love this product, great support!", "This is terrible and broken.", "これはひどいです"])
    assert scores[0] > 0.3
    assert scores[1] < -0.3
    assert math.isnan(scores[2])


def test_elapsed_days_are_whole_utc_calendar_days() -> None:
    # due 06-10 and unpaid on 06-30: 30 - 10 = 20 days late; a login on 06-02: 30 - 2 = 28 days before
    data = _exports()
    data["invoices"] = {
        "account_id": ["quiet"],
        "invoice_id": ["i9"],
        "due_date": ["2026-06-10"],
        "paid_date": [""],
        "amount": [1],
    }
    data["events"]["account_id"].append("quiet")
    data["events"]["user_id"].append("q1")
    data["events"]["timestamp"].append("2026-06-02T23:30:00Z")
    data["events"]["feature"].append("reports")
    signals = compute_signals(read_exports(data), AS_OF)
    quiet = list(signals["account_id"]).index("quiet")
    assert signals["payment_delay_days"][quiet] == 20
    assert signals["days_since_last_login"][quiet] == 28


def test_a_due_date_means_the_end_of_its_day() -> None:
    data = _exports()
    data["invoices"] = {
        "account_id": ["quiet"],
        "invoice_id": ["i9"],
        "due_date": [AS_OF],
        "paid_date": [""],
        "amount": [1],
    }
    quiet = 2
    assert math.isnan(compute_signals(read_exports(data), "2026-06-30T12:00:00Z")["payment_delay_days"][quiet])
    assert compute_signals(read_exports(data), AS_OF)["payment_delay_days"][quiet] == 0  # due, not yet late


@pytest.mark.parametrize("as_of", ["2026-06-30T09:00:00+02:00", "2026-06-30 07:00", "2026-06-30T07:00:00Z"])
def test_offsets_are_normalised_to_utc_and_naive_times_are_utc(as_of: str) -> None:
    from healthscore.signals import as_of_seconds

    assert as_of_seconds(as_of) == as_of_seconds("2026-06-30T07:00:00")


@pytest.mark.parametrize("value", ["20260630", "1782777600", "2026", "2026-06", "now", "today", 1782777600])
def test_values_that_are_not_iso_8601_are_refused_by_name(value: Any) -> None:
    with pytest.raises(InputError, match=r"as_of must be an ISO 8601 date \(YYYY-MM-DD\) or date-time .* got"):
        compute_signals(read_exports(_exports()), value)


def test_the_one_account_path_counts_features_as_of_then_like_the_batch() -> None:
    """A feature first seen after as_of is not available yet, on either path."""
    data = _exports()
    data["events"]["account_id"].append("steady")
    data["events"]["user_id"].append("s1")
    data["events"]["timestamp"].append("2026-07-15T10:00:00Z")
    data["events"]["feature"].append("brand_new")
    ex = read_exports(data)
    batch = compute_signals(ex, AS_OF)["feature_breadth"]
    assert batch[1] == 1.0  # busy used all four features available on 06-30
    assert signals_for_account(ex, "busy", AS_OF)["feature_breadth"] == batch[1]
    assert signals_for_account(ex, "steady", AS_OF)["feature_breadth"] == batch[0] == pytest.approx(1 / 4)
    later = compute_signals(ex, "2026-07-31")["feature_breadth"]  # brand_new is available by then
    assert signals_for_account(ex, "busy", "2026-07-31")["feature_breadth"] == later[1] < batch[1]
