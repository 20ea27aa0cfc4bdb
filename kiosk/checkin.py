"""预约取号: a booking's code typed on the on-screen pad, or scanned — a USB scanner that types
like a keyboard sends the code and Enter — then checked in at the server. The ticket it gives
is shown and printed like any other (`KioskApp.check_in_appointment`).

The scanner is heard on the home screen too, so a citizen can scan without a tap first."""

from __future__ import annotations

from kivy.core.window import Window
from kivy.properties import BooleanProperty, StringProperty

from .views import KioskScreen, app, fill_key_pad

# The booking codes' characters (the server's `appointments.CODE_ALPHABET`): no 0/O, 1/I/L, 2/Z,
# 5/S, 6/G, 8/B look-alikes, so the pad needs no more keys than these.
CODE_ALPHABET = "23456789ACDEFHJKMNPRTUVWXY"
CODE_LENGTH = 6
ENTER_KEYS = (13, 271)  # Enter and keypad Enter, as a scanner ends its code
BACKSPACE_KEY = 8
# screens on which scanned keys are taken as a booking code
SCANNING_SCREENS = ("home", "checkin")


def normalized_code(text: str) -> str:
    """What a scanner or a finger typed: spaces and dashes dropped, capitals."""
    return "".join(ch for ch in text.upper() if ch not in " -\t\r\n")


class CheckInScreen(KioskScreen):
    """The code pad: the code's characters as keys, 删除, 确定; the server's answer below."""

    screen_name = "checkin"
    code = StringProperty("")
    message = StringProperty("")
    busy = BooleanProperty(False)

    def on_kv_post(self, _base):
        erase = fill_key_pad(self.ids.code_keys, CODE_ALPHABET, self.press, self.erase)
        app().bind(lang=lambda *_: setattr(erase, "text", app().tr("checkin.erase")))

    def show(self, **_context):
        self.reset()

    def reset(self):
        self.code, self.message, self.busy = "", "", False

    def press(self, character: str):
        if self.busy:
            return
        self.message = ""
        if len(self.code) < CODE_LENGTH:
            self.code += character

    def erase(self):
        if not self.busy:
            self.code = self.code[:-1]

    def submit(self):
        if self.busy:
            return
        if len(self.code) != CODE_LENGTH:
            self.message = app().tr("checkin.too_short", length=CODE_LENGTH)
            return
        self.busy = True
        self.message = app().tr("checkin.checking")
        app().check_in_appointment(self.code, on_refused=self._refused)

    def _refused(self, message: str):
        self.busy = False
        self.code = ""
        self.message = message


class ScannerListener:
    """A keyboard-wedge scanner: characters arrive as text input, then Enter. On the home and
    check-in screens a code of the right form followed by Enter is checked in at once."""

    def __init__(self):
        self.typed = ""
        Window.bind(on_textinput=self._on_text, on_key_down=self._on_key)

    def _scanning(self) -> bool:
        kiosk = app()
        return kiosk is not None and kiosk.root is not None and kiosk.manager.current in SCANNING_SCREENS

    def _on_text(self, _window, text: str):
        if self._scanning():
            self.typed = (self.typed + normalized_code(text))[-32:]

    def _on_key(self, _window, key, *_args):
        if not self._scanning():
            self.typed = ""
            return False
        if key == BACKSPACE_KEY:
            self.typed = self.typed[:-1]
            return False
        if key not in ENTER_KEYS:
            return False
        typed, self.typed = self.typed, ""
        if len(typed) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in typed):
            return bool(typed)
        kiosk = app()
        if kiosk.manager.current != "checkin":
            kiosk.go("checkin")
        screen = kiosk.manager.get_screen("checkin")
        if screen.busy:
            return True
        screen.code = typed
        screen.submit()
        return True
