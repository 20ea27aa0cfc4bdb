"""What each screen does; how it looks is in kiosk/screens/<name>.kv (and the shared
widgets in kiosk/kiosk.kv).

A screen's `show(**context)` fills it when it is entered, `refresh()` redraws it (language
changed, new data), `reset()` drops what a citizen left half done."""

from __future__ import annotations

import math
import re
from collections import OrderedDict

from kivy.app import App
from kivy.clock import Clock
from kivy.factory import Factory
from kivy.graphics import ClearBuffers, ClearColor, Color, Fbo, Rectangle, RoundedRectangle, StencilPop, StencilPush, \
    StencilUnUse, StencilUse, Translate
from kivy.graphics.scissor_instructions import ScissorPop, ScissorPush
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, ObjectProperty, \
    StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.metrics import dp, sp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.modalview import ModalView
from kivy.uix.screenmanager import NoTransition, Screen, ScreenManager
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from content import ContentError

from . import text
from .catalog import Department, ServiceChoice
from .qr import qr_texture

LONG_PRESS_SECONDS = 3
DOCUMENTS_PAGE = 30
SEARCH_PAGE = 10  # rows of a search at a time: each is drawn anew at every key press
ROW_CACHE = 40  # result rows kept made, for the next letter typed
SEARCH_HITS = 100  # hits of a search that 更多 can reach; the heading counts all that match
# "1." "（二）" "第三步：" "①" at the start of a step as written on the website
LEADING_NUMBER = re.compile(r"^(?:第?[0-9一二三四五六七八九十]+[、.．)）:：步]|[（(][0-9一二三四五六七八九十]+[)）]|[①-⑳])\s*")
# Tappable topics for those who cannot type Chinese on a touch screen: the words people
# ask about most at a county hall.
COMMON_TOPICS = ("社保", "医保", "低保", "养老", "户籍", "就业", "补贴", "营业执照", "不动产", "教育", "住房", "残疾人")
METADATA_FIELDS = ("index_no", "doc_no", "publisher", "category", "written_on", "published_on", "repealed_on",
                   "validity")
GUIDE_SECTIONS = ("legal_basis", "conditions", "procedure", "time_limit", "fees", "contact")


def app() -> "App":
    return App.get_running_app()


# --- shared widgets ----------------------------------------------------------------

def fill_key_pad(grid, characters: str, press, erase):
    """The keys of an on-screen pad (the booking code, a mobile number): one CodeKey per character,
    then 删除. Returns the erase key, whose text follows the language."""
    for character in characters:
        key = Factory.CodeKey(text=character)
        key.bind(on_release=lambda key: press(key.text))
        grid.add_widget(key)
    erase_key = Factory.CodeKey(text=app().tr("checkin.erase"), background_color=(0.55, 0.3, 0.2, 1))
    erase_key.bind(on_release=lambda _key: erase())
    grid.add_widget(erase_key)
    return erase_key


class WrapLabel(Label):
    """A label as wide as its parent and as tall as its text. Text from the website is shown
    as it is: markup stays off, so a "[b]" in a document is just characters."""


class FitLabel(Label):
    """Text in a box of fixed size (a tile, a button, a bar) that always fits whole: wrapped
    to the box's width, and the font stepped down from `base_font_size` until every line
    fits the box's height too. Never "…": a citizen reads all of it, a little smaller."""

    base_font_size = NumericProperty(sp(26))
    min_scale = NumericProperty(0.3)

    def __init__(self, **kwargs):
        self._fit_trigger = Clock.create_trigger(self._fit, -1)
        super().__init__(**kwargs)
        for name in ("size", "text", "base_font_size", "padding", "bold", "font_name", "line_height"):
            self.fbind(name, self._fit_trigger)
        self._fit_trigger()

    def _fit(self, *_args):
        width, height = self.width, self.height
        if width <= 1 or height <= 1:
            return
        size = self.base_font_size
        floor = self.base_font_size * self.min_scale
        while True:
            self.font_size = size
            self.text_size = (width, None)
            self.texture_update()
            fits = self.texture_size[0] <= width + 0.5 and self.texture_size[1] <= height + 0.5
            if fits or size <= floor:
                break
            size = max(floor, size * 0.92)
        # The texture only as large as the words (a Label draws it in the middle of its box):
        # a box-sized texture is mostly transparent pixels that the renderer blends at every
        # frame. Centred words on one line need no width either; others keep the box's width
        # for their alignment.
        if self.halign == "center" and "\n" not in self.text and \
                self._one_line_width() <= width - self.padding[0] - self.padding[2] + 0.5:
            self.text_size = (None, None)
        else:
            self.text_size = (width, None)

    def _one_line_width(self) -> float:
        return self._label.get_extents(self.text)[0] if self.text else 0.0


class FitButton(ButtonBehavior, FitLabel):
    """A button whose words always fit (see FitLabel); its colour is drawn in kiosk.kv."""

    background_color = ListProperty([0.082, 0.396, 0.753, 1])


class ScissorClip:
    """Clips a StencilView (a ScrollView) with the GPU's scissor box instead of Kivy's
    stencil. The stencil draws the view's whole area twice at every frame, which a
    software renderer pays for in full; the scissor costs nothing. The box is in window
    pixels, so it follows the view and every ancestor that moves it."""

    def _use_scissor(self):
        for canvas, first, last in ((self.canvas.before, StencilPush, StencilUse),
                                    (self.canvas.after, StencilUnUse, StencilPop)):
            kept, inside = [], False
            for instruction in list(canvas.children):
                if isinstance(instruction, first):
                    inside = True
                if not inside:
                    kept.append(instruction)
                if isinstance(instruction, last):
                    inside = False
            canvas.clear()
            if canvas is self.canvas.before:
                self._scissor = ScissorPush()
                canvas.add(self._scissor)
            else:
                canvas.add(ScissorPop())
            for instruction in kept:
                canvas.add(instruction)
        self._watched: list = []
        self._place_scissor_trigger = Clock.create_trigger(self._place_scissor, -1)
        self.bind(pos=self._place_scissor_trigger, size=self._place_scissor_trigger, parent=self._watch_ancestors)

    def _watch_ancestors(self, *_args):
        for node in self._watched:
            node.unbind(pos=self._place_scissor_trigger, parent=self._watch_ancestors)
        self._watched, node = [], self.parent
        while node is not None and node is not node.parent:  # (the window is its own parent)
            node.bind(pos=self._place_scissor_trigger, parent=self._watch_ancestors)
            self._watched.append(node)
            node = node.parent
        self._place_scissor_trigger()

    def _place_scissor(self, *_args):
        x, y = self.to_window(*self.pos)
        box = (int(round(x)), int(round(y)), int(round(self.width)), int(round(self.height)))
        scissor = self._scissor
        if (scissor.x, scissor.y, scissor.width, scissor.height) != box:
            scissor.x, scissor.y, scissor.width, scissor.height = box


class KioskScroll(ScissorClip, ScrollView):
    """A ScrollView that re-places its content whenever it or its content changes size
    (lists are rebuilt and fonts grow in big type; a stale offset would show a blank area)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._use_scissor()
        self._replace = Clock.create_trigger(lambda _dt: self.update_from_scroll())
        self.bind(size=lambda *_: self._replace(), pos=lambda *_: self._replace())

    def add_widget(self, widget, *args, **kwargs):
        super().add_widget(widget, *args, **kwargs)
        widget.bind(size=lambda *_: self._replace())


class Tile(ButtonBehavior, BoxLayout):
    """A big tappable block with a title and a hint (home screen); grey when `enabled` is off."""

    title = StringProperty("")
    hint = StringProperty("")
    color = ListProperty([0.1, 0.3, 0.6, 1])
    enabled = BooleanProperty(True)


class ListRow(ButtonBehavior, BoxLayout):
    """One tappable line of a list: a title and a grey second line."""

    title = StringProperty("")
    subtitle = StringProperty("")
    payload = ObjectProperty(None, allownone=True)
    enabled = BooleanProperty(True)


class ServiceCard(ButtonBehavior, BoxLayout):
    """A service: its name, the wait (or why it cannot be picked), and when/how many."""

    choice = ObjectProperty(None)
    title = StringProperty("")
    status = StringProperty("")
    detail = StringProperty("")
    pickable = BooleanProperty(True)


class Chip(ButtonBehavior, Label):
    """A tappable word: a category or a common topic."""

    selected = BooleanProperty(False)
    value = StringProperty("")


class OfflinePanel(BoxLayout):
    """The large "take a number at the help desk" panel, shown only while the server is away."""


class NoticeTicker(ButtonBehavior, BoxLayout):
    """The home screen's current announcement title; a tap opens it in full."""

    def on_release(self):
        notice = app().current_notice()
        if notice:
            NoticeView(title=notice["title"], body=notice["body"]).open()


class NoticeView(ModalView):
    title = StringProperty("")
    body = StringProperty("")


class SearchBox(ButtonBehavior, Label):
    """Shows what is searched; a tap opens or closes the on-screen keyboard."""


class KeyButton(FitButton):
    """A key of the pinyin keyboard. Its whole look is its own kv rule (`<-KeyButton>`): it
    does not change while pressed, so the keyboard's picture of its keys stays as it is at a
    key press; the keyboard draws the pressed key's highlight over the picture."""


class PinyinKeyboard(GridLayout):
    """The letters of pinyin, big enough for a finger, and a key to take one back; each
    press goes to the screen's `type_letter` / `erase_letter`.

    The 27 keys are drawn once into a picture (an Fbo) that the keyboard shows at every frame:
    as themselves they are a hundred drawing instructions, which a software renderer paid for
    at every frame, and every key press draws a frame. The picture is drawn again only when a
    key's look changes (language, type size, the keyboard's size)."""

    LETTERS = "abcdefghijklmnopqrstuvwxyz"
    PRESSED = (0, 0, 0, 0.3)

    def on_kv_post(self, _base):
        self._picture = Fbo(size=(max(1, self.width), max(1, self.height)))
        with self._picture:
            ClearColor(0, 0, 0, 0)
            ClearBuffers()
            self._shift = Translate(0, 0)
        with self.canvas:
            Color(1, 1, 1, 1)
            self._shown = Rectangle(texture=self._picture.texture)
        with self.canvas.after:
            self._pressed_color = Color(0, 0, 0, 0)
            self._pressed = RoundedRectangle(radius=[dp(12)], segments=6)
        # drawn into at the start of a frame, outside the scroll list's scissor box (which is
        # in window pixels and would cut the picture)
        from kivy.core.window import Window

        Window.canvas.before.add(self._picture)
        for letter in self.LETTERS:
            key = Factory.KeyButton(text=letter)
            key.bind(on_release=lambda key: self._screen().type_letter(key.text))
            self._add_key(key)
        erase = Factory.KeyButton(text=app().tr("disclosure.erase"), background_color=(0.55, 0.3, 0.2, 1))
        erase.erase_key = True
        app().bind(lang=lambda *_: setattr(erase, "text", app().tr("disclosure.erase")))
        erase.bind(on_release=lambda _key: self._screen().erase_letter())
        self._add_key(erase)
        self.bind(pos=self._place, size=self._place)
        self._place()

    def _add_key(self, key):
        self.add_widget(key)
        self.canvas.remove(key.canvas)  # drawn into the picture instead
        self._picture.add(key.canvas)
        key.bind(state=self._show_pressed)

    def _place(self, *_args):
        size = (max(1, int(self.width)), max(1, int(self.height)))
        if tuple(self._picture.size) != size:
            self._picture.size = size
            self._shown.texture = self._picture.texture
        self._shift.xy = (-self.x, -self.y)
        self._shown.pos, self._shown.size = self.pos, size

    def _show_pressed(self, key, state):
        self._pressed.pos, self._pressed.size = key.pos, key.size
        self._pressed_color.rgba = self.PRESSED if state == "down" else (0, 0, 0, 0)

    def _screen(self):
        node = self.parent
        while node is not None and not isinstance(node, Screen):
            node = node.parent
        return node


class Confirm(ModalView):
    """One question, two large answers; `on_yes` runs after a yes."""

    question = StringProperty("")
    yes_text = StringProperty("")
    no_text = StringProperty("")

    def __init__(self, on_yes=None, **kwargs):
        super().__init__(**kwargs)
        self.on_yes = on_yes

    def answer(self, yes: bool):
        self.dismiss()
        if yes and self.on_yes is not None:
            self.on_yes()


class IdleWarning(ModalView):
    """The countdown before an idle reset; 继续 keeps the citizen where they are."""

    seconds_left = NumericProperty(15)

    def keep_reading(self):
        app().keep_reading()


class LongPressArea(ButtonBehavior, Widget):
    """Invisible corner; holding it for LONG_PRESS_SECONDS opens the administrator's exit."""

    _event = None

    def on_touch_down(self, touch):
        if self.collide_point(*touch.pos):
            self._event = Clock.schedule_once(lambda _dt: AdminExit().open(), LONG_PRESS_SECONDS)
        return super().on_touch_down(touch)

    def on_touch_up(self, touch):
        if self._event is not None:
            self._event.cancel()
            self._event = None
        return super().on_touch_up(touch)


class AdminExit(ModalView):
    """A PIN pad: the only way out of kiosk mode."""

    pin = StringProperty("")
    message = StringProperty("")

    def on_kv_post(self, _base):
        for digit in "123456789":
            self._key(digit, lambda digit=digit: self.press(digit))
        self._key(app().tr("admin.clear"), self.clear)
        self._key("0", lambda: self.press("0"))
        self._key(app().tr("admin.exit"), self.submit)

    def _key(self, label: str, action):
        key = Factory.PinKey(text=label)
        key.bind(on_release=lambda _key: action())
        self.ids.pin_keys.add_widget(key)

    def press(self, digit: str):
        self.message = ""
        if len(self.pin) < 12:
            self.pin += digit

    def clear(self):
        self.pin = ""

    def submit(self):
        if not app().admin_exit(self.pin):
            self.pin = ""
            self.message = app().tr("admin.wrong")
        else:
            self.dismiss()


class KioskScreens(ScreenManager):
    """The screens, each made when it is first needed. Making all ten (their kv rules, their
    widgets) took about half a second of the kiosk's start, before its first frame: now only
    the home screen is made then, and the others one a frame once the kiosk is up
    (`make_the_rest`), or at once when asked for before that (`get_screen`, `current`)."""

    def __init__(self, **kwargs):
        self._to_make: dict[str, type] = {}
        super().__init__(**kwargs)

    def register(self, screen_class):
        self._to_make[screen_class.screen_name] = screen_class

    def _make(self, name: str):
        screen_class = self._to_make.pop(name, None)
        if screen_class is not None:
            self.add_widget(screen_class(name=name))

    def get_screen(self, name):
        self._make(name)
        return super().get_screen(name)

    def has_screen(self, name):
        return name in self._to_make or super().has_screen(name)

    def make_the_rest(self, *_args):
        """One screen now, the next at the next frame, until all are made."""
        if self._to_make:
            self._make(next(iter(self._to_make)))
            Clock.schedule_once(self.make_the_rest, 0)


class KioskRoot(FloatLayout):
    """The status strip, the screens, the control bar, and the administrator's corner."""

    @property
    def manager(self) -> "KioskScreens":
        return self.ids.manager

    def on_kv_post(self, _base):
        from kivy.core.window import Window
        from kivy.lang import global_idmap

        Window.clearcolor = global_idmap["BACKGROUND"]  # set in kiosk.kv
        manager = self.ids.manager
        manager.transition = NoTransition()  # instant: no animation to wait for, nothing to burn CPU
        from .booking import BookingScreen  # these build on this module's screens
        from .checkin import CheckInScreen

        for screen_class in (HomeScreen, DepartmentsScreen, ServicesScreen, TicketScreen, DisclosureScreen,
                             ArticleScreen, GuidesScreen, GuideScreen, CheckInScreen, BookingScreen):
            manager.register(screen_class)
        manager.current = "home"  # made now; the others when needed (KioskScreens)


# --- screens -------------------------------------------------------------------------

class KioskScreen(Screen):
    """The frame every screen shares (the `<KioskScreen>` rule in kiosk.kv): padding, the
    screen's title, and a content area. A screen's own .kv lists only its content: its
    children go into the content area, as Kivy's showcase does it."""

    screen_name = ""
    uses_content = False  # refreshed when the content cache changes
    reading = False  # a screen one reads: the idle reset waits longer and warns first
    title = StringProperty("")

    def refresh_if_shown(self, *_args):
        """New data for a screen: redrawn now if it is on the glass, else when it is shown
        (`show` refreshes). A poll every few seconds must not rebuild lists nobody sees."""
        if self.manager is not None and self.manager.current == self.name:
            self.refresh()

    def add_widget(self, widget, *args, **kwargs):
        if "content" in self.ids:
            return self.ids.content.add_widget(widget, *args, **kwargs)
        return super().add_widget(widget, *args, **kwargs)


class HomeScreen(KioskScreen):
    """The clock, the announcements and the big entries. An entry is (key of its words,
    colour, screen); 预约取号 (appointment check-in) joins the list as one more entry."""

    screen_name = "home"
    ENTRIES = (
        ("take_ticket", (0.776, 0.157, 0.157, 1), "departments"),
        ("disclosure", (0.082, 0.396, 0.753, 1), "disclosure"),
        ("guides", (0.18, 0.49, 0.196, 1), "guides"),
        ("checkin", (0.416, 0.106, 0.604, 1), "checkin"),
    )

    def on_kv_post(self, _base):
        kiosk = app()
        for key, color, screen in self.ENTRIES:
            tile = Tile(color=color)
            tile.entry = key
            tile.bind(on_release=lambda _tile, screen=screen: app().go(screen))
            if key == "take_ticket":
                tile.size_hint = (1, 1.3) if kiosk.portrait else (1.3, 1)
            self.ids.entries.add_widget(tile)
        kiosk.bind(lang=self._words, server_state=self._words, portrait=self._words)
        self._words()

    def _words(self, *_args):
        kiosk = app()
        for tile in self.ids.entries.children:
            tile.title = kiosk.tr(f"home.{tile.entry}")
            tile.hint = kiosk.tr(f"home.{tile.entry}_hint")
            if tile.entry in ("take_ticket", "checkin"):
                tile.enabled = kiosk.server_state != "offline"
                if not tile.enabled:
                    tile.hint = kiosk.tr("offline.tile")
                tile.size_hint = (1, 1.3) if kiosk.portrait else (1.3, 1)


class DepartmentsScreen(KioskScreen):
    """Step 1 of taking a number: the departments, each with how many of its services can
    be taken now (greyed when none can, and while the server is away)."""

    screen_name = "departments"

    def on_kv_post(self, _base):
        app().bind(departments=self.refresh_if_shown, server_state=self.refresh_if_shown)

    def show(self, **_context):
        app().refresh_services()
        self.refresh()

    def refresh(self):
        listing = self.ids.listing
        listing.clear_widgets()
        kiosk = app()
        online = kiosk.server_state == "ready"
        for department in kiosk.departments:
            open_now = department.pickable_count
            subtitle = (kiosk.tr("services.count_open", count=open_now) if open_now
                        else kiosk.tr("services.none_open")) if online else ""
            row = Factory.ListRow(title=department.name, payload=department, subtitle=subtitle,
                                  enabled=online and open_now > 0)
            row.bind(on_release=lambda row: self.pick(row.payload))
            listing.add_widget(row)

    def pick(self, department: Department):
        app().go("services", department=department.name)


class ServicesScreen(KioskScreen):
    """Step 2: the services of one department; a closed or full one is greyed and says why
    and when it opens. A tap on an open one issues its ticket."""

    screen_name = "services"
    department = StringProperty("")
    message = StringProperty("")

    def on_kv_post(self, _base):
        app().bind(departments=self.refresh_if_shown, server_state=self.refresh_if_shown)

    def show(self, department: str = "", **_context):
        self.department = department
        self.message = ""
        self.refresh()

    def reset(self):
        self.department = ""
        self.message = ""

    def services(self) -> list[ServiceChoice]:
        for department in app().departments:
            if department.name == self.department:
                return department.services
        return []

    def refresh(self):
        listing = self.ids.listing
        listing.clear_widgets()
        kiosk = app()
        online = kiosk.server_state == "ready"
        for choice in self.services():
            card = Factory.ServiceCard(
                choice=choice, title=choice.name, pickable=choice.pickable and online,
                # while the server is away its last waits are stale: none is shown
                status=choice.status_text(kiosk.lang, kiosk.now()) if online else "",
                detail=choice.detail_text(kiosk.lang, kiosk.now()) if online else "")
            card.bind(on_release=lambda card: self.pick(card.choice))
            listing.add_widget(card)

    def pick(self, choice: ServiceChoice):
        kiosk = app()
        if kiosk.server_state == "offline":
            return  # the large panel above already says what to do
        if not choice.pickable:
            self.message = choice.status_text(kiosk.lang, kiosk.now())
            return
        self.message = kiosk.tr("services.issuing")
        kiosk.take_ticket(choice, on_refused=self._refused)

    def _refused(self, message: str):
        self.message = message


class TicketScreen(KioskScreen):
    """The number, very large; the people ahead, the estimate and the window(s) — the same
    words as on the paper; whether it printed; the QR code to follow the queue."""

    screen_name = "ticket"
    qr = ObjectProperty(None, allownone=True)
    ahead_text = StringProperty("")
    wait_text = StringProperty("")
    windows_text = StringProperty("")

    def on_kv_post(self, _base):
        app().bind(ticket=lambda *_: self.refresh(), lang=lambda *_: self.refresh())

    def show(self, **_context):
        url = app().ticket.get("status_url")
        self.qr = qr_texture(url) if url else None
        self.refresh()

    def refresh(self):
        ticket, lang = app().ticket or {}, app().lang
        self.ahead_text = text.ahead_text(int(ticket.get("ahead") or 0), lang) if ticket else ""
        self.wait_text = text.wait_text(ticket.get("estimated_wait_min"), lang) if ticket.get("ahead") else ""
        self.windows_text = text.windows_text(ticket.get("windows") or [], lang) if ticket else ""

    def reset(self):
        self.qr = None

    def issued_time(self) -> str:
        issued = app().ticket.get("issued_at")
        if not issued:
            return ""
        from datetime import datetime

        return datetime.fromisoformat(issued).astimezone(app().zone).strftime("%H:%M")


class DisclosureScreen(KioskScreen):
    """政务公开: a search box with the pinyin keyboard, common topics, categories, and the
    list they lead to. The box always shows what the list is the result of."""

    screen_name = "disclosure"
    uses_content = True
    reading = True
    category = StringProperty("")
    query = StringProperty("")  # a Chinese word searched (a topic chip)
    typed = StringProperty("")  # pinyin letters typed on the keyboard
    heading = StringProperty("")
    empty_text = StringProperty("")
    shown = NumericProperty(0)  # rows in the list
    available = NumericProperty(0)  # rows 更多 can add up to
    total = NumericProperty(0)  # what matches in all (the heading's count)
    keyboard_open = BooleanProperty(False)

    def on_kv_post(self, _base):
        self._rows_made: OrderedDict = OrderedDict()  # row widgets by what they show (see _row_for)
        self._rest_event = None
        self._hits: list[dict] | None = None  # the search's hits, None while a category is listed

    def show(self, **_context):
        self.refresh()

    def reset(self):
        self.category, self.query, self.typed, self.shown, self.keyboard_open = "", "", "", 0, False

    def refresh(self):
        self._fill_categories()
        self._fill_topics()
        if self.typed:
            self.search_letters()
        elif self.query:
            self.search(self.query)
        else:
            self.list_category(self.category)

    def _fill_categories(self):
        kiosk, box = app(), self.ids.categories
        box.clear_widgets()
        entries = [("", kiosk.tr("disclosure.all"))] + [(c["name"], c["name"]) for c in kiosk.cache.reader.categories()]
        for value, label in entries:
            chip = Factory.Chip(text=label, value=value,
                                selected=(value == self.category and not self.query and not self.typed))
            chip.bind(on_release=lambda chip: self.list_category(chip.value))
            box.add_widget(chip)

    def _fill_topics(self):
        box = self.ids.topics
        box.clear_widgets()
        for word in COMMON_TOPICS:
            chip = Factory.Chip(text=word, value=word, selected=(word == self.query))
            chip.bind(on_release=lambda chip: self.search(chip.value))
            box.add_widget(chip)

    def _select_chips(self):
        for chip in self.ids.categories.children:
            chip.selected = not self.query and not self.typed and chip.value == self.category
        for chip in self.ids.topics.children:
            chip.selected = not self.typed and chip.value == self.query

    def toggle_keyboard(self):
        self.keyboard_open = not self.keyboard_open

    def type_letter(self, letter: str):
        if len(self.typed) < 30:
            self.typed += letter
        self.search_letters()

    def erase_letter(self):
        self.typed = self.typed[:-1]
        if self.typed:
            self.search_letters()
        else:
            self.list_category(self.category)

    def clear_search(self):
        self.typed, self.query = "", ""
        self.list_category(self.category)

    def list_category(self, category: str):
        kiosk = app()
        self.category, self.query, self.typed = category, "", ""
        reader = kiosk.cache.reader
        self.total = self.available = reader.count_documents(category or None)
        self.heading = kiosk.tr("disclosure.list", category=category or kiosk.tr("disclosure.all"), count=self.total)
        self.empty_text = kiosk.tr("disclosure.empty")
        self._clear_rows()
        self._hits = None
        self.ids.results_scroller.scroll_y = 1  # a new list starts at its top
        self._select_chips()
        self.more()

    def more(self):
        """The next page: of the search's hits, or of the category's documents."""
        if self._hits is not None:
            page = [self._hit_row(hit) for hit in self._hits[self.shown:self.shown + SEARCH_PAGE]]
        else:
            documents = app().cache.reader.documents(category=self.category or None, limit=DOCUMENTS_PAGE,
                                                     offset=self.shown)
            page = [self._document_row(document) for document in documents]
        if self.shown == 0:
            # the rows that fill the list's window now, the rest at the next frame: a key
            # press waits only for what can be seen (and typing on cancels the rest)
            first = max(2, math.ceil(self.ids.results_scroller.height / (dp(110) * app().font_scale)))
            page, rest = page[:first], page[first:]
            if rest:
                self._rest_event = Clock.schedule_once(lambda _dt: self._show_rest(rest), 0)
        self._show_rows(page)

    # A row stays made for as long as it may come back (ROW_CACHE of them): applying the
    # row's kv rule and drawing its Chinese text cost far more than the search, and the
    # next letter typed mostly shows the same titles again, only in another order.
    def _clear_rows(self):
        if self._rest_event is not None:
            self._rest_event.cancel()
            self._rest_event = None
        self.ids.results.clear_widgets()
        self.shown = 0

    def _show_rest(self, rows: list[dict]):
        self._rest_event = None
        self._show_rows(rows)

    def _show_rows(self, rows: list[dict]):
        for values in rows:
            self.ids.results.add_widget(self._row_for(values))
        self.shown += len(rows)

    def _row_for(self, values: dict):
        made = self._rows_made
        row = made.pop(values["payload"], None)
        if row is None:
            row = Factory.ListRow()
            row.bind(on_release=lambda row: self.open_item(*row.payload))
            if len(made) >= ROW_CACHE:
                shown = set(self.ids.results.children)
                for key in [key for key, old in made.items() if old not in shown][:len(made) - ROW_CACHE + 1]:
                    del made[key]
        made[values["payload"]] = row  # the most recently used last
        row.title, row.subtitle, row.payload = values["title"], values["subtitle"], values["payload"]
        return row

    @staticmethod
    def _document_row(document: dict, snippet: str = "") -> dict:
        subtitle = " · ".join(filter(None, [document.get("published_on"), document.get("doc_no"),
                                            document.get("publisher")]))
        if snippet:
            subtitle = snippet + ("\n" + subtitle if subtitle else "")
        return {"title": document["title"], "subtitle": subtitle, "payload": ("document", document["id"])}

    def search_letters(self):
        """Pinyin typed so far: initials (sb) or whole syllables (shebao), as-you-type."""
        kiosk = app()
        result = kiosk.pinyin_index.search(self.typed, limit=SEARCH_HITS)
        self.query = ""
        self._show_hits(result.hits, result.total, self.typed)

    def search(self, words: str):
        kiosk = app()
        self.query, self.typed = words, ""
        hits = kiosk.cache.reader.search(words, limit=SEARCH_HITS)
        self._show_hits(hits, len(hits), words)

    def _show_hits(self, hits: list[dict], total: int, searched: str):
        """The best SEARCH_PAGE hits (更多 shows the next, up to SEARCH_HITS); the heading
        tells how many match in all."""
        kiosk = app()
        self.heading = kiosk.tr("disclosure.results", q=searched, count=total)
        self.empty_text = kiosk.tr("disclosure.none")
        self._clear_rows()
        self._hits = hits
        self.total = total
        self.available = len(hits)
        self.ids.results_scroller.scroll_y = 1
        self._select_chips()
        self.more()

    def _hit_row(self, hit: dict) -> dict:
        if hit["kind"] == "guide":
            return {"title": hit["title"], "payload": ("guide", hit["service"]),
                    "subtitle": " · ".join(filter(None, [app().tr("disclosure.guide_hit"), hit.get("snippet") or ""]))}
        return self._document_row(hit, snippet=hit.get("snippet") or "")

    def open_item(self, kind: str, key):
        if kind == "guide":
            app().go("guide", service=key)
        else:
            app().go("article", document_id=key)


class ArticleScreen(KioskScreen):
    """One document: its metadata block, the body paragraph by paragraph, the QR code to the
    original page on the government website."""

    screen_name = "article"
    uses_content = True
    reading = True
    document = ObjectProperty({})
    qr = ObjectProperty(None, allownone=True)
    document_id = NumericProperty(0)

    def show(self, document_id: int = 0, **_context):
        self.document_id = document_id
        self.refresh()
        self.ids.scroller.scroll_y = 1

    def reset(self):
        self.document, self.qr, self.document_id = {}, None, 0

    def refresh(self):
        kiosk = app()
        try:
            self.document = kiosk.cache.reader.document(self.document_id) if self.document_id else {}
        except ContentError:
            self.document = {}
        meta, body = self.ids.meta, self.ids.body
        meta.clear_widgets()
        body.clear_widgets()
        if not self.document:
            body.add_widget(Factory.BodyText(text=kiosk.tr("article.missing")))
            self.qr = None
            return
        for name in METADATA_FIELDS:
            value = self.document.get(name)
            if value:
                meta.add_widget(Factory.MetaLabel(text=kiosk.tr(f"meta.{name}")))
                meta.add_widget(Factory.MetaValue(text=str(value)))
        # one label per paragraph: a whole long document in one label would exceed the
        # largest texture the GPU can hold and show nothing
        for paragraph in (self.document.get("body") or "").split("\n"):
            if paragraph.strip():
                body.add_widget(Factory.BodyText(text=paragraph.strip()))
        attachments = self.document.get("attachments") or []
        if attachments:
            body.add_widget(Factory.MetaLabel(text=kiosk.tr("article.attachments")))
            for attachment in attachments:
                body.add_widget(Factory.BodyText(text="· " + attachment["name"]))
        url = self.document.get("source_url")
        self.qr = qr_texture(url) if url else None


class GuidesScreen(KioskScreen):
    """办事指南: every service with a guide, under its department."""

    screen_name = "guides"
    uses_content = True
    reading = True

    def show(self, **_context):
        self.refresh()
        self.ids.scroller.scroll_y = 1

    def refresh(self):
        listing = self.ids.listing
        listing.clear_widgets()
        guides = app().cache.reader.guides()
        self.ids.empty.opacity = 0 if guides else 1
        by_department: dict[str, list[dict]] = {}
        for guide in guides:
            by_department.setdefault(guide.get("department") or "", []).append(guide)
        portrait = app().portrait
        for department, members in by_department.items():
            if department:
                listing.add_widget(Factory.SectionTitle(text=department))
            grid = GridLayout(cols=1 if portrait else 2, spacing=dp(14), size_hint_y=None)
            grid.bind(minimum_height=grid.setter("height"))
            for guide in members:
                row = Factory.ListRow(title=guide["service"], payload=guide["service"])
                row.bind(on_release=lambda row: app().go("guide", service=row.payload))
                grid.add_widget(row)
            listing.add_widget(grid)


class GuideScreen(KioskScreen):
    """One service's guide: the 七公开 fields (steps and materials as numbered lists), a
    button that prints the materials, and one that takes a number for this service."""

    screen_name = "guide"
    uses_content = True
    reading = True
    service = StringProperty("")
    guide = ObjectProperty({})
    print_message = StringProperty("")
    printing = BooleanProperty(False)
    can_take_ticket = BooleanProperty(False)

    def on_kv_post(self, _base):
        app().bind(departments=lambda *_: self._ticket_possible())

    def show(self, service: str = "", **_context):
        self.service = service
        self.print_message = ""
        self.refresh()
        self.ids.scroller.scroll_y = 1

    def reset(self):
        self.service, self.guide, self.print_message, self.printing = "", {}, "", False

    def _ticket_possible(self):
        choice = self.service_choice()
        self.can_take_ticket = choice is not None and choice.pickable

    def refresh(self):
        kiosk = app()
        self.guide = kiosk.cache.reader.guide_for_service(self.service) or {} if self.service else {}
        self._ticket_possible()
        sections = self.ids.sections
        sections.clear_widgets()
        if not self.guide:
            return
        order = ("legal_basis", "conditions", "procedure", "materials", "time_limit", "fees", "contact")
        for name in order:
            sections.add_widget(Factory.SectionTitle(text=kiosk.tr(f"guide.{name}")))
            if name in ("procedure", "materials"):
                items = guide_items(self.guide.get(name))
                for number, item in enumerate(items, start=1):
                    # no space after the number: Kivy wraps at spaces, and a Chinese sentence
                    # after one would leave "1." alone on its line
                    sections.add_widget(Factory.BodyText(text=f"{number}.{item}"))
                if not items:
                    sections.add_widget(Factory.BodyText(text=kiosk.tr("guide.not_given")))
                continue
            value = self.guide.get(name) or kiosk.tr("guide.not_given")
            for paragraph in str(value).split("\n"):
                if paragraph.strip():
                    sections.add_widget(Factory.BodyText(text=paragraph.strip()))

    def print_list(self):
        if not self.guide or self.printing:
            return
        kiosk = app()
        self.printing = True
        self.print_message = kiosk.tr("guide.printing")
        flow = kiosk.flow

        def done(ok: bool, message: str):
            self.printing = False
            if flow == kiosk.flow:
                self.print_message = message

        kiosk.print_materials(self.guide, done)

    def service_choice(self) -> ServiceChoice | None:
        for department in app().departments:
            for choice in department.services:
                if choice.name == self.service:
                    return choice
        return None

    def take_ticket(self):
        """Asked once, then this service's ticket is issued and shown as from the list."""
        kiosk = app()
        choice = self.service_choice()
        if choice is None or not choice.pickable:
            self.print_message = choice.status_text(kiosk.lang, kiosk.now()) if choice else \
                kiosk.tr("guide.no_ticket")
            return
        question = kiosk.tr("guide.confirm_ticket", service=choice.name)
        if choice.ahead:
            question += "\n" + text.ahead_text(choice.ahead, kiosk.lang)
        Confirm(question=question, yes_text=kiosk.tr("guide.confirm_yes"), no_text=kiosk.tr("guide.confirm_no"),
                on_yes=lambda: kiosk.take_ticket(choice, on_refused=self._refused)).open()

    def _refused(self, message: str):
        self.print_message = message


def guide_items(value) -> list[str]:
    """A guide's steps or materials as separate items: a list as it is; a text split at its
    lines, or at "；" when written on one line, with any numbering it already had removed."""
    if not value:
        return []
    if isinstance(value, (list, tuple)):
        parts = [str(item) for item in value]
    else:
        parts = str(value).split("\n")
        if len(parts) == 1:
            parts = str(value).split("；")
    items = []
    for part in parts:
        cleaned = LEADING_NUMBER.sub("", part.strip()).strip()
        if cleaned:
            items.append(cleaned)
    return items
