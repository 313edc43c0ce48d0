"""Values and names going into models and signals (issue: out-of-range values
clamped in silence, a misspelt metric ignored, zero seats, overflowing weights)."""

from __future__ import annotations

import csv
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from healthscore import (
    ConfigError,
    Dimension,
    HealthModel,
    InputError,
    Metric,
    ValidationError,
    compute_signals,
    dump_model,
    load_model,
    presets,
    read_exports,
    scorers,
)
from healthscore.model import BatchScores
from hostile import ApiCase, CliCase

OUT_OF_RANGE = "out of range, scored as missing"


def _scored(folder: Path) -> dict[str, dict[str, str]]:
    with (folder / "out.csv").open(encoding="utf-8", newline="") as f:
        return {row["account_id"]: row for row in csv.DictReader(f)}


def _scored_as_missing(folder: Path) -> None:
    """A1's bad value counted as missing: A1 has the coverage of an account
    without that metric, below A2's, and scores on its other metric alone."""
    rows = _scored(folder)
    assert float(rows["A1"]["coverage"]) < float(rows["A2"]["coverage"]), rows
    assert rows["A1"]["score"] == rows["A3"]["score"], rows


VALID = {"penetration": "0.5", "nps": "40", "csat": "4", "ticket_sentiment": "0.5", "roi_multiple": "2"}


def _csv_case(case_id: str, column: str, value: str, rule: str) -> CliCase:
    """A portfolio CSV with one value outside ``column``'s domain: reported by
    account and value, scored as missing (not clamped)."""
    good = VALID.get(column, "3")
    return CliCase(
        id=case_id,
        argv=("score", "a.csv", "-o", "out.csv"),
        files={"a.csv": f"account_id,active_days,{column}\nA1,2,{value}\nA2,2,{good}\nA3,2,\n"},
        status=0,
        stderr=(f"column {column!r}: 1 value(s) {OUT_OF_RANGE}", rule, "A1: "),
        check=_scored_as_missing,
    )


def _exports(**extra: str) -> dict[str, str]:
    files = {
        "ex/accounts.csv": (
            "account_id,segment,contract_term_months,seats_purchased,arr\nA1,smb,12,10,1000\nA2,smb,12,10,1000\n"
        ),
        "ex/events.csv": "account_id,user_id,timestamp,feature\nA1,u1,2025-06-20,login\nA2,u2,2025-06-20,login\n",
    }
    files.update({f"ex/{name}.csv": text for name, text in extra.items()})
    return files


def _export_case(case_id: str, column: str, known: str = "", **tables: str) -> CliCase:
    return CliCase(
        id=case_id,
        argv=("score", "ex", "--as-of", "2025-06-30", "-o", "out.csv"),
        files=_exports(**tables),
        status=0,
        stderr=(f"column {column!r}: 1 value(s) {OUT_OF_RANGE}", "A1: "),
        known=known,
    )


def _score(record: dict[str, object]) -> Callable[[Path], object]:
    return lambda _folder: presets.three_dimension().score(record)


def _batch(columns: dict[str, object]) -> Callable[[Path], object]:
    return lambda _folder: presets.three_dimension().score_batch(columns, missing_columns="missing")


def _reports(column: str, count: int, rows: tuple[int, ...]) -> Callable[[object], None]:
    def check(value: object) -> None:
        assert isinstance(value, BatchScores)
        (report,) = [r for r in value.out_of_range if r.column == column]
        assert (report.count, report.rows) == (count, rows)
        assert np.isnan(value.metric_scores[column][list(rows)]).all() if value.metric_scores else True
        assert any(OUT_OF_RANGE in w for w in value.warnings)

    return check


def _typo_warning(value: object) -> None:
    assert isinstance(value, BatchScores)
    assert any("'penatration'" in w and "did you mean 'penetration'" in w for w in value.warnings), value.warnings


def _zero_seats(_folder: Path) -> object:
    exports = read_exports(
        {
            "accounts": {
                "account_id": ["A1", "A2"],
                "segment": ["smb", "smb"],
                "contract_term_months": [12, 12],
                "seats_purchased": [0, 10],
                "arr": [1000, 1000],
            },
            "events": {
                "account_id": ["A1", "A2"],
                "user_id": ["u1", "u2"],
                "timestamp": ["2025-06-20", "2025-06-20"],
                "feature": ["login", "login"],
            },
        }
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = compute_signals(exports, "2025-06-30")
    return table["penetration"], [str(w.message) for w in caught]


def _check_zero_seats(value: object) -> None:
    assert isinstance(value, tuple)
    penetration, messages = value
    assert np.isnan(penetration[0])
    assert penetration[1] == 0.1
    assert any("1 account(s) have seats_purchased = 0" in m for m in messages), messages


def _overflowing_weights(_folder: Path) -> object:
    text = """
[[dimensions]]
name = "product"
weight = 1e308
[[dimensions.metrics]]
name = "penetration"
scorer = { kind = "piecewise", points = [[0, 0], [1, 100]] }

[[dimensions]]
name = "business"
weight = 1e308
[[dimensions.metrics]]
name = "roi_multiple"
scorer = { kind = "piecewise", points = [[0, 0], [3, 100]] }
"""
    return load_model(text, format="toml")


def _overflowing_metric_weights(_folder: Path) -> object:
    return Dimension(
        name="product",
        metrics=[
            Metric(name="a", scorer=scorers.penetration(), weight=1e308),
            Metric(name="b", scorer=scorers.penetration(), weight=1e308),
        ],
    )


def _segmented_typo(_folder: Path) -> object:
    return presets.segmented().score({"segment": "smb", "penatration": 0.5})


def _domain_in_config(_folder: Path) -> object:
    model = HealthModel(dimensions=[Dimension(name="d", metrics=[Metric(name="nps", scorer=scorers.nps())])], name="m")
    return load_model(dump_model(model, format="json"), format="json").score({"nps": 150})


CASES: list[CliCase | ApiCase] = [
    # Out-of-range values in a portfolio CSV: reported per column with the accounts, scored as missing.
    _csv_case("csv-penetration-45-percent", "penetration", "45", "in [0, 1]"),
    _csv_case("csv-penetration-inf", "penetration", "inf", "finite"),
    _csv_case("csv-penetration-Infinity", "penetration", "Infinity", "finite"),
    _csv_case("csv-penetration-1e309", "penetration", "1e309", "finite"),
    _csv_case("csv-nps-150", "nps", "150", "in [-100, 100]"),
    _csv_case("csv-csat-7", "csat", "7", "in [1, 5]"),
    _csv_case("csv-sentiment-5", "ticket_sentiment", "5", "in [-1, 1]"),
    _csv_case("csv-negative-roi", "roi_multiple", "-2", ">= 0"),
    _csv_case("csv-negative-days-since-login", "days_since_last_login", "-3", ">= 0"),
    # The same values through exports: signals that leave their domain are reported when scored.
    _export_case(
        "exports-negative-value-delivered",
        "roi_multiple",
        value="account_id,timestamp,value_delivered\nA1,2025-06-01,-5000\nA2,2025-06-01,3000\n",
    ),
    _export_case(
        "exports-csat-7",
        "csat",
        surveys="account_id,respondent,timestamp,kind,value\nA1,r1,2025-06-01,csat,7\nA2,r2,2025-06-01,csat,4\n",
    ),
    # Answers outside any survey's scale are bad rows of the export, named by line.
    CliCase(
        id="exports-survey-answer-11",
        argv=("score", "ex", "--as-of", "2025-06-30", "-o", "out.csv"),
        files=_exports(
            surveys="account_id,respondent,timestamp,kind,value\nA1,r1,2025-06-01,nps,11\nA2,r2,2025-06-01,nps,9\n"
        ),
        stderr=("surveys.csv line 2, column 'value'", "must be <= 10", "'11'"),
        absent=("out.csv",),
    ),
    CliCase(
        id="exports-ticket-sentiment-5",
        argv=("score", "ex", "--as-of", "2025-06-30", "-o", "out.csv"),
        files=_exports(tickets="account_id,ticket_id,opened_at,sentiment\nA1,t1,2025-06-01,5\nA2,t2,2025-06-01,0.5\n"),
        stderr=("tickets.csv line 2, column 'sentiment'", "must be <= 1", "'5'"),
        absent=("out.csv",),
    ),
    # One account: an error naming the metric, the rule and the value.
    ApiCase(
        id="score-penetration-45",
        call=_score({"penetration": 45}),
        raises=InputError,
        match=r"metric 'penetration': 45\.0 is out of range: .*in \[0, 1\] \(a share: 45 % is 0\.45\)",
    ),
    ApiCase(id="score-penetration-inf", call=_score({"penetration": float("inf")}), raises=InputError, match="inf"),
    ApiCase(id="score-nps-150", call=_score({"nps": 150}), raises=InputError, match=r"'nps': 150\.0 .*\[-100, 100\]"),
    ApiCase(id="score-csat-7", call=_score({"csat": 7}), raises=InputError, match=r"'csat': 7\.0 .*\[1, 5\]"),
    ApiCase(
        id="score-sentiment-5",
        call=_score({"ticket_sentiment": 5}),
        raises=InputError,
        match=r"'ticket_sentiment': 5\.0 .*\[-1, 1\]",
    ),
    ApiCase(id="score-negative-roi", call=_score({"roi_multiple": -1.5}), raises=InputError, match=">= 0"),
    ApiCase(
        id="score-survey-answer-11",
        call=lambda _folder: HealthModel(
            dimensions=[Dimension(name="d", metrics=[Metric(name="answer", scorer=scorers.nps_response())])]
        ).score({"answer": 11}),
        raises=InputError,
        match=r"'answer': 11\.0 .*\[0, 10\]",
    ),
    ApiCase(id="score-domain-from-a-config-file", call=_domain_in_config, raises=InputError, match="150"),
    # Many accounts: a per-column report, the values scored as missing.
    ApiCase(
        id="batch-out-of-range-report",
        call=_batch({"penetration": [0.5, 45.0, np.inf, 0.2, 1e309], "nps": [10, 20, 30, 40, 50]}),
        check=_reports("penetration", 3, (1, 2, 4)),
    ),
    # Misspelt metric names.
    ApiCase(
        id="score-misspelt-metric",
        call=_score({"penatration": 0.5}),
        raises=InputError,
        match=r"unknown metric 'penatration': did you mean 'penetration'\?",
    ),
    ApiCase(
        id="segmented-score-misspelt-metric",
        call=_segmented_typo,
        raises=InputError,
        match="did you mean 'penetration'",
    ),
    ApiCase(
        id="batch-misspelt-column-warns",
        call=_batch({"penatration": [0.5], "nps": [10]}),
        check=_typo_warning,
    ),
    ApiCase(
        id="score-list-value",
        call=_score({"penetration": [0.5]}),
        raises=InputError,
        match=r"metric 'penetration': expected a single value, got a list",
    ),
    # Zero seats: penetration is missing, with a warning counting the accounts.
    ApiCase(id="signals-zero-seats", call=_zero_seats, check=_check_zero_seats),
    # Weights whose sum overflows.
    ApiCase(
        id="model-dimension-weights-overflow",
        call=_overflowing_weights,
        raises=ConfigError,
        match=r"must have a finite total weight.* @ \$\.dimensions",
    ),
    ApiCase(
        id="dimension-metric-weights-overflow",
        call=_overflowing_metric_weights,
        raises=ValidationError,
        match="metrics must have a finite total weight",
    ),
]
