"""Raw exports, data frames and fits: an unknown table file, timestamps outside
the years of the date rule, duplicate column names, a fit on an empty column."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from healthscore import FitError, InputError, dump_model, presets, read_exports, score_portfolio
from healthscore.datasets import generate_driver_portfolio
from healthscore.exports import Exports
from healthscore.fit import reweight
from hostile import ApiCase, CliCase

ACCOUNTS = "account_id,segment,seats_purchased,arr,contract_term_months\nA1,smb,10,1000,12\nA2,smb,5,800,12\n"
EVENTS = "account_id,user_id,timestamp,feature\nA1,u1,2026-06-01,login\nA2,u2,{stamp},login\n"
SIGNALS = ("signals", "exports", "--as-of", "2026-06-30", "-o", "out.csv")
YEARS = "in the years 1970 to 2199"


def _unknown_file(name: str, hint: str) -> CliCase:
    return CliCase(
        id=f"exports-unknown-file-{name}",
        argv=SIGNALS,
        files={"exports/accounts.csv": ACCOUNTS, f"exports/{name}": EVENTS.format(stamp="2026-06-02")},
        stderr=(name, "not an export table", "known tables: accounts, events, crm_activities", hint),
        absent=("out.csv",),
    )


def _stamp_row(stamp: str) -> CliCase:
    return CliCase(
        id=f"exports-timestamp-{stamp}",
        argv=SIGNALS,
        files={"exports/accounts.csv": ACCOUNTS, "exports/events.csv": EVENTS.format(stamp=stamp)},
        stderr=("events.csv line 3, column 'timestamp'", YEARS, repr(stamp)),
        absent=("out.csv",),
    )


def _signals_written(folder: Path) -> None:
    assert (folder / "out.csv").read_text().startswith("account_id,")


def _reported_year_one(folder: Path) -> object:
    (folder / "accounts.csv").write_text(ACCOUNTS)
    (folder / "events.csv").write_text(EVENTS.format(stamp="0001-01-01T00:00:00Z"))
    return read_exports(folder, on_bad_rows="report")


def _check_reported(value: object) -> None:
    assert isinstance(value, Exports)
    (row,) = value.rejected
    assert (row.line, row.column, row.value) == (3, "timestamp", "0001-01-01T00:00:00Z")
    assert YEARS in row.reason
    assert value.tables["events"]["account_id"].tolist() == ["A1"]  # the good row is kept


def _datetime64_year_one(_folder: Path) -> object:
    return read_exports(
        {
            "accounts": {
                "account_id": ["A1"],
                "segment": ["smb"],
                "seats_purchased": [1],
                "arr": [1.0],
                "contract_term_months": [12],
            },
            "events": {
                "account_id": ["A1"],
                "user_id": ["u"],
                "timestamp": np.array(["0001-01-01"], dtype="datetime64[s]"),
                "feature": ["login"],
            },
        }
    )


def _duplicate_pandas_columns(_folder: Path) -> object:
    import pandas as pd

    frame = pd.DataFrame([["a", 0.5, 0.4, 12]], columns=["account_id", "penetration", "penetration", "active_days"])
    return score_portfolio(presets.three_dimension(), frame)


def _duplicate_arrow_columns(_folder: Path) -> object:
    import pyarrow as pa

    table = pa.Table.from_arrays(
        [pa.array(["a"]), pa.array([3.0]), pa.array([4.0])], names=["account_id", "nps", "nps"]
    )
    return score_portfolio(presets.three_dimension(), table)


def _drivers_with_empty(column: str, drop: bool = False) -> tuple[object, dict[str, object], object]:
    data = generate_driver_portfolio(300, seed=3)
    columns = dict(data["columns"])
    if drop:
        del columns[column]
    else:
        columns[column] = np.full(len(columns["usage"]), np.nan)
    return data["model"], columns, data["churned"]


def _reweight_empty(_folder: Path) -> object:
    model, columns, churned = _drivers_with_empty("nps")
    return reweight(model, columns, churned, bootstrap=0)  # type: ignore[call-overload]


def _reweight_absent(_folder: Path) -> object:
    model, columns, churned = _drivers_with_empty("meetings", drop=True)
    return reweight(model, columns, churned, bootstrap=0)  # type: ignore[call-overload]


def _reweight_files() -> dict[str, str | bytes]:
    model, columns, churned = _drivers_with_empty("nps")
    names = list(columns)
    rows = zip(*(np.asarray(columns[n]).tolist() for n in names), np.asarray(churned).tolist(), strict=True)
    lines = [",".join([*names, "churned"])]
    lines += [",".join("" if v != v else f"{v:g}" for v in row) for row in rows]
    text = dump_model(model, format="toml")  # type: ignore[arg-type]
    assert text is not None
    return {"data.csv": "\n".join(lines) + "\n", "model.toml": text}


CASES: list[CliCase | ApiCase] = [
    _unknown_file("event.csv", "did you mean events.csv?"),
    _unknown_file("Invoice.parquet", "did you mean invoices.parquet?"),
    _unknown_file("notes.csv", "move files that are not exports out of the folder"),
    *(_stamp_row(s) for s in ("0001-01-01", "1969-12-31T23:59:59Z", "1900-01-01", "2200-01-01", "9999-12-31")),
    CliCase(
        id="exports-timestamp-1970-is-accepted",
        argv=SIGNALS,
        files={
            "exports/accounts.csv": ACCOUNTS,
            "exports/events.csv": EVENTS.format(stamp="1970-01-01T00:00:00+00:00"),
        },
        status=0,
        check=_signals_written,
    ),
    ApiCase(id="exports-timestamp-year-1-reported", call=_reported_year_one, check=_check_reported),
    ApiCase(id="exports-datetime64-year-1", call=_datetime64_year_one, raises=InputError, match=f"{YEARS}.*0001-01-01"),
    ApiCase(
        id="frame-duplicate-columns-pandas",
        call=_duplicate_pandas_columns,
        raises=InputError,
        match=r"pandas table has duplicate column names: 'penetration' \(2 times\)",
    ),
    ApiCase(
        id="frame-duplicate-columns-arrow",
        call=_duplicate_arrow_columns,
        raises=InputError,
        match=r"pyarrow|arrow table has duplicate column names: 'nps' \(2 times\)",
    ),
    ApiCase(id="fit-reweight-empty-column", call=_reweight_empty, raises=FitError, match=r"'nps' \(an empty column\)"),
    ApiCase(
        id="fit-reweight-absent-column", call=_reweight_absent, raises=FitError, match=r"'meetings' \(no such column\)"
    ),
    CliCase(
        id="fit-reweight-cli-empty-column",
        argv=("fit", "reweight", "data.csv", "--outcome", "churned", "--model", "model.toml", "-o", "new.toml"),
        files=_reweight_files(),
        stderr=("'nps' (an empty column)", "no weight or AUC can be fitted"),
        absent=("new.toml",),
    ),
]
