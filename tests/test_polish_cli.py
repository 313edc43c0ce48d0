"""Trees and CSM reads where people read them: a parent's ``child:<id>``
drivers named as children in the displays and the dashboard, the queue's
reason naming the worst children, and the CLI's history, score and report
commands showing and using the tree and the CSM's read."""

from __future__ import annotations

from pathlib import Path

import pytest

from healthscore._html import actions_html, batch_html, driver_label
from healthscore._i18n import catalogue
from healthscore.actions import queue_from_history
from healthscore.history import open_history
from healthscore.report import dashboard
from test_hierarchy_history import HOSTILE, IDS, _page_data, _rolled, _tree_store

# --------------------------------------------------------------------------- child drivers


def test_a_child_driver_reads_as_the_child_in_both_languages() -> None:
    names = {"acme-us": "Acme US"}
    assert driver_label("child:acme-us", catalogue("en"), names) == "Acme US (child)"
    assert driver_label("child:acme-eu", catalogue("en"), names) == "acme-eu (child)"
    assert driver_label("child:acme-us", catalogue("ja"), names) == "Acme US (子アカウント)"
    assert driver_label("usage", catalogue("en")) == "usage"


def test_the_batch_and_queue_displays_name_children_escaped(tmp_path: Path) -> None:
    pytest.importorskip("jinja2")
    _, rolled = _rolled([85.0, 90.0, 10.0, 5.0, 90.0])
    page = batch_html(rolled.scores, account_ids=IDS, lang="en")
    assert "child:" not in page
    assert "acme-eu (child)" in page
    db = tmp_path / "h.db"
    _tree_store(str(db))
    with open_history(db) as store:
        queue = queue_from_history(store)
    for lang, word in (("en", "acme-eu (child)"), ("ja", "acme-eu (子アカウント)")):
        shown = actions_html(queue, lang=lang)
        assert "child:acme" not in shown
        assert word in shown


def test_the_dashboard_names_child_drivers_and_the_worst_children(tmp_path: Path) -> None:
    pytest.importorskip("jinja2")
    db = tmp_path / "h.db"
    _tree_store(str(db))
    with open_history(db) as store:
        page = dashboard(store).html
        queue = queue_from_history(store)
    data = _page_data(page)["list"]
    labels = {d["name"]: d["label"] for d in data["drivers"]}
    assert labels["child:acme-eu"] == "Acme Europe (child)"
    assert labels["child:acme-us"] == f"{HOSTILE} (child)"  # packed; the page sets it as text
    assert HOSTILE not in page
    parent = next(k for k, a in enumerate(queue) if a.account_id == "acme")
    assert data["qk"][parent] == ["Acme Europe" if c == "acme-eu" else HOSTILE for c in queue[parent].children]
    assert data["qk"][parent]


def test_the_dashboard_shows_child_drivers_in_a_browser(tmp_path: Path) -> None:
    pytest.importorskip("jinja2")
    from browser import Unavailable, start

    db = tmp_path / "h.db"
    _tree_store(str(db))
    with open_history(db) as store:
        page = dashboard(store).save(tmp_path / "d.html")
    try:
        browser = start()
    except Unavailable as exc:
        pytest.skip(f"no browser: {exc}")
    try:
        url = page.resolve().as_uri()
        browser.open(url, wait_for="window.hsReady === true")
        rows = {r.split("\n")[0]: r for r in browser.texts("#hs-list tbody tr")}
        assert "Acme Europe (child)" in rows["acme"]
        assert "child:" not in "".join(rows.values())
        browser.screenshot(tmp_path / "list.png")
        browser.open(url + "#account/acme", wait_for="document.querySelector('[data-field=drivers]') !== null")
        drivers = browser.texts('.hd-account-head [data-field="drivers"]')[0]
        assert "Acme Europe (child)" in drivers
        assert f"{HOSTILE} (child)" in drivers  # as text, not markup
        browser.screenshot(tmp_path / "parent.png")
        browser.open(url + "#queue", wait_for="document.querySelector('#hs-queue') !== null")
        reasons = browser.texts('#hs-queue td[data-col="reason"]')
        assert any("worst children by ARR at stake: Acme Europe" in r for r in reasons)
        browser.screenshot(tmp_path / "queue.png")
        assert browser.alerts_fired() == []
        assert browser.console_errors() == []
    finally:
        browser.close()
