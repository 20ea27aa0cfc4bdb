"""Retiring a window or a service: from the hall file (`retired = true`) or the admin's button, it
leaves the hall display, the kiosk's service list and call-next; its tickets stay in the statistics."""

from __future__ import annotations

import requests

from helpers import DEMO_HALL, bearer
from queue_server import stats, store
from queue_server.hall import load_hall


def _service_names(base, kiosk_token):
    departments = requests.get(base + "/api/v1/services", headers=bearer(kiosk_token), timeout=10).json()["departments"]
    return {s["name"] for d in departments for s in d["services"]}


def _display(base):
    return requests.get(base + "/api/v1/display", timeout=10).json()


def test_a_retired_window_and_service_leave_display_kiosk_and_call_next(live_server, tokens, admin_browser,
                                                                        hall_db):
    base = live_server.url
    staff1 = bearer(tokens["staff1"])
    legal_aid = store.get_service_by_name(hall_db, "法律援助申请")["id"]
    # a day's history first: one 法律援助 ticket served and finished at window 1
    ticket = requests.post(base + "/api/v1/tickets", json={"service_id": legal_aid},
                           headers=bearer(tokens["kiosk"]), timeout=10).json()
    assert requests.post(base + "/api/v1/windows/1/open", headers=staff1, timeout=10).status_code == 200
    assert requests.post(base + "/api/v1/windows/1/call-next", headers=staff1, timeout=10).json()["number"] == \
        ticket["number"]
    assert requests.post(base + "/api/v1/windows/1/finish", headers=staff1, timeout=10).status_code == 200

    # a service with people waiting is not retired: they would never be called
    waiting = requests.post(base + "/api/v1/tickets", json={"service_id": legal_aid},
                            headers=bearer(tokens["kiosk"]), timeout=10).json()
    refused = admin_browser.post(f"/admin/services/{legal_aid}/retired", {"retired": "1"},
                                 headers={"Referer": base + "/admin/services"})
    assert refused.status_code == 302
    assert "人等候" in admin_browser.get("/admin/services").text
    assert "法律援助申请" in _service_names(base, tokens["kiosk"])
    assert requests.post(base + "/api/v1/windows/1/call-next", headers=staff1, timeout=10).json()["number"] == \
        waiting["number"]
    assert requests.post(base + "/api/v1/windows/1/finish", headers=staff1, timeout=10).status_code == 200

    assert admin_browser.post(f"/admin/services/{legal_aid}/retired", {"retired": "1"}).status_code == 302
    assert "法律援助申请" not in _service_names(base, tokens["kiosk"])
    assert "法律援助申请" not in {s["service"] for s in _display(base)["waiting"]}
    issue = requests.post(base + "/api/v1/tickets", json={"service_id": legal_aid},
                          headers=bearer(tokens["kiosk"]), timeout=10)
    assert issue.status_code == 409 and "停止办理" in issue.json()["message"]
    # the statistics still count its two tickets, by its name
    day = store.get_ticket(hall_db, ticket["id"])["local_day"]
    figures = stats.hall_statistics(hall_db, live_server.config, stats.Period(day, day))
    by_name = {row["service"]: row for row in figures["by_service"]}
    assert by_name["法律援助申请"]["issued"] == 2, by_name["法律援助申请"]

    # a window in use is not retired; closed, it is — and leaves the display and call-next
    window_1 = store.get_window(hall_db, 1)
    refused = admin_browser.post(f"/admin/windows/{window_1['id']}/retired", {"retired": "1"},
                                 headers={"Referer": base + "/admin/windows"})
    assert "请先关闭窗口" in admin_browser.get("/admin/windows").text
    assert 1 in {w["number"] for w in _display(base)["windows"]}
    assert requests.post(base + "/api/v1/windows/1/close", headers=staff1, timeout=10).status_code == 200
    assert admin_browser.post(f"/admin/windows/{window_1['id']}/retired", {"retired": "1"}).status_code == 302
    assert 1 not in {w["number"] for w in _display(base)["windows"]}
    reopened = requests.post(base + "/api/v1/windows/1/open", headers=staff1, timeout=10)
    assert reopened.status_code == 409 and "已停用" in reopened.json()["message"]
    assert "已停用" in admin_browser.get("/admin/windows").text

    # brought back, it is on the display again
    assert admin_browser.post(f"/admin/windows/{window_1['id']}/retired", {"retired": "0"}).status_code == 302
    assert 1 in {w["number"] for w in _display(base)["windows"]}


def test_load_hall_retires_by_the_hall_file(tmp_path, hall_config, hall_db):
    text = DEMO_HALL.read_text(encoding="utf-8")
    text = text.replace('name = "应急管理窗口"\n', 'name = "应急管理窗口"\nretired = true\n')
    text = text.replace('name = "法律援助申请"\n', 'name = "法律援助申请"\nretired = true\n', 1)
    path = tmp_path / "hall-retired.toml"
    path.write_text(text, encoding="utf-8")
    load_hall(hall_db, path)
    assert store.get_window(hall_db, 6)["retired"] == 1
    assert store.get_service_by_name(hall_db, "法律援助申请")["retired"] == 1
    assert 6 not in {w["number"] for w in store.list_windows(hall_db, include_retired=False)}
    assert 6 in {w["number"] for w in store.list_windows(hall_db)}  # the statistics and the admin still see it
    # the plain file again brings both back
    load_hall(hall_db, DEMO_HALL)
    assert store.get_window(hall_db, 6)["retired"] == 0
    assert store.get_service_by_name(hall_db, "法律援助申请")["retired"] == 0
