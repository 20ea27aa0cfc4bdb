"""The Flask app factory. Config is read by the caller and passed in; nothing here touches
the network or sleeps, and the database is opened per request."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from flask import Flask
from werkzeug.routing import IntegerConverter

from .. import health, offload, store
from ..config import load_config
from ..events import EventBroker
from .admin import admin
from .admin_content import admin_content
from .api import api, register_error_handlers
from .appointments import appointment_pages, appointments_api
from .auth import SessionUser, csrf, login_manager
from .content_api import content_api
from .context import close_request_resources, get_db
from .displays import displays
from .pages import pages
from .voice_api import voice_api

log = logging.getLogger(__name__)


class BoundedIntegerConverter(IntegerConverter):
    """`<int:...>` in every route: a number SQLite can hold, else the route does not match (404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", store.MAX_INTEGER)
        super().__init__(map, *args, **kwargs)


def create_app(config: dict | None = None) -> Flask:
    config = config or load_config()
    # Named after the package, so templates/ and static/ are found at queue_server/.
    app = Flask("queue_server")
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

    # charts, exports, photos and password hashing go to helper processes from now on (see offload)
    offload.enable()
    health.check_in_background(database)  # SQLite's quick check of the file, the server answering meanwhile

    csrf.init_app(app)
    login_manager.init_app(app)

    @login_manager.user_loader
    def load_user(user_id):
        staff = store.get_staff(get_db(), int(user_id))
        return SessionUser(staff) if staff and staff["active"] else None

    csrf.exempt(api)  # the API checks CSRF itself, only for session (browser) writes
    csrf.exempt(appointments_api)
    for blueprint in (api, appointments_api, pages, displays, voice_api, content_api, admin_content, admin,
                      appointment_pages):
        app.register_blueprint(blueprint)
    register_error_handlers(app)

    app.teardown_appcontext(close_request_resources)
    return app


def _secret_key(config: dict) -> str:
    """A per-installation key kept beside the database, so sessions survive restarts."""
    path = Path(config["server"]["database"]).with_name("secret_key")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
