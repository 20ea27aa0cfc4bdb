"""The few ESC/POS commands both modes send that python-escpos has no call for."""

from __future__ import annotations

INITIALIZE = b"\x1b@"  # ESC @
FEED_DOTS = b"\x1bJ"  # ESC J n: feed n vertical motion units
FEED_LINES = b"\x1bd"  # ESC d n: print and feed n lines
MOTION_UNITS = b"\x1dP"  # GS P x y: motion units of 1/x and 1/y inch
CUT_AFTER_FEED = {"full": 65, "partial": 66}  # GS V m n: feed to the cutter (+ n units), then cut
TEAR_OFF_LINES = 6  # no cutter: feed the slip past the tear bar

CUTS = ("partial", "full", "none")


def motion_units(dpi: int) -> bytes:
    """GS P dpi dpi: one motion unit is one dot, so ESC J n feeds n dots. Without it, a
    printer keeps its own unit (Epson: 1/360 inch on a 180 dpi head) and feeds differ."""
    return MOTION_UNITS + bytes((dpi, dpi))


def feed_dots(dots: int) -> bytes:
    """ESC J, in steps of at most 255, for `dots` dots (after `motion_units`)."""
    out = bytearray()
    while dots > 0:
        step = min(dots, 255)
        out += FEED_DOTS + bytes((step,))
        dots -= step
    return bytes(out)


def cut(kind: str) -> bytes:
    """The end of a slip. GS V 66 0 feeds just to the cutter and cuts, wasting less paper
    than feeding six lines first; without a cutter, feed to the tear bar."""
    if kind == "none":
        return FEED_LINES + bytes((TEAR_OFF_LINES,))
    return b"\x1dV" + bytes((CUT_AFTER_FEED[kind], 0))
