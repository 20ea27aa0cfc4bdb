"""Queue tickets on ESC/POS thermal printers (USB, serial, network, device file), Chinese first.

    from printer import open_printer, TicketSlip
    printer = open_printer("serial:///dev/ttyUSB0?baudrate=115200")
    printer.status()                 # PrinterStatus.READY, PAPER_OUT, ...
    printer.print_ticket(TicketSlip(...))

See docs/printers.md for the URIs and for finding a USB printer."""

from .escpos_cache import prepare_capabilities_cache

prepare_capabilities_cache()  # before python-escpos is imported (the modules below import it)

from .device import TicketPrinter, open_printer  # noqa: E402
from .errors import (
    CoverOpen,
    InvalidPrinterURI,
    NoChineseFont,
    PaperOut,
    PrinterBusy,
    PrinterError,
    PrinterLost,
    PrinterNotFound,
    PrinterNotTakingData,
    PrinterOffline,
    PrinterTimeout,
    UnprintableText,
)
from .slips import MaterialsSlip, TicketSlip
from .status import PrinterStatus
from .uri import PrinterConfig, parse_printer_uri

__all__ = [
    "open_printer", "TicketPrinter", "TicketSlip", "MaterialsSlip", "PrinterStatus", "PrinterConfig",
    "parse_printer_uri", "PrinterError", "PrinterNotFound", "PrinterLost", "PrinterBusy", "PrinterTimeout",
    "PrinterNotTakingData", "PrinterOffline", "PaperOut", "CoverOpen", "InvalidPrinterURI", "NoChineseFont",
    "UnprintableText",
]
