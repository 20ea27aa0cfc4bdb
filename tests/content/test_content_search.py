"""Search: two-character words, phrases, document numbers, ranking, guides."""

from __future__ import annotations

import pytest

from content.textindex import index_tokens, match_expression

DOCS = [
    dict(title="关于做好城乡居民最低生活保障工作的通知", doc_no="和民发〔2024〕8号",
         body="各乡镇要做好低保对象的动态管理，按时发放低保金。"),
    dict(title="户籍迁入办理须知", doc_no="和公发〔2023〕15号", body="办理户籍迁入需携带居民户口簿和身份证。"),
    dict(title="社保卡换发公告", doc_no="和人社发〔2024〕2号", body="第三代社保卡开始换发，请到社保经办窗口办理。"),
    dict(title="关于城乡居民养老保险缴费的通知", doc_no="和人社发〔2024〕12号",
         body="城乡居民养老保险缴费档次分为十二档。参保人可通过社保卡缴费。"),
    dict(title="政府工作报告", doc_no=None, body="全年新增就业岗位两千个，社会保障水平稳步提高。"),
]


@pytest.fixture
def searchable(content_store):
    ids = {}
    for number, fields in enumerate(DOCS):
        ids[fields["title"]], _ = content_store.upsert_document(dict(fields, source_url=f"http://s/{number}"))
    content_store.save_guide({"service": "社会保障卡申领", "department": "县人社局",
                              "conditions": "本县参保人员", "materials": ["居民身份证", "近期免冠照片"]})
    return content_store, ids


def titles(results):
    return [r["title"] for r in results]


@pytest.mark.parametrize("word, expected", [
    ("社保", {"社保卡换发公告", "关于城乡居民养老保险缴费的通知"}),
    ("低保", {"关于做好城乡居民最低生活保障工作的通知"}),
    ("户籍", {"户籍迁入办理须知"}),
])
def test_two_character_words(searchable, word, expected):
    store, _ = searchable
    assert {r["title"] for r in store.search(word) if r["kind"] == "document"} == expected


def test_phrases_match_only_where_the_characters_stand_together(searchable):
    store, _ = searchable
    assert titles(store.search("最低生活保障")) == ["关于做好城乡居民最低生活保障工作的通知"]
    assert titles(store.search("养老保险缴费")) == ["关于城乡居民养老保险缴费的通知"]
    assert store.search("保险养老") == []  # the same characters in another order
    assert titles(store.search("户籍 身份证")) == ["户籍迁入办理须知"]  # every part must match


def test_document_numbers(searchable):
    store, _ = searchable
    assert titles(store.search("和人社发〔2024〕2号")) == ["社保卡换发公告"]
    assert titles(store.search("和人社发〔2024〕12号")) == ["关于城乡居民养老保险缴费的通知"]
    assert set(titles(store.search("和人社发"))) == {"社保卡换发公告", "关于城乡居民养老保险缴费的通知"}


def test_title_hits_rank_above_body_hits(searchable):
    store, _ = searchable
    results = store.search("社保卡")
    documents = [r for r in results if r["kind"] == "document"]
    assert titles(documents) == ["社保卡换发公告", "关于城乡居民养老保险缴费的通知"]
    results = store.search("社会保障")
    assert results[0]["kind"] == "guide" and results[0]["title"] == "社会保障卡申领"
    assert "政府工作报告" in titles(results)


def test_results_carry_a_snippet_around_the_hit(searchable):
    store, ids = searchable
    (hit,) = [r for r in store.search("十二档")]
    assert hit == {"kind": "document", "id": ids["关于城乡居民养老保险缴费的通知"],
                   "title": "关于城乡居民养老保险缴费的通知", "snippet": hit["snippet"], "doc_no": "和人社发〔2024〕12号",
                   "publisher": None, "category": None, "published_on": None}
    assert "十二档" in hit["snippet"]


def test_single_characters_and_empty_queries(searchable):
    store, _ = searchable
    assert "户籍迁入办理须知" in titles(store.search("籍"))
    assert store.search("") == [] and store.search("  ，。 ") == []


def test_tokens_and_expressions():
    # bigrams and each run's last character: every character begins a token
    assert index_tokens("社会保障卡 2024年") == "社会 会保 保障 障卡 卡 2024 年"
    assert match_expression('社保"') == '("社保")'  # a run's bigrams say it all at the end of a query
    assert match_expression("社保2024") == '("社保" + "保" + "2024")'
    assert match_expression("12号") == '("12" + "号" *)'


def test_a_title_hit_stays_first_when_a_word_is_everywhere(content_store, monkeypatch):
    import content.store
    monkeypatch.setattr(content.store, "SEARCH_RANK_CANDIDATES", 5)
    old, _ = content_store.upsert_document(dict(title="户籍迁入须知", body="说明。", source_url="http://s/old"))
    with content_store.batch():
        for number in range(20):  # newer documents that only mention the word in their body
            content_store.upsert_document(dict(title=f"第{number}份文件", body="涉及户籍的事项。",
                                               source_url=f"http://s/{number}"))
    results = content_store.search("户籍", limit=4)
    assert results[0]["id"] == old and len(results) == 4
    assert all(r["title"].startswith("第") for r in results[1:])


# --- document numbers, single characters, queries that find nothing ---------------------

@pytest.fixture
def numbered(content_store):
    for number, (title, doc_no, body) in enumerate([
        ("关于做好2018年度防汛工作的通知", "和政办发〔2019〕3号", "2018年汛期降雨偏多。"),
        ("关于印发县级储备粮管理办法的通知", "和政发〔2018〕12号", "储备粮实行县级储备。"),
        ("2018年政府工作报告", None, "全年工作回顾。"),
        ("关于第二批政务服务事项清单的公告", "和政服发第15号", "清单附后。"),
    ]):
        content_store.upsert_document({"title": title, "doc_no": doc_no, "body": body,
                                       "source_url": f"http://s/n{number}"})
    return content_store


def test_a_bracketed_year_matches_only_document_numbers(numbered):
    assert titles(numbered.search("〔2018〕")) == ["关于印发县级储备粮管理办法的通知"]
    assert titles(numbered.search("[2018]")) == ["关于印发县级储备粮管理办法的通知"]  # brackets typed another way
    assert set(titles(numbered.search("2018"))) == {"关于做好2018年度防汛工作的通知", "关于印发县级储备粮管理办法的通知",
                                                  "2018年政府工作报告"}
    assert titles(numbered.search("和政发〔2018〕12号")) == ["关于印发县级储备粮管理办法的通知"]
    assert numbered.search("和政发〔2018〕3号") == []
    assert titles(numbered.search("〔2019〕3号")) == ["关于做好2018年度防汛工作的通知"]


def test_di_hao_numbers_are_kept_whole(numbered):
    assert titles(numbered.search("第15号")) == ["关于第二批政务服务事项清单的公告"]
    assert titles(numbered.search("发第15号")) == ["关于第二批政务服务事项清单的公告"]
    assert numbered.search("第12号") == []  # 〔2018〕12号 has no 第


def test_a_single_character_is_found_at_the_end_of_a_run(numbered):
    # 知 only ever ends a run (…的通知): the run's last character is indexed on its own
    assert {r["title"] for r in numbered.search("知")} == {"关于做好2018年度防汛工作的通知", "关于印发县级储备粮管理办法的通知"}
    assert titles(numbered.search("粮")) == ["关于印发县级储备粮管理办法的通知"]


def test_a_query_with_no_hits_does_not_scan_the_documents(numbered, monkeypatch):
    executed = []
    numbered.db.conn.set_trace_callback(executed.append)
    try:
        assert numbered.search("不存在的词语") == []
        assert numbered.search("县2024") == []
    finally:
        numbered.db.conn.set_trace_callback(None)
    statements = " ".join(executed).lower()
    assert "from document" not in statements and " like " not in statements
    assert statements.count("search match") >= 2


def test_title_hits_come_first_even_when_older(content_store):
    content_store.upsert_document({"title": "储备粮管理办法", "body": "正文。", "source_url": "http://s/t"})
    for number in range(5):
        content_store.upsert_document({"title": f"第{number}份通知", "body": "涉及储备粮的管理。" * (number + 1),
                                       "source_url": f"http://s/b{number}"})
    results = content_store.search("储备粮")
    assert results[0]["title"] == "储备粮管理办法" and len(results) == 6
