"""A ticket printer: lay a slip out, turn it into bytes for the printer's mode, check the
status, send, check again — each call finished or failed within a bounded time."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable, TypeVar

from .errors import (
    JobInProgress,
    PrinterError,
    PrinterLost,
    PrinterNotFound,
    PrinterNotTakingData,
    PrinterTimeout,
    UnprintableText,
    error_for_status,
)
from .escpos_text import printer_font_has, write_text_job
from .layout import Block, QrCode, TextLine, materials_layout, ticket_layout
from .raster import draw_slip, missing_characters, to_print_bits, write_image_job
from .slips import MaterialsSlip, TicketSlip
from .status import STATUS_REQUESTS, PrinterStatus, decode_status, status_causes
from .transports import Job, Transport, make_backend_dummy, make_transport
from .uri import PrinterConfig, parse_printer_uri

Result = TypeVar("Result")
log = logging.getLogger(__name__)

# Slack on top of the computed time for a job: opening the device, the printer's own pace.
JOB_SLACK_S = 2.0
# A serial line seldom runs at its full rate: allow half as long again for a transfer.
TRANSFER_MARGIN = 1.5


@dataclass(frozen=True)
class StatusReading:
    """The status and the raw replies it came from (a question with no reply is missing or None)."""

    status: PrinterStatus
    replies: dict

    @property
    def answered(self) -> bool:
        return self.replies.get(1) is not None


class TicketPrinter:
    """Made by `open_printer(uri)`. Thread-safe: one job at a time, others wait (bounded)."""

    def __init__(self, config: PrinterConfig, transport: Transport | None = None):
        self.config = config
        self.uri = config.uri
        self._transport = transport or make_transport(config)
        self._lock = threading.Lock()
        self._overrun: threading.Thread | None = None
        self._overrun_error: PrinterError = PrinterTimeout(config.uri)
        self.last_status = PrinterStatus.UNKNOWN
        self.last_error: PrinterError | None = None
        self.last_missing: list[str] = []  # characters of the last slip that print as empty boxes
        self.last_warnings: list[str] = []  # the same, as a sentence for the operator (log, heartbeat)

    # -- what the kiosk calls
    def status(self) -> PrinterStatus:
        """The printer's state now. Never raises: no device is OFFLINE, no answer UNKNOWN,
        and while a ticket is printing the last known status is returned."""
        if self._overrun is not None and self._overrun.is_alive():
            return self.last_status  # last_error still names what the stuck job ran into
        try:
            reading = self._bounded(lambda cancelled, phase: self._reconnecting(self._read_status),
                                    2 * self._status_seconds())
            self.last_status = reading.status
            self.last_error = None
        except JobInProgress:
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
        """The bytes of a slip in this printer's mode, and the picture of the paper.

        Every character reaches the paper or is named in `last_warnings` (and the log):
        text mode draws the lines its font lacks, image mode falls back through the
        installed fonts; only a character no installed font has is left as an empty box."""
        refuse_unprintable(self.uri, blocks)
        rare_lines = [block for block in blocks if isinstance(block, TextLine) and not printer_font_has(block.text)]
        as_image = self.config.mode == "image" or (self.config.rare == "slip" and bool(rare_lines))
        drawn = [block for block in blocks if isinstance(block, TextLine)] if as_image else rare_lines
        self.last_missing = missing_characters("".join(line.text for line in drawn))
        self.last_warnings = [missing_character_warning(char) for char in self.last_missing]
        for warning in self.last_warnings:
            log.warning("printer %s, slip %s: %s", self.uri, name, warning)
        backend = make_backend_dummy(self.config)
        if as_image:
            bits = to_print_bits(draw_slip(blocks, self.config.width))
            write_image_job(backend, bits, self.config.dpi, self.config.cut)
            return Job(name, backend.output, lambda: bits)
        write_text_job(backend, blocks, self.config.width, self.config.dpi, self.config.cut)
        return Job(name, backend.output, lambda: to_print_bits(draw_slip(blocks, self.config.width)))

    # -- the steps of a job
    def _read_status(self, first_wait_s: float | None = None) -> StatusReading:
        """Ask DLE EOT 1..4. Right after a job the first answer may queue behind the job's
        bytes still in adapters and buffers, so the caller may allow it longer."""
        self._transport.backend()  # a device that cannot be opened is not found, whatever it would say
        if not self._transport.reads_status:
            return StatusReading(PrinterStatus.UNKNOWN, {})
        replies: dict[int, bytes | None] = {}
        for number, request in STATUS_REQUESTS.items():
            wait_s = first_wait_s if number == 1 and first_wait_s else self.config.status_timeout_s
            replies[number] = self._transport.query(request, wait_s)
            if replies[number] is None:
                break  # a printer that ignores one question ignores the rest: don't wait for each
        return StatusReading(decode_status(replies), replies)

    def _reconnecting(self, attempt: Callable[[], Result]) -> Result:
        """Run `attempt`; if a connection that was open is lost (a network printer restarted,
        a USB cable replugged), open it again and run it once more before giving up."""
        try:
            return attempt()
        except PrinterError:
            raise
        except Exception as error:
            if not (self._transport.is_open and self._transport.is_lost(error)):
                raise
            first = error
        self._transport.reset(discard=True)
        log.info("printer %s: connection lost (%s), reconnecting once", self.uri, first)
        try:
            self._transport.backend()
            return attempt()
        except PrinterError as error:
            if type(error) is PrinterNotFound:  # not there when opened again
                raise PrinterLost(self.uri, f"{describe(first)}; reconnecting: {error.detail}") from error
            raise
        except Exception as error:
            if self._transport.is_lost(error) or isinstance(self._transport.translate(error), PrinterNotFound):
                self._transport.reset(discard=True)
                raise PrinterLost(self.uri, f"{describe(first)}; reconnecting: {describe(error)}") from error
            raise

    def _print(self, job: Job) -> bytes:
        transfer_s = self._transport.transfer_seconds(len(job.data)) * TRANSFER_MARGIN
        once = self.config.timeout_s + 2 * transfer_s + 2 * self._status_seconds()
        # Room for one reconnection: a lost connection shows at the first question, so the
        # second try costs an open and a status on top of the job itself.
        seconds = once + self.config.timeout_s + self._status_seconds() + JOB_SLACK_S

        def send_once(cancelled: threading.Event, phase: list[str]) -> PrinterStatus:
            phase[0] = "status"
            before = self._read_status()
            self._refuse_if_faulty(before, "before printing")
            if cancelled.is_set():
                # The caller was told the job failed and may retry: a late ticket would be a double.
                raise PrinterTimeout(self.uri, "job given up before sending")
            phase[0] = "sending"
            self._transport.deliver(job)
            self._transport.wait_sent(time.monotonic() + once)
            phase[0] = "status"
            # The slip is out: a connection lost now (some network printers close it after each
            # job) is reopened to ask the status, never to send the slip again (no doubles).
            after = self._reconnecting(lambda: self._read_status(first_wait_s=self.config.status_timeout_s + transfer_s))
            if before.answered and not after.answered:
                # A printer with a full buffer reads the question only once it has printed some:
                # give it the write timeout before saying it stopped reading its input.
                after = self._reconnecting(lambda: self._read_status(first_wait_s=self.config.timeout_s))
            if before.answered and not after.answered:
                # It answered before the slip and not after it: the slip is stuck in front of the
                # question, in a printer that stopped reading its input.
                raise PrinterNotTakingData(self.uri, "answered the status before the slip, silent after it")
            self._refuse_if_faulty(after, "after printing: the slip may be incomplete")
            return after.status

        def send(cancelled: threading.Event, phase: list[str]) -> PrinterStatus:
            try:
                return self._reconnecting(lambda: send_once(cancelled, phase))
            except PrinterNotTakingData:
                self._transport.reset(discard=True)  # what is left in the buffers is not printed later
                raise

        try:
            self.last_status = self._bounded(send, seconds)
        except PrinterError as error:
            self.last_error = error
            if error.status is not PrinterStatus.UNKNOWN:
                self.last_status = error.status
            raise
        self.last_error = None
        return job.data

    def _refuse_if_faulty(self, reading: StatusReading, when: str) -> None:
        causes = "; ".join(status_causes(reading.replies))
        error = error_for_status(self.uri, reading.status, f"status {reading.status.value} {when}"
                                 + (f": {causes}" if causes else ""))
        if error is not None:
            raise error

    def _status_seconds(self) -> float:
        return self.config.timeout_s + 4 * self.config.status_timeout_s

    def _bounded(self, work: Callable[[threading.Event, list[str]], Result], seconds: float) -> Result:
        """Run `work(cancelled, phase)` on a helper thread and give up after `seconds`.

        A transport stuck in a driver call cannot be killed; its thread is left to finish
        (`cancelled` is set so it sends nothing more), the transport is asked to abort, and
        calls meanwhile get the same error again. `phase[0]` says what the work is doing, so
        the error names the cause: a printer not taking the slip, or not answering."""
        if self._overrun is not None and self._overrun.is_alive():
            stuck = self._overrun_error
            raise type(stuck)(self.uri, f"the earlier job is still stuck: {stuck.detail}")
        if not self._lock.acquire(timeout=seconds):
            raise JobInProgress(self.uri, f"waited {seconds:.1f} s for the job before")
        outcome: dict = {}
        cancelled = threading.Event()
        phase = ["opening"]

        def run() -> None:
            try:
                outcome["value"] = work(cancelled, phase)
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
            if phase[0] == "sending":
                self._overrun_error = PrinterNotTakingData(self.uri, f"the slip was not taken within {seconds:.1f} s")
            else:
                self._overrun_error = PrinterTimeout(self.uri, f"no answer within {seconds:.1f} s ({phase[0]})")
            raise self._overrun_error
        if "error" in outcome:
            error = outcome["error"]
            if isinstance(error, PrinterError):
                raise error
            self._transport.reset(discard=True)  # reopen on the next call (unplugged, reset, ...)
            raise self._transport.translate(error) from error
        return outcome["value"]


def refuse_unprintable(device: str, blocks: list[Block]) -> None:
    """A lone surrogate (half of a character, from a broken decoder) has no bytes in any
    encoding and no glyph: say so as a PrinterError rather than fail deep in an encoder."""
    for block in blocks:
        text = block.text if isinstance(block, TextLine) else block.data if isinstance(block, QrCode) else ""
        for position, char in enumerate(text):
            if "\ud800" <= char <= "\udfff":
                raise UnprintableText(device, f"lone surrogate U+{ord(char):04X} at {position} in {text!r}")


def missing_character_warning(char: str) -> str:
    return (f"没有已安装的字体含有“{char}”（U+{ord(char):04X}），票面上该字将是空框；请安装 fonts-hanazono。"
            f" / No installed font has {char} (U+{ord(char):04X}): it prints as an empty box;"
            f" install fonts-hanazono.")


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}".strip()


def open_printer(uri: str) -> TicketPrinter:
    """The printer a URI names. Opens nothing yet: the device is opened on first use (and
    again after a failure), so a kiosk can start while its printer is unplugged."""
    return TicketPrinter(parse_printer_uri(uri))
