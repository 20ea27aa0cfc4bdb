"""From the home screen to a printed ticket, against a real server on 127.0.0.1 and a
serial printer on a pseudo-terminal (printer.simulator answers DLE EOT like a real one)."""

from __future__ import annotations

import pytest
import requests

import kivy_harness as harness
from helpers import bearer
from printer import PrinterStatus
from printer.simulator import SerialPrinterSimulator


@pytest.fixture(scope="module")
def simulated_printer():
    with SerialPrinterSimulator() as device:
        yield device


@pytest.fixture(scope="module")
def printer_uri(simulated_printer):
    return f"serial://{simulated_printer.device_path}?baudrate=115200&status_timeout=300"


def take_ticket(app, department: str, service: str):
    harness.tap(harness.find(app, "Tile", "取号"))
    assert app.manager.current == "departments"
    harness.wait_until(lambda: harness.find_all(app, "ListRow", department), what="departments listed")
    harness.tap(harness.find(app, "ListRow", department))
    assert app.manager.current == "services"
    harness.tap(harness.find(app, "ServiceCard", service))


def test_whole_ticket_flow_prints_the_number_the_server_issued(at_home, hall, simulated_printer):
    app = at_home
    simulated_printer.clear()
    take_ticket(app, "县民政局", "最低生活保障申请")
    harness.wait_until(lambda: app.manager.current == "ticket", what="the ticket screen")
    number = app.ticket["number"]
    assert number.startswith("A")
    # the number on screen, very large, is the server's
    number_label = harness.find(app, "FitLabel", number)
    assert number_label.font_size >= 100
    harness.wait_until(lambda: app.print_state == "printed", what="printing to finish")
    assert harness.find(app, "WrapLabel", "打印完成")
    printed = simulated_printer.data()
    assert number.encode("ascii") in printed
    assert "最低生活保障申请".encode("gb18030") in printed
    # the server knows this ticket as waiting
    token = app.ticket["token"]
    status = requests.get(f"{hall.url}/api/v1/tickets/{token}", timeout=5).json()
    assert status["number"] == number and status["status"] == "waiting"


def test_people_ahead_count_the_tickets_before(at_home, hall):
    app = at_home
    take_ticket(app, "县民政局", "最低生活保障申请")  # the first test took one already
    harness.wait_until(lambda: app.manager.current == "ticket", what="the ticket screen")
    assert app.ticket["ahead"] >= 1
    assert harness.find(app, "WrapLabel", f"前面还有 {app.ticket['ahead']} 人")
    harness.tap(harness.find(app, "KioskButton", "完成"))
    assert app.manager.current == "home"


def test_closed_service_cannot_be_picked(at_home, hall):
    db = hall.db()
    db.execute("UPDATE service SET enabled = 0 WHERE name = '失业登记'")
    db.conn.commit()
    db.conn.close()
    app = at_home
    harness.tap(harness.find(app, "Tile", "取号"))
    harness.wait_until(lambda: harness.find_all(app, "ListRow", "县人力资源和社会保障局"), what="departments")
    harness.tap(harness.find(app, "ListRow", "县人力资源和社会保障局"))
    card = harness.wait_until(lambda: next(iter(c for c in harness.find_all(app, "ServiceCard", "失业登记")
                                                 if not c.pickable), None), what="失业登记 shown as closed")
    assert "暂停" in card.status
    before = app.ticket
    harness.tap(card)
    harness.frames(10)
    assert app.manager.current == "services"  # no ticket, no new screen
    assert app.ticket is before
    assert "暂停" in harness.find(app, "Notice").text


def test_full_daily_cap_is_explained(at_home, hall):
    db = hall.db()
    db.execute("UPDATE service SET daily_cap = 1 WHERE name = '食品经营许可'")
    db.conn.commit()
    service_id = db.execute("SELECT id FROM service WHERE name = '食品经营许可'").fetchone()[0]
    db.conn.close()
    issued = requests.post(f"{hall.url}/api/v1/tickets", json={"service_id": service_id},
                           headers=bearer(hall.kiosk_token), timeout=5)
    assert issued.status_code == 201
    app = at_home
    harness.tap(harness.find(app, "Tile", "取号"))
    harness.wait_until(lambda: harness.find_all(app, "ListRow", "县市场监督管理局"), what="departments")
    harness.tap(harness.find(app, "ListRow", "县市场监督管理局"))
    card = harness.wait_until(lambda: next(iter(c for c in harness.find_all(app, "ServiceCard", "食品经营许可")
                                                 if not c.pickable), None), what="the full service greyed")
    # full for today: says so and when tickets start again (all-day hall: midnight tomorrow)
    assert card.status == "今日已停止取号，明日 00:00 起", card.status
    harness.tap(card)
    harness.frames(5)
    assert app.manager.current == "services"
    assert "今日已停止取号" in harness.find(app, "Notice").text


def test_printer_out_of_paper_keeps_the_ticket_on_screen_and_heartbeat_reports_it(at_home, hall,
                                                                                   simulated_printer):
    import pytest as _pytest

    app = at_home
    simulated_printer.status = PrinterStatus.PAPER_OUT
    simulated_printer.clear()
    try:
        take_ticket(app, "县卫生健康委员会", "出生医学证明办理")
        harness.wait_until(lambda: app.print_state == "failed", what="the print to fail")
        number = app.ticket["number"]
        assert number.startswith("D")
        assert harness.find(app, "FitLabel", number)  # still on screen, still valid
        assert "缺纸" in harness.find(app, "WrapLabel", "号票未能打印").text
        assert "拍照留存" in harness.find(app, "WrapLabel", "拍照").text
        assert harness.find(app, "Image").texture is not None  # the QR code to the ticket's page
        assert number.encode() not in simulated_printer.data()
        # the server was told at once, and the next heartbeat says the same
        harness.wait_until(lambda: _pytest.kiosks_seen_by_admin(hall)[0]["printer_status"] == "paper_out",
                           what="the server to hear of the paper", timeout=10)
        app.send_heartbeat()
        harness.wait_until(lambda: _pytest.kiosks_seen_by_admin(hall)[0]["printer_status"] == "paper_out",
                           what="the heartbeat")
        seen = _pytest.kiosks_seen_by_admin(hall)[0]
        assert seen["content_version"] == app.content_version
        assert "last_print_failure" in str(seen)
    finally:
        simulated_printer.status = PrinterStatus.READY


def test_a_character_no_font_has_is_told_calmly_to_the_citizen_and_plainly_to_the_staff(at_home, hall,
                                                                                        simulated_printer):
    import pytest as _pytest

    app = at_home
    no_font_has = "\U00030000"  # CJK Extension G: no font here draws it; the paper shows an empty box
    hall_name = app.hall_name
    app.hall_name = f"和林格尔县政务服务中心{no_font_has}"  # the slip's heading
    try:
        take_ticket(app, "县卫生健康委员会", "出生医学证明办理")
        harness.wait_until(lambda: app.print_state == "printed", what="printing to finish")
        note = harness.find(app, "WrapLabel", "个别字未能印出")
        assert "号码有效" in note.text and note.font_size < harness.find(app, "WrapLabel", "打印完成").font_size
        harness.screenshot("ticket-paper-blank")
        harness.wait_until(lambda: "printer_warning" in str(_pytest.kiosks_seen_by_admin(hall)[0]),
                           what="the heartbeat to carry the warning", timeout=10)
        assert no_font_has in str(_pytest.kiosks_seen_by_admin(hall)[0])
    finally:
        app.hall_name = hall_name
    app.go_home()
    take_ticket(app, "县卫生健康委员会", "出生医学证明办理")
    harness.wait_until(lambda: app.print_state == "printed", what="printing to finish")
    assert not [w for w in harness.find_all(app, "WrapLabel", "个别字未能印出") if harness.visible(w)]


def test_idle_timeout_returns_home_and_drops_the_flow(at_home):
    app = at_home
    harness.tap(harness.find(app, "Tile", "取号"))
    harness.wait_until(lambda: harness.find_all(app, "ListRow", "县民政局"), what="departments")
    harness.tap(harness.find(app, "ListRow", "县民政局"))
    harness.tap(harness.find(app, "BarButton", "大字"))
    assert app.big_type and app.manager.current == "services"
    app.idle_seconds = 8.0  # a picking screen waits half of it: a 4 s countdown from the next touch
    try:
        harness.tap(harness.find(app, "WrapLabel", "请选择要办理的事项"))  # any touch restarts the countdown
        harness.pause(0.5)
        # (4 s, not less: on a loaded machine a tap alone can take more than a second of the wall clock)
        assert app.manager.current == "services"
        harness.wait_until(lambda: app.manager.current == "home", timeout=15, what="idle timeout")
    finally:
        app.idle_seconds = 600
        app._on_activity()
    assert not app.big_type and app.lang == "zh"
    assert app.manager.get_screen("services").department == ""
    assert app.history == []
