"""Printer URIs (see docs/printers.md):

    usb://VID:PID[?in_ep=0x81&out_ep=0x03&timeout=5000]
    serial:///dev/ttyUSB0?baudrate=115200[&flow=none|rtscts|xonxoff|dsrdtr]
    tcp://HOST[:9100]
    file:///dev/usb/lp0
    preview://DIR        writes DIR/<number>.png and DIR/<number>.bin
    dummy:               in memory

and on any of them `model=NAME` (a printer model from `printer.models`: width, dpi, mode,
cut and profile at once), `profile=NAME` (a python-escpos printer profile), `mode=text|image`,
`width=576` (dots), `dpi=203`, `cut=partial|full|none`, `rare=line|slip` (text mode: characters
outside GBK as raster lines, or the whole slip as an image), `timeout=MS` (each write),
`status_timeout=MS` (each DLE EOT reply).
`dummy:` and `preview:` also take `status=paper_out` (etc.) to act out a fault."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from escpos.capabilities import get_profile

from .commands import CUTS
from .errors import InvalidPrinterURI
from .layout import COLUMN_DOTS
from .models import MODELS
from .status import PrinterStatus

KINDS = ("usb", "serial", "tcp", "file", "preview", "dummy")
COMMON_OPTIONS = {"model", "profile", "mode", "width", "dpi", "cut", "rare", "timeout", "status_timeout"}
KIND_OPTIONS = {
    "usb": {"in_ep", "out_ep"},
    "serial": {"baudrate", "flow"},
    "tcp": set(),
    "file": set(),
    "preview": {"status"},
    "dummy": {"status"},
}
DEFAULT_WIDTH = 576  # 80 mm paper at 203 dpi; 58 mm paper is 384
DEFAULT_DPI = 203
RARE_CHOICES = ("line", "slip")
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
    model: str | None = None
    profile: str | None = None
    mode: str = "text"
    width: int = DEFAULT_WIDTH
    dpi: int = DEFAULT_DPI
    cut: str = "partial"
    rare: str = "line"
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


def _profile_media(uri: str, profile: str | None) -> tuple[int, int, str]:
    """(width, dpi, cut) a python-escpos profile gives, with the defaults where it says nothing."""
    try:
        data = get_profile(profile).profile_data
    except Exception:
        raise InvalidPrinterURI(uri, f"unknown python-escpos profile {profile!r}") from None
    pixels = data["media"]["width"].get("pixels")
    dpi = data["media"].get("dpi")
    features = data["features"]
    cut = "partial" if features.get("paperPartCut") else "full" if features.get("paperFullCut") else "none"
    return (pixels if isinstance(pixels, int) else DEFAULT_WIDTH,
            dpi if isinstance(dpi, int) else DEFAULT_DPI, cut)


def _choice(uri: str, options: dict, name: str, choices: tuple[str, ...], default: str) -> str:
    value = options.get(name, default)
    if value not in choices:
        raise InvalidPrinterURI(uri, f"{name} must be one of {', '.join(choices)}")
    return value


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

    model = None
    if options.get("model"):
        model = MODELS.get(options["model"])
        if model is None:
            raise InvalidPrinterURI(uri, f"model must be one of {', '.join(MODELS)} (docs/printers.md)")
        values["model"] = model.name
    profile = options.get("profile") or (model.escpos_profile if model else None)
    values["profile"] = profile
    width, dpi, cut = _profile_media(uri, profile)
    if model:
        width, dpi, cut = model.width, model.dpi, model.cut
    values["width"] = _integer(uri, "width", options["width"]) if "width" in options else width
    if values["width"] % 8 or not 128 <= values["width"] <= 2048:
        raise InvalidPrinterURI(uri, "width must be a multiple of 8 dots, e.g. 384 (58 mm) or 576 (80 mm)")
    values["dpi"] = _integer(uri, "dpi", options["dpi"]) if "dpi" in options else dpi
    if not 100 <= values["dpi"] <= 255:
        raise InvalidPrinterURI(uri, "dpi must be between 100 and 255 (GS P takes one byte), e.g. 203 or 180")
    values["mode"] = _choice(uri, options, "mode", ("text", "image"), model.mode if model else "text")
    values["cut"] = _choice(uri, options, "cut", CUTS, cut)
    values["rare"] = _choice(uri, options, "rare", RARE_CHOICES, model.rare if model else "line")
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
