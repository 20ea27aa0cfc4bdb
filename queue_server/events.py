"""In-process fan-out of the event log to `/stream` subscribers.

The event log in SQLite is the truth; the broker keeps the most recent events in memory so
that hundreds of idle subscribers can be woken by one commit without each querying the
database. A subscriber that is further behind than the buffer (a display back after a night)
reads the gap from the database. Works with real threads and with gevent's patched ones."""

from __future__ import annotations

import collections
import json
import threading

from . import store

BUFFER_SIZE = 2000


class EventBroker:
    def __init__(self, open_db, buffer_size: int = BUFFER_SIZE):
        self._open_db = open_db  # opens a short-lived connection to the hall database
        self._buffer: collections.deque = collections.deque(maxlen=buffer_size)
        self._condition = threading.Condition()
        self._last_id = None  # highest event id loaded into the buffer
        self._load_lock = threading.Lock()

    @property
    def last_id(self) -> int:
        if self._last_id is None:
            db = self._open_db()
            try:
                self._last_id = store.last_event_id(db)
            finally:
                db.conn.close()
        return self._last_id

    def notify(self, db=None):
        """Load events committed since the last load and wake every subscriber."""
        with self._load_lock:
            after = self.last_id
            own = db is None
            db = db or self._open_db()
            try:
                fresh = store.events_after(db, after)
            finally:
                if own:
                    db.conn.close()
            if not fresh:
                return
            with self._condition:
                self._buffer.extend(fresh)
                self._last_id = fresh[-1]["id"]
                self._condition.notify_all()

    def events_after(self, event_id: int) -> list[dict]:
        """Everything after `event_id`, from memory when the buffer covers it, else from SQLite."""
        with self._condition:
            buffered = list(self._buffer)
        if buffered and buffered[0]["id"] <= event_id + 1:
            return [e for e in buffered if e["id"] > event_id]
        db = self._open_db()
        try:
            return store.events_after(db, event_id, limit=10_000)
        finally:
            db.conn.close()

    def wait(self, event_id: int, timeout: float) -> bool:
        """Block until an event newer than `event_id` exists or `timeout` passes."""
        with self._condition:
            return self._condition.wait_for(lambda: (self._last_id or 0) > event_id, timeout=timeout)


def format_sse(event: dict) -> str:
    payload = {"id": event["id"], "type": event["type"], "at": event["at"], "data": event["data"]}
    return f"id: {event['id']}\nevent: {event['type']}\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"
