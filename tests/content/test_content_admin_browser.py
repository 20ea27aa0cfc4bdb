"""The admin content pages in headless Chromium: an admin pins and hides a document, adds
an announcement, and the kiosk API follows. Screenshots go to $GOVHALL_ARTIFACTS."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests
from playwright.sync_api import sync_playwright

import content_fixture_site as fixture
from content.demo import load_demo_content
from content.store import ContentStore
from content.sync import sync_site
from queue_server import store as hall_store
from queue_server.accounts import set_password

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


def test_admin_moves_between_console_and_content_by_the_menu(hall_config, live_server, browser_page):
    db = hall_store.connect(hall_config["server"]["database"])
    set_password(db, "周管理", "secret123")
    db.conn.close()
    page = browser_page
    page.goto(live_server.url + "/login")
    page.fill("input[name=login]", "周管理")
    page.fill("input[name=password]", "secret123")
    page.click("button[type=submit]")

    page.goto(live_server.url + "/admin/content/guides")
    menu = page.locator("nav.admin-nav")
    assert menu.is_visible()
    assert menu.locator("a.current").inner_text() == "内容管理"
    assert page.locator("h1.page-title").inner_text() == "办事指南"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "admin_content_guides_menu.png"), full_page=True)

    menu.get_by_role("link", name="统计", exact=True).click()
    page.wait_for_url("**/admin/stats")
    assert page.locator("nav.admin-nav a.current").inner_text() == "统计"
    page.wait_for_load_state("networkidle")  # the charts
    page.screenshot(path=str(ARTIFACTS / "admin_stats_menu.png"))
    page.goto(live_server.url + "/admin/stats?from=2026-01-01&to=9999-12-31")
    assert "日期须在 2000-01-01 至 2099-12-31 之间" in page.get_by_role("alert").inner_text()
    page.screenshot(path=str(ARTIFACTS / "admin_stats_out_of_range.png"))
    page.goto(live_server.url + "/admin/content/guides/edit?service=nonexistent")
    assert "没有名为“nonexistent”的服务事项" in page.get_by_role("alert").inner_text()
    page.screenshot(path=str(ARTIFACTS / "admin_content_unknown_service.png"))
    page.locator("nav.admin-nav").get_by_role("link", name="内容管理").click()
    page.wait_for_url("**/admin/content/")
    page.locator("nav.subnav").get_by_role("link", name="网站同步").click()
    page.wait_for_url("**/admin/content/sync")
    page.locator("nav.admin-nav").get_by_role("link", name="窗口", exact=True).click()
    page.wait_for_url("**/admin/windows")
    assert page.locator("nav.admin-nav a.current").inner_text() == "窗口"


def test_admin_sees_a_held_update_and_accepts_it(hall_config, live_server, browser_page, county_site, tmp_path):
    # the county's page synced, then the site serves a stub with a mis-decoded title
    county_site.put(fixture.LIST_PATHS[0], fixture.list_page([(fixture.COUNTY_PATH, "工作总结"), (fixture.A1_PATH, "低保")], ""))
    county_site.put(fixture.COUNTY_PATH, fixture.COUNTY)
    site_file = fixture.site_toml(tmp_path, county_site)
    with ContentStore(hall_config["content"]["database"]) as server_store:
        sync_site(server_store, site_file)
        doc_id = server_store.document_by_url(county_site.url + fixture.COUNTY_PATH)["id"]
        gone_id = server_store.document_by_url(county_site.url + fixture.A1_PATH)["id"]
        broken_title = fixture.COUNTY_FIELDS["title"].encode("utf-8").decode("gb18030", errors="ignore")
        stub_start = fixture.COUNTY.index('<div class="zwgk-nr">')
        stub = (fixture.COUNTY[:stub_start] + '<div class="zwgk-nr"><p>本页内容正在更新。</p></div>'
                + fixture.COUNTY[fixture.COUNTY.index("</div>", stub_start) + 6:]).replace(
            fixture.COUNTY_FIELDS["title"], broken_title)
        county_site.put(fixture.COUNTY_PATH, stub)
        del county_site.responses[fixture.A1_PATH]
        sync_site(server_store, site_file)
        report = sync_site(server_store, site_file)
        assert [item["id"] for item in report.gone] == [gone_id]
    db = hall_store.connect(hall_config["server"]["database"])
    set_password(db, "周管理", "secret123")
    db.conn.close()
    page = browser_page
    page.goto(live_server.url + "/login")
    page.fill("input[name=login]", "周管理")
    page.fill("input[name=password]", "secret123")
    page.click("button[type=submit]")

    page.goto(live_server.url + "/admin/content/sync")
    row = page.locator("table.held tbody tr").first
    assert row.get_by_text("缩短为 9 字", exact=False).is_visible()
    assert row.get_by_text("标题疑似乱码", exact=False).is_visible()
    row.locator("summary").click()
    assert row.get_by_text("本页内容正在更新。").is_visible()
    assert page.locator("table.gone").get_by_text(fixture.A1_FIELDS["title"]).is_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "admin_content_sync_held.png"), full_page=True)

    row.get_by_role("button", name="采用此更新").click()
    assert page.get_by_text("已采用该更新").is_visible()
    assert page.locator("table.held").get_by_text("没有待审核的更新。").is_visible()
    answer = requests.get(f"{live_server.url}/api/v1/content/documents/{doc_id}").json()
    assert answer["body"] == "本页内容正在更新。"
    assert requests.get(f"{live_server.url}/api/v1/content/documents/{gone_id}").status_code == 404
