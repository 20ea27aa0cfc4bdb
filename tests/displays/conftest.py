"""Fixtures of the display tests: one real voice pack per session, a hall served with it, and
headless Chromium (Debian's, at /usr/bin/chromium) driven by Playwright."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests
from playwright.sync_api import sync_playwright

from helpers import ARTIFACTS, LiveServer, ServerProcess, bearer, make_hall
from queue_server import store
from queue_server.accounts import issue_staff_token, register_evaluator, register_kiosk, set_password
from queue_server.config import load_config
from queue_server.voice import build_default_pack

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync",
                 # the hall's speaker display is started this way too: a TV has nobody to tap "allow sound"
                 "--autoplay-policy=no-user-gesture-required"]
PASSWORD = "test1234"
SCREENSHOTS = ARTIFACTS / "displays"


@pytest.fixture(scope="session")
def voice_pack(tmp_path_factory) -> Path:
    """The default pack, built once with the real espeak-ng and sox."""
    folder = tmp_path_factory.mktemp("voice")
    config = load_config(environ={})
    build_default_pack(config, folder)
    return folder


@pytest.fixture
def hall(tmp_path, voice_pack) -> dict:
    """A demo hall (all services open) whose staff can log in, speaking with the session's pack."""
    config = make_hall(tmp_path)
    config["server"]["voice_dir"] = str(voice_pack)
    db = store.connect(config["server"]["database"])
    for name in ("王丽", "赵建国", "周管理"):
        set_password(db, name, PASSWORD)
    db.conn.close()
    return config


@pytest.fixture
def tokens(hall) -> dict:
    """Bearer tokens in this hall: a kiosk, 王丽 (staff1), 赵建国 (staff2), 周管理 (admin)."""
    db = store.connect(hall["server"]["database"])
    _, kiosk = register_kiosk(db, "测试自助机")
    result = {"kiosk": kiosk, "staff1": issue_staff_token(db, "王丽"), "staff2": issue_staff_token(db, "赵建国"),
              "admin": issue_staff_token(db, "周管理")}
    db.conn.close()
    return result


@pytest.fixture
def server(hall):
    live = LiveServer(hall)
    yield live
    live.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser):
    # Playwright's wait_for_function evaluates its predicate with eval, which the pages' CSP forbids;
    # the pages under their real CSP are tried in test_browser.test_the_pages_run_under_their_csp
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", bypass_csp=True)
    yield context
    context.close()


def open_page(context, url, width=1920, height=1080):
    """A page at a real screen size that records its JavaScript errors."""
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": height})
    page.js_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    page.goto(url)
    return page


def screenshot(page, name) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def login(context, base_url, name="王丽", password=PASSWORD, width=1366, height=768):
    page = open_page(context, base_url + "/login?next=/staff", width, height)
    page.fill("input[name=login]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/staff")
    return page


def take_window(page, number):
    page.click(f'#window-list button[data-window="{number}"]')
    page.wait_for_selector("#desk:not([hidden])")
    page.wait_for_function(f"document.getElementById('desk-window').textContent === '{number}号窗口'")


def db_of(config):
    return store.connect(config["server"]["database"])


def events(config, type_=None) -> list[dict]:
    db = db_of(config)
    try:
        found = store.events_after(db, 0, limit=100_000)
    finally:
        db.conn.close()
    return [e for e in found if type_ is None or e["type"] == type_]


def wait_until(check, timeout=10.0, interval=0.05):
    """Polls `check` until it returns something truthy; returns it, or fails the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s: {check}")


class Api:
    """The JSON API as a kiosk or a staff member's script uses it."""

    def __init__(self, base_url, token):
        self.base_url, self.headers = base_url, bearer(token)

    def post(self, path, body=None, expect=(200, 201)):
        response = requests.post(self.base_url + "/api/v1" + path, json=body or {}, headers=self.headers, timeout=10)
        assert response.status_code in expect, response.text
        return response.json()

    def issue(self, service_id):
        return self.post("/tickets", {"service_id": service_id})


def service_id(config, name) -> int:
    db = db_of(config)
    try:
        return store.get_service_by_name(db, name)["id"]
    finally:
        db.conn.close()


def evaluator_key(config, window) -> str:
    db = db_of(config)
    try:
        return register_evaluator(db, window)
    finally:
        db.conn.close()



PatientServerProcess = ServerProcess  # the shared one waits out a slow first answer

