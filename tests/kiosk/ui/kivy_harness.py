"""Driving the real kiosk app in an offscreen Kivy window: start it, let frames pass,
tap widgets with simulated touches, take screenshots.

Import this only in a process of its own (tests/kiosk/ui/, run by tests/kiosk/test_kiosk_ui.py):
Kivy and its window belong to the whole process."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

ARTIFACTS = Path(os.environ.get("GOVHALL_ARTIFACTS", "/tmp/govhall-artifacts")) / "kiosk"
# GOVHALL_KIOSK_SIZE=1080x1920 runs a module in portrait (the window size is fixed when it opens)
SIZE = tuple(int(part) for part in os.environ.get("GOVHALL_KIOSK_SIZE", "1280x800").split("x"))

os.environ.pop("DISPLAY", None)
os.environ.pop("WAYLAND_DISPLAY", None)
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="govhall-kivy-"))
os.environ["KIVY_NO_ARGS"] = "1"
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")  # Kivy's logs go through logging, not over pytest's

from kiosk.launch import build_app, configure_kivy  # noqa: E402

configure_kivy(kiosk_mode=False, size=SIZE)

from kivy.base import EventLoop  # noqa: E402
from kivy.tests.common import UnitTestTouch  # noqa: E402


def start_app(settings):
    """Build the app and put it in the window, without entering Kivy's blocking main loop."""
    app = build_app(settings, kiosk_mode=False)
    EventLoop.ensure_window()
    app._run_prepare()  # what App.run() does before its loop: kv, build(), window, on_start
    frames(5)
    return app


def frames(count: int = 1):
    for _ in range(count):
        EventLoop.idle()


def wait_until(condition, timeout: float = 30.0, what: str = "condition"):
    """Let frames pass (background answers arrive through the Kivy clock) until `condition()`.
    The default is generous: a busy 2-core machine runs Kivy, the server and other suites at once."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        EventLoop.idle()
        result = condition()
        if result:
            return result
        time.sleep(0.01)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def pause(seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        EventLoop.idle()
        time.sleep(0.01)


def visible(widget) -> bool:
    """On screen: inside the window's tree, not transparent, not zero-sized."""
    node = widget
    while node is not None:
        if getattr(node, "opacity", 1) == 0:
            return False
        if node is EventLoop.window:
            return widget.width > 0 and widget.height > 0
        node = node.parent
    return False


def find_all(app, kind: str | None = None, text: str | None = None, **props):
    """Widgets of the current window matching a class name, (part of) a text, and properties."""
    found = []
    for widget in app.root.walk(restrict=True):
        if kind and type(widget).__name__ != kind:
            continue
        if text is not None:
            label = getattr(widget, "title", None) or getattr(widget, "text", None) or ""
            if text not in label:
                continue
        if any(getattr(widget, name, object()) != value for name, value in props.items()):
            continue
        found.append(widget)
    return found


def find(app, kind: str | None = None, text: str | None = None, **props):
    frames(2)  # let a screen that was just switched to lay itself out
    matches = [w for w in find_all(app, kind, text, **props) if visible(w)]
    # a whole-text match first: "取号" is the 取号 tile, not 预约取号
    matches.sort(key=lambda w: (getattr(w, "title", None) or getattr(w, "text", None) or "") != text)
    assert matches, f"no visible {kind or 'widget'} with text {text!r} {props or ''} on screen {app.manager.current}"
    return matches[0]


def tap(widget, hold: float = 0.0):
    """A finger down and up on the middle of `widget`, as the touch screen would send it
    (scrolled into view first, as a person would)."""
    from kivy.uix.scrollview import ScrollView

    if widget.get_root_window() is None:
        # the list it was in was rebuilt meanwhile (a poll brought new data): tap its successor,
        # as a person would tap what is on the glass now
        label = getattr(widget, "title", None) or getattr(widget, "text", None)
        app = __import__("kivy.app", fromlist=["App"]).App.get_running_app()
        successors = [w for w in find_all(app, type(widget).__name__, label) if visible(w)]
        assert successors, f"{type(widget).__name__} {label!r} left the screen before it was tapped"
        widget = successors[0]
    node = widget.parent
    while node is not None and node is not EventLoop.window and not isinstance(node, ScrollView):
        node = node.parent  # (the window is its own parent)
    if isinstance(node, ScrollView):
        node.scroll_to(widget, padding=10, animate=False)
        frames(3)
    # wait for the layout to settle (a list just rebuilt, fonts just grown): a person taps
    # what stands still
    x, y = widget.to_window(*widget.center)
    for _ in range(60):
        frames(1)
        now = widget.to_window(*widget.center)
        if now == (x, y):
            break
        x, y = now
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    frames(2)
    if hold:
        pause(hold)
    touch.touch_up()
    frames(3)


def screenshot(name: str) -> Path:
    """Save the window as ARTIFACTS/<name>-<W>x<H>.png (replacing an older one)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}-{SIZE[0]}x{SIZE[1]}.png"
    if path.exists():
        path.unlink()
    EventLoop.window.canvas.ask_update()
    frames(3)
    written = EventLoop.window.screenshot(name=str(path))
    Path(written).replace(path)  # Kivy numbers its screenshots; keep one stable name per screen
    return path
