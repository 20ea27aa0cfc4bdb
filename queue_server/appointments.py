"""Appointments (预约): slots, bookings, check-in and 爽约.

A service's working day (the hall calendar and the service's days) is cut into slots of
`slot_minutes` within its opening hours; each slot holds `capacity` bookings. Booking opens
`days_ahead` days ahead and closes `close_before_minutes` before the slot. A booking is checked
in at the kiosk from `checkin_before_minutes` before the slot's start to `checkin_after_minutes`
after it, and becomes a priority ticket (`Queue.issue_ticket` with its code); one never checked
in by then is 爽约 (marked lazily, inside the next write that needs to know), and `no_show_limit`
爽约 within `no_show_days` refuse booking for `ban_days`.

A person is their mobile number, or their ID number's keyed hash when given: one active booking
per person per service. The ID number itself is never stored."""

from __future__ import annotations

import json
import math
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from idcard.privacy import id_number_hash, is_valid_id_number, mask_name

from . import clock, store
from .errors import (
    AlreadyBooked,
    BadRequest,
    BookingBanned,
    BookingClosed,
    CheckInTooEarly,
    CheckInTooLate,
    Forbidden,
    SlotFull,
    UnknownAppointment,
    UnknownService,
    WrongState,
)
from .hall import WEEKDAY_NAMES_ZH, parse_days, parse_hours

# No look-alikes: 0/O/Q/D? (D kept: it has no digit twin), 1/I/L, 2/Z, 5/S, 6/G, 8/B.
CODE_ALPHABET = "23456789ACDEFHJKMNPRTUVWXY"
CODE_LENGTH = 6
_CODE = re.compile(rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_START = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
MAX_NAME_LENGTH = 20
SOURCES = ("phone", "kiosk", "staff")

STATUS_NAMES = {"booked": "已预约", "checked_in": "已签到取号", "cancelled": "已取消", "no_show": "爽约",
                "closed": "时段已关闭"}


def normalize_code(text) -> str:
    """What a person typed or a scanner sent: spaces and dashes dropped, letters in capitals."""
    if not isinstance(text, str):
        raise BadRequest("预约码须为文字")
    return re.sub(r"[\s\-]", "", text).upper()


def mask_phone(phone: str) -> str:
    """13912345678 → 139****5678."""
    return phone[:3] + "****" + phone[-4:] if len(phone) == 11 else phone


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass
class Slot:
    start: str
    end: str
    capacity: int
    booked: int
    closed: bool
    reason: str
    booking_open: bool  # before the booking deadline

    @property
    def available(self) -> int:
        if self.closed or not self.booking_open:
            return 0
        return max(0, self.capacity - self.booked)

    def to_json(self) -> dict:
        return {"start": self.start, "end": self.end, "capacity": self.capacity, "available": self.available,
                "booked": self.booked, "closed": self.closed, "reason": self.reason,
                "booking_open": self.booking_open}


class Appointments:
    def __init__(self, db, config: dict, secret: str | bytes | None = None, queue=None, now=None):
        self.db = db
        self.config = config
        self.settings = config["appointments"]
        self.zone = config["hall"]["timezone"]
        self.secret = secret
        self.queue = queue  # for check-in (a ticket); booking does not need it
        self._now = now or (queue.now if queue is not None else clock.utc_now)

    # --- time ----------------------------------------------------------------

    def now(self) -> datetime:
        return self._now()

    def today(self) -> date:
        return clock.local(self.now(), self.zone).date()

    def _instant(self, day: str, hhmm: str) -> datetime:
        hour, minute = map(int, hhmm.split(":"))
        return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=ZoneInfo(self.zone))

    def checkin_window(self, booking: dict) -> tuple[datetime, datetime]:
        start = self._instant(booking["day"], booking["start"])
        return (start - timedelta(minutes=self.settings["checkin_before_minutes"]),
                start + timedelta(minutes=self.settings["checkin_after_minutes"]))

    # --- slots ---------------------------------------------------------------

    def _service(self, service_id) -> dict:
        if not isinstance(service_id, int) or isinstance(service_id, bool):
            raise BadRequest("service_id 必须是整数")
        service = store.get_service(self.db, service_id)
        if not service:
            raise UnknownService(f"没有编号为 {service_id} 的事项", service_id=service_id)
        return service

    def _day(self, text) -> date:
        if not isinstance(text, str):
            raise BadRequest("date 须为 YYYY-MM-DD 格式的日期")
        try:
            return date.fromisoformat(text.strip())
        except ValueError:
            raise BadRequest(f"日期 {text!r} 无效（格式 YYYY-MM-DD）")

    def bookable_range(self) -> tuple[date, date]:
        today = self.today()
        return today, today + timedelta(days=self.settings["days_ahead"])

    def is_working_day(self, service: dict, day: date) -> bool:
        """The hall calendar first (holidays close, make-up workdays open), then the service's days."""
        exception = store.hall_day(self.db, day.isoformat())
        if exception == "holiday":
            return False
        return exception == "workday" or day.weekday() in parse_days(service["days"])

    def slot_times(self, service: dict) -> list[tuple[int, int]]:
        """The day's slots in minutes: each opening span cut into slot_minutes periods (a shorter last one)."""
        length = self.settings["slot_minutes"]
        times = []
        for span_start, span_end in parse_hours(json.loads(service["hours"])):
            for start in range(span_start, span_end, length):
                times.append((start, min(start + length, span_end)))
        return times

    def default_capacity(self, service: dict, slots_a_day: int) -> int:
        if service["daily_cap"] and slots_a_day:
            return max(1, math.floor(service["daily_cap"] * self.settings["capacity_share"] / slots_a_day))
        return self.settings["default_capacity"]

    def _settings_of(self, service: dict):
        """A function (day, start) → (capacity, closed, reason): a setting for the day and slot wins over one
        for the slot on every day, over one for the whole day, over the service's, over the default."""
        found = {(s["day"], s["start"]): s for s in store.appointment_slot_settings(self.db, service["id"])}
        default = self.default_capacity(service, len(self.slot_times(service)))

        def resolve(day: str, start: str):
            capacity, closed, reason = default, False, ""
            for key in (("*", "*"), (day, "*"), ("*", start), (day, start)):
                setting = found.get(key)
                if setting:
                    if setting["capacity"] is not None:
                        capacity = setting["capacity"]
                    if setting["closed"]:
                        closed, reason = True, setting["reason"] or "该时段已关闭预约"
            return capacity, closed, reason

        return resolve

    def slots(self, service_id, day_text) -> list[dict]:
        """The slots of a service's day with what is left; a day not open for booking has none."""
        service = self._service(service_id)
        day = self._day(day_text)
        return [slot.to_json() for slot in self._slots(service, day)]

    def _slots(self, service: dict, day: date) -> list[Slot]:
        first, last = self.bookable_range()
        if not service["enabled"] or not first <= day <= last or not self.is_working_day(service, day):
            return []
        resolve = self._settings_of(service)
        booked = store.slot_bookings_of_day(self.db, service["id"], day.isoformat())
        deadline = self.now() + timedelta(minutes=self.settings["close_before_minutes"])
        result = []
        for start, end in self.slot_times(service):
            start_text = _hhmm(start)
            capacity, closed, reason = resolve(day.isoformat(), start_text)
            result.append(Slot(start_text, _hhmm(end), capacity, booked.get(start_text, 0), closed, reason,
                               booking_open=self._instant(day.isoformat(), start_text) > deadline))
        return result

    def _slot(self, service: dict, day: date, start: str) -> Slot | None:
        """One slot of `_slots`, counting only its own bookings (the booking's path)."""
        first, last = self.bookable_range()
        if not service["enabled"] or not first <= day <= last or not self.is_working_day(service, day):
            return None
        end = next((e for s, e in self.slot_times(service) if _hhmm(s) == start), None)
        if end is None:
            return None
        capacity, closed, reason = self._settings_of(service)(day.isoformat(), start)
        deadline = self.now() + timedelta(minutes=self.settings["close_before_minutes"])
        return Slot(start, _hhmm(end), capacity, store.count_slot_bookings(self.db, service["id"], day.isoformat(), start),
                    closed, reason, booking_open=self._instant(day.isoformat(), start) > deadline)

    def days(self, service_id) -> list[dict]:
        """The bookable days of a service: date, weekday and places left (for the day picker)."""
        service = self._service(service_id)
        first, last = self.bookable_range()
        result = []
        for offset in range((last - first).days + 1):
            day = first + timedelta(days=offset)
            slots = self._slots(service, day)
            if slots:
                result.append({"date": day.isoformat(), "weekday": WEEKDAY_NAMES_ZH[day.weekday()],
                               "available": sum(s.available for s in slots)})
        return result

    # --- booking -------------------------------------------------------------

    def person(self, phone, id_number=None, id_hash=None) -> tuple[str, str | None]:
        """(mobile number, keyed hash of the ID number or None), checked."""
        if not isinstance(phone, str) or not _MOBILE.match(phone.strip()):
            raise BadRequest("请填写11位手机号码")
        if id_number not in (None, ""):
            if not self.secret:
                raise Forbidden("本服务未配置密钥，不能登记身份证号码")
            if not isinstance(id_number, str) or not is_valid_id_number(id_number):
                raise BadRequest("身份证号码有误，请核对（18位，最后一位可能是X）")
            id_hash = id_number_hash(id_number, self.secret)
        elif id_hash not in (None, ""):
            if not isinstance(id_hash, str) or not re.fullmatch(r"[0-9a-f]{64}", id_hash):
                raise BadRequest("id_hash 须为64位十六进制的身份证号码密钥散列")
        else:
            id_hash = None
        return phone.strip(), id_hash

    def book(self, service_id, day_text, start, name, phone, id_number=None, *, id_hash=None,
             source: str = "phone", staff_id=None) -> dict:
        if not isinstance(name, str) or not name.strip():
            raise BadRequest("请填写姓名")
        if len(name) > MAX_NAME_LENGTH:  # as typed, spaces included (the form's maxlength)
            raise BadRequest(f"姓名不能超过 {MAX_NAME_LENGTH} 个字")
        name = name.strip()
        phone, id_hash = self.person(phone, id_number, id_hash)
        if not isinstance(start, str) or not _START.match(start.strip()):
            raise BadRequest("start 须为 HH:MM 格式的时段开始时间")
        start = start.strip()
        service = self._service(service_id)
        day = self._day(day_text)
        with store.immediate(self.db):
            now = self.now()
            self._mark_no_shows(now)
            self._refuse_if_banned(phone, id_hash, now)
            held = store.active_booking_of_person(self.db, service["id"], phone, id_hash, clock.to_iso(now))
            if held:
                raise AlreadyBooked(f"您已预约 {held['day']} {held['start']} 的{service['name']}，"
                                    "同一事项只能有一个有效预约；如需改期，请先取消原预约",
                                    date=held["day"], start=held["start"])
            slot = self._slot(service, day, start)
            if slot is None:
                raise BookingClosed(f"{day.isoformat()} {start} 不是{service['name']}可预约的时段")
            if slot.closed:
                raise BookingClosed(f"该时段已关闭预约：{slot.reason}")
            if not slot.booking_open:
                raise BookingClosed(f"该时段已停止预约（开始前 {self.settings['close_before_minutes']} 分钟截止）")
            if slot.booked >= slot.capacity:
                raise SlotFull(f"{day.isoformat()} {start} 的预约已满，请选择其他时段")
            code = self._new_code()
            starts_at = self._instant(day.isoformat(), start)
            store.insert_appointment(self.db, {
                "code": code, "service_id": service["id"], "day": day.isoformat(), "start": start, "end": slot.end,
                "starts_at": clock.to_iso(starts_at),
                "checkin_end_at": clock.to_iso(starts_at + timedelta(minutes=self.settings["checkin_after_minutes"])),
                "name": name, "phone": phone, "id_hash": id_hash, "status": "booked",
                "source": source if source in SOURCES else "phone", "created_at": clock.to_iso(now),
            })
            self._event("appointment_booked", service["id"], day.isoformat(), start, staff_id=staff_id)
        return self.view(code)

    def _new_code(self) -> str:
        while True:
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            if not store.appointment_code_exists(self.db, code):
                return code

    def _event(self, type_, service_id, day, start, staff_id=None, **extra):
        # the stream is public: a booking's event names its slot, never the person or the code
        store.append_event(self.db, clock.to_iso(self.now()), type_,
                           {"service_id": service_id, "date": day, "start": start, **extra},
                           service_id=service_id, staff_id=staff_id)

    # --- 爽约 ------------------------------------------------------------------

    def _mark_no_shows(self, now: datetime) -> int:
        """Inside a write: bookings whose check-in window ended unused become 爽约 (one event each)."""
        due = store.mark_due_no_shows(self.db, clock.to_iso(now))
        for booking in due:
            self._event("appointment_no_show", booking["service_id"], booking["day"], booking["start"])
        return len(due)

    def sweep_no_shows(self) -> int:
        with store.immediate(self.db):
            return self._mark_no_shows(self.now())

    def ban_until(self, phone: str, id_hash: str | None, now: datetime) -> date | None:
        """The last day of the person's ban, or None: a ban starts at the 爽约 that made `no_show_limit`
        within `no_show_days` and lasts `ban_days`."""
        limit, window = self.settings["no_show_limit"], timedelta(days=self.settings["no_show_days"])
        ban = timedelta(days=self.settings["ban_days"])
        if limit <= 0:
            return None
        since = now - window - ban
        times = [clock.from_iso(t) for t in store.no_show_times_of_person(self.db, phone, id_hash, clock.to_iso(since))]
        latest_end = None
        for index in range(limit - 1, len(times)):
            if times[index] - times[index - limit + 1] <= window:
                latest_end = times[index] + ban
        if latest_end and latest_end > now:
            return clock.local(latest_end, self.zone).date()
        return None

    def _refuse_if_banned(self, phone, id_hash, now):
        until = self.ban_until(phone, id_hash, now)
        if until:
            raise BookingBanned(
                f"您在 {self.settings['no_show_days']} 天内已有 {self.settings['no_show_limit']} 次预约未到（爽约），"
                f"{until.isoformat()} 前不能预约；可直接到大厅取号办理",
                until=until.isoformat(), reason="爽约")

    # --- a booking -------------------------------------------------------------

    def _booking(self, code) -> dict:
        code = normalize_code(code)
        booking = store.get_appointment_by_code(self.db, code) if _CODE.match(code) else None
        if not booking:
            raise UnknownAppointment("没有这个预约码，请核对后重新输入")
        return booking

    def view(self, code, full: bool = False) -> dict:
        """A booking as its holder sees it (name and phone masked); `full` for staff."""
        booking = self._booking(code)
        if booking["status"] == "booked" and clock.from_iso(booking["checkin_end_at"]) < self.now():
            booking["status"] = "no_show"  # what the next write will record
        opens, closes = self.checkin_window(booking)
        result = {
            "code": booking["code"], "service_id": booking["service_id"], "service": booking["service"],
            "department": booking["department"], "date": booking["day"], "start": booking["start"],
            "end": booking["end"], "status": booking["status"], "status_name": STATUS_NAMES[booking["status"]],
            "closed_reason": booking["closed_reason"],
            "name": booking["name"] if full else mask_name(booking["name"]),
            "phone": booking["phone"] if full else mask_phone(booking["phone"]),
            "checkin_from": clock.local(opens, self.zone).strftime("%H:%M"),
            "checkin_until": clock.local(closes, self.zone).strftime("%H:%M"),
            "cancellable": booking["status"] == "booked" and self.now() < clock.from_iso(booking["starts_at"]),
            "ticket_number": booking["ticket_number"],
            "status_url": self.status_url(booking["code"]),
        }
        if full:
            result |= {"id": booking["id"], "source": booking["source"], "created_at": booking["created_at"],
                       "checked_in_at": booking["checked_in_at"], "has_id_number": bool(booking["id_hash"])}
        return result

    def status_url(self, code: str) -> str:
        return self.config["server"]["public_url"].rstrip("/") + f"/book/{code}"

    def cancel(self, code, staff_id=None) -> dict:
        """The holder (or staff) gives the place back, until the slot starts."""
        with store.immediate(self.db):
            booking = self._booking(code)
            if booking["status"] != "booked":
                raise WrongState(f"该预约{STATUS_NAMES[booking['status']]}，不能取消", status=booking["status"])
            if self.now() >= clock.from_iso(booking["starts_at"]):
                raise WrongState("预约时段已开始，不能再取消", status=booking["status"])
            store.update_appointment(self.db, booking["id"], status="cancelled",
                                     cancelled_at=clock.to_iso(self.now()))
            self._event("appointment_cancelled", booking["service_id"], booking["day"], booking["start"],
                        staff_id=staff_id)
        return self.view(code)

    # --- check-in ----------------------------------------------------------------

    def claim_for_ticket(self, code, service_id: int | None = None) -> dict:
        """Inside the ticket's write: the booking, checked for its window and marked checked in.
        The caller (Queue.issue_ticket) sets `ticket_id` once the ticket exists."""
        booking = self._booking(code)
        if service_id is not None and service_id != booking["service_id"]:
            raise BookingClosed(f"预约码 {booking['code']} 预约的是{booking['service']}，不是所选事项",
                                service_id=booking["service_id"])
        if booking["status"] == "checked_in":
            raise WrongState(f"该预约已签到取号（{booking['ticket_number']} 号）", status="checked_in",
                             ticket_number=booking["ticket_number"])
        now = self.now()
        opens, closes = self.checkin_window(booking)
        times = {"date": booking["day"], "start": booking["start"],
                 "checkin_from": clock.local(opens, self.zone).strftime("%H:%M"),
                 "checkin_until": clock.local(closes, self.zone).strftime("%H:%M")}
        if booking["status"] in ("cancelled", "closed"):
            raise WrongState(f"该预约{STATUS_NAMES[booking['status']]}" +
                             (f"：{booking['closed_reason']}" if booking["closed_reason"] else ""),
                             status=booking["status"])
        if now < opens:
            local_opens = clock.local(opens, self.zone)
            when = times["checkin_from"] if local_opens.date() == self.today() else \
                f"{booking['day']} {times['checkin_from']}"
            raise CheckInTooEarly(f"您预约的是 {booking['day']} {booking['start']}，请于 {when} 之后再来签到取号", **times)
        if now > closes or booking["status"] == "no_show":
            raise CheckInTooLate(f"已超过签到时间（{times['checkin_until']} 前），预约已失效；请直接取普通号办理", **times)
        store.update_appointment(self.db, booking["id"], status="checked_in", checked_in_at=clock.to_iso(now))
        return booking

    def attach_ticket(self, booking: dict, ticket_id: int):
        store.update_appointment(self.db, booking["id"], ticket_id=ticket_id)
        self._event("appointment_checked_in", booking["service_id"], booking["day"], booking["start"],
                    ticket_id=ticket_id)

    def check_in(self, code, kiosk_id: int | None = None, holder_hash: str | None = None,
                 holder_name: str | None = None) -> dict:
        """The kiosk's 预约取号: a priority ticket in the appointment sequence."""
        booking = self._booking(code)
        return self.queue.issue_ticket(booking["service_id"], appointment_code=booking["code"], kiosk_id=kiosk_id,
                                       holder_hash=holder_hash, holder_name=holder_name)

    def check_in_by_card(self, id_hash, kiosk_id: int | None = None, holder_name: str | None = None) -> dict:
        """An ID card laid on the kiosk's reader: today's booking of that person, checked in. With several,
        the one whose check-in window is open, else the next (whose refusal says when to come)."""
        if not isinstance(id_hash, str) or not re.fullmatch(r"[0-9a-f]{64}", id_hash):
            raise BadRequest("id_hash 须为64位十六进制的身份证号码密钥散列")
        bookings = [b for b in store.bookings_of_id_hash_on(self.db, id_hash, self.today().isoformat())
                    if b["status"] == "booked"]
        if not bookings:
            raise UnknownAppointment("今天没有用这张身份证预约的事项，如需办理请直接取号")
        now = self.now()
        windows = [(booking, *self.checkin_window(booking)) for booking in bookings]
        chosen = next((b for b, opens, closes in windows if opens <= now <= closes), None) or \
            next((b for b, opens, _ in windows if opens > now), bookings[-1])
        return self.check_in(chosen["code"], kiosk_id=kiosk_id, holder_hash=id_hash, holder_name=holder_name)

    # --- staff and admin --------------------------------------------------------------

    def day_bookings(self, day_text, service_id=None) -> dict:
        day = self._day(day_text)
        if service_id is not None:
            self._service(service_id)
        with store.immediate(self.db):
            self._mark_no_shows(self.now())
        bookings = store.list_appointments_of_day(self.db, day.isoformat(), service_id)
        services: dict[int, dict] = {}
        for booking in bookings:
            entry = services.setdefault(booking["service_id"], {
                "service_id": booking["service_id"], "service": booking["service"],
                "department": booking["department"], "bookings": [],
                "counts": {state: 0 for state in store.APPOINTMENT_STATES}})
            entry["counts"][booking["status"]] += 1
            entry["bookings"].append({
                "code": booking["code"], "start": booking["start"], "end": booking["end"], "name": booking["name"],
                "phone": booking["phone"], "status": booking["status"], "status_name": STATUS_NAMES[booking["status"]],
                "ticket_number": booking["ticket_number"], "source": booking["source"],
                "closed_reason": booking["closed_reason"]})
        return {"date": day.isoformat(), "services": list(services.values()),
                "total": len(bookings)}

    def set_capacity(self, service_id, capacity, day: str = "*", start: str = "*", staff_id=None):
        """The admin sets a capacity: for every slot ('*', '*'), one slot on every day, or one day's slot."""
        service = self._service(service_id)
        if capacity is not None and (not isinstance(capacity, int) or isinstance(capacity, bool)
                                     or not 0 <= capacity <= 999):
            raise BadRequest("每时段可预约人数须为 0 到 999 之间的整数")
        day, start = self._setting_key(day, start)
        with store.immediate(self.db):
            existing = {(s["day"], s["start"]): s for s in store.appointment_slot_settings(self.db, service["id"])}
            current = existing.get((day, start))
            closed, reason = (bool(current["closed"]), current["reason"]) if current else (False, "")
            if capacity is None and not closed:
                store.delete_appointment_slot_setting(self.db, service["id"], day, start)
            else:
                store.upsert_appointment_slot_setting(self.db, service["id"], day, start, capacity, closed, reason)
            self._event("appointment_capacity_set", service["id"], day, start, staff_id=staff_id, capacity=capacity)

    def close_slot(self, service_id, day_text, start, reason: str, staff_id=None) -> int:
        """Close one day's slot (or the whole day with start '*'); its bookings are told on their page."""
        service = self._service(service_id)
        day, start = self._setting_key(day_text, start)
        if day == "*":
            raise BadRequest("请指定要关闭的日期")
        reason = (reason or "").strip()[:100] or "大厅临时调整，该时段暂停预约"
        with store.immediate(self.db):
            existing = {(s["day"], s["start"]): s for s in store.appointment_slot_settings(self.db, service["id"])}
            current = existing.get((day, start))
            store.upsert_appointment_slot_setting(self.db, service["id"], day, start,
                                                  current["capacity"] if current else None, True, reason)
            closed = 0
            starts = [start] if start != "*" else [_hhmm(s) for s, _ in self.slot_times(service)]
            for each in starts:
                closed += store.close_slot_bookings(self.db, service["id"], day, each, reason,
                                                    clock.to_iso(self.now()))
            self._event("appointment_slot_closed", service["id"], day, start, staff_id=staff_id,
                        reason=reason, bookings=closed)
        return closed

    def reopen_slot(self, service_id, day_text, start, staff_id=None):
        service = self._service(service_id)
        day, start = self._setting_key(day_text, start)
        with store.immediate(self.db):
            existing = {(s["day"], s["start"]): s for s in store.appointment_slot_settings(self.db, service["id"])}
            current = existing.get((day, start))
            if current and current["capacity"] is not None:
                store.upsert_appointment_slot_setting(self.db, service["id"], day, start, current["capacity"])
            else:
                store.delete_appointment_slot_setting(self.db, service["id"], day, start)
            self._event("appointment_slot_reopened", service["id"], day, start, staff_id=staff_id)

    def _setting_key(self, day, start) -> tuple[str, str]:
        day = "*" if day in (None, "", "*") else self._day(day).isoformat()
        if start in (None, "", "*"):
            return day, "*"
        if not isinstance(start, str) or not _START.match(start.strip()):
            raise BadRequest("start 须为 HH:MM 格式的时段开始时间")
        return day, start.strip()

    def settings_view(self) -> list[dict]:
        services = {s["id"]: s for s in store.list_services(self.db)}
        return [setting | {"service": services[setting["service_id"]]["name"]}
                for setting in store.list_appointment_slot_settings(self.db) if setting["service_id"] in services]


def appointment_figures(db, first_day: str, last_day: str, now: datetime | None = None) -> dict:
    """Booked / checked-in / 爽约 / cancelled of the period, in total and per service (statistics)."""
    services = {s["id"]: s for s in store.list_services(db)}
    empty = {"booked": 0, "checked_in": 0, "no_show": 0, "cancelled": 0, "closed": 0, "pending": 0}
    total, by_service = dict(empty), {}
    for counted in store.appointment_counts(db, first_day, last_day, clock.to_iso(now or clock.utc_now())):
        service = services.get(counted["service_id"], {"name": f"#{counted['service_id']}", "department": ""})
        entry = by_service.setdefault(counted["service_id"], {"service_id": counted["service_id"],
                                                              "service": service["name"],
                                                              "department": service["department"]} | empty)
        key = "pending" if counted["status"] == "booked" else counted["status"]
        for target in (entry, total):
            target[key] += counted["count"]
            target["booked"] += counted["count"]
    for entry in [total, *by_service.values()]:
        kept = entry["checked_in"] + entry["no_show"]
        entry["show_rate"] = round(entry["checked_in"] / kept, 4) if kept else None
    return {"totals": total, "by_service": sorted(by_service.values(), key=lambda r: (-r["booked"], r["service"]))}
