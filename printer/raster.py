"""Image mode: the layout drawn with Pillow and a CJK font, for printers without a Chinese
font, and the picture of any slip that `preview:` saves.

Characters sit on the printer's own grid (see `layout`), so a preview of a text-mode
ticket wraps and aligns as the paper will."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess

import qrcode
from escpos.escpos import Escpos
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont

from .commands import INITIALIZE, cut, feed_dots, motion_units
from .errors import NoChineseFont
from .layout import CHAR_DOTS, COLUMN_DOTS, Block, Feed, QrCode, TextLine, char_columns

LINE_GAP_DOTS = 8  # blank dots between printed lines
FEED_DOTS = CHAR_DOTS + LINE_GAP_DOTS
MARGIN_DOTS = 8  # above the first line and below the last
QUIET_ZONE_MODULES = 4  # white modules a QR code needs around it to be read (ISO/IEC 18004)

# (path, face index) tried in order; Noto's .ttc holds JP, KR, SC, TC, HK in that order.
FONT_CANDIDATES = [
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf", 0),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
]
PROBE = "政务中心"  # characters a usable font must draw as distinct glyphs

# Where the first font has no glyph (rare characters in names: 䶮 U+4DAE in Extension A,
# 𠀀 U+20000 in Extension B), these are tried in order. Hanazono (fonts-hanazono) covers
# Extensions A to F between its two files; Noto Sans CJK and AR PL UMing cover parts.
FALLBACK_FONT_CANDIDATES = [
    ("/usr/share/fonts/truetype/hanazono/HanaMinA.ttf", 0),
    ("/usr/share/fonts/truetype/hanazono/HanaMinB.ttf", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
]
FontFace = tuple[str, int]  # (path, face index in a collection)


def _draws_chinese(path: str, index: int) -> bool:
    """True when the font draws PROBE as different shapes (a font without the glyphs
    draws the same empty box for each)."""
    try:
        font = ImageFont.truetype(path, 24, index=index)
    except OSError:
        return False
    shapes = set()
    for char in PROBE:
        glyph = Image.new("L", (32, 32), 0)
        ImageDraw.Draw(glyph).text((16, 16), char, font=font, fill=255, anchor="mm")
        shapes.add(glyph.tobytes())
    return len(shapes) == len(PROBE) and all(any(shape) for shape in shapes)


@functools.lru_cache(maxsize=1)
def find_cjk_font() -> tuple[str, int]:
    """(path, face index) of a font that draws Simplified Chinese.

    GOVHALL_PRINTER_FONT=path[:index] wins; then the known paths; then fontconfig."""
    wanted = os.environ.get("GOVHALL_PRINTER_FONT")
    candidates = list(FONT_CANDIDATES)
    if wanted:
        path, _, index = wanted.partition(":")
        candidates.insert(0, (path, int(index or 0)))
    for path, index in candidates:
        if os.path.exists(path) and _draws_chinese(path, index):
            return path, index
    if shutil.which("fc-match"):
        found = subprocess.run(["fc-match", "-f", "%{file}\n%{index}", "sans-serif:lang=zh-cn"],
                               capture_output=True, text=True, timeout=10).stdout.split("\n")
        if len(found) == 2 and found[0] and _draws_chinese(found[0], int(found[1] or 0)):
            return found[0], int(found[1] or 0)
    raise NoChineseFont("image mode")


@functools.lru_cache(maxsize=1)
def font_chain() -> tuple[FontFace, ...]:
    """The faces a character is looked up in, in order: the chosen CJK font, then the
    installed fallbacks with the rare characters."""
    chain = [find_cjk_font()]
    for face in FALLBACK_FONT_CANDIDATES:
        if os.path.exists(face[0]) and face not in chain:
            chain.append(face)
    return tuple(chain)


@functools.lru_cache(maxsize=None)
def covered_code_points(face: FontFace) -> frozenset[int]:
    """The characters a face has a glyph for, from its cmap (read once, lazily: the
    fallbacks are big and only opened when the first font lacks a character)."""
    path, index = face
    with TTFont(path, fontNumber=index, lazy=True) as font:
        return frozenset(font.getBestCmap() or ())


def face_for(char: str) -> FontFace | None:
    """The first face in the chain that has `char`, None when none has it."""
    for face in font_chain():
        if ord(char) in covered_code_points(face):
            return face
    return None


def missing_characters(text: str) -> list[str]:
    """The characters of `text` no installed font can draw (each once, in order)."""
    missing: list[str] = []
    for char in text:
        if not char.isspace() and char not in missing and face_for(char) is None:
            missing.append(char)
    return missing


@functools.lru_cache(maxsize=64)
def _face_font(face: FontFace, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(face[0], size, index=face[1])


def _font(size: int, char: str = "") -> ImageFont.FreeTypeFont:
    """The font for `char` at `size`: the first face that has it (the first face's empty box
    when none does; `missing_characters` is how the operator hears of it)."""
    face = face_for(char) if char else None
    return _face_font(face or find_cjk_font(), size)


def draw_line(line: TextLine) -> Image.Image:
    """One printed line: each character centred in its 12 or 24 dot cell, scaled like GS !."""
    scale = line.height_scale
    cell_height = CHAR_DOTS * scale
    width = sum(char_columns(char) for char in line.text) * COLUMN_DOTS * scale
    image = Image.new("L", (max(width, 1), cell_height), 255)
    draw = ImageDraw.Draw(image)
    size = round(CHAR_DOTS * scale * 0.92)
    # Bold as the printer does it: the glyph struck again a dot to the right.
    strikes = range(max(1, scale // 2) + 1) if line.bold else range(1)
    x = 0
    for char in line.text:
        cell_width = char_columns(char) * COLUMN_DOTS * scale
        if not char.isspace():
            for shift in strikes:
                draw.text((x + cell_width / 2 + shift, cell_height / 2), char, font=_font(size, char), fill=0,
                          anchor="mm")
        x += cell_width
    if line.width_scale != line.height_scale:
        # GS ! scales width and height separately; so do we.
        image = image.resize((max(width * line.width_scale // scale, 1), cell_height), Image.LANCZOS)
    return image


def draw_qr(block: QrCode) -> Image.Image:
    """The QR code alone, no border: its quiet zone is left white around it on the paper."""
    code = qrcode.QRCode(border=0, box_size=block.module_dots,
                         error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(block.data)
    code.make(fit=True)
    return code.make_image().get_image().convert("L")


def _paste(paper: Image.Image, picture: Image.Image, align: str, y: int) -> None:
    room = max(paper.width - picture.width, 0)
    paper.paste(picture, ({"left": 0, "center": room // 2, "right": room}[align], y))


def draw_slip(blocks: list[Block], width: int) -> Image.Image:
    """The whole slip as a greyscale picture `width` dots wide (black ink on white)."""
    pieces: list[tuple[Image.Image | None, str, int, int]] = []  # (picture, align, top offset, height)
    for block in blocks:
        if isinstance(block, TextLine):
            picture = draw_line(block)
            pieces.append((picture, block.align, 0, picture.height + LINE_GAP_DOTS))
        elif isinstance(block, QrCode):
            picture = draw_qr(block)
            quiet = QUIET_ZONE_MODULES * block.module_dots
            pieces.append((picture, "center", quiet, picture.height + 2 * quiet))
        elif isinstance(block, Feed):
            pieces.append((None, "left", 0, FEED_DOTS * block.lines))
    height = MARGIN_DOTS + sum(piece[3] for piece in pieces) + MARGIN_DOTS
    paper = Image.new("L", (width, height), 255)
    y = MARGIN_DOTS
    for picture, align, offset, piece_height in pieces:
        if picture is not None:
            _paste(paper, picture, align, y + offset)
        y += piece_height
    return paper


def line_picture(line: TextLine, width: int) -> Image.Image:
    """One line across the paper, 1 bit, with the gap below it: what text mode sends for a
    line the printer's font cannot print."""
    picture = draw_line(line)
    paper = Image.new("L", (width, picture.height + LINE_GAP_DOTS), 255)
    _paste(paper, picture, line.align, 0)
    return to_print_bits(paper)


def qr_picture(block: QrCode, width: int) -> Image.Image:
    """A QR code centred across the paper, 1 bit, its quiet zone above and below."""
    picture = draw_qr(block)
    quiet = QUIET_ZONE_MODULES * block.module_dots
    paper = Image.new("L", (width, picture.height + 2 * quiet), 255)
    _paste(paper, picture, "center", quiet)
    return to_print_bits(paper)


def to_print_bits(paper: Image.Image) -> Image.Image:
    """1 bit per dot, Floyd-Steinberg dithered, as a thermal head prints."""
    return paper.convert("1", dither=Image.Dither.FLOYDSTEINBERG)


def _ink_bands(bits: Image.Image) -> list[tuple[int, int, bool]]:
    """(top, bottom, has_ink) runs of rows, so white space can be fed instead of sent."""
    width, height = bits.size
    assert width % 8 == 0, "raster width must be whole bytes"
    row_bytes = width // 8
    data = bits.tobytes()  # mode "1", 8 dots a byte, a set bit is white
    white_row = b"\xff" * row_bytes
    bands: list[tuple[int, int, bool]] = []
    for row in range(height):
        inked = data[row * row_bytes:(row + 1) * row_bytes] != white_row
        if bands and bands[-1][2] == inked:
            bands[-1] = (bands[-1][0], row + 1, inked)
        else:
            bands.append((row, row + 1, inked))
    return bands


def send_raster(printer: Escpos, bits: Image.Image) -> None:
    """A 1-bit picture as raster bit images (GS v 0), feeding over white runs (ESC J) instead
    of sending them. The motion unit must be one dot (`motion_units`) before this."""
    for top, bottom, inked in _ink_bands(bits):
        if inked:
            printer.image(bits.crop((0, top, bits.width, bottom)), impl="bitImageRaster")
        else:
            printer._raw(feed_dots(bottom - top))


def write_image_job(printer: Escpos, bits: Image.Image, dpi: int = 203, cut_kind: str = "partial") -> None:
    """Send a 1-bit picture of a whole slip, then cut."""
    printer._raw(INITIALIZE + motion_units(dpi))
    send_raster(printer, bits)
    printer._raw(cut(cut_kind))
