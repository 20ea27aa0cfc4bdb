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
