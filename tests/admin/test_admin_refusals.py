"""Input the admin console must refuse with a message instead of a 500: numbers too big for
SQLite in forms and query strings, a negative daily cap, statistics dates off the calendar,
and deleting a calendar day that is not there."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from queue_server import hall_admin, stats, store
from queue_server.errors import BadRequest

from .test_followup import finish_and_rate

HUGE = "99999999999999999999999"  # beyond SQLite's 64-bit integers


def service_form(db, service_id: int, **changes) -> dict:
    """The service's edit form as the browser would post it, with `changes`."""
    service = store.get_service(db, service_id)
    form = {"name": service["name"], "department_id": str(service["department_id"]), "prefix": service["prefix"],
            "category": service["category"], "days": service["days"], "hours": "08:30-12:00",
            "daily_cap": str(service["daily_cap"]), "sort_order": "0", "enabled": "1"}
    return form | changes


def flashed(browser, path: str) -> str:
    return browser.get(path).text


@pytest.mark.parametrize("field, value, message", [
    ("daily_cap", HUGE, "每日限号不能大于 9999"),
    ("daily_cap", "-5", "每日限号不能小于 0"),
    ("sort_order", HUGE, "排序不能大于 9999"),
    ("department_id", HUGE, "部门不能大于"),
])
def test_service_numbers_out_of_range_are_refused(live_server, admin_browser, field, value, message):
    db = store.connect(live_server.config["server"]["database"])
    before = store.get_service(db, 1)
    response = admin_browser.post("/admin/services/1", service_form(db, 1, **{field: value}))
    assert response.status_code == 302
    assert message in flashed(admin_browser, "/admin/services")
    assert store.get_service(db, 1) == before
    # a new service, too
    response = admin_browser.post("/admin/services/new", service_form(db, 1, name="新设事项", **{field: value}))
    assert response.status_code == 302 and message in flashed(admin_browser, "/admin/services")
    assert store.get_service_by_name(db, "新设事项") is None


def test_window_numbers_and_positions_out_of_range_are_refused(live_server, admin_browser):
    db = store.connect(live_server.config["server"]["database"])
    windows = store.list_windows(db)
    response = admin_browser.post("/admin/windows", {"number": HUGE, "name": "新窗口"})
    assert response.status_code == 302 and "窗口号不能大于 999" in flashed(admin_browser, "/admin/windows")
    response = admin_browser.post("/admin/windows/2", {"number": HUGE, "name": "社保窗口"})
    assert response.status_code == 302 and "窗口号不能大于 999" in flashed(admin_browser, "/admin/windows/2")
    response = admin_browser.post("/admin/windows/2", {"number": "2", "name": "社保窗口", f"position_{HUGE}": "1"})
    assert response.status_code == 302 and "事项编号不能大于" in flashed(admin_browser, "/admin/windows/2")
    response = admin_browser.post("/admin/windows/2", {"number": "2", "name": "社保窗口", "position_999999": "1"})
    assert response.status_code == 302 and "没有编号为 999999 的事项" in flashed(admin_browser, "/admin/windows/2")
    response = admin_browser.post("/admin/windows/2", {"number": "2", "name": "社保窗口", "position_x": "1"})
    assert response.status_code == 302 and "事项编号须为整数" in flashed(admin_browser, "/admin/windows/2")
    response = admin_browser.post("/admin/departments", {"name": "县档案馆", "sort_order": HUGE})
    assert response.status_code == 302 and "排序不能大于 9999" in flashed(admin_browser, "/admin/departments")
    assert store.list_windows(db) == windows
    # the forms say so before sending
    assert 'max="999"' in admin_browser.get("/admin/windows").text
    assert 'max="9999"' in admin_browser.get("/admin/services/1").text


def test_whole_number_bounds():
    assert hall_admin.whole_number(" 12 ", "窗口号", 1, 999) == 12
    with pytest.raises(BadRequest, match="窗口号不能大于 999"):
        hall_admin.whole_number("1000", "窗口号", 1, 999)
    with pytest.raises(BadRequest, match="须为整数"):
        hall_admin.whole_number("十二", "窗口号")
    with pytest.raises(BadRequest, match="不能大于"):
        hall_admin.whole_number(HUGE, "部门")
    assert hall_admin.row_id(str(store.MAX_INTEGER)) == store.MAX_INTEGER
    for bad in (HUGE, "0", "-1", "x"):
        with pytest.raises(ValueError):
            hall_admin.row_id(bad)


def test_query_numbers_too_big_fall_back_instead_of_failing(admin_browser):
    events = admin_browser.get(f"/admin/events?before={HUGE}")
    assert events.status_code == 200 and "操作日志" in events.text
    calendar = admin_browser.get(f"/admin/calendar?year={HUGE}")
    assert calendar.status_code == 200
    assert f"（{datetime.now().year}年）" in calendar.text


def test_assigning_a_case_to_an_impossible_person_is_refused(live_server, hall_db, hall_config, admin_browser):
    evaluation = finish_and_rate(hall_db, hall_config, datetime(2026, 4, 30, 7, 0, tzinfo=timezone.utc), 1)
    case = store.list_followup_cases(hall_db)[0]
    assert case["evaluation_id"] == evaluation["id"]
    for value, message in ((HUGE, "承办人不能大于"), ("张三", "承办人须为整数"), ("", "承办人须为整数")):
        response = admin_browser.post(f"/admin/followup/{case['id']}/assign", {"assignee_id": value})
        assert response.status_code == 302, value
        assert message in flashed(admin_browser, f"/admin/followup/{case['id']}")
    assert store.get_followup_case(hall_db, case["id"])["assignee_id"] is None


# --- the calendar -----------------------------------------------------------------

def test_deleting_a_day_that_is_not_in_the_calendar_is_refused(live_server, admin_browser):
    db = store.connect(live_server.config["server"]["database"])
    response = admin_browser.post("/admin/calendar/notadate/delete")
    assert response.status_code == 302
    page = flashed(admin_browser, "/admin/calendar")
    assert "日期格式须为 YYYY-MM-DD" in page and "已删除" not in page
    response = admin_browser.post("/admin/calendar/2026-10-02/delete")
    page = flashed(admin_browser, "/admin/calendar")
    assert "日历中没有 2026-10-02" in page and "已删除" not in page
    assert store.list_events(db, types=["hall_changed"]) == []  # nothing logged as deleted

    admin_browser.post("/admin/calendar", {"day": "9999-10-01", "kind": "holiday", "note": "远年"})
    assert "日期须在 2000 至 2099 年之间" in flashed(admin_browser, "/admin/calendar")
    admin_browser.post("/admin/calendar", {"day": "2026-10-01", "kind": "holiday", "note": "国庆节"})
    admin_browser.get("/admin/calendar")  # the flash of the save
    response = admin_browser.post("/admin/calendar/2026-10-01/delete")
    assert response.status_code == 302 and "year=2026" in response.headers["Location"]
    assert "已删除 2026-10-01" in flashed(admin_browser, "/admin/calendar?year=2026")
    assert store.list_hall_days(db) == []


# --- statistics dates ---------------------------------------------------------------

OFF_THE_CALENDAR = [("2026-01-01", "9999-12-31"), ("0001-01-01", "2026-01-31"), ("1000-01-01", "9999-12-31"),
                    ("2026-03-01", "2100-01-01")]


@pytest.mark.parametrize("first, last", OFF_THE_CALENDAR)
def test_statistics_out_of_range_show_a_message(admin_browser, first, last):
    page = admin_browser.get(f"/admin/stats?from={first}&to={last}")
    assert page.status_code == 200
    assert "日期须在 2000-01-01 至 2099-12-31 之间" in page.text
    for download in (f"/admin/stats/export.csv?from={first}&to={last}",
                     f"/admin/stats/export.xlsx?from={first}&to={last}", f"/admin/report.txt?from={first}&to={last}"):
        response = admin_browser.get(download)
        assert response.status_code == 302 and response.headers["Location"].endswith("/admin/stats"), download
        assert "日期须在 2000-01-01 至 2099-12-31 之间" in admin_browser.get("/admin/stats").text
    chart = admin_browser.get(f"/admin/stats/chart/daily.png?from={first}&to={last}")
    assert chart.status_code == 400 and "2099-12-31" in chart.json()["message"]


def test_statistics_to_before_from_is_refused(admin_browser):
    page = admin_browser.get("/admin/stats?from=2026-03-31&to=2026-03-01")
    assert page.status_code == 200 and "结束日期不能早于起始日期" in page.text
    assert admin_browser.get("/admin/stats/export.csv?from=2026-03-31&to=2026-03-01").status_code == 302
    assert "结束日期不能早于起始日期" in admin_browser.get("/admin/stats").text


def test_ranking_of_a_month_off_the_calendar_shows_a_message(admin_browser):
    page = admin_browser.get("/admin/ranking?month=9999-12")
    assert page.status_code == 200 and "日期须在 2000-01-01 至 2099-12-31 之间" in page.text


def test_period_checks_every_way_it_is_made():
    assert stats.Period.parse("2000-01-01", "2099-12-31").days == 36525
    assert stats.Period.parse(None, "2026-03-15") == stats.Period("2026-03-01", "2026-03-15")
    assert stats.Period.month("2099-12") == stats.Period("2099-12-01", "2099-12-31")
    for make in (lambda: stats.Period("2026-01-01", "9999-12-31"), lambda: stats.Period.month("9999-12"),
                 lambda: stats.Period.parse("0001-01-01", "2026-01-01"), lambda: stats.Period.month("1999-12")):
        with pytest.raises(BadRequest, match="日期须在"):
            make()
    with pytest.raises(BadRequest, match="日期格式"):
        stats.Period.parse("2026-02-30", None, today="2026-11-30")


def test_report_command_explains_a_bad_period_without_a_traceback(hall_config):
    config_path = Path(hall_config["_base_dir"]) / "govhall.toml"
    for first, last, message in (("1000-01-01", "9999-12-31", "日期须在 2000-01-01 至 2099-12-31 之间"),
                                 ("2026-03-31", "2026-03-01", "结束日期不能早于起始日期")):
        result = subprocess.run([sys.executable, "-m", "queue_server", "--config", str(config_path), "report",
                                 "--from", first, "--to", last], capture_output=True, text=True, timeout=120)
        assert result.returncode != 0
        assert result.stderr.startswith("错误：") and message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr and result.stdout == ""
