"""The content pages as part of the admin console: its menu on every page, guides only for
services the hall has, and numbers in query strings and forms that never end in a 500."""

from __future__ import annotations

import re

import requests

from content.store import ContentStore

HUGE = "99999999999999999999999"  # beyond SQLite's 64-bit integers
CONTENT_PAGES = ["/admin/content/", "/admin/content/announcements", "/admin/content/guides",
                 "/admin/content/guides/edit?service=最低生活保障申请", "/admin/content/documents",
                 "/admin/content/sync"]
# the admin console's menu: every section is one click away from every content page
ADMIN_MENU = {"概览": "/admin/", "事项": "/admin/services", "窗口": "/admin/windows", "人员": "/admin/staff",
              "自助机": "/admin/kiosks", "统计": "/admin/stats", "内容管理": "/admin/content/"}


def menu_links(html: str) -> dict[str, str]:
    nav = re.search(r'<nav class="admin-nav"[^>]*>(.*?)</nav>', html, re.S)
    assert nav, "no admin menu on the page"
    return {label: href for href, label in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav.group(1))}


def test_every_content_page_has_the_admin_menu_with_content_lit(live_server, admin_session):
    browser, _ = admin_session
    with ContentStore(live_server.config["content"]["database"]) as content:
        doc_id, _ = content.upsert_document({"title": "关于调整办公时间的通知", "body": "正文", "source_url": "http://s/1"})
    for path in CONTENT_PAGES + [f"/admin/content/documents/{doc_id}"]:
        page = browser.get(live_server.url + path)
        assert page.status_code == 200, path
        links = menu_links(page.text)
        for label, href in ADMIN_MENU.items():
            assert links.get(label) == href, (path, label)
        assert re.search(r'<a href="/admin/content/" class="current">内容管理</a>', page.text), path
        assert '<nav class="subnav"' in page.text, path  # and the content sections under it
    # and back: the admin pages lead to the content pages, with 内容管理 not lit there
    stats_page = browser.get(live_server.url + "/admin/stats").text
    assert menu_links(stats_page)["内容管理"] == "/admin/content/"
    assert 'class="current">统计</a>' in stats_page and 'class="current">内容管理' not in stats_page


def test_a_guide_form_is_only_for_a_service_of_the_hall(live_server, admin_session):
    browser, csrf = admin_session
    base = live_server.url + "/admin/content"
    missing = browser.get(base + "/guides/edit", params={"service": "nonexistent"})
    assert missing.status_code == 404
    assert "没有名为“nonexistent”的服务事项" in missing.text and 'name="materials"' not in missing.text
    assert menu_links(missing.text)["统计"] == "/admin/stats"  # the refusal is no dead end either
    assert browser.get(base + "/guides/edit").status_code == 404
    posted = browser.post(base + "/guides", data={"service": "nonexistent", "materials": "身份证", "csrf_token": csrf})
    assert posted.status_code == 404
    with ContentStore(live_server.config["content"]["database"]) as content:
        assert content.guide_for_service("nonexistent") is None
        # a guide left behind by a removed service can still be opened, fixed or deleted
        content.save_guide({"service": "已撤销的事项", "materials": ["旧材料"]})
    orphan = browser.get(base + "/guides/edit", params={"service": "已撤销的事项"})
    assert orphan.status_code == 200 and "旧材料" in orphan.text
    form = browser.get(base + "/guides/edit", params={"service": "最低生活保障申请"})
    assert form.status_code == 200 and 'name="materials"' in form.text


def test_numbers_too_big_in_query_strings_and_forms_are_no_500(live_server, admin_session):
    browser, csrf = admin_session
    base = live_server.url
    with ContentStore(live_server.config["content"]["database"]) as content:
        content.upsert_document({"title": "关于调整办公时间的通知", "body": "正文", "source_url": "http://s/1"})
    documents = browser.get(f"{base}/admin/content/documents?page={HUGE}")
    assert documents.status_code == 200 and "关于调整办公时间的通知" in documents.text
    assert browser.get(f"{base}/admin/content/announcements?edit={HUGE}").status_code == 200
    flags = browser.post(f"{base}/admin/content/documents/{HUGE}/flags", data={"hidden": "1", "csrf_token": csrf})
    assert flags.status_code == 404
    saved = browser.post(f"{base}/admin/content/announcements", data={"id": HUGE, "title": "大数编号",
                                                                      "csrf_token": csrf})
    assert saved.status_code == 200 and "公告已保存" in saved.text  # an impossible id: saved as new
    for query in (f"since={HUGE}", f"offset={HUGE}", f"limit={HUGE}"):
        path = "/api/v1/content?" if query.startswith("since") else "/api/v1/content/documents?"
        answer = requests.get(base + path + query)
        assert answer.status_code == 400 and answer.json()["error"] == "bad_request", query
    assert requests.get(f"{base}/api/v1/content/documents?offset=9223372036854775807").status_code == 200


def _held_and_gone(database: str) -> tuple[int, int, int]:
    """A content store with a held update and a gone document: (document id, held id, gone id)."""
    with ContentStore(database) as content:
        doc_id, _ = content.upsert_document({"title": "关于调整城乡低保标准的通知", "body": "调整后的标准如下。" * 30,
                                             "source_url": "http://s/held"})
        held_id = content.hold_update(doc_id, {"title": "关于调整城乡低保标准的通知", "body": "页面维护中",
                                               "source_url": "http://s/held"},
                                      [{"code": "body_shrank", "message": "正文由 270 字缩短为 5 字"}])
        gone_id, _ = content.upsert_document({"title": "关于2019年冬季供暖的通知", "doc_no": "和政办发〔2019〕9号",
                                              "body": "供暖期。", "source_url": "http://s/gone"})
        content.record_page_missing("http://s/gone", gone_after=1)
    return doc_id, held_id, gone_id


def test_the_sync_page_lists_held_updates_and_an_admin_accepts_or_discards_one(live_server, admin_session):
    browser, csrf = admin_session
    database = live_server.config["content"]["database"]
    doc_id, held_id, gone_id = _held_and_gone(database)
    page = browser.get(live_server.url + "/admin/content/sync")
    assert page.status_code == 200
    assert "待审核的更新" in page.text and "正文由 270 字缩短为 5 字" in page.text and "页面维护中" in page.text
    assert "已存正文 270 字" in page.text and "新正文 5 字" in page.text  # counted as the reasons count
    assert "网站上已不存在的文件" in page.text and "关于2019年冬季供暖的通知" in page.text

    missing = browser.post(f"{live_server.url}/admin/content/sync/held/{HUGE}/accept", data={"csrf_token": csrf})
    assert missing.status_code == 404
    accepted = browser.post(f"{live_server.url}/admin/content/sync/held/{held_id}/accept", data={"csrf_token": csrf})
    assert accepted.status_code == 200 and "已采用该更新" in accepted.text and "没有待审核的更新" in accepted.text
    with ContentStore(database) as content:
        assert content.document(doc_id)["body"] == "页面维护中"
        assert content.held_updates() == []
        second = content.hold_update(doc_id, {"title": "关于调整城乡低保标准的通知", "body": "x",
                                              "source_url": "http://s/held"}, [{"code": "body_shrank", "message": "m"}])
    discarded = browser.post(f"{live_server.url}/admin/content/sync/held/{second}/discard", data={"csrf_token": csrf})
    assert discarded.status_code == 200 and "已放弃该更新" in discarded.text
    with ContentStore(database) as content:
        assert content.document(doc_id)["body"] == "页面维护中" and content.held_updates() == []
    # without the form's token nothing happens
    assert browser.post(f"{live_server.url}/admin/content/sync/held/{second}/accept").status_code == 400


def test_overview_documents_and_document_pages_tell_held_and_gone(live_server, admin_session):
    browser, _ = admin_session
    doc_id, held_id, gone_id = _held_and_gone(live_server.config["content"]["database"])
    overview = browser.get(live_server.url + "/admin/content/").text
    assert "1 项更新待审核" in overview and "其中不在查询机上 1" in overview
    listing = browser.get(live_server.url + "/admin/content/documents").text
    row = re.search(r"<tr>(?:(?!</tr>).)*关于2019年冬季供暖的通知.*?</tr>", listing, re.S).group(0)
    assert "网站上已不存在" in row
    gone_page = browser.get(f"{live_server.url}/admin/content/documents/{gone_id}").text
    assert "原网页已不存在" in gone_page
    assert "原网页已不存在" not in browser.get(f"{live_server.url}/admin/content/documents/{doc_id}").text


def test_the_sync_page_tells_pages_read_in_another_charset(live_server, admin_session):
    browser, _ = admin_session
    with ContentStore(live_server.config["content"]["database"]) as content:
        run = content.start_sync_run("测试站点")
        content.finish_sync_run(run, {"new": [], "changed": [], "unchanged": 3, "failed": [], "charset_fixes": [
            {"url": "http://www.example.gov.cn/a.html", "declared": "gb18030", "used": "utf-8"}]})
    page = browser.get(live_server.url + "/admin/content/sync").text
    assert "编码声明有误、已按实际编码读取：1 页（如 GB18030 → UTF-8" in page
