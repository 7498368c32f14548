"""setup/screenshots' parts in a real headless Chromium, on local pages (no Odoo): the browser
starts, waits for a selector, captures and stops; a view is refused when Odoo shows an error
dialog or the page is blank. The whole script runs against the demo: ./setup/screenshots."""

import io
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "setup"))

import headless_chromium
import screenshots

try:
    headless_chromium.find_browser()
except headless_chromium.BrowserError as exc:
    pytest.skip(str(exc), allow_module_level=True)


def page(html):
    return "data:text/html," + quote(f"<body style='margin:0;font-family:sans-serif'>{html}</body>")


@pytest.fixture(scope="module")
def browser():
    with headless_chromium.HeadlessChromium(640, 400) as chromium:
        yield chromium
    assert chromium.process.poll() is not None, "the browser outlived its context"


def test_waits_for_a_selector_and_captures_the_viewport(browser):
    browser.navigate(page("<h1 id='title'>Etsy</h1><div style='height:200px;background:#c60'>"))
    assert browser.wait_for("!!document.querySelector('#title')", 10)
    assert not browser.wait_for("!!document.querySelector('#missing')", 0.5)
    png = browser.screenshot()
    assert Image.open(io.BytesIO(png)).size == (640, 400)
    smaller = screenshots.optimised("page", png)
    assert Image.open(io.BytesIO(smaller)).mode == "P"
    assert len(smaller) < len(png)


def test_an_error_dialog_fails_the_view_at_once(browser, monkeypatch, tmp_path):
    monkeypatch.setattr(screenshots, "LOAD_SECONDS", 30)
    monkeypatch.setattr(screenshots.tempfile, "gettempdir", lambda: str(tmp_path))
    browser.navigate(page("<div class='o_error_dialog'>Odoo Server Error</div>"))
    started = time.monotonic()
    with pytest.raises(screenshots.ScreenshotError, match="an error dialog: Odoo Server Error"):
        screenshots.wait_until_ready(browser, "order", ".o_form_view")
    assert time.monotonic() - started < 10
    # What the browser showed is kept for whoever looks into it.
    assert (tmp_path / "etsy_screenshot_order_failed.png").stat().st_size


def test_the_login_page_is_no_view(browser, monkeypatch, tmp_path):
    monkeypatch.setattr(screenshots, "LOAD_SECONDS", 1)
    monkeypatch.setattr(screenshots.tempfile, "gettempdir", lambda: str(tmp_path))
    browser.navigate(page("<form class='oe_login_form'><input id='password'></form>"))
    with pytest.raises(screenshots.ScreenshotError, match="the login page"):
        screenshots.wait_until_ready(browser, "dashboard", ".o_kanban_renderer")


def test_a_blank_picture_is_refused():
    blank = io.BytesIO()
    Image.new("RGB", (64, 64), "white").save(blank, format="PNG")
    with pytest.raises(screenshots.ScreenshotError, match="blank"):
        screenshots.optimised("dashboard", blank.getvalue())
