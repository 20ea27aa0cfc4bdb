"""Appointments (预约) through the real API on Flask's test client, with the hall clock the tests set:
booking → check-in → a priority ticket called before walk-ins, capacity, one booking per person,
the check-in window, cancelling, closing a slot, and the 爽约 rule."""

from __future__ import annotations

import os
import sqlite3

import pytest
from helpers import bearer, make_hall

from idcard import id_number_hash
from queue_server import clock, stats, store
from queue_server.appointments import CODE_ALPHABET, appointment_figures
from queue_server.ops import report

pytestmark = pytest.mark.calendar

API = "/api/v1"
MONDAY = "2026-12-07"  # a working day of the demo hall; the following days run to Friday the 11th
ID_NUMBER = "150123195203140421"


@pytest.fixture
def hall_config(tmp_path):
    """The demo hall with its real opening hours (08:30-12:00, 14:30-17:30 on working days)."""
    return make_hall(tmp_path, all_day=False)


@pytest.fixture
def at():
    """Set the hall clock: at("2026-12-07T09:05") (Beijing time); restored after the test."""
    def set_to(local_time: str):
        clock.set_clock(f"{local_time}:00+08:00")
    yield set_to
    clock.set_clock(os.environ.get(clock.CLOCK_VARIABLE))


def service_id(client, name):
    for department in client.get(API + "/services").get_json()["departments"]:
        for service in department["services"]:
            if service["name"] == name:
                return service["id"]
    raise AssertionError(name)


def book(client, service, day=MONDAY, start="09:30", phone="13912345678", name="张三", headers=None, **extra):
    return client.post(API + "/appointments", json={"service_id": service, "date": day, "start": start,
                                                    "name": name, "phone": phone, **extra}, headers=headers or {})


def assert_error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == code and body["message"], body
    return body


def test_slots_follow_the_service_hours_and_the_hall_calendar(client, at):
    at("2026-12-07T08:00")
    dibao = service_id(client, "最低生活保障申请")
    slots = client.get(API + f"/appointments/slots?service_id={dibao}&date={MONDAY}").get_json()
    assert [s["start"] for s in slots] == ["08:30", "09:30", "10:30", "11:30", "14:30", "15:30", "16:30"]
    assert slots[3]["end"] == "12:00" and slots[0]["end"] == "09:30"
    # 08:30 closes 30 minutes before it starts: at 08:00 it is already past
    assert slots[0]["available"] == 0 and slots[1]["available"] == slots[1]["capacity"] > 0
    saturday = client.get(API + f"/appointments/slots?service_id={dibao}&date=2026-12-12").get_json()
    assert saturday == []
    too_far = client.get(API + f"/appointments/slots?service_id={dibao}&date=2026-12-15").get_json()
    assert too_far == []  # booking opens 7 days ahead
    assert_error(client.get(API + f"/appointments/slots?service_id={dibao}&date=12/07"), 400, "bad_request")
    assert_error(client.get(API + "/appointments/slots?service_id=9999&date=2026-12-08"), 404, "unknown_service")


def test_booking_then_check_in_gives_a_priority_ticket_called_before_walk_ins(client, tokens, at):
    at("2026-12-07T08:00")
    dibao = service_id(client, "最低生活保障申请")
    response = book(client, dibao)
    assert response.status_code == 201, response.get_json()
    booking = response.get_json()
    code = booking["code"]
    assert len(code) == 6 and set(code) <= set(CODE_ALPHABET)
    assert booking["date"] == MONDAY and booking["start"] == "09:30" and booking["end"] == "10:30"
    assert booking["status_url"].endswith(f"/book/{code}") and booking["name"] == "张*"

    kiosk = bearer(tokens["kiosk"])
    early = assert_error(client.post(API + f"/appointments/{code}/check-in", headers=kiosk), 409, "checkin_too_early")
    assert early["checkin_from"] == "09:00" and early["checkin_until"] == "09:45" and "09:00" in early["message"]

    at("2026-12-07T09:05")
    walk_ins = [client.post(API + "/tickets", json={"service_id": dibao}, headers=kiosk).get_json() for _ in range(2)]
    assert [t["number"] for t in walk_ins] == ["A001", "A002"]
    ticket = client.post(API + f"/appointments/{code.lower()}/check-in", headers=kiosk)
    assert ticket.status_code == 201, ticket.get_json()
    ticket = ticket.get_json()
    assert ticket["number"] == "YA001" and ticket["priority"] == 1 and ticket["appointment_code"] == code
    assert ticket["appointment"] is True and ticket["ahead"] == 0
    # once only
    assert_error(client.post(API + f"/appointments/{code}/check-in", headers=kiosk), 409, "wrong_state")

    staff = bearer(tokens["staff1"])
    assert client.post(API + "/windows/1/open", headers=staff).status_code == 200
    called = client.post(API + "/windows/1/call-next", headers=staff).get_json()
    assert called["number"] == "YA001" and called["appointment"] is True
    status = client.get(API + f"/appointments/{code}").get_json()
    assert status["status"] == "checked_in" and status["ticket_number"] == "YA001"
    client.post(API + "/windows/1/finish", headers=staff)
    assert client.post(API + "/windows/1/call-next", headers=staff).get_json()["number"] == "A001"


def test_check_in_too_late_and_through_the_tickets_appointment_code(client, tokens, at):
    at("2026-12-07T08:00")
    dibao = service_id(client, "最低生活保障申请")
    late_code = book(client, dibao, phone="13900000001").get_json()["code"]
    kept_code = book(client, dibao, start="10:30", phone="13900000002").get_json()["code"]
    kiosk = bearer(tokens["kiosk"])
    at("2026-12-07T09:46")
    late = assert_error(client.post(API + f"/appointments/{late_code}/check-in", headers=kiosk), 409,
                        "checkin_too_late")
    assert late["checkin_until"] == "09:45"
    assert client.get(API + f"/appointments/{late_code}").get_json()["status"] == "no_show"

    at("2026-12-07T10:10")
    other = service_id(client, "临时救助申请")
    assert_error(client.post(API + "/tickets", json={"service_id": other, "appointment_code": kept_code},
                             headers=kiosk), 409, "booking_closed")
    ticket = client.post(API + "/tickets", json={"service_id": dibao, "appointment_code": kept_code}, headers=kiosk)
    assert ticket.status_code == 201 and ticket.get_json()["priority"] == 1
    assert ticket.get_json()["number"] == "YA001"
    assert_error(client.post(API + "/appointments/ZZZZZZ/check-in", headers=kiosk), 404, "unknown_appointment")
    assert_error(client.post(API + f"/appointments/{kept_code}/check-in"), 401, "unauthorized")


def test_capacity_one_booking_per_person_and_the_booking_deadline(client, tokens, at):
    at("2026-12-07T08:00")
    dibao = service_id(client, "最低生活保障申请")
    admin = bearer(tokens["admin"])
    assert client.put(API + "/appointments/capacity", json={"service_id": dibao, "capacity": 2},
                      headers=admin).status_code == 200
    assert book(client, dibao, phone="13900000001").status_code == 201
    # the same person (phone) again for the same service: refused, another service is fine
    assert_error(book(client, dibao, start="10:30", phone="13900000001"), 409, "already_booked")
    assert book(client, service_id(client, "临时救助申请"), phone="13900000001").status_code == 201
    assert book(client, dibao, phone="13900000002").status_code == 201
    assert_error(book(client, dibao, phone="13900000003"), 409, "slot_full")
    slot = next(s for s in client.get(API + f"/appointments/slots?service_id={dibao}&date={MONDAY}").get_json()
                if s["start"] == "09:30")
    assert slot == slot | {"capacity": 2, "available": 0, "booked": 2}
    # the 08:30 slot closed at 08:00; bad input is a 400 in Chinese
    assert_error(book(client, dibao, start="08:30", phone="13900000004"), 409, "booking_closed")
    assert_error(book(client, dibao, phone="12345"), 400, "bad_request")
    assert_error(book(client, dibao, start="9点半"), 400, "bad_request")
    assert_error(book(client, dibao, start="09:45", phone="13900000005"), 409, "booking_closed")
    assert_error(client.put(API + "/appointments/capacity", json={"service_id": dibao, "capacity": 2}), 401,
                 "unauthorized")
    assert_error(client.put(API + "/appointments/capacity", json={"service_id": dibao, "capacity": 2},
                            headers=bearer(tokens["staff1"])), 403, "forbidden")


def test_the_id_number_is_kept_only_as_a_keyed_hash_and_identifies_the_person(client, hall_config, at):
    at("2026-12-07T08:00")
    dibao = service_id(client, "最低生活保障申请")
    assert book(client, dibao, phone="13900000001", id_number=ID_NUMBER).status_code == 201
    # the same ID with another phone number is the same person
    assert_error(book(client, dibao, start="10:30", phone="13900000009", id_number=ID_NUMBER), 409, "already_booked")
    assert_error(book(client, dibao, start="10:30", phone="13900000009", id_number="150123195203140426"), 400,
                 "bad_request")
    dump = "\n".join(sqlite3.connect(hall_config["server"]["database"]).iterdump())
    assert ID_NUMBER not in dump and ID_NUMBER[-8:] not in dump
    db = sqlite3.connect(hall_config["server"]["database"])
    (stored,) = db.execute("SELECT id_hash FROM appointment").fetchone()
    assert len(stored) == 64


def test_cancel_until_the_slot_starts_frees_the_place(client, tokens, at):
    at("2026-12-07T08:00")
    dibao = service_id(client, "最低生活保障申请")
    admin = bearer(tokens["admin"])
    client.put(API + "/appointments/capacity", json={"service_id": dibao, "capacity": 1}, headers=admin)
    code = book(client, dibao, phone="13900000001").get_json()["code"]
    assert_error(book(client, dibao, phone="13900000002"), 409, "slot_full")
    cancelled = client.post(API + f"/appointments/{code}/cancel").get_json()
    assert cancelled["status"] == "cancelled" and cancelled["cancellable"] is False
    assert book(client, dibao, phone="13900000002").status_code == 201
    # the first person may book again once their booking is cancelled
    second = book(client, dibao, start="10:30", phone="13900000001")
    assert second.status_code == 201
    at("2026-12-07T10:31")
    assert_error(client.post(API + f"/appointments/{second.get_json()['code']}/cancel"), 409, "wrong_state")


def test_closing_a_slot_tells_its_bookings_on_their_page(client, tokens, at):
    at("2026-12-07T08:00")
    dibao = service_id(client, "最低生活保障申请")
    code = book(client, dibao, day="2026-12-08").get_json()["code"]
    admin = bearer(tokens["admin"])
    closed = client.post(API + "/appointments/slots/close", headers=admin,
                         json={"service_id": dibao, "date": "2026-12-08", "start": "09:30", "reason": "系统升级"})
    assert closed.get_json() == {"closed_bookings": 1}
    assert client.get(API + f"/appointments/{code}").get_json()["status"] == "closed"
    page = client.get(f"/book/{code}").get_data(as_text=True)
    assert "时段已关闭" in page and "系统升级" in page
    assert_error(book(client, dibao, day="2026-12-08", phone="13900000002"), 409, "booking_closed")
    client.post(API + "/appointments/slots/reopen", headers=admin,
                json={"service_id": dibao, "date": "2026-12-08", "start": "09:30"})
    assert book(client, dibao, day="2026-12-08", phone="13900000002").status_code == 201
    # the person whose slot was closed may book again
    assert book(client, dibao, day="2026-12-08", start="10:30").status_code == 201


def test_three_no_shows_within_90_days_refuse_booking_for_90_days(client, tokens, at):
    dibao = service_id(client, "最低生活保障申请")
    for day in ("2026-12-07", "2026-12-08", "2026-12-09"):
        at(f"{day}T08:00")
        assert book(client, dibao, day=day, phone="13700000001").status_code == 201
    at("2026-12-09T09:46")  # the third window has ended: 3 爽约
    banned = assert_error(book(client, dibao, day="2026-12-10", phone="13700000001"), 403, "booking_banned")
    assert banned["until"] == "2027-03-09" and "爽约" in banned["message"] and "2027-03-09" in banned["message"]
    # someone else is not affected
    assert book(client, dibao, day="2026-12-10", phone="13700000002").status_code == 201
    staff = bearer(tokens["staff1"])
    listed = client.get(API + "/appointments?date=2026-12-08", headers=staff).get_json()
    assert listed["services"][0]["counts"]["no_show"] == 1
    assert listed["services"][0]["bookings"][0]["phone"] == "13700000001"
    assert_error(client.get(API + "/appointments?date=2026-12-08"), 401, "unauthorized")
    at("2027-03-10T08:00")  # a working day after the ban
    assert book(client, dibao, day="2027-03-10", phone="13700000001").status_code == 201


def test_two_no_shows_far_apart_do_not_ban(client, at):
    dibao = service_id(client, "最低生活保障申请")
    for day in ("2026-12-07", "2026-12-08"):
        at(f"{day}T08:00")
        book(client, dibao, day=day, phone="13700000001")
    at("2027-04-01T08:00")  # 2027-04-01 is a Thursday, more than 90 days after
    assert book(client, dibao, day="2027-04-01", phone="13700000001").status_code == 201
    at("2027-04-02T08:00")  # the 2027-04-01 booking is the third 爽约, but not within 90 days of the others
    assert book(client, dibao, day="2027-04-02", phone="13700000001").status_code == 201


def test_booked_checked_in_and_no_show_in_the_statistics_and_report(client, tokens, hall_config, at):
    at("2026-12-07T08:00")
    dibao = service_id(client, "最低生活保障申请")
    kept = book(client, dibao, phone="13900000001").get_json()["code"]
    book(client, dibao, phone="13900000002")
    gone = book(client, dibao, start="10:30", phone="13900000003").get_json()["code"]
    client.post(API + f"/appointments/{gone}/cancel")
    at("2026-12-07T09:20")
    assert client.post(API + f"/appointments/{kept}/check-in", headers=bearer(tokens["kiosk"])).status_code == 201
    at("2026-12-07T12:00")
    db = store.connect(hall_config["server"]["database"])
    figures = appointment_figures(db, MONDAY, MONDAY)
    assert figures["totals"] | {"booked": 3, "checked_in": 1, "no_show": 1, "cancelled": 1} == figures["totals"]
    assert figures["by_service"][0]["service"] == "最低生活保障申请"
    period = stats.Period(MONDAY, MONDAY)
    text = report.render(db, hall_config, period, "csv")
    assert "预约" in text and "爽约" in text
    rows = report.read_csv(text)
    table = next(rows[name] for name in rows if name.startswith("预约"))
    assert any(row[0] == "最低生活保障申请" and row[2:5] == ["3", "1", "1"] for row in table), table
    db.conn.close()


def test_the_booking_pages_walk_department_service_day_slot_form(client, at):
    at("2026-12-07T08:00")
    dibao = service_id(client, "最低生活保障申请")
    first = client.get("/book").get_data(as_text=True)
    assert "县民政局" in first and "最低生活保障申请" in first
    days = client.get(f"/book?service_id={dibao}").get_data(as_text=True)
    assert "12月7日 周一" in days and "12月12日" not in days
    slots = client.get(f"/book?service_id={dibao}&date={MONDAY}").get_data(as_text=True)
    assert "09:30–10:30" in slots and "已截止" in slots
    form = client.get(f"/book?service_id={dibao}&date={MONDAY}&start=09:30").get_data(as_text=True)
    assert 'name="phone"' in form


def card_hash(client, tokens, number=ID_NUMBER):
    """What the kiosk does with a card: fetch the hall's hashing key, hash the number locally."""
    key = client.get(API + "/kiosks/id-hash-key", headers=bearer(tokens["kiosk"])).get_json()["key"]
    return id_number_hash(number, key)


def test_an_id_card_at_the_kiosk_finds_todays_booking(client, tokens, at):
    at("2026-12-07T08:00")
    dibao = service_id(client, "最低生活保障申请")
    code = book(client, dibao, id_number=ID_NUMBER.lower()).get_json()["code"]
    kiosk = bearer(tokens["kiosk"])
    assert_error(client.get(API + "/kiosks/id-hash-key"), 401, "unauthorized")
    hashed = card_hash(client, tokens)
    early = assert_error(client.post(API + "/appointments/check-in", json={"id_hash": hashed}, headers=kiosk),
                         409, "checkin_too_early")
    assert early["checkin_from"] == "09:00"
    at("2026-12-07T09:10")
    ticket = client.post(API + "/appointments/check-in", json={"id_hash": hashed, "holder_name": "张三"},
                         headers=kiosk)
    assert ticket.status_code == 201, ticket.get_json()
    assert ticket.get_json()["number"] == "YA001" and ticket.get_json()["appointment_code"] == code
    other = card_hash(client, tokens, "11010519491231002X")
    assert_error(client.post(API + "/appointments/check-in", json={"id_hash": other}, headers=kiosk), 404,
                 "unknown_appointment")
    assert_error(client.post(API + "/appointments/check-in", json={"id_hash": ID_NUMBER}, headers=kiosk), 400,
                 "bad_request")


def test_one_waiting_ticket_per_person_and_service_by_id_card(client, tokens, hall_config, at):
    at("2026-12-07T09:00")
    dibao = service_id(client, "最低生活保障申请")
    kiosk = bearer(tokens["kiosk"])
    hashed = card_hash(client, tokens)
    client.post(API + "/tickets", json={"service_id": dibao}, headers=kiosk)
    first = client.post(API + "/tickets", json={"service_id": dibao, "id_hash": hashed, "holder_name": "张三"},
                        headers=kiosk).get_json()
    assert first["number"] == "A002"
    again = assert_error(client.post(API + "/tickets", json={"service_id": dibao, "id_hash": hashed}, headers=kiosk),
                         409, "already_waiting")
    assert again["number"] == "A002" and again["ahead"] == 1
    assert again["message"] == "您已取过 A002 号，前面还有 1 人，请留意叫号"
    # another service is another line
    assert client.post(API + "/tickets", json={"service_id": service_id(client, "临时救助申请"), "id_hash": hashed},
                       headers=kiosk).status_code == 201
    db = sqlite3.connect(hall_config["server"]["database"])
    assert db.execute("SELECT holder_name FROM ticket WHERE number = 'A002'").fetchone()[0] == "张*"
    assert_error(client.post(API + "/tickets", json={"service_id": dibao, "id_hash": "xyz"}, headers=kiosk), 400,
                 "bad_request")
