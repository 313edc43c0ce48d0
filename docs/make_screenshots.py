"""Regenerate the documentation's screenshots (PNG) from the demo data.

Runs ``healthscore demo`` (300 synthetic accounts with English and Japanese
names, 12 weekly snapshots, the churn of the synthetic year) in a temporary
folder, and then, in headless Chromium (the tests' harness, ``tests/browser.py``):

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
import io
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the browser harness

import browser as harness  # noqa: E402 -- after the path set-up above
from healthscore.actions import queue_from_history  # noqa: E402
from healthscore.backtest import run_backtest  # noqa: E402
from healthscore.cli import main as main_cli  # noqa: E402
from healthscore.exports import read_table_csv  # noqa: E402
from healthscore.history import HistoryStore, open_history  # noqa: E402

WIDTH, HEIGHT = 1280, 900
READY = "window.hsReady === true"


def shown(view: str) -> str:
    """A JavaScript condition: the ``<section data-view=view>`` is on screen."""
    return f"(() => {{ const s = document.querySelector('section[data-view=\"{view}\"]'); return !!s && s.getClientRects().length > 0 && !s.hidden; }})()"  # noqa: E501


def demo_history(work: Path) -> tuple[Path, Path]:
    """Run ``healthscore demo`` (without its dashboard) in ``work``: the history
    of 12 weekly snapshots and the churn table the README's quick start gives."""
    os.chdir(work)
    status = main_cli(["demo", "--top", "0", "--no-dashboard"], stdout=io.StringIO(), stderr=io.StringIO())
    if status != 0:
        raise SystemExit(f"healthscore demo failed with exit {status}")
    return work / "healthscore-demo" / "history.db", work / "healthscore-demo" / "churn.csv"


def notebook_page(fragment: str, title: str) -> str:
    """A notebook cell's output on an otherwise empty page."""
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        "<style>body { margin: 16px; font: 14px sans-serif; background: #fff; }</style></head>"
        f"<body>{fragment}</body></html>"
    )


def dashboards(browser: Any, report: Any, store: HistoryStore, churn: Any, out: Path, work: Path) -> list[Path]:
    """The list, an account page and the queue, in English and Japanese."""
    account = riskiest(store)
    written = []
    for lang in ("en", "ja"):
        page = Path(report.dashboard(store, lang=lang, churn=churn).save(work / f"dashboard-{lang}.html"))
        browser.open(page, wait_for=READY, timeout=60)
        browser.wait_for(shown("list"))
        written.append(browser.screenshot(out / f"dashboard-list-{lang}.png", WIDTH, HEIGHT))
        browser.js("location.hash = '#account/' + encodeURIComponent(arguments[0])", account)
        browser.wait_for(shown("account"))
        written.append(browser.screenshot(out / f"dashboard-account-{lang}.png", WIDTH, HEIGHT, full_page=True))
        browser.js("location.hash = '#queue'")
        browser.wait_for(shown("queue"))
        written.append(browser.screenshot(out / f"dashboard-queue-{lang}.png", WIDTH, HEIGHT))
        errors = browser.console_errors() + [f"request: {u}" for u in browser.requests()] + browser.alerts_fired()
        if errors:
            print(f"warning: the {lang} dashboard is not clean: {errors[:5]}", file=sys.stderr)
    return written


def notebooks(browser: Any, store: HistoryStore, churn: Any, account: str, out: Path, work: Path) -> list[Path]:
    """A ScoreResult (the riskiest account, from its stored inputs) and a
    BacktestReport as a notebook shows them."""
    version = store.latest_version()
    assert version is not None
    model = store.model(version)
    inputs = store.inputs(account_id=account)
    record = {k: v[0] for k, v in inputs.items() if k != "account_id"}
    shows: dict[str, Any] = {
        "notebook-score-result": model.score(record),
        "notebook-backtest": run_backtest(store, churn),
    }
    written = []
    for name, value in shows.items():
        page = work / f"{name}.html"
        page.write_text(notebook_page(value._repr_html_(), type(value).__name__), encoding="utf-8")
        browser.open(page)
        written.append(browser.screenshot(out / f"{name}.png", 900, 600, full_page=True))
    return written


def riskiest(store: HistoryStore) -> str:
    """The id of the account at the head of the action queue (the most urgent:
    a drop alert shows what changed)."""
    return queue_from_history(store)[0].account_id


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
    here = Path.cwd()
    out = args.out.resolve()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            history, churn_csv = demo_history(Path(tmp))
            churn = read_table_csv(churn_csv)
            with open_history(history, create=False) as store:
                written = dashboards(browser, report, store, churn, out, Path(tmp))
                written += notebooks(browser, store, churn, riskiest(store), out, Path(tmp))
            os.chdir(here)  # before the folder goes
    except harness.BrowserError as exc:
        print(f"a page did not show as expected: {exc}", file=sys.stderr)
        return 1
    finally:
        os.chdir(here)
        browser.close()
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
