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
    "bar.help": ("帮助 · 呼叫工作人员", "Help · call staff"),
    "bar.help_sent": ("已呼叫，工作人员马上就到", "Staff are on their way"),
    "bar.help_failed": ("呼叫未送达，请到咨询台", "Call not sent: please go to the help desk"),
    # while the queue server cannot be reached
    "offline.panel": ("暂时无法取号，请到咨询台人工取号", "Tickets cannot be issued right now. "
                      "Please get a number at the help desk."),
    "offline.tile": ("暂时无法取号", "Not available right now"),
    # home
    "home.take_ticket": ("取号", "Take a number"),
    "home.take_ticket_hint": ("选择事项，打印排队号票", "Pick a service, get a ticket"),
    "home.disclosure": ("政务公开", "Government information"),
    "home.disclosure_hint": ("政策文件、通知公告", "Policies and notices"),
    "home.guides": ("办事指南", "Service guides"),
    "home.guides_hint": ("办理条件、所需材料", "Conditions and materials"),
    "home.checkin": ("预约取号", "Booked? Check in"),
    "home.checkin_hint": ("输入或扫描预约码，优先叫号", "Type or scan your booking code"),
    # 预约取号: checking in a booking
    "checkin.title": ("预约取号", "Check in a booking"),
    "checkin.hint": ("请输入6位预约码，或将预约二维码对准扫码口", "Type the 6-character booking code, or scan its QR code"),
    "checkin.submit": ("确定", "OK"),
    "checkin.erase": ("删除", "Delete"),
    "checkin.too_short": ("预约码是 {length} 位，请输入完整", "The booking code has {length} characters"),
    "checkin.checking": ("正在签到…", "Checking in…"),
    "checkin.refused": ("未能签到：{message}", "Not checked in: {message}"),
    "ticket.appointment": ("预约 · 优先叫号", "Booked · called first"),
    "ticket.green_channel": ("绿色通道 · 优先叫号", "Priority lane · called first"),
    # 预约其他日期: booking a later day at the kiosk (kiosk/booking.py)
    "checkin.book_later": ("预约其他日期", "Book a later day"),
    "book.title_service": ("预约 · 选择事项", "Book · choose a service"),
    "book.title_day": ("预约 · 选择日期", "Book · choose a day"),
    "book.title_slot": ("预约 · 选择时段", "Book · choose a time"),
    "book.title_form": ("预约 · 填写信息", "Book · your details"),
    "book.title_done": ("预约成功", "Booked"),
    "book.pick_service": ("请选择要预约的事项（当天办理请直接取号）", "Choose a service (for today, take a number instead)"),
    "book.loading": ("正在查询可预约时间…", "Looking up free times…"),
    "book.day": ("{month}月{day}日 {weekday}", "{month}/{day} {weekday}"),
    "book.places": ("可预约 {count} 人", "{count} places left"),
    "book.full": ("已约满", "Fully booked"),
    "book.no_days": ("该事项近期没有可预约的日期，请直接取号或选择其他事项", "No day can be booked soon: take a number or choose another service"),
    "book.no_slots": ("这一天没有可预约的时段", "No time can be booked on this day"),
    "book.name": ("姓名", "Name"),
    "book.name_hint": ("请输入姓名（或放置身份证）", "Your name (or lay your ID card on the reader)"),
    "book.name_from_card": ("{name}（已读取身份证）", "{name} (from your ID card)"),
    "book.phone": ("手机号码", "Mobile"),
    "book.phone_hint": ("请在下方输入11位手机号码", "Type your 11-digit mobile number below"),
    "book.submit": ("确认预约", "Book"),
    "book.sending": ("正在预约…", "Booking…"),
    "book.need_name": ("请填写姓名，或放置身份证", "Please give your name, or lay your ID card on the reader"),
    "book.need_phone": ("请输入11位手机号码", "Please type your 11-digit mobile number"),
    "book.refused": ("未能预约：{message}", "Not booked: {message}"),
    "book.your_code": ("您的预约码", "Your booking code"),
    "book.done_lines": ("{service}\n{date} {start}–{end}\n请于当天 {checkin_from}–{checkin_until} 到自助机「预约取号」签到",
                        "{service}\n{date} {start}–{end}\nCheck in at a kiosk on the day, {checkin_from}–{checkin_until}"),
    "book.keep_code": ("请拍照或记下预约码；当天扫此二维码或输入预约码即可签到",
                       "Take a photo or note the code; on the day scan this QR or type the code"),
    "book.keep_code_card": ("请拍照或记下预约码；当天扫此二维码、输入预约码或放置本人身份证即可签到",
                            "Take a photo or note the code; on the day scan this QR, type the code or lay your ID card"),
    # an ID card laid on the reader (kiosk/card.py)
    "card.read": ("已读取身份证：{name}", "ID card read: {name}"),
    "card.checking": ("正在查询今日预约…", "Looking for today's booking…"),
    "card.next_ticket": ("请选择事项取号，号票将登记本人", "Pick a service: the ticket will be in your name"),
    "card.green_channel": ("{age}岁，取号走绿色通道，优先叫号", "Aged {age}: priority lane, called first"),
    "card.unusable": ("身份证暂时无法识别，请直接取号", "The ID card cannot be used now: please take a number"),
    "card.forget": ("取消", "Cancel"),
    "home.weekday": ("星期{day}", "{day}"),
    "home.notice": ("公告", "Notice"),
    "home.notice_more": ("查看全文", "Read all"),
    "notice.close": ("关闭", "Close"),
    "home.no_announcement": ("欢迎来到{hall}，请在自助机取号后等候叫号。",
                             "Welcome to {hall}. Please take a number and wait to be called."),
    # service picker
    "services.title": ("请选择办事部门", "Choose a department"),
    "services.pick_service": ("请选择要办理的事项", "Choose a service"),
    "services.waiting_none": ("无需等候，取号后请留意叫号", "No wait: take a number and watch the screen"),
    "services.remaining": ("今日余号 {count}", "{count} tickets left today"),
    "services.schedule": ("{days} {hours} 办理", "Open {days}, {hours}"),
    "services.every_day": ("每天", "every day"),
    "services.workdays": ("工作日", "Mon–Fri"),
    "services.all_day": ("全天", "all day"),
    "closed.disabled": ("该事项暂停办理", "This service is suspended"),
    "closed.holiday": ("今日为节假日，大厅不办公", "The hall is closed today (public holiday)"),
    "closed.not_today": ("今日不办理该事项", "Not offered today"),
    "closed.outside_hours": ("现在不在办理时间", "Not within opening hours now"),
    "closed.cap_reached": ("今日已停止取号", "No more tickets today"),
    "closed.cap_reached_cap": ("今日 {cap} 个号已取完，已停止取号", "All {cap} tickets of today are taken"),
    "closed.plain": ("暂停取号", "Not available now"),
    "opens.today": ("今日 {time} 起", "from {time} today"),
    "opens.tomorrow": ("明日 {time} 起", "from {time} tomorrow"),
    "opens.on": ("{month}月{day}日（{weekday}）{time} 起", "from {time} on {weekday} {day} {month_name}"),
    "services.loading": ("正在读取事项…", "Loading services…"),
    "services.offline": ("暂时无法连接取号服务，请稍候，恢复后本页会自动更新；也可到咨询台人工取号。",
                         "The queue server cannot be reached. This page updates by itself once it is back; "
                         "the help desk can also give you a number."),
    "services.count": ("{count} 个事项", "{count} services"),
    "services.count_open": ("{count} 个事项可取号", "{count} services taking numbers now"),
    "services.none_open": ("现在没有可取号的事项", "No service taking numbers now"),
    "services.issuing": ("正在取号，请稍候…", "Getting your number…"),
    "services.refused": ("未能取号：{message}", "No ticket issued: {message}"),
    # ticket issued
    "ticket.your_number": ("您的号码", "Your number"),
    "ticket.ahead": ("前面还有 {ahead} 人", "{ahead} people ahead of you"),
    "ticket.ahead_one": ("前面还有 1 人", "1 person ahead of you"),
    "ticket.ahead_none": ("前面没有人", "No one ahead of you"),
    "ticket.wait": ("预计等候约 {minutes}", "Estimated wait about {minutes}"),
    "ticket.windows": ("请到 {windows} 号窗口等候叫号", "Please wait for your call at window {windows}"),
    "ticket.reason": ("（{reason}）", " ({reason})"),
    "ticket.printing": ("正在打印号票…", "Printing your ticket…"),
    "ticket.printed": ("打印完成，请取走号票", "Printed. Please take your ticket"),
    "ticket.print_failed": ("号票未能打印，但号码有效", "The ticket could not be printed, but your number is valid"),
    "ticket.print_failed_advice": ("请用手机拍照留存本页，或到咨询台出示号码；扫码可查看排队进度。",
                                   "Take a photo of this screen, or show your number at the help desk. "
                                   "Scan the code to follow the queue."),
    "ticket.paper_blank": ("号票上个别字未能印出，号码有效，以本屏显示为准",
                           "A character may be missing on the paper; your number is valid as shown here"),
    "ticket.scan": ("手机扫码查看排队进度", "Scan to follow the queue"),
    "ticket.done": ("完成", "Done"),
    "ticket.issued_at": ("取号时间 {time}", "Issued at {time}"),
    # disclosure
    "disclosure.title": ("政务公开", "Government information"),
    "disclosure.categories": ("信息分类", "Categories"),
    "disclosure.all": ("全部", "All"),
    "disclosure.topics": ("常用主题", "Common topics"),
    "disclosure.search_hint": ("点此用拼音搜索，如 sb 或 shebao", "Tap to search in pinyin, e.g. sb or shebao"),
    "disclosure.searching": ("搜索：{q}", "Search: {q}"),
    "disclosure.clear": ("清空", "Clear"),
    "disclosure.erase": ("删除", "Del"),
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
    "guide.confirm_ticket": ("为“{service}”取号？", "Take a number for “{service}”?"),
    "guide.confirm_yes": ("取号", "Take a number"),
    "guide.confirm_no": ("不用了", "No, thanks"),
    "guide.no_ticket": ("本事项不在自助机取号，请到咨询台", "This service has no kiosk number; please ask at the help desk"),
    # idle reset
    "idle.warning": ("{seconds} 秒后回到首页", "Back to the start in {seconds} s"),
    "idle.continue": ("继续阅读", "Keep reading"),
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
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def tr(key: str, lang: str = "zh", **values) -> str:
    zh, en = TEXTS[key]
    text = en if lang == "en" and en else zh
    return text.format(**values) if values else text


def weekday(index: int, lang: str = "zh") -> str:
    return tr("home.weekday", lang, day=WEEKDAYS["en" if lang == "en" else "zh"][index])


# --- the wait, the windows, the opening times: one wording for the tile, the ticket screen and the paper


def ahead_text(ahead: int, lang: str = "zh") -> str:
    if ahead <= 0:
        return tr("ticket.ahead_none", lang)
    return tr("ticket.ahead_one", lang) if ahead == 1 else tr("ticket.ahead", lang, ahead=ahead)


def wait_text(minutes, lang: str = "zh") -> str:
    """预计等候约 45 分钟 / 约 1 小时 5 分钟: as the printed ticket words it."""
    if minutes in (None, ""):
        return tr("ticket.wait", lang, minutes="-")
    hours, rest = divmod(max(1, round(minutes)), 60)
    if lang == "en":
        amount = f"{hours} h {rest} min" if hours and rest else (f"{hours} h" if hours else f"{rest} min")
    else:
        amount = f"{hours} 小时 {rest} 分钟" if hours and rest else (f"{hours} 小时" if hours else f"{rest} 分钟")
    return tr("ticket.wait", lang, minutes=amount)


def windows_text(windows: list[int], lang: str = "zh") -> str:
    """请到 3、4 号窗口等候叫号 / Please wait ... at window 3 or 4; "" without windows."""
    if not windows:
        return ""
    numbers = [str(number) for number in windows]
    if lang == "en":
        joined = numbers[0] if len(numbers) == 1 else ", ".join(numbers[:-1]) + " or " + numbers[-1]
    else:
        joined = "、".join(numbers)
    return tr("ticket.windows", lang, windows=joined)


def days_text(days: list[int], lang: str = "zh") -> str:
    """Weekday numbers (Monday 0) → 每周二、四 / Tue, Thu; 每天 / every day; 工作日."""
    days = sorted(set(days))
    if days == list(range(7)):
        return tr("services.every_day", lang)
    if days == list(range(5)):
        return tr("services.workdays", lang)
    if lang == "en":
        return ", ".join(WEEKDAYS["en"][day] for day in days)
    return "每周" + "、".join(WEEKDAYS["zh"][day] for day in days)


def hours_text(spans: list[str], lang: str = "zh") -> str:
    """['08:30-12:00', '14:30-17:30'] → 08:30–12:00、14:30–17:30; all day → 全天."""
    spans = [span.strip() for span in spans or []]
    if not spans or spans == ["00:00-24:00"]:
        return tr("services.all_day", lang)
    return ("、" if lang == "zh" else ", ").join(span.replace("-", "–") for span in spans)


def opens_text(when, today, lang: str = "zh") -> str:
    """When a closed service opens next: 今日 14:30 起 / 明日 08:30 起 / 12月3日（周四）08:30 起."""
    time = f"{when:%H:%M}"
    days_ahead = (when.date() - today).days
    if days_ahead <= 0:
        return tr("opens.today", lang, time=time)
    if days_ahead == 1:
        return tr("opens.tomorrow", lang, time=time)
    weekday_name = ("周" + WEEKDAYS["zh"][when.weekday()]) if lang == "zh" else WEEKDAYS["en"][when.weekday()]
    return tr("opens.on", lang, month=when.month, day=when.day, weekday=weekday_name, time=time,
              month_name=MONTHS_EN[when.month - 1])
