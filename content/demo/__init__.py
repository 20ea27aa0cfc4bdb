"""Demo content beside the demo hall (hall.toml): announcements, a service guide for
each demo service, and a set of disclosure documents. All of it is demo text."""

from __future__ import annotations

import tomllib
from pathlib import Path

from content.store import DOCUMENT_FIELDS, ContentStore

DEMO_DIR = Path(__file__).resolve().parent


def _load(name: str) -> dict:
    with open(DEMO_DIR / name, "rb") as handle:
        return tomllib.load(handle)


def load_demo_content(store: ContentStore) -> dict:
    """Put the demo content into `store`; running it again changes nothing.

    Returns how many of each kind the demo has."""
    guides = _load("guides.toml")["guide"]
    for guide in guides:
        if store.guide_for_service(guide["service"]) is None:
            store.save_guide(guide)
    documents = _load("documents.toml")["document"]
    for document in documents:
        fields = {name: document.get(name) for name in DOCUMENT_FIELDS}
        fields["body"] = (fields["body"] or "").strip()
        store.upsert_document(fields)
    announcements = _load("announcements.toml")["announcement"]
    existing = {a["title"] for a in store.announcements()}
    for announcement in announcements:
        if announcement["title"] not in existing:
            store.save_announcement(announcement)
    return {"guides": len(guides), "documents": len(documents), "announcements": len(announcements)}
