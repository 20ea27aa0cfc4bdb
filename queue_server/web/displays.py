"""The hall's browser pages: the hall display, the window displays, the staff workstation,
the evaluator at each window and the citizen's ticket page.

Each view renders a page with the current picture embedded, so it paints at once; the page's
own JavaScript then keeps it live from `/api/v1/stream` and acts through the JSON API."""

from __future__ import annotations

from pathlib import Path

import flask_login
from flask import Blueprint, abort, current_app, render_template, request, send_file, url_for

from .. import store
from ..errors import UnknownTicket
from ..queue import EVALUATION_LEVELS, EVALUATION_TEXT_LIMIT, OUTCOMES
from .auth import require_role
from .context import get_db, get_queue

displays = Blueprint("displays", __name__)

PHOTO_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}
# the evaluator gives up and records nothing after this many seconds (a tablet may pass ?timeout=)
EVALUATION_TIMEOUT_SECONDS = 30
STATE_NAMES = {"open": "开放", "paused": "暂停服务", "closed": "未开放"}
# The evaluator's choices after 不满意 or 非常不满意 (sent as the evaluation's `reasons`): the
# common complaints of a service hall, tapped rather than typed; free text is optional.
EVALUATION_REASON_CHOICES = ("等候时间太长", "服务态度不好", "业务不熟练", "一次性告知不清楚", "材料要求反复",
                             "办理时间太长", "未能办成", "窗口人员离岗", "收费不合理", "其他")
BAD_LEVELS_ASKING_REASONS = (1, 2)
NEAR_AHEAD = 3  # the phone page chimes and vibrates once when this few people are ahead


def _config() -> dict:
    return current_app.config["GOVHALL"]


def _hall_page_data(**extra) -> dict:
    config = _config()
    return {"hall": config["hall"]["name"], "timezone": config["hall"]["timezone"],
            "supervision_phone": config["hall"].get("supervision_phone"), **extra}


def photo_key(staff: dict | None) -> str:
    """Names the face on a window screen; the page fetches the photo again when it changes."""
    if not staff:
        return ""
    return f"{staff.get('employee_no') or staff.get('name')}|{staff.get('photo') or ''}"


def _with_photo_urls(snapshot: dict) -> dict:
    for window in snapshot["windows"]:
        window["photo_key"] = photo_key(window["staff"])
        window["photo_url"] = url_for("displays.window_photo", number=window["number"], v=window["photo_key"])
    return snapshot


@displays.get("/display")
def hall_display():
    snapshot = _with_photo_urls(get_queue().display())
    audio = request.args.get("audio") in ("1", "true", "yes")
    return render_template("displays/hall.html", hall=snapshot["hall"],
                           page=_hall_page_data(snapshot=snapshot, audio=audio,
                                                voice_repeat=_config()["voice"].get("repeat", 2)))


@displays.get("/display/window/<int:number>")
def window_display(number):
    snapshot = _with_photo_urls(get_queue().display())
    window = next((w for w in snapshot["windows"] if w["number"] == number), None)
    if window is None:
        abort(404, f"没有 {number} 号窗口")
    return render_template("displays/window.html", hall=snapshot["hall"], window=window,
                           page=_hall_page_data(snapshot=snapshot, window=number))


@displays.get("/display/window/<int:number>/photo")
def window_photo(number):
    """The photo of the staff member at the window (监督岗牌), or a neutral silhouette."""
    window = store.get_window(get_db(), number)
    if window is None:
        abort(404)
    staff = store.get_staff(get_db(), window["staff_id"]) if window["staff_id"] else None
    path = staff_photo_path(_config(), staff["photo"] if staff else None)
    if path is None:
        response = current_app.send_static_file("displays/silhouette.svg")
    else:
        response = send_file(path, mimetype=PHOTO_TYPES[path.suffix.lower()])
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def staff_photo_path(config: dict, photo: str | None) -> Path | None:
    """Where a staff photo lives, only ever inside the installation's var/ folder (the folder of
    the database, where uploads go) and only an image file; anything else is no photo."""
    if not photo:
        return None
    root = Path(config["server"]["database"]).resolve().parent
    for candidate in (root / "photos" / photo, root / photo):
        try:
            resolved = candidate.resolve()
        except OSError:
            continue
        if (resolved.is_relative_to(root) and resolved.suffix.lower() in PHOTO_TYPES and resolved.is_file()):
            return resolved
    return None


@displays.get("/staff")
@require_role("staff")
def workstation():
    me = flask_login.current_user.staff
    db = get_db()
    mine = next((w["number"] for w in store.list_windows(db) if w["staff_id"] == me["id"] and w["state"] != "closed"),
                None)
    # what a transfer may aim at: services some window still calls, windows with the services they call
    served = store.window_services_by_window(db)
    windows = [{"number": w["number"], "name": w["name"], "services": served.get(w["id"], [])}
               for w in store.list_windows(db, include_retired=False)]
    called_somewhere = {service_id for w in windows for service_id in w["services"]}
    services = [{"id": s["id"], "name": s["name"], "prefix": s["prefix"], "department": s["department"]}
                for s in store.list_services(db, include_retired=False) if s["enabled"] and s["id"] in called_somewhere]
    return render_template("displays/staff.html", hall=_config()["hall"]["name"],
                           page=_hall_page_data(
                               me={"id": me["id"], "name": me["name"], "employee_no": me["employee_no"],
                                   "role": me["role"]},
                               my_window=mine, services=services, windows=windows, outcomes=list(OUTCOMES),
                               requeue_after=_config()["queue"]["requeue_after"]))


@displays.get("/evaluate/<int:number>")
def evaluator(number):
    snapshot = _with_photo_urls(get_queue().display())
    window = next((w for w in snapshot["windows"] if w["number"] == number), None)
    if window is None:
        abort(404, f"没有 {number} 号窗口")
    try:
        timeout = max(3, min(300, int(request.args.get("timeout", EVALUATION_TIMEOUT_SECONDS))))
    except ValueError:
        timeout = EVALUATION_TIMEOUT_SECONDS
    levels = [{"level": level, "name": name} for level, name in EVALUATION_LEVELS.items()]
    return render_template("displays/evaluate.html", hall=snapshot["hall"], window=window, levels=levels,
                           reasons=EVALUATION_REASON_CHOICES,
                           page=_hall_page_data(snapshot=snapshot, window=number, timeout=timeout, levels=levels,
                                                ask_reasons_for=list(BAD_LEVELS_ASKING_REASONS)))


@displays.get("/t/<token>")
def ticket_page(token):
    queue = get_queue()
    try:
        ticket = queue.ticket_status(token)
    except UnknownTicket:
        return render_template("displays/ticket_missing.html", hall=_config()["hall"]["name"]), 404
    levels = [{"level": level, "name": name} for level, name in EVALUATION_LEVELS.items()]
    return render_template("displays/ticket.html", hall=_config()["hall"]["name"], ticket=ticket,
                           notices=queue.notices(), levels=levels,
                           comment_limit=EVALUATION_TEXT_LIMIT,
                           page=_hall_page_data(ticket=ticket, token=token, near_ahead=NEAR_AHEAD))
