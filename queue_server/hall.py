"""The hall's structure: loading a hall description (TOML) and a service's opening hours."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from datetime import datetime, time

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


def service_opening(db, service: dict, now: datetime, zone: str) -> Opening:
    """Whether a service takes tickets at `now`, honouring the hall's holidays and make-up workdays."""
    if not service["enabled"]:
        return Opening(False, "该事项暂停办理")
    moment = clock.local(now, zone)
    exception = store.hall_day(db, moment.date().isoformat())
    if exception == "holiday":
        return Opening(False, "今日为节假日，大厅不办公")
    days = parse_days(service["days"])
    if exception != "workday" and moment.weekday() not in days:
        return Opening(False, "今日不办理该事项")
    minute = moment.hour * 60 + moment.minute
    spans = parse_hours(json.loads(service["hours"]) if isinstance(service["hours"], str) else service["hours"])
    if any(start <= minute < end for start, end in spans):
        return Opening(True)
    hours_text = "、".join(f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}" for s, e in spans)
    return Opening(False, f"不在办理时间内（办理时间 {hours_text}）")


def load_hall(db, path) -> dict:
    """Load a hall description: update what exists (by name / window number), add what is new.

    Returns counts of what the file described."""
    with open(path, "rb") as handle:
        hall = tomllib.load(handle)
    counts = {"departments": 0, "services": 0, "windows": 0, "staff": 0}
    with store.immediate(db):
        for d_index, department in enumerate(hall.get("department", [])):
            department_id = store.upsert_department(db, department["name"], d_index)
            counts["departments"] += 1
            for s_index, service in enumerate(department.get("service", [])):
                hours = service.get("hours", ["08:30-12:00", "14:30-17:30"])
                parse_hours(hours)
                parse_days(service.get("days", "mon-fri"))
                category = service.get("category", "公共服务")
                if category not in store.CATEGORIES:
                    raise BadRequest(f"事项 {service['name']} 的类别 {category!r} 不是 {'/'.join(store.CATEGORIES)} 之一")
                store.upsert_service(db, {
                    "department_id": department_id,
                    "name": service["name"],
                    "prefix": service["prefix"],
                    "category": category,
                    "days": service.get("days", "mon-fri"),
                    "hours": json.dumps(hours),
                    "daily_cap": int(service.get("daily_cap", 0)),
                    "sort_order": s_index,
                    "enabled": 1 if service.get("enabled", True) else 0,
                    "description": service.get("description", ""),
                })
                counts["services"] += 1
        for window in hall.get("window", []):
            window_id = store.upsert_window(db, int(window["number"]), window["name"])
            service_ids = []
            for name in window.get("services", []):
                found = store.get_service_by_name(db, name)
                if not found:
                    raise BadRequest(f"窗口 {window['number']} 的事项 {name!r} 未在任何部门下定义")
                service_ids.append(found["id"])
            store.set_window_services(db, window_id, service_ids)
            counts["windows"] += 1
        for person in hall.get("staff", []):
            values = {"name": person["name"], "employee_no": person.get("employee_no"),
                      "role": person.get("role", "staff")}
            if values["role"] not in store.ROLES:
                raise BadRequest(f"人员 {person['name']} 的角色须为 staff 或 admin")
            if person.get("password"):
                values["password_hash"] = generate_password_hash(person["password"])
            if person.get("photo"):
                values["photo"] = person["photo"]
            store.upsert_staff(db, values)
            counts["staff"] += 1
        for kind in ("holiday", "workday"):
            for day in hall.get(kind, []):
                store.set_hall_day(db, str(day["date"]), kind, day.get("note", ""))
    return counts
