"""Printer URIs (see docs/printers.md):

    usb://VID:PID[?in_ep=0x81&out_ep=0x03&timeout=5000]
    serial:///dev/ttyUSB0?baudrate=115200[&flow=none|rtscts|xonxoff|dsrdtr]
    tcp://HOST[:9100]
    file:///dev/usb/lp0
    preview://DIR        writes DIR/<number>.png and DIR/<number>.bin
    dummy:               in memory

and on any of them `profile=NAME` (a python-escpos printer profile), `mode=text|image`,
`width=576` (dots), `timeout=MS` (each write), `status_timeout=MS` (each DLE EOT reply).
`dummy:` and `preview:` also take `status=paper_out` (etc.) to act out a fault."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from escpos.capabilities import get_profile

from .errors import InvalidPrinterURI
from .layout import COLUMN_DOTS
from .status import PrinterStatus

KINDS = ("usb", "serial", "tcp", "file", "preview", "dummy")
COMMON_OPTIONS = {"profile", "mode", "width", "timeout", "status_timeout"}
KIND_OPTIONS = {
    "usb": {"in_ep", "out_ep"},
    "serial": {"baudrate", "flow"},
    "tcp": set(),
    "file": set(),
    "preview": {"status"},
    "dummy": {"status"},
}
DEFAULT_WIDTH = 576  # 80 mm paper at 203 dpi; 58 mm paper is 384
DEFAULT_TIMEOUT_MS = 5000
DEFAULT_STATUS_TIMEOUT_MS = 500
# Many Chinese USB printers answer on 0x81 and listen on 0x03 (python-escpos assumes 0x82/0x01).
DEFAULT_USB_IN_EP = 0x81
DEFAULT_USB_OUT_EP = 0x03
SERIAL_FLOW = ("none", "rtscts", "xonxoff", "dsrdtr")


@dataclass(frozen=True)
class PrinterConfig:
    uri: str
    kind: str
    target: str = ""  # device path, host, or preview folder
    port: int = 9100
    vendor_id: int = 0
    product_id: int = 0
    in_ep: int = DEFAULT_USB_IN_EP
    out_ep: int = DEFAULT_USB_OUT_EP
    baudrate: int = 9600
    flow: str = "none"
    profile: str | None = None
    mode: str = "text"
    width: int = DEFAULT_WIDTH
    timeout_s: float = DEFAULT_TIMEOUT_MS / 1000
    status_timeout_s: float = DEFAULT_STATUS_TIMEOUT_MS / 1000
    simulated_status: PrinterStatus = PrinterStatus.READY
    options: dict = field(default_factory=dict)

    @property
    def columns(self) -> int:
        """Half-width columns across the paper at 1x."""
        return self.width // COLUMN_DOTS


def _integer(uri: str, name: str, raw: str) -> int:
    try:
        return int(raw, 0)
    except ValueError:
        raise InvalidPrinterURI(uri, f"{name}={raw!r} is not a number") from None


def _usb_ids(uri: str, netloc: str) -> tuple[int, int]:
    vendor, sep, product = netloc.partition(":")
    try:
        if not sep:
            raise ValueError
        return int(vendor, 16), int(product, 16)
    except ValueError:
        raise InvalidPrinterURI(uri, "expected usb://VID:PID in hex, e.g. usb://0416:5011") from None


def _profile_width(uri: str, profile: str | None) -> int:
    try:
        pixels = get_profile(profile).profile_data["media"]["width"]["pixels"]
    except Exception:
        raise InvalidPrinterURI(uri, f"unknown python-escpos profile {profile!r}") from None
    return pixels if isinstance(pixels, int) else DEFAULT_WIDTH


def parse_printer_uri(uri: str) -> PrinterConfig:
    """A PrinterConfig from a URI; InvalidPrinterURI says what is wrong with a bad one."""
    uri = (uri or "").strip()
    parts = urlsplit(uri)
    kind = parts.scheme.lower()
    if kind not in KINDS:
        raise InvalidPrinterURI(uri or "(empty)", f"scheme must be one of {', '.join(KINDS)}")
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    unknown = set(options) - COMMON_OPTIONS - KIND_OPTIONS[kind]
    if unknown:
        raise InvalidPrinterURI(uri, f"unknown option(s): {', '.join(sorted(unknown))}")

    values: dict = {"uri": uri, "kind": kind, "options": options}
    # Paths keep everything after "scheme://" so preview://var/tickets stays relative.
    path = parts.netloc + parts.path
    if kind == "usb":
        values["vendor_id"], values["product_id"] = _usb_ids(uri, parts.netloc)
        for name in ("in_ep", "out_ep"):
            if name in options:
                values[name] = _integer(uri, name, options[name])
    elif kind == "serial":
        if not path:
            raise InvalidPrinterURI(uri, "expected serial:///dev/ttyUSB0")
        values["target"] = path
        values["baudrate"] = _integer(uri, "baudrate", options.get("baudrate", "9600"))
        values["flow"] = options.get("flow", "none")
        if values["flow"] not in SERIAL_FLOW:
            raise InvalidPrinterURI(uri, f"flow must be one of {', '.join(SERIAL_FLOW)}")
    elif kind == "tcp":
        if not parts.hostname:
            raise InvalidPrinterURI(uri, "expected tcp://HOST[:9100]")
        values["target"] = parts.hostname
        try:
            values["port"] = parts.port or 9100
        except ValueError:
            raise InvalidPrinterURI(uri, "the port is not a number") from None
    elif kind in ("file", "preview"):
        if not path:
            raise InvalidPrinterURI(uri, f"expected {kind}://PATH")
        values["target"] = path
    if "status" in options:
        try:
            values["simulated_status"] = PrinterStatus(options["status"])
        except ValueError:
            raise InvalidPrinterURI(uri, f"status must be one of {', '.join(s.value for s in PrinterStatus)}") from None

    profile = options.get("profile") or None
    values["profile"] = profile
    values["width"] = _profile_width(uri, profile)
    if "width" in options:
        values["width"] = _integer(uri, "width", options["width"])
    if values["width"] % 8 or not 128 <= values["width"] <= 2048:
        raise InvalidPrinterURI(uri, "width must be a multiple of 8 dots, e.g. 384 (58 mm) or 576 (80 mm)")
    values["mode"] = options.get("mode", "text")
    if values["mode"] not in ("text", "image"):
        raise InvalidPrinterURI(uri, "mode must be text or image")
    for name, key in (("timeout", "timeout_s"), ("status_timeout", "status_timeout_s")):
        if name in options:
            milliseconds = _integer(uri, name, options[name])
            if milliseconds <= 0:
                raise InvalidPrinterURI(uri, f"{name} must be a positive number of milliseconds")
            values[key] = milliseconds / 1000
    return PrinterConfig(**values)


def resolve_printer_uri(uri: str, base_dir: str | Path) -> str:
    """A preview:// or file:// URI with a relative path, made absolute against `base_dir`
    (the config file's folder), as every other path in the config is."""
    for scheme in ("preview://", "file://"):
        if uri.startswith(scheme):
            path, query = uri[len(scheme):], ""
            if "?" in path:
                path, query = path.split("?", 1)
                query = "?" + query
            if path and not Path(path).is_absolute():
                return f"{scheme}{Path(base_dir) / path}{query}"
    return uri
