"""Logins the server can end, and guessing slowed down: logout, a password reset and disabling a
staff member end every session and remember cookie of the account at once; remember-me only when
asked; failed logins per account and per address lead to 429 with Retry-After."""

from __future__ import annotations

import time

import pytest

from queue_server import accounts, hall_admin, store

PASSWORD = "right-horse-7"
REMEMBER = "remember_token"


@pytest.fixture
def hall_with_passwords(hall_config):
    db = store.connect(hall_config["server"]["database"])
    for name in ("王丽", "赵建国", "周管理"):
        accounts.set_password(db, name, PASSWORD)
    yield db
    db.conn.close()


def csrf_of(client, path="/login") -> str:
    import re

    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def log_in(client, login="王丽", password=PASSWORD, remember=False, address="10.0.0.5"):
    form = {"login": login, "password": password, "csrf_token": csrf_of(client)}
    if remember:
        form["remember"] = "1"
    return client.post("/login", data=form, environ_overrides={"REMOTE_ADDR": address})


def logged_in(client) -> bool:
    return client.get("/staff").status_code == 200


def test_remember_me_only_when_asked(app, hall_with_passwords):
    plain = app.test_client()
    assert log_in(plain).status_code == 302
    assert plain.get_cookie(REMEMBER) is None and logged_in(plain)
    remembered = app.test_client()
    assert log_in(remembered, remember=True).status_code == 302
    cookie = remembered.get_cookie(REMEMBER)
    assert cookie is not None and cookie.expires is not None


def test_logout_ends_every_session_and_remember_cookie_of_the_account(app, hall_with_passwords):
    desk, phone = app.test_client(), app.test_client()
    log_in(desk)
    log_in(phone, remember=True)
    remember_cookie = phone.get_cookie(REMEMBER).value
    assert logged_in(desk) and logged_in(phone)
    assert desk.post("/logout", data={"csrf_token": csrf_of(desk, "/staff")}).status_code == 302
    assert not logged_in(desk) and not logged_in(phone)
    # the old remember cookie, alone in a fresh browser, is worth nothing
    thief = app.test_client()
    thief.set_cookie(REMEMBER, remember_cookie)
    assert not logged_in(thief)
    # a new login works again
    log_in(desk)
    assert logged_in(desk)


def test_a_password_reset_and_disabling_end_the_accounts_logins(app, hall_with_passwords):
    db = hall_with_passwords
    admin_id = store.find_staff_login(db, "周管理")["id"]
    wang_id = store.find_staff_login(db, "王丽")["id"]
    browser = app.test_client()
    log_in(browser, remember=True)
    hall_admin.reset_password(db, admin_id, wang_id, "another-pass-9")
    assert not logged_in(browser)
    log_in(browser, password="another-pass-9", remember=True)
    assert logged_in(browser)
    hall_admin.save_staff(db, admin_id, wang_id, "王丽", "HL001", "staff", active=False)
    assert not logged_in(browser)
    hall_admin.save_staff(db, admin_id, wang_id, "王丽", "HL001", "staff", active=True)
    assert not logged_in(browser)  # re-enabling does not bring an old cookie back to life


def test_five_failures_then_a_growing_delay_with_429_and_retry_after(app, hall_with_passwords, monkeypatch):
    browser = app.test_client()
    for _ in range(accounts.FREE_FAILURES):
        assert log_in(browser, password="wrong-guess").status_code == 401
    asked_at = time.monotonic()
    refused = log_in(browser)  # even the right password waits out the delay, unchecked
    assert refused.status_code == 429
    # answered only after a pause, so a guessing loop cannot flood the server with cheap refusals
    assert time.monotonic() - asked_at >= accounts.REFUSED_LOGIN_PAUSE_S
    monkeypatch.setattr(accounts, "REFUSED_LOGIN_PAUSE_S", 0)  # the rest must fall within the 2 s delay
    first_wait = int(refused.headers["Retry-After"])
    assert first_wait >= 1 and "秒后再试" in refused.get_data(as_text=True)
    # the account is held from any address; the address is held for any account
    assert log_in(app.test_client(), address="10.9.9.9").status_code == 429
    assert log_in(app.test_client(), login="赵建国").status_code == 429
    assert log_in(app.test_client(), login="赵建国", address="10.9.9.9").status_code == 302


def test_the_delay_grows_with_each_failure(hall_with_passwords):
    from datetime import timedelta

    from queue_server import clock

    db = hall_with_passwords
    keys = accounts.throttle_keys("王丽", "10.0.0.7")
    now = clock.utc_now()
    waits = []
    for _ in range(accounts.FREE_FAILURES + 4):
        accounts.record_login(db, keys, succeeded=False, now=now)
        waits.append(accounts.login_retry_after(db, keys, now=now))
    assert waits[:accounts.FREE_FAILURES - 1] == [0] * (accounts.FREE_FAILURES - 1)
    assert waits[accounts.FREE_FAILURES - 1:] == [2, 4, 8, 16, 32]
    assert accounts.login_retry_after(db, keys, now=now + timedelta(seconds=33)) == 0
    for _ in range(40):
        accounts.record_login(db, keys, succeeded=False, now=now)
    assert accounts.login_retry_after(db, keys, now=now) == 15 * 60


def test_an_unknown_account_costs_the_same_password_check(hall_with_passwords, monkeypatch):
    checked = []
    real = accounts.password_matches

    def counting(password_hash, password):
        checked.append(password_hash.split("$")[0])
        return real(password_hash, password)

    monkeypatch.setattr(accounts, "password_matches", counting)
    assert accounts.check_login(hall_with_passwords, "王丽", "wrong") is None
    assert accounts.check_login(hall_with_passwords, "没有这个人", "wrong") is None
    assert len(checked) == 2 and checked[0] == checked[1]  # one real hash check each, same method
