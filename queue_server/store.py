"""The hall's SQLite store: connection settings, migrations, and every SQL statement
of the queue. Nothing outside this module writes SQL for the queue server.

Timestamps are UTC ISO-8601 strings (`2026-11-25T01:30:00.123456+00:00`); the hall's
local day (`local_day`, `YYYY-MM-DD`) is computed by the domain and stored beside them."""

from __future__ import annotations

import json

import sqlite_utils

import storage
from storage import ConnectionPool, checkpoint_aside, connect, immediate, row, rows, snapshot  # noqa: F401  (the store's API)

MAX_INTEGER = 2**63 - 1  # SQLite's largest integer: anything bigger from a client is refused, not a 500

CATEGORIES = ("行政许可", "非行政许可", "公共服务", "咨询")
TICKET_STATES = ("waiting", "called", "serving", "done", "no_show", "cancelled")
WINDOW_STATES = ("open", "paused", "closed")
ROLES = ("staff", "admin")

# Each migration runs once, in order; the applied count lives in PRAGMA user_version.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE department (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        sort_order INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE service (
        id INTEGER PRIMARY KEY,
        department_id INTEGER NOT NULL REFERENCES department(id),
        name TEXT NOT NULL UNIQUE,
        prefix TEXT NOT NULL CHECK (length(prefix) BETWEEN 1 AND 2),
        category TEXT NOT NULL CHECK (category IN ('行政许可','非行政许可','公共服务','咨询')),
        days TEXT NOT NULL DEFAULT 'mon-fri',
        hours TEXT NOT NULL DEFAULT '["08:30-12:00","14:30-17:30"]',
        daily_cap INTEGER NOT NULL DEFAULT 0,
        sort_order INTEGER NOT NULL DEFAULT 0,
        enabled INTEGER NOT NULL DEFAULT 1,
        description TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE staff (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        employee_no TEXT UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('staff','admin')),
        password_hash TEXT,
        photo TEXT,
        active INTEGER NOT NULL DEFAULT 1
    );
    CREATE TABLE window (
        id INTEGER PRIMARY KEY,
        number INTEGER NOT NULL UNIQUE,
        name TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'closed' CHECK (state IN ('open','paused','closed')),
        staff_id INTEGER REFERENCES staff(id),
        pause_reason TEXT
    );
    CREATE TABLE window_service (
        window_id INTEGER NOT NULL REFERENCES window(id) ON DELETE CASCADE,
        service_id INTEGER NOT NULL REFERENCES service(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        PRIMARY KEY (window_id, service_id)
    );
    CREATE TABLE kiosk (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        last_seen_at TEXT,
        printer_status TEXT,
        content_version INTEGER,
        info TEXT
    );
    CREATE TABLE api_token (
        id INTEGER PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN ('kiosk','staff','evaluator')),
        staff_id INTEGER REFERENCES staff(id),
        kiosk_id INTEGER REFERENCES kiosk(id),
        window_id INTEGER REFERENCES window(id),
        created_at TEXT NOT NULL,
        revoked_at TEXT
    );
    CREATE TABLE ticket (
        id INTEGER PRIMARY KEY,
        number TEXT NOT NULL,
        prefix TEXT NOT NULL,
        seq INTEGER NOT NULL,
        local_day TEXT NOT NULL,
        service_id INTEGER NOT NULL REFERENCES service(id),
        status TEXT NOT NULL CHECK (status IN ('waiting','called','serving','done','no_show','cancelled')),
        priority INTEGER NOT NULL DEFAULT 0,
        appointment_code TEXT,
        token TEXT NOT NULL UNIQUE,
        -- position in line among equal priorities: issue time in seconds, moved by hold / 过号顺延
        line_key REAL NOT NULL,
        issued_at TEXT NOT NULL,
        first_called_at TEXT,
        called_at TEXT,
        serving_at TEXT,
        finished_at TEXT,
        window_id INTEGER REFERENCES window(id),
        target_window_id INTEGER REFERENCES window(id),
        staff_id INTEGER REFERENCES staff(id),
        outcome TEXT,
        call_count INTEGER NOT NULL DEFAULT 0,
        transfer_count INTEGER NOT NULL DEFAULT 0,
        kiosk_id INTEGER REFERENCES kiosk(id),
        UNIQUE (prefix, local_day, seq)
    );
    CREATE INDEX ticket_waiting ON ticket(status, service_id, priority, line_key);
    CREATE INDEX ticket_day_service ON ticket(local_day, service_id);
    CREATE INDEX ticket_window ON ticket(window_id, status);
    CREATE INDEX ticket_issued ON ticket(issued_at);
    CREATE TABLE event (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        type TEXT NOT NULL,
        ticket_id INTEGER REFERENCES ticket(id),
        window_id INTEGER REFERENCES window(id),
        service_id INTEGER REFERENCES service(id),
        staff_id INTEGER REFERENCES staff(id),
        data TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX event_ticket ON event(ticket_id);
    CREATE INDEX event_type_at ON event(type, at);
    CREATE TABLE evaluation (
        id INTEGER PRIMARY KEY,
        ticket_id INTEGER NOT NULL UNIQUE REFERENCES ticket(id),
        level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),
        comment TEXT,
        window_id INTEGER REFERENCES window(id),
        staff_id INTEGER REFERENCES staff(id),
        at TEXT NOT NULL,
        source TEXT
    );
    CREATE INDEX evaluation_at ON evaluation(at);
    -- the hall's calendar exceptions: a holiday closes the hall, a workday opens a weekend
    CREATE TABLE hall_day (
        day TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('holiday','workday')),
        note TEXT NOT NULL DEFAULT ''
    );
    """,
]


def migrate(db: sqlite_utils.Database) -> int:
    """Apply the hall's migrations not yet applied; returns the schema version."""
    return storage.migrate(db, MIGRATIONS)


def get_department_by_name(db, name):
    return row(db.execute("SELECT * FROM department WHERE name = ?", [name]))


def upsert_department(db, name, sort_order):
    found = get_department_by_name(db, name)
    if found:
        db.execute("UPDATE department SET sort_order = ? WHERE id = ?", [sort_order, found["id"]])
        return found["id"]
    return db.execute("INSERT INTO department (name, sort_order) VALUES (?, ?)", [name, sort_order]).lastrowid


def upsert_service(db, values: dict) -> int:
    found = row(db.execute("SELECT id FROM service WHERE name = ?", [values["name"]]))
    if found:
        db["service"].update(found["id"], values)
        return found["id"]
    return db["service"].insert(values).last_pk


def upsert_window(db, number, name) -> int:
    found = row(db.execute("SELECT id FROM window WHERE number = ?", [number]))
    if found:
        db.execute("UPDATE window SET name = ? WHERE id = ?", [name, found["id"]])
        return found["id"]
    return db.execute("INSERT INTO window (number, name) VALUES (?, ?)", [number, name]).lastrowid


def set_window_services(db, window_id, service_ids):
    db.execute("DELETE FROM window_service WHERE window_id = ?", [window_id])
    for position, service_id in enumerate(service_ids):
        db.execute("INSERT INTO window_service (window_id, service_id, position) VALUES (?, ?, ?)",
                   [window_id, service_id, position])


def upsert_staff(db, values: dict) -> int:
    found = row(db.execute("SELECT id FROM staff WHERE name = ?", [values["name"]]))
    if found:
        db["staff"].update(found["id"], values)
        return found["id"]
    return db["staff"].insert(values).last_pk


def open_all_day(db):
    """Every service open every day, all day (the demo, so it can be tried at any hour)."""
    db.execute("""UPDATE service SET days = 'mon-sun', hours = '["00:00-24:00"]'""")
    db.execute("DELETE FROM hall_day")


def get_service(db, service_id):
    return row(db.execute(
        "SELECT s.*, d.name AS department FROM service s JOIN department d ON d.id = s.department_id "
        "WHERE s.id = ?", [service_id]))


def get_service_by_name(db, name):
    return row(db.execute("SELECT * FROM service WHERE name = ?", [name]))


def list_departments(db):
    return rows(db.execute("SELECT * FROM department ORDER BY sort_order, id"))


def list_services(db, include_retired=True):
    """Every service in the hall's order; `include_retired=False` for what the public and the windows
    still see (a retired service keeps its history for the statistics and the admin)."""
    return rows(db.execute(
        "SELECT s.*, d.name AS department FROM service s JOIN department d ON d.id = s.department_id " +
        ("" if include_retired else "WHERE s.retired = 0 ") +
        "ORDER BY d.sort_order, d.id, s.sort_order, s.id"))


def get_window(db, number):
    return row(db.execute("SELECT * FROM window WHERE number = ?", [number]))


def get_window_by_id(db, window_id):
    return row(db.execute("SELECT * FROM window WHERE id = ?", [window_id]))


def list_windows(db, include_retired=True):
    return rows(db.execute(
        "SELECT w.*, st.name AS staff_name, st.employee_no AS staff_employee_no, st.photo AS staff_photo "
        "FROM window w LEFT JOIN staff st ON st.id = w.staff_id " +
        ("" if include_retired else "WHERE w.retired = 0 ") + "ORDER BY w.number"))


def window_service_ids(db, window_id) -> list[int]:
    return [r[0] for r in db.execute(
        "SELECT service_id FROM window_service WHERE window_id = ? ORDER BY position", [window_id])]


def window_numbers_by_service(db) -> dict[int, list[int]]:
    """service id → the numbers of the windows in use (not retired) that serve it, in order."""
    numbers: dict[int, list[int]] = {}
    for service_id, number in db.execute(
            "SELECT ws.service_id, w.number FROM window_service ws JOIN window w ON w.id = ws.window_id "
            "WHERE w.retired = 0 ORDER BY w.number"):
        numbers.setdefault(service_id, []).append(number)
    return numbers


def windows_serving(db, service_id) -> list[dict]:
    """The windows in use (not retired) that call a service."""
    return rows(db.execute(
        "SELECT w.* FROM window w JOIN window_service ws ON ws.window_id = w.id "
        "WHERE ws.service_id = ? AND w.retired = 0", [service_id]))


def window_states_by_service(db) -> dict[int, list[str]]:
    """Per service, the states of the windows in use (not retired) serving it."""
    found: dict[int, list[str]] = {}
    for service_id, state in db.execute("SELECT ws.service_id, w.state FROM window_service ws "
                                        "JOIN window w ON w.id = ws.window_id WHERE w.retired = 0"):
        found.setdefault(service_id, []).append(state)
    return found


def set_window_state(db, window_id, state, staff_id=..., pause_reason=None):
    if staff_id is ...:
        db.execute("UPDATE window SET state = ?, pause_reason = ? WHERE id = ?", [state, pause_reason, window_id])
    else:
        db.execute("UPDATE window SET state = ?, staff_id = ?, pause_reason = ? WHERE id = ?",
                   [state, staff_id, pause_reason, window_id])


def get_staff(db, staff_id):
    return row(db.execute("SELECT * FROM staff WHERE id = ?", [staff_id]))


def find_staff_login(db, login):
    """A staff member by name or 工号 (employee number)."""
    return row(db.execute("SELECT * FROM staff WHERE (name = ? OR employee_no = ?) AND active = 1",
                          [login, login]))


def list_staff(db):
    return rows(db.execute("SELECT * FROM staff ORDER BY id"))


def set_hall_day(db, day: str, kind: str, note: str = ""):
    db.execute("INSERT OR REPLACE INTO hall_day (day, kind, note) VALUES (?, ?, ?)", [day, kind, note])


def hall_day(db, day: str):
    found = row(db.execute("SELECT kind FROM hall_day WHERE day = ?", [day]))
    return found["kind"] if found else None


# --- tokens and kiosks ----------------------------------------------------------

def insert_token(db, token_hash, kind, created_at, staff_id=None, kiosk_id=None, window_id=None):
    return db.execute(
        "INSERT INTO api_token (token_hash, kind, staff_id, kiosk_id, window_id, created_at) VALUES (?,?,?,?,?,?)",
        [token_hash, kind, staff_id, kiosk_id, window_id, created_at]).lastrowid


def revoke_tokens(db, kind, at, kiosk_id=None):
    """Revoke every live token of a kind (of one kiosk, when given)."""
    if kiosk_id is None:
        db.execute("UPDATE api_token SET revoked_at = ? WHERE kind = ? AND revoked_at IS NULL", [at, kind])
    else:
        db.execute("UPDATE api_token SET revoked_at = ? WHERE kind = ? AND kiosk_id = ? AND revoked_at IS NULL",
                   [at, kind, kiosk_id])


def find_token(db, token_hash):
    return row(db.execute("SELECT * FROM api_token WHERE token_hash = ? AND revoked_at IS NULL", [token_hash]))


def upsert_kiosk(db, name, created_at) -> int:
    found = row(db.execute("SELECT id FROM kiosk WHERE name = ?", [name]))
    if found:
        return found["id"]
    return db.execute("INSERT INTO kiosk (name, created_at) VALUES (?, ?)", [name, created_at]).lastrowid


def get_kiosk(db, kiosk_id):
    return row(db.execute("SELECT * FROM kiosk WHERE id = ?", [kiosk_id]))


def update_kiosk_heartbeat(db, kiosk_id, at, printer_status, content_version, info):
    db.execute("UPDATE kiosk SET last_seen_at = ?, printer_status = ?, content_version = ?, info = ? WHERE id = ?",
               [at, printer_status, content_version, json.dumps(info, ensure_ascii=False), kiosk_id])


def list_kiosks(db):
    return rows(db.execute("SELECT * FROM kiosk ORDER BY id"))


# --- tickets --------------------------------------------------------------------

def next_seq(db, prefix, local_day) -> int:
    """The next number of a prefix's daily sequence; call inside `immediate`."""
    return db.execute("SELECT coalesce(max(seq), 0) + 1 FROM ticket WHERE prefix = ? AND local_day = ?",
                      [prefix, local_day]).fetchone()[0]


def count_issued(db, service_id, local_day) -> int:
    """Tickets of a service issued on a day and not cancelled (kept by triggers, see `issued_count`)."""
    found = db.execute("SELECT n FROM issued_count WHERE local_day = ? AND service_id = ?",
                       [local_day, service_id]).fetchone()
    return found[0] if found else 0


def insert_row(db, table: str, values: dict) -> int:
    """A plain INSERT: sqlite-utils' insert reads the table's schema on every call, which costs
    more than the insert itself on the queue's hot path. Columns come from code, never from input."""
    columns = ", ".join(f'"{name}"' for name in values)
    marks = ", ".join("?" for _ in values)
    return db.execute(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', list(values.values())).lastrowid


def update_row(db, table: str, row_id: int, values: dict):
    """A plain UPDATE by id (see `insert_row`)."""
    assignments = ", ".join(f'"{name}" = ?' for name in values)
    db.execute(f'UPDATE "{table}" SET {assignments} WHERE id = ?', [*values.values(), row_id])


def insert_ticket(db, values: dict) -> int:
    return insert_row(db, "ticket", values)


def get_ticket(db, ticket_id):
    return row(db.execute(TICKET_SELECT + " WHERE t.id = ?", [ticket_id]))


def get_ticket_by_token(db, token):
    return row(db.execute(TICKET_SELECT + " WHERE t.token = ?", [token]))


def get_ticket_by_number(db, number, local_day):
    return row(db.execute(TICKET_SELECT + " WHERE t.number = ? AND t.local_day = ?", [number, local_day]))


TICKET_SELECT = (
    "SELECT t.*, s.name AS service, s.prefix AS service_prefix, s.category AS category, d.name AS department, "
    "w.number AS window, w.name AS window_name "
    "FROM ticket t JOIN service s ON s.id = t.service_id JOIN department d ON d.id = s.department_id "
    "LEFT JOIN window w ON w.id = t.window_id"
)

# Waiting tickets a window may call: its services, not reserved for another window.
_CALLABLE = (
    "FROM ticket t JOIN window_service ws ON ws.service_id = t.service_id AND ws.window_id = :window_id "
    "JOIN service s ON s.id = t.service_id "
    "WHERE t.status = 'waiting' AND t.local_day = :day AND s.retired = 0 "
    "AND (t.target_window_id IS NULL OR t.target_window_id = :window_id) "
)


def next_callable_ticket(db, window_id, local_day):
    """Priority first (绿色通道, appointments), then place in line (issue time).

    One indexed look-up per service of the window (each reads the first entry of `ticket_call_order`)
    and the best of those few: the cost does not grow with the number of tickets waiting."""
    best = None
    for (service_id,) in db.execute("SELECT service_id FROM window_service WHERE window_id = ?", [window_id]).fetchall():
        found = db.execute(
            "SELECT id, priority, line_key FROM ticket INDEXED BY ticket_call_order "
            "WHERE status = 'waiting' AND local_day = ? AND service_id = ? "
            "AND (target_window_id IS NULL OR target_window_id = ?) ORDER BY priority DESC, line_key, id LIMIT 1",
            [local_day, service_id, window_id]).fetchone()
        if found and (best is None or (-found[1], found[2], found[0]) < (-best[1], best[2], best[0])):
            best = found
    return {"id": best[0]} if best else None


def list_callable_tickets(db, window_id, local_day, limit=50):
    return rows(db.execute(
        "SELECT t.id, t.number, t.priority, t.issued_at, t.service_id, s.name AS service " + _CALLABLE +
        "ORDER BY t.priority DESC, t.line_key, t.id LIMIT :limit",
        {"window_id": window_id, "day": local_day, "limit": limit}))


# A ticket's competitors: waiting tickets that a window able to call it may call instead, i.e.
# tickets of any service that shares a window with it (respecting transfers reserved for a window).
# The scope (a few services and windows) is resolved first, so the count walks the waiting index
# service by service instead of testing every waiting ticket of the day.

def competition_scope(db, service_id, target_window_id=None) -> tuple[list[int], list[int]]:
    """(services, windows): the windows that may call a ticket of `service_id` (only the target
    window for a ticket reserved for one) and every service those windows call."""
    if target_window_id is not None:
        windows = [target_window_id]
    else:
        windows = [r[0] for r in db.execute("SELECT window_id FROM window_service WHERE service_id = ?",
                                            [service_id])]
    marks = ",".join("?" * len(windows))
    services = [r[0] for r in db.execute(
        f"SELECT DISTINCT service_id FROM window_service WHERE window_id IN ({marks})", windows)] if windows else []
    return sorted(set(services) | {service_id}), windows


def _competitors_where(ticket, services, windows) -> tuple[str, list]:
    s_marks, w_marks = ",".join("?" * len(services)), ",".join("?" * len(windows))
    reserved = f"c.target_window_id IN ({w_marks})" if windows else "0"
    return (f"c.status = 'waiting' AND c.local_day = ? AND c.service_id IN ({s_marks}) AND c.id != ? "
            f"AND (c.target_window_id IS NULL OR {reserved})",
            [ticket["local_day"], *services, ticket["id"], *windows])


def competitors_in_call_order(db, ticket) -> list[dict]:
    """The ticket's waiting competitors (itself excluded) in the order windows call them (for 过号顺延)."""
    where, params = _competitors_where(ticket, *competition_scope(db, ticket["service_id"],
                                                                  ticket["target_window_id"]))
    return rows(db.execute("SELECT c.id, c.priority, c.line_key FROM ticket c WHERE " + where +
                           " ORDER BY c.priority DESC, c.line_key, c.id", params))


def count_ahead(db, ticket) -> int:
    """Waiting tickets that the windows able to call this one will call first: of its own service and of
    every service sharing a window with it, by priority then place in line.

    Counted as (competitors of its priority or higher, from the kept counts) minus itself minus those of
    its priority behind it: a new ticket has nobody behind it, so issuing walks no index."""
    services, windows = competition_scope(db, ticket["service_id"], ticket["target_window_id"])
    in_scope = set(services)
    total = sum(n for service_id, target, priority, n in waiting_counts(db, ticket["local_day"])
                if service_id in in_scope and (target == 0 or target in windows) and priority >= ticket["priority"])
    s_marks, w_marks = ",".join("?" * len(services)), ",".join("?" * len(windows))
    reserved = f"target_window_id IN ({w_marks})" if windows else "0"
    # `line_key >= ?` bounds the walk (an OR of the two cases would read every entry of the priority)
    behind = db.execute(
        f"SELECT count(*) FROM ticket INDEXED BY ticket_call_order WHERE status = 'waiting' AND local_day = ? "
        f"AND service_id IN ({s_marks}) AND priority = ? AND line_key >= ? AND (line_key > ? OR id > ?) "
        f"AND (target_window_id IS NULL OR {reserved})",
        [ticket["local_day"], *services, ticket["priority"], ticket["line_key"], ticket["line_key"], ticket["id"],
         *windows]).fetchone()[0]
    return max(0, total - 1 - behind)


def count_competing_by_service(db, local_day) -> dict[int, int]:
    """Per service: the waiting tickets a new ticket of that service would have ahead of it, i.e. those
    some window of the service may call (of any service that window calls, not reserved for another
    window). Worked out from the kept counts, so it costs the same at 10 or 10,000 waiting."""
    services_of: dict[int, set[int]] = {}
    windows_of: dict[int, set[int]] = {}
    for window_id, service_id in window_services_pairs(db):
        services_of.setdefault(window_id, set()).add(service_id)
        windows_of.setdefault(service_id, set()).add(window_id)
    counts = waiting_counts(db, local_day)
    competing = {}
    for service_id, windows in windows_of.items():
        reachable = set().union(*(services_of[w] for w in windows))
        competing[service_id] = sum(
            n for other, target, _priority, n in counts
            if (target == 0 and other in reachable) or (target in windows and other in services_of[target]))
    return {service_id: n for service_id, n in competing.items() if n}


def count_waiting_by_service(db, local_day) -> dict[int, int]:
    found: dict[int, int] = {}
    for service_id, _target, _priority, n in waiting_counts(db, local_day):
        found[service_id] = found.get(service_id, 0) + n
    return found


def count_issued_by_service(db, local_day) -> dict[int, int]:
    return {r[0]: r[1] for r in db.execute("SELECT service_id, n FROM issued_count WHERE local_day = ? AND n > 0",
                                           [local_day])}


def recent_handle_seconds(db, service_id, limit) -> list[float]:
    return [r[0] for r in db.execute(
        "SELECT (julianday(finished_at) - julianday(first_called_at)) * 86400 FROM ticket "
        "WHERE service_id = ? AND status = 'done' AND first_called_at IS NOT NULL "
        "ORDER BY finished_at DESC LIMIT ?", [service_id, limit])]


def update_ticket(db, ticket_id, **values):
    update_row(db, "ticket", ticket_id, values)


def current_ticket_of_window(db, window_id):
    return row(db.execute(TICKET_SELECT + " WHERE t.window_id = ? AND t.status IN ('called','serving') "
                          "ORDER BY t.called_at DESC LIMIT 1", [window_id]))


def window_counts(db, window_id, local_day) -> dict:
    return {r[0]: r[1] for r in db.execute(
        "SELECT status, count(*) FROM ticket WHERE window_id = ? AND local_day = ? GROUP BY status",
        [window_id, local_day])}


def count_tickets_by_status(db, local_day=None) -> dict:
    if local_day:
        cursor = db.execute("SELECT status, count(*) FROM ticket WHERE local_day = ? GROUP BY status", [local_day])
    else:
        cursor = db.execute("SELECT status, count(*) FROM ticket GROUP BY status")
    return {r[0]: r[1] for r in cursor}


# --- events ---------------------------------------------------------------------

def append_event(db, at, type_, data: dict, ticket_id=None, window_id=None, service_id=None, staff_id=None) -> int:
    return db.execute(
        "INSERT INTO event (at, type, ticket_id, window_id, service_id, staff_id, data) VALUES (?,?,?,?,?,?,?)",
        [at, type_, ticket_id, window_id, service_id, staff_id, json.dumps(data, ensure_ascii=False)]).lastrowid


def events_of_type_since(db, type_: str, since_iso: str) -> list[dict]:
    """Events of one type at or after an instant (ISO, UTC), oldest first, data decoded."""
    found = rows(db.execute("SELECT * FROM event WHERE type = ? AND at >= ? ORDER BY id", [type_, since_iso]))
    for event in found:
        event["data"] = json.loads(event["data"]) if event["data"] else {}
    return found


def events_after(db, event_id, limit=1000) -> list[dict]:
    found = rows(db.execute("SELECT * FROM event WHERE id > ? ORDER BY id LIMIT ?", [event_id, limit]))
    for event in found:
        event["data"] = json.loads(event["data"])
    return found


def get_event(db, event_id):
    event = row(db.execute("SELECT * FROM event WHERE id = ?", [event_id]))
    if event:
        event["data"] = json.loads(event["data"])
    return event


def first_event_id_at_or_after(db, at: str) -> int | None:
    """The first event written at or after `at` (UTC ISO). Ids grow with time, so a binary search
    over the primary key finds it in a few lookups, however long the log."""
    low, high = 1, last_event_id(db)
    found = None
    while low <= high:
        middle = (low + high) // 2
        hit = db.execute("SELECT id, at FROM event WHERE id >= ? ORDER BY id LIMIT 1", [middle]).fetchone()
        if hit is None:
            high = middle - 1
        elif hit[1] >= at:
            found, high = hit[0], middle - 1
        else:
            low = hit[0] + 1
    return found


def last_event_id(db) -> int:
    return db.execute("SELECT coalesce(max(id), 0) FROM event").fetchone()[0]


def recent_call_events(db, since_utc: str, limit) -> list[dict]:
    """The newest calls at or after `since_utc` (the start of the hall's day), newest first."""
    found = rows(db.execute(
        "SELECT * FROM event WHERE type IN ('ticket_called','ticket_recalled') AND at >= ? ORDER BY id DESC LIMIT ?",
        [since_utc, limit]))
    for event in found:
        event["data"] = json.loads(event["data"])
    return found


# --- evaluations ----------------------------------------------------------------

def get_evaluation_for_ticket(db, ticket_id):
    return row(db.execute("SELECT * FROM evaluation WHERE ticket_id = ?", [ticket_id]))


def insert_evaluation(db, values: dict) -> int:
    return insert_row(db, "evaluation", values)


def find_id(db, table: str, column: str, value) -> int | None:
    """The id of the row whose `column` equals `value` (names from code, never from input)."""
    found = row(db.execute(f'SELECT id FROM "{table}" WHERE "{column}" = ?', [value]))
    return found["id"] if found else None


def delete_department(db, department_id: int):
    db.execute("DELETE FROM department WHERE id = ?", [department_id])


def get_evaluation(db, evaluation_id: int):
    return row(db.execute("SELECT * FROM evaluation WHERE id = ?", [evaluation_id]))


EVALUATION_SELECT = (
    "SELECT e.*, t.number AS ticket_number, t.local_day AS ticket_day, s.name AS service, w.number AS window, "
    "st.name AS staff_name, st.employee_no AS staff_employee_no, v.name AS voided_by_name, "
    "c.id AS followup_case_id "
    "FROM evaluation e JOIN ticket t ON t.id = e.ticket_id JOIN service s ON s.id = t.service_id "
    "LEFT JOIN window w ON w.id = e.window_id LEFT JOIN staff st ON st.id = e.staff_id "
    "LEFT JOIN staff v ON v.id = e.voided_by LEFT JOIN followup_case c ON c.evaluation_id = e.id"
)


def list_evaluations(db, first_at, end_at, limit=500):
    """The ratings given in [first_at, end_at), newest first, voided ones included (marked)."""
    return rows(db.execute(EVALUATION_SELECT + " WHERE e.at >= ? AND e.at < ? ORDER BY e.at DESC, e.id DESC LIMIT ?",
                           [first_at, end_at, limit]))


def get_evaluation_detail(db, evaluation_id: int):
    """One rating with its ticket, window, staff member, follow-up case and who voided it."""
    return row(db.execute(EVALUATION_SELECT + " WHERE e.id = ?", [evaluation_id]))


def void_evaluation(db, evaluation_id, at, staff_id, reason):
    db.execute("UPDATE evaluation SET voided_at = ?, voided_by = ?, void_reason = ? WHERE id = ?",
               [at, staff_id, reason, evaluation_id])


def delete_followup_case(db, case_id):
    db.execute("DELETE FROM followup_case WHERE id = ?", [case_id])


def healthcheck(db) -> bool:
    return db.execute("SELECT 1").fetchone()[0] == 1


def write_probe(db, timeout_ms: int):
    """Take the write lock within `timeout_ms` and let it go, writing nothing (OperationalError if not)."""
    storage.begin_immediate(db.conn, timeout_ms=timeout_ms)
    db.conn.execute("ROLLBACK")


def integrity_problems(db, limit: int = 20) -> list[str]:
    """What SQLite's quick check finds wrong with the file (empty: nothing). Reads every page once."""
    found = [r[0] for r in db.execute(f"PRAGMA quick_check({int(limit)})")]
    return [] if found == ["ok"] else found


# === admin, statistics and 差评 follow-up ==================================
# SQL of queue_server.hall_admin, stats and followup. The statistics read the ticket table
# through the covering index `ticket_stats`, so a year of tickets is summed without touching
# the table itself; the figures are computed from the live rows every time (nothing cached).

MIGRATIONS.append("""
    CREATE INDEX ticket_stats ON ticket(local_day, service_id, window_id, staff_id, status, transfer_count,
                                        issued_at, first_called_at, called_at, finished_at);
    -- waiting and handling seconds per service, in index order: a year's medians without a sort.
    -- The expressions must stay identical to WAIT_SECONDS_SQL / HANDLE_SECONDS_SQL below.
    CREATE INDEX ticket_wait_by_service ON ticket(
        service_id, CAST(round((julianday(first_called_at) - julianday(issued_at)) * 86400) AS INTEGER),
        local_day, issued_at, first_called_at);
    CREATE INDEX ticket_handle_by_service ON ticket(
        service_id,
        CASE WHEN status = 'done' THEN CAST(round((julianday(finished_at) - julianday(called_at)) * 86400) AS INTEGER) END,
        local_day, status, called_at, finished_at);
    CREATE INDEX evaluation_stats ON evaluation(at, level, window_id, staff_id);
    -- a 差评 (level 1-2) opens one follow-up case; deadline is a local day, counted in working days
    CREATE TABLE followup_case (
        id INTEGER PRIMARY KEY,
        evaluation_id INTEGER NOT NULL UNIQUE REFERENCES evaluation(id),
        ticket_id INTEGER NOT NULL REFERENCES ticket(id),
        window_id INTEGER REFERENCES window(id),
        staff_id INTEGER REFERENCES staff(id),
        level INTEGER NOT NULL,
        comment TEXT,
        opened_at TEXT NOT NULL,
        opened_day TEXT NOT NULL,
        deadline TEXT NOT NULL,
        assignee_id INTEGER REFERENCES staff(id),
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','called_back','resolved')),
        callback_at TEXT,
        callback_note TEXT,
        resolution TEXT,
        resolved_at TEXT,
        appeal_reason TEXT,
        appeal_at TEXT,
        appeal_outcome TEXT CHECK (appeal_outcome IN ('upheld','rejected')),
        appeal_note TEXT,
        appeal_decided_at TEXT
    );
    CREATE INDEX followup_case_status ON followup_case(status, deadline);
    CREATE INDEX followup_case_opened ON followup_case(opened_day);
""")

# The facts need no timestamps (the time histograms read the two indexes above), so ticket_stats
# is narrowed to what is counted; the handling index gains window and staff for their medians.
MIGRATIONS.append("""
    DROP INDEX ticket_stats;
    CREATE INDEX ticket_stats ON ticket(local_day, service_id, window_id, staff_id, status, transfer_count);
    DROP INDEX ticket_handle_by_service;
    CREATE INDEX ticket_handle_by_service ON ticket(
        service_id,
        CASE WHEN status = 'done' THEN CAST(round((julianday(finished_at) - julianday(called_at)) * 86400) AS INTEGER) END,
        local_day, status, called_at, finished_at, window_id, staff_id);
""")

# --- hall editing ---------------------------------------------------------------

def get_department(db, department_id):
    return row(db.execute("SELECT * FROM department WHERE id = ?", [department_id]))


def count_services_of_department(db, department_id) -> int:
    return db.execute("SELECT count(*) FROM service WHERE department_id = ?", [department_id]).fetchone()[0]


def get_window_with_staff(db, window_id):
    return row(db.execute(
        "SELECT w.*, st.name AS staff_name FROM window w LEFT JOIN staff st ON st.id = w.staff_id WHERE w.id = ?",
        [window_id]))


def window_services_by_window(db) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for window_id, service_id in db.execute("SELECT window_id, service_id FROM window_service ORDER BY window_id, position"):
        found.setdefault(window_id, []).append(service_id)
    return found


def list_staff_tokens(db, staff_id):
    return rows(db.execute("SELECT id, kind, created_at, revoked_at FROM api_token WHERE staff_id = ? ORDER BY id DESC",
                           [staff_id]))


def list_evaluator_tokens(db, window_id):
    return rows(db.execute("SELECT id, kind, created_at, revoked_at FROM api_token "
                           "WHERE kind = 'evaluator' AND window_id = ? ORDER BY id DESC", [window_id]))


def get_token(db, token_id):
    return row(db.execute("SELECT * FROM api_token WHERE id = ?", [token_id]))


def revoke_token(db, token_id, at):
    db.execute("UPDATE api_token SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [at, token_id])


def revoke_kiosk_tokens(db, kiosk_id, at) -> int:
    return db.execute("UPDATE api_token SET revoked_at = ? WHERE kiosk_id = ? AND revoked_at IS NULL",
                      [at, kiosk_id]).rowcount


def list_kiosks_with_tokens(db):
    return rows(db.execute(
        "SELECT k.*, (SELECT count(*) FROM api_token a WHERE a.kiosk_id = k.id AND a.revoked_at IS NULL) AS live_tokens "
        "FROM kiosk k ORDER BY k.id"))


def list_hall_days(db, first_day=None, last_day=None):
    return rows(db.execute("SELECT * FROM hall_day WHERE day BETWEEN ? AND ? ORDER BY day",
                           [first_day or "0000-00-00", last_day or "9999-99-99"]))


def delete_hall_day(db, day):
    db.execute("DELETE FROM hall_day WHERE day = ?", [day])


def list_events(db, before_id=None, types=None, limit=100, staff_id=None, window_id=None,
                first_at=None, end_at=None) -> list[dict]:
    """The event log newest first (the audit trail); `types` narrows to some event types, `staff_id`
    to one person's acts, `window_id` to one window, [first_at, end_at) to a span of UTC times."""
    where, params = ["e.id < ?"], [before_id or 2 ** 62]
    if types:
        where.append(f"e.type IN ({','.join('?' * len(types))})")
        params += list(types)
    for column, value in (("e.staff_id = ?", staff_id), ("e.window_id = ?", window_id),
                          ("e.at >= ?", first_at), ("e.at < ?", end_at)):
        if value is not None:
            where.append(column)
            params.append(value)
    found = rows(db.execute(
        "SELECT e.*, st.name AS staff_name FROM event e LEFT JOIN staff st ON st.id = e.staff_id "
        f"WHERE {' AND '.join(where)} ORDER BY e.id DESC LIMIT ?", [*params, limit]))
    for event in found:
        event["data"] = json.loads(event["data"])
    return found


def followup_events(db, case_id) -> list[dict]:
    """The events of one 差评 case, oldest first."""
    found = rows(db.execute(
        "SELECT e.*, st.name AS staff_name FROM event e LEFT JOIN staff st ON st.id = e.staff_id "
        "WHERE e.type LIKE 'followup\\_%' ESCAPE '\\' AND json_extract(e.data, '$.case_id') = ? ORDER BY e.id",
        [case_id]))
    for event in found:
        event["data"] = json.loads(event["data"])
    return found


def event_types(db) -> list[str]:
    return [r[0] for r in db.execute("SELECT DISTINCT type FROM event ORDER BY type")]


# --- statistics -----------------------------------------------------------------
# Grouping by one packed integer instead of four columns lets SQLite's sorter compare single
# integers: over 500,000 rows that is about three times faster. The packing is undone here.

STATUS_CODES = {"waiting": 1, "called": 2, "serving": 3, "done": 4, "no_show": 5, "cancelled": 6}
_STATUS_CASE = "CASE status " + " ".join(f"WHEN '{s}' THEN {c}" for s, c in STATUS_CODES.items()) + " END"
_STATUS_NAMES = {c: s for s, c in STATUS_CODES.items()}
# Whole seconds from issue to first call (NULL until called), and from the (last) call to finish
# (NULL unless finished). Written exactly as in the indexes ticket_wait_by_service and
# ticket_handle_by_service, so SQLite walks them in order instead of sorting the period's rows.
WAIT_SECONDS_SQL = "CAST(round((julianday(first_called_at) - julianday(issued_at)) * 86400) AS INTEGER)"
HANDLE_SECONDS_SQL = ("CASE WHEN status = 'done' THEN "
                      "CAST(round((julianday(finished_at) - julianday(called_at)) * 86400) AS INTEGER) END")
# Without ANALYZE the planner prefers narrower indexes and then reads every table row; the
# covering indexes are what make a year of tickets fast, so they are named.
_STATS_FROM = "FROM ticket INDEXED BY ticket_stats WHERE local_day BETWEEN ? AND ?"


def ticket_facts(db, first_day, last_day) -> list[dict]:
    """Tickets of the local days [first_day, last_day], counted per service × window × staff × status."""
    key = (f"((service_id * 10000 + coalesce(window_id, 0)) * 1000000 + coalesce(staff_id, 0)) * 10 "
           f"+ {_STATUS_CASE}")
    found = []
    for packed, count, transfers in db.execute(
            f"SELECT {key} AS k, count(*), sum(transfer_count > 0) {_STATS_FROM} GROUP BY k", [first_day, last_day]):
        rest, status = divmod(packed, 10)
        rest, staff_id = divmod(rest, 1000000)
        service_id, window_id = divmod(rest, 10000)
        found.append({"service_id": service_id, "window_id": window_id or None, "staff_id": staff_id or None,
                      "status": _STATUS_NAMES[status], "count": count, "transferred": transfers or 0})
    return found


HISTOGRAM_DIMENSIONS = ("service_id", "window_id", "staff_id")


# The time indexes are ordered by service, so they are read whole (the hall's history); a
# short period reads only its own days instead, through ticket_stats (day first), and sorts them.
SHORT_PERIOD_DAYS = 62


def _short(first_day, last_day) -> bool:
    from datetime import date

    return (date.fromisoformat(last_day) - date.fromisoformat(first_day)).days < SHORT_PERIOD_DAYS


def time_histogram(db, first_day, last_day, measure: str, dimension: str) -> list[tuple[int | None, int, int]]:
    """(dimension id, whole seconds, tickets) for measure 'wait' (called tickets) or 'handle'
    (finished tickets): enough for means, medians and percentiles of any group of that dimension.

    Over a long period, per service, the index hands the rows over already grouped; per window or
    staff member (handling only) SQLite sorts the period's rows."""
    if dimension not in HISTOGRAM_DIMENSIONS:
        raise ValueError(dimension)
    if measure == "wait" and dimension != "service_id":
        raise ValueError("waiting times are kept per service")
    seconds = {"wait": WAIT_SECONDS_SQL, "handle": HANDLE_SECONDS_SQL}[measure]
    params = [first_day, last_day]
    if dimension == "service_id" and not _short(first_day, last_day):
        # NULLs (not measured) are dropped here, not in SQL: a WHERE on them costs a second decode
        sql = (f"SELECT service_id, {seconds} AS s, count(*) FROM ticket INDEXED BY ticket_{measure}_by_service "
               f"WHERE local_day BETWEEN ? AND ? GROUP BY 1, 2")
        return [(group, max(0, second), count) for group, second, count in db.execute(sql, params)
                if second is not None]
    # packed into one integer for a faster sort; spans over 11 days count as 999,999 s
    index = "ticket_stats" if _short(first_day, last_day) else "ticket_handle_by_service"
    sql = (f"SELECT coalesce({dimension}, 0) * 1000000 + max(0, min(999999, s)) AS k, count(*) FROM "
           f"(SELECT {dimension}, {seconds} AS s FROM ticket INDEXED BY {index} "
           f"WHERE local_day BETWEEN ? AND ?) WHERE s IS NOT NULL GROUP BY k")
    return [(group or None, second, count) for (group, second), count in
            ((divmod(k, 1000000), count) for k, count in db.execute(sql, params))]


def arrivals_by_utc_hour(db, first_day, last_day) -> list[tuple[int, int]]:
    """(hours since 1970-01-01 00:00 UTC, tickets issued): the caller turns them into local hours."""
    index = "ticket_stats" if _short(first_day, last_day) else "ticket_wait_by_service"
    return [tuple(r) for r in db.execute(
        "SELECT CAST(round((julianday(issued_at) - 2440587.5) * 86400) AS INTEGER) / 3600 AS h, count(*) "
        f"FROM ticket INDEXED BY {index} WHERE local_day BETWEEN ? AND ? GROUP BY h",
        [first_day, last_day])]


def evaluation_counts(db, first_at, end_at) -> list[dict]:
    """Evaluations given in [first_at, end_at) (UTC ISO), counted per window × staff × level."""
    found = []
    for packed, count in db.execute(
            "SELECT (coalesce(window_id, 0) * 10000000 + coalesce(staff_id, 0)) * 10 + level AS k, count(*) "
            "FROM evaluation INDEXED BY evaluation_stats WHERE at >= ? AND at < ? AND voided_at IS NULL GROUP BY k",
            [first_at, end_at]):
        rest, level = divmod(packed, 10)
        window_id, staff_id = divmod(rest, 10000000)
        found.append({"window_id": window_id or None, "staff_id": staff_id or None, "level": level, "count": count})
    return found


def evaluations_by_service(db, first_at, end_at) -> list[tuple[int, int, int]]:
    """(service_id, level, count) of the evaluations given in [first_at, end_at)."""
    return [tuple(r) for r in db.execute(
        "SELECT t.service_id, e.level, count(*) FROM evaluation e INDEXED BY evaluation_stats "
        "JOIN ticket t ON t.id = e.ticket_id WHERE e.at >= ? AND e.at < ? AND e.voided_at IS NULL GROUP BY 1, 2",
        [first_at, end_at])]


# --- 差评 follow-up cases ---------------------------------------------------------

FOLLOWUP_SELECT = (
    "SELECT c.*, t.number AS ticket_number, t.local_day AS ticket_day, s.name AS service, w.number AS window, "
    "w.name AS window_name, st.name AS staff_name, st.employee_no AS staff_employee_no, a.name AS assignee_name "
    "FROM followup_case c JOIN ticket t ON t.id = c.ticket_id JOIN service s ON s.id = t.service_id "
    "LEFT JOIN window w ON w.id = c.window_id LEFT JOIN staff st ON st.id = c.staff_id "
    "LEFT JOIN staff a ON a.id = c.assignee_id"
)


def insert_followup_case(db, values: dict) -> int:
    return db["followup_case"].insert(values).last_pk


def get_followup_case(db, case_id):
    return row(db.execute(FOLLOWUP_SELECT + " WHERE c.id = ?", [case_id]))


def get_followup_case_by_evaluation(db, evaluation_id):
    return row(db.execute("SELECT * FROM followup_case WHERE evaluation_id = ?", [evaluation_id]))


def update_followup_case(db, case_id, **values):
    db["followup_case"].update(case_id, values)


def list_followup_cases(db, status=None, first_day=None, last_day=None, limit=500):
    where, params = ["c.opened_day BETWEEN ? AND ?"], [first_day or "0000-00-00", last_day or "9999-99-99"]
    if status == "unresolved":
        where.append("c.status != 'resolved'")
    elif status:
        where.append("c.status = ?")
        params.append(status)
    return rows(db.execute(FOLLOWUP_SELECT + f" WHERE {' AND '.join(where)} ORDER BY c.status = 'resolved', "
                           "c.deadline, c.id LIMIT ?", [*params, limit]))


def count_overdue_followup_cases(db, today) -> int:
    return db.execute("SELECT count(*) FROM followup_case WHERE status != 'resolved' AND deadline < ?",
                      [today]).fetchone()[0]


def followup_cases_by_window(db, first_day, last_day) -> dict[int, int]:
    return {r[0]: r[1] for r in db.execute(
        "SELECT window_id, count(*) FROM followup_case WHERE opened_day BETWEEN ? AND ? GROUP BY window_id",
        [first_day, last_day])}


def count_followup_cases(db, first_day, last_day) -> dict:
    opened, resolved = db.execute(
        "SELECT count(*), count(CASE WHEN status = 'resolved' THEN 1 END) FROM followup_case "
        "WHERE opened_day BETWEEN ? AND ?", [first_day, last_day]).fetchone()
    return {"opened": opened, "resolved": resolved}


# The wait estimate reads a service's most recently finished tickets at every issue: walk an index
# instead of sorting the service's whole history (15 ms → 0.1 ms on a year of tickets).
MIGRATIONS.append("""
    CREATE INDEX IF NOT EXISTS ticket_recent_done ON ticket(service_id, status, finished_at);
""")


# Waiting tickets by day first: tickets never called on earlier days stay 'waiting' for ever, and
# the people-ahead count walks today's, service by service, in call order.
MIGRATIONS.append("""
    CREATE INDEX IF NOT EXISTS ticket_waiting_today
        ON ticket(status, local_day, service_id, priority, line_key, target_window_id);
""")


# --- retired windows and services ----------------------------------------------------
# A window or service no longer used is retired rather than deleted: it leaves the displays, the
# kiosk and call-next, and its tickets, evaluations and events keep pointing at it for the statistics.
MIGRATIONS.append("""
    ALTER TABLE service ADD COLUMN retired INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE window ADD COLUMN retired INTEGER NOT NULL DEFAULT 0;
""")


def set_retired(db, table: str, row_id: int, retired: bool):
    assert table in ("service", "window")
    db.execute(f"UPDATE {table} SET retired = ? WHERE id = ?", [1 if retired else 0, row_id])


def count_waiting_of_service(db, service_id) -> int:
    """Tickets of any day still waiting for a service (a service with people in line is not retired)."""
    return db.execute("SELECT count(*) FROM ticket WHERE service_id = ? AND status = 'waiting'",
                      [service_id]).fetchone()[0]


def next_waiting_by_service(db, local_day, per_service: int = 2) -> dict[int, list[dict]]:
    """Per service, the first waiting tickets in call order (priority, then place in line): the
    hall screen's 请准备 line. The first entries of `ticket_call_order` of each service that has
    anyone waiting (the kept counts say which): the cost does not grow with the queue."""
    services = sorted({service_id for service_id, _target, _priority, _n in waiting_counts(db, local_day)})
    found: dict[int, list[dict]] = {}
    for service_id in services:
        tickets = rows(db.execute(
            "SELECT service_id, number, priority, appointment_code, holder_name FROM ticket INDEXED BY ticket_call_order "
            "WHERE status = 'waiting' AND local_day = ? AND service_id = ? ORDER BY priority DESC, line_key, id LIMIT ?",
            [local_day, service_id, per_service]))
        if tickets:
            found[service_id] = tickets
    return found


# --- hall settings edited in the admin (the ticker's notices) ----------------------------
MIGRATIONS.append("""
    CREATE TABLE hall_setting (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
""")


def get_setting(db, key) -> str | None:
    found = db.execute("SELECT value FROM hall_setting WHERE key = ?", [key]).fetchone()
    return found[0] if found else None


def set_setting(db, key, value: str):
    db.execute("INSERT INTO hall_setting (key, value) VALUES (?, ?) "
               "ON CONFLICT(key) DO UPDATE SET value = excluded.value", [key, value])


# === appointments (预约) ===========================================================
# A booking holds a slot of one service on one hall day. `starts_at` and `checkin_end_at` are UTC
# instants computed by the domain, so "has the slot begun" and "is it 爽约" are plain comparisons.
# The ID number is never stored: `id_hash` is its keyed hash (idcard.id_number_hash).

APPOINTMENT_STATES = ("booked", "checked_in", "cancelled", "no_show", "closed")

MIGRATIONS.append("""
    CREATE TABLE appointment (
        id INTEGER PRIMARY KEY,
        code TEXT NOT NULL UNIQUE,
        service_id INTEGER NOT NULL REFERENCES service(id),
        day TEXT NOT NULL,
        start TEXT NOT NULL,
        "end" TEXT NOT NULL,
        starts_at TEXT NOT NULL,
        checkin_end_at TEXT NOT NULL,
        name TEXT NOT NULL,
        phone TEXT NOT NULL,
        id_hash TEXT,
        status TEXT NOT NULL DEFAULT 'booked'
            CHECK (status IN ('booked','checked_in','cancelled','no_show','closed')),
        source TEXT NOT NULL,
        created_at TEXT NOT NULL,
        cancelled_at TEXT,
        checked_in_at TEXT,
        ticket_id INTEGER REFERENCES ticket(id),
        closed_reason TEXT
    );
    CREATE INDEX appointment_slot ON appointment(service_id, day, start, status);
    CREATE INDEX appointment_day ON appointment(day, service_id);
    CREATE INDEX appointment_phone ON appointment(phone, status, checkin_end_at);
    CREATE INDEX appointment_id_hash ON appointment(id_hash, status, checkin_end_at) WHERE id_hash IS NOT NULL;
    CREATE INDEX appointment_due ON appointment(status, checkin_end_at);
    -- the admin's settings: capacity and closing, for every day ('*') or one day, every slot ('*') or one
    CREATE TABLE appointment_slot_setting (
        service_id INTEGER NOT NULL REFERENCES service(id) ON DELETE CASCADE,
        day TEXT NOT NULL,
        start TEXT NOT NULL,
        capacity INTEGER CHECK (capacity IS NULL OR capacity >= 0),
        closed INTEGER NOT NULL DEFAULT 0,
        reason TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (service_id, day, start)
    );
""")

APPOINTMENT_SELECT = (
    "SELECT a.*, s.name AS service, s.prefix AS service_prefix, d.name AS department, "
    "t.number AS ticket_number "
    "FROM appointment a JOIN service s ON s.id = a.service_id JOIN department d ON d.id = s.department_id "
    "LEFT JOIN ticket t ON t.id = a.ticket_id"
)

# Bookings that hold their place in a slot (a cancelled or closed one frees it).
_HOLDING = "('booked','checked_in','no_show')"


def insert_appointment(db, values: dict) -> int:
    return insert_row(db, "appointment", values)


def update_appointment(db, appointment_id, **values):
    update_row(db, "appointment", appointment_id, values)


def get_appointment_by_code(db, code):
    return row(db.execute(APPOINTMENT_SELECT + " WHERE a.code = ?", [code]))


def appointment_code_exists(db, code) -> bool:
    return db.execute("SELECT 1 FROM appointment WHERE code = ?", [code]).fetchone() is not None


def count_slot_bookings(db, service_id, day, start) -> int:
    return db.execute(f"SELECT count(*) FROM appointment WHERE service_id = ? AND day = ? AND start = ? "
                      f"AND status IN {_HOLDING}", [service_id, day, start]).fetchone()[0]


def slot_bookings_of_day(db, service_id, day) -> dict[str, int]:
    """Bookings holding a place, per slot start, of one service's day."""
    return dict(db.execute(f"SELECT start, count(*) FROM appointment WHERE service_id = ? AND day = ? "
                           f"AND status IN {_HOLDING} GROUP BY start", [service_id, day]).fetchall())


def slot_bookings_of_days(db, service_id, first_day, last_day) -> dict[tuple[str, str], int]:
    return {(day, start): count for day, start, count in db.execute(
        f"SELECT day, start, count(*) FROM appointment WHERE service_id = ? AND day BETWEEN ? AND ? "
        f"AND status IN {_HOLDING} GROUP BY day, start", [service_id, first_day, last_day])}


def active_booking_of_person(db, service_id, phone, id_hash, now_utc):
    """A booking of this person (same phone or same ID) for the service that can still be used."""
    found = row(db.execute(
        APPOINTMENT_SELECT + " WHERE a.phone = ? AND a.service_id = ? AND a.status = 'booked' "
        "AND a.checkin_end_at >= ? LIMIT 1", [phone, service_id, now_utc]))
    if found or not id_hash:
        return found
    return row(db.execute(
        APPOINTMENT_SELECT + " WHERE a.id_hash = ? AND a.service_id = ? AND a.status = 'booked' "
        "AND a.checkin_end_at >= ? LIMIT 1", [id_hash, service_id, now_utc]))


def no_show_times_of_person(db, phone, id_hash, since_utc) -> list[str]:
    """End of the check-in window of each 爽约 of this person (by phone or ID) since `since_utc`, oldest first."""
    found = {r[0]: r[1] for r in db.execute(
        "SELECT id, checkin_end_at FROM appointment WHERE phone = ? AND status = 'no_show' AND checkin_end_at >= ?",
        [phone, since_utc])}
    if id_hash:
        found |= {r[0]: r[1] for r in db.execute(
            "SELECT id, checkin_end_at FROM appointment WHERE id_hash = ? AND status = 'no_show' "
            "AND checkin_end_at >= ?", [id_hash, since_utc])}
    return sorted(found.values())


def mark_due_no_shows(db, now_utc) -> list[dict]:
    """Bookings never checked in whose check-in window has ended become 爽约; returns them."""
    due = rows(db.execute("SELECT id, service_id, day, start FROM appointment "
                          "WHERE status = 'booked' AND checkin_end_at < ?", [now_utc]))
    if due:
        db.execute("UPDATE appointment SET status = 'no_show' WHERE status = 'booked' AND checkin_end_at < ?",
                   [now_utc])
    return due


def list_appointments_of_day(db, day, service_id=None) -> list[dict]:
    where, args = " WHERE a.day = ?", [day]
    if service_id is not None:
        where, args = where + " AND a.service_id = ?", [day, service_id]
    return rows(db.execute(APPOINTMENT_SELECT + where + " ORDER BY s.sort_order, a.service_id, a.start, a.id", args))


def booked_appointments_of_slot(db, service_id, day, start) -> list[dict]:
    return rows(db.execute("SELECT id FROM appointment WHERE service_id = ? AND day = ? AND start = ? "
                           "AND status = 'booked'", [service_id, day, start]))


def close_slot_bookings(db, service_id, day, start, reason, at) -> int:
    return db.execute("UPDATE appointment SET status = 'closed', closed_reason = ?, cancelled_at = ? "
                      "WHERE service_id = ? AND day = ? AND start = ? AND status = 'booked'",
                      [reason, at, service_id, day, start]).rowcount


def appointment_slot_settings(db, service_id) -> list[dict]:
    return rows(db.execute("SELECT * FROM appointment_slot_setting WHERE service_id = ?", [service_id]))


def list_appointment_slot_settings(db) -> list[dict]:
    return rows(db.execute("SELECT * FROM appointment_slot_setting ORDER BY service_id, day, start"))


def upsert_appointment_slot_setting(db, service_id, day, start, capacity=None, closed=False, reason=""):
    db.execute("INSERT INTO appointment_slot_setting (service_id, day, start, capacity, closed, reason) "
               "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (service_id, day, start) DO UPDATE SET "
               "capacity = excluded.capacity, closed = excluded.closed, reason = excluded.reason",
               [service_id, day, start, capacity, int(closed), reason])


def delete_appointment_slot_setting(db, service_id, day, start):
    db.execute("DELETE FROM appointment_slot_setting WHERE service_id = ? AND day = ? AND start = ?",
               [service_id, day, start])


def appointment_counts(db, first_day, last_day, now_utc) -> list[dict]:
    """Bookings of the hall days [first_day, last_day] per service × status; a booking whose check-in
    window ended by `now_utc` counts as 爽约 even before a write has marked it."""
    return rows(db.execute(
        "SELECT service_id, CASE WHEN status = 'booked' AND checkin_end_at < :now THEN 'no_show' ELSE status END "
        "AS status, count(*) AS count FROM appointment WHERE day BETWEEN :first AND :last "
        "GROUP BY 1, 2", {"first": first_day, "last": last_day, "now": now_utc}))


# --- the person behind a ticket (ID card at the kiosk) ------------------------------------
# A ticket taken with an ID card carries the keyed hash of its number and the masked name (张*):
# enough to refuse the same person a second waiting ticket of a service, never who they are.
MIGRATIONS.append("""
    ALTER TABLE ticket ADD COLUMN holder_hash TEXT;
    ALTER TABLE ticket ADD COLUMN holder_name TEXT;
    CREATE INDEX ticket_holder ON ticket(holder_hash, local_day, status) WHERE holder_hash IS NOT NULL;
""")


def waiting_ticket_of_holder(db, holder_hash, service_id, local_day):
    return row(db.execute(TICKET_SELECT + " WHERE t.holder_hash = ? AND t.local_day = ? AND t.service_id = ? "
                          "AND t.status = 'waiting' ORDER BY t.id LIMIT 1", [holder_hash, local_day, service_id]))


def purge_id_hashes(db, before_day: str) -> dict[str, int]:
    """Forget who held the tickets and past bookings of days before `before_day`: the keyed hash of
    the ID number and the masked name. A booking still to come keeps its hash (its card checks it in)."""
    tickets = db.execute("UPDATE ticket SET holder_hash = NULL, holder_name = NULL "
                         "WHERE holder_hash IS NOT NULL AND local_day < ?", [before_day]).rowcount
    tickets += db.execute("UPDATE ticket SET holder_name = NULL WHERE holder_name IS NOT NULL AND local_day < ?",
                          [before_day]).rowcount
    bookings = db.execute("UPDATE appointment SET id_hash = NULL "
                          "WHERE id_hash IS NOT NULL AND day < ? AND status != 'booked'", [before_day]).rowcount
    return {"tickets": tickets, "appointments": bookings}


def bookings_of_id_hash_on(db, id_hash, day) -> list[dict]:
    """A person's bookings of one day (by the keyed hash of their ID number), earliest slot first."""
    return rows(db.execute(APPOINTMENT_SELECT + " WHERE a.id_hash = ? AND a.day = ? ORDER BY a.start, a.id",
                           [id_hash, day]))


# --- counts kept as tickets change --------------------------------------------------
# Every kiosk asks for the waiting and issued counts every few seconds and every new ticket needs
# its people-ahead count; counting them from the ticket rows costs time that grows with the day's
# queue. Triggers keep them in two small tables, in the same transaction as the ticket change,
# so every path that writes a ticket (the queue, admin tools, a plain `sqlite3` shell) keeps them
# exact. A ticket reserved for no window is filed under target_window_id 0.

MIGRATIONS.append("""
    CREATE TABLE waiting_count (
        local_day TEXT NOT NULL,
        service_id INTEGER NOT NULL,
        target_window_id INTEGER NOT NULL,
        priority INTEGER NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (local_day, service_id, target_window_id, priority)
    ) WITHOUT ROWID;
    CREATE TABLE issued_count (
        local_day TEXT NOT NULL,
        service_id INTEGER NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (local_day, service_id)
    ) WITHOUT ROWID;
    INSERT INTO waiting_count
        SELECT local_day, service_id, coalesce(target_window_id, 0), priority, count(*) FROM ticket
        WHERE status = 'waiting' GROUP BY 1, 2, 3, 4;
    INSERT INTO issued_count
        SELECT local_day, service_id, count(*) FROM ticket WHERE status != 'cancelled' GROUP BY 1, 2;

    CREATE TRIGGER waiting_count_insert AFTER INSERT ON ticket WHEN new.status = 'waiting' BEGIN
        INSERT OR IGNORE INTO waiting_count VALUES
            (new.local_day, new.service_id, coalesce(new.target_window_id, 0), new.priority, 0);
        UPDATE waiting_count SET n = n + 1 WHERE local_day = new.local_day AND service_id = new.service_id
            AND target_window_id = coalesce(new.target_window_id, 0) AND priority = new.priority;
    END;
    CREATE TRIGGER waiting_count_delete AFTER DELETE ON ticket WHEN old.status = 'waiting' BEGIN
        UPDATE waiting_count SET n = n - 1 WHERE local_day = old.local_day AND service_id = old.service_id
            AND target_window_id = coalesce(old.target_window_id, 0) AND priority = old.priority;
    END;
    CREATE TRIGGER waiting_count_update_old
        AFTER UPDATE OF status, local_day, service_id, target_window_id, priority ON ticket
        WHEN old.status = 'waiting' BEGIN
        UPDATE waiting_count SET n = n - 1 WHERE local_day = old.local_day AND service_id = old.service_id
            AND target_window_id = coalesce(old.target_window_id, 0) AND priority = old.priority;
    END;
    CREATE TRIGGER waiting_count_update_new
        AFTER UPDATE OF status, local_day, service_id, target_window_id, priority ON ticket
        WHEN new.status = 'waiting' BEGIN
        INSERT OR IGNORE INTO waiting_count VALUES
            (new.local_day, new.service_id, coalesce(new.target_window_id, 0), new.priority, 0);
        UPDATE waiting_count SET n = n + 1 WHERE local_day = new.local_day AND service_id = new.service_id
            AND target_window_id = coalesce(new.target_window_id, 0) AND priority = new.priority;
    END;

    CREATE TRIGGER issued_count_insert AFTER INSERT ON ticket WHEN new.status != 'cancelled' BEGIN
        INSERT OR IGNORE INTO issued_count VALUES (new.local_day, new.service_id, 0);
        UPDATE issued_count SET n = n + 1 WHERE local_day = new.local_day AND service_id = new.service_id;
    END;
    CREATE TRIGGER issued_count_delete AFTER DELETE ON ticket WHEN old.status != 'cancelled' BEGIN
        UPDATE issued_count SET n = n - 1 WHERE local_day = old.local_day AND service_id = old.service_id;
    END;
    CREATE TRIGGER issued_count_update_old AFTER UPDATE OF status, local_day, service_id ON ticket
        WHEN old.status != 'cancelled' BEGIN
        UPDATE issued_count SET n = n - 1 WHERE local_day = old.local_day AND service_id = old.service_id;
    END;
    CREATE TRIGGER issued_count_update_new AFTER UPDATE OF status, local_day, service_id ON ticket
        WHEN new.status != 'cancelled' BEGIN
        INSERT OR IGNORE INTO issued_count VALUES (new.local_day, new.service_id, 0);
        UPDATE issued_count SET n = n + 1 WHERE local_day = new.local_day AND service_id = new.service_id;
    END;

    -- call order per service, walked from its first entry: call-next reads one row per service
    CREATE INDEX ticket_call_order ON ticket(status, local_day, service_id, priority DESC, line_key);
""")


def waiting_counts(db, local_day) -> list[tuple[int, int, int, int]]:
    """(service_id, target_window_id or 0, priority, waiting tickets) of a day, from the kept counts."""
    return [tuple(r) for r in db.execute(
        "SELECT service_id, target_window_id, priority, n FROM waiting_count WHERE local_day = ? AND n > 0",
        [local_day])]


def window_services_pairs(db) -> list[tuple[int, int]]:
    """(window_id, service_id) of every window's services."""
    return [tuple(r) for r in db.execute("SELECT window_id, service_id FROM window_service")]


# 好差评 from its two channels only (the window's evaluator, the citizen's ticket page), and
# sessions the server can end: a rating may be voided (kept, with who and why, and left out of
# every figure); a staff member's session generation rises at logout, password reset or
# disabling, and a login cookie of an older generation is refused. Failed logins are counted per
# account and per address, to slow down guessing.
MIGRATIONS.append("""
    ALTER TABLE evaluation ADD COLUMN reasons TEXT;
    ALTER TABLE evaluation ADD COLUMN voided_at TEXT;
    ALTER TABLE evaluation ADD COLUMN voided_by INTEGER REFERENCES staff(id);
    ALTER TABLE evaluation ADD COLUMN void_reason TEXT;
    UPDATE evaluation SET voided_at = at, void_reason = '工作人员代为登记，不计入评价' WHERE source = 'staff';
    DROP INDEX evaluation_stats;
    CREATE INDEX evaluation_stats ON evaluation(at, level, window_id, staff_id, voided_at);
    ALTER TABLE staff ADD COLUMN session_generation INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE login_failure (
        key TEXT PRIMARY KEY,
        failures INTEGER NOT NULL,
        last_at TEXT NOT NULL
    );
""")


def bump_session_generation(db, staff_id):
    db.execute("UPDATE staff SET session_generation = session_generation + 1 WHERE id = ?", [staff_id])


def login_failures(db, keys) -> list[dict]:
    return rows(db.execute(f"SELECT * FROM login_failure WHERE key IN ({','.join('?' * len(keys))})", list(keys)))


def record_login_failure(db, key, at):
    db.execute("INSERT INTO login_failure (key, failures, last_at) VALUES (?, 1, ?) "
               "ON CONFLICT (key) DO UPDATE SET failures = failures + 1, last_at = excluded.last_at", [key, at])


def clear_login_failures(db, key):
    db.execute("DELETE FROM login_failure WHERE key = ?", [key])


def forget_login_failures_before(db, at):
    db.execute("DELETE FROM login_failure WHERE last_at < ?", [at])


# Every index on `ticket` is written at each issue and again at each call and finish: the ones no
# query needs go. (status, service_id, …) served only the retire check, which ticket_recent_done
# answers; (local_day, service_id) is the start of ticket_stats; issued_at alone is never searched;
# the people-ahead count walks the call order, which now carries the reserved window too.
MIGRATIONS.append("""
    DROP INDEX ticket_waiting;
    DROP INDEX ticket_day_service;
    DROP INDEX ticket_issued;
    DROP INDEX ticket_waiting_today;
    DROP INDEX ticket_call_order;
    CREATE INDEX ticket_call_order ON ticket(status, local_day, service_id, priority DESC, line_key, id, target_window_id);
""")
