"""Who is asking: a bearer token (devices, scripts) or a login session (browsers).

Browser writes carry a CSRF token (Flask-WTF); bearer-token requests do not need one. The
credentials themselves are the domain's (`queue_server.accounts`)."""

from __future__ import annotations

import functools

import flask_login
from flask import current_app, g, redirect, request, url_for
from flask_wtf.csrf import CSRFProtect

from .. import store
from ..accounts import ANONYMOUS, Principal, principal_from_token
from ..errors import Forbidden, Unauthorized
from .context import get_db

csrf = CSRFProtect()
login_manager = flask_login.LoginManager()
login_manager.login_view = "pages.login"


class SessionUser(flask_login.UserMixin):
    def __init__(self, staff: dict):
        self.staff = staff

    def get_id(self):
        # the session and the remember cookie carry the account's session generation: raising it
        # (logout, password reset, disabling) ends every login of the account at once
        return f"{self.staff['id']}:{self.staff['session_generation']}"


def load_session_user(db, user_id: str) -> SessionUser | None:
    staff_id, _, generation = str(user_id).partition(":")
    if not staff_id.isascii() or not staff_id.isdigit() or not generation.isascii() or not generation.isdigit():
        return None
    staff = store.get_staff(db, int(staff_id))
    if not staff or not staff["active"] or staff["session_generation"] != int(generation):
        return None
    return SessionUser(staff)


def current_principal() -> Principal:
    """Resolved once per request: a bearer token wins over the session cookie."""
    if "principal" in g:
        return g.principal
    principal = ANONYMOUS
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        principal = principal_from_token(get_db(), header[7:].strip())
        if principal is None:
            raise Unauthorized("令牌无效或已吊销 (invalid or revoked token)")
    elif flask_login.current_user.is_authenticated:
        staff = flask_login.current_user.staff
        principal = Principal("staff", role=staff["role"], staff_id=staff["id"], name=staff["name"],
                              via_session=True)
    g.principal = principal
    return principal


def require(*allowed: str):
    """API guard. `allowed` names: "kiosk", "evaluator", "staff" (staff or admin), "admin".

    Browser (session) writes must carry a CSRF token."""

    def decorate(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            principal = current_principal()
            if principal.kind == "anonymous":
                raise Unauthorized("需要登录或令牌 (login or bearer token required)")
            ok = (("admin" in allowed and principal.is_admin)
                  or ("staff" in allowed and principal.is_staff)
                  or (principal.kind in allowed and principal.kind != "staff"))
            if not ok:
                raise Forbidden("无权进行此操作 (not allowed for this account)")
            if principal.via_session and request.method not in ("GET", "HEAD", "OPTIONS"):
                csrf.protect()
            return view(*args, **kwargs)

        return guarded

    return decorate


def require_role(role: str):
    """Page guard: the login page for strangers, 403 for the wrong role."""

    def decorate(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            if not flask_login.current_user.is_authenticated:
                return redirect(url_for("pages.login", next=request.full_path))
            staff = flask_login.current_user.staff
            if role == "admin" and staff["role"] != "admin":
                return current_app.make_response(("仅限管理员访问 (admins only)", 403))
            return view(*args, **kwargs)

        return guarded

    return decorate
