"""The reader against a pretend reader on a pseudo-terminal: a card, no card, and every way
a real one goes wrong."""

from __future__ import annotations

import threading
import time

import pytest
from serial.tools.list_ports_common import ListPortInfo

from idcard import (
    BadFrame,
    CardReadFailed,
    CardRemoved,
    IdCardReader,
    InvalidReaderURI,
    NoCard,
    ReaderBusy,
    ReaderFault,
    ReaderNotFound,
    ReaderSilent,
    parse_reader_uri,
)
from idcard.protocol import FIND_CARD, READ_BASIC, SELECT_CARD, response_frame
from idcard.samples import ADULT, ELDER
from idcard.uri import find_usb_serial_port


def test_a_placed_card_is_found_selected_and_read(simulator):
    simulator.place(ELDER)
    with IdCardReader(simulator.uri) as reader:
        card = reader.read_card()
    assert card == ELDER
    assert (card.masked_name, card.sex, card.nation, card.masked_number) == ("乌****", "女", "蒙古", "150123********0421")
    assert simulator.commands == [FIND_CARD, SELECT_CARD, READ_BASIC]


def test_no_card_on_the_reader(simulator):
    with IdCardReader(simulator.uri) as reader:
        assert reader.find_card() is False
        assert reader.read_card() is None
        started = time.monotonic()
        with pytest.raises(NoCard) as raised:
            reader.wait_for_card(timeout_s=0.6, poll_interval_s=0.1)
    assert 0.5 <= time.monotonic() - started < 2
    assert "没有读到身份证" in raised.value.message and "No ID card" in raised.value.message
    assert simulator.count(FIND_CARD) >= 2 and simulator.count(READ_BASIC) == 0


def test_waiting_ends_when_a_card_is_placed(simulator):
    with IdCardReader(simulator.uri) as reader:
        threading.Timer(0.3, simulator.place, (ADULT,)).start()
        assert reader.wait_for_card(timeout_s=5, poll_interval_s=0.05) == ADULT


def test_a_silent_reader(simulator):
    simulator.silent = True
    with IdCardReader(simulator.uri) as reader:
        started = time.monotonic()
        with pytest.raises(ReaderSilent) as raised:
            reader.wait_for_card(timeout_s=10)
    # silence fails at the first command's timeout (300 ms in the URI), not at the end of the wait
    assert time.monotonic() - started < 2
    assert "没有应答" in raised.value.message and "did not answer" in raised.value.message


def test_a_bad_checksum(simulator):
    simulator.bad_checksum = True
    simulator.place(ELDER)
    with IdCardReader(simulator.uri) as reader:
        with pytest.raises(BadFrame) as raised:
            reader.wait_for_card(timeout_s=10)
    assert "校验和" in raised.value.message and "checksum" in raised.value.detail


def test_a_card_removed_while_it_is_read(simulator):
    simulator.place(ELDER)
    simulator.remove_during_read = True
    with IdCardReader(simulator.uri) as reader:
        with pytest.raises(CardRemoved) as raised:
            reader.read_card()
        assert "被移开" in raised.value.message and "0x41" in raised.value.detail
        # waiting a while: the card is not back, so the wait ends saying what happened to it
        simulator.place(ELDER)
        simulator.remove_during_read = True
        with pytest.raises(CardRemoved):
            reader.wait_for_card(timeout_s=0.5, poll_interval_s=0.1)
        # put back in time, it is read
        simulator.place(ELDER)
        simulator.remove_during_read = True
        threading.Timer(0.3, simulator.place, (ELDER,)).start()
        assert reader.wait_for_card(timeout_s=5, poll_interval_s=0.1) == ELDER


@pytest.mark.parametrize("raw, words", [
    (response_frame(0x9F, bytes(4))[:9], "only"),  # cut off in the middle
    (response_frame(0x9F, bytes(4))[:6], "length field"),
    (b"\xaa\xaa\xaa\x96\x69\x00\x01\x00", "outside"),  # a length too short for the status bytes
    (b"\xaa\xaa\xaa\x96\x69\x10\x01", "outside"),  # longer than any answer
    (b"\x13\x37\x00\xff", "without a frame start"),  # noise, no frame at all
])
def test_damaged_answers_are_bad_frames(simulator, raw, words):
    simulator.raw_replies.append(raw)
    with IdCardReader(simulator.uri) as reader:
        with pytest.raises(BadFrame) as raised:
            reader.find_card()
    assert words in raised.value.detail


def test_noise_before_a_frame_is_skipped_and_the_next_command_starts_clean(simulator):
    simulator.place(ADULT)
    simulator.raw_replies.append(b"\x00\xaa\xaa" + response_frame(0x9F, bytes(4)) + b"\xde\xad")
    with IdCardReader(simulator.uri) as reader:
        assert reader.find_card() is True
        assert reader.read_card() == ADULT  # the trailing noise was not taken for an answer


def test_a_card_that_fails_to_authenticate_is_reported_not_taken_for_removed(simulator):
    simulator.place(ELDER)
    with IdCardReader(simulator.uri) as reader:
        simulator.raw_replies += [response_frame(0x9F, bytes(4)), response_frame(0x90, bytes(8)),
                                  response_frame(0x33)]
        with pytest.raises(CardReadFailed) as raised:
            reader.read_card()
    assert raised.value.status == 0x33 and "信息验证错误" in raised.value.detail
    assert "读取失败" in raised.value.message


def test_a_reader_reporting_its_own_fault(simulator):
    simulator.raw_replies.append(response_frame(0x60))
    with IdCardReader(simulator.uri) as reader:
        with pytest.raises(ReaderFault) as raised:
            reader.find_card()
    assert "自检" in raised.value.detail and "故障" in raised.value.message


def test_a_damaged_text_block_is_a_read_failure(simulator):
    simulator.place(ELDER)
    text = bytes(256)  # all NULs: no name, no dates
    simulator.raw_replies += [response_frame(0x9F, bytes(4)), response_frame(0x90, bytes(8)),
                              response_frame(0x90, b"\x01\x00\x04\x00" + text + bytes(1024))]
    with IdCardReader(simulator.uri) as reader:
        with pytest.raises(CardReadFailed, match="name is empty"):
            reader.read_card()


def test_a_missing_device_and_a_busy_one(simulator, tmp_path):
    with pytest.raises(ReaderNotFound) as raised:
        IdCardReader(f"serial://{tmp_path}/ttyUSB9").open()
    assert "找不到身份证阅读器" in raised.value.message
    with IdCardReader(simulator.uri):
        with pytest.raises(ReaderBusy) as raised:  # the kiosk holds the port: a second user is refused
            IdCardReader(simulator.uri).open()
    assert "占用" in raised.value.message


@pytest.mark.parametrize("uri, field, value", [
    ("serial:///dev/ttyUSB1?baudrate=115200", "device", "/dev/ttyUSB1"),
    ("serial:///dev/ttyS0", "baudrate", 115200),
    ("serial:///dev/ttyS0?baudrate=9600", "baudrate", 9600),
    ("serial:///dev/ttyS0?timeout=2500", "timeout_s", 2.5),
    ("usb://10c4:ea60", "vendor_id", 0x10C4),
    ("USB://10C4:EA60", "product_id", 0xEA60),
    ("usb://1a86:7523?serial_number=A1", "serial_number", "A1"),
])
def test_reader_uris(uri, field, value):
    assert getattr(parse_reader_uri(uri), field) == value


@pytest.mark.parametrize("uri, words", [
    ("", "expected serial"),
    ("tcp://10.0.0.5", "expected serial"),
    ("serial://", "expected serial:///dev/ttyUSB1"),
    ("serial:///dev/ttyS0?baudrate=fast", "not a number"),
    ("serial:///dev/ttyS0?baudrate=0", "positive"),
    ("serial:///dev/ttyS0?parity=E", "unknown option"),
    ("usb://10c4", "VID:PID"),
    ("usb://zz:ea60", "VID:PID"),
])
def test_bad_reader_uris_say_what_is_wrong(uri, words):
    with pytest.raises(InvalidReaderURI) as raised:
        parse_reader_uri(uri)
    assert words in raised.value.detail and "docs/idcard.md" in raised.value.message


def usb_port(device: str, vid: int, pid: int, serial_number: str = "") -> ListPortInfo:
    port = ListPortInfo(device, skip_link_detection=True)
    port.vid, port.pid, port.serial_number = vid, pid, serial_number
    return port


def test_usb_uri_finds_its_serial_port_among_the_machine_s():
    ports = [usb_port("/dev/ttyUSB0", 0x0416, 0x5011), usb_port("/dev/ttyUSB1", 0x10C4, 0xEA60, "R1"),
             ListPortInfo("/dev/ttyS0", skip_link_detection=True)]
    assert find_usb_serial_port(parse_reader_uri("usb://10c4:ea60"), lambda: ports) == "/dev/ttyUSB1"
    with pytest.raises(ReaderNotFound) as raised:
        find_usb_serial_port(parse_reader_uri("usb://1a86:7523"), lambda: ports)
    assert "1a86:7523" in raised.value.detail and "/dev/ttyUSB0 (0416:5011)" in raised.value.detail
    two = ports + [usb_port("/dev/ttyUSB2", 0x10C4, 0xEA60, "R2")]
    with pytest.raises(InvalidReaderURI, match="serial_number"):
        find_usb_serial_port(parse_reader_uri("usb://10c4:ea60"), lambda: two)
    assert find_usb_serial_port(parse_reader_uri("usb://10c4:ea60?serial_number=R2"), lambda: two) == "/dev/ttyUSB2"


def test_usb_uri_on_this_machine_reports_what_it_looked_for():
    # the real port list of this machine has no reader with this id
    with pytest.raises(ReaderNotFound) as raised:
        IdCardReader("usb://ffff:fffe").open()
    assert "ffff:fffe" in raised.value.detail


def test_a_reader_that_falls_silent_in_the_middle_of_a_read(simulator):
    simulator.place(ELDER)
    # found and selected, then nothing: the read is given three times the usual timeout
    simulator.raw_replies += [response_frame(0x9F, bytes(4)), response_frame(0x90, bytes(8)), b""]
    with IdCardReader(simulator.uri) as reader:
        started = time.monotonic()
        with pytest.raises(ReaderSilent) as raised:
            reader.read_card()
        assert 0.85 <= time.monotonic() - started < 3
        assert raised.value.detail == "read card: no answer within 0.9 s"
        assert reader.read_card() == ELDER  # the next attempt starts clean
