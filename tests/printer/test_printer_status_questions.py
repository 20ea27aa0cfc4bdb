"""How the status questions are asked: late replies dropped first (USB as serial and TCP),
the recoverable-error bit of DLE EOT 3, and no waiting on questions a printer ignores;
and a USB printer unplugged, replugged or jammed."""

from __future__ import annotations

import threading
import time
from array import array

import pytest
import usb.core
from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Usb

from printer import PrinterLost, PrinterNotTakingData, PrinterOffline, PrinterStatus
from printer.device import TicketPrinter
from printer.simulator import SerialPrinterSimulator
from printer.status import DLE_EOT, decode_status, status_causes
from printer.transports import UsbTransport
from printer.uri import parse_printer_uri

READY = {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12}
# offline, "error occurred", and DLE EOT 3 bit 2: a recoverable error (e.g. cleared by DLE ENQ)
RECOVERABLE_ERROR = {1: 0x1A, 2: 0x52, 3: 0x16, 4: 0x12}


class UsbPrinterOnTheWire:
    """The far side of a USB printer's bulk endpoints, as pyusb's Device shows them: what is
    written to OUT is recorded, DLE EOT n queues a reply packet on IN (no USB controller
    here runs a device, so this stands in for the device below python-escpos's Usb)."""

    def __init__(self, answers: dict[int, int], waiting: bytes = b""):
        self.answers = answers
        self.unplugged = False  # every transfer fails as libusb reports a vanished device
        self.jammed = False  # OUT transfers time out: the printer takes no data
        self.written = bytearray()
        self.questions: list[int] = []
        self.packets: list[bytes] = [bytes((byte,)) for byte in waiting]  # replies nobody read yet
        self.ready = threading.Condition()

    def write(self, endpoint: int, data: bytes, timeout: int) -> int:
        if self.unplugged:
            raise usb.core.USBError("No such device (it may have been disconnected)", errno=19, error_code=-4)
        if self.jammed and not bytes(data).startswith(DLE_EOT):
            raise usb.core.USBTimeoutError("Operation timed out", errno=110, error_code=-7)
        with self.ready:
            self.written += data
            start = 0
            while (found := bytes(data).find(DLE_EOT, start)) >= 0 and found + 2 < len(data):
                number = data[found + 2]
                self.questions.append(number)
                if number in self.answers:
                    self.packets.append(bytes((self.answers[number],)))
                start = found + 3
            self.ready.notify_all()
        return len(data)

    def read(self, endpoint: int, size: int, timeout: int) -> array:
        if self.unplugged:
            raise usb.core.USBError("No such device (it may have been disconnected)", errno=19, error_code=-4)
        with self.ready:
            if not self.ready.wait_for(lambda: self.packets, timeout / 1000):
                raise usb.core.USBTimeoutError("Operation timed out", errno=110, error_code=-7)
            return array("B", self.packets.pop(0)[:size])


class UsbSocket:
    """Where the printer's cable goes: `wire` is the printer plugged in, None when nothing is."""

    def __init__(self, wire: UsbPrinterOnTheWire | None):
        self.wire = wire


class UsbOverWire(Usb):
    """python-escpos's Usb printer, finding its device in the socket instead of through libusb."""

    def __init__(self, socket: UsbSocket, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.socket = socket

    def open(self, raise_not_found: bool = True) -> None:
        if self.socket.wire is None:
            raise DeviceNotFoundError("Unable to open USB printer on (1046, 20497): not found")
        self.device = self.socket.wire

    def close(self) -> None:
        self._device = False  # nothing to release: no libusb handle


class SocketUsbTransport(UsbTransport):
    def __init__(self, config, socket: UsbSocket):
        super().__init__(config)
        self.socket = socket

    def make_backend(self) -> Usb:
        return UsbOverWire(self.socket, self.config.vendor_id, self.config.product_id, timeout=1000,
                           in_ep=self.config.in_ep, out_ep=self.config.out_ep)


def usb_printer(wire: UsbPrinterOnTheWire | UsbSocket) -> TicketPrinter:
    config = parse_printer_uri("usb://0416:5011?status_timeout=300&timeout=1000")
    socket = wire if isinstance(wire, UsbSocket) else UsbSocket(wire)
    return TicketPrinter(config, SocketUsbTransport(config, socket))


def test_usb_drops_a_late_reply_before_asking():
    # An offline byte from a question asked before (and given up on) waits on the IN endpoint.
    wire = UsbPrinterOnTheWire(READY, waiting=bytes((0x1A,)))
    printer = usb_printer(wire)
    assert printer.status() is PrinterStatus.READY  # not the stale "offline"
    assert wire.questions == [1, 2, 3, 4] and not wire.packets


def test_usb_printer_prints_between_status_questions(ticket):
    wire = UsbPrinterOnTheWire(READY)
    printer = usb_printer(wire)
    sent = printer.print_ticket(ticket)
    questions = b"".join(DLE_EOT + bytes((n,)) for n in (1, 2, 3, 4))
    assert bytes(wire.written) == questions + sent + questions


def test_recoverable_error_bit_is_offline_and_named():
    replies = {n: bytes((value,)) for n, value in RECOVERABLE_ERROR.items()}
    assert decode_status(replies) is PrinterStatus.OFFLINE
    assert decode_status({**replies, 1: b"\x12", 2: b"\x12"}) is PrinterStatus.OFFLINE  # bit 2 alone
    assert status_causes(replies) == ["recoverable error (DLE EOT 3 bit 2): clear the fault, then press FEED"]


def test_printer_reporting_a_recoverable_error_refuses_the_ticket_and_says_why(ticket):
    wire = UsbPrinterOnTheWire(RECOVERABLE_ERROR)
    printer = usb_printer(wire)
    with pytest.raises(PrinterOffline) as raised:
        printer.print_ticket(ticket)
    assert "recoverable error (DLE EOT 3 bit 2)" in raised.value.detail
    assert DLE_EOT + b"\x04" in wire.written and b"\x1c&" not in wire.written  # asked, sent nothing


@pytest.mark.parametrize("kind", ["serial", "usb"])
def test_printer_answering_only_the_first_question_costs_one_wait(kind):
    answers = {1: 0x12}
    started = time.monotonic()
    if kind == "usb":
        wire = UsbPrinterOnTheWire(answers)
        assert usb_printer(wire).status() is PrinterStatus.UNKNOWN
        questions = wire.questions
    else:
        with SerialPrinterSimulator(answers=answers) as simulator:
            printer = TicketPrinter(parse_printer_uri(f"serial://{simulator.device_path}?status_timeout=300"))
            assert printer.status() is PrinterStatus.UNKNOWN
            questions = list(simulator.status_requests)
            printer.close()
    elapsed = time.monotonic() - started
    assert questions == [1, 2]  # the second went unanswered: 3 and 4 are not asked
    assert elapsed < 0.9, elapsed  # one 0.3 s wait, not three


def test_usb_printer_replugged_between_tickets_prints_the_second(ticket):
    socket = UsbSocket(UsbPrinterOnTheWire(READY))
    printer = usb_printer(socket)
    printer.print_ticket(ticket)
    socket.wire.unplugged = True  # pulled out; the same printer is plugged in again
    socket.wire = UsbPrinterOnTheWire(READY)
    sent = printer.print_ticket(ticket)
    questions = b"".join(DLE_EOT + bytes((n,)) for n in (1, 2, 3, 4))
    assert bytes(socket.wire.written) == questions + sent + questions
    assert printer.last_error is None


def test_usb_printer_unplugged_and_not_back_is_lost(ticket):
    socket = UsbSocket(UsbPrinterOnTheWire(READY))
    printer = usb_printer(socket)
    assert printer.status() is PrinterStatus.READY
    socket.wire.unplugged = True
    socket.wire = None
    with pytest.raises(PrinterLost) as raised:
        printer.print_ticket(ticket)
    assert "No such device" in raised.value.detail and "not found" in raised.value.detail
    assert printer.status() is PrinterStatus.OFFLINE


def test_usb_printer_taking_no_data_is_named(ticket):
    wire = UsbPrinterOnTheWire(READY)
    wire.jammed = True
    printer = usb_printer(wire)
    with pytest.raises(PrinterNotTakingData) as raised:
        printer.print_ticket(ticket)
    assert "USBTimeoutError" in raised.value.detail and "不接收数据" in raised.value.message_zh
