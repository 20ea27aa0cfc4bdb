"""Every sentence the kiosk shows, in Chinese first and English second.

Screens look words up with `tr(key, lang, **values)`; a missing English text falls back
to the Chinese one, so a forgotten translation never shows a key to a citizen."""

from __future__ import annotations

LANGUAGES = ("zh", "en")

# key: (Chinese, English)
TEXTS: dict[str, tuple[str, str]] = {
    # top bar, shown on every screen
    "bar.home": ("首页", "Home"),
    "bar.back": ("返回", "Back"),
    "bar.big_type": ("大字", "Large"),
    "bar.normal_type": ("标准字", "Normal"),
    "bar.language": ("English", "中文"),
    "bar.offline": ("取号服务连接中…", "Connecting to the queue server…"),
    # home
    "home.take_ticket": ("取号", "Take a number"),
    "home.take_ticket_hint": ("选择事项，打印排队号票", "Pick a service, get a ticket"),
    "home.disclosure": ("政务公开", "Government information"),
    "home.disclosure_hint": ("政策文件、通知公告", "Policies and notices"),
    "home.guides": ("办事指南", "Service guides"),
    "home.guides_hint": ("办理条件、所需材料", "Conditions and materials"),
    "home.weekday": ("星期{day}", "{day}"),
    "home.no_announcement": ("欢迎来到{hall}，请在自助机取号后等候叫号。",
                             "Welcome to {hall}. Please take a number and wait to be called."),
    # service picker
    "services.title": ("请选择办事部门", "Choose a department"),
    "services.pick_service": ("请选择要办理的事项", "Choose a service"),
    "services.waiting": ("等候 {waiting} 人 · 约 {minutes} 分钟", "{waiting} waiting · about {minutes} min"),
    "services.waiting_none": ("无需等候", "No wait"),
    "services.closed": ("暂停取号：{reason}", "Not available now: {reason}"),
    "services.closed_plain": ("暂停取号", "Not available now"),
    "services.cap_reached": ("今日号源已取完（限 {cap} 号），请明日再来或预约办理",
                             "Today's {cap} tickets are all taken; please come back tomorrow or book ahead"),
    "services.loading": ("正在读取事项…", "Loading services…"),
    "services.offline": ("暂时无法连接取号服务，请稍候，恢复后本页会自动更新；也可到咨询台人工取号。",
                         "The queue server cannot be reached. This page updates by itself once it is back; "
                         "the help desk can also give you a number."),
    "services.count": ("{count} 个事项", "{count} services"),
    "services.issuing": ("正在取号，请稍候…", "Getting your number…"),
    "services.refused": ("未能取号：{message}", "No ticket issued: {message}"),
    # ticket issued
    "ticket.your_number": ("您的号码", "Your number"),
    "ticket.ahead": ("前面还有 {ahead} 人", "{ahead} people ahead of you"),
    "ticket.ahead_none": ("前面没有人，请留意叫号", "You are next, please watch the screen"),
    "ticket.wait": ("预计等候约 {minutes} 分钟", "Estimated wait about {minutes} min"),
    "ticket.printing": ("正在打印号票…", "Printing your ticket…"),
    "ticket.printed": ("打印完成，请取走号票", "Printed. Please take your ticket"),
    "ticket.print_failed": ("号票未能打印，但号码有效", "The ticket could not be printed, but your number is valid"),
    "ticket.print_failed_advice": ("请用手机拍照留存本页，或到咨询台出示号码；扫码可查看排队进度。",
                                   "Take a photo of this screen, or show your number at the help desk. "
                                   "Scan the code to follow the queue."),
    "ticket.scan": ("手机扫码查看排队进度", "Scan to follow the queue"),
    "ticket.done": ("完成", "Done"),
    "ticket.issued_at": ("取号时间 {time}", "Issued at {time}"),
    # disclosure
    "disclosure.title": ("政务公开", "Government information"),
    "disclosure.categories": ("信息分类", "Categories"),
    "disclosure.all": ("全部", "All"),
    "disclosure.topics": ("常用主题", "Common topics"),
    "disclosure.search_hint": ("输入关键词搜索", "Type a word to search"),
    "disclosure.search": ("搜索", "Search"),
    "disclosure.results": ("“{q}”的搜索结果：{count} 条", "Results for “{q}”: {count}"),
    "disclosure.none": ("没有找到相关内容，请换个词试试。", "Nothing found, try another word."),
    "disclosure.empty": ("暂无公开信息，请稍后再看。", "No documents yet, please check back later."),
    "disclosure.more": ("更多", "More"),
    "disclosure.list": ("{category}（{count}）", "{category} ({count})"),
    "disclosure.guide_hit": ("办事指南", "Service guide"),
    "article.scan": ("扫码在手机上查看原文", "Scan to read the original page"),
    "article.attachments": ("附件", "Attachments"),
    "article.missing": ("该文件已下架。", "This document is no longer available."),
    # document metadata labels (the standard block of a 政府信息公开 page)
    "meta.index_no": ("索引号", "Index no."),
    "meta.doc_no": ("发文字号", "Document no."),
    "meta.written_on": ("成文日期", "Written on"),
    "meta.publisher": ("发布机构", "Publisher"),
    "meta.category": ("信息分类", "Category"),
    "meta.published_on": ("公开日期", "Published on"),
    "meta.repealed_on": ("废止日期", "Repealed on"),
    "meta.validity": ("有效性", "Validity"),
    # guides
    "guides.title": ("办事指南", "Service guides"),
    "guides.empty": ("暂无办事指南。", "No service guides yet."),
    "guide.legal_basis": ("法定依据", "Legal basis"),
    "guide.conditions": ("申请条件", "Who can apply"),
    "guide.procedure": ("办理程序", "Procedure"),
    "guide.materials": ("申报材料", "Materials to bring"),
    "guide.time_limit": ("办理时限", "Time limit"),
    "guide.fees": ("收费标准", "Fees"),
    "guide.contact": ("联系方式", "Contact"),
    "guide.not_given": ("（未公布）", "(not published)"),
    "guide.print": ("打印材料清单", "Print the list of materials"),
    "guide.printing": ("正在打印材料清单…", "Printing the list…"),
    "guide.printed": ("已打印，请取走材料清单", "Printed. Please take the list"),
    "guide.print_failed": ("未能打印：{reason}。请拍照留存本页。", "Could not print: {reason}. Please take a photo."),
    "guide.take_ticket": ("为此事项取号", "Take a number for this service"),
    # admin exit
    "admin.title": ("管理员退出", "Administrator exit"),
    "admin.pin": ("请输入管理密码", "Enter the admin PIN"),
    "admin.wrong": ("密码错误", "Wrong PIN"),
    "admin.cancel": ("取消", "Cancel"),
    "admin.clear": ("清除", "Clear"),
    "admin.exit": ("退出", "Exit"),
    # printer and network problems, in words for a citizen
    "printer.paper_out": ("打印机缺纸", "the printer is out of paper"),
    "printer.cover_open": ("打印机纸仓盖未关", "the printer cover is open"),
    "printer.offline": ("打印机离线", "the printer is offline"),
    "printer.error": ("打印机故障", "the printer has a fault"),
}

WEEKDAYS = {"zh": "一二三四五六日", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}


def tr(key: str, lang: str = "zh", **values) -> str:
    zh, en = TEXTS[key]
    text = en if lang == "en" and en else zh
    return text.format(**values) if values else text


def weekday(index: int, lang: str = "zh") -> str:
    return tr("home.weekday", lang, day=WEEKDAYS["en" if lang == "en" else "zh"][index])
