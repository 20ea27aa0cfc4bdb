"""Time in one place: UTC for storage, the hall's zone for its day and opening hours.

The hall's "now" can be set, for tests and demos on any chosen day: `GOVHALL_CLOCK` holds an
instant with its zone (`2026-12-31T23:59:30+08:00`), and the clock starts there and runs on.
`INSTANT@EPOCH` pins that instant to a real Unix time, so a test and the servers it starts agree
to the second (`anchored_clock_setting` writes that form)."""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

CLOCK_VARIABLE = "GOVHALL_CLOCK"


def _offset_from(setting: str | None) -> timedelta:
    if not setting:
        return timedelta(0)
    instant_text, _, epoch_text = setting.partition("@")
    instant = datetime.fromisoformat(instant_text.strip())
    if instant.tzinfo is None:
        raise ValueError(f"{CLOCK_VARIABLE} needs a zone, e.g. 2026-12-31T23:59:30+08:00 (got {setting!r})")
    real = float(epoch_text) if epoch_text else time.time()
    return instant - datetime.fromtimestamp(real, timezone.utc)


_offset = _offset_from(os.environ.get(CLOCK_VARIABLE))


def set_clock(setting: str | None):
    """Set (or with None, clear) this process's clock, as the variable would at start-up."""
    global _offset
    _offset = _offset_from(setting)


def anchored_clock_setting(instant: str) -> str:
    """`instant` pinned to the present real time: the value to hand to child processes."""
    return f"{instant}@{time.time():.6f}"


def utc_now() -> datetime:
    return datetime.now(timezone.utc) + _offset


def to_iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat()


def from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text)


def local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def local_day(moment: datetime, zone: str) -> str:
    """The hall's calendar day of an instant: 23:59 and 00:01 Beijing time differ."""
    return local(moment, zone).date().isoformat()


def local_today(zone: str) -> str:
    """Today in the hall (`YYYY-MM-DD`), by the hall's clock."""
    return local_day(utc_now(), zone)


def day_start_utc(day: str, zone: str) -> str:
    """The UTC instant (ISO) at which the hall's day `YYYY-MM-DD` begins."""
    midnight = datetime.fromisoformat(day).replace(tzinfo=ZoneInfo(zone))
    return to_iso(midnight)
