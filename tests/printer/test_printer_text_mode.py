"""Text mode: GB18030 in the printer's Chinese mode, sizes by GS !, native QR, a cut."""

from __future__ import annotations

import re
from pathlib import Path

from escpos.printer import Dummy

from printer import open_printer
from printer.escpos_text import write_text_job
from printer.layout import Feed, QrCode, TextLine

GOLDEN = Path(__file__).parent / "golden"

ESC, GS, FS = b"\x1b", b"\x1d", b"\x1c"


def test_blocks_become_exact_bytes_on_dummy():
    printer = Dummy()
    write_text_job(printer, [
        TextLine("大厅（一楼）", 2, 2, "center", True),
        TextLine("A001", 6, 6, "center", True),
        TextLine("等候：3人，约5分钟"),
        Feed(1),
        QrCode("http://h/t/1", 6),
    ])
    expected = (
        ESC + b"@" + FS + b"&"  # initialise, Chinese (two-byte) mode on
        + ESC + b"a\x01" + ESC + b"E\x01" + GS + b"!\x11"  # centre, bold, 2 x 2
        + "大厅（一楼）".encode("gb18030") + b"\n"
        + GS + b"!\x55" + b"A001\n"  # 6 x 6, same alignment and weight
        + ESC + b"a\x00" + ESC + b"E\x00" + GS + b"!\x00"  # left, regular, 1 x 1
        + "等候：3人，约5分钟".encode("gb18030") + b"\n"
        + b"\n"
        + ESC + b"a\x01"  # QR centred: GS ( k model 2, module 6, EC level M, store, print
        + GS + b"(k\x04\x001A2\x00" + GS + b"(k\x03\x001C\x06" + GS + b"(k\x03\x001E1"
        + GS + b"(k\x0f\x001P0http://h/t/1" + GS + b"(k\x03\x001Q0" + b"\n"
        + ESC + b"a\x00"
        + GS + b"VB\x00"  # GS V 66 0: feed just to the cutter, partial cut
    )
    assert printer.output == expected


def test_full_ticket_matches_golden_bytes(ticket):
    golden = (GOLDEN / "ticket_text_576.bin").read_bytes()
    printer = open_printer("dummy:")
    assert printer.print_ticket(ticket) == golden
    assert printer.output == golden


def test_materials_slip_matches_golden_bytes(materials):
    printer = open_printer("dummy:?width=384")
    assert printer.print_materials(materials) == (GOLDEN / "materials_text_384.bin").read_bytes()


def printed_text(data: bytes) -> str:
    """The characters a text-mode job prints: commands dropped, the rest decoded as GB18030."""
    kept = bytearray()
    index = 0
    while index < len(data):
        if data.startswith(GS + b"(k", index):  # GS ( k pL pH d1...dk
            index += 5 + data[index + 3] + 256 * data[index + 4]
        elif data[index] in (0x1b, 0x1c, 0x1d):  # ESC @, FS &, or a command with one argument
            index += 2 if data[index + 1:index + 2] in (b"@", b"&") else 3
        else:
            kept.append(data[index])
            index += 1
    return kept.decode("gb18030")


def test_every_field_prints_as_written(ticket):
    text = printed_text(open_printer("dummy:").print_ticket(ticket))
    assert "?" not in text and "\ufffd" not in text
    unwrapped = re.sub(r"\n *", "", text)  # notices wrap onto indented lines
    for field in [ticket.hall_name, ticket.number, ticket.service, ticket.department, "前面还有 12 人",
                  "预计等候约 45 分钟", "取号时间：2026-11-25 11:05", *ticket.notices]:
        assert field in unwrapped, field
    for punctuation in "（）：，！、。":
        assert punctuation in text


def test_materials_print_as_written(materials):
    text = printed_text(open_printer("dummy:?width=384").print_materials(materials))
    assert "?" not in text
    unwrapped = re.sub(r"\n *", "", text)
    for field in [*materials.materials, *materials.notes, materials.contact, materials.service, "一次性告知单"]:
        assert field in unwrapped, field


def test_wrapped_lines_fit_the_paper(ticket, materials):
    for width, columns in ((576, 48), (384, 32)):
        printer = open_printer(f"dummy:?width={width}")
        for data in (printer.print_ticket(ticket), printer.print_materials(materials)):
            for line in printed_text(data).split("\n"):
                assert len(line.encode("gb18030")) <= columns, line


def test_no_code_page_switching_and_one_chinese_mode(ticket):
    data = open_printer("dummy:").print_ticket(ticket)
    assert b"\x1bt" not in data  # ESC t: code table changes are what breaks mixed lines
    assert data.count(FS + b"&") == 1 and data.startswith(ESC + b"@" + FS + b"&")


def test_number_is_very_large_and_qr_is_native(ticket):
    data = open_printer("dummy:").print_ticket(ticket)
    assert GS + b"!\x55" + b"B027\n" in data  # 6 x 6
    url = ticket.status_url.encode()
    assert GS + b"(k" + bytes((len(url) + 3, 0)) + b"1P0" + url in data
    assert data.endswith(GS + b"VB\x00")
    assert ESC + b"d" not in data  # no lines fed before the cut: GS V 66 feeds to the cutter itself


def test_text_ticket_stays_small(ticket):
    data = open_printer("dummy:").print_ticket(ticket)
    assert len(data) <= 1536, len(data)


def test_profile_without_native_qr_gets_a_qr_image(ticket):
    data = open_printer("dummy:?profile=POS-5890").print_ticket(ticket)
    assert data == (GOLDEN / "ticket_text_384_pos5890.bin").read_bytes()
    assert GS + b"(k" not in data
    assert GS + b"v0" in data  # the QR drawn here as a raster image instead
    assert GS + b"P\xcb\xcb" in data  # one motion unit = one dot (203 dpi) before its ESC J feeds
    assert data.index(GS + b"P") < data.index(ESC + b"J")
    assert GS + b"V" not in data and data.endswith(ESC + b"d\x06")  # no cutter: fed to the tear bar
