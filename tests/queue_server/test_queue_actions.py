"""The window actions on the domain, one rule per test."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from queue_server import store
from queue_server.accounts import Principal
from queue_server.errors import (AlreadyEvaluated, BadRequest, DailyCapReached, Forbidden, QueueEmpty, ServiceClosed,
                                 TransferRefused, UnknownService, UnknownWindow, WindowClosed, WindowPaused, WindowTaken, WrongState)
from queue_server.queue import Queue

pytestmark = pytest.mark.calendar  # also run at fixed moments of the hall's clock (Makefile)


class Clock:
    """A hand-moved clock so issue times differ and estimates are deterministic."""

    def __init__(self, start="2026-11-25T09:00:00+08:00"):
        self.moment = datetime.fromisoformat(start)

    def __call__(self):
        return self.moment

    def tick(self, seconds=1):
        self.moment += timedelta(seconds=seconds)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def queue(hall_config, hall_db, clock):
    return Queue(hall_db, hall_config, now=clock)


def staff(db, name) -> Principal:
    person = store.find_staff_login(db, name)
    return Principal("staff", role=person["role"], staff_id=person["id"], name=name)


def sid(db, name) -> int:
    return store.get_service_by_name(db, name)["id"]


def issue(queue, clock, db, name, **kw):
    clock.tick()
    return queue.issue_ticket(sid(db, name), **kw)


def test_call_next_takes_priority_first_then_earliest_issue(queue, clock, hall_db):
    wang = staff(hall_db, "王丽")
    queue.open_window(1, wang)
    a1 = issue(queue, clock, hall_db, "最低生活保障申请")
    a2 = issue(queue, clock, hall_db, "临时救助申请")
    green = issue(queue, clock, hall_db, "最低生活保障申请", priority=1)
    order = []
    for _ in range(3):
        order.append(queue.call_next(1, wang)["number"])
        queue.finish(1, wang)
    assert order == [green["number"], a1["number"], a2["number"]]
    with pytest.raises(QueueEmpty):
        queue.call_next(1, wang)


def test_call_next_only_takes_the_windows_services(queue, clock, hall_db):
    wang = staff(hall_db, "王丽")
    queue.open_window(1, wang)
    issue(queue, clock, hall_db, "失业登记")  # served at windows 2 and 3, not 1
    with pytest.raises(QueueEmpty):
        queue.call_next(1, wang)


def test_window_must_be_open_and_owned(queue, clock, hall_db):
    wang, zhao = staff(hall_db, "王丽"), staff(hall_db, "赵建国")
    issue(queue, clock, hall_db, "最低生活保障申请")
    with pytest.raises(Forbidden):
        queue.call_next(1, wang)  # not her window yet
    queue.open_window(1, wang)
    with pytest.raises(WindowTaken):
        queue.open_window(1, zhao)
    with pytest.raises(Forbidden):
        queue.call_next(1, zhao)
    with pytest.raises(WindowTaken):
        queue.open_window(2, wang)  # already at window 1
    with pytest.raises(UnknownWindow):
        queue.open_window(99, wang)
    admin = staff(hall_db, "周管理")
    assert queue.call_next(1, admin)["window"] == 1  # admins may act on any window


def test_pause_blocks_calls_until_resumed(queue, clock, hall_db):
    wang = staff(hall_db, "王丽")
    queue.open_window(1, wang)
    issue(queue, clock, hall_db, "最低生活保障申请")
    view = queue.pause(1, wang, reason="系统维护")
    assert view["state"] == "paused" and view["pause_reason"] == "系统维护"
    with pytest.raises(WindowPaused):
        queue.call_next(1, wang)
    queue.resume(1, wang)
    assert queue.call_next(1, wang)["status"] == "called"
    queue.finish(1, wang)
    queue.close_window(1, wang)
    with pytest.raises(Forbidden):
        queue.call_next(1, wang)  # closed: she no longer holds it
    admin = staff(hall_db, "周管理")
    with pytest.raises(WindowClosed):
        queue.call_next(1, admin)


def test_states_refuse_actions_that_do_not_fit(queue, clock, hall_db):
    wang = staff(hall_db, "王丽")
    queue.open_window(1, wang)
    with pytest.raises(WrongState):
        queue.recall(1, wang)  # nothing called
    issue(queue, clock, hall_db, "最低生活保障申请")
    issue(queue, clock, hall_db, "最低生活保障申请")
    queue.call_next(1, wang)
    with pytest.raises(WrongState):
        queue.call_next(1, wang)  # the current one is not finished
    queue.start(1, wang)
    with pytest.raises(WrongState):
        queue.no_show(1, wang)  # already at the window
    with pytest.raises(WrongState):
        queue.close_window(1, wang)
    with pytest.raises(BadRequest):
        queue.finish(1, wang, outcome="随便")
    done = queue.finish(1, wang, outcome="受理")
    assert done["status"] == "done" and done["outcome"] == "受理"


def test_recall_and_no_show(queue, clock, hall_db):
    wang = staff(hall_db, "王丽")
    queue.open_window(1, wang)
    ticket = issue(queue, clock, hall_db, "最低生活保障申请")
    queue.call_next(1, wang)
    assert queue.recall(1, wang)["call_count"] == 2
    missed = queue.no_show(1, wang)
    assert missed["number"] == ticket["number"] and missed["status"] == "no_show"
    types = [r[0] for r in hall_db.execute("SELECT type FROM event WHERE ticket_id = ? ORDER BY id", [ticket["id"]])]
    assert types == ["ticket_issued", "ticket_called", "ticket_recalled", "ticket_no_show"]


def test_hold_and_returning_missed_ticket_go_back_after_k_others(queue, clock, hall_db, hall_config):
    wang = staff(hall_db, "王丽")
    queue.open_window(1, wang)
    tickets = [issue(queue, clock, hall_db, "最低生活保障申请") for _ in range(6)]
    first = queue.call_next(1, wang)
    assert first["number"] == tickets[0]["number"]
    queue.hold(1, wang, after=2)  # back in line after two others
    order = []
    for _ in range(3):
        order.append(queue.call_next(1, wang)["number"])
        queue.finish(1, wang)
    assert order == [tickets[1]["number"], tickets[2]["number"], tickets[0]["number"]]
    # 过号顺延 with the configured K (3): a no-show comes back after three others
    missed = queue.call_next(1, wang)
    queue.no_show(1, wang)
    clock.tick()
    queue.requeue(1, wang, missed["number"])
    assert hall_config["queue"]["requeue_after"] == 3
    waiting_order = [t["number"] for t in queue.window_view(1)["waiting"]]
    assert waiting_order == [tickets[4]["number"], tickets[5]["number"], missed["number"]]  # fewer than 3 others left
    with pytest.raises(WrongState):
        queue.requeue(1, wang, tickets[1]["number"])  # done, not missed


def test_transfer_keeps_number_and_issue_time(queue, clock, hall_db):
    wang, zhao = staff(hall_db, "王丽"), staff(hall_db, "赵建国")
    queue.open_window(1, wang)
    queue.open_window(2, zhao)
    early = issue(queue, clock, hall_db, "最低生活保障申请")
    later = issue(queue, clock, hall_db, "失业登记")  # issued after `early`, already waiting at window 2
    queue.call_next(1, wang)
    moved = queue.transfer(1, wang, service_id=sid(hall_db, "失业登记"))
    assert moved["number"] == early["number"] and moved["issued_at"] == early["issued_at"]
    assert moved["service"] == "失业登记" and moved["status"] == "waiting"
    # it keeps its place: ahead of the later ticket at window 2
    assert queue.call_next(2, zhao)["number"] == early["number"]
    queue.finish(2, zhao)
    # transfer to a window: only that window calls it
    queue.call_next(2, zhao)
    queue.transfer(2, zhao, to_window=3)
    with pytest.raises(QueueEmpty):
        queue.call_next(2, zhao)
    li = staff(hall_db, "刘晓燕")
    queue.open_window(3, li)
    assert queue.call_next(3, li)["number"] == later["number"]
    with pytest.raises(UnknownService):
        queue.transfer(3, li, service_id=9999)
    with pytest.raises(TransferRefused):
        queue.transfer(3, li, to_window=1)  # window 1 does not do 失业登记


def test_closed_service_and_daily_cap(hall_config, hall_db, clock):
    queue = Queue(hall_db, hall_config, now=clock)
    name = "医师执业注册"  # cap 30
    hall_db.execute("UPDATE service SET daily_cap = 2 WHERE name = ?", [name])
    issue(queue, clock, hall_db, name)
    issue(queue, clock, hall_db, name)
    with pytest.raises(DailyCapReached) as capped:
        issue(queue, clock, hall_db, name)
    assert "号源" in capped.value.message
    listed = {s["name"]: s for d in queue.services() for s in d["services"]}
    assert listed[name]["open"] is False and listed[name]["cap_reached"] is True
    # real opening hours: a Sunday evening is closed, with the hours in the message
    hall_db.execute("""UPDATE service SET days = 'mon-fri', hours = '["08:30-12:00","14:30-17:30"]'""")
    sunday = Queue(hall_db, hall_config, now=lambda: datetime.fromisoformat("2026-11-29T20:00:00+08:00"))
    with pytest.raises(ServiceClosed) as closed:
        sunday.issue_ticket(sid(hall_db, "失业登记"))
    assert "今日不办理" in closed.value.message
    weekday_evening = Queue(hall_db, hall_config, now=lambda: datetime.fromisoformat("2026-11-25T18:00:00+08:00"))
    with pytest.raises(ServiceClosed) as late:
        weekday_evening.issue_ticket(sid(hall_db, "失业登记"))
    assert "08:30-12:00" in late.value.message
    # a holiday closes the hall; a make-up workday opens a weekend
    store.set_hall_day(hall_db, "2026-11-25", "holiday", "测试假日")
    with pytest.raises(ServiceClosed):
        Queue(hall_db, hall_config, now=lambda: datetime.fromisoformat("2026-11-25T10:00:00+08:00")).issue_ticket(
            sid(hall_db, "失业登记"))
    store.set_hall_day(hall_db, "2026-11-29", "workday", "调休")
    opened = Queue(hall_db, hall_config, now=lambda: datetime.fromisoformat("2026-11-29T10:00:00+08:00"))
    assert opened.issue_ticket(sid(hall_db, "失业登记"))["number"] == "B001"


def test_estimated_wait_uses_recent_handling_and_open_windows(queue, clock, hall_db, hall_config):
    wang = staff(hall_db, "王丽")
    queue.open_window(1, wang)
    service = sid(hall_db, "最低生活保障申请")
    assert hall_config["queue"]["default_handle_minutes"] == 6

    def handle(seconds):
        issue(queue, clock, hall_db, "最低生活保障申请")
        queue.call_next(1, wang)
        clock.tick(seconds)
        queue.finish(1, wang)

    handle(30)  # one quick ticket must not promise everyone a half-minute wait
    # 1 sample of 0.5 min blended with 4 × the 6-minute default: 4.9 min a person
    assert queue.estimated_wait_min(service, 10) == 49
    for _ in range(4):
        handle(240)
    # five samples (0.5, 4, 4, 4, 4 min): the service's own median, 4 min
    for _ in range(4):
        issue(queue, clock, hall_db, "最低生活保障申请")
    last = issue(queue, clock, hall_db, "最低生活保障申请")
    assert last["ahead"] == 4
    assert last["estimated_wait_min"] == 16  # 4 ahead × 4 min ÷ 1 open window
    assert queue.estimated_wait_min(service, 0) == 0


def test_people_ahead_counts_every_service_the_windows_call_first(queue, clock, hall_db):
    # window 1 serves 最低生活保障申请 and 临时救助申请 (and 法律援助申请), calling by issue time across them
    for _ in range(5):
        issue(queue, clock, hall_db, "最低生活保障申请")
    other = issue(queue, clock, hall_db, "临时救助申请")
    assert other["ahead"] == 5
    assert queue.ticket_status(other["token"])["ahead"] == 5
    listed = {s["name"]: s for d in queue.services() for s in d["services"]}
    assert listed["临时救助申请"]["waiting"] == 1 and listed["临时救助申请"]["ahead"] == 6
    # a service on other windows is not held up by them
    assert issue(queue, clock, hall_db, "失业登记")["ahead"] == 0


def test_back_in_line_after_k_counts_priority_tickets_and_shared_services(queue, clock, hall_db):
    wang = staff(hall_db, "王丽")
    queue.open_window(1, wang)
    tickets = [issue(queue, clock, hall_db, "最低生活保障申请") for _ in range(5)]
    missed = queue.call_next(1, wang)
    queue.no_show(1, wang)
    green = issue(queue, clock, hall_db, "临时救助申请", priority=1)
    queue.requeue(1, wang, missed["number"], after=1)
    order = [t["number"] for t in queue.window_view(1)["waiting"]]
    # after exactly one other: the priority (绿色通道) ticket, then the missed one, then the rest
    assert order == [green["number"], missed["number"]] + [t["number"] for t in tickets[1:]]


def test_evaluation_once_per_finished_ticket(queue, clock, hall_db):
    wang = staff(hall_db, "王丽")
    window1 = store.get_window(hall_db, 1)
    evaluator = Principal("evaluator", window_id=window1["id"])
    queue.open_window(1, wang)
    ticket = issue(queue, clock, hall_db, "最低生活保障申请")
    queue.call_next(1, wang)
    with pytest.raises(WrongState):
        queue.evaluate(ticket["id"], 5, evaluator)
    queue.finish(1, wang)
    evaluator_other_window = Principal("evaluator", window_id=store.get_window(hall_db, 2)["id"])
    with pytest.raises(Forbidden):
        queue.evaluate(ticket["id"], 5, evaluator_other_window)
    result = queue.evaluate(ticket["id"], 4, evaluator, comment="很耐心")
    assert result["level_name"] == "满意"
    with pytest.raises(AlreadyEvaluated):
        queue.evaluate(ticket["id"], 1, evaluator)
    saved = store.get_evaluation_for_ticket(hall_db, ticket["id"])
    assert (saved["level"], saved["staff_id"], saved["window_id"]) == (4, wang.staff_id, window1["id"])
    with pytest.raises(BadRequest):
        queue.evaluate(ticket["id"], 6, evaluator)


def test_cancel_only_waiting(queue, clock, hall_db):
    ticket = issue(queue, clock, hall_db, "最低生活保障申请")
    assert queue.cancel_by_token(ticket["token"])["status"] == "cancelled"
    with pytest.raises(WrongState):
        queue.cancel_by_token(ticket["token"])


def test_display_shows_only_todays_calls(hall_config, hall_db):
    wang = staff(hall_db, "王丽")
    yesterday = Clock("2026-11-24T16:00:00+08:00")
    queue = Queue(hall_db, hall_config, now=yesterday)
    queue.open_window(1, wang)
    queue.issue_ticket(sid(hall_db, "最低生活保障申请"))
    queue.call_next(1, wang)
    queue.finish(1, wang)
    assert [c["number"] for c in queue.display()["calls"]] == ["A001"]
    today = Clock("2026-11-25T08:31:00+08:00")
    queue = Queue(hall_db, hall_config, now=today)
    assert queue.display()["calls"] == []
    queue.issue_ticket(sid(hall_db, "最低生活保障申请"))
    queue.call_next(1, wang)
    assert [(c["number"], c["window"]) for c in queue.display()["calls"]] == [("A001", 1)]
    assert queue.display()["local_day"] == "2026-11-25"


def test_staff_never_rate_not_even_their_own_tickets(queue, clock, hall_db):
    wang, admin = staff(hall_db, "王丽"), staff(hall_db, "周管理")
    queue.open_window(1, wang)
    mine = issue(queue, clock, hall_db, "最低生活保障申请")
    queue.call_next(1, wang)
    queue.finish(1, wang)
    for who in (wang, admin):
        with pytest.raises(Forbidden):
            queue.evaluate(mine["id"], 5, who)
    assert store.get_evaluation_for_ticket(hall_db, mine["id"]) is None


def test_an_admin_does_not_take_a_window_someone_holds(queue, clock, hall_db):
    wang, admin = staff(hall_db, "王丽"), staff(hall_db, "周管理")
    queue.open_window(1, wang)
    with pytest.raises(WindowTaken):
        queue.open_window(1, admin)
    issue(queue, clock, hall_db, "最低生活保障申请")
    called = queue.call_next(1, admin)  # but may act on it
    assert queue.window_view(1)["staff"]["name"] == "王丽"
    queue.finish(1, admin)
    queue.close_window(1, admin)  # and free it for someone who left without logging out
    assert queue.window_view(1)["state"] == "closed" and called["window"] == 1


def test_transfer_refuses_a_service_nobody_would_call(queue, clock, hall_db):
    wang = staff(hall_db, "王丽")
    queue.open_window(1, wang)
    issue(queue, clock, hall_db, "最低生活保障申请")
    queue.call_next(1, wang)
    hall_db.execute("UPDATE service SET enabled = 0 WHERE name = '失业登记'")
    with pytest.raises(TransferRefused, match="暂停办理"):
        queue.transfer(1, wang, service_id=sid(hall_db, "失业登记"))
    hall_db.execute("DELETE FROM window_service WHERE service_id = ?", [sid(hall_db, "户籍迁入")])
    with pytest.raises(TransferRefused, match="没有窗口"):
        queue.transfer(1, wang, service_id=sid(hall_db, "户籍迁入"))
    assert queue.window_view(1)["current"]["status"] == "called"  # nothing moved
