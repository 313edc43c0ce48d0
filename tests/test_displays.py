"""Notebook displays: each renders the numbers of its text summary, escapes
what comes from data, fetches nothing, speaks Japanese, and falls back to
text without Jinja2."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from healthscore import _html, presets, scorers
from healthscore._i18n import catalogue
from healthscore._points import metric_points, score_span
from healthscore.actions import ActionQueue, action_queue, queue_from_history
from healthscore.backtest import BacktestReport, run_backtest
from healthscore.bands import AlertLevel, AlertPolicy, Band, BandPolicy
from healthscore.exceptions import InputError
from healthscore.history import AccountHistory, HistoryPoint, HistoryStore, SQLiteHistory
from healthscore.model import Dimension, HealthModel, Metric, SegmentedModel
from strategies import health_models, models_and_records

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
PAYLOADS = (SCRIPT, IMG, "</script><script>alert(2)</script>")
VOID = {"br", "circle", "rect", "path", "polyline", "meta", "img", "input", "hr", "line"}


class _Tags(HTMLParser):
    """Collects the start tags of a page and checks that every non-void
    element is closed in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        assert self.stack, f"</{tag}> without an open element"
        assert self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1]}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed(page: str) -> _Tags:
    """The page parsed: balanced, one display, no script, no resource."""
    tags = _Tags()
    tags.feed(page)
    tags.close()
    assert tags.stack == [], f"unclosed: {tags.stack}"
    names = [t for t, _ in tags.tags]
    assert names[0] == "div"
    assert "script" not in names
    assert "img" not in names
    assert "link" not in names
    assert "iframe" not in names
    for _, attributes in tags.tags:
        assert not any(k.startswith("on") for k in attributes), attributes
        assert not {"src", "href"} & set(attributes), attributes
    assert "http" not in page
    assert "url(" not in page
    assert "@import" not in page
    assert not re.search(r"<[^>]*\b(src|href)=", page)  # a tag naming a resource (text may say src=)
    return tags


def text_of(page: str) -> str:
    """The text a reader sees (entities decoded), without the style sheet."""
    pieces = parsed(re.sub(r"<style>.*?</style>", "", page, flags=re.DOTALL)).text
    return " " + re.sub(r"\s+", " ", " ".join(pieces)).strip() + " "


# --------------------------------------------------------------------------- fixtures


RECORD = {
    "penetration": 0.35,
    "nps": -20,
    "roi_multiple": 1.5,
    "days_since_last_login": 12,
    "executive_engagement": "aware",
}


@pytest.fixture
def store() -> Iterator[HistoryStore]:
    """Six month-end snapshots of three accounts on DEAR; account ``b`` falls
    by 40 points in June and ``a`` has an override in June."""
    model = presets.dear()
    with SQLiteHistory(":memory:") as history:
        days = ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31", "2026-06-30"]
        for k, day in enumerate(days):
            deployment = [0.9, 0.95 if k < 5 else 0.35, 0.2]
            scored = model.score_batch({"deployment": deployment}, missing_columns="missing", drivers=2)
            history.write_snapshot(model, day, ["a", "b", "株式会社サンプル"], scored, arr=[5e4, 8e4, 2e4])
        history.set_override(
            "a", reason=f"renewal signed {SCRIPT}", author=IMG, band="red", starts="2026-06-01", expires="2026-07-31"
        )
        yield history


def hostile_model() -> HealthModel:
    """A model whose every user-defined text is a payload."""
    return HealthModel(
        name="hostile",
        description=SCRIPT,
        dimensions=[
            Dimension(
                name=SCRIPT,
                weight=1,
                metrics=[
                    Metric(name=IMG, scorer=scorers.penetration()),
                    Metric(name="</script><script>alert(2)</script>", scorer=scorers.Categories(table={SCRIPT: 80})),
                ],
            )
        ],
        bands=BandPolicy(
            bands=[Band(name=SCRIPT, min_score=50, playbook=(IMG,), description=IMG), Band(name=IMG, min_score=0)]
        ),
        alerts=AlertPolicy(levels=[AlertLevel(name=IMG, min_score=0, response=SCRIPT, response_hours=4)]),
    )


def assert_inert(page: str) -> None:
    parsed(page)
    for payload in PAYLOADS:
        assert payload not in page
    assert "<img" not in page
    assert "<script" not in page


# --------------------------------------------------------------------------- one account


def test_score_display_shows_the_numbers_of_explain() -> None:
    model = presets.three_dimension()
    result = model.score(RECORD)
    page = result.to_html(model=model, as_of="2026-06-30")
    shown = text_of(page)
    head = result.explain().splitlines()[0]
    assert head.startswith(f"score {result.score:.1f} (orange, at_risk), coverage 29%")
    assert f"{result.score:.1f}" in shown
    assert "orange" in shown
    assert "at risk" in shown
    assert "29%" in shown
    for name, value in result.dimensions.items():
        assert f"{name} {value:.1f}" in shown
    for driver in result.drivers[:3]:
        assert f"{driver.name} -{driver.points_lost:.1f}" in shown
    for m in result.metrics.values():
        if m.observed:
            numbers = f"{m.score:.1f} {m.weight:.1%} {m.contribution:.1f} {m.points_lost:.1f}"
            row = f" {m.name} {m.dimension} {m.value} {numbers} "
            assert row in shown, row
    for name in result.missing:
        assert name in shown
    assert "CSM contact within 48 hours" in shown
    assert "Jul 2, 2026 00:00 UTC" in shown
    assert "Weekly touchpoints" in shown  # the orange playbook


def test_score_display_knows_the_model_that_scored_it() -> None:
    model = presets.three_dimension()
    result = model.score(RECORD)
    page = result.to_html()
    assert "CSM contact within 48 hours" in page  # the scoring model's alert response
    assert "Playbook" in page
    assert _html.BAND_COLOURS["orange"] in page  # the band pill
    assert page == result._repr_html_() == result.to_html(model=model)


def test_score_display_of_an_unscored_account_gives_the_reason() -> None:
    model = HealthModel(
        dimensions=presets.three_dimension().dimensions,
        missing=presets.three_dimension().missing.__class__(min_coverage=0.5),
    )
    result = model.score({"penetration": 0.5})
    assert result.score is None
    assert result.reason
    shown = text_of(result.to_html())
    assert "No score" in shown
    assert result.reason in shown


@settings(max_examples=30)
@given(models_and_records(health_models(ladders=True), max_size=2))
def test_any_score_displays_each_metric_contribution(case: tuple[HealthModel, list[dict[str, Any]]]) -> None:
    model, rows = case
    for row in rows:
        try:
            result = model.score(row)
        except InputError:
            continue  # a "fail" policy meeting a missing metric: nothing to display
        shown = text_of(result.to_html(model=model))
        for m in result.metrics.values():
            if m.score is not None:
                assert f"{m.contribution:.1f}" in shown
                assert f"{m.points_lost:.1f}" in shown


# --------------------------------------------------------------------------- models


def test_model_display_has_every_dimension_weight_and_metric_curve() -> None:
    model = presets.three_dimension()
    page = model.to_html()
    shown = text_of(page)
    for name, weight in model.dimension_weights.items():
        assert f"{name} {weight:.1%}" in shown
    for name, share in model.metric_weights.items():
        assert name in shown
        assert f"{share:.1%}" in shown
    numeric = [m for m in model.metrics.values() if scorers.input_kind(m.scorer) == "numeric"]
    assert page.count('class="hs-chart hs-curve"') == len(numeric)
    breakpoints = sum(len(m.scorer.points) for m in numeric if isinstance(m.scorer, scorers.Piecewise))
    assert page.count('class="hs-breakpoint"') == breakpoints
    assert "quarterly" in shown  # a label scorer's bars
    for band in model.bands.bands:
        assert all(step in shown for step in band.playbook)
    assert model._repr_html_() == page == _html.model_fragment(model)


@given(st.sampled_from([*presets.three_dimension().metrics.values(), *presets.dear().metrics.values()]))
def test_a_curve_is_the_scorer_sampled(metric: Metric) -> None:
    chart = _html.curve_view(metric.scorer)
    assert chart is not None
    if chart["kind"] == "bars":
        for bar in chart["bars"]:
            label: Any = {"True": True, "False": False}.get(bar["label"], bar["label"])
            assert bar["value"] == scorers.evaluate(metric.scorer, label)
        return
    lo, hi = float(chart["lo"]), float(chart["hi"])
    for fx, y in chart["line"]:
        x = lo + fx * (hi - lo)
        assert y == pytest.approx(float(scorers.evaluate(metric.scorer, x)), abs=1e-6)


def test_a_curve_marks_a_value_on_it_and_a_plain_function_is_sampled_over_its_range() -> None:
    chart = _html.curve_view(scorers.penetration(), marker=0.7)
    assert chart is not None
    assert chart["marker"]["y"] == 80.0
    plain = _html.curve_view(lambda x: x)
    assert plain is not None
    assert plain["lo"] == "0"
    assert plain["hi"] == "100"

    def refuses(x: Any) -> float:
        raise TypeError("no arrays")

    assert _html.curve_view(refuses) is None


def test_segmented_model_display_shows_each_segment_and_the_default() -> None:
    model = presets.segmented()
    shown = text_of(model.to_html())
    for key, segment_model in model.segments:
        assert f"Segment {key}" in shown
        assert f"{segment_model.dimension_weights['product']:.1%}" in shown
    assert "Default (any other segment)" in shown
    assert isinstance(model, SegmentedModel)
    assert model._repr_html_() == model.to_html()


def test_unknown_bands_get_neutral_colours() -> None:
    policy = BandPolicy(
        bands=[Band(name="great", min_score=70), Band(name="green", min_score=30), Band(name="meh", min_score=0)]
    )
    colours = _html.band_colours(policy.names)
    assert colours["green"] == _html.BAND_COLOURS["green"]
    assert colours["great"] in _html.NEUTRAL_COLOURS
    assert colours["meh"] in _html.NEUTRAL_COLOURS
    assert colours["great"] != colours["meh"]


# --------------------------------------------------------------------------- many accounts


def test_batch_display_counts_the_bands_and_lists_the_riskiest_first() -> None:
    model = presets.dear()
    out = model.score_batch({"deployment": [0.9, 0.2, 0.5, 0.05, np.nan]}, missing_columns="missing", drivers=2)
    page = out.to_html(account_ids=["acme", "globex", "initech", "umbrella", "hooli"], top=3)
    shown = text_of(page)
    counts = model.bands.summary(out.score).counts
    for band, count in counts.items():
        share = count / sum(counts.values())
        assert f"{band} {count} ({share:.1%})" in shown
    assert shown.index("umbrella") < shown.index("globex") < shown.index("initech")
    assert "acme" not in shown
    assert "hooli" not in shown
    first_driver = f"{out.drivers[0][3]} -{out.points_lost[0][3]:.1f}"
    assert first_driver in shown
    by_row = text_of(out._repr_html_())
    assert "Row" in by_row
    assert " 3 " in f" {by_row} "


def test_batch_display_refuses_ids_of_another_length() -> None:
    out = presets.dear().score_batch({"deployment": [0.9, 0.2]}, missing_columns="missing")
    with pytest.raises(InputError, match="account_ids has 3 entries but the scores hold 2 accounts"):
        out.to_html(account_ids=["a", "b", "c"])


# --------------------------------------------------------------------------- backtests


def _report() -> BacktestReport:
    history = {
        "account_id": ["a", "a", "b", "b", "c", "c"],
        "as_of": ["2026-01-01", "2026-02-01"] * 3,
        "score": [70.0, 30.0, 80.0, 82.0, 45.0, 90.0],
        "band": ["yellow", "red", "green", "green", "orange", "green"],
    }
    churn = {"account_id": ["a", "c"], "churn_date": ["2026-03-15", "2026-03-20"]}
    return run_backtest(history, churn, horizons=(30, 60))


def test_backtest_display_shows_the_numbers_of_summary() -> None:
    report = _report()
    shown = text_of(report.to_html())
    summary = report.summary()
    for h in report.horizons:
        row = next(line for line in summary.splitlines() if line.strip().startswith(f"{h.days}d"))
        for number in row.split()[1:]:
            assert number.replace("n/ax", "n/a") in shown, number
        for r in h.band_rates:
            assert f"{r.rate:.1%} ({r.churned}/{r.snapshots})" in shown
    lead = report.lead_time_summary
    assert f"{int(lead['flagged'])} of {int(lead['churned'])} churned accounts" in shown
    assert "Lead time" in shown
    assert "not flagged" in shown
    assert report._repr_html_() == _html.backtest_fragment(report) == report.to_html()


# --------------------------------------------------------------------------- the action queue


def test_the_action_queue_is_a_list_that_displays_itself() -> None:
    model = presets.dear()
    scored = model.score_batch({"deployment": [0.9, 0.1, 0.45]}, missing_columns="missing", drivers=1)
    queue = action_queue(model, ["a", "b", "c"], scored, "2026-06-30", arr=[1e5, 2e5, 3e4])
    assert isinstance(queue, ActionQueue)
    assert isinstance(queue, list)
    assert queue == list(queue)
    assert [a.account_id for a in queue] == ["b", "c"]
    assert isinstance(queue[:1], ActionQueue)
    assert queue[0].account_id == "b"
    assert repr(queue) == repr(list(queue))
    shown = text_of(queue.to_html())
    assert shown.index(" b ") < shown.index(" c ")
    assert "Escalate to management now" in shown
    assert "Immediate management escalation" in shown
    assert "Jun 30, 2026 00:00 UTC" in shown
    assert "200,000" in shown
    assert queue._repr_html_() == queue.to_html()


def test_the_queue_from_history_shows_drop_alerts(store: HistoryStore) -> None:
    queue = queue_from_history(store)
    assert isinstance(queue, ActionQueue)
    dropped = [a for a in queue if a.drop_alert]
    assert [a.account_id for a in dropped] == ["b"]
    assert "drop alert" in text_of(queue.to_html())
    assert isinstance(queue_from_history(SQLiteHistory(":memory:")), ActionQueue)


# --------------------------------------------------------------------------- history


def test_the_history_knows_its_bands_and_marks_drops_and_overrides(store: HistoryStore) -> None:
    series = store.series("b")
    assert isinstance(series, AccountHistory)
    assert series == list(series)
    assert series.bands == presets.dear().bands
    page = series.to_html()
    assert page.count('class="hs-mark-drop"') == 1  # June's fall, marked once
    assert 'class="hs-mark-override"' not in page
    for p in series:
        assert p.score is not None
        assert f"{p.score:.1f}" in text_of(page)
    overridden = store.series("a").to_html()
    assert overridden.count('class="hs-mark-override"') == 1
    shown = text_of(overridden)
    assert f"renewal signed {SCRIPT}" in shown
    assert f"by {IMG}" in shown
    assert_inert(overridden)
    assert store.series("nobody") == []
    assert isinstance(store.series("nobody"), AccountHistory)
    assert "hs-history" in store.series("nobody").to_html()


def test_a_history_without_bands_uses_the_default_bands(store: HistoryStore) -> None:
    plain = AccountHistory(list(store.series("b")))
    assert plain.bands is None
    assert _html.BAND_COLOURS["green"] in plain.to_html()


# --------------------------------------------------------------------------- safety and languages


def test_hostile_names_are_escaped_everywhere() -> None:
    model = hostile_model()
    result = model.score({IMG: 0.9, "</script><script>alert(2)</script>": SCRIPT})
    for page in (result.to_html(model=model, as_of="2026-06-30"), model.to_html(), result.to_html("ja")):
        assert_inert(page)
        shown = text_of(page)
        assert SCRIPT in shown
        assert IMG in shown
    out = model.score_batch({IMG: [0.9, 0.1]}, missing_columns="missing", drivers=1)
    batch = out.to_html(account_ids=[SCRIPT, IMG])
    assert_inert(batch)
    assert SCRIPT in text_of(batch)
    queue = action_queue(model, [SCRIPT, IMG], out, "2026-06-30")
    assert len(queue) == 2
    assert_inert(queue.to_html())
    assert IMG in text_of(queue.to_html())  # the playbook step, as written


def test_japanese_displays_use_the_catalogue(store: HistoryStore) -> None:
    model = presets.three_dimension()
    result = model.score(RECORD)
    shown = text_of(result.to_html("ja", model=model, as_of="2026-06-30"))
    assert "オレンジ" in shown
    assert "リスク中" in shown
    assert "48時間以内のCSM対応" in shown
    assert "カバレッジ" in shown
    assert "ライセンス浸透率" in shown
    assert "週次タッチポイント" in shown
    assert "2026年7月2日 00:00 UTC" in shown
    assert "グリーン" in text_of(model.to_html("ja"))
    queue = text_of(queue_from_history(store).to_html("ja"))
    assert "アクションキュー" in queue
    assert "重大" in queue
    assert "急落アラート" in queue
    history = text_of(store.series("株式会社サンプル").to_html("ja"))
    assert "株式会社サンプルのスコア履歴" in history
    assert "2026年6月30日" in history
    assert "チャーン率" in text_of(_report().to_html("ja"))
    assert 'lang="ja"' in model.to_html("ja")


def test_an_unknown_language_is_an_input_error() -> None:
    with pytest.raises(InputError, match="lang must be one of en, ja"):
        presets.dear().to_html("fr")


# --------------------------------------------------------------------------- without Jinja2


@pytest.fixture
def no_jinja(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Jinja2 made unimportable, the environment rebuilt before and after."""
    for name in [m for m in sys.modules if m.split(".")[0] in ("jinja2", "markupsafe")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "jinja2", None)  # import jinja2 now raises ImportError
    _html.environment.cache_clear()
    yield
    _html.environment.cache_clear()


def test_without_jinja2_a_notebook_shows_the_text_and_the_hint(no_jinja: None, store: HistoryStore) -> None:
    model = hostile_model()
    result = model.score({IMG: 0.9})
    page = result._repr_html_()
    assert page.startswith('<pre class="hs-fallback">')
    assert _html.INSTALL_HINT.replace("'", "&#x27;") in page
    assert_inert(page.replace('<pre class="hs-fallback">', "<div>").replace("</pre>", "</div>", 1))
    assert "&lt;script&gt;" in page
    report = _report()
    assert report._repr_html_().startswith('<pre class="hs-fallback">Backtest of scores')
    for obj in (model, presets.segmented(), queue_from_history(store), store.series("b")):
        assert obj._repr_html_().startswith('<pre class="hs-fallback">')
    batch = presets.dear().score_batch({"deployment": [0.5]}, missing_columns="missing")
    assert "1 accounts" in batch._repr_html_()
    with pytest.raises(ImportError, match=re.escape(_html.INSTALL_HINT)):
        result.to_html()


def test_other_import_errors_are_not_hidden() -> None:
    def broken() -> str:
        raise ImportError("something else")

    with pytest.raises(ImportError, match="something else"):
        _html.notebook(broken, lambda: "text")


def test_empty_and_unscored_inputs_display() -> None:
    empty = presets.dear().score_batch({"deployment": np.array([], dtype=float)}, missing_columns="missing")
    assert " 0 accounts " in text_of(empty.to_html())
    assert "0 need action" in text_of(ActionQueue().to_html())
    unscored = HistoryPoint(
        account_id="x",
        as_of="2026-01-31",
        model_version="v",
        score=None,
        band=None,
        alert=None,
        coverage=0.0,
        dimensions={},
    )
    scored = attrs.evolve(unscored, as_of="2026-02-28", score=50.0, band="orange", alert="at_risk", coverage=1.0)
    page = AccountHistory([unscored, scored]).to_html()
    shown = text_of(page)
    assert "Jan 31, 2026 - " in shown
    assert "Feb 28, 2026 50.0 orange at risk 100%" in shown
    assert "<polyline" not in page  # one scored point draws no line


# --------------------------------------------------------------------------- honest figures


def _dated_report() -> BacktestReport:
    """Twelve accounts scored on four dates; one or two churn within 30 days of each."""
    rng = np.random.default_rng(2)
    dates = ["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"]
    ids = [f"acc-{i:02d}" for i in range(12)]
    churn = {"account_id": ["acc-00", "acc-01", "acc-02", "acc-03", "acc-04"],
             "churn_date": ["2026-01-20", "2026-02-15", "2026-03-10", "2026-04-20", "2026-01-25"]}  # fmt: skip
    account = np.repeat(ids, len(dates))
    score = np.where(np.isin(account, churn["account_id"]), 40.0, 70.0) + rng.normal(0, 12, account.size)
    band = np.where(score >= 60, "green", "red")
    history = {"account_id": account, "as_of": np.tile(dates, len(ids)), "score": score, "band": band}
    return run_backtest(history, churn, horizons=(30, 60), outcomes_until="2026-06-30")


def test_backtest_display_gives_the_auc_per_evaluation_date_and_says_what_the_pooled_one_counts() -> None:
    report = _dated_report()
    page = report.to_html()
    shown = text_of(page)
    assert "The pooled AUC counts an account once per snapshot" in shown
    for h in report.horizons:
        rated = [d for d in h.by_date if d.auc == d.auc]
        assert len(rated) >= 2
        assert f"AUC within {h.days} days per evaluation date: {len(h.by_date)} dates, {len(rated)} with both" in shown
        assert f"median {h.auc_by_date_median:.3f}, pooled {h.auc:.3f}" in shown
        for d in h.by_date:
            day = catalogue("en").date(d.as_of)
            auc = "n/a" if d.auc != d.auc else f"{d.auc:.3f}"
            assert f" {day} {d.snapshots} {d.churned} {auc} " in shown, (h.days, d)
        assert f" {h.snapshots} {h.accounts} " in shown  # snapshots next to distinct accounts
    assert page.count('class="hs-chart hs-spark"') == len(report.horizons)
    assert page.count("<details") == len(report.horizons)
    assert _html.backtest_fragment(report) == page
    ja = text_of(report.to_html("ja"))
    assert "全体のAUCは、アカウントをスナップショットごとに" in ja
    assert "評価日ごとのAUC(中央値)" in ja


def test_the_per_date_sparkline_rises_with_the_auc() -> None:
    report = _dated_report()
    h = report.horizons[0]
    view = _html._date_auc_view(h, catalogue("en"))
    heights = [(p["y"], d.auc) for p, d in zip(view["auc_spark"], h.by_date, strict=True) if p["y"] is not None]
    assert all(0.0 <= y <= 100.0 for y, _ in heights)
    by_auc = sorted(heights, key=lambda pair: pair[1])
    assert [y for y, _ in by_auc] == sorted(y for y, _ in heights)
    assert all(p["y"] is None for p, d in zip(view["auc_spark"], h.by_date, strict=True) if d.auc != d.auc)


def _gender_model() -> HealthModel:
    """Usage at 99% of the score, a gender table (0 / 100) at 1%."""
    return HealthModel(
        name="points",
        dimensions=[
            Dimension(
                name="all",
                weight=1,
                metrics=[
                    Metric(name="usage", scorer=scorers.Piecewise(points=[(0, 20), (10, 80)], missing=0), weight=99),
                    Metric(name="gender", scorer=scorers.Categories(table={"Female": 0, "Male": 100}), weight=1),
                ],
            )
        ],
    )


def test_the_model_display_gives_each_metrics_points_next_to_its_weight() -> None:
    model = _gender_model()
    shown = text_of(model.to_html())
    assert " gender Categories 1.0% 1.0% 1.0 " in shown  # weight 1%, share 1%: one point
    assert " usage Piecewise 99.0% 99.0% 79.2 " in shown  # 99% x (80 - 0): the missing score counts
    assert "Points: the score points a metric can move" in shown
    text = _html.model_text(model)
    assert "gender 1.0%, 1.0 points" in text
    assert "usage 99.0%, 79.2 points" in text
    assert "ポイント" in text_of(model.to_html("ja"))
    assert _html.model_fragment(model) == model.to_html()


def test_a_plain_function_has_no_known_points() -> None:
    model = HealthModel(
        name="plain", dimensions=[Dimension(name="d", metrics=[Metric(name="x", scorer=lambda v: v * 0 + 50)])]
    )
    assert "x 100.0%, points n/a" in _html.model_text(model)
    assert " x " in text_of(model.to_html())


@given(health_models())
@settings(max_examples=30, deadline=None)
def test_points_are_the_share_times_the_span_the_scorer_reaches(model: HealthModel) -> None:
    points = metric_points(model)
    shares = model.metric_weights
    assert sum(p for p in points.values() if p == p) <= 100.0 + 1e-9
    for name, metric in model.metrics.items():
        span = score_span(metric.scorer)
        if span is None:
            continue
        assert points[name] == pytest.approx(shares[name] * (span[1] - span[0]))
        kind = scorers.input_kind(metric.scorer)
        if kind == "numeric":
            lo, hi = _html.numeric_range(metric.scorer)
            xs = np.r_[np.linspace(lo, hi, 201), [x for x, _ in _html._breakpoints(metric.scorer)]]
            reached = np.asarray(scorers.evaluate(metric.scorer, xs), dtype=np.float64)
            missing = getattr(metric.scorer, "missing", None)
            values = [*reached[~np.isnan(reached)].tolist(), *([missing] if missing is not None else [])]
            assert min(values) == pytest.approx(span[0], abs=1e-9)
            assert max(values) == pytest.approx(span[1], abs=1e-9)
