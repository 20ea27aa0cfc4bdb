"""The services a citizen can pick, as the kiosk shows them (from `GET /api/v1/services`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .text import tr


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

    def status_text(self, lang: str = "zh") -> str:
        """The line under the service's name: the wait, or why it cannot be picked."""
        if self.cap_reached:
            return tr("services.cap_reached", lang, cap=self.daily_cap)
        if not self.pickable:
            if lang == "zh" and self.closed_reason:
                return tr("services.closed", lang, reason=self.closed_reason)
            return tr("services.closed_plain", lang)
        if self.waiting == 0:
            return tr("services.waiting_none", lang)
        return tr("services.waiting", lang, waiting=self.waiting, minutes=self.estimated_wait_min or "-")


@dataclass(frozen=True)
class Department:
    name: str
    services: list[ServiceChoice] = field(default_factory=list)

    @property
    def pickable_count(self) -> int:
        return sum(1 for service in self.services if service.pickable)


def parse_services(answer: dict) -> list[Department]:
    """Departments in the server's order; a closed service stays in the list (greyed, with
    its reason), so a citizen learns why it cannot be picked."""
    departments = []
    for department in answer.get("departments", []):
        choices = []
        for entry in department.get("services", []):
            choices.append(ServiceChoice(
                id=int(entry["id"]), name=entry["name"], department=department["name"],
                category=entry.get("category") or "", waiting=int(entry.get("waiting") or 0),
                estimated_wait_min=entry.get("estimated_wait_min"), pickable=bool(entry.get("open")),
                cap_reached=bool(entry.get("cap_reached")), daily_cap=int(entry.get("daily_cap") or 0),
                closed_reason=entry.get("closed_reason") or ""))
        if choices:
            departments.append(Department(department["name"], choices))
    return departments
