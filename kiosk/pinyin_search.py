"""Searching titles by pinyin, for a citizen who types on the kiosk's letter keyboard:
`sb` (initials) and `shebao` (whole syllables) both find 社保.

The index is built from the content cache when content is synced, on the content lane,
never on the UI thread. A search runs at every key press, on the UI thread, so it is kept
to a few milliseconds at thousands of titles:
- the titles matching each single letter are found once, when the index is built;
- a query that extends the previous one ("sh" after "s") only looks among the previous
  query's matches (whatever holds "sh" also holds "s");
- only the best `limit` hits are made into rows; the count of all of them comes along."""

from __future__ import annotations

import string
from dataclasses import dataclass, field

MAX_DOCUMENTS = 20000


@dataclass(frozen=True)
class Entry:
    initials: str  # 社保卡申领 → sbksl
    syllables: str  # 社保卡申领 → shebaokashenling
    hit: dict  # what a result row needs: kind, title, id or service


@dataclass
class SearchResult:
    hits: list[dict] = field(default_factory=list)  # the best ones, best first
    total: int = 0  # how many titles match in all

    def __len__(self) -> int:
        return self.total


def spell(title: str) -> tuple[str, str]:
    """(initials, syllables) of a title; digits and Latin letters stay as they are."""
    # imported here, on the content lane: pypinyin's dictionaries take about a second to
    # load, which the kiosk's start-up (its first frame) should not wait for
    from pypinyin import Style, lazy_pinyin

    syllables = [s.lower() for s in lazy_pinyin(title, style=Style.NORMAL, errors="default") if s.strip()]
    initials = "".join(s[0] if s.isalpha() else s for s in syllables)
    return initials, "".join(syllables)


def normalise(letters: str) -> str:
    return "".join(ch for ch in letters.lower() if ch.isalnum())


class PinyinIndex:
    def __init__(self, entries: list[Entry] | None = None):
        self.entries = entries or []
        self._initials = [entry.initials for entry in self.entries]
        self._syllables = [entry.syllables for entry in self.entries]
        # positions of the titles holding each letter anywhere: the first key press's candidates
        self._by_letter = {letter: self._matching(letter, range(len(self.entries)))
                           for letter in string.ascii_lowercase}
        self._last: tuple[str, list[int]] = ("", [])

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

    def _matching(self, query: str, candidates) -> list[int]:
        """Positions (in index order) whose initials or syllables hold `query` anywhere."""
        initials, syllables = self._initials, self._syllables
        return [i for i in candidates if query in initials[i] or query in syllables[i]]

    def _candidates(self, query: str) -> list[int]:
        last_query, last_matches = self._last
        if last_query and query.startswith(last_query):
            return self._matching(query, last_matches)
        if len(query) == 1 and query in self._by_letter:
            return self._by_letter[query]
        first = self._by_letter.get(query[0])
        return self._matching(query, first if first is not None else range(len(self.entries)))

    def search(self, letters: str, limit: int | None = None) -> SearchResult:
        """Titles whose pinyin holds `letters`, best first: initials from the start, whole
        syllables from the start, initials anywhere, syllables anywhere; guides before
        documents within a rank (they are first in the index: a citizen usually wants to
        get something done). `hits` holds the best `limit` (all when None)."""
        query = normalise(letters)
        if not query:
            return SearchResult()
        matches = self._candidates(query)
        self._last = (query, matches)
        initials, syllables = self._initials, self._syllables
        initial_start = [i for i in matches if initials[i].startswith(query)]
        syllable_start = [i for i in matches if not initials[i].startswith(query) and syllables[i].startswith(query)]
        starts = set(initial_start)
        starts.update(syllable_start)
        initial_inside = [i for i in matches if i not in starts and query in initials[i]]
        ranked = initial_start + syllable_start + initial_inside
        if limit is None or len(ranked) < limit:
            inside = set(initial_inside)
            ranked += [i for i in matches if i not in starts and i not in inside]
        chosen = ranked if limit is None else ranked[:limit]
        return SearchResult([self.entries[i].hit for i in chosen], len(matches))
