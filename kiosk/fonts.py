"""A Chinese font for every label. Kivy draws face 0 of a .ttc collection: in
wqy-microhei.ttc that is the Chinese face, in NotoSansCJK.ttc it is the Japanese one, so
Noto is only taken as a single-face SC file."""

from __future__ import annotations

from pathlib import Path

CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansSC-Regular.otf",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
SEARCH_PATTERNS = ("wqy-microhei.ttc", "NotoSansSC-Regular.*", "NotoSansCJKsc-Regular.*", "SourceHanSansSC-Regular.*")


class NoChineseFont(RuntimeError):
    pass


def find_cjk_font(extra: str = "") -> str:
    """The path of a font that draws Chinese as face 0; `extra` (config) is tried first."""
    for candidate in (extra, *CANDIDATES):
        if candidate and Path(candidate).is_file():
            return candidate
    for root in ("/usr/share/fonts", "/usr/local/share/fonts", str(Path.home() / ".fonts")):
        for pattern in SEARCH_PATTERNS:
            for found in sorted(Path(root).rglob(pattern)) if Path(root).is_dir() else ():
                return str(found)
    raise NoChineseFont("找不到中文字体：请安装 fonts-wqy-microhei（apt-get install fonts-wqy-microhei）")


def use_cjk_font(extra: str = "") -> str:
    """Make the font Kivy's default (the name every Label, Button and TextInput uses)."""
    from kivy.core.text import DEFAULT_FONT, LabelBase

    path = find_cjk_font(extra)
    LabelBase.register(DEFAULT_FONT, fn_regular=path, fn_bold=path)
    return path
