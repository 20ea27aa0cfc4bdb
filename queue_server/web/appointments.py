"""Appointments (预约) over HTTP: the JSON API under /api/v1/appointments, the citizen's phone
pages /book and /book/<code>, and the admin's page /admin/appointments. Thin shells over
`queue_server.appointments`."""

from __future__ import annotations

import collections
import io
import threading
import time

import qrcode
import qrcode.image.svg
from flask import Blueprint, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from markupsafe import Markup

from .. import store
from ..accounts import id_hash_key
from ..appointments import STATUS_NAMES, Appointments
from ..errors import BadRequest, QueueError
from .admin import FORM_LIMITS, NAV, admin_action
from .api import _int, _text, body
from .auth import csrf, current_principal, require, require_role
from .context import get_db, get_queue

appointments_api = Blueprint("appointments_api", __name__, url_prefix="/api/v1/appointments")
appointment_pages = Blueprint("appointment_pages", __name__)

THROTTLE_SECONDS = 600


class AddressThrottle:
    """At most `limit` bookings per client address per `seconds`, in this process: the public
    booking form is open to anyone, and a script filling every slot would shut the hall's
    citizens out. Kiosks and staff are not counted."""

    def __init__(self, limit: int, seconds: float):
        self.limit, self.seconds = limit, seconds
        self._seen: dict[str, collections.deque] = {}
        self._lock = threading.Lock()

    def allow(self, address: str) -> bool:
        now = time.monotonic()
        with self._lock:
            seen = self._seen.setdefault(address, collections.deque())
            while seen and seen[0] <= now - self.seconds:
                seen.popleft()
            if len(seen) >= self.limit:
                return False
            seen.append(now)
            if len(self._seen) > 10000:  # forget quiet addresses
                for key in [k for k, v in self._seen.items() if not v]:
                    del self._seen[key]
            return True


class TooManyBookings(QueueError):
    code = "too_many_requests"
    status = 429


def _throttle():
    throttle = current_app.extensions.get("govhall_booking_throttle")
    if throttle is None:
        limit = current_app.config["GOVHALL"]["appointments"]["bookings_per_address"]
        throttle = current_app.extensions.setdefault("govhall_booking_throttle",
                                                     AddressThrottle(limit, THROTTLE_SECONDS))
    if not throttle.allow(request.remote_addr or "unknown"):
        raise TooManyBookings("预约提交过于频繁，请稍后再试")


def _slot_key_part(data: dict, name: str) -> str:
    """A slot key's `date` or `start` from a JSON body: text, or nothing for "*" (every day / every
    slot); an object or a number is refused, not read as "*"."""
    return _text(data.get(name), name, limit=10) or "*"


def get_appointments() -> Appointments:
    if "appointments" not in g:
        g.appointments = Appointments(get_db(), current_app.config["GOVHALL"],
                                      id_hash_key(current_app.config["SECRET_KEY"]), queue=get_queue())
    return g.appointments


def _notify(response):
    """Bookings write events (slot counts on the admin's page): wake the stream like a queue change."""
    get_queue().on_change()
    return response


# --- JSON API ---------------------------------------------------------------------

@appointments_api.get("/slots")
def slots():
    return jsonify(get_appointments().slots(_int(request.args.get("service_id"), "service_id", required=True),
                                            request.args.get("date")))


@appointments_api.get("/days")
def days():
    return jsonify(get_appointments().days(_int(request.args.get("service_id"), "service_id", required=True)))


@appointments_api.post("")
def book():
    principal = current_principal()
    source = "kiosk" if principal.kind == "kiosk" else "staff" if principal.is_staff else "phone"
    if source == "phone":
        _throttle()
    elif principal.via_session:
        csrf.protect()  # a browser session's write carries its CSRF token
    data = body()
    booking = get_appointments().book(
        _int(data.get("service_id"), "service_id", required=True), data.get("date"), data.get("start"),
        _text(data.get("name"), "name", limit=20), data.get("phone"),
        _text(data.get("id_number"), "id_number", limit=30),
        id_hash=_text(data.get("id_hash"), "id_hash", limit=64) if source != "phone" else None,
        source=source, staff_id=principal.staff_id)
    return _notify((jsonify(booking), 201))


@appointments_api.get("")
@require("staff")
def day_bookings():
    return jsonify(get_appointments().day_bookings(request.args.get("date") or get_queue().today(),
                                                   _int(request.args.get("service_id"), "service_id")))


@appointments_api.get("/<booking_code:code>")
def booking(code):
    principal = current_principal()
    return jsonify(get_appointments().view(code, full=principal.is_staff))


@appointments_api.post("/<booking_code:code>/cancel")
def cancel(code):
    principal = current_principal()
    if principal.via_session:
        csrf.protect()
    return _notify(jsonify(get_appointments().cancel(code, staff_id=principal.staff_id)))


@appointments_api.post("/<booking_code:code>/check-in")
@require("kiosk", "staff")
def check_in(code):
    return jsonify(get_appointments().check_in(code, kiosk_id=current_principal().kiosk_id)), 201


@appointments_api.post("/check-in")
@require("kiosk", "staff")
def check_in_by_card():
    """The kiosk's card reader: `{id_hash, holder_name?}` (the keyed hash, the masked name)."""
    data = body()
    return jsonify(get_appointments().check_in_by_card(
        _text(data.get("id_hash"), "id_hash", limit=64), kiosk_id=current_principal().kiosk_id,
        holder_name=_text(data.get("holder_name"), "holder_name", limit=20))), 201


@appointments_api.put("/capacity")
@require("admin")
def set_capacity():
    data = body()
    appointments = get_appointments()
    appointments.set_capacity(_int(data.get("service_id"), "service_id", required=True),
                              _int(data.get("capacity"), "capacity"), _slot_key_part(data, "date"),
                              _slot_key_part(data, "start"), staff_id=current_principal().staff_id)
    return _notify(jsonify({"settings": appointments.settings_view()}))


@appointments_api.post("/slots/close")
@require("admin")
def close_slot():
    data = body()
    closed = get_appointments().close_slot(_int(data.get("service_id"), "service_id", required=True),
                                           _slot_key_part(data, "date"), _slot_key_part(data, "start"),
                                           _text(data.get("reason"), "reason") or "",
                                           staff_id=current_principal().staff_id)
    return _notify(jsonify({"closed_bookings": closed}))


@appointments_api.post("/slots/reopen")
@require("admin")
def reopen_slot():
    data = body()
    get_appointments().reopen_slot(_int(data.get("service_id"), "service_id", required=True),
                                   _slot_key_part(data, "date"), _slot_key_part(data, "start"),
                                   staff_id=current_principal().staff_id)
    return _notify(jsonify({"ok": True}))


# --- the citizen's pages ------------------------------------------------------------

def _hall() -> str:
    return current_app.config["GOVHALL"]["hall"]["name"]


def qr_svg(text: str) -> Markup:
    """A QR code as inline SVG (no image request, sharp at any size)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    out = io.BytesIO()
    image.save(out)
    svg = out.getvalue().decode("utf-8")
    return Markup(svg[svg.index("<svg"):])


def _departments() -> list[dict]:
    departments: dict[str, dict] = {}
    for service in store.list_services(get_db()):
        if service["enabled"]:
            departments.setdefault(service["department"], {"name": service["department"], "services": []})
            departments[service["department"]]["services"].append(service)
    return list(departments.values())


@appointment_pages.get("/book")
def book_page():
    """department → service → day → slot → the form, one step per page (works without JavaScript)."""
    appointments = get_appointments()
    step = {"hall": _hall(), "settings": appointments.settings, "error": None}
    service_id = request.args.get("service_id", type=int)
    day, start = request.args.get("date"), request.args.get("start")
    if service_id is None:
        return render_template("appointments/book.html", step="service", departments=_departments(), **step)
    try:
        service = appointments._service(service_id)
        if not day:
            return render_template("appointments/book.html", step="day", service=service,
                                   days=appointments.days(service_id), **step)
        slots = appointments.slots(service_id, day)
        if not start:
            return render_template("appointments/book.html", step="slot", service=service, date=day,
                                   slots=slots, **step)
    except QueueError as error:
        return render_template("appointments/book.html", step="service", departments=_departments(),
                               **step | {"error": error.message}), error.status
    slot = next((s for s in slots if s["start"] == start), None)
    return render_template("appointments/book.html", step="form", service=service, date=day, slot=slot,
                           start=start, form={}, **step)


def _slot_of(appointments, service_id, day, start) -> dict | None:
    try:
        return next((s for s in appointments.slots(service_id, day) if s["start"] == start), None)
    except QueueError:
        return None


@appointment_pages.post("/book")
def book_submit():
    appointments = get_appointments()
    form = request.form
    service_id = form.get("service_id", type=int)
    try:
        _throttle()
        booking = appointments.book(service_id, form.get("date"), form.get("start"), form.get("name", "")[:40],
                                    form.get("phone", "")[:20], form.get("id_number", "")[:30] or None)
    except QueueError as error:
        service = store.get_service(get_db(), service_id) if service_id else None
        if not service:
            return redirect(url_for("appointment_pages.book_page"))
        return render_template("appointments/book.html", step="form", service=service, date=form.get("date"),
                               start=form.get("start"), slot=_slot_of(appointments, service_id, form.get("date"),
                                                                      form.get("start")),
                               form={"name": form.get("name", ""), "phone": form.get("phone", "")},
                               hall=_hall(), settings=appointments.settings, error=error.message), error.status
    _notify(None)
    return redirect(url_for("appointment_pages.booking_page", code=booking["code"]))


@appointment_pages.get("/book/<code>")
def booking_page(code):
    appointments = get_appointments()
    try:
        booking = appointments.view(code)
    except QueueError:
        return render_template("appointments/missing.html", hall=_hall(), code=code[:20]), 404
    return render_template("appointments/booking.html", hall=_hall(), booking=booking,
                           qr=qr_svg(booking["code"]), settings=appointments.settings)


@appointment_pages.post("/book/<code>/cancel")
def booking_cancel(code):
    try:
        get_appointments().cancel(code)
        flash("预约已取消", "ok")
    except QueueError as error:
        flash(error.message, "error")
    _notify(None)
    return redirect(url_for("appointment_pages.booking_page", code=code[:20]))


# --- admin ------------------------------------------------------------------------------

@appointment_pages.get("/admin/appointments")
@require_role("admin")
def admin_day():
    appointments = get_appointments()
    day = request.args.get("date") or get_queue().today()
    try:
        bookings = appointments.day_bookings(day)
    except QueueError as error:
        flash(error.message, "error")
        day = get_queue().today()
        bookings = appointments.day_bookings(day)
    services = store.list_services(get_db())
    slot_rows = []
    for service in services:
        if service["enabled"]:
            slot_rows.append({"service": service, "slots": appointments.slots(service["id"], day)})
    return render_template("appointments/admin.html", hall=_hall(), nav=NAV, limits=FORM_LIMITS, date=day,
                           bookings=bookings, slot_rows=slot_rows, services=services,
                           settings=appointments.settings_view(), status_names=STATUS_NAMES,
                           id_hash_days=current_app.config["GOVHALL"]["privacy"]["id_hash_days"])


def _form_int(name):
    raw = (request.form.get(name) or "").strip()
    return int(raw) if raw.isdigit() else None


@appointment_pages.post("/admin/appointments/capacity")
@admin_action
def admin_capacity():
    get_appointments().set_capacity(_form_int("service_id"), _form_int("capacity"),
                                    request.form.get("day") or "*", request.form.get("start") or "*",
                                    staff_id=current_principal().staff_id)
    flash("预约容量已保存", "ok")
    return redirect(url_for("appointment_pages.admin_day", date=request.form.get("back_date") or None))


@appointment_pages.post("/admin/appointments/close")
@admin_action
def admin_close():
    closed = get_appointments().close_slot(_form_int("service_id"), request.form.get("day"),
                                           request.form.get("start") or "*", request.form.get("reason", "")[:100],
                                           staff_id=current_principal().staff_id)
    flash(f"时段已关闭，{closed} 个预约将在其预约页面看到通知", "ok")
    return redirect(url_for("appointment_pages.admin_day", date=request.form.get("day")))


@appointment_pages.post("/admin/appointments/reopen")
@admin_action
def admin_reopen():
    get_appointments().reopen_slot(_form_int("service_id"), request.form.get("day"),
                                   request.form.get("start") or "*", staff_id=current_principal().staff_id)
    flash("时段已重新开放预约", "ok")
    return redirect(url_for("appointment_pages.admin_day", date=request.form.get("day")))


@appointment_pages.post("/admin/appointments/purge-id-hashes")
@admin_action
def admin_purge_id_hashes():
    """Forget who held old tickets and bookings (the ID card hashes and masked names)."""
    from ..privacy import purge_id_hashes

    raw = (request.form.get("days") or "").strip()
    if raw and not raw.isdigit():
        raise BadRequest("保留天数须为整数")
    purged = purge_id_hashes(get_db(), current_app.config["GOVHALL"], int(raw) if raw else None,
                             now=get_queue().now(), staff_id=current_principal().staff_id)
    flash(f"已清除 {purged['before']} 之前的身份证散列：号票 {purged['tickets']} 张，预约 {purged['appointments']} 个", "ok")
    return redirect(url_for("appointment_pages.admin_day"))


# --- staff: a booking for someone who phoned -------------------------------------------------

def _staff_form_page(status: int = 200, **shown):
    """The phoned-in booking form: service and day (a GET picks them), the day's free slots, the
    person; below it the day's bookings of that service."""
    appointments = get_appointments()
    services = [s for s in store.list_services(get_db()) if s["enabled"]]
    service_id = shown.pop("service_id", None) or request.args.get("service_id", type=int)
    day = shown.pop("day", None) or request.args.get("date") or get_queue().today()
    slots, bookings, error = [], None, shown.pop("error", None)
    if service_id is not None:
        try:
            slots = appointments.slots(service_id, day)
            bookings = appointments.day_bookings(day, service_id)
        except QueueError as refused:
            error, status = error or refused.message, refused.status
    return render_template("appointments/staff.html", hall=_hall(), services=services, service_id=service_id,
                           date=day, slots=slots, bookings=bookings, error=error,
                           first_day=appointments.bookable_range()[0].isoformat(),
                           last_day=appointments.bookable_range()[1].isoformat(), **shown), status


@appointment_pages.get("/staff/appointments")
@require_role("staff")
def staff_booking_form():
    return _staff_form_page()


@appointment_pages.post("/staff/appointments")
@require_role("staff")
def staff_book():
    """Books through `Appointments.book` as staff (CSRF-checked like every form of the app)."""
    form = request.form
    service_id = _form_int("service_id")
    day = (form.get("date") or "").strip()[:10]
    person = {"name": form.get("name", "")[:40], "phone": form.get("phone", "")[:20]}
    try:
        booking = get_appointments().book(service_id, day, form.get("start"), person["name"], person["phone"],
                                          form.get("id_number", "")[:30] or None, source="staff",
                                          staff_id=current_principal().staff_id)
    except QueueError as error:
        return _staff_form_page(error.status, service_id=service_id, day=day or None, error=error.message,
                                form=person | {"start": form.get("start", "")})
    _notify(None)
    return _staff_form_page(201, service_id=service_id, day=day,
                            booked=get_appointments().view(booking["code"], full=True))
