"""Dashboard benchmark: build time, file size, and time to interactive in a browser.

For 1,000, 10,000 and 100,000 accounts with 26 weekly snapshots in a SQLite
history (metrics on a random walk week to week, each week scored by
``three_dimension().score_batch(..., drivers=3)``), times, in the same run:

* building the page: ``healthscore.report.dashboard(store, lang="en")`` and
  ``.save(path)``; and the file's size;
* in headless Chromium: the page's own ``window.hsTimings`` (``firstRender``
  and ``interactive``, ms from ``performance.now()``), and the wall time from
  the start of the navigation to ``window.hsReady`` measured from outside;
* the floor: loading a plain HTML file of the same size (one big ``<pre>``), so
  the ratio says what the dashboard itself costs beyond reading its bytes.

Targets: interactive within 3 s, file under 25 MB. Without Chromium the browser
columns are skipped (saying why); without ``healthscore.report`` the whole run
is. Usage::

    python benchmarks/bench_report.py                 # 1k, 10k, 100k accounts x 26 weeks
    python benchmarks/bench_report.py --accounts 5000 # one size
    python benchmarks/bench_report.py --smoke         # tiny, for CI
"""

from __future__ import annotations

import argparse
import html
import importlib
import inspect
import platform
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from healthscore import presets
from healthscore.datasets import generate_portfolio
from healthscore.history import HistoryStore, open_history
from healthscore.model import HealthModel

TESTS = Path(__file__).resolve().parent.parent / "tests"
INTERACTIVE_TARGET_S = 3.0
SIZE_TARGET_MB = 25.0
LABEL_COLUMNS = ("executive_engagement", "budget_trend")


@attrs.frozen(kw_only=True)
class Row:
    """One size's measurements (browser ones ``None`` when not measured)."""

    accounts: int
    weeks: int
    build_s: float
    size_mb: float
    first_render_ms: float | None = None
    interactive_ms: float | None = None
    wall_s: float | None = None
    floor_s: float | None = None


def report_module() -> Any:
    """``healthscore.report``, or ``None`` when this build has none."""
    try:
        return importlib.import_module("healthscore.report")
    except ImportError:
        return None


def metric_columns(n: int) -> tuple[dict[str, Any], np.ndarray]:
    """Synthetic metric columns for ``n`` accounts (NaN where missing) and their ARR."""
    cols = generate_portfolio(n, seed=11)
    arr = np.asarray(cols["arr"], dtype=float)
    metrics: dict[str, Any] = {}
    for name, values in list(cols.items())[3:]:
        if name in LABEL_COLUMNS:
            metrics[name] = np.array([v if v is not None else None for v in values], dtype=object)
        else:
            metrics[name] = np.array([np.nan if v is None else v for v in values], dtype=float)
    return metrics, arr


def walk(base: dict[str, Any], rng: np.random.Generator, state: dict[str, np.ndarray]) -> dict[str, Any]:
    """One week's step of each number metric's random walk, kept in its range."""
    week: dict[str, Any] = {}
    for name, values in base.items():
        if name in LABEL_COLUMNS:
            week[name] = values
            continue
        lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
        state[name] = state.get(name, np.zeros(len(values))) + rng.normal(0, 0.03, len(values)) * (hi - lo)
        week[name] = np.clip(values + state[name], lo, hi)
    return week


def snapshot_extras(store: HistoryStore, names: list[str], columns: dict[str, Any]) -> dict[str, Any]:
    """Names and raw inputs for ``write_snapshot`` where this store keeps them."""
    accepted = inspect.signature(store.write_snapshot).parameters
    extras: dict[str, Any] = {}
    if "names" in accepted:
        extras["names"] = names
    if "inputs" in accepted:
        extras["inputs"] = columns
    return extras


def fill(store: HistoryStore, model: HealthModel, n: int, weeks: int) -> None:
    """``weeks`` weekly snapshots of ``n`` accounts."""
    rng = np.random.default_rng(3)
    base, arr = metric_columns(n)
    ids = [f"ACC{i:07d}" for i in range(n)]
    names = [f"Customer {i:07d}" for i in range(n)]
    state: dict[str, np.ndarray] = {}
    days = np.datetime64("2026-01-04") + 7 * np.arange(weeks)
    for day in days:
        columns = walk(base, rng, state)
        scores = model.score_batch(columns, drivers=3)
        store.write_snapshot(model, str(day), ids, scores, arr=arr, **snapshot_extras(store, names, columns))


def plain_page(path: Path, size: int) -> Path:
    """A plain HTML page of about ``size`` bytes: one big ``<pre>``."""
    line = html.escape("ACC0000001  Customer 0000001  score 42.0  band orange  <drivers>\n")
    body = line * max(1, size // len(line))
    path.write_text(f'<!doctype html><html><head><meta charset="utf-8"></head><body><pre>{body}</pre></body></html>')
    return path


def measure(report: Any, browser: Any, n: int, weeks: int, folder: Path) -> Row:
    """Build one dashboard and time it (in ``browser`` when there is one)."""
    model = presets.three_dimension()
    with open_history(folder / f"history-{n}.db") as store:
        started = time.perf_counter()
        fill(store, model, n, weeks)
        print(f"  {n:,} accounts x {weeks} weeks: history written in {time.perf_counter() - started:.1f} s", flush=True)
        started = time.perf_counter()
        board = report.dashboard(store, lang="en")
        page = Path(board.save(folder / f"dashboard-{n}.html"))
        build = time.perf_counter() - started
    size = page.stat().st_size
    row = Row(accounts=n, weeks=weeks, build_s=build, size_mb=size / 1e6)
    if browser is None:
        return row
    wall = browser.open(page, wait_for="window.hsReady === true", timeout=300)
    timings = browser.js("window.hsTimings || {}")
    errors = browser.console_errors()
    if errors:
        print(f"  console errors on the {n:,}-account page: {errors[:3]}")
    floor = browser.open(plain_page(folder / f"plain-{n}.html", size), timeout=300)
    return attrs.evolve(
        row,
        first_render_ms=_number(timings.get("firstRender")),
        interactive_ms=_number(timings.get("interactive")),
        wall_s=wall,
        floor_s=floor,
    )


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _cell(value: float | None, fmt: str) -> str:
    width = int(fmt.split(".")[0])
    return f"{'-':>{width}}" if value is None else format(value, fmt)


def table(rows: list[Row]) -> str:
    """The measurements, and ratios to the targets and the floor."""
    head = (
        f"{'accounts':>9} {'build s':>8} {'MB':>7} {'1st render ms':>14} {'interactive ms':>15} "
        f"{'wall s':>7} {'plain s':>8} | {'interactive/3 s':>15} {'MB/25':>6} {'wall/plain':>10}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        to_target = None if r.interactive_ms is None else r.interactive_ms / 1000 / INTERACTIVE_TARGET_S
        to_floor = None if r.wall_s is None or not r.floor_s else r.wall_s / r.floor_s
        lines.append(
            f"{r.accounts:>9,} {r.build_s:>8.2f} {r.size_mb:>7.2f} {_cell(r.first_render_ms, '14.0f')} "
            f"{_cell(r.interactive_ms, '15.0f')} {_cell(r.wall_s, '7.2f')} {_cell(r.floor_s, '8.2f')} | "
            f"{_cell(to_target, '15.2f')} {r.size_mb / SIZE_TARGET_MB:>6.2f} {_cell(to_floor, '10.2f')}"
        )
    return "\n".join(lines)


def start_browser() -> tuple[Any, str]:
    """A headless Chromium from the tests' harness, or ``None`` and why not."""
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    try:
        import browser
    except ImportError as exc:  # pytest or the harness itself missing
        return None, f"the browser harness cannot be imported ({exc})"
    try:
        return browser.start(), ""
    except browser.Unavailable as exc:
        return None, str(exc)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, action="append", help="account count (repeatable); default 1k 10k 100k")
    parser.add_argument("--weeks", type=int, default=26)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks the script runs")
    args = parser.parse_args()
    sizes: list[int] = args.accounts or [1_000, 10_000, 100_000]
    if args.smoke:
        sizes, args.weeks = [200], 3
    report = report_module()
    if report is None:
        print("skipped: healthscore.report is not available in this build")
        return 0
    machine = platform.processor() or platform.machine()
    print(f"{machine}, Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}")
    browser, why = start_browser()
    if browser is None:
        print(f"skipped: browser timings ({why})")
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for n in sizes:
                rows.append(measure(report, browser, n, args.weeks, Path(tmp)))
    finally:
        if browser is not None:
            browser.close()
    print()
    print(table(rows))
    print(f"\ntargets: interactive within {INTERACTIVE_TARGET_S:.0f} s, file under {SIZE_TARGET_MB:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
