"""Dates that are not ISO 8601 (issue: ``--as-of 20250630`` read as a year)."""

from __future__ import annotations

from pathlib import Path

from healthscore import InputError, read_exports
from hostile import ApiCase, CliCase

ACCOUNTS = "account_id,active_days,penetration\nA1,6,0.45\n"
AS_OF_RULE = "must be an ISO 8601 date"


def _as_of(value: str) -> CliCase:
    return CliCase(
        id=f"as-of-{value}",
        argv=("score", "a.csv", "-o", "out.csv", "--history", "h.db", "--as-of", value),
        files={"a.csv": ACCOUNTS},
        stderr=(AS_OF_RULE, repr(value)),
        absent=("out.csv", "h.db"),
    )


def _epoch_events(_folder: Path) -> object:
    return read_exports(
        {
            "accounts": {
                "account_id": ["A1"],
                "segment": ["smb"],
                "contract_term_months": [12],
                "seats_purchased": [10],
                "arr": [1000],
            },
            "events": {
                "account_id": ["A1"],
                "user_id": ["u1"],
                "timestamp": ["1751241600"],
                "feature": ["login"],
            },
        }
    )


CASES: list[CliCase | ApiCase] = [
    *(_as_of(v) for v in ("20250630", "1751241600", "99999-01-01", "now", "2026-13-01")),
    ApiCase(id="export-timestamp-in-epoch-seconds", call=_epoch_events, raises=InputError, match="1751241600"),
]
