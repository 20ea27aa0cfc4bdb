"""The sync against pages that go wrong on real sites: a wrong charset declaration, an update
that would make a good document worse, a transfer cut after an early </html>, a page that
is gone. Every page is served by the fixture site on 127.0.0.1."""

from __future__ import annotations

import requests

import content_fixture_site as fixture
from content.sync import sync_site


def _one_article_site(county_site, path: str, body: str | bytes, content_type: str = "text/html; charset=utf-8"):
    """The fixture site reduced to one list page linking one article."""
    county_site.put(fixture.LIST_PATHS[0], fixture.list_page([(path, "一篇文件")], ""))
    county_site.put(path, body, content_type)


def test_a_page_declared_gbk_but_sent_as_utf8_is_read_as_utf8_and_reported(content_store, county_site, tmp_path):
    path = fixture.MISLABELLED_PATH
    _one_article_site(county_site, path, fixture.MISLABELLED.encode("utf-8"), "text/html; charset=GBK")

    report = sync_site(content_store, fixture.site_toml(tmp_path, county_site))

    doc = content_store.document_by_url(county_site.url + path)
    assert doc["title"] == fixture.MISLABELLED_TITLE
    assert doc["publisher"] == "和林格尔县残疾人联合会"
    assert "\ufffd" not in doc["body"] and "三百一十二人" in doc["body"]
    assert report.charset_fixes == [{"url": county_site.url + path, "declared": "gb18030", "used": "utf-8"}]
    assert "页面声明 GB18030，实际按 UTF-8 读取" in report.summary()
    assert [hit["title"] for hit in content_store.search("两项补贴")] == [fixture.MISLABELLED_TITLE]
    assert content_store.sync_runs(limit=1)[0]["report"]["charset_fixes"] == report.charset_fixes


def test_a_page_declared_utf8_but_sent_as_gbk_is_read_as_gb18030(content_store, county_site, tmp_path):
    path = fixture.MISLABELLED_PATH
    _one_article_site(county_site, path, fixture.MISLABELLED.replace("charset=gbk", "charset=utf-8").encode("gbk"),
                      "text/html; charset=utf-8")
    report = sync_site(content_store, fixture.site_toml(tmp_path, county_site))
    assert content_store.document_by_url(county_site.url + path)["title"] == fixture.MISLABELLED_TITLE
    assert report.charset_fixes[0]["used"] == "gb18030"


def test_a_correct_declaration_is_not_reported(content_store, county_site, tmp_path):
    report = sync_site(content_store, fixture.site_toml(tmp_path, county_site))
    assert report.charset_fixes == []  # the GBK page A4 says gb2312 and is: nothing to say


# --- an update never makes a document worse ---------------------------------------------

def _synced_county_page(content_store, county_site, tmp_path):
    _one_article_site(county_site, fixture.COUNTY_PATH, fixture.COUNTY)
    site_file = fixture.site_toml(tmp_path, county_site)
    sync_site(content_store, site_file)
    return site_file, content_store.document_by_url(county_site.url + fixture.COUNTY_PATH)


def _assert_held(content_store, county_site, report, stored: dict, code: str, words: str):
    url = county_site.url + fixture.COUNTY_PATH
    assert report.changed == [] and report.new == []
    (failure,) = report.failed
    assert failure["url"] == url and failure["reason"] == "held"
    assert failure["message"].startswith("更新未采用，待管理员审核：") and words in failure["message"]
    assert [reason["code"] for reason in report.held[0]["reasons"]] == [code]
    after = content_store.document_by_url(url)
    assert after["title"] == stored["title"] and after["body"] == stored["body"]
    assert after["version"] == stored["version"]
    (held,) = content_store.held_updates()
    assert held["document_id"] == stored["id"] and held["reasons"][0]["code"] == code
    return held


def test_an_update_whose_body_shrinks_sharply_is_held(content_store, county_site, tmp_path):
    site_file, stored = _synced_county_page(content_store, county_site, tmp_path)
    stub = fixture.COUNTY.replace(fixture.COUNTY[fixture.COUNTY.index('<div class="zwgk-nr">'):fixture.COUNTY.index("</div>", fixture.COUNTY.index('<div class="zwgk-nr">'))],
                                  '<div class="zwgk-nr"><p>本页内容正在更新。</p>')
    county_site.put(fixture.COUNTY_PATH, stub)

    report = sync_site(content_store, site_file)

    held = _assert_held(content_store, county_site, report, stored, "body_shrank", "正文由")
    assert held["fields"]["body"] == "本页内容正在更新。"


def test_an_update_whose_title_turns_into_mojibake_is_held(content_store, county_site, tmp_path):
    site_file, stored = _synced_county_page(content_store, county_site, tmp_path)
    # the site's own database now holds the title mis-decoded (valid UTF-8 bytes of mojibake):
    # no charset can undo that
    broken_title = fixture.COUNTY_FIELDS["title"].encode("utf-8").decode("gb18030", errors="ignore")
    county_site.put(fixture.COUNTY_PATH, fixture.COUNTY.replace(fixture.COUNTY_FIELDS["title"], broken_title))

    report = sync_site(content_store, site_file)

    _assert_held(content_store, county_site, report, stored, "title_mojibake", "标题疑似乱码")
    assert [hit["title"] for hit in content_store.search("政务服务工作总结")] == [stored["title"]]


def test_an_update_carrying_replacement_characters_is_held(content_store, county_site, tmp_path):
    site_file, stored = _synced_county_page(content_store, county_site, tmp_path)
    county_site.put(fixture.COUNTY_PATH, fixture.COUNTY.replace("按时办结率", "按时\ufffd\ufffd结率"))

    report = sync_site(content_store, site_file)

    _assert_held(content_store, county_site, report, stored, "broken_characters", "无法识别的字符")


def test_a_held_update_is_dropped_when_the_site_serves_a_good_copy_again(content_store, county_site, tmp_path):
    site_file, stored = _synced_county_page(content_store, county_site, tmp_path)
    county_site.put(fixture.COUNTY_PATH, fixture.COUNTY.replace("按时办结率", "按时\ufffd\ufffd结率"))
    sync_site(content_store, site_file)
    assert content_store.held_updates()
    county_site.put(fixture.COUNTY_PATH, fixture.COUNTY.replace("八百余条", "九百余条"))

    report = sync_site(content_store, site_file)

    assert [item["id"] for item in report.changed] == [stored["id"]]
    assert content_store.held_updates() == []
    assert "九百余条" in content_store.document(stored["id"])["body"]


def test_a_good_update_replaces_the_document_as_before(content_store, county_site, tmp_path):
    site_file, stored = _synced_county_page(content_store, county_site, tmp_path)
    county_site.put(fixture.COUNTY_PATH, fixture.COUNTY.replace("八百余条", "九百余条"))
    report = sync_site(content_store, site_file)
    assert [item["id"] for item in report.changed] == [stored["id"]] and report.failed == [] and report.held == []


# --- a transfer cut right after an early </html> ----------------------------------------

def test_a_page_cut_after_an_early_closing_html_tag_is_truncated_and_stores_nothing(content_store, county_site,
                                                                                   tmp_path):
    path = fixture.EARLY_END_PATH
    _one_article_site(county_site, path, fixture.EARLY_END)
    county_site.cut_after[path] = fixture.EARLY_END_CUT

    report = sync_site(content_store, fixture.site_toml(tmp_path, county_site))

    assert [(item["url"], item["reason"]) for item in report.failed] == [(county_site.url + path, "truncated")]
    assert content_store.document_by_url(county_site.url + path) is None
    (request, *_) = county_site.requests_to(path)
    assert request.status == 200  # the server did answer: the cut shows only in the page

    del county_site.cut_after[path]  # the whole page next time
    report = sync_site(content_store, fixture.site_toml(tmp_path, county_site))
    doc = content_store.document_by_url(county_site.url + path)
    assert doc["title"] == "和林格尔县应急管理局关于做好汛期安全防范工作的通知"
    assert doc["body"].startswith("各乡镇人民政府") and "example.gov.cn" not in doc["body"]


# --- pages that are gone ----------------------------------------------------------------

def test_a_document_whose_page_is_gone_twice_leaves_the_kiosk_and_search(content_store, county_site, tmp_path,
                                                                          live_server):
    from content.store import ContentStore

    site_file = fixture.site_toml(tmp_path, county_site)
    store = ContentStore(live_server.config["content"]["database"])
    try:
        sync_site(store, site_file)
        url = county_site.url + fixture.A1_PATH
        doc = store.document_by_url(url)
        version = store.version()
        del county_site.responses[fixture.A1_PATH]

        first = sync_site(store, site_file)  # one 404: could be a hiccup, the document stays
        assert first.gone == [] and store.document(doc["id"])["title"] == doc["title"]
        assert store.search("最低生活保障")

        second = sync_site(store, site_file)  # the second in a row: it is gone
        assert second.gone == [{"url": url, "id": doc["id"], "title": doc["title"]}]
        assert "网站上已不存在，已从查询机撤下" in second.summary()
        api = live_server.url + "/api/v1/content"
        assert requests.get(f"{api}/documents/{doc['id']}").status_code == 404
        assert doc["id"] not in [d["id"] for d in requests.get(f"{api}/documents").json()["documents"]]
        assert doc["id"] in requests.get(api, params={"since": version}).json()["deleted"]["documents"]
        hits = requests.get(f"{api}/search", params={"q": "最低生活保障"}).json()["results"]
        assert doc["id"] not in [hit["id"] for hit in hits if hit["kind"] == "document"]
        # kept in the store, listed for the admin
        assert store.document(doc["id"], include_hidden=True)["body"] == doc["body"]
        assert [gone["id"] for gone in store.gone_documents()] == [doc["id"]]

        third = sync_site(store, site_file)  # still gone: said once, not again every run
        assert third.gone == [] and url not in [item["url"] for item in third.failed]
        assert [gone["id"] for gone in store.gone_documents()] == [doc["id"]]

        county_site.put(fixture.A1_PATH, fixture.A1)  # back on the site: back on the kiosk
        sync_site(store, site_file)
        assert requests.get(f"{api}/documents/{doc['id']}").status_code == 200
        assert store.gone_documents() == [] and store.search("最低生活保障")
    finally:
        store.close()


def test_a_page_that_answers_again_restarts_the_count(content_store, county_site, tmp_path):
    site_file = fixture.site_toml(tmp_path, county_site)
    sync_site(content_store, site_file)
    county_site.failing[fixture.A1_PATH] = [404]
    sync_site(content_store, site_file)  # missing once
    sync_site(content_store, site_file)  # answers (304)
    county_site.failing[fixture.A1_PATH] = [410]
    report = sync_site(content_store, site_file)  # missing once again: not twice in a row
    assert report.gone == [] and content_store.gone_documents() == []


def test_a_page_deleted_together_with_its_link_is_noticed(content_store, county_site, tmp_path):
    site_file = fixture.site_toml(tmp_path, county_site)
    sync_site(content_store, site_file)
    url = county_site.url + fixture.A6_PATH
    doc = content_store.document_by_url(url)
    del county_site.responses[fixture.A6_PATH]  # gone from the site, and from the last list page
    county_site.put(fixture.LIST_PATHS[2], fixture.LIST_3.replace(fixture.A6_PATH, fixture.A1_PATH))

    sync_site(content_store, site_file)
    report = sync_site(content_store, site_file)

    assert [item["id"] for item in report.gone] == [doc["id"]]
    assert [entry.status for entry in county_site.requests_to(fixture.A6_PATH)][-2:] == [404, 404]
    # documents still linked are not asked twice in a run
    assert len(county_site.requests_to(fixture.A2_PATH)) == 3


def test_unlinked_documents_are_asked_for_a_few_at_a_time_least_recently_first(content_store, county_site, tmp_path):
    site_file = fixture.site_toml(tmp_path, county_site)
    text = open(site_file, encoding="utf-8").read() + "recheck_unlisted = 2\n"
    open(site_file, "w", encoding="utf-8").write(text)
    sync_site(content_store, site_file)
    county_site.put(fixture.LIST_PATHS[0], fixture.list_page([], ""))  # every link gone, the pages stay
    county_site.clear_log()
    asked = []
    for _ in range(3):
        sync_site(content_store, site_file)
        asked.append({entry.path for entry in county_site.log if entry.path in fixture.ARTICLES})
        county_site.clear_log()
    assert [len(paths) for paths in asked] == [2, 2, 2]
    assert asked[0] | asked[1] | asked[2] == set(fixture.ARTICLES)  # six documents, two a run, none twice
    assert content_store.gone_documents() == []  # they answered (304): nothing is gone


def test_documents_read_by_an_older_reader_are_read_again_once(content_store, county_site, tmp_path):
    """A store filled before charset evidence read this page as mojibake and kept it; the
    page never changed, so only reading it again heals it."""
    path = fixture.MISLABELLED_PATH
    _one_article_site(county_site, path, fixture.MISLABELLED.encode("utf-8"), "text/html; charset=GBK")
    site_file = fixture.site_toml(tmp_path, county_site)
    sync_site(content_store, site_file)
    url = county_site.url + path
    doc = content_store.document_by_url(url)
    mojibake = fixture.MISLABELLED.encode("utf-8").decode("gb18030", errors="replace")
    stored = {name: doc[name] for name in ("title", "index_no", "doc_no", "written_on", "publisher", "category",
                                           "published_on", "repealed_on", "validity", "body", "attachments")}
    content_store.upsert_document(dict(stored, title=mojibake[mojibake.index("<h1>") + 4:mojibake.index("</h1>")],
                                       source_url=url))
    content_store.set_pages_read_with("1")
    county_site.clear_log()

    report = sync_site(content_store, site_file)

    (request,) = county_site.requests_to(path)
    assert "if-none-match" not in request.headers and request.status == 200  # asked for in full
    assert [item["id"] for item in report.changed] == [doc["id"]]
    assert content_store.document(doc["id"])["title"] == fixture.MISLABELLED_TITLE
    county_site.clear_log()
    sync_site(content_store, site_file)  # once: conditional again afterwards
    assert county_site.requests_to(path)[0].status == 304
