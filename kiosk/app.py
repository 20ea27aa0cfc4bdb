"""`govhall kiosk`: the lobby kiosk's entry point.

Kivy reads its window settings when its modules are first imported, so this module only
touches Kivy inside the functions below: `configure_kivy` first, then the app."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

from printer.uri import resolve_printer_uri

log = logging.getLogger(__name__)

DEFAULT_ADMIN_PIN = "000000"


@dataclass(frozen=True)
class KioskSettings:
    """What the kiosk needs from govhall.toml ([hall] and [kiosk]), read once at start."""

    server: str
    token: str
    printer: str
    cache_dir: str
    hall_name: str = "政务服务中心"
    timezone: str = "Asia/Shanghai"
    notices: list[str] = field(default_factory=list)
    idle_seconds: float = 60
    admin_pin: str = DEFAULT_ADMIN_PIN
    heartbeat_seconds: float = 30
    services_refresh_seconds: float = 5
    content_refresh_seconds: float = 300
    ticket_done_seconds: float = 15
    font: str = ""

    @classmethod
    def from_config(cls, config: dict, server: str | None = None, printer: str | None = None) -> "KioskSettings":
        hall, kiosk = config.get("hall", {}), config.get("kiosk", {})
        printer_uri = printer or kiosk.get("printer") or "preview://var/tickets"
        return cls(
            server=(server or kiosk.get("server") or "http://127.0.0.1:8080").rstrip("/"),
            token=kiosk.get("token", ""),
            # a relative preview:// or file:// path means next to the config file, like every other path
            printer=resolve_printer_uri(printer_uri, config["_base_dir"]) if config.get("_base_dir") else printer_uri,
            cache_dir=kiosk.get("cache_dir") or "var/kiosk",
            hall_name=hall.get("name") or cls.hall_name,
            timezone=hall.get("timezone") or cls.timezone,
            notices=list(hall.get("notices") or []),
            idle_seconds=float(kiosk.get("idle_seconds") or 60),
            admin_pin=str(kiosk.get("admin_pin") or DEFAULT_ADMIN_PIN),
            heartbeat_seconds=float(kiosk.get("heartbeat_seconds") or 30),
            services_refresh_seconds=float(kiosk.get("services_refresh_seconds") or 5),
            content_refresh_seconds=float(kiosk.get("content_refresh_seconds") or 300),
            ticket_done_seconds=float(kiosk.get("ticket_done_seconds") or 15),
            font=str(kiosk.get("font") or ""),
        )


def configure_kivy(kiosk_mode: bool = True, size: tuple[int, int] | None = None, kivy_home: str | None = None):
    """Window and input settings; must run before anything imports kivy.core.window.

    Kiosk mode: fullscreen, borderless, no cursor, Escape does not quit, a right click is
    not turned into a second (emulated) finger."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "0")
    if kivy_home:
        os.environ["KIVY_HOME"] = kivy_home
    from kivy.config import Config

    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "keyboard_mode", "system")  # Kivy's own on-screen keyboard has no Chinese
    Config.set("input", "mouse", "mouse,disable_multitouch")
    Config.set("graphics", "multisamples", "0")
    Config.set("graphics", "maxfps", "30")  # a kiosk needs no more; halves the idle wake-ups
    if kiosk_mode:
        Config.set("graphics", "fullscreen", "auto")
        Config.set("graphics", "borderless", "1")
        Config.set("graphics", "show_cursor", "0")
    else:
        Config.set("graphics", "fullscreen", "0")
    if size:
        Config.set("graphics", "width", str(size[0]))
        Config.set("graphics", "height", str(size[1]))


def build_app(settings: KioskSettings, kiosk_mode: bool = True):
    """The KioskApp, not yet running (tests drive it frame by frame)."""
    from .kiosk_app import KioskApp

    return KioskApp(settings, kiosk_mode=kiosk_mode)


def run_kiosk(config: dict, server: str | None = None, printer: str | None = None):
    """Run the kiosk until an administrator exits it (long press top-left corner, then PIN)."""
    settings = KioskSettings.from_config(config, server=server, printer=printer)
    windowed = os.environ.get("GOVHALL_KIOSK_WINDOWED") == "1"  # for development on a desktop
    configure_kivy(kiosk_mode=not windowed, size=(1280, 800) if windowed else None)
    if settings.admin_pin == DEFAULT_ADMIN_PIN:
        log.warning("kiosk.admin_pin is not set; the exit PIN is the default %s", DEFAULT_ADMIN_PIN)
    build_app(settings, kiosk_mode=not windowed).run()
