"""The server side of content: the kiosk's JSON API, the admin pages, and `govhall sync`."""

from __future__ import annotations

import re
import time

import requests
from click.testing import CliRunner

import content_fixture_site as fixture
from content.store import ContentStore
from content.sync import sync_site
from queue_server.ops.cli import cli

API = "/api/v1/content"


def test_kiosk_follows_the_website_through_since(hall_config, live_server, county_site, tmp_path):
    site_file = fixture.site_toml(tmp_path, county_site)
    with ContentStore(hall_config["content"]["database"]) as server_store:
        sync_site(server_store, site_file)
    kiosk = ContentStore(tmp_path / "kiosk" / "content.db")

    first = requests.get(live_server.url + API, params={"since": 0}).json()
    assert first["full"] and len(first["documents"]) == 6
    kiosk.apply_changes(first)
    assert kiosk.version() == first["version"]
    assert kiosk.search("低保")[0]["title"] == fixture.A1_FIELDS["title"]

    county_site.put(fixture.A5_PATH, fixture.A5_V2)
    with ContentStore(hall_config["content"]["database"]) as server_store:
        sync_site(server_store, site_file)
    update = requests.get(live_server.url + API, params={"since": kiosk.version()}).json()
    assert [d["source_url"] for d in update["documents"]] == [county_site.url + fixture.A5_PATH]
    kiosk.apply_changes(update)
    assert "4月8日" in kiosk.document_by_url(county_site.url + fixture.A5_PATH)["body"]
    assert requests.get(live_server.url + API, params={"since": kiosk.version()}).json()["documents"] == []

    # what reaches the kiosk from the website is plain text
    markup = next(d for d in first["documents"] if d["source_url"].endswith(fixture.A6_PATH))
    for name in ("title", "publisher", "body"):
        assert not re.search(r"[\[\]<>]", markup[name]), name
    kiosk.close()


def test_search_documents_categories_and_guides(hall_config, live_server):
    with ContentStore(hall_config["content"]["database"]) as server_store:
        doc_id, _ = server_store.upsert_document({"title": "关于户籍迁入的通告", "doc_no": "和公通〔2025〕3号",
                                                  "body": "放宽落户条件。", "category": "公安",
                                                  "published_on": "2025-06-18", "source_url": "http://s/1"})
        server_store.save_guide({"service": "户籍迁入", "department": "县公安局户籍管理", "materials": ["居民身份证"]})
    found = requests.get(live_server.url + API + "/search", params={"q": "户籍"}).json()
    assert {(r["kind"], r["title"]) for r in found["results"]} == {("document", "关于户籍迁入的通告"), ("guide", "户籍迁入")}
    assert requests.get(live_server.url + API + "/search", params={"q": "和公通〔2025〕3号"}).json()["results"][0]["id"] == doc_id

    document = requests.get(f"{live_server.url}{API}/documents/{doc_id}").json()
    assert document["published_on"] == "2025-06-18" and document["repealed_on"] is None and "hidden" not in document
    assert requests.get(live_server.url + API + "/categories").json() == {"categories": [{"name": "公安", "count": 1}]}
    guide = requests.get(live_server.url + API + "/guides/户籍迁入").json()
    assert guide["materials"] == ["居民身份证"]

    missing = requests.get(f"{live_server.url}{API}/documents/999")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found" and missing.json()["message"]
    assert requests.get(live_server.url + API + "/guides/没有的事项").status_code == 404
    bad = requests.get(live_server.url + API, params={"since": "abc"})
    assert bad.status_code == 400 and bad.json()["error"] == "bad_request"


def test_admin_pages_need_an_admin(live_server):
    response = requests.get(live_server.url + "/admin/content/announcements", allow_redirects=False)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_edits_reach_the_kiosk(hall_config, live_server, admin_session):
    browser, csrf = admin_session
    base = live_server.url + "/admin/content"
    version = requests.get(live_server.url + API).json()["version"]

    refused = browser.post(base + "/announcements", data={"title": "没有令牌"})
    assert refused.status_code == 400
    saved = browser.post(base + "/announcements", data={"title": "五一放假安排", "body": "5月1日至5日休息。",
                                                        "starts_on": "2026-04-25", "ends_on": "2026-05-05",
                                                        "csrf_token": csrf})
    assert saved.status_code == 200 and "公告已保存" in saved.text and "五一放假安排" in saved.text
    wrong = browser.post(base + "/announcements", data={"title": "倒序", "starts_on": "2026-05-05",
                                                        "ends_on": "2026-05-01", "csrf_token": csrf})
    assert wrong.status_code == 400 and "结束日期早于开始日期" in wrong.text

    guides_page = browser.get(base + "/guides").text
    assert "最低生活保障申请" in guides_page and "未填写" in guides_page
    form = browser.get(base + "/guides/edit", params={"service": "最低生活保障申请"}).text
    assert "县民政局" in form  # the department comes from the hall
    browser.post(base + "/guides", data={"service": "最低生活保障申请", "department": "县民政局",
                                         "materials": "居民身份证\n户口簿\n", "time_limit": "30个工作日",
                                         "csrf_token": csrf})

    with ContentStore(hall_config["content"]["database"]) as server_store:
        doc_id, _ = server_store.upsert_document({"title": "待隐藏的文件", "body": "低保", "source_url": "http://s/9"})
    documents_page = browser.get(base + "/documents").text
    assert "待隐藏的文件" in documents_page
    browser.post(f"{base}/documents/{doc_id}/flags", data={"hidden": "1", "csrf_token": csrf})
    assert requests.get(f"{live_server.url}{API}/documents/{doc_id}").status_code == 404
    assert "已隐藏" in browser.get(base + "/documents").text

    changes = requests.get(live_server.url + API, params={"since": version}).json()
    assert [a["title"] for a in changes["announcements"]] == ["五一放假安排"]
    assert changes["guides"][0]["materials"] == ["居民身份证", "户口簿"]
    assert changes["deleted"]["documents"] == [doc_id]


def test_admin_starts_a_sync_and_reads_its_errors(hall_config, live_server, county_site, tmp_path, admin_session):
    hall_config["content"]["site"] = fixture.site_toml(tmp_path, county_site)
    browser, csrf = admin_session
    base = live_server.url + "/admin/content"
    started = browser.post(base + "/sync", data={"csrf_token": csrf})
    assert "同步已开始" in started.text
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        page = browser.get(base + "/sync").text
        if "部分失败" in page:  # four of the site's pages cannot be fetched
            break
        time.sleep(0.2)
    assert "部分失败（4 页）" in page
    assert "页面不存在" in page and "请求超时" in page and "robots.txt 不允许抓取" in page
    assert fixture.MISSING_PATH in page
    overview = browser.get(base + "/").text
    assert "新增 6" in overview


def test_govhall_sync_prints_the_report(hall_config, county_site, tmp_path):
    site_file = fixture.site_toml(tmp_path, county_site)
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / "govhall.toml"), "sync", "--site", site_file])
    assert result.exit_code == 0, result.output
    assert "新增 6" in result.output and "失败 4" in result.output and fixture.MISSING_PATH in result.output
    with ContentStore(hall_config["content"]["database"]) as server_store:
        assert server_store.count_documents() == 6
    bad = CliRunner().invoke(cli, ["--config", str(tmp_path / "govhall.toml"), "sync", "--site",
                                   str(tmp_path / "none.toml")])
    assert bad.exit_code == 2 and "找不到站点描述文件" in bad.output
