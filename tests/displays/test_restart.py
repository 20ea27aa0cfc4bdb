"""A display that lost its server comes back by itself and shows the true picture: the calls
made while it was away, and live calls after. Runs the production server (`govhall serve`)."""

from __future__ import annotations

from datetime import timedelta

import requests

from playwright.sync_api import expect

from helpers import free_port
from queue_server import clock, store
from queue_server.accounts import Principal
from queue_server.queue import Queue

from .conftest import Api, PatientServerProcess, db_of, open_page, screenshot, service_id

ALLOWANCE = 15_000  # ms: the browser retries every 2 s, the server needs a moment to start


def test_a_display_shows_the_calls_made_while_the_server_was_down(hall, tokens, context, tmp_path):
    port = free_port()
    server = PatientServerProcess(tmp_path / "govhall.toml", port).start()
    try:
        kiosk = Api(server.url, tokens["kiosk"])
        numbers = [kiosk.issue(service_id(hall, "社会保障卡申领"))["number"] for _ in range(4)]
        staff1, staff2 = Api(server.url, tokens["staff1"]), Api(server.url, tokens["staff2"])
        staff2.post("/windows/2/open")
        staff1.post("/windows/3/open")
        staff2.post("/windows/2/call-next")
        display = open_page(context, server.url + "/display")
        window3 = open_page(context, server.url + "/display/window/3", 1280, 720)
        expect(display.locator("#latest-number")).to_have_text(numbers[0])
        display.wait_for_function("document.documentElement.dataset.live === 'online'")

        server.kill()
        display.wait_for_function("document.documentElement.dataset.live === 'offline'", timeout=ALLOWANCE)

        # while the server is down, the hall goes on (a second process, the CLI, a restore...)
        db = db_of(hall)
        queue = Queue(db, hall)
        zhao, wang = store.find_staff_login(db, "赵建国"), store.find_staff_login(db, "王丽")
        queue.finish(2, Principal("staff", role="staff", staff_id=zhao["id"]))
        away_2 = queue.call_next(2, Principal("staff", role="staff", staff_id=zhao["id"]))
        away_3 = queue.call_next(3, Principal("staff", role="staff", staff_id=wang["id"]))
        last_id = store.last_event_id(db)
        db.conn.close()

        server = PatientServerProcess(tmp_path / "govhall.toml", port).start()
        expect(display.locator("#latest-number")).to_have_text(away_3["number"], timeout=ALLOWANCE)
        expect(display.locator("#latest-window")).to_have_text("3")
        expect(display.locator(f'#calls tr[data-number="{away_2["number"]}"]')).to_have_count(1)
        expect(display.locator('#windows [data-window="2"] .current')).to_have_text(away_2["number"])
        expect(display.locator("#waiting-total")).to_have_text("1")
        expect(window3.locator("#current-number")).to_have_text(away_3["number"], timeout=ALLOWANCE)
        # the stream replayed what was missed, not just the snapshot
        display.wait_for_function(f"window.govhallFeed.lastId >= {last_id}", timeout=ALLOWANCE)

        # and it is live again
        staff2.post("/windows/2/finish")
        after = staff2.post("/windows/2/call-next")
        expect(display.locator("#latest-number")).to_have_text(after["number"], timeout=ALLOWANCE)
        expect(display.locator("#offline")).not_to_be_visible()
        screenshot(display, "hall-display-after-restart-1920x1080")
        screenshot(window3, "window-display-after-restart-1280x720")
        assert display.js_errors == [] and window3.js_errors == []
    finally:
        server.stop()


def test_yesterdays_calls_are_not_shown_as_the_latest(server, hall, context):
    """A display switched on in the morning shows an empty call list, not last night's calls."""
    db = db_of(hall)
    yesterday = clock.to_iso(clock.utc_now() - timedelta(days=1))
    store.append_event(db, yesterday, "ticket_called", {"number": "A099", "window": 1, "window_name": "民政综合窗口"})
    db.conn.close()
    display = open_page(context, server.url + "/display")
    expect(display.locator("#latest-window-name")).to_have_text("暂无叫号")
    expect(display.locator("#calls tr")).to_have_count(0)
    assert "A099" not in display.content()
    # the server's snapshot already holds only today's calls
    snapshot = requests.get(server.url + "/api/v1/display", timeout=10).json()
    assert all(call["number"] != "A099" for call in snapshot["calls"])
    assert display.js_errors == []
