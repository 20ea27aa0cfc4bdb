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
from dataclasses import dataclass

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


# --- audiences ------------------------------------------------------------------
# Hall and window screens and phones subscribe without a token: they get the public picture
# (calls, window states, waiting counts), never ratings, follow-up or audit events. Staff and
# admins get every event; a window's evaluator also gets the ticket ids of its own window (it
# rates by id).

PUBLIC_EVENT_TYPES = frozenset({
    "ticket_issued", "ticket_called", "ticket_recalled", "ticket_serving", "ticket_no_show", "ticket_finished",
    "ticket_held", "ticket_requeued", "ticket_transferred", "ticket_cancelled",
    "window_opened", "window_closed", "window_paused", "window_resumed", "hall_changed",
})
PUBLIC_EVENT_FIELDS = ("number", "service_id", "service", "department", "status", "window", "window_name",
                       "state", "pause_reason", "staff_name", "from_window", "to_window")
PUBLIC_HALL_CHANGES = frozenset({"department", "service", "window", "hall_day"})
HIDDEN_EVENT_TYPE = "hidden"


@dataclass(frozen=True)
class Audience:
    everything: bool = False
    window_id: int | None = None  # an evaluator's window: its events keep the ticket id

    def sees(self, event: dict) -> dict | None:
        """The event as this audience may see it, or None."""
        if self.everything:
            return event
        if event["type"] not in PUBLIC_EVENT_TYPES:
            return None
        if event["type"] == "hall_changed":
            # the hall's shape (departments, services, windows, its calendar) is on every screen anyway;
            # staff accounts, tokens and kiosks are the admin's business: an audit trail
            if event["data"].get("what") not in PUBLIC_HALL_CHANGES:
                return None
            data = event["data"]
        else:
            data = {key: event["data"][key] for key in PUBLIC_EVENT_FIELDS if key in event["data"]}
            if self.window_id is not None and event.get("window_id") == self.window_id and "id" in event["data"]:
                data["id"] = event["data"]["id"]
        return {"id": event["id"], "type": event["type"], "at": event["at"], "data": data}


EVERYONE = Audience()
STAFF = Audience(everything=True)


def format_for(event: dict, audience: Audience) -> str | None:
    if audience.everything:
        return format_sse(event)
    if audience == EVERYONE:  # the many screens: formatted once, kept on the shared event like format_sse
        if "_sse_public" not in event:
            seen = audience.sees(event)
            event["_sse_public"] = None if seen is None else _sse_text(seen)
        return event["_sse_public"]
    seen = audience.sees(event)
    return None if seen is None else _sse_text(seen)


def format_hidden(event_id: int) -> str:
    """Stands for events this audience may not see, so its last id still moves on (a screen that
    compares its last id with the snapshot's would otherwise think its stream died)."""
    return _sse_text({"id": event_id, "type": HIDDEN_EVENT_TYPE, "at": None, "data": {}})


def _sse_text(payload: dict) -> str:
    return (f"id: {payload['id']}\nevent: {payload['type']}\n"
            f"data: {json.dumps(payload, ensure_ascii=False)}\n\n")
