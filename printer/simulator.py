"""A pretend ESC/POS printer on the far side of a pseudo-terminal.

It records every byte it is sent, answers DLE EOT 1..4 the way a real printer in a given
state does (or stays silent), and can take bytes no faster than a real serial line at a
given baud rate. Tests and the benchmark use it; so can anyone working on the kiosk
without a printer: `serial://<device_path>`."""

from __future__ import annotations

import os
import select
import threading
import time
import tty

from .status import DLE_EOT, PrinterStatus

CUT = b"\x1dV"  # GS V  # fixed bits only: online, cover closed, no error, paper present

# What a printer answers to DLE EOT n in each state (None: it says nothing at all).
STATUS_REPLIES: dict[PrinterStatus, dict[int, int] | None] = {
    PrinterStatus.READY: {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12},
    PrinterStatus.PAPER_NEAR_END: {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x1E},
    PrinterStatus.PAPER_OUT: {1: 0x1A, 2: 0x32, 3: 0x12, 4: 0x72},
    PrinterStatus.COVER_OPEN: {1: 0x1A, 2: 0x16, 3: 0x12, 4: 0x12},
    PrinterStatus.OFFLINE: {1: 0x1A, 2: 0x52, 3: 0x52, 4: 0x12},  # print head too hot
    PrinterStatus.UNKNOWN: None,
}


def status_reply(status: PrinterStatus, request: int) -> bytes | None:
    replies = STATUS_REPLIES[status]
    if replies is None or request not in replies:
        return None
    return bytes((replies[request],))


class SerialPrinterSimulator:
    """Start with `with SerialPrinterSimulator(...) as printer:`; connect to `printer.device_path`."""

    def __init__(self, status: PrinterStatus = PrinterStatus.READY, baudrate: int | None = None,
                 status_after_cut: PrinterStatus | None = None, stalled: bool = False,
                 stop_reading_after: int | None = None, answers: dict[int, int] | None = None,
                 busy_after_cut_s: float = 0.0):
        self.status = status
        self.baudrate = baudrate  # None: take bytes as fast as they come
        self.status_after_cut = status_after_cut  # e.g. the roll ran out while this slip printed
        self.stalled = stalled  # a jammed printer that takes no more bytes
        self.stop_reading_after = stop_reading_after  # bytes it takes before it jams (None: never)
        self.answers = answers  # DLE EOT n -> reply byte, instead of the status's (unlisted n: silence)
        self.busy_after_cut_s = busy_after_cut_s  # reads nothing while it prints a slip (buffer full)
        self.received = bytearray()
        self.status_requests: list[int] = []
        self._scanned = 0  # bytes of `received` already searched for DLE EOT
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no line editing: bytes pass as they are
        self.device_path = os.ttyname(self._slave)
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="printer-simulator", daemon=True)

    def __enter__(self) -> "SerialPrinterSimulator":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        os.close(self._master)
        os.close(self._slave)

    def data(self) -> bytes:
        with self._lock:
            return bytes(self.received)

    def clear(self) -> None:
        with self._lock:
            self.received.clear()
            self.status_requests.clear()
            self._scanned = 0

    def _run(self) -> None:
        chunk = max(1, self.baudrate // 100) if self.baudrate else 4096  # about 10 ms of line time
        line_free_at = time.monotonic()
        while not self._stopping.is_set():
            room = chunk
            if self.stop_reading_after is not None:
                room = min(chunk, self.stop_reading_after - len(self.received))
            if self.stalled or room <= 0:
                time.sleep(0.02)
                continue
            ready, _, _ = select.select([self._master], [], [], 0.02)
            if not ready:
                continue
            try:
                data = os.read(self._master, room)
            except OSError:
                break
            if self.baudrate:
                # 10 bits a byte on the wire (start, 8 data, stop)
                line_free_at = max(line_free_at, time.monotonic()) + len(data) * 10 / self.baudrate
                time.sleep(max(0.0, line_free_at - time.monotonic()))
            found = data.find(CUT)
            if self.busy_after_cut_s and found >= 0:
                # It prints the slip before it reads what came after it (a question, say).
                end = found + (4 if data[found + 2:found + 3] in (b"A", b"B") else 3)  # GS V m [n]
                self._take(data[:end])
                time.sleep(self.busy_after_cut_s)
                data = data[end:]
            self._take(data)

    def _take(self, data: bytes) -> None:
        with self._lock:
            self.received += data
            if self.status_after_cut is not None and CUT in self.received[-len(data) - 1:]:
                self.status = self.status_after_cut
            self._answer_requests()

    def _answer_requests(self) -> None:
        """Answer each complete DLE EOT n not answered yet."""
        while True:
            found = self.received.find(DLE_EOT, self._scanned)
            if found < 0 or found + 2 >= len(self.received):
                # keep the last two bytes: they may start a request that is still arriving
                self._scanned = max(self._scanned, len(self.received) - 2)
                return
            request = self.received[found + 2]
            self.status_requests.append(request)
            if self.answers is not None:
                reply = bytes((self.answers[request],)) if request in self.answers else None
            else:
                reply = status_reply(self.status, request)
            if reply is not None:
                os.write(self._master, reply)
            self._scanned = found + 3
