"""Kiosk mode: Escape and the window manager cannot close it; no emulated second finger;
a long press in the corner and the PIN are the only way out."""

from __future__ import annotations

from kivy.base import EventLoop
from kivy.config import Config
from kivy.core.window import Window
from kivy.tests.common import UnitTestTouch

import kivy_harness as harness
from kiosk.views import AdminExit


def test_escape_and_close_requests_do_not_quit(at_home):
    app = at_home
    assert Config.get("kivy", "exit_on_escape") == "0"
    assert "disable_multitouch" in Config.get("input", "mouse")
    app.kiosk_mode = True
    running = EventLoop.status
    try:
        assert Window.dispatch("on_key_down", 27, 0, 0, "", []) is True
        assert Window.dispatch("on_request_close") is True
        harness.frames(3)
        assert EventLoop.status == running and not EventLoop.quit
    finally:
        app.kiosk_mode = False


def test_language_and_big_type_are_one_tap_away_everywhere(at_home):
    app = at_home
    harness.tap(harness.find(app, "BarButton", "English"))
    assert app.lang == "en"
    assert harness.find(app, "Tile", "Take a number")
    harness.tap(harness.find(app, "Tile", "Service guides"))
    harness.tap(harness.find(app, "BarButton", "Large"))
    assert app.big_type and app.font_scale > 1.2
    assert harness.find(app, "BarButton", "中文")
    harness.tap(harness.find(app, "BarButton", "中文"))
    assert app.lang == "zh" and app.manager.current == "guides"
    harness.tap(harness.find(app, "BarButton", "标准字"))
    assert not app.big_type


def test_help_button_calls_the_staff(at_home, hall):
    from queue_server import hall_admin

    app = at_home
    harness.tap(harness.find(app, "Tile", "办事指南"))
    harness.tap(harness.find(app, "BarButton", "呼叫工作人员"))
    harness.wait_until(lambda: app.help_state == "sent", what="the call for staff")
    assert harness.find(app, "BarButton", "已呼叫，工作人员马上就到")
    db = hall.db()
    try:
        alerts = {k["id"]: k["alerts"] for k in hall_admin.kiosk_health(db)}
    finally:
        db.conn.close()
    assert f"自助机 {app.kiosk_id} 需要协助" in alerts[app.kiosk_id]  # the admin console's alert
    app.help_state = ""


def press_at(x: float, y_from_top: float, hold: float = 0.0):
    """A finger at a point of the glass, measured from the top-left as a touch screen does."""
    touch = UnitTestTouch(x, Window.height - y_from_top)
    touch.touch_down()
    harness.frames(2)
    if hold:
        harness.pause(hold)
    touch.touch_up()
    harness.frames(3)


def test_a_short_touch_in_the_corner_does_nothing_a_long_press_asks_for_the_pin(at_home):
    app = at_home
    press_at(10, 10)
    harness.pause(0.2)
    assert not [w for w in Window.children if isinstance(w, AdminExit)]
    press_at(10, 10, hold=3.3)  # the very corner of the glass, where a technician's thumb goes
    dialog = harness.wait_until(lambda: next((w for w in Window.children if isinstance(w, AdminExit)), None),
                                what="the PIN dialog")
    for digit in "1234":
        harness.tap(next(w for w in dialog.ids.pin_keys.children if w.text == digit))
    assert dialog.pin == "1234"
    harness.tap(next(w for w in dialog.ids.pin_keys.children if w.text == "退出"))
    assert dialog.message == "密码错误" and dialog.pin == ""
    assert not (EventLoop.quit or EventLoop.stopping)
    for digit in app.settings.admin_pin:
        harness.tap(next(w for w in dialog.ids.pin_keys.children if w.text == digit))
    harness.tap(next(w for w in dialog.ids.pin_keys.children if w.text == "退出"))
    assert EventLoop.quit or EventLoop.stopping  # App.stop() ran: the administrator is out
