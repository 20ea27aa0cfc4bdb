"""What a request needs, opened once per request and closed at its end: the hall database (from
the app's pool), the queue over it, the event broker, and the content store.

Blueprints import these getters from here, and the app factory (`web/app.py`) imports the
blueprints, so nothing imports the factory back (the layout of Flask's tutorial, where
`get_db` lives in `db.py`)."""

from __future__ import annotations

from flask import current_app, g

from content.store import ContentStore

from ..events import EventBroker
from ..queue import Queue


def get_db():
    if "db" not in g:
        g.db = current_app.extensions["govhall_db_pool"].take()
    return g.db


def get_broker() -> EventBroker:
    return current_app.extensions["govhall_broker"]


def get_queue() -> Queue:
    if "queue" not in g:
        db = get_db()
        g.queue = Queue(db, current_app.config["GOVHALL"], on_change=lambda: get_broker().notify(db))
    return g.queue


def get_content_store() -> ContentStore:
    """The content store (its own SQLite file) for this request."""
    if "content_store" not in g:
        g.content_store = ContentStore(current_app.config["GOVHALL"]["content"]["database"])
    return g.content_store


def close_request_resources(_exc=None):
    """Teardown of every request: the hall connection back to the pool, the content store closed."""
    db = g.pop("db", None)
    if db is not None:
        current_app.extensions["govhall_db_pool"].give_back(db)
    content_store = g.pop("content_store", None)
    if content_store is not None:
        content_store.close()
