"""Reader URIs (see docs/idcard.md):

    serial:///dev/ttyUSB1?baudrate=115200
    usb://VID:PID[?serial_number=SN]     the USB-serial port of that device, found by pyserial

and on either `timeout=MS` (how long to wait for an answer to find/select, default 1000;
the read itself may take three times as long).

Nearly every second-generation reader sold for kiosks enumerates as a USB-serial port
(CH340, CP210x, PL2303 or CDC-ACM): `usb://VID:PID` names it without caring which
/dev/ttyUSB<n> it got this boot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable
from urllib.parse import parse_qsl, urlsplit

from serial.tools import list_ports

from .errors import InvalidReaderURI, ReaderNotFound

KINDS = ("serial", "usb")
KIND_OPTIONS = {"serial": {"baudrate", "timeout"}, "usb": {"baudrate", "timeout", "serial_number"}}
DEFAULT_BAUDRATE = 115200
DEFAULT_TIMEOUT_MS = 1000


@dataclass(frozen=True)
class ReaderConfig:
    uri: str
    kind: str
    device: str = ""  # serial: the port's path
    vendor_id: int = 0
    product_id: int = 0
    serial_number: str = ""
    baudrate: int = DEFAULT_BAUDRATE
    timeout_s: float = DEFAULT_TIMEOUT_MS / 1000


def _integer(uri: str, name: str, raw: str) -> int:
    try:
        value = int(raw, 0)
    except ValueError:
        raise InvalidReaderURI(uri, f"{name}={raw!r} is not a number") from None
    if value <= 0:
        raise InvalidReaderURI(uri, f"{name} must be positive")
    return value


def parse_reader_uri(uri: str) -> ReaderConfig:
    """A ReaderConfig from a URI; InvalidReaderURI says what is wrong with a bad one."""
    uri = (uri or "").strip()
    parts = urlsplit(uri)
    kind = parts.scheme.lower()
    if kind not in KINDS:
        raise InvalidReaderURI(uri or "(empty)", "expected serial:///dev/ttyUSB1?baudrate=115200 or usb://VID:PID")
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    unknown = set(options) - KIND_OPTIONS[kind]
    if unknown:
        raise InvalidReaderURI(uri, f"unknown option(s): {', '.join(sorted(unknown))}")
    values: dict = {"uri": uri, "kind": kind}
    if kind == "serial":
        device = parts.netloc + parts.path
        if not device:
            raise InvalidReaderURI(uri, "expected serial:///dev/ttyUSB1")
        values["device"] = device
    else:
        vendor, sep, product = parts.netloc.partition(":")
        try:
            if not sep:
                raise ValueError
            values["vendor_id"], values["product_id"] = int(vendor, 16), int(product, 16)
        except ValueError:
            raise InvalidReaderURI(uri, "expected usb://VID:PID in hex, e.g. usb://10c4:ea60") from None
        values["serial_number"] = options.get("serial_number", "")
    if "baudrate" in options:
        values["baudrate"] = _integer(uri, "baudrate", options["baudrate"])
    if "timeout" in options:
        values["timeout_s"] = _integer(uri, "timeout", options["timeout"]) / 1000
    return ReaderConfig(**values)


def find_usb_serial_port(config: ReaderConfig,
                         ports: Callable[[], Iterable] = list_ports.comports) -> str:
    """The /dev/tty* path of the USB-serial port with the URI's vendor and product id.

    `ports` lists the machine's serial ports (pyserial's ListPortInfo objects)."""
    listed = list(ports())
    matches = [port for port in listed
               if port.vid == config.vendor_id and port.pid == config.product_id
               and (not config.serial_number or port.serial_number == config.serial_number)]
    if not matches:
        seen = ", ".join(f"{port.device} ({port.vid:04x}:{port.pid:04x})" for port in listed if port.vid is not None)
        raise ReaderNotFound(config.uri, f"no USB serial port {config.vendor_id:04x}:{config.product_id:04x};"
                                         f" USB serial ports present: {seen or 'none'}")
    if len(matches) > 1:
        names = ", ".join(f"{port.device} (serial_number={port.serial_number})" for port in matches)
        raise InvalidReaderURI(config.uri, f"several ports match: {names}; add ?serial_number=... to choose one")
    return matches[0].device
