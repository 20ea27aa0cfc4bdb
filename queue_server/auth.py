"""Who is asking: bearer tokens for devices and scripts, a login session for browsers.

Tokens are random, shown once, and stored only as SHA-256 hashes. Browser writes carry a
CSRF token (Flask-WTF); bearer-token requests do not need one."""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass

import flask_login
from flask import current_app, g, redirect, request, url_for
from flask_wtf.csrf import CSRFProtect
from werkzeug.security import check_password_hash, generate_password_hash

from . import clock, store
from .errors import BadRequest, Forbidden, NotFound, Unauthorized

csrf = CSRFProtect()
login_manager = flask_login.LoginManager()
login_manager.login_view = "pages.login"


@dataclass(frozen=True)
class Principal:
    kind: str  # "staff" (role staff or admin), "kiosk", "evaluator", "anonymous"
    role: str | None = None
    staff_id: int | None = None
    kiosk_id: int | None = None
    window_id: int | None = None
    name: str = ""
    via_session: bool = False

    @property
    def is_admin(self) -> bool:
        return self.kind == "staff" and self.role == "admin"

    @property
    def is_staff(self) -> bool:
        return self.kind == "staff"


ANONYMOUS = Principal("anonymous")


class SessionUser(flask_login.UserMixin):
    def __init__(self, staff: dict):
        self.staff = staff

    def get_id(self):
        return str(self.staff["id"])


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return "gh_" + secrets.token_urlsafe(32)


# --- issuing credentials (used by the CLI and the admin pages) ------------------

def set_password(db, staff_name: str, password: str):
    if len(password) < 6:
        raise BadRequest("密码至少 6 位")
    staff = store.find_staff_login(db, staff_name)
    if not staff:
        raise NotFound(f"没有人员 {staff_name}")
    db["staff"].update(staff["id"], {"password_hash": generate_password_hash(password)})


def add_staff(db, name: str, role: str, password: str | None = None, employee_no: str | None = None) -> int:
    if role not in store.ROLES:
        raise BadRequest("角色须为 staff 或 admin")
    values = {"name": name, "role": role, "employee_no": employee_no}
    if password:
        if len(password) < 6:
            raise BadRequest("密码至少 6 位")
        values["password_hash"] = generate_password_hash(password)
    with store.immediate(db):
        return store.upsert_staff(db, {k: v for k, v in values.items() if v is not None})


def issue_staff_token(db, staff_name: str) -> str:
    staff = store.find_staff_login(db, staff_name)
    if not staff:
        raise NotFound(f"没有人员 {staff_name}")
    token = new_token()
    with store.immediate(db):
        store.insert_token(db, hash_token(token), "staff", clock.to_iso(clock.utc_now()), staff_id=staff["id"])
    return token


def register_kiosk(db, name: str) -> tuple[int, str]:
    token = new_token()
    with store.immediate(db):
        kiosk_id = store.upsert_kiosk(db, name, clock.to_iso(clock.utc_now()))
        store.insert_token(db, hash_token(token), "kiosk", clock.to_iso(clock.utc_now()), kiosk_id=kiosk_id)
    return kiosk_id, token


def register_evaluator(db, window_number: int) -> str:
    window = store.get_window(db, window_number)
    if not window:
        raise NotFound(f"没有 {window_number} 号窗口")
    token = new_token()
    with store.immediate(db):
        store.insert_token(db, hash_token(token), "evaluator", clock.to_iso(clock.utc_now()), window_id=window["id"])
    return token


def check_login(db, login: str, password: str) -> dict | None:
    staff = store.find_staff_login(db, login.strip())
    if staff and staff["password_hash"] and check_password_hash(staff["password_hash"], password):
        return staff
    return None


# --- resolving the principal of a request ---------------------------------------

def principal_from_token(db, token: str) -> Principal | None:
    found = store.find_token(db, hash_token(token))
    if not found:
        return None
    if found["kind"] == "staff":
        staff = store.get_staff(db, found["staff_id"])
        if not staff or not staff["active"]:
            return None
        return Principal("staff", role=staff["role"], staff_id=staff["id"], name=staff["name"])
    if found["kind"] == "kiosk":
        kiosk = store.get_kiosk(db, found["kiosk_id"])
        return Principal("kiosk", kiosk_id=found["kiosk_id"], name=kiosk["name"] if kiosk else "")
    return Principal("evaluator", window_id=found["window_id"])


def current_principal() -> Principal:
    """Resolved once per request: a bearer token wins over the session cookie."""
    if "principal" in g:
        return g.principal
    from .app import get_db  # late: app imports this module

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
