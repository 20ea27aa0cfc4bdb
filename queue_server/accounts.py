"""Accounts and credentials: staff passwords, bearer tokens for devices and scripts, and the
principal a token stands for. The web layer's `web/auth.py` resolves a request to a principal;
the CLI and the admin pages issue credentials through here.

Tokens are random, shown once, and stored only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from datetime import timedelta
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
    password_hash = hash_password(password)
    with store.immediate(db):
        store.update_row(db, "staff", staff["id"], {"password_hash": password_hash})
        end_sessions(db, staff["id"])


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
    """The staff member, or None. An unknown account costs the same hash check as a known one, so
    the time of the answer does not tell which accounts exist."""
    staff = store.find_staff_login(db, login.strip())
    stored = staff["password_hash"] if staff and staff["password_hash"] else _unknown_account_hash()
    matches = password_matches(stored, password)
    return staff if staff and staff["password_hash"] and matches else None


_UNKNOWN_ACCOUNT_HASH: list[str] = []


def _unknown_account_hash() -> str:
    if not _UNKNOWN_ACCOUNT_HASH:  # made once per process, with the same method as real passwords
        _UNKNOWN_ACCOUNT_HASH.append(hash_password(secrets.token_urlsafe(16)))
    return _UNKNOWN_ACCOUNT_HASH[0]


# --- login throttling -------------------------------------------------------------
# Failed logins are counted per account and per address. From the FREE_FAILURES-th on, each
# further try waits a delay that doubles (2 s, 4 s, 8 s ... up to 15 minutes); a try within the
# delay is refused at once with 429 and Retry-After, without checking the password.

FREE_FAILURES = 5
# A refused try is answered only after this pause (a greenlet's sleep, no worker held): a loop of
# guesses then costs the server a few requests a second instead of hundreds of cheap 429s.
REFUSED_LOGIN_PAUSE_S = 1.0
MAX_LOGIN_DELAY = timedelta(minutes=15)
FORGET_FAILURES_AFTER = timedelta(days=1)


def throttle_keys(login: str, address: str | None) -> list[str]:
    return [f"account:{login.strip().lower()[:100]}", f"address:{address or '-'}"]


def login_retry_after(db, keys: list[str], now=None) -> int:
    """Seconds to wait before these keys may try again (0: now)."""
    now = now or clock.utc_now()
    wait = 0.0
    for found in store.login_failures(db, keys):
        if found["failures"] < FREE_FAILURES:
            continue
        delay = min(timedelta(seconds=2 ** (found["failures"] - FREE_FAILURES + 1)), MAX_LOGIN_DELAY)
        until = clock.from_iso(found["last_at"]) + delay
        wait = max(wait, (until - now).total_seconds())
    return math.ceil(wait) if wait > 0 else 0


def record_login(db, keys: list[str], succeeded: bool, now=None):
    now = now or clock.utc_now()
    with store.immediate(db):
        if succeeded:
            store.clear_login_failures(db, keys[0])  # the account; an address stays suspect
        else:
            for key in keys:
                store.record_login_failure(db, key, clock.to_iso(now))
        store.forget_login_failures_before(db, clock.to_iso(now - FORGET_FAILURES_AFTER))


def end_sessions(db, staff_id: int):
    """Every login session and remember cookie of this account stops working (inside a write)."""
    store.bump_session_generation(db, staff_id)


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
