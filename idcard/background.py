"""Reading ID cards in the background, so that a screen never waits for the reader."""

from __future__ import annotations

import logging
import threading
from typing import Callable

from .card import IdCard
from .errors import CardReadFailed, CardRemoved, IdCardError
from .reader import IdCardReader, ReadCancelled

log = logging.getLogger(__name__)


class BackgroundCardReader:
    """A thread that polls a reader (find → select → read) and hands over each card placed on it.

        reader = BackgroundCardReader(config["kiosk"]["idcard"], on_card=card_placed,
                                      on_error=reader_trouble)
        reader.start()
        ...
        reader.stop()          # returns within 1 s, the port closed

    - `on_card(card: IdCard)` is called once for each card placed on the reader, and not again
      for the same placement: only after the card has been taken away (`absent_polls` finds in
      a row see no card) does a card placed next count as new.
    - `on_removed()` (optional) is called when a card that was handed over has been taken away.
    - `on_error(error: IdCardError)` (optional) is called when the reader fails (not found,
      silent, damaged frames, a card it cannot read) — once per outage, not on every retry; the
      thread keeps trying, reopening the port every `retry_interval_s`. `last_error` holds the
      current trouble, None while all is well.
    - A card taken away while it was being read is not an error: nothing is handed over.

    Every callback runs on the reader's own thread: a Kivy app passes the work to its UI
    thread (`Clock.schedule_once`). A callback that raises is logged; reading goes on.
    The IdCard holds the full ID number: keep only `card.holder(secret, today, green_channel_age)`
    (the keyed hash, the masked name, the age and whether it earns the 绿色通道)."""

    def __init__(self, uri: str, on_card: Callable[[IdCard], object],
                 on_error: Callable[[IdCardError], object] | None = None,
                 on_removed: Callable[[], object] | None = None,
                 poll_interval_s: float = 0.2, absent_polls: int = 2, retry_interval_s: float = 2.0):
        self._stopping = threading.Event()
        self._reader = IdCardReader(uri, cancel=self._stopping)  # a bad URI fails here, at once
        self.uri = self._reader.uri
        self.on_card = on_card
        self.on_error = on_error
        self.on_removed = on_removed
        self.poll_interval_s = poll_interval_s
        self.absent_polls = absent_polls
        self.retry_interval_s = retry_interval_s
        self.card_present = False
        self.last_error: IdCardError | None = None
        self._absent = 0
        self._thread = threading.Thread(target=self._run, name="idcard-reader", daemon=True)

    def start(self) -> "BackgroundCardReader":
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 1.0) -> bool:
        """Ask the thread to end and wait for it; True when it has ended."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)
        return not self._thread.is_alive()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def __enter__(self) -> "BackgroundCardReader":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- the thread -------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                pause = self.poll_interval_s
                try:
                    self._poll()
                    self._clear_trouble()
                except ReadCancelled:
                    break
                except CardRemoved as error:
                    log.info("card taken away while being read: %s", error.detail)
                    self._card_gone()
                except CardReadFailed as error:
                    self._trouble(error)
                except IdCardError as error:
                    self._trouble(error)
                    self._reader.close()  # opened afresh: the device may come back as a new port
                    pause = self.retry_interval_s
                self._stopping.wait(pause)
        finally:
            self._reader.close()

    def _poll(self) -> None:
        if self.card_present:
            if self._reader.find_card():
                self._absent = 0
            else:
                self._absent += 1
                if self._absent >= self.absent_polls:
                    self._card_gone()
            return
        card = self._reader.read_card()
        if card is None:
            return
        self.card_present, self._absent = True, 0
        self._call(self.on_card, card)

    def _card_gone(self) -> None:
        was_present = self.card_present
        self.card_present, self._absent = False, 0
        if was_present and self.on_removed is not None:
            self._call(self.on_removed)

    def _trouble(self, error: IdCardError) -> None:
        same_outage = self.last_error is not None and type(self.last_error) is type(error)
        self.last_error = error
        if same_outage:
            return
        log.warning("ID card reader: %s", error.message)
        if self.on_error is not None:
            self._call(self.on_error, error)

    def _clear_trouble(self) -> None:
        if self.last_error is not None:
            log.info("ID card reader answers again (%s)", self.uri)
            self.last_error = None

    def _call(self, callback: Callable, *args) -> None:
        try:
            callback(*args)
        except Exception:
            log.exception("ID card reader callback %r failed", callback)
