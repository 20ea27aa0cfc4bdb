"""Headers on every page and answer: a CSP without inline script, no framing, nosniff, a referrer
policy; `Allow` on 405; cookies marked Secure when the hall is served over https."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from queue_server.web.app import create_app, secure_cookies

TEMPLATES = Path(__file__).resolve().parents[2] / "queue_server" / "templates"


@pytest.mark.parametrize("path", ["/", "/login", "/display", "/display/window/1", "/evaluate/1", "/book",
                                  "/api/v1/services", "/api/v1/display", "/no-such-page", "/t/no-such-ticket"])
def test_every_answer_carries_the_security_headers(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain http in the tests


def test_no_template_has_inline_script_or_event_handlers():
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag or 'type="application/json"' in tag, (template, tag)
        assert not re.search(r"\son[a-z]+\s*=", text), template
        assert "javascript:" not in text, template


def test_a_405_says_which_methods_are_allowed(client):
    api = client.get("/api/v1/tickets")
    assert api.status_code == 405 and api.get_json()["error"]
    assert set(api.headers["Allow"].replace(" ", "").split(",")) >= {"POST"}
    page = client.put("/login")
    assert page.status_code == 405 and {"GET", "POST"} <= set(page.headers["Allow"].replace(" ", "").split(","))


def test_secure_cookies_follow_public_url_unless_set(hall_config):
    assert secure_cookies(hall_config) is False
    https = dict(hall_config, server=dict(hall_config["server"], public_url="https://hall.example.lan"))
    assert secure_cookies(https) is True
    assert secure_cookies(dict(https, server=dict(https["server"], secure_cookies=False))) is False
    assert secure_cookies(dict(hall_config, server=dict(hall_config["server"], secure_cookies="true"))) is True
    app = create_app(https)
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    response = app.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
