"""The kiosk's offline copy of the hall's content: a `content.store.ContentStore` file in
`[kiosk] cache_dir`, kept current from `GET /api/v1/content?since=V`.

Two connections to the same SQLite file (WAL): the UI thread only reads through `reader`,
the background content lane writes through its own, so a long sync never blocks a tap."""

from __future__ import annotations

import threading
from pathlib import Path

from content.store import ContentStore

from .client import HallClient
from .pinyin_search import PinyinIndex

CACHE_FILE = "content-cache.db"


class ContentCache:
    def __init__(self, cache_dir: str | Path):
        self.path = Path(cache_dir) / CACHE_FILE
        self.reader = ContentStore(self.path)
        self._writer: ContentStore | None = None
        self._writer_lock = threading.Lock()

    def version(self) -> int:
        return self.reader.version()

    def refresh(self, client: HallClient) -> int:
        """Fetch what changed on the server and apply it; returns the version now held.

        Raises ServerUnreachable / ServerRejected; the copy is then left as it was."""
        with self._writer_lock:
            if self._writer is None:
                self._writer = ContentStore(self.path)
            changes = client.content_changes(self._writer.version())
            self._writer.apply_changes(changes)
            return self._writer.version()

    def pinyin_index(self) -> PinyinIndex:
        """The pinyin index of the copy as it is now; on the content lane (it reads every title)."""
        with self._writer_lock:
            if self._writer is None:
                self._writer = ContentStore(self.path)
            return PinyinIndex.build(self._writer)

    def close(self):
        self.reader.close()
        if self._writer is not None:
            self._writer.close()
