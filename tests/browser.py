"""A real browser for the tests of HTML output: headless Chromium via Selenium.

``start()`` launches Debian's Chromium through its chromedriver (given
explicitly, so Selenium Manager never downloads anything) with a fresh profile
and every background network feature off, and returns a :class:`Browser`. It
raises :class:`Unavailable`, saying what to install, when Chromium,
chromedriver or Selenium is missing; the ``chromium`` fixture then skips.

Use it in a test module with ``from browser import chromium`` (the fixture) and
``from browser import Browser`` (for annotations)::

    def test_page(chromium: Browser, tmp_path: Path) -> None:
        chromium.open(page, wait_for="window.hsReady === true")
        assert chromium.requests() == []
        assert chromium.console_errors() == []
        assert chromium.alerts_fired() == []

What the page did is read from two sources each: requests from the DevTools
performance log (``Network.requestWillBeSent``) and from resource timing;
errors from the browser log (SEVERE) and from an ``error`` /
``unhandledrejection`` trap installed before any script of the page runs. The
same trap replaces ``alert``, ``confirm`` and ``prompt`` with recorders and
watches the global ``window.__hsInjected``: a hostile payload that gets to run
(``<img src=x onerror=alert(1)>``, ``<script>window.__hsInjected=1</script>``)
leaves a trace in :meth:`Browser.alerts_fired`.

The benchmarks and ``docs/make_screenshots.py`` use the same class.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from healthscore._io import write_atomic

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
CHROMEDRIVER_CANDIDATES = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")

CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--force-color-profile=srgb",
    "--lang=en-US",
)
"""Headless, no sandbox (containers run as root), and nothing that would reach
the network on its own (the closed network refuses connections anyway)."""

INSTALL_HINT = "install Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"

# Runs in every document before the page's own scripts: records what a page
# must never do (dialogs, the injection flag) and errors nothing else catches.
TRAP_SCRIPT = r"""
(() => {
  const fired = [];
  const errors = [];
  const text = (v) => { try { return String(v); } catch (e) { return '<unprintable>'; } };
  Object.defineProperty(window, '__hsFired', {value: fired, enumerable: false});
  Object.defineProperty(window, '__hsErrors', {value: errors, enumerable: false});
  for (const name of ['alert', 'confirm', 'prompt', 'print']) {
    window[name] = function (...args) { fired.push(name + '(' + args.map(text).join(', ') + ')'); return null; };
  }
  let flag;
  Object.defineProperty(window, '__hsInjected', {
    get() { return flag; },
    set(v) { flag = v; fired.push('__hsInjected = ' + text(v)); },
  });
  window.addEventListener('error', (e) => {
    if (e.error !== undefined || e.message) errors.push('uncaught: ' + text(e.message || e.error));
  });
  window.addEventListener('unhandledrejection', (e) => {
    errors.push('unhandled rejection: ' + text(e.reason && e.reason.message ? e.reason.message : e.reason));
  });
})();
"""

# Draws each character on a canvas and compares it with the missing-glyph box
# of the same font stack: equal pixels (or none at all) means it did not render.
TOFU_SCRIPT = r"""
const [text, font] = arguments;
const canvas = document.createElement('canvas');
canvas.width = 64; canvas.height = 64;
const ctx = canvas.getContext('2d', {willReadFrequently: true});
ctx.font = font;
const draw = (ch) => {
  ctx.clearRect(0, 0, 64, 64); ctx.fillStyle = '#000'; ctx.fillText(ch, 8, 44);
  return Array.from(ctx.getImageData(0, 0, 64, 64).data).join(',');
};
const blank = draw(' ');
const tofu = draw('\u{10FFFD}');
const bad = [];
for (const ch of new Set(Array.from(text))) {
  if (/\s/.test(ch)) continue;
  const seen = draw(ch);
  if (seen === tofu || seen === blank) bad.push(ch);
}
return bad;
"""

_INTERNAL_SCHEMES = ("chrome:", "chrome-extension:", "chrome-untrusted:", "devtools:", "about:")


class Unavailable(RuntimeError):
    """No headless Chromium can be driven here; the message says what to install."""


class BrowserError(AssertionError):
    """The page did not do what a test waited for; the message carries the
    page's console output."""


def _find(env: str, candidates: tuple[str, ...], name: str) -> str | None:
    given = os.environ.get(env)
    if given:
        return given if Path(given).exists() else None
    for path in candidates:
        if Path(path).exists():
            return path
    return shutil.which(name)


def start(*, width: int = 1280, height: int = 900) -> Browser:
    """Launch headless Chromium and return a :class:`Browser` on it.

    ``HEALTHSCORE_CHROMIUM`` and ``HEALTHSCORE_CHROMEDRIVER`` override where
    the two programs are looked for.

    Raises:
        Unavailable: Selenium, Chromium or chromedriver is missing, or Chromium
            does not start; the message says what to install.
    """
    os.environ.setdefault("SE_AVOID_STATS", "true")  # Selenium Manager's usage statistics: off
    try:
        from selenium import webdriver
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        raise Unavailable("selenium is not installed (pip install selenium)") from None
    binary = _find("HEALTHSCORE_CHROMIUM", CHROMIUM_CANDIDATES, "chromium")
    driver_path = _find("HEALTHSCORE_CHROMEDRIVER", CHROMEDRIVER_CANDIDATES, "chromedriver")
    if binary is None:
        raise Unavailable(f"Chromium not found: {INSTALL_HINT}")
    if driver_path is None:
        raise Unavailable(f"chromedriver not found: {INSTALL_HINT}")
    profile = tempfile.mkdtemp(prefix="hs-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    options.set_capability("unhandledPromptBehavior", "accept")
    try:
        driver = webdriver.Chrome(service=Service(driver_path), options=options)
    except WebDriverException as exc:
        shutil.rmtree(profile, ignore_errors=True)
        first = (exc.msg or str(exc)).strip().splitlines()[0] if (exc.msg or str(exc)).strip() else type(exc).__name__
        raise Unavailable(f"Chromium did not start ({first}); {INSTALL_HINT}") from None
    browser = Browser(driver, profile)
    browser.cdp("Page.addScriptToEvaluateOnNewDocument", source=TRAP_SCRIPT)
    return browser


class Browser:
    """One headless Chromium window and what its current page has done."""

    def __init__(self, driver: Any, profile: str) -> None:
        self.driver = driver
        """The Selenium driver, for anything this class does not cover."""
        self._profile = profile
        self._page = ""
        self._requests: list[str] = []
        self._console: list[dict[str, Any]] = []

    # ------------------------------------------------------------------ life cycle

    def close(self) -> None:
        """Quit Chromium and delete its profile."""
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self._profile, ignore_errors=True)

    def cdp(self, method: str, **params: Any) -> Any:
        """Call a Chrome DevTools Protocol method; returns its result."""
        return self.driver.execute_cdp_cmd(method, params)

    # ------------------------------------------------------------------ pages

    def open(self, path: str | os.PathLike[str], *, wait_for: str | None = None, timeout: float = 15.0) -> float:
        """Load a local page and wait until it is ready.

        Args:
            path: A file path, or a ``file://`` URL (a ``#fragment`` is kept).
            wait_for: A JavaScript condition to wait for after the document is
                complete, e.g. ``"window.hsReady === true"``.
            timeout: Seconds to wait, in all.

        Returns:
            Seconds from the start of the navigation to the page being ready
            (measured from outside the page).

        Raises:
            BrowserError: The page did not get ready in time; the message has
                its console output.
        """
        url = os.fspath(path)
        if not url.startswith("file:"):
            url = Path(url).resolve().as_uri()
        self.driver.get("about:blank")
        self._drain()  # what the previous page did is not this one's
        self._requests.clear()
        self._console.clear()
        self._page = url.split("#", 1)[0]
        started = time.perf_counter()
        self.driver.get(url)
        deadline = started + timeout
        self.wait_for("document.readyState === 'complete'", timeout=max(0.1, deadline - time.perf_counter()))
        if wait_for is not None:
            self.wait_for(wait_for, timeout=max(0.1, deadline - time.perf_counter()))
        return time.perf_counter() - started

    def wait_for(self, condition: str, *, timeout: float = 10.0) -> None:
        """Wait until the JavaScript ``condition`` is true.

        Raises:
            BrowserError: It was still false after ``timeout`` seconds (or
                threw each time); the message has the console output.
        """
        deadline = time.perf_counter() + timeout
        last_error = ""
        while True:
            try:
                if self.driver.execute_script(f"return Boolean({condition});"):
                    return
                last_error = ""
            except Exception as exc:  # noqa: BLE001 -- the condition may throw until the page is ready
                last_error = f"; the condition last threw: {str(exc).strip().splitlines()[0]}"
            if time.perf_counter() >= deadline:
                break
            time.sleep(0.05)
        raise BrowserError(
            f"timed out after {timeout:.1f} s waiting for {condition!r} on {self._page or 'the page'}"
            f"{last_error}\n{self.console_text()}"
        )

    # ------------------------------------------------------------------ what the page did

    def _drain(self) -> None:
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") == "Network.requestWillBeSent":
                self._add_request(message["params"]["request"]["url"])
        self._console.extend(self.driver.get_log("browser"))

    def _add_request(self, url: str) -> None:
        if url.split("#", 1)[0] == self._page or url.startswith(_INTERNAL_SCHEMES):
            return
        if url not in self._requests:
            self._requests.append(url)

    def requests(self) -> list[str]:
        """Every URL the current page requested, its own excepted, in order:
        images (``data:`` ones too), scripts, styles, fonts, fetch/XHR, frames.
        From the DevTools performance log, and resource timing besides."""
        self._drain()
        timing = self.driver.execute_script("return performance.getEntriesByType('resource').map((e) => e.name);")
        for url in timing or []:
            self._add_request(str(url))
        return list(self._requests)

    def console_errors(self) -> list[str]:
        """SEVERE browser log entries (console.error, uncaught exceptions,
        failed loads) and the uncaught errors and rejections the trap saw."""
        self._drain()
        errors = [str(e["message"]) for e in self._console if e.get("level") == "SEVERE"]
        trapped = self.driver.execute_script("return window.__hsErrors ? Array.from(window.__hsErrors) : [];")
        return errors + [str(t) for t in trapped or []]

    def console_text(self) -> str:
        """The page's console output so far, one line per entry (for failure messages)."""
        with contextlib.suppress(Exception):  # a failure message must not fail itself
            self._drain()
        lines = [f"  [{e.get('level')}] {e.get('message')}" for e in self._console]
        return "console output:\n" + ("\n".join(lines) if lines else "  (none)")

    def alerts_fired(self) -> list[str]:
        """Calls of alert/confirm/prompt/print and assignments to
        ``window.__hsInjected`` on the current page, e.g. ``["alert(1)"]``:
        a script the page should never have run did run."""
        fired = self.driver.execute_script("return window.__hsFired ? Array.from(window.__hsFired) : null;")
        if fired is None:
            raise BrowserError(f"the injection trap is missing on {self._page or 'the page'}")
        return [str(f) for f in fired]

    # ------------------------------------------------------------------ interaction

    def js(self, expr: str, *args: Any) -> Any:
        """The value of a JavaScript expression (``arguments[i]`` are ``args``)."""
        return self.driver.execute_script(f"return ({expr});", *args)

    def _element(self, css: str) -> Any:
        from selenium.common.exceptions import NoSuchElementException
        from selenium.webdriver.common.by import By

        try:
            return self.driver.find_element(By.CSS_SELECTOR, css)
        except NoSuchElementException:
            raise BrowserError(f"no element matches {css!r} on {self._page}\n{self.console_text()}") from None

    def click(self, css: str) -> None:
        """Click the first element matching the CSS selector ``css``."""
        element = self._element(css)
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
        element.click()

    def type(self, css: str, text: str, *, clear: bool = True) -> None:
        """Type ``text`` into the first element matching ``css`` (emptied first
        unless ``clear`` is false)."""
        element = self._element(css)
        if clear:
            element.clear()
        element.send_keys(text)

    def texts(self, css: str) -> list[str]:
        """The rendered text (``innerText``, trimmed) of every element matching ``css``."""
        found = self.driver.execute_script(
            "return Array.from(document.querySelectorAll(arguments[0]), (e) => e.innerText.trim());", css
        )
        return [str(t) for t in found]

    def tofu(self, text: str, *, font: str = "32px sans-serif") -> list[str]:
        """The characters of ``text`` that do not render in ``font`` (they draw
        as the missing-glyph box, or as nothing); ``[]`` when all do."""
        return [str(c) for c in self.driver.execute_script(TOFU_SCRIPT, text, font)]

    def screenshot(
        self, path: str | os.PathLike[str], width: int = 1280, height: int = 900, *, full_page: bool = False
    ) -> Path:
        """Save a PNG of the page at a ``width`` x ``height`` CSS-pixel viewport;
        ``full_page`` captures the whole document height beyond the viewport.
        Returns the path written."""
        self.cdp("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        try:
            params: dict[str, Any] = {"format": "png"}
            if full_page:
                size = self.cdp("Page.getLayoutMetrics")["cssContentSize"]
                params["captureBeyondViewport"] = True
                params["clip"] = {
                    "x": 0, "y": 0, "scale": 1,
                    "width": max(width, int(size["width"])), "height": max(height, int(size["height"])),
                }  # fmt: skip
            shot = self.cdp("Page.captureScreenshot", **params)
        finally:
            self.cdp("Emulation.clearDeviceMetricsOverride")
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, base64.b64decode(shot["data"]))
        return target


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """A headless Chromium for the session; skips, saying what to install,
    when there is none."""
    try:
        browser = start()
    except Unavailable as exc:
        pytest.skip(f"browser tests not run: {exc}")
    try:
        yield browser
    finally:
        browser.close()
