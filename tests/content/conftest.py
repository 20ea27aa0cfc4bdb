"""Fixtures of the content tests: a content store under tmp_path and the fixture website."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest
import requests

from content.store import ContentStore
from queue_server import store as hall_store
from queue_server.accounts import set_password

ADMIN_PASSWORD = "secret123"


def _load_fixture_module():
    """tests/content is no package (its name would shadow `content`); load the helper by path."""
    name = "content_fixture_site"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(name + ".py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


fixture_site = _load_fixture_module()


@pytest.fixture
def content_store(tmp_path):
    store = ContentStore(tmp_path / "content.db")
    yield store
    store.close()


@pytest.fixture
def county_site():
    site = fixture_site.build_county_site()
    yield site
    site.close()


@pytest.fixture
def admin_session(live_server, hall_config) -> tuple[requests.Session, str]:
    """周管理 logged in to the live server: the session and its CSRF token for form posts."""
    db = hall_store.connect(hall_config["server"]["database"])
    set_password(db, "周管理", ADMIN_PASSWORD)
    db.conn.close()
    browser = requests.Session()
    page = browser.get(live_server.url + "/login").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    browser.post(live_server.url + "/login", data={"login": "周管理", "password": ADMIN_PASSWORD, "csrf_token": csrf})
    return browser, csrf
