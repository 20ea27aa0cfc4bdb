"""The website sync: walk a government site's list pages and their pagination, fetch each
article, and keep the content store in step with it.

Incremental: every URL's ETag / Last-Modified and a hash of its bytes are kept, so a
second run sends conditional requests and an unchanged page is neither downloaded nor
parsed again. Polite: robots.txt is honoured, the User-Agent names govhall, requests to
the site are spaced out, and failed requests are retried with growing pauses. A page
that fails (404, timeout, cut off, not an article) is recorded in the report and the run
goes on.

Careful with what it stores: a page is read in the charset its bytes show
(`extract.read_page`), an update that would make a stored document worse is held for the
admin instead of applied (`quality.update_problems`), and a document whose page is gone
(404/410 on `gone_after_syncs` runs in a row) leaves the kiosks and search.

A site is described by a small TOML file:

    name = "和林格尔县人民政府"
    start_urls = ["https://www.example.gov.cn/zwgk/tzgg/index.html"]
    article_pattern = "/t\\d{8}_\\d+\\.html$"   # optional: which links are articles
    next_pattern = "index_\\d+\\.html$"         # optional: which links are further list pages
    delay_seconds = 1.0                           # optional politeness settings, defaults below
    gone_after_syncs = 2                          # optional, see SiteConfig
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
import tomllib
import urllib.robotparser
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import requests

from . import ContentError, SiteConfigError
from .extract import (READER_VERSION, NotAnArticle, decode_page, extract_article, looks_truncated, read_list_page,
                      read_page)
from .quality import update_problems
from .store import BULK_CHANGE, ContentStore

log = logging.getLogger(__name__)

USER_AGENT = "govhall-sync/0.1 (county government service hall kiosk; content sync)"


@dataclass
class SiteConfig:
    name: str
    start_urls: list[str]
    article_pattern: str | None = None
    next_pattern: str | None = None
    delay_seconds: float = 1.0          # at least this long between two requests to the site
    timeout_seconds: float = 15.0
    retries: int = 2                    # further tries after a timeout, a broken connection or a 5xx
    backoff_seconds: float = 2.0        # pause before the first retry, doubled each time
    max_list_pages: int = 500
    max_articles: int = 20_000
    max_page_bytes: int = 5_000_000
    gone_after_syncs: int = 2           # a document whose page answers 404/410 this many syncs in a row leaves the kiosks
    recheck_unlisted: int = 50          # documents no longer linked from the list pages asked for again per run
    user_agent: str = USER_AGENT


def load_site(path: str | Path) -> SiteConfig:
    """Read and check a site description TOML."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            raw = tomllib.load(handle)
    except FileNotFoundError:
        raise SiteConfigError(f"找不到站点描述文件：{path}") from None
    except tomllib.TOMLDecodeError as error:
        raise SiteConfigError(f"站点描述文件格式错误：{path}：{error}") from None
    known = set(SiteConfig.__dataclass_fields__)
    unknown = set(raw) - known
    if unknown:
        raise SiteConfigError(f"站点描述文件有未知的键：{', '.join(sorted(unknown))}")
    start_urls = raw.get("start_urls")
    if not start_urls or not isinstance(start_urls, list) or not all(
            isinstance(u, str) and urlsplit(u).scheme in ("http", "https") for u in start_urls):
        raise SiteConfigError("start_urls 须为 http(s) 地址的列表")
    for key in ("article_pattern", "next_pattern"):
        if raw.get(key):
            try:
                re.compile(raw[key])
            except re.error as error:
                raise SiteConfigError(f"{key} 不是有效的正则表达式：{error}") from None
    raw.setdefault("name", urlsplit(start_urls[0]).netloc)
    return SiteConfig(**raw)


# --- the report -------------------------------------------------------------------

REASONS = {
    "not_found": "页面不存在",
    "http_error": "网站返回错误",
    "timeout": "请求超时",
    "connection": "无法连接网站",
    "truncated": "页面不完整（传输中断）",
    "too_large": "页面过大",
    "robots": "robots.txt 不允许抓取",
    "not_article": "未能识别为文件页面",
    "held": "更新未采用，待管理员审核",
    "error": "处理出错",
}


@dataclass
class SyncReport:
    site: str
    started_at: str = ""
    finished_at: str = ""
    new: list[dict] = field(default_factory=list)        # {"url", "id", "title"}
    changed: list[dict] = field(default_factory=list)    # {"url", "id", "title"}
    unchanged: int = 0
    failed: list[dict] = field(default_factory=list)     # {"url", "reason", "message"}
    held: list[dict] = field(default_factory=list)       # {"url", "id", "title", "reasons"}: updates not applied
    gone: list[dict] = field(default_factory=list)       # {"url", "id", "title"}: taken off the kiosks this run
    charset_fixes: list[dict] = field(default_factory=list)  # {"url", "declared", "used"}
    list_pages: int = 0
    requests: int = 0
    not_modified: int = 0                                # answered 304: nothing downloaded
    bytes_received: int = 0
    run_id: int | None = None

    def fail(self, url: str, reason: str, detail: str = ""):
        message = REASONS.get(reason, reason) + (f"：{detail}" if detail else "")
        self.failed.append({"url": url, "reason": reason, "message": message})

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        """The report as a person reads it (the CLI prints this)."""
        lines = [f"同步 {self.site}：新增 {len(self.new)}，更新 {len(self.changed)}，未变 {self.unchanged}，"
                 f"失败 {len(self.failed)}",
                 f"列表页 {self.list_pages}，请求 {self.requests}（其中 304 未修改 {self.not_modified}），"
                 f"下载 {self.bytes_received / 1024:.0f} KiB"]
        for item in self.new:
            lines.append(f"  新增  {item['title']}  {item['url']}")
        for item in self.changed:
            lines.append(f"  更新  {item['title']}  {item['url']}")
        for item in self.failed:
            lines.append(f"  失败  {item['message']}  {item['url']}")
        for item in self.gone:
            lines.append(f"  下线  网站上已不存在，已从查询机撤下：{item['title']}  {item['url']}")
        for item in self.charset_fixes:
            lines.append(f"  编码  页面声明 {item['declared'].upper()}，实际按 {item['used'].upper()} 读取  {item['url']}")
        return "\n".join(lines)

    def note_charset(self, url: str, page):
        if page.charset_overridden:
            self.charset_fixes.append({"url": url, "declared": page.declared, "used": page.charset})


# --- fetching ---------------------------------------------------------------------

class FetchFailed(ContentError):
    def __init__(self, reason: str, detail: str = ""):
        super().__init__(REASONS.get(reason, reason) + (f"：{detail}" if detail else ""))
        self.reason = reason
        self.detail = detail


@dataclass
class Fetched:
    url: str
    status: int                 # 200, or 304 when the stored copy is still good
    body: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None


class PoliteClient:
    """HTTP for the sync: robots.txt, spacing between requests, retries with backoff,
    conditional GET. Everything it sends carries the govhall User-Agent."""

    def __init__(self, site: SiteConfig, report: SyncReport, session: requests.Session | None = None,
                 sleep=time.sleep, clock=time.monotonic):
        self.site = site
        self.report = report
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = site.user_agent
        self.sleep = sleep
        self.clock = clock
        self._last_request: dict[str, float] = {}
        # per host: the parsed rules, or why robots.txt could not be read (the site is unreachable)
        self._robots: dict[str, urllib.robotparser.RobotFileParser | FetchFailed] = {}
        self._delay: dict[str, float] = {}

    def _wait_turn(self, host: str):
        delay = self._delay.get(host, self.site.delay_seconds)
        last = self._last_request.get(host)
        if last is not None and delay > 0:
            pause = last + delay - self.clock()
            if pause > 0:
                self.sleep(pause)
        self._last_request[host] = self.clock()

    def _robots_for(self, url: str) -> urllib.robotparser.RobotFileParser:
        """The host's robots.txt rules, fetched once per run with the same retries as any page.
        By the robots convention (RFC 9309): 404 and other 4xx mean no rules, 401/403 forbid
        everything, and a site that cannot be reached (5xx, timeout, no connection) is reported
        as unreachable — raised as that FetchFailed for every URL of the host — never as a ban."""
        parts = urlsplit(url)
        host = parts.netloc
        if host not in self._robots:
            self._robots[host] = self._read_robots(f"{parts.scheme}://{host}/robots.txt")
        found = self._robots[host]
        if isinstance(found, FetchFailed):
            raise FetchFailed(found.reason, f"{found.detail}（读取 robots.txt 时）")
        return found

    def _read_robots(self, robots_url: str) -> urllib.robotparser.RobotFileParser | FetchFailed:
        parser = urllib.robotparser.RobotFileParser(robots_url)
        try:
            fetched = self._fetch(robots_url, {})
        except FetchFailed as failure:
            if failure.reason == "not_found":
                parser.allow_all = True
            elif failure.reason == "http_error" and failure.detail in ("HTTP 401", "HTTP 403"):
                parser.disallow_all = True
            elif failure.reason == "http_error" and failure.detail.startswith("HTTP 4") and failure.detail != "HTTP 429":
                parser.allow_all = True
            else:
                log.warning("robots.txt at %s unreachable: %s", robots_url, failure)
                return failure
            return parser
        parser.parse(decode_page(fetched.body, fetched.content_type).splitlines())
        crawl_delay = parser.crawl_delay(self.site.user_agent)
        if crawl_delay:
            host = urlsplit(robots_url).netloc
            self._delay[host] = max(self.site.delay_seconds, float(crawl_delay))
        return parser

    def allowed(self, url: str) -> bool:
        """Whether robots.txt lets govhall fetch `url` (FetchFailed when the site is unreachable)."""
        return self._robots_for(url).can_fetch(self.site.user_agent, url)

    def get(self, url: str, state: dict | None) -> Fetched:
        """GET `url`, conditionally when `state` holds validators. Raises FetchFailed."""
        if not self.allowed(url):
            raise FetchFailed("robots")
        headers = {}
        if state and state.get("etag"):
            headers["If-None-Match"] = state["etag"]
        if state and state.get("last_modified"):
            headers["If-Modified-Since"] = state["last_modified"]
        return self._fetch(url, headers)

    def _fetch(self, url: str, headers: dict) -> Fetched:
        """One GET in its turn, retried with growing pauses after a timeout, a broken
        connection, a cut-off transfer, a 5xx or a 429."""
        host = urlsplit(url).netloc
        attempt = 0
        while True:
            self._wait_turn(host)
            self.report.requests += 1
            try:
                return self._get_once(url, headers)
            except FetchFailed as failure:
                retryable = failure.reason in ("timeout", "connection", "truncated") or (
                    failure.reason == "http_error" and failure.detail.startswith(("HTTP 5", "HTTP 429")))
                if not retryable or attempt >= self.site.retries:
                    raise
                pause = self.site.backoff_seconds * (2 ** attempt)
                log.info("retrying %s in %.1fs (%s)", url, pause, failure)
                self.sleep(pause)
                attempt += 1

    def _get_once(self, url: str, headers: dict) -> Fetched:
        try:
            with self.session.get(url, headers=headers, timeout=self.site.timeout_seconds, stream=True) as response:
                if response.status_code == 304:
                    self.report.not_modified += 1
                    return Fetched(url, 304, etag=response.headers.get("ETag"),
                                   last_modified=response.headers.get("Last-Modified"))
                if response.status_code == 404 or response.status_code == 410:
                    raise FetchFailed("not_found", f"HTTP {response.status_code}")
                if response.status_code != 200:
                    raise FetchFailed("http_error", f"HTTP {response.status_code}")
                chunks, size = [], 0
                for chunk in response.iter_content(65536):
                    size += len(chunk)
                    if size > self.site.max_page_bytes:
                        raise FetchFailed("too_large", f"超过 {self.site.max_page_bytes} 字节")
                    chunks.append(chunk)
                body = b"".join(chunks)
                self.report.bytes_received += size
                promised = response.headers.get("Content-Length", "")
                if promised.isdigit() and not response.headers.get("Content-Encoding") and size < int(promised):
                    raise FetchFailed("truncated", f"收到 {size} 字节，应为 {promised} 字节")
                return Fetched(url, 200, body, response.headers.get("Content-Type"), response.headers.get("ETag"),
                               response.headers.get("Last-Modified"))
        except requests.Timeout:
            raise FetchFailed("timeout", f"{self.site.timeout_seconds:g} 秒") from None
        except requests.exceptions.ChunkedEncodingError:
            raise FetchFailed("truncated") from None
        except requests.ConnectionError as error:
            raise FetchFailed("connection", type(error).__name__) from None


# --- the run ----------------------------------------------------------------------

def _page_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _utc_now() -> str:
    return datetime.now(timezone.utc).isoformat()


def sync_site(store: ContentStore, site_toml_path: str | Path, *, session: requests.Session | None = None,
              sleep=time.sleep) -> SyncReport:
    """Sync the site described by `site_toml_path` into `store`; returns the report (also
    recorded in the store's sync runs). Raises SiteConfigError for a bad description and
    SyncBusy when another run is under way; page failures only go into the report."""
    site = load_site(site_toml_path)
    report = SyncReport(site=site.name, started_at=_utc_now())
    report.run_id = store.start_sync_run(site.name)
    try:
        client = PoliteClient(site, report, session=session, sleep=sleep)
        # documents read by an older page reader are asked for in full once, and read again
        # (a store from before the reader was versioned has none recorded)
        reread = store.pages_read_with() != READER_VERSION and store.count_documents(include_hidden=True) > 0
        article_urls = _walk_list_pages(store, site, client, report)[:site.max_articles]
        for url in article_urls:
            _sync_article(store, site, client, report, url, reread)
        # a page deleted from the site usually loses its link too: ask for some unlinked ones
        site_prefixes = sorted({f"{urlsplit(u).scheme}://{urlsplit(u).netloc}/" for u in site.start_urls})
        for url in store.unlisted_documents_to_check(site_prefixes, set(article_urls), site.recheck_unlisted):
            _sync_article(store, site, client, report, url, reread)
            store.mark_checked(url)
    except BaseException as error:
        report.finished_at = _utc_now()
        report.fail(site.name, "error", str(error) or type(error).__name__)
        store.finish_sync_run(report.run_id, report.to_dict(), status="failed")
        raise
    if len(report.new) + len(report.changed) + len(report.gone) >= BULK_CHANGE:
        store.optimize_search()
    store.set_pages_read_with(READER_VERSION)
    report.finished_at = _utc_now()
    store.finish_sync_run(report.run_id, report.to_dict())
    return report


def _walk_list_pages(store: ContentStore, site: SiteConfig, client: PoliteClient, report: SyncReport) -> list[str]:
    """Every article URL reachable from the start pages through pagination, in order."""
    queue = list(dict.fromkeys(site.start_urls))
    seen_pages = set(queue)
    articles: dict[str, None] = {}
    while queue and report.list_pages < site.max_list_pages:
        url = queue.pop(0)
        state = store.fetch_state(url)
        try:
            fetched = client.get(url, state)
        except FetchFailed as failure:
            report.fail(url, failure.reason, failure.detail)
            continue
        report.list_pages += 1
        if fetched.status == 304 and state and state.get("links"):
            links = state["links"]
        else:
            if fetched.status == 304:  # validators without links kept: ask again in full
                fetched = client.get(url, None)
            decoded = read_page(fetched.body, fetched.content_type)
            report.note_charset(url, decoded)
            page = read_list_page(decoded.text, url, site.article_pattern, site.next_pattern)
            links = {"articles": page.articles, "next": page.next_pages}
            store.save_fetch_state(url, fetched.etag, fetched.last_modified, _page_hash(fetched.body), links)
        for article in links["articles"]:
            articles.setdefault(article, None)
        for next_page in links["next"]:
            if next_page not in seen_pages:
                seen_pages.add(next_page)
                queue.append(next_page)
    return list(articles)


def _sync_article(store: ContentStore, site: SiteConfig, client: PoliteClient, report: SyncReport, url: str,
                  reread: bool = False):
    """Fetch one article and store what it says. With `reread` the page is asked for and read
    in full even when it has not changed (the stored copy was read by an older reader)."""
    state = store.fetch_state(url)
    known = store.document_by_url(url) if state else None
    try:
        fetched = client.get(url, state if known and not reread else None)
    except FetchFailed as failure:
        if failure.reason == "not_found" and known:
            missing = store.record_page_missing(url, site.gone_after_syncs)
            if known["gone_at"]:
                return  # off the kiosks already and listed for the admin: nothing new to say
            if missing and missing["gone_now"]:
                report.gone.append({"url": url, "id": missing["id"], "title": missing["title"]})
        report.fail(url, failure.reason, failure.detail)
        return
    if known and (known["missing_count"] or known["gone_at"]):
        store.record_page_present(url)
    if fetched.status == 304:
        report.unchanged += 1
        return
    page_hash = _page_hash(fetched.body)
    if known and state.get("page_hash") == page_hash and not reread:
        # the same bytes again from a server without validators: nothing to parse
        store.save_fetch_state(url, fetched.etag, fetched.last_modified, page_hash)
        report.unchanged += 1
        return
    page = read_page(fetched.body, fetched.content_type)
    report.note_charset(url, page)
    if looks_truncated(page.text):
        report.fail(url, "truncated", "页面结构不完整")
        return
    try:
        fields = extract_article(page.text, url)
    except NotAnArticle as error:
        report.fail(url, "not_article", str(error))
        return
    except Exception as error:  # one odd page must not stop the run
        log.exception("extracting %s", url)
        report.fail(url, "error", f"{type(error).__name__}: {error}")
        return
    problems = update_problems(known, fields) if known else []
    if problems:
        # an update never makes a document worse: the stored copy stays until an admin decides
        reasons = [{"code": problem.code, "message": problem.message} for problem in problems]
        store.hold_update(known["id"], fields, reasons)
        store.save_fetch_state(url, fetched.etag, fetched.last_modified, page_hash)
        report.fail(url, "held", "；".join(reason["message"] for reason in reasons))
        report.held.append({"url": url, "id": known["id"], "title": known["title"], "reasons": reasons})
        return
    try:
        doc_id, status = store.upsert_document(fields)
    except ContentError as error:
        report.fail(url, "not_article", error.message)
        return
    store.save_fetch_state(url, fetched.etag, fetched.last_modified, page_hash)
    if status == "unchanged":
        report.unchanged += 1
    else:
        getattr(report, status).append({"url": url, "id": doc_id, "title": fields["title"]})


def run_sync(database_path: str | Path, site_toml_path: str | Path):
    """One sync with its own store connection; the outcome is kept in the store's sync runs."""
    with ContentStore(database_path) as store:
        try:
            sync_site(store, site_toml_path)
        except ContentError as error:
            log.warning("background sync: %s", error.message)
        except Exception:
            log.exception("background sync failed")


def sync_in_background(database_path: str | Path, site_toml_path: str | Path, runner=None):
    """Start `run_sync` on its own thread (the admin's "sync now" button). Refuses at once when a
    run is already under way; the run's outcome is read back from the store's sync runs.

    `runner(target, *args)`, when given, is how the thread runs it: the queue server passes its
    helper-process runner, so parsing pages never takes the CPU of the live worker."""
    import threading

    with ContentStore(database_path) as store:
        running = [run for run in store.sync_runs(limit=1) if run["status"] == "running"]
    if running:
        from . import SyncBusy
        raise SyncBusy(f"同步正在进行（第 {running[0]['id']} 次）")
    load_site(site_toml_path)  # a bad description is reported now, not lost in the thread

    def run():
        if runner is None:
            run_sync(database_path, site_toml_path)
            return
        try:
            runner("content.sync:run_sync", str(database_path), str(site_toml_path))
        except Exception:
            log.exception("background sync failed")

    thread = threading.Thread(target=run, name="govhall-content-sync", daemon=True)
    thread.start()
    return thread
