"""SQLite plumbing shared by the hall's store (`queue_server.store`) and the content store
(`content.store`): how a connection is opened, the write transaction, numbered migrations.

Each store keeps its own schema and its own SQL; only the mechanics live here."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

BUSY_TIMEOUT_MS = 10_000


def connect(path: str | Path, foreign_keys: bool = True, autocheckpoint: bool = True) -> sqlite_utils.Database:
    """Open a database file with the settings every connection needs.

    isolation_level=None: transactions are ours (`immediate`), never Python's implicit ones.
    WAL lets readers go on while one writer writes. `autocheckpoint=False`: this connection's
    commits never copy the WAL back into the file themselves (`checkpoint_aside` does)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                           check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    if foreign_keys:
        conn.execute("PRAGMA foreign_keys=ON")
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA synchronous=NORMAL")
    if not autocheckpoint:
        conn.execute("PRAGMA wal_autocheckpoint=0")
    db = sqlite_utils.Database(conn)
    db.govhall_path = str(Path(path).resolve())  # whose write turn it takes (see WriteTurns)
    return db


@contextmanager
def immediate(db: sqlite_utils.Database):
    """One write transaction that takes the write lock up front (BEGIN IMMEDIATE), so a
    read-then-write (next number, next ticket, next version) cannot interleave with another
    writer. Nested use joins the outer transaction."""
    conn = db.conn
    if conn.in_transaction:
        yield db
        return
    turn = WRITE_TURNS.take(getattr(db, "govhall_path", None))
    try:
        begin_immediate(conn)
        try:
            yield db
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")
    finally:
        WRITE_TURNS.give_back(turn)


class WriteTurns:
    """Writers of one server queue for the write lock in the kernel, not in SQLite's busy handler.

    Two worker processes writing at once: SQLite's busy handler makes the one refused sleep 1, 2, 5,
    10 … 100 ms before it asks again, so at a hall's busiest minute numbers wait for nothing. The
    server's workers first take an flock on `<database>.write-turn` (woken the moment it is free),
    then BEGIN IMMEDIATE, which then finds the lock free. Within a worker the greenlets queue first
    come, first served (`_FirstComeLock`). Other processes (the CLI) skip this and meet the busy
    handler as before; SQLite's lock stays the only thing that guarantees one writer."""

    def __init__(self):
        self._files: dict[str, int] = {}
        self._local: dict[str, _FirstComeLock] = {}
        self._pid = None

    def take(self, path: str | None):
        if path is None or not _cooperative():
            return None
        import fcntl
        import os

        import gevent

        if self._pid != os.getpid():  # a forked worker opens its own file (flock is per open file)
            self._files, self._local, self._pid = {}, {}, os.getpid()
        if path not in self._files:
            self._files[path] = os.open(f"{path}.write-turn", os.O_RDWR | os.O_CREAT, 0o600)
            self._local[path] = _FirstComeLock()
        fd, local = self._files[path], self._local[path]
        local.acquire()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                gevent.get_hub().threadpool.apply(fcntl.flock, (fd, fcntl.LOCK_EX))
            except BaseException:
                local.release()
                raise
        return fd, local

    def give_back(self, turn):
        if turn is None:
            return
        import fcntl

        fd, local = turn
        fcntl.flock(fd, fcntl.LOCK_UN)
        local.release()


class _FirstComeLock:
    """A worker's greenlets take the write turn in the order they asked for it. gevent's own lock
    is taken by whichever greenlet asks while it is free, so under a flood of requests the one
    woken to take it usually found it taken again, and some kiosks waited a second."""

    def __init__(self):
        import collections

        self._held = False
        self._waiting = collections.deque()

    def acquire(self):
        if not self._held and not self._waiting:
            self._held = True
            return
        from gevent.event import Event

        handed = Event()
        self._waiting.append(handed)
        try:
            handed.wait()
        except BaseException:  # killed or timed out while waiting: the turn may already be ours
            if handed.is_set():
                self.release()
            else:
                self._waiting.remove(handed)
            raise

    def release(self):
        if self._waiting:
            self._waiting.popleft().set()  # handed over: it stays held
        else:
            self._held = False


WRITE_TURNS = WriteTurns()


def _cooperative() -> bool:
    """Whether this process runs gevent's patched threads (the server's worker)."""
    try:
        from gevent import monkey
    except ImportError:
        return False
    return monkey.is_module_patched("threading")


# a page changed by many commits in between (the day's index leaves) is copied back once: at 300
# tickets/s every half second cost the workers about a tenth more CPU per ticket
CHECKPOINT_SECONDS = 2.0


def checkpoint_aside(path: str | Path) -> bool:
    """In a server worker, copy the WAL back into the database file on an OS thread of its own,
    every CHECKPOINT_SECONDS; returns whether it does (the worker's connections then open with
    `autocheckpoint=False`).

    Otherwise the commit that crosses SQLite's 1000-page mark does the copy itself, with two
    fsyncs, while it still holds the write lock and, under gevent, the whole worker: every few
    dozen tickets one request (and every other writer waiting behind it) would pay tens of
    milliseconds. A PASSIVE checkpoint never waits for a lock and never stops a writer; SQLite
    releases the GIL while it copies and syncs."""
    if not _cooperative():
        return False
    import gevent
    from gevent import monkey

    sleep = monkey.get_original("time", "sleep")  # this OS thread's own sleep, not a greenlet's

    import logging

    log = logging.getLogger(__name__)

    def copy_back_forever():
        db, failing_with = None, None
        while True:
            sleep(CHECKPOINT_SECONDS)
            try:
                if db is None:
                    db = connect(path)
                db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                if failing_with is not None:
                    log.info("checkpoint of %s works again", path)
                    failing_with = None
            except sqlite3.Error as error:  # a locked, replaced or damaged file: a fresh connection next time
                if str(error) != failing_with:  # said once, not twice a second while the file stays bad
                    log.warning("checkpoint of %s: %s", path, error)
                    failing_with = str(error)
                if db is not None:
                    db.conn.close()
                db = None

    gevent.get_hub().threadpool.spawn(copy_back_forever)
    return True


def begin_immediate(conn: sqlite3.Connection, timeout_ms: int | None = None):
    """BEGIN IMMEDIATE, without freezing a gevent worker while another process holds the write lock.

    SQLite waits for a lock by sleeping in C, which under gevent stops every other request of the
    worker, reads included. So the lock is first asked for without waiting; only when it is taken
    does the waiting (up to the busy timeout) happen on one of gevent's real threads, while the
    worker's other requests go on. Only BEGIN waits: in WAL mode nothing inside the transaction does.
    `timeout_ms` waits less than the connection's busy timeout (the health check's bound)."""
    if timeout_ms is None and not _cooperative():
        conn.execute("BEGIN IMMEDIATE")
        return
    conn.execute("PRAGMA busy_timeout=0")
    try:
        conn.execute("BEGIN IMMEDIATE")
        return
    except sqlite3.OperationalError as error:
        if "locked" not in str(error) and "busy" not in str(error):
            raise
    finally:
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")

    def wait_for_lock():
        if timeout_ms is not None:
            conn.execute(f"PRAGMA busy_timeout={timeout_ms}")
        try:
            conn.execute("BEGIN IMMEDIATE")
        finally:
            if timeout_ms is not None:
                conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")

    if _cooperative():
        import gevent

        gevent.get_hub().threadpool.apply(wait_for_lock)
    else:
        wait_for_lock()


@contextmanager
def snapshot(db: sqlite_utils.Database):
    """Several reads that see one state of the database (a deferred transaction, no write lock)."""
    conn = db.conn
    if conn.in_transaction:
        yield db
        return
    conn.execute("BEGIN")
    try:
        yield db
    finally:
        conn.execute("COMMIT")


def migrate(db: sqlite_utils.Database, migrations: list[str]) -> int:
    """Apply the numbered migrations not yet applied (PRAGMA user_version counts them), in one
    transaction; returns the schema version."""
    if db.execute("PRAGMA user_version").fetchone()[0] >= len(migrations):
        return len(migrations)
    with immediate(db):
        version = db.execute("PRAGMA user_version").fetchone()[0]
        for number, script in enumerate(migrations[version:], start=version + 1):
            for statement in statements(script):
                db.execute(statement)
            db.execute(f"PRAGMA user_version={number}")
    return len(migrations)


def statements(script: str):
    """The statements of an SQL script one by one (executescript would commit our transaction)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                yield buffer
            buffer = ""


def row(cursor) -> dict | None:
    found = cursor.fetchone()
    return dict(found) if found is not None else None


def rows(cursor) -> list[dict]:
    return [dict(r) for r in cursor.fetchall()]


class ConnectionPool:
    """Connections reused from request to request: a fresh one re-parses the schema and starts
    with a cold page cache, which cost more than a ticket's own queries. A gevent worker may have
    dozens of requests in flight (kiosks issuing flat out), so it keeps up to 32: with 16, one
    request in a few opened a connection of its own and closed it again. Each kept connection
    holds its own page cache, so the number stays bounded."""

    def __init__(self, path, keep: int = 32, autocheckpoint: bool = True):
        self.path, self.keep, self.autocheckpoint = path, keep, autocheckpoint
        self._idle: list = []  # list.pop/append are atomic under the GIL and never yield under gevent

    def take(self) -> sqlite_utils.Database:
        try:
            return self._idle.pop()
        except IndexError:
            return connect(self.path, autocheckpoint=self.autocheckpoint)

    def give_back(self, db: sqlite_utils.Database):
        if db.conn.in_transaction:  # a request that failed half-way must not leak its transaction
            db.conn.execute("ROLLBACK")
        if len(self._idle) < self.keep:
            self._idle.append(db)
        else:
            db.conn.close()
