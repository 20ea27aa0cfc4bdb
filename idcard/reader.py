"""Talking to one ID card reader over its serial port: find, select, read.

    with IdCardReader("serial:///dev/ttyUSB1?baudrate=115200") as reader:
        card = reader.wait_for_card(timeout=15)      # NoCard when none comes

One IdCardReader is used by one thread at a time; the kiosk uses BackgroundCardReader
(idcard/background.py), which owns its own."""

from __future__ import annotations

import errno
import logging
import threading
import time

import serial

from .card import CardDataError, IdCard, parse_read_answer
from .errors import (
    BadFrame,
    CardReadFailed,
    CardRemoved,
    IdCardError,
    NoCard,
    ReaderBusy,
    ReaderFault,
    ReaderNotFound,
    ReaderSilent,
)
from .protocol import (
    COMMAND_NAMES,
    FIND_CARD,
    MAX_LENGTH,
    MIN_LENGTH,
    PREAMBLE,
    READ_BASIC,
    SELECT_CARD,
    STATUS_CARD_FOUND,
    STATUS_FIND_FAILED,
    STATUS_READ_FAILED,
    STATUS_SELECT_FAILED,
    STATUS_SUCCESS,
    FrameError,
    Response,
    check_length,
    command_frame,
    split_body,
)
from .uri import ReaderConfig, find_usb_serial_port, parse_reader_uri

log = logging.getLogger(__name__)

# Statuses that say the card (not the reader) is the trouble: reading it again may help.
CARD_STATUSES = {0x31, 0x32, 0x33, 0x40, 0x41, 0x81, 0x91}
# Reading the card takes the SAM module longer than finding it (about a second on real readers).
READ_TIMEOUT_FACTOR = 3
# How long one serial read may block: short, so that a stop request is seen at once.
SLICE_S = 0.05


class ReadCancelled(Exception):
    """The owner asked the reader to stop while it waited for an answer."""


class IdCardReader:
    def __init__(self, uri: str, cancel: threading.Event | None = None):
        self.config: ReaderConfig = parse_reader_uri(uri)
        self.uri = self.config.uri
        self._cancel = cancel or threading.Event()
        self._port: serial.Serial | None = None

    # -- the port ---------------------------------------------------------------------------

    def open(self) -> "IdCardReader":
        if self._port is not None:
            return self
        device = self.config.device
        if self.config.kind == "usb":
            device = find_usb_serial_port(self.config)
        try:
            # exclusive: the kiosk and `govhall idcard-test` must not both poll one reader
            self._port = serial.Serial(device, baudrate=self.config.baudrate, timeout=SLICE_S,
                                       write_timeout=self.config.timeout_s, exclusive=True)
        except (serial.SerialException, OSError, ValueError) as error:
            if "exclusively lock" in str(error):
                raise ReaderBusy(self.uri, f"{device}: {error}") from None
            detail = f"{device}: {error}"
            if getattr(error, "errno", None) == errno.EACCES:
                detail += " — no permission: the user must be in the dialout group (docs/idcard.md)"
            raise ReaderNotFound(self.uri, detail) from None
        return self

    def close(self) -> None:
        if self._port is not None:
            try:
                self._port.close()
            finally:
                self._port = None

    def __enter__(self) -> "IdCardReader":
        return self.open()

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- one command, one answer --------------------------------------------------------------

    def transact(self, command: tuple[int, int], timeout_s: float | None = None) -> Response:
        """Send a command and return the reader's answer, whatever its status."""
        port = self.open()._port
        timeout_s = self.config.timeout_s if timeout_s is None else timeout_s
        try:
            port.reset_input_buffer()  # leftovers of a damaged or late answer are not this answer
            port.write(command_frame(command))
            port.flush()
        except serial.SerialTimeoutException:
            raise ReaderSilent(self.uri, f"{COMMAND_NAMES.get(command)}: the port took no data") from None
        except (serial.SerialException, OSError) as error:
            self.close()
            raise ReaderNotFound(self.uri, f"writing: {error}") from None
        return self._receive(command, timeout_s)

    def _read(self, count: int, deadline: float) -> bytes:
        """Up to `count` bytes, fewer only when the deadline passed."""
        data = bytearray()
        while len(data) < count:
            if self._cancel.is_set():
                raise ReadCancelled()
            if time.monotonic() >= deadline:
                break
            try:
                data += self._port.read(count - len(data))
            except (serial.SerialException, OSError) as error:
                self.close()
                raise ReaderNotFound(self.uri, f"reading: {error}") from None
        return bytes(data)

    def _receive(self, command: tuple[int, int], timeout_s: float) -> Response:
        deadline = time.monotonic() + timeout_s
        what = COMMAND_NAMES.get(command, f"command {command[0]:02X} {command[1]:02X}")
        window = b""
        skipped = 0
        while window != PREAMBLE:
            byte = self._read(1, deadline)
            if not byte:
                if skipped:
                    raise BadFrame(self.uri, f"{what}: {skipped} byte(s) without a frame start, then nothing")
                raise ReaderSilent(self.uri, f"{what}: no answer within {timeout_s:g} s")
            window = (window + byte)[-len(PREAMBLE):]
            skipped += 1
            if skipped > MAX_LENGTH:
                raise BadFrame(self.uri, f"{what}: no AA AA AA 96 69 frame start in {skipped} bytes")
        length = self._read(2, deadline)
        try:
            if len(length) < 2:
                raise FrameError("the frame ends inside its length field")
            expected = check_length(length)
            body = self._read(expected, deadline)
            if len(body) < expected:
                raise FrameError(f"length field says {expected} bytes, only {len(body)} came")
            if expected < MIN_LENGTH:
                raise FrameError(f"length {expected} leaves no room for the status bytes")
            payload = split_body(length, body)
        except FrameError as error:
            raise BadFrame(self.uri, f"{what}: {error.reason}") from None
        return Response(status=payload[2], data=payload[3:], sw1=payload[0], sw2=payload[1])

    # -- the card ---------------------------------------------------------------------------

    def _failure(self, command: tuple[int, int], response: Response) -> IdCardError:
        detail = f"{COMMAND_NAMES[command]}: {response.message}"
        if response.status in CARD_STATUSES:
            return CardReadFailed(self.uri, detail, response.status)
        return ReaderFault(self.uri, detail)

    def find_card(self) -> bool:
        """True when a card lies on the reader (9F), False when none does (80)."""
        response = self.transact(FIND_CARD)
        if response.status == STATUS_CARD_FOUND:
            return True
        if response.status == STATUS_FIND_FAILED:
            return False
        raise self._failure(FIND_CARD, response)

    def select_card(self) -> bool:
        response = self.transact(SELECT_CARD)
        if response.status == STATUS_SUCCESS:
            return True
        if response.status == STATUS_SELECT_FAILED:
            return False
        raise self._failure(SELECT_CARD, response)

    def _lost_or_unreadable(self, command: tuple[int, int], response: Response) -> IdCardError:
        """A select or read that failed: CardRemoved if the card has gone, else CardReadFailed."""
        if not self.find_card():
            return CardRemoved(self.uri, f"{COMMAND_NAMES[command]}: {response.message}")
        return self._failure(command, response)

    def read_basic(self) -> IdCard:
        """The card's text (30 01) after a find and a select."""
        response = self.transact(READ_BASIC, self.config.timeout_s * READ_TIMEOUT_FACTOR)
        if response.status == STATUS_READ_FAILED:
            raise self._lost_or_unreadable(READ_BASIC, response)
        if response.status != STATUS_SUCCESS:
            raise self._failure(READ_BASIC, response)
        try:
            return parse_read_answer(response.data)
        except CardDataError as error:
            raise CardReadFailed(self.uri, f"read card: {error}") from None

    def read_card(self) -> IdCard | None:
        """One attempt: find, select, read. None when no card lies on the reader."""
        if not self.find_card():
            return None
        if not self.select_card():
            raise self._lost_or_unreadable(SELECT_CARD, Response(STATUS_SELECT_FAILED))
        return self.read_basic()

    def wait_for_card(self, timeout_s: float, poll_interval_s: float = 0.2) -> IdCard:
        """Poll until a card has been read. A card taken away too early, or one that could not
        be read, is tried again while time is left; then its error is raised, else NoCard.
        A reader that does not answer, or answers with a damaged frame, fails at once."""
        deadline = time.monotonic() + timeout_s
        last_trouble: IdCardError | None = None
        while True:
            try:
                card = self.read_card()
            except (CardRemoved, CardReadFailed) as error:
                log.info("card not read: %s", error.detail)
                last_trouble, card = error, None
            if card is not None:
                return card
            if time.monotonic() + poll_interval_s > deadline:
                break
            if self._cancel.wait(poll_interval_s):
                raise ReadCancelled()
        raise last_trouble or NoCard(self.uri, f"no card within {timeout_s:g} s")
