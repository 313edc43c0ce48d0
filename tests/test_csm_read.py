"""The CSM's own read of an account: the value and its two scales, stored in
the history beside the score on both backends (schema 5, migrated from 4),
never in the score unless a model names it, its disagreement with the band,
the action queue showing and ranking on it, the dashboard and the command
line."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from browser import Browser, chromium  # noqa: F401 -- the fixture, used by name
from healthscore import InputError, ValidationError, presets
from healthscore.actions import DISAGREEMENT_DUE_HOURS, action_queue, queue_from_history
from healthscore.bands import Band, BandPolicy, default_bands
from healthscore.history import (
    CSM_COLOURS,
    CSM_READ_METRIC,
    CSM_STALE_DAYS,
    SCHEMA_VERSION,
    CsmRead,
    HistoryStore,
    SQLiteHistory,
    band_colour,
    csm_disagreement,
    open_history,
)
from healthscore.model import BatchScores, Dimension, HealthModel, Metric
from healthscore.scorers import Piecewise

HOSTILE = "<script>window.__hsInjected=1</script>"


def _read(**changes: Any) -> CsmRead:
    values: dict[str, Any] = {"account_id": "a", "rating": "green", "author": "kim", "as_of": "2026-06-30"}
    values.update(changes)
    return CsmRead(**values)


# --------------------------------------------------------------------------- the value


@pytest.mark.parametrize(
    ("rating", "stored", "colour", "level"),
    [
        ("red", "red", "red", 1),
        (" Yellow ", "yellow", "yellow", 3),
        ("GREEN", "green", "green", 5),
        (1, 1, "red", 1),
        (2, 2, "red", 2),
        ("3", 3, "yellow", 3),
        (4, 4, "green", 4),
        (5.0, 5, "green", 5),
        (np.int64(4), 4, "green", 4),
    ],
)
def test_a_rating_is_on_either_scale_and_maps_to_the_other(rating: Any, stored: Any, colour: str, level: int) -> None:
    read = _read(rating=rating)
    assert (read.rating, read.colour, read.level) == (stored, colour, level)


@pytest.mark.parametrize("rating", [0, 6, 2.5, True, "amber", "", None, "4.5", float("nan")])
def test_a_rating_off_both_scales_is_refused_naming_the_field_and_value(rating: Any) -> None:
    with pytest.raises(ValidationError, match=r"^rating must be a whole number from 1 to 5 or one of red") as err:
        _read(rating=rating)
    assert err.value.field == "rating"


@pytest.mark.parametrize("field", ["account_id", "author"])
@pytest.mark.parametrize("value", ["", "   ", None, 7])
def test_blank_account_or_author_is_refused(field: str, value: Any) -> None:
    with pytest.raises(ValidationError, match=rf"^{field} must be a non-blank string") as err:
        _read(**{field: value})
    assert (err.value.field, err.value.value) == (field, value)


def test_note_must_be_text_and_the_date_a_date() -> None:
    with pytest.raises(ValidationError, match=r"^note must be a string"):
        _read(note=None)
    with pytest.raises(InputError, match=r"as_of must be an ISO 8601 date"):
        _read(as_of="last tuesday")
    assert _read(as_of="2026-06-30T23:30:00-02:00").as_of == "2026-07-01"  # its UTC date


def test_evolve_re_runs_validation() -> None:
    with pytest.raises(ValidationError, match="rating"):
        attrs.evolve(_read(), rating=9)
    assert attrs.evolve(_read(), rating="2").colour == "red"


def test_staleness_counts_whole_days_from_the_read() -> None:
    read = _read(as_of="2026-01-01")
    assert read.age_days("2026-04-01") == 90
    assert not read.is_stale("2026-04-01")  # exactly CSM_STALE_DAYS old: still fresh
    assert read.is_stale("2026-04-02")
    assert read.is_stale("2026-01-11", stale_days=9)
    assert CSM_STALE_DAYS == 90


# --------------------------------------------------------------------------- disagreement


def test_the_bands_on_the_three_colour_scale() -> None:
    bands = default_bands()
    assert [band_colour(bands, b) for b in bands.names] == ["green", "yellow", "yellow", "red"]
    custom = BandPolicy(
        bands=(Band(name="top", min_score=70), Band(name="mid", min_score=50), Band(name="low", min_score=0))
    )
    assert [band_colour(custom, b) for b in custom.names] == ["green", "yellow", "red"]
    assert band_colour(bands, "purple") is None


@pytest.mark.parametrize(
    ("rating", "band", "steps"),
    [
        ("green", "red", 2),  # CSM more optimistic by 2 steps
        ("green", "orange", 1),
        ("green", "green", 0),
        ("yellow", "yellow", 0),
        ("yellow", "orange", 0),
        ("red", "green", -2),  # CSM more pessimistic by 2 steps
        (4, "yellow", 1),
        (1, "orange", -1),
        (3, "red", 1),
    ],
)
def test_disagreement_is_the_reads_colour_minus_the_bands(rating: Any, band: str, steps: int) -> None:
    assert csm_disagreement(_read(rating=rating), default_bands(), band) == steps


def test_no_band_no_disagreement() -> None:
    assert csm_disagreement(_read(), default_bands(), "") is None


@given(st.sampled_from(["red", "yellow", "green", 1, 2, 3, 4, 5]), st.sampled_from(default_bands().names))
def test_disagreement_is_bounded_and_antisymmetric_in_colour(rating: Any, band: str) -> None:
    read = _read(rating=rating)
    steps = csm_disagreement(read, default_bands(), band)
    assert steps is not None
    assert -2 <= steps <= 2
    mirror = _read(rating=CSM_COLOURS[2 - CSM_COLOURS.index(read.colour)])
    flipped = {"green": "red", "red": "green", "yellow": "yellow", "orange": "yellow"}[band]
    assert csm_disagreement(mirror, default_bands(), flipped) == -steps


# --------------------------------------------------------------------------- the store (both backends)


def _scored(values: list[float]) -> tuple[HealthModel, BatchScores]:
    model = presets.dear()
    return model, model.score_batch({"deployment": values}, missing_columns="missing", drivers=1)


def test_reads_round_trip_on_both_backends(history_target: str) -> None:
    with open_history(history_target) as store:
        first = store.record_csm_read("a", rating="yellow", author="kim", note="quiet quarter", as_of="2026-05-01")
        second = store.record_csm_read("a", rating=2, author="lee", note=HOSTILE, as_of="2026-06-15")
        other = store.record_csm_read("b", rating="GREEN", author="kim", as_of="2026-06-01")
    with open_history(history_target) as store:
        every = store.csm_reads()
        assert every == [first, other, second]  # oldest first, every field as recorded
        assert store.csm_reads("a") == [first, second]
        assert store.csm_reads(as_of="2026-05-31") == [first]
        assert store.csm_reads(latest=True) == [second, other]  # by account id
        assert store.csm_reads(as_of="2026-06-10", latest=True) == [first, other]
        assert second.note == HOSTILE
        assert second.rating == 2
        assert other.rating == "green"
        assert store.csm_read_column(["b", "a", "zz"], "2026-06-30").tolist()[:2] == [5.0, 2.0]
        assert np.isnan(store.csm_read_column(["zz"])[0])


def test_a_later_read_of_the_same_day_supersedes_and_both_stay(history_target: str) -> None:
    with open_history(history_target) as store:
        store.record_csm_read("a", rating="green", author="kim", as_of="2026-06-30")
        again = store.record_csm_read("a", rating="red", author="kim", note="call went badly", as_of="2026-06-30")
        assert store.csm_reads(latest=True) == [again]
        assert len(store.csm_reads()) == 2


def test_a_read_never_changes_the_stored_or_read_score(history_target: str) -> None:
    model, scored = _scored([0.9, 0.1])
    with open_history(history_target) as store:
        store.write_snapshot(model, "2026-06-30", ["a", "b"], scored)
        before = store.read()
        store.record_csm_read("a", rating="red", author="kim", as_of="2026-06-30")
        store.record_csm_read("b", rating=5, author="kim", as_of="2026-06-30")
        after = store.read()
        for column in ("score", "computed_score", "band", "alert", "override_id"):
            np.testing.assert_array_equal(after[column], before[column])
        assert store.overrides(include_inactive=True) == []  # not an override
        (point,) = store.series("b")
        assert point.override is None
        assert point.score == point.computed_score


def test_a_read_enters_a_score_only_through_a_metric_the_model_names(history_target: str) -> None:
    """``csm_read`` as a metric: the model scores the level the store fills in;
    a model without that metric scores the same with or without reads."""
    with_read = HealthModel(
        name="with_csm_read",
        dimensions=(
            presets.dear().dimensions[0],
            Dimension(
                name="csm",
                weight=0.5,
                metrics=(Metric(name=CSM_READ_METRIC, scorer=Piecewise(points=[(1, 0), (5, 100)]), weight=1.0),),
            ),
        ),
    )
    ids = ["a", "b"]
    with open_history(history_target) as store:
        store.record_csm_read("a", rating="red", author="kim", as_of="2026-06-01")
        store.record_csm_read("b", rating="green", author="kim", as_of="2026-06-01")
        columns = {"deployment": [0.5, 0.5], CSM_READ_METRIC: store.csm_read_column(ids, "2026-06-30")}
    scored = with_read.score_batch(columns, missing_columns="missing")
    assert scored.score[1] > scored.score[0]  # the read moved the score: the model asked for it
    plain = presets.dear().score_batch(columns, missing_columns="missing")
    assert plain.score[0] == plain.score[1]  # no csm_read metric: the read is ignored


def _as_schema_4(path: Path) -> None:
    """What schema 4 wrote: no hs_csm_reads table."""
    db = sqlite3.connect(path)
    db.execute("DROP TABLE hs_csm_reads")
    db.execute("UPDATE hs_meta SET value = '4' WHERE key = 'schema'")
    db.commit()
    db.close()


def test_a_schema_4_file_is_migrated_and_keeps_its_snapshots(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    model, scored = _scored([0.9, 0.1])
    with SQLiteHistory(path) as store:
        store.write_snapshot(model, "2026-06-30", ["a", "b"], scored)
        store.set_override("b", band="yellow", reason="r", author="me", starts="2026-06-01", expires="2026-12-31")
        before = store.read()
    _as_schema_4(path)
    with SQLiteHistory(path, read_only=True) as store:  # read-only: read as it stands, no reads
        assert store.csm_reads() == []
        assert store._query("SELECT value FROM hs_meta WHERE key = 'schema'") == [("4",)]
        assert queue_from_history(store)[0].csm_read is None
    with SQLiteHistory(path) as store:
        assert store._query("SELECT value FROM hs_meta WHERE key = 'schema'") == [(SCHEMA_VERSION,)] == [("5",)]
        after = store.read()
        for column in ("score", "computed_score", "band", "override_id"):
            np.testing.assert_array_equal(after[column], before[column])
        assert store.csm_reads() == []
        made = store.record_csm_read("a", rating="yellow", author="kim", as_of="2026-06-30")
        assert store.csm_reads() == [made]


def test_a_schema_4_store_is_migrated_on_both_backends(history_target: str) -> None:
    model, scored = _scored([0.9])
    with open_history(history_target) as store:
        store.write_snapshot(model, "2026-06-30", ["a"], scored)
        with store._transaction():
            store._query("DROP TABLE hs_csm_reads")
            store._query("UPDATE hs_meta SET value = '4' WHERE key = 'schema'")
    with open_history(history_target) as store:
        assert store._query("SELECT value FROM hs_meta WHERE key = 'schema'") == [("5",)]
        assert store.csm_reads() == []
        store.record_csm_read("a", rating=1, author="kim", as_of="2026-06-30")
        assert [r.level for r in store.csm_reads()] == [1]
        assert len(store.portfolio()) == 1


def test_a_newer_schema_is_still_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    SQLiteHistory(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE hs_meta SET value = '6' WHERE key = 'schema'")
    db.commit()
    db.close()
    with pytest.raises(InputError, match=r"is '6'; this healthscore reads version '5'"):
        SQLiteHistory(path)


# --------------------------------------------------------------------------- the action queue


def _queue_store(store: HistoryStore) -> None:
    """Four accounts: a critical (red band), b at risk (orange), c and d healthy (green)."""
    model, scored = _scored([0.1, 0.45, 0.95, 0.96])
    store.write_snapshot(model, "2026-06-30", ["a", "b", "c", "d"], scored, arr=[10.0, 10.0, 10.0, 10.0])


def test_the_queue_shows_the_read_and_its_disagreement(history_target: str) -> None:
    with open_history(history_target) as store:
        _queue_store(store)
        store.record_csm_read("a", rating="green", author="kim", note=HOSTILE, as_of="2026-06-20")
        store.record_csm_read("b", rating="yellow", author="lee", as_of="2026-01-10")  # stale on 06-30
        queue = queue_from_history(store)
    assert [x.account_id for x in queue] == ["a", "b"]  # the order of urgency: unchanged by reads
    a, b = queue
    assert (a.csm_read is not None, a.csm_stale, a.disagreement) == (True, False, 2)
    assert a.csm_read is not None
    assert a.csm_read.note == HOSTILE
    assert "CSM read green: 2 steps more optimistic than the band" in a.reason
    assert (b.csm_stale, b.disagreement) == (True, 0)
    assert "<script>" not in queue.to_html()
    assert "&lt;script&gt;" in queue.to_html()


def test_rank_by_disagreement_puts_the_widest_fresh_one_first_and_lets_a_read_in(history_target: str) -> None:
    with open_history(history_target) as store:
        _queue_store(store)
        store.record_csm_read("b", rating="red", author="kim", as_of="2026-06-25")  # orange = yellow: -1
        store.record_csm_read("c", rating="red", author="kim", note="champion left", as_of="2026-06-28")  # -2
        store.record_csm_read("d", rating="red", author="kim", as_of="2025-01-01")  # stale: not ranked on
        urgency = queue_from_history(store)
        by_read = queue_from_history(store, rank_by="disagreement")
        wider = queue_from_history(store, rank_by="disagreement", stale_days=1000)
    assert [x.account_id for x in urgency] == ["a", "b"]
    assert [x.account_id for x in by_read] == ["c", "b", "a"]
    c = by_read[0]
    assert (c.alert, c.disagreement, c.due) == ("healthy", -2, "2026-07-07T00:00:00+00:00")  # due within a week
    assert "2 steps more pessimistic" in c.reason
    assert [x.account_id for x in wider] == ["c", "d", "b", "a"]  # d's read counts once it is not stale
    assert DISAGREEMENT_DUE_HOURS == 168


def test_action_queue_takes_reads_as_a_list_or_mapping_and_refuses_a_bad_order() -> None:
    model, scored = _scored([0.1, 0.95])
    reads = [_read(account_id="a", rating="yellow", as_of="2026-06-01"), _read(account_id="a", rating="green")]
    (a,) = action_queue(model, ["a", "b"], scored, "2026-06-30", csm_reads=reads)
    assert a.disagreement == 2  # the latest of the list
    (a,) = action_queue(model, ["a", "b"], scored, "2026-06-30", csm_reads={"a": reads[0]})
    assert a.disagreement == 1
    with pytest.raises(ValidationError, match=r"rank_by must be one of urgency, disagreement"):
        action_queue(model, ["a", "b"], scored, "2026-06-30", rank_by="loudest")  # type: ignore[arg-type]
    for bad in (-1, float("nan"), "90"):
        with pytest.raises(ValidationError, match=r"stale_days must be a number of days >= 0"):
            action_queue(model, ["a", "b"], scored, "2026-06-30", stale_days=bad)  # type: ignore[arg-type]


def test_a_queue_as_of_a_past_date_reads_the_reads_of_then(history_target: str) -> None:
    with open_history(history_target) as store:
        _queue_store(store)
        store.record_csm_read("a", rating="green", author="kim", as_of="2026-06-30")
        store.record_csm_read("a", rating="red", author="kim", as_of="2026-07-05")
        assert queue_from_history(store, "2026-06-30")[0].disagreement == 2
        assert queue_from_history(store)[0].disagreement == 0  # the latest of all for the latest snapshot


# --------------------------------------------------------------------------- the dashboard


def _list_data(page: str) -> dict[str, Any]:
    import base64
    import gzip
    import re

    out = {}
    for part in ("list", "detail"):
        text = re.search(rf'id="hs-data-{part}">(.*?)</script>', page)
        assert text
        out[part] = json.loads(gzip.decompress(base64.b64decode(json.loads(text.group(1)))))
    return out


def test_the_dashboard_carries_the_read_and_escapes_the_note(tmp_path: Path) -> None:
    pytest.importorskip("jinja2")
    from healthscore.report import dashboard

    with SQLiteHistory(tmp_path / "h.db") as store:
        _queue_store(store)
        store.record_csm_read("a", rating="green", author=HOSTILE, note=HOSTILE, as_of="2026-06-20")
        page = dashboard(store)
    assert HOSTILE not in page.html  # nothing from data reaches the page unescaped
    data = _list_data(page.html)
    cells = data["list"]["cr"]
    assert cells[1:] == [None, None, None]
    colour, text, stale, steps, words = cells[0]
    assert (colour, stale, steps) == (2, False, 2)
    assert text.startswith("green (")
    assert HOSTILE in text
    assert words == "CSM more optimistic than the band by 2 steps"
    assert data["detail"]["csmNotes"] == {"0": HOSTILE}


def test_the_dashboard_in_a_real_browser(tmp_path: Path, chromium: Browser) -> None:  # noqa: F811 -- the fixture
    pytest.importorskip("jinja2")
    from healthscore.report import dashboard

    with SQLiteHistory(tmp_path / "h.db") as store:
        _queue_store(store)
        store.record_csm_read("a", rating="green", author="kim", note=HOSTILE, as_of="2026-06-20")
        store.record_csm_read(
            "c", rating="red", author="lee", note='"><img src=x onerror=alert(1)>', as_of="2026-06-28"
        )
        page = dashboard(store, rank_by="disagreement").save(tmp_path / "d.html")
    url = page.resolve().as_uri()
    chromium.open(url, wait_for="window.hsReady === true")
    cells = chromium.texts('#hs-list td[data-col="csm"]')
    assert any(c.startswith("green (kim, Jun 20, 2026)") and "+2" in c for c in cells)
    assert sum(c == "no read" for c in cells) == 2
    chromium.open(url + "#account/a", wait_for="document.querySelector('[data-panel=csm-read]') !== null")
    (box,) = chromium.texts('[data-panel="csm-read"]')
    assert HOSTILE in box
    assert "CSM more optimistic than the band by 2 steps" in box
    chromium.open(url + "#queue", wait_for="document.querySelector('#hs-queue') !== null")
    assert [t.split("\n")[0] for t in chromium.texts('#hs-queue td[data-col="account"]')] == ["a", "c", "b"]
    assert chromium.texts('#hs-queue td[data-col="disagreement"]') == [
        "CSM more optimistic than the band by 2 steps",  # |2|, critical: first
        "CSM more pessimistic than the band by 2 steps",  # |2|, healthy: in for its read alone
        "",
    ]
    chromium.screenshot(tmp_path / "queue.png")
    assert chromium.alerts_fired() == []
    assert chromium.console_errors() == []
    assert chromium.requests() == []


# --------------------------------------------------------------------------- the command line


def _cli(*argv: str) -> tuple[int, str, str]:
    from healthscore.cli import main

    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def test_cli_records_and_lists_reads(tmp_path: Path) -> None:
    history = str(tmp_path / "h.db")
    status, out, err = _cli(
        "csm-read", "--history", history, "--account", "a", "--rating", "green", "--author", "kim",
        "--note", "renewal signed", "--as-of", "2026-06-20",
    )  # fmt: skip
    assert status == 0
    assert "a green as of 2026-06-20 by kim" in out
    assert "created history file" in err
    _cli(
        "csm-read", "--history", history, "--account", "a", "--rating", "2", "--author", "lee", "--as-of", "2026-06-25"
    )
    status, out, _ = _cli("csm-read", "--history", history, "--format", "json")
    assert status == 0
    records = json.loads(out)
    assert [(r["rating"], r["colour"], r["level"], r["note"]) for r in records] == [
        ("green", "green", 5, "renewal signed"),
        (2, "red", 2, ""),
    ]
    status, out, _ = _cli("csm-read", "--history", history, "--latest", "--format", "csv")
    assert out.splitlines()[0] == "read_id,account_id,rating,colour,author,as_of,note,recorded_at"
    assert len(out.splitlines()) == 2
    assert ",a,2,red,lee,2026-06-25,," in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--account", "a", "--rating", "7", "--author", "kim"], "rating must be a whole number from 1 to 5"),
        (["--account", "a", "--rating", "red", "--author", " "], "author must be a non-blank string"),
        (["--rating", "red", "--author", "kim"], "recording a CSM read needs --account"),
        (["--account", "a", "--rating", "red"], "recording a CSM read needs --author"),
        (["--note", "hello"], "--note is for recording a read: give --rating too"),
        (["--account", "a", "--rating", "red", "--author", "k", "--as-of", "soon"], "as_of must be an ISO 8601"),
    ],
)
def test_cli_errors_are_one_line_without_a_traceback(tmp_path: Path, argv: list[str], message: str) -> None:
    history = str(tmp_path / "h.db")
    status, out, err = _cli("csm-read", "--history", history, *argv)
    assert status == 2
    assert out == ""
    assert err.startswith("healthscore: error: ")
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not Path(history).exists()  # a failed command leaves no new history behind


def test_cli_listing_a_missing_history_is_an_error(tmp_path: Path) -> None:
    status, _, err = _cli("csm-read", "--history", str(tmp_path / "nothere.db"))
    assert status == 2
    assert "does not exist" in err


def test_cli_actions_shows_the_read_columns_and_ranks_on_them(tmp_path: Path) -> None:
    history = tmp_path / "h.db"
    with SQLiteHistory(history) as store:
        _queue_store(store)
        store.record_csm_read("a", rating="green", author="kim", as_of="2026-06-20")
        store.record_csm_read("c", rating="red", author="lee", as_of="2026-06-28")
    status, out, _ = _cli("actions", "--history", str(history), "--format", "csv")
    assert status == 0
    header, *rows = out.splitlines()
    assert header.endswith(",csm_rating,csm_colour,csm_author,csm_as_of,csm_stale,disagreement")
    assert rows[0].startswith("1,a,")
    assert rows[0].endswith(",green,green,kim,2026-06-20,,2")
    assert rows[1].startswith("2,b,")
    assert rows[1].endswith(",,,,,,")
    status, out, _ = _cli("actions", "--history", str(history), "--format", "json", "--rank-by", "disagreement")
    first, second, *_ = json.loads(out)  # a's +2 and c's -2 are as wide: a is more urgent
    assert (first["account_id"], first["disagreement"], first["csm_read"]["author"]) == ("a", 2, "kim")
    assert (second["account_id"], second["disagreement"], second["csm_read"]["author"]) == ("c", -2, "lee")
    status, out, _ = _cli("actions", "--history", str(history), "--format", "table")
    assert "CSM read" in out
    assert "green (kim, Jun 20, 2026)" in out
    assert "CSM more optimistic" in out
    status, out, _ = _cli("actions", "--history", str(history), "--lang", "ja", "--stale-days", "5")
    assert "CSM評価" in out
    assert "[古い]" in out
