"""A small county government website on 127.0.0.1 for the sync tests.

List pages with pagination, articles in several templates (a label/value list, a
four-column table, inline spans, a GBK page with <dl>), a page with markup and script,
a link to a missing page, a page that never answers in time, a page cut off mid-transfer,
a link robots.txt forbids, and a page the test changes between two runs. The server
answers conditional requests (ETag, Last-Modified) and logs every request.

Every text here is written for these tests."""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NAV = """<div class="nav"><a href="/">首页</a><a href="/zwgk/index.html">政务公开</a><a href="/bsfw/">办事服务</a>
<a href="/hdjl/">互动交流</a></div>"""
FOOTER = """<div class="footer"><p>主办单位：和林格尔县人民政府办公室　地址：县城政务大楼</p>
<p>网站标识码：1501230001　蒙ICP备00000000号-1</p></div>"""


def page(title: str, main: str, charset: str = "utf-8", head_extra: str = "") -> str:
    return f"""<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>{title}_和林格尔县人民政府</title>{head_extra}
<script>var _hmt = _hmt || []; document.write("统计代码");</script>
<style>.nav a {{ margin: 0 8px; }}</style></head>
<body>{NAV}
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/index.html">政务公开</a> &gt; 通知公告</div>
{main}
{FOOTER}</body></html>"""


# --- articles -----------------------------------------------------------------------

A1_PATH = "/zwgk/202403/t20240301_1001.html"
A1 = page("和林格尔县民政局关于调整城乡居民最低生活保障标准的通知", """
<div class="xxgk-info"><ul>
<li><span class="lab">索引号：</span><span>11150123MB1234567X/2024-00015</span></li>
<li><span class="lab">主题分类：</span><span>社会保障</span></li>
<li><span class="lab">发布机构：</span><span>和林格尔县民政局</span></li>
<li><span class="lab">成文日期：</span><span>2024-02-26</span></li>
<li><span class="lab">标题：</span><span>和林格尔县民政局关于调整城乡居民最低生活保障标准的通知</span></li>
<li><span class="lab">发文字号：</span><span>和民发〔2024〕8号</span></li>
<li><span class="lab">发布日期：</span><span>2024-03-01</span></li>
<li><span class="lab">废止日期：</span><span>————</span></li>
<li><span class="lab">有效性：</span><span>有效</span></li>
</ul></div>
<div class="article">
<h1>和林格尔县民政局关于调整城乡居民最低生活保障标准的通知</h1>
<div class="TRS_Editor">
<p>各乡镇人民政府，县直有关部门：</p>
<p>经县人民政府同意，自2024年1月1日起，城市居民最低生活保障标准由每人每月760元提高到每人每月790元，农村牧区低保标准由每人每年7200元提高到每人每年7600元。</p>
<p>各乡镇要及时将调整后的低保金足额发放到户，不得截留、挪用。</p>
</div>
<p class="fj">附件：<a href="/files/2024/dbbz.xlsx">附件1：2024年低保标准调整表.xlsx</a></p>
</div>""")
A1_FIELDS = {
    "title": "和林格尔县民政局关于调整城乡居民最低生活保障标准的通知",
    "index_no": "11150123MB1234567X/2024-00015",
    "doc_no": "和民发〔2024〕8号",
    "written_on": "2024-02-26",
    "publisher": "和林格尔县民政局",
    "category": "社会保障",
    "published_on": "2024-03-01",
    "repealed_on": None,
    "validity": "有效",
    "body": "各乡镇人民政府，县直有关部门：\n\n"
            "经县人民政府同意，自2024年1月1日起，城市居民最低生活保障标准由每人每月760元提高到每人每月790元，"
            "农村牧区低保标准由每人每年7200元提高到每人每年7600元。\n\n"
            "各乡镇要及时将调整后的低保金足额发放到户，不得截留、挪用。",
    "attachments": [{"name": "附件1：2024年低保标准调整表.xlsx", "url": "/files/2024/dbbz.xlsx"}],
}

A2_PATH = "/zwgk/202401/t20240105_1002.html"
A2 = page("和林格尔县人民政府办公室关于印发《和林格尔县临时救助实施办法》的通知", """
<table class="xxgk-table" border="1">
<tr><th>索 引 号</th><td>11150123011234567A/2023-00231</td><th>信息分类</th><td>民政、扶贫、救灾</td></tr>
<tr><th>公开主体</th><td>和林格尔县人民政府办公室</td><th>成文日期</th><td>2023年12月30日</td></tr>
<tr><th>标　　题</th><td colspan="3">和林格尔县人民政府办公室关于印发《和林格尔县临时救助实施办法》的通知</td></tr>
<tr><th>发文字号</th><td>和政办发〔2023〕41号</td><th>公开日期</th><td>2024年1月5日</td></tr>
<tr><th>有 效 性</th><td>有效</td><th></th><td></td></tr>
</table>
<div id="zoom">
<p style="text-align:center"><strong>和林格尔县临时救助实施办法</strong></p>
<p>第一条　为规范临时救助工作，切实保障困难群众基本生活，制定本办法。</p>
<p>第二条　临时救助对象包括急难型救助对象和支出型救助对象。</p>
<p>第三条　申请临时救助，可向户籍所在地或经常居住地乡镇人民政府提出。</p>
<p><a href="/files/2024/lsjz.pdf">和林格尔县临时救助实施办法（PDF版）</a></p>
</div>""")
A2_FIELDS = {
    "title": "和林格尔县人民政府办公室关于印发《和林格尔县临时救助实施办法》的通知",
    "index_no": "11150123011234567A/2023-00231",
    "doc_no": "和政办发〔2023〕41号",
    "written_on": "2023-12-30",
    "publisher": "和林格尔县人民政府办公室",
    "category": "民政、扶贫、救灾",
    "published_on": "2024-01-05",
    "repealed_on": None,
    "validity": "有效",
    "body": "和林格尔县临时救助实施办法\n\n"
            "第一条 为规范临时救助工作，切实保障困难群众基本生活，制定本办法。\n\n"
            "第二条 临时救助对象包括急难型救助对象和支出型救助对象。\n\n"
            "第三条 申请临时救助，可向户籍所在地或经常居住地乡镇人民政府提出。",
    "attachments": [{"name": "和林格尔县临时救助实施办法（PDF版）", "url": "/files/2024/lsjz.pdf"}],
}

A3_PATH = "/zwgk/202402/t20240220_1003.html"
A3 = page("关于2024年度城乡居民基本医疗保险集中缴费的公告", """
<div class="main">
<h1 class="article-title">关于2024年度城乡居民基本医疗保险集中缴费的公告</h1>
<div class="info"><span>发布机构：和林格尔县医疗保障局</span>&nbsp;&nbsp;<span>发布时间：2024-02-20 09:30</span>
&nbsp;<span>来源：县医保局</span>&nbsp;浏览次数：<span id="count">36</span></div>
<p class="meta">索引号：11150123MB0987654C/2024-00007　　信息分类：医疗保障　　文号：和医保发〔2024〕3号</p>
<p class="meta">成文日期：2024年2月18日　效力状态：有效</p>
<div class="content">
<p>为做好2024年度城乡居民基本医疗保险集中缴费工作，现将有关事项公告如下：</p>
<p>一、缴费时间：2024年2月20日至6月30日。</p>
<p>二、缴费标准：每人每年380元。</p>
<p>三、缴费方式：可通过社保卡、手机银行或到乡镇便民服务中心缴纳。</p>
</div>
<div class="share">分享到：微信 微博</div>
</div>""")
A3_FIELDS = {
    "title": "关于2024年度城乡居民基本医疗保险集中缴费的公告",
    "index_no": "11150123MB0987654C/2024-00007",
    "doc_no": "和医保发〔2024〕3号",
    "written_on": "2024-02-18",
    "publisher": "和林格尔县医疗保障局",
    "category": "医疗保障",
    "published_on": "2024-02-20",
    "repealed_on": None,
    "validity": "有效",
    "body": "为做好2024年度城乡居民基本医疗保险集中缴费工作，现将有关事项公告如下：\n\n"
            "一、缴费时间：2024年2月20日至6月30日。\n\n"
            "二、缴费标准：每人每年380元。\n\n"
            "三、缴费方式：可通过社保卡、手机银行或到乡镇便民服务中心缴纳。",
    "attachments": [],
}

A4_PATH = "/zwgk/201906/t20190612_1004.html"  # served as GBK, charset only in <meta>
A4 = page("和林格尔县农牧局关于废止部分规范性文件的决定", """
<div class="xxgk"><dl>
<dt>索引号</dt><dd>11150123011122334B/2019-00012</dd>
<dt>分类</dt><dd>农业、畜牧业</dd>
<dt>发文机关</dt><dd>和林格尔县农牧局</dd>
<dt>成文日期</dt><dd>2019年6月10日</dd>
<dt>文号</dt><dd>和农牧发〔2019〕5号</dd>
<dt>公开日期</dt><dd>2019年06月12日</dd>
<dt>废止日期</dt><dd>2023年12月31日</dd>
<dt>效力状态</dt><dd>已废止</dd>
</dl></div>
<h1>和林格尔县农牧局关于废止部分规范性文件的决定</h1>
<div class="wzcon">
<p>经清理，决定废止《和林格尔县草原禁牧休牧管理暂行办法》等3件规范性文件，自公布之日起施行。</p>
<p>废止文件目录附后。</p>
</div>""", charset="gb2312")
A4_FIELDS = {
    "title": "和林格尔县农牧局关于废止部分规范性文件的决定",
    "index_no": "11150123011122334B/2019-00012",
    "doc_no": "和农牧发〔2019〕5号",
    "written_on": "2019-06-10",
    "publisher": "和林格尔县农牧局",
    "category": "农业、畜牧业",
    "published_on": "2019-06-12",
    "repealed_on": "2023-12-31",
    "validity": "已废止",
    "body": "经清理，决定废止《和林格尔县草原禁牧休牧管理暂行办法》等3件规范性文件，自公布之日起施行。\n\n"
            "废止文件目录附后。",
    "attachments": [],
}

A5_PATH = "/zwgk/202404/t20240401_1005.html"  # the test changes it between two runs


def a5_page(open_day: str, validity: str) -> str:
    return page("和林格尔县政务服务中心关于清明节期间办公安排的通知", f"""
<div class="xxgk-info"><ul>
<li><span>索引号：</span><span>11150123MB5550001D/2024-00031</span></li>
<li><span>信息分类：</span><span>通知公告</span></li>
<li><span>公开主体：</span><span>和林格尔县政务服务中心</span></li>
<li><span>成文日期：</span><span>2024-03-28</span></li>
<li><span>文号：</span><span>————</span></li>
<li><span>公开日期：</span><span>2024-04-01</span></li>
<li><span>有效性：</span><span>{validity}</span></li>
</ul></div>
<h1>和林格尔县政务服务中心关于清明节期间办公安排的通知</h1>
<div class="TRS_Editor"><p>清明节期间，政务服务大厅4月4日至6日暂停对外办公，{open_day}起恢复正常办公。</p>
<p>急需办理的事项可拨打值班电话咨询。</p></div>""")


A5_V1 = a5_page("4月7日", "有效")
A5_V2 = a5_page("4月8日", "失效")
A5_FIELDS_V1 = {
    "title": "和林格尔县政务服务中心关于清明节期间办公安排的通知",
    "index_no": "11150123MB5550001D/2024-00031",
    "doc_no": None,
    "written_on": "2024-03-28",
    "publisher": "和林格尔县政务服务中心",
    "category": "通知公告",
    "published_on": "2024-04-01",
    "repealed_on": None,
    "validity": "有效",
    "body": "清明节期间，政务服务大厅4月4日至6日暂停对外办公，4月7日起恢复正常办公。\n\n急需办理的事项可拨打值班电话咨询。",
    "attachments": [],
}

A6_PATH = "/zwgk/202404/t20240410_1006.html"  # markup and script that must come out as plain text
A6 = page("关于网上办事平台升级的公告", """
<div class="xxgk-info"><ul>
<li><span>标题：</span><span>关于[color=ff0000]网上办事[/color]平台升级的公告</span></li>
<li><span>发布机构：</span><span>和林格尔县<b>政务服务</b>中心<script>steal()</script></span></li>
<li><span>发布日期：</span><span>2024年4月10日</span></li>
</ul></div>
<div class="TRS_Editor">
<p>平台将于4月12日晚升级，期间暂停[b]网上申报[/b]。<script>alert('x')</script></p>
<p onclick="evil()">请勿相信 &lt;script&gt;alert(1)&lt;/script&gt; 之类的链接。<img src="x" onerror="evil()"></p>
<style>p { color: red }</style>
</div>""")
A6_FIELDS = {
    "title": "关于［color=ff0000］网上办事［/color］平台升级的公告",
    "publisher": "和林格尔县政务服务中心",
    "published_on": "2024-04-10",
    "body": "平台将于4月12日晚升级，期间暂停［b］网上申报［/b］。\n\n请勿相信 ＜script＞alert(1)＜/script＞ 之类的链接。",
}

# --- pages of the second pass: the county's own format, wrong charsets, cut pages -----

# The county's 政务公开 format: every label and every value an element of its own, no colon,
# and an empty value leaves no element at all (索引号 and 发文字号 below have none).
COUNTY_PATH = "/zwgk/201312/t20131230_2001.html"
COUNTY = page("和林格尔县2013年政务公开和政务服务工作总结", """
<div class="zwgk-xx"><ul class="xx-list">
<li>标题</li><li>和林格尔县2013年政务公开和政务服务工作总结</li>
<li>索引号</li>
<li>发文字号</li>
<li>成文日期</li><li>2013-12-28</li>
<li>公开主体</li><li>政务服务中心</li>
<li>信息分类</li><li>工作总结</li>
<li>公开日期</li><li>2013-12-30</li>
<li>有效性</li>
</ul></div>
<div class="zwgk-nr">
<p>2013年，全县政务公开和政务服务工作围绕便民利民的目标，完善制度，规范流程，取得了明显成效。</p>
<p>一是政务服务中心进驻部门21个，全年受理各类事项一万二千余件，按时办结率达到百分之百。</p>
<p>二是县政府门户网站主动公开各类信息八百余条，依申请公开答复率百分之百。</p>
</div>""")
COUNTY_FIELDS = {
    "title": "和林格尔县2013年政务公开和政务服务工作总结",
    "index_no": None,
    "doc_no": None,
    "written_on": "2013-12-28",
    "publisher": "政务服务中心",
    "category": "工作总结",
    "published_on": "2013-12-30",
    "repealed_on": None,
    "validity": None,
    "body": "2013年，全县政务公开和政务服务工作围绕便民利民的目标，完善制度，规范流程，取得了明显成效。\n\n"
            "一是政务服务中心进驻部门21个，全年受理各类事项一万二千余件，按时办结率达到百分之百。\n\n"
            "二是县政府门户网站主动公开各类信息八百余条，依申请公开答复率百分之百。",
}

# the same format in one line of spans, a value with markup inside, empty values at both ends
COUNTY_SPANS = page("和林格尔县政务服务中心关于延长周末服务时间的通知", """
<div class="xxgk-bar"><span>索引号</span><span>标题</span><span>和林格尔县政务服务中心关于延长<b>周末</b>服务时间的通知</span>
<span>发文字号</span><span>和政服发〔2024〕6号</span><span>成文日期</span><span>公开主体</span><span>和林格尔县政务服务中心</span>
<span>有效性</span></div>
<div class="TRS_Editor"><p>自2024年5月起，政务服务大厅周六上午照常办公，办理社保、医保、户籍等高频事项。</p></div>""")
COUNTY_SPANS_FIELDS = {
    "title": "和林格尔县政务服务中心关于延长周末服务时间的通知",
    "index_no": None,
    "doc_no": "和政服发〔2024〕6号",
    "written_on": None,
    "publisher": "和林格尔县政务服务中心",
    "validity": None,
    "body": "自2024年5月起，政务服务大厅周六上午照常办公，办理社保、医保、户籍等高频事项。",
}

# declared GBK (header and <meta>), sent as UTF-8: what a site migration leaves behind
MISLABELLED_PATH = "/zwgk/202405/t20240506_2002.html"
MISLABELLED = page("和林格尔县残疾人联合会关于发放2024年残疾人两项补贴的公示", """
<div class="xxgk-info"><ul>
<li><span>索引号：</span><span>11150123MB7770002E/2024-00044</span></li>
<li><span>发布机构：</span><span>和林格尔县残疾人联合会</span></li>
<li><span>发布日期：</span><span>2024-05-06</span></li>
</ul></div>
<h1>和林格尔县残疾人联合会关于发放2024年残疾人两项补贴的公示</h1>
<div class="TRS_Editor"><p>经乡镇审核、县残联复核，2024年第二季度困难残疾人生活补贴和重度残疾人护理补贴发放对象共计三百一十二人，现予公示。</p>
<p>公示期为七天，对公示名单有异议的，请向县残疾人联合会反映。</p></div>""", charset="gbk")
MISLABELLED_TITLE = "和林格尔县残疾人联合会关于发放2024年残疾人两项补贴的公示"

# A cut page: a snippet in the page carries its own </body></html> mid-page; the transfer
# (no Content-Length, the server closes) ends right after it. The hidden div holds a URL.
EARLY_END_PATH = "/zwgk/202405/t20240510_2003.html"
EARLY_END = page("和林格尔县应急管理局关于做好汛期安全防范工作的通知", """
<div class="wrapper"><div class="main-box"><div class="left-box">
<div class="hide">https://www.example.gov.cn/</div>
<div class="mobile-tpl">&lt;!-- 手机版模板 --&gt;<div class="m-head">和林格尔县人民政府</div></body></html></div>
<h1>和林格尔县应急管理局关于做好汛期安全防范工作的通知</h1>
<div class="TRS_Editor"><p>各乡镇人民政府，县直各有关单位：入汛以来，我县降雨偏多，请各单位切实做好汛期安全防范工作。</p>
<p>一、加强值班值守，严格执行领导带班和24小时值班制度。</p></div>
</div></div></div>""")
EARLY_END_CUT = EARLY_END.encode("utf-8").index(b"</body></html></div>") + len(b"</body></html>")

# A page of a newspaper-run site: markup inside the ArticleTitle meta, 来源 followed by 编辑
# on one line, a share box and a download widget without telling class names.
WIDGETS_PATH = "/zwgk/202405/t20240512_2004.html"
WIDGETS = page("新闻详情", """
<div class="art-info">来源：和林格尔融媒体中心　编辑：乔丽　发布时间：2024-05-12</div>
<div class="art-box">
<div class="TRS_Editor"><p>近日，县城新增两处便民服务站，群众可就近办理社保查询、水电缴费等十余项业务。</p>
<p>便民服务站工作日全天开放，节假日上午开放。</p></div>
<div class="fx-box"><div>X</div><div>扫一扫在手机打开当前页</div><div><a href="#">pdf下载</a> <a href="#">word下载</a></div></div>
</div>""", head_extra='<meta name="ArticleTitle" content="<div class=&quot;t&quot;>县城新增两处便民服务站</div>">')
WIDGETS_FIELDS = {
    "title": "县城新增两处便民服务站",
    "publisher": "和林格尔融媒体中心",
    "published_on": "2024-05-12",
    "body": "近日，县城新增两处便民服务站，群众可就近办理社保查询、水电缴费等十余项业务。\n\n便民服务站工作日全天开放，节假日上午开放。",
}

MISSING_PATH = "/zwgk/202404/t20240402_1099.html"    # linked, answers 404
SLOW_PATH = "/zwgk/202404/t20240403_1100.html"       # answers after the client gave up
TRUNCATED_PATH = "/zwgk/202404/t20240404_1101.html"  # Content-Length promises more than is sent
PRIVATE_PATH = "/private/t20240101_9999.html"        # robots.txt forbids it

ARTICLES = {A1_PATH: A1_FIELDS, A2_PATH: A2_FIELDS, A3_PATH: A3_FIELDS, A4_PATH: A4_FIELDS,
            A5_PATH: A5_FIELDS_V1, A6_PATH: A6_FIELDS}


def list_page(items: list[tuple[str, str]], pager: str) -> str:
    links = "\n".join(f'<li><a href="{href}" target="_blank">{text}</a><span>2024-04-01</span></li>'
                      for href, text in items)
    return page("通知公告", f'<div class="list"><ul>{links}</ul></div><div class="pager">{pager}</div>')


LIST_1 = list_page([
    (A1_PATH, "和林格尔县民政局关于调整城乡居民最低生活保障标准的通知"),
    ("/zwgk/202401/t20240105_1002.html", "关于印发《和林格尔县临时救助实施办法》的通知"),
    ("202402/t20240220_1003.html", "关于2024年度城乡居民基本医疗保险集中缴费的公告"),
    (MISSING_PATH, "关于开展2024年度养老保险待遇资格认证的通知"),
    (PRIVATE_PATH, "内部工作安排（不公开）"),
], '<span>1</span> <a href="index_1.html">2</a> <a href="index_2.html">3</a> <a href="index_1.html">下一页</a>')
LIST_2 = list_page([
    (A4_PATH, "和林格尔县农牧局关于废止部分规范性文件的决定"),
    (A5_PATH, "和林格尔县政务服务中心关于清明节期间办公安排的通知"),
    (SLOW_PATH, "关于公布2024年第一批涉企收费清单的公告"),
    (TRUNCATED_PATH, "关于做好2024年春季森林草原防火工作的通知"),
], '<a href="index.html">上一页</a> <a href="index.html">1</a> <span>2</span> <a href="index_2.html">3</a> '
   '<a href="index_2.html">下一页</a>')
LIST_3 = list_page([
    (A6_PATH, "关于网上办事平台升级的公告"),
    (A1_PATH, "和林格尔县民政局关于调整城乡居民最低生活保障标准的通知"),
], '<a href="index_1.html">上一页</a> <a href="index.html">1</a> <a href="index_1.html">2</a> <span>3</span>')

LIST_PATHS = ["/zwgk/index.html", "/zwgk/index_1.html", "/zwgk/index_2.html"]
ROBOTS = "User-agent: *\nDisallow: /private/\n"


@dataclass
class Response:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    last_modified: str = field(default_factory=lambda: formatdate(time.time() - 86400, usegmt=True))
    validators: bool = True  # ETag and Last-Modified


@dataclass
class Logged:
    path: str
    status: int
    headers: dict


class FixtureSite:
    """The website: a dict of path -> Response, served by a thread on 127.0.0.1."""

    def __init__(self):
        self.responses: dict[str, Response] = {}
        self.slow: dict[str, float] = {}
        self.truncated: set[str] = set()
        self.cut_after: dict[str, int] = {}  # path -> bytes sent without Content-Length, then the connection closes
        self.failing: dict[str, list[int]] = {}  # path -> statuses answered first, one per request
        self.log: list[Logged] = []
        self.lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as two writes

            def log_message(self, *args):
                pass

            def do_GET(self):
                site.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def put(self, path: str, html: str | bytes, content_type: str = "text/html; charset=utf-8",
            validators: bool = True):
        body = html.encode("utf-8") if isinstance(html, str) else html
        self.responses[path] = Response(body, content_type, formatdate(time.time(), usegmt=True), validators)

    def requests_to(self, path: str) -> list[Logged]:
        with self.lock:
            return [entry for entry in self.log if entry.path == path]

    def clear_log(self):
        with self.lock:
            self.log.clear()

    def handle(self, handler: BaseHTTPRequestHandler):
        path = handler.path.split("?", 1)[0]
        headers = {k.lower(): v for k, v in handler.headers.items()}
        if path in self.slow:
            time.sleep(self.slow[path])
        response = self.responses.get(path)
        with self.lock:
            failure = self.failing[path].pop(0) if self.failing.get(path) else None
        if failure:
            status, body, extra = failure, f"<html><body>HTTP {failure}</body></html>".encode(), {}
            content_type = "text/html; charset=utf-8"
        elif response is None:
            status, body, extra = 404, "<html><body>页面不存在</body></html>".encode(), {}
            content_type = "text/html; charset=utf-8"
        else:
            etag = '"' + hashlib.sha1(response.body).hexdigest()[:16] + '"'
            extra = {"ETag": etag, "Last-Modified": response.last_modified} if response.validators else {}
            content_type = response.content_type
            not_modified = response.validators and (
                headers.get("if-none-match") == etag
                or ("if-none-match" not in headers and headers.get("if-modified-since") == response.last_modified))
            status, body = (304, b"") if not_modified else (200, response.body)
        with self.lock:
            self.log.append(Logged(path, status, headers))
        try:
            handler.send_response(status)
            for name, value in extra.items():
                handler.send_header(name, value)
            if status != 304:
                handler.send_header("Content-Type", content_type)
            if path in self.cut_after and status == 200:
                handler.send_header("Connection", "close")
                handler.end_headers()
                handler.wfile.write(body[: self.cut_after[path]])
                handler.wfile.flush()
                handler.close_connection = True
                return
            if path in self.truncated and status == 200:
                handler.send_header("Content-Length", str(len(body) + 4000))
                handler.send_header("Connection", "close")
                handler.end_headers()
                handler.wfile.write(body[: len(body) // 2])
                handler.wfile.flush()
                handler.close_connection = True
                return
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def build_county_site() -> FixtureSite:
    site = FixtureSite()
    site.put("/robots.txt", ROBOTS, "text/plain; charset=utf-8")
    site.put(LIST_PATHS[0], LIST_1)
    site.put(LIST_PATHS[1], LIST_2)
    site.put(LIST_PATHS[2], LIST_3)
    site.put(A1_PATH, A1)
    site.put(A2_PATH, A2)
    site.put(A3_PATH, A3)
    site.put(A4_PATH, A4.encode("gbk"), "text/html")
    site.put(A5_PATH, A5_V1)
    site.put(A6_PATH, A6)
    site.put(SLOW_PATH, A1.replace("最低生活保障", "涉企收费"))
    site.slow[SLOW_PATH] = 1.5
    site.put(TRUNCATED_PATH, A2.replace("临时救助", "森林草原防火"))
    site.truncated.add(TRUNCATED_PATH)
    site.put(PRIVATE_PATH, A1.replace("最低生活保障", "内部安排"))
    return site


def site_toml(directory, site: FixtureSite, patterns: bool = True, start: str = "/zwgk/index.html") -> str:
    """A site description for the fixture, with quick politeness settings for tests."""
    lines = ['name = "和林格尔县人民政府（测试）"', f'start_urls = ["{site.url}{start}"]',
             "delay_seconds = 0", "timeout_seconds = 0.5", "retries = 1", "backoff_seconds = 0.01"]
    if patterns:
        lines += [r'article_pattern = "/t\\d{8}_\\d+\\.html$"', r'next_pattern = "/zwgk/index(_\\d+)?\\.html$"']
    path = directory / "site.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)
