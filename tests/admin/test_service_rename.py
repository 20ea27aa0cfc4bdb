"""Renaming a service in the admin console keeps its 办事指南: the guide, keyed by the service's
name in the content store, moves with it, and kiosks get it under the new name."""

from __future__ import annotations

import requests

from content.store import ContentStore
from queue_server import store

from .test_admin_refusals import flashed, service_form

GUIDE = {"service": "帮办代办", "department": "县政务服务中心", "conditions": "行动不便或不熟悉办事流程的群众",
         "materials": ["本人身份证", "委托书（代办时）"], "time_limit": "即时办理", "fees": "不收费"}


def test_renaming_a_service_carries_its_guide_to_the_new_name(live_server, admin_browser):
    base, config = live_server.url, live_server.config
    with ContentStore(config["content"]["database"]) as content:
        guide_id = content.save_guide(GUIDE)
        version = content.version()
    db = store.connect(config["server"]["database"])
    service = store.get_service_by_name(db, "帮办代办")

    response = admin_browser.post(f"/admin/services/{service['id']}", service_form(db, service["id"], name="帮办代办服务"))
    assert response.status_code == 302 and "事项已保存" in flashed(admin_browser, "/admin/services")
    assert store.get_service(db, service["id"])["name"] == "帮办代办服务"

    moved = requests.get(base + "/api/v1/content/guides/帮办代办服务")
    assert moved.status_code == 200
    assert moved.json()["id"] == guide_id and moved.json()["materials"] == GUIDE["materials"]
    assert requests.get(base + "/api/v1/content/guides/帮办代办").status_code == 404
    # a kiosk asking for what changed since its last version gets the guide under its new name
    changes = requests.get(f"{base}/api/v1/content?since={version}").json()
    assert [(g["id"], g["service"]) for g in changes["guides"]] == [(guide_id, "帮办代办服务")]
    hits = requests.get(base + "/api/v1/content/search", params={"q": "帮办代办服务"}).json()["results"]
    assert ("guide", guide_id, "帮办代办服务") in [(h["kind"], h["id"], h["title"]) for h in hits]
    # the guides page shows it against the service, not as an orphan
    page = admin_browser.get("/admin/content/guides").text
    assert "没有对应服务事项的指南" not in page
    assert "原名“帮办代办”" in admin_browser.get("/admin/events?type=hall_changed").text


def test_a_rename_onto_a_name_that_has_a_guide_is_refused_and_changes_nothing(live_server, admin_browser):
    config = live_server.config
    with ContentStore(config["content"]["database"]) as content:
        content.save_guide(GUIDE)
        content.save_guide(GUIDE | {"service": "帮办代办服务", "fees": "另一份"})
    db = store.connect(config["server"]["database"])
    service = store.get_service_by_name(db, "帮办代办")

    admin_browser.post(f"/admin/services/{service['id']}", service_form(db, service["id"], name="帮办代办服务"))
    assert "“帮办代办服务”已有办事指南" in flashed(admin_browser, "/admin/services")
    assert store.get_service(db, service["id"])["name"] == "帮办代办"  # the hall's change rolled back
    with ContentStore(config["content"]["database"]) as content:
        assert content.guide_for_service("帮办代办")["fees"] == "不收费"
        assert content.guide_for_service("帮办代办服务")["fees"] == "另一份"


def test_other_changes_leave_the_guide_alone(live_server, admin_browser):
    config = live_server.config
    with ContentStore(config["content"]["database"]) as content:
        content.save_guide(GUIDE)
        version = content.version()
    db = store.connect(config["server"]["database"])
    service = store.get_service_by_name(db, "帮办代办")
    admin_browser.post(f"/admin/services/{service['id']}", service_form(db, service["id"], daily_cap="40"))
    assert store.get_service(db, service["id"])["daily_cap"] == 40
    with ContentStore(config["content"]["database"]) as content:
        assert content.version() == version and content.guide_for_service("帮办代办")
