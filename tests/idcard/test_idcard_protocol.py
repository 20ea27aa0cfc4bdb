"""Frames of the SAM-module protocol, byte for byte as the public description gives them."""

from __future__ import annotations

import pytest

from idcard.protocol import (
    FIND_CARD,
    READ_BASIC,
    SELECT_CARD,
    FrameError,
    checksum,
    command_frame,
    parse_command,
    parse_response,
    response_frame,
    status_message,
)


def hex_bytes(text: str) -> bytes:
    return bytes.fromhex(text)


@pytest.mark.parametrize("command, frame", [
    (FIND_CARD, "AA AA AA 96 69 00 03 20 01 22"),
    (SELECT_CARD, "AA AA AA 96 69 00 03 20 02 21"),
    (READ_BASIC, "AA AA AA 96 69 00 03 30 01 32"),
])
def test_command_frames_match_the_published_bytes(command, frame):
    assert command_frame(command) == hex_bytes(frame)
    assert parse_command(hex_bytes(frame)).command == command


def test_response_frames_match_the_published_bytes():
    assert response_frame(0x80) == hex_bytes("AA AA AA 96 69 00 04 00 00 80 84")
    assert response_frame(0x9F, bytes(4)) == hex_bytes("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97")
    assert response_frame(0x90, bytes(8)) == hex_bytes("AA AA AA 96 69 00 0C 00 00 90 00 00 00 00 00 00 00 00 9C")


def test_a_read_answer_announces_its_length_in_two_big_endian_bytes():
    data = (256).to_bytes(2, "big") + (1024).to_bytes(2, "big") + bytes(256 + 1024)
    frame = response_frame(0x90, data)
    # 3 status bytes + 4 length bytes + text + photo + checksum = 0x0508
    assert frame[5:7] == b"\x05\x08"
    response = parse_response(frame)
    assert response.status == 0x90 and response.data == data


def test_checksum_is_the_xor_from_the_length_to_the_last_data_byte():
    frame = response_frame(0x90, b"\x12\x34\x56")
    assert frame[-1] == checksum(frame[5:-1]) == 0x00 ^ 0x07 ^ 0x90 ^ 0x12 ^ 0x34 ^ 0x56


@pytest.mark.parametrize("damage, words", [
    (lambda frame: frame[:-1] + bytes((frame[-1] ^ 0x01,)), "checksum"),
    (lambda frame: frame[:-2], "length field says"),
    (lambda frame: frame + b"\x00", "length field says"),
    (lambda frame: b"\x55" + frame[1:], "preamble"),
    (lambda frame: frame[:5] + b"\x00\x02" + frame[7:9], "outside"),
    (lambda frame: frame[:5] + b"\xff\xff" + frame[7:], "outside"),
    (lambda frame: frame[:6], "before its length"),
])
def test_damaged_response_frames_are_refused_with_a_reason(damage, words):
    frame = response_frame(0x9F, bytes(4))
    with pytest.raises(FrameError) as raised:
        parse_response(damage(frame))
    assert words in raised.value.reason


def test_a_command_with_a_bad_checksum_is_refused():
    frame = bytearray(command_frame(FIND_CARD))
    frame[-1] ^= 0xFF
    with pytest.raises(FrameError):
        parse_command(bytes(frame))


@pytest.mark.parametrize("status, chinese, english", [
    (0x90, "操作成功", "success"),
    (0x9F, "寻找居民身份证成功", "card found"),
    (0x80, "寻找居民身份证失败", "no card"),
    (0x81, "选取居民身份证失败", "selecting"),
    (0x41, "读卡操作失败", "reading the card failed"),
    (0x10, "校验和", "checksum"),
    (0x11, "长度", "length"),
    (0x21, "命令错误", "cannot carry out"),
    (0x23, "越权", "not permitted"),
    (0x24, "无法识别的错误", "unrecognised error"),
    (0x31, "卡认证机具失败", "did not accept the reader"),
    (0x32, "机具认证卡失败", "did not accept the card"),
    (0x33, "信息验证错误", "verification"),
    (0x40, "无法识别的卡类型", "card type"),
    (0x91, "此项无内容", "nothing for this item"),
    (0x60, "自检", "self-test"),
    (0x5A, "未知状态", "unknown status"),
])
def test_every_status_has_a_chinese_and_english_message(status, chinese, english):
    message = status_message(status)
    assert message.startswith(f"0x{status:02X} ")
    assert chinese in message and english in message


def test_the_package_needs_neither_kivy_nor_flask():
    import subprocess
    import sys

    probe = ("import sys, idcard, idcard.simulator, idcard.check, idcard.samples;"
             " print(sorted(m for m in sys.modules if m.split('.')[0] in ('kivy', 'flask', 'queue_server', 'kiosk')))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
