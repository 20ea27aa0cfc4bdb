"""The evaluator after a bad rating: 不满意 and 非常不满意 ask why (taps and an optional line), and the
evaluation is sent with those reasons; a good rating is sent at once."""

from __future__ import annotations

from playwright.sync_api import expect

from queue_server import store

from .conftest import Api, db_of, evaluator_key, open_page, screenshot, service_id

ALLOWANCE = 10_000


def _finish_one(server, hall, tokens):
    kiosk, staff = Api(server.url, tokens["kiosk"]), Api(server.url, tokens["staff1"])
    kiosk.issue(service_id(hall, "最低生活保障申请"))
    staff.post("/windows/1/open", expect=(200, 409))  # the second time it is already open
    ticket = staff.post("/windows/1/call-next")
    staff.post("/windows/1/finish", {"outcome": "办结"})
    return ticket


def test_a_bad_rating_asks_why_and_sends_the_reasons(server, hall, context, tokens):
    tablet = open_page(context, server.url + f"/evaluate/1?key={evaluator_key(hall, 1)}", 1280, 800)
    tablet.wait_for_function("document.documentElement.dataset.live === 'online'")
    sent = []
    tablet.on("request", lambda request: sent.append(request.post_data_json)
              if request.url.endswith("/api/v1/evaluations") else None)

    ticket = _finish_one(server, hall, tokens)
    expect(tablet.locator("#eval-ask")).to_be_visible(timeout=ALLOWANCE)
    tablet.click('[data-level="2"]')
    expect(tablet.locator("#eval-reasons")).to_be_visible()
    expect(tablet.locator("#eval-reasons h1")).to_have_text("很抱歉让您不满意")
    assert sent == []  # nothing sent before the citizen says why (or gives up)
    tablet.click('[data-reason="等候时间太长"]')
    tablet.click('[data-reason="一次性告知不清楚"]')
    tablet.click('[data-reason="其他"]')
    tablet.click('[data-reason="其他"]')  # a second tap takes it back
    tablet.fill("#eval-comment", "第二次来才知道要带户口本")
    screenshot(tablet, "evaluator-reasons-1280x800")
    tablet.click("#eval-reasons-send")
    expect(tablet.locator("#eval-thanks")).to_be_visible()
    assert sent == [{"ticket_id": ticket["id"], "level": 2, "reasons": ["等候时间太长", "一次性告知不清楚"],
                     "comment": "第二次来才知道要带户口本"}]
    db = db_of(hall)
    try:
        saved = store.get_evaluation_for_ticket(db, ticket["id"])
    finally:
        db.conn.close()
    assert (saved["level"], saved["comment"]) == (2, "第二次来才知道要带户口本")

    # a good rating goes at once, with no reasons screen
    tablet.wait_for_function("document.body.dataset.screen === 'idle'", timeout=ALLOWANCE)
    second = _finish_one(server, hall, tokens)
    expect(tablet.locator("#eval-ask")).to_be_visible(timeout=ALLOWANCE)
    tablet.click('[data-level="5"]')
    expect(tablet.locator("#eval-thanks")).to_be_visible()
    assert sent[-1] == {"ticket_id": second["id"], "level": 5}
    assert tablet.js_errors == []


def test_walking_away_from_the_reasons_still_records_the_level(server, hall, context, tokens):
    tablet = open_page(context, server.url + f"/evaluate/1?key={evaluator_key(hall, 1)}&timeout=3", 1280, 800)
    tablet.wait_for_function("document.documentElement.dataset.live === 'online'")
    ticket = _finish_one(server, hall, tokens)
    expect(tablet.locator("#eval-ask")).to_be_visible(timeout=ALLOWANCE)
    tablet.click('[data-level="1"]')
    tablet.click('[data-reason="服务态度不好"]')
    expect(tablet.locator("#eval-thanks")).to_be_visible(timeout=ALLOWANCE)
    db = db_of(hall)
    try:
        assert store.get_evaluation_for_ticket(db, ticket["id"])["level"] == 1
        assert store.list_followup_cases(db)[0]["level"] == 1  # the 差评 opened its case
    finally:
        db.conn.close()
    assert tablet.js_errors == []
