"""The statistics page keeps each chart's place before the chart arrives: nothing on the page moves
when the pictures come in (they are drawn off the live path and may take a moment)."""

from __future__ import annotations

from .conftest import login, screenshot

BOXES = """() => [...document.querySelectorAll('.charts img')].map((img) => {
  const box = img.getBoundingClientRect();
  return [Math.round(box.top), Math.round(box.height), img.complete && img.naturalWidth > 0];
})"""


def test_chart_boxes_do_not_move_when_the_charts_arrive(server, hall, context):
    page = login(context, server.url, name="周管理", width=1366, height=900)
    held, measured = [], []

    def hold(route):  # the pictures wait until the page has been measured without them
        if measured:
            route.continue_()
        else:
            held.append(route)

    page.route("**/admin/stats/chart/**", hold)
    page.goto(server.url + "/admin/stats")
    page.wait_for_function("document.querySelectorAll('.charts img').length > 0")
    page.wait_for_timeout(300)
    before = page.evaluate(BOXES)
    assert before and all(height > 100 for _, height, _ in before)  # a place before any picture
    assert not any(loaded for _, _, loaded in before)
    screenshot(page, "stats-charts-waiting-1366x900")
    measured.append(True)
    for route in held:
        route.continue_()
    page.wait_for_function("[...document.querySelectorAll('.charts img')].every((img) => img.complete)",
                           timeout=60_000)
    after = page.evaluate(BOXES)
    assert [(top, height) for top, height, _ in after] == [(top, height) for top, height, _ in before]
    screenshot(page, "stats-charts-1366x900")
    assert page.js_errors == []
