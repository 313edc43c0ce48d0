"""Alerts that must fire and rules that must hold (issue: a band-only override
to red kept the alert "healthy"; drop alerts never fired with month-end
snapshots; the CLI could not change the drop rule)."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable
from pathlib import Path

import attrs

from healthscore import ValidationError, presets
from healthscore.actions import queue_from_history
from healthscore.bands import Band, BandPolicy
from healthscore.cli import main
from healthscore.exceptions import InputError
from healthscore.history import HistoryPoint, HistoryStore, SQLiteHistory
from healthscore.trends import DropRule, trends
from hostile import ApiCase, CliCase

MODEL = presets.three_dimension()  # penetration p scores 100 * p between 0.5 and 0.7, 50 + 100 * (p - 0.4) below


def _history(build: Callable[[HistoryStore], None]) -> bytes:
    """A SQLite history file built by ``build``, as bytes."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "h.db"
        with SQLiteHistory(path) as store:
            build(store)
        return path.read_bytes()


def _snapshot(store: HistoryStore, day: str, penetration: dict[str, float]) -> None:
    scored = MODEL.score_batch({"penetration": list(penetration.values())}, missing_columns="missing", drivers=1)
    store.write_snapshot(MODEL, day, list(penetration), scored)


def _month_ends(store: HistoryStore) -> None:
    """The issue's numbers: "falling" goes 80.0 -> 54.8 (25.2 points) between two month ends 31 days apart;
    "stable" stays at 80 (healthy)."""
    _snapshot(store, "2026-06-30", {"falling": 0.7, "stable": 0.7})
    _snapshot(store, "2026-07-31", {"falling": 0.448, "stable": 0.7})


def _band_override(store: HistoryStore) -> None:
    """A healthy account overridden to red, band only."""
    _snapshot(store, "2026-06-30", {"quiet": 0.9, "fine": 0.9})
    store.set_override("quiet", band="red", reason="champion resigned", author="dana", starts="2026-06-01",
                       expires="2026-09-30")  # fmt: skip


MONTH_ENDS = _history(_month_ends)
BAND_OVERRIDE = _history(_band_override)


def _actions(case_id: str, *options: str, history: bytes = MONTH_ENDS) -> CliCase:
    """``healthscore actions --format csv`` on a history; the expected outcome is set with ``attrs.evolve``."""
    return CliCase(
        id=case_id, argv=("actions", "--history", "h.db", "--format", "csv", *options), files={"h.db": history}
    )


def _falling_alerts(rows: dict[str, dict[str, str]]) -> None:
    assert rows["falling"]["drop_alert"] == "yes", rows
    assert "dropped 25 points from its peak since 2026-06-30" in rows["falling"]["reason"], rows
    assert rows["falling"]["due"] == "2026-08-02T00:00:00+00:00", rows  # a drop alert: 48 hours
    assert "stable" not in rows, rows


def _no_drop_alert(rows: dict[str, dict[str, str]]) -> None:
    assert rows["falling"]["drop_alert"] == "", rows  # still at_risk by its score: queued without a drop alert
    assert "stable" not in rows, rows


def _red_is_critical(rows: dict[str, dict[str, str]]) -> None:
    assert list(rows) == ["quiet"], rows
    assert (rows["quiet"]["band"], rows["quiet"]["alert"]) == ("red", "critical"), rows
    assert rows["quiet"]["due"] == "2026-06-30T00:00:00+00:00", rows  # critical: now


def _queue_case(
    case_id: str, *options: str, history: bytes, check: Callable[[dict[str, dict[str, str]]], None]
) -> CliCase:
    """``actions`` prints the queue; the runner checks fragments of it, and ``check`` gets the rows of a second
    run in the same folder (the command writes nothing, so both runs see one history)."""

    def rows(folder: Path) -> None:
        out = io.StringIO()
        argv = ["actions", "--history", str(folder / "h.db"), "--format", "csv", *options]
        assert main(argv, stdout=out, stderr=io.StringIO()) == 0
        check({row["account_id"]: row for row in csv.DictReader(io.StringIO(out.getvalue()))})

    case = _actions(case_id, *options, history=history)
    return attrs.evolve(case, status=0, stdout=("rank,account_id,score,band,alert,drop_alert",), unchanged=("h.db",),
                        check=rows)  # fmt: skip


def _point(account: str, day: str, score: float) -> HistoryPoint:
    return HistoryPoint(account_id=account, as_of=day, model_version="v", score=score, band=None, alert=None,
                        coverage=1.0, dimensions={})  # fmt: skip


def _month_end_trends(_folder: Path) -> object:
    points = [_point("falling", "2026-06-30", 80.0), _point("falling", "2026-07-31", 54.8),
              _point("stable", "2026-06-30", 80.0), _point("stable", "2026-07-31", 79.5)]  # fmt: skip
    return trends(points, "2026-07-31")


def _falls_and_stays(table: object) -> None:
    assert isinstance(table, dict)
    assert table["account_id"].tolist() == ["falling", "stable"]
    assert table["drop_alert"].tolist() == [True, False]
    assert round(float(table["drop"][0]), 6) == 25.2


def _override_queue(folder: Path) -> object:
    path = folder / "h.db"
    path.write_bytes(BAND_OVERRIDE)
    with SQLiteHistory(path) as store:
        return queue_from_history(store)


def _quiet_is_critical(queue: object) -> None:
    assert isinstance(queue, list)
    assert [(a.account_id, a.band, a.alert, a.due) for a in queue] == [
        ("quiet", "red", "critical", "2026-06-30T00:00:00+00:00")
    ]


def _band_the_model_lacks(folder: Path) -> object:
    other = attrs.evolve(
        MODEL, bands=BandPolicy(bands=[Band(name="fine", min_score=50), Band(name="poor", min_score=0)])
    )
    path = folder / "h.db"
    path.write_bytes(BAND_OVERRIDE)
    with SQLiteHistory(path) as store:
        store.write_snapshot(other, "2026-07-31", ["quiet"], other.score_batch({"penetration": [0.9]},
                                                                             missing_columns="missing"))  # fmt: skip
        return store.series("quiet", model=other)


def _bad_window(value: str, rule: str) -> CliCase:
    case = _actions(f"actions-drop-window-{value or 'empty'}", f"--drop-window={value}")
    return attrs.evolve(case, stderr=("drop window must be", rule, repr(value)), unchanged=("h.db",))


def _bad_points(value: str) -> CliCase:
    case = _actions(f"actions-drop-points-{value}", f"--drop-points={value}")
    return attrs.evolve(case, stderr=("drop points must be a positive number", repr(value)), unchanged=("h.db",))


CASES: list[CliCase | ApiCase] = [
    # an overridden band implies its alert
    _queue_case("actions-band-only-override-to-red-is-critical", history=BAND_OVERRIDE, check=_red_is_critical),
    ApiCase(id="queue-band-only-override-to-red", call=_override_queue, check=_quiet_is_critical),
    ApiCase(
        id="override-band-the-later-model-lacks",
        call=_band_the_model_lacks,
        raises=InputError,
        match=r"sets band 'red', which model \w+ does not have \(its bands: fine, poor\)",
    ),
    # drop alerts hold for calendar months
    ApiCase(id="drop-25-points-between-month-ends-31-days-apart", call=_month_end_trends, check=_falls_and_stays),
    _queue_case("actions-drop-between-month-ends", history=MONTH_ENDS, check=_falling_alerts),
    _queue_case(
        "actions-drop-window-30d-misses-month-ends", "--drop-window", "30d", history=MONTH_ENDS, check=_no_drop_alert
    ),
    _queue_case("actions-drop-points-30", "--drop-points", "30", history=MONTH_ENDS, check=_no_drop_alert),
    _queue_case("actions-drop-window-31d", "--drop-window", "31d", history=MONTH_ENDS, check=_falling_alerts),
    *(
        _bad_window(value, rule)
        for value, rule in (
            ("2w", "such as 30d or 1m"),
            ("30", "such as 30d or 1m"),
            ("", "such as 30d or 1m"),
            ("0d", "positive number of days"),
            ("-1m", "such as 30d or 1m"),
            ("1.5m", "whole number of months"),
            ("0m", "whole number of months"),
        )
    ),
    *(_bad_points(value) for value in ("abc", "0", "-5", "nan", "inf")),
    ApiCase(
        id="drop-rule-days-and-months",
        call=lambda _folder: DropRule(days=30, months=1),
        raises=ValidationError,
        match="must be given as days or as months: exactly one of them",
    ),
    ApiCase(
        id="drop-rule-fractional-months",
        call=lambda _folder: DropRule(months=1.5),  # type: ignore[arg-type]
        raises=ValidationError,
        match="months must be a whole number of months >= 1, got 1.5",
    ),
]
