"""The admin pages over a real server: who may see them, and changes that reach kiosks and
displays at once through the API and the event stream."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import requests
from PIL import Image

from queue_server import clock, hall_admin, store

from helpers import bearer

ADMIN_PAGES = ["/admin/", "/admin/departments", "/admin/services", "/admin/services/1", "/admin/services/new",
               "/admin/windows", "/admin/windows/1", "/admin/staff", "/admin/staff/1", "/admin/kiosks",
               "/admin/calendar", "/admin/events", "/admin/stats", "/admin/stats/chart/categories.png",
               "/admin/stats/export.csv", "/admin/stats/export.xlsx", "/admin/report.txt", "/admin/followup",
               "/admin/ranking"]


def test_admin_sees_every_page(admin_browser):
    for path in ADMIN_PAGES:
        response = admin_browser.get(path)
        assert response.status_code == 200, path
    assert 'href="/admin/content/"' in admin_browser.get("/admin/").text


def test_staff_kiosks_and_strangers_reach_no_admin_page(live_server, staff_browser, tokens):
    for path in ADMIN_PAGES:
        assert staff_browser.get(path).status_code == 403, path
        as_kiosk = requests.get(live_server.url + path, headers=bearer(tokens["kiosk"]), allow_redirects=False)
        assert as_kiosk.status_code == 302 and "/login" in as_kiosk.headers["Location"], path
        anonymous = requests.get(live_server.url + path, allow_redirects=False)
        assert anonymous.status_code == 302, path
    # nor can they change anything
    assert staff_browser.post("/admin/services/1/enabled", {"enabled": "0"}).status_code == 403
    kiosk_post = requests.post(live_server.url + "/admin/services/1/enabled", data={"enabled": "0"},
                               headers=bearer(tokens["kiosk"]), allow_redirects=False)
    assert kiosk_post.status_code in (302, 400)
    assert requests.get(live_server.url + "/api/v1/kiosks", headers=bearer(tokens["kiosk"])).status_code == 403
    db = store.connect(live_server.config["server"]["database"])
    assert store.get_service(db, 1)["enabled"] == 1


def test_forms_need_the_csrf_token(live_server, admin_browser):
    response = admin_browser.session.post(admin_browser.base + "/admin/services/1/enabled", data={"enabled": "0"},
                                          allow_redirects=False)
    assert response.status_code == 400
    db = store.connect(live_server.config["server"]["database"])
    assert store.get_service(db, 1)["enabled"] == 1


def stream_events(base: str, after: int, wanted: int) -> list[dict]:
    """Read /stream from event `after` until `wanted` events came (replayed or live)."""
    events = []
    with requests.get(f"{base}/api/v1/stream?last_event_id={after}", stream=True, timeout=(5, 20)) as response:
        for line in response.iter_lines(decode_unicode=True):
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
                if len(events) == wanted:
                    break
    return events


def kiosk_service(base, token, name) -> dict:
    listing = requests.get(base + "/api/v1/services", headers=bearer(token)).json()
    return next(s for d in listing["departments"] for s in d["services"] if s["name"] == name)


def test_closing_a_service_reaches_kiosks_and_displays_at_once(live_server, admin_browser, tokens):
    base = live_server.url
    db = store.connect(live_server.config["server"]["database"])
    service = store.get_service_by_name(db, "社会保障卡申领")
    before = requests.get(base + "/api/v1/display").json()
    assert kiosk_service(base, tokens["kiosk"], "社会保障卡申领")["open"] is True
    assert "社会保障卡申领" in [w["service"] for w in before["waiting"]]

    response = admin_browser.post(f"/admin/services/{service['id']}/enabled", {"enabled": "0"})
    assert response.status_code == 302

    closed = kiosk_service(base, tokens["kiosk"], "社会保障卡申领")
    assert (closed["open"], closed["enabled"], closed["closed_reason"]) == (False, False, "该事项暂停办理")
    refused = requests.post(base + "/api/v1/tickets", json={"service_id": service["id"]},
                            headers=bearer(tokens["kiosk"]))
    assert refused.status_code == 409 and refused.json()["error"] == "service_closed"
    after = requests.get(base + "/api/v1/display").json()
    assert "社会保障卡申领" not in [w["service"] for w in after["waiting"]]
    (event,) = stream_events(base, before["last_event_id"], 1)
    assert event["type"] == "hall_changed"
    assert event["data"] | {} == {"what": "service", "action": "disabled", "id": service["id"],
                                  "name": "社会保障卡申领", "enabled": False}
    assert after["last_event_id"] == event["id"]


def test_reordering_a_windows_services_reaches_the_window(live_server, admin_browser, tokens):
    base = live_server.url
    last = requests.get(base + "/api/v1/display").json()["last_event_id"]
    window = requests.get(base + "/api/v1/windows/2", headers=bearer(tokens["staff1"])).json()
    old_order = [s["id"] for s in window["services"]]
    new_order = old_order[::-1][:2]  # reversed, and the last one dropped
    form = {"number": "2", "name": "社保窗口", **{f"position_{sid}": str(i) for i, sid in enumerate(new_order, 1)}}
    assert admin_browser.post("/admin/windows/2", form).status_code == 302
    window = requests.get(base + "/api/v1/windows/2", headers=bearer(tokens["staff1"])).json()
    assert [s["id"] for s in window["services"]] == new_order
    events = stream_events(base, last, 2)  # the window's name/number, then its services
    assert [e["data"]["action"] for e in events] == ["updated", "services"]
    assert events[1]["data"]["services"] == new_order


def test_refused_changes_come_back_as_messages(admin_browser):
    response = admin_browser.post("/admin/departments", {"name": "县民政局"})
    assert response.status_code == 302
    page = admin_browser.get("/admin/departments").text
    assert "部门“县民政局”已存在" in page
    response = admin_browser.post("/admin/services/new", {"name": "新事项", "department_id": "1", "prefix": "Z",
                                                          "category": "其他", "hours": "08:30-12:00"})
    assert "事项类别须为" in admin_browser.get("/admin/services").text


def test_photo_upload_is_checked_resized_and_shown_on_the_window_display(live_server, admin_browser, tokens):
    picture = io.BytesIO()
    Image.new("RGB", (600, 600), "#3366aa").save(picture, "PNG")
    response = admin_browser.post("/admin/staff/1/photo", files={"photo": ("wangli.png", picture.getvalue(), "image/png")})
    assert response.status_code == 302
    db = store.connect(live_server.config["server"]["database"])
    assert store.get_staff(db, 1)["photo"] == "1.jpg"
    served = requests.get(live_server.url + "/admin/photos/1.jpg")  # public: the window display shows it
    assert served.status_code == 200 and served.headers["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(served.content)).size == hall_admin.PHOTO_SIZE
    requests.post(live_server.url + "/api/v1/windows/1/open", headers=bearer(tokens["staff1"]))
    display = requests.get(live_server.url + "/api/v1/display").json()
    assert next(w for w in display["windows"] if w["number"] == 1)["staff"]["photo"] == "1.jpg"
    # not a picture: refused, the old photo stays
    admin_browser.post("/admin/staff/1/photo", files={"photo": ("x.jpg", b"not an image", "image/jpeg")})
    assert "照片须为 JPEG 或 PNG 图片" in admin_browser.get("/admin/staff/1").text
    assert store.get_staff(db, 1)["photo"] == "1.jpg"
    assert requests.get(live_server.url + "/admin/photos/..%2Fgovhall.db").status_code == 404


def test_tokens_issued_and_revoked(live_server, admin_browser):
    page = admin_browser.post("/admin/staff/2/tokens").text
    token = re.search(r"<code>(gh_[^<]+)</code>", page).group(1)
    assert requests.get(live_server.url + "/api/v1/windows", headers=bearer(token)).status_code == 200
    db = store.connect(live_server.config["server"]["database"])
    token_id = store.list_staff_tokens(db, 2)[0]["id"]
    assert admin_browser.post(f"/admin/tokens/{token_id}/revoke").status_code == 302
    assert requests.get(live_server.url + "/api/v1/windows", headers=bearer(token)).status_code == 401


def test_kiosks_alert_when_silent_or_out_of_paper(live_server, admin_browser):
    page = admin_browser.post("/admin/kiosks", {"name": "大厅2号自助机"}).text
    token = re.search(r"<code>(gh_[^<]+)</code>", page).group(1)
    kiosk_id = requests.get(live_server.url + "/api/v1/kiosks/me", headers=bearer(token)).json()["id"]
    assert "从未上报心跳" in admin_browser.get("/admin/kiosks").text
    beat = requests.post(f"{live_server.url}/api/v1/kiosks/{kiosk_id}/heartbeat", headers=bearer(token),
                         json={"printer_status": "paper_out", "content_version": 7})
    assert beat.status_code == 200
    page = admin_browser.get("/admin/kiosks").text
    assert "⚠ 缺纸" in page and "从未上报心跳" not in page.split("大厅2号自助机")[1].split("</tr>")[0]
    assert "大厅2号自助机：缺纸" in admin_browser.get("/admin/").text
    db = store.connect(live_server.config["server"]["database"])
    later = clock.utc_now() + timedelta(minutes=10)
    alerts = next(k for k in hall_admin.kiosk_health(db, now=later) if k["id"] == kiosk_id)["alerts"]
    assert alerts == ["已 10 分钟无心跳", "缺纸"]
    assert admin_browser.post(f"/admin/kiosks/{kiosk_id}/revoke").status_code == 302
    assert requests.get(live_server.url + "/api/v1/kiosks/me", headers=bearer(token)).status_code == 401


def test_every_change_is_in_the_audit_trail(admin_browser):
    admin_browser.post("/admin/calendar", {"day": "2026-10-01", "kind": "holiday", "note": "国庆节"})
    admin_browser.post("/admin/staff", {"name": "吴敏", "employee_no": "HL011", "role": "staff", "password": "abc12345"})
    page = admin_browser.get("/admin/events?type=hall_changed").text
    assert "设置日历：2026-10-01 节假日 国庆节" in page and "新增人员：吴敏" in page and "周管理" in page
    assert "2026-10-01" in admin_browser.get("/admin/calendar?year=2026").text
