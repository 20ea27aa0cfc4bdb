"""The kiosk's view of the content store under /api/v1/content: what changed since a
version, search, one document, categories, guides and announcements.

Everything here is public information (政务公开), so no token is required. The content
store is its own SQLite file, opened per request."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, jsonify, request

from content import ContentError, ContentNotFound

from .. import clock, store
from .context import get_content_store

content_api = Blueprint("content_api", __name__, url_prefix="/api/v1/content")


@content_api.errorhandler(ContentError)
def _content_error(error: ContentError):
    return jsonify(error.to_json()), error.status


class BadParameter(ContentError):
    code = "bad_request"
    status = 400


def _int_arg(name: str, default: int, low: int = 0, high: int = store.MAX_INTEGER) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadParameter(f"{name} 须为整数 ({name} must be an integer)") from None
    if not low <= value <= high:
        raise BadParameter(f"{name} 超出范围 ({name} out of range)")
    return value


@content_api.get("")
def changes():
    """Changes since ?since=V (0 or absent: everything). The kiosk stores the answer with
    ContentStore.apply_changes and asks next time with the returned version."""
    return jsonify(get_content_store().changes_since(_int_arg("since", 0)))


@content_api.get("/search")
def search():
    query = (request.args.get("q") or "").strip()
    if len(query) > 100:
        raise BadParameter("查询过长 (query too long)")
    limit = _int_arg("limit", 20, 1, 100)  # checked with or without a query: a bad one is always a 400
    results = get_content_store().search(query, limit=limit) if query else []
    return jsonify({"query": query, "results": results})


@content_api.get("/documents")
def documents():
    store = get_content_store()
    category = request.args.get("category") or None
    return jsonify({"documents": store.documents(category=category, limit=_int_arg("limit", 50, 1, 200),
                                                 offset=_int_arg("offset", 0)),
                    "total": store.count_documents(category=category)})


@content_api.get("/documents/<int:document_id>")
def document(document_id: int):
    found = get_content_store().document(document_id)
    found.pop("hidden", None)
    return jsonify(found)


@content_api.get("/categories")
def categories():
    return jsonify({"categories": get_content_store().categories()})


@content_api.get("/guides")
def guides():
    return jsonify({"guides": get_content_store().guides()})


@content_api.get("/guides/<path:service_name>")
def guide(service_name: str):
    found = get_content_store().guide_for_service(service_name)
    if found is None:
        raise ContentNotFound(f"没有“{service_name}”的办事指南")
    return jsonify(found)


@content_api.get("/announcements")
def announcements():
    """Announcements shown on ?on=YYYY-MM-DD, by default the hall's today."""
    raw = request.args.get("on")
    if raw:
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            raise BadParameter("on 须为 YYYY-MM-DD 日期") from None
    else:
        zone = current_app.config["GOVHALL"]["hall"].get("timezone", "Asia/Shanghai")
        day = date.fromisoformat(clock.local_day(clock.utc_now(), zone))
    return jsonify({"on": day.isoformat(), "announcements": get_content_store().announcements(day)})
