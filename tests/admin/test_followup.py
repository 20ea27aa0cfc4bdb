"""差评 follow-up: the working-day deadline, the case's life (assign, call back, resolve, appeal),
overdue cases, and the monthly window ranking."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from queue_server import followup, hall_admin, stats, store
from queue_server.accounts import Principal
from queue_server.errors import WrongState
from queue_server.queue import Queue

pytestmark = pytest.mark.calendar  # also run at fixed moments of the hall's clock (Makefile)

ADMIN = 11  # 周管理 in the demo hall


def test_working_days_skip_weekends_and_holidays_and_count_makeup_days(hall_db):
    # Thursday 30 April 2026; 劳动节 1-5 May closes the hall, Saturday 9 May is a make-up workday
    assert followup.add_working_days(hall_db, "2026-04-30", 15) == "2026-05-21"  # weekends only
    for day in ("2026-05-01", "2026-05-04", "2026-05-05"):
        hall_admin.set_hall_day(hall_db, ADMIN, day, "holiday", "劳动节")
    hall_admin.set_hall_day(hall_db, ADMIN, "2026-05-09", "workday", "劳动节调休")
    assert followup.add_working_days(hall_db, "2026-04-30", 1) == "2026-05-06"
    assert followup.add_working_days(hall_db, "2026-04-30", 4) == "2026-05-09"  # the Saturday counts
    assert followup.add_working_days(hall_db, "2026-04-30", 15) == "2026-05-25"
    assert followup.add_working_days(hall_db, "2026-05-08", 1) == "2026-05-09"
    assert followup.add_working_days(hall_db, "2026-05-09", 1) == "2026-05-11"  # Sunday does not
    assert followup.add_working_days(hall_db, "2026-05-22", 1) == "2026-05-25"  # Friday → Monday


class Moment:
    def __init__(self, when):
        self.when = when

    def __call__(self):
        return self.when


def finish_and_rate(db, config, when, level, window=1, staff_id=1, comment=None):
    """One ticket through window `window` at `when`, then rated `level`; returns the evaluation."""
    clock = Moment(when)
    queue = Queue(db, config, now=clock)
    staff = Principal("staff", role="staff", staff_id=staff_id)
    if store.get_window(db, window)["state"] == "closed":
        queue.open_window(window, staff)
    service_id = store.window_service_ids(db, store.get_window(db, window)["id"])[0]
    queue.issue_ticket(service_id)
    ticket = queue.call_next(window, staff)
    queue.finish(window, staff)
    evaluator = Principal("evaluator", window_id=store.get_window(db, window)["id"])
    return queue.evaluate(ticket["id"], level, evaluator, comment=comment)


def test_a_bad_rating_opens_a_case_due_in_working_days(hall_db, hall_config):
    for day in ("2026-05-01", "2026-05-04", "2026-05-05"):
        hall_admin.set_hall_day(hall_db, ADMIN, day, "holiday", "劳动节")
    hall_admin.set_hall_day(hall_db, ADMIN, "2026-05-09", "workday", "劳动节调休")
    # Thursday 30 April, 15:00 in Beijing
    evaluation = finish_and_rate(hall_db, hall_config, datetime(2026, 4, 30, 7, 0, tzinfo=timezone.utc), 1,
                                 comment="材料要求前后说法不一")
    finish_and_rate(hall_db, hall_config, datetime(2026, 4, 30, 7, 30, tzinfo=timezone.utc), 4)
    cases = store.list_followup_cases(hall_db)
    assert len(cases) == 1  # the 满意 rating opened none
    case = cases[0]
    assert (case["evaluation_id"], case["level"], case["comment"]) == (evaluation["id"], 1, "材料要求前后说法不一")
    assert (case["window"], case["staff_name"], case["opened_day"]) == (1, "王丽", "2026-04-30")
    assert case["deadline"] == "2026-05-25"
    # opened in the evaluation's own transaction: the two events are neighbours in the log
    events = [e for e in store.list_events(hall_db, limit=50) if e["ticket_id"] == evaluation["ticket_id"]]
    assert [e["type"] for e in events[:2]] == ["followup_opened", "evaluation_recorded"]
    assert events[0]["id"] == events[1]["id"] + 1


def test_the_deadline_follows_configuration(hall_db, hall_config):
    config = hall_config | {"followup": {"deadline_working_days": 5}}
    finish_and_rate(hall_db, config, datetime(2026, 3, 6, 2, 0, tzinfo=timezone.utc), 2)  # a Friday
    assert store.list_followup_cases(hall_db)[0]["deadline"] == "2026-03-13"


def test_case_life_appeal_and_overdue(hall_db, hall_config):
    finish_and_rate(hall_db, hall_config, datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc), 2, comment="态度不好")
    finish_and_rate(hall_db, hall_config, datetime(2026, 3, 2, 2, 30, tzinfo=timezone.utc), 1)
    first, second = store.list_followup_cases(hall_db)
    assert first["deadline"] == "2026-03-23"
    # before the deadline nothing is overdue; the day after, both are
    assert not any(c["overdue"] for c in followup.cases(hall_db, "2026-03-23"))
    assert [c["overdue"] for c in followup.cases(hall_db, "2026-03-24")] == [True, True]

    with pytest.raises(WrongState):
        followup.resolve(hall_db, first["id"], "已整改", ADMIN)  # no call back yet
    followup.assign(hall_db, first["id"], ADMIN, ADMIN)
    followup.record_callback(hall_db, first["id"], "3月3日电话回访，群众反映窗口解释不耐心", ADMIN)
    resolved = followup.resolve(hall_db, first["id"], "已对窗口人员批评教育，群众表示认可", ADMIN)
    assert (resolved["status"], resolved["assignee_name"]) == ("resolved", "周管理")

    followup.appeal(hall_db, second["id"], "监控显示该群众未到窗口办理，系误评", 1)
    with pytest.raises(WrongState):
        followup.appeal(hall_db, second["id"], "再次申诉", 1)
    decided = followup.decide_appeal(hall_db, second["id"], "upheld", "经核查监控录像，申诉成立", ADMIN)
    assert decided["appeal_outcome"] == "upheld"
    followup.resolve(hall_db, second["id"], "申诉成立，差评不计入考核", ADMIN)  # no call back needed
    assert not any(c["overdue"] for c in followup.cases(hall_db, "2026-04-30"))
    audit = [e["type"] for e in store.list_events(hall_db, types=["followup_resolved", "followup_appeal_decided"])]
    assert audit == ["followup_resolved", "followup_appeal_decided", "followup_resolved"]


def test_monthly_ranking_puts_the_best_rated_window_first(hall_db, hall_config):
    base = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)
    from datetime import timedelta

    for minute, level in enumerate([5, 5, 4]):
        finish_and_rate(hall_db, hall_config, base + timedelta(minutes=minute), level, window=1, staff_id=1)
    for minute, level in enumerate([5, 2, 5, 5]):
        finish_and_rate(hall_db, hall_config, base + timedelta(minutes=10 + minute), level, window=4, staff_id=2)
    result = stats.ranking(hall_db, hall_config, "2026-03")
    assert [row["window"] for row in result["windows"][:2]] == [1, 4]
    assert result["windows"][1]["cases"] == 1
    assert result["red_flag_window"]["window"] == 1
    assert result["model_staff"]["staff"] == "王丽"
    assert result["windows"][0]["satisfaction"]["rate"] == 1.0
    assert result["windows"][1]["satisfaction"]["rate"] == 0.75
