"""The hall screen is read from across the hall: every service and window name is shown whole (no
ellipsis, nothing clipped) in type no smaller than a set size, on a 1920x1080 and a 1366x768 screen,
in the demo hall and in a hall with many long service names."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from queue_server import hall_admin, store

from .conftest import db_of, open_page, screenshot
from .test_screenshots import busy_hall

SMALLEST_REM = {"sname": 1.2, "wname": 1.5}  # a rem is 1/120 of the screen's width

# For each name: its type in rem, whether its box hides part of it, whether it leaves its row, whether its
# row leaves the panel.
NAMES = """(selector) => {
  const rem = parseFloat(getComputedStyle(document.documentElement).fontSize);
  const textWidth = (node) => {
    const range = document.createRange();
    range.selectNodeContents(node);
    return range.getBoundingClientRect().width;
  };
  return [...document.querySelectorAll(selector)].map((node) => {
    const box = node.getBoundingClientRect(), row = node.parentElement.getBoundingClientRect();
    const panel = node.closest(".panel").getBoundingClientRect();
    return {
      name: node.textContent, kind: node.classList[0], rem: parseFloat(getComputedStyle(node).fontSize) / rem,
      clipped: node.scrollHeight > node.clientHeight || textWidth(node) > node.clientWidth + 0.5,
      outside: box.top < row.top - 1 || box.bottom > row.bottom + 1 || box.left < row.left - 1 || box.right > row.right + 1,
      off_panel: row.top < panel.top || row.bottom > panel.bottom || row.left < panel.left || row.right > panel.right,
    };
  });
}"""

MORE_SERVICES = ["城乡居民基本医疗保险参保登记", "建设工程规划许可证核发（变更）", "残疾人两项补贴申请",
                 "特困人员救助供养审批", "道路运输经营许可（货运）", "机动车驾驶证期满换证", "公共场所卫生许可（新办）",
                 "排水许可证核发", "高龄津贴申请", "林木采伐许可证核发", "药品零售企业经营许可", "住房公积金提取"]


def _check_names(page, expected_services):
    services = page.evaluate(NAMES, "#waiting .sname")
    windows = page.evaluate(NAMES, "#windows .wname")
    assert sorted(n["name"] for n in services) == sorted(expected_services)
    for found in services + windows:
        assert not (found["clipped"] or found["outside"] or found["off_panel"]), found
        assert found["rem"] >= SMALLEST_REM[found["kind"]] - 0.01, found


def _enabled_service_names(config):
    db = db_of(config)
    try:
        return [s["name"] for s in store.list_services(db) if s["enabled"]]
    finally:
        db.conn.close()


@pytest.mark.parametrize("width,height", [(1920, 1080), (1366, 768)])
def test_every_name_on_the_hall_screen_is_whole_and_legible(server, hall, context, width, height):
    busy_hall(hall)
    page = open_page(context, server.url + "/display", width, height)
    expect(page.locator("#windows")).to_contain_text("暂停服务")
    page.evaluate("document.fonts.ready")
    _check_names(page, _enabled_service_names(hall))
    long_one = page.locator("#waiting .sname", has_text="城乡居民养老保险参保登记")
    expect(long_one).to_have_text("城乡居民养老保险参保登记")
    screenshot(page, f"hall-names-{width}x{height}")
    assert page.js_errors == []


def test_a_hall_with_many_long_service_names_still_shows_them_whole(server, hall, context):
    db = db_of(hall)
    try:
        admin = store.find_staff_login(db, "周管理")
        department = store.get_service_by_name(db, "帮办代办")["department_id"]  # the last: busy_hall still fills the first 16
        for index, name in enumerate(MORE_SERVICES):
            hall_admin.save_service(db, admin["id"], None, hall_admin.service_values({
                "name": name, "department_id": department, "prefix": "M", "category": "公共服务",
                "days": "mon-sun", "hours": "00:00-24:00", "enabled": "on", "sort_order": 100 + index}))
    finally:
        db.conn.close()
    busy_hall(hall)
    for width, height in ((1920, 1080), (1366, 768)):
        page = open_page(context, server.url + "/display", width, height)
        expect(page.locator("#windows")).to_contain_text("暂停服务")
        page.evaluate("document.fonts.ready")
        screenshot(page, f"hall-many-services-{width}x{height}")
        _check_names(page, _enabled_service_names(hall))
        assert page.js_errors == []
        page.close()
