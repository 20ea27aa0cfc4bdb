"""A ticket printer: lay a slip out, turn it into bytes for the printer's mode, check the
status, send, check again — each call finished or failed within a bounded time."""

from __future__ import annotations

import threading
import time
from typing import Callable, TypeVar

from .errors import PrinterBusy, PrinterError, PrinterTimeout, error_for_status
from .escpos_text import write_text_job
from .layout import Block, materials_layout, ticket_layout
from .raster import draw_slip, to_print_bits, write_image_job
from .slips import MaterialsSlip, TicketSlip
from .status import STATUS_REQUESTS, PrinterStatus, decode_status
from .transports import Job, Transport, make_backend_dummy, make_transport
from .uri import PrinterConfig, parse_printer_uri

Result = TypeVar("Result")

# Slack on top of the computed time for a job: opening the device, the printer's own pace.
JOB_SLACK_S = 2.0
# A serial line seldom runs at its full rate: allow half as long again for a transfer.
TRANSFER_MARGIN = 1.5


class TicketPrinter:
    """Made by `open_printer(uri)`. Thread-safe: one job at a time, others wait (bounded)."""

    def __init__(self, config: PrinterConfig, transport: Transport | None = None):
        self.config = config
        self.uri = config.uri
        self._transport = transport or make_transport(config)
        self._lock = threading.Lock()
        self._overrun: threading.Thread | None = None
        self.last_status = PrinterStatus.UNKNOWN
        self.last_error: PrinterError | None = None

    # -- what the kiosk calls
    def status(self) -> PrinterStatus:
        """The printer's state now. Never raises: no device is OFFLINE, no answer UNKNOWN,
        and while a ticket is printing the last known status is returned."""
        try:
            self.last_status = self._bounded(lambda cancelled: self._read_status(), self._status_seconds())
            self.last_error = None
        except PrinterBusy:
            return self.last_status
        except PrinterError as error:
            self.last_error = error
            self.last_status = error.status
        return self.last_status

    def print_ticket(self, slip: TicketSlip) -> bytes:
        """Print a queue ticket; returns the bytes sent. Raises a PrinterError subclass."""
        return self._print(self.render(ticket_layout(slip, self.config.columns), slip.number))

    def print_materials(self, slip: MaterialsSlip) -> bytes:
        """Print the list of materials to bring (一次性告知单)."""
        return self._print(self.render(materials_layout(slip, self.config.columns), f"materials-{slip.service}"))

    @property
    def output(self) -> bytes:
        """For dummy: and preview:, every byte printed so far."""
        return self._transport.output

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> "TicketPrinter":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- bytes
    def render(self, blocks: list[Block], name: str) -> Job:
        """The bytes of a slip in this printer's mode, and the picture of the paper."""
        backend = make_backend_dummy(self.config)
        if self.config.mode == "image":
            bits = to_print_bits(draw_slip(blocks, self.config.width))
            write_image_job(backend, bits)
            return Job(name, backend.output, lambda: bits)
        write_text_job(backend, blocks)
        return Job(name, backend.output, lambda: to_print_bits(draw_slip(blocks, self.config.width)))

    # -- the steps of a job
    def _read_status(self, first_wait_s: float | None = None) -> PrinterStatus:
        """Ask DLE EOT 1..4. Right after a job the first answer may queue behind the job's
        bytes still in adapters and buffers, so the caller may allow it longer."""
        self._transport.backend()  # a device that cannot be opened is not found, whatever it would say
        if not self._transport.reads_status:
            return PrinterStatus.UNKNOWN
        replies = {}
        for number, request in STATUS_REQUESTS.items():
            wait_s = first_wait_s if number == 1 and first_wait_s else self.config.status_timeout_s
            replies[number] = self._transport.query(request, wait_s)
            if number == 1 and replies[number] is None:
                break  # a silent printer: don't wait for three more silences
        return decode_status(replies)

    def _print(self, job: Job) -> bytes:
        transfer_s = self._transport.transfer_seconds(len(job.data)) * TRANSFER_MARGIN
        seconds = self.config.timeout_s + 2 * transfer_s + 2 * self._status_seconds() + JOB_SLACK_S

        def send(cancelled: threading.Event) -> PrinterStatus:
            before = self._read_status()
            self._refuse_if_faulty(before, "before printing")
            if cancelled.is_set():
                # The caller was told PrinterTimeout and may retry: a late ticket would be a double.
                raise PrinterTimeout(self.uri, "job given up before sending")
            self._transport.deliver(job)
            self._transport.wait_sent(time.monotonic() + seconds)
            after = self._read_status(first_wait_s=self.config.status_timeout_s + transfer_s)
            self._refuse_if_faulty(after, "after printing: the slip may be incomplete")
            return after

        try:
            self.last_status = self._bounded(send, seconds)
        except PrinterError as error:
            self.last_error = error
            if error.status is not PrinterStatus.UNKNOWN:
                self.last_status = error.status
            raise
        self.last_error = None
        return job.data

    def _refuse_if_faulty(self, status: PrinterStatus, when: str) -> None:
        error = error_for_status(self.uri, status, f"status {status.value} {when}")
        if error is not None:
            raise error

    def _status_seconds(self) -> float:
        return self.config.timeout_s + 4 * self.config.status_timeout_s

    def _bounded(self, work: Callable[[threading.Event], Result], seconds: float) -> Result:
        """Run `work(cancelled)` on a helper thread and give up after `seconds`.

        A transport stuck in a driver call cannot be killed; its thread is left to
        finish (`cancelled` is set so it sends nothing more), the transport is asked to
        abort, and calls meanwhile get PrinterBusy."""
        if self._overrun is not None and self._overrun.is_alive():
            raise PrinterBusy(self.uri, "an earlier job has not finished")
        if not self._lock.acquire(timeout=seconds):
            raise PrinterBusy(self.uri, f"waited {seconds:.1f} s for the job before")
        outcome: dict = {}
        cancelled = threading.Event()

        def run() -> None:
            try:
                outcome["value"] = work(cancelled)
            except BaseException as error:  # handed to the caller below
                outcome["error"] = error
            finally:
                self._lock.release()

        worker = threading.Thread(target=run, name=f"printer {self.uri}", daemon=True)
        worker.start()
        worker.join(seconds)
        if worker.is_alive():
            cancelled.set()
            self._overrun = worker
            self._transport.abort()
            raise PrinterTimeout(self.uri, f"no answer within {seconds:.1f} s")
        if "error" in outcome:
            error = outcome["error"]
            if isinstance(error, PrinterError):
                raise error
            self._transport.reset()  # reopen on the next call (unplugged, reset, ...)
            raise self._transport.translate(error) from error
        return outcome["value"]


def open_printer(uri: str) -> TicketPrinter:
    """The printer a URI names. Opens nothing yet: the device is opened on first use (and
    again after a failure), so a kiosk can start while its printer is unplugged."""
    return TicketPrinter(parse_printer_uri(uri))
