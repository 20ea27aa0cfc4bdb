"""An ID card laid on the kiosk's reader: the real kiosk in the offscreen window, the reader a
pseudo-terminal speaking the SAM protocol (idcard.simulator), a real server on 127.0.0.1 and a
serial printer on a pseudo-terminal. Card placed → the ticket's bytes on the printer, tied to the
person (keyed hash, masked name), 绿色通道 for the elderly, today's booking checked in by the card,
a second waiting ticket refused in the server's words."""

from __future__ import annotations

import os

import kivy_harness as harness
import pytest
import requests

from helpers import bearer
from idcard import id_number_hash
from idcard.samples import ADULT, ELDER, LEAP_CHILD
from idcard.simulator import CardReaderSimulator
from printer.simulator import SerialPrinterSimulator
from queue_server import clock, store

MONDAY = "2026-12-07"


@pytest.fixture(scope="module", autouse=True)
def monday_morning():
    clock.set_clock(f"{MONDAY}T08:40:00+08:00")  # the server runs in this process: it reads this clock
    yield
    clock.set_clock(os.environ.get(clock.CLOCK_VARIABLE))


@pytest.fixture(scope="module")
def simulated_printer():
    with SerialPrinterSimulator() as device:
        yield device


@pytest.fixture(scope="module")
def card_reader():
    with CardReaderSimulator() as reader:
        yield reader


@pytest.fixture(scope="module")
def kiosk(hall, simulated_printer, card_reader, tmp_path_factory):
    """The kiosk with `[kiosk] idcard` naming the simulated reader (replaces conftest's kiosk)."""
    from kiosk.settings import KioskSettings

    settings = KioskSettings(server=hall.url, token=hall.kiosk_token,
                             printer=f"serial://{simulated_printer.device_path}?baudrate=115200&status_timeout=300",
                             cache_dir=str(tmp_path_factory.mktemp("kiosk-cache")),
                             hall_name=hall.config["hall"]["name"], idle_seconds=600,
                             services_refresh_seconds=0.5, heartbeat_seconds=600, ticket_done_seconds=600,
                             idcard=card_reader.uri, green_channel_age=70)
    app = harness.start_app(settings)
    harness.wait_until(lambda: app.server_state == "ready", what="the queue server's services")
    yield app
    app.on_stop()


@pytest.fixture
def card_at_home(at_home, card_reader, simulated_printer):
    card_reader.remove()
    harness.wait_until(lambda: not at_home.card.reader.card_present, what="the reader to see no card")
    at_home.card.forget()
    simulated_printer.clear()
    return at_home


def hash_of(hall, number: str) -> str:
    key = requests.get(hall.url + "/api/v1/kiosks/id-hash-key", headers=bearer(hall.kiosk_token), timeout=5)
    return id_number_hash(number, key.json()["key"])


def ticket_row(hall, ticket_id: int) -> dict:
    db = hall.db()
    try:
        return store.get_ticket(db, ticket_id)
    finally:
        db.conn.close()


def open_service(app, department: str, service: str):
    harness.tap(harness.find(app, "Tile", "取号"))
    harness.wait_until(lambda: harness.find_all(app, "ListRow", department), what="departments listed")
    harness.tap(harness.find(app, "ListRow", department))
    assert app.manager.current == "services"
    return harness.find(app, "ServiceCard", service)


def printed_ticket(app, printer) -> bytes:
    harness.wait_until(lambda: app.manager.current == "ticket", what="the ticket screen")
    harness.wait_until(lambda: app.print_state == "printed", what="the ticket on paper")
    printed = printer.data()
    assert app.ticket["number"].encode("ascii") in printed
    return printed


def test_a_card_without_booking_is_held_for_the_ticket_and_a_second_one_is_refused(card_at_home, hall,
                                                                                   card_reader, simulated_printer):
    app = card_at_home
    card_reader.place(ADULT)
    harness.wait_until(lambda: app.card.state == "held", what="the card held for the next ticket")
    assert app.manager.current == "home"  # nothing to check in: the citizen goes on as before
    assert harness.find(app, "WrapLabel", "已读取身份证：高**")
    assert harness.find(app, "WrapLabel", "号票将登记本人")
    harness.screenshot("card-held-home")

    harness.tap(open_service(app, "县民政局", "最低生活保障申请"))
    printed = printed_ticket(app, simulated_printer)
    assert "绿色通道".encode("gb18030") not in printed  # 36 years old
    row = ticket_row(hall, app.ticket["id"])
    assert row["holder_hash"] == hash_of(hall, ADULT.id_number)
    assert row["holder_name"] == "高**" and row["priority"] == 0
    assert app.card.state == "idle"  # one card, one ticket
    assert not harness.find_all(app, "WrapLabel", "已读取身份证")  # the strip is gone
    first_number, first_ahead = app.ticket["number"], app.ticket["ahead"]

    # the same person again, same service: the server names the first ticket and its place
    card_reader.remove()
    harness.wait_until(lambda: not app.card.reader.card_present, what="the card taken away")
    app.go_home()
    card_reader.place(ADULT)
    harness.wait_until(lambda: app.card.state == "held", what="the card held again")
    harness.tap(open_service(app, "县民政局", "最低生活保障申请"))
    screen = app.manager.get_screen("services")
    try:
        harness.wait_until(lambda: "您已取过" in screen.message, timeout=8, what="the refusal")
    except AssertionError:
        # the list is rebuilt when the waiting counts change: a tap that met a rebuild is tapped again
        harness.tap(harness.find(app, "ServiceCard", "最低生活保障申请"))
        harness.wait_until(lambda: "您已取过" in screen.message, what="the refusal")
    assert f"您已取过 {first_number} 号，前面还有 {first_ahead} 人" in screen.message
    assert harness.find(app, "Notice", f"您已取过 {first_number} 号")
    assert app.manager.current == "services"
    harness.screenshot("card-second-ticket-refused")


def test_an_elder_gets_the_green_channel_from_the_service_screen(card_at_home, hall, card_reader,
                                                                 simulated_printer):
    app = card_at_home
    card = open_service(app, "县人力资源和社会保障局", "社会保障卡申领")
    card_reader.place(ELDER)  # laid down while the services are on screen
    harness.wait_until(lambda: app.card.state == "held", what="the elder's card held")
    assert app.manager.current == "services"
    assert harness.find(app, "WrapLabel", "已读取身份证：乌****")
    assert harness.find(app, "WrapLabel", "绿色通道")
    harness.screenshot("card-held-green-channel")
    harness.tap(card)
    printed = printed_ticket(app, simulated_printer)
    assert "绿色通道".encode("gb18030") in printed
    assert app.ticket["priority"] == 1
    assert harness.find(app, "WrapLabel", "绿色通道 · 优先叫号")
    row = ticket_row(hall, app.ticket["id"])
    assert row["holder_hash"] == hash_of(hall, ELDER.id_number) and row["holder_name"] == "乌****"
    harness.screenshot("card-green-channel-ticket")


def test_todays_booking_is_checked_in_by_the_card_alone(card_at_home, hall, card_reader, simulated_printer):
    app = card_at_home
    clock.set_clock(f"{MONDAY}T08:00:00+08:00")
    booked = requests.post(hall.url + "/api/v1/appointments", timeout=10, json={
        "service_id": 1, "date": MONDAY, "start": "09:00", "name": "欧阳晓晴", "phone": "13600000009",
        "id_number": LEAP_CHILD.id_number})
    assert booked.status_code == 201, booked.text
    clock.set_clock(f"{MONDAY}T08:40:00+08:00")  # its check-in window is 08:30-09:15
    card_reader.place(LEAP_CHILD)
    printed = printed_ticket(app, simulated_printer)
    assert app.ticket["appointment_code"] == booked.json()["code"]
    assert app.ticket["number"].startswith("Y") and app.ticket["priority"] == 1
    assert "预约".encode("gb18030") in printed
    assert harness.find(app, "WrapLabel", "预约 · 优先叫号")
    row = ticket_row(hall, app.ticket["id"])
    assert row["holder_hash"] == hash_of(hall, LEAP_CHILD.id_number) and row["holder_name"] == "欧阳**"
    assert app.card.state == "idle"
    harness.screenshot("card-booking-checked-in")


def test_a_booking_outside_its_window_says_when_and_holds_the_card(card_at_home, hall, card_reader):
    app = card_at_home
    clock.set_clock(f"{MONDAY}T08:00:00+08:00")
    booked = requests.post(hall.url + "/api/v1/appointments", timeout=10, json={
        "service_id": 2, "date": MONDAY, "start": "11:00", "name": "高文博", "phone": "13600000010",
        "id_number": ADULT.id_number})
    assert booked.status_code == 201, booked.text
    clock.set_clock(f"{MONDAY}T08:40:00+08:00")
    card_reader.place(ADULT)
    harness.wait_until(lambda: app.card.state == "held", what="the card held")
    assert "10:30" in app.card.message  # the server's words: come back from 10:30
    assert harness.find(app, "WrapLabel", "10:30")
    assert app.manager.current == "home"
    harness.tap(harness.find(app, "KioskButton", "取消"))
    assert app.card.state == "idle"


def test_a_later_day_booked_with_the_card_is_checked_in_by_it(card_at_home, hall, card_reader, simulated_printer):
    app = card_at_home
    clock.set_clock(f"{MONDAY}T08:40:00+08:00")
    harness.wait_until(lambda: app.hall_day == MONDAY, what="the server's day")
    harness.tap(harness.find(app, "Tile", "预约取号"))
    harness.tap(harness.find(app, "KioskButton", "预约其他日期"))
    screen = app.manager.get_screen("book")
    harness.tap(harness.find(app, "ListRow", "临时救助申请"))
    harness.tap(harness.wait_until(lambda: next(iter(harness.find_all(app, "ListRow", "12月9日")), None),
                                   what="the days"))
    harness.tap(harness.wait_until(lambda: next(iter(harness.find_all(app, "ListRow", "14:00–15:00")), None),
                                   what="the slots"))
    assert harness.find(app, "TextInput").hint_text.startswith("请输入姓名")
    card_reader.place(ELDER)  # laid down on the form: the name comes from the card
    harness.wait_until(lambda: screen.card_name == "乌****", what="the card's name on the form")
    assert harness.find(app, "WrapLabel", "乌****（已读取身份证）")  # no name to type
    for digit in "13600000011":
        harness.tap(next(key for key in harness.find_all(app, "CodeKey") if key.text == digit))
    harness.tap(harness.find(app, "KioskButton", "确认预约"))
    harness.wait_until(lambda: screen.step == "done", what="the confirmation")
    assert harness.find(app, "WrapLabel", "放置本人身份证")
    assert app.card.state == "idle"
    code = screen.booking["code"]
    harness.screenshot("book-done-with-card")

    # Wednesday 13:50: the card alone checks the booking in and prints its ticket
    card_reader.remove()
    harness.wait_until(lambda: not app.card.reader.card_present, what="the card taken away")
    app.go_home()
    clock.set_clock("2026-12-09T13:50:00+08:00")
    card_reader.place(ELDER)
    printed = printed_ticket(app, simulated_printer)
    assert app.ticket["appointment_code"] == code
    assert "预约".encode("gb18030") in printed
