"""Validation of the loop-closing tools on real and synthetic churn data.

Reproduces every number in ``docs/validation.md``::

    .venv/bin/python benchmarks/validation.py            # all studies
    .venv/bin/python benchmarks/validation.py --smoke    # small synthetic sizes, for CI
    .venv/bin/python benchmarks/validation.py --shapes   # only the learned-shapes study (4.)

1. Real data (UCI "Iranian Churn Dataset", CC BY 4.0, in ``../shared/data``):
   a scorecard fitted by ``fit_scorecard``, evaluated out of sample with
   stratified 5-fold cross-validation, against a logistic regression on all
   columns fitted on the same folds; churn rate per fitted band and the share
   in red, out of fold.
2. Synthetic exports (``generate_exports``): scores computed every two weeks
   from the raw exports, backtested against the generator's churn: AUC per
   horizon and the lead-time analysis.
3. Synthetic drivers (``generate_driver_portfolio``): ``reweight`` starting
   from equal weights recovers the generator's true driver shares.
4. Learned shapes (kind ``"auto"``): on the real data, out-of-fold AUC of
   ``fit_scorecard`` with every numeric column ``"auto"`` against the
   customer-success kinds of ``KINDS``, a logistic regression and, when
   ``interpret`` is installed (a benchmark-only dependency), the additive EBM
   (scikit-learn's ``StratifiedKFold(5, shuffle=True, random_state=7)``); the
   held-out Brier score and log loss of ``churn_probability`` fitted on each
   training fold's scores only; and the fit time for 10,000 accounts x 20
   columns, the EBM's measured in the same run.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from healthscore import _stats, presets, read_exports
from healthscore.backtest import run_backtest, score_over_time
from healthscore.datasets import generate_driver_portfolio, generate_exports
from healthscore.exports import read_table_csv
from healthscore.fit import churn_probability, fit_scorecard, reweight

_DATA_PATH = Path("shared") / "data" / "iranian_churn" / "customer_churn.csv"


def _find_data() -> Path:
    """The real data's CSV in ``shared/data`` beside the checkout or a folder
    above it (a git worktree sits deeper than the main checkout)."""
    here = Path(__file__).resolve()
    for folder in here.parents[1:]:
        if (folder / _DATA_PATH).exists():
            return folder / _DATA_PATH
    return here.parents[2] / _DATA_PATH


DATA = _find_data()

KINDS = {
    "Call  Failure": "lower_is_better",
    "Complains": "lower_is_better",
    "Subscription  Length": "higher_is_better",
    "Charge  Amount": "higher_is_better",
    "Seconds of Use": "higher_is_better",
    "Frequency of use": "higher_is_better",
    "Frequency of SMS": "higher_is_better",
    "Distinct Called Numbers": "higher_is_better",
    "Age Group": "peaked",
    "Tariff Plan": "categorical",
    "Status": "lower_is_better",
    "Age": "peaked",
    "Customer Value": "higher_is_better",
}
"""Each column's kind: the direction a customer-success team would expect."""

AUTO_KINDS = {c: ("categorical" if k == "categorical" else "auto") for c, k in KINDS.items()}
"""Each numeric column learns its shape; the tariff plan stays a label."""

DIMENSIONS = {
    "Seconds of Use": "product",
    "Frequency of use": "product",
    "Frequency of SMS": "product",
    "Distinct Called Numbers": "product",
    "Status": "product",
    "Call  Failure": "relationship",
    "Complains": "relationship",
    "Subscription  Length": "business",
    "Charge  Amount": "business",
    "Tariff Plan": "business",
    "Customer Value": "business",
    "Age Group": "business",
    "Age": "business",
}


def load_iranian(path: Path = DATA) -> tuple[dict[str, Any], Any]:
    """The real churn data: columns (Tariff Plan as a label) and the outcome."""
    columns = read_table_csv(path)  # the CLI's reader: every column here is numeric
    churn = columns.pop("Churn").astype(np.int64)
    columns["Tariff Plan"] = np.array([f"plan {int(v)}" for v in columns["Tariff Plan"]], dtype=object)
    return columns, churn


def real_data_study(folds: int = 5, seed: int = 0) -> dict[str, Any]:
    """Out-of-fold AUC of the fitted scorecard vs a logistic regression, and
    the out-of-fold band table."""
    columns, y = load_iranian()
    fold = _stats.stratified_folds(y, folds, seed)
    numeric = np.column_stack(
        [
            np.asarray(columns[c], dtype=np.float64)
            if c != "Tariff Plan"
            else (columns[c] == "plan 2").astype(np.float64)
            for c in KINDS
        ]
    )
    risk_card = np.empty(y.size)
    risk_logit = np.empty(y.size)
    band = np.empty(y.size, dtype=object)
    order: list[str] = []
    for k in range(folds):
        test, train = fold == k, fold != k
        fit = fit_scorecard({c: v[train] for c, v in columns.items()}, y[train], KINDS, dimensions=DIMENSIONS)
        scored = fit.model.score_batch({c: v[test] for c, v in columns.items()}, missing_columns="missing")
        risk_card[test] = -np.asarray(scored.score)
        band[test] = scored.band
        order = list(fit.model.bands.names)
        mean, std = numeric[train].mean(axis=0), numeric[train].std(axis=0)
        logit = _stats.require_converged(
            _stats.fit_logistic((numeric[train] - mean) / std, y[train], l2=1.0),
            f"the reference logistic regression on fold {k + 1} of {folds}",
            hint="check the standardised columns of the real churn data",
        )
        risk_logit[test] = logit.decision_function((numeric[test] - mean) / std)
    table = {
        name: {"share": float(np.mean(band == name)), "churn_rate": float(y[band == name].mean())} for name in order
    }
    full = fit_scorecard(columns, y, KINDS, dimensions=DIMENSIONS)
    return {
        "accounts": int(y.size),
        "churn_rate": float(y.mean()),
        "auc_scorecard": _stats.roc_auc(y, risk_card),
        "auc_logistic": _stats.roc_auc(y, risk_logit),
        "bands": table,
        "full_fit": full.report.summary(),
    }


def _auc_reference() -> tuple[Any, Any]:
    try:
        from sklearn.metrics import roc_auc_score
        from sklearn.model_selection import StratifiedKFold
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise SystemExit("the shapes study needs scikit-learn: pip install scikit-learn") from exc
    return roc_auc_score, StratifiedKFold


EBM_REFERENCE = {"auc": 0.969, "brier": 0.046}
"""The additive EBM's figures on these folds as the issue states them (used when
``interpret`` is not installed; not measured by this script)."""

BRIER_MARGIN = 0.005
"""The target: the scorecard's held-out Brier score at most the additive EBM's plus this."""


def _ebm() -> Any:
    """The additive EBM's class (``interpret``, a benchmark-only dependency), or ``None``."""
    try:
        from interpret.glassbox import ExplainableBoostingClassifier  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        return None
    return ExplainableBoostingClassifier


def _fit_ebm(ebm: Any, x: Any, y: Any) -> Any:
    """The additive EBM (no interactions), on one core as healthscore's fit runs."""
    return ebm(interactions=0, n_jobs=1, random_state=7).fit(x, y)


def _numeric(columns: dict[str, Any]) -> Any:
    """The 13 columns as numbers (tariff plan 2 as 1.0) for the reference models."""
    return np.column_stack(
        [
            np.asarray(columns[c], dtype=np.float64) if c != "Tariff Plan" else (columns[c] == "plan 2").astype(float)
            for c in KINDS
        ]
    )


class _OutOfFold:
    """Out-of-fold risks, probabilities and fit times of each model on the same folds."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.risk: dict[str, Any] = {}
        self.probability: dict[str, Any] = {}
        self.seconds: dict[str, float] = {}

    def put(self, table: dict[str, Any], label: str, rows: Any, values: Any) -> None:
        table.setdefault(label, np.full(self.n, np.nan))[rows] = values

    def time(self, label: str, seconds: float) -> None:
        self.seconds[label] = self.seconds.get(label, 0.0) + seconds


def _scorecard_fold(oof: _OutOfFold, columns: dict[str, Any], y: Any, train: Any, test: Any) -> tuple[Any, Any]:
    """Both scorecards on one fold; each one's churn probability is fitted to the
    training fold's own scores and outcomes only, then maps the held-out scores."""
    band, order = None, None
    for label, kinds in (("auto", AUTO_KINDS), ("kinds", KINDS)):
        start = time.perf_counter()
        fit = fit_scorecard({c: v[train] for c, v in columns.items()}, y[train], kinds)
        oof.time(label, time.perf_counter() - start)
        fitted = fit.model.score_batch({c: v[train] for c, v in columns.items()}, missing_columns="missing")
        scored = fit.model.score_batch({c: v[test] for c, v in columns.items()}, missing_columns="missing")
        held = np.asarray(scored.score, dtype=np.float64)
        oof.put(oof.risk, label, test, -held)
        for method in ("isotonic", "platt"):
            calibration = churn_probability(np.asarray(fitted.score, dtype=np.float64), y[train], method=method)
            oof.put(oof.probability, f"{label} {method}", test, calibration.predict(held))
        if label == "auto":
            band, order = scored.band, list(fit.model.bands.names)
    return band, order


def _reference_fold(oof: _OutOfFold, numeric: Any, y: Any, train: Any, test: Any, k: int, ebm: Any) -> None:
    """The logistic regression (and the additive EBM when installed) on one fold."""
    start = time.perf_counter()
    mean, std = numeric[train].mean(axis=0), numeric[train].std(axis=0)
    logit = _stats.require_converged(
        _stats.fit_logistic((numeric[train] - mean) / std, y[train], l2=1.0),
        f"the reference logistic regression on fold {k + 1} of 5",
        hint="check the standardised columns of the real churn data",
    )
    oof.time("logistic", time.perf_counter() - start)
    oof.put(oof.risk, "logistic", test, logit.decision_function((numeric[test] - mean) / std))
    oof.put(oof.probability, "logistic", test, logit.predict_proba((numeric[test] - mean) / std))
    if ebm is not None:
        start = time.perf_counter()
        model = _fit_ebm(ebm, numeric[train], y[train])
        oof.time("ebm", time.perf_counter() - start)
        p = model.predict_proba(numeric[test])[:, 1]
        oof.put(oof.risk, "ebm", test, p)
        oof.put(oof.probability, "ebm", test, p)


def shapes_study(path: Path = DATA, *, ebm: bool = True) -> dict[str, Any]:
    """Out of fold on scikit-learn's stratified folds (shuffled, random_state=7):
    AUC of learned shapes (``AUTO_KINDS``) against ``KINDS``, a logistic
    regression and (when ``interpret`` is installed) the additive EBM; the
    held-out Brier score and log loss of each scorecard's ``churn_probability``
    (isotonic and Platt) fitted on the training folds' scores only, of the
    regression's and of the EBM's probabilities; fit time per fold; the bands.
    ``ebm=False`` leaves the EBM out (the tests compare with its stated figures)."""
    roc_auc_score, stratified = _auc_reference()
    columns, y = load_iranian(path)
    numeric = _numeric(columns)
    oof = _OutOfFold(y.size)
    reference = _ebm() if ebm else None
    band = np.empty(y.size, dtype=object)
    order: list[str] = []
    folds = stratified(n_splits=5, shuffle=True, random_state=7).split(numeric, y)
    for k, (train, test) in enumerate(folds):
        band[test], order = _scorecard_fold(oof, columns, y, train, test)
        _reference_fold(oof, numeric, y, train, test, k, reference)
    full = fit_scorecard(columns, y, AUTO_KINDS, dimensions=DIMENSIONS)
    return {
        "auc": {label: float(roc_auc_score(y, r)) for label, r in oof.risk.items()},
        "brier": {label: _stats.brier(y, p) for label, p in oof.probability.items()},
        "log_loss": {label: _stats.log_loss(y, p) for label, p in oof.probability.items()},
        "seconds_per_fold": {label: t / 5 for label, t in oof.seconds.items()},
        "ebm_measured": "ebm" in oof.risk,
        "bands": {n: {"share": float(np.mean(band == n)), "churn_rate": float(y[band == n].mean())} for n in order},
        "full_fit": full.report.summary(),
    }


def timing_study(
    accounts: int = 10_000, columns: int = 20, repeats: int = 3, seed: int = 0, *, ebm: bool = True
) -> dict[str, Any]:
    """Fit time of ``fit_scorecard`` with every column ``"auto"``: the median of
    ``repeats`` fits; and, in the same run when ``interpret`` is installed, the
    additive EBM's (one fit, on one core) on the same data.

    The columns are standard normal (5% missing); churn follows a logistic
    model of one increasing, one valley-shaped, one wavy and one linear column
    (the other 16 are noise). Then the same with the last quarter of the
    columns replaced by labels (four each, the first of them a driver too),
    fitted with the default kinds (``"categorical"`` for them): ``"mixed"``.
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(accounts, columns))
    x[rng.random(x.shape) < 0.05] = np.nan
    z = np.nan_to_num(x)
    risk = z[:, 0] - z[:, 1] ** 2 + np.sin(2 * z[:, 2]) + 0.5 * z[:, 3] - 1.0
    churned = (rng.random(accounts) < 1 / (1 + np.exp(-risk))).astype(np.int64)
    data = {f"metric_{j:02d}": x[:, j] for j in range(columns)}
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fit = fit_scorecard(data, churned, dict.fromkeys(data, "auto"))
        times.append(time.perf_counter() - start)
    # the same table with its last quarter of columns as labels (four each; the first drives churn too)
    labels = np.array(["basic", "plus", "pro", "enterprise"], dtype=object)
    mixed: dict[str, Any] = dict(data)
    for j in range(columns - columns // 4, columns):
        mixed[f"metric_{j:02d}"] = labels[rng.integers(0, 4, accounts)]
    plan = mixed[f"metric_{columns - columns // 4:02d}"]
    mixed_churned = (rng.random(accounts) < 1 / (1 + np.exp(-(risk + 0.8 * (plan == "basic"))))).astype(np.int64)
    mixed_times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fit_scorecard(mixed, mixed_churned)
        mixed_times.append(time.perf_counter() - start)
    ebm_seconds = math.nan
    model = _ebm() if ebm else None
    if model is not None:
        start = time.perf_counter()
        _fit_ebm(model, x, churned)
        ebm_seconds = time.perf_counter() - start
    return {
        "seconds": float(np.median(times)),
        "all": times,
        "cycles": fit.report.shape_cycles,
        "ebm": ebm_seconds,
        "mixed": float(np.median(mixed_times)),
        "mixed_all": mixed_times,
    }


def lead_time_study(accounts: int = 600, days: int = 365, seed: int = 7) -> dict[str, Any]:
    """Backtest of scores computed every two weeks from synthetic raw exports."""
    gen = generate_exports(accounts, days, seed=seed)
    exports = read_exports(gen.tables)
    dates = [str(np.datetime64(gen.start) + d) for d in range(42, days, 14)]
    history = score_over_time(presets.three_dimension(), exports, dates)
    report = run_backtest(history, gen.churn, horizons=(30, 60, 90), outcomes_until=gen.end)
    return {"report": report, "snapshots": len(dates)}


def driver_study(accounts: int = 5000, seed: int = 11) -> dict[str, Any]:
    """Re-weighting from equal weights toward the generator's true drivers."""
    gen = generate_driver_portfolio(accounts, seed=seed)
    result = reweight(gen["model"], gen["columns"], gen["churned"], bootstrap=200, strength=1e-4)
    return {"truth": gen["true_shares"], "report": result.report}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="small synthetic sizes; skips the real data if absent")
    parser.add_argument("--shapes", action="store_true", help="only the learned-shapes study (4.)")
    parser.add_argument("--data", type=Path, default=DATA, help=f"the real churn data's CSV (default {DATA})")
    args = parser.parse_args()
    start = time.perf_counter()
    if args.shapes:
        _print_shapes(args.data)
        print(f"\n({time.perf_counter() - start:.0f} s)")
        return 0
    if DATA.exists():
        real = real_data_study()
        print(f"1. Real churn data ({real['accounts']:,} customers, churn {real['churn_rate']:.1%}), 5-fold CV")
        print(
            f"   scorecard AUC {real['auc_scorecard']:.4f}; logistic regression on all columns "
            f"{real['auc_logistic']:.4f}; gap {real['auc_logistic'] - real['auc_scorecard']:+.4f}"
        )
        for name, row in real["bands"].items():
            print(f"   {name:<8} {row['share']:>6.1%} of customers, churn {row['churn_rate']:>6.1%}")
        print("\n   scorecard fitted on all rows:")
        print("   " + real["full_fit"].replace("\n", "\n   "))
    else:
        print(f"1. Real churn data not found at {DATA}: skipped")
    lead = lead_time_study(150, 240) if args.smoke else lead_time_study()
    print(f"\n2. Synthetic exports, scores every two weeks ({lead['snapshots']} snapshots), backtested:")
    print("   " + lead["report"].summary().replace("\n", "\n   "))
    drivers = driver_study(1500) if args.smoke else driver_study()
    print("\n3. Synthetic drivers: true share vs fitted share (90% bootstrap interval)")
    for change in drivers["report"].metrics:
        print(
            f"   {change.name:<20} true {drivers['truth'][change.name]:>5.0%}   fitted {change.after:>6.1%}   "
            f"({change.low:.1%} - {change.high:.1%})"
        )
    if not args.smoke:
        _print_shapes(args.data)
    print(f"\n({time.perf_counter() - start:.0f} s)")
    return 0


_ROWS = (
    ("auto", "auto isotonic", "kinds 'auto', churn_probability isotonic"),
    ("auto", "auto platt", "kinds 'auto', churn_probability Platt"),
    ("kinds", "kinds isotonic", "kinds of KINDS, churn_probability isotonic"),
    ("logistic", "logistic", "logistic regression"),
    ("ebm", "ebm", "additive EBM (interactions=0, one core)"),
)


def _print_shapes_table(study: dict[str, Any]) -> None:
    auc, brier, loss, per_fold = study["auc"], study["brier"], study["log_loss"], study["seconds_per_fold"]
    print("\n4. Learned shapes, real churn data, out of fold (StratifiedKFold(5, shuffle=True, random_state=7));")
    print("   each probability fitted on the training folds only")
    print(f"   {'model':<44} {'AUC':>7} {'Brier':>7} {'log loss':>8} {'fit/fold':>9}")
    for model, prob, label in _ROWS:
        if model not in auc:
            continue
        seconds = per_fold.get(model, math.nan)
        print(f"   {label:<44} {auc[model]:>7.4f} {brier[prob]:>7.4f} {loss[prob]:>8.4f} {seconds:>8.2f}s")
    if study["ebm_measured"]:
        ebm_brier, source = brier["ebm"], "measured above"
    else:
        print(
            f"   additive EBM: interpret is not installed, so not measured; the issue's reference figures "
            f"(not measured by this script): AUC {EBM_REFERENCE['auc']:.3f}, Brier {EBM_REFERENCE['brier']:.3f}"
        )
        ebm_brier, source = EBM_REFERENCE["brier"], "the issue's reference figure"
    target = ebm_brier + BRIER_MARGIN
    held = brier["auto isotonic"]
    print(
        f"   target: Brier at most the EBM's {ebm_brier:.4f} ({source}) + {BRIER_MARGIN} = {target:.4f}; "
        f"isotonic {held:.4f} ({'met' if held <= target else 'NOT met'}), Platt {brier['auto platt']:.4f}"
    )


def _print_shapes(path: Path) -> None:
    if path.exists():
        study = shapes_study(path)
        _print_shapes_table(study)
        print("   bands of the learned shapes, out of fold:")
        for name, row in study["bands"].items():
            print(f"   {name:<8} {row['share']:>6.1%} of customers, churn {row['churn_rate']:>6.1%}")
        print("\n   scorecard with learned shapes fitted on all rows:")
        print("   " + study["full_fit"].replace("\n", "\n   "))
    else:
        print(f"\n4. Real churn data not found at {path}: learned shapes on it skipped")
    timing = timing_study()
    print(
        f"\n   fit time, 10,000 accounts x 20 'auto' columns: {timing['seconds']:.2f} s "
        f"(median of {len(timing['all'])}: {', '.join(f'{t:.2f}' for t in timing['all'])}; "
        f"{timing['cycles']} boosting cycles)"
    )
    print(
        f"   with the last {20 // 4} of the 20 columns labels (categorical, in the joint fit): {timing['mixed']:.2f} s "
        f"(median of {len(timing['mixed_all'])}: {', '.join(f'{t:.2f}' for t in timing['mixed_all'])})"
    )
    if timing["ebm"] == timing["ebm"]:
        print(
            f"   additive EBM on the same data in the same run: {timing['ebm']:.2f} s "
            f"({timing['ebm'] / timing['seconds']:.1f}x healthscore's median)"
        )
    else:
        print("   additive EBM: interpret is not installed, so its fit time was not measured")


if __name__ == "__main__":
    sys.exit(main())
