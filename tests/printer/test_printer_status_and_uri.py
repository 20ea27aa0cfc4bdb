"""DLE EOT replies to one status, and printer URIs to a config."""

from __future__ import annotations

import pytest
from escpos.printer import Dummy

from printer import InvalidPrinterURI, PrinterStatus, parse_printer_uri
from printer.simulator import STATUS_REPLIES
from printer.status import decode_status


def replies(one=0x12, two=0x12, three=0x12, four=0x12):
    return {n: None if value is None else bytes((value,)) for n, value in zip((1, 2, 3, 4), (one, two, three, four))}


@pytest.mark.parametrize("answers, expected", [
    (replies(), PrinterStatus.READY),
    (replies(four=0x1E), PrinterStatus.PAPER_NEAR_END),
    (replies(four=0x16), PrinterStatus.PAPER_NEAR_END),  # one near-end sensor of two
    (replies(one=0x1A, two=0x32, four=0x72), PrinterStatus.PAPER_OUT),
    (replies(four=0x32), PrinterStatus.PAPER_OUT),  # bit 5 alone
    (replies(one=0x1A, two=0x16), PrinterStatus.COVER_OPEN),
    (replies(one=0x1A, two=0x36, four=0x72), PrinterStatus.COVER_OPEN),  # cover open wins: close it first
    (replies(one=0x1A), PrinterStatus.OFFLINE),
    (replies(three=0x1A), PrinterStatus.OFFLINE),  # auto-cutter error
    (replies(three=0x52, two=0x52), PrinterStatus.OFFLINE),  # head too hot
    ({}, PrinterStatus.UNKNOWN),  # silence is not "paper OK"
    (replies(four=None), PrinterStatus.UNKNOWN),  # no paper sensor reply: cannot say ready
    (replies(one=None, two=0x16), PrinterStatus.COVER_OPEN),  # a fault any reply shows still counts
    (replies(one=0xFF, two=0x00, three=0x41, four=0x80), PrinterStatus.UNKNOWN),  # noise, not status bytes
])
def test_replies_decode_to_one_status(answers, expected):
    assert decode_status(answers) is expected


def test_the_last_byte_of_a_reply_counts():
    stale_then_fresh = {1: b"\x1a\x12", 2: b"\x12", 3: b"\x12", 4: b"\x12"}
    assert decode_status(stale_then_fresh) is PrinterStatus.READY


def test_simulated_replies_decode_to_their_own_state():
    for state, table in STATUS_REPLIES.items():
        answers = {} if table is None else {n: bytes((value,)) for n, value in table.items()}
        assert decode_status(answers) is state


def test_python_escpos_paper_status_would_call_silence_paper_ok():
    class Silent(Dummy):
        def _read(self):
            return b""

    # The reason the package reads status itself: 2 means "paper adequate".
    assert Silent().paper_status() == 2
    assert decode_status({4: b""}) is PrinterStatus.UNKNOWN


def test_status_values_are_the_agreed_strings():
    assert [status.value for status in PrinterStatus] == [
        "ready", "paper_near_end", "paper_out", "cover_open", "offline", "unknown"]


def test_usb_uri_with_endpoints_and_timeout():
    config = parse_printer_uri("usb://0416:5011?in_ep=0x81&out_ep=0x03&timeout=5000")
    assert (config.kind, config.vendor_id, config.product_id) == ("usb", 0x0416, 0x5011)
    assert (config.in_ep, config.out_ep, config.timeout_s) == (0x81, 0x03, 5.0)
    defaults = parse_printer_uri("usb://1fc9:2016")
    assert (defaults.in_ep, defaults.out_ep) == (0x81, 0x03)
    assert defaults.timeout_s > 0  # never python-escpos's 0, which waits forever


def test_serial_tcp_file_preview_dummy_uris():
    serial = parse_printer_uri("serial:///dev/ttyUSB0?baudrate=115200")
    assert (serial.target, serial.baudrate, serial.flow) == ("/dev/ttyUSB0", 115200, "none")
    assert parse_printer_uri("tcp://192.0.2.7").port == 9100
    tcp = parse_printer_uri("tcp://192.0.2.7:9101")
    assert (tcp.target, tcp.port) == ("192.0.2.7", 9101)
    assert parse_printer_uri("file:///dev/usb/lp0").target == "/dev/usb/lp0"
    assert parse_printer_uri("preview://var/tickets").target == "var/tickets"  # stays relative
    assert parse_printer_uri("preview:///tmp/t").target == "/tmp/t"
    dummy = parse_printer_uri("dummy:")
    assert (dummy.kind, dummy.mode, dummy.width, dummy.columns) == ("dummy", "text", 576, 48)
    assert parse_printer_uri("dummy:?status=paper_out").simulated_status is PrinterStatus.PAPER_OUT


def test_profile_mode_and_width_options():
    config = parse_printer_uri("serial:///dev/ttyS0?profile=POS-5890&mode=image")
    assert (config.profile, config.mode, config.width, config.columns) == ("POS-5890", "image", 384, 32)
    assert parse_printer_uri("tcp://h?profile=POS-5890&width=576").width == 576


@pytest.mark.parametrize("uri, complaint", [
    ("", "scheme"),
    ("lpt://1", "scheme"),
    ("usb://0416", "VID:PID"),
    ("usb://zz:11", "VID:PID"),
    ("usb://0416:5011?endpoint=3", "unknown option"),
    ("serial://", "serial:///dev/ttyUSB0"),
    ("serial:///dev/ttyS0?baudrate=fast", "baudrate"),
    ("serial:///dev/ttyS0?flow=magic", "flow"),
    ("tcp://", "HOST"),
    ("dummy:?mode=colour", "mode"),
    ("dummy:?width=500", "multiple of 8"),
    ("dummy:?profile=NoSuchPrinter", "profile"),
    ("dummy:?status=jammed", "status"),
    ("dummy:?timeout=0", "positive"),
    ("dummy:?model=laserjet", "model must be one of"),
    ("dummy:?dpi=300", "dpi"),
    ("dummy:?cut=guillotine", "cut"),
    ("dummy:?rare=skip", "rare"),
])
def test_bad_uris_say_what_is_wrong(uri, complaint):
    with pytest.raises(InvalidPrinterURI) as raised:
        parse_printer_uri(uri)
    assert complaint in raised.value.detail
    assert "打印机地址" in raised.value.message and "URI" in raised.value.message


def test_models_set_width_dpi_mode_and_cut_and_options_win():
    epson = parse_printer_uri("usb://04b8:0202?model=epson-tm-t88")
    assert (epson.width, epson.dpi, epson.mode, epson.cut, epson.profile) == (512, 180, "text", "partial", "TM-T88V")
    assert epson.columns == 42
    xprinter = parse_printer_uri("tcp://192.0.2.8?model=xprinter-58")
    assert (xprinter.width, xprinter.cut, xprinter.columns) == (384, "none", 32)
    assert parse_printer_uri("dummy:?model=no-chinese-font-80").mode == "image"
    mine = parse_printer_uri("dummy:?model=xprinter-58&cut=full&width=576&mode=image&rare=slip")
    assert (mine.cut, mine.width, mine.mode, mine.rare) == ("full", 576, "image", "slip")
    # without a model: the python-escpos profile's paper, resolution and cutter
    assert (parse_printer_uri("dummy:?profile=TM-T88V").dpi, parse_printer_uri("dummy:").cut) == (180, "partial")
    assert parse_printer_uri("dummy:?profile=POS-5890").cut == "none"


def test_every_model_is_in_the_docs_and_prints_a_ticket(ticket):
    from pathlib import Path

    from printer import open_printer
    from printer.models import MODELS

    docs = (Path(__file__).resolve().parents[2] / "docs" / "printers.md").read_text(encoding="utf-8")
    for name, model in MODELS.items():
        assert f"| `{name}` |" in docs, name
        printer = open_printer(f"dummy:?model={name}")
        data = printer.print_ticket(ticket)
        assert data.startswith(b"\x1b@")
        cut = {"partial": b"\x1dVB\x00", "full": b"\x1dVA\x00", "none": b"\x1bd\x06"}[model.cut]
        assert data.endswith(cut), name
        assert (b"\x1c&" in data) == (model.mode == "text"), name
        if model.mode == "image":
            assert b"\x1dP" + bytes((model.dpi, model.dpi)) in data
