"""The event stream by audience: without a token, the public picture only (calls, window states,
waiting counts) and a replay no older than the hall's day; ratings, follow-up and audit events
only to staff and admins."""

from __future__ import annotations

import json
from datetime import timedelta

from helpers import bearer
from queue_server import clock, store

API = "/api/v1"


def read_stream(client, until_id: int, headers=None, last_event_id=0) -> list[dict]:
    """The events a subscriber receives, up to (and including) `until_id`."""
    response = client.get(API + f"/stream?last_event_id={last_event_id}", headers=headers or {}, buffered=False)
    assert response.status_code == 200
    events, text = [], ""
    chunks = iter(response.response)
    while not events or events[-1]["id"] < until_id:
        text += next(chunks).decode()
        while "\n\n" in text:
            block, text = text.split("\n\n", 1)
            data = [line[6:] for line in block.splitlines() if line.startswith("data: ")]
            if data:
                events.append(json.loads("\n".join(data)))
    response.close()
    return events


def busy_hall(client, tokens) -> int:
    """A ticket served and rated 差评 (a follow-up case opens); returns the last event id."""
    staff = bearer(tokens["staff1"])
    client.post(API + "/tickets", json={"service_id": 1}, headers=bearer(tokens["kiosk"]))
    client.post(API + "/windows/1/open", headers=staff)
    called = client.post(API + "/windows/1/call-next", headers=staff).get_json()
    client.post(API + "/windows/1/finish", headers=staff)
    rated = client.post(API + "/evaluations", json={"ticket_id": called["id"], "level": 1, "comment": "态度差"},
                        headers=bearer(tokens["evaluator1"]))
    assert rated.status_code == 201
    return client.get(API + "/display").get_json()["last_event_id"]


def test_anonymous_subscribers_get_the_public_picture_only(client, tokens):
    last = busy_hall(client, tokens)
    seen = read_stream(client, last)
    types = {event["type"] for event in seen}
    assert {"ticket_issued", "ticket_called", "ticket_finished", "window_opened"} <= types
    assert not types & {"evaluation_recorded", "followup_opened"}
    text = json.dumps(seen, ensure_ascii=False)
    assert "态度差" not in text and "level" not in text
    called = next(event for event in seen if event["type"] == "ticket_called")
    assert set(called["data"]) <= {"number", "service_id", "service", "department", "status", "window",
                                   "window_name", "state", "pause_reason", "staff_name", "from_window", "to_window", "called_at"}
    assert called["data"]["number"] and called["data"]["window"] == 1
    # what it may not see still moves its last id on, so a screen never thinks its stream died
    assert seen[-1]["id"] == last and seen[-1]["type"] == "hidden" and seen[-1]["data"] == {}
    # a kiosk is no more than a screen
    assert "evaluation_recorded" not in {e["type"] for e in read_stream(client, last, bearer(tokens["kiosk"]))}


def test_audit_events_of_accounts_stay_with_staff_but_the_halls_shape_is_public(client, tokens, hall_config):
    from queue_server import hall_admin

    db = store.connect(hall_config["server"]["database"])
    admin_id = store.find_staff_login(db, "周管理")["id"]
    wang_id = store.find_staff_login(db, "王丽")["id"]
    hall_admin.reset_password(db, admin_id, wang_id, "new-secret-1")
    hall_admin.issue_token(db, admin_id, wang_id)
    hall_admin.set_service_enabled(db, admin_id, 1, False)
    last = store.last_event_id(db)
    db.conn.close()
    public = [event for event in read_stream(client, last) if event["type"] == "hall_changed"]
    assert [event["data"]["what"] for event in public] == ["service"]
    staff = [event for event in read_stream(client, last, bearer(tokens["admin"])) if event["type"] == "hall_changed"]
    assert [event["data"]["what"] for event in staff] == ["staff", "token", "service"]


def test_staff_and_admins_get_every_event(client, tokens):
    last = busy_hall(client, tokens)
    for who in ("staff2", "admin"):
        types = {event["type"] for event in read_stream(client, last, bearer(tokens[who]))}
        assert {"evaluation_recorded", "followup_opened", "ticket_called"} <= types


def test_the_evaluator_gets_ticket_ids_of_its_own_window_only(client, tokens):
    last = busy_hall(client, tokens)
    own = read_stream(client, last, bearer(tokens["evaluator1"]))
    finished = next(event for event in own if event["type"] == "ticket_finished")
    assert isinstance(finished["data"]["id"], int)
    other = read_stream(client, last, bearer(tokens["evaluator2"]))
    assert "id" not in next(event for event in other if event["type"] == "ticket_finished")["data"]
    assert "evaluation_recorded" not in {event["type"] for event in own}


def test_an_anonymous_replay_starts_no_earlier_than_today(client, tokens, hall_config):
    db = store.connect(hall_config["server"]["database"])
    yesterday = clock.to_iso(clock.utc_now() - timedelta(days=1, hours=1))
    old = store.append_event(db, yesterday, "ticket_called", {"number": "Z999", "window": 1})
    db.conn.close()
    last = busy_hall(client, tokens)
    public = read_stream(client, last)
    assert old not in {event["id"] for event in public} and public[0]["id"] > old
    staff = read_stream(client, last, bearer(tokens["admin"]))
    assert staff[0]["id"] == old


def test_the_first_event_of_a_day_is_found_in_a_long_log(tmp_path):
    db = store.connect(tmp_path / "events.db")
    store.migrate(db)
    ids = [store.append_event(db, f"2026-11-{day:02d}T0{hour}:00:00+00:00", "ticket_issued", {})
           for day in range(1, 29) for hour in range(3)]
    assert store.first_event_id_at_or_after(db, "2026-11-15T00:00:00+00:00") == ids[14 * 3]
    assert store.first_event_id_at_or_after(db, "2026-11-15T01:30:00+00:00") == ids[14 * 3 + 2]
    assert store.first_event_id_at_or_after(db, "2026-12-01T00:00:00+00:00") is None
    assert store.first_event_id_at_or_after(db, "2000-01-01T00:00:00+00:00") == ids[0]
    db.conn.close()
