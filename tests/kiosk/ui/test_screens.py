"""Every screen, in the window size this process was started with (portrait 1080x1920,
landscape 1920x1080 and 1280x800), in normal and big type: screenshots saved under
$GOVHALL_ARTIFACTS/kiosk/ (default /tmp/govhall-artifacts/kiosk/), and checked for what a
citizen must see: Chinese text drawn (not empty boxes), nothing pushed off the screen."""

from __future__ import annotations

import pytest
from PIL import Image

import kivy_harness as harness
from printer import PrinterStatus


def go_everywhere(app):
    """(name, how to get there) for every screen."""
    def departments():
        harness.tap(harness.find(app, "Tile", "取号"))
        harness.wait_until(lambda: harness.find_all(app, "ListRow", "县民政局"), what="departments")

    def services():
        departments()
        harness.tap(harness.find(app, "ListRow", "县市场监督管理局"))

    def ticket():
        services()
        harness.tap(harness.find(app, "ServiceCard", "个体工商户设立登记"))
        harness.wait_until(lambda: app.print_state == "printed", what="the ticket printed")

    def ticket_print_failed():
        app.printer.device = None
        app.printer.uri = "dummy:?status=paper_out"
        try:
            services()
            harness.tap(harness.find(app, "ServiceCard", "食品经营许可"))
            harness.wait_until(lambda: app.print_state == "failed", what="the print to fail")
        finally:
            app.printer.device = None
            app.printer.uri = "dummy:"

    def disclosure():
        harness.tap(harness.find(app, "Tile", "政务公开"))

    def search():
        disclosure()
        harness.tap(harness.find(app, "Chip", "社保"))

    def article():
        disclosure()
        harness.tap(harness.find(app, "ListRow", "最低生活保障标准"))

    def guides():
        harness.tap(harness.find(app, "Tile", "办事指南"))

    def guide():
        guides()
        harness.tap(harness.find(app, "ListRow", "最低生活保障申请"))

    return [("home", lambda: None), ("departments", departments), ("services", services), ("ticket", ticket),
            ("ticket-print-failed", ticket_print_failed), ("disclosure", disclosure), ("search", search),
            ("article", article), ("guides", guides), ("guide", guide)]


def assert_drawn_in_chinese(path):
    """The picture has dark text on it; a missing font draws the same empty box for every
    character, which leaves the title area almost uniform."""
    image = Image.open(path).convert("L")
    assert image.size == harness.SIZE
    dark = sum(1 for value in image.getdata() if value < 90)
    assert dark > image.size[0] * image.size[1] * 0.003, f"{path} has almost no text on it"


@pytest.mark.parametrize("big_type", [False, True], ids=["normal", "big-type"])
def test_every_screen(at_home, big_type):
    app = at_home
    names = []
    for name, go in go_everywhere(app):
        app.go_home()
        app.big_type = big_type
        go()
        harness.pause(0.2)
        expected = name.split("-")[0] if name != "search" else "disclosure"
        assert app.manager.current == expected
        path = harness.screenshot(f"{name}{'-big' if big_type else ''}")
        assert_drawn_in_chinese(path)
        # the bar's buttons fit on the screen in every size and type
        for button in harness.find_all(app, "BarButton"):
            if harness.visible(button):
                assert button.right <= harness.SIZE[0] + 1 and button.x >= 0, (name, button.text)
        names.append(name)
    assert len(names) == 10


def test_english_home(at_home):
    app = at_home
    harness.tap(harness.find(app, "BarButton", "English"))
    assert harness.find(app, "Tile", "Take a number")
    assert_drawn_in_chinese(harness.screenshot("home-english"))
    app.lang = "zh"


def test_glyphs_are_not_boxes():
    """The Chinese font draws different shapes for different characters (a box font draws one)."""
    from kivy.core.text import Label as CoreLabel

    shapes = set()
    for character in "取号政务公开":
        label = CoreLabel(text=character, font_size=48)
        label.refresh()
        shapes.add(bytes(label.texture.pixels))
    assert len(shapes) == 6
    assert PrinterStatus.READY.value == "ready"
