"""The admin pages and charts as a person sees them: headless Chromium (Debian's) via Playwright,
over a month of made-up hall history. Screenshots go to $GOVHALL_ARTIFACTS/admin."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone

import pytest
import requests
from PIL import Image
from playwright.sync_api import sync_playwright

from queue_server import followup, stats, store
from queue_server.ops import charts
from queue_server.web.admin import CHART_NAMES

from helpers import ARTIFACTS, bearer
from .conftest import PASSWORD
from .synthetic import generate
from .test_followup import finish_and_rate

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
SHOTS = ARTIFACTS / "admin"
MONTH = "from=2026-03-01&to=2026-03-31"


@pytest.fixture
def busy_month(hall_config, passwords, tokens, live_server):
    """March 2026 in the demo hall: ~3,000 tickets, ratings, 差评 cases in every state, a kiosk
    out of paper and a staff photo."""
    db = store.connect(hall_config["server"]["database"])
    generate(db, date(2026, 3, 2), 22, 140)
    when = datetime(2026, 3, 30, 2, 0, tzinfo=timezone.utc)
    for offset, (level, comment) in enumerate([(1, "窗口工作人员离岗二十分钟，无人办理"), (2, "告知的材料清单不全，跑了两趟"),
                                               (2, "")]):
        finish_and_rate(db, hall_config, when + timedelta(minutes=offset), level, window=1 + offset * 3,
                        staff_id=1 + offset * 3, comment=comment or None)
    first, second, _ = store.list_followup_cases(db)
    followup.assign(db, first["id"], 11, 11)
    followup.record_callback(db, first["id"], "3月31日电话回访，群众反映属实", 11)
    followup.resolve(db, first["id"], "已对该窗口人员通报批评，并落实首问负责制", 11)
    followup.appeal(db, second["id"], "材料清单已按一次性告知单提供，群众未看背面", 4)
    requests.post(f"{live_server.url}/api/v1/kiosks/{tokens['kiosk_id']}/heartbeat", headers=bearer(tokens["kiosk"]),
                  json={"printer_status": "paper_out", "content_version": 12})
    picture = io.BytesIO()
    Image.new("RGB", (300, 400), "#5b7fa6").save(picture, "PNG")
    from queue_server import hall_admin

    hall_admin.save_photo(db, hall_config, 11, 1, picture.getvalue())
    for day, kind, note in [("2027-01-01", "holiday", "元旦"), ("2027-02-06", "holiday", "春节"),
                            ("2027-02-14", "workday", "春节调休上班")]:
        hall_admin.set_hall_day(db, 11, day, kind, note)
    db.conn.close()
    return live_server


def test_every_chart_draws(busy_month, hall_config):
    assert set(CHART_NAMES) == set(charts.CHARTS)
    db = store.connect(hall_config["server"]["database"])
    figures = stats.hall_statistics(db, hall_config, stats.Period("2026-03-01", "2026-03-31"))
    empty = stats.hall_statistics(db, hall_config, stats.Period("2020-01-01", "2020-01-31"))
    for name, draw in charts.CHARTS.items():
        for data in (figures, empty):
            image = Image.open(io.BytesIO(draw(data)))
            assert image.format == "PNG" and image.width >= 600, name
    db.conn.close()


PAGES = [
    ("dashboard", "/admin/", "今日取号"),
    ("stats", f"/admin/stats?{MONTH}", "群众满意率"),
    ("services", "/admin/services", "暂停取号"),
    ("window", "/admin/windows/10", "叫号顺序"),
    ("windows", "/admin/windows", "办理事项"),
    ("staff", "/admin/staff/1", "监督岗牌"),
    ("kiosks", "/admin/kiosks", "缺纸"),
    ("calendar", "/admin/calendar?year=2027", "元旦"),
    ("followup", "/admin/followup?status=all", "已超期"),
    ("followup_case", "/admin/followup/2", "申诉"),
    ("ranking", "/admin/ranking?month=2026-03", "红旗窗口推荐"),
    ("events", "/admin/events", "差评立案"),
]


def test_screenshots_of_the_admin_pages(busy_month):
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900}).new_page()
        page.goto(busy_month.url + "/login?next=/admin/")
        page.fill("input[name=login]", "周管理")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/admin/")
        for name, path, expected in PAGES:
            response = page.goto(busy_month.url + path)
            assert response.status == 200, path
            page.wait_for_load_state("networkidle")
            assert expected in page.content(), (path, expected)
            if name == "stats":
                loaded = page.eval_on_selector_all(".charts img", "imgs => imgs.map(i => i.complete && i.naturalWidth)")
                assert len(loaded) == len(CHART_NAMES) and all(width >= 600 for width in loaded), loaded
            page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        # overdue cases are marked in red on the list
        page.goto(busy_month.url + "/admin/followup?status=all")
        assert page.locator("tr.overdue").count() == 2
        browser.close()
    for name, _, _ in PAGES:
        assert Image.open(SHOTS / f"{name}.png").width >= 1400
