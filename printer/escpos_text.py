"""Text mode: the layout as ESC/POS commands with GB18030 text in the printer's Chinese mode.

python-escpos draws the QR code and the style commands; the text itself goes out as
GB18030 bytes through `_raw`, because python-escpos's own encoder only picks GB18030 for
lines with a common hanzi, turns lone full-width punctuation into '?' and switches code
pages mid-ticket.

A printer's Chinese font holds GBK (two bytes a character), seldom more: a line with a
character outside it (䶮 U+4DAE, 𠀀 U+20000, found in names) is drawn by govhall and sent
as a raster line in its place, so the character reaches the paper whatever the font."""

from __future__ import annotations

from escpos.constants import QR_ECLEVEL_M
from escpos.escpos import Escpos

from .commands import INITIALIZE, cut, motion_units
from .layout import Block, Feed, QrCode, TextLine
from .raster import line_picture, qr_picture, send_raster

CHINESE_MODE_ON = b"\x1c&"  # FS &: two-byte (GB18030) characters from here on
ENCODING = "gb18030"
PRINTER_FONT_ENCODING = "gbk"  # what a printer's Chinese font can be trusted to hold


def printer_font_has(text: str) -> bool:
    """Whether the printer's own Chinese font can print every character of `text`."""
    try:
        text.encode(PRINTER_FONT_ENCODING)
    except UnicodeEncodeError:
        return False
    return True


class _Style:
    """The style the printer is in, so each command is sent only when it changes."""

    def __init__(self):
        self.align = "left"
        self.bold = False
        self.size = (1, 1)

    def apply(self, printer: Escpos, align: str, bold: bool, size: tuple[int, int]) -> None:
        if align != self.align:
            printer.set(align=align)  # ESC a n
            self.align = align
        if bold != self.bold:
            printer.set(bold=bold)  # ESC E n
            self.bold = bold
        if size != self.size:
            printer.set(custom_size=True, width=size[0], height=size[1])  # GS ! n
            self.size = size


class _Units:
    """GS P is sent once, before the first ESC J of a raster line: a ticket without one
    does not need it."""

    def __init__(self, dpi: int):
        self.dpi = dpi
        self.sent = False

    def ensure(self, printer: Escpos) -> None:
        if not self.sent:
            printer._raw(motion_units(self.dpi))
            self.sent = True


def write_text_job(printer: Escpos, blocks: list[Block], width: int = 576, dpi: int = 203,
                   cut_kind: str = "partial") -> None:
    """Send a whole slip in text mode, ending with the cut."""
    printer._raw(INITIALIZE + CHINESE_MODE_ON)
    style = _Style()
    units = _Units(dpi)
    for block in blocks:
        if isinstance(block, TextLine):
            if printer_font_has(block.text):
                style.apply(printer, block.align, block.bold, (block.width_scale, block.height_scale))
                printer._raw(block.text.encode(ENCODING) + b"\n")
            else:
                style.apply(printer, "left", style.bold, style.size)  # the picture carries its alignment
                units.ensure(printer)
                send_raster(printer, line_picture(block, width))
        elif isinstance(block, QrCode):
            style.apply(printer, "center", False, (1, 1))
            if printer.profile.supports("qrCode"):
                # GS ( k: the printer draws it. The blank line before it (a Feed in the layout)
                # and the one after are each a line pitch, over 4 modules: the quiet zone.
                printer.qr(block.data, ec=QR_ECLEVEL_M, size=block.module_dots, native=True)
                printer._raw(b"\n")
            else:
                # Drawn here with its quiet zone (python-escpos's own picture has one module).
                style.apply(printer, "left", False, (1, 1))
                units.ensure(printer)
                send_raster(printer, qr_picture(block, width))
        elif isinstance(block, Feed):
            style.apply(printer, style.align, False, (1, 1))  # a blank line at 1x height
            printer._raw(b"\n" * block.lines)
    style.apply(printer, "left", False, (1, 1))
    printer._raw(cut(cut_kind))
