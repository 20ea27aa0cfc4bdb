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
        + GS + b"P\xcb\xcb"  # GS P 203 203: a motion unit is one dot, so ESC J n feeds n dots
        + GS + b"v0\x00\x02\x00\x01\x00" + b"\xff\xff"  # GS v 0: 2 bytes wide, 1 row high
        + ESC + b"J\x03"  # three white rows are fed, not sent
        + GS + b"v0\x00\x02\x00\x01\x00" + b"\x80\x00"
        + GS + b"VB\x00"  # GS V 66 0: feed to the cutter, partial cut
    )


def test_motion_unit_follows_the_dpi_and_long_feeds_are_split():
    bits = Image.new("1", (8, 300), 1)
    bits.putpixel((0, 299), 0)
    printer = Dummy()
    write_image_job(printer, bits, dpi=180, cut_kind="full")
    assert printer.output == (
        ESC + b"@" + GS + b"P\xb4\xb4"  # 180 dpi (Epson TM-T88)
        + ESC + b"J\xff" + ESC + b"J\x2c"  # 299 white rows: 255 + 44
        + GS + b"v0\x00\x01\x00\x01\x00\x80"
        + GS + b"VA\x00"  # full cut after feeding
    )


def rebuild_picture(data: bytes, width: int) -> Image.Image:
    """Put the raster images and feeds of an image-mode job back together as paper."""
    rows: list[bytes] = []
    assert data.startswith(ESC + b"@" + GS + b"P")
    index = 6  # ESC @, GS P x y
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
        assert data.startswith(ESC + b"@") and data.endswith(GS + b"VB\x00")
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


def quiet_zone_modules(picture: Image.Image, module_dots: int) -> tuple[float, float]:
    """White modules between the QR code and the nearest ink above and below it, across
    the code's own columns (the code's corners are where zxing finds them)."""
    bits = picture.convert("L")
    codes = zxingcpp.read_barcodes(bits)
    assert len(codes) == 1
    corners = codes[0].position
    top = min(corners.top_left.y, corners.top_right.y)
    bottom = max(corners.bottom_left.y, corners.bottom_right.y)
    left = min(corners.top_left.x, corners.bottom_left.x)
    right = max(corners.top_right.x, corners.bottom_right.x)

    def inked(y: int) -> bool:
        return any(bits.getpixel((x, y)) < 128 for x in range(left, right + 1))

    # zxing's corners may sit a dot inside or outside the code: move to its last black row
    for _ in range(2):
        top += -1 if inked(top - 1) else 0 if inked(top) else 1
        bottom += 1 if inked(bottom + 1) else 0 if inked(bottom) else -1

    def white_rows(rows: range) -> int:
        count = 0
        for y in rows:
            if inked(y):
                break
            count += 1
        return count

    return (white_rows(range(top - 1, -1, -1)) / module_dots,
            white_rows(range(bottom + 1, bits.height)) / module_dots)


def test_qr_code_has_a_quiet_zone_of_four_modules(ticket):
    for width, module in ((384, 5), (576, 6)):
        data = open_printer(f"dummy:?mode=image&width={width}").print_ticket(ticket)
        above, below = quiet_zone_modules(rebuild_picture(data, width), module)
        assert above >= 4 and below >= 4, (width, above, below)


def test_qr_drawn_for_a_printer_without_native_qr_has_its_quiet_zone_too(ticket):
    data = open_printer("dummy:?profile=POS-5890").print_ticket(ticket)
    start = data.rindex(ESC + b"J", 0, data.index(GS + b"v0"))  # the quiet zone above is fed
    end = data.index(ESC + b"a", start) if ESC + b"a" in data[start:] else len(data)
    picture = rebuild_picture(ESC + b"@" + GS + b"P\xcb\xcb" + data[start:end], 384)
    above, below = quiet_zone_modules(picture, 5)
    assert above >= 4 and below >= 4, (above, below)
    assert [code.text for code in zxingcpp.read_barcodes(picture.convert("L"))] == [ticket.status_url]


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
