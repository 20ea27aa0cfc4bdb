"""The booking pages in headless Chromium on a 360-px-wide phone: department → service → day →
slot → name and mobile → the code with its QR, then cancelling it. Screenshots go to
$GOVHALL_ARTIFACTS/appointments/."""

from __future__ import annotations

import os

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import sync_playwright

from helpers import ARTIFACTS, LiveServer, make_hall
from queue_server import clock

pytestmark = pytest.mark.calendar

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
SCREENSHOTS = ARTIFACTS / "appointments"


@pytest.fixture
def served(tmp_path):
    clock.set_clock("2026-12-07T08:00:00+08:00")  # a Monday morning before the hall opens
    server = LiveServer(make_hall(tmp_path, all_day=False))
    yield server
    server.stop()
    clock.set_clock(os.environ.get(clock.CLOCK_VARIABLE))


@pytest.fixture
def phone():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 360, "height": 740}, device_scale_factor=2, locale="zh-CN")
        yield page
        browser.close()


def fits_the_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 360


def shot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_booking_on_a_360px_phone_from_department_to_the_code_and_qr(served, phone):
    page = phone
    page.goto(served.url + "/book")
    assert page.locator("h1").inner_text() == "请选择办理事项" and fits_the_width(page)
    shot(page, "1-services")
    page.get_by_role("link", name="最低生活保障申请").click()
    assert page.locator("h1").inner_text() == "请选择日期"
    page.get_by_role("link", name="12月7日 周一").click()
    assert page.locator("h1").inner_text() == "请选择时段" and fits_the_width(page)
    assert page.locator(".book-slot.full").first.inner_text().startswith("08:30")  # closed 30 min before
    shot(page, "2-slots")
    page.locator("a.book-slot", has_text="09:30–10:30").click()
    page.get_by_label("姓名").fill("张三")
    page.get_by_label("手机号码").fill("13912345678")
    page.get_by_label("身份证号码（选填）").fill("150123195203140421")
    assert fits_the_width(page)
    shot(page, "3-form")
    page.get_by_role("button", name="确认预约").click()

    code = page.locator("#code").inner_text()
    assert len(code) == 6 and page.url.endswith(f"/book/{code}")
    assert "已预约" in page.locator(".book-status").inner_text()
    assert "09:00–09:45" in page.locator(".book-how").inner_text()
    assert "张*" in page.content() and "139****5678" in page.content() and "张三" not in page.content()
    assert fits_the_width(page)
    path = shot(page, "4-confirmation")
    found = zxingcpp.read_barcodes(Image.open(path))
    assert [result.text for result in found] == [code]

    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="取消预约").click()
    assert page.locator(".book-status").inner_text() == "已取消"
    assert page.get_by_role("button", name="取消预约").count() == 0
    shot(page, "5-cancelled")


def test_a_full_form_error_is_shown_on_the_form_in_chinese(served, phone):
    page = phone
    page.goto(served.url + "/book?service_id=1&date=2026-12-07&start=09:30")
    page.get_by_label("姓名").fill("李四")
    page.get_by_label("手机号码").fill("13912345678")
    page.get_by_label("身份证号码（选填）").fill("150123195203140426")  # a wrong check character
    page.get_by_role("button", name="确认预约").click()
    assert "身份证号码有误" in page.locator(".book-error").inner_text()
    assert page.get_by_label("姓名").input_value() == "李四"
    shot(page, "6-form-error")
    page.goto(served.url + "/book/AAAAAA")
    assert "没有预约码为「AAAAAA」的预约" in page.content()
