"""A window's own screen is sized by its short side: on a 1920x480 LED strip and on a TV turned to
1080x1920 the called number is whole on the screen and large."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import Api, open_page, screenshot, service_id

NUMBER_BOX = """() => { const n = document.getElementById('current-number'); const box = n.getBoundingClientRect();
  const range = document.createRange(); range.selectNodeContents(n); const text = range.getBoundingClientRect();
  return { left: text.left, right: text.right, top: text.top, bottom: text.bottom,
           px: parseFloat(getComputedStyle(n).fontSize), boxRight: box.right }; }"""


@pytest.mark.parametrize("width,height,smallest_px", [(1920, 480, 200), (1080, 1920, 200), (1920, 1080, 250)])
def test_the_called_number_fills_the_screen_it_has(server, hall, context, tokens, width, height, smallest_px):
    Api(server.url, tokens["kiosk"]).issue(service_id(hall, "最低生活保障申请"))
    staff = Api(server.url, tokens["staff1"])
    staff.post("/windows/1/open")
    ticket = staff.post("/windows/1/call-next")
    page = open_page(context, server.url + "/display/window/1", width, height)
    expect(page.locator("#current-number")).to_have_text(ticket["number"])
    page.evaluate("document.fonts.ready")
    screenshot(page, f"window-called-{width}x{height}")
    found = page.evaluate(NUMBER_BOX)
    assert found["left"] >= 0 and found["right"] <= width and found["top"] >= 0 and found["bottom"] <= height, found
    assert found["px"] >= smallest_px, found
    assert page.js_errors == []
