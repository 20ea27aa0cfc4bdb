"""The content store: one SQLite file with disclosure documents, announcements, service
guides, their search index, and the sync's bookkeeping. Every SQL statement of the
content package lives here.

The same class is the server's store and the kiosk's offline copy: the server answers
`changes_since(V)`, the kiosk feeds that answer to `apply_changes` on its own file.

Versioning: one counter (`meta.version`) grows with every change; each changed row takes
the new value, so "what changed since V" is `version > V`. Deleted rows leave a tombstone
with the version of their deletion; a hidden document, and one whose page is gone from
the website, is sent to kiosks as deleted."""

from __future__ import annotations

import hashlib
import json
import re
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path

import storage

from . import ContentNotFound, InvalidContent, SyncBusy
from .quality import text_length
from .textindex import index_tokens, match_expression, snippet

DOCUMENT_FIELDS = ("title", "index_no", "doc_no", "written_on", "publisher", "category",
                   "published_on", "repealed_on", "validity", "body", "attachments", "source_url")
DOCUMENT_DATES = ("written_on", "published_on", "repealed_on")

# What the admin forms let a person type (their maxlength), held on the server too: a request that
# skips the form gets the same answer, and nothing unbounded reaches the kiosks.
ANNOUNCEMENT_TITLE_LIMIT = 100
ANNOUNCEMENT_BODY_LIMIT = 2000
GUIDE_TEXT_LIMIT = 4000
GUIDE_LIST_ITEMS = 50
GUIDE_LIST_ITEM_LIMIT = 500
LINK_SCHEMES = ("http", "https")
GUIDE_FIELDS = ("service", "department", "legal_basis", "conditions", "procedure", "materials",
                "time_limit", "fees", "contact", "online_links")
GUIDE_LISTS = ("materials", "online_links")
GUIDE_LABELS = {"service": "事项名称", "department": "实施部门", "legal_basis": "法定依据", "conditions": "申请条件",
                "procedure": "办理程序", "materials": "申报材料", "time_limit": "办理时限", "fees": "收费标准",
                "contact": "联系方式", "online_links": "网上办理链接"}
ANNOUNCEMENT_FIELDS = ("title", "body", "starts_on", "ends_on", "pinned")

# How many title matches of a query are scored by bm25, the newest ones (see
# ContentStore._title_hits).
SEARCH_RANK_CANDIDATES = 150

# This many documents changed at once (a sync run, a kiosk's copy) and the search
# indexes are optimized afterwards.
BULK_CHANGE = 100


# Each migration runs once, in order; the applied count lives in PRAGMA user_version of
# this file (not the hall database's).
MIGRATIONS: list[str] = [
    """
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    INSERT INTO meta (key, value) VALUES ('version', '0');
    CREATE TABLE document (
        id INTEGER PRIMARY KEY,
        source_url TEXT UNIQUE,
        title TEXT NOT NULL,
        index_no TEXT,
        doc_no TEXT,
        written_on TEXT,
        publisher TEXT,
        category TEXT,
        published_on TEXT,
        repealed_on TEXT,
        validity TEXT,
        body TEXT NOT NULL DEFAULT '',
        attachments TEXT NOT NULL DEFAULT '[]',
        hidden INTEGER NOT NULL DEFAULT 0,
        pinned INTEGER NOT NULL DEFAULT 0,
        content_hash TEXT,
        updated_at TEXT NOT NULL,
        version INTEGER NOT NULL
    );
    CREATE INDEX document_version ON document(version);
    CREATE INDEX document_listing ON document(hidden, pinned, published_on);
    CREATE INDEX document_category ON document(category);
    CREATE TABLE announcement (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        body TEXT NOT NULL DEFAULT '',
        starts_on TEXT,
        ends_on TEXT,
        pinned INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL,
        version INTEGER NOT NULL
    );
    CREATE INDEX announcement_version ON announcement(version);
    CREATE TABLE guide (
        id INTEGER PRIMARY KEY,
        service TEXT NOT NULL UNIQUE,
        department TEXT,
        legal_basis TEXT,
        conditions TEXT,
        procedure TEXT,
        materials TEXT NOT NULL DEFAULT '[]',
        time_limit TEXT,
        fees TEXT,
        contact TEXT,
        online_links TEXT NOT NULL DEFAULT '[]',
        updated_at TEXT NOT NULL,
        version INTEGER NOT NULL
    );
    CREATE INDEX guide_version ON guide(version);
    CREATE TABLE tombstone (
        kind TEXT NOT NULL CHECK (kind IN ('document','announcement','guide')),
        item_id INTEGER NOT NULL,
        version INTEGER NOT NULL,
        PRIMARY KEY (kind, item_id)
    );
    CREATE INDEX tombstone_version ON tombstone(version);
    -- what the sync last saw at a URL: validators for conditional GET, a hash of the raw
    -- page, and (for list pages) the links found on it, so a 304 list page still leads on
    CREATE TABLE fetch_state (
        url TEXT PRIMARY KEY,
        etag TEXT,
        last_modified TEXT,
        page_hash TEXT,
        links TEXT,
        fetched_at TEXT NOT NULL
    );
    CREATE TABLE sync_run (
        id INTEGER PRIMARY KEY,
        site TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('running','done','failed')),
        new INTEGER NOT NULL DEFAULT 0,
        changed INTEGER NOT NULL DEFAULT 0,
        unchanged INTEGER NOT NULL DEFAULT 0,
        failed INTEGER NOT NULL DEFAULT 0,
        report TEXT NOT NULL DEFAULT '{}'
    );
    -- rowid = 2*id for a document, 2*id+1 for a guide; columns hold bigram token strings
    CREATE VIRTUAL TABLE search USING fts5(
        title, meta, body, kind UNINDEXED, item_id UNINDEXED,
        tokenize = 'unicode61 remove_diacritics 0'
    );
    INSERT INTO search (search, rank) VALUES ('rank', 'bm25(10.0, 4.0, 1.0)');
    """,
    """
    -- an update the sync read but did not apply because it would make the stored document
    -- worse (body cut short, mojibake title, broken characters): one per document, the
    -- newest, until an admin accepts or discards it or the site serves a good copy again
    CREATE TABLE held_update (
        id INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL UNIQUE REFERENCES document(id) ON DELETE CASCADE,
        fields TEXT NOT NULL,
        reasons TEXT NOT NULL,
        held_at TEXT NOT NULL
    );
    -- consecutive syncs in which the document's page answered 404/410, and when it was
    -- taken off the kiosks and search for it (the row stays, for the admin)
    ALTER TABLE document ADD COLUMN missing_count INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE document ADD COLUMN gone_at TEXT;
    -- 〔〕 stay inside tokens, so the "〔2018〕" of a document number is a token of its own;
    -- the index is rebuilt from the rows (SEARCH_FORMAT)
    DROP TABLE search;
    CREATE VIRTUAL TABLE search USING fts5(
        title, meta, body, kind UNINDEXED, item_id UNINDEXED,
        tokenize = "unicode61 remove_diacritics 0 tokenchars '〔〕'"
    );
    INSERT INTO search (search, rank) VALUES ('rank', 'bm25(10.0, 4.0, 1.0)');
    """,
    """
    -- an index of every token's first character: a query of one character ("籍", or the
    -- "号" ending "第3号") is a prefix query, answered from it without merging every token
    -- that begins with that character
    DROP TABLE search;
    CREATE VIRTUAL TABLE search USING fts5(
        title, meta, body, kind UNINDEXED, item_id UNINDEXED,
        tokenize = "unicode61 remove_diacritics 0 tokenchars '〔〕'", prefix = '1'
    );
    INSERT INTO search (search, rank) VALUES ('rank', 'bm25(10.0, 4.0, 1.0)');
    -- the titles (and guides' service names) alone, same rowids: "title hits first" asks
    -- this small index instead of filtering the whole one by column, which reads the
    -- bodies' positions of every match
    CREATE VIRTUAL TABLE search_title USING fts5(
        title,
        tokenize = "unicode61 remove_diacritics 0 tokenchars '〔〕'", prefix = '1'
    );
    """,
]

# How the search index is cut (content.textindex); a store indexed another way is
# re-indexed from its rows when opened.
SEARCH_FORMAT = "3"

# A document is on the kiosks and in search unless an admin hid it or its page is gone.
VISIBLE = "hidden = 0 AND gone_at IS NULL"

# A sync run still "running" after this long died without finishing (process killed).
STALE_RUN_SECONDS = 6 * 3600


def utc_now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _date_or_none(value, field: str) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value.isoformat()
    value = str(value).strip()
    if not _DATE.match(value):
        raise InvalidContent(f"{field} 须为 YYYY-MM-DD 格式的日期：{value}")
    return value


def _text_list(value, field: str) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [line for line in value.splitlines()]
    if not isinstance(value, (list, tuple)):
        raise InvalidContent(f"{field} 须为列表")
    return [str(item).strip() for item in value if str(item).strip()]


def _limited(text: str, limit: int, what: str) -> str:
    """Refused, not cut: a cut announcement would say something its author never wrote."""
    if len(text) > limit:
        raise InvalidContent(f"{what}不能超过 {limit} 个字（现有 {len(text)} 个字）")
    return text


def check_link(url: str, what: str) -> str:
    """A link a kiosk or an admin page may open: http or https only. javascript:, data:, file: and
    the like would run or read something in the viewer's page instead of going to a website."""
    text = (url or "").strip()
    scheme, colon, _rest = text.partition(":")
    if not colon or scheme.lower() not in LINK_SCHEMES or not _rest.startswith("//") or len(_rest) <= 2:
        raise InvalidContent(f"{what}须为 http:// 或 https:// 开头的网址：{text[:60]}")
    return text


def document_hash(fields: dict) -> str:
    """A hash of what a document says; the sync compares it to decide "changed"."""
    canonical = json.dumps({k: fields.get(k) for k in DOCUMENT_FIELDS}, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


class ContentStore:
    """The content database at `path` (created and migrated on open)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        # No foreign keys in this schema; tombstones outlive the rows they name.
        self.db = storage.connect(self.path, foreign_keys=False)
        storage.migrate(self.db, MIGRATIONS)
        self._check_search_format()

    # --- connection -------------------------------------------------------------

    def close(self):
        self.db.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _check_search_format(self):
        """An index written by an older tokenizer is rebuilt once, so search finds what it should."""
        format_row = self._row("SELECT value FROM meta WHERE key = 'search_format'")
        if format_row and format_row["value"] == SEARCH_FORMAT:
            return
        with self._write():
            self._reindex_everything()
            self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('search_format', ?)", [SEARCH_FORMAT])

    def _write(self):
        """One write transaction, lock taken up front; nested calls join the outer one."""
        return storage.immediate(self.db)

    @contextmanager
    def batch(self):
        """Several changes in one transaction (bulk loads): one commit instead of many."""
        with self._write():
            yield self

    def _rows(self, sql, params=()) -> list[dict]:
        return [dict(r) for r in self.db.execute(sql, params).fetchall()]

    def _row(self, sql, params=()) -> dict | None:
        found = self.db.execute(sql, params).fetchone()
        return dict(found) if found is not None else None

    # --- version ----------------------------------------------------------------

    def version(self) -> int:
        return int(self.db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()[0])

    def pages_read_with(self) -> str | None:
        """The page reader (content.extract.READER_VERSION) the stored documents were read with."""
        found = self._row("SELECT value FROM meta WHERE key = 'reader_version'")
        return found["value"] if found else None

    def set_pages_read_with(self, reader_version: str):
        with self._write():
            self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('reader_version', ?)", [reader_version])

    def _next_version(self) -> int:
        """The version a change in the current transaction takes."""
        version = self.version() + 1
        self.db.execute("UPDATE meta SET value = ? WHERE key = 'version'", [str(version)])
        return version

    def _tombstone(self, kind: str, item_id: int, version: int):
        self.db.execute("INSERT OR REPLACE INTO tombstone (kind, item_id, version) VALUES (?, ?, ?)",
                        [kind, item_id, version])

    # --- search index -----------------------------------------------------------

    def _reindex_everything(self):
        self.db.execute("DELETE FROM search")
        self.db.execute("DELETE FROM search_title")
        for doc in self._rows("SELECT * FROM document"):
            self._index_document(doc)
        for guide in self._rows("SELECT * FROM guide"):
            self._index_guide(self._guide_out(guide))

    def optimize_search(self):
        """Merge the search indexes' segments into one each: after a bulk of changes (a sync
        run, a kiosk's full copy) queries read one b-tree per index instead of dozens."""
        with self._write():
            self.db.execute("INSERT INTO search (search) VALUES ('optimize')")
            self.db.execute("INSERT INTO search_title (search_title) VALUES ('optimize')")

    def _index_row(self, rowid: int, kind: str, item_id: int, title: str, meta: str, body: str):
        title_tokens = index_tokens(title)
        self.db.execute("INSERT INTO search (rowid, title, meta, body, kind, item_id) VALUES (?, ?, ?, ?, ?, ?)",
                        [rowid, title_tokens, index_tokens(meta), index_tokens(body), kind, item_id])
        self.db.execute("INSERT INTO search_title (rowid, title) VALUES (?, ?)", [rowid, title_tokens])

    def _unindex_row(self, rowid: int):
        self.db.execute("DELETE FROM search WHERE rowid = ?", [rowid])
        self.db.execute("DELETE FROM search_title WHERE rowid = ?", [rowid])

    def _index_document(self, doc: dict):
        rowid = 2 * doc["id"]
        self._unindex_row(rowid)
        if doc.get("hidden") or doc.get("gone_at"):
            return
        meta = " ".join(filter(None, [doc.get("doc_no"), doc.get("index_no"), doc.get("publisher"),
                                      doc.get("category")]))
        self._index_row(rowid, "document", doc["id"], doc.get("title"), meta, doc.get("body"))

    def _index_guide(self, guide: dict):
        rowid = 2 * guide["id"] + 1
        self._unindex_row(rowid)
        materials = guide.get("materials") or []
        body = "\n".join(filter(None, [guide.get("legal_basis"), guide.get("conditions"), guide.get("procedure"),
                                       "\n".join(materials), guide.get("time_limit"), guide.get("fees")]))
        self._index_row(rowid, "guide", guide["id"], guide["service"], guide.get("department"), body)

    @staticmethod
    def _search_key(rowid: int) -> tuple[str, int]:
        return ("guide", (rowid - 1) // 2) if rowid % 2 else ("document", rowid // 2)

    def _unindex(self, kind: str, item_id: int):
        self._unindex_row(2 * item_id + (1 if kind == "guide" else 0))

    # --- documents --------------------------------------------------------------

    @staticmethod
    def _document_out(found: dict | None, with_flags=True) -> dict | None:
        if found is None:
            return None
        found["attachments"] = json.loads(found.get("attachments") or "[]")
        found.pop("content_hash", None)
        found.pop("missing_count", None)
        if with_flags:
            found["hidden"] = bool(found.get("hidden"))
            found["pinned"] = bool(found.get("pinned"))
        return found

    @staticmethod
    def _document_in(fields: dict) -> dict:
        """Validated, normalised document columns from a dict of DOCUMENT_FIELDS."""
        unknown = set(fields) - set(DOCUMENT_FIELDS)
        if unknown:
            raise InvalidContent(f"文件没有这些字段：{', '.join(sorted(unknown))}")
        title = (fields.get("title") or "").strip()
        if not title:
            raise InvalidContent("文件须有标题")
        values = {}
        for name in DOCUMENT_FIELDS:
            value = fields.get(name)
            if name in DOCUMENT_DATES:
                value = _date_or_none(value, name)
            elif name == "attachments":
                value = [{"name": str(a.get("name") or a.get("url")), "url": str(a.get("url") or "")}
                         for a in (value or [])]
            elif isinstance(value, str):
                value = value.strip() or None
            values[name] = value
        values["title"] = title
        values["body"] = values["body"] or ""
        return values

    def upsert_document(self, fields: dict) -> tuple[int, str]:
        """Add a document or update the one with the same source_url.

        Returns (id, "new" | "changed" | "unchanged"); only a real change takes a new
        version, so an unchanged page never reaches the kiosks again. Admin flags (hidden,
        pinned) survive an update. Its page and attachment links are http(s) only (the admin
        pages and kiosks open them)."""
        values = self._document_in(fields)
        if values["source_url"]:
            check_link(values["source_url"], "文件的来源网址")
        for attachment in values["attachments"]:
            check_link(attachment["url"], f"附件“{attachment['name']}”的网址")
        content_hash = document_hash(values)
        with self._write():
            found = None
            if values["source_url"]:
                found = self._row("SELECT id, content_hash FROM document WHERE source_url = ?",
                                  [values["source_url"]])
            if found:  # the site serves a copy that may be stored: a held update is moot
                self.db.execute("DELETE FROM held_update WHERE document_id = ?", [found["id"]])
            if found and found["content_hash"] == content_hash:
                return found["id"], "unchanged"
            version = self._next_version()
            row = dict(values, attachments=json.dumps(values["attachments"], ensure_ascii=False),
                       content_hash=content_hash, updated_at=utc_now_iso(), version=version)
            if found:
                self.db["document"].update(found["id"], row)
                doc_id, status = found["id"], "changed"
            else:
                doc_id, status = self.db["document"].insert(row).last_pk, "new"
            self._index_document(self._row("SELECT * FROM document WHERE id = ?", [doc_id]))
            return doc_id, status

    def set_document_flags(self, doc_id: int, hidden: bool | None = None, pinned: bool | None = None):
        """Hide a document from kiosks and search, or pin it to the top of lists."""
        changes = {}
        if hidden is not None:
            changes["hidden"] = int(bool(hidden))
        if pinned is not None:
            changes["pinned"] = int(bool(pinned))
        with self._write():
            if not self._row("SELECT id FROM document WHERE id = ?", [doc_id]):
                raise ContentNotFound(f"没有编号为 {doc_id} 的文件")
            if changes:
                changes["version"] = self._next_version()
                self.db["document"].update(doc_id, changes)
                self._index_document(self._row("SELECT * FROM document WHERE id = ?", [doc_id]))

    def document(self, doc_id: int, include_hidden: bool = False) -> dict:
        """One document: its fields (dates YYYY-MM-DD, missing as None), id, pinned."""
        found = self._row("SELECT * FROM document WHERE id = ?", [doc_id])
        if found is None or ((found["hidden"] or found["gone_at"]) and not include_hidden):
            raise ContentNotFound(f"没有编号为 {doc_id} 的文件")
        return self._document_out(found)

    def document_by_url(self, source_url: str) -> dict | None:
        """The document synced from `source_url`, hidden and gone ones too, with the sync's
        count of missing answers (`missing_count`)."""
        found = self._row("SELECT * FROM document WHERE source_url = ?", [source_url])
        missing_count = found["missing_count"] if found else 0
        found = self._document_out(found)
        if found is not None:
            found["missing_count"] = missing_count
        return found

    def documents(self, category: str | None = None, limit: int = 50, offset: int = 0,
                  include_hidden: bool = False) -> list[dict]:
        """Documents without their body, pinned first, then newest published first."""
        where, params = [], []
        if not include_hidden:
            where.append(VISIBLE)
        if category:
            where.append("category = ?")
            params.append(category)
        sql = ("SELECT id, title, index_no, doc_no, written_on, publisher, category, published_on, repealed_on, "
               "validity, source_url, hidden, pinned, gone_at, updated_at, version FROM document"
               + (" WHERE " + " AND ".join(where) if where else "")
               + " ORDER BY pinned DESC, coalesce(published_on, '') DESC, id DESC LIMIT ? OFFSET ?")
        out = []
        for found in self._rows(sql, params + [int(limit), int(offset)]):
            found["hidden"], found["pinned"] = bool(found["hidden"]), bool(found["pinned"])
            out.append(found)
        return out

    def count_documents(self, category: str | None = None, include_hidden: bool = False) -> int:
        where, params = [], []
        if not include_hidden:
            where.append(VISIBLE)
        if category:
            where.append("category = ?")
            params.append(category)
        return self.db.execute("SELECT count(*) FROM document" + (" WHERE " + " AND ".join(where) if where else ""),
                               params).fetchone()[0]

    def categories(self) -> list[dict]:
        return self._rows("SELECT category AS name, count(*) AS count FROM document "
                          f"WHERE {VISIBLE} AND category IS NOT NULL GROUP BY category ORDER BY count DESC, name")

    # --- held updates -----------------------------------------------------------

    def hold_update(self, doc_id: int, fields: dict, reasons: list[dict]) -> int:
        """Keep an update the sync would not apply (it would make document `doc_id` worse)
        for an admin to look at; replaces an older held update of the same document."""
        values = self._document_in(fields)
        with self._write():
            if not self._row("SELECT id FROM document WHERE id = ?", [doc_id]):
                raise ContentNotFound(f"没有编号为 {doc_id} 的文件")
            self.db.execute("DELETE FROM held_update WHERE document_id = ?", [doc_id])
            return self.db["held_update"].insert({
                "document_id": doc_id, "fields": json.dumps(values, ensure_ascii=False),
                "reasons": json.dumps(reasons, ensure_ascii=False), "held_at": utc_now_iso()}).last_pk

    @staticmethod
    def _held_out(found: dict | None) -> dict | None:
        if found is None:
            return None
        found["fields"] = json.loads(found["fields"])
        found["reasons"] = json.loads(found["reasons"])
        return found

    def held_updates(self) -> list[dict]:
        """Held updates, newest first: id, document_id, held_at, reasons [{code, message}],
        fields (the update) and its body_length, and the stored document's title, body length
        and source_url (lengths without whitespace, as the reasons count)."""
        out = []
        for found in self._rows(
                "SELECT held_update.*, document.title AS stored_title, document.body AS stored_body, "
                "document.source_url FROM held_update JOIN document ON document.id = held_update.document_id "
                "ORDER BY held_update.held_at DESC, held_update.id DESC"):
            found = self._held_out(found)
            found["stored_body_length"] = text_length(found.pop("stored_body"))
            found["body_length"] = text_length(found["fields"].get("body"))
            out.append(found)
        return out

    def held_update(self, held_id: int) -> dict:
        found = self._held_out(self._row("SELECT * FROM held_update WHERE id = ?", [held_id]))
        if found is None:
            raise ContentNotFound(f"没有编号为 {held_id} 的待审核更新")
        return found

    def accept_held_update(self, held_id: int) -> int:
        """Apply a held update to its document (an admin judged it right); returns the id."""
        with self._write():
            held = self.held_update(held_id)
            stored = self._row("SELECT source_url FROM document WHERE id = ?", [held["document_id"]])
            fields = dict(held["fields"], source_url=stored["source_url"])
            doc_id, _ = self.upsert_document(fields)  # deletes the held update too
            return doc_id

    def discard_held_update(self, held_id: int):
        with self._write():
            self.held_update(held_id)
            self.db.execute("DELETE FROM held_update WHERE id = ?", [held_id])

    # --- documents whose page is gone -------------------------------------------

    def record_page_missing(self, source_url: str, gone_after: int) -> dict | None:
        """The document at `source_url` answered 404/410 once more. After `gone_after`
        such syncs in a row it leaves the kiosks and search (kept in the store, listed by
        `gone_documents`). Returns {"id", "title", "missing_count", "gone_now"}, or None for
        a URL that is no document."""
        with self._write():
            found = self._row("SELECT id, title, missing_count, gone_at FROM document WHERE source_url = ?",
                              [source_url])
            if found is None:
                return None
            count = found["missing_count"] + 1
            changes: dict = {"missing_count": count}
            gone_now = count >= max(1, int(gone_after)) and found["gone_at"] is None
            if gone_now:
                changes.update(gone_at=utc_now_iso(), version=self._next_version())
            self.db["document"].update(found["id"], changes)
            if gone_now:
                self._unindex("document", found["id"])
            return {"id": found["id"], "title": found["title"], "missing_count": count, "gone_now": gone_now}

    def record_page_present(self, source_url: str) -> bool:
        """The page at `source_url` answered again: the missing count restarts, and a document
        that had gone comes back to the kiosks and search. Returns whether it came back."""
        with self._write():
            found = self._row("SELECT id, gone_at FROM document WHERE source_url = ? "
                              "AND (missing_count > 0 OR gone_at IS NOT NULL)", [source_url])
            if found is None:
                return False
            changes: dict = {"missing_count": 0, "gone_at": None}
            if found["gone_at"]:
                changes["version"] = self._next_version()
            self.db["document"].update(found["id"], changes)
            if found["gone_at"]:
                self._index_document(self._row("SELECT * FROM document WHERE id = ?", [found["id"]]))
            return bool(found["gone_at"])

    def unlisted_documents_to_check(self, site_prefixes: list[str], listed: set[str], limit: int) -> list[str]:
        """Source URLs of documents of the site (URLs starting with one of `site_prefixes`)
        that the list pages no longer link (not in `listed`), least recently checked first:
        a page deleted together with its link is still noticed."""
        if limit <= 0 or not site_prefixes:
            return []
        where = " OR ".join(["substr(document.source_url, 1, ?) = ?"] * len(site_prefixes))
        params = [value for prefix in site_prefixes for value in (len(prefix), prefix)]
        cursor = self.db.execute(
            "SELECT document.source_url FROM document LEFT JOIN fetch_state ON fetch_state.url = document.source_url "
            f"WHERE {where} ORDER BY coalesce(fetch_state.fetched_at, '') , document.id", params)
        found = []
        for (url,) in cursor:
            if url not in listed:
                found.append(url)
                if len(found) >= limit:
                    break
        cursor.close()
        return found

    def mark_checked(self, url: str):
        """The sync asked for `url` just now (its place in `unlisted_documents_to_check`)."""
        with self._write():
            self.db.execute("UPDATE fetch_state SET fetched_at = ? WHERE url = ?", [utc_now_iso(), url])

    def gone_documents(self, limit: int = 200) -> list[dict]:
        """Documents taken off the kiosks because their page is gone, most recent first."""
        return self._rows("SELECT id, title, doc_no, publisher, published_on, source_url, missing_count, gone_at "
                          "FROM document WHERE gone_at IS NOT NULL ORDER BY gone_at DESC, id DESC LIMIT ?",
                          [int(limit)])

    # --- announcements ----------------------------------------------------------

    @staticmethod
    def _announcement_in(values: dict) -> dict:
        title = _limited((values.get("title") or "").strip(), ANNOUNCEMENT_TITLE_LIMIT, "公告标题")
        if not title:
            raise InvalidContent("公告须有标题")
        body = _limited((values.get("body") or "").strip(), ANNOUNCEMENT_BODY_LIMIT, "公告内容")
        starts_on = _date_or_none(values.get("starts_on"), "starts_on")
        ends_on = _date_or_none(values.get("ends_on"), "ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            raise InvalidContent("公告的结束日期早于开始日期")
        return {"title": title, "body": body, "starts_on": starts_on,
                "ends_on": ends_on, "pinned": int(bool(values.get("pinned")))}

    def save_announcement(self, values: dict, announcement_id: int | None = None) -> int:
        row = self._announcement_in(values)
        with self._write():
            row.update(updated_at=utc_now_iso(), version=self._next_version())
            if announcement_id is None:
                return self.db["announcement"].insert(row).last_pk
            if not self._row("SELECT id FROM announcement WHERE id = ?", [announcement_id]):
                raise ContentNotFound(f"没有编号为 {announcement_id} 的公告")
            self.db["announcement"].update(announcement_id, row)
            return announcement_id

    def delete_announcement(self, announcement_id: int):
        with self._write():
            if not self._row("SELECT id FROM announcement WHERE id = ?", [announcement_id]):
                raise ContentNotFound(f"没有编号为 {announcement_id} 的公告")
            self.db.execute("DELETE FROM announcement WHERE id = ?", [announcement_id])
            self._tombstone("announcement", announcement_id, self._next_version())

    def announcement(self, announcement_id: int) -> dict:
        found = self._row("SELECT * FROM announcement WHERE id = ?", [announcement_id])
        if found is None:
            raise ContentNotFound(f"没有编号为 {announcement_id} 的公告")
        found["pinned"] = bool(found["pinned"])
        return found

    def announcements(self, active_on: date | str | None = None) -> list[dict]:
        """Announcements shown on `active_on` (all of them when None), pinned first, newest first."""
        sql, params = "SELECT * FROM announcement", []
        if active_on is not None:
            day = active_on.isoformat() if isinstance(active_on, date) else str(active_on)
            sql += " WHERE (starts_on IS NULL OR starts_on <= ?) AND (ends_on IS NULL OR ends_on >= ?)"
            params = [day, day]
        sql += " ORDER BY pinned DESC, coalesce(starts_on, '') DESC, id DESC"
        out = self._rows(sql, params)
        for found in out:
            found["pinned"] = bool(found["pinned"])
        return out

    # --- service guides ---------------------------------------------------------

    @staticmethod
    def _guide_out(found: dict | None) -> dict | None:
        if found is None:
            return None
        for name in GUIDE_LISTS:
            found[name] = json.loads(found.get(name) or "[]")
        return found

    @staticmethod
    def _guide_in(values: dict) -> dict:
        unknown = set(values) - set(GUIDE_FIELDS)
        if unknown:
            raise InvalidContent(f"办事指南没有这些字段：{', '.join(sorted(unknown))}")
        service = (values.get("service") or "").strip()
        if not service:
            raise InvalidContent("办事指南须写明事项名称")
        row = {}
        for name in GUIDE_FIELDS:
            value = values.get(name)
            if name in GUIDE_LISTS:
                items = _text_list(value, name)
                if len(items) > GUIDE_LIST_ITEMS:
                    raise InvalidContent(f"{GUIDE_LABELS[name]}不能超过 {GUIDE_LIST_ITEMS} 项")
                for item in items:
                    _limited(item, GUIDE_LIST_ITEM_LIMIT, f"{GUIDE_LABELS[name]}的每一项")
                if name == "online_links":
                    items = [check_link(item, "网上办理链接") for item in items]
                row[name] = json.dumps(items, ensure_ascii=False)
            else:
                text = (str(value).strip() or None) if value is not None else None
                row[name] = _limited(text, GUIDE_TEXT_LIMIT, GUIDE_LABELS[name]) if text else text
        row["service"] = service
        return row

    def save_guide(self, values: dict) -> int:
        """Add or replace the guide of `values["service"]` (a queue service's name)."""
        row = self._guide_in(values)
        with self._write():
            row.update(updated_at=utc_now_iso(), version=self._next_version())
            found = self._row("SELECT id FROM guide WHERE service = ?", [row["service"]])
            if found:
                self.db["guide"].update(found["id"], row)
                guide_id = found["id"]
            else:
                guide_id = self.db["guide"].insert(row).last_pk
            self._index_guide(self._guide_out(self._row("SELECT * FROM guide WHERE id = ?", [guide_id])))
            return guide_id

    def delete_guide(self, service_name: str):
        with self._write():
            found = self._row("SELECT id FROM guide WHERE service = ?", [service_name])
            if not found:
                raise ContentNotFound(f"没有“{service_name}”的办事指南")
            self.db.execute("DELETE FROM guide WHERE id = ?", [found["id"]])
            self._unindex("guide", found["id"])
            self._tombstone("guide", found["id"], self._next_version())

    def rename_guide(self, old_service: str, new_service: str) -> int | None:
        """Carry a guide over when its queue service is renamed; returns its id, or None when
        the service had no guide. The guide keeps its id and takes a new version, so kiosks
        replace their copy on their next `changes_since`. Refuses (InvalidContent) when the
        new name already has a guide of its own."""
        new_service = (new_service or "").strip()
        if not new_service:
            raise InvalidContent("办事指南须写明事项名称")
        with self._write():
            found = self._row("SELECT id FROM guide WHERE service = ?", [old_service])
            if not found or old_service == new_service:
                return found["id"] if found else None
            if self._row("SELECT id FROM guide WHERE service = ?", [new_service]):
                raise InvalidContent(f"“{new_service}”已有办事指南，请先在内容管理中删除其中一份")
            self.db["guide"].update(found["id"], {"service": new_service, "updated_at": utc_now_iso(),
                                                  "version": self._next_version()})
            self._index_guide(self.guide(found["id"]))
            return found["id"]

    def guide_for_service(self, service_name: str) -> dict | None:
        return self._guide_out(self._row("SELECT * FROM guide WHERE service = ?", [service_name]))

    def guide(self, guide_id: int) -> dict:
        found = self._guide_out(self._row("SELECT * FROM guide WHERE id = ?", [guide_id]))
        if found is None:
            raise ContentNotFound(f"没有编号为 {guide_id} 的办事指南")
        return found

    def guides(self) -> list[dict]:
        return [self._guide_out(g) for g in self._rows("SELECT * FROM guide ORDER BY department, service")]

    # --- kiosk replication ------------------------------------------------------

    def changes_since(self, since: int) -> dict:
        """Everything changed after version `since`, in the shape `apply_changes` ingests.

        `full` is true when the answer replaces the receiver's whole copy: a first fetch
        (since 0), or a `since` from another database (larger than ours)."""
        since = int(since)
        current = self.version()
        full = since <= 0 or since > current
        if full:
            since = 0
        documents, deleted_documents = [], []
        for found in self._rows("SELECT * FROM document WHERE version > ? ORDER BY id", [since]):
            if found["hidden"] or found["gone_at"]:
                deleted_documents.append(found["id"])
            else:
                doc = self._document_out(found)
                doc.pop("hidden")
                doc.pop("gone_at")
                documents.append(doc)
        tombstones = self._rows("SELECT kind, item_id FROM tombstone WHERE version > ? ORDER BY item_id", [since])
        deleted = {"documents": deleted_documents + [t["item_id"] for t in tombstones if t["kind"] == "document"],
                   "announcements": [t["item_id"] for t in tombstones if t["kind"] == "announcement"],
                   "guides": [t["item_id"] for t in tombstones if t["kind"] == "guide"]}
        announcements = self._rows("SELECT * FROM announcement WHERE version > ? ORDER BY id", [since])
        for found in announcements:
            found["pinned"] = bool(found["pinned"])
        guides = [self._guide_out(g) for g in self._rows("SELECT * FROM guide WHERE version > ? ORDER BY id", [since])]
        return {"version": current, "since": since, "full": full, "documents": documents,
                "announcements": announcements, "guides": guides, "deleted": deleted}

    def apply_changes(self, payload: dict):
        """Ingest what another store's `changes_since` returned (the kiosk's offline copy).

        Rows keep the sender's ids and versions; afterwards `version()` is the sender's."""
        try:
            version = int(payload["version"])
        except (KeyError, TypeError, ValueError):
            raise InvalidContent("变更数据缺少 version") from None
        deleted = payload.get("deleted") or {}
        with self._write():
            if payload.get("full"):
                for table in ("document", "announcement", "guide", "tombstone"):
                    self.db.execute(f"DELETE FROM {table}")
                self.db.execute("DELETE FROM search")
                self.db.execute("DELETE FROM search_title")
            for doc_id in deleted.get("documents", []):
                self.db.execute("DELETE FROM document WHERE id = ?", [doc_id])
                self._unindex("document", doc_id)
            for announcement_id in deleted.get("announcements", []):
                self.db.execute("DELETE FROM announcement WHERE id = ?", [announcement_id])
            for guide_id in deleted.get("guides", []):
                self.db.execute("DELETE FROM guide WHERE id = ?", [guide_id])
                self._unindex("guide", guide_id)
            for doc in payload.get("documents", []):
                values = self._document_in({k: doc.get(k) for k in DOCUMENT_FIELDS})
                row = dict(values, id=int(doc["id"]), attachments=json.dumps(values["attachments"], ensure_ascii=False),
                           pinned=int(bool(doc.get("pinned"))), hidden=0, content_hash=document_hash(values),
                           updated_at=doc.get("updated_at") or utc_now_iso(), version=int(doc.get("version") or version))
                self.db["document"].insert(row, replace=True)
                self._index_document(row)
            for announcement in payload.get("announcements", []):
                row = self._announcement_in(announcement)
                row.update(id=int(announcement["id"]), updated_at=announcement.get("updated_at") or utc_now_iso(),
                           version=int(announcement.get("version") or version))
                self.db["announcement"].insert(row, replace=True)
            for guide in payload.get("guides", []):
                row = self._guide_in({k: guide.get(k) for k in GUIDE_FIELDS})
                row.update(id=int(guide["id"]), updated_at=guide.get("updated_at") or utc_now_iso(),
                           version=int(guide.get("version") or version))
                # a guide re-created under a new id replaces the old row of the same service
                old = self._row("SELECT id FROM guide WHERE service = ? AND id != ?", [row["service"], row["id"]])
                if old:
                    self.db.execute("DELETE FROM guide WHERE id = ?", [old["id"]])
                    self._unindex("guide", old["id"])
                self.db["guide"].insert(row, replace=True)
                self._index_guide(self._guide_out(dict(row)))
            self.db.execute("UPDATE meta SET value = ? WHERE key = 'version'", [str(version)])
        if payload.get("full") or len(payload.get("documents", [])) >= BULK_CHANGE:
            self.optimize_search()

    # --- search -----------------------------------------------------------------

    def search(self, q: str, limit: int = 20) -> list[dict]:
        """Documents and guides matching every part of `q`: first those with the query in
        their title (or the guide's service name), best (bm25) first, then the others, newest
        first.

        Everything goes through the index — two-character words, phrases, single characters,
        document numbers with their 〔年份〕 — so a query that finds nothing costs no more than
        one that finds something (content.textindex)."""
        limit = max(1, min(int(limit), 100))
        expression = match_expression(q)
        if expression is None:
            return []
        hits = self._title_hits(expression, limit)
        if len(hits) < limit:
            hits += [hit for hit in self._newest_hits(expression, limit + len(hits)) if hit not in hits]
        return self._search_results(hits[:limit], q)

    def _title_hits(self, expression: str, limit: int) -> list[tuple[str, int]]:
        """Matches in the title index, best (bm25) first among the newest
        SEARCH_RANK_CANDIDATES: scoring costs per match, and a word in most titles ("通知")
        would otherwise be scored thousands of times."""
        # only rowids are read: a stored column would load every match's token text
        found = self._rows(
            "SELECT rowid FROM (SELECT rowid, rank AS score FROM search_title WHERE search_title MATCH ? "
            "ORDER BY rowid DESC LIMIT ?) ORDER BY score LIMIT ?", [expression, SEARCH_RANK_CANDIDATES, limit])
        return [self._search_key(r["rowid"]) for r in found]

    def _newest_hits(self, expression: str, limit: int) -> list[tuple[str, int]]:
        """Matches anywhere, newest first. Not by bm25: its weight of a phrase needs the count
        of every document holding the phrase — a pass over all of them, for a phrase in every
        body thousands of position checks — where newest first stops at `limit`."""
        found = self._rows("SELECT rowid FROM search WHERE search MATCH ? ORDER BY rowid DESC LIMIT ?",
                           [expression, limit])
        return [self._search_key(r["rowid"]) for r in found]

    def _search_results(self, hits: list[tuple[str, int]], q: str) -> list[dict]:
        doc_ids = [item_id for kind, item_id in hits if kind == "document"]
        guide_ids = [item_id for kind, item_id in hits if kind == "guide"]
        docs, guides = {}, {}
        if doc_ids:
            marks = ",".join("?" * len(doc_ids))
            docs = {d["id"]: d for d in self._rows(
                f"SELECT id, title, doc_no, publisher, category, published_on, body FROM document WHERE id IN ({marks})",
                doc_ids)}
        if guide_ids:
            marks = ",".join("?" * len(guide_ids))
            guides = {g["id"]: self._guide_out(g) for g in self._rows(
                f"SELECT * FROM guide WHERE id IN ({marks})", guide_ids)}
        results = []
        for kind, item_id in hits:
            if kind == "document" and item_id in docs:
                d = docs[item_id]
                results.append({"kind": "document", "id": item_id, "title": d["title"],
                                "snippet": snippet(d["body"], q), "doc_no": d["doc_no"],
                                "publisher": d["publisher"], "category": d["category"],
                                "published_on": d["published_on"]})
            elif kind == "guide" and item_id in guides:
                g = guides[item_id]
                text = "\n".join(filter(None, [g["conditions"], g["procedure"], "、".join(g["materials"])]))
                results.append({"kind": "guide", "id": item_id, "title": g["service"], "snippet": snippet(text, q),
                                "service": g["service"], "department": g["department"]})
        return results

    # --- sync bookkeeping -------------------------------------------------------

    def fetch_state(self, url: str) -> dict | None:
        found = self._row("SELECT * FROM fetch_state WHERE url = ?", [url])
        if found and found["links"]:
            found["links"] = json.loads(found["links"])
        return found

    def save_fetch_state(self, url: str, etag: str | None, last_modified: str | None, page_hash: str | None,
                         links: dict | None = None):
        with self._write():
            self.db.execute(
                "INSERT OR REPLACE INTO fetch_state (url, etag, last_modified, page_hash, links, fetched_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [url, etag, last_modified, page_hash,
                 json.dumps(links, ensure_ascii=False) if links is not None else None, utc_now_iso()])

    def start_sync_run(self, site: str) -> int:
        """Record a run as running; refuses while another run is (recently) running."""
        with self._write():
            running = self._row("SELECT id, started_at FROM sync_run WHERE status = 'running' ORDER BY id DESC")
            if running:
                started = datetime.fromisoformat(running["started_at"])
                if (datetime.now(timezone.utc) - started).total_seconds() < STALE_RUN_SECONDS:
                    raise SyncBusy(f"同步正在进行（第 {running['id']} 次，开始于 {running['started_at'][:19]}）")
                self.db.execute("UPDATE sync_run SET status = 'failed', finished_at = ?, "
                                "report = '{\"error\": \"未正常结束\"}' WHERE id = ?", [utc_now_iso(), running["id"]])
            return self.db["sync_run"].insert({"site": site, "started_at": utc_now_iso(),
                                               "status": "running"}).last_pk

    def finish_sync_run(self, run_id: int, report: dict, status: str = "done"):
        with self._write():
            self.db["sync_run"].update(run_id, {
                "finished_at": utc_now_iso(), "status": status,
                "new": len(report.get("new", [])), "changed": len(report.get("changed", [])),
                "unchanged": report.get("unchanged", 0), "failed": len(report.get("failed", [])),
                "report": json.dumps(report, ensure_ascii=False)})

    def sync_runs(self, limit: int = 20) -> list[dict]:
        out = self._rows("SELECT * FROM sync_run ORDER BY id DESC LIMIT ?", [int(limit)])
        for found in out:
            found["report"] = json.loads(found["report"] or "{}")
        return out

