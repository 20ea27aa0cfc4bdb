"""What the kiosk reads from govhall.toml ([hall] and [kiosk]), once at start. No Kivy here."""

from __future__ import annotations

from dataclasses import dataclass, field

from printer.uri import resolve_printer_uri

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
    # reading screens return home after this long untouched; a countdown shows for the last
    # idle_warning_seconds, with a large button to keep reading
    idle_seconds: float = 120
    idle_warning_seconds: float = 15
    admin_pin: str = DEFAULT_ADMIN_PIN
    heartbeat_seconds: float = 30
    services_refresh_seconds: float = 5
    content_refresh_seconds: float = 300
    ticket_done_seconds: float = 15
    font: str = ""
    # the ID card reader's URI ("" : none) and the age from which a card earns the 绿色通道
    idcard: str = ""
    green_channel_age: int = 70

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
            idle_seconds=float(kiosk.get("idle_seconds") or cls.idle_seconds),
            idle_warning_seconds=float(kiosk.get("idle_warning_seconds") or cls.idle_warning_seconds),
            admin_pin=str(kiosk.get("admin_pin") or DEFAULT_ADMIN_PIN),
            heartbeat_seconds=float(kiosk.get("heartbeat_seconds") or 30),
            services_refresh_seconds=float(kiosk.get("services_refresh_seconds") or 5),
            content_refresh_seconds=float(kiosk.get("content_refresh_seconds") or 300),
            ticket_done_seconds=float(kiosk.get("ticket_done_seconds") or 15),
            font=str(kiosk.get("font") or ""),
            idcard=str(kiosk.get("idcard") or ""),
            green_channel_age=int(kiosk.get("green_channel_age", 70)),
        )
