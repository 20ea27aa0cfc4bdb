"""Privacy of the people recognised by their ID card: no screen names them unless the hall turns
names on (then masked), and their keyed hashes are forgotten after N days — by the admin's button
or `govhall purge-id-hashes`."""

from __future__ import annotations

import os

import pytest
import requests

from helpers import LiveServer, bearer
from idcard import id_number_hash
from idcard.samples import ADULT, ELDER
from queue_server import clock, store

pytestmark = pytest.mark.calendar


@pytest.fixture
def hall_clock():
    yield clock.set_clock
    clock.set_clock(os.environ.get(clock.CLOCK_VARIABLE))


def card_ticket(server, tokens, card, service_id=1) -> dict:
    key = requests.get(server.url + "/api/v1/kiosks/id-hash-key", headers=bearer(tokens["kiosk"]), timeout=10)
    answer = requests.post(server.url + "/api/v1/tickets", headers=bearer(tokens["kiosk"]), timeout=10, json={
        "service_id": service_id, "id_hash": id_number_hash(card.id_number, key.json()["key"]),
        "holder_name": card.name})
    assert answer.status_code == 201, answer.text
    return answer.json()


def call_next(server, tokens):
    headers = bearer(tokens["staff1"])
    requests.post(server.url + "/api/v1/windows/1/open", headers=headers, timeout=10)
    called = requests.post(server.url + "/api/v1/windows/1/call-next", headers=headers, timeout=10)
    assert called.status_code == 200, called.text
    return called.json()


def test_no_screen_names_anyone_by_default(live_server, tokens):
    card_ticket(live_server, tokens, ADULT)
    card_ticket(live_server, tokens, ELDER)  # waiting: the 请准备 line of the hall screen
    call_next(live_server, tokens)
    picture = requests.get(live_server.url + "/api/v1/display", timeout=10)
    assert "holder_name" not in picture.text and "高" not in picture.text and "乌" not in picture.text
    page = requests.get(live_server.url + "/display", timeout=10).text
    assert "高" not in page and "乌" not in page


@pytest.fixture
def naming_hall(hall_config):
    hall_config["privacy"]["display_names"] = True  # this hall shows names on its screens, masked
    server = LiveServer(hall_config)
    yield server
    server.stop()


def test_a_hall_that_turns_names_on_shows_them_masked(naming_hall, tokens):
    card_ticket(naming_hall, tokens, ADULT)
    card_ticket(naming_hall, tokens, ELDER)
    called = call_next(naming_hall, tokens)
    picture = requests.get(naming_hall.url + "/api/v1/display", timeout=10).json()
    window = next(w for w in picture["windows"] if w["number"] == 1)
    assert window["current"]["number"] == called["number"] and window["current"]["holder_name"] == "高**"
    next_up = [t for s in picture["waiting"] for t in s["next"]]
    assert {"holder_name": "乌****"}.items() <= next_up[0].items()
    assert "高文博" not in str(picture) and "乌兰其其格" not in str(picture)


def test_old_id_hashes_are_purged_by_the_admin_and_the_command(live_server, tokens, hall_db, admin_browser,
                                                                 runner, hall_clock):
    hall_clock("2026-10-05T09:00:00+08:00")
    old = card_ticket(live_server, tokens, ADULT)
    booked = requests.post(live_server.url + "/api/v1/appointments", timeout=10, json={
        "service_id": 2, "date": "2026-10-05", "start": "15:00", "name": "高文博", "phone": "13600000021",
        "id_number": ADULT.id_number})
    assert booked.status_code == 201, booked.text
    hall_clock("2026-10-20T09:00:00+08:00")
    middle = card_ticket(live_server, tokens, ELDER)
    hall_clock("2026-11-10T09:00:00+08:00")  # 36 days after the first, 21 after the second
    future = requests.post(live_server.url + "/api/v1/appointments", timeout=10, json={
        "service_id": 2, "date": "2026-11-12", "start": "15:00", "name": "高文博", "phone": "13600000021",
        "id_number": ADULT.id_number})
    assert future.status_code == 201, future.text

    page = admin_browser.get("/admin/appointments").text
    assert "身份证信息保留" in page and 'value="30"' in page
    purged = admin_browser.post("/admin/appointments/purge-id-hashes", {"days": "30"})
    assert purged.status_code == 302
    assert "已清除 2026-10-11 之前的身份证散列：号票 1 张，预约 1 个" in admin_browser.get("/admin/appointments").text

    def holder(ticket_id):
        found = store.get_ticket(hall_db, ticket_id)
        return found["holder_hash"], found["holder_name"]

    assert holder(old["id"]) == (None, None)
    assert holder(middle["id"])[0] is not None and holder(middle["id"])[1] == "乌****"
    codes = {row["code"]: row["id_hash"] for row in
             hall_db.execute("SELECT code, id_hash FROM appointment").fetchall()}
    assert codes[booked.json()["code"]] is None
    assert codes[future.json()["code"]] is not None  # still to come: its card checks it in
    assert admin_browser.post("/admin/appointments/purge-id-hashes", {"days": "lots"}).status_code == 302
    assert "保留天数须为整数" in admin_browser.get("/admin/appointments").text

    result = runner.invoke(["purge-id-hashes", "--days", "7"])
    assert result.exit_code == 0 and "号票 1 张" in result.output
    assert holder(middle["id"]) == (None, None)
    audit = hall_db.execute("SELECT data FROM event WHERE type = 'id_hashes_purged'").fetchall()
    assert len(audit) == 2
