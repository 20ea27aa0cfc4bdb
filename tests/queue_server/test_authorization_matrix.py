"""Who may do what, as one table: every route of the app (read from its url_map, so a route added
without a row here fails the test) against every kind of caller — nobody, a kiosk, the evaluator
devices of windows 1 and 2, the staff holding windows 1 and 2, and an admin.

A row names the roles the route lets through; every other role must be turned away: 401/403 from
the API, the login page (302) or 403 from a page. A role let through must not be turned away (a
domain refusal such as 404 or 409 for a request it may make is fine: the door was open). Roles
turned away go first on each row, so that the request of an allowed role cannot change what they
would have met (a ticket already cancelled answers 409 to anyone)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from content.store import ContentStore
from helpers import bearer, signed_in_client
from queue_server import store
from queue_server.accounts import issue_staff_token, register_kiosk

API = "/api/v1"
ROLES = ("anonymous", "kiosk", "evaluator1", "evaluator2", "staff1", "staff2", "admin")
EVERYONE = frozenset(ROLES)
STAFF = frozenset({"staff1", "staff2", "admin"})
ADMIN = frozenset({"admin"})
WINDOW1 = frozenset({"staff1", "admin"})       # the staff holding window 1, or an admin
KIOSK = frozenset({"kiosk"})
KIOSK_OR_STAFF = frozenset({"kiosk"}) | STAFF
LOGGED_IN = STAFF                              # pages that need a login of any role
# what a well-formed request of these window actions carries (the shape is checked before the window)
ACTION_BODIES = {"requeue": {"number": "A001"}, "transfer": {"service_id": 2}}
SERVICE_OF_WINDOW_1 = 1                         # 最低生活保障申请: window 1 serves it, window 2 does not


class Hall:
    """The state every row needs: windows 1 and 2 held, tickets in each state, ratings, a case."""

    def __init__(self, app, tokens):
        self.app, self.tokens = app, tokens
        self.clients = {}
        for role in ROLES:
            if role in ("staff1", "staff2", "admin"):
                name = {"staff1": "王丽", "staff2": "赵建国", "admin": "周管理"}[role]
                client, headers = signed_in_client(app, name), {}
            else:
                client = signed_in_client_without_login(app)
                headers = bearer(tokens[role]) if role != "anonymous" else {}
            self.clients[role] = (client, headers)
        kiosk = self.api_as("kiosk")
        self.hold_windows()
        self.served = self.finished_ticket()                 # for the evaluator's rating
        rated_bad, rated_good = self.finished_ticket(), self.finished_ticket()
        for ticket, level in ((rated_bad, 1), (rated_good, 5)):
            answer = kiosk.post(f"{API}/tickets/{ticket['token']}/evaluation",
                                json={"level": level, "reasons": ["态度不好"] if level == 1 else []})
            assert answer.status_code == 201, answer.get_json()
        self.for_citizen_rating = self.finished_ticket()
        self.waiting = self.issue()                           # for cancel by staff
        self.waiting_for_citizen = self.issue()               # for cancel by its token
        db = store.connect(app.config["GOVHALL"]["server"]["database"])
        self.evaluation_id = store.get_evaluation_for_ticket(db, rated_good["id"])["id"]
        self.case_id = store.get_followup_case_by_evaluation(
            db, store.get_evaluation_for_ticket(db, rated_bad["id"])["id"])["id"]
        self.other_staff_id = store.find_staff_login(db, "刘晓燕")["id"]
        issue_staff_token(db, "刘晓燕")
        self.other_token_id = store.list_staff_tokens(db, self.other_staff_id)[0]["id"]
        self.other_kiosk_id, _ = register_kiosk(db, "二号自助机")
        self.window3_id = store.get_window(db, 3)["id"]
        db.conn.close()
        with ContentStore(app.config["GOVHALL"]["content"]["database"]) as content:
            self.document_id, _ = content.upsert_document({"title": "关于冬季办公时间的通知", "body": "正文",
                                                           "source_url": "https://county.example/1.html"})
            self.announcement_id = content.save_announcement({"title": "元旦放假安排"})
            content.save_guide({"service": "最低生活保障申请", "conditions": "持本县户籍的困难家庭"})

    def api_as(self, role):
        client, headers = self.clients[role]

        class As:
            def post(self, path, **kwargs):
                return client.post(path, headers=headers, **kwargs)

        return As()

    def hold_windows(self):
        """Before each row: staff 1 holds window 1 and staff 2 window 2, both open."""
        for role, number in (("staff1", 1), ("staff2", 2)):
            client, _ = self.clients[role]
            answer = client.post(f"{API}/windows/{number}/open", json={}, headers={"X-CSRFToken": client.csrf})
            assert answer.status_code == 200, answer.get_json()

    def issue(self) -> dict:
        answer = self.api_as("kiosk").post(f"{API}/tickets", json={"service_id": SERVICE_OF_WINDOW_1})
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()

    def finished_ticket(self) -> dict:
        ticket = self.issue()
        client, _ = self.clients["staff1"]
        for action in ("call-next", "finish"):
            answer = client.post(f"{API}/windows/1/{action}", json={}, headers={"X-CSRFToken": client.csrf})
            assert answer.status_code == 200, answer.get_json()
        return ticket


def signed_in_client_without_login(app):
    """A browser with a session (and so a CSRF token) but no login: what a device or stranger has."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    client.csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    return client


def matrix(hall: Hall) -> list[tuple]:
    """(method, rule, path, body, roles let through[, every role's answer]). The rule is the url_map's."""
    h = hall
    token_w, token_c, done = h.waiting_for_citizen["token"], h.for_citizen_rating["token"], h.served
    rows = [
        ("GET", "/", "/", None, EVERYONE),
        ("GET", "/favicon.ico", "/favicon.ico", None, EVERYONE),
        ("GET", "/static/<path:filename>", "/static/base.css", None, EVERYONE),
        ("GET", "/login", "/login", None, EVERYONE),
        # a wrong password is 401 (then 429 when the address tried too often) for everyone alike
        ("POST", "/login", "/login", {"login": "无此人", "password": "x"}, EVERYONE, {401, 429}),
        ("GET", "/display", "/display", None, EVERYONE),
        ("GET", "/display/window/<int:number>", "/display/window/1", None, EVERYONE),
        ("GET", "/display/window/<int:number>/photo", "/display/window/1/photo", None, EVERYONE),
        ("GET", "/evaluate/<int:number>", "/evaluate/1", None, EVERYONE),
        ("GET", "/t/<token>", f"/t/{token_w}", None, EVERYONE),
        ("GET", "/staff", "/staff", None, LOGGED_IN),
        ("GET", "/staff/appointments", "/staff/appointments", None, LOGGED_IN),
        ("POST", "/staff/appointments", "/staff/appointments", {"service_id": "1"}, LOGGED_IN),
        ("GET", "/book", "/book", None, EVERYONE),
        ("POST", "/book", "/book", {"service_id": "1"}, EVERYONE),
        ("GET", "/book/<code>", "/book/ZZZZZZ", None, EVERYONE),
        ("POST", "/book/<code>/cancel", "/book/ZZZZZZ/cancel", None, EVERYONE),
        # --- the API: public
        ("GET", f"{API}/healthz", f"{API}/healthz", None, EVERYONE),
        ("GET", f"{API}/openapi.json", f"{API}/openapi.json", None, EVERYONE),
        ("GET", f"{API}/services", f"{API}/services", None, EVERYONE),
        ("GET", f"{API}/display", f"{API}/display", None, EVERYONE),
        ("GET", f"{API}/stream", f"{API}/stream", None, EVERYONE),
        ("GET", f"{API}/announcements/<int:event_id>.wav", f"{API}/announcements/999999.wav", None, EVERYONE),
        ("GET", f"{API}/tickets/<token>", f"{API}/tickets/{token_w}", None, EVERYONE),
        ("POST", f"{API}/tickets/<token>/cancel", f"{API}/tickets/{token_w}/cancel", None, EVERYONE),
        ("POST", f"{API}/tickets/<token>/evaluation", f"{API}/tickets/{token_c}/evaluation", {"level": 5}, EVERYONE),
        ("GET", f"{API}/content", f"{API}/content", None, EVERYONE),
        ("GET", f"{API}/content/search", f"{API}/content/search?q=低保", None, EVERYONE),
        ("GET", f"{API}/content/documents", f"{API}/content/documents", None, EVERYONE),
        ("GET", f"{API}/content/documents/<int:document_id>", f"{API}/content/documents/{h.document_id}", None,
         EVERYONE),
        ("GET", f"{API}/content/categories", f"{API}/content/categories", None, EVERYONE),
        ("GET", f"{API}/content/guides", f"{API}/content/guides", None, EVERYONE),
        ("GET", f"{API}/content/guides/<path:service_name>", f"{API}/content/guides/最低生活保障申请", None, EVERYONE),
        ("GET", f"{API}/content/announcements", f"{API}/content/announcements", None, EVERYONE),
        ("GET", f"{API}/appointments/slots", f"{API}/appointments/slots?service_id=1&date=2026-12-01", None,
         EVERYONE),
        ("GET", f"{API}/appointments/days", f"{API}/appointments/days?service_id=1", None, EVERYONE),
        ("POST", f"{API}/appointments", f"{API}/appointments", {"service_id": 1}, EVERYONE),
        ("GET", f"{API}/appointments/<booking_code:code>", f"{API}/appointments/ZZZZZZ", None, EVERYONE),
        ("POST", f"{API}/appointments/<booking_code:code>/cancel", f"{API}/appointments/ZZZZZZ/cancel", None, EVERYONE),
        # --- the API: devices
        ("POST", f"{API}/tickets", f"{API}/tickets", {"service_id": 1}, KIOSK_OR_STAFF),
        ("GET", f"{API}/kiosks/me", f"{API}/kiosks/me", None, KIOSK),
        ("GET", f"{API}/kiosks/id-hash-key", f"{API}/kiosks/id-hash-key", None, KIOSK),
        ("POST", f"{API}/kiosks/<int:kiosk_id>/heartbeat", f"{API}/kiosks/{h.tokens['kiosk_id']}/heartbeat",
         {"printer_status": "ok"}, KIOSK | ADMIN),
        ("POST", f"{API}/kiosks/<int:kiosk_id>/help", f"{API}/kiosks/{h.tokens['kiosk_id']}/help", None, KIOSK),
        ("POST", f"{API}/appointments/<booking_code:code>/check-in", f"{API}/appointments/ZZZZZZ/check-in", None,
         KIOSK_OR_STAFF),
        ("POST", f"{API}/appointments/check-in", f"{API}/appointments/check-in", {}, KIOSK_OR_STAFF),
        # the evaluator of the window that served the ticket, nobody else (staff never rate)
        ("POST", f"{API}/evaluations", f"{API}/evaluations", {"ticket_id": done["id"], "level": 5},
         frozenset({"evaluator1"})),
        # --- the API: staff, and the staff of one window
        ("GET", f"{API}/windows", f"{API}/windows", None, STAFF),
        ("GET", f"{API}/windows/<int:number>", f"{API}/windows/1", None, STAFF),
        ("GET", f"{API}/appointments", f"{API}/appointments", None, STAFF),
        ("POST", f"{API}/tickets/<int:ticket_id>/cancel-by-staff",
         f"{API}/tickets/{h.waiting['id']}/cancel-by-staff", None, WINDOW1),
        # --- the API: admins
        ("GET", f"{API}/kiosks", f"{API}/kiosks", None, ADMIN),
        ("PUT", f"{API}/appointments/capacity", f"{API}/appointments/capacity", {"service_id": 1, "capacity": 3},
         ADMIN),
        ("POST", f"{API}/appointments/slots/close", f"{API}/appointments/slots/close",
         {"service_id": 1, "date": "2099-01-05"}, ADMIN),
        ("POST", f"{API}/appointments/slots/reopen", f"{API}/appointments/slots/reopen",
         {"service_id": 1, "date": "2099-01-05"}, ADMIN),
        ("POST", f"{API}/evaluations/<int:evaluation_id>/void", f"{API}/evaluations/{h.evaluation_id}/void",
         {"reason": "评价器误触"}, ADMIN),
    ]
    # every window action, on window 1: its holder or an admin; taking a window is for any staff member
    # (the domain says 409 when someone holds it)
    for action in ("open", "close", "pause", "resume", "call-next", "recall", "start", "no-show", "hold",
                   "requeue", "finish", "transfer"):
        rows.append(("POST", f"{API}/windows/<int:number>/<action>", f"{API}/windows/1/{action}",
                     ACTION_BODIES.get(action, {}), STAFF if action == "open" else WINDOW1))
    admin_pages = [
        ("GET", "/admin/", "/admin/", None),
        ("POST", "/admin/notices", "/admin/notices", {"notices": "今日下午停电检修"}),
        ("GET", "/admin/departments", "/admin/departments", None),
        ("POST", "/admin/departments", "/admin/departments", {"name": "县档案馆"}),
        ("POST", "/admin/departments/<int:department_id>", "/admin/departments/1", {"name": "县民政局"}),
        ("POST", "/admin/departments/<int:department_id>/delete", "/admin/departments/1/delete", None),
        ("GET", "/admin/services", "/admin/services", None),
        ("GET", "/admin/services/new", "/admin/services/new", None),
        ("POST", "/admin/services/new", "/admin/services/new", {"name": ""}),
        ("GET", "/admin/services/<int:service_id>", "/admin/services/5", None),
        ("POST", "/admin/services/<int:service_id>", "/admin/services/5", {"name": ""}),
        ("POST", "/admin/services/<int:service_id>/enabled", "/admin/services/5/enabled", {"enabled": "1"}),
        ("POST", "/admin/services/<int:service_id>/retired", "/admin/services/5/retired", {"retired": "0"}),
        ("GET", "/admin/windows", "/admin/windows", None),
        ("POST", "/admin/windows", "/admin/windows", {"number": ""}),
        ("GET", "/admin/windows/<int:window_id>", f"/admin/windows/{h.window3_id}", None),
        ("POST", "/admin/windows/<int:window_id>", f"/admin/windows/{h.window3_id}", {"name": ""}),
        ("POST", "/admin/windows/<int:window_id>/evaluator-keys", f"/admin/windows/{h.window3_id}/evaluator-keys",
         None),
        ("POST", "/admin/windows/<int:window_id>/state", f"/admin/windows/{h.window3_id}/state", {"action": "x"}),
        ("POST", "/admin/windows/<int:window_id>/retired", f"/admin/windows/{h.window3_id}/retired",
         {"retired": "0"}),
        ("GET", "/admin/staff", "/admin/staff", None),
        ("POST", "/admin/staff", "/admin/staff", {"name": ""}),
        ("GET", "/admin/staff/<int:staff_id>", f"/admin/staff/{h.other_staff_id}", None),
        ("POST", "/admin/staff/<int:staff_id>", f"/admin/staff/{h.other_staff_id}", {"name": ""}),
        ("POST", "/admin/staff/<int:staff_id>/password", f"/admin/staff/{h.other_staff_id}/password",
         {"password": "1"}),
        ("POST", "/admin/staff/<int:staff_id>/photo", f"/admin/staff/{h.other_staff_id}/photo", None),
        ("POST", "/admin/staff/<int:staff_id>/tokens", f"/admin/staff/{h.other_staff_id}/tokens", None),
        ("POST", "/admin/tokens/<int:token_id>/revoke", f"/admin/tokens/{h.other_token_id}/revoke", None),
        ("GET", "/admin/kiosks", "/admin/kiosks", None),
        ("POST", "/admin/kiosks", "/admin/kiosks", {"name": ""}),
        ("POST", "/admin/kiosks/<int:kiosk_id>/revoke", f"/admin/kiosks/{h.other_kiosk_id}/revoke", None),
        ("GET", "/admin/calendar", "/admin/calendar", None),
        ("POST", "/admin/calendar", "/admin/calendar", {"day": "2099-01-01", "kind": "holiday"}),
        ("POST", "/admin/calendar/<day>/delete", "/admin/calendar/2099-01-01/delete", None),
        ("GET", "/admin/events", "/admin/events", None),
        ("GET", "/admin/stats", "/admin/stats", None),
        ("GET", "/admin/stats/chart/<name>.png", "/admin/stats/chart/no-such-chart.png", None),
        ("GET", "/admin/stats/export.<fmt>", "/admin/stats/export.no-such-format", None),
        ("GET", "/admin/report.txt", "/admin/report.txt", None),
        ("GET", "/admin/followup", "/admin/followup", None),
        ("GET", "/admin/followup/<int:case_id>", f"/admin/followup/{h.case_id}", None),
        ("POST", "/admin/followup/<int:case_id>/<action>", f"/admin/followup/{h.case_id}/callback",
         {"note": "已电话回访"}),
        ("GET", "/admin/ranking", "/admin/ranking", None),
        ("GET", "/admin/evaluations", "/admin/evaluations", None),
        ("GET", "/admin/evaluations/<int:evaluation_id>", f"/admin/evaluations/{h.evaluation_id}", None),
        ("POST", "/admin/evaluations/<int:evaluation_id>/void", f"/admin/evaluations/{h.evaluation_id}/void",
         {"reason": "评价器误触"}),
        ("GET", "/admin/appointments", "/admin/appointments", None),
        ("POST", "/admin/appointments/capacity", "/admin/appointments/capacity", {"service_id": "1"}),
        ("POST", "/admin/appointments/close", "/admin/appointments/close", {"service_id": "1", "day": "2099-01-05"}),
        ("POST", "/admin/appointments/reopen", "/admin/appointments/reopen", {"service_id": "1", "day": "2099-01-05"}),
        ("POST", "/admin/appointments/purge-id-hashes", "/admin/appointments/purge-id-hashes", {"days": "30"}),
        ("GET", "/admin/content/", "/admin/content/", None),
        ("GET", "/admin/content/announcements", "/admin/content/announcements", None),
        ("POST", "/admin/content/announcements", "/admin/content/announcements", {"title": "春节安排"}),
        ("POST", "/admin/content/announcements/<int:announcement_id>/delete",
         f"/admin/content/announcements/{h.announcement_id}/delete", None),
        ("GET", "/admin/content/documents", "/admin/content/documents", None),
        ("GET", "/admin/content/documents/<int:document_id>", f"/admin/content/documents/{h.document_id}", None),
        ("POST", "/admin/content/documents/<int:document_id>/flags", f"/admin/content/documents/{h.document_id}/flags",
         {"pinned": "1"}),
        ("GET", "/admin/content/guides", "/admin/content/guides", None),
        ("POST", "/admin/content/guides", "/admin/content/guides", {"service": "最低生活保障申请"}),
        ("GET", "/admin/content/guides/edit", "/admin/content/guides/edit?service=最低生活保障申请", None),
        ("POST", "/admin/content/guides/delete", "/admin/content/guides/delete", {"service": "最低生活保障申请"}),
        ("GET", "/admin/content/sync", "/admin/content/sync", None),
        ("POST", "/admin/content/sync", "/admin/content/sync", None),
        ("POST", "/admin/content/sync/held/<int:held_id>/accept", "/admin/content/sync/held/999/accept", None),
        ("POST", "/admin/content/sync/held/<int:held_id>/discard", "/admin/content/sync/held/999/discard", None),
    ]
    rows += [(method, rule, path, data, ADMIN) for method, rule, path, data in admin_pages]
    # staff photos are the public badge of the window displays (监督岗牌)
    rows.append(("GET", "/admin/photos/<name>", "/admin/photos/none.jpg", None, EVERYONE))
    # last: logging out ends the sessions the rows above used; anyone may, and lands on the login page
    rows.append(("POST", "/logout", "/logout", None, EVERYONE, {302}))
    return rows


# GET rows that name nothing on purpose (what is asked there is whether the door opens): 404 for those let in
NOTHING_THERE = {f"{API}/announcements/999999.wav", "/admin/stats/chart/no-such-chart.png",
                 "/admin/stats/export.no-such-format", "/admin/photos/none.jpg", f"{API}/appointments/ZZZZZZ",
                 "/book/ZZZZZZ"}


def routes_of(app) -> set[tuple[str, str]]:
    return {(method, rule.rule) for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def send(hall: Hall, role: str, method: str, path: str, data):
    client, headers = hall.clients[role]
    kwargs = {"headers": dict(headers)}
    if method != "GET":
        kwargs["headers"]["X-CSRFToken"] = client.csrf
        if path.startswith(API):
            kwargs["json"] = data if data is not None else {}
        else:
            kwargs["data"] = {**(data or {}), "csrf_token": client.csrf}
    if path.endswith("/stream"):
        response = client.open(path, method=method, buffered=False, **kwargs)
        response.close()  # an endless stream: the status and headers are the answer
        return response
    return client.open(path, method=method, **kwargs)


def turned_away(path: str, response) -> bool:
    if response.status_code in (401, 403):
        return True
    return response.status_code in (302, 303) and urlsplit(response.location).path == "/login" \
        and not path.startswith(API)


@pytest.fixture
def hall(app, tokens):
    return Hall(app, tokens)


def test_every_route_lets_through_exactly_the_roles_of_its_row(app, hall):
    rows = matrix(hall)
    covered = [(row[0], row[1]) for row in rows]  # a route may have several rows (each window action)
    missing = routes_of(app) - set(covered)
    assert not missing, f"routes without a row in the authorization matrix: {sorted(missing)}"
    stale = set(covered) - routes_of(app)
    assert not stale, f"rows for routes the app no longer has: {sorted(stale)}"

    wrong = []
    for row in rows:
        method, rule, path, data, allowed = row[:5]
        answers = row[5] if len(row) > 5 else None
        hall.hold_windows()
        # roles turned away first: an allowed role's request must not change what they meet
        for role in sorted(ROLES, key=lambda r: r in allowed):
            response = send(hall, role, method, path, data)
            status = response.status_code
            if status >= 500:
                wrong.append(f"{method} {path} as {role}: {status}")
            elif answers is not None:
                if status not in answers:
                    wrong.append(f"{method} {path} as {role}: {status}, expected one of {sorted(answers)}")
            elif role in allowed and turned_away(path, response):
                wrong.append(f"{method} {path} as {role}: turned away ({status}) but its row lets it through")
            elif role in allowed and method == "GET" and status != (404 if path in NOTHING_THERE else 200):
                wrong.append(f"{method} {path} as {role}: {status}, but a page or answer it may read is 200")
            elif role not in allowed and not turned_away(path, response):
                wrong.append(f"{method} {path} as {role}: let through ({status}) but its row turns it away")
    assert not wrong, "\n".join(wrong)
