"""Time in one place: UTC for storage, the hall's zone for its day and opening hours."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def to_iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat()


def from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text)


def local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def local_day(moment: datetime, zone: str) -> str:
    """The hall's calendar day of an instant: 23:59 and 00:01 Beijing time differ."""
    return local(moment, zone).date().isoformat()


def day_start_utc(day: str, zone: str) -> str:
    """The UTC instant (ISO) at which the hall's day `YYYY-MM-DD` begins."""
    midnight = datetime.fromisoformat(day).replace(tzinfo=ZoneInfo(zone))
    return to_iso(midnight)
