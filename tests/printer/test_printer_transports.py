"""Real transports: serial through a pseudo-terminal with a pretend printer on the far
side, raw TCP on 127.0.0.1, a FIFO standing in for a device file that never opens."""

from __future__ import annotations

import os
import socket
import threading
import time

import pytest

from printer import (
    CoverOpen,
    PaperOut,
    PrinterBusy,
    PrinterError,
    PrinterNotFound,
    PrinterOffline,
    PrinterStatus,
    PrinterTimeout,
    open_printer,
)
from printer.simulator import SerialPrinterSimulator, status_reply
from printer.status import STATUS_REQUESTS

ASK_ALL = b"".join(STATUS_REQUESTS.values())


def serial_uri(simulator: SerialPrinterSimulator, extra: str = "") -> str:
    return f"serial://{simulator.device_path}?baudrate=115200&status_timeout=300{extra}"


@pytest.mark.parametrize("state", [PrinterStatus.READY, PrinterStatus.PAPER_NEAR_END])
def test_serial_printer_that_can_print_gets_every_byte(state, ticket):
    with SerialPrinterSimulator(state) as simulator:
        printer = open_printer(serial_uri(simulator))
        assert printer.status() is state
        assert simulator.status_requests == [1, 2, 3, 4]
        simulator.clear()
        sent = printer.print_ticket(ticket)
        assert printer.last_status is state
        # asked before, the ticket, asked after: nothing else, nothing lost
        assert simulator.data() == ASK_ALL + sent + ASK_ALL
        assert sent == open_printer("dummy:").print_ticket(ticket)
        printer.close()


@pytest.mark.parametrize("state, error_class, words", [
    (PrinterStatus.PAPER_OUT, PaperOut, ("缺纸", "out of paper")),
    (PrinterStatus.COVER_OPEN, CoverOpen, ("纸仓盖", "cover is open")),
    (PrinterStatus.OFFLINE, PrinterOffline, ("离线", "offline")),
])
def test_serial_printer_with_a_fault_refuses_the_ticket(state, error_class, words, ticket):
    with SerialPrinterSimulator(state) as simulator:
        uri = serial_uri(simulator)
        printer = open_printer(uri)
        assert printer.status() is state
        simulator.clear()
        with pytest.raises(error_class) as raised:
            printer.print_ticket(ticket)
        error = raised.value
        assert isinstance(error, PrinterError) and error.status is state
        assert uri in error.message_zh and uri in error.message_en
        assert words[0] in error.message_zh and words[1] in error.message_en
        assert simulator.data() == ASK_ALL  # asked, and sent nothing
        printer.close()


def test_silent_serial_printer_is_unknown_and_still_prints(ticket):
    with SerialPrinterSimulator(PrinterStatus.UNKNOWN) as simulator:
        printer = open_printer(serial_uri(simulator))
        started = time.monotonic()
        assert printer.status() is PrinterStatus.UNKNOWN
        assert time.monotonic() - started < 2  # one unanswered question, not four
        assert simulator.status_requests == [1]
        sent = printer.print_ticket(ticket)
        assert sent in simulator.data()
        assert printer.last_status is PrinterStatus.UNKNOWN
        printer.close()


def test_paper_running_out_during_a_ticket_is_reported_after_it(ticket):
    with SerialPrinterSimulator(PrinterStatus.READY, status_after_cut=PrinterStatus.PAPER_OUT) as simulator:
        printer = open_printer(serial_uri(simulator))
        with pytest.raises(PaperOut) as raised:
            printer.print_ticket(ticket)
        assert "after printing" in raised.value.detail
        assert printer.status() is PrinterStatus.PAPER_OUT
        printer.close()


def test_jammed_serial_printer_times_out_within_bounds(ticket):
    with SerialPrinterSimulator(PrinterStatus.READY, stalled=True) as simulator:
        printer = open_printer(serial_uri(simulator, "&mode=image&timeout=500"))
        started = time.monotonic()
        with pytest.raises(PrinterTimeout) as raised:
            printer.print_ticket(ticket)  # 40 KB into a line nobody reads
        elapsed = time.monotonic() - started
        assert elapsed < 10, elapsed
        assert "没有响应" in raised.value.message_zh
        printer.close()


def test_second_program_on_the_same_port_is_told_busy(ticket):
    with SerialPrinterSimulator(PrinterStatus.READY) as simulator:
        first = open_printer(serial_uri(simulator))
        assert first.status() is PrinterStatus.READY
        second = open_printer(serial_uri(simulator))
        with pytest.raises(PrinterBusy) as raised:
            second.print_ticket(ticket)
        assert "占用" in raised.value.message_zh
        first.close()
        second.close()


def test_missing_serial_device_is_not_found_and_offline(tmp_path, ticket):
    uri = f"serial://{tmp_path}/ttyUSB9"
    printer = open_printer(uri)
    assert printer.status() is PrinterStatus.OFFLINE
    assert isinstance(printer.last_error, PrinterNotFound)
    with pytest.raises(PrinterNotFound) as raised:
        printer.print_ticket(ticket)
    assert uri in raised.value.message and "电源" in raised.value.message_zh


def test_unplugged_printer_is_reported_not_found(ticket):
    simulator = SerialPrinterSimulator(PrinterStatus.READY).__enter__()
    printer = open_printer(serial_uri(simulator))
    assert printer.status() is PrinterStatus.READY
    simulator.stop()  # the far side goes away, as a USB-serial adapter pulled out
    with pytest.raises(PrinterNotFound):
        printer.print_ticket(ticket)
    # the connection was dropped: the next call tries to open the device again
    assert printer.status() is PrinterStatus.OFFLINE
    assert isinstance(printer.last_error, PrinterNotFound)


class TcpPrinter:
    """A raw-port (9100) printer on 127.0.0.1 that records bytes and answers DLE EOT."""

    def __init__(self, state: PrinterStatus):
        self.state = state
        self.received = bytearray()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        connection, _ = self.server.accept()
        with connection:
            while True:
                data = connection.recv(4096)
                if not data:
                    return
                self.received += data
                for number, request in STATUS_REQUESTS.items():
                    for _ in range(data.count(request)):
                        reply = status_reply(self.state, number)
                        if reply:
                            connection.sendall(reply)

    def close(self):
        self.server.close()
        self.thread.join(timeout=5)


@pytest.mark.parametrize("state", [PrinterStatus.READY, PrinterStatus.COVER_OPEN])
def test_network_printer(state, ticket):
    remote = TcpPrinter(state)
    printer = open_printer(f"tcp://127.0.0.1:{remote.port}?status_timeout=300")
    assert printer.status() is state
    if state is PrinterStatus.READY:
        sent = printer.print_ticket(ticket)
        printer.close()
        remote.thread.join(timeout=5)
        assert bytes(remote.received) == ASK_ALL * 2 + sent + ASK_ALL
    else:
        with pytest.raises(CoverOpen):
            printer.print_ticket(ticket)
        printer.close()
    remote.close()


def test_refused_network_printer_is_not_found():
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # nothing listens there now
    printer = open_printer(f"tcp://127.0.0.1:{port}")
    assert printer.status() is PrinterStatus.OFFLINE
    assert isinstance(printer.last_error, PrinterNotFound)


def test_device_file_that_blocks_forever_does_not_block_the_caller(tmp_path, ticket):
    fifo = tmp_path / "lp0"
    os.mkfifo(fifo)  # opening it for writing waits for a reader that never comes
    printer = open_printer(f"file://{fifo}?timeout=300&status_timeout=100")
    started = time.monotonic()
    with pytest.raises(PrinterTimeout):
        printer.print_ticket(ticket)
    assert time.monotonic() - started < 5
    with pytest.raises(PrinterBusy):  # the stuck job is still there: say so at once
        printer.print_ticket(ticket)
    assert printer.status() in (PrinterStatus.UNKNOWN, PrinterStatus.OFFLINE)
    # a reader appears: the stuck open finishes and the printer works again
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            printer.print_ticket(ticket)
            break
        except PrinterBusy:
            time.sleep(0.05)
    else:
        pytest.fail("the printer never came back")
    printer.close()
    data = b""
    while chunk := os.read(reader, 65536):
        data += chunk
    os.close(reader)
    # exactly one ticket: the job that timed out was given up, not printed late
    assert data == open_printer("dummy:").print_ticket(ticket)
