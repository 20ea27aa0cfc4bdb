"""Searching titles by pinyin, for a citizen who types on the kiosk's letter keyboard:
`sb` (initials) and `shebao` (whole syllables) both find 社保.

The index is built from the content cache when content is synced, on the content lane,
never on the UI thread; a search is then a scan of short strings in memory (a few
milliseconds for thousands of documents), fast enough to run at every key press."""

from __future__ import annotations

from dataclasses import dataclass

from pypinyin import Style, lazy_pinyin

MAX_DOCUMENTS = 20000


@dataclass(frozen=True)
class Entry:
    initials: str  # 社保卡申领 → sbksl
    syllables: str  # 社保卡申领 → shebaokashenling
    hit: dict  # what a result row needs: kind, title, id or service


def spell(title: str) -> tuple[str, str]:
    """(initials, syllables) of a title; digits and Latin letters stay as they are."""
    syllables = [s.lower() for s in lazy_pinyin(title, style=Style.NORMAL, errors="default") if s.strip()]
    initials = "".join(s[0] if s.isalpha() else s for s in syllables)
    return initials, "".join(syllables)


class PinyinIndex:
    def __init__(self, entries: list[Entry] | None = None):
        self.entries = entries or []

    def __len__(self) -> int:
        return len(self.entries)

    @classmethod
    def build(cls, store) -> "PinyinIndex":
        """Every guide (by its service's name) and every shown document of a ContentStore."""
        entries = []
        for guide in store.guides():
            entries.append(Entry(*spell(guide["service"]), {"kind": "guide", "title": guide["service"],
                                                           "service": guide["service"],
                                                           "snippet": guide.get("department") or ""}))
        for document in store.documents(limit=MAX_DOCUMENTS):
            entries.append(Entry(*spell(document["title"]), {
                "kind": "document", "id": document["id"], "title": document["title"],
                "published_on": document.get("published_on"), "doc_no": document.get("doc_no"),
                "publisher": document.get("publisher")}))
        return cls(entries)

    def search(self, letters: str, limit: int | None = None) -> list[dict]:
        """Titles whose pinyin holds `letters`, best first: initials from the start, whole
        syllables from the start, initials anywhere, syllables anywhere; guides before
        documents within a rank (a citizen usually wants to get something done)."""
        query = "".join(ch for ch in letters.lower() if ch.isalnum())
        if not query:
            return []
        ranked = []
        for order, entry in enumerate(self.entries):
            if entry.initials.startswith(query):
                rank = 0
            elif entry.syllables.startswith(query):
                rank = 1
            elif query in entry.initials:
                rank = 2
            elif query in entry.syllables:
                rank = 3
            else:
                continue
            ranked.append((rank, order, entry.hit))
        ranked.sort(key=lambda item: (item[0], item[1]))
        return [hit for _rank, _order, hit in ranked[:limit]]
