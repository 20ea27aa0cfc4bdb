"""The JSON API under /api/v1. Each view reads its input, calls one domain function and
returns its result; errors become `{"error": code, "message": text}` in one place."""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3

from flask import Blueprint, Response, current_app, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .. import clock, health, store
from ..accounts import id_hash_key
from ..errors import BadRequest, Forbidden, NotFound, PayloadTooLarge, QueueError
from ..events import EVERYONE, STAFF, Audience, evaluator_audience
from ..ops.backup import newest_backup_age_hours
from ..queue import WINDOW_ACTIONS
from .auth import current_principal, require
from .context import get_broker, get_db, get_queue
from .openapi import openapi_spec

log = logging.getLogger(__name__)
api = Blueprint("api", __name__, url_prefix="/api/v1")

STREAM_HEARTBEAT_SECONDS = 15
# how soon a display reconnects after its stream broke (the `retry:` hint; live.js retries its first
# time sooner still): a worker restarting is back within a second or two
STREAM_RETRY_MS = 1000


MAX_JSON_DEPTH = 16          # no request of this API nests deeper than a few levels
MAX_HEARTBEAT_BYTES = 16 * 1024
ASCII_INTEGER = re.compile(r"-?[0-9]{1,19}")


def body() -> dict:
    """The request's JSON object; a missing body is an empty object, anything else is an error.

    Refused with 400, so that nothing a client sends can reach the database as a 500: nesting
    deeper than MAX_JSON_DEPTH, NaN and Infinity (not JSON, though Python reads them), and lone
    UTF-16 surrogates ("\\ud800": valid JSON escapes, but no UTF-8 text SQLite could store)."""
    if "govhall_body" in g:
        return g.govhall_body
    raw = request.get_data(cache=True)
    if not raw.strip():
        data = {}
    else:
        try:
            data = json.loads(raw, parse_constant=_refuse_constant)
        except RecursionError:
            raise BadRequest("JSON 嵌套过深 (JSON nested too deeply)")
        except ValueError as error:  # also UnicodeDecodeError
            message = str(error) if isinstance(error, _NotJSON) else "请求体不是有效的 JSON (invalid JSON)"
            raise BadRequest(message)
        if not isinstance(data, dict):
            raise BadRequest("请求体须为 JSON 对象 (body must be a JSON object)")
        check_json_value(data)
    g.govhall_body = data
    return data


class _NotJSON(ValueError):
    pass


def _refuse_constant(name):
    raise _NotJSON(f"JSON 中不能有 {name} (NaN and Infinity are not JSON)")


def check_json_value(value, limit_depth: int = MAX_JSON_DEPTH):
    """Walks a parsed JSON value without recursion: depth, and text that UTF-8 can carry."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > limit_depth:
            raise BadRequest(f"JSON 嵌套不能超过 {limit_depth} 层 (JSON nested too deeply)")
        if isinstance(item, dict):
            for key, inner in item.items():
                _check_text(key)
                pending.append((inner, depth + 1))
        elif isinstance(item, list):
            pending.extend((inner, depth + 1) for inner in item)
        elif isinstance(item, str):
            _check_text(item)


def _check_text(text: str):
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest("文字中含有无效字符（孤立的代理码位） (lone surrogate in text)")


def _int(value, name, required=False):
    """An integer field: a JSON integer, or a string of ASCII digits (never "²" or "١": Python's
    isdigit takes them, int() then fails)."""
    if value is None:
        if required:
            raise BadRequest(f"缺少 {name} ({name} is required)")
        return None
    if isinstance(value, str):
        if not ASCII_INTEGER.fullmatch(value.strip()):
            raise BadRequest(f"{name} 须为整数 ({name} must be an integer)")
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer() and abs(value) <= store.MAX_INTEGER:
        value = int(value)  # 3.0 is the integer 3 to JSON (and to JSON Schema); 3.5 is not
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"{name} 须为整数 ({name} must be an integer)")
    if not -store.MAX_INTEGER <= value <= store.MAX_INTEGER:
        raise BadRequest(f"{name} 超出范围 ({name} out of range)")
    return value


def _text(value, name, limit=100):
    """An optional short text field: a string or nothing, never an object turned into text; longer
    than `limit` is refused, not cut (a cut ticket number would name another ticket)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"{name} 须为文字 ({name} must be a string)")
    _check_text(value)
    # counted as sent, spaces included: the limit the OpenAPI's maxLength states
    if len(value) > limit:
        raise BadRequest(f"{name} 不能超过 {limit} 个字 ({name} longer than {limit})")
    return value.strip() or None


def _id_hash(value):
    """The keyed hash of an ID number (64 hex digits), as a kiosk with a card reader sends it."""
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{64}", value):
        raise BadRequest("id_hash 须为64位十六进制的身份证号码密钥散列 (id_hash must be 64 hex digits)")
    return value


# --- public ---------------------------------------------------------------------

@api.get("/healthz")
def healthz():
    """See queue_server/health.py. `?check=integrity` runs SQLite's quick check now."""
    config = current_app.config["GOVHALL"]
    status, report = health.report(get_db(), config, newest_backup_age_hours(config),
                                   check_integrity=request.args.get("check") == "integrity")
    return jsonify(report), status


@api.get("/openapi.json")
def openapi():
    return jsonify(openapi_spec())


@api.get("/services")
def services():
    queue = get_queue()
    return jsonify({"hall": current_app.config["GOVHALL"]["hall"]["name"], "local_day": queue.today(),
                    "departments": queue.services()})


@api.get("/tickets/<token>")
def ticket_status(token):
    return jsonify(get_queue().ticket_status(token))


@api.post("/tickets/<token>/cancel")
def cancel_own_ticket(token):
    return jsonify(get_queue().cancel_by_token(token))


@api.get("/display")
def display():
    return jsonify(get_queue().display())


@api.get("/stream")
def stream():
    """Server-sent events from the event log. `Last-Event-ID` (or ?last_event_id=) replays what was
    missed; without it the stream starts at the newest event.

    What a subscriber sees depends on who it is (`events.Audience`): without a token, the public
    picture only, and a replay no older than the hall's day."""
    broker = get_broker()
    raw = request.headers.get("Last-Event-ID") or request.args.get("last_event_id")
    last = _int(raw.strip() if raw not in (None, "") else None, "Last-Event-ID")
    if last is None:
        last = broker.last_id
    last = max(0, last)
    audience = _stream_audience()
    if not audience.everything:
        queue = get_queue()
        first_today = store.first_event_id_at_or_after(get_db(), clock.day_start_utc(queue.today(), queue.zone))
        floor = (first_today - 1) if first_today is not None else broker.last_id
        last = max(last, floor)

    parking_fd = _parkable_socket(request.environ)

    def generate(last_id):
        yield f"retry: {STREAM_RETRY_MS}\n: connected {last_id}\n\n".encode()
        while True:
            fresh = broker.events_after(last_id)
            if fresh:
                last_id = fresh[-1]["id"]
                chunk = audience.chunk(fresh)
                if chunk:
                    yield chunk
                continue
            if parking_fd is not None:
                # caught up: the broker's writer serves this socket until it cannot
                parked = broker.park(parking_fd, audience, last_id, http_chunk, STREAM_HEARTBEAT_SECONDS)
                if parked is None:
                    continue  # events came in meanwhile: send them first
                if parked.closed:
                    return
                last_id = parked.last_id
                if parked.unsent:
                    request_socket.sendall(parked.unsent)  # the rest of the round it could not take at once
                continue
            if not broker.wait(last_id, STREAM_HEARTBEAT_SECONDS):
                yield b": keep-alive\n\n"

    request_socket = request.environ.get("gunicorn.socket")

    # no stream_with_context: the generator needs nothing of the request once started, and each
    # subscriber's wake-up then costs no context push
    response = Response(generate(last), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    return response


def _parkable_socket(environ) -> int | None:
    """The connection's socket when the broker's writer may write to it directly: a gunicorn gevent
    worker (a non-blocking socket, gevent's own) answering HTTP/1.1, whose streamed response is
    sent in chunked encoding (`http_chunk`). Elsewhere (the development server, HTTP/1.0) each
    subscriber writes for itself."""
    sock = environ.get("gunicorn.socket")
    if sock is None or environ.get("SERVER_PROTOCOL") != "HTTP/1.1" or "gevent" not in type(sock).__module__:
        return None
    try:
        fd = sock.fileno()
        return fd if not os.get_blocking(fd) else None
    except OSError:
        return None


def http_chunk(body: bytes) -> bytes:
    """`body` as one chunk of HTTP/1.1 chunked transfer encoding (what gunicorn does to each yield)."""
    return b"%X\r\n%b\r\n" % (len(body), body)


def _stream_audience() -> Audience:
    principal = current_principal()
    if principal.is_staff:
        return STAFF
    if principal.kind == "evaluator":
        window = store.get_window_by_id(get_db(), principal.window_id)
        return evaluator_audience(window["number"]) if window else EVERYONE
    return EVERYONE


# --- kiosks ---------------------------------------------------------------------

@api.post("/tickets")
@require("kiosk", "staff")
def issue_ticket():
    data = body()
    principal = current_principal()
    ticket = get_queue().issue_ticket(
        _int(data.get("service_id"), "service_id", required=True),
        priority=_int(data.get("priority", 0), "priority"),
        appointment_code=_text(data.get("appointment_code"), "appointment_code", limit=40),
        kiosk_id=principal.kiosk_id, holder_hash=_id_hash(data.get("id_hash")),
        holder_name=_text(data.get("holder_name"), "holder_name", limit=20))
    return jsonify(ticket), 201


@api.post("/kiosks/<int:kiosk_id>/heartbeat")
@require("kiosk", "admin")
def kiosk_heartbeat(kiosk_id):
    principal = current_principal()
    if principal.kind == "kiosk" and principal.kiosk_id != kiosk_id:
        raise Forbidden("只能上报本机的心跳")
    if len(request.get_data(cache=True)) > MAX_HEARTBEAT_BYTES:
        raise PayloadTooLarge(f"心跳数据不能超过 {MAX_HEARTBEAT_BYTES // 1024} KB")
    data = body()
    db = get_db()
    if not store.get_kiosk(db, kiosk_id):
        raise NotFound(f"没有编号为 {kiosk_id} 的自助机")
    printer_status = data.get("printer_status", "unknown")
    if not isinstance(printer_status, str):
        raise BadRequest("printer_status 须为文字")
    printer_status = _text(printer_status, "printer_status", limit=40) or "unknown"
    with store.immediate(db):
        store.update_kiosk_heartbeat(db, kiosk_id, clock.to_iso(clock.utc_now()), printer_status,
                                     _int(data.get("content_version"), "content_version"),
                                     {k: v for k, v in data.items() if k not in ("printer_status", "content_version")})
    return jsonify(store.get_kiosk(db, kiosk_id))


@api.post("/kiosks/<int:kiosk_id>/help")
@require("kiosk")
def kiosk_help(kiosk_id):
    """A citizen pressed 呼叫工作人员: one event on the stream, which the staff workstations and
    the admin console show until someone goes over."""
    if current_principal().kiosk_id != kiosk_id:
        raise Forbidden("只能为本机呼叫工作人员")
    db = get_db()
    kiosk = store.get_kiosk(db, kiosk_id)
    if not kiosk:
        raise NotFound(f"没有编号为 {kiosk_id} 的自助机")
    message = f"自助机 {kiosk_id} 需要协助"
    with store.immediate(db):
        event_id = store.append_event(db, clock.to_iso(clock.utc_now()), "kiosk_help",
                                      {"kiosk_id": kiosk_id, "kiosk": kiosk["name"], "message": message})
    get_broker().notify()
    return jsonify({"event_id": event_id, "message": message}), 201


@api.get("/kiosks/me")
@require("kiosk")
def kiosk_me():
    return jsonify(store.get_kiosk(get_db(), current_principal().kiosk_id))


@api.get("/kiosks/id-hash-key")
@require("kiosk")
def kiosk_id_hash_key():
    """The key a kiosk hashes a card's ID number with before sending it (`idcard.id_number_hash`)."""
    return jsonify({"key": id_hash_key(current_app.config["SECRET_KEY"])})


@api.get("/kiosks")
@require("admin")
def kiosks():
    return jsonify({"kiosks": store.list_kiosks(get_db())})


# --- windows --------------------------------------------------------------------

@api.get("/windows")
@require("staff")
def windows():
    return jsonify({"windows": get_queue().display()["windows"]})


@api.get("/windows/<int:number>")
@require("staff")
def window(number):
    return jsonify(get_queue().window_view(number))


@api.post("/windows/<int:number>/<action>")
@require("staff")
def window_action(number, action):
    data = body() if action in WINDOW_ACTIONS else {}
    return jsonify(get_queue().window_action(
        number, action, current_principal(),
        reason=_text(data.get("reason"), "reason") or "",
        after=_int(data.get("after"), "after"),
        ticket_number=_text(data.get("number"), "number", limit=10) if data.get("number") else None,
        outcome=_text(data.get("outcome"), "outcome", limit=20),
        service_id=_int(data.get("service_id"), "service_id"),
        to_window=_int(data.get("to_window"), "to_window")))


@api.post("/tickets/<int:ticket_id>/cancel-by-staff")
@require("staff")
def cancel_ticket(ticket_id):
    return jsonify(get_queue().cancel(ticket_id, current_principal()))


# --- evaluations ----------------------------------------------------------------

@api.post("/evaluations")
@require("evaluator", "staff")
def evaluate():
    """The evaluator device of the window that served the ticket. Staff are let through the guard
    only to be told, by the domain, that staff never rate."""
    data = body()
    result = get_queue().evaluate(_int(data.get("ticket_id"), "ticket_id", required=True),
                                  _int(data.get("level"), "level", required=True),
                                  current_principal(), comment=data.get("comment"), reasons=data.get("reasons"))
    return jsonify(result), 201


@api.post("/tickets/<token>/evaluation")
def evaluate_own_ticket(token):
    """The citizen holding the ticket's token (the phone page /t/<token>, the ticket's QR code)."""
    data = body()
    result = get_queue().evaluate_by_citizen(token, _int(data.get("level"), "level", required=True),
                                             comment=data.get("comment"), reasons=data.get("reasons"))
    return jsonify(result), 201


@api.post("/evaluations/<int:evaluation_id>/void")
@require("admin")
def void_evaluation(evaluation_id):
    data = body()
    return jsonify(get_queue().void_evaluation(evaluation_id, _text(data.get("reason"), "reason", limit=500),
                                               current_principal()))


# --- errors ---------------------------------------------------------------------

HTTP_MESSAGES = {
    400: "请求有误 (bad request)",
    404: "没有这个页面或资源 (not found)",
    405: "不支持此请求方法 (method not allowed)",
    413: "提交的内容过大 (request too large)",
}


def register_error_handlers(app):
    """One place that turns every failure into the JSON error shape (API) or a plain page."""

    def wants_json():
        return request.path.startswith("/api/")

    @app.errorhandler(QueueError)
    def queue_error(error: QueueError):
        return jsonify(error.to_json()), error.status

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        if wants_json():
            return jsonify({"error": "csrf_failed", "message": "CSRF 校验失败，请刷新页面后重试"}), 400
        return "CSRF 校验失败，请刷新页面后重试", 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = (error.name or "error").lower().replace(" ", "_")
        message = HTTP_MESSAGES.get(error.code, error.description)
        # a 405 names the methods the route takes (RFC 9110), as werkzeug's own answer would
        allow = {"Allow": ", ".join(error.valid_methods)} if getattr(error, "valid_methods", None) else {}
        if wants_json():
            return jsonify({"error": code, "message": message}), error.code, allow
        return render_template("error.html", status=error.code, message=message,
                               hall=current_app.config["GOVHALL"]["hall"]["name"]), error.code, allow

    @app.errorhandler(sqlite3.DatabaseError)
    def database_damaged(error):
        if not health.is_damage(error):
            return unexpected(error)
        log.error("database damaged: %s", error)
        health.note_damage(current_app.config["GOVHALL"]["server"]["database"])
        body = {"error": "database_damaged", "message": health.DAMAGED_MESSAGE}
        if wants_json():
            return jsonify(body), 503
        return render_template("error.html", status=503, message=body["message"],
                               hall=current_app.config["GOVHALL"]["hall"]["name"]), 503

    @app.errorhandler(sqlite3.OperationalError)
    def database_busy(error):
        log.exception("database error")
        return jsonify({"error": "database_unavailable", "message": "数据库繁忙，请稍后重试"}), 503

    @app.errorhandler(Exception)
    def unexpected(error):
        log.exception("unexpected error")
        if wants_json():
            return jsonify({"error": "internal_error", "message": "服务器内部错误，已记录"}), 500
        return "服务器内部错误，已记录", 500
