"""The kiosk app: its state (language, big type, server reachable, services, content
version), navigation between screens, timers (clock, idle, polling, heartbeat), and the
ticket flow. Layout is in kiosk.kv and screens/*.kv; each screen's behaviour in views.py.

Nothing here waits on the network or the printer: work goes to `Background` lanes and
comes back through `Clock.schedule_once` on the UI thread."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, ObjectProperty, OptionProperty, \
    StringProperty

from . import text
from .settings import KioskSettings
from .background import Background
from .cache import ContentCache
from .catalog import ServiceChoice, parse_services
from .client import HallClient, ServerRejected, ServerUnreachable
from .fonts import use_cjk_font
from .pinyin_search import PinyinIndex
from .printing import PrinterStation, materials_slip, ticket_slip

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
KV_FILES = [HERE / "kiosk.kv", *sorted((HERE / "screens").glob("*.kv"))]

BIG_TYPE_SCALE = 1.4
ANNOUNCEMENT_SECONDS = 8
# while the server is away it is asked this often, so tickets are back within 5 s of its return
OFFLINE_RETRY_SECONDS = 2
# after 呼叫工作人员 the button says staff are coming, for this long
HELP_SHOWN_SECONDS = 90
# after the first frame: the start-up work that would hold it back (see on_start)
STARTUP_WORK_DELAY = 2
STARTUP_SCREENS_DELAY = 0.3
# untouched this long on the home screen, the kiosk rests (see _rest_if_home)
REST_AFTER_SECONDS = 10
REST_FPS = 10
REST_SERVICES_SECONDS = 20


def load_layouts():
    """Load every .kv file once per process (a second load would apply each rule twice)."""
    for path in KV_FILES:
        Builder.unload_file(str(path))
        Builder.load_file(str(path))


class KioskApp(App):
    title = "政务服务自助终端"

    lang = OptionProperty("zh", options=list(text.LANGUAGES))
    big_type = BooleanProperty(False)
    font_scale = NumericProperty(1.0)
    portrait = BooleanProperty(False)
    hall_name = StringProperty("")
    clock_text = StringProperty("")
    date_text = StringProperty("")
    announcement = StringProperty("")
    # the queue server: "loading" until the first answer, then "ready" or "offline"
    server_state = OptionProperty("loading", options=["loading", "ready", "offline"])
    departments = ListProperty()
    printer_status = StringProperty("unknown")
    content_version = NumericProperty(0)
    kiosk_id = NumericProperty(0)
    # the ticket shown on the ticket screen, and how its printing went: printing | printed | failed
    ticket = ObjectProperty({})
    print_state = StringProperty("")
    print_problem = StringProperty("")
    issuing = BooleanProperty(False)
    # 呼叫工作人员: "" until pressed, then "sending", "sent" or "failed"
    help_state = StringProperty("")
    # the ticket just printed has a character no font could draw (an empty box on the paper)
    paper_blank = BooleanProperty(False)
    # at home with nobody there: fewer frames and polls (see _rest_if_home)
    resting = BooleanProperty(False)

    def __init__(self, settings: KioskSettings, kiosk_mode: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.settings = settings
        self.kiosk_mode = kiosk_mode
        self.zone = ZoneInfo(settings.timezone)
        self.hall_name = settings.hall_name
        self.client = HallClient(settings.server, settings.token)
        self.printer = PrinterStation(settings.printer)
        self.cache = ContentCache(settings.cache_dir)
        self.background = Background(report=lambda callback: Clock.schedule_once(lambda _dt: callback()))
        self.history: list[str] = []
        self.flow = 0  # grows whenever a half-done flow is dropped; late answers of old flows are ignored
        self.last_print_failure: dict | None = None
        # the last slip with characters no font could draw: for the staff (heartbeat, admin page)
        self.printer_warning: dict | None = None
        self._announcements: list[dict] = []
        self._announcement_index = 0
        self._services_in_flight = False
        self._timers = []
        self.idle_seconds = settings.idle_seconds
        self._idle_event = None
        self._idle_warning = None
        self._idle_countdown = None
        self._done_event = None
        self._help_event = None
        self._offline_retry = None
        self._services_poll = None
        self._rest_event = None
        self._active_fps = 0.0
        self.pinyin_index = PinyinIndex()
        self.hall_day = ""  # the hall's local day as the server last said it (YYYY-MM-DD)
        self.card = None  # the ID card desk (kiosk/card.py) when [kiosk] idcard names a reader

    # --- Kivy lifecycle -------------------------------------------------------

    def tr(self, key: str, lang: str | None = None, **values) -> str:
        return text.tr(key, lang or self.lang, **values)

    def load_kv(self, filename=None):
        load_layouts()
        return True

    def build(self):
        use_cjk_font(self.settings.font)
        from .views import KioskRoot  # after the font and the layouts are in place

        Window.bind(size=self._on_window_size, on_touch_down=self._on_activity, on_key_down=self._on_key,
                    on_request_close=self._on_request_close)
        self._on_window_size(Window, Window.size)
        from .checkin import ScannerListener

        self.scanner = ScannerListener()  # a booking's QR scanned on the home screen checks it in
        if self.kiosk_mode:
            Window.show_cursor = False
        return KioskRoot()

    def on_start(self):
        self.content_version = self.cache.version()
        self.load_announcements()
        self.tick_clock()
        self._timers = [
            Clock.schedule_interval(lambda _dt: self.tick_clock(), 1),
            Clock.schedule_interval(lambda _dt: self.next_announcement(), ANNOUNCEMENT_SECONDS),
            Clock.schedule_interval(lambda _dt: self.send_heartbeat(), self.settings.heartbeat_seconds),
            Clock.schedule_interval(lambda _dt: self.refresh_content(), self.settings.content_refresh_seconds),
        ]
        self._poll_services_every(self.settings.services_refresh_seconds)
        self._on_activity()
        self.refresh_services()  # the tiles need it now; it waits on the network lane, not here
        # The first content sync, the pinyin index (pypinyin's dictionaries, thousands of
        # titles spelled) and the printer's first status hold the interpreter's lock for
        # seconds: they start once the first screen is up, not before it.
        self._timers.append(Clock.schedule_once(lambda _dt: self._start_background_work(), STARTUP_WORK_DELAY))
        # the screens not yet made (only home is, for the first frame), one a frame
        self._timers.append(Clock.schedule_once(self.manager.make_the_rest, STARTUP_SCREENS_DELAY))
        self._start_card_reader()

    def _start_background_work(self):
        self.refresh_content(rebuild_index=True)
        self.send_heartbeat()

    def _start_card_reader(self):
        from .card import CardStrip, start_card_desk

        self.card = start_card_desk(self)
        if self.card is not None:
            # the strip sits under the status strip, above the screens (children run bottom-up)
            frame = self.manager.parent
            frame.add_widget(CardStrip(desk=self.card), index=frame.children.index(self.manager) + 1)
            # a screen that uses the card (the booking form's name) hears when one is read or forgotten
            self.card.bind(state=lambda *_: getattr(self.manager.current_screen, "card_changed", lambda: None)())

    def on_stop(self):
        for timer in self._timers:
            timer.cancel()
        if self._services_poll is not None:
            self._services_poll.cancel()
        if self.card is not None:
            self.card.stop()
        self.background.shutdown()

    # --- window, input, kiosk mode -----------------------------------------------

    def _on_window_size(self, _window, size):
        self.portrait = size[1] > size[0]

    def idle_limit(self) -> float:
        """Seconds untouched before the screen returns home: the full idle time on screens
        one reads (a document, a guide), half of it where one only picks."""
        screen = self.root.manager.current_screen if self.root else None
        return self.idle_seconds if getattr(screen, "reading", False) else self.idle_seconds / 2

    def _on_activity(self, *_args):
        """Any touch restarts the idle countdown (never consumes the touch), and wakes the
        kiosk from rest."""
        if self.resting:
            self._wake()
        if self._rest_event is not None:
            self._rest_event.cancel()
        self._rest_event = Clock.schedule_once(lambda _dt: self._rest_if_home(), REST_AFTER_SECONDS)
        if self._idle_event is not None:
            self._idle_event.cancel()
        self._close_idle_warning()
        limit = self.idle_limit()
        warn_after = max(0.0, limit - self.settings.idle_warning_seconds)
        self._idle_event = Clock.schedule_once(lambda _dt: self._idle_warning_due(), warn_after)

    def _idle_warning_due(self):
        """The last seconds before a reset: a countdown and a large 继续, except at home,
        where there is nothing to lose."""
        if self.root is None or self.manager.current == "home":
            self._idle_event = Clock.schedule_once(lambda _dt: self.idle_timeout(),
                                                   min(self.settings.idle_warning_seconds, self.idle_limit()))
            return
        from .views import IdleWarning

        left = int(round(min(self.settings.idle_warning_seconds, self.idle_limit())))
        self._idle_warning = IdleWarning(seconds_left=left)
        self._idle_warning.open()
        self._idle_countdown = Clock.schedule_interval(lambda _dt: self._idle_tick(), 1)

    def _idle_tick(self):
        warning = self._idle_warning
        if warning is None:
            return False
        warning.seconds_left -= 1
        if warning.seconds_left <= 0:
            self._close_idle_warning()
            self.idle_timeout()
            return False
        return True

    def _close_idle_warning(self):
        if self._idle_countdown is not None:
            self._idle_countdown.cancel()
            self._idle_countdown = None
        if self._idle_warning is not None:
            warning, self._idle_warning = self._idle_warning, None
            warning.dismiss()

    # --- rest: the home screen with nobody at it ----------------------------------------
    # Most of a hall's day the kiosk shows its home screen to nobody. Then it draws at
    # REST_FPS instead of Kivy's configured rate (a finger is still seen within 0.1 s, and
    # wakes it) and asks for the services less often (only the 取号 tile shows them there;
    # offline is still retried every OFFLINE_RETRY_SECONDS, so recovery stays as quick).

    def _rest_if_home(self):
        self._rest_event = None
        if self.root is not None and self.manager.current == "home" and not self.resting:
            self.resting = True
            self._active_fps = Clock._max_fps  # Kivy's clock reads its frame cap at every frame
            Clock._max_fps = min(self._active_fps or REST_FPS, REST_FPS)
            self._poll_services_every(max(self.settings.services_refresh_seconds, REST_SERVICES_SECONDS))

    def _wake(self):
        self.resting = False
        Clock._max_fps = self._active_fps
        self._poll_services_every(self.settings.services_refresh_seconds)
        self.refresh_services()  # what the tiles show is current by the next tap

    def _poll_services_every(self, seconds: float):
        if self._services_poll is not None:
            self._services_poll.cancel()
        self._services_poll = Clock.schedule_interval(lambda _dt: self.refresh_services(), seconds)

    def keep_reading(self):
        """继续: the citizen is still there."""
        self._on_activity()

    def _on_key(self, _window, key, *_args):
        self._on_activity()
        if key == 27:  # Escape (and Android back): never leaves the kiosk
            return True
        return False

    def _on_request_close(self, *_args, **_kwargs):
        """The window manager asking to close (Alt+F4): refused in kiosk mode."""
        return self.kiosk_mode

    def admin_exit(self, pin: str) -> bool:
        if pin != self.settings.admin_pin:
            return False
        log.info("kiosk stopped by an administrator")
        self.kiosk_mode = False
        self.stop()
        return True

    # --- language and big type -------------------------------------------------

    def toggle_language(self):
        self.lang = "en" if self.lang == "zh" else "zh"

    def toggle_big_type(self):
        self.big_type = not self.big_type

    def on_big_type(self, _app, value):
        self.font_scale = BIG_TYPE_SCALE if value else 1.0

    def on_lang(self, _app, _value):
        self.tick_clock()
        self.load_announcements()
        screen = self.root.manager.current_screen if self.root else None
        if screen is not None and hasattr(screen, "refresh"):
            screen.refresh()

    # --- navigation --------------------------------------------------------------

    @property
    def manager(self):
        return self.root.manager

    def go(self, name: str, **context):
        """Show screen `name`; `context` goes to its `show(**context)`."""
        manager = self.manager
        if manager.current != name:
            self.history.append(manager.current)
        screen = manager.get_screen(name)
        if hasattr(screen, "show"):
            screen.show(**context)
        manager.current = name
        self._on_activity()  # the idle time depends on the screen

    def back(self):
        screen = self.manager.current_screen
        if hasattr(screen, "step_back") and screen.step_back():  # a flow of steps on one screen
            self._on_activity()
            return
        if not self.history:
            return self.go_home()
        name = self.history.pop()
        screen = self.manager.get_screen(name)
        if hasattr(screen, "refresh"):
            screen.refresh()
        self.manager.current = name
        self._on_activity()

    def go_home(self):
        """Back to the home screen with every half-done flow dropped."""
        self.flow += 1
        self.history.clear()
        self.issuing = False
        if self._done_event is not None:
            self._done_event.cancel()
        for screen in self.manager.screens:
            if hasattr(screen, "reset"):
                screen.reset()
        self.manager.current = "home"
        if self._rest_event is None and not self.resting:  # e.g. a ticket taken, then nobody
            self._rest_event = Clock.schedule_once(lambda _dt: self._rest_if_home(), REST_AFTER_SECONDS)

    def idle_timeout(self):
        """Nobody touched the screen for a while: the next citizen starts fresh."""
        self._close_idle_warning()
        if self.manager.current != "home" or self.lang != "zh" or self.big_type:
            log.info("idle for %ss: back to home", round(self.idle_limit()))
        self.go_home()
        if self.card is not None:
            self.card.forget()
        self.lang = "zh"
        self.big_type = False
        self._on_activity()

    # --- clock and announcements ---------------------------------------------------

    def now(self) -> datetime:
        return datetime.now(self.zone)

    def tick_clock(self):
        now = self.now()
        self.clock_text = now.strftime("%H:%M")
        if self.lang == "en":
            self.date_text = f"{now:%Y-%m-%d} {text.weekday(now.weekday(), 'en')}"
        else:
            self.date_text = f"{now.year}年{now.month}月{now.day}日 {text.weekday(now.weekday())}"

    def load_announcements(self):
        """The ticker's notices: the content's announcements of today, then the hall's own rules."""
        items = self.cache.reader.announcements(active_on=self.now().date())
        self._announcements = [{"title": a["title"] or "", "body": a["body"] or ""} for a in items]
        if self.lang == "zh":
            self._announcements += [{"title": notice, "body": ""} for notice in self.settings.notices]
        self._announcement_index = 0
        self.next_announcement(advance=False)

    def next_announcement(self, advance: bool = True):
        if not self._announcements:
            self.announcement = self.tr("home.no_announcement", hall=self.hall_name)
            return
        if advance:
            self._announcement_index = (self._announcement_index + 1) % len(self._announcements)
        self.announcement = self._announcements[self._announcement_index]["title"]

    def current_notice(self) -> dict | None:
        """The announcement on the ticker now, whole (title and body)."""
        if not self._announcements:
            return None
        return self._announcements[self._announcement_index % len(self._announcements)]

    # --- the queue server ------------------------------------------------------------

    def refresh_services(self):
        """Ask for the services (waiting, estimates, open or not); also how offline ends by itself."""
        if self._services_in_flight:
            return
        self._services_in_flight = True
        self.background.run(self.background.network, self.client.services,
                            on_done=self._services_arrived, on_error=self._services_failed)

    def _services_arrived(self, answer: dict):
        self._services_in_flight = False
        self.hall_day = str(answer.get("local_day") or "")  # the server's day, which the calendar follows
        departments = parse_services(answer)
        if departments != list(self.departments):
            self.departments = departments
        if self.server_state != "ready":
            log.info("queue server reachable")
            self.server_state = "ready"

    def _services_failed(self, error: Exception):
        self._services_in_flight = False
        if self.server_state != "offline":
            log.warning("queue server unreachable: %s", error)
        self.server_state = "offline"

    def on_server_state(self, _app, state):
        """While offline, ask more often than the usual refresh, so tickets come back soon."""
        if state == "offline" and self._offline_retry is None:
            self._offline_retry = Clock.schedule_interval(lambda _dt: self.refresh_services(),
                                                          OFFLINE_RETRY_SECONDS)
        elif state != "offline" and self._offline_retry is not None:
            self._offline_retry.cancel()
            self._offline_retry = None

    def take_ticket(self, choice: ServiceChoice, on_refused=None):
        """Issue a ticket for `choice`, show it, then print it."""
        if self.issuing or not choice.pickable:
            return

        def rejected(error: ServerRejected) -> str:
            self.refresh_services()  # a closed service or a full cap: the tiles should say so too
            return self.tr("services.refused", message=error.message)

        # an ID card read at this kiosk ties the ticket to its holder (and may earn the 绿色通道)
        holder = self.card.held if self.card is not None else None
        self._ask_for_ticket(lambda: self.client.issue_ticket(choice.id, holder), rejected, "services.refused",
                             on_refused)

    def check_in_appointment(self, code: str, on_refused=None):
        """预约取号: the booking's code checked in at the server; its ticket shown and printed."""
        if self.issuing:
            return
        # a refusal is told in the server's own words: when to come, or what to do
        self._ask_for_ticket(lambda: self.client.check_in(code), lambda error: error.message, "checkin.refused",
                             on_refused)

    def _ask_for_ticket(self, request, rejected_message, failure_key: str, on_refused):
        """A ticket from the server in the background (issued, or a booking checked in): shown and
        printed when it comes, a message for `on_refused` when it does not. An answer that comes
        after the citizen has left the flow is dropped."""
        self.issuing = True
        flow = self.flow

        def issued(ticket: dict):
            if flow != self.flow:
                return
            self.issuing = False
            self.show_ticket(ticket)

        def failed(error: Exception):
            if flow != self.flow:
                return
            self.issuing = False
            if isinstance(error, ServerUnreachable):
                self._services_failed(error)
                message = self.tr("services.offline")
            elif isinstance(error, ServerRejected):
                message = rejected_message(error)
            else:
                log.exception("asking the server for a ticket failed", exc_info=error)
                message = self.tr(failure_key, message=str(error))
            if on_refused is not None:
                on_refused(message)

        self.background.run(self.background.network, request, on_done=issued, on_error=failed)

    def show_ticket(self, ticket: dict):
        if self.card is not None:
            self.card.ticket_taken()
        self.ticket = ticket
        self.paper_blank = False
        self.print_state = "printing"
        self.print_problem = ""
        self.go("ticket")
        slip = ticket_slip(ticket, self.hall_name, self.settings.notices, self.settings.timezone)
        flow = self.flow
        self.background.run(self.background.printer, lambda: self.printer.print_ticket(slip),
                            on_done=lambda _data: self._ticket_printed(flow, ticket.get("number") or ""),
                            on_error=lambda error: self._ticket_print_failed(flow, ticket, error))

    def _ticket_printed(self, flow: int, number: str = ""):
        said = self.printer.last_status.value
        warned = self._note_missing_characters(number)
        if said != self.printer_status or warned:  # e.g. paper near end: the staff hear it now, not in 30 s
            self.printer_status = said
            self.send_heartbeat(refresh_printer=False)
        if flow != self.flow:
            return
        self.paper_blank = warned
        self.print_state = "printed"
        self._done_event = Clock.schedule_once(lambda _dt: self.go_home(), self.settings.ticket_done_seconds)

    def _ticket_print_failed(self, flow: int, ticket: dict, error: Exception):
        """The ticket stays valid: it stays on screen, and the server hears of it at once."""
        status = getattr(error, "status", None)
        self.printer_status = status.value if status is not None else "unknown"
        self.last_print_failure = {"number": ticket.get("number"), "error": getattr(error, "code", "error"),
                                   "at": datetime.now(self.zone).isoformat(timespec="seconds")}
        log.warning("ticket %s not printed: %s", ticket.get("number"), error)
        self.send_heartbeat(refresh_printer=False)
        if flow != self.flow:
            return
        self.print_state = "failed"
        self.print_problem = self.printer_problem_text(self.printer_status)

    def _note_missing_characters(self, slip: str) -> bool:
        """After a print: characters the printer package could draw with no installed font
        (they are empty boxes on the paper) are kept for the heartbeat; True if any."""
        missing = self.printer.last_missing
        if not missing:
            return False
        self.printer_warning = {"slip": slip, "characters": "".join(missing),
                                "at": datetime.now(self.zone).isoformat(timespec="seconds")}
        return True

    def printer_problem_text(self, status: str) -> str:
        key = {"paper_out": "printer.paper_out", "cover_open": "printer.cover_open",
               "offline": "printer.offline"}.get(status, "printer.error")
        return self.tr(key)

    def print_materials(self, guide: dict, on_result):
        """Print a guide's list of materials; `on_result(ok, message)` on the UI thread."""
        slip = materials_slip(guide, self.hall_name)

        def failed(error: Exception):
            status = getattr(error, "status", None)
            self.printer_status = status.value if status is not None else "unknown"
            on_result(False, self.tr("guide.print_failed", reason=self.printer_problem_text(self.printer_status)))

        def printed(_data):
            if self._note_missing_characters(guide.get("service") or ""):
                self.send_heartbeat(refresh_printer=False)
            on_result(True, self.tr("guide.printed"))

        self.background.run(self.background.printer, lambda: self.printer.print_materials(slip),
                            on_done=printed, on_error=failed)

    # --- help --------------------------------------------------------------------------

    def call_for_help(self):
        """帮助 / 呼叫工作人员: the staff workstations and the admin console hear of it."""
        if self.help_state in ("sending", "sent"):
            return
        self.help_state = "sending"

        def post() -> int:
            known_id = self.kiosk_id or int(self.client.whoami()["id"])
            self.client.call_for_help(known_id)
            return known_id

        def sent(kiosk_id: int):
            self.kiosk_id = kiosk_id
            self.help_state = "sent"
            log.info("a citizen called for staff")
            self._forget_help_later()

        def failed(error: Exception):
            log.warning("call for staff not sent: %s", error)
            self.help_state = "failed"
            self._forget_help_later()

        self.background.run(self.background.network, post, on_done=sent, on_error=failed)

    def _forget_help_later(self):
        if self._help_event is not None:
            self._help_event.cancel()
        self._help_event = Clock.schedule_once(lambda _dt: setattr(self, "help_state", ""), HELP_SHOWN_SECONDS)

    # --- heartbeat and content -----------------------------------------------------

    def send_heartbeat(self, refresh_printer: bool = True):
        """Printer status (read on the printer lane: a silent printer may keep it waiting)
        and content version, posted on the network lane."""
        if refresh_printer:
            self.background.run(self.background.printer, lambda: self.printer.status().value,
                                on_done=self._post_heartbeat,
                                on_error=lambda error: log.warning("printer status not read: %s", error))
        else:
            self._post_heartbeat(self.printer_status)

    def _post_heartbeat(self, printer_status: str):
        self.printer_status = printer_status
        kiosk_id, version = self.kiosk_id, self.content_version
        extra = {"printer_uri": self.settings.printer.split("?")[0]}
        if self.last_print_failure:
            extra["last_print_failure"] = dict(self.last_print_failure)
        if self.printer_warning:
            extra["printer_warning"] = dict(self.printer_warning)

        def post() -> int:
            known_id = kiosk_id or int(self.client.whoami()["id"])
            self.client.heartbeat(known_id, printer_status, version, **extra)
            return known_id

        self.background.run(self.background.network, post, on_done=self._heartbeat_sent,
                            on_error=lambda error: log.info("heartbeat not sent: %s", error))

    def _heartbeat_sent(self, kiosk_id: int):
        self.kiosk_id = kiosk_id

    def refresh_content(self, rebuild_index: bool = False):
        """New content from the server, and the pinyin index of the copy when it changed
        (both on the content lane: thousands of titles are spelled there, not on the UI thread).
        Offline, the index is still built from the copy already held."""
        held = self.content_version

        def sync():
            try:
                version = self.cache.refresh(self.client)
            except (ServerUnreachable, ServerRejected) as error:
                log.info("content not refreshed: %s", error)
                version = held
            index = self.cache.pinyin_index() if (version != held or rebuild_index) else None
            return version, index

        self.background.run(self.background.content, sync, on_done=self._content_refreshed,
                            on_error=lambda error: log.warning("content not refreshed: %s", error))

    def _content_refreshed(self, result):
        version, index = result
        if index is not None:
            self.pinyin_index = index
        if version == self.content_version:
            return
        self.content_version = version
        self.load_announcements()
        screen = self.manager.current_screen
        if getattr(screen, "uses_content", False) and hasattr(screen, "refresh"):
            screen.refresh()
