"""Browser pages of the core: login, logout, and the index of every page."""

from __future__ import annotations

from urllib.parse import urlsplit

import flask_login
from flask import Blueprint, current_app, redirect, render_template, request, url_for

from ..accounts import check_login
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
    from .. import store
    windows = store.list_windows(get_db(), include_retired=False)
    return render_template("index.html", hall=config["hall"]["name"], windows=windows)


@pages.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        staff = check_login(get_db(), request.form.get("login", ""), request.form.get("password", ""))
        if staff:
            flask_login.login_user(SessionUser(staff), remember=True)
            target = safe_next(request.args.get("next"))
            if not target:
                target = url_for("pages.index") if staff["role"] == "admin" else "/staff"
            return redirect(target)
        error = "账号或密码错误"
    return render_template("login.html", error=error,
                           hall=current_app.config["GOVHALL"]["hall"]["name"]), (401 if error else 200)


@pages.post("/logout")
def logout():
    flask_login.logout_user()
    return redirect(url_for("pages.login"))
