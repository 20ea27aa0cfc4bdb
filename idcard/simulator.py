"""A pretend second-generation ID card reader on the far side of a pseudo-terminal.

It speaks the SAM-module protocol from its public description: find (20 01), select (20 02)
and read (30 01), with the statuses a real module gives. A card can be placed and taken away;
it can act out the faults the reader code must survive: a damaged checksum, a card taken
away while it is being read, a reader that stays silent. Tests use it; so can anyone working
on the kiosk without a reader: `serial://<device_path>`.

    with CardReaderSimulator() as simulator:
        simulator.place(card)
        ... IdCardReader(f"serial://{simulator.device_path}") ...
"""

from __future__ import annotations

import os
import select
import threading
import tty

from .card import IdCard, read_answer_data
from .protocol import (
    FIND_CARD,
    PREAMBLE,
    READ_BASIC,
    SELECT_CARD,
    STATUS_CARD_FOUND,
    STATUS_FIND_FAILED,
    STATUS_READ_FAILED,
    STATUS_SELECT_FAILED,
    STATUS_SUCCESS,
    FrameError,
    parse_command,
    response_frame,
)

STATUS_BAD_CHECKSUM = 0x10
STATUS_BAD_COMMAND = 0x21
# What a real module puts after a successful find and select (a card serial of zeros here).
FIND_ANSWER_DATA = bytes(4)
SELECT_ANSWER_DATA = bytes(8)


class CardReaderSimulator:
    def __init__(self, card: IdCard | None = None, read_seconds: float = 0.0, baudrate: int | None = None):
        self.card = card
        self.read_seconds = read_seconds  # how long the module takes to read a card
        self.baudrate = baudrate  # None: answers arrive at once; else as fast as a UART sends them
        self.silent = False  # takes commands, answers nothing
        self.bad_checksum = False  # every answer's checksum is off by one bit
        self.remove_during_read = False  # the next card read loses its card half way
        # Some readers stop finding a card once it has been read, until it is lifted and laid
        # down again (the card stays in its active state and ignores the find).
        self.card_quiet_after_read = False
        self._card_read = False
        self.raw_replies: list[bytes] = []  # sent instead of the next answers, one each (b"": none)
        self.commands: list[tuple[int, int]] = []  # every well-formed command, in order
        self._received = bytearray()
        self._lock = threading.Lock()
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no line editing: bytes pass as they are
        self.device_path = os.ttyname(self._slave)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="idcard-simulator", daemon=True)

    @property
    def uri(self) -> str:
        return f"serial://{self.device_path}?baudrate=115200&timeout=300"

    def __enter__(self) -> "CardReaderSimulator":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        os.close(self._master)
        os.close(self._slave)

    # -- what a test does to the reader -------------------------------------------------------

    def place(self, card: IdCard) -> None:
        with self._lock:
            self.card, self._card_read = card, False

    def remove(self) -> None:
        with self._lock:
            self.card, self._card_read = None, False

    def count(self, command: tuple[int, int]) -> int:
        with self._lock:
            return self.commands.count(command)

    # -- the module -------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            ready, _, _ = select.select([self._master], [], [], 0.02)
            if not ready:
                continue
            try:
                data = os.read(self._master, 4096)
            except OSError:
                break
            self._received += data
            for frame in self._complete_frames():
                reply = self._answer(frame)
                if reply is None:
                    continue
                if self.baudrate:  # 10 bits a byte on the wire (start, 8 data, stop)
                    self._stopping.wait(len(reply) * 10 / self.baudrate)
                os.write(self._master, reply)

    def _complete_frames(self):
        """Whole command frames from the bytes received so far; noise before a frame is dropped."""
        while True:
            start = self._received.find(PREAMBLE)
            if start < 0:
                del self._received[:-len(PREAMBLE)]
                return
            del self._received[:start]
            if len(self._received) < 7:
                return
            end = 7 + int.from_bytes(self._received[5:7], "big")
            if len(self._received) < end:
                return
            frame = bytes(self._received[:end])
            del self._received[:end]
            yield frame

    def _answer(self, frame: bytes) -> bytes | None:
        try:
            command = parse_command(frame)
        except FrameError:
            status, data = STATUS_BAD_CHECKSUM, b""
        else:
            with self._lock:
                self.commands.append(command.command)
                status, data = self._carry_out(command.command)
        with self._lock:
            if self.silent:
                return None
            if self.raw_replies:
                return self.raw_replies.pop(0)
            reply = bytearray(response_frame(status, data))
            if self.bad_checksum:
                reply[-1] ^= 0x01
            return bytes(reply)

    def _carry_out(self, command: tuple[int, int]) -> tuple[int, bytes]:
        """The status and data a SAM module answers `command` with (the lock is held)."""
        if command == FIND_CARD:
            if self.card is None or (self.card_quiet_after_read and self._card_read):
                return STATUS_FIND_FAILED, b""
            return STATUS_CARD_FOUND, FIND_ANSWER_DATA
        if command == SELECT_CARD:
            return (STATUS_SUCCESS, SELECT_ANSWER_DATA) if self.card else (STATUS_SELECT_FAILED, b"")
        if command == READ_BASIC:
            if self.read_seconds:
                self._lock.release()
                try:
                    self._stopping.wait(self.read_seconds)
                finally:
                    self._lock.acquire()
            if self.remove_during_read:
                self.remove_during_read = False
                self.card = None
            if self.card is None:
                return STATUS_READ_FAILED, b""
            self._card_read = True
            return STATUS_SUCCESS, read_answer_data(self.card)
        return STATUS_BAD_COMMAND, b""


def main() -> None:
    """`python -m idcard.simulator`: a pretend reader for working on the kiosk by hand.
    Enter lays the next sample card on it or takes the card away; Ctrl-D ends."""
    from .samples import ADULT, ELDER, LEAP_CHILD

    cards = [ELDER, ADULT, LEAP_CHILD]
    with CardReaderSimulator() as simulator:
        print(f"身份证阅读器模拟器 / ID card reader simulator: {simulator.uri}")
        print("回车：放卡/取卡 · Enter: place / remove a card · Ctrl-D: quit")
        placed = 0
        try:
            while True:
                input()
                if simulator.card is None:
                    card = cards[placed % len(cards)]
                    placed += 1
                    simulator.place(card)
                    print(f"放卡 / placed: {card!r}")
                else:
                    simulator.remove()
                    print("取卡 / removed")
        except (EOFError, KeyboardInterrupt):
            pass


if __name__ == "__main__":
    main()
