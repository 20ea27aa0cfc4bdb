"""预约取号 at the kiosk: a booking's code typed on the pad, or scanned (a keyboard-wedge scanner
types the code and Enter), checked in at a real server on 127.0.0.1 → the priority ticket on
screen, marked 预约, and on its slip. The hall clock is set, so the check-in window is known."""

from __future__ import annotations

import os

import kivy_harness as harness
import pytest
import requests
from kivy.core.window import Window

from kiosk.printing import ticket_slip
from queue_server import clock


@pytest.fixture(scope="module", autouse=True)
def monday_morning():
    clock.set_clock("2026-12-07T08:00:00+08:00")  # the server runs in this process: it reads this clock
    yield
    clock.set_clock(os.environ.get(clock.CLOCK_VARIABLE))


def book(hall, start: str, phone: str) -> str:
    answer = requests.post(hall.url + "/api/v1/appointments", timeout=10, json={
        "service_id": 1, "date": "2026-12-07", "start": start, "name": "赵六", "phone": phone})
    assert answer.status_code == 201, answer.text
    return answer.json()["code"]


def type_on_pad(app, code: str):
    for character in code:
        harness.tap(next(key for key in harness.find_all(app, "CodeKey") if key.text == character))


def test_a_code_typed_on_the_pad_gives_a_priority_ticket_marked_booked(at_home, hall):
    app = at_home
    clock.set_clock("2026-12-07T08:00:00+08:00")
    code = book(hall, "09:00", "13500000001")
    clock.set_clock("2026-12-07T08:40:00+08:00")  # the window is 08:30-09:15
    harness.tap(harness.find(app, "Tile", "预约取号"))
    assert app.manager.current == "checkin"
    screen = app.manager.get_screen("checkin")
    type_on_pad(app, code[:3])
    harness.tap(harness.find(app, "KioskButton", "确定"))
    assert "6 位" in screen.message  # too short: said, nothing sent
    harness.tap(harness.find(app, "CodeKey", "删除"))
    assert screen.code == code[:2]
    type_on_pad(app, code[2:])
    assert screen.code == code
    harness.frames(3)
    assert screen.ids.code_shown.text == " ".join(code)  # what the citizen typed, spaced out
    harness.screenshot("checkin-pad")
    harness.tap(harness.find(app, "KioskButton", "确定"))
    harness.wait_until(lambda: app.manager.current == "ticket", what="the ticket screen")
    assert app.ticket["number"].startswith("YA") and app.ticket["priority"] == 1
    assert app.ticket["appointment_code"] == code
    assert harness.find(app, "WrapLabel", "预约 · 优先叫号")
    assert ticket_slip(app.ticket, "大厅", [], "Asia/Shanghai").tag == "预约"
    harness.screenshot("checkin-ticket")


def test_too_early_the_server_says_when_to_come(at_home, hall):
    app = at_home
    clock.set_clock("2026-12-07T08:00:00+08:00")
    code = book(hall, "11:00", "13500000002")
    harness.tap(harness.find(app, "Tile", "预约取号"))
    type_on_pad(app, code)
    harness.tap(harness.find(app, "KioskButton", "确定"))
    screen = app.manager.get_screen("checkin")
    harness.wait_until(lambda: not screen.busy, what="the server's answer")
    assert app.manager.current == "checkin"
    assert "10:30" in screen.message and screen.code == ""
    assert harness.find(app, "Notice", "10:30")
    harness.screenshot("checkin-too-early")


def test_a_qr_scanned_on_the_home_screen_checks_in_at_once(at_home, hall):
    app = at_home
    clock.set_clock("2026-12-07T08:00:00+08:00")
    code = book(hall, "10:00", "13500000003")
    clock.set_clock("2026-12-07T09:50:00+08:00")
    assert app.manager.current == "home"
    for character in code.lower():  # a scanner in lower case: read as capitals
        Window.dispatch("on_textinput", character)
    Window.dispatch("on_key_down", 13, 36, "", [])
    harness.wait_until(lambda: app.manager.current == "ticket", what="the ticket screen after a scan")
    assert app.ticket["appointment_code"] == code
    # a stray Enter or a short burst of keys on the home screen does nothing
    app.go_home()
    for character in "AB3":
        Window.dispatch("on_textinput", character)
    Window.dispatch("on_key_down", 13, 36, "", [])
    harness.frames(3)
    assert app.manager.current == "home"
