"""The admin's daily chores done in the admin, not on the command line: evaluator keys issued and
revoked per window, staff created only with a 工号 and a password, downloads with one charset,
and the hall's icon."""

from __future__ import annotations

import re

import requests

from helpers import bearer
from queue_server import store


def _finished_ticket(base, tokens, hall_db) -> int:
    kiosk, staff = bearer(tokens["kiosk"]), bearer(tokens["staff1"])
    service = store.get_service_by_name(hall_db, "最低生活保障申请")["id"]
    requests.post(base + "/api/v1/tickets", json={"service_id": service}, headers=kiosk, timeout=10)
    requests.post(base + "/api/v1/windows/1/open", headers=staff, timeout=10)
    ticket = requests.post(base + "/api/v1/windows/1/call-next", headers=staff, timeout=10).json()
    requests.post(base + "/api/v1/windows/1/finish", headers=staff, timeout=10)
    return ticket["id"]


def test_evaluator_keys_are_issued_and_revoked_from_the_window_page(live_server, tokens, admin_browser, hall_db):
    window = store.get_window(hall_db, 1)
    issued = admin_browser.post(f"/admin/windows/{window['id']}/evaluator-keys")
    assert issued.status_code == 200
    key = re.search(r"/evaluate/1\?key=([\w-]+)", issued.text).group(1)
    ticket_id = _finished_ticket(live_server.url, tokens, hall_db)
    rated = requests.post(live_server.url + "/api/v1/evaluations", json={"ticket_id": ticket_id, "level": 5},
                          headers=bearer(key), timeout=10)
    assert rated.status_code == 201, rated.text
    # the key is never shown again; the page lists it as 有效 and can revoke it
    page = admin_browser.get(f"/admin/windows/{window['id']}").text
    assert key not in page and "有效" in page
    token_id = int(re.search(r'data-evaluator-key="(\d+)"', page).group(1))
    assert admin_browser.post(f"/admin/tokens/{token_id}/revoke").headers["Location"].endswith(
        f"/admin/windows/{window['id']}")
    assert "已吊销" in admin_browser.get(f"/admin/windows/{window['id']}").text
    refused = requests.post(live_server.url + "/api/v1/evaluations", json={"ticket_id": ticket_id, "level": 5},
                            headers=bearer(key), timeout=10)
    assert refused.status_code == 401


def test_staff_need_a_badge_number_and_a_password(live_server, admin_browser, hall_db):
    referer = {"Referer": live_server.url + "/admin/staff"}
    admin_browser.post("/admin/staff", {"name": "吴敏", "employee_no": "", "role": "staff", "password": "abc12345"},
                       headers=referer)
    assert "请填写工号" in admin_browser.get("/admin/staff").text
    admin_browser.post("/admin/staff", {"name": "吴敏", "employee_no": "HL011", "role": "staff", "password": ""},
                       headers=referer)
    assert "密码至少 6 位" in admin_browser.get("/admin/staff").text
    assert store.find_staff_login(hall_db, "吴敏") is None  # neither half-made
    admin_browser.post("/admin/staff", {"name": "吴敏", "employee_no": "HL011", "role": "staff", "password": "abc12345"})
    made = store.find_staff_login(hall_db, "吴敏")
    assert made["employee_no"] == "HL011" and made["password_hash"]
    form = admin_browser.get("/admin/staff").text
    assert 'name="employee_no" placeholder="工号（必填）" required' in form


def test_downloads_declare_one_charset_and_the_hall_has_an_icon(live_server, admin_browser):
    for path in ("/admin/stats/export.csv", "/admin/report.txt"):
        content_type = admin_browser.get(path).headers["Content-Type"]
        assert content_type.count("charset") == 1 and content_type.endswith("charset=utf-8"), content_type
    icon = requests.get(live_server.url + "/favicon.ico", timeout=10)
    assert icon.status_code == 200 and icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert 'rel="icon" href="/favicon.ico"' in admin_browser.get("/admin/").text
