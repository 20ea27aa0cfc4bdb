"""预约其他日期: booking a later day at the kiosk, one step at a time on one screen —
service → day → slot → name and mobile number → the code and its QR (scanned or typed at
预约取号 on the day). With an ID card held (kiosk/card.py) the name comes from the card, masked,
and the booking carries the card's keyed hash: on the day the card alone checks it in.

Every answer comes from the server in the background; 返回 goes back one step."""

from __future__ import annotations

from kivy.factory import Factory
from kivy.properties import BooleanProperty, DictProperty, ObjectProperty, OptionProperty, StringProperty

from .client import ServerRejected, ServerUnreachable
from .qr import qr_texture
from .views import KioskScreen, app, fill_key_pad

STEPS = ("service", "day", "slot", "form", "done")
PHONE_LENGTH = 11


class BookingScreen(KioskScreen):
    screen_name = "book"
    step = OptionProperty("service", options=list(STEPS))
    message = StringProperty("")
    busy = BooleanProperty(False)
    service = DictProperty({})  # {id, name, department}
    day = DictProperty({})  # {date, weekday, available}
    slot = DictProperty({})  # {start, end, available}
    phone = StringProperty("")
    booking = DictProperty({})
    qr = ObjectProperty(None, allownone=True)
    card_name = StringProperty("")  # the masked name of a card held at the kiosk
    summary = StringProperty("")  # what has been picked so far
    with_card = BooleanProperty(False)  # booked with an ID card: the card checks it in on the day
    code_text = StringProperty("")  # the booking's code, spaced out to be read aloud or copied

    def on_kv_post(self, _base):
        fill_key_pad(self.ids.phone_keys, "1234567890", self.press_digit, self.erase_digit)
        app().bind(lang=lambda *_: self.refresh())
        # one panel on screen at a time: a hidden one would still catch touches
        # (held strongly: `ids` are weak references, and a panel off screen has no other owner)
        self._panels = {name: self.ids[key].__self__ for name, key in
                        (("list", "list_panel"), ("form", "form"), ("done", "done"))}
        self._show_panel()

    def _show_panel(self):
        wanted = self._panels["done" if self.step == "done" else "form" if self.step == "form" else "list"]
        for panel in self._panels.values():
            if panel is not wanted and panel.parent is not None:
                panel.parent.remove_widget(panel)
        if wanted.parent is None:
            self.ids.content.add_widget(wanted)

    # --- steps -------------------------------------------------------------------------

    def show(self, **_context):
        self.reset()
        self.refresh()

    def reset(self):
        self.step, self.message, self.busy = "service", "", False
        self.service, self.day, self.slot, self.booking = {}, {}, {}, {}
        self.phone, self.qr, self.code_text, self.with_card = "", None, "", False
        if "name_input" in self.ids:
            self.ids.name_input.text = ""

    def step_back(self) -> bool:
        """返回 inside the flow: one step back; False on the first step (leave the screen)."""
        index = STEPS.index(self.step)
        if index == 0 or self.step == "done" or self.busy:
            return False
        self.step, self.message = STEPS[index - 1], ""
        self.refresh()
        return True

    def on_step(self, *_args):
        self.title = app().tr(f"book.title_{self.step}")
        if hasattr(self, "_panels"):
            self._show_panel()

    def refresh(self):
        self.on_step()
        kiosk = app()
        holder = kiosk.card.held if kiosk.card is not None else None
        self.card_name = holder.masked_name if holder is not None else ""
        picked = [self.service.get("name", "")]
        if self.day and self.step != "day":
            picked.append(kiosk.tr("book.day", month=int(self.day["date"][5:7]), day=int(self.day["date"][8:10]),
                                   weekday=self.day["weekday"]))
        if self.slot and self.step in ("form", "done"):
            picked.append(f"{self.slot['start']}–{self.slot['end']}")
        self.summary = " · ".join(part for part in picked if part) if self.step != "service" else \
            kiosk.tr("book.pick_service")
        listing = self.ids.listing
        listing.clear_widgets()
        if self.step == "service":
            for department in kiosk.departments:
                for choice in department.services:
                    row = Factory.ListRow(title=choice.name, subtitle=department.name, enabled=True,
                                          payload={"id": choice.id, "name": choice.name,
                                                   "department": department.name})
                    row.bind(on_release=lambda row: self.pick_service(row.payload))
                    listing.add_widget(row)
        elif self.step in ("day", "slot"):
            self._load()

    def _load(self):
        kiosk, step = app(), self.step
        self.busy, self.message = True, kiosk.tr("book.loading")
        if step == "day":
            request = lambda: kiosk.client.booking_days(self.service["id"])  # noqa: E731
        else:
            request = lambda: kiosk.client.booking_slots(self.service["id"], self.day["date"])  # noqa: E731

        def arrived(items: list):
            if self.step != step:
                return
            self.busy, self.message = False, ""
            if step == "day":
                self._show_days(items)
            else:
                self._show_slots(items)

        kiosk.background.run(kiosk.background.network, request, on_done=arrived,
                             on_error=lambda error: self._failed(error, step))

    def _show_days(self, days: list[dict]):
        kiosk = app()
        today = kiosk.hall_day or kiosk.now().date().isoformat()
        later = [day for day in days if day["date"] > today]  # today: take a number instead
        for day in later:
            month, dom = int(day["date"][5:7]), int(day["date"][8:10])
            row = Factory.ListRow(title=kiosk.tr("book.day", month=month, day=dom, weekday=day["weekday"]),
                                  subtitle=kiosk.tr("book.places", count=day["available"]) if day["available"]
                                  else kiosk.tr("book.full"), enabled=day["available"] > 0, payload=day)
            row.bind(on_release=lambda row: self.pick_day(row.payload))
            self.ids.listing.add_widget(row)
        if not later:
            self.message = kiosk.tr("book.no_days")

    def _show_slots(self, slots: list[dict]):
        kiosk = app()
        for slot in slots:
            row = Factory.ListRow(title=f"{slot['start']}–{slot['end']}",
                                  subtitle=kiosk.tr("book.places", count=slot["available"]) if slot["available"]
                                  else (slot.get("reason") or kiosk.tr("book.full")),
                                  enabled=slot["available"] > 0, payload=slot)
            row.bind(on_release=lambda row: self.pick_slot(row.payload))
            self.ids.listing.add_widget(row)
        if not slots:
            self.message = kiosk.tr("book.no_slots")

    def _failed(self, error: Exception, step: str):
        if self.step != step:
            return
        self.busy = False
        kiosk = app()
        if isinstance(error, ServerRejected):
            self.message = error.message
        elif isinstance(error, ServerUnreachable):
            self.message = kiosk.tr("services.offline")
        else:
            self.message = kiosk.tr("book.refused", message=str(error))

    def pick_service(self, service: dict):
        self.service, self.step, self.message = service, "day", ""
        self.refresh()

    def pick_day(self, day: dict):
        self.day, self.step, self.message = day, "slot", ""
        self.refresh()

    def pick_slot(self, slot: dict):
        self.slot, self.step, self.message = slot, "form", ""
        self.refresh()

    def card_changed(self):
        """A card laid on the reader (or forgotten) while this screen is up: the name follows it."""
        kiosk = app()
        holder = kiosk.card.held if kiosk.card is not None else None
        self.card_name = holder.masked_name if holder is not None else ""

    # --- the form ------------------------------------------------------------------------

    def press_digit(self, digit: str):
        if len(self.phone) < PHONE_LENGTH:
            self.phone += digit
        self.message = ""

    def erase_digit(self):
        self.phone = self.phone[:-1]

    def submit(self):
        if self.busy:
            return
        kiosk = app()
        holder = kiosk.card.held if kiosk.card is not None else None
        name = holder.masked_name if holder is not None else self.ids.name_input.text.strip()
        if not name:
            self.message = kiosk.tr("book.need_name")
            return
        if len(self.phone) != PHONE_LENGTH:
            self.message = kiosk.tr("book.need_phone")
            return
        self.busy, self.message = True, kiosk.tr("book.sending")
        service_id, day, start, phone = self.service["id"], self.day["date"], self.slot["start"], self.phone

        def booked(booking: dict):
            self.busy, self.message = False, ""
            self.booking = booking
            self.code_text = " ".join(booking["code"])
            self.with_card = holder is not None
            self.qr = qr_texture(booking["code"])  # what 预约取号's scanner reads
            self.step = "done"
            if holder is not None:
                kiosk.card.forget()  # the card has done its work: it checks the booking in on the day
            self.refresh()

        kiosk.background.run(kiosk.background.network,
                             lambda: kiosk.client.book(service_id, day, start, name, phone, holder),
                             on_done=booked, on_error=lambda error: self._failed(error, "form"))

    def booking_lines(self) -> str:
        booking, kiosk = self.booking, app()
        if not booking:
            return ""
        return kiosk.tr("book.done_lines", service=booking["service"], date=booking["date"],
                        start=booking["start"], end=booking["end"], checkin_from=booking["checkin_from"],
                        checkin_until=booking["checkin_until"])
