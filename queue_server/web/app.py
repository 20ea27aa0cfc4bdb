"""The Flask app factory. Config is read by the caller and passed in; nothing here touches
the network or sleeps, and the database is opened per request."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask, current_app, request
from werkzeug.routing import BaseConverter, IntegerConverter

from .. import health, offload, store
from ..config import load_config
from ..events import EventBroker
from .admin import admin
from .admin_content import admin_content
from .api import api, register_error_handlers
from .appointments import appointment_pages, appointments_api
from .auth import csrf, load_session_user, login_manager
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


class BookingCodeConverter(BaseConverter):
    """`<booking_code:...>`: a booking's code, never the name of a sibling route (/appointments/capacity is
    not the booking "capacity"), so each address answers OPTIONS with its own methods only."""

    regex = r"(?!(?:capacity|check-in|slots|days)(?:/|$))[^/]+"


def create_app(config: dict | None = None) -> Flask:
    config = config or load_config()
    # Named after the package, so templates/ and static/ are found at queue_server/.
    app = Flask("queue_server")
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.url_map.converters["booking_code"] = BookingCodeConverter
    app.config["GOVHALL"] = config
    app.config["SECRET_KEY"] = config["server"].get("secret_key") or _secret_key(config)
    app.config["JSON_AS_ASCII"] = False
    app.json.ensure_ascii = False
    app.config["MAX_CONTENT_LENGTH"] = 8 * 1024 * 1024
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    app.config["REMEMBER_COOKIE_DURATION"] = timedelta(days=14)
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
    # in a server worker the WAL is copied back on a thread of its own, never by a request's commit
    copied_aside = store.checkpoint_aside(database)
    app.extensions["govhall_db_pool"] = store.ConnectionPool(database, autocheckpoint=not copied_aside)

    # charts, exports, photos and password hashing go to helper processes from now on (see offload)
    offload.enable(turns_dir=Path(database).resolve().parent)
    health.check_in_background(database)  # SQLite's quick check of the file, the server answering meanwhile

    secure = secure_cookies(config)
    app.config["SESSION_COOKIE_SECURE"] = secure
    app.config["REMEMBER_COOKIE_SECURE"] = secure
    app.after_request(security_headers)

    csrf.init_app(app)
    login_manager.init_app(app)

    @login_manager.user_loader
    def load_user(user_id):
        return load_session_user(get_db(), user_id)

    csrf.exempt(api)  # the API checks CSRF itself, only for session (browser) writes
    csrf.exempt(appointments_api)
    for blueprint in (api, appointments_api, pages, displays, voice_api, content_api, admin_content, admin,
                      appointment_pages):
        app.register_blueprint(blueprint)
    register_error_handlers(app)

    app.teardown_appcontext(close_request_resources)
    return app


# Scripts only from this site's own files (pages keep their data in <script type="application/json">
# and their behaviour in static/*.js); inline style attributes stay allowed. No page may be framed.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; "
                           "font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
                           "frame-ancestors 'none'")


def secure_cookies(config: dict) -> bool:
    """`[server] secure_cookies`: true / false, or "auto" (the default): on when public_url is https."""
    setting = config["server"].get("secure_cookies", "auto")
    if isinstance(setting, bool):
        return setting
    text = str(setting).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    return str(config["server"].get("public_url", "")).lower().startswith("https://")


def security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    # a ticket page's address holds its token: never sent to another site
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.is_secure or current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def _secret_key(config: dict) -> str:
    """A per-installation key kept beside the database, so sessions survive restarts."""
    path = Path(config["server"]["database"]).with_name("secret_key")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
