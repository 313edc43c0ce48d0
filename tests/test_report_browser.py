"""The dashboard in a real browser (headless Chromium): it loads without console
errors and without any request, sorting and filtering change the visible rows
correctly, an account page shows model.score's numbers, the Japanese page shows
Japanese labels, and hostile names stay inert text."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pytest

from healthscore import presets
from healthscore.actions import queue_from_history
from healthscore.datasets import generate_portfolio
from healthscore.history import open_history
from healthscore.model import HealthModel
from healthscore.report import dashboard

pytest.importorskip("jinja2")
try:
    from browser import Browser, chromium  # noqa: F401 -- the fixture, used by name
except ImportError:  # pragma: no cover - the fixture module ships with the test suite
    pytest.skip("browser tests not run: tests/browser.py (the Chromium fixture) is missing", allow_module_level=True)

READY = "window.hsReady === true"
DAYS = ("2026-06-01", "2026-06-08", "2026-06-15", "2026-06-22", "2026-06-29")
INJECTIONS = (
    "<script>window.__hsInjected=1</script>",
    '"><img src=x onerror="window.__hsInjected=2">',
    "</script><script>alert(1)</script>",
)
N = 130


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, HealthModel, dict[str, Any], list[str]]:
    folder = tmp_path_factory.mktemp("dash")
    model = presets.three_dimension()
    base = generate_portfolio(N, seed=12)
    ids = base["account_id"]
    store = open_history(folder / "h.db")
    rng = np.random.default_rng(3)
    cols: dict[str, Any] = {}
    for k, day in enumerate(DAYS):
        cols = dict(base)
        for name in ("active_days", "penetration", "outcome_achievement"):
            values = np.array([math.nan if v is None else v for v in base[name]], dtype=float)
            cols[name] = np.clip(values * (1 - 0.1 * k * rng.random(N)), 0, None).round(3)
        scored = model.score_batch(cols, missing_columns="missing", drivers=3)
        store.write_snapshot(model, day, ids, scored, arr=base["arr"], inputs=cols)
    store.set_override(
        ids[3], reason=INJECTIONS[0], author=INJECTIONS[1], score=12, expires="2027-01-01", starts=DAYS[0]
    )
    with store:
        page = dashboard(store)
        queue = [a.account_id for a in queue_from_history(store)]
    path = page.save(folder / "dashboard.html")
    return path, model, cols, queue


def _open(chromium: Browser, path: Path, fragment: str = "") -> None:
    chromium.open(f"{path.resolve().as_uri()}{fragment}", wait_for=READY)


def _rows(chromium: Browser, table: str = "#hs-list") -> list[str]:
    found = chromium.js(
        "Array.from(document.querySelectorAll(arguments[0]), r => r.dataset.account)", f"{table} tr[data-account]"
    )
    return [str(a) for a in found]


def _number(text: str) -> float:
    return float(text.replace(",", "").replace("%", "").replace("\u2212", "-"))


def _select(chromium: Browser, kind: str, value: str) -> None:
    chromium.js(
        "(() => { const s = document.querySelector(`[data-filter=${arguments[0]}]`); s.value = arguments[1];"
        " s.dispatchEvent(new Event('change')); })()",
        kind,
        value,
    )


def test_the_page_loads_clean_and_offline(chromium: Browser, history: Any) -> None:
    path, *_ = history
    _open(chromium, path)
    assert chromium.requests() == []
    assert chromium.console_errors() == []
    assert chromium.alerts_fired() == []
    timings = chromium.js("window.hsTimings")
    assert 0 < timings["firstRender"] <= timings["interactive"]
    assert len(_rows(chromium)) == 50  # paginated, never every row
    assert chromium.texts("[data-page=info]") == ["Page 1 of 3 (130)"]


def test_sorting_and_filtering_change_the_visible_rows(chromium: Browser, history: Any) -> None:
    path, model, cols, _queue = history
    _open(chromium, path)
    scored = model.score_batch(cols, missing_columns="missing")
    ids = np.array(cols["account_id"], dtype=object)
    score = scored.score.copy()
    score[3] = 12.0  # the override is the value in force
    shown = np.round(score * 10)
    riskiest = ids[np.argsort(shown, kind="stable")].tolist()
    assert _rows(chromium) == riskiest[:50]
    chromium.click("[data-page=next]")
    assert _rows(chromium) == riskiest[50:100]
    chromium.click("th[data-sort=score]")  # a second click reverses
    assert _rows(chromium) == ids[np.argsort(-shown, kind="stable")].tolist()[:50]
    arr = np.asarray(cols["arr"], dtype=float)
    chromium.click("th[data-sort=arr]")
    assert _rows(chromium) == ids[np.argsort(-arr, kind="stable")].tolist()[:50]
    red = chromium.js("Array.from(document.querySelectorAll('[data-filter=band] option'), o => o.value)[4]")
    _select(chromium, "band", str(red))
    expected = set(ids[score < 40].tolist())
    assert set(_rows(chromium)) == expected
    assert {
        str(b) for b in chromium.js("Array.from(document.querySelectorAll('tr[data-account]'), r => r.dataset.band)")
    } == {"red"}
    _select(chromium, "band", "")
    chromium.type("input[data-filter=search]", "acc-001")
    assert set(_rows(chromium)) == {a for a in ids.tolist() if "acc-001" in a.lower()}
    chromium.type("input[data-filter=search]", "no such account")
    assert _rows(chromium) == []
    assert chromium.texts(".hd-empty") == ["No account matches these filters."]


def test_an_account_page_shows_model_score(chromium: Browser, history: Any) -> None:
    path, model, cols, _queue = history
    account = 7
    record = {
        m: (None if v is None or (isinstance(v, float) and math.isnan(v)) else v)
        for m in model.metric_names
        for v in [cols[m][account]]
    }
    result = model.score(record)
    _open(chromium, path, "#account/" + quote(cols["account_id"][account], safe=""))
    chromium.wait_for("document.querySelector('[data-metric]') !== null")
    assert chromium.texts("[data-field=score]") == [f"{result.score:.1f}"]
    for name, part in result.metrics.items():
        row = f'[data-metric="{name}"]'
        (score_text,) = chromium.texts(f"{row} [data-col=score]")
        (weight_text,) = chromium.texts(f"{row} [data-col=weight]")
        (contribution_text,) = chromium.texts(f"{row} [data-col=contribution]")
        assert _number(weight_text) / 100 == pytest.approx(part.weight, abs=5e-5), name
        if part.score is None:
            assert score_text == "\u2013"
            continue
        assert score_text == f"{part.score:.1f}" or _number(score_text) == pytest.approx(part.score, abs=0.0501)
        assert _number(contribution_text) == pytest.approx(part.contribution, abs=0.0501 * part.weight + 0.006)
        if isinstance(part.value, float):
            (value_text,) = chromium.texts(f"{row} [data-col=value]")
            assert _number(value_text) == pytest.approx(part.value, rel=1e-2, abs=1e-3)
    change = chromium.texts("[data-field=change]")
    assert len(change) == 1
    assert "\u2192" in change[0]
    assert chromium.console_errors() == []


def test_the_queue_tab_is_the_action_queue(chromium: Browser, history: Any) -> None:
    path, _model, _cols, queue = history
    _open(chromium, path)
    chromium.click('nav a[data-nav="queue"]')
    chromium.wait_for("document.querySelector('#hs-queue') !== null")
    assert _rows(chromium, "#hs-queue") == queue[:50]


def test_the_japanese_page_shows_japanese_labels(chromium: Browser, tmp_path: Path) -> None:
    table = _table(names=["山田商事株式会社", "さくらソフト", "テスト"])
    path = dashboard(table, as_of="2026-06-30", lang="ja").save(tmp_path / "ja.html")
    _open(chromium, path)
    assert chromium.texts("nav a") == ["アカウント", "アクションキュー", "トレンド", "モデル"]
    assert "スコア" in chromium.texts("#hs-list th")
    assert chromium.texts(".hd-card-title") == ["グリーン", "イエロー", "オレンジ", "レッド"]
    names = chromium.texts(".hd-name")
    assert "山田商事株式会社" in names
    assert (
        chromium.tofu("山田商事株式会社さくらソフト", font="32px 'Noto Sans CJK JP', 'Noto Serif CJK JP', sans-serif")
        == []
    )
    assert chromium.console_errors() == []


def _table(
    names: list[str] | None = None, ids: list[str] | None = None, segments: list[str] | None = None
) -> dict[str, Any]:
    model = presets.three_dimension()
    n = len(names or ids or segments or [0, 0, 0])
    cols = generate_portfolio(n, seed=2)
    scored = model.score_batch(cols, missing_columns="missing", drivers=3)
    table: dict[str, Any] = dict(cols)
    table.update(score=scored.score, band=scored.band, alert=scored.alert, coverage=scored.coverage)
    if names is not None:
        table["name"] = names
    if ids is not None:
        table["account_id"] = ids
    if segments is not None:
        table["segment"] = segments
    return table


def test_hostile_texts_stay_inert_and_literal(chromium: Browser, history: Any, tmp_path: Path) -> None:
    table = _table(names=list(INJECTIONS), ids=[*INJECTIONS[::-1]], segments=list(INJECTIONS))
    path = dashboard(table, as_of="2026-06-30", title=INJECTIONS[0]).save(tmp_path / "hostile.html")
    _open(chromium, path)
    assert chromium.alerts_fired() == []
    assert chromium.requests() == []  # an injected <img src=x> would have been fetched
    assert sorted(chromium.texts(".hd-name")) == sorted(INJECTIONS)
    assert sorted(chromium.texts("[data-col=segment]")) == sorted(INJECTIONS)
    options = chromium.texts("[data-filter=segment] option")
    assert set(INJECTIONS) <= set(options)
    assert chromium.texts("h1") == [INJECTIONS[0]]
    chromium.js("location.hash = arguments[0]", "#account/" + quote(INJECTIONS[1], safe=""))
    chromium.wait_for("document.querySelector('[data-field=name]') !== null")
    assert chromium.texts("[data-field=id]") == [INJECTIONS[1]]
    hostile_history, *_ = history
    _, _, cols, _ = history
    _open(chromium, hostile_history, "#account/" + quote(cols["account_id"][3], safe=""))
    chromium.wait_for("document.querySelector('[data-panel=overrides] [data-col=reason]') !== null")
    assert chromium.texts("[data-panel=overrides] [data-col=reason]") == [INJECTIONS[0]]
    assert chromium.texts("[data-panel=overrides] [data-col=author]") == [INJECTIONS[1]]
    assert chromium.texts("[data-field=score]") == ["12.0"]
    assert chromium.alerts_fired() == []
    assert chromium.console_errors() == []
    assert json.dumps(chromium.requests()) == "[]"
