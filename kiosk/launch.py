"""`govhall kiosk`: starting and stopping the kiosk process — window size, logging, signals.

The App itself is in kiosk_app.py. Kivy reads its window settings when its modules are
first imported, so this module only touches Kivy inside the functions below:
`configure_kivy` first, then the app."""

from __future__ import annotations

import logging
import os
import re
import signal
import threading

from .settings import DEFAULT_ADMIN_PIN, KioskSettings

log = logging.getLogger(__name__)

# systemd waits this long after SIGTERM before it kills; the kiosk is out well before
STOP_DEADLINE_S = 1.2
LOG_LEVELS = ("debug", "info", "warning", "error")
# chatty libraries: their lines about every poll and connection only with --log-level debug
NOISY_LOGGERS = ("urllib3", "requests", "PIL")

__all__ = ["KioskSettings", "DEFAULT_ADMIN_PIN", "parse_window_size", "configure_logging", "configure_kivy",
           "build_app", "run_kiosk"]


def parse_window_size(text: str) -> tuple[int, int]:
    """`1080x1920` → (1080, 1920); a clear ValueError otherwise."""
    match = re.fullmatch(r"\s*(\d{3,5})\s*[xX×]\s*(\d{3,5})\s*", text or "")
    if not match:
        raise ValueError(f"窗口大小应写成 宽x高，例如 1080x1920，而不是 {text!r}")
    width, height = int(match.group(1)), int(match.group(2))
    if not (320 <= width <= 8192 and 320 <= height <= 8192):
        raise ValueError(f"窗口大小 {width}x{height} 不在 320–8192 像素之内")
    return width, height


def configure_logging(level: str = "info"):
    """One line per event on stderr (the journal adds the time). Kivy's own logger goes
    through Python logging (KIVY_LOG_MODE=PYTHON), so one level governs everything."""
    level = (level or "info").lower()
    if level not in LOG_LEVELS:
        raise ValueError(f"日志级别应为 {'、'.join(LOG_LEVELS)} 之一，而不是 {level!r}")
    os.environ["KIVY_LOG_MODE"] = "PYTHON"
    numeric = getattr(logging, level.upper())
    logging.basicConfig(level=numeric, format="%(levelname)s %(name)s: %(message)s", force=True)
    # Kivy sets its logger's level from its own config file when imported: the handler's
    # level holds whatever a library's logger says
    for handler in logging.getLogger().handlers:
        handler.setLevel(numeric)
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(numeric if numeric <= logging.DEBUG else max(numeric, logging.WARNING))
    # the app's own INFO lines (server back, printer status, idle resets) stay at the chosen level
    logging.getLogger("kiosk").setLevel(numeric)


def configure_kivy(kiosk_mode: bool = True, size: tuple[int, int] | None = None, kivy_home: str | None = None,
                   log_level: str = "info"):
    """Window and input settings; must run before anything imports kivy.core.window.

    Kiosk mode: fullscreen at the screen's own size, borderless, no cursor, Escape does not
    quit, a right click is not turned into a second (emulated) finger."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "0")
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    if kivy_home:
        os.environ["KIVY_HOME"] = kivy_home
    from kivy.config import Config

    # Kivy set its logger's level from its own config file on import: the command line wins
    Config.set("kivy", "log_level", log_level)
    logging.getLogger("kivy").setLevel(getattr(logging, log_level.upper(), logging.INFO))
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "keyboard_mode", "system")  # the kiosk draws its own pinyin keyboard
    Config.set("input", "mouse", "mouse,disable_multitouch")
    Config.set("graphics", "multisamples", "0")
    Config.set("graphics", "maxfps", "30")  # a kiosk needs no more; halves the idle wake-ups
    if kiosk_mode:
        # "auto" takes the display's own resolution: without a window manager a fixed-size
        # window would open at Kivy's 800x600 default
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


def stop_on_signals(app):
    """SIGTERM (systemctl stop) and SIGINT (Ctrl+C) end the kiosk at once.

    SDL turns both signals into a window-close request, which kiosk mode refuses; so the
    handlers are installed after the window exists, replacing SDL's. The app is asked to
    stop on the next frame; if something holds the process (a printer or HTTP call in a
    worker thread), it is ended STOP_DEADLINE_S later all the same — the database and the
    cache are SQLite files that a hard exit leaves consistent."""

    def stop(signum, _frame):
        from kivy.clock import Clock

        log.info("%s received: stopping the kiosk", signal.Signals(signum).name)
        app.kiosk_mode = False
        timer = threading.Timer(STOP_DEADLINE_S, lambda: os._exit(0))
        timer.daemon = True
        timer.start()
        Clock.schedule_once(lambda _dt: app.stop(), 0)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)
    log.info("kiosk running (SIGTERM or SIGINT stops it)")


def run_kiosk(config: dict, server: str | None = None, printer: str | None = None,
              window_size: tuple[int, int] | None = None, fullscreen: bool = False, log_level: str = "info"):
    """Run the kiosk until an administrator exits it (long press top-left corner, then PIN)
    or the process is told to stop (SIGTERM, SIGINT).

    Fullscreen kiosk mode unless `window_size` asks for a window (development on a desktop,
    or a check at a hall screen's size)."""
    configure_logging(log_level)
    settings = KioskSettings.from_config(config, server=server, printer=printer)
    kiosk_mode = fullscreen or window_size is None
    configure_kivy(kiosk_mode=kiosk_mode, size=None if kiosk_mode else window_size, log_level=log_level)
    if settings.admin_pin == DEFAULT_ADMIN_PIN:
        log.warning("kiosk.admin_pin is not set; the exit PIN is the default %s", DEFAULT_ADMIN_PIN)
    app = build_app(settings, kiosk_mode=kiosk_mode)
    app.bind(on_start=lambda *_: stop_on_signals(app))
    log.info("kiosk starting: server %s, printer %s, %s", settings.server, settings.printer,
             "fullscreen" if kiosk_mode else "window %dx%d" % window_size)
    app.run()
    log.info("kiosk stopped")
    # A worker thread may still wait on a silent server or printer (seconds, up to its
    # timeout); the interpreter would join it before leaving. Nothing is lost without it:
    # what the kiosk keeps is in SQLite, consistent at every commit.
    logging.shutdown()
    os._exit(0)
