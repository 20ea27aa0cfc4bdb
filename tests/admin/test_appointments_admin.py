"""The admin's appointments page: the day's bookings per service, capacities, closing a slot."""

from __future__ import annotations

import os

import pytest
import requests

from queue_server import clock

pytestmark = pytest.mark.calendar

MONDAY = "2026-12-07"


@pytest.fixture
def monday_morning():
    clock.set_clock("2026-12-07T08:00:00+08:00")
    yield
    clock.set_clock(os.environ.get(clock.CLOCK_VARIABLE))


def test_admin_sets_capacity_sees_the_days_bookings_and_closes_a_slot(live_server, admin_browser, monday_morning):
    # the hall of these tests is open all day, every day: hourly slots from 00:00
    booked = requests.post(live_server.url + "/api/v1/appointments", timeout=10, json={
        "service_id": 1, "date": MONDAY, "start": "14:00", "name": "王五", "phone": "13600000001"}).json()
    page = admin_browser.get(f"/admin/appointments?date={MONDAY}").text
    assert "预约管理" in page and "王五" in page and booked["code"] in page and "14:00 1/4" in page

    response = admin_browser.post("/admin/appointments/capacity", {"service_id": "1", "capacity": "9",
                                                                   "back_date": MONDAY})
    assert response.status_code == 302
    assert "14:00 1/9" in admin_browser.get(f"/admin/appointments?date={MONDAY}").text

    admin_browser.post("/admin/appointments/close", {"service_id": "1", "day": MONDAY, "start": "14:00",
                                                     "reason": "窗口设备检修"})
    page = admin_browser.get(f"/admin/appointments?date={MONDAY}").text
    assert "时段已关闭（窗口设备检修）" in page and "14:00 0/9 关闭" in page
    status = requests.get(live_server.url + f"/book/{booked['code']}", timeout=10).text
    assert "窗口设备检修" in status

    refused = admin_browser.post("/admin/appointments/close", {"service_id": "1", "day": "", "start": ""})
    assert refused.status_code == 302
    assert "请指定要关闭的日期" in admin_browser.get(f"/admin/appointments?date={MONDAY}").text
    assert admin_browser.get("/admin/appointments?date=not-a-day").status_code == 200


def test_staff_cannot_open_the_appointments_admin(live_server, staff_browser):
    assert staff_browser.get("/admin/appointments").status_code == 403


def test_staff_book_for_someone_who_phoned(live_server, staff_browser, monday_morning):
    form = staff_browser.get("/staff/appointments?service_id=1&date=2026-12-08").text
    assert "电话预约" in form and 'value="09:00"' in form
    booked = staff_browser.post("/staff/appointments", {"service_id": "1", "date": "2026-12-08", "start": "09:00",
                                                        "name": "孙秀兰", "phone": "13900000077",
                                                        "id_number": "150123195203140421"})
    assert booked.status_code == 201
    code = booked.text.split('id="booked-code">')[1].split("<")[0]
    assert "孙秀兰" in booked.text and "或放置身份证" in booked.text  # the ID number given: the card checks in
    shown = requests.get(live_server.url + f"/api/v1/appointments/{code}", timeout=10).json()
    assert shown["date"] == "2026-12-08" and shown["start"] == "09:00" and shown["name"] == "孙**"
    # the same person again: the domain's refusal, on the form, with what was typed kept
    again = staff_browser.post("/staff/appointments", {"service_id": "1", "date": "2026-12-08", "start": "10:00",
                                                       "name": "孙秀兰", "phone": "13900000077"})
    assert again.status_code == 409 and "同一事项只能有一个有效预约" in again.text and 'value="13900000077"' in again.text
    bad = staff_browser.post("/staff/appointments", {"service_id": "1", "date": "2026-12-08", "start": "11:00",
                                                     "name": "孙秀兰", "phone": "12345"})
    assert bad.status_code == 400 and "11位手机号码" in bad.text
    # without the form's CSRF token nothing is booked
    forged = staff_browser.session.post(live_server.url + "/staff/appointments", allow_redirects=False, data={
        "service_id": "1", "date": "2026-12-08", "start": "12:00", "name": "钱多", "phone": "13900000078"})
    assert forged.status_code == 400
    listing = staff_browser.get("/staff/appointments?service_id=1&date=2026-12-08").text
    assert code in listing and "钱多" not in listing


def test_strangers_are_sent_to_the_login_page(live_server):
    response = requests.get(live_server.url + "/staff/appointments", allow_redirects=False, timeout=10)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
