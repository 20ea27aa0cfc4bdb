"""Text mode: the layout as ESC/POS commands with GB18030 text in the printer's Chinese mode.

python-escpos draws the QR code, the cut and the style commands; the text itself goes
out as GB18030 bytes through `_raw`, because python-escpos's own encoder only picks
GB18030 for lines with a common hanzi, turns lone full-width punctuation into '?' and
switches code pages mid-ticket."""

from __future__ import annotations

from escpos.constants import QR_ECLEVEL_M
from escpos.escpos import Escpos

from .layout import Block, Feed, QrCode, TextLine

INITIALIZE = b"\x1b@"  # ESC @
CHINESE_MODE_ON = b"\x1c&"  # FS &: two-byte (GB18030) characters from here on
ENCODING = "gb18030"


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


def write_text_job(printer: Escpos, blocks: list[Block]) -> None:
    """Send a whole slip in text mode, ending with a cut."""
    printer._raw(INITIALIZE + CHINESE_MODE_ON)
    style = _Style()
    for block in blocks:
        if isinstance(block, TextLine):
            style.apply(printer, block.align, block.bold, (block.width_scale, block.height_scale))
            printer._raw(block.text.encode(ENCODING) + b"\n")
        elif isinstance(block, QrCode):
            style.apply(printer, "center", False, (1, 1))
            # GS ( k on printers that draw QR codes themselves, else python-escpos sends an image.
            native = printer.profile.supports("qrCode")
            printer.qr(block.data, ec=QR_ECLEVEL_M, size=block.module_dots, native=native, center=not native)
            if native:
                printer._raw(b"\n")
        elif isinstance(block, Feed):
            style.apply(printer, style.align, False, (1, 1))  # a blank line at 1x height
            printer._raw(b"\n" * block.lines)
    style.apply(printer, "left", False, (1, 1))
    printer.cut()
