"""Image mode: the same layout drawn with a CJK font, 1 bit, sent as raster bit images."""

from __future__ import annotations

import zxingcpp
from escpos.printer import Dummy
from PIL import Image, ImageChops

from printer import open_printer
from printer.layout import CHAR_DOTS, COLUMN_DOTS, TextLine, number_scale, ticket_layout
from printer.raster import draw_line, find_cjk_font, to_print_bits, write_image_job

ESC, GS = b"\x1b", b"\x1d"


def test_a_bitmap_becomes_exact_bytes_on_dummy():
    bits = Image.new("1", (16, 5), 1)  # white
    for x in range(16):
        bits.putpixel((x, 0), 0)  # row 0: a black line
    bits.putpixel((0, 4), 0)  # row 4: one dot at the left
    printer = Dummy()
    write_image_job(printer, bits)
    assert printer.output == (
        ESC + b"@"
        + GS + b"v0\x00\x02\x00\x01\x00" + b"\xff\xff"  # GS v 0: 2 bytes wide, 1 row high
        + ESC + b"J\x03"  # three white rows are fed, not sent
        + GS + b"v0\x00\x02\x00\x01\x00" + b"\x80\x00"
        + ESC + b"d\x06" + GS + b"V\x00"
    )


def rebuild_picture(data: bytes, width: int) -> Image.Image:
    """Put the raster images and feeds of an image-mode job back together as paper."""
    rows: list[bytes] = []
    assert data.startswith(ESC + b"@")
    index = 2
    while index < len(data):
        if data.startswith(GS + b"v0", index):
            width_bytes = data[index + 4] + 256 * data[index + 5]
            height = data[index + 6] + 256 * data[index + 7]
            assert width_bytes == width // 8
            start = index + 8
            for row in range(height):
                rows.append(data[start + row * width_bytes:start + (row + 1) * width_bytes])
            index = start + height * width_bytes
        elif data.startswith(ESC + b"J", index):
            rows += [bytes(width // 8)] * data[index + 2]
            index += 3
        else:
            break
    # ESC/POS raster: a set bit is a black dot; PIL mode "1" raw: a set bit is white.
    inverted = bytes(255 - byte for byte in b"".join(rows))
    return Image.frombytes("1", (width, len(rows)), inverted)


def test_ticket_raster_is_the_paper_picture(ticket):
    for width in (384, 576):
        printer = open_printer(f"dummy:?mode=image&width={width}")
        data = printer.print_ticket(ticket)
        assert data.startswith(ESC + b"@") and data.endswith(GS + b"V\x00")
        assert b"\x1c&" not in data  # no Chinese text mode: the printer needs no font
        picture = rebuild_picture(data, width)
        job = printer.render(ticket_layout(ticket, printer.config.columns), ticket.number)
        paper = job.paper()
        assert paper.mode == "1" and paper.width == width
        assert picture.size == paper.size
        assert ImageChops.difference(picture.convert("L"), paper.convert("L")).getbbox() is None


def test_the_qr_code_on_paper_reads_back_as_the_status_url(ticket):
    for width in (384, 576):
        picture = rebuild_picture(open_printer(f"dummy:?mode=image&width={width}").print_ticket(ticket), width)
        codes = zxingcpp.read_barcodes(picture.convert("L"))
        assert [code.text for code in codes] == [ticket.status_url]


def test_image_is_dithered_to_one_bit():
    grey = Image.new("L", (64, 64), 128)
    bits = to_print_bits(grey)
    assert bits.mode == "1"
    black = bits.histogram()[0]
    assert 0.4 < black / (64 * 64) < 0.6  # mid grey is about half the dots, not all or none


def test_hall_name_is_drawn_in_chinese_not_boxes(ticket, artifacts):
    path, index = find_cjk_font()
    assert path.endswith((".ttc", ".otf", ".ttf"))
    line = draw_line(TextLine(ticket.hall_name))
    line.save(artifacts / "hall_name_line.png")
    cells = [line.crop((i * 2 * COLUMN_DOTS, 0, (i + 1) * 2 * COLUMN_DOTS, CHAR_DOTS))
             for i in range(len(ticket.hall_name))]
    for char, cell in zip(ticket.hall_name, cells):
        ink = sum(1 for value in cell.getdata() if value < 128)
        assert ink > 20, f"{char} has no ink"
    # Different characters are different shapes; a font without them draws the same box.
    shapes = {cell.tobytes() for cell in cells}
    distinct = len(set(ticket.hall_name))
    assert len(shapes) == distinct
    # 政 and 务 share nothing but the cell: the shapes differ in many dots
    first, second = cells[ticket.hall_name.index("政")], cells[ticket.hall_name.index("务")]
    differing = ImageChops.difference(first, second).point(lambda value: 255 if value > 128 else 0)
    assert differing.histogram()[255] > 30


def test_the_number_is_drawn_very_large(ticket):
    scale = number_scale(ticket.number, 48)
    line = draw_line(TextLine(ticket.number, scale, scale, "center", True))
    left, top, right, bottom = line.point(lambda value: 255 if value < 128 else 0).getbbox()
    assert bottom - top > 90 and right - left > 250  # dots: over 11 mm tall, 31 mm wide at 203 dpi
