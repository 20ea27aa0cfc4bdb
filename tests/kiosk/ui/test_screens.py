"""Every screen, in both languages and both type sizes, in the window size this process was
started with (test_kiosk_ui.py runs it at portrait 1080x1920, landscape 1920x1080 and
1280x800: 12 combinations). Each is saved as a screenshot under
$GOVHALL_ARTIFACTS/kiosk/ (default /tmp/govhall-artifacts/kiosk/) and checked for what a
citizen must get: every word whole (fit.py), touch targets a finger can hit, Chinese drawn."""

from __future__ import annotations

import pytest
from kivy.base import EventLoop
from kivy.uix.behaviors import ButtonBehavior
from PIL import Image

import fit
import kivy_harness as harness
from kiosk.views import Confirm

MIN_TARGET_PX = 60
COMBINATIONS = [(lang, big) for lang in ("zh", "en") for big in (False, True)]


def combination_name(lang: str, big: bool) -> str:
    return f"{lang}-{'big' if big else 'normal'}"


def choice_named(app, name: str):
    return next(c for d in app.departments for c in d.services if c.name == name)


def dismiss_dialogs():
    for widget in list(EventLoop.window.children):
        if hasattr(widget, "dismiss"):
            widget.dismiss(animation=False)
    harness.frames(3)


def screens(app, hall):
    """(name, how to get there) for every screen and dialog a citizen can meet."""
    def ticket():
        app.go("services", department="县市场监督管理局")
        app.take_ticket(choice_named(app, "个体工商户设立登记"))
        harness.wait_until(lambda: app.print_state == "printed", what="the ticket printed")

    def ticket_print_failed():
        app.printer.device = None
        app.printer.uri = "dummy:?status=paper_out"
        try:
            app.go("services", department="县市场监督管理局")
            app.take_ticket(choice_named(app, "食品经营许可"))
            harness.wait_until(lambda: app.print_state == "failed", what="the print to fail")
        finally:
            app.printer.device = None
            app.printer.uri = "dummy:"

    def pinyin_search():
        app.go("disclosure")
        screen = app.manager.get_screen("disclosure")
        screen.keyboard_open = True
        for letter in "db":
            screen.type_letter(letter)

    def topic_search():
        app.go("disclosure")
        app.manager.get_screen("disclosure").search("社保")

    def article():
        document = app.cache.reader.search("最低生活保障标准", limit=1)[0]
        app.go("article", document_id=document["id"])

    def guide_confirm():
        app.go("guide", service="最低生活保障申请")
        app.manager.get_screen("guide").take_ticket()
        harness.wait_until(lambda: any(isinstance(w, Confirm) for w in EventLoop.window.children),
                           what="the confirmation")

    def notice():
        harness.tap(harness.find(app, "NoticeTicker"))

    def idle_warning():
        app.go("guide", service="临时救助申请")
        app._idle_warning_due()

    def book_step(step: str):
        """The kiosk's booking flow on its form or its confirmation (what the server would answer)."""
        from kiosk.qr import qr_texture

        app.go("book")
        screen = app.manager.get_screen("book")
        screen.service = {"id": 1, "name": "最低生活保障申请", "department": "县民政局"}
        screen.day = {"date": "2026-12-08", "weekday": "周二", "available": 4}
        screen.slot = {"start": "09:00", "end": "10:00", "available": 4}
        screen.phone = "1370000"
        if step == "done":
            screen.booking = {"code": "WAXC8A", "service": "最低生活保障申请", "date": "2026-12-08", "start": "09:00",
                              "end": "10:00", "checkin_from": "08:30", "checkin_until": "09:15"}
            screen.code_text, screen.qr = "W A X C 8 A", qr_texture("WAXC8A")
        screen.step = step
        screen.refresh()

    return [
        ("home", lambda: None),
        ("checkin", lambda: app.go("checkin")),
        ("book-service", lambda: app.go("book")),
        ("book-form", lambda: book_step("form")),
        ("book-done", lambda: book_step("done")),
        ("departments", lambda: app.go("departments")),
        ("services", lambda: app.go("services", department="县市场监督管理局")),
        ("services-closed", lambda: app.go("services", department="县人力资源和社会保障局")),
        ("ticket", ticket),
        ("ticket-print-failed", ticket_print_failed),
        ("disclosure", lambda: app.go("disclosure")),
        ("search-pinyin", pinyin_search),
        ("search-topic", topic_search),
        ("article", article),
        ("guides", lambda: app.go("guides")),
        ("guide", lambda: app.go("guide", service="最低生活保障申请")),
        ("guide-confirm", guide_confirm),
        ("notice", notice),
        ("idle-warning", idle_warning),
    ]


def small_targets() -> list[str]:
    """Tappable things smaller than a fingertip."""
    found = []
    for root in EventLoop.window.children:
        for widget in root.walk(restrict=True):
            if isinstance(widget, ButtonBehavior) and fit.visible(widget) and not widget.disabled:
                if widget.width < MIN_TARGET_PX or widget.height < MIN_TARGET_PX:
                    label = getattr(widget, "text", "") or getattr(widget, "title", "") or type(widget).__name__
                    found.append(f"{label[:30]!r} is {widget.width:.0f}x{widget.height:.0f} px")
    return found


def assert_drawn(path):
    """The picture has dark text on it (a missing font would leave it almost blank)."""
    image = Image.open(path).convert("L")
    assert image.size == harness.SIZE
    dark = sum(1 for value in image.getdata() if value < 90)
    assert dark > image.size[0] * image.size[1] * 0.003, f"{path} has almost no text on it"


def walk(app, hall, walk_screens, suffix=""):
    problems = []
    for lang, big in COMBINATIONS:
        for name, go in walk_screens:
            dismiss_dialogs()
            app.go_home()
            app.lang, app.big_type = lang, big
            harness.frames(2)
            go()
            harness.pause(0.3)
            shot = harness.screenshot(f"{name}{suffix}-{combination_name(lang, big)}")
            if lang == "zh" and not big:
                assert_drawn(shot)
            where = f"{name}{suffix} {combination_name(lang, big)} {harness.SIZE[0]}x{harness.SIZE[1]}"
            problems += [f"{where}: {problem}" for problem in fit.text_problems() + small_targets()]
        dismiss_dialogs()
    app.lang, app.big_type = "zh", False
    return problems


def test_every_word_fits_on_every_screen(at_home, hall):
    app = at_home
    db = hall.db()
    db.execute("UPDATE service SET enabled = 0 WHERE name = '失业登记'")
    db.execute("UPDATE service SET daily_cap = 40 WHERE name = '个体工商户设立登记'")
    db.execute("UPDATE service SET days = 'tue,thu', hours = '[\"08:30-12:00\"]' WHERE name = '就业登记'")
    db.conn.commit()
    db.conn.close()
    app.refresh_services()
    harness.wait_until(lambda: not choice_named(app, "失业登记").pickable, what="the closed service")
    problems = walk(app, hall, screens(app, hall))
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


def test_offline_screens_fit_too(at_home, hall):
    app = at_home
    hall.stop()
    try:
        harness.wait_until(lambda: app.server_state == "offline", what="the kiosk to notice", timeout=15)
        problems = walk(app, hall, [("home", lambda: None), ("departments", lambda: app.go("departments")),
                                    ("services", lambda: app.go("services", department="县民政局"))],
                        suffix="-offline")
    finally:
        hall.start()
    harness.wait_until(lambda: app.server_state == "ready", what="recovery", timeout=15)
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


def test_glyphs_are_not_boxes():
    """The Chinese font draws different shapes for different characters (a box font draws one)."""
    from kivy.core.text import Label as CoreLabel

    shapes = set()
    for character in "取号政务公开":
        label = CoreLabel(text=character, font_size=48)
        label.refresh()
        shapes.add(bytes(label.texture.pixels))
    assert len(shapes) == 6


@pytest.fixture(autouse=True)
def _back_to_chinese(at_home):
    yield
    dismiss_dialogs()
    at_home.lang, at_home.big_type = "zh", False
