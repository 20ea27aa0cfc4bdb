"""The JSON API: on Flask's test client where no socket is needed, over a real HTTP server on
127.0.0.1 for concurrency, streams and browser sessions."""

from __future__ import annotations

import json
import re
import threading

import pytest
import requests

from helpers import bearer, call_api

API = "/api/v1"


def post(server, path, token=None, headers=None, **kw):
    headers = {**(bearer(token) if token else {}), **(headers or {})}
    return call_api(server, "POST", API + path, headers, **kw)


def get(server, path, token=None, **kw):
    return call_api(server, "GET", API + path, bearer(token) if token else {}, **kw)


def assert_error(response, status, code):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code and body["message"], body


def test_public_routes_need_no_token(client):
    assert get(client, "/healthz").json()["status"] == "ok"
    spec = get(client, "/openapi.json").json()
    assert "/tickets" in spec["paths"] and "/windows/{number}/call-next" in spec["paths"]
    departments = get(client, "/services").json()["departments"]
    assert len(departments) >= 8
    service = departments[0]["services"][0]
    assert {"id", "name", "prefix", "category", "open", "waiting", "estimated_wait_min"} <= set(service)
    assert get(client, "/display").json()["hall"]


def test_no_token_gets_nothing_but_public_routes(client):
    assert_error(post(client, "/tickets", json={"service_id": 1}), 401, "unauthorized")
    assert_error(post(client, "/windows/1/call-next"), 401, "unauthorized")
    assert_error(get(client, "/windows/1"), 401, "unauthorized")
    assert_error(get(client, "/kiosks"), 401, "unauthorized")
    assert_error(post(client, "/evaluations", json={"ticket_id": 1, "level": 5}), 401, "unauthorized")
    assert_error(post(client, "/tickets", "not-a-token", json={"service_id": 1}), 401, "unauthorized")


def test_kiosk_token_cannot_call_numbers_or_see_kiosks(client, tokens):
    assert post(client, "/tickets", tokens["kiosk"], json={"service_id": 1}).status_code == 201
    assert_error(post(client, "/windows/1/open", tokens["kiosk"]), 403, "forbidden")
    assert_error(post(client, "/windows/1/call-next", tokens["kiosk"]), 403, "forbidden")
    assert_error(get(client, "/kiosks", tokens["kiosk"]), 403, "forbidden")
    assert_error(post(client, "/kiosks/999/heartbeat", tokens["kiosk"], json={}), 403, "forbidden")


def test_staff_token_cannot_manage_or_act_on_anothers_window(client, tokens):
    assert_error(get(client, "/kiosks", tokens["staff1"]), 403, "forbidden")
    assert post(client, "/windows/1/open", tokens["staff1"]).status_code == 200
    assert_error(post(client, "/windows/1/call-next", tokens["staff2"]), 403, "forbidden")
    assert get(client, "/kiosks", tokens["admin"]).status_code == 200


def test_clear_errors_for_bad_input(client, tokens):
    kiosk, staff = tokens["kiosk"], tokens["staff1"]
    assert_error(post(client, "/tickets", kiosk, data="{not json",
                      headers={"Content-Type": "application/json"}), 400, "bad_request")
    assert_error(post(client, "/tickets", kiosk, json=[1, 2]), 400, "bad_request")
    assert_error(post(client, "/tickets", kiosk, json={}), 400, "bad_request")
    assert_error(post(client, "/tickets", kiosk, json={"service_id": "abc"}), 400, "bad_request")
    assert_error(post(client, "/tickets", kiosk, json={"service_id": 9999}), 404, "unknown_service")
    assert_error(post(client, "/tickets", kiosk, json={"service_id": 1, "priority": 7}), 400, "bad_request")
    assert_error(post(client, "/windows/77/open", staff), 404, "unknown_window")
    assert_error(post(client, "/windows/1/fly", staff), 404, "not_found")
    assert_error(get(client, "/tickets/nope"), 404, "unknown_ticket")
    assert_error(get(client, "/no-such-route"), 404, "not_found")
    post(client, "/windows/1/open", staff)
    assert_error(post(client, "/windows/1/call-next", staff), 409, "queue_empty")
    assert_error(post(client, "/windows/1/recall", staff), 409, "wrong_state")
    post(client, "/windows/1/pause", staff, json={"reason": "午休"})
    post(client, "/tickets", kiosk, json={"service_id": 1})
    assert_error(post(client, "/windows/1/call-next", staff), 409, "window_paused")
    assert_error(post(client, "/windows/1/hold", staff, json={"after": "x"}), 400, "bad_request")
    assert_error(post(client, "/evaluations", tokens["evaluator1"], json={"ticket_id": 1, "level": 9}), 400,
                 "bad_request")


def test_closed_service_and_full_cap_are_409(client, tokens, hall_db):
    hall_db.execute("UPDATE service SET enabled = 0 WHERE id = 2")
    assert_error(post(client, "/tickets", tokens["kiosk"], json={"service_id": 2}), 409, "service_closed")
    hall_db.execute("UPDATE service SET daily_cap = 1 WHERE id = 3")
    assert post(client, "/tickets", tokens["kiosk"], json={"service_id": 3}).status_code == 201
    response = post(client, "/tickets", tokens["kiosk"], json={"service_id": 3})
    assert_error(response, 409, "daily_cap_reached")
    assert response.json()["daily_cap"] == 1


def test_full_ticket_cycle_and_status_by_token(client, tokens):
    issued = post(client, "/tickets", tokens["kiosk"], json={"service_id": 1}).json()
    assert re.fullmatch(r"A\d{3}", issued["number"]) and issued["ahead"] == 0
    assert issued["status_url"].endswith("/t/" + issued["token"])
    staff = tokens["staff1"]
    post(client, "/windows/1/open", staff)
    called = post(client, "/windows/1/call-next", staff).json()
    assert called["number"] == issued["number"] and called["window"] == 1
    status = get(client, f"/tickets/{issued['token']}").json()
    assert status["status"] == "called" and status["window"] == 1
    assert "token" not in called  # a window never sees the citizen's token
    finished = post(client, "/windows/1/finish", staff, json={"outcome": "办结"}).json()
    assert finished["status"] == "done"
    evaluator = tokens["evaluator1"]
    evaluation = post(client, "/evaluations", evaluator, json={"ticket_id": issued["id"], "level": 5})
    assert evaluation.status_code == 201
    assert_error(post(client, "/evaluations", evaluator, json={"ticket_id": issued["id"], "level": 5}), 409,
                 "already_evaluated")


def test_two_windows_calling_at_the_same_instant_never_get_the_same_ticket(live_server, tokens):
    staff_a, staff_b = tokens["staff1"], tokens["staff2"]
    post(live_server, "/windows/2/open", staff_a)
    post(live_server, "/windows/3/open", staff_b)  # windows 2 and 3 both serve 社保 services
    rounds, called = 25, []
    for _ in range(rounds * 2):
        post(live_server, "/tickets", tokens["kiosk"], json={"service_id": 4})
    for _ in range(rounds):
        barrier = threading.Barrier(2)
        results = {}

        def call(window, token):
            barrier.wait()
            results[window] = post(live_server, f"/windows/{window}/call-next", token).json()

        threads = [threading.Thread(target=call, args=(2, staff_a)), threading.Thread(target=call, args=(3, staff_b))]
        [t.start() for t in threads]
        [t.join() for t in threads]
        assert results[2]["id"] != results[3]["id"]
        called += [results[2]["number"], results[3]["number"]]
        post(live_server, "/windows/2/finish", staff_a)
        post(live_server, "/windows/3/finish", staff_b)
    assert len(called) == len(set(called)) == rounds * 2


def _read_events(response, count):
    events, buffer = [], ""
    for chunk in response.iter_content(chunk_size=None, decode_unicode=True):
        buffer += chunk
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            data = [line[6:] for line in block.splitlines() if line.startswith("data: ")]
            if data:
                events.append(json.loads(data[0]))
                if len(events) == count:
                    return events
    return events


def test_stream_replays_from_last_event_id(live_server, tokens):
    first = post(live_server, "/tickets", tokens["kiosk"], json={"service_id": 1}).json()
    second = post(live_server, "/tickets", tokens["kiosk"], json={"service_id": 1}).json()
    with requests.get(live_server.url + API + "/stream", headers={"Last-Event-ID": str(first["event_id"])},
                      stream=True, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        replayed = _read_events(response, 1)
    assert replayed[0]["id"] == second["event_id"] and replayed[0]["data"]["number"] == second["number"]
    assert "token" not in replayed[0]["data"]


def test_stream_delivers_a_new_call_live(live_server, tokens):
    post(live_server, "/windows/1/open", tokens["staff1"])
    post(live_server, "/tickets", tokens["kiosk"], json={"service_id": 1})
    received = []

    def listen():
        with requests.get(live_server.url + API + "/stream", stream=True, timeout=10) as response:
            received.extend(_read_events(response, 1))

    listener = threading.Thread(target=listen)
    listener.start()
    import time
    time.sleep(0.3)
    called = post(live_server, "/windows/1/call-next", tokens["staff1"]).json()
    listener.join(10)
    assert received and received[0]["type"] == "ticket_called" and received[0]["data"]["number"] == called["number"]


def test_browser_session_needs_csrf_for_writes(live_server):
    from queue_server import store
    from queue_server.accounts import set_password

    db = store.connect(live_server.config["server"]["database"])
    set_password(db, "王丽", "secret123")
    browser = requests.Session()
    page = browser.get(live_server.url + "/login").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    bad = browser.post(live_server.url + "/login", data={"login": "HL001", "password": "wrong", "csrf_token": csrf})
    assert bad.status_code == 401 and "账号或密码错误" in bad.text
    ok = browser.post(live_server.url + "/login", data={"login": "HL001", "password": "secret123", "csrf_token": csrf},
                      allow_redirects=False)
    assert ok.status_code == 302
    assert_error(browser.post(live_server.url + API + "/windows/1/open"), 400, "csrf_failed")
    opened = browser.post(live_server.url + API + "/windows/1/open", headers={"X-CSRFToken": csrf})
    assert opened.status_code == 200 and opened.json()["staff"]["name"] == "王丽"


def test_kiosk_heartbeat(client, tokens):
    kiosk_id = get(client, "/kiosks/me", tokens["kiosk"]).json()["id"]
    beat = post(client, f"/kiosks/{kiosk_id}/heartbeat", tokens["kiosk"],
                json={"printer_status": "paper_out", "content_version": 7})
    assert beat.status_code == 200
    kiosks = get(client, "/kiosks", tokens["admin"]).json()["kiosks"]
    mine = next(k for k in kiosks if k["id"] == kiosk_id)
    assert (mine["printer_status"], mine["content_version"]) == ("paper_out", 7) and mine["last_seen_at"]


def test_numbers_too_big_for_sqlite_and_wrong_types_are_4xx(client, tokens):
    huge = 10**30
    assert_error(post(client, "/tickets", tokens["kiosk"], json={"service_id": huge}), 400, "bad_request")
    assert_error(post(client, "/tickets", tokens["kiosk"], json={"service_id": "9" * 25}), 400, "bad_request")
    assert_error(post(client, "/evaluations", tokens["admin"], json={"ticket_id": huge, "level": 5}), 400,
                 "bad_request")
    assert post(client, f"/windows/{'9' * 25}/open", tokens["staff1"]).status_code == 404
    assert get(client, f"/windows/{'9' * 25}", tokens["staff1"]).status_code == 404
    assert get(client, f"/content/documents/{'9' * 25}").status_code == 404
    assert_error(post(client, "/tickets", tokens["kiosk"], json={"service_id": 1, "appointment_code": {"a": 1}}),
                 400, "bad_request")
    post(client, "/windows/1/open", tokens["staff1"])
    assert_error(post(client, "/windows/1/pause", tokens["staff1"], json={"reason": {"x": 1}}), 400,
                 "bad_request")
    kiosk_id = get(client, "/kiosks/me", tokens["kiosk"]).json()["id"]
    assert_error(post(client, f"/kiosks/{kiosk_id}/heartbeat", tokens["kiosk"], json={"content_version": huge}),
                 400, "bad_request")


def test_unknown_routes_answer_in_chinese(live_server):
    missing = get(live_server, "/nothing-here")
    assert missing.status_code == 404 and "没有" in missing.json()["message"]
    wrong_method = requests.delete(live_server.url + API + "/services", timeout=10)
    assert wrong_method.status_code == 405 and "不支持" in wrong_method.json()["message"]
    page = requests.get(live_server.url + "/no-such-page", timeout=10)
    assert page.status_code == 404 and "没有这个页面" in page.text and "Not Found" not in page.text


@pytest.mark.parametrize("target", ["//evil.example", "/%09/evil.example", "/\t/evil.example", "/\\evil.example",
                                    "https://evil.example/", " /x", "javascript:alert(1)"])
def test_login_never_redirects_off_site(live_server, target):
    from queue_server import store
    from queue_server.accounts import set_password

    db = store.connect(live_server.config["server"]["database"])
    set_password(db, "王丽", "secret123")
    browser = requests.Session()
    page = browser.get(live_server.url + "/login").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = browser.post(live_server.url + "/login", params={"next": target}, allow_redirects=False,
                          data={"login": "王丽", "password": "secret123", "csrf_token": csrf})
    assert answer.status_code == 302
    from urllib.parse import urljoin, urlsplit

    landed = urlsplit(urljoin(live_server.url + "/login", answer.headers["Location"]))
    assert landed.netloc == urlsplit(live_server.url).netloc and landed.scheme == "http"


def test_openapi_lists_every_api_route(client):
    def shape(path):  # parameter names aside: /kiosks/{id}/heartbeat ~ /kiosks/<int:kiosk_id>/heartbeat
        return re.sub(r"\{[^}]*\}", "{}", re.sub(r"<[^>]*>", "{}", path))

    documented = {shape(p) for p in get(client, "/openapi.json").json()["paths"]}
    routes = {shape(rule.rule[len(API):]) for rule in client.application.url_map.iter_rules()
              if rule.rule.startswith(API + "/")}
    # /windows/<n>/<action> is documented action by action
    routes.discard("/windows/{}/{}")
    assert routes - documented == set()
