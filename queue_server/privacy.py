"""What the hall keeps of the people it recognised by their ID card, and for how long.

A ticket taken with a card keeps the keyed hash of the ID number (to refuse a second waiting
ticket) and the masked name; a booking made with the number keeps its hash (so the card checks it
in). Neither is needed once the day is long past: `purge_id_hashes` forgets them for days older
than `[privacy] id_hash_days` (default 30). Tickets, bookings and statistics stay; only who held
them goes. Screens show a masked name only when `[privacy] display_names` is on."""

from __future__ import annotations

from datetime import datetime, timedelta

from . import clock, store
from .errors import BadRequest

MAX_DAYS = 3650


def purge_id_hashes(db, config: dict, days=None, now: datetime | None = None, staff_id=None) -> dict:
    """Forget the card holders of tickets and past bookings older than `days` (the config's by
    default); one `id_hashes_purged` event with the counts. → {before, tickets, appointments}."""
    days = config["privacy"]["id_hash_days"] if days is None else days
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_DAYS:
        raise BadRequest(f"保留天数须为 0 到 {MAX_DAYS} 之间的整数")
    now = now or clock.utc_now()
    before = (clock.local(now, config["hall"]["timezone"]).date() - timedelta(days=days)).isoformat()
    with store.immediate(db):
        counts = store.purge_id_hashes(db, before)
        store.append_event(db, clock.to_iso(now), "id_hashes_purged", {"before": before, "days": days, **counts},
                           staff_id=staff_id)
    return {"before": before, "days": days, **counts}


def display_name(ticket: dict | None, config: dict) -> str | None:
    """The name a screen may show beside a ticket's number: masked, and only if the hall allows it."""
    if not ticket or not config["privacy"]["display_names"]:
        return None
    from idcard.privacy import mask_name

    return mask_name(ticket["holder_name"]) if ticket.get("holder_name") else None
