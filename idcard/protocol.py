"""Frames of the SAM module in second-generation ID card readers (GA 467, public description).

A command the terminal sends:

    AA AA AA 96 69 | LEN(2, big-endian) | CMD | PARA | DATA... | CHK

A response the reader sends:

    AA AA AA 96 69 | LEN(2, big-endian) | SW1 | SW2 | SW3 | DATA... | CHK

LEN counts everything after itself (CMD..CHK, or SW1..CHK); CHK is the XOR of every byte
from LEN up to the last data byte. SW1 SW2 are 00 00; SW3 is the status (0x90 success).

Only framing lives here: no I/O, no card layout. The reader and the simulator both use it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"

# (CMD, PARA) of the commands govhall sends.
FIND_CARD = (0x20, 0x01)  # 寻找居民身份证
SELECT_CARD = (0x20, 0x02)  # 选取居民身份证
READ_BASIC = (0x30, 0x01)  # 读固定信息（文字 + 照片）
COMMAND_NAMES = {FIND_CARD: "find card", SELECT_CARD: "select card", READ_BASIC: "read card"}

STATUS_SUCCESS = 0x90
STATUS_CARD_FOUND = 0x9F
STATUS_FIND_FAILED = 0x80  # no card on the reader
STATUS_SELECT_FAILED = 0x81
STATUS_READ_FAILED = 0x41

# SW3 → (Chinese, English), as the public description of the SAM module lists them.
STATUS_MESSAGES: dict[int, tuple[str, str]] = {
    0x90: ("操作成功", "success"),
    0x91: ("居民身份证中此项无内容", "the card holds nothing for this item"),
    0x9F: ("寻找居民身份证成功", "card found"),
    0x10: ("阅读器收到的命令校验和错误", "the reader got a command with a bad checksum"),
    0x11: ("阅读器收到的命令长度错误", "the reader got a command with a bad length"),
    0x21: ("阅读器收到的命令错误（数值或逻辑搭配不对）", "the reader got a command it cannot carry out"),
    0x23: ("越权操作", "operation not permitted"),
    0x24: ("无法识别的错误", "unrecognised error"),
    0x31: ("卡认证机具失败", "the card did not accept the reader"),
    0x32: ("机具认证卡失败", "the reader did not accept the card"),
    0x33: ("信息验证错误", "the card's information failed verification"),
    0x40: ("无法识别的卡类型", "unrecognised card type"),
    0x41: ("读卡操作失败", "reading the card failed"),
    0x47: ("取随机数失败", "getting a random number failed"),
    0x60: ("SAM 自检失败", "the SAM module failed its self-test"),
    0x66: ("SAM 未经授权，无法使用", "the SAM module is not authorised"),
    0x80: ("寻找居民身份证失败（感应区内没有卡）", "no card found"),
    0x81: ("选取居民身份证失败", "selecting the card failed"),
}

MIN_LENGTH = 4  # SW1 SW2 SW3 CHK: a response with no data
MAX_LENGTH = 0x1000  # the longest answer (text, photo and fingerprints) is well under 4 KiB


def checksum(data: bytes) -> int:
    """XOR of every byte."""
    return reduce(lambda left, right: left ^ right, data, 0)


def status_message(status: int) -> str:
    """`0x41 读卡操作失败 / reading the card failed` (unknown codes say so)."""
    chinese, english = STATUS_MESSAGES.get(status, ("未知状态", "unknown status"))
    return f"0x{status:02X} {chinese} / {english}"


def command_frame(command: tuple[int, int], data: bytes = b"") -> bytes:
    body = bytes(command) + data
    length = (len(body) + 1).to_bytes(2, "big")
    return PREAMBLE + length + body + bytes((checksum(length + body),))


def response_frame(status: int, data: bytes = b"", sw1: int = 0, sw2: int = 0) -> bytes:
    body = bytes((sw1, sw2, status)) + data
    length = (len(body) + 1).to_bytes(2, "big")
    return PREAMBLE + length + body + bytes((checksum(length + body),))


@dataclass(frozen=True)
class Response:
    status: int
    data: bytes = b""
    sw1: int = 0
    sw2: int = 0

    @property
    def message(self) -> str:
        return status_message(self.status)


@dataclass(frozen=True)
class Command:
    command: tuple[int, int]
    data: bytes = b""


class FrameError(ValueError):
    """A frame that cannot be trusted; `reason` says why in plain words."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def split_body(length: bytes, body: bytes) -> bytes:
    """The payload of a frame whose LEN field was `length` and whose remaining bytes are
    `body` (payload + CHK); FrameError when the checksum does not match."""
    expected = checksum(length + body[:-1])
    if body[-1] != expected:
        raise FrameError(f"checksum 0x{body[-1]:02X}, expected 0x{expected:02X}")
    return body[:-1]


def check_length(length: bytes) -> int:
    value = int.from_bytes(length, "big")
    if not MIN_LENGTH - 1 <= value <= MAX_LENGTH:
        raise FrameError(f"length field {value} is outside {MIN_LENGTH - 1}..{MAX_LENGTH}")
    return value


def parse_response(frame: bytes) -> Response:
    """A whole response frame (preamble included) as a Response; FrameError if it is not one."""
    if not frame.startswith(PREAMBLE):
        raise FrameError("no AA AA AA 96 69 preamble")
    length = frame[5:7]
    if len(length) < 2:
        raise FrameError("frame ends before its length field")
    expected = check_length(length)
    body = frame[7:]
    if len(body) != expected:
        raise FrameError(f"length field says {expected} bytes, frame has {len(body)}")
    if expected < MIN_LENGTH:
        raise FrameError(f"length {expected} leaves no room for the status bytes")
    payload = split_body(length, body)
    return Response(status=payload[2], data=payload[3:], sw1=payload[0], sw2=payload[1])


def parse_command(frame: bytes) -> Command:
    """A whole command frame as a Command (the simulator's side)."""
    if not frame.startswith(PREAMBLE):
        raise FrameError("no AA AA AA 96 69 preamble")
    length = frame[5:7]
    expected = check_length(length)
    body = frame[7:]
    if len(body) != expected or expected < 3:
        raise FrameError(f"length field says {expected} bytes, frame has {len(body)}")
    payload = split_body(length, body)
    return Command(command=(payload[0], payload[1]), data=payload[2:])
