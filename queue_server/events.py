"""In-process fan-out of the event log to `/stream` subscribers.

The event log in SQLite is the truth; the broker keeps the most recent events in memory so
that hundreds of idle subscribers can be woken by one commit without each querying the
database. A subscriber that is further behind than the buffer (a display back after a night)
reads the gap from the database. Works with real threads and with gevent's patched ones."""

from __future__ import annotations

import collections
import contextlib
import json
import threading

from . import store

BUFFER_SIZE = 2000


class EventBroker:
    def __init__(self, open_db, buffer_size: int = BUFFER_SIZE):
        self._open_db = open_db  # opens a connection to the hall database
        self._buffer: collections.deque = collections.deque(maxlen=buffer_size)
        self._buffer_lock = threading.Lock()
        # set, and replaced by a fresh one, each time new events arrive: one Event wakes every
        # subscriber at once (a Condition would release one lock per waiter)
        self._arrived = threading.Event()
        self._last_id = None  # highest event id loaded into the buffer
        self._load_lock = threading.Lock()
        # The broker's own reads go through one connection held for the life of the process. Holding
        # it also keeps SQLite's WAL file alive: otherwise every request, closing the last open
        # connection, checkpoints and deletes the WAL and the next one recreates it (fsyncs each time).
        self._db = None
        self._db_lock = threading.Lock()

    @contextlib.contextmanager
    def _reading(self):
        with self._db_lock:
            if self._db is None:
                self._db = self._open_db()
            yield self._db

    @property
    def last_id(self) -> int:
        if self._last_id is None:
            with self._reading() as db:
                self._last_id = store.last_event_id(db)
        return self._last_id

    def notify(self, db=None):
        """Load events committed since the last load and wake every subscriber."""
        with self._load_lock:
            after = self.last_id  # also opens the broker's connection on the first write
            if db is None:
                with self._reading() as own:
                    fresh = store.events_after(own, after)
            else:
                fresh = store.events_after(db, after)
            if not fresh:
                return
            with self._buffer_lock:
                self._buffer.extend(fresh)
                self._last_id = fresh[-1]["id"]
                arrived, self._arrived = self._arrived, threading.Event()
            arrived.set()

    def events_after(self, event_id: int) -> list[dict]:
        """Everything after `event_id`, from memory when the buffer covers it, else from SQLite."""
        with self._buffer_lock:
            if self._buffer and self._buffer[0]["id"] <= event_id + 1:
                # walk back from the newest: each woken subscriber costs O(new events), not O(buffer)
                fresh = []
                for event in reversed(self._buffer):
                    if event["id"] <= event_id:
                        break
                    fresh.append(event)
                return fresh[::-1]
        with self._reading() as db:
            return store.events_after(db, event_id, limit=10_000)

    def wait(self, event_id: int, timeout: float) -> bool:
        """Block until an event newer than `event_id` exists or `timeout` passes."""
        arrived = self._arrived  # taken before the check: an event loaded after it sets this one
        if (self._last_id or 0) > event_id:
            return True
        arrived.wait(timeout)
        return (self._last_id or 0) > event_id


def format_sse(event: dict) -> str:
    """The event as SSE text; formatted once and kept on the (shared, buffered) event dict, since
    every subscriber sends the same text."""
    text = event.get("_sse")
    if text is None:
        payload = {"id": event["id"], "type": event["type"], "at": event["at"], "data": event["data"]}
        text = f"id: {event['id']}\nevent: {event['type']}\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"
        event["_sse"] = text
    return text
