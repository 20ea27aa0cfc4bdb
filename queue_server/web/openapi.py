"""The OpenAPI description of /api/v1, served at /api/v1/openapi.json."""

from __future__ import annotations

ERROR = {"$ref": "#/components/schemas/Error"}
TICKET = {"$ref": "#/components/schemas/Ticket"}


RATING = {"type": "object", "required": ["level"], "properties": {
    "level": {"type": "integer", "minimum": 1, "maximum": 5, "description": "5 非常满意 … 1 非常不满意"},
    "comment": {"type": "string", "maxLength": 500},
    "reasons": {"type": "array", "maxItems": 10, "items": {"type": "string", "maxLength": 40}}}}
EVALUATION = {"type": "object", "required": ["id", "ticket_id", "number", "level", "level_name", "source"],
              "properties": {"id": {"type": "integer"}, "ticket_id": {"type": "integer"}, "number": {"type": "string"},
                             "level": {"type": "integer"}, "level_name": {"type": "string"},
                             "comment": {"type": ["string", "null"]},
                             "reasons": {"type": "array", "items": {"type": "string"}},
                             "source": {"type": "string", "enum": ["evaluator", "citizen"]}}}


def _op(summary, who, request=None, response=None, status="200", params=None):
    op = {"summary": summary, "description": f"Who: {who}",
          "responses": {status: {"description": "OK", "content": {"application/json": {"schema": response or {"type": "object"}}}},
                        "4XX": {"description": "Client error", "content": {"application/json": {"schema": ERROR}}}}}
    if request:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": request}}}
    if params:
        op["parameters"] = params
    if not who.startswith(("anyone", "displays")):
        op["security"] = [{"bearer": []}, {"session": []}]
    return op


def _path(name, kind="integer"):
    return {"name": name, "in": "path", "required": True, "schema": {"type": kind}}


def openapi_spec() -> dict:
    window_actions = {}
    for action, summary in [("open", "Take the window"), ("close", "Leave the window"),
                            ("call-next", "Call the next ticket"), ("recall", "Call the current ticket again (重呼)"),
                            ("start", "The citizen arrived: called → serving"), ("no-show", "Mark the current ticket 过号"),
                            ("hold", "Back in line after K others {after?}"),
                            ("requeue", "A missed ticket returns, after K others (过号顺延) {number, after?}"),
                            ("finish", "Finish with an outcome {outcome?}"),
                            ("transfer", "Transfer to a service or window {service_id?, to_window?}"),
                            ("pause", "Pause the window {reason?}"), ("resume", "Resume the window")]:
        window_actions[f"/windows/{{number}}/{action}"] = {
            "post": _op(summary, "staff of that window (admin: any)", params=[_path("number")], response=TICKET)}
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
                "Ticket": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "number": {"type": "string", "example": "A012"},
                    "service": {"type": "string"}, "service_id": {"type": "integer"},
                    "status": {"type": "string", "enum": ["waiting", "called", "serving", "done", "no_show", "cancelled"]},
                    "window": {"type": ["integer", "null"]}, "issued_at": {"type": "string", "format": "date-time"},
                    "ahead": {"type": "integer", "description": "people its windows call first (issue answer)"},
                    "estimated_wait_min": {"type": "integer"},
                    "windows": {"type": "array", "items": {"type": "integer"},
                                "description": "numbers of the windows that serve its service (issue answer)"}}},
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
            "/healthz": {"get": _op("Liveness of server and database", "anyone")},
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
                "properties": {"service_id": {"type": "integer"}, "priority": {"type": "integer", "enum": [0, 1]},
                               "appointment_code": {"type": "string"},
                               "id_hash": {"type": "string", "description": "keyed hash of the ID card's number"},
                               "holder_name": {"type": "string", "description": "kept masked (张*)"}}})},
            "/tickets/{token}": {"get": _op("Ticket status: position, state, window", "anyone holding the token",
                                            params=[_path("token", "string")])},
            "/tickets/{token}/cancel": {"post": _op("Cancel a waiting ticket", "anyone holding the token",
                                                    params=[_path("token", "string")])},
            "/windows": {"get": _op("Every window with its state and current ticket", "staff")},
            "/windows/{number}": {"get": _op("One window: current ticket, waiting list, today's counts", "staff",
                                             params=[_path("number")])},
            **window_actions,
            "/display": {"get": _op("The current picture: calls, serving, waiting per service", "displays")},
            "/stream": {"get": {"summary": "Server-sent events; Last-Event-ID replays what was missed",
                                "responses": {"200": {"description": "text/event-stream"}}}},
            "/announcements/{event_id}.wav": {"get": {"summary": "The spoken call of an event",
                                                      "parameters": [_path("event_id")],
                                                      "responses": {"200": {"description": "audio/wav"}}}},
            "/evaluations": {"post": _op("Record a 好差评 level for a finished ticket, once",
                                         "the evaluator device of the window that served the ticket, within "
                                         "[evaluation] device_minutes of finish; staff never rate",
                                         status="201", request=RATING | {
                                             "required": ["ticket_id", "level"],
                                             "properties": {"ticket_id": {"type": "integer"}, **RATING["properties"]}},
                                         response=EVALUATION)},
            "/tickets/{token}/evaluation": {"post": _op(
                "The citizen rates their finished ticket (phone page, ticket QR), once",
                "anyone holding the ticket's token, within [evaluation] citizen_hours of finish",
                status="201", request=RATING, response=EVALUATION, params=[_path("token", "string")])},
            "/evaluations/{id}/void": {"post": _op(
                "Void a rating with a reason: kept, audited, left out of every figure; its follow-up case is withdrawn",
                "admin", params=[_path("id")], request={
                    "type": "object", "required": ["reason"],
                    "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 500}}})},
            "/tickets/{id}/cancel-by-staff": {"post": _op("Cancel a waiting ticket", "staff", params=[_path("id")])},
            "/kiosks/id-hash-key": {"get": _op("The key a kiosk hashes ID numbers with before sending them", "kiosk token")},
            "/kiosks/me": {"get": _op("This kiosk's own record (its id for the heartbeat)", "kiosk token")},
            "/content": {"get": _op("Content changes since version V (?since=V)", "anyone (kiosks)")},
            "/content/search": {"get": _op("Documents and guides matching ?q=, best first", "anyone (kiosks)")},
            "/content/documents": {"get": _op("Disclosure documents, newest first (?category=&limit=&offset=)", "anyone (kiosks)")},
            "/content/documents/{id}": {"get": _op("One disclosure document", "anyone (kiosks)", params=[_path("id")])},
            "/content/categories": {"get": _op("Document categories with counts", "anyone (kiosks)")},
            "/content/guides": {"get": _op("Every service guide (办事指南)", "anyone (kiosks)")},
            "/content/guides/{service}": {"get": _op("The guide of one service, by its name", "anyone (kiosks)",
                                                     params=[_path("service", "string")])},
            "/content/announcements": {"get": _op("Announcements showing today", "anyone (kiosks)")},
            "/kiosks/{id}/heartbeat": {"post": _op("Kiosk liveness, printer status, content version", "kiosk token",
                                                   params=[_path("id")])},
            "/kiosks/{id}/help": {"post": _op("A citizen at the kiosk asks for staff (呼叫工作人员): the staff "
                                              "workstations and the admin console show it", "kiosk token",
                                              params=[_path("id")])},
            "/kiosks": {"get": _op("Every kiosk: last seen, printer, content version", "admin")},
            **appointment_paths(),
        },
    }


def appointment_paths() -> dict:
    """预约: slots, booking, the holder's view and cancel, the kiosk's check-in, the admin's settings."""
    code = _path("code", "string")
    slot = {"type": "object", "properties": {
        "start": {"type": "string", "example": "09:30"}, "end": {"type": "string", "example": "10:30"},
        "capacity": {"type": "integer"}, "available": {"type": "integer"}, "booked": {"type": "integer"},
        "closed": {"type": "boolean"}, "reason": {"type": "string"}, "booking_open": {"type": "boolean"}}}
    booking = {"type": "object", "properties": {
        "code": {"type": "string", "example": "7KX3MP"}, "service": {"type": "string"},
        "date": {"type": "string", "format": "date"}, "start": {"type": "string"}, "end": {"type": "string"},
        "status": {"type": "string", "enum": ["booked", "checked_in", "cancelled", "no_show", "closed"]},
        "checkin_from": {"type": "string"}, "checkin_until": {"type": "string"},
        "status_url": {"type": "string"}, "ticket_number": {"type": ["string", "null"]}}}
    slot_key = {"type": "object", "required": ["service_id"], "properties": {
        "service_id": {"type": "integer"}, "date": {"type": "string", "format": "date"},
        "start": {"type": "string", "description": "HH:MM; omitted: every slot"}}}
    query = [{"name": "service_id", "in": "query", "required": True, "schema": {"type": "integer"}}]
    return {
        "/appointments/slots": {"get": _op("The slots of a service's day: capacity and places left", "anyone",
                                           response={"type": "array", "items": slot}, params=query + [
                                               {"name": "date", "in": "query", "required": True,
                                                "schema": {"type": "string", "format": "date"}}])},
        "/appointments/days": {"get": _op("The bookable days of a service with places left", "anyone",
                                          params=query)},
        "/appointments": {
            "post": _op("Book a slot (409 slot full / already booked, 403 banned for 爽约 with `until`)",
                        "anyone (throttled per address), kiosk, staff", status="201", response=booking, request={
                            "type": "object", "required": ["service_id", "date", "start", "name", "phone"],
                            "properties": {"service_id": {"type": "integer"},
                                           "date": {"type": "string", "format": "date"},
                                           "start": {"type": "string", "example": "09:30"},
                                           "name": {"type": "string"}, "phone": {"type": "string"},
                                           "id_number": {"type": "string", "description": "kept only as a keyed hash"},
                                           "id_hash": {"type": "string", "description": "kiosk/staff: the keyed hash"}}}),
            "get": _op("The day's bookings per service (?date=&service_id=)", "staff, admin")},
        "/appointments/{code}": {"get": _op("One booking (masked for the holder, full for staff)",
                                            "anyone holding the code", params=[code], response=booking)},
        "/appointments/{code}/cancel": {"post": _op("Cancel, until the slot starts", "the holder of the code, staff",
                                                    params=[code], response=booking)},
        "/appointments/{code}/check-in": {"post": _op(
            "Within the check-in window: a priority ticket {priority: 1, appointment_code}; early or late: 409 "
            "with checkin_from / checkin_until", "kiosk, staff", params=[code], status="201", response=TICKET)},
        "/appointments/check-in": {"post": _op(
            "An ID card at the kiosk: today's booking of that person checked in {id_hash, holder_name?}",
            "kiosk, staff", status="201", response=TICKET)},
        "/appointments/capacity": {"put": _op("Set a capacity per slot (every day / one day, every slot / one)",
                                              "admin", request=slot_key | {"properties": slot_key["properties"] | {
                                                  "capacity": {"type": ["integer", "null"]}}})},
        "/appointments/slots/close": {"post": _op("Close a day's slot (or day); its bookings see the reason",
                                                  "admin", request=slot_key | {"properties": slot_key["properties"] | {
                                                      "reason": {"type": "string"}}})},
        "/appointments/slots/reopen": {"post": _op("Reopen a closed slot", "admin", request=slot_key)},
    }
