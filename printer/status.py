"""Printer status read back with DLE EOT n (n = 1..4), decoded into one value.

Each reply is one byte whose fixed bits are 0xx1 xx10 (bits 1 and 4 set, bits 0 and 7
clear); anything else is noise and counts as no reply. No reply is *unknown* — never
"paper OK"."""

from __future__ import annotations

import enum

DLE_EOT = b"\x10\x04"

# The four real-time status requests, in the order they are asked.
STATUS_REQUESTS = {n: DLE_EOT + bytes((n,)) for n in (1, 2, 3, 4)}

# n = 1, printer status
OFFLINE_BIT = 0x08
# n = 2, offline cause
COVER_OPEN_BIT = 0x04
STOPPED_BY_PAPER_END_BIT = 0x20
ERROR_OCCURRED_BIT = 0x40
# n = 3, error cause: recoverable (0x04, e.g. cleared by DLE ENQ or closing the cover), auto-cutter
# (0x08), unrecoverable (0x20), auto-recoverable e.g. head hot (0x40)
RECOVERABLE_ERROR_BIT = 0x04
CUTTER_ERROR_BIT = 0x08
UNRECOVERABLE_ERROR_BIT = 0x20
AUTO_RECOVERABLE_ERROR_BIT = 0x40
ERROR_BITS = RECOVERABLE_ERROR_BIT | CUTTER_ERROR_BIT | UNRECOVERABLE_ERROR_BIT | AUTO_RECOVERABLE_ERROR_BIT
# n = 4, roll paper sensors: near-end (bits 2, 3), paper end (bit 5; Epson also sets bit 6)
PAPER_NEAR_END_BITS = 0x0C
PAPER_END_BIT = 0x20

FIXED_MASK = 0x93
FIXED_VALUE = 0x12


class PrinterStatus(str, enum.Enum):
    READY = "ready"
    PAPER_NEAR_END = "paper_near_end"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"
    UNKNOWN = "unknown"

    @property
    def can_print(self) -> bool:
        """Whether a ticket may be sent. *Unknown* may: many printers (file:, one-way
        USB) never answer, and refusing them would stop the hall."""
        return self in (PrinterStatus.READY, PrinterStatus.PAPER_NEAR_END, PrinterStatus.UNKNOWN)

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    PrinterStatus.READY: "正常",
    PrinterStatus.PAPER_NEAR_END: "纸将用尽",
    PrinterStatus.PAPER_OUT: "缺纸",
    PrinterStatus.COVER_OPEN: "纸仓盖未关",
    PrinterStatus.OFFLINE: "离线或故障",
    PrinterStatus.UNKNOWN: "状态未知",
}


def status_byte(reply: bytes | None) -> int | None:
    """The status byte in a reply, or None when there is none that looks like one.

    The last byte counts: an earlier byte may be a stale reply left in the line."""
    if not reply:
        return None
    byte = reply[-1]
    if byte & FIXED_MASK != FIXED_VALUE:
        return None
    return byte


def decode_status(replies: dict[int, bytes | None]) -> PrinterStatus:
    """One status from the replies to DLE EOT 1..4 (missing keys mean no reply).

    A fault any reply shows wins; otherwise every reply must be there for *ready*."""
    printer, offline_cause, error_cause, paper = (status_byte(replies.get(n)) for n in (1, 2, 3, 4))
    if offline_cause is not None and offline_cause & COVER_OPEN_BIT:
        return PrinterStatus.COVER_OPEN
    if (paper is not None and paper & PAPER_END_BIT) or (
        offline_cause is not None and offline_cause & STOPPED_BY_PAPER_END_BIT
    ):
        return PrinterStatus.PAPER_OUT
    if (printer is not None and printer & OFFLINE_BIT) or (
        offline_cause is not None and offline_cause & ERROR_OCCURRED_BIT
    ) or (error_cause is not None and error_cause & ERROR_BITS):
        return PrinterStatus.OFFLINE
    if None in (printer, offline_cause, error_cause, paper):
        return PrinterStatus.UNKNOWN
    if paper & PAPER_NEAR_END_BITS:
        return PrinterStatus.PAPER_NEAR_END
    return PrinterStatus.READY


# What each error-cause bit of DLE EOT 3 means, for the detail of an offline error.
ERROR_CAUSES = {
    RECOVERABLE_ERROR_BIT: "recoverable error (DLE EOT 3 bit 2): clear the fault, then press FEED",
    CUTTER_ERROR_BIT: "auto-cutter error (DLE EOT 3 bit 3): paper jammed in the cutter",
    UNRECOVERABLE_ERROR_BIT: "unrecoverable error (DLE EOT 3 bit 5): switch the printer off and on",
    AUTO_RECOVERABLE_ERROR_BIT: "auto-recoverable error (DLE EOT 3 bit 6): print head too hot, wait",
}


def status_causes(replies: dict[int, bytes | None]) -> list[str]:
    """The error causes DLE EOT 3 names, in words, for the detail of an offline error."""
    error_cause = status_byte(replies.get(3))
    if error_cause is None:
        return []
    return [words for bit, words in ERROR_CAUSES.items() if error_cause & bit]
