"""The admin pages (/admin): running the hall from a browser, its statistics and the 差评
follow-up. Thin views: each reads a form, calls one function of hall_admin, stats, report,
charts or followup, and redirects; a refused change comes back as a message on the page."""

from __future__ import annotations

import functools
import json

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_login import current_user

from .. import clock, followup, hall_admin, offload, stats, store
from ..errors import QueueError
from ..ops import report
from ..queue import EVALUATION_LEVELS, EVALUATION_TEXT_LIMIT
from .auth import current_principal, require_role
from .context import get_broker, get_db, get_queue

admin = Blueprint("admin", __name__, url_prefix="/admin")

# (page, label, the endpoints or blueprints that light it up in the menu)
NAV = [("admin.dashboard", "概览", ("admin.dashboard",)),
       ("admin.departments", "部门", ("admin.departments",)),
       ("admin.services", "事项", ("admin.services", "admin.service_form")),
       ("admin.windows", "窗口", ("admin.windows", "admin.window_form")),
       ("admin.staff_list", "人员", ("admin.staff_list", "admin.staff_form", "admin.issue_token")),
       ("admin.kiosks", "自助机", ("admin.kiosks", "admin.register_kiosk")),
       ("admin_content.overview", "内容管理", ("admin_content",)),  # a blueprint: every page of it
       ("admin.calendar", "节假日", ("admin.calendar",)),
       ("appointment_pages.admin_day", "预约", ("appointment_pages.admin_day",)),
       ("admin.statistics", "统计", ("admin.statistics", "admin.evaluations", "admin.evaluation")),
       ("admin.followup_cases", "差评回访", ("admin.followup_cases", "admin.followup_case")),
       ("admin.ranking", "窗口评比", ("admin.ranking",)),
       ("admin.events", "操作日志", ("admin.events",))]

# the largest numbers the forms take (hall_admin refuses more), for the inputs' max=
FORM_LIMITS = {"daily_cap": hall_admin.MAX_DAILY_CAP, "window": hall_admin.MAX_WINDOW_NUMBER,
               "sort_order": hall_admin.MAX_SORT_ORDER}


def _config() -> dict:
    return current_app.config["GOVHALL"]


def _me() -> int:
    return current_user.staff["id"]


def _today() -> str:
    return clock.local_day(clock.utc_now(), _config()["hall"]["timezone"])


def _render(template, **context):
    return render_template(f"admin/{template}", hall=_config()["hall"]["name"], nav=NAV, limits=FORM_LIMITS,
                           **context)


@admin.app_template_filter("hall_time")
def hall_time(iso: str | None) -> str:
    """A stored UTC timestamp as the hall's local time, to the second."""
    if not iso:
        return "—"
    return clock.local(clock.from_iso(iso), _config()["hall"]["timezone"]).strftime("%Y-%m-%d %H:%M:%S")


def admin_action(view):
    """A form post: domain refusals become a message on the page; changes reach /stream at once."""

    @functools.wraps(view)
    def run(*args, **kwargs):
        try:
            response = view(*args, **kwargs)
        except QueueError as error:
            flash(error.message, "error")
            return redirect(request.referrer or url_for("admin.dashboard"))
        get_broker().notify(get_db())
        return response

    return require_role("admin")(run)


def _back(endpoint, message=None, **values):
    if message:
        flash(message, "ok")
    return redirect(url_for(endpoint, **values))


# --- overview -------------------------------------------------------------------

@admin.get("/")
@require_role("admin")
def dashboard():
    db, today = get_db(), _today()
    figures = stats.hall_statistics(db, _config(), stats.Period(today, today), detail=False)
    kiosks = hall_admin.kiosk_health(db)
    return _render("dashboard.html", figures=figures, today=today, windows=store.list_windows(db, include_retired=False),
                   notices="\n".join(get_queue().notices()),
                   kiosk_alerts=[k for k in kiosks if k["alerts"]], kiosk_count=len(kiosks),
                   overdue=store.count_overdue_followup_cases(db, today),
                   open_cases=len(followup.cases(db, today, status="unresolved")))


@admin.post("/notices")
@admin_action
def save_notices():
    """The hall screen's ticker, edited on the overview; the screen shows it at once."""
    hall_admin.save_notices(get_db(), _me(), request.form.get("notices", ""))
    return _back("admin.dashboard", "大厅屏公告已更新")


# --- departments ----------------------------------------------------------------

@admin.get("/departments")
@require_role("admin")
def departments():
    db = get_db()
    counts = {}
    for service in store.list_services(db):
        counts[service["department_id"]] = counts.get(service["department_id"], 0) + 1
    return _render("departments.html", departments=store.list_departments(db), counts=counts)


@admin.post("/departments")
@admin.post("/departments/<int:department_id>")
@admin_action
def save_department(department_id=None):
    hall_admin.save_department(get_db(), _me(), department_id, request.form.get("name"),
                               request.form.get("sort_order") or 0)
    return _back("admin.departments", "部门已保存")


@admin.post("/departments/<int:department_id>/delete")
@admin_action
def delete_department(department_id):
    hall_admin.delete_department(get_db(), _me(), department_id)
    return _back("admin.departments", "部门已删除")


# --- services -------------------------------------------------------------------

@admin.get("/services")
@require_role("admin")
def services():
    db = get_db()
    return _render("services.html", services=store.list_services(db), loads=_json_hours)


def _json_hours(service) -> str:
    return "、".join(json.loads(service["hours"]))


@admin.get("/services/new")
@admin.get("/services/<int:service_id>")
@require_role("admin")
def service_form(service_id=None):
    db = get_db()
    service = store.get_service(db, service_id) if service_id else None
    if service_id and not service:
        abort(404)
    return _render("service_form.html", service=service, departments=store.list_departments(db),
                   categories=store.CATEGORIES, hours=_json_hours(service).replace("、", "\n") if service else
                   "08:30-12:00\n14:30-17:30")


@admin.post("/services/new")
@admin.post("/services/<int:service_id>")
@admin_action
def save_service(service_id=None):
    service_id = hall_admin.save_service(get_db(), _me(), service_id, hall_admin.service_values(request.form),
                                         content_database=_config()["content"]["database"])
    return _back("admin.services", "事项已保存")


@admin.post("/services/<int:service_id>/enabled")
@admin_action
def set_service_enabled(service_id):
    enabled = request.form.get("enabled") == "1"
    hall_admin.set_service_enabled(get_db(), _me(), service_id, enabled)
    return _back("admin.services", "事项已恢复办理" if enabled else "事项已暂停取号")


@admin.post("/services/<int:service_id>/retired")
@admin_action
def set_service_retired(service_id):
    retired = request.form.get("retired") == "1"
    hall_admin.set_service_retired(get_db(), _me(), service_id, retired)
    return _back("admin.services", "事项已停用，历史记录仍计入统计" if retired else "事项已重新启用")


# --- windows --------------------------------------------------------------------

@admin.get("/windows")
@require_role("admin")
def windows():
    db = get_db()
    services_by_id = {s["id"]: s for s in store.list_services(db)}
    served = store.window_services_by_window(db)
    return _render("windows.html", windows=store.list_windows(db), served=served, services=services_by_id)


@admin.post("/windows")
@admin_action
def create_window():
    window_id = hall_admin.save_window(get_db(), _me(), None, request.form.get("number"), request.form.get("name"))
    return _back("admin.window_form", "窗口已添加，请设置其办理的事项", window_id=window_id)


@admin.get("/windows/<int:window_id>")
@require_role("admin")
def window_form(window_id, issued_key=None):
    db = get_db()
    window = store.get_window_with_staff(db, window_id)
    if not window:
        abort(404)
    services = store.list_services(db)
    by_id = {service["id"]: service for service in services}
    order = store.window_service_ids(db, window_id)
    positions = {service_id: index for index, service_id in enumerate(order, 1)}
    return _render("window_form.html", window=window, services=services, positions=positions,
                   ordered=[by_id[service_id] for service_id in order if service_id in by_id],
                   evaluator_keys=store.list_evaluator_tokens(db, window_id), issued_key=issued_key)


@admin.post("/windows/<int:window_id>/evaluator-keys")
@admin_action
def issue_evaluator_key(window_id):
    key = hall_admin.issue_evaluator_key(get_db(), _me(), window_id)
    # shown once, on this response only; the tablet keeps it after its first visit
    return window_form.__wrapped__(window_id, issued_key=key)


@admin.post("/windows/<int:window_id>")
@admin_action
def save_window(window_id):
    db = get_db()
    service_ids = hall_admin.services_from_positions(request.form.items())  # refused before anything changes
    hall_admin.save_window(db, _me(), window_id, request.form.get("number"), request.form.get("name"))
    hall_admin.set_window_services(db, _me(), window_id, service_ids)
    return _back("admin.window_form", "窗口已保存", window_id=window_id)


@admin.post("/windows/<int:window_id>/state")
@admin_action
def window_state(window_id):
    """Pause, resume or close a window from the console (an admin may act on any window)."""
    window = store.get_window_by_id(get_db(), window_id)
    if not window:
        abort(404)
    action = request.form.get("action")
    if action not in ("pause", "resume", "close"):
        abort(400)
    get_queue().window_action(window["number"], action, current_principal(),
                              reason=request.form.get("reason", "管理员暂停"))
    return _back("admin.windows", f"{window['number']}号窗口已更新")


@admin.post("/windows/<int:window_id>/retired")
@admin_action
def set_window_retired(window_id):
    retired = request.form.get("retired") == "1"
    hall_admin.set_window_retired(get_db(), _me(), window_id, retired)
    return _back("admin.windows", "窗口已停用，历史记录仍计入统计" if retired else "窗口已重新启用")


# --- staff ----------------------------------------------------------------------

@admin.get("/staff")
@require_role("admin")
def staff_list():
    return _render("staff.html", people=store.list_staff(get_db()))


@admin.post("/staff")
@admin_action
def create_staff():
    db = get_db()
    staff_id = hall_admin.create_staff(db, _me(), request.form.get("name"), request.form.get("employee_no"),
                                       request.form.get("role", "staff"), request.form.get("password", ""))
    return _back("admin.staff_form", "人员已添加", staff_id=staff_id)


@admin.get("/staff/<int:staff_id>")
@require_role("admin")
def staff_form(staff_id, issued_token=None):
    db = get_db()
    person = store.get_staff(db, staff_id)
    if not person:
        abort(404)
    return _render("staff_form.html", person=person, tokens=store.list_staff_tokens(db, staff_id),
                   issued_token=issued_token)


@admin.post("/staff/<int:staff_id>")
@admin_action
def save_staff(staff_id):
    hall_admin.save_staff(get_db(), _me(), staff_id, request.form.get("name"), request.form.get("employee_no"),
                          request.form.get("role"), active=request.form.get("active") == "1")
    return _back("admin.staff_form", "人员信息已保存", staff_id=staff_id)


@admin.post("/staff/<int:staff_id>/password")
@admin_action
def reset_password(staff_id):
    hall_admin.reset_password(get_db(), _me(), staff_id, request.form.get("password", ""))
    return _back("admin.staff_form", "密码已重置", staff_id=staff_id)


@admin.post("/staff/<int:staff_id>/photo")
@admin_action
def upload_photo(staff_id):
    upload = request.files.get("photo")
    if not upload or not upload.filename:
        flash("请选择照片文件", "error")
        return redirect(url_for("admin.staff_form", staff_id=staff_id))
    hall_admin.save_photo(get_db(), _config(), _me(), staff_id, upload.read())
    return _back("admin.staff_form", "照片已更新", staff_id=staff_id)


@admin.post("/staff/<int:staff_id>/tokens")
@admin_action
def issue_token(staff_id):
    token = hall_admin.issue_token(get_db(), _me(), staff_id)
    # shown once, on this response only; never stored in clear or put in the session
    return staff_form.__wrapped__(staff_id, issued_token=token)


@admin.post("/tokens/<int:token_id>/revoke")
@admin_action
def revoke_token(token_id):
    db = get_db()
    token = store.get_token(db, token_id)
    hall_admin.revoke_token(db, _me(), token_id)
    if token and token["staff_id"]:
        return _back("admin.staff_form", "令牌已吊销", staff_id=token["staff_id"])
    if token and token["kind"] == "evaluator":
        return _back("admin.window_form", "评价器密钥已吊销", window_id=token["window_id"])
    return _back("admin.kiosks", "令牌已吊销")


@admin.get("/photos/<name>")
def photo(name):
    """Staff photos for the window displays (监督岗牌): public, like the badge on the counter."""
    return send_from_directory(hall_admin.photos_dir(_config()), name, mimetype="image/jpeg", max_age=300)


# --- kiosks ---------------------------------------------------------------------

@admin.get("/kiosks")
@require_role("admin")
def kiosks(issued=None):
    return _render("kiosks.html", kiosks=hall_admin.kiosk_health(get_db()), issued=issued,
                   silent_minutes=int(hall_admin.KIOSK_SILENT_AFTER.total_seconds() // 60))


@admin.post("/kiosks")
@admin_action
def register_kiosk():
    kiosk_id, token = hall_admin.register_kiosk(get_db(), _me(), request.form.get("name"))
    return kiosks.__wrapped__(issued={"id": kiosk_id, "name": request.form.get("name"), "token": token})


@admin.post("/kiosks/<int:kiosk_id>/revoke")
@admin_action
def revoke_kiosk(kiosk_id):
    hall_admin.revoke_kiosk(get_db(), _me(), kiosk_id)
    return _back("admin.kiosks", "自助机已停用，其令牌全部吊销")


# --- calendar -------------------------------------------------------------------

@admin.get("/calendar")
@require_role("admin")
def calendar():
    year = request.args.get("year", type=int)
    if year is None or not hall_admin.FIRST_CALENDAR_YEAR <= year <= hall_admin.LAST_CALENDAR_YEAR:
        year = int(clock.local_today(current_app.config["GOVHALL"]["hall"]["timezone"])[:4])
    days = store.list_hall_days(get_db(), f"{year}-01-01", f"{year}-12-31")
    return _render("calendar.html", days=days, year=year)


@admin.post("/calendar")
@admin_action
def set_hall_day():
    hall_admin.set_hall_day(get_db(), _me(), request.form.get("day"), request.form.get("kind"),
                            request.form.get("note", ""))
    return _back("admin.calendar", "日历已更新", year=(request.form.get("day") or "")[:4] or None)


@admin.post("/calendar/<day>/delete")
@admin_action
def delete_hall_day(day):
    day = hall_admin.delete_hall_day(get_db(), _me(), day)
    return _back("admin.calendar", f"已删除 {day}", year=day[:4])


# --- the event log --------------------------------------------------------------

EVENT_NAMES = {
    "ticket_issued": "取号", "ticket_called": "叫号", "ticket_recalled": "重呼", "ticket_serving": "开始办理",
    "ticket_no_show": "过号", "ticket_held": "挂起", "ticket_requeued": "过号顺延", "ticket_transferred": "转办",
    "ticket_finished": "办结", "ticket_cancelled": "取消", "window_opened": "窗口登录", "window_closed": "窗口退出",
    "window_paused": "窗口暂停", "window_resumed": "窗口恢复", "evaluation_recorded": "评价",
    "hall_changed": "大厅设置变更", "followup_opened": "差评立案", "followup_assigned": "差评指派",
    "followup_called_back": "差评回访", "followup_resolved": "差评办结", "followup_appealed": "差评申诉",
    "followup_appeal_decided": "申诉处理",
}


CHANGE_SUBJECTS = {"service": "事项", "department": "部门", "window": "窗口", "staff": "人员", "token": "令牌",
                   "kiosk": "自助机", "hall_day": "日历", "notices": "大厅屏公告"}
CHANGE_ACTIONS = {"created": "新增", "updated": "修改", "deleted": "删除", "enabled": "恢复办理", "disabled": "暂停取号",
                  "services": "调整办理事项", "password_reset": "重置密码", "photo": "更新照片", "issued": "签发",
                  "revoked": "吊销", "registered": "登记", "set": "设置", "retired": "停用", "restored": "重新启用"}


def describe_event(event: dict) -> str:
    """One line of the audit trail in the hall's words."""
    data, kind = event["data"], event["type"]
    if kind == "hall_changed":
        subject = data.get("name") or ""
        if data.get("renamed_from"):
            subject += f"（原名“{data['renamed_from']}”）"
        if data.get("what") == "hall_day":
            subject = f"{data.get('day')} {'节假日' if data.get('kind') == 'holiday' else '调休工作日' if data.get('kind') else ''}" \
                      f"{(' ' + data['name']) if data.get('name') else ''}"
        return f"{CHANGE_ACTIONS.get(data.get('action'), data.get('action'))}" \
               f"{CHANGE_SUBJECTS.get(data.get('what'), data.get('what'))}：{subject.strip()}"
    if kind.startswith("followup_"):
        return f"工单 #{data.get('case_id')} · {data.get('ticket')} · {data.get('window') or '—'}号窗口 · " \
               f"期限 {data.get('deadline')}"
    if kind == "evaluation_recorded":
        return f"{data.get('number')} · {data.get('level_name')}"
    if kind.startswith("window_"):
        return f"{data.get('window')}号窗口 {data.get('window_name') or ''}" + \
            (f"（{data['pause_reason']}）" if data.get("pause_reason") else "")
    if data.get("number"):
        return f"{data['number']} {data.get('service') or ''}" + (f" · {data['window']}号窗口" if data.get("window") else "")
    return json.dumps(data, ensure_ascii=False)


@admin.get("/events")
@require_role("admin")
def events():
    """The audit log, newest first, narrowed by type, person, window and local days."""
    db = get_db()
    args = request.args
    chosen = args.get("type") or None
    before = args.get("before", type=hall_admin.row_id)
    staff_id = args.get("staff", type=hall_admin.row_id)
    window_number = args.get("window", type=int)
    window = store.get_window(db, window_number) if window_number else None
    first_at = end_at = None
    first_day, last_day = (args.get("from") or "").strip(), (args.get("to") or "").strip()
    if first_day or last_day:
        try:
            period = stats.Period(first_day or last_day, last_day or first_day)
            first_at, end_at = period.utc_bounds(_config()["hall"]["timezone"])
        except QueueError as error:
            flash(error.message, "error")
            first_day = last_day = ""
    found = store.list_events(db, before_id=before, types=[chosen] if chosen else None, limit=100,
                              staff_id=staff_id, window_id=window["id"] if window else (-1 if window_number else None),
                              first_at=first_at, end_at=end_at)
    filters = {"type": chosen, "staff": staff_id, "window": window_number, "from": first_day or None,
               "to": last_day or None}
    return _render("events.html", events=found, types=store.event_types(db), chosen=chosen, names=EVENT_NAMES,
                   describe=describe_event, people=store.list_staff(db), windows=store.list_windows(db),
                   filters=filters, older=found[-1]["id"] if len(found) == 100 else None)


# --- statistics -----------------------------------------------------------------

def _period() -> stats.Period:
    """The ?from=&to= of the request; BadRequest (a message for the page) when out of range."""
    return stats.Period.parse(request.args.get("from"), request.args.get("to"), today=_today())


def _period_for_page() -> stats.Period:
    """A page shows the period asked for, or, when it is refused, the default one with the message."""
    try:
        return _period()
    except QueueError as error:
        flash(error.message, "error")
        return stats.Period.parse(None, None, today=_today())


def _downloads(view):
    """A download of a refused period goes back to the statistics page with the message."""

    @functools.wraps(view)
    def run(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except QueueError as error:
            flash(error.message, "error")
            return redirect(url_for("admin.statistics"))

    return run


@admin.get("/stats")
@require_role("admin")
def statistics():
    period = _period_for_page()
    figures = offload.run("queue_server.ops.render:statistics", _config(), period.first_day, period.last_day)
    return _render("stats.html", figures=figures, period=period, charts=CHART_NAMES,
                   minutes=_minutes, percent=report.percent)


def _minutes(seconds) -> str:
    return "—" if seconds is None else f"{seconds / 60:.1f}"


# the names of charts.CHARTS; charts (matplotlib) is imported only in the helper process that draws
CHART_NAMES = ["categories", "satisfaction", "waiting", "windows", "heatmap", "daily"]


@admin.get("/stats/chart/<name>.png")
@require_role("admin")
def chart(name):
    if name not in CHART_NAMES:
        abort(404)
    period = _period()
    return Response(offload.run("queue_server.ops.render:chart_png", _config(), period.first_day, period.last_day, name),
                    mimetype="image/png")


@admin.get("/stats/export.<fmt>")
@require_role("admin")
@_downloads
def export(fmt):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    period = _period()
    filename = f"govhall-stats-{period.first_day}-{period.last_day}.{fmt}"
    body, content_type = offload.run("queue_server.ops.render:export", _config(), period.first_day, period.last_day, fmt)
    # content_type, not mimetype: Flask would add a second "; charset=utf-8" to a mimetype that has one
    return Response(body, content_type=content_type,
                    headers={"Content-Disposition": f"attachment; filename={filename}"})


@admin.get("/report.txt")
@require_role("admin")
@_downloads
def report_text():
    period = _period()
    return Response(offload.run("queue_server.ops.render:report_text", _config(), period.first_day, period.last_day),
                    content_type="text/plain; charset=utf-8")


# --- 差评 follow-up -------------------------------------------------------------

@admin.get("/followup")
@require_role("admin")
def followup_cases():
    status = request.args.get("status", "unresolved")
    found = followup.cases(get_db(), _today(), status=None if status == "all" else status)
    return _render("followup.html", cases=found, status=status, levels=EVALUATION_LEVELS,
                   statuses=followup.CASE_STATUS_NAMES)


@admin.get("/followup/<int:case_id>")
@require_role("admin")
def followup_case(case_id):
    db = get_db()
    case = store.get_followup_case(db, case_id)
    if not case:
        abort(404)
    followup.annotate(case, _today())
    # the rated staff member is not offered as the case's assignee
    people = [p for p in store.list_staff(db) if p["id"] != case["staff_id"]]
    return _render("followup_case.html", case=case, levels=EVALUATION_LEVELS, people=people,
                   history=followup.history(db, case_id), callbacks=followup.callbacks(db, case_id),
                   names=EVENT_NAMES)


@admin.post("/followup/<int:case_id>/<action>")
@admin_action
def followup_action(case_id, action):
    db, form = get_db(), request.form
    if action == "assign":
        followup.assign(db, case_id, hall_admin.whole_number(form.get("assignee_id"), "承办人", 1), _me())
    elif action == "callback":
        followup.record_callback(db, case_id, form.get("note"), _me())
    elif action == "resolve":
        followup.resolve(db, case_id, form.get("resolution"), _me())
    elif action == "appeal":
        followup.appeal(db, case_id, form.get("reason"), _me())
    elif action == "decide":
        followup.decide_appeal(db, case_id, form.get("outcome"), form.get("note"), _me())
    else:
        abort(404)
    return _back("admin.followup_case", "工单已更新", case_id=case_id)


# --- ratings (好差评) ------------------------------------------------------------

EVALUATIONS_SHOWN = 500


@admin.get("/evaluations")
@require_role("admin")
def evaluations():
    """The ratings of a period, newest first, each with a way to its page (and its 作废 form)."""
    period = _period_for_page()
    first_at, end_at = period.utc_bounds(_config()["hall"]["timezone"])
    found = store.list_evaluations(get_db(), first_at, end_at, limit=EVALUATIONS_SHOWN)
    return _render("evaluations.html", evaluations=found, period=period, levels=EVALUATION_LEVELS,
                   shown=EVALUATIONS_SHOWN)


@admin.get("/evaluations/<int:evaluation_id>")
@require_role("admin")
def evaluation(evaluation_id):
    found = store.get_evaluation_detail(get_db(), evaluation_id)
    if not found:
        abort(404)
    return _render("evaluation.html", evaluation=found, levels=EVALUATION_LEVELS, reason_limit=EVALUATION_TEXT_LIMIT)


@admin.post("/evaluations/<int:evaluation_id>/void")
@admin_action
def void_evaluation(evaluation_id):
    """作废: the rating stays, with who and why (the event log has it too), and leaves every figure;
    its follow-up case is withdrawn. The domain refuses a blank or too long reason, or a second void."""
    get_queue().void_evaluation(evaluation_id, request.form.get("reason", ""), current_principal())
    return _back("admin.evaluation", "评价已作废：不再计入满意率与排名，其差评工单已撤销",
                 evaluation_id=evaluation_id)


@admin.get("/ranking")
@require_role("admin")
def ranking():
    month = request.args.get("month") or _today()[:7]
    try:
        result = stats.ranking(get_db(), _config(), month)
    except QueueError as error:
        flash(error.message, "error")
        month = _today()[:7]
        result = stats.ranking(get_db(), _config(), month)
    return _render("ranking.html", ranking=result, month=month, minutes=_minutes, percent=report.percent)

