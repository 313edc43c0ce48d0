"""The README's command lines run as written, on generated files, so its
examples cannot rot: a date that has passed or an option that changed fails
here first."""

from __future__ import annotations

import io
import re
import shlex
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from healthscore.cli import main
from healthscore.datasets import generate_exports, generate_portfolio, portfolio_to_csv, write_exports

README = Path(__file__).resolve().parents[1] / "README.md"
FUTURE_OPTIONS = ("--expires",)
"""Options whose date must lie after the day the example is run (an override that expired is refused)."""


def _commands() -> list[tuple[int, list[str]]]:
    """(README line number, argv without ``healthscore``) of each command of the Command line section."""
    lines = README.read_text(encoding="utf-8").splitlines()
    start = lines.index("## Command line")
    fence = next(i for i in range(start, len(lines)) if lines[i].startswith("```"))
    found = []
    for number in range(fence + 1, len(lines)):
        line = lines[number]
        if line.startswith("```"):
            break
        if line.startswith("healthscore "):
            found.append((number + 1, shlex.split(line, comments=True)[1:]))
    return found


COMMANDS = _commands()


def _option(argv: list[str], name: str) -> list[str]:
    return [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == name]


def _today() -> date:
    return datetime.now(UTC).date()


def test_the_readme_shows_the_commands() -> None:
    shown = {argv[0] for _, argv in COMMANDS}
    assert {"score", "signals", "actions", "history", "override", "backtest", "fit", "init-model", "demo"} <= shown


@pytest.mark.parametrize(("line", "argv"), [c for c in COMMANDS if any(_option(c[1], o) for o in FUTURE_OPTIONS)])
def test_dates_that_must_be_in_the_future_are(line: int, argv: list[str]) -> None:
    today = _today()
    for name in FUTURE_OPTIONS:
        for value in _option(argv, name):
            assert date.fromisoformat(value) > today, (
                f"README.md line {line}: {name} {value} is not after today ({today}), so the example fails when "
                f"run; give a later date"
            )


EXPIRY = re.compile(r"""(?:--expires[ =]|expires=["'])(\d{4}-\d{2}-\d{2})""")


@pytest.mark.parametrize("page", [README, *sorted((README.parent / "docs").glob("*.md"))], ids=lambda p: p.name)
def test_override_expiries_in_the_docs_are_in_the_future(page: Path) -> None:
    today = _today()
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        for value in EXPIRY.findall(line):
            assert date.fromisoformat(value) > today, (
                f"{page.name} line {number}: the override expires {value}, not after today ({today}); an example "
                "that sets it fails when run: give a later date"
            )


def _write_inputs(folder: Path) -> None:
    """What the README's commands read: accounts.csv with the ids it names, exports/ up to its --as-of date,
    data.csv with an outcome and a ``logins`` column, churn.csv for the accounts of the history, and renewals.csv
    120 days after it."""
    as_of = max(date.fromisoformat(v) for _, argv in COMMANDS for v in _option(argv, "--as-of"))
    columns = generate_portfolio(300, seed=7)
    n = len(columns["account_id"])
    columns["account_id"] = np.array([f"A{i:06d}" for i in range(1, n + 1)], dtype=object)
    (folder / "accounts.csv").write_text(portfolio_to_csv(columns), encoding="utf-8")
    rng = np.random.default_rng(3)
    churned = (rng.random(n) < 0.3).astype(np.int64)
    data = {**columns, "logins": np.maximum(rng.poisson(20, n) - 8 * churned, 0), "churned": churned}
    (folder / "data.csv").write_text(portfolio_to_csv(data), encoding="utf-8")
    churn_day = (as_of + timedelta(days=45)).isoformat()
    rows = [f"{account},{churn_day}" for account in columns["account_id"][churned == 1].tolist()]
    (folder / "churn.csv").write_text("account_id,churn_date\n" + "\n".join(rows) + "\n", encoding="utf-8")
    renewal_day = (as_of + timedelta(days=120)).isoformat()  # its features: the --as-of snapshot, 90 days before
    renewals = [
        f"{a},{renewal_day},{1 - c}" for a, c in zip(columns["account_id"].tolist(), churned.tolist(), strict=True)
    ]
    (folder / "renewals.csv").write_text(
        "account_id,renewal_date,renewed\n" + "\n".join(renewals) + "\n", encoding="utf-8"
    )
    days = 181
    exports = generate_exports(40, days, seed=2, start=(as_of - timedelta(days=days - 1)).isoformat())
    write_exports(exports.tables, folder / "exports")


def test_every_readme_command_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write_inputs(tmp_path)
    monkeypatch.chdir(tmp_path)
    ordered = sorted(COMMANDS, key=lambda c: c[1][0] != "init-model")  # it writes the model the others read
    failures = []
    for line, argv in ordered:
        out, err = io.StringIO(), io.StringIO()
        status = main(argv, stdout=out, stderr=err)
        missing = [o for o in _option(argv, "-o") if not (tmp_path / o).exists()]
        if status != 0 or missing or "Traceback" in err.getvalue():
            failures.append(f"README.md line {line}: healthscore {shlex.join(argv)}\n  exit {status}, "
                            f"not written: {missing}\n  {err.getvalue().strip()}")  # fmt: skip
    assert not failures, "\n".join(failures)
