"""Whether text came through its decoding intact, and whether an update of a document
would make it worse than the copy already stored.

Broken text has tell-tale marks: U+FFFD where bytes did not decode, private-use
characters where GB18030 gave user-defined codes to foreign bytes, and mojibake — UTF-8
read as GBK turns "和林格尔县" into "鍜屾灄鏍煎皵鍘?", UTF-8 read as Latin-1 into "å’Œæž—".
The text of a broken page still "decodes", so the sync asks these questions before it
lets a new copy replace a good one."""

from __future__ import annotations

import re
from dataclasses import dataclass

REPLACEMENT = "\ufffd"
_PRIVATE_USE = re.compile(r"[\ue000-\uf8ff]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
# Latin-1 letters and symbols in what should be Chinese text: UTF-8 read as Latin-1/cp1252
_LATIN1 = re.compile(r"[\u00a1-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]")

# An update whose body keeps less than this share of the stored body is held for review.
BODY_SHRINK_RATIO = 0.5
# ... unless the stored body is this short: a two-line notice may well become one line.
BODY_SHRINK_MIN_CHARS = 80


def text_length(text: str | None) -> int:
    """How many characters `text` holds, whitespace not counted (how bodies are compared)."""
    return len("".join((text or "").split()))


def broken_characters(text: str | None) -> int:
    """How many replacement and private-use characters `text` holds."""
    if not text:
        return 0
    return text.count(REPLACEMENT) + len(_PRIVATE_USE.findall(text))


def _undone_utf8(text: str, codec: str) -> str | None:
    """`text` encoded back with `codec` and read as UTF-8 — the text a mis-decoding hid —
    or None when those bytes are no UTF-8 (then `text` was no such mojibake)."""
    try:
        return text.encode(codec).decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None


def _uncommon_han_share(text: str) -> float:
    """Share of Han characters outside GB2312, the 6,763 characters everyday Chinese uses.
    Mojibake is made of rare characters; a real title has almost none."""
    han = _HAN.findall(text)
    if not han:
        return 0.0
    uncommon = 0
    for char in han:
        try:
            char.encode("gb2312")
        except UnicodeEncodeError:
            uncommon += 1
    return uncommon / len(han)


def looks_like_mojibake(text: str | None) -> bool:
    """Whether `text` is text decoded with the wrong charset."""
    if not text:
        return False
    if broken_characters(text):
        return True
    stripped = "".join(text.split())
    # the bytes of this text, had it been mis-decoded, are valid UTF-8 spelling more Han text
    for codec in ("gb18030", "cp1252", "latin-1"):
        undone = _undone_utf8(stripped, codec)
        if undone and undone != stripped and len(_HAN.findall(undone)) >= 2 and not looks_like_mojibake_simple(undone):
            return True
    return looks_like_mojibake_simple(stripped)


def looks_like_mojibake_simple(text: str) -> bool:
    """The statistical half of `looks_like_mojibake`: many rare Han characters or Latin-1
    symbols where Chinese is expected."""
    if not text:
        return False
    han = len(_HAN.findall(text))
    if han >= 4 and _uncommon_han_share(text) >= 0.3:
        return True
    latin = len(_LATIN1.findall(text))
    return latin >= 3 and latin >= 0.3 * len(text)


@dataclass
class UpdateProblem:
    code: str        # "body_shrank", "title_mojibake", "broken_characters"
    message: str     # for the admin and the sync report, in Chinese


def update_problems(stored: dict, update: dict) -> list[UpdateProblem]:
    """Why `update` (the fields just read from the website) would make the `stored`
    document worse; an empty list when it may replace it."""
    problems: list[UpdateProblem] = []
    old_body, new_body = stored.get("body") or "", update.get("body") or ""
    old_length, new_length = text_length(old_body), text_length(new_body)
    if old_length >= BODY_SHRINK_MIN_CHARS and new_length < old_length * BODY_SHRINK_RATIO:
        problems.append(UpdateProblem("body_shrank", f"正文由 {old_length} 字缩短为 {new_length} 字"))
    old_title, new_title = stored.get("title") or "", update.get("title") or ""
    if new_title != old_title and looks_like_mojibake(new_title) and not looks_like_mojibake(old_title):
        problems.append(UpdateProblem("title_mojibake", f"标题疑似乱码：{new_title[:40]}"))
    for name, label in (("title", "标题"), ("body", "正文"), ("publisher", "发布机构"), ("doc_no", "文号")):
        added = broken_characters(update.get(name)) - broken_characters(stored.get(name))
        if added > 0:
            problems.append(UpdateProblem("broken_characters", f"{label}含 {added} 个无法识别的字符（�）"))
            break
    return problems


__all__ = ["text_length", "broken_characters", "looks_like_mojibake", "update_problems", "UpdateProblem",
           "BODY_SHRINK_RATIO", "BODY_SHRINK_MIN_CHARS"]
