"""Does every word on the kiosk's screen show whole? For each visible label: its text,
laid out as the label lays it out, fits the label's box (never cut at the bottom, never
running past the side), is not shortened with "…", lies inside the window (or inside the
list that scrolls it), and does not lie over another label's text."""

from __future__ import annotations

from kivy.base import EventLoop
from kivy.core.text import Label as CoreLabel
from kivy.uix.label import Label
from kivy.uix.modalview import ModalView
from kivy.uix.scrollview import ScrollView

SLACK = 1.5  # pixels of rounding


def shown_labels() -> list[Label]:
    """Visible labels with text: those of the dialog on top when one is open (it covers the
    screen beneath), else the window's."""
    roots = list(EventLoop.window.children)
    dialogs = [root for root in roots if isinstance(root, ModalView)]
    found = []
    for root in dialogs[:1] or roots:
        for widget in root.walk(restrict=True):
            if isinstance(widget, Label) and widget.text.strip() and visible(widget):
                found.append(widget)
    return found


def visible(widget) -> bool:
    node = widget
    while node is not None:
        if getattr(node, "opacity", 1) == 0:
            return False
        if node is EventLoop.window:
            return widget.width > 0 and widget.height > 0
        node = node.parent
    return False


def needed_size(label: Label) -> tuple[float, float]:
    """The size the label's whole text takes at the label's width (as wrapped), unshortened."""
    options = dict(label._label.options)
    options.update(text=label.text, text_size=(label.text_size[0], None), shorten=False, max_lines=0)
    core = CoreLabel(**options)
    core.refresh()
    return core.texture.size if core.texture else (0, 0)


def window_rect(widget) -> tuple[float, float, float, float]:
    x, y = widget.to_window(widget.x, widget.y)
    return x, y, x + widget.width, y + widget.height


def scroll_clip(widget):
    """The part of the window where `widget` can be seen: the intersection of the
    viewports of the lists that scroll it, or None when no list does."""
    clip, node = None, widget.parent
    while node is not None and node is not EventLoop.window:
        if isinstance(node, ScrollView):
            clip = intersect(clip, window_rect(node)) if clip else window_rect(node)
        node = node.parent
    return clip


def intersect(a, b):
    if a is None or b is None:
        return None
    x1, y1, x2, y2 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    return (x1, y1, x2, y2) if x2 > x1 and y2 > y1 else None


def ancestors(widget) -> set[int]:
    found, node = set(), widget.parent
    while node is not None and node is not EventLoop.window:
        found.add(id(node))
        node = node.parent
    return found


def text_problems() -> list[str]:
    """Every way a word on screen is not shown whole; [] when all is well."""
    width, height = EventLoop.window.size
    problems, placed = [], []
    for label in shown_labels():
        name = f"{type(label).__name__} {label.text[:40]!r}"
        if label.shorten:
            problems.append(f"{name}: shortened with an ellipsis")
        if label.max_lines:
            problems.append(f"{name}: limited to {label.max_lines} lines")
        if label.text_size[0] is not None and label.text_size[0] > label.width + SLACK:
            problems.append(f"{name}: wraps at {label.text_size[0]:.0f} px in a box {label.width:.0f} px wide")
        need_w, need_h = needed_size(label)
        if need_w > label.width + SLACK or need_h > label.height + SLACK:
            problems.append(f"{name}: needs {need_w:.0f}x{need_h:.0f} px, has {label.width:.0f}x{label.height:.0f}")
        rect = window_rect(label)
        clip = scroll_clip(label)
        if clip is not None:
            rect = intersect(rect, clip)
            if rect is None:
                continue  # scrolled out of sight: a finger brings it back
        elif rect[0] < -SLACK or rect[1] < -SLACK or rect[2] > width + SLACK or rect[3] > height + SLACK:
            problems.append(f"{name}: outside the window at {tuple(round(v) for v in rect)}")
        placed.append((label, rect))
    for index, (first, first_rect) in enumerate(placed):
        for second, second_rect in placed[index + 1:]:
            if id(first) in ancestors(second) or id(second) in ancestors(first):
                continue
            overlap = intersect(first_rect, second_rect)
            if overlap and overlap[2] - overlap[0] > 3 and overlap[3] - overlap[1] > 3:
                problems.append(f"{type(first).__name__} {first.text[:30]!r} lies over "
                                f"{type(second).__name__} {second.text[:30]!r}")
    return problems
