"""Fixtures of the admin / statistics tests: a demo hall with passwords, a clock the tests turn,
and browser-like sessions (login + CSRF) against a real server on 127.0.0.1."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
import requests

from queue_server import clock, store
from queue_server.accounts import set_password

PASSWORD = "demo1234"


class TurnableClock:
    """The hall's clock for a test: starts at `start` (UTC) and moves only when told."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def hall_clock(monkeypatch):
    # Monday 2 March 2026, 08:30 in Beijing
    turnable = TurnableClock(datetime(2026, 3, 2, 0, 30, tzinfo=timezone.utc))
    monkeypatch.setattr(clock, "utc_now", turnable)
    return turnable


@pytest.fixture
def passwords(hall_config):
    db = store.connect(hall_config["server"]["database"])
    for person in store.list_staff(db):
        set_password(db, person["name"], PASSWORD)
    db.conn.close()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


class Browser:
    """A logged-in browser session: GETs pages, POSTs forms with the CSRF token."""

    def __init__(self, base: str, login: str):
        self.base, self.session = base, requests.Session()
        page = self.session.get(base + "/login")
        response = self.session.post(base + "/login", data={"login": login, "password": PASSWORD,
                                                            "csrf_token": csrf_of(page.text)},
                                     allow_redirects=False)
        assert response.status_code == 302, response.text
        self.csrf = csrf_of(self.session.get(base + "/login").text)

    def get(self, path, **kwargs):
        return self.session.get(self.base + path, allow_redirects=False, **kwargs)

    def post(self, path, data=None, **kwargs):
        return self.session.post(self.base + path, data={**(data or {}), "csrf_token": self.csrf},
                                 allow_redirects=False, **kwargs)


@pytest.fixture
def admin_browser(live_server, passwords):
    return Browser(live_server.url, "周管理")


@pytest.fixture
def staff_browser(live_server, passwords):
    return Browser(live_server.url, "王丽")
