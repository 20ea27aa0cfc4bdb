"""The pages in headless Chromium against a real server: a call made on the workstation shows on
the hall and window displays; keys and double clicks on the workstation; the speaker; the
evaluator; the ticket page on a phone. Screenshots go to $GOVHALL_ARTIFACTS/displays/."""

from __future__ import annotations

import io
import wave

import requests
from playwright.sync_api import expect

from helpers import bearer
from queue_server import store

from .conftest import (Api, db_of, evaluator_key, events, login, open_page, screenshot, service_id, take_window,
                       wait_until)

ALLOWANCE = 10_000  # ms Playwright waits for a page to catch up (a loaded machine, not a latency target)


def latest_event(config, type_) -> dict:
    found = events(config, type_)
    return found[-1] if found else None


def test_a_call_on_the_workstation_shows_on_the_hall_and_window_displays(server, hall, context, tokens):
    kiosk = Api(server.url, tokens["kiosk"])
    first = kiosk.issue(service_id(hall, "最低生活保障申请"))
    kiosk.issue(service_id(hall, "临时救助申请"))
    hall_page = open_page(context, server.url + "/display")
    window_page = open_page(context, server.url + "/display/window/1", 1280, 720)
    expect(window_page.locator("#state-label")).to_have_text("本窗口暂未开放")

    staff = login(context, server.url)
    take_window(staff, 1)
    expect(staff.locator("#waiting-list tr")).to_have_count(2)
    staff.keyboard.press("n")

    expect(hall_page.locator("#latest-number")).to_have_text(first["number"], timeout=ALLOWANCE)
    expect(hall_page.locator("#latest-window")).to_have_text("1")
    expect(hall_page.locator('#windows [data-window="1"] .current')).to_have_text(first["number"])
    expect(hall_page.locator("#calls tr").first).to_have_attribute("data-number", first["number"])
    expect(window_page.locator("#current-number")).to_have_text(first["number"], timeout=ALLOWANCE)
    expect(window_page.locator("#staff-name")).to_have_text("王丽")
    expect(window_page.locator("#staff-no")).to_have_text("HL001")
    expect(staff.locator("#current-number")).to_have_text(first["number"])
    # the waiting counts follow: one left for window 1's services
    expect(hall_page.locator("#waiting-total")).to_have_text("1", timeout=ALLOWANCE)
    expect(staff.locator("#waiting-list tr")).to_have_count(1)

    # pausing shows 暂停服务 over the window
    staff.keyboard.press("f")
    staff.keyboard.press("1")
    expect(staff.locator("#current-number")).to_have_text("—")
    staff.keyboard.press("p")
    staff.keyboard.press("1")
    expect(window_page.locator("#state-label")).to_have_text("暂停服务", timeout=ALLOWANCE)
    expect(window_page.locator("#current-service")).to_have_text("临时离开")
    expect(hall_page.locator('#windows [data-window="1"] .state')).to_have_text("暂停服务", timeout=ALLOWANCE)
    screenshot(hall_page, "hall-display-1920x1080")
    screenshot(window_page, "window-display-paused-1280x720")
    screenshot(staff, "staff-paused-1366x768")
    for page in (hall_page, window_page, staff):
        assert page.js_errors == []


def test_a_double_click_calls_one_ticket(server, hall, context, tokens):
    kiosk = Api(server.url, tokens["kiosk"])
    for _ in range(3):
        kiosk.issue(service_id(hall, "最低生活保障申请"))
    staff = login(context, server.url)
    take_window(staff, 1)
    staff.dblclick('[data-action="call-next"]')
    # and a script-fast pair of clicks, faster than any hand
    staff.wait_for_function("!document.body.dataset.busy")
    expect(staff.locator("#current-number")).not_to_have_text("—")
    assert len(events(hall, "ticket_called")) == 1
    staff.keyboard.press("f")
    staff.keyboard.press("1")
    expect(staff.locator("#current-number")).to_have_text("—")
    staff.evaluate("""() => { const b = document.querySelector('[data-action="call-next"]'); b.click(); b.click(); }""")
    staff.wait_for_function("!document.body.dataset.busy")
    expect(staff.locator("#current-number")).not_to_have_text("—")
    assert len(events(hall, "ticket_called")) == 2
    assert staff.locator("#message").inner_text().startswith("已呼叫")


def test_every_action_has_a_key(server, hall, context, tokens):
    kiosk = Api(server.url, tokens["kiosk"])
    numbers = [kiosk.issue(service_id(hall, "最低生活保障申请"))["number"] for _ in range(5)]
    staff = login(context, server.url)
    take_window(staff, 1)

    def press_and_wait(keys, event_type, count=1):
        for key in keys:
            staff.keyboard.press(key)
        wait_until(lambda: len(events(hall, event_type)) >= count)
        staff.wait_for_function("!document.body.dataset.busy")
        return latest_event(hall, event_type)

    assert press_and_wait(["n"], "ticket_called")["data"]["number"] == numbers[0]
    assert press_and_wait(["r"], "ticket_recalled")["data"]["number"] == numbers[0]
    assert press_and_wait(["s"], "ticket_serving")["data"]["status"] == "serving"
    finished = press_and_wait(["f", "2"], "ticket_finished")
    assert finished["data"]["outcome"] == "受理"
    press_and_wait(["n"], "ticket_called", 2)
    assert press_and_wait(["m"], "ticket_no_show")["data"]["number"] == numbers[1]
    press_and_wait(["n"], "ticket_called", 3)
    assert press_and_wait(["h"], "ticket_held")["data"]["number"] == numbers[2]
    press_and_wait(["n"], "ticket_called", 4)
    staff.keyboard.press("t")
    staff.select_option("#transfer-service", label="县人力资源和社会保障局 · 失业登记")
    staff.select_option("#transfer-window", value="2")
    screenshot(staff, "staff-transfer-dialog-1366x768")
    staff.click("#transfer-form button[type=submit]")
    transferred = wait_until(lambda: latest_event(hall, "ticket_transferred"))
    assert transferred["data"]["service"] == "失业登记" and transferred["data"]["to_window"] == 2
    staff.wait_for_function("!document.body.dataset.busy")
    staff.keyboard.press("p")
    staff.fill("#pause-reason", "窗口设备检修")
    staff.keyboard.press("Enter")
    assert wait_until(lambda: latest_event(hall, "window_paused"))["data"]["pause_reason"] == "窗口设备检修"
    staff.wait_for_function("!document.body.dataset.busy")
    expect(staff.locator("#desk-state")).to_contain_text("暂停服务")
    assert press_and_wait(["p"], "window_resumed")["data"]["state"] == "open"
    # 过号返回: the missed ticket comes back into line
    staff.fill("#requeue-number", numbers[1])
    staff.click('#requeue-form button[type=submit]')
    assert wait_until(lambda: latest_event(hall, "ticket_requeued"))["data"]["number"] == numbers[1]
    # today's counts: one finished, and the waiting list shows what is left
    staff.wait_for_function("!document.body.dataset.busy")
    expect(staff.locator("#count-done")).to_have_text("1")
    expect(staff.locator("#requeue-number")).to_have_value("")
    screenshot(staff, "staff-workstation-1366x768")
    assert staff.js_errors == []


def test_the_speaker_plays_each_call_in_turn(server, hall, context, tokens):
    hall["voice"]["repeat"] = 1  # one sentence per call keeps the test short; the order is what matters
    kiosk = Api(server.url, tokens["kiosk"])
    kiosk.issue(service_id(hall, "最低生活保障申请"))
    kiosk.issue(service_id(hall, "社会保障卡申领"))
    speaker = open_page(context, server.url + "/display?audio=1")
    speaker.wait_for_function("window.govhallFeed && document.documentElement.dataset.live === 'online'")
    staff1, staff2 = Api(server.url, tokens["staff1"]), Api(server.url, tokens["staff2"])
    staff1.post("/windows/1/open")
    staff2.post("/windows/2/open")
    first = staff1.post("/windows/1/call-next")
    second = staff2.post("/windows/2/call-next")  # at once: the second waits for the first

    log = speaker.wait_for_function("window.govhallSpeaker.log.length >= 2 && window.govhallSpeaker.log",
                                    timeout=40_000).json_value()
    assert [entry["event_id"] for entry in log] == [first["event_id"], second["event_id"]]
    assert all("error" not in entry for entry in log), log
    assert log[1]["started"] >= log[0]["ended"]  # never over each other
    for entry in log:
        wav = requests.get(f"{server.url}/api/v1/announcements/{entry['event_id']}.wav", timeout=10).content
        with wave.open(io.BytesIO(wav)) as clip:
            seconds = clip.getnframes() / clip.getframerate()
        assert abs(entry["duration"] - seconds) < 0.05  # the browser decoded the whole WAV
        assert (entry["ended"] - entry["started"]) / 1000 >= seconds * 0.9  # and played it through
    assert speaker.js_errors == []


def test_the_evaluator_records_one_level_for_the_ticket_just_finished(server, hall, context, tokens):
    key = evaluator_key(hall, 1)
    kiosk, staff = Api(server.url, tokens["kiosk"]), Api(server.url, tokens["staff1"])
    kiosk.issue(service_id(hall, "最低生活保障申请"))
    tablet = open_page(context, server.url + f"/evaluate/1?key={key}", 1280, 800)
    expect(tablet.locator("#eval-idle")).to_be_visible()
    assert "key=" not in tablet.url  # the token left the address bar for the tablet's storage
    assert tablet.evaluate("localStorage.getItem('govhall.evaluator.1')") == key
    tablet.wait_for_function("document.documentElement.dataset.live === 'online'")
    screenshot(tablet, "evaluator-idle-1280x800")

    staff.post("/windows/1/open")
    ticket = staff.post("/windows/1/call-next")
    staff.post("/windows/1/finish", {"outcome": "办结"})
    expect(tablet.locator("#eval-ask")).to_be_visible(timeout=ALLOWANCE)
    expect(tablet.locator("#eval-number")).to_have_text(ticket["number"])
    screenshot(tablet, "evaluator-ask-1280x800")
    tablet.click('[data-level="4"]')
    expect(tablet.locator("#eval-thanks")).to_be_visible()
    screenshot(tablet, "evaluator-thanks-1280x800")
    db = db_of(hall)
    try:
        saved = store.get_evaluation_for_ticket(db, ticket["id"])
        wangli = store.find_staff_login(db, "王丽")
        window = store.get_window(db, 1)
    finally:
        db.conn.close()
    assert (saved["level"], saved["window_id"], saved["staff_id"], saved["source"]) == \
        (4, window["id"], wangli["id"], "evaluator")
    # once: the tablet does not ask again, and the API refuses a second level
    tablet.wait_for_function("document.body.dataset.screen === 'idle'", timeout=ALLOWANCE)
    again = requests.post(server.url + "/api/v1/evaluations", json={"ticket_id": ticket["id"], "level": 1},
                          headers=bearer(key), timeout=10)
    assert again.status_code == 409
    assert len(events(hall, "evaluation_recorded")) == 1
    assert tablet.js_errors == []


def test_an_unanswered_evaluation_records_nothing(server, hall, context, tokens):
    key = evaluator_key(hall, 1)
    kiosk, staff = Api(server.url, tokens["kiosk"]), Api(server.url, tokens["staff1"])
    kiosk.issue(service_id(hall, "最低生活保障申请"))
    tablet = open_page(context, server.url + f"/evaluate/1?key={key}&timeout=3", 1280, 800)
    tablet.wait_for_function("document.documentElement.dataset.live === 'online'")
    staff.post("/windows/1/open")
    ticket = staff.post("/windows/1/call-next")
    staff.post("/windows/1/finish")
    expect(tablet.locator("#eval-ask")).to_be_visible(timeout=ALLOWANCE)
    tablet.wait_for_function("document.body.dataset.screen === 'idle'", timeout=ALLOWANCE)
    db = db_of(hall)
    try:
        assert store.get_evaluation_for_ticket(db, ticket["id"]) is None
    finally:
        db.conn.close()


def test_the_ticket_page_follows_the_ticket_on_a_phone(server, hall, context, tokens):
    kiosk, staff = Api(server.url, tokens["kiosk"]), Api(server.url, tokens["staff1"])
    service = service_id(hall, "最低生活保障申请")
    kiosk.issue(service)
    mine = kiosk.issue(service)
    phone = open_page(context, mine["status_url"].replace("http://127.0.0.1:8080", server.url), 390, 844)
    expect(phone.locator("#t-number")).to_have_text(mine["number"])
    expect(phone.locator("#t-status")).to_have_text("排队等候中")
    expect(phone.locator("#t-ahead")).to_have_text("1")
    phone.wait_for_function("document.documentElement.dataset.live === 'online'")
    screenshot(phone, "ticket-waiting-390x844")
    staff.post("/windows/1/open")
    staff.post("/windows/1/call-next")
    expect(phone.locator("#t-ahead")).to_have_text("0", timeout=ALLOWANCE)
    staff.post("/windows/1/finish")
    staff.post("/windows/1/call-next")
    expect(phone.locator("#t-status")).to_have_text("请到 1 号窗口办理", timeout=ALLOWANCE)
    expect(phone.locator("#t-window")).to_contain_text("1号窗口")
    screenshot(phone, "ticket-called-390x844")
    # fits a phone: nothing wider than the screen
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.js_errors == []


def test_the_citizen_rates_a_finished_ticket_on_the_phone_once(server, hall, context, tokens):
    kiosk, staff = Api(server.url, tokens["kiosk"]), Api(server.url, tokens["staff1"])
    mine = kiosk.issue(service_id(hall, "最低生活保障申请"))
    phone = open_page(context, mine["status_url"].replace("http://127.0.0.1:8080", server.url), 390, 844)
    phone.wait_for_function("document.documentElement.dataset.live === 'online'")
    expect(phone.locator("#rate")).to_be_hidden()  # nothing to rate while waiting
    staff.post("/windows/1/open")
    staff.post("/windows/1/call-next")
    staff.post("/windows/1/finish")
    expect(phone.locator("#rate")).to_be_visible(timeout=ALLOWANCE)
    expect(phone.locator("#rate-send")).to_be_disabled()
    phone.locator("#rate [data-level='2']").click()
    phone.locator("#rate-comment").fill("窗口说明材料要求不清楚")
    screenshot(phone, "ticket-rate-390x844")
    phone.locator("#rate-send").click()
    expect(phone.locator("#rated-detail")).to_have_text("您的评价：不满意", timeout=ALLOWANCE)
    expect(phone.locator("#rate")).to_be_hidden()
    screenshot(phone, "ticket-rated-390x844")
    db = db_of(hall)
    try:
        saved = store.get_evaluation_for_ticket(db, mine["id"])
        assert (saved["level"], saved["source"], saved["comment"]) == (2, "citizen", "窗口说明材料要求不清楚")
        assert store.get_followup_case_by_evaluation(db, saved["id"]) is not None
    finally:
        db.conn.close()
    # reloaded later: the rating given, no second one offered
    phone.reload()
    expect(phone.locator("#rated-detail")).to_have_text("您的评价：不满意")
    expect(phone.locator("#rate")).to_be_hidden()
    assert phone.js_errors == []


def test_the_pages_run_under_their_csp(server, hall, browser, tokens):
    """No bypass here: the hall screen, a window screen, the evaluator, the ticket page and the login
    page load, go live and act with the real Content-Security-Policy, and Chromium reports no
    violation."""
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    violations = []
    try:
        kiosk, staff = Api(server.url, tokens["kiosk"]), Api(server.url, tokens["staff1"])
        mine = kiosk.issue(service_id(hall, "最低生活保障申请"))
        pages = {}
        for path in ("/display", "/display/window/1", "/evaluate/1", "/t/" + mine["token"], "/login", "/book"):
            page = context.new_page()
            page.on("console", lambda message: violations.append(message.text)
                    if "Content Security Policy" in message.text else None)
            page.goto(server.url + path)
            pages[path] = page
        staff.post("/windows/1/open")
        staff.post("/windows/1/call-next")
        expect(pages["/display"].locator("#latest-number")).to_have_text(mine["number"], timeout=ALLOWANCE)
        expect(pages["/t/" + mine["token"]].locator("#t-status")).to_have_text("请到 1 号窗口办理", timeout=ALLOWANCE)
        staff.post("/windows/1/finish")
        expect(pages["/t/" + mine["token"]].locator("#rate")).to_be_visible(timeout=ALLOWANCE)
        assert violations == []
    finally:
        context.close()
