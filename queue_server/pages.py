"""Browser pages of the core: login, logout, and the index of every page."""

from __future__ import annotations

import flask_login
from flask import Blueprint, current_app, redirect, render_template, request, url_for

from .app import get_db
from .auth import SessionUser, check_login

pages = Blueprint("pages", __name__)


@pages.get("/")
def index():
    config = current_app.config["GOVHALL"]
    from . import store
    windows = store.list_windows(get_db())
    return render_template("index.html", hall=config["hall"]["name"], windows=windows)


@pages.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        staff = check_login(get_db(), request.form.get("login", ""), request.form.get("password", ""))
        if staff:
            flask_login.login_user(SessionUser(staff), remember=True)
            target = request.args.get("next") or ""
            # only local paths, never an open redirect
            if not target.startswith("/") or target.startswith("//"):
                target = url_for("pages.index") if staff["role"] == "admin" else "/staff"
            return redirect(target)
        error = "账号或密码错误"
    return render_template("login.html", error=error,
                           hall=current_app.config["GOVHALL"]["hall"]["name"]), (401 if error else 200)


@pages.post("/logout")
def logout():
    flask_login.logout_user()
    return redirect(url_for("pages.login"))
