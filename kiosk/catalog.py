"""The services a citizen can pick, as the kiosk shows them (from `GET /api/v1/services`),
and the words about each: the wait, why it is closed and when it opens, tickets left."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from . import text
from .text import tr

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_days(spec: str) -> list[int]:
    """'mon-fri', 'tue,thu' → weekday numbers (Monday 0); what the server's hall file allows."""
    days: set[int] = set()
    for part in (spec or "").replace(" ", "").lower().split(","):
        if "-" in part:
            first, last = part.split("-", 1)
            if first in WEEKDAY_KEYS and last in WEEKDAY_KEYS:
                start, end = WEEKDAY_KEYS.index(first), WEEKDAY_KEYS.index(last)
                days.update(range(start, end + 1) if start <= end else [*range(start, 7), *range(0, end + 1)])
        elif part in WEEKDAY_KEYS:
            days.add(WEEKDAY_KEYS.index(part))
    return sorted(days)


@dataclass(frozen=True)
class ServiceChoice:
    id: int
    name: str
    department: str
    category: str
    waiting: int
    estimated_wait_min: int | None
    pickable: bool
    cap_reached: bool
    daily_cap: int
    closed_reason: str
    # people a ticket taken now would have ahead of it: the number the ticket will show
    ahead: int = 0
    closed_code: str = ""
    next_open: datetime | None = None
    remaining_today: int | None = None
    windows: tuple[int, ...] = ()
    days: tuple[int, ...] = tuple(range(7))
    hours: tuple[str, ...] = ()

    def status_text(self, lang: str = "zh", now: datetime | None = None) -> str:
        """The line under the service's name: the wait as the ticket will say it, or why
        it cannot be picked and when it can."""
        if not self.pickable:
            if self.cap_reached:
                reason = tr("closed.cap_reached", lang)
            elif f"closed.{self.closed_code}" in text.TEXTS:
                reason = tr(f"closed.{self.closed_code}", lang)
            elif lang == "zh" and self.closed_reason:
                reason = self.closed_reason
            else:
                reason = tr("closed.plain", lang)
            if self.next_open is not None and now is not None:
                return reason + ("，" if lang == "zh" else "; ") + text.opens_text(self.next_open, now.date(), lang)
            return reason
        if self.ahead <= 0:
            return text.ahead_text(0, lang)
        return text.ahead_text(self.ahead, lang) + " · " + text.wait_text(self.estimated_wait_min, lang)

    def detail_text(self, lang: str = "zh", now: datetime | None = None) -> str:
        """Second line: the opening days and hours when they are not every day, all day;
        the tickets left today when there is a cap."""
        parts = []
        if self.hours and (list(self.days) != list(range(7)) or list(self.hours) != ["00:00-24:00"]):
            parts.append(tr("services.schedule", lang, days=text.days_text(list(self.days), lang),
                            hours=text.hours_text(list(self.hours), lang)))
        if self.pickable and self.remaining_today is not None:
            parts.append(tr("services.remaining", lang, count=self.remaining_today))
        return ("；" if lang == "zh" else "; ").join(parts)


@dataclass(frozen=True)
class Department:
    name: str
    services: list[ServiceChoice] = field(default_factory=list)

    @property
    def pickable_count(self) -> int:
        return sum(1 for service in self.services if service.pickable)


def parse_services(answer: dict) -> list[Department]:
    """Departments in the server's order; a closed service stays in the list (greyed, with
    its reason and when it opens), so a citizen learns why it cannot be picked."""
    departments = []
    for department in answer.get("departments", []):
        choices = []
        for entry in department.get("services", []):
            next_open = entry.get("next_open")
            remaining = entry.get("remaining_today")
            choices.append(ServiceChoice(
                id=int(entry["id"]), name=entry["name"], department=department["name"],
                category=entry.get("category") or "", waiting=int(entry.get("waiting") or 0),
                estimated_wait_min=entry.get("estimated_wait_min"), pickable=bool(entry.get("open")),
                cap_reached=bool(entry.get("cap_reached")), daily_cap=int(entry.get("daily_cap") or 0),
                closed_reason=entry.get("closed_reason") or "",
                ahead=int(entry.get("ahead", entry.get("waiting")) or 0),
                closed_code=entry.get("closed_code") or "",
                next_open=datetime.fromisoformat(next_open) if next_open else None,
                remaining_today=int(remaining) if remaining is not None else None,
                windows=tuple(int(n) for n in entry.get("windows") or ()),
                days=tuple(parse_days(entry["days"])) if entry.get("days") else tuple(range(7)),
                hours=tuple(entry.get("hours") or ())))
        if choices:
            departments.append(Department(department["name"], choices))
    return departments
