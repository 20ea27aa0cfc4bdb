"""What each screen does; how it looks is in kiosk/screens/<name>.kv (and the shared
widgets in kiosk/kiosk.kv).

A screen's `show(**context)` fills it when it is entered, `refresh()` redraws it (language
changed, new data), `reset()` drops what a citizen left half done."""

from __future__ import annotations

from kivy.app import App
from kivy.clock import Clock
from kivy.factory import Factory
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, ObjectProperty, \
    StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.modalview import ModalView
from kivy.uix.screenmanager import NoTransition, Screen, ScreenManager
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from content import ContentError

from .catalog import Department, ServiceChoice
from .qr import qr_texture

LONG_PRESS_SECONDS = 3
DOCUMENTS_PAGE = 30
# Tappable topics for those who cannot type Chinese on a touch screen: the words people
# ask about most at a county hall.
COMMON_TOPICS = ("社保", "医保", "低保", "养老", "户籍", "就业", "补贴", "营业执照", "不动产", "教育", "住房", "残疾人")
METADATA_FIELDS = ("index_no", "doc_no", "publisher", "category", "written_on", "published_on", "repealed_on",
                   "validity")
GUIDE_SECTIONS = ("legal_basis", "conditions", "procedure", "time_limit", "fees", "contact")


def app() -> "App":
    return App.get_running_app()


# --- shared widgets ----------------------------------------------------------------

class WrapLabel(Label):
    """A label as wide as its parent and as tall as its text. Text from the website is shown
    as it is: markup stays off, so a "[b]" in a document is just characters."""


class KioskScroll(ScrollView):
    """A ScrollView that re-places its content whenever it or its content changes size
    (lists are rebuilt and fonts grow in big type; a stale offset would show a blank area)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._replace = Clock.create_trigger(lambda _dt: self.update_from_scroll())
        self.bind(size=lambda *_: self._replace())

    def add_widget(self, widget, *args, **kwargs):
        super().add_widget(widget, *args, **kwargs)
        widget.bind(size=lambda *_: self._replace())


class Tile(ButtonBehavior, BoxLayout):
    """A big tappable block with a title and a hint (home screen)."""

    title = StringProperty("")
    hint = StringProperty("")
    color = ListProperty([0.1, 0.3, 0.6, 1])


class ListRow(ButtonBehavior, BoxLayout):
    """One tappable line of a list: a title and a grey second line."""

    title = StringProperty("")
    subtitle = StringProperty("")
    payload = ObjectProperty(None, allownone=True)


class ServiceCard(ButtonBehavior, BoxLayout):
    """A service: its name and how long the wait is, or why it cannot be picked."""

    choice = ObjectProperty(None)
    title = StringProperty("")
    status = StringProperty("")
    pickable = BooleanProperty(True)


class Chip(ButtonBehavior, Label):
    """A tappable word: a category or a common topic."""

    selected = BooleanProperty(False)
    value = StringProperty("")


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


class KioskRoot(BoxLayout):
    """The top bar, the screens, and the line that says the queue server is away."""

    @property
    def manager(self) -> ScreenManager:
        return self.ids.manager

    def on_kv_post(self, _base):
        manager = self.ids.manager
        manager.transition = NoTransition()  # instant: no animation to wait for, nothing to burn CPU
        for screen_class in (HomeScreen, DepartmentsScreen, ServicesScreen, TicketScreen, DisclosureScreen,
                             ArticleScreen, GuidesScreen, GuideScreen):
            manager.add_widget(screen_class(name=screen_class.screen_name))
        manager.current = "home"


# --- screens -------------------------------------------------------------------------

class KioskScreen(Screen):
    screen_name = ""
    uses_content = False  # refreshed when the content cache changes


class HomeScreen(KioskScreen):
    screen_name = "home"


class DepartmentsScreen(KioskScreen):
    """Step 1 of taking a number: the departments (each with how many services are open)."""

    screen_name = "departments"

    def on_kv_post(self, _base):
        app().bind(departments=lambda *_: self.refresh(), server_state=lambda *_: self.refresh())

    def show(self, **_context):
        app().refresh_services()
        self.refresh()

    def refresh(self):
        listing = self.ids.listing
        listing.clear_widgets()
        kiosk = app()
        for department in kiosk.departments:
            row = Factory.ListRow(title=department.name, payload=department,
                                  subtitle=kiosk.tr("services.count", count=len(department.services)))
            row.bind(on_release=lambda row: self.pick(row.payload))
            listing.add_widget(row)

    def pick(self, department: Department):
        app().go("services", department=department.name)


class ServicesScreen(KioskScreen):
    """Step 2: the services of one department; a closed or full one is greyed and says why."""

    screen_name = "services"
    department = StringProperty("")
    message = StringProperty("")

    def on_kv_post(self, _base):
        app().bind(departments=lambda *_: self.refresh())

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
        for choice in self.services():
            card = Factory.ServiceCard(choice=choice, title=choice.name, status=choice.status_text(kiosk.lang),
                                       pickable=choice.pickable)
            card.bind(on_release=lambda card: self.pick(card.choice))
            listing.add_widget(card)

    def pick(self, choice: ServiceChoice):
        kiosk = app()
        if not choice.pickable:
            self.message = choice.status_text(kiosk.lang)
            return
        self.message = kiosk.tr("services.issuing")
        kiosk.take_ticket(choice, on_refused=self._refused)

    def _refused(self, message: str):
        self.message = message


class TicketScreen(KioskScreen):
    """The number, very large; whether it printed; the QR code to follow the queue."""

    screen_name = "ticket"
    qr = ObjectProperty(None, allownone=True)

    def show(self, **_context):
        url = app().ticket.get("status_url")
        self.qr = qr_texture(url) if url else None

    def reset(self):
        self.qr = None

    def issued_time(self) -> str:
        issued = app().ticket.get("issued_at")
        if not issued:
            return ""
        from datetime import datetime

        return datetime.fromisoformat(issued).astimezone(app().zone).strftime("%H:%M")


class DisclosureScreen(KioskScreen):
    """政务公开: categories, common topics, a search box, and the list they lead to."""

    screen_name = "disclosure"
    uses_content = True
    category = StringProperty("")
    query = StringProperty("")
    heading = StringProperty("")
    empty_text = StringProperty("")
    shown = NumericProperty(0)
    total = NumericProperty(0)

    def show(self, **_context):
        self.refresh()

    def reset(self):
        self.category, self.query, self.shown = "", "", 0
        if "search_box" in self.ids:
            self.ids.search_box.text = ""

    def refresh(self):
        self._fill_categories()
        self._fill_topics()
        if self.query:
            self.search(self.query)
        else:
            self.list_category(self.category)

    def _fill_categories(self):
        kiosk, box = app(), self.ids.categories
        box.clear_widgets()
        entries = [("", kiosk.tr("disclosure.all"))] + [(c["name"], c["name"]) for c in kiosk.cache.reader.categories()]
        for value, label in entries:
            chip = Factory.Chip(text=label, value=value, selected=(value == self.category and not self.query))
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
            chip.selected = not self.query and chip.value == self.category
        for chip in self.ids.topics.children:
            chip.selected = chip.value == self.query

    def list_category(self, category: str):
        kiosk = app()
        self.category, self.query = category, ""
        self.ids.search_box.text = ""
        reader = kiosk.cache.reader
        self.total = reader.count_documents(category or None)
        self.heading = kiosk.tr("disclosure.list", category=category or kiosk.tr("disclosure.all"), count=self.total)
        self.empty_text = kiosk.tr("disclosure.empty")
        self.ids.results.clear_widgets()
        self.ids.results_scroller.scroll_y = 1  # a new list starts at its top
        self.shown = 0
        self._select_chips()
        self.more()

    def more(self):
        documents = app().cache.reader.documents(category=self.category or None, limit=DOCUMENTS_PAGE,
                                                 offset=self.shown)
        for document in documents:
            self._add_document_row(document)
        self.shown += len(documents)

    def _add_document_row(self, document: dict, snippet: str = ""):
        subtitle = " · ".join(filter(None, [document.get("published_on"), document.get("doc_no"),
                                            document.get("publisher")]))
        if snippet:
            subtitle = snippet + ("\n" + subtitle if subtitle else "")
        row = Factory.ListRow(title=document["title"], subtitle=subtitle, payload=("document", document["id"]))
        row.bind(on_release=lambda row: self.open_item(*row.payload))
        self.ids.results.add_widget(row)

    def search_typed(self):
        words = self.ids.search_box.text.strip()
        if words:
            self.search(words)

    def search(self, words: str):
        kiosk = app()
        self.query = words
        results = kiosk.cache.reader.search(words, limit=50)
        self.heading = kiosk.tr("disclosure.results", q=words, count=len(results))
        self.empty_text = kiosk.tr("disclosure.none")
        self.total = self.shown = len(results)
        self.ids.results.clear_widgets()
        self.ids.results_scroller.scroll_y = 1
        self._select_chips()
        for hit in results:
            if hit["kind"] == "guide":
                row = Factory.ListRow(title=hit["title"], payload=("guide", hit["service"]),
                                      subtitle=kiosk.tr("disclosure.guide_hit") + " · " + (hit.get("snippet") or ""))
                row.bind(on_release=lambda row: self.open_item(*row.payload))
                self.ids.results.add_widget(row)
            else:
                self._add_document_row(hit, snippet=hit.get("snippet") or "")

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
    """办事指南: every service with a guide, by department."""

    screen_name = "guides"
    uses_content = True

    def show(self, **_context):
        self.refresh()

    def refresh(self):
        listing = self.ids.listing
        listing.clear_widgets()
        guides = app().cache.reader.guides()
        self.ids.empty.opacity = 0 if guides else 1
        for guide in guides:
            row = Factory.ListRow(title=guide["service"], subtitle=guide.get("department") or "",
                                  payload=guide["service"])
            row.bind(on_release=lambda row: app().go("guide", service=row.payload))
            listing.add_widget(row)


class GuideScreen(KioskScreen):
    """One service's guide: the 七公开 fields, the materials, and a button to print them."""

    screen_name = "guide"
    uses_content = True
    service = StringProperty("")
    guide = ObjectProperty({})
    print_message = StringProperty("")
    printing = BooleanProperty(False)

    def show(self, service: str = "", **_context):
        self.service = service
        self.print_message = ""
        self.refresh()
        self.ids.scroller.scroll_y = 1

    def reset(self):
        self.service, self.guide, self.print_message, self.printing = "", {}, "", False

    def refresh(self):
        kiosk = app()
        self.guide = kiosk.cache.reader.guide_for_service(self.service) or {} if self.service else {}
        sections = self.ids.sections
        sections.clear_widgets()
        if not self.guide:
            return
        order = ("legal_basis", "conditions", "procedure", "materials", "time_limit", "fees", "contact")
        for name in order:
            sections.add_widget(Factory.SectionTitle(text=kiosk.tr(f"guide.{name}")))
            if name == "materials":
                materials = self.guide.get("materials") or []
                for number, item in enumerate(materials, start=1):
                    sections.add_widget(Factory.BodyText(text=f"{number}. {item}"))
                if not materials:
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
        choice = self.service_choice()
        if choice is not None:
            app().go("services", department=choice.department)
