"""The spoken call as a WAV: `GET /api/v1/announcements/<event_id>.wav` for the speaker display."""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from .. import store
from ..errors import NotFound
from ..voice import assemble_announcement
from .context import get_db

voice_api = Blueprint("voice_api", __name__, url_prefix="/api/v1")


@voice_api.get("/announcements/<int:event_id>.wav")
def announcement(event_id):
    event = store.get_event(get_db(), event_id)
    if not event:
        raise NotFound(f"没有编号为 {event_id} 的事件")
    audio = assemble_announcement(event, current_app.config["GOVHALL"])
    response = Response(audio, mimetype="audio/wav")
    # an event never changes; a new voice pack is picked up within the hour
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
