"""The background reader: each card placed is handed over once, trouble is reported once,
and it stops within a second whatever the reader is doing."""

from __future__ import annotations

import threading
import time

import pytest

from idcard import BackgroundCardReader, BadFrame, InvalidReaderURI, ReaderNotFound, ReaderSilent
from idcard.protocol import READ_BASIC
from idcard.samples import ADULT, ELDER
from idcard.simulator import CardReaderSimulator


class Events:
    """What the callbacks saw, in order, with a way to wait for the next."""

    def __init__(self):
        self.seen: list = []
        self.changed = threading.Condition()

    def card(self, card):
        self._add(("card", card))

    def removed(self):
        self._add(("removed",))

    def error(self, error):
        self._add(("error", type(error)))

    def _add(self, event):
        with self.changed:
            self.seen.append(event)
            self.changed.notify_all()

    def wait_for(self, count: int, timeout_s: float = 5) -> list:
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.seen) >= count, timeout_s), f"only {self.seen}"
            return list(self.seen)


def start(simulator: CardReaderSimulator, events: Events, **options) -> BackgroundCardReader:
    return BackgroundCardReader(simulator.uri, on_card=events.card, on_error=events.error,
                                on_removed=events.removed, poll_interval_s=0.05, **options).start()


def test_each_placed_card_is_handed_over_once(simulator):
    events = Events()
    reader = start(simulator, events)
    try:
        simulator.place(ELDER)
        assert events.wait_for(1) == [("card", ELDER)]
        time.sleep(0.5)  # ten polls with the card lying there: nothing more
        assert events.seen == [("card", ELDER)] and simulator.count(READ_BASIC) == 1
        assert reader.card_present
        simulator.remove()
        assert events.wait_for(2)[1] == ("removed",)
        simulator.place(ADULT)
        assert events.wait_for(3)[2] == ("card", ADULT)
        simulator.remove()
        assert events.wait_for(4)[3] == ("removed",)
        simulator.place(ADULT)  # the same card again, after it was taken away
        assert events.wait_for(5)[4] == ("card", ADULT)
    finally:
        assert reader.stop()
    assert reader.last_error is None


def test_a_reader_that_stops_finding_a_card_once_read_hands_it_over_only_once(simulator):
    events = Events()
    simulator.card_quiet_after_read = True
    reader = start(simulator, events)
    try:
        simulator.place(ELDER)
        assert events.wait_for(1) == [("card", ELDER)]
        time.sleep(0.6)  # lying there, unseen by find: taken for gone, never read twice
        assert [event for event in events.seen if event[0] == "card"] == [("card", ELDER)]
        assert simulator.count(READ_BASIC) == 1
        simulator.remove()
        simulator.place(ELDER)  # lifted and laid down again: a new placement
        assert events.wait_for(3)[2] == ("card", ELDER)
    finally:
        assert reader.stop()


def test_a_card_removed_while_read_is_not_handed_over(simulator):
    events = Events()
    simulator.place(ELDER)
    simulator.remove_during_read = True
    reader = start(simulator, events)
    try:
        deadline = time.monotonic() + 5
        while simulator.count(READ_BASIC) < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)
        assert events.seen == [] and not reader.card_present and reader.last_error is None
        simulator.place(ELDER)
        assert events.wait_for(1) == [("card", ELDER)]
    finally:
        assert reader.stop()


def test_a_silent_reader_is_reported_once_and_recovers(simulator):
    events = Events()
    simulator.silent = True
    reader = start(simulator, events, retry_interval_s=0.1)
    try:
        assert events.wait_for(1) == [("error", ReaderSilent)]
        time.sleep(1.0)  # several more silent retries: still one report
        assert events.seen == [("error", ReaderSilent)]
        assert isinstance(reader.last_error, ReaderSilent)
        simulator.silent = False
        simulator.place(ADULT)
        assert events.wait_for(2)[1] == ("card", ADULT)
        assert reader.last_error is None
    finally:
        assert reader.stop()


def test_a_bad_checksum_is_reported(simulator):
    events = Events()
    simulator.bad_checksum = True
    simulator.place(ELDER)
    reader = start(simulator, events, retry_interval_s=0.1)
    try:
        assert events.wait_for(1) == [("error", BadFrame)]
        simulator.bad_checksum = False
        assert events.wait_for(2)[1] == ("card", ELDER)
    finally:
        assert reader.stop()


def test_stop_returns_within_a_second_even_in_the_middle_of_a_slow_read(simulator):
    simulator.read_seconds = 5  # the module is still reading when we ask to stop
    simulator.place(ELDER)
    events = Events()
    reader = start(simulator, events)
    deadline = time.monotonic() + 5
    while simulator.count(READ_BASIC) < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    started = time.monotonic()
    assert reader.stop()
    assert time.monotonic() - started < 1.0
    assert not reader.running and events.seen == []


def test_stop_within_a_second_while_waiting_to_retry_a_missing_reader(tmp_path):
    events = Events()
    reader = BackgroundCardReader(f"serial://{tmp_path}/ttyUSB7", on_card=events.card, on_error=events.error,
                                  retry_interval_s=30).start()
    assert events.wait_for(1) == [("error", ReaderNotFound)]
    started = time.monotonic()
    assert reader.stop()
    assert time.monotonic() - started < 1.0


def test_a_callback_that_raises_does_not_end_the_reading(simulator):
    cards = []

    def clumsy(card):
        cards.append(card)
        raise RuntimeError("the screen was not ready")

    reader = BackgroundCardReader(simulator.uri, on_card=clumsy, poll_interval_s=0.05).start()
    try:
        simulator.place(ELDER)
        deadline = time.monotonic() + 5
        while len(cards) < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        simulator.remove()
        time.sleep(0.3)
        simulator.place(ADULT)
        while len(cards) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert cards == [ELDER, ADULT] and reader.running
    finally:
        assert reader.stop()


def test_a_bad_uri_fails_at_once_not_in_the_thread():
    with pytest.raises(InvalidReaderURI):
        BackgroundCardReader("tcp://10.1.1.1", on_card=print)
