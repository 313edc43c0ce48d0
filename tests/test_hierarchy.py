"""Account hierarchies: the tree, the roll-up policies and their properties,
the one-account path, every data frame family, the model file and the CLI."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthscore import (
    ConfigError,
    Dimension,
    HealthModel,
    InputError,
    Metric,
    SegmentedModel,
    ValidationError,
    dump_model,
    load_model,
    score_portfolio,
    scorers,
)
from healthscore.bands import Band, BandPolicy
from healthscore.cli import main
from healthscore.config import Format, model_to_dict
from healthscore.hierarchy import (
    CHILD_PREFIX,
    MissingWeight,
    RollUp,
    build_tree,
    policy_of,
    roll_up,
    score_account,
    score_batch,
)

pd = pytest.importorskip("pandas")
pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")

IDENTITY = scorers.Piecewise(points=[(0, 0), (100, 100)])  # the score is the value: numbers checkable by hand


def _model(rollup: RollUp | None = None, **fields: Any) -> HealthModel:
    dim = Dimension(name="d", metrics=[Metric(name="x", scorer=IDENTITY)])
    return HealthModel(dimensions=[dim], rollup=rollup, **fields)


def _two_metric_model(rollup: RollUp | None = None) -> HealthModel:
    dim = Dimension(name="d", metrics=[Metric(name="x", scorer=IDENTITY), Metric(name="y", scorer=IDENTITY)])
    return HealthModel(dimensions=[dim], rollup=rollup)


# --------------------------------------------------------------------------- strategies


@st.composite
def forests(draw: st.DrawFn, min_size: int = 1, max_size: int = 25) -> dict[str, Any]:
    """A table of accounts forming a forest: each account's parent is an
    earlier one or none (so no cycle), rows then shuffled."""
    n = draw(st.integers(min_size, max_size))
    parents = [-1] + [draw(st.integers(-1, i - 1)) for i in range(1, n)]
    order = draw(st.permutations(list(range(n))))
    ids = [f"a{i}" for i in range(n)]
    score = st.one_of(st.none(), st.floats(0, 100)) if draw(st.booleans()) else st.floats(0, 100)
    xs = [draw(score) for _ in range(n)]
    arr = [draw(st.floats(1, 1e6)) for _ in range(n)]
    return {
        "account_id": [ids[i] for i in order],
        "parent_id": [None if parents[i] < 0 else ids[parents[i]] for i in order],
        "arr": np.array([arr[i] for i in order]),
        "x": np.array([math.nan if xs[i] is None else xs[i] for i in order]),
    }


mean_policies = st.builds(RollUp, method=st.sampled_from(["arr_mean", "account_mean"]), own_weight=st.just(0.0))
policies = st.builds(RollUp, method=st.sampled_from(["arr_mean", "account_mean", "worst"]), own_weight=st.floats(0, 1))


def _children(table: dict[str, Any]) -> dict[str, list[int]]:
    ids = list(table["account_id"])
    out: dict[str, list[int]] = {}
    for row, parent in enumerate(table["parent_id"]):
        if parent is not None:
            out.setdefault(parent, []).append(row)
    return {p: rows for p, rows in out.items() if p in ids}


# --------------------------------------------------------------------------- the tree


@given(forests())
def test_tree_levels_and_parents_match_the_links(table: dict[str, Any]) -> None:
    tree = build_tree(table["account_id"], table["parent_id"])
    ids = list(table["account_id"])
    for row, parent in enumerate(table["parent_id"]):
        assert tree.parent[row] == (-1 if parent is None else ids.index(parent))
        depth, up = 0, parent
        while up is not None:
            depth += 1
            up = table["parent_id"][ids.index(up)]
        assert tree.level[row] == depth


def test_a_cycle_is_an_error_naming_the_path() -> None:
    with pytest.raises(InputError, match=r"row 0: the parent links form a cycle a -> c -> b -> a") as info:
        build_tree(["a", "b", "c", "d"], ["c", "a", "b", None])
    assert info.value.column == "parent_id"
    assert info.value.row == 0
    assert info.value.value == "c"


def test_a_self_parent_is_an_error() -> None:
    with pytest.raises(InputError, match=r"row 1: account 'b' is its own parent \(b -> b\)"):
        build_tree(["a", "b"], [None, "b"])


def test_an_unknown_parent_is_an_error_naming_it() -> None:
    with pytest.raises(InputError, match=r"row 1: account 'b' names parent 'zz', which is no account") as info:
        build_tree(["a", "b"], [None, "zz"])
    assert (info.value.column, info.value.row, info.value.value) == ("parent_id", 1, "zz")


def test_errors_name_the_file_and_line_when_given() -> None:
    with pytest.raises(InputError, match=r"^accounts\.csv line 3, column 'parent_id': account 'b' names parent 'q'"):
        build_tree(["a", "b"], [None, "q"], lines=[2, 3], source="accounts.csv")


def test_report_mode_cuts_bad_links_with_their_reasons() -> None:
    ids = ["a", "b", "c", "d", "e", "f"]
    parents = ["c", "a", "b", "d", "zz", "a"]  # a cycle, a self-parent, an unknown parent, a child below the cycle
    tree = build_tree(ids, parents, on_bad_rows="report")
    reasons = {r.line - 1: r.reason for r in tree.rejected}
    assert set(reasons) == {0, 1, 2, 3, 4}
    assert "cycle a -> c -> b -> a" in reasons[0]
    assert "cut" in reasons[0]
    assert "its own parent" in reasons[3]
    assert "'zz'" in reasons[4]
    assert tree.parent.tolist() == [-1, -1, -1, -1, -1, 0]  # f keeps its parent: only bad links are cut
    assert tree.level.tolist() == [0, 0, 0, 0, 0, 1]
    assert all(r.table == "accounts" and r.column == "parent_id" for r in tree.rejected)


def test_ids_as_numbers_and_parents_as_floats_with_gaps() -> None:
    tree = build_tree(np.array([10, 20, 30]), np.array([math.nan, 10.0, 20.0]))
    assert tree.parent.tolist() == [-1, 0, 1]
    with pytest.raises(InputError, match=r"2\.5 is no account id"):
        build_tree(np.array([1, 2]), np.array([math.nan, 2.5]))


def test_a_long_chain_is_levelled_without_one_step_per_level() -> None:
    n = 5000
    ids = np.arange(n)
    parents = np.r_[math.nan, np.arange(n - 1, dtype=np.float64)]
    assert build_tree(ids, parents).level.tolist() == list(range(n))


# --------------------------------------------------------------------------- the policies, by hand


GROUP: dict[str, Any] = {
    "account_id": ["g", "eu", "us", "fr"],
    "parent_id": [None, "g", "g", "eu"],
    "arr": [0.0, 30000.0, 10000.0, 5000.0],
    "x": [90.0, 100.0, 20.0, 60.0],
}


def test_arr_mean_weighs_each_child_by_its_subtree_arr() -> None:
    out = score_batch(_model(), GROUP, drivers=3)
    score = out.scores.score
    assert score[3] == 60.0  # a leaf keeps its own score
    assert score[1] == 60.0  # eu: its one child fr
    # g: eu weighs its subtree's ARR (30000 + 5000), us 10000
    assert score[0] == pytest.approx((35000 * 60 + 10000 * 20) / 45000)
    assert out.own_score.tolist() == [90.0, 100.0, 20.0, 60.0]
    assert out.scores.band.tolist() == ["orange", "yellow", "red", "yellow"]
    assert out.scores.status.tolist() == ["scored"] * 4


def test_account_mean_and_worst() -> None:
    mean = score_batch(_model(RollUp(method="account_mean")), GROUP)
    assert mean.scores.score[0] == pytest.approx((60 + 20) / 2)
    worst = score_batch(_model(RollUp(method="worst")), GROUP)
    assert worst.scores.score[0] == 20.0
    assert worst.scores.alert[0] == "critical"


def test_own_weight_blends_the_parents_own_score() -> None:
    out = score_batch(_model(RollUp(method="account_mean", own_weight=0.25)), GROUP)
    eu = 0.25 * 100 + 0.75 * 60
    assert out.scores.score[1] == pytest.approx(eu)
    assert out.scores.score[0] == pytest.approx(0.25 * 90 + 0.75 * (eu + 20) / 2)


def test_band_and_alert_follow_the_models_policies() -> None:
    out = score_batch(_model(RollUp(method="worst")), GROUP)
    model = _model()
    assert out.scores.band.tolist() == model.bands.classify(out.scores.score).tolist()
    assert out.scores.alert.tolist() == model.alerts.classify(out.scores.score).tolist()


def test_coverage_rolls_up_with_the_same_weights() -> None:
    model = _two_metric_model()
    table = {**GROUP, "y": [50.0, 50.0, math.nan, math.nan]}  # eu sees both metrics, us and fr one
    out = score_batch(model, table)
    cover = out.scores.coverage
    assert cover[3] == 0.5
    assert cover[1] == 0.5  # eu: fr's coverage
    assert cover[0] == pytest.approx((35000 * 0.5 + 10000 * 0.5) / 45000)
    own = model.score_batch({"x": table["x"], "y": table["y"]}).coverage
    assert own.tolist() == [1.0, 1.0, 0.5, 0.5]


def test_a_parents_drivers_name_its_costliest_children_and_add_up() -> None:
    out = score_batch(_model(), GROUP, drivers=3)
    names = [str(d[0]) for d in out.scores.drivers]
    points = [float(p[0]) for p in out.scores.points_lost]
    assert names == [f"{CHILD_PREFIX}eu", f"{CHILD_PREFIX}us", ""]  # 35/45 * 40 = 31.1 beats 10/45 * 80 = 17.8
    assert points[0] == pytest.approx(35 / 45 * 40)
    assert sum(points) == pytest.approx(100 - out.scores.score[0])
    assert str(out.scores.drivers[0][3]) == "x"  # a leaf's own metric


def test_with_own_weight_the_parents_drivers_mix_children_and_metrics() -> None:
    out = score_batch(_model(RollUp(method="account_mean", own_weight=0.5)), GROUP, drivers=3)
    pairs = list(zip(out.scores.drivers, out.scores.points_lost, strict=True))
    drivers = {str(d[1]): float(p[1]) for d, p in pairs if str(d[1])}
    assert drivers == {f"{CHILD_PREFIX}fr": pytest.approx(0.5 * 40)}  # eu's own x costs nothing: x = 100
    g = {str(d[0]): float(p[0]) for d, p in pairs if str(d[0])}
    assert g["x"] == pytest.approx(0.5 * 10)
    assert sum(g.values()) == pytest.approx(100 - out.scores.score[0])


def test_children_without_a_score_are_left_out_but_their_coverage_counts() -> None:
    table = {**GROUP, "x": [90.0, math.nan, 20.0, math.nan]}
    out = score_batch(_model(), table)
    assert math.isnan(out.scores.score[3])
    assert math.isnan(out.scores.score[1])  # eu: no score of its own, no scored child
    assert out.scores.score[0] == 20.0  # g: us alone
    assert out.scores.coverage[0] == pytest.approx(10000 / 45000)
    assert out.scores.status[1] == "insufficient_data"


def test_a_parent_none_of_whose_children_has_a_score_keeps_its_own() -> None:
    table = {**GROUP, "x": [90.0, 100.0, math.nan, math.nan]}
    out = score_batch(_model(), table)
    assert out.scores.score[1] == 100.0
    assert out.scores.score[0] == 100.0  # eu is g's one scored child


# --------------------------------------------------------------------------- missing ARR


def test_missing_arr_is_an_error_naming_the_account() -> None:
    table = {**GROUP, "arr": [0.0, math.nan, 10000.0, math.nan]}
    with pytest.raises(InputError, match=r"column 'arr', row 3: account 'fr' has no ARR") as info:
        score_batch(_model(RollUp(missing_weight="error")), table)
    assert info.value.column == "arr"


def test_missing_arr_weighs_as_the_siblings_mean_and_says_so() -> None:
    table = {**GROUP, "arr": [0.0, math.nan, 10000.0, 5000.0]}  # eu's subtree ARR is fr's 5000
    out = score_batch(_model(), table)  # no missing ARR among g's children: nothing to say
    assert out.scores.score[0] == pytest.approx((5000 * 60 + 10000 * 20) / 15000)
    table = {**GROUP, "arr": [0.0, 30000.0, math.nan, 5000.0]}  # us weighs eu's 35000
    with pytest.warns(UserWarning, match=r"column 'arr': 1 account\(s\) .* no ARR .*: 'us'; each is weighed"):
        out = score_batch(_model(), table)
    assert out.scores.score[0] == pytest.approx((60 + 20) / 2)
    table = {**GROUP, "arr": [math.nan] * 4}
    with pytest.warns(UserWarning, match="have no ARR"):
        out = score_batch(_model(RollUp(missing_weight="mean")), table)
    assert out.scores.score[0] == pytest.approx((60 + 20) / 2)


def test_children_of_arr_zero_weigh_equally() -> None:
    out = score_batch(_model(), {**GROUP, "arr": [0.0, 0.0, 0.0, 0.0]})
    assert out.scores.score[0] == pytest.approx((60 + 20) / 2)
    assert not np.isnan(out.scores.coverage).any()


def test_an_absent_or_bad_arr_column_is_an_error() -> None:
    table = {k: v for k, v in GROUP.items() if k != "arr"}
    with pytest.raises(InputError, match=r"column 'arr', which the data lacks.*account_mean"):
        score_batch(_model(), table)
    assert score_batch(_model(RollUp(method="account_mean")), table).scores.score[0] == 40.0
    with pytest.raises(InputError, match=r"column 'arr', row 2: ARR must be a finite number >= 0, got -1\.0"):
        score_batch(_model(), {**GROUP, "arr": [0.0, 1.0, -1.0, 1.0]})


# --------------------------------------------------------------------------- properties


@given(forests(min_size=2), mean_policies)
def test_a_parent_lies_between_its_childrens_min_and_max(table: dict[str, Any], policy: RollUp) -> None:
    out = score_batch(_model(policy), table)
    score = out.scores.score
    for parent, rows in _children(table).items():
        kids = score[rows]
        kids = kids[~np.isnan(kids)]
        if kids.size:
            value = score[list(table["account_id"]).index(parent)]
            assert kids.min() - 1e-9 <= value <= kids.max() + 1e-9


@given(forests(min_size=2), policies, st.floats(1e-3, 1e3))
def test_scaling_all_arr_changes_nothing(table: dict[str, Any], policy: RollUp, factor: float) -> None:
    model = _model(policy)
    one = score_batch(model, table, drivers=2)
    scaled = score_batch(model, {**table, "arr": table["arr"] * factor}, drivers=2)
    np.testing.assert_allclose(scaled.scores.score, one.scores.score, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(scaled.scores.coverage, one.scores.coverage, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(scaled.scores.points_lost[0], one.scores.points_lost[0], rtol=1e-9, atol=1e-9)


@given(forests(min_size=1), mean_policies, st.data())
def test_adding_a_healthy_child_never_lowers_the_parent(table: dict[str, Any], policy: RollUp, data: Any) -> None:
    model = _model(policy)
    before = score_batch(model, table).scores.score
    row = data.draw(st.integers(0, len(table["account_id"]) - 1))
    parent_score = before[row]
    if math.isnan(parent_score):
        return
    healthy = data.draw(st.floats(float(parent_score), 100))
    grown = {
        "account_id": [*table["account_id"], "new"],
        "parent_id": [*table["parent_id"], table["account_id"][row]],
        "arr": np.r_[table["arr"], data.draw(st.floats(1, 1e6))],
        "x": np.r_[table["x"], healthy],
    }
    after = score_batch(model, grown).scores.score
    assert after[row] >= parent_score - 1e-9


@given(forests(), policies)
def test_the_batch_and_the_one_account_paths_agree(table: dict[str, Any], policy: RollUp) -> None:
    model = _two_metric_model(policy)
    table = {**table, "y": np.where(np.isnan(table["x"]), 40.0, 100.0 - table["x"])}
    batch = score_batch(model, table, drivers=3)
    scores = batch.scores
    for row, account in enumerate(table["account_id"]):
        one = score_account(model, table, account, drivers=3)
        expected = float(scores.score[row])
        assert (one.score is None) == math.isnan(expected)
        if one.score is not None:
            assert one.score == expected  # the same code: the same bits
        assert one.coverage == float(scores.coverage[row])
        assert one.band == (str(scores.band[row]) or None)
        assert one.alert == (str(scores.alert[row]) or None)
        assert one.level == int(batch.tree.level[row])
        assert one.parent_id == table["parent_id"][row]
        drivers = tuple(
            (str(n[row]), float(p[row])) for n, p in zip(scores.drivers, scores.points_lost, strict=True) if str(n[row])
        )
        assert one.drivers == drivers


@given(forests(min_size=2), mean_policies)
def test_worst_is_the_lowest_child(table: dict[str, Any], policy: RollUp) -> None:
    out = score_batch(_model(attrs.evolve(policy, method="worst")), table).scores.score
    for parent, rows in _children(table).items():
        kids = out[rows]
        kids = kids[~np.isnan(kids)]
        if kids.size:
            assert out[list(table["account_id"]).index(parent)] == kids.min()


def test_one_account_path_refuses_an_unknown_account() -> None:
    with pytest.raises(InputError, match="unknown account_id 'nope'"):
        score_account(_model(), GROUP, "nope")


# --------------------------------------------------------------------------- score_portfolio


def test_score_portfolio_rolls_up_and_adds_the_tree_columns() -> None:
    out = score_portfolio(_model(), GROUP, drivers=1)
    assert list(out)[:6] == ["account_id", "parent_id", "level", "score", "own_score", "band"]
    assert out["parent_id"].tolist() == [None, "g", "g", "eu"]
    assert out["level"].tolist() == [0, 1, 1, 2]
    assert out["own_score"].tolist() == [90.0, 100.0, 20.0, 60.0]
    assert out["driver_1"].tolist()[0] == f"{CHILD_PREFIX}eu"
    plain = score_portfolio(_model(), GROUP, parent_column=None)
    assert "parent_id" not in plain
    assert plain["score"].tolist() == [90.0, 100.0, 20.0, 60.0]


@pytest.mark.parametrize("family", ["pandas", "polars", "polars-lazy", "arrow"])
def test_every_family_rolls_up_alike(family: str) -> None:
    frames = {
        "pandas": lambda d: pd.DataFrame(d, index=[5, 6, 7, 8]),
        "polars": pl.DataFrame,
        "polars-lazy": lambda d: pl.DataFrame(d).lazy(),
        "arrow": pa.table,
    }
    expected = score_portfolio(_model(), GROUP, drivers=1)
    got = score_portfolio(_model(), frames[family](GROUP), drivers=1)
    if family == "polars-lazy":
        got = got.collect()
    if family == "arrow":
        got = pl.from_arrow(got)
    columns = list(got.columns)
    assert columns == list(expected)
    for name in ("score", "own_score", "coverage", "driver_1_points"):
        np.testing.assert_array_equal(np.asarray(got[name]), expected[name])
    assert [None if v is None or v != v else v for v in list(got["parent_id"])] == [None, "g", "g", "eu"]
    assert [str(v) for v in list(got["band"])] == expected["band"].tolist()
    if family == "pandas":
        assert got.index.tolist() == [5, 6, 7, 8]


def test_integer_ids_in_pandas() -> None:
    frame = pd.DataFrame({**GROUP, "account_id": [1, 2, 3, 4], "parent_id": [None, 1, 1, 2]})
    out = score_portfolio(_model(), frame)
    assert out["score"].tolist() == pytest.approx([(35000 * 60 + 10000 * 20) / 45000, 60.0, 20.0, 60.0])
    assert out["account_id"].dtype == np.int64


def test_score_portfolio_reports_bad_links_in_warnings() -> None:
    table = {**GROUP, "parent_id": [None, "g", "zz", "eu"]}
    with pytest.raises(InputError, match="names parent 'zz'"):
        score_portfolio(_model(), table)
    with pytest.warns(UserWarning, match="names parent 'zz'.*cut"):
        out = score_portfolio(_model(), table, on_bad_rows="report")
    assert out["level"].tolist() == [0, 1, 0, 2]


def test_a_named_parent_column_must_exist_and_needs_ids() -> None:
    with pytest.raises(InputError, match="missing column 'group_id'"):
        score_portfolio(_model(), GROUP, parent_column="group_id")
    renamed = {("group_id" if k == "parent_id" else k): v for k, v in GROUP.items()}
    assert score_portfolio(_model(), renamed, parent_column="group_id")["group_id"].tolist()[1] == "g"
    with pytest.raises(InputError, match="a tree needs id_column"):
        score_portfolio(_model(), GROUP, id_column=None)


def test_dask_refuses_a_tree_saying_why() -> None:
    dd = pytest.importorskip("dask.dataframe")
    frame = dd.from_pandas(pd.DataFrame(GROUP), npartitions=2)
    with pytest.raises(InputError, match="different partitions"):
        score_portfolio(_model(), frame)


def test_segmented_models_roll_up_with_each_segments_bands() -> None:
    strict = _model()
    high = attrs.evolve(
        strict, bands=BandPolicy(bands=[Band(name="good", min_score=95), Band(name="bad", min_score=0)])
    )
    model = SegmentedModel(segments={"ent": high, "smb": strict})
    table = {**GROUP, "segment": ["ent", "smb", "smb", "smb"]}
    out = score_batch(model, table)
    assert out.scores.score[0] == pytest.approx((35000 * 60 + 10000 * 20) / 45000)
    assert out.scores.band.tolist() == ["bad", "yellow", "red", "yellow"]
    differing = SegmentedModel(segments={"ent": _model(RollUp(method="worst")), "smb": strict})
    with pytest.raises(InputError, match="roll up differently"):
        policy_of(differing)


def test_roll_up_keeps_float32_scores() -> None:
    model = _model()
    tree = build_tree(GROUP["account_id"], GROUP["parent_id"])
    scored = model.score_batch({"x": np.array(GROUP["x"])}, precision="float32")
    rolled = roll_up(model, scored, tree, weights=GROUP["arr"])
    assert rolled.scores.score.dtype == np.float32
    assert rolled.scores.score[0] == pytest.approx((35000 * 60 + 10000 * 20) / 45000, rel=1e-6)


# --------------------------------------------------------------------------- the model file


@given(policies, st.sampled_from(["error", "mean"]), st.sampled_from(["arr", "contract_value"]))
def test_the_rollup_round_trips_through_the_model_file(policy: RollUp, missing: MissingWeight, column: str) -> None:
    model = _model(attrs.evolve(policy, missing_weight=missing, weight_column=column))
    formats: tuple[Format, ...] = ("toml", "json")
    for fmt in formats:
        assert load_model(dump_model(model, format=fmt), format=fmt) == model


def test_a_model_without_rollup_writes_none() -> None:
    assert "rollup" not in dump_model(_model())
    assert policy_of(_model()) == RollUp()


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("method", "median", r"one of 'arr_mean', 'account_mean', 'worst', got 'median' @ \$\.rollup\.method"),
        ("own_weight", 1.5, r"own_weight must be a share in \[0, 1\], got 1\.5 @ \$\.rollup\.own_weight"),
        ("missing_weight", "zero", r"must be 'error' or 'mean', got 'zero' @ \$\.rollup\.missing_weight"),
        ("own_wieght", 0.5, r"unknown key 'own_wieght' \(did you mean 'own_weight'\?.*@ \$\.rollup"),
    ],
)
def test_rollup_errors_carry_their_path(key: str, value: object, message: str) -> None:
    data = model_to_dict(_model(RollUp()))
    data["rollup"][key] = value
    with pytest.raises(ConfigError, match=message):
        load_model(data)


def test_rollup_validation() -> None:
    with pytest.raises(ValidationError, match="own_weight must be a share"):
        RollUp(own_weight=-0.1)
    with pytest.raises(ValidationError, match="weight_column must be a column name"):
        RollUp(weight_column=" arr")
    with pytest.raises(ValidationError, match=r"rollup must be a healthscore\.hierarchy\.RollUp"):
        _model(rollup="worst")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- exports and the CLI


def _accounts_csv(path: Path, parents: list[str]) -> None:
    rows = ["account_id,parent_id,arr,x"]
    rows += [
        f"{a},{p},{r},{x}" for a, p, r, x in zip(GROUP["account_id"], parents, GROUP["arr"], GROUP["x"], strict=True)
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_cli_score_writes_the_tree_columns(tmp_path: Path) -> None:
    model = tmp_path / "model.toml"
    dump_model(_model(), model)
    source = tmp_path / "accounts.csv"
    _accounts_csv(source, ["", "g", "g", "eu"])
    code, out, err = _run("score", str(source), "--model", str(model), "-o", "-")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("account_id,parent_id,level,score,own_score,band,alert")
    rows = {line.split(",")[0]: line.split(",") for line in lines[1:]}
    assert rows["g"][1:5] == ["", "0", f"{(35000 * 60 + 10000 * 20) / 45000:.3f}", "90.000"]
    assert rows["fr"][1:3] == ["eu", "2"]
    assert "parent_id" not in err  # read, not reported as ignored


def test_cli_score_names_a_bad_link_or_sets_it_aside(tmp_path: Path) -> None:
    model = tmp_path / "model.toml"
    dump_model(_model(), model)
    source = tmp_path / "accounts.csv"
    _accounts_csv(source, ["fr", "g", "g", "eu"])
    code, _, err = _run("score", str(source), "--model", str(model), "-o", "-")
    assert code != 0
    assert f"{source} line 2, column 'parent_id': the parent links form a cycle g -> fr -> eu -> g" in err
    target = tmp_path / "out.csv"
    code, _, err = _run("score", str(source), "--model", str(model), "-o", str(target), "--on-bad-rows", "report")
    assert code == 0, err
    rejected = (tmp_path / "out.csv.rejected.csv").read_text(encoding="utf-8").splitlines()
    assert len(rejected) == 4
    assert "cycle g -> fr -> eu -> g" in rejected[1]


def test_compute_signals_carries_parent_ids_and_arr() -> None:
    pytest.importorskip("duckdb")
    from healthscore.exports import read_exports
    from healthscore.signals import compute_signals

    accounts = {
        "account_id": ["g", "a", "b"],
        "segment": ["ent"] * 3,
        "seats_purchased": [4, 4, 4],
        "arr": [None, 1000, 3000],
        "contract_term_months": [12] * 3,
        "parent_id": [None, "g", "g"],
    }
    signals = compute_signals(read_exports({"accounts": accounts}), as_of="2026-02-28")
    assert list(signals)[:3] == ["account_id", "parent_id", "arr"]
    assert signals["parent_id"].tolist() == ["", "g", "g"]
    assert signals["arr"][1:].tolist() == [1000.0, 3000.0]
    no_tree = {k: v for k, v in accounts.items() if k != "parent_id"}
    assert "parent_id" not in compute_signals(read_exports({"accounts": no_tree}), as_of="2026-02-28")


def test_duplicate_ids_are_an_error_naming_both_rows() -> None:
    with pytest.raises(InputError, match=r"column 'account_id': duplicate account id 'b' in rows 1 and 3"):
        build_tree(["a", "b", "c", "b"], [None, "a", "a", None])
    with pytest.raises(InputError, match=r"duplicate account id '7' in rows 0 and 1"):
        score_portfolio(_model(), {"account_id": [7, 7], "parent_id": [None, 7], "arr": [1.0, 1.0], "x": [1.0, 2.0]})


def test_ids_of_different_widths_match() -> None:
    tree = build_tree(np.array(["a", "bbbbbbbbbbbb", "cc"]), np.array(["", "a", "bbbbbbbbbbbb"]))
    assert tree.parent.tolist() == [-1, 0, 1]


def test_texts_sharing_a_hash_still_match(monkeypatch: pytest.MonkeyPatch) -> None:
    from healthscore import hierarchy

    monkeypatch.setattr(hierarchy, "_hashes", lambda keys, width: np.zeros(len(keys), dtype=np.uint64))
    tree = build_tree(["g", "a", "b"], [None, "g", "a"])
    assert tree.parent.tolist() == [-1, 0, 1]
    with pytest.raises(InputError, match="duplicate account id 'a'"):
        build_tree(["a", "b", "a"], [None, None, None])
