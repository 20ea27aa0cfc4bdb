"""The admin content forms hold their limits on the server, not only in the browser's maxlength: an
announcement's title and body, a guide's texts, and links that can only go to a website."""

from __future__ import annotations

import re

import pytest

from content import InvalidContent
from helpers import signed_in_client
from content.store import ANNOUNCEMENT_BODY_LIMIT, ANNOUNCEMENT_TITLE_LIMIT, ContentStore

GUIDE_PAGE = "/admin/content/guides"
SERVICE = "最低生活保障申请"


class AdminForms:
    """The admin's browser on Flask's test client: GETs pages, POSTs forms with the CSRF token."""

    def __init__(self, app):
        self.client = signed_in_client(app, "周管理")
        self.content_database = app.config["GOVHALL"]["content"]["database"]

    def get(self, path):
        return self.client.get(path)

    def post(self, path, data):
        return self.client.post(path, data={**data, "csrf_token": self.client.csrf})

    def content(self) -> ContentStore:
        return ContentStore(self.content_database)


@pytest.fixture
def admin_forms(app):
    return AdminForms(app)


def announcement_titles(admin_forms) -> list[str]:
    with admin_forms.content() as content:
        return [item["title"] for item in content.announcements()]


def test_the_announcement_form_shows_the_limits_the_server_holds(admin_forms):
    form = admin_forms.get("/admin/content/announcements").get_data(as_text=True)
    assert f'name="title" required maxlength="{ANNOUNCEMENT_TITLE_LIMIT}"' in form
    assert f'name="body" rows="4" maxlength="{ANNOUNCEMENT_BODY_LIMIT}"' in form

    too_long_title = admin_forms.post("/admin/content/announcements",
                                        data={"title": "长" * (ANNOUNCEMENT_TITLE_LIMIT + 1), "body": "正文"})
    too_long_body = admin_forms.post("/admin/content/announcements",
                                       data={"title": "冬季办公时间调整", "body": "字" * (ANNOUNCEMENT_BODY_LIMIT + 1)})
    for answer, what in ((too_long_title, "公告标题"), (too_long_body, "公告内容")):
        assert answer.status_code == 400
        assert f"{what}不能超过" in answer.get_data(as_text=True)
    assert announcement_titles(admin_forms) == []

    at_the_limit = admin_forms.post("/admin/content/announcements",
                                      data={"title": "冬" * ANNOUNCEMENT_TITLE_LIMIT,
                                            "body": "字" * ANNOUNCEMENT_BODY_LIMIT})
    assert at_the_limit.status_code == 302
    assert announcement_titles(admin_forms) == ["冬" * ANNOUNCEMENT_TITLE_LIMIT]


@pytest.mark.parametrize("link", ["javascript:alert(document.cookie)", "JaVaScRiPt:alert(1)",
                                  "data:text/html,<script>alert(1)</script>", "file:///etc/passwd",
                                  "//evil.example/", "zwfw.nmg.gov.cn", "https://"])
def test_a_guide_link_goes_only_to_a_website(admin_forms, link):
    answer = admin_forms.post(GUIDE_PAGE, data={"service": SERVICE, "online_links": f"https://zwfw.example\n{link}"})
    assert answer.status_code == 400
    assert "网上办理链接须为 http:// 或 https:// 开头的网址" in answer.get_data(as_text=True)
    with admin_forms.content() as content:
        assert content.guide_for_service(SERVICE) is None
    # the page the admin is sent back to keeps what they typed, to correct it
    assert re.search(r'name="online_links"[^>]*>https://zwfw.example\n', answer.get_data(as_text=True))


def test_a_guide_with_website_links_is_saved(admin_forms):
    answer = admin_forms.post(GUIDE_PAGE, data={"service": SERVICE, "conditions": "持本县户籍",
                                                  "online_links": "https://zwfw.example/dibao\nhttp://12345.example"})
    assert answer.status_code == 302
    with admin_forms.content() as content:
        assert content.guide_for_service(SERVICE)["online_links"] == ["https://zwfw.example/dibao",
                                                                       "http://12345.example"]


def test_guide_texts_are_limited_on_the_server(admin_forms):
    answer = admin_forms.post(GUIDE_PAGE, data={"service": SERVICE, "procedure": "步" * 4001})
    assert answer.status_code == 400 and "办理程序不能超过 4000 个字" in answer.get_data(as_text=True)


def test_documents_keep_only_website_links(tmp_path):
    """Documents come from the website sync (no form): the store refuses a page or attachment link
    that is not http(s), whoever saves it."""
    with ContentStore(tmp_path / "content.db") as content:
        with pytest.raises(InvalidContent, match="附件“办法.pdf”的网址须为 http:// 或 https://"):
            content.upsert_document({"title": "关于临时救助的通知", "source_url": "https://county.example/a.html",
                                     "attachments": [{"name": "办法.pdf", "url": "javascript:alert(1)"}]})
        with pytest.raises(InvalidContent, match="文件的来源网址"):
            content.upsert_document({"title": "关于临时救助的通知", "source_url": "data:text/html,hi"})
        assert content.count_documents(include_hidden=True) == 0
        content.upsert_document({"title": "关于临时救助的通知", "source_url": "https://county.example/a.html",
                                 "attachments": [{"name": "办法.pdf", "url": "https://county.example/a.pdf"}]})
        assert content.count_documents(include_hidden=True) == 1
