"""好差评 through its two channels only: the evaluator of the window that served the ticket, in
the minutes after finish, and the citizen holding the ticket's token, within hours. Staff never
rate; an admin may void a rating, with a reason, and it leaves the figures and the follow-up."""

from __future__ import annotations

from datetime import timedelta

import pytest

from helpers import bearer
from queue_server import clock, store

API = "/api/v1"


@pytest.fixture
def hall_clock():
    """Moves this process's hall clock (the app runs in it, on Flask's test client)."""
    import os

    original = os.environ.get(clock.CLOCK_VARIABLE)

    class Mover:
        def advance(self, delta: timedelta):
            clock.set_clock((clock.utc_now() + delta).isoformat())

    yield Mover()
    clock.set_clock(original)


def finished_ticket(client, tokens, window=1, service_id=1) -> dict:
    staff = tokens[f"staff{window}"]
    issued = client.post(API + "/tickets", json={"service_id": service_id}, headers=bearer(tokens["kiosk"])).get_json()
    client.post(API + f"/windows/{window}/open", headers=bearer(staff))
    called = client.post(API + f"/windows/{window}/call-next", headers=bearer(staff))
    assert called.status_code == 200, called.get_json()
    assert client.post(API + f"/windows/{window}/finish", headers=bearer(staff)).status_code == 200
    return issued


def rate(client, token, ticket_id, level=5, **extra):
    return client.post(API + "/evaluations", json={"ticket_id": ticket_id, "level": level, **extra},
                       headers=bearer(token))


def test_staff_and_admins_never_rate_even_their_own_tickets(client, tokens):
    ticket = finished_ticket(client, tokens)
    for who in ("staff1", "staff2", "admin"):
        refused = rate(client, tokens[who], ticket["id"], 5)
        assert refused.status_code == 403, refused.get_json()
        assert "不能评价" in refused.get_json()["message"]
    assert rate(client, tokens["kiosk"], ticket["id"]).status_code == 403


def test_the_evaluator_of_another_window_cannot_rate(client, tokens):
    ticket = finished_ticket(client, tokens)
    assert rate(client, tokens["evaluator2"], ticket["id"], 1).status_code == 403
    assert rate(client, tokens["evaluator1"], ticket["id"], 4).status_code == 201


def test_the_evaluator_rates_only_within_device_minutes_of_finish(client, tokens, hall_clock):
    ticket = finished_ticket(client, tokens)
    hall_clock.advance(timedelta(minutes=11))
    late = rate(client, tokens["evaluator1"], ticket["id"], 1)
    assert late.status_code == 409 and late.get_json()["error"] == "evaluation_closed"
    # the citizen's channel is still open for the day
    assert client.post(API + f"/tickets/{ticket['token']}/evaluation", json={"level": 3}).status_code == 201


def test_the_citizen_rates_once_with_the_ticket_token_within_citizen_hours(client, tokens, hall_clock):
    issued = client.post(API + "/tickets", json={"service_id": 1}, headers=bearer(tokens["kiosk"])).get_json()
    early = client.post(API + f"/tickets/{issued['token']}/evaluation", json={"level": 5})
    assert early.status_code == 409 and early.get_json()["error"] == "wrong_state"
    assert client.get(API + f"/tickets/{issued['token']}").get_json()["evaluation"]["open"] is False
    assert client.post(API + f"/tickets/{issued['token']}/cancel").status_code == 200

    ticket = finished_ticket(client, tokens)
    status = client.get(API + f"/tickets/{ticket['token']}").get_json()
    assert status["evaluation"]["open"] is True and status["evaluation"]["until"]
    given = client.post(API + f"/tickets/{ticket['token']}/evaluation",
                        json={"level": 2, "comment": "等候太久", "reasons": ["等候时间长", "等候时间长"]})
    assert given.status_code == 201, given.get_json()
    assert given.get_json()["source"] == "citizen" and given.get_json()["reasons"] == ["等候时间长"]
    again = client.post(API + f"/tickets/{ticket['token']}/evaluation", json={"level": 5})
    assert again.status_code == 409 and again.get_json()["error"] == "already_evaluated"
    assert client.get(API + f"/tickets/{ticket['token']}").get_json()["evaluation"]["given"]["level"] == 2
    assert client.post(API + "/tickets/not-a-ticket/evaluation", json={"level": 5}).status_code == 404

    other = finished_ticket(client, tokens)
    hall_clock.advance(timedelta(hours=24, minutes=1))
    late = client.post(API + f"/tickets/{other['token']}/evaluation", json={"level": 1})
    assert late.status_code == 409 and late.get_json()["error"] == "evaluation_closed"
    assert client.get(API + f"/tickets/{other['token']}").get_json()["evaluation"]["open"] is False


@pytest.mark.parametrize("body", [
    {"level": 6}, {"level": 4.5}, {"level": "²"}, {"level": True}, {"level": 5, "comment": "长" * 501},
    {"level": 5, "comment": 7}, {"level": 5, "reasons": "态度"}, {"level": 5, "reasons": ["x" * 41]},
    {"level": 5, "reasons": [str(n) for n in range(11)]},
])
def test_ratings_out_of_shape_are_refused(client, tokens, body):
    ticket = finished_ticket(client, tokens)
    refused = client.post(API + f"/tickets/{ticket['token']}/evaluation", json=body)
    assert refused.status_code == 400, refused.get_json()
    assert refused.get_json()["error"] == "bad_request"


def test_an_admin_voids_a_rating_with_a_reason_and_it_leaves_figures_and_follow_up(client, tokens, hall_config):
    ticket = finished_ticket(client, tokens)
    bad = rate(client, tokens["evaluator1"], ticket["id"], 1, comment="态度差").get_json()
    db = store.connect(hall_config["server"]["database"])
    assert store.get_followup_case_by_evaluation(db, bad["id"]) is not None
    day = clock.local_today(hall_config["hall"]["timezone"])

    assert client.post(API + f"/evaluations/{bad['id']}/void", json={"reason": "误触"},
                       headers=bearer(tokens["staff1"])).status_code == 403
    assert client.post(API + f"/evaluations/{bad['id']}/void", json={},
                       headers=bearer(tokens["admin"])).status_code == 400
    voided = client.post(API + f"/evaluations/{bad['id']}/void", json={"reason": "群众误触，本人来电更正"},
                         headers=bearer(tokens["admin"]))
    assert voided.status_code == 200, voided.get_json()
    assert client.post(API + f"/evaluations/{bad['id']}/void", json={"reason": "再次"},
                       headers=bearer(tokens["admin"])).status_code == 409

    saved = store.get_evaluation(db, bad["id"])
    assert saved["voided_at"] and saved["void_reason"] == "群众误触，本人来电更正" and saved["voided_by"]
    assert store.get_followup_case_by_evaluation(db, bad["id"]) is None
    audit = store.list_events(db, types=["evaluation_voided"])
    assert audit and audit[0]["data"]["reason"] == "群众误触，本人来电更正" and audit[0]["staff_id"]
    start = clock.day_start_utc(day, hall_config["hall"]["timezone"])
    end = clock.to_iso(clock.utc_now() + timedelta(days=1))
    assert store.evaluation_counts(db, start, end) == []
    assert store.evaluations_by_service(db, start, end) == []
    db.conn.close()


def test_ratings_staff_filed_before_are_left_out_of_the_figures(tmp_path):
    """A database from before the two channels: ratings recorded by staff are voided by the migration."""
    db = store.connect(tmp_path / "old.db")
    channels = next(i for i, script in enumerate(store.MIGRATIONS) if "voided_at" in script)
    store.storage.migrate(db, store.MIGRATIONS[:channels])
    from helpers import DEMO_HALL
    from queue_server.hall import load_hall
    load_hall(db, DEMO_HALL)
    db.execute("INSERT INTO ticket (number, prefix, seq, local_day, service_id, status, token, line_key, issued_at) "
               "VALUES ('A001', 'A', 1, '2026-11-25', 1, 'done', 'tok', 0, '2026-11-25T01:00:00+00:00')")
    db.execute("INSERT INTO evaluation (ticket_id, level, at, source) VALUES (1, 5, '2026-11-25T02:00:00+00:00', 'staff')")
    store.migrate(db)
    assert store.evaluation_counts(db, "2026-11-25T00:00:00+00:00", "2026-11-26T00:00:00+00:00") == []
    assert store.get_evaluation(db, 1)["void_reason"]
    db.conn.close()
