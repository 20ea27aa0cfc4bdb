"""What a careless or hostile client sends gets a clear 4xx, never a 500, and nothing unbounded
is stored."""

from __future__ import annotations

import pytest

from helpers import bearer
from queue_server import store

API = "/api/v1"
JSON = {"Content-Type": "application/json"}


def send(client, path, token, raw: str):
    return client.post(API + path, data=raw.encode(), headers={**JSON, **bearer(token)})


def assert_refused(response, status=400):
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    body = response.get_json()
    assert body["error"] and body["message"]


def test_json_nested_a_thousand_deep_is_refused(client, tokens):
    assert_refused(send(client, "/tickets", tokens["kiosk"], '{"service_id": 1, "x": ' + "[" * 1000 + "]" * 1000 + "}"))
    assert_refused(send(client, "/tickets", tokens["kiosk"], "[" * 100_000))


@pytest.mark.parametrize("path,raw", [
    ("/tickets", '{"service_id": 1, "appointment_code": "\\ud800"}'),
    ("/windows/1/pause", '{"reason": "\\ud800"}'),
    ("/windows/1/requeue", '{"number": "\\udfff"}'),
    ("/windows/1/pause", '{"\\ud800": 1}'),
])
def test_lone_surrogates_are_refused(client, tokens, path, raw):
    token = tokens["kiosk"] if path == "/tickets" else tokens["staff1"]
    client.post(API + "/windows/1/open", headers=bearer(tokens["staff1"]))
    assert_refused(send(client, path, token, raw))


def test_a_lone_surrogate_in_a_heartbeat_is_refused(client, tokens):
    kiosk = tokens["kiosk_id"]
    assert_refused(send(client, f"/kiosks/{kiosk}/heartbeat", tokens["kiosk"], '{"printer_status": "\\ud800"}'))
    assert_refused(send(client, f"/kiosks/{kiosk}/heartbeat", tokens["kiosk"], '{"other": ["\\ud834"]}'))


@pytest.mark.parametrize("path,field", [
    ("/tickets", "service_id"), ("/windows/1/hold", "after"), ("/windows/1/transfer", "to_window"),
    ("/evaluations", "ticket_id"),
])
def test_unicode_digits_are_not_numbers(client, tokens, path, field):
    token = {"/tickets": tokens["kiosk"], "/evaluations": tokens["evaluator1"]}.get(path, tokens["staff1"])
    client.post(API + "/windows/1/open", headers=bearer(tokens["staff1"]))
    client.post(API + "/tickets", json={"service_id": 1}, headers=bearer(tokens["kiosk"]))
    client.post(API + "/windows/1/call-next", headers=bearer(tokens["staff1"]))
    for digits in ("²", "١٢", "１"):
        body = {field: digits, "level": 5} if path == "/evaluations" else {field: digits}
        assert_refused(client.post(API + path, json=body, headers=bearer(token)))


def test_stream_last_event_id_in_other_digits_is_refused(client):
    assert_refused(client.get(API + "/stream?last_event_id=²"))


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(client, tokens, constant):
    kiosk = tokens["kiosk_id"]
    assert_refused(send(client, f"/kiosks/{kiosk}/heartbeat", tokens["kiosk"], f'{{"cpu": {constant}}}'))
    assert_refused(send(client, "/tickets", tokens["kiosk"], f'{{"service_id": {constant}}}'))


def test_a_heartbeat_is_at_most_16_kb_and_nothing_bigger_is_stored(client, tokens, hall_config):
    kiosk = tokens["kiosk_id"]
    huge = client.post(API + f"/kiosks/{kiosk}/heartbeat", json={"log": "x" * 7_000_000},
                       headers=bearer(tokens["kiosk"]))
    assert_refused(huge, 413)
    fine = client.post(API + f"/kiosks/{kiosk}/heartbeat", json={"printer_status": "ok", "log": "x" * 10_000},
                       headers=bearer(tokens["kiosk"]))
    assert fine.status_code == 200
    db = store.connect(hall_config["server"]["database"])
    assert len(store.get_kiosk(db, kiosk)["info"] or "") < 16 * 1024
    db.conn.close()
    assert_refused(client.post(API + f"/kiosks/{kiosk}/heartbeat", json={"printer_status": "p" * 41},
                               headers=bearer(tokens["kiosk"])))


def test_overlong_short_fields_are_refused_not_cut(client, tokens):
    staff = bearer(tokens["staff1"])
    client.post(API + "/windows/1/open", headers=staff)
    assert_refused(client.post(API + "/windows/1/pause", json={"reason": "长" * 101}, headers=staff))
    assert_refused(client.post(API + "/windows/1/requeue", json={"number": "A" * 11}, headers=staff))
    assert_refused(client.post(API + "/tickets", json={"service_id": 1, "appointment_code": "9" * 41},
                               headers=bearer(tokens["kiosk"])))


def test_staff_cancel_only_tickets_of_services_their_window_serves(client, tokens):
    kiosk = bearer(tokens["kiosk"])
    window1 = client.get(API + "/windows/1", headers=bearer(tokens["admin"])).get_json()
    served = {s["id"] for s in window1["services"]}
    others = [s["id"] for d in client.get(API + "/services").get_json()["departments"] for s in d["services"]
              if s["id"] not in served]
    mine = client.post(API + "/tickets", json={"service_id": sorted(served)[0]}, headers=kiosk).get_json()
    theirs = client.post(API + "/tickets", json={"service_id": others[0]}, headers=kiosk).get_json()
    staff = bearer(tokens["staff1"])
    # holding no window: nothing to cancel
    assert_refused(client.post(API + f"/tickets/{mine['id']}/cancel-by-staff", headers=staff), 403)
    client.post(API + "/windows/1/open", headers=staff)
    assert_refused(client.post(API + f"/tickets/{theirs['id']}/cancel-by-staff", headers=staff), 403)
    assert client.post(API + f"/tickets/{mine['id']}/cancel-by-staff", headers=staff).status_code == 200
    assert client.post(API + f"/tickets/{theirs['id']}/cancel-by-staff",
                       headers=bearer(tokens["admin"])).status_code == 200
