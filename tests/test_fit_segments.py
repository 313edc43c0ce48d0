"""Segment models: one scorecard per segment, shrunk toward the pooled one."""

from __future__ import annotations

from pathlib import Path

import attrs
import numpy as np
import pytest

from healthscore import InputError, ValidationError, dump_model, load_model
from healthscore.datasets import generate_driver_portfolio
from healthscore.fit import SegmentedResult, _blend_scorers, fit_scorecard, fit_segments
from healthscore.model import SegmentedModel
from healthscore.scorers import Categories, Piecewise

KINDS = {"usage": "auto", "tenure": "auto", "plan": "categorical"}


def _portfolio(n: int = 2400, seed: int = 1) -> tuple[dict[str, object], object]:
    """Two big segments where usage drives churn in opposite directions, a
    tiny one with 3 churned accounts; tenure and plan drive churn everywhere."""
    rng = np.random.default_rng(seed)
    seg = np.array(["alpha", "beta"], dtype=object)[np.arange(n) % 2]
    seg[: n // 40] = "tiny"
    usage = rng.uniform(0, 100, n)
    tenure = rng.uniform(0, 60, n)
    plan = rng.choice(np.array(["basic", "pro"], dtype=object), n)
    sign = np.where(seg == "beta", 1.0, -1.0)
    logit = -1.3 + sign * (usage - 50) / 15 - (tenure - 30) / 30 + np.where(plan == "pro", -0.5, 0.0)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    tiny = np.flatnonzero(seg == "tiny")
    y[tiny] = 0
    y[tiny[:3]] = 1
    return {"usage": usage, "tenure": tenure, "plan": plan, "segment": seg}, y


@pytest.fixture(scope="module")
def fitted() -> tuple[dict[str, object], object, SegmentedResult]:
    data, y = _portfolio()
    return data, y, fit_scorecard(data, y, KINDS, segment="segment")


def test_segment_models_beat_the_pooled_one_on_their_segments(
    fitted: tuple[dict[str, object], object, SegmentedResult],
) -> None:
    _, _, result = fitted
    assert isinstance(result.model, SegmentedModel)
    report = result.report
    assert report.folds == 5
    by_name = {s.name: s for s in report.segments}
    assert list(by_name) == ["tiny", "alpha", "beta"]
    for name in ("alpha", "beta"):
        s = by_name[name]
        assert s.auc > s.pooled_auc + 0.1, name  # out of fold
        assert s.in_sample_auc > s.in_sample_pooled_auc + 0.1, name
        assert s.blend == pytest.approx(s.outcomes / (s.outcomes + 50.0))
        assert s.bands == "segment"
    assert report.auc > report.pooled_auc + 0.05
    alpha, beta = result.model.models["alpha"], result.model.models["beta"]
    low, high = {"usage": 10, "tenure": 30, "plan": "pro"}, {"usage": 90, "tenure": 30, "plan": "pro"}
    assert (alpha.score(high).score or 0) > (alpha.score(low).score or 0)  # alpha: more usage, less churn
    assert (beta.score(high).score or 0) < (beta.score(low).score or 0)


def test_a_tiny_segment_uses_the_pooled_model(fitted: tuple[dict[str, object], object, SegmentedResult]) -> None:
    _, _, result = fitted
    tiny = next(s for s in result.report.segments if s.name == "tiny")
    assert tiny.outcomes == 3
    assert tiny.blend == 0.0
    assert tiny.report is None
    assert "under min_outcomes=10" in tiny.note
    assert result.model.models["tiny"] == result.pooled.model == result.model.default


def test_summary_reads_per_segment(fitted: tuple[dict[str, object], object, SegmentedResult]) -> None:
    _, _, result = fitted
    text = result.report.summary()
    assert "shrinkage k = 50 outcomes" in text
    assert "n/(n+k)" in text
    assert "5-fold out of fold" in text
    rows = {line.split()[0]: line for line in text.splitlines()[5:] if line.split()}
    for s in result.report.segments:
        assert f"{s.accounts:,}" in rows[s.name]
        assert f"{s.auc:.3f}" in rows[s.name]
        assert f"{s.pooled_auc:.3f}" in rows[s.name]


def test_the_blend_is_exactly_w_of_the_segment_and_the_rest_pooled() -> None:
    """Few outcomes: the segment's model is the n/(n+k) mix of its own fit and
    the pooled one, score for score (every metric observed)."""
    data, y = _portfolio(1600, seed=4)
    result = fit_segments(data, y, KINDS, shrinkage=200.0, folds=0)
    assert result.report.folds == 0
    assert "in sample" in result.report.note
    beta = next(s for s in result.report.segments if s.name == "beta")
    assert beta.blend == pytest.approx(beta.outcomes / (beta.outcomes + 200.0))
    own = fit_scorecard(
        {k: np.asarray(v)[np.asarray(data["segment"]) == "beta"] for k, v in data.items() if k != "segment"},
        np.asarray(y)[np.asarray(data["segment"]) == "beta"],
        KINDS,
    ).model
    rng = np.random.default_rng(0)
    probe = {
        "usage": rng.uniform(-10, 110, 300),
        "tenure": rng.uniform(-5, 65, 300),
        "plan": rng.choice(np.array(["basic", "pro", "gold"], dtype=object), 300),
    }
    blended = result.model.models["beta"].score_batch(probe, missing_columns="missing").score
    mine = own.score_batch(probe, missing_columns="missing").score
    pooled = result.pooled.model.score_batch(probe, missing_columns="missing").score
    assert blended == pytest.approx(beta.blend * mine + (1 - beta.blend) * pooled, abs=1e-3)


def test_no_shrinkage_gives_each_segment_its_own_fit() -> None:
    data, y = _portfolio(1600, seed=5)
    result = fit_segments(data, y, {"usage": "auto"}, shrinkage=0.0, folds=0, min_outcomes=20)
    alpha = next(s for s in result.report.segments if s.name == "alpha")
    assert alpha.blend == 1.0
    rows = np.asarray(data["segment"]) == "alpha"
    own = fit_scorecard({"usage": np.asarray(data["usage"])[rows]}, np.asarray(y)[rows], {"usage": "auto"}).model
    probe = {"usage": np.linspace(0, 100, 21)}
    got = result.model.models["alpha"].score_batch(probe).score
    assert got == pytest.approx(own.score_batch(probe).score, abs=1e-6)


def test_blended_curves_and_tables() -> None:
    a = Piecewise(points=((0, 0), (10, 100)), missing=20)
    b = Piecewise(points=((5, 100), (20, 0)))
    mix = _blend_scorers(a, b, 0.25)
    assert [x for x, _ in mix.points] == [0, 5, 10, 20]
    xs = np.linspace(-5, 25, 61)
    assert mix(xs) == pytest.approx(0.25 * a(xs) + 0.75 * b(xs))
    assert mix.missing == 20  # the pooled curve has no missing score: the segment's
    c = Categories(table={"Gold": 100, "basic": 0}, unknown=40)
    d = Categories(table={"gold": 50, "Silver": 10}, unknown=60)
    table = _blend_scorers(c, d, 0.5)
    assert table("gold") == 75
    assert table("basic") == 30
    assert table("silver") == 25
    assert table.unknown == 50


def test_dump_and_load_round_trip(fitted: tuple[dict[str, object], object, SegmentedResult], tmp_path: Path) -> None:
    data, _, result = fitted
    path = tmp_path / "segmented.toml"
    path.write_text(dump_model(result.model), encoding="utf-8")
    back = load_model(path)
    assert isinstance(back, SegmentedModel)
    assert back == result.model
    a = back.score_batch(data).score
    assert a == pytest.approx(result.model.score_batch(data).score, nan_ok=True)


def test_score_batch_of_the_segmented_model(fitted: tuple[dict[str, object], object, SegmentedResult]) -> None:
    data, _, result = fitted
    frame = {**data, "segment": np.array(["ALPHA ", "beta", "", "nowhere"], dtype=object)}
    frame = {k: (np.asarray(v)[:4] if k != "segment" else v) for k, v in frame.items()}
    batch = result.model.score_batch(frame)
    pooled = result.pooled.model.name
    assert batch.model is not None
    assert list(batch.model) == ["scorecard/alpha", "scorecard/beta", pooled, pooled]
    record = {k: np.asarray(v)[0] for k, v in frame.items()}
    single = result.model.score({**record, "usage": float(record["usage"]), "tenure": float(record["tenure"])})
    assert single.score == pytest.approx(batch.score[0])
    assert np.isfinite(batch.score).all()
    assert set(batch.band) <= {b.name for b in result.model.models["alpha"].bands.bands}


def test_errors_name_the_column_and_the_setting() -> None:
    data, y = _portfolio(400, seed=2)
    with pytest.raises(InputError, match="segment column 'region' is not in the data"):
        fit_scorecard(data, y, KINDS, segment="region")
    with pytest.raises(ValidationError, match="shrinkage"):
        fit_segments(data, y, KINDS, shrinkage=-1)
    with pytest.raises(ValidationError, match="folds"):
        fit_segments(data, y, KINDS, folds=1)
    with pytest.raises(ValidationError, match="segment column"):
        fit_segments(data, y, {**KINDS, "segment": "categorical"})
    with pytest.raises(InputError, match="names no segment"):
        fit_segments({**data, "segment": [None] * 400}, y, KINDS)


def test_reweight_of_a_segmented_model_refits_each_model_on_its_accounts() -> None:
    from healthscore.fit import SegmentedReweightResult, reweight

    first = generate_driver_portfolio(3000, seed=4)
    model = first["model"]
    columns = {k: np.asarray(v) for k, v in first["columns"].items()}
    segment = np.where(np.arange(3000) % 4 == 0, "enterprise", "smb").astype(object)
    segment[:40] = "tiny"  # too few outcomes of its own: keeps its weights
    seg = SegmentedModel(
        segments={
            "enterprise": attrs.evolve(model, name="ent"),
            "smb": attrs.evolve(model, name="smb"),
            "tiny": attrs.evolve(model, name="tiny"),
        }
    )
    result = reweight(seg, {**columns, "segment": segment}, first["churned"], bootstrap=0, min_outcomes=20)
    assert isinstance(result, SegmentedReweightResult)
    parts = {p.model: p for p in result.parts}
    assert parts["tiny"].report is None
    assert "under min_outcomes" in parts["tiny"].note
    assert result.model.model_for("tiny").metric_weights == model.metric_weights
    for name in ("ent", "smb"):
        rows = segment == {"ent": "enterprise", "smb": "smb"}[name]
        alone = reweight(seg.model_for({"ent": "enterprise", "smb": "smb"}[name]),
                         {k: v[rows] for k, v in columns.items()}, first["churned"][rows], bootstrap=0)  # fmt: skip
        assert result.model.model_for({"ent": "enterprise", "smb": "smb"}[name]).metric_weights == pytest.approx(
            alone.model.metric_weights
        )  # the same fit as re-weighting that model on its accounts alone
        assert parts[name].accounts == int(rows.sum())
        report = parts[name].report
        assert report is not None
        assert report.auc_after > report.auc_before
    text = result.report.summary()
    assert "AUC cross-validated" in text
    assert "tiny" in text
