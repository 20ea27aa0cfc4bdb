"""A hall's history made up for screenshots and the statistics benchmark: tickets and
evaluations written straight into the database, shaped like a county hall's year (weekday
mornings busier than afternoons, Mondays busiest, most ratings 非常满意)."""

from __future__ import annotations

import random
import secrets
from datetime import date, datetime, timedelta, timezone

from queue_server import store

BEIJING = timedelta(hours=8)
# arrivals by local hour (relative weights); the hall opens 08:30-12:00 and 14:30-17:30
HOURLY = {8: 5, 9: 14, 10: 15, 11: 10, 14: 6, 15: 12, 16: 10, 17: 3}
WEEKDAY_FACTOR = [1.25, 1.0, 0.95, 0.95, 0.9]
LEVELS, LEVEL_WEIGHTS = [5, 4, 3, 2, 1], [80, 12, 5, 2, 1]


def working_days(first: date, count: int):
    day = first
    while count > 0:
        if day.weekday() < 5:
            yield day
            count -= 1
        day += timedelta(days=1)


def generate(db, first_day: date, days: int, per_day: int, seed: int = 8) -> int:
    """Write `per_day` tickets (on average) on each of `days` working days from `first_day`;
    returns how many. The hall's services, windows and staff must be loaded."""
    rnd = random.Random(seed)
    services = store.list_services(db)
    windows_of: dict[int, list[int]] = {}
    for window_id, service_ids in store.window_services_by_window(db).items():
        for service_id in service_ids:
            windows_of.setdefault(service_id, []).append(window_id)
    services = [s for s in services if s["id"] in windows_of]
    weights = [3 if s["category"] == "咨询" else 1 + (s["id"] % 3) for s in services]
    staff_ids = [s["id"] for s in store.list_staff(db) if s["role"] == "staff"]
    staff_of_window = {window_id: staff_ids[i % len(staff_ids)] for i, window_id in enumerate(sorted(
        {w for ws in windows_of.values() for w in ws}))}
    hours, hour_weights = list(HOURLY), list(HOURLY.values())
    tickets, evaluations = [], []
    next_id = (db.execute("SELECT coalesce(max(id), 0) FROM ticket").fetchone()[0] or 0) + 1
    for day in working_days(first_day, days):
        count = int(per_day * WEEKDAY_FACTOR[day.weekday()] * rnd.uniform(0.85, 1.15))
        arrivals = []
        for service in rnd.choices(services, weights, k=count):
            hour = rnd.choices(hours, hour_weights)[0]
            minute_from = 30 if hour in (8, 14) else 0
            local = datetime(day.year, day.month, day.day, hour, rnd.randint(minute_from, 59), rnd.randint(0, 59))
            arrivals.append((local, service))
        arrivals.sort(key=lambda pair: pair[0])
        sequence: dict[str, int] = {}
        for local, service in arrivals:
            prefix = service["prefix"]
            sequence[prefix] = sequence.get(prefix, 0) + 1
            issued = (local - BEIJING).replace(tzinfo=timezone.utc)
            roll = rnd.random()
            status = "cancelled" if roll < 0.01 else "no_show" if roll < 0.06 else "done"
            window_id = rnd.choice(windows_of[service["id"]])
            wait = rnd.lognormvariate(6.6, 0.6)  # about 12 minutes, a long tail
            handle = rnd.lognormvariate(6.3, 0.5) if service["category"] != "咨询" else rnd.lognormvariate(5.3, 0.5)
            called = issued + timedelta(seconds=wait)
            finished = called + timedelta(seconds=handle if status == "done" else 60)
            ticket = {
                "id": next_id, "number": f"{prefix}{sequence[prefix]:03d}", "prefix": prefix, "seq": sequence[prefix],
                "local_day": day.isoformat(), "service_id": service["id"], "status": status, "priority": 0,
                "token": secrets.token_urlsafe(9), "line_key": issued.timestamp(), "issued_at": issued.isoformat(),
                "first_called_at": None, "called_at": None, "serving_at": None, "finished_at": None,
                "window_id": None, "staff_id": None, "outcome": None, "call_count": 0,
                "transfer_count": 1 if rnd.random() < 0.02 else 0,
            }
            if status != "cancelled":
                ticket.update(first_called_at=called.isoformat(), called_at=called.isoformat(),
                              finished_at=finished.isoformat(), window_id=window_id,
                              staff_id=staff_of_window[window_id], call_count=1)
            else:
                ticket["finished_at"] = (issued + timedelta(minutes=5)).isoformat()
            if status == "done":
                ticket.update(serving_at=called.isoformat(), outcome="办结")
                if rnd.random() < 0.6:
                    level = rnd.choices(LEVELS, LEVEL_WEIGHTS)[0]
                    evaluations.append((next_id, level, window_id, ticket["staff_id"],
                                        (finished + timedelta(seconds=20)).isoformat(), "evaluator"))
            tickets.append(ticket)
            next_id += 1
    columns = list(tickets[0]) if tickets else []
    with store.immediate(db):
        db.conn.executemany(f"INSERT INTO ticket ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                            [tuple(t[c] for c in columns) for t in tickets])
        db.conn.executemany("INSERT INTO evaluation (ticket_id, level, window_id, staff_id, at, source) "
                            "VALUES (?, ?, ?, ?, ?, ?)", evaluations)
    return len(tickets)
