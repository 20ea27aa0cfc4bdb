"""What the kiosk says about a service, from the queue domain's own answer at fixed moments
of the hall's calendar (so the tests pass on any day): when a closed or full service opens,
its days and hours, tickets left, and one wording of the wait and the windows on the tile,
the ticket screen and the paper."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from helpers import make_hall
from kiosk import text
from kiosk.catalog import parse_services
from kiosk.printing import ticket_slip
from printer import open_printer
from queue_server import store
from queue_server.queue import Queue

BEIJING = ZoneInfo("Asia/Shanghai")
MONDAY_10 = datetime(2026, 11, 30, 10, 0, tzinfo=BEIJING)


@pytest.fixture
def hall(tmp_path):
    config = make_hall(tmp_path, all_day=False)  # the demo hall's real days and hours
    db = store.connect(config["server"]["database"])
    yield config, db
    db.conn.close()


def choice_at(hall, name: str, moment: datetime):
    config, db = hall
    answer = {"departments": Queue(db, config, now=lambda: moment).services()}
    return next(c for d in parse_services(answer) for c in d.services if c.name == name)


@pytest.mark.parametrize("moment,zh,en", [
    (MONDAY_10, "今日不办理该事项，明日 08:30 起", "Not offered today; from 08:30 tomorrow"),
    (datetime(2026, 12, 4, 10, 0, tzinfo=BEIJING), "今日不办理该事项，12月8日（周二）08:30 起",
     "Not offered today; from 08:30 on Tue 8 Dec"),
    (datetime(2026, 12, 1, 13, 0, tzinfo=BEIJING), "现在不在办理时间，12月3日（周四）08:30 起",
     "Not within opening hours now; from 08:30 on Thu 3 Dec"),
    (datetime(2026, 12, 1, 7, 15, tzinfo=BEIJING), "现在不在办理时间，今日 08:30 起",
     "Not within opening hours now; from 08:30 today"),
], ids=["monday", "friday", "tuesday-afternoon", "tuesday-early"])
def test_a_closed_service_says_when_it_opens_and_its_days(hall, moment, zh, en):
    doctor = choice_at(hall, "医师执业注册", moment)  # tue,thu 08:30-12:00
    assert not doctor.pickable
    assert doctor.status_text("zh", moment) == zh
    assert doctor.status_text("en", moment) == en
    assert doctor.detail_text("zh", moment) == "每周二、四 08:30–12:00 办理"
    assert doctor.detail_text("en", moment) == "Open Tue, Thu, 08:30–12:00"


def test_lunch_break_and_weekend_and_holiday(hall):
    config, db = hall
    noon = datetime(2026, 11, 30, 12, 30, tzinfo=BEIJING)
    assert choice_at(hall, "最低生活保障申请", noon).status_text("zh", noon) == "现在不在办理时间，今日 14:30 起"
    friday_evening = datetime(2026, 12, 4, 18, 0, tzinfo=BEIJING)
    assert choice_at(hall, "最低生活保障申请", friday_evening).status_text("zh", friday_evening) == \
        "现在不在办理时间，12月7日（周一）08:30 起"
    store.set_hall_day(db, "2026-11-30", "holiday", "测试假日")
    db.conn.commit()
    assert choice_at(hall, "最低生活保障申请", MONDAY_10).status_text("zh", MONDAY_10) == \
        "今日为节假日，大厅不办公，明日 08:30 起"


def test_tickets_left_then_stopped_until_tomorrow(hall):
    config, db = hall
    db.execute("UPDATE service SET daily_cap = 3 WHERE name = '最低生活保障申请'")
    db.conn.commit()
    queue = Queue(db, config, now=lambda: MONDAY_10)
    service = choice_at(hall, "最低生活保障申请", MONDAY_10)
    assert service.detail_text("zh", MONDAY_10) == "工作日 08:30–12:00、14:30–17:30 办理；今日余号 3"
    queue.issue_ticket(service.id)
    assert "今日余号 2" in choice_at(hall, "最低生活保障申请", MONDAY_10).detail_text("zh", MONDAY_10)
    queue.issue_ticket(service.id)
    queue.issue_ticket(service.id)
    full = choice_at(hall, "最低生活保障申请", MONDAY_10)
    assert not full.pickable and full.remaining_today == 0
    assert full.status_text("zh", MONDAY_10) == "今日已停止取号，明日 08:30 起"
    assert full.status_text("en", MONDAY_10) == "No more tickets today; from 08:30 tomorrow"
    assert "余号" not in full.detail_text("zh", MONDAY_10)


def test_tile_ticket_and_paper_agree_across_shared_windows(hall):
    """Windows 2 and 3 serve both 社会保障卡申领 and 城乡居民养老保险参保登记: a ticket of one
    waits behind the other's. What the tile promises is what the ticket and the paper say."""
    config, db = hall
    queue = Queue(db, config, now=lambda: MONDAY_10)
    pension = choice_at(hall, "城乡居民养老保险参保登记", MONDAY_10)
    for _ in range(3):
        queue.issue_ticket(pension.id)
    card = choice_at(hall, "社会保障卡申领", MONDAY_10)
    assert card.ahead == 3 and card.waiting == 0  # the service's own line is empty; its windows' is not
    tile = card.status_text("zh", MONDAY_10)
    ticket = queue.issue_ticket(card.id)
    assert ticket["ahead"] == card.ahead and ticket["estimated_wait_min"] == card.estimated_wait_min
    assert ticket["windows"] == list(card.windows) == [2, 3]
    on_screen = [text.ahead_text(ticket["ahead"]), text.wait_text(ticket["estimated_wait_min"]),
                 text.windows_text(ticket["windows"])]
    assert tile == f"{on_screen[0]} · {on_screen[1]}" == "前面还有 3 人 · 预计等候" + \
        f"约 {card.estimated_wait_min} 分钟"
    assert on_screen[2] == "请到 2、3 号窗口等候叫号"
    assert text.windows_text([2, 3], "en") == "Please wait for your call at window 2 or 3"
    paper = open_printer("dummy:").print_ticket(ticket_slip(ticket, "和林格尔县政务服务中心", [], "Asia/Shanghai"))
    for words in on_screen:
        assert words.encode("gb18030") in paper, words
