"""Demo content: a guide for every service of the demo hall, loaded once however often run."""

from __future__ import annotations

import tomllib
from pathlib import Path

import content
from content.demo import load_demo_content

HALL = Path(content.__file__).resolve().parent / "demo" / "hall.toml"


def test_every_demo_service_has_a_complete_guide(content_store):
    load_demo_content(content_store)
    hall = tomllib.loads(HALL.read_text(encoding="utf-8"))
    services = [s["name"] for d in hall["department"] for s in d.get("service", [])]
    assert services
    for name in services:
        guide = content_store.guide_for_service(name)
        assert guide is not None, name
        for field in ("legal_basis", "conditions", "procedure", "time_limit", "fees", "contact"):
            assert guide[field], (name, field)
        assert guide["materials"], name


def test_loading_twice_changes_nothing(content_store):
    counts = load_demo_content(content_store)
    version = content_store.version()
    assert load_demo_content(content_store) == counts
    assert content_store.version() == version
    assert content_store.count_documents() == counts["documents"] >= 10
    assert len(content_store.announcements()) == counts["announcements"]
    assert content_store.search("低保") and content_store.search("户籍")
