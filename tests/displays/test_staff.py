"""The staff workstation in hard moments: the server gone while a staff member works (a clear
Chinese message, and the desk usable again when the server is back), and an admin at a window a
staff member holds (acts on it without taking it)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from helpers import free_port
from queue_server import store

from .conftest import (Api, PatientServerProcess, db_of, events, login, screenshot, service_id,
                       take_window)

ALLOWANCE = 10_000  # ms Playwright waits for a page to catch up (a loaded machine, not a latency target)
RESTART_ALLOWANCE = 20_000  # ms: the server needs a moment to start on a loaded machine
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


def test_the_workstation_says_in_chinese_that_the_server_is_gone_and_recovers(hall, tokens, context, tmp_path):
    port = free_port()
    server = PatientServerProcess(tmp_path / "govhall.toml", port).start()
    try:
        kiosk = Api(server.url, tokens["kiosk"])
        first = kiosk.issue(service_id(hall, "最低生活保障申请"))
        staff = login(context, server.url)
        take_window(staff, 1)
        staff.wait_for_function("document.documentElement.dataset.live === 'online'")

        server.kill()
        call_next = staff.locator('[data-action="call-next"]')
        call_next.click()
        message = staff.locator("#message")
        expect(message).to_have_text("服务器连接中断，请稍后重试", timeout=ALLOWANCE)
        assert not LATIN_WORD.search(message.inner_text())  # never "Failed to fetch"
        expect(message).to_have_class(re.compile(r"\berror\b"))
        staff.wait_for_function("!document.body.dataset.busy")
        expect(call_next).to_be_enabled()  # the failed click did not lock the desk
        expect(staff.locator("#live-state")).to_have_text("连接中断，正在重连…", timeout=ALLOWANCE)
        screenshot(staff, "staff-server-down-1366x768")
        assert events(hall, "ticket_called") == []

        server = PatientServerProcess(tmp_path / "govhall.toml", port).start()
        expect(staff.locator("#live-state")).to_have_text("实时连接正常", timeout=RESTART_ALLOWANCE)
        expect(message).to_have_text("服务器连接已恢复，可以继续操作")
        expect(call_next).to_be_enabled()
        call_next.click()
        expect(staff.locator("#current-number")).to_have_text(first["number"], timeout=ALLOWANCE)
        expect(message).to_have_text(f"已呼叫 {first['number']}")
        assert len(events(hall, "ticket_called")) == 1
        assert staff.js_errors == []
    finally:
        server.stop()


def _holder_of(config, number):
    db = db_of(config)
    try:
        return store.get_window(db, number)["staff_id"]
    finally:
        db.conn.close()


def _staff_id(config, name):
    db = db_of(config)
    try:
        return store.find_staff_login(db, name)["id"]
    finally:
        db.conn.close()


def test_an_admin_acts_on_a_held_window_without_taking_it(server, hall, context, tokens):
    kiosk, wang = Api(server.url, tokens["kiosk"]), Api(server.url, tokens["staff1"])
    first = kiosk.issue(service_id(hall, "最低生活保障申请"))
    wang.post("/windows/1/open")

    admin = login(context, server.url, name="周管理")
    row = admin.locator('#window-list li[data-window="1"]')
    expect(row.locator(".holder")).to_have_text("王丽 已登录（开放）")
    expect(row.locator("button")).to_have_text("代为操作")
    screenshot(admin, "staff-admin-picker-1366x768")
    row.locator("button").click()

    expect(admin.locator("#desk-window")).to_have_text("1号窗口")
    expect(admin.locator("#desk-holder")).to_have_text("代为操作 · 王丽（HL001） 已登录本窗口")
    expect(admin.locator("#close-window")).to_have_text("关闭窗口")
    admin.keyboard.press("n")
    expect(admin.locator("#current-number")).to_have_text(first["number"], timeout=ALLOWANCE)
    expect(admin.locator("#message")).to_have_text(f"已呼叫 {first['number']}")
    screenshot(admin, "staff-admin-acting-1366x768")
    # the window is still 王丽's, and the call was made at her window
    assert _holder_of(hall, 1) == _staff_id(hall, "王丽")
    assert events(hall, "ticket_called")[-1]["data"]["window"] == 1

    # a reload keeps the admin at the window they were acting on
    admin.reload()
    expect(admin.locator("#desk-holder")).to_have_text("代为操作 · 王丽（HL001） 已登录本窗口")

    # back to the list: nothing closed, nothing taken
    admin.click("#leave-desk")
    expect(admin.locator("#picker")).to_be_visible()
    expect(row.locator(".holder")).to_have_text("王丽 已登录（开放）")
    assert _holder_of(hall, 1) == _staff_id(hall, "王丽")
    assert events(hall, "window_closed") == []
    assert admin.js_errors == []


def test_the_window_list_follows_who_holds_each_window(server, hall, context, tokens):
    admin = login(context, server.url, name="周管理")
    admin.wait_for_function("document.documentElement.dataset.live === 'online'")
    button = admin.locator('#window-list button[data-window="2"]')
    expect(button).to_have_text("登录此窗口")
    # 赵建国 takes window 2 while the admin looks at the list: the admin is offered 代为操作, not a refusal
    Api(server.url, tokens["staff2"]).post("/windows/2/open")
    expect(button).to_have_text("代为操作", timeout=ALLOWANCE)

    # a staff member sees who holds it and cannot take it
    other = context.browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", bypass_csp=True)
    try:
        wang = login(other, server.url)
        taken = wang.locator('#window-list button[data-window="2"]')
        expect(taken).to_have_text("已由 赵建国 登录")
        expect(taken).to_be_disabled()
        take_window(wang, 1)  # a free one is hers to take
        assert _holder_of(hall, 1) == _staff_id(hall, "王丽")
        assert wang.js_errors == []
    finally:
        other.close()
    assert admin.js_errors == []
