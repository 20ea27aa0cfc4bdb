"""身份证 at the kiosk: a card laid on the reader names the person the next ticket is for.

The reader is polled on its own thread (`idcard.BackgroundCardReader`). There the card becomes a
`CardHolder` — the keyed hash of the number (under the key the server hands kiosks), the masked
name, the age — and the card itself, with the full number, is dropped. Then, on the network lane:

- the person's booking of today is checked in (`POST /appointments/check-in`): its priority
  ticket is shown and printed at once, whatever screen the citizen was on;
- otherwise (no booking, or not in its check-in window) the holder is kept for the next ticket
  the citizen takes: the card strip says "已读取身份证：张*", and the ticket is issued with the
  hash and the masked name — and the 绿色通道 when the age earns it. The server refuses a second
  waiting ticket of the same person and service, in words the services screen shows.

Nothing here makes the screen wait: the reader, the key and the server are all off the UI thread."""

from __future__ import annotations

import logging
import threading

from kivy.clock import Clock
from kivy.event import EventDispatcher
from kivy.properties import ObjectProperty, OptionProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from idcard import BackgroundCardReader, CardHolder, IdCard, IdCardError

from .client import KioskError, ServerRejected

log = logging.getLogger(__name__)

# the server's answer when the person has no booking today: not worth a word, the card is simply held
NO_BOOKING = "unknown_appointment"


class CardDesk(EventDispatcher):
    """The reader, the hashing key, and the card held for the next ticket.

    `state`: "idle" (no card), "checking" (asking the server for today's booking), "held" (the
    holder waits for the next ticket; `message` may say why a booking could not be checked in)."""

    state = OptionProperty("idle", options=["idle", "checking", "held", "unusable"])
    holder = ObjectProperty(None, allownone=True)
    message = StringProperty("")

    def __init__(self, app, uri: str, green_channel_age: int, **kwargs):
        super().__init__(**kwargs)
        self.app = app
        self.green_channel_age = green_channel_age
        self._key: str | None = None
        self._key_lock = threading.Lock()
        # a bad URI fails here, at once (InvalidReaderURI): the caller runs the kiosk without a reader
        self.reader = BackgroundCardReader(uri, on_card=self._card_read, on_error=self._reader_trouble)

    def start(self) -> "CardDesk":
        self.reader.start()
        # the key is fetched early, so the first card costs one server call, not two
        self.app.background.run(self.app.background.network, self.hashing_key,
                                on_error=lambda error: log.info("ID hashing key not fetched yet: %s", error))
        return self

    def stop(self):
        self.reader.stop()

    @property
    def held(self) -> CardHolder | None:
        """The holder the next ticket is issued for, or None."""
        return self.holder if self.state == "held" else None

    def hashing_key(self) -> str:
        """The server's key for hashing ID numbers, fetched once (any thread)."""
        with self._key_lock:
            if self._key is None:
                self._key = self.app.client.id_hash_key()
            return self._key

    # --- the reader's thread ------------------------------------------------------------

    def _card_read(self, card: IdCard):
        try:
            key = self.hashing_key()
        except KioskError as error:
            log.warning("an ID card was read but the hashing key cannot be had: %s", error)
            Clock.schedule_once(lambda _dt: self._unusable())
            return
        holder = card.holder(key, self.app.now().date(), self.green_channel_age)
        Clock.schedule_once(lambda _dt: self.card_placed(holder))

    def _reader_trouble(self, error: IdCardError):
        log.warning("ID card reader: %s", error)

    # --- the UI thread ----------------------------------------------------------------

    def card_placed(self, holder: CardHolder):
        """A new card: check in today's booking, or hold the card for the next ticket."""
        app = self.app
        if app.issuing:
            return  # a ticket is already on its way; the card may be laid down again
        log.info("ID card read: %s, age %s%s", holder.masked_name, holder.age,
                 " (绿色通道)" if holder.green_channel else "")
        self.holder, self.message, self.state = holder, "", "checking"
        app.issuing = True  # no second ticket while the booking is looked for

        def checked_in(ticket: dict):
            app.issuing = False
            app.show_ticket(ticket)  # issued at the server: shown and printed whatever the screen

        def not_checked_in(error: Exception):
            app.issuing = False
            if self.holder is not holder:
                return
            self.state = "held"
            if isinstance(error, ServerRejected) and error.code != NO_BOOKING:
                self.message = error.message  # too early, too late: the server says when to come
            elif not isinstance(error, KioskError):
                log.exception("checking in by ID card failed", exc_info=error)

        app.background.run(app.background.network, lambda: app.client.check_in_by_card(holder),
                           on_done=checked_in, on_error=not_checked_in)

    def ticket_taken(self):
        """A ticket was issued: the card has done its work."""
        self.forget()

    def forget(self):
        self.state, self.holder, self.message = "idle", None, ""

    def _unusable(self):
        self.state, self.holder, self.message = "unusable", None, ""
        Clock.schedule_once(lambda _dt: self.forget() if self.state == "unusable" else None, 10)


def start_card_desk(app) -> CardDesk | None:
    """The kiosk's card desk when `[kiosk] idcard` names a reader; None without one, or when the
    URI is wrong (said in the log: the kiosk serves without the reader rather than not at all)."""
    uri = app.settings.idcard
    if not uri:
        return None
    try:
        desk = CardDesk(app, uri, app.settings.green_channel_age)
    except IdCardError as error:
        log.error("ID card reader not used: %s", error)
        return None
    log.info("ID card reader: %s", desk.reader.uri)
    return desk.start()


class CardStrip(BoxLayout):
    """The band under the status strip while a card is read or held: whose card, what happens next,
    and 取消 for a card that is not the citizen's (layout in screens/card.kv)."""

    desk = ObjectProperty(None, allownone=True)
    name_text = StringProperty("")
    detail_text = StringProperty("")

    def on_desk(self, _strip, desk):
        if desk is not None:
            desk.bind(state=self._words, holder=self._words, message=self._words)
            self.desk.app.bind(lang=self._words)
        self._words()

    def _words(self, *_args):
        desk = self.desk
        if desk is None or desk.state == "idle":
            self.name_text, self.detail_text = "", ""
            return
        tr = desk.app.tr
        if desk.state == "unusable":
            self.name_text, self.detail_text = tr("card.unusable"), ""
            return
        holder = desk.holder
        if holder is None:
            return
        self.name_text = tr("card.read", name=holder.masked_name)
        if desk.state == "checking":
            self.detail_text = tr("card.checking")
        else:
            lines = [desk.message] if desk.message else []
            lines.append(tr("card.green_channel", age=holder.age) if holder.green_channel else tr("card.next_ticket"))
            self.detail_text = "\n".join(lines)
