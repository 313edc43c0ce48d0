"""The offline HTML dashboard, without a browser: the numbers it embeds equal
model.score, what changed adds up, data is escaped, nothing is fetched, the
Japanese page speaks Japanese, saving is atomic and bad input is named."""

from __future__ import annotations

import base64
import gzip
import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from healthscore import presets
from healthscore.actions import queue_from_history
from healthscore.bands import Band, BandPolicy
from healthscore.datasets import generate_portfolio
from healthscore.exceptions import InputError
from healthscore.history import HistoryStore, open_history
from healthscore.model import Dimension, HealthModel, Metric
from healthscore.report import Dashboard, dashboard
from healthscore.scorers import Piecewise

pytest.importorskip("jinja2")

PAYLOADS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</script><script>alert(1)</script>",
)
DAYS = ("2026-06-01", "2026-06-08", "2026-06-15", "2026-06-22", "2026-06-29")


def _part(page: Dashboard, name: str) -> Any:
    found = re.search(rf'<script type="application/json" id="hs-data-{name}">(.*?)</script>', page.html, re.S)
    assert found is not None
    return json.loads(gzip.decompress(base64.b64decode(json.loads(found.group(1)))))


def _meta(page: Dashboard) -> Any:
    found = re.search(r'<script type="application/json" id="hs-meta">(.*?)</script>', page.html, re.S)
    assert found is not None
    return json.loads(found.group(1))


def _scored_table(n: int = 60, **extra: Any) -> tuple[dict[str, Any], HealthModel]:
    model = presets.three_dimension()
    cols = generate_portfolio(n, seed=4)
    scored = model.score_batch(cols, missing_columns="missing", drivers=3)
    table: dict[str, Any] = dict(cols)
    table.update(
        score=scored.score,
        band=scored.band,
        alert=scored.alert,
        coverage=scored.coverage,
        **dict(scored.dimensions.items()),
        **{f"driver_{k + 1}": d for k, d in enumerate(scored.drivers)},
    )
    table.update(extra)
    return table, model


def _history(path: Path, n: int = 30, model: HealthModel | None = None) -> tuple[HistoryStore, HealthModel]:
    """Weekly snapshots with names and the raw inputs they were scored from."""
    model = model or presets.three_dimension()
    base = generate_portfolio(n, seed=9)
    ids = base["account_id"]
    store = open_history(path)
    rng = np.random.default_rng(1)
    for k, day in enumerate(DAYS):
        cols = dict(base)
        for name in ("active_days", "penetration", "feature_breadth", "outcome_achievement"):
            values = np.array([math.nan if v is None else v for v in base[name]], dtype=float)
            cols[name] = np.clip(values * (1 - 0.12 * k * rng.random(n)), 0, None).round(3)
        scored = model.score_batch(cols, missing_columns="missing", drivers=3)
        names = [f"Customer {i}" for i in range(n)]
        store.write_snapshot(model, day, ids, scored, arr=base["arr"], names=names, inputs=cols)
    return store, model


def _record(table: dict[str, Any], i: int, model: HealthModel) -> dict[str, Any]:
    out = {}
    for m in model.metric_names:
        v = table[m][i]
        out[m] = None if v is None or (isinstance(v, float) and math.isnan(v)) else v
    return out


def test_metric_detail_equals_model_score() -> None:
    table, model = _scored_table()
    page = dashboard(table, as_of="2026-06-30")
    listed, detail = _part(page, "list"), _part(page, "detail")
    metrics = detail["metrics"]
    assert metrics["names"] == list(model.metric_names)
    for i in range(0, 60, 7):
        result = model.score(_record(table, i, model))
        assert listed["id"][i] == table["account_id"][i]
        assert listed["sc"][i] / 10 == pytest.approx(result.score, abs=0.0501)
        assert metrics["total"][i] / 10 == pytest.approx(result.score, abs=0.0501)
        weights = metrics["wv"][metrics["wc"][i]]
        for j, name in enumerate(metrics["names"]):
            part = result.metrics[name]
            code = metrics["scores"][j][i]
            assert weights[j] == pytest.approx(part.weight, abs=1e-6), name
            if part.score is None:
                assert code == -1
                continue
            assert code / 10 == pytest.approx(part.score, abs=0.0501), name
            assert weights[j] * code / 10 == pytest.approx(part.contribution, abs=0.0501 * part.weight + 1e-6)
        contributions = sum(
            w * s / 10 for w, s in zip(weights, (c[i] for c in metrics["scores"]), strict=True) if s >= 0
        )
        assert contributions == pytest.approx(result.score, abs=0.0501)


def test_what_changed_sums_to_the_score_change(tmp_path: Path) -> None:
    store, _model = _history(tmp_path / "h.db")
    with store:
        page = dashboard(store)
        listed, detail = _part(page, "list"), _part(page, "detail")
        now = store.snapshot_columns("2026-06-29")
        before = store.snapshot_columns("2026-06-22")
    changed = detail["changed"]
    assert changed["since"] == "Jun 22, 2026"
    moved = 0
    for i, account in enumerate(listed["id"]):
        j = list(now["account_id"]).index(account)
        k = list(before["account_id"]).index(account)
        delta = now["computed_score"][j] - before["computed_score"][k]
        total, moves = changed["total"][i], changed["moves"][i]
        assert total / 10 == pytest.approx(delta, abs=0.051)
        assert sum(moves[1::2]) == total  # the metrics' changes make the score change, to the digit shown
        sizes = [abs(v) for v in moves[1::2]]
        assert sizes == sorted(sizes, reverse=True)  # largest first
        moved += bool(moves)
    assert moved > 0


def test_the_queue_is_the_action_queue_and_the_page_has_history(tmp_path: Path) -> None:
    store, _model = _history(tmp_path / "h.db")
    with store:
        page = dashboard(store)
        expected = [a.account_id for a in queue_from_history(store)]
    listed, meta = _part(page, "list"), _meta(page)
    assert [listed["id"][entry[0]] for entry in listed["q"]] == expected
    assert listed["spw"] == len(DAYS)
    assert len(listed["sp"]) == len(DAYS) * len(listed["id"])
    assert meta["history"] is True
    assert [m["day"] for m in meta["mix"]] == list(DAYS)
    assert sum(b[0] for b in meta["mix"][-1]["bands"].values()) == len(listed["id"])
    assert page.as_of == "2026-06-29"
    assert page.accounts == 30


def test_a_path_is_opened_read_only_and_closed(tmp_path: Path) -> None:
    store, _model = _history(tmp_path / "h.db")
    store.close()
    page = dashboard(tmp_path / "h.db", as_of="2026-06-20")
    assert page.as_of == "2026-06-15"  # the latest snapshot at or before
    listed = _part(page, "list")
    assert listed["nm"][:2] == ["Customer 0", "Customer 1"]  # the names stored with the snapshot
    assert _part(page, "detail")["metrics"] is not None
    with open_history(tmp_path / "h.db"):  # closed again: it opens for writing
        pass


def test_a_snapshot_without_stored_inputs_says_so(tmp_path: Path) -> None:
    model = presets.three_dimension()
    cols = generate_portfolio(12, seed=3)
    with open_history(tmp_path / "h.db") as store:
        for day in DAYS[:2]:
            store.write_snapshot(model, day, cols["account_id"], model.score_batch(cols, missing_columns="missing"))
        page = dashboard(store)
    assert _part(page, "detail")["metrics"] is None
    assert "Metric detail was not stored for this snapshot" in _meta(page)["words"]["no_detail"]


def test_data_and_config_are_escaped_everywhere(tmp_path: Path) -> None:
    hostile_model = HealthModel(
        name="m",
        dimensions=[
            Dimension(
                name=PAYLOADS[0],
                metrics=[Metric(name=PAYLOADS[1], scorer=Piecewise(points=[(0, 0), (1, 100)]))],
            ),
            Dimension(name=PAYLOADS[2], metrics=[Metric(name="plain", scorer=Piecewise(points=[(0, 0), (1, 100)]))]),
        ],
        bands=BandPolicy(
            bands=[
                Band(name="good", min_score=50, playbook=PAYLOADS),
                Band(name=PAYLOADS[0], min_score=0, playbook=[PAYLOADS[2]], description=PAYLOADS[1]),
            ]
        ),
    )
    ids = [f"a{i}" for i in range(6)]
    values = {PAYLOADS[1]: [0.1, 0.9, 0.2, 0.8, None, 0.4], "plain": [0.3, 0.6, 0.9, 0.1, 0.5, 0.5]}
    scored = hostile_model.score_batch(values, missing_columns="missing", drivers=2)
    with open_history(tmp_path / "h.db") as store:
        for day in DAYS[:2]:
            store.write_snapshot(hostile_model, day, ids, scored, arr=[1.0] * 6)
        store.set_override("a1", reason=PAYLOADS[2], author=PAYLOADS[1], expires="2027-01-01", score=10, starts=DAYS[0])
        page = dashboard(store)
    table = {
        "account_id": [PAYLOADS[0], "b"],
        "name": [PAYLOADS[1], PAYLOADS[2]],
        "segment": [PAYLOADS[2], PAYLOADS[0]],
        "score": [30.0, 70.0],
        "band": [PAYLOADS[0], "good"],
        "alert": ["critical", "healthy"],
        "coverage": [1.0, 1.0],
    }
    scored_page = dashboard(table, model=hostile_model, as_of="2026-06-30", title=PAYLOADS[0])
    for html in (page.html, scored_page.html):
        for payload in PAYLOADS:
            assert payload not in html
        assert "<img" not in html
        assert html.count("<script") == 4  # three JSON blocks and the page's own script
        assert html.count("</script>") == 4
    detail = _part(page, "detail")
    assert {o["reason"] for o in detail["overrides"]} == {PAYLOADS[2]}  # kept literally, for textContent
    listed = _part(scored_page, "list")
    assert listed["id"][0] == PAYLOADS[0]
    assert listed["nm"] == [PAYLOADS[1], PAYLOADS[2]]
    assert set(listed["segs"]) == {PAYLOADS[2], PAYLOADS[0]}
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in scored_page.html  # title and model tab, escaped by Jinja2


def test_the_page_asks_for_nothing_outside_itself(tmp_path: Path) -> None:
    store, _model = _history(tmp_path / "h.db")
    with store:
        html = dashboard(store, lang="ja").html
    assert "http://" not in html
    assert "https://" not in html
    assert not re.search(r"\bsrc\s*=", html)
    assert not re.search(r"\b(fetch|XMLHttpRequest|import\s*\(|@import|url\()", html)
    assert "connect-src 'none'" in html  # and the browser is told so


def test_the_japanese_page_has_the_japanese_labels(tmp_path: Path) -> None:
    store, _model = _history(tmp_path / "h.db")
    with store:
        page = dashboard(store, lang="ja")
    meta = _meta(page)
    assert page.lang == "ja"
    assert '<html lang="ja">' in page.html
    assert "<title>カスタマーヘルス</title>" in page.html
    assert ">アクションキュー<" in page.html
    assert ">トレンド<" in page.html
    assert [b["label"] for b in meta["bands"]] == ["グリーン", "イエロー", "オレンジ", "レッド"]
    assert meta["header"]["as_of"] == "2026年6月29日"
    assert meta["policies"][0]["playbook"]["red"][0] == "即座の管理エスカレーション"
    assert meta["words"]["score"] == "スコア"
    listed = _part(page, "list")
    assert {a["label"] for a in listed["alerts"]} <= {"健全", "警告", "リスク中", "重大"}
    assert "製品ヘルス" in page.html  # the model tab's dimension names


def test_a_scored_table_without_history_says_so(tmp_path: Path) -> None:
    table, _model = _scored_table(10)
    page = dashboard(table, as_of="2026-06-30")
    meta = _meta(page)
    assert meta["history"] is False
    assert 'data-field="no-history"' in page.html
    assert "No score history" in page.html
    assert "sp" not in _part(page, "list")
    path = tmp_path / "scored.csv"
    header = ["account_id", "score", "band", "alert", "coverage", "driver_1"]
    rows = [
        ",".join(
            [
                table["account_id"][i],
                f"{table['score'][i]:.3f}",
                str(table["band"][i]),
                str(table["alert"][i]),
                "1",
                "nps",
            ]
        )
        for i in range(10)
    ]
    path.write_text("\n".join([",".join(header), *rows]) + "\n", encoding="utf-8")
    from_file = dashboard(path, as_of="2026-06-30")
    assert _part(from_file, "list")["id"] == table["account_id"]
    renamed = path.rename(tmp_path / "scored.txt")  # told apart from a history by its content, not its name
    assert _part(dashboard(renamed, as_of="2026-06-30"), "list")["id"] == table["account_id"]


def test_save_is_atomic_and_the_repr_is_short(tmp_path: Path) -> None:
    table, _model = _scored_table(5)
    page = dashboard(table, as_of="2026-06-30")
    target = page.save(tmp_path / "dashboard.html")
    assert target.read_text(encoding="utf-8") == page.html
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dashboard.html"]  # no temporary file left behind
    with pytest.raises(InputError, match="missing"):
        page.save(tmp_path / "missing" / "dashboard.html")
    assert re.fullmatch(r"Dashboard\(5 accounts as of 2026-06-30, en, \d+\.\d MB\)", repr(page))
    shown = page._repr_html_()
    assert shown.startswith("<iframe")
    assert "srcdoc=" in shown
    assert "<script" not in shown  # the page travels escaped inside the attribute


def test_backtest_panel_with_churn(tmp_path: Path) -> None:
    store, _model = _history(tmp_path / "h.db")
    with store:
        churn = {"account_id": ["ACC-0001", "ACC-0002"], "churn_date": ["2026-06-20", "2026-06-25"]}
        page = dashboard(store, churn=churn, horizons=(7, 14))
        plain = dashboard(store)
    assert '<section data-view="backtest"' in page.html
    assert 'href="#backtest"' in page.html
    assert "AUC" in page.html
    assert '<section data-view="backtest"' not in plain.html


def test_errors_name_the_problem(tmp_path: Path) -> None:
    table, _model = _scored_table(5)
    with pytest.raises(InputError, match="lang must be one of en, ja, got 'fr'"):
        dashboard(table, lang="fr")
    with open_history(tmp_path / "empty.db") as store, pytest.raises(InputError, match="holds no snapshot"):
        dashboard(store)
    with pytest.raises(InputError, match=r"does not exist|no such|not found"):
        dashboard(tmp_path / "nothing.db")
    store, _m = _history(tmp_path / "h.db")
    with (
        store,
        pytest.raises(InputError, match=r"h\.db.*as_of '2020-01-01' is before the first snapshot \(2026-06-01\)"),
    ):
        dashboard(store, as_of="2020-01-01")
    churn = tmp_path / "churn.csv"
    churn.write_text("account_id,left_on\nA1,2026-07-01\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"churn\.csv: churn needs columns 'account_id' and 'churn_date'"):
        dashboard(tmp_path / "h.db", churn=churn)
    broken = {k: v for k, v in table.items() if k != "band"}
    with pytest.raises(InputError, match="missing column 'band'") as caught:
        dashboard(broken)
    assert caught.value.column == "band"


def test_a_segmented_model_scores_each_account_with_its_segment(tmp_path: Path) -> None:
    model = presets.segmented()
    base = generate_portfolio(40, seed=5)
    with open_history(tmp_path / "h.db") as store:
        for day in DAYS[-2:]:
            scored = model.score_batch(base, missing_columns="missing", drivers=3)
            store.write_snapshot(model, day, base["account_id"], scored, arr=base["arr"], inputs=base)
        page = dashboard(store, lang="ja")
    listed, detail, meta = _part(page, "list"), _part(page, "detail"), _meta(page)
    metrics = detail["metrics"]
    assert len(meta["policies"]) == len(set(base["segment"]))
    for i in range(0, 40, 5):
        seg = base["segment"][i]
        result = model.score({m: base[m][i] for m in model.metric_names}, segment=seg)
        assert listed["segs"][listed["sg"][i]] == seg
        assert metrics["total"][i] / 10 == pytest.approx(result.score, abs=0.0501)
        weights = metrics["wv"][metrics["wc"][i]]
        for j, name in enumerate(metrics["names"]):
            assert weights[j] == pytest.approx(result.metrics[name].weight, abs=1e-6)
    assert detail["changed"]["moves"] == [[] for _ in range(40)]  # the same inputs twice: nothing moved
