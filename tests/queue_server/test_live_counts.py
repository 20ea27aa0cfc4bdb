"""The counts kiosks poll and call-next's choice, kept cheap (counters kept by triggers, one indexed
look-up per service), stay exactly what a brute-force count over the ticket rows says, through a long
random day of issuing, calling, holding, transferring, requeueing and cancelling."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from helpers import make_hall
from queue_server import store
from queue_server.accounts import Principal
from queue_server.errors import QueueError
from queue_server.queue import Queue

WINDOWS = {1: "王丽", 2: "赵建国", 3: "刘晓燕", 4: None}


# --- brute force: the ticket rows counted one by one ----------------------------------

def brute_waiting(db, day):
    return {r[0]: r[1] for r in db.execute(
        "SELECT service_id, count(*) FROM ticket WHERE status = 'waiting' AND local_day = ? GROUP BY 1", [day])}


def brute_issued(db, day):
    return {r[0]: r[1] for r in db.execute(
        "SELECT service_id, count(*) FROM ticket WHERE local_day = ? AND status != 'cancelled' GROUP BY 1", [day])}


def brute_competing(db, day):
    return {r[0]: r[1] for r in db.execute(
        "SELECT mine.service_id, count(DISTINCT c.id) FROM window_service mine "
        "JOIN window_service theirs ON theirs.window_id = mine.window_id "
        "JOIN ticket c ON c.service_id = theirs.service_id AND c.status = 'waiting' AND c.local_day = ? "
        "AND (c.target_window_id IS NULL OR c.target_window_id = mine.window_id) GROUP BY mine.service_id", [day])}


def brute_ahead(db, ticket):
    services, windows = store.competition_scope(db, ticket["service_id"], ticket["target_window_id"])
    ahead = 0
    for c in db.execute("SELECT * FROM ticket WHERE status = 'waiting' AND local_day = ? AND id != ?",
                        [ticket["local_day"], ticket["id"]]):
        if c["service_id"] not in services or (c["target_window_id"] is not None and c["target_window_id"] not in windows):
            continue
        if (-c["priority"], c["line_key"], c["id"]) < (-ticket["priority"], ticket["line_key"], ticket["id"]):
            ahead += 1
    return ahead


def brute_next(db, window_id, day):
    found = db.execute(
        "SELECT t.id FROM ticket t JOIN window_service ws ON ws.service_id = t.service_id AND ws.window_id = ? "
        "WHERE t.status = 'waiting' AND t.local_day = ? AND (t.target_window_id IS NULL OR t.target_window_id = ?) "
        "ORDER BY t.priority DESC, t.line_key, t.id LIMIT 1", [window_id, day, window_id]).fetchone()
    return found[0] if found else None


def brute_next_up(db, day, per_service=2):
    found = {}
    for r in db.execute("SELECT service_id, number FROM ticket WHERE status = 'waiting' AND local_day = ? "
                        "ORDER BY service_id, priority DESC, line_key, id", [day]):
        if len(found.setdefault(r[0], [])) < per_service:
            found[r[0]].append(r[1])
    return found


def assert_counts_exact(db, day):
    assert store.count_waiting_by_service(db, day) == brute_waiting(db, day)
    assert {service_id: [t["number"] for t in tickets]
            for service_id, tickets in store.next_waiting_by_service(db, day).items()} == brute_next_up(db, day)
    assert store.count_issued_by_service(db, day) == brute_issued(db, day)
    assert store.count_competing_by_service(db, day) == brute_competing(db, day)
    for service_id, issued in brute_issued(db, day).items():
        assert store.count_issued(db, service_id, day) == issued
    for window in store.list_windows(db):
        found = store.next_callable_ticket(db, window["id"], day)
        assert (found["id"] if found else None) == brute_next(db, window["id"], day)
    for ticket in db.execute("SELECT * FROM ticket WHERE status = 'waiting' AND local_day = ?", [day]).fetchall():
        assert store.count_ahead(db, dict(ticket)) == brute_ahead(db, dict(ticket)), dict(ticket)


@pytest.fixture
def hall(tmp_path):
    config = make_hall(tmp_path)
    db = store.connect(config["server"]["database"])
    moment = [datetime.fromisoformat("2026-11-25T09:00:00+08:00")]
    queue = Queue(db, config, now=lambda: moment[0])
    staff = {}
    admin = Principal("staff", role="admin", staff_id=store.find_staff_login(db, "周管理")["id"], name="周管理")
    for number, name in WINDOWS.items():
        person = store.find_staff_login(db, name) if name else None
        staff[number] = Principal("staff", role="staff", staff_id=person["id"], name=name) if person else admin
        queue.open_window(number, staff[number])
    yield db, queue, staff, moment
    db.conn.close()


def test_counts_and_call_order_match_a_brute_force_count_through_a_random_day(hall):
    db, queue, staff, moment = hall
    rng = random.Random(20261125)
    service_ids = [s["id"] for s in store.list_services(db) if s["enabled"] and not s["daily_cap"]]
    day = queue.today()
    for step in range(700):
        moment[0] += timedelta(seconds=rng.choice([0, 1, 5]))  # equal line keys happen too
        choice = rng.random()
        window = rng.choice(list(WINDOWS))
        try:
            if choice < 0.45:
                queue.issue_ticket(rng.choice(service_ids), priority=rng.choice([0, 0, 0, 1]))
            elif choice < 0.6:
                queue.call_next(window, staff[window])
            elif choice < 0.68:
                queue.finish(window, staff[window])
            elif choice < 0.74:
                queue.hold(window, staff[window], after=rng.randint(0, 6))
            elif choice < 0.8:
                queue.no_show(window, staff[window])
            elif choice < 0.85:
                number = db.execute("SELECT number FROM ticket WHERE status = 'no_show' ORDER BY random() LIMIT 1"
                                    ).fetchone()
                if number:
                    queue.requeue(window, staff[window], number[0], after=rng.randint(0, 4))
            elif choice < 0.92:
                target = rng.choice(list(WINDOWS))
                services = store.window_service_ids(db, store.get_window(db, target)["id"])
                queue.transfer(window, staff[window], service_id=rng.choice(services), to_window=target)
            else:
                waiting = db.execute("SELECT id FROM ticket WHERE status = 'waiting' ORDER BY random() LIMIT 1"
                                     ).fetchone()
                if waiting:
                    queue.cancel(waiting[0])
        except QueueError:
            pass
        if step % 35 == 0:
            assert_counts_exact(db, day)
    assert_counts_exact(db, day)
    assert sum(store.count_waiting_by_service(db, day).values()) > 20  # the day really had a queue


def test_counts_follow_changes_made_outside_the_queue(hall):
    """A ticket edited or deleted with plain SQL (an admin's `sqlite3` shell) keeps the counts exact."""
    db, queue, staff, moment = hall
    service_id = store.window_service_ids(db, store.get_window(db, 1)["id"])[0]
    for _ in range(5):
        moment[0] += timedelta(seconds=3)
        queue.issue_ticket(service_id)
    day = queue.today()
    other = store.window_service_ids(db, store.get_window(db, 4)["id"])[0]
    with store.immediate(db):
        db.execute("UPDATE ticket SET service_id = ?, priority = 1 WHERE id = (SELECT min(id) FROM ticket)", [other])
        for seq in (901, 902):  # tickets typed in by hand, one of them then deleted
            db.execute("INSERT INTO ticket (number, prefix, seq, local_day, service_id, status, token, line_key, "
                       "issued_at) VALUES (?, 'Z', ?, ?, ?, 'waiting', ?, 1.0, '2026-11-25T01:00:00+00:00')",
                       [f"Z{seq}", seq, day, service_id, f"hand-{seq}"])
        db.execute("DELETE FROM ticket WHERE token = 'hand-902'")
        db.execute("UPDATE ticket SET status = 'cancelled' WHERE id = (SELECT max(id) FROM ticket)")
    assert_counts_exact(db, day)
    assert store.count_waiting_by_service(db, day) == {service_id: 4, other: 1}


def test_a_database_from_before_the_counts_gets_them_from_its_tickets(tmp_path):
    """The migration that adds the counts fills them from the tickets already there."""
    config = make_hall(tmp_path)
    db = store.connect(config["server"]["database"])
    moment = datetime.fromisoformat("2026-11-25T09:00:00+08:00")
    queue = Queue(db, config, now=lambda: moment)
    service_id = store.window_service_ids(db, store.get_window(db, 1)["id"])[0]
    for _ in range(4):
        queue.issue_ticket(service_id)
    version = db.execute("PRAGMA user_version").fetchone()[0]
    counts_migration = next(i for i, script in enumerate(store.MIGRATIONS) if "CREATE TABLE waiting_count" in script)
    with store.immediate(db):  # back to the schema before the counts, tickets kept
        for name in ("waiting_count", "issued_count"):
            db.execute(f"DROP TABLE {name}")
        db.execute("DROP INDEX ticket_call_order")
        for (trigger,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_count_%'"
                                     ).fetchall():
            db.execute(f"DROP TRIGGER {trigger}")
        db.execute(f"PRAGMA user_version={counts_migration}")
    # only the counts migration runs again: those after it (ALTER TABLE ADD COLUMN) run once
    store.storage.migrate(db, store.MIGRATIONS[:counts_migration + 1])
    db.execute(f"PRAGMA user_version={version}")
    assert store.count_waiting_by_service(db, queue.today()) == {service_id: 4}
    assert_counts_exact(db, queue.today())
    db.conn.close()
