"""Configuration: one TOML file, every key overridable by GOVHALL_<SECTION>_<KEY>.

Read once in the entry points / app factory and passed down as a plain dict."""

from __future__ import annotations

import copy
import os
import tomllib
from pathlib import Path

from .errors import ConfigError

DEFAULTS: dict = {
    "hall": {
        "name": "和林格尔县政务服务中心",
        "timezone": "Asia/Shanghai",
        "supervision_phone": "12345",
        "notices": [
            "请留意叫号，过号后顺延3位办理。",
            "当日号票当日有效。",
        ],
    },
    "server": {
        "database": "var/govhall.db",
        "host": "127.0.0.1",
        "port": 8080,
        "public_url": "http://127.0.0.1:8080",
        "secret_key": "",
        "voice_dir": "var/voice",
        # gunicorn gevent workers; each holds its share of the displays' streams, so a busy or
        # restarting worker holds back only its share
        "workers": 2,
        # cookies only over https: "auto" turns it on when public_url is https; true / false force it
        "secure_cookies": "auto",
    },
    # 好差评: how long after a ticket is finished each channel may rate it
    "evaluation": {
        "device_minutes": 10,   # the evaluator at the window that served it
        "citizen_hours": 24,    # the citizen, with the ticket's own token (phone page, QR)
    },
    "queue": {
        # 过号顺延: a held or returning missed ticket goes back in line after this many others
        "requeue_after": 3,
        # handling minutes assumed until a service has finished tickets to learn from
        "default_handle_minutes": 6,
        # how many recent finished tickets the wait estimate averages over
        "estimate_sample": 20,
    },
    "kiosk": {
        "server": "http://127.0.0.1:8080",
        "token": "",
        "printer": "preview://var/tickets",
        # untouched this long, a reading screen returns home; a countdown with 继续 shows first
        "idle_seconds": 120,
        "idle_warning_seconds": 15,
        "cache_dir": "var/kiosk",
        # the way out of kiosk mode: hold the top-left corner 3 s, then this PIN (set it in a real hall)
        "admin_pin": "",
        "heartbeat_seconds": 30,
        "services_refresh_seconds": 5,
        "content_refresh_seconds": 300,
        "ticket_done_seconds": 15,
        "font": "",  # a CJK font file; empty: found on the system (WenQuanYi, Noto Sans CJK SC)
        # the second-generation ID card reader, e.g. "serial:///dev/ttyUSB1?baudrate=115200"
        # or "usb://VID:PID" (docs/idcard.md); empty: the kiosk has none
        "idcard": "",
        # people this old or older, known by their ID card, go to the 绿色通道 without asking
        "green_channel_age": 70,
    },
    "appointments": {
        "days_ahead": 7,             # booking opens this many days ahead (today counts as day 0)
        "slot_minutes": 60,
        "close_before_minutes": 30,  # booking closes this long before the slot starts
        "checkin_before_minutes": 30,
        "checkin_after_minutes": 15,
        "no_show_limit": 3,          # 爽约 within no_show_days → no booking for ban_days
        "no_show_days": 90,
        "ban_days": 90,
        # a slot's capacity unless the admin sets one: this share of the daily cap spread over the
        # day's slots, or default_capacity for a service without a cap
        "capacity_share": 0.5,
        "default_capacity": 4,
        # a checked-in booking's ticket is numbered in its own sequence: Y + the service's prefix
        "ticket_prefix": "Y",
        # bookings from one address (the public page and API) per 10 minutes
        "bookings_per_address": 20,
    },
    "privacy": {
        # the hall and window screens show the masked name (张*) of a card holder's ticket only when
        # the hall turns this on; by default no screen shows a name
        "display_names": False,
        # `govhall purge-id-hashes` and the admin's button forget the ID card hashes (and masked
        # names) of tickets and past bookings older than this many days
        "id_hash_days": 30,
    },
    "voice": {
        "repeat": 2,
        "call": "请{number}号到{window}号窗口办理",
        "recall": "重呼，请{number}号到{window}号窗口办理",
        "pause": "{window}号窗口暂停服务",
    },
    "backup": {
        "dir": "var/backups",
        "keep": 14,  # backups kept per database
    },
    "content": {
        "database": "var/content.db",
        "site": "",
    },
}

# Keys whose values are paths, resolved relative to the config file.
PATH_KEYS = {("server", "database"), ("server", "voice_dir"), ("kiosk", "cache_dir"), ("content", "site"),
             ("content", "database"), ("backup", "dir")}


def _coerce(raw: str, like):
    """Turn an environment string into the type of the default it overrides."""
    if isinstance(like, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(like, int):
        return int(raw)
    if isinstance(like, float):
        return float(raw)
    if isinstance(like, list):
        return [part.strip() for part in raw.split(",") if part.strip()]
    return raw


def load_config(path: str | os.PathLike | None = None, environ: dict | None = None) -> dict:
    """Defaults, then the TOML file (if any), then GOVHALL_<SECTION>_<KEY> variables.

    Relative paths are resolved against the config file's folder, or the current
    directory when there is no file."""
    environ = os.environ if environ is None else environ
    path = path or environ.get("GOVHALL_CONFIG")
    config = copy.deepcopy(DEFAULTS)
    base = Path.cwd()
    if path:
        path = Path(path)
        try:
            with open(path, "rb") as handle:
                loaded = tomllib.load(handle)
        except FileNotFoundError:
            raise ConfigError(f"找不到配置文件 {path}（--config 或 GOVHALL_CONFIG）")
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"配置文件 {path} 不是有效的 TOML：{error}")
        base = path.resolve().parent
        if not isinstance(loaded, dict):
            raise ConfigError(f"配置文件 {path} 的内容无效")
        for section, values in loaded.items():
            if isinstance(values, dict):
                config.setdefault(section, {}).update(values)
            else:
                config[section] = values
    for name, raw in environ.items():
        if not name.startswith("GOVHALL_") or name == "GOVHALL_CONFIG":
            continue
        parts = name[len("GOVHALL_"):].lower().split("_", 1)
        if len(parts) != 2:
            continue
        section, key = parts
        like = config.get(section, {}).get(key, "")
        try:
            config.setdefault(section, {})[key] = _coerce(raw, like)
        except ValueError:
            raise ConfigError(f"环境变量 {name}={raw!r} 应为{type(like).__name__}类型的值")
    for section, key in PATH_KEYS:
        value = config.get(section, {}).get(key)
        if value and not Path(value).is_absolute():
            config[section][key] = str(base / value)
    config["_base_dir"] = str(base)
    return config
