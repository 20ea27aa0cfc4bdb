"""Editing the hall from the admin pages: departments, services, windows, staff, kiosks and the
hall's calendar. Each change is one transaction that also appends a `hall_changed` event
(`{"what": ..., "action": ..., "id": ..., "name": ...}`), so kiosks and displays listening on
/stream refresh at once, and the event log keeps who changed what."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, timedelta
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from content import ContentError
from content.store import ContentStore

from . import accounts, clock, offload, store
from .errors import BadRequest, Conflict, NotFound
from .hall import MAX_DAILY_CAP, MAX_WINDOW_NUMBER, parse_days, parse_hours, retire_service, retire_window
from .stats import FIRST_REPORTABLE_DAY, LAST_REPORTABLE_DAY

PHOTO_SIZE = (360, 480)  # 3:4, the 监督岗牌 portrait
KIOSK_SILENT_AFTER = timedelta(minutes=3)  # a kiosk beats every 30 s ([kiosk] heartbeat_seconds)
PRINTER_ALERTS = {"paper_out": "缺纸", "cover_open": "纸仓盖未关", "offline": "打印机离线或故障",
                  "paper_near_end": "纸将用尽"}
HELP_ALERT_FOR = timedelta(minutes=10)  # a citizen's 呼叫工作人员 stays on the console this long
# a slip printed with a character no font on the kiosk has (the heartbeat's printer_warning)
PRINTER_WARNING_ALERT_FOR = timedelta(days=1)


def _changed(db, actor_id, what, action, **data) -> int:
    return store.append_event(db, clock.to_iso(clock.utc_now()), "hall_changed",
                              {"what": what, "action": action} | data, staff_id=actor_id,
                              service_id=data.get("id") if what == "service" else None,
                              window_id=data.get("id") if what == "window" else None)


def _name(value, what, limit=60) -> str:
    text = (value or "").strip()
    if not text:
        raise BadRequest(f"请填写{what}")
    if len(text) > limit:
        raise BadRequest(f"{what}不超过 {limit} 个字")
    return text


# Whole numbers typed into the admin forms stay within what the hall can use (and far inside
# SQLite's 64-bit integers, beyond which a query fails instead of finding nothing).
MAX_SORT_ORDER = 9999
# the calendar covers the years statistics can report on
FIRST_CALENDAR_YEAR, LAST_CALENDAR_YEAR = FIRST_REPORTABLE_DAY.year, LAST_REPORTABLE_DAY.year


def whole_number(value, what, minimum=0, maximum=store.MAX_INTEGER) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise BadRequest(f"{what}须为整数")
    if number < minimum:
        raise BadRequest(f"{what}不能小于 {minimum}")
    if number > maximum:
        raise BadRequest(f"{what}不能大于 {maximum}")
    return number


def row_id(value) -> int:
    """A row id from a query string or form (`request.args.get(..., type=row_id)`): ValueError
    when it is no positive whole number SQLite can hold, so Flask falls back to the default."""
    number = int(str(value).strip())
    if not 1 <= number <= store.MAX_INTEGER:
        raise ValueError(value)
    return number


def _unique(db, table, column, value, own_id, what):
    found_id = store.find_id(db, table, column, value)
    if found_id is not None and found_id != own_id:
        raise Conflict(f"{what}“{value}”已存在")


# --- departments ----------------------------------------------------------------

def save_department(db, actor_id, department_id: int | None, name: str, sort_order=0) -> int:
    name, sort_order = _name(name, "部门名称"), whole_number(sort_order or 0, "排序", maximum=MAX_SORT_ORDER)
    with store.immediate(db):
        _unique(db, "department", "name", name, department_id, "部门")
        if department_id is None:
            department_id = store.insert_row(db, "department", {"name": name, "sort_order": sort_order})
            action = "created"
        else:
            if not store.get_department(db, department_id):
                raise NotFound(f"没有编号为 {department_id} 的部门")
            store.update_row(db, "department", department_id, {"name": name, "sort_order": sort_order})
            action = "updated"
        _changed(db, actor_id, "department", action, id=department_id, name=name)
    return department_id


def delete_department(db, actor_id, department_id: int):
    with store.immediate(db):
        department = store.get_department(db, department_id)
        if not department:
            raise NotFound(f"没有编号为 {department_id} 的部门")
        if store.count_services_of_department(db, department_id):
            raise Conflict("该部门下还有事项，请先移走或停用")
        store.delete_department(db, department_id)
        _changed(db, actor_id, "department", "deleted", id=department_id, name=department["name"])


# --- services -------------------------------------------------------------------

def service_values(form: dict) -> dict:
    """Validated service fields from a form (hours one range per line or comma separated)."""
    hours = [part.strip() for part in str(form.get("hours", "")).replace("，", ",").replace("\n", ",").split(",")
             if part.strip()]
    if not hours:
        raise BadRequest("请填写办理时段，如 08:30-12:00")
    parse_hours(hours)
    days = (form.get("days") or "mon-fri").strip()
    parse_days(days)
    category = form.get("category")
    if category not in store.CATEGORIES:
        raise BadRequest(f"事项类别须为 {'、'.join(store.CATEGORIES)} 之一")
    prefix = (form.get("prefix") or "").strip().upper()
    if not (1 <= len(prefix) <= 2 and prefix.isalnum() and prefix.isascii()):
        raise BadRequest("号段前缀须为 1-2 个字母或数字")
    return {"name": _name(form.get("name"), "事项名称", 80),
            "department_id": whole_number(form.get("department_id"), "部门", 1),
            "prefix": prefix, "category": category, "days": days, "hours": json.dumps(hours),
            "daily_cap": whole_number(form.get("daily_cap") or 0, "每日限号", maximum=MAX_DAILY_CAP),
            "sort_order": whole_number(form.get("sort_order") or 0, "排序", maximum=MAX_SORT_ORDER),
            "enabled": 1 if form.get("enabled") in (True, 1, "1", "on", "true") else 0,
            "description": (form.get("description") or "").strip()[:2000]}


def save_service(db, actor_id, service_id: int | None, values: dict, content_database=None) -> int:
    """Add or change a service. A renamed service keeps its 办事指南: the guide, keyed by the
    service's name in the content store at `content_database`, moves to the new name."""
    renamed_from = None
    with store.immediate(db):
        if not store.get_department(db, values["department_id"]):
            raise NotFound("所选部门不存在")
        _unique(db, "service", "name", values["name"], service_id, "事项")
        if service_id is None:
            service_id = store.insert_row(db, "service", values)
            action = "created"
        else:
            service = store.get_service(db, service_id)
            if not service:
                raise NotFound(f"没有编号为 {service_id} 的事项")
            store.update_row(db, "service", service_id, values)
            action = "updated"
            if service["name"] != values["name"]:
                renamed_from = service["name"]
        _changed(db, actor_id, "service", action, id=service_id, name=values["name"],
                 enabled=bool(values["enabled"]), **({"renamed_from": renamed_from} if renamed_from else {}))
        if renamed_from and content_database:
            # inside the hall's transaction: a guide that cannot move leaves the service unrenamed
            _move_guide(content_database, renamed_from, values["name"])
    return service_id


def _move_guide(content_database, old_name: str, new_name: str):
    with ContentStore(content_database) as guides:
        try:
            guides.rename_guide(old_name, new_name)
        except ContentError as error:
            raise Conflict(error.message) from None


def set_service_enabled(db, actor_id, service_id: int, enabled: bool):
    """Open or close a service for new tickets (tickets already issued are still served)."""
    with store.immediate(db):
        service = store.get_service(db, service_id)
        if not service:
            raise NotFound(f"没有编号为 {service_id} 的事项")
        store.update_row(db, "service", service_id, {"enabled": 1 if enabled else 0})
        _changed(db, actor_id, "service", "enabled" if enabled else "disabled", id=service_id,
                 name=service["name"], enabled=enabled)


def set_service_retired(db, actor_id, service_id: int, retired: bool):
    """Retire a service no longer offered (it leaves the kiosk, the displays and call-next; its
    tickets stay in the statistics), or bring it back."""
    with store.immediate(db):
        service = store.get_service(db, service_id)
        if not service:
            raise NotFound(f"没有编号为 {service_id} 的事项")
        retire_service(db, service, retired)
        _changed(db, actor_id, "service", "retired" if retired else "restored", id=service_id,
                 name=service["name"], retired=retired)


# --- windows --------------------------------------------------------------------

def set_window_retired(db, actor_id, window_id: int, retired: bool):
    """Retire a window no longer used (a mistaken 13号 leaves the hall screen), or bring it back."""
    with store.immediate(db):
        window = store.get_window_by_id(db, window_id)
        if not window:
            raise NotFound(f"没有编号为 {window_id} 的窗口")
        retire_window(db, window, retired)
        _changed(db, actor_id, "window", "retired" if retired else "restored", id=window_id,
                 window=window["number"], name=window["name"], retired=retired)


def save_window(db, actor_id, window_id: int | None, number, name: str) -> int:
    number, name = whole_number(number, "窗口号", 1, MAX_WINDOW_NUMBER), _name(name, "窗口名称")
    with store.immediate(db):
        _unique(db, "window", "number", number, window_id, "窗口号")
        if window_id is None:
            window_id = store.insert_row(db, "window", {"number": number, "name": name})
            action = "created"
        else:
            if not store.get_window_by_id(db, window_id):
                raise NotFound(f"没有编号为 {window_id} 的窗口")
            store.update_row(db, "window", window_id, {"number": number, "name": name})
            action = "updated"
        _changed(db, actor_id, "window", action, id=window_id, window=number, name=name)
    return window_id


def set_window_services(db, actor_id, window_id: int, service_ids: list[int]):
    """The services a window calls, in the order it serves them."""
    if len(set(service_ids)) != len(service_ids):
        raise BadRequest("同一事项不能重复排列")
    with store.immediate(db):
        window = store.get_window_by_id(db, window_id)
        if not window:
            raise NotFound(f"没有编号为 {window_id} 的窗口")
        for service_id in service_ids:
            if not store.get_service(db, service_id):
                raise NotFound(f"没有编号为 {service_id} 的事项")
        store.set_window_services(db, window_id, service_ids)
        _changed(db, actor_id, "window", "services", id=window_id, window=window["number"], name=window["name"],
                 services=service_ids)


def services_from_positions(form_items) -> list[int]:
    """Form fields `position_<service id>` = 1, 2, 3 … (blank: not served) → ordered service ids."""
    positions = []
    for key, value in form_items:
        if key.startswith("position_") and str(value).strip():
            positions.append((whole_number(value, "顺序", 1, 999),
                              whole_number(key[len("position_"):], "事项编号", 1)))
    return [service_id for _, service_id in sorted(positions)]


# --- staff ----------------------------------------------------------------------

def save_staff(db, actor_id, staff_id: int | None, name, employee_no, role, active=True) -> int:
    """Add or change a staff member. The 工号 is required: it is on the 监督岗牌 over the window."""
    name = _name(name, "姓名", 30)
    employee_no = _name(employee_no, "工号（显示在监督岗牌上）", 20)
    if role not in store.ROLES:
        raise BadRequest("角色须为 staff（窗口人员）或 admin（管理员）")
    values = {"name": name, "employee_no": employee_no, "role": role, "active": 1 if active else 0}
    with store.immediate(db):
        _unique(db, "staff", "name", name, staff_id, "人员")
        if employee_no:
            _unique(db, "staff", "employee_no", employee_no, staff_id, "工号")
        if staff_id is None:
            staff_id = store.insert_row(db, "staff", values)
            action = "created"
        else:
            if not store.get_staff(db, staff_id):
                raise NotFound(f"没有编号为 {staff_id} 的人员")
            if staff_id == actor_id and (role != "admin" or not active):
                raise Conflict("不能取消自己的管理员权限或停用自己")
            store.update_row(db, "staff", staff_id, values)
            if not active:  # disabled: out at once, wherever logged in
                accounts.end_sessions(db, staff_id)
            action = "updated"
        _changed(db, actor_id, "staff", action, id=staff_id, name=name, employee_no=employee_no)
    return staff_id


def check_password(password: str) -> str:
    if len(password or "") < 6:
        raise BadRequest("密码至少 6 位")
    return password


def create_staff(db, actor_id, name, employee_no, role, password) -> int:
    """A new staff member can log in from the start: the password is checked before anything is saved."""
    check_password(password)
    staff_id = save_staff(db, actor_id, None, name, employee_no, role)
    reset_password(db, actor_id, staff_id, password)
    return staff_id


def reset_password(db, actor_id, staff_id: int, password: str):
    check_password(password)
    password_hash = accounts.hash_password(password)  # before the write lock is taken: it takes a while
    with store.immediate(db):
        staff = store.get_staff(db, staff_id)
        if not staff:
            raise NotFound(f"没有编号为 {staff_id} 的人员")
        store.update_row(db, "staff", staff_id, {"password_hash": password_hash})
        accounts.end_sessions(db, staff_id)
        _changed(db, actor_id, "staff", "password_reset", id=staff_id, name=staff["name"])


def photos_dir(config: dict) -> Path:
    """Photos live beside the database, never in the source tree."""
    return Path(config["server"]["database"]).resolve().parent / "photos"


PHOTO_MAX_BYTES = 8 * 1024 * 1024
PHOTO_MAX_PIXELS = 40_000_000  # a 7000×5700 camera photo; a "decompression bomb" declares far more


def portrait_jpeg(data: bytes) -> bytes:
    """An uploaded image checked, turned upright and cropped to a 3:4 portrait, as JPEG bytes.
    Decoding a phone's 12-megapixel photo takes a CPU-second: the server runs this in a helper."""
    if len(data) > PHOTO_MAX_BYTES:
        raise BadRequest(f"照片文件不能超过 {PHOTO_MAX_BYTES // (1024 * 1024)} MB")
    try:
        image = Image.open(io.BytesIO(data))  # reads the header only: the size is known before decoding
        if image.width * image.height > PHOTO_MAX_PIXELS:
            raise BadRequest(f"照片像素过多（{image.width}×{image.height}），请缩小到 {PHOTO_MAX_PIXELS // 1_000_000} 百万像素以内")
        if image.format == "JPEG":
            image.draft("RGB", (PHOTO_SIZE[0] * 2, PHOTO_SIZE[1] * 2))  # a JPEG decodes straight to a smaller scale
        image.load()
    except Image.DecompressionBombError:  # Pillow's own limit, met at open for the largest claims
        raise BadRequest(f"照片像素过多，请缩小到 {PHOTO_MAX_PIXELS // 1_000_000} 百万像素以内")
    except (UnidentifiedImageError, OSError):
        raise BadRequest("照片须为 JPEG 或 PNG 图片")
    if image.width < 60 or image.height < 80:
        raise BadRequest("照片太小（至少 60×80 像素）")
    portrait = ImageOps.fit(ImageOps.exif_transpose(image).convert("RGB"), PHOTO_SIZE)
    out = io.BytesIO()
    portrait.save(out, "JPEG", quality=88)
    return out.getvalue()


def save_photo(db, config, actor_id, staff_id: int, data: bytes) -> str:
    """Validate an uploaded image, crop it to a 3:4 portrait, store `<staff_id>.jpg`; returns the name."""
    jpeg = offload.run("queue_server.hall_admin:portrait_jpeg", data)
    name = f"{staff_id}.jpg"
    with store.immediate(db):
        staff = store.get_staff(db, staff_id)
        if not staff:
            raise NotFound(f"没有编号为 {staff_id} 的人员")
        folder = photos_dir(config)
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f".{name}.part"
        partial.write_bytes(jpeg)
        partial.replace(folder / name)
        store.update_row(db, "staff", staff_id, {"photo": name})
        _changed(db, actor_id, "staff", "photo", id=staff_id, name=staff["name"], photo=name)
    return name


def issue_token(db, actor_id, staff_id: int) -> str:
    staff = store.get_staff(db, staff_id)
    if not staff:
        raise NotFound(f"没有编号为 {staff_id} 的人员")
    token = accounts.new_token()
    with store.immediate(db):
        token_id = store.insert_token(db, accounts.hash_token(token), "staff", clock.to_iso(clock.utc_now()),
                                      staff_id=staff_id)
        _changed(db, actor_id, "token", "issued", id=token_id, name=staff["name"], staff_id=staff_id)
    return token


def revoke_token(db, actor_id, token_id: int):
    with store.immediate(db):
        token = store.get_token(db, token_id)
        if not token:
            raise NotFound(f"没有编号为 {token_id} 的令牌")
        store.revoke_token(db, token_id, clock.to_iso(clock.utc_now()))
        _changed(db, actor_id, "token", "revoked", id=token_id, kind=token["kind"], staff_id=token["staff_id"],
                 kiosk_id=token["kiosk_id"])


def issue_evaluator_key(db, actor_id, window_id: int) -> str:
    """A key for the evaluator tablet (评价器) at a window; shown once, stored only as a hash."""
    window = store.get_window_by_id(db, window_id)
    if not window:
        raise NotFound(f"没有编号为 {window_id} 的窗口")
    token = accounts.new_token()
    with store.immediate(db):
        token_id = store.insert_token(db, accounts.hash_token(token), "evaluator", clock.to_iso(clock.utc_now()),
                                      window_id=window_id)
        _changed(db, actor_id, "token", "issued", id=token_id, name=f"{window['number']}号窗口评价器",
                 window=window["number"])
    return token


# --- the hall screen's notices (the ticker) ---------------------------------------

MAX_NOTICES, MAX_NOTICE_LENGTH = 10, 200


def save_notices(db, actor_id, text: str) -> list[str]:
    """The ticker's notices, one a line; they replace those of the config file and reach the hall
    screen at once (the hall_changed event refreshes it)."""
    notices = [line.strip() for line in str(text or "").replace("\r", "").split("\n") if line.strip()]
    if len(notices) > MAX_NOTICES:
        raise BadRequest(f"公告最多 {MAX_NOTICES} 条")
    if any(len(notice) > MAX_NOTICE_LENGTH for notice in notices):
        raise BadRequest(f"每条公告不超过 {MAX_NOTICE_LENGTH} 个字")
    with store.immediate(db):
        store.set_setting(db, "notices", json.dumps(notices, ensure_ascii=False))
        _changed(db, actor_id, "notices", "set", name=f"{len(notices)} 条公告")
    return notices


# --- kiosks ---------------------------------------------------------------------

def register_kiosk(db, actor_id, name: str) -> tuple[int, str]:
    name = _name(name, "自助机名称")
    kiosk_id, token = accounts.register_kiosk(db, name)
    with store.immediate(db):
        _changed(db, actor_id, "kiosk", "registered", id=kiosk_id, name=name)
    return kiosk_id, token


def revoke_kiosk(db, actor_id, kiosk_id: int) -> int:
    with store.immediate(db):
        kiosk = store.get_kiosk(db, kiosk_id)
        if not kiosk:
            raise NotFound(f"没有编号为 {kiosk_id} 的自助机")
        revoked = store.revoke_kiosk_tokens(db, kiosk_id, clock.to_iso(clock.utc_now()))
        _changed(db, actor_id, "kiosk", "revoked", id=kiosk_id, name=kiosk["name"], tokens=revoked)
    return revoked


def kiosk_health(db, now: datetime | None = None) -> list[dict]:
    """Every kiosk with `alerts`: silent (no heartbeat for a while), printer out of paper and so on."""
    now = now or clock.utc_now()
    kiosks = store.list_kiosks_with_tokens(db)
    help_calls = {}
    for event in store.events_of_type_since(db, "kiosk_help", clock.to_iso(now - HELP_ALERT_FOR)):
        help_calls[event["data"].get("kiosk_id")] = event
    for kiosk in kiosks:
        alerts = []
        if not kiosk["live_tokens"]:
            kiosk["alerts"] = []
            kiosk["revoked"] = True
            continue
        kiosk["revoked"] = False
        if not kiosk["last_seen_at"]:
            alerts.append("从未上报心跳")
        else:
            silent = now - clock.from_iso(kiosk["last_seen_at"])
            if silent > KIOSK_SILENT_AFTER:
                alerts.append(f"已 {int(silent.total_seconds() // 60)} 分钟无心跳")
        if kiosk["printer_status"] in PRINTER_ALERTS:
            alerts.append(PRINTER_ALERTS[kiosk["printer_status"]])
        warning = _printer_warning(kiosk.get("info"), now)
        if warning:
            alerts.append(warning)
        call = help_calls.get(kiosk["id"])
        kiosk["help_called_at"] = call["at"] if call else None
        if call:  # first: a person is waiting at it
            alerts.insert(0, call["data"].get("message") or f"自助机 {kiosk['id']} 需要协助")
        kiosk["alerts"] = alerts
    return kiosks


def _printer_warning(info: str | None, now: datetime) -> str:
    """The kiosk's last slip with characters no installed font has (they came out as empty
    boxes), as an alert for a day after it was printed: the fix is a font on that kiosk."""
    try:
        warning = json.loads(info or "{}").get("printer_warning") or {}
        printed_at = datetime.fromisoformat(str(warning["at"]))
        characters = str(warning["characters"])[:20]
    except (ValueError, TypeError, KeyError, AttributeError):
        return ""
    if printed_at.tzinfo is None or not characters or now - printed_at > PRINTER_WARNING_ALERT_FOR:
        return ""
    slip = str(warning.get("slip") or "")[:20]
    return (f"打印缺字“{characters}”（{slip + '，' if slip else ''}票面为空框，"
            "请在该自助机安装 fonts-hanazono）")


# --- the hall's calendar --------------------------------------------------------

def _calendar_day(day) -> str:
    try:
        return date.fromisoformat(str(day or "").strip()).isoformat()
    except ValueError:
        raise BadRequest("日期格式须为 YYYY-MM-DD") from None


def set_hall_day(db, actor_id, day: str, kind: str, note: str = ""):
    """A holiday (大厅不办公) or a make-up workday (调休上班) on a weekend."""
    day = _calendar_day(day)
    if not FIRST_CALENDAR_YEAR <= int(day[:4]) <= LAST_CALENDAR_YEAR:  # the years the calendar page shows
        raise BadRequest(f"日期须在 {FIRST_CALENDAR_YEAR} 至 {LAST_CALENDAR_YEAR} 年之间")
    if kind not in ("holiday", "workday"):
        raise BadRequest("类型须为 holiday（节假日）或 workday（调休工作日）")
    with store.immediate(db):
        store.set_hall_day(db, day, kind, (note or "").strip()[:40])
        _changed(db, actor_id, "hall_day", "set", day=day, kind=kind, name=(note or "").strip()[:40])


def delete_hall_day(db, actor_id, day: str) -> str:
    """Remove a day from the calendar; returns it as YYYY-MM-DD."""
    day = _calendar_day(day)
    with store.immediate(db):
        if store.hall_day(db, day) is None:
            raise NotFound(f"日历中没有 {day}")
        store.delete_hall_day(db, day)
        _changed(db, actor_id, "hall_day", "deleted", day=day)
    return day
