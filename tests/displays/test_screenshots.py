"""Every page at the size of the screen it runs on, in a busy hall, saved for a person to look
at ($GOVHALL_ARTIFACTS/displays/). Each must render its content without a JavaScript error."""

from __future__ import annotations

from playwright.sync_api import expect

from queue_server import store
from queue_server.accounts import Principal
from queue_server.queue import Queue

from .conftest import db_of, evaluator_key, login, open_page, screenshot


def busy_hall(config) -> dict:
    """Tickets for most services, six windows open and calling, one paused; returns a waiting ticket."""
    db = db_of(config)
    try:
        queue = Queue(db, config)
        services = store.list_services(db)
        for index, service in enumerate(services[:16]):
            for _ in range(1 + index % 3):
                waiting = queue.issue_ticket(service["id"])
        people = store.list_staff(db)
        for number, person in zip(range(1, 7), people):
            actor = Principal("staff", role="staff", staff_id=person["id"])
            queue.open_window(number, actor)
            queue.call_next(number, actor)
            if number % 2:
                queue.start(number, actor)
        actor = Principal("staff", role="staff", staff_id=people[6]["id"])
        queue.open_window(8, actor)
        queue.pause(8, actor, "业务培训")
        return waiting
    finally:
        db.conn.close()


def test_every_page_at_its_real_size(server, hall, context):
    waiting = busy_hall(hall)
    errors = {}

    def shot(path, name, width, height, ready):
        page = open_page(context, server.url + path, width, height)
        expect(page.locator(ready[0])).to_contain_text(ready[1])
        page.wait_for_timeout(300)  # let the first refresh settle before the picture
        screenshot(page, f"page-{name}-{width}x{height}")
        errors[path] = page.js_errors
        page.close()  # each holds a stream; Chromium allows six connections to one server

    shot("/display", "hall", 1920, 1080, ("#windows", "暂停服务"))
    shot("/display", "hall", 1366, 768, ("#windows", "暂停服务"))
    shot("/display?audio=1", "hall-speaker", 1920, 1080, ("#latest-number", "0"))
    shot("/display/window/3", "window-serving", 1280, 720, ("#state-label", "正在办理"))
    shot("/display/window/2", "window-called", 1920, 1080, ("#state-label", "请以下号码到本窗口办理"))
    shot("/display/window/8", "window-paused", 1280, 720, ("#state-label", "暂停服务"))
    shot("/display/window/10", "window-closed", 1280, 720, ("#state-label", "暂未开放"))
    shot(f"/evaluate/3?key={evaluator_key(hall, 3)}", "evaluator-idle", 1280, 800, ("#eval-idle", "欢迎"))
    shot("/evaluate/4", "evaluator-unconfigured", 1280, 800, ("#eval-setup", "尚未配置"))
    shot(f"/t/{waiting['token']}", "ticket", 390, 844, ("#t-status", "排队等候中"))
    shot("/t/not-a-ticket", "ticket-missing", 390, 844, ("h1", "没有找到"))

    staff = login(context, server.url, name="周管理")  # an admin may sit at any window
    expect(staff.locator("#window-list li")).to_have_count(10)
    screenshot(staff, "page-staff-picker-1366x768")
    staff.click('#window-list button[data-window="9"]')
    expect(staff.locator("#desk-window")).to_have_text("9号窗口")
    staff.keyboard.press("f")  # nothing to finish: the key does nothing, no dialog
    expect(staff.locator("#finish-dialog")).not_to_be_visible()
    staff.keyboard.press("p")
    expect(staff.locator("#pause-dialog")).to_be_visible()
    screenshot(staff, "page-staff-pause-dialog-1366x768")
    staff.keyboard.press("Escape")
    screenshot(staff, "page-staff-desk-1366x768")

    errors["/staff"] = staff.js_errors
    assert all(found == [] for found in errors.values()), errors
