"""Regenerate the documentation's screenshots (PNG) from the demo data.

Builds a history from the shipped sample portfolio (300 accounts, 12 weekly
snapshots, metrics drifting week to week, a few accounts collapsing), a churn
file for the backtest, and then, in headless Chromium (the tests' harness,
``tests/browser.py``):

* the dashboard's account list, one account page and the action queue, each
  in English and Japanese (``dashboard-list-en.png``, ``dashboard-account-ja.png``, ...);
* two notebook displays, each wrapped in a minimal page: a ``ScoreResult`` and
  a ``BacktestReport`` (``notebook-score-result.png``, ``notebook-backtest.png``).

The page contract it relies on: the dashboard opens on the account list and
sets ``window.hsReady = true`` when interactive; ``location.hash =
"#account/<id>"`` opens an account page, ``#queue`` the action queue; each view
is a ``<section data-view="...">``. Usage::

    PYTHONPATH=src python docs/make_screenshots.py [--out docs/images]

Needs Jinja2, Selenium and Debian's chromium, chromium-driver and
fonts-noto-cjk (for the Japanese pages).
"""

from __future__ import annotations

import argparse
import html
import importlib
import inspect
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the browser harness

import browser as harness  # noqa: E402 -- after the path set-up above
from healthscore import presets  # noqa: E402
from healthscore.backtest import run_backtest  # noqa: E402
from healthscore.datasets import load_sample_portfolio  # noqa: E402
from healthscore.history import HistoryStore, open_history  # noqa: E402
from healthscore.model import HealthModel  # noqa: E402

WEEKS = 12
WIDTH, HEIGHT = 1280, 900
NAMES = (
    "Northwind Traders", "株式会社さくら商事", "Globex", "Initech", "有限会社みなと製作所",
    "Umbrella Analytics", "Stark Logistics", "合同会社ひかりデザイン", "Wayne Foods", "Tyrell Systems",
)  # fmt: skip
LABEL_COLUMNS = ("account_id", "segment", "arr", "executive_engagement", "budget_trend")
READY = "window.hsReady === true"


def shown(view: str) -> str:
    """A JavaScript condition: the ``<section data-view=view>`` is on screen."""
    return f"(() => {{ const s = document.querySelector('section[data-view=\"{view}\"]'); return !!s && s.getClientRects().length > 0 && !s.hidden; }})()"  # noqa: E501


def demo_history(store: HistoryStore, model: HealthModel) -> dict[str, list[str]]:
    """Write weekly snapshots of the sample portfolio; returns the churn outcomes."""
    base = load_sample_portfolio()
    ids = [str(a) for a in base["account_id"]]
    n = len(ids)
    names = [f"{NAMES[i % len(NAMES)]} {i + 1:03d}" for i in range(n)]
    rng = np.random.default_rng(5)
    crash = rng.random(n) < 0.05  # a few accounts collapse over the last weeks
    days = np.datetime64("2026-01-04") + 7 * np.arange(WEEKS)
    drift = {k: np.zeros(n) for k in base if k not in LABEL_COLUMNS}
    accepted = inspect.signature(store.write_snapshot).parameters
    for week, day in enumerate(days):
        columns: dict[str, Any] = {k: v for k, v in base.items() if k in LABEL_COLUMNS[3:]}
        fall = np.where(crash, 0.2 * max(0, week - (WEEKS - 4)), 0.0)
        for name, step in drift.items():
            values = base[name]
            lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
            step += rng.normal(0, 0.02, n)
            better = model.metrics[name].scorer(hi) >= model.metrics[name].scorer(lo)  # which way is healthy
            move = (step - fall) * (hi - lo)
            columns[name] = np.clip(values + (move if better else -move), lo, hi)
        extras: dict[str, Any] = {}
        if "names" in accepted:
            extras["names"] = names
        if "inputs" in accepted:
            extras["inputs"] = columns
        scores = model.score_batch(columns, drivers=3)
        store.write_snapshot(model, str(day), ids, scores, arr=base["arr"], **extras)
    final = model.score_batch(columns)
    churned = [i for i in range(n) if crash[i] or (final.score[i] < 35 and rng.random() < 0.5)]
    return {
        "account_id": [ids[i] for i in churned],
        "churn_date": [str(days[-1] - 7 * int(rng.integers(0, 6))) for _ in churned],
    }


def notebook_page(fragment: str, title: str) -> str:
    """A notebook cell's output on an otherwise empty page."""
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        "<style>body { margin: 16px; font: 14px sans-serif; background: #fff; }</style></head>"
        f"<body>{fragment}</body></html>"
    )


def dashboards(browser: Any, report: Any, store: HistoryStore, churn: Any, out: Path, work: Path) -> list[Path]:
    """The list, an account page and the queue, in English and Japanese."""
    latest = store.snapshot_columns()
    riskiest = str(latest["account_id"][int(np.nanargmin(np.asarray(latest["score"], dtype=float)))])
    written = []
    for lang in ("en", "ja"):
        page = Path(report.dashboard(store, lang=lang, churn=churn).save(work / f"dashboard-{lang}.html"))
        browser.open(page, wait_for=READY, timeout=60)
        browser.wait_for(shown("list"))
        written.append(browser.screenshot(out / f"dashboard-list-{lang}.png", WIDTH, HEIGHT))
        browser.js("location.hash = '#account/' + encodeURIComponent(arguments[0])", riskiest)
        browser.wait_for(shown("account"))
        written.append(browser.screenshot(out / f"dashboard-account-{lang}.png", WIDTH, HEIGHT))
        browser.js("location.hash = '#queue'")
        browser.wait_for(shown("queue"))
        written.append(browser.screenshot(out / f"dashboard-queue-{lang}.png", WIDTH, HEIGHT))
        errors = browser.console_errors() + [f"request: {u}" for u in browser.requests()] + browser.alerts_fired()
        if errors:
            print(f"warning: the {lang} dashboard is not clean: {errors[:5]}", file=sys.stderr)
    return written


def notebooks(browser: Any, model: HealthModel, store: HistoryStore, churn: Any, out: Path, work: Path) -> list[Path]:
    """A ScoreResult and a BacktestReport as a notebook shows them."""
    base = load_sample_portfolio()
    record = {k: v[0] for k, v in base.items() if k not in ("account_id", "segment", "arr")}
    shows = {
        "notebook-score-result": model.score({k: (None if v is None else v) for k, v in record.items()}),
        "notebook-backtest": run_backtest(store, churn),
    }
    written = []
    for name, value in shows.items():
        if not hasattr(value, "_repr_html_"):
            print(f"skipped {name}.png: {type(value).__name__} has no _repr_html_ in this build", file=sys.stderr)
            continue
        page = work / f"{name}.html"
        page.write_text(notebook_page(value._repr_html_(), type(value).__name__), encoding="utf-8")
        browser.open(page)
        written.append(browser.screenshot(out / f"{name}.png", 900, 600, full_page=True))
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images", help="folder (default docs/images)")
    args = parser.parse_args()
    try:
        report = importlib.import_module("healthscore.report")
    except ImportError as exc:
        print(f"cannot make the dashboard screenshots: healthscore.report is not importable ({exc})", file=sys.stderr)
        return 1
    try:
        browser = harness.start()
    except harness.Unavailable as exc:
        print(f"cannot make screenshots: {exc}", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    model = presets.three_dimension()
    try:
        with tempfile.TemporaryDirectory() as tmp, open_history(Path(tmp) / "demo.db") as store:
            churn = demo_history(store, model)
            written = dashboards(browser, report, store, churn, args.out, Path(tmp))
            written += notebooks(browser, model, store, churn, args.out, Path(tmp))
    except harness.BrowserError as exc:
        print(f"a page did not show as expected: {exc}", file=sys.stderr)
        return 1
    finally:
        browser.close()
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
