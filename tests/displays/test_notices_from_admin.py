"""The hall screen's ticker is edited in the admin and changes on the screen at once, without a reload."""

from __future__ import annotations

from playwright.sync_api import expect

from .conftest import login, open_page, screenshot


def test_notices_edited_in_the_admin_reach_the_hall_screen_at_once(server, hall, context):
    screen = open_page(context, server.url + "/display")
    screen.wait_for_function("document.documentElement.dataset.live === 'online'")
    admin = login(context, server.url, name="周管理")
    admin.goto(server.url + "/admin/")
    admin.fill('textarea[name="notices"]', "本周六正常办公\n\n医保业务请携带社会保障卡")
    admin.click('form[action="/admin/notices"] button[type=submit]')
    expect(admin.locator(".flash")).to_have_text("大厅屏公告已更新")
    expect(screen.locator("#ticker")).to_have_text("本周六正常办公　　★　　医保业务请携带社会保障卡", timeout=10_000)
    assert screen.evaluate("performance.getEntriesByType('navigation').length") == 1  # never reloaded
    screenshot(screen, "hall-notices-from-admin-1920x1080")
    # emptied: no notices at all (the config file's do not come back)
    admin.fill('textarea[name="notices"]', "")
    admin.click('form[action="/admin/notices"] button[type=submit]')
    expect(screen.locator("#ticker")).to_have_text("", timeout=10_000)
    assert screen.js_errors == [] and admin.js_errors == []
