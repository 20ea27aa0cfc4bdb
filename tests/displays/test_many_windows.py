"""A big hall's screen: 40 windows open at once, on a 1920x1080 screen and on one turned on its side
(1080x1920). Every open window's current number is on the screen, in type read from across the hall,
none over another; closed windows fold into one line; a called number is told apart from one being
served; each service shows who should get ready. Past what tiles can hold, the windows turn pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from queue_server import hall_admin, store
from queue_server.accounts import Principal
from queue_server.queue import Queue

from .conftest import db_of, open_page, screenshot

MIN_NUMBER_PX_AT_1080 = 40  # read from 5 m

# Each shown window: its ticket number's box and type size, and whether it blinks (called).
WINDOW_NUMBERS = """() => [...document.querySelectorAll('#windows .window-row')]
  .filter((row) => getComputedStyle(row).display !== 'none')
  .map((row) => {
    const number = row.querySelector('.cnum');
    const box = (number || row).getBoundingClientRect();
    return { window: Number(row.dataset.window), text: number ? number.textContent : null,
             px: number ? parseFloat(getComputedStyle(number).fontSize) : 0,
             left: box.left, right: box.right, top: box.top, bottom: box.bottom,
             called: row.classList.contains('called'), serving: row.classList.contains('serving') };
  })"""


def big_hall(config, windows: int, open_windows: int) -> dict:
    """Windows 11..`windows` added to the demo hall's ten, all serving the demo's services; the first
    `open_windows` of all are opened by the admin and call a ticket; the even ones start serving."""
    db = db_of(config)
    try:
        admin = store.find_staff_login(db, "周管理")
        services = [s["id"] for s in store.list_services(db)]
        for number in range(11, windows + 1):
            window_id = hall_admin.save_window(db, admin["id"], None, number, f"综合受理{number}号")
            hall_admin.set_window_services(db, admin["id"], window_id, services[number % 5::5][:4])
        queue = Queue(db, config)
        actor = Principal("staff", role="admin", staff_id=admin["id"])
        for index in range(open_windows * 2):
            queue.issue_ticket(services[index % len(services)])
        called = {}
        for number in range(1, open_windows + 1):
            queue.open_window(number, actor)
            called[number] = queue.call_next(number, actor)["number"]
            if number % 2 == 0:
                queue.start(number, actor)
        return called
    finally:
        db.conn.close()


def _check_numbers(page, called: dict, width: int, height: int):
    shown = page.evaluate(WINDOW_NUMBERS)
    assert {row["window"]: row["text"] for row in shown} == called
    smallest_px = MIN_NUMBER_PX_AT_1080 * min(width, height) / 1080
    for row in shown:
        assert row["left"] >= 0 and row["top"] >= 0 and row["right"] <= width and row["bottom"] <= height, row
        assert row["px"] >= smallest_px, row
        assert row["called"] == (row["window"] % 2 == 1) and row["serving"] == (row["window"] % 2 == 0), row
    for index, one in enumerate(shown):
        for other in shown[index + 1:]:
            apart = (one["right"] <= other["left"] or other["right"] <= one["left"]
                     or one["bottom"] <= other["top"] or other["bottom"] <= one["top"])
            assert apart, (one, other)


@pytest.mark.parametrize("width,height", [(1920, 1080), (1080, 1920)])
def test_forty_open_windows_each_readable_none_overlapping(server, hall, context, width, height):
    called = big_hall(hall, windows=44, open_windows=40)
    page = open_page(context, server.url + "/display", width, height)
    expect(page.locator("#windows .window-row")).to_have_count(40)
    page.evaluate("document.fonts.ready")
    page.wait_for_timeout(300)
    screenshot(page, f"hall-40-windows-{width}x{height}")
    _check_numbers(page, called, width, height)
    expect(page.locator("#windows-closed")).to_have_text("未开放：41、42、43、44号窗口")
    assert page.locator("#windows-page").inner_text() == ""  # all on one page
    # a service with people waiting says who should get ready
    assert page.locator("#waiting li:not(.none) .next b").count() >= 1
    assert page.js_errors == []


def test_sixty_windows_turn_pages_on_a_turned_screen(server, hall, context):
    called = big_hall(hall, windows=60, open_windows=60)
    page = open_page(context, server.url + "/display", 1080, 1920)
    expect(page.locator("#windows .window-row")).to_have_count(60)
    page.evaluate("document.fonts.ready")
    seen = {}
    pages = int(page.locator("#windows").get_attribute("data-pages"))
    assert pages > 1
    screenshot(page, "hall-60-windows-1080x1920")
    for turn in range(pages):
        shown = page.evaluate(WINDOW_NUMBERS)
        assert all(row["px"] >= MIN_NUMBER_PX_AT_1080 and row["bottom"] <= 1920 for row in shown), shown
        seen.update({row["window"]: row["text"] for row in shown})
        if turn < pages - 1:
            page.wait_for_function(  # the next page comes by itself
                "(before) => document.getElementById('windows-page').textContent !== before",
                arg=page.locator("#windows-page").inner_text(), timeout=15000)
    assert seen == called
    assert page.js_errors == []
