"""Reading pages: every field of every fixture article, in each template and encoding."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import content_fixture_site as fixture
from content.extract import (LABELS, decode_page, extract_article, find_metadata, looks_truncated, normalise_date,
                             read_list_page, read_page)

BASE = "http://site.test"


def _expected(fields: dict) -> dict:
    expected = dict(fields)
    if "attachments" in expected:
        expected["attachments"] = [dict(a, url=BASE + a["url"]) for a in expected["attachments"]]
    return expected


@pytest.mark.parametrize("path, html, fields", [
    (fixture.A1_PATH, fixture.A1, fixture.A1_FIELDS),
    (fixture.A2_PATH, fixture.A2, fixture.A2_FIELDS),
    (fixture.A3_PATH, fixture.A3, fixture.A3_FIELDS),
    (fixture.A4_PATH, fixture.A4, fixture.A4_FIELDS),
    (fixture.A5_PATH, fixture.A5_V1, fixture.A5_FIELDS_V1),
], ids=["label-list", "four-column-table", "inline-spans", "dl-gbk-template", "dashes-mean-none"])
def test_every_field_of_every_template(path, html, fields):
    doc = extract_article(html, BASE + path)
    for name, value in _expected(fields).items():
        assert doc[name] == value, name
    assert doc["source_url"] == BASE + path


def test_gbk_page_decodes_from_its_meta_charset():
    raw = fixture.A4.encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = decode_page(raw, "text/html")
    doc = extract_article(text, BASE + fixture.A4_PATH)
    assert doc["title"] == fixture.A4_FIELDS["title"]
    assert doc["publisher"] == "和林格尔县农牧局"


def test_header_charset_wins_and_gbk_only_characters_survive():
    html = '<html><head><meta charset="gb2312"></head><body><p>朱镕基同志</p></body></html>'
    raw = html.encode("gbk")  # 镕 is in GBK but not in GB2312
    assert "镕" in decode_page(raw, None)
    assert "镕" in decode_page(raw, "text/html; charset=GBK")
    assert decode_page("<p>社保</p>".encode("utf-8"), "text/html") == "<p>社保</p>"


def test_navigation_breadcrumbs_and_footer_are_left_out():
    for html in (fixture.A1, fixture.A3, fixture.A4):
        body = extract_article(html, BASE + "/x.html")["body"]
        for noise in ("当前位置", "网站标识码", "ICP备", "首页", "政务公开", "分享到", "统计代码", "浏览次数"):
            assert noise not in body


def test_markup_and_script_come_out_as_plain_text():
    doc = extract_article(fixture.A6, BASE + fixture.A6_PATH)
    for name, value in fixture.A6_FIELDS.items():
        assert doc[name] == value, name
    for name in ("title", "publisher", "body"):
        for forbidden in ("[", "]", "<", ">", "alert('x')", "steal", "evil", "color: red"):
            assert forbidden not in doc[name], (name, forbidden)


@pytest.mark.parametrize("text, day", [
    ("2013-12-30", "2013-12-30"), ("2013年12月30日", "2013-12-30"), ("2024年1月5日", "2024-01-05"),
    ("2024/3/1 10:20", "2024-03-01"), ("２０２４－０４－０１", "2024-04-01"), ("————", None), ("", None),
    ("2024-13-01", None),
])
def test_dates_are_normalised(text, day):
    assert normalise_date(text) == day


def test_label_variants_padding_and_full_width_colons():
    lines = ["标　　题：县人社局关于失业登记的公告", "发文机关:县人社局", "主题分类：就业创业",
             "发布日期：2024年5月6日　　文号：和人社发〔2024〕2号", "效力状态：————"]
    found = find_metadata(lines)
    assert found["title"] == "县人社局关于失业登记的公告"
    assert found["publisher"] == "县人社局"
    assert found["category"] == "就业创业"
    assert found["published_on"].strip() == "2024年5月6日"
    assert found["doc_no"] == "和人社发〔2024〕2号"
    assert found["validity"] == "————"


def test_a_label_inside_running_text_is_not_metadata():
    found = find_metadata(["开展垃圾分类：宣传进社区活动", "分类：城乡建设"])
    assert found["category"] == "城乡建设"


def test_list_page_with_patterns_and_without():
    url = BASE + "/zwgk/index.html"
    with_patterns = read_list_page(fixture.LIST_1, url, r"/t\d{8}_\d+\.html$", r"/zwgk/index(_\d+)?\.html$")
    heuristic = read_list_page(fixture.LIST_1, url)
    for page in (with_patterns, heuristic):
        assert page.articles == [BASE + fixture.A1_PATH, BASE + fixture.A2_PATH, BASE + fixture.A3_PATH,
                                 BASE + fixture.MISSING_PATH, BASE + fixture.PRIVATE_PATH]
        assert page.next_pages == [BASE + "/zwgk/index_1.html", BASE + "/zwgk/index_2.html"]


def test_truncated_html_is_recognised():
    assert looks_truncated(fixture.A1[: len(fixture.A1) // 2])
    assert not looks_truncated(fixture.A1)


def test_a_scripted_trs_pager_leads_to_every_list_page():
    html = fixture.list_page([(fixture.A1_PATH, "和林格尔县民政局关于调整城乡居民最低生活保障标准的通知")],
                             '<script>createPageHTML(4, 0, "index", "shtml");</script>')
    page = read_list_page(html, BASE + "/zwgk/tzgg/index.shtml")
    assert page.next_pages == [BASE + f"/zwgk/tzgg/index_{n}.shtml" for n in (1, 2, 3)]
    assert page.articles == [BASE + fixture.A1_PATH]


# --- the second pass: the county's format, widgets, hidden text, cut pages, charsets ----

@pytest.mark.parametrize("html, fields", [
    (fixture.COUNTY, fixture.COUNTY_FIELDS),
    (fixture.COUNTY_SPANS, fixture.COUNTY_SPANS_FIELDS),
], ids=["one-element-each", "spans-on-one-line"])
def test_label_lists_without_colons_give_every_field_and_empty_ones_as_null(html, fields):
    doc = extract_article(html, BASE + fixture.COUNTY_PATH)
    for name, value in fields.items():
        assert doc[name] == value, name
    labels = {label for labels in LABELS.values() for label in labels}
    assert not any(doc[name] in labels for name in LABELS)  # never the next label as a value


def test_a_label_list_whose_last_label_is_empty_does_not_take_the_body():
    doc = extract_article(fixture.COUNTY, BASE + fixture.COUNTY_PATH)
    assert doc["validity"] is None  # 有效性 is the list's last element, the body follows


def test_markup_in_a_meta_value_editor_lines_share_box_and_download_widget():
    doc = extract_article(fixture.WIDGETS, BASE + fixture.WIDGETS_PATH)
    for name, value in fixture.WIDGETS_FIELDS.items():
        assert doc[name] == value, name
    for widget in ("扫一扫", "pdf下载", "word下载", "编辑", "乔丽"):
        assert widget not in doc["body"] and widget not in doc["publisher"]


@pytest.mark.parametrize("line, publisher", [
    ("来源：和林格尔融媒体中心　编辑：乔丽", "和林格尔融媒体中心"),
    ("来源：和林格尔融媒体中心 责任编辑：乔丽", "和林格尔融媒体中心"),
    ("发布机构：县民政局　来源：县政府办公室", "县民政局"),
])
def test_editor_and_source_labels_end_a_value(line, publisher):
    assert find_metadata([line])["publisher"].strip() == publisher


@pytest.mark.parametrize("hidden", ['class="hide"', 'class="box hidden"', 'style="display: none"', "hidden"])
def test_a_hidden_element_is_never_the_body(hidden):
    html = fixture.page("关于开展汛期安全检查的通知", f"""
<div {hidden}><div class="TRS_Editor"><p>https://www.example.gov.cn/ 这是一段隐藏的很长很长的文字，比正文还长，比正文还要长得多。</p></div></div>
<div class="article"><p>各乡镇：请于六月底前完成汛期安全检查。</p></div>""")
    doc = extract_article(html, BASE + "/x.html")
    assert doc["body"] == "各乡镇：请于六月底前完成汛期安全检查。"


def test_a_page_cut_after_an_early_closing_html_tag_is_truncated():
    cut = fixture.EARLY_END.encode("utf-8")[:fixture.EARLY_END_CUT].decode("utf-8")
    assert cut.rstrip().endswith("</html>")
    assert looks_truncated(cut)
    assert not looks_truncated(fixture.EARLY_END)  # the whole page, early </html> and all
    for complete in (fixture.A1, fixture.A2, fixture.A3, fixture.A4, fixture.COUNTY, fixture.WIDGETS):
        assert not looks_truncated(complete)
    assert looks_truncated(fixture.A1[: fixture.A1.index("<script>") + 20] + "</body></html>")  # cut in a script


@pytest.mark.parametrize("raw, content_type, used, overridden", [
    (fixture.MISLABELLED.encode("utf-8"), "text/html; charset=GBK", "utf-8", True),     # the header is wrong
    (fixture.MISLABELLED.encode("utf-8"), "text/html", "utf-8", True),                  # the <meta> is wrong
    (fixture.A1.encode("gbk"), "text/html; charset=utf-8", "gb18030", True),            # UTF-8 declared, GBK sent
    (fixture.A4.encode("gbk"), "text/html", "gb18030", False),                          # right: gb2312 in <meta>
    (fixture.A1.encode("utf-8"), "text/html; charset=utf-8", "utf-8", False),
])
def test_charset_by_evidence(raw, content_type, used, overridden):
    page = read_page(raw, content_type)
    assert page.charset == used and page.charset_overridden is overridden
    assert "\ufffd" not in page.text and "和林格尔" in page.text


def test_a_page_broken_in_every_charset_keeps_its_declaration():
    raw = fixture.A1.encode("utf-8").replace("低保".encode("utf-8"), b"\xff\xfe")
    page = read_page(raw, "text/html; charset=utf-8")
    assert page.charset == "utf-8" and not page.charset_overridden and "\ufffd" in page.text


def test_a_complete_page_with_a_stray_open_div_or_three_is_not_truncated():
    rows = "".join(f"<div class='row'><span>第{n}项</span></div>" for n in range(40))
    sloppy = fixture.page("关于公布权责清单的通知", f"<div class='main'><div class='list'><div>{rows}"
                                            "<div class='TRS_Editor'><p>权责清单附后。</p></div>")
    assert not looks_truncated(sloppy)  # three divs of forty-four never closed: sloppy, not cut
    assert looks_truncated(sloppy[: sloppy.index("第5项")] + "</body></html>")


# the county's list with any fields left empty, in either markup
_COUNTY_VALUES = {"标题": "和林格尔县政务服务中心2014年工作要点", "索引号": "11150123MB0000001A/2014-00001",
                  "发文字号": "和政服发〔2014〕1号", "成文日期": "2014-01-08", "公开主体": "政务服务中心",
                  "信息分类": "工作计划", "公开日期": "2014-01-10", "有效性": "有效"}
_COUNTY_FIELDS = {"标题": "title", "索引号": "index_no", "发文字号": "doc_no", "成文日期": "written_on",
                  "公开主体": "publisher", "信息分类": "category", "公开日期": "published_on", "有效性": "validity"}


@settings(max_examples=60, deadline=None)
@given(filled=st.lists(st.booleans(), min_size=len(_COUNTY_VALUES), max_size=len(_COUNTY_VALUES)),
       element=st.sampled_from(["li", "span", "td"]))
def test_any_empty_fields_of_the_county_list_are_null_and_the_others_right(filled, element):
    filled[0] = True  # a page without its title is no article
    cells = []
    for (label, value), has_value in zip(_COUNTY_VALUES.items(), filled):
        cells.append(f"<{element}>{label}</{element}>")
        if has_value:
            cells.append(f"<{element}>{value}</{element}>")
    wrapper = {"li": "ul", "span": "div", "td": "tr"}[element]
    block = f"<{wrapper} class='xx'>{''.join(cells)}</{wrapper}>"
    if element == "td":
        block = f"<table>{block}</table>"
    html = fixture.page("政务公开", block + "<div class='zwgk-nr'><p>全年工作要点如下，请各窗口认真落实。</p></div>")
    doc = extract_article(html, BASE + "/zwgk/t20140110_1.html")
    for (label, value), has_value in zip(_COUNTY_VALUES.items(), filled):
        assert doc[_COUNTY_FIELDS[label]] == (value if has_value else None), (label, filled)


def test_a_short_body_beside_a_long_title_in_the_metadata_is_still_the_body():
    html = fixture.page("政务公开", """<table><tr><td>标题</td><td>关于公布2024年第二批涉企收费目录清单的公示</td>
<td>索引号</td><td>发文字号</td><td>公开日期</td><td>2024-06-03</td></tr></table>
<div><p>详见附件。</p><a href="/files/2024/sfqd.pdf">涉企收费目录清单.pdf</a></div>""")
    doc = extract_article(html, BASE + "/zwgk/t20240603_9.html")
    assert doc["title"] == "关于公布2024年第二批涉企收费目录清单的公示" and doc["published_on"] == "2024-06-03"
    assert doc["body"] == "详见附件。"  # not the title's table cell, which holds more text
    assert doc["attachments"] == [{"name": "涉企收费目录清单.pdf", "url": BASE + "/files/2024/sfqd.pdf"}]
