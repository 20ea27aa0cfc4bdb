"""Accounts and credentials: staff passwords, bearer tokens for devices and scripts, and the
principal a token stands for. The web layer's `web/auth.py` resolves a request to a principal;
the CLI and the admin pages issue credentials through here.

Tokens are random, shown once, and stored only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from . import clock, offload, store
from .errors import BadRequest, NotFound


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


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return "gh_" + secrets.token_urlsafe(32)


# --- passwords --------------------------------------------------------------------
# scrypt is made to be slow (tens of milliseconds of CPU on purpose): in the server it runs in a
# helper process (`offload`), so eight people typing passwords do not stall every display.

def hash_password(password: str) -> str:
    return offload.run("werkzeug.security:generate_password_hash", password, pool="passwords")


def password_matches(password_hash: str, password: str) -> bool:
    return offload.run("werkzeug.security:check_password_hash", password_hash, password, pool="passwords")


# --- issuing credentials (used by the CLI and the admin pages) ------------------

def set_password(db, staff_name: str, password: str):
    if len(password) < 6:
        raise BadRequest("密码至少 6 位")
    staff = store.find_staff_login(db, staff_name)
    if not staff:
        raise NotFound(f"没有人员 {staff_name}")
    store.update_row(db, "staff", staff["id"], {"password_hash": hash_password(password)})


def add_staff(db, name: str, role: str, password: str | None = None, employee_no: str | None = None) -> int:
    if role not in store.ROLES:
        raise BadRequest("角色须为 staff 或 admin")
    values = {"name": name, "role": role, "employee_no": employee_no}
    if password:
        if len(password) < 6:
            raise BadRequest("密码至少 6 位")
        values["password_hash"] = hash_password(password)
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
    if staff and staff["password_hash"] and password_matches(staff["password_hash"], password):
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


def id_hash_key(secret_key: str) -> str:
    """The key under which ID numbers are hashed (`idcard.id_number_hash`), derived from the server's
    secret key: kiosks fetch it with their token to hash a card's number before sending anything,
    without ever holding the key that signs staff sessions."""
    return hmac.new(secret_key.encode("utf-8"), b"govhall id-number hash key", hashlib.sha256).hexdigest()
