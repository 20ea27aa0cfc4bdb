"""`govhall demo` end to end: the demo website answers and was synced into the content store, the
API works, the past month has statistics (and today has none), the admin's 立即同步 runs against
the demo website, the statistics page looks right in Chromium, and SIGTERM stops every child."""

from __future__ import annotations

import pytest

import os
import re
import subprocess
import sys
import time
from datetime import date, timedelta

import requests
from playwright.sync_api import sync_playwright

from helpers import ARTIFACTS, REPO

from content.store import ContentStore
from queue_server import clock, store
from queue_server.config import load_config
from queue_server.ops.demo import DEMO_PASSWORD, HISTORY_WORKING_DAYS

from .conftest import alive, descendants, login

pytestmark = pytest.mark.calendar  # also run at fixed moments of the hall's clock (Makefile)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
SHOTS = ARTIFACTS / "demo"


def _history_days(demo) -> tuple[str, str]:
    found = re.search(r"(\d{4}-\d{2}-\d{2}) 至 (\d{4}-\d{2}-\d{2}) 共 (\d+) 个工作日", demo.output)
    assert found, demo.output
    assert int(found.group(3)) == HISTORY_WORKING_DAYS
    return found.group(1), found.group(2)


def _hall_today() -> str:
    return clock.local_day(clock.utc_now(), "Asia/Shanghai")  # the demo hall's zone, not the machine's


def _report(demo, first: str, last: str) -> str:
    env = dict(os.environ, GOVHALL_CONFIG=str(demo.config_path))
    result = subprocess.run([sys.executable, "-m", "queue_server", "report", "--from", first, "--to", last,
                             "--format", "text"], cwd=REPO, env=env, capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


def test_the_demo_prints_every_url_and_the_demo_website(demo):
    for expected in ("/display", "/staff", "/admin", "/admin/stats", "/admin/content/sync", "周管理", DEMO_PASSWORD,
                     "已准备：从演示县政府网站同步政务公开"):
        assert expected in demo.output, expected
    assert demo.site_url and demo.site_url != demo.url
    assert "失败 0" in demo.output and "新增 8" in demo.output
    # the description the server's 立即同步 uses points at the demo website, not at the internet
    site_toml = (demo.directory / "site.toml").read_text(encoding="utf-8")
    assert f'start_urls = ["{demo.site_url}/zwgk/index.html"]' in site_toml
    assert load_config(demo.config_path, environ={})["content"]["site"] == str((demo.directory / "site.toml").resolve())


def test_the_demo_website_answers_like_a_county_site(demo):
    home = requests.get(demo.site_url + "/", timeout=30)
    assert home.status_code == 200 and "政府信息公开" in home.content.decode("utf-8")
    listing = requests.get(demo.site_url + "/zwgk/index.html", timeout=30)
    assert listing.status_code == 200 and "index_1.html" in listing.text and "下一页" in listing.content.decode("utf-8")
    # the older page is GBK-encoded, as it says in its <meta>
    old = requests.get(demo.site_url + "/zwgk/202610/t20261027_3071.html", timeout=30).content
    assert b"charset=gbk" in old and "跨省通办" in old.decode("gbk")
    robots = requests.get(demo.site_url + "/robots.txt", timeout=30)
    assert robots.status_code == 200 and "User-agent" in robots.text
    # conditional GET, as the incremental sync relies on
    again = requests.get(demo.site_url + "/zwgk/index.html", timeout=30,
                         headers={"If-Modified-Since": listing.headers["Last-Modified"]})
    assert again.status_code == 304


def test_the_synced_documents_are_in_the_content_store(demo):
    found = requests.get(demo.url + "/api/v1/content/search", params={"q": "跨省通办"}, timeout=30).json()["results"]
    documents = [r for r in found if r["kind"] == "document"]
    assert documents and documents[0]["title"] == "和林格尔县公安局户籍业务“跨省通办”办理指南"
    document = requests.get(f"{demo.url}/api/v1/content/documents/{documents[0]['id']}", timeout=30).json()
    assert document["source_url"] == demo.site_url + "/zwgk/202610/t20261027_3071.html"
    assert document["publisher"] == "和林格尔县公安局" and document["published_on"] == "2026-10-27"  # GBK read right
    assert "迁入地一次办结" in document["body"]
    # a page of the other templates: inline "发布时间 / 来源" and the metadata table with an attachment
    hits = requests.get(demo.url + "/api/v1/content/search", params={"q": "午间不断档"}, timeout=30).json()["results"]
    assert hits and hits[0]["publisher"] == "县政务服务中心" and hits[0]["published_on"] == "2026-11-18"
    hits = requests.get(demo.url + "/api/v1/content/search", params={"q": "低保资金发放"}, timeout=30).json()["results"]
    notice = requests.get(f"{demo.url}/api/v1/content/documents/{hits[0]['id']}", timeout=30).json()
    assert notice["index_no"] == "11150123MB0000001X/2026-00087" and notice["doc_no"] is None
    assert notice["attachments"][0]["url"] == demo.site_url + "/zwgk/files/dibao_202610.xlsx"
    repealed = requests.get(demo.url + "/api/v1/content/search", params={"q": "窗口管理暂行办法"}, timeout=30).json()
    old_rules = requests.get(f"{demo.url}/api/v1/content/documents/{repealed['results'][0]['id']}", timeout=30).json()
    assert old_rules["validity"] == "已废止" and old_rules["repealed_on"] == "2026-09-30"


def test_the_services_api_works_and_every_service_takes_tickets(demo):
    answer = requests.get(demo.url + "/api/v1/services", timeout=30).json()
    assert answer["hall"] == "和林格尔县政务服务中心" and answer["local_day"] == _hall_today()
    services = [s for d in answer["departments"] for s in d["services"]]
    assert len(services) >= 20
    assert all(s["open"] for s in services), [s["name"] for s in services if not s["open"]]  # open all day in the demo
    assert all(s["waiting"] == 0 for s in services)  # today's queue starts empty


def test_the_past_month_has_statistics_and_today_has_none(demo):
    first, last = _history_days(demo)
    today = _hall_today()
    assert last < today and first >= (date.fromisoformat(today) - timedelta(days=80)).isoformat()
    month = _report(demo, first, last)
    issued = int(re.search(r"共取号 (\d+) 张", month).group(1))
    assert issued > 1000, month
    assert int(re.search(r"过号 (\d+) 张", month).group(1)) > 0
    assert int(re.search(r"转办 (\d+) 件", month).group(1)) > 0
    assert "群众满意率" in month and re.search(r"收到差评 [1-9]\d* 件", month), month
    report_today = _report(demo, today, today)
    assert "共取号 0 张" in report_today, report_today


def test_the_history_leaves_a_hall_ready_for_today(demo):
    db = store.connect(load_config(demo.config_path, environ={})["server"]["database"])
    try:
        assert all(w["state"] == "closed" and w["staff_id"] is None for w in store.list_windows(db))
        by_status = store.count_tickets_by_status(db)
        assert set(by_status) <= {"done", "no_show"}, by_status  # nobody left waiting, called or at a window
        cases = store.list_followup_cases(db)
        assert {"open", "resolved"} <= {case["status"] for case in cases}
        assert any(case["appeal_outcome"] == "upheld" for case in cases)
    finally:
        db.conn.close()


def test_sync_now_in_the_admin_runs_against_the_demo_website(demo):
    session, csrf = login(demo.url, "周管理", DEMO_PASSWORD)
    page = session.get(demo.url + "/admin/content/sync", timeout=30)
    assert page.status_code == 200 and "立即同步" in page.text and "site.toml" in page.text
    started = session.post(demo.url + "/admin/content/sync", data={"csrf_token": csrf}, allow_redirects=False,
                           timeout=30)
    assert started.status_code == 302
    runs = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with ContentStore(load_config(demo.config_path, environ={})["content"]["database"]) as content_store:
            runs = content_store.sync_runs(limit=5)
        if len(runs) >= 2 and runs[0]["status"] != "running":
            break
        time.sleep(0.3)
    # newest first: the button's run found all eight pages unchanged; the start-up run added them
    counts = [(run["status"], run["new"], run["changed"], run["unchanged"], run["failed"]) for run in runs]
    assert counts == [("done", 0, 0, 8, 0), ("done", 8, 0, 0, 0)], counts
    assert runs[0]["report"]["not_modified"] >= 8  # conditional GETs answered 304 by the demo website


def test_screenshot_of_the_statistics_and_followup_pages(demo):
    first, last = _history_days(demo)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900}).new_page()
        page.goto(demo.url + "/login?next=/admin/")
        page.fill("input[name=login]", "周管理")
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/admin/")
        response = page.goto(f"{demo.url}/admin/stats?from={first}&to={last}")
        assert response.status == 200
        page.wait_for_load_state("networkidle")
        assert "群众满意率" in page.content()
        widths = page.eval_on_selector_all(".charts img", "imgs => imgs.map(i => i.complete && i.naturalWidth)")
        assert widths and all(width >= 600 for width in widths), widths
        page.screenshot(path=str(SHOTS / "admin_stats.png"), full_page=True)
        page.goto(demo.url + "/admin/followup?status=all")
        page.wait_for_load_state("networkidle")
        assert page.locator("tr.overdue").count() >= 1  # one 差评 case was left past its deadline
        page.screenshot(path=str(SHOTS / "admin_followup.png"), full_page=True)
        page.goto(demo.site_url + "/zwgk/index.html")
        page.screenshot(path=str(SHOTS / "demo_website.png"), full_page=True)
        browser.close()
    assert (SHOTS / "admin_stats.png").stat().st_size > 50_000


def test_sigterm_stops_the_demo_and_every_child(demo):
    """Last in this module: it stops the shared demo."""
    assert demo.children, "the server should be running under the demo"
    assert all(alive(pid) for pid in demo.children)
    assert demo.stop() == 0, demo.log.read_text(encoding="utf-8", errors="replace")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(alive(pid) for pid in demo.children):
        time.sleep(0.1)
    assert not [pid for pid in demo.children if alive(pid)]
    assert descendants(demo.process.pid) == []
    for url in (demo.url + "/api/v1/healthz", demo.site_url + "/"):
        try:
            requests.get(url, timeout=5)
        except requests.ConnectionError:
            continue
        raise AssertionError(f"{url} still answers after SIGTERM")
