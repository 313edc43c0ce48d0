"""Renewals as outcomes: point-in-time features a lead time before each renewal.

The world: :func:`healthscore.datasets.generate_driver_portfolio`, whose true
drivers are known (shares usage 40%, nps 30%, adoption 20%, meetings 10%,
the two noise columns 0%), its ``adoption`` folded so that its true curve
peaks at 0.5 (the generator's best value, 1, maps to 0.5, its worst, 0, to 0
or 1). Each account renews between April and August 2026; churned accounts
are lost renewals. A history store holds a snapshot of every account on the
first of each month from October 2025: the snapshot that is the latest on or
before ``renewal_date - 90 days`` holds the generator's values; earlier ones
hold noise; later ones leak the outcome (``noise_product`` reads 0.1 for a
lost renewal, 0.9 for a renewed one), as a look-ahead fit would see it.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pytest

from healthscore import InputError, ValidationError, _stats, load_model, model_fingerprint
from healthscore.cli import main
from healthscore.datasets import generate_driver_portfolio, generate_exports
from healthscore.exports import read_exports
from healthscore.fit import (
    RenewalTrainingSet,
    ScorecardResult,
    SegmentedResult,
    churn_probability,
    fit_scorecard,
    metric_power,
    renewal_training_set,
    reweight,
)
from healthscore.history import HistoryStore, SQLiteHistory
from healthscore.model import HealthModel
from healthscore.scorers import Piecewise
from healthscore.signals import compute_signals

N = 4000
SEED = 11
SNAPSHOTS = np.arange(np.datetime64("2025-10"), np.datetime64("2026-10")).astype("datetime64[D]")
KINDS = dict.fromkeys(("usage", "adoption", "noise_product", "nps", "meetings", "noise_relationship"), "auto")

WEIGHT_TOLERANCE = 0.10
"""Largest gap between a scorecard's fitted share and the generator's true share
(measured over seeds 11-15 at 4,000 accounts: worst gap 0.089, seed 11 0.060)."""
REWEIGHT_TOLERANCE = 0.05
"""The same for :func:`reweight` on the true curves (measured worst 0.042, seed 11 0.026)."""
PEAK_TOLERANCE = 0.1
"""Largest gap between the fitted adoption curve's peak and the true 0.5
(measured: 0.45 to 0.55 on a grid of step 0.05)."""
NOISE_CEILING = 0.07
"""Largest fitted share of a column that drives nothing (measured worst 0.060)."""


@attrs.frozen(kw_only=True)
class World:
    truth: dict[str, Any]  # the generator's values (adoption folded)
    lost: Any  # 1 = lost renewal
    ids: Any
    renewal: Any  # datetime64[D]
    feature_snapshot: Any  # datetime64[D]: the latest snapshot on or before renewal - 90
    model: HealthModel
    true_shares: dict[str, float]


def _world() -> World:
    drivers = generate_driver_portfolio(N, seed=SEED)
    rng = np.random.default_rng(SEED + 100)
    truth = {k: np.asarray(v, dtype=np.float64).copy() for k, v in drivers["columns"].items()}
    sign = np.where(rng.random(N) < 0.5, -1.0, 1.0)
    truth["adoption"] = 0.5 + sign * (1.0 - truth["adoption"]) / 2.0  # peaked: 0.5 is the best value
    renewal = np.datetime64("2026-04-01") + rng.integers(0, 150, N).astype("timedelta64[D]")
    feature = renewal - np.timedelta64(90, "D")
    snapshot = SNAPSHOTS[np.searchsorted(SNAPSHOTS, feature, side="right") - 1]
    return World(
        truth=truth,
        lost=np.asarray(drivers["churned"], dtype=np.float64),
        ids=np.array([f"acc-{i:05d}" for i in range(N)], dtype=object),
        renewal=renewal,
        feature_snapshot=snapshot,
        model=drivers["model"],
        true_shares=dict(drivers["true_shares"]),
    )


def _renewals(world: World) -> dict[str, Any]:
    return {
        "account_id": world.ids,
        "renewal_date": world.renewal.astype(str).astype(object),
        "renewed": (1 - world.lost).astype(np.int64),
    }


def _snapshot_values(world: World, day: Any, after: str) -> dict[str, Any]:
    """Every account's inputs in the snapshot of ``day``: the truth in its
    feature snapshot, noise before it, and after it either the truth with a
    leak of the outcome (``after="leak"``) or other noise (``"scramble"``)."""
    rng = np.random.default_rng([SEED, int(day.astype(np.int64)), after == "leak"])
    values = {}
    for name, true in world.truth.items():
        noise = rng.uniform(0.0, 1.0, N)
        later = true if after == "leak" else rng.uniform(0.0, 1.0, N)
        if after == "leak" and name == "noise_product":
            later = np.where(world.lost > 0, 0.1, 0.9) + rng.normal(0.0, 0.05, N)
        values[name] = np.where(
            world.feature_snapshot == day, true, np.where(world.feature_snapshot < day, later, noise)
        )
    return values


def _store(world: World, path: Path, after: str) -> HistoryStore:
    store = SQLiteHistory(path)
    for day in SNAPSHOTS:
        values = _snapshot_values(world, day, after)
        scores = world.model.score_batch(values, missing_columns="missing")
        store.write_snapshot(world.model, str(day), world.ids, scores, inputs=values)
    return store


@pytest.fixture(scope="module")
def world() -> World:
    return _world()


@pytest.fixture(scope="module")
def leaky(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HistoryStore]:
    with _store(world, tmp_path_factory.mktemp("leak") / "h.sqlite", "leak") as store:
        yield store


@pytest.fixture(scope="module")
def training(world: World, leaky: HistoryStore) -> RenewalTrainingSet:
    return renewal_training_set(leaky, _renewals(world), lead_days=90)


@pytest.fixture(scope="module")
def card(world: World, leaky: HistoryStore) -> ScorecardResult:
    return fit_scorecard(leaky, None, KINDS, renewals=_renewals(world), lead_days=90)


# --------------------------------------------------------------------------- point in time


def test_features_come_from_the_latest_snapshot_on_or_before_the_feature_date(
    world: World, training: RenewalTrainingSet
) -> None:
    cols = training.columns
    assert cols["account_id"].tolist() == world.ids.tolist()
    assert cols["renewal_date"].tolist() == world.renewal.astype(str).tolist()
    feature = (world.renewal - np.timedelta64(90, "D")).astype(str)
    assert cols["feature_date"].tolist() == feature.tolist()
    assert cols["as_of"].tolist() == world.feature_snapshot.astype(str).tolist()
    assert (cols["as_of"].astype("datetime64[D]") <= cols["feature_date"].astype("datetime64[D]")).all()
    assert set(cols["lead_days"].tolist()) == {90}
    for name, true in world.truth.items():
        np.testing.assert_array_equal(cols[name], true, err_msg=name)
    np.testing.assert_array_equal(training.outcome, world.lost)
    report = training.report
    assert (report.source, report.renewals, report.rows, report.lost) == ("history", N, N, int(world.lost.sum()))
    assert report.unmatched == ()
    assert 0 <= report.oldest_days <= 30
    assert "every renewal had features on its feature date" in report.summary()


def test_nothing_dated_after_the_feature_date_changes_the_fit(
    world: World, leaky: HistoryStore, card: ScorecardResult, tmp_path: Path
) -> None:
    """Every snapshot after each account's feature snapshot rewritten with
    other values: the training set and the fitted model are the same."""
    with _store(world, tmp_path / "scrambled.sqlite", "scramble") as scrambled:
        other = renewal_training_set(scrambled, _renewals(world), lead_days=90)
        again = fit_scorecard(scrambled, None, KINDS, renewals=_renewals(world), lead_days=90)
    first = renewal_training_set(leaky, _renewals(world), lead_days=90)
    assert first.columns.keys() == other.columns.keys()
    for name in first.columns:
        np.testing.assert_array_equal(first.columns[name], other.columns[name], err_msg=name)
    assert model_fingerprint(again.model) == model_fingerprint(card.model)


def test_the_one_step_call_is_the_two_step_call(
    world: World, training: RenewalTrainingSet, card: ScorecardResult
) -> None:
    two_step = fit_scorecard(training.columns, training.outcome, KINDS)
    assert model_fingerprint(two_step.model) == model_fingerprint(card.model)
    assert card.renewals == training.report


def test_a_shorter_lead_reads_the_leak_and_gives_another_answer(world: World, leaky: HistoryStore) -> None:
    """30 days before renewal is after the 90-day feature snapshot: the leak
    shows, and the fit leans on it -- what a look-ahead fit would do."""
    ahead = reweight(_true_model(world), leaky, None, renewals=_renewals(world), lead_days=90, bootstrap=0)
    hindsight = reweight(_true_model(world), leaky, None, renewals=_renewals(world), lead_days=30, bootstrap=0)
    before = {m.name: m for m in ahead.report.metrics}
    after = {m.name: m for m in hindsight.report.metrics}
    assert before["noise_product"].auc < 0.55 < 0.95 < after["noise_product"].auc
    assert before["noise_product"].after < NOISE_CEILING < 0.3 < after["noise_product"].after
    assert hindsight.report.auc_after > ahead.report.auc_after + 0.1


def test_the_store_is_only_asked_for_snapshots_up_to_the_feature_dates(world: World, leaky: HistoryStore) -> None:
    asked: list[str] = []

    class Spy(HistoryStore):
        def __init__(self) -> None:  # reads through the fitted store
            self.__dict__.update(leaky.__dict__)

        def inputs(self, as_of: Any = None, *, model: Any = None, account_id: str | None = None) -> dict[str, Any]:
            asked.append(str(as_of))
            return leaky.inputs(as_of, model=model, account_id=account_id)

    renewals = _renewals(world)
    early = world.renewal < np.datetime64("2026-05-01")  # feature dates up to 2026-01-30
    subset = {k: np.asarray(v)[early] for k, v in renewals.items()}
    renewal_training_set(Spy(), subset, lead_days=90)
    assert asked == ["2026-01-01"]


# --------------------------------------------------------------------------- recovering the generator


def _curve(result: ScorecardResult, name: str) -> Any:
    scorer = {m.name: m.scorer for d in result.model.dimensions for m in d.metrics}[name]
    return np.asarray(scorer(np.linspace(0.0, 1.0, 21)), dtype=np.float64)


def test_the_fitted_scorecard_recovers_the_generators_shapes_and_weights(world: World, card: ScorecardResult) -> None:
    assert card.renewals is not None
    assert card.renewals.rows == N
    shapes = {c.name: c.shape for c in card.report.columns}
    for name in ("usage", "nps", "meetings"):
        curve = _curve(card, name)
        assert shapes[name] == "increasing", name
        assert (np.diff(curve) >= -1e-9).all(), name  # monotone: more is better
        assert curve[-1] - curve[0] > 50, name
    assert shapes["adoption"] == "peaked"
    adoption = _curve(card, "adoption")
    peak = np.linspace(0.0, 1.0, 21)[int(np.argmax(adoption))]
    assert abs(peak - 0.5) <= PEAK_TOLERANCE
    assert adoption[0] < adoption.max() - 50  # falls off on both sides
    assert adoption[-1] < adoption.max() - 50
    weights = card.model.metric_weights
    for name, share in world.true_shares.items():
        assert weights.get(name, 0.0) == pytest.approx(share, abs=WEIGHT_TOLERANCE), name
    drivers = [weights[n] for n, s in world.true_shares.items() if s > 0]
    noise = [weights.get(n, 0.0) for n, s in world.true_shares.items() if s == 0]
    assert max(noise) < NOISE_CEILING < min(drivers)


def _true_model(world: World) -> HealthModel:
    """The generator's model, with adoption's true (folded, peaked) curve."""
    peaked = Piecewise(points=((0.0, 0.0), (0.5, 100.0), (1.0, 0.0)))
    dims = tuple(
        attrs.evolve(d, metrics=tuple(attrs.evolve(m, scorer=peaked) if m.name == "adoption" else m for m in d.metrics))
        for d in world.model.dimensions
    )
    return attrs.evolve(world.model, dimensions=dims)


def test_reweight_on_renewals_recovers_the_true_shares(world: World, leaky: HistoryStore) -> None:
    """The true curves' weights, re-fitted to the renewals, land on the true shares."""
    result = reweight(
        _true_model(world), leaky, None, renewals=_renewals(world), lead_days=90, bootstrap=0, strength=1e-4
    )
    fitted = {m.name: m.after for m in result.report.metrics}
    for name, share in world.true_shares.items():
        assert fitted[name] == pytest.approx(share, abs=REWEIGHT_TOLERANCE), name
    assert result.renewals is not None
    assert result.renewals.rows == N
    assert result.report.auc_after > result.report.auc_before


# --------------------------------------------------------------------------- what is reported


def test_renewals_without_features_are_reported_not_dropped_silently(world: World, leaky: HistoryStore) -> None:
    renewals = _renewals(world)
    extra = {
        "account_id": ["ghost", world.ids[0], world.ids[1]],
        "renewal_date": ["2026-06-01", "2025-11-15", "2026-12-01"],
        "renewed": [1, 0, 1],
    }
    both = {k: np.r_[np.asarray(renewals[k], dtype=object), np.asarray(extra[k], dtype=object)] for k in renewals}
    got = renewal_training_set(leaky, both, lead_days=90)
    report = got.report
    assert report.renewals == N + 3
    assert report.rows == N + 1  # acc-00001 renewing again in December has features from September
    assert [(u.account_id, u.feature_date) for u in report.unmatched] == [
        ("ghost", "2026-03-03"),
        (world.ids[0], "2025-08-17"),
    ]
    assert "not in the snapshot of 2026-03-01" in report.unmatched[0].reason
    assert "no snapshot dated on or before the feature date" in report.unmatched[1].reason
    assert report.unmatched_accounts == ("ghost", world.ids[0])
    text = report.summary()
    assert "2 renewals (of 2 accounts) had no features on their feature date and were left out" in text
    assert "ghost" in text
    assert got.columns["as_of"][-1] == "2026-09-01"


def test_several_lead_times_give_one_row_per_renewal_and_lead(world: World, leaky: HistoryStore) -> None:
    renewals = {k: np.asarray(v)[:300] for k, v in _renewals(world).items()}
    got = renewal_training_set(leaky, renewals, lead_days=(90, 60, 30))
    assert got.report.lead_days == (90, 60, 30)
    assert got.report.rows == 900
    assert got.columns["lead_days"].tolist() == [90] * 300 + [60] * 300 + [30] * 300
    assert got.columns["account_id"].tolist() == renewals["account_id"].tolist() * 3
    np.testing.assert_array_equal(got.outcome, np.tile(world.lost[:300], 3))
    gap = got.columns["renewal_date"].astype("datetime64[D]") - got.columns["feature_date"].astype("datetime64[D]")
    assert (gap.astype(np.int64) == got.columns["lead_days"]).all()
    assert "each renewal counts up to 3 times" in got.report.summary()


def test_features_older_than_max_age_are_refused(world: World, leaky: HistoryStore) -> None:
    renewals = {k: np.asarray(v)[:400] for k, v in _renewals(world).items()}
    got = renewal_training_set(leaky, renewals, lead_days=90, max_age_days=10)
    age = (world.renewal[:400] - np.timedelta64(90, "D") - world.feature_snapshot[:400]).astype(np.int64)
    assert got.report.rows == int((age <= 10).sum())
    assert len(got.report.unmatched) == int((age > 10).sum()) > 0
    assert all("(max_age_days=10)" in u.reason for u in got.report.unmatched)
    assert got.report.oldest_days <= 10


def test_a_row_with_every_feature_missing_counts_as_no_data() -> None:
    features = {
        "account_id": ["a", "b"],
        "as_of": ["2026-01-01", "2026-01-01"],
        "usage": [0.5, None],
        "plan": ["pro", None],
    }
    renewals = {"account_id": ["a", "b"], "renewal_date": ["2026-03-01", "2026-03-01"], "renewed": [1, 0]}
    got = renewal_training_set(features, renewals, lead_days=30)
    assert got.columns["account_id"].tolist() == ["a"]
    assert got.columns["plan"].tolist() == ["pro"]
    assert [u.reason for u in got.report.unmatched] == ["every feature is missing on the feature date"]


# --------------------------------------------------------------------------- a table of dated features


def test_a_dated_table_gives_each_account_its_latest_row_on_or_before() -> None:
    features = {
        "account_id": ["a", "b", "a", "b", "a"],
        "as_of": ["2026-01-01", "2026-01-01", "2026-02-01", "2026-02-10", "2026-03-01"],
        "usage": [1.0, 2.0, 3.0, 4.0, 5.0],
    }
    renewals = {"account_id": ["a", "b"], "renewal_date": ["2026-05-05", "2026-05-05"], "renewed": [1, 1]}
    renewals["renewed"] = [1, 0]
    got = renewal_training_set(features, renewals, lead_days=90)  # feature date 2026-02-04
    assert got.columns["usage"].tolist() == [3.0, 2.0]
    assert got.columns["as_of"].tolist() == ["2026-02-01", "2026-01-01"]
    assert got.report.oldest_days == 34
    assert renewal_training_set(features, renewals, lead_days=120).columns["usage"].tolist() == [1.0, 2.0]


def test_numeric_account_ids_match_their_text() -> None:
    """A CSV column of ids like 1001 reads as floats: they still match "1001"."""
    features = {"account_id": ["1001", "1002"], "as_of": ["2026-01-01"] * 2, "usage": [0.3, 0.7]}
    renewals = {"account_id": np.array([1001.0, 1002.0]), "renewal_date": ["2026-05-01"] * 2, "renewed": [0, 1]}
    got = renewal_training_set(features, renewals)
    assert got.columns["account_id"].tolist() == ["1001", "1002"]
    assert got.columns["usage"].tolist() == [0.3, 0.7]


def test_segments_and_renewals_fit_together() -> None:
    rng = np.random.default_rng(3)
    n = 1600
    seg = np.array(["alpha", "beta"], dtype=object)[np.arange(n) % 2]
    usage = rng.uniform(0, 100, n)
    sign = np.where(seg == "beta", 1.0, -1.0)
    lost = (rng.random(n) < 1 / (1 + np.exp(-(-1.0 + sign * (usage - 50) / 15)))).astype(int)
    ids = np.array([f"a{i}" for i in range(n)], dtype=object)
    features = {"account_id": ids, "as_of": np.full(n, "2026-01-01", dtype=object), "usage": usage, "segment": seg}
    renewals = {"account_id": ids, "renewal_date": np.full(n, "2026-06-01", dtype=object), "renewed": 1 - lost}
    result = fit_scorecard(features, None, {"usage": "auto"}, segment="segment", renewals=renewals, lead_days=60)
    assert isinstance(result, SegmentedResult)
    assert result.renewals is not None
    assert result.renewals.rows == n
    alpha, beta = result.model.models["alpha"], result.model.models["beta"]
    assert (alpha.score({"usage": 90}).score or 0) > (alpha.score({"usage": 10}).score or 0)
    assert (beta.score({"usage": 90}).score or 0) < (beta.score({"usage": 10}).score or 0)


# --------------------------------------------------------------------------- exports


def test_exports_give_the_signals_as_of_each_feature_date() -> None:
    gen = generate_exports(30, 200, seed=4)
    exports = read_exports(gen.tables)
    ids = gen.tables["accounts"]["account_id"][:6].astype(object)
    dates = np.array(["2025-06-01", "2025-06-01", "2025-06-20", "2025-07-15", "2025-07-15", "2025-07-19"], dtype=object)
    renewals = {"account_id": np.r_[ids, ["nobody"]], "renewal_date": np.r_[dates, ["2025-07-01"]],
                "renewed": [1, 0, 1, 1, 0, 1, 1]}  # fmt: skip
    got = renewal_training_set(exports, renewals, lead_days=30)
    assert got.report.source == "exports"
    assert got.columns["account_id"].tolist() == ids.tolist()
    assert [u.account_id for u in got.report.unmatched] == ["nobody"]
    assert got.report.unmatched[0].reason == "not in the exports' accounts table"
    for i, (account, date) in enumerate(zip(ids.tolist(), dates.tolist(), strict=True)):
        day = str(np.datetime64(date) - np.timedelta64(30, "D"))
        assert got.columns["feature_date"][i] == got.columns["as_of"][i] == day
        signals = compute_signals(exports, day)
        row = signals["account_id"].tolist().index(account)
        for name, values in signals.items():
            if name == "account_id":
                continue
            want, have = values[row], got.columns[name][i]
            assert (want == have) or (want is None and have is None) or (want != want and have != have), name


# --------------------------------------------------------------------------- errors


def _small() -> tuple[dict[str, Any], dict[str, Any]]:
    features = {"account_id": ["a", "b"], "as_of": ["2026-01-01", "2026-01-01"], "usage": [0.2, 0.8]}
    renewals = {"account_id": ["a", "b"], "renewal_date": ["2026-05-01", "2026-05-01"], "renewed": [0, 1]}
    return features, renewals


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"renewed": None}, r"renewals need columns account_id, renewal_date, renewed .*'renewed' is missing"),
        ({"renewed": [0, 2]}, r"renewals.renewed must be 1 \(renewed\) or 0 \(lost\) on every row; row 1 is 2"),
        ({"renewal_date": ["2026-05-01", "May 1"]}, r"renewal_date must hold .*; row 1 is 'May 1'"),
        ({"account_id": ["a", ""]}, r"renewals.account_id must name an account on every row; row 1"),
        ({"account_id": ["a", "a"]}, r"row 1 repeats the renewal of account 'a' on 2026-05-01 \(row 0\)"),
    ],
)
def test_a_bad_renewals_table_is_named(change: dict[str, Any], match: str) -> None:
    features, renewals = _small()
    for key, value in change.items():
        if value is None:
            del renewals[key]
        else:
            renewals[key] = value
    with pytest.raises(InputError, match=match):
        renewal_training_set(features, renewals)


@pytest.mark.parametrize("lead", [0, -30, True, 1.5, (), (30, 30)])
def test_a_bad_lead_time_is_refused(lead: Any) -> None:
    features, renewals = _small()
    with pytest.raises(ValidationError, match="lead_days"):
        renewal_training_set(features, renewals, lead_days=lead)


def test_outcome_and_renewals_do_not_mix() -> None:
    features, renewals = _small()
    with pytest.raises(ValidationError, match="outcome must be None with renewals="):
        fit_scorecard(features, [0, 1], {"usage": "auto"}, renewals=renewals)
    with pytest.raises(ValidationError, match="lead_days applies only with renewals="):
        fit_scorecard({"usage": [0.2, 0.8]}, [0, 1], {"usage": "auto"}, lead_days=30)


def test_no_renewal_with_features_is_an_error_that_says_why() -> None:
    features, renewals = _small()
    with pytest.raises(InputError, match=r"no renewal has features on its feature date .*no row of the account dated"):
        renewal_training_set(features, renewals, lead_days=200)


def test_a_column_no_source_row_has_is_named() -> None:
    features, renewals = _small()
    with pytest.raises(InputError, match=r"columns \['seats'\] are in no table row read"):
        renewal_training_set(features, renewals, columns=["usage", "seats"])
    with pytest.raises(InputError, match=r"a table of dated features needs columns account_id and as_of"):
        renewal_training_set({"account_id": ["a"], "usage": [1.0]}, renewals)


# --------------------------------------------------------------------------- command line


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def _cli_world(tmp_path: Path) -> tuple[Path, Path, Path, World]:
    """A small world as files: a history store, the renewals CSV, and the
    same features as a dated CSV."""
    world = _world()
    keep = np.arange(N) < 1500
    world = attrs.evolve(
        world,
        truth={k: v[keep] for k, v in world.truth.items()},
        lost=world.lost[keep],
        ids=world.ids[keep],
        renewal=world.renewal[keep],
        feature_snapshot=world.feature_snapshot[keep],
    )
    history, dated = tmp_path / "h.sqlite", tmp_path / "features.csv"
    lines = ["account_id,as_of," + ",".join(world.truth)]
    with SQLiteHistory(history) as store:
        for day in SNAPSHOTS[3:9]:  # January to June 2026: every feature snapshot
            rng = np.random.default_rng(int(day.astype(np.int64)))
            values = {
                name: np.where(world.feature_snapshot == day, true, rng.uniform(0, 1, true.size))
                for name, true in world.truth.items()
            }
            store.write_snapshot(world.model, str(day), world.ids, world.model.score_batch(values), inputs=values)
            lines += [
                f"{a},{day}," + ",".join("" if v != v else repr(float(v)) for v in row)
                for a, *row in zip(world.ids.tolist(), *values.values(), strict=True)
            ]
    dated.write_text("\n".join(lines) + "\n", encoding="utf-8")
    renewals = tmp_path / "renewals.csv"
    rows = [f"{a},{d},{int(1 - y)}" for a, d, y in zip(world.ids, world.renewal.astype(str), world.lost, strict=True)]
    renewals.write_text("account_id,renewal_date,renewed\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return history, renewals, dated, world


def test_fit_renewals_from_the_command_line(tmp_path: Path) -> None:
    history, renewals, dated, _ = _cli_world(tmp_path)
    kinds = [f"--kind={name}=auto" for name in KINDS]
    common = ["--renewals", str(renewals), "--lead-days", "90", *kinds]
    status, out, err = _cli("fit", "scorecard", *common, "--history", str(history), "-o", str(tmp_path / "a.toml"))
    assert status == 0, err
    assert "renewals as outcomes: 1,500 renewals, features 90 days before each, from the history" in out
    assert "every renewal had features on its feature date" in out
    assert "scorecard fitted on 1,500 accounts" in out
    status, out, err = _cli("fit", "scorecard", str(dated), *common, "-o", str(tmp_path / "b.toml"))
    assert status == 0, err
    assert "from the table" in out
    from_history, from_table = load_model(tmp_path / "a.toml"), load_model(tmp_path / "b.toml")
    assert model_fingerprint(from_history) == model_fingerprint(from_table)  # the same features either way


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--outcome", "churned"], "--outcome and --renewals do not mix"),
        (["--lead-days", "ninety"], "--lead-days takes whole numbers of days like 90 or 30,60,90, got 'ninety'"),
        (["--lead-days", "0"], "lead_days must be whole numbers of days >= 1"),
        ([], "fit --renewals needs --history FILE_OR_URL, or DATA.csv of dated features"),
    ],
)
def test_fit_renewals_usage_errors(tmp_path: Path, extra: list[str], message: str) -> None:
    renewals = tmp_path / "renewals.csv"
    renewals.write_text("account_id,renewal_date,renewed\na,2026-05-01,1\nb,2026-05-01,0\n", encoding="utf-8")
    history = ["--history", str(tmp_path / "h.sqlite")] if extra and extra[0] == "--lead-days" else []
    if history:
        with SQLiteHistory(tmp_path / "h.sqlite"):
            pass
    status, _, err = _cli(
        "fit", "scorecard", "--renewals", str(renewals), *history, *extra, "--kind", "usage=auto", "-o",
        str(tmp_path / "m.toml"),
    )  # fmt: skip
    assert status == 2
    assert message in err
    assert "Traceback" not in err
    assert not (tmp_path / "m.toml").exists()


def test_a_bad_renewals_csv_is_named_by_file_and_line(tmp_path: Path) -> None:
    renewals = tmp_path / "renewals.csv"
    renewals.write_text("account_id,renewal_date,renewed\na,2026-05-01,1\nb,2026-05-01,yes\n", encoding="utf-8")
    features = tmp_path / "features.csv"
    features.write_text("account_id,as_of,usage\na,2026-01-01,1\n", encoding="utf-8")
    status, _, err = _cli(
        "fit", "scorecard", str(features), "--renewals", str(renewals), "--kind", "usage=auto", "-o",
        str(tmp_path / "m.toml"),
    )  # fmt: skip
    assert status == 2
    assert f"{renewals} line 3, column 'renewed'" in err
    assert "row 1 is 'yes'" in err
    status, _, err = _cli("fit", "scorecard", "--history", "h.sqlite", "--kind", "usage=auto", "-o", "m.toml")
    assert status == 2
    assert "--history goes with --renewals RENEWALS.csv" in err


# --------------------------------------------------------------------------- cross-fits by account


class _FoldSpy:
    """Records every fold assignment the fits ask for, with the groups they pass."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[Any, Any]] = []
        real = _stats.stratified_folds

        def spy(y: Any, k: int = 5, seed: int = 0, *, groups: Any = None) -> Any:
            folds = real(y, k, seed, groups=groups)
            self.calls.append((None if groups is None else np.asarray(groups), folds))
            return folds

        monkeypatch.setattr(_stats, "stratified_folds", spy)


def _one_fold_per_account(groups: Any, folds: Any) -> bool:
    return all(np.unique(folds[groups == a]).size == 1 for a in np.unique(groups))


def test_reweight_on_three_lead_times_cross_fits_by_account(
    world: World, leaky: HistoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    renewals = {k: np.asarray(v)[:400] for k, v in _renewals(world).items()}
    spy = _FoldSpy(monkeypatch)
    result = reweight(
        _true_model(world), leaky, None, renewals=renewals, lead_days=(90, 60, 30), bootstrap=0, strength=1e-4
    )
    assert result.renewals is not None
    assert result.renewals.rows == 1200
    assert spy.calls
    for groups, folds in spy.calls:
        assert groups is not None
        assert sorted(set(groups.tolist())) == sorted(set(renewals["account_id"].tolist()))
        assert _one_fold_per_account(groups, folds)
        assert np.bincount(folds).min() >= 3 * (400 // 5 - 3)  # whole accounts, yet folds of about equal size


def _segmented_renewals(*, seed: int, n: int = 600) -> tuple[dict[str, Any], dict[str, Any]]:
    """Features (a usage column, two segments) and one renewal per account, lost as usage is low."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"a{i}" for i in range(n)], dtype=object)
    seg = np.array(["alpha", "beta"], dtype=object)[np.arange(n) % 2]
    usage = rng.uniform(0, 100, n)
    lost = (rng.random(n) < 1 / (1 + np.exp((usage - 50) / 15))).astype(int)
    features = {"account_id": ids, "as_of": np.full(n, "2026-01-01", dtype=object), "usage": usage, "segment": seg}
    renewals = {"account_id": ids, "renewal_date": np.full(n, "2026-06-01", dtype=object), "renewed": 1 - lost}
    return features, renewals


def test_segmented_fit_on_renewals_cross_fits_by_account(monkeypatch: pytest.MonkeyPatch) -> None:
    features, renewals = _segmented_renewals(seed=4)
    spy = _FoldSpy(monkeypatch)
    result = fit_scorecard(
        features, None, {"usage": "higher_is_better"}, segment="segment", renewals=renewals, lead_days=(60, 30)
    )
    assert isinstance(result, SegmentedResult)
    assert result.report.folds == 5
    grouped = [(g, f) for g, f in spy.calls if g is not None]
    assert len(grouped) == 1  # the out-of-fold AUCs
    groups, folds = grouped[0]
    assert groups.size == 2 * len(features["account_id"])  # a row per renewal and lead time
    assert _one_fold_per_account(groups, folds)


def test_segmented_learned_shapes_on_renewals_keep_an_account_in_one_inner_fold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every fold a segmented fit on renewals deals, the shapes' inner folds of
    the pooled and each segment's fit included (and of every outer fold's
    refit), keeps an account's renewal rows together."""
    features, renewals = _segmented_renewals(seed=5)
    spy = _FoldSpy(monkeypatch)
    result = fit_scorecard(features, None, {"usage": "auto"}, segment="segment", renewals=renewals, lead_days=(60, 30))
    assert isinstance(result, SegmentedResult)
    assert len(spy.calls) > 3  # the out-of-fold AUCs, and the inner folds of every fit
    for groups, folds in spy.calls:
        assert groups is not None
        assert _one_fold_per_account(groups, folds)


def test_metric_power_and_churn_probability_take_the_account_as_groups(
    world: World, leaky: HistoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    renewals = {k: np.asarray(v)[:400] for k, v in _renewals(world).items()}
    got = renewal_training_set(leaky, renewals, lead_days=(90, 60, 30))
    spy = _FoldSpy(monkeypatch)
    metric_power(_true_model(world), got.columns, got.outcome, groups="account_id", repeats=2)
    assert len(spy.calls) == 2
    score = _true_model(world).score_batch(got.columns, missing_columns="missing").score
    churn_probability(score, got.outcome, groups=got.columns["account_id"])
    assert len(spy.calls) == 3
    for groups, folds in spy.calls:
        assert groups is not None
        assert _one_fold_per_account(groups, folds)


def test_groups_must_give_one_value_per_row(world: World) -> None:
    with pytest.raises(InputError, match=r"groups must give one value per row \(4 rows\), got 3 values"):
        churn_probability([10, 20, 80, 90], [1, 1, 0, 0], groups=["a", "a", "b"])
    with pytest.raises(InputError, match="groups names column 'account', which is not in the data"):
        metric_power(world.model, world.truth, world.lost, groups="account")
