"""The admin content pages in headless Chromium: an admin pins and hides a document, adds
an announcement, and the kiosk API follows. Screenshots go to $GOVHALL_ARTIFACTS."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests
from playwright.sync_api import sync_playwright

from content.demo import load_demo_content
from content.store import ContentStore
from queue_server import store as hall_store
from queue_server.auth import set_password

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
ARTIFACTS = Path(os.environ.get("GOVHALL_ARTIFACTS", "/tmp/govhall-artifacts"))


@pytest.fixture
def browser_page():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        yield page
        chromium.close()


def test_admin_pins_hides_and_announces(hall_config, live_server, browser_page):
    with ContentStore(hall_config["content"]["database"]) as server_store:
        load_demo_content(server_store)
        target = next(d for d in server_store.documents() if "烟花爆竹" in d["title"])
    db = hall_store.connect(hall_config["server"]["database"])
    set_password(db, "周管理", "secret123")
    db.conn.close()
    page = browser_page
    page.goto(live_server.url + "/login")
    page.fill("input[name=login]", "周管理")
    page.fill("input[name=password]", "secret123")
    page.click("button[type=submit]")

    page.goto(live_server.url + "/admin/content/documents")
    row = page.locator("tr", has_text=target["title"])
    row.get_by_role("button", name="置顶").click()
    row = page.locator("tr", has_text=target["title"])
    assert row.get_by_text("置顶", exact=True).first.is_visible()
    first_title = page.locator("tbody tr").first.locator("td").first.inner_text()
    assert target["title"] in first_title
    row.get_by_role("button", name="隐藏").click()
    assert page.locator("tr", has_text=target["title"]).get_by_text("已隐藏").is_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "admin_content_documents.png"))
    assert requests.get(f"{live_server.url}/api/v1/content/documents/{target['id']}").status_code == 404

    page.goto(live_server.url + "/admin/content/announcements")
    page.fill("input[name=title]", "本周六延时服务")
    page.fill("textarea[name=body]", "本周六上午9:00—12:00开放社保、户籍窗口。")
    page.click("button:has-text('保存')")
    assert page.get_by_text("公告已保存").is_visible()
    assert page.locator("td", has_text="本周六延时服务").is_visible()
    page.screenshot(path=str(ARTIFACTS / "admin_content_announcements.png"))
    titles = [a["title"] for a in requests.get(live_server.url + "/api/v1/content").json()["announcements"]]
    assert "本周六延时服务" in titles
