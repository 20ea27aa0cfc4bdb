"""The hall's SQLite store: connection settings, migrations, and every SQL statement
of the queue. Nothing outside this module writes SQL for the queue server.

Timestamps are UTC ISO-8601 strings (`2026-11-25T01:30:00.123456+00:00`); the hall's
local day (`local_day`, `YYYY-MM-DD`) is computed by the domain and stored beside them."""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

BUSY_TIMEOUT_MS = 10_000

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


def connect(path: str | Path) -> sqlite_utils.Database:
    """Open the hall database with the settings every connection needs.

    isolation_level=None: we issue BEGIN IMMEDIATE ourselves where it matters."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                           check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA synchronous=NORMAL")
    return sqlite_utils.Database(conn)


def migrate(db: sqlite_utils.Database) -> int:
    """Apply the migrations not yet applied; returns the schema version."""
    with immediate(db):
        version = db.execute("PRAGMA user_version").fetchone()[0]
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in _statements(script):
                db.execute(statement)
            db.execute(f"PRAGMA user_version={number}")
    return len(MIGRATIONS)


def _statements(script: str):
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                yield buffer
            buffer = ""


@contextmanager
def immediate(db: sqlite_utils.Database):
    """One write transaction that takes the write lock up front (BEGIN IMMEDIATE), so a
    read-then-write (next number, next ticket) cannot interleave with another writer."""
    conn = db.conn
    if conn.in_transaction:  # nested: join the outer transaction
        yield db
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


def row(cursor) -> dict | None:
    found = cursor.fetchone()
    return dict(found) if found is not None else None


def rows(cursor) -> list[dict]:
    return [dict(r) for r in cursor.fetchall()]


# --- hall structure -------------------------------------------------------------

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


def list_services(db):
    return rows(db.execute(
        "SELECT s.*, d.name AS department FROM service s JOIN department d ON d.id = s.department_id "
        "ORDER BY d.sort_order, d.id, s.sort_order, s.id"))


def get_window(db, number):
    return row(db.execute("SELECT * FROM window WHERE number = ?", [number]))


def get_window_by_id(db, window_id):
    return row(db.execute("SELECT * FROM window WHERE id = ?", [window_id]))


def list_windows(db):
    return rows(db.execute(
        "SELECT w.*, st.name AS staff_name, st.employee_no AS staff_employee_no, st.photo AS staff_photo "
        "FROM window w LEFT JOIN staff st ON st.id = w.staff_id ORDER BY w.number"))


def window_service_ids(db, window_id) -> list[int]:
    return [r[0] for r in db.execute(
        "SELECT service_id FROM window_service WHERE window_id = ? ORDER BY position", [window_id])]


def windows_serving(db, service_id) -> list[dict]:
    return rows(db.execute(
        "SELECT w.* FROM window w JOIN window_service ws ON ws.window_id = w.id WHERE ws.service_id = ?",
        [service_id]))


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
    return db.execute("SELECT count(*) FROM ticket WHERE service_id = ? AND local_day = ? AND status != 'cancelled'",
                      [service_id, local_day]).fetchone()[0]


def insert_ticket(db, values: dict) -> int:
    return db["ticket"].insert(values).last_pk


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
    "WHERE t.status = 'waiting' AND t.local_day = :day "
    "AND (t.target_window_id IS NULL OR t.target_window_id = :window_id) "
)


def next_callable_ticket(db, window_id, local_day):
    """Priority first (绿色通道, appointments), then place in line (issue time)."""
    return row(db.execute(
        "SELECT t.id " + _CALLABLE + "ORDER BY t.priority DESC, t.line_key, t.id LIMIT 1",
        {"window_id": window_id, "day": local_day}))


def list_callable_tickets(db, window_id, local_day, limit=50):
    return rows(db.execute(
        "SELECT t.id, t.number, t.priority, t.issued_at, t.service_id, s.name AS service " + _CALLABLE.replace(
            "WHERE", "JOIN service s ON s.id = t.service_id WHERE") +
        "ORDER BY t.priority DESC, t.line_key, t.id LIMIT :limit",
        {"window_id": window_id, "day": local_day, "limit": limit}))


def waiting_line_keys(db, service_id, local_day, limit):
    """Line keys of a service's waiting tickets in call order (for 过号顺延)."""
    return [r[0] for r in db.execute(
        "SELECT line_key FROM ticket WHERE status = 'waiting' AND service_id = ? AND local_day = ? "
        "ORDER BY priority DESC, line_key, id LIMIT ?", [service_id, local_day, limit])]


def count_ahead(db, ticket) -> int:
    """Waiting tickets of the same service that will be called before this one."""
    return db.execute(
        "SELECT count(*) FROM ticket WHERE status = 'waiting' AND service_id = ? AND local_day = ? "
        "AND (priority > ? OR (priority = ? AND (line_key < ? OR (line_key = ? AND id < ?))))",
        [ticket["service_id"], ticket["local_day"], ticket["priority"], ticket["priority"],
         ticket["line_key"], ticket["line_key"], ticket["id"]]).fetchone()[0]


def count_waiting_by_service(db, local_day) -> dict[int, int]:
    return {r[0]: r[1] for r in db.execute(
        "SELECT service_id, count(*) FROM ticket WHERE status = 'waiting' AND local_day = ? GROUP BY service_id",
        [local_day])}


def count_issued_by_service(db, local_day) -> dict[int, int]:
    return {r[0]: r[1] for r in db.execute(
        "SELECT service_id, count(*) FROM ticket WHERE local_day = ? AND status != 'cancelled' GROUP BY service_id",
        [local_day])}


def recent_handle_seconds(db, service_id, limit) -> list[float]:
    return [r[0] for r in db.execute(
        "SELECT (julianday(finished_at) - julianday(first_called_at)) * 86400 FROM ticket "
        "WHERE service_id = ? AND status = 'done' AND first_called_at IS NOT NULL "
        "ORDER BY finished_at DESC LIMIT ?", [service_id, limit])]


def update_ticket(db, ticket_id, **values):
    db["ticket"].update(ticket_id, values)


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


def last_event_id(db) -> int:
    return db.execute("SELECT coalesce(max(id), 0) FROM event").fetchone()[0]


def recent_call_events(db, limit) -> list[dict]:
    found = rows(db.execute(
        "SELECT * FROM event WHERE type IN ('ticket_called','ticket_recalled') ORDER BY id DESC LIMIT ?", [limit]))
    for event in found:
        event["data"] = json.loads(event["data"])
    return found


def count_events_by_type(db, local_day_start_utc=None) -> dict:
    return {r[0]: r[1] for r in db.execute("SELECT type, count(*) FROM event GROUP BY type")}


# --- evaluations ----------------------------------------------------------------

def get_evaluation_for_ticket(db, ticket_id):
    return row(db.execute("SELECT * FROM evaluation WHERE ticket_id = ?", [ticket_id]))


def insert_evaluation(db, values: dict) -> int:
    return db["evaluation"].insert(values).last_pk


def healthcheck(db) -> bool:
    return db.execute("SELECT 1").fetchone()[0] == 1
