"""Keeping the screens live (live.js): the "connection lost" notice comes while the server is down
and goes when it is back; every event on the stream counts, whatever its type, so an admin's change
(hall_changed) or a type the pages do not know reaches the displays at once."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from helpers import free_port
from queue_server import clock, hall_admin, store
from queue_server.web.context import get_broker
from queue_server.accounts import Principal
from queue_server.queue import Queue

from .conftest import Api, PatientServerProcess, db_of, open_page, screenshot, service_id

SHOWN = re.compile(r"\bshown\b")
NOTICE_ALLOWANCE = 8_000  # ms: the notice waits 4 s for a quick reconnect, plus noticing the loss
RESTART_ALLOWANCE = 20_000  # ms: the server needs a moment to start on a loaded machine
AT_ONCE = 3_000  # ms: a change on the stream reaches the screen well before the periodic check (15 s)


def test_the_connection_lost_notice_shows_while_the_server_is_down(hall, tokens, context, tmp_path):
    port = free_port()
    server = PatientServerProcess(tmp_path / "govhall.toml", port).start()
    try:
        kiosk = Api(server.url, tokens["kiosk"])
        kiosk.issue(service_id(hall, "最低生活保障申请"))
        display = open_page(context, server.url + "/display")
        window1 = open_page(context, server.url + "/display/window/1", 1280, 720)
        for page in (display, window1):
            page.wait_for_function("document.documentElement.dataset.live === 'online'")
            expect(page.locator("#offline")).not_to_be_visible()

        server.kill()
        # the stream is retried every 2 s; a failed retry must not put the notice off again
        for page in (display, window1):
            expect(page.locator("#offline")).to_have_class(SHOWN, timeout=NOTICE_ALLOWANCE)
            expect(page.locator("#offline")).to_be_visible()
            expect(page.locator("#offline")).to_have_text("网络连接中断，正在自动重连…")
        screenshot(display, "hall-display-offline-1920x1080")
        screenshot(window1, "window-display-offline-1280x720")

        # the hall goes on while the screens are cut off
        db = db_of(hall)
        try:
            wang = store.find_staff_login(db, "王丽")
            actor = Principal("staff", role="staff", staff_id=wang["id"])
            queue = Queue(db, hall)
            queue.open_window(1, actor)
            called = queue.call_next(1, actor)
        finally:
            db.conn.close()

        server = PatientServerProcess(tmp_path / "govhall.toml", port).start()
        for page in (display, window1):
            expect(page.locator("#offline")).not_to_have_class(SHOWN, timeout=RESTART_ALLOWANCE)
            expect(page.locator("#offline")).not_to_be_visible()
        # and the picture is the true one again
        expect(display.locator("#latest-number")).to_have_text(called["number"])
        expect(display.locator('#windows [data-window="1"] .current')).to_have_text(called["number"])
        expect(window1.locator("#current-number")).to_have_text(called["number"])
        expect(window1.locator("#staff-name")).to_have_text("王丽")
        assert display.js_errors == [] and window1.js_errors == []
    finally:
        server.stop()


def _publish(server):
    """What the admin pages do after a change: hand new events to the stream subscribers."""
    with server.app.app_context():
        get_broker().notify()


def _live_pages(context, server, window):
    hall_page = open_page(context, server.url + "/display")
    window_page = open_page(context, server.url + f"/display/window/{window}", 1280, 720)
    for page in (hall_page, window_page):
        page.wait_for_function("document.documentElement.dataset.live === 'online'")
    return hall_page, window_page


def _open(hall, window):
    """An open window has its own row on the hall screen (closed ones fold into one line)."""
    db = db_of(hall)
    try:
        staff = store.find_staff_login(db, "王丽")
        Queue(db, hall).open_window(window, Principal("staff", role="staff", staff_id=staff["id"]))
    finally:
        db.conn.close()


def test_an_admin_renaming_a_window_shows_on_the_displays_at_once(server, hall, context):
    _open(hall, 4)
    hall_page, window_page = _live_pages(context, server, 4)
    expect(window_page.locator("#window-name")).to_have_text("市场监管窗口")
    db = db_of(hall)
    try:
        admin = store.find_staff_login(db, "周管理")
        window = store.get_window(db, 4)
        hall_admin.save_window(db, admin["id"], window["id"], 4, "市场监管登记窗口")
        renamed = store.last_event_id(db)
    finally:
        db.conn.close()
    _publish(server)

    expect(hall_page.locator('#windows [data-window="4"] .wname')).to_have_text("市场监管登记窗口", timeout=AT_ONCE)
    expect(window_page.locator("#window-name")).to_have_text("市场监管登记窗口", timeout=AT_ONCE)
    for page in (hall_page, window_page):
        # the event's id counts as seen: no replay of it, and no reopening of a stream that is fine
        page.wait_for_function(f"window.govhallFeed.lastId === {renamed}", timeout=AT_ONCE)
        assert page.evaluate("window.govhallFeed.connects") == 1
        assert page.js_errors == []


def test_an_event_of_a_type_the_pages_do_not_know_still_refreshes_them(server, hall, context):
    _open(hall, 2)
    hall_page, window_page = _live_pages(context, server, 2)
    db = db_of(hall)
    try:
        # a change that comes with an event type of the future: the pages must re-read the picture
        window = store.get_window(db, 2)
        db["window"].update(window["id"], {"name": "社保综合窗口"})
        unknown = store.append_event(db, clock.to_iso(clock.utc_now()), "window_signage_changed",
                                     {"window": 2, "name": "社保综合窗口"}, window_id=window["id"])
    finally:
        db.conn.close()
    _publish(server)

    expect(hall_page.locator('#windows [data-window="2"] .wname')).to_have_text("社保综合窗口", timeout=AT_ONCE)
    expect(window_page.locator("#window-name")).to_have_text("社保综合窗口", timeout=AT_ONCE)
    for page in (hall_page, window_page):
        page.wait_for_function(f"window.govhallFeed.lastId === {unknown}", timeout=AT_ONCE)
        assert page.evaluate("window.govhallFeed.connects") == 1
        assert page.js_errors == []


def test_a_snapshot_overtaken_by_the_stream_does_not_put_the_old_picture_back(server, hall, context, tokens):
    """A snapshot read before a call, arriving after the call's event: the hall screen asks again
    instead of showing window 1 without the ticket it has just called."""
    Api(server.url, tokens["kiosk"]).issue(service_id(hall, "最低生活保障申请"))
    staff = Api(server.url, tokens["staff1"])
    staff.post("/windows/1/open")
    display = open_page(context, server.url + "/display")
    display.wait_for_function("window.govhallFeed && document.documentElement.dataset.live === 'online'")
    before_the_call = display.evaluate("() => fetch('/api/v1/display').then((response) => response.json())")
    number = staff.post("/windows/1/call-next")["number"]
    window1 = display.locator('#windows li[data-window="1"]')
    expect(window1).to_contain_text(number, timeout=AT_ONCE * 5)

    # the refresh the call's event scheduled has come and gone, so nothing else asks for a snapshot now
    display.wait_for_function("window.govhallFeed.snapshotId >= window.govhallFeed.lastId")

    # the next snapshot this page fetches is the one read before the call, as if it had been slow
    outcome = display.evaluate("""async (old) => {
        const feed = window.govhallFeed;
        const realFetch = window.fetch;
        const realApply = feed._applySnapshot;
        let asked = 0;
        const applied = [];
        window.fetch = (url, options) => {
          if (String(url).includes("/api/v1/display") && asked++ === 0) {
            return Promise.resolve(new Response(JSON.stringify(old), { headers: { "Content-Type": "application/json" } }));
          }
          return realFetch(url, options);
        };
        feed._applySnapshot = (snapshot) => { applied.push(snapshot.last_event_id); realApply.call(feed, snapshot); };
        try { await feed.refresh(); } finally { window.fetch = realFetch; delete feed._applySnapshot; }
        return { asked, applied, lastId: feed.lastId };
    }""", before_the_call)
    assert outcome["asked"] >= 2  # the overtaken snapshot was not the end of it: a fresh one was read
    assert before_the_call["last_event_id"] < outcome["lastId"]
    assert outcome["applied"] and min(outcome["applied"]) >= outcome["lastId"]  # the old picture never went up
    expect(window1).to_contain_text(number)
    assert display.js_errors == []
