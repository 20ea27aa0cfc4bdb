"""The OpenAPI description of /api/v1, served at /api/v1/openapi.json."""

from __future__ import annotations

from ..queue import OUTCOMES
from ..store import MAX_INTEGER

ERROR = {"$ref": "#/components/schemas/Error"}
TICKET = {"$ref": "#/components/schemas/Ticket"}
WINDOW = {"$ref": "#/components/schemas/Window"}
NULLABLE_TEXT = {"type": ["string", "null"]}

# An integer field of a request body: a JSON integer, or (as the server also takes) a string of ASCII
# digits; never beyond what SQLite holds. `pattern` applies to the string form, the bounds to the number.
INTEGER = {"type": ["integer", "string"], "pattern": r"^-?[0-9]{1,18}$",
           "minimum": -MAX_INTEGER, "maximum": MAX_INTEGER}


def text(limit: int, nullable: bool = True) -> dict:
    """An optional text field the server holds to `limit` characters (it refuses longer, never cuts)."""
    return {"type": ["string", "null"] if nullable else "string", "maxLength": limit}


RATING = {"type": "object", "required": ["level"], "properties": {
    "level": {"type": "integer", "minimum": 1, "maximum": 5, "description": "5 非常满意 … 1 非常不满意"},
    "comment": text(500),
    "reasons": {"type": ["array", "null"], "maxItems": 10, "items": {"type": "string", "maxLength": 40}}}}
EVALUATION = {"type": "object", "required": ["id", "ticket_id", "number", "level", "level_name", "source"],
              "properties": {"id": {"type": "integer"}, "ticket_id": {"type": "integer"}, "number": {"type": "string"},
                             "level": {"type": "integer"}, "level_name": {"type": "string"},
                             "comment": {"type": ["string", "null"]},
                             "reasons": {"type": "array", "items": {"type": "string"}},
                             "source": {"type": "string", "enum": ["evaluator", "citizen"]}}}

# how many others go first when a ticket goes back in line (过号顺延, 暂缓): 0 … 100
AFTER = {"type": ["integer", "string", "null"], "pattern": r"^([0-9]|[1-9][0-9]|100)$", "minimum": 0, "maximum": 100}

# The body each window action reads (the others read none); what the server refuses, the schema says.
WINDOW_ACTION_BODIES = {
    "pause": {"type": "object", "properties": {"reason": text(100)}},
    "hold": {"type": "object", "properties": {"after": AFTER}},
    "requeue": {"type": "object", "required": ["number"], "properties": {
        "number": {"type": "string", "minLength": 1, "maxLength": 10, "pattern": r"\S", "example": "A012"},
        "after": AFTER}},
    "finish": {"type": "object", "properties": {"outcome": {"enum": [*OUTCOMES, "", None],
                                                            "description": "办理结果; none: 办结"}}},
    "transfer": {"type": "object", "anyOf": [{"required": ["service_id"]}, {"required": ["to_window"]}],
                 "properties": {"service_id": INTEGER, "to_window": INTEGER}},
}
# window state actions answer with the window; ticket actions with the ticket they moved
WINDOW_STATE_ACTIONS = ("open", "close", "pause", "resume")


def _op(summary, who, request=None, response=None, status="200", params=None, body_required=True, errors=None):
    op = {"summary": summary, "description": f"Who: {who}",
          "responses": {status: {"description": "OK", "content": {"application/json": {"schema": response or {"type": "object"}}}},
                        "4XX": {"description": "Client error", "content": {"application/json": {"schema": ERROR}}}}}
    for code, description in (errors or {}).items():
        op["responses"][code] = {"description": description, "content": {"application/json": {"schema": ERROR}}}
    if request:
        op["requestBody"] = {"required": body_required, "content": {"application/json": {"schema": request}}}
    if params:
        op["parameters"] = params
    if not who.startswith(("anyone", "displays")):
        op["security"] = [{"bearer": []}, {"session": []}]
    return op


def _query_int(name, low, high=MAX_INTEGER):
    return {"name": name, "in": "query", "schema": {"type": "integer", "minimum": low, "maximum": high}}


def _path(name, kind="integer"):
    """A path parameter; a number is a row id (0 … SQLite's largest: the route matches nothing else)."""
    schema = {"type": kind}
    if kind == "integer":
        schema |= {"minimum": 0, "maximum": MAX_INTEGER, "example": 1}
    else:
        schema |= {"minLength": 1, "pattern": "^[^/]+$"}
    return {"name": name, "in": "path", "required": True, "schema": schema}


def openapi_spec() -> dict:
    spec = _spec()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            operation["operationId"] = operation_id(method, path)
    _link(spec, "post", "/tickets", "201", {
        "ticket_status": ("get", "/tickets/{token}", {"token": "$response.body#/token"}),
        "cancel_own_ticket": ("post", "/tickets/{token}/cancel", {"token": "$response.body#/token"}),
        "rate_own_ticket": ("post", "/tickets/{token}/evaluation", {"token": "$response.body#/token"}),
        "cancel_by_staff": ("post", "/tickets/{id}/cancel-by-staff", {"id": "$response.body#/id"})})
    _link(spec, "post", "/appointments", "201", {
        "booking": ("get", "/appointments/{code}", {"code": "$response.body#/code"}),
        "cancel_booking": ("post", "/appointments/{code}/cancel", {"code": "$response.body#/code"}),
        "check_in": ("post", "/appointments/{code}/check-in", {"code": "$response.body#/code"})})
    return spec


def operation_id(method: str, path: str) -> str:
    """`post_windows_number_call_next` for POST /windows/{number}/call-next: what links name."""
    words = [part.strip("{}").replace("-", "_").replace(".", "_") for part in path.split("/") if part]
    return "_".join([method, *words])


def _link(spec: dict, method: str, path: str, status: str, targets: dict):
    """OpenAPI links: what one answer lets a client call next (schemathesis follows them)."""
    spec["paths"][path][method]["responses"][status]["links"] = {
        name: {"operationId": operation_id(target_method, target_path), "parameters": parameters}
        for name, (target_method, target_path, parameters) in targets.items()}


def _spec() -> dict:
    window_actions = {}
    for action, summary in [("open", "Take the window"), ("close", "Leave the window"),
                            ("call-next", "Call the next ticket"), ("recall", "Call the current ticket again (重呼)"),
                            ("start", "The citizen arrived: called → serving"), ("no-show", "Mark the current ticket 过号"),
                            ("hold", "Back in line after K others {after?}"),
                            ("requeue", "A missed ticket returns, after K others (过号顺延) {number, after?}"),
                            ("finish", "Finish with an outcome {outcome?}"),
                            ("transfer", "Transfer to a service or window {service_id?, to_window?}"),
                            ("pause", "Pause the window {reason?}"), ("resume", "Resume the window")]:
        window_actions[f"/windows/{{number}}/{action}"] = {"post": _op(
            summary, "staff of that window (admin: any)", params=[_path("number")],
            response=WINDOW if action in WINDOW_STATE_ACTIONS else TICKET,
            request=WINDOW_ACTION_BODIES.get(action), body_required=action in ("requeue", "transfer"))}
    return {
        "openapi": "3.1.0",
        "info": {"title": "govhall queue server", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                                "session": {"type": "apiKey", "in": "cookie", "name": "session"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error", "message"],
                          "properties": {"error": {"type": "string"}, "message": {"type": "string"}}},
                "Ticket": {"type": "object", "required": ["id", "number", "status"], "properties": {
                    "id": {"type": "integer"}, "number": {"type": "string", "example": "A012"},
                    "service": {"type": "string"}, "service_id": {"type": "integer"},
                    "department": NULLABLE_TEXT, "category": NULLABLE_TEXT,
                    "status": {"type": "string", "enum": ["waiting", "called", "serving", "done", "no_show", "cancelled"]},
                    "priority": {"type": "integer"},
                    "window": {"type": ["integer", "null"]}, "window_name": NULLABLE_TEXT,
                    "issued_at": {"type": "string", "format": "date-time"},
                    "called_at": {"type": ["string", "null"]}, "finished_at": {"type": ["string", "null"]},
                    "outcome": NULLABLE_TEXT, "call_count": {"type": "integer"}, "transfer_count": {"type": "integer"},
                    "appointment": {"type": "boolean", "description": "the ticket of a checked-in booking (预约)"},
                    "event_id": {"type": "integer", "description": "the event this action wrote (window actions)"},
                    "token": {"type": "string", "description": "the ticket's own token (issue answer)"},
                    "status_url": {"type": "string", "description": "the phone page /t/<token> (issue answer)"},
                    "ahead": {"type": "integer", "description": "people its windows call first (issue answer)"},
                    "estimated_wait_min": {"type": "integer"},
                    "windows": {"type": "array", "items": {"type": "integer"},
                                "description": "numbers of the windows that serve its service (issue answer)"}}},
                "Window": {"type": "object", "required": ["number", "name", "state", "current", "services"],
                           "properties": {
                    "number": {"type": "integer", "example": 3}, "name": {"type": "string"},
                    "state": {"type": "string", "enum": ["open", "paused", "closed"]},
                    "pause_reason": NULLABLE_TEXT,
                    "staff": {"type": ["object", "null"], "properties": {
                        "id": {"type": "integer"}, "name": {"type": "string"}, "employee_no": NULLABLE_TEXT,
                        "photo": NULLABLE_TEXT}},
                    "current": {"anyOf": [TICKET, {"type": "null"}]},
                    "services": {"type": "array", "items": {"type": "object", "properties": {
                        "id": {"type": "integer"}, "name": {"type": "string"}, "prefix": {"type": "string"}}}},
                    "waiting": {"type": "array", "items": {"type": "object"}},
                    "today": {"type": "object"}}},
                "Service": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "name": {"type": "string"}, "prefix": {"type": "string"},
                    "category": {"type": "string"}, "open": {"type": "boolean"},
                    "closed_reason": {"type": "string"},
                    "closed_code": {"type": "string",
                                    "enum": ["", "disabled", "holiday", "not_today", "outside_hours", "cap_reached"]},
                    "next_open": {"type": ["string", "null"], "example": "2026-12-01T08:30",
                                  "description": "when it next takes tickets, hall's local time (closed or full)"},
                    "daily_cap": {"type": "integer"}, "issued_today": {"type": "integer"},
                    "cap_reached": {"type": "boolean"},
                    "remaining_today": {"type": ["integer", "null"], "description": "tickets left today; null: no cap"},
                    "waiting": {"type": "integer"},
                    "ahead": {"type": "integer", "description": "people ahead of a ticket taken now"},
                    "estimated_wait_min": {"type": "integer"},
                    "windows": {"type": "array", "items": {"type": "integer"}},
                    "days": {"type": "string", "example": "tue,thu"},
                    "hours": {"type": "array", "items": {"type": "string", "example": "08:30-12:00"}}}},
            },
        },
        "paths": {
            "/healthz": {"get": _op("Liveness of server and database (503 when the database is damaged or "
                                    "unreachable)", "anyone", errors={"503": "Unhealthy"}, params=[
                {"name": "check", "in": "query", "schema": {"type": "string"},
                 "description": "integrity: run SQLite's quick check now (other values: the last result)"}])},
            "/openapi.json": {"get": _op("This description", "anyone")},
            "/services": {"get": _op("Departments → services: open now or when, people ahead, estimated wait, windows, "
                                     "tickets left today", "anyone", response={
                "type": "object", "properties": {
                    "hall": {"type": "string"}, "local_day": {"type": "string", "format": "date"},
                    "departments": {"type": "array", "items": {"type": "object", "properties": {
                        "name": {"type": "string"},
                        "services": {"type": "array", "items": {"$ref": "#/components/schemas/Service"}}}}}}})},
            "/tickets": {"post": _op("Issue a ticket", "kiosk token (or staff)", status="201", response=TICKET, request={
                "type": "object", "required": ["service_id"],
                "properties": {"service_id": INTEGER | {"example": 1},
                               "priority": {"enum": [0, 1, "0", "1"], "description": "1: 绿色通道 / a booking's ticket"},
                               "appointment_code": text(40),
                               "id_hash": {"anyOf": [ID_HASH, {"type": "null"}, {"const": ""}]},
                               "holder_name": text(20) | {"description": "kept masked (张*)"}}})},
            "/tickets/{token}": {"get": _op("Ticket status: position, state, window", "anyone holding the token",
                                            params=[_path("token", "string")], response=TICKET)},
            "/tickets/{token}/cancel": {"post": _op("Cancel a waiting ticket", "anyone holding the token",
                                                    params=[_path("token", "string")], response=TICKET)},
            "/windows": {"get": _op("Every window with its state and current ticket", "staff", response={
                "type": "object", "required": ["windows"], "properties": {"windows": {"type": "array"}}})},
            "/windows/{number}": {"get": _op("One window: current ticket, waiting list, today's counts", "staff",
                                             params=[_path("number")], response=WINDOW)},
            **window_actions,
            "/display": {"get": _op("The current picture: calls, serving, waiting per service", "displays")},
            "/stream": {"get": {
                "summary": "Server-sent events; Last-Event-ID replays what was missed. Without a token: the public "
                           "picture (calls, windows, waiting counts) and no replay older than the hall's day",
                "parameters": [{"name": "last_event_id", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                               {"name": "Last-Event-ID", "in": "header", "schema": {"type": "integer", "minimum": 0}}],
                "responses": {"200": {"description": "OK", "content": {"text/event-stream": {"schema": {"type": "string"}}}},
                              "4XX": {"description": "Client error", "content": {"application/json": {"schema": ERROR}}}}}},
            "/announcements/{event_id}.wav": {"get": {
                "summary": "The spoken call of an event (404: no such event; 503: the voice pack is not built)",
                "parameters": [_path("event_id")],
                "responses": {"200": {"description": "OK", "content": {"audio/wav": {"schema": {"type": "string",
                                                                                               "format": "binary"}}}},
                              "404": {"description": "No such event", "content": {"application/json": {"schema": ERROR}}},
                              "503": {"description": "No voice pack (govhall voice build)",
                                      "content": {"application/json": {"schema": ERROR}}}}}},
            "/evaluations": {"post": _op("Record a 好差评 level for a finished ticket, once",
                                         "the evaluator device of the window that served the ticket, within "
                                         "[evaluation] device_minutes of finish; staff never rate",
                                         status="201", request=RATING | {
                                             "required": ["ticket_id", "level"],
                                             "properties": {"ticket_id": INTEGER, **RATING["properties"]}},
                                         response=EVALUATION)},
            "/tickets/{token}/evaluation": {"post": _op(
                "The citizen rates their finished ticket (phone page, ticket QR), once",
                "anyone holding the ticket's token, within [evaluation] citizen_hours of finish",
                status="201", request=RATING, response=EVALUATION, params=[_path("token", "string")])},
            "/evaluations/{id}/void": {"post": _op(
                "Void a rating with a reason: kept, audited, left out of every figure; its follow-up case is withdrawn",
                "admin", params=[_path("id")], response={"type": "object", "required": ["id", "ticket_id", "number", "level", "voided_at", "void_reason"]},
                request={"type": "object", "required": ["reason"],
                         "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 500, "pattern": r"\S"}}})},
            "/tickets/{id}/cancel-by-staff": {"post": _op(
                "Cancel a waiting ticket: staff, of the services of the window they hold; admins, any",
                "staff", params=[_path("id")], response=TICKET)},
            "/kiosks/id-hash-key": {"get": _op("The key a kiosk hashes ID numbers with before sending them", "kiosk token")},
            "/kiosks/me": {"get": _op("This kiosk's own record (its id for the heartbeat)", "kiosk token")},
            "/content": {"get": _op("Content changes since version V (?since=V)", "anyone (kiosks)",
                                    params=[_query_int("since", 0)])},
            "/content/search": {"get": _op("Documents and guides matching ?q=, best first", "anyone (kiosks)", params=[
                {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 100}}, _query_int("limit", 1, 100)])},
            "/content/documents": {"get": _op("Disclosure documents, newest first (?category=&limit=&offset=)",
                                              "anyone (kiosks)", params=[
                {"name": "category", "in": "query", "schema": {"type": "string"}}, _query_int("limit", 1, 200),
                _query_int("offset", 0)])},
            "/content/documents/{id}": {"get": _op("One disclosure document", "anyone (kiosks)", params=[_path("id")])},
            "/content/categories": {"get": _op("Document categories with counts", "anyone (kiosks)")},
            "/content/guides": {"get": _op("Every service guide (办事指南)", "anyone (kiosks)")},
            "/content/guides/{service}": {"get": _op("The guide of one service, by its name", "anyone (kiosks)",
                                                     params=[_path("service", "string")])},
            "/content/announcements": {"get": _op("Announcements showing today", "anyone (kiosks)")},
            "/kiosks/{id}/heartbeat": {"post": _op(
                "Kiosk liveness, printer status, content version; other fields are kept as the kiosk's info "
                "(the whole body at most 16 KB)", "kiosk token (its own id), admin", params=[_path("id")],
                body_required=False, request={"type": "object", "properties": {
                    "printer_status": {"type": "string", "maxLength": 40},
                    "content_version": {"anyOf": [INTEGER, {"type": "null"}]}}})},
            "/kiosks/{id}/help": {"post": _op("A citizen at the kiosk asks for staff (呼叫工作人员): the staff "
                                              "workstations and the admin console show it", "kiosk token",
                                              params=[_path("id")], status="201")},
            "/kiosks": {"get": _op("Every kiosk: last seen, printer, content version", "admin")},
            **appointment_paths(),
        },
    }


DATE = {"type": "string", "format": "date", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "example": "2026-12-01"}
START = {"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "09:30"}
ID_HASH = {"type": "string", "pattern": r"^[0-9a-f]{64}$", "description": "keyed hash of the ID card's number"}


def appointment_paths() -> dict:
    """预约: slots, booking, the holder's view and cancel, the kiosk's check-in, the admin's settings."""
    code = _path("code", "string")
    slot = {"type": "object", "properties": {
        "start": {"type": "string", "example": "09:30"}, "end": {"type": "string", "example": "10:30"},
        "capacity": {"type": "integer"}, "available": {"type": "integer"}, "booked": {"type": "integer"},
        "closed": {"type": "boolean"}, "reason": {"type": "string"}, "booking_open": {"type": "boolean"}}}
    booking = {"type": "object", "required": ["code", "status"], "properties": {
        "code": {"type": "string", "example": "7KX3MP"}, "service": {"type": "string"},
        "date": {"type": "string", "format": "date"}, "start": {"type": "string"}, "end": {"type": "string"},
        "status": {"type": "string", "enum": ["booked", "checked_in", "cancelled", "no_show", "closed"]},
        "checkin_from": {"type": "string"}, "checkin_until": {"type": "string"},
        "status_url": {"type": "string"}, "ticket_number": {"type": ["string", "null"]}}}
    service_id = {"type": "integer", "minimum": -MAX_INTEGER, "maximum": MAX_INTEGER, "example": 1}
    slot_key = {"type": "object", "required": ["service_id"], "properties": {
        "service_id": INTEGER | {"example": 1}, "date": {"anyOf": [DATE, {"type": "null"}, {"const": ""}, {"const": "*"}]},
        "start": {"anyOf": [START, {"type": "null"}, {"const": ""}, {"const": "*"}],
                  "description": "HH:MM; omitted: every slot"}}}
    query = [{"name": "service_id", "in": "query", "required": True, "schema": service_id}]
    return {
        "/appointments/slots": {"get": _op("The slots of a service's day: capacity and places left", "anyone",
                                           response={"type": "array", "items": slot}, params=query + [
                                               {"name": "date", "in": "query", "required": True, "schema": DATE}])},
        "/appointments/days": {"get": _op("The bookable days of a service with places left", "anyone",
                                          params=query, response={"type": "array", "items": {
                                              "type": "object", "required": ["date", "available"], "properties": {
                                                  "date": {"type": "string", "format": "date"},
                                                  "weekday": {"type": "string", "example": "周一"},
                                                  "available": {"type": "integer"}}}})},
        "/appointments": {
            "post": _op("Book a slot (409 slot full / already booked, 403 banned for 爽约 with `until`)",
                        "anyone (throttled per address), kiosk, staff", status="201", response=booking, request={
                            "type": "object", "required": ["service_id", "date", "start", "name", "phone"],
                            "properties": {"service_id": INTEGER | {"example": 1}, "date": DATE, "start": START,
                                           "name": {"type": "string", "maxLength": 20, "pattern": r"\S"},
                                           "phone": {"type": "string", "pattern": r"^1[3-9][0-9]{9}$"},
                                           "id_number": {"anyOf": [
                                               {"type": "string", "format": "cn-id-number",
                                                "description": "18 characters, its check digit right; kept only "
                                                               "as a keyed hash"},
                                               {"type": "null"}, {"const": ""}]},
                                           "id_hash": {"anyOf": [ID_HASH, {"type": "null"}, {"const": ""}],
                                                       "description": "kiosk/staff: the keyed hash"}}}),
            "get": _op("The day's bookings per service (?date=&service_id=)", "staff, admin", params=[
                {"name": "date", "in": "query", "schema": {"anyOf": [DATE, {"const": ""}]},
                 "description": "blank or none: the hall's today"},
                {"name": "service_id", "in": "query", "schema": service_id}])},
        "/appointments/{code}": {"get": _op("One booking (masked for the holder, full for staff)",
                                            "anyone holding the code", params=[code], response=booking)},
        "/appointments/{code}/cancel": {"post": _op("Cancel, until the slot starts", "anyone holding the code, staff",
                                                    params=[code], response=booking)},
        "/appointments/{code}/check-in": {"post": _op(
            "Within the check-in window: a priority ticket {priority: 1, appointment_code}; early or late: 409 "
            "with checkin_from / checkin_until", "kiosk, staff", params=[code], status="201", response=TICKET)},
        "/appointments/check-in": {"post": _op(
            "An ID card at the kiosk: today's booking of that person checked in {id_hash, holder_name?}",
            "kiosk, staff", status="201", response=TICKET, request={
                "type": "object", "required": ["id_hash"],
                "properties": {"id_hash": ID_HASH, "holder_name": text(20)}})},
        "/appointments/capacity": {"put": _op("Set a capacity per slot (every day / one day, every slot / one)",
                                              "admin", request=slot_key | {"properties": slot_key["properties"] | {
                                                  "capacity": {"type": ["integer", "string", "null"],
                                                               "pattern": r"^[0-9]{1,3}$", "minimum": 0,
                                                               "maximum": 999}}})},
        "/appointments/slots/close": {"post": _op(
            "Close a day's slot (or day); its bookings see the reason", "admin",
            request=slot_key | {"required": ["service_id", "date"], "properties": slot_key["properties"] | {
                "date": DATE, "reason": text(100)}})},
        "/appointments/slots/reopen": {"post": _op("Reopen a closed slot", "admin", request=slot_key)},
    }
