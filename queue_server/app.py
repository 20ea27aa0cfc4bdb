"""The Flask app factory. Config is read by the caller and passed in; nothing here touches
the network or sleeps, and the database is opened per request."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from flask import Flask, current_app, g
from werkzeug.routing import IntegerConverter

from . import store
from .auth import csrf, login_manager, SessionUser
from .config import load_config
from .events import EventBroker
from .queue import Queue

log = logging.getLogger(__name__)


class BoundedIntegerConverter(IntegerConverter):
    """`<int:...>` in every route: a number SQLite can hold, else the route does not match (404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", store.MAX_INTEGER)
        super().__init__(map, *args, **kwargs)


def create_app(config: dict | None = None) -> Flask:
    config = config or load_config()
    app = Flask(__name__)
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.config["GOVHALL"] = config
    app.config["SECRET_KEY"] = config["server"].get("secret_key") or _secret_key(config)
    app.config["JSON_AS_ASCII"] = False
    app.json.ensure_ascii = False
    app.config["MAX_CONTENT_LENGTH"] = 8 * 1024 * 1024
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["WTF_CSRF_TIME_LIMIT"] = None  # staff keep their workstation open all day

    database = config["server"]["database"]
    db = store.connect(database)
    store.migrate(db)
    db.conn.close()

    broker = EventBroker(lambda: store.connect(database))
    # Opens the broker's own connection, held for the server's lifetime: `govhall restore`
    # sees it and refuses to replace a database a running server is using.
    broker.last_id
    app.extensions["govhall_broker"] = broker
    app.extensions["govhall_db_pool"] = store.ConnectionPool(database)

    csrf.init_app(app)
    login_manager.init_app(app)

    @login_manager.user_loader
    def load_user(user_id):
        staff = store.get_staff(get_db(), int(user_id))
        return SessionUser(staff) if staff and staff["active"] else None

    from .api import api, register_error_handlers
    from .pages import pages

    csrf.exempt(api)  # the API checks CSRF itself, only for session (browser) writes
    app.register_blueprint(api)
    app.register_blueprint(pages)
    # Blueprints of the other parts are registered below, one line each.
    from .displays import displays; app.register_blueprint(displays)  # noqa: E702
    from .voice_api import voice_api; app.register_blueprint(voice_api)  # noqa: E702
    from .content_api import content_api; app.register_blueprint(content_api)  # noqa: E702
    from .admin_content import admin_content; app.register_blueprint(admin_content)  # noqa: E702
    from .admin import admin; app.register_blueprint(admin)  # noqa: E702
    register_error_handlers(app)

    app.teardown_appcontext(_close_db)
    return app


def _secret_key(config: dict) -> str:
    """A per-installation key kept beside the database, so sessions survive restarts."""
    path = Path(config["server"]["database"]).with_name("secret_key")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


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


def _close_db(_exc):
    db = g.pop("db", None)
    if db is not None:
        current_app.extensions["govhall_db_pool"].give_back(db)
