"""What goes on paper: a queue ticket, and the list of materials to bring (一次性告知)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class TicketSlip:
    hall_name: str
    number: str
    service: str
    department: str
    ahead: int
    estimated_wait_min: int | None
    issued_at: datetime
    status_url: str
    notices: list[str] = field(default_factory=list)
    timezone: str = "Asia/Shanghai"
    # the windows that serve the service ("请到 3、4 号窗口等候叫号"); none: the line is left out
    windows: tuple[int, ...] = ()
    # how the ticket goes first, printed beside the title: "预约" (a checked-in booking), "绿色通道"
    tag: str = ""

    def __post_init__(self):
        if self.issued_at.tzinfo is None or self.issued_at.utcoffset() is None:
            raise ValueError("TicketSlip.issued_at must be timezone-aware")

    @property
    def local_issued_at(self) -> datetime:
        """The issue time on the hall's wall clock."""
        return self.issued_at.astimezone(ZoneInfo(self.timezone))


@dataclass(frozen=True)
class MaterialsSlip:
    hall_name: str
    service: str
    department: str
    materials: list[str]
    notes: list[str] = field(default_factory=list)
    contact: str = ""
