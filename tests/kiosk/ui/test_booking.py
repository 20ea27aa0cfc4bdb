"""预约其他日期 at the kiosk: service → day → slot → name and mobile → the code and its QR, with
simulated touches against a real server on 127.0.0.1 (its clock set to a Monday morning)."""

from __future__ import annotations

import os

import kivy_harness as harness
import pytest
import requests

from helpers import bearer
from queue_server import clock


@pytest.fixture(scope="module", autouse=True)
def monday_morning():
    clock.set_clock("2026-12-07T08:00:00+08:00")  # the server runs in this process: it reads this clock
    yield
    clock.set_clock(os.environ.get(clock.CLOCK_VARIABLE))


def open_booking(app):
    harness.wait_until(lambda: app.hall_day == "2026-12-07", what="the server's day")
    harness.tap(harness.find(app, "Tile", "预约取号"))
    harness.tap(harness.find(app, "KioskButton", "预约其他日期"))
    assert app.manager.current == "book"
    return app.manager.get_screen("book")


def test_booking_a_later_day_step_by_step(at_home, hall):
    app = at_home
    screen = open_booking(app)
    assert screen.step == "service" and "当天办理请直接取号" in screen.summary
    harness.screenshot("book-service")
    harness.tap(harness.find(app, "ListRow", "最低生活保障申请"))
    assert screen.step == "day"
    tuesday = harness.wait_until(lambda: next(iter(harness.find_all(app, "ListRow", "12月8日 周二")), None),
                                 what="the days")
    assert not harness.find_all(app, "ListRow", "12月7日")  # today: a number, not a booking
    harness.screenshot("book-day")
    harness.tap(tuesday)
    assert screen.step == "slot"
    nine = harness.wait_until(lambda: next(iter(harness.find_all(app, "ListRow", "09:00–10:00")), None),
                              what="the slots")
    # 返回 goes back one step, not out of the flow
    harness.tap(harness.find(app, "BarButton", "返回"))
    assert screen.step == "day" and app.manager.current == "book"
    harness.tap(harness.wait_until(lambda: next(iter(harness.find_all(app, "ListRow", "12月8日")), None),
                                   what="the days again"))
    nine = harness.wait_until(lambda: next(iter(harness.find_all(app, "ListRow", "09:00–10:00")), None),
                              what="the slots again")
    harness.tap(nine)
    assert screen.step == "form"
    assert "09:00–10:00" in screen.summary and "最低生活保障申请" in screen.summary

    harness.tap(harness.find(app, "KioskButton", "确认预约"))
    assert "姓名" in screen.message  # nothing sent without a name
    name_input = screen.ids.name_input
    harness.tap(name_input)
    name_input.insert_text("李明")  # what a keyboard or an IME types
    for digit in "1370000":
        harness.tap(next(key for key in harness.find_all(app, "CodeKey") if key.text == digit))
    harness.tap(harness.find(app, "KioskButton", "确认预约"))
    assert "11位" in screen.message
    for digit in "12345":
        harness.tap(next(key for key in harness.find_all(app, "CodeKey") if key.text == digit))
    assert screen.phone == "13700001234"
    harness.screenshot("book-form")
    harness.tap(harness.find(app, "KioskButton", "确认预约"))
    harness.wait_until(lambda: screen.step == "done", what="the confirmation")
    code = screen.booking["code"]
    assert harness.find(app, "FitLabel", " ".join(code))
    assert harness.find(app, "WrapLabel", "08:30–09:15")  # when to check in
    assert screen.qr is not None
    harness.screenshot("book-done")

    booking = requests.get(f"{hall.url}/api/v1/appointments/{code}", headers=bearer(hall.admin), timeout=5).json()
    assert booking["date"] == "2026-12-08" and booking["start"] == "09:00"
    assert booking["name"] == "李明" and booking["phone"] == "13700001234" and booking["source"] == "kiosk"
    harness.tap(harness.find(app, "KioskButton", "完成"))
    assert app.manager.current == "home"


def test_the_server_refuses_a_second_booking_in_its_own_words(at_home, hall):
    app = at_home
    screen = open_booking(app)
    harness.tap(harness.find(app, "ListRow", "最低生活保障申请"))
    harness.tap(harness.wait_until(lambda: next(iter(harness.find_all(app, "ListRow", "12月8日")), None),
                                   what="the days"))
    harness.tap(harness.wait_until(lambda: next(iter(harness.find_all(app, "ListRow", "10:00–11:00")), None),
                                   what="the slots"))
    screen.ids.name_input.insert_text("李明")
    for digit in "13700001234":
        harness.tap(next(key for key in harness.find_all(app, "CodeKey") if key.text == digit))
    harness.tap(harness.find(app, "KioskButton", "确认预约"))
    harness.wait_until(lambda: not screen.busy, what="the server's answer")
    assert screen.step == "form" and "只能有一个有效预约" in screen.message
    assert harness.find(app, "Notice", "您已预约 2026-12-08 09:00")
