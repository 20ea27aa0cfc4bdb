"""An admin voids a rating from the console: reached from the statistics and from the 差评 case, with
a reason, behind the CSRF token, written to the event log; the rating then counts nowhere and its
case is withdrawn. One screenshot of the page, as the admin sees it, in headless Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from helpers import ARTIFACTS, LiveServer, bearer, signed_in_client
from queue_server import clock, store

API = "/api/v1"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
REASON = "评价器误触：经调取窗口监控核实，群众离开后保洁人员碰到了屏幕"


@pytest.fixture
def bad_rating(app, tokens) -> dict:
    """A ticket served at window 1 and rated 非常不满意 by the citizen (which opens a case)."""
    client = app.test_client()
    ticket = client.post(API + "/tickets", json={"service_id": 1}, headers=bearer(tokens["kiosk"])).get_json()
    client.post(API + "/windows/1/open", headers=bearer(tokens["staff1"]))
    for action in ("call-next", "finish"):
        assert client.post(API + f"/windows/1/{action}", headers=bearer(tokens["staff1"])).status_code == 200
    rated = client.post(API + f"/tickets/{ticket['token']}/evaluation",
                        json={"level": 1, "comment": "等了四十分钟，窗口一直没人", "reasons": ["等候时间长"]})
    assert rated.status_code == 201, rated.get_json()
    db = store.connect(app.config["GOVHALL"]["server"]["database"])
    evaluation = store.get_evaluation_detail(db, rated.get_json()["id"])
    db.conn.close()
    assert evaluation["followup_case_id"]
    return evaluation


def stored(app, evaluation_id) -> dict:
    db = store.connect(app.config["GOVHALL"]["server"]["database"])
    try:
        return store.get_evaluation_detail(db, evaluation_id)
    finally:
        db.conn.close()


def page(client, path) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, path
    return answer.get_data(as_text=True)


def test_the_admin_reaches_the_rating_from_statistics_and_from_its_case(app, bad_rating):
    admin = signed_in_client(app, "周管理")
    rating_page = f"/admin/evaluations/{bad_rating['id']}"
    assert "/admin/evaluations?" in page(admin, "/admin/stats")
    today = clock.local_day(clock.utc_now(), app.config["GOVHALL"]["hall"]["timezone"])
    listing = page(admin, f"/admin/evaluations?from={today}&to={today}")
    assert bad_rating["ticket_number"] in listing and f'href="{rating_page}"' in listing
    assert f'href="{rating_page}"' in page(admin, f"/admin/followup/{bad_rating['followup_case_id']}")
    form = page(admin, rating_page)
    assert "非常不满意" in form and "等了四十分钟" in form
    assert f'action="{rating_page}/void"' in form and 'name="csrf_token"' in form and 'name="reason" rows="3" required' in form


def test_voiding_needs_an_admin_a_reason_and_the_csrf_token(app, bad_rating):
    void = f"/admin/evaluations/{bad_rating['id']}/void"
    admin = signed_in_client(app, "周管理")
    without_token = admin.post(void, data={"reason": REASON})
    assert without_token.status_code == 400
    staff = signed_in_client(app, "王丽")
    assert staff.post(void, data={"reason": REASON, "csrf_token": staff.csrf}).status_code == 403
    blank = admin.post(void, data={"reason": "   ", "csrf_token": admin.csrf}, follow_redirects=True)
    assert "请填写作废理由" in blank.get_data(as_text=True)
    assert stored(app, bad_rating["id"])["voided_at"] is None


def test_a_voided_rating_keeps_who_and_why_and_counts_nowhere(app, bad_rating):
    admin = signed_in_client(app, "周管理")
    answer = admin.post(f"/admin/evaluations/{bad_rating['id']}/void", data={"reason": REASON, "csrf_token": admin.csrf})
    assert answer.status_code == 302 and answer.location.endswith(f"/admin/evaluations/{bad_rating['id']}")
    after = stored(app, bad_rating["id"])
    assert after["voided_at"] and after["void_reason"] == REASON and after["voided_by_name"] == "周管理"
    assert after["followup_case_id"] is None  # the case is withdrawn
    shown = page(admin, f"/admin/evaluations/{bad_rating['id']}")
    assert "已作废" in shown and REASON in shown and 'action="' + f"/admin/evaluations/{bad_rating['id']}/void" not in shown
    db = store.connect(app.config["GOVHALL"]["server"]["database"])
    audit = store.list_events(db, types=["evaluation_voided"])
    db.conn.close()
    assert len(audit) == 1 and audit[0]["data"]["reason"] == REASON
    again = admin.post(f"/admin/evaluations/{bad_rating['id']}/void", data={"reason": REASON, "csrf_token": admin.csrf},
                       follow_redirects=True)
    assert "该评价已作废" in again.get_data(as_text=True)


def test_the_void_form_as_the_admin_sees_it(app, hall_config, bad_rating):
    admin = signed_in_client(app, "周管理")
    server = LiveServer(hall_config)  # the same installation's secret: the session cookie is good there
    shot = ARTIFACTS / "admin" / "evaluation_void.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            context.add_cookies([{"name": "session", "value": admin.get_cookie("session").value,
                                  "url": server.url}])
            tab = context.new_page()
            tab.goto(f"{server.url}/admin/evaluations/{bad_rating['id']}")
            tab.fill("textarea[name=reason]", REASON)
            tab.screenshot(path=str(shot), full_page=True)
            tab.once("dialog", lambda dialog: dialog.accept())  # 作废这条评价？
            tab.click("button.danger")
            tab.wait_for_selector("text=已作废")
            assert REASON in tab.content()
            tab.screenshot(path=str(shot.with_name("evaluation_voided.png")), full_page=True)
            browser.close()
    finally:
        server.stop()
    assert stored(app, bad_rating["id"])["voided_at"]
