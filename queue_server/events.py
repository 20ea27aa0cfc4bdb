"""In-process fan-out of the event log to `/stream` subscribers.

The event log in SQLite is the truth; the broker keeps the most recent events in memory so
that hundreds of idle subscribers can be woken by one commit without each querying the
database. A subscriber that is further behind than the buffer (a display back after a night)
reads the gap from the database. Works with real threads and with gevent's patched ones.

Each server worker has its own broker. A commit made by this worker wakes its subscribers at
once (`notify`); commits made elsewhere (another worker, the CLI, an admin's script) are picked up
by a tail that asks SQLite every TAIL_SECONDS whether the file changed (`PRAGMA data_version`,
answered from memory), so any worker can serve any display and ids stay the log's own.

Waking every subscriber costs a write per subscriber, so wake-ups are paced: a few at once (a hall's
call, its finish and the next ticket each wake the screens at once), then at most one per
WAKE_INTERVAL while commits keep coming (kiosks issuing flat out). Each wake-up then carries every
event committed since the last one, in one write per subscriber.

In a server worker a subscriber that has caught up is *parked* (`park`): its greenlet sleeps and
the broker's one writer sends each round's bytes — encoded and framed once per audience, the same
bytes object for everyone — straight to every parked socket with a non-blocking write. A screen
costs a system call per round, not a greenlet switch, a generator step and a timer. A socket that
cannot take a round whole (a slow or gone client) is handed back to its own greenlet, which sends
the rest and catches up at its own pace."""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import os
import sqlite3
import threading
import time
from dataclasses import dataclass

from . import store

log = logging.getLogger(__name__)

BUFFER_SIZE = 2000
TAIL_SECONDS = 0.05
WAKE_BURST = 4          # wake-ups at once before pacing starts
# then one per this many seconds (and one more per interval of quiet, up to the burst): a screen
# costs a write per round, so under a flood of commits fewer, fuller rounds leave the CPU to them
WAKE_INTERVAL = 0.10
# the parked subscribers' writer rests this many times as long as its last round of writes took:
# fan-out never takes more than a fifth of the worker, however many screens and tickets there are
FANOUT_REST_FACTOR = 4.0


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
        self._tailing = False
        self._wake_tokens = float(WAKE_BURST)
        self._tokens_at = time.monotonic()
        self._wake_due = threading.Event()  # a wake-up was held back: the pacer does it when a token is back
        self._pacing = False
        self._wake_held = False  # events are loaded that no subscriber was woken for yet
        self._parked: dict[int, Parked] = {}
        self._round_due = threading.Event()
        self._writing = False

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
        """Load events committed since the last load into the buffer and wake every subscriber, now
        or, when wake-ups come faster than the pace allows, within WAKE_INTERVAL (the pacer's).
        A call that finds nothing new (another process wrote something else) wakes nobody."""
        with self._load_lock:
            after = self.last_id  # also opens the broker's connection on the first write
            if db is None:
                with self._reading() as own:
                    fresh = store.events_after(own, after)
            else:
                fresh = store.events_after(db, after)
            if fresh:
                with self._buffer_lock:
                    self._buffer.extend(fresh)
                    self._last_id = fresh[-1]["id"]
            elif not self._wake_held:
                return
            if not self._take_wake_token():
                self._wake_held = True
                self._start_pacer()
                self._wake_due.set()
                return
            self._wake_held = False
            with self._buffer_lock:
                arrived, self._arrived = self._arrived, threading.Event()
            arrived.set()
            if self._parked:
                self._round_due.set()

    def _take_wake_token(self) -> bool:
        now = time.monotonic()
        self._wake_tokens = min(float(WAKE_BURST), self._wake_tokens + (now - self._tokens_at) / WAKE_INTERVAL)
        self._tokens_at = now
        if self._wake_tokens < 1.0:
            return False
        self._wake_tokens -= 1.0
        return True

    def _start_pacer(self):
        if self._pacing:
            return
        self._pacing = True
        threading.Thread(target=self._pace, name="govhall-event-pacer", daemon=True).start()

    def _pace(self):
        while True:
            self._wake_due.wait()
            self._wake_due.clear()
            time.sleep(max(0.0, (1.0 - self._wake_tokens) * WAKE_INTERVAL))
            try:
                self.notify()  # a token is back: wakes for everything held back (or waits again)
            except sqlite3.Error as error:  # the tail's next tick tries again
                log.warning("event pacer: %s", error)

    # --- parked subscribers --------------------------------------------------------

    def park(self, fd: int, audience: "Audience", last_id: int, frame, heartbeat_seconds: float) -> "Parked | None":
        """Hand a caught-up subscriber's socket (non-blocking, `fd`) to the broker's writer and sleep
        until it gives it back: the client is gone (`closed`), or could not take a round whole
        (`unsent` is what is left of it; `last_id` is then the round's last event). None at once
        when events newer than `last_id` are already here (the caller sends them itself first).

        `frame(body) -> bytes` wraps a write for the connection (HTTP chunked encoding); every
        `heartbeat_seconds` without events a framed comment keeps proxies from closing it."""
        if (self._last_id or 0) > last_id:
            return None
        parked = Parked(fd, audience, last_id, frame, heartbeat_seconds)
        self._parked[id(parked)] = parked
        try:
            self._start_writer()
            parked.given_back.wait()
        finally:  # also when the wait is cut short (the worker stopping): its fd is never written again
            self._parked.pop(id(parked), None)
        return parked

    def _start_writer(self):
        if self._writing:
            return
        self._writing = True
        self.start_tailing()
        threading.Thread(target=self._write_rounds, name="govhall-event-writer", daemon=True).start()

    def _write_rounds(self):
        while True:
            self._round_due.wait(1.0)  # also wakes now and then for the heartbeats
            self._round_due.clear()
            began = time.perf_counter()
            try:
                self._write_round()
            except Exception:  # never leave parked subscribers asleep for good
                log.exception("event writer")
                for parked in list(self._parked.values()):
                    self._give_back(parked, closed=True)
            time.sleep((time.perf_counter() - began) * FANOUT_REST_FACTOR)

    def _write_round(self):
        """One write to every parked subscriber that has something to get: events, or a heartbeat."""
        newest = self._last_id or 0
        now = time.monotonic()
        rounds: dict[tuple, tuple[bytes, int]] = {}  # (audience, from id) → (framed bytes, last id)
        for parked in list(self._parked.values()):
            if parked.last_id < newest:
                key = (parked.audience.key, parked.last_id)
                if key not in rounds:
                    fresh = self.events_after(parked.last_id)
                    body = parked.audience.chunk(fresh) if fresh else b""
                    rounds[key] = (parked.frame(body) if body else b"", fresh[-1]["id"] if fresh else parked.last_id)
                data, parked.last_id = rounds[key]
            elif now - parked.sent_at >= parked.heartbeat_seconds:
                data = parked.frame(b": keep-alive\n\n")
            else:
                continue
            if not data:
                continue
            try:
                written = os.write(parked.fd, data)
            except BlockingIOError:
                written = 0
            except OSError:  # reset or closed by the client
                self._give_back(parked, closed=True)
                continue
            parked.sent_at = now
            if written < len(data):
                self._give_back(parked, unsent=data[written:])

    def _give_back(self, parked: "Parked", unsent: bytes = b"", closed: bool = False):
        self._parked.pop(id(parked), None)
        parked.unsent, parked.closed = unsent, closed
        parked.given_back.set()

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

    def start_tailing(self):
        """Pick up commits of other processes from now on (started by the first subscriber)."""
        if self._tailing:
            return
        self._tailing = True
        threading.Thread(target=self._tail, name="govhall-event-tail", daemon=True).start()

    def _tail(self):
        seen = None
        while True:
            time.sleep(TAIL_SECONDS)
            try:
                with self._reading() as db:
                    version = db.execute("PRAGMA data_version").fetchone()[0]
                if version != seen:
                    seen = version
                    self.notify()
            except sqlite3.Error as error:  # a locked or replaced file: try again on the next tick
                log.warning("event tail: %s", error)
                with self._db_lock:
                    self._db = None  # reopened on the next read (the file may have been restored)

    def wait(self, event_id: int, timeout: float) -> bool:
        """Block until an event newer than `event_id` exists or `timeout` passes."""
        self.start_tailing()
        arrived = self._arrived  # taken before the check: an event loaded after it sets this one
        if (self._last_id or 0) > event_id:
            return True
        arrived.wait(timeout)
        return (self._last_id or 0) > event_id


class Parked:
    """A subscriber's socket while the broker's writer serves it (see EventBroker.park)."""

    __slots__ = ("fd", "audience", "last_id", "frame", "heartbeat_seconds", "sent_at", "given_back", "unsent",
                 "closed")

    def __init__(self, fd, audience, last_id, frame, heartbeat_seconds):
        self.fd, self.audience, self.last_id, self.frame = fd, audience, last_id, frame
        self.heartbeat_seconds = heartbeat_seconds
        self.sent_at = time.monotonic()
        self.given_back = threading.Event()
        self.unsent, self.closed = b"", False


def format_sse(event: dict, audience: str = "all", shape=None) -> bytes:
    """The event as SSE bytes, encoded once per audience and kept on the (shared, buffered) event
    dict: every subscriber of an audience is sent the very same bytes object, never its own copy.

    `shape(payload) -> payload or None` makes an audience's version of the payload (fields left out);
    None leaves the event out for that audience (b"")."""
    encoded = event.get("_sse")
    if encoded is None:
        encoded = event["_sse"] = {}
    text = encoded.get(audience)
    if text is None:
        payload = {"id": event["id"], "type": event["type"], "at": event["at"], "data": event["data"]}
        if shape is not None:
            payload = shape(payload)
        text = b"" if payload is None else (
            f"id: {event['id']}\nevent: {event['type']}\n"
            f"data: {json.dumps(payload, ensure_ascii=False)}\n\n").encode()
        encoded[audience] = text
    return text


def sse_chunk(events: list[dict], audience: str = "all", shape=None) -> bytes:
    """Several events in one write (a subscriber woken late sends what it missed at once)."""
    if len(events) == 1:
        return format_sse(events[0], audience, shape)
    return b"".join(format_sse(event, audience, shape) for event in events)


# --- audiences ------------------------------------------------------------------
# Hall and window screens and phones subscribe without a token: they get the public picture
# (calls, window states, waiting counts), never ratings, follow-up or audit events. Staff and
# admins get every event; a window's evaluator also gets the ticket ids of its own window (it
# rates by id). Each audience's bytes are encoded once per event (format_sse's cache, by key).

PUBLIC_EVENT_TYPES = frozenset({
    "ticket_issued", "ticket_called", "ticket_recalled", "ticket_serving", "ticket_no_show", "ticket_finished",
    "ticket_held", "ticket_requeued", "ticket_transferred", "ticket_cancelled",
    "window_opened", "window_closed", "window_paused", "window_resumed", "hall_changed",
})
PUBLIC_EVENT_FIELDS = ("number", "service_id", "service", "department", "status", "window", "window_name",
                       "state", "pause_reason", "staff_name", "from_window", "to_window", "called_at")
# the hall's shape (departments, services, windows, its calendar) is on every screen anyway; staff
# accounts, tokens and kiosks are the admin's business: an audit trail
PUBLIC_HALL_CHANGES = frozenset({"department", "service", "window", "hall_day"})
HIDDEN_EVENT_TYPE = "hidden"


@dataclass(frozen=True)
class Audience:
    key: str
    everything: bool = False
    window: int | None = None  # an evaluator's window number: its events keep the ticket id

    def shape(self, payload: dict) -> dict | None:
        """The event (id, type, at, data) as this audience may see it, or None."""
        if self.everything:
            return payload
        data = payload["data"]
        if payload["type"] not in PUBLIC_EVENT_TYPES:
            return None
        if payload["type"] == "hall_changed":
            if data.get("what") not in PUBLIC_HALL_CHANGES:
                return None
            seen = data
        else:
            seen = {key: data[key] for key in PUBLIC_EVENT_FIELDS if key in data}
            if self.window is not None and data.get("window") == self.window and "id" in data:
                seen["id"] = data["id"]
        return {**payload, "data": seen}

    def chunk(self, events: list[dict]) -> bytes:
        """The events this audience may see, in one write; when the last ones are hidden, one
        `hidden` event with their last id stands for them, so the subscriber's last id still moves
        on (a screen comparing it with the snapshot's would otherwise think its stream died)."""
        shape = None if self.everything else self.shape
        chunk = sse_chunk(events, self.key, shape)
        if not self.everything and format_sse(events[-1], self.key, shape) == b"":
            chunk += format_hidden(events[-1]["id"])
        return chunk


EVERYONE = Audience("public")
STAFF = Audience("all", everything=True)


def evaluator_audience(window_number: int) -> Audience:
    return Audience(f"window:{window_number}", window=window_number)


def format_hidden(event_id: int) -> bytes:
    payload = {"id": event_id, "type": HIDDEN_EVENT_TYPE, "at": None, "data": {}}
    return (f"id: {event_id}\nevent: {HIDDEN_EVENT_TYPE}\n"
            f"data: {json.dumps(payload, ensure_ascii=False)}\n\n").encode()
