"""Rare characters (names of people and places): every one reaches the paper, or the
operator is told which one does not. 䶮 (U+4DAE) is in CJK Extension A, 𠀀 (U+20000) in
Extension B: neither is in GBK, the font of a printer's Chinese mode, nor in WenQuanYi."""

from __future__ import annotations

import dataclasses
import re

import pytest
from PIL import Image, ImageChops

from printer import PrinterError, UnprintableText, open_printer
from printer.layout import CHAR_DOTS, COLUMN_DOTS, TextLine
from printer.raster import LINE_GAP_DOTS, MARGIN_DOTS, draw_line, face_for, find_cjk_font, missing_characters
from printer.testprint import print_test, sample_ticket

ESC, GS, FS = b"\x1b", b"\x1d", b"\x1c"
RARE = "䶮𠀀"
NO_FONT_HAS = "\U00030000"  # Extension G (Unicode 13): in no font the project installs


def raster_runs(data: bytes, width: int) -> list[Image.Image]:
    """Each run of raster images (GS v 0) and dot feeds (ESC J) in a job, as a picture."""
    runs: list[list[bytes]] = []
    current: list[bytes] | None = None
    index = 0
    while index < len(data):
        if data.startswith(GS + b"v0", index):
            width_bytes = data[index + 4] + 256 * data[index + 5]
            height = data[index + 6] + 256 * data[index + 7]
            assert width_bytes == width // 8
            start = index + 8
            if current is None:
                current = []
                runs.append(current)
            current += [data[start + row * width_bytes:start + (row + 1) * width_bytes] for row in range(height)]
            index = start + height * width_bytes
        elif data.startswith(ESC + b"J", index):
            if current is None:
                current = []
                runs.append(current)
            current += [bytes(width // 8)] * data[index + 2]
            index += 3
        else:
            current = None
            index += 1
    return [Image.frombytes("1", (width, len(rows)), bytes(255 - b for b in b"".join(rows))).convert("L")
            for rows in runs]


def glyph_cells(line: Image.Image, count: int, top: int = 0, left: int = 0) -> list[Image.Image]:
    width = 2 * COLUMN_DOTS
    return [line.crop((left + i * width, top, left + (i + 1) * width, top + CHAR_DOTS)) for i in range(count)]


def empty_box() -> Image.Image:
    """What a character no installed font has looks like: the first font's empty box."""
    return glyph_cells(draw_line(TextLine(NO_FONT_HAS)).convert("L"), 1)[0]


def assert_drawn_not_boxed(cell: Image.Image, char: str) -> None:
    ink = sum(1 for value in cell.getdata() if value < 128)
    assert ink > 20, f"{char}: no ink"
    differing = ImageChops.difference(cell, empty_box()).point(lambda value: 255 if value > 128 else 0)
    assert differing.histogram()[255] > 40, f"{char} is drawn as the empty box"


def test_a_second_font_has_the_extension_a_and_b_characters():
    primary = find_cjk_font()
    for char in RARE:
        face = face_for(char)
        assert face is not None and face != primary, char  # the first font lacks it, a fallback has it
    assert face_for("政") == primary
    assert missing_characters("王" + RARE + NO_FONT_HAS) == [NO_FONT_HAS]


def test_image_mode_draws_rare_characters_read_back_from_the_bytes(artifacts):
    printer = open_printer("dummy:?mode=image")
    job = printer.render([TextLine("刘" + RARE)], "rare")
    assert printer.last_warnings == []
    picture = raster_runs(job.data, 576)[0]
    cells = glyph_cells(picture, 3, top=MARGIN_DOTS)
    picture.save(artifacts / "rare-line-image-mode.png")
    for char, cell in zip(RARE, cells[1:]):
        assert_drawn_not_boxed(cell, char)
    assert ImageChops.difference(cells[1], cells[2]).getbbox() is not None  # two different shapes


def test_text_mode_sends_a_rare_line_as_a_raster_line(artifacts):
    printer = open_printer("dummy:")
    job = printer.render([TextLine("姓名：刘䶮"), TextLine("住址：𠀀村", align="center"), TextLine("普通的一行")], "x")
    data = job.data
    assert "普通的一行".encode("gb18030") + b"\n" in data  # a line the printer's font has stays text
    for char in RARE:
        assert char.encode("gb18030") not in data  # never sent as bytes the font lacks (FE 9F, 95 32 82 36)
    assert data.index(GS + b"P\xcb\xcb") < data.index(ESC + b"J")  # motion unit set before feeding
    runs = raster_runs(data, 576)
    assert len(runs) == 1  # the two rare lines, one after the other, before the text line
    pitch = CHAR_DOTS + LINE_GAP_DOTS
    assert runs[0].height == 2 * pitch
    assert data.index(ESC + b"J") < data.index("普通的一行".encode("gb18030"))
    first, second = runs[0].crop((0, 0, 576, pitch)), runs[0].crop((0, pitch, 576, 2 * pitch))
    first.save(artifacts / "rare-line-text-mode.png")
    assert_drawn_not_boxed(glyph_cells(first, 5)[4], "䶮")
    # the centred line: its glyphs are in the middle of the paper
    left = second.point(lambda value: 255 if value < 128 else 0).getbbox()[0]
    text_width = 5 * 2 * COLUMN_DOTS
    assert abs(left - (576 - text_width) // 2) < 2 * COLUMN_DOTS
    assert_drawn_not_boxed(glyph_cells(second, 5, left=(576 - text_width) // 2)[3], "𠀀")


def test_a_ticket_with_a_rare_name_keeps_every_other_line_as_text(ticket):
    rare = dataclasses.replace(ticket, department="县自然资源局：䶮家营登记点")
    data = open_printer("dummy:").print_ticket(rare)
    assert data.count(FS + b"&") == 1
    assert "和林格尔县政务服务中心".encode("gb18030") in data and b"B027\n" in data
    assert len(raster_runs(data, 576)) == 1
    assert len(data) < 4096  # a line as a picture, not the slip


def test_profile_switch_prints_the_whole_slip_as_an_image(ticket, tmp_path, artifacts):
    rare = dataclasses.replace(ticket, service="户籍登记（刘䶮）", department="𠀀村便民服务站")
    printer = open_printer(f"preview://{tmp_path}?rare=slip")
    data = printer.print_ticket(rare)
    assert printer.last_warnings == []
    assert data.startswith(ESC + b"@" + GS + b"P") and FS + b"&" not in data
    with Image.open(tmp_path / "B027.png") as paper:
        paper.save(artifacts / "rare-slip-as-image.png")
    plain = open_printer("dummy:?rare=slip").print_ticket(ticket)
    assert plain.startswith(ESC + b"@" + FS + b"&")  # only slips that need it


@pytest.mark.parametrize("uri", ["dummy:", "dummy:?mode=image"])
def test_a_character_no_font_has_is_named_to_the_operator(uri, ticket, caplog):
    printer = open_printer(uri)
    printer.print_ticket(dataclasses.replace(ticket, service=f"户籍登记（王{NO_FONT_HAS}）"))
    assert len(printer.last_warnings) == 1
    warning = printer.last_warnings[0]
    assert NO_FONT_HAS in warning and "U+30000" in warning and "空框" in warning and "empty box" in warning
    assert "U+30000" in caplog.text
    printer.print_ticket(ticket)
    assert printer.last_warnings == []


@pytest.mark.parametrize("uri", ["dummy:", "dummy:?mode=image"])
def test_a_lone_surrogate_is_a_printer_error(uri, ticket):
    broken = "不动产登记".encode("utf-8").decode("ascii", errors="surrogateescape")
    with pytest.raises(UnprintableText) as raised:
        open_printer(uri).print_ticket(dataclasses.replace(ticket, service=broken))
    assert isinstance(raised.value, PrinterError)
    assert "U+DCE4" in raised.value.detail and "无法打印" in raised.value.message_zh


def test_print_test_sample_carries_a_rare_character_that_reaches_the_paper(tmp_path, artifacts):
    notices = "".join(sample_ticket().notices)
    rare = [char for char in notices if re.match(r"[\u3400-\u4dbf\U00020000-\U0002ffff]", char)]
    assert rare, "the sample has no rare character"
    lines: list[str] = []
    assert print_test(f"preview://{tmp_path}", echo=lines.append) == 0
    assert not any("Warning" in line for line in lines)
    data = (tmp_path / "A001.bin").read_bytes()
    assert rare[0].encode("gb18030") not in data and len(raster_runs(data, 576)) >= 1
    with Image.open(tmp_path / "A001.png") as paper:
        paper.save(artifacts / "print-test-sample-text-mode.png")


@pytest.fixture
def machine_without_fallback_fonts(monkeypatch):
    """As on a machine where fonts-hanazono is not installed."""
    import printer.raster as raster

    monkeypatch.setattr(raster, "FALLBACK_FONT_CANDIDATES", [])
    raster.font_chain.cache_clear()
    yield
    raster.font_chain.cache_clear()


def test_print_test_names_the_character_when_no_font_has_it(tmp_path, machine_without_fallback_fonts):
    lines: list[str] = []
    assert print_test(f"preview://{tmp_path}", echo=lines.append) == 0  # printed, with a warning
    warnings = [line for line in lines if "Warning" in line]
    assert len(warnings) == 1 and "䶮" in warnings[0] and "U+4DAE" in warnings[0] and "fonts-hanazono" in warnings[0]
