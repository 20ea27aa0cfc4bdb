"""The hall's structure: loading a hall description (TOML) and a service's opening hours."""

from __future__ import annotations

import json
import re
import sqlite3
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from werkzeug.security import generate_password_hash

from . import clock, store
from .errors import BadRequest

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAY_NAMES_ZH = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
_HOURS = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


def parse_days(spec: str) -> set[int]:
    """'mon-fri', 'mon-sun', 'mon,wed,fri' → weekday numbers (Monday = 0)."""
    days: set[int] = set()
    for part in spec.replace(" ", "").lower().split(","):
        if not part:
            continue
        if "-" in part:
            first, last = part.split("-", 1)
            if first not in WEEKDAYS or last not in WEEKDAYS:
                raise BadRequest(f"无法识别的工作日: {spec!r}")
            start, end = WEEKDAYS.index(first), WEEKDAYS.index(last)
            days.update(range(start, end + 1) if start <= end else [*range(start, 7), *range(0, end + 1)])
        elif part in WEEKDAYS:
            days.add(WEEKDAYS.index(part))
        else:
            raise BadRequest(f"无法识别的工作日: {spec!r}")
    return days


def parse_hours(ranges: list[str]) -> list[tuple[int, int]]:
    """['08:30-12:00', '14:30-17:30'] → minute ranges; '00:00-24:00' is all day."""
    spans = []
    for text in ranges:
        match = _HOURS.match(text.strip())
        if not match:
            raise BadRequest(f"无法识别的办理时段: {text!r} (格式 HH:MM-HH:MM)")
        h1, m1, h2, m2 = map(int, match.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if not (0 <= start < end <= 24 * 60):
            raise BadRequest(f"办理时段无效: {text!r}")
        spans.append((start, end))
    return spans


@dataclass
class Opening:
    open: bool
    reason: str = ""  # why it is closed, in the citizen's words
    code: str = ""  # the same for programs: retired | disabled | holiday | not_today | outside_hours


def service_opening(db, service: dict, now: datetime, zone: str) -> Opening:
    """Whether a service takes tickets at `now`, honouring the hall's holidays and make-up workdays."""
    if service.get("retired"):
        return Opening(False, "该事项已停止办理", "retired")
    if not service["enabled"]:
        return Opening(False, "该事项暂停办理", "disabled")
    moment = clock.local(now, zone)
    exception = store.hall_day(db, moment.date().isoformat())
    if exception == "holiday":
        return Opening(False, "今日为节假日，大厅不办公", "holiday")
    days = parse_days(service["days"])
    if exception != "workday" and moment.weekday() not in days:
        return Opening(False, "今日不办理该事项", "not_today")
    minute = moment.hour * 60 + moment.minute
    spans = parse_hours(json.loads(service["hours"]) if isinstance(service["hours"], str) else service["hours"])
    if any(start <= minute < end for start, end in spans):
        return Opening(True)
    hours_text = "、".join(f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}" for s, e in spans)
    return Opening(False, f"不在办理时间内（办理时间 {hours_text}）", "outside_hours")


NEXT_OPENING_HORIZON_DAYS = 31


def next_opening(db, service: dict, now: datetime, zone: str, skip_today: bool = False) -> datetime | None:
    """When a service next starts taking tickets, on the hall's wall clock: a span of today
    not yet begun, else the first opening of a later working day (holidays and make-up
    workdays honoured). `skip_today` when today is over for it (its daily cap is used up).
    None for a disabled service or none within a month."""
    if not service["enabled"]:
        return None
    moment = clock.local(now, zone)
    days = parse_days(service["days"])
    spans = sorted(parse_hours(json.loads(service["hours"]) if isinstance(service["hours"], str)
                               else service["hours"]))
    minute = moment.hour * 60 + moment.minute
    for offset in range(0 if not skip_today else 1, NEXT_OPENING_HORIZON_DAYS + 1):
        day = moment.date() + timedelta(days=offset)
        exception = store.hall_day(db, day.isoformat())
        if exception == "holiday" or (exception != "workday" and day.weekday() not in days):
            continue
        for start, _end in spans:
            if offset == 0 and start <= minute:
                continue  # begun already: either open now, or over
            return datetime(day.year, day.month, day.day, start // 60, start % 60, tzinfo=moment.tzinfo)
    return None


# What a hall file may say, per entry: key → (type, required). Unknown keys are refused, so a
# mistyped `categroy` is an error instead of a silent default.
_FIELDS = {
    "department": {"name": (str, True), "service": (list, False)},
    "service": {"name": (str, True), "prefix": (str, True), "category": (str, False), "days": (str, False),
                "hours": (list, False), "daily_cap": (int, False), "enabled": (bool, False),
                "description": (str, False), "retired": (bool, False)},
    "window": {"number": (int, True), "name": (str, True), "services": (list, False), "retired": (bool, False)},
    "staff": {"name": (str, True), "employee_no": (str, False), "role": (str, False), "password": (str, False),
              "photo": (str, False)},
    "day": {"date": ((str, date), True), "note": (str, False)},
}
_TOP_LEVEL = {"department", "window", "staff", "holiday", "workday"}
# Limits of the hall's structure, shared by the hall file and the admin pages
MAX_DAILY_CAP = 9999        # tickets of one service a day
MAX_WINDOW_NUMBER = 999     # the voice reads window numbers as words up to 九百九十九
_PREFIX = re.compile(r"^[A-Z]{1,2}$")
_TYPE_NAMES = {str: "文字", int: "整数", list: "列表", bool: "true/false"}


def _check(entry, kind: str, where: str) -> dict:
    if not isinstance(entry, dict):
        raise BadRequest(f"{where}：应为一个表（[[{kind}]]）")
    fields = _FIELDS[kind]
    unknown = sorted(set(entry) - set(fields))
    if unknown:
        raise BadRequest(f"{where}：不认识的键 {', '.join(unknown)}（可用：{', '.join(fields)}）")
    for key, (kind_of, required) in fields.items():
        if key not in entry:
            if required:
                raise BadRequest(f"{where}：缺少 {key}")
            continue
        value = entry[key]
        wrong = isinstance(value, bool) and kind_of is int  # TOML true is not a number
        if wrong or not isinstance(value, kind_of):
            expected = _TYPE_NAMES.get(kind_of, "日期")
            raise BadRequest(f"{where}：{key} 应为{expected}，实际为 {value!r}")
        if isinstance(value, str) and required and not value.strip():
            raise BadRequest(f"{where}：{key} 不能为空")
    return entry


def read_hall_file(path) -> dict:
    """Read and check a hall description; every mistake is reported with where it is."""
    try:
        with open(path, "rb") as handle:
            hall = tomllib.load(handle)
    except FileNotFoundError:
        raise BadRequest(f"找不到大厅描述文件 {path}")
    except tomllib.TOMLDecodeError as error:
        raise BadRequest(f"{path} 不是有效的 TOML：{error}")
    unknown = sorted(set(hall) - _TOP_LEVEL)
    if unknown:
        raise BadRequest(f"{path}：不认识的部分 {', '.join(unknown)}（可用：{', '.join(sorted(_TOP_LEVEL))}）")
    for kind in _TOP_LEVEL:
        if not isinstance(hall.get(kind, []), list):
            raise BadRequest(f"{path}：{kind} 应写成 [[{kind}]] 表的数组")
    seen_services, seen_windows, seen_staff, seen_numbers = set(), set(), set(), set()
    for d_index, department in enumerate(hall.get("department", []), start=1):
        _check(department, "department", f"第 {d_index} 个部门")
        for s_index, service in enumerate(department.get("service", []), start=1):
            where = f"部门「{department['name']}」的第 {s_index} 个事项"
            _check(service, "service", where)
            where = f"事项「{service['name']}」"
            if service["name"] in seen_services:
                raise BadRequest(f"{where} 重复出现")
            seen_services.add(service["name"])
            if not _PREFIX.match(service["prefix"]):
                raise BadRequest(f"{where}：prefix 须为 1 到 2 个大写字母，实际为 {service['prefix']!r}")
            if service.get("category", "公共服务") not in store.CATEGORIES:
                raise BadRequest(f"{where}：类别 {service['category']!r} 不是 {'/'.join(store.CATEGORIES)} 之一")
            if not 0 <= service.get("daily_cap", 0) <= MAX_DAILY_CAP:
                raise BadRequest(f"{where}：daily_cap 须为 0（不限）到 {MAX_DAILY_CAP} 之间的整数")
            hours = service.get("hours", ["08:30-12:00", "14:30-17:30"])
            if not all(isinstance(h, str) for h in hours):
                raise BadRequest(f"{where}：hours 应为 [\"08:30-12:00\", ...] 这样的列表")
            try:
                parse_hours(hours)
                parse_days(service.get("days", "mon-fri"))
            except BadRequest as error:
                raise BadRequest(f"{where}：{error.message}")
    for w_index, window in enumerate(hall.get("window", []), start=1):
        _check(window, "window", f"第 {w_index} 个窗口")
        if not 1 <= window["number"] <= MAX_WINDOW_NUMBER or window["number"] in seen_windows:
            raise BadRequest(f"第 {w_index} 个窗口：窗口号 {window['number']} 须为 1 到 {MAX_WINDOW_NUMBER} 且不重复")
        seen_windows.add(window["number"])
        if not all(isinstance(name, str) for name in window.get("services", [])):
            raise BadRequest(f"{window['number']} 号窗口：services 应为事项名称的列表")
    for p_index, person in enumerate(hall.get("staff", []), start=1):
        _check(person, "staff", f"第 {p_index} 名人员")
        if person.get("role", "staff") not in store.ROLES:
            raise BadRequest(f"人员「{person['name']}」：role 须为 staff 或 admin")
        if person["name"] in seen_staff or (person.get("employee_no") and person["employee_no"] in seen_numbers):
            raise BadRequest(f"人员「{person['name']}」的姓名或工号重复")
        seen_staff.add(person["name"])
        seen_numbers.add(person.get("employee_no"))
    for kind in ("holiday", "workday"):
        for index, day in enumerate(hall.get(kind, []), start=1):
            _check(day, "day", f"第 {index} 个 {kind}")
            try:
                date.fromisoformat(str(day["date"]))
            except ValueError:
                raise BadRequest(f"第 {index} 个 {kind}：日期 {day['date']!r} 应写成 YYYY-MM-DD")
    return hall


def load_hall(db, path) -> dict:
    """Load a hall description: update what exists (by name / window number), add what is new.

    The whole file is checked first and loaded in one transaction: a mistake changes nothing.
    Returns counts of what the file described."""
    hall = read_hall_file(path)
    counts = {"departments": 0, "services": 0, "windows": 0, "staff": 0}
    try:
        with store.immediate(db):
            _load_checked_hall(db, hall, counts)
    except sqlite3.IntegrityError as error:
        raise BadRequest(f"载入失败，与数据库中已有的记录冲突（如工号重复）：{error}")
    return counts


def _load_checked_hall(db, hall: dict, counts: dict):
    for d_index, department in enumerate(hall.get("department", [])):
        department_id = store.upsert_department(db, department["name"], d_index)
        counts["departments"] += 1
        for s_index, service in enumerate(department.get("service", [])):
            store.upsert_service(db, {
                "department_id": department_id,
                "name": service["name"],
                "prefix": service["prefix"],
                "category": service.get("category", "公共服务"),
                "days": service.get("days", "mon-fri"),
                "hours": json.dumps(service.get("hours", ["08:30-12:00", "14:30-17:30"])),
                "daily_cap": service.get("daily_cap", 0),
                "sort_order": s_index,
                "enabled": 1 if service.get("enabled", True) else 0,
                "description": service.get("description", ""),
            })
            found = store.get_service_by_name(db, service["name"])
            if service.get("retired", False) != bool(found["retired"]):
                retire_service(db, found, service.get("retired", False))
            counts["services"] += 1
    for window in hall.get("window", []):
        window_id = store.upsert_window(db, window["number"], window["name"])
        service_ids = []
        for name in window.get("services", []):
            found = store.get_service_by_name(db, name)
            if not found:
                raise BadRequest(f"窗口 {window['number']} 的事项 {name!r} 未在任何部门下定义")
            service_ids.append(found["id"])
        store.set_window_services(db, window_id, service_ids)
        found = store.get_window_by_id(db, window_id)
        if window.get("retired", False) != bool(found["retired"]):
            retire_window(db, found, window.get("retired", False))
        counts["windows"] += 1
    for person in hall.get("staff", []):
        values = {"name": person["name"], "employee_no": person.get("employee_no"),
                  "role": person.get("role", "staff")}
        if person.get("password"):
            values["password_hash"] = generate_password_hash(person["password"])
        if person.get("photo"):
            values["photo"] = person["photo"]
        store.upsert_staff(db, values)
        counts["staff"] += 1
    for kind in ("holiday", "workday"):
        for day in hall.get(kind, []):
            store.set_hall_day(db, str(day["date"]), kind, day.get("note", ""))


def retire_service(db, service: dict, retired: bool = True):
    """Retire a service (or bring it back). People still waiting for it would never be called, so
    a service with a line is refused until its tickets are transferred or finished."""
    if retired:
        waiting = store.count_waiting_of_service(db, service["id"])
        if waiting:
            raise BadRequest(f"事项「{service['name']}」尚有 {waiting} 人等候，请先办结或转办后再停用")
    store.set_retired(db, "service", service["id"], retired)


def retire_window(db, window: dict, retired: bool = True):
    """Retire a window (or bring it back); one in use is closed by its staff member first."""
    if retired and window["state"] != "closed":
        raise BadRequest(f"{window['number']} 号窗口正在使用，请先关闭窗口后再停用")
    store.set_retired(db, "window", window["id"], retired)
