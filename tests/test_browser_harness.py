"""The browser harness catches what a page must never do, on small pages made here.

Each check of an HTML output (no request of any kind, no console error, no
injected script ran) is only as good as the harness's ability to see the
opposite: so each is proved on a page that does it, and on one that does not.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import pytest

import browser
from browser import Browser, BrowserError, chromium

__all__ = ["chromium"]  # the fixture, imported for the tests below

CLEAN = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>clean</title>
<style>body { font: 16px sans-serif; }</style></head>
<body><h1>Clean</h1><ul><li class="item">one</li><li class="item">two</li></ul>
<svg width="20" height="20"><rect width="20" height="20" fill="#2e7d32"/></svg>
<script>window.hsReady = true;</script></body></html>"""


def page(tmp_path: Path, body: str, name: str = "page.html", head: str = "") -> Path:
    path = tmp_path / name
    path.write_text(
        f'<!doctype html><html><head><meta charset="utf-8">{head}</head><body>{body}</body></html>', encoding="utf-8"
    )
    return path


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


# --------------------------------------------------------------------------- requests


def test_a_clean_page_makes_no_request(chromium: Browser, tmp_path: Path) -> None:
    path = tmp_path / "clean.html"
    path.write_text(CLEAN, encoding="utf-8")
    seconds = chromium.open(path, wait_for="window.hsReady === true")
    assert seconds > 0
    assert chromium.requests() == []
    assert chromium.console_errors() == []
    assert chromium.alerts_fired() == []


def test_an_http_image_is_caught(chromium: Browser, tmp_path: Path) -> None:
    chromium.open(page(tmp_path, '<img src="http://example.invalid/x.png" alt="">'))
    assert "http://example.invalid/x.png" in chromium.requests()


def test_a_fetch_is_caught(chromium: Browser, tmp_path: Path) -> None:
    body = """<script>
      fetch('https://example.invalid/api/data').catch(() => {}).finally(() => { window.done = true; });
    </script>"""
    chromium.open(page(tmp_path, body), wait_for="window.done === true")
    assert "https://example.invalid/api/data" in chromium.requests()


def test_a_request_made_after_load_is_caught(chromium: Browser, tmp_path: Path) -> None:
    body = """<button id="go">go</button><script>
      document.getElementById('go').addEventListener('click', () => {
        const xhr = new XMLHttpRequest(); xhr.open('GET', 'http://example.invalid/later');
        xhr.onloadend = () => { window.done = true; }; xhr.send();
      });
    </script>"""
    chromium.open(page(tmp_path, body))
    assert chromium.requests() == []
    chromium.click("#go")
    chromium.wait_for("window.done === true")
    assert chromium.requests() == ["http://example.invalid/later"]


def test_data_images_web_fonts_styles_and_local_files_are_caught(chromium: Browser, tmp_path: Path) -> None:
    pixel = (
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
        "+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    )
    head = (
        '<link rel="stylesheet" href="https://cdn.example.invalid/x.css">'
        "<style>@font-face { font-family: W; src: url(https://fonts.example.invalid/w.woff2); }"
        " p { font-family: W; }</style>"
    )
    body = f'<p>text</p><img src="{pixel}" alt=""><img src="x" alt="">'
    chromium.open(page(tmp_path, body, head=head))
    chromium.wait_for("document.fonts.status === 'loaded'")
    seen = chromium.requests()
    assert "https://cdn.example.invalid/x.css" in seen
    assert any(url.startswith("data:image/png") for url in seen)
    assert (tmp_path / "x").as_uri() in seen  # a relative src is a request for a local file
    assert "https://fonts.example.invalid/w.woff2" in seen


def test_each_page_starts_with_no_requests_of_the_previous_one(chromium: Browser, tmp_path: Path) -> None:
    chromium.open(page(tmp_path, '<img src="http://example.invalid/y.png" alt="">', "dirty.html"))
    assert chromium.requests() != []
    clean = tmp_path / "clean.html"
    clean.write_text(CLEAN, encoding="utf-8")
    chromium.open(clean)
    assert chromium.requests() == []
    assert chromium.console_errors() == []


# --------------------------------------------------------------------------- errors and injected scripts


def test_a_throwing_page_is_caught(chromium: Browser, tmp_path: Path) -> None:
    body = """<script>
      setTimeout(() => { window.done = true; }, 0);
      Promise.reject(new Error('rejected on purpose'));
      throw new Error('thrown on purpose');
    </script>"""
    chromium.open(page(tmp_path, body), wait_for="window.done === true")
    errors = "\n".join(chromium.console_errors())
    assert "thrown on purpose" in errors
    assert "rejected on purpose" in errors


def test_console_error_is_caught(chromium: Browser, tmp_path: Path) -> None:
    chromium.open(page(tmp_path, "<script>console.error('logged on purpose');</script>"))
    assert any("logged on purpose" in e for e in chromium.console_errors())


@pytest.mark.parametrize(
    ("payload", "trace"),
    [
        ("<script>alert(1)</script>", "alert(1)"),
        ('"><img src=x onerror=alert(2)>', "alert(2)"),
        ("<svg onload=confirm('x')></svg>", "confirm(x)"),
        ("<script>window.__hsInjected = 'yes'</script>", "__hsInjected = yes"),
    ],
)
def test_an_injected_script_that_runs_is_caught(chromium: Browser, tmp_path: Path, payload: str, trace: str) -> None:
    chromium.open(page(tmp_path, f"<p>{payload}</p><script>window.done = true</script>"), wait_for="window.done")
    chromium.wait_for("window.__hsFired.length > 0", timeout=5)
    assert trace in chromium.alerts_fired()


def test_an_escaped_payload_does_not_fire(chromium: Browser, tmp_path: Path) -> None:
    import html

    payload = html.escape('<script>alert(1)</script>"><img src=x onerror=alert(2)>')
    chromium.open(page(tmp_path, f"<p id='name'>{payload}</p>"))
    assert chromium.alerts_fired() == []
    assert chromium.requests() == []
    assert chromium.texts("#name") == ['<script>alert(1)</script>"><img src=x onerror=alert(2)>']


def test_a_wait_that_times_out_says_what_and_shows_the_console(chromium: Browser, tmp_path: Path) -> None:
    chromium.open(page(tmp_path, "<script>console.log('still loading data');</script>"))
    with pytest.raises(BrowserError, match=r"window\.hsReady === true") as caught:
        chromium.wait_for("window.hsReady === true", timeout=0.3)
    assert "still loading data" in str(caught.value)


def test_open_with_a_condition_that_never_holds_fails_clearly(chromium: Browser, tmp_path: Path) -> None:
    with pytest.raises(BrowserError, match=r"timed out after .* waiting for 'window.never'"):
        chromium.open(page(tmp_path, "<p>x</p>"), wait_for="window.never", timeout=0.5)


# --------------------------------------------------------------------------- interaction


def test_click_type_texts_and_js(chromium: Browser, tmp_path: Path) -> None:
    body = """<input id="q"><button id="b">add</button><ul id="out"></ul><script>
      document.getElementById('b').addEventListener('click', () => {
        const li = document.createElement('li'); li.textContent = document.getElementById('q').value;
        document.getElementById('out').appendChild(li);
      });
    </script>"""
    chromium.open(page(tmp_path, body))
    chromium.type("#q", "Acme 株式会社")
    chromium.click("#b")
    chromium.type("#q", "second")
    chromium.click("#b")
    assert chromium.texts("#out li") == ["Acme 株式会社", "second"]
    assert chromium.js("document.querySelectorAll('#out li').length") == 2
    assert chromium.js("location.hash = '#queue'") == "#queue"
    assert chromium.js("location.hash") == "#queue"


def test_a_missing_element_is_named(chromium: Browser, tmp_path: Path) -> None:
    chromium.open(page(tmp_path, "<p>x</p>"))
    with pytest.raises(BrowserError, match=r"no element matches '\[data-page=next\]'"):
        chromium.click("[data-page=next]")


# --------------------------------------------------------------------------- screenshots and Japanese text


def test_screenshot_of_the_viewport_and_of_the_full_page(chromium: Browser, tmp_path: Path) -> None:
    chromium.open(page(tmp_path, '<div style="height: 2400px; background: #f9a825">tall</div>'))
    viewport = chromium.screenshot(tmp_path / "shots" / "view.png", 800, 600)
    full = chromium.screenshot(tmp_path / "shots" / "full.png", 800, 600, full_page=True)
    assert png_size(viewport) == (800, 600)
    width, height = png_size(full)
    assert width == 800
    assert height >= 2400


def test_japanese_text_renders_with_real_glyphs(chromium: Browser, tmp_path: Path) -> None:
    line = "顧客ヘルススコア: 要注意のアカウント、更新日まで残り30日"
    chromium.open(page(tmp_path, f'<p lang="ja" style="font: 24px sans-serif">{line}</p>'))
    missing = chromium.tofu(line)
    if missing:
        pytest.fail(
            f"Japanese characters render as empty boxes: {''.join(missing)!r}; "
            "install a CJK font (apt-get install fonts-noto-cjk)"
        )
    assert chromium.tofu("\U0010fffd") == ["\U0010fffd"]  # the check itself sees a missing glyph
    shot = chromium.screenshot(tmp_path / "ja.png", 900, 120)
    assert png_size(shot) == (900, 120)


# --------------------------------------------------------------------------- without a browser


def test_without_chromium_the_reason_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HEALTHSCORE_CHROMIUM", str(tmp_path / "no-such-chromium"))
    with pytest.raises(browser.Unavailable, match=r"apt-get install chromium chromium-driver"):
        browser.start()


def test_without_chromedriver_the_reason_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HEALTHSCORE_CHROMEDRIVER", str(tmp_path / "no-such-driver"))
    with pytest.raises(browser.Unavailable, match=r"chromedriver not found: .*chromium-driver"):
        browser.start()


def test_without_selenium_the_reason_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "selenium", None)
    with pytest.raises(browser.Unavailable, match=r"pip install selenium"):
        browser.start()
