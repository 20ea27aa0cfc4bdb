"""The ticket page on a phone (/t/<token>): a chime and a buzz when three are left ahead and when
called (after the citizen turns them on: phones allow sound only after a tap), and a waiting ticket
cancelled from the page."""

from __future__ import annotations

from playwright.sync_api import expect

from .conftest import Api, events, open_page, screenshot, service_id, wait_until

ALLOWANCE = 10_000


def test_the_phone_chimes_when_near_and_when_called(server, hall, context, tokens):
    kiosk, staff = Api(server.url, tokens["kiosk"]), Api(server.url, tokens["staff1"])
    service = service_id(hall, "最低生活保障申请")
    tickets = [kiosk.issue(service) for _ in range(6)]
    mine = tickets[5]  # five ahead
    phone = open_page(context, server.url + f"/t/{mine['token']}", 390, 844)
    phone.wait_for_function("document.documentElement.dataset.live === 'online'")
    phone.click("#t-alerts")
    expect(phone.locator("#t-alerts")).to_have_text("提醒已开启")
    staff.post("/windows/1/open")

    def call_and_finish():
        staff.post("/windows/1/call-next")
        staff.post("/windows/1/finish")

    call_and_finish()  # four ahead: nothing yet
    expect(phone.locator("#t-ahead")).to_have_text("4", timeout=ALLOWANCE)
    assert phone.evaluate("window.govhallTicketAlerts.log") == []
    call_and_finish()  # three ahead: the first alert
    expect(phone.locator("#t-alert")).to_have_text("前面还有 3 人，请到候号区留意叫号", timeout=ALLOWANCE)
    log = phone.evaluate("window.govhallTicketAlerts.log")
    assert [entry["kind"] for entry in log] == ["near"] and log[0]["sound"], log
    screenshot(phone, "ticket-near-390x844")
    for _ in range(3):
        call_and_finish()
    expect(phone.locator("#t-ahead")).to_have_text("0", timeout=ALLOWANCE)
    assert len(phone.evaluate("window.govhallTicketAlerts.log")) == 1  # once on the way down
    staff.post("/windows/1/call-next")
    expect(phone.locator("#t-alert")).to_have_text("请到 1 号窗口办理", timeout=ALLOWANCE)
    staff.post("/windows/1/recall")  # called again: signalled again
    phone.wait_for_function("window.govhallTicketAlerts.log.length === 3", timeout=ALLOWANCE)
    kinds = [entry["kind"] for entry in phone.evaluate("window.govhallTicketAlerts.log")]
    assert kinds == ["near", "called", "called"]
    screenshot(phone, "ticket-called-390x844")
    assert phone.js_errors == []


def test_a_waiting_ticket_is_cancelled_from_the_phone(server, hall, context, tokens):
    kiosk = Api(server.url, tokens["kiosk"])
    ticket = kiosk.issue(service_id(hall, "社会保障卡申领"))
    phone = open_page(context, server.url + f"/t/{ticket['token']}", 390, 844)
    expect(phone.locator("#t-cancel")).to_be_visible()
    questions = []
    phone.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    phone.click("#t-cancel")
    expect(phone.locator("#t-status")).to_have_text("号票已取消", timeout=ALLOWANCE)
    expect(phone.locator("#t-cancel")).to_be_hidden()
    assert questions and ticket["number"] in questions[0]
    cancelled = wait_until(lambda: events(hall, "ticket_cancelled"))
    assert cancelled[0]["data"]["number"] == ticket["number"]
    screenshot(phone, "ticket-cancelled-390x844")
    assert phone.js_errors == []
