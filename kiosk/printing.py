"""The kiosk's printer: opened by URI on first use, reopened after it was lost.

Only the background printer lane calls these methods (one job at a time), so a slow or
silent printer never freezes the screen. Slips are built here from the server's answers."""

from __future__ import annotations

import logging
from datetime import datetime

from printer import MaterialsSlip, PrinterError, PrinterStatus, TicketSlip, open_printer

log = logging.getLogger(__name__)


def ticket_slip(ticket: dict, hall_name: str, notices: list[str], timezone: str) -> TicketSlip:
    """What goes on paper for a ticket the server issued (`POST /tickets` answer)."""
    return TicketSlip(hall_name=hall_name, number=ticket["number"], service=ticket["service"],
                      department=ticket.get("department") or "", ahead=int(ticket.get("ahead") or 0),
                      estimated_wait_min=ticket.get("estimated_wait_min"),
                      issued_at=datetime.fromisoformat(ticket["issued_at"]), status_url=ticket["status_url"],
                      notices=list(notices), timezone=timezone,
                      tag="预约" if ticket.get("appointment") else ("绿色通道" if ticket.get("priority") else ""),
                      windows=tuple(int(number) for number in ticket.get("windows") or ()))


def materials_slip(guide: dict, hall_name: str) -> MaterialsSlip:
    """The list of materials to bring (一次性告知) from a service guide."""
    return MaterialsSlip(hall_name=hall_name, service=guide["service"], department=guide.get("department") or "",
                         materials=list(guide.get("materials") or []), notes=[],
                         contact=guide.get("contact") or "")


class PrinterStation:
    def __init__(self, uri: str):
        self.uri = uri
        self.device = None
        self.last_status = PrinterStatus.UNKNOWN
        self.last_error: PrinterError | None = None
        # characters of the last slip that no font could draw (empty boxes on the paper)
        self.last_missing: list[str] = []

    def _device(self):
        if self.device is None:
            self.device = open_printer(self.uri)
        return self.device

    def _forget_on(self, error: PrinterError):
        """A printer that vanished (unplugged, powered off) is opened afresh next time."""
        self.last_error = error
        self.last_status = getattr(error, "status", PrinterStatus.UNKNOWN)
        if error.code in ("printer_not_found", "printer_timeout", "printer_busy"):
            self.close()

    def status(self) -> PrinterStatus:
        try:
            self.last_status = self._device().status()
        except PrinterError as error:
            self._forget_on(error)
        return self.last_status

    def print_ticket(self, slip: TicketSlip) -> bytes:
        try:
            data = self._device().print_ticket(slip)
        except PrinterError as error:
            self._forget_on(error)
            raise
        self._after_print()
        return data

    def print_materials(self, slip: MaterialsSlip) -> bytes:
        try:
            data = self._device().print_materials(slip)
        except PrinterError as error:
            self._forget_on(error)
            raise
        self._after_print()
        return data

    def _after_print(self):
        """What the printer itself said after the job: paper near end, or nothing at all
        (unknown) for a printer that never answers — never a "ready" it did not say."""
        self.last_error = None
        self.last_status = PrinterStatus(getattr(self.device, "last_status", PrinterStatus.UNKNOWN))
        self.last_missing = list(getattr(self.device, "last_missing", []))

    def output(self) -> bytes:
        """Everything sent so far, for `dummy:` and `preview:` printers (b"" for real ones)."""
        return bytes(getattr(self.device, "output", b"") or b"") if self.device is not None else b""

    def close(self):
        device, self.device = self.device, None
        if device is not None and hasattr(device, "close"):
            try:
                device.close()
            except Exception as error:  # noqa: BLE001 - closing a lost device may fail in many ways
                log.debug("closing printer: %s", error)
