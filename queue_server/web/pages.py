"""Browser pages of the core: login, logout, and the index of every page."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import flask_login
from flask import Blueprint, current_app, redirect, render_template, request, url_for

from .. import accounts, store
from ..accounts import check_login, end_sessions, login_retry_after, record_login, throttle_keys
from .auth import SessionUser
from .context import get_db

pages = Blueprint("pages", __name__)


def safe_next(target: str | None) -> str | None:
    """A `next` that stays on this site: a path, no host, no scheme, nothing a browser would
    read as one (browsers drop tabs and newlines and read backslashes as slashes: /%09/evil → //evil)."""
    if not target or any(ch.isspace() or ord(ch) < 32 or ch == "\\" for ch in target):
        return None
    parsed = urlsplit(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@pages.get("/favicon.ico")
def favicon():
    """The hall's icon (政 on the hall's red) for every tab and bookmark; browsers ask for it here."""
    response = current_app.send_static_file("favicon.ico")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@pages.get("/")
def index():
    config = current_app.config["GOVHALL"]
    windows = store.list_windows(get_db(), include_retired=False)
    return render_template("index.html", hall=config["hall"]["name"], windows=windows)


@pages.route("/login", methods=["GET", "POST"])
def login():
    error, status = None, 200
    hall = current_app.config["GOVHALL"]["hall"]["name"]
    if request.method == "POST":
        db = get_db()
        login_name = request.form.get("login", "")[:100]
        keys = throttle_keys(login_name, request.remote_addr)
        wait = login_retry_after(db, keys)
        if wait:
            time.sleep(accounts.REFUSED_LOGIN_PAUSE_S)  # cooperative under the gevent worker
            response = current_app.make_response((render_template(
                "login.html", hall=hall, error=f"登录失败次数过多，请 {wait} 秒后再试"), 429))
            response.headers["Retry-After"] = str(wait)
            return response
        staff = check_login(db, login_name, request.form.get("password", "")[:200])
        record_login(db, keys, succeeded=bool(staff))
        if staff:
            # remembered past the browser's closing only when asked (a shared workstation is not)
            flask_login.login_user(SessionUser(staff), remember=request.form.get("remember") == "1")
            target = safe_next(request.args.get("next"))
            if not target:
                target = url_for("pages.index") if staff["role"] == "admin" else "/staff"
            return redirect(target)
        error, status = "账号或密码错误", 401
    return render_template("login.html", error=error, hall=hall), status


@pages.post("/logout")
def logout():
    """Logging out ends every session and remember cookie of the account, on every browser."""
    if flask_login.current_user.is_authenticated:
        db = get_db()
        with store.immediate(db):
            end_sessions(db, flask_login.current_user.staff["id"])
    flask_login.logout_user()
    return redirect(url_for("pages.login"))
