"""The demo's past history, replayed through the queue domain: only past working days, within each
service's opening hours, every ticket at rest by the evening, events and statistics in agreement,
and every 差评 with its follow-up case."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from helpers import make_hall

from queue_server import clock, followup, stats, store
from queue_server.ops import demo_history
from queue_server.ops.demo_history import make_history, past_working_days
from queue_server.hall import parse_days, parse_hours

pytestmark = pytest.mark.calendar  # also run at fixed moments of the hall's clock (Makefile)

TODAY = date(2026, 11, 25)  # a Wednesday
BEIJING = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def hall(tmp_path):
    """The demo hall with its real opening hours (the history needs them)."""
    config = make_hall(tmp_path, all_day=False)
    db = store.connect(config["server"]["database"])
    yield db, config
    db.conn.close()


def test_past_working_days_skip_weekends_holidays_and_today(hall):
    db, _ = hall
    store.set_hall_day(db, "2026-11-20", "holiday", "演示假日")  # a Friday
    assert [d.isoformat() for d in past_working_days(db, TODAY, 5)] == [
        "2026-11-17", "2026-11-18", "2026-11-19", "2026-11-23", "2026-11-24"]
    store.set_hall_day(db, "2026-11-21", "workday", "演示调休")  # the Saturday after it
    assert [d.isoformat() for d in past_working_days(db, TODAY, 5)] == [
        "2026-11-18", "2026-11-19", "2026-11-21", "2026-11-23", "2026-11-24"]


def test_a_makeup_saturday_is_a_full_working_day(hall):
    db, config = hall
    store.set_hall_day(db, "2026-11-21", "workday", "演示调休")
    make_history(db, config, working_days=1, per_day=60, seed=5, today=date(2026, 11, 22))
    services = {r[0] for r in db.execute(
        "SELECT s.name FROM ticket t JOIN service s ON s.id = t.service_id WHERE t.local_day = '2026-11-21'")}
    weekday_only = {s["name"] for s in store.list_services(db) if s["days"] == "mon-fri"}
    assert len(services) > 10 and len(services & weekday_only) > 5


def test_a_replayed_week_is_whole_and_consistent(hall):
    db, config = hall
    summary = make_history(db, config, working_days=5, per_day=60, seed=7, today=TODAY)
    assert (summary.first_day, summary.last_day, summary.days) == ("2026-11-18", "2026-11-24", 5)
    tickets = [dict(r) for r in db.execute("SELECT * FROM ticket")]
    assert len(tickets) == summary.tickets > 200
    assert {t["local_day"] for t in tickets} <= {d.isoformat() for d in past_working_days(db, TODAY, 5)}
    # by the evening every ticket is finished or a no-show, and every window is closed again
    assert {t["status"] for t in tickets} == {"done", "no_show"}
    assert sum(t["status"] == "no_show" for t in tickets) == summary.no_show > 0
    assert all(w["state"] == "closed" and w["staff_id"] is None for w in store.list_windows(db))
    # issued within the service's own days and hours (医师执业注册: Tuesday and Thursday mornings)
    services = {s["id"]: s for s in store.list_services(db)}
    for ticket in tickets:
        service = services[ticket["service_id"]] if not ticket["transfer_count"] else None
        if service is None:
            continue
        issued = datetime.fromisoformat(ticket["issued_at"]).astimezone(BEIJING)
        assert issued.weekday() in parse_days(service["days"]), ticket["number"]
        minute = issued.hour * 60 + issued.minute
        assert any(start <= minute < end for start, end in parse_hours(json.loads(service["hours"]))), ticket["number"]
    # a window's ticket was called before it was finished, and served by that window's staff
    for ticket in tickets:
        assert ticket["issued_at"] <= ticket["first_called_at"] <= ticket["finished_at"]
        assert ticket["window_id"] and ticket["staff_id"]
    # every ticket has its story in the event log
    events = {(r[0], r[1]) for r in db.execute("SELECT ticket_id, type FROM event WHERE ticket_id IS NOT NULL")}
    for ticket in tickets:
        assert (ticket["id"], "ticket_issued") in events and (ticket["id"], "ticket_called") in events
        final = "ticket_finished" if ticket["status"] == "done" else "ticket_no_show"
        assert (ticket["id"], final) in events
    assert sum(t["transfer_count"] for t in tickets) == summary.transferred > 0
    # the statistics read the same month back
    figures = stats.hall_statistics(db, config, stats.Period(summary.first_day, summary.last_day))
    assert figures["totals"]["issued"] == summary.tickets and figures["totals"]["done"] == summary.done
    assert figures["satisfaction"]["rated"] == summary.evaluations > 100
    assert sum(w["done"] for w in figures["by_window"]) == summary.done
    assert len([s for s in figures["by_staff"] if s["done"]]) == 10  # every window's staff member worked


def test_every_bad_rating_has_its_case_and_cases_move_on_later_days(hall, monkeypatch):
    db, config = hall
    # a grumpier month than the demo's, so a small one holds enough cases
    monkeypatch.setattr(demo_history, "LEVEL_WEIGHTS", {5: 80, 4: 10, 3: 4, 2: 4, 1: 2})
    summary = make_history(db, config, working_days=30, per_day=25, seed=3, today=TODAY)
    bad = [dict(r) for r in db.execute("SELECT * FROM evaluation WHERE level IN (1, 2)")]
    cases = store.list_followup_cases(db)
    assert len(bad) == len(cases) == summary.cases >= 3
    assert {c["evaluation_id"] for c in cases} == {e["id"] for e in bad}
    assert all(e["ticket_id"] in {r[0] for r in db.execute("SELECT id FROM ticket WHERE status = 'done'")} for e in bad)
    first, second = sorted(cases, key=lambda c: c["id"])[:2]
    assert first["status"] == "open" and first["assignee_id"]   # forgotten: past its deadline today
    assert followup.annotate(dict(first), TODAY.isoformat())["overdue"]
    assert second["appeal_outcome"] == "upheld" and second["status"] == "resolved"
    for case in cases:
        if case["status"] == "resolved" and case["appeal_outcome"] != "upheld":
            assert case["callback_at"] < case["resolved_at"] and case["resolution"]
    # everything, cases included, happened before today, in the order of the event log
    moments = [datetime.fromisoformat(r[0]) for r in db.execute("SELECT at FROM event ORDER BY id")]
    assert moments == sorted(moments)
    assert moments[-1] < datetime.fromisoformat(clock.day_start_utc(TODAY.isoformat(), "Asia/Shanghai"))


def test_a_hall_that_has_tickets_gets_no_second_history(hall):
    db, config = hall
    assert make_history(db, config, working_days=2, per_day=20, today=TODAY).tickets > 0
    count = db.execute("SELECT count(*) FROM ticket").fetchone()[0]
    again = make_history(db, config, working_days=2, per_day=20, today=TODAY)
    assert again.days == 0 and db.execute("SELECT count(*) FROM ticket").fetchone()[0] == count
