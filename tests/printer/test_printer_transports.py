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
    PrinterLost,
    PrinterNotFound,
    PrinterNotTakingData,
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
        with pytest.raises(PrinterNotTakingData) as raised:  # a PrinterTimeout
            printer.print_ticket(ticket)  # 40 KB into a line nobody reads
        elapsed = time.monotonic() - started
        assert elapsed < 10, elapsed
        assert "不接收数据" in raised.value.message_zh
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
    with pytest.raises(PrinterLost) as raised:  # a PrinterNotFound: tried once more, not back
        printer.print_ticket(ticket)
    assert "重连后仍未恢复" in raised.value.message_zh and "did not come back" in raised.value.message_en
    # the connection was dropped: the next call tries to open the device again
    assert printer.status() is PrinterStatus.OFFLINE
    assert isinstance(printer.last_error, PrinterNotFound)


class TcpPrinter:
    """A raw-port (9100) printer on 127.0.0.1 that records bytes and answers DLE EOT.
    `restart()` drops the connection and listens again on the same port, as a printer
    switched off and on does."""

    def __init__(self, state: PrinterStatus, close_after_cut: bool = False):
        self.state = state
        self.close_after_cut = close_after_cut  # as some network printers do after each job
        self.received = bytearray()
        self.connections = 0
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, args=(self.server,), daemon=True)
        self.thread.start()

    def serve(self, server: socket.socket):
        while self.serve_one(server) and self.close_after_cut:
            pass

    def serve_one(self, server: socket.socket) -> bool:
        """One connection, until the client closes it (False) or, with close_after_cut, a cut (True)."""
        try:
            connection, _ = server.accept()
        except OSError:
            return False  # closed while waiting
        self.connection = connection
        self.connections += 1
        with connection:
            while True:
                try:
                    data = connection.recv(4096)
                except OSError:
                    return False
                if not data:
                    return False
                self.received += data
                if self.close_after_cut and b"\x1dVB\x00" in data:
                    return True
                for number, request in STATUS_REQUESTS.items():
                    for _ in range(data.count(request)):
                        reply = status_reply(self.state, number)
                        if reply:
                            connection.sendall(reply)

    def restart(self):
        self.connection.shutdown(socket.SHUT_RDWR)  # the client sees the close at once
        self.close()
        self.received.clear()
        self.server = socket.create_server(("127.0.0.1", self.port))  # SO_REUSEADDR: same port again
        self.thread = threading.Thread(target=self.serve, args=(self.server,), daemon=True)
        self.thread.start()

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
    assert time.monotonic() - started < 6  # the bound: 4.7 s from these timeouts
    with pytest.raises(PrinterTimeout) as again:  # the stuck job is still there: say so at once
        printer.print_ticket(ticket)
    assert "still stuck" in again.value.detail
    assert printer.status() in (PrinterStatus.UNKNOWN, PrinterStatus.OFFLINE)
    # a reader appears: the stuck open finishes and the printer works again
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            printer.print_ticket(ticket)
            break
        except PrinterTimeout:
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


def test_network_printer_restarted_between_two_tickets_prints_the_second(ticket):
    remote = TcpPrinter(PrinterStatus.READY)
    printer = open_printer(f"tcp://127.0.0.1:{remote.port}?status_timeout=300")
    first = printer.print_ticket(ticket)
    assert first in bytes(remote.received)
    remote.restart()  # switched off and on: our connection is gone, the port listens again
    second = printer.print_ticket(ticket)
    printer.close()
    remote.thread.join(timeout=5)
    assert remote.connections == 2
    # on the new connection: asked, the ticket, asked; the closed one was not read as silence
    assert bytes(remote.received) == ASK_ALL + second + ASK_ALL
    assert printer.last_status is PrinterStatus.READY and printer.last_error is None
    remote.close()


def test_network_printer_that_stays_away_is_lost_not_silent(ticket):
    remote = TcpPrinter(PrinterStatus.READY)
    printer = open_printer(f"tcp://127.0.0.1:{remote.port}?status_timeout=300")
    assert printer.status() is PrinterStatus.READY
    remote.connection.shutdown(socket.SHUT_RDWR)
    remote.close()  # and nothing listens any more
    with pytest.raises(PrinterLost) as raised:
        printer.print_ticket(ticket)
    assert "ConnectionLost" in raised.value.detail and "reconnecting" in raised.value.detail
    assert raised.value.status is PrinterStatus.OFFLINE
    assert printer.status() is PrinterStatus.OFFLINE  # and the next call tries to open it again
    assert isinstance(printer.last_error, PrinterNotFound)


def test_network_printer_restarted_between_status_checks_answers_the_next(ticket):
    remote = TcpPrinter(PrinterStatus.PAPER_NEAR_END)
    printer = open_printer(f"tcp://127.0.0.1:{remote.port}?status_timeout=300")
    assert printer.status() is PrinterStatus.PAPER_NEAR_END
    remote.restart()
    assert printer.status() is PrinterStatus.PAPER_NEAR_END  # not "unknown"
    printer.close()
    remote.close()


@pytest.mark.parametrize("mode", ["text", "image"])
def test_serial_printer_that_stops_reading_is_named_not_taking_data(mode, ticket):
    # It answers the status, takes the first 200 bytes of the slip and jams.
    with SerialPrinterSimulator(PrinterStatus.READY, stop_reading_after=len(ASK_ALL) + 200) as simulator:
        printer = open_printer(serial_uri(simulator, f"&mode={mode}&timeout=500"))
        started = time.monotonic()
        with pytest.raises(PrinterNotTakingData) as raised:
            printer.print_ticket(ticket)
        assert time.monotonic() - started < 10
        error = raised.value
        assert "不接收数据" in error.message_zh and "not taking data" in error.message_en
        assert "busy" not in error.message.lower() and "占用" not in error.message
        assert printer.last_error is error
        # It reads again (a pseudo-terminal keeps what was written: a UART's queue is flushed).
        simulator.stop_reading_after = None
        time.sleep(0.3)
        simulator.clear()
        sent = printer.print_ticket(ticket)
        assert simulator.data().endswith(sent + ASK_ALL)
        printer.close()


def test_network_printer_that_closes_after_each_job_prints_each_ticket_once(ticket):
    remote = TcpPrinter(PrinterStatus.READY, close_after_cut=True)
    printer = open_printer(f"tcp://127.0.0.1:{remote.port}?status_timeout=300")
    first = printer.print_ticket(ticket)  # the status after it is asked on a new connection
    second = printer.print_ticket(ticket)
    printer.close()
    remote.close()
    assert first == second and bytes(remote.received).count(first) == 2  # each once, no resend
    assert printer.last_error is None and printer.last_status is PrinterStatus.READY


def test_each_cause_is_its_own_error_with_chinese_and_english_advice():
    causes = {PrinterNotFound: "找不到打印机", PrinterLost: "重连后仍未恢复",
              PrinterNotTakingData: "不接收数据", PrinterBusy: "其他程序占用"}
    assert len({error_class.code for error_class in causes}) == len(causes)
    for error_class, words in causes.items():
        error = error_class("tcp://192.0.2.9")
        assert words in error.message_zh and "tcp://192.0.2.9" in error.message_zh
        assert error.advice_en and error.advice_en in error.message_en
        others = [other for other in causes if other is not error_class]
        assert not any(causes[other] in error.message_zh for other in others), error_class


def test_printer_busy_printing_answers_late_and_is_not_called_jammed(ticket):
    # It reads nothing for 1.2 s after the slip (printing it, buffer full): the question after
    # the slip waits longer than the 0.3 s status timeout, but well within the write timeout.
    with SerialPrinterSimulator(PrinterStatus.READY, busy_after_cut_s=1.2) as simulator:
        printer = open_printer(serial_uri(simulator))
        sent = printer.print_ticket(ticket)
        assert printer.last_status is PrinterStatus.READY and printer.last_error is None
        assert sent in simulator.data()
        printer.close()
