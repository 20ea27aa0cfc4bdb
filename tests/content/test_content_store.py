"""The content store: versions, the kiosk's copy, announcements, guides, search."""

from __future__ import annotations

from datetime import date

import pytest

from content import ContentNotFound, InvalidContent
from content.store import ContentStore


def doc(title, body="", **fields):
    fields.setdefault("source_url", f"http://site.test/{abs(hash(title))}.html")
    return dict(title=title, body=body, **fields)


GUIDE = {"service": "最低生活保障申请", "department": "县民政局", "legal_basis": "《社会救助暂行办法》",
         "conditions": "持有本县户籍，家庭人均收入低于当地低保标准。", "procedure": "申请、审核、公示、审批。",
         "materials": ["居民身份证", "户口簿", "家庭收入情况声明"], "time_limit": "30个工作日",
         "fees": "不收费", "contact": "0471-0000001", "online_links": ["http://zwfw.example/dibao"]}


def test_every_change_grows_the_version_and_only_real_changes_count(content_store):
    assert content_store.version() == 0
    doc_id, status = content_store.upsert_document(doc("关于社保卡换发的通知", "正文", source_url="http://s/1"))
    assert status == "new" and content_store.version() == 1
    assert content_store.upsert_document(doc("关于社保卡换发的通知", "正文", source_url="http://s/1")) == (doc_id, "unchanged")
    assert content_store.version() == 1
    assert content_store.upsert_document(doc("关于社保卡换发的通知", "新正文", source_url="http://s/1")) == (doc_id, "changed")
    content_store.save_announcement({"title": "公告"})
    content_store.save_guide(GUIDE)
    assert content_store.version() == 4


def test_changes_since_feed_a_kiosk_copy_exactly(content_store, tmp_path):
    server = content_store
    kiosk = ContentStore(tmp_path / "kiosk-content.db")
    a, _ = server.upsert_document(doc("关于低保标准调整的通知", "低保标准提高。", category="社会保障",
                                      published_on="2024-03-01", attachments=[{"name": "附件", "url": "http://s/a.pdf"}]))
    b, _ = server.upsert_document(doc("关于户籍迁入的办事须知", "户籍迁入材料。", category="公安"))
    announcement = server.save_announcement({"title": "五一放假通知", "body": "5月1日至5日休息。",
                                             "starts_on": "2024-04-25", "ends_on": "2024-05-05"})
    server.save_guide(GUIDE)
    kiosk.apply_changes(server.changes_since(kiosk.version()))
    assert kiosk.version() == server.version()
    assert kiosk.document(a) == {k: v for k, v in server.document(a).items()}
    assert kiosk.guide_for_service("最低生活保障申请")["materials"] == GUIDE["materials"]
    assert [r["id"] for r in kiosk.search("低保")][:1] == [a]

    # hide one, change one, delete the announcement and the guide: the kiosk follows
    server.set_document_flags(a, hidden=True)
    server.upsert_document(doc("关于户籍迁入的办事须知", "户籍迁入材料（修订）。", category="公安",
                               source_url=server.document(b)["source_url"]))
    server.delete_announcement(announcement)
    server.delete_guide("最低生活保障申请")
    changes = server.changes_since(kiosk.version())
    assert not changes["full"]
    assert [d["id"] for d in changes["documents"]] == [b]
    assert changes["deleted"]["documents"] == [a] and changes["deleted"]["announcements"] == [announcement]
    kiosk.apply_changes(changes)
    with pytest.raises(ContentNotFound):
        kiosk.document(a)
    assert kiosk.document(b)["body"] == "户籍迁入材料（修订）。"
    assert kiosk.announcements() == [] and kiosk.guides() == []
    assert kiosk.search("低保") == []
    assert kiosk.changes_since(0)["documents"] == server.changes_since(0)["documents"]

    # a kiosk copy from another server (a version ahead of ours) gets everything anew
    assert server.changes_since(server.version() + 50)["full"]
    kiosk.close()


def test_hidden_documents_leave_lists_search_and_categories(content_store):
    a, _ = content_store.upsert_document(doc("关于临时救助的通知", "临时救助", category="民政"))
    content_store.set_document_flags(a, hidden=True)
    assert content_store.documents() == [] and content_store.categories() == []
    assert content_store.search("救助") == []
    with pytest.raises(ContentNotFound):
        content_store.document(a)
    assert content_store.document(a, include_hidden=True)["hidden"] is True
    content_store.set_document_flags(a, hidden=False)
    assert [r["id"] for r in content_store.search("救助")] == [a]


def test_listing_pins_first_then_newest_and_counts_categories(content_store):
    old, _ = content_store.upsert_document(doc("旧文件", published_on="2020-01-01", category="民政"))
    new, _ = content_store.upsert_document(doc("新文件", published_on="2024-01-01", category="民政"))
    other, _ = content_store.upsert_document(doc("其他文件", published_on="2023-01-01", category="公安"))
    assert [d["id"] for d in content_store.documents()] == [new, other, old]
    content_store.set_document_flags(old, pinned=True)
    assert [d["id"] for d in content_store.documents()] == [old, new, other]
    assert [d["id"] for d in content_store.documents(category="民政")] == [old, new]
    assert [d["id"] for d in content_store.documents(limit=1, offset=1)] == [new]
    assert content_store.categories() == [{"name": "民政", "count": 2}, {"name": "公安", "count": 1}]


def test_document_fields_dates_and_missing_values(content_store):
    a, _ = content_store.upsert_document(doc("关于印发办法的通知", written_on="2023-12-30"))
    found = content_store.document(a)
    assert found["written_on"] == "2023-12-30"
    assert found["repealed_on"] is None and found["doc_no"] is None and found["attachments"] == []
    with pytest.raises(InvalidContent):
        content_store.upsert_document(doc("坏日期", written_on="2023年12月30日"))
    with pytest.raises(InvalidContent):
        content_store.upsert_document(doc(""))


def test_announcements_by_display_window(content_store):
    always = content_store.save_announcement({"title": "大厅午间不休息"})
    may = content_store.save_announcement({"title": "五一放假", "starts_on": "2024-04-25", "ends_on": "2024-05-05"})
    pinned = content_store.save_announcement({"title": "系统升级", "starts_on": date(2024, 5, 1), "pinned": True})
    assert [a["id"] for a in content_store.announcements(date(2024, 4, 30))] == [may, always]
    assert [a["id"] for a in content_store.announcements(date(2024, 5, 3))] == [pinned, may, always]
    assert [a["id"] for a in content_store.announcements(date(2024, 6, 1))] == [pinned, always]
    with pytest.raises(InvalidContent):
        content_store.save_announcement({"title": "倒序", "starts_on": "2024-05-05", "ends_on": "2024-05-01"})


def test_guides_are_keyed_by_service_name(content_store):
    content_store.save_guide(GUIDE)
    content_store.save_guide(dict(GUIDE, time_limit="20个工作日"))
    assert len(content_store.guides()) == 1
    guide = content_store.guide_for_service("最低生活保障申请")
    assert guide["time_limit"] == "20个工作日" and guide["online_links"] == GUIDE["online_links"]
    assert content_store.guide_for_service("不存在的事项") is None
    with pytest.raises(InvalidContent):
        content_store.save_guide({"service": "", "materials": []})


def test_a_guide_follows_its_service_to_a_new_name(content_store, tmp_path):
    guide_id = content_store.save_guide(GUIDE)
    kiosk = ContentStore(tmp_path / "kiosk-content.db")
    kiosk.apply_changes(content_store.changes_since(0))
    version = content_store.version()

    assert content_store.rename_guide("最低生活保障申请", "城乡低保申请") == guide_id
    assert content_store.version() == version + 1
    assert content_store.guide_for_service("最低生活保障申请") is None
    moved = content_store.guide_for_service("城乡低保申请")
    assert moved["id"] == guide_id and moved["materials"] == GUIDE["materials"]
    assert [g["service"] for g in content_store.search("城乡低保")] == ["城乡低保申请"]
    # the kiosk's copy follows on its next update: one guide, under the new name
    kiosk.apply_changes(content_store.changes_since(version))
    assert [g["service"] for g in kiosk.guides()] == ["城乡低保申请"]
    kiosk.close()

    # a service without a guide: nothing to carry, nothing changes
    assert content_store.rename_guide("户籍迁入", "户口迁入") is None
    assert content_store.version() == version + 1
    # the new name has a guide of its own: refused, both stay
    content_store.save_guide(GUIDE | {"service": "临时救助申请"})
    with pytest.raises(InvalidContent, match="“临时救助申请”已有办事指南"):
        content_store.rename_guide("城乡低保申请", "临时救助申请")
    assert content_store.guide_for_service("城乡低保申请")["id"] == guide_id


def test_a_store_of_the_first_schema_is_migrated_and_reindexed(tmp_path):
    import sqlite3

    from content.store import MIGRATIONS
    from storage import statements as _statements

    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    for statement in _statements(MIGRATIONS[0]):
        old.execute(statement)
    old.execute("INSERT INTO document (id, source_url, title, doc_no, body, updated_at, version) VALUES "
                "(1, 'http://s/1', '关于印发储备粮管理办法的通知', '和政发〔2018〕12号', '储备粮。', '2024-01-01T00:00:00', 1)")
    old.execute("INSERT INTO search (rowid, title, meta, body, kind, item_id) VALUES "
                "(2, '关于 于印 印发', '和政 政发 2018 12 号', '储备 备粮', 'document', 1)")  # the old cut
    old.execute("PRAGMA user_version=1")
    old.commit()
    old.close()

    with ContentStore(path) as store:
        assert [r["id"] for r in store.search("〔2018〕")] == [1]
        assert [r["id"] for r in store.search("知")] == [1]  # the last character of a run
        assert store.document(1)["title"] == "关于印发储备粮管理办法的通知"
        assert store.gone_documents() == [] and store.held_updates() == []
