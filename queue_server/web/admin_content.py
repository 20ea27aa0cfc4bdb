"""Admin pages for the kiosk's content under /admin/content: announcements, service
guides per service, disclosure documents (hide, pin), and the website sync (its last
runs with their errors, a button to start one, the updates the sync held back for
review, and the documents whose page is gone). Server-rendered, admin login only."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from content import ContentError, ContentNotFound
from content import store as content_limits
from content.store import GUIDE_FIELDS
from content.sync import sync_in_background

from .. import offload
from .. import store as hall_store
from ..hall_admin import row_id
from .admin import NAV
from .auth import require_role
from .context import get_content_store as content_store
from .context import get_db
from .pages import safe_next

admin_content = Blueprint("admin_content", __name__, url_prefix="/admin/content")

PAGE_SIZE = 50


def render(template: str, **values):
    """A page of the admin console (its menu included) from templates/admin/content/."""
    return render_template(f"admin/content/{template}", hall=current_app.config["GOVHALL"]["hall"]["name"],
                           nav=NAV, limits=content_limits, **values)


@admin_content.app_template_filter("sync_status")
def sync_status(run: dict) -> str:
    """A run's outcome as the admin reads it: a run in which pages failed is not 已完成, and one in which
    nothing at all came through (the website unreachable) is 失败."""
    if run["status"] == "running":
        return "进行中"
    if run["status"] == "failed":
        return "失败"
    if run.get("failed"):
        fetched = (run.get("new") or 0) + (run.get("changed") or 0) + (run.get("unchanged") or 0)
        return f"部分失败（{run['failed']} 页）" if fetched else "失败"
    return "已完成"


def _site_path() -> str:
    return current_app.config["GOVHALL"]["content"].get("site") or ""


@admin_content.get("/")
@require_role("admin")
def overview():
    store = content_store()
    runs = store.sync_runs(limit=1)
    return render("overview.html", version=store.version(), documents=store.count_documents(include_hidden=True),
                  hidden=store.count_documents(include_hidden=True) - store.count_documents(),
                  guides=len(store.guides()), announcements=len(store.announcements()),
                  last_run=runs[0] if runs else None, held=len(store.held_updates()))


# --- announcements ----------------------------------------------------------------

def _announcement_form() -> dict:
    form = request.form
    return {"title": form.get("title", ""), "body": form.get("body", ""), "starts_on": form.get("starts_on") or None,
            "ends_on": form.get("ends_on") or None, "pinned": form.get("pinned") == "on"}


@admin_content.get("/announcements")
@require_role("admin")
def announcements():
    edit_id = request.args.get("edit", type=row_id)
    editing = content_store().announcement(edit_id) if edit_id else None
    return render("announcements.html", announcements=content_store().announcements(), editing=editing)


@admin_content.post("/announcements")
@require_role("admin")
def save_announcement():
    announcement_id = request.form.get("id", type=row_id)
    try:
        content_store().save_announcement(_announcement_form(), announcement_id)
    except ContentError as error:
        flash(error.message, "error")
        return render("announcements.html", announcements=content_store().announcements(),
                      editing=dict(_announcement_form(), id=announcement_id)), 400
    flash("公告已保存", "ok")
    return redirect(url_for(".announcements"))


@admin_content.post("/announcements/<int:announcement_id>/delete")
@require_role("admin")
def delete_announcement(announcement_id: int):
    content_store().delete_announcement(announcement_id)
    flash("公告已删除", "ok")
    return redirect(url_for(".announcements"))


# --- service guides ---------------------------------------------------------------

@admin_content.get("/guides")
@require_role("admin")
def guides():
    """Every queue service with its guide (or none yet), plus guides of unknown services."""
    existing = {guide["service"]: guide for guide in content_store().guides()}
    services = hall_store.list_services(get_db())
    known = {service["name"] for service in services}
    orphans = [guide for name, guide in existing.items() if name not in known]
    return render("guides.html", services=services, existing=existing, orphans=orphans)


def _guide_to_edit(service_name: str) -> dict:
    """The guide of a queue service (a blank one when none is written yet), or an existing guide
    whose service was renamed or removed; a name that is neither is refused (404)."""
    service_name = (service_name or "").strip()
    guide = content_store().guide_for_service(service_name)
    if guide is not None:
        return guide
    service = hall_store.get_service_by_name(get_db(), service_name) if service_name else None
    if not service:
        raise ContentNotFound(f"没有名为“{service_name}”的服务事项，请从办事指南列表中选择事项" if service_name
                              else "请从办事指南列表中选择事项")
    department = next((d["name"] for d in hall_store.list_departments(get_db())
                       if d["id"] == service["department_id"]), None)
    return {"service": service_name, "department": department, "materials": [], "online_links": []}


@admin_content.get("/guides/edit")
@require_role("admin")
def edit_guide():
    return render("guide_form.html", guide=_guide_to_edit(request.args.get("service", "")))


@admin_content.post("/guides")
@require_role("admin")
def save_guide():
    values = {name: request.form.get(name, "") for name in GUIDE_FIELDS}
    _guide_to_edit(values["service"])  # only for a service of the hall, or a guide that exists
    for name in ("materials", "online_links"):
        values[name] = values[name].splitlines()
    try:
        content_store().save_guide(values)
    except ContentError as error:
        flash(error.message, "error")
        return render("guide_form.html", guide=values), 400
    flash(f"“{values['service'].strip()}”的办事指南已保存", "ok")
    return redirect(url_for(".guides"))


@admin_content.post("/guides/delete")
@require_role("admin")
def delete_guide():
    content_store().delete_guide(request.form.get("service", ""))
    flash("办事指南已删除", "ok")
    return redirect(url_for(".guides"))


# --- documents --------------------------------------------------------------------

@admin_content.get("/documents")
@require_role("admin")
def documents():
    store = content_store()
    category = request.args.get("category") or None
    total = store.count_documents(category=category, include_hidden=True)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(request.args.get("page", 1, type=row_id), pages)
    return render("documents.html", category=category, categories=store.categories(), page=page,
                  pages=pages, total=total,
                  documents=store.documents(category=category, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE,
                                            include_hidden=True))


@admin_content.get("/documents/<int:document_id>")
@require_role("admin")
def document(document_id: int):
    return render("document.html", document=content_store().document(document_id, include_hidden=True))


@admin_content.post("/documents/<int:document_id>/flags")
@require_role("admin")
def document_flags(document_id: int):
    changes = {}
    for name in ("hidden", "pinned"):
        if name in request.form:
            changes[name] = request.form[name] == "1"
    content_store().set_document_flags(document_id, **changes)
    # local pages only, never an open redirect (/\evil and /%09/evil are other hosts to a browser)
    return redirect(safe_next(request.form.get("back")) or url_for(".documents"))


# --- sync ---------------------------------------------------------------------------

@admin_content.get("/sync")
@require_role("admin")
def sync_runs():
    store = content_store()
    return render("sync.html", runs=store.sync_runs(limit=20), site=_site_path(), held=store.held_updates(),
                  gone=store.gone_documents())


@admin_content.post("/sync/held/<int:held_id>/accept")
@require_role("admin")
def accept_held_update(held_id: int):
    doc_id = content_store().accept_held_update(held_id)
    flash(f"已采用该更新，文件（编号 {doc_id}）已替换为网站上的新内容", "ok")
    return redirect(url_for(".sync_runs"))


@admin_content.post("/sync/held/<int:held_id>/discard")
@require_role("admin")
def discard_held_update(held_id: int):
    content_store().discard_held_update(held_id)
    flash("已放弃该更新，保留原有内容", "ok")
    return redirect(url_for(".sync_runs"))


@admin_content.post("/sync")
@require_role("admin")
def start_sync():
    site = _site_path()
    if not site:
        flash("未配置站点描述文件（配置项 [content] site）", "error")
        return redirect(url_for(".sync_runs"))
    try:
        sync_in_background(current_app.config["GOVHALL"]["content"]["database"], site, runner=offload.run)
    except ContentError as error:
        flash(error.message, "error")
    else:
        flash("同步已开始，稍后刷新本页查看结果", "ok")
    return redirect(url_for(".sync_runs"))


@admin_content.errorhandler(ContentError)
def _content_error(error: ContentError):
    return render("_layout.html", content_error=error.message), error.status
